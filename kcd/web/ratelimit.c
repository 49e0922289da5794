/*
 * ratelimit.c: token buckets in a set-associative table (see
 * ratelimit.h).
 */
#include <config.h>

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "kc_err.h"
#include "ratelimit.h"

/* key 0 marks an empty slot; its full_at of 0 lies in the past, so a key
 * that takes it starts with a full bucket. */
struct rl_slot {
  uint64_t key;
  int64_t full_at; /* ms: when the bucket is full again */
};

/* One limit (burst, per_seconds) and its own slots. */
struct rl_limit {
  unsigned burst, per;  /* both 0: not taken yet */
  struct rl_slot *slot; /* sets * KC_RATELIMIT_WAYS */
};

struct kc_ratelimit {
  pthread_mutex_t mu;
  size_t sets;
  unsigned char hash_key[crypto_shorthash_KEYBYTES];
  struct rl_limit limit[KC_RATELIMIT_LIMITS];
  struct rl_slot *slot; /* KC_RATELIMIT_LIMITS tables, one after another */
};

int
kc_ratelimit_new(struct kc_ratelimit **out, size_t slots)
{
  struct kc_ratelimit *rl;
  size_t i;

  *out = NULL;
  if (slots == 0)
    slots = KC_RATELIMIT_SLOTS;
  if (slots % KC_RATELIMIT_WAYS != 0 || slots > SIZE_MAX / KC_RATELIMIT_LIMITS)
    return KC_ERR_INVALID;
  if ((rl = calloc(1, sizeof(*rl))) == NULL)
    return KC_ERR_NOMEM;
  /* calloc: pages of tables no limit uses are never touched */
  if ((rl->slot = calloc(slots * KC_RATELIMIT_LIMITS, sizeof(*rl->slot))) ==
      NULL) {
    free(rl);
    return KC_ERR_NOMEM;
  }
  rl->sets = slots / KC_RATELIMIT_WAYS;
  for (i = 0; i < KC_RATELIMIT_LIMITS; i++)
    rl->limit[i].slot = rl->slot + i * slots;
  crypto_shorthash_keygen(rl->hash_key);
  pthread_mutex_init(&rl->mu, NULL);
  *out = rl;
  return 0;
}

void
kc_ratelimit_free(struct kc_ratelimit *rl)
{
  if (rl == NULL)
    return;
  pthread_mutex_destroy(&rl->mu);
  free(rl->slot);
  free(rl);
}

/* The table of a limit (mutex held): its own, a free one, or the last
 * when all are taken. */
static struct rl_limit *
limit_of(struct kc_ratelimit *rl, unsigned burst, unsigned per)
{
  size_t i;

  for (i = 0; i < KC_RATELIMIT_LIMITS - 1; i++) {
    if (rl->limit[i].burst == 0) {
      rl->limit[i].burst = burst;
      rl->limit[i].per = per;
    }
    if (rl->limit[i].burst == burst && rl->limit[i].per == per)
      return &rl->limit[i];
  }
  return &rl->limit[KC_RATELIMIT_LIMITS - 1];
}

/* The slot of k in lim (mutex held): its own, or the one of its set that
 * is full soonest (an empty one first), which k takes over with its
 * debt. */
static struct rl_slot *
find(struct kc_ratelimit *rl, struct rl_limit *lim, uint64_t k)
{
  struct rl_slot *set = &lim->slot[(k % rl->sets) * KC_RATELIMIT_WAYS];
  struct rl_slot *victim = &set[0];
  size_t i;

  for (i = 0; i < KC_RATELIMIT_WAYS; i++) {
    if (set[i].key == k)
      return &set[i];
    if (set[i].full_at < victim->full_at)
      victim = &set[i];
  }
  victim->key = k; /* full_at stays: never a fresh bucket by eviction */
  return victim;
}

unsigned
kc_ratelimit_take(struct kc_ratelimit *rl, const char *key, unsigned burst,
                  unsigned per_seconds, int64_t now_ms)
{
  unsigned char hash[crypto_shorthash_BYTES];
  struct rl_slot *s;
  uint64_t k;
  unsigned b = burst > 0 ? burst : 1, p = per_seconds > 0 ? per_seconds : 1;
  int64_t per = (int64_t) p * 1000;
  int64_t room = (int64_t) (b - 1) * per;
  int64_t debt;
  unsigned wait = 0;

  crypto_shorthash(hash, (const unsigned char *) key, strlen(key),
                   rl->hash_key);
  memcpy(&k, hash, sizeof(k));
  if (k == 0)
    k = 1;
  pthread_mutex_lock(&rl->mu);
  s = find(rl, limit_of(rl, b, p), k);
  debt = s->full_at > now_ms ? s->full_at - now_ms : 0;
  if (debt <= room)
    s->full_at = now_ms + debt + per;
  else
    wait = (unsigned) ((debt - room + 999) / 1000);
  pthread_mutex_unlock(&rl->mu);
  return wait;
}
