/*
 * kc_esc.h: the one escaper for text that leaves kcd inside another
 * language: JSON strings (RFC 8259), percent-encoding (RFC 3986) and HTML
 * text and attribute values. libc only; no function here logs.
 *
 * JSON: '"' and '\\' get a backslash; \b \t \n \f \r their short forms;
 * every other byte below 0x20 and DEL become \u00xx (lower-case hex);
 * U+2028 and U+2029 become \u2028 and \u2029 (line ends to JavaScript);
 * any byte that does not start a well-formed UTF-8 sequence becomes
 * \ufffd, so the output is always valid UTF-8. Other characters are
 * copied as they are.
 *
 * Percent: everything but the unreserved characters A-Z a-z 0-9 - . _ ~
 * becomes %XX (upper-case hex), fit for a URL query and for
 * application/x-www-form-urlencoded bodies.
 *
 * HTML: & < > " ' become entities; everything else is copied.
 *
 * The kc_buf functions append and return 0, or KC_ERR_TOO_LARGE when the
 * buffer's cap is reached (the buffer is then freed, as kc_buf does).
 */
#ifndef KC_ESC_H
#define KC_ESC_H

#include <stddef.h>

#include "kc_attrs.h"
#include "kc_buf.h"

/* The longest JSON escape of one character: "\ufffd" or a 4-byte
 * UTF-8 sequence, plus a NUL. */
#define KC_ESC_JSON_ONE_MAX 8

/* The JSON escape of the character at s (s[0] != '\0') into out, not
 * NUL-terminated; returns its length and sets *used to the input bytes it
 * stands for (1 to 4). */
size_t kc_esc_json_one(const char *s, char out[KC_ESC_JSON_ONE_MAX],
                       size_t *used) KC_NONNULL(1, 2, 3);

/* Append s JSON-escaped, without quotes. */
int kc_esc_json(struct kc_buf *out, const char *s) KC_MUST_USE KC_NONNULL(1, 2);

/* Append s as a JSON string literal, quotes included. */
int kc_esc_json_str(struct kc_buf *out, const char *s) KC_MUST_USE
  KC_NONNULL(1, 2);

/* Append s percent-encoded. */
int kc_esc_pct(struct kc_buf *out, const char *s) KC_MUST_USE KC_NONNULL(1, 2);

/* Append s escaped for HTML text or a quoted attribute value. */
int kc_esc_html(struct kc_buf *out, const char *s) KC_MUST_USE KC_NONNULL(1, 2);

#endif /* KC_ESC_H */
