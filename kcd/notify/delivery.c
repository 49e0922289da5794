/*
 * delivery.c: libcurl and libsodium start-up and the helpers the mail and
 * SMS transports share (see delivery.h).
 */
#include <config.h>

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "delivery.h"
#include "kc_err.h"

static bool
has_protocol(const curl_version_info_data *v, const char *name)
{
  const char *const *p;

  for (p = v->protocols; p != NULL && *p != NULL; p++) {
    if (strcmp(*p, name) == 0)
      return true;
  }
  return false;
}

int
kc_delivery_global_init(void)
{
  static const char *const needed[] = {"smtp", "smtps", "http", "https"};
  const curl_version_info_data *v;
  size_t i;

  if (sodium_init() < 0)
    return KC_ERR_INTERNAL;
  if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
    return KC_ERR_INTERNAL;
  v = curl_version_info(CURLVERSION_NOW);
  for (i = 0; i < sizeof(needed) / sizeof(needed[0]); i++) {
    if (v == NULL || !has_protocol(v, needed[i]))
      return KC_ERR_UNAVAILABLE;
  }
  return 0;
}

void
kc_delivery_global_cleanup(void)
{
  curl_global_cleanup();
}

CURL *
kc_delivery_curl_new(const char *protocols, long connect_timeout, long timeout)
{
  CURL *h = curl_easy_init();

  if (h == NULL)
    return NULL;
  if (curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L) != CURLE_OK ||
      curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, protocols) != CURLE_OK ||
      curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, protocols) != CURLE_OK ||
      curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L) != CURLE_OK ||
      curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, connect_timeout) !=
        CURLE_OK ||
      curl_easy_setopt(h, CURLOPT_TIMEOUT, timeout) != CURLE_OK ||
      curl_easy_setopt(h, CURLOPT_PROXY, "") != CURLE_OK ||
      curl_easy_setopt(h, CURLOPT_NETRC, (long) CURL_NETRC_IGNORED) !=
        CURLE_OK ||
      curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L) != CURLE_OK ||
      curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L) != CURLE_OK ||
      curl_easy_setopt(h, CURLOPT_NOPROGRESS, 1L) != CURLE_OK) {
    curl_easy_cleanup(h);
    return NULL;
  }
  return h;
}

void
kc_delivery_err(char *err, size_t errlen, const char *fmt, ...)
{
  va_list ap;

  if (err == NULL || errlen == 0)
    return;
  va_start(ap, fmt);
  (void) vsnprintf(err, errlen, fmt, ap);
  va_end(ap);
}

void
kc_delivery_curl_error(char *err, size_t errlen, const char *who, CURLcode rc,
                       long response)
{
  if (response != 0)
    kc_delivery_err(err, errlen, "%s: %s (server replied %ld)", who,
                    curl_easy_strerror(rc), response);
  else
    kc_delivery_err(err, errlen, "%s: %s", who, curl_easy_strerror(rc));
}

int
kc_delivery_write_all(int fd, const void *p, size_t len)
{
  const char *c = p;
  ssize_t n;

  while (len > 0) {
    n = write(fd, c, len);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0) {
      if (n == 0)
        errno = EIO;
      return KC_ERR_SYSTEM;
    }
    c += n;
    len -= (size_t) n;
  }
  return 0;
}
