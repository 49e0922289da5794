/*
 * http_register.c: GET and POST /register, the self-registration with
 * customer number, the master-data e-mail address and a captcha.
 *
 * A well-formed request gets the same answer, status and timing whether
 * or not number and address match: the lookup, the registration entry and
 * the activation mail all happen on the background thread after the
 * answer. Only on a match does a mail go out, and only to the master-data
 * address. Rate limits apply per client address and per customer number,
 * before anything is known about either.
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <sodium.h>

#include "captcha_http.h"
#include "http.h"
#include "http_page.h"
#include "pages.h"
#include "kc_err.h"
#include "kc_limits.h"
#include "kc_str.h"
#include "log.h"
#include "mail.h"
#include "phone.h"
#include "reset.h"

/* POST /register per client address: a burst of 10, then one a minute. */
#define KC_REG_IP_BURST 10
#define KC_REG_IP_PER   60
/* Per customer number: 3, then one every 20 minutes. */
#define KC_REG_CUSTOMER_BURST 3
#define KC_REG_CUSTOMER_PER   1200
/* Activation mails per customer, counted in LDAP on the customer's entry
 * so that several kcd together send no more: 3 in 20 minutes. The limit
 * above answers at once, per kcd; this one decides on the background
 * thread, after the answer, so it tells nothing about a match either. */
#define KC_REG_MAIL_MAX    3
#define KC_REG_MAIL_WINDOW 1200
/* Compare-and-swap rounds against other kcd counting the same customer. */
#define KC_REG_COUNT_TRIES 4

struct reg_input {
  char number[KC_MAX_CUSTOMER_NUMBER + 8];
  char email[KC_MAX_EMAIL + 1];
  char email_repeat[KC_MAX_EMAIL + 1];
  const char *err_number, *err_email, *err_repeat, *err_captcha;
};

struct reg_job {
  char number[KC_MAX_CUSTOMER_NUMBER + 1];
  char email[KC_MAX_EMAIL + 1];
  bool english;
};

/* --------------------------------------------------------------- render */

static int
render_form(struct kc_http_req *req, struct kc_http_resp *resp,
            const struct reg_input *in)
{
  const struct kc_http_cfg *cfg = kc_http_cfg(req->http);
  char csrf[64];
  struct kc_page_field f[3] = {
    {"customer_number", kc_http_tr(req, "Kundennummer", "Customer number"),
     "text", in->number, in->err_number, "off",
     kc_http_tr(req, "Pflichtfelder sind mit * markiert.",
                "Fields marked * are required."),
     true},
    {"email", kc_http_tr(req, "E-Mail-Adresse", "E-mail address"), "email",
     in->email, in->err_email, "email",
     kc_http_tr(req, "Die in Ihren Stammdaten hinterlegte Kontakt-Adresse.",
                "The contact address stored in your master data."),
     true},
    {"email_repeat",
     kc_http_tr(req, "E-Mail-Adresse wiederholen", "Repeat e-mail address"),
     "email", in->email_repeat, in->err_repeat, "off", NULL, true},
  };
  size_t i;

  kc_http_csrf_field(req, resp, csrf, sizeof(csrf));
  if (kc_page_begin(resp, cfg->portal_name,
                    kc_http_tr(req, "Registrierung", "Registration"),
                    req->english) != 0 ||
      kc_page_p(resp, NULL,
                kc_http_tr(req,
                           "Bitte registrieren Sie sich mit Ihrer Kundennummer "
                           "und der in "
                           "den Stammdaten hinterlegten E-Mail-Adresse.",
                           "Please register with your customer number and the "
                           "e-mail address "
                           "stored in your master data.")) != 0 ||
      kc_page_form_begin(resp, req->english ? "/register?lang=en" : "/register",
                         csrf) != 0)
    return -1;
  for (i = 0; i < 3; i++)
    if (kc_page_field(resp, &f[i]) != 0)
      return -1;
  if (kc_captcha_http_render(req, resp, in->err_captcha) != 0 ||
      kc_page_form_end(resp, kc_http_tr(req, "Registrieren", "Register")) !=
        0 ||
      kc_page_end(resp) != 0)
    return -1;
  return 0;
}

/* Where the mail goes and what it looks like: the answer cannot say
 * whether number and address matched, so it says when a mail comes. */
