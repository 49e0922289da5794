/*
 * captcha_http.c: the registration captcha on the web front (see
 * captcha_http.h and captcha.h).
 *
 * image: the form shows <img src="/captcha/<id>.png">, a hidden captcha_id
 * and a text field captcha_answer; the picture is a submit button, so a
 * click posts the form back (captcha_refresh) and the page comes again
 * with a new picture and the input kept, without JavaScript.
 * pow: the form has a hidden field altcha that /static/altcha-solver.js
 * fills by solving /captcha/challenge (ALTCHA v1); it needs JavaScript.
 */
#include <config.h>

#include <stdio.h>
#include <string.h>

#include "captcha.h"
#include "captcha_http.h"
#include "http_page.h"
#include "kc_limits.h"
#include "www_assets.h"

/* Fresh pictures per client address: a burst of 30, then one every 2 s
 * (each costs a millisecond and pushes older challenges out). */
#define KC_CAPTCHA_HTTP_BURST 30
#define KC_CAPTCHA_HTTP_PER   2

static struct kc_captcha *
store(const struct kc_http_req *req)
{
  return kc_http_cfg(req->http)->captcha_store;
}

static enum kc_http_captcha
mode(const struct kc_http_req *req)
{
  return kc_http_cfg(req->http)->captcha;
}

/* A new picture for this client, counted against its captcha-ip limit
 * whichever page or format asks: 0, or the seconds to wait (*id empty),
 * or KC_ERR_* when the store failed. */
static int
image_new(struct kc_http_req *req, char id[KC_CAPTCHA_ID_SIZE], unsigned *wait)
{
  char key[96];

  id[0] = '\0';
  snprintf(key, sizeof(key), "captcha-ip:%s", req->client);
  if ((*wait = kc_http_rate(req->http, key, KC_CAPTCHA_HTTP_BURST,
                            KC_CAPTCHA_HTTP_PER)) > 0)
    return 0;
  return kc_captcha_image_new(store(req), id);
}

static int
render_image(struct kc_http_req *req, struct kc_http_resp *resp,
             const char *error)
{
  char id[KC_CAPTCHA_ID_SIZE];
  unsigned wait;
  struct kc_page_field answer =
    {"captcha_answer",
     kc_http_tr(req, "Zeichen im Bild", "Characters in the picture"),
     "text",
     NULL,
     error,
     "off",
     kc_http_tr(req,
                "Groß- und Kleinschreibung spielt keine Rolle. Sie können das "
                "Bild nicht lesen? Ein Klick darauf zeigt ein neues; ohne Bild "
                "hilft Ihnen unser Kundenservice bei der Registrierung.",
                "Case does not matter. Cannot read it? Click it for a new one; "
                "without "
                "the picture our customer service helps you register."),
     true};

  if (image_new(req, id, &wait) != 0 || wait > 0)
    return kc_page_p(resp, "error",
                     kc_http_tr(req,
                                "Die Sicherheitsabfrage ist gerade nicht "
                                "verfügbar; bitte laden Sie "
                                "die Seite gleich neu.",
                                "The security check is not available right "
                                "now; please reload the "
                                "page shortly."));
  /* the picture is a submit button: a click posts the form back with
   * captcha_refresh, and the page comes again with the input kept */
  return kc_page_raw(resp, "<div class=\"captcha\"><button type=\"submit\" "
                           "name=\"captcha_refresh\" value=\"1\" "
                           "formnovalidate title=\"") ||
             kc_page_raw(resp, kc_http_tr(req, "Neues Bild", "New picture")) ||
             kc_page_raw(resp, "\"><img src=\"/captcha/") ||
             kc_page_raw(resp, id) ||
             kc_page_raw(resp, ".png\" width=\"200\" height=\"70\" alt=\"") ||
             kc_page_raw(resp,
                         kc_http_tr(req,
                                    "Sicherheitsabfrage: Zeichenfolge im Bild "
                                    "(klicken für ein neues Bild)",
                                    "Security check: characters in the picture "
                                    "(click for a new "
                                    "one)")) ||
             kc_page_raw(resp, "\"></button></div>\n<input type=\"hidden\" "
                               "name=\"captcha_id\" value=\"") ||
             kc_page_raw(resp, id) || kc_page_raw(resp, "\">\n") ||
             kc_page_field(resp, &answer)
           ? -1
           : 0;
}

