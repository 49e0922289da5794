/*
 * flatjson.c: strict parser for one flat JSON object (see flatjson.h).
 * A cursor walks [p, end); every step checks the end before reading.
 */
#include <config.h>

#include <stdbool.h>
#include <string.h>

#include "flatjson.h"
#include "kc_err.h"
#include "kc_str.h"

struct cur {
  const char *p;
  const char *end;
};

static bool
at_end(const struct cur *c)
{
  return c->p >= c->end;
}

static void
skip_ws(struct cur *c)
{
  while (!at_end(c) &&
         (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' || *c->p == '\r'))
    c->p++;
}

/* Consume ch or fail. */
static int
expect(struct cur *c, char ch)
{
  if (at_end(c) || *c->p != ch)
    return KC_ERR_INVALID;
  c->p++;
  return 0;
}

static int
hexval(char ch)
{
  if (ch >= '0' && ch <= '9')
    return ch - '0';
  if (ch >= 'a' && ch <= 'f')
    return ch - 'a' + 10;
  if (ch >= 'A' && ch <= 'F')
    return ch - 'A' + 10;
  return -1;
}

/* Four hex digits of a \u escape (the "\u" already consumed). */
static int
hex4(struct cur *c, uint32_t *v)
{
  int i, d;

  *v = 0;
  if (c->end - c->p < 4)
    return KC_ERR_INVALID;
  for (i = 0; i < 4; i++) {
    if ((d = hexval(c->p[i])) < 0)
      return KC_ERR_INVALID;
    *v = (*v << 4) | (uint32_t) d;
  }
  c->p += 4;
  return 0;
}

/* Append one byte to out (holding *len of max bytes). */
static int
put(char *out, size_t *len, size_t max, unsigned char b)
{
  if (*len >= max)
    return KC_ERR_TOO_LARGE;
  out[(*len)++] = (char) b;
  return 0;
}

/* Append code point cp (1..0x10FFFF, no surrogate) as UTF-8. */
static int
put_utf8(char *out, size_t *len, size_t max, uint32_t cp)
{
  unsigned char b[4];
  size_t n, i;
  int r;

  if (cp < 0x80) {
    b[0] = (unsigned char) cp;
    n = 1;
  } else if (cp < 0x800) {
    b[0] = (unsigned char) (0xc0 | (cp >> 6));
    b[1] = (unsigned char) (0x80 | (cp & 0x3f));
    n = 2;
  } else if (cp < 0x10000) {
    b[0] = (unsigned char) (0xe0 | (cp >> 12));
    b[1] = (unsigned char) (0x80 | ((cp >> 6) & 0x3f));
    b[2] = (unsigned char) (0x80 | (cp & 0x3f));
    n = 3;
  } else {
    b[0] = (unsigned char) (0xf0 | (cp >> 18));
    b[1] = (unsigned char) (0x80 | ((cp >> 12) & 0x3f));
    b[2] = (unsigned char) (0x80 | ((cp >> 6) & 0x3f));
    b[3] = (unsigned char) (0x80 | (cp & 0x3f));
    n = 4;
  }
  for (i = 0; i < n; i++)
    if ((r = put(out, len, max, b[i])) != 0)
      return r;
  return 0;
}

/* \uXXXX, with a following \uXXXX when it opens a surrogate pair. */
static int
unicode_escape(struct cur *c, char *out, size_t *len, size_t max)
{
  uint32_t hi, lo;

  if (hex4(c, &hi) != 0 || hi == 0 || (hi >= 0xdc00 && hi <= 0xdfff))
    return KC_ERR_INVALID;
  if (hi < 0xd800 || hi > 0xdbff)
    return put_utf8(out, len, max, hi);
  if (c->end - c->p < 2 || c->p[0] != '\\' || c->p[1] != 'u')
    return KC_ERR_INVALID;
  c->p += 2;
  if (hex4(c, &lo) != 0 || lo < 0xdc00 || lo > 0xdfff)
    return KC_ERR_INVALID;
  return put_utf8(out, len, max,
                  0x10000 + ((hi - 0xd800) << 10) + (lo - 0xdc00));
}

/* One escape sequence after the backslash. */
static int
escape(struct cur *c, char *out, size_t *len, size_t max)
{
  static const char from[] = "\"\\/bfnrt";
  static const char to[] = "\"\\/\b\f\n\r\t";
  const char *hit;
  char ch;

  if (at_end(c))
    return KC_ERR_INVALID;
  ch = *c->p++;
  if (ch == 'u')
    return unicode_escape(c, out, len, max);
  if (ch == '\0' || (hit = strchr(from, ch)) == NULL)
    return KC_ERR_INVALID;
  return put(out, len, max, (unsigned char) to[hit - from]);
}

/* A string token into out (max bytes plus a NUL); the cursor is on the
 * opening quote. */
static int
string(struct cur *c, char *out, size_t max, size_t *len)
{
  unsigned char ch;
  int r;

  *len = 0;
  out[0] = '\0';
  if ((r = expect(c, '"')) != 0)
    return r;
  for (;;) {
    if (at_end(c))
      return KC_ERR_INVALID;
    ch = (unsigned char) *c->p++;
    if (ch == '"')
      break;
    if (ch < 0x20)
      return KC_ERR_INVALID;
    r = ch == '\\' ? escape(c, out, len, max) : put(out, len, max, ch);
    if (r != 0)
      return r;
  }
  out[*len] = '\0';
  return kc_str_is_utf8(out, *len) ? 0 : KC_ERR_INVALID;
}

/* -?(0|[1-9][0-9]*), no fraction or exponent, |v| <= KC_FLATJSON_MAX_INT. */
static int
integer(struct cur *c, int64_t *v)
{
  bool neg = false;
  int64_t n = 0;

  *v = 0;
  if (!at_end(c) && *c->p == '-') {
    neg = true;
    c->p++;
  }
  if (at_end(c) || *c->p < '0' || *c->p > '9')
    return KC_ERR_INVALID;
  if (*c->p == '0') {
    c->p++;
  } else {
    while (!at_end(c) && *c->p >= '0' && *c->p <= '9') {
      n = n * 10 + (*c->p++ - '0');
      if (n > KC_FLATJSON_MAX_INT)
        return KC_ERR_RANGE;
    }
  }
  if (!at_end(c) && ((*c->p >= '0' && *c->p <= '9') || *c->p == '.' ||
                     *c->p == 'e' || *c->p == 'E'))
    return KC_ERR_INVALID;
  *v = neg ? -n : n;
  return 0;
}

static bool
has_key(const struct kc_flatjson *j, const char *key)
{
  size_t i;

  for (i = 0; i < j->n; i++)
    if (strcmp(j->m[i].key, key) == 0)
      return true;
  return false;
}

/* "key" : value, appended to j. */
static int
member(struct cur *c, struct kc_flatjson *j)
{
  struct kc_flatjson_member *m;
  size_t klen;
  int r;

  if (j->n >= KC_FLATJSON_MAX_KEYS)
    return KC_ERR_TOO_LARGE;
  m = &j->m[j->n];
  if ((r = string(c, m->key, KC_FLATJSON_MAX_KEY, &klen)) != 0)
    return r;
  if (has_key(j, m->key))
    return KC_ERR_INVALID;
  skip_ws(c);
  if ((r = expect(c, ':')) != 0)
    return r;
  skip_ws(c);
  if (!at_end(c) && *c->p == '"') {
    m->type = KC_FLATJSON_STRING;
    r = string(c, m->str, KC_FLATJSON_MAX_STR, &m->str_len);
  } else {
    m->type = KC_FLATJSON_INT;
    r = integer(c, &m->num);
  }
  if (r != 0)
    return r;
  j->n++;
  return 0;
}

static int
object(struct cur *c, struct kc_flatjson *j)
{
  int r;

  skip_ws(c);
  if ((r = expect(c, '{')) != 0)
    return r;
  skip_ws(c);
  if (!at_end(c) && *c->p == '}') {
    c->p++;
  } else {
    for (;;) {
      if ((r = member(c, j)) != 0)
        return r;
      skip_ws(c);
      if (!at_end(c) && *c->p == ',') {
        c->p++;
        skip_ws(c);
        continue;
      }
      if ((r = expect(c, '}')) != 0)
        return r;
      break;
    }
  }
  skip_ws(c);
  return at_end(c) ? 0 : KC_ERR_INVALID;
}

int
kc_flatjson_parse(struct kc_flatjson *out, const char *s, size_t len)
{
  struct cur c = {s, s + len};
  int r;

  memset(out, 0, sizeof(*out));
  if ((r = object(&c, out)) != 0)
    memset(out, 0, sizeof(*out));
  return r;
}

static const struct kc_flatjson_member *
find(const struct kc_flatjson *j, const char *key)
{
  size_t i;

  for (i = 0; i < j->n && i < KC_FLATJSON_MAX_KEYS; i++)
    if (strcmp(j->m[i].key, key) == 0)
      return &j->m[i];
  return NULL;
}

const char *
kc_flatjson_str(const struct kc_flatjson *j, const char *key)
{
  const struct kc_flatjson_member *m = find(j, key);

  return m != NULL && m->type == KC_FLATJSON_STRING ? m->str : NULL;
}

int
kc_flatjson_int(const struct kc_flatjson *j, const char *key, int64_t *v)
{
  const struct kc_flatjson_member *m = find(j, key);

  *v = 0;
  if (m == NULL)
    return KC_ERR_NOT_FOUND;
  if (m->type != KC_FLATJSON_INT)
    return KC_ERR_INVALID;
  *v = m->num;
  return 0;
}
