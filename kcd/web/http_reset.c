/*
 * http_reset.c: GET and POST /account/reset, the forgotten password and
 * user name (DESIGN §11).
 *
 * Asking for a link: `login` (a user name or an e-mail address), captcha,
 * csrf. A well-formed request gets the same answer, status and timing
 * whatever it names, as /register does: the lookup, the link and the mail
 * happen on the background thread after the answer. Each matching account
 * (the user name, or every account with that address) gets its own link,
 * naming its user name; an account an administrator locked gets none.
 * Rate limits apply per client address and per `login` in memory, and per
 * account in LDAP (kcResetWindowStart/kcResetSendCount, reset.h), so the
 * cap holds across several kcd.
 *
 * Following a link: GET ?token= shows the form for the new password; an
 * account with an mTAN must also give the TAN sent by SMS when the form is
 * shown, a totp account the code of its authenticator app (nothing is
 * sent), so the mailbox alone does not take over an account protected by
 * a phone or an app. One of the account's recovery codes passes in place
 * of the TAN or the code (factor.h). POST sets the password in one
 * compare-and-swap modify that
 * consumes the link (kc_ldap_reset_finish): of two browsers with one link
 * only one wins, the other gets 410 like any dead link. No token, password
 * or TAN goes into a log line.
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "captcha_http.h"
#include "factor.h"
#include "http.h"
#include "http_page.h"
#include "pages.h"
#include "kc_err.h"
#include "kc_limits.h"
#include "kc_str.h"
#include "log.h"
#include "mail.h"
#include "password.h"
#include "reset.h"
#include "tanflow.h"

/* Asking for links, per client address: a burst of 10, then one a
 * minute; per `login` value: 3, then one every 20 minutes (the LDAP cap
 * per account is 3 an hour anyway). */
#define KC_RESET_IP_BURST    10
#define KC_RESET_IP_PER      60
#define KC_RESET_LOGIN_BURST 3
#define KC_RESET_LOGIN_PER   1200
/* Setting the password runs argon2id: 10 per address, then one every
 * 20 s, as /activate. */
#define KC_RESET_SET_BURST 10
#define KC_RESET_SET_PER   20
/* A login is a user name or an e-mail address: the longer of the two. */
#define KC_RESET_MAX_LOGIN KC_MAX_EMAIL

struct ask_input {
  char login[KC_RESET_MAX_LOGIN + 1];
  const char *err_login, *err_captcha;
};

struct reset_job {
  char login[KC_RESET_MAX_LOGIN + 1];
  bool english;
};

/* What proves the account's owner besides the link. The link alone for
 * none and emailTAN (the mailbox is that factor); the SMS TAN for mTAN; a
 * code of the authenticator app for totp. A recovery code passes for
 * both. For a totp account whose app is not enrolled yet (kcadm set-tan)
 * and for a method kcd does not know only a recovery code does, so that
 * the mailbox alone never takes over such an account; without one an
 * administrator helps (kcadm account reset-password). */
enum reset_factor { FACTOR_LINK, FACTOR_SMS, FACTOR_APP };

struct set_input {
  char token[KC_RESET_TOKEN_LEN + 1];
  char challenge[KC_TAN_CHALLENGE_LEN + 1];
  /* a TAN, an app code or a recovery code, as typed */
  char tan[KC_MAX_RECOVERY_INPUT + 1];
  bool tan_long; /* what was typed did not fit tan */
  char tan_dest[128];
  const char *new_password; /* owned by the request's form */
  const char *new_repeat;
  const char *e_top, *e_password, *e_repeat, *e_tan;
};

static const char *
self_url(const struct kc_http_req *req)
{
  return req->english ? "/account/reset?lang=en" : "/account/reset";
}

static const char *
title(const struct kc_http_req *req)
{
  return kc_http_tr(req, "Passwort vergessen?", "Forgot your password?");
}

/* Does an app code prove u (an enrolled totp account)? */
static bool
app_code(const struct kc_ldap_user *u)
{
  return strcmp(u->tan_method, "totp") == 0 && u->totp_enrolled;
}

static enum reset_factor
factor_of(const struct kc_ldap_user *u)
{
  if (strcmp(u->tan_method, "none") == 0 || strcmp(u->tan_method, "email") == 0)
    return FACTOR_LINK;
  return strcmp(u->tan_method, "mtan") == 0 ? FACTOR_SMS : FACTOR_APP;
}

/* ------------------------------------------------------ plain answers */

/* A short answer (400, 403, 429, 503) in the requested form, with a way
 * back to the form. */
static void
render_status(struct kc_http_req *req, struct kc_http_resp *resp,
              unsigned status, const char *text)
{
  const struct kc_http_cfg *cfg = kc_http_cfg(req->http);
  int r;

  if (req->json) {
    resp->content_type = "application/json";
    r = kc_buf_printf(&resp->body, "{\"status\":%u,\"message\":", status) ||
        kc_esc_json_str(&resp->body, text) ||
        kc_buf_add_str(&resp->body, "}\n");
  } else {
    r = kc_page_begin(resp, cfg->portal_name, title(req), req->english) ||
        kc_page_p(resp, "error", text) ||
        kc_page_link(resp, self_url(req),
                     kc_http_tr(req, "Zurück zum Formular",
                                "Back to the form")) ||
        kc_page_end(resp);
  }
  resp->status = r != 0 ? 500 : status;
}

static void
render_busy(struct kc_http_req *req, struct kc_http_resp *resp)
{
  render_status(req, resp, 503,
                kc_http_tr(req,
                           "Der Dienst ist vorübergehend nicht erreichbar. "
                           "Bitte versuchen Sie es später erneut.",
                           "The service is temporarily unavailable. Please "
                           "try again later."));
}

