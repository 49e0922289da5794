/* Unit tests for kcadm's helpers that need no directory: temporary
 * passwords, proposed user names, the JSON writer and DN escaping. */
#include <config.h>

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "admin.h"
#include "admin_json.h"
#include "kc_ldap.h"
#include "kc_err.h"
#include "kc_str.h"
#include "password.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

START_TEST(test_admin_password_shape)
{
  char pw[KC_ADMIN_PW_SIZE], other[KC_ADMIN_PW_SIZE];
  size_t i;

  kc_admin_password_generate(pw);
  kc_admin_password_generate(other);
  ck_assert_uint_eq(strlen(pw), KC_ADMIN_PW_SIZE - 1);
  ck_assert_uint_ge(strlen(pw) - (KC_ADMIN_PW_GROUPS - 1), 16);
  ck_assert_str_ne(pw, other);
  for (i = 0; pw[i] != '\0'; i++) {
    if ((i + 1) % (KC_ADMIN_PW_GROUP + 1) == 0) {
      ck_assert_int_eq(pw[i], '-');
      continue;
    }
    /* no look-alikes */
    ck_assert_ptr_null(strchr("0O1lI-", pw[i]));
    ck_assert_ptr_nonnull(
      strchr("abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789",
             pw[i]));
  }
}
END_TEST

START_TEST(test_admin_password_hash_verifies)
{
  struct kc_buf h;
  const char *s;

  ck_assert_int_eq(kc_password_hash(&h, "Vorlaeufig-42"), 0);
  s = kc_buf_get(&h);
  ck_assert_int_eq(strncmp(s, "{ARGON2}$argon2id$", 18), 0);
  ck_assert_int_eq(crypto_pwhash_str_verify(s + 8, "Vorlaeufig-42", 13), 0);
  ck_assert_int_ne(crypto_pwhash_str_verify(s + 8, "Vorlaeufig-43", 13), 0);
  kc_buf_free(&h);
}
END_TEST

static const struct {
  const char *first, *last, *customer, *want;
} names[] = {
  {"Max", "Muster", "46075", "mmuster"},
  {"Max", "M\xc3\xbcller", "46075", "mmueller"},
  {"J\xc3\xb6rg", "Gro\xc3\x9f-\xc3\x96zt\xc3\xbcrk", "1", "jgrossoeztuerk"},
  {"\xc3\x84nne", "Ha", "1", "aha"},
  {NULL, "Ahlstr\xc3\xb6m", "7", "ahlstroem"},
  {"Nina", NULL, "7", "nina"},
  {NULL, NULL, "46077", "k46077"},
  {"", "", "46077", "k46077"},
  {"\xe6\x9d\x8e", "\xe5\x8d\x8e", "99", "k99"},
  {"Max", "\xe5\x8d\x8e", "99", "k99"},
  {"O'Neil", "D'Arcy Smith", "5", "odarcysmith"},
  {"\xc3\x86sa", "\xc3\x98stergaard", "5", "aoestergaard"},
};

START_TEST(test_admin_username_propose_table)
{
  char out[KC_MAX_USERNAME + 1];
  size_t i;

  for (i = 0; i < N(names); i++) {
    kc_admin_username_propose(names[i].first, names[i].last, names[i].customer,
                              out);
    ck_assert_msg(strcmp(out, names[i].want) == 0, "case %zu: %s", i, out);
    ck_assert(kc_str_is_username(out));
  }
}
END_TEST

START_TEST(test_admin_username_propose_leaves_room)
{
  char last[200], out[KC_MAX_USERNAME + 1];

  memset(last, 'x', sizeof(last) - 1);
  last[sizeof(last) - 1] = '\0';
  kc_admin_username_propose("Y", last, "1", out);
  ck_assert_uint_eq(strlen(out), KC_MAX_USERNAME - 3);
  ck_assert_int_eq(out[0], 'y');
  kc_admin_username_propose(NULL, NULL, "12345678901234567890", out);
  ck_assert_str_eq(out, "k12345678901234567890");
}
END_TEST

/* Render with the writer into a memory stream. */
static char *
render(void (*fn)(struct kc_admin_json *j))
{
  struct kc_admin_json j;
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&buf, &len);

  ck_assert_ptr_nonnull(f);
  kc_admin_json_init(&j, f);
  fn(&j);
  fclose(f);
  return buf;
}

static void
doc_escapes(struct kc_admin_json *j)
{
  static char a[] = "a", b[] = "b";
  char *const v[] = {a, b, NULL};

  kc_admin_json_begin_obj(j, NULL);
  kc_admin_json_str(j, "s", "q\"b\\n\n\x01\xc3\xbc\xff!");
  kc_admin_json_str(j, "null", NULL);
  kc_admin_json_int(j, "n", -42);
  kc_admin_json_bool(j, "t", true);
  kc_admin_json_strv(j, "v", v);
  kc_admin_json_begin_arr(j, "empty");
  kc_admin_json_end_arr(j);
  kc_admin_json_end_obj(j);
  kc_admin_json_end(j);
}

