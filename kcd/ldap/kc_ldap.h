/*
 * kc_ldap.h: the directory layer of kcd and kcadm (libldap, synchronous
 * calls with timeouts). Nothing outside kcd/ldap/ calls libldap to talk
 * to the server; callers get entries, values and KC_ERR_* from here.
 *
 * A struct kc_ldap is one pair of connections: `svc`, bound as kcd's
 * service DN, for searches and writes; `usr`, used for simple binds as
 * users (and RFC 3062 password changes as the user), so a user bind
 * never changes the identity of the search connection. kcd gives each
 * worker one; kcadm opens one with kc_ldap_open(). Connections are opened
 * in one place (lazily, trying the URIs of ldap_uri in order: failover)
 * and every operation on `svc` runs under one retry policy: a connection
 * found dead is reopened and the operation tried once more; one that
 * timed out is not retried, and neither is an add, a rename, a paged
 * search or an asynchronous start (an add slapd applied before the
 * connection died would come back "taken"; the others belong to the dead
 * connection). A struct kc_ldap belongs to one thread;
 * workers never share one, so one slow LDAP call blocks only its own
 * request.
 *
 * Results are 0 or a negative KC_ERR_*; KC_ERR_UNAVAILABLE means no
 * server answered in time. How an LDAP result code becomes a KC_ERR_* is
 * decided in one place, kc_ldap_err() (the table is there). After a
 * failure kc_ldap_error() gives slapd's result text and diagnostic
 * message, made printable (kcadm shows it). User-facing outcomes of binds
 * are enum kc_ldap_bind_result values. No function logs or keeps a
 * secret.
 *
 * DNs and filters: every DN under ldap_base comes from kc_ldap_dn_*
 * (RFC 4514 escaping by libldap, truncation checked against KC_MAX_DN);
 * values in filters go through kc_ldap_filter_value() (RFC 4515).
 */
#ifndef KC_LDAP_H
#define KC_LDAP_H

#include <stdbool.h>
#include <stddef.h>

#include <time.h>

#include <ldap.h>

#include "kc_attrs.h"
#include "kc_buf.h"
#include "kc_ldap_servers.h"
#include "kc_limits.h"
#include "tan.h"

/* Settings shared by all workers; strings are owned by the caller and must
 * outlive every struct kc_ldap that uses them. */
struct kc_ldap_cfg {
  const char *uri;     /* space-separated list; libldap tries them in
                          order, which gives failover */
  const char *base;    /* ldap_base */
  const char *bind_dn; /* kcd's service DN */
  const char *bind_pw; /* its password (secret) */
  bool starttls;
  const char *ca_file; /* NULL: system default */
  int timeout;         /* seconds, network and operation */
  int retry_after;     /* seconds a failed server is skipped; 0: default */
};

/* Room for a result text plus a diagnostic message. */
#define KC_LDAP_ERR_SIZE 256

/* Entries per page of a paged listing (RFC 2696). */
#define KC_LDAP_PAGE 250

struct kc_ldap {
  const struct kc_ldap_cfg *cfg;
  LDAP *svc;
  LDAP *usr;
  /* the last user bind succeeded without a ppolicy warning, error or
   * must-change (kc_ldap_own_password) */
  bool usr_plain;
  char usr_dn[KC_MAX_DN + 1]; /* whom that bind was for */
  /* the servers of cfg->uri (kc_ldap_servers.h); the index in it of the
   * server each connection is on, and that server's failure count when
   * the connection was opened */
  struct kc_ldap_servers servers;
  bool servers_ok;
  size_t svc_at, usr_at;
  unsigned svc_failures, usr_failures;
  int rc;                     /* LDAP result code of the last failure */
  char err[KC_LDAP_ERR_SIZE]; /* its text, printable; "" after none */
};

/* An entryUUID in its text form (RFC 4530), and the longest
 * kcSessionStamp kcd accepts. */
#define KC_LDAP_UUID_LEN  36
#define KC_LDAP_STAMP_MAX 64

/* What we know of an account after a lookup. */
struct kc_ldap_user {
  char dn[KC_MAX_DN + 1];
  char uid[KC_MAX_USERNAME + 1];
  char mail[KC_MAX_EMAIL + 1];
  char mobile[KC_MAX_PHONE + 1];
  char customer[KC_MAX_CUSTOMER_NUMBER + 1]; /* the first kcCustomerNumber */
  /* every kcCustomerNumber, comma-separated in the order of
   * kc_proto_customer_cmp(): the customers field of a PAM reply. "" with
   * customers_cut set when a value is no customer number or there are
   * more than KC_MAX_ACCOUNT_CUSTOMERS: never a part of them. */
  char customers[KC_MAX_CUSTOMER_LIST + 1];
  bool customers_cut;
  char tan_method[8];            /* "none", "email", "mtan", "totp" */
  char language[4];              /* "de" or "en" */
  char policy_dn[KC_MAX_DN + 1]; /* pwdPolicySubentry, "" for the default */
  char locked_time[32];          /* pwdAccountLockedTime, "" if unset */
  bool must_change;              /* pwdReset: TRUE */
  bool first_login;        /* kcFirstLogin: TRUE (provisioned, unchanged) */
  struct kc_tan_state tan; /* kcTan* attributes */
  char uuid[KC_LDAP_UUID_LEN + 1];   /* entryUUID */
  char role[8];                      /* kcRole: "admin", "user" or "" */
  char stamp[KC_LDAP_STAMP_MAX + 1]; /* kcSessionStamp, "" if unset */
  char pwd_changed[32];              /* pwdChangedTime, "" if unset */
  /* self-service state (kc_ldap_self.c, kc_ldap_reset.c) */
  char new_mail[KC_MAX_EMAIL + 1]; /* kcNewMail, "" if none pending */
  char new_mail_hash[64];          /* kcNewMailHash */
  time_t new_mail_expires;         /* kcNewMailExpires, 0 if unset */
  char reset_hash[64];             /* kcResetHash, "" if no link is open */
  time_t reset_expires;            /* kcResetExpires */
  time_t reset_window;             /* kcResetWindowStart */
  unsigned reset_sends;            /* kcResetSendCount */
  bool reset_sends_set;            /* kcResetSendCount stored (0 too) */
  /* authenticator app and recovery codes (factor.h) */
  bool totp_enrolled;     /* kcTotpSecret present (totp without it: the
                             user must enrol at the next web login) */
  unsigned recovery_left; /* kcRecoveryCode values */
};