static void
render_limited(struct kc_http_req *req, struct kc_http_resp *resp,
               unsigned wait)
{
  resp->retry_after = wait;
  render_status(req, resp, 429,
                kc_http_tr(req,
                           "Zu viele Versuche. Bitte warten Sie einen Moment.",
                           "Too many attempts. Please wait a moment."));
}

/* A link that is unknown, used, expired, or whose account is locked by an
 * administrator or gone: one page for all of them. */
static void
render_gone(struct kc_http_req *req, struct kc_http_resp *resp)
{
  const struct kc_http_cfg *cfg = kc_http_cfg(req->http);
  const char *text = kc_http_tr(req, "Der Link ist ungültig oder abgelaufen.",
                                "The link is invalid or has expired.");
  int r;

  if (req->json) {
    resp->content_type = "application/json";
    r = kc_buf_add_str(&resp->body, "{\"status\":\"gone\",\"message\":") ||
        kc_esc_json_str(&resp->body, text) ||
        kc_buf_add_str(&resp->body, ",\"reset\":\"/account/reset\"}\n");
  } else {
    r = kc_page_begin(resp, cfg->portal_name, title(req), req->english) ||
        kc_page_p(resp, "error", text) ||
        kc_page_p(resp, NULL,
                  kc_http_tr(req,
                             "Ein Link gilt nur einmal und nur für kurze "
                             "Zeit; ein neuerer ersetzt ihn.",
                             "A link works once and for a short time only; "
                             "a newer one replaces it.")) ||
        kc_page_link(resp, self_url(req),
                     kc_http_tr(req, "Neuen Link anfordern",
                                "Request a new link")) ||
        kc_page_end(resp);
  }
  resp->status = r != 0 ? 500 : 410;
}

/* ------------------------------------------------- asking for a link */

static int
render_ask_form(struct kc_http_req *req, struct kc_http_resp *resp,
                const struct ask_input *in)
{
  const struct kc_http_cfg *cfg = kc_http_cfg(req->http);
  char csrf[64];
  struct kc_page_field f =
    {"login",
     kc_http_tr(req, "Benutzername oder E-Mail-Adresse",
                "User name or e-mail address"),
     "text",
     in->login,
     in->err_login,
     "username",
     kc_http_tr(req,
                "Mit der E-Mail-Adresse erhalten Sie für jeden Zugang, der "
                "sie nutzt, eine eigene E-Mail mit seinem Benutzernamen.",
                "With the e-mail address, every login that uses it gets its "
                "own e-mail naming its user name."),
     true};

  kc_http_csrf_field(req, resp, csrf, sizeof(csrf));
  return kc_page_begin(resp, cfg->portal_name, title(req), req->english) ||
             kc_page_p(resp, NULL,
                       kc_http_tr(req,
                                  "Geben Sie Ihren Benutzernamen oder Ihre "
                                  "E-Mail-Adresse an. Wir senden Ihnen einen "
                                  "Link, mit dem Sie ein neues Passwort "
                                  "festlegen.",
                                  "Enter your user name or your e-mail "
                                  "address. We will send you a link to set "
                                  "a new password.")) ||
             kc_page_form_begin(resp, self_url(req), csrf) ||
             kc_page_field(resp, &f) ||
             kc_captcha_http_render(req, resp, in->err_captcha) ||
             kc_page_form_end(resp, kc_http_tr(req, "Link anfordern",
                                               "Send the link")) ||
             kc_page_end(resp)
           ? -1
           : 0;
}

/* The one answer to every well-formed request: it cannot say whether
 * anything matched, so it says what happens if something did. */
static int
render_ask_done(struct kc_http_req *req, struct kc_http_resp *resp)
{
  const struct kc_http_cfg *cfg = kc_http_cfg(req->http);
  unsigned minutes = cfg->reset_ttl / 60 > 0 ? cfg->reset_ttl / 60 : 1;
  char text[768];

  snprintf(text, sizeof(text),
           req->english
             ? "If a login matches, we have sent an e-mail with a link to "
               "the address stored for it. The link is valid for %u minutes "
               "and works once. If no e-mail arrives, please check your spam "
               "folder."
             : "Falls ein Zugang zu Ihrer Angabe passt, haben wir eine "
               "E-Mail mit einem Link an die dort hinterlegte Adresse "
               "geschickt. Der Link ist %u Minuten gültig und nur einmal "
               "verwendbar. Sollten Sie keine E-Mail erhalten, prüfen Sie "
               "bitte Ihren Spam-Ordner.",
           minutes);
  resp->status = 200;
  if (req->json) {
    resp->content_type = "application/json";
    return kc_buf_add_str(&resp->body, "{\"status\":\"ok\",\"message\":") ||
               kc_esc_json_str(&resp->body, text) ||
               kc_buf_add_str(&resp->body, "}\n")
             ? -1
             : 0;
  }
  return kc_page_begin(resp, cfg->portal_name, title(req), req->english) ||
             kc_page_p(resp, "ok", text) || kc_page_end(resp)
           ? -1
           : 0;
}

