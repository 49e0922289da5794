/* Unit tests for the directory layer's parts that need no directory: the
 * DN builders (escaping, truncation), the filter escaper, the one map of
 * LDAP results and the account entry builder. */
#include <config.h>

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ldap.h>

#include "kc_err.h"
#include "kc_ldap.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

START_TEST(test_ldap_dn_containers)
{
  static const struct {
    enum kc_ldap_container c;
    const char *want;
  } cases[] = {
    {KC_LDAP_ACCOUNTS, "ou=accounts,dc=x"},
    {KC_LDAP_CUSTOMERS, "ou=customers,dc=x"},
    {KC_LDAP_REGISTRATIONS, "ou=registrations,dc=x"},
    {KC_LDAP_POLICIES, "ou=policies,dc=x"},
  };
  struct kc_buf dn;
  size_t i;

  for (i = 0; i < N(cases); i++) {
    ck_assert_int_eq(kc_ldap_dn_container(&dn, "dc=x", cases[i].c), 0);
    ck_assert_str_eq(kc_buf_get(&dn), cases[i].want);
    kc_buf_free(&dn);
  }
  ck_assert_int_eq(kc_ldap_dn_entry(&dn, "dc=x", KC_LDAP_POLICIES, "cn",
                                    "default"),
                   0);
  ck_assert_str_eq(kc_buf_get(&dn), "cn=default,ou=policies,dc=x");
  kc_buf_free(&dn);
}
END_TEST

/* A base that leaves room for nothing: every builder says so and leaves
 * nothing half-built behind. */
START_TEST(test_ldap_dn_truncation)
{
  char base[KC_MAX_DN + 2];
  struct kc_buf dn;
  size_t fit;

  /* "ou=accounts," is 12 bytes: the longest base that still fits */
  fit = KC_MAX_DN - strlen("ou=accounts,");
  memset(base, 'a', fit);
  memcpy(base, "dc=", 3);
  base[fit] = '\0';
  ck_assert_int_eq(kc_ldap_dn_container(&dn, base, KC_LDAP_ACCOUNTS), 0);
  ck_assert_uint_eq(kc_buf_len(&dn), KC_MAX_DN);
  kc_buf_free(&dn);

  base[fit] = 'a';
  base[fit + 1] = '\0';
  ck_assert_int_eq(kc_ldap_dn_container(&dn, base, KC_LDAP_ACCOUNTS),
                   KC_ERR_TOO_LARGE);
  ck_assert_str_eq(kc_buf_get(&dn), "");
  kc_buf_free(&dn);

  ck_assert_int_eq(kc_ldap_dn_entry(&dn, base, KC_LDAP_ACCOUNTS, "uid",
                                    "mmuster"),
                   KC_ERR_TOO_LARGE);
  ck_assert_str_eq(kc_buf_get(&dn), "");
  kc_buf_free(&dn);

  /* the escaped value alone may pass the limit too */
  memset(base, ',', KC_MAX_DN / 2);
  base[KC_MAX_DN / 2] = '\0';
  ck_assert_int_eq(kc_ldap_dn_rdn(&dn, "uid", base), KC_ERR_TOO_LARGE);
  kc_buf_free(&dn);
}
END_TEST

START_TEST(test_ldap_dn_escaping)
{
  static const struct {
    const char *value, *want;
  } cases[] = {
    {"abc123", "kcRegistrationId=abc123,ou=registrations,dc=x"},
    {"a,b+c", "kcRegistrationId=a\\2Cb\\2Bc,ou=registrations,dc=x"},
    {"<x>;\"", "kcRegistrationId=\\3Cx\\3E\\3B\\22,ou=registrations,dc=x"},
    {"tail ", "kcRegistrationId=tail\\20,ou=registrations,dc=x"},
  };
  struct kc_buf dn;
  size_t i;

  for (i = 0; i < N(cases); i++) {
    ck_assert_int_eq(kc_ldap_dn_entry(&dn, "dc=x", KC_LDAP_REGISTRATIONS,
                                      "kcRegistrationId", cases[i].value),
                     0);
    ck_assert_str_eq(kc_buf_get(&dn), cases[i].want);
    kc_buf_free(&dn);
  }
}
END_TEST

