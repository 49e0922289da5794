/*
 * http_account.c: the account pages of a signed-in user (session_http.c):
 *
 *   GET  /account                 what the account is, links, logout
 *   GET/POST /account/password    password, new_password,
 *                                 new_password_repeat (RFC 3062 as the
 *                                 user: ppolicy's history applies)
 *   GET/POST /account/second-factor  tan_method, mobile (+ challenge,
 *                                 tan when the current factor is asked;
 *                                 totp_sealed, totp_code: the app's
 *                                 enrolment, enrol.h); action=
 *                                 recovery-codes: new recovery codes
 *   GET/POST /account/email       email, password: a confirmation link to
 *                                 the new address, a notice to the old
 *   GET/POST /account/email?token= the link of that mail: a button that
 *                                 confirms (a GET changes nothing, so a
 *                                 mail scanner following links cannot)
 *
 * Every page reads the account afresh and refreshes the cookie; every
 * POST carries the session's CSRF field. A weaker second factor or a new
 * mobile number needs the current factor once more unless it was proven
 * in the last KC_ACCOUNT_FRESH_FACTOR seconds of the session; turning the
 * factor off and changing the address also need the password, as these
 * open the account to whoever holds the mailbox. Every change mails a
 * notice without secrets.
 */
#include <config.h>

#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <sodium.h>

#include "email.h"
#include "enrol.h"
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
#include "phone.h"
#include "tanflow.h"

/* A second factor proven this recently in the session counts for a
 * change of the second factor. */
#define KC_ACCOUNT_FRESH_FACTOR 300
/* Lifetime of the confirmation link of a new address. */
#define KC_ACCOUNT_MAIL_TTL (24 * 3600)
/* Changes per account: 5, then one every 2 minutes; confirmation mails
 * per account: 3, then one every 20 minutes. */
#define KC_ACCOUNT_CHANGE_BURST 5
#define KC_ACCOUNT_CHANGE_PER   120
#define KC_ACCOUNT_MAIL_BURST   3
#define KC_ACCOUNT_MAIL_PER     1200

static const char *
unavailable_text(const struct kc_http_req *req)
{
  return kc_http_tr(req, "Der Dienst ist vorübergehend nicht erreichbar.",
                    "The service is temporarily unavailable.");
}

/* Read the account again after a change (a new pwdChangedTime, a new
 * address): the cookie must be made for the entry as it is now. */
static void
acct_reread(struct kc_http_acct *a)
{
  struct kc_ldap_user u;

  if (kc_ldap_find_user_by(a->l, KC_BY_UUID, a->u.uuid, &u) == 0)
    a->u = u;
}

static const char *
method_label(const struct kc_http_req *req, const char *m)
{
  if (strcmp(m, "email") == 0)
    return "emailTAN";
  if (strcmp(m, "mtan") == 0)
    return "mTAN";
  if (strcmp(m, "totp") == 0)
    return "Authenticator-App";
  return kc_http_tr(req, "keine", "none");
}

static int
page_begin(struct kc_http_req *req, struct kc_http_resp *resp,
           const char *title, const char *ok, const char *error)
{
  const struct kc_http_cfg *cfg = kc_http_cfg(req->http);

  return kc_page_begin(resp, cfg->portal_name, title, req->english) ||
             (ok != NULL && kc_page_p(resp, "ok", ok)) ||
             (error != NULL && kc_page_p(resp, "error", error))
           ? -1
           : 0;
}

static int
back_link(struct kc_http_req *req, struct kc_http_resp *resp)
{
  return kc_page_link(resp, req->english ? "/account?lang=en" : "/account",
                      kc_http_tr(req, "Zurück zur Übersicht",
                                 "Back to the overview"));
}

static const char *
lang_path(const struct kc_http_req *req, const char *de, const char *en)
{
  return req->english ? en : de;
}

/* ------------------------------------------------------------- overview */

/* One "term: value" row of the overview (escaped). */
static int
row(struct kc_http_resp *resp, const char *term, const char *value)
{
  return kc_page_raw(resp, "<dt>") || kc_esc_html(&resp->body, term) ||
             kc_page_raw(resp, "</dt><dd>") ||
             kc_esc_html(&resp->body, value[0] != '\0' ? value : "–") ||
             kc_page_raw(resp, "</dd>\n")
           ? -1
           : 0;
}

static int
overview_json(struct kc_http_resp *resp, const struct kc_http_acct *a,
              const struct kc_ldap_details *d, const char *mobile)
{
  struct kc_buf *b = &resp->body;
  size_t i;
  int r;

  resp->content_type = "application/json";
  r =
    kc_buf_add_str(b, "{\"status\":\"ok\",\"username\":") ||
    kc_esc_json_str(b, a->u.uid) || kc_buf_add_str(b, ",\"salutation\":") ||
    kc_esc_json_str(b, d->salutation) ||
    kc_buf_add_str(b, ",\"first_name\":") ||
    kc_esc_json_str(b, d->first_name) || kc_buf_add_str(b, ",\"last_name\":") ||
    kc_esc_json_str(b, d->last_name) || kc_buf_add_str(b, ",\"email\":") ||
    kc_esc_json_str(b, a->u.mail) || kc_buf_add_str(b, ",\"email_pending\":") ||
    kc_esc_json_str(b, a->u.new_mail) || kc_buf_add_str(b, ",\"mobile\":") ||
    kc_esc_json_str(b, mobile) || kc_buf_add_str(b, ",\"tan_method\":") ||
    kc_esc_json_str(b, a->u.tan_method) ||
    kc_buf_printf(b, ",\"totp_enrolled\":%s,\"recovery_codes_left\":%u",
                  a->u.totp_enrolled ? "true" : "false", a->u.recovery_left) ||
    kc_buf_add_str(b, ",\"role\":") || kc_esc_json_str(b, a->u.role) ||
    kc_buf_add_str(b, ",\"csrf\":") || kc_esc_json_str(b, a->csrf) ||
    kc_buf_add_str(b, ",\"customers\":[");
  for (i = 0; r == 0 && i < d->n_customers; i++)
    r = (i > 0 && kc_buf_add_str(b, ",")) ||
        kc_buf_add_str(b, "{\"number\":") ||
        kc_esc_json_str(b, d->customers[i].number) ||
        kc_buf_add_str(b, ",\"name\":") ||
        kc_esc_json_str(b, d->customers[i].name) || kc_buf_add_str(b, "}");
  return r || kc_buf_add_str(b, "]}\n") ? -1 : 0;
}

