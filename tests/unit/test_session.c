/* Unit tests for kcd/auth/session.c: the signed web session cookie. */
#include <config.h>

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "kc_err.h"
#include "session.h"

static const unsigned char key[32] = "0123456789abcdef0123456789abcde";
static const unsigned char other_key[32] = "fedcba9876543210fedcba987654321";
static const char uuid[] = "0f4c2a1e-7b7d-103f-9d7e-4f1c2a3b4c5d";
static const struct kc_session_binding bind = {"stampstampstamp", "20261207080000Z"};

static void
make(char out[KC_SESSION_COOKIE_MAX + 1], time_t issued, time_t used,
     time_t factor)
{
  struct kc_session s;

  memset(&s, 0, sizeof(s));
  memcpy(s.uuid, uuid, sizeof(uuid));
  s.issued = issued;
  s.used = used;
  s.factor_at = factor;
  ck_assert_int_eq(kc_session_make(out, key, &s, &bind), 0);
}

START_TEST(test_session_roundtrip)
{
  char c[KC_SESSION_COOKIE_MAX + 1];
  struct kc_session s;

  make(c, 1000000, 1000100, 1000000);
  ck_assert_uint_eq(strlen(c), KC_SESSION_COOKIE_MAX);
  ck_assert_int_eq(kc_session_check(c, key, &bind, 1000200, 900, 28800, &s),
                   KC_SESSION_OK);
  ck_assert_str_eq(s.uuid, uuid);
  ck_assert_int_eq(s.issued, 1000000);
  ck_assert_int_eq(s.used, 1000100);
  ck_assert_int_eq(s.factor_at, 1000000);
  ck_assert_int_eq(kc_session_parse(c, &s), 0);
  ck_assert_str_eq(s.uuid, uuid);
}
END_TEST

START_TEST(test_session_limits)
{
  char c[KC_SESSION_COOKIE_MAX + 1];
  struct kc_session s;

  make(c, 1000000, 1000100, 0);
  /* idle: 900 s after the last use, not one more */
  ck_assert_int_eq(kc_session_check(c, key, &bind, 1001000, 900, 28800, &s),
                   KC_SESSION_OK);
  ck_assert_int_eq(kc_session_check(c, key, &bind, 1001001, 900, 28800, &s),
                   KC_SESSION_IDLE);
  ck_assert_str_eq(s.uuid, "");
  /* absolute: however fresh the last use */
  make(c, 1000000, 1028800, 0);
  ck_assert_int_eq(kc_session_check(c, key, &bind, 1028800, 900, 28800, &s),
                   KC_SESSION_OK);
  ck_assert_int_eq(kc_session_check(c, key, &bind, 1028801, 900, 28800, &s),
                   KC_SESSION_EXPIRED);
  /* from the future: a minute of skew, no more */
  make(c, 1000000, 1000100, 0);
  ck_assert_int_eq(kc_session_check(c, key, &bind, 1000040, 900, 28800, &s),
                   KC_SESSION_OK);
  ck_assert_int_eq(kc_session_check(c, key, &bind, 1000039, 900, 28800, &s),
                   KC_SESSION_BAD);
}
END_TEST

START_TEST(test_session_bound)
{
  char c[KC_SESSION_COOKIE_MAX + 1];
  struct kc_session s;
  struct kc_session_binding b = bind;

  make(c, 1000000, 1000100, 0);
  ck_assert_int_eq(kc_session_check(c, other_key, &bind, 1000200, 900, 28800,
                                    &s),
                   KC_SESSION_BAD);
  b.stamp = "anotherstamp"; /* logout, reset */
  ck_assert_int_eq(kc_session_check(c, key, &b, 1000200, 900, 28800, &s),
                   KC_SESSION_BAD);
  b = bind;
  b.pwd_changed = "20261207090000Z"; /* a password change */
  ck_assert_int_eq(kc_session_check(c, key, &b, 1000200, 900, 28800, &s),
                   KC_SESSION_BAD);
  b.pwd_changed = "";
  ck_assert_int_eq(kc_session_check(c, key, &b, 1000200, 900, 28800, &s),
                   KC_SESSION_BAD);
  b = bind;
  b.stamp = ""; /* never made: nothing is valid */
  ck_assert_int_eq(kc_session_check(c, key, &b, 1000200, 900, 28800, &s),
                   KC_SESSION_BAD);
}
END_TEST

