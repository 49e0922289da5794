/* Unit tests for kcd/web/route.c and the table in routes.c: which handler
 * answers which path on which listener, prefixes, methods, and the
 * built-in answers. */
#include <config.h>

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "pages.h"
#include "route.h"

static const struct kc_http_route *
find(const char *path, bool private)
{
  return kc_http_route_find(kc_http_routes, kc_http_routes_n, "GET", path,
    private);
}

typedef void handler_fn(struct kc_http_req *, struct kc_http_resp *);

static handler_fn *
handler_of(const char *path, bool private)
{
  const struct kc_http_route *rt = find(path, private);

  return rt != NULL ? rt->handler : NULL;
}

START_TEST(test_route_public_pages)
{
  static const struct {
    const char *path;
    handler_fn *fn;
  } t[] = {
    {"/register", kc_http_register},
    {"/activate", kc_http_activate},
    {"/account/credentials", kc_http_credentials},
    {"/account/login", kc_http_login},
    {"/account/logout", kc_http_logout},
    {"/account/reset", kc_http_reset},
    {"/account/password", kc_http_account_password},
    {"/account/second-factor", kc_http_account_factor},
    {"/account/email", kc_http_account_email},
    {"/account/users", kc_http_users},
    {"/account", kc_http_account},
    {"/static/kc.css", kc_http_static_css},
    {"/healthz", kc_http_healthz},
    {"/", kc_http_root},
  };
  size_t i;

  for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
    ck_assert_msg(handler_of(t[i].path, false) == t[i].fn, "%s", t[i].path);
}
END_TEST

START_TEST(test_route_exact_paths_only)
{
  static const char *const none[] = {"/register/", "/registerx",
    "/activate/x", "/static/kc.css.map", "/healthz?x", "", "//",
    "/account/", "/accounts", "/account/login/x", "/metrics", "/static/",
    "/captcha"};
  size_t i;

  for (i = 0; i < sizeof(none) / sizeof(none[0]); i++)
    ck_assert_msg(find(none[i], false) == NULL, "%s", none[i]);
}
END_TEST

START_TEST(test_route_captcha_prefix)
{
  handler_fn *png = handler_of("/captcha/abc.png", false);

  ck_assert_ptr_nonnull(png);
  ck_assert_ptr_eq(handler_of("/captcha/challenge", false), png);
  ck_assert_ptr_eq(handler_of("/captcha/", false), png);
  ck_assert_ptr_eq(handler_of("/static/altcha-solver.js", false), png);
  ck_assert_ptr_null(handler_of("/captcha/abc.png", true));
}
END_TEST

/* The metrics listener has /metrics and the detailed /healthz, nothing
 * else; the public one never has /metrics. */
START_TEST(test_route_private_listener)
{
  ck_assert_ptr_eq(handler_of("/metrics", true), kc_http_metrics_page);
  ck_assert_ptr_eq(handler_of("/healthz", true), kc_http_healthz_detail);
  ck_assert_ptr_null(handler_of("/metrics", false));
  ck_assert_ptr_null(handler_of("/register", true));
  ck_assert_ptr_null(handler_of("/", true));
  ck_assert_ptr_null(handler_of("/static/kc.css", true));
}
END_TEST

START_TEST(test_route_any_method_reaches_the_page)
{
  static const char *const methods[] = {"GET", "HEAD", "POST"};
  size_t i;

  for (i = 0; i < 3; i++)
    ck_assert_ptr_eq(kc_http_route_find(kc_http_routes, kc_http_routes_n,
                       methods[i], "/register", false)->handler,
      kc_http_register);
}
END_TEST

static void
h1(struct kc_http_req *req, struct kc_http_resp *resp)
{
  (void) req;
  (void) resp;
}

static void
h2(struct kc_http_req *req, struct kc_http_resp *resp)
{
  (void) req;
  (void) resp;
}

/* A row with a method matches that method only; the first match wins. */
START_TEST(test_route_method_and_order)
{
  static const struct kc_http_route t[] = {
    {"POST", "/x", h1, 0},
    {NULL, "/x", h2, 0},
    {NULL, "/p/", h1, KC_HTTP_ROUTE_PREFIX},
    {NULL, "/p/q", h2, 0},
  };
  size_t n = sizeof(t) / sizeof(t[0]);

  ck_assert_ptr_eq(kc_http_route_find(t, n, "POST", "/x", false), &t[0]);
  ck_assert_ptr_eq(kc_http_route_find(t, n, "GET", "/x", false), &t[1]);
  ck_assert_ptr_eq(kc_http_route_find(t, n, "GET", "/p/q", false), &t[2]);
  ck_assert_ptr_null(kc_http_route_find(t, n, "GET", "/x", true));
  ck_assert_ptr_null(kc_http_route_find(t, 0, "GET", "/x", false));
}
END_TEST

START_TEST(test_route_table_is_sound)
{
  size_t i;

  for (i = 0; i < kc_http_routes_n; i++) {
    const struct kc_http_route *a = &kc_http_routes[i];
    ck_assert_ptr_nonnull(a->handler);
    ck_assert_int_eq(a->path[0], '/');
    /* no row hidden behind an earlier one */
    ck_assert_msg(kc_http_route_find(kc_http_routes, i,
                    a->method != NULL ? a->method : "GET", a->path,
                    (a->flags & KC_HTTP_ROUTE_PRIVATE) != 0) == NULL,
      "row %zu (%s) is hidden by an earlier one", i, a->path);
  }
}
END_TEST

START_TEST(test_route_builtin_answers)
{
  struct kc_http_req req;
  struct kc_http_resp resp;

  memset(&req, 0, sizeof(req));
  memset(&resp, 0, sizeof(resp));
  kc_buf_init(&resp.body, 1024);
  kc_http_not_found(&resp);
  ck_assert_uint_eq(resp.status, 404);
  ck_assert_str_eq(resp.content_type, "text/plain; charset=utf-8");
  ck_assert_str_eq(kc_buf_get(&resp.body), "not found\n");
  kc_buf_free(&resp.body);

  memset(&resp, 0, sizeof(resp));
  kc_buf_init(&resp.body, 1024);
  kc_http_root(&req, &resp);
  ck_assert_uint_eq(resp.status, 303);
  ck_assert_str_eq(resp.location, "/register");
  ck_assert_uint_eq(kc_buf_len(&resp.body), 0);
  kc_buf_free(&resp.body);
}
END_TEST

static Suite *
route_suite(void)
{
  Suite *s = suite_create("route");
  TCase *tc = tcase_create("core");

  tcase_add_test(tc, test_route_public_pages);
  tcase_add_test(tc, test_route_exact_paths_only);
  tcase_add_test(tc, test_route_captcha_prefix);
  tcase_add_test(tc, test_route_private_listener);
  tcase_add_test(tc, test_route_any_method_reaches_the_page);
  tcase_add_test(tc, test_route_method_and_order);
  tcase_add_test(tc, test_route_table_is_sound);
  tcase_add_test(tc, test_route_builtin_answers);
  suite_add_tcase(s, tc);
  return s;
}

int
main(void)
{
  SRunner *sr = srunner_create(route_suite());
  int failed;

  srunner_run_all(sr, CK_NORMAL);
  failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
