/*
 * factor.c: answers to the second factor, whatever the method, and the
 * enrolment of the authenticator app (factor.h).
 */
#include <config.h>

#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "factor.h"
#include "kc_err.h"
#include "log.h"

bool
kc_factor_is_recovery(const char *answer)
{
  char norm[KC_RECOVERY_CHARS + 1];
  bool yes = kc_recovery_normalise(norm, answer) == 0;

  sodium_memzero(norm, sizeof(norm));
  return yes;
}

bool
kc_factor_is_recovery_shown(const char *s)
{
  return strlen(s) == KC_RECOVERY_SHOWN_LEN && s[4] == '-' && s[9] == '-' &&
         kc_factor_is_recovery(s);
}

/* ----------------------------------------------------------- counting */

/*
 * Count one app or recovery code on the account before it is compared
 * (factor.h). *s is the state as read; on a lost race it is read again.
 * KC_TANFLOW_RIGHT here means "counted, go on and compare"; *s is then
 * the state the count was made on.
 */
static enum kc_tanflow_answer
count(const struct kc_tanflow *f, struct kc_ldap *l,
      const struct kc_ldap_user *u, struct kc_ldap_factor *s)
{
  const struct kc_tan_policy *p = f->policy;
  time_t now = kc_tan_now(f->env);
  unsigned attempt;
  int r;

  for (attempt = 0; attempt < KC_MAX_TAN_CAS_RETRIES; attempt++) {
    if (kc_tan_lock_due(p, s->failures)) {
      kc_tanflow_lock_out(f, l, u, s->failures, false);
      return KC_TANFLOW_LOCKED;
    }
    /* a kcFactorFailedAt ahead of this host's clock (another kcd's) is
     * "just now", never "long ago" */
    if (s->failures >= p->max_tries && s->failed_at != 0 &&
        now < s->failed_at + KC_FACTOR_PAUSE)
      return KC_TANFLOW_MAXTRIES;
    r = kc_ldap_factor_count(l, u->dn, s, now);
    if (r == 0)
      return KC_TANFLOW_RIGHT;
    if (r != KC_ERR_DUPLICATE || kc_ldap_factor_read(l, u->dn, s) != 0)
      return KC_TANFLOW_ERROR;
  }
  return KC_TANFLOW_ERROR;
}

/* A counted answer was wrong; failures is the count this request made
 * (the state before it, + 1): what that means for the account. */
static enum kc_tanflow_answer
wrong(const struct kc_tanflow *f, struct kc_ldap *l,
      const struct kc_ldap_user *u, unsigned failures)
{
  if (kc_tan_lock_due(f->policy, failures)) {
    kc_tanflow_lock_out(f, l, u, failures, true);
    return KC_TANFLOW_LOCKED;
  }
  return failures >= f->policy->max_tries ? KC_TANFLOW_MAXTRIES
                                          : KC_TANFLOW_WRONG;
}

/* ------------------------------------------------------ recovery codes */

static enum kc_tanflow_answer
recovery_answer(const struct kc_tanflow *f, struct kc_ldap *l,
                const struct kc_ldap_user *u, const char *answer,
                struct kc_factor_result *res)
{
  char hash[KC_RECOVERY_HASH_LEN + 1], err[256];
  struct kc_ldap_factor s;
  enum kc_tanflow_answer a;
  const char *found = NULL;
  unsigned i;
  int r;

  if (kc_ldap_factor_read(l, u->dn, &s) != 0)
    return KC_TANFLOW_ERROR;
  if ((a = count(f, l, u, &s)) != KC_TANFLOW_RIGHT)
    goto out;
  if (kc_recovery_hash(hash, f->key, answer) != 0) {
    a = wrong(f, l, u, s.failures + 1);
    goto out;
  }
  /* every stored value is compared, whichever matches */
  for (i = 0; i < s.recovery_n; i++)
    if (strlen(s.recovery[i]) == KC_RECOVERY_HASH_LEN &&
        sodium_memcmp(s.recovery[i], hash, KC_RECOVERY_HASH_LEN) == 0)
      found = s.recovery[i];
  if (found == NULL) {
    a = wrong(f, l, u, s.failures + 1);
    goto out;
  }
  r = kc_ldap_recovery_use(l, u->dn, found);
  if (r == KC_ERR_DUPLICATE) {
    kc_log_auth("recovery code used twice at once; user=%s", u->uid);
    a = wrong(f, l, u, s.failures + 1);
    goto out;
  }
  if (r != 0) {
    a = KC_TANFLOW_ERROR;
    goto out;
  }
  a = KC_TANFLOW_RIGHT;
  res->kind = KC_FACTOR_RECOVERY;
  res->recovery_left = s.recovery_n - 1;
  kc_log_auth("recovery code used; user=%s left=%u", u->uid,
              res->recovery_left);
  if (kc_notify_recovery_used(f->notify, u, res->recovery_left, err,
                              sizeof(err)) != 0)
    kc_log_warnx("recovery notice not sent; user=%s error=\"%s\"", u->uid,
                 err);
out:
  sodium_memzero(hash, sizeof(hash));
  sodium_memzero(&s, sizeof(s));
  return a;
}

