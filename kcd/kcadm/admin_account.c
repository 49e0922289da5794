/*
 * admin_account.c: `kcadm account ...`: inetOrgPerson + kcAccount entries
 * uid=NAME,ou=accounts,<base>. Provisioning (create) is in
 * admin_provision.c.
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <sodium.h>

#include "admin.h"
#include "admin_int.h"
#include "kc_err.h"
#include "kc_str.h"

static const char *const account_attrs[] = {"uid",
                                            "cn",
                                            "givenName",
                                            "sn",
                                            "personalTitle",
                                            "mail",
                                            "mobile",
                                            "kcCustomerNumber",
                                            "kcRole",
                                            "kcTanMethod",
                                            "kcLanguage",
                                            "kcFirstLogin",
                                            "pwdReset",
                                            "pwdAccountLockedTime",
                                            "kcLockedBy",
                                            "pwdFailureTime",
                                            "kcTanFailures",
                                            "kcTotpSecret",
                                            "kcRecoveryCode",
                                            "kcFactorFailedAt",
                                            "pwdChangedTime",
                                            "entryUUID",
                                            "createTimestamp",
                                            NULL};

int
kc_admin_account_filter(struct kc_buf *out, const char *name)
{
  kc_buf_init(out, 256);
  if (kc_buf_add_str(out, "(&(objectClass=kcAccount)(uid=") != 0 ||
      kc_ldap_filter_value(out, name) != 0 || kc_buf_add_str(out, "))") != 0)
    return KC_ERR_TOO_LARGE;
  return 0;
}

int
kc_admin_account_exists(struct kc_admin *ad, const char *name, bool *exists)
{
  static const char *const attrs[] = {"1.1", NULL};
  LDAPMessage *res = NULL;
  struct kc_buf filter;
  int r;

  *exists = false;
  kc_buf_init(&filter, 256);
  if (kc_buf_add_str(&filter, "(uid=") != 0 ||
      kc_ldap_filter_value(&filter, name) != 0 ||
      kc_buf_add_str(&filter, ")") != 0)
    return kc_admin_fail(ad, "account \"%s\": filter too long", name);
  r = kc_ldap_search(&ad->ad_ldap, ad->ad_lcfg.base, LDAP_SCOPE_SUBTREE,
                     kc_buf_get(&filter), attrs, 1, &res);
  kc_buf_free(&filter);
  if (r == 0 || r == KC_ERR_RANGE)
    *exists = kc_ldap_first(&ad->ad_ldap, res) != NULL;
  kc_ldap_msgfree(res);
  if (r != 0 && r != KC_ERR_RANGE)
    return kc_admin_fail(ad, "looking up account \"%s\": %s", name,
                         kc_ldap_error(&ad->ad_ldap));
  return 0;
}

int
kc_admin_account_find(struct kc_admin *ad, const char *name,
                      struct kc_admin_account *acc)
{
  struct kc_buf filter;
  int r;

  memset(acc, 0, sizeof(*acc));
  if (kc_admin_account_filter(&filter, name) != 0)
    return kc_admin_fail(ad, "account \"%s\": filter too long", name);
  r = kc_ldap_search(&ad->ad_ldap, ad->ad_lcfg.base, LDAP_SCOPE_SUBTREE,
                     kc_buf_get(&filter), account_attrs, 2, &acc->res);
  kc_buf_free(&filter);
  if (r == KC_ERR_RANGE)
    r = kc_admin_fail(ad, "more than one account is named \"%s\"", name);
  else if (r != 0)
    r = kc_admin_fail(ad, "looking up account \"%s\": %s", name,
                      kc_ldap_error(&ad->ad_ldap));
  else if ((acc->entry = kc_ldap_first(&ad->ad_ldap, acc->res)) == NULL)
    r = kc_admin_fail(ad, "account \"%s\" not found", name);
  else if ((acc->dn = kc_ldap_entry_dn(&ad->ad_ldap, acc->entry)) == NULL)
    r = kc_admin_fail(ad, "account \"%s\": no DN in the answer", name);
  if (r != 0)
    kc_admin_account_release(acc);
  return r;
}

void
kc_admin_account_release(struct kc_admin_account *acc)
{
  kc_ldap_memfree(acc->dn);
  kc_ldap_msgfree(acc->res);
  memset(acc, 0, sizeof(*acc));
}

/* Check the name, connect and find the account. */
static int
lookup(struct kc_admin *ad, const char *name, struct kc_admin_account *acc)
{
  memset(acc, 0, sizeof(*acc));
  if (kc_admin_check_username(ad, "user name", name) != 0)
    return KC_ADMIN_EXIT_USAGE;
  if (kc_admin_connect(ad) != 0 || kc_admin_account_find(ad, name, acc) != 0)
    return KC_ADMIN_EXIT_FAIL;
  return 0;
}

