/*
 * identity.h: who passed, for the application (DESIGN section 11).
 *
 * After a successful authentication the module sets four PAM environment
 * variables from kcd's reply, so that pam_getenvlist() of an sshd or
 * login session, or of any application, names the account:
 *   KC_USER        the user name as LDAP has it (a login typed in other
 *                  case gets its canonical spelling)
 *   KC_CUSTOMERS   every customer number of the account, comma-separated,
 *                  sorted (kc_proto_customer_cmp()); "" when none
 *   KC_ROLE        admin or user
 *   KC_TAN_METHOD  none, email, mtan or totp
 * An authentication that fails, or starts again on the same handle,
 * removes them first, so they are never left over from another try.
 */
#ifndef KC_PAM_IDENTITY_H
#define KC_PAM_IDENTITY_H

#include <security/pam_modules.h>

#include "kc_attrs.h"
#include "kc_limits.h"
#include "kc_proto.h"

struct kc_pam_identity {
  char user[KC_MAX_USERNAME + 1];
  char customers[KC_MAX_CUSTOMER_LIST + 1];
  char role[KC_MAX_PROTO_WORD + 1];
  char tan_method[KC_MAX_PROTO_WORD + 1];
};

/* Copy the identity fields of a decoded reply (each cut at its cap; the
 * codec has checked them). Missing fields become "". */
void kc_pam_identity_take(struct kc_pam_identity *id,
                          const struct kc_proto_reply *rep) KC_NONNULL(1, 2);

/* Set the four variables. Each value is checked again first: bounded,
 * printable ASCII without '=' or blanks, and user not empty. A PAM code:
 * PAM_SUCCESS; PAM_SYSTEM_ERR for a value that fails the check; or
 * pam_putenv()'s failure. On failure none of the four stays set. */
int kc_pam_identity_export(pam_handle_t *pamh,
                           const struct kc_pam_identity *id) KC_MUST_USE
  KC_NONNULL(1, 2);

/* Remove the four variables (those that are set). */
void kc_pam_identity_drop(pam_handle_t *pamh) KC_NONNULL(1);

#endif /* KC_PAM_IDENTITY_H */
