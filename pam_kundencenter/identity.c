/*
 * identity.c: the KC_* PAM environment variables of a passed login.
 */
#include <config.h>

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <security/pam_ext.h>

#include "identity.h"

/* "KC_CUSTOMERS=" and the longest value, with the NUL. */
#define KC_PAM_ENV_MAX (sizeof("KC_TAN_METHOD=") + KC_MAX_CUSTOMER_LIST + 1)

static const char *const names[] = {"KC_USER", "KC_CUSTOMERS", "KC_ROLE",
                                    "KC_TAN_METHOD"};
#define NNAMES (sizeof(names) / sizeof(names[0]))

static void
copy_field(char *out, size_t size, const char *s)
{
  size_t len = s != NULL ? strnlen(s, size - 1) : 0;

  if (len > 0)
    memcpy(out, s, len);
  out[len] = '\0';
}

void
kc_pam_identity_take(struct kc_pam_identity *id,
                     const struct kc_proto_reply *rep)
{
  copy_field(id->user, sizeof(id->user), rep->user);
  copy_field(id->customers, sizeof(id->customers), rep->customers);
  copy_field(id->role, sizeof(id->role), rep->role);
  copy_field(id->tan_method, sizeof(id->tan_method), rep->tan_method);
}

/* A value that is safe in "NAME=value": shorter than its buffer, only
 * printable ASCII, no '=' and no blank. */
static bool
value_ok(const char *s, size_t size)
{
  size_t len = strnlen(s, size);

  if (len == size)
    return false;
  for (; *s != '\0'; s++)
    if (*s <= 0x20 || *s >= 0x7f || *s == '=')
      return false;
  return true;
}

void
kc_pam_identity_drop(pam_handle_t *pamh)
{
  size_t i;

  /* A name without '=' removes the variable; one that is not set is
   * PAM_BAD_ITEM, which is fine here. */
  for (i = 0; i < NNAMES; i++)
    (void) pam_putenv(pamh, names[i]);
}

int
kc_pam_identity_export(pam_handle_t *pamh, const struct kc_pam_identity *id)
{
  const char *values[NNAMES] = {id->user, id->customers, id->role,
                                id->tan_method};
  const size_t sizes[NNAMES] = {sizeof(id->user), sizeof(id->customers),
                                sizeof(id->role), sizeof(id->tan_method)};
  char entry[KC_PAM_ENV_MAX];
  size_t i;
  int rc = PAM_SUCCESS;

  if (id->user[0] == '\0' || id->role[0] == '\0' || id->tan_method[0] == '\0')
    rc = PAM_SYSTEM_ERR;
  for (i = 0; rc == PAM_SUCCESS && i < NNAMES; i++) {
    if (!value_ok(values[i], sizes[i]) ||
        snprintf(entry, sizeof(entry), "%s=%s", names[i], values[i]) >=
          (int) sizeof(entry))
      rc = PAM_SYSTEM_ERR;
    else
      rc = pam_putenv(pamh, entry);
  }
  if (rc != PAM_SUCCESS)
    kc_pam_identity_drop(pamh);
  return rc;
}
