/*
 * pam_kundencenter.c: the PAM entry points. Each parses the options once,
 * collects who is asking and hands over to its facility; nothing else
 * lives here. Only these six symbols leave the module
 * (pam_kundencenter.sym).
 */
#include <config.h>

#define PAM_SM_AUTH
#define PAM_SM_ACCOUNT
#define PAM_SM_SESSION
#define PAM_SM_PASSWORD

#include <security/pam_modules.h>

#include "module.h"

PAM_EXTERN int
pam_sm_authenticate(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
  struct kc_pam_call call;
  int rc;

  if ((rc = kc_pam_call_init(&call, pamh, flags, argc, argv, true)) !=
      PAM_SUCCESS)
    return rc;
  return kc_pam_auth(&call);
}

/* sshd calls setcred on the auth stack; there are no credentials to set. */
PAM_EXTERN int
pam_sm_setcred(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
  return PAM_SUCCESS;
}

PAM_EXTERN int
pam_sm_acct_mgmt(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
  struct kc_pam_call call;
  int rc;

  if ((rc = kc_pam_call_init(&call, pamh, flags, argc, argv, false)) !=
      PAM_SUCCESS)
    return rc;
  return kc_pam_account(&call);
}

PAM_EXTERN int
pam_sm_open_session(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
  return PAM_SUCCESS;
}

PAM_EXTERN int
pam_sm_close_session(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
  return PAM_SUCCESS;
}

PAM_EXTERN int
pam_sm_chauthtok(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
  struct kc_pam_call call;
  int rc;

  if ((rc = kc_pam_call_init(&call, pamh, flags, argc, argv, true)) !=
      PAM_SUCCESS)
    return rc;
  return kc_pam_password(&call);
}
