/* libFuzzer target: urlencoded form bodies and query strings
 * (kc_form_parse), the entry point kcd's web front and
 * tests/unit/test_form.c use, plus what the pages do with the fields:
 * kc_form_get, kc_form_get_trim into a small buffer, kc_esc_html and
 * kc_esc_pct into capped buffers. Checks:
 *  - a refused input leaves the form empty;
 *  - every field has a valid name (1..KC_FORM_MAX_NAME of [A-Za-z0-9_-],
 *    unique) and a UTF-8 value without controls other than tab, CR, LF;
 *  - kc_form_get finds each field; kc_form_get_trim gives the value
 *    without surrounding blanks, or "" and false when it does not fit;
 *  - the HTML escape has no raw markup characters and a cap failure
 *    leaves the buffer empty; the URL encoding has only unreserved
 *    characters and uppercase %XX;
 *  - "name=value&..." re-encoded from the fields parses to the same
 *    fields in the same order (or is too large when it passes the cap). */
#include <config.h>

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "form.h"
#include "kc_buf.h"
#include "kc_err.h"
#include "kc_limits.h"
#include "kc_str.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Small on purpose, so that cutting is exercised. */
#define TRIM_OUT 16
#define HTML_CAP 256

static struct kc_form form, again;

static bool
is_blank(char c)
{
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static bool
is_unreserved(char c)
{
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' || c == '~';
}

static void
check_field(const struct kc_form_field *f)
{
  size_t nlen = strlen(f->name), i;

  if (nlen == 0 || nlen > KC_FORM_MAX_NAME)
    __builtin_trap();
  for (i = 0; i < nlen; i++)
    if (!is_unreserved(f->name[i]) || f->name[i] == '.' || f->name[i] == '~')
      __builtin_trap();
  if (strlen(f->value) != f->value_len ||
      !kc_str_is_utf8(f->value, f->value_len))
    __builtin_trap();
  for (i = 0; i < f->value_len; i++) {
    unsigned char c = (unsigned char) f->value[i];
    if (c == 0x7f || (c < 0x20 && c != '\t' && c != '\r' && c != '\n'))
      __builtin_trap();
  }
  if (kc_form_get(&form, f->name) != f->value)
    __builtin_trap();
}

static void
check_trim(const struct kc_form_field *f)
{
  char out[TRIM_OUT];
  const char *v = f->value;
  size_t len = f->value_len;

  while (len > 0 && is_blank(*v)) {
    v++;
    len--;
  }
  while (len > 0 && is_blank(v[len - 1]))
    len--;
  if (kc_form_get_trim(&form, f->name, out, sizeof(out))) {
    if (strlen(out) != len || memcmp(out, v, len) != 0)
      __builtin_trap();
  } else if (len < sizeof(out) || out[0] != '\0') {
    __builtin_trap();
  }
}

static void
check_html(const struct kc_form_field *f)
{
  struct kc_buf b;
  const char *s;
  int r;

  kc_buf_init(&b, HTML_CAP);
  r = kc_esc_html(&b, f->value);
  s = kc_buf_get(&b);
  if (r != 0) {
    if (r != KC_ERR_TOO_LARGE || kc_buf_len(&b) != 0)
      __builtin_trap();
  } else {
    if (strpbrk(s, "<>\"'") != NULL || kc_buf_len(&b) < f->value_len)
      __builtin_trap();
    for (; (s = strchr(s, '&')) != NULL; s++)
      if (strncmp(s, "&amp;", 5) != 0 && strncmp(s, "&lt;", 4) != 0 &&
          strncmp(s, "&gt;", 4) != 0 && strncmp(s, "&quot;", 6) != 0 &&
          strncmp(s, "&#39;", 5) != 0)
        __builtin_trap();
  }
  kc_buf_free(&b);
}

static void
check_urlenc(const char *value, size_t len)
{
  struct kc_buf b;
  const char *s;
  size_t i;

  /* three bytes per byte at most: this cap always fits */
  kc_buf_init(&b, 3 * len);
  if (kc_esc_pct(&b, value) != 0)
    __builtin_trap();
  s = kc_buf_get(&b);
  for (i = 0; s[i] != '\0'; i++) {
    if (is_unreserved(s[i]))
      continue;
    if (s[i] != '%' ||
        !((s[i + 1] >= '0' && s[i + 1] <= '9') ||
          (s[i + 1] >= 'A' && s[i + 1] <= 'F')) ||
        !((s[i + 2] >= '0' && s[i + 2] <= '9') ||
          (s[i + 2] >= 'A' && s[i + 2] <= 'F')))
      __builtin_trap();
    i += 2;
  }
  kc_buf_free(&b);
}

/* Re-encode the fields and parse them again: the same fields come back. */
static void
check_round_trip(void)
{
  struct kc_buf b;
  size_t i;
  int r;

  kc_buf_init(&b, 4 * KC_MAX_HTTP_BODY);
  for (i = 0; i < form.n; i++)
    if ((i > 0 && kc_buf_add_str(&b, "&") != 0) ||
        kc_esc_pct(&b, form.f[i].name) != 0 ||
        kc_buf_add_str(&b, "=") != 0 ||
        kc_esc_pct(&b, form.f[i].value) != 0)
      __builtin_trap();
  r = kc_form_parse(&again, kc_buf_get(&b), kc_buf_len(&b));
  if (kc_buf_len(&b) > KC_MAX_HTTP_BODY) {
    if (r != KC_ERR_TOO_LARGE || again.n != 0)
      __builtin_trap();
  } else {
    if (r != 0 || again.n != form.n)
      __builtin_trap();
    for (i = 0; i < form.n; i++)
      if (strcmp(again.f[i].name, form.f[i].name) != 0 ||
          again.f[i].value_len != form.f[i].value_len ||
          memcmp(again.f[i].value, form.f[i].value, form.f[i].value_len) != 0)
        __builtin_trap();
  }
  kc_form_free(&again);
  kc_buf_free(&b);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  size_t i;
  int r;

  r = kc_form_parse(&form, (const char *) data, size);
  if (r != 0) {
    if ((r != KC_ERR_INVALID && r != KC_ERR_TOO_LARGE) || form.n != 0)
      __builtin_trap();
    return 0;
  }
  if (form.n > KC_FORM_MAX_FIELDS)
    __builtin_trap();
  for (i = 0; i < form.n; i++) {
    check_field(&form.f[i]);
    check_trim(&form.f[i]);
    check_html(&form.f[i]);
    check_urlenc(form.f[i].name, strlen(form.f[i].name));
    check_urlenc(form.f[i].value, form.f[i].value_len);
  }
  check_round_trip();
  kc_form_free(&form);
  return 0;
}