START_TEST(test_session_tampered)
{
  char c[KC_SESSION_COOKIE_MAX + 1], d[KC_SESSION_COOKIE_MAX + 2];
  struct kc_session s;
  size_t i;

  make(c, 1000000, 1000100, 0);
  /* every single changed character is refused */
  for (i = 0; i < strlen(c); i++) {
    memcpy(d, c, sizeof(c));
    d[i] = d[i] == 'a' ? 'b' : (d[i] == '.' ? 'x' : 'a');
    ck_assert_int_eq(kc_session_check(d, key, &bind, 1000200, 900, 28800, &s),
                     KC_SESSION_BAD);
  }
  /* longer, shorter, empty, upper-case hex */
  memcpy(d, c, sizeof(c));
  strcat(d, "0");
  ck_assert_int_eq(kc_session_check(d, key, &bind, 1000200, 900, 28800, &s),
                   KC_SESSION_BAD);
  d[strlen(c) - 1] = '\0';
  ck_assert_int_eq(kc_session_check(d, key, &bind, 1000200, 900, 28800, &s),
                   KC_SESSION_BAD);
  ck_assert_int_eq(kc_session_check("", key, &bind, 1000200, 900, 28800, &s),
                   KC_SESSION_BAD);
  ck_assert_int_eq(kc_session_parse("1.", &s), -1);
  /* the times out of order: used before issued, the factor after use */
  make(c, 1000100, 1000000, 0);
  ck_assert_int_eq(kc_session_check(c, key, &bind, 1000200, 900, 28800, &s),
                   KC_SESSION_BAD);
  make(c, 1000000, 1000100, 1000101);
  ck_assert_int_eq(kc_session_check(c, key, &bind, 1000200, 900, 28800, &s),
                   KC_SESSION_BAD);
}
END_TEST

START_TEST(test_session_make_refuses)
{
  char c[KC_SESSION_COOKIE_MAX + 1];
  struct kc_session s;
  struct kc_session_binding b = {"", ""};

  memset(&s, 0, sizeof(s));
  memcpy(s.uuid, uuid, sizeof(uuid));
  ck_assert_int_eq(kc_session_make(c, key, &s, &b), KC_ERR_INVALID);
  ck_assert_str_eq(c, "");
  memcpy(s.uuid, "not-a-uuid", 11);
  ck_assert_int_eq(kc_session_make(c, key, &s, &bind), KC_ERR_INVALID);
}
END_TEST

START_TEST(test_session_csrf_and_stamp)
{
  char a[KC_SESSION_CSRF_LEN + 1], b[KC_SESSION_CSRF_LEN + 1];
  char s1[KC_SESSION_STAMP_LEN + 1], s2[KC_SESSION_STAMP_LEN + 1];
  struct kc_session s;

  memset(&s, 0, sizeof(s));
  memcpy(s.uuid, uuid, sizeof(uuid));
  s.issued = 1000000;
  kc_session_csrf(a, key, &s);
  ck_assert_uint_eq(strlen(a), KC_SESSION_CSRF_LEN);
  s.used = 1000500; /* the same session later: the same field */
  kc_session_csrf(b, key, &s);
  ck_assert_str_eq(a, b);
  s.issued = 1000001; /* another login: another field */
  kc_session_csrf(b, key, &s);
  ck_assert_str_ne(a, b);
  kc_session_new_stamp(s1);
  kc_session_new_stamp(s2);
  ck_assert_uint_eq(strlen(s1), KC_SESSION_STAMP_LEN);
  ck_assert_str_ne(s1, s2);
}
END_TEST

static Suite *
session_suite(void)
{
  Suite *s = suite_create("session");
  TCase *tc = tcase_create("core");

  tcase_add_test(tc, test_session_roundtrip);
  tcase_add_test(tc, test_session_limits);
  tcase_add_test(tc, test_session_bound);
  tcase_add_test(tc, test_session_tampered);
  tcase_add_test(tc, test_session_make_refuses);
  tcase_add_test(tc, test_session_csrf_and_stamp);
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
  sr = srunner_create(session_suite());
  srunner_run_all(sr, CK_NORMAL);
  failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
