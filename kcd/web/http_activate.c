/*
 * http_activate.c: GET and POST /activate, the creation of the main user
 * (Hauptbenutzer) from an activation link.
 *
 * The token is single use even under a double submit: before the account
 * is added, the registration's token hash is swapped for a "used" marker
 * in one LDAP modify that only one request can win; the same modify notes
 * when and for which user name (kcActivationClaim). If the account cannot
 * be added, the marker is swapped back, so the link still works and LDAP
 * holds no half-made account; on success the registration is deleted.
 * When kcd stopped in between (killed, or its LDAP server lost), the next
 * open of the link settles it: the account exists, so the registration
 * goes; or the claim is older than any activation takes, so it is
 * released and the link works again.
 *
 * The authenticator app is enrolled on the same form (enrol.h): its
 * secret is sealed for the registration ("reg:" and the token's hash), and
 * a code from the app must pass before anything is created. Its secret
 * and new recovery codes are stored once the account exists; for email
 * and mtan the account gets recovery codes too. The page after a second
 * factor shows the codes once; without one it sends to login_url.
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "enrol.h"
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
#include "phone.h"

/* POST /activate runs argon2id: a burst of 10 per address, then one
 * every 20 s. */
#define KC_ACT_IP_BURST 10
#define KC_ACT_IP_PER   20
/* Names as people write them. */
#define KC_ACT_MAX_NAME 64

struct act_input {
  char token[KC_MAX_TOKEN + 1];
  char tan_method[8];
  char salutation[16];
  char first_name[KC_ACT_MAX_NAME * 4 + 1];
  char last_name[KC_ACT_MAX_NAME * 4 + 1];
  char mobile[KC_MAX_PHONE + 1];
  char mobile_e164[KC_MAX_PHONE + 1];
  char email[KC_MAX_EMAIL + 1];
  char username[KC_MAX_USERNAME + 1];
  const char *password; /* owned by the request's form */
  const char *password_repeat;
  char bind[KC_MAX_UUID + 1]; /* the app's secret is sealed for this */
  struct kc_enrol enrol;
  /* a confirmed app code: its secret and step, to store */
  unsigned char secret[KC_TOTP_SECRET_BYTES];
  uint64_t step;
  bool confirmed;
  char codes[KC_RECOVERY_COUNT][KC_RECOVERY_SHOWN_LEN + 1];
  bool have_codes;
  bool factor_failed; /* the account exists, its app or codes do not */
  const char *e_tan, *e_salutation, *e_first, *e_last, *e_mobile, *e_email,
    *e_username, *e_password, *e_repeat;
};

