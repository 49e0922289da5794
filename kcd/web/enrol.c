/*
 * enrol.c: the enrolment section of the authenticator app and the page of
 * new recovery codes (enrol.h).
 */
#include <config.h>

#include <string.h>

#include <sodium.h>

#include "enrol.h"
#include "factor.h"
#include "http_page.h"
#include "kc_err.h"
#include "kc_esc.h"
#include "kc_limits.h"
#include "qr.h"

/* Cap of the QR code's data: URI (qr.h). */
#define KC_ENROL_MAX_QR KC_QR_DATA_URI_MAX

static struct kc_tanflow
flow(const struct kc_http_req *req)
{
  const struct kc_http_cfg *cfg = kc_http_cfg(req->http);
  struct kc_tanflow f = {cfg->tan_policy, cfg->key, cfg->notify, NULL};

  return f;
}

/* The secret of the form (factor.h). 0 or kc_totp_unseal's errors. */
static int
view_open(const struct kc_http_req *req, const struct kc_enrol *e,
          const char *bind, unsigned char secret[KC_TOTP_SECRET_BYTES])
{
  struct kc_tanflow f = flow(req);

  return kc_factor_totp_open(&f, e->sealed, bind, secret);
}

int
kc_enrol_new(const struct kc_http_req *req, struct kc_enrol *e,
             const char *bind)
{
  struct kc_tanflow f = flow(req);
  unsigned char secret[KC_TOTP_SECRET_BYTES];
  int r;

  r = kc_factor_totp_new(&f, secret, e->sealed, bind);
  sodium_memzero(secret, sizeof(secret));
  if (r != 0)
    e->sealed[0] = '\0';
  return r;
}

/* Does the form's sealed secret open for bind? */
static bool
opens(const struct kc_http_req *req, const struct kc_enrol *e, const char *bind)
{
  unsigned char secret[KC_TOTP_SECRET_BYTES];
  int r;

  r = view_open(req, e, bind, secret);
  sodium_memzero(secret, sizeof(secret));
  return r == 0;
}

int
kc_enrol_read(const struct kc_http_req *req, struct kc_enrol *e,
              const char *bind, bool *fresh)
{
  const struct kc_form *b = &req->body;

  *fresh = false;
  if (!kc_form_get_trim(b, "totp_code", e->code, sizeof(e->code)))
    e->code[0] = '\0'; /* too long: no code, and it says so */
  if (kc_form_get_trim(b, "totp_sealed", e->sealed, sizeof(e->sealed)) &&
      e->sealed[0] != '\0' && opens(req, e, bind))
    return 0;
  /* none, or one made for another registration or user name: a new
   * secret, to be scanned before any code can match */
  *fresh = true;
  e->e_code = kc_http_tr(req,
                         "Bitte scannen Sie den QR-Code und geben Sie den "
                         "aktuellen Code aus der App ein.",
                         "Please scan the QR code and enter the current code "
                         "from the app.");
  return kc_enrol_new(req, e, bind);
}

int
kc_enrol_confirm(const struct kc_http_req *req, struct kc_enrol *e,
                 const char *bind, uint64_t *step,
                 unsigned char secret[KC_TOTP_SECRET_BYTES])
{
  struct kc_tanflow f = flow(req);
  uint32_t c;
  int r;

  *step = 0;
  if (e->code[0] == '\0') {
    e->e_code = kc_http_tr(req,
                           "Bitte geben Sie den aktuellen Code aus der App "
                           "ein.",
                           "Please enter the current code from the app.");
    return KC_ERR_INVALID;
  }
  if (kc_totp_code_parse(e->code, &c) != 0) {
    e->e_code = kc_http_tr(req, "Der Code besteht aus sechs Ziffern.",
                           "The code has six digits.");
    return KC_ERR_INVALID;
  }
  r = kc_factor_totp_confirm(&f, e->sealed, bind, e->code, step, secret);
  if (r == 0)
    return 0;
  sodium_memzero(secret, KC_TOTP_SECRET_BYTES);
  if (r != KC_ERR_DENIED) {
    /* the sealed value does not open (too old, or changed): a new
     * secret to scan, so the form shows what can pass */
    e->e_code = kc_http_tr(req,
                           "Das Formular ist abgelaufen. Bitte scannen Sie "
                           "den neuen QR-Code und geben Sie den aktuellen "
                           "Code ein.",
                           "The form has expired. Please scan the new QR "
                           "code and enter the current code.");
    return kc_enrol_new(req, e, bind) != 0 ? KC_ERR_INTERNAL : r;
  }
  e->e_code = kc_http_tr(req,
                         "Der Code ist falsch. Bitte prüfen Sie die Uhrzeit "
                         "Ihres Telefons und geben Sie den aktuellen Code "
                         "ein.",
                         "The code is wrong. Please check the time on your "
                         "phone and enter the current code.");
  return r;
}

