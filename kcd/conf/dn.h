/*
 * dn.h: the DN grammar kcd.conf checks ldap_base and ldap_bind_dn
 * against. Pure; no allocation, no logging.
 */
#ifndef KC_DN_H
#define KC_DN_H

#include <stdbool.h>

#include "kc_attrs.h"

/* True when v is a DN in RFC 4514 string form: attributeType "=" value
 * (a string with RFC 4514 escapes, or #hexstring), joined by ',' or '+'.
 * Blanks after ',' and '+' are tolerated as OpenLDAP does; the empty
 * (root) DN is not accepted. A value starts with neither a blank (space,
 * tab, CR, LF: libldap skips them all) nor '#' unless it is escaped. */
bool kc_dn_valid(const char *v) KC_NONNULL(1);

#endif /* KC_DN_H */
