/*
 * token.c: the stored form of an activation token (kc_http_token_hash in
 * http.h).
 */
#include <config.h>

#include <string.h>

#include <sodium.h>

#include "http.h"

void
kc_http_token_hash(const char *token, char out[64])
{
  unsigned char h[crypto_hash_sha256_BYTES];

  crypto_hash_sha256(h, (const unsigned char *) token, strlen(token));
  sodium_bin2base64(out, 64, h, sizeof(h), sodium_base64_VARIANT_ORIGINAL);
}

void
kc_http_token_new(char *out, size_t outlen, size_t bytes)
{
  unsigned char raw[32];

  if (bytes > sizeof(raw))
    bytes = sizeof(raw);
  randombytes_buf(raw, bytes);
  sodium_bin2base64(out, outlen, raw, bytes,
                    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  sodium_memzero(raw, sizeof(raw));
}
