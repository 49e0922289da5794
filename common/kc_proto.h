/*
 * kc_proto.h: the PAM-socket protocol between pam_kundencenter.so and kcd.
 * This header is the specification; only common/kc_wire.c touches bytes.
 *
 * Transport
 *   A UNIX stream socket (default /run/kcd/pam.sock). The module connects,
 *   sends one request, reads one reply. A client may pipeline several
 *   requests on one connection; kcd answers them in order. Either side may
 *   close after a complete reply. A client that will send nothing more may
 *   shut down its sending side (shutdown SHUT_WR) after its last request,
 *   as the module does: kcd still answers what it has, then closes at once
 *   instead of waiting for the client's close. Every read and write has a
 *   deadline.
 *
 * Framing (all integers unsigned, big-endian)
 *   offset size  field
 *   0      4     magic   "KCP\0" (0x4b 0x43 0x50 0x00)
 *   4      2     version KC_PROTO_VERSION
 *   6      2     type    request opcode, or opcode | KC_PROTO_REPLY
 *   8      4     length  of the body in bytes, <= KC_PROTO_MAX_BODY
 *   12     ...   body    the fields of the type, in the order below
 *
 * Field types
 *   U32     4 bytes.
 *   STRING  U32 byte count, then that many bytes of UTF-8. No NUL inside,
 *           no terminator on the wire. Each field has its own cap (below);
 *           a longer announced count is rejected before anything is read.
 *
 * Decoding is strict: a wrong magic or version, an unknown type, a length
 * over the cap, a short body, a NUL inside a string, a string over its
 * cap, or bytes left after the last field is a protocol error. kcd
 * answers a protocol error with a KC_PROTO_ERROR reply (result
 * KC_RES_PROTOCOL) before it closes; unlike nslcd, errors are answered,
 * not hung up. A version mismatch is answered with KC_RES_VERSION in a
 * reply that carries kcd's version in its header.
 *
 * Requests (module -> kcd)
 *   KC_OP_AUTH       user, password, service, rhost, U32 flags
 *       Verify the password with an LDAP bind as the user (ppolicy).
 *       flags: KC_AUTH_INLINE: the secret may be password+TAN
 *       (mod_authnz_pam); kcd splits the TAN off only while a challenge is
 *       open for the account, an app code (totp accounts) always, and a
 *       recovery code in its shown form ("7KQ2-M9XD-4F") for every method.
 *       Replies OK, TAN_REQUIRED (challenge and tan_method set; for
 *       email and mtan also the destination; for totp nothing was sent
 *       and the challenge is a ticket proving the password),
 *       NEW_AUTHTOK_REQD (password right but must change, or the first
 *       login not finished), AUTH_ERR (also for a locked account: slapd
 *       says "locked" whatever the password), USER_UNKNOWN, LOCKED (inline:
 *       the TAN locked it), MAXTRIES, EXPIRED, RATE_LIMITED, UNAVAILABLE.
 *   KC_OP_TAN        user, challenge, tan, service, rhost
 *       Answer the TAN challenge issued by AUTH (or by a verify-only
 *       CHAUTHTOK): tan is the TAN, the app code (totp) or a recovery
 *       code (any method). Replies OK, AUTH_ERR, MAXTRIES (challenge dead),
 *       NEW_AUTHTOK_REQD, LOCKED (only for the open challenge: locked
 *       since the password, or by this wrong TAN), UNAVAILABLE. Every
 *       answer is counted before it is compared. OK and NEW_AUTHTOK_REQD
 *       carry in the challenge field a proof of the passed second factor,
 *       which CHAUTHTOK needs (valid KC_PROOF_TTL seconds, for this
 *       account).
 *   KC_OP_ACCT       user, service, rhost
 *       Account state without a password. Replies OK, NEW_AUTHTOK_REQD,
 *       LOCKED, EXPIRED, USER_UNKNOWN, UNAVAILABLE.
 *   KC_OP_CHAUTHTOK  user, old password, new password, proof, service,
 *                    rhost
 *       RFC 3062 password modify bound as the user (ppolicy applies).
 *       An empty new password asks only to verify the old one
 *       (PAM_PRELIM_CHECK). proof: from the TAN reply of this login, ""
 *       if none. For an account with a second factor and no valid proof,
 *       a verify-only request is answered TAN_REQUIRED (a TAN is sent;
 *       the TAN reply brings the proof) and a change AUTH_ERR. Replies
 *       OK, AUTH_ERR, AUTHTOK_ERR (new password rejected, or the first
 *       login must be finished on the web; message says why),
 *       TAN_REQUIRED, RATE_LIMITED, EXPIRED, UNAVAILABLE. The old password
 *       is checked before anything else is said.
 *   KC_OP_PING       (no fields) Replies OK.
 *
 * Reply (kcd -> module), type = request type | KC_PROTO_REPLY
 *   U32 result, STRING message, STRING challenge, STRING destination,
 *   STRING user, STRING customers, STRING role, STRING tan_method
 *   message: text for the user (German or English), may be empty.
 *   challenge: opaque id of an open TAN challenge or an app ticket
 *              (TAN_REQUIRED), the
 *              proof of a passed TAN (TAN replies OK, NEW_AUTHTOK_REQD),
 *              empty otherwise.
 *   destination: the masked TAN destination ("m.mu***@example.org").
 *   user, customers, role, tan_method: the identity of who passed, for
 *              the module's PAM environment (KC_USER, KC_CUSTOMERS,
 *              KC_ROLE, KC_TAN_METHOD). A TAN_REQUIRED carries
 *              tan_method alone: the factor asked for ("email", "mtan",
 *              "totp"), so the module can word its prompt. Set in every OK and
 *              NEW_AUTHTOK_REQD reply to AUTH and to TAN, that is once
 *              the password and (where the account has one) the second
 *              factor are proven; empty in every other reply. ACCT does
 *              not carry them: it proves nothing, and the socket is open
 *              to every local user. user is the uid as LDAP holds it (a
 *              login typed in other case gets its canonical spelling);
 *              customers every kcCustomerNumber of the account, in the
 *              order of kc_proto_customer_cmp(), comma-separated, no
 *              blanks, "" when the account has none or kcd cannot name
 *              them all (never a part of them); role "admin" or "user"
 *              (an account without kcRole is a "user"); tan_method
 *              "none", "email", "mtan" or "totp". The codec refuses an
 *              identity in any other reply, a partial one, and values
 *              outside these grammars.
 *
 * Caps per field: user KC_MAX_USERNAME, password KC_MAX_PASSWORD + TAN,
 * service KC_MAX_SERVICE, rhost KC_MAX_RHOST, tan KC_MAX_FACTOR_ANSWER,
 * challenge and proof KC_MAX_TOKEN, message and destination
 * KC_MAX_PROTO_TEXT, customers KC_MAX_CUSTOMER_LIST, role and tan_method
 * KC_MAX_PROTO_WORD.
 *
 * Versions. Any change to the byte layout or the meaning of a field bumps
 * KC_PROTO_VERSION; both sides refuse the other version, and the refusal
 * is in the header, which never changes: the reader checks the version
 * before it reads a byte of the body, so a body of another layout is
 * never parsed. A module of another version gets from kcd an ERROR reply
 * with result VERSION whose header carries kcd's version; the module
 * reads any header of another version as KC_RES_VERSION, which is
 * PAM_AUTHINFO_UNAVAIL. Module and kcd are upgraded together.
 *   1  first release
 *   2  CHAUTHTOK carries the proof of a passed TAN
 *   3  replies carry the identity of who passed (user, customers, role,
 *      tan_method)
 *   4  the authenticator app and recovery codes: TAN_REQUIRED carries the
 *      method asked for in tan_method; the tan field takes a recovery code
 *      (cap KC_MAX_FACTOR_ANSWER); an inline secret may end in one
 */
