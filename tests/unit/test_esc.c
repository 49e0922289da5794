/* Unit tests for common/kc_esc.c: JSON, percent and HTML escaping, with
 * known answers for every class of character. */
#include <config.h>

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "kc_buf.h"
#include "kc_err.h"
#include "kc_esc.h"

static const struct {
  const char *in, *out;
} json_cases[] = {
  {"", ""},
  {"plain text 123", "plain text 123"},
  /* quotes and backslash; '/' and '\'' stay */
  {"a\"b\\c/d'e", "a\\\"b\\\\c/d'e"},
  /* the short forms */
  {"\b\t\n\f\r", "\\b\\t\\n\\f\\r"},
  /* other controls, vertical tab included, in lower-case hex */
  {"\x01\x0b\x1b\x1f", "\\u0001\\u000b\\u001b\\u001f"},
  /* DEL */
  {"a\x7f" "b", "a\\u007fb"},
  /* well-formed UTF-8 passes: 2, 3 and 4 bytes */
  {"Gr\xc3\xbc\xc3\x9f" "e \xe2\x82\xac \xf0\x9f\x98\x80",
   "Gr\xc3\xbc\xc3\x9f" "e \xe2\x82\xac \xf0\x9f\x98\x80"},
  /* JavaScript's line ends */
  {"x\xe2\x80\xa8y\xe2\x80\xa9z", "x\\u2028y\\u2029z"},
  /* U+2027 and U+202A are ordinary */
  {"\xe2\x80\xa7\xe2\x80\xaa", "\xe2\x80\xa7\xe2\x80\xaa"},
  /* invalid UTF-8: stray continuation, overlong, surrogate, above
   * U+10FFFF, 0xff, truncated at the end */
  {"a\x80" "b", "a\\ufffdb"},
  {"\xc0\xaf", "\\ufffd\\ufffd"},
  {"\xed\xa0\x80", "\\ufffd\\ufffd\\ufffd"},
  {"\xf4\x90\x80\x80", "\\ufffd\\ufffd\\ufffd\\ufffd"},
  {"\xff!", "\\ufffd!"},
  {"ok\xe2\x80", "ok\\ufffd\\ufffd"},
  {"\xc3(", "\\ufffd("},
};

START_TEST(test_esc_json_table)
{
  struct kc_buf b;

  kc_buf_init(&b, 256);
  ck_assert_int_eq(kc_esc_json(&b, json_cases[_i].in), 0);
  ck_assert_str_eq(kc_buf_get(&b), json_cases[_i].out);
  kc_buf_free(&b);
}
END_TEST

START_TEST(test_esc_json_str_quotes)
{
  struct kc_buf b;

  kc_buf_init(&b, 64);
  ck_assert_int_eq(kc_esc_json_str(&b, "a\"\n"), 0);
  ck_assert_str_eq(kc_buf_get(&b), "\"a\\\"\\n\"");
  kc_buf_reset(&b);
  ck_assert_int_eq(kc_esc_json_str(&b, ""), 0);
  ck_assert_str_eq(kc_buf_get(&b), "\"\"");
  kc_buf_free(&b);
}
END_TEST

START_TEST(test_esc_json_one_used)
{
  char out[KC_ESC_JSON_ONE_MAX];
  size_t used = 0;

  ck_assert_uint_eq(kc_esc_json_one("\xf0\x9f\x98\x80", out, &used), 4);
  ck_assert_uint_eq(used, 4);
  ck_assert_uint_eq(kc_esc_json_one("\xe2\x80\xa9", out, &used), 6);
  ck_assert_uint_eq(used, 3);
  ck_assert(memcmp(out, "\\u2029", 6) == 0);
  ck_assert_uint_eq(kc_esc_json_one("\xe2", out, &used), 6);
  ck_assert_uint_eq(used, 1);
  ck_assert(memcmp(out, "\\ufffd", 6) == 0);
}
END_TEST

START_TEST(test_esc_json_over_cap)
{
  struct kc_buf b;

  kc_buf_init(&b, 5);
  ck_assert_int_eq(kc_esc_json(&b, "\x01"), KC_ERR_TOO_LARGE);
  kc_buf_free(&b);
}
END_TEST

