/*
 * totp.h: the authenticator app (DESIGN §12): RFC 4226 HOTP and RFC 6238
 * TOTP with HMAC-SHA-1, base32 for the secret, the parser of a typed
 * code, recovery codes and the sealed form of the secret in LDAP.
 *
 * Pure: no LDAP, no log. Randomness comes in through struct kc_tan_env
 * (NULL or a NULL member: randombytes_buf). Thread-safe.
 *
 * Time steps: step = floor(now / 30). kc_totp_check accepts a code of the
 * current step or one step either side and says which step matched; the
 * caller accepts it only when that step is after kcTotpLastStep and
 * stores it there by one conditional LDAP modify (so two kcd never accept
 * one code twice).
 *
 * Sealed secret (kcTotpSecret): "v1:" then standard base64 with padding
 * of nonce (24 bytes) || XChaCha20-Poly1305-IETF ciphertext and tag, under
 * a key derived from kcd's secret key for this purpose only, with the
 * account's entryUUID as associated data, so a value copied to another
 * account does not open.
 *
 * Recovery codes: KC_RECOVERY_COUNT codes of KC_RECOVERY_CHARS characters
 * from KC_RECOVERY_ALPHABET (no 0 O 1 I L), shown as "7KQ2-M9XD-4F".
 * Stored as hex HMAC-SHA-256 of the normalised code under a derived key.
 */
#ifndef KC_TOTP_H
#define KC_TOTP_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "kc_attrs.h"
#include "kc_buf.h"
#include "kc_limits.h"
#include "tan.h"

/* 160 bits, as RFC 4226 section 4 recommends. */
#define KC_TOTP_SECRET_BYTES 20
/* Base32 of the secret without padding: 20 bytes are exactly 32 chars. */
#define KC_TOTP_SECRET_B32_LEN 32
#define KC_TOTP_DIGITS         6
#define KC_TOTP_PERIOD         30
/* Steps either side of now that still pass: one, for clock skew and a
 * code typed as it turned over (RFC 6238 section 5.2). */
#define KC_TOTP_WINDOW 1

/* The sealed secret: "v1:" + base64 of 24 + 20 + 16 bytes (60: 80 chars). */
#define KC_TOTP_SEAL_NONCE_BYTES 24
#define KC_TOTP_SEAL_TAG_BYTES   16
#define KC_TOTP_SEALED_BYTES                                                   \
  (KC_TOTP_SEAL_NONCE_BYTES + KC_TOTP_SECRET_BYTES + KC_TOTP_SEAL_TAG_BYTES)
#define KC_TOTP_SEALED_LEN (3 + 4 * ((KC_TOTP_SEALED_BYTES + 2) / 3))

#define KC_RECOVERY_COUNT 10
#define KC_RECOVERY_CHARS 10
/* Shown form: groups of 4, 4 and 2 joined by '-'. */
#define KC_RECOVERY_SHOWN_LEN (KC_RECOVERY_CHARS + 2)
/* 31 symbols: digits and capitals without 0 O 1 I L. */
#define KC_RECOVERY_ALPHABET "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
/* Stored form: HMAC-SHA-256 in lower-case hex. */
#define KC_RECOVERY_HASH_LEN 64

/* A new random secret. */
void kc_totp_secret_new(unsigned char secret[KC_TOTP_SECRET_BYTES],
                        const struct kc_tan_env *env) KC_NONNULL(1);

/* RFC 4226 HOTP of counter: the truncated HMAC-SHA-1 modulo 10^digits
 * (digits 6..8; 6 outside that range). */
uint32_t kc_totp_hotp(const unsigned char *secret, size_t len, uint64_t counter,
                      unsigned digits) KC_NONNULL(1);

/* The time step of now (0 before the epoch). */
uint64_t kc_totp_step(time_t now);

/* 0 and *step set when code is the 6-digit TOTP of the step of now or
 * one either side; -1 otherwise (*step 0). All three are computed and
 * compared, whatever matches, so the time does not say which one did.
 * The caller still checks *step > kcTotpLastStep. */
