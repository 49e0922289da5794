/*
 * http_credentials.c: GET and POST /account/credentials, the change of
 * user name, password and TAN method, forced at the first login of an
 * account that an admin provisioned (Apache: AuthPAMExpiredRedirect
 * .../account/credentials?user=%u&back=%s).
 *
 * One form: the current password (and a TAN when the account has one)
 * authorises the change. The password change is an RFC 3062 modify bound
 * as the user, so ppolicy applies and clears pwdReset; a new user name is
 * a modrdn (entryUUID stays). back= is followed only to allowed origins
 * or to a local path. Every change is reported by mail, without secrets.
 * The page says nothing about an account before its password was given.
 *
 * The authenticator app is enrolled on the same form (enrol.h), its secret
 * sealed for the typed user name ("cred:" and a hash of it, as the page
 * knows no account before the password): the code from the app is
 * checked once the password is right and before the current factor is
 * asked. A second factor set here comes with recovery codes, shown once,
 * when the account has none.
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <sodium.h>

#include "enrol.h"
#include "factor.h"
#include "http.h"
#include "http_page.h"
#include "pages.h"
#include "kc_err.h"
#include "kc_limits.h"
#include "kc_str.h"
#include "lockout.h"
#include "log.h"
#include "password.h"
#include "phone.h"
#include "tanflow.h"

/* POST per client address: a burst of 10, then one every 20 s; per
 * account: 5, then one a minute (ppolicy locks after 5 wrong anyway). */
#define KC_CRED_IP_BURST   10
#define KC_CRED_IP_PER     20
#define KC_CRED_USER_BURST 5
#define KC_CRED_USER_PER   60
#define KC_CRED_MAX_BACK   512

struct cred_input {
  char user[KC_MAX_USERNAME + 1];
  char back[KC_CRED_MAX_BACK + 1];
  char new_user[KC_MAX_USERNAME + 1];
  char tan_method[8];
  char mobile[KC_MAX_PHONE + 1];
  char mobile_e164[KC_MAX_PHONE + 1];
  char challenge[KC_TAN_CHALLENGE_LEN + 1];
  char tan[KC_MAX_RECOVERY_INPUT + 1]; /* a TAN, app or recovery code */
  const char *password;                /* owned by the request's form */
  const char *new_password;
  const char *new_repeat;
  bool resumed;  /* the new password was set by an earlier, cut-off try */
  bool want_tan; /* show the TAN field */
  bool app;      /* the account's factor is the app: its code is asked */
  char tan_dest[128];
  char bind[KC_MAX_UUID + 1]; /* the app's secret is sealed for this */
  struct kc_enrol enrol;
  bool enrol_ok; /* enrol holds a secret (to show) */
  unsigned char secret[KC_TOTP_SECRET_BYTES]; /* confirmed by a code */
  uint64_t step;
  char codes[KC_RECOVERY_COUNT][KC_RECOVERY_SHOWN_LEN + 1];
  bool have_codes;
  const char *e_factor; /* the account changed, its app or codes not */
  const char *e_top, *e_password, *e_tan, *e_new_user, *e_new_password,
    *e_repeat, *e_tan_method, *e_mobile;
};

/* The string the app's secret of this form is sealed for: the typed user
 * name, hashed to fit KC_MAX_UUID (the page knows no account before the
 * password, and a changed name means a new secret). */
static void
cred_bind(const char *user, char out[KC_MAX_UUID + 1])
{
  char lower[KC_MAX_USERNAME + 1], hash[64];

  snprintf(lower, sizeof(lower), "%s", user);
  kc_str_lower_ascii(lower);
  kc_http_token_hash(lower, hash);
  snprintf(out, KC_MAX_UUID + 1, "cred:%.56s", hash);
}

/* --------------------------------------------------------------- render */

