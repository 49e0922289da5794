/*
 * kc_str.h: cursor parsers (curl's STRPARSE.md) and small validators.
 *
 * A parser takes a `const char **` cursor, reads from it, and advances it
 * only on success; on failure the cursor is unchanged and the output is
 * cleared. They return 0 or a negative KC_ERR_* and chain with ||:
 *
 *     if (kc_str_uint(&p, &v, 1, 65535) || kc_str_end(&p)) ...
 *
 * All functions are pure and thread-safe; none logs.
 */
#ifndef KC_STR_H
#define KC_STR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kc_attrs.h"

/* Skip spaces and tabs. Never fails. */
void kc_str_skip_blank(const char **p) KC_NONNULL(1);

/* Decimal digits into *v, which must lie in [min, max]. No sign, no
 * leading blanks, at least one digit. KC_ERR_INVALID or KC_ERR_RANGE. */
int kc_str_uint(const char **p, uint64_t *v, uint64_t min,
                uint64_t max) KC_MUST_USE KC_NONNULL(1, 2);

/* A duration: digits followed by an optional unit s, m or h (seconds when
 * absent), in [min, max] seconds. */
int kc_str_duration(const char **p, uint64_t *secs, uint64_t min,
                    uint64_t max) KC_MUST_USE KC_NONNULL(1, 2);

/* Succeeds only at the end of the string. */
int kc_str_end(const char **p) KC_MUST_USE KC_NONNULL(1);

/* Whole-string helpers built on the cursor parsers. */
int kc_str_to_uint(const char *s, uint64_t *v, uint64_t min,
                   uint64_t max) KC_MUST_USE KC_NONNULL(1, 2);
int kc_str_to_duration(const char *s, uint64_t *secs, uint64_t min,
                       uint64_t max) KC_MUST_USE KC_NONNULL(1, 2);

/* A login name: 1..KC_MAX_USERNAME of [A-Za-z0-9._-], starting with a
 * letter or digit. Checked before any LDAP search (nslcd isvalidname). */
bool kc_str_is_username(const char *s) KC_NONNULL(1);

/* A customer number: 1..KC_MAX_CUSTOMER_NUMBER decimal digits. */
bool kc_str_is_customer_number(const char *s) KC_NONNULL(1);

/* True when the len bytes at s contain no NUL and no byte < 0x20 or 0x7f
 * (tab excluded only when allow_tab is false). */
bool kc_str_is_printable(const char *s, size_t len, bool allow_tab)
  KC_NONNULL(1);

/* True when the len bytes at s are well-formed UTF-8 (RFC 3629: no
 * overlong forms, no surrogates, nothing above U+10FFFF). NUL counts as a
 * character; callers that refuse it check separately. */
bool kc_str_is_utf8(const char *s, size_t len) KC_NONNULL(1);

/* Copy src into out (out_size > 0), cutting at out_size - 1 bytes and
 * replacing control bytes with '?'. For text from a peer (LDAP diagnostics)
 * that goes into a reply or a log line. */
void kc_str_copy_printable(char *out, size_t out_size, const char *src)
  KC_NONNULL(1, 3);

/*
 * Untrusted text as one value of a log line ("event; user=NAME key=value",
 * STYLE rule 17), for kcd and the PAM module alike: every byte outside
 * printable ASCII and every byte that could end the value or fake another
 * field (space, '"', ';', '=', '\\') becomes \xNN, so "x result=ok"
 * logs as x\x20result\x3dok. At most max_in bytes of in are read (in may
 * be NULL: empty), and the output is cut at a whole character or escape
 * so it fits out_size - 1 bytes; either cut ends the value with "..."
 * when that fits. out is always NUL-terminated (out_size > 0). A value of
 * n input bytes needs at most 4 * n + 4 bytes (KC_STR_LOG_SIZE).
 */
#define KC_STR_LOG_SIZE(n) (4 * (n) + 4)
void kc_str_escape_log(char *out, size_t out_size, const char *in,
                       size_t max_in) KC_NONNULL(1);

/* Fold ASCII letters of s to lower case in place; other bytes stay. For
 * keys of names that LDAP compares without case (uid). */
void kc_str_lower_ascii(char *s) KC_NONNULL(1);

#endif /* KC_STR_H */
