/*
 * password.c: the password facility (pam_chauthtok). PRELIM_CHECK
 * verifies the old password (CHAUTHTOK with an empty new one) and keeps
 * it as PAM_OLDAUTHTOK; UPDATE_AUTHTOK asks for the new one and sends the
 * change, which kcd makes as an RFC 3062 password modify bound as the
 * user, so ppolicy applies.
 *
 * An account with a second factor changes its password only with kcd's
 * proof of a right TAN: the one our auth step got, or, without a login
 * (passwd), one that PRELIM_CHECK earns: kcd answers the verification
 * with a TAN, the module asks for it as at login.
 */
#include <config.h>

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include <security/pam_ext.h>

#include "ctx.h"
#include "kc_proto.h"
#include "kc_str.h"
#include "kc_wipe.h"
#include "module.h"
#include "result.h"

#define KC_PAM_MSG_TOO_LONG "Das neue Passwort ist zu lang."

/* A copy of s, or PAM_BUF_ERR. */
static int
dup_secret(const char *s, char **out)
{
  *out = strdup(s);
  return *out != NULL ? PAM_SUCCESS : PAM_BUF_ERR;
}

/* The old password: from an earlier module, from our auth step (libpam
 * has wiped PAM_AUTHTOK by now), or asked for. */
static int
get_old(struct kc_pam_call *call, char **old)
{
  const struct kc_pam_ctx *ctx;
  const void *item = NULL;
  int rc;

  *old = NULL;
  if (pam_get_item(call->pamh, PAM_OLDAUTHTOK, &item) == PAM_SUCCESS &&
      item != NULL)
    return dup_secret(item, old);
  ctx = kc_pam_ctx_get(call->pamh, call->who.user);
  if (ctx != NULL && ctx->oldpw != NULL)
    return dup_secret(ctx->oldpw, old);
  if (call->cfg.use_first_pass)
    return PAM_AUTHTOK_RECOVERY_ERR;
  rc = kc_pam_ask(call, PAM_PROMPT_ECHO_OFF, KC_PAM_PROMPT_OLD, old);
  if (rc == PAM_SUCCESS && *old == NULL)
    rc = PAM_AUTHTOK_RECOVERY_ERR;
  return rc;
}

/* kcd's proof of a passed TAN for this user, "" when there is none. */
static const char *
proof_of(struct kc_pam_call *call)
{
  const struct kc_pam_ctx *ctx = kc_pam_ctx_get(call->pamh, call->who.user);

  return ctx != NULL ? ctx->proof : "";
}

static int
prelim(struct kc_pam_call *call)
{
  char proof[KC_MAX_TOKEN + 1];
  struct kc_proto_reply rep;
  bool tan_asked = false;
  char *old = NULL;
  uint32_t result;
  int err, rc;

  if ((rc = get_old(call, &old)) != PAM_SUCCESS)
    goto out;
  if (old[0] == '\0' || strlen(old) > KC_MAX_PASSWORD) {
    rc = PAM_AUTH_ERR;
    goto out;
  }
  err = kc_pam_request_chauthtok(&call->cfg, &call->who, old, "",
                                 proof_of(call), &rep);
  result = rep.result;
  /* A TAN account without a login of ours: kcd sent a TAN; its right
   * answer brings the proof the change needs. */
  if (result == KC_RES_TAN_REQUIRED) {
    kc_pam_log_reply(call, "CHAUTHTOK_VERIFY", err, result, PAM_SUCCESS);
    tan_asked = true;
    rc = kc_pam_tan_step(call, old, &rep, &result, proof, NULL);
    if (rc == PAM_SUCCESS && proof[0] != '\0')
      rc = kc_pam_ctx_set_proof(call->pamh, call->who.user, proof);
    if (rc != PAM_SUCCESS) {
      kc_proto_reply_free(&rep);
      goto out;
    }
  }
  /* Right password of an account that must change: why we are here. */
  if (result == KC_RES_NEW_AUTHTOK_REQD)
    result = KC_RES_OK;
  rc = kc_pam_result(&call->cfg, result, KC_PAM_FAC_PASSWORD);
  kc_pam_log_reply(call, tan_asked ? "CHAUTHTOK_TAN" : "CHAUTHTOK_VERIFY", err,
                   result, rc);
  if (rc != PAM_SUCCESS && !tan_asked) /* the TAN step told its refusal */
    kc_pam_tell(call, PAM_ERROR_MSG, kc_pam_text(rep.message));
  kc_proto_reply_free(&rep);
  if (rc == PAM_SUCCESS)
    rc = pam_set_item(call->pamh, PAM_OLDAUTHTOK, old);
out:
  kc_wipe_free_str(old);
  return rc;
}

