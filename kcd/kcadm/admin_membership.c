/*
 * admin_membership.c: `kcadm account add-customer|remove-customer|
 * set-role`: the customers an account serves (kcCustomerNumber, one or
 * more) and its role (kcRole, one for all of them).
 *
 * Parallel changes. What LDAP offers is a modify of one entry that is
 * applied whole or not at all, and that fails when a value it deletes is
 * gone or a value it adds is there already.
 * - On the account itself every write is such a modify: add-customer adds
 *   a number that must not be there, remove-customer deletes one that
 *   must be, set-role deletes the role it read and adds the new one. Of
 *   two kcadm working on one account, one that read before the other
 *   wrote finds out and says so. The schema (kcAccount MUST
 *   kcCustomerNumber) makes slapd refuse to delete the last number, so no
 *   account is left without one, whatever ran in between.
 * - "The last admin of a customer" spans several entries, and LDAP has no
 *   transaction that isolates reads (slapd's RFC 5805 transactions group
 *   writes; they do not stop two writers that each still see the other's
 *   admin). So a change that takes an admin away from a customer looks
 *   first (and refuses), writes, and looks again: when the customer has no
 *   admin left, it undoes its write and fails ("try again"). Of two such
 *   changes racing on one server, the one that writes later sees the
 *   other's write when it looks again, so at least one is undone (at worst
 *   both, and both fail): the customer keeps an admin.
 * - Not guaranteed: between a write and its undo the customer has no admin
 *   for a moment, and whatever reads then sees that; changes made by other
 *   means (ldapmodify, account delete, the web front) are not checked this
 *   way; under multi-provider replication two kcadm writing to different
 *   providers each see the other's admin until replication catches up
 *   (make such changes on one provider); if the undo itself fails (the
 *   connection is lost), kcadm says so and names the command that repairs
 *   it. LDAP keeps no references between entries: a customer deleted
 *   while add-customer runs leaves the account with a number whose
 *   customer is gone (`account show` marks it).
 */
#include <config.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "admin.h"
#include "admin_int.h"
#include "kc_err.h"
#include "log.h"

/* ------------------------------------------------------------ pure */

bool
kc_admin_number_eq(const char *a, const char *b)
{
  for (;;) {
    while (*a == ' ')
      a++;
    while (*b == ' ')
      b++;
    if (*a != *b)
      return false;
    if (*a == '\0')
      return true;
    a++;
    b++;
  }
}

const char *
kc_admin_numbers_find(char *const *v, const char *number)
{
  size_t i;

  for (i = 0; v != NULL && v[i] != NULL; i++) {
    if (kc_admin_number_eq(v[i], number))
      return v[i];
  }
  return NULL;
}

size_t
kc_admin_numbers_count(char *const *v)
{
  size_t n = 0;

  while (v != NULL && v[n] != NULL)
    n++;
  return n;
}

bool
kc_admin_role_valid(const char *role)
{
  return strcmp(role, "admin") == 0 || strcmp(role, "user") == 0;
}

/* kcRole matches without regard to case (caseIgnoreIA5Match). */
static bool
is_admin(const char *role)
{
  return strcasecmp(role, "admin") == 0;
}

/* ------------------------------------------------------------ reading */

/* An account as these commands need it. */
struct member {
  struct kc_admin_account acc;
  char **numbers;                  /* kcCustomerNumber values */
  char role[24];                   /* kcRole as stored, "" if none */
  char uuid[KC_LDAP_UUID_LEN + 1]; /* entryUUID */
};

static void
member_release(struct member *m)
{
  kc_ldap_values_free(m->numbers);
  kc_admin_account_release(&m->acc);
  memset(m, 0, sizeof(*m));
}