/* ------------------------------------------------------- the app's code */

/* Accepted codes that matched a step beside the current one, in a row,
 * across accounts: many mean the host's clock (or the users') is off. */
static atomic_uint skewed_in_row;
#define KC_FACTOR_SKEW_WARN 5

static void
note_skew(const struct kc_ldap_user *u, long offset)
{
  unsigned n;

  if (offset == 0) {
    atomic_store(&skewed_in_row, 0);
    return;
  }
  n = atomic_fetch_add(&skewed_in_row, 1) + 1;
  kc_log_auth("authenticator code from step %+ld; user=%s", offset, u->uid);
  if (n % KC_FACTOR_SKEW_WARN == 0)
    kc_log_warnx("%u authenticator codes in a row matched a neighbouring "
                 "time step: check this host's clock (NTP)",
                 n);
}

/* Store step as the last one used, for the secret the code was checked
 * against (sealed): a parallel request that stored the same or a later
 * step first wins (the code is spent), and an app removed or replaced
 * meanwhile takes no more codes. */
static enum kc_tanflow_answer
accept_step(struct kc_ldap *l, const struct kc_ldap_user *u,
            struct kc_ldap_factor *s, const char *sealed, uint64_t step)
{
  unsigned attempt;
  int r;

  for (attempt = 0; attempt < KC_MAX_TAN_CAS_RETRIES; attempt++) {
    if (strcmp(s->sealed, sealed) != 0) {
      kc_log_auth("authenticator changed during the login; user=%s", u->uid);
      return KC_TANFLOW_DEAD;
    }
    if (s->last_step_set && step <= s->last_step) {
      kc_log_auth("authenticator code used again; user=%s", u->uid);
      return KC_TANFLOW_WRONG;
    }
    r = kc_ldap_totp_accept(l, u->dn, s, step);
    if (r == 0)
      return KC_TANFLOW_RIGHT;
    if (r != KC_ERR_DUPLICATE || kc_ldap_factor_read(l, u->dn, s) != 0)
      return KC_TANFLOW_ERROR;
  }
  return KC_TANFLOW_ERROR;
}

/* Open the account's sealed secret; a value that does not open is logged
 * (it was changed, copied from another account, or the secret key
 * changed: the user must enrol again). */
static int
open_secret(const struct kc_tanflow *f, const struct kc_ldap_user *u,
            const struct kc_ldap_factor *s,
            unsigned char secret[KC_TOTP_SECRET_BYTES])
{
  int r = kc_totp_unseal(secret, f->key, s->sealed, u->uuid);

  if (r != 0)
    kc_log_warnx("kcTotpSecret does not open (%s): changed, another "
                 "account's, or sealed under another secret key; the user "
                 "must enrol again; user=%s",
                 kc_strerror(r), u->uid);
  return r;
}

static enum kc_tanflow_answer
totp_answer(const struct kc_tanflow *f, struct kc_ldap *l,
            const struct kc_ldap_user *u, const char *answer,
            struct kc_factor_result *res)
{
  unsigned char secret[KC_TOTP_SECRET_BYTES];
  char sealed[sizeof(((struct kc_ldap_factor *) 0)->sealed)];
  struct kc_ldap_factor s;
  enum kc_tanflow_answer a;
  time_t now = kc_tan_now(f->env);
  unsigned counted;
  uint64_t step = 0;
  uint32_t code = 0;
  bool right;