enum kc_ldap_bind_result {
  KC_BIND_OK = 0,
  KC_BIND_MUST_CHANGE, /* bind ok, ppolicy changeAfterReset */
  KC_BIND_INVALID,     /* wrong password (slapd counts the failure) */
  KC_BIND_LOCKED,      /* ppolicy accountLocked */
  KC_BIND_EXPIRED,     /* ppolicy passwordExpired */
  KC_BIND_UNAVAILABLE  /* no server, timeout, or other LDAP error */
};

enum kc_ldap_passwd_result {
  KC_PASSWD_OK = 0,
  KC_PASSWD_BAD_OLD,  /* old password wrong */
  KC_PASSWD_REJECTED, /* policy refused the new one; see message */
  KC_PASSWD_LOCKED,
  KC_PASSWD_UNAVAILABLE
};

/* Prepare l; no connection is opened until the first operation. */
void kc_ldap_init(struct kc_ldap *l, const struct kc_ldap_cfg *cfg)
  KC_NONNULL(1, 2);

/* kc_ldap_init() and open the service connection now (kcadm wants to
 * know at once). 0, KC_ERR_INVALID (bad URI or nothing configured),
 * KC_ERR_INTERNAL, KC_ERR_UNAVAILABLE, KC_ERR_PERMISSION (bind refused);
 * kc_ldap_error() says why. */
int kc_ldap_open(struct kc_ldap *l, const struct kc_ldap_cfg *cfg) KC_MUST_USE
  KC_NONNULL(1, 2);

/* Close both connections; safe when not open and twice. */
void kc_ldap_close(struct kc_ldap *l) KC_NONNULL(1);

/* Text of the last failure on l ("" when none). Owned by l. */
const char *kc_ldap_error(const struct kc_ldap *l) KC_NONNULL(1);

/*
 * What an operation's LDAP result code means, by kind of operation. The
 * one map of LDAP results to KC_ERR_*:
 *
 *   result                         READ      LIST/WRITE     special
 *   success                        0         0
 *   serverDown, connectError,      UNAVAILABLE (every kind)
 *     timeout, unavailable, busy,
 *     timeLimitExceeded
 *   noSuchObject                   NOT_FOUND NOT_FOUND      ADD: INVALID
 *                                                           (the parent
 *                                                           is missing)
 *   noSuchAttribute                -         NOT_FOUND      CAS: DUPLICATE
 *                                                           ADD: INVALID
 *   alreadyExists,                 -         DUPLICATE
 *     attributeOrValueExists                                CAS: DUPLICATE
 *                                                           ADD: INVALID
 *                                                           for the latter
 *                                                           (only a taken
 *                                                           name is taken)
 *   constraintViolation            -         INVALID        CAS: DUPLICATE
 *   insufficientAccess,            -         PERMISSION
 *     invalidCredentials,
 *     inappropriateAuth,
 *     strongAuthRequired
 *   sizeLimitExceeded,             INVALID   RANGE
 *     adminLimitExceeded
 *   noMemory                       -         NOMEM
 *   anything else                  UNAVAILABLE INVALID      BIND: PERMISSION
 *
 * READ is a lookup of kcd's (the entry is there, absent, or more than the
 * one or two the caller allows: too many is bad data, anything else means
 * the directory cannot answer now). LIST is kcadm's search, where a size
 * limit cuts a listing short. CAS is a compare-and-swap modify: a value
 * gone or already there means another writer won the race. BIND is the
 * service bind: a refusal is a configuration fault.
 */
enum kc_ldap_op {
  KC_LDAP_OP_BIND,
  KC_LDAP_OP_READ,
  KC_LDAP_OP_LIST,
  KC_LDAP_OP_ADD,
  KC_LDAP_OP_MODIFY,
  KC_LDAP_OP_CAS,
  KC_LDAP_OP_DELETE,
  KC_LDAP_OP_RENAME
};

int kc_ldap_err(enum kc_ldap_op op, int ldap_rc) KC_MUST_USE;

/* Look up an account by login name (validated here with
 * kc_str_is_username; an invalid name is KC_ERR_NOT_FOUND). 0,
 * KC_ERR_NOT_FOUND, KC_ERR_UNAVAILABLE, KC_ERR_INVALID (more than one). */
int kc_ldap_find_user(struct kc_ldap *l, const char *name,
                      struct kc_ldap_user *out) KC_MUST_USE KC_NONNULL(1, 2, 3);

/* Look up an account by one of the attributes that identify it: KC_BY_UUID
 * (entryUUID: the web session), KC_BY_RESET (kcResetHash: a reset link),
 * KC_BY_NEWMAIL (kcNewMailHash: an e-mail confirmation link). Results as
 * kc_ldap_find_user(); a value that cannot be one is KC_ERR_NOT_FOUND. */
enum kc_ldap_user_key { KC_BY_UUID, KC_BY_RESET, KC_BY_NEWMAIL };
/* Is s a UUID in the text form of RFC 4122 (36 characters)? */
bool kc_ldap_uuid_ok(const char *s) KC_NONNULL(1);
int kc_ldap_find_user_by(struct kc_ldap *l, enum kc_ldap_user_key key,
                         const char *value,
                         struct kc_ldap_user *out) KC_MUST_USE
  KC_NONNULL(1, 3, 4);

