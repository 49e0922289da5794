/*
 * http.c: the web core: libmicrohttpd glue (requests, bodies, headers),
 * the security headers of every answer, and the life cycle (listeners,
 * start, stop). What it owns and lends: the LDAP pool (ldappool.c), the
 * counters (metrics.c), the background queue (jobs.c) and the rate limits
 * (ratelimit.c); who the client is comes from xff.c, which handler
 * answers from the route table (route.c, routes.c). See http.h.
 */
#include <config.h>

#include <arpa/inet.h>
#include <errno.h>
#include <unistd.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include <microhttpd.h>

#include "http.h"
#include "jobs.h"
#include "kc_err.h"
#include "kc_io.h"
#include "kc_ldap_servers.h"
#include "kc_limits.h"
#include "ldappool.h"
#include "log.h"
#include "metrics.h"
#include "ratelimit.h"
#include "route.h"
#include "xff.h"

/* What a libmicrohttpd daemon serves: the public pages, or (private)
 * /metrics and the detailed /healthz. */
struct listener {
  struct kc_http *h;
  bool private;
};

/* Connections at once on the metrics listener (a scraper or two). */
#define KC_HTTP_METRICS_MAX_CONNS 8

struct kc_http {
  struct kc_http_cfg cfg;
  struct MHD_Daemon *mhd;
  struct MHD_Daemon *metrics_mhd;
  struct listener pub, priv;
  struct kc_ldappool pool;
  struct kc_ratelimit *rate;
  struct kc_metrics metrics;
  struct kc_jobs jobs;
};

_Static_assert(KC_NETADDR_KEYLEN <= sizeof(((struct kc_http_req *) 0)->client),
               "a rate-limit key fits req->client");

/* Per-request state while the body arrives. */
struct pending {
  struct kc_buf body;
  bool too_large;
};

const struct kc_http_cfg *
kc_http_cfg(const struct kc_http *h)
{
  return &h->cfg;
}

/* -------------------------------------------------- lent to the handlers */

struct kc_ldap *
kc_http_ldap_get(struct kc_http *h)
{
  return kc_ldappool_get(&h->pool);
}

void
kc_http_ldap_put(struct kc_http *h, struct kc_ldap *l)
{
  kc_ldappool_put(&h->pool, l);
}

unsigned
kc_http_rate(struct kc_http *h, const char *key, unsigned burst,
             unsigned per_seconds)
{
  return kc_ratelimit_take(h->rate, key, burst, per_seconds, kc_io_now_ms());
}

const char *
kc_http_tr(const struct kc_http_req *req, const char *de, const char *en)
{
  return req->english ? en : de;
}

void
kc_http_count(struct kc_http *h, const char *name)
{
  kc_metrics_count(&h->metrics, name);
}

void
kc_http_metrics_page(struct kc_http_req *req, struct kc_http_resp *resp)
{
  int r;

  resp->content_type = "text/plain; version=0.0.4; charset=utf-8";
  r = kc_metrics_write(&req->http->metrics, &resp->body);
  if (r == 0)
    r = kc_metrics_write_tan(&resp->body);
  if (r == 0)
    r = kc_ldap_servers_metrics(&resp->body);
  resp->status = r == 0 ? 200 : 500;
}

bool
kc_http_defer(struct kc_http *h, void (*fn)(struct kc_http *, void *),
              void *arg, void (*free_fn)(void *))
{
  return kc_jobs_add(&h->jobs, fn, arg, free_fn);
}

bool
kc_http_username_refused(const struct kc_http_req *req, const char *name,
                         const char *current)
{
  enum kc_username_verdict v;

  if (current != NULL && strcasecmp(name, current) == 0)
    return false;
  v = kc_username_check(req->http->cfg.reserved, name);
  if (v == KC_USERNAME_FREE)
    return false;
  kc_log_info("user name refused; user=%s reason=%s client=%s", name,
              v == KC_USERNAME_RESERVED ? "reserved"
              : v == KC_USERNAME_LOCAL  ? "local"
                                        : "unchecked",
              req->client);
  return true;
}

/* ------------------------------------------------------------- requests */

/* The value of our cookie name, when it looks like one of ours (base64url,
 * hex, dots and dashes; at least 16 characters). */
static void
read_cookie(struct MHD_Connection *c, const char *name, char *out,
            size_t outlen)
{
  const char *v = MHD_lookup_connection_value(c, MHD_COOKIE_KIND, name);
  size_t i;

  out[0] = '\0';
  if (v == NULL || strlen(v) >= outlen || strlen(v) < 16)
    return;
  for (i = 0; v[i] != '\0'; i++) {
    char ch = v[i];
    if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
          (ch >= '0' && ch <= '9') || ch == '-' || ch == '_' || ch == '.'))
      return;
  }
  memcpy(out, v, i + 1);
}

