/*
 * account.c: the account facility. Never converses: mod_authnz_pam's
 * "Require pam-account" calls it without a password and fails on any
 * message. Always asks kcd (ACCT), also after our own auth step.
 */
#include <config.h>

#include <syslog.h>

#include <security/pam_ext.h>

#include "ctx.h"
#include "kc_proto.h"
#include "kc_str.h"
#include "module.h"
#include "result.h"

/* kcd's answer, with what our own auth step on this handle learnt: a
 * "must change" the bind reported (ppolicy grace after expiry), and a
 * change made through this handle since (which kcd's answer may not show
 * yet, when it reads another replica). */
static uint32_t
with_auth_state(const struct kc_pam_ctx *ctx, uint32_t result)
{
  if (ctx == NULL || ctx->auth_rc != PAM_SUCCESS)
    return result;
  if (result == KC_RES_OK && ctx->must_change)
    return KC_RES_NEW_AUTHTOK_REQD;
  if (result == KC_RES_NEW_AUTHTOK_REQD && ctx->changed)
    return KC_RES_OK;
  return result;
}

int
kc_pam_account(struct kc_pam_call *call)
{
  const struct kc_pam_ctx *ctx;
  struct kc_proto_reply rep;
  uint32_t result;
  int err, rc;

  if (!kc_str_is_username(call->who.user)) {
    pam_syslog(call->pamh, LOG_NOTICE, "invalid user name; user=%s",
               call->logname);
    return kc_pam_result(&call->cfg, KC_RES_USER_UNKNOWN, KC_PAM_FAC_ACCOUNT);
  }
  /* Asked even right after our own auth step: an account locked since
   * (kcadm account lock, ppolicy) must not pass on the cached answer. */
  err = kc_pam_request_acct(&call->cfg, &call->who, &rep);
  ctx = kc_pam_ctx_get(call->pamh, call->who.user);
  result = with_auth_state(ctx, rep.result);
  rc = kc_pam_result(&call->cfg, result, KC_PAM_FAC_ACCOUNT);
  kc_pam_log_reply(call, "ACCT", err, result, rc);
  kc_proto_reply_free(&rep);
  return rc;
}
