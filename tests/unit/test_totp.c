/* Unit tests for kcd/auth/sha1.c and kcd/auth/totp.c: SHA-1, HMAC-SHA-1,
 * HOTP, TOTP, base32, typed codes, recovery codes, the sealed secret. */
#include <config.h>

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "kc_buf.h"
#include "kc_err.h"
#include "factor.h"
#include "sha1.h"
#include "totp.h"

static const unsigned char key[32] = "0123456789abcdef0123456789abcde";
static const unsigned char other_key[32] = "fedcba9876543210fedcba987654321";
static const char uuid[] = "0f4c2a1e-7b7d-103f-9d7e-4f1c2a3b4c5d";
static const char other_uuid[] = "0f4c2a1e-7b7d-103f-9d7e-4f1c2a3b4c5e";
/* RFC 4226 appendix D and RFC 6238 appendix B (SHA-1) */
static const unsigned char rfc_secret[] = "12345678901234567890";

static void
hex(char *out, const unsigned char *p, size_t len)
{
  sodium_bin2hex(out, 2 * len + 1, p, len);
}

/* ------------------------------------------------------------------ SHA-1 */

/* FIPS 180-4 examples (NIST CSRC "SHA1.pdf", "SHA1_2.pdf") and the
 * empty message. */
START_TEST(test_totp_sha1_fips)
{
  static const struct {
    const char *msg, *digest;
  } v[] = {
    {"abc", "a9993e364706816aba3e25717850c26c9cd0d89d"},
    {"", "da39a3ee5e6b4b0d3255bfef95601890afd80709"},
    {"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
     "84983e441c3bd26ebaae4aa1f95129e5e54670f1"},
    {"abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmn"
     "hijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu",
     "a49b2446a02c645bf419f995b67091253a04a259"},
  };
  unsigned char d[KC_SHA1_BYTES];
  char h[2 * KC_SHA1_BYTES + 1];
  size_t i;

  for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
    kc_sha1(d, v[i].msg, strlen(v[i].msg));
    hex(h, d, sizeof(d));
    ck_assert_str_eq(h, v[i].digest);
  }
}
END_TEST

/* One million 'a' fed in uneven pieces: block boundaries and padding. */
START_TEST(test_totp_sha1_million)
{
  static char a[997];
  struct kc_sha1 c;
  unsigned char d[KC_SHA1_BYTES];
  char h[2 * KC_SHA1_BYTES + 1];
  size_t left = 1000000, n;

  memset(a, 'a', sizeof(a));
  kc_sha1_init(&c);
  while (left > 0) {
    n = left < sizeof(a) ? left : sizeof(a);
    kc_sha1_update(&c, a, n);
    left -= n;
  }
  kc_sha1_final(&c, d);
  hex(h, d, sizeof(d));
  ck_assert_str_eq(h, "34aa973cd4c4daa4f61eeb2bdbad27316534016f");
}
END_TEST

/* Padding edges: 55, 56, 63, 64 and 65 bytes, one call against bytewise. */
START_TEST(test_totp_sha1_split)
{
  unsigned char msg[130], d1[KC_SHA1_BYTES], d2[KC_SHA1_BYTES];
  struct kc_sha1 c;
  size_t len, i;

  for (i = 0; i < sizeof(msg); i++)
    msg[i] = (unsigned char) (i * 7 + 1);
  for (len = 0; len <= sizeof(msg); len++) {
    kc_sha1(d1, msg, len);
    kc_sha1_init(&c);
    for (i = 0; i < len; i++)
      kc_sha1_update(&c, msg + i, 1);
    kc_sha1_final(&c, d2);
    ck_assert_mem_eq(d1, d2, sizeof(d1));
  }
}
END_TEST

