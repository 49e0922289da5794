/*
 * Unit tests for the captcha library: kcd/captcha/captcha.c (image store),
 * kcd/captcha/captcha_pow.c (ALTCHA v1), kcd/captcha/captcha_draw.c,
 * kcd/captcha/png.c and kcd/captcha/flatjson.c. The clock and randomness are
 * injected; the PNG is checked by the decoder of png_check.c (chunk CRCs, IHDR,
 * stored deflate blocks, Adler-32), independent of the encoder's own helpers.
 */
#include <config.h>

#include <check.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "captcha.h"
#include "captcha_draw.h"
#include "flatjson.h"
#include "kc_buf.h"
#include "kc_err.h"
#include "png.h"
#include "png_check.h"

/* ------------------------------------------------------------ fakes */

enum fake_mode { FAKE_CONST, FAKE_COUNT };

struct fake {
  time_t now;
  enum fake_mode mode;
  unsigned char byte; /* FAKE_CONST: every random byte */
  unsigned char next; /* FAKE_COUNT: next byte of the stream */
};

static time_t
fake_now(void *ctx)
{
  return ((struct fake *) ctx)->now;
}

static void
fake_random(void *ctx, void *buf, size_t len)
{
  struct fake *f = ctx;
  unsigned char *b = buf;
  size_t i;

  for (i = 0; i < len; i++)
    b[i] = f->mode == FAKE_CONST ? f->byte : f->next++;
}

static const unsigned char key[KC_CAPTCHA_KEY_BYTES] =
  "0123456789abcdef0123456789abcde";
static const char alphabet[] = KC_CAPTCHA_DRAW_ALPHABET;

static struct kc_captcha *
make(struct fake *f, const struct kc_captcha_cfg *cfg)
{
  struct kc_captcha_env env = {fake_now, fake_random, f};
  struct kc_captcha *c = NULL;

  ck_assert_int_eq(kc_captcha_new(&c, key, cfg, &env), 0);
  ck_assert_ptr_nonnull(c);
  return c;
}

/* With every random byte b, each draw is the 32-bit value v = b * 0x01010101:
 * length 5 + v % 2, every character alphabet[v % 25]. */
static void
text_for_byte(unsigned char b, char out[KC_CAPTCHA_DRAW_MAX_TEXT + 1])
{
  uint32_t v = b * 0x01010101u;
  size_t n = 5 + v % 2;

  memset(out, alphabet[v % (sizeof(alphabet) - 1)], n);
  out[n] = '\0';
}

/* A byte whose text consists of ch. */
static unsigned char
byte_for_char(char ch)
{
  char t[KC_CAPTCHA_DRAW_MAX_TEXT + 1];
  unsigned b;

  for (b = 1; b < 256; b++) {
    text_for_byte((unsigned char) b, t);
    if (t[0] == ch)
      return (unsigned char) b;
  }
  ck_abort_msg("no byte gives %c", ch);
  return 0;
}

/* ------------------------------------------------------------ image store */

START_TEST(test_captcha_image_right_answer_once)
{
  struct fake f = {1000, FAKE_CONST, 0x11, 0};
  struct kc_captcha *c = make(&f, NULL);
  char id[KC_CAPTCHA_ID_SIZE], text[KC_CAPTCHA_DRAW_MAX_TEXT + 1];

  text_for_byte(f.byte, text);
  ck_assert_int_eq(kc_captcha_image_new(c, id), 0);
  ck_assert_uint_eq(strlen(id), KC_CAPTCHA_ID_LEN);
  ck_assert(kc_captcha_id_is_valid(id));
  ck_assert_int_eq(kc_captcha_image_check(c, id, text), 0);
  ck_assert_int_eq(kc_captcha_image_check(c, id, text), -1);
  kc_captcha_free(c);
}
END_TEST

START_TEST(test_captcha_image_wrong_answer_consumes)
{
  struct fake f = {1000, FAKE_CONST, 0x11, 0};
  struct kc_captcha *c = make(&f, NULL);
  char id[KC_CAPTCHA_ID_SIZE], text[KC_CAPTCHA_DRAW_MAX_TEXT + 1];
  struct kc_buf png;

  text_for_byte(f.byte, text);
  ck_assert_int_eq(kc_captcha_image_new(c, id), 0);
  ck_assert_int_eq(kc_captcha_image_check(c, id, "XXXXX"), -1);
  ck_assert_int_eq(kc_captcha_image_check(c, id, text), -1);
  kc_buf_init(&png, KC_CAPTCHA_PNG_MAX);
  ck_assert_int_eq(kc_captcha_image_png(c, id, &png), KC_ERR_NOT_FOUND);
  /* a missing or empty answer consumes as well */
  ck_assert_int_eq(kc_captcha_image_new(c, id), 0);
  ck_assert_int_eq(kc_captcha_image_check(c, id, NULL), -1);
  ck_assert_int_eq(kc_captcha_image_check(c, id, text), -1);
  ck_assert_int_eq(kc_captcha_image_new(c, id), 0);
  ck_assert_int_eq(kc_captcha_image_check(c, id, "   "), -1);
  ck_assert_int_eq(kc_captcha_image_check(c, id, text), -1);
  kc_buf_free(&png);
  kc_captcha_free(c);
}
END_TEST

START_TEST(test_captcha_image_case_blanks_and_lookalikes)
{
  struct fake f = {1000, FAKE_CONST, 0, 0};
  struct kc_captcha *c;
  char id[KC_CAPTCHA_ID_SIZE], text[KC_CAPTCHA_DRAW_MAX_TEXT + 1];
  char answer[64];
  size_t i;

  f.byte = byte_for_char('H');
  c = make(&f, NULL);
  text_for_byte(f.byte, text);
  for (i = 0; text[i] != '\0'; i++)
    text[i] = 'h';
  snprintf(answer, sizeof(answer), " \t%s \r\n", text);
  ck_assert_int_eq(kc_captcha_image_new(c, id), 0);
  ck_assert_int_eq(kc_captcha_image_check(c, id, answer), 0);
  /* blanks inside the answer are not ignored */
  ck_assert_int_eq(kc_captcha_image_new(c, id), 0);
  ck_assert_int_eq(kc_captcha_image_check(c, id, "hh hhh"), -1);
  kc_captcha_free(c);

  /* "5" typed as "s" counts; the text is all "5" */
  f.byte = byte_for_char('5');
  c = make(&f, NULL);
  text_for_byte(f.byte, text);
  for (i = 0; text[i] != '\0'; i++)
    text[i] = i % 2 ? 's' : 'S';
  ck_assert_int_eq(kc_captcha_image_new(c, id), 0);
  ck_assert_int_eq(kc_captcha_image_check(c, id, text), 0);
  kc_captcha_free(c);
}
END_TEST