static void
read_ask(struct kc_http_req *req, struct ask_input *in)
{
  bool fits;

  memset(in, 0, sizeof(*in));
  fits = kc_form_get_trim(&req->body, "login", in->login, sizeof(in->login));
  if (!fits)
    in->err_login =
      kc_http_tr(req, "Die Angabe ist zu lang.", "This is too long.");
  else if (in->login[0] == '\0')
    in->err_login = kc_http_tr(
      req, "Bitte geben Sie Ihren Benutzernamen oder Ihre E-Mail-Adresse an.",
      "Please enter your user name or your e-mail address.");
  else if (strchr(in->login, '@') != NULL ? !kc_email_valid(in->login)
                                          : !kc_str_is_username(in->login))
    in->err_login =
      kc_http_tr(req,
                 "Das ist weder ein gültiger Benutzername noch eine gültige "
                 "E-Mail-Adresse.",
                 "This is neither a valid user name nor a valid e-mail "
                 "address.");
  if (kc_captcha_http_check(req) != 0)
    in->err_captcha = kc_http_tr(
      req,
      "Die Sicherheitsabfrage wurde nicht richtig beantwortet. Bitte "
      "versuchen Sie es erneut.",
      "The security check was not answered correctly. Please try again.");
}

static void
render_ask_errors(struct kc_http_req *req, struct kc_http_resp *resp,
                  const struct ask_input *in)
{
  static const char *const names[] = {"login", "captcha"};
  const char *errs[] = {in->err_login, in->err_captcha};
  int r = req->json ? kc_page_json_errors(resp, names, errs, 2)
                    : render_ask_form(req, resp, in);

  resp->status = r != 0 ? 500 : 422;
}

/* ---------------------------------------------------------- background */

static int
send_link(struct kc_http *h, const struct reset_job *job,
          const struct kc_ldap_user *u, const char *token)
{
  const struct kc_http_cfg *cfg = kc_http_cfg(h);
  unsigned minutes = cfg->reset_ttl / 60 > 0 ? cfg->reset_ttl / 60 : 1;
  char subject[256], text[2048], err[256];
  int r;

  snprintf(subject, sizeof(subject),
           job->english ? "A new password for the %s"
                        : "Ein neues Passwort für das %s",
           cfg->portal_name);
  snprintf(
    text, sizeof(text),
    job->english
      ? "Hello,\n\nsomebody asked for a new password for your login to the "
        "%s.\n\nYour user name: %s\n\nTo set a new password, open this "
        "link:\n\n%s/account/reset?token=%s&lang=en\n\nThe link is valid "
        "for %u minutes and works once. If you did not ask for it, you can "
        "ignore this e-mail: your password stays as it is.\n"
      : "Guten Tag,\n\nfür Ihren Zugang zum %s wurde ein neues Passwort "
        "angefordert.\n\nIhr Benutzername: %s\n\nUm ein neues Passwort "
        "festzulegen, öffnen Sie bitte diesen Link:\n\n"
        "%s/account/reset?token=%s\n\nDer Link ist %u Minuten gültig und "
        "nur einmal verwendbar. Falls Sie das nicht angefordert haben, "
        "können Sie diese E-Mail ignorieren: Ihr Passwort bleibt, wie es "
        "ist.\n",
    cfg->portal_name, u->uid, cfg->public_url, token, minutes);
  r = kc_notify_mail(cfg->notify, u->mail, subject, text, err, sizeof(err));
  sodium_memzero(text, sizeof(text));
  if (r != 0)
    kc_log_warnx("reset mail failed; user=%s error=\"%s\"", u->uid, err);
  return r;
}

/* Whether u may get a link now; logs why not. */
static bool
may_offer(const struct kc_http_cfg *cfg, const struct kc_ldap_user *u)
{
  if (strcmp(u->locked_time, KC_LDAP_LOCK_FOREVER) == 0) {
    kc_log_info("reset link refused, account locked; user=%s", u->uid);
    return false;
  }
  if (u->mail[0] == '\0' || cfg->public_url == NULL) {
    kc_log_warnx("reset link not sent, no address or no public_url; user=%s",
                 u->uid);
    return false;
  }
  return true;
}

/* A new link for u: counted against its cap, stored, mailed; taken back
 * when the mail cannot go out. */
static void
offer(struct kc_http *h, struct kc_ldap *l, const struct reset_job *job,
      const struct kc_ldap_user *u)
{
  const struct kc_http_cfg *cfg = kc_http_cfg(h);
  const struct kc_send_cap cur = {u->reset_window, u->reset_sends};
  struct kc_send_cap next;
  char token[64], hash[64];
  time_t now = time(NULL);
  int r;

  if (!may_offer(cfg, u))
    return;
  if (!kc_reset_cap_take(&cur, now, &next)) {
    kc_log_info("reset link not sent, hourly cap reached; user=%s", u->uid);
    return;
  }
  kc_http_token_new(token, sizeof(token), KC_RESET_TOKEN_BYTES);
  kc_http_token_hash(token, hash);
  r = kc_ldap_reset_open(l, u, hash, now + (time_t) cfg->reset_ttl,
                         next.window_start, next.sends);
  if (r != 0)
    kc_log_warnx("reset link not stored; user=%s error=\"%s\"", u->uid,
                 r == KC_ERR_DUPLICATE ? "counted by another request"
                                       : kc_strerror(r));
  else if (send_link(h, job, u, token) != 0) {
    /* nothing half-done: no link stays that nobody got */
    if (kc_ldap_reset_void(l, u->dn, hash) != 0)
      kc_log_warnx("undelivered reset link not removed; user=%s", u->uid);
  } else
    kc_log_info("reset link sent; user=%s sends=%u", u->uid, next.sends);
  sodium_memzero(token, sizeof(token));
}

