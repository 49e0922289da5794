/*
 * kc-captcha: drive kcd's captcha library from the command line, with a
 * fixed test key, for the ALTCHA interop test and for looking at images.
 *
 *   kc-captcha key                  the ALTCHA HMAC key string derived from
 *                                   the test key (for altcha-lib's hmacKey)
 *   kc-captcha challenge [MAXNUM]   one challenge JSON, as GET
 *                                   /captcha/challenge answers
 *   kc-captcha verify PAYLOAD...    verify each payload in turn in one
 *                                   process (so a repeat is a replay); one
 *                                   line "ok" or "fail" per payload
 *   kc-captcha png FILE             write the PNG of a new image challenge
 *   kc-captcha asset                the compiled-in altcha-solver.js
 *
 * KC_CAPTCHA_NOW=<unix seconds> in the environment replaces the clock.
 * Exit status: 0 ok (verify: every payload ok), 1 failure, 2 usage.
 * The key is a public test constant: never use it anywhere else.
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "captcha.h"
#include "kc_buf.h"
#include "kc_str.h"
#include "www_assets.h"

static const unsigned char test_key[KC_CAPTCHA_KEY_BYTES] = {
  'k', 'c', 'd', ' ', 't', 'e', 's', 't', ' ', 'k', 'e', 'y', ' ', 'f', 'o',
  'r', ' ', 'c', 'a', 'p', 't', 'c', 'h', 'a', ' ', 'i', 'n', 't', 'e', 'r',
  'o', 'p'};

static time_t fixed_now;

static time_t
env_now(void *ctx)
{
  (void) ctx;
  return fixed_now;
}

static int
usage(void)
{
  fprintf(stderr, "usage: kc-captcha key | challenge [MAXNUMBER] | "
                  "verify PAYLOAD... | png FILE | asset\n");
  return 2;
}

/* The documented derivation (captcha.h), computed independently. */
static int
cmd_key(void)
{
  static const char label[] = KC_CAPTCHA_POW_KEY_LABEL;
  unsigned char mac[crypto_auth_hmacsha256_BYTES];
  char hex[2 * sizeof(mac) + 1];
  crypto_auth_hmacsha256_state st;

  crypto_auth_hmacsha256_init(&st, test_key, sizeof(test_key));
  crypto_auth_hmacsha256_update(&st, (const unsigned char *) label,
    sizeof(label) - 1);
  crypto_auth_hmacsha256_final(&st, mac);
  sodium_bin2hex(hex, sizeof(hex), mac, sizeof(mac));
  puts(hex);
  return 0;
}

static int
cmd_challenge(struct kc_captcha *c)
{
  struct kc_buf json;
  int r;

  kc_buf_init(&json, KC_CAPTCHA_POW_JSON_MAX);
  if ((r = kc_captcha_pow_challenge(c, &json)) != 0) {
    fprintf(stderr, "kc-captcha: challenge failed (%d)\n", r);
    return 1;
  }
  puts(kc_buf_get(&json));
  kc_buf_free(&json);
  return 0;
}

static int
cmd_verify(struct kc_captcha *c, int n, char **payloads)
{
  int i, rc = 0;

  for (i = 0; i < n; i++) {
    if (kc_captcha_pow_verify(c, payloads[i], strlen(payloads[i])) == 0) {
      puts("ok");
    } else {
      puts("fail");
      rc = 1;
    }
  }
  return rc;
}

static int
cmd_png(struct kc_captcha *c, const char *path)
{
  char id[KC_CAPTCHA_ID_SIZE];
  struct kc_buf png;
  FILE *f;
  int rc = 1;

  kc_buf_init(&png, KC_CAPTCHA_PNG_MAX);
  if (kc_captcha_image_new(c, id) != 0 ||
    kc_captcha_image_png(c, id, &png) != 0) {
    fprintf(stderr, "kc-captcha: image failed\n");
    return 1;
  }
  if ((f = fopen(path, "wb")) != NULL) {
    if (fwrite(kc_buf_get(&png), 1, kc_buf_len(&png), f) == kc_buf_len(&png))
      rc = 0;
    if (fclose(f) != 0)
      rc = 1;
  }
  if (rc != 0)
    perror(path);
  kc_buf_free(&png);
  return rc;
}

int
main(int argc, char **argv)
{
  struct kc_captcha_cfg cfg = {0};
  struct kc_captcha_env env = {NULL, NULL, NULL};
  struct kc_captcha *c;
  const char *now = getenv("KC_CAPTCHA_NOW");
  uint64_t v;
  int rc;

  if (argc < 2 || sodium_init() < 0)
    return argc < 2 ? usage() : 1;
  if (strcmp(argv[1], "key") == 0)
    return argc == 2 ? cmd_key() : usage();
  if (strcmp(argv[1], "asset") == 0 && argc == 2)
    return fwrite(kc_www_altcha_js, 1, kc_www_altcha_js_len, stdout) ==
        kc_www_altcha_js_len ? 0 : 1;
  if (now != NULL) {
    if (kc_str_to_uint(now, &v, 1, 99999999999ULL) != 0)
      return usage();
    fixed_now = (time_t) v;
    env.now = env_now;
  }
  if (strcmp(argv[1], "challenge") == 0 && argc == 3 &&
    kc_str_to_uint(argv[2], &v, 1, KC_CAPTCHA_POW_MAXNUMBER_LIMIT) == 0)
    cfg.pow_maxnumber = v;
  else if (strcmp(argv[1], "challenge") == 0 && argc != 2)
    return usage();
  if (kc_captcha_new(&c, test_key, &cfg, &env) != 0)
    return 1;
  if (strcmp(argv[1], "challenge") == 0)
    rc = cmd_challenge(c);
  else if (strcmp(argv[1], "verify") == 0 && argc >= 3)
    rc = cmd_verify(c, argc - 2, argv + 2);
  else if (strcmp(argv[1], "png") == 0 && argc == 3)
    rc = cmd_png(c, argv[2]);
  else
    rc = usage();
  kc_captcha_free(c);
  return rc;
}
