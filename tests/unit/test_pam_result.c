/* Unit tests for the KC_RES_* to PAM mapping (result.c). */
#include <config.h>

#include <check.h>
#include <stdlib.h>

#include <security/pam_modules.h>

#include "kc_proto.h"
#include "options.h"
#include "result.h"

/* Expected code per result, per facility (auth, account, password), with
 * no ignore_* option: the comments in kc_proto.h, as a table. */
static const struct {
  uint32_t result;
  int pam[3];
} known[] = {
  {KC_RES_OK, {PAM_SUCCESS, PAM_SUCCESS, PAM_SUCCESS}},
  {KC_RES_AUTH_ERR, {PAM_AUTH_ERR, PAM_AUTH_ERR, PAM_AUTH_ERR}},
  {KC_RES_USER_UNKNOWN, {PAM_AUTH_ERR, PAM_USER_UNKNOWN, PAM_USER_UNKNOWN}},
  {KC_RES_TAN_REQUIRED, {PAM_CRED_INSUFFICIENT, PAM_SYSTEM_ERR,
    PAM_SYSTEM_ERR}},
  {KC_RES_NEW_AUTHTOK_REQD, {PAM_SUCCESS, PAM_NEW_AUTHTOK_REQD,
    PAM_SYSTEM_ERR}},
  {KC_RES_LOCKED, {PAM_PERM_DENIED, PAM_PERM_DENIED, PAM_PERM_DENIED}},
  {KC_RES_EXPIRED, {PAM_ACCT_EXPIRED, PAM_ACCT_EXPIRED, PAM_ACCT_EXPIRED}},
  {KC_RES_AUTHTOK_ERR, {PAM_AUTH_ERR, PAM_SYSTEM_ERR, PAM_AUTHTOK_ERR}},
  {KC_RES_MAXTRIES, {PAM_MAXTRIES, PAM_PERM_DENIED, PAM_MAXTRIES}},
  {KC_RES_UNAVAILABLE, {PAM_AUTHINFO_UNAVAIL, PAM_AUTHINFO_UNAVAIL,
    PAM_AUTHINFO_UNAVAIL}},
  {KC_RES_PROTOCOL, {PAM_AUTHINFO_UNAVAIL, PAM_AUTHINFO_UNAVAIL,
    PAM_AUTHINFO_UNAVAIL}},
  {KC_RES_RATE_LIMITED, {PAM_MAXTRIES, PAM_PERM_DENIED, PAM_MAXTRIES}},
  {KC_RES_VERSION, {PAM_AUTHINFO_UNAVAIL, PAM_AUTHINFO_UNAVAIL,
    PAM_AUTHINFO_UNAVAIL}},
  {KC_RES_INTERNAL, {PAM_SYSTEM_ERR, PAM_SYSTEM_ERR, PAM_SYSTEM_ERR}},
};
#define NKNOWN (sizeof(known) / sizeof(known[0]))

static const enum kc_pam_facility facs[] = {KC_PAM_FAC_AUTH,
  KC_PAM_FAC_ACCOUNT, KC_PAM_FAC_PASSWORD};

START_TEST(test_pam_result_table_covers_every_code)
{
  size_t i;

  ck_assert_uint_eq(NKNOWN, KC_RES_LAST + 1);
  for (i = 0; i < NKNOWN; i++)
    ck_assert_uint_eq(known[i].result, i);
}
END_TEST

