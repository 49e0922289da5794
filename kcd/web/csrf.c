/*
 * csrf.c: the CSRF field of a form, bound to the kc_csrf cookie by an HMAC
 * under the secret key (kc_http_csrf_field, kc_http_csrf_check in http.h).
 */
#include <config.h>

#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "http.h"

/* field = base64url(HMAC-SHA-256(key, "csrf:" cookie)), first 32 chars */
static void
csrf_for(const struct kc_http *h, const char *cookie, char *out, size_t outlen)
{
  unsigned char mac[crypto_auth_hmacsha256_BYTES];
  crypto_auth_hmacsha256_state st;
  char b64[64];

  crypto_auth_hmacsha256_init(&st, kc_http_cfg(h)->key, 32);
  crypto_auth_hmacsha256_update(&st, (const unsigned char *) "csrf:", 5);
  crypto_auth_hmacsha256_update(&st, (const unsigned char *) cookie,
                                strlen(cookie));
  crypto_auth_hmacsha256_final(&st, mac);
  sodium_bin2base64(b64, sizeof(b64), mac, sizeof(mac),
                    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  snprintf(out, outlen, "%.32s", b64);
}

void
kc_http_csrf_field(const struct kc_http_req *req, struct kc_http_resp *resp,
                   char *out, size_t outlen)
{
  unsigned char raw[18];
  char cookie[32];

  if (req->csrf_cookie[0] != '\0') {
    csrf_for(req->http, req->csrf_cookie, out, outlen);
    return;
  }
  randombytes_buf(raw, sizeof(raw));
  sodium_bin2base64(cookie, sizeof(cookie), raw, sizeof(raw),
                    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  /* Secure once the portal is served over https (TLS ends at the proxy) */
  snprintf(resp->set_cookie, sizeof(resp->set_cookie),
           "kc_csrf=%s; Path=/; HttpOnly; SameSite=Strict%s", cookie,
           kc_http_cfg(req->http)->public_url != NULL &&
               strncmp(kc_http_cfg(req->http)->public_url, "https:", 6) == 0
             ? "; Secure"
             : "");
  csrf_for(req->http, cookie, out, outlen);
}

int
kc_http_csrf_check(const struct kc_http_req *req)
{
  const char *field = kc_form_get(&req->body, "csrf");
  char want[40];

  if (field == NULL || req->csrf_cookie[0] == '\0')
    return -1;
  csrf_for(req->http, req->csrf_cookie, want, sizeof(want));
  if (strlen(field) != strlen(want) ||
      sodium_memcmp(field, want, strlen(want)) != 0)
    return -1;
  return 0;
}
