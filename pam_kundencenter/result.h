/*
 * result.h: the one place where kcd's KC_RES_* codes become PAM codes
 * (nslcd's nslcd2pam_rc and remap_pam_rc). The comments on KC_RES_* in
 * kc_proto.h are the table this implements.
 */
#ifndef KC_PAM_RESULT_H
#define KC_PAM_RESULT_H

#include <stdint.h>

#include "kc_attrs.h"
#include "options.h"

/* The PAM facility a result is mapped for. */
enum kc_pam_facility {
  KC_PAM_FAC_AUTH = 0,
  KC_PAM_FAC_ACCOUNT,
  KC_PAM_FAC_PASSWORD
};

/* The PAM code for result in facility, before the ignore_* options.
 * A code kcd should not send for that facility, or one this module does
 * not know, maps to a failure (PAM_AUTH_ERR in auth, PAM_SYSTEM_ERR
 * elsewhere), never to PAM_SUCCESS. */
int kc_pam_map_result(uint32_t result, enum kc_pam_facility fac) KC_MUST_USE;

/* Apply ignore_unknown_user and ignore_authinfo_unavail to rc, the
 * mapped code of result: PAM_IGNORE when one of them applies, else rc. */
int kc_pam_remap_result(const struct kc_pam_cfg *cfg, uint32_t result,
                        int rc) KC_MUST_USE KC_NONNULL(1);

/* Both in one step: what the module returns for result. */
int kc_pam_result(const struct kc_pam_cfg *cfg, uint32_t result,
                  enum kc_pam_facility fac) KC_MUST_USE KC_NONNULL(1);

#endif /* KC_PAM_RESULT_H */
