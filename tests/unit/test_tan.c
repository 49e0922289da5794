/* Unit tests for kcd/auth/tan.c: the clock and randomness are injected. */
#include <config.h>

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "kc_err.h"
#include "tan.h"

struct fake {
  time_t now;
  unsigned char next; /* byte stream for "randomness" */
};

static time_t
fake_now(void *ctx)
{
  return ((struct fake *) ctx)->now;
}

static void
fake_random(void *ctx, void *buf, size_t len)
{
  struct fake *f = ctx;
  unsigned char *b = buf;
  size_t i;

  for (i = 0; i < len; i++)
    b[i] = f->next++;
}

static const unsigned char key[KC_TAN_KEY_BYTES] = "0123456789abcdef0123456789abcde";
static const struct kc_tan_policy policy = {6, 300, 3, 60, 5, 10};

static void
issue(struct fake *f, struct kc_tan_env *env, struct kc_tan_state *st,
  char tan[KC_MAX_TAN_LENGTH + 1])
{
  struct kc_tan_state next;

  env->now = fake_now;
  env->random = fake_random;
  env->ctx = f;
  ck_assert_int_eq(kc_tan_new(env, &policy, key, st, tan, &next), 0);
  *st = next;
}

START_TEST(test_tan_new_has_digits_and_hash)
{
  struct fake f = {1000000, 7};
  struct kc_tan_env env;
  struct kc_tan_state st = {0};
  char tan[KC_MAX_TAN_LENGTH + 1];

  issue(&f, &env, &st, tan);
  ck_assert(kc_tan_is_digits(tan, 6));
  ck_assert_uint_eq(strlen(st.challenge), KC_TAN_CHALLENGE_LEN);
  ck_assert_uint_eq(strlen(st.hash), KC_TAN_HASH_LEN);
  /* the TAN itself appears nowhere in the stored state */
  ck_assert_ptr_null(strstr(st.hash, tan));
  ck_assert_int_eq(st.expires, 1000000 + 300);
  ck_assert_uint_eq(st.tries, 0);
  ck_assert_int_eq(st.sent_at, 1000000);
  ck_assert_uint_eq(st.send_count, 1);
}
END_TEST

START_TEST(test_tan_check_right_wrong_dead)
{
  struct fake f = {5000, 1};
  struct kc_tan_env env;
  struct kc_tan_state st = {0};
  char tan[KC_MAX_TAN_LENGTH + 1], wrong[KC_MAX_TAN_LENGTH + 1];

  issue(&f, &env, &st, tan);
  ck_assert_int_eq(kc_tan_check(&policy, key, &st, st.challenge, tan, 5001),
    KC_TAN_RIGHT);
  memcpy(wrong, tan, sizeof(wrong));
  wrong[0] = wrong[0] == '9' ? '0' : (char) (wrong[0] + 1);
  ck_assert_int_eq(kc_tan_check(&policy, key, &st, st.challenge, wrong, 5001),
    KC_TAN_WRONG);
  /* empty, short, long, non-digit answers are wrong, never right */
  ck_assert_int_eq(kc_tan_check(&policy, key, &st, st.challenge, "", 5001),
    KC_TAN_WRONG);
  ck_assert_int_eq(kc_tan_check(&policy, key, &st, st.challenge, "12345", 5001),
    KC_TAN_WRONG);
  ck_assert_int_eq(
    kc_tan_check(&policy, key, &st, st.challenge, "1234567", 5001),
    KC_TAN_WRONG);
  ck_assert_int_eq(
    kc_tan_check(&policy, key, &st, st.challenge, "12a456", 5001),
    KC_TAN_WRONG);
  /* another challenge id */
  ck_assert_int_eq(kc_tan_check(&policy, key, &st, "AAAAAAAAAAAAAAAAAAAAAA",
                     tan, 5001),
    KC_TAN_DEAD);
  /* expired */
  ck_assert_int_eq(kc_tan_check(&policy, key, &st, st.challenge, tan,
                     5000 + 300),
    KC_TAN_DEAD);
  /* tries used up */
  st.tries = 3;
  ck_assert_int_eq(kc_tan_check(&policy, key, &st, st.challenge, tan, 5001),
    KC_TAN_DEAD);
  /* consumed (hash removed) */
  st.tries = 0;
  st.hash[0] = '\0';
  ck_assert_int_eq(kc_tan_check(&policy, key, &st, st.challenge, tan, 5001),
    KC_TAN_DEAD);
}
END_TEST

