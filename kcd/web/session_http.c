/*
 * session_http.c: the web session of the account pages on top of
 * session.h: the cookie, the account it names read afresh on every
 * request, the stamp, and CSRF fields bound to the session (http.h).
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "http.h"
#include "http_page.h"
#include "kc_err.h"
#include "kc_str.h"
#include "lockout.h"
#include "log.h"

static bool
secure(const struct kc_http_req *req)
{
  const char *u = kc_http_cfg(req->http)->public_url;

  return u != NULL && strncmp(u, "https:", 6) == 0;
}

int
kc_http_session_get(const struct kc_http_req *req, struct kc_ldap *l,
                    struct kc_ldap_user *u, struct kc_session *s)
{
  const struct kc_http_cfg *cfg = kc_http_cfg(req->http);
  struct kc_session_binding b;
  enum kc_session_state st;
  struct kc_session peek;
  int r;

  memset(s, 0, sizeof(*s));
  memset(u, 0, sizeof(*u));
  if (req->session_cookie[0] == '\0' ||
      kc_session_parse(req->session_cookie, &peek) != 0)
    return KC_ERR_NOT_FOUND;
  if ((r = kc_ldap_find_user_by(l, KC_BY_UUID, peek.uuid, u)) != 0)
    return r == KC_ERR_UNAVAILABLE ? r : KC_ERR_NOT_FOUND;
  b.stamp = u->stamp;
  b.pwd_changed = u->pwd_changed;
  st = kc_session_check(req->session_cookie, cfg->key, &b, time(NULL),
                        cfg->session_idle, cfg->session_max, s);
  /* a lock (ppolicy's or an administrator's) ends the session too, and
   * so does an account an administrator made change its password */
  if (st == KC_SESSION_OK &&
      (u->locked_time[0] != '\0' || u->must_change || u->first_login)) {
    /* and for good: a lock that ends (ppolicy's after its time, an
     * unlock) must not bring this cookie back */
    (void) kc_http_session_end(req, NULL, l, u);
    st = KC_SESSION_BAD;
  }
  if (st != KC_SESSION_OK) {
    memset(u, 0, sizeof(*u));
    memset(s, 0, sizeof(*s));
    return KC_ERR_NOT_FOUND;
  }
  return 0;
}

int
kc_http_session_put(const struct kc_http_req *req, struct kc_http_resp *resp,
                    struct kc_ldap *l, struct kc_ldap_user *u,
                    const struct kc_session *s, bool factor)
{
  const struct kc_http_cfg *cfg = kc_http_cfg(req->http);
  char cookie[KC_SESSION_COOKIE_MAX + 1];
  struct kc_session_binding b;
  struct kc_session n;
  time_t now = time(NULL);
  int r;

  if (u->stamp[0] == '\0') {
    char stamp[KC_SESSION_STAMP_LEN + 1];

    kc_session_new_stamp(stamp);
    if ((r = kc_ldap_set_stamp(l, u->dn, stamp)) != 0)
      return r;
    memcpy(u->stamp, stamp, sizeof(stamp));
  }
  memset(&n, 0, sizeof(n));
  if (s != NULL) {
    n = *s;
  } else {
    if (strlen(u->uuid) != KC_SESSION_UUID_LEN)
      return KC_ERR_INVALID;
    memcpy(n.uuid, u->uuid, KC_SESSION_UUID_LEN + 1);
    n.issued = now;
    n.factor_at = factor ? now : 0;
  }
  n.used = now < n.issued ? n.issued : now;
  b.stamp = u->stamp;
  b.pwd_changed = u->pwd_changed;
  if ((r = kc_session_make(cookie, cfg->key, &n, &b)) != 0)
    return r;
  snprintf(resp->set_session, sizeof(resp->set_session),
           "kc_session=%s; Path=/account; Max-Age=%u; HttpOnly; "
           "SameSite=Strict%s",
           cookie, cfg->session_max, secure(req) ? "; Secure" : "");
  return 0;
}

void
kc_http_session_clear(const struct kc_http_req *req, struct kc_http_resp *resp)
{
  snprintf(resp->set_session, sizeof(resp->set_session),
           "kc_session=; Path=/account; Max-Age=0; HttpOnly; "
           "SameSite=Strict%s",
           secure(req) ? "; Secure" : "");
}

int
kc_http_session_end(const struct kc_http_req *req, struct kc_http_resp *resp,
                    struct kc_ldap *l, const struct kc_ldap_user *u)
{
  char stamp[KC_SESSION_STAMP_LEN + 1];
  int r;

  kc_session_new_stamp(stamp);
  r = kc_ldap_set_stamp(l, u->dn, stamp);
  if (r != 0)
    kc_log_warnx("sessions not ended: %s; user=%s", kc_ldap_error(l), u->uid);
  if (resp != NULL)
    kc_http_session_clear(req, resp);
  return r;
}

void
kc_http_session_csrf(const struct kc_http_req *req, const struct kc_session *s,
                     char out[KC_SESSION_CSRF_LEN + 1])
{
  kc_session_csrf(out, kc_http_cfg(req->http)->key, s);
}

int
kc_http_session_csrf_check(const struct kc_http_req *req,
                           const struct kc_session *s)
{
  const char *field = kc_form_get(&req->body, "csrf");
  char want[KC_SESSION_CSRF_LEN + 1];

  if (field == NULL)
    return -1;
  kc_session_csrf(want, kc_http_cfg(req->http)->key, s);
  if (strlen(field) != KC_SESSION_CSRF_LEN ||
      sodium_memcmp(field, want, KC_SESSION_CSRF_LEN) != 0)
    return -1;
  return 0;
}

