/*
 * http_login.c: GET and POST /account/login, the web login to the account
 * pages, and POST /account/logout.
 *
 * The login is a PAM login's twin: the password is checked by a bind as
 * the user (ppolicy counts a wrong one and locks as it does for sshd),
 * then an account with a second factor is asked for it: email and mtan
 * get a TAN under the same policy and the same LDAP state (tanflow.h),
 * totp is asked for the code of the authenticator app and nothing is
 * sent. Every answer goes to kc_factor_answer (factor.h), so the web and
 * PAM share one count of sends and wrong answers, and one of the
 * account's recovery codes passes in place of the TAN or code. Only then
 * does the browser get a session (session_http.c). A must-change account
 * goes to the forced change (/account/credentials) instead, and comes
 * back here. A totp account without an enrolled secret (kcadm account
 * set-tan USER totp) gets its session after the password alone; the
 * account pages then make it enrol.
 *
 * Unknown names, wrong passwords and locks look alike: the same text,
 * after the same work (kc_lockout_hide, the dummy argon2). The second
 * step carries the user name, the challenge kcd handed out after the
 * password (KC_LOGIN_NO_TAN when no TAN is open: an app code, or a
 * recovery code when the TAN could not be sent) and a ticket, a proof
 * over both that the password step came first (proof.h).
 */
#include <config.h>

#include <stdio.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "factor.h"
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
#include "rehash.h"
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
#define KC_LOGIN_TICKET       "kc-web-login-ticket-v1"
#define KC_LOGIN_TICKET_TTL   900
#define KC_LOGIN_TICKET_EXTRA (KC_TAN_CHALLENGE_LEN + KC_LDAP_UUID_LEN + 32 + 3)
/* The challenge of a second step without an open TAN: the code of the
 * authenticator app, or a recovery code when no TAN could be sent. A real
 * challenge has KC_TAN_CHALLENGE_LEN characters, so none is this. */
#define KC_LOGIN_NO_TAN "code"
_Static_assert(sizeof(KC_LOGIN_NO_TAN) - 1 < KC_TAN_CHALLENGE_LEN,
               "the marker is no challenge");

struct login_input {
  char user[KC_MAX_USERNAME + 1];
  char back[KC_LOGIN_MAX_BACK + 1];
  char challenge[KC_TAN_CHALLENGE_LEN + 1];
  /* a TAN, an app code or a recovery code, as typed */
  char tan[KC_MAX_RECOVERY_INPUT + 1];
  bool tan_long;                 /* what was typed did not fit tan */
  char ticket[KC_PROOF_LEN + 1]; /* the password step's proof */
  const char *password;          /* owned by the request's form */
  char tan_dest[128];
  bool tan_step; /* show the TAN or code form */
  bool app;      /* ... for the code of the authenticator app */
  bool recovery; /* ... and recovery codes pass (the account has some) */
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

/* A second step without an open TAN (KC_LOGIN_NO_TAN). */
static bool
no_tan(const struct login_input *in)
{
  return strcmp(in->challenge, KC_LOGIN_NO_TAN) == 0;
}

/* The label of the answer's field: the app's code, a TAN, or (no TAN
 * could be sent) a recovery code alone. */
static const char *
answer_label(struct kc_http_req *req, const struct login_input *in)
{
  if (in->app)
    return kc_http_tr(req, "Code aus der Authenticator-App",
                      "Code from the authenticator app");
  if (no_tan(in))
    return kc_http_tr(req, "Wiederherstellungscode", "Recovery code");
  return "TAN";
}

/* The hint under the field: where the TAN went, and that a recovery
 * code passes too. */
static const char *
answer_hint(struct kc_http_req *req, const struct login_input *in, char *buf,
            size_t len)
{
  const char *rec = kc_http_tr(req,
                               "Oder einer Ihrer Wiederherstellungscodes "
                               "(jeder gilt einmal).",
                               "Or one of your recovery codes (each works "
                               "once).");

  if (!in->recovery || (no_tan(in) && !in->app))
    return in->tan_dest[0] != '\0' ? in->tan_dest : NULL;
  if (in->tan_dest[0] == '\0')
    return rec;
  snprintf(buf, len, "%s. %s", in->tan_dest, rec);
  return buf;
}

/* The paragraph above the form. */
static const char *
answer_intro(struct kc_http_req *req, const struct login_input *in)
{
  if (in->app)
    return kc_http_tr(req,
                      "Bitte geben Sie den aktuellen Code aus Ihrer "
                      "Authenticator-App ein. Ohne die App hilft einer Ihrer "
                      "Wiederherstellungscodes.",
                      "Please enter the current code from your authenticator "
                      "app. Without the app, one of your recovery codes "
                      "works.");
  if (no_tan(in))
    return kc_http_tr(req,
                      "Mit einem Ihrer Wiederherstellungscodes können Sie "
                      "sich trotzdem anmelden.",
                      "You can still log in with one of your recovery "
                      "codes.");
  return kc_http_tr(req,
                    "Bitte geben Sie die TAN ein, die wir Ihnen gesendet "
                    "haben.",
                    "Please enter the TAN we sent you.");
}

static int
render_tan_form(struct kc_http_req *req, struct kc_http_resp *resp,
                const struct login_input *in, const char *csrf)
{
  char hint[256];
  struct kc_page_field tan = {"tan",
                              answer_label(req, in),
                              "text",
                              NULL,
                              in->e_tan,
                              "one-time-code",
                              answer_hint(req, in, hint, sizeof(hint)),
                              true};

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
                          no_tan(in)
                            ? kc_http_tr(req, "Neu anmelden", "Log in again")
                            : kc_http_tr(req, "Neu anmelden (neue TAN)",
                                         "Log in again (new TAN)"))
           ? -1
           : 0;
}

