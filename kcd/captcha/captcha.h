/*
 * captcha.h: the registration page's captchas (DESIGN §5, §9), as a
 * library the HTTP layer calls; no HTTP here.
 *
 * image  A picture of 5 or 6 characters from an unambiguous alphabet
 *        (captcha_draw.h), drawn and PNG-encoded by our own code. The text
 *        stays on the server in a bounded in-memory store, keyed by a
 *        random id (128 bits of randomness, base64url). Entries expire after
 *        image_ttl; when the store is full the oldest entry is dropped.
 *        Checking an answer consumes the entry, right or wrong.
 *
 * pow    ALTCHA v1 proof of work, compatible with the ALTCHA widget and with
 *        altcha-lib's v1 createChallenge/verifySolution:
 *          salt      = <24 hex digits> "?expires=" <unix seconds> "&"
 *          challenge = hex(SHA-256(salt || decimal(number)))
 *          signature = hex(HMAC-SHA-256(hmac key, challenge))
 *        with number uniform in [0, pow_maxnumber]. The client finds number
 *        by brute force and sends base64(JSON {algorithm, challenge, number,
 *        salt, signature[, took]}). A verified challenge goes into a replay
 *        store until its expiry, so each solution counts once.
 *        The HMAC key is not the server key itself: it is the ASCII string
 *        of 64 lowercase hex digits of HMAC-SHA-256(server key,
 *        KC_CAPTCHA_POW_KEY_LABEL), so captcha signatures cannot be confused
 *        with anything else kcd signs, and an ALTCHA library (which takes the
 *        key as a string) can share it.
 *
 * Thread-safety: after kc_captcha_new() every function may be called from
 * several threads at once on the same struct kc_captcha; each store has its
 * own mutex, and drawing and hashing run outside the locks. Injected
 * clock/randomness callbacks must then be thread-safe too.
 * kc_captcha_free() must not race with anything.
 *
 * Secrets: the derived HMAC key lives in sodium_malloc memory, read-only
 * after kc_captcha_new(); image texts are wiped when their entry goes.
 *
 * How kcd's web front uses it (paths and fields: DESIGN §9):
 *   captcha = image:
 *     GET /register          kc_captcha_image_new() -> id; the form shows
 *                            <img src="/captcha/<id>.png"> and a hidden
 *                            captcha_id=<id>, plus captcha_answer; a
 *                            refresh is a new id.
 *     GET /captcha/<id>.png  kc_captcha_id_is_valid(id), then
 *                            kc_captcha_image_png() -> 200 image/png,
 *                            Cache-Control: no-store; otherwise 404.
 *     POST /register         kc_captcha_image_check(captcha_id,
 *                            captcha_answer) == 0.
 *   captcha = pow:
 *     GET /captcha/challenge kc_captcha_pow_challenge() -> 200
 *                            application/json, Cache-Control: no-store.
 *     POST /register         kc_captcha_pow_verify(field "altcha") == 0.
 *     The page loads /static/altcha-solver.js (kc_www_altcha_js in
 *     www_assets.h), which fills the hidden field altcha; markup:
 *       <input type="hidden" name="altcha"
 *              data-challenge-url="/captcha/challenge">
 *       <span data-altcha-status></span>
 */
#ifndef KC_CAPTCHA_H
#define KC_CAPTCHA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "kc_attrs.h"
#include "kc_buf.h"
#include "kc_limits.h"

/* The server key kcd derives from secret_key_file. */
#define KC_CAPTCHA_KEY_BYTES 32
/* Derivation label of the ALTCHA HMAC key (see above). */
#define KC_CAPTCHA_POW_KEY_LABEL "kcd captcha pow v1"

/* Image ids: 4 bytes of store slot and 16 random bytes, base64url without
 * padding: 27 characters. */
#define KC_CAPTCHA_ID_LEN  27
#define KC_CAPTCHA_ID_SIZE (KC_CAPTCHA_ID_LEN + 1)

/* Buffer cap for kc_captcha_image_png() (the PNG is about 15 KiB). */
#define KC_CAPTCHA_PNG_MAX (32 * 1024)
/* Buffer cap for kc_captcha_pow_challenge() (the JSON is about 250 bytes). */
#define KC_CAPTCHA_POW_JSON_MAX 1024

/* Defaults, used for members of struct kc_captcha_cfg left at 0. */
#define KC_CAPTCHA_IMAGE_TTL      600    /* 10 minutes to read and type */
#define KC_CAPTCHA_IMAGE_CAP      10000  /* about 0.6 MB */
#define KC_CAPTCHA_POW_TTL        1200   /* the solver starts at page load */
#define KC_CAPTCHA_POW_MAXNUMBER  100000 /* well under a second in a browser */
#define KC_CAPTCHA_POW_REPLAY_CAP 32768  /* about 1.5 MB */
/* Clocks of kcd instances sharing the key may differ by this much. */
#define KC_CAPTCHA_CLOCK_SLACK 60
/* Upper bounds for the settings. */
#define KC_CAPTCHA_POW_MAXNUMBER_LIMIT 100000000
#define KC_CAPTCHA_CAP_LIMIT           1000000
#define KC_CAPTCHA_TTL_LIMIT           86400

