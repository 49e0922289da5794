/*
 * account.c: the account facility. Never converses: mod_authnz_pam's
 * "Require pam-account" calls it without a password and fails on any
 * message.
 */
#include <config.h>

#include <syslog.h>

#include <security/pam_ext.h>

#include "ctx.h"
#include "kc_proto.h"
#include "kc_str.h"
#include "module.h"
#include "result.h"

int
kc_pam_account(struct kc_pam_call *call)
{
  const struct kc_pam_ctx *ctx;
  struct kc_proto_reply rep;
  int err, rc;

  /* Our own auth step just asked kcd; its answer still holds. */
  ctx = kc_pam_ctx_get(call->pamh, call->who.user);
  if (ctx != NULL && ctx->auth_rc == PAM_SUCCESS)
    return ctx->must_change ? PAM_NEW_AUTHTOK_REQD : PAM_SUCCESS;
  if (!kc_str_is_username(call->who.user)) {
    pam_syslog(call->pamh, LOG_NOTICE, "invalid user name; user=%s",
      call->logname);
    return kc_pam_result(&call->cfg, KC_RES_USER_UNKNOWN, KC_PAM_FAC_ACCOUNT);
  }
  err = kc_pam_request_acct(&call->cfg, &call->who, &rep);
  rc = kc_pam_result(&call->cfg, rep.result, KC_PAM_FAC_ACCOUNT);
  kc_pam_log_reply(call, "ACCT", err, rep.result, rc);
  kc_proto_reply_free(&rep);
  return rc;
}