START_TEST(test_captcha_image_length_matters)
{
  struct fake f = {1000, FAKE_CONST, 0x11, 0};
  struct kc_captcha *c = make(&f, NULL);
  char id[KC_CAPTCHA_ID_SIZE], text[KC_CAPTCHA_DRAW_MAX_TEXT + 1];
  char longer[KC_MAX_CAPTCHA_ANSWER + 8];

  text_for_byte(f.byte, text);
  ck_assert_int_eq(kc_captcha_image_new(c, id), 0);
  text[strlen(text) - 1] = '\0'; /* a prefix is wrong */
  ck_assert_int_eq(kc_captcha_image_check(c, id, text), -1);
  text_for_byte(f.byte, text);
  ck_assert_int_eq(kc_captcha_image_new(c, id), 0);
  memset(longer, ' ', sizeof(longer) - 1);
  longer[sizeof(longer) - 1] = '\0';
  memcpy(longer + 2, text, strlen(text)); /* over KC_MAX_CAPTCHA_ANSWER */
  ck_assert_int_eq(kc_captcha_image_check(c, id, longer), -1);
  kc_captcha_free(c);
}
END_TEST

START_TEST(test_captcha_image_expiry)
{
  struct fake f = {1000, FAKE_CONST, 0x11, 0};
  struct kc_captcha_cfg cfg = {.image_ttl = 600};
  struct kc_captcha *c = make(&f, &cfg);
  char id[KC_CAPTCHA_ID_SIZE], text[KC_CAPTCHA_DRAW_MAX_TEXT + 1];
  struct kc_buf png;

  text_for_byte(f.byte, text);
  kc_buf_init(&png, KC_CAPTCHA_PNG_MAX);
  ck_assert_int_eq(kc_captcha_image_new(c, id), 0);
  f.now = 1000 + 599;
  ck_assert_int_eq(kc_captcha_image_png(c, id, &png), 0);
  ck_assert_int_eq(kc_captcha_image_check(c, id, text), 0);

  f.now = 2000;
  ck_assert_int_eq(kc_captcha_image_new(c, id), 0);
  f.now = 2000 + 600;
  kc_buf_free(&png);
  ck_assert_int_eq(kc_captcha_image_png(c, id, &png), KC_ERR_NOT_FOUND);
  ck_assert_int_eq(kc_captcha_image_check(c, id, text), -1);
  /* and it stays gone when the clock goes back */
  f.now = 2000;
  ck_assert_int_eq(kc_captcha_image_check(c, id, text), -1);
  kc_buf_free(&png);
  kc_captcha_free(c);
}
END_TEST

START_TEST(test_captcha_image_unknown_ids)
{
  struct fake f = {1000, FAKE_CONST, 0x11, 0};
  struct kc_captcha_cfg cfg = {.image_cap = 4};
  struct kc_captcha *c = make(&f, &cfg);
  char id[KC_CAPTCHA_ID_SIZE], other[KC_CAPTCHA_ID_SIZE];
  char text[KC_CAPTCHA_DRAW_MAX_TEXT + 1];
  struct kc_buf png;
  static const char *const bad[] = {
    "", "short", "AAAAAAAAAAAAAAAAAAAAAAAAAA",   /* 26 */
    "AAAAAAAAAAAAAAAAAAAAAAAAAAAA",             /* 28 */
    "AAAAAAAAAAAAAAAAAAAAAAAAAA+", "AAAAAAAAAAAAAAAAAAAAAAAAAA/",
    "AAAAAAAAAAAAAAAAAAAAAAAAAA=", "AAAAAAAAAAAAAAAAAAAAAAAAAA ",
    "/AAAAAAAAAAAAAAAAAAAAAAAAAA", "../../../../etc/passwd.png"};
  size_t i;

  text_for_byte(f.byte, text);
  kc_buf_init(&png, KC_CAPTCHA_PNG_MAX);
  ck_assert(!kc_captcha_id_is_valid(NULL));
  for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    ck_assert_msg(!kc_captcha_id_is_valid(bad[i]), "%s", bad[i]);
    ck_assert_int_eq(kc_captcha_image_png(c, bad[i], &png), KC_ERR_NOT_FOUND);
    ck_assert_int_eq(kc_captcha_image_check(c, bad[i], text), -1);
  }
  ck_assert(kc_captcha_id_is_valid("AAAAAAAAAAAAAAAAAAAAAAAAAAA"));
  ck_assert(kc_captcha_id_is_valid("_____AAAAAAAAAAAAAAAAAAAAAA"));
  /* before any challenge exists */
  ck_assert_int_eq(kc_captcha_image_check(c, "AAAAAAAAAAAAAAAAAAAAAAAAAAA",
                     text), -1);
  ck_assert_int_eq(kc_captcha_image_new(c, id), 0);
  /* the right slot with another tag, and a slot beyond the store */
  memcpy(other, id, sizeof(other));
  other[10] = other[10] == 'A' ? 'B' : 'A';
  ck_assert_int_eq(kc_captcha_image_check(c, other, text), -1);
  ck_assert_int_eq(kc_captcha_image_check(c, "_____AAAAAAAAAAAAAAAAAAAAAA",
                     text), -1);
  ck_assert_int_eq(kc_captcha_image_check(c, NULL, text), -1);
  /* none of that touched the real one */
  ck_assert_int_eq(kc_captcha_image_check(c, id, text), 0);
  kc_buf_free(&png);
  kc_captcha_free(c);
}
END_TEST

START_TEST(test_captcha_image_store_evicts_oldest)
{
  struct fake f = {1000, FAKE_CONST, 0x11, 0};
  struct kc_captcha_cfg cfg = {.image_cap = 3};
  struct kc_captcha *c = make(&f, &cfg);
  char id[4][KC_CAPTCHA_ID_SIZE], text[4][KC_CAPTCHA_DRAW_MAX_TEXT + 1];
  int i;

  for (i = 0; i < 4; i++) {
    f.now++;
    f.byte = (unsigned char) (0x11 + i); /* another tag and text each */
    text_for_byte(f.byte, text[i]);
    ck_assert_int_eq(kc_captcha_image_new(c, id[i]), 0);
  }
  ck_assert_str_ne(id[0], id[3]); /* same slot, other tag */
  ck_assert_int_eq(kc_captcha_image_check(c, id[0], text[0]), -1);
  for (i = 1; i < 4; i++)
    ck_assert_int_eq(kc_captcha_image_check(c, id[i], text[i]), 0);
  kc_captcha_free(c);
}
END_TEST

START_TEST(test_captcha_png_known_answers)
{
  ck_assert_uint_eq(kc_png_crc32(0, "123456789", 9), 0xcbf43926u);
  ck_assert_uint_eq(kc_png_crc32(kc_png_crc32(0, "1234", 4), "56789", 5),
    0xcbf43926u);
  ck_assert_uint_eq(kc_png_adler32(1, "Wikipedia", 9), 0x11e60398u);
  ck_assert_uint_eq(kc_png_crc32(0, "IEND", 4), 0xae426082u);
}
END_TEST