static int
overview_html(struct kc_http_req *req, struct kc_http_resp *resp,
              const struct kc_http_acct *a, const struct kc_ldap_details *d,
              const char *mobile, const char *ok)
{
  char name[3 * KC_MAX_NAME], cust[KC_MAX_CUSTOMER_NUMBER + KC_MAX_NAME + 8];
  char left[64];
  size_t i;

  snprintf(left, sizeof(left),
           req->english ? "%u of %u left" : "%u von %u übrig",
           a->u.recovery_left, (unsigned) KC_RECOVERY_COUNT);
  snprintf(name, sizeof(name), "%s%s%s%s%s", d->salutation,
           d->salutation[0] ? " " : "", d->first_name,
           d->first_name[0] && d->last_name[0] ? " " : "", d->last_name);
  if (page_begin(req, resp, kc_http_tr(req, "Mein Zugang", "My account"), ok,
                 NULL) ||
      kc_page_raw(resp, "<dl class=\"account\">\n") ||
      row(resp, kc_http_tr(req, "Benutzername", "User name"), a->u.uid) ||
      row(resp, kc_http_tr(req, "Name", "Name"), name) ||
      row(resp, kc_http_tr(req, "E-Mail-Adresse", "E-mail address"),
          a->u.mail) ||
      (a->u.new_mail[0] != '\0' &&
       row(resp,
           kc_http_tr(req, "Neue Adresse (unbestätigt)",
                      "New address (not confirmed yet)"),
           a->u.new_mail)) ||
      row(resp, kc_http_tr(req, "Mobiltelefon", "Mobile phone"), mobile) ||
      row(resp, kc_http_tr(req, "TAN-Verfahren", "Second factor"),
          method_label(req, a->u.tan_method)) ||
      row(resp, kc_http_tr(req, "Wiederherstellungscodes", "Recovery codes"),
          left) ||
      row(resp, kc_http_tr(req, "Rolle", "Role"),
          strcmp(a->u.role, "admin") == 0
            ? kc_http_tr(req, "Hauptbenutzer", "Main user")
            : kc_http_tr(req, "Benutzer", "User")))
    return -1;
  for (i = 0; i < d->n_customers; i++) {
    snprintf(cust, sizeof(cust), "%s%s%s", d->customers[i].number,
             d->customers[i].name[0] ? " – " : "", d->customers[i].name);
    if (row(resp, kc_http_tr(req, "Kundennummer", "Customer number"), cust))
      return -1;
  }
  return kc_page_raw(resp, "</dl>\n") ||
             kc_page_link(resp,
                          lang_path(req, "/account/password",
                                    "/account/password?lang=en"),
                          kc_http_tr(req, "Passwort ändern",
                                     "Change password")) ||
             kc_page_link(resp,
                          lang_path(req, "/account/second-factor",
                                    "/account/second-factor?lang=en"),
                          kc_http_tr(req,
                                     "TAN-Verfahren oder Mobilnummer "
                                     "ändern",
                                     "Change second factor or mobile")) ||
             (strcmp(a->u.tan_method, "none") != 0 &&
              kc_page_link(resp,
                           lang_path(req,
                                     "/account/second-factor?action="
                                     "recovery-codes",
                                     "/account/second-factor?action="
                                     "recovery-codes&lang=en"),
                           kc_http_tr(req,
                                      "Neue Wiederherstellungscodes erzeugen",
                                      "Make new recovery codes"))) ||
             kc_page_link(resp,
                          lang_path(req, "/account/email",
                                    "/account/email?lang=en"),
                          kc_http_tr(req, "E-Mail-Adresse ändern",
                                     "Change e-mail address")) ||
             (strcmp(a->u.role, "admin") == 0 &&
              kc_page_link(resp,
                           lang_path(req, "/account/users",
                                     "/account/users?lang=en"),
                           kc_http_tr(req, "Benutzer der Praxis verwalten",
                                      "Manage the practice's users"))) ||
             kc_page_form_begin(resp,
                                lang_path(req, "/account/logout",
                                          "/account/logout?lang=en"),
                                a->csrf) ||
             kc_page_form_end(resp, kc_http_tr(req, "Abmelden", "Log out")) ||
             kc_page_end(resp)
           ? -1
           : 0;
}

/* The overview, with ok as the message of a change just made. */
static void
overview(struct kc_http_req *req, struct kc_http_resp *resp,
         const struct kc_http_acct *a, const char *ok)
{
  struct kc_ldap_details d;
  char mobile[KC_PHONE_MASK_SIZE];
  int r;

  kc_buf_reset(&resp->body);
  if (kc_ldap_account_details(a->l, a->u.dn, &d) != 0) {
    kc_http_plain(resp, 503, "service unavailable\n");
    return;
  }
  mobile[0] = '\0';
  if (a->u.mobile[0] != '\0')
    kc_phone_mask(a->u.mobile, mobile, sizeof(mobile));
  r = req->json ? overview_json(resp, a, &d, mobile)
                : overview_html(req, resp, a, &d, mobile, ok);
  resp->status = r == 0 ? 200 : 500;
}

void
kc_http_account(struct kc_http_req *req, struct kc_http_resp *resp)
{
  struct kc_http_acct a;

  if (strcmp(req->method, "POST") == 0) {
    kc_http_plain(resp, 405, "use GET\n");
    return;
  }
  if (!kc_http_acct_open(req, resp, &a))
    return;
  overview(req, resp, &a, NULL);
  kc_http_acct_close(req, resp, &a);
}

/* Per-account limit on changes (a stolen session cannot hammer the
 * password check of the password or the e-mail form). */
static bool
limited(struct kc_http_req *req, struct kc_http_resp *resp,
        const struct kc_http_acct *a, const char *what, unsigned burst,
        unsigned per)
{
  char key[128];

  snprintf(key, sizeof(key), "%s:%s", what, a->u.uuid);
  return kc_http_too_many(resp, kc_http_rate(req->http, key, burst, per));
}

/* The current password in a form of the session: false (and why in
 * *err) when it is wrong. A wrong one counts with ppolicy like any. */
static bool
password_ok(struct kc_http_req *req, struct kc_http_acct *a, const char *pw,
            const char **err)
{
  enum kc_ldap_bind_result b;

  b = pw[0] != '\0' ? kc_ldap_bind_user(a->l, a->u.dn, pw) : KC_BIND_INVALID;
  if (b == KC_BIND_OK)
    return true;
  if (b == KC_BIND_UNAVAILABLE) {
    *err = unavailable_text(req);
    return false;
  }
  if (b == KC_BIND_INVALID || b == KC_BIND_LOCKED)
    kc_http_lockout_notice(req, &a->u);
  *err = kc_http_tr(req, "Das Passwort ist falsch.", "The password is wrong.");
  return false;
}

/* ------------------------------------------------------------- password */

struct pw_input {
  const char *password, *new_password, *new_repeat;
  const char *e_top, *e_password, *e_new, *e_repeat;
};

static int
password_form(struct kc_http_req *req, struct kc_http_resp *resp,
              const struct kc_http_acct *a, const struct pw_input *in)
{
  struct kc_page_field f[] = {
    {"password", kc_http_tr(req, "Aktuelles Passwort", "Current password"),
     "password", NULL, in->e_password, "current-password", NULL, true},
    {"new_password", kc_http_tr(req, "Neues Passwort", "New password"),
     "password", NULL, in->e_new, "new-password",
     kc_http_tr(req, "Mindestens 12 Zeichen (8 mit TAN).",
                "At least 12 characters (8 with a TAN)."),
     true},
    {"new_password_repeat",
     kc_http_tr(req, "Neues Passwort wiederholen", "Repeat new password"),
     "password", NULL, in->e_repeat, "new-password", NULL, true},
  };
  size_t i;

  if (req->json) {
    static const char *const names[] = {"error", "password", "new_password",
                                        "new_password_repeat"};
    const char *errs[] = {in->e_top, in->e_password, in->e_new, in->e_repeat};
    return kc_page_json_errors(resp, names, errs, 4);
  }
  if (page_begin(req, resp,
                 kc_http_tr(req, "Passwort ändern", "Change password"), NULL,
                 in->e_top) ||
      kc_page_form_begin(resp,
                         lang_path(req, "/account/password",
                                   "/account/password?lang=en"),
                         a->csrf))
    return -1;
  for (i = 0; i < sizeof(f) / sizeof(f[0]); i++)
    if (kc_page_field(resp, &f[i]))
      return -1;
  return kc_page_form_end(resp, kc_http_tr(req, "Ändern", "Change")) ||
             back_link(req, resp) || kc_page_end(resp)
           ? -1
           : 0;
}

static void
password_post(struct kc_http_req *req, struct kc_http_resp *resp,
              struct kc_http_acct *a)
{
  const struct kc_http_cfg *cfg = kc_http_cfg(req->http);
  struct pw_input in;
  enum kc_password_problem p;
  char why[128];