/* Simple bind as dn with the password-policy request control. */
enum kc_ldap_bind_result kc_ldap_bind_user(struct kc_ldap *l, const char *dn,
                                           const char *password)
  KC_NONNULL(1, 2, 3);

/* What a user bind that slapd checked against the hash has taken lately
 * in this process, in milliseconds (a moving average over every struct
 * kc_ldap); 0 before the first. */
unsigned kc_ldap_bind_typical_ms(void);

/* RFC 3062 password modify bound as the user (ppolicy applies). On
 * KC_PASSWD_REJECTED, msg gets slapd's reason (never a secret). */
enum kc_ldap_passwd_result
kc_ldap_passwd_user(struct kc_ldap *l, const char *dn, const char *oldpw,
                    const char *newpw, char *msg, size_t msglen)
  KC_NONNULL(1, 2, 3, 4, 5);

/* The same change on the user connection that kc_ldap_bind_user() has
 * just bound as dn with oldpw (no second bind, so no second argon2 work
 * in slapd); KC_PASSWD_UNAVAILABLE when that connection is gone. */
enum kc_ldap_passwd_result
kc_ldap_passwd_bound(struct kc_ldap *l, const char *dn, const char *oldpw,
                     const char *newpw, char *msg, size_t msglen)
  KC_NONNULL(1, 2, 3, 4, 5);

/*
 * Hash upgrades (DESIGN §14, kcd/auth/rehash.c).
 *
 * kc_ldap_own_password: the userPassword value of dn, read on the user
 * connection right after kc_ldap_bind_user(dn) answered KC_BIND_OK without
 * a ppolicy warning: acl.ldif lets an account read its own hash (nothing
 * else of its entry), never kcd's service DN. Into out (cap bytes, NUL
 * terminated; a value with a NUL ends there, as slapd 2.5's own argon2
 * module pads its hashes), the number of values in *nvalues. 0;
 * KC_ERR_PERMISSION (the entry shows no userPassword, or slapd refuses:
 * an acl.ldif from before); KC_ERR_NOT_FOUND (no entry: an acl.ldif from
 * before, or the entry went); KC_ERR_INVALID (no such bind just before);
 * KC_ERR_TOO_LARGE (out has the value's beginning); KC_ERR_UNAVAILABLE.
 * Wipe out after use.
 *
 * kc_ldap_rehash_state: what an upgrade must check first, read on the
 * service connection: pwdChangedTime, which ppolicy attributes the modify
 * would delete are present, and the pwdMinAge of policy_dn ("" for the
 * default policy). 0, KC_ERR_NOT_FOUND, KC_ERR_INVALID (a value too long),
 * KC_ERR_UNAVAILABLE.
 *
 * kc_ldap_password_rehash: replace dn's password, password (just bound),
 * by hash, the same password hashed anew, on the service connection in
 * one modify with the Relax control: delete userPassword "password" (so
 * slapd checks it is still the password), add hash, and keep
 * pwdChangedTime and pwdHistory as they are (acl.ldif gives kcd manage on
 * pwdChangedTime and =mw on pwdHistory), under an assertion that
 * pwdChangedTime is still st's and that none of the attributes ppolicy
 * deletes on a password change (pwdAccountLockedTime, pwdReset,
 * pwdFailureTime, pwdGraceUseTime, pwdLastSuccess) has come since. 0;
 * KC_ERR_DUPLICATE when the entry changed meanwhile; KC_ERR_PERMISSION
 * when slapd refuses kcd the write or the control (an acl.ldif from
 * before); KC_ERR_INVALID for another refusal of this account's (a
 * policy's constraint); KC_ERR_UNAVAILABLE. The reason is in
 * kc_ldap_error().
 */
struct kc_ldap_rehash_state {
  char pwd_changed[32]; /* pwdChangedTime, "" if unset */
  bool locked;          /* pwdAccountLockedTime */
  bool reset;           /* pwdReset: TRUE */
  bool failures;        /* pwdFailureTime */
  bool grace;           /* pwdGraceUseTime */
  bool last_success;    /* pwdLastSuccess (slapd's olcLastBind) */
  long min_age;         /* the policy's pwdMinAge, 0 if none */
};
int kc_ldap_own_password(struct kc_ldap *l, const char *dn, char *out,
                         size_t cap, size_t *nvalues) KC_MUST_USE
  KC_NONNULL(1, 2, 3, 5);
int kc_ldap_rehash_state(struct kc_ldap *l, const char *dn,
                         const char *policy_dn,
                         struct kc_ldap_rehash_state *st) KC_MUST_USE
  KC_NONNULL(1, 2, 3, 4);
int kc_ldap_password_rehash(struct kc_ldap *l, const char *dn,
                            const struct kc_ldap_rehash_state *st,
                            const char *password, const char *hash) KC_MUST_USE
  KC_NONNULL(1, 2, 3, 4, 5);

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
                      const struct kc_tan_state *cur,
                      const struct kc_tan_state *s) KC_MUST_USE
  KC_NONNULL(1, 2, 3, 4);

/* Count a try against the TAN in s (as just read): kcTanTries from
 * s->tries to + 1 and kcTanFailures from s->failures to + 1, in one
 * modify that deletes the exact old values and the TAN's hash and adds
 * the new ones (the hash unchanged). KC_ERR_DUPLICATE when anything
 * changed since s was read: read again and retry. */
int kc_ldap_tan_count_try(struct kc_ldap *l, const char *dn,
                          const struct kc_tan_state *s) KC_MUST_USE
  KC_NONNULL(1, 2, 3);

/* Consume the TAN of s, whose try was counted (s->tries is the counted
 * value): deletes exactly that hash and that kcTanTries value, and resets
 * kcTanFailures. KC_ERR_DUPLICATE when either changed (another request
 * consumed it, or counted a try meanwhile). */
int kc_ldap_tan_consume(struct kc_ldap *l, const char *dn,
                        const struct kc_tan_state *s) KC_MUST_USE
  KC_NONNULL(1, 2, 3);