START_TEST(test_captcha_png_encoder)
{
  static const unsigned dims[][2] = {{1, 1}, {3, 2}, {300, 300}, {1024, 1}};
  unsigned char *pix;
  struct kc_buf out;
  struct decoded d;
  size_t i, x, y, w, h;

  for (i = 0; i < sizeof(dims) / sizeof(dims[0]); i++) {
    w = dims[i][0];
    h = dims[i][1];
    pix = malloc(w * h);
    ck_assert_ptr_nonnull(pix);
    for (y = 0; y < h; y++)
      for (x = 0; x < w; x++)
        pix[y * w + x] = (unsigned char) (x * 7 + y * 13);
    kc_buf_init(&out, 1024 * 1024);
    ck_assert_int_eq(kc_png_gray(&out, pix, (unsigned) w, (unsigned) h), 0);
    ck_assert_uint_eq(kc_buf_len(&out), kc_png_gray_size((unsigned) w,
                                          (unsigned) h));
    png_decode((const unsigned char *) kc_buf_get(&out), kc_buf_len(&out),
      &d);
    ck_assert_uint_eq(d.w, w);
    ck_assert_uint_eq(d.h, h);
    ck_assert_uint_eq(d.depth, 8);
    png_check_filters(&d);
    for (y = 0; y < h; y++)
      ck_assert_mem_eq(d.raw + y * (w + 1) + 1, pix + y * w, w);
    free(d.raw);
    free(pix);
    kc_buf_free(&out);
  }
}
END_TEST

START_TEST(test_captcha_png_limits)
{
  unsigned char pix[16] = {0};
  struct kc_buf out;

  kc_buf_init(&out, 1024);
  ck_assert_int_eq(kc_png_gray(&out, pix, 0, 1), KC_ERR_INVALID);
  ck_assert_int_eq(kc_png_gray(&out, pix, 1, 0), KC_ERR_INVALID);
  ck_assert_int_eq(kc_png_gray(&out, pix, KC_PNG_MAX_DIM + 1, 1),
    KC_ERR_INVALID);
  /* a buffer too small fails and is left empty */
  kc_buf_init(&out, 40);
  ck_assert_int_eq(kc_png_gray(&out, pix, 4, 4), KC_ERR_TOO_LARGE);
  ck_assert_uint_eq(kc_buf_len(&out), 0);
  kc_buf_free(&out);
}
END_TEST

/* Fetch the PNG of id and decode it. */
static void
fetch(struct kc_captcha *c, const char *id, struct kc_buf *png,
  struct decoded *d)
{
  kc_buf_init(png, KC_CAPTCHA_PNG_MAX);
  ck_assert_int_eq(kc_captcha_image_png(c, id, png), 0);
  png_decode((const unsigned char *) kc_buf_get(png), kc_buf_len(png), d);
  ck_assert_uint_eq(d->depth, 8);
}

START_TEST(test_captcha_image_png_valid)
{
  struct fake f = {1000, FAKE_COUNT, 0, 1};
  struct kc_captcha *c = make(&f, NULL);
  char id[KC_CAPTCHA_ID_SIZE];
  struct kc_buf png;
  struct decoded d;
  size_t i, dark = 0, light = 0, y;

  ck_assert_int_eq(kc_captcha_image_new(c, id), 0);
  fetch(c, id, &png, &d);
  ck_assert_uint_eq(d.w, KC_CAPTCHA_DRAW_W);
  ck_assert_uint_eq(d.h, KC_CAPTCHA_DRAW_H);
  png_check_filters(&d);
  for (y = 0; y < d.h; y++)
    for (i = 1; i <= d.w; i++) {
      unsigned char v = d.raw[y * (d.w + 1) + i];
      dark += v < 100;
      light += v > 200;
    }
  /* text and noise on a light background */
  ck_assert_uint_gt(dark, 1000);
  ck_assert_uint_gt(light, d.w * d.h / 2);
  free(d.raw);
  kc_buf_free(&png);
  kc_captcha_free(c);
}
END_TEST

START_TEST(test_captcha_image_png_stable_and_distinct)
{
  struct fake f = {1000, FAKE_COUNT, 0, 1};
  struct kc_captcha *c = make(&f, NULL);
  char a[KC_CAPTCHA_ID_SIZE], b[KC_CAPTCHA_ID_SIZE];
  struct kc_buf pa, pa2, pb;
  struct decoded da, da2, db;

  ck_assert_int_eq(kc_captcha_image_new(c, a), 0);
  ck_assert_int_eq(kc_captcha_image_new(c, b), 0);
  ck_assert_str_ne(a, b);
  fetch(c, a, &pa, &da);
  fetch(c, a, &pa2, &da2);
  fetch(c, b, &pb, &db);
  /* the same id gives the same picture: nothing to average */
  ck_assert_uint_eq(kc_buf_len(&pa), kc_buf_len(&pa2));
  ck_assert_mem_eq(kc_buf_get(&pa), kc_buf_get(&pa2), kc_buf_len(&pa));
  /* a new challenge gives another one */
  ck_assert_uint_eq(da.raw_len, db.raw_len);
  ck_assert_int_ne(memcmp(da.raw, db.raw, da.raw_len), 0);
  free(da.raw);
  free(da2.raw);
  free(db.raw);
  kc_buf_free(&pa);
  kc_buf_free(&pa2);
  kc_buf_free(&pb);
  kc_captcha_free(c);
}
END_TEST

START_TEST(test_captcha_image_real_randomness)
{
  struct kc_captcha *c = NULL;
  char a[KC_CAPTCHA_ID_SIZE], b[KC_CAPTCHA_ID_SIZE];
  struct kc_buf pa, pb;
  struct decoded da, db;

  ck_assert_int_eq(kc_captcha_new(&c, key, NULL, NULL), 0);
  ck_assert_int_eq(kc_captcha_image_new(c, a), 0);
  ck_assert_int_eq(kc_captcha_image_new(c, b), 0);
  ck_assert_str_ne(a, b);
  fetch(c, a, &pa, &da);
  fetch(c, b, &pb, &db);
  ck_assert_int_ne(memcmp(da.raw, db.raw, da.raw_len), 0);
  ck_assert_int_eq(kc_captcha_image_check(c, a, "nope"), -1);
  free(da.raw);
  free(db.raw);
  kc_buf_free(&pa);
  kc_buf_free(&pb);
  kc_captcha_free(c);
}
END_TEST

