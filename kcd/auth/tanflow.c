/*
 * tanflow.c: issuing and answering TANs against LDAP (see tanflow.h).
 *
 * Every write is a conditional modify on state read just before it
 * (kc_ldap_tan_*); a lost race means reading again and deciding again,
 * at most KC_MAX_TAN_CAS_RETRIES times, after which the request fails
 * closed.
 */
#include <config.h>

#include <stdatomic.h>
#include <string.h>

#include <sodium.h>

#include "kc_err.h"
#include "log.h"
#include "tanflow.h"

/* Store a new TAN decided on cur, or learn that another request did.
 * tan gets the TAN when this request is to send it. */
static enum kc_tanflow_sent
store_new(const struct kc_tanflow *f, struct kc_ldap *l,
          const struct kc_ldap_user *u,
          char challenge[KC_TAN_CHALLENGE_LEN + 1],
          char tan[KC_MAX_TAN_LENGTH + 1])
{
  struct kc_tan_state cur = u->tan, next;
  unsigned attempt;
  int r;

  for (attempt = 0; attempt < KC_MAX_TAN_CAS_RETRIES; attempt++) {
    switch (kc_tan_decide(f->policy, &cur, kc_tan_now(f->env))) {
      case KC_TAN_ISSUE_REUSE:
        memcpy(challenge, cur.challenge, KC_TAN_CHALLENGE_LEN + 1);
        return KC_TANFLOW_PENDING;
      case KC_TAN_ISSUE_LIMITED:
        /* failures used up but no lock (it failed, or someone lifted it
         * without clearing kcTanFailures): lock again, as at the count */
        if (kc_tan_lock_due(f->policy, cur.failures)) {
          kc_log_auth("TAN refused, too many wrong TANs; user=%s", u->uid);
          kc_tanflow_lock_out(f, l, u, cur.failures, false);
        } else
          kc_log_auth("TAN refused, hourly cap reached; user=%s", u->uid);
        return KC_TANFLOW_LIMITED;
      case KC_TAN_ISSUE_NEW:
      default:
        break;
    }
    if (kc_tan_new(f->env, f->policy, f->key, &cur, tan, &next) != 0)
      return KC_TANFLOW_FAILED;
    r = kc_ldap_tan_store(l, u->dn, &cur, &next);
    if (r == 0) {
      memcpy(challenge, next.challenge, KC_TAN_CHALLENGE_LEN + 1);
      return KC_TANFLOW_SENT;
    }
    sodium_memzero(tan, KC_MAX_TAN_LENGTH + 1);
    /* another request stored first: decide again on what it stored */
    if (r != KC_ERR_DUPLICATE || kc_ldap_tan_read(l, u->dn, &cur) != 0)
      return KC_TANFLOW_FAILED;
  }
  return KC_TANFLOW_FAILED;
}

/* kc_tanflow_issued(): by method (email, mtan) and outcome. */
static atomic_ulong issued[2][KC_TANFLOW_FAILED + 1];

static int
method_index(const char *method)
{
  if (strcmp(method, "email") == 0)
    return 0;
  if (strcmp(method, "mtan") == 0)
    return 1;
  return -1;
}

unsigned long
kc_tanflow_issued(const char *method, enum kc_tanflow_sent st)
{
  int i = method_index(method);

  if (i < 0 || st > KC_TANFLOW_FAILED)
    return 0;
  return atomic_load(&issued[i][st]);
}

static enum kc_tanflow_sent
issue(const struct kc_tanflow *f, struct kc_ldap *l,
      const struct kc_ldap_user *u, char challenge[KC_TAN_CHALLENGE_LEN + 1],
      char *dest, size_t destlen)
{
  char tan[KC_MAX_TAN_LENGTH + 1], err[256];
  enum kc_tanflow_sent st;
  int r;

  challenge[0] = '\0';
  tan[0] = '\0';
  kc_notify_destination(f->notify, u, dest, destlen);
  st = store_new(f, l, u, challenge, tan);
  if (st != KC_TANFLOW_SENT) {
    sodium_memzero(tan, sizeof(tan));
    return st;
  }
  r = kc_notify_tan(f->notify, u, tan, f->policy->ttl, err, sizeof(err));
  sodium_memzero(tan, sizeof(tan));
  if (r != 0) {
    challenge[0] = '\0';
    /* nothing half-done: the stored TAN goes, the send still counts */
    if (kc_ldap_tan_clear(l, u->dn) != 0)
      kc_log_warnx("could not clear an undelivered TAN; user=%s", u->uid);
    kc_log_warnx("TAN delivery failed; user=%s method=%s error=\"%s\"", u->uid,
                 u->tan_method, err);
    return KC_TANFLOW_UNDELIVERED;
  }
  kc_log_auth("TAN sent; user=%s method=%s to=%s", u->uid, u->tan_method, dest);
  return KC_TANFLOW_SENT;
}

