/*
 * url.h: the URL grammar kcd.conf checks its URL keys against (ldap_uri,
 * public_url, login_url, transports, origins). Pure; no allocation, no
 * logging.
 */
#ifndef KC_URL_H
#define KC_URL_H

#include <stdbool.h>

#include "kc_attrs.h"

/* What a URL may look like for one key (the rows are in conf.c). */
struct kc_url_rule {
  const char *const *schemes; /* NULL-terminated, without "://" */
  const char *what;           /* for messages */
  bool empty_host;            /* ldap:/// and ldapi:// */
  bool slash_only;            /* only "/" may follow the authority */
  bool path;                  /* a /path may follow */
  bool query;                 /* the path may carry ?query */
  bool drop_slash;            /* drop one trailing "/" (base URLs) */
};

/* True when v is scheme://authority[rest] with a scheme of u, an
 * authority of host[:port] (a bracketed IPv6 literal, or host characters;
 * empty only when u allows it; no user info: credentials belong in secret
 * files) and what u allows after it: nothing, "/", or a /path of printable
 * ASCII (RFC 3986 minus '#'), with a ?query when u allows one. */
bool kc_url_valid(const char *v, const struct kc_url_rule *u) KC_NONNULL(1, 2);

#endif /* KC_URL_H */