/* Connect and read the account (a valid name). */
static int
member_get(struct kc_admin *ad, const char *user, struct member *m)
{
  struct kc_ldap *l = &ad->ad_ldap;

  memset(m, 0, sizeof(*m));
  if (kc_admin_connect(ad) != 0 ||
      kc_admin_account_find(ad, user, &m->acc) != 0)
    return KC_ADMIN_EXIT_FAIL;
  m->numbers = kc_ldap_values(l, m->acc.entry, "kcCustomerNumber");
  (void) kc_ldap_get(l, m->acc.entry, "kcRole", m->role, sizeof(m->role));
  if (kc_ldap_get(l, m->acc.entry, "entryUUID", m->uuid, sizeof(m->uuid)) == 0)
    return 0;
  member_release(m);
  return kc_admin_fail(ad, "account \"%s\": no entryUUID in the answer", user);
}

/* "(&(objectClass=kcAccount)(kcRole=admin)(kcCustomerNumber=N)" and,
 * unless except is "", "(!(entryUUID=U))", then ")". */
static int
admin_filter(struct kc_buf *f, const char *number, const char *except)
{
  kc_buf_init(f, 512);
  if (kc_buf_add_str(f, "(&(objectClass=kcAccount)(kcRole=admin)"
                        "(kcCustomerNumber=") != 0 ||
      kc_ldap_filter_value(f, number) != 0 || kc_buf_add_str(f, ")") != 0)
    return KC_ERR_TOO_LARGE;
  if (except[0] != '\0' &&
      (kc_buf_add_str(f, "(!(entryUUID=") != 0 ||
       kc_ldap_filter_value(f, except) != 0 || kc_buf_add_str(f, "))") != 0))
    return KC_ERR_TOO_LARGE;
  return kc_buf_add_str(f, ")") != 0 ? KC_ERR_TOO_LARGE : 0;
}

/* Has customer number an admin account, other than the one whose
 * entryUUID is except ("": any)? 0 with *found, or KC_ADMIN_EXIT_FAIL
 * after a report. */
static int
admin_of(struct kc_admin *ad, const char *number, const char *except,
         bool *found)
{
  static const char *const attrs[] = {"1.1", NULL};
  LDAPMessage *res = NULL;
  struct kc_buf f;
  int r;

  *found = false;
  if (admin_filter(&f, number, except) != 0) {
    kc_buf_free(&f);
    return kc_admin_fail(ad, "customer %s: filter too long", number);
  }
  /* one answer is enough; a second one is "size limit exceeded" */
  r = kc_ldap_search(&ad->ad_ldap, ad->ad_lcfg.base, LDAP_SCOPE_SUBTREE,
                     kc_buf_get(&f), attrs, 1, &res);
  kc_buf_free(&f);
  if (r == 0 || r == KC_ERR_RANGE)
    *found = r == KC_ERR_RANGE || kc_ldap_first(&ad->ad_ldap, res) != NULL;
  kc_ldap_msgfree(res);
  if (r != 0 && r != KC_ERR_RANGE)
    return kc_admin_fail(ad, "looking up the admins of customer %s: %s", number,
                         kc_ldap_error(&ad->ad_ldap));
  return 0;
}

/* The customers of m that have no admin but m: into *lonely (a
 * NULL-terminated array pointing into m->numbers; free it, not its
 * strings). 0 or KC_ADMIN_EXIT_FAIL after a report. */
static int
lonely_customers(struct kc_admin *ad, const struct member *m,
                 const char ***lonely)
{
  size_t i, n = 0, count = kc_admin_numbers_count(m->numbers);
  bool found;

  if ((*lonely = calloc(count + 1, sizeof(**lonely))) == NULL)
    return kc_admin_fail(ad, "out of memory");
  for (i = 0; i < count; i++) {
    if (admin_of(ad, m->numbers[i], m->uuid, &found) != 0)
      return KC_ADMIN_EXIT_FAIL;
    if (!found)
      (*lonely)[n++] = m->numbers[i];
  }
  return 0;
}

/* v joined by ", " into out (cut when long), cleaned for people. */
static void
join_numbers(const char *const *v, char *out, size_t outlen)
{
  char raw[256];
  size_t i, used = 0;
  int n;

  raw[0] = '\0';
  for (i = 0; v != NULL && v[i] != NULL && used < sizeof(raw); i++) {
    n =
      snprintf(raw + used, sizeof(raw) - used, "%s%s", i > 0 ? ", " : "", v[i]);
    if (n < 0)
      break;
    used += (size_t) n;
  }
  kc_admin_clean(out, outlen, raw);
}

