/*
 * ctx.c: per-handle state between the module's steps.
 */
#include <config.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ctx.h"
#include "kc_wipe.h"

/* The pam_set_data name; unique to this module. */
#define KC_PAM_CTX_NAME "pam_kundencenter.ctx"

static void
ctx_free(struct kc_pam_ctx *ctx)
{
  if (ctx == NULL)
    return;
  kc_wipe_free_str(ctx->oldpw);
  free(ctx->user);
  kc_wipe(ctx, sizeof(*ctx));
  free(ctx);
}

static void
ctx_cleanup(pam_handle_t *pamh, void *data, int error_status)
{
  (void) pamh;
  (void) error_status;
  ctx_free(data);
}

struct kc_pam_ctx *
kc_pam_ctx_get(pam_handle_t *pamh, const char *user)
{
  const void *data = NULL;
  struct kc_pam_ctx *ctx;

  if (pam_get_data(pamh, KC_PAM_CTX_NAME, &data) != PAM_SUCCESS || data == NULL)
    return NULL;
  ctx = (struct kc_pam_ctx *) (uintptr_t) data;
  if (ctx->user == NULL || strcmp(ctx->user, user) != 0)
    return NULL;
  return ctx;
}

/* Copy proof into ctx when it fits; "" otherwise. */
static void
ctx_keep_proof(struct kc_pam_ctx *ctx, const char *proof)
{
  size_t len = proof != NULL ? strlen(proof) : 0;

  ctx->proof[0] = '\0';
  if (len > 0 && len < sizeof(ctx->proof))
    memcpy(ctx->proof, proof, len + 1);
}

int
kc_pam_ctx_save(pam_handle_t *pamh, const char *user, int auth_rc,
                bool must_change, const char *oldpw, const char *proof)
{
  struct kc_pam_ctx *ctx;
  int rc;

  if ((ctx = calloc(1, sizeof(*ctx))) == NULL)
    return PAM_BUF_ERR;
  ctx->auth_rc = auth_rc;
  ctx->must_change = must_change;
  ctx->user = strdup(user);
  ctx_keep_proof(ctx, proof);
  if (must_change && oldpw != NULL)
    ctx->oldpw = strdup(oldpw);
  if (ctx->user == NULL ||
      (must_change && oldpw != NULL && ctx->oldpw == NULL)) {
    ctx_free(ctx);
    return PAM_BUF_ERR;
  }
  /* Replacing runs the cleanup of the previous state. */
  if ((rc = pam_set_data(pamh, KC_PAM_CTX_NAME, ctx, ctx_cleanup)) !=
      PAM_SUCCESS)
    ctx_free(ctx);
  return rc;
}

int
kc_pam_ctx_set_proof(pam_handle_t *pamh, const char *user, const char *proof)
{
  struct kc_pam_ctx *ctx = kc_pam_ctx_get(pamh, user);

  if (ctx == NULL)
    return kc_pam_ctx_save(pamh, user, PAM_AUTH_ERR, false, NULL, proof);
  ctx_keep_proof(ctx, proof);
  return PAM_SUCCESS;
}

void
kc_pam_ctx_forget(pam_handle_t *pamh)
{
  /* Replacing with NULL runs the cleanup of what was there. */
  (void) pam_set_data(pamh, KC_PAM_CTX_NAME, NULL, NULL);
}

void
kc_pam_ctx_changed(struct kc_pam_ctx *ctx)
{
  ctx->must_change = false;
  ctx->changed = true;
  kc_wipe_free_str(ctx->oldpw);
  ctx->oldpw = NULL;
}
