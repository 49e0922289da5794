/*
 * flatjson.h: a strict, bounded parser for one flat JSON object whose
 * values are strings or integers, such as an ALTCHA solution payload:
 *
 *     {"algorithm":"SHA-256","challenge":"…","number":42,"salt":"…", …}
 *
 * Accepted (RFC 8259, restricted): blanks between tokens; one object of
 * at most KC_FLATJSON_MAX_KEYS members; keys of at most
 * KC_FLATJSON_MAX_KEY bytes; string values of at most KC_FLATJSON_MAX_STR
 * bytes after unescaping; all escapes (\" \\ \/ \b \f \n \r \t \uXXXX with
 * surrogate pairs, decoded to UTF-8); integers without fraction or exponent
 * whose magnitude is at most KC_FLATJSON_MAX_INT (2^53 - 1, exact in
 * JavaScript). Rejected: duplicate keys, nested objects and arrays, true,
 * false, null, fractions, leading zeros, raw control bytes, invalid UTF-8,
 * \u0000 (no embedded NUL), and anything after the closing brace.
 *
 * Pure and thread-safe; struct kc_flatjson is a plain value (about 9 KiB)
 * the caller owns; nothing is allocated.
 */
#ifndef KC_FLATJSON_H
#define KC_FLATJSON_H

#include <stddef.h>
#include <stdint.h>

#include "kc_attrs.h"

/* ALTCHA sends 6 members; 16 leaves room for additions. */
#define KC_FLATJSON_MAX_KEYS 16
/* Member names are short words. */
#define KC_FLATJSON_MAX_KEY 32
/* Values are hex digests and a salt of about 50 bytes. */
#define KC_FLATJSON_MAX_STR 512
/* Largest integer JavaScript holds exactly (Number.MAX_SAFE_INTEGER). */
#define KC_FLATJSON_MAX_INT 9007199254740991LL

enum kc_flatjson_type { KC_FLATJSON_STRING, KC_FLATJSON_INT };

struct kc_flatjson_member {
  char key[KC_FLATJSON_MAX_KEY + 1];
  enum kc_flatjson_type type;
  char str[KC_FLATJSON_MAX_STR + 1]; /* strings: NUL-terminated */
  size_t str_len;
  int64_t num; /* integers */
};

struct kc_flatjson {
  struct kc_flatjson_member m[KC_FLATJSON_MAX_KEYS];
  size_t n;
};

/*
 * Parse the len bytes at s (need not be NUL-terminated) into out.
 * 0, KC_ERR_INVALID (not the accepted grammar), KC_ERR_TOO_LARGE (a limit
 * above) or KC_ERR_RANGE (an integer too large). On failure out is empty.
 */
int kc_flatjson_parse(struct kc_flatjson *out, const char *s,
                      size_t len) KC_MUST_USE KC_NONNULL(1, 2);

/* The string value of key, or NULL when absent or not a string. */
const char *kc_flatjson_str(const struct kc_flatjson *j, const char *key)
  KC_NONNULL(1, 2);

/* The integer value of key in *v: 0, KC_ERR_NOT_FOUND (absent) or
 * KC_ERR_INVALID (not an integer); *v is 0 on failure. */
int kc_flatjson_int(const struct kc_flatjson *j, const char *key,
                    int64_t *v) KC_MUST_USE KC_NONNULL(1, 2, 3);

#endif /* KC_FLATJSON_H */
