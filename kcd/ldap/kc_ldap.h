/*
 * kc_ldap.h: kcd's directory layer (libldap, synchronous calls with
 * timeouts).
 *
 * A struct kc_ldap is one worker's pair of connections: `svc`, bound as
 * kcd's service DN, for searches and writes; `usr`, used for simple binds
 * as users (and RFC 3062 password changes as the user), so a user bind
 * never changes the identity of the search connection. Connections are
 * opened lazily, try the URIs of ldap_uri in order (failover), and are
 * reopened once when an operation finds the server gone (reconnect).
 * A struct kc_ldap belongs to one thread; workers never share one, so one
 * slow LDAP call blocks only its own request.
 *
 * Results are 0 or a negative KC_ERR_*; KC_ERR_UNAVAILABLE means no
 * server answered in time. User-facing outcomes of binds are
 * enum kc_ldap_bind_result values. No function logs a secret.
 */
#ifndef KC_LDAP_H
#define KC_LDAP_H

#include <stdbool.h>
#include <stddef.h>

#include <time.h>

#include "kc_attrs.h"
#include "kc_limits.h"
#include "tan.h"

struct ldap; /* libldap's LDAP */

/* Settings shared by all workers; strings are owned by the caller and must
 * outlive every struct kc_ldap that uses them. */
struct kc_ldap_cfg {
  const char *uri;         /* space-separated list; libldap tries them in
                              order, which gives failover */
  const char *base;        /* ldap_base */
  const char *bind_dn;     /* kcd's service DN */
  const char *bind_pw;     /* its password (secret) */
  bool starttls;
  const char *ca_file;     /* NULL: system default */
  int timeout;             /* seconds, network and operation */
};

struct kc_ldap {
  const struct kc_ldap_cfg *cfg;
  struct ldap *svc;
  struct ldap *usr;
};

/* What we know of an account after a lookup. */
struct kc_ldap_user {
  char dn[KC_MAX_DN + 1];
  char uid[KC_MAX_USERNAME + 1];
  char mail[KC_MAX_EMAIL + 1];
  char mobile[KC_MAX_PHONE + 1];
  char customer[KC_MAX_CUSTOMER_NUMBER + 1]; /* the first kcCustomerNumber */
  char tan_method[8];      /* "none", "email", "mtan" */
  char language[4];        /* "de" or "en" */
  char policy_dn[KC_MAX_DN + 1]; /* pwdPolicySubentry, "" for the default */
  char locked_time[32];    /* pwdAccountLockedTime, "" if unset */
  bool must_change;        /* pwdReset: TRUE */
  bool first_login;        /* kcFirstLogin: TRUE (provisioned, unchanged) */
  struct kc_tan_state tan; /* kcTan* attributes */
};

enum kc_ldap_bind_result {
  KC_BIND_OK = 0,
  KC_BIND_MUST_CHANGE,   /* bind ok, ppolicy changeAfterReset */
  KC_BIND_INVALID,       /* wrong password (slapd counts the failure) */
  KC_BIND_LOCKED,        /* ppolicy accountLocked */
  KC_BIND_EXPIRED,       /* ppolicy passwordExpired */
  KC_BIND_UNAVAILABLE    /* no server, timeout, or other LDAP error */
};

enum kc_ldap_passwd_result {
  KC_PASSWD_OK = 0,
  KC_PASSWD_BAD_OLD,     /* old password wrong */
  KC_PASSWD_REJECTED,    /* policy refused the new one; see message */
  KC_PASSWD_LOCKED,
  KC_PASSWD_UNAVAILABLE
};

void kc_ldap_init(struct kc_ldap *l, const struct kc_ldap_cfg *cfg)
  KC_NONNULL(1, 2);

/* The options every connection of ours gets (protocol 3, no referrals,
 * network and operation timeouts, TLS certificate demanded, CA file), for
 * a handle made by ldap_initialize(); kcadm uses it too. 0 or
 * KC_ERR_INTERNAL. */
int kc_ldap_set_options(struct ldap *ld, const struct kc_ldap_cfg *cfg)
  KC_MUST_USE KC_NONNULL(1, 2);

/* Close both connections. */
void kc_ldap_close(struct kc_ldap *l) KC_NONNULL(1);

