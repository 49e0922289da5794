/*
 * email.c: the e-mail address grammar (see email.h).
 */
#include <config.h>

#include <stdbool.h>
#include <string.h>

#include "email.h"
#include "kc_limits.h"

static bool
is_atext(char c)
{
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         (c >= '0' && c <= '9') ||
         (c != '\0' && strchr("!#$%&'*+-/=?^_`{|}~", c));
}

static bool
is_label_char(char c)
{
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         (c >= '0' && c <= '9') || c == '-' || c == '_';
}

/* A dot-atom of at most max bytes in s[0..len). */
static bool
dot_atom_ok(const char *s, size_t len, size_t max)
{
  size_t i;

  if (len == 0 || len > max || s[0] == '.' || s[len - 1] == '.')
    return false;
  for (i = 0; i < len; i++) {
    if (s[i] == '.' ? s[i - 1] == '.' : !is_atext(s[i]))
      return false;
  }
  return true;
}

/* Dot-separated labels of 1..63 label characters, no "-" at either end. */
bool
kc_email_domain_valid(const char *s)
{
  size_t label = 0, i;

  for (i = 0;; i++) {
    if (s[i] == '.' || s[i] == '\0') {
      if (label == 0 || label > 63 || s[i - 1] == '-' || s[i - label] == '-')
        return false;
      if (s[i] == '\0')
        return i <= KC_MAX_EMAIL;
      label = 0;
    } else if (is_label_char(s[i])) {
      label++;
    } else {
      return false;
    }
  }
}

bool
kc_email_valid(const char *s)
{
  size_t len = strnlen(s, KC_MAX_EMAIL + 1);
  const char *at = strchr(s, '@');

  if (len < 3 || len > KC_MAX_EMAIL || at == NULL)
    return false;
  return dot_atom_ok(s, (size_t) (at - s), 64) && kc_email_domain_valid(at + 1);
}
