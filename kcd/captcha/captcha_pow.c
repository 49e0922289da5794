/*
 * captcha_pow.c: ALTCHA v1 challenges, their verification and the replay
 * store (see captcha.h). The formats follow altcha-lib's v1 code: salt
 * "<hex>?expires=<unix seconds>&" (the closing "&" keeps digits from moving
 * between salt and number), challenge = hex SHA-256 of salt and number,
 * signature = hex HMAC-SHA-256 of the challenge's hex text.
 *
 * The replay store is an open-addressing table (linear probing, at most
 * half full) of the first 16 bytes of each solved challenge with its
 * expiry. Challenges reach it only with a valid signature, so they are our
 * own uniform hashes and make good table indexes. When it holds cap
 * entries it is rebuilt without the expired ones, but only when one has
 * expired (replay_min_expiry), so a full table costs no sweep per request.
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "captcha_int.h"
#include "flatjson.h"
#include "kc_err.h"
#include "kc_str.h"

/* Salt: 12 random bytes in hex, altcha-lib's default length. */
#define POW_SALT_BYTES 12
/* Longest salt accepted: ours have 46 bytes; altcha-lib may add params. */
#define POW_MAX_SALT 200
/* Largest expiry accepted in a salt (about the year 5000): bounds parsing;
 * the real bound is now + pow_ttl. */
#define POW_MAX_EXPIRES 99999999999ULL
/* Hex digests. */
#define POW_HEX_LEN (2 * crypto_hash_sha256_BYTES)

/* The fields of a solution, pointing into its struct kc_flatjson. */
struct pow_solution {
  const char *salt;
  const char *challenge;
  const char *signature;
  uint64_t number;
  time_t expires;
};

/* hex(SHA-256(salt || decimal(number))) into out. */
static void
challenge_hex(const char *salt, uint64_t number, char out[POW_HEX_LEN + 1])
{
  unsigned char h[crypto_hash_sha256_BYTES];
  crypto_hash_sha256_state st;
  char num[24];
  int n;

  n = snprintf(num, sizeof(num), "%llu", (unsigned long long) number);
  crypto_hash_sha256_init(&st);
  crypto_hash_sha256_update(&st, (const unsigned char *) salt, strlen(salt));
  crypto_hash_sha256_update(&st, (const unsigned char *) num, (size_t) n);
  crypto_hash_sha256_final(&st, h);
  sodium_bin2hex(out, POW_HEX_LEN + 1, h, sizeof(h));
}

/* hex(HMAC-SHA-256(pow_key, challenge text)) into out. */
static void
signature_hex(const struct kc_captcha *c, const char *challenge,
              char out[POW_HEX_LEN + 1])
{
  unsigned char mac[crypto_auth_hmacsha256_BYTES];
  crypto_auth_hmacsha256_state st;

  crypto_auth_hmacsha256_init(&st, (const unsigned char *) c->pow_key,
                              KC_CAPTCHA_POW_KEY_LEN);
  crypto_auth_hmacsha256_update(&st, (const unsigned char *) challenge,
                                strlen(challenge));
  crypto_auth_hmacsha256_final(&st, mac);
  sodium_bin2hex(out, POW_HEX_LEN + 1, mac, sizeof(mac));
  sodium_memzero(&st, sizeof(st));
}

int
kc_captcha_pow_challenge(struct kc_captcha *c, struct kc_buf *json)
{
  unsigned char rnd[POW_SALT_BYTES];
  char hex[2 * POW_SALT_BYTES + 1], salt[POW_MAX_SALT + 1];
  char chal[POW_HEX_LEN + 1], sig[POW_HEX_LEN + 1];
  time_t expires = kc_captcha_now(c) + (time_t) c->cfg.pow_ttl;
  uint64_t number;

  kc_captcha_random(c, rnd, sizeof(rnd));
  sodium_bin2hex(hex, sizeof(hex), rnd, sizeof(rnd));
  snprintf(salt, sizeof(salt), "%s?expires=%lld&", hex, (long long) expires);
  number = kc_captcha_uniform(c, (uint32_t) c->cfg.pow_maxnumber + 1);
  challenge_hex(salt, number, chal);
  signature_hex(c, chal, sig);
  sodium_memzero(&number, sizeof(number));
  return kc_buf_printf(json,
                       "{\"algorithm\":\"SHA-256\",\"challenge\":\"%s\","
                       "\"maxnumber\":%llu,"
                       "\"salt\":\"%s\",\"signature\":\"%s\"}",
                       chal, (unsigned long long) c->cfg.pow_maxnumber, salt,
                       sig);
}

