/*
 * lockout.h: what kcd does about an account that slapd's password policy
 * has locked, on every path that checks a password (PAM socket, web
 * pages).
 *
 * slapd answers "locked" whatever password was typed, and at once, before
 * the argon2 work; unknown names never lock. Telling a lock from a wrong
 * password, by text or by time, would so reveal after a few guesses that a
 * name exists. Before the password is proven a lock is therefore answered
 * like a wrong password, after the same work (kc_lockout_hide), and the
 * owner learns of the lock by mail instead: the request whose wrong
 * password locked the account sends one notice (kc_lockout_notice).
 */
#ifndef KC_LOCKOUT_H
#define KC_LOCKOUT_H

#include "kc_attrs.h"
#include "kc_ldap.h"
#include "notify.h"

/* A bind as u answered "locked": do the work a wrong password costs. */
void kc_lockout_hide(const char *password) KC_NONNULL(1);

/* A bind as before (the account as read before the bind, not locked then)
 * failed with a wrong password: read the account again, and when that
 * failure locked it (a ppolicy lock, not an administrator's), log it and
 * mail the owner when it unlocks, once. Failures are logged, not
 * returned: the login has failed either way. */
void kc_lockout_notice(struct kc_ldap *l, const struct kc_notify *n,
                       const struct kc_ldap_user *before) KC_NONNULL(1, 2, 3);

#endif /* KC_LOCKOUT_H */