/* ------------------------------------------------------------ output */

/* "46077 (Praxis Dr. Muster)", or the number alone when it has no name;
 * cleaned for people. */
static void
customer_text(char *out, size_t outlen, const char *number, const char *name)
{
  char raw[KC_MAX_CUSTOMER_NUMBER + KC_MAX_NAME + 8];

  if (name[0] != '\0')
    snprintf(raw, sizeof(raw), "%s (%s)", number, name);
  else
    snprintf(raw, sizeof(raw), "%s", number);
  kc_admin_clean(out, outlen, raw);
}

static void
json_head(struct kc_admin *ad, const char *user, bool changed)
{
  kc_admin_json_begin_obj(&ad->ad_js, NULL);
  kc_admin_json_str(&ad->ad_js, "username", user);
  kc_admin_json_bool(&ad->ad_js, "changed", changed);
}

static void
json_tail(struct kc_admin *ad, const char *const *lonely)
{
  size_t i;

  kc_admin_json_begin_arr(&ad->ad_js, "customers_without_admin");
  for (i = 0; lonely != NULL && lonely[i] != NULL; i++)
    kc_admin_json_str(&ad->ad_js, NULL, lonely[i]);
  kc_admin_json_end_arr(&ad->ad_js);
  kc_admin_json_end_obj(&ad->ad_js);
  kc_admin_json_end(&ad->ad_js);
  ad->ad_printed = true;
}

/* A forced change left customers without an admin: say so on stdout
 * (what was done) and on stderr (a warning for whoever reads only that). */
static void
people_lonely(struct kc_admin *ad, const char *const *lonely)
{
  char nums[256];

  if (lonely == NULL || lonely[0] == NULL)
    return;
  join_numbers(lonely, nums, sizeof(nums));
  fprintf(ad->ad_out, "; customer %s has no admin now (--force)", nums);
  kc_log_warnx("warning: customer %s has no admin now", nums);
}

static void
added(struct kc_admin *ad, const char *user, const char *number,
      const char *name, const char *role, bool changed)
{
  char cust[KC_MAX_CUSTOMER_NUMBER + KC_MAX_NAME + 8], r[24];

  if (ad->ad_json) {
    json_head(ad, user, changed);
    kc_admin_json_str(&ad->ad_js, "customer_number", number);
    kc_admin_json_str(&ad->ad_js, "name", name[0] != '\0' ? name : NULL);
    kc_admin_json_str(&ad->ad_js, "role", role[0] != '\0' ? role : NULL);
    json_tail(ad, NULL);
    return;
  }
  customer_text(cust, sizeof(cust), number, name);
  kc_admin_clean(r, sizeof(r), role[0] != '\0' ? role : "none");
  if (changed)
    fprintf(ad->ad_out, "account %s: customer %s added; role %s\n", user, cust,
            r);
  else
    fprintf(ad->ad_out,
            "account %s already serves customer %s: nothing changed\n", user,
            cust);
  fflush(ad->ad_out);
}

static void
removed(struct kc_admin *ad, const char *user, const char *number, bool changed,
        const char *const *lonely)
{
  if (ad->ad_json) {
    json_head(ad, user, changed);
    kc_admin_json_str(&ad->ad_js, "customer_number", number);
    json_tail(ad, lonely);
    return;
  }
  if (changed) {
    fprintf(ad->ad_out, "account %s: customer %s removed", user, number);
    people_lonely(ad, lonely);
    fputc('\n', ad->ad_out);
  } else {
    fprintf(ad->ad_out,
            "account %s does not serve customer %s: nothing changed\n", user,
            number);
  }
  fflush(ad->ad_out);
}