/* Lock the account until an administrator unlocks it
 * (pwdAccountLockedTime KC_LDAP_LOCK_FOREVER), void its open TAN and end
 * its web sessions (a new kcSessionStamp). */
int kc_ldap_lock(struct kc_ldap *l, const char *dn) KC_MUST_USE
  KC_NONNULL(1, 2);

struct kc_ldap_mods;
/* The modifications that void the open TAN (not the send-rate
 * bookkeeping), for a modify that does more. */
void kc_ldap_tan_clear_mods(struct kc_ldap_mods *m) KC_NONNULL(1);

/* Remove the open TAN (not the send-rate bookkeeping). */
int kc_ldap_tan_clear(struct kc_ldap *l, const char *dn) KC_MUST_USE
  KC_NONNULL(1, 2);

/* ------------------------------------- authenticator app, recovery codes */

/* Recovery-code hashes read from one account at most; more is bad data. */
#define KC_LDAP_MAX_RECOVERY 32

/* What an account entry holds about its app and recovery codes
 * (kc_ldap_factor.c; the rules are in factor.h). */
struct kc_ldap_factor {
  char sealed[128];   /* kcTotpSecret as stored, "" when none */
  uint64_t last_step; /* kcTotpLastStep */
  bool last_step_set;
  unsigned failures; /* kcTanFailures */
  bool failures_set;
  time_t failed_at;    /* kcFactorFailedAt, 0 if unset */
  unsigned recovery_n; /* kcRecoveryCode values */
  char recovery[KC_LDAP_MAX_RECOVERY][65];
};

/* Read it afresh. 0, KC_ERR_NOT_FOUND, KC_ERR_UNAVAILABLE, KC_ERR_INVALID
 * (a value of the wrong shape, or too many). */
int kc_ldap_factor_read(struct kc_ldap *l, const char *dn,
                        struct kc_ldap_factor *out) KC_MUST_USE
  KC_NONNULL(1, 2, 3);

/* Count a wrong-or-not-yet-compared app or recovery code: kcTanFailures
 * from s->failures to + 1 (deleting the exact old value) and
 * kcFactorFailedAt = now. KC_ERR_DUPLICATE when kcTanFailures changed
 * since s was read. */
int kc_ldap_factor_count(struct kc_ldap *l, const char *dn,
                         const struct kc_ldap_factor *s, time_t now) KC_MUST_USE
  KC_NONNULL(1, 2, 3);

/* Accept an app code of step (> s->last_step) checked against the secret
 * s->sealed: kcTotpLastStep from the exact old value to step, kcTanFailures
 * and kcFactorFailedAt removed, on the condition that kcTotpSecret is
 * still s->sealed. KC_ERR_DUPLICATE when either changed meanwhile
 * (another kcd took a code, or the app was replaced): read again. */
int kc_ldap_totp_accept(struct kc_ldap *l, const char *dn,
                        const struct kc_ldap_factor *s,
                        uint64_t step) KC_MUST_USE KC_NONNULL(1, 2, 3);

/* Use up the recovery code whose stored hash is hash: that value
 * deleted, kcTanFailures and kcFactorFailedAt removed, the open TAN
 * voided. KC_ERR_DUPLICATE when the value is gone (used meanwhile). */
int kc_ldap_recovery_use(struct kc_ldap *l, const char *dn,
                         const char *hash) KC_MUST_USE KC_NONNULL(1, 2, 3);

/* Enrolment, in one modify: kcTotpSecret = sealed, kcTotpLastStep = step,
 * kcTanMethod totp, kcFirstLogin kept as it is; hashes (NULL-terminated,
 * NULL: leave the recovery codes alone) replace every kcRecoveryCode;
 * the open TAN, kcTanFailures and kcFactorFailedAt go. */
int kc_ldap_totp_set(struct kc_ldap *l, const char *dn, const char *sealed,
                     uint64_t step, const char *const *hashes) KC_MUST_USE
  KC_NONNULL(1, 2, 3);

/* Replace every kcRecoveryCode with hashes (NULL-terminated; empty:
 * none left). */
int kc_ldap_recovery_set(struct kc_ldap *l, const char *dn,
                         const char *const *hashes) KC_MUST_USE
  KC_NONNULL(1, 2, 3);

/* GeneralizedTime ("YYYYMMDDHHMMSS[.f]Z") to epoch seconds and back. */
int kc_ldap_parse_time(const char *s, time_t *out) KC_MUST_USE KC_NONNULL(1, 2);
void kc_ldap_format_time(time_t t, char out[16]) KC_NONNULL(2);

/* ------------------------------------------------ registration and accounts */

/* Customer numbers one account or invitation may hold (kcadm and the
 * pages read at most this many). */
#define KC_LDAP_MAX_CUSTOMERS 16

/* A pending registration (ou=registrations): a customer's own, or a main
 * user's invitation (invited_by set). */
struct kc_ldap_registration {
  char dn[KC_MAX_DN + 1];
  char customer[KC_MAX_CUSTOMER_NUMBER + 1]; /* the first of customers */
  char mail[KC_MAX_EMAIL + 1];
  char language[4];
  time_t expires;
  /* invitations: the role and customers the new account gets, the
   * names the main user gave, and the inviter's entryUUID */
  char role[8];
  char invited_by[KC_LDAP_UUID_LEN + 1];
  char first_name[KC_MAX_NAME + 1];
  char last_name[KC_MAX_NAME + 1];
  char customers[KC_LDAP_MAX_CUSTOMERS][KC_MAX_CUSTOMER_NUMBER + 1];
  size_t n_customers;
  /* an activation claimed the token (kcTokenHash "used:HASH") and, with
   * this version, said when and for which user name (kcActivationClaim
   * "UNIXTIME UID"; claim_time 0 and claim_uid "" when absent) */
  bool used;
  time_t claim_time;
  char claim_uid[KC_MAX_USERNAME + 1];
};

