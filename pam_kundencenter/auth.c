/*
 * auth.c: the auth facility (DESIGN.md section 4).
 *
 * tan=prompt: ask the password, AUTH; on TAN_REQUIRED ask the TAN in a
 * second ECHO_OFF prompt that also carries kcd's text (sshd holds
 * PAM_TEXT_INFO back until the next prompt), then TAN. For the
 * authenticator app (the reply's tan_method "totp") the prompt is
 * KC_PAM_PROMPT_TOTP and nothing was sent. A recovery code may be typed
 * at either prompt.
 * tan=inline: one ECHO_OFF prompt whose answer is password or
 * password+TAN; AUTH with KC_AUTH_INLINE; TAN_REQUIRED ends the call with
 * PAM_CRED_INSUFFICIENT and no further message (mod_authnz_pam fails the
 * call on any).
 */
#include <config.h>

#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include <security/pam_ext.h>

#include "ctx.h"
#include "identity.h"
#include "kc_buf.h"
#include "kc_proto.h"
#include "kc_str.h"
#include "kc_wipe.h"
#include "module.h"
#include "result.h"

/* The TAN prompt: kcd's message, a newline, "TAN (an <destination>): ". */
#define KC_PAM_MAX_TAN_PROMPT (2 * KC_MAX_PROTO_TEXT + 32)

/* The password of an earlier module, or one asked for now. *pw is a copy
 * the caller wipes. */
static int
get_password(struct kc_pam_call *call, char **pw)
{
  const void *item = NULL;
  int rc;

  *pw = NULL;
  if (call->cfg.use_first_pass || call->cfg.try_first_pass) {
    if (pam_get_item(call->pamh, PAM_AUTHTOK, &item) == PAM_SUCCESS &&
        item != NULL) {
      *pw = strdup(item);
      return *pw != NULL ? PAM_SUCCESS : PAM_BUF_ERR;
    }
    /* try_first_pass does not retry after a failure the way nslcd does:
     * a second wrong bind would count twice towards the lockout. */
    if (call->cfg.use_first_pass) {
      pam_syslog(call->pamh, LOG_ERR,
                 "no password from an earlier module; "
                 "user=%s",
                 call->logname);
      return PAM_AUTH_ERR;
    }
  }
  if ((rc = kc_pam_ask(call, PAM_PROMPT_ECHO_OFF, KC_PAM_PROMPT_PASSWORD,
                       pw)) != PAM_SUCCESS)
    return rc;
  if (*pw == NULL)
    return PAM_AUTH_ERR;
  /* For the modules after us; in inline mode it may hold the TAN too. */
  if (call->cfg.tan == KC_PAM_TAN_PROMPT)
    (void) pam_set_item(call->pamh, PAM_AUTHTOK, *pw);
  return PAM_SUCCESS;
}

/* Append text from kcd, with control characters shown as '?'. */
static int
add_text(struct kc_buf *b, const char *s, bool allow_newline)
{
  char c;
  int r = 0;

  for (; *s != '\0' && r == 0; s++) {
    c = *s;
    if (((unsigned char) c < 0x20 && !(allow_newline && c == '\n')) ||
        c == 0x7f)
      c = '?';
    r = kc_buf_add(b, &c, 1);
  }
  return r;
}

static int
build_tan_prompt(struct kc_pam_call *call, const struct kc_proto_reply *rep,
                 struct kc_buf *b)
{
  const char *msg = kc_pam_text(rep->message);
  const char *dest = kc_pam_text(rep->destination);

  if (!call->cfg.silent && msg[0] != '\0' &&
      (add_text(b, msg, true) != 0 || kc_buf_add_str(b, "\n") != 0))
    return PAM_BUF_ERR;
  if (rep->tan_method != NULL && strcmp(rep->tan_method, "totp") == 0)
    return kc_buf_add_str(b, KC_PAM_PROMPT_TOTP) == 0 ? PAM_SUCCESS
                                                       : PAM_BUF_ERR;
  if (dest[0] == '\0')
    return kc_buf_add_str(b, "TAN: ") == 0 ? PAM_SUCCESS : PAM_BUF_ERR;
  if (kc_buf_add_str(b, "TAN (an ") != 0 || add_text(b, dest, false) != 0 ||
      kc_buf_add_str(b, "): ") != 0)
    return PAM_BUF_ERR;
  return PAM_SUCCESS;
}

