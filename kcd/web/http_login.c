/*
 * http_login.c: GET and POST /account/login, the web login to the account
 * pages, and POST /account/logout.
 *
 * The login is a PAM login's twin: the password is checked by a bind as
 * the user (ppolicy counts a wrong one and locks as it does for sshd),
 * then an account with a second factor gets a TAN under the same policy
 * and the same LDAP state (tanflow.h), so the web and PAM share one count
 * of sends and wrong answers. Only then does the browser get a session
 * (session_http.c). A must-change account goes to the forced change
 * (/account/credentials) instead, and comes back here.
 *
 * Unknown names, wrong passwords and locks look alike: the same text,
 * after the same work (kc_lockout_hide, the dummy argon2). The TAN step
 * carries the user name and the challenge kcd handed out after the
 * password; the challenge (128 random bits, in LDAP) is what proves it.
 */
#include <config.h>

#include <stdio.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "http.h"
#include "http_page.h"
#include "kc_err.h"
#include "kc_limits.h"
#include "kc_str.h"
#include "lockout.h"
#include "log.h"
#include "pages.h"
#include "password.h"
#include "proof.h"
#include "tanflow.h"

/* POST per client address: a burst of 10, then one every 20 s; per
 * account: 5, then one a minute (ppolicy locks after 5 wrong anyway). */
#define KC_LOGIN_IP_BURST   10
#define KC_LOGIN_IP_PER     20
#define KC_LOGIN_USER_BURST 5
#define KC_LOGIN_USER_PER   60
#define KC_LOGIN_MAX_BACK   512
/* The ticket of the TAN step (proof.h): the password step came first, for
 * this challenge, at most this long ago. */
#define KC_LOGIN_TICKET     "kc-web-login-ticket-v1"
#define KC_LOGIN_TICKET_TTL 900

struct login_input {
  char user[KC_MAX_USERNAME + 1];
  char back[KC_LOGIN_MAX_BACK + 1];
  char challenge[KC_TAN_CHALLENGE_LEN + 1];
  char tan[KC_MAX_TAN_LENGTH + 1];
  char ticket[KC_PROOF_LEN + 1]; /* the password step's proof */
  const char *password;          /* owned by the request's form */
  char tan_dest[128];
  bool tan_step; /* show the TAN form */
  const char *e_top, *e_password, *e_tan;
};

static const char *
wrong_text(const struct kc_http_req *req)
{
  return kc_http_tr(req, "Benutzername oder Passwort ist falsch.",
                    "User name or password is wrong.");
}

/* --------------------------------------------------------------- render */

static int
render_hidden(struct kc_http_resp *resp, const char *name, const char *value)
{
  return kc_page_raw(resp, "<input type=\"hidden\" name=\"") ||
             kc_page_raw(resp, name) || kc_page_raw(resp, "\" value=\"") ||
             kc_esc_html(&resp->body, value) || kc_page_raw(resp, "\">\n")
           ? -1
           : 0;
}

static int
render_password_form(struct kc_http_req *req, struct kc_http_resp *resp,
                     const struct login_input *in, const char *csrf)
{
  struct kc_page_field f[] = {
    {"username", kc_http_tr(req, "Benutzername", "User name"), "text", in->user,
     NULL, "username", NULL, true},
    {"password", kc_http_tr(req, "Passwort", "Password"), "password", NULL,
     in->e_password, "current-password", NULL, true},
  };

  return kc_page_form_begin(resp,
                            req->english ? "/account/login?lang=en"
                                         : "/account/login",
                            csrf) ||
             render_hidden(resp, "back", in->back) ||
             kc_page_field(resp, &f[0]) || kc_page_field(resp, &f[1]) ||
             kc_page_form_end(resp, kc_http_tr(req, "Anmelden", "Log in")) ||
             kc_page_link(resp,
                          req->english ? "/account/reset?lang=en"
                                       : "/account/reset",
                          kc_http_tr(req, "Passwort vergessen?",
                                     "Forgot your password?")) ||
             kc_page_link(resp,
                          req->english ? "/register?lang=en" : "/register",
                          kc_http_tr(req, "Noch kein Zugang? Registrieren",
                                     "No login yet? Register"))
           ? -1
           : 0;
}

