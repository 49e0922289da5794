/* Unit tests for kcd/web/form.c: the urlencoded parser kc_form_parse() (known
 * answers in a table), kc_form_get(), kc_form_get_trim(), and kc_esc_pct()
 * output parsed back (the escapers' own tables are in test_esc.c). */
#include <config.h>

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "form.h"
#include "kc_buf.h"
#include "kc_err.h"
#include "kc_limits.h"

/* Room for the pairs of a table row. */
#define PAIRS 4

static const struct {
  const char *in;
  size_t len; /* 0: strlen(in) */
  int rc;
  size_t n;
  const char *kv[PAIRS * 2]; /* name, value, name, value, ... */
} parse_cases[] = {
  /* plain pairs, order kept */
  {"", 0, 0, 0, {NULL}},
  {"a=1", 0, 0, 1, {"a", "1"}},
  {"customer_number=46075&email=praxis%40muster.example",
   0,
   0,
   2,
   {"customer_number", "46075", "email", "praxis@muster.example"}},
  {"b=2&a=1&c=3", 0, 0, 3, {"b", "2", "a", "1", "c", "3"}},
  /* plus is a space, %2B a plus */
  {"first_name=Max+Muster", 0, 0, 1, {"first_name", "Max Muster"}},
  {"a=+%2B+", 0, 0, 1, {"a", " + "}},
  {"a=++", 0, 0, 1, {"a", "  "}},
  /* escapes in upper and lower case, in names too */
  {"a=%41%4a%4A%6a", 0, 0, 1, {"a", "AJJj"}},
  {"a=%e2%82%ac", 0, 0, 1, {"a", "\xe2\x82\xac"}},
  {"a=%E2%82%AC", 0, 0, 1, {"a", "\xe2\x82\xac"}},
  {"na%6De=x", 0, 0, 1, {"name", "x"}},
  {"a=%25%26%3D", 0, 0, 1, {"a", "%&="}},
  /* bad escapes */
  {"a=%G1", 0, KC_ERR_INVALID, 0, {NULL}},
  {"a=%1G", 0, KC_ERR_INVALID, 0, {NULL}},
  {"a=%4", 0, KC_ERR_INVALID, 0, {NULL}},
  {"a=%", 0, KC_ERR_INVALID, 0, {NULL}},
  {"a=1%", 0, KC_ERR_INVALID, 0, {NULL}},
  {"a=%%41", 0, KC_ERR_INVALID, 0, {NULL}},
  {"a=% 41", 0, KC_ERR_INVALID, 0, {NULL}},
  {"a=%-1", 0, KC_ERR_INVALID, 0, {NULL}},
  {"%G1=x", 0, KC_ERR_INVALID, 0, {NULL}},
  {"a=1&b=%4&c=3", 0, KC_ERR_INVALID, 0, {NULL}},
  /* empty pairs are skipped */
  {"a=1&&b=2", 0, 0, 2, {"a", "1", "b", "2"}},
  {"&a=1&", 0, 0, 1, {"a", "1"}},
  {"&&&", 0, 0, 0, {NULL}},
  {"&", 0, 0, 0, {NULL}},
  /* a missing "=" is an empty value; only the first "=" splits */
  {"a", 0, 0, 1, {"a", ""}},
  {"a=", 0, 0, 1, {"a", ""}},
  {"a&b=2", 0, 0, 2, {"a", "", "b", "2"}},
  {"a=b=c", 0, 0, 1, {"a", "b=c"}},
  {"a==", 0, 0, 1, {"a", "="}},
  /* ";" is no separator */
  {"a=1;b=2", 0, 0, 1, {"a", "1;b=2"}},
  /* empty names */
  {"=1", 0, KC_ERR_INVALID, 0, {NULL}},
  {"=", 0, KC_ERR_INVALID, 0, {NULL}},
  {"a=1&=2", 0, KC_ERR_INVALID, 0, {NULL}},
  {"%20=1", 0, KC_ERR_INVALID, 0, {NULL}},
  /* duplicate names, even with an empty value or encoded */
  {"a=1&a=2", 0, KC_ERR_INVALID, 0, {NULL}},
  {"a=1&a=1", 0, KC_ERR_INVALID, 0, {NULL}},
  {"a&a", 0, KC_ERR_INVALID, 0, {NULL}},
  {"csrf=x&%63srf=y", 0, KC_ERR_INVALID, 0, {NULL}},
  /* names are case-sensitive */
  {"a=1&A=2", 0, 0, 2, {"a", "1", "A", "2"}},
  /* names: letters, digits, "_" and "-" only, at most KC_FORM_MAX_NAME */
  {"user_name-2=x", 0, 0, 1, {"user_name-2", "x"}},
  {"a.b=1", 0, KC_ERR_INVALID, 0, {NULL}},
  {"a[]=1", 0, KC_ERR_INVALID, 0, {NULL}},
  {"a+b=1", 0, KC_ERR_INVALID, 0, {NULL}},
  {"a%3D=1", 0, KC_ERR_INVALID, 0, {NULL}},
  {"a%09=1", 0, KC_ERR_INVALID, 0, {NULL}},
  {"%C3%BC=1", 0, KC_ERR_INVALID, 0, {NULL}},
  {"n\xc3\xbc=1", 0, KC_ERR_INVALID, 0, {NULL}},
  {"abcdefghijklmnopqrstuvwxyz012345=1",
   0,
   0,
   1,
   {"abcdefghijklmnopqrstuvwxyz012345", "1"}},
  {"abcdefghijklmnopqrstuvwxyz0123456=1", 0, KC_ERR_INVALID, 0, {NULL}},
  /* UTF-8 values, escaped or raw */
  {"last_name=M%C3%BCster", 0, 0, 1, {"last_name", "M\xc3\xbcster"}},
  {"last_name=M\xc3\xbcster", 0, 0, 1, {"last_name", "M\xc3\xbcster"}},
  {"a=%F0%9F%98%80", 0, 0, 1, {"a", "\xf0\x9f\x98\x80"}},
  {"a=%EF%BB%BF", 0, 0, 1, {"a", "\xef\xbb\xbf"}},
  /* bad UTF-8: truncated, stray continuation, overlong, surrogate, too
   * high, 0xFF */
  {"a=%C3", 0, KC_ERR_INVALID, 0, {NULL}},
  {"a=M%C3ster", 0, KC_ERR_INVALID, 0, {NULL}},
  {"a=%BC", 0, KC_ERR_INVALID, 0, {NULL}},
  {"a=%C0%AF", 0, KC_ERR_INVALID, 0, {NULL}},
  {"a=%E0%80%AF", 0, KC_ERR_INVALID, 0, {NULL}},
  {"a=%ED%A0%80", 0, KC_ERR_INVALID, 0, {NULL}},
  {"a=%F4%90%80%80", 0, KC_ERR_INVALID, 0, {NULL}},
  {"a=%FF", 0, KC_ERR_INVALID, 0, {NULL}},
  {"a=\xff", 0, KC_ERR_INVALID, 0, {NULL}},
  {"a=\xc3", 0, KC_ERR_INVALID, 0, {NULL}},
  /* control bytes: refused, except tab, CR and LF in values */
  {"a=%01", 0, KC_ERR_INVALID, 0, {NULL}},
  {"a=%1B", 0, KC_ERR_INVALID, 0, {NULL}},
  {"a=%1f", 0, KC_ERR_INVALID, 0, {NULL}},
  {"a=%7F", 0, KC_ERR_INVALID, 0, {NULL}},
  {"a=x\x01y", 0, KC_ERR_INVALID, 0, {NULL}},
  {"a=x\x7fy", 0, KC_ERR_INVALID, 0, {NULL}},
  {"a=%09", 0, 0, 1, {"a", "\t"}},
  {"a=l1%0D%0Al2%0a", 0, 0, 1, {"a", "l1\r\nl2\n"}},
  {"a=x\ty\r\n", 0, 0, 1, {"a", "x\ty\r\n"}},
  /* C1 controls (U+0080..U+009F) and bidi overrides are refused too */
  {"a=%C2%85", 0, KC_ERR_INVALID, 0, {NULL}},
  {"a=%C2%80", 0, KC_ERR_INVALID, 0, {NULL}},
  {"a=x%C2%9Fy", 0, KC_ERR_INVALID, 0, {NULL}},
  {"a=%E2%80%AE", 0, KC_ERR_INVALID, 0, {NULL}},
  {"a=%E2%80%AA", 0, KC_ERR_INVALID, 0, {NULL}},
  {"a=%E2%81%A6", 0, KC_ERR_INVALID, 0, {NULL}},
  {"a=%E2%81%A9", 0, KC_ERR_INVALID, 0, {NULL}},
  /* their neighbours are text: U+00A0, U+00E4, U+2029 ... U+2030 */
  {"a=%C2%A0", 0, 0, 1, {"a", "\xc2\xa0"}},
  {"a=M%C3%BCller", 0, 0, 1, {"a", "M\xc3\xbcller"}},
  {"a=%E2%80%A9", 0, 0, 1, {"a", "\xe2\x80\xa9"}},
  {"a=%E2%80%AF", 0, 0, 1, {"a", "\xe2\x80\xaf"}},
  {"a=%E2%81%A5", 0, 0, 1, {"a", "\xe2\x81\xa5"}},
  {"a=%E2%81%AA", 0, 0, 1, {"a", "\xe2\x81\xaa"}},
  /* NUL: escaped or raw, in a value or a name */
  {"a=%00", 0, KC_ERR_INVALID, 0, {NULL}},
  {"a=x%00y", 0, KC_ERR_INVALID, 0, {NULL}},
  {"%00=1", 0, KC_ERR_INVALID, 0, {NULL}},
  {"a%00b=1", 0, KC_ERR_INVALID, 0, {NULL}},
  {"a=x\0y", 5, KC_ERR_INVALID, 0, {NULL}},
  {"a\0=1", 4, KC_ERR_INVALID, 0, {NULL}},
  /* the input need not end with NUL: only len bytes count */
  {"a=1&b=2", 3, 0, 1, {"a", "1"}},
  {"a=%41", 4, KC_ERR_INVALID, 0, {NULL}},
  /* a later bad pair voids the good ones before it */
  {"a=1&b=2&c=%ZZ", 0, KC_ERR_INVALID, 0, {NULL}},
};