static int
render_done_hint(struct kc_http_req *req, struct kc_http_resp *resp)
{
  const struct kc_http_cfg *cfg = kc_http_cfg(req->http);
  char text[768];
  unsigned hours =
    cfg->activation_ttl / 3600 > 0 ? cfg->activation_ttl / 3600 : 1;

  snprintf(
    text, sizeof(text),
    req->english
      ? "The e-mail goes to the address stored in your master data, provided "
        "customer number and address match it. Its subject is \"Your "
        "registration in the %s\"; the link in it is valid for %u hours. If "
        "no e-mail arrives, please check your spam folder."
      : "Die E-Mail geht an die in Ihren Stammdaten hinterlegte Adresse, "
        "sofern Kundennummer und Adresse übereinstimmen. Sie trägt den "
        "Betreff „Ihre Registrierung im %s“; der Link darin ist %u Stunden "
        "gültig. Sollten Sie keine E-Mail erhalten, prüfen Sie bitte Ihren "
        "Spam-Ordner.",
    cfg->portal_name, hours);
  return kc_page_p(resp, "hint", text);
}

static int
render_done(struct kc_http_req *req, struct kc_http_resp *resp)
{
  const struct kc_http_cfg *cfg = kc_http_cfg(req->http);

  if (req->json) {
    resp->content_type = "application/json";
    resp->status = 200;
    return kc_buf_add_str(&resp->body, "{\"status\":\"ok\",\"message\":") ||
               kc_esc_json_str(&resp->body,
                               kc_http_tr(req,
                                          "Ihre Registrierung war erfolgreich. "
                                          "In Kürze erhalten Sie eine "
                                          "E-Mail mit weiteren Anweisungen.",
                                          "Your registration was successful. "
                                          "You will shortly receive an "
                                          "e-mail with further "
                                          "instructions.")) ||
               kc_buf_add_str(&resp->body, "}\n")
             ? -1
             : 0;
  }
  if (kc_page_begin(resp, cfg->portal_name,
                    kc_http_tr(req, "Registrierung", "Registration"),
                    req->english) != 0 ||
      kc_page_p(resp, "ok",
                kc_http_tr(req,
                           "Ihre Registrierung war erfolgreich. In Kürze "
                           "erhalten Sie eine E-Mail "
                           "mit weiteren Anweisungen.",
                           "Your registration was successful. You will shortly "
                           "receive an e-mail "
                           "with further instructions.")) != 0 ||
      render_done_hint(req, resp) != 0 || kc_page_end(resp) != 0)
    return -1;
  resp->status = 200;
  return 0;
}

static int
render_errors_json(struct kc_http_resp *resp, const struct reg_input *in)
{
  static const char *const names[] = {"customer_number", "email",
                                      "email_repeat", "captcha"};
  const char *errs[] = {in->err_number, in->err_email, in->err_repeat,
                        in->err_captcha};

  return kc_page_json_errors(resp, names, errs, 4);
}

/* A short plain answer (403, 400, 429, 503) in the requested form. */
static void
render_status(struct kc_http_req *req, struct kc_http_resp *resp,
              unsigned status, const char *text)
{
  const struct kc_http_cfg *cfg = kc_http_cfg(req->http);
  int r;

  resp->status = status;
  if (req->json) {
    resp->content_type = "application/json";
    r = kc_buf_printf(&resp->body, "{\"status\":%u,\"message\":", status) ||
        kc_esc_json_str(&resp->body, text) ||
        kc_buf_add_str(&resp->body, "}\n");
  } else {
    r = kc_page_begin(resp, cfg->portal_name,
                      kc_http_tr(req, "Registrierung", "Registration"),
                      req->english) ||
        kc_page_p(resp, "error", text) ||
        kc_page_link(resp, req->english ? "/register?lang=en" : "/register",
                     kc_http_tr(req, "Zurück zur Registrierung",
                                "Back to the registration")) ||
        kc_page_end(resp);
    resp->status = status;
  }
  if (r != 0)
    resp->status = 500;
}

/* ------------------------------------------------------------- validate */