  memset(&in, 0, sizeof(in));
  in.password = kc_form_get(&req->body, "password");
  in.new_password = kc_form_get(&req->body, "new_password");
  in.new_repeat = kc_form_get(&req->body, "new_password_repeat");
  in.password = in.password ? in.password : "";
  in.new_password = in.new_password ? in.new_password : "";
  in.new_repeat = in.new_repeat ? in.new_repeat : "";
  p = kc_password_check(in.new_password, a->u.uid, a->u.customer,
                        cfg->password_min_length,
                        strcmp(a->u.tan_method, "none") != 0);
  if (p != KC_PW_OK)
    in.e_new = kc_password_problem_text(p, req->english);
  else if (strcmp(in.new_password, in.new_repeat) != 0)
    in.e_repeat = kc_http_tr(req, "Die Passwörter stimmen nicht überein.",
                             "The passwords differ.");
  else if (strcmp(in.new_password, in.password) == 0)
    in.e_new = kc_http_tr(req,
                          "Das neue Passwort muss sich vom alten "
                          "unterscheiden.",
                          "The new password must differ from the old one.");
  if (in.e_new == NULL && in.e_repeat == NULL) {
    switch (kc_ldap_passwd_user(a->l, a->u.dn, in.password, in.new_password,
                                why, sizeof(why))) {
      case KC_PASSWD_OK:
        kc_log_info("password changed on the account page; user=%s", a->u.uid);
        kc_http_count(req->http, "account_password_changed");
        kc_http_change_notice(req, a->u.mail, a->u.uid,
                              kc_http_tr(req, "- Passwort\n", "- password\n"));
        /* other sessions end with the old pwdChangedTime; this one goes on */
        acct_reread(a);
        overview(req, resp, a,
                 kc_http_tr(req, "Ihr Passwort wurde geändert.",
                            "Your password was changed."));
        return;
      case KC_PASSWD_BAD_OLD:
      case KC_PASSWD_LOCKED:
        kc_http_lockout_notice(req, &a->u);
        in.e_password =
          kc_http_tr(req, "Das Passwort ist falsch.", "The password is wrong.");
        break;
      case KC_PASSWD_REJECTED:
        kc_log_info("password change refused by the directory; user=%s "
                    "reason=\"%s\"",
                    a->u.uid, why);
        in.e_new = kc_http_tr(req,
                              "Das neue Passwort wurde abgelehnt (zuletzt "
                              "verwendet?).",
                              "The new password was refused (used "
                              "recently?).");
        break;
      default:
        in.e_top = unavailable_text(req);
        break;
    }
  }
  resp->status = password_form(req, resp, a, &in) == 0 ? 422 : 500;
}

void
kc_http_account_password(struct kc_http_req *req, struct kc_http_resp *resp)
{
  struct pw_input in;
  struct kc_http_acct a;

  if (!kc_http_acct_open(req, resp, &a))
    return;
  memset(&in, 0, sizeof(in));
  if (strcmp(req->method, "POST") != 0)
    resp->status = password_form(req, resp, &a, &in) == 0 ? 200 : 500;
  else if (!limited(req, resp, &a, "acct-change", KC_ACCOUNT_CHANGE_BURST,
                    KC_ACCOUNT_CHANGE_PER))
    password_post(req, resp, &a);
  kc_http_acct_close(req, resp, &a);
}

/* -------------------------------------------------------- second factor */

/* The current second factor asked once more: a TAN sent (or, for the
 * app, its code asked), and the answer in the form (challenge, tan). A
 * recovery code passes in the same field. */
struct factor_ask {
  char challenge[KC_TAN_CHALLENGE_LEN + 1];
  char tan[KC_MAX_RECOVERY_INPUT + 1];
  char tan_dest[128];
  bool want_tan;
  bool app; /* the account's factor is the app: no TAN is sent */
  const char *e_tan;
};

struct factor_input {
  char method[8];
  char mobile[KC_MAX_PHONE + 1];
  char e164[KC_MAX_PHONE + 1];
  const char *password;
  struct factor_ask ask;
  struct kc_enrol enrol; /* the app's secret, sealed for the entryUUID */
  bool enrol_ok;         /* enrol holds a secret (to show) */
  const char *e_top, *e_method, *e_mobile, *e_password;
};

static void
ask_read(struct kc_http_req *req, struct factor_ask *k)
{
  if (!kc_form_get_trim(&req->body, "challenge", k->challenge,
                        sizeof(k->challenge)))
    k->challenge[0] = '\0';
  if (!kc_form_get_trim(&req->body, "tan", k->tan, sizeof(k->tan)))
    k->tan[0] = '\0';
}

/* The hidden challenge and the TAN (or app code) field, when asked. */
static int
ask_render(struct kc_http_req *req, struct kc_http_resp *resp,
           const struct factor_ask *k)
{
  struct kc_page_field tan =
    {"tan",
     k->app ? kc_http_tr(req, "Code aus der Authenticator-App",
                         "Code from the authenticator app")
            : "TAN",
     "text",
     NULL,
     k->e_tan,
     "one-time-code",
     k->app ? kc_http_tr(req, "Oder einer Ihrer Wiederherstellungscodes.",
                         "Or one of your recovery codes.")
            : k->tan_dest,
     true};

  if (!k->want_tan)
    return 0;
  return kc_page_raw(resp, "<input type=\"hidden\" name=\"challenge\" "
                           "value=\"") ||
             kc_esc_html(&resp->body, k->challenge) ||
             kc_page_raw(resp, "\">\n") || kc_page_field(resp, &tan)
           ? -1
           : 0;
}

/* The hint above a form that asks the current factor. */
static int
ask_hint(struct kc_http_req *req, struct kc_http_resp *resp,
         const struct factor_ask *k)
{
  if (!k->want_tan)
    return 0;
  return kc_page_p(
    resp, "hint",
    k->app ? kc_http_tr(req,
                        "Bitte bestätigen Sie die Änderung mit dem aktuellen "
                        "Code aus Ihrer Authenticator-App.",
                        "Please confirm the change with the current code "
                        "from your authenticator app.")
           : kc_http_tr(req,
                        "Bitte bestätigen Sie die Änderung mit der TAN, die "
                        "wir Ihnen gesendet haben.",
                        "Please confirm the change with the TAN we sent "
                        "you."));
}

/* none < email < mtan < totp: leaving a method for a weaker one needs
 * the proof. */
static int
strength(const char *m)
{
  if (strcmp(m, "none") == 0)
    return 0;
  return strcmp(m, "email") == 0 ? 1 : strcmp(m, "mtan") == 0 ? 2 : 3;
}

/* The two forms of the page: the method (with the enrolment of the app)
 * and, for an account with a second factor, new recovery codes. */
static int
factor_json(struct kc_http_req *req, struct kc_http_resp *resp,
            const struct kc_http_acct *a, const struct factor_input *in)
{
  static const char *const names[] = {"error",    "tan_method", "mobile",
                                      "password", "tan",        "totp_code"};
  const char *errs[] = {in->e_top,      in->e_method,  in->e_mobile,
                        in->e_password, in->ask.e_tan, in->enrol.e_code};

  if (in->ask.want_tan && in->ask.e_tan == NULL && in->e_top == NULL) {
    const char *kv[] = {"challenge",   in->ask.challenge,
                        "destination", in->ask.app ? NULL : in->ask.tan_dest,
                        "method",      in->ask.app ? "totp" : NULL,
                        NULL};
    return kc_page_json(resp, in->ask.app ? "code_required" : "tan_required",
                        kv);
  }
  if (in->e_top == NULL && in->e_method == NULL && in->e_mobile == NULL &&
      in->e_password == NULL && in->ask.e_tan == NULL &&
      in->enrol.e_code == NULL) {
    /* the form's state: the app's secret to enrol, the current method */
    resp->content_type = "application/json";
    return kc_buf_add_str(&resp->body, "{\"status\":\"ok\",\"tan_method\":") ||
               kc_esc_json_str(&resp->body, a->u.tan_method) ||
               (in->enrol_ok && kc_enrol_json(req, &resp->body, &in->enrol,
                                              a->u.uuid, a->u.uid)) ||
               kc_buf_add_str(&resp->body, "}\n")
             ? -1
             : 0;
  }
  return kc_page_json_errors(resp, names, errs, 6);
}