START_TEST(test_ldap_filter_escaping)
{
  struct kc_buf f;

  kc_buf_init(&f, 64);
  ck_assert_int_eq(kc_ldap_filter_value(&f, "a*(b)\\c"), 0);
  ck_assert_str_eq(kc_buf_get(&f), "a\\2A\\28b\\29\\5Cc");
  kc_buf_free(&f);
  /* an empty value appends nothing (libldap returns no string for it) */
  ck_assert_int_eq(kc_buf_add_str(&f, "(uid="), 0);
  ck_assert_int_eq(kc_ldap_filter_value(&f, ""), 0);
  ck_assert_str_eq(kc_buf_get(&f), "(uid=");
  kc_buf_free(&f);
  /* the escaped form counts against the ceiling */
  kc_buf_init(&f, 8);
  ck_assert_int_eq(kc_ldap_filter_value(&f, "****"), KC_ERR_TOO_LARGE);
  kc_buf_free(&f);
}
END_TEST

START_TEST(test_ldap_err_map)
{
  static const struct {
    enum kc_ldap_op op;
    int rc, want;
  } cases[] = {
    {KC_LDAP_OP_LIST, LDAP_SUCCESS, 0},
    {KC_LDAP_OP_READ, LDAP_SERVER_DOWN, KC_ERR_UNAVAILABLE},
    {KC_LDAP_OP_MODIFY, LDAP_TIMELIMIT_EXCEEDED, KC_ERR_UNAVAILABLE},
    {KC_LDAP_OP_READ, LDAP_NO_SUCH_OBJECT, KC_ERR_NOT_FOUND},
    {KC_LDAP_OP_READ, LDAP_SIZELIMIT_EXCEEDED, KC_ERR_INVALID},
    {KC_LDAP_OP_READ, LDAP_INSUFFICIENT_ACCESS, KC_ERR_UNAVAILABLE},
    {KC_LDAP_OP_LIST, LDAP_SIZELIMIT_EXCEEDED, KC_ERR_RANGE},
    {KC_LDAP_OP_LIST, LDAP_NO_SUCH_OBJECT, KC_ERR_NOT_FOUND},
    {KC_LDAP_OP_ADD, LDAP_NO_SUCH_OBJECT, KC_ERR_INVALID},
    {KC_LDAP_OP_ADD, LDAP_ALREADY_EXISTS, KC_ERR_DUPLICATE},
    {KC_LDAP_OP_ADD, LDAP_TYPE_OR_VALUE_EXISTS, KC_ERR_INVALID},
    {KC_LDAP_OP_ADD, LDAP_NO_SUCH_ATTRIBUTE, KC_ERR_INVALID},
    {KC_LDAP_OP_ADD, LDAP_INSUFFICIENT_ACCESS, KC_ERR_PERMISSION},
    {KC_LDAP_OP_MODIFY, LDAP_NO_SUCH_ATTRIBUTE, KC_ERR_NOT_FOUND},
    {KC_LDAP_OP_MODIFY, LDAP_TYPE_OR_VALUE_EXISTS, KC_ERR_DUPLICATE},
    {KC_LDAP_OP_CAS, LDAP_NO_SUCH_ATTRIBUTE, KC_ERR_DUPLICATE},
    {KC_LDAP_OP_CAS, LDAP_CONSTRAINT_VIOLATION, KC_ERR_DUPLICATE},
    {KC_LDAP_OP_CAS, LDAP_NO_SUCH_OBJECT, KC_ERR_NOT_FOUND},
    {KC_LDAP_OP_DELETE, LDAP_NO_SUCH_OBJECT, KC_ERR_NOT_FOUND},
    {KC_LDAP_OP_RENAME, LDAP_ALREADY_EXISTS, KC_ERR_DUPLICATE},
    {KC_LDAP_OP_RENAME, LDAP_UNWILLING_TO_PERFORM, KC_ERR_INVALID},
    {KC_LDAP_OP_BIND, LDAP_INVALID_CREDENTIALS, KC_ERR_PERMISSION},
    {KC_LDAP_OP_BIND, LDAP_UNWILLING_TO_PERFORM, KC_ERR_PERMISSION},
    {KC_LDAP_OP_BIND, LDAP_CONNECT_ERROR, KC_ERR_UNAVAILABLE},
  };
  size_t i;

  for (i = 0; i < N(cases); i++)
    ck_assert_msg(kc_ldap_err(cases[i].op, cases[i].rc) == cases[i].want,
                  "case %zu: op %d rc %d", i, (int) cases[i].op, cases[i].rc);
}
END_TEST