/* Exactly POW_HEX_LEN lowercase hex digits. */
static bool
is_hex64(const char *s)
{
  size_t i;

  for (i = 0; i < POW_HEX_LEN; i++)
    if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
      return false;
  return s[POW_HEX_LEN] == '\0';
}

/* Characters of a URL query without any that would need decoding. */
static bool
salt_char_ok(char ch)
{
  return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
         (ch >= '0' && ch <= '9') ||
         (ch != '\0' && strchr("-._~=&?", ch) != NULL);
}

/* The salt's shape: printable query characters, one "?" after a
 * non-empty prefix, ending in "&". */
static bool
salt_shape_ok(const char *salt)
{
  size_t len = strnlen(salt, POW_MAX_SALT + 1), i;
  const char *q = strchr(salt, '?');

  if (len < 3 || len > POW_MAX_SALT || salt[len - 1] != '&')
    return false;
  for (i = 0; i < len; i++)
    if (!salt_char_ok(salt[i]))
      return false;
  return q != NULL && q != salt && strchr(q + 1, '?') == NULL;
}

/* Is the parameter name [p, p+len) "expires" (or altcha-lib's "expire")? */
static bool
is_expiry_name(const char *p, size_t len)
{
  return (len == 7 && memcmp(p, "expires", 7) == 0) ||
         (len == 6 && memcmp(p, "expire", 6) == 0);
}

/* The expiry the salt carries: exactly one expires=<digits> parameter.
 * 0 or -1. */
static int
salt_expires(const char *salt, time_t *expires)
{
  const char *p, *amp, *eq, *d;
  uint64_t v;
  bool found = false;

  *expires = 0;
  if (!salt_shape_ok(salt))
    return -1;
  for (p = strchr(salt, '?') + 1; *p != '\0'; p = amp + 1) {
    amp = strchr(p, '&'); /* found: the salt ends in "&" */
    if (amp == p)
      continue;
    if ((eq = memchr(p, '=', (size_t) (amp - p))) == NULL)
      return -1;
    if (!is_expiry_name(p, (size_t) (eq - p)))
      continue;
    d = eq + 1;
    if (found || kc_str_uint(&d, &v, 1, POW_MAX_EXPIRES) != 0 || d != amp)
      return -1;
    *expires = (time_t) v;
    found = true;
  }
  return found ? 0 : -1;
}

/* base64 -> JSON -> fields, all shape checks. 0 or -1. */
static int
solution_parse(const char *payload, size_t len, struct kc_flatjson *j,
               struct pow_solution *sol)
{
  unsigned char json[KC_MAX_ALTCHA_PAYLOAD];
  const char *end = NULL, *alg;
  size_t jlen = 0;
  int64_t number;

  memset(sol, 0, sizeof(*sol));
  if (len == 0 || len > KC_MAX_ALTCHA_PAYLOAD ||
      sodium_base642bin(json, sizeof(json), payload, len, NULL, &jlen, &end,
                        sodium_base64_VARIANT_ORIGINAL) != 0 ||
      end != payload + len)
    return -1;
  if (kc_flatjson_parse(j, (const char *) json, jlen) != 0 ||
      kc_flatjson_int(j, "number", &number) != 0 || number < 0 ||
      number > KC_CAPTCHA_POW_MAXNUMBER_LIMIT)
    return -1;
  alg = kc_flatjson_str(j, "algorithm");
  sol->challenge = kc_flatjson_str(j, "challenge");
  sol->signature = kc_flatjson_str(j, "signature");
  sol->salt = kc_flatjson_str(j, "salt");
  sol->number = (uint64_t) number;
  if (alg == NULL || strcmp(alg, "SHA-256") != 0 || sol->challenge == NULL ||
      !is_hex64(sol->challenge) || sol->signature == NULL ||
      !is_hex64(sol->signature) || sol->salt == NULL ||
      salt_expires(sol->salt, &sol->expires) != 0)
    return -1;
  return 0;
}

/* ---------------------------------------------------------- replay store */