static int
render_tan_form(struct kc_http_req *req, struct kc_http_resp *resp,
                const struct login_input *in, const char *csrf)
{
  struct kc_page_field tan = {"tan",     "TAN",           "text",       NULL,
                              in->e_tan, "one-time-code", in->tan_dest, true};

  return kc_page_form_begin(resp,
                            req->english ? "/account/login?lang=en"
                                         : "/account/login",
                            csrf) ||
             render_hidden(resp, "back", in->back) ||
             render_hidden(resp, "username", in->user) ||
             render_hidden(resp, "challenge", in->challenge) ||
             render_hidden(resp, "ticket", in->ticket) ||
             kc_page_field(resp, &tan) ||
             kc_page_form_end(resp, kc_http_tr(req, "Bestätigen", "Confirm")) ||
             kc_page_link(resp,
                          req->english ? "/account/login?lang=en"
                                       : "/account/login",
                          kc_http_tr(req, "Neu anmelden (neue TAN)",
                                     "Log in again (new TAN)"))
           ? -1
           : 0;
}

static int
render_json(struct kc_http_req *req, struct kc_http_resp *resp,
            const struct login_input *in)
{
  char csrf[64];
  const char *kv[] = {"challenge",   in->tan_step ? in->challenge : NULL,
                      "ticket",      in->tan_step ? in->ticket : NULL,
                      "destination", in->tan_step ? in->tan_dest : NULL,
                      "csrf",        csrf,
                      "error",       in->e_top,
                      "password",    in->e_password,
                      "tan",         in->e_tan,
                      NULL};

  kc_http_csrf_field(req, resp, csrf, sizeof(csrf));
  return kc_page_json(resp,
                      in->tan_step && in->e_tan == NULL && in->e_top == NULL
                        ? "tan_required"
                        : "invalid",
                      kv);
}

/* The page for in: the password form, or the TAN form. */
static int
render(struct kc_http_req *req, struct kc_http_resp *resp,
       const struct login_input *in)
{
  const struct kc_http_cfg *cfg = kc_http_cfg(req->http);
  char csrf[64];

  if (req->json)
    return render_json(req, resp, in);
  kc_http_csrf_field(req, resp, csrf, sizeof(csrf));
  if (kc_page_begin(resp, cfg->portal_name,
                    kc_http_tr(req, "Anmeldung", "Log in"), req->english) ||
      (in->e_top != NULL && kc_page_p(resp, "error", in->e_top)))
    return -1;
  if (in->tan_step) {
    if (kc_page_p(resp, "hint",
                  kc_http_tr(req,
                             "Bitte geben Sie die TAN ein, die wir Ihnen "
                             "gesendet haben.",
                             "Please enter the TAN we sent you.")) ||
        render_tan_form(req, resp, in, csrf))
      return -1;
  } else if (render_password_form(req, resp, in, csrf)) {
    return -1;
  }
  return kc_page_end(resp);
}

/* ---------------------------------------------------------------- steps */

static void
read_input(struct kc_http_req *req, struct login_input *in)
{
  const struct kc_form *b = &req->body;

  if (!kc_form_get_trim(b, "username", in->user, sizeof(in->user)))
    in->user[0] = '\0';
  if (!kc_form_get_trim(b, "back", in->back, sizeof(in->back)) ||
      !kc_http_back_allowed(kc_http_cfg(req->http), in->back))
    in->back[0] = '\0';
  if (!kc_form_get_trim(b, "challenge", in->challenge, sizeof(in->challenge)))
    in->challenge[0] = '\0';
  if (!kc_form_get_trim(b, "tan", in->tan, sizeof(in->tan)))
    in->tan[0] = '\0';
  if (!kc_form_get_trim(b, "ticket", in->ticket, sizeof(in->ticket)))
    in->ticket[0] = '\0';
  in->password = kc_form_get(b, "password");
  if (in->password == NULL)
    in->password = "";
}

/* Signed in: the session cookie, and on to back= or /account. */
static void
signed_in(struct kc_http_req *req, struct kc_http_resp *resp, struct kc_ldap *l,
          struct kc_ldap_user *u, bool factor, struct login_input *in)
{
  const char *to = in->back[0] != '\0' ? in->back : "/account";

