/*
 * rehash.h: hash upgrades (DESIGN §14). When an account logs in with a
 * password whose stored hash was made with another cost than kcd makes
 * new ones with (kcd.conf password_hash_m, password_hash_t), another
 * argon2 variant ($argon2i$ from slapd's own module) or another scheme,
 * kcd replaces the hash by a new one of the same password, once. The
 * account's pwdChangedTime and pwdHistory stay as they were, so nothing
 * a user sees changes: no session ends, no password ages, no history
 * entry goes (kc_ldap_password_rehash).
 */
#ifndef KC_REHASH_H
#define KC_REHASH_H

#include <stdbool.h>
#include <stddef.h>

#include "kc_attrs.h"
#include "kc_ldap.h"

enum kc_rehash_result {
  KC_REHASH_OFF,     /* switched off, or not after this bind */
  KC_REHASH_CURRENT, /* the hash has the cost already */
  KC_REHASH_DONE,    /* replaced */
  KC_REHASH_FAILED   /* not replaced; the login goes on all the same */
};

/* kcd.conf password_hash_upgrade (default on). Call at start-up. */
void kc_rehash_enable(bool on);

/* Is value (a userPassword value as stored) what kcd makes now: "{ARGON2}"
 * and an argon2id string of the current cost? what gets a short, printable
 * description of value without any of its secret part ("argon2i m=4096
 * t=3", "{SSHA}", "no scheme"). Pure. */
bool kc_rehash_is_current(const char *value, char *what, size_t whatlen)
  KC_NONNULL(1, 2);

/* After kc_ldap_bind_user(l, u->dn, password) answered KC_BIND_OK, before
 * anything else runs on l: read the account's own hash on its connection
 * and replace it when it is not current. Logs what it did. Accounts that
 * must change their password are left alone. Any thread. */
enum kc_rehash_result kc_rehash_after_login(struct kc_ldap *l,
                                            const struct kc_ldap_user *u,
                                            const char *password)
  KC_NONNULL(1, 2, 3);

#endif /* KC_REHASH_H */