/* RFC 2202 section 3, cases 1, 2 and 6 (a key longer than a block). */
START_TEST(test_totp_hmac_sha1_rfc2202)
{
  unsigned char k1[20], k6[80], d[KC_SHA1_BYTES];
  char h[2 * KC_SHA1_BYTES + 1];
  static const char m6[] =
    "Test Using Larger Than Block-Size Key - Hash Key First";

  memset(k1, 0x0b, sizeof(k1));
  kc_hmac_sha1(d, k1, sizeof(k1), "Hi There", 8);
  hex(h, d, sizeof(d));
  ck_assert_str_eq(h, "b617318655057264e28bc0b6fb378c8ef146be00");
  kc_hmac_sha1(d, (const unsigned char *) "Jefe", 4,
               "what do ya want for nothing?", 28);
  hex(h, d, sizeof(d));
  ck_assert_str_eq(h, "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79");
  memset(k6, 0xaa, sizeof(k6));
  kc_hmac_sha1(d, k6, sizeof(k6), m6, strlen(m6));
  hex(h, d, sizeof(d));
  ck_assert_str_eq(h, "aa4ae5e15272d00e95705637ce8a3b55ed402112");
}
END_TEST

/* ------------------------------------------------------------ HOTP, TOTP */

START_TEST(test_totp_hotp_rfc4226)
{
  static const uint32_t want[10] = {755224, 287082, 359152, 969429, 338314,
                                    254676, 287922, 162583, 399871, 520489};
  uint64_t i;

  for (i = 0; i < 10; i++)
    ck_assert_uint_eq(kc_totp_hotp(rfc_secret, 20, i, 6), want[i]);
}
END_TEST

START_TEST(test_totp_rfc6238)
{
  static const struct {
    time_t t;
    uint32_t code8;
  } v[] = {
    {59, 94287082},         {1111111109, 7081804},  {1111111111, 14050471},
    {1234567890, 89005924}, {2000000000, 69279037},
  };
  uint64_t step;
  size_t i;

  for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
    step = kc_totp_step(v[i].t);
    ck_assert_uint_eq(kc_totp_hotp(rfc_secret, 20, step, 8), v[i].code8);
    /* the 6-digit code is the last six of the eight */
    ck_assert_uint_eq(kc_totp_hotp(rfc_secret, 20, step, 6),
                      v[i].code8 % 1000000);
    ck_assert_int_eq(kc_totp_check(rfc_secret, v[i].code8 % 1000000, v[i].t,
                                   &step),
                     0);
    ck_assert_uint_eq(step, kc_totp_step(v[i].t));
  }
  /* the last vector is past 2038: only where time_t is 64 bits */
  if (sizeof(time_t) >= 8) {
    step = kc_totp_step((time_t) 20000000000LL);
    ck_assert_uint_eq(step, 0x27bc86aaU);
    ck_assert_uint_eq(kc_totp_hotp(rfc_secret, 20, step, 8), 65353130);
    ck_assert_uint_eq(kc_totp_hotp(rfc_secret, 20, step, 6), 353130);
  }
  ck_assert_uint_eq(kc_totp_step(-5), 0);
  ck_assert_uint_eq(kc_totp_step(29), 0);
  ck_assert_uint_eq(kc_totp_step(30), 1);
}
END_TEST

/* ±1 step: the neighbours pass and say which step they were, two away
 * do not; the edges of a step are its first and last second. */
