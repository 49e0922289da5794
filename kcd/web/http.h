/*
 * http.h: kcd's web front (libmicrohttpd): self-registration, activation,
 * health and metrics. TLS is terminated by the reverse proxy in front.
 *
 * /metrics and the detailed /healthz are served on a second, private
 * listener (metrics_listen, loopback only), never on the public one.
 *
 * Every answer carries the security headers (CSP, no framing,
 * Referrer-Policy: no-referrer, nosniff); form pages are not cached. Bodies
 * are capped (KC_MAX_HTTP_BODY), connections limited in number, per client
 * address and in time. Pages are German by default, English with
 * Accept-Language or ?lang=en, and every endpoint answers JSON when asked
 * with Accept: application/json.
 *
 * Page handlers (pages.h) see a struct kc_http_req and fill a struct
 * kc_http_resp; the route table (routes.c) names them, and the core
 * (http.c) dispatches through it (route.h), so it knows no page. Only
 * http.c and xff.c talk to libmicrohttpd. The functions below are
 * grouped by the file that holds them.
 */
#ifndef KC_HTTP_H
#define KC_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "form.h"
#include "kc_attrs.h"
#include "kc_buf.h"
#include "kc_ldap.h"
#include "netaddr.h"
#include "session.h"
#include "notify.h"
#include "tan.h"
#include "username.h"

struct kc_captcha;
struct kc_http;
struct kc_ratelimit;

/* Connections at once (fewer when the descriptor limit is lower: see
 * kc_http_max_conns), per client address, and how long one may idle. A
 * connection costs a descriptor and its buffers, never a thread: the
 * polling threads (KC_HTTP_POLL_THREADS, epoll) only move bytes, and a
 * complete request runs on one of KC_HTTP_HANDLERS handler threads while
 * its connection is suspended. */
#define KC_HTTP_MAX_CONNS        4096
#define KC_HTTP_MAX_CONNS_PER_IP 32
#define KC_HTTP_TIMEOUT_S        15
#define KC_HTTP_POLL_THREADS     2
#define KC_HTTP_HANDLERS         16
/* Cap of a response page. */
#define KC_HTTP_MAX_PAGE (128 * 1024)

enum kc_http_captcha {
  KC_HTTP_CAPTCHA_IMAGE,
  KC_HTTP_CAPTCHA_POW,
  KC_HTTP_CAPTCHA_NONE
};

/* Settings; strings are owned by the configuration. */
struct kc_http_cfg {
  const char *listen_host;
  unsigned listen_port;
  int listen_family;
  int listen_fd; /* from kc_http_listen() */
  /* metrics_listen: the private listener for /metrics and the detailed
   * /healthz; metrics_port 0: none. The public one answers /metrics with
   * 404 and /healthz with its status only. */
  const char *metrics_host;
  unsigned metrics_port;
  int metrics_family;
  int metrics_fd;         /* from kc_http_listen_metrics(); -1: none */
  const char *public_url; /* may be NULL: then no mail links */
  const char *login_url;  /* may be NULL */
  const char *portal_name;
  enum kc_http_captcha captcha;
  unsigned activation_ttl;
  unsigned reset_ttl;          /* seconds a reset link lives */
  unsigned session_idle;       /* web session: idle limit, seconds */
  unsigned session_max;        /* and absolute limit */
  unsigned invite_max_pending; /* open invitations per customer */
  unsigned password_min_length;
  unsigned country_code;
  const unsigned char *key; /* 32 bytes: CSRF, tokens, TAN hashes */
  const struct kc_tan_policy *tan_policy;
  const char *const *allowed_origins; /* allowed_back_origins */
  size_t allowed_origins_n;
  /* trusted_proxies: a request whose TCP peer is in this list takes its
   * client address from X-Forwarded-For (netaddr.h); NULL or empty: the
   * peer is the client and X-Forwarded-For is ignored. */
  const struct kc_netaddr_list *trusted_proxies;
  const struct kc_ldap_cfg *ldap;
  const struct kc_notify *notify;
  struct kc_captcha *captcha_store; /* NULL unless captcha is image/pow */
  /* reserved_usernames_file, loaded: names no account may take (with the
   * host's own accounts, username.h). NULL: no list. */
  const struct kc_username_list *reserved;
};

/* One request as the handlers see it. */
struct kc_http_req {
  const char *method;
  const char *path;
  bool english;
  bool json;       /* Accept: application/json */
  char client[64]; /* the client as rate limits count it: the
                    * peer, or X-Forwarded-For behind a trusted
                    * proxy; an IPv4 address, or an IPv6 /64
                    * (kc_netaddr_limit_key form) */
  struct kc_form query;
  struct kc_form body;  /* POST form (empty otherwise) */
  bool body_bad;        /* the body could not be parsed */
  char csrf_cookie[64]; /* value of the kc_csrf cookie, "" if none */
  char session_cookie[KC_SESSION_COOKIE_MAX + 1]; /* kc_session, "" if none */
  struct kc_http *http;
};

