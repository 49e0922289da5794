/*
 * admin_customer.c: `kcadm customer add|show|list`: kcCustomer entries
 * kcCustomerNumber=N,ou=customers,<base> with the master-data mail and
 * the name in o.
 */
#include <config.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ldap.h>

#include "admin.h"
#include "admin_int.h"
#include "kc_err.h"

static const char *const customer_attrs[] =
  {"kcCustomerNumber", "mail",        "o",
   "kcLanguage",       "description", "createTimestamp",
   "modifyTimestamp",  NULL};

int
kc_admin_customer_dn(struct kc_admin *ad, const char *number,
                     struct kc_buf *out)
{
  int r = kc_ldap_dn_entry(out, ad->ad_lcfg.base, KC_LDAP_CUSTOMERS,
                           "kcCustomerNumber", number);

  return r == 0 ? 0
                : kc_admin_fail(ad, "customer %s: cannot build its DN", number);
}

/* Read the customer entry: 0 with *res holding it, KC_ERR_NOT_FOUND, or
 * KC_ADMIN_EXIT_FAIL after a report (the DN, the directory). */
static int
customer_fetch(struct kc_admin *ad, const char *number, LDAPMessage **res)
{
  struct kc_buf dn;
  int r;

  *res = NULL;
  if (kc_admin_customer_dn(ad, number, &dn) != 0)
    return KC_ADMIN_EXIT_FAIL;
  r = kc_ldap_search(&ad->ad_ldap, kc_buf_get(&dn), LDAP_SCOPE_BASE,
                     "(objectClass=kcCustomer)", customer_attrs, 1, res);
  kc_buf_free(&dn);
  if (r == 0 && kc_ldap_first(&ad->ad_ldap, *res) != NULL)
    return 0;
  kc_ldap_msgfree(*res);
  *res = NULL;
  if (r == 0 || r == KC_ERR_NOT_FOUND)
    return KC_ERR_NOT_FOUND;
  return kc_admin_fail(ad, "customer %s: %s", number,
                       kc_ldap_error(&ad->ad_ldap));
}

/* Read the customer entry: 0 with *res holding it, or a report. */
static int
customer_read(struct kc_admin *ad, const char *number, LDAPMessage **res)
{
  int r = customer_fetch(ad, number, res);

  if (r == KC_ERR_NOT_FOUND)
    return kc_admin_fail(ad, "customer %s not found", number);
  return r == 0 ? 0 : KC_ADMIN_EXIT_FAIL;
}

int
kc_admin_customer_name(struct kc_admin *ad, const char *number, char *name,
                       size_t namelen, bool *exists)
{
  LDAPMessage *res = NULL;
  int r;

  name[0] = '\0';
  *exists = false;
  if ((r = customer_fetch(ad, number, &res)) == KC_ERR_NOT_FOUND)
    return 0;
  if (r != 0)
    return KC_ADMIN_EXIT_FAIL;
  *exists = true;
  (void) kc_ldap_get(&ad->ad_ldap, kc_ldap_first(&ad->ad_ldap, res), "o", name,
                     namelen);
  kc_ldap_msgfree(res);
  return 0;
}

int
kc_admin_customer_require(struct kc_admin *ad, const char *number, char lang[4])
{
  LDAPMessage *res = NULL;

  lang[0] = '\0';
  if (customer_read(ad, number, &res) != 0)
    return KC_ADMIN_EXIT_FAIL;
  (void) kc_ldap_get(&ad->ad_ldap, kc_ldap_first(&ad->ad_ldap, res),
                     "kcLanguage", lang, 4);
  kc_ldap_msgfree(res);
  return 0;
}

static int
add_entry(struct kc_admin *ad, const char *dn, const char *number,
          const char *email, const char *name)
{
  struct kc_ldap_mods m;

  kc_ldap_mods_init(&m);
  kc_ldap_mods_add(&m, LDAP_MOD_ADD, "objectClass", "kcCustomer", NULL);
  kc_ldap_mods_add(&m, LDAP_MOD_ADD, "kcCustomerNumber", number, NULL);
  kc_ldap_mods_add(&m, LDAP_MOD_ADD, "mail", email, NULL);
  if (name != NULL)
    kc_ldap_mods_add(&m, LDAP_MOD_ADD, "o", name, NULL);
  return kc_ldap_add(&ad->ad_ldap, dn, m.ms_ptr);
}