/* The longest kcActivationClaim value: "UNIXTIME UID". */
#define KC_LDAP_CLAIM_MAX (20 + 1 + KC_MAX_USERNAME)

/* A new account as the activation page or kcadm creates it. NULL and ""
 * mean "absent" for the optional ones. */
struct kc_ldap_new_account {
  const char *uid;
  const char *customer;
  const char *const *customers; /* all of them (NULL: customer alone) */
  const char *password_hash;    /* "{ARGON2}$argon2id$..." */
  const char *tan_method;       /* none | email | mtan; optional */
  const char *role;             /* admin | user */
  const char *salutation;       /* personalTitle; optional */
  const char *first_name;       /* optional */
  const char *last_name;        /* optional: sn is then the uid */
  const char *mail;
  const char *mobile;   /* E.164; optional */
  const char *language; /* de | en; optional */
  bool first_login;     /* kcFirstLogin: TRUE (kcadm provisioning) */
  bool must_change;     /* pwdReset: TRUE (a temporary password) */
};

/* A customer as a registration reads it: where its entry is, its
 * master-data contact address, and its activation-mail counters. The
 * counters live in LDAP so that the cap holds across several kcd. */
struct kc_ldap_customer {
  char dn[KC_MAX_DN + 1];
  char mail[KC_MAX_EMAIL + 1];
  time_t reg_window;  /* kcRegWindowStart; 0: none yet */
  unsigned reg_sends; /* kcRegSendCount */
  bool reg_sends_set; /* kcRegSendCount is stored (0 is a value) */
};

/* The customer of a number. 0, KC_ERR_NOT_FOUND, KC_ERR_INVALID (a value
 * kcd cannot read), KC_ERR_UNAVAILABLE. */
int kc_ldap_customer_find(struct kc_ldap *l, const char *number,
                          struct kc_ldap_customer *out) KC_MUST_USE
  KC_NONNULL(1, 2, 3);

/* Store c's activation-mail counters as window and sends, on condition
 * that they are still those of c: 0, KC_ERR_DUPLICATE when another kcd
 * counted meanwhile (read again), or another error. */
int kc_ldap_customer_count_mail(struct kc_ldap *l,
                                const struct kc_ldap_customer *c, time_t window,
                                unsigned sends) KC_MUST_USE KC_NONNULL(1, 2);

/* Add a registration (after deleting every older one of the same customer,
 * which voids their links). */
int kc_ldap_registration_add(struct kc_ldap *l, const char *id,
                             const char *token_hash, time_t expires,
                             const char *customer, const char *mail,
                             const char *language) KC_MUST_USE
  KC_NONNULL(1, 2, 3, 5, 6, 7);

/* Find the registration whose token hash is token_hash, open or claimed
 * ("used:" token_hash; out->used then). 0, KC_ERR_NOT_FOUND,
 * KC_ERR_UNAVAILABLE. */
int kc_ldap_registration_find(struct kc_ldap *l, const char *token_hash,
                              struct kc_ldap_registration *out) KC_MUST_USE
  KC_NONNULL(1, 2, 3);

/* Claim the registration at dn for an activation as uid at now: its token
 * hash becomes "used:" hash and kcActivationClaim says when and for whom,
 * in one modify that fails (KC_ERR_NOT_FOUND) when hash is no longer
 * there: of two concurrent claims, one wins. A directory without
 * kcActivationClaim (an older schema) gets the claim without it. */
int kc_ldap_registration_claim(struct kc_ldap *l, const char *dn,
                               const char *hash, const char *uid,
                               time_t now) KC_MUST_USE KC_NONNULL(1, 2, 3, 4);

/* Undo the claim reg holds (as read): the token hash back to hash, the
 * claim gone. Fails (KC_ERR_NOT_FOUND) when another kcd did it first. */
int kc_ldap_registration_release(struct kc_ldap *l,
                                 const struct kc_ldap_registration *reg,
                                 const char *hash) KC_MUST_USE
  KC_NONNULL(1, 2, 3);

/* Delete the entry at dn (KC_LDAP_OP_DELETE: KC_ERR_NOT_FOUND when it is
 * not there). */
int kc_ldap_delete(struct kc_ldap *l, const char *dn) KC_MUST_USE
  KC_NONNULL(1, 2);

/* Is uid taken by any entry under ldap_base? 0 (free), KC_ERR_DUPLICATE,
 * KC_ERR_UNAVAILABLE. */
int kc_ldap_uid_free(struct kc_ldap *l, const char *uid) KC_MUST_USE
  KC_NONNULL(1, 2);

/* Add uid=UID,ou=accounts,<base> as kc_ldap_account_mods() builds it
 * (cn "First Last", or whichever there is, or the uid).
 * KC_ERR_DUPLICATE when it exists. */
int kc_ldap_account_add(struct kc_ldap *l,
                        const struct kc_ldap_new_account *a) KC_MUST_USE
  KC_NONNULL(1, 2);

/* Set the TAN method (and the mobile number when mobile is not NULL),
 * and drop kcFirstLogin. "none" removes the recovery codes; any method
 * but "totp" removes the app's secret
 * and last step; "totp" keeps an enrolled app (kc_ldap_totp_set stores
 * an enrolment; kcadm set-tan USER totp removes it for a new one). */
int kc_ldap_set_tan_method(struct kc_ldap *l, const char *dn,
                           const char *method, const char *mobile) KC_MUST_USE
  KC_NONNULL(1, 2, 3);

/* Rename uid=OLD,... to uid=NEW (modrdn; entryUUID stays). newdn gets the
 * new DN. KC_ERR_DUPLICATE when NEW is taken. */
int kc_ldap_rename(struct kc_ldap *l, const char *dn, const char *newuid,
                   char *newdn, size_t newdnlen) KC_MUST_USE
  KC_NONNULL(1, 2, 3, 4);

/* Is the service connection alive (binds when needed)? 0 or
 * KC_ERR_UNAVAILABLE. */