static void
offer_by_mail(struct kc_http *h, struct kc_ldap *l, const struct reset_job *job)
{
  char uids[KC_LDAP_RESET_MAX_ACCOUNTS][KC_MAX_USERNAME + 1];
  struct kc_ldap_user u;
  size_t i, n;
  int r;

  r =
    kc_ldap_reset_by_mail(l, job->login, uids, KC_LDAP_RESET_MAX_ACCOUNTS, &n);
  if (r != 0) {
    kc_log_warnx("reset by address failed; error=\"%s\"", kc_strerror(r));
    return;
  }
  if (n == 0)
    kc_log_info("reset asked for an address without an account");
  for (i = 0; i < n; i++)
    if (kc_ldap_find_user(l, uids[i], &u) == 0)
      offer(h, l, job, &u);
}

static void
reset_job(struct kc_http *h, void *arg)
{
  const struct reset_job *job = arg;
  struct kc_ldap *l = kc_http_ldap_get(h);
  struct kc_ldap_user u;
  int r;

  if (strchr(job->login, '@') != NULL)
    offer_by_mail(h, l, job);
  else if ((r = kc_ldap_find_user(l, job->login, &u)) == 0)
    offer(h, l, job, &u);
  else if (r == KC_ERR_NOT_FOUND)
    kc_log_info("reset asked for an unknown user name");
  else
    kc_log_warnx("reset lookup failed; error=\"%s\"", kc_strerror(r));
  kc_http_ldap_put(h, l);
  /* one counter for every outcome (see register_done) */
  kc_http_count(h, "reset_done");
}

/* Hand the request to the background thread; false: the queue is full. */
static bool
defer(struct kc_http_req *req, const struct ask_input *in)
{
  struct reset_job *job = calloc(1, sizeof(*job));

  if (job == NULL)
    return false;
  memcpy(job->login, in->login, sizeof(job->login));
  job->english = req->english;
  if (!kc_http_defer(req->http, reset_job, job, free)) {
    free(job);
    return false;
  }
  return true;
}

static unsigned
rate(struct kc_http_req *req, const char *kind, const char *value,
     unsigned burst, unsigned per)
{
  char key[KC_RESET_MAX_LOGIN + 32];

  snprintf(key, sizeof(key), "%s:%s", kind, value);
  kc_str_lower_ascii(key); /* LDAP finds names and addresses without case */
  return kc_http_rate(req->http, key, burst, per);
}

static void
post_ask(struct kc_http_req *req, struct kc_http_resp *resp)
{
  struct ask_input in;
  unsigned wait;

  if (kc_form_get(&req->body, "captcha_refresh") != NULL) {
    read_ask(req, &in); /* a new picture; the input stays, no errors yet */
    in.err_login = in.err_captcha = NULL;
    resp->status = render_ask_form(req, resp, &in) == 0 ? 200 : 500;
    return;
  }
  if ((wait = rate(req, "reset-ip", req->client, KC_RESET_IP_BURST,
                   KC_RESET_IP_PER)) > 0) {
    render_limited(req, resp, wait);
    return;
  }
  read_ask(req, &in);
  if (in.err_login != NULL || in.err_captcha != NULL) {
    render_ask_errors(req, resp, &in);
    return;
  }
  if ((wait = rate(req, "reset-login", in.login, KC_RESET_LOGIN_BURST,
                   KC_RESET_LOGIN_PER)) > 0) {
    render_limited(req, resp, wait);
    return;
  }
  if (!defer(req, &in)) {
    render_busy(req, resp);
    return;
  }
  kc_http_count(req->http, "reset_accepted");
  if (render_ask_done(req, resp) != 0)
    resp->status = 500;
}

static int
get_ask_json(struct kc_http_req *req, struct kc_http_resp *resp)
{
  struct kc_buf captcha;
  char csrf[64];
  unsigned wait;
  int r;

  kc_buf_init(&captcha, 1024);
  if (kc_captcha_http_json(req, &captcha, &wait) != 0) {
    kc_buf_free(&captcha);
    return -1;
  }
  if (wait > 0) {
    kc_buf_free(&captcha);
    render_limited(req, resp, wait);
    return 0;
  }
  kc_http_csrf_field(req, resp, csrf, sizeof(csrf));
  resp->content_type = "application/json";
  resp->no_store = true;
  resp->status = 200;
  r = kc_buf_add_str(&resp->body, "{\"csrf\":") ||
          kc_esc_json_str(&resp->body, csrf) ||
          kc_buf_add_str(&resp->body, ",\"fields\":[\"login\"],\"captcha\":") ||
          kc_buf_add(&resp->body, kc_buf_get(&captcha), kc_buf_len(&captcha)) ||
          kc_buf_add_str(&resp->body, "}\n")
        ? -1
        : 0;
  kc_buf_free(&captcha);
  return r;
}

/* ------------------------------------------------------- the link */

/* The account of token: 0 with u filled; KC_ERR_NOT_FOUND for a link
 * that is unknown, used, expired or whose account is locked for good;
 * KC_ERR_UNAVAILABLE. */
static int
find_link(struct kc_ldap *l, const char *token, struct kc_ldap_user *u)
{
  char hash[64];
  bool locked;
  int r;

  memset(u, 0, sizeof(*u));
  if (!kc_reset_token_ok(token))
    return KC_ERR_NOT_FOUND;
  kc_http_token_hash(token, hash);
  r = kc_ldap_find_user_by(l, KC_BY_RESET, hash, u);
  if (r == KC_ERR_INVALID)
    r = KC_ERR_NOT_FOUND; /* two accounts with one hash: trust neither */
  if (r != 0)
    return r;
  locked = strcmp(u->locked_time, KC_LDAP_LOCK_FOREVER) == 0;
  if (locked || !kc_reset_live(u->reset_expires, time(NULL))) {
    kc_log_info("reset link refused, %s; user=%s",
                locked ? "account locked" : "expired", u->uid);
    return KC_ERR_NOT_FOUND;
  }
  return 0;
}