/* kcd's reason for a refusal, for the user (no-op in inline mode and
 * under PAM_SILENT). */
static void
tell_refusal(struct kc_pam_call *call, const struct kc_proto_reply *rep)
{
  if (rep->result != KC_RES_OK && rep->result != KC_RES_NEW_AUTHTOK_REQD &&
      rep->result != KC_RES_TAN_REQUIRED)
    kc_pam_tell(call, PAM_ERROR_MSG, kc_pam_text(rep->message));
}

/* An answer that can never pass: none, empty, longer than any TAN, app
 * or recovery code, or the password itself (a user who typed the password
 * twice). */
static bool
tan_is_hopeless(const char *tan, const char *pw)
{
  return tan == NULL || tan[0] == '\0' || strlen(tan) > KC_MAX_FACTOR_ANSWER ||
         strcmp(tan, pw) == 0;
}

int
kc_pam_tan_step(struct kc_pam_call *call, const char *pw,
                const struct kc_proto_reply *rep, uint32_t *result,
                char proof[KC_MAX_TOKEN + 1], struct kc_pam_identity *id)
{
  struct kc_proto_reply trep;
  struct kc_buf prompt;
  char *tan = NULL;
  int rc, err;

  *result = KC_RES_AUTH_ERR;
  proof[0] = '\0';
  kc_buf_init(&prompt, KC_PAM_MAX_TAN_PROMPT);
  rc = build_tan_prompt(call, rep, &prompt);
  if (rc == PAM_SUCCESS)
    rc = kc_pam_ask(call, PAM_PROMPT_ECHO_OFF, kc_buf_get(&prompt), &tan);
  kc_buf_free(&prompt);
  if (rc != PAM_SUCCESS)
    return rc;
  if (tan_is_hopeless(tan, pw)) {
    pam_syslog(call->pamh, LOG_NOTICE,
               "TAN refused before asking kcd; "
               "user=%s",
               call->logname);
  } else {
    err =
      kc_pam_request_tan(&call->cfg, &call->who, rep->challenge, tan, &trep);
    *result = trep.result;
    kc_pam_log_reply(call, "TAN", err, trep.result,
                     kc_pam_result(&call->cfg, trep.result, KC_PAM_FAC_AUTH));
    tell_refusal(call, &trep);
    if ((trep.result == KC_RES_OK || trep.result == KC_RES_NEW_AUTHTOK_REQD) &&
        trep.challenge != NULL && strlen(trep.challenge) <= KC_MAX_TOKEN)
      memcpy(proof, trep.challenge, strlen(trep.challenge) + 1);
    if (id != NULL)
      kc_pam_identity_take(id, &trep);
    kc_proto_reply_free(&trep);
  }
  kc_wipe_free_str(tan);
  return PAM_SUCCESS;
}

/* The end of every authentication that reached kcd: map the outcome,
 * remember a success for the account and password steps and tell the
 * application who passed (identity.h). */
static int
finish(struct kc_pam_call *call, uint32_t result, const char *pw,
       const char *proof, const struct kc_pam_identity *id)
{
  bool must_change = result == KC_RES_NEW_AUTHTOK_REQD;
  int rc = kc_pam_result(&call->cfg, result, KC_PAM_FAC_AUTH);

  if (rc != PAM_SUCCESS)
    return rc;
  rc = kc_pam_ctx_save(call->pamh, call->who.user, rc, must_change, pw, proof);
  if (rc != PAM_SUCCESS) {
    pam_syslog(call->pamh, LOG_ERR, "cannot keep the login state; user=%s",
               call->logname);
    return rc;
  }
  /* kcd's success always names the account (the client checked that);
   * without the variables the application would take a login it cannot
   * place, so their failure fails the login. */
  rc = kc_pam_identity_export(call->pamh, id);
  if (rc != PAM_SUCCESS) {
    pam_syslog(call->pamh, LOG_ERR,
               "cannot set the identity variables; user=%s error=%s",
               call->logname, pam_strerror(call->pamh, rc));
    kc_pam_ctx_forget(call->pamh);
    return rc;
  }
  if (call->cfg.debug)
    pam_syslog(call->pamh, LOG_DEBUG, "authenticated; user=%s must_change=%d",
               call->logname, must_change);
  return PAM_SUCCESS;
}