static bool
wants_english(struct MHD_Connection *c, const struct kc_form *query)
{
  const char *lang = kc_form_get(query, "lang");
  const char *al;

  if (lang != NULL)
    return strcmp(lang, "en") == 0;
  al = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Accept-Language");
  /* the first language named decides: "en-US,en;q=0.9,de;q=0.8" */
  return al != NULL && strncasecmp(al, "en", 2) == 0;
}

/* The raw query string of the request URL, as libmicrohttpd keeps it. */
static enum MHD_Result
collect_arg(void *cls, enum MHD_ValueKind kind, const char *key,
            const char *value)
{
  struct kc_buf *q = cls;

  (void) kind;
  if ((kc_buf_len(q) > 0 && kc_buf_add_str(q, "&") != 0) ||
      kc_esc_pct(q, key) != 0 ||
      (value != NULL &&
       (kc_buf_add_str(q, "=") != 0 || kc_esc_pct(q, value) != 0)))
    return MHD_NO;
  return MHD_YES;
}

#define CSP_HEAD     "default-src 'none'; style-src 'self'; "
#define CSP_IMG      "img-src 'self'; "
#define CSP_IMG_DATA "img-src 'self' data:; "
#define CSP_SCRIPT   "script-src 'self'; connect-src 'self'; "
#define CSP_TAIL     "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

const char *
kc_http_csp(const struct kc_http_resp *resp)
{
  /* [allow_script][allow_data_img] */
  static const char *const csp[2][2] =
    {{CSP_HEAD CSP_IMG CSP_TAIL, CSP_HEAD CSP_IMG_DATA CSP_TAIL},
     {CSP_HEAD CSP_IMG CSP_SCRIPT CSP_TAIL,
      CSP_HEAD CSP_IMG_DATA CSP_SCRIPT CSP_TAIL}};

  return csp[resp->allow_script ? 1 : 0][resp->allow_data_img ? 1 : 0];
}

static void
add_headers(struct MHD_Response *r, const struct kc_http_resp *resp)
{
  char retry[16];

  MHD_add_response_header(r, "Content-Type",
                          resp->content_type != NULL
                            ? resp->content_type
                            : "text/html; charset=utf-8");
  MHD_add_response_header(r, "Content-Security-Policy", kc_http_csp(resp));
  MHD_add_response_header(r, "X-Frame-Options", "DENY");
  MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
  MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
  MHD_add_response_header(r, "Cache-Control",
                          resp->no_store ? "no-store" : "no-cache");
  if (resp->location[0] != '\0')
    MHD_add_response_header(r, "Location", resp->location);
  if (resp->set_cookie[0] != '\0')
    MHD_add_response_header(r, "Set-Cookie", resp->set_cookie);
  if (resp->set_session[0] != '\0')
    MHD_add_response_header(r, "Set-Cookie", resp->set_session);
  if (resp->retry_after > 0) {
    snprintf(retry, sizeof(retry), "%u", resp->retry_after);
    MHD_add_response_header(r, "Retry-After", retry);
  }
}

static enum MHD_Result
send_response(struct MHD_Connection *c, struct kc_http_resp *resp)
{
  struct MHD_Response *r;
  enum MHD_Result ret;

  r = MHD_create_response_from_buffer(kc_buf_len(&resp->body),
                                      (void *) (uintptr_t) kc_buf_get(
                                        &resp->body),
                                      MHD_RESPMEM_MUST_COPY);
  if (r == NULL)
    return MHD_NO;
  add_headers(r, resp);
  ret = MHD_queue_response(c, resp->status, r);
  MHD_destroy_response(r);
  return ret;
}

static void
req_init(struct kc_http_req *req, struct kc_http *h, struct MHD_Connection *c,
         const char *url, const char *method)
{
  struct kc_buf q;

  memset(req, 0, sizeof(*req));
  req->http = h;
  req->method = method;
  req->path = url;
  kc_buf_init(&q, KC_MAX_HTTP_HEADER);
  if (MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, collect_arg, &q) <
        0 ||
      kc_form_parse(&req->query, kc_buf_get(&q), kc_buf_len(&q)) != 0)
    kc_form_free(&req->query);
  kc_buf_free(&q);
  req->english = wants_english(c, &req->query);
  {
    const char *acc = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Accept");
    req->json = acc != NULL && strstr(acc, "application/json") != NULL;
  }
  kc_http_client_key(c, h->cfg.trusted_proxies, req->client,
                     sizeof(req->client));
  read_cookie(c, "kc_csrf", req->csrf_cookie, sizeof(req->csrf_cookie));
  read_cookie(c, "kc_session", req->session_cookie,
              sizeof(req->session_cookie));
}