/* Apply mods to the account; report a failure naming it. */
static int
modify(struct kc_admin *ad, const char *name, const char *dn,
       struct kc_ldap_mods *m)
{
  if (kc_ldap_modify(&ad->ad_ldap, dn, m->ms_ptr) == 0)
    return 0;
  return kc_admin_fail(ad, "account \"%s\": %s", name,
                       kc_ldap_error(&ad->ad_ldap));
}

/* ------------------------------------------------------------ show */

static void
show_value(struct kc_admin *ad, LDAPMessage *e, const char *attr,
           const char *key, const char *lbl)
{
  char v[KC_MAX_NAME + 1];

  (void) kc_ldap_get(&ad->ad_ldap, e, attr, v, sizeof(v));
  kc_admin_show_str(ad, key, lbl, v[0] != '\0' ? v : NULL);
}

static void
show_time(struct kc_admin *ad, LDAPMessage *e, const char *attr,
          const char *key, const char *lbl)
{
  char raw[32], t[KC_ADMIN_TIME_SIZE];

  (void) kc_ldap_get(&ad->ad_ldap, e, attr, raw, sizeof(raw));
  kc_admin_time_text(ad, raw, t);
  kc_admin_show_str(ad, key, lbl, raw[0] != '\0' ? t : NULL);
}

static bool
is_true(struct kc_admin *ad, LDAPMessage *e, const char *attr)
{
  char v[8];

  return kc_ldap_get(&ad->ad_ldap, e, attr, v, sizeof(v)) == 0 &&
         strcmp(v, "TRUE") == 0;
}

static long long
count_values(struct kc_admin *ad, LDAPMessage *e, const char *attr)
{
  char **v = kc_ldap_values(&ad->ad_ldap, e, attr);
  long long n = 0;

  while (v != NULL && v[n] != NULL)
    n++;
  kc_ldap_values_free(v);
  return n;
}

/* The lock state for people and scripts. */
static void
show_lock(struct kc_admin *ad, LDAPMessage *e)
{
  char raw[32], t[KC_ADMIN_TIME_SIZE];
  bool locked;

  locked =
    kc_ldap_get(&ad->ad_ldap, e, "pwdAccountLockedTime", raw, sizeof(raw)) == 0;
  kc_admin_show_bool(ad, "locked", "locked", locked);
  if (strcmp(raw, KC_LDAP_LOCK_FOREVER) == 0) {
    kc_admin_show_str(ad, "locked_time", "locked since",
                      ad->ad_json ? raw : "permanently (until account unlock)");
    return;
  }
  kc_admin_time_text(ad, raw, t);
  kc_admin_show_str(ad, "locked_time", "locked since", locked ? t : NULL);
}

/* Wrong TANs since the last right one (kcTanFailures; absent is 0). */
static void
show_tan_failures(struct kc_admin *ad, LDAPMessage *e)
{
  char raw[16];
  uint64_t n = 0;

  if (kc_ldap_get(&ad->ad_ldap, e, "kcTanFailures", raw, sizeof(raw)) != 0 ||
      kc_str_to_uint(raw, &n, 0, 1000000) != 0)
    n = 0;
  kc_admin_show_int(ad, "failed_tans", "wrong TANs", (long long) n);
}