static int
auth_prompt(struct kc_pam_call *call, const char *pw)
{
  char proof[KC_MAX_TOKEN + 1] = "";
  struct kc_pam_identity id;
  struct kc_proto_reply rep;
  uint32_t result;
  int err, rc = PAM_SUCCESS;

  err = kc_pam_request_auth(&call->cfg, &call->who, pw, 0, &rep);
  result = rep.result;
  kc_pam_identity_take(&id, &rep);
  if (result == KC_RES_TAN_REQUIRED) {
    kc_pam_log_reply(call, "AUTH", err, result, PAM_SUCCESS);
    rc = kc_pam_tan_step(call, pw, &rep, &result, proof, &id);
  } else {
    kc_pam_log_reply(call, "AUTH", err, result,
                     kc_pam_result(&call->cfg, result, KC_PAM_FAC_AUTH));
    tell_refusal(call, &rep);
  }
  kc_proto_reply_free(&rep);
  return rc != PAM_SUCCESS ? rc : finish(call, result, pw, proof, &id);
}

static int
auth_inline(struct kc_pam_call *call, const char *secret)
{
  struct kc_pam_identity id;
  struct kc_proto_reply rep;
  uint32_t result;
  int err;

  err =
    kc_pam_request_auth(&call->cfg, &call->who, secret, KC_AUTH_INLINE, &rep);
  result = rep.result;
  kc_pam_identity_take(&id, &rep);
  kc_proto_reply_free(&rep);
  kc_pam_log_reply(call, "AUTH", err, result,
                   kc_pam_result(&call->cfg, result, KC_PAM_FAC_AUTH));
  /* The secret may end in a TAN: never keep it as a password. */
  return finish(call, result, NULL, NULL, &id);
}

/* Checks that need no kcd. PAM_SUCCESS to go on. An empty password is
 * refused whatever PAM_DISALLOW_NULL_AUTHTOK says: to LDAP an empty
 * simple bind is an anonymous bind, and no account has one. */
static int
precheck(struct kc_pam_call *call, const char *pw)
{
  size_t max =
    call->cfg.tan == KC_PAM_TAN_INLINE ? KC_PROTO_MAX_SECRET : KC_MAX_PASSWORD;

  if (pw[0] == '\0' || strlen(pw) > max) {
    pam_syslog(call->pamh, LOG_NOTICE, "%s password refused; user=%s",
               pw[0] == '\0' ? "empty" : "overlong", call->logname);
    return PAM_AUTH_ERR;
  }
  if (!kc_str_is_username(call->who.user)) {
    pam_syslog(call->pamh, LOG_NOTICE, "invalid user name; user=%s",
               call->logname);
    return kc_pam_result(&call->cfg, KC_RES_USER_UNKNOWN, KC_PAM_FAC_AUTH);
  }
  return PAM_SUCCESS;
}

int
kc_pam_auth(struct kc_pam_call *call)
{
  char *pw = NULL;
  int rc;

  /* Whatever an earlier call on this handle found no longer holds. */
  kc_pam_ctx_forget(call->pamh);
  kc_pam_identity_drop(call->pamh);
  /* The password is asked even for an impossible user name, so the
   * prompts do not tell which names could exist. */
  if ((rc = get_password(call, &pw)) == PAM_SUCCESS &&
      (rc = precheck(call, pw)) == PAM_SUCCESS) {
    if (call->cfg.tan == KC_PAM_TAN_INLINE)
      rc = auth_inline(call, pw);
    else
      rc = auth_prompt(call, pw);
  }
  kc_wipe_free_str(pw);
  return rc;
}