static int
render_factor(struct kc_http_req *req, struct kc_http_resp *resp,
              const struct kc_ldap_user *u, const struct set_input *in)
{
  enum reset_factor k = factor_of(u);
  const char *rec = kc_http_tr(req,
                               "Oder einer Ihrer Wiederherstellungscodes "
                               "(jeder gilt einmal).",
                               "Or one of your recovery codes (each works "
                               "once).");
  char hint[256];
  struct kc_page_field tan =
    {"tan",
     k == FACTOR_SMS ? kc_http_tr(req, "TAN (per SMS)", "TAN (by SMS)")
     : app_code(u)   ? kc_http_tr(req, "Code aus der Authenticator-App",
                                  "Code from the authenticator app")
                   : kc_http_tr(req, "Wiederherstellungscode", "Recovery code"),
     "text",
     NULL,
     in->e_tan,
     "one-time-code",
     hint,
     true};

  if (k == FACTOR_APP && !app_code(u))
    rec = kc_http_tr(req,
                     "Für diesen Zugang ist keine Authenticator-App "
                     "eingerichtet: nur einer Ihrer Wiederherstellungscodes "
                     "hilft hier, sonst der Kundenservice.",
                     "No authenticator app is set up for this login: only "
                     "one of your recovery codes helps here, or customer "
                     "service.");
  if (in->tan_dest[0] != '\0')
    snprintf(hint, sizeof(hint), "%s. %s", in->tan_dest, rec);
  else
    snprintf(hint, sizeof(hint), "%s", rec);

  if (k == FACTOR_LINK)
    return 0;
  if (k == FACTOR_APP)
    return kc_page_field(resp, &tan);
  return kc_page_raw(resp,
                     "<input type=\"hidden\" name=\"challenge\" value=\"") ||
             kc_esc_html(&resp->body, in->challenge) ||
             kc_page_raw(resp, "\">\n") || kc_page_field(resp, &tan)
           ? -1
           : 0;
}

static int
render_set_form(struct kc_http_req *req, struct kc_http_resp *resp,
                const struct kc_ldap_user *u, const struct set_input *in)
{
  const struct kc_http_cfg *cfg = kc_http_cfg(req->http);
  char csrf[64], who[KC_MAX_USERNAME + 128], hint[64];
  struct kc_page_field f[] = {
    {"token", "", "hidden", in->token, NULL, NULL, NULL, false},
    {"new_password", kc_http_tr(req, "Neues Passwort", "New password"),
     "password", NULL, in->e_password, "new-password", hint, true},
    {"new_password_repeat",
     kc_http_tr(req, "Neues Passwort wiederholen", "Repeat new password"),
     "password", NULL, in->e_repeat, "new-password", NULL, true},
  };
  size_t i;

  /* the rule kc_password_check() applies to this account */
  snprintf(hint, sizeof(hint),
           req->english ? "At least %u characters." : "Mindestens %u Zeichen.",
           kc_password_min_length(cfg->password_min_length,
                                  strcmp(u->tan_method, "none") != 0));
  snprintf(who, sizeof(who),
           req->english ? "A new password for the user name %s."
                        : "Ein neues Passwort für den Benutzernamen %s.",
           u->uid);
  kc_http_csrf_field(req, resp, csrf, sizeof(csrf));
  if (kc_page_begin(resp, cfg->portal_name,
                    kc_http_tr(req, "Neues Passwort", "New password"),
                    req->english) ||
      kc_page_p(resp, NULL, who) ||
      (in->e_top != NULL && kc_page_p(resp, "error", in->e_top)) ||
      kc_page_form_begin(resp, self_url(req), csrf))
    return -1;
  for (i = 0; i < sizeof(f) / sizeof(f[0]); i++)
    if (kc_page_field(resp, &f[i]) != 0)
      return -1;
  return render_factor(req, resp, u, in) ||
             kc_page_form_end(resp, kc_http_tr(req, "Passwort festlegen",
                                               "Set the password")) ||
             kc_page_end(resp)
           ? -1
           : 0;
}

static int
render_set_json(struct kc_http_req *req, struct kc_http_resp *resp,
                const struct kc_ldap_user *u, const struct set_input *in)
{
  char csrf[64];
  enum reset_factor k = factor_of(u);
  bool sms = k == FACTOR_SMS;

  kc_http_csrf_field(req, resp, csrf, sizeof(csrf));
  resp->content_type = "application/json";
  resp->no_store = true;
  return kc_buf_add_str(&resp->body, "{\"status\":\"ok\",\"user\":") ||
             kc_esc_json_str(&resp->body, u->uid) ||
             kc_buf_add_str(&resp->body, ",\"csrf\":") ||
             kc_esc_json_str(&resp->body, csrf) ||
             kc_buf_add_str(&resp->body, ",\"fields\":[\"new_password\","
                                         "\"new_password_repeat\"") ||
             (k != FACTOR_LINK && kc_buf_add_str(&resp->body, ",\"tan\"")) ||
             kc_buf_add_str(&resp->body, sms ? "],\"challenge\":" : "]") ||
             (sms && kc_esc_json_str(&resp->body, in->challenge)) ||
             kc_buf_add_str(&resp->body, "}\n")
           ? -1
           : 0;
}

