/*
 * session.c: the signed, stateless web session (session.h).
 */
#include <config.h>

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "kc_err.h"
#include "proof.h"
#include "session.h"

/* Allowed clock difference between two kcd sharing the key. */
#define SESSION_SKEW 60

static const char session_label[] = "kc-web-session-v1";
static const char csrf_label[] = "kc-web-session-csrf-v1";

static void
subkey(unsigned char out[crypto_auth_hmacsha256_KEYBYTES],
       const unsigned char *key, const char *label, size_t labellen)
{
  crypto_auth_hmacsha256(out, (const unsigned char *) label, labellen, key);
}

static void
put_time(crypto_auth_hmacsha256_state *st, time_t t)
{
  uint64_t v = t < 0 ? 0 : (uint64_t) t;
  unsigned char be[8];
  int i;

  for (i = 0; i < 8; i++)
    be[i] = (unsigned char) (v >> (56 - 8 * i));
  crypto_auth_hmacsha256_update(st, be, sizeof(be));
}

static void
put_str(crypto_auth_hmacsha256_state *st, const char *s)
{
  crypto_auth_hmacsha256_update(st, (const unsigned char *) s, strlen(s) + 1);
}

static void
session_mac(unsigned char mac[KC_SESSION_MAC_BYTES], const unsigned char *key,
            const struct kc_session *s, const struct kc_session_binding *b)
{
  unsigned char k[crypto_auth_hmacsha256_KEYBYTES];
  unsigned char full[crypto_auth_hmacsha256_BYTES];
  crypto_auth_hmacsha256_state st;

  subkey(k, key, session_label, sizeof(session_label));
  crypto_auth_hmacsha256_init(&st, k, sizeof(k));
  put_str(&st, s->uuid);
  put_time(&st, s->issued);
  put_time(&st, s->used);
  put_time(&st, s->factor_at);
  put_str(&st, b->stamp);
  put_str(&st, b->pwd_changed);
  crypto_auth_hmacsha256_final(&st, full);
  memcpy(mac, full, KC_SESSION_MAC_BYTES);
  sodium_memzero(k, sizeof(k));
  sodium_memzero(full, sizeof(full));
  sodium_memzero(&st, sizeof(st));
}

static bool
uuid_ok(const char *s, size_t len)
{
  size_t i;

  if (len != KC_SESSION_UUID_LEN)
    return false;
  for (i = 0; i < len; i++) {
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (s[i] != '-')
        return false;
    } else if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
      return false;
  }
  return true;
}

int
kc_session_make(char out[KC_SESSION_COOKIE_MAX + 1], const unsigned char *key,
                const struct kc_session *s, const struct kc_session_binding *b)
{
  unsigned char mac[KC_SESSION_MAC_BYTES];
  char hex[2 * KC_SESSION_MAC_BYTES + 1];

  out[0] = '\0';
  if (!uuid_ok(s->uuid, strlen(s->uuid)) || b->stamp[0] == '\0' ||
      s->issued < 0 || s->used < 0 || s->factor_at < 0)
    return KC_ERR_INVALID;
  session_mac(mac, key, s, b);
  sodium_bin2hex(hex, sizeof(hex), mac, sizeof(mac));
  snprintf(out, KC_SESSION_COOKIE_MAX + 1, "1.%s.%016llx.%016llx.%016llx.%s",
           s->uuid, (unsigned long long) s->issued,
           (unsigned long long) s->used, (unsigned long long) s->factor_at,
           hex);
  return 0;
}

/* 16 hex digits at p into *t (kc_proof_hex16); -1 when they are not, or
 * the value does not fit a time_t. */
static int
parse_hex16(const char *p, time_t *t)
{
  uint64_t v;

  if (kc_proof_hex16(p, &v) != 0 || v > (uint64_t) INT64_MAX / 2)
    return -1;
  *t = (time_t) v;
  return 0;
}