START_TEST(test_form_parse_table)
{
  const char *in = parse_cases[_i].in;
  size_t len = parse_cases[_i].len != 0 ? parse_cases[_i].len : strlen(in);
  struct kc_form form;
  size_t k;
  int rc;

  memset(&form, 0xa5, sizeof(form)); /* parse must clear it */
  rc = kc_form_parse(&form, in, len);
  ck_assert_msg(rc == parse_cases[_i].rc, "case %d \"%s\": rc %d, want %d", _i,
                in, rc, parse_cases[_i].rc);
  ck_assert_uint_eq(form.n, parse_cases[_i].n);
  for (k = 0; k < form.n; k++) {
    const char *name = parse_cases[_i].kv[2 * k];
    const char *value = parse_cases[_i].kv[2 * k + 1];
    ck_assert_str_eq(form.f[k].name, name);
    ck_assert_str_eq(form.f[k].value, value);
    ck_assert_uint_eq(form.f[k].value_len, strlen(value));
    ck_assert_ptr_eq(kc_form_get(&form, name), form.f[k].value);
  }
  if (rc != 0) /* nothing half-built escapes */
    for (k = 0; k < KC_FORM_MAX_FIELDS; k++)
      ck_assert_ptr_null(form.f[k].name);
  kc_form_free(&form);
  ck_assert_uint_eq(form.n, 0);
}
END_TEST