static enum MHD_Result
answer(const struct listener *li, struct MHD_Connection *c, const char *url,
       const char *method, struct pending *p)
{
  struct kc_http *h = li->h;
  struct kc_http_req req;
  struct kc_http_resp resp;
  enum MHD_Result ret;

  req_init(&req, h, c, url, method);
  memset(&resp, 0, sizeof(resp));
  kc_buf_init(&resp.body, KC_HTTP_MAX_PAGE);
  resp.status = 500;
  if (p->too_large) {
    resp.status = 413;
    resp.content_type = "text/plain; charset=utf-8";
    (void) !kc_buf_add_str(&resp.body, "request too large\n");
  } else if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0 &&
             strcmp(method, "POST") != 0) {
    resp.status = 405;
  } else {
    if (strcmp(method, "POST") == 0 &&
        kc_form_parse(&req.body, kc_buf_get(&p->body), kc_buf_len(&p->body)) !=
          0)
      req.body_bad = true;
    kc_http_route(&req, &resp, li->private);
  }
  ret = send_response(c, &resp);
  kc_form_free(&req.query);
  kc_form_free(&req.body);
  kc_buf_free(&resp.body);
  return ret;
}

static enum MHD_Result
on_request(void *cls, struct MHD_Connection *c, const char *url,
           const char *method, const char *version, const char *upload,
           size_t *upload_size, void **con_cls)
{
  struct pending *p = *con_cls;

  (void) version;
  if (p == NULL) {
    if ((p = calloc(1, sizeof(*p))) == NULL)
      return MHD_NO;
    kc_buf_init(&p->body, KC_MAX_HTTP_BODY);
    *con_cls = p;
    return MHD_YES;
  }
  if (*upload_size > 0) {
    if (!p->too_large && kc_buf_add(&p->body, upload, *upload_size) != 0)
      p->too_large = true; /* the buffer freed itself */
    *upload_size = 0;
    return MHD_YES;
  }
  return answer(cls, c, url, method, p);
}

static void
on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
             enum MHD_RequestTerminationCode toe)
{
  struct pending *p = *con_cls;

  (void) cls;
  (void) c;
  (void) toe;
  if (p != NULL) {
    kc_buf_free(&p->body);
    free(p);
  }
  *con_cls = NULL;
}

/* ------------------------------------------------------------ life cycle */

static int
bind_addr(const char *host, unsigned port, int family,
          struct sockaddr_storage *ss)
{
  memset(ss, 0, sizeof(*ss));
  if (family == AF_INET6) {
    struct sockaddr_in6 *s6 = (struct sockaddr_in6 *) ss;
    s6->sin6_family = AF_INET6;
    s6->sin6_port = htons((uint16_t) port);
    return inet_pton(AF_INET6, host, &s6->sin6_addr) == 1 ? 0 : KC_ERR_INVALID;
  }
  {
    struct sockaddr_in *s4 = (struct sockaddr_in *) ss;
    s4->sin_family = AF_INET;
    s4->sin_port = htons((uint16_t) port);
    return inet_pton(AF_INET, host, &s4->sin_addr) == 1 ? 0 : KC_ERR_INVALID;
  }
}

