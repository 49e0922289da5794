/*
 * ratelimit.h: the web front's rate limits (kc_http_rate): bounded
 * tables of token buckets, one bucket per key ("reg-ip:192.0.2.1",
 * "cred-user:mmuster"), one table per limit (burst and rate): keys of
 * the same limit share a table, whatever their kind.
 *
 * Each bucket holds at most burst actions and refills one every
 * per_seconds. It is kept as the time at which it will be full again
 * (GCRA's "theoretical arrival time"): its debt, that time minus now,
 * shrinks by one second per second for every key alike, whatever its
 * burst and rate.
 *
 * A table is set-associative: a key hashes (SipHash with a random key,
 * so nobody can aim at a set) to one set of KC_RATELIMIT_WAYS slots. A
 * key that is not there takes the slot of the set whose bucket is full
 * soonest, and inherits that bucket's debt. So forgetting a key never
 * gives it more room than it had: a key is pushed out only when every
 * other key of its set owes at least as much, and as debts shrink alike
 * and newcomers copy the smallest one, when it comes back it finds no
 * slot owing less than it did itself. The cost falls on newcomers only
 * while all KC_RATELIMIT_WAYS keys of their set are limited, or (their
 * debts adding up over generations of newcomers) when more keys than a
 * table holds acted within one refill of their limit. A table per limit
 * keeps a key of a slow limit (a customer's registrations, one every 20
 * minutes) from passing its debt to a newcomer of a fast one (an
 * address's activations, one every 20 s), whose burst it would exceed.
 *
 * A refused action costs nothing. Time is the caller's (milliseconds on
 * a monotonic clock), so the tests drive it. Thread-safe: one mutex.
 */
#ifndef KC_RATELIMIT_H
#define KC_RATELIMIT_H

#include <stddef.h>
#include <stdint.h>

#include "kc_attrs.h"

/* Slots of each of the web front's tables: 4,096 keys of each limit are
 * remembered at once. */
#define KC_RATELIMIT_SLOTS 4096
/* Tables: limits (burst, per_seconds) with a table of their own; kcd uses
 * six; any further one shares the last. The memory of a table no limit
 * uses is never touched. */
#define KC_RATELIMIT_LIMITS 12
/* Slots per set: a flood of new keys pushes out a limited one only after
 * it has pushed out the seven other keys of its set. */
#define KC_RATELIMIT_WAYS 8

struct kc_ratelimit;

/* Tables of slots slots each (a multiple of KC_RATELIMIT_WAYS; 0 means
 * KC_RATELIMIT_SLOTS). 0, KC_ERR_INVALID or KC_ERR_NOMEM; *out is NULL
 * on failure. Needs sodium_init(). */
int kc_ratelimit_new(struct kc_ratelimit **out, size_t slots) KC_MUST_USE
  KC_NONNULL(1);

/* NULL is fine. */
void kc_ratelimit_free(struct kc_ratelimit *rl);

/* May key act now (now_ms)? At most burst actions (>= 1), refilled at one
 * per per_seconds (>= 1). 0 (allowed, and counted), or the whole seconds
 * to wait (at least 1; nothing is counted). */
unsigned kc_ratelimit_take(struct kc_ratelimit *rl, const char *key,
                           unsigned burst, unsigned per_seconds, int64_t now_ms)
  KC_NONNULL(1, 2);

#endif /* KC_RATELIMIT_H */
