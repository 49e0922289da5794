/*
 * secret.h: reading the files kcd.conf names (reserved_usernames_file and
 * the secret files), each opened once and checked on its descriptor
 * before a byte is read (OpenSSH safe_path). No logging: failures come
 * back as a code and "PATH: reason" in err.
 */
#ifndef KC_SECRET_H
#define KC_SECRET_H

#include <stddef.h>

#include "kc_attrs.h"
#include "kc_buf.h"

/*
 * Read a file that is no secret but steers kcd (reserved_usernames_file)
 * into out, initialised here with cap bytes: checked as kcd.conf is (a
 * regular file, not world-writable, owned by root or the effective user).
 * Returns 0, or KC_ERR_SYSTEM / KC_ERR_PERMISSION / KC_ERR_TOO_LARGE /
 * KC_ERR_NOMEM with "PATH: reason" in err; out is empty then.
 */
int kc_conf_read_file(const char *path, struct kc_buf *out, size_t cap,
                      char *err, size_t errlen) KC_MUST_USE KC_NONNULL(1, 2);

/*
 * Read a secret file into out (initialised here with cap
 * KC_MAX_SECRET_FILE; free it with kc_buf_free(), which wipes). The file
 * is opened without following a final symlink and checked on the
 * descriptor: a regular file, owned by the effective user or root, with
 * no group or other permission bits. One trailing newline (LF or CRLF) is
 * dropped; an empty secret, a NUL byte or a second line is refused.
 * Returns 0, or KC_ERR_SYSTEM / KC_ERR_PERMISSION / KC_ERR_TOO_LARGE /
 * KC_ERR_INVALID / KC_ERR_NOMEM with "PATH: reason" in err; out is empty
 * then.
 */
int kc_conf_read_secret(const char *path, struct kc_buf *out, char *err,
                        size_t errlen) KC_MUST_USE KC_NONNULL(1, 2);

/*
 * Read a secret file as kc_conf_read_secret() does into memory from
 * sodium_malloc() (guard pages), NUL-terminated and read-only once
 * filled, for a secret kept while kcd runs (ldap_bind_pw_file). *out is
 * NULL on failure; release it with sodium_free(). Results as
 * kc_conf_read_secret().
 */
int kc_conf_read_secret_guarded(const char *path, char **out, char *err,
                                size_t errlen) KC_MUST_USE KC_NONNULL(1, 2);

#endif /* KC_SECRET_H */
