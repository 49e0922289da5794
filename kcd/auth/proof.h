/*
 * proof.h: a short-lived proof that an account passed its second factor,
 * for the PAM password change (CHAUTHTOK) after a login with a TAN.
 *
 * kcd hands one out with the answer to a right TAN; the module keeps it
 * with the PAM handle and sends it with CHAUTHTOK, and kcd changes the
 * password of an account with a second factor only with a valid proof.
 * So the password alone (a local user talking to the socket, or `passwd`
 * without a login) never changes the password of such an account, as the
 * credentials page already demands the TAN.
 *
 * A proof is "<issued, 16 hex digits>.<HMAC-SHA-256 cut to 128 bits, 32 hex
 * digits>" over
 * a label, the account's DN and the issue time, under a key derived from
 * kcd's secret key: stateless, so any kcd sharing the key accepts it, and
 * bound to the one account. It is valid KC_PROOF_TTL seconds. Pure and
 * thread-safe; not a secret worth wiping (it proves nothing without the
 * password, which CHAUTHTOK also demands).
 */
#ifndef KC_PROOF_H
#define KC_PROOF_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "kc_attrs.h"
#include "kc_limits.h"
#include "tan.h"

/* Length of a proof, without the NUL. */
#define KC_PROOF_MAC_BYTES 16
#define KC_PROOF_LEN       (16 + 1 + 2 * KC_PROOF_MAC_BYTES)
_Static_assert(KC_PROOF_LEN <= KC_MAX_TOKEN, "a proof fits the wire field");

/* Write the proof for dn issued at now. 0 or KC_ERR_INVALID (dn empty). */
int kc_proof_make(char out[KC_PROOF_LEN + 1],
                  const unsigned char key[KC_TAN_KEY_BYTES], const char *dn,
                  time_t now) KC_MUST_USE KC_NONNULL(1, 2, 3);

/* 0 when proof was made for dn under key, not in the future (a minute of
 * clock skew between kcd allowed) and not older than KC_PROOF_TTL; -1
 * otherwise, whatever the reason. Constant time in the MAC. */
int kc_proof_check(const char *proof, const unsigned char key[KC_TAN_KEY_BYTES],
                   const char *dn, time_t now) KC_MUST_USE KC_NONNULL(1, 2, 3);

/* The same kind of proof for another purpose: label names it (each label
 * has a key of its own, so one purpose's proof is nothing to another),
 * extra (NULL: none) is bound too, ttl is its lifetime in seconds. The web
 * login's ticket is one (label "kc-web-login-ticket-v1", extra the TAN
 * challenge: the password step came before this TAN step). */
int kc_proof_make_for(char out[KC_PROOF_LEN + 1],
                      const unsigned char key[KC_TAN_KEY_BYTES],
                      const char *label, const char *dn, const char *extra,
                      time_t now) KC_MUST_USE KC_NONNULL(1, 2, 3, 4);
int kc_proof_check_for(const char *proof,
                       const unsigned char key[KC_TAN_KEY_BYTES],
                       const char *label, const char *dn, const char *extra,
                       time_t now, unsigned ttl) KC_MUST_USE
  KC_NONNULL(1, 2, 3, 4);

/* 16 lower-case hex digits at p as a number: 0, or -1 when they are not
 * (the times in proofs and session cookies). */
int kc_proof_hex16(const char *p, uint64_t *v) KC_NONNULL(1, 2);

#endif /* KC_PROOF_H */
