/*
 * http.c: libmicrohttpd glue, security headers, routing, the LDAP pool,
 * CSRF, rate limits, metrics and the background queue (see http.h).
 */
#include <config.h>

#include <arpa/inet.h>
#include <errno.h>
#include <unistd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include <microhttpd.h>
#include <sodium.h>

#include "captcha_http.h"
#include "http.h"
#include "kc_err.h"
#include "kc_io.h"
#include "kc_limits.h"
#include "log.h"
#include "ratelimit.h"

/* Metrics: distinct counter names. */
#define KC_HTTP_MAX_COUNTERS 64
/* Background jobs waiting at most. */
#define KC_HTTP_QUEUE 256

struct counter {
  const char *name;
  unsigned long value;
};

struct job {
  void (*fn)(struct kc_http *, void *);
  void *arg;
  void (*free_fn)(void *);
};

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
  /* LDAP pool */
  pthread_mutex_t pool_mu;
  pthread_cond_t pool_cv;
  struct kc_ldap ldap[KC_HTTP_LDAP_POOL];
  bool ldap_busy[KC_HTTP_LDAP_POOL];
  /* rate limits */
  struct kc_ratelimit *rate;
  /* metrics */
  pthread_mutex_t count_mu;
  struct counter counters[KC_HTTP_MAX_COUNTERS];
  /* background queue */
  pthread_mutex_t q_mu;
  pthread_cond_t q_cv;
  struct job q[KC_HTTP_QUEUE];
  size_t q_head, q_len;
  bool q_stop;
  pthread_t q_thread;
  bool q_started;
};

_Static_assert(KC_NETADDR_KEYLEN <= sizeof(((struct kc_http_req *) 0)->client),
  "a rate-limit key fits req->client");

/* Per-request state while the body arrives. */
struct pending {
  struct kc_buf body;
  bool too_large;
};

extern const char kc_http_css[];

const struct kc_http_cfg *
kc_http_cfg(const struct kc_http *h)
{
  return &h->cfg;
}

/* ------------------------------------------------------------ LDAP pool */

struct kc_ldap *
kc_http_ldap_get(struct kc_http *h)
{
  size_t i;

  pthread_mutex_lock(&h->pool_mu);
  for (;;) {
    for (i = 0; i < KC_HTTP_LDAP_POOL; i++) {
      if (!h->ldap_busy[i]) {
        h->ldap_busy[i] = true;
        pthread_mutex_unlock(&h->pool_mu);
        return &h->ldap[i];
      }
    }
    pthread_cond_wait(&h->pool_cv, &h->pool_mu);
  }
}

void
kc_http_ldap_put(struct kc_http *h, struct kc_ldap *l)
{
  size_t i = (size_t) (l - h->ldap);

  pthread_mutex_lock(&h->pool_mu);
  h->ldap_busy[i] = false;
  pthread_cond_signal(&h->pool_cv);
  pthread_mutex_unlock(&h->pool_mu);
}

/* ----------------------------------------------------------- rate limits */

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
kc_http_token_hash(const char *token, char out[64])
{
  unsigned char h[crypto_hash_sha256_BYTES];

  crypto_hash_sha256(h, (const unsigned char *) token, strlen(token));
  sodium_bin2base64(out, 64, h, sizeof(h), sodium_base64_VARIANT_ORIGINAL);
}

/* -------------------------------------------------------------- metrics */

void
kc_http_count(struct kc_http *h, const char *name)
{
  size_t i;

  pthread_mutex_lock(&h->count_mu);
  for (i = 0; i < KC_HTTP_MAX_COUNTERS; i++) {
    if (h->counters[i].name == NULL)
      h->counters[i].name = name;
    if (strcmp(h->counters[i].name, name) == 0) {
      h->counters[i].value++;
      break;
    }
  }
  pthread_mutex_unlock(&h->count_mu);
}