int
kc_session_parse(const char *cookie, struct kc_session *s)
{
  const char *p = cookie;

  memset(s, 0, sizeof(*s));
  if (strlen(cookie) != KC_SESSION_COOKIE_MAX || strncmp(p, "1.", 2) != 0)
    return -1;
  p += 2;
  if (!uuid_ok(p, KC_SESSION_UUID_LEN) || p[KC_SESSION_UUID_LEN] != '.')
    return -1;
  memcpy(s->uuid, p, KC_SESSION_UUID_LEN);
  p += KC_SESSION_UUID_LEN + 1;
  if (parse_hex16(p, &s->issued) != 0 || p[16] != '.' ||
      parse_hex16(p + 17, &s->used) != 0 || p[33] != '.' ||
      parse_hex16(p + 34, &s->factor_at) != 0 || p[50] != '.') {
    memset(s, 0, sizeof(*s));
    return -1;
  }
  return 0;
}

enum kc_session_state
kc_session_check(const char *cookie, const unsigned char *key,
                 const struct kc_session_binding *b, time_t now, unsigned idle,
                 unsigned max, struct kc_session *out)
{
  unsigned char want[KC_SESSION_MAC_BYTES], got[KC_SESSION_MAC_BYTES];
  struct kc_session s;
  const char *hex;
  size_t binlen;
  int bad;

  memset(out, 0, sizeof(*out));
  if (kc_session_parse(cookie, &s) != 0 || b->stamp[0] == '\0')
    return KC_SESSION_BAD;
  hex = cookie + KC_SESSION_COOKIE_MAX - 2 * KC_SESSION_MAC_BYTES;
  if (sodium_hex2bin(got, sizeof(got), hex, 2 * KC_SESSION_MAC_BYTES, NULL,
                     &binlen, NULL) != 0 ||
      binlen != sizeof(got))
    return KC_SESSION_BAD;
  session_mac(want, key, &s, b);
  bad = sodium_memcmp(want, got, sizeof(want));
  sodium_memzero(want, sizeof(want));
  if (bad != 0)
    return KC_SESSION_BAD;
  /* the order of the times, and none from the future */
  if (s.used < s.issued || s.factor_at > s.used || s.used > now + SESSION_SKEW)
    return KC_SESSION_BAD;
  if (now - s.issued > (time_t) max)
    return KC_SESSION_EXPIRED;
  if (now - s.used > (time_t) idle)
    return KC_SESSION_IDLE;
  *out = s;
  return KC_SESSION_OK;
}

void
kc_session_csrf(char out[KC_SESSION_CSRF_LEN + 1], const unsigned char *key,
                const struct kc_session *s)
{
  unsigned char k[crypto_auth_hmacsha256_KEYBYTES];
  unsigned char mac[crypto_auth_hmacsha256_BYTES];
  crypto_auth_hmacsha256_state st;
  char b64[64];

  subkey(k, key, csrf_label, sizeof(csrf_label));
  crypto_auth_hmacsha256_init(&st, k, sizeof(k));
  put_str(&st, s->uuid);
  put_time(&st, s->issued);
  crypto_auth_hmacsha256_final(&st, mac);
  sodium_bin2base64(b64, sizeof(b64), mac, sizeof(mac),
                    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  snprintf(out, KC_SESSION_CSRF_LEN + 1, "%.*s", KC_SESSION_CSRF_LEN, b64);
  sodium_memzero(k, sizeof(k));
  sodium_memzero(&st, sizeof(st));
}

void
kc_session_new_stamp(char out[KC_SESSION_STAMP_LEN + 1])
{
  unsigned char raw[16];
  char b64[32];

  randombytes_buf(raw, sizeof(raw));
  sodium_bin2base64(b64, sizeof(b64), raw, sizeof(raw),
                    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  memcpy(out, b64, KC_SESSION_STAMP_LEN);
  out[KC_SESSION_STAMP_LEN] = '\0';
}
