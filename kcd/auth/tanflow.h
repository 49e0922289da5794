/*
 * tanflow.h: the second-factor steps that the PAM socket (handler.c) and
 * the credentials page share: send a TAN (or point at the one that is
 * out), and take an answer (count a wrong one, consume a right one).
 * LDAP holds the state (kc_ldap_tan_*), tan.c the rules, notify.c the
 * delivery. Each function logs its one line; none logs a TAN.
 */
#ifndef KC_TANFLOW_H
#define KC_TANFLOW_H

#include <stddef.h>

#include "kc_attrs.h"
#include "kc_ldap.h"
#include "notify.h"
#include "tan.h"

struct kc_tanflow {
  const struct kc_tan_policy *policy;
  const unsigned char *key; /* KC_TAN_KEY_BYTES */
  const struct kc_notify *notify;
  const struct kc_tan_env *env; /* NULL: real clock and randomness */
};

enum kc_tanflow_sent {
  KC_TANFLOW_SENT,        /* a new TAN went out */
  KC_TANFLOW_PENDING,     /* a fresh one is out; use that */
  KC_TANFLOW_LIMITED,     /* hourly cap reached */
  KC_TANFLOW_UNDELIVERED, /* the transport failed; nothing left in LDAP */
  KC_TANFLOW_FAILED       /* LDAP trouble */
};

enum kc_tanflow_answer {
  KC_TANFLOW_RIGHT,    /* right, and now consumed */
  KC_TANFLOW_WRONG,    /* wrong; a try was counted, tries are left */
  KC_TANFLOW_MAXTRIES, /* wrong and that was the last try, or none left */
  KC_TANFLOW_DEAD,     /* no TAN open, expired, or used meanwhile */
  KC_TANFLOW_LOCKED,   /* the account's wrong answers are used up: it is
                          locked now (tan_max_failures) */
  KC_TANFLOW_ERROR,    /* LDAP trouble */
  KC_TANFLOW_BROKEN    /* this account's factor data cannot be used (a
                          kcTotpSecret that does not open): logged; not an
                          outage, the login fails */
};

/* Issue for u (whose password was right). challenge gets the open
 * challenge id (SENT, PENDING), dest the masked destination. The store is
 * conditional on the send counters of u->tan, so of parallel requests
 * only one sends; the others answer PENDING with its challenge. */
enum kc_tanflow_sent kc_tanflow_issue(const struct kc_tanflow *f,
                                      struct kc_ldap *l,
                                      const struct kc_ldap_user *u,
                                      char challenge[KC_TAN_CHALLENGE_LEN + 1],
                                      char *dest, size_t destlen)
  KC_NONNULL(1, 2, 3, 4, 5);

/* How many kc_tanflow_issue() calls since start ended in st for accounts
 * whose kcTanMethod is method ("email" or "mtan"; 0 for any other).
 * Process-wide and thread-safe; for /metrics. */
unsigned long kc_tanflow_issued(const char *method, enum kc_tanflow_sent st)
  KC_NONNULL(1);

/*
 * Take answer to challenge for u (whose password was right, now or in the
 * AUTH that handed out challenge; NULL: whatever TAN is open, for
 * tan=inline). The state is read afresh, the try counted (on the TAN and
 * on the account's kcTanFailures) and only then compared: a right answer
 * consumes the TAN and resets kcTanFailures; the wrong answer that uses
 * up tan_max_failures locks the account (kc_ldap_lock), logs it and mails
 * the user a notice.
 */
enum kc_tanflow_answer
kc_tanflow_answer(const struct kc_tanflow *f, struct kc_ldap *l,
                  const struct kc_ldap_user *u, const char *challenge,
                  const char *answer) KC_NONNULL(1, 2, 3, 5);

/* The account's wrong answers (TANs, app or recovery codes) are used up:
 * lock it (again) and void its TAN. first: this request counted the last
 * one, so it also logs the lockout and tells the user, once. */
void kc_tanflow_lock_out(const struct kc_tanflow *f, struct kc_ldap *l,
                         const struct kc_ldap_user *u, unsigned failures,
                         bool first) KC_NONNULL(1, 2, 3);

#endif /* KC_TANFLOW_H */