static int
factor_form(struct kc_http_req *req, struct kc_http_resp *resp,
            const struct kc_http_acct *a, const struct factor_input *in)
{
  static const char *const methods[] = {"none", "email", "mtan", "totp", NULL};
  const char *labels[] = {kc_http_tr(req, "keine TAN", "no TAN"), "emailTAN",
                          "mTAN", "Authenticator-App", NULL};
  bool enrol_now = strcmp(a->u.tan_method, "totp") == 0 && !a->u.totp_enrolled;
  struct kc_page_field mobile =
    {"mobile",
     kc_http_tr(req, "Mobiltelefon (für mTAN)", "Mobile phone (for mTAN)"),
     "tel",
     in->mobile,
     in->e_mobile,
     "tel",
     kc_http_tr(req, "Leer lassen, um die Nummer zu behalten.",
                "Leave empty to keep the number."),
     false};
  struct kc_page_field pw =
    {"password",
     kc_http_tr(req, "Aktuelles Passwort", "Current password"),
     "password",
     NULL,
     in->e_password,
     "current-password",
     kc_http_tr(req, "Nötig, um das TAN-Verfahren abzuschalten.",
                "Needed to turn the second factor off."),
     false};

  if (req->json)
    return factor_json(req, resp, a, in);
  if (page_begin(req, resp,
                 kc_http_tr(req, "TAN-Verfahren ändern",
                            "Change second factor"),
                 NULL, in->e_top) ||
      (enrol_now &&
       kc_page_p(resp, "hint",
                 kc_http_tr(req,
                            "Für Ihren Zugang ist die Authenticator-App "
                            "vorgesehen. Bitte richten Sie sie jetzt ein.",
                            "Your account is to use the authenticator app. "
                            "Please set it up now."))) ||
      ask_hint(req, resp, &in->ask) ||
      kc_page_form_begin(resp,
                         lang_path(req, "/account/second-factor",
                                   "/account/second-factor?lang=en"),
                         a->csrf) ||
      kc_page_radio(resp, "tan_method",
                    kc_http_tr(req, "TAN-Verfahren", "Second factor"), methods,
                    labels, in->method[0] ? in->method : a->u.tan_method,
                    in->e_method) ||
      (in->enrol_ok &&
       kc_enrol_render(req, resp, &in->enrol, a->u.uuid, a->u.uid)) ||
      kc_page_field(resp, &mobile) ||
      (strcmp(a->u.tan_method, "none") != 0 && kc_page_field(resp, &pw)))
    return -1;
  if (ask_render(req, resp, &in->ask))
    return -1;
  return kc_page_form_end(resp, kc_http_tr(req, "Speichern", "Save")) ||
             (strcmp(a->u.tan_method, "none") != 0 && !enrol_now &&
              kc_page_link(resp,
                           lang_path(req,
                                     "/account/second-factor?action="
                                     "recovery-codes",
                                     "/account/second-factor?action="
                                     "recovery-codes&lang=en"),
                           kc_http_tr(req,
                                      "Neue Wiederherstellungscodes erzeugen",
                                      "Make new recovery codes"))) ||
             back_link(req, resp) || kc_page_end(resp)
           ? -1
           : 0;
}

static void
factor_read(struct kc_http_req *req, const struct kc_http_acct *a,
            struct factor_input *in)
{
  const struct kc_http_cfg *cfg = kc_http_cfg(req->http);
  const struct kc_form *b = &req->body;

  if (!kc_form_get_trim(b, "tan_method", in->method, sizeof(in->method)) ||
      (strcmp(in->method, "none") != 0 && strcmp(in->method, "email") != 0 &&
       strcmp(in->method, "mtan") != 0 && strcmp(in->method, "totp") != 0))
    in->e_method = kc_http_tr(req, "Bitte wählen Sie ein Verfahren.",
                              "Please choose a method.");
  if (!kc_form_get_trim(b, "mobile", in->mobile, sizeof(in->mobile)))
    in->e_mobile =
      kc_http_tr(req, "Die Nummer ist zu lang.", "The number is too long.");
  else if (in->mobile[0] != '\0' &&
           kc_phone_normalize(in->mobile, cfg->country_code, in->e164,
                              sizeof(in->e164)) != 0)
    in->e_mobile =
      kc_http_tr(req, "Bitte geben Sie eine gültige Mobilnummer an.",
                 "Please enter a valid mobile number.");
  if (in->e_method == NULL && in->e_mobile == NULL &&
      strcmp(in->method, "mtan") == 0 && in->e164[0] == '\0' &&
      a->u.mobile[0] == '\0')
    in->e_mobile = kc_http_tr(req, "Für mTAN wird Ihre Mobilnummer benötigt.",
                              "mTAN needs your mobile number.");
  ask_read(req, &in->ask);
  in->password = kc_form_get(b, "password");
  if (in->password == NULL)
    in->password = "";
}

/* Has the account a second factor to prove? Not with none, nor as a
 * totp account whose app is not enrolled yet (its login was the password
 * alone, and this page is where it enrols). */
static bool
has_factor(const struct kc_ldap_user *u)
{
  return strcmp(u->tan_method, "none") != 0 &&
         (strcmp(u->tan_method, "totp") != 0 || u->totp_enrolled);
}

/* No answer yet: a TAN goes out (email, mtan); the app's code is only
 * asked. false with *e_top set when nothing can be asked. */
static bool
ask_issue(struct kc_http_req *req, struct kc_http_acct *a,
          const struct kc_tanflow *f, struct factor_ask *k, const char **e_top)
{
  enum kc_tanflow_sent st;

  if (k->app)
    return true;
  st = kc_tanflow_issue(f, a->l, &a->u, k->challenge, k->tan_dest,
                        sizeof(k->tan_dest));
  switch (st) {
    case KC_TANFLOW_SENT:
    case KC_TANFLOW_PENDING:
      return true;
    case KC_TANFLOW_LIMITED:
      *e_top = kc_http_tr(req,
                          "Es wurden zu viele TANs angefordert. Bitte "
                          "versuchen Sie es später erneut.",
                          "Too many TANs were requested. Please try "
                          "again later.");
      break;
    default:
      *e_top = kc_page_tan_unsent(req, st);
      break;
  }
  k->want_tan = false;
  return false;
}

/* The app's secret on the account does not open (a changed key, a
 * damaged entry): only an admin can help. */
static const char *
broken_text(const struct kc_http_req *req)
{
  return kc_http_tr(req,
                    "Die Authenticator-App Ihres Zugangs kann nicht geprüft "
                    "werden. Bitte melden Sie sich mit einem "
                    "Wiederherstellungscode an oder wenden Sie sich an den "
                    "Kundenservice.",
                    "The authenticator app of your account cannot be "
                    "checked. Please use a recovery code or contact customer "
                    "service.");
}

/* What a wrong, late or refused answer says. */
static void
answer_failed(struct kc_http_req *req, enum kc_tanflow_answer r,
              struct factor_ask *k, const char **e_top)
{
  switch (r) {
    case KC_TANFLOW_WRONG:
      k->e_tan =
        k->app ? kc_http_tr(req, "Der Code ist falsch.", "The code is wrong.")
               : kc_http_tr(req, "Die TAN ist falsch.", "The TAN is wrong.");
      return; /* the field stays, with the same challenge */
    case KC_TANFLOW_MAXTRIES:
      *e_top = kc_http_tr(req,
                          "Zu viele falsche Eingaben. Bitte versuchen Sie es "
                          "in einigen Minuten erneut.",
                          "Too many wrong answers. Please try again in a few "
                          "minutes.");
      break;
    case KC_TANFLOW_LOCKED:
      *e_top =
        kc_http_tr(req, "Das Konto ist gesperrt.", "The account is locked.");
      break;
    case KC_TANFLOW_ERROR:
      *e_top = unavailable_text(req);
      break;
    case KC_TANFLOW_BROKEN:
      *e_top = broken_text(req);
      break;
    default:
      *e_top = kc_http_tr(req,
                          "Die TAN ist abgelaufen. Bitte senden Sie das "
                          "Formular erneut, um eine neue zu erhalten.",
                          "The TAN has expired. Please send the form "
                          "again to get a new one.");
      break;
  }
  k->want_tan = false;
  k->challenge[0] = '\0';
}