START_TEST(test_totp_window)
{
  const time_t t0 = 30 * 1000; /* the first second of step 1000 */
  uint64_t step = 99;
  uint32_t c;
  int d;

  for (d = -2; d <= 2; d++) {
    c = kc_totp_hotp(rfc_secret, 20, (uint64_t) (1000 + d), 6);
    if (d >= -1 && d <= 1) {
      ck_assert_int_eq(kc_totp_check(rfc_secret, c, t0, &step), 0);
      ck_assert_uint_eq(step, (uint64_t) (1000 + d));
      ck_assert_int_eq(kc_totp_check(rfc_secret, c, t0 + 29, &step), 0);
      ck_assert_uint_eq(step, (uint64_t) (1000 + d));
    } else {
      ck_assert_int_eq(kc_totp_check(rfc_secret, c, t0, &step), -1);
      ck_assert_uint_eq(step, 0);
      ck_assert_int_eq(kc_totp_check(rfc_secret, c, t0 + 29, &step), -1);
    }
  }
  /* the code of step 1001 stops at the end of step 1002 */
  c = kc_totp_hotp(rfc_secret, 20, 1001, 6);
  ck_assert_int_eq(kc_totp_check(rfc_secret, c, 30 * 1002 + 29, &step), 0);
  ck_assert_int_eq(kc_totp_check(rfc_secret, c, 30 * 1003, &step), -1);
  /* and starts at the start of step 1000 */
  ck_assert_int_eq(kc_totp_check(rfc_secret, c, 30 * 1000 - 1, &step), -1);
  ck_assert_int_eq(kc_totp_check(rfc_secret, c, 30 * 1000, &step), 0);
  /* step 0 has no step before it */
  c = kc_totp_hotp(rfc_secret, 20, 0, 6);
  ck_assert_int_eq(kc_totp_check(rfc_secret, c, 0, &step), 0);
  ck_assert_uint_eq(step, 0);
  ck_assert_int_eq(kc_totp_check(rfc_secret, 1000000, 0, &step), -1);
}
END_TEST

START_TEST(test_totp_code_parse)
{
  static const char *bad[] = {
    "",        "12345",   "1234567",  "123  456",
    " 123456", "123456 ", "123-456",  "12 3456",
    "1234 56", "12345a",  "１23456",  "123\t456",
    "+12345",  "-12345",  "123456\n", "1234567890123456789",
    "abcdef",  "123 45",  "12 345",   "123 4567",
  };
  uint32_t c = 7;
  size_t i;

  ck_assert_int_eq(kc_totp_code_parse("123456", &c), 0);
  ck_assert_uint_eq(c, 123456);
  ck_assert_int_eq(kc_totp_code_parse("123 456", &c), 0);
  ck_assert_uint_eq(c, 123456);
  ck_assert_int_eq(kc_totp_code_parse("000000", &c), 0);
  ck_assert_uint_eq(c, 0);
  ck_assert_int_eq(kc_totp_code_parse("999 999", &c), 0);
  ck_assert_uint_eq(c, 999999);
  for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    c = 7;
    ck_assert_msg(kc_totp_code_parse(bad[i], &c) == KC_ERR_INVALID,
                  "accepted \"%s\"", bad[i]);
    ck_assert_uint_eq(c, 0);
  }
}
END_TEST

/* ---------------------------------------------------------------- base32 */

START_TEST(test_totp_base32_rfc4648)
{
  static const char *v[][2] = {
    {"", ""},
    {"f", "MY"},
    {"fo", "MZXQ"},
    {"foo", "MZXW6"},
    {"foob", "MZXW6YQ"},
    {"fooba", "MZXW6YTB"},
    {"foobar", "MZXW6YTBOI"},
  };
  struct kc_buf b;
  unsigned char out[16];
  size_t i, n;

  kc_buf_init(&b, 64);
  for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
    kc_buf_reset(&b);
    ck_assert_int_eq(kc_totp_b32_encode(&b, (const unsigned char *) v[i][0],
                                        strlen(v[i][0])),
                     0);
    ck_assert_str_eq(kc_buf_get(&b), v[i][1]);
    ck_assert_int_eq(kc_totp_b32_decode(out, sizeof(out), &n, v[i][1]), 0);
    ck_assert_uint_eq(n, strlen(v[i][0]));
    ck_assert_mem_eq(out, v[i][0], n);
  }
  kc_buf_reset(&b);
  ck_assert_int_eq(kc_totp_b32_encode(&b, rfc_secret, 20), 0);
  ck_assert_str_eq(kc_buf_get(&b), "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
  kc_buf_free(&b);
}
END_TEST

