/*
 * http_page.c: layout, fields and escaping of kcd's HTML (see
 * http_page.h), and the stylesheet.
 */
#include <config.h>

#include <stdio.h>
#include <string.h>

#include "form.h"
#include "http_page.h"

const char kc_http_css[] =
  "body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;"
  "background:#f3f5f7;color:#1d2733;margin:0}\n"
  "header{background:#0b4f71;color:#fff;padding:.8rem 1.5rem;"
  "font-size:1.2rem}\n"
  "main{max-width:40rem;margin:1.5rem auto;background:#fff;padding:1.5rem 2rem;"
  "border-radius:6px;box-shadow:0 1px 3px rgba(0,0,0,.15)}\n"
  "h1{font-size:1.4rem;margin-top:0}\n"
  "h2{font-size:1.15rem;margin:1.75rem 0 0}\n"
  "label{display:block;font-weight:600;margin-top:1rem}\n"
  "input[type=text],input[type=email],input[type=password],input[type=tel],"
  "select{width:100%;box-sizing:border-box;padding:.5rem;font-size:1rem;"
  "border:1px solid #8a96a3;border-radius:4px;margin-top:.25rem;"
  "background:#fff}\n"
  "input[aria-invalid=true],select[aria-invalid=true]{border-color:#b3261e}\n"
  "fieldset{border:1px solid #c6ced6;border-radius:4px;margin-top:1rem}\n"
  "fieldset label{display:inline;font-weight:400;margin-right:1rem}\n"
  "legend{font-weight:600}\n"
  ".error{color:#b3261e;margin:.25rem 0 0}\n"
  ".ok{color:#1b6e35;font-weight:600}\n"
  ".hint{color:#4d5966;font-size:.9rem;margin:.25rem 0 0}\n"
  "button{margin-top:1.5rem;background:#0b4f71;color:#fff;border:0;"
  "padding:.6rem 1.4rem;font-size:1rem;border-radius:4px;cursor:pointer}\n"
  ".captcha button{background:none;padding:0;margin-top:.5rem;border:0}\n"
  ".captcha img{border:1px solid #c6ced6;cursor:pointer}\n"
  "footer{text-align:center;color:#4d5966;font-size:.85rem;margin:1rem}\n"
  ".offscreen{position:absolute;left:-10000px;width:1px;height:1px;"
  "overflow:hidden}\n"
  "dl.account{display:grid;grid-template-columns:max-content 1fr;"
  "gap:.4rem 1.5rem;margin:0 0 1.5rem}\n"
  "dl.account dt{font-weight:600}\n"
  "dl.account dd{margin:0;overflow-wrap:anywhere}\n"
  "main:has(table.users){max-width:54rem}\n"
  "table.users{border-collapse:collapse;width:100%;font-size:.9rem;"
  "margin-top:.75rem}\n"
  "table.users th,table.users td{text-align:left;vertical-align:top;"
  "padding:.4rem .5rem;border-bottom:1px solid #e1e5ea}\n"
  "form.inline{display:inline-block;margin:0 .25rem .25rem 0}\n"
  "form.inline button{margin:0;padding:.25rem .6rem;font-size:.85rem}\n"
  /* the enrolment of the app (enrol.c): shown while its radio button is
   * checked, or always where :has() is unknown */
  ".enrol{border:1px solid #c6ced6;border-radius:4px;padding:0 1rem 1rem;"
  "margin-top:1rem}\n"
  ".enrol h2{margin-top:.75rem}\n"
  "form:has(input[name=tan_method]:checked:not([value=totp])) .enrol{"
  "display:none}\n"
  ".qr img{display:block;width:14rem;max-width:100%;height:auto;"
  "image-rendering:pixelated;margin:.75rem 0}\n"
  ".secret code{font-size:1.05rem;word-spacing:.3em;overflow-wrap:anywhere}\n"
  "ol.codes{columns:2;font-size:1.1rem;padding-left:2rem}\n"
  "ol.codes li{margin:0 0 .4rem;break-inside:avoid}\n"
  "@media print{header,footer,form,a{display:none}main{box-shadow:none}}\n";

static int
add(struct kc_http_resp *resp, const char *s)
{
  return kc_buf_add_str(&resp->body, s);
}

static int
esc(struct kc_http_resp *resp, const char *s)
{
  return kc_esc_html(&resp->body, s != NULL ? s : "");
}

