/*
 * mail.c: the RFC 5322 + MIME message builder (see mail.h). The
 * transports are in mail_send.c.
 */
#include <config.h>

#include <stdint.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "kc_err.h"
#include "kc_str.h"
#include "mail.h"

/* RFC 2045: encoded lines are at most 76 characters. */
#define QP_LINE 76
/* RFC 2047: an encoded word is at most 75 characters; 42 bytes of text
 * make 56 base64 characters, a 68-character word, so "Subject: " and one
 * word stay within RFC 5322's recommended 78. */
#define EW_CHUNK 42
/* Plain ASCII headers longer than this are encoded (and so folded). */
#define HDR_PLAIN_MAX 68
/* Random bytes in the left side of a Message-ID. */
#define MSGID_RANDOM 16

/* UTF-8 of at most max bytes with no control character (header text). */
static int
check_header_text(const char *s, size_t max)
{
  size_t len = strnlen(s, max + 1);

  if (len > max)
    return KC_ERR_TOO_LARGE;
  if (!kc_str_is_printable(s, len, false) || !kc_str_is_utf8(s, len))
    return KC_ERR_INVALID;
  return 0;
}

/* UTF-8 body text; tab, CR and LF are the only control characters. */
static int
check_body_text(const char *s)
{
  size_t len = strnlen(s, KC_MAIL_MAX_TEXT + 1), i;

  if (len > KC_MAIL_MAX_TEXT)
    return KC_ERR_TOO_LARGE;
  for (i = 0; i < len; i++) {
    unsigned char c = (unsigned char) s[i];
    if ((c < 0x20 && c != '\t' && c != '\r' && c != '\n') || c == 0x7f)
      return KC_ERR_INVALID;
  }
  return kc_str_is_utf8(s, len) ? 0 : KC_ERR_INVALID;
}

static int
check_msg(const struct kc_mail_msg *m)
{
  int r;

  if (!kc_email_valid(m->from) || !kc_email_valid(m->to))
    return KC_ERR_INVALID;
  if (m->msgid_domain != NULL && !kc_email_domain_valid(m->msgid_domain))
    return KC_ERR_INVALID;
  if ((r = check_header_text(m->subject, KC_MAIL_MAX_SUBJECT)) != 0)
    return r;
  if (m->from_name != NULL &&
      (r = check_header_text(m->from_name, KC_MAIL_MAX_NAME)) != 0)
    return r;
  return check_body_text(m->text);
}

/* ------------------------------------------------------------ headers */

/* Length of the longest prefix of s[0..len) of at most max bytes that
 * does not split a UTF-8 sequence (s is valid UTF-8). */
static size_t
utf8_chunk(const char *s, size_t len, size_t max)
{
  size_t n;

  if (len <= max)
    return len;
  n = max;
  while (n > 0 && ((unsigned char) s[n] & 0xc0) == 0x80)
    n--;
  return n;
}

/* s as RFC 2047 B encoded words, folded with CRLF SP between words. */
static int
add_encoded_words(struct kc_buf *out, const char *s)
{
  char b64[sodium_base64_ENCODED_LEN(EW_CHUNK, sodium_base64_VARIANT_ORIGINAL)];
  size_t len = strlen(s), n;
  int r = 0;

  while (len > 0 && r == 0) {
    n = utf8_chunk(s, len, EW_CHUNK);
    if (n == 0)
      return KC_ERR_INVALID; /* not UTF-8; checked before, so a bug */
    sodium_bin2base64(b64, sizeof(b64), (const unsigned char *) s, n,
                      sodium_base64_VARIANT_ORIGINAL);
    r = kc_buf_printf(out, "=?UTF-8?B?%s?=%s", b64, n < len ? "\r\n " : "");
    s += n;
    len -= n;
  }
  return r;
}

/* Plain ASCII without "=?" that fits on the header line as it is. */
static bool
header_plain_ok(const char *s)
{
  size_t i;

  for (i = 0; s[i] != '\0'; i++) {
    if ((unsigned char) s[i] >= 0x80 || i >= HDR_PLAIN_MAX)
      return false;
  }
  return strstr(s, "=?") == NULL;
}

static int
add_subject(struct kc_buf *out, const char *subject)
{
  int r;

  if ((r = kc_buf_add_str(out, "Subject: ")) != 0)
    return r;
  if (header_plain_ok(subject))
    r = kc_buf_add_str(out, subject);
  else
    r = add_encoded_words(out, subject);
  return r != 0 ? r : kc_buf_add_str(out, "\r\n");
}

/* An ASCII display name as a quoted-string; anything else encoded. */
static int
add_display_name(struct kc_buf *out, const char *name)
{
  size_t i;
  int r;

  if (!header_plain_ok(name))
    return add_encoded_words(out, name);
  if ((r = kc_buf_add_str(out, "\"")) != 0)
    return r;
  for (i = 0; name[i] != '\0' && r == 0; i++) {
    if (name[i] == '"' || name[i] == '\\')
      r = kc_buf_add_str(out, "\\");
    if (r == 0)
      r = kc_buf_add(out, name + i, 1);
  }
  return r != 0 ? r : kc_buf_add_str(out, "\"");
}