START_TEST(test_admin_json_document)
{
  char *out = render(doc_escapes);

  ck_assert_str_eq(out, "{\n"
                        "  \"s\": \"q\\\"b\\\\n\\n\\u0001\xc3\xbc\\ufffd!\",\n"
                        "  \"null\": null,\n"
                        "  \"n\": -42,\n"
                        "  \"t\": true,\n"
                        "  \"v\": [\n"
                        "    \"a\",\n"
                        "    \"b\"\n"
                        "  ],\n"
                        "  \"empty\": []\n"
                        "}\n");
  free(out);
}
END_TEST

START_TEST(test_admin_rdn_escaping)
{
  static const struct {
    const char *value, *want;
  } cases[] = {
    {"mmuster", "uid=mmuster,ou=accounts,dc=x"},
    {"a,b+c", "uid=a\\2Cb\\2Bc,ou=accounts,dc=x"},
    {" lead", "uid=\\20lead,ou=accounts,dc=x"},
    {"#x", "uid=\\23x,ou=accounts,dc=x"},
    {"x=y\\", "uid=x\\3Dy\\5C,ou=accounts,dc=x"},
  };
  struct kc_buf dn;
  size_t i;

  for (i = 0; i < N(cases); i++) {
    ck_assert_int_eq(kc_ldap_dn_entry(&dn, "dc=x", KC_LDAP_ACCOUNTS, "uid",
                                      cases[i].value),
                     0);
    ck_assert_str_eq(kc_buf_get(&dn), cases[i].want);
    kc_buf_free(&dn);
  }
  ck_assert_int_eq(kc_ldap_dn_entry(&dn, "dc=x", KC_LDAP_ACCOUNTS, "uid", ""),
                   KC_ERR_INVALID);
  ck_assert_int_eq(kc_ldap_dn_entry(&dn, "dc=x", KC_LDAP_ACCOUNTS, "uid",
                                    "M\xfcller"),
                   KC_ERR_INVALID);
}
END_TEST

START_TEST(test_admin_filter_escaping)
{
  struct kc_buf f;

  kc_buf_init(&f, 128);
  ck_assert_int_eq(kc_ldap_filter_value(&f, "*)(uid=*\\"), 0);
  ck_assert_str_eq(kc_buf_get(&f), "\\2A\\29\\28uid=\\2A\\5C");
  kc_buf_free(&f);
}
END_TEST

/* Customer numbers compare as slapd's numericStringMatch does. */
START_TEST(test_admin_number_eq_table)
{
  static const struct {
    const char *a, *b;
    bool eq;
  } t[] = {
    {"46075", "46075", true},
    {"46 075", "46075", true},
    {" 46075 ", "46075", true},
    {"4 6 0 7 5", "46 075", true},
    {"46075", "46077", false},
    {"046075", "46075", false},
    {"4607", "46075", false},
    {"46075", "4607", false},
    {"", "", true},
    {" ", "", true},
    {"", "1", false},
  };
  size_t i;

  for (i = 0; i < N(t); i++) {
    ck_assert_msg(kc_admin_number_eq(t[i].a, t[i].b) == t[i].eq,
                  "\"%s\" vs \"%s\"", t[i].a, t[i].b);
    ck_assert(kc_admin_number_eq(t[i].b, t[i].a) == t[i].eq);
  }
}
END_TEST

START_TEST(test_admin_numbers_find)
{
  char a[] = "46075", b[] = "46 077";
  char *v[] = {a, b, NULL};

  ck_assert_ptr_eq(kc_admin_numbers_find(v, "46075"), a);
  ck_assert_ptr_eq(kc_admin_numbers_find(v, "46077"), b);
  ck_assert_ptr_null(kc_admin_numbers_find(v, "46076"));
  ck_assert_ptr_null(kc_admin_numbers_find(NULL, "46075"));
  ck_assert_uint_eq(kc_admin_numbers_count(v), 2);
  ck_assert_uint_eq(kc_admin_numbers_count(v + 2), 0);
  ck_assert_uint_eq(kc_admin_numbers_count(NULL), 0);
}
END_TEST

START_TEST(test_admin_role_valid)
{
  ck_assert(kc_admin_role_valid("admin"));
  ck_assert(kc_admin_role_valid("user"));
  ck_assert(!kc_admin_role_valid("Admin"));
  ck_assert(!kc_admin_role_valid("admin "));
  ck_assert(!kc_admin_role_valid(""));
  ck_assert(!kc_admin_role_valid("root"));
}
END_TEST

static Suite *
admin_suite(void)
{
  Suite *s = suite_create("admin");
  TCase *tc = tcase_create("core");

  tcase_add_test(tc, test_admin_password_shape);
  tcase_add_test(tc, test_admin_password_hash_verifies);
  tcase_add_test(tc, test_admin_username_propose_table);
  tcase_add_test(tc, test_admin_username_propose_leaves_room);
  tcase_add_test(tc, test_admin_json_document);
  tcase_add_test(tc, test_admin_rdn_escaping);
  tcase_add_test(tc, test_admin_filter_escaping);
  tcase_add_test(tc, test_admin_number_eq_table);
  tcase_add_test(tc, test_admin_numbers_find);
  tcase_add_test(tc, test_admin_role_valid);
  tcase_set_timeout(tc, 30);
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
  sr = srunner_create(admin_suite());
  srunner_run_all(sr, CK_NORMAL);
  failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