/* One customer of an account, for show. */
struct named_customer {
  const char *number;
  char name[KC_MAX_NAME + 1]; /* its o, "" when none */
  bool exists;                /* the customer entry is there */
};

/* The customer numbers (n of them) with their names into *out (free
 * it). 0 or KC_ADMIN_EXIT_FAIL after a report. */
static int
name_customers(struct kc_admin *ad, char *const *numbers,
               struct named_customer **out, size_t *n)
{
  size_t i;

  *n = 0;
  while (numbers != NULL && numbers[*n] != NULL)
    (*n)++;
  if ((*out = calloc(*n + 1, sizeof(**out))) == NULL)
    return kc_admin_fail(ad, "out of memory");
  for (i = 0; i < *n; i++) {
    (*out)[i].number = numbers[i];
    if (kc_admin_customer_name(ad, numbers[i], (*out)[i].name,
                               sizeof((*out)[i].name), &(*out)[i].exists) != 0)
      return KC_ADMIN_EXIT_FAIL;
  }
  return 0;
}

/* For scripts "customer_numbers": [...] and "customers": [{"number",
 * "name", "exists"}, ...]; for people "46075 (Praxis Dr. Muster), 46099
 * (no such customer)". */
static void
show_customers(struct kc_admin *ad, const struct named_customer *c, size_t n)
{
  struct kc_buf text;
  size_t i;
  int r = 0;

  if (ad->ad_json) {
    kc_admin_json_begin_arr(&ad->ad_js, "customer_numbers");
    for (i = 0; i < n; i++)
      kc_admin_json_str(&ad->ad_js, NULL, c[i].number);
    kc_admin_json_end_arr(&ad->ad_js);
    kc_admin_json_begin_arr(&ad->ad_js, "customers");
    for (i = 0; i < n; i++) {
      kc_admin_json_begin_obj(&ad->ad_js, NULL);
      kc_admin_json_str(&ad->ad_js, "number", c[i].number);
      kc_admin_json_str(&ad->ad_js, "name",
                        c[i].name[0] != '\0' ? c[i].name : NULL);
      kc_admin_json_bool(&ad->ad_js, "exists", c[i].exists);
      kc_admin_json_end_obj(&ad->ad_js);
    }
    kc_admin_json_end_arr(&ad->ad_js);
    return;
  }
  kc_buf_init(&text, (n + 1) * (KC_MAX_CUSTOMER_NUMBER + KC_MAX_NAME + 24));
  for (i = 0; i < n && r == 0; i++)
    r = kc_buf_printf(&text, "%s%s%s%s%s", i > 0 ? ", " : "", c[i].number,
                      c[i].exists && c[i].name[0] == '\0' ? "" : " (",
                      c[i].exists ? c[i].name : "no such customer",
                      c[i].exists && c[i].name[0] == '\0' ? "" : ")");
  kc_admin_show_str(ad, "customers", "customers",
                    n > 0 && r == 0 ? kc_buf_get(&text) : NULL);
  kc_buf_free(&text);
}