enum kc_tanflow_sent
kc_tanflow_issue(const struct kc_tanflow *f, struct kc_ldap *l,
                 const struct kc_ldap_user *u,
                 char challenge[KC_TAN_CHALLENGE_LEN + 1], char *dest,
                 size_t destlen)
{
  enum kc_tanflow_sent st = issue(f, l, u, challenge, dest, destlen);
  int i = method_index(u->tan_method);

  if (i >= 0)
    atomic_fetch_add(&issued[i][st], 1);
  return st;
}

void
kc_tanflow_lock_out(const struct kc_tanflow *f, struct kc_ldap *l,
         const struct kc_ldap_user *u, unsigned failures, bool first)
{
  char err[256];

  if (kc_ldap_lock(l, u->dn) != 0) {
    kc_log_warnx("could not lock the account after wrong TANs; user=%s "
                 "failures=%u",
                 u->uid, failures);
    return;
  }
  if (!first)
    return;
  kc_log_auth("account locked after wrong TANs; user=%s failures=%u", u->uid,
              failures);
  if (kc_notify_lockout(f->notify, u, err, sizeof(err)) != 0)
    kc_log_warnx("lockout notice not sent; user=%s error=\"%s\"", u->uid, err);
}

/* Consume the TAN of s, whose try this request counted and found right.
 * A parallel request that counted another try meanwhile changed
 * kcTanTries: that does not undo ours, so consume the same TAN again;
 * one that consumed it or replaced it wins. */
static enum kc_tanflow_answer
consume(struct kc_ldap *l, const struct kc_ldap_user *u, struct kc_tan_state *s)
{
  struct kc_tan_state now;
  unsigned attempt;
  int r;

  for (attempt = 0; attempt < KC_MAX_TAN_CAS_RETRIES; attempt++) {
    r = kc_ldap_tan_consume(l, u->dn, s);
    if (r == 0)
      return KC_TANFLOW_RIGHT;
    if (r != KC_ERR_DUPLICATE || kc_ldap_tan_read(l, u->dn, &now) != 0)
      return KC_TANFLOW_ERROR;
    if (now.hash[0] == '\0' || strcmp(now.hash, s->hash) != 0)
      return KC_TANFLOW_DEAD;
    s->tries = now.tries;
  }
  return KC_TANFLOW_ERROR;
}

/* Count a try against challenge on a fresh read of the state: gate, then
 * a conditional modify, again on a lost race. true when counted (*s is
 * the state the count was made on); otherwise *why says why not. */
static bool
count_try(const struct kc_tanflow *f, struct kc_ldap *l,
          const struct kc_ldap_user *u, const char *challenge,
          struct kc_tan_state *s, enum kc_tanflow_answer *why)
{
  unsigned attempt;
  int r;

  *why = KC_TANFLOW_ERROR;
  if (kc_ldap_tan_read(l, u->dn, s) != 0)
    return false;
  for (attempt = 0; attempt < KC_MAX_TAN_CAS_RETRIES; attempt++) {
    switch (kc_tan_gate(f->policy, s, challenge, kc_tan_now(f->env))) {
      case KC_TAN_GATE_DEAD:
        *why = KC_TANFLOW_DEAD;
        return false;
      case KC_TAN_GATE_MAXTRIES:
        *why = KC_TANFLOW_MAXTRIES;
        return false;
      case KC_TAN_GATE_LOCKED:
        kc_tanflow_lock_out(f, l, u, s->failures, false);
        *why = KC_TANFLOW_LOCKED;
        return false;
      case KC_TAN_GATE_COUNT:
      default:
        break;
    }
    r = kc_ldap_tan_count_try(l, u->dn, s);
    if (r == 0)
      return true;
    if (r != KC_ERR_DUPLICATE || kc_ldap_tan_read(l, u->dn, s) != 0)
      return false;
  }
  return false;
}

enum kc_tanflow_answer
kc_tanflow_answer(const struct kc_tanflow *f, struct kc_ldap *l,
                  const struct kc_ldap_user *u, const char *challenge,
                  const char *answer)
{
  struct kc_tan_state s;
  enum kc_tanflow_answer a;
  enum kc_tan_check chk;

  if (!count_try(f, l, u, challenge, &s, &a)) {
    sodium_memzero(&s, sizeof(s));
    return a;
  }
  /* Counted: now, and only now, compare. s is the state before the count,
   * which the gate found within the limits. */
  chk = kc_tan_check(f->policy, f->key, &s, s.challenge, answer,
                     kc_tan_now(f->env));
  s.tries++;
  s.failures++;
  s.failures_set = true;
  if (chk == KC_TAN_RIGHT)
    a = consume(l, u, &s);
  else if (kc_tan_lock_due(f->policy, s.failures)) {
    kc_tanflow_lock_out(f, l, u, s.failures, true);
    a = KC_TANFLOW_LOCKED;
  } else if (chk == KC_TAN_DEAD)
    a = KC_TANFLOW_DEAD; /* expired between the gate and now */
  else
    a =
      s.tries >= f->policy->max_tries ? KC_TANFLOW_MAXTRIES : KC_TANFLOW_WRONG;
  sodium_memzero(&s, sizeof(s));
  return a;
}
