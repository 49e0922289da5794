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
#include <sys/resource.h>
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
  struct kc_jobs jobs;     /* background work, one thread */
  struct kc_jobs handlers; /* the requests, KC_HTTP_HANDLERS threads */
  unsigned max_conns;
};

_Static_assert(KC_NETADDR_KEYLEN <= sizeof(((struct kc_http_req *) 0)->client),
               "a rate-limit key fits req->client");

/* Per-request state: the body while it arrives; then the request on a
 * handler thread, its connection suspended; then the answer to send. */
struct pending {
  struct kc_buf body;
  bool too_large;
  bool handed;   /* req and resp are set up (free them at the end) */
  bool answered; /* resp holds the answer to send */
  const struct listener *li;
  struct MHD_Connection *c;
  struct kc_http_req req;
  struct kc_http_resp resp;
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

/* On a handler thread: the page, then the connection back to its
 * polling thread, which sends the answer (on_request). After the resume,
 * p belongs to that thread. */
static void
run_handler(struct kc_http *h, void *arg)
{
  struct pending *p = arg;

  (void) h;
  kc_http_route(&p->req, &p->resp, p->li->private);
  p->answered = true;
  MHD_resume_connection(p->c);
}

/* The request is complete: answer what needs no handler at once, hand the
 * rest to a handler thread (503 when they are stopping). */
static enum MHD_Result
start_request(const struct listener *li, struct MHD_Connection *c,
              const char *url, const char *method, struct pending *p)
{
  struct kc_http *h = li->h;

  req_init(&p->req, h, c, url, method);
  memset(&p->resp, 0, sizeof(p->resp));
  kc_buf_init(&p->resp.body, KC_HTTP_MAX_PAGE);
  p->resp.status = 500;
  p->handed = true;
  p->li = li;
  p->c = c;
  if (p->too_large) {
    p->resp.status = 413;
    p->resp.content_type = "text/plain; charset=utf-8";
    (void) !kc_buf_add_str(&p->resp.body, "request too large\n");
  } else if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0 &&
             strcmp(method, "POST") != 0) {
    p->resp.status = 405;
  } else {
    if (strcmp(method, "POST") == 0 &&
        kc_form_parse(&p->req.body, kc_buf_get(&p->body),
                      kc_buf_len(&p->body)) != 0)
      p->req.body_bad = true;
    MHD_suspend_connection(c);
    if (kc_jobs_add(&h->handlers, run_handler, p, NULL))
      return MHD_YES;
    p->resp.status = 503; /* stopping */
    p->answered = true;
    MHD_resume_connection(c);
    return MHD_YES;
  }
  return send_response(c, &p->resp);
}

static void
pending_free(struct pending *p)
{
  if (p->handed) {
    kc_form_free(&p->req.query);
    kc_form_free(&p->req.body);
    kc_buf_free(&p->resp.body);
  }
  kc_buf_free(&p->body);
  free(p);
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
  if (p->answered) /* back from the handler */
    return send_response(c, &p->resp);
  if (p->handed) /* resumed without an answer: cannot happen */
    return MHD_NO;
  if (*upload_size > 0) {
    if (!p->too_large && kc_buf_add(&p->body, upload, *upload_size) != 0)
      p->too_large = true; /* the buffer freed itself */
    *upload_size = 0;
    return MHD_YES;
  }
  return start_request(cls, c, url, method, p);
}

static void
on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
             enum MHD_RequestTerminationCode toe)
{
  struct pending *p = *con_cls;

  (void) cls;
  (void) c;
  (void) toe;
  if (p != NULL)
    pending_free(p);
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
 * loopback), the same timeouts and memory cap as the public one, one
 * polling thread. */
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

/* Descriptors kept for the rest of kcd: the PAM socket's connection table,
 * LDAP, files. */
#define KC_HTTP_FD_RESERVE 1536