#ifndef KC_PROTO_H
#define KC_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kc_attrs.h"
#include "kc_buf.h"
#include "kc_limits.h"

#define KC_PROTO_MAGIC       "KCP" /* plus the NUL: 4 bytes */
#define KC_PROTO_VERSION     4
#define KC_PROTO_HEADER_SIZE 12
#define KC_PROTO_MAX_BODY    (KC_MAX_PROTO_MESSAGE - KC_PROTO_HEADER_SIZE)
#define KC_PROTO_REPLY       0x8000

/* Request opcodes. */
#define KC_OP_AUTH      1
#define KC_OP_TAN       2
#define KC_OP_ACCT      3
#define KC_OP_CHAUTHTOK 4
#define KC_OP_PING      5
#define KC_OP_ERROR     0x7fff /* reply type for undecodable requests */

/* AUTH flags. */
#define KC_AUTH_INLINE     0x1u
#define KC_AUTH_FLAGS_MASK 0x1u

/* The secret of an inline AUTH may carry password and TAN. */
#define KC_PROTO_MAX_SECRET (KC_MAX_PASSWORD + KC_MAX_INLINE_FACTOR)

/*
 * Result codes and the PAM code the module maps each to (auth facility;
 * the module's kc_pam_map_result() is the one place that maps them).
 */
/* USER_UNKNOWN: PAM_AUTH_ERR in auth (no enumeration), PAM_USER_UNKNOWN
 * in account; PAM_IGNORE with ignore_unknown_user. TAN_REQUIRED: prompt:
 * ask the TAN; inline: PAM_CRED_INSUFFICIENT. NEW_AUTHTOK_REQD: auth:
 * PAM_SUCCESS, remembered for account: PAM_NEW_AUTHTOK_REQD. */
