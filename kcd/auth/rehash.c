/*
 * rehash.c: hash upgrades at login (rehash.h).
 */
#include <config.h>

#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <sodium.h>

#include "kc_argon2.h"
#include "kc_err.h"
#include "kc_str.h"
#include "log.h"
#include "password.h"
#include "rehash.h"

static atomic_bool enabled = true;
/* Set, with one warning, when slapd shows that it is not set up for
 * upgrades (an acl.ldif from before): no more tries until a restart. */
static atomic_bool broken = false;

void
kc_rehash_enable(bool on)
{
  enabled = on;
  broken = false;
}

static void
give_up(const char *why)
{
  if (!atomic_exchange(&broken, true))
    kc_log_warnx("password hash upgrades are off until kcd restarts: %s; "
                 "apply acl.ldif of this version",
                 why);
}

bool
kc_rehash_is_current(const char *value, char *what, size_t whatlen)
{
  static const char scheme[] = "{ARGON2}";
  struct kc_argon2_params p;
  const char *s, *end;
  unsigned m, t;

  kc_password_cost(&m, &t);
  if (strncasecmp(value, scheme, sizeof(scheme) - 1) != 0) {
    /* another scheme, or none (a cleartext value): name only the scheme */
    if (value[0] == '{' && (end = strchr(value, '}')) != NULL &&
        end - value <= 32) {
      char name[40];

      memcpy(name, value, (size_t) (end - value) + 1);
      name[end - value + 1] = '\0';
      kc_str_copy_printable(what, whatlen, name);
    } else {
      kc_str_copy_printable(what, whatlen, "no scheme");
    }
    return false;
  }
  s = value + sizeof(scheme) - 1;
  if (kc_argon2_parse(s, strlen(s), &p) != 0) {
    kc_str_copy_printable(what, whatlen, "{ARGON2} not made by libsodium");
    return false;
  }
  snprintf(what, whatlen, "%s m=%lu t=%u", p.id ? "argon2id" : "argon2i",
           p.m_kib, p.t);
  return p.id && p.m_kib == m && p.t == t;
}

enum kc_rehash_result
kc_rehash_after_login(struct kc_ldap *l, const struct kc_ldap_user *u,
                      const char *password)
{
  char stored[KC_ARGON2_MAX_STRING + 16], what[64];
  struct kc_buf hash;
  unsigned m, t;
  int r;

  if (!enabled || broken || u->must_change || u->first_login)
    return KC_REHASH_OFF;
  r = kc_ldap_own_password(l, u->dn, stored, sizeof(stored));
  if (r == KC_ERR_NOT_FOUND) {
    give_up("slapd does not let an account read its own userPassword");
    return KC_REHASH_OFF;
  }
  if (r == KC_ERR_INVALID) /* a ppolicy warning on the bind: not now */
    return KC_REHASH_OFF;
  if (r != 0 && r != KC_ERR_TOO_LARGE) {
    kc_log_warnx("password hash: cannot read it (%s); user=%s",
                 kc_ldap_error(l), u->uid);
    return KC_REHASH_FAILED;
  }
  if (r == KC_ERR_TOO_LARGE)
    kc_str_copy_printable(what, sizeof(what), "too long for argon2");
  else if (kc_rehash_is_current(stored, what, sizeof(what))) {
    sodium_memzero(stored, sizeof(stored));
    return KC_REHASH_CURRENT;
  }
  sodium_memzero(stored, sizeof(stored));
  if ((r = kc_password_hash(&hash, password)) != 0) {
    kc_log_warnx("password hash upgrade: no memory for the new hash; user=%s",
                 u->uid);
    return KC_REHASH_FAILED;
  }
  r = kc_ldap_password_rehash(l, u->dn, u->pwd_changed, password,
                              kc_buf_get(&hash));
  kc_buf_free(&hash);
  kc_password_cost(&m, &t);
  switch (r) {
    case 0:
      kc_log_info("password hash upgraded from %s to argon2id m=%u t=%u; "
                  "user=%s",
                  what, m, t, u->uid);
      return KC_REHASH_DONE;
    case KC_ERR_DUPLICATE:
      kc_log_info("password hash not upgraded: the password changed "
                  "meanwhile; user=%s",
                  u->uid);
      return KC_REHASH_FAILED;
    case KC_ERR_PERMISSION:
      kc_log_warnx("password hash not upgraded: slapd refused (%s); user=%s",
                   kc_ldap_error(l), u->uid);
      give_up("slapd refuses kcd the upgrade");
      return KC_REHASH_FAILED;
    default:
      kc_log_warnx("password hash not upgraded (%s); user=%s", kc_ldap_error(l),
                   u->uid);
      return KC_REHASH_FAILED;
  }
}