/* "f0=v0&f1=v1&...": n fields into out. */
static void
make_fields(char *out, size_t outlen, size_t n)
{
  size_t i, o = 0;

  out[0] = '\0';
  for (i = 0; i < n; i++) {
    int w =
      snprintf(out + o, outlen - o, "%sf%zu=v%zu", i > 0 ? "&" : "", i, i);
    ck_assert(w > 0 && (size_t) w < outlen - o);
    o += (size_t) w;
  }
}

START_TEST(test_form_parse_field_limit)
{
  char body[1024];
  struct kc_form form;

  make_fields(body, sizeof(body), KC_FORM_MAX_FIELDS);
  ck_assert_int_eq(kc_form_parse(&form, body, strlen(body)), 0);
  ck_assert_uint_eq(form.n, KC_FORM_MAX_FIELDS);
  ck_assert_str_eq(kc_form_get(&form, "f31"), "v31");
  kc_form_free(&form);

  make_fields(body, sizeof(body), KC_FORM_MAX_FIELDS + 1);
  ck_assert_int_eq(kc_form_parse(&form, body, strlen(body)), KC_ERR_TOO_LARGE);
  ck_assert_uint_eq(form.n, 0);
  ck_assert_ptr_null(kc_form_get(&form, "f0"));

  /* empty pairs do not count */
  make_fields(body, sizeof(body), KC_FORM_MAX_FIELDS);
  ck_assert_uint_lt(strlen(body) + 8, sizeof(body));
  memcpy(body + strlen(body), "&&&&&&&", 8);
  ck_assert_int_eq(kc_form_parse(&form, body, strlen(body)), 0);
  ck_assert_uint_eq(form.n, KC_FORM_MAX_FIELDS);
  kc_form_free(&form);
}
END_TEST

