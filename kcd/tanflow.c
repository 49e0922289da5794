/*
 * tanflow.c: issuing and answering TANs against LDAP (see tanflow.h).
 */
#include <config.h>

#include <string.h>

#include <sodium.h>

#include "kc_err.h"
#include "log.h"
#include "tanflow.h"

enum kc_tanflow_sent
kc_tanflow_issue(const struct kc_tanflow *f, struct kc_ldap *l,
  const struct kc_ldap_user *u, char challenge[KC_TAN_CHALLENGE_LEN + 1],
  char *dest, size_t destlen)
{
  struct kc_tan_state next;
  char tan[KC_MAX_TAN_LENGTH + 1], err[256];
  time_t now = kc_tan_now(f->env);
  int r;

  challenge[0] = '\0';
  kc_notify_destination(f->notify, u, dest, destlen);
  switch (kc_tan_decide(f->policy, &u->tan, now)) {
    case KC_TAN_ISSUE_REUSE:
      memcpy(challenge, u->tan.challenge, KC_TAN_CHALLENGE_LEN + 1);
      return KC_TANFLOW_PENDING;
    case KC_TAN_ISSUE_LIMITED:
      kc_log_auth("TAN refused, hourly cap reached; user=%s", u->uid);
      return KC_TANFLOW_LIMITED;
    case KC_TAN_ISSUE_NEW:
    default:
      break;
  }
  if (kc_tan_new(f->env, f->policy, f->key, &u->tan, tan, &next) != 0 ||
    kc_ldap_tan_store(l, u->dn, &next) != 0) {
    sodium_memzero(tan, sizeof(tan));
    return KC_TANFLOW_FAILED;
  }
  r = kc_notify_tan(f->notify, u, tan, f->policy->ttl, err, sizeof(err));
  sodium_memzero(tan, sizeof(tan));
  if (r != 0) {
    /* nothing half-done: the stored TAN goes, the send still counts */
    if (kc_ldap_tan_clear(l, u->dn) != 0)
      kc_log_warnx("could not clear an undelivered TAN; user=%s", u->uid);
    kc_log_warnx("TAN delivery failed; user=%s method=%s error=\"%s\"", u->uid,
      u->tan_method, err);
    return KC_TANFLOW_UNDELIVERED;
  }
  kc_log_auth("TAN sent; user=%s method=%s to=%s", u->uid, u->tan_method,
    dest);
  memcpy(challenge, next.challenge, KC_TAN_CHALLENGE_LEN + 1);
  return KC_TANFLOW_SENT;
}

enum kc_tanflow_answer
kc_tanflow_settle(const struct kc_tanflow *f, struct kc_ldap *l,
  const struct kc_ldap_user *u, enum kc_tan_check chk)
{
  int r;

  switch (chk) {
    case KC_TAN_RIGHT:
      r = kc_ldap_tan_consume(l, u->dn, u->tan.hash);
      if (r == KC_ERR_NOT_FOUND) /* another request consumed it first */
        return KC_TANFLOW_DEAD;
      return r == 0 ? KC_TANFLOW_RIGHT : KC_TANFLOW_ERROR;
    case KC_TAN_WRONG:
      r = kc_ldap_tan_count_try(l, u->dn, u->tan.tries);
      if (r != 0 && r != KC_ERR_DUPLICATE)
        return KC_TANFLOW_ERROR;
      return u->tan.tries + 1 >= f->policy->max_tries ? KC_TANFLOW_MAXTRIES
                                                      : KC_TANFLOW_WRONG;
    case KC_TAN_DEAD:
    default:
      if (u->tan.hash[0] != '\0' && u->tan.tries >= f->policy->max_tries)
        return KC_TANFLOW_MAXTRIES;
      return KC_TANFLOW_DEAD;
  }
}

enum kc_tanflow_answer
kc_tanflow_answer(const struct kc_tanflow *f, struct kc_ldap *l,
  const struct kc_ldap_user *u, const char *challenge, const char *answer)
{
  enum kc_tan_check chk = kc_tan_check(f->policy, f->key, &u->tan, challenge,
    answer, kc_tan_now(f->env));

  return kc_tanflow_settle(f, l, u, chk);
}