/* The current second factor, for a change that needs it: true when
 * proven (now, or recently in the session; an account without one has
 * nothing to prove), else a TAN goes out (or the app's code is asked)
 * and the form asks for it. A recovery code passes for every method. */
static bool
prove_factor(struct kc_http_req *req, struct kc_http_acct *a,
             struct factor_ask *k, const char **e_top)
{
  const struct kc_http_cfg *cfg = kc_http_cfg(req->http);
  struct kc_tanflow f = {cfg->tan_policy, cfg->key, cfg->notify, NULL};
  struct kc_factor_result res;
  enum kc_tanflow_answer r;
  time_t now = time(NULL);

  if (!has_factor(&a->u) ||
      (a->s.factor_at != 0 && now - a->s.factor_at <= KC_ACCOUNT_FRESH_FACTOR))
    return true;
  k->want_tan = true;
  k->app = strcmp(a->u.tan_method, "totp") == 0;
  if (k->tan[0] == '\0' ||
      (!k->app && k->challenge[0] == '\0' && !kc_factor_is_recovery(k->tan))) {
    (void) ask_issue(req, a, &f, k, e_top);
    return false;
  }
  r = kc_factor_answer(&f, a->l, &a->u,
                       k->app || k->challenge[0] == '\0' ? NULL : k->challenge,
                       k->tan, &res);
  sodium_memzero(k->tan, sizeof(k->tan));
  if (r == KC_TANFLOW_RIGHT) {
    a->factor_now = true;
    if (res.kind == KC_FACTOR_RECOVERY)
      kc_log_info("recovery code used on the account page; user=%s left=%u",
                  a->u.uid, res.recovery_left);
    return true;
  }
  answer_failed(req, r, k, e_top);
  return false;
}

/* A weaker method, a new mobile number or a new app asks for the current
 * factor. */
static bool
factor_needed(const struct kc_http_acct *a, const struct factor_input *in)
{
  bool new_mobile = in->e164[0] != '\0' && strcmp(in->e164, a->u.mobile) != 0;

  return strength(in->method) < strength(a->u.tan_method) || new_mobile ||
         strcmp(in->method, "totp") == 0;
}

/* A page with the new recovery codes, once; ok says what was done. */
static void
codes_page(struct kc_http_req *req, struct kc_http_resp *resp,
           const struct kc_http_acct *a, const char *ok,
           char codes[KC_RECOVERY_COUNT][KC_RECOVERY_SHOWN_LEN + 1])
{
  int r;

  kc_buf_reset(&resp->body);
  if (req->json) {
    resp->content_type = "application/json";
    resp->no_store = true;
    r = kc_buf_add_str(&resp->body, "{\"status\":\"ok\",\"tan_method\":") ||
        kc_esc_json_str(&resp->body, a->u.tan_method) ||
        kc_enrol_codes_json(&resp->body, codes) ||
        kc_buf_add_str(&resp->body, "}\n");
  } else {
    r = page_begin(req, resp,
                   kc_http_tr(req, "Wiederherstellungscodes", "Recovery codes"),
                   ok, NULL) ||
        kc_enrol_codes_render(req, resp, codes) || back_link(req, resp) ||
        kc_page_end(resp);
  }
  resp->status = r == 0 ? 200 : 500;
}

/* The app confirmed (enrol holds the secret, code the typed code): its
 * secret stored, with new recovery codes when the account has none. */
static int
enrol_store(struct kc_http_req *req, struct kc_http_acct *a,
            struct factor_input *in,
            char codes[KC_RECOVERY_COUNT][KC_RECOVERY_SHOWN_LEN + 1],
            bool *made)
{
  const struct kc_http_cfg *cfg = kc_http_cfg(req->http);
  struct kc_tanflow f = {cfg->tan_policy, cfg->key, cfg->notify, NULL};
  unsigned char secret[KC_TOTP_SECRET_BYTES];
  uint64_t step;
  int r;

  *made = false;
  if (kc_enrol_confirm(req, &in->enrol, a->u.uuid, &step, secret) != 0)
    return KC_ERR_INVALID;
  /* the app first: its one modify also sets the method, so a failure
   * leaves the old method as it was (never totp without a secret); a new
   * number after it (set_tan_method keeps an enrolled app) */
  r = kc_factor_totp_store(&f, a->l, a->u.dn, a->u.uuid, secret, step,
                           a->u.recovery_left == 0 ? codes : NULL);
  sodium_memzero(secret, sizeof(secret));
  *made = r == 0 && a->u.recovery_left == 0;
  if (r == 0 && in->e164[0] != '\0' && strcmp(in->e164, a->u.mobile) != 0)
    r = kc_ldap_set_tan_method(a->l, a->u.dn, "totp", in->e164);
  return r;
}

/* A TAN method set: new recovery codes when the account has none. */
static bool
codes_for_tan(struct kc_http_req *req, struct kc_http_acct *a,
              const char *method,
              char codes[KC_RECOVERY_COUNT][KC_RECOVERY_SHOWN_LEN + 1])
{
  const struct kc_http_cfg *cfg = kc_http_cfg(req->http);
  struct kc_tanflow f = {cfg->tan_policy, cfg->key, cfg->notify, NULL};

  if (strcmp(method, "none") == 0 || a->u.recovery_left > 0)
    return false;
  if (kc_factor_recovery_renew(&f, a->l, a->u.dn, codes) == 0)
    return true;
  kc_log_warnx("recovery codes not made; user=%s", a->u.uid);
  return false;
}

/* The method stored: the notice, the log line, the answer. */
static void
factor_saved(struct kc_http_req *req, struct kc_http_resp *resp,
             struct kc_http_acct *a, const struct factor_input *in,
             char codes[KC_RECOVERY_COUNT][KC_RECOVERY_SHOWN_LEN + 1],
             bool made)
{
  char changes[256];
  const char *ok = kc_http_tr(req, "Ihr TAN-Verfahren wurde gespeichert.",
                              "Your second factor was saved.");

  snprintf(changes, sizeof(changes), "- %s: %s\n%s%s",
           kc_http_tr(req, "TAN-Verfahren", "second factor"),
           method_label(req, in->method),
           in->e164[0] && strcmp(in->e164, a->u.mobile) != 0
             ? kc_http_tr(req, "- Mobilnummer\n", "- mobile number\n")
             : "",
           made ? kc_http_tr(req, "- neue Wiederherstellungscodes\n",
                             "- new recovery codes\n")
                : "");
  kc_log_info("second factor changed on the account page; user=%s "
              "method=%s recovery_codes=%s",
              a->u.uid, in->method, made ? "new" : "kept");
  kc_http_count(req->http, "account_factor_changed");
  kc_http_change_notice(req, a->u.mail, a->u.uid, changes);
  acct_reread(a);
  if (made)
    codes_page(req, resp, a, ok, codes);
  else
    overview(req, resp, a, ok);
}

/* Turning the factor off: the password alone will guard the account; it
 * must be long enough for that, and be typed to prove it is the owner. */
static void
check_off(struct kc_http_req *req, struct kc_http_acct *a,
          struct factor_input *in)
{
  const struct kc_http_cfg *cfg = kc_http_cfg(req->http);