bool
kc_http_back_allowed(const struct kc_http_cfg *cfg, const char *back)
{
  size_t i, n;

  if (back[0] == '\0')
    return false;
  if (back[0] == '/' && back[1] != '/' && back[1] != '\\')
    return kc_str_is_printable(back, strlen(back), false);
  for (i = 0; i < cfg->allowed_origins_n; i++) {
    n = strlen(cfg->allowed_origins[i]);
    if (strncmp(back, cfg->allowed_origins[i], n) == 0 &&
        (back[n] == '/' || back[n] == '\0') &&
        kc_str_is_printable(back, strlen(back), false))
      return true;
  }
  return false;
}

/* ------------------------------------------------ pages in a session */

void
kc_http_plain(struct kc_http_resp *resp, unsigned status, const char *text)
{
  resp->status = status;
  resp->content_type = "text/plain; charset=utf-8";
  kc_buf_reset(&resp->body);
  (void) !kc_buf_add_str(&resp->body, text);
}

/* kcTanMethod totp without a secret (kcadm account set-tan USER totp):
 * the app is enrolled before anything else. true (resp filled, the LDAP
 * handle given back) when this page is not the enrolment. */
static bool
enrol_first(struct kc_http_req *req, struct kc_http_resp *resp,
            struct kc_http_acct *a)
{
  if (strcmp(a->u.tan_method, "totp") != 0 || a->u.totp_enrolled ||
      strcmp(req->path, "/account/second-factor") == 0)
    return false;
  kc_http_ldap_put(req->http, a->l);
  if (req->json) {
    resp->status = kc_page_json(resp, "enrol_required", NULL) == 0 ? 403 : 500;
    return true;
  }
  resp->status = 303;
  snprintf(resp->location, sizeof(resp->location), "%s",
           req->english ? "/account/second-factor?lang=en"
                        : "/account/second-factor");
  return true;
}

/* Open the session of req: false (resp filled) when there is none, or a
 * POST without the session's CSRF field. */
bool
kc_http_too_many(struct kc_http_resp *resp, unsigned wait)
{
  if (wait == 0)
    return false;
  resp->retry_after = wait;
  kc_http_plain(resp, 429, "too many attempts\n");
  return true;
}

bool
kc_http_acct_open(struct kc_http_req *req, struct kc_http_resp *resp,
                  struct kc_http_acct *a)
{
  int r;

  memset(a, 0, sizeof(*a));
  resp->no_store = true; /* every page of a session is the user's alone */
  if (strcmp(req->method, "POST") == 0 && req->body_bad) {
    kc_http_plain(resp, 400, "invalid request\n");
    return false;
  }
  a->l = kc_http_ldap_get(req->http);
  r = kc_http_session_get(req, a->l, &a->u, &a->s);
  if (r == 0 && strcmp(req->method, "POST") == 0 &&
      kc_http_session_csrf_check(req, &a->s) != 0) {
    kc_http_ldap_put(req->http, a->l);
    kc_http_plain(resp, 403, "invalid request or expired form\n");
    return false;
  }
  if (r != 0) {
    kc_http_ldap_put(req->http, a->l);
    if (r == KC_ERR_UNAVAILABLE) {
      kc_http_plain(resp, 503, "service unavailable\n");
      return false;
    }
    /* a stale cookie goes; the browser logs in again */
    if (req->session_cookie[0] != '\0')
      kc_http_session_clear(req, resp);
    if (req->json) {
      resp->status =
        kc_page_json(resp, "login_required", NULL) == 0 ? 401 : 500;
      return false;
    }
    resp->status = 303;
    snprintf(resp->location, sizeof(resp->location), "%s",
             req->english ? "/account/login?lang=en" : "/account/login");
    return false;
  }
  kc_http_session_csrf(req, &a->s, a->csrf);
  return !enrol_first(req, resp, a);
}

/* Refresh the cookie (the idle clock starts again) and give the LDAP
 * handle back. */
void
kc_http_acct_close(struct kc_http_req *req, struct kc_http_resp *resp,
                   struct kc_http_acct *a)
{
  struct kc_session s = a->s;

  if (a->factor_now)
    s.factor_at = time(NULL);
  if (kc_http_session_put(req, resp, a->l, &a->u, &s, false) != 0)
    kc_http_session_clear(req, resp);
  kc_http_ldap_put(req->http, a->l);
}

/* ------------------------------------------------------ lockout notice */

static void
notice_job(struct kc_http *h, void *arg)
{
  const struct kc_ldap_user *u = arg;
  struct kc_ldap *l = kc_http_ldap_get(h);

  kc_lockout_notice(l, kc_http_cfg(h)->notify, u);
  kc_http_ldap_put(h, l);
}

void
kc_http_lockout_notice(const struct kc_http_req *req,
                       const struct kc_ldap_user *before)
{
  struct kc_ldap_user *copy;

  if (before->locked_time[0] != '\0')
    return; /* locked already: this failure did not lock it */
  if ((copy = malloc(sizeof(*copy))) != NULL) {
    memcpy(copy, before, sizeof(*copy));
    if (kc_http_defer(req->http, notice_job, copy, free))
      return;
  }
  kc_log_warnx("lockout check not queued; user=%s", before->uid);
}