START_TEST(test_totp_base32_lenient)
{
  unsigned char out[KC_TOTP_SECRET_BYTES], small[3];
  size_t n;

  /* padded, lower case, grouped as apps show it */
  ck_assert_int_eq(kc_totp_b32_decode(out, sizeof(out), &n, "MZXW6YQ="), 0);
  ck_assert_uint_eq(n, 4);
  ck_assert_mem_eq(out, "foob", 4);
  ck_assert_int_eq(kc_totp_b32_decode(out, sizeof(out), &n,
                                      "gezd gnbv gy3t qojq-gezd gnbv gy3t "
                                      "qojq"),
                   0);
  ck_assert_uint_eq(n, 20);
  ck_assert_mem_eq(out, rfc_secret, 20);
  /* no such character, text after padding, impossible lengths */
  ck_assert_int_eq(kc_totp_b32_decode(out, sizeof(out), &n, "MZXW1"),
                   KC_ERR_INVALID);
  ck_assert_int_eq(kc_totp_b32_decode(out, sizeof(out), &n, "MZ=XW"),
                   KC_ERR_INVALID);
  ck_assert_int_eq(kc_totp_b32_decode(out, sizeof(out), &n, "M"),
                   KC_ERR_INVALID);
  ck_assert_int_eq(kc_totp_b32_decode(out, sizeof(out), &n, "MZX"),
                   KC_ERR_INVALID);
  ck_assert_int_eq(kc_totp_b32_decode(out, sizeof(out), &n, "MZXW6Y"),
                   KC_ERR_INVALID);
  ck_assert_int_eq(kc_totp_b32_decode(small, sizeof(small), &n, "MZXW6YQ"),
                   KC_ERR_TOO_LARGE);
  ck_assert_uint_eq(n, 0);
}
END_TEST

START_TEST(test_totp_base32_roundtrip)
{
  unsigned char in[64], out[64];
  struct kc_buf b;
  size_t len, n;

  randombytes_buf(in, sizeof(in));
  kc_buf_init(&b, 128);
  for (len = 0; len <= sizeof(in); len++) {
    kc_buf_reset(&b);
    ck_assert_int_eq(kc_totp_b32_encode(&b, in, len), 0);
    ck_assert_uint_eq(kc_buf_len(&b), (len * 8 + 4) / 5);
    ck_assert_int_eq(kc_totp_b32_decode(out, sizeof(out), &n, kc_buf_get(&b)),
                     0);
    ck_assert_uint_eq(n, len);
    ck_assert_mem_eq(out, in, len);
  }
  kc_buf_free(&b);
}
END_TEST

/* ----------------------------------------------------------- otpauth URI */

START_TEST(test_totp_uri)
{
  struct kc_buf b;

  kc_buf_init(&b, KC_MAX_TOTP_URI);
  ck_assert_int_eq(kc_totp_uri(&b, "Kundencenter Süd", "m.muster", rfc_secret),
                   0);
  ck_assert_str_eq(kc_buf_get(&b),
                   "otpauth://totp/Kundencenter%20S%C3%BCd:m.muster"
                   "?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
                   "&issuer=Kundencenter%20S%C3%BCd"
                   "&algorithm=SHA1&digits=6&period=30");
  kc_buf_free(&b);
  ck_assert_int_eq(kc_totp_uri(&b, "A:B&c", "x?y", rfc_secret), 0);
  ck_assert_str_eq(kc_buf_get(&b),
                   "otpauth://totp/A%3AB%26c:x%3Fy"
                   "?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
                   "&issuer=A%3AB%26c&algorithm=SHA1&digits=6&period=30");
  kc_buf_free(&b);
  ck_assert_int_eq(kc_totp_uri(&b, "", "u", rfc_secret), KC_ERR_INVALID);
  ck_assert_int_eq(kc_totp_uri(&b, "i", "", rfc_secret), KC_ERR_INVALID);
  kc_buf_init(&b, 40);
  ck_assert_int_eq(kc_totp_uri(&b, "issuer", "user", rfc_secret),
                   KC_ERR_TOO_LARGE);
  ck_assert_uint_eq(kc_buf_len(&b), 0);
  kc_buf_free(&b);
}
END_TEST