  if (kc_ldap_factor_read(l, u->dn, &s) != 0)
    return KC_TANFLOW_ERROR;
  if (s.sealed[0] == '\0') {
    a = KC_TANFLOW_DEAD; /* not enrolled */
    goto out;
  }
  /* a secret that does not open fails the login before anything is
   * counted or changed */
  if (open_secret(f, u, &s, secret) != 0) {
    a = KC_TANFLOW_BROKEN;
    goto out;
  }
  memcpy(sealed, s.sealed, sizeof(sealed));
  if ((a = count(f, l, u, &s)) != KC_TANFLOW_RIGHT)
    goto out;
  counted = s.failures + 1;
  /* the state counted on may be newer than the one opened (a lost race
   * reads it again): open again only when it holds another secret */
  if (strcmp(s.sealed, sealed) != 0 && open_secret(f, u, &s, secret) != 0) {
    a = KC_TANFLOW_BROKEN;
    goto out;
  }
  memcpy(sealed, s.sealed, sizeof(sealed));
  right = kc_totp_code_parse(answer, &code) == 0 &&
          kc_totp_check(secret, code, now, &step) == 0;
  if (!right) {
    a = wrong(f, l, u, counted);
    goto out;
  }
  a = accept_step(l, u, &s, sealed, step);
  if (a == KC_TANFLOW_WRONG)
    a = wrong(f, l, u, counted);
  else if (a == KC_TANFLOW_RIGHT) {
    res->kind = KC_FACTOR_TOTP;
    note_skew(u, (long) ((int64_t) step - (int64_t) kc_totp_step(now)));
  }
out:
  sodium_memzero(secret, sizeof(secret));
  sodium_memzero(sealed, sizeof(sealed));
  sodium_memzero(&s, sizeof(s));
  code = 0;
  return a;
}

enum kc_tanflow_answer
kc_factor_answer(const struct kc_tanflow *f, struct kc_ldap *l,
                 const struct kc_ldap_user *u, const char *challenge,
                 const char *answer, struct kc_factor_result *res)
{
  struct kc_factor_result dummy;
  enum kc_tanflow_answer a;

  if (res == NULL)
    res = &dummy;
  memset(res, 0, sizeof(*res));
  if (kc_factor_is_recovery(answer))
    return recovery_answer(f, l, u, answer, res);
  if (strcmp(u->tan_method, "totp") == 0)
    return totp_answer(f, l, u, answer, res);
  a = kc_tanflow_answer(f, l, u, challenge, answer);
  if (a == KC_TANFLOW_RIGHT)
    res->kind = KC_FACTOR_TAN;
  return a;
}

/* ------------------------------------------------------------ enrolment */

/* What a secret in an enrolment form is sealed to: bind and the hour it
 * was made, hashed under a label of its own, so that a form's value is
 * never a kcTotpSecret (sealed to an entryUUID) and opens only for
 * KC_FACTOR_ENROL_TTL to 2 * KC_FACTOR_ENROL_TTL seconds. */
static void
enrol_binding(char out[33], const char *bind, time_t now, unsigned back)
{
  static const char label[] = "kc-totp-enrol-v1";
  unsigned char h[16];
  char bucket[24];
  crypto_generichash_state st;

  snprintf(bucket, sizeof(bucket), "%lld",
           (long long) (now / KC_FACTOR_ENROL_TTL) - (long long) back);
  crypto_generichash_init(&st, NULL, 0, sizeof(h));
  crypto_generichash_update(&st, (const unsigned char *) label, sizeof(label));
  crypto_generichash_update(&st, (const unsigned char *) bind,
                            strlen(bind) + 1);
  crypto_generichash_update(&st, (const unsigned char *) bucket,
                            strlen(bucket));
  crypto_generichash_final(&st, h, sizeof(h));
  sodium_bin2hex(out, 33, h, sizeof(h));
}

int
kc_factor_totp_new(const struct kc_tanflow *f,
                   unsigned char secret[KC_TOTP_SECRET_BYTES],
                   char sealed[KC_TOTP_SEALED_LEN + 1], const char *bind)
{
  char binding[33];
  int r;

  kc_totp_secret_new(secret, f->env);
  enrol_binding(binding, bind, kc_tan_now(f->env), 0);
  r = kc_totp_seal(sealed, f->key, secret, binding);
  if (r != 0) {
    sodium_memzero(secret, KC_TOTP_SECRET_BYTES);
    sealed[0] = '\0';
  }
  return r;
}

