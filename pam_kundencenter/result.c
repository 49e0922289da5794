/*
 * result.c: KC_RES_* to PAM codes, per facility.
 */
#include <config.h>

#include <security/pam_modules.h>

#include "kc_proto.h"
#include "result.h"

/* Sentinel in the table: "kcd should not send this here". */
#define UNEXPECTED (-1)

/*
 * One row per KC_RES_* (in order), one column per facility. USER_UNKNOWN
 * is AUTH_ERR in auth so that the answer does not tell which names exist.
 * NEW_AUTHTOK_REQD in auth is a success the auth step remembers for the
 * account step. CHAUTHTOK does not answer it; the PRELIM_CHECK step
 * reads it as "old password right" itself before mapping.
 */
static const int map_table[KC_RES_LAST + 1][3] = {
  /*                        auth                   account password */
  [KC_RES_OK] = {PAM_SUCCESS, PAM_SUCCESS, PAM_SUCCESS},
  [KC_RES_AUTH_ERR] = {PAM_AUTH_ERR, PAM_AUTH_ERR, PAM_AUTH_ERR},
  [KC_RES_USER_UNKNOWN] = {PAM_AUTH_ERR, PAM_USER_UNKNOWN, PAM_USER_UNKNOWN},
  [KC_RES_TAN_REQUIRED] = {PAM_CRED_INSUFFICIENT, UNEXPECTED, UNEXPECTED},
  [KC_RES_NEW_AUTHTOK_REQD] = {PAM_SUCCESS, PAM_NEW_AUTHTOK_REQD, UNEXPECTED},
  [KC_RES_LOCKED] = {PAM_PERM_DENIED, PAM_PERM_DENIED, PAM_PERM_DENIED},
  [KC_RES_EXPIRED] = {PAM_ACCT_EXPIRED, PAM_ACCT_EXPIRED, PAM_ACCT_EXPIRED},
  [KC_RES_AUTHTOK_ERR] = {UNEXPECTED, UNEXPECTED, PAM_AUTHTOK_ERR},
  [KC_RES_MAXTRIES] = {PAM_MAXTRIES, PAM_PERM_DENIED, PAM_MAXTRIES},
  [KC_RES_UNAVAILABLE] = {PAM_AUTHINFO_UNAVAIL, PAM_AUTHINFO_UNAVAIL,
                          PAM_AUTHINFO_UNAVAIL},
  [KC_RES_PROTOCOL] = {PAM_AUTHINFO_UNAVAIL, PAM_AUTHINFO_UNAVAIL,
                       PAM_AUTHINFO_UNAVAIL},
  [KC_RES_RATE_LIMITED] = {PAM_MAXTRIES, PAM_PERM_DENIED, PAM_MAXTRIES},
  [KC_RES_VERSION] = {PAM_AUTHINFO_UNAVAIL, PAM_AUTHINFO_UNAVAIL,
                      PAM_AUTHINFO_UNAVAIL},
  [KC_RES_INTERNAL] = {PAM_SYSTEM_ERR, PAM_SYSTEM_ERR, PAM_SYSTEM_ERR},
};

static int
failure_for(enum kc_pam_facility fac)
{
  return fac == KC_PAM_FAC_AUTH ? PAM_AUTH_ERR : PAM_SYSTEM_ERR;
}

int
kc_pam_map_result(uint32_t result, enum kc_pam_facility fac)
{
  int rc;

  if (result > KC_RES_LAST || (unsigned) fac > KC_PAM_FAC_PASSWORD)
    return failure_for(fac);
  rc = map_table[result][fac];
  return rc == UNEXPECTED ? failure_for(fac) : rc;
}

int
kc_pam_remap_result(const struct kc_pam_cfg *cfg, uint32_t result, int rc)
{
  if (result == KC_RES_USER_UNKNOWN && cfg->ignore_unknown_user)
    return PAM_IGNORE;
  if (rc == PAM_AUTHINFO_UNAVAIL && cfg->ignore_authinfo_unavail)
    return PAM_IGNORE;
  return rc;
}

int
kc_pam_result(const struct kc_pam_cfg *cfg, uint32_t result,
              enum kc_pam_facility fac)
{
  return kc_pam_remap_result(cfg, result, kc_pam_map_result(result, fac));
}