START_TEST(test_tan_other_key_does_not_verify)
{
  struct fake f = {5000, 1};
  struct kc_tan_env env;
  struct kc_tan_state st = {0};
  char tan[KC_MAX_TAN_LENGTH + 1];
  unsigned char other[KC_TAN_KEY_BYTES];

  issue(&f, &env, &st, tan);
  memcpy(other, key, sizeof(other));
  other[0] ^= 1;
  ck_assert_int_eq(kc_tan_check(&policy, other, &st, st.challenge, tan, 5001),
    KC_TAN_WRONG);
}
END_TEST

START_TEST(test_tan_decide_cooldown_and_cap)
{
  struct fake f = {10000, 3};
  struct kc_tan_env env;
  struct kc_tan_state st = {0};
  char tan[KC_MAX_TAN_LENGTH + 1];
  int i;

  ck_assert_int_eq(kc_tan_decide(&policy, &st, 10000), KC_TAN_ISSUE_NEW);
  issue(&f, &env, &st, tan);
  /* inside the cooldown with an open TAN: reuse, send nothing */
  ck_assert_int_eq(kc_tan_decide(&policy, &st, 10059), KC_TAN_ISSUE_REUSE);
  /* after the cooldown: a new one */
  ck_assert_int_eq(kc_tan_decide(&policy, &st, 10060), KC_TAN_ISSUE_NEW);
  /* a dead TAN inside the cooldown does not block a new one */
  st.tries = 3;
  ck_assert_int_eq(kc_tan_decide(&policy, &st, 10010), KC_TAN_ISSUE_NEW);
  st.tries = 0;
  /* five sends in an hour, then the cap */
  for (i = 1; i < 5; i++) {
    f.now += 61;
    issue(&f, &env, &st, tan);
  }
  ck_assert_uint_eq(st.send_count, 5);
  st.tries = 3; /* nothing open */
  ck_assert_int_eq(kc_tan_decide(&policy, &st, f.now + 61),
    KC_TAN_ISSUE_LIMITED);
  /* an open TAN under the cap is reused rather than refused */
  st.tries = 0;
  st.expires = f.now + 1000;
  ck_assert_int_eq(kc_tan_decide(&policy, &st, f.now + 61),
    KC_TAN_ISSUE_REUSE);
  /* a new hour opens a new window */
  st.tries = 3;
  ck_assert_int_eq(kc_tan_decide(&policy, &st, st.window_start + 3600),
    KC_TAN_ISSUE_NEW);
  f.now = st.window_start + 3600;
  issue(&f, &env, &st, tan);
  ck_assert_uint_eq(st.send_count, 1);
}
END_TEST

START_TEST(test_tan_digits_are_uniform)
{
  struct kc_tan_env env = {NULL, NULL, NULL}; /* real clock and randomness */
  struct kc_tan_policy p8 = {8, 300, 3, 60, 5, 10};
  struct kc_tan_state st = {0}, next;
  char tan[KC_MAX_TAN_LENGTH + 1];
  unsigned count[10] = {0};
  int i, d;

  for (i = 0; i < 2500; i++) {
    ck_assert_int_eq(kc_tan_new(&env, &p8, key, &st, tan, &next), 0);
    ck_assert(kc_tan_is_digits(tan, 8));
    for (d = 0; d < 8; d++)
      count[tan[d] - '0']++;
  }
  /* 20000 digits: each expected 2000 times; 5 sigma is about 212 */
  for (d = 0; d < 10; d++)
    ck_assert_msg(count[d] > 1750 && count[d] < 2250, "digit %d: %u", d,
      count[d]);
}
END_TEST

START_TEST(test_tan_bad_policy)
{
  struct kc_tan_env env = {NULL, NULL, NULL};
  struct kc_tan_policy bad = {5, 300, 3, 60, 5, 10};
  struct kc_tan_state st = {0}, next;
  char tan[KC_MAX_TAN_LENGTH + 1];

  ck_assert_int_eq(kc_tan_new(&env, &bad, key, &st, tan, &next),
    KC_ERR_INVALID);
  bad.length = 9;
  ck_assert_int_eq(kc_tan_new(&env, &bad, key, &st, tan, &next),
    KC_ERR_INVALID);
}
END_TEST

/* The gate in front of a compare: only an open TAN under its own
 * challenge, within its tries and the account's failures, is counted and
 * compared; the limits hold for the state before the count. */