static int
render_tan_part(struct kc_http_req *req, struct kc_http_resp *resp,
                const struct cred_input *in)
{
  static const char *const tans[] = {"none", "email", "mtan", "totp", NULL};
  const char *labels[] = {kc_http_tr(req, "keine TAN", "no TAN"), "emailTAN",
                          "mTAN", "Authenticator-App", NULL};
  const char *label = in->new_user[0] != '\0' ? in->new_user
                      : in->user[0] != '\0'   ? in->user
                                              : "-";
  struct kc_page_field mobile = {"mobile",
                                 kc_http_tr(req, "Mobiltelefon (für mTAN)",
                                            "Mobile phone (for mTAN)"),
                                 "tel",
                                 in->mobile,
                                 in->e_mobile,
                                 "tel",
                                 NULL,
                                 false};

  if (kc_page_radio(resp, "tan_method",
                    kc_http_tr(req, "TAN-Verfahren", "Second factor"), tans,
                    labels, in->tan_method, in->e_tan_method) ||
      (in->enrol_ok &&
       kc_enrol_render(req, resp, &in->enrol, in->bind, label)) ||
      kc_page_field(resp, &mobile))
    return -1;
  if (!in->want_tan)
    return 0;
  {
    struct kc_page_field tan =
      {"tan",
       in->app ? kc_http_tr(req, "Code aus der Authenticator-App",
                            "Code from the authenticator app")
               : "TAN",
       "text",
       NULL,
       in->e_tan,
       "one-time-code",
       in->app ? kc_http_tr(req, "Oder einer Ihrer Wiederherstellungscodes.",
                            "Or one of your recovery codes.")
               : in->tan_dest,
       true};
    if (kc_page_raw(resp, "<input type=\"hidden\" name=\"challenge\" "
                          "value=\"") ||
        kc_esc_html(&resp->body, in->challenge) || kc_page_raw(resp, "\">\n") ||
        kc_page_field(resp, &tan))
      return -1;
  }
  return 0;
}

/* The rest of the form: the second factor, the button, and the way to a
 * forgotten password. */
static int
render_form_end(struct kc_http_req *req, struct kc_http_resp *resp,
                const struct cred_input *in)
{
  return render_tan_part(req, resp, in) ||
             kc_page_form_end(resp, kc_http_tr(req, "Ändern", "Change")) ||
             kc_page_link(resp,
                          req->english ? "/account/reset?lang=en"
                                       : "/account/reset",
                          kc_http_tr(req, "Passwort vergessen?",
                                     "Forgot your password?")) ||
             kc_page_end(resp)
           ? -1
           : 0;
}

static int
render_form(struct kc_http_req *req, struct kc_http_resp *resp,
            const struct cred_input *in)
{
  const struct kc_http_cfg *cfg = kc_http_cfg(req->http);
  char csrf[64];
  struct kc_page_field f[] = {
    {"user", kc_http_tr(req, "Benutzername", "User name"), "text", in->user,
     NULL, "username", NULL, true},
    {"password", kc_http_tr(req, "Aktuelles Passwort", "Current password"),
     "password", NULL, in->e_password, "current-password", NULL, true},
    {"new_user", kc_http_tr(req, "Neuer Benutzername", "New user name"), "text",
     in->new_user, in->e_new_user, "off",
     kc_http_tr(req, "Leer lassen, um den Namen zu behalten.",
                "Leave empty to keep the name."),
     false},
    {"new_password", kc_http_tr(req, "Neues Passwort", "New password"),
     "password", NULL, in->e_new_password, "new-password",
     kc_http_tr(req, "Mindestens 12 Zeichen (8 mit TAN).",
                "At least 12 characters (8 with a TAN)."),
     false},
    {"new_password_repeat",
     kc_http_tr(req, "Neues Passwort wiederholen", "Repeat new password"),
     "password", NULL, in->e_repeat, "new-password", NULL, false},
  };
  size_t i;

  kc_http_csrf_field(req, resp, csrf, sizeof(csrf));
  if (kc_page_begin(resp, cfg->portal_name,
                    kc_http_tr(req, "Zugangsdaten", "Login details"),
                    req->english) ||
      kc_page_p(
        resp, "hint",
        kc_http_tr(
          req,
          "Herzlich willkommen! Ist dies Ihr erster Besuch im Kundencenter, "
          "ändern Sie hier bitte Ihren Benutzernamen und Ihr Passwort und "
          "legen "
          "Sie Ihr TAN-Verfahren fest.",
          "Welcome! If this is your first visit, please change your user name "
          "and password here and choose your second factor.")) ||
      (in->e_top != NULL && kc_page_p(resp, "error", in->e_top)) ||
      kc_page_form_begin(resp,
                         req->english ? "/account/credentials?lang=en"
                                      : "/account/credentials",
                         csrf) ||
      kc_page_raw(resp, "<input type=\"hidden\" name=\"back\" value=\"") ||
      kc_esc_html(&resp->body, in->back) || kc_page_raw(resp, "\">\n"))
    return -1;
  for (i = 0; i < sizeof(f) / sizeof(f[0]); i++)
    if (kc_page_field(resp, &f[i]) != 0)
      return -1;
  return render_form_end(req, resp, in);
}