START_TEST(test_captcha_draw_alphabet)
{
  static const char excluded[] = "0O1lIL";
  size_t i;

  ck_assert_uint_eq(strlen(alphabet), 25);
  for (i = 0; alphabet[i] != '\0'; i++)
    ck_assert(kc_captcha_draw_has_glyph(alphabet[i]));
  for (i = 0; excluded[i] != '\0'; i++) {
    ck_assert_ptr_null(strchr(alphabet, excluded[i]));
    ck_assert(!kc_captcha_draw_has_glyph(excluded[i]));
  }
  ck_assert(!kc_captcha_draw_has_glyph('\0'));
}
END_TEST

START_TEST(test_captcha_new_rejects_bad_settings)
{
  struct kc_captcha_cfg cfg = {.pow_maxnumber = KC_CAPTCHA_POW_MAXNUMBER_LIMIT
                                 + 1};
  struct kc_captcha *c = (struct kc_captcha *) &cfg;

  ck_assert_int_eq(kc_captcha_new(&c, key, &cfg, NULL), KC_ERR_INVALID);
  ck_assert_ptr_null(c);
  cfg.pow_maxnumber = 0;
  cfg.image_ttl = KC_CAPTCHA_TTL_LIMIT + 1;
  ck_assert_int_eq(kc_captcha_new(&c, key, &cfg, NULL), KC_ERR_INVALID);
  cfg.image_ttl = 0;
  cfg.pow_replay_cap = KC_CAPTCHA_CAP_LIMIT + 1;
  ck_assert_int_eq(kc_captcha_new(&c, key, &cfg, NULL), KC_ERR_INVALID);
  kc_captcha_free(NULL);
}
END_TEST

/* ------------------------------------------------------------ pow */

struct challenge {
  char json[KC_CAPTCHA_POW_JSON_MAX + 1];
  char algorithm[16];
  char challenge[65];
  char salt[256];
  char signature[65];
  int64_t maxnumber;
};

static void
get_challenge(struct kc_captcha *c, struct challenge *ch)
{
  struct kc_buf json;
  struct kc_flatjson j;

  memset(ch, 0, sizeof(*ch));
  kc_buf_init(&json, KC_CAPTCHA_POW_JSON_MAX);
  ck_assert_int_eq(kc_captcha_pow_challenge(c, &json), 0);
  ck_assert_uint_lt(kc_buf_len(&json), sizeof(ch->json));
  memcpy(ch->json, kc_buf_get(&json), kc_buf_len(&json));
  kc_buf_free(&json);
  ck_assert_int_eq(kc_flatjson_parse(&j, ch->json, strlen(ch->json)), 0);
  ck_assert_uint_eq(j.n, 5);
  ck_assert_ptr_nonnull(kc_flatjson_str(&j, "algorithm"));
  ck_assert_ptr_nonnull(kc_flatjson_str(&j, "challenge"));
  ck_assert_ptr_nonnull(kc_flatjson_str(&j, "salt"));
  ck_assert_ptr_nonnull(kc_flatjson_str(&j, "signature"));
  ck_assert_int_eq(kc_flatjson_int(&j, "maxnumber", &ch->maxnumber), 0);
  snprintf(ch->algorithm, sizeof(ch->algorithm), "%s",
    kc_flatjson_str(&j, "algorithm"));
  snprintf(ch->challenge, sizeof(ch->challenge), "%s",
    kc_flatjson_str(&j, "challenge"));
  snprintf(ch->salt, sizeof(ch->salt), "%s", kc_flatjson_str(&j, "salt"));
  snprintf(ch->signature, sizeof(ch->signature), "%s",
    kc_flatjson_str(&j, "signature"));
}

static void
sha256_hex(const char *s, char out[65])
{
  unsigned char h[crypto_hash_sha256_BYTES];

  crypto_hash_sha256(h, (const unsigned char *) s, strlen(s));
  sodium_bin2hex(out, 65, h, sizeof(h));
}

/* Brute force as a client would; -1 when nothing in [0, maxnumber] fits. */
static int64_t
solve(const struct challenge *ch)
{
  char buf[300], hex[65];
  int64_t n;

  for (n = 0; n <= ch->maxnumber; n++) {
    snprintf(buf, sizeof(buf), "%s%lld", ch->salt, (long long) n);
    sha256_hex(buf, hex);
    if (strcmp(hex, ch->challenge) == 0)
      return n;
  }
  return -1;
}

/* base64 of the JSON text into out. */
static void
b64(const char *json, char *out, size_t outlen)
{
  ck_assert_uint_ge(outlen, sodium_base64_ENCODED_LEN(strlen(json),
                               sodium_base64_VARIANT_ORIGINAL));
  sodium_bin2base64(out, outlen, (const unsigned char *) json, strlen(json),
    sodium_base64_VARIANT_ORIGINAL);
}

/* The payload the ALTCHA widget sends for number n. */
static void
payload(const char *alg, const char *chal, long long n, const char *salt,
  const char *sig, char *out, size_t outlen)
{
  char json[1024];

  snprintf(json, sizeof(json),
    "{\"algorithm\":\"%s\",\"challenge\":\"%s\",\"number\":%lld,"
    "\"salt\":\"%s\",\"signature\":\"%s\",\"took\":1234}",
    alg, chal, n, salt, sig);
  b64(json, out, outlen);
}

static int
verify(struct kc_captcha *c, const char *p)
{
  return kc_captcha_pow_verify(c, p, strlen(p));
}

static const struct kc_captcha_cfg small = {.pow_maxnumber = 300,
                                            .pow_ttl = 600};

START_TEST(test_captcha_pow_challenge_fields)
{
  struct fake f = {1700000000, FAKE_COUNT, 0, 7};
  struct kc_captcha *c = make(&f, &small);
  struct challenge ch;
  unsigned char mac[crypto_auth_hmacsha256_BYTES];
  char want[128], pk[65];
  size_t i;

  get_challenge(c, &ch);
  ck_assert_str_eq(ch.algorithm, "SHA-256");
  ck_assert_int_eq(ch.maxnumber, 300);
  /* same member order as altcha-lib */
  ck_assert(strncmp(ch.json, "{\"algorithm\":\"SHA-256\",\"challenge\":\"",
              36) == 0);
  ck_assert_ptr_nonnull(strstr(ch.json, "\",\"maxnumber\":300,\"salt\":\""));
  /* salt: 24 hex digits, ?expires=<now + ttl>& */
  ck_assert_uint_eq(strlen(ch.salt), 24 + strlen("?expires=1700000600&"));
  for (i = 0; i < 24; i++)
    ck_assert_ptr_nonnull(strchr("0123456789abcdef", ch.salt[i]));
  ck_assert_str_eq(ch.salt + 24, "?expires=1700000600&");
  ck_assert_int_ge(solve(&ch), 0);
  /* signature: HMAC-SHA-256 under the documented derived key */
  crypto_auth_hmacsha256(mac, (const unsigned char *) KC_CAPTCHA_POW_KEY_LABEL,
    strlen(KC_CAPTCHA_POW_KEY_LABEL), key);
  sodium_bin2hex(pk, sizeof(pk), mac, sizeof(mac));
  {
    crypto_auth_hmacsha256_state st;

    crypto_auth_hmacsha256_init(&st, (const unsigned char *) pk, 64);
    crypto_auth_hmacsha256_update(&st, (const unsigned char *) ch.challenge,
      64);
    crypto_auth_hmacsha256_final(&st, mac);
  }
  sodium_bin2hex(want, sizeof(want), mac, sizeof(mac));
  ck_assert_str_eq(ch.signature, want);
  kc_captcha_free(c);
}
END_TEST

