/* Unit tests for kcd/web/ratelimit.c: token buckets, refill, and eviction
 * that never hands a limited key a fresh bucket. Time is driven by the
 * tests (milliseconds). */
#include <config.h>

#include <check.h>
#include <stdio.h>
#include <stdlib.h>

#include <sodium.h>

#include "kc_err.h"
#include "ratelimit.h"

#define T0 1000000 /* any start; the clock is ours */

static struct kc_ratelimit *
table(size_t slots)
{
  struct kc_ratelimit *rl = NULL;

  ck_assert_int_eq(kc_ratelimit_new(&rl, slots), 0);
  ck_assert_ptr_nonnull(rl);
  return rl;
}

/* Take until refused; how many were allowed. */
static unsigned
drain(struct kc_ratelimit *rl, const char *key, unsigned burst, unsigned per,
  int64_t now)
{
  unsigned n = 0;

  while (kc_ratelimit_take(rl, key, burst, per, now) == 0)
    n++;
  return n;
}

/* One action each for KC_RATELIMIT_WAYS keys "PREFIX:0".. of one limit,
 * the i-th at now + i ms: a table of one set is then full of them. */
static void
fill_set(struct kc_ratelimit *rl, const char *prefix, unsigned burst,
  unsigned per, int64_t now)
{
  char key[32];
  int i;

  for (i = 0; i < KC_RATELIMIT_WAYS; i++) {
    snprintf(key, sizeof(key), "%s:%d", prefix, i);
    ck_assert_uint_eq(kc_ratelimit_take(rl, key, burst, per, now + i), 0);
  }
}

START_TEST(test_ratelimit_burst_then_refill)
{
  struct kc_ratelimit *rl = table(0);

  ck_assert_uint_eq(drain(rl, "reg-ip:192.0.2.1", 3, 60, T0), 3);
  /* the next one comes free after 60 s */
  ck_assert_uint_eq(kc_ratelimit_take(rl, "reg-ip:192.0.2.1", 3, 60, T0), 60);
  ck_assert_uint_eq(kc_ratelimit_take(rl, "reg-ip:192.0.2.1", 3, 60,
                      T0 + 59500), 1);
  ck_assert_uint_eq(kc_ratelimit_take(rl, "reg-ip:192.0.2.1", 3, 60,
                      T0 + 60000), 0);
  ck_assert_uint_ne(kc_ratelimit_take(rl, "reg-ip:192.0.2.1", 3, 60,
                      T0 + 60000), 0);
  /* a long pause fills the bucket, never beyond burst */
  ck_assert_uint_eq(drain(rl, "reg-ip:192.0.2.1", 3, 60, T0 + 3600000), 3);
  /* other keys are not touched */
  ck_assert_uint_eq(drain(rl, "reg-ip:192.0.2.2", 3, 60, T0), 3);
  kc_ratelimit_free(rl);
}
END_TEST

START_TEST(test_ratelimit_refused_costs_nothing)
{
  struct kc_ratelimit *rl = table(0);
  int i;

  ck_assert_uint_eq(drain(rl, "k", 2, 10, T0), 2);
  for (i = 0; i < 100; i++)
    ck_assert_uint_ne(kc_ratelimit_take(rl, "k", 2, 10, T0 + 5000), 0);
  ck_assert_uint_eq(kc_ratelimit_take(rl, "k", 2, 10, T0 + 10000), 0);
  kc_ratelimit_free(rl);
}
END_TEST

/* One set of KC_RATELIMIT_WAYS slots: every new key competes with the
 * limited one. A flood of fresh keys pushes out the others, not it. */
START_TEST(test_ratelimit_flood_of_new_keys_keeps_limit)
{
  struct kc_ratelimit *rl = table(KC_RATELIMIT_WAYS);
  char key[64];
  int64_t t;
  int i;

  ck_assert_uint_eq(drain(rl, "reg-customer:4711", 3, 60, T0), 3);
  for (t = T0; t < T0 + 60000; t += 1000) {
    for (i = 0; i < 50; i++) {
      snprintf(key, sizeof(key), "captcha-ip:198.51.100.%d:%lld", i,
        (long long) t);
      (void) kc_ratelimit_take(rl, key, 30, 2, t);
    }
    ck_assert_msg(kc_ratelimit_take(rl, "reg-customer:4711", 3, 60, t) != 0,
      "the limited key got through after %lld ms", (long long) (t - T0));
  }
  ck_assert_uint_eq(kc_ratelimit_take(rl, "reg-customer:4711", 3, 60,
                      T0 + 60000), 0);
  kc_ratelimit_free(rl);
}
END_TEST