static const char *
mod_value(const struct kc_ldap_mods *m, const char *type)
{
  size_t i;

  for (i = 0; i < m->ms_n; i++) {
    if (strcmp(m->ms_mod[i].mod_type, type) == 0)
      return m->ms_mod[i].mod_values[0];
  }
  return NULL;
}

START_TEST(test_ldap_account_entry)
{
  struct kc_ldap_new_account a;
  struct kc_ldap_mods m;
  struct kc_buf cn;
  char first[KC_MAX_NAME + 1], last[KC_MAX_NAME + 1];

  memset(&a, 0, sizeof(a));
  a.uid = "k10001";
  a.customer = "10001";
  a.password_hash = "{ARGON2}x";
  a.role = "admin";
  a.mail = "a@example.org";
  a.must_change = true;
  ck_assert_int_eq(kc_ldap_account_mods(&m, &a, &cn), 0);
  ck_assert_str_eq(mod_value(&m, "cn"), "k10001");
  ck_assert_str_eq(mod_value(&m, "sn"), "k10001");
  ck_assert_ptr_null(mod_value(&m, "givenName"));
  ck_assert_ptr_null(mod_value(&m, "kcFirstLogin"));
  ck_assert_str_eq(mod_value(&m, "pwdReset"), "TRUE");
  ck_assert_ptr_null(m.ms_ptr[m.ms_n]);
  kc_buf_free(&cn);

  /* two names of the longest length fit into cn */
  memset(first, 'F', KC_MAX_NAME);
  first[KC_MAX_NAME] = '\0';
  memset(last, 'L', KC_MAX_NAME);
  last[KC_MAX_NAME] = '\0';
  a.first_name = first;
  a.last_name = last;
  ck_assert_int_eq(kc_ldap_account_mods(&m, &a, &cn), 0);
  ck_assert_uint_eq(strlen(mod_value(&m, "cn")), 2 * KC_MAX_NAME + 1);
  ck_assert_str_eq(mod_value(&m, "sn"), last);
  kc_buf_free(&cn);
}
END_TEST

