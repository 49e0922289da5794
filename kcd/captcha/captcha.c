/*
 * captcha.c: the captcha context and the image captcha (see captcha.h).
 *
 * The image store is a ring of cfg.image_cap slots in creation order, so
 * the slot taken next always holds the oldest challenge: evicting it needs
 * no bookkeeping. An id names its slot next to 16 random bytes, which makes
 * a lookup one constant-time compare instead of a search.
 */
#include <config.h>

#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "captcha_int.h"
#include "kc_err.h"
#include "png.h"

/* Text length: 5 or 6 characters. */
#define KC_CAPTCHA_TEXT_MIN 5

time_t
kc_captcha_now(const struct kc_captcha *c)
{
  if (c->env.now != NULL)
    return c->env.now(c->env.ctx);
  return time(NULL);
}

void
kc_captcha_random(const struct kc_captcha *c, void *buf, size_t len)
{
  if (c->env.random != NULL)
    c->env.random(c->env.ctx, buf, len);
  else
    randombytes_buf(buf, len);
}

uint32_t
kc_captcha_uniform(const struct kc_captcha *c, uint32_t upper)
{
  uint32_t min = (uint32_t) (-upper) % upper, r;

  do
    kc_captcha_random(c, &r, sizeof(r));
  while (r < min);
  return r % upper;
}

/* Fill in defaults; KC_ERR_INVALID when a setting is out of range. */
static int
cfg_resolve(struct kc_captcha_cfg *cfg)
{
  if (cfg->image_ttl == 0)
    cfg->image_ttl = KC_CAPTCHA_IMAGE_TTL;
  if (cfg->image_cap == 0)
    cfg->image_cap = KC_CAPTCHA_IMAGE_CAP;
  if (cfg->pow_ttl == 0)
    cfg->pow_ttl = KC_CAPTCHA_POW_TTL;
  if (cfg->pow_maxnumber == 0)
    cfg->pow_maxnumber = KC_CAPTCHA_POW_MAXNUMBER;
  if (cfg->pow_replay_cap == 0)
    cfg->pow_replay_cap = KC_CAPTCHA_POW_REPLAY_CAP;
  if (cfg->image_ttl > KC_CAPTCHA_TTL_LIMIT ||
      cfg->pow_ttl > KC_CAPTCHA_TTL_LIMIT ||
      cfg->image_cap > KC_CAPTCHA_CAP_LIMIT ||
      cfg->pow_replay_cap > KC_CAPTCHA_CAP_LIMIT ||
      cfg->pow_maxnumber > KC_CAPTCHA_POW_MAXNUMBER_LIMIT)
    return KC_ERR_INVALID;
  return 0;
}

/* pow_key = hex(HMAC-SHA-256(key, KC_CAPTCHA_POW_KEY_LABEL)), read-only. */
static int
derive_pow_key(struct kc_captcha *c, const unsigned char *key)
{
  static const char label[] = KC_CAPTCHA_POW_KEY_LABEL;
  unsigned char mac[crypto_auth_hmacsha256_BYTES];
  crypto_auth_hmacsha256_state st;

  c->pow_key = sodium_malloc(KC_CAPTCHA_POW_KEY_LEN + 1);
  if (c->pow_key == NULL)
    return KC_ERR_NOMEM;
  crypto_auth_hmacsha256_init(&st, key, KC_CAPTCHA_KEY_BYTES);
  crypto_auth_hmacsha256_update(&st, (const unsigned char *) label,
                                sizeof(label) - 1);
  crypto_auth_hmacsha256_final(&st, mac);
  sodium_bin2hex(c->pow_key, KC_CAPTCHA_POW_KEY_LEN + 1, mac, sizeof(mac));
  sodium_memzero(&st, sizeof(st));
  sodium_memzero(mac, sizeof(mac));
  sodium_mprotect_readonly(c->pow_key);
  return 0;
}

int
kc_captcha_new(struct kc_captcha **out,
               const unsigned char key[KC_CAPTCHA_KEY_BYTES],
               const struct kc_captcha_cfg *cfg,
               const struct kc_captcha_env *env)
{
  struct kc_captcha *c;
  int r;

  *out = NULL;
  if (sodium_init() < 0) /* kcd has done it; tools and tests may not */
    return KC_ERR_INTERNAL;
  if ((c = calloc(1, sizeof(*c))) == NULL)
    return KC_ERR_NOMEM;
  if (cfg != NULL)
    c->cfg = *cfg;
  if (env != NULL)
    c->env = *env;
  if ((r = cfg_resolve(&c->cfg)) != 0 || (r = derive_pow_key(c, key)) != 0) {
    free(c);
    return r;
  }
  pthread_mutex_init(&c->image_lock, NULL);
  pthread_mutex_init(&c->replay_lock, NULL);
  *out = c;
  return 0;
}

