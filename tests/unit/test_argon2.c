/* kc_argon2.so's checks that need no slapd (slapd/kc_argon2_parse.c):
 * which stored strings reach libsodium, and the module arguments. The
 * strings that pass are verified with libsodium here as well, so the
 * parser never refuses what libsodium itself makes. */
#include <config.h>

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "kc_argon2.h"

static int
parse(const char *s, struct kc_argon2_params *p)
{
  return kc_argon2_parse(s, strlen(s), p);
}

/* What libsodium writes (argon2id and argon2i, several costs) passes, with
 * its parameters read right, and verifies. */
START_TEST(test_argon2_libsodium_strings)
{
  static const struct {
    int alg;
    unsigned long long ops;
    size_t mem;
  } c[] = {
    {crypto_pwhash_ALG_ARGON2ID13, 2, 65536 * 1024},
    {crypto_pwhash_ALG_ARGON2ID13, 1, 8 * 1024},
    {crypto_pwhash_ALG_ARGON2I13, 3, 4096 * 1024},
  };
  char str[crypto_pwhash_STRBYTES];
  struct kc_argon2_params p;
  size_t i;

  ck_assert_int_ge(sodium_init(), 0);
  for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
    ck_assert_int_eq(crypto_pwhash_str_alg(str, "Passwort", 8, c[i].ops,
                                           c[i].mem, c[i].alg),
                     0);
    ck_assert_msg(parse(str, &p) == 0, "%s", str);
    ck_assert(p.id == (c[i].alg == crypto_pwhash_ALG_ARGON2ID13));
    ck_assert_uint_eq(p.m_kib, c[i].mem / 1024);
    ck_assert_uint_eq(p.t, c[i].ops);
    ck_assert_int_eq(crypto_pwhash_str_verify(str, "Passwort", 8), 0);
  }
}
END_TEST

/* Strings that never reach libsodium. */
static const char *const refused[] = {
  "",
  "$argon2d$v=19$m=65536,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$Zm9vYmFyZm9vYmFyZm9vYmFyZm9vYmFy",
  "$argon2id$v=16$m=65536,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$Zm9vYmFyZm9vYmFyZm9vYmFyZm9vYmFy",
  "$argon2id$v=19$m=2097152,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$Zm9vYmFyZm9vYmFyZm9vYmFyZm9vYmFy",
  "$argon2id$v=19$m=65536,t=33,p=1$c29tZXNhbHRzb21lc2FsdA$Zm9vYmFyZm9vYmFyZm9vYmFyZm9vYmFy",
  "$argon2id$v=19$m=65536,t=0,p=1$c29tZXNhbHRzb21lc2FsdA$Zm9vYmFyZm9vYmFyZm9vYmFyZm9vYmFy",
  "$argon2id$v=19$m=4,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$Zm9vYmFyZm9vYmFyZm9vYmFyZm9vYmFy",
  "$argon2id$v=19$m=65536,t=2,p=4$c29tZXNhbHRzb21lc2FsdA$Zm9vYmFyZm9vYmFyZm9vYmFyZm9vYmFy",
  "$argon2i$v=19$m=65536,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$Zm9vYmFyZm9vYmFyZm9vYmFyZm9vYmFy",
  "$argon2id$v=19$m=065536,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$Zm9vYmFyZm9vYmFyZm9vYmFyZm9vYmFy",
  "$argon2id$v=19$m=99999999999999999999999,t=2,p=1$c29tZXNhbHQ$Zm9vYmFyZm9vYmFyZm9vYmFy",
  "$argon2id$v=19$t=2,m=65536,p=1$c29tZXNhbHRzb21lc2FsdA$Zm9vYmFyZm9vYmFyZm9vYmFyZm9vYmFy",
  "$argon2id$v=19$m=65536,t=2,p=1$c29tZQ$Zm9vYmFyZm9vYmFyZm9vYmFyZm9vYmFy",
  "$argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$Zm9vYmFy",
  "$argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHRzb21lc2FsdA==$Zm9vYmFyZm9vYmFyZm9vYmFyZm9vYmFy",
  "$argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$Zm9vYmFyZm9vYmFyZm9vYmFyZm9vYmFy$",
  "$argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$Zm9vYmFyZm9vYmFyZm9vYmFyZm9vYmF!",
  "{ARGON2}$argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$Zm9vYmFyZm9vYmFyZm9vYmFy",
  "$argon2id$v=19$m=65536,t=2,p=1",
};

