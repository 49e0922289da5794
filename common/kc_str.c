#include <config.h>

#include <string.h>

#include "kc_err.h"
#include "kc_limits.h"
#include "kc_str.h"

void
kc_str_skip_blank(const char **p)
{
  while (**p == ' ' || **p == '\t')
    (*p)++;
}

int
kc_str_uint(const char **p, uint64_t *v, uint64_t min, uint64_t max)
{
  const char *s = *p;
  uint64_t n = 0;

  *v = 0;
  if (*s < '0' || *s > '9')
    return KC_ERR_INVALID;
  for (; *s >= '0' && *s <= '9'; s++) {
    unsigned d = (unsigned) (*s - '0');
    if (n > (UINT64_MAX - d) / 10)
      return KC_ERR_RANGE;
    n = n * 10 + d;
  }
  if (n < min || n > max)
    return KC_ERR_RANGE;
  *v = n;
  *p = s;
  return 0;
}

int
kc_str_duration(const char **p, uint64_t *secs, uint64_t min, uint64_t max)
{
  const char *s = *p;
  uint64_t n, mult = 1;
  int r;

  *secs = 0;
  if ((r = kc_str_uint(&s, &n, 0, UINT64_MAX)) != 0)
    return r;
  switch (*s) {
    case 's':
      s++;
      break;
    case 'm':
      mult = 60;
      s++;
      break;
    case 'h':
      mult = 3600;
      s++;
      break;
    default:
      break;
  }
  if (n > UINT64_MAX / mult)
    return KC_ERR_RANGE;
  n *= mult;
  if (n < min || n > max)
    return KC_ERR_RANGE;
  *secs = n;
  *p = s;
  return 0;
}

int
kc_str_end(const char **p)
{
  return **p == '\0' ? 0 : KC_ERR_INVALID;
}

int
kc_str_to_uint(const char *s, uint64_t *v, uint64_t min, uint64_t max)
{
  const char *p = s;
  int r;

  if ((r = kc_str_uint(&p, v, min, max)) != 0)
    return r;
  if ((r = kc_str_end(&p)) != 0) {
    *v = 0;
    return r;
  }
  return 0;
}

int
kc_str_to_duration(const char *s, uint64_t *secs, uint64_t min, uint64_t max)
{
  const char *p = s;
  int r;

  if ((r = kc_str_duration(&p, secs, min, max)) != 0)
    return r;
  if ((r = kc_str_end(&p)) != 0) {
    *secs = 0;
    return r;
  }
  return 0;
}

static bool
is_alnum(char c)
{
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
    (c >= '0' && c <= '9');
}

bool
kc_str_is_username(const char *s)
{
  size_t i;

  if (!is_alnum(s[0]))
    return false;
  for (i = 0; s[i] != '\0'; i++) {
    if (i >= KC_MAX_USERNAME)
      return false;
    if (!is_alnum(s[i]) && s[i] != '.' && s[i] != '_' && s[i] != '-')
      return false;
  }
  return true;
}

bool
kc_str_is_customer_number(const char *s)
{
  size_t i;

  for (i = 0; s[i] != '\0'; i++) {
    if (i >= KC_MAX_CUSTOMER_NUMBER || s[i] < '0' || s[i] > '9')
      return false;
  }
  return i > 0;
}

bool
kc_str_is_printable(const char *s, size_t len, bool allow_tab)
{
  size_t i;

  for (i = 0; i < len; i++) {
    unsigned char c = (unsigned char) s[i];
    if (c == '\t' && allow_tab)
      continue;
    if (c < 0x20 || c == 0x7f)
      return false;
  }
  return true;
}
