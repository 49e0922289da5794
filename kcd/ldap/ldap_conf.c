/*
 * ldap_conf.c: kcd.conf's ldap_* keys as connection settings (see
 * ldap_conf.h).
 */
#include <config.h>

#include <string.h>

#include "kc_limits.h"
#include "ldap_conf.h"

int
kc_ldap_conf_map(struct kc_ldap_cfg *l, struct kc_buf *uris,
                 const struct kc_conf *c)
{
  size_t i;
  int r = 0;

  memset(l, 0, sizeof(*l));
  /* every field first: a caller that replaces a URI list too long to join
   * (kcadm --uri) keeps StartTLS, the CA file and the timeout */
  l->base = c->ldap_base;
  l->bind_dn = c->ldap_bind_dn;
  l->starttls = c->ldap_starttls;
  l->ca_file = c->ldap_ca_file;
  l->timeout = (int) c->ldap_timeout;
  l->retry_after = (int) c->ldap_retry_after;
  kc_buf_init(uris, KC_MAX_CONF_LINE);
  for (i = 0; i < c->ldap_uri.n && r == 0; i++) {
    if (i > 0)
      r = kc_buf_add_str(uris, " ");
    if (r == 0)
      r = kc_buf_add_str(uris, c->ldap_uri.item[i]);
  }
  if (r != 0)
    return r;
  l->uri = kc_buf_get(uris);
  return 0;
}
