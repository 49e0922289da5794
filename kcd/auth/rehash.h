/*
 * rehash.h: hash upgrades (DESIGN §14). When an account logs in with a
 * password whose stored hash was made with another cost than kcd makes
 * new ones with (kcd.conf password_hash_m, password_hash_t), as
 * $argon2i$ (slapd's own module) or with another local scheme ({SSHA},
 * {CRYPT}, ...), kcd replaces the hash by a new one of the same password,
 * once. The account's pwdChangedTime and pwdHistory stay as they were, so
 * nothing a user sees changes: no session ends, no password ages, no
 * history entry goes (kc_ldap_password_rehash).
 *
 * The login only reads the stored hash (one search on the connection it
 * bound) and, when it is due, hands the account and a copy of the
 * password (in guarded memory) to one worker thread, and goes on: the
 * upgrade costs slapd two verifications plus one per pwdHistory entry
 * (ppolicy checks the new value against each), which no login should
 * wait for. The worker does one upgrade at a time, so raising the cost
 * does not multiply slapd's load; a login that finds its queue full does
 * not upgrade (a later one will).
 */
#ifndef KC_REHASH_H
#define KC_REHASH_H

#include <stdbool.h>
#include <stddef.h>

#include "kc_attrs.h"
#include "kc_ldap.h"

enum kc_rehash_result {
  KC_REHASH_OFF,     /* switched off, not started, or not after this bind */
  KC_REHASH_CURRENT, /* the hash has the cost already */
  KC_REHASH_LEFT,    /* a scheme slapd checks elsewhere ({SASL}, ...) */
  KC_REHASH_QUEUED,  /* handed to the worker */
  KC_REHASH_FAILED   /* could not: the login goes on all the same */
};

/* What a stored value asks for. */
enum kc_rehash_verdict {
  KC_REHASH_KEEP,    /* argon2id at the current cost */
  KC_REHASH_REPLACE, /* a local hash of another cost, kind or scheme */
  KC_REHASH_LEAVE    /* another scheme: not ours to replace */
};

/* kcd.conf password_hash_upgrade (default on). Call at start-up. */
void kc_rehash_enable(bool on);

/* Start and stop the worker; ldap is the daemon's LDAP settings (kept).
 * Without a started worker kc_rehash_after_login() does nothing. 0 or
 * KC_ERR_SYSTEM. */
int kc_rehash_start(const struct kc_ldap_cfg *ldap) KC_MUST_USE KC_NONNULL(1);
void kc_rehash_stop(void);

/* Judge value (a userPassword value as stored). what gets a short,
 * printable description of it without any of its secret part
 * ("argon2i m=4096 t=3", "{SSHA}", "no scheme", "another scheme"). Pure. */
enum kc_rehash_verdict kc_rehash_judge(const char *value, char *what,
                                       size_t whatlen) KC_NONNULL(1, 2);

/* After kc_ldap_bind_user(l, u->dn, password) answered KC_BIND_OK, before
 * anything else runs on l: read the account's own hash on its connection
 * and queue an upgrade when one is due. Accounts that must change their
 * password are left alone. Any thread. */
enum kc_rehash_result kc_rehash_after_login(struct kc_ldap *l,
                                            const struct kc_ldap_user *u,
                                            const char *password)
  KC_NONNULL(1, 2, 3);

#endif /* KC_REHASH_H */