START_TEST(test_captcha_pow_number_covers_range)
{
  struct fake f = {1700000000, FAKE_COUNT, 0, 0};
  struct kc_captcha_cfg cfg = {.pow_maxnumber = 3};
  struct kc_captcha *c = make(&f, &cfg);
  struct challenge ch;
  int seen[4] = {0}, i;
  int64_t n;

  for (i = 0; i < 200; i++) {
    f.next = (unsigned char) (i * 37);
    get_challenge(c, &ch);
    n = solve(&ch);
    ck_assert_int_ge(n, 0);
    ck_assert_int_le(n, 3);
    seen[n]++;
  }
  for (i = 0; i < 4; i++)
    ck_assert_int_gt(seen[i], 0);
  kc_captcha_free(c);
}
END_TEST

START_TEST(test_captcha_pow_solution_verifies_once)
{
  struct fake f = {1700000000, FAKE_COUNT, 0, 3};
  struct kc_captcha *c = make(&f, &small);
  struct challenge ch;
  char p[1024];
  int64_t n;

  get_challenge(c, &ch);
  n = solve(&ch);
  ck_assert_int_ge(n, 0);
  payload("SHA-256", ch.challenge, n, ch.salt, ch.signature, p,
    sizeof(p));
  f.now += 30;
  ck_assert_int_eq(verify(c, p), 0);
  ck_assert_int_eq(verify(c, p), -1); /* replay */
  /* the same solution in other JSON clothes is still a replay */
  {
    char json[1024], p2[1024];

    snprintf(json, sizeof(json),
      "{ \"salt\" : \"%s\", \"number\": %lld, \"signature\":\"%s\","
      "\"challenge\":\"%s\",\"algorithm\":\"SHA-256\" }",
      ch.salt, (long long) n, ch.signature, ch.challenge);
    b64(json, p2, sizeof(p2));
    ck_assert_int_eq(verify(c, p2), -1);
  }
  kc_captcha_free(c);
}
END_TEST

START_TEST(test_captcha_pow_other_json_layout_verifies)
{
  struct fake f = {1700000000, FAKE_COUNT, 0, 5};
  struct kc_captcha *c = make(&f, &small);
  struct challenge ch;
  char json[1024], p[1024];
  int64_t n;

  get_challenge(c, &ch);
  n = solve(&ch);
  /* blanks, other order, no "took", an escaped slash in a value */
  snprintf(json, sizeof(json),
    "\n{ \"signature\" : \"%s\" ,\"number\":%lld,\t\"salt\":\"%s\","
    "\"challenge\":\"%s\",\"algorithm\":\"SHA\\u002d256\"}\r\n",
    ch.signature, (long long) n, ch.salt, ch.challenge);
  b64(json, p, sizeof(p));
  ck_assert_int_eq(verify(c, p), 0);
  kc_captcha_free(c);
}
END_TEST

START_TEST(test_captcha_pow_tampered_fails)
{
  struct fake f = {1700000000, FAKE_COUNT, 0, 9};
  struct kc_captcha *c = make(&f, &small);
  struct kc_captcha *other;
  struct challenge ch;
  char p[1024], s[300], sig[65], chal[65];
  unsigned char otherkey[KC_CAPTCHA_KEY_BYTES] = {1};
  struct kc_captcha_env env = {fake_now, fake_random, &f};
  int64_t n;

  get_challenge(c, &ch);
  n = solve(&ch);
  ck_assert_int_ge(n, 0);
  /* number */
  payload("SHA-256", ch.challenge, n + 1, ch.salt, ch.signature, p,
    sizeof(p));
  ck_assert_int_eq(verify(c, p), -1);
  /* signature: one digit changed, upper case, another key's */
  memcpy(sig, ch.signature, sizeof(sig));
  sig[63] = sig[63] == '0' ? '1' : '0';
  payload("SHA-256", ch.challenge, n, ch.salt, sig, p, sizeof(p));
  ck_assert_int_eq(verify(c, p), -1);
  memcpy(sig, ch.signature, sizeof(sig));
  for (size_t i = 0; i < 64; i++)
    if (sig[i] >= 'a')
      sig[i] = (char) (sig[i] - 'a' + 'A');
  payload("SHA-256", ch.challenge, n, ch.salt, sig, p, sizeof(p));
  ck_assert_int_eq(verify(c, p), -1);
  ck_assert_int_eq(kc_captcha_new(&other, otherkey, &small, &env), 0);
  ck_assert_int_eq(kc_captcha_pow_verify(other, p, strlen(p)), -1);
  payload("SHA-256", ch.challenge, n, ch.salt, ch.signature, p,
    sizeof(p));
  ck_assert_int_eq(kc_captcha_pow_verify(other, p, strlen(p)), -1);
  kc_captcha_free(other);
  /* salt: a later expiry, a changed random part */
  snprintf(s, sizeof(s), "%.24s?expires=1700000601&", ch.salt);
  payload("SHA-256", ch.challenge, n, s, ch.signature, p, sizeof(p));
  ck_assert_int_eq(verify(c, p), -1);
  memcpy(s, ch.salt, strlen(ch.salt) + 1);
  s[0] = s[0] == 'a' ? 'b' : 'a';
  payload("SHA-256", ch.challenge, n, s, ch.signature, p, sizeof(p));
  ck_assert_int_eq(verify(c, p), -1);
  /* challenge */
  memcpy(chal, ch.challenge, sizeof(chal));
  chal[0] = chal[0] == 'a' ? 'b' : 'a';
  payload("SHA-256", chal, n, ch.salt, ch.signature, p, sizeof(p));
  ck_assert_int_eq(verify(c, p), -1);
  /* algorithm */
  payload("SHA-1", ch.challenge, n, ch.salt, ch.signature, p, sizeof(p));
  ck_assert_int_eq(verify(c, p), -1);
  payload("sha-256", ch.challenge, n, ch.salt, ch.signature, p,
    sizeof(p));
  ck_assert_int_eq(verify(c, p), -1);
  /* none of that used the challenge up */
  payload("SHA-256", ch.challenge, n, ch.salt, ch.signature, p,
    sizeof(p));
  ck_assert_int_eq(verify(c, p), 0);
  kc_captcha_free(c);
}
END_TEST