static struct kc_captcha_replay *
replay_slot(struct kc_captcha_replay *t, size_t size, const unsigned char *key)
{
  uint64_t h;
  size_t i;

  memcpy(&h, key, sizeof(h));
  i = (size_t) h & (size - 1);
  while (t[i].rp_expires != 0 &&
         memcmp(t[i].rp_key, key, KC_CAPTCHA_REPLAY_KEY_BYTES) != 0)
    i = (i + 1) & (size - 1);
  return &t[i];
}

static int
replay_alloc(struct kc_captcha *c)
{
  size_t size = 2;

  while (size < 2 * c->cfg.pow_replay_cap)
    size *= 2;
  if ((c->replay = calloc(size, sizeof(*c->replay))) == NULL)
    return KC_ERR_NOMEM;
  c->replay_size = size;
  c->replay_count = 0;
  c->replay_min_expiry = 0;
  return 0;
}

/* Rebuild the table without the entries expired at now. On allocation
 * failure the table stays full: new solutions are refused (fail closed). */
static void
replay_sweep(struct kc_captcha *c, time_t now)
{
  struct kc_captcha_replay *n;
  const struct kc_captcha_replay *e;
  size_t i, count = 0;
  time_t min = 0;

  if ((n = calloc(c->replay_size, sizeof(*n))) == NULL)
    return;
  for (i = 0; i < c->replay_size; i++) {
    e = &c->replay[i];
    if (e->rp_expires == 0 || e->rp_expires < now)
      continue;
    *replay_slot(n, c->replay_size, e->rp_key) = *e;
    if (count == 0 || e->rp_expires < min)
      min = e->rp_expires;
    count++;
  }
  free(c->replay);
  c->replay = n;
  c->replay_count = count;
  c->replay_min_expiry = min;
}

/* Record a solved challenge. 0, or -1 when it was seen before, the store
 * is full of unexpired entries, or memory ran out. */
static int
replay_add(struct kc_captcha *c, const unsigned char *key, time_t expires,
           time_t now)
{
  struct kc_captcha_replay *slot;
  int r = -1;

  pthread_mutex_lock(&c->replay_lock);
  if (c->replay == NULL && replay_alloc(c) != 0)
    goto out;
  if (c->replay_count >= c->cfg.pow_replay_cap && now > c->replay_min_expiry)
    replay_sweep(c, now);
  slot = replay_slot(c->replay, c->replay_size, key);
  if (slot->rp_expires != 0 || c->replay_count >= c->cfg.pow_replay_cap)
    goto out;
  memcpy(slot->rp_key, key, KC_CAPTCHA_REPLAY_KEY_BYTES);
  slot->rp_expires = expires;
  if (c->replay_count == 0 || expires < c->replay_min_expiry)
    c->replay_min_expiry = expires;
  c->replay_count++;
  r = 0;
out:
  pthread_mutex_unlock(&c->replay_lock);
  return r;
}

void
kc_captcha_pow_free(struct kc_captcha *c)
{
  free(c->replay);
  c->replay = NULL;
  c->replay_size = 0;
  c->replay_count = 0;
}

/* ---------------------------------------------------------- verification */

/* Hash and signature of a well-formed solution. 0 or -1. */
static int
solution_check(const struct kc_captcha *c, const struct pow_solution *sol)
{
  char want[POW_HEX_LEN + 1];
  int bad;

  challenge_hex(sol->salt, sol->number, want);
  bad = sodium_memcmp(want, sol->challenge, POW_HEX_LEN);
  signature_hex(c, sol->challenge, want);
  bad |= sodium_memcmp(want, sol->signature, POW_HEX_LEN);
  sodium_memzero(want, sizeof(want));
  return bad == 0 ? 0 : -1;
}

int
kc_captcha_pow_verify(struct kc_captcha *c, const char *payload, size_t len)
{
  unsigned char bin[crypto_hash_sha256_BYTES];
  struct kc_flatjson j;
  struct pow_solution sol;
  time_t now = kc_captcha_now(c);

  if (payload == NULL || solution_parse(payload, len, &j, &sol) != 0)
    return -1;
  if (sol.expires < now ||
      sol.expires - now > (time_t) c->cfg.pow_ttl + KC_CAPTCHA_CLOCK_SLACK)
    return -1;
  if (solution_check(c, &sol) != 0)
    return -1;
  if (sodium_hex2bin(bin, sizeof(bin), sol.challenge, POW_HEX_LEN, NULL, NULL,
                     NULL) != 0)
    return -1;
  return replay_add(c, bin, sol.expires, now);
}
