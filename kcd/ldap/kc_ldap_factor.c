/*
 * kc_ldap_factor.c: the directory side of the authenticator app and the
 * recovery codes (kc_ldap.h; the rules are in factor.h). Every write that
 * decides something is conditional on the exact value read before it
 * (delete that value, add the new one), so parallel requests on several
 * kcd cannot both win.
 */
#include <config.h>

#include <stdio.h>
#include <string.h>

#include "kc_err.h"
#include "kc_ldap.h"
#include "kc_str.h"

static int
get_uint64(struct kc_ldap *l, LDAPMessage *e, const char *attr, uint64_t max,
           uint64_t *out, bool *set)
{
  char v[24];
  int r = kc_ldap_get(l, e, attr, v, sizeof(v));

  *out = 0;
  *set = false;
  if (r == KC_ERR_NOT_FOUND)
    return 0;
  if (r != 0 || kc_str_to_uint(v, out, 0, max) != 0)
    return KC_ERR_INVALID;
  *set = true;
  return 0;
}

static int
fill(struct kc_ldap *l, LDAPMessage *e, struct kc_ldap_factor *f)
{
  char when[32];
  uint64_t n;
  char **v;
  size_t i;
  int r;

  r = kc_ldap_get(l, e, "kcTotpSecret", f->sealed, sizeof(f->sealed));
  if (r != 0 && r != KC_ERR_NOT_FOUND)
    return KC_ERR_INVALID;
  if (get_uint64(l, e, "kcTotpLastStep", UINT64_MAX / 2, &f->last_step,
                 &f->last_step_set) != 0 ||
      get_uint64(l, e, "kcTanFailures", 1000000, &n, &f->failures_set) != 0)
    return KC_ERR_INVALID;
  f->failures = (unsigned) n;
  r = kc_ldap_get(l, e, "kcFactorFailedAt", when, sizeof(when));
  if (r == 0 && kc_ldap_parse_time(when, &f->failed_at) != 0)
    return KC_ERR_INVALID;
  if (r != 0 && r != KC_ERR_NOT_FOUND)
    return KC_ERR_INVALID;
  v = kc_ldap_values(l, e, "kcRecoveryCode");
  for (i = 0; v != NULL && v[i] != NULL; i++) {
    if (i == KC_LDAP_MAX_RECOVERY ||
        strlen(v[i]) >= sizeof(f->recovery[0])) {
      kc_ldap_values_free(v);
      return KC_ERR_INVALID;
    }
    memcpy(f->recovery[i], v[i], strlen(v[i]) + 1);
  }
  f->recovery_n = (unsigned) i;
  kc_ldap_values_free(v);
  return 0;
}

int
kc_ldap_factor_read(struct kc_ldap *l, const char *dn,
                    struct kc_ldap_factor *out)
{
  static const char *const attrs[] = {"kcTotpSecret", "kcTotpLastStep",
                                      "kcTanFailures", "kcFactorFailedAt",
                                      "kcRecoveryCode", NULL};
  LDAPMessage *res = NULL, *e;
  int r;

  memset(out, 0, sizeof(*out));
  r = kc_ldap_search(l, dn, LDAP_SCOPE_BASE, "(objectClass=kcAccount)", attrs,
                     1, &res);
  if (r == 0)
    r = (e = kc_ldap_first(l, res)) == NULL ? KC_ERR_NOT_FOUND
                                             : fill(l, e, out);
  kc_ldap_msgfree(res);
  if (r != 0)
    memset(out, 0, sizeof(*out));
  return r;
}

int
kc_ldap_factor_count(struct kc_ldap *l, const char *dn,
                     const struct kc_ldap_factor *s, time_t now)
{
  char fail[16], fail1[16], at[16];
  struct kc_ldap_mods m;

  snprintf(fail, sizeof(fail), "%u", s->failures);
  snprintf(fail1, sizeof(fail1), "%u", s->failures + 1);
  kc_ldap_format_time(now, at);
  kc_ldap_mods_init(&m);
  if (s->failures_set)
    kc_ldap_mods_add(&m, LDAP_MOD_DELETE, "kcTanFailures", fail, NULL);
  kc_ldap_mods_add(&m, LDAP_MOD_ADD, "kcTanFailures", fail1, NULL);
  kc_ldap_mods_add(&m, LDAP_MOD_REPLACE, "kcFactorFailedAt", at, NULL);
  return kc_ldap_modify_cas(l, dn, m.ms_ptr);
}

