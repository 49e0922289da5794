/*
 * sha1.c: SHA-1 and HMAC-SHA-1 (see sha1.h), written from FIPS 180-4
 * section 6.1 and RFC 2104.
 */
#include <config.h>

#include <string.h>

#include <sodium.h>

#include "sha1.h"

static uint32_t
rol(uint32_t x, unsigned n)
{
  return x << n | x >> (32 - n);
}

/* f and K of FIPS 180-4 4.1.1 and 4.2.1 for round t. */
static uint32_t
round_f(unsigned t, uint32_t b, uint32_t c, uint32_t d, uint32_t *k)
{
  if (t < 20) {
    *k = 0x5a827999;
    return (b & c) | (~b & d);
  }
  if (t < 40) {
    *k = 0x6ed9eba1;
    return b ^ c ^ d;
  }
  if (t < 60) {
    *k = 0x8f1bbcdc;
    return (b & c) | (b & d) | (c & d);
  }
  *k = 0xca62c1d6;
  return b ^ c ^ d;
}

static void
sha1_block(uint32_t h[5], const unsigned char *p)
{
  uint32_t w[80], a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f, k, t;
  unsigned i;

  for (i = 0; i < 16; i++)
    w[i] = (uint32_t) p[4 * i] << 24 | (uint32_t) p[4 * i + 1] << 16 |
           (uint32_t) p[4 * i + 2] << 8 | (uint32_t) p[4 * i + 3];
  for (i = 16; i < 80; i++)
    w[i] = rol(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);
  for (i = 0; i < 80; i++) {
    f = round_f(i, b, c, d, &k);
    t = rol(a, 5) + f + e + k + w[i];
    e = d;
    d = c;
    c = rol(b, 30);
    b = a;
    a = t;
  }
  h[0] += a;
  h[1] += b;
  h[2] += c;
  h[3] += d;
  h[4] += e;
  sodium_memzero(w, sizeof(w));
}

void
kc_sha1_init(struct kc_sha1 *c)
{
  static const uint32_t iv[5] = {0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476,
                                 0xc3d2e1f0};

  memcpy(c->h, iv, sizeof(iv));
  c->bytes = 0;
  c->used = 0;
}

void
kc_sha1_update(struct kc_sha1 *c, const void *data, size_t len)
{
  const unsigned char *p = data;
  size_t n;

  c->bytes += len;
  while (len > 0) {
    n = KC_SHA1_BLOCK - c->used;
    if (n > len)
      n = len;
    memcpy(c->buf + c->used, p, n);
    c->used += n;
    p += n;
    len -= n;
    if (c->used == KC_SHA1_BLOCK) {
      sha1_block(c->h, c->buf);
      c->used = 0;
    }
  }
}

void
kc_sha1_final(struct kc_sha1 *c, unsigned char out[KC_SHA1_BYTES])
{
  uint64_t bits = c->bytes * 8;
  unsigned i;

  c->buf[c->used++] = 0x80;
  if (c->used > KC_SHA1_BLOCK - 8) {
    memset(c->buf + c->used, 0, KC_SHA1_BLOCK - c->used);
    sha1_block(c->h, c->buf);
    c->used = 0;
  }
  memset(c->buf + c->used, 0, KC_SHA1_BLOCK - 8 - c->used);
  for (i = 0; i < 8; i++)
    c->buf[KC_SHA1_BLOCK - 8 + i] = (unsigned char) (bits >> (56 - 8 * i));
  sha1_block(c->h, c->buf);
  for (i = 0; i < KC_SHA1_BYTES; i++)
    out[i] = (unsigned char) (c->h[i / 4] >> (24 - 8 * (i % 4)));
  sodium_memzero(c, sizeof(*c));
}

void
kc_sha1(unsigned char out[KC_SHA1_BYTES], const void *data, size_t len)
{
  struct kc_sha1 c;

  kc_sha1_init(&c);
  kc_sha1_update(&c, data, len);
  kc_sha1_final(&c, out);
}

void
kc_hmac_sha1(unsigned char out[KC_SHA1_BYTES], const unsigned char *key,
             size_t keylen, const void *msg, size_t len)
{
  unsigned char k[KC_SHA1_BLOCK], pad[KC_SHA1_BLOCK], inner[KC_SHA1_BYTES];
  struct kc_sha1 c;
  unsigned i;

  memset(k, 0, sizeof(k));
  if (keylen > KC_SHA1_BLOCK)
    kc_sha1(k, key, keylen);
  else if (keylen > 0)
    memcpy(k, key, keylen);
  for (i = 0; i < KC_SHA1_BLOCK; i++)
    pad[i] = k[i] ^ 0x36;
  kc_sha1_init(&c);
  kc_sha1_update(&c, pad, sizeof(pad));
  kc_sha1_update(&c, msg, len);
  kc_sha1_final(&c, inner);
  for (i = 0; i < KC_SHA1_BLOCK; i++)
    pad[i] = k[i] ^ 0x5c;
  kc_sha1_init(&c);
  kc_sha1_update(&c, pad, sizeof(pad));
  kc_sha1_update(&c, inner, sizeof(inner));
  kc_sha1_final(&c, out);
  sodium_memzero(k, sizeof(k));
  sodium_memzero(pad, sizeof(pad));
  sodium_memzero(inner, sizeof(inner));
}
