/*
 * kc-pwhash: print an LDAP userPassword value for the password read from
 * standard input, as kcd writes it: "{ARGON2}" followed by the string of
 * libsodium's crypto_pwhash_str() (argon2id, interactive limits). slapd's
 * argon2 module verifies exactly this format on a simple bind.
 *
 * Usage: printf '%s\n' "$password" | kc-pwhash
 *
 * Reads one line (the trailing newline is not part of the password) of at
 * most KC_MAX_PASSWORD bytes, the limit kcd applies. The password never
 * appears in argv or the environment. Exit status: 0 ok, 1 failure, 2 bad
 * input or usage. Test helper: the integration harness makes its fixture
 * hashes with it.
 */
#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "kc_limits.h"

/*
 * Read one line from fd 0 into pw (capacity KC_MAX_PASSWORD + 1), byte by
 * byte so that no stdio buffer keeps a copy. Returns the length, or -1
 * on a read error, an over-long line or an embedded NUL.
 */
static ssize_t
read_password(char *pw)
{
  size_t len = 0;
  char c;
  ssize_t n;

  for (;;) {
    n = read(STDIN_FILENO, &c, 1);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      return -1;
    if (n == 0 || c == '\n')
      break;
    if (c == '\0' || len == KC_MAX_PASSWORD)
      return -1;
    pw[len] = c;
    len++;
  }
  sodium_memzero(&c, sizeof(c));
  pw[len] = '\0';
  return (ssize_t) len;
}

int
main(int argc, char **argv)
{
  char pw[KC_MAX_PASSWORD + 1];
  char out[crypto_pwhash_STRBYTES];
  ssize_t len;
  int rc = 1;

  (void) argv;
  if (argc != 1) {
    fprintf(stderr, "usage: kc-pwhash < password-line\n");
    return 2;
  }
  if (sodium_init() < 0) {
    fprintf(stderr, "kc-pwhash: sodium_init failed\n");
    return 1;
  }
  len = read_password(pw);
  if (len <= 0) {
    fprintf(stderr,
            "kc-pwhash: need one non-empty line of at most %d "
            "bytes without NUL\n",
            KC_MAX_PASSWORD);
    rc = 2;
    goto out;
  }
  if (crypto_pwhash_str(out, pw, (unsigned long long) len,
                        crypto_pwhash_OPSLIMIT_INTERACTIVE,
                        crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0) {
    fprintf(stderr, "kc-pwhash: crypto_pwhash_str failed (out of memory?)\n");
    goto out;
  }
  if (printf("{ARGON2}%s\n", out) < 0 || fflush(stdout) != 0) {
    fprintf(stderr, "kc-pwhash: write failed: %s\n", strerror(errno));
    goto out;
  }
  rc = 0;

out:
  sodium_memzero(pw, sizeof(pw));
  sodium_memzero(out, sizeof(out));
  return rc;
}