void
kc_captcha_free(struct kc_captcha *c)
{
  if (c == NULL)
    return;
  if (c->images != NULL) {
    sodium_memzero(c->images, c->cfg.image_cap * sizeof(*c->images));
    free(c->images);
  }
  kc_captcha_pow_free(c);
  sodium_free(c->pow_key);
  pthread_mutex_destroy(&c->image_lock);
  pthread_mutex_destroy(&c->replay_lock);
  free(c);
}

bool
kc_captcha_id_is_valid(const char *id)
{
  size_t i;

  if (id == NULL)
    return false;
  for (i = 0; i < KC_CAPTCHA_ID_LEN; i++) {
    char ch = id[i];
    if (!((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
          (ch >= '0' && ch <= '9') || ch == '-' || ch == '_'))
      return false;
  }
  return id[KC_CAPTCHA_ID_LEN] == '\0';
}

/* Split an id into its slot and tag. 0 or KC_ERR_NOT_FOUND. */
static int
id_decode(const char *id, uint32_t *slot,
          unsigned char tag[KC_CAPTCHA_TAG_BYTES])
{
  unsigned char bin[KC_CAPTCHA_ID_BYTES];
  const char *end = NULL;
  size_t len = 0;

  if (!kc_captcha_id_is_valid(id) ||
      sodium_base642bin(bin, sizeof(bin), id, KC_CAPTCHA_ID_LEN, NULL, &len,
                        &end, sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
      len != sizeof(bin) || end != id + KC_CAPTCHA_ID_LEN)
    return KC_ERR_NOT_FOUND;
  *slot = (uint32_t) bin[0] << 24 | (uint32_t) bin[1] << 16 |
          (uint32_t) bin[2] << 8 | bin[3];
  memcpy(tag, bin + 4, KC_CAPTCHA_TAG_BYTES);
  return 0;
}

static void
id_encode(uint32_t slot, const unsigned char tag[KC_CAPTCHA_TAG_BYTES],
          char id[KC_CAPTCHA_ID_SIZE])
{
  unsigned char bin[KC_CAPTCHA_ID_BYTES] = {(unsigned char) (slot >> 24),
                                            (unsigned char) (slot >> 16),
                                            (unsigned char) (slot >> 8),
                                            (unsigned char) slot};

  memcpy(bin + 4, tag, KC_CAPTCHA_TAG_BYTES);
  sodium_bin2base64(id, KC_CAPTCHA_ID_SIZE, bin, sizeof(bin),
                    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

/* A fresh challenge (text, tag, seed), made outside the lock. */
static void
image_make(const struct kc_captcha *c, struct kc_captcha_image *im)
{
  static const char alphabet[] = KC_CAPTCHA_DRAW_ALPHABET;
  uint32_t n, i;

  memset(im, 0, sizeof(*im)); /* the text is compared zero-padded */
  n = KC_CAPTCHA_TEXT_MIN +
      kc_captcha_uniform(c, KC_CAPTCHA_DRAW_MAX_TEXT - KC_CAPTCHA_TEXT_MIN + 1);
  for (i = 0; i < n; i++)
    im->im_text[i] = alphabet[kc_captcha_uniform(c, sizeof(alphabet) - 1)];
  im->im_text[n] = '\0';
  kc_captcha_random(c, im->im_tag, sizeof(im->im_tag));
  kc_captcha_random(c, &im->im_seed, sizeof(im->im_seed));
  im->im_expires = kc_captcha_now(c) + (time_t) c->cfg.image_ttl;
}

int
kc_captcha_image_new(struct kc_captcha *c, char id_out[KC_CAPTCHA_ID_SIZE])
{
  struct kc_captcha_image im;
  uint32_t slot;

  id_out[0] = '\0';
  image_make(c, &im);
  pthread_mutex_lock(&c->image_lock);
  if (c->images == NULL &&
      (c->images = calloc(c->cfg.image_cap, sizeof(*c->images))) == NULL) {
    pthread_mutex_unlock(&c->image_lock);
    sodium_memzero(&im, sizeof(im));
    return KC_ERR_NOMEM;
  }
  slot = (uint32_t) c->image_next;
  c->images[slot] = im; /* drops the oldest challenge */
  c->image_next = (c->image_next + 1) % c->cfg.image_cap;
  pthread_mutex_unlock(&c->image_lock);
  id_encode(slot, im.im_tag, id_out);
  sodium_memzero(&im, sizeof(im));
  return 0;
}

/*
 * Copy the live challenge id names into *out; when consume is set, the
 * slot is emptied whatever the outcome. An expired entry is emptied too.
 * 0 or KC_ERR_NOT_FOUND. Locks image_lock.
 */
static int
image_take(struct kc_captcha *c, const char *id, bool consume,
           struct kc_captcha_image *out)
{
  unsigned char tag[KC_CAPTCHA_TAG_BYTES];
  struct kc_captcha_image *e;
  time_t now = kc_captcha_now(c);
  uint32_t slot;
  int r = KC_ERR_NOT_FOUND;

  memset(out, 0, sizeof(*out));
  if (id_decode(id, &slot, tag) != 0)
    return KC_ERR_NOT_FOUND;
  pthread_mutex_lock(&c->image_lock);
  if (c->images == NULL || slot >= c->cfg.image_cap)
    goto out;
  e = &c->images[slot];
  if (e->im_text[0] == '\0' || sodium_memcmp(e->im_tag, tag, sizeof(tag)) != 0)
    goto out;
  if (now < e->im_expires) {
    *out = *e;
    r = 0;
  }
  if (consume || r != 0)
    sodium_memzero(e, sizeof(*e));
out:
  pthread_mutex_unlock(&c->image_lock);
  return r;
}

int
kc_captcha_image_png(struct kc_captcha *c, const char *id, struct kc_buf *png)
{
  unsigned char pix[KC_CAPTCHA_DRAW_W * KC_CAPTCHA_DRAW_H];
  struct kc_captcha_image im;
  int r;

  if ((r = image_take(c, id, false, &im)) != 0)
    return r;
  kc_captcha_draw(pix, im.im_text, im.im_seed);
  sodium_memzero(&im, sizeof(im));
  r = kc_png_gray(png, pix, KC_CAPTCHA_DRAW_W, KC_CAPTCHA_DRAW_H);
  sodium_memzero(pix, sizeof(pix));
  return r;
}

/* Characters the alphabet leaves out, read as the partner it keeps: a
 * person who sees "5" and types "S" has still read the picture right. */
static char
answer_fold(char ch)
{
  static const char from[] = "SZB6VOQ0", to[] = "528GUDDD";
  const char *hit;

  if (ch >= 'a' && ch <= 'z')
    ch = (char) (ch - 'a' + 'A');
  if (ch != '\0' && (hit = strchr(from, ch)) != NULL)
    ch = to[hit - from];
  return ch;
}

static bool
is_blank(char ch)
{
  return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n';
}

/* The answer without surrounding blanks, folded (answer_fold), zero-padded
 * into out. -1 when it cannot be right (empty, or too long for any text). */
static int
answer_normalize(const char *answer, char out[KC_CAPTCHA_DRAW_MAX_TEXT + 1])
{
  size_t len = strnlen(answer, KC_MAX_CAPTCHA_ANSWER + 1), i;
  const char *s = answer;

  memset(out, 0, KC_CAPTCHA_DRAW_MAX_TEXT + 1);
  if (len > KC_MAX_CAPTCHA_ANSWER)
    return -1;
  while (len > 0 && is_blank(*s)) {
    s++;
    len--;
  }
  while (len > 0 && is_blank(s[len - 1]))
    len--;
  if (len == 0 || len > KC_CAPTCHA_DRAW_MAX_TEXT)
    return -1;
  for (i = 0; i < len; i++)
    out[i] = answer_fold(s[i]);
  return 0;
}

int
kc_captcha_image_check(struct kc_captcha *c, const char *id, const char *answer)
{
  char want[KC_CAPTCHA_DRAW_MAX_TEXT + 1], got[KC_CAPTCHA_DRAW_MAX_TEXT + 1];
  struct kc_captcha_image im;
  int r = -1;

  if (id == NULL)
    return -1;
  /* consume first: a wrong or malformed answer uses the challenge up */
  if (image_take(c, id, true, &im) != 0)
    return -1;
  memcpy(want, im.im_text, sizeof(want));
  if (answer != NULL && answer_normalize(answer, got) == 0 &&
      sodium_memcmp(want, got, sizeof(want)) == 0)
    r = 0;
  sodium_memzero(&im, sizeof(im));
  sodium_memzero(want, sizeof(want));
  sodium_memzero(got, sizeof(got));
  return r;
}