static bool
token_syntax(const char *t)
{
  size_t i;

  for (i = 0; t[i] != '\0'; i++) {
    char c = t[i];
    if (i >= KC_MAX_TOKEN ||
        !((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
          (c >= '0' && c <= '9') || c == '-' || c == '_'))
      return false;
  }
  return i >= 40;
}

/* What a link leads to. */
enum reg_found {
  REG_OPEN, /* a pending registration: the form */
  REG_GONE, /* unknown, used or expired: 410 */
  REG_DOWN, /* LDAP failed: 503 */
  REG_BUSY  /* an activation with this link is under way: 503, soon again */
};

/* An activation's claim older than this has no request behind it: the
 * claim, the account's add (a write, with one reconnect) and the
 * registration's delete each take at most ldap_timeout. */
static time_t
claim_stale_after(const struct kc_http_cfg *cfg)
{
  return 3 * (time_t) cfg->ldap->timeout + 10;
}

/* A claimed registration: its activation either added the account, and
 * kcd stopped before it deleted the registration (delete it now), or
 * stopped before the account (release the link once the claim is stale,
 * so the user can use it again). */
static enum reg_found
settle_claim(struct kc_http *h, struct kc_ldap *l,
             struct kc_ldap_registration *reg, const char *hash)
{
  struct kc_ldap_user u;
  time_t age = time(NULL) - reg->claim_time;
  time_t stale = claim_stale_after(kc_http_cfg(h));
  int r;

  if (reg->claim_time == 0)
    return REG_GONE; /* claimed by an older kcd: used, as it said */
  r = kc_ldap_find_user(l, reg->claim_uid, &u);
  if (r == 0 && strcmp(u.customer, reg->customer) == 0) {
    if (kc_ldap_delete(l, reg->dn) == 0)
      kc_log_info("activation finished after an interruption: registration "
                  "removed; user=%s customer=%s",
                  reg->claim_uid, reg->customer);
    return REG_GONE;
  }
  if (r != 0 && r != KC_ERR_NOT_FOUND)
    return REG_DOWN;
  /* a claim from the future (another host's clock) counts as fresh too */
  if (age > -stale && age < stale)
    return REG_BUSY;
  if ((r = kc_ldap_registration_release(l, reg, hash)) != 0)
    return r == KC_ERR_NOT_FOUND ? REG_BUSY : REG_DOWN;
  kc_log_info("activation link released after an interruption; customer=%s "
              "user=%s",
              reg->customer, reg->claim_uid);
  reg->used = false;
  reg->claim_time = 0;
  reg->claim_uid[0] = '\0';
  return REG_OPEN;
}

/* The pending registration of token. */
static enum reg_found
find_registration(struct kc_http_req *req, const char *token,
                  struct kc_ldap_registration *reg)
{
  enum reg_found f;
  struct kc_ldap *l;
  char hash[64];
  int r;

  if (!token_syntax(token))
    return REG_GONE;
  kc_http_token_hash(token, hash);
  l = kc_http_ldap_get(req->http);
  r = kc_ldap_registration_find(l, hash, reg);
  f = r == 0 ? REG_OPEN : r == KC_ERR_NOT_FOUND ? REG_GONE : REG_DOWN;
  if (f == REG_OPEN && reg->used)
    f = settle_claim(req->http, l, reg, hash);
  kc_http_ldap_put(req->http, l);
  if (f == REG_OPEN && reg->expires <= time(NULL))
    f = REG_GONE;
  return f;
}

static bool has_errors(const struct act_input *in);

/* The string the app's secret of this registration is sealed for. */
static void
reg_bind(const char *token, char out[KC_MAX_UUID + 1])
{
  char hash[64];

  kc_http_token_hash(token, hash);
  /* 44 characters of base64 of SHA-256: "reg:" and they fit */
  snprintf(out, KC_MAX_UUID + 1, "reg:%.56s", hash);
}

static bool
is_totp(const struct act_input *in)
{
  return strcmp(in->tan_method, "totp") == 0;
}

/* --------------------------------------------------------------- render */

/* A page with text and the way back to the registration (JSON: status
 * "gone" and the message), with status. */
static void
render_no_form(struct kc_http_req *req, struct kc_http_resp *resp,
               unsigned status, const char *text)
{
  const struct kc_http_cfg *cfg = kc_http_cfg(req->http);
  int r;

  if (req->json) {
    resp->content_type = "application/json";
    r = kc_buf_add_str(&resp->body, "{\"status\":\"gone\",\"message\":") ||
        kc_esc_json_str(&resp->body, text) ||
        kc_buf_add_str(&resp->body, ",\"register\":\"/register\"}\n");
  } else {
    r = kc_page_begin(resp, cfg->portal_name,
                      kc_http_tr(req, "Aktivierung", "Activation"),
                      req->english) ||
        kc_page_p(resp, "error", text) ||
        kc_page_link(resp, req->english ? "/register?lang=en" : "/register",
                     kc_http_tr(req, "Registrierung erneut starten",
                                "Register again")) ||
        kc_page_end(resp);
  }
  resp->status = r != 0 ? 500 : status;
}

static void
render_gone(struct kc_http_req *req, struct kc_http_resp *resp, bool ldap_down)
{
  if (ldap_down)
    render_no_form(
      req, resp, 503,
      kc_http_tr(req,
                 "Der Dienst ist vorübergehend nicht erreichbar. Bitte "
                 "versuchen Sie es später erneut.",
                 "The service is temporarily unavailable. Please try again "
                 "later."));
  else
    render_no_form(req, resp, 410,
                   kc_http_tr(req,
                              "Dieser Aktivierungslink ist abgelaufen, wurde "
                              "bereits verwendet oder ist unbekannt.",
                              "This activation link has expired, was already "
                              "used or is unknown."));
}

/* The page for a link that leads to no form (f is not REG_OPEN). */
static void
render_unfound(struct kc_http_req *req, struct kc_http_resp *resp,
               enum reg_found f)
{
  if (f != REG_BUSY) {
    render_gone(req, resp, f == REG_DOWN);
    return;
  }
  resp->retry_after = 30;
  render_no_form(req, resp, 503,
                 kc_http_tr(req,
                            "Mit diesem Link wird gerade ein Zugang "
                            "eingerichtet. Bitte versuchen Sie es in einer "
                            "Minute erneut.",
                            "An account is being set up with this link right "
                            "now. Please try again in a minute."));
}

static int
render_choices(struct kc_http_req *req, struct kc_http_resp *resp,
               const struct act_input *in)
{
  static const char *const tans[] = {"none", "email", "mtan", "totp", NULL};
  static const char *const sal[] = {"", "Herr", "Frau", "Divers", NULL};
  const char *tan_labels[] = {kc_http_tr(req, "keine TAN", "no TAN"),
                              "emailTAN", "mTAN", "Authenticator-App", NULL};
  const char *label = in->username[0] != '\0' && in->e_username == NULL
                        ? in->username
                        : in->email;
  const char *sal_labels[] = {kc_http_tr(req, "Bitte wählen", "Please choose"),
                              kc_http_tr(req, "Herr", "Mr"),
                              kc_http_tr(req, "Frau", "Ms"),
                              kc_http_tr(req, "Divers", "Diverse"), NULL};

  if (
    kc_page_radio(resp, "tan_method",
                  kc_http_tr(req, "Authentifizierung", "Second factor"), tans,
                  tan_labels, in->tan_method, in->e_tan) ||
    kc_page_p(resp, "hint",
              kc_http_tr(req,
                         "Bitte wählen Sie aus Datenschutzgründen für Ihre "
                         "Patienten eine TAN. "
                         "Am sichersten sind die Authenticator-App und das "
                         "mTAN-Verfahren (SMS).",
                         "To protect your patients' data, please choose a TAN. "
                         "The safest methods are the authenticator app and "
                         "mTAN (SMS).")) ||
    kc_enrol_render(req, resp, &in->enrol, in->bind,
                    label[0] != '\0' ? label : "-") ||
    kc_page_raw(resp, "<h2>") ||
    kc_page_raw(resp,
                kc_http_tr(req, "Persönliche Angaben", "Personal details")) ||
    kc_page_raw(resp, "</h2>\n") ||
    kc_page_select(resp, "salutation", kc_http_tr(req, "Anrede", "Salutation"),
                   sal, sal_labels, in->salutation, in->e_salutation))
    return -1;
  return 0;
}

static int
render_form(struct kc_http_req *req, struct kc_http_resp *resp,
            const struct act_input *in, const char *top_error)
{
  const struct kc_http_cfg *cfg = kc_http_cfg(req->http);
  char csrf[64];
  size_t i;
  struct kc_page_field f[] = {
    {"first_name", kc_http_tr(req, "Vorname", "First name"), "text",
     in->first_name, in->e_first, "given-name", NULL, true},
    {"last_name", kc_http_tr(req, "Nachname", "Last name"), "text",
     in->last_name, in->e_last, "family-name", NULL, true},
    {"mobile", kc_http_tr(req, "Mobiltelefon", "Mobile phone"), "tel",
     in->mobile, in->e_mobile, "tel",
     kc_http_tr(req, "Pflicht bei mTAN, zum Beispiel 0177 1234567.",
                "Required for mTAN, for example +49 177 1234567."),
     false},
    {"email", kc_http_tr(req, "E-Mail-Adresse", "E-mail address"), "email",
     in->email, in->e_email, "email", NULL, true},
    {"username", kc_http_tr(req, "Benutzername", "User name"), "text",
     in->username, in->e_username, "username",
     kc_http_tr(req, "Buchstaben, Ziffern, Punkt, Binde- und Unterstrich.",
                "Letters, digits, dot, hyphen and underscore."),
     true},
    {"password", kc_http_tr(req, "Passwort", "Password"), "password", NULL,
     in->e_password, "new-password",
     kc_http_tr(req,
                "Mindestens 12 Zeichen (8 mit TAN); ein Satz aus mehreren "
                "Wörtern ist ideal.",
                "At least 12 characters (8 with a TAN); a phrase of several "
                "words "
                "is ideal."),
     true},
    {"password_repeat",
     kc_http_tr(req, "Passwort wiederholen", "Repeat password"), "password",
     NULL, in->e_repeat, "new-password", NULL, true},
  };

  kc_http_csrf_field(req, resp, csrf, sizeof(csrf));
  if (top_error == NULL && has_errors(in))
    top_error = kc_http_tr(req, "Bitte prüfen Sie die markierten Angaben.",
                           "Please check the marked fields.");
  if (kc_page_begin(resp, cfg->portal_name,
                    kc_http_tr(req, "Aktivierung", "Activation"),
                    req->english) ||
      (top_error == NULL &&
       kc_page_p(
         resp, "ok",
         kc_http_tr(
           req,
           "Herzlichen Glückwunsch! Ihr Zugang wurde erfolgreich aktiviert. "
           "Bitte vervollständigen Sie Ihre Angaben, um die Registrierung "
           "abzuschließen.",
           "Congratulations! Your access has been activated. Please complete "
           "your details to finish the registration."))) ||
      (top_error != NULL && kc_page_p(resp, "error", top_error)) ||
      kc_page_form_begin(resp, req->english ? "/activate?lang=en" : "/activate",
                         csrf) ||
      kc_page_raw(resp, "<input type=\"hidden\" name=\"token\" value=\"") ||
      kc_esc_html(&resp->body, in->token) || kc_page_raw(resp, "\">\n") ||
      render_choices(req, resp, in))
    return -1;
  for (i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
    if (i == 4 && (kc_page_raw(resp, "<h2>") ||
                   kc_page_raw(resp, kc_http_tr(req, "Anmeldung", "Login")) ||
                   kc_page_raw(resp, "</h2>\n")))
      return -1;
    if (kc_page_field(resp, &f[i]) != 0)
      return -1;
  }
  return kc_page_form_end(resp, kc_http_tr(req, "Registrierung abschließen",
                                           "Finish registration")) ||
             kc_page_end(resp)
           ? -1
           : 0;
}

/* ------------------------------------------------------------- validate */

static bool
name_ok(const char *s)
{
  size_t len = strlen(s), i;

  if (len == 0 || !kc_str_is_utf8(s, len))
    return false;
  for (i = 0; i < len; i++)
    if ((unsigned char) s[i] < 0x20 || s[i] == 0x7f || s[i] == '<' ||
        s[i] == '>')
      return false;
  return true;
}

static void
read_fields(struct kc_http_req *req, struct act_input *in)
{
  const struct kc_form *b = &req->body;

  if (!kc_form_get_trim(b, "tan_method", in->tan_method,
                        sizeof(in->tan_method)) ||
      (strcmp(in->tan_method, "none") != 0 &&
       strcmp(in->tan_method, "email") != 0 &&
       strcmp(in->tan_method, "mtan") != 0 && !is_totp(in)))
    in->e_tan = kc_http_tr(req, "Bitte wählen Sie ein Verfahren.",
                           "Please choose a method.");
  if (!kc_form_get_trim(b, "salutation", in->salutation,
                        sizeof(in->salutation)) ||
      (strcmp(in->salutation, "Herr") != 0 &&
       strcmp(in->salutation, "Frau") != 0 &&
       strcmp(in->salutation, "Divers") != 0))
    in->e_salutation = kc_http_tr(req, "Bitte wählen Sie eine Anrede.",
                                  "Please choose a salutation.");
  if (!kc_form_get_trim(b, "first_name", in->first_name,
                        sizeof(in->first_name)) ||
      !name_ok(in->first_name))
    in->e_first = kc_http_tr(req, "Bitte geben Sie Ihren Vornamen an.",
                             "Please enter your first name.");
  if (!kc_form_get_trim(b, "last_name", in->last_name, sizeof(in->last_name)) ||
      !name_ok(in->last_name))
    in->e_last = kc_http_tr(req, "Bitte geben Sie Ihren Nachnamen an.",
                            "Please enter your last name.");
  if (!kc_form_get_trim(b, "email", in->email, sizeof(in->email)) ||
      !kc_email_valid(in->email))
    in->e_email =
      kc_http_tr(req, "Bitte geben Sie eine gültige E-Mail-Adresse an.",
                 "Please enter a valid e-mail address.");
}

static void
read_mobile(struct kc_http_req *req, struct act_input *in)
{
  const struct kc_http_cfg *cfg = kc_http_cfg(req->http);

  if (!kc_form_get_trim(&req->body, "mobile", in->mobile, sizeof(in->mobile)))
    in->e_mobile =
      kc_http_tr(req, "Die Nummer ist zu lang.", "The number is too long.");
  else if (in->mobile[0] == '\0' && strcmp(in->tan_method, "mtan") == 0)
    in->e_mobile = kc_http_tr(req, "Für mTAN wird Ihre Mobilnummer benötigt.",
                              "mTAN needs your mobile number.");
  else if (in->mobile[0] != '\0' &&
           kc_phone_normalize(in->mobile, cfg->country_code, in->mobile_e164,
                              sizeof(in->mobile_e164)) != 0)
    in->e_mobile =
      kc_http_tr(req, "Bitte geben Sie eine gültige Mobilnummer an.",
                 "Please enter a valid mobile number.");
}

static void
read_login(struct kc_http_req *req, struct act_input *in,
           const struct kc_ldap_registration *reg)
{
  const struct kc_http_cfg *cfg = kc_http_cfg(req->http);
  enum kc_password_problem p;
  struct kc_ldap *l;
  int r;

  if (!kc_form_get_trim(&req->body, "username", in->username,
                        sizeof(in->username)) ||
      !kc_str_is_username(in->username)) {
    in->e_username =
      kc_http_tr(req,
                 "Bitte wählen Sie einen Benutzernamen aus "
                 "Buchstaben, Ziffern, Punkt, Binde- oder "
                 "Unterstrich.",
                 "Please choose a user name of letters, digits, dot, hyphen or "
                 "underscore.");
  } else {
    l = kc_http_ldap_get(req->http);
    r = kc_ldap_uid_free(l, in->username);
    kc_http_ldap_put(req->http, l);
    /* a reserved or local name reads as taken: the page tells nobody
     * which names this host has */
    if (r == KC_ERR_DUPLICATE ||
        kc_http_username_refused(req, in->username, NULL))
      in->e_username =
        kc_http_tr(req, "Dieser Benutzername ist bereits vergeben.",
                   "This user name is taken.");
  }
  in->password = kc_form_get(&req->body, "password");
  in->password_repeat = kc_form_get(&req->body, "password_repeat");
  if (in->password == NULL)
    in->password = "";
  p =
    kc_password_check(in->password, in->username, reg->customer,
                      cfg->password_min_length,
                      strcmp(in->tan_method, "none") != 0 && in->e_tan == NULL);
  if (p != KC_PW_OK)
    in->e_password = kc_password_problem_text(p, req->english);
  else if (in->password_repeat == NULL ||
           strcmp(in->password, in->password_repeat) != 0)
    in->e_repeat = kc_http_tr(req, "Die Passwörter stimmen nicht überein.",
                              "The passwords differ.");
}

static bool
has_errors(const struct act_input *in)
{
  return in->e_tan || in->e_salutation || in->e_first || in->e_last ||
         in->e_mobile || in->e_email || in->e_username || in->e_password ||
         in->e_repeat || (is_totp(in) && in->enrol.e_code != NULL);
}

/* ------------------------------------------------------------- activate */

/* An invitation holds only while its inviter is a main user, not locked,
 * of every customer it names. */
static bool
inviter_may(struct kc_ldap *l, const struct kc_ldap_registration *reg)
{
  struct kc_ldap_details d;
  struct kc_ldap_user u;
  size_t i, j;

  if (kc_ldap_find_user_by(l, KC_BY_UUID, reg->invited_by, &u) != 0 ||
      strcmp(u.role, "admin") != 0 || u.locked_time[0] != '\0' ||
      kc_ldap_account_details(l, u.dn, &d) != 0)
    return false;
  for (i = 0; i < reg->n_customers; i++) {
    for (j = 0; j < d.n_customers; j++)
      if (strcmp(d.customers[j].number, reg->customers[i]) == 0)
        break;
    if (j == d.n_customers)
      return false;
  }
  return true;
}

/* The new account's second factor beyond its method: the app's secret
 * (totp) and recovery codes (every method but none). A failure leaves a
 * valid account: totp without a secret enrols at the next web login, and
 * codes can be made on the account page. 0 or KC_ERR_*. */
static int
add_factor(struct kc_http_req *req, struct kc_ldap *l, struct act_input *in)
{
  const struct kc_http_cfg *cfg = kc_http_cfg(req->http);
  struct kc_tanflow f = {cfg->tan_policy, cfg->key, cfg->notify, NULL};
  struct kc_ldap_user u;
  int r;

  if (strcmp(in->tan_method, "none") == 0)
    return 0;
  if ((r = kc_ldap_find_user(l, in->username, &u)) != 0)
    return r;
  if (is_totp(in) && !in->confirmed)
    r = KC_ERR_INTERNAL; /* has_errors() let no unconfirmed app through */
  else if (is_totp(in))
    r = kc_factor_totp_store(&f, l, u.dn, u.uuid, in->secret, in->step,
                             in->codes);
  else
    r = kc_factor_recovery_renew(&f, l, u.dn, in->codes);
  in->have_codes = r == 0;
  return r;
}

/* Claim the token, add the account, delete the registration. On failure
 * the claim is undone. Returns 0, KC_ERR_NOT_FOUND (someone else used the
 * link), KC_ERR_DUPLICATE (user name taken meanwhile) or another error. */
static int
create_account(struct kc_http_req *req, struct act_input *in,
               const struct kc_ldap_registration *reg)
{
  const char *customers[KC_LDAP_MAX_CUSTOMERS + 1];
  struct kc_ldap_registration claimed;
  char hash[64];
  struct kc_buf pwhash;
  struct kc_ldap_new_account a;
  struct kc_ldap *l;
  size_t i;
  int r, e;

  if ((r = kc_password_hash(&pwhash, in->password)) != 0) {
    kc_buf_free(&pwhash);
    return r;
  }
  kc_http_token_hash(in->token, hash);
  memset(&a, 0, sizeof(a));
  a.uid = in->username;
  a.customer = reg->customer;
  /* an invitation names the customers and the role of the new account;
   * a customer's own registration makes its main user */
  for (i = 0; i < reg->n_customers; i++)
    customers[i] = reg->customers[i];
  customers[i] = NULL;
  a.customers = reg->n_customers > 0 ? customers : NULL;
  a.password_hash = kc_buf_get(&pwhash);
  a.tan_method = in->tan_method;
  a.role = reg->invited_by[0] == '\0'        ? "admin"
           : strcmp(reg->role, "admin") == 0 ? "admin"
                                             : "user";
  a.salutation = in->salutation;
  a.first_name = in->first_name;
  a.last_name = in->last_name;
  /* an invitation went to one address: the account gets that one (a
   * changed one would be unconfirmed) */
  a.mail = reg->invited_by[0] != '\0' ? reg->mail : in->email;
  a.mobile = in->mobile_e164;
  a.language = req->english ? "en" : "de";
  l = kc_http_ldap_get(req->http);
  if (reg->invited_by[0] != '\0' && !inviter_may(l, reg))
    r = KC_ERR_NOT_FOUND; /* the link died with its inviter's rights */
  else if ((r = kc_ldap_registration_claim(l, reg->dn, hash, in->username,
                                           time(NULL))) == 0) {
    if ((r = kc_ldap_account_add(l, &a)) == 0) {
      if (kc_ldap_delete(l, reg->dn) != 0)
        kc_log_warnx("used registration not removed; dn=%s", reg->dn);
      if ((e = add_factor(req, l, in)) != 0) {
        in->factor_failed = true;
        kc_log_warnx("second factor of a new account not stored; user=%s "
                     "tan=%s error=\"%s\"",
                     in->username, in->tan_method, kc_strerror(e));
      }
    } else if (kc_ldap_registration_find(l, hash, &claimed) != 0 ||
               kc_ldap_registration_release(l, &claimed, hash) != 0) {
      /* the next open of the link releases it (settle_claim) */
      kc_log_warnx("could not release a registration; dn=%s", reg->dn);
    }
  }
  kc_http_ldap_put(req->http, l);
  kc_buf_free(&pwhash);
  return r;
}

/* What a failed add_factor() left, in words. */
static const char *
factor_failed_text(const struct kc_http_req *req, const struct act_input *in)
{
  return is_totp(in)
           ? kc_http_tr(req,
                        "Die Authenticator-App konnte nicht gespeichert "
                        "werden. Sie richten sie bei Ihrer ersten Anmeldung "
                        "im Kundencenter erneut ein.",
                        "The authenticator app could not be saved. You will "
                        "set it up again when you first log in to your "
                        "account.")
           : kc_http_tr(req,
                        "Die Wiederherstellungscodes konnten nicht erzeugt "
                        "werden. Sie können sie in Ihrem Zugang neu "
                        "erzeugen.",
                        "The recovery codes could not be made. You can make "
                        "them on your account page.");
}

/* The account exists and has a second factor: its recovery codes, once. */
static int
render_done(struct kc_http_req *req, struct kc_http_resp *resp,
            struct act_input *in)
{
  const struct kc_http_cfg *cfg = kc_http_cfg(req->http);
  struct kc_buf *b = &resp->body;
  char user[KC_MAX_USERNAME + 64];

  snprintf(user, sizeof(user), "%s: %s",
           kc_http_tr(req, "Ihr Benutzername", "Your user name"), in->username);

  if (req->json) {
    resp->content_type = "application/json";
    resp->no_store = true;
    return kc_buf_add_str(b, "{\"status\":\"ok\",\"user\":") ||
               kc_esc_json_str(b, in->username) ||
               kc_buf_add_str(b, ",\"tan_method\":") ||
               kc_esc_json_str(b, in->tan_method) ||
               (in->have_codes && kc_enrol_codes_json(b, in->codes)) ||
               (in->factor_failed &&
                (kc_buf_add_str(b, ",\"warning\":") ||
                 kc_esc_json_str(b, factor_failed_text(req, in)))) ||
               kc_buf_add_str(b, "}\n")
             ? -1
             : 0;
  }
  return kc_page_begin(resp, cfg->portal_name,
                       kc_http_tr(req, "Aktivierung", "Activation"),
                       req->english) ||
             kc_page_p(resp, "ok",
                       kc_http_tr(req, "Ihr Zugang ist eingerichtet.",
                                  "Your account is set up.")) ||
             kc_page_p(resp, NULL, user) ||
             (in->factor_failed &&
              kc_page_p(resp, "error", factor_failed_text(req, in))) ||
             (in->have_codes && kc_enrol_codes_render(req, resp, in->codes)) ||
             kc_page_link(resp, cfg->login_url != NULL ? cfg->login_url : "/",
                          kc_http_tr(req, "Weiter zur Anmeldung",
                                     "On to the login")) ||
             kc_page_end(resp)
           ? -1
           : 0;
}

static void
finish(struct kc_http_req *req, struct kc_http_resp *resp, struct act_input *in,
       const struct kc_ldap_registration *reg)
{
  const struct kc_http_cfg *cfg = kc_http_cfg(req->http);
  int r = create_account(req, in, reg);

  if (r == KC_ERR_NOT_FOUND) {
    render_gone(req, resp, false);
    return;
  }
  if (r == KC_ERR_DUPLICATE) {
    in->e_username =
      kc_http_tr(req, "Dieser Benutzername ist bereits vergeben.",
                 "This user name is taken.");
    resp->status = render_form(req, resp, in, NULL) == 0 ? 422 : 500;
    return;
  }
  if (r != 0) {
    kc_log_warnx("activation failed; customer=%s error=\"%s\"", reg->customer,
                 kc_strerror(r));
    render_gone(req, resp, true);
    return;
  }
  kc_log_info("account created by activation; user=%s customer=%s tan=%s%s",
              in->username, reg->customer, in->tan_method,
              reg->invited_by[0] != '\0' ? " invited=yes" : "");
  kc_http_count(req->http, "activation_done");
  if (strcmp(in->tan_method, "none") != 0) {
    resp->status = render_done(req, resp, in) == 0 ? 200 : 500;
    return;
  }
  resp->status = 303;
  snprintf(resp->location, sizeof(resp->location), "%s",
           cfg->login_url != NULL ? cfg->login_url : "/");
  if (req->json) {
    resp->content_type = "application/json";
    if (kc_buf_add_str(&resp->body, "{\"status\":\"ok\",\"user\":") ||
        kc_esc_json_str(&resp->body, in->username) ||
        kc_buf_add_str(&resp->body, "}\n"))
      resp->status = 500;
  }
}

static int
render_errors_json(struct kc_http_resp *resp, const struct act_input *in)
{
  static const char *const names[] = {"tan_method",      "salutation",
                                      "first_name",      "last_name",
                                      "mobile",          "email",
                                      "username",        "password",
                                      "password_repeat", "totp_code"};
  const char *errs[] = {in->e_tan,      in->e_salutation,
                        in->e_first,    in->e_last,
                        in->e_mobile,   in->e_email,
                        in->e_username, in->e_password,
                        in->e_repeat,   is_totp(in) ? in->enrol.e_code : NULL};

  return kc_page_json_errors(resp, names, errs, sizeof(errs) / sizeof(errs[0]));
}

static void
post(struct kc_http_req *req, struct kc_http_resp *resp, struct act_input *in)
{
  struct kc_ldap_registration reg;
  char key[96];
  enum reg_found f;
  bool fresh;

  if (req->body_bad || kc_http_csrf_check(req) != 0) {
    resp->status = req->body_bad ? 400 : 403;
    resp->content_type = "text/plain; charset=utf-8";
    if (kc_buf_add_str(&resp->body, req->body_bad
                                      ? "invalid request\n"
                                      : "CSRF check failed: reload the form\n"))
      resp->status = 500;
    return;
  }
  snprintf(key, sizeof(key), "act-ip:%s", req->client);
  if (kc_http_too_many(resp, kc_http_rate(req->http, key, KC_ACT_IP_BURST,
                                          KC_ACT_IP_PER)))
    return;
  if (!kc_form_get_trim(&req->body, "token", in->token, sizeof(in->token))) {
    render_gone(req, resp, false);
    return;
  }
  if ((f = find_registration(req, in->token, &reg)) != REG_OPEN) {
    render_unfound(req, resp, f);
    return;
  }
  read_fields(req, in);
  read_mobile(req, in);
  read_login(req, in, &reg);
  reg_bind(in->token, in->bind);
  if (kc_enrol_read(req, &in->enrol, in->bind, &fresh) != 0) {
    kc_http_plain(resp, 500, "internal error\n");
    return;
  }
  /* the code first: a wrong one creates nothing and shows the same
   * secret again; a new secret for another choice says nothing */
  if (!is_totp(in))
    in->enrol.e_code = NULL;
  else if (!fresh)
    in->confirmed =
      kc_enrol_confirm(req, &in->enrol, in->bind, &in->step, in->secret) == 0;
  if (has_errors(in)) {
    if ((req->json ? render_errors_json(resp, in)
                   : render_form(req, resp, in, NULL)) != 0)
      resp->status = 500;
    else
      resp->status = 422;
    return;
  }
  finish(req, resp, in, &reg);
}

static void
get(struct kc_http_req *req, struct kc_http_resp *resp, struct act_input *in)
{
  struct kc_ldap_registration reg;
  const char *token;
  enum reg_found f;

  kc_http_count(req->http, "activate_get");
  token = kc_form_get(&req->query, "token");
  if (token == NULL || strlen(token) > KC_MAX_TOKEN) {
    render_gone(req, resp, false);
    return;
  }
  if ((f = find_registration(req, token, &reg)) != REG_OPEN) {
    render_unfound(req, resp, f);
    return;
  }
  memcpy(in->token, token, strlen(token) + 1);
  memcpy(in->email, reg.mail, sizeof(in->email));
  memcpy(in->tan_method, "mtan", 5); /* the safest, as the page advises */
  reg_bind(in->token, in->bind);
  if (kc_enrol_new(req, &in->enrol, in->bind) != 0) {
    kc_http_plain(resp, 500, "internal error\n");
    return;
  }
  /* the names a main user gave with the invitation, to be corrected */
  snprintf(in->first_name, sizeof(in->first_name), "%s", reg.first_name);
  snprintf(in->last_name, sizeof(in->last_name), "%s", reg.last_name);
  if (req->json) {
    char csrf[64];
    kc_http_csrf_field(req, resp, csrf, sizeof(csrf));
    resp->content_type = "application/json";
    resp->no_store = true;
    resp->status =
      kc_buf_add_str(&resp->body, "{\"status\":\"ok\",\"email\":") ||
          kc_esc_json_str(&resp->body, reg.mail) ||
          kc_buf_add_str(&resp->body, ",\"csrf\":") ||
          kc_esc_json_str(&resp->body, csrf) ||
          kc_enrol_json(req, &resp->body, &in->enrol, in->bind, reg.mail) ||
          kc_buf_add_str(&resp->body, "}\n")
        ? 500
        : 200;
    return;
  }
  resp->status = render_form(req, resp, in, NULL) == 0 ? 200 : 500;
}

void
kc_http_activate(struct kc_http_req *req, struct kc_http_resp *resp)
{
  struct act_input in;

  memset(&in, 0, sizeof(in));
  if (strcmp(req->method, "POST") == 0)
    post(req, resp, &in);
  else
    get(req, resp, &in);
  sodium_memzero(&in, sizeof(in)); /* the activation token */
}
