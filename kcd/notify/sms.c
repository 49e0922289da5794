/*
 * sms.c: sms_body templates and the auth header check (see sms.h). The
 * configuration and the transports are in sms_send.c.
 */
#include <config.h>

#include <string.h>
#include <strings.h>

#include "kc_err.h"
#include "kc_esc.h"
#include "kc_str.h"
#include "sms.h"

/* Longest placeholder name we look at; longer runs are literal text. */
#define SMS_NAME_MAX 32
/* Longest header name we accept. */
#define SMS_HEADER_NAME_MAX 64

static bool
is_alnum(char c)
{
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         (c >= '0' && c <= '9');
}

/* ----------------------------------------------------------- escaping */

static int
add_escaped(struct kc_buf *out, const char *s, enum kc_sms_escape how)
{
  return how == KC_SMS_ESCAPE_JSON ? kc_esc_json(out, s) : kc_esc_pct(out, s);
}

/* ----------------------------------------------------------- template */

/* Length of a placeholder name at p (after "{") when "}" closes it within
 * SMS_NAME_MAX characters, else 0 (the "{" is literal). */
static size_t
placeholder_len(const char *p)
{
  size_t n;

  for (n = 0; n <= SMS_NAME_MAX; n++) {
    if (p[n] == '}')
      return n;
    if (!is_alnum(p[n]) && p[n] != '_')
      return 0;
  }
  return 0;
}

static int
expand(struct kc_buf *out, const char *tmpl, const char *to, const char *text,
       enum kc_sms_escape how)
{
  const char *p = tmpl, *brace;
  size_t n;
  int r = 0;

  while (r == 0 && (brace = strchr(p, '{')) != NULL) {
    if ((r = kc_buf_add(out, p, (size_t) (brace - p))) != 0)
      return r;
    n = placeholder_len(brace + 1);
    if (n == 2 && strncmp(brace + 1, "to", 2) == 0)
      r = add_escaped(out, to, how);
    else if (n == 4 && strncmp(brace + 1, "text", 4) == 0)
      r = add_escaped(out, text, how);
    else if (n > 0)
      return KC_ERR_INVALID; /* unknown placeholder */
    else
      r = kc_buf_add(out, "{", 1);
    p = brace + 1 + (n > 0 ? n + 1 : 0);
  }
  return r != 0 ? r : kc_buf_add_str(out, p);
}

int
kc_sms_expand(struct kc_buf *out, const char *tmpl, const char *to,
              const char *text, enum kc_sms_escape how)
{
  int r;

  kc_buf_init(out, KC_SMS_MAX_REQUEST);
  if (!kc_str_is_utf8(to, strlen(to)) || !kc_str_is_utf8(text, strlen(text)))
    return KC_ERR_INVALID;
  if ((r = expand(out, tmpl, to, text, how)) != 0)
    kc_buf_free(out);
  return r;
}

enum kc_sms_escape
kc_sms_escape_for(enum kc_conf_http_method method, const char *tmpl)
{
  if (method == KC_CONF_HTTP_GET)
    return KC_SMS_ESCAPE_URL;
  while (*tmpl == ' ' || *tmpl == '\t' || *tmpl == '\r' || *tmpl == '\n')
    tmpl++;
  return *tmpl == '{' || *tmpl == '[' ? KC_SMS_ESCAPE_JSON : KC_SMS_ESCAPE_URL;
}

/* ------------------------------------------------------------- header */

static bool
is_tchar(char c)
{
  return is_alnum(c) || (c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

/* Headers kcd sets itself or that frame the request. */
static bool
header_reserved(const char *name, size_t len)
{
  static const char *const reserved[] = {"Host",           "Content-Type",
                                         "Content-Length", "Transfer-Encoding",
                                         "Connection",     "Expect"};
  size_t i;

  for (i = 0; i < sizeof(reserved) / sizeof(reserved[0]); i++) {
    if (strlen(reserved[i]) == len && strncasecmp(reserved[i], name, len) == 0)
      return true;
  }
  return false;
}

int
kc_sms_header_check(const char *line)
{
  size_t len = strnlen(line, KC_MAX_HTTP_HEADER + 1), n = 0;
  const char *v;

  if (len > KC_MAX_HTTP_HEADER)
    return KC_ERR_TOO_LARGE;
  while (is_tchar(line[n]))
    n++;
  if (n == 0 || n > SMS_HEADER_NAME_MAX || line[n] != ':' ||
      header_reserved(line, n))
    return KC_ERR_INVALID;
  v = line + n + 1;
  while (*v == ' ' || *v == '\t')
    v++;
  if (*v == '\0' || !kc_str_is_printable(v, strlen(v), true))
    return KC_ERR_INVALID;
  for (; *v != '\0'; v++) {
    if ((unsigned char) *v >= 0x80)
      return KC_ERR_INVALID;
  }
  return 0;
}
