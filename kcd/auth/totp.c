/*
 * totp.c: TOTP, base32, typed codes, recovery codes and the sealed
 * secret (see totp.h).
 */
#include <config.h>

#include <string.h>

#include <sodium.h>

#include "kc_err.h"
#include "kc_esc.h"
#include "sha1.h"
#include "totp.h"

static const char b32_alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
static const char seal_label[] = "kc-totp-seal-v1";
static const char recovery_label[] = "kc-recovery-code-v1";
static const char recovery_alphabet[] = KC_RECOVERY_ALPHABET;

/* Draws for one set of recovery codes before the random source is taken
 * for broken (each repeat costs one more). */
#define RECOVERY_MAX_DRAWS (2 * KC_RECOVERY_COUNT)

void
kc_totp_secret_new(unsigned char secret[KC_TOTP_SECRET_BYTES],
                   const struct kc_tan_env *env)
{
  kc_tan_random(env, secret, KC_TOTP_SECRET_BYTES);
}

/* ------------------------------------------------------------ HOTP, TOTP */

uint32_t
kc_totp_hotp(const unsigned char *secret, size_t len, uint64_t counter,
             unsigned digits)
{
  static const uint32_t mod[] = {1000000, 10000000, 100000000};
  unsigned char msg[8], mac[KC_SHA1_BYTES];
  unsigned off, i;
  uint32_t bin;

  if (digits < 6 || digits > 8)
    digits = 6;
  for (i = 0; i < 8; i++)
    msg[i] = (unsigned char) (counter >> (56 - 8 * i));
  kc_hmac_sha1(mac, secret, len, msg, sizeof(msg));
  /* dynamic truncation, RFC 4226 section 5.3 */
  off = mac[KC_SHA1_BYTES - 1] & 0x0f;
  bin = (uint32_t) (mac[off] & 0x7f) << 24 | (uint32_t) mac[off + 1] << 16 |
        (uint32_t) mac[off + 2] << 8 | (uint32_t) mac[off + 3];
  sodium_memzero(mac, sizeof(mac));
  return bin % mod[digits - 6];
}

uint64_t
kc_totp_step(time_t now)
{
  return now < 0 ? 0 : (uint64_t) now / KC_TOTP_PERIOD;
}

int
kc_totp_check(const unsigned char secret[KC_TOTP_SECRET_BYTES], uint32_t code,
              time_t now, uint64_t *step)
{
  uint64_t cur = kc_totp_step(now), s, found = 0;
  uint32_t want, diff;
  int hit = 0;

  *step = 0;
  for (s = cur >= KC_TOTP_WINDOW ? cur - KC_TOTP_WINDOW : 0;
       s <= cur + KC_TOTP_WINDOW; s++) {
    want = kc_totp_hotp(secret, KC_TOTP_SECRET_BYTES, s, KC_TOTP_DIGITS);
    diff = want ^ code;
    /* no early exit: every step of the window costs the same */
    if (diff == 0 && !hit) {
      hit = 1;
      found = s;
    }
  }
  if (!hit)
    return -1;
  *step = found;
  return 0;
}

int
kc_totp_code_parse(const char *in, uint32_t *code)
{
  size_t len = strnlen(in, KC_MAX_TOTP_CODE_INPUT + 1), i;
  uint32_t v = 0;
  unsigned digits = 0;

  *code = 0;
  if (len != KC_TOTP_DIGITS && len != KC_TOTP_DIGITS + 1)
    return KC_ERR_INVALID;
  for (i = 0; i < len; i++) {
    if (len == KC_TOTP_DIGITS + 1 && i == KC_TOTP_DIGITS / 2) {
      if (in[i] != ' ')
        return KC_ERR_INVALID;
      continue;
    }
    if (in[i] < '0' || in[i] > '9')
      return KC_ERR_INVALID;
    v = v * 10 + (uint32_t) (in[i] - '0');
    digits++;
  }
  if (digits != KC_TOTP_DIGITS)
    return KC_ERR_INVALID;
  *code = v;
  return 0;
}

