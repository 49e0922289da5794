/* libFuzzer target: sms_body templates (kc_sms_expand) and the auth header
 * check. The input is TEMPLATE NUL TO NUL TEXT (missing parts are empty).
 * Each is expanded with both escapings; on top, {text} alone must come out
 * as pure percent-encoding (URL) or as a JSON string body without raw
 * control characters or unescaped quotes (JSON). */
#include <config.h>

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kc_buf.h"
#include "kc_err.h"
#include "sms.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Parts are capped well above KC_SMS_MAX_REQUEST so the cap is hit. */
#define FUZZ_MAX_INPUT (3 * 4096)

static void
check_url(const char *s)
{
  for (; *s != '\0'; s++) {
    if (strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
               "0123456789-._~%",
               *s) == NULL)
      __builtin_trap();
  }
}

static void
check_json(const char *s)
{
  for (; *s != '\0'; s++) {
    if ((unsigned char) *s < 0x20 || *s == '"')
      __builtin_trap();
    if (*s == '\\') {
      s++;
      if (*s == '\0' || strchr("\"\\bfnrtu", *s) == NULL)
        __builtin_trap();
    }
  }
}

static void
expand_all(const char *tmpl, const char *to, const char *text)
{
  struct kc_buf b;

  if (kc_sms_expand(&b, tmpl, to, text, KC_SMS_ESCAPE_URL) == 0 &&
      kc_buf_len(&b) > KC_SMS_MAX_REQUEST)
    __builtin_trap();
  kc_buf_free(&b);
  if (kc_sms_expand(&b, tmpl, to, text, KC_SMS_ESCAPE_JSON) == 0 &&
      kc_buf_len(&b) > KC_SMS_MAX_REQUEST)
    __builtin_trap();
  kc_buf_free(&b);
  if (kc_sms_expand(&b, "{text}", to, text, KC_SMS_ESCAPE_URL) == 0)
    check_url(kc_buf_get(&b));
  kc_buf_free(&b);
  if (kc_sms_expand(&b, "{text}", to, text, KC_SMS_ESCAPE_JSON) == 0)
    check_json(kc_buf_get(&b));
  kc_buf_free(&b);
  (void) kc_sms_escape_for(KC_CONF_HTTP_POST, tmpl);
  if (kc_sms_header_check(tmpl) == 0 && strpbrk(tmpl, "\r\n") != NULL)
    __builtin_trap(); /* a header that passes holds no line break */
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  const char *to, *text;
  char *buf;

  if (size > FUZZ_MAX_INPUT)
    return 0;
  if ((buf = malloc(size + 3)) == NULL)
    return 0;
  memcpy(buf, data, size);
  memset(buf + size, 0, 3);   /* three NULs: every part is terminated */
  to = buf + strlen(buf) + 1; /* at most buf + size + 1 */
  text = to + strlen(to) + 1; /* at most buf + size + 2 */
  expand_all(buf, to, text);
  free(buf);
  return 0;
}