struct kc_http_resp {
  unsigned status;
  const char *content_type;
  struct kc_buf body;
  char location[1024];   /* for 3xx */
  unsigned retry_after;  /* for 429 */
  char set_cookie[160];  /* kc_csrf */
  char set_session[384]; /* kc_session (session_http.c) */
  bool no_store;         /* Cache-Control: no-store */
  bool allow_script;     /* CSP allows our own scripts (pow captcha) */
  bool allow_data_img;   /* CSP allows data: images (the QR code, qr.h) */
};

/* Create the listening socket (before privileges are dropped): *fd. 0 or
 * KC_ERR_SYSTEM (errno kept) / KC_ERR_INVALID. */
int kc_http_listen(const struct kc_http_cfg *cfg, int *fd) KC_MUST_USE
  KC_NONNULL(1, 2);

/* The same for the metrics listener: *fd is -1 (and 0 returned) when
 * cfg->metrics_port is 0. */
int kc_http_listen_metrics(const struct kc_http_cfg *cfg, int *fd) KC_MUST_USE
  KC_NONNULL(1, 2);

/* Start serving on cfg->listen_fd (and cfg->metrics_fd unless -1) in
 * libmicrohttpd's polling threads and our handler threads; raises the
 * soft descriptor limit for KC_HTTP_MAX_CONNS where the hard one allows.
 * 0 or a negative KC_ERR_*. */
int kc_http_start(struct kc_http **out,
                  const struct kc_http_cfg *cfg) KC_MUST_USE KC_NONNULL(1, 2);
/* Stop accepting, finish requests, free. NULL is fine. */
void kc_http_stop(struct kc_http *h);

/* Web connections this instance takes at once (KC_HTTP_MAX_CONNS, or
 * fewer under a lower descriptor limit). */
unsigned kc_http_max_conns(const struct kc_http *h) KC_NONNULL(1);

/* ------------------------------------------------ for the handlers */

/* http.c */

const struct kc_http_cfg *kc_http_cfg(const struct kc_http *h) KC_NONNULL(1);

/* Borrow an LDAP handle from the pool (ldappool.h; waits when all are in
 * use) and give it back. */
struct kc_ldap *kc_http_ldap_get(struct kc_http *h) KC_NONNULL(1);
void kc_http_ldap_put(struct kc_http *h, struct kc_ldap *l) KC_NONNULL(1, 2);

/* csrf.c */

/* The CSRF field value for this request (derived from its cookie; a new
 * cookie is set on resp when the request had none). */
void kc_http_csrf_field(const struct kc_http_req *req,
                        struct kc_http_resp *resp, char *out, size_t outlen)
  KC_NONNULL(1, 2, 3);
/* Does the POSTed csrf field match the cookie? 0 or -1. */
int kc_http_csrf_check(const struct kc_http_req *req) KC_NONNULL(1);

/* http.c (the table is ratelimit.c's) */

/* Rate limit: may key (e.g. "reg-ip:192.0.2.1") act again now? At most
 * burst actions, refilled at one per per_seconds. 0, or the seconds to
 * wait. */
unsigned kc_http_rate(struct kc_http *h, const char *key, unsigned burst,
                      unsigned per_seconds) KC_NONNULL(1, 2);

/* The German or the English text, as the request asks. */
const char *kc_http_tr(const struct kc_http_req *req, const char *de,
                       const char *en) KC_NONNULL(1, 2, 3);

/* token.c */

/* A new random token or id: bytes (at most 32) random bytes as unpadded
 * base64url into out (outlen >= 4 * bytes / 3 + 2). Wipe out after use
 * when it is a secret. */
void kc_http_token_new(char *out, size_t outlen, size_t bytes) KC_NONNULL(1);

/* The stored form of an activation token: base64(SHA-256(token)). A
 * 256-bit random token needs no salt or key. */
void kc_http_token_hash(const char *token, char out[64]) KC_NONNULL(1, 2);

/* http.c (metrics.c, jobs.c) */

/* Count an event for /metrics (name must be a static string). Only the
 * metrics listener shows counters; still, never count outcomes apart
 * that a client must not learn (a registration's match). */
void kc_http_count(struct kc_http *h, const char *name) KC_NONNULL(1, 2);

/* Run fn(arg) on the background thread (registration mails); the queue
 * is bounded: false when it is full. arg is freed with free_fn. */
bool kc_http_defer(struct kc_http *h, void (*fn)(struct kc_http *, void *),
                   void *arg, void (*free_fn)(void *)) KC_NONNULL(1, 2);

/* May no account take name (a valid user name)? true when it is reserved
 * or an account of this host (kc_username_check), logged with the reason;
 * the page must answer as for a taken name. A name equal to current but
 * for case (a rename of the same account; current may be NULL) is not
 * checked. */
bool kc_http_username_refused(const struct kc_http_req *req, const char *name,
                              const char *current) KC_NONNULL(1, 2);

/* http_credentials.c */

