/* Unit tests for kcd/auth/password.c: the texts of what is wrong with a
 * new password (one table for the web forms and the PAM CHAUTHTOK reply)
 * and the {ARGON2} hash. */
#include <config.h>

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "kc_buf.h"
#include "password.h"

static const struct {
  enum kc_password_problem p;
  const char *de, *en;
} texts[] = {
  {KC_PW_OK, "", ""},
  {KC_PW_TOO_SHORT, "Das Passwort ist zu kurz.", "The password is too short."},
  {KC_PW_TOO_LONG, "Das Passwort ist zu lang.", "The password is too long."},
  {KC_PW_COMMON,
   "Dieses Passwort ist zu verbreitet. Bitte w\xc3\xa4hlen Sie ein anderes.",
   "This password is too common. Please choose another one."},
  {KC_PW_IS_USERNAME, "Das Passwort darf nicht dem Benutzernamen entsprechen.",
   "The password must not equal the user name."},
  {KC_PW_IS_CUSTOMER, "Das Passwort darf nicht der Kundennummer entsprechen.",
   "The password must not equal the customer number."},
  {KC_PW_NOT_UTF8, "Das Passwort enth\xc3\xa4lt ung\xc3\xbcltige Zeichen.",
   "The password contains invalid characters."},
};

START_TEST(test_password_problem_text_table)
{
  ck_assert_str_eq(kc_password_problem_text(texts[_i].p, false),
    texts[_i].de);
  ck_assert_str_eq(kc_password_problem_text(texts[_i].p, true), texts[_i].en);
}
END_TEST

START_TEST(test_password_problem_text_unknown_is_a_refusal)
{
  const char *t = kc_password_problem_text((enum kc_password_problem) 99,
    false);

  ck_assert_ptr_nonnull(t);
  ck_assert_str_ne(t, "");
}
END_TEST

START_TEST(test_password_hash_verifies)
{
  struct kc_buf h;
  const char *s;

  ck_assert_int_ge(sodium_init(), 0);
  ck_assert_int_eq(kc_password_hash(&h, "Ein-neues-Passwort-1"), 0);
  s = kc_buf_get(&h);
  ck_assert_int_eq(strncmp(s, "{ARGON2}$argon2id$", 18), 0);
  ck_assert_int_eq(crypto_pwhash_str_verify(s + 8, "Ein-neues-Passwort-1",
                     20), 0);
  ck_assert_int_ne(crypto_pwhash_str_verify(s + 8, "Ein-neues-Passwort-2",
                     20), 0);
  kc_buf_free(&h);
}
END_TEST

static Suite *
password_suite(void)
{
  Suite *s = suite_create("password");
  TCase *tc = tcase_create("core");

  tcase_set_timeout(tc, 30);
  tcase_add_loop_test(tc, test_password_problem_text_table, 0,
    (int) (sizeof(texts) / sizeof(texts[0])));
  tcase_add_test(tc, test_password_problem_text_unknown_is_a_refusal);
  tcase_add_test(tc, test_password_hash_verifies);
  suite_add_tcase(s, tc);
  return s;
}

int
main(void)
{
  SRunner *sr = srunner_create(password_suite());
  int failed;

  srunner_run_all(sr, CK_NORMAL);
  failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