static void
render_done(struct kc_http_req *req, struct kc_http_resp *resp,
            struct cred_input *in, const char *user)
{
  const struct kc_http_cfg *cfg = kc_http_cfg(req->http);
  bool back = kc_http_back_allowed(cfg, in->back);

  /* new recovery codes are shown before the way back */
  if (back && !in->have_codes && in->e_factor == NULL) {
    resp->status = 303;
    snprintf(resp->location, sizeof(resp->location), "%s", in->back);
    return;
  }
  if (kc_page_begin(resp, cfg->portal_name,
                    kc_http_tr(req, "Zugangsdaten", "Login details"),
                    req->english) ||
      kc_page_p(resp, "ok",
                kc_http_tr(req, "Ihre Zugangsdaten wurden geändert.",
                           "Your login details were changed.")) ||
      kc_page_p(resp, NULL, user) ||
      (in->e_factor != NULL && kc_page_p(resp, "error", in->e_factor)) ||
      (in->have_codes && kc_enrol_codes_render(req, resp, in->codes)) ||
      (back &&
       kc_page_link(resp, in->back, kc_http_tr(req, "Weiter", "Continue"))) ||
      kc_page_end(resp))
    resp->status = 500;
  else
    resp->status = 200;
}

/* ------------------------------------------------------------- validate */

static void
read_input(struct kc_http_req *req, struct cred_input *in)
{
  const struct kc_form *b = &req->body;

  if (!kc_form_get_trim(b, "user", in->user, sizeof(in->user)))
    in->user[0] = '\0';
  if (!kc_form_get_trim(b, "back", in->back, sizeof(in->back)))
    in->back[0] = '\0';
  if (!kc_form_get_trim(b, "new_user", in->new_user, sizeof(in->new_user)) ||
      (in->new_user[0] != '\0' && !kc_str_is_username(in->new_user)))
    in->e_new_user =
      kc_http_tr(req,
                 "Buchstaben, Ziffern, Punkt, Binde- und "
                 "Unterstrich; höchstens 64 Zeichen.",
                 "Letters, digits, dot, hyphen and underscore; at most 64.");
  if (!kc_form_get_trim(b, "tan_method", in->tan_method,
                        sizeof(in->tan_method)))
    in->tan_method[0] = '\0';
  if (!kc_form_get_trim(b, "mobile", in->mobile, sizeof(in->mobile)))
    in->e_mobile =
      kc_http_tr(req, "Die Nummer ist zu lang.", "The number is too long.");
  if (!kc_form_get_trim(b, "challenge", in->challenge, sizeof(in->challenge)))
    in->challenge[0] = '\0';
  if (!kc_form_get_trim(b, "tan", in->tan, sizeof(in->tan)))
    in->tan[0] = '\0';
  in->password = kc_form_get(b, "password");
  in->new_password = kc_form_get(b, "new_password");
  in->new_repeat = kc_form_get(b, "new_password_repeat");
  if (in->password == NULL)
    in->password = "";
  if (in->new_password == NULL)
    in->new_password = "";
  if (in->new_repeat == NULL)
    in->new_repeat = "";
}

