/*
 * route.h: which handler answers a request. The core (http.c) dispatches
 * through a table of routes; the table (routes.c) is the one file that
 * names the pages, so the core does not depend on them.
 *
 * A row matches when its listener (KC_HTTP_ROUTE_PRIVATE: the metrics
 * listener, else the public one), its method (NULL: any the core lets
 * through, GET HEAD POST; the page decides) and its path (exact, or a
 * prefix with KC_HTTP_ROUTE_PREFIX) match; the first that does answers.
 * No row: 404. Also the built-in answers the table names.
 */
#ifndef KC_ROUTE_H
#define KC_ROUTE_H

#include <stdbool.h>
#include <stddef.h>

#include "http.h"

/* path is a prefix: "/captcha/" matches "/captcha/abc.png" */
#define KC_HTTP_ROUTE_PREFIX 0x1u
/* on the private metrics listener; never on the public one */
#define KC_HTTP_ROUTE_PRIVATE 0x2u

struct kc_http_route {
  const char *method;
  const char *path;
  void (*handler)(struct kc_http_req *req, struct kc_http_resp *resp);
  unsigned flags;
};

/* The table (routes.c). */
extern const struct kc_http_route kc_http_routes[];
extern const size_t kc_http_routes_n;

/* The first row of table[0..n) for method and path on the private or the
 * public listener; NULL when none matches. */
const struct kc_http_route *
kc_http_route_find(const struct kc_http_route *table, size_t n,
                   const char *method, const char *path, bool private)
  KC_NONNULL(3, 4);

/* Answer req from the table: private is the listener it came on. */
void kc_http_route(struct kc_http_req *req, struct kc_http_resp *resp,
                   bool private) KC_NONNULL(1, 2);

/* ---------------------------------------------- built-in answers, route.c */

/* 404, plain text. */
void kc_http_not_found(struct kc_http_resp *resp) KC_NONNULL(1);
/* /healthz: 200 while the service DN can bind, else 503; the reason only
 * in the _detail form (the metrics listener). */
void kc_http_healthz(struct kc_http_req *req, struct kc_http_resp *resp)
  KC_NONNULL(1, 2);
void kc_http_healthz_detail(struct kc_http_req *req, struct kc_http_resp *resp)
  KC_NONNULL(1, 2);
/* /static/kc.css, the style sheet of every page. */
void kc_http_static_css(struct kc_http_req *req, struct kc_http_resp *resp)
  KC_NONNULL(1, 2);
/* /: 303 to /register. */
void kc_http_root(struct kc_http_req *req, struct kc_http_resp *resp)
  KC_NONNULL(1, 2);

/* /metrics (http.c: the counters are the core's). */
void kc_http_metrics_page(struct kc_http_req *req, struct kc_http_resp *resp)
  KC_NONNULL(1, 2);

#endif /* KC_ROUTE_H */