/* Digits only; blanks people type ("46 075") are dropped. */
static bool
clean_number(const char *in, char *out, size_t outlen)
{
  size_t o = 0;

  for (; *in != '\0'; in++) {
    if (*in == ' ' || *in == '\t')
      continue;
    if (o + 1 >= outlen)
      return false;
    out[o++] = *in;
  }
  out[o] = '\0';
  return kc_str_is_customer_number(out);
}

static void
read_input(struct kc_http_req *req, struct reg_input *in)
{
  char raw[KC_MAX_CUSTOMER_NUMBER + 8];

  memset(in, 0, sizeof(*in));
  if (!kc_form_get_trim(&req->body, "customer_number", raw, sizeof(raw)) ||
      !clean_number(raw, in->number, sizeof(in->number))) {
    in->err_number =
      raw[0] == '\0'
        ? kc_http_tr(req, "Bitte geben Sie Ihre Kundennummer an.",
                     "Please enter your customer number.")
        : kc_http_tr(req, "Die Kundennummer besteht nur aus Ziffern.",
                     "The customer number consists of digits only.");
    snprintf(in->number, sizeof(in->number), "%.*s",
             (int) sizeof(in->number) - 1, raw);
  }
  if (!kc_form_get_trim(&req->body, "email", in->email, sizeof(in->email)) ||
      !kc_email_valid(in->email))
    in->err_email =
      kc_http_tr(req, "Bitte geben Sie eine gültige E-Mail-Adresse an.",
                 "Please enter a valid e-mail address.");
  if (!kc_form_get_trim(&req->body, "email_repeat", in->email_repeat,
                        sizeof(in->email_repeat)) ||
      strcasecmp(in->email, in->email_repeat) != 0)
    in->err_repeat =
      kc_http_tr(req, "Die E-Mail-Adressen stimmen nicht überein.",
                 "The e-mail addresses differ.");
  if (kc_captcha_http_check(req) != 0)
    in->err_captcha = kc_http_tr(
      req,
      "Die Sicherheitsabfrage wurde nicht richtig beantwortet. Bitte "
      "versuchen Sie es erneut.",
      "The security check was not answered correctly. Please try again.");
}

/* ---------------------------------------------------------- background */

static int
send_activation(struct kc_http *h, const struct reg_job *job,
                const char *master, const char *token)
{
  const struct kc_http_cfg *cfg = kc_http_cfg(h);
  char subject[256], text[2048], err[256];
  int r;

  snprintf(subject, sizeof(subject),
           job->english ? "Your registration in the %s"
                        : "Ihre Registrierung im %s",
           cfg->portal_name);
  snprintf(
    text, sizeof(text),
    job->english
      ? "Hello,\n\nthank you for registering in the %s. Please open this "
        "link to confirm your address and create your main user:\n\n"
        "%s/activate?token=%s&lang=en\n\nFor your security the link is "
        "valid for %u hours and can be used once. If you did not register, "
        "you can ignore this e-mail.\n"
      : "Guten Tag,\n\nvielen Dank für Ihre Registrierung im %s. Bitte "
        "öffnen Sie diesen Link, um Ihre Adresse zu bestätigen und Ihren "
        "Hauptbenutzer anzulegen:\n\n%s/activate?token=%s\n\nAus "
        "Sicherheitsgründen ist der Link %u Stunden gültig und nur einmal "
        "verwendbar. Falls Sie sich nicht registriert haben, können Sie "
        "diese E-Mail ignorieren.\n",
    cfg->portal_name, cfg->public_url, token,
    cfg->activation_ttl / 3600 > 0 ? cfg->activation_ttl / 3600 : 1);
  /* only ever to the master-data address, as stored */
  r = kc_notify_mail(cfg->notify, master, subject, text, err, sizeof(err));
  sodium_memzero(text, sizeof(text));
  if (r != 0)
    kc_log_warnx("activation mail failed; customer=%s error=\"%s\"",
                 job->number, err);
  return r;
}

/* Count one activation mail against c's cap in LDAP; re-reads c when
 * another kcd counted first. 0 when the mail may go, 1 when the cap is
 * reached, or the LDAP error. */