static void
role_set(struct kc_admin *ad, const char *user, const char *role,
         const char *old, bool changed, const char *const *lonely)
{
  char was[24];

  if (ad->ad_json) {
    json_head(ad, user, changed);
    kc_admin_json_str(&ad->ad_js, "role", role);
    kc_admin_json_str(&ad->ad_js, "old_role", old[0] != '\0' ? old : NULL);
    json_tail(ad, lonely);
    return;
  }
  kc_admin_clean(was, sizeof(was), old[0] != '\0' ? old : "none");
  if (changed) {
    fprintf(ad->ad_out, "account %s: role %s (was %s)", user, role, was);
    people_lonely(ad, lonely);
    fputc('\n', ad->ad_out);
  } else {
    fprintf(ad->ad_out, "account %s has the role %s already: nothing changed\n",
            user, role);
  }
  fflush(ad->ad_out);
}

/* ------------------------------------------------------------ add */

static int
add_number(struct kc_admin *ad, const char *user, const struct member *m,
           const char *number, const char *name)
{
  struct kc_ldap_mods mods;
  int r;

  if (kc_admin_numbers_find(m->numbers, number) != NULL) {
    added(ad, user, number, name, m->role, false);
    return KC_ADMIN_EXIT_OK;
  }
  /* kcd's account page shows this many; more would be hidden there */
  if (kc_admin_numbers_count(m->numbers) >= KC_LDAP_MAX_CUSTOMERS)
    return kc_admin_fail(ad,
                         "account \"%s\" serves %d customers already, the "
                         "most an account may have",
                         user, KC_LDAP_MAX_CUSTOMERS);
  kc_ldap_mods_init(&mods);
  kc_ldap_mods_add(&mods, LDAP_MOD_ADD, "kcCustomerNumber", number, NULL);
  r = kc_ldap_modify(&ad->ad_ldap, m->acc.dn, mods.ms_ptr);
  if (r != 0 && r != KC_ERR_DUPLICATE)
    return kc_admin_fail(ad, "account \"%s\": %s", user,
                         kc_ldap_error(&ad->ad_ldap));
  /* a duplicate: another writer added it since we read; the same end */
  added(ad, user, number, name, m->role, r == 0);
  return KC_ADMIN_EXIT_OK;
}

int
kc_admin_account_add_customer(struct kc_admin *ad, const char *user,
                              const char *number)
{
  char name[KC_MAX_NAME + 1];
  struct member m;
  bool exists;
  int r;

  if (kc_admin_check_username(ad, "user name", user) != 0 ||
      kc_admin_check_customer(ad, number) != 0)
    return KC_ADMIN_EXIT_USAGE;
  if (kc_admin_connect(ad) != 0 ||
      kc_admin_customer_name(ad, number, name, sizeof(name), &exists) != 0)
    return KC_ADMIN_EXIT_FAIL;
  if (!exists)
    return kc_admin_fail(ad,
                         "customer %s not found (kcadm customer add "
                         "creates it)",
                         number);
  if (member_get(ad, user, &m) != 0)
    return KC_ADMIN_EXIT_FAIL;
  r = add_number(ad, user, &m, number, name);
  member_release(&m);
  return r;
}

/* ------------------------------------------------------------ remove */

static int
only_number(struct kc_admin *ad, const char *user, const char *number)
{
  return kc_admin_fail(ad,
                       "customer %s is the only customer of account \"%s\": "
                       "an account needs one (add another first, or "
                       "delete the account)",
                       number, user);
}

/* After the number went: does its customer still have an admin? If not,
 * put the number back and fail. */