static int
listen_on(const char *host, unsigned port, int family, int *fd)
{
  struct sockaddr_storage ss;
  socklen_t len;
  int s, one = 1, saved;

  *fd = -1;
  if (host == NULL || bind_addr(host, port, family, &ss) != 0)
    return KC_ERR_INVALID;
  len = family == AF_INET6 ? sizeof(struct sockaddr_in6)
                           : sizeof(struct sockaddr_in);
  s = socket(family == AF_INET6 ? AF_INET6 : AF_INET,
             SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (s < 0)
    return KC_ERR_SYSTEM;
  if (setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
      bind(s, (struct sockaddr *) &ss, len) != 0 || listen(s, 128) != 0) {
    saved = errno;
    close(s);
    errno = saved;
    return KC_ERR_SYSTEM;
  }
  *fd = s;
  return 0;
}

int
kc_http_listen(const struct kc_http_cfg *cfg, int *fd)
{
  return listen_on(cfg->listen_host, cfg->listen_port, cfg->listen_family, fd);
}

int
kc_http_listen_metrics(const struct kc_http_cfg *cfg, int *fd)
{
  *fd = -1;
  if (cfg->metrics_port == 0)
    return 0;
  return listen_on(cfg->metrics_host, cfg->metrics_port, cfg->metrics_family,
                   fd);
}

/* The metrics listener: few connections, no per-address cap (it is
 * loopback), the same timeouts and memory cap as the public one. */
static struct MHD_Daemon *
start_metrics(struct kc_http *h, unsigned flags)
{
  if (h->cfg.metrics_family == AF_INET6)
    flags |= MHD_USE_IPv6;
  else
    flags &= ~(unsigned) MHD_USE_IPv6;
  return MHD_start_daemon(flags, (uint16_t) h->cfg.metrics_port, NULL, NULL,
                          on_request, &h->priv, MHD_OPTION_LISTEN_SOCKET,
                          h->cfg.metrics_fd, MHD_OPTION_CONNECTION_LIMIT,
                          (unsigned) KC_HTTP_METRICS_MAX_CONNS,
                          MHD_OPTION_CONNECTION_TIMEOUT,
                          (unsigned) KC_HTTP_TIMEOUT_S,
                          MHD_OPTION_CONNECTION_MEMORY_LIMIT,
                          (size_t) (2 * KC_MAX_HTTP_HEADER + 4096),
                          MHD_OPTION_NOTIFY_COMPLETED, on_completed, h,
                          MHD_OPTION_END);
}

int
kc_http_start(struct kc_http **out, const struct kc_http_cfg *cfg)
{
  struct kc_http *h;
  unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD |
                   MHD_USE_THREAD_PER_CONNECTION | MHD_USE_ERROR_LOG;
  unsigned per_ip;

  *out = NULL;
  if ((h = calloc(1, sizeof(*h))) == NULL)
    return KC_ERR_NOMEM;
  h->cfg = *cfg;
  h->pub = (struct listener){h, false};
  h->priv = (struct listener){h, true};
  kc_ldappool_init(&h->pool, cfg->ldap);
  kc_metrics_init(&h->metrics);
  kc_jobs_init(&h->jobs, h);
  if (kc_ratelimit_new(&h->rate, KC_RATELIMIT_SLOTS) != 0) {
    kc_http_stop(h);
    return KC_ERR_NOMEM;
  }
  if (cfg->listen_family == AF_INET6)
    flags |= MHD_USE_IPv6;
  if (kc_jobs_start(&h->jobs) != 0) {
    kc_http_stop(h);
    return KC_ERR_SYSTEM;
  }
  /* Behind a proxy every connection has its address: the per-address
   * cap would throttle the whole site, so only the total applies. */
  per_ip = cfg->trusted_proxies != NULL && cfg->trusted_proxies->n > 0
             ? (unsigned) KC_HTTP_MAX_CONNS
             : (unsigned) KC_HTTP_MAX_CONNS_PER_IP;
  h->mhd =
    MHD_start_daemon(flags, (uint16_t) cfg->listen_port, NULL, NULL, on_request,
                     &h->pub, MHD_OPTION_LISTEN_SOCKET, cfg->listen_fd,
                     MHD_OPTION_CONNECTION_LIMIT, (unsigned) KC_HTTP_MAX_CONNS,
                     MHD_OPTION_PER_IP_CONNECTION_LIMIT, per_ip,
                     MHD_OPTION_CONNECTION_TIMEOUT,
                     (unsigned) KC_HTTP_TIMEOUT_S,
                     MHD_OPTION_CONNECTION_MEMORY_LIMIT,
                     (size_t) (2 * KC_MAX_HTTP_HEADER + 4096),
                     MHD_OPTION_NOTIFY_COMPLETED, on_completed, h,
                     MHD_OPTION_END);
  if (h->mhd != NULL && cfg->metrics_fd >= 0)
    h->metrics_mhd = start_metrics(h, flags);
  if (h->mhd == NULL || (cfg->metrics_fd >= 0 && h->metrics_mhd == NULL)) {
    kc_http_stop(h);
    return KC_ERR_SYSTEM;
  }
  *out = h;
  return 0;
}

void
kc_http_stop(struct kc_http *h)
{
  if (h == NULL)
    return;
  if (h->metrics_mhd != NULL)
    MHD_stop_daemon(h->metrics_mhd);
  if (h->mhd != NULL)
    MHD_stop_daemon(h->mhd);
  kc_jobs_stop(&h->jobs);
  kc_ldappool_close(&h->pool);
  kc_ratelimit_free(h->rate);
  free(h);
}