/* The new values against the account: what must change, what may. */
static void
check_changes(struct kc_http_req *req, struct cred_input *in,
              const struct kc_ldap_user *u)
{
  const struct kc_http_cfg *cfg = kc_http_cfg(req->http);
  bool must = u->must_change || u->first_login;
  const char *method =
    in->tan_method[0] != '\0' ? in->tan_method : u->tan_method;
  enum kc_password_problem p;

  if (in->tan_method[0] != '\0' && strcmp(method, "none") != 0 &&
      strcmp(method, "email") != 0 && strcmp(method, "mtan") != 0 &&
      strcmp(method, "totp") != 0)
    in->e_tan_method = kc_http_tr(req, "Bitte wählen Sie ein Verfahren.",
                                  "Please choose a method.");
  if (u->first_login && in->tan_method[0] == '\0')
    in->e_tan_method =
      kc_http_tr(req, "Bitte legen Sie Ihr TAN-Verfahren fest.",
                 "Please choose your second factor.");
  if (in->e_mobile == NULL && in->mobile[0] != '\0' &&
      kc_phone_normalize(in->mobile, cfg->country_code, in->mobile_e164,
                         sizeof(in->mobile_e164)) != 0)
    in->e_mobile =
      kc_http_tr(req, "Bitte geben Sie eine gültige Mobilnummer an.",
                 "Please enter a valid mobile number.");
  if (in->e_mobile == NULL && strcmp(method, "mtan") == 0 &&
      in->mobile_e164[0] == '\0' && u->mobile[0] == '\0')
    in->e_mobile = kc_http_tr(req, "Für mTAN wird Ihre Mobilnummer benötigt.",
                              "mTAN needs your mobile number.");
  if (in->new_password[0] == '\0') {
    if (must)
      in->e_new_password =
        kc_http_tr(req, "Bitte wählen Sie ein neues Passwort.",
                   "Please choose a new password.");
    /* Without a second factor the password stands alone: one that was
     * long enough only with a TAN must be replaced in the same step. */
    else if (strcmp(method, "none") == 0 &&
             strcmp(u->tan_method, "none") != 0 &&
             kc_password_check(in->password, u->uid, u->customer,
                               cfg->password_min_length,
                               false) == KC_PW_TOO_SHORT)
      in->e_new_password = kc_http_tr(req,
                                      "Ohne TAN muss das Passwort länger "
                                      "sein: bitte wählen Sie ein neues.",
                                      "Without a TAN the password must be "
                                      "longer: please choose a new one.");
    return;
  }
  p = kc_password_check(in->new_password,
                        in->new_user[0] ? in->new_user : u->uid, u->customer,
                        cfg->password_min_length, strcmp(method, "none") != 0);
  if (p != KC_PW_OK)
    in->e_new_password = kc_password_problem_text(p, req->english);
  else if (strcmp(in->new_password, in->new_repeat) != 0)
    in->e_repeat = kc_http_tr(req, "Die Passwörter stimmen nicht überein.",
                              "The passwords differ.");
  else if (strcmp(in->new_password, in->password) == 0)
    in->e_new_password =
      kc_http_tr(req,
                 "Das neue Passwort muss sich vom alten "
                 "unterscheiden.",
                 "The new password must differ from the old one.");
}

/* A new user name that another account has, that is reserved or that is
 * an account of this host: one answer for all three ("taken"), before
 * anything changes, so the page tells nothing about this host. Asked only
 * once password and second factor are proven, so the page is no oracle
 * for names to whoever has a password alone. */
static void
check_new_user(struct kc_http_req *req, struct kc_ldap *l,
               struct cred_input *in, const struct kc_ldap_user *u)
{
  if (in->e_new_user != NULL || in->new_user[0] == '\0' ||
      strcasecmp(in->new_user, u->uid) == 0)
    return;
  if (kc_ldap_uid_free(l, in->new_user) == KC_ERR_DUPLICATE ||
      kc_http_username_refused(req, in->new_user, u->uid))
    in->e_new_user =
      kc_http_tr(req, "Dieser Benutzername ist bereits vergeben.",
                 "This user name is taken.");
}

static bool
has_errors(const struct cred_input *in)
{
  return in->e_top || in->e_password || in->e_tan || in->e_new_user ||
         in->e_new_password || in->e_repeat || in->e_tan_method ||
         in->e_mobile || in->enrol.e_code;
}

/* --------------------------------------------------------------- verify */

/* A cut-off change is resumed for this long after its password write. */
#define KC_CRED_RESUME 3600

/* Was u's password changed within KC_CRED_RESUME? */
static bool
changed_lately(const struct kc_ldap_user *u)
{
  time_t t, now = time(NULL);

  return u->pwd_changed[0] != '\0' &&
         kc_ldap_parse_time(u->pwd_changed, &t) == 0 && t <= now + 60 &&
         now - t < KC_CRED_RESUME;
}

/* The current password. Comes before anything the page says about the
 * account, so a wrong password learns nothing about it. */