/* Even when the limited key is pushed out (every other key of its limit
 * owes more), it comes back with no more room than it had, whatever the
 * keys that pushed it out left behind. */
START_TEST(test_ratelimit_eviction_inherits_debt)
{
  struct kc_ratelimit *rl = table(KC_RATELIMIT_WAYS);
  char key[64];
  int64_t t;
  int i, j;

  ck_assert_uint_eq(drain(rl, "cred-user:mmuster", 3, 60, T0), 3);
  for (t = T0; t < T0 + 60000; t += 500) {
    /* keys of the same limit that owe a lot (drained), then keys that
     * act once (these take over slots with the debt they find) */
    for (i = 0; i < 3 * KC_RATELIMIT_WAYS; i++) {
      snprintf(key, sizeof(key), "cred-user:d%lld-%d", (long long) t, i);
      (void) drain(rl, key, 3, 60, t);
    }
    for (j = 0; j < 3 * KC_RATELIMIT_WAYS; j++) {
      snprintf(key, sizeof(key), "cred-user:f%lld-%d", (long long) t, j);
      (void) kc_ratelimit_take(rl, key, 3, 60, t);
    }
    ck_assert_msg(kc_ratelimit_take(rl, "cred-user:mmuster", 3, 60, t) != 0,
      "the limited key came back with room after %lld ms",
      (long long) (t - T0));
  }
  kc_ratelimit_free(rl);
}
END_TEST

/* A set of keys that all fit is remembered exactly; a set full of full
 * buckets gives a newcomer a full bucket too (nothing was limited). */
START_TEST(test_ratelimit_full_buckets_make_room)
{
  struct kc_ratelimit *rl = table(KC_RATELIMIT_WAYS);

  fill_set(rl, "act-ip", 5, 10, T0);
  /* an hour later they are all full again: a newcomer starts full */
  ck_assert_uint_eq(drain(rl, "act-ip:new", 5, 10, T0 + 3600000), 5);
  kc_ratelimit_free(rl);
}
END_TEST

/* Keys of another limit never pass their debt on: a set full of keys
 * that each owe 20 minutes (one registration of a customer each) leaves a
 * newcomer of a fast limit its whole burst (before, it inherited the 20
 * minutes, more than its own burst holds, and was refused at once). */
START_TEST(test_ratelimit_other_limits_pass_no_debt)
{
  struct kc_ratelimit *rl = table(KC_RATELIMIT_WAYS);

  fill_set(rl, "reg-customer", 3, 1200, T0);
  ck_assert_uint_eq(drain(rl, "act-ip:192.0.2.7", 10, 20, T0 + 1000), 10);
  /* and the first of the other limit's keys (the one it would have
   * pushed out) still has the two actions it had left */
  ck_assert_uint_eq(drain(rl, "reg-customer:0", 3, 1200, T0 + 1000), 2);
  kc_ratelimit_free(rl);
}
END_TEST

START_TEST(test_ratelimit_bad_size)
{
  struct kc_ratelimit *rl = (struct kc_ratelimit *) 1;

  ck_assert_int_eq(kc_ratelimit_new(&rl, KC_RATELIMIT_WAYS + 1),
    KC_ERR_INVALID);
  ck_assert_ptr_null(rl);
  kc_ratelimit_free(NULL);
}
END_TEST

static Suite *
ratelimit_suite(void)
{
  Suite *s = suite_create("ratelimit");
  TCase *tc = tcase_create("core");

  tcase_add_test(tc, test_ratelimit_burst_then_refill);
  tcase_add_test(tc, test_ratelimit_refused_costs_nothing);
  tcase_add_test(tc, test_ratelimit_flood_of_new_keys_keeps_limit);
  tcase_add_test(tc, test_ratelimit_eviction_inherits_debt);
  tcase_add_test(tc, test_ratelimit_full_buckets_make_room);
  tcase_add_test(tc, test_ratelimit_other_limits_pass_no_debt);
  tcase_add_test(tc, test_ratelimit_bad_size);
  suite_add_tcase(s, tc);
  return s;
}

int
main(void)
{
  SRunner *sr;
  int failed;

  if (sodium_init() < 0)
    return EXIT_FAILURE;
  sr = srunner_create(ratelimit_suite());
  srunner_run_all(sr, CK_NORMAL);
  failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
