/* Unit tests for common/kc_buf.c. */
#include <config.h>

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "kc_buf.h"
#include "kc_err.h"

START_TEST(test_buf_empty_is_empty_string)
{
  struct kc_buf b;

  kc_buf_init(&b, 16);
  ck_assert_str_eq(kc_buf_get(&b), "");
  ck_assert_uint_eq(kc_buf_len(&b), 0);
  ck_assert_ptr_null(kc_buf_detach(&b));
  kc_buf_free(&b);
}
END_TEST

START_TEST(test_buf_append_and_terminate)
{
  struct kc_buf b;

  kc_buf_init(&b, 1000);
  ck_assert_int_eq(kc_buf_add_str(&b, "abc"), 0);
  ck_assert_int_eq(kc_buf_add(&b, "de", 2), 0);
  ck_assert_int_eq(kc_buf_printf(&b, "-%d-%s", 42, "x"), 0);
  ck_assert_str_eq(kc_buf_get(&b), "abcde-42-x");
  ck_assert_uint_eq(kc_buf_len(&b), 10);
  kc_buf_free(&b);
  ck_assert_str_eq(kc_buf_get(&b), "");
}
END_TEST

START_TEST(test_buf_cap_exact_fits)
{
  struct kc_buf b;

  kc_buf_init(&b, 5);
  ck_assert_int_eq(kc_buf_add_str(&b, "12345"), 0);
  ck_assert_str_eq(kc_buf_get(&b), "12345");
  kc_buf_free(&b);
}
END_TEST

START_TEST(test_buf_over_cap_fails_and_frees)
{
  struct kc_buf b;

  kc_buf_init(&b, 5);
  ck_assert_int_eq(kc_buf_add_str(&b, "123"), 0);
  ck_assert_int_eq(kc_buf_add_str(&b, "456"), KC_ERR_TOO_LARGE);
  /* nothing half-built survives */
  ck_assert_uint_eq(kc_buf_len(&b), 0);
  ck_assert_str_eq(kc_buf_get(&b), "");
  /* the buffer is usable again with the same cap */
  ck_assert_int_eq(kc_buf_add_str(&b, "ok"), 0);
  ck_assert_str_eq(kc_buf_get(&b), "ok");
  kc_buf_free(&b);
}
END_TEST

START_TEST(test_buf_printf_long_and_over_cap)
{
  struct kc_buf b;
  char big[600];

  memset(big, 'a', sizeof(big) - 1);
  big[sizeof(big) - 1] = '\0';
  kc_buf_init(&b, 1000);
  ck_assert_int_eq(kc_buf_printf(&b, "%s", big), 0);
  ck_assert_uint_eq(kc_buf_len(&b), 599);
  ck_assert_int_eq(kc_buf_printf(&b, "%s", big), KC_ERR_TOO_LARGE);
  ck_assert_uint_eq(kc_buf_len(&b), 0);
  kc_buf_free(&b);
}
END_TEST

START_TEST(test_buf_grows_across_many_appends)
{
  struct kc_buf b;
  int i;

  kc_buf_init(&b, 100000);
  for (i = 0; i < 10000; i++)
    ck_assert_int_eq(kc_buf_add(&b, "0123456789", 10), 0);
  ck_assert_uint_eq(kc_buf_len(&b), 100000);
  ck_assert_int_eq(kc_buf_add(&b, "x", 1), KC_ERR_TOO_LARGE);
  kc_buf_free(&b);
}
END_TEST

START_TEST(test_buf_embedded_nul_and_detach)
{
  struct kc_buf b;
  char *d;

  kc_buf_init(&b, 10);
  ck_assert_int_eq(kc_buf_add(&b, "a\0b", 3), 0);
  ck_assert_uint_eq(kc_buf_len(&b), 3);
  d = kc_buf_detach(&b);
  ck_assert_ptr_nonnull(d);
  ck_assert_int_eq(memcmp(d, "a\0b", 4), 0);
  ck_assert_uint_eq(kc_buf_len(&b), 0);
  free(d);
}
END_TEST

START_TEST(test_buf_reset_keeps_cap)
{
  struct kc_buf b;

  kc_buf_init(&b, 4);
  ck_assert_int_eq(kc_buf_add_str(&b, "abcd"), 0);
  kc_buf_reset(&b);
  ck_assert_str_eq(kc_buf_get(&b), "");
  ck_assert_int_eq(kc_buf_add_str(&b, "wxyz"), 0);
  ck_assert_int_eq(kc_buf_add_str(&b, "q"), KC_ERR_TOO_LARGE);
  kc_buf_free(&b);
}
END_TEST

static Suite *
buf_suite(void)
{
  Suite *s = suite_create("buf");
  TCase *tc = tcase_create("core");

  tcase_add_test(tc, test_buf_empty_is_empty_string);
  tcase_add_test(tc, test_buf_append_and_terminate);
  tcase_add_test(tc, test_buf_cap_exact_fits);
  tcase_add_test(tc, test_buf_over_cap_fails_and_frees);
  tcase_add_test(tc, test_buf_printf_long_and_over_cap);
  tcase_add_test(tc, test_buf_grows_across_many_appends);
  tcase_add_test(tc, test_buf_embedded_nul_and_detach);
  tcase_add_test(tc, test_buf_reset_keeps_cap);
  suite_add_tcase(s, tc);
  return s;
}

int
main(void)
{
  SRunner *sr = srunner_create(buf_suite());
  int failed;

  srunner_run_all(sr, CK_NORMAL);
  failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
