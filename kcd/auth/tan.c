/*
 * tan.c: TAN generation, send decisions and verification (see tan.h).
 */
#include <config.h>

#include <string.h>

#include <sodium.h>

#include "kc_err.h"
#include "tan.h"

/* Length of one send-rate window: tan_max_per_hour counts per hour. */
#define KC_TAN_WINDOW 3600

time_t
kc_tan_now(const struct kc_tan_env *env)
{
  if (env != NULL && env->now != NULL)
    return env->now(env->ctx);
  return time(NULL);
}

void
kc_tan_random(const struct kc_tan_env *env, void *buf, size_t len)
{
  if (env != NULL && env->random != NULL)
    env->random(env->ctx, buf, len);
  else
    randombytes_buf(buf, len);
}

uint32_t
kc_tan_uniform(const struct kc_tan_env *env, uint32_t upper)
{
  uint32_t min = (uint32_t) (-upper) % upper, r;

  do
    kc_tan_random(env, &r, sizeof(r));
  while (r < min);
  return r % upper;
}

bool
kc_tan_is_digits(const char *s, size_t n)
{
  size_t i;

  for (i = 0; i < n; i++)
    if (s[i] < '0' || s[i] > '9')
      return false;
  return s[n] == '\0';
}

bool
kc_tan_is_open(const struct kc_tan_policy *p, const struct kc_tan_state *s,
               time_t now)
{
  return s->hash[0] != '\0' && s->challenge[0] != '\0' && now < s->expires &&
         s->tries < p->max_tries;
}

/* Sends in the window that contains now. */
static unsigned
sends_this_hour(const struct kc_tan_state *s, time_t now)
{
  if (s->window_start == 0 || now - s->window_start >= KC_TAN_WINDOW ||
      now < s->window_start)
    return 0;
  return s->send_count;
}

enum kc_tan_issue
kc_tan_decide(const struct kc_tan_policy *p, const struct kc_tan_state *s,
              time_t now)
{
  bool open = kc_tan_is_open(p, s, now);

  /* the account is (or is about to be) locked: no new tries for it */
  if (kc_tan_lock_due(p, s->failures))
    return KC_TAN_ISSUE_LIMITED;
  if (open && now >= s->sent_at &&
      now - s->sent_at < (time_t) p->resend_interval)
    return KC_TAN_ISSUE_REUSE;
  if (sends_this_hour(s, now) >= p->max_per_hour)
    return open ? KC_TAN_ISSUE_REUSE : KC_TAN_ISSUE_LIMITED;
  return KC_TAN_ISSUE_NEW;
}

/* HMAC-SHA-256(key, challenge ":" tan), base64. */
static void
tan_hash(const unsigned char key[KC_TAN_KEY_BYTES], const char *challenge,
         const char *tan, char out[KC_TAN_HASH_LEN + 1])
{
  crypto_auth_hmacsha256_state st;
  unsigned char mac[crypto_auth_hmacsha256_BYTES];

  crypto_auth_hmacsha256_init(&st, key, KC_TAN_KEY_BYTES);
  crypto_auth_hmacsha256_update(&st, (const unsigned char *) challenge,
                                strlen(challenge));
  crypto_auth_hmacsha256_update(&st, (const unsigned char *) ":", 1);
  crypto_auth_hmacsha256_update(&st, (const unsigned char *) tan, strlen(tan));
  crypto_auth_hmacsha256_final(&st, mac);
  sodium_bin2base64(out, KC_TAN_HASH_LEN + 1, mac, sizeof(mac),
                    sodium_base64_VARIANT_ORIGINAL);
  sodium_memzero(&st, sizeof(st));
  sodium_memzero(mac, sizeof(mac));
}

int
kc_tan_new(const struct kc_tan_env *env, const struct kc_tan_policy *p,
           const unsigned char key[KC_TAN_KEY_BYTES],
           const struct kc_tan_state *cur, char tan[KC_MAX_TAN_LENGTH + 1],
           struct kc_tan_state *next)
{
  unsigned char raw[KC_TAN_CHALLENGE_BYTES];
  time_t now = kc_tan_now(env);
  unsigned i;

  memset(next, 0, sizeof(*next));
  tan[0] = '\0';
  if (p->length < KC_MIN_TAN_LENGTH || p->length > KC_MAX_TAN_LENGTH ||
      p->ttl == 0 || p->max_tries == 0)
    return KC_ERR_INVALID;
  for (i = 0; i < p->length; i++)
    tan[i] = (char) ('0' + kc_tan_uniform(env, 10));
  tan[p->length] = '\0';
  kc_tan_random(env, raw, sizeof(raw));
  sodium_bin2base64(next->challenge, sizeof(next->challenge), raw, sizeof(raw),
                    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  tan_hash(key, next->challenge, tan, next->hash);
  next->expires = now + (time_t) p->ttl;
  next->tries = 0;
  next->sent_at = now;
  if (sends_this_hour(cur, now) == 0) {
    next->window_start = now;
    next->send_count = 1;
  } else {
    next->window_start = cur->window_start;
    next->send_count = cur->send_count + 1;
  }
  /* the account's count of wrong answers is not the TAN's: it stays */
  next->failures = cur->failures;
  next->failures_set = cur->failures_set;
  return 0;
}

/* Does challenge name the TAN in s? Constant time in the contents. */
static bool
same_challenge(const struct kc_tan_state *s, const char *challenge)
{
  size_t clen;

  if (challenge == NULL)
    return s->challenge[0] != '\0';
  clen = strlen(challenge);
  return clen != 0 && clen == strlen(s->challenge) &&
         sodium_memcmp(challenge, s->challenge, clen) == 0;
}

enum kc_tan_gate
kc_tan_gate(const struct kc_tan_policy *p, const struct kc_tan_state *s,
            const char *challenge, time_t now)
{
  if (!same_challenge(s, challenge))
    return KC_TAN_GATE_DEAD;
  if (kc_tan_lock_due(p, s->failures))
    return KC_TAN_GATE_LOCKED;
  if (s->hash[0] == '\0' || now >= s->expires)
    return KC_TAN_GATE_DEAD;
  if (s->tries >= p->max_tries)
    return KC_TAN_GATE_MAXTRIES;
  return KC_TAN_GATE_COUNT;
}

bool
kc_tan_lock_due(const struct kc_tan_policy *p, unsigned failures)
{
  return p->max_failures != 0 && failures >= p->max_failures;
}

enum kc_tan_check
kc_tan_check(const struct kc_tan_policy *p,
             const unsigned char key[KC_TAN_KEY_BYTES],
             const struct kc_tan_state *s, const char *challenge,
             const char *answer, time_t now)
{
  char want[KC_TAN_HASH_LEN + 1];
  size_t clen = strlen(challenge);
  int same;

  if (!kc_tan_is_open(p, s, now) || clen != strlen(s->challenge) ||
      sodium_memcmp(challenge, s->challenge, clen) != 0)
    return KC_TAN_DEAD;
  if (!kc_tan_is_digits(answer, p->length))
    return KC_TAN_WRONG;
  tan_hash(key, s->challenge, answer, want);
  same = strlen(s->hash) == KC_TAN_HASH_LEN &&
         sodium_memcmp(want, s->hash, KC_TAN_HASH_LEN) == 0;
  sodium_memzero(want, sizeof(want));
  return same ? KC_TAN_RIGHT : KC_TAN_WRONG;
}
