/*
 * kc_ldap_self.c: the directory side of the account pages (kc_ldap.h,
 * "self-service"): the session stamp, a pending e-mail address, and what
 * the account page shows.
 */
#include <config.h>

#include <stdio.h>
#include <string.h>

#include "kc_err.h"
#include "kc_ldap.h"

int
kc_ldap_set_stamp(struct kc_ldap *l, const char *dn, const char *stamp)
{
  struct kc_ldap_mods m;

  kc_ldap_mods_init(&m);
  kc_ldap_mods_add(&m, LDAP_MOD_REPLACE, "kcSessionStamp", stamp, NULL);
  return kc_ldap_modify(l, dn, m.ms_ptr);
}

int
kc_ldap_newmail_set(struct kc_ldap *l, const char *dn, const char *mail,
                    const char *hash, time_t expires)
{
  struct kc_ldap_mods m;
  char exp[16];

  kc_ldap_format_time(expires, exp);
  kc_ldap_mods_init(&m);
  /* "" removes what is pending */
  kc_ldap_mods_add(&m, LDAP_MOD_REPLACE, "kcNewMail", mail[0] ? mail : NULL,
                   NULL);
  kc_ldap_mods_add(&m, LDAP_MOD_REPLACE, "kcNewMailHash", mail[0] ? hash : NULL,
                   NULL);
  kc_ldap_mods_add(&m, LDAP_MOD_REPLACE, "kcNewMailExpires",
                   mail[0] ? exp : NULL, NULL);
  return kc_ldap_modify(l, dn, m.ms_ptr);
}

int
kc_ldap_newmail_confirm(struct kc_ldap *l, const struct kc_ldap_user *u)
{
  struct kc_ldap_mods m;

  if (u->new_mail[0] == '\0' || u->new_mail_hash[0] == '\0')
    return KC_ERR_NOT_FOUND;
  kc_ldap_mods_init(&m);
  kc_ldap_mods_add(&m, LDAP_MOD_DELETE, "kcNewMailHash", u->new_mail_hash,
                   NULL);
  kc_ldap_mods_add(&m, LDAP_MOD_REPLACE, "mail", u->new_mail, NULL);
  kc_ldap_mods_add(&m, LDAP_MOD_REPLACE, "kcNewMail", NULL, NULL);
  kc_ldap_mods_add(&m, LDAP_MOD_REPLACE, "kcNewMailExpires", NULL, NULL);
  return kc_ldap_modify_cas(l, u->dn, m.ms_ptr);
}

/* The name (o) of customer number into out; "" when it has none or is
 * not there. */
static int
customer_name(struct kc_ldap *l, const char *number, char *out, size_t outlen)
{
  static const char *const attrs[] = {"o", NULL};
  struct kc_buf dn;
  LDAPMessage *res = NULL, *e;
  int r;

  out[0] = '\0';
  if (kc_ldap_dn_entry(&dn, l->cfg->base, KC_LDAP_CUSTOMERS, "kcCustomerNumber",
                       number) != 0)
    return 0; /* not a number we could look up: no name */
  r = kc_ldap_search(l, kc_buf_get(&dn), LDAP_SCOPE_BASE,
                     "(objectClass=kcCustomer)", attrs, 1, &res);
  kc_buf_free(&dn);
  if (r == 0 && (e = kc_ldap_first(l, res)) != NULL)
    (void) kc_ldap_get(l, e, "o", out, outlen);
  kc_ldap_msgfree(res);
  return r == KC_ERR_NOT_FOUND ? 0 : r;
}

int
kc_ldap_account_details(struct kc_ldap *l, const char *dn,
                        struct kc_ldap_details *out)
{
  static const char *const attrs[] = {"personalTitle", "givenName", "sn",
                                      "kcCustomerNumber", NULL};
  LDAPMessage *res = NULL, *e;
  char **nums = NULL;
  size_t i;
  int r;

  memset(out, 0, sizeof(*out));
  r = kc_ldap_search(l, dn, LDAP_SCOPE_BASE, "(objectClass=kcAccount)", attrs,
                     1, &res);
  if (r == 0 && (e = kc_ldap_first(l, res)) == NULL)
    r = KC_ERR_NOT_FOUND;
  if (r == 0) {
    (void) kc_ldap_get(l, e, "personalTitle", out->salutation,
                       sizeof(out->salutation));
    (void) kc_ldap_get(l, e, "givenName", out->first_name,
                       sizeof(out->first_name));
    (void) kc_ldap_get(l, e, "sn", out->last_name, sizeof(out->last_name));
    nums = kc_ldap_values(l, e, "kcCustomerNumber");
  }
  kc_ldap_msgfree(res);
  for (i = 0; r == 0 && nums != NULL && nums[i] != NULL &&
              out->n_customers < KC_LDAP_MAX_CUSTOMERS;
       i++) {
    if (strlen(nums[i]) > KC_MAX_CUSTOMER_NUMBER)
      continue;
    memcpy(out->customers[out->n_customers].number, nums[i],
           strlen(nums[i]) + 1);
    r = customer_name(l, nums[i], out->customers[out->n_customers].name,
                      sizeof(out->customers[0].name));
    out->n_customers++;
  }
  kc_ldap_values_free(nums);
  return r;
}