/* --------------------------------------------------------- sealed secret */

START_TEST(test_totp_seal_roundtrip)
{
  unsigned char secret[KC_TOTP_SECRET_BYTES], got[KC_TOTP_SECRET_BYTES];
  char s1[KC_TOTP_SEALED_LEN + 1], s2[KC_TOTP_SEALED_LEN + 1];

  kc_totp_secret_new(secret, NULL);
  ck_assert_int_eq(kc_totp_seal(s1, key, secret, uuid), 0);
  ck_assert_uint_eq(strlen(s1), KC_TOTP_SEALED_LEN);
  ck_assert_int_eq(strncmp(s1, "v1:", 3), 0);
  ck_assert_int_eq(kc_totp_unseal(got, key, s1, uuid), 0);
  ck_assert_mem_eq(got, secret, sizeof(secret));
  /* a fresh nonce each time */
  ck_assert_int_eq(kc_totp_seal(s2, key, secret, uuid), 0);
  ck_assert_str_ne(s1, s2);
  ck_assert_int_eq(kc_totp_unseal(got, key, s2, uuid), 0);
  ck_assert_mem_eq(got, secret, sizeof(secret));
  ck_assert_int_eq(kc_totp_seal(s1, key, secret, ""), KC_ERR_INVALID);
  ck_assert_str_eq(s1, "");
}
END_TEST

static void
assert_zero(const unsigned char *p, size_t len)
{
  ck_assert(sodium_is_zero(p, len));
}

START_TEST(test_totp_seal_refuses)
{
  unsigned char secret[KC_TOTP_SECRET_BYTES], got[KC_TOTP_SECRET_BYTES];
  char s[KC_TOTP_SEALED_LEN + 1], t[KC_TOTP_SEALED_LEN + 1];
  size_t i;

  memset(secret, 0x5a, sizeof(secret));
  ck_assert_int_eq(kc_totp_seal(s, key, secret, uuid), 0);
  /* another account, another key */
  ck_assert_int_eq(kc_totp_unseal(got, key, s, other_uuid), KC_ERR_FORGED);
  assert_zero(got, sizeof(got));
  ck_assert_int_eq(kc_totp_unseal(got, other_key, s, uuid), KC_ERR_FORGED);
  assert_zero(got, sizeof(got));
  /* every character changed to another valid one: nonce, text, tag */
  for (i = 3; i < KC_TOTP_SEALED_LEN; i++) {
    memcpy(t, s, sizeof(t));
    t[i] = t[i] == 'A' ? 'B' : 'A';
    ck_assert_int_eq(kc_totp_unseal(got, key, t, uuid), KC_ERR_FORGED);
    assert_zero(got, sizeof(got));
  }
  /* shape and version */
  memcpy(t, s, sizeof(t));
  t[1] = '2';
  ck_assert_int_eq(kc_totp_unseal(got, key, t, uuid), KC_ERR_VERSION);
  ck_assert_int_eq(kc_totp_unseal(got, key, "", uuid), KC_ERR_VERSION);
  ck_assert_int_eq(kc_totp_unseal(got, key, "v1:", uuid), KC_ERR_INVALID);
  memcpy(t, s, sizeof(t));
  t[KC_TOTP_SEALED_LEN - 1] = '\0';
  ck_assert_int_eq(kc_totp_unseal(got, key, t, uuid), KC_ERR_INVALID);
  memcpy(t, s, sizeof(t));
  t[10] = '*';
  ck_assert_int_eq(kc_totp_unseal(got, key, t, uuid), KC_ERR_INVALID);
  ck_assert_int_eq(kc_totp_unseal(got, key, s, ""), KC_ERR_INVALID);
  assert_zero(got, sizeof(got));
  ck_assert_str_ne(kc_strerror(KC_ERR_FORGED), "unknown error");
}
END_TEST