  if (kc_http_session_put(req, resp, l, u, NULL, factor) != 0) {
    in->e_top = kc_http_tr(req,
                           "Der Dienst ist vorübergehend nicht "
                           "erreichbar.",
                           "The service is temporarily unavailable.");
    resp->status = render(req, resp, in) == 0 ? 503 : 500;
    return;
  }
  kc_log_info("web login; user=%s factor=%s", u->uid,
              factor ? u->tan_method : "none");
  kc_http_count(req->http, "web_login");
  if (req->json) {
    const char *kv[] = {"location", to, NULL};
    resp->status = kc_page_json(resp, "ok", kv) == 0 ? 200 : 500;
    return;
  }
  resp->status = 303;
  snprintf(resp->location, sizeof(resp->location), "%s", to);
}

/* A must-change account: to the forced change, and back here after. */
static void
to_credentials(struct kc_http_req *req, struct kc_http_resp *resp,
               const struct kc_ldap_user *u)
{
  struct kc_buf q;

  kc_buf_init(&q, sizeof(resp->location) - 1);
  if (kc_buf_add_str(&q, "/account/credentials?user=") ||
      kc_esc_pct(&q, u->uid) ||
      kc_buf_add_str(&q, req->english ? "&back=%2Faccount%3Flang%3Den&lang=en"
                                      : "&back=%2Faccount")) {
    kc_buf_free(&q);
    resp->status = 500;
    return;
  }
  resp->status = 303;
  snprintf(resp->location, sizeof(resp->location), "%s", kc_buf_get(&q));
  kc_buf_free(&q);
}

/* The password was right: send the TAN (or point at the open one). */
static void
send_tan(struct kc_http_req *req, struct kc_http_resp *resp, struct kc_ldap *l,
         const struct kc_ldap_user *u, struct login_input *in)
{
  const struct kc_http_cfg *cfg = kc_http_cfg(req->http);
  struct kc_tanflow f = {cfg->tan_policy, cfg->key, cfg->notify, NULL};
  unsigned status = 503;

  switch (kc_tanflow_issue(&f, l, u, in->challenge, in->tan_dest,
                           sizeof(in->tan_dest))) {
    case KC_TANFLOW_SENT:
    case KC_TANFLOW_PENDING:
      in->tan_step = true;
      /* u->dn is never empty: the proof is always made */
      status = kc_proof_make_for(in->ticket, cfg->key, KC_LOGIN_TICKET, u->dn,
                                 in->challenge, time(NULL)) == 0
                 ? 200
                 : 500;
      break;
    case KC_TANFLOW_LIMITED:
      in->e_top = kc_http_tr(req,
                             "Es wurden zu viele TANs angefordert. Bitte "
                             "versuchen Sie es später erneut.",
                             "Too many TANs were requested. Please try "
                             "again later.");
      status = 429;
      break;
    default:
      in->e_top = kc_http_tr(req, "Die TAN konnte nicht gesendet werden.",
                             "The TAN could not be sent.");
      break;
  }
  resp->status = render(req, resp, in) == 0 ? status : 500;
}

/* The user name and the password: the TAN form, a session, the forced
 * change, or the password form again. */
static void
password_step(struct kc_http_req *req, struct kc_http_resp *resp,
              struct kc_ldap *l, struct login_input *in)
{
  enum kc_ldap_bind_result b;
  struct kc_ldap_user u;
  int r;

  r = kc_ldap_find_user(l, in->user, &u);
  if (r != 0) {
    /* what a bind would cost, so the time tells no more than the text */
    if (r == KC_ERR_NOT_FOUND && in->password[0] != '\0')
      kc_password_dummy_verify(in->password);
    if (r == KC_ERR_UNAVAILABLE)
      in->e_top = kc_http_tr(req,
                             "Der Dienst ist vorübergehend nicht "
                             "erreichbar.",
                             "The service is temporarily unavailable.");
    else
      in->e_password = wrong_text(req);
    resp->status =
      render(req, resp, in) == 0 ? (r == KC_ERR_UNAVAILABLE ? 503 : 422) : 500;
    return;
  }
  b = in->password[0] != '\0' ? kc_ldap_bind_user(l, u.dn, in->password)
                              : KC_BIND_INVALID;
  if (b == KC_BIND_UNAVAILABLE) {
    in->e_top = kc_http_tr(req,
                           "Der Dienst ist vorübergehend nicht "
                           "erreichbar.",
                           "The service is temporarily unavailable.");
    resp->status = render(req, resp, in) == 0 ? 503 : 500;
    return;
  }
  if (b != KC_BIND_OK && b != KC_BIND_MUST_CHANGE) {
    if (b == KC_BIND_LOCKED) { /* slapd answered at once: do the work */
      kc_lockout_hide(in->password);
      kc_log_info("web login: password not checked, account locked; user=%s",
                  u.uid);
    } else {
      kc_log_info("web login: wrong password; user=%s", u.uid);
    }
    if (b == KC_BIND_LOCKED || b == KC_BIND_INVALID)
      kc_http_lockout_notice(req, &u);
    in->e_password = wrong_text(req);
    resp->status = render(req, resp, in) == 0 ? 422 : 500;
    return;
  }
  /* proven: a provisioned account changes its details first */
  if (b == KC_BIND_MUST_CHANGE || u.must_change || u.first_login)
    to_credentials(req, resp, &u);
  else if (strcmp(u.tan_method, "none") == 0)
    signed_in(req, resp, l, &u, false, in);
  else
    send_tan(req, resp, l, &u, in);
}

