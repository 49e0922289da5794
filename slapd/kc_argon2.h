/*
 * kc_argon2.h: what kc_argon2.so (the slapd password module for {ARGON2}
 * on libsodium, DESIGN §14) checks before libsodium sees a string.
 */
#ifndef KC_ARGON2_H
#define KC_ARGON2_H

#include <stdbool.h>
#include <stddef.h>

/* Ceilings of what a stored string may ask for: a value beyond them fails
 * the bind instead of making slapd allocate or spin on it. libsodium's
 * floor for argon2 is 8 KiB; 1 GiB and 32 passes are far above any sane
 * login hash (the default is 64 MiB, 2 passes). */
#define KC_ARGON2_MIN_M 8
#define KC_ARGON2_MAX_M (1024 * 1024)
#define KC_ARGON2_MAX_T 32
/* "$argon2id$v=19$m=1048576,t=32,p=1$" + 86 + "$" + 86 is under 256. */
#define KC_ARGON2_MAX_STRING 256
/* Passwords to verify or hash: kcd's own limit is 256 bytes; slapd may be
 * asked by others, so allow more, but not without end. */
#define KC_ARGON2_MAX_PASSWORD 4096

struct kc_argon2_params {
  bool id;            /* argon2id (else argon2i) */
  unsigned long m_kib; /* memory in KiB */
  unsigned t;          /* passes */
};

/* Is s (len bytes, NUL-terminated) a well-formed $argon2id$ or $argon2i$
 * string of version 19 within the ceilings, with p=1, a salt of 8..64
 * and a hash of 16..64 bytes? 0 and *out set, or -1. */
int kc_argon2_parse(const char *s, size_t len, struct kc_argon2_params *out);

/* The module arguments m=KiB and t=PASSES (others are an error, with a
 * message in err). *m_kib and *t keep their values for absent ones.
 * 0 or -1. */
int kc_argon2_args(int argc, char **argv, unsigned long *m_kib, unsigned *t,
                   char *err, size_t errlen);

#endif /* KC_ARGON2_H */
