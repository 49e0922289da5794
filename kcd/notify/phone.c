/*
 * phone.c: phone numbers to E.164 and the masked TAN destinations (see
 * phone.h). The e-mail mask lives here too, next to the phone mask, so
 * the code that builds prompts needs one header for both.
 */
#include <config.h>

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "kc_err.h"
#include "phone.h"

/* Digits we collect from the input before judging the length: 15 for the
 * number, 2 for "00", 1 for a trunk 0, with a little slack so that "too
 * many digits" is reported as a range error, not a scan error. */
#define PHONE_SCAN_DIGITS 24
#define PHONE_NO_GROUP    SIZE_MAX

/* kc_phone_mask hides at least 3 digits and shows at least one. */
_Static_assert(KC_PHONE_MIN_NSN > 3, "KC_PHONE_MIN_NSN too small to mask");

/* What the scanner keeps of the typed number. */
struct phone_scan {
  char digits[PHONE_SCAN_DIGITS + 1];
  size_t n;          /* digits collected */
  bool plus;         /* started with "+" */
  size_t zero_group; /* index of the digit of a "(0)" group, or none */
};

/* Two-digit country codes of ITU-T E.164 (Annex to ITU-T OB 1.1 list);
 * 1 and 7 have one digit, every other code three. */
static const unsigned char two_digit_cc[] = {20, 27, 30, 31, 32, 33, 34, 36, 39,
                                             40, 41, 43, 44, 45, 46, 47, 48, 49,
                                             51, 52, 53, 54, 55, 56, 57, 58, 60,
                                             61, 62, 63, 64, 65, 66, 81, 82, 84,
                                             86, 90, 91, 92, 93, 94, 95, 98};

/* Countries whose national numbers keep a leading 0 after the country
 * code (+39 06 ..., +225 07 ...), so a 0 there is not a trunk prefix. */
static const unsigned keeps_zero_cc[] = {39, 225, 378, 379};

static bool
is_digit(char c)
{
  return c >= '0' && c <= '9';
}

size_t
kc_phone_cc_len(const char *digits)
{
  unsigned two;
  size_t i;

  if (!is_digit(digits[0]) || digits[0] == '0')
    return 0;
  if (digits[0] == '1' || digits[0] == '7')
    return 1;
  if (!is_digit(digits[1]))
    return 0;
  two = (unsigned) (digits[0] - '0') * 10 + (unsigned) (digits[1] - '0');
  for (i = 0; i < sizeof(two_digit_cc); i++) {
    if (two_digit_cc[i] == two)
      return 2;
  }
  return is_digit(digits[2]) ? 3 : 0;
}

/* The country code in the first len digits at d, as a number. */
static unsigned
cc_value(const char *d, size_t len)
{
  unsigned v = 0;
  size_t i;

  for (i = 0; i < len; i++)
    v = v * 10 + (unsigned) (d[i] - '0');
  return v;
}

static bool
keeps_zero(unsigned cc)
{
  size_t i;

  for (i = 0; i < sizeof(keeps_zero_cc) / sizeof(keeps_zero_cc[0]); i++) {
    if (keeps_zero_cc[i] == cc)
      return true;
  }
  return false;
}

/* Handle one parenthesis; open holds the index where the group began. */
static int
scan_paren(struct phone_scan *s, char c, size_t *open)
{
  if (c == '(') {
    if (*open != PHONE_NO_GROUP)
      return KC_ERR_INVALID;
    *open = s->n;
    return 0;
  }
  if (*open == PHONE_NO_GROUP)
    return KC_ERR_INVALID;
  if (s->n == *open + 1 && s->digits[*open] == '0') {
    if (s->zero_group != PHONE_NO_GROUP)
      return KC_ERR_INVALID;
    s->zero_group = *open;
  }
  *open = PHONE_NO_GROUP;
  return 0;
}

/* Collect the digits of in, checking the characters around them. */
static int
scan(const char *in, struct phone_scan *s)
{
  size_t open = PHONE_NO_GROUP;
  const char *p = in;
  int r;

  memset(s, 0, sizeof(*s));
  s->zero_group = PHONE_NO_GROUP;
  while (*p == ' ' || *p == '\t')
    p++;
  if (*p == '+') {
    s->plus = true;
    p++;
  }
  for (; *p != '\0'; p++) {
    if (is_digit(*p)) {
      if (s->n >= PHONE_SCAN_DIGITS)
        return KC_ERR_RANGE;
      s->digits[s->n++] = *p;
    } else if (*p == '(' || *p == ')') {
      if ((r = scan_paren(s, *p, &open)) != 0)
        return r;
    } else if (strchr(" \t-/.", *p) == NULL) {
      return KC_ERR_INVALID;
    }
  }
  if (open != PHONE_NO_GROUP || s->n == 0)
    return KC_ERR_INVALID;
  return 0;
}

/* Write "+" cc nsn to out after the length checks. */
static int
emit(const char *cc, size_t cclen, const char *nsn, size_t nsnlen, char *out,
     size_t outlen)
{
  if (nsnlen == 0)
    return KC_ERR_INVALID;
  if (nsnlen < KC_PHONE_MIN_NSN || cclen + nsnlen < KC_PHONE_MIN_DIGITS ||
      cclen + nsnlen > KC_PHONE_MAX_DIGITS)
    return KC_ERR_RANGE;
  if (outlen < cclen + nsnlen + 2)
    return KC_ERR_TOO_LARGE;
  out[0] = '+';
  memcpy(out + 1, cc, cclen);
  memcpy(out + 1 + cclen, nsn, nsnlen);
  out[1 + cclen + nsnlen] = '\0';
  return 0;
}