/* The TAN answer to the challenge of the password step. */
static void
tan_step(struct kc_http_req *req, struct kc_http_resp *resp, struct kc_ldap *l,
         struct login_input *in)
{
  const struct kc_http_cfg *cfg = kc_http_cfg(req->http);
  struct kc_tanflow f = {cfg->tan_policy, cfg->key, cfg->notify, NULL};
  struct kc_ldap_user u;
  int r;

  in->tan_step = true;
  /* the challenge must be the one open on this account (kc_tan_gate),
   * and handed out by this page after the password: a TAN that the reset
   * or the account page sent proves no password */
  r = kc_ldap_find_user(l, in->user, &u);
  if (r == 0 &&
      kc_proof_check_for(in->ticket, cfg->key, KC_LOGIN_TICKET, u.dn,
                         in->challenge, time(NULL), KC_LOGIN_TICKET_TTL) != 0)
    r = KC_ERR_NOT_FOUND;
  if (r == 0) {
    switch (kc_tanflow_answer(&f, l, &u, in->challenge, in->tan)) {
      case KC_TANFLOW_RIGHT:
        /* read again: the stamp, and whatever changed meanwhile */
        if (kc_ldap_find_user(l, in->user, &u) == 0 &&
            u.locked_time[0] == '\0') {
          signed_in(req, resp, l, &u, true, in);
          return;
        }
        r = KC_ERR_NOT_FOUND;
        break;
      case KC_TANFLOW_WRONG:
        in->e_tan = kc_http_tr(req, "Die TAN ist falsch.", "The TAN is wrong.");
        resp->status = render(req, resp, in) == 0 ? 422 : 500;
        return;
      case KC_TANFLOW_LOCKED:
        in->e_top =
          kc_http_tr(req, "Das Konto ist gesperrt.", "The account is locked.");
        in->tan_step = false;
        resp->status = render(req, resp, in) == 0 ? 422 : 500;
        return;
      case KC_TANFLOW_ERROR:
        r = KC_ERR_UNAVAILABLE;
        break;
      default:
        r = KC_ERR_NOT_FOUND;
        break;
    }
  }
  in->tan_step = false;
  in->challenge[0] = '\0';
  in->e_top = r == KC_ERR_UNAVAILABLE
                ? kc_http_tr(req,
                             "Der Dienst ist vorübergehend nicht "
                             "erreichbar.",
                             "The service is temporarily unavailable.")
                : kc_http_tr(req,
                             "Die TAN ist falsch oder abgelaufen. Bitte "
                             "melden Sie sich erneut an.",
                             "The TAN is wrong or has expired. Please log "
                             "in again.");
  resp->status =
    render(req, resp, in) == 0 ? (r == KC_ERR_UNAVAILABLE ? 503 : 422) : 500;
}

static bool
limited(struct kc_http_req *req, struct kc_http_resp *resp,
        const struct login_input *in)
{
  char key[128];
  unsigned wait;

  snprintf(key, sizeof(key), "login-ip:%s", req->client);
  wait = kc_http_rate(req->http, key, KC_LOGIN_IP_BURST, KC_LOGIN_IP_PER);
  /* TAN answers count on the TAN (the same test as post()'s) */
  if (wait == 0 && !(in->challenge[0] != '\0' && in->tan[0] != '\0')) {
    snprintf(key, sizeof(key), "login-user:%s", in->user);
    kc_str_lower_ascii(key); /* LDAP finds uid without case: one key */
    wait = kc_http_rate(req->http, key, KC_LOGIN_USER_BURST, KC_LOGIN_USER_PER);
  }
  return kc_http_too_many(resp, wait);
}

