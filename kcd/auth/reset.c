/*
 * reset.c: the rules of the forgotten-password link (see reset.h).
 */
#include <config.h>

#include <string.h>

#include "reset.h"

bool
kc_send_cap_take(const struct kc_send_cap *cur, time_t now, unsigned max,
                 unsigned window, struct kc_send_cap *next)
{
  *next = *cur;
  if (max == 0)
    return false;
  /* a window from the future (a clock that jumped back) starts over
   * rather than blocking the account until the clock catches up */
  if (cur->window_start == 0 || cur->window_start > now ||
      now - cur->window_start >= (time_t) window) {
    next->window_start = now;
    next->sends = 1;
    return true;
  }
  if (cur->sends >= max)
    return false;
  next->sends = cur->sends + 1;
  return true;
}

bool
kc_reset_cap_take(const struct kc_send_cap *cur, time_t now,
                  struct kc_send_cap *next)
{
  return kc_send_cap_take(cur, now, KC_RESET_MAX_SENDS, KC_RESET_WINDOW, next);
}

bool
kc_reset_live(time_t expires, time_t now)
{
  return expires != 0 && now < expires;
}

bool
kc_reset_token_ok(const char *t)
{
  static const char b64url[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
    "0123456789-_";

  return strnlen(t, KC_RESET_TOKEN_LEN + 1) == KC_RESET_TOKEN_LEN &&
         strspn(t, b64url) == KC_RESET_TOKEN_LEN;
}
