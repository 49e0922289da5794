/*
 * form.h: application/x-www-form-urlencoded bodies and query strings, and
 * the escaping that pages need (HTML text and attributes, URL components).
 *
 * kc_form_parse() is the only parser of untrusted form input: bounded
 * (KC_FORM_MAX_FIELDS fields, KC_MAX_HTTP_BODY bytes), percent-decoding
 * strict (a bad escape is an error), every name and value valid UTF-8
 * without control characters (ASCII and C1, except tab, CR, LF in values)
 * and without bidirectional overrides or isolates, duplicate names
 * refused. Values are heap copies wiped on free, because forms carry
 * passwords. Pure and thread-safe.
 */
#ifndef KC_FORM_H
#define KC_FORM_H

#include <stdbool.h>
#include <stddef.h>

#include "kc_attrs.h"
#include "kc_buf.h"
#include "kc_esc.h" /* kc_esc_html, kc_esc_pct for the pages */

/* Our forms have at most about 15 fields; a few more for future ones. */
#define KC_FORM_MAX_FIELDS 32
/* One field name (ours are short identifiers). */
#define KC_FORM_MAX_NAME 32

struct kc_form_field {
  char *name;
  char *value;
  size_t value_len;
};

struct kc_form {
  struct kc_form_field f[KC_FORM_MAX_FIELDS];
  size_t n;
};

/* Parse len bytes (need not be NUL-terminated). On failure form is empty.
 * 0, KC_ERR_INVALID (bad escape, bad UTF-8, control character, duplicate,
 * empty name), KC_ERR_TOO_LARGE (too many fields, too long), KC_ERR_NOMEM. */
int kc_form_parse(struct kc_form *form, const char *s, size_t len) KC_MUST_USE
  KC_NONNULL(1);

/* Wipe and free every value. The form is empty afterwards. */
void kc_form_free(struct kc_form *form) KC_NONNULL(1);

/* The value of name, or NULL when absent. Owned by the form. */
const char *kc_form_get(const struct kc_form *form, const char *name)
  KC_NONNULL(1, 2);

/* The value of name with surrounding blanks removed, or "" when absent,
 * copied into out (cut at outlen - 1 bytes: check the return). Returns
 * false when the value did not fit. */
bool kc_form_get_trim(const struct kc_form *form, const char *name, char *out,
                      size_t outlen) KC_NONNULL(1, 2, 3);

#endif /* KC_FORM_H */