/* ldap_uri's servers: order, skipping, one probe, moving back. */
START_TEST(test_ldap_servers_skip_and_probe)
{
  struct kc_ldap_servers s, t;
  struct kc_buf b;
  size_t order[KC_LDAP_MAX_SERVERS], n;
  unsigned f0;

  kc_ldap_servers_reset();
  ck_assert_int_eq(kc_ldap_servers_find(" ldap://a/, ldap://b/\tldap://c/ ",
                                        &s),
                   0);
  ck_assert_uint_eq(s.n, 3);
  ck_assert_str_eq(kc_ldap_server_uri(s.slot[1]), "ldap://b/");
  /* the same URIs in another order share the slots */
  ck_assert_int_eq(kc_ldap_servers_find("ldap://c/ ldap://a/", &t), 0);
  ck_assert_int_eq(t.slot[0], s.slot[2]);
  ck_assert_int_eq(t.slot[1], s.slot[0]);

  n = kc_ldap_servers_order(&s, 0, 1000, order);
  ck_assert_uint_eq(n, 3);
  ck_assert_uint_eq(order[0], 0);
  ck_assert_uint_eq(order[1], 1);
  ck_assert_uint_eq(order[2], 2);
  /* a, tried already: b, c */
  n = kc_ldap_servers_order(&s, 1u, 1000, order);
  ck_assert_uint_eq(n, 2);
  ck_assert_uint_eq(order[0], 1);

  /* a fails: skipped (last) for KC_LDAP_SKIP_SECONDS, a connection to it
   * is left, one to b stays */
  f0 = kc_ldap_server_failures(s.slot[0]);
  kc_ldap_server_failed(s.slot[0], 1000);
  ck_assert_uint_eq(kc_ldap_server_failures(s.slot[0]), f0 + 1);
  ck_assert(kc_ldap_servers_leave(&s, 0, f0, 1001));
  ck_assert(
    !kc_ldap_servers_leave(&s, 1, kc_ldap_server_failures(s.slot[1]), 1001));
  n = kc_ldap_servers_order(&s, 0, 1001, order);
  ck_assert_uint_eq(n, 3);
  ck_assert_uint_eq(order[0], 1);
  ck_assert_uint_eq(order[1], 2);
  ck_assert_uint_eq(order[2], 0);
  kc_buf_init(&b, 4096);
  ck_assert_int_eq(kc_ldap_servers_describe(&s, 1001, &b), 0);
  ck_assert_str_eq(kc_buf_get(&b),
                   "ldap://a/ down\nldap://b/ up\nldap://c/ up\n");
  kc_buf_free(&b);

  /* time up: a connection to b is left (a may answer again); the first
   * to order probes a, the next one still skips it */
  ck_assert(kc_ldap_servers_leave(&s, 1, kc_ldap_server_failures(s.slot[1]),
                                  1000 + KC_LDAP_SKIP_SECONDS));
  n = kc_ldap_servers_order(&s, 0, 1000 + KC_LDAP_SKIP_SECONDS, order);
  ck_assert_uint_eq(order[0], 0);
  n = kc_ldap_servers_order(&s, 0, 1000 + KC_LDAP_SKIP_SECONDS + 1, order);
  ck_assert_uint_eq(order[0], 1);
  ck_assert_uint_eq(order[2], 0);
  /* the probe answered: back to a for everybody */
  kc_ldap_server_answered(s.slot[0]);
  n = kc_ldap_servers_order(&s, 0, 1000 + KC_LDAP_SKIP_SECONDS + 2, order);
  ck_assert_uint_eq(order[0], 0);
  (void) n;
}
END_TEST

START_TEST(test_ldap_servers_bad_lists)
{
  struct kc_ldap_servers s;
  char many[32 * 20], longuri[KC_LDAP_MAX_URI + 16];
  size_t i;

  kc_ldap_servers_reset();
  ck_assert_int_eq(kc_ldap_servers_find("", &s), KC_ERR_INVALID);
  ck_assert_int_eq(kc_ldap_servers_find(" , ", &s), KC_ERR_INVALID);
  many[0] = '\0';
  for (i = 0; i < KC_LDAP_MAX_SERVERS + 1; i++)
    snprintf(many + strlen(many), sizeof(many) - strlen(many), "ldap://h%zu/ ",
             i);
  ck_assert_int_eq(kc_ldap_servers_find(many, &s), KC_ERR_INVALID);
  memset(longuri, 'x', sizeof(longuri) - 1);
  longuri[sizeof(longuri) - 1] = '\0';
  ck_assert_int_eq(kc_ldap_servers_find(longuri, &s), KC_ERR_INVALID);
  kc_ldap_servers_reset();
}
END_TEST

static Suite *
ldap_suite(void)
{
  Suite *s = suite_create("ldap");
  TCase *tc = tcase_create("core");

  tcase_add_test(tc, test_ldap_dn_containers);
  tcase_add_test(tc, test_ldap_dn_truncation);
  tcase_add_test(tc, test_ldap_dn_escaping);
  tcase_add_test(tc, test_ldap_filter_escaping);
  tcase_add_test(tc, test_ldap_err_map);
  tcase_add_test(tc, test_ldap_account_entry);
  tcase_add_test(tc, test_ldap_servers_skip_and_probe);
  tcase_add_test(tc, test_ldap_servers_bad_lists);
  suite_add_tcase(s, tc);
  return s;
}

int
main(void)
{
  SRunner *sr;
  int failed;

  sr = srunner_create(ldap_suite());
  srunner_run_all(sr, CK_NORMAL);
  failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