static void
metrics(struct kc_http *h, struct kc_http_resp *resp)
{
  size_t i;
  int r = 0;

  resp->content_type = "text/plain; version=0.0.4; charset=utf-8";
  r = kc_buf_add_str(&resp->body,
    "# HELP kcd_http_events_total Web front events by kind.\n"
    "# TYPE kcd_http_events_total counter\n");
  pthread_mutex_lock(&h->count_mu);
  for (i = 0; r == 0 && i < KC_HTTP_MAX_COUNTERS && h->counters[i].name;
       i++)
    r = kc_buf_printf(&resp->body, "kcd_http_events_total{event=\"%s\"} %lu\n",
      h->counters[i].name, h->counters[i].value);
  pthread_mutex_unlock(&h->count_mu);
  resp->status = r == 0 ? 200 : 500;
}

/* ----------------------------------------------------- background queue */

bool
kc_http_defer(struct kc_http *h, void (*fn)(struct kc_http *, void *),
  void *arg, void (*free_fn)(void *))
{
  bool ok = false;

  pthread_mutex_lock(&h->q_mu);
  if (h->q_len < KC_HTTP_QUEUE && !h->q_stop) {
    h->q[(h->q_head + h->q_len) % KC_HTTP_QUEUE] =
      (struct job){fn, arg, free_fn};
    h->q_len++;
    ok = true;
    pthread_cond_signal(&h->q_cv);
  }
  pthread_mutex_unlock(&h->q_mu);
  return ok;
}

static void *
queue_main(void *arg)
{
  struct kc_http *h = arg;
  struct job j;

  pthread_mutex_lock(&h->q_mu);
  for (;;) {
    while (h->q_len == 0 && !h->q_stop)
      pthread_cond_wait(&h->q_cv, &h->q_mu);
    if (h->q_len == 0)
      break; /* stopping and drained */
    j = h->q[h->q_head];
    h->q_head = (h->q_head + 1) % KC_HTTP_QUEUE;
    h->q_len--;
    pthread_mutex_unlock(&h->q_mu);
    j.fn(h, j.arg);
    if (j.free_fn != NULL)
      j.free_fn(j.arg);
    pthread_mutex_lock(&h->q_mu);
  }
  pthread_mutex_unlock(&h->q_mu);
  return NULL;
}

/* ----------------------------------------------------------------- CSRF */