static void
show_account(struct kc_admin *ad, LDAPMessage *e, const char *dn,
             const struct named_customer *custs, size_t ncusts)
{
  show_value(ad, e, "uid", "username", "user name");
  kc_admin_show_str(ad, "dn", "DN", dn);
  show_value(ad, e, "entryUUID", "entry_uuid", "entryUUID");
  show_value(ad, e, "cn", "cn", "name");
  show_value(ad, e, "personalTitle", "salutation", "salutation");
  show_value(ad, e, "givenName", "given_name", "first name");
  show_value(ad, e, "sn", "surname", "last name");
  show_value(ad, e, "mail", "email", "e-mail");
  show_value(ad, e, "mobile", "mobile", "mobile");
  show_customers(ad, custs, ncusts);
  show_value(ad, e, "kcRole", "role", "role");
  show_value(ad, e, "kcTanMethod", "tan_method", "TAN method");
  show_value(ad, e, "kcLanguage", "language", "language");
  kc_admin_show_bool(ad, "first_login", "first login",
                     is_true(ad, e, "kcFirstLogin"));
  kc_admin_show_bool(ad, "must_change_password", "must change password",
                     is_true(ad, e, "pwdReset"));
  show_lock(ad, e);
  kc_admin_show_int(ad, "failed_logins", "failed logins",
                    count_values(ad, e, "pwdFailureTime"));
  show_tan_failures(ad, e);
  kc_admin_show_bool(ad, "totp_enrolled", "authenticator app set up",
                     count_values(ad, e, "kcTotpSecret") > 0);
  kc_admin_show_int(ad, "recovery_codes", "recovery codes left",
                    count_values(ad, e, "kcRecoveryCode"));
  show_time(ad, e, "pwdChangedTime", "password_changed", "password changed");
  show_time(ad, e, "createTimestamp", "created", "created");
}

int
kc_admin_account_show(struct kc_admin *ad, const char *user)
{
  struct named_customer *custs = NULL;
  struct kc_admin_account acc;
  char title[KC_MAX_USERNAME + 16];
  char **numbers;
  size_t n = 0;
  int r;

  if ((r = lookup(ad, user, &acc)) != 0)
    return r;
  numbers = kc_ldap_values(&ad->ad_ldap, acc.entry, "kcCustomerNumber");
  if ((r = name_customers(ad, numbers, &custs, &n)) == 0) {
    snprintf(title, sizeof(title), "account %s", user);
    kc_admin_doc_begin(ad, title);
    show_account(ad, acc.entry, acc.dn, custs, n);
    kc_admin_doc_end(ad);
  }
  free(custs);
  kc_ldap_values_free(numbers);
  kc_admin_account_release(&acc);
  return r == 0 ? KC_ADMIN_EXIT_OK : KC_ADMIN_EXIT_FAIL;
}

/* ------------------------------------------------------------ list */

/* "locked,must-change,first-login" or "active". */
static void
state_text(struct kc_admin *ad, LDAPMessage *e, char *out, size_t outlen)
{
  bool locked = count_values(ad, e, "pwdAccountLockedTime") > 0;
  bool reset = is_true(ad, e, "pwdReset");
  bool first = is_true(ad, e, "kcFirstLogin");

  if (!locked && !reset && !first) {
    snprintf(out, outlen, "active");
    return;
  }
  snprintf(out, outlen, "%s%s%s%s%s", locked ? "locked" : "",
           locked && (reset || first) ? "," : "", reset ? "must-change" : "",
           reset && first ? "," : "", first ? "first-login" : "");
}

/* Customer numbers joined by ",". */
static void
joined(char *const *v, char *out, size_t outlen)
{
  size_t i, used = 0;
  int n;

  out[0] = '\0';
  for (i = 0; v != NULL && v[i] != NULL && used < outlen; i++) {
    n = snprintf(out + used, outlen - used, "%s%s", i > 0 ? "," : "", v[i]);
    if (n < 0)
      break;
    used += (size_t) n;
  }
}

static void
list_json(struct kc_admin *ad, LDAPMessage *e, char *const *custs)
{
  kc_admin_json_begin_obj(&ad->ad_js, NULL);
  show_value(ad, e, "uid", "username", "user name");
  kc_admin_show_strv(ad, "customer_numbers", "customers", custs);
  show_value(ad, e, "kcRole", "role", "role");
  show_value(ad, e, "kcTanMethod", "tan_method", "TAN method");
  show_value(ad, e, "mail", "email", "e-mail");
  kc_admin_show_bool(ad, "locked", "locked",
                     count_values(ad, e, "pwdAccountLockedTime") > 0);
  kc_admin_show_bool(ad, "must_change_password", "must change",
                     is_true(ad, e, "pwdReset"));
  kc_admin_show_bool(ad, "first_login", "first login",
                     is_true(ad, e, "kcFirstLogin"));
  kc_admin_json_end_obj(&ad->ad_js);
}

