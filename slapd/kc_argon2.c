/*
 * kc_argon2.c: slapd password module for {ARGON2} on libsodium (DESIGN
 * §14). Load it instead of Debian's "argon2" module, not beside it:
 *
 *   olcModuleLoad: kc_argon2.so m=65536 t=2
 *
 * It verifies the $argon2id$ and $argon2i$ strings that slapd's own
 * module and libsodium write, with crypto_pwhash_str_verify(), which uses
 * the CPU's vector units (about twice as fast as the reference libargon2
 * Debian's module links), and hashes new passwords (ldappasswd, RFC 3062
 * through slapd) as argon2id with the module's arguments m= (KiB) and t=
 * (passes); p=1, as libsodium makes them.
 *
 * It builds against libldap-dev and libsodium-dev only: the three slapd
 * functions it calls are declared below, as slapd 2.5 and 2.6 export them
 * (lutil.h is not installed). Where it can tell that it sits in another
 * slapd (another libldap major version, or {ARGON2} already registered
 * by another module) it refuses to load, with a line on standard error
 * and in syslog.
 *
 * libsodium takes $argon2i$ only with t >= 3 (Debian's module writes t=3
 * by default); a directory with argon2i hashes of fewer passes keeps
 * Debian's module (examples/slapd/README).
 *
 * Every stored string is checked before libsodium sees it
 * (kc_argon2_parse): a variant other than argon2i/argon2id, parameters
 * beyond the module's ceilings (KC_ARGON2_MAX_M, KC_ARGON2_MAX_T, p=1),
 * or a malformed string fails the bind at once, without allocating what a
 * hostile value asks for.
 */
#include <config.h>

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include <lber.h>
#include <ldap.h>
#include <sodium.h>

#include "kc_argon2.h"

/* ------------------------------------------------ slapd's interface */

/* From OpenLDAP's include/lutil.h (2.5, 2.6): the password-scheme hooks. */
#define LUTIL_PASSWD_OK  0
#define LUTIL_PASSWD_ERR (-1)
typedef int(lutil_passwd_chk_func)(const struct berval *scheme,
                                   const struct berval *passwd,
                                   const struct berval *cred,
                                   const char **text);
typedef int(lutil_passwd_hash_func)(const struct berval *scheme,
                                    const struct berval *passwd,
                                    struct berval *hash, const char **text);
extern int lutil_passwd_add(struct berval *scheme, lutil_passwd_chk_func *chk,
                            lutil_passwd_hash_func *hash);
extern int lutil_passwd_scheme(const char *scheme);

int init_module(int argc, char *argv[]);

/* The libldap major.minor this module was built for: slapd links the same
 * release's liblutil, whose hooks are declared above. */
#define KC_ARGON2_BUILT_FOR (LDAP_VENDOR_VERSION / 100)

static char scheme_name[] = "{ARGON2}";
static struct berval scheme = {sizeof(scheme_name) - 1, scheme_name};

/* Hash parameters for new passwords (module arguments). */
static unsigned long long opslimit = crypto_pwhash_argon2id_OPSLIMIT_INTERACTIVE;
static size_t memlimit = crypto_pwhash_argon2id_MEMLIMIT_INTERACTIVE;

static void
say(const char *fmt, ...)
{
  char line[256];
  va_list ap;

  va_start(ap, fmt);
  vsnprintf(line, sizeof(line), fmt, ap);
  va_end(ap);
  fprintf(stderr, "kc_argon2: %s\n", line);
  syslog(LOG_ERR, "kc_argon2: %s", line);
}

/* ------------------------------------------------ the hooks */

