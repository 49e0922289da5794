/*
 * handler.h: what kcd does with each PAM-socket request.
 *
 * One struct kc_handler per worker thread (it owns that worker's LDAP
 * connections). kc_handler_run() turns a decoded request into a reply;
 * it never fails as a function: every outcome is a KC_RES_* in the reply,
 * and it logs exactly one line per request (event first, then user and
 * key=value pairs; never a secret).
 */
#ifndef KC_HANDLER_H
#define KC_HANDLER_H

#include <stddef.h>
#include <sys/types.h>

#include "kc_attrs.h"
#include "kc_ldap.h"
#include "kc_proto.h"
#include "notify.h"
#include "tan.h"

/* Settings the handlers need, shared read-only by all workers. */
struct kc_handler_cfg {
  const struct kc_ldap_cfg *ldap;
  unsigned password_min_length;
  struct kc_tan_policy tan;
  const unsigned char *tan_key;   /* KC_TAN_KEY_BYTES, read-only memory */
  const struct kc_notify *notify; /* TAN delivery */
  const struct kc_tan_env *env;   /* clock and randomness; NULL: real */
};

struct kc_handler {
  const struct kc_handler_cfg *cfg;
  struct kc_ldap ldap;
  unsigned long req_id; /* for log lines: worker-local counter */
  const char *log_note; /* for the request's log line: why, or NULL */
  unsigned worker;
  /* a wrong password's lockout check, run after the reply went out
   * (kc_handler_after), so the answer costs what an unknown name's does */
  bool notice_due;
  struct kc_ldap_user notice_user;
};

/* Prepare the process-wide dummy hash that unknown users are checked
 * against, so they cost what a real bind costs (OpenSSH fake_password).
 * Unknown users are verified KC_DUMMY_MAX_PARALLEL (or one per CPU, if
 * fewer) at a time. Call once at start-up, after sodium_init(). 0,
 * KC_ERR_SYSTEM or KC_ERR_NOMEM. */
int kc_handler_global_init(void) KC_MUST_USE;

void kc_handler_init(struct kc_handler *h, const struct kc_handler_cfg *cfg,
                     unsigned worker) KC_NONNULL(1, 2);
void kc_handler_close(struct kc_handler *h) KC_NONNULL(1);

/* Peer credentials of the connection, for the log line. */
struct kc_peer {
  pid_t pid;
  uid_t uid; /* effective uid of the caller (SO_PEERCRED) */
  gid_t gid;
  uid_t who; /* whom per-uid caps and turns count: uid, or for uid 0 the
                real uid of the process (su and passwd are setuid root
                and act for the user who ran them) */
};

/* Handle one request. rep's strings are heap copies owned by the caller
 * (free with kc_proto_reply_free). */
void kc_handler_run(struct kc_handler *h, const struct kc_peer *peer,
                    const struct kc_proto_request *req,
                    struct kc_proto_reply *rep) KC_NONNULL(1, 2, 3, 4);

/* The work of the last request that waits until its reply was sent (the
 * lockout notice of a wrong password). */
void kc_handler_after(struct kc_handler *h) KC_NONNULL(1);

#endif /* KC_HANDLER_H */
