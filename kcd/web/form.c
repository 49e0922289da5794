/*
 * form.c: urlencoded form parsing and escaping (see form.h).
 */
#include <config.h>

#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "form.h"
#include "kc_err.h"
#include "kc_limits.h"
#include "kc_str.h"

static int
hexval(char c)
{
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

/* Decode one component ("+" is a space) into a new heap string. */
static int
decode(const char *s, size_t len, char **out, size_t *outlen)
{
  char *d;
  size_t i, o = 0;
  int hi, lo;

  *out = NULL;
  if ((d = malloc(len + 1)) == NULL)
    return KC_ERR_NOMEM;
  for (i = 0; i < len; i++) {
    if (s[i] == '+') {
      d[o++] = ' ';
    } else if (s[i] != '%') {
      d[o++] = s[i];
    } else {
      if (len - i < 3 || (hi = hexval(s[i + 1])) < 0 ||
          (lo = hexval(s[i + 2])) < 0) {
        sodium_memzero(d, len + 1);
        free(d);
        return KC_ERR_INVALID;
      }
      d[o++] = (char) (hi << 4 | lo);
      i += 2;
    }
  }
  d[o] = '\0';
  *out = d;
  *outlen = o;
  return 0;
}

/* The UTF-8 sequence at s[i] (valid UTF-8, len bytes in all) is a C1
 * control (U+0080..U+009F) or a bidirectional embedding, override or
 * isolate (U+202A..U+202E, U+2066..U+2069), which would let a value
 * reorder how itself or what follows it is shown in a mail or a list. */
static bool
hidden_control(const unsigned char *s, size_t i, size_t len)
{
  if (s[i] == 0xc2 && i + 1 < len)
    return s[i + 1] >= 0x80 && s[i + 1] <= 0x9f;
  if (s[i] == 0xe2 && i + 2 < len)
    return (s[i + 1] == 0x80 && s[i + 2] >= 0xaa && s[i + 2] <= 0xae) ||
           (s[i + 1] == 0x81 && s[i + 2] >= 0xa6 && s[i + 2] <= 0xa9);
  return false;
}

/* Names are identifiers; values are UTF-8 text without control
 * characters other than tab, CR and LF (textareas): no ASCII or C1
 * controls, no bidirectional overrides. */
static bool
valid_text(const char *s, size_t len, bool is_name)
{
  const unsigned char *u = (const unsigned char *) s;
  size_t i;

  if (!kc_str_is_utf8(s, len))
    return false;
  for (i = 0; i < len; i++) {
    unsigned char c = u[i];
    if (is_name && !((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                     (c >= '0' && c <= '9') || c == '_' || c == '-'))
      return false;
    if (c == 0 || c == 0x7f ||
        (c < 0x20 && c != '\t' && c != '\r' && c != '\n'))
      return false;
    if (hidden_control(u, i, len))
      return false;
  }
  return true;
}

static int
add_pair(struct kc_form *form, const char *p, size_t len)
{
  const char *eq = memchr(p, '=', len);
  size_t nlen = eq != NULL ? (size_t) (eq - p) : len;
  struct kc_form_field *f;
  size_t junk;
  int r;

  if (form->n >= KC_FORM_MAX_FIELDS)
    return KC_ERR_TOO_LARGE;
  f = &form->f[form->n];
  if ((r = decode(p, nlen, &f->name, &junk)) != 0)
    return r;
  if (junk == 0 || junk > KC_FORM_MAX_NAME ||
      !valid_text(f->name, junk, true) || kc_form_get(form, f->name) != NULL) {
    free(f->name);
    f->name = NULL;
    return KC_ERR_INVALID;
  }
  r = eq != NULL ? decode(eq + 1, len - nlen - 1, &f->value, &f->value_len)
                 : decode("", 0, &f->value, &f->value_len);
  if (r == 0 && !valid_text(f->value, f->value_len, false))
    r = KC_ERR_INVALID;
  if (r != 0) {
    free(f->name);
    if (f->value != NULL) {
      sodium_memzero(f->value, f->value_len);
      free(f->value);
    }
    memset(f, 0, sizeof(*f));
    return r;
  }
  form->n++;
  return 0;
}

int
kc_form_parse(struct kc_form *form, const char *s, size_t len)
{
  const char *end, *amp;
  int r = 0;

  memset(form, 0, sizeof(*form));
  if (len > KC_MAX_HTTP_BODY)
    return KC_ERR_TOO_LARGE;
  if (len == 0)
    return 0;
  if (s == NULL)
    return KC_ERR_INVALID;
  for (end = s + len; r == 0 && s < end; s = amp + 1) {
    amp = memchr(s, '&', (size_t) (end - s));
    if (amp == NULL)
      amp = end;
    if (amp > s) /* empty pairs ("a=1&&b=2") are skipped */
      r = add_pair(form, s, (size_t) (amp - s));
    if (amp == end)
      break;
  }
  if (r != 0)
    kc_form_free(form);
  return r;
}

void
kc_form_free(struct kc_form *form)
{
  size_t i;

  for (i = 0; i < form->n; i++) {
    free(form->f[i].name);
    sodium_memzero(form->f[i].value, form->f[i].value_len);
    free(form->f[i].value);
  }
  memset(form, 0, sizeof(*form));
}

const char *
kc_form_get(const struct kc_form *form, const char *name)
{
  size_t i;

  for (i = 0; i < form->n; i++)
    if (form->f[i].name != NULL && strcmp(form->f[i].name, name) == 0)
      return form->f[i].value;
  return NULL;
}

bool
kc_form_get_trim(const struct kc_form *form, const char *name, char *out,
                 size_t outlen)
{
  const char *v = kc_form_get(form, name);
  size_t len;

  if (outlen == 0)
    return false;
  out[0] = '\0';
  if (v == NULL)
    return true;
  while (*v == ' ' || *v == '\t' || *v == '\r' || *v == '\n')
    v++;
  len = strlen(v);
  while (len > 0 && (v[len - 1] == ' ' || v[len - 1] == '\t' ||
                     v[len - 1] == '\r' || v[len - 1] == '\n'))
    len--;
  if (len >= outlen)
    return false;
  memcpy(out, v, len);
  out[len] = '\0';
  return true;
}
