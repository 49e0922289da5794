/* libFuzzer target: the short tokens kcd takes back from a client or reads
 * from the directory: the CHAUTHTOK proof (kc_proof_check, kc_proof_hex16),
 * the reset link's token (kc_reset_token_ok), an entryUUID
 * (kc_ldap_uuid_ok) and a GeneralizedTime (kc_ldap_parse_time).
 * Input: a mode byte, a clock byte, then the token. Mode even: the token
 * as given; odd: a proof made here, edited at (position, byte) pairs from
 * the input, so that the fuzzer works near valid proofs. Checks:
 *  - a proof passes only for its account, within KC_PROOF_TTL after its
 *    time and a minute before it, and only when it is the proof made for
 *    that time (hex digits of the MAC in either case); one made here passes
 *    at both ends of that window and fails one second outside it, for
 *    another account and for another purpose;
 *  - a reset token is exactly KC_RESET_TOKEN_LEN base64url characters;
 *  - an entryUUID is 8-4-4-4-12 hex digits;
 *  - a GeneralizedTime passes when it starts with 14 digits; the time read
 *    prints and reads back to itself; a refusal leaves 0. */
#include <config.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "kc_ldap.h"
#include "kc_limits.h"
#include "proof.h"
#include "reset.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_NOW  1900000000
#define MAX_TOKEN 256
/* 9999-12-31 23:59:59 UTC: the last time "%Y" prints with four digits */
#define LAST_TIME 253402300799LL

static const unsigned char key[KC_TAN_KEY_BYTES] =
  "fuzz-key-fuzz-key-fuzz-key-0123";
static const char dn[] = "uid=ana.meier,ou=accounts,dc=example,dc=org";

static bool
is_hex(char c, bool upper)
{
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
         (upper && c >= 'A' && c <= 'F');
}

/* A proof made here, at now. */
static void
make(char out[KC_PROOF_LEN + 1], time_t now)
{
  if (kc_proof_make(out, key, dn, now) != 0 || strlen(out) != KC_PROOF_LEN)
    __builtin_trap();
}

static void
check_proof(const char *p, time_t now)
{
  char want[KC_PROOF_LEN + 1];
  uint64_t issued;
  size_t i;

  if (kc_proof_check(p, key, dn, now) != 0)
    return;
  if (strlen(p) != KC_PROOF_LEN || p[16] != '.' ||
      kc_proof_hex16(p, &issued) != 0 || issued > (uint64_t) now + 60 ||
      (uint64_t) now > issued + KC_PROOF_TTL)
    __builtin_trap();
  for (i = 17; i < KC_PROOF_LEN; i++)
    if (!is_hex(p[i], true))
      __builtin_trap();
  make(want, (time_t) issued);
  if (strncmp(p, want, 17) != 0 || strcasecmp(p + 17, want + 17) != 0 ||
      kc_proof_check(p, key, "uid=bob,ou=accounts,dc=example,dc=org", now) ==
        0 ||
      kc_proof_check_for(p, key, "kc-fuzz-other-purpose", dn, NULL, now,
                         KC_PROOF_TTL) == 0)
    __builtin_trap();
}

/* A fresh proof: the window and the bindings. */
static void
check_window(time_t t)
{
  char p[KC_PROOF_LEN + 1];

  make(p, t);
  if (kc_proof_check(p, key, dn, t) != 0 ||
      kc_proof_check(p, key, dn, t + KC_PROOF_TTL) != 0 ||
      kc_proof_check(p, key, dn, t + KC_PROOF_TTL + 1) == 0 ||
      kc_proof_check(p, key, dn, t - 60) != 0 ||
      kc_proof_check(p, key, dn, t - 61) == 0 ||
      kc_proof_check(p, key, "uid=ana.meier", t) == 0)
    __builtin_trap();
}

static void
check_reset_token(const char *s)
{
  size_t i, n = strlen(s);

  if (!kc_reset_token_ok(s))
    return;
  if (n != KC_RESET_TOKEN_LEN)
    __builtin_trap();
  for (i = 0; i < n; i++)
    if (!((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= 'a' && s[i] <= 'z') ||
          (s[i] >= '0' && s[i] <= '9') || s[i] == '-' || s[i] == '_'))
      __builtin_trap();
}

static void
check_uuid(const char *s)
{
  bool want = strlen(s) == KC_LDAP_UUID_LEN;
  size_t i;

  for (i = 0; want && i < KC_LDAP_UUID_LEN; i++)
    want = (i == 8 || i == 13 || i == 18 || i == 23) ? s[i] == '-'
                                                     : is_hex(s[i], true);
  if (kc_ldap_uuid_ok(s) != want)
    __builtin_trap();
}

static void
check_time(const char *s)
{
  char again[16];
  time_t t, t2;
  bool want = strlen(s) >= 14;
  size_t i;

  for (i = 0; want && i < 14; i++)
    want = s[i] >= '0' && s[i] <= '9';
  if ((kc_ldap_parse_time(s, &t) == 0) != want)
    __builtin_trap();
  if (!want) {
    if (t != 0)
      __builtin_trap();
    return;
  }
  if (t < 0 || (long long) t > LAST_TIME)
    return; /* "%Y" has no four digits for it */
  kc_ldap_format_time(t, again);
  if (kc_ldap_parse_time(again, &t2) != 0 || t2 != t)
    __builtin_trap();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  char tok[MAX_TOKEN + 1];
  time_t now;
  size_t i;
  uint8_t mode;

  if (size < 2)
    return 0;
  mode = data[0];
  /* up to about 20 minutes either side of the proofs made here */
  now = FUZZ_NOW + ((time_t) data[1] - 128) * 10;
  data += 2;
  size -= 2;
  if (mode & 1) {
    make(tok, FUZZ_NOW);
    for (i = 0; i + 1 < size; i += 2)
      tok[data[i] % (KC_PROOF_LEN + 1)] = (char) data[i + 1];
    tok[KC_PROOF_LEN] = '\0';
  } else {
    if (size > MAX_TOKEN)
      size = MAX_TOKEN;
    memcpy(tok, data, size);
    tok[size] = '\0';
  }
  check_proof(tok, now);
  check_window(now);
  check_reset_token(tok);
  check_uuid(tok);
  check_time(tok);
  return 0;
}