static int
add_from(struct kc_buf *out, const struct kc_mail_msg *m)
{
  int r;

  if (m->from_name == NULL || m->from_name[0] == '\0')
    return kc_buf_printf(out, "From: %s\r\n", m->from);
  if ((r = kc_buf_add_str(out, "From: ")) != 0 ||
      (r = add_display_name(out, m->from_name)) != 0)
    return r;
  return kc_buf_printf(out, " <%s>\r\n", m->from);
}

/* RFC 5322 date-time in UTC, spelled without the locale. */
static int
add_date(struct kc_buf *out, time_t now)
{
  static const char *const day[] = {"Sun", "Mon", "Tue", "Wed",
                                    "Thu", "Fri", "Sat"};
  static const char *const mon[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                    "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  struct tm tm;

  if (gmtime_r(&now, &tm) == NULL || tm.tm_wday < 0 || tm.tm_wday > 6 ||
      tm.tm_mon < 0 || tm.tm_mon > 11)
    return KC_ERR_INVALID;
  return kc_buf_printf(out, "Date: %s, %02d %s %04d %02d:%02d:%02d +0000\r\n",
                       day[tm.tm_wday], tm.tm_mday, mon[tm.tm_mon],
                       tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

static int
add_message_id(struct kc_buf *out, const struct kc_mail_msg *m)
{
  unsigned char rnd[MSGID_RANDOM];
  char hex[MSGID_RANDOM * 2 + 1];
  const char *domain = m->msgid_domain;

  if (domain == NULL)
    domain = strchr(m->from, '@') + 1;
  randombytes_buf(rnd, sizeof(rnd));
  sodium_bin2hex(hex, sizeof(hex), rnd, sizeof(rnd));
  return kc_buf_printf(out, "Message-ID: <%s@%s>\r\n", hex, domain);
}

static int
add_headers(struct kc_buf *out, const struct kc_mail_msg *m)
{
  int r;

  if ((r = add_from(out, m)) != 0 ||
      (r = kc_buf_printf(out, "To: %s\r\n", m->to)) != 0 ||
      (r = add_subject(out, m->subject)) != 0 ||
      (r = add_date(out, m->now)) != 0 || (r = add_message_id(out, m)) != 0)
    return r;
  return kc_buf_add_str(out, "Auto-Submitted: auto-generated\r\n"
                             "MIME-Version: 1.0\r\n"
                             "Content-Type: text/plain; charset=UTF-8\r\n"
                             "Content-Transfer-Encoding: quoted-printable\r\n"
                             "\r\n");
}

/* --------------------------------------------------- quoted-printable */

/* One byte of a line as QP (1 or 3 characters) into tok; last says
 * whether it ends the line (where blanks must be encoded). */
static size_t
qp_token(unsigned char c, bool first, bool last, char tok[4])
{
  static const char hex[] = "0123456789ABCDEF";
  bool literal = c >= 33 && c <= 126 && c != '=';

  if ((c == ' ' || c == '\t') && !last)
    literal = true;
  if (c == '.' && first)
    literal = false; /* a lone "." line ends SMTP DATA; stay transport-proof */
  if (literal) {
    tok[0] = (char) c;
    return 1;
  }
  tok[0] = '=';
  tok[1] = hex[c >> 4];
  tok[2] = hex[c & 15];
  return 3;
}

/* Encode one line (no line ending) with soft breaks, then CRLF. */
static int
qp_line(struct kc_buf *out, const unsigned char *s, size_t len)
{
  size_t i, col = 0, n;
  char tok[4];
  int r = 0;

  for (i = 0; i < len && r == 0; i++) {
    n = qp_token(s[i], col == 0, i + 1 == len, tok);
    /* Room for the token and a soft-break "=", unless it ends the line. */
    if (col + n > QP_LINE - 1 && !(i + 1 == len && col + n <= QP_LINE)) {
      if ((r = kc_buf_add_str(out, "=\r\n")) != 0)
        return r;
      col = 0;
      n = qp_token(s[i], true, i + 1 == len, tok);
    }
    r = kc_buf_add(out, tok, n);
    col += n;
  }
  return r != 0 ? r : kc_buf_add_str(out, "\r\n");
}

/* The body: lines end at LF (a CR before it is dropped); a final line
 * without LF still gets its CRLF. */
static int
add_body(struct kc_buf *out, const char *text)
{
  const char *p = text, *nl;
  size_t len;
  int r = 0;

  while (*p != '\0' && r == 0) {
    nl = strchr(p, '\n');
    len = nl != NULL ? (size_t) (nl - p) : strlen(p);
    if (len > 0 && p[len - 1] == '\r' && nl != NULL)
      len--;
    r = qp_line(out, (const unsigned char *) p, len);
    p = nl != NULL ? nl + 1 : p + len;
  }
  return r;
}

/* ------------------------------------------------------------- public */

int
kc_mail_build_msg(struct kc_buf *out, const struct kc_mail_msg *m)
{
  int r;

  kc_buf_init(out, KC_MAIL_MAX_MESSAGE);
  if ((r = check_msg(m)) != 0)
    return r;
  if ((r = add_headers(out, m)) == 0)
    r = add_body(out, m->text);
  if (r != 0)
    kc_buf_free(out);
  return r;
}

int
kc_mail_build(struct kc_buf *out, const char *from, const char *to,
              const char *subject, const char *text, const char *msgid_domain,
              time_t now)
{
  struct kc_mail_msg m = {NULL, from, to, subject, text, msgid_domain, now};

  return kc_mail_build_msg(out, &m);
}
