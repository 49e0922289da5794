/*
 * kc-totp-enrol: store an authenticator-app enrolment for an account the
 * way the web pages do after a confirmed code (kc_factor_totp_store), with
 * a secret the test chose, so that tests of the login can compute codes
 * with their own RFC 6238 code.
 *
 *   kc-totp-enrol -c kcd.conf USER BASE32-SECRET [STEP]
 *
 * Uses kcd.conf's LDAP settings and secret_key_file (the key derived as
 * kcd derives it). STEP is stored as kcTotpLastStep (default 0: every
 * current code passes). Prints the 10 new recovery codes, one a line.
 * Exit status: 0 stored, 1 failed (the reason on stderr), 2 usage.
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "conf.h"
#include "factor.h"
#include "kc_err.h"
#include "kc_str.h"
#include "ldap_conf.h"

static int
fail(const char *what, int r)
{
  fprintf(stderr, "kc-totp-enrol: %s: %s\n", what, kc_strerror(r));
  return 1;
}

static int
load_key(const struct kc_conf *c, unsigned char key[KC_TAN_KEY_BYTES])
{
  struct kc_buf raw;
  char err[512];

  if (c->secret_key_file == NULL) {
    fprintf(stderr, "kc-totp-enrol: secret_key_file not set\n");
    return -1;
  }
  if (kc_conf_read_secret(c->secret_key_file, &raw, err, sizeof(err)) != 0) {
    fprintf(stderr, "kc-totp-enrol: %s\n", err);
    return -1;
  }
  crypto_generichash(key, KC_TAN_KEY_BYTES,
                     (const unsigned char *) kc_buf_get(&raw),
                     kc_buf_len(&raw), NULL, 0);
  kc_buf_free(&raw);
  return 0;
}

static int
enrol(const struct kc_conf *c, const unsigned char *key, const char *user,
      const unsigned char *secret, uint64_t step)
{
  char codes[KC_RECOVERY_COUNT][KC_RECOVERY_SHOWN_LEN + 1], *pw = NULL;
  struct kc_tanflow f = {NULL, key, NULL, NULL};
  struct kc_ldap_user u;
  struct kc_ldap_cfg lc;
  struct kc_buf uris, raw;
  struct kc_ldap l;
  char err[512];
  size_t i;
  int r;

  if (kc_ldap_conf_map(&lc, &uris, c) != 0)
    return fail("ldap_uri", KC_ERR_TOO_LARGE);
  if (c->ldap_bind_pw_file != NULL) {
    if (kc_conf_read_secret(c->ldap_bind_pw_file, &raw, err, sizeof(err)) !=
        0) {
      fprintf(stderr, "kc-totp-enrol: %s\n", err);
      return 1;
    }
    pw = strdup(kc_buf_get(&raw));
    kc_buf_free(&raw);
  }
  lc.bind_dn = lc.bind_dn != NULL ? lc.bind_dn : "";
  lc.bind_pw = pw != NULL ? pw : "";
  kc_ldap_init(&l, &lc);
  r = kc_ldap_find_user(&l, user, &u);
  if (r != 0)
    r = fail(user, r);
  else if ((r = kc_factor_totp_store(&f, &l, u.dn, u.uuid, secret, step,
                                     codes)) != 0)
    r = fail("store", r);
  else {
    for (i = 0; i < KC_RECOVERY_COUNT; i++)
      printf("%s\n", codes[i]);
    kc_factor_recovery_wipe(codes);
  }
  kc_ldap_close(&l);
  kc_buf_free(&uris);
  free(pw);
  return r;
}

int
main(int argc, char **argv)
{
  unsigned char key[KC_TAN_KEY_BYTES], secret[KC_TOTP_SECRET_BYTES + 8];
  uint64_t step = 0;
  char err[512];
  struct kc_conf c;
  size_t len;
  int rc;

  if ((argc != 5 && argc != 6) || strcmp(argv[1], "-c") != 0 ||
      (argc == 6 && kc_str_to_uint(argv[5], &step, 0, UINT64_MAX / 2) != 0)) {
    fprintf(stderr, "usage: kc-totp-enrol -c FILE USER BASE32-SECRET [STEP]\n");
    return 2;
  }
  if (sodium_init() < 0)
    return 1;
  if (kc_totp_b32_decode(secret, sizeof(secret), &len, argv[4]) != 0 ||
      len != KC_TOTP_SECRET_BYTES) {
    fprintf(stderr, "kc-totp-enrol: the secret must be 160 bits of base32\n");
    return 2;
  }
  kc_conf_init(&c);
  if (kc_conf_load(&c, argv[2], err, sizeof(err)) != 0) {
    fprintf(stderr, "kc-totp-enrol: %s\n", err);
    return 1;
  }
  rc = load_key(&c, key) != 0 ? 1 : enrol(&c, key, argv[3], secret, step);
  sodium_memzero(key, sizeof(key));
  sodium_memzero(secret, sizeof(secret));
  kc_conf_free(&c);
  return rc;
}
