/*
 * factor.h: the answer to "your second factor, please", whatever the
 * account's method (DESIGN §12): a TAN (email, mtan: tanflow.h), a code
 * of the authenticator app (totp) or, for every method, one of the
 * account's recovery codes. The PAM socket (handler.c) and the web pages
 * (login, reset, account, credentials) all take answers here, so one
 * account has one count of wrong answers whichever door they come in by.
 *
 * Which kind an answer is follows from its shape: KC_RECOVERY_CHARS
 * characters of the recovery alphabet (dashes, blanks, lower case
 * allowed) are a recovery code; anything else goes to the account's
 * method. TANs are 6 to 8 digits and recovery codes never fewer than 10
 * characters, so no answer is both.
 *
 * Counting. A TAN's tries are counted as tanflow.h says. An app or
 * recovery code is counted on the account before it is compared, by one
 * conditional modify of kcTanFailures (and kcFactorFailedAt), read
 * afresh: once tan_max_tries of them are wrong, the next one is taken
 * only five minutes after the last wrong one (KC_FACTOR_PAUSE), and at
 * tan_max_failures the account is locked like after wrong TANs.
 *
 * Replay. An app code passes only for a time step after kcTotpLastStep,
 * stored by one modify that deletes the old value: of two kcd that took
 * the same code at once, one wins and the other answers WRONG. A
 * recovery code is used up by deleting exactly its hash: the same.
 */
#ifndef KC_FACTOR_H
#define KC_FACTOR_H

#include <stdbool.h>
#include <stddef.h>

#include "kc_attrs.h"
#include "kc_ldap.h"
#include "tanflow.h"
#include "totp.h"

/* Seconds a wrong app or recovery code blocks the next one once
 * tan_max_tries of them are wrong in a row (DESIGN §12: five minutes). */
#define KC_FACTOR_PAUSE 300

/* Label of the ticket that an AUTH of a totp account hands out as its
 * challenge (proof.h): the TAN request shows it to prove that the
 * password was right a moment ago. Valid tan_ttl seconds. */
#define KC_FACTOR_TOTP_TICKET "kc-totp-ticket-v1"

enum kc_factor_kind {
  KC_FACTOR_NONE,     /* nothing passed */
  KC_FACTOR_TAN,      /* a TAN by mail or SMS */
  KC_FACTOR_TOTP,     /* a code of the authenticator app */
  KC_FACTOR_RECOVERY  /* a recovery code, now used up */
};

/* What passed, for the caller's log line and pages. */
struct kc_factor_result {
  enum kc_factor_kind kind;
  unsigned recovery_left; /* KC_FACTOR_RECOVERY: codes left after it */
};

/* Is answer shaped like a recovery code (not a TAN or an app code)? */
bool kc_factor_is_recovery(const char *answer) KC_NONNULL(1);

/* Is s exactly a recovery code in its shown form, "7KQ2-M9XD-4F" (either
 * case)? The form tan=inline recognises at the end of a password. */
bool kc_factor_is_recovery_shown(const char *s) KC_NONNULL(1);

/*
 * Take answer for u, whose password was right (now, or in the AUTH that
 * handed out challenge). challenge: the TAN challenge for email/mtan
 * accounts (NULL: whatever TAN is open, for tan=inline); not used for
 * app and recovery codes, whose callers check their own tickets.
 *
 * Returns what kc_tanflow_answer returns: RIGHT (and *res says what
 * passed; a recovery code also mails its owner the number left), WRONG,
 * MAXTRIES (wrong ones in a row used up: for app and recovery codes, try
 * again after KC_FACTOR_PAUSE), DEAD (TAN: none open; totp: no secret
 * enrolled), LOCKED, ERROR (LDAP trouble), BROKEN (a kcTotpSecret that
 * does not open: logged, nothing counted or changed).
 */