  if (in->e_method != NULL || in->e_mobile != NULL ||
      strcmp(in->method, "none") != 0 || strcmp(a->u.tan_method, "none") == 0)
    return;
  if (password_ok(req, a, in->password, &in->e_password) &&
      kc_password_check(in->password, a->u.uid, a->u.customer,
                        cfg->password_min_length, false) == KC_PW_TOO_SHORT)
    in->e_password = kc_http_tr(req,
                                "Ohne TAN muss das Passwort länger sein: "
                                "bitte ändern Sie zuerst Ihr Passwort.",
                                "Without a TAN the password must be longer: "
                                "please change your password first.");
}

static void
factor_post(struct kc_http_req *req, struct kc_http_resp *resp,
            struct kc_http_acct *a)
{
  char codes[KC_RECOVERY_COUNT][KC_RECOVERY_SHOWN_LEN + 1];
  struct factor_input in;
  bool totp, fresh, made = false;
  int r;

  memset(&in, 0, sizeof(in));
  factor_read(req, a, &in);
  totp = strcmp(in.method, "totp") == 0;
  if (kc_enrol_read(req, &in.enrol, a->u.uuid, &fresh) != 0) {
    kc_http_plain(resp, 500, "internal error\n");
    return;
  }
  in.enrol_ok = true;
  if (!totp || !fresh)
    in.enrol.e_code = NULL; /* a new secret for another choice says nothing */
  if (totp && !fresh && in.enrol.code[0] == '\0')
    in.enrol.e_code = kc_http_tr(req,
                                 "Bitte geben Sie den aktuellen Code aus der "
                                 "App ein.",
                                 "Please enter the current code from the "
                                 "app.");
  /* the new app's code first: a mistyped one must not use up the current
   * factor (a recovery code, a TAN) that is asked next */
  if (totp && !fresh && in.enrol.code[0] != '\0') {
    unsigned char secret[KC_TOTP_SECRET_BYTES];
    uint64_t step;

    if (kc_enrol_confirm(req, &in.enrol, a->u.uuid, &step, secret) == 0)
      sodium_memzero(secret, sizeof(secret)); /* stored below, confirmed
                                                 again there */
  }
  check_off(req, a, &in);
  /* an account set to the app without one (kcadm set-tan USER totp) got
   * here with its password alone: that sets the app up, nothing else */
  if (!totp && in.e_method == NULL && strcmp(a->u.tan_method, "totp") == 0 &&
      !a->u.totp_enrolled)
    in.e_method = kc_http_tr(req,
                             "Bitte richten Sie zuerst die Authenticator-App "
                             "ein.",
                             "Please set up the authenticator app first.");
  if (in.e_method == NULL && in.e_mobile == NULL && in.e_password == NULL &&
      in.enrol.e_code == NULL &&
      (!factor_needed(a, &in) || prove_factor(req, a, &in.ask, &in.e_top))) {
    if (totp)
      r = enrol_store(req, a, &in, codes, &made);
    else if ((r = kc_ldap_set_tan_method(a->l, a->u.dn, in.method,
                                         in.e164[0] ? in.e164 : NULL)) == 0)
      made = codes_for_tan(req, a, in.method, codes);
    if (r == 0) {
      factor_saved(req, resp, a, &in, codes, made);
      kc_factor_recovery_wipe(codes);
      sodium_memzero(&in, sizeof(in));
      return;
    }
    if (r != KC_ERR_INVALID) /* KC_ERR_INVALID: the code, said at its field */
      in.e_top = unavailable_text(req);
  }
  resp->status = factor_form(req, resp, a, &in) == 0
                   ? (in.ask.want_tan && in.ask.e_tan == NULL ? 200 : 422)
                   : 500;
  kc_factor_recovery_wipe(codes);
  sodium_memzero(&in, sizeof(in));
}

/* ------------------------------------------------------ recovery codes */

/* The form that renews the recovery codes (the current factor asked). */
static int
recovery_form(struct kc_http_req *req, struct kc_http_resp *resp,
              const struct kc_http_acct *a, const struct factor_ask *k,
              const char *e_top)
{
  char left[128];

  if (req->json) {
    static const char *const names[] = {"error", "tan"};
    const char *errs[] = {e_top, k->e_tan};
    if (k->want_tan && k->e_tan == NULL && e_top == NULL) {
      const char *kv[] = {"challenge", k->challenge, "method",
                          k->app ? "totp" : NULL, NULL};
      return kc_page_json(resp, k->app ? "code_required" : "tan_required", kv);
    }
    return kc_page_json_errors(resp, names, errs, 2);
  }
  snprintf(left, sizeof(left),
           req->english ? "Recovery codes left: %u of %u."
                        : "Verbleibende Wiederherstellungscodes: %u von %u.",
           a->u.recovery_left, (unsigned) KC_RECOVERY_COUNT);
  return page_begin(req, resp,
                    kc_http_tr(req, "Neue Wiederherstellungscodes",
                               "New recovery codes"),
                    NULL, e_top) ||
             kc_page_p(resp, NULL, left) ||
             kc_page_p(resp, "hint",
                       kc_http_tr(req,
                                  "Neue Codes ersetzen alle bisherigen; die "
                                  "alten gelten danach nicht mehr.",
                                  "New codes replace all old ones; the old "
                                  "ones stop working.")) ||
             ask_hint(req, resp, k) ||
             kc_page_form_begin(resp,
                                lang_path(req, "/account/second-factor",
                                          "/account/second-factor?lang=en"),
                                a->csrf) ||
             kc_page_raw(resp, "<input type=\"hidden\" name=\"action\" "
                               "value=\"recovery-codes\">\n") ||
             ask_render(req, resp, k) ||
             kc_page_form_end(resp, kc_http_tr(req, "Neue Codes erzeugen",
                                               "Make new codes")) ||
             back_link(req, resp) || kc_page_end(resp)
           ? -1
           : 0;
}

/* POST action=recovery-codes: the current factor proven, new codes in
 * place of the old ones, shown once. */
static void
recovery_post(struct kc_http_req *req, struct kc_http_resp *resp,
              struct kc_http_acct *a)
{
  const struct kc_http_cfg *cfg = kc_http_cfg(req->http);
  struct kc_tanflow f = {cfg->tan_policy, cfg->key, cfg->notify, NULL};
  char codes[KC_RECOVERY_COUNT][KC_RECOVERY_SHOWN_LEN + 1];
  struct factor_ask k;
  const char *e_top = NULL;

  memset(&k, 0, sizeof(k));
  ask_read(req, &k);
  if (!has_factor(&a->u)) {
    e_top = kc_http_tr(req,
                       "Wiederherstellungscodes gibt es nur zusammen mit "
                       "einem zweiten Faktor.",
                       "Recovery codes come only with a second factor.");
  } else if (prove_factor(req, a, &k, &e_top)) {
    if (kc_factor_recovery_renew(&f, a->l, a->u.dn, codes) == 0) {
      kc_log_info("recovery codes renewed; user=%s", a->u.uid);
      kc_http_count(req->http, "account_recovery_renewed");
      kc_http_change_notice(req, a->u.mail, a->u.uid,
                            kc_http_tr(req, "- neue Wiederherstellungscodes\n",
                                       "- new recovery codes\n"));
      acct_reread(a);
      codes_page(req, resp, a,
                 kc_http_tr(req,
                            "Neue Wiederherstellungscodes wurden erzeugt; "
                            "die alten gelten nicht mehr.",
                            "New recovery codes were made; the old ones no "
                            "longer work."),
                 codes);
      kc_factor_recovery_wipe(codes);
      sodium_memzero(&k, sizeof(k));
      return;
    }
    e_top = unavailable_text(req);
  }
  resp->status =
    recovery_form(req, resp, a, &k, e_top) == 0
      ? (k.want_tan && k.e_tan == NULL && e_top == NULL ? 200 : 422)
      : 500;
  sodium_memzero(&k, sizeof(k));
}

