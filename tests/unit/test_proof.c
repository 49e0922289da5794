/* Unit tests for kcd/auth/proof.c: proofs of a passed second factor. */
#include <config.h>

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "kc_err.h"
#include "proof.h"

static const unsigned char key[KC_TAN_KEY_BYTES] =
  "0123456789abcdef0123456789abcde";
static const unsigned char other_key[KC_TAN_KEY_BYTES] =
  "fedcba9876543210fedcba987654321";
static const char dn[] = "uid=etan,ou=accounts,dc=example,dc=org";

START_TEST(test_proof_roundtrip)
{
  char p[KC_PROOF_LEN + 1];

  ck_assert_int_eq(kc_proof_make(p, key, dn, 1000000), 0);
  ck_assert_uint_eq(strlen(p), KC_PROOF_LEN);
  ck_assert_int_eq(p[16], '.');
  ck_assert_int_eq(kc_proof_check(p, key, dn, 1000000), 0);
  ck_assert_int_eq(kc_proof_check(p, key, dn, 1000000 + KC_PROOF_TTL), 0);
}
END_TEST

START_TEST(test_proof_expires)
{
  char p[KC_PROOF_LEN + 1];

  ck_assert_int_eq(kc_proof_make(p, key, dn, 1000000), 0);
  ck_assert_int_eq(kc_proof_check(p, key, dn, 1000000 + KC_PROOF_TTL + 1), -1);
  /* from the future: a minute of skew, no more */
  ck_assert_int_eq(kc_proof_check(p, key, dn, 1000000 - 60), 0);
  ck_assert_int_eq(kc_proof_check(p, key, dn, 1000000 - 61), -1);
}
END_TEST

START_TEST(test_proof_bound_to_account_and_key)
{
  char p[KC_PROOF_LEN + 1];

  ck_assert_int_eq(kc_proof_make(p, key, dn, 1000000), 0);
  ck_assert_int_eq(kc_proof_check(p, key,
    "uid=mtan,ou=accounts,dc=example,dc=org", 1000000), -1);
  ck_assert_int_eq(kc_proof_check(p, other_key, dn, 1000000), -1);
  ck_assert_int_eq(kc_proof_make(p, key, "", 1000000), KC_ERR_INVALID);
  ck_assert_str_eq(p, "");
}
END_TEST

START_TEST(test_proof_tampered)
{
  char p[KC_PROOF_LEN + 1], q[KC_PROOF_LEN + 2];
  size_t i;

  ck_assert_int_eq(kc_proof_make(p, key, dn, 1000000), 0);
  /* every single changed character fails */
  for (i = 0; i < KC_PROOF_LEN; i++) {
    memcpy(q, p, sizeof(p));
    q[i] = q[i] == '0' ? '1' : '0';
    ck_assert_int_eq(kc_proof_check(q, key, dn, 1000000), -1);
  }
  /* a later issue time with the old MAC */
  memcpy(q, p, sizeof(p));
  q[15] = q[15] == 'f' ? 'e' : 'f';
  ck_assert_int_eq(kc_proof_check(q, key, dn, 1000000), -1);
  ck_assert_int_eq(kc_proof_check("", key, dn, 1000000), -1);
  ck_assert_int_eq(kc_proof_check(p + 1, key, dn, 1000000), -1);
  memcpy(q, p, sizeof(p));
  q[KC_PROOF_LEN] = 'a';
  q[KC_PROOF_LEN + 1] = '\0';
  ck_assert_int_eq(kc_proof_check(q, key, dn, 1000000), -1);
  /* upper-case hex is not what kcd writes */
  memcpy(q, p, sizeof(p));
  for (i = 0; i < KC_PROOF_LEN; i++)
    if (q[i] >= 'a' && q[i] <= 'f')
      q[i] = (char) (q[i] - 'a' + 'A');
  if (strcmp(q, p) != 0)
    ck_assert_int_eq(kc_proof_check(q, key, dn, 1000000), -1);
}
END_TEST

START_TEST(test_proof_for_label_and_extra)
{
  char p[KC_PROOF_LEN + 1];

  ck_assert_int_eq(kc_proof_make_for(p, key, "kc-web-login-ticket-v1", dn,
                                     "challenge-1", 1000000),
                   0);
  ck_assert_int_eq(kc_proof_check_for(p, key, "kc-web-login-ticket-v1", dn,
                                      "challenge-1", 1000900, 900),
                   0);
  ck_assert_int_eq(kc_proof_check_for(p, key, "kc-web-login-ticket-v1", dn,
                                      "challenge-1", 1000901, 900),
                   -1);
  /* another challenge, another purpose, no extra: nothing */
  ck_assert_int_eq(kc_proof_check_for(p, key, "kc-web-login-ticket-v1", dn,
                                      "challenge-2", 1000000, 900),
                   -1);
  ck_assert_int_eq(kc_proof_check(p, key, dn, 1000000), -1);
  ck_assert_int_eq(kc_proof_make(p, key, dn, 1000000), 0);
  ck_assert_int_eq(kc_proof_check_for(p, key, "kc-web-login-ticket-v1", dn,
                                      NULL, 1000000, 900),
                   -1);
}
END_TEST

static Suite *
proof_suite(void)
{
  Suite *s = suite_create("proof");
  TCase *tc = tcase_create("core");

  tcase_add_test(tc, test_proof_roundtrip);
  tcase_add_test(tc, test_proof_expires);
  tcase_add_test(tc, test_proof_bound_to_account_and_key);
  tcase_add_test(tc, test_proof_tampered);
  tcase_add_test(tc, test_proof_for_label_and_extra);
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
  sr = srunner_create(proof_suite());
  srunner_run_all(sr, CK_NORMAL);
  failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
