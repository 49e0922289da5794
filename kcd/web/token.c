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