START_TEST(test_argon2_refused)
{
  struct kc_argon2_params p;

  ck_assert_msg(parse(refused[_i], &p) != 0, "accepted: %s", refused[_i]);
}
END_TEST

/* The length given is the length: a NUL inside, or a length that is not
 * the string's, is refused; and nothing of 256 bytes or more is read. */
START_TEST(test_argon2_length)
{
  static const char ok[] = "$argon2id$v=19$m=65536,t=2,p=1$"
                           "c29tZXNhbHRzb21lc2FsdA$"
                           "Zm9vYmFyZm9vYmFyZm9vYmFyZm9vYmFy";
  char big[600];
  struct kc_argon2_params p;

  ck_assert_int_eq(kc_argon2_parse(ok, strlen(ok), &p), 0);
  ck_assert_int_ne(kc_argon2_parse(ok, strlen(ok) - 1, &p), 0);
  ck_assert_int_ne(kc_argon2_parse(ok, strlen(ok) + 1, &p), 0);
  snprintf(big, sizeof(big), "%s", ok);
  memset(big + strlen(ok) - 4, 'A', sizeof(big) - strlen(ok) + 3);
  big[sizeof(big) - 1] = '\0';
  ck_assert_int_ne(kc_argon2_parse(big, strlen(big), &p), 0);
}
END_TEST

START_TEST(test_argon2_args)
{
  char g1[] = "m=131072", g2[] = "t=3";
  /* "m=0t=8": its t= part passed once, read on after the m= part failed */
  char b[][16] = {"m=4",       "m=2097152", "t=0",        "t=33",
                  "p=2",       "m=64k",     "m=",         "x",
                  "m=0065536", "m=0t=8",    "m=65536t=3", "t=1m=65536"};
  char *good[] = {g1, g2}, *bad[sizeof(b) / sizeof(b[0])];
  unsigned long m = 1;
  unsigned t = 1;
  char err[160];
  size_t i;

  for (i = 0; i < sizeof(b) / sizeof(b[0]); i++)
    bad[i] = b[i];
  ck_assert_int_eq(kc_argon2_args(2, good, &m, &t, err, sizeof(err)), 0);
  ck_assert_uint_eq(m, 131072);
  ck_assert_uint_eq(t, 3);
  ck_assert_int_eq(kc_argon2_args(0, good, &m, &t, err, sizeof(err)), 0);
  for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    err[0] = '\0';
    ck_assert_msg(kc_argon2_args(1, bad + i, &m, &t, err, sizeof(err)) != 0,
                  "accepted %s", bad[i]);
    ck_assert_msg(strstr(err, "is not m=KiB") != NULL, "%s", err);
  }
}
END_TEST

static Suite *
suite(void)
{
  Suite *s = suite_create("argon2");
  TCase *tc = tcase_create("core");

  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, test_argon2_libsodium_strings);
  tcase_add_loop_test(tc, test_argon2_refused, 0,
                      (int) (sizeof(refused) / sizeof(refused[0])));
  tcase_add_test(tc, test_argon2_length);
  tcase_add_test(tc, test_argon2_args);
  suite_add_tcase(s, tc);
  return s;
}

int
main(void)
{
  SRunner *sr = srunner_create(suite());
  int failed;

  srunner_run_all(sr, CK_NORMAL);
  failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
