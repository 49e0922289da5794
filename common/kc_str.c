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

/* Length of the sequence that lead byte c starts (0: not a lead byte),
 * its payload bits and the least code point it may encode. */
static size_t
utf8_lead(unsigned char c, uint32_t *cp, uint32_t *least)
{
  if ((c & 0xe0) == 0xc0) {
    *cp = c & 0x1fu;
    *least = 0x80;
    return 2;
  }
  if ((c & 0xf0) == 0xe0) {
    *cp = c & 0x0fu;
    *least = 0x800;
    return 3;
  }
  if ((c & 0xf8) == 0xf0) {
    *cp = c & 0x07u;
    *least = 0x10000;
    return 4;
  }
  return 0;
}

bool
kc_str_is_utf8(const char *s, size_t len)
{
  size_t i = 0, j, n;
  uint32_t cp, least;

  while (i < len) {
    if ((unsigned char) s[i] < 0x80) {
      i++;
      continue;
    }
    n = utf8_lead((unsigned char) s[i], &cp, &least);
    if (n == 0 || n > len - i)
      return false;
    for (j = 1; j < n; j++) {
      unsigned char d = (unsigned char) s[i + j];
      if ((d & 0xc0) != 0x80)
        return false;
      cp = (cp << 6) | (d & 0x3fu);
    }
    if (cp < least || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
      return false;
    i += n;
  }
  return true;
}

void
kc_str_copy_printable(char *out, size_t out_size, const char *src)
{
  size_t i;

  if (out_size == 0)
    return;
  for (i = 0; i + 1 < out_size && src[i] != '\0'; i++) {
    unsigned char c = (unsigned char) src[i];
    out[i] = (c < 0x20 || c == 0x7f) ? '?' : (char) c;
  }
  out[i] = '\0';
}

/* The bytes kc_str_escape_log() writes as themselves. */
static bool
log_plain(unsigned char c)
{
  return c > 0x20 && c < 0x7f && c != '\\' && c != '"' && c != ';' && c != '=';
}

void
kc_str_escape_log(char *out, size_t out_size, const char *in, size_t max_in)
{
  static const char hex[] = "0123456789abcdef";
  size_t i, n, o = 0, mark = 0, room;
  bool cut = false;

  if (out_size == 0)
    return;
  room = out_size - 1;
  for (i = 0; in != NULL && in[i] != '\0'; i++) {
    unsigned char c = (unsigned char) in[i];
    n = log_plain(c) ? 1 : 4;
    if (i >= max_in || n > room - o) {
      cut = true;
      break;
    }
    if (n == 1) {
      out[o] = (char) c;
    } else {
      out[o] = '\\';
      out[o + 1] = 'x';
      out[o + 2] = hex[c >> 4];
      out[o + 3] = hex[c & 0xf];
    }
    o += n;
    if (room >= 3 && o <= room - 3)
      mark = o; /* "..." still fits after this one */
  }
  if (cut && room >= 3) {
    o = mark;
    memcpy(out + o, "...", 3);
    o += 3;
  }
  out[o] = '\0';
}

void
kc_str_lower_ascii(char *s)
{
  for (; *s != '\0'; s++)
    if (*s >= 'A' && *s <= 'Z')
      *s = (char) (*s - 'A' + 'a');
}