/* Ask the new password twice. */
static int
ask_new(struct kc_pam_call *call, char **newpw)
{
  char *again = NULL;
  int rc;

  *newpw = NULL;
  rc = kc_pam_ask(call, PAM_PROMPT_ECHO_OFF, KC_PAM_PROMPT_NEW, newpw);
  if (rc == PAM_SUCCESS && *newpw != NULL && (*newpw)[0] != '\0')
    rc = kc_pam_ask(call, PAM_PROMPT_ECHO_OFF, KC_PAM_PROMPT_REPEAT, &again);
  if (rc == PAM_SUCCESS && *newpw != NULL && (*newpw)[0] != '\0' &&
      (again == NULL || strcmp(*newpw, again) != 0)) {
    kc_pam_tell(call, PAM_ERROR_MSG, KC_PAM_MSG_MISMATCH);
    rc = PAM_AUTHTOK_ERR;
  }
  kc_wipe_free_str(again);
  if (rc != PAM_SUCCESS) {
    kc_wipe_free_str(*newpw);
    *newpw = NULL;
  }
  return rc;
}

/* The new password: from an earlier module when (use|try)_first_pass
 * allows it, else asked for; never empty (that would ask kcd only to
 * verify) and never over the protocol's cap. */
static int
get_new(struct kc_pam_call *call, char **newpw)
{
  const void *item = NULL;
  int rc;

  *newpw = NULL;
  if ((call->cfg.use_first_pass || call->cfg.try_first_pass) &&
      pam_get_item(call->pamh, PAM_AUTHTOK, &item) == PAM_SUCCESS &&
      item != NULL)
    rc = dup_secret(item, newpw);
  else
    rc = ask_new(call, newpw);
  if (rc != PAM_SUCCESS)
    return rc;
  if (*newpw == NULL || (*newpw)[0] == '\0' ||
      strlen(*newpw) > KC_MAX_PASSWORD) {
    kc_pam_tell(call, PAM_ERROR_MSG,
                *newpw == NULL || (*newpw)[0] == '\0' ? KC_PAM_MSG_EMPTY
                                                      : KC_PAM_MSG_TOO_LONG);
    kc_wipe_free_str(*newpw);
    *newpw = NULL;
    return PAM_AUTHTOK_ERR;
  }
  return PAM_SUCCESS;
}

/* kcd changed the password: tell the modules after us, and our state. */
static int
changed(struct kc_pam_call *call, const char *newpw)
{
  struct kc_pam_ctx *ctx = kc_pam_ctx_get(call->pamh, call->who.user);

  if (ctx != NULL)
    kc_pam_ctx_changed(ctx);
  pam_syslog(call->pamh, LOG_NOTICE, "password changed; user=%s",
             call->logname);
  return pam_set_item(call->pamh, PAM_AUTHTOK, newpw);
}

static int
update(struct kc_pam_call *call)
{
  struct kc_proto_reply rep;
  const void *old = NULL;
  char *newpw = NULL;
  int err, rc;

  if (pam_get_item(call->pamh, PAM_OLDAUTHTOK, &old) != PAM_SUCCESS ||
      old == NULL) {
    pam_syslog(call->pamh, LOG_ERR,
               "no old password from PRELIM_CHECK; "
               "user=%s",
               call->logname);
    return PAM_AUTHTOK_RECOVERY_ERR;
  }
  if ((rc = get_new(call, &newpw)) != PAM_SUCCESS)
    return rc;
  err = kc_pam_request_chauthtok(&call->cfg, &call->who, old, newpw,
                                 proof_of(call), &rep);
  rc = kc_pam_result(&call->cfg, rep.result, KC_PAM_FAC_PASSWORD);
  kc_pam_log_reply(call, "CHAUTHTOK", err, rep.result, rc);
  kc_pam_tell(call, rc == PAM_SUCCESS ? PAM_TEXT_INFO : PAM_ERROR_MSG,
              kc_pam_text(rep.message));
  kc_proto_reply_free(&rep);
  if (rc == PAM_SUCCESS)
    rc = changed(call, newpw);
  kc_wipe_free_str(newpw);
  return rc;
}

int
kc_pam_password(struct kc_pam_call *call)
{
  if (!kc_str_is_username(call->who.user)) {
    pam_syslog(call->pamh, LOG_NOTICE, "invalid user name; user=%s",
               call->logname);
    return kc_pam_result(&call->cfg, KC_RES_USER_UNKNOWN, KC_PAM_FAC_PASSWORD);
  }
  if (call->flags & PAM_PRELIM_CHECK)
    return prelim(call);
  if (call->flags & PAM_UPDATE_AUTHTOK)
    return update(call);
  return PAM_SERVICE_ERR;
}
