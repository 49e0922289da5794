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
#include "rehash.h"

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
  ck_assert_str_eq(kc_password_problem_text(texts[_i].p, false), texts[_i].de);
  ck_assert_str_eq(kc_password_problem_text(texts[_i].p, true), texts[_i].en);
}
END_TEST

START_TEST(test_password_problem_text_unknown_is_a_refusal)
{
  const char *t =
    kc_password_problem_text((enum kc_password_problem) 99, false);

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
  ck_assert_int_eq(crypto_pwhash_str_verify(s + 8, "Ein-neues-Passwort-1", 20),
                   0);
  ck_assert_int_ne(crypto_pwhash_str_verify(s + 8, "Ein-neues-Passwort-2", 20),
                   0);
  kc_buf_free(&h);
}
END_TEST

/* Which stored values a login upgrades (rehash.h), and how the log names
 * them: never with their secret part. */
#define A2ID "$argon2id$v=19$m=65536,t=2,p=1$H6/dLHQFl4nYPYXkVL8xGw$" \
             "6APk23/IuPVEFSTwyKxgIODN6gzJXShtj6oRUGQOhGw"
static const struct {
  const char *value;
  unsigned m, t;
  enum kc_rehash_verdict verdict;
  const char *what;
} stored[] = {
  {"{ARGON2}" A2ID, 65536, 2, KC_REHASH_KEEP, "argon2id m=65536 t=2"},
  {"{argon2}" A2ID, 65536, 2, KC_REHASH_KEEP, "argon2id m=65536 t=2"},
  {"{ARGON2}" A2ID, 32768, 3, KC_REHASH_REPLACE, "argon2id m=65536 t=2"},
  {"{ARGON2}" A2ID, 65536, 3, KC_REHASH_REPLACE, "argon2id m=65536 t=2"},
  {"{ARGON2}$argon2i$v=19$m=65536,t=3,p=1$H6/dLHQFl4nYPYXkVL8xGw$"
   "6APk23/IuPVEFSTwyKxgIODN6gzJXShtj6oRUGQOhGw",
   65536, 3, KC_REHASH_REPLACE, "argon2i m=65536 t=3"},
  {"{ARGON2}$argon2d$v=19$m=65536,t=2,p=1$H6/dLHQFl4nYPYXkVL8xGw$"
   "6APk23/IuPVEFSTwyKxgIODN6gzJXShtj6oRUGQOhGw",
   65536, 2, KC_REHASH_REPLACE, "{ARGON2} not made by libsodium"},
  {"{ARGON2}$argon2id$v=19$m=65536,t=2,p=4$H6/dLHQFl4nYPYXkVL8xGw$"
   "6APk23/IuPVEFSTwyKxgIODN6gzJXShtj6oRUGQOhGw",
   65536, 2, KC_REHASH_REPLACE, "{ARGON2} not made by libsodium"},
  {"{SSHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g=", 65536, 2, KC_REHASH_REPLACE,
   "{SSHA}"},
  {"{ssha512}W6ph5Mm5Pz8GgiULbPgzG37mj9g=", 65536, 2, KC_REHASH_REPLACE,
   "{SSHA512}"},
  {"{CRYPT}$6$salt$hash", 65536, 2, KC_REHASH_REPLACE, "{CRYPT}"},
  {"Klartext-Passwort", 65536, 2, KC_REHASH_REPLACE, "no scheme"},
  {"", 65536, 2, KC_REHASH_REPLACE, "no scheme"},
  /* checked elsewhere, or unknown: left alone, and never named */
  {"{SASL}mmuster@EXAMPLE.ORG", 65536, 2, KC_REHASH_LEAVE, "another scheme"},
  {"{Sommer2024}!", 65536, 2, KC_REHASH_LEAVE, "another scheme"},
  {"{Klartext-ohne-Ende", 65536, 2, KC_REHASH_LEAVE, "another scheme"},
  {"{SSHA", 65536, 2, KC_REHASH_LEAVE, "another scheme"},
};

START_TEST(test_rehash_judge)
{
  char what[64];

  kc_password_set_cost(stored[_i].m, stored[_i].t);
  ck_assert_int_eq(kc_rehash_judge(stored[_i].value, what, sizeof(what)),
                   stored[_i].verdict);
  ck_assert_str_eq(what, stored[_i].what);
  ck_assert_ptr_null(strstr(what, "H6/d"));
  ck_assert_ptr_null(strstr(what, "Sommer"));
  ck_assert_ptr_null(strstr(what, "Klartext"));
  kc_password_set_cost(65536, 2);
}
END_TEST

START_TEST(test_password_cost_roundtrip)
{
  unsigned m, t;

  kc_password_set_cost(16384, 3);
  kc_password_cost(&m, &t);
  ck_assert_uint_eq(m, 16384);
  ck_assert_uint_eq(t, 3);
  kc_password_set_cost(65536, 2);
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
  tcase_add_loop_test(tc, test_rehash_judge, 0,
                      (int) (sizeof(stored) / sizeof(stored[0])));
  tcase_add_test(tc, test_password_cost_roundtrip);
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