/* The base32 text in groups of four, HTML-escaped (it is all [A-Z2-7]). */
static int
render_b32(struct kc_http_resp *resp, const char *b32)
{
  char grouped[KC_TOTP_SECRET_B32_LEN + KC_TOTP_SECRET_B32_LEN / 4 + 1];
  size_t i, n = 0;
  int r;

  for (i = 0; b32[i] != '\0' && n + 2 < sizeof(grouped); i++) {
    if (i > 0 && i % 4 == 0)
      grouped[n++] = ' ';
    grouped[n++] = b32[i];
  }
  grouped[n] = '\0';
  r = kc_page_raw(resp, "<p class=\"secret\"><code id=\"totp_secret\">") ||
      kc_esc_html(&resp->body, grouped) || kc_page_raw(resp, "</code></p>\n");
  sodium_memzero(grouped, sizeof(grouped));
  return r != 0 ? -1 : 0;
}

/* The QR code and the base32 text of secret. */
static int
render_secret(const struct kc_http_req *req, struct kc_http_resp *resp,
              const unsigned char secret[KC_TOTP_SECRET_BYTES],
              const char *user)
{
  const struct kc_http_cfg *cfg = kc_http_cfg(req->http);
  struct kc_buf uri, img, b32;
  int r;

  kc_buf_init(&uri, KC_MAX_TOTP_URI);
  kc_buf_init(&img, KC_ENROL_MAX_QR);
  kc_buf_init(&b32, KC_TOTP_SECRET_B32_LEN);
  r = kc_totp_uri(&uri, cfg->portal_name, user, secret) ||
      kc_qr_data_uri(&img, kc_buf_get(&uri)) ||
      kc_totp_b32_encode(&b32, secret, KC_TOTP_SECRET_BYTES);
  if (r == 0) {
    resp->allow_data_img = true;
    r = kc_page_raw(resp, "<div class=\"qr\"><img src=\"") ||
        kc_esc_html(&resp->body, kc_buf_get(&img)) ||
        kc_page_raw(resp, "\" alt=\"") ||
        kc_esc_html(&resp->body,
                    kc_http_tr(req, "QR-Code für die Authenticator-App",
                               "QR code for the authenticator app")) ||
        kc_page_raw(resp, "\"></div>\n<div class=\"manual\">") ||
        kc_page_p(resp, "hint",
                  kc_http_tr(req,
                             "Kein Scan möglich? Geben Sie diesen Schlüssel "
                             "in der App ein (zeitbasiert, 6 Ziffern):",
                             "Cannot scan? Enter this key in the app "
                             "(time-based, 6 digits):")) ||
        render_b32(resp, kc_buf_get(&b32)) || kc_page_raw(resp, "</div>\n");
  }
  kc_buf_free(&uri); /* kc_buf_free wipes */
  kc_buf_free(&img);
  kc_buf_free(&b32);
  return r != 0 ? -1 : 0;
}

int
kc_enrol_render(const struct kc_http_req *req, struct kc_http_resp *resp,
                const struct kc_enrol *e, const char *bind, const char *user)
{
  unsigned char secret[KC_TOTP_SECRET_BYTES];
  struct kc_page_field code = {"totp_code",
                               kc_http_tr(req, "Aktueller Code aus der App",
                                          "Current code from the app"),
                               "text",
                               NULL,
                               e->e_code,
                               "one-time-code",
                               NULL,
                               false};
  int r;

  if (view_open(req, e, bind, secret) != 0)
    return -1; /* the caller made or checked it for bind: a bug */
  r = kc_page_raw(resp, "<div class=\"enrol\" id=\"enrol\">\n<h2>") ||
      kc_esc_html(&resp->body, kc_http_tr(req, "Authenticator-App einrichten",
                                          "Set up the authenticator app")) ||
      kc_page_raw(resp, "</h2>\n") ||
      kc_page_p(resp, "hint",
                kc_http_tr(req,
                           "Nur nötig, wenn Sie die Authenticator-App wählen. "
                           "Scannen Sie den QR-Code mit einer "
                           "Authenticator-App (zum Beispiel FreeOTP, Aegis, "
                           "Google oder Microsoft Authenticator) und geben "
                           "Sie den Code ein, den sie anzeigt.",
                           "Only needed when you choose the authenticator "
                           "app. Scan the QR code with an authenticator app "
                           "(for example FreeOTP, Aegis, Google or Microsoft "
                           "Authenticator) and enter the code it shows.")) ||
      render_secret(req, resp, secret, user) ||
      kc_page_raw(resp, "<input type=\"hidden\" name=\"totp_sealed\" "
                        "value=\"") ||
      kc_esc_html(&resp->body, e->sealed) || kc_page_raw(resp, "\">\n") ||
      kc_page_field(resp, &code) || kc_page_raw(resp, "</div>\n");
  sodium_memzero(secret, sizeof(secret));
  return r != 0 ? -1 : 0;
}