START_TEST(test_form_parse_body_limit)
{
  size_t len = KC_MAX_HTTP_BODY + 1;
  char *body = malloc(len);
  struct kc_form form;

  ck_assert_ptr_nonnull(body);
  memcpy(body, "comment=", 8);
  memset(body + 8, 'x', len - 8);
  /* exactly the cap: one long value */
  ck_assert_int_eq(kc_form_parse(&form, body, KC_MAX_HTTP_BODY), 0);
  ck_assert_uint_eq(form.n, 1);
  ck_assert_uint_eq(form.f[0].value_len, KC_MAX_HTTP_BODY - 8);
  kc_form_free(&form);
  /* one byte more */
  ck_assert_int_eq(kc_form_parse(&form, body, len), KC_ERR_TOO_LARGE);
  ck_assert_uint_eq(form.n, 0);
  free(body);
}
END_TEST

START_TEST(test_form_parse_null_input)
{
  struct kc_form form;

  ck_assert_int_eq(kc_form_parse(&form, NULL, 0), 0);
  ck_assert_uint_eq(form.n, 0);
  ck_assert_int_eq(kc_form_parse(&form, NULL, 1), KC_ERR_INVALID);
  ck_assert_uint_eq(form.n, 0);
}
END_TEST

START_TEST(test_form_parse_free_twice)
{
  struct kc_form form;

  ck_assert_int_eq(kc_form_parse(&form, "a=1&b=2", 7), 0);
  kc_form_free(&form);
  kc_form_free(&form); /* harmless: the form is empty */
  ck_assert_uint_eq(form.n, 0);
}
END_TEST

START_TEST(test_form_get)
{
  static const char body[] = "email=a%40b.example&empty=&bare&Email=X";
  struct kc_form form;

  ck_assert_int_eq(kc_form_parse(&form, body, sizeof(body) - 1), 0);
  ck_assert_str_eq(kc_form_get(&form, "email"), "a@b.example");
  ck_assert_str_eq(kc_form_get(&form, "Email"), "X");
  ck_assert_str_eq(kc_form_get(&form, "empty"), "");
  ck_assert_str_eq(kc_form_get(&form, "bare"), "");
  ck_assert_ptr_null(kc_form_get(&form, "emai"));
  ck_assert_ptr_null(kc_form_get(&form, "email_repeat"));
  ck_assert_ptr_null(kc_form_get(&form, "EMAIL"));
  ck_assert_ptr_null(kc_form_get(&form, ""));
  kc_form_free(&form);
  ck_assert_ptr_null(kc_form_get(&form, "email"));
}
END_TEST