/* d (n digits) starts with the country code; zg is the index of a "(0)"
 * group within d, or none. */
static int
international(const char *d, size_t n, size_t zg, char *out, size_t outlen)
{
  size_t cclen = kc_phone_cc_len(d);
  size_t at;

  if (cclen == 0 || cclen > n)
    return KC_ERR_INVALID;
  if (zg != PHONE_NO_GROUP && zg != cclen)
    return KC_ERR_INVALID; /* "(0)" anywhere but after the country code */
  at = cclen;
  if (!keeps_zero(cc_value(d, cclen)) && at < n && d[at] == '0') {
    at++; /* the trunk prefix, typed with or without parentheses */
    if (at < n && d[at] == '0')
      return KC_ERR_INVALID;
  }
  return emit(d, cclen, d + at, n - at, out, outlen);
}

/* d (n digits) is a national number starting with the trunk "0". */
static int
national(const char *d, size_t n, size_t zg, unsigned country_code, char *out,
         size_t outlen)
{
  char cc[8];
  int cclen;

  if (country_code < 1 || country_code > 999)
    return KC_ERR_INVALID;
  cclen = snprintf(cc, sizeof(cc), "%u", country_code);
  if (cclen <= 0 || kc_phone_cc_len(cc) != (size_t) cclen)
    return KC_ERR_INVALID; /* not a code that exists */
  if (zg != PHONE_NO_GROUP && zg != 0)
    return KC_ERR_INVALID;
  if (keeps_zero(country_code))
    return emit(cc, (size_t) cclen, d, n, out, outlen);
  return emit(cc, (size_t) cclen, d + 1, n - 1, out, outlen);
}

int
kc_phone_normalize(const char *in, unsigned country_code, char *out,
                   size_t outlen)
{
  struct phone_scan s;
  size_t zg;
  int r;

  if (outlen > 0)
    out[0] = '\0';
  if (strnlen(in, KC_MAX_PHONE + 1) > KC_MAX_PHONE)
    return KC_ERR_TOO_LARGE;
  if ((r = scan(in, &s)) != 0)
    return r;
  if (s.plus) {
    r = international(s.digits, s.n, s.zero_group, out, outlen);
  } else if (s.n >= 2 && s.digits[0] == '0' && s.digits[1] == '0') {
    zg = s.zero_group;
    if (zg != PHONE_NO_GROUP && zg < 2)
      return KC_ERR_INVALID;
    zg = zg == PHONE_NO_GROUP ? zg : zg - 2;
    r = international(s.digits + 2, s.n - 2, zg, out, outlen);
  } else if (s.digits[0] == '0') {
    r = national(s.digits, s.n, s.zero_group, country_code, out, outlen);
  } else {
    r = KC_ERR_INVALID; /* neither "+", "00" nor a trunk "0" */
  }
  if (r != 0 && outlen > 0)
    out[0] = '\0';
  return r;
}

bool
kc_phone_is_e164(const char *s)
{
  size_t n, cclen;

  if (s[0] != '+')
    return false;
  for (n = 0; is_digit(s[1 + n]); n++) {
    if (n >= KC_PHONE_MAX_DIGITS)
      return false;
  }
  if (s[1 + n] != '\0' || n < KC_PHONE_MIN_DIGITS)
    return false;
  cclen = kc_phone_cc_len(s + 1);
  return cclen > 0 && n - cclen >= KC_PHONE_MIN_NSN;
}

/* "***" when it fits, else "" (outlen > 0). */
static void
mask_fallback(char *out, size_t outlen)
{
  if (outlen > 3)
    memcpy(out, "***", 4);
  else if (outlen > 0)
    out[0] = '\0';
}

void
kc_phone_mask(const char *e164, char *out, size_t outlen)
{
  size_t cclen, n, tail, head;
  const char *nsn;
  int w;

  if (!kc_phone_is_e164(e164)) {
    mask_fallback(out, outlen);
    return;
  }
  cclen = kc_phone_cc_len(e164 + 1);
  nsn = e164 + 1 + cclen;
  n = strlen(nsn);
  /* Half the digits at most, and at least 3 hidden (n >= MIN_NSN > 3). */
  tail = n / 2 < 4 ? n / 2 : 4;
  if (n - tail < 3)
    tail = n - 3;
  head = n - tail >= 3 + 3 ? 3 : n - tail - 3;
  w = snprintf(out, outlen, "+%.*s %.*s%s***%s", (int) cclen, e164 + 1,
               (int) head, nsn, head > 0 ? " " : "", nsn + n - tail);
  if (w < 0 || (size_t) w >= outlen)
    mask_fallback(out, outlen);
}

/* Plain ASCII local@domain with exactly one "@" and no blanks. */
static bool
mask_addr_ok(const char *addr, const char **at)
{
  size_t i;

  *at = NULL;
  for (i = 0; addr[i] != '\0'; i++) {
    unsigned char c = (unsigned char) addr[i];
    if (i >= KC_MAX_EMAIL || c <= 0x20 || c >= 0x7f)
      return false;
    if (c == '@') {
      if (*at != NULL)
        return false;
      *at = addr + i;
    }
  }
  return *at != NULL && *at != addr && (*at)[1] != '\0';
}

void
kc_mail_mask(const char *addr, char *out, size_t outlen)
{
  const char *at;
  size_t local, shown;
  int w;

  if (!mask_addr_ok(addr, &at)) {
    mask_fallback(out, outlen);
    return;
  }
  local = (size_t) (at - addr);
  shown = local >= 8 ? 4 : 1;
  w = snprintf(out, outlen, "%.*s***%s", (int) shown, addr, at);
  if (w < 0 || (size_t) w >= outlen)
    mask_fallback(out, outlen);
}