static int
render_json(struct kc_http_req *req, struct kc_http_resp *resp,
            const struct login_input *in)
{
  char csrf[64];
  /* what the field tan takes: "tan", "totp" (the app's code) or
   * "recovery" (no TAN could be sent); recovery codes pass in each */
  const char *factor = !in->tan_step ? NULL
                       : in->app     ? "totp"
                       : no_tan(in)  ? "recovery"
                                     : "tan";
  const char *kv[] = {"challenge",   in->tan_step ? in->challenge : NULL,
                      "ticket",      in->tan_step ? in->ticket : NULL,
                      "destination", in->tan_step ? in->tan_dest : NULL,
                      "factor",      factor,
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
    if (kc_page_p(resp, "hint", answer_intro(req, in)) ||
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
  if (!kc_form_get_trim(b, "tan", in->tan, sizeof(in->tan))) {
    in->tan[0] = '\0';
    in->tan_long = true; /* no code is that long: wrong, not absent */
  }
  if (!kc_form_get_trim(b, "ticket", in->ticket, sizeof(in->ticket)))
    in->ticket[0] = '\0';
  in->password = kc_form_get(b, "password");
  if (in->password == NULL)
    in->password = "";
}

/* Signed in: the session cookie, and on to back= or /account. factor: what
 * passed as the second factor ("email", "mtan", "totp", "recovery"), or
 * NULL for none. */
static void
signed_in(struct kc_http_req *req, struct kc_http_resp *resp, struct kc_ldap *l,
          struct kc_ldap_user *u, const char *factor, struct login_input *in)
{
  const char *to = in->back[0] != '\0' ? in->back : "/account";

  if (kc_http_session_put(req, resp, l, u, NULL, factor != NULL) != 0) {
    in->e_top = kc_http_tr(req,
                           "Der Dienst ist vorübergehend nicht "
                           "erreichbar.",
                           "The service is temporarily unavailable.");
    resp->status = render(req, resp, in) == 0 ? 503 : 500;
    return;
  }
  kc_log_info("web login; user=%s factor=%s", u->uid,
              factor != NULL ? factor : "none");
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

/* What the ticket is bound to besides the DN: the challenge (a TAN's, or
 * KC_LOGIN_NO_TAN), the account itself (entryUUID: not another account
 * that gets the DN) and its password as it was (pwdChangedTime: not after
 * a change or a reset). */
static void
ticket_extra(const struct kc_ldap_user *u, const struct login_input *in,
             char *out, size_t outlen)
{
  snprintf(out, outlen, "%s/%s/%s", in->challenge, u->uuid, u->pwd_changed);
}

/* The second form for u: the ticket proves that the password step came
 * first (ticket_extra). 0 or -1. */
static int
second_form(struct kc_http_req *req, const struct kc_ldap_user *u,
            struct login_input *in)
{
  const struct kc_http_cfg *cfg = kc_http_cfg(req->http);
  char extra[KC_LOGIN_TICKET_EXTRA];

  in->tan_step = true;
  in->app = strcmp(u->tan_method, "totp") == 0;
  in->recovery = u->recovery_left > 0;
  ticket_extra(u, in, extra, sizeof(extra));
  /* u->dn is never empty: the proof is always made */
  return kc_proof_make_for(in->ticket, cfg->key, KC_LOGIN_TICKET, u->dn, extra,
                           time(NULL)) == 0
           ? 0
           : -1;
}

/* The password of an enrolled totp account was right: ask for the app's
 * code. Nothing is sent. */
static void
ask_code(struct kc_http_req *req, struct kc_http_resp *resp,
         const struct kc_ldap_user *u, struct login_input *in)
{
  unsigned status;

  snprintf(in->challenge, sizeof(in->challenge), "%s", KC_LOGIN_NO_TAN);
  status = second_form(req, u, in) == 0 ? 200 : 500;
  resp->status = render(req, resp, in) == 0 ? status : 500;
}

/* The password was right: send the TAN (or point at the open one). When
 * none can go out, a recovery code still logs in. */
static void
send_tan(struct kc_http_req *req, struct kc_http_resp *resp, struct kc_ldap *l,
         const struct kc_ldap_user *u, struct login_input *in)
{
  const struct kc_http_cfg *cfg = kc_http_cfg(req->http);
  struct kc_tanflow f = {cfg->tan_policy, cfg->key, cfg->notify, NULL};
  enum kc_tanflow_sent st;
  unsigned status = 503;

  st = kc_tanflow_issue(&f, l, u, in->challenge, in->tan_dest,
                        sizeof(in->tan_dest));
  switch (st) {
    case KC_TANFLOW_SENT:
    case KC_TANFLOW_PENDING:
      resp->status =
        second_form(req, u, in) == 0 && render(req, resp, in) == 0 ? 200 : 500;
      return;
    case KC_TANFLOW_LIMITED:
      in->e_top = kc_http_tr(req,
                             "Es wurden zu viele TANs angefordert. Bitte "
                             "versuchen Sie es später erneut.",
                             "Too many TANs were requested. Please try "
                             "again later.");
      status = 429;
      break;
    default:
      in->e_top = kc_page_tan_unsent(req, st);
      break;
  }
  if (u->recovery_left > 0) {
    snprintf(in->challenge, sizeof(in->challenge), "%s", KC_LOGIN_NO_TAN);
    in->tan_dest[0] = '\0';
    if (second_form(req, u, in) != 0)
      status = 500;
  }
  resp->status = render(req, resp, in) == 0 ? status : 500;
}

/* The password was right: the forced change, a session, or the second
 * factor. */
static void
second_step(struct kc_http_req *req, struct kc_http_resp *resp,
            struct kc_ldap *l, struct kc_ldap_user *u, bool must_change,
            struct login_input *in)
{
  /* a provisioned account changes its details first */
  if (must_change || u->must_change || u->first_login) {
    to_credentials(req, resp, u);
  } else if (strcmp(u->tan_method, "none") == 0) {
    signed_in(req, resp, l, u, NULL, in);
  } else if (strcmp(u->tan_method, "totp") == 0 && !u->totp_enrolled) {
    /* set to totp by an administrator: the account pages make it enrol */
    kc_log_info("web login without a second factor, app not enrolled yet; "
                "user=%s",
                u->uid);
    signed_in(req, resp, l, u, NULL, in);
  } else if (strcmp(u->tan_method, "totp") == 0) {
    ask_code(req, resp, u, in);
  } else {
    send_tan(req, resp, l, u, in);
  }
}

/* The user name and the password: the TAN or code form, a session, the
 * forced change, or the password form again. */
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
  if (b == KC_BIND_OK)
    kc_rehash_after_login(l, &u, in->password);
  second_step(req, resp, l, &u, b == KC_BIND_MUST_CHANGE, in);
}

/* The text for a wrong answer of the kind typed. */
static const char *
wrong_answer_text(struct kc_http_req *req, const struct login_input *in)
{
  if (!in->tan_long && kc_factor_is_recovery(in->tan))
    return kc_http_tr(req,
                      "Der Wiederherstellungscode ist falsch oder wurde "
                      "schon verwendet.",
                      "The recovery code is wrong or was used already.");
  if (in->app)
    return kc_http_tr(req,
                      "Der Code ist falsch oder wurde schon verwendet. Bitte "
                      "geben Sie den nächsten Code aus der App ein.",
                      "The code is wrong or was used already. Please enter "
                      "the next code from the app.");
  if (no_tan(in))
    return kc_http_tr(req, "Das ist kein Wiederherstellungscode.",
                      "This is not a recovery code.");
  return kc_http_tr(req, "Die TAN ist falsch.", "The TAN is wrong.");
}

static const char *
again_text(struct kc_http_req *req)
{
  return kc_http_tr(req,
                    "Die TAN oder der Code ist falsch oder abgelaufen. Bitte "
                    "melden Sie sich erneut an.",
                    "The TAN or code is wrong or has expired. Please log in "
                    "again.");
}

static const char *
busy_text(struct kc_http_req *req)
{
  return kc_http_tr(req, "Der Dienst ist vorübergehend nicht erreichbar.",
                    "The service is temporarily unavailable.");
}

/* Back to the password form with text. */
static void
start_again(struct kc_http_req *req, struct kc_http_resp *resp,
            struct login_input *in, const char *text, unsigned status)
{
  in->tan_step = false;
  in->challenge[0] = '\0';
  in->e_top = text;
  resp->status = render(req, resp, in) == 0 ? status : 500;
}

/* What kc_factor_answer said about the answer in in->tan for u. */
static void
answered(struct kc_http_req *req, struct kc_http_resp *resp, struct kc_ldap *l,
         struct kc_ldap_user *u, struct login_input *in,
         enum kc_tanflow_answer a, const struct kc_factor_result *res)
{
  const bool counted = in->app || kc_factor_is_recovery(in->tan);

  switch (a) {
    case KC_TANFLOW_RIGHT:
      if (res->kind == KC_FACTOR_RECOVERY)
        kc_log_info("web login with a recovery code; user=%s left=%u", u->uid,
                    res->recovery_left);
      /* read again: the stamp, and whatever changed meanwhile */
      if (kc_ldap_find_user(l, in->user, u) == 0 && u->locked_time[0] == '\0')
        signed_in(req, resp, l, u,
                  res->kind == KC_FACTOR_RECOVERY ? "recovery" : u->tan_method,
                  in);
      else
        start_again(req, resp, in, again_text(req), 422);
      return;
    case KC_TANFLOW_WRONG:
      in->e_tan = wrong_answer_text(req, in);
      resp->status = render(req, resp, in) == 0 ? 422 : 500;
      return;
    case KC_TANFLOW_MAXTRIES:
      if (counted) {
        /* wrong codes in a row: a pause (KC_FACTOR_PAUSE) */
        in->e_tan = kc_http_tr(req,
                               "Zu viele falsche Codes. Bitte warten Sie "
                               "fünf Minuten und versuchen Sie es dann "
                               "erneut.",
                               "Too many wrong codes. Please wait five "
                               "minutes, then try again.");
        resp->status = render(req, resp, in) == 0 ? 429 : 500;
        return;
      }
      start_again(req, resp, in,
                  kc_http_tr(req,
                             "Zu viele falsche Versuche für diese TAN. Bitte "
                             "melden Sie sich erneut an, um eine neue TAN zu "
                             "erhalten.",
                             "Too many wrong tries for this TAN. Please log in "
                             "again to get a new TAN."),
                  422);
      return;
    case KC_TANFLOW_LOCKED:
      start_again(req, resp, in,
                  kc_http_tr(req, "Das Konto ist gesperrt.",
                             "The account is locked."),
                  422);
      return;
    case KC_TANFLOW_ERROR:
      start_again(req, resp, in, busy_text(req), 503);
      return;
    case KC_TANFLOW_BROKEN:
      /* the stored secret does not open (logged): the app must be set up
       * again; a recovery code still passes */
      in->e_tan = kc_http_tr(req,
                             "Der Code kann nicht geprüft werden: die "
                             "Authenticator-App muss neu eingerichtet werden. "
                             "Melden Sie sich mit einem "
                             "Wiederherstellungscode an oder wenden Sie sich "
                             "an den Kundenservice.",
                             "The code cannot be checked: the authenticator "
                             "app must be set up again. Log in with a "
                             "recovery code or contact customer service.");
      resp->status = render(req, resp, in) == 0 ? 422 : 500;
      return;
    case KC_TANFLOW_DEAD:
    default:
      start_again(req, resp, in, again_text(req), 422);
      return;
  }
}

/* The answer (TAN, app code or recovery code) after the password step
 * that handed out in->challenge and in->ticket. */
static void
tan_step(struct kc_http_req *req, struct kc_http_resp *resp, struct kc_ldap *l,
         struct login_input *in)
{
  const struct kc_http_cfg *cfg = kc_http_cfg(req->http);
  struct kc_tanflow f = {cfg->tan_policy, cfg->key, cfg->notify, NULL};
  struct kc_factor_result res;
  struct kc_ldap_user u;
  enum kc_tanflow_answer a;
  char extra[KC_LOGIN_TICKET_EXTRA];
  bool rec;
  int r;

  /* the ticket: this page handed out the challenge (or the marker) after
   * the password, a moment ago; a TAN that the reset or the account page
   * sent proves no password */
  r = kc_ldap_find_user(l, in->user, &u);
  if (r == KC_ERR_UNAVAILABLE) {
    start_again(req, resp, in, busy_text(req), 503);
    return;
  }
  if (r == 0)
    ticket_extra(&u, in, extra, sizeof(extra));
  if (r != 0 ||
      kc_proof_check_for(in->ticket, cfg->key, KC_LOGIN_TICKET, u.dn, extra,
                         time(NULL), KC_LOGIN_TICKET_TTL) != 0) {
    start_again(req, resp, in, again_text(req), 422);
    return;
  }
  in->tan_step = true;
  in->app = strcmp(u.tan_method, "totp") == 0;
  in->recovery = u.recovery_left > 0;
  rec = !in->tan_long && kc_factor_is_recovery(in->tan);
  /* a TAN form, but the account has the app now: start again (the other
   * way round, the form without a TAN takes recovery codes, below) */
  if (in->app && !no_tan(in)) {
    start_again(req, resp, in, again_text(req), 422);
    return;
  }
  if (in->tan[0] == '\0' || (no_tan(in) && !in->app && !rec)) {
    /* nothing typed, too long, or a TAN where none is open: not
     * counted, nothing can pass */
    in->e_tan = in->tan[0] == '\0' && !in->tan_long
                  ? kc_http_tr(req, "Bitte geben Sie den Code ein.",
                               "Please enter the code.")
                  : wrong_answer_text(req, in);
    resp->status = render(req, resp, in) == 0 ? 422 : 500;
    return;
  }
  memset(&res, 0, sizeof(res));
  a = kc_factor_answer(&f, l, &u, no_tan(in) ? NULL : in->challenge, in->tan,
                       &res);
  answered(req, resp, l, &u, in, a, &res);
}

static bool
limited(struct kc_http_req *req, struct kc_http_resp *resp,
        const struct login_input *in)
{
  char key[128];
  unsigned wait;

  snprintf(key, sizeof(key), "login-ip:%s", req->client);
  wait = kc_http_rate(req->http, key, KC_LOGIN_IP_BURST, KC_LOGIN_IP_PER);
  /* answers of the second step count on the account (factor.h) */
  if (wait == 0 && in->challenge[0] == '\0') {
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
  if (in.challenge[0] != '\0') /* only the second form carries one */
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
