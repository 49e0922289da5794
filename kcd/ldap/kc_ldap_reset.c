/*
 * kc_ldap_reset.c: the directory side of the forgotten-password page
 * (kc_ldap.h, "password reset").
 */
#include <config.h>

#include "kc_err.h"
#include "kc_ldap.h"
