/*
 * client.c: requests to kcd over its PAM socket, each bounded by one
 * deadline (STYLE rule 12).
 */
#include <config.h>

#include <stdint.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "client.h"
#include "kc_buf.h"
#include "kc_err.h"
#include "kc_io.h"
#include "kc_limits.h"

/* The codec's request struct has non-const members; it only reads them
 * while encoding. */
#define KC_PAM_W(s) ((char *) (uintptr_t) (s))

const char *
kc_pam_text(const char *s)
{
  return s != NULL ? s : "";
}

/* Connect, send msg, read one reply into msg, close. Every failure is
 * reported as transport trouble except what the reply header says about
 * the protocol (KC_ERR_VERSION, KC_ERR_PROTOCOL, KC_ERR_TOO_LARGE). */
static int
exchange(const struct kc_pam_cfg *cfg, struct kc_buf *msg, uint16_t *type,
         int64_t deadline)
{
  int fd = -1;
  int r;

  *type = 0;
  /* Any connect failure is "kcd unreachable", whatever the errno. */
  if ((r = kc_io_connect_unix(cfg->socket, deadline, &fd)) != 0)
    return r == KC_ERR_TOO_LARGE ? KC_ERR_UNAVAILABLE : r;
  r = kc_io_write_all(fd, kc_buf_get(msg), kc_buf_len(msg), deadline);
  /* The request is sent: wipe the secrets it carried right away. */
  kc_buf_free(msg);
  if (r == 0) {
    /* Nothing more from us: kcd may close as soon as it has answered. */
    (void) shutdown(fd, SHUT_WR);
    r = kc_io_read_message(fd, type, msg, deadline);
  }
  close(fd);
  return r;
}

/* A reply that decoded: does it answer what we asked, sensibly? */
static int
check_reply(const struct kc_proto_request *req, struct kc_proto_reply *rep)
{
  if (rep->op == KC_OP_ERROR) {
    /* kcd could not read our request; only these two codes fit. */
    if (rep->result != KC_RES_VERSION)
      rep->result = KC_RES_PROTOCOL;
    return KC_ERR_PROTOCOL;
  }
  if (rep->op != req->op)
    return KC_ERR_PROTOCOL;
  if (rep->result == KC_RES_TAN_REQUIRED &&
      ((req->op != KC_OP_AUTH && req->op != KC_OP_CHAUTHTOK) ||
       rep->challenge[0] == '\0'))
    return KC_ERR_PROTOCOL;
  /* A success of AUTH or TAN names the account (the codec checked the
   * values), and it is the one asked for: uid matching ignores case. */
  if ((req->op == KC_OP_AUTH || req->op == KC_OP_TAN) &&
      (rep->result == KC_RES_OK || rep->result == KC_RES_NEW_AUTHTOK_REQD) &&
      strcasecmp(rep->user, req->user) != 0)
    return KC_ERR_PROTOCOL;
  return 0;
}

/* The result that stands for a failure r of the exchange or decoding. */
static uint32_t
failure_result(int r)
{
  switch (r) {
    case KC_ERR_VERSION:
      return KC_RES_VERSION;
    case KC_ERR_PROTOCOL:
    case KC_ERR_TOO_LARGE:
      return KC_RES_PROTOCOL;
    case KC_ERR_NOMEM:
      return KC_RES_INTERNAL;
    default:
      return KC_RES_UNAVAILABLE;
  }
}

static int
transact(const struct kc_pam_cfg *cfg, const struct kc_proto_request *req,
         struct kc_proto_reply *rep)
{
  int64_t deadline = kc_io_now_ms() + (int64_t) cfg->timeout * 1000;
  struct kc_buf msg;
  uint16_t type;
  int r;

  memset(rep, 0, sizeof(*rep));
  kc_buf_init(&msg, KC_MAX_PROTO_MESSAGE);
  if ((r = kc_proto_request_encode(&msg, req)) != 0) {
    kc_buf_free(&msg);
    rep->result = KC_RES_INTERNAL;
    return r;
  }
  r = exchange(cfg, &msg, &type, deadline);
  if (r == 0)
    r = kc_proto_reply_decode(rep, type, (const uint8_t *) msg.data,
                              kc_buf_len(&msg));
  kc_buf_free(&msg);
  if (r != 0) {
    kc_proto_reply_free(rep);
    rep->result = failure_result(r);
    return r;
  }
  if ((r = check_reply(req, rep)) != 0) {
    uint32_t result = rep->op == KC_OP_ERROR ? rep->result : KC_RES_PROTOCOL;

    kc_proto_reply_free(rep);
    rep->result = result;
  }
  return r;
}

static void
fill_who(struct kc_proto_request *req, const struct kc_pam_who *who)
{
  req->user = KC_PAM_W(who->user);
  req->service = KC_PAM_W(who->service);
  req->rhost = KC_PAM_W(who->rhost);
}

int
kc_pam_request_auth(const struct kc_pam_cfg *cfg, const struct kc_pam_who *who,
                    const char *secret, uint32_t flags,
                    struct kc_proto_reply *rep)
{
  struct kc_proto_request req = {.op = KC_OP_AUTH};

  fill_who(&req, who);
  req.password = KC_PAM_W(secret);
  req.flags = flags;
  return transact(cfg, &req, rep);
}

int
kc_pam_request_tan(const struct kc_pam_cfg *cfg, const struct kc_pam_who *who,
                   const char *challenge, const char *tan,
                   struct kc_proto_reply *rep)
{
  struct kc_proto_request req = {.op = KC_OP_TAN};

  fill_who(&req, who);
  req.challenge = KC_PAM_W(challenge);
  req.tan = KC_PAM_W(tan);
  return transact(cfg, &req, rep);
}

int
kc_pam_request_acct(const struct kc_pam_cfg *cfg, const struct kc_pam_who *who,
                    struct kc_proto_reply *rep)
{
  struct kc_proto_request req = {.op = KC_OP_ACCT};

  fill_who(&req, who);
  return transact(cfg, &req, rep);
}

int
kc_pam_request_chauthtok(const struct kc_pam_cfg *cfg,
                         const struct kc_pam_who *who, const char *oldpw,
                         const char *newpw, const char *proof,
                         struct kc_proto_reply *rep)
{
  struct kc_proto_request req = {.op = KC_OP_CHAUTHTOK};

  fill_who(&req, who);
  req.password = KC_PAM_W(oldpw);
  req.new_password = KC_PAM_W(newpw);
  req.challenge = KC_PAM_W(proof);
  return transact(cfg, &req, rep);
}