static void
post(struct kc_http_req *req, struct kc_http_resp *resp)
{
  struct login_input in;
  struct kc_ldap *l;

  memset(&in, 0, sizeof(in));
  if (req->body_bad || kc_http_csrf_check(req) != 0) {
    resp->status = req->body_bad ? 400 : 403;
    resp->content_type = "text/plain; charset=utf-8";
    (void) !kc_buf_add_str(&resp->body, "invalid request or expired form\n");
    return;
  }
  read_input(req, &in);
  if (limited(req, resp, &in))
    goto out;
  l = kc_http_ldap_get(req->http);
  if (in.challenge[0] != '\0' && in.tan[0] != '\0')
    tan_step(req, resp, l, &in);
  else
    password_step(req, resp, l, &in);
  kc_http_ldap_put(req->http, l);
out:
  sodium_memzero(&in, sizeof(in)); /* the TAN */
}

void
kc_http_login(struct kc_http_req *req, struct kc_http_resp *resp)
{
  struct login_input in;
  struct kc_ldap_user u;
  struct kc_session s;
  struct kc_ldap *l;
  const char *v;
  int r;

  if (strcmp(req->method, "POST") == 0) {
    post(req, resp);
    return;
  }
  memset(&in, 0, sizeof(in));
  v = kc_form_get(&req->query, "back");
  if (v != NULL && strlen(v) <= KC_LOGIN_MAX_BACK &&
      kc_http_back_allowed(kc_http_cfg(req->http), v))
    snprintf(in.back, sizeof(in.back), "%s", v);
  /* signed in already: straight on */
  if (req->session_cookie[0] != '\0') {
    l = kc_http_ldap_get(req->http);
    r = kc_http_session_get(req, l, &u, &s);
    kc_http_ldap_put(req->http, l);
    if (r == 0 && !req->json) {
      resp->status = 303;
      snprintf(resp->location, sizeof(resp->location), "%s",
               in.back[0] != '\0' ? in.back : "/account");
      return;
    }
  }
  resp->status = render(req, resp, &in) == 0 ? 200 : 500;
}

void
kc_http_logout(struct kc_http_req *req, struct kc_http_resp *resp)
{
  const struct kc_http_cfg *cfg = kc_http_cfg(req->http);
  struct kc_ldap_user u;
  struct kc_session s;
  struct kc_ldap *l;
  int r;

  if (strcmp(req->method, "POST") != 0) {
    resp->status = 405;
    resp->content_type = "text/plain; charset=utf-8";
    (void) !kc_buf_add_str(&resp->body, "use POST\n");
    return;
  }
  l = kc_http_ldap_get(req->http);
  r = kc_http_session_get(req, l, &u, &s);
  if (r == 0 && kc_http_session_csrf_check(req, &s) != 0)
    r = KC_ERR_PERMISSION;
  if (r == 0 && (r = kc_http_session_end(req, resp, l, &u)) == 0)
    kc_log_info("web logout; user=%s", u.uid);
  else if (r == KC_ERR_NOT_FOUND)
    kc_http_session_clear(req, resp); /* whatever this browser had */
  kc_http_ldap_put(req->http, l);
  if (r != 0 && r != KC_ERR_NOT_FOUND && r != KC_ERR_PERMISSION) {
    /* the sessions live on: say so, and keep the cookie to try again */
    resp->set_session[0] = '\0';
    kc_http_plain(resp, 503,
                  req->english ? "Logout failed: the service is unavailable. "
                                 "Please try again.\n"
                               : "Die Abmeldung ist fehlgeschlagen: der Dienst "
                                 "ist nicht erreichbar. Bitte versuchen Sie "
                                 "es erneut.\n");
    return;
  }
  if (r == KC_ERR_PERMISSION) {
    resp->status = 403;
    resp->content_type = "text/plain; charset=utf-8";
    (void) !kc_buf_add_str(&resp->body, "invalid request or expired form\n");
    return;
  }
  if (req->json) {
    resp->status = kc_page_json(resp, "logged_out", NULL) == 0 ? 200 : 500;
    return;
  }
  resp->status = 303;
  snprintf(resp->location, sizeof(resp->location), "%s",
           req->english ? "/account/login?lang=en" : "/account/login");
  (void) cfg;
}