int kc_ldap_ping(struct kc_ldap *l) KC_MUST_USE KC_NONNULL(1);
/* The URI of the server the service connection is on, NULL when none is
 * open (after kc_ldap_ping: the one that answered). */
const char *kc_ldap_server_in_use(const struct kc_ldap *l) KC_NONNULL(1);
/* Append one line per server of ldap_uri, "URI up" or "URI down" (down:
 * skipped after a failure, kc_ldap_servers.h). 0 or the kc_buf error. */
int kc_ldap_servers_state(const struct kc_ldap *l,
                          struct kc_buf *out) KC_MUST_USE KC_NONNULL(1, 2);

/* ------------------------------------------------------------ DNs */

/* The containers under ldap_base. */
enum kc_ldap_container {
  KC_LDAP_ACCOUNTS,      /* ou=accounts */
  KC_LDAP_CUSTOMERS,     /* ou=customers */
  KC_LDAP_REGISTRATIONS, /* ou=registrations */
  KC_LDAP_POLICIES       /* ou=policies */
};

/* "attr=value" into out (initialised here with cap KC_MAX_DN), the value
 * escaped as RFC 4514 says (libldap's ldap_dn2str). 0, KC_ERR_TOO_LARGE,
 * KC_ERR_NOMEM or KC_ERR_INVALID (empty or not UTF-8). */
int kc_ldap_dn_rdn(struct kc_buf *out, const char *attr,
                   const char *value) KC_MUST_USE KC_NONNULL(1, 2, 3);

/* "ou=NAME,<base>" into out (initialised here with cap KC_MAX_DN). 0,
 * KC_ERR_TOO_LARGE (out is then empty), KC_ERR_NOMEM. */
int kc_ldap_dn_container(struct kc_buf *out, const char *base,
                         enum kc_ldap_container c) KC_MUST_USE KC_NONNULL(1, 2);

/* "attr=value,ou=NAME,<base>" into out (initialised here with cap
 * KC_MAX_DN), the value escaped as kc_ldap_dn_rdn() does. Errors as
 * there; nothing half-built is left in out. */
int kc_ldap_dn_entry(struct kc_buf *out, const char *base,
                     enum kc_ldap_container c, const char *attr,
                     const char *value) KC_MUST_USE KC_NONNULL(1, 2, 4, 5);

/* Append value to out escaped for a search filter (RFC 4515,
 * ldap_bv2escaped_filter_value). 0 or the kc_buf errors. */
int kc_ldap_filter_value(struct kc_buf *out, const char *value) KC_MUST_USE
  KC_NONNULL(1, 2);

/* ------------------------------------------------ modification lists */

/* Up to KC_LDAP_MODS modifications, each with at most two values or a
 * caller's NULL-terminated list; nothing is copied: the strings must
 * outlive the list. */
#define KC_LDAP_MODS 20

struct kc_ldap_mods {
  LDAPMod ms_mod[KC_LDAP_MODS];
  LDAPMod *ms_ptr[KC_LDAP_MODS + 1]; /* NULL-terminated: give this */
  char *ms_val[KC_LDAP_MODS][3];
  size_t ms_n;
};

void kc_ldap_mods_init(struct kc_ldap_mods *m) KC_NONNULL(1);
/* op is LDAP_MOD_ADD, LDAP_MOD_REPLACE or LDAP_MOD_DELETE; v1 NULL means
 * no values (a replace then removes the attribute if present). More than
 * KC_LDAP_MODS is a programming error (fatal). */
void kc_ldap_mods_add(struct kc_ldap_mods *m, int op, const char *type,
                      const char *v1, const char *v2) KC_NONNULL(1, 3);
/* The same with the values of a NULL-terminated list. */
void kc_ldap_mods_add_list(struct kc_ldap_mods *m, int op, const char *type,
                           const char *const *vals) KC_NONNULL(1, 3, 4);

/* Replace attr, whose value as read was old (absent when have is false),
 * by val: delete exactly old, then add val. In a compare-and-swap modify
 * (kc_ldap_modify_cas) it fails when another writer changed attr. */
void kc_ldap_mods_swap(struct kc_ldap_mods *m, const char *attr, bool have,
                       const char *old, const char *val) KC_NONNULL(1, 2, 4, 5);

/* The entry of a new account as kc_ldap_account_add() writes it. */
int kc_ldap_account_mods(struct kc_ldap_mods *m,
                         const struct kc_ldap_new_account *a,
                         struct kc_buf *cn) KC_MUST_USE KC_NONNULL(1, 2, 3);

/* ------------------------------------------------ general operations */

/*
 * Search on the service connection and hand the whole answer to *res
 * (free with kc_ldap_msgfree()). sizelimit 0 is the server's limit.
 * Results as KC_LDAP_OP_LIST: an answer cut short by a size limit is
 * KC_ERR_RANGE, *res keeping what came; a missing base is
 * KC_ERR_NOT_FOUND.
 */
int kc_ldap_search(struct kc_ldap *l, const char *base, int scope,
                   const char *filter, const char *const *attrs, int sizelimit,
                   LDAPMessage **res) KC_MUST_USE KC_NONNULL(1, 2, 4, 7);

/* A paged search (KC_LDAP_PAGE entries a page), calling fn once per entry
 * in the order the server sends them; a non-zero return of fn stops the
 * search and is returned. KC_ERR_RANGE when the server's size limit for
 * the service DN stops it (slapd's default is 500 entries, paged or not;
 * olcLimits for the DN lifts it). */
int kc_ldap_search_each(struct kc_ldap *l, const char *base, int scope,
                        const char *filter, const char *const *attrs,
                        int (*fn)(struct kc_ldap *l, LDAPMessage *entry,
                                  void *arg),
                        void *arg) KC_MUST_USE KC_NONNULL(1, 2, 4, 6);

void kc_ldap_msgfree(LDAPMessage *res);