/* A right second factor: the account's count of wrong ones starts over. */
static void
reset_mods(struct kc_ldap_mods *m)
{
  kc_ldap_mods_add(m, LDAP_MOD_REPLACE, "kcTanFailures", NULL, NULL);
  kc_ldap_mods_add(m, LDAP_MOD_REPLACE, "kcFactorFailedAt", NULL, NULL);
}

int
kc_ldap_totp_accept(struct kc_ldap *l, const char *dn,
                    const struct kc_ldap_factor *s, uint64_t step)
{
  char old[24], now[24];
  struct kc_ldap_mods m;

  snprintf(old, sizeof(old), "%llu", (unsigned long long) s->last_step);
  snprintf(now, sizeof(now), "%llu", (unsigned long long) step);
  kc_ldap_mods_init(&m);
  /* deleted and put back: the step is stored only for the secret the
   * code was checked against */
  kc_ldap_mods_add(&m, LDAP_MOD_DELETE, "kcTotpSecret", s->sealed, NULL);
  kc_ldap_mods_add(&m, LDAP_MOD_ADD, "kcTotpSecret", s->sealed, NULL);
  if (s->last_step_set)
    kc_ldap_mods_add(&m, LDAP_MOD_DELETE, "kcTotpLastStep", old, NULL);
  /* single-valued: without a delete, the add fails when a value exists */
  kc_ldap_mods_add(&m, LDAP_MOD_ADD, "kcTotpLastStep", now, NULL);
  reset_mods(&m);
  return kc_ldap_modify_cas(l, dn, m.ms_ptr);
}

int
kc_ldap_recovery_use(struct kc_ldap *l, const char *dn, const char *hash)
{
  struct kc_ldap_mods m;

  kc_ldap_mods_init(&m);
  kc_ldap_mods_add(&m, LDAP_MOD_DELETE, "kcRecoveryCode", hash, NULL);
  reset_mods(&m);
  kc_ldap_tan_clear_mods(&m); /* a recovery code or a new app replaces it */
  return kc_ldap_modify_cas(l, dn, m.ms_ptr);
}

int
kc_ldap_totp_set(struct kc_ldap *l, const char *dn, const char *sealed,
                 uint64_t step, const char *const *hashes)
{
  struct kc_ldap_mods m;
  char st[24];

  snprintf(st, sizeof(st), "%llu", (unsigned long long) step);
  kc_ldap_mods_init(&m);
  kc_ldap_mods_add(&m, LDAP_MOD_REPLACE, "kcTotpSecret", sealed, NULL);
  kc_ldap_mods_add(&m, LDAP_MOD_REPLACE, "kcTotpLastStep", st, NULL);
  kc_ldap_mods_add(&m, LDAP_MOD_REPLACE, "kcTanMethod", "totp", NULL);
  if (hashes != NULL) {
    if (hashes[0] != NULL)
      kc_ldap_mods_add_list(&m, LDAP_MOD_REPLACE, "kcRecoveryCode", hashes);
    else
      kc_ldap_mods_add(&m, LDAP_MOD_REPLACE, "kcRecoveryCode", NULL, NULL);
  }
  reset_mods(&m);
  kc_ldap_tan_clear_mods(&m);
  return kc_ldap_modify(l, dn, m.ms_ptr);
}

int
kc_ldap_recovery_set(struct kc_ldap *l, const char *dn,
                     const char *const *hashes)
{
  struct kc_ldap_mods m;

  kc_ldap_mods_init(&m);
  if (hashes[0] != NULL)
    kc_ldap_mods_add_list(&m, LDAP_MOD_REPLACE, "kcRecoveryCode", hashes);
  else
    kc_ldap_mods_add(&m, LDAP_MOD_REPLACE, "kcRecoveryCode", NULL, NULL);
  return kc_ldap_modify(l, dn, m.ms_ptr);
}