#define KC_RES_OK               0  /* PAM_SUCCESS */
#define KC_RES_AUTH_ERR         1  /* PAM_AUTH_ERR */
#define KC_RES_USER_UNKNOWN     2  /* see above */
#define KC_RES_TAN_REQUIRED     3  /* see above */
#define KC_RES_NEW_AUTHTOK_REQD 4  /* see above */
#define KC_RES_LOCKED           5  /* PAM_PERM_DENIED */
#define KC_RES_EXPIRED          6  /* PAM_ACCT_EXPIRED */
#define KC_RES_AUTHTOK_ERR      7  /* PAM_AUTHTOK_ERR */
#define KC_RES_MAXTRIES         8  /* PAM_MAXTRIES */
#define KC_RES_UNAVAILABLE      9  /* PAM_AUTHINFO_UNAVAIL */
#define KC_RES_PROTOCOL         10 /* PAM_AUTHINFO_UNAVAIL */
#define KC_RES_RATE_LIMITED     11 /* PAM_MAXTRIES */
#define KC_RES_VERSION          12 /* PAM_AUTHINFO_UNAVAIL */
#define KC_RES_INTERNAL         13 /* PAM_SYSTEM_ERR */
#define KC_RES_LAST             13

/* A decoded request. Strings are NUL-terminated heap copies, never NULL
 * after a successful decode (absent fields are ""). Secrets (password,
 * new_password, tan) are wiped by kc_proto_request_free(). */
struct kc_proto_request {
  uint16_t op;
  char *user;
  char *password;     /* AUTH: the secret; CHAUTHTOK: the old password */
  char *new_password; /* CHAUTHTOK */
  char *challenge;    /* TAN: the challenge; CHAUTHTOK: the proof */
  char *tan;          /* TAN */
  char *service;
  char *rhost;
  uint32_t flags; /* AUTH */
};

/* A decoded reply; strings as above. */
struct kc_proto_reply {
  uint16_t op; /* the request opcode this answers */
  uint32_t result;
  char *message;
  char *challenge;
  char *destination;
  /* the identity of a success (see above), "" otherwise */
  char *user;
  char *customers;
  char *role;
  char *tan_method;
};

/* Header of a message: checks magic, version and the length cap.
 * 0, KC_ERR_PROTOCOL (bad magic or type), KC_ERR_VERSION (*type and
 * *len still set so a caller can answer), KC_ERR_TOO_LARGE. */
int kc_proto_header_decode(const uint8_t hdr[KC_PROTO_HEADER_SIZE],
                           uint16_t *type, uint32_t *len) KC_MUST_USE
  KC_NONNULL(1, 2, 3);

/* Append a complete request message (header + body) to out, which should
 * have a cap of KC_MAX_PROTO_MESSAGE. NULL strings are sent as "".
 * 0, KC_ERR_INVALID (unknown op, string over its cap), KC_ERR_TOO_LARGE. */
int kc_proto_request_encode(struct kc_buf *out,
                            const struct kc_proto_request *req) KC_MUST_USE
  KC_NONNULL(1, 2);

/* Decode the body of a request whose header said type op. On failure
 * *req is freed and cleared. 0 or KC_ERR_PROTOCOL / KC_ERR_NOMEM. */
int kc_proto_request_decode(struct kc_proto_request *req, uint16_t op,
                            const uint8_t *body, size_t len) KC_MUST_USE
  KC_NONNULL(1);

void kc_proto_request_free(struct kc_proto_request *req) KC_NONNULL(1);

/* Append a complete reply message answering op (KC_OP_ERROR allowed). */
int kc_proto_reply_encode(struct kc_buf *out,
                          const struct kc_proto_reply *rep) KC_MUST_USE
  KC_NONNULL(1, 2);

/* Decode a reply body whose header said type (which includes
 * KC_PROTO_REPLY). */
int kc_proto_reply_decode(struct kc_proto_reply *rep, uint16_t type,
                          const uint8_t *body, size_t len) KC_MUST_USE
  KC_NONNULL(1);

void kc_proto_reply_free(struct kc_proto_reply *rep) KC_NONNULL(1);

/* The order of customer numbers in a reply's customers field: shorter
 * first, then byte by byte; for numbers without leading zeros that is
 * their numeric order. <0, 0, >0 as strcmp(). */
int kc_proto_customer_cmp(const char *a, const char *b) KC_NONNULL(1, 2);

/* Is list a customers field: "" or customer numbers joined by ',', each
 * greater than the one before (kc_proto_customer_cmp)? */
bool kc_proto_customers_ok(const char *list) KC_NONNULL(1);

/* Name of an opcode or result for logs ("AUTH", "TAN_REQUIRED", "?"). */
const char *kc_proto_op_name(uint16_t op);
const char *kc_proto_result_name(uint32_t result);

#endif /* KC_PROTO_H */