static int
recheck_removal(struct kc_admin *ad, const char *user, const struct member *m,
                const char *stored)
{
  struct kc_ldap_mods mods;
  bool found;
  int r;

  if (admin_of(ad, stored, "", &found) != 0)
    return kc_admin_fail(ad,
                         "customer %s removed from account \"%s\", but "
                         "whether the customer still has an admin is not "
                         "known: see kcadm customer show %s",
                         stored, user, stored);
  if (found)
    return 0;
  kc_ldap_mods_init(&mods);
  kc_ldap_mods_add(&mods, LDAP_MOD_ADD, "kcCustomerNumber", stored, NULL);
  r = kc_ldap_modify(&ad->ad_ldap, m->acc.dn, mods.ms_ptr);
  if (r != 0 && r != KC_ERR_DUPLICATE)
    return kc_admin_fail(ad,
                         "customer %s has no admin now: another change took "
                         "its other admin at the same time, and giving it "
                         "back to account \"%s\" failed (%s); repair: kcadm "
                         "account add-customer %s %s",
                         stored, user, kc_ldap_error(&ad->ad_ldap), user,
                         stored);
  return kc_admin_fail(ad,
                       "customer %s: another change took its other admin at "
                       "the same time; account \"%s\" keeps the customer, "
                       "try again",
                       stored, user);
}

/* Delete the stored number from the account: 0 with *gone false when
 * another writer was first, or KC_ADMIN_EXIT_FAIL after a report. */
static int
delete_number(struct kc_admin *ad, const char *user, const struct member *m,
              const char *stored, bool *gone)
{
  struct kc_ldap_mods mods;
  int r;

  *gone = true;
  kc_ldap_mods_init(&mods);
  kc_ldap_mods_add(&mods, LDAP_MOD_DELETE, "kcCustomerNumber", stored, NULL);
  r = kc_ldap_modify(&ad->ad_ldap, m->acc.dn, mods.ms_ptr);
  if (r == KC_ERR_NOT_FOUND && ad->ad_ldap.rc == LDAP_NO_SUCH_ATTRIBUTE) {
    *gone = false;
    return 0;
  }
  if (r != 0 && ad->ad_ldap.rc == LDAP_OBJECT_CLASS_VIOLATION)
    return only_number(ad, user, stored); /* the others went meanwhile */
  if (r != 0)
    return kc_admin_fail(ad, "account \"%s\": %s", user,
                         kc_ldap_error(&ad->ad_ldap));
  return 0;
}

static int
remove_number(struct kc_admin *ad, const char *user, const struct member *m,
              const char *number, bool force)
{
  const char *stored = kc_admin_numbers_find(m->numbers, number);
  const char *lonely[2] = {NULL, NULL};
  bool guard, gone, found = true;

  if (stored == NULL) {
    removed(ad, user, number, false, NULL);
    return KC_ADMIN_EXIT_OK;
  }
  if (kc_admin_numbers_count(m->numbers) == 1)
    return only_number(ad, user, number);
  guard = is_admin(m->role);
  if (guard && admin_of(ad, stored, m->uuid, &found) != 0)
    return KC_ADMIN_EXIT_FAIL;
  if (!found && !force)
    return kc_admin_fail(ad,
                         "account \"%s\" is the last admin of customer %s: "
                         "make another account of the customer admin first "
                         "(kcadm account set-role USER admin), or give "
                         "--force",
                         user, number);
  lonely[0] = found ? NULL : stored;
  if (delete_number(ad, user, m, stored, &gone) != 0)
    return KC_ADMIN_EXIT_FAIL;
  if (gone && guard && !force && recheck_removal(ad, user, m, stored) != 0)
    return KC_ADMIN_EXIT_FAIL;
  removed(ad, user, number, gone, gone ? lonely : NULL);
  return KC_ADMIN_EXIT_OK;
}

int
kc_admin_account_remove_customer(struct kc_admin *ad, const char *user,
                                 const char *number, bool force)
{
  struct member m;
  int r;

  if (kc_admin_check_username(ad, "user name", user) != 0 ||
      kc_admin_check_customer(ad, number) != 0)
    return KC_ADMIN_EXIT_USAGE;
  if (member_get(ad, user, &m) != 0)
    return KC_ADMIN_EXIT_FAIL;
  r = remove_number(ad, user, &m, number, force);
  member_release(&m);
  return r;
}

/* ------------------------------------------------------------ role */

/* kcRole from old (as read; "" absent) to role in one compare-and-swap
 * modify. */