int
kc_admin_customer_add(struct kc_admin *ad, const char *number,
                      const char *email, const char *name)
{
  struct kc_buf dn;
  int r;

  if (kc_admin_check_customer(ad, number) != 0 ||
      kc_admin_check_email(ad, email) != 0 ||
      (name != NULL && kc_admin_check_name(ad, "--name", name) != 0))
    return KC_ADMIN_EXIT_USAGE;
  if (kc_admin_connect(ad) != 0 || kc_admin_customer_dn(ad, number, &dn) != 0)
    return KC_ADMIN_EXIT_FAIL;
  r = add_entry(ad, kc_buf_get(&dn), number, email, name);
  if (r == KC_ERR_DUPLICATE) {
    kc_buf_free(&dn);
    return kc_admin_fail(ad,
                         "customer %s already exists (customer import updates "
                         "mail and name)",
                         number);
  }
  if (r != 0) {
    kc_buf_free(&dn);
    return kc_admin_fail(ad, "customer %s: %s", number,
                         kc_ldap_error(&ad->ad_ldap));
  }
  kc_admin_doc_begin(ad, "customer added");
  kc_admin_show_str(ad, "customer_number", "customer number", number);
  kc_admin_show_str(ad, "email", "e-mail", email);
  kc_admin_show_str(ad, "name", "name", name);
  kc_admin_show_str(ad, "dn", "DN", kc_buf_get(&dn));
  kc_admin_doc_end(ad);
  kc_buf_free(&dn);
  return KC_ADMIN_EXIT_OK;
}

/* The accounts of a customer, for `customer show`. */
struct acct_names {
  char **names;
  size_t n;
  size_t cap;
};

static int
collect_account(struct kc_ldap *al, LDAPMessage *e, void *arg)
{
  struct acct_names *a = arg;
  char uid[KC_MAX_USERNAME + 1], role[16], item[KC_MAX_USERNAME + 24];
  char **grown;

  if (kc_ldap_get(al, e, "uid", uid, sizeof(uid)) != 0)
    return 0;
  (void) kc_ldap_get(al, e, "kcRole", role, sizeof(role));
  if (role[0] != '\0')
    snprintf(item, sizeof(item), "%s (%s)", uid, role);
  else
    snprintf(item, sizeof(item), "%s", uid);
  if (a->n + 1 >= a->cap) {
    size_t cap = a->cap == 0 ? 8 : a->cap * 2;
    if ((grown = realloc(a->names, cap * sizeof(*grown))) == NULL)
      return KC_ERR_NOMEM;
    a->names = grown;
    a->cap = cap;
  }
  if ((a->names[a->n] = strdup(item)) == NULL)
    return KC_ERR_NOMEM;
  a->names[++a->n] = NULL;
  return 0;
}

static int
accounts_of(struct kc_admin *ad, const char *number, struct acct_names *a)
{
  static const char *const attrs[] = {"uid", "kcRole", NULL};
  struct kc_buf filter;
  int r;

  kc_buf_init(&filter, 256);
  if (kc_buf_add_str(&filter, "(&(objectClass=kcAccount)(kcCustomerNumber=") !=
        0 ||
      kc_ldap_filter_value(&filter, number) != 0 ||
      kc_buf_add_str(&filter, "))") != 0)
    return kc_admin_fail(ad, "customer %s: filter too long", number);
  r = kc_ldap_search_each(&ad->ad_ldap, ad->ad_accounts, LDAP_SCOPE_SUBTREE,
                          kc_buf_get(&filter), attrs, collect_account, a);
  kc_buf_free(&filter);
  if (r != 0)
    return kc_admin_fail(ad, "accounts of customer %s: %s", number,
                         r == KC_ERR_NOMEM ? "out of memory"
                                           : kc_ldap_error(&ad->ad_ldap));
  return 0;
}