int
kc_enrol_json(const struct kc_http_req *req, struct kc_buf *b,
              const struct kc_enrol *e, const char *bind, const char *user)
{
  const struct kc_http_cfg *cfg = kc_http_cfg(req->http);
  unsigned char secret[KC_TOTP_SECRET_BYTES];
  struct kc_buf uri, b32;
  int r;

  if (view_open(req, e, bind, secret) != 0)
    return -1;
  kc_buf_init(&uri, KC_MAX_TOTP_URI);
  kc_buf_init(&b32, KC_TOTP_SECRET_B32_LEN);
  r = kc_totp_uri(&uri, cfg->portal_name, user, secret) ||
      kc_totp_b32_encode(&b32, secret, KC_TOTP_SECRET_BYTES) ||
      kc_buf_add_str(b, ",\"totp_sealed\":") || kc_esc_json_str(b, e->sealed) ||
      kc_buf_add_str(b, ",\"totp_secret\":") ||
      kc_esc_json_str(b, kc_buf_get(&b32)) ||
      kc_buf_add_str(b, ",\"totp_uri\":") ||
      kc_esc_json_str(b, kc_buf_get(&uri));
  sodium_memzero(secret, sizeof(secret));
  kc_buf_free(&uri);
  kc_buf_free(&b32);
  return r != 0 ? -1 : 0;
}

int
kc_enrol_codes_render(const struct kc_http_req *req, struct kc_http_resp *resp,
                      char codes[KC_RECOVERY_COUNT][KC_RECOVERY_SHOWN_LEN + 1])
{
  size_t i;

  if (kc_page_raw(resp, "<section class=\"recovery\">\n<h2>") ||
      kc_esc_html(&resp->body, kc_http_tr(req, "Ihre Wiederherstellungscodes",
                                          "Your recovery codes")) ||
      kc_page_raw(resp, "</h2>\n") ||
      kc_page_p(resp, "hint",
                kc_http_tr(req,
                           "Diese Codes werden nur jetzt angezeigt. Bitte "
                           "drucken Sie sie aus oder bewahren Sie sie an "
                           "einem sicheren Ort auf. Jeder Code gilt einmal "
                           "anstelle einer TAN oder eines Codes aus der App, "
                           "zum Beispiel wenn Ihr Telefon verloren ist.",
                           "These codes are shown only now. Please print "
                           "them or keep them in a safe place. Each code "
                           "works once in place of a TAN or a code from the "
                           "app, for example when your phone is lost.")) ||
      kc_page_raw(resp, "<ol class=\"codes\">\n"))
    return -1;
  for (i = 0; i < KC_RECOVERY_COUNT; i++)
    if (kc_page_raw(resp, "<li><code>") || kc_esc_html(&resp->body, codes[i]) ||
        kc_page_raw(resp, "</code></li>\n"))
      return -1;
  return kc_page_raw(resp, "</ol>\n</section>\n") ? -1 : 0;
}

int
kc_enrol_codes_json(struct kc_buf *b,
                    char codes[KC_RECOVERY_COUNT][KC_RECOVERY_SHOWN_LEN + 1])
{
  size_t i;

  if (kc_buf_add_str(b, ",\"recovery_codes\":["))
    return -1;
  for (i = 0; i < KC_RECOVERY_COUNT; i++)
    if ((i > 0 && kc_buf_add_str(b, ",")) || kc_esc_json_str(b, codes[i]))
      return -1;
  return kc_buf_add_str(b, "]") ? -1 : 0;
}
