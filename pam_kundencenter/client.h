/*
 * client.h: one function per kcd request (nslcd's nslcd_request_*).
 *
 * Each call connects to cfg->socket, sends one request, reads one reply
 * and closes, all before ONE deadline of cfg->timeout seconds on the
 * monotonic clock, taken when the call starts. The reply is always
 * filled in: a transport failure (no socket, refused, timeout, peer
 * closed) becomes KC_RES_UNAVAILABLE, a reply that breaks the protocol
 * (garbage, wrong op, a TAN_REQUIRED without challenge, a success of
 * AUTH or TAN that does not name the account asked for) KC_RES_PROTOCOL,
 * another protocol version KC_RES_VERSION, a request that cannot be
 * encoded (a field over its cap) or no memory KC_RES_INTERNAL. The
 * strings of rep are NULL unless kcd answered (use kc_pam_text()); free
 * the reply with kc_proto_reply_free() in every case. No logging here:
 * the return value is 0 when kcd answered, else the KC_ERR_* of the
 * failure for the caller's log line.
 */
#ifndef KC_PAM_CLIENT_H
#define KC_PAM_CLIENT_H

#include <stdint.h>

#include "kc_attrs.h"
#include "kc_proto.h"
#include "options.h"

/* Who asks: the fields every request carries. NULL strings go as "". */
struct kc_pam_who {
  const char *user;
  const char *service; /* PAM_SERVICE */
  const char *rhost;   /* PAM_RHOST */
};

/* s, or "" for NULL: for the optional strings of a reply. */
const char *kc_pam_text(const char *s);

/* AUTH: secret is the password, or password+TAN with KC_AUTH_INLINE. */
int kc_pam_request_auth(const struct kc_pam_cfg *cfg,
                        const struct kc_pam_who *who, const char *secret,
                        uint32_t flags, struct kc_proto_reply *rep)
  KC_NONNULL(1, 2, 3, 5);

/* TAN: the answer to the challenge of an AUTH reply. */
int kc_pam_request_tan(const struct kc_pam_cfg *cfg,
                       const struct kc_pam_who *who, const char *challenge,
                       const char *tan, struct kc_proto_reply *rep)
  KC_NONNULL(1, 2, 3, 4, 5);

/* ACCT: account state, no secret. */
int kc_pam_request_acct(const struct kc_pam_cfg *cfg,
                        const struct kc_pam_who *who,
                        struct kc_proto_reply *rep) KC_NONNULL(1, 2, 3);

/* CHAUTHTOK: an empty newpw asks kcd only to verify oldpw; proof is
 * kcd's proof of a passed TAN, "" when there is none. */
int kc_pam_request_chauthtok(const struct kc_pam_cfg *cfg,
                             const struct kc_pam_who *who, const char *oldpw,
                             const char *newpw, const char *proof,
                             struct kc_proto_reply *rep)
  KC_NONNULL(1, 2, 3, 4, 5, 6);

#endif /* KC_PAM_CLIENT_H */
