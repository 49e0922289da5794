/*
 * reset.h: the rules of the forgotten-password link (DESIGN §11), pure:
 * how many reset mails an account may get, when a link is dead, what a
 * link's token looks like. LDAP (kc_ldap_reset.c) keeps the state and the
 * web page (http_reset.c) the flow; time is the caller's, so the rules
 * are tested with a driven clock.
 *
 * The per-account cap lives in LDAP (kcResetWindowStart,
 * kcResetSendCount) so that it holds across several kcd: the counters a
 * kcd read go into a compare-and-swap modify together with the new link,
 * and of two kcd that decided on the same counters only one stores.
 */
#ifndef KC_RESET_H
#define KC_RESET_H

#include <stdbool.h>
#include <time.h>

#include "kc_attrs.h"

/* At most KC_RESET_MAX_SENDS reset mails per account in a window of
 * KC_RESET_WINDOW seconds: enough for a typo and a lost mail, too few to
 * fill a mailbox. */
#define KC_RESET_MAX_SENDS 3
#define KC_RESET_WINDOW    3600

/* A token is 32 random bytes, base64url without padding: 43 characters
 * (256 bits; DESIGN §7 asks for at least 128). */
#define KC_RESET_TOKEN_BYTES 32
#define KC_RESET_TOKEN_LEN   43

/* Mail counters as stored: of a reset link per account, of an activation
 * mail per customer (kcRegWindowStart, kcRegSendCount). */
struct kc_send_cap {
  time_t window_start; /* 0: none yet */
  unsigned sends;      /* mails sent since window_start */
};

/* May one more mail go out with the counters cur, at most max in a window
 * of window seconds? true, with next set to the counters to store with it
 * (a new window when cur's is over, unset, or lies in the future); false
 * when the cap is reached (next is then cur). */
bool kc_send_cap_take(const struct kc_send_cap *cur, time_t now, unsigned max,
                      unsigned window, struct kc_send_cap *next) KC_MUST_USE
  KC_NONNULL(1, 5);

/* kc_send_cap_take() with the reset link's cap (KC_RESET_MAX_SENDS in
 * KC_RESET_WINDOW). */
bool kc_reset_cap_take(const struct kc_send_cap *cur, time_t now,
                       struct kc_send_cap *next) KC_MUST_USE KC_NONNULL(1, 3);

/* Is a link that expires at expires (0: not set) still good at now? */
bool kc_reset_live(time_t expires, time_t now) KC_MUST_USE;

/* Could t be a token of ours (KC_RESET_TOKEN_LEN base64url characters)?
 * Checked before anything is looked up. */
bool kc_reset_token_ok(const char *t) KC_MUST_USE KC_NONNULL(1);

#endif /* KC_RESET_H */
