/* libFuzzer target: the stored {ARGON2} string kc_argon2.so checks before
 * libsodium sees it (kc_argon2_parse), and the module arguments. None may
 * crash or read out of bounds; an accepted string is within the ceilings,
 * p=1, of a known variant, and a string that was accepted is accepted
 * again after a copy (no dependence on what follows its end). */
#include <config.h>

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kc_argon2.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  struct kc_argon2_params p, q;
  char *s, err[160], *argv[1];
  unsigned long m = 1;
  unsigned t = 1;

  if (size > 1024)
    return 0;
  if ((s = malloc(size + 1)) == NULL)
    return 0;
  memcpy(s, data, size);
  s[size] = '\0';
  if (kc_argon2_parse(s, size, &p) == 0) {
    if (p.m_kib < KC_ARGON2_MIN_M || p.m_kib > KC_ARGON2_MAX_M ||
        p.t < 1 || p.t > KC_ARGON2_MAX_T || strlen(s) != size ||
        strncmp(s, p.id ? "$argon2id$" : "$argon2i$", p.id ? 10 : 9) != 0 ||
        strstr(s, ",p=1$") == NULL)
      __builtin_trap();
    if (kc_argon2_parse(s, strlen(s), &q) != 0 || q.m_kib != p.m_kib ||
        q.t != p.t || q.id != p.id)
      __builtin_trap();
  }
  argv[0] = s;
  if (kc_argon2_args(1, argv, &m, &t, err, sizeof(err)) == 0) {
    if (strncmp(s, "m=", 2) == 0
          ? m < KC_ARGON2_MIN_M || m > KC_ARGON2_MAX_M || t != 1
        : strncmp(s, "t=", 2) == 0 ? t < 1 || t > KC_ARGON2_MAX_T || m != 1
                                   : 1)
      __builtin_trap();
  }
  free(s);
  return 0;
}