/* _i walks result x facility x the four ignore_* combinations. */
START_TEST(test_pam_result_each_code_each_facility)
{
  size_t row = (size_t) _i / 12, f = (size_t) (_i / 4) % 3;
  bool iu = (_i & 1) != 0, ia = (_i & 2) != 0;
  struct kc_pam_cfg cfg;
  int want = known[row].pam[f];

  kc_pam_cfg_defaults(&cfg);
  cfg.ignore_unknown_user = iu;
  cfg.ignore_authinfo_unavail = ia;
  ck_assert_int_eq(kc_pam_map_result(known[row].result, facs[f]), want);
  if (iu && known[row].result == KC_RES_USER_UNKNOWN)
    want = PAM_IGNORE;
  if (ia && want == PAM_AUTHINFO_UNAVAIL)
    want = PAM_IGNORE;
  ck_assert_msg(kc_pam_result(&cfg, known[row].result, facs[f]) == want,
    "result %s facility %zu iu=%d ia=%d: got %d want %d",
    kc_proto_result_name(known[row].result), f, iu, ia,
    kc_pam_result(&cfg, known[row].result, facs[f]), want);
}
END_TEST

START_TEST(test_pam_result_ignore_options)
{
  struct kc_pam_cfg cfg;

  kc_pam_cfg_defaults(&cfg);
  cfg.ignore_unknown_user = true;
  /* unknown in auth is AUTH_ERR on the wire to PAM, yet ignorable */
  ck_assert_int_eq(kc_pam_result(&cfg, KC_RES_USER_UNKNOWN, KC_PAM_FAC_AUTH),
    PAM_IGNORE);
  ck_assert_int_eq(kc_pam_result(&cfg, KC_RES_AUTH_ERR, KC_PAM_FAC_AUTH),
    PAM_AUTH_ERR);
  ck_assert_int_eq(kc_pam_result(&cfg, KC_RES_UNAVAILABLE, KC_PAM_FAC_AUTH),
    PAM_AUTHINFO_UNAVAIL);
  kc_pam_cfg_defaults(&cfg);
  cfg.ignore_authinfo_unavail = true;
  ck_assert_int_eq(kc_pam_result(&cfg, KC_RES_VERSION, KC_PAM_FAC_ACCOUNT),
    PAM_IGNORE);
  ck_assert_int_eq(kc_pam_result(&cfg, KC_RES_USER_UNKNOWN,
                     KC_PAM_FAC_ACCOUNT),
    PAM_USER_UNKNOWN);
}
END_TEST

/* Codes this module does not know never become success, with or without
 * the ignore_* options. */
static const uint32_t unknown_codes[] = {KC_RES_LAST + 1, 14, 99, 0x7fffffff,
  0x80000000u, 0xffffffffu};

START_TEST(test_pam_result_unknown_never_success)
{
  struct kc_pam_cfg cfg;
  size_t i, f;

  kc_pam_cfg_defaults(&cfg);
  cfg.ignore_unknown_user = true;
  cfg.ignore_authinfo_unavail = true;
  for (i = 0; i < sizeof(unknown_codes) / sizeof(unknown_codes[0]); i++) {
    for (f = 0; f < 3; f++) {
      int rc = kc_pam_result(&cfg, unknown_codes[i], facs[f]);

      ck_assert_int_ne(rc, PAM_SUCCESS);
      ck_assert_int_ne(rc, PAM_IGNORE);
      ck_assert_int_eq(rc, f == 0 ? PAM_AUTH_ERR : PAM_SYSTEM_ERR);
    }
  }
  ck_assert_int_eq(kc_pam_map_result(KC_RES_OK, (enum kc_pam_facility) 7),
    PAM_SYSTEM_ERR);
}
END_TEST

static Suite *
pam_result_suite(void)
{
  Suite *s = suite_create("pam_result");
  TCase *tc = tcase_create("core");

  tcase_add_test(tc, test_pam_result_table_covers_every_code);
  tcase_add_loop_test(tc, test_pam_result_each_code_each_facility, 0,
    (int) NKNOWN * 12);
  tcase_add_test(tc, test_pam_result_ignore_options);
  tcase_add_test(tc, test_pam_result_unknown_never_success);
  suite_add_tcase(s, tc);
  return s;
}

int
main(void)
{
  SRunner *sr = srunner_create(pam_result_suite());
  int failed;

  srunner_run_all(sr, CK_NORMAL);
  failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
