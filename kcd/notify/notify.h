/*
 * notify.h: what kcd sends to users: TAN mails and SMS (and, later, the
 * activation and change notices), composed in the account's language and
 * handed to the mail and SMS transports.
 *
 * A struct kc_notify is built once at start-up from the configuration and
 * is read-only afterwards: safe to share between worker threads.
 */
#ifndef KC_NOTIFY_H
#define KC_NOTIFY_H

#include <stddef.h>

#include "kc_attrs.h"

struct kc_conf;
struct kc_ldap_user;
struct kc_notify;

/* Build from the configuration (reads the transports' secret files).
 * 0, or a negative KC_ERR_* with a message in err. */
int kc_notify_new(struct kc_notify **out, const struct kc_conf *c, char *err,
                  size_t errlen) KC_MUST_USE KC_NONNULL(1, 2);
void kc_notify_free(struct kc_notify *n);

/* The masked destination of u's TAN ("m.mu***@example.org",
 * "+49 177 ***4567"), or "" when u has no usable one. */
void kc_notify_destination(const struct kc_notify *n,
                           const struct kc_ldap_user *u, char *out,
                           size_t outlen) KC_NONNULL(1, 2, 3);

/* Send tan (valid ttl seconds) by u's TAN method. 0, or a negative
 * KC_ERR_* with a message in err that never contains the TAN. */
int kc_notify_tan(const struct kc_notify *n, const struct kc_ldap_user *u,
                  const char *tan, unsigned ttl, char *err,
                  size_t errlen) KC_MUST_USE KC_NONNULL(1, 2, 3);

/* Tell u by mail that slapd locked the account after too many wrong
 * passwords, for secs seconds (0: until customer service unlocks it):
 * until when (from u->locked_time), and, when public_url is set, the
 * forgotten-password page that ends the lock at once. No secrets in it. 0, or a
 * negative KC_ERR_* with a message in err. */
int kc_notify_lockout_password(const struct kc_notify *n,
                               const struct kc_ldap_user *u, long secs,
                               char *err, size_t errlen) KC_MUST_USE
  KC_NONNULL(1, 2, 4);

/* Tell u by mail that the account was locked after too many wrong TANs
 * (no secrets in it). 0, or a negative KC_ERR_* with a message in err. */
int kc_notify_lockout(const struct kc_notify *n, const struct kc_ldap_user *u,
                      char *err, size_t errlen) KC_MUST_USE KC_NONNULL(1, 2, 3);

/* Tell u by mail that one of the account's recovery codes was just used
 * and how many are left (no secrets in it). 0, or a negative KC_ERR_*
 * with a message in err. */
int kc_notify_recovery_used(const struct kc_notify *n,
                            const struct kc_ldap_user *u, unsigned left,
                            char *err, size_t errlen) KC_MUST_USE
  KC_NONNULL(1, 2, 4);

/* Send a plain-text mail (activation links, change notices). The text
 * may hold a secret link: it is never logged or quoted in err. */
int kc_notify_mail(const struct kc_notify *n, const char *to,
                   const char *subject, const char *text, char *err,
                   size_t errlen) KC_MUST_USE KC_NONNULL(1, 2, 3, 4);

#endif /* KC_NOTIFY_H */
