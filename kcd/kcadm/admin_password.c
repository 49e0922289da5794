/*
 * admin_password.c: temporary passwords and proposed user names for
 * accounts that kcadm provisions. Pure apart from libsodium's randomness;
 * no directory access.
 */
#include <config.h>

#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "admin.h"
#include "kc_err.h"
#include "kc_str.h"

/* No 0/O, 1/l/I: people copy these passwords from a screen or a letter. */
static const char pw_alphabet[] =
  "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";

void
kc_admin_password_generate(char out[KC_ADMIN_PW_SIZE])
{
  const uint32_t n = (uint32_t) (sizeof(pw_alphabet) - 1);
  size_t g, i, k = 0;

  for (g = 0; g < KC_ADMIN_PW_GROUPS; g++) {
    if (g > 0)
      out[k++] = '-';
    for (i = 0; i < KC_ADMIN_PW_GROUP; i++)
      out[k++] = pw_alphabet[randombytes_uniform(n)];
  }
  out[k] = '\0';
}

/* Transliterations of the letters German and neighbouring names use. */
static const struct {
  const char *utf8;
  const char *ascii;
} translit[] = {
  {"\xc3\xa4", "ae"}, {"\xc3\xb6", "oe"}, {"\xc3\xbc", "ue"},
  {"\xc3\x84", "ae"}, {"\xc3\x96", "oe"}, {"\xc3\x9c", "ue"},
  {"\xc3\x9f", "ss"}, {"\xc3\xa6", "ae"}, {"\xc3\x86", "ae"},
  {"\xc3\xb8", "oe"}, {"\xc3\x98", "oe"}, {"\xc3\xa5", "aa"},
  {"\xc3\x85", "aa"}, {"\xc3\xa9", "e"},  {"\xc3\xa8", "e"},
  {"\xc3\xaa", "e"},  {"\xc3\xab", "e"},  {"\xc3\x89", "e"},
  {"\xc3\xa1", "a"},  {"\xc3\xa0", "a"},  {"\xc3\xa2", "a"},
  {"\xc3\xb3", "o"},  {"\xc3\xb2", "o"},  {"\xc3\xb4", "o"},
  {"\xc3\xba", "u"},  {"\xc3\xb9", "u"},  {"\xc3\xbb", "u"},
  {"\xc3\xad", "i"},  {"\xc3\xac", "i"},  {"\xc3\xae", "i"},
  {"\xc3\xaf", "i"},  {"\xc3\xa7", "c"},  {"\xc3\xb1", "n"},
  {"\xc5\xa1", "s"},  {"\xc5\xa0", "s"},  {"\xc4\x8d", "c"},
  {"\xc4\x8c", "c"},  {"\xc5\xbe", "z"},  {"\xc5\xbd", "z"},
  {"\xc5\x82", "l"},  {"\xc5\x81", "l"},  {"\xc5\x9b", "s"},
  {"\xc4\x87", "c"},  {"\xc5\x84", "n"},  {"\xc5\xba", "z"},
  {"\xc5\xbc", "z"},  {"\xc4\x9f", "g"},  {"\xc4\xb1", "i"},
  {"\xc5\x9f", "s"},  {"\xc5\x99", "r"},  {"\xc4\x9b", "e"},
};

/* Append ASCII for the character at *s to out (at most max bytes in
 * all), advancing *s past it. */
static void
fold_one(const char **s, char *out, size_t *used, size_t max)
{
  unsigned char c = (unsigned char) **s;
  const char *a = NULL;
  size_t i, n = 1;

  if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
    if (*used < max)
      out[(*used)++] = (char) c;
  } else if (c >= 'A' && c <= 'Z') {
    if (*used < max)
      out[(*used)++] = (char) (c - 'A' + 'a');
  } else if (c >= 0x80) {
    for (i = 0; i < sizeof(translit) / sizeof(translit[0]); i++) {
      size_t len = strlen(translit[i].utf8);
      if (strncmp(*s, translit[i].utf8, len) == 0) {
        a = translit[i].ascii;
        n = len;
        break;
      }
    }
    for (; a != NULL && *a != '\0' && *used < max; a++)
      out[(*used)++] = *a;
  }
  *s += n;
}

/* Fold s (at most max bytes of output, or only its first letter when
 * initial) onto out. */
static void
fold(const char *s, bool initial, char *out, size_t *used, size_t max)
{
  size_t start = *used;

  while (*s != '\0' && *used < max) {
    fold_one(&s, out, used, max);
    if (initial && *used > start) {
      *used = start + 1; /* "ae" from "Ä": the initial is one letter */
      return;
    }
  }
}

void
kc_admin_username_propose(const char *first, const char *last,
                          const char *customer, char out[KC_MAX_USERNAME + 1])
{
  /* room for a suffix of up to 3 digits */
  const size_t max = KC_MAX_USERNAME - 3;
  size_t used = 0;

  if (last != NULL && last[0] != '\0') {
    if (first != NULL)
      fold(first, true, out, &used, max);
    fold(last, false, out, &used, max);
    if (used == 1) /* only the initial survived */
      used = 0;
  } else if (first != NULL) {
    fold(first, false, out, &used, max);
  }
  out[used] = '\0';
  if (used == 0 || !kc_str_is_username(out))
    snprintf(out, KC_MAX_USERNAME + 1, "k%.*s", (int) (max - 1), customer);
}
