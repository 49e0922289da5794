/*
 * kc_ldap_users.c: the directory side of the main user's page
 * (kc_ldap.h, "the practice's users"): the accounts and invitations of a
 * set of customers, new invitations, and the lease on a customer entry
 * that serialises changes to its main users.
 */
#include <config.h>

#include <stdio.h>
#include <string.h>

#include "kc_err.h"
#include "kc_ldap.h"

/* "(&(objectClass=CLS)EXTRA(|(kcCustomerNumber=A)(kcCustomerNumber=B)))" */
static int
customers_filter(struct kc_buf *f, const char *cls, const char *extra,
                 const char *const *customers, size_t n)
{
  size_t i;
  int r;

  kc_buf_init(f, 4096);
  r = kc_buf_printf(f, "(&(objectClass=%s)%s(|", cls, extra);
  for (i = 0; r == 0 && i < n; i++)
    r = kc_buf_add_str(f, "(kcCustomerNumber=") ||
            kc_ldap_filter_value(f, customers[i]) || kc_buf_add_str(f, ")")
          ? KC_ERR_TOO_LARGE
          : 0;
  return r != 0 || n == 0 || kc_buf_add_str(f, "))") ? KC_ERR_INVALID : 0;
}

static void
copy_customers(struct kc_ldap *l, LDAPMessage *e,
               char out[][KC_MAX_CUSTOMER_NUMBER + 1], size_t *n)
{
  char **v = kc_ldap_values(l, e, "kcCustomerNumber");
  size_t i;

  *n = 0;
  for (i = 0; v != NULL && v[i] != NULL && *n < KC_LDAP_MAX_CUSTOMERS; i++)
    if (strlen(v[i]) <= KC_MAX_CUSTOMER_NUMBER)
      memcpy(out[(*n)++], v[i], strlen(v[i]) + 1);
  kc_ldap_values_free(v);
}

struct collect {
  void *out;
  size_t max, n;
  bool more;
};

static int
one_member(struct kc_ldap *l, LDAPMessage *e, void *arg)
{
  struct collect *c = arg;
  struct kc_ldap_member *m;
  char *dn, locked[32], by[KC_MAX_USERNAME + 16];

  if (c->n >= c->max) {
    c->more = true;
    return 0;
  }
  m = (struct kc_ldap_member *) c->out + c->n;
  memset(m, 0, sizeof(*m));
  if ((dn = kc_ldap_entry_dn(l, e)) == NULL || strlen(dn) > KC_MAX_DN) {
    kc_ldap_memfree(dn);
    return 0;
  }
  memcpy(m->dn, dn, strlen(dn) + 1);
  kc_ldap_memfree(dn);
  if (kc_ldap_get(l, e, "uid", m->uid, sizeof(m->uid)) != 0 ||
      kc_ldap_get(l, e, "entryUUID", m->uuid, sizeof(m->uuid)) != 0)
    return 0; /* not an account kcd could name */
  (void) kc_ldap_get(l, e, "givenName", m->first_name, sizeof(m->first_name));
  (void) kc_ldap_get(l, e, "sn", m->last_name, sizeof(m->last_name));
  (void) kc_ldap_get(l, e, "mail", m->mail, sizeof(m->mail));
  (void) kc_ldap_get(l, e, "kcRole", m->role, sizeof(m->role));
  if (kc_ldap_get(l, e, "kcTanMethod", m->tan_method, sizeof(m->tan_method)) !=
      0)
    memcpy(m->tan_method, "none", 5);
  m->locked =
    kc_ldap_get(l, e, "pwdAccountLockedTime", locked, sizeof(locked)) == 0;
  m->locked_by_service = m->locked &&
                         strcmp(locked, KC_LDAP_LOCK_FOREVER) == 0 &&
                         kc_ldap_get(l, e, "kcLockedBy", by, sizeof(by)) != 0;
  copy_customers(l, e, m->customers, &m->n_customers);
  c->n++;
  return 0;
}

int
kc_ldap_members(struct kc_ldap *l, const char *const *customers, size_t n,
                struct kc_ldap_member *out, size_t max, size_t *count,
                bool *more)
{
  static const char *const attrs[] = {"uid",
                                      "entryUUID",
                                      "givenName",
                                      "sn",
                                      "mail",
                                      "kcRole",
                                      "pwdAccountLockedTime",
                                      "kcTanMethod",
                                      "kcCustomerNumber",
                                      "kcLockedBy",
                                      NULL};
  struct collect c = {out, max, 0, false};
  struct kc_buf f;
  int r;

  *count = 0;
  *more = false;
  if ((r = customers_filter(&f, "kcAccount", "", customers, n)) == 0)
    r = kc_ldap_search_each(l, l->cfg->base, LDAP_SCOPE_SUBTREE, kc_buf_get(&f),
                            attrs, one_member, &c);
  kc_buf_free(&f);
  *count = c.n;
  *more = c.more;
  return r;
}

