/*
 * session.h: the web session of kcd's account pages (cookie kc_session),
 * stateless and signed, so every kcd that shares secret_key_file accepts
 * it and none keeps any state of it.
 *
 * A cookie is "1.<entryUUID>.<issued>.<used>.<factor>.<mac>": the account,
 * the login time, the time of the last request, the time the second
 * factor was last proven in this session (0: never, an account without
 * one), each 16 hex digits, and an HMAC-SHA-256 (cut to 128 bits, 32 hex
 * digits) under a key derived from the secret key for this purpose only.
 * The MAC also covers what the account entry says now and the cookie does
 * not carry: kcSessionStamp (a random value kcd replaces at logout and
 * reset) and pwdChangedTime (slapd's, on every password change by
 * anybody). So a cookie dies with a password change, a reset or a logout
 * without anybody remembering it, and with a lock or a deletion because
 * the page reads the entry on every request.
 *
 * Time limits: idle (now - used) and absolute (now - issued). A cookie
 * from the future beyond a minute of clock skew is refused. Pure and
 * thread-safe; time is the caller's.
 */
#ifndef KC_SESSION_H
#define KC_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "kc_attrs.h"

#define KC_SESSION_UUID_LEN  36
#define KC_SESSION_MAC_BYTES 16
/* "1." uuid "." 3 x (16 hex ".") mac */
#define KC_SESSION_COOKIE_MAX                                                  \
  (2 + KC_SESSION_UUID_LEN + 1 + 3 * 17 + 2 * KC_SESSION_MAC_BYTES)
/* A CSRF field bound to one session (base64url). */
#define KC_SESSION_CSRF_LEN 32

struct kc_session {
  char uuid[KC_SESSION_UUID_LEN + 1];
  time_t issued;    /* the login */
  time_t used;      /* the last request */
  time_t factor_at; /* the second factor last proven; 0: never */
};

/* What the account entry says now (struct kc_ldap_user's fields). */
struct kc_session_binding {
  const char *stamp;       /* kcSessionStamp */
  const char *pwd_changed; /* pwdChangedTime, "" when unset */
};

enum kc_session_state {
  KC_SESSION_OK,
  KC_SESSION_BAD,    /* not ours, forged, or for an older password/stamp */
  KC_SESSION_IDLE,   /* unused longer than the idle limit */
  KC_SESSION_EXPIRED /* older than the absolute limit */
};

/* The cookie value for s under key (32 bytes). 0, or KC_ERR_INVALID (a
 * uuid that is not one, an empty stamp). */
int kc_session_make(char out[KC_SESSION_COOKIE_MAX + 1],
                    const unsigned char *key, const struct kc_session *s,
                    const struct kc_session_binding *b) KC_MUST_USE
  KC_NONNULL(1, 2, 3, 4);

/* The fields of a cookie, syntax only (nothing is proven): 0 or -1. The
 * uuid tells the caller which entry to read for kc_session_check(). */
int kc_session_parse(const char *cookie, struct kc_session *s) KC_MUST_USE
  KC_NONNULL(1, 2);

/* Is cookie valid for the account as it is now (b), at now, with the idle
 * and absolute limits in seconds? s gets its fields when the answer is
 * KC_SESSION_OK. Constant time in the MAC. */
enum kc_session_state
kc_session_check(const char *cookie, const unsigned char *key,
                 const struct kc_session_binding *b, time_t now, unsigned idle,
                 unsigned max, struct kc_session *s) KC_NONNULL(1, 2, 3, 7);

/* The CSRF field of forms inside session s (bound to its account and
 * login, not to a cookie of its own). */
void kc_session_csrf(char out[KC_SESSION_CSRF_LEN + 1],
                     const unsigned char *key, const struct kc_session *s)
  KC_NONNULL(1, 2, 3);

/* A new random kcSessionStamp (base64url of 16 bytes). */
#define KC_SESSION_STAMP_LEN 22
void kc_session_new_stamp(char out[KC_SESSION_STAMP_LEN + 1]) KC_NONNULL(1);

#endif /* KC_SESSION_H */
