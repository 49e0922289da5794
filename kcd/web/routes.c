/*
 * routes.c: the route table, the one place that names the pages (see
 * route.h). Order matters only for prefixes: the first match answers.
 */
#include <config.h>

#include "captcha_http.h"
#include "pages.h"
#include "route.h"

/* The captcha's URLs (captcha_http.h); it serves every path routed to it. */
static void
captcha(struct kc_http_req *req, struct kc_http_resp *resp)
{
  if (!kc_captcha_http_route(req, resp))
    kc_http_not_found(resp);
}

const struct kc_http_route kc_http_routes[] = {
  {NULL, "/register", kc_http_register, 0},
  {NULL, "/activate", kc_http_activate, 0},
  {NULL, "/account/credentials", kc_http_credentials, 0},
  {NULL, "/account/login", kc_http_login, 0},
  {NULL, "/account/logout", kc_http_logout, 0},
  {NULL, "/account/reset", kc_http_reset, 0},
  {NULL, "/account/password", kc_http_account_password, 0},
  {NULL, "/account/second-factor", kc_http_account_factor, 0},
  {NULL, "/account/email", kc_http_account_email, 0},
  {NULL, "/account/users", kc_http_users, 0},
  {NULL, "/account", kc_http_account, 0},
  {NULL, "/static/kc.css", kc_http_static_css, 0},
  {NULL, "/healthz", kc_http_healthz, 0},
  {NULL, "/captcha/", captcha, KC_HTTP_ROUTE_PREFIX},
  {NULL, "/static/altcha-solver.js", captcha, 0},
  {NULL, "/", kc_http_root, 0},
  /* the metrics listener: nothing else is there */
  {NULL, "/metrics", kc_http_metrics_page, KC_HTTP_ROUTE_PRIVATE},
  {NULL, "/healthz", kc_http_healthz_detail, KC_HTTP_ROUTE_PRIVATE},
};

const size_t kc_http_routes_n =
  sizeof(kc_http_routes) / sizeof(kc_http_routes[0]);