static int
swap_role(struct kc_admin *ad, const char *dn, const char *old,
          const char *role)
{
  struct kc_ldap_mods mods;

  kc_ldap_mods_init(&mods);
  if (old[0] != '\0')
    kc_ldap_mods_add(&mods, LDAP_MOD_DELETE, "kcRole", old, NULL);
  kc_ldap_mods_add(&mods, LDAP_MOD_ADD, "kcRole", role, NULL);
  return kc_ldap_modify_cas(&ad->ad_ldap, dn, mods.ms_ptr);
}

/* After a demotion: does every customer of m still have an admin? If one
 * has none, make m admin again and fail. */
static int
recheck_demotion(struct kc_admin *ad, const char *user, const struct member *m,
                 const char *role)
{
  size_t i;
  bool found = true;
  int r;

  for (i = 0; found && m->numbers != NULL && m->numbers[i] != NULL; i++) {
    if (admin_of(ad, m->numbers[i], "", &found) != 0)
      return kc_admin_fail(ad,
                           "account \"%s\" is %s now, but whether its "
                           "customers still have an admin is not known: see "
                           "kcadm customer show",
                           user, role);
  }
  if (found)
    return 0;
  if ((r = swap_role(ad, m->acc.dn, role, m->role)) != 0)
    return kc_admin_fail(ad,
                         "customer %s has no admin now: another change took "
                         "its other admin at the same time, and making "
                         "account \"%s\" admin again failed (%s); repair: "
                         "kcadm account set-role %s admin",
                         m->numbers[i - 1], user, kc_ldap_error(&ad->ad_ldap),
                         user);
  return kc_admin_fail(ad,
                       "customer %s: another change took its other admin at "
                       "the same time; account \"%s\" stays admin, try again",
                       m->numbers[i - 1], user);
}

static int
change_role(struct kc_admin *ad, const char *user, const struct member *m,
            const char *role, bool force, const char **lonely)
{
  char nums[256];
  bool demote = is_admin(m->role) && !is_admin(role);
  int r;

  if (lonely != NULL && lonely[0] != NULL && !force) {
    join_numbers(lonely, nums, sizeof(nums));
    return kc_admin_fail(ad,
                         "account \"%s\" is the last admin of customer %s: "
                         "make another account of the customer admin first, "
                         "or give --force",
                         user, nums);
  }
  r = swap_role(ad, m->acc.dn, m->role, role);
  if (r == KC_ERR_DUPLICATE)
    return kc_admin_fail(ad,
                         "the role of account \"%s\" changed since it was "
                         "read; nothing changed, try again",
                         user);
  if (r != 0)
    return kc_admin_fail(ad, "account \"%s\": %s", user,
                         kc_ldap_error(&ad->ad_ldap));
  if (demote && !force && recheck_demotion(ad, user, m, role) != 0)
    return KC_ADMIN_EXIT_FAIL;
  role_set(ad, user, role, m->role, true, lonely);
  return KC_ADMIN_EXIT_OK;
}

int
kc_admin_account_set_role(struct kc_admin *ad, const char *user,
                          const char *role, bool force)
{
  const char **lonely = NULL;
  char shown[32];
  struct member m;
  int r;

  if (kc_admin_check_username(ad, "user name", user) != 0)
    return KC_ADMIN_EXIT_USAGE;
  if (!kc_admin_role_valid(role)) {
    kc_admin_clean(shown, sizeof(shown), role);
    return kc_admin_usage(ad, "role \"%s\" is not one of admin, user", shown);
  }
  if (member_get(ad, user, &m) != 0)
    return KC_ADMIN_EXIT_FAIL;
  if (strcasecmp(m.role, role) == 0) {
    role_set(ad, user, role, m.role, false, NULL);
    r = KC_ADMIN_EXIT_OK;
  } else if (is_admin(m.role) && lonely_customers(ad, &m, &lonely) != 0) {
    r = KC_ADMIN_EXIT_FAIL;
  } else {
    r = change_role(ad, user, &m, role, force, lonely);
  }
  free(lonely);
  member_release(&m);
  return r;
}
