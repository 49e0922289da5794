/*
 * kc_wipe.h: wipe memory that held a secret so the compiler cannot drop
 * the store (unlike memset; the nslcd pitfall). Used by common/ and the
 * PAM module, which link libc only; kcd may use sodium_memzero directly.
 */
#ifndef KC_WIPE_H
#define KC_WIPE_H

#include <stddef.h>

/* Overwrite len bytes at p with zeros. p may be NULL when len is 0. */
void kc_wipe(void *p, size_t len);

/* Wipe a NUL-terminated string in place, then free it. NULL is fine. */
void kc_wipe_free_str(char *s);

#endif /* KC_WIPE_H */
