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
  const char *in, *out;
} pct_cases[] = {
  {"", ""},
  {"aZ09-._~", "aZ09-._~"},
  {"+=?/#%\"\\ &", "%2B%3D%3F%2F%23%25%22%5C%20%26"},
  {"\x01\x7f", "%01%7F"},
  {"\xc3\xbc\xff", "%C3%BC%FF"},
};

START_TEST(test_esc_pct_table)
{
  struct kc_buf b;

  kc_buf_init(&b, 256);
  ck_assert_int_eq(kc_esc_pct(&b, pct_cases[_i].in), 0);
  ck_assert_str_eq(kc_buf_get(&b), pct_cases[_i].out);
  kc_buf_free(&b);
}
END_TEST

static const struct {
  const char *in, *out;
} html_cases[] = {
  {"", ""},
  {"a&b<c>d\"e'f", "a&amp;b&lt;c&gt;d&quot;e&#39;f"},
  {"\xc3\xbc/=`", "\xc3\xbc/=`"},
  {"&&", "&amp;&amp;"},
};

START_TEST(test_esc_html_table)
{
  struct kc_buf b;

  kc_buf_init(&b, 256);
  ck_assert_int_eq(kc_esc_html(&b, html_cases[_i].in), 0);
  ck_assert_str_eq(kc_buf_get(&b), html_cases[_i].out);
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
  tcase_add_loop_test(tc, test_esc_pct_table, 0,
    (int) (sizeof(pct_cases) / sizeof(pct_cases[0])));
  tcase_add_loop_test(tc, test_esc_html_table, 0,
    (int) (sizeof(html_cases) / sizeof(html_cases[0])));
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
