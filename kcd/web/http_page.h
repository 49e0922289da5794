/*
 * http_page.h: the HTML of kcd's pages: one layout, labelled fields with
 * their error text next to them (aria-describedby), everything escaped.
 * Functions append to resp->body; a failed append (page too large) is
 * remembered in the buffer being freed, and the caller answers 500.
 */
#ifndef KC_HTTP_PAGE_H
#define KC_HTTP_PAGE_H

#include <stdbool.h>

#include "http.h"
#include "kc_esc.h"
#include "password.h"
#include "tanflow.h"

/* One input. type: "text", "email", "password", "tel", "hidden". */
struct kc_page_field {
  const char *name;
  const char *label;
  const char *type;
  const char *value;        /* NULL or "" for none; never for passwords */
  const char *error;        /* NULL when the field is fine */
  const char *autocomplete; /* NULL for none */
  const char *hint;         /* small help text, or NULL */
  bool required;
};

/* The text for a TAN that did not go out (st other than SENT, PENDING or
 * LIMITED): "The TAN could not be sent." when its transport failed, "The
 * service is temporarily unavailable." when the directory did. */
const char *kc_page_tan_unsent(const struct kc_http_req *req,
                               enum kc_tanflow_sent st);

int kc_page_begin(struct kc_http_resp *resp, const char *portal,
                  const char *title, bool english) KC_MUST_USE;
int kc_page_end(struct kc_http_resp *resp) KC_MUST_USE;
/* An escaped paragraph; cls may be NULL, "error", "ok" or "hint". */
int kc_page_p(struct kc_http_resp *resp, const char *cls,
              const char *text) KC_MUST_USE;
int kc_page_field(struct kc_http_resp *resp,
                  const struct kc_page_field *f) KC_MUST_USE;
/* A group of radio buttons; values[i] labelled labels[i]. */
int kc_page_radio(struct kc_http_resp *resp, const char *name,
                  const char *legend, const char *const *values,
                  const char *const *labels, const char *checked,
                  const char *error) KC_MUST_USE;
/* A select box, like kc_page_radio. */
int kc_page_select(struct kc_http_resp *resp, const char *name,
                   const char *label, const char *const *values,
                   const char *const *labels, const char *selected,
                   const char *error) KC_MUST_USE;
int kc_page_form_begin(struct kc_http_resp *resp, const char *action,
                       const char *csrf) KC_MUST_USE;
int kc_page_form_end(struct kc_http_resp *resp, const char *button) KC_MUST_USE;
/* A link, text escaped. */
int kc_page_link(struct kc_http_resp *resp, const char *href,
                 const char *text) KC_MUST_USE;
/* Raw trusted HTML (our own constants only). */
int kc_page_raw(struct kc_http_resp *resp, const char *html) KC_MUST_USE;

/* {"status":"invalid","errors":{name: text, ...}} for the n fields whose
 * error is not NULL; sets the JSON content type. */
int kc_page_json_errors(struct kc_http_resp *resp, const char *const *names,
                        const char *const *errors, size_t n) KC_MUST_USE;

/* {"status":status,k1:v1,...} from the NULL-terminated list of key,
 * value pairs kv (values NULL are left out); sets the JSON content type. */
int kc_page_json(struct kc_http_resp *resp, const char *status,
                 const char *const *kv) KC_MUST_USE;

#endif /* KC_HTTP_PAGE_H */