static int
count_mail(struct kc_ldap *l, const char *number, struct kc_ldap_customer *c)
{
  struct kc_send_cap cur, next;
  int r = 0, i;

  for (i = 0; i < KC_REG_COUNT_TRIES; i++) {
    if (i > 0 && (r = kc_ldap_customer_find(l, number, c)) != 0)
      return r;
    cur.window_start = c->reg_window;
    cur.sends = c->reg_sends;
    if (!kc_send_cap_take(&cur, time(NULL), KC_REG_MAIL_MAX, KC_REG_MAIL_WINDOW,
                          &next))
      return 1;
    r = kc_ldap_customer_count_mail(l, c, next.window_start, next.sends);
    if (r != KC_ERR_DUPLICATE)
      return r;
  }
  return r;
}

static void
register_job(struct kc_http *h, void *arg)
{
  const struct reg_job *job = arg;
  const struct kc_http_cfg *cfg = kc_http_cfg(h);
  struct kc_ldap_customer c;
  char token[64], hash[64], id[32];
  const char *master = c.mail;
  struct kc_ldap *l = kc_http_ldap_get(h);
  int r;

  r = kc_ldap_customer_find(l, job->number, &c);
  if (r != 0 || strcasecmp(c.mail, job->email) != 0) {
    if (r != 0 && r != KC_ERR_NOT_FOUND)
      kc_log_warnx("registration lookup failed; customer=%s error=\"%s\"",
                   job->number, kc_strerror(r));
    else
      kc_log_info("registration without a match; customer=%s", job->number);
    kc_http_ldap_put(h, l);
    kc_http_count(h, "register_done");
    return;
  }
  r = count_mail(l, job->number, &c);
  if (r == KC_ERR_INVALID) {
    /* a directory without this version's schema (no kcRegSendCount):
     * the mail goes, under each kcd's own limit as before */
    kc_log_warnx("activation mail not counted in LDAP, apply the schema of "
                 "this version; customer=%s error=\"%s\"",
                 job->number, kc_ldap_error(l));
    r = 0;
  }
  if (r != 0) {
    if (r == 1)
      kc_log_info("activation mail not sent, cap of %u in %u s reached; "
                  "customer=%s",
                  KC_REG_MAIL_MAX, KC_REG_MAIL_WINDOW, job->number);
    else
      kc_log_warnx("activation mail not counted; customer=%s error=\"%s\"",
                   job->number, kc_strerror(r));
    kc_http_ldap_put(h, l);
    kc_http_count(h, "register_done");
    return;
  }
  kc_http_token_new(token, sizeof(token), 32); /* 256 bits */
  kc_http_token_new(id, sizeof(id), 16);
  kc_http_token_hash(token, hash);
  r = kc_ldap_registration_add(l, id, hash,
                               time(NULL) + (time_t) cfg->activation_ttl,
                               job->number, master, job->english ? "en" : "de");
  if (r == 0 && send_activation(h, job, master, token) != 0) {
    struct kc_buf dn;
    int d = kc_ldap_dn_entry(&dn, cfg->ldap->base, KC_LDAP_REGISTRATIONS,
                             "kcRegistrationId", id);

    if (d == 0)
      d = kc_ldap_delete(l, kc_buf_get(&dn));
    kc_buf_free(&dn);
    if (d != 0)
      kc_log_warnx("could not remove an undelivered registration; "
                   "customer=%s",
                   job->number);
    r = KC_ERR_UNAVAILABLE;
  }
  sodium_memzero(token, sizeof(token));
  kc_http_ldap_put(h, l);
  if (r == 0)
    kc_log_info("activation mail sent; customer=%s", job->number);
  else
    kc_log_warnx("registration failed; customer=%s error=\"%s\"", job->number,
                 kc_strerror(r));
  /* one counter for every outcome: no count (nor a failed delivery, which
   * only a match can have) tells a match apart; the log does */
  kc_http_count(h, "register_done");
}

/* ----------------------------------------------------------------- POST */

