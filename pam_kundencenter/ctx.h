/*
 * ctx.h: what the auth step leaves for the account and password steps
 * of the same PAM handle (nslcd's struct pld_ctx), kept with
 * pam_set_data(). The state belongs to one user name: a lookup for
 * another user finds nothing. The cleanup wipes the password copy.
 */
#ifndef KC_PAM_CTX_H
#define KC_PAM_CTX_H

#include <stdbool.h>

#include <security/pam_modules.h>

#include "kc_attrs.h"
#include "kc_limits.h"

struct kc_pam_ctx {
  char *user;       /* whose state this is */
  int auth_rc;      /* what our auth step returned */
  bool must_change; /* kcd said NEW_AUTHTOK_REQD */
  bool changed;     /* the password was changed through this handle */
  char *oldpw;      /* the login password, kept only while must_change
                       so that chauthtok's PRELIM_CHECK need not ask
                       again (libpam wipes PAM_AUTHTOK after auth) */
  char proof[KC_MAX_TOKEN + 1]; /* kcd's proof of a right TAN, for
                                   CHAUTHTOK; "" when none */
};

/* The state for user, or NULL when there is none or it is another's. */
struct kc_pam_ctx *kc_pam_ctx_get(pam_handle_t *pamh, const char *user)
  KC_NONNULL(1, 2);

/* Replace the state. oldpw is copied only when must_change is set; proof
 * (NULL or "" for none) when it fits. A PAM code: PAM_SUCCESS,
 * PAM_BUF_ERR or pam_set_data's failure. */
int kc_pam_ctx_save(pam_handle_t *pamh, const char *user, int auth_rc,
                    bool must_change, const char *oldpw,
                    const char *proof) KC_MUST_USE KC_NONNULL(1, 2);

/* Keep proof for user's password change: in the state of our auth step,
 * or in a new state that says no auth step of ours passed. A PAM code. */
int kc_pam_ctx_set_proof(pam_handle_t *pamh, const char *user,
                         const char *proof) KC_MUST_USE KC_NONNULL(1, 2, 3);

/* Drop any state (a failed authentication leaves none). */
void kc_pam_ctx_forget(pam_handle_t *pamh) KC_NONNULL(1);

/* The password was changed: no more "must change", no more old copy. */
void kc_pam_ctx_changed(struct kc_pam_ctx *ctx) KC_NONNULL(1);

#endif /* KC_PAM_CTX_H */