/* Look up an account by login name (validated here with
 * kc_str_is_username; an invalid name is KC_ERR_NOT_FOUND). 0,
 * KC_ERR_NOT_FOUND, KC_ERR_UNAVAILABLE, KC_ERR_INVALID (more than one). */
int kc_ldap_find_user(struct kc_ldap *l, const char *name,
  struct kc_ldap_user *out) KC_MUST_USE KC_NONNULL(1, 2, 3);

/* Simple bind as dn with the password-policy request control. */
enum kc_ldap_bind_result kc_ldap_bind_user(struct kc_ldap *l, const char *dn,
  const char *password) KC_NONNULL(1, 2, 3);

/* RFC 3062 password modify bound as the user (ppolicy applies). On
 * KC_PASSWD_REJECTED, msg gets slapd's reason (never a secret). */
enum kc_ldap_passwd_result kc_ldap_passwd_user(struct kc_ldap *l,
  const char *dn, const char *oldpw, const char *newpw, char *msg,
  size_t msglen) KC_NONNULL(1, 2, 3, 4, 5);

/* The same change on the user connection that kc_ldap_bind_user() has
 * just bound as dn with oldpw (no second bind, so no second argon2 work
 * in slapd); KC_PASSWD_UNAVAILABLE when that connection is gone. */
enum kc_ldap_passwd_result kc_ldap_passwd_bound(struct kc_ldap *l,
  const char *dn, const char *oldpw, const char *newpw, char *msg,
  size_t msglen) KC_NONNULL(1, 2, 3, 4, 5);

/* Lockout duration in seconds of the policy that governs user (0 means a
 * lock never expires). KC_ERR_UNAVAILABLE on LDAP trouble. */
int kc_ldap_lockout_duration(struct kc_ldap *l, const struct kc_ldap_user *u,
  long *secs) KC_MUST_USE KC_NONNULL(1, 2, 3);

/* pwdAccountLockedTime that ppolicy treats as locked until removed: the
 * administrative lock (kcadm account lock) and the lock after
 * tan_max_failures. */
#define KC_LDAP_LOCK_FOREVER "000001010000Z"

/* Read the kcTan* state of the account at dn afresh. 0, KC_ERR_NOT_FOUND,
 * KC_ERR_UNAVAILABLE, KC_ERR_INVALID. */
int kc_ldap_tan_read(struct kc_ldap *l, const char *dn,
  struct kc_tan_state *out) KC_MUST_USE KC_NONNULL(1, 2, 3);

/* Store a new TAN state s on the account, in one modify that fails with
 * KC_ERR_DUPLICATE unless the send counters (kcTanSentAt,
 * kcTanSendCount) are still those of cur, the state s was made from: of
 * parallel sends, one wins. kcTanFailures is not touched. */
int kc_ldap_tan_store(struct kc_ldap *l, const char *dn,
  const struct kc_tan_state *cur, const struct kc_tan_state *s)
  KC_MUST_USE KC_NONNULL(1, 2, 3, 4);

/* Count a try against the TAN in s (as just read): kcTanTries from
 * s->tries to + 1 and kcTanFailures from s->failures to + 1, in one
 * modify that deletes the exact old values and the TAN's hash and adds
 * the new ones (the hash unchanged). KC_ERR_DUPLICATE when anything
 * changed since s was read: read again and retry. */
int kc_ldap_tan_count_try(struct kc_ldap *l, const char *dn,
  const struct kc_tan_state *s) KC_MUST_USE KC_NONNULL(1, 2, 3);

/* Consume the TAN of s, whose try was counted (s->tries is the counted
 * value): deletes exactly that hash and that kcTanTries value, and resets
 * kcTanFailures. KC_ERR_DUPLICATE when either changed (another request
 * consumed it, or counted a try meanwhile). */
int kc_ldap_tan_consume(struct kc_ldap *l, const char *dn,
  const struct kc_tan_state *s) KC_MUST_USE KC_NONNULL(1, 2, 3);

/* Lock the account until an administrator unlocks it
 * (pwdAccountLockedTime KC_LDAP_LOCK_FOREVER) and void its open TAN. */
int kc_ldap_lock(struct kc_ldap *l, const char *dn) KC_MUST_USE
  KC_NONNULL(1, 2);