START_TEST(test_captcha_pow_digits_cannot_move_into_salt)
{
  struct fake f = {1700000000, FAKE_COUNT, 0, 11};
  struct kc_captcha *c = make(&f, &small);
  struct challenge ch;
  char p[1024], s[300], digits[24];
  int64_t n;

  /* a number of two or more digits, the second not 0 */
  do {
    get_challenge(c, &ch);
    n = solve(&ch);
    snprintf(digits, sizeof(digits), "%lld", (long long) n);
  } while (strlen(digits) < 2 || digits[1] == '0');
  /* salt + first digit and the other digits hash the same text as the
   * real solution, but the salt no longer ends in "&" */
  snprintf(s, sizeof(s), "%s%c", ch.salt, digits[0]);
  payload("SHA-256", ch.challenge, strtoll(digits + 1, NULL, 10), s,
    ch.signature, p, sizeof(p));
  ck_assert_int_eq(verify(c, p), -1);
  payload("SHA-256", ch.challenge, n, ch.salt, ch.signature, p, sizeof(p));
  ck_assert_int_eq(verify(c, p), 0);
  kc_captcha_free(c);
}
END_TEST

START_TEST(test_captcha_pow_expiry)
{
  struct fake f = {1700000000, FAKE_COUNT, 0, 13};
  struct kc_captcha *c = make(&f, &small);
  struct kc_captcha *longer;
  struct kc_captcha_cfg lcfg = small;
  struct kc_captcha_env env = {fake_now, fake_random, &f};
  struct challenge ch;
  char p[1024];
  int64_t n;

  get_challenge(c, &ch);
  n = solve(&ch);
  payload("SHA-256", ch.challenge, n, ch.salt, ch.signature, p,
    sizeof(p));
  f.now = 1700000000 + 601;
  ck_assert_int_eq(verify(c, p), -1);
  f.now = 1700000000 + 600; /* the last second still counts */
  ck_assert_int_eq(verify(c, p), 0);

  /* a challenge that lives longer than our pow_ttl allows is refused */
  lcfg.pow_ttl = 600 + KC_CAPTCHA_CLOCK_SLACK + 10;
  ck_assert_int_eq(kc_captcha_new(&longer, key, &lcfg, &env), 0);
  f.now = 1700001000;
  get_challenge(longer, &ch);
  n = solve(&ch);
  payload("SHA-256", ch.challenge, n, ch.salt, ch.signature, p,
    sizeof(p));
  ck_assert_int_eq(verify(c, p), -1);
  ck_assert_int_eq(kc_captcha_pow_verify(longer, p, strlen(p)), 0);
  kc_captcha_free(longer);
  kc_captcha_free(c);
}
END_TEST

/* A solved payload made by c at time t. */
static void
solved(struct kc_captcha *c, struct fake *f, time_t t, char *p, size_t len)
{
  struct challenge ch;
  int64_t n;

  f->now = t;
  get_challenge(c, &ch);
  n = solve(&ch);
  ck_assert_int_ge(n, 0);
  payload("SHA-256", ch.challenge, n, ch.salt, ch.signature, p, len);
}

START_TEST(test_captcha_pow_replay_store_bounded)
{
  struct fake f = {1000, FAKE_COUNT, 0, 17};
  struct kc_captcha_cfg cfg = {.pow_maxnumber = 100, .pow_ttl = 100,
                               .pow_replay_cap = 2};
  struct kc_captcha *c = make(&f, &cfg);
  char p1[1024], p2[1024], p3[1024], p4[1024];

  solved(c, &f, 1000, p1, sizeof(p1)); /* expires 1100 */
  solved(c, &f, 1000, p2, sizeof(p2)); /* expires 1100 */
  solved(c, &f, 1090, p3, sizeof(p3)); /* expires 1190 */
  solved(c, &f, 1101, p4, sizeof(p4)); /* expires 1201 */
  f.now = 1050;
  ck_assert_int_eq(verify(c, p1), 0);
  ck_assert_int_eq(verify(c, p2), 0);
  /* full of unexpired entries: refused, fail closed */
  f.now = 1095;
  ck_assert_int_eq(verify(c, p3), -1);
  ck_assert_int_eq(verify(c, p1), -1);
  /* once p1 and p2 have expired, there is room again */
  f.now = 1101;
  ck_assert_int_eq(verify(c, p4), 0);
  ck_assert_int_eq(verify(c, p3), 0);
  ck_assert_int_eq(verify(c, p3), -1);
  ck_assert_int_eq(verify(c, p4), -1);
  ck_assert_int_eq(verify(c, p1), -1); /* expired anyway */
  kc_captcha_free(c);
}
END_TEST