static bool
prove_password(struct kc_http_req *req, struct kc_ldap *l,
               struct cred_input *in, const struct kc_ldap_user *u)
{
  enum kc_ldap_bind_result b = kc_ldap_bind_user(l, u->dn, in->password);

  /* A change cut off after its password (kcd killed, its LDAP server
   * lost: the password is written first, the name last): the same form
   * sent again carries the old password, which no longer binds, and the
   * new one, which does. That proves the account as well, and the change
   * goes on from where it stopped. Only within KC_CRED_RESUME of a
   * password change: otherwise a wrong password costs one bind, not two. */
  if (b == KC_BIND_INVALID && changed_lately(u) && in->new_password != NULL &&
      in->new_password[0] != '\0' &&
      strcmp(in->new_password, in->password) != 0 &&
      kc_ldap_bind_user(l, u->dn, in->new_password) == KC_BIND_OK) {
    kc_log_info("credentials change resumed, the new password was set "
                "already; user=%s",
                u->uid);
    in->resumed = true;
    return true;
  }

  if (b == KC_BIND_UNAVAILABLE) {
    in->e_top =
      kc_http_tr(req, "Der Dienst ist vorübergehend nicht erreichbar.",
                 "The service is temporarily unavailable.");
    return false;
  }
  /* slapd says "locked" whatever the password, and at once: the page
   * says what it says to a wrong password, after as long, or six tries
   * would reveal the name. */
  if (b != KC_BIND_OK && b != KC_BIND_MUST_CHANGE) {
    if (b == KC_BIND_LOCKED) { /* slapd answered at once: do the work */
      kc_lockout_hide(in->password);
      kc_log_info("credentials page: password not checked, account locked; "
                  "user=%s",
                  u->uid);
    }
    if (b == KC_BIND_LOCKED || b == KC_BIND_INVALID)
      kc_http_lockout_notice(req, u);
    in->e_password = kc_http_tr(req, "Benutzername oder Passwort ist falsch.",
                                "User name or password is wrong.");
    return false;
  }
  return true;
}

/* Has the account a second factor to prove? Not with none, nor as a
 * totp account whose app is not enrolled yet (it enrols here). */
static bool
has_factor(const struct kc_ldap_user *u)
{
  return strcmp(u->tan_method, "none") != 0 &&
         (strcmp(u->tan_method, "totp") != 0 || u->totp_enrolled);
}

/* No answer yet: a TAN goes out; the app's code is only asked. */
static void
ask_tan(struct kc_http_req *req, struct kc_ldap *l, struct cred_input *in,
        const struct kc_ldap_user *u, const struct kc_tanflow *f)
{
  enum kc_tanflow_sent st;

  if (in->app) {
    in->e_tan = kc_http_tr(req,
                           "Bitte geben Sie den aktuellen Code aus Ihrer "
                           "Authenticator-App ein.",
                           "Please enter the current code from your "
                           "authenticator app.");
    return;
  }
  st = kc_tanflow_issue(f, l, u, in->challenge, in->tan_dest,
                        sizeof(in->tan_dest));
  switch (st) {
    case KC_TANFLOW_SENT:
    case KC_TANFLOW_PENDING:
      in->e_tan = kc_http_tr(req,
                             "Bitte geben Sie die TAN ein, die wir Ihnen "
                             "gesendet haben.",
                             "Please enter the TAN we sent you.");
      break;
    default:
      in->e_top = kc_page_tan_unsent(req, st);
      break;
  }
}

/* For an account with a second factor, its answer (a TAN, sent when none
 * was typed; the app's code; or a recovery code). true when the user is
 * proven. */
