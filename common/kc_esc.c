/*
 * kc_esc.c: JSON, percent and HTML escaping. See kc_esc.h.
 */
#include <config.h>

#include <stdbool.h>
#include <string.h>

#include "kc_esc.h"
#include "kc_str.h"

/* Percent-encoding in upper case (RFC 3986 2.1); JSON escapes in lower
 * case, as kcadm --json has always written them. */
static const char hexdigits[] = "0123456789ABCDEF";
static const char hexlower[] = "0123456789abcdef";

/* Bytes of the UTF-8 sequence that starts at s (s[0] >= 0x80) when it is
 * well formed, else 0. Stops at a NUL, so never reads past the string. */
static size_t
utf8_len(const char *s)
{
  unsigned char c = (unsigned char) s[0];
  size_t n, i;

  if (c >= 0xf0 && c <= 0xf4)
    n = 4;
  else if (c >= 0xe0 && c <= 0xef)
    n = 3;
  else if (c >= 0xc2 && c <= 0xdf)
    n = 2;
  else
    return 0;
  for (i = 1; i < n; i++) {
    if (s[i] == '\0')
      return 0;
  }
  return kc_str_is_utf8(s, n) ? n : 0;
}

static size_t
hex4(char out[KC_ESC_JSON_ONE_MAX], unsigned cp)
{
  out[0] = '\\';
  out[1] = 'u';
  out[2] = hexlower[(cp >> 12) & 15];
  out[3] = hexlower[(cp >> 8) & 15];
  out[4] = hexlower[(cp >> 4) & 15];
  out[5] = hexlower[cp & 15];
  return 6;
}

static size_t
json_ascii(unsigned char c, char out[KC_ESC_JSON_ONE_MAX])
{
  static const char shortc[] = "btn\0fr"; /* \b \t \n (\v none) \f \r */

  if (c == '"' || c == '\\') {
    out[0] = '\\';
    out[1] = (char) c;
    return 2;
  }
  if (c >= 0x20 && c != 0x7f) {
    out[0] = (char) c;
    return 1;
  }
  if (c >= 8 && c <= 13 && shortc[c - 8] != '\0') {
    out[0] = '\\';
    out[1] = shortc[c - 8];
    return 2;
  }
  return hex4(out, c);
}

size_t
kc_esc_json_one(const char *s, char out[KC_ESC_JSON_ONE_MAX], size_t *used)
{
  unsigned char c = (unsigned char) s[0];
  size_t n;

  *used = 1;
  if (c < 0x80)
    return json_ascii(c, out);
  n = utf8_len(s);
  if (n == 0)
    return hex4(out, 0xfffd);
  *used = n;
  if (n == 3 && c == 0xe2 && (unsigned char) s[1] == 0x80 &&
      ((unsigned char) s[2] == 0xa8 || (unsigned char) s[2] == 0xa9))
    return hex4(out, (unsigned char) s[2] == 0xa8 ? 0x2028 : 0x2029);
  memcpy(out, s, n);
  return n;
}

int
kc_esc_json(struct kc_buf *out, const char *s)
{
  char esc[KC_ESC_JSON_ONE_MAX];
  size_t n, used;
  int r = 0;

  while (*s != '\0' && r == 0) {
    n = kc_esc_json_one(s, esc, &used);
    r = kc_buf_add(out, esc, n);
    s += used;
  }
  return r;
}

int
kc_esc_json_str(struct kc_buf *out, const char *s)
{
  int r = kc_buf_add_str(out, "\"");

  if (r == 0)
    r = kc_esc_json(out, s);
  return r != 0 ? r : kc_buf_add_str(out, "\"");
}

static bool
is_unreserved(unsigned char c)
{
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' || c == '~';
}

int
kc_esc_pct(struct kc_buf *out, const char *s)
{
  char pct[3] = {'%', 0, 0};
  int r = 0;

  for (; *s != '\0' && r == 0; s++) {
    unsigned char c = (unsigned char) *s;
    if (is_unreserved(c)) {
      r = kc_buf_add(out, s, 1);
    } else {
      pct[1] = hexdigits[c >> 4];
      pct[2] = hexdigits[c & 15];
      r = kc_buf_add(out, pct, 3);
    }
  }
  return r;
}

static const char *
html_entity(char c)
{
  switch (c) {
    case '&':
      return "&amp;";
    case '<':
      return "&lt;";
    case '>':
      return "&gt;";
    case '"':
      return "&quot;";
    case '\'':
      return "&#39;";
    default:
      return NULL;
  }
}

int
kc_esc_html(struct kc_buf *out, const char *s)
{
  const char *start = s;
  const char *rep;
  int r = 0;

  for (; r == 0 && *s != '\0'; s++) {
    if ((rep = html_entity(*s)) == NULL)
      continue;
    if ((r = kc_buf_add(out, start, (size_t) (s - start))) == 0)
      r = kc_buf_add_str(out, rep);
    start = s + 1;
  }
  return r != 0 ? r : kc_buf_add(out, start, (size_t) (s - start));
}