static void
post(struct kc_http_req *req, struct kc_http_resp *resp)
{
  struct reg_input in;
  struct reg_job *job;
  char key[96];
  unsigned wait;

  kc_http_count(req->http, "register_post");
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
  if (kc_form_get(&req->body, "captcha_refresh") != NULL) {
    /* a new picture; the input stays, no errors yet */
    read_input(req, &in);
    in.err_number = in.err_email = in.err_repeat = in.err_captcha = NULL;
    resp->status = render_form(req, resp, &in) == 0 ? 200 : 500;
    return;
  }
  snprintf(key, sizeof(key), "reg-ip:%s", req->client);
  if ((wait = kc_http_rate(req->http, key, KC_REG_IP_BURST, KC_REG_IP_PER)) >
      0) {
    resp->retry_after = wait;
    render_status(
      req, resp, 429,
      kc_http_tr(req, "Zu viele Versuche. Bitte warten Sie einen Moment.",
                 "Too many attempts. Please wait a moment."));
    return;
  }
  read_input(req, &in);
  if (in.err_number || in.err_email || in.err_repeat || in.err_captcha) {
    resp->status = 422;
    if ((req->json ? render_errors_json(resp, &in)
                   : render_form(req, resp, &in)) != 0)
      resp->status = 500;
    else
      resp->status = 422;
    return;
  }
  snprintf(key, sizeof(key), "reg-customer:%s", in.number);
  if ((wait = kc_http_rate(req->http, key, KC_REG_CUSTOMER_BURST,
                           KC_REG_CUSTOMER_PER)) > 0) {
    resp->retry_after = wait;
    render_status(
      req, resp, 429,
      kc_http_tr(req,
                 "Für diese Kundennummer wurden gerade mehrere Registrierungen "
                 "angefordert. Bitte versuchen Sie es später erneut.",
                 "Several registrations were just requested for this customer "
                 "number. "
                 "Please try again later."));
    return;
  }
  if ((job = calloc(1, sizeof(*job))) == NULL) {
    render_status(req, resp, 503, "");
    return;
  }
  memcpy(job->number, in.number, sizeof(job->number));
  memcpy(job->email, in.email, sizeof(job->email));
  job->english = req->english;
  if (!kc_http_defer(req->http, register_job, job, free)) {
    free(job);
    render_status(req, resp, 503,
                  kc_http_tr(req,
                             "Der Dienst ist gerade ausgelastet. Bitte "
                             "versuchen Sie es gleich "
                             "noch einmal.",
                             "The service is busy. Please try again shortly."));
    return;
  }
  kc_http_count(req->http, "register_accepted");
  if (render_done(req, resp) != 0)
    resp->status = 500;
}

/* ------------------------------------------------------------------ GET */

static int
get_json(struct kc_http_req *req, struct kc_http_resp *resp)
{
  struct kc_buf captcha;
  char csrf[64];
  unsigned wait;
  int r;

  kc_http_csrf_field(req, resp, csrf, sizeof(csrf));
  resp->content_type = "application/json";
  resp->no_store = true;
  resp->status = 200;
  kc_buf_init(&captcha, 1024);
  if (kc_captcha_http_json(req, &captcha, &wait) != 0) {
    kc_buf_free(&captcha);
    return -1;
  }
  if (wait > 0) { /* the captcha-ip limit, as for the HTML form */
    kc_buf_free(&captcha);
    resp->retry_after = wait;
    render_status(
      req, resp, 429,
      kc_http_tr(req, "Zu viele Versuche. Bitte warten Sie einen Moment.",
                 "Too many attempts. Please wait a moment."));
    return resp->status == 429 ? 0 : -1;
  }
  r = kc_buf_add_str(&resp->body, "{\"csrf\":") ||
          kc_esc_json_str(&resp->body, csrf) ||
          kc_buf_add_str(&resp->body,
                         ",\"fields\":[\"customer_number\",\"email\","
                         "\"email_repeat\"],\"captcha\":") ||
          kc_buf_add(&resp->body, kc_buf_get(&captcha), kc_buf_len(&captcha)) ||
          kc_buf_add_str(&resp->body, "}\n")
        ? -1
        : 0;
  kc_buf_free(&captcha);
  return r;
}

void
kc_http_register(struct kc_http_req *req, struct kc_http_resp *resp)
{
  struct reg_input empty;

  if (strcmp(req->method, "POST") == 0) {
    post(req, resp);
    return;
  }
  kc_http_count(req->http, "register_get");
  memset(&empty, 0, sizeof(empty));
  if (req->json) {
    if (get_json(req, resp) != 0)
      resp->status = 500;
    return;
  }
  resp->status = render_form(req, resp, &empty) == 0 ? 200 : 500;
}