static int
list_one(struct kc_ldap *al, LDAPMessage *e, void *arg)
{
  struct kc_admin *ad = arg;
  char **custs = kc_ldap_values(al, e, "kcCustomerNumber");
  char uid[KC_MAX_USERNAME + 1], role[16], tan[16], mail[KC_MAX_EMAIL + 1];
  char state[64], nums[64], shown[KC_MAX_EMAIL + 1], name[KC_MAX_USERNAME + 1];

  if (ad->ad_json) {
    list_json(ad, e, custs);
    kc_ldap_values_free(custs);
    return 0;
  }
  (void) kc_ldap_get(al, e, "uid", uid, sizeof(uid));
  (void) kc_ldap_get(al, e, "kcRole", role, sizeof(role));
  if (kc_ldap_get(al, e, "kcTanMethod", tan, sizeof(tan)) != 0)
    snprintf(tan, sizeof(tan), "-");
  (void) kc_ldap_get(al, e, "mail", mail, sizeof(mail));
  state_text(ad, e, state, sizeof(state));
  joined(custs, nums, sizeof(nums));
  kc_admin_clean(shown, sizeof(shown), mail);
  kc_admin_clean(role, sizeof(role), role);
  kc_admin_clean(tan, sizeof(tan), tan);
  kc_admin_clean(name, sizeof(name), uid);
  fprintf(ad->ad_out, "%-20s %-12s %-6s %-6s %-30s %s\n", name, nums, role, tan,
          state, shown);
  kc_ldap_values_free(custs);
  return 0;
}

int
kc_admin_account_list(struct kc_admin *ad, const char *customer)
{
  static const char heads[] = "USER NAME            CUSTOMERS    ROLE   TAN"
                              "    STATE                          E-MAIL\n";
  struct kc_buf filter;
  int r;

  if (customer != NULL && kc_admin_check_customer(ad, customer) != 0)
    return KC_ADMIN_EXIT_USAGE;
  kc_buf_init(&filter, 256);
  if (customer == NULL)
    r = kc_buf_add_str(&filter, "(objectClass=kcAccount)");
  else if ((r =
              kc_buf_add_str(&filter,
                             "(&(objectClass=kcAccount)(kcCustomerNumber=")) ==
             0 &&
           (r = kc_ldap_filter_value(&filter, customer)) == 0)
    r = kc_buf_add_str(&filter, "))");
  if (r != 0)
    return kc_admin_fail(ad, "account list: filter too long");
  if (kc_admin_connect(ad) != 0) {
    kc_buf_free(&filter);
    return KC_ADMIN_EXIT_FAIL;
  }
  kc_admin_list_begin(ad, "accounts", heads);
  r = kc_ldap_search_each(&ad->ad_ldap, ad->ad_accounts, LDAP_SCOPE_SUBTREE,
                          kc_buf_get(&filter), account_attrs, list_one, ad);
  kc_buf_free(&filter);
  return kc_admin_list_end(ad, r, "accounts");
}

/* ------------------------------------------------------------ changes */

/* Print the outcome of a change: "account NAME WHAT" for people, and for
 * JSON the user name plus one boolean or string member. */
static void
changed(struct kc_admin *ad, const char *user, const char *what,
        const char *key, bool value)
{
  if (ad->ad_json) {
    kc_admin_json_begin_obj(&ad->ad_js, NULL);
    kc_admin_json_str(&ad->ad_js, "username", user);
    kc_admin_json_bool(&ad->ad_js, key, value);
    kc_admin_json_end_obj(&ad->ad_js);
    kc_admin_json_end(&ad->ad_js);
    ad->ad_printed = true;
    return;
  }
  fprintf(ad->ad_out, "account %s %s\n", user, what);
  fflush(ad->ad_out);
}

