/*
 * libFuzzer target: the ALTCHA form field, as kc_captcha_pow_verify() gets
 * it from POST /register: size check, base64, the strict JSON parser
 * (flatjson.c), the salt's expiry, hashes, signature and replay store.
 *
 * The first byte picks the mode: even, the rest is the field as sent
 * (base64); odd, the rest is the JSON text, base64-encoded here so the
 * fuzzer works on the parser directly. Key and clock are fixed (the test key
 * of tests/tools/kc-captcha and 2023-11-14 22:13:20 UTC), so the solved
 * seeds from tests/fuzz/mkseeds_altcha.sh pass every check. Invariants: a
 * payload that verifies fails the second time (replay); whatever
 * kc_flatjson_parse() accepts is within its documented limits.
 */
#include <config.h>

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <sodium.h>

#include "captcha.h"
#include "flatjson.h"
#include "kc_str.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_NOW 1700000000

static const unsigned char test_key[KC_CAPTCHA_KEY_BYTES] = {
  'k', 'c', 'd', ' ', 't', 'e', 's', 't', ' ', 'k', 'e', 'y', ' ', 'f', 'o',
  'r', ' ', 'c', 'a', 'p', 't', 'c', 'h', 'a', ' ', 'i', 'n', 't', 'e', 'r',
  'o', 'p'};

static time_t
fixed_now(void *ctx)
{
  (void) ctx;
  return FUZZ_NOW;
}

/* What a successful parse promises. */
static void
check_flatjson(const struct kc_flatjson *j)
{
  size_t i, k;

  if (j->n > KC_FLATJSON_MAX_KEYS)
    __builtin_trap();
  for (i = 0; i < j->n; i++) {
    const struct kc_flatjson_member *m = &j->m[i];
    if (strnlen(m->key, KC_FLATJSON_MAX_KEY + 1) > KC_FLATJSON_MAX_KEY)
      __builtin_trap();
    for (k = 0; k < i; k++)
      if (strcmp(j->m[k].key, m->key) == 0)
        __builtin_trap();
    if (m->type == KC_FLATJSON_STRING &&
      (m->str_len > KC_FLATJSON_MAX_STR || strlen(m->str) != m->str_len ||
        !kc_str_is_utf8(m->str, m->str_len)))
      __builtin_trap();
    if (m->type == KC_FLATJSON_INT &&
      (m->num > KC_FLATJSON_MAX_INT || m->num < -KC_FLATJSON_MAX_INT))
      __builtin_trap();
  }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  static char field[2 * KC_MAX_ALTCHA_PAYLOAD + 8];
  struct kc_captcha_cfg cfg = {.pow_replay_cap = 4};
  struct kc_captcha_env env = {fixed_now, NULL, NULL};
  struct kc_flatjson j;
  struct kc_captcha *c;
  const char *p;
  size_t len;

  if (size < 1 || sodium_init() < 0)
    return 0;
  if (data[0] & 1) {
    if (kc_flatjson_parse(&j, (const char *) data + 1, size - 1) == 0)
      check_flatjson(&j);
    else if (j.n != 0)
      __builtin_trap(); /* nothing half-built */
    if (size - 1 > KC_MAX_ALTCHA_PAYLOAD)
      return 0;
    sodium_bin2base64(field, sizeof(field), data + 1, size - 1,
      sodium_base64_VARIANT_ORIGINAL);
    p = field;
    len = strlen(field);
  } else {
    p = (const char *) data + 1;
    len = size - 1;
  }
  if (kc_captcha_new(&c, test_key, &cfg, &env) != 0)
    return 0;
  if (kc_captcha_pow_verify(c, p, len) == 0 &&
    kc_captcha_pow_verify(c, p, len) == 0)
    __builtin_trap(); /* a replay got through */
  kc_captcha_free(c);
  return 0;
}
