/*
 * sha1.h: SHA-1 (FIPS 180-4) and HMAC-SHA-1 (RFC 2104), for TOTP only.
 *
 * RFC 6238 authenticator apps compute HMAC-SHA-1, and libsodium has no
 * SHA-1, so kcd carries this small one. SHA-1's collision weakness does
 * not touch HMAC-SHA-1 as the PRF of HOTP (RFC 4226 appendix A); use it
 * for nothing else. Pure and thread-safe; the state is the caller's and
 * is wiped by kc_sha1_final().
 */
#ifndef KC_SHA1_H
#define KC_SHA1_H

#include <stddef.h>
#include <stdint.h>

#include "kc_attrs.h"

#define KC_SHA1_BYTES 20
#define KC_SHA1_BLOCK 64

struct kc_sha1 {
  uint32_t h[5];
  uint64_t bytes;                   /* message length so far */
  unsigned char buf[KC_SHA1_BLOCK]; /* a partial block */
  size_t used;                      /* bytes in buf */
};

void kc_sha1_init(struct kc_sha1 *c) KC_NONNULL(1);
void kc_sha1_update(struct kc_sha1 *c, const void *data, size_t len)
  KC_NONNULL(1);
/* Write the digest and wipe the state. */
void kc_sha1_final(struct kc_sha1 *c, unsigned char out[KC_SHA1_BYTES])
  KC_NONNULL(1, 2);

/* The digest of len bytes at data in one call. */
void kc_sha1(unsigned char out[KC_SHA1_BYTES], const void *data, size_t len)
  KC_NONNULL(1);

/* HMAC-SHA-1 of msg under key (any length; a key longer than a block is
 * hashed first, as RFC 2104 says). Wipes its intermediate state. */
void kc_hmac_sha1(unsigned char out[KC_SHA1_BYTES], const unsigned char *key,
                  size_t keylen, const void *msg, size_t len) KC_NONNULL(1);

#endif /* KC_SHA1_H */