int
kc_admin_account_lock(struct kc_admin *ad, const char *user)
{
  struct kc_admin_account acc;
  int r;

  if ((r = lookup(ad, user, &acc)) != 0)
    return r;
  /* kcd's lock: the open TAN is void too, so a login that had passed its
   * password before the lock cannot finish with it */
  if ((r = kc_ldap_lock(&ad->ad_ldap, acc.dn)) != 0)
    kc_admin_fail(ad, "account \"%s\": %s", user, kc_ldap_error(&ad->ad_ldap));
  kc_admin_account_release(&acc);
  if (r != 0)
    return KC_ADMIN_EXIT_FAIL;
  changed(ad, user, "locked", "locked", true);
  return KC_ADMIN_EXIT_OK;
}

int
kc_admin_account_unlock(struct kc_admin *ad, const char *user)
{
  struct kc_admin_account acc;
  struct kc_ldap_mods m;
  bool was_locked;
  int r;

  if ((r = lookup(ad, user, &acc)) != 0)
    return r;
  was_locked = count_values(ad, acc.entry, "pwdAccountLockedTime") > 0;
  kc_ldap_mods_init(&m);
  /* a delete of the whole attribute; slapd then clears pwdFailureTime */
  if (was_locked)
    kc_ldap_mods_add(&m, LDAP_MOD_DELETE, "pwdAccountLockedTime", NULL, NULL);
  /* and the count of wrong TANs starts over (else the next wrong TAN
   * would lock it again at once) */
  if (count_values(ad, acc.entry, "kcTanFailures") > 0)
    kc_ldap_mods_add(&m, LDAP_MOD_DELETE, "kcTanFailures", NULL, NULL);
  if (count_values(ad, acc.entry, "kcFactorFailedAt") > 0)
    kc_ldap_mods_add(&m, LDAP_MOD_DELETE, "kcFactorFailedAt", NULL, NULL);
  /* a main user's lock on the web goes with it */
  if (count_values(ad, acc.entry, "kcLockedBy") > 0)
    kc_ldap_mods_add(&m, LDAP_MOD_DELETE, "kcLockedBy", NULL, NULL);
  r = m.ms_n > 0 ? modify(ad, user, acc.dn, &m) : 0;
  kc_admin_account_release(&acc);
  if (r != 0)
    return KC_ADMIN_EXIT_FAIL;
  changed(ad, user, was_locked ? "unlocked" : "was not locked", "locked",
          false);
  return KC_ADMIN_EXIT_OK;
}

int
kc_admin_account_delete(struct kc_admin *ad, const char *user)
{
  struct kc_admin_account acc;
  int r;

  if ((r = lookup(ad, user, &acc)) != 0)
    return r;
  if (kc_ldap_delete(&ad->ad_ldap, acc.dn) != 0)
    r = kc_admin_fail(ad, "deleting account \"%s\": %s", user,
                      kc_ldap_error(&ad->ad_ldap));
  kc_admin_account_release(&acc);
  if (r != 0)
    return KC_ADMIN_EXIT_FAIL;
  changed(ad, user, "deleted", "deleted", true);
  return KC_ADMIN_EXIT_OK;
}

/* ------------------------------------------------------------ rename */

static void
renamed(struct kc_admin *ad, const char *from, const char *to, const char *dn,
        const char *uuid)
{
  if (ad->ad_json) {
    kc_admin_json_begin_obj(&ad->ad_js, NULL);
    kc_admin_json_str(&ad->ad_js, "old_username", from);
    kc_admin_json_str(&ad->ad_js, "username", to);
    kc_admin_json_str(&ad->ad_js, "dn", dn);
    kc_admin_json_str(&ad->ad_js, "entry_uuid", uuid);
    kc_admin_json_end_obj(&ad->ad_js);
    kc_admin_json_end(&ad->ad_js);
    ad->ad_printed = true;
    return;
  }
  fprintf(ad->ad_out, "account %s renamed to %s (%s, entryUUID %s)\n", from, to,
          dn, uuid);
  fflush(ad->ad_out);
}

/* The DN the account has after the rename: the new RDN in the old
 * parent. */