/* -------------------------------------------------------- recovery codes */

/* A deterministic source: a counter through SHA-1. */
struct det_rng {
  unsigned n;
};

static void
det_random(void *ctx, void *buf, size_t len)
{
  struct det_rng *r = ctx;
  unsigned char d[KC_SHA1_BYTES], *p = buf;
  size_t k;

  while (len > 0) {
    kc_sha1(d, &r->n, sizeof(r->n));
    r->n++;
    k = len < sizeof(d) ? len : sizeof(d);
    memcpy(p, d, k);
    p += k;
    len -= k;
  }
}

/* Always the same bytes: a broken source. */
static void
stuck_random(void *ctx, void *buf, size_t len)
{
  (void) ctx;
  memset(buf, 0x07, len);
}

START_TEST(test_totp_recovery_generate)
{
  char codes[KC_RECOVERY_COUNT][KC_RECOVERY_SHOWN_LEN + 1];
  char norm[KC_RECOVERY_CHARS + 1];
  struct det_rng rng = {0};
  struct kc_tan_env env = {NULL, det_random, &rng};
  struct kc_tan_env stuck = {NULL, stuck_random, NULL};
  size_t i, j;

  ck_assert_int_eq(kc_recovery_generate(codes, &env), 0);
  for (i = 0; i < KC_RECOVERY_COUNT; i++) {
    ck_assert_uint_eq(strlen(codes[i]), KC_RECOVERY_SHOWN_LEN);
    ck_assert_int_eq(codes[i][4], '-');
    ck_assert_int_eq(codes[i][9], '-');
    for (j = 0; j < KC_RECOVERY_SHOWN_LEN; j++)
      if (j != 4 && j != 9)
        ck_assert_ptr_nonnull(strchr(KC_RECOVERY_ALPHABET, codes[i][j]));
    for (j = 0; j < i; j++)
      ck_assert_str_ne(codes[i], codes[j]);
    ck_assert_int_eq(kc_recovery_normalise(norm, codes[i]), 0);
  }
  /* the library's own source */
  ck_assert_int_eq(kc_recovery_generate(codes, NULL), 0);
  /* no 0 O 1 I L in the alphabet */
  ck_assert_ptr_null(strpbrk(KC_RECOVERY_ALPHABET, "0O1IL"));
  /* a stuck source repeats itself: refused, not an endless loop */
  ck_assert_int_eq(kc_recovery_generate(codes, &stuck), KC_ERR_INTERNAL);
  ck_assert_str_eq(codes[0], "");
}
END_TEST

START_TEST(test_totp_recovery_normalise)
{
  static const char *good[] = {
    "7KQ2-M9XD-4F",   "7kq2-m9xd-4f",        "7KQ2M9XD4F",     "7kq2 m9xd 4f",
    " 7KQ2-M9XD-4F ", "7-K-Q-2-M-9-X-D-4-F", "7KQ2\tM9XD\t4F",
  };
  static const char *bad[] = {
    "",
    "7KQ2-M9XD-4",
    "7KQ2-M9XD-4FF",
    "0KQ2-M9XD-4F",
    "7KQ2-M9XD-4O",
    "7KQ2_M9XD_4F",
    "7KQ2-M9XD-4F\n",
    "ÄKQ2-M9XD-4F",
    "7KQ2-M9XD-4F-------------------------------------------------------",
  };
  char out[KC_RECOVERY_CHARS + 1];
  size_t i;

  for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
    ck_assert_msg(kc_recovery_normalise(out, good[i]) == 0, "refused \"%s\"",
                  good[i]);
    ck_assert_str_eq(out, "7KQ2M9XD4F");
  }
  for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    ck_assert_msg(kc_recovery_normalise(out, bad[i]) == KC_ERR_INVALID,
                  "accepted \"%s\"", bad[i]);
    ck_assert_str_eq(out, "");
  }
}
END_TEST