static bool
prove_tan(struct kc_http_req *req, struct kc_ldap *l, struct cred_input *in,
          const struct kc_ldap_user *u)
{
  const struct kc_http_cfg *cfg = kc_http_cfg(req->http);
  struct kc_tanflow f = {cfg->tan_policy, cfg->key, cfg->notify, NULL};
  struct kc_factor_result res;
  enum kc_tanflow_answer r;

  if (!has_factor(u))
    return true;
  in->want_tan = true;
  in->app = strcmp(u->tan_method, "totp") == 0;
  if (in->tan[0] == '\0' || (!in->app && in->challenge[0] == '\0' &&
                             !kc_factor_is_recovery(in->tan))) {
    ask_tan(req, l, in, u, &f);
    return false;
  }
  /* the state is read afresh there: u was read before the password bind */
  r =
    kc_factor_answer(&f, l, u,
                     in->app || in->challenge[0] == '\0' ? NULL : in->challenge,
                     in->tan, &res);
  sodium_memzero(in->tan, sizeof(in->tan));
  switch (r) {
    case KC_TANFLOW_RIGHT:
      if (res.kind == KC_FACTOR_RECOVERY)
        kc_log_info("recovery code used on the credentials page; user=%s "
                    "left=%u",
                    u->uid, res.recovery_left);
      return true;
    case KC_TANFLOW_LOCKED:
      in->e_top =
        kc_http_tr(req, "Das Konto ist gesperrt.", "The account is locked.");
      in->want_tan = false;
      break;
    case KC_TANFLOW_BROKEN:
      in->e_top = kc_http_tr(req,
                             "Die Authenticator-App Ihres Zugangs kann nicht "
                             "geprüft werden. Bitte verwenden Sie einen "
                             "Wiederherstellungscode oder wenden Sie sich an "
                             "den Kundenservice.",
                             "The authenticator app of your account cannot "
                             "be checked. Please use a recovery code or "
                             "contact customer service.");
      break;
    case KC_TANFLOW_MAXTRIES:
      in->e_top = kc_http_tr(req,
                             "Zu viele falsche Eingaben. Bitte versuchen Sie "
                             "es in einigen Minuten erneut.",
                             "Too many wrong answers. Please try again in a "
                             "few minutes.");
      break;
    default:
      in->e_tan =
        in->app ? kc_http_tr(req, "Der Code ist falsch.", "The code is wrong.")
                : kc_http_tr(req, "Die TAN ist falsch oder abgelaufen.",
                             "The TAN is wrong or has expired.");
      break;
  }
  in->challenge[0] = '\0';
  return false;
}

/* The app's code, when the app is chosen: checked before the current
 * factor is asked, so a wrong code spends no TAN. */
static void
check_app(struct kc_http_req *req, struct cred_input *in)
{
  if (strcmp(in->tan_method, "totp") != 0 || has_errors(in))
    return;
  if (kc_enrol_confirm(req, &in->enrol, in->bind, &in->step, in->secret) != 0)
    return; /* in->enrol.e_code says why */
}

/* ---------------------------------------------------------------- apply */

void
kc_http_change_notice(const struct kc_http_req *req, const char *to,
                      const char *uid, const char *changes)
{
  const struct kc_http_cfg *cfg = kc_http_cfg(req->http);
  char subject[256], text[1024], err[256];

  if (to[0] == '\0')
    return;
  snprintf(subject, sizeof(subject),
           req->english ? "Your login details for the %s were changed"
                        : "Ihre Zugangsdaten im %s wurden geändert",
           cfg->portal_name);
  snprintf(
    text, sizeof(text),
    req->english
      ? "Hello,\n\nthe following was changed in your account just now:\n\n"
        "%s\nIf this was not you, please contact customer service at once.\n"
      : "Guten Tag,\n\nsoeben wurde in Ihrem Zugang geändert:\n\n%s\n"
        "Falls Sie das nicht waren, wenden Sie sich bitte umgehend an den "
        "Kundenservice.\n",
    changes);
  if (kc_notify_mail(cfg->notify, to, subject, text, err, sizeof(err)) != 0)
    kc_log_warnx("change notice not sent; user=%s error=\"%s\"", uid, err);
}

/* The confirmed app, before anything else of the second factor: its
 * secret, the method totp and, when the account has none, recovery codes,
 * in one modify. 0, or the failure (said at the top of the page; nothing
 * changed). */
static int
store_app(struct kc_http_req *req, struct kc_ldap *l, struct cred_input *in,
          const struct kc_ldap_user *u)
{
  const struct kc_http_cfg *cfg = kc_http_cfg(req->http);
  struct kc_tanflow f = {cfg->tan_policy, cfg->key, cfg->notify, NULL};
  bool need_codes = u->recovery_left == 0;
  int r;

  r = kc_factor_totp_store(&f, l, u->dn, u->uuid, in->secret, in->step,
                           need_codes ? in->codes : NULL);
  sodium_memzero(in->secret, sizeof(in->secret));
  in->have_codes = r == 0 && need_codes;
  if (r != 0) {
    kc_log_warnx("authenticator app not stored; user=%s error=\"%s\"", u->uid,
                 kc_strerror(r));
    in->e_top = kc_http_tr(req,
                           "Die Authenticator-App konnte nicht gespeichert "
                           "werden. Bitte versuchen Sie es erneut.",
                           "The authenticator app could not be saved. Please "
                           "try again.");
  }
  return r;
}