/* Remove the open TAN (not the send-rate bookkeeping). */
int kc_ldap_tan_clear(struct kc_ldap *l, const char *dn) KC_MUST_USE
  KC_NONNULL(1, 2);

/* GeneralizedTime ("YYYYMMDDHHMMSS[.f]Z") to epoch seconds and back. */
int kc_ldap_parse_time(const char *s, time_t *out) KC_MUST_USE
  KC_NONNULL(1, 2);
void kc_ldap_format_time(time_t t, char out[16]) KC_NONNULL(2);

/* ------------------------------------------------ registration and accounts */

/* A pending registration (ou=registrations). */
struct kc_ldap_registration {
  char dn[KC_MAX_DN + 1];
  char customer[KC_MAX_CUSTOMER_NUMBER + 1];
  char mail[KC_MAX_EMAIL + 1];
  char language[4];
  time_t expires;
};

/* A new account as the activation page or kcadm creates it. */
struct kc_ldap_new_account {
  const char *uid;
  const char *customer;
  const char *password_hash;  /* "{ARGON2}$argon2id$..." */
  const char *tan_method;     /* none | email | mtan */
  const char *role;           /* admin | user */
  const char *salutation;     /* personalTitle, may be "" */
  const char *first_name;
  const char *last_name;
  const char *mail;
  const char *mobile;         /* E.164 or "" */
  const char *language;       /* de | en */
};

/* The master-data contact address of a customer number. 0,
 * KC_ERR_NOT_FOUND, KC_ERR_UNAVAILABLE. */
int kc_ldap_customer_mail(struct kc_ldap *l, const char *number, char *mail,
  size_t maillen) KC_MUST_USE KC_NONNULL(1, 2, 3);

/* Add a registration (after deleting every older one of the same customer,
 * which voids their links). */
int kc_ldap_registration_add(struct kc_ldap *l, const char *id,
  const char *token_hash, time_t expires, const char *customer,
  const char *mail, const char *language) KC_MUST_USE KC_NONNULL(1, 2, 3, 5,
  6, 7);

/* Find the registration whose token hash is token_hash. 0,
 * KC_ERR_NOT_FOUND, KC_ERR_UNAVAILABLE. */
int kc_ldap_registration_find(struct kc_ldap *l, const char *token_hash,
  struct kc_ldap_registration *out) KC_MUST_USE KC_NONNULL(1, 2, 3);

/* Replace the token hash `from` by `to` in one modify that fails
 * (KC_ERR_NOT_FOUND) when `from` is no longer there: of two concurrent
 * claims, one wins. */
int kc_ldap_registration_swap(struct kc_ldap *l, const char *dn,
  const char *from, const char *to) KC_MUST_USE KC_NONNULL(1, 2, 3, 4);

int kc_ldap_delete(struct kc_ldap *l, const char *dn) KC_MUST_USE
  KC_NONNULL(1, 2);

/* Is uid taken by any entry under ldap_base? 0 (free), KC_ERR_DUPLICATE,
 * KC_ERR_UNAVAILABLE. */
int kc_ldap_uid_free(struct kc_ldap *l, const char *uid) KC_MUST_USE
  KC_NONNULL(1, 2);

/* Add uid=UID,ou=accounts,<base>. KC_ERR_DUPLICATE when it exists. */
int kc_ldap_account_add(struct kc_ldap *l,
  const struct kc_ldap_new_account *a) KC_MUST_USE KC_NONNULL(1, 2);

/* Set the TAN method (and the mobile number when mobile is not NULL),
 * and drop kcFirstLogin. */
int kc_ldap_set_tan_method(struct kc_ldap *l, const char *dn,
  const char *method, const char *mobile) KC_MUST_USE KC_NONNULL(1, 2, 3);

/* Rename uid=OLD,... to uid=NEW (modrdn; entryUUID stays). newdn gets the
 * new DN. KC_ERR_DUPLICATE when NEW is taken. */
int kc_ldap_rename(struct kc_ldap *l, const char *dn, const char *newuid,
  char *newdn, size_t newdnlen) KC_MUST_USE KC_NONNULL(1, 2, 3, 4);

/* Is the service connection alive (binds when needed)? 0 or
 * KC_ERR_UNAVAILABLE. */
int kc_ldap_ping(struct kc_ldap *l) KC_MUST_USE KC_NONNULL(1);

#endif /* KC_LDAP_H */
