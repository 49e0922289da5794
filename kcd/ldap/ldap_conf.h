/*
 * ldap_conf.h: the one mapping of kcd.conf's ldap_* keys to the settings
 * of an LDAP connection, shared by kcd and kcadm (whose options then
 * override single fields).
 */
#ifndef KC_LDAP_CONF_H
#define KC_LDAP_CONF_H

#include "conf.h"
#include "kc_attrs.h"
#include "kc_buf.h"
#include "kc_ldap.h"

/*
 * Fill l from c: uri is the ldap_uri list joined by blanks (the form
 * libldap takes, which gives failover) in uris, initialised here with cap
 * KC_MAX_CONF_LINE (free it with kc_buf_free() after the last use of l);
 * base, bind_dn (NULL when not set), starttls, ca_file and timeout as
 * configured; bind_pw NULL (read it with kc_conf_read_secret_guarded()).
 * Returns 0, or KC_ERR_TOO_LARGE when the joined list does not fit (uris
 * is empty then).
 */
int kc_ldap_conf_map(struct kc_ldap_cfg *l, struct kc_buf *uris,
                     const struct kc_conf *c) KC_MUST_USE KC_NONNULL(1, 2, 3);

#endif /* KC_LDAP_CONF_H */