static int
one_invitation(struct kc_ldap *l, LDAPMessage *e, void *arg)
{
  struct collect *c = arg;
  struct kc_ldap_invitation *v;
  char *dn, exp[32];

  if (c->n >= c->max) {
    c->more = true;
    return 0;
  }
  v = (struct kc_ldap_invitation *) c->out + c->n;
  memset(v, 0, sizeof(*v));
  if ((dn = kc_ldap_entry_dn(l, e)) == NULL || strlen(dn) > KC_MAX_DN) {
    kc_ldap_memfree(dn);
    return 0;
  }
  memcpy(v->dn, dn, strlen(dn) + 1);
  kc_ldap_memfree(dn);
  if (kc_ldap_get(l, e, "kcRegistrationId", v->id, sizeof(v->id)) != 0 ||
      kc_ldap_get(l, e, "mail", v->mail, sizeof(v->mail)) != 0 ||
      kc_ldap_get(l, e, "kcExpires", exp, sizeof(exp)) != 0 ||
      kc_ldap_parse_time(exp, &v->expires) != 0)
    return 0;
  (void) kc_ldap_get(l, e, "kcRole", v->role, sizeof(v->role));
  copy_customers(l, e, v->customers, &v->n_customers);
  c->n++;
  return 0;
}

int
kc_ldap_invitations(struct kc_ldap *l, const char *const *customers, size_t n,
                    struct kc_ldap_invitation *out, size_t max, size_t *count,
                    bool *more)
{
  static const char *const attrs[] = {"kcRegistrationId", "mail",
                                      "kcExpires",        "kcRole",
                                      "kcCustomerNumber", NULL};
  struct collect c = {out, max, 0, false};
  struct kc_buf f, base;
  int r;

  *count = 0;
  *more = false;
  if ((r = kc_ldap_dn_container(&base, l->cfg->base, KC_LDAP_REGISTRATIONS)) !=
      0)
    return r;
  if ((r = customers_filter(&f, "kcRegistration", "(kcInvitedBy=*)", customers,
                            n)) == 0)
    r = kc_ldap_search_each(l, kc_buf_get(&base), LDAP_SCOPE_ONELEVEL,
                            kc_buf_get(&f), attrs, one_invitation, &c);
  kc_buf_free(&f);
  kc_buf_free(&base);
  *count = c.n;
  *more = c.more;
  return r == KC_ERR_NOT_FOUND ? 0 : r;
}

int
kc_ldap_invitation_add(struct kc_ldap *l, const struct kc_ldap_invite *v)
{
  static const char *const oc[] = {"top", "kcRegistration", NULL};
  char exp[16];
  struct kc_ldap_mods m;
  struct kc_buf dn;
  int r;

  if ((r = kc_ldap_dn_entry(&dn, l->cfg->base, KC_LDAP_REGISTRATIONS,
                            "kcRegistrationId", v->id)) != 0)
    return r;
  kc_ldap_format_time(v->expires, exp);
  kc_ldap_mods_init(&m);
  kc_ldap_mods_add_list(&m, LDAP_MOD_ADD, "objectClass", oc);
  kc_ldap_mods_add(&m, LDAP_MOD_ADD, "kcRegistrationId", v->id, NULL);
  kc_ldap_mods_add(&m, LDAP_MOD_ADD, "kcTokenHash", v->token_hash, NULL);
  kc_ldap_mods_add(&m, LDAP_MOD_ADD, "kcExpires", exp, NULL);
  kc_ldap_mods_add_list(&m, LDAP_MOD_ADD, "kcCustomerNumber", v->customers);
  kc_ldap_mods_add(&m, LDAP_MOD_ADD, "mail", v->mail, NULL);
  kc_ldap_mods_add(&m, LDAP_MOD_ADD, "kcLanguage", v->language, NULL);
  kc_ldap_mods_add(&m, LDAP_MOD_ADD, "kcRole", v->role, NULL);
  kc_ldap_mods_add(&m, LDAP_MOD_ADD, "kcInvitedBy", v->invited_by, NULL);
  if (v->first_name[0] != '\0')
    kc_ldap_mods_add(&m, LDAP_MOD_ADD, "givenName", v->first_name, NULL);
  if (v->last_name[0] != '\0')
    kc_ldap_mods_add(&m, LDAP_MOD_ADD, "sn", v->last_name, NULL);
  r = kc_ldap_add(l, kc_buf_get(&dn), m.ms_ptr);
  kc_buf_free(&dn);
  return r;
}