static int
verify(const struct berval *sch, const struct berval *passwd,
       const struct berval *cred, const char **text)
{
  char stored[KC_ARGON2_MAX_STRING];
  struct kc_argon2_params prm;
  int r;

  (void) sch;
  (void) text;
  if (passwd == NULL || cred == NULL || passwd->bv_val == NULL ||
      passwd->bv_len >= sizeof(stored))
    return LUTIL_PASSWD_ERR;
  /* slapd's values are NUL-terminated, but that is not promised here */
  memcpy(stored, passwd->bv_val, passwd->bv_len);
  stored[passwd->bv_len] = '\0';
  if (kc_argon2_parse(stored, passwd->bv_len, &prm) != 0 ||
      cred->bv_len > KC_ARGON2_MAX_PASSWORD ||
      (cred->bv_len > 0 && cred->bv_val == NULL))
    return LUTIL_PASSWD_ERR;
  r = crypto_pwhash_str_verify(stored, cred->bv_len > 0 ? cred->bv_val : "",
                               cred->bv_len);
  sodium_memzero(stored, sizeof(stored));
  return r == 0 ? LUTIL_PASSWD_OK : LUTIL_PASSWD_ERR;
}

static int
hash(const struct berval *sch, const struct berval *passwd,
     struct berval *out, const char **text)
{
  char str[crypto_pwhash_STRBYTES];
  size_t len;

  (void) text;
  out->bv_val = NULL;
  out->bv_len = 0;
  if (passwd == NULL || passwd->bv_len > KC_ARGON2_MAX_PASSWORD ||
      (passwd->bv_len > 0 && passwd->bv_val == NULL))
    return LUTIL_PASSWD_ERR;
  if (crypto_pwhash_str_alg(str, passwd->bv_len > 0 ? passwd->bv_val : "",
                            passwd->bv_len, opslimit, memlimit,
                            crypto_pwhash_ALG_ARGON2ID13) != 0)
    return LUTIL_PASSWD_ERR;
  len = strlen(str);
  out->bv_len = sch->bv_len + len;
  out->bv_val = ber_memalloc(out->bv_len + 1);
  if (out->bv_val == NULL) {
    out->bv_len = 0;
    return LUTIL_PASSWD_ERR;
  }
  memcpy(out->bv_val, sch->bv_val, sch->bv_len);
  memcpy(out->bv_val + sch->bv_len, str, len + 1);
  return LUTIL_PASSWD_OK;
}

/* ------------------------------------------------ loading */

int
init_module(int argc, char *argv[])
{
  LDAPAPIInfo info = {.ldapai_info_version = LDAP_API_INFO_VERSION};
  unsigned long m_kib = crypto_pwhash_argon2id_MEMLIMIT_INTERACTIVE / 1024;
  unsigned t = crypto_pwhash_argon2id_OPSLIMIT_INTERACTIVE;
  char err[160];
  int running;

  if (sodium_init() < 0) {
    say("libsodium cannot be initialised; not loaded");
    return -1;
  }
  /* the slapd we are in uses the libldap it was built with */
  if (ldap_get_option(NULL, LDAP_OPT_API_INFO, &info) != LDAP_OPT_SUCCESS) {
    say("cannot tell libldap's version; not loaded");
    return -1;
  }
  running = info.ldapai_vendor_version / 100;
  ldap_memfree(info.ldapai_vendor_name);
  ber_memvfree((void **) info.ldapai_extensions);
  if (running != KC_ARGON2_BUILT_FOR) {
    say("built for OpenLDAP %d.%d, running in %d.%d; not loaded",
        KC_ARGON2_BUILT_FOR / 100, KC_ARGON2_BUILT_FOR % 100, running / 100,
        running % 100);
    return -1;
  }
  if (kc_argon2_args(argc, argv, &m_kib, &t, err, sizeof(err)) != 0) {
    say("%s; not loaded", err);
    return -1;
  }
  if (lutil_passwd_scheme(scheme.bv_val)) {
    say("{ARGON2} is already registered (is slapd's argon2 module loaded "
        "too?); not loaded");
    return -1;
  }
  memlimit = (size_t) m_kib * 1024;
  opslimit = t;
  if (lutil_passwd_add(&scheme, verify, hash) != 0) {
    say("slapd refused to register {ARGON2}; not loaded");
    return -1;
  }
  return 0;
}
