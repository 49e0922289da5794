/*
 * Unit tests for the escaping of untrusted values in log lines: the shared
 * kc_str_escape_log() (common/), kcd's kc_log_escape() and the PAM
 * module's kc_pam_log_name() must agree, and no value may fake another
 * key=value field ("x result=ok user=root") or break a quoted one.
 */
#include <config.h>

#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kc_limits.h"
#include "kc_str.h"
#include "log.h"
#include "module.h"

static const struct {
  const char *in;
  const char *out;
} escape_cases[] = {
  {"mmuster", "mmuster"},
  {"m.muster_1-2", "m.muster_1-2"},
  {"x result=ok user=root", "x\\x20result\\x3dok\\x20user\\x3droot"},
  {"a;b", "a\\x3bb"},
  {"say \"hi\"", "say\\x20\\x22hi\\x22"},
  {"back\\slash", "back\\x5cslash"},
  {"tab\there", "tab\\x09here"},
  {"line\nuser=root", "line\\x0auser\\x3droot"},
  {"m\xc3\xbcller", "m\\xc3\\xbcller"},
  {"\x7f", "\\x7f"},
  {"", ""},
};

START_TEST(test_log_escape_table)
{
  char kcd[512], shared[512], module[KC_PAM_LOG_NAME_SIZE];

  kc_log_escape(kcd, sizeof(kcd), escape_cases[_i].in);
  ck_assert_str_eq(kcd, escape_cases[_i].out);
  kc_str_escape_log(shared, sizeof(shared), escape_cases[_i].in, SIZE_MAX);
  ck_assert_str_eq(shared, escape_cases[_i].out);
  kc_pam_log_name(escape_cases[_i].in, module);
  ck_assert_str_eq(module, escape_cases[_i].out);
}
END_TEST

/* The forged line of the finding: one user= and one result= only. */
START_TEST(test_log_escape_no_forged_field)
{
  char user[101], line[512];

  kc_log_escape(user, sizeof(user), "x result=ok user=root");
  snprintf(line, sizeof(line), "AUTH AUTH_FAILED; user=%s service=sshd",
    user);
  ck_assert_ptr_eq(strstr(line, " result="), NULL);
  ck_assert_ptr_eq(strstr(strstr(line, "user=") + 1, "user="), NULL);
  ck_assert_ptr_eq(strchr(user, ' '), NULL);
  ck_assert_ptr_eq(strchr(user, '='), NULL);
}
END_TEST

/* Cuts fall between whole escapes and are marked with "...". */
START_TEST(test_log_escape_cut)
{
  char out[10];

  kc_log_escape(out, sizeof(out), "abcdefghijkl");
  ck_assert_str_eq(out, "abcdef...");
  kc_log_escape(out, sizeof(out), "abcdefghi");
  ck_assert_str_eq(out, "abcdefghi");
  kc_log_escape(out, sizeof(out), "ab=cdefg");
  ck_assert_str_eq(out, "ab\\x3d...");
  kc_log_escape(out, sizeof(out), "a  b");
  ck_assert_str_eq(out, "a\\x20...");
  kc_log_escape(out, 3, "abcdef");
  ck_assert_str_eq(out, "ab");
  kc_log_escape(out, 1, "abc");
  ck_assert_str_eq(out, "");
  kc_log_escape(out, sizeof(out), NULL);
  ck_assert_str_eq(out, "");
  kc_str_escape_log(out, sizeof(out), "abcdef", 3);
  ck_assert_str_eq(out, "abc...");
}
END_TEST

/* The module reads at most KC_MAX_USERNAME bytes and always has room for
 * every one of them escaped, plus the mark. */
START_TEST(test_log_escape_module_cap)
{
  char in[KC_MAX_USERNAME + 10], out[KC_PAM_LOG_NAME_SIZE];
  size_t n;

  memset(in, ' ', sizeof(in) - 1);
  in[sizeof(in) - 1] = '\0';
  kc_pam_log_name(in, out);
  n = strlen(out);
  ck_assert_uint_eq(n, KC_MAX_USERNAME * 4 + 3);
  ck_assert_str_eq(out + n - 3, "...");
  in[KC_MAX_USERNAME] = '\0';
  kc_pam_log_name(in, out);
  ck_assert_uint_eq(strlen(out), KC_MAX_USERNAME * 4);
}
END_TEST

static Suite *
log_suite(void)
{
  Suite *s = suite_create("log");
  TCase *tc = tcase_create("core");

  tcase_add_loop_test(tc, test_log_escape_table, 0,
    (int) (sizeof(escape_cases) / sizeof(escape_cases[0])));
  tcase_add_test(tc, test_log_escape_no_forged_field);
  tcase_add_test(tc, test_log_escape_cut);
  tcase_add_test(tc, test_log_escape_module_cap);
  suite_add_tcase(s, tc);
  return s;
}

int
main(void)
{
  SRunner *sr = srunner_create(log_suite());
  int failed;

  srunner_run_all(sr, CK_NORMAL);
  failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