/* field = base64url(HMAC-SHA-256(key, "csrf:" cookie)), first 32 chars */
static void
csrf_for(const struct kc_http *h, const char *cookie, char *out, size_t outlen)
{
  unsigned char mac[crypto_auth_hmacsha256_BYTES];
  crypto_auth_hmacsha256_state st;
  char b64[64];

  crypto_auth_hmacsha256_init(&st, h->cfg.key, 32);
  crypto_auth_hmacsha256_update(&st, (const unsigned char *) "csrf:", 5);
  crypto_auth_hmacsha256_update(&st, (const unsigned char *) cookie,
    strlen(cookie));
  crypto_auth_hmacsha256_final(&st, mac);
  sodium_bin2base64(b64, sizeof(b64), mac, sizeof(mac),
    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  snprintf(out, outlen, "%.32s", b64);
}

void
kc_http_csrf_field(const struct kc_http_req *req, struct kc_http_resp *resp,
  char *out, size_t outlen)
{
  unsigned char raw[18];
  char cookie[32];

  if (req->csrf_cookie[0] != '\0') {
    csrf_for(req->http, req->csrf_cookie, out, outlen);
    return;
  }
  randombytes_buf(raw, sizeof(raw));
  sodium_bin2base64(cookie, sizeof(cookie), raw, sizeof(raw),
    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  /* Secure once the portal is served over https (TLS ends at the proxy) */
  snprintf(resp->set_cookie, sizeof(resp->set_cookie),
    "kc_csrf=%s; Path=/; HttpOnly; SameSite=Strict%s", cookie,
    req->http->cfg.public_url != NULL &&
        strncmp(req->http->cfg.public_url, "https:", 6) == 0
      ? "; Secure"
      : "");
  csrf_for(req->http, cookie, out, outlen);
}

int
kc_http_csrf_check(const struct kc_http_req *req)
{
  const char *field = kc_form_get(&req->body, "csrf");
  char want[40];

  if (field == NULL || req->csrf_cookie[0] == '\0')
    return -1;
  csrf_for(req->http, req->csrf_cookie, want, sizeof(want));
  if (strlen(field) != strlen(want) ||
    sodium_memcmp(field, want, strlen(want)) != 0)
    return -1;
  return 0;
}

/* ------------------------------------------------------------- requests */

/* The kc_csrf cookie value, when it looks like one of ours. */
static void
read_cookie(struct MHD_Connection *c, char *out, size_t outlen)
{
  const char *v = MHD_lookup_connection_value(c, MHD_COOKIE_KIND, "kc_csrf");
  size_t i;

  out[0] = '\0';
  if (v == NULL || strlen(v) >= outlen || strlen(v) < 16)
    return;
  for (i = 0; v[i] != '\0'; i++) {
    char ch = v[i];
    if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
          (ch >= '0' && ch <= '9') || ch == '-' || ch == '_'))
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

/* Every X-Forwarded-For header line, joined with commas in their order
 * (RFC 9110 5.3); over the cap the buffer empties itself and too_large
 * is set. */
struct xff_collect {
  struct kc_buf *b;
  bool too_large;
};

static enum MHD_Result
collect_xff(void *cls, enum MHD_ValueKind kind, const char *key,
  const char *value)
{
  struct xff_collect *x = cls;

  (void) kind;
  if (x->too_large || key == NULL || value == NULL ||
    strcasecmp(key, "X-Forwarded-For") != 0)
    return MHD_YES;
  if ((kc_buf_len(x->b) > 0 && kc_buf_add_str(x->b, ",") != 0) ||
    kc_buf_add_str(x->b, value) != 0) {
    x->too_large = true;
    return MHD_NO;
  }
  return MHD_YES;
}

/* The reasons an X-Forwarded-For value is not used, by index. */
static const char *const xff_reasons[] = {"every entry is a trusted proxy",
  "too long or too many trusted hops", "malformed entry"};

static size_t
xff_reason(int r)
{
  return r == KC_ERR_NOT_FOUND ? 0 : r == KC_ERR_TOO_LARGE ? 1 : 2;
}

/* Any client behind the proxy can send a bad header with every request:
 * each reason is a warning at most once a minute, else a debug line. */
static bool
xff_warn_now(size_t reason)
{
  static _Atomic int64_t last[3];
  int64_t now = kc_io_now_ms(), t = atomic_load(&last[reason]);

  return (t == 0 || now - t >= 60000) &&
    atomic_compare_exchange_strong(&last[reason], &t, now);
}

#define XFF_LOG(reason, fmt, ...) \
  do { \
    if (xff_warn_now(reason)) \
      kc_log_warnx(fmt, __VA_ARGS__); \
    else \
      kc_log_debug("again: " fmt, __VA_ARGS__); \
  } while (0)

/* The client behind a trusted proxy, or the peer when X-Forwarded-For
 * cannot say: one log line then, naming the peer and the reason, never
 * the header's content. */
static void
forwarded_client(struct MHD_Connection *c, const struct kc_netaddr_list *tl,
  const struct kc_netaddr *peer, struct kc_netaddr *client)
{
  struct kc_buf b;
  struct xff_collect x = {&b, false};
  char ptext[KC_NETADDR_STRLEN];
  size_t hops = 0;
  int r;

  *client = *peer;
  kc_buf_init(&b, KC_MAX_HTTP_HEADER);
  (void) MHD_get_connection_values(c, MHD_HEADER_KIND, collect_xff, &x);
  kc_netaddr_format(peer, ptext);
  if (x.too_large) {
    XFF_LOG(1, "X-Forwarded-For unusable, using the proxy address; "
      "peer=%s reason=\"%s\"", ptext, xff_reasons[1]);
  } else if (kc_buf_len(&b) == 0) {
    kc_log_debug("no X-Forwarded-For from a trusted proxy, using its "
      "address; peer=%s", ptext);
  } else if ((r = kc_netaddr_xff_client(client, &hops, tl, kc_buf_get(&b),
                kc_buf_len(&b))) != 0) {
    *client = *peer;
    XFF_LOG(xff_reason(r), "X-Forwarded-For unusable, using the proxy "
      "address; peer=%s reason=\"%s\" entry=%zu len=%zu", ptext,
      xff_reasons[xff_reason(r)], hops, kc_buf_len(&b));
  }
  kc_buf_free(&b);
}

/* req->client: the TCP peer; behind a trusted proxy the client that
 * X-Forwarded-For names. From an untrusted peer the header is ignored,
 * so nobody can choose the address their limits are counted under. An
 * IPv6 client is counted by its /64 (kc_netaddr_limit_key). */
static void
client_address(struct kc_http *h, struct MHD_Connection *c, char *out,
  size_t outlen)
{
  const union MHD_ConnectionInfo *ci =
    MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
  const struct sockaddr *sa = ci != NULL ? ci->client_addr : NULL;
  const struct kc_netaddr_list *tl = h->cfg.trusted_proxies;
  struct kc_netaddr peer, client;
  char text[KC_NETADDR_KEYLEN];

  snprintf(out, outlen, "unknown");
  if (sa == NULL || kc_netaddr_from_sockaddr(&peer, sa) != 0)
    return;
  client = peer;
  if (tl != NULL && tl->n > 0 && kc_netaddr_list_match(tl, &peer))
    forwarded_client(c, tl, &peer, &client);
  kc_netaddr_limit_key(&client, text);
  snprintf(out, outlen, "%s", text);
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

static void
not_found(struct kc_http_resp *resp)
{
  resp->status = 404;
  resp->content_type = "text/plain; charset=utf-8";
  if (kc_buf_add_str(&resp->body, "not found\n") != 0)
    resp->status = 500;
}

/* /healthz: 200 while the service DN can bind, else 503; the reason only
 * where detail is wanted (the metrics listener). */
static void
healthz(struct kc_http *h, struct kc_http_resp *resp, bool detail)
{
  struct kc_ldap *l = kc_http_ldap_get(h);

  resp->status = kc_ldap_ping(l) == 0 ? 200 : 503;
  kc_http_ldap_put(h, l);
  resp->content_type = "text/plain; charset=utf-8";
  if (kc_buf_add_str(&resp->body, resp->status == 200 ? "ok\n"
                       : detail                       ? "ldap down\n"
                                                      : "unavailable\n") != 0)
    resp->status = 500;
}

/* The metrics listener: nothing else is there. */
static void
route_private(struct kc_http_req *req, struct kc_http_resp *resp)
{
  if (strcmp(req->path, "/metrics") == 0)
    metrics(req->http, resp);
  else if (strcmp(req->path, "/healthz") == 0)
    healthz(req->http, resp, true);
  else
    not_found(resp);
}

static void
route(struct kc_http_req *req, struct kc_http_resp *resp)
{
  if (strcmp(req->path, "/register") == 0) {
    kc_http_register(req, resp);
  } else if (strcmp(req->path, "/activate") == 0) {
    kc_http_activate(req, resp);
  } else if (strcmp(req->path, "/account/credentials") == 0) {
    kc_http_credentials(req, resp);
  } else if (strcmp(req->path, "/static/kc.css") == 0) {
    resp->content_type = "text/css; charset=utf-8";
    resp->status = kc_buf_add_str(&resp->body, kc_http_css) == 0 ? 200 : 500;
  } else if (strcmp(req->path, "/healthz") == 0) {
    healthz(req->http, resp, false);
  } else if (kc_captcha_http_route(req, resp)) {
    /* served */
  } else if (strcmp(req->path, "/") == 0) {
    resp->status = 303;
    snprintf(resp->location, sizeof(resp->location), "/register");
  } else {
    not_found(resp); /* /metrics too: it is on the metrics listener */
  }
}

static void
add_headers(struct MHD_Response *r, const struct kc_http_resp *resp)
{
  char retry[16];

  MHD_add_response_header(r, "Content-Type", resp->content_type != NULL
      ? resp->content_type
      : "text/html; charset=utf-8");
  MHD_add_response_header(r, "Content-Security-Policy",
    resp->allow_script
      ? "default-src 'none'; style-src 'self'; img-src 'self'; "
        "script-src 'self'; connect-src 'self'; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'"
      : "default-src 'none'; style-src 'self'; img-src 'self'; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'");
  MHD_add_response_header(r, "X-Frame-Options", "DENY");
  MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
  MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
  MHD_add_response_header(r, "Cache-Control",
    resp->no_store ? "no-store" : "no-cache");
  if (resp->location[0] != '\0')
    MHD_add_response_header(r, "Location", resp->location);
  if (resp->set_cookie[0] != '\0')
    MHD_add_response_header(r, "Set-Cookie", resp->set_cookie);
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
    (void *) (uintptr_t) kc_buf_get(&resp->body), MHD_RESPMEM_MUST_COPY);
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
  client_address(h, c, req->client, sizeof(req->client));
  read_cookie(c, req->csrf_cookie, sizeof(req->csrf_cookie));
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
    if (li->private)
      route_private(&req, &resp);
    else
      route(&req, &resp);
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
    return inet_pton(AF_INET6, host, &s6->sin6_addr) == 1 ? 0
                                                           : KC_ERR_INVALID;
  }
  {
    struct sockaddr_in *s4 = (struct sockaddr_in *) ss;
    s4->sin_family = AF_INET;
    s4->sin_port = htons((uint16_t) port);
    return inet_pton(AF_INET, host, &s4->sin_addr) == 1 ? 0 : KC_ERR_INVALID;
  }
}

static void
init_locks(struct kc_http *h)
{
  size_t i;

  pthread_mutex_init(&h->pool_mu, NULL);
  pthread_cond_init(&h->pool_cv, NULL);
  pthread_mutex_init(&h->count_mu, NULL);
  pthread_mutex_init(&h->q_mu, NULL);
  pthread_cond_init(&h->q_cv, NULL);
  for (i = 0; i < KC_HTTP_LDAP_POOL; i++)
    kc_ldap_init(&h->ldap[i], h->cfg.ldap);
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
  return listen_on(cfg->listen_host, cfg->listen_port, cfg->listen_family,
    fd);
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
    on_request, &h->priv, MHD_OPTION_LISTEN_SOCKET, h->cfg.metrics_fd,
    MHD_OPTION_CONNECTION_LIMIT, (unsigned) KC_HTTP_METRICS_MAX_CONNS,
    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned) KC_HTTP_TIMEOUT_S,
    MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t) (2 * KC_MAX_HTTP_HEADER + 4096),
    MHD_OPTION_NOTIFY_COMPLETED, on_completed, h, MHD_OPTION_END);
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
  init_locks(h);
  if (kc_ratelimit_new(&h->rate, KC_RATELIMIT_SLOTS) != 0) {
    kc_http_stop(h);
    return KC_ERR_NOMEM;
  }
  if (cfg->listen_family == AF_INET6)
    flags |= MHD_USE_IPv6;
  if (pthread_create(&h->q_thread, NULL, queue_main, h) != 0) {
    kc_http_stop(h);
    return KC_ERR_SYSTEM;
  }
  h->q_started = true;
  /* Behind a proxy every connection has its address: the per-address
   * cap would throttle the whole site, so only the total applies. */
  per_ip = cfg->trusted_proxies != NULL && cfg->trusted_proxies->n > 0
    ? (unsigned) KC_HTTP_MAX_CONNS
    : (unsigned) KC_HTTP_MAX_CONNS_PER_IP;
  h->mhd = MHD_start_daemon(flags, (uint16_t) cfg->listen_port, NULL, NULL,
    on_request, &h->pub, MHD_OPTION_LISTEN_SOCKET, cfg->listen_fd,
    MHD_OPTION_CONNECTION_LIMIT, (unsigned) KC_HTTP_MAX_CONNS,
    MHD_OPTION_PER_IP_CONNECTION_LIMIT, per_ip,
    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned) KC_HTTP_TIMEOUT_S,
    MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t) (2 * KC_MAX_HTTP_HEADER + 4096),
    MHD_OPTION_NOTIFY_COMPLETED, on_completed, h, MHD_OPTION_END);
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
  size_t i;

  if (h == NULL)
    return;
  if (h->metrics_mhd != NULL)
    MHD_stop_daemon(h->metrics_mhd);
  if (h->mhd != NULL)
    MHD_stop_daemon(h->mhd);
  if (h->q_started) {
    pthread_mutex_lock(&h->q_mu);
    h->q_stop = true;
    pthread_cond_signal(&h->q_cv);
    pthread_mutex_unlock(&h->q_mu);
    pthread_join(h->q_thread, NULL);
  }
  for (i = 0; i < KC_HTTP_LDAP_POOL; i++)
    kc_ldap_close(&h->ldap[i]);
  kc_ratelimit_free(h->rate);
  free(h);
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
      : v == KC_USERNAME_LOCAL ? "local" : "unchecked",
    req->client);
  return true;
}