/* How many web connections the descriptor limit allows: raise the soft
 * limit towards the hard one as far as KC_HTTP_MAX_CONNS needs, then keep
 * KC_HTTP_FD_RESERVE for the rest. At least 64. */
static unsigned
conns_allowed(void)
{
  struct rlimit rl;
  rlim_t want = (rlim_t) KC_HTTP_MAX_CONNS + KC_HTTP_FD_RESERVE;

  if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
    return 64;
  if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < want) {
    rl.rlim_cur =
      rl.rlim_max == RLIM_INFINITY || rl.rlim_max > want ? want : rl.rlim_max;
    (void) setrlimit(RLIMIT_NOFILE, &rl);
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
      return 64;
  }
  if (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur >= want)
    return KC_HTTP_MAX_CONNS;
  return rl.rlim_cur > KC_HTTP_FD_RESERVE + 64
           ? (unsigned) (rl.rlim_cur - KC_HTTP_FD_RESERVE)
           : 64;
}

unsigned
kc_http_max_conns(const struct kc_http *h)
{
  return h->max_conns;
}

int
kc_http_start(struct kc_http **out, const struct kc_http_cfg *cfg)
{
  struct kc_http *h;
  /* epoll: a connection costs no thread; suspend/resume: a request runs
   * on a handler thread while its polling thread serves the others */
  unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL |
                   MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG;
  unsigned per_ip;

  *out = NULL;
  if ((h = calloc(1, sizeof(*h))) == NULL)
    return KC_ERR_NOMEM;
  h->cfg = *cfg;
  h->pub = (struct listener){h, false};
  h->priv = (struct listener){h, true};
  h->max_conns = conns_allowed();
  kc_ldappool_init(&h->pool, cfg->ldap);
  kc_metrics_init(&h->metrics);
  if (kc_jobs_init(&h->jobs, h, KC_JOBS_QUEUE) != 0 ||
      /* one request per connection at a time: the queue never fills */
      kc_jobs_init(&h->handlers, h, h->max_conns + KC_HTTP_METRICS_MAX_CONNS) !=
        0 ||
      kc_ratelimit_new(&h->rate, KC_RATELIMIT_SLOTS) != 0) {
    kc_http_stop(h);
    return KC_ERR_NOMEM;
  }
  if (cfg->listen_family == AF_INET6)
    flags |= MHD_USE_IPv6;
  if (kc_jobs_start(&h->jobs, 1) != 0 ||
      kc_jobs_start(&h->handlers, KC_HTTP_HANDLERS) != 0) {
    kc_http_stop(h);
    return KC_ERR_SYSTEM;
  }
  /* Behind a proxy every connection has its address: the per-address
   * cap would throttle the whole site, so only the total applies. */
  per_ip = cfg->trusted_proxies != NULL && cfg->trusted_proxies->n > 0
             ? h->max_conns
             : (unsigned) KC_HTTP_MAX_CONNS_PER_IP;
  h->mhd = MHD_start_daemon(flags, (uint16_t) cfg->listen_port, NULL, NULL,
                            on_request, &h->pub, MHD_OPTION_LISTEN_SOCKET,
                            cfg->listen_fd, MHD_OPTION_THREAD_POOL_SIZE,
                            (unsigned) KC_HTTP_POLL_THREADS,
                            MHD_OPTION_CONNECTION_LIMIT, h->max_conns,
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
  /* the handlers first: each resumes its connection, and libmicrohttpd
   * must not stop with a connection suspended; a request that arrives
   * meanwhile gets 503 */
  kc_jobs_stop(&h->handlers);
  if (h->metrics_mhd != NULL)
    MHD_stop_daemon(h->metrics_mhd);
  if (h->mhd != NULL)
    MHD_stop_daemon(h->mhd);
  kc_jobs_stop(&h->jobs);
  kc_ldappool_close(&h->pool);
  kc_ratelimit_free(h->rate);
  free(h);
}
