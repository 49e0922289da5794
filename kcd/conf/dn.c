/*
 * dn.c: the RFC 4514 DN grammar of kcd.conf (see dn.h).
 */
#include <config.h>

#include <stdbool.h>
#include <string.h>

#include "dn.h"
#include "kc_str.h"

static bool
is_alpha(char ch)
{
  return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z');
}

static bool
is_digit(char ch)
{
  return ch >= '0' && ch <= '9';
}

static bool
is_hex(char ch)
{
  return is_digit(ch) || (ch >= 'a' && ch <= 'f') || (ch >= 'A' && ch <= 'F');
}

/* attributeType: a descriptor (ALPHA *(ALPHA / DIGIT / "-")) or a numeric
 * OID. */
static bool
dn_type(const char **p)
{
  const char *s = *p;

  if (is_alpha(*s)) {
    while (is_alpha(*s) || is_digit(*s) || *s == '-')
      s++;
    *p = s;
    return true;
  }
  for (;;) {
    if (!is_digit(*s))
      return false;
    while (is_digit(*s))
      s++;
    if (*s != '.')
      break;
    s++;
  }
  *p = s;
  return true;
}

/* What libldap skips as blanks before a value. */
static bool
is_ldap_blank(char ch)
{
  return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n';
}

/* A non-empty string value with RFC 4514 escapes, up to an unescaped ','
 * or '+'; a leading blank or '#' must be escaped. A leading tab, CR or LF
 * too: libldap skips them as blanks, and would then read "#..." as a
 * hexstring. */
static bool
dn_string(const char **p)
{
  const char *s = *p;

  if (is_ldap_blank(*s) || *s == '#')
    return false;
  while (*s != '\0' && *s != ',' && *s != '+') {
    if (*s == '\\') {
      if (is_hex(s[1]) && is_hex(s[2]))
        s += 3;
      else if (s[1] != '\0' && strchr(" \"#+,;<=>\\", s[1]) != NULL)
        s += 2;
      else
        return false;
    } else if (strchr("\";<>", *s) != NULL) {
      return false;
    } else {
      s++;
    }
  }
  if (s == *p)
    return false;
  *p = s;
  return true;
}

/* An attribute value: #hexstring (whole bytes) or a string. */
static bool
dn_value(const char **p)
{
  const char *s = *p;

  if (*s != '#')
    return dn_string(p);
  s++;
  if (!is_hex(*s))
    return false;
  while (is_hex(s[0]) && is_hex(s[1]))
    s += 2;
  if (is_hex(*s))
    return false;
  *p = s;
  return true;
}

/* RFC 4514 string form; blanks after ',' and '+' are tolerated as
 * OpenLDAP does. The empty (root) DN is not accepted. */
bool
kc_dn_valid(const char *v)
{
  const char *p = v;

  for (;;) {
    if (!dn_type(&p) || *p++ != '=' || !dn_value(&p))
      return false;
    if (*p == '\0')
      return true;
    if (*p != ',' && *p != '+')
      return false; /* a #hexstring ends at any byte that is not hex */
    p++;
    kc_str_skip_blank(&p);
  }
}