int
kc_page_begin(struct kc_http_resp *resp, const char *portal, const char *title,
              bool english)
{
  resp->status = resp->status == 0 || resp->status == 500 ? 200 : resp->status;
  resp->content_type = "text/html; charset=utf-8";
  resp->no_store = true;
  if (add(resp, english ? "<!DOCTYPE html>\n<html lang=\"en\">"
                        : "<!DOCTYPE html>\n<html lang=\"de\">") != 0 ||
      add(resp,
          "<head><meta charset=\"utf-8\"><meta name=\"viewport\" "
          "content=\"width=device-width,initial-scale=1\"><title>") != 0 ||
      esc(resp, title) != 0 || add(resp, " – ") != 0 ||
      esc(resp, portal) != 0 ||
      add(resp, "</title><link rel=\"stylesheet\" href=\"/static/kc.css\">"
                "</head>\n<body><header>") != 0 ||
      esc(resp, portal) != 0 || add(resp, "</header>\n<main><h1>") != 0 ||
      esc(resp, title) != 0 || add(resp, "</h1>\n") != 0)
    return -1;
  return 0;
}

int
kc_page_end(struct kc_http_resp *resp)
{
  return add(resp, "</main></body></html>\n");
}

int
kc_page_p(struct kc_http_resp *resp, const char *cls, const char *text)
{
  if (cls != NULL) {
    if (add(resp, "<p class=\"") != 0 || add(resp, cls) != 0 ||
        add(resp, strcmp(cls, "error") == 0 ? "\" role=\"alert\">" : "\">") !=
          0)
      return -1;
  } else if (add(resp, "<p>") != 0) {
    return -1;
  }
  if (esc(resp, text) != 0 || add(resp, "</p>\n") != 0)
    return -1;
  return 0;
}

static int
field_error(struct kc_http_resp *resp, const char *name, const char *error)
{
  if (error == NULL)
    return 0;
  if (add(resp, "<p class=\"error\" id=\"") != 0 || esc(resp, name) != 0 ||
      add(resp, "-error\">") != 0 || esc(resp, error) != 0 ||
      add(resp, "</p>\n") != 0)
    return -1;
  return 0;
}

int
kc_page_field(struct kc_http_resp *resp, const struct kc_page_field *f)
{
  bool hidden = strcmp(f->type, "hidden") == 0;

  if (!hidden && (add(resp, "<label for=\"") != 0 || esc(resp, f->name) != 0 ||
                  add(resp, "\">") != 0 || esc(resp, f->label) != 0 ||
                  add(resp, f->required ? " *</label>" : "</label>") != 0))
    return -1;
  if (add(resp, "<input type=\"") != 0 || add(resp, f->type) != 0 ||
      add(resp, "\" id=\"") != 0 || esc(resp, f->name) != 0 ||
      add(resp, "\" name=\"") != 0 || esc(resp, f->name) != 0 ||
      add(resp, "\" value=\"") != 0 ||
      esc(resp, strcmp(f->type, "password") == 0 ? "" : f->value) != 0 ||
      add(resp, "\"") != 0)
    return -1;
  if ((f->required && add(resp, " required") != 0) ||
      (f->autocomplete != NULL &&
       (add(resp, " autocomplete=\"") != 0 || esc(resp, f->autocomplete) != 0 ||
        add(resp, "\"") != 0)) ||
      (f->error != NULL &&
       (add(resp, " aria-invalid=\"true\" aria-describedby=\"") != 0 ||
        esc(resp, f->name) != 0 || add(resp, "-error\"") != 0)) ||
      add(resp, ">\n") != 0)
    return -1;
  if (f->hint != NULL && kc_page_p(resp, "hint", f->hint) != 0)
    return -1;
  return field_error(resp, f->name, f->error);
}

static int
choices(struct kc_http_resp *resp, const char *name, bool radio,
        const char *const *values, const char *const *labels,
        const char *checked)
{
  size_t i;

  for (i = 0; values[i] != NULL; i++) {
    bool on = checked != NULL && strcmp(checked, values[i]) == 0;
    int r;
    if (radio)
      r = add(resp, "<label><input type=\"radio\" name=\"") != 0 ||
          esc(resp, name) != 0 || add(resp, "\" value=\"") != 0 ||
          esc(resp, values[i]) != 0 ||
          add(resp, on ? "\" checked> " : "\"> ") != 0 ||
          esc(resp, labels[i]) != 0 || add(resp, "</label>\n") != 0;
    else
      r = add(resp, "<option value=\"") != 0 || esc(resp, values[i]) != 0 ||
          add(resp, on ? "\" selected>" : "\">") != 0 ||
          esc(resp, labels[i]) != 0 || add(resp, "</option>\n") != 0;
    if (r != 0)
      return -1;
  }
  return 0;
}