/* Send the SMS TAN (or point at the fresh one that is out). */
static void
issue_tan(struct kc_http_req *req, struct kc_ldap *l,
          const struct kc_ldap_user *u, struct set_input *in)
{
  const struct kc_http_cfg *cfg = kc_http_cfg(req->http);
  struct kc_tanflow f = {cfg->tan_policy, cfg->key, cfg->notify, NULL};
  enum kc_tanflow_sent st;

  st = kc_tanflow_issue(&f, l, u, in->challenge, in->tan_dest,
                        sizeof(in->tan_dest));
  switch (st) {
    case KC_TANFLOW_SENT:
    case KC_TANFLOW_PENDING:
      break;
    case KC_TANFLOW_LIMITED:
      in->e_tan = kc_http_tr(req,
                             "Es wurden gerade zu viele TANs gesendet. Bitte "
                             "versuchen Sie es später erneut.",
                             "Too many TANs were sent just now. Please try "
                             "again later.");
      break;
    default:
      in->e_tan = kc_page_tan_unsent(req, st);
      break;
  }
}

static void
get_link(struct kc_http_req *req, struct kc_http_resp *resp, const char *token)
{
  struct kc_ldap_user u;
  struct set_input in;
  struct kc_ldap *l = kc_http_ldap_get(req->http);
  int r = find_link(l, token, &u);

  memset(&in, 0, sizeof(in));
  if (r == 0 && factor_of(&u) == FACTOR_SMS)
    issue_tan(req, l, &u, &in);
  kc_http_ldap_put(req->http, l);
  if (r == KC_ERR_NOT_FOUND) {
    render_gone(req, resp);
    return;
  }
  if (r != 0) {
    render_busy(req, resp);
    return;
  }
  memcpy(in.token, token, KC_RESET_TOKEN_LEN + 1);
  resp->status = 200;
  if ((req->json ? render_set_json(req, resp, &u, &in)
                 : render_set_form(req, resp, &u, &in)) != 0)
    resp->status = 500;
  sodium_memzero(&in, sizeof(in));
}

/* ------------------------------------------------- setting the password */

static void
read_set(struct kc_http_req *req, struct set_input *in,
         const struct kc_ldap_user *u)
{
  const struct kc_http_cfg *cfg = kc_http_cfg(req->http);
  enum kc_password_problem p;

  if (!kc_form_get_trim(&req->body, "challenge", in->challenge,
                        sizeof(in->challenge)))
    in->challenge[0] = '\0';
  if (!kc_form_get_trim(&req->body, "tan", in->tan, sizeof(in->tan))) {
    in->tan[0] = '\0';
    in->tan_long = true; /* no code is that long: wrong, not absent */
  }
  in->new_password = kc_form_get(&req->body, "new_password");
  in->new_repeat = kc_form_get(&req->body, "new_password_repeat");
  if (in->new_password == NULL)
    in->new_password = "";
  if (in->new_repeat == NULL)
    in->new_repeat = "";
  p = kc_password_check(in->new_password, u->uid, u->customer,
                        cfg->password_min_length,
                        strcmp(u->tan_method, "none") != 0);
  if (in->new_password[0] == '\0')
    in->e_password = kc_http_tr(req, "Bitte wählen Sie ein neues Passwort.",
                                "Please choose a new password.");
  else if (p != KC_PW_OK)
    in->e_password = kc_password_problem_text(p, req->english);
  else if (strcmp(in->new_password, in->new_repeat) != 0)
    in->e_repeat = kc_http_tr(req, "Die Passwörter stimmen nicht überein.",
                              "The passwords differ.");
}

/* The text for a wrong answer of the kind typed. */
static const char *
wrong_text(struct kc_http_req *req, const struct kc_ldap_user *u,
           const struct set_input *in, bool rec)
{
  if (rec)
    return kc_http_tr(req,
                      "Der Wiederherstellungscode ist falsch oder wurde "
                      "schon verwendet.",
                      "The recovery code is wrong or was used already.");
  if (factor_of(u) == FACTOR_SMS)
    return kc_http_tr(req,
                      "Die TAN ist falsch oder abgelaufen. Laden Sie den Link "
                      "erneut für eine neue TAN.",
                      "The TAN is wrong or has expired. Open the link again "
                      "for a new TAN.");
  if (app_code(u) && !in->tan_long)
    return kc_http_tr(req,
                      "Der Code ist falsch oder wurde schon verwendet. Bitte "
                      "geben Sie den nächsten Code aus der App ein.",
                      "The code is wrong or was used already. Please enter "
                      "the next code from the app.");
  return kc_http_tr(req, "Das ist kein gültiger Code.",
                    "This is not a valid code.");
}

/* What kc_factor_answer said: 0 (proven), KC_ERR_INVALID (in->e_tan says
 * why), KC_ERR_NOT_FOUND (locked now), KC_ERR_UNAVAILABLE. */
