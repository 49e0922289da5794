/*
 * kc_ldap_reset.c: the directory side of the forgotten-password page
 * (kc_ldap.h, "password reset"). Every write is a compare-and-swap
 * modify, so that several kcd on one directory neither send past the
 * per-account cap nor let one link reset a password twice.
 */
#include <config.h>

#include <stdio.h>
#include <string.h>

#include "kc_err.h"
#include "kc_ldap.h"
#include "kc_str.h"

int
kc_ldap_reset_by_mail(struct kc_ldap *l, const char *addr,
                      char uids[][KC_MAX_USERNAME + 1], size_t max, size_t *n)
{
  static const char *const attrs[] = {"uid", NULL};
  struct kc_buf base, filter;
  LDAPMessage *res = NULL, *e;
  int r;

  *n = 0;
  kc_buf_init(&filter, 64 + 3 * KC_MAX_EMAIL);
  if ((r = kc_ldap_dn_container(&base, l->cfg->base, KC_LDAP_ACCOUNTS)) != 0 ||
      (r = kc_buf_add_str(&filter, "(&(objectClass=kcAccount)(mail=")) != 0 ||
      (r = kc_ldap_filter_value(&filter, addr)) != 0 ||
      (r = kc_buf_add_str(&filter, "))")) != 0)
    goto out;
  r = kc_ldap_search(l, kc_buf_get(&base), LDAP_SCOPE_ONELEVEL,
                     kc_buf_get(&filter), attrs, (int) max, &res);
  /* a size limit cuts the list at max: those are the ones mailed */
  if (r == 0 || r == KC_ERR_RANGE) {
    /* only names kcd would accept: anything else is no account of ours
     * to mail (and its uid would go into a log line) */
    for (e = kc_ldap_first(l, res); e != NULL && *n < max;
         e = kc_ldap_next(l, e))
      if (kc_ldap_get(l, e, "uid", uids[*n], sizeof(uids[0])) == 0 &&
          kc_str_is_username(uids[*n]))
        (*n)++;
    r = 0;
  }
  kc_ldap_msgfree(res);
out:
  kc_buf_free(&base);
  kc_buf_free(&filter);
  return r == KC_ERR_NOT_FOUND ? 0 : r;
}

int
kc_ldap_reset_open(struct kc_ldap *l, const struct kc_ldap_user *u,
                   const char *hash, time_t expires, time_t window,
                   unsigned sends)
{
  char exp[16], old_window[16], new_window[16], old_sends[16], new_sends[16];
  struct kc_ldap_mods m;

  kc_ldap_format_time(expires, exp);
  kc_ldap_format_time(u->reset_window, old_window);
  kc_ldap_format_time(window, new_window);
  snprintf(old_sends, sizeof(old_sends), "%u", u->reset_sends);
  snprintf(new_sends, sizeof(new_sends), "%u", sends);
  kc_ldap_mods_init(&m);
  /* a newer link replaces (voids) the older one */
  kc_ldap_mods_add(&m, LDAP_MOD_REPLACE, "kcResetHash", hash, NULL);
  kc_ldap_mods_add(&m, LDAP_MOD_REPLACE, "kcResetExpires", exp, NULL);
  /* the cap: conditional on the counters as read (both are written
   * together, and a real window never starts at 0) */
  kc_ldap_mods_swap(&m, "kcResetWindowStart", u->reset_window != 0, old_window,
                    new_window);
  kc_ldap_mods_swap(&m, "kcResetSendCount", u->reset_sends_set, old_sends,
                    new_sends);
  return kc_ldap_modify_cas(l, u->dn, m.ms_ptr);
}

int
kc_ldap_reset_void(struct kc_ldap *l, const char *dn, const char *hash)
{
  struct kc_ldap_mods m;

  kc_ldap_mods_init(&m);
  kc_ldap_mods_add(&m, LDAP_MOD_DELETE, "kcResetHash", hash, NULL);
  kc_ldap_mods_add(&m, LDAP_MOD_REPLACE, "kcResetExpires", NULL, NULL);
  return kc_ldap_modify_cas(l, dn, m.ms_ptr);
}

int
kc_ldap_reset_finish(struct kc_ldap *l, const struct kc_ldap_user *u,
                     const char *password_hash, const char *stamp)
{
  struct kc_ldap_mods m;

  if (u->reset_hash[0] == '\0')
    return KC_ERR_DUPLICATE; /* no link open: nothing to win */
  kc_ldap_mods_init(&m);
  kc_ldap_mods_add(&m, LDAP_MOD_DELETE, "kcResetHash", u->reset_hash, NULL);
  kc_ldap_mods_add(&m, LDAP_MOD_REPLACE, "kcResetExpires", NULL, NULL);
  kc_ldap_mods_add(&m, LDAP_MOD_REPLACE, "userPassword", password_hash, NULL);
  /* a ppolicy lock by its exact value; no lock as read: none touched, so
   * a lock an administrator sets meanwhile stays */
  if (u->locked_time[0] != '\0')
    kc_ldap_mods_add(&m, LDAP_MOD_DELETE, "pwdAccountLockedTime",
                     u->locked_time, NULL);
  kc_ldap_mods_add(&m, LDAP_MOD_REPLACE, "pwdReset", NULL, NULL);
  kc_ldap_mods_add(&m, LDAP_MOD_REPLACE, "kcFirstLogin", NULL, NULL);
  kc_ldap_mods_add(&m, LDAP_MOD_REPLACE, "kcTanHash", NULL, NULL);
  kc_ldap_mods_add(&m, LDAP_MOD_REPLACE, "kcTanChallenge", NULL, NULL);
  kc_ldap_mods_add(&m, LDAP_MOD_REPLACE, "kcTanExpires", NULL, NULL);
  kc_ldap_mods_add(&m, LDAP_MOD_REPLACE, "kcTanTries", NULL, NULL);
  kc_ldap_mods_add(&m, LDAP_MOD_REPLACE, "kcTanFailures", NULL, NULL);
  kc_ldap_mods_add(&m, LDAP_MOD_REPLACE, "kcSessionStamp", stamp, NULL);
  return kc_ldap_modify_cas(l, u->dn, m.ms_ptr);
}