int
kc_page_radio(struct kc_http_resp *resp, const char *name, const char *legend,
              const char *const *values, const char *const *labels,
              const char *checked, const char *error)
{
  if (add(resp, "<fieldset><legend>") != 0 || esc(resp, legend) != 0 ||
      add(resp, " *</legend>\n") != 0 ||
      choices(resp, name, true, values, labels, checked) != 0 ||
      field_error(resp, name, error) != 0 || add(resp, "</fieldset>\n") != 0)
    return -1;
  return 0;
}

int
kc_page_select(struct kc_http_resp *resp, const char *name, const char *label,
               const char *const *values, const char *const *labels,
               const char *selected, const char *error)
{
  if (add(resp, "<label for=\"") != 0 || esc(resp, name) != 0 ||
      add(resp, "\">") != 0 || esc(resp, label) != 0 ||
      add(resp, " *</label><select id=\"") != 0 || esc(resp, name) != 0 ||
      add(resp, "\" name=\"") != 0 || esc(resp, name) != 0 ||
      add(resp, error != NULL ? "\" aria-invalid=\"true\">\n" : "\">\n") != 0 ||
      choices(resp, name, false, values, labels, selected) != 0 ||
      add(resp, "</select>\n") != 0 || field_error(resp, name, error) != 0)
    return -1;
  return 0;
}

int
kc_page_form_begin(struct kc_http_resp *resp, const char *action,
                   const char *csrf)
{
  if (add(resp, "<form method=\"post\" action=\"") != 0 ||
      esc(resp, action) != 0 ||
      add(resp, "\" novalidate>\n<input type=\"hidden\" name=\"csrf\" "
                "value=\"") != 0 ||
      esc(resp, csrf) != 0 || add(resp, "\">\n") != 0 ||
      /* Enter in a field submits with the first button in the form: make
       * that the plain submit, not the captcha's refresh button */
      add(resp, "<button type=\"submit\" class=\"offscreen\" tabindex=\"-1\" "
                "aria-hidden=\"true\"></button>\n") != 0)
    return -1;
  return 0;
}

int
kc_page_form_end(struct kc_http_resp *resp, const char *button)
{
  if (add(resp, "<button type=\"submit\">") != 0 || esc(resp, button) != 0 ||
      add(resp, "</button>\n</form>\n") != 0)
    return -1;
  return 0;
}

int
kc_page_link(struct kc_http_resp *resp, const char *href, const char *text)
{
  if (add(resp, "<p><a href=\"") != 0 || esc(resp, href) != 0 ||
      add(resp, "\">") != 0 || esc(resp, text) != 0 ||
      add(resp, "</a></p>\n") != 0)
    return -1;
  return 0;
}

int
kc_page_raw(struct kc_http_resp *resp, const char *html)
{
  return add(resp, html);
}

int
kc_page_json_errors(struct kc_http_resp *resp, const char *const *names,
                    const char *const *errors, size_t n)
{
  bool first = true;
  size_t i;

  resp->content_type = "application/json";
  if (kc_buf_add_str(&resp->body, "{\"status\":\"invalid\",\"errors\":{"))
    return -1;
  for (i = 0; i < n; i++) {
    if (errors[i] == NULL)
      continue;
    if ((!first && kc_buf_add_str(&resp->body, ",")) ||
        kc_esc_json_str(&resp->body, names[i]) ||
        kc_buf_add_str(&resp->body, ":") ||
        kc_esc_json_str(&resp->body, errors[i]))
      return -1;
    first = false;
  }
  return kc_buf_add_str(&resp->body, "}}\n") ? -1 : 0;
}

int
kc_page_json(struct kc_http_resp *resp, const char *status,
             const char *const *kv)
{
  size_t i;

  resp->content_type = "application/json";
  resp->no_store = true; /* challenges, CSRF fields, personal data */
  if (kc_buf_add_str(&resp->body, "{\"status\":") ||
      kc_esc_json_str(&resp->body, status))
    return -1;
  for (i = 0; kv != NULL && kv[i] != NULL; i += 2) {
    if (kv[i + 1] == NULL)
      continue;
    if (kc_buf_add_str(&resp->body, ",") ||
        kc_esc_json_str(&resp->body, kv[i]) ||
        kc_buf_add_str(&resp->body, ":") ||
        kc_esc_json_str(&resp->body, kv[i + 1]))
      return -1;
  }
  return kc_buf_add_str(&resp->body, "}\n") ? -1 : 0;
}

const char *
kc_page_tan_unsent(const struct kc_http_req *req, enum kc_tanflow_sent st)
{
  if (st == KC_TANFLOW_FAILED)
    return kc_http_tr(req, "Der Dienst ist vorübergehend nicht erreichbar.",
                      "The service is temporarily unavailable.");
  return kc_http_tr(req, "Die TAN konnte nicht gesendet werden.",
                    "The TAN could not be sent.");
}