static bool
is_recovery_action(const struct kc_form *f)
{
  const char *v = kc_form_get(f, "action");

  return v != NULL && strcmp(v, "recovery-codes") == 0;
}

/* GET: the form, with a new secret for the app. */
static void
factor_get(struct kc_http_req *req, struct kc_http_resp *resp,
           struct kc_http_acct *a)
{
  struct factor_input in;
  struct factor_ask k;

  if (is_recovery_action(&req->query)) {
    memset(&k, 0, sizeof(k));
    resp->status = recovery_form(req, resp, a, &k, NULL) == 0 ? 200 : 500;
    return;
  }
  memset(&in, 0, sizeof(in));
  in.enrol_ok = kc_enrol_new(req, &in.enrol, a->u.uuid) == 0;
  if (!in.enrol_ok)
    in.e_top = unavailable_text(req);
  resp->status = factor_form(req, resp, a, &in) == 0 ? 200 : 500;
  sodium_memzero(&in, sizeof(in));
}

void
kc_http_account_factor(struct kc_http_req *req, struct kc_http_resp *resp)
{
  struct kc_http_acct a;

  if (!kc_http_acct_open(req, resp, &a))
    return;
  if (strcmp(req->method, "POST") != 0)
    factor_get(req, resp, &a);
  else if (!limited(req, resp, &a, "acct-change", KC_ACCOUNT_CHANGE_BURST,
                    KC_ACCOUNT_CHANGE_PER)) {
    if (is_recovery_action(&req->body))
      recovery_post(req, resp, &a);
    else
      factor_post(req, resp, &a);
  }
  kc_http_acct_close(req, resp, &a);
}

/* ---------------------------------------------------------------- email */

struct mail_input {
  char email[KC_MAX_EMAIL + 1];
  const char *password;
  struct factor_ask ask;
  const char *e_top, *e_email, *e_password;
};

static int
email_form(struct kc_http_req *req, struct kc_http_resp *resp,
           const struct kc_http_acct *a, const struct mail_input *in)
{
  struct kc_page_field f[] = {
    {"email", kc_http_tr(req, "Neue E-Mail-Adresse", "New e-mail address"),
     "email", in->email, in->e_email, "email",
     kc_http_tr(req,
                "Wir senden einen Bestätigungslink an die neue Adresse; bis "
                "dahin bleibt die bisherige gültig.",
                "We send a confirmation link to the new address; until it "
                "is used the current one stays."),
     true},
    {"password", kc_http_tr(req, "Aktuelles Passwort", "Current password"),
     "password", NULL, in->e_password, "current-password", NULL, true},
  };

  if (req->json) {
    static const char *const names[] = {"error", "email", "password", "tan"};
    const char *errs[] = {in->e_top, in->e_email, in->e_password,
                          in->ask.e_tan};
    if (in->ask.want_tan && in->ask.e_tan == NULL && in->e_top == NULL) {
      const char *kv[] = {"challenge", in->ask.challenge, "destination",
                          in->ask.tan_dest, NULL};
      return kc_page_json(resp, "tan_required", kv);
    }
    return kc_page_json_errors(resp, names, errs, 4);
  }
  return page_begin(req, resp,
                    kc_http_tr(req, "E-Mail-Adresse ändern",
                               "Change e-mail address"),
                    NULL, in->e_top) ||
             ask_hint(req, resp, &in->ask) ||
             kc_page_p(resp, NULL, a->u.mail) ||
             kc_page_form_begin(resp,
                                lang_path(req, "/account/email",
                                          "/account/email?lang=en"),
                                a->csrf) ||
             kc_page_field(resp, &f[0]) || kc_page_field(resp, &f[1]) ||
             ask_render(req, resp, &in->ask) ||
             kc_page_form_end(resp,
                              kc_http_tr(req, "Link senden", "Send link")) ||
             back_link(req, resp) || kc_page_end(resp)
           ? -1
           : 0;
}

/* The confirmation link to the new address; the notice to the old. */
static int
send_link(struct kc_http_req *req, const struct kc_http_acct *a, const char *to,
          const char *token)
{
  const struct kc_http_cfg *cfg = kc_http_cfg(req->http);
  char subject[256], text[2048], err[256];
  int r;

  snprintf(subject, sizeof(subject),
           req->english ? "Please confirm your new e-mail address for the %s"
                        : "Bitte bestätigen Sie Ihre neue E-Mail-Adresse im %s",
           cfg->portal_name);
  snprintf(text, sizeof(text),
           req->english
             ? "Hello,\n\nthe user %s asked to use this address for the %s "
               "from now on. Please confirm it within 24 hours:\n\n"
               "%s/account/email?token=%s&lang=en\n\nIf this was not you, "
               "ignore this mail.\n"
             : "Guten Tag,\n\nder Benutzer %s möchte diese Adresse künftig "
               "im %s verwenden. Bitte bestätigen Sie sie innerhalb von 24 "
               "Stunden:\n\n%s/account/email?token=%s\n\nFalls Sie das "
               "nicht waren, ignorieren Sie diese Nachricht.\n",
           a->u.uid, cfg->portal_name, cfg->public_url, token);
  r = kc_notify_mail(cfg->notify, to, subject, text, err, sizeof(err));
  sodium_memzero(text, sizeof(text));
  if (r != 0) {
    kc_log_warnx("e-mail confirmation not sent; user=%s error=\"%s\"", a->u.uid,
                 err);
    return r;
  }
  snprintf(text, sizeof(text),
           req->english ? "- e-mail address: change to %s requested (it "
                          "takes effect once confirmed from that mailbox)\n"
                        : "- E-Mail-Adresse: Änderung in %s beantragt "
                          "(gilt, sobald sie aus diesem Postfach bestätigt "
                          "ist)\n",
           to);
  kc_http_change_notice(req, a->u.mail, a->u.uid, text);
  return 0;
}

static void
email_post(struct kc_http_req *req, struct kc_http_resp *resp,
           struct kc_http_acct *a)
{
  const struct kc_http_cfg *cfg = kc_http_cfg(req->http);
  char token[64], hash[64], ok[KC_MAX_EMAIL + 128];
  struct mail_input in;

  memset(&in, 0, sizeof(in));
  in.password = kc_form_get(&req->body, "password");
  if (in.password == NULL)
    in.password = "";
  if (!kc_form_get_trim(&req->body, "email", in.email, sizeof(in.email)) ||
      !kc_email_valid(in.email))
    in.e_email = kc_http_tr(req, "Bitte geben Sie eine gültige Adresse an.",
                            "Please enter a valid address.");
  else if (strcasecmp(in.email, a->u.mail) == 0)
    in.e_email = kc_http_tr(req, "Das ist schon Ihre Adresse.",
                            "This is your address already.");
  else if (cfg->public_url == NULL)
    in.e_top = kc_http_tr(req, "Links können nicht versandt werden.",
                          "Links cannot be sent.");
  ask_read(req, &in.ask);
  /* the address takes the reset links (and emailTANs): the password and
   * the current second factor, as for a new mobile number */
  if (in.e_email == NULL && in.e_top == NULL &&
      password_ok(req, a, in.password, &in.e_password) &&
      prove_factor(req, a, &in.ask, &in.e_top)) {
    if (limited(req, resp, a, "acct-mail", KC_ACCOUNT_MAIL_BURST,
                KC_ACCOUNT_MAIL_PER))
      return;
    kc_http_token_new(token, sizeof(token), 32);
    kc_http_token_hash(token, hash);
    if (kc_ldap_newmail_set(a->l, a->u.dn, in.email, hash,
                            time(NULL) + KC_ACCOUNT_MAIL_TTL) != 0) {
      in.e_top = unavailable_text(req);
    } else if (send_link(req, a, in.email, token) != 0) {
      /* nothing half-done: the pending address goes with its link */
      if (kc_ldap_newmail_set(a->l, a->u.dn, "", "", 0) != 0)
        kc_log_warnx("pending e-mail address not removed; user=%s", a->u.uid);
      in.e_top = kc_http_tr(req, "Die Nachricht konnte nicht gesendet werden.",
                            "The message could not be sent.");
    } else {
      sodium_memzero(token, sizeof(token));
      kc_log_info("e-mail change requested; user=%s", a->u.uid);
      kc_http_count(req->http, "account_email_requested");
      acct_reread(a);
      snprintf(ok, sizeof(ok),
               req->english ? "We sent a confirmation link to %s."
                            : "Wir haben einen Bestätigungslink an %s "
                              "gesendet.",
               in.email);
      overview(req, resp, a, ok);
      return;
    }
    sodium_memzero(token, sizeof(token));
  }
  resp->status =
    email_form(req, resp, a, &in) == 0
      ? (in.ask.want_tan && in.ask.e_tan == NULL && in.e_top == NULL ? 200
                                                                     : 422)
      : 500;
  sodium_memzero(&in, sizeof(in)); /* the TAN */
}