/* ---------------------------------------------------------------- base32 */

int
kc_totp_b32_encode(struct kc_buf *out, const unsigned char *in, size_t len)
{
  uint32_t acc = 0;
  unsigned bits = 0;
  size_t i;
  int r;

  for (i = 0; i < len; i++) {
    acc = (acc << 8 | in[i]) & 0xfff;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      r = kc_buf_add(out, &b32_alphabet[(acc >> bits) & 31], 1);
      if (r != 0)
        return r;
    }
  }
  if (bits > 0)
    return kc_buf_add(out, &b32_alphabet[(acc << (5 - bits)) & 31], 1);
  return 0;
}

/* The value of a base32 character, -1 for a skipped one, -2 for a bad one. */
static int
b32_value(char c)
{
  if (c >= 'a' && c <= 'z')
    c = (char) (c - 'a' + 'A');
  if (c >= 'A' && c <= 'Z')
    return c - 'A';
  if (c >= '2' && c <= '7')
    return c - '2' + 26;
  if (c == ' ' || c == '-' || c == '\t')
    return -1;
  return -2;
}

int
kc_totp_b32_decode(unsigned char *out, size_t outsize, size_t *outlen,
                   const char *in)
{
  uint32_t acc = 0;
  unsigned bits = 0;
  size_t n = 0, chars = 0;
  const char *p;
  int v, r = KC_ERR_INVALID;

  *outlen = 0;
  for (p = in; *p != '\0' && *p != '='; p++) {
    v = b32_value(*p);
    if (v == -1)
      continue;
    if (v < 0)
      goto out;
    acc = (acc << 5 | (uint32_t) v) & 0xfff;
    bits += 5;
    chars++;
    if (bits >= 8) {
      bits -= 8;
      if (n == outsize) {
        r = KC_ERR_TOO_LARGE;
        goto out;
      }
      out[n++] = (unsigned char) (acc >> bits);
    }
  }
  while (*p == '=')
    p++;
  /* 1, 3 or 6 characters past a group of 8 encode no whole byte */
  if (*p != '\0' || chars % 8 == 1 || chars % 8 == 3 || chars % 8 == 6)
    goto out;
  *outlen = n;
  r = 0;
out:
  if (r != 0)
    sodium_memzero(out, n);
  sodium_memzero(&acc, sizeof(acc));
  return r;
}

/* ----------------------------------------------------------- otpauth URI */

int
kc_totp_uri(struct kc_buf *out, const char *issuer, const char *user,
            const unsigned char secret[KC_TOTP_SECRET_BYTES])
{
  int r;

  if (issuer[0] == '\0' || user[0] == '\0')
    return KC_ERR_INVALID;
  /* the label is "issuer:user" (Key Uri Format); both parts encoded */
  if ((r = kc_buf_add_str(out, "otpauth://totp/")) != 0 ||
      (r = kc_esc_pct(out, issuer)) != 0 ||
      (r = kc_buf_add_str(out, ":")) != 0 || (r = kc_esc_pct(out, user)) != 0 ||
      (r = kc_buf_add_str(out, "?secret=")) != 0 ||
      (r = kc_totp_b32_encode(out, secret, KC_TOTP_SECRET_BYTES)) != 0 ||
      (r = kc_buf_add_str(out, "&issuer=")) != 0 ||
      (r = kc_esc_pct(out, issuer)) != 0 ||
      (r = kc_buf_add_str(out, "&algorithm=SHA1&digits=6&period=30")) != 0)
    kc_buf_free(out);
  return r;
}

/* --------------------------------------------------------- sealed secret */

/* A key for label only, derived from the secret key as proof.c does. */
static void
derive(unsigned char sub[32], const unsigned char key[KC_TAN_KEY_BYTES],
       const char *label, size_t labelsize)
{
  crypto_auth_hmacsha256(sub, (const unsigned char *) label, labelsize, key);
}