static const struct {
  const char *body;
  const char *name;
  size_t outlen;
  bool ok;
  const char *out;
} trim_cases[] = {
  {"n=46075", "n", 16, true, "46075"},
  {"n=++46075+", "n", 16, true, "46075"},
  {"n=%09%0D%0A46+075%0A%20", "n", 16, true, "46 075"}, /* inner kept */
  {"n=+++", "n", 16, true, ""},
  {"n=", "n", 16, true, ""},
  {"n=1", "absent", 16, true, ""},
  /* only ASCII blanks: a no-break space stays */
  {"n=%C2%A0x", "n", 16, true, "\xc2\xa0x"},
  /* the fit is checked after trimming; cut means false and "" */
  {"n=abc", "n", 4, true, "abc"},
  {"n=++abc++", "n", 4, true, "abc"},
  {"n=abcd", "n", 4, false, ""},
  {"n=abc", "n", 1, false, ""},
  {"n=", "n", 1, true, ""},
  {"n=x", "absent", 1, true, ""},
  {"n=x", "n", 0, false, "unchanged"},
};

START_TEST(test_form_get_trim_table)
{
  struct kc_form form;
  char out[32] = "unchanged";
  bool ok;

  ck_assert_int_eq(kc_form_parse(&form, trim_cases[_i].body,
                                 strlen(trim_cases[_i].body)),
                   0);
  ok = kc_form_get_trim(&form, trim_cases[_i].name, out, trim_cases[_i].outlen);
  ck_assert_msg(ok == trim_cases[_i].ok, "case %d: %d", _i, ok);
  ck_assert_str_eq(out, trim_cases[_i].out);
  kc_form_free(&form);
}
END_TEST

/* Every byte but NUL, encoded and parsed back, is itself (as far as the
 * parser accepts the value: controls other than tab/CR/LF are refused). */
START_TEST(test_form_urlenc_round_trip)
{
  struct kc_buf b;
  struct kc_form form;
  char s[2] = {0, 0};
  int c;

  for (c = 1; c < 0x80; c++) {
    bool allowed = c >= 0x20 ? c != 0x7f : c == '\t' || c == '\r' || c == '\n';
    s[0] = (char) c;
    kc_buf_init(&b, 64);
    ck_assert_int_eq(kc_buf_add_str(&b, "v="), 0);
    ck_assert_int_eq(kc_esc_pct(&b, s), 0);
    ck_assert_int_eq(kc_form_parse(&form, kc_buf_get(&b), kc_buf_len(&b)),
                     allowed ? 0 : KC_ERR_INVALID);
    if (allowed)
      ck_assert_str_eq(kc_form_get(&form, "v"), s);
    kc_form_free(&form);
    kc_buf_free(&b);
  }
  kc_buf_init(&b, 64);
  ck_assert_int_eq(kc_buf_add_str(&b, "v="), 0);
  ck_assert_int_eq(kc_esc_pct(&b, "Stra\xc3\x9f"
                                      "e 1 & 2 = 3+4%"),
                   0);
  ck_assert_int_eq(kc_form_parse(&form, kc_buf_get(&b), kc_buf_len(&b)), 0);
  ck_assert_str_eq(kc_form_get(&form, "v"), "Stra\xc3\x9f"
                                            "e 1 & 2 = 3+4%");
  kc_form_free(&form);
  kc_buf_free(&b);
}
END_TEST

static Suite *
form_suite(void)
{
  Suite *s = suite_create("form");
  TCase *tc = tcase_create("core");

  tcase_add_loop_test(tc, test_form_parse_table, 0,
                      (int) (sizeof(parse_cases) / sizeof(parse_cases[0])));
  tcase_add_test(tc, test_form_parse_field_limit);
  tcase_add_test(tc, test_form_parse_body_limit);
  tcase_add_test(tc, test_form_parse_null_input);
  tcase_add_test(tc, test_form_parse_free_twice);
  tcase_add_test(tc, test_form_get);
  tcase_add_loop_test(tc, test_form_get_trim_table, 0,
                      (int) (sizeof(trim_cases) / sizeof(trim_cases[0])));
  tcase_add_test(tc, test_form_urlenc_round_trip);
  suite_add_tcase(s, tc);
  return s;
}

int
main(void)
{
  SRunner *sr = srunner_create(form_suite());
  int failed;

  srunner_run_all(sr, CK_NORMAL);
  failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