enum kc_tanflow_answer kc_factor_answer(const struct kc_tanflow *f,
                                        struct kc_ldap *l,
                                        const struct kc_ldap_user *u,
                                        const char *challenge,
                                        const char *answer,
                                        struct kc_factor_result *res)
  KC_NONNULL(1, 2, 3, 5);

/* How long a secret in an enrolment form stays usable: it opens in the
 * hour it was made and the next (so 1 to 2 hours). */
#define KC_FACTOR_ENROL_TTL 3600

/*
 * Enrolment: a new secret, to show (kc_totp_uri, base32) and to keep in
 * the form until the user confirmed it with a code. sealed is the secret
 * sealed for bind (the account's entryUUID, or for a registration any
 * unique string of the caller's) and the hour, under a binding of its own:
 * the form carries no clear secret, its value is never a valid
 * kcTotpSecret, and it opens only for KC_FACTOR_ENROL_TTL. 0 or KC_ERR_*.
 */
int kc_factor_totp_new(const struct kc_tanflow *f,
                       unsigned char secret[KC_TOTP_SECRET_BYTES],
                       char sealed[KC_TOTP_SEALED_LEN + 1], const char *bind)
  KC_MUST_USE KC_NONNULL(1, 2, 3, 4);

/* Open a form's sealed secret for bind again (to show it once more after
 * a wrong code). 0, or kc_totp_unseal's errors (also when it is older
 * than KC_FACTOR_ENROL_TTL allows); secret zeroed then. */
int kc_factor_totp_open(const struct kc_tanflow *f, const char *sealed,
                        const char *bind,
                        unsigned char secret[KC_TOTP_SECRET_BYTES])
  KC_MUST_USE KC_NONNULL(1, 2, 3, 4);

/* Confirmation: does code (as typed) pass for the secret sealed for bind,
 * now? *step gets the step it matched (to store as kcTotpLastStep).
 * secret (may be NULL) gets the opened secret. 0; KC_ERR_INVALID (not a
 * code); KC_ERR_DENIED (wrong); KC_ERR_FORGED and the others of
 * kc_totp_unseal (the form's sealed value was tampered with). */
int kc_factor_totp_confirm(const struct kc_tanflow *f, const char *sealed,
                           const char *bind, const char *code, uint64_t *step,
                           unsigned char *secret) KC_MUST_USE
  KC_NONNULL(1, 2, 3, 4, 5);

/*
 * Store a confirmed enrolment on the account at dn (entryUUID uuid): the
 * secret sealed anew for uuid, kcTotpLastStep = step, kcTanMethod totp;
 * when codes is not NULL, new recovery codes go into it (to show once)
 * and their hashes replace any old ones in LDAP; the open TAN and the
 * count of wrong answers go. One modify. 0 or KC_ERR_* (codes zeroed).
 */
int kc_factor_totp_store(const struct kc_tanflow *f, struct kc_ldap *l,
                         const char *dn, const char *uuid,
                         const unsigned char secret[KC_TOTP_SECRET_BYTES],
                         uint64_t step,
                         char (*codes)[KC_RECOVERY_SHOWN_LEN + 1])
  KC_MUST_USE KC_NONNULL(1, 2, 3, 4, 5);

/* New recovery codes for the account at dn: codes gets them in their
 * shown form (to show once), LDAP their hashes in place of the old ones.
 * 0 or KC_ERR_*; codes are zeroed on failure. */
int kc_factor_recovery_renew(const struct kc_tanflow *f, struct kc_ldap *l,
                             const char *dn,
                             char codes[KC_RECOVERY_COUNT]
                                       [KC_RECOVERY_SHOWN_LEN + 1])
  KC_MUST_USE KC_NONNULL(1, 2, 3, 4);

/* Zero codes (after they were shown). */
void kc_factor_recovery_wipe(char codes[KC_RECOVERY_COUNT]
                                       [KC_RECOVERY_SHOWN_LEN + 1]);

#endif /* KC_FACTOR_H */