/* After a TAN method was set: recovery codes when the account has none.
 * A failure is said on the page, not undone. */
static void
apply_factor(struct kc_http_req *req, struct kc_ldap *l, struct cred_input *in,
             const struct kc_ldap_user *u, const char *method)
{
  const struct kc_http_cfg *cfg = kc_http_cfg(req->http);
  struct kc_tanflow f = {cfg->tan_policy, cfg->key, cfg->notify, NULL};
  int r;

  if (strcmp(method, "none") == 0 || strcmp(method, "totp") == 0 ||
      u->recovery_left > 0)
    return;
  r = kc_factor_recovery_renew(&f, l, u->dn, in->codes);
  in->have_codes = r == 0;
  if (r == 0)
    return;
  kc_log_warnx("recovery codes not made; user=%s error=\"%s\"", u->uid,
               kc_strerror(r));
  in->e_factor = kc_http_tr(req,
                            "Die Wiederherstellungscodes konnten nicht "
                            "erzeugt werden. Sie können sie in Ihrem Zugang "
                            "erzeugen.",
                            "The recovery codes could not be made. You can "
                            "make them on your account page.");
}

/* Apply in this order: password (as the user), TAN method, name. The
 * first failure stops, and the page says what was done. */
static int
apply(struct kc_http_req *req, struct kc_ldap *l, struct cred_input *in,
      const struct kc_ldap_user *u, struct kc_buf *changes)
{
  char why[128], newdn[KC_MAX_DN + 1];
  const char *method = in->tan_method[0] ? in->tan_method : u->tan_method;
  int r = 0;

  if (in->new_password[0] != '\0') {
    if (!in->resumed &&
        kc_ldap_passwd_user(l, u->dn, in->password, in->new_password, why,
                            sizeof(why)) != KC_PASSWD_OK) {
      in->e_new_password = kc_http_tr(req, "Das neue Passwort wurde abgelehnt.",
                                      "The new password was rejected.");
      return KC_ERR_INVALID;
    }
    r |=
      kc_buf_add_str(changes, kc_http_tr(req, "- Passwort\n", "- password\n"));
  }
  if (in->tan_method[0] != '\0' || in->mobile_e164[0] != '\0' ||
      u->first_login) {
    /* the app first: its one modify sets the method, so a failure leaves
     * the old method as it was (never totp without a secret) */
    if (strcmp(method, "totp") == 0 && in->tan_method[0] != '\0' &&
        store_app(req, l, in, u) != 0)
      return KC_ERR_UNAVAILABLE;
    if (kc_ldap_set_tan_method(l, u->dn, method, in->mobile_e164) != 0) {
      in->e_top =
        kc_http_tr(req, "Das TAN-Verfahren konnte nicht gespeichert werden.",
                   "The second factor could not be saved.");
      return KC_ERR_UNAVAILABLE;
    }
    r |=
      kc_buf_printf(changes, "- %s: %s\n",
                    kc_http_tr(req, "TAN-Verfahren", "second factor"), method);
    apply_factor(req, l, in, u, method);
  }
  if (in->new_user[0] != '\0' && strcmp(in->new_user, u->uid) != 0) {
    if ((r = kc_ldap_rename(l, u->dn, in->new_user, newdn, sizeof(newdn))) !=
        0) {
      in->e_new_user =
        r == KC_ERR_DUPLICATE
          ? kc_http_tr(req, "Dieser Benutzername ist bereits vergeben.",
                       "This user name is taken.")
          : kc_http_tr(req, "Der Name konnte nicht geändert werden.",
                       "The name could not be changed.");
      return r;
    }
    r =
      kc_buf_printf(changes, "- %s: %s\n",
                    kc_http_tr(req, "Benutzername", "user name"), in->new_user);
  }
  return r != 0 ? KC_ERR_NOMEM : 0;
}

/* ----------------------------------------------------------------- POST */