START_TEST(test_totp_recovery_hash)
{
  char h1[KC_RECOVERY_HASH_LEN + 1], h2[KC_RECOVERY_HASH_LEN + 1];
  unsigned char sub[32], mac[32];
  char want[KC_RECOVERY_HASH_LEN + 1];
  static const char label[] = "kc-recovery-code-v1";

  ck_assert_int_eq(kc_recovery_hash(h1, key, "7KQ2-M9XD-4F"), 0);
  ck_assert_uint_eq(strlen(h1), KC_RECOVERY_HASH_LEN);
  ck_assert_int_eq(kc_recovery_hash(h2, key, "7kq2 m9xd 4f"), 0);
  ck_assert_str_eq(h1, h2);
  /* HMAC-SHA-256 of the canonical code under the derived key */
  crypto_auth_hmacsha256(sub, (const unsigned char *) label, sizeof(label),
                         key);
  crypto_auth_hmacsha256(mac, (const unsigned char *) "7KQ2M9XD4F", 10, sub);
  sodium_bin2hex(want, sizeof(want), mac, sizeof(mac));
  ck_assert_str_eq(h1, want);
  ck_assert_int_eq(kc_recovery_hash(h2, other_key, "7KQ2-M9XD-4F"), 0);
  ck_assert_str_ne(h1, h2);
  ck_assert_int_eq(kc_recovery_hash(h2, key, "7KQ2-M9XD-4G"), 0);
  ck_assert_str_ne(h1, h2);
  ck_assert_int_eq(kc_recovery_hash(h2, key, "7KQ2-M9XD"), KC_ERR_INVALID);
  ck_assert_str_eq(h2, "");
}
END_TEST

/* Which answers are recovery codes (factor.c): by shape alone, so that no
 * TAN or app code is ever taken for one, and inline mode only the shown
 * form. */
START_TEST(test_totp_factor_kind)
{
  static const char *const recovery[] = {"7KQ2-M9XD-4F", "7kq2m9xd4f",
                                         "7KQ2 M9XD 4F", "7Kq2-m9Xd-4f"};
  static const char *const other[] = {"123456", "123 456", "12345678",
                                      "1234567890", "7KQ2-M9XD-4",
                                      "7KQ2-M9XD-4FF", "0KQ2-M9XD-4F", ""};
  size_t i;

  for (i = 0; i < sizeof(recovery) / sizeof(recovery[0]); i++)
    ck_assert_msg(kc_factor_is_recovery(recovery[i]), "%s", recovery[i]);
  for (i = 0; i < sizeof(other) / sizeof(other[0]); i++)
    ck_assert_msg(!kc_factor_is_recovery(other[i]), "%s", other[i]);
  ck_assert(kc_factor_is_recovery_shown("7KQ2-M9XD-4F"));
  ck_assert(kc_factor_is_recovery_shown("7kq2-m9xd-4f"));
  ck_assert(!kc_factor_is_recovery_shown("7KQ2M9XD4F"));
  ck_assert(!kc_factor_is_recovery_shown("7KQ2 M9XD 4F"));
  ck_assert(!kc_factor_is_recovery_shown("7KQ-2M9XD-4F"));
  ck_assert(!kc_factor_is_recovery_shown("x7KQ2-M9XD-4F"));
  /* a 10-digit tail is no TAN (6..8) and, with 0 and 1, no code either */
  ck_assert(!kc_factor_is_recovery_shown("1234-5678-90"));
}
END_TEST

static time_t enrol_clock;

static time_t
enrol_now(void *ctx)
{
  (void) ctx;
  return enrol_clock;
}

/* A secret in an enrolment form (factor.c): it opens for the bind it was
 * made for, for one to two KC_FACTOR_ENROL_TTL, and never as a stored
 * kcTotpSecret of the account; a code confirms against it. */
