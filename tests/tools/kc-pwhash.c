/*
 * kc-pwhash: print an LDAP userPassword value for the password read from
 * standard input, as kcd writes it: "{ARGON2}" followed by the string of
 * libsodium's crypto_pwhash_str() (argon2id, interactive limits). slapd's
 * argon2 module verifies exactly this format on a simple bind.
 *
 * Usage: printf '%s\n' "$password" | kc-pwhash [M_KIB T]
 *
 * M_KIB and T give another cost (memory in KiB, passes) than libsodium's
 * interactive limits: the hash upgrade test makes old hashes with them.
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
#include <stdlib.h>
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
  unsigned long long ops = crypto_pwhash_OPSLIMIT_INTERACTIVE;
  size_t mem = crypto_pwhash_MEMLIMIT_INTERACTIVE;
  unsigned long m_kib, t;
  char *end, *end2;
  ssize_t len;
  int rc = 1;

  if (argc == 3) {
    m_kib = strtoul(argv[1], &end, 10);
    t = strtoul(argv[2], &end2, 10);
    if (*end != '\0' || *end2 != '\0' || m_kib < 8 || m_kib > 1048576 ||
        t < 1 || t > 32) {
      fprintf(stderr, "kc-pwhash: M_KIB 8..1048576, T 1..32\n");
      return 2;
    }
    mem = (size_t) m_kib * 1024;
    ops = t;
  } else if (argc != 1) {
    fprintf(stderr, "usage: kc-pwhash [M_KIB T] < password-line\n");
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
  if (crypto_pwhash_str(out, pw, (unsigned long long) len, ops, mem) != 0) {
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
