/*
 * call.c: per-call set-up, conversation and log helpers.
 */
#include <config.h>

#include <stdio.h>
#include <string.h>
#include <syslog.h>

#include <security/pam_ext.h>

#include "kc_err.h"
#include "kc_proto.h"
#include "kc_str.h"
#include "kc_wipe.h"
#include "module.h"
#include "result.h"

void
kc_pam_log_name(const char *s, char *out)
{
  kc_str_escape_log(out, KC_PAM_LOG_NAME_SIZE, s, KC_MAX_USERNAME);
}

/* Copy an optional PAM item into buf, cut at the protocol's cap: a
 * shortened host name is better than no login at all. */
static void
copy_item(pam_handle_t *pamh, int item, char *buf, size_t size)
{
  const void *v = NULL;

  buf[0] = '\0';
  if (pam_get_item(pamh, item, &v) == PAM_SUCCESS && v != NULL)
    snprintf(buf, size, "%s", (const char *) v);
}

static int
get_user(pam_handle_t *pamh, bool ask_user, const char **user)
{
  const void *v = NULL;
  int rc;

  *user = NULL;
  if (ask_user)
    return pam_get_user(pamh, user, NULL);
  rc = pam_get_item(pamh, PAM_USER, &v);
  *user = v;
  return rc;
}

int
kc_pam_call_init(struct kc_pam_call *call, pam_handle_t *pamh, int flags,
                 int argc, const char **argv, bool ask_user)
{
  const char *user = NULL;
  int rc;

  memset(call, 0, sizeof(*call));
  call->pamh = pamh;
  call->flags = flags;
  (void) kc_pam_cfg_parse(&call->cfg, pamh, flags, argc, argv);
  copy_item(pamh, PAM_SERVICE, call->service, sizeof(call->service));
  copy_item(pamh, PAM_RHOST, call->rhost, sizeof(call->rhost));
  call->who.service = call->service;
  call->who.rhost = call->rhost;
  rc = get_user(pamh, ask_user, &user);
  if (rc != PAM_SUCCESS) {
    pam_syslog(pamh, LOG_ERR, "cannot get the user name; error=%s",
               pam_strerror(pamh, rc));
    return rc;
  }
  if (user == NULL || user[0] == '\0')
    return kc_pam_remap_result(&call->cfg, KC_RES_USER_UNKNOWN,
                               PAM_USER_UNKNOWN);
  call->who.user = user;
  kc_pam_log_name(user, call->logname);
  return PAM_SUCCESS;
}

int
kc_pam_ask(struct kc_pam_call *call, int style, const char *text, char **answer)
{
  char *resp = NULL;
  int rc;

  *answer = NULL;
  rc = pam_prompt(call->pamh, style, &resp, "%s", text);
  if (rc != PAM_SUCCESS) {
    kc_wipe_free_str(resp);
    return rc;
  }
  *answer = resp;
  return PAM_SUCCESS;
}

void
kc_pam_tell(struct kc_pam_call *call, int style, const char *text)
{
  if (call->cfg.silent || call->cfg.tan == KC_PAM_TAN_INLINE || text[0] == '\0')
    return;
  (void) pam_prompt(call->pamh, style, NULL, "%s", text);
}

/* kcd could not be asked, or its answer was unusable. */
static bool
is_transport_result(uint32_t result)
{
  return result == KC_RES_UNAVAILABLE || result == KC_RES_PROTOCOL ||
         result == KC_RES_VERSION;
}

void
kc_pam_log_reply(struct kc_pam_call *call, const char *what, int err,
                 uint32_t result, int rc)
{
  const char *res = kc_proto_result_name(result);

  if (is_transport_result(result))
    pam_syslog(call->pamh, LOG_ERR,
               "kcd unavailable; user=%s request=%s result=%s error=%s "
               "socket=%s",
               call->logname, what, res, kc_strerror(err), call->cfg.socket);
  else if (err != 0)
    pam_syslog(call->pamh, LOG_ERR,
               "request failed; user=%s request=%s "
               "error=%s",
               call->logname, what, kc_strerror(err));
  else if (rc != PAM_SUCCESS)
    pam_syslog(call->pamh, LOG_NOTICE,
               "request refused; user=%s request=%s result=%s", call->logname,
               what, res);
  if (call->cfg.debug) {
    char rhost[KC_PAM_LOG_NAME_SIZE], service[KC_PAM_LOG_NAME_SIZE];

    kc_pam_log_name(call->rhost, rhost);
    kc_pam_log_name(call->service, service);
    pam_syslog(call->pamh, LOG_DEBUG,
               "request done; user=%s request=%s result=%s pam=%d service=%s "
               "rhost=%s",
               call->logname, what, res, rc, service, rhost);
  }
}