static int
render_pow(struct kc_http_req *req, struct kc_http_resp *resp,
           const char *error)
{
  resp->allow_script = true;
  return kc_page_raw(resp, "<p class=\"hint\" data-altcha-status>") ||
             kc_page_raw(resp, kc_http_tr(req,
                                          "Sicherheitsprüfung läuft im Browser "
                                          "(JavaScript nötig) …",
                                          "The security check runs in your "
                                          "browser (JavaScript needed) …")) ||
             kc_page_raw(resp,
                         "</p>\n<input type=\"hidden\" name=\"altcha\" "
                         "data-challenge-url=\"/captcha/challenge\">\n"
                         "<script src=\"/static/altcha-solver.js\"></script>\n"
                         "<noscript><p class=\"error\">") ||
             kc_page_raw(resp,
                         kc_http_tr(req,
                                    "Bitte aktivieren Sie JavaScript für die "
                                    "Sicherheitsprüfung.",
                                    "Please enable JavaScript for the security "
                                    "check.")) ||
             kc_page_raw(resp, "</p></noscript>\n") ||
             (error != NULL && kc_page_p(resp, "error", error))
           ? -1
           : 0;
}

int
kc_captcha_http_render(struct kc_http_req *req, struct kc_http_resp *resp,
                       const char *error)
{
  switch (mode(req)) {
    case KC_HTTP_CAPTCHA_IMAGE:
      return render_image(req, resp, error);
    case KC_HTTP_CAPTCHA_POW:
      return render_pow(req, resp, error);
    case KC_HTTP_CAPTCHA_NONE:
    default:
      return 0;
  }
}

int
kc_captcha_http_check(struct kc_http_req *req)
{
  const char *id, *answer, *payload;

  switch (mode(req)) {
    case KC_HTTP_CAPTCHA_IMAGE:
      id = kc_form_get(&req->body, "captcha_id");
      answer = kc_form_get(&req->body, "captcha_answer");
      if (id == NULL || answer == NULL || !kc_captcha_id_is_valid(id))
        return -1;
      return kc_captcha_image_check(store(req), id, answer);
    case KC_HTTP_CAPTCHA_POW:
      payload = kc_form_get(&req->body, "altcha");
      if (payload == NULL)
        return -1;
      return kc_captcha_pow_verify(store(req), payload, strlen(payload));
    case KC_HTTP_CAPTCHA_NONE:
    default:
      return 0;
  }
}

int
kc_captcha_http_json(struct kc_http_req *req, struct kc_buf *out,
                     unsigned *retry_after)
{
  char id[KC_CAPTCHA_ID_SIZE];

  *retry_after = 0;
  switch (mode(req)) {
    case KC_HTTP_CAPTCHA_IMAGE:
      if (image_new(req, id, retry_after) != 0)
        return -1;
      if (*retry_after > 0)
        return 0;
      return kc_buf_printf(out,
                           "{\"type\":\"image\",\"captcha_id\":\"%s\","
                           "\"image\":\"/captcha/%s.png\"}",
                           id, id);
    case KC_HTTP_CAPTCHA_POW:
      return kc_buf_add_str(out,
                            "{\"type\":\"pow\",\"challenge\":"
                            "\"/captcha/challenge\",\"field\":\"altcha\"}");
    case KC_HTTP_CAPTCHA_NONE:
    default:
      return kc_buf_add_str(out, "{\"type\":\"none\"}");
  }
}

/* GET /captcha/<id>.png */
static void
serve_png(struct kc_http_req *req, struct kc_http_resp *resp, const char *file)
{
  char id[KC_CAPTCHA_ID_SIZE];
  size_t len = strlen(file);

  resp->status = 404;
  resp->content_type = "text/plain; charset=utf-8";
  if (mode(req) != KC_HTTP_CAPTCHA_IMAGE || len != KC_CAPTCHA_ID_LEN + 4 ||
      strcmp(file + KC_CAPTCHA_ID_LEN, ".png") != 0)
    return;
  memcpy(id, file, KC_CAPTCHA_ID_LEN);
  id[KC_CAPTCHA_ID_LEN] = '\0';
  kc_buf_free(&resp->body);
  kc_buf_init(&resp->body, KC_CAPTCHA_PNG_MAX);
  if (!kc_captcha_id_is_valid(id) ||
      kc_captcha_image_png(store(req), id, &resp->body) != 0)
    return;
  resp->status = 200;
  resp->content_type = "image/png";
  resp->no_store = true;
}

bool
kc_captcha_http_route(struct kc_http_req *req, struct kc_http_resp *resp)
{
  if (strncmp(req->path, "/captcha/", 9) == 0 &&
      strcmp(req->path, "/captcha/challenge") != 0) {
    serve_png(req, resp, req->path + 9);
    return true;
  }
  if (strcmp(req->path, "/captcha/challenge") == 0) {
    resp->no_store = true;
    resp->content_type = "application/json";
    resp->status = mode(req) == KC_HTTP_CAPTCHA_POW &&
                       kc_captcha_pow_challenge(store(req), &resp->body) == 0
                     ? 200
                     : 404;
    return true;
  }
  if (strcmp(req->path, "/static/altcha-solver.js") == 0) {
    resp->content_type = KC_WWW_ALTCHA_JS_TYPE;
    resp->status =
      kc_buf_add(&resp->body, kc_www_altcha_js, kc_www_altcha_js_len) == 0
        ? 200
        : 500;
    return true;
  }
  return false;
}
