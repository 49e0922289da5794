/*
 * tan.h: one-time TANs for the second factor (emailTAN, mTAN).
 *
 * A TAN is tan_length decimal digits drawn uniformly with libsodium. It is
 * never stored: the account entry in LDAP holds a keyed hash of it
 * (HMAC-SHA-256 under kcd's secret key, bound to a random challenge id),
 * its expiry, a try counter and the send-rate bookkeeping, so every kcd
 * instance that shares the key can verify it. A new TAN replaces the old
 * one; a right answer consumes it; tan_max_tries wrong answers void it.
 *
 * A try is counted before it is compared (kc_tan_gate says whether there
 * is one to count; kc_ldap_tan_count_try counts it with a conditional
 * modify), so parallel guesses cannot share one count. The account also
 * counts wrong second factors across TANs (kcTanFailures); a right one
 * resets it, and tan_max_failures of them lock the account, since a new
 * TAN brings new tries and would otherwise let guessing go on for ever.
 *
 * This file is the pure logic: the clock and randomness come in through
 * struct kc_tan_env (tests inject them), LDAP I/O lives in kc_ldap.c.
 * Thread-safe: no global state.
 */
#ifndef KC_TAN_H
#define KC_TAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "kc_attrs.h"
#include "kc_limits.h"

/* 16 random bytes, base64url without padding. */
#define KC_TAN_CHALLENGE_BYTES 16
#define KC_TAN_CHALLENGE_LEN   22
/* HMAC-SHA-256, base64 with padding. */
#define KC_TAN_HASH_LEN 44
/* The secret key: 32 bytes. */
#define KC_TAN_KEY_BYTES 32

struct kc_tan_policy {
  unsigned length;          /* digits, 6..8 */
  unsigned ttl;             /* seconds a TAN stays valid */
  unsigned max_tries;       /* wrong answers before it is void */
  unsigned resend_interval; /* seconds before another TAN may be sent */
  unsigned max_per_hour;    /* TANs sent per account and hour */
  unsigned max_failures;    /* wrong answers per account, across TANs,
                               before it is locked; 0: no such limit */
};

/* What an account entry holds about its TAN (kcTan* attributes). */
struct kc_tan_state {
  char challenge[KC_TAN_CHALLENGE_LEN + 1]; /* "" when no TAN is open */
  char hash[KC_TAN_HASH_LEN + 1];           /* "" when none */
  time_t expires;
  unsigned tries;
  time_t sent_at;      /* 0: never */
  time_t window_start; /* start of the current hour of sends */
  unsigned send_count; /* sends in that window */
  unsigned failures;   /* kcTanFailures: wrong answers since the last right
                          one; belongs to the account, survives new TANs */
  bool failures_set;   /* kcTanFailures is present (a conditional modify
                          must delete its exact value) */
  bool send_count_set; /* kcTanSendCount is present, 0 included (the same) */
};

/* Clock and randomness, injectable for tests. NULL members mean time()
 * and randombytes_buf(). */
struct kc_tan_env {
  time_t (*now)(void *ctx);
  void (*random)(void *ctx, void *buf, size_t len);
  void *ctx;
};

enum kc_tan_issue {
  KC_TAN_ISSUE_NEW,    /* send a new TAN */
  KC_TAN_ISSUE_REUSE,  /* a fresh TAN was sent within the cooldown: the
                          user should use that one; send nothing */
  KC_TAN_ISSUE_LIMITED /* the hourly cap is reached and nothing is open */
};

/* What may be done with an answer to challenge, before anything is
 * compared. */
enum kc_tan_gate {
  KC_TAN_GATE_COUNT,    /* count a try (and a failure), then compare */
  KC_TAN_GATE_DEAD,     /* no TAN open under challenge: nothing to count */
  KC_TAN_GATE_MAXTRIES, /* this TAN's tries are used up */
  KC_TAN_GATE_LOCKED    /* the account's failures are used up */
};

enum kc_tan_check {
  KC_TAN_RIGHT, /* matches: consume it */
  KC_TAN_WRONG, /* does not match: count a try */
  KC_TAN_DEAD   /* no TAN open, other challenge, expired or tries used up */
};

time_t kc_tan_now(const struct kc_tan_env *env);

/* len random bytes from env (randombytes_buf without one). */
void kc_tan_random(const struct kc_tan_env *env, void *buf, size_t len)
  KC_NONNULL(2);

/* A uniform value in [0, upper) from env's randomness, without modulo
 * bias (rejection sampling, as randombytes_uniform does); upper > 0. */
uint32_t kc_tan_uniform(const struct kc_tan_env *env, uint32_t upper);

/* Is a TAN open (present, not expired, tries left) at time now? */
bool kc_tan_is_open(const struct kc_tan_policy *p, const struct kc_tan_state *s,
                    time_t now) KC_NONNULL(1, 2);

/* Decide whether to send a TAN now. */
enum kc_tan_issue kc_tan_decide(const struct kc_tan_policy *p,
                                const struct kc_tan_state *s, time_t now)
  KC_NONNULL(1, 2);

/*
 * Make a new TAN: tan gets p->length digits and a NUL (tan must hold
 * KC_MAX_TAN_LENGTH + 1 bytes; a secret: wipe it after delivery); next is
 * the state to store, derived from cur (send-rate window carried on).
 * 0 or KC_ERR_INVALID (bad policy).
 */
int kc_tan_new(const struct kc_tan_env *env, const struct kc_tan_policy *p,
               const unsigned char key[KC_TAN_KEY_BYTES],
               const struct kc_tan_state *cur, char tan[KC_MAX_TAN_LENGTH + 1],
               struct kc_tan_state *next) KC_MUST_USE KC_NONNULL(2, 3, 4, 5, 6);

/*
 * The gate in front of kc_tan_check: s is the state as just read, before
 * the try is counted. COUNT means: count it as try s->tries + 1 and as
 * failure s->failures + 1 with a modify that fails unless s is still what
 * the directory holds, and compare only when that succeeded. The limits
 * are checked against s, so a counted try is always within tan_max_tries
 * and tan_max_failures. challenge NULL means whatever TAN is open
 * (tan=inline, which carries no challenge).
 */
enum kc_tan_gate kc_tan_gate(const struct kc_tan_policy *p,
                             const struct kc_tan_state *s,
                             const char *challenge, time_t now)
  KC_NONNULL(1, 2);

/* A wrong answer was counted as the account's failure number failures:
 * is the account to be locked now? */
bool kc_tan_lock_due(const struct kc_tan_policy *p, unsigned failures)
  KC_NONNULL(1);

/* Check an answer against the stored state. Constant-time compare of the
 * hashes; the answer must be exactly p->length digits. */
enum kc_tan_check kc_tan_check(const struct kc_tan_policy *p,
                               const unsigned char key[KC_TAN_KEY_BYTES],
                               const struct kc_tan_state *s,
                               const char *challenge, const char *answer,
                               time_t now) KC_NONNULL(1, 2, 3, 4, 5);

/* Is s a string of exactly n ASCII digits? */
bool kc_tan_is_digits(const char *s, size_t n) KC_NONNULL(1);

#endif /* KC_TAN_H */