static int
answered(struct kc_http_req *req, const struct kc_ldap_user *u,
         struct set_input *in, bool rec, enum kc_tanflow_answer a,
         const struct kc_factor_result *res)
{
  switch (a) {
    case KC_TANFLOW_RIGHT:
      if (res->kind == KC_FACTOR_RECOVERY)
        kc_log_info("reset with a recovery code; user=%s left=%u", u->uid,
                    res->recovery_left);
      return 0;
    case KC_TANFLOW_LOCKED:
      return KC_ERR_NOT_FOUND;
    case KC_TANFLOW_ERROR:
      return KC_ERR_UNAVAILABLE;
    case KC_TANFLOW_BROKEN: /* the stored secret does not open (logged) */
      in->e_tan = kc_http_tr(req,
                             "Der Code kann nicht geprüft werden: die "
                             "Authenticator-App muss neu eingerichtet werden. "
                             "Geben Sie einen Wiederherstellungscode ein oder "
                             "wenden Sie sich an den Kundenservice.",
                             "The code cannot be checked: the authenticator "
                             "app must be set up again. Enter a recovery code "
                             "or contact customer service.");
      return KC_ERR_INVALID;
    case KC_TANFLOW_MAXTRIES:
      if (rec || factor_of(u) == FACTOR_APP) {
        /* wrong codes in a row: a pause (KC_FACTOR_PAUSE) */
        in->e_tan = kc_http_tr(req,
                               "Zu viele falsche Codes. Bitte warten Sie "
                               "fünf Minuten und versuchen Sie es dann "
                               "erneut.",
                               "Too many wrong codes. Please wait five "
                               "minutes, then try again.");
        return KC_ERR_INVALID;
      }
      break;
    default:
      break;
  }
  in->e_tan = wrong_text(req, u, in, rec);
  if (!rec && factor_of(u) == FACTOR_SMS)
    in->challenge[0] = '\0'; /* a new TAN with the next form */
  return KC_ERR_INVALID;
}

/* Whether the answer could pass at all; if not, in->e_tan says why and
 * nothing is counted: nothing typed, too long, or for a method kcd does
 * not know anything but a recovery code. */
static bool
could_pass(struct kc_http_req *req, const struct kc_ldap_user *u,
           struct set_input *in, bool rec)
{
  if (in->tan[0] == '\0' && !in->tan_long) {
    in->e_tan = kc_http_tr(req,
                           "Bitte geben Sie den Code aus Ihrer "
                           "Authenticator-App oder einen "
                           "Wiederherstellungscode ein.",
                           "Please enter the code from your authenticator "
                           "app or a recovery code.");
    return false;
  }
  if (in->tan_long) {
    in->e_tan = wrong_text(req, u, in, rec);
    return false;
  }
  if (factor_of(u) == FACTOR_APP && !rec && !app_code(u)) {
    in->e_tan = kc_http_tr(req,
                           "Für diesen Zugang ist keine Authenticator-App "
                           "eingerichtet. Geben Sie einen "
                           "Wiederherstellungscode ein, oder wenden Sie sich "
                           "an den Kundenservice.",
                           "No authenticator app is set up for this login. "
                           "Enter a recovery code, or contact customer "
                           "service.");
    return false;
  }
  return true;
}

/* The second factor of u beyond the link: the SMS TAN (one is sent when
 * none was typed), the app's code, or a recovery code for either. 0:
 * proven; KC_ERR_INVALID: in->e_tan says why (a TAN is out now, or the
 * answer was wrong); KC_ERR_NOT_FOUND: the account is locked now (the
 * link is dead); KC_ERR_UNAVAILABLE. */
static int
prove_factor(struct kc_http_req *req, struct kc_ldap *l,
             const struct kc_ldap_user *u, struct set_input *in)
{
  const struct kc_http_cfg *cfg = kc_http_cfg(req->http);
  struct kc_tanflow f = {cfg->tan_policy, cfg->key, cfg->notify, NULL};
  enum reset_factor k = factor_of(u);
  struct kc_factor_result res;
  enum kc_tanflow_answer a;
  bool rec;

  if (k == FACTOR_LINK)
    return 0;
  rec = !in->tan_long && kc_factor_is_recovery(in->tan);
  if (k == FACTOR_SMS && !rec && !in->tan_long &&
      (in->tan[0] == '\0' || in->challenge[0] == '\0')) {
    issue_tan(req, l, u, in);
    if (in->e_tan == NULL)
      in->e_tan = kc_http_tr(req,
                             "Bitte geben Sie die TAN ein, die wir Ihnen per "
                             "SMS gesendet haben.",
                             "Please enter the TAN we sent you by SMS.");
    return KC_ERR_INVALID;
  }
  if (!could_pass(req, u, in, rec))
    return KC_ERR_INVALID;
  memset(&res, 0, sizeof(res));
  a = kc_factor_answer(&f, l, u, k == FACTOR_SMS && !rec ? in->challenge : NULL,
                       in->tan, &res);
  return answered(req, u, in, rec, a, &res);
}

static void
notify_reset(struct kc_http_req *req, const struct kc_ldap_user *u)
{
  const struct kc_http_cfg *cfg = kc_http_cfg(req->http);
  char subject[256], text[1024], err[256];

  if (u->mail[0] == '\0')
    return;
  snprintf(subject, sizeof(subject),
           req->english ? "Your password for the %s was reset"
                        : "Ihr Passwort im %s wurde neu festgelegt",
           cfg->portal_name);
  snprintf(text, sizeof(text),
           req->english
             ? "Hello,\n\nthe password of your login %s to the %s was just "
               "set anew with a link from an e-mail. Every session of the "
               "login has ended.\n\nIf this was not you, please contact "
               "customer service at once.\n"
             : "Guten Tag,\n\nsoeben wurde das Passwort Ihres Zugangs %s "
               "zum %s über einen Link aus einer E-Mail neu festgelegt. Alle "
               "Sitzungen des Zugangs wurden beendet.\n\nFalls Sie das nicht "
               "waren, wenden Sie sich bitte umgehend an den "
               "Kundenservice.\n",
           u->uid, cfg->portal_name);
  if (kc_notify_mail(cfg->notify, u->mail, subject, text, err, sizeof(err)) !=
      0)
    kc_log_warnx("reset notice not sent; user=%s error=\"%s\"", u->uid, err);
}

