/*
 * kc_argon2_parse.c: the checks of kc_argon2.so that need no slapd: the
 * stored hash string and the module arguments (kc_argon2.h). Linked into
 * the module and into its fuzz target and unit test.
 */
#include <config.h>

#include <stdio.h>
#include <string.h>

#include "kc_argon2.h"

static int
number(const char **p, const char *key, unsigned long long max,
       unsigned long long *out)
{
  size_t klen = strlen(key);
  unsigned long long v = 0;
  const char *s = *p;

  if (strncmp(s, key, klen) != 0)
    return -1;
  s += klen;
  if (*s < '0' || *s > '9' || (*s == '0' && s[1] >= '0' && s[1] <= '9'))
    return -1;
  for (; *s >= '0' && *s <= '9'; s++) {
    v = v * 10 + (unsigned) (*s - '0');
    if (v > max)
      return -1;
  }
  *out = v;
  *p = s;
  return 0;
}

/* base64 without padding of at least min and at most max characters,
 * up to the next '$' or the end. */
static int
b64_part(const char **p, size_t min, size_t max, char end)
{
  const char *s = *p;
  size_t n = 0;

  for (; *s != end && *s != '\0'; s++, n++)
    if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') ||
          (*s >= '0' && *s <= '9') || *s == '+' || *s == '/'))
      return -1;
  if (*s != end || n < min || n > max || n % 4 == 1)
    return -1;
  *p = s;
  return 0;
}

int
kc_argon2_parse(const char *s, size_t len, struct kc_argon2_params *out)
{
  unsigned long long v = 0, m = 0, t = 0, par = 0;
  const char *p;

  memset(out, 0, sizeof(*out));
  if (len >= KC_ARGON2_MAX_STRING || strlen(s) != len)
    return -1;
  if (strncmp(s, "$argon2id$", 10) == 0) {
    out->id = true;
    p = s + 10;
  } else if (strncmp(s, "$argon2i$", 9) == 0)
    p = s + 9;
  else
    return -1; /* $argon2d$ and anything else */
  if (number(&p, "v=", 19, &v) != 0 || v != 19 || *p++ != '$' ||
      number(&p, "m=", KC_ARGON2_MAX_M, &m) != 0 || *p++ != ',' ||
      number(&p, "t=", KC_ARGON2_MAX_T, &t) != 0 || *p++ != ',' ||
      number(&p, "p=", 1, &par) != 0 || *p++ != '$')
    return -1;
  if (m < KC_ARGON2_MIN_M || t < (out->id ? 1u : 3u) || par != 1)
    return -1;
  /* salt: 8 to 64 bytes; hash: 16 to 64 bytes (base64 without padding) */
  if (b64_part(&p, 11, 86, '$') != 0 || *p++ != '$' ||
      b64_part(&p, 22, 86, '\0') != 0)
    return -1;
  out->m_kib = (unsigned long) m;
  out->t = (unsigned) t;
  return 0;
}

/* The whole of a is key and a number in [min, max]. Each key starts
 * from the beginning of a: "m=0t=8" is neither m= nor t=. */
static int
arg_number(const char *a, const char *key, unsigned long long min,
           unsigned long long max, unsigned long long *out)
{
  const char *p = a;

  if (number(&p, key, max, out) != 0 || *p != '\0' || *out < min)
    return -1;
  return 0;
}

int
kc_argon2_args(int argc, char **argv, unsigned long *m_kib, unsigned *t,
               char *err, size_t errlen)
{
  unsigned long long v;
  int i;

  for (i = 0; i < argc; i++) {
    if (arg_number(argv[i], "m=", KC_ARGON2_MIN_M, KC_ARGON2_MAX_M, &v) == 0)
      *m_kib = (unsigned long) v;
    else if (arg_number(argv[i], "t=", 1, KC_ARGON2_MAX_T, &v) == 0)
      *t = (unsigned) v;
    else {
      snprintf(err, errlen,
               "argument \"%.40s\" is not m=KiB (%d..%d) or t=PASSES (1..%d)",
               argv[i], KC_ARGON2_MIN_M, KC_ARGON2_MAX_M, KC_ARGON2_MAX_T);
      return -1;
    }
  }
  return 0;
}

