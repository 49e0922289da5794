/* libFuzzer target: the DN grammar kcd.conf checks ldap_base and
 * ldap_bind_dn with (kc_dn_valid), and the builders every DN and search
 * filter of kcd comes from (kc_ldap_dn_rdn, kc_ldap_dn_entry,
 * kc_ldap_filter_value). Input: a DN or value, up to the first NUL.
 * Checks:
 *  - what kc_dn_valid accepts, libldap reads as a DN too (kcd never
 *    starts with a base the directory would refuse);
 *  - an RDN built from any UTF-8 value is within KC_MAX_DN, passes
 *    kc_dn_valid, and libldap reads back one attribute "uid" with exactly
 *    that value; a refusal leaves the buffer empty;
 *  - an entry DN is the RDN, the container and the base, passes
 *    kc_dn_valid, or is refused with an empty buffer;
 *  - an escaped filter value holds no '*', '(', ')' or unescaped '\',
 *    and unescapes to the input. */
#include <config.h>

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <ldap.h>

#include "dn.h"
#include "kc_buf.h"
#include "kc_err.h"
#include "kc_ldap.h"
#include "kc_limits.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FALLBACK_BASE "dc=example,dc=org"

static const char *const container_ou[] = {",ou=accounts,", ",ou=customers,",
                                           ",ou=registrations,",
                                           ",ou=policies,"};

static void
check_dn_valid(const char *s)
{
  LDAPDN dn = NULL;

  if (!kc_dn_valid(s))
    return;
  if (ldap_str2dn(s, &dn, LDAP_DN_FORMAT_LDAPV3) != LDAP_SUCCESS || dn == NULL)
    __builtin_trap();
  ldap_dnfree(dn);
}

/* out holds exactly one RDN, uid=value. */
static void
check_rdn_reads_back(const char *rdn, const char *value)
{
  LDAPDN dn = NULL;
  LDAPAVA *ava;

  if (ldap_str2dn(rdn, &dn, LDAP_DN_FORMAT_LDAPV3) != LDAP_SUCCESS ||
      dn == NULL || dn[0] == NULL || dn[1] != NULL || dn[0][0] == NULL ||
      dn[0][1] != NULL)
    __builtin_trap();
  ava = dn[0][0];
  if (ava->la_attr.bv_len != 3 || memcmp(ava->la_attr.bv_val, "uid", 3) != 0 ||
      ava->la_value.bv_len != strlen(value) ||
      memcmp(ava->la_value.bv_val, value, ava->la_value.bv_len) != 0)
    __builtin_trap();
  ldap_dnfree(dn);
}

static void
check_rdn(const char *value)
{
  struct kc_buf b;
  int r;

  r = kc_ldap_dn_rdn(&b, "uid", value);
  if (r != 0) {
    if ((r != KC_ERR_INVALID && r != KC_ERR_TOO_LARGE) || kc_buf_len(&b) != 0)
      __builtin_trap();
    kc_buf_free(&b);
    return;
  }
  if (kc_buf_len(&b) > KC_MAX_DN || strlen(kc_buf_get(&b)) != kc_buf_len(&b) ||
      !kc_dn_valid(kc_buf_get(&b)))
    __builtin_trap();
  check_rdn_reads_back(kc_buf_get(&b), value);
  kc_buf_free(&b);
}

static void
check_entry(const char *base, unsigned which, const char *value)
{
  struct kc_buf b, rdn;
  const char *s;
  size_t n;
  int r;

  r = kc_ldap_dn_entry(&b, base, (enum kc_ldap_container) which, "uid", value);
  if (r != 0) {
    if ((r != KC_ERR_INVALID && r != KC_ERR_TOO_LARGE) || kc_buf_len(&b) != 0)
      __builtin_trap();
    kc_buf_free(&b);
    return;
  }
  if (which >= sizeof(container_ou) / sizeof(container_ou[0]))
    __builtin_trap(); /* no such container */
  s = kc_buf_get(&b);
  if (kc_buf_len(&b) > KC_MAX_DN || !kc_dn_valid(s) ||
      kc_ldap_dn_rdn(&rdn, "uid", value) != 0)
    __builtin_trap();
  n = kc_buf_len(&rdn);
  if (strncmp(s, kc_buf_get(&rdn), n) != 0 ||
      strncmp(s + n, container_ou[which], strlen(container_ou[which])) != 0 ||
      strcmp(s + n + strlen(container_ou[which]), base) != 0)
    __builtin_trap();
  kc_buf_free(&rdn);
  kc_buf_free(&b);
}

static int
hexval(char c)
{
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

static void
check_filter(const char *value)
{
  struct kc_buf b;
  const char *s;
  size_t i, n = 0, len = strlen(value);

  kc_buf_init(&b, 3 * len + 1);
  if (kc_ldap_filter_value(&b, value) != 0)
    __builtin_trap();
  s = kc_buf_get(&b);
  for (i = 0; s[i] != '\0'; i++, n++) {
    char c = s[i];

    if (c == '*' || c == '(' || c == ')')
      __builtin_trap();
    if (c == '\\') {
      if (hexval(s[i + 1]) < 0 || hexval(s[i + 2]) < 0)
        __builtin_trap();
      c = (char) (hexval(s[i + 1]) << 4 | hexval(s[i + 2]));
      i += 2;
    }
    if (n >= len || value[n] != c)
      __builtin_trap();
  }
  if (n != len)
    __builtin_trap();
  kc_buf_free(&b);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  char in[2 * KC_MAX_DN + 1];
  unsigned which = 0;

  if (size > 0) {
    which = data[0] % 5; /* four containers and one that is not */
    data++;
    size--;
  }
  if (size > sizeof(in) - 1)
    size = sizeof(in) - 1;
  memcpy(in, data, size);
  in[size] = '\0';
  check_dn_valid(in);
  check_rdn(in);
  check_entry(kc_dn_valid(in) ? in : FALLBACK_BASE, which, "ana.meier");
  check_entry(FALLBACK_BASE, which, in);
  check_filter(in);
  return 0;
}
