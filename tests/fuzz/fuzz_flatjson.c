/* libFuzzer target: the strict flat JSON reader (kc_flatjson_parse), on
 * its own, without the base64 and signature layers of fuzz_altcha. Checks:
 *  - a refused input leaves the object empty and says why with one of the
 *    documented codes;
 *  - an accepted object keeps every documented limit: at most
 *    KC_FLATJSON_MAX_KEYS members with unique keys of at most
 * KC_FLATJSON_MAX_KEY bytes, strings NUL-terminated, of str_len bytes, valid
 * UTF-8 without NUL, integers within +-KC_FLATJSON_MAX_INT;
 *  - kc_flatjson_str and kc_flatjson_int find each member by its key and
 *    only with its own type;
 *  - the members written out again (kc_esc_json_str, decimal integers)
 *    parse to the same members in the same order. */
#include <config.h>

#include <inttypes.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "flatjson.h"
#include "kc_buf.h"
#include "kc_err.h"
#include "kc_esc.h"
#include "kc_str.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Every member escaped at its worst (6 bytes per byte) fits. */
#define OUT_CAP                                                                \
  (KC_FLATJSON_MAX_KEYS *                                                      \
   (6 * (KC_FLATJSON_MAX_KEY + KC_FLATJSON_MAX_STR) + 32))

static struct kc_flatjson j, again;

static void
check_member(const struct kc_flatjson_member *m, size_t i)
{
  size_t klen = strnlen(m->key, sizeof(m->key)), k;
  int64_t v;

  if (klen > KC_FLATJSON_MAX_KEY || !kc_str_is_utf8(m->key, klen))
    __builtin_trap();
  for (k = 0; k < i; k++)
    if (strcmp(j.m[k].key, m->key) == 0)
      __builtin_trap();
  if (m->type == KC_FLATJSON_STRING) {
    if (m->str_len > KC_FLATJSON_MAX_STR ||
        strnlen(m->str, sizeof(m->str)) != m->str_len ||
        !kc_str_is_utf8(m->str, m->str_len) ||
        kc_flatjson_str(&j, m->key) != m->str ||
        kc_flatjson_int(&j, m->key, &v) != KC_ERR_INVALID || v != 0)
      __builtin_trap();
  } else if (m->type == KC_FLATJSON_INT) {
    if (m->num > KC_FLATJSON_MAX_INT || m->num < -KC_FLATJSON_MAX_INT ||
        kc_flatjson_str(&j, m->key) != NULL ||
        kc_flatjson_int(&j, m->key, &v) != 0 || v != m->num)
      __builtin_trap();
  } else {
    __builtin_trap();
  }
}

/* Write the object out again and parse that: the same members. */
static void
check_round_trip(void)
{
  struct kc_buf b;
  size_t i;
  int r = 0;

  kc_buf_init(&b, OUT_CAP);
  r = kc_buf_add_str(&b, "{");
  for (i = 0; i < j.n && r == 0; i++) {
    const struct kc_flatjson_member *m = &j.m[i];

    if ((i > 0 && (r = kc_buf_add_str(&b, ",")) != 0) ||
        (r = kc_esc_json_str(&b, m->key)) != 0 ||
        (r = kc_buf_add_str(&b, ":")) != 0)
      break;
    if (m->type == KC_FLATJSON_STRING)
      r = kc_esc_json_str(&b, m->str);
    else
      r = kc_buf_printf(&b, "%" PRId64, m->num);
  }
  if (r != 0 || kc_buf_add_str(&b, "}") != 0)
    __builtin_trap();
  if (kc_flatjson_parse(&again, kc_buf_get(&b), kc_buf_len(&b)) != 0 ||
      again.n != j.n)
    __builtin_trap();
  for (i = 0; i < j.n; i++) {
    const struct kc_flatjson_member *m = &j.m[i], *a = &again.m[i];

    if (strcmp(m->key, a->key) != 0 || m->type != a->type)
      __builtin_trap();
    if (m->type == KC_FLATJSON_STRING
          ? a->str_len != m->str_len || memcmp(a->str, m->str, m->str_len) != 0
          : a->num != m->num)
      __builtin_trap();
  }
  kc_buf_free(&b);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  size_t i;
  int r;

  r = kc_flatjson_parse(&j, (const char *) data, size);
  if (r != 0) {
    if ((r != KC_ERR_INVALID && r != KC_ERR_TOO_LARGE && r != KC_ERR_RANGE) ||
        j.n != 0)
      __builtin_trap();
    return 0;
  }
  if (j.n > KC_FLATJSON_MAX_KEYS)
    __builtin_trap();
  for (i = 0; i < j.n; i++)
    check_member(&j.m[i], i);
  check_round_trip();
  return 0;
}