/* The link of the confirmation mail: the account it names, or 410. */
static int
token_user(struct kc_http_req *req, struct kc_ldap *l, const char *token,
           struct kc_ldap_user *u)
{
  char hash[64];
  int r;

  if (strlen(token) < 32 || strlen(token) > KC_MAX_TOKEN)
    return KC_ERR_NOT_FOUND;
  kc_http_token_hash(token, hash);
  r = kc_ldap_find_user_by(l, KC_BY_NEWMAIL, hash, u);
  if (r == 0 && (u->new_mail_expires < time(NULL) || u->new_mail[0] == '\0'))
    r = KC_ERR_NOT_FOUND;
  (void) req;
  return r;
}

static void
gone(struct kc_http_req *req, struct kc_http_resp *resp, int r)
{
  const struct kc_http_cfg *cfg = kc_http_cfg(req->http);
  const char *text =
    r == KC_ERR_UNAVAILABLE
      ? unavailable_text(req)
      : kc_http_tr(req,
                   "Dieser Bestätigungslink ist abgelaufen, wurde bereits "
                   "verwendet oder ist unbekannt.",
                   "This confirmation link has expired, was already used or "
                   "is unknown.");
  int e;

  kc_buf_reset(&resp->body);
  if (req->json) {
    const char *kv[] = {"message", text, NULL};
    e = kc_page_json(resp, "gone", kv);
  } else {
    e = kc_page_begin(resp, cfg->portal_name,
                      kc_http_tr(req, "E-Mail-Adresse bestätigen",
                                 "Confirm e-mail address"),
                      req->english) ||
        kc_page_p(resp, "error", text) || kc_page_end(resp);
  }
  resp->status = e != 0 ? 500 : r == KC_ERR_UNAVAILABLE ? 503 : 410;
}

/* GET ?token=: the address and a button that confirms. */
static void
confirm_page(struct kc_http_req *req, struct kc_http_resp *resp,
             const struct kc_ldap_user *u, const char *token)
{
  const struct kc_http_cfg *cfg = kc_http_cfg(req->http);
  char csrf[64];
  int r;

  kc_http_csrf_field(req, resp, csrf, sizeof(csrf));
  if (req->json) {
    const char *kv[] = {"username", u->uid, "email", u->new_mail,
                        "csrf",     csrf,   NULL};
    resp->status = kc_page_json(resp, "confirm", kv) == 0 ? 200 : 500;
    return;
  }
  r = kc_page_begin(resp, cfg->portal_name,
                    kc_http_tr(req, "E-Mail-Adresse bestätigen",
                               "Confirm e-mail address"),
                    req->english) ||
      kc_page_p(resp, NULL, u->new_mail) ||
      kc_page_form_begin(resp,
                         lang_path(req, "/account/email",
                                   "/account/email?lang=en"),
                         csrf) ||
      kc_page_raw(resp, "<input type=\"hidden\" name=\"token\" value=\"") ||
      kc_esc_html(&resp->body, token) || kc_page_raw(resp, "\">\n") ||
      kc_page_form_end(resp, kc_http_tr(req, "Adresse bestätigen",
                                        "Confirm address")) ||
      kc_page_end(resp);
  resp->status = r == 0 ? 200 : 500;
}

/* The address changed: the notice to the old one, the answer. */
static void
confirmed(struct kc_http_req *req, struct kc_http_resp *resp,
          const struct kc_ldap_user *u, const char *old)
{
  const struct kc_http_cfg *cfg = kc_http_cfg(req->http);
  char changes[KC_MAX_EMAIL + 64];
  int r;

  kc_log_info("e-mail address changed; user=%s", u->uid);
  kc_http_count(req->http, "account_email_changed");
  snprintf(changes, sizeof(changes), "- %s: %s\n",
           kc_http_tr(req, "E-Mail-Adresse", "e-mail address"), u->new_mail);
  kc_http_change_notice(req, old, u->uid, changes);
  if (req->json) {
    const char *kv[] = {"email", u->new_mail, NULL};
    resp->status = kc_page_json(resp, "changed", kv) == 0 ? 200 : 500;
    return;
  }
  r = kc_page_begin(resp, cfg->portal_name,
                    kc_http_tr(req, "E-Mail-Adresse bestätigen",
                               "Confirm e-mail address"),
                    req->english) ||
      kc_page_p(resp, "ok",
                kc_http_tr(req, "Ihre E-Mail-Adresse wurde geändert.",
                           "Your e-mail address was changed.")) ||
      kc_page_p(resp, NULL, u->new_mail) ||
      kc_page_link(resp, lang_path(req, "/account", "/account?lang=en"),
                   kc_http_tr(req, "Zu Ihrem Zugang", "To your account")) ||
      kc_page_end(resp);
  resp->status = r == 0 ? 200 : 500;
}

/* GET ?token=: a button; POST token=: the change. No session needed: the
 * link proves the mailbox, the request came from a session. */
static void
email_confirm(struct kc_http_req *req, struct kc_http_resp *resp,
              const char *token, bool post)
{
  char old[KC_MAX_EMAIL + 1];
  struct kc_ldap_user u;
  struct kc_ldap *l;
  int r;

  if (post && (req->body_bad || kc_http_csrf_check(req) != 0)) {
    kc_http_plain(resp, req->body_bad ? 400 : 403,
                  "invalid request or expired form\n");
    return;
  }
  l = kc_http_ldap_get(req->http);
  r = token_user(req, l, token, &u);
  if (r == 0 && post) {
    memcpy(old, u.mail, sizeof(old));
    r = kc_ldap_newmail_confirm(l, &u);
  }
  kc_http_ldap_put(req->http, l);
  if (r != 0)
    gone(req, resp, r == KC_ERR_UNAVAILABLE ? r : KC_ERR_NOT_FOUND);
  else if (!post)
    confirm_page(req, resp, &u, token);
  else
    confirmed(req, resp, &u, old);
}

void
kc_http_account_email(struct kc_http_req *req, struct kc_http_resp *resp)
{
  struct mail_input in;
  struct kc_http_acct a;
  const char *token;
  bool post = strcmp(req->method, "POST") == 0;

  token = kc_form_get(post ? &req->body : &req->query, "token");
  if (token != NULL) {
    email_confirm(req, resp, token, post);
    return;
  }
  if (!kc_http_acct_open(req, resp, &a))
    return;
  memset(&in, 0, sizeof(in));
  if (!post)
    resp->status = email_form(req, resp, &a, &in) == 0 ? 200 : 500;
  else if (!limited(req, resp, &a, "acct-change", KC_ACCOUNT_CHANGE_BURST,
                    KC_ACCOUNT_CHANGE_PER))
    email_post(req, resp, &a);
  kc_http_acct_close(req, resp, &a);
}