static int
uuid_ok(const char *uuid)
{
  size_t len = strnlen(uuid, KC_MAX_UUID + 1);

  return len > 0 && len <= KC_MAX_UUID;
}

_Static_assert(crypto_aead_xchacha20poly1305_ietf_NPUBBYTES ==
                 KC_TOTP_SEAL_NONCE_BYTES,
               "nonce size");
_Static_assert(crypto_aead_xchacha20poly1305_ietf_ABYTES ==
                 KC_TOTP_SEAL_TAG_BYTES,
               "tag size");
_Static_assert(crypto_aead_xchacha20poly1305_ietf_KEYBYTES == 32, "key size");

int
kc_totp_seal(char out[KC_TOTP_SEALED_LEN + 1],
             const unsigned char key[KC_TAN_KEY_BYTES],
             const unsigned char secret[KC_TOTP_SECRET_BYTES], const char *uuid)
{
  unsigned char sub[32], blob[KC_TOTP_SEALED_BYTES];
  unsigned long long clen = 0;

  out[0] = '\0';
  if (!uuid_ok(uuid))
    return KC_ERR_INVALID;
  derive(sub, key, seal_label, sizeof(seal_label));
  randombytes_buf(blob, KC_TOTP_SEAL_NONCE_BYTES);
  crypto_aead_xchacha20poly1305_ietf_encrypt(blob + KC_TOTP_SEAL_NONCE_BYTES,
                                             &clen, secret,
                                             KC_TOTP_SECRET_BYTES,
                                             (const unsigned char *) uuid,
                                             strlen(uuid), NULL, blob, sub);
  memcpy(out, "v1:", 3);
  sodium_bin2base64(out + 3, KC_TOTP_SEALED_LEN - 3 + 1, blob, sizeof(blob),
                    sodium_base64_VARIANT_ORIGINAL);
  sodium_memzero(sub, sizeof(sub));
  return 0;
}

int
kc_totp_unseal(unsigned char secret[KC_TOTP_SECRET_BYTES],
               const unsigned char key[KC_TAN_KEY_BYTES], const char *sealed,
               const char *uuid)
{
  unsigned char sub[32], blob[KC_TOTP_SEALED_BYTES];
  unsigned long long mlen = 0;
  size_t binlen = 0, len = strnlen(sealed, KC_TOTP_SEALED_LEN + 1);
  int r;

  sodium_memzero(secret, KC_TOTP_SECRET_BYTES);
  if (strncmp(sealed, "v1:", 3) != 0)
    return KC_ERR_VERSION;
  if (len != KC_TOTP_SEALED_LEN || !uuid_ok(uuid) ||
      sodium_base642bin(blob, sizeof(blob), sealed + 3, len - 3, NULL, &binlen,
                        NULL, sodium_base64_VARIANT_ORIGINAL) != 0 ||
      binlen != sizeof(blob))
    return KC_ERR_INVALID;
  derive(sub, key, seal_label, sizeof(seal_label));
  r =
    crypto_aead_xchacha20poly1305_ietf_decrypt(secret, &mlen, NULL,
                                               blob + KC_TOTP_SEAL_NONCE_BYTES,
                                               sizeof(blob) -
                                                 KC_TOTP_SEAL_NONCE_BYTES,
                                               (const unsigned char *) uuid,
                                               strlen(uuid), blob, sub);
  sodium_memzero(sub, sizeof(sub));
  if (r != 0 || mlen != KC_TOTP_SECRET_BYTES) {
    sodium_memzero(secret, KC_TOTP_SECRET_BYTES);
    return KC_ERR_FORGED;
  }
  return 0;
}

/* -------------------------------------------------------- recovery codes */

/* One code of KC_RECOVERY_CHARS symbols, each drawn without bias. */
static void
recovery_draw(char code[KC_RECOVERY_CHARS + 1], const struct kc_tan_env *env)
{
  size_t i;

  for (i = 0; i < KC_RECOVERY_CHARS; i++)
    code[i] = recovery_alphabet
      [kc_tan_uniform(env, (uint32_t) (sizeof(recovery_alphabet) - 1))];
  code[i] = '\0';
}