/* ---------------------------------------------------------------- lease */

static int
customer_dn(struct kc_ldap *l, const char *number, struct kc_buf *dn)
{
  return kc_ldap_dn_entry(dn, l->cfg->base, KC_LDAP_CUSTOMERS,
                          "kcCustomerNumber", number);
}

int
kc_ldap_customer_lease(struct kc_ldap *l, const char *number, time_t now,
                       time_t until)
{
  static const char *const attrs[] = {"kcAdminLock", NULL};
  char held[32], want[16];
  struct kc_ldap_mods m;
  LDAPMessage *res = NULL, *e;
  struct kc_buf dn;
  time_t t = 0;
  int r;

  if ((r = customer_dn(l, number, &dn)) != 0)
    return r;
  held[0] = '\0';
  r = kc_ldap_search(l, kc_buf_get(&dn), LDAP_SCOPE_BASE,
                     "(objectClass=kcCustomer)", attrs, 1, &res);
  if (r == 0 && (e = kc_ldap_first(l, res)) == NULL)
    r = KC_ERR_NOT_FOUND;
  else if (r == 0 &&
           kc_ldap_get(l, e, "kcAdminLock", held, sizeof(held)) == 0 &&
           kc_ldap_parse_time(held, &t) != 0)
    r = KC_ERR_INVALID;
  kc_ldap_msgfree(res);
  if (r == 0 && held[0] != '\0' && t > now)
    r = KC_ERR_DUPLICATE; /* somebody holds it */
  if (r == 0) {
    /* add, or swap the expired value: of two takers one wins */
    kc_ldap_format_time(until, want);
    kc_ldap_mods_init(&m);
    if (held[0] != '\0')
      kc_ldap_mods_add(&m, LDAP_MOD_DELETE, "kcAdminLock", held, NULL);
    kc_ldap_mods_add(&m, LDAP_MOD_ADD, "kcAdminLock", want, NULL);
    r = kc_ldap_modify_cas(l, kc_buf_get(&dn), m.ms_ptr);
  }
  kc_buf_free(&dn);
  return r;
}

int
kc_ldap_customer_release(struct kc_ldap *l, const char *number, time_t until)
{
  char want[16];
  struct kc_ldap_mods m;
  struct kc_buf dn;
  int r;

  if ((r = customer_dn(l, number, &dn)) != 0)
    return r;
  kc_ldap_format_time(until, want);
  kc_ldap_mods_init(&m);
  kc_ldap_mods_add(&m, LDAP_MOD_DELETE, "kcAdminLock", want, NULL);
  r = kc_ldap_modify_cas(l, kc_buf_get(&dn), m.ms_ptr);
  kc_buf_free(&dn);
  return r;
}

static int
drop_one(struct kc_ldap *l, LDAPMessage *e, void *arg)
{
  char *dn = kc_ldap_entry_dn(l, e);
  int r = 0, d;

  (void) arg;
  if (dn != NULL && (d = kc_ldap_delete(l, dn)) != 0 && d != KC_ERR_NOT_FOUND)
    r = d;
  kc_ldap_memfree(dn);
  return r;
}

int
kc_ldap_invitations_drop(struct kc_ldap *l, const char *inviter_uuid)
{
  static const char *const attrs[] = {"1.1", NULL};
  struct kc_buf f, base;
  int r;

  if ((r = kc_ldap_dn_container(&base, l->cfg->base, KC_LDAP_REGISTRATIONS)) !=
      0)
    return r;
  kc_buf_init(&f, 256);
  if ((r = kc_buf_add_str(&f, "(&(objectClass=kcRegistration)(kcInvitedBy=")) ==
        0 &&
      (r = kc_ldap_filter_value(&f, inviter_uuid)) == 0 &&
      (r = kc_buf_add_str(&f, "))")) == 0)
    r = kc_ldap_search_each(l, kc_buf_get(&base), LDAP_SCOPE_ONELEVEL,
                            kc_buf_get(&f), attrs, drop_one, NULL);
  kc_buf_free(&f);
  kc_buf_free(&base);
  return r == KC_ERR_NOT_FOUND ? 0 : r;
}