static void
show_entry(struct kc_admin *ad, LDAPMessage *e, char *const *accounts)
{
  char num[KC_MAX_CUSTOMER_NUMBER + 1], mail[KC_MAX_EMAIL + 1];
  char o[KC_MAX_NAME + 1], lang[8], t[KC_ADMIN_TIME_SIZE], raw[32];
  char *dn = kc_ldap_entry_dn(&ad->ad_ldap, e);

  (void) kc_ldap_get(&ad->ad_ldap, e, "kcCustomerNumber", num, sizeof(num));
  (void) kc_ldap_get(&ad->ad_ldap, e, "mail", mail, sizeof(mail));
  (void) kc_ldap_get(&ad->ad_ldap, e, "o", o, sizeof(o));
  (void) kc_ldap_get(&ad->ad_ldap, e, "kcLanguage", lang, sizeof(lang));
  (void) kc_ldap_get(&ad->ad_ldap, e, "createTimestamp", raw, sizeof(raw));
  kc_admin_time_text(ad, raw, t);
  kc_admin_show_str(ad, "customer_number", "customer number", num);
  kc_admin_show_str(ad, "email", "e-mail", mail[0] != '\0' ? mail : NULL);
  kc_admin_show_str(ad, "name", "name", o[0] != '\0' ? o : NULL);
  kc_admin_show_str(ad, "language", "language", lang[0] != '\0' ? lang : NULL);
  kc_admin_show_str(ad, "created", "created", raw[0] != '\0' ? t : NULL);
  kc_admin_show_str(ad, "dn", "DN", dn);
  kc_admin_show_strv(ad, "accounts", "accounts", accounts);
  kc_ldap_memfree(dn);
}

int
kc_admin_customer_show(struct kc_admin *ad, const char *number)
{
  struct acct_names a = {NULL, 0, 0};
  LDAPMessage *res = NULL;
  char title[64];
  size_t i;
  int rc = KC_ADMIN_EXIT_FAIL;

  if (kc_admin_check_customer(ad, number) != 0)
    return KC_ADMIN_EXIT_USAGE;
  if (kc_admin_connect(ad) != 0 || customer_read(ad, number, &res) != 0)
    return KC_ADMIN_EXIT_FAIL;
  if (accounts_of(ad, number, &a) == 0) {
    snprintf(title, sizeof(title), "customer %s", number);
    kc_admin_doc_begin(ad, title);
    show_entry(ad, kc_ldap_first(&ad->ad_ldap, res), a.names);
    kc_admin_doc_end(ad);
    rc = KC_ADMIN_EXIT_OK;
  }
  for (i = 0; i < a.n; i++)
    free(a.names[i]);
  free(a.names);
  kc_ldap_msgfree(res);
  return rc;
}

/* One line (or JSON object) of `customer list`. */
static int
list_one(struct kc_ldap *al, LDAPMessage *e, void *arg)
{
  struct kc_admin *ad = arg;
  char num[KC_MAX_CUSTOMER_NUMBER + 1], mail[KC_MAX_EMAIL + 1];
  char o[KC_MAX_NAME + 1], shown[KC_MAX_EMAIL + 1];

  (void) kc_ldap_get(al, e, "kcCustomerNumber", num, sizeof(num));
  (void) kc_ldap_get(al, e, "mail", mail, sizeof(mail));
  (void) kc_ldap_get(al, e, "o", o, sizeof(o));
  if (ad->ad_json) {
    kc_admin_json_begin_obj(&ad->ad_js, NULL);
    kc_admin_json_str(&ad->ad_js, "customer_number", num);
    kc_admin_json_str(&ad->ad_js, "email", mail);
    kc_admin_json_str(&ad->ad_js, "name", o[0] != '\0' ? o : NULL);
    kc_admin_json_end_obj(&ad->ad_js);
    return 0;
  }
  kc_admin_clean(shown, sizeof(shown), mail);
  fprintf(ad->ad_out, "%-12s %-36s ", num, shown);
  kc_admin_print_text(ad->ad_out, o);
  fputc('\n', ad->ad_out);
  return 0;
}

int
kc_admin_customer_list(struct kc_admin *ad)
{
  int r;

  if (kc_admin_connect(ad) != 0)
    return KC_ADMIN_EXIT_FAIL;
  kc_admin_list_begin(ad, "customers",
                      "NUMBER       E-MAIL                   "
                      "            NAME\n");
  r = kc_ldap_search_each(&ad->ad_ldap, ad->ad_customers, LDAP_SCOPE_ONELEVEL,
                          "(objectClass=kcCustomer)", customer_attrs, list_one,
                          ad);
  return kc_admin_list_end(ad, r, "customers");
}