START_TEST(test_tan_gate_counts_only_within_limits)
{
  struct fake f = {5000, 1};
  struct kc_tan_env env;
  struct kc_tan_state st = {0};
  char tan[KC_MAX_TAN_LENGTH + 1];

  ck_assert_int_eq(kc_tan_gate(&policy, &st, NULL, 5000), KC_TAN_GATE_DEAD);
  issue(&f, &env, &st, tan);
  ck_assert_int_eq(kc_tan_gate(&policy, &st, st.challenge, 5001),
    KC_TAN_GATE_COUNT);
  /* tan=inline names no challenge: the open TAN */
  ck_assert_int_eq(kc_tan_gate(&policy, &st, NULL, 5001), KC_TAN_GATE_COUNT);
  ck_assert_int_eq(kc_tan_gate(&policy, &st, "AAAAAAAAAAAAAAAAAAAAAA", 5001),
    KC_TAN_GATE_DEAD);
  ck_assert_int_eq(kc_tan_gate(&policy, &st, "", 5001), KC_TAN_GATE_DEAD);
  ck_assert_int_eq(kc_tan_gate(&policy, &st, st.challenge, 5300),
    KC_TAN_GATE_DEAD);
  /* the third try (tries 2 before it) is counted, a fourth is not */
  st.tries = 2;
  ck_assert_int_eq(kc_tan_gate(&policy, &st, st.challenge, 5001),
    KC_TAN_GATE_COUNT);
  st.tries = 3;
  ck_assert_int_eq(kc_tan_gate(&policy, &st, st.challenge, 5001),
    KC_TAN_GATE_MAXTRIES);
  /* the tenth failure is counted, an eleventh is not: locked */
  st.tries = 0;
  st.failures = 9;
  ck_assert_int_eq(kc_tan_gate(&policy, &st, st.challenge, 5001),
    KC_TAN_GATE_COUNT);
  st.failures = 10;
  ck_assert_int_eq(kc_tan_gate(&policy, &st, st.challenge, 5001),
    KC_TAN_GATE_LOCKED);
  /* but not for someone who does not hold the challenge */
  ck_assert_int_eq(kc_tan_gate(&policy, &st, "AAAAAAAAAAAAAAAAAAAAAA", 5001),
    KC_TAN_GATE_DEAD);
  /* a consumed TAN (hash gone) is dead */
  st.failures = 0;
  st.hash[0] = '\0';
  ck_assert_int_eq(kc_tan_gate(&policy, &st, st.challenge, 5001),
    KC_TAN_GATE_DEAD);
}
END_TEST

/* The account's count of wrong TANs survives new TANs (which do reset a
 * TAN's own tries), stops new TANs when used up, and locks at the limit. */
START_TEST(test_tan_failures_survive_new_tans)
{
  struct fake f = {20000, 5};
  struct kc_tan_env env;
  struct kc_tan_state st = {0};
  char tan[KC_MAX_TAN_LENGTH + 1];
  unsigned i;

  issue(&f, &env, &st, tan);
  st.tries = 3;
  st.failures = 7;
  st.failures_set = true;
  f.now += 3600;
  issue(&f, &env, &st, tan);
  ck_assert_uint_eq(st.tries, 0);
  ck_assert_uint_eq(st.failures, 7);
  ck_assert(st.failures_set);
  /* 5 TANs x 3 tries an hour no more: the 10th failure is the end */
  ck_assert(!kc_tan_lock_due(&policy, 9));
  ck_assert(kc_tan_lock_due(&policy, 10));
  ck_assert(kc_tan_lock_due(&policy, 11));
  st.failures = 10;
  st.tries = 3;
  ck_assert_int_eq(kc_tan_decide(&policy, &st, f.now + 3600),
    KC_TAN_ISSUE_LIMITED);
  /* max_failures 0: no such limit */
  {
    struct kc_tan_policy nolimit = policy;

    nolimit.max_failures = 0;
    for (i = 0; i < 100; i += 10)
      ck_assert(!kc_tan_lock_due(&nolimit, i));
    ck_assert_int_eq(kc_tan_decide(&nolimit, &st, f.now + 3600),
      KC_TAN_ISSUE_NEW);
  }
}
END_TEST

static Suite *
tan_suite(void)
{
  Suite *s = suite_create("tan");
  TCase *tc = tcase_create("core");

  tcase_add_test(tc, test_tan_new_has_digits_and_hash);
  tcase_add_test(tc, test_tan_check_right_wrong_dead);
  tcase_add_test(tc, test_tan_other_key_does_not_verify);
  tcase_add_test(tc, test_tan_decide_cooldown_and_cap);
  tcase_add_test(tc, test_tan_digits_are_uniform);
  tcase_add_test(tc, test_tan_bad_policy);
  tcase_add_test(tc, test_tan_gate_counts_only_within_limits);
  tcase_add_test(tc, test_tan_failures_survive_new_tans);
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
  sr = srunner_create(tan_suite());
  srunner_run_all(sr, CK_NORMAL);
  failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