/* The one modify: 0, KC_ERR_DUPLICATE (another request used the link
 * first), or another KC_ERR_*. */
static int
apply(struct kc_ldap *l, const struct kc_ldap_user *u, const char *password)
{
  char stamp[KC_SESSION_STAMP_LEN + 1];
  struct kc_buf hash;
  int r;

  if ((r = kc_password_hash(&hash, password)) != 0)
    return r;
  kc_session_new_stamp(stamp);
  r = kc_ldap_reset_finish(l, u, kc_buf_get(&hash), stamp);
  kc_buf_free(&hash);
  return r;
}

static void
render_set_done(struct kc_http_req *req, struct kc_http_resp *resp)
{
  const struct kc_http_cfg *cfg = kc_http_cfg(req->http);

  if (req->json) {
    resp->status = 200;
    resp->content_type = "application/json";
    if (kc_buf_add_str(&resp->body, "{\"status\":\"reset\"}\n"))
      resp->status = 500;
    return;
  }
  resp->status = 303;
  snprintf(resp->location, sizeof(resp->location), "%s",
           cfg->login_url != NULL ? cfg->login_url : "/account/login");
}

/* Input and second factor checked; then the password is set. */
static void
finish(struct kc_http_req *req, struct kc_http_resp *resp, struct kc_ldap *l,
       const struct kc_ldap_user *u, const struct set_input *in)
{
  int r = apply(l, u, in->new_password);

  if (r == KC_ERR_DUPLICATE || r == KC_ERR_NOT_FOUND) {
    kc_log_info("reset link used by another request; user=%s", u->uid);
    render_gone(req, resp);
    return;
  }
  if (r != 0) {
    kc_log_warnx("password reset failed; user=%s error=\"%s\"", u->uid,
                 kc_strerror(r));
    render_busy(req, resp);
    return;
  }
  kc_log_auth("password reset; user=%s", u->uid);
  kc_http_count(req->http, "password_reset");
  notify_reset(req, u);
  render_set_done(req, resp);
}

static void
render_set_errors(struct kc_http_req *req, struct kc_http_resp *resp,
                  const struct kc_ldap_user *u, const struct set_input *in)
{
  static const char *const names[] = {"new_password", "new_password_repeat",
                                      "tan"};
  const char *errs[] = {in->e_password, in->e_repeat, in->e_tan};
  int r = req->json ? kc_page_json_errors(resp, names, errs, 3)
                    : render_set_form(req, resp, u, in);

  resp->status = r != 0 ? 500 : 422;
}

static void
post_set(struct kc_http_req *req, struct kc_http_resp *resp,
         struct set_input *in)
{
  struct kc_ldap_user u;
  struct kc_ldap *l;
  unsigned wait;
  int r;

  if ((wait = rate(req, "reset-set-ip", req->client, KC_RESET_SET_BURST,
                   KC_RESET_SET_PER)) > 0) {
    render_limited(req, resp, wait);
    return;
  }
  l = kc_http_ldap_get(req->http);
  if ((r = find_link(l, in->token, &u)) == 0) {
    read_set(req, in, &u);
    /* the password first: a TAN is not spent on a form with errors */
    if (in->e_password != NULL || in->e_repeat != NULL)
      r = KC_ERR_INVALID;
    else
      r = prove_factor(req, l, &u, in);
    if (r == 0)
      finish(req, resp, l, &u, in);
  }
  kc_http_ldap_put(req->http, l);
  if (r == KC_ERR_INVALID)
    render_set_errors(req, resp, &u, in);
  else if (r == KC_ERR_NOT_FOUND)
    render_gone(req, resp);
  else if (r != 0)
    render_busy(req, resp);
}

/* ------------------------------------------------------------ entry */

static void
post(struct kc_http_req *req, struct kc_http_resp *resp)
{
  struct set_input in;

  kc_http_count(req->http, "reset_post");
  if (req->body_bad) {
    render_status(req, resp, 400,
                  kc_http_tr(req, "Ungültige Anfrage.", "Invalid request."));
    return;
  }
  if (kc_http_csrf_check(req) != 0) {
    render_status(req, resp, 403,
                  kc_http_tr(req,
                             "Die Sitzung ist abgelaufen. Bitte laden Sie das "
                             "Formular neu.",
                             "The session has expired. Please reload the "
                             "form."));
    return;
  }
  if (kc_form_get(&req->body, "token") == NULL) {
    post_ask(req, resp);
    return;
  }
  memset(&in, 0, sizeof(in));
  if (!kc_form_get_trim(&req->body, "token", in.token, sizeof(in.token)))
    render_gone(req, resp);
  else
    post_set(req, resp, &in);
  sodium_memzero(&in, sizeof(in)); /* the token and the TAN */
}

void
kc_http_reset(struct kc_http_req *req, struct kc_http_resp *resp)
{
  struct ask_input empty;
  const char *token;

  if (strcmp(req->method, "POST") == 0) {
    post(req, resp);
    return;
  }
  kc_http_count(req->http, "reset_get");
  if ((token = kc_form_get(&req->query, "token")) != NULL) {
    if (kc_reset_token_ok(token))
      get_link(req, resp, token);
    else
      render_gone(req, resp);
    return;
  }
  if (req->json) {
    if (get_ask_json(req, resp) != 0)
      resp->status = 500;
    return;
  }
  memset(&empty, 0, sizeof(empty));
  resp->status = render_ask_form(req, resp, &empty) == 0 ? 200 : 500;
}