static bool
limited(struct kc_http_req *req, struct kc_http_resp *resp,
        const struct cred_input *in)
{
  char key[128];
  unsigned wait;

  snprintf(key, sizeof(key), "cred-ip:%s", req->client);
  wait = kc_http_rate(req->http, key, KC_CRED_IP_BURST, KC_CRED_IP_PER);
  if (wait == 0) {
    snprintf(key, sizeof(key), "cred-user:%s", in->user);
    kc_str_lower_ascii(key); /* LDAP finds uid without case: one key */
    wait = kc_http_rate(req->http, key, KC_CRED_USER_BURST, KC_CRED_USER_PER);
  }
  return kc_http_too_many(resp, wait);
}

static void
post(struct kc_http_req *req, struct kc_http_resp *resp)
{
  struct kc_ldap_user u;
  struct cred_input in;
  struct kc_buf changes;
  struct kc_ldap *l;
  bool proven, fresh;
  int r;

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
  cred_bind(in.user, in.bind);
  if (kc_enrol_read(req, &in.enrol, in.bind, &fresh) != 0) {
    kc_http_plain(resp, 500, "internal error\n");
    goto out;
  }
  in.enrol_ok = true;
  if (strcmp(in.tan_method, "totp") != 0)
    in.enrol.e_code = NULL; /* a new secret for another choice says nothing */
  l = kc_http_ldap_get(req->http);
  r = kc_str_is_username(in.user) ? kc_ldap_find_user(l, in.user, &u)
                                  : KC_ERR_NOT_FOUND;
  if (r != 0) {
    /* what a bind would cost, so the time tells no more than the text */
    if (r == KC_ERR_NOT_FOUND && in.password[0] != '\0')
      kc_password_dummy_verify(in.password);
    in.e_password = kc_http_tr(req, "Benutzername oder Passwort ist falsch.",
                               "User name or password is wrong.");
  } else if (prove_password(req, l, &in, &u)) {
    check_changes(req, &in, &u);
    check_app(req, &in);
    proven = !has_errors(&in) && prove_tan(req, l, &in, &u);
    /* whether a name is taken, only to the account's owner: after the
     * second factor too (it is a question about other accounts) */
    if (proven)
      check_new_user(req, l, &in, &u);
    if (proven && !has_errors(&in)) {
      kc_buf_init(&changes, 1024);
      r = apply(req, l, &in, &u, &changes);
      /* what was done is done: a change that stopped half way (say, the
       * password changed but not the name) is reported too */
      if (kc_buf_len(&changes) > 0) {
        kc_log_info("credentials changed; user=%s new_user=%s complete=%s",
                    u.uid, r == 0 && in.new_user[0] ? in.new_user : u.uid,
                    r == 0 ? "yes" : "no");
        kc_http_count(req->http, "credentials_changed");
        kc_http_change_notice(req, u.mail, u.uid, kc_buf_get(&changes));
      }
      kc_buf_free(&changes);
      if (r == 0) {
        kc_http_ldap_put(req->http, l);
        render_done(req, resp, &in, in.new_user[0] ? in.new_user : u.uid);
        goto out;
      }
    }
  }
  kc_http_ldap_put(req->http, l);
  resp->status = render_form(req, resp, &in) == 0 ? 422 : 500;
out:
  sodium_memzero(&in, sizeof(in)); /* the TAN */
}

void
kc_http_credentials(struct kc_http_req *req, struct kc_http_resp *resp)
{
  struct cred_input in;
  const char *v;

  if (strcmp(req->method, "POST") == 0) {
    post(req, resp);
    return;
  }
  memset(&in, 0, sizeof(in));
  v = kc_form_get(&req->query, "user");
  if (v != NULL && kc_str_is_username(v))
    snprintf(in.user, sizeof(in.user), "%s", v);
  v = kc_form_get(&req->query, "back");
  if (v != NULL && strlen(v) <= KC_CRED_MAX_BACK &&
      kc_http_back_allowed(kc_http_cfg(req->http), v))
    snprintf(in.back, sizeof(in.back), "%s", v);
  cred_bind(in.user, in.bind);
  in.enrol_ok = kc_enrol_new(req, &in.enrol, in.bind) == 0;
  resp->status = in.enrol_ok && render_form(req, resp, &in) == 0 ? 200 : 500;
  sodium_memzero(&in, sizeof(in));
}
