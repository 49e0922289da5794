/* libFuzzer target: a kc_session cookie as a browser may send it (any
 * bytes after "kc_session="). Parsing and checking must never crash or
 * read out of bounds; a cookie is accepted only when it parses, and what
 * parses and is made again under the key is accepted with the same
 * fields. */
#include <config.h>

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "session.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const unsigned char key[32] = "fuzz-key-fuzz-key-fuzz-key-0123";
static const struct kc_session_binding bind = {"fuzzstamp", "20261207000000Z"};

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  char cookie[2 * KC_SESSION_COOKIE_MAX + 1], again[KC_SESSION_COOKIE_MAX + 1];
  struct kc_session s, p, t;
  enum kc_session_state st;
  time_t now = 1900000000;

  if (size > sizeof(cookie) - 1)
    size = sizeof(cookie) - 1;
  memcpy(cookie, data, size);
  cookie[size] = '\0';
  st = kc_session_check(cookie, key, &bind, now, 900, 28800, &s);
  if (kc_session_parse(cookie, &p) != 0) {
    if (st != KC_SESSION_BAD)
      __builtin_trap(); /* what does not parse is never accepted */
    return 0;
  }
  if (st == KC_SESSION_OK && memcmp(&s, &p, sizeof(s)) != 0)
    __builtin_trap();
  /* made again under the key: accepted exactly when the times allow */
  if (kc_session_make(again, key, &p, &bind) != 0 ||
      strlen(again) != KC_SESSION_COOKIE_MAX ||
      kc_session_parse(again, &t) != 0 || memcmp(&t, &p, sizeof(t)) != 0)
    __builtin_trap();
  st = kc_session_check(again, key, &bind, p.used, 900, 28800, &s);
  if ((st == KC_SESSION_OK) !=
      (p.used >= p.issued && p.factor_at <= p.used &&
       p.used - p.issued <= 28800))
    __builtin_trap();
  return 0;
}