static const struct {
  const char *in;
  const char *out;
} html_cases[] = {
  {"", ""},
  {"plain text", "plain text"},
  {"&", "&amp;"},
  {"<", "&lt;"},
  {">", "&gt;"},
  {"\"", "&quot;"},
  {"'", "&#39;"},
  {"a&b<c>d\"e'f", "a&amp;b&lt;c&gt;d&quot;e&#39;f"},
  {"<script>alert('x')</script>",
   "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"},
  {"&amp;", "&amp;amp;"},
  {"\"><img src=x>", "&quot;&gt;&lt;img src=x&gt;"},
  {"M\xc3\xbcster \xe2\x82\xac \xf0\x9f\x98\x80", /* UTF-8 untouched */
   "M\xc3\xbcster \xe2\x82\xac \xf0\x9f\x98\x80"},
  {"tab\tand\nnewline", "tab\tand\nnewline"},
};

START_TEST(test_esc_html_table)
{
  struct kc_buf b;

  kc_buf_init(&b, 1024);
  ck_assert_int_eq(kc_esc_html(&b, html_cases[_i].in), 0);
  ck_assert_str_eq(kc_buf_get(&b), html_cases[_i].out);
  kc_buf_free(&b);
}
END_TEST

START_TEST(test_esc_html_appends_and_caps)
{
  struct kc_buf b;

  kc_buf_init(&b, 16);
  ck_assert_int_eq(kc_buf_add_str(&b, "x="), 0);
  ck_assert_int_eq(kc_esc_html(&b, "<b>"), 0);
  ck_assert_str_eq(kc_buf_get(&b), "x=&lt;b&gt;");
  /* past the cap: an error, and the buffer is wiped and empty */
  ck_assert_int_eq(kc_esc_html(&b, "&&"), KC_ERR_TOO_LARGE);
  ck_assert_uint_eq(kc_buf_len(&b), 0);
  ck_assert_str_eq(kc_buf_get(&b), "");
  kc_buf_free(&b);
}
END_TEST

static const struct {
  const char *in;
  const char *out;
} pct_cases[] = {
  {"", ""},
  {"AZaz09-_.~", "AZaz09-_.~"}, /* unreserved (RFC 3986) kept */
  {" ", "%20"},
  {"+", "%2B"},
  {"a b+c", "a%20b%2Bc"},
  {"&=?/#%", "%26%3D%3F%2F%23%25"},
  {"!*'();:@$,[]", "%21%2A%27%28%29%3B%3A%40%24%2C%5B%5D"},
  {"\"<>\\^`{|}", "%22%3C%3E%5C%5E%60%7B%7C%7D"},
  {"\t\r\n\x01\x1f\x7f", "%09%0D%0A%01%1F%7F"},
  {"M\xc3\xbcster", "M%C3%BCster"}, /* uppercase hex */
  {"\xe2\x82\xac", "%E2%82%AC"},
  {"\xff\xfe", "%FF%FE"},
  {"praxis@muster.example", "praxis%40muster.example"},
};

START_TEST(test_esc_pct_table)
{
  struct kc_buf b;

  kc_buf_init(&b, 1024);
  ck_assert_int_eq(kc_esc_pct(&b, pct_cases[_i].in), 0);
  ck_assert_str_eq(kc_buf_get(&b), pct_cases[_i].out);
  kc_buf_free(&b);
}
END_TEST

START_TEST(test_esc_pct_caps)
{
  struct kc_buf b;

  kc_buf_init(&b, 5);
  ck_assert_int_eq(kc_esc_pct(&b, "ab c"), KC_ERR_TOO_LARGE);
  ck_assert_uint_eq(kc_buf_len(&b), 0);
  kc_buf_free(&b);
  kc_buf_init(&b, 5);
  ck_assert_int_eq(kc_esc_pct(&b, "a b"), 0);
  ck_assert_str_eq(kc_buf_get(&b), "a%20b");
  kc_buf_free(&b);
}
END_TEST

static Suite *
esc_suite(void)
{
  Suite *s = suite_create("esc");
  TCase *tc = tcase_create("core");

  tcase_add_loop_test(tc, test_esc_json_table, 0,
    (int) (sizeof(json_cases) / sizeof(json_cases[0])));
  tcase_add_test(tc, test_esc_json_str_quotes);
  tcase_add_test(tc, test_esc_json_one_used);
  tcase_add_test(tc, test_esc_json_over_cap);
  tcase_add_loop_test(tc, test_esc_html_table, 0,
    (int) (sizeof(html_cases) / sizeof(html_cases[0])));
  tcase_add_test(tc, test_esc_html_appends_and_caps);
  tcase_add_loop_test(tc, test_esc_pct_table, 0,
    (int) (sizeof(pct_cases) / sizeof(pct_cases[0])));
  tcase_add_test(tc, test_esc_pct_caps);
  suite_add_tcase(s, tc);
  return s;
}

int
main(void)
{
  SRunner *sr = srunner_create(esc_suite());
  int failed;

  srunner_run_all(sr, CK_NORMAL);
  failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
