/*
 * proof.c: proofs of a passed second factor (see proof.h).
 */
#include <config.h>

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "kc_err.h"
#include "proof.h"

/* Allowed clock difference between two kcd sharing the key. */
#define PROOF_SKEW 60

static const char proof_label[] = "kc-chauthtok-proof-v1";

/* The MAC of issued, dn and extra (NULL: none): HMAC-SHA-256 under a key
 * derived from the secret key for label only, cut to KC_PROOF_MAC_BYTES. */
static void
proof_mac(unsigned char mac[KC_PROOF_MAC_BYTES],
          const unsigned char key[KC_TAN_KEY_BYTES], const char *label,
          const char *dn, const char *extra, uint64_t issued)
{
  unsigned char subkey[crypto_auth_hmacsha256_KEYBYTES];
  unsigned char full[crypto_auth_hmacsha256_BYTES], be[8];
  crypto_auth_hmacsha256_state st;
  int i;

  crypto_auth_hmacsha256(subkey, (const unsigned char *) label,
                         strlen(label) + 1, key);
  for (i = 0; i < 8; i++)
    be[i] = (unsigned char) (issued >> (56 - 8 * i));
  crypto_auth_hmacsha256_init(&st, subkey, sizeof(subkey));
  crypto_auth_hmacsha256_update(&st, be, sizeof(be));
  crypto_auth_hmacsha256_update(&st, (const unsigned char *) dn,
                                strlen(dn) + 1);
  if (extra != NULL)
    crypto_auth_hmacsha256_update(&st, (const unsigned char *) extra,
                                  strlen(extra) + 1);
  crypto_auth_hmacsha256_final(&st, full);
  memcpy(mac, full, KC_PROOF_MAC_BYTES);
  sodium_memzero(subkey, sizeof(subkey));
  sodium_memzero(full, sizeof(full));
  sodium_memzero(&st, sizeof(st));
}

int
kc_proof_make_for(char out[KC_PROOF_LEN + 1],
                  const unsigned char key[KC_TAN_KEY_BYTES], const char *label,
                  const char *dn, const char *extra, time_t now)
{
  unsigned char mac[KC_PROOF_MAC_BYTES];
  uint64_t issued = now < 0 ? 0 : (uint64_t) now;

  out[0] = '\0';
  if (dn[0] == '\0')
    return KC_ERR_INVALID;
  proof_mac(mac, key, label, dn, extra, issued);
  snprintf(out, KC_PROOF_LEN + 1, "%016llx.", (unsigned long long) issued);
  sodium_bin2hex(out + 17, 2 * KC_PROOF_MAC_BYTES + 1, mac, sizeof(mac));
  return 0;
}

int
kc_proof_hex16(const char *p, uint64_t *v)
{
  uint64_t x = 0;
  int i, d;

  for (i = 0; i < 16; i++) {
    if (p[i] >= '0' && p[i] <= '9')
      d = p[i] - '0';
    else if (p[i] >= 'a' && p[i] <= 'f')
      d = p[i] - 'a' + 10;
    else
      return -1;
    x = x << 4 | (uint64_t) d;
  }
  *v = x;
  return 0;
}

int
kc_proof_check_for(const char *proof, const unsigned char key[KC_TAN_KEY_BYTES],
                   const char *label, const char *dn, const char *extra,
                   time_t now, unsigned ttl)
{
  unsigned char want[KC_PROOF_MAC_BYTES], got[KC_PROOF_MAC_BYTES];
  uint64_t issued, t = now < 0 ? 0 : (uint64_t) now;
  size_t binlen = 0;
  int r = -1;

  if (strlen(proof) != KC_PROOF_LEN || proof[16] != '.' || dn[0] == '\0' ||
      kc_proof_hex16(proof, &issued) != 0)
    return -1;
  if (issued > t ? issued - t > PROOF_SKEW : t - issued > ttl)
    return -1;
  if (sodium_hex2bin(got, sizeof(got), proof + 17, 2 * KC_PROOF_MAC_BYTES, NULL,
                     &binlen, NULL) != 0 ||
      binlen != sizeof(got))
    return -1;
  proof_mac(want, key, label, dn, extra, issued);
  if (sodium_memcmp(want, got, sizeof(want)) == 0)
    r = 0;
  sodium_memzero(want, sizeof(want));
  return r;
}

int
kc_proof_make(char out[KC_PROOF_LEN + 1],
              const unsigned char key[KC_TAN_KEY_BYTES], const char *dn,
              time_t now)
{
  return kc_proof_make_for(out, key, proof_label, dn, NULL, now);
}

int
kc_proof_check(const char *proof, const unsigned char key[KC_TAN_KEY_BYTES],
               const char *dn, time_t now)
{
  return kc_proof_check_for(proof, key, proof_label, dn, NULL, now,
                            KC_PROOF_TTL);
}