START_TEST(test_captcha_pow_garbage_fails)
{
  struct fake f = {1700000000, FAKE_COUNT, 0, 19};
  struct kc_captcha *c = make(&f, &small);
  struct challenge ch;
  char p[4096], json[2048], *big;
  int64_t n;
  size_t i;
  /* JSON texts that must fail even with the right values around */
  static const char *const bad_json[] = {
    "", "{", "}", "[]", "null", "\"x\"", "{}",
    "{\"algorithm\":\"SHA-256\"}",
    "{\"algorithm\":\"SHA-256\",\"algorithm\":\"SHA-256\"}",
    "{\"a\":{}}", "{\"a\":[1]}", "{\"a\":true}", "{\"a\":null}",
    "{\"a\":1.5}", "{\"a\":1e3}", "{\"a\":01}", "{\"a\":-}", "{\"a\":+1}",
    "{\"a\":\"x\",}", "{,\"a\":1}", "{\"a\" 1}", "{\"a\":1} x",
    "{\"a\":\"\\x\"}", "{\"a\":\"\\u12\"}", "{\"a\":\"\\ud800\"}",
    "{\"a\":\"\\udc00\"}", "{\"a\":\"\\u0000\"}", "{a:1}", "{'a':1}",
    "{\"a\":\"\x01\"}", "{\"a\":\"\xff\"}", "{\"a\":9007199254740992}",
  };

  ck_assert_int_eq(kc_captcha_pow_verify(c, NULL, 0), -1);
  ck_assert_int_eq(kc_captcha_pow_verify(c, "", 0), -1);
  ck_assert_int_eq(verify(c, "!!!!"), -1);
  ck_assert_int_eq(verify(c, "e30"), -1);  /* "{}" without padding */
  ck_assert_int_eq(verify(c, "e30="), -1); /* "{}" */
  for (i = 0; i < sizeof(bad_json) / sizeof(bad_json[0]); i++) {
    b64(bad_json[i], p, sizeof(p));
    ck_assert_msg(verify(c, p) == -1, "%s", bad_json[i]);
  }

  get_challenge(c, &ch);
  n = solve(&ch);
  /* the right values, spoilt one way at a time */
  snprintf(json, sizeof(json),
    "{\"algorithm\":\"SHA-256\",\"challenge\":\"%s\",\"number\":\"%lld\","
    "\"salt\":\"%s\",\"signature\":\"%s\"}",
    ch.challenge, (long long) n, ch.salt, ch.signature);
  b64(json, p, sizeof(p));
  ck_assert_int_eq(verify(c, p), -1); /* number as a string */
  snprintf(json, sizeof(json),
    "{\"algorithm\":\"SHA-256\",\"challenge\":\"%s\",\"number\":%lld,"
    "\"salt\":\"%s\",\"signature\":\"%s\",\"test\":true}",
    ch.challenge, (long long) n, ch.salt, ch.signature);
  b64(json, p, sizeof(p));
  ck_assert_int_eq(verify(c, p), -1); /* a boolean member */
  snprintf(json, sizeof(json),
    "{\"algorithm\":\"SHA-256\",\"challenge\":\"%s\",\"number\":%lld,"
    "\"salt\":\"%s\",\"signature\":\"%s\"}x",
    ch.challenge, (long long) n, ch.salt, ch.signature);
  b64(json, p, sizeof(p));
  ck_assert_int_eq(verify(c, p), -1); /* trailing bytes */
  snprintf(json, sizeof(json),
    "{\"algorithm\":\"SHA-256\",\"challenge\":\"%s\",\"number\":%lld,"
    "\"salt\":\"%s\",\"signature\":\"%s\"}",
    ch.challenge, (long long) n, ch.salt, ch.signature);
  b64(json, p, sizeof(p));
  ck_assert_int_eq(kc_captcha_pow_verify(c, p, strlen(p) + 1), -1); /* NUL */
  p[strlen(p) - 1] = '\0'; /* padding cut */
  ck_assert_int_eq(verify(c, p), -1);
  /* oversized: 1600 blanks inside otherwise valid JSON */
  big = malloc(KC_MAX_ALTCHA_PAYLOAD * 2);
  ck_assert_ptr_nonnull(big);
  {
    char padded[4096];

    snprintf(padded, sizeof(padded), "{%1600s%s", "", json + 1);
    b64(padded, big, KC_MAX_ALTCHA_PAYLOAD * 2);
  }
  ck_assert_uint_gt(strlen(big), KC_MAX_ALTCHA_PAYLOAD);
  ck_assert_int_eq(verify(c, big), -1);
  free(big);
  b64(json, p, sizeof(p));
  /* still fine: nothing above consumed it */
  ck_assert_int_eq(verify(c, p), 0);
  kc_captcha_free(c);
}
END_TEST

/* ------------------------------------------------------------ flatjson */

START_TEST(test_captcha_flatjson_values)
{
  struct kc_flatjson j;
  const char *s;
  int64_t v;
  static const char text[] =
    " {\"s\":\"a\\\"b\\\\c\\/d\\b\\f\\n\\r\\t\",\"u\":\"\\u00e4\\u20ac\","
    "\"p\":\"\\ud83d\\ude00\",\"raw\":\"\xc3\xa4\",\"i\":-42,\"z\":0,"
    "\"max\":9007199254740991,\"min\":-9007199254740991,\"e\":\"\"} ";

  ck_assert_int_eq(kc_flatjson_parse(&j, text, strlen(text)), 0);
  ck_assert_uint_eq(j.n, 9);
  ck_assert_str_eq(kc_flatjson_str(&j, "s"), "a\"b\\c/d\b\f\n\r\t");
  ck_assert_str_eq(kc_flatjson_str(&j, "u"), "\xc3\xa4\xe2\x82\xac");
  ck_assert_str_eq(kc_flatjson_str(&j, "p"), "\xf0\x9f\x98\x80");
  ck_assert_str_eq(kc_flatjson_str(&j, "raw"), "\xc3\xa4");
  ck_assert_str_eq(kc_flatjson_str(&j, "e"), "");
  ck_assert_int_eq(kc_flatjson_int(&j, "i", &v), 0);
  ck_assert_int_eq(v, -42);
  ck_assert_int_eq(kc_flatjson_int(&j, "z", &v), 0);
  ck_assert_int_eq(v, 0);
  ck_assert_int_eq(kc_flatjson_int(&j, "max", &v), 0);
  ck_assert_int_eq(v, 9007199254740991LL);
  ck_assert_int_eq(kc_flatjson_int(&j, "min", &v), 0);
  ck_assert_int_eq(v, -9007199254740991LL);
  ck_assert_int_eq(kc_flatjson_int(&j, "s", &v), KC_ERR_INVALID);
  ck_assert_int_eq(kc_flatjson_int(&j, "nope", &v), KC_ERR_NOT_FOUND);
  ck_assert_ptr_null(kc_flatjson_str(&j, "i"));
  ck_assert_ptr_null(kc_flatjson_str(&j, "nope"));
  s = "{}";
  ck_assert_int_eq(kc_flatjson_parse(&j, s, 2), 0);
  ck_assert_uint_eq(j.n, 0);
  /* the length counts, not a NUL */
  s = "{\"a\":1}garbage";
  ck_assert_int_eq(kc_flatjson_parse(&j, s, 7), 0);
  ck_assert_int_eq(kc_flatjson_parse(&j, s, 8), KC_ERR_INVALID);
}
END_TEST