static int
new_dn(const char *old_dn, const char *rdn, struct kc_buf *out)
{
  const char *comma = strchr(old_dn, ',');

  kc_buf_init(out, KC_MAX_DN);
  if (comma == NULL)
    return KC_ERR_INVALID;
  return kc_buf_printf(out, "%s%s", rdn, comma);
}

static int
do_rename(struct kc_admin *ad, struct kc_admin_account *acc, const char *from,
          const char *to)
{
  struct kc_buf rdn, dn;
  char uuid[64];
  int r;

  if (kc_ldap_dn_rdn(&rdn, "uid", to) != 0 ||
      new_dn(acc->dn, kc_buf_get(&rdn), &dn) != 0) {
    kc_buf_free(&rdn);
    return kc_admin_fail(ad, "account \"%s\": cannot build the new DN", from);
  }
  (void) kc_ldap_get(&ad->ad_ldap, acc->entry, "entryUUID", uuid, sizeof(uuid));
  r = kc_ldap_rename_rdn(&ad->ad_ldap, acc->dn, kc_buf_get(&rdn));
  if (r == KC_ERR_DUPLICATE)
    r = kc_admin_fail(ad, "account \"%s\" already exists", to);
  else if (r != 0)
    r = kc_admin_fail(ad, "renaming account \"%s\" to \"%s\": %s", from, to,
                      kc_ldap_error(&ad->ad_ldap));
  else
    renamed(ad, from, to, kc_buf_get(&dn), uuid);
  kc_buf_free(&rdn);
  kc_buf_free(&dn);
  return r;
}

int
kc_admin_account_rename(struct kc_admin *ad, const char *from, const char *to)
{
  struct kc_admin_account acc;
  bool taken = false;
  int r;

  if (kc_admin_check_username(ad, "new user name", to) != 0)
    return KC_ADMIN_EXIT_USAGE;
  /* a change of case only keeps what the name matches */
  if (strcasecmp(from, to) != 0 &&
      kc_admin_check_username_free(ad, "new user name", to) != 0)
    return KC_ADMIN_EXIT_FAIL;
  if ((r = lookup(ad, from, &acc)) != 0)
    return r;
  if (kc_admin_account_exists(ad, to, &taken) != 0)
    r = KC_ADMIN_EXIT_FAIL;
  else if (taken)
    r = kc_admin_fail(ad,
                      "cannot rename \"%s\": account \"%s\" already "
                      "exists",
                      from, to);
  else
    r = do_rename(ad, &acc, from, to) == 0 ? 0 : KC_ADMIN_EXIT_FAIL;
  kc_admin_account_release(&acc);
  return r;
}

/* ------------------------------------------------------------ TAN */

static void
tan_set(struct kc_admin *ad, const char *user, const char *method,
        const char *mobile, long long revoked)
{
  if (ad->ad_json) {
    kc_admin_json_begin_obj(&ad->ad_js, NULL);
    kc_admin_json_str(&ad->ad_js, "username", user);
    kc_admin_json_str(&ad->ad_js, "tan_method", method);
    kc_admin_json_str(&ad->ad_js, "mobile", mobile[0] != '\0' ? mobile : NULL);
    kc_admin_json_int(&ad->ad_js, "recovery_codes_revoked", revoked);
    kc_admin_json_end_obj(&ad->ad_js);
    kc_admin_json_end(&ad->ad_js);
    ad->ad_printed = true;
    return;
  }
  fprintf(ad->ad_out, "account %s: TAN method %s", user, method);
  if (mobile[0] != '\0')
    fprintf(ad->ad_out, ", mobile %s", mobile);
  if (strcmp(method, "totp") == 0)
    fprintf(ad->ad_out, " (the app is set up at the next web login)");
  if (revoked > 0)
    fprintf(ad->ad_out, "; %lld recovery codes revoked", revoked);
  fputc('\n', ad->ad_out);
  fflush(ad->ad_out);
}

