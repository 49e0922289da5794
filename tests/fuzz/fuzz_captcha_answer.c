/*
 * libFuzzer target: the image captcha's form fields as POST /register and
 * GET /captcha/<id>.png pass them on: captcha_id (kc_captcha_id_is_valid,
 * kc_captcha_image_png, kc_captcha_image_check) and captcha_answer.
 *
 * Input: one byte r, then "ID\nANSWER" (or only ANSWER). A fresh store with
 * every random byte r makes one challenge whose text the harness knows (r
 * repeated through the draw: see text_for_byte). Invariants: an unknown id
 * finds nothing and leaves the challenge alone; the answer is accepted
 * exactly when, without surrounding blanks and folded as captcha.h
 * documents, it equals the text; a second check always fails. When r has
 * its two top bits set the fuzzed bytes are also drawn (kc_captcha_draw;
 * slow, so not every time).
 */
#include <config.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <sodium.h>

#include "captcha.h"
#include "captcha_draw.h"
#include "kc_buf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const unsigned char key[KC_CAPTCHA_KEY_BYTES] = {0};
static unsigned char rbyte;

static time_t
fixed_now(void *ctx)
{
  (void) ctx;
  return 1700000000;
}

static void
const_random(void *ctx, void *buf, size_t len)
{
  (void) ctx;
  memset(buf, rbyte, len);
}

/* The text a store makes when every random byte is b (b != 0). */
static void
text_for_byte(unsigned char b, char out[KC_CAPTCHA_DRAW_MAX_TEXT + 1])
{
  static const char alphabet[] = KC_CAPTCHA_DRAW_ALPHABET;
  uint32_t v = b * 0x01010101u;
  size_t n = 5 + v % 2;

  memset(out, alphabet[v % (sizeof(alphabet) - 1)], n);
  out[n] = '\0';
}

/* The oracle: does answer read as text (captcha.h's rules)? */
static bool
answer_matches(const char *answer, size_t len, const char *text)
{
  static const char from[] = "SZB6VOQ0", to[] = "528GUDDD";
  const char *hit;
  size_t i;
  char ch;

  if (len > KC_MAX_CAPTCHA_ANSWER)
    return false;
  while (len > 0 && strchr(" \t\r\n", answer[0]) != NULL && answer[0] != 0) {
    answer++;
    len--;
  }
  while (len > 0 && answer[len - 1] != 0 && strchr(" \t\r\n",
                                              answer[len - 1]) != NULL)
    len--;
  if (len != strlen(text))
    return false;
  for (i = 0; i < len; i++) {
    ch = answer[i];
    if (ch >= 'a' && ch <= 'z')
      ch = (char) (ch - 'a' + 'A');
    if (ch != 0 && (hit = strchr(from, ch)) != NULL)
      ch = to[hit - from];
    if (ch != text[i])
      return false;
  }
  return true;
}

static void
draw_bytes(const uint8_t *data, size_t size)
{
  unsigned char pix[KC_CAPTCHA_DRAW_W * KC_CAPTCHA_DRAW_H];
  char text[KC_CAPTCHA_DRAW_MAX_TEXT + 1] = {0};
  uint64_t seed = 0;

  memcpy(text, data, size < KC_CAPTCHA_DRAW_MAX_TEXT ? size :
                                                       KC_CAPTCHA_DRAW_MAX_TEXT);
  memcpy(&seed, data, size < sizeof(seed) ? size : sizeof(seed));
  kc_captcha_draw(pix, text, seed);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  char buf[512], id[KC_CAPTCHA_ID_SIZE], text[KC_CAPTCHA_DRAW_MAX_TEXT + 1];
  struct kc_captcha_env env = {fixed_now, const_random, NULL};
  struct kc_captcha_cfg cfg = {.image_cap = 8};
  const char *answer = buf, *nl;
  struct kc_captcha *c;
  struct kc_buf png;
  bool same;

  if (size < 1 || size > sizeof(buf) || sodium_init() < 0)
    return 0;
  rbyte = data[0] != 0 ? data[0] : 1;
  text_for_byte(rbyte, text);
  memcpy(buf, data + 1, size - 1);
  buf[size - 1] = '\0';
  if ((rbyte & 0xc0) == 0xc0)
    draw_bytes(data + 1, size - 1);
  if (kc_captcha_new(&c, key, &cfg, &env) != 0 ||
    kc_captcha_image_new(c, id) != 0)
    __builtin_trap();
  if ((nl = memchr(buf, '\n', size - 1)) != NULL) {
    buf[nl - buf] = '\0';
    answer = nl + 1;
    same = strcmp(buf, id) == 0;
    if (kc_captcha_id_is_valid(buf) != (strlen(buf) == KC_CAPTCHA_ID_LEN &&
                                         strspn(buf, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                                     "abcdefghijklmnopqrstuvwxyz"
                                                     "0123456789-_") ==
                                           KC_CAPTCHA_ID_LEN))
      __builtin_trap();
    if (!same || (rbyte & 0x20)) { /* drawing is slow: not every time */
      kc_buf_init(&png, KC_CAPTCHA_PNG_MAX);
      if ((kc_captcha_image_png(c, buf, &png) == 0) != same)
        __builtin_trap();
      kc_buf_free(&png);
    }
    if (!same && kc_captcha_image_check(c, buf, answer) == 0)
      __builtin_trap();
  }
  if ((kc_captcha_image_check(c, id, answer) == 0) !=
    answer_matches(answer, strlen(answer), text))
    __builtin_trap();
  if (kc_captcha_image_check(c, id, answer) == 0)
    __builtin_trap();
  kc_captcha_free(c);
  return 0;
}
