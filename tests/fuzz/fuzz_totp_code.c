/* libFuzzer target: what a user types for the authenticator app: a code
 * ("123 456"), a recovery code ("7kq2 m9xd 4f") or a base32 secret. None
 * may crash or read out of bounds; a code is accepted only in one of its
 * two shapes and means the digits typed; a normalised recovery code is
 * canonical (normalising it again changes nothing) and hashes like the
 * input; decoded base32 encodes and decodes back to the same bytes. */
#include <config.h>

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "kc_buf.h"
#include "totp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const unsigned char key[32] = "fuzz-key-fuzz-key-fuzz-key-0123";

static void
check_code(const char *in)
{
  char again[8];
  uint32_t code, c2;
  size_t len = strlen(in);

  if (kc_totp_code_parse(in, &code) != 0) {
    if (code != 0)
      __builtin_trap();
    return;
  }
  if (code > 999999 || (len != 6 && len != 7))
    __builtin_trap();
  /* the same digits without the blank */
  memcpy(again, in, 3);
  memcpy(again + 3, in + len - 3, 3);
  again[6] = '\0';
  if (kc_totp_code_parse(again, &c2) != 0 || c2 != code)
    __builtin_trap();
}

static void
check_recovery(const char *in)
{
  char norm[KC_RECOVERY_CHARS + 1], again[KC_RECOVERY_CHARS + 1];
  char h1[KC_RECOVERY_HASH_LEN + 1], h2[KC_RECOVERY_HASH_LEN + 1];
  size_t i;

  if (kc_recovery_normalise(norm, in) != 0) {
    if (norm[0] != '\0' || kc_recovery_hash(h1, key, in) == 0)
      __builtin_trap();
    return;
  }
  if (strlen(norm) != KC_RECOVERY_CHARS)
    __builtin_trap();
  for (i = 0; i < KC_RECOVERY_CHARS; i++)
    if (strchr(KC_RECOVERY_ALPHABET, norm[i]) == NULL)
      __builtin_trap();
  if (kc_recovery_normalise(again, norm) != 0 || strcmp(again, norm) != 0)
    __builtin_trap();
  if (kc_recovery_hash(h1, key, in) != 0 ||
      kc_recovery_hash(h2, key, norm) != 0 || strcmp(h1, h2) != 0)
    __builtin_trap();
}

static void
check_base32(const char *in)
{
  unsigned char out[64], back[64];
  struct kc_buf b;
  size_t n, m;

  if (kc_totp_b32_decode(out, sizeof(out), &n, in) != 0)
    return;
  kc_buf_init(&b, 2 * sizeof(out));
  if (kc_totp_b32_encode(&b, out, n) != 0 ||
      kc_totp_b32_decode(back, sizeof(back), &m, kc_buf_get(&b)) != 0 ||
      m != n || memcmp(out, back, n) != 0)
    __builtin_trap();
  kc_buf_free(&b);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  char in[2 * KC_MAX_RECOVERY_INPUT + 1];

  if (size > sizeof(in) - 1)
    size = sizeof(in) - 1;
  memcpy(in, data, size);
  in[size] = '\0';
  check_code(in);
  check_recovery(in);
  check_base32(in);
  return 0;
}
