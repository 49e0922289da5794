/* Unit tests for the PAM module's option parsing (options.c). */
#include <config.h>

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "kc_err.h"
#include "options.h"

START_TEST(test_pam_options_defaults)
{
  struct kc_pam_cfg cfg;

  ck_assert_int_eq(kc_pam_cfg_parse(&cfg, NULL, 0, 0, NULL), 0);
  ck_assert_str_eq(cfg.socket, "/run/kcd/pam.sock");
  ck_assert_uint_eq(cfg.timeout, 10);
  ck_assert_int_eq(cfg.tan, KC_PAM_TAN_PROMPT);
  ck_assert(!cfg.use_first_pass);
  ck_assert(!cfg.try_first_pass);
  ck_assert(!cfg.ignore_unknown_user);
  ck_assert(!cfg.ignore_authinfo_unavail);
  ck_assert(!cfg.debug);
  ck_assert(!cfg.silent);
}
END_TEST

START_TEST(test_pam_options_every_option)
{
  const char *argv[] = {"socket=/tmp/kc test/pam.sock", "timeout=3",
    "use_first_pass", "try_first_pass", "tan=inline", "ignore_unknown_user",
    "ignore_authinfo_unavail", "debug"};
  struct kc_pam_cfg cfg;

  ck_assert_int_eq(kc_pam_cfg_parse(&cfg, NULL, PAM_SILENT, 8, argv), 0);
  ck_assert_str_eq(cfg.socket, "/tmp/kc test/pam.sock");
  ck_assert_uint_eq(cfg.timeout, 3);
  ck_assert_int_eq(cfg.tan, KC_PAM_TAN_INLINE);
  ck_assert(cfg.use_first_pass);
  ck_assert(cfg.try_first_pass);
  ck_assert(cfg.ignore_unknown_user);
  ck_assert(cfg.ignore_authinfo_unavail);
  ck_assert(cfg.debug);
  ck_assert(cfg.silent);
}
END_TEST

START_TEST(test_pam_options_tan_prompt_and_last_wins)
{
  const char *argv[] = {"tan=inline", "tan=prompt", "timeout=7", "timeout=300"};
  struct kc_pam_cfg cfg;

  ck_assert_int_eq(kc_pam_cfg_parse(&cfg, NULL, 0, 4, argv), 0);
  ck_assert_int_eq(cfg.tan, KC_PAM_TAN_PROMPT);
  ck_assert_uint_eq(cfg.timeout, 300);
}
END_TEST

/* Each bad value is refused and the default stays. */
static const char *const bad_values[] = {
  "timeout=0", "timeout=301", "timeout=", "timeout=-1", "timeout=5s",
  "timeout= 5", "timeout=99999999999999999999999", "tan=", "tan=INLINE",
  "tan=sms", "socket=", "socket=relative/pam.sock",
  "socket=/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
};

START_TEST(test_pam_options_bad_value_keeps_default)
{
  const char *argv[1] = {bad_values[_i]};
  struct kc_pam_cfg cfg;

  kc_pam_cfg_defaults(&cfg);
  ck_assert_int_eq(kc_pam_cfg_option(&cfg, argv[0]), KC_ERR_RANGE);
  ck_assert_int_eq(kc_pam_cfg_parse(&cfg, NULL, 0, 1, argv), 1);
  ck_assert_str_eq(cfg.socket, KC_PAM_DEFAULT_SOCKET);
  ck_assert_uint_eq(cfg.timeout, KC_PAM_DEFAULT_TIMEOUT);
  ck_assert_int_eq(cfg.tan, KC_PAM_TAN_PROMPT);
}
END_TEST

START_TEST(test_pam_options_unknown_ignored)
{
  const char *argv[] = {"use_authtok", "DEBUG", "debug=1", "nullok", "",
    "socket", "debug"};
  struct kc_pam_cfg cfg;

  kc_pam_cfg_defaults(&cfg);
  ck_assert_int_eq(kc_pam_cfg_option(&cfg, "use_authtok"), KC_ERR_INVALID);
  ck_assert_int_eq(kc_pam_cfg_parse(&cfg, NULL, 0, 7, argv), 6);
  /* the good one after the bad ones still counts */
  ck_assert(cfg.debug);
  ck_assert(!cfg.use_first_pass);
  ck_assert_str_eq(cfg.socket, KC_PAM_DEFAULT_SOCKET);
}
END_TEST

START_TEST(test_pam_options_null_entries)
{
  const char *argv[] = {NULL, "debug"};
  struct kc_pam_cfg cfg;

  ck_assert_int_eq(kc_pam_cfg_parse(&cfg, NULL, 0, 2, argv), 0);
  ck_assert(cfg.debug);
}
END_TEST

START_TEST(test_pam_options_socket_longest_fits)
{
  char arg[7 + 108];
  struct kc_pam_cfg cfg;

  /* sun_path holds 107 bytes and the NUL */
  memcpy(arg, "socket=/", 8);
  memset(arg + 8, 'a', 106);
  arg[114] = '\0';
  kc_pam_cfg_defaults(&cfg);
  ck_assert_int_eq(kc_pam_cfg_option(&cfg, arg), 0);
  ck_assert_uint_eq(strlen(cfg.socket), 107);
}
END_TEST

static Suite *
pam_options_suite(void)
{
  Suite *s = suite_create("pam_options");
  TCase *tc = tcase_create("core");

  tcase_add_test(tc, test_pam_options_defaults);
  tcase_add_test(tc, test_pam_options_every_option);
  tcase_add_test(tc, test_pam_options_tan_prompt_and_last_wins);
  tcase_add_loop_test(tc, test_pam_options_bad_value_keeps_default, 0,
    (int) (sizeof(bad_values) / sizeof(bad_values[0])));
  tcase_add_test(tc, test_pam_options_unknown_ignored);
  tcase_add_test(tc, test_pam_options_null_entries);
  tcase_add_test(tc, test_pam_options_socket_longest_fits);
  suite_add_tcase(s, tc);
  return s;
}

int
main(void)
{
  SRunner *sr = srunner_create(pam_options_suite());
  int failed;

  srunner_run_all(sr, CK_NORMAL);
  failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
