/* Unit tests for common/kc_str.c. */
#include <config.h>

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "kc_err.h"
#include "kc_str.h"

static const struct {
  const char *in;
  uint64_t min, max;
  int rc;
  uint64_t v;
  size_t consumed;
} uint_cases[] = {
  {"0", 0, 10, 0, 0, 1},
  {"10", 0, 10, 0, 10, 2},
  {"11", 0, 10, KC_ERR_RANGE, 0, 0},
  {"5x", 0, 10, 0, 5, 1},
  {"", 0, 10, KC_ERR_INVALID, 0, 0},
  {"-1", 0, 10, KC_ERR_INVALID, 0, 0},
  {" 1", 0, 10, KC_ERR_INVALID, 0, 0},
  {"18446744073709551615", 0, UINT64_MAX, 0, UINT64_MAX, 20},
  {"18446744073709551616", 0, UINT64_MAX, KC_ERR_RANGE, 0, 0},
  {"99999999999999999999999", 0, UINT64_MAX, KC_ERR_RANGE, 0, 0},
  {"3", 5, 10, KC_ERR_RANGE, 0, 0},
};

START_TEST(test_str_uint_table)
{
  const char *p = uint_cases[_i].in;
  uint64_t v = 12345;
  int rc = kc_str_uint(&p, &v, uint_cases[_i].min, uint_cases[_i].max);

  ck_assert_int_eq(rc, uint_cases[_i].rc);
  ck_assert_uint_eq(v, uint_cases[_i].v);
  ck_assert_uint_eq((size_t) (p - uint_cases[_i].in), uint_cases[_i].consumed);
}
END_TEST

static const struct {
  const char *in;
  int rc;
  uint64_t secs;
} duration_cases[] = {
  {"30", 0, 30},
  {"30s", 0, 30},
  {"5m", 0, 300},
  {"24h", 0, 86400},
  {"0", 0, 0},
  {"5d", KC_ERR_INVALID, 0},
  {"m", KC_ERR_INVALID, 0},
  {"1h ", KC_ERR_INVALID, 0},
  {"9999999999999999999h", KC_ERR_RANGE, 0},
  {"100000000h", KC_ERR_RANGE, 0},
};

START_TEST(test_str_duration_table)
{
  uint64_t secs = 777;
  int rc = kc_str_to_duration(duration_cases[_i].in, &secs, 0, 10000000);

  ck_assert_msg(rc == duration_cases[_i].rc, "%s: rc %d", duration_cases[_i].in,
    rc);
  ck_assert_uint_eq(secs, duration_cases[_i].secs);
}
END_TEST

START_TEST(test_str_cursor_unchanged_on_failure)
{
  const char *s = "12z";
  const char *p = s;
  uint64_t v;

  ck_assert_int_eq(kc_str_uint(&p, &v, 0, 5), KC_ERR_RANGE);
  ck_assert_ptr_eq(p, s);
  ck_assert_int_eq(kc_str_uint(&p, &v, 0, 100), 0);
  ck_assert_int_eq(kc_str_end(&p), KC_ERR_INVALID);
  ck_assert_int_eq(*p, 'z');
}
END_TEST

static const struct {
  const char *name;
  bool ok;
} username_cases[] = {
  {"mmuster", true},
  {"MMuster", true},
  {"m.muster-2_x", true},
  {"0815", true},
  {"", false},
  {".hidden", false},
  {"-rf", false},
  {"a b", false},
  {"a*", false},
  {"a)(uid=*", false},
  {"m\xc3\xbcller", false},
  {"0123456789012345678901234567890123456789012345678901234567890123", true},
  {"01234567890123456789012345678901234567890123456789012345678901234",
    false},
};

START_TEST(test_str_username_table)
{
  ck_assert_msg(kc_str_is_username(username_cases[_i].name) ==
      username_cases[_i].ok,
    "%s", username_cases[_i].name);
}
END_TEST

START_TEST(test_str_customer_number)
{
  ck_assert(kc_str_is_customer_number("46075"));
  ck_assert(!kc_str_is_customer_number(""));
  ck_assert(!kc_str_is_customer_number("4607a"));
  ck_assert(!kc_str_is_customer_number("123456789012345678901"));
  ck_assert(kc_str_is_customer_number("12345678901234567890"));
}
END_TEST

START_TEST(test_str_printable)
{
  ck_assert(kc_str_is_printable("abc def", 7, false));
  ck_assert(!kc_str_is_printable("a\tb", 3, false));
  ck_assert(kc_str_is_printable("a\tb", 3, true));
  ck_assert(!kc_str_is_printable("a\nb", 3, true));
  ck_assert(!kc_str_is_printable("a\0b", 3, true));
  ck_assert(!kc_str_is_printable("\x7f", 1, true));
  ck_assert(kc_str_is_printable("\xc3\xbc", 2, false));
}
END_TEST

START_TEST(test_str_copy_printable)
{
  char out[6];

  kc_str_copy_printable(out, sizeof(out), "ab\ncd");
  ck_assert_str_eq(out, "ab?cd");
  kc_str_copy_printable(out, sizeof(out), "abcdefgh");
  ck_assert_str_eq(out, "abcde");
  kc_str_copy_printable(out, 1, "abc");
  ck_assert_str_eq(out, "");
}
END_TEST

START_TEST(test_str_lower_ascii)
{
  char s[] = "cred-user:MMuster.X_1-\xc3\x84";

  kc_str_lower_ascii(s);
  ck_assert_str_eq(s, "cred-user:mmuster.x_1-\xc3\x84");
}
END_TEST

static Suite *
str_suite(void)
{
  Suite *s = suite_create("str");
  TCase *tc = tcase_create("core");

  tcase_add_loop_test(tc, test_str_uint_table, 0,
    (int) (sizeof(uint_cases) / sizeof(uint_cases[0])));
  tcase_add_loop_test(tc, test_str_duration_table, 0,
    (int) (sizeof(duration_cases) / sizeof(duration_cases[0])));
  tcase_add_test(tc, test_str_cursor_unchanged_on_failure);
  tcase_add_loop_test(tc, test_str_username_table, 0,
    (int) (sizeof(username_cases) / sizeof(username_cases[0])));
  tcase_add_test(tc, test_str_customer_number);
  tcase_add_test(tc, test_str_printable);
  tcase_add_test(tc, test_str_copy_printable);
  tcase_add_test(tc, test_str_lower_ascii);
  suite_add_tcase(s, tc);
  return s;
}

int
main(void)
{
  SRunner *sr = srunner_create(str_suite());
  int failed;

  srunner_run_all(sr, CK_NORMAL);
  failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
