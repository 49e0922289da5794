/*
 * url.c: the URL grammar of kcd.conf (see url.h).
 */
#include <config.h>

#include <arpa/inet.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "kc_str.h"
#include "url.h"

static bool
is_host_char(char ch)
{
  return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
         (ch >= '0' && ch <= '9') || ch == '.' || ch == '-' || ch == '_' ||
         ch == '~' || ch == '%';
}

static bool
url_scheme(const char **p, const char *const *schemes)
{
  size_t n;

  for (; *schemes != NULL; schemes++) {
    n = strlen(*schemes);
    if (strncmp(*p, *schemes, n) == 0 && strncmp(*p + n, "://", 3) == 0) {
      *p += n + 3;
      return true;
    }
  }
  return false;
}

/* A bracketed IPv6 literal. */
static bool
url_ipv6(const char **p)
{
  const char *end = strchr(*p, ']');
  char addr[INET6_ADDRSTRLEN];
  struct in6_addr a6;
  size_t n;

  if (end == NULL)
    return false;
  n = (size_t) (end - *p) - 1;
  if (n == 0 || n >= sizeof(addr))
    return false;
  memcpy(addr, *p + 1, n);
  addr[n] = '\0';
  if (inet_pton(AF_INET6, addr, &a6) != 1)
    return false;
  *p = end + 1;
  return true;
}

/* host[:port]; no user info (credentials belong in secret files). */
static bool
url_authority(const char **p, bool empty_host)
{
  const char *s = *p;
  uint64_t port;

  if (*s == '[') {
    if (!url_ipv6(&s))
      return false;
  } else {
    while (is_host_char(*s))
      s++;
    if (s == *p && !empty_host)
      return false;
  }
  if (*s == ':') {
    s++;
    if (kc_str_uint(&s, &port, 1, 65535) != 0)
      return false;
  }
  *p = s;
  return true;
}

/* Printable ASCII a path or query may hold as is (RFC 3986 minus '#'). */
static bool
is_url_char(char ch, bool query)
{
  if (ch <= 0x20 || ch >= 0x7f)
    return false;
  if (ch == '?')
    return query;
  return strchr("\"#<>\\^`{|}", ch) == NULL;
}

static bool
url_rest(const char *s, const struct kc_url_rule *u)
{
  if (*s == '\0')
    return true;
  if (*s != '/')
    return false;
  if (u->slash_only)
    return s[1] == '\0';
  if (!u->path)
    return false;
  for (; *s != '\0'; s++) {
    if (!is_url_char(*s, u->query))
      return false;
  }
  return true;
}

bool
kc_url_valid(const char *v, const struct kc_url_rule *u)
{
  const char *p = v;

  return url_scheme(&p, u->schemes) && url_authority(&p, u->empty_host) &&
         url_rest(p, u);
}
