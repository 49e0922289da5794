/* libFuzzer target: the URL grammar of kcd.conf (kc_url_valid) under every
 * combination of its rule's flags and schemes, and the e-mail address
 * grammar (kc_email_valid, kc_email_domain_valid) that the conf parser,
 * the web forms, the CSV import and the mailer share. Input: one byte
 * that picks the rule (bits 0-4 the flags, bits 5-6 the schemes), then
 * the text up to the first NUL. Checks:
 *  - an accepted URL is scheme "://" authority rest with a scheme of the
 *    rule, printable ASCII without '#', no user info, an authority that
 *    is empty only when the rule allows it, a port of 1..65535, and only
 *    what the rule allows after the authority;
 *  - an accepted address is 3..KC_MAX_EMAIL bytes of printable ASCII with
 *    one '@', a local part of at most 64 bytes without "..", and a domain
 *    kc_email_domain_valid accepts; upper and lower case do not matter. */
#include <config.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "email.h"
#include "kc_limits.h"
#include "url.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_TEXT 2048

static const char *const ldap_schemes[] = {"ldap", "ldaps", "ldapi", NULL};
static const char *const http_schemes[] = {"http", "https", NULL};
static const char *const smtp_schemes[] = {"smtp", "smtps", NULL};
static const char *const all_schemes[] = {"ldap",  "ldaps", "ldapi", "http",
                                          "https", "smtp",  "smtps", NULL};
static const char *const *const scheme_sets[] = {ldap_schemes, http_schemes,
                                                 smtp_schemes, all_schemes};

/* The length of the scheme of rule u that v starts with, "://" included;
 * the longest one, as "ldaps" and "ldap" share a prefix. 0 when none. */
static size_t
scheme_len(const char *v, const struct kc_url_rule *u)
{
  const char *const *s;
  size_t n, best = 0;

  for (s = u->schemes; *s != NULL; s++) {
    n = strlen(*s);
    if (strncmp(v, *s, n) == 0 && strncmp(v + n, "://", 3) == 0 && n + 3 > best)
      best = n + 3;
  }
  return best;
}

static void
check_port(const char *p, const char *end)
{
  unsigned long port = 0;

  if (p == end)
    __builtin_trap();
  for (; p < end; p++) {
    if (*p < '0' || *p > '9')
      __builtin_trap();
    port = port * 10 + (unsigned long) (*p - '0');
    if (port > 65535)
      __builtin_trap();
  }
}

static void
check_authority(const char *a, size_t alen, const struct kc_url_rule *u)
{
  const char *end = a + alen, *colon;

  if (alen == 0 && !u->empty_host)
    __builtin_trap();
  if (memchr(a, '@', alen) != NULL)
    __builtin_trap(); /* no user info */
  if (alen > 0 && a[0] == '[') {
    const char *close = memchr(a, ']', alen);

    if (close == NULL || close == a + 1)
      __builtin_trap();
    if (close + 1 < end) {
      if (close[1] != ':')
        __builtin_trap();
      check_port(close + 2, end);
    }
    return;
  }
  colon = memchr(a, ':', alen);
  if (colon != NULL) {
    if (colon == a && !u->empty_host)
      __builtin_trap();
    check_port(colon + 1, end);
  }
}

static void
check_url(const char *v, const struct kc_url_rule *u)
{
  size_t n, i, alen;
  const char *a, *rest;

  if (!kc_url_valid(v, u))
    return;
  if ((n = scheme_len(v, u)) == 0)
    __builtin_trap();
  for (i = 0; v[i] != '\0'; i++)
    if (v[i] <= 0x20 || v[i] >= 0x7f || v[i] == '#')
      __builtin_trap();
  a = v + n;
  alen = strcspn(a, "/");
  rest = a + alen;
  check_authority(a, alen, u);
  if (*rest == '\0')
    return;
  if (u->slash_only) {
    if (strcmp(rest, "/") != 0)
      __builtin_trap();
  } else if (!u->path || (!u->query && strchr(rest, '?') != NULL)) {
    __builtin_trap();
  }
}

static void
check_email(char *s)
{
  size_t len = strlen(s), i;
  const char *at;
  bool ok = kc_email_valid(s);

  if (ok) {
    at = strchr(s, '@');
    if (len < 3 || len > KC_MAX_EMAIL || at == NULL ||
        strchr(at + 1, '@') != NULL || at == s || at - s > 64 ||
        strstr(s, "..") != NULL || !kc_email_domain_valid(at + 1))
      __builtin_trap();
    for (i = 0; i < len; i++)
      if (s[i] <= 0x20 || s[i] >= 0x7f)
        __builtin_trap();
  }
  /* the same address in the other case */
  for (i = 0; i < len; i++) {
    if (s[i] >= 'a' && s[i] <= 'z')
      s[i] = (char) (s[i] - 'a' + 'A');
    else if (s[i] >= 'A' && s[i] <= 'Z')
      s[i] = (char) (s[i] - 'A' + 'a');
  }
  if (kc_email_valid(s) != ok)
    __builtin_trap();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  struct kc_url_rule u;
  char v[MAX_TEXT + 1];
  unsigned pick;

  if (size < 1)
    return 0;
  pick = data[0];
  data++;
  size--;
  if (size > MAX_TEXT)
    size = MAX_TEXT;
  memcpy(v, data, size);
  v[size] = '\0';
  memset(&u, 0, sizeof(u));
  u.schemes = scheme_sets[(pick >> 5) & 3];
  u.what = "fuzz";
  u.empty_host = (pick & 1) != 0;
  u.slash_only = (pick & 2) != 0;
  u.path = (pick & 4) != 0;
  u.query = (pick & 8) != 0;
  u.drop_slash = (pick & 16) != 0;
  check_url(v, &u);
  check_email(v);
  return 0;
}