struct kc_captcha;

struct kc_captcha_cfg {
  unsigned image_ttl;     /* seconds an image challenge stays valid */
  size_t image_cap;       /* image challenges kept; oldest dropped */
  unsigned pow_ttl;       /* seconds until a pow challenge expires */
  uint64_t pow_maxnumber; /* the number is drawn from [0, this] */
  size_t pow_replay_cap;  /* solved challenges remembered; when this many
                             are unexpired, further solutions are refused
                             (fail closed) until some expire */
};

/* Clock and randomness, injectable for tests. NULL members mean time()
 * and randombytes_buf(). */
struct kc_captcha_env {
  time_t (*now)(void *ctx);
  void (*random)(void *ctx, void *buf, size_t len);
  void *ctx;
};

/*
 * Make the captcha state. key: the 32-byte server key (not kept; only the
 * derived HMAC key is). cfg may be NULL (all defaults); env may be NULL
 * (real clock and randomness); both are copied. The stores are allocated
 * on first use. Calls sodium_init(). 0, KC_ERR_INVALID (a setting above
 * its limit), KC_ERR_NOMEM, or KC_ERR_INTERNAL (libsodium failed). Free
 * with kc_captcha_free().
 */
int kc_captcha_new(struct kc_captcha **out,
                   const unsigned char key[KC_CAPTCHA_KEY_BYTES],
                   const struct kc_captcha_cfg *cfg,
                   const struct kc_captcha_env *env) KC_MUST_USE
  KC_NONNULL(1, 2);

/* Wipe and free everything. NULL is fine. */
void kc_captcha_free(struct kc_captcha *c);

/* Is id shaped like an image id (KC_CAPTCHA_ID_LEN base64url
 * characters)? For the HTTP layer before it looks anything up. */
bool kc_captcha_id_is_valid(const char *id);

/*
 * New image challenge: a random text, stored under a new id written to
 * id_out (NUL-terminated). 0 or KC_ERR_NOMEM; id_out is "" on failure.
 */
int kc_captcha_image_new(struct kc_captcha *c,
                         char id_out[KC_CAPTCHA_ID_SIZE]) KC_MUST_USE
  KC_NONNULL(1, 2);

/*
 * Append the PNG picture of challenge id to png (init it with a cap of at
 * least KC_CAPTCHA_PNG_MAX). Does not consume the challenge; the same id
 * always gives the same picture. 0, KC_ERR_NOT_FOUND (malformed, unknown,
 * used or expired id), or KC_ERR_TOO_LARGE/KC_ERR_NOMEM (png freed).
 */
int kc_captcha_image_png(struct kc_captcha *c, const char *id,
                         struct kc_buf *png) KC_MUST_USE KC_NONNULL(1, 2, 3);

/*
 * Check answer for challenge id and consume the challenge whatever the
 * outcome. Blanks around the answer are ignored, letters compared without
 * case, in constant time; look-alikes of characters the alphabet leaves
 * out count as the one it has (S as 5, Z as 2, B as 8, 6 as G, V as U,
 * O/Q/0 as D). 0 when right; -1 when wrong, unknown, used, expired or
 * malformed.
 */
int kc_captcha_image_check(struct kc_captcha *c, const char *id,
                           const char *answer) KC_MUST_USE KC_NONNULL(1);

/*
 * Append a new ALTCHA v1 challenge as JSON to json (cap at least
 * KC_CAPTCHA_POW_JSON_MAX): {"algorithm":"SHA-256","challenge":"…",
 * "maxnumber":N,"salt":"…","signature":"…"}. Nothing is stored. 0, or
 * KC_ERR_TOO_LARGE/KC_ERR_NOMEM (json freed).
 */
int kc_captcha_pow_challenge(struct kc_captcha *c,
                             struct kc_buf *json) KC_MUST_USE KC_NONNULL(1, 2);

/*
 * Verify the ALTCHA field: payload is len bytes (at most
 * KC_MAX_ALTCHA_PAYLOAD) of base64 (with padding) of the JSON solution.
 * Checks, in this order: size, base64, strict JSON (flatjson.h), algorithm
 * "SHA-256", challenge and signature 64 lowercase hex digits, number an
 * integer >= 0, salt shaped as above with an expiry that has not passed
 * and lies at most pow_ttl + KC_CAPTCHA_CLOCK_SLACK ahead,
 * SHA-256(salt || number) == challenge,
 * the signature (constant time), and finally the replay store. 0 when the
 * solution is good and seen for the first time; -1 otherwise.
 */
int kc_captcha_pow_verify(struct kc_captcha *c, const char *payload,
                          size_t len) KC_MUST_USE KC_NONNULL(1);

#endif /* KC_CAPTCHA_H */