START_TEST(test_totp_factor_enrol_form)
{
  unsigned char k[KC_TAN_KEY_BYTES], secret[KC_TOTP_SECRET_BYTES];
  unsigned char got[KC_TOTP_SECRET_BYTES];
  char sealed[KC_TOTP_SEALED_LEN + 1], code[8];
  struct kc_tan_env env = {enrol_now, NULL, NULL};
  struct kc_tanflow f = {NULL, k, NULL, &env};
  uint64_t step;

  memset(k, 7, sizeof(k));
  enrol_clock = 1765100000; /* some hour, 1400 s into it */
  ck_assert_int_eq(kc_factor_totp_new(&f, secret, sealed, uuid), 0);
  ck_assert_int_eq(kc_factor_totp_open(&f, sealed, uuid, got), 0);
  ck_assert(memcmp(got, secret, sizeof(got)) == 0);
  /* not for another bind, and not as the stored value of the account */
  ck_assert_int_eq(kc_factor_totp_open(&f, sealed, "reg:other", got),
                   KC_ERR_FORGED);
  ck_assert_int_eq(kc_totp_unseal(got, k, sealed, uuid), KC_ERR_FORGED);
  /* a code of now confirms, a wrong one does not */
  snprintf(code, sizeof(code), "%06u",
           kc_totp_hotp(secret, sizeof(secret), kc_totp_step(enrol_clock), 6));
  ck_assert_int_eq(kc_factor_totp_confirm(&f, sealed, uuid, code, &step, NULL),
                   0);
  ck_assert_uint_eq(step, kc_totp_step(enrol_clock));
  code[0] = code[0] == '9' ? '0' : (char) (code[0] + 1);
  ck_assert_int_eq(kc_factor_totp_confirm(&f, sealed, uuid, code, &step, NULL),
                   KC_ERR_DENIED);
  /* the next hour still opens it; two hours on, it is gone */
  enrol_clock += KC_FACTOR_ENROL_TTL;
  ck_assert_int_eq(kc_factor_totp_open(&f, sealed, uuid, got), 0);
  enrol_clock += KC_FACTOR_ENROL_TTL;
  ck_assert_int_eq(kc_factor_totp_open(&f, sealed, uuid, got), KC_ERR_FORGED);
}
END_TEST

static Suite *
totp_suite(void)
{
  Suite *s = suite_create("totp");
  TCase *tc = tcase_create("core");

  tcase_add_test(tc, test_totp_sha1_fips);
  tcase_add_test(tc, test_totp_sha1_million);
  tcase_add_test(tc, test_totp_sha1_split);
  tcase_add_test(tc, test_totp_hmac_sha1_rfc2202);
  tcase_add_test(tc, test_totp_hotp_rfc4226);
  tcase_add_test(tc, test_totp_rfc6238);
  tcase_add_test(tc, test_totp_window);
  tcase_add_test(tc, test_totp_code_parse);
  tcase_add_test(tc, test_totp_base32_rfc4648);
  tcase_add_test(tc, test_totp_base32_lenient);
  tcase_add_test(tc, test_totp_base32_roundtrip);
  tcase_add_test(tc, test_totp_uri);
  tcase_add_test(tc, test_totp_seal_roundtrip);
  tcase_add_test(tc, test_totp_seal_refuses);
  tcase_add_test(tc, test_totp_recovery_generate);
  tcase_add_test(tc, test_totp_recovery_normalise);
  tcase_add_test(tc, test_totp_recovery_hash);
  tcase_add_test(tc, test_totp_factor_kind);
  tcase_add_test(tc, test_totp_factor_enrol_form);
  suite_add_tcase(s, tc);
  return s;
}

int
main(void)
{
  SRunner *sr;
  int failed;

  if (sodium_init() < 0)
    return EXIT_FAILURE;
  sr = srunner_create(totp_suite());
  srunner_run_all(sr, CK_NORMAL);
  failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