/* "7KQ2M9XD4F" shown as "7KQ2-M9XD-4F". */
static void
recovery_show(char out[KC_RECOVERY_SHOWN_LEN + 1], const char *code)
{
  memcpy(out, code, 4);
  out[4] = '-';
  memcpy(out + 5, code + 4, 4);
  out[9] = '-';
  memcpy(out + 10, code + 8, 2);
  out[KC_RECOVERY_SHOWN_LEN] = '\0';
}

static int
recovery_seen(char codes[][KC_RECOVERY_SHOWN_LEN + 1], size_t n,
              const char *shown)
{
  size_t i;

  for (i = 0; i < n; i++)
    if (strcmp(codes[i], shown) == 0)
      return 1;
  return 0;
}

int
kc_recovery_generate(char codes[KC_RECOVERY_COUNT][KC_RECOVERY_SHOWN_LEN + 1],
                     const struct kc_tan_env *env)
{
  char code[KC_RECOVERY_CHARS + 1], shown[KC_RECOVERY_SHOWN_LEN + 1];
  size_t n = 0, draws = 0;
  int r = 0;

  while (n < KC_RECOVERY_COUNT) {
    /* a repeat is one in 31^10: more than a few is a broken source */
    if (draws++ == RECOVERY_MAX_DRAWS) {
      sodium_memzero(codes, KC_RECOVERY_COUNT * sizeof(codes[0]));
      r = KC_ERR_INTERNAL;
      break;
    }
    recovery_draw(code, env);
    recovery_show(shown, code);
    if (!recovery_seen(codes, n, shown))
      memcpy(codes[n++], shown, sizeof(shown));
  }
  sodium_memzero(code, sizeof(code));
  sodium_memzero(shown, sizeof(shown));
  return r;
}

int
kc_recovery_normalise(char out[KC_RECOVERY_CHARS + 1], const char *in)
{
  size_t len = strnlen(in, KC_MAX_RECOVERY_INPUT + 1), i, n = 0;
  char c;

  out[0] = '\0';
  if (len > KC_MAX_RECOVERY_INPUT)
    return KC_ERR_INVALID;
  for (i = 0; i < len; i++) {
    c = in[i];
    if (c == '-' || c == ' ' || c == '\t')
      continue;
    if (c >= 'a' && c <= 'z')
      c = (char) (c - 'a' + 'A');
    if (c == '\0' || strchr(recovery_alphabet, c) == NULL ||
        n == KC_RECOVERY_CHARS) {
      sodium_memzero(out, KC_RECOVERY_CHARS + 1);
      return KC_ERR_INVALID;
    }
    out[n++] = c;
  }
  out[n] = '\0';
  if (n != KC_RECOVERY_CHARS) {
    sodium_memzero(out, KC_RECOVERY_CHARS + 1);
    return KC_ERR_INVALID;
  }
  return 0;
}

int
kc_recovery_hash(char out[KC_RECOVERY_HASH_LEN + 1],
                 const unsigned char key[KC_TAN_KEY_BYTES], const char *code)
{
  unsigned char sub[crypto_auth_hmacsha256_KEYBYTES],
    mac[crypto_auth_hmacsha256_BYTES];
  char norm[KC_RECOVERY_CHARS + 1];

  out[0] = '\0';
  if (kc_recovery_normalise(norm, code) != 0)
    return KC_ERR_INVALID;
  derive(sub, key, recovery_label, sizeof(recovery_label));
  crypto_auth_hmacsha256(mac, (const unsigned char *) norm, KC_RECOVERY_CHARS,
                         sub);
  sodium_bin2hex(out, KC_RECOVERY_HASH_LEN + 1, mac, sizeof(mac));
  sodium_memzero(sub, sizeof(sub));
  sodium_memzero(mac, sizeof(mac));
  sodium_memzero(norm, sizeof(norm));
  return 0;
}