/* mtan needs a mobile number (given or stored), email an address. */
static int
tan_target(struct kc_admin *ad, const char *user, struct kc_admin_account *acc,
           const char *method, char *mobile)
{
  char stored[KC_MAX_PHONE + 1], mail[KC_MAX_EMAIL + 1];

  if (strcmp(method, "mtan") == 0 && mobile[0] == '\0') {
    if (kc_ldap_get(&ad->ad_ldap, acc->entry, "mobile", stored,
                    sizeof(stored)) != 0 ||
        kc_phone_normalize(stored, ad->ad_conf.default_country_code, mobile,
                           KC_PHONE_E164_SIZE) != 0)
      return kc_admin_usage(
        ad, "account \"%s\" has no usable mobile number: give --mobile", user);
  }
  if (strcmp(method, "email") == 0 &&
      kc_ldap_get(&ad->ad_ldap, acc->entry, "mail", mail, sizeof(mail)) != 0)
    return kc_admin_fail(ad, "account \"%s\" has no e-mail address", user);
  return 0;
}

int
kc_admin_account_set_tan(struct kc_admin *ad, const char *user,
                         const char *method, const char *mobile)
{
  char e164[KC_PHONE_E164_SIZE] = "", old[16] = "";
  struct kc_admin_account acc;
  struct kc_ldap_mods m;
  long long revoked;
  int r;

  if (kc_admin_check_username(ad, "user name", user) != 0 ||
      kc_admin_check_tan(ad, method) != 0 ||
      (mobile != NULL && kc_admin_check_mobile(ad, mobile, e164) != 0))
    return kc_admin_bad_args(ad);
  if ((r = lookup(ad, user, &acc)) != 0)
    return r;
  if ((r = tan_target(ad, user, &acc, method, e164)) != 0) {
    kc_admin_account_release(&acc);
    return r;
  }
  (void) kc_ldap_get(&ad->ad_ldap, acc.entry, "kcTanMethod", old, sizeof(old));
  kc_ldap_mods_init(&m);
  kc_ldap_mods_add(&m, LDAP_MOD_REPLACE, "kcTanMethod", method, NULL);
  if (mobile != NULL)
    kc_ldap_mods_add(&m, LDAP_MOD_REPLACE, "mobile", e164, NULL);
  /* Without a second factor the password stands alone and must have 12
   * characters; one chosen with a TAN may have 8, and kcadm cannot see
   * it: the user chooses a new one at the next login. */
  if (strcmp(method, "none") == 0 && strcmp(old, "none") != 0)
    kc_ldap_mods_add(&m, LDAP_MOD_REPLACE, "pwdReset", "TRUE", NULL);
  /* a TAN already sent by the old method must not stay valid */
  kc_ldap_mods_add(&m, LDAP_MOD_REPLACE, "kcTanHash", NULL, NULL);
  kc_ldap_mods_add(&m, LDAP_MOD_REPLACE, "kcTanChallenge", NULL, NULL);
  kc_ldap_mods_add(&m, LDAP_MOD_REPLACE, "kcTanExpires", NULL, NULL);
  kc_ldap_mods_add(&m, LDAP_MOD_REPLACE, "kcTanTries", NULL, NULL);
  /* an app is set up only on the web, with a confirmed code: totp (again)
   * means "set it up at the next web login", e.g. after a lost phone;
   * recovery codes kept with the lost factor go too (new ones come with
   * the next set-up or from the account page) */
  kc_ldap_mods_add(&m, LDAP_MOD_REPLACE, "kcTotpSecret", NULL, NULL);
  kc_ldap_mods_add(&m, LDAP_MOD_REPLACE, "kcTotpLastStep", NULL, NULL);
  revoked = count_values(ad, acc.entry, "kcRecoveryCode");
  kc_ldap_mods_add(&m, LDAP_MOD_REPLACE, "kcRecoveryCode", NULL, NULL);
  r = modify(ad, user, acc.dn, &m);
  kc_admin_account_release(&acc);
  if (r != 0)
    return KC_ADMIN_EXIT_FAIL;
  tan_set(ad, user, method, e164, revoked);
  return KC_ADMIN_EXIT_OK;
}
