#include <config.h>

#include "kc_err.h"

const char *
kc_strerror(int err)
{
  switch (err) {
    case KC_OK:
      return "success";
    case KC_ERR_INTERNAL:
      return "internal error";
    case KC_ERR_NOMEM:
      return "out of memory";
    case KC_ERR_TOO_LARGE:
      return "too large";
    case KC_ERR_INVALID:
      return "invalid input";
    case KC_ERR_SYSTEM:
      return "system error";
    case KC_ERR_TIMEOUT:
      return "timed out";
    case KC_ERR_EOF:
      return "unexpected end of input";
    case KC_ERR_NOT_FOUND:
      return "not found";
    case KC_ERR_DUPLICATE:
      return "duplicate";
    case KC_ERR_PERMISSION:
      return "permission denied or unsafe permissions";
    case KC_ERR_VERSION:
      return "protocol version mismatch";
    case KC_ERR_PROTOCOL:
      return "protocol error";
    case KC_ERR_RANGE:
      return "value out of range";
    case KC_ERR_UNAVAILABLE:
      return "service unavailable";
    case KC_ERR_FORGED:
      return "data does not authenticate";
    case KC_ERR_DENIED:
      return "wrong code";
    default:
      return "unknown error";
  }
}
