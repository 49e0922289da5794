/* Unit tests for kcd/auth/reset.c: the rules of the forgotten-password
 * link (per-account cap, expiry, token syntax), with a driven clock. */
#include <config.h>

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "reset.h"

START_TEST(test_reset_cap_first_and_window)
{
  struct kc_send_cap cur = {0, 0}, next;
  const time_t t0 = 1800000000;

  /* no counters yet: a window starts now */
  ck_assert(kc_reset_cap_take(&cur, t0, &next));
  ck_assert_int_eq(next.window_start, t0);
  ck_assert_uint_eq(next.sends, 1);
  /* three in the window, not a fourth */
  cur = next;
  ck_assert(kc_reset_cap_take(&cur, t0 + 10, &next));
  ck_assert_int_eq(next.window_start, t0);
  ck_assert_uint_eq(next.sends, 2);
  cur = next;
  ck_assert(kc_reset_cap_take(&cur, t0 + 20, &next));
  ck_assert_uint_eq(next.sends, 3);
  cur = next;
  ck_assert(!kc_reset_cap_take(&cur, t0 + 30, &next));
  ck_assert_int_eq(next.window_start, t0);
  ck_assert_uint_eq(next.sends, 3);
  ck_assert(!kc_reset_cap_take(&cur, t0 + KC_RESET_WINDOW - 1, &next));
  /* an hour after the window started, a new one */
  ck_assert(kc_reset_cap_take(&cur, t0 + KC_RESET_WINDOW, &next));
  ck_assert_int_eq(next.window_start, t0 + KC_RESET_WINDOW);
  ck_assert_uint_eq(next.sends, 1);
}
END_TEST

START_TEST(test_reset_cap_future_window)
{
  struct kc_send_cap cur = {1800000000, 3}, next;

  /* the clock went back: the window starts over instead of blocking */
  ck_assert(kc_reset_cap_take(&cur, 1800000000 - 100, &next));
  ck_assert_int_eq(next.window_start, 1800000000 - 100);
  ck_assert_uint_eq(next.sends, 1);
}
END_TEST

/* The same rule with another cap: the activation mails of a customer. */
START_TEST(test_send_cap_other_cap)
{
  struct kc_send_cap cur = {0, 0}, next;
  const time_t t0 = 1800000000;
  unsigned i;

  for (i = 1; i <= 3; i++) {
    ck_assert(kc_send_cap_take(&cur, t0 + i, 3, 1200, &next));
    ck_assert_int_eq(next.window_start, t0 + 1);
    ck_assert_uint_eq(next.sends, i);
    cur = next;
  }
  ck_assert(!kc_send_cap_take(&cur, t0 + 1200, 3, 1200, &next));
  ck_assert_uint_eq(next.sends, 3);
  ck_assert(kc_send_cap_take(&cur, t0 + 1201, 3, 1200, &next));
  ck_assert_int_eq(next.window_start, t0 + 1201);
  ck_assert_uint_eq(next.sends, 1);
  /* a stored count of 0 (an administrator's reset) is a value */
  cur.window_start = t0;
  cur.sends = 0;
  ck_assert(kc_send_cap_take(&cur, t0 + 5, 3, 1200, &next));
  ck_assert_int_eq(next.window_start, t0);
  ck_assert_uint_eq(next.sends, 1);
  /* no cap at all: nothing goes, and next is cur */
  ck_assert(!kc_send_cap_take(&cur, t0 + 5, 0, 1200, &next));
  ck_assert_int_eq(next.window_start, t0);
  ck_assert_uint_eq(next.sends, 0);
}
END_TEST

START_TEST(test_reset_live)
{
  ck_assert(kc_reset_live(1000, 999));
  ck_assert(!kc_reset_live(1000, 1000));
  ck_assert(!kc_reset_live(1000, 5000));
  ck_assert(!kc_reset_live(0, 10)); /* no expiry stored: dead */
}
END_TEST

START_TEST(test_reset_token_syntax)
{
  static const char good[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJ0123-_9";
  static const char *const bad[] = {
    "",
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJ0123-_",   /* 42 */
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJ0123-_99", /* 44 */
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJ0123-+9",  /* not base64url */
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJ0123-=9",
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJ0123- 9",
    "*)(kcResetHash=*)",
  };
  size_t i;

  ck_assert_uint_eq(strlen(good), KC_RESET_TOKEN_LEN);
  ck_assert(kc_reset_token_ok(good));
  for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
    ck_assert_msg(!kc_reset_token_ok(bad[i]), "accepted \"%s\"", bad[i]);
}
END_TEST

static Suite *
reset_suite(void)
{
  Suite *s = suite_create("reset");
  TCase *tc = tcase_create("core");

  tcase_add_test(tc, test_reset_cap_first_and_window);
  tcase_add_test(tc, test_reset_cap_future_window);
  tcase_add_test(tc, test_send_cap_other_cap);
  tcase_add_test(tc, test_reset_live);
  tcase_add_test(tc, test_reset_token_syntax);
  suite_add_tcase(s, tc);
  return s;
}

int
main(void)
{
  SRunner *sr;
  int failed;

  sr = srunner_create(reset_suite());
  srunner_run_all(sr, CK_NORMAL);
  failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
