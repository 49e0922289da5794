/*
 * Unit tests for username.c: the reserved-name list parser (comments,
 * blanks, case, limits, errors with file and line), the shipped list, and
 * the local-account check against a private passwd file.
 */
#include <config.h>

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kc_err.h"
#include "kc_limits.h"
#include "username.h"

static struct kc_username_list list;
static char err[512];

static int
parse(const char *text)
{
  return kc_username_list_parse(&list, "reserved", text, strlen(text), err,
    sizeof(err));
}

static void
setup(void)
{
  kc_username_list_init(&list);
  err[0] = '\0';
}

static void
teardown(void)
{
  kc_username_list_free(&list);
}

START_TEST(test_username_list_comments_blanks_case)
{
  ck_assert_int_eq(parse("# system accounts\n"
                         "root\n"
                         "\n"
                         "   Admin   # the role\n"
                         "\tpostmaster\r\n"
                         "www-data\n"
                         "   # only a comment\n"
                         "last-without-newline"),
    0);
  ck_assert_uint_eq(list.un_n, 5);
  ck_assert(kc_username_is_reserved(&list, "root"));
  ck_assert(kc_username_is_reserved(&list, "ROOT"));
  ck_assert(kc_username_is_reserved(&list, "admin"));
  ck_assert(kc_username_is_reserved(&list, "aDmIn"));
  ck_assert(kc_username_is_reserved(&list, "PostMaster"));
  ck_assert(kc_username_is_reserved(&list, "www-data"));
  ck_assert(kc_username_is_reserved(&list, "last-without-newline"));
  ck_assert(!kc_username_is_reserved(&list, "mmuster"));
  ck_assert(!kc_username_is_reserved(&list, "roo"));
  ck_assert(!kc_username_is_reserved(&list, "rooter"));
}
END_TEST

START_TEST(test_username_list_empty)
{
  ck_assert_int_eq(parse(""), 0);
  ck_assert_uint_eq(list.un_n, 0);
  ck_assert(!kc_username_is_reserved(&list, "root"));
  ck_assert_int_eq(parse("# nothing\n\n   \n"), 0);
  ck_assert_uint_eq(list.un_n, 0);
}
END_TEST

static const struct {
  const char *text;
  int code;
  const char *msg;
} bad_cases[] = {
  {"root\nroot admin\n", KC_ERR_INVALID, "reserved:2: not a user name"},
  {"root\n\n-x\n", KC_ERR_INVALID, "reserved:3: not a user name"},
  {"r\xc3\xb6ot\n", KC_ERR_INVALID, "reserved:1: not a user name"},
  {"root;admin\n", KC_ERR_INVALID, "reserved:1: not a user name"},
  {"ok\n"
   "0123456789012345678901234567890123456789012345678901234567890123x\n",
    KC_ERR_INVALID, "reserved:2: not a user name"},
};

START_TEST(test_username_list_bad_line)
{
  ck_assert_int_eq(parse(bad_cases[_i].text), bad_cases[_i].code);
  ck_assert_msg(strncmp(err, bad_cases[_i].msg, strlen(bad_cases[_i].msg)) ==
      0, "%s", err);
  ck_assert_uint_eq(list.un_n, 0);
}
END_TEST

START_TEST(test_username_list_nul_byte)
{
  static const char text[] = "root\nad\0min\n";

  ck_assert_int_eq(kc_username_list_parse(&list, "reserved", text,
                     sizeof(text) - 1, err, sizeof(err)),
    KC_ERR_INVALID);
  ck_assert_str_eq(err, "reserved:2: NUL byte");
}
END_TEST

START_TEST(test_username_list_line_limit)
{
  char *text = malloc(KC_MAX_RESERVED_LINE + 16);

  ck_assert_ptr_nonnull(text);
  /* a comment exactly at the limit is fine, one byte more is not */
  memset(text, '#', KC_MAX_RESERVED_LINE);
  text[KC_MAX_RESERVED_LINE] = '\0';
  ck_assert_int_eq(parse(text), 0);
  memcpy(text, "root\n", 5);
  memset(text + 5, '#', KC_MAX_RESERVED_LINE + 1);
  text[5 + KC_MAX_RESERVED_LINE + 1] = '\0';
  ck_assert_int_eq(parse(text), KC_ERR_TOO_LARGE);
  ck_assert_str_eq(err, "reserved:2: line longer than 256 bytes");
  free(text);
}
END_TEST

START_TEST(test_username_list_count_limit)
{
  size_t cap = (KC_MAX_RESERVED_NAMES + 2) * 8, o = 0, i;
  char *text = malloc(cap);

  ck_assert_ptr_nonnull(text);
  for (i = 0; i < KC_MAX_RESERVED_NAMES; i++)
    o += (size_t) snprintf(text + o, cap - o, "n%zu\n", i);
  ck_assert_int_eq(kc_username_list_parse(&list, "reserved", text, o, err,
                     sizeof(err)),
    0);
  ck_assert_uint_eq(list.un_n, KC_MAX_RESERVED_NAMES);
  ck_assert(kc_username_is_reserved(&list, "N4095"));
  o += (size_t) snprintf(text + o, cap - o, "one-more\n");
  ck_assert_int_eq(kc_username_list_parse(&list, "reserved", text, o, err,
                     sizeof(err)),
    KC_ERR_TOO_LARGE);
  ck_assert_str_eq(err, "reserved:4097: more than 4096 names");
  ck_assert_uint_eq(list.un_n, 0);
  free(text);
}
END_TEST

