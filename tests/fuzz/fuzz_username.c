/* libFuzzer target: a reserved_usernames_file, as kc_username_list_load()
 * hands it to the parser. Every input must parse or fail cleanly; what
 * parsed holds only valid, lower-case names, sorted, and finds each of
 * them again. */
#include <config.h>

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "kc_limits.h"
#include "kc_str.h"
#include "username.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_invariants(const struct kc_username_list *l)
{
  size_t i, j;

  if (l->un_n > KC_MAX_RESERVED_NAMES)
    __builtin_trap();
  for (i = 0; i < l->un_n; i++) {
    const char *s = l->un_names[i];
    if (!kc_str_is_username(s) || !kc_username_is_reserved(l, s) ||
      (i > 0 && strcmp(l->un_names[i - 1], s) > 0))
      __builtin_trap();
    for (j = 0; s[j] != '\0'; j++) {
      if (s[j] >= 'A' && s[j] <= 'Z')
        __builtin_trap();
    }
  }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  struct kc_username_list l;
  char err[256];

  kc_username_list_init(&l);
  if (kc_username_list_parse(&l, "fuzz", (const char *) data, size, err,
        sizeof(err)) == 0)
    check_invariants(&l);
  else if (memchr(err, '\0', sizeof(err)) == NULL || err[0] == '\0' ||
    l.un_n != 0)
    __builtin_trap(); /* a failure always explains itself, keeps nothing */
  kc_username_list_free(&l);
  return 0;
}
