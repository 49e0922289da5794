/*
 * kc-conf-keys: print every key the kcd.conf parser knows, one a line, in
 * the parser's order. tests/integration/test_manpages.sh compares the list
 * with the keys kcd.conf(5) documents.
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>

#include "conf.h"

int
main(void)
{
  const char *name;
  size_t i;

  for (i = 0; (name = kc_conf_key_name(i)) != NULL; i++) {
    if (puts(name) == EOF)
      return EXIT_FAILURE;
  }
  return fflush(stdout) == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