/* The list the tree ships (and make install puts at the default path). */
START_TEST(test_username_list_shipped)
{
  static const char *const names[] = {"root", "Admin", "administrator",
    "postmaster", "hostmaster", "webmaster", "abuse", "noc", "security",
    "support", "info", "www-data", "nobody", "daemon", "bin", "sys", "mail"};
  size_t i;

  ck_assert_msg(kc_username_list_load(&list, KC_RESERVED_LIST, err,
                  sizeof(err)) == 0,
    "%s", err);
  for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
    ck_assert_msg(kc_username_is_reserved(&list, names[i]), "%s", names[i]);
  ck_assert(!kc_username_is_reserved(&list, "mmuster"));
  ck_assert_int_eq(kc_username_check(&list, "Root"), KC_USERNAME_RESERVED);
}
END_TEST

START_TEST(test_username_list_file_checked)
{
  char path[] = "/tmp/kc-reserved.XXXXXX";
  int fd = mkstemp(path);

  ck_assert_int_ge(fd, 0);
  ck_assert_int_eq(write(fd, "root\n", 5), 5);
  close(fd);
  ck_assert_int_eq(chmod(path, 0644), 0);
  ck_assert_int_eq(kc_username_list_load(&list, path, err, sizeof(err)), 0);
  ck_assert(kc_username_is_reserved(&list, "root"));
  ck_assert_int_eq(chmod(path, 0666), 0);
  ck_assert_int_eq(kc_username_list_load(&list, path, err, sizeof(err)),
    KC_ERR_PERMISSION);
  ck_assert_ptr_nonnull(strstr(err, "writable by others"));
  ck_assert_uint_eq(list.un_n, 0);
  unlink(path);
  ck_assert_int_eq(kc_username_list_load(&list, path, err, sizeof(err)),
    KC_ERR_SYSTEM);
  ck_assert_ptr_nonnull(strstr(err, path));
}
END_TEST

/* The passwd file in any case, as LDAP compares uid. */
START_TEST(test_username_local_passwd_file)
{
  char path[] = "/tmp/kc-passwd.XXXXXX";
  static const char passwd[] =
    "kcTestAlice:x:1000:1000:Alice,,,:/home/alice:/bin/bash\n"
    "kc-test-bob:x:1001:1001::/home/bob:/bin/sh\n";
  int fd = mkstemp(path);

  ck_assert_int_ge(fd, 0);
  ck_assert_int_eq(write(fd, passwd, sizeof(passwd) - 1),
    (ssize_t) (sizeof(passwd) - 1));
  close(fd);
  ck_assert_int_eq(kc_username_local("kcTestAlice", path), KC_USERNAME_LOCAL);
  ck_assert_int_eq(kc_username_local("kctestalice", path), KC_USERNAME_LOCAL);
  ck_assert_int_eq(kc_username_local("KC-TEST-BOB", path), KC_USERNAME_LOCAL);
  ck_assert_int_eq(kc_username_local("kc-test-bo", path), KC_USERNAME_FREE);
  ck_assert_int_eq(kc_username_local("kc-test-bobby", path), KC_USERNAME_FREE);
  /* NSS: root is on every host, in any spelling */
  ck_assert_int_eq(kc_username_local("root", path), KC_USERNAME_LOCAL);
  ck_assert_int_eq(kc_username_local("Root", path), KC_USERNAME_LOCAL);
  unlink(path);
  /* a passwd file that cannot be read: refused, not waved through */
  ck_assert_int_eq(kc_username_local("kc-test-nobody-4711", path),
    KC_USERNAME_UNCHECKED);
  /* without a list, kc_username_check still asks the host */
  ck_assert_int_eq(kc_username_check(NULL, "ROOT"), KC_USERNAME_LOCAL);
  ck_assert_int_eq(kc_username_check(NULL, "kc-test-nobody-4711"),
    KC_USERNAME_FREE);
}
END_TEST

static Suite *
username_suite(void)
{
  Suite *s = suite_create("username");
  TCase *tc = tcase_create("core");

  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_add_test(tc, test_username_list_comments_blanks_case);
  tcase_add_test(tc, test_username_list_empty);
  tcase_add_loop_test(tc, test_username_list_bad_line, 0,
    (int) (sizeof(bad_cases) / sizeof(bad_cases[0])));
  tcase_add_test(tc, test_username_list_nul_byte);
  tcase_add_test(tc, test_username_list_line_limit);
  tcase_add_test(tc, test_username_list_count_limit);
  tcase_add_test(tc, test_username_list_shipped);
  tcase_add_test(tc, test_username_list_file_checked);
  tcase_add_test(tc, test_username_local_passwd_file);
  suite_add_tcase(s, tc);
  return s;
}

int
main(void)
{
  SRunner *sr = srunner_create(username_suite());
  int failed;

  srunner_run_all(sr, CK_NORMAL);
  failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