/* The first entry of res, the next one, and an entry's DN (freshly
 * allocated: free with kc_ldap_memfree; NULL on failure). */
LDAPMessage *kc_ldap_first(struct kc_ldap *l, LDAPMessage *res) KC_NONNULL(1);
LDAPMessage *kc_ldap_next(struct kc_ldap *l, LDAPMessage *entry) KC_NONNULL(1);
char *kc_ldap_entry_dn(struct kc_ldap *l, LDAPMessage *entry) KC_NONNULL(1, 2);
void kc_ldap_memfree(void *p);

/*
 * The first value of attr in entry, copied into out (outlen bytes, NUL
 * terminated): 0, KC_ERR_NOT_FOUND when absent (out is ""), or
 * KC_ERR_TOO_LARGE / KC_ERR_INVALID (embedded NUL) with out "".
 */
int kc_ldap_get(struct kc_ldap *l, LDAPMessage *entry, const char *attr,
                char *out, size_t outlen) KC_NONNULL(1, 2, 3, 4);

/* All values of attr (NULL-terminated array of NUL-terminated strings;
 * values with an embedded NUL are left out). NULL when absent. Free with
 * kc_ldap_values_free(). */
char **kc_ldap_values(struct kc_ldap *l, LDAPMessage *entry, const char *attr)
  KC_NONNULL(1, 2, 3);
void kc_ldap_values_free(char **v);

/* Synchronous writes on the service connection; mods is NULL-terminated.
 * Results as KC_LDAP_OP_ADD and KC_LDAP_OP_MODIFY. (kc_ldap_delete() is
 * above.) */
int kc_ldap_add(struct kc_ldap *l, const char *dn, LDAPMod **mods) KC_MUST_USE
  KC_NONNULL(1, 2, 3);
int kc_ldap_modify(struct kc_ldap *l, const char *dn,
                   LDAPMod **mods) KC_MUST_USE KC_NONNULL(1, 2, 3);
/* modrdn to newrdn under the same parent, deleting the old RDN value. */
int kc_ldap_rename_rdn(struct kc_ldap *l, const char *dn,
                       const char *newrdn) KC_MUST_USE KC_NONNULL(1, 2, 3);

/*
 * Asynchronous writes for bulk work: start an add, or a modify guarded by
 * an RFC 4528 assertion filter (NULL: none), and get its message id in
 * *msgid. A start is not retried on a new connection (the answers of the
 * others would be lost with the old one). kc_ldap_wait() then waits (at
 * most the timeout) for any one outstanding answer and gives its message
 * id and LDAP result code. Return values as above; the per-operation
 * outcome is *ldap_rc.
 */
int kc_ldap_add_start(struct kc_ldap *l, const char *dn, LDAPMod **mods,
                      int *msgid) KC_MUST_USE KC_NONNULL(1, 2, 3, 4);
int kc_ldap_modify_start(struct kc_ldap *l, const char *dn, LDAPMod **mods,
                         const char *assertion, int *msgid) KC_MUST_USE
  KC_NONNULL(1, 2, 3, 5);
int kc_ldap_wait(struct kc_ldap *l, int *msgid, int *ldap_rc, char *diag,
                 size_t diaglen) KC_MUST_USE KC_NONNULL(1, 2, 3);

/* A compare-and-swap modify (KC_LDAP_OP_CAS): deletes exact values it
 * read; KC_ERR_DUPLICATE when another writer changed them first. */
int kc_ldap_modify_cas(struct kc_ldap *l, const char *dn,
                       LDAPMod **mods) KC_MUST_USE KC_NONNULL(1, 2, 3);

/* ------------------------------------------- self-service (kc_ldap_self.c) */

/* Replace the account's kcSessionStamp by stamp: every web session of the
 * account ends (session.h). */
int kc_ldap_set_stamp(struct kc_ldap *l, const char *dn,
                      const char *stamp) KC_MUST_USE KC_NONNULL(1, 2, 3);

/* A new address waits for its confirmation link: kcNewMail, its token
 * hash and expiry replace any earlier pending one (whose link dies).
 * mail "": nothing is pending any more. */
int kc_ldap_newmail_set(struct kc_ldap *l, const char *dn, const char *mail,
                        const char *hash, time_t expires) KC_MUST_USE
  KC_NONNULL(1, 2, 3, 4);

/* The link of u's pending address was followed: mail becomes
 * u->new_mail, in one modify that deletes exactly u->new_mail_hash (of two
 * clicks, one wins: KC_ERR_DUPLICATE for the other). */
int kc_ldap_newmail_confirm(struct kc_ldap *l,
                            const struct kc_ldap_user *u) KC_MUST_USE
  KC_NONNULL(1, 2);

/* What the account page shows beyond struct kc_ldap_user. */
struct kc_ldap_details {
  char salutation[32];
  char first_name[KC_MAX_NAME + 1];
  char last_name[KC_MAX_NAME + 1];
  size_t n_customers;
  struct {
    char number[KC_MAX_CUSTOMER_NUMBER + 1];
    char name[KC_MAX_NAME + 1]; /* the customer's o, "" if none */
  } customers[KC_LDAP_MAX_CUSTOMERS];
};

/* Names and every customer number (with the customer's name) of the
 * account at dn. 0, KC_ERR_NOT_FOUND, KC_ERR_UNAVAILABLE. */
int kc_ldap_account_details(struct kc_ldap *l, const char *dn,
                            struct kc_ldap_details *out) KC_MUST_USE
  KC_NONNULL(1, 2, 3);

/* ---------------------------------- the practice's users (kc_ldap_users.c) */

