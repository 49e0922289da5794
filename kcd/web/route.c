/*
 * route.c: dispatch through the route table, and the built-in answers
 * (see route.h).
 */
#include <config.h>

#include <stdio.h>
#include <string.h>

#include "route.h"

extern const char kc_http_css[];

static bool
matches(const struct kc_http_route *rt, const char *method, const char *path,
        bool private)
{
  bool on_private = (rt->flags & KC_HTTP_ROUTE_PRIVATE) != 0;

  if (on_private != private)
    return false;
  if (rt->method != NULL && strcmp(rt->method, method) != 0)
    return false;
  if ((rt->flags & KC_HTTP_ROUTE_PREFIX) != 0)
    return strncmp(path, rt->path, strlen(rt->path)) == 0;
  return strcmp(path, rt->path) == 0;
}

const struct kc_http_route *
kc_http_route_find(const struct kc_http_route *table, size_t n,
                   const char *method, const char *path, bool private)
{
  size_t i;

  for (i = 0; i < n; i++)
    if (matches(&table[i], method, path, private))
      return &table[i];
  return NULL;
}

void
kc_http_route(struct kc_http_req *req, struct kc_http_resp *resp, bool private)
{
  const struct kc_http_route *rt =
    kc_http_route_find(kc_http_routes, kc_http_routes_n, req->method, req->path,
                       private);

  if (rt != NULL)
    rt->handler(req, resp);
  else
    kc_http_not_found(resp); /* /metrics too on the public listener */
}

void
kc_http_not_found(struct kc_http_resp *resp)
{
  resp->status = 404;
  resp->content_type = "text/plain; charset=utf-8";
  if (kc_buf_add_str(&resp->body, "not found\n") != 0)
    resp->status = 500;
}

/* 200 while a server of ldap_uri answers a read of the base entry, 503
 * otherwise. The detailed one (metrics_listen) names the server that
 * answered and the state of each ("URI up" or "URI down": skipped after
 * a failure). */
static void
healthz(struct kc_http *h, struct kc_http_resp *resp, bool detail)
{
  struct kc_ldap *l = kc_http_ldap_get(h);
  const char *uri;
  int r;

  resp->status = kc_ldap_ping(l) == 0 ? 200 : 503;
  resp->content_type = "text/plain; charset=utf-8";
  if (!detail)
    r = kc_buf_add_str(&resp->body,
                       resp->status == 200 ? "ok\n" : "unavailable\n");
  else if (resp->status == 200 && (uri = kc_ldap_server_in_use(l)) != NULL)
    r = kc_buf_printf(&resp->body, "ok %s\n", uri);
  else
    r =
      kc_buf_add_str(&resp->body, resp->status == 200 ? "ok\n" : "ldap down\n");
  if (r == 0 && detail)
    r = kc_ldap_servers_state(l, &resp->body);
  kc_http_ldap_put(h, l);
  if (r != 0)
    resp->status = 500;
}

void
kc_http_healthz(struct kc_http_req *req, struct kc_http_resp *resp)
{
  healthz(req->http, resp, false);
}

void
kc_http_healthz_detail(struct kc_http_req *req, struct kc_http_resp *resp)
{
  healthz(req->http, resp, true);
}

void
kc_http_static_css(struct kc_http_req *req, struct kc_http_resp *resp)
{
  (void) req;
  resp->content_type = "text/css; charset=utf-8";
  resp->status = kc_buf_add_str(&resp->body, kc_http_css) == 0 ? 200 : 500;
}

void
kc_http_root(struct kc_http_req *req, struct kc_http_resp *resp)
{
  (void) req;
  resp->status = 303;
  snprintf(resp->location, sizeof(resp->location), "/register");
}
