#include <config.h>

#include <stdlib.h>
#include <string.h>

#include "kc_wipe.h"

void
kc_wipe(void *p, size_t len)
{
  if (p == NULL || len == 0)
    return;
#ifdef HAVE_EXPLICIT_BZERO
  explicit_bzero(p, len);
#else
  {
    volatile unsigned char *v = p;
    while (len-- > 0)
      *v++ = 0;
  }
#endif
}

void
kc_wipe_free_str(char *s)
{
  if (s == NULL)
    return;
  kc_wipe(s, strlen(s));
  free(s);
}