/* Mail to (the account uid's address) that changes were made (a list of
 * lines, no secrets). Failures are logged. "" to: nothing. */
void kc_http_change_notice(const struct kc_http_req *req, const char *to,
                           const char *uid, const char *changes)
  KC_NONNULL(1, 2, 3, 4);

/* session_http.c: the web session of the account pages (session.h) */

/* The account signed in by req's kc_session cookie, read afresh through
 * l: 0 with u and s filled; KC_ERR_NOT_FOUND when there is none (no
 * cookie, forged, idle, expired, ended by a password change, reset or
 * logout, the account locked, changed into a must-change one, or gone);
 * KC_ERR_UNAVAILABLE. */
int kc_http_session_get(const struct kc_http_req *req, struct kc_ldap *l,
                        struct kc_ldap_user *u,
                        struct kc_session *s) KC_MUST_USE
  KC_NONNULL(1, 2, 3, 4);

/* Set the kc_session cookie on resp for u: a new session (s NULL: the
 * login, the second factor proven now when factor is true) or s carried
 * on (its last use now). Gives u a kcSessionStamp first when it has none.
 * 0 or KC_ERR_*; on failure no cookie is set. */
int kc_http_session_put(const struct kc_http_req *req,
                        struct kc_http_resp *resp, struct kc_ldap *l,
                        struct kc_ldap_user *u, const struct kc_session *s,
                        bool factor) KC_MUST_USE KC_NONNULL(1, 2, 3, 4);

/* End every session of u (a new kcSessionStamp) and, when resp is not
 * NULL, delete the cookie in this browser. 0 or KC_ERR_*. */
int kc_http_session_end(const struct kc_http_req *req,
                        struct kc_http_resp *resp, struct kc_ldap *l,
                        const struct kc_ldap_user *u) KC_NONNULL(1, 3, 4);

/* Delete the cookie in this browser only. */
void kc_http_session_clear(const struct kc_http_req *req,
                           struct kc_http_resp *resp) KC_NONNULL(1, 2);

/* The CSRF field of forms in session s, and the check of a POST against
 * it (0 or -1): bound to the session, so a field from another session or
 * from before a new login fails. */
void kc_http_session_csrf(const struct kc_http_req *req,
                          const struct kc_session *s,
                          char out[KC_SESSION_CSRF_LEN + 1])
  KC_NONNULL(1, 2, 3);
int kc_http_session_csrf_check(const struct kc_http_req *req,
                               const struct kc_session *s) KC_NONNULL(1, 2);

/* One request of a page inside a session (kc_http_acct_open). */
struct kc_http_acct {
  struct kc_ldap *l; /* borrowed from the pool until kc_http_acct_close */
  struct kc_ldap_user u;
  struct kc_session s;
  char csrf[KC_SESSION_CSRF_LEN + 1]; /* the session's CSRF field */
  bool factor_now; /* the second factor was proven in this request */
};

/* Open the session of req for a page: false (resp filled: 303 to the
 * login, JSON 401, 403 for a POST without the session's CSRF field, 400,
 * 503) when there is none. A totp account without its app's secret
 * opens only /account/second-factor: other pages answer 303 there (JSON
 * 403 "enrol_required"). */
bool kc_http_acct_open(struct kc_http_req *req, struct kc_http_resp *resp,
                       struct kc_http_acct *a) KC_NONNULL(1, 2, 3);

/* Refresh the cookie (the idle clock starts again; factor_now marks the
 * second factor proven now) and give the LDAP handle back. */
void kc_http_acct_close(struct kc_http_req *req, struct kc_http_resp *resp,
                        struct kc_http_acct *a) KC_NONNULL(1, 2, 3);

/* A plain-text answer (replacing any body). */
void kc_http_plain(struct kc_http_resp *resp, unsigned status, const char *text)
  KC_NONNULL(1, 3);

/* The Content-Security-Policy header of resp (a static string): our own
 * styles and images only; with allow_script our own scripts too, with
 * allow_data_img data: images too (the QR code, qr.h). */
const char *kc_http_csp(const struct kc_http_resp *resp) KC_NONNULL(1);

/* The answer to a rate-limited request: 429 with Retry-After wait (the
 * seconds kc_http_rate() gave). true when wait is not 0, i.e. when resp
 * is the answer. */
bool kc_http_too_many(struct kc_http_resp *resp, unsigned wait) KC_NONNULL(1);

/* A bind as before (the account as read before it) failed with a wrong
 * password: kc_lockout_notice() on the background thread, so the answer
 * costs what it costs for a name that does not exist (no extra LDAP
 * read, no mail while the browser waits). */
void kc_http_lockout_notice(const struct kc_http_req *req,
                            const struct kc_ldap_user *before) KC_NONNULL(1, 2);

/* back= is a local path ("/x", not "//x") or a URL of an allowed origin
 * (allowed_back_origins). */
bool kc_http_back_allowed(const struct kc_http_cfg *cfg, const char *back)
  KC_NONNULL(1, 2);

#endif /* KC_HTTP_H */
