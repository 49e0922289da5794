/*
 * kc_err.h: error codes shared by every component.
 *
 * Functions that can fail return int: 0 on success, a negative KC_ERR_*
 * on failure (OpenSSH ssherr.h). kc_strerror() gives a short English
 * text for logs; it never returns NULL. Comparisons of secrets return
 * only 0 or -1 and do not use these codes.
 */
#ifndef KC_ERR_H
#define KC_ERR_H

#define KC_OK              0
#define KC_ERR_INTERNAL    -1  /* invariant broken; a bug */
#define KC_ERR_NOMEM       -2  /* allocation failed */
#define KC_ERR_TOO_LARGE   -3  /* input or output over its named limit */
#define KC_ERR_INVALID     -4  /* malformed input */
#define KC_ERR_SYSTEM      -5  /* a system call failed; errno is kept */
#define KC_ERR_TIMEOUT     -6  /* a deadline passed */
#define KC_ERR_EOF         -7  /* peer closed early / input truncated */
#define KC_ERR_NOT_FOUND   -8  /* no such key, entry, file */
#define KC_ERR_DUPLICATE   -9  /* already present */
#define KC_ERR_PERMISSION  -10 /* unsafe owner or mode, access denied */
#define KC_ERR_VERSION     -11 /* protocol version mismatch */
#define KC_ERR_PROTOCOL    -12 /* peer spoke the protocol wrongly */
#define KC_ERR_RANGE       -13 /* number outside its allowed range */
#define KC_ERR_UNAVAILABLE -14 /* a backend (LDAP, daemon) is unreachable */
#define KC_ERR_FORGED      -15 /* sealed or signed data did not authenticate */
#define KC_ERR_DENIED      -16 /* a code or secret given was wrong */
#define KC_ERR_LAST        -16

const char *kc_strerror(int err);

#endif /* KC_ERR_H */