START_TEST(test_captcha_flatjson_limits)
{
  struct kc_flatjson j;
  char text[4096], *p;
  size_t i;

  /* KC_FLATJSON_MAX_KEYS members fit, one more does not */
  p = text;
  *p++ = '{';
  for (i = 0; i <= KC_FLATJSON_MAX_KEYS; i++)
    p += snprintf(p, 16, "%s\"k%zu\":%zu", i ? "," : "", i, i);
  *p++ = '}';
  *p = '\0';
  ck_assert_int_eq(kc_flatjson_parse(&j, text, strlen(text)),
    KC_ERR_TOO_LARGE);
  ck_assert_uint_eq(j.n, 0); /* nothing half-built */
  p = strstr(text, ",\"k16\"");
  p[0] = '}';
  p[1] = '\0';
  ck_assert_int_eq(kc_flatjson_parse(&j, text, strlen(text)), 0);
  ck_assert_uint_eq(j.n, KC_FLATJSON_MAX_KEYS);

  /* a string of exactly the maximum, and one byte more */
  snprintf(text, sizeof(text), "{\"s\":\"%0*d\"}", KC_FLATJSON_MAX_STR, 0);
  ck_assert_int_eq(kc_flatjson_parse(&j, text, strlen(text)), 0);
  snprintf(text, sizeof(text), "{\"s\":\"%0*d\"}", KC_FLATJSON_MAX_STR + 1, 0);
  ck_assert_int_eq(kc_flatjson_parse(&j, text, strlen(text)),
    KC_ERR_TOO_LARGE);
  /* an escape that crosses the maximum */
  snprintf(text, sizeof(text), "{\"s\":\"%0*d\\u20ac\"}",
    KC_FLATJSON_MAX_STR - 1, 0);
  ck_assert_int_eq(kc_flatjson_parse(&j, text, strlen(text)),
    KC_ERR_TOO_LARGE);
  snprintf(text, sizeof(text), "{\"%0*d\":1}", KC_FLATJSON_MAX_KEY + 1, 0);
  ck_assert_int_eq(kc_flatjson_parse(&j, text, strlen(text)),
    KC_ERR_TOO_LARGE);
  ck_assert_int_eq(kc_flatjson_parse(&j, "{\"a\":9007199254740992}", 22),
    KC_ERR_RANGE);
  ck_assert_int_eq(kc_flatjson_parse(&j, "{\"a\":99999999999999999999999}",
                     29), KC_ERR_RANGE);
  ck_assert_int_eq(kc_flatjson_parse(&j, "{\"a\":1,\"a\":\"b\"}", 15),
    KC_ERR_INVALID);
  ck_assert_int_eq(kc_flatjson_parse(&j, "{\"a\":1}\0", 8), KC_ERR_INVALID);
}
END_TEST

/* ------------------------------------------------------------ threads */

struct race {
  struct kc_captcha *c;
  const char *payload;
  int ok;
  char text[KC_CAPTCHA_DRAW_MAX_TEXT + 1];
  int image_ok;
};

static void *
race_verify(void *arg)
{
  struct race *r = arg;

  r->ok = kc_captcha_pow_verify(r->c, r->payload, strlen(r->payload)) == 0;
  return NULL;
}

static void *
race_images(void *arg)
{
  struct race *r = arg;
  char id[KC_CAPTCHA_ID_SIZE];
  struct kc_buf png;
  int i;

  for (i = 0; i < 200; i++) {
    if (kc_captcha_image_new(r->c, id) != 0)
      return NULL;
    if (i % 50 == 0) {
      kc_buf_init(&png, KC_CAPTCHA_PNG_MAX);
      if (kc_captcha_image_png(r->c, id, &png) != 0)
        return NULL;
      kc_buf_free(&png);
    }
    if (kc_captcha_image_check(r->c, id, r->text) != 0 ||
      kc_captcha_image_check(r->c, id, r->text) == 0)
      return NULL;
  }
  r->image_ok = 1;
  return NULL;
}

START_TEST(test_captcha_threads)
{
  struct fake f = {1700000000, FAKE_CONST, 0x11, 0};
  struct kc_captcha *c;
  struct race r[8];
  pthread_t t[8];
  char p[1024];
  int i, wins = 0;

  /* a payload made with other randomness, then the constant kind */
  f.mode = FAKE_COUNT;
  f.next = 23;
  c = make(&f, &small);
  solved(c, &f, 1700000000, p, sizeof(p));
  f.mode = FAKE_CONST;
  for (i = 0; i < 8; i++) {
    memset(&r[i], 0, sizeof(r[i]));
    r[i].c = c;
    r[i].payload = p;
    text_for_byte(f.byte, r[i].text);
    ck_assert_int_eq(pthread_create(&t[i], NULL, race_verify, &r[i]), 0);
  }
  for (i = 0; i < 8; i++) {
    ck_assert_int_eq(pthread_join(t[i], NULL), 0);
    wins += r[i].ok;
  }
  ck_assert_int_eq(wins, 1); /* exactly one thread gets through */

  for (i = 0; i < 8; i++)
    ck_assert_int_eq(pthread_create(&t[i], NULL, race_images, &r[i]), 0);
  for (i = 0; i < 8; i++) {
    ck_assert_int_eq(pthread_join(t[i], NULL), 0);
    ck_assert_int_eq(r[i].image_ok, 1);
  }
  kc_captcha_free(c);
}
END_TEST

static Suite *
captcha_suite(void)
{
  Suite *s = suite_create("captcha");
  TCase *img = tcase_create("image");
  TCase *png = tcase_create("png");
  TCase *pow = tcase_create("pow");
  TCase *json = tcase_create("flatjson");
  TCase *thr = tcase_create("threads");

  tcase_add_test(img, test_captcha_image_right_answer_once);
  tcase_add_test(img, test_captcha_image_wrong_answer_consumes);
  tcase_add_test(img, test_captcha_image_case_blanks_and_lookalikes);
  tcase_add_test(img, test_captcha_image_length_matters);
  tcase_add_test(img, test_captcha_image_expiry);
  tcase_add_test(img, test_captcha_image_unknown_ids);
  tcase_add_test(img, test_captcha_image_store_evicts_oldest);
  tcase_add_test(img, test_captcha_image_png_valid);
  tcase_add_test(img, test_captcha_image_png_stable_and_distinct);
  tcase_add_test(img, test_captcha_image_real_randomness);
  tcase_add_test(img, test_captcha_draw_alphabet);
  tcase_add_test(img, test_captcha_new_rejects_bad_settings);
  suite_add_tcase(s, img);
  tcase_add_test(png, test_captcha_png_known_answers);
  tcase_add_test(png, test_captcha_png_encoder);
  tcase_add_test(png, test_captcha_png_limits);
  suite_add_tcase(s, png);
  tcase_add_test(pow, test_captcha_pow_challenge_fields);
  tcase_add_test(pow, test_captcha_pow_number_covers_range);
  tcase_add_test(pow, test_captcha_pow_solution_verifies_once);
  tcase_add_test(pow, test_captcha_pow_other_json_layout_verifies);
  tcase_add_test(pow, test_captcha_pow_tampered_fails);
  tcase_add_test(pow, test_captcha_pow_digits_cannot_move_into_salt);
  tcase_add_test(pow, test_captcha_pow_expiry);
  tcase_add_test(pow, test_captcha_pow_replay_store_bounded);
  tcase_add_test(pow, test_captcha_pow_garbage_fails);
  suite_add_tcase(s, pow);
  tcase_add_test(json, test_captcha_flatjson_values);
  tcase_add_test(json, test_captcha_flatjson_limits);
  suite_add_tcase(s, json);
  tcase_add_test(thr, test_captcha_threads);
  tcase_set_timeout(thr, 60);
  suite_add_tcase(s, thr);
  return s;
}

int
main(void)
{
  SRunner *sr;
  int failed;

  if (sodium_init() < 0)
    return EXIT_FAILURE;
  sr = srunner_create(captcha_suite());
  srunner_run_all(sr, CK_NORMAL);
  failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
