/*
 * captcha_int.h: the state behind struct kc_captcha, shared by captcha.c
 * (context, image store) and captcha_pow.c (ALTCHA, replay store). Not for
 * other modules: they use captcha.h.
 */
#ifndef KC_CAPTCHA_INT_H
#define KC_CAPTCHA_INT_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "captcha.h"
#include "captcha_draw.h"

/* Random part of an image id. */
#define KC_CAPTCHA_TAG_BYTES 16
/* Store slot (4 bytes) and tag. */
#define KC_CAPTCHA_ID_BYTES (4 + KC_CAPTCHA_TAG_BYTES)
/* The derived ALTCHA key: 64 hex digits. */
#define KC_CAPTCHA_POW_KEY_LEN 64
/* Bytes of a solved challenge the replay store keys on (of 32). */
#define KC_CAPTCHA_REPLAY_KEY_BYTES 16

struct kc_captcha_image {
  unsigned char im_tag[KC_CAPTCHA_TAG_BYTES];
  char im_text[KC_CAPTCHA_DRAW_MAX_TEXT + 1]; /* "" when the slot is free */
  uint64_t im_seed;                           /* picks the picture */
  time_t im_expires;
};

/* A used challenge; rp_expires == 0 marks a free slot. */
struct kc_captcha_replay {
  unsigned char rp_key[KC_CAPTCHA_REPLAY_KEY_BYTES];
  time_t rp_expires;
};

struct kc_captcha {
  struct kc_captcha_cfg cfg;
  struct kc_captcha_env env;
  char *pow_key; /* sodium_malloc, KC_CAPTCHA_POW_KEY_LEN + NUL, read-only */

  pthread_mutex_t image_lock;      /* guards the image_* members */
  struct kc_captcha_image *images; /* ring of cfg.image_cap; lazily */
  size_t image_next;               /* slot the next challenge takes */

  pthread_mutex_t replay_lock;      /* guards the replay_* members */
  struct kc_captcha_replay *replay; /* open addressing; lazily */
  size_t replay_size;               /* slots: a power of two >= 2 * cap */
  size_t replay_count;
  time_t replay_min_expiry; /* earliest expiry stored: no sweep before */
};

/* The injected or real clock and randomness. */
time_t kc_captcha_now(const struct kc_captcha *c) KC_NONNULL(1);
void kc_captcha_random(const struct kc_captcha *c, void *buf, size_t len)
  KC_NONNULL(1, 2);
/* Uniform in [0, upper), upper >= 1, without modulo bias. */
uint32_t kc_captcha_uniform(const struct kc_captcha *c, uint32_t upper)
  KC_NONNULL(1);

/* Free the replay store (captcha_pow.c); for kc_captcha_free(). */
void kc_captcha_pow_free(struct kc_captcha *c) KC_NONNULL(1);

#endif /* KC_CAPTCHA_INT_H */