int kc_totp_check(const unsigned char secret[KC_TOTP_SECRET_BYTES],
                  uint32_t code, time_t now, uint64_t *step) KC_MUST_USE
  KC_NONNULL(1, 4);

/* A code as typed: exactly six digits, or three, one blank, three
 * ("123 456"). Anything else, longer inputs included, is KC_ERR_INVALID
 * (*code 0). */
int kc_totp_code_parse(const char *in, uint32_t *code) KC_MUST_USE
  KC_NONNULL(1, 2);

/* RFC 4648 base32 of len bytes, upper case, no padding, appended to out.
 * 0 or kc_buf's errors. */
int kc_totp_b32_encode(struct kc_buf *out, const unsigned char *in,
                       size_t len) KC_MUST_USE KC_NONNULL(1, 2);

/* Lenient base32 decode for typed or pasted secrets: lower case, blanks,
 * dashes and trailing '=' are accepted; other characters, a length no
 * base32 text has, or a result over outsize are not (KC_ERR_INVALID,
 * KC_ERR_TOO_LARGE). Bits left over in the last character are dropped. */
int kc_totp_b32_decode(unsigned char *out, size_t outsize, size_t *outlen,
                       const char *in) KC_MUST_USE KC_NONNULL(1, 3, 4);

/* The otpauth://totp/ URI of DESIGN §12 for issuer (portal_name) and user,
 * appended to out (give it a cap of KC_MAX_TOTP_URI); issuer and user are
 * percent-encoded. KC_ERR_INVALID when either is empty; kc_buf's errors
 * (out freed). */
int kc_totp_uri(struct kc_buf *out, const char *issuer, const char *user,
                const unsigned char secret[KC_TOTP_SECRET_BYTES]) KC_MUST_USE
  KC_NONNULL(1, 2, 3, 4);

/* Seal secret for the account with entryUUID uuid under key. 0, or
 * KC_ERR_INVALID (uuid empty or over KC_MAX_UUID). */
int kc_totp_seal(char out[KC_TOTP_SEALED_LEN + 1],
                 const unsigned char key[KC_TAN_KEY_BYTES],
                 const unsigned char secret[KC_TOTP_SECRET_BYTES],
                 const char *uuid) KC_MUST_USE KC_NONNULL(1, 2, 3, 4);

/* Open a sealed secret. 0; KC_ERR_VERSION (not "v1:"); KC_ERR_INVALID
 * (not the shape of a v1 value, or a bad uuid); KC_ERR_FORGED (it does not
 * authenticate: changed, another account's, or another key). secret is
 * zeroed on every failure. */
int kc_totp_unseal(unsigned char secret[KC_TOTP_SECRET_BYTES],
                   const unsigned char key[KC_TAN_KEY_BYTES],
                   const char *sealed, const char *uuid) KC_MUST_USE
  KC_NONNULL(1, 2, 3, 4);

/* KC_RECOVERY_COUNT distinct new codes in their shown form. 0, or
 * KC_ERR_INTERNAL when the random source keeps repeating itself (codes
 * zeroed then). */
int
kc_recovery_generate(char codes[KC_RECOVERY_COUNT][KC_RECOVERY_SHOWN_LEN + 1],
                     const struct kc_tan_env *env) KC_MUST_USE KC_NONNULL(1);

/* A recovery code as typed into its KC_RECOVERY_CHARS canonical
 * characters: lower case is raised, '-' and blanks are dropped. 0, or
 * KC_ERR_INVALID (another character, a wrong count, input over
 * KC_MAX_RECOVERY_INPUT); out is "" then. */
int kc_recovery_normalise(char out[KC_RECOVERY_CHARS + 1],
                          const char *in) KC_MUST_USE KC_NONNULL(1, 2);

/* The stored hash of a code (shown form or as typed; it is normalised
 * first). 0 or KC_ERR_INVALID; out is "" then. */
int kc_recovery_hash(char out[KC_RECOVERY_HASH_LEN + 1],
                     const unsigned char key[KC_TAN_KEY_BYTES],
                     const char *code) KC_MUST_USE KC_NONNULL(1, 2, 3);

#endif /* KC_TOTP_H */