/* An account as the main user's list shows it. */
struct kc_ldap_member {
  char dn[KC_MAX_DN + 1];
  char uid[KC_MAX_USERNAME + 1];
  char uuid[KC_LDAP_UUID_LEN + 1];
  char first_name[KC_MAX_NAME + 1];
  char last_name[KC_MAX_NAME + 1];
  char mail[KC_MAX_EMAIL + 1];
  char role[8];
  char tan_method[8];
  bool locked; /* pwdAccountLockedTime set */
  /* ... for good, by customer service or after wrong TANs: not a main
   * user's to lift (a lock of a main user's has kcLockedBy, ppolicy's a
   * time) */
  bool locked_by_service;
  char customers[KC_LDAP_MAX_CUSTOMERS][KC_MAX_CUSTOMER_NUMBER + 1];
  size_t n_customers;
};

/* An open invitation. */
struct kc_ldap_invitation {
  char dn[KC_MAX_DN + 1];
  char id[64];
  char mail[KC_MAX_EMAIL + 1];
  char role[8];
  time_t expires;
  char customers[KC_LDAP_MAX_CUSTOMERS][KC_MAX_CUSTOMER_NUMBER + 1];
  size_t n_customers;
};

/* A new invitation: a kcRegistration that names the inviter, the role
 * and every customer number the new account gets. */
struct kc_ldap_invite {
  const char *id, *token_hash, *mail, *language, *role, *invited_by;
  const char *first_name, *last_name; /* "" for none */
  const char *const *customers;       /* NULL-terminated, at least one */
  time_t expires;
};

/* The accounts (out[0..*count), at most max; *more when there were more)
 * that hold any of the n customer numbers. 0 or KC_ERR_*. */
int kc_ldap_members(struct kc_ldap *l, const char *const *customers, size_t n,
                    struct kc_ldap_member *out, size_t max, size_t *count,
                    bool *more) KC_MUST_USE KC_NONNULL(1, 2, 4, 6, 7);

/* The invitations (expired ones too: the caller shows or counts them)
 * for any of the n customer numbers. */
int kc_ldap_invitations(struct kc_ldap *l, const char *const *customers,
                        size_t n, struct kc_ldap_invitation *out, size_t max,
                        size_t *count, bool *more) KC_MUST_USE
  KC_NONNULL(1, 2, 4, 6, 7);

/* Add an invitation (it leaves the customer's registrations alone, and
 * kc_ldap_registration_add() leaves invitations alone). */
int kc_ldap_invitation_add(struct kc_ldap *l,
                           const struct kc_ldap_invite *v) KC_MUST_USE
  KC_NONNULL(1, 2);

/* Delete every invitation that the account with entryUUID inviter_uuid
 * sent (a main user locked or deleted: its invitations go with it). */
int kc_ldap_invitations_drop(struct kc_ldap *l,
                             const char *inviter_uuid) KC_MUST_USE
  KC_NONNULL(1, 2);

/* Take the lease on customer number's entry until `until` (kcAdminLock):
 * 0, KC_ERR_DUPLICATE while another holds an unexpired one (or took it
 * at the same moment), KC_ERR_NOT_FOUND when there is no such customer.
 * Changes that could leave a customer without a main user run under it,
 * so two of them cannot both see "another main user is left". Release
 * with the same `until`. */
int kc_ldap_customer_lease(struct kc_ldap *l, const char *number, time_t now,
                           time_t until) KC_MUST_USE KC_NONNULL(1, 2);
int kc_ldap_customer_release(struct kc_ldap *l, const char *number,
                             time_t until) KC_MUST_USE KC_NONNULL(1, 2);

/* ------------------------------------------ password reset (kc_ldap_reset.c)
 */

/* At most this many accounts get a reset mail for one address: a
 * practice shares an address among its staff, but not among hundreds. */
#define KC_LDAP_RESET_MAX_ACCOUNTS 16

/* The user names of the accounts whose mail is addr (slapd's matching
 * rule: case does not count), at most max of them into uids, *n of them.
 * 0 (*n may be 0), KC_ERR_UNAVAILABLE; more than max is not an error:
 * the first max count. */
int kc_ldap_reset_by_mail(struct kc_ldap *l, const char *addr,
                          char uids[][KC_MAX_USERNAME + 1], size_t max,
                          size_t *n) KC_MUST_USE KC_NONNULL(1, 2, 3, 5);

/* Open a reset link for u: kcResetHash (hash) and kcResetExpires replace
 * any earlier link, and the per-account send counters go from u's
 * (reset_window, reset_sends, as read) to window and sends, in one
 * compare-and-swap modify: KC_ERR_DUPLICATE when another kcd counted a
 * mail meanwhile (then nothing changed). */
int kc_ldap_reset_open(struct kc_ldap *l, const struct kc_ldap_user *u,
                       const char *hash, time_t expires, time_t window,
                       unsigned sends) KC_MUST_USE KC_NONNULL(1, 2, 3);

/* Take back the link with hash (its mail was not delivered): hash and
 * expiry removed, only if hash is still the open link (a newer link stays;
 * then KC_ERR_DUPLICATE). The send counters stay as counted. */
int kc_ldap_reset_void(struct kc_ldap *l, const char *dn,
                       const char *hash) KC_MUST_USE KC_NONNULL(1, 2, 3);

/*
 * Finish the reset of u (as read with its link, u->reset_hash) in one
 * compare-and-swap modify: the link's hash deleted by its exact value (of
 * two browsers with the same link only one wins; the other gets
 * KC_ERR_DUPLICATE) with its expiry; userPassword replaced by
 * password_hash ("{ARGON2}..."; kcd writes it without manage rights, so
 * ppolicy treats it as the user's own change: history kept, pwdFailureTime
 * cleared); a ppolicy lock removed by its exact value (an administrator's
 * lock set meanwhile makes the modify fail instead); pwdReset and
 * kcFirstLogin removed; the open TAN and kcTanFailures voided; and
 * kcSessionStamp replaced by stamp, which ends every web session.
 */
int kc_ldap_reset_finish(struct kc_ldap *l, const struct kc_ldap_user *u,
                         const char *password_hash,
                         const char *stamp) KC_MUST_USE KC_NONNULL(1, 2, 3, 4);

#endif /* KC_LDAP_H */