int
kc_factor_totp_open(const struct kc_tanflow *f, const char *sealed,
                    const char *bind, unsigned char secret[KC_TOTP_SECRET_BYTES])
{
  time_t now = kc_tan_now(f->env);
  char binding[33];
  int r;

  /* made this hour or the one before */
  enrol_binding(binding, bind, now, 0);
  if ((r = kc_totp_unseal(secret, f->key, sealed, binding)) == KC_ERR_FORGED) {
    enrol_binding(binding, bind, now, 1);
    r = kc_totp_unseal(secret, f->key, sealed, binding);
  }
  return r;
}

int
kc_factor_totp_confirm(const struct kc_tanflow *f, const char *sealed,
                       const char *bind, const char *code, uint64_t *step,
                       unsigned char *secret)
{
  unsigned char s[KC_TOTP_SECRET_BYTES];
  uint32_t c;
  int r;

  *step = 0;
  if (kc_totp_code_parse(code, &c) != 0)
    return KC_ERR_INVALID;
  if ((r = kc_factor_totp_open(f, sealed, bind, s)) != 0)
    return r;
  r = kc_totp_check(s, c, kc_tan_now(f->env), step) == 0 ? 0 : KC_ERR_DENIED;
  if (r == 0 && secret != NULL)
    memcpy(secret, s, sizeof(s));
  sodium_memzero(s, sizeof(s));
  return r;
}

/* The hashes of codes, NULL-terminated, for LDAP. */
static int
hash_codes(const struct kc_tanflow *f,
           char codes[KC_RECOVERY_COUNT][KC_RECOVERY_SHOWN_LEN + 1],
           char hashes[KC_RECOVERY_COUNT][KC_RECOVERY_HASH_LEN + 1],
           const char *list[KC_RECOVERY_COUNT + 1])
{
  size_t i;
  int r;

  for (i = 0; i < KC_RECOVERY_COUNT; i++) {
    if ((r = kc_recovery_hash(hashes[i], f->key, codes[i])) != 0)
      return r;
    list[i] = hashes[i];
  }
  list[KC_RECOVERY_COUNT] = NULL;
  return 0;
}

int
kc_factor_totp_store(const struct kc_tanflow *f, struct kc_ldap *l,
                     const char *dn, const char *uuid,
                     const unsigned char secret[KC_TOTP_SECRET_BYTES],
                     uint64_t step, char (*codes)[KC_RECOVERY_SHOWN_LEN + 1])
{
  char hashes[KC_RECOVERY_COUNT][KC_RECOVERY_HASH_LEN + 1];
  const char *list[KC_RECOVERY_COUNT + 1];
  char sealed[KC_TOTP_SEALED_LEN + 1];
  int r;

  if ((r = kc_totp_seal(sealed, f->key, secret, uuid)) != 0)
    return r;
  if (codes != NULL && ((r = kc_recovery_generate(codes, f->env)) != 0 ||
                        (r = hash_codes(f, codes, hashes, list)) != 0))
    goto out;
  r = kc_ldap_totp_set(l, dn, sealed, step, codes != NULL ? list : NULL);
out:
  if (r != 0 && codes != NULL)
    kc_factor_recovery_wipe(codes);
  sodium_memzero(hashes, sizeof(hashes));
  return r;
}

int
kc_factor_recovery_renew(const struct kc_tanflow *f, struct kc_ldap *l,
                         const char *dn,
                         char codes[KC_RECOVERY_COUNT]
                                   [KC_RECOVERY_SHOWN_LEN + 1])
{
  char hashes[KC_RECOVERY_COUNT][KC_RECOVERY_HASH_LEN + 1];
  const char *list[KC_RECOVERY_COUNT + 1];
  int r;

  if ((r = kc_recovery_generate(codes, f->env)) == 0 &&
      (r = hash_codes(f, codes, hashes, list)) == 0)
    r = kc_ldap_recovery_set(l, dn, list);
  if (r != 0)
    kc_factor_recovery_wipe(codes);
  sodium_memzero(hashes, sizeof(hashes));
  return r;
}

void
kc_factor_recovery_wipe(char codes[KC_RECOVERY_COUNT]
                                  [KC_RECOVERY_SHOWN_LEN + 1])
{
  sodium_memzero(codes, KC_RECOVERY_COUNT * (KC_RECOVERY_SHOWN_LEN + 1));
}
