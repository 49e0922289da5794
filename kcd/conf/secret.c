/*
 * secret.c: reading the files kcd.conf names, checked on the descriptor,
 * and the secrets among them (see secret.h).
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "kc_err.h"
#include "kc_limits.h"
#include "kc_wipe.h"
#include "secret.h"

/* Read fd to its end into b (bounded by b's cap). */
static int
read_all(int fd, struct kc_buf *b)
{
  char chunk[1024];
  ssize_t n;
  int r = 0;

  for (;;) {
    n = read(fd, chunk, sizeof(chunk));
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0) {
      kc_buf_free(b);
      r = KC_ERR_SYSTEM;
      break;
    }
    if (n == 0)
      break;
    if ((r = kc_buf_add(b, chunk, (size_t) n)) != 0)
      break;
  }
  kc_wipe(chunk, sizeof(chunk));
  return r;
}

static int
path_fail(char *err, size_t errlen, int code, const char *path, const char *why)
{
  if (err != NULL && errlen > 0)
    snprintf(err, errlen, "%s: %s", path, why);
  return code;
}

static int
path_errno(char *err, size_t errlen, const char *path, const char *what)
{
  char why[256];

  snprintf(why, sizeof(why), "%s: %s", what, strerror(errno));
  return path_fail(err, errlen, KC_ERR_SYSTEM, path, why);
}

/* The descriptor's file must be regular and owned by root or us; perm
 * are the permission bits that must be clear. */
static int
check_fd(int fd, const char *path, mode_t perm, char *err, size_t errlen)
{
  struct stat st;
  char why[160];

  if (fstat(fd, &st) != 0)
    return path_errno(err, errlen, path, "cannot stat");
  if (!S_ISREG(st.st_mode))
    return path_fail(err, errlen, KC_ERR_PERMISSION, path,
                     "not a regular file");
  if (st.st_uid != 0 && st.st_uid != geteuid()) {
    snprintf(why, sizeof(why), "owned by uid %lu, not by root or uid %lu",
             (unsigned long) st.st_uid, (unsigned long) geteuid());
    return path_fail(err, errlen, KC_ERR_PERMISSION, path, why);
  }
  if ((st.st_mode & perm) != 0) {
    snprintf(why, sizeof(why), "mode %04o is unsafe (%s)",
             (unsigned) (st.st_mode & 07777),
             perm == 077 ? "group or others have access; chmod 600"
                         : "writable by others");
    return path_fail(err, errlen, KC_ERR_PERMISSION, path, why);
  }
  return 0;
}

/* Open without blocking on a FIFO and without following a final
 * symlink when nofollow is set. */
static int
open_checked(const char *path, bool nofollow, mode_t perm, char *err,
             size_t errlen, int *fdp)
{
  int flags = O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK;
  int fd, r;

  *fdp = -1;
  if (nofollow)
    flags |= O_NOFOLLOW;
  fd = open(path, flags);
  if (fd < 0 && nofollow && errno == ELOOP)
    return path_fail(err, errlen, KC_ERR_PERMISSION, path,
                     "is a symbolic link");
  if (fd < 0)
    return path_errno(err, errlen, path, "cannot open");
  if ((r = check_fd(fd, path, perm, err, errlen)) != 0) {
    close(fd);
    return r;
  }
  *fdp = fd;
  return 0;
}

/* Open path as open_checked() does and read it into b, whose cap bounds
 * the size. */
static int
read_file(const char *path, bool nofollow, mode_t perm, struct kc_buf *b,
          char *err, size_t errlen)
{
  char why[64];
  int fd, r;

  if ((r = open_checked(path, nofollow, perm, err, errlen, &fd)) != 0)
    return r;
  r = read_all(fd, b);
  if (r == KC_ERR_SYSTEM)
    (void) path_errno(err, errlen, path, "cannot read");
  close(fd);
  if (r == KC_ERR_TOO_LARGE) {
    snprintf(why, sizeof(why), "larger than %zu bytes", b->cap);
    return path_fail(err, errlen, r, path, why);
  }
  if (r == KC_ERR_NOMEM)
    return path_fail(err, errlen, r, path, "out of memory");
  return r;
}

int
kc_conf_read_file(const char *path, struct kc_buf *out, size_t cap, char *err,
                  size_t errlen)
{
  int r;

  kc_buf_init(out, cap);
  if (err != NULL && errlen > 0)
    err[0] = '\0';
  r = read_file(path, false, S_IWOTH, out, err, errlen);
  if (r != 0)
    kc_buf_free(out);
  return r;
}

/* Drop one trailing LF or CRLF; refuse what cannot be a one-line secret. */
static int
secret_trim(struct kc_buf *b, const char *path, char *err, size_t errlen)
{
  size_t n = b->len;

  if (n > 0 && b->data[n - 1] == '\n')
    n--;
  if (n > 0 && b->data[n - 1] == '\r' && n < b->len)
    n--;
  if (n < b->len) {
    kc_wipe(b->data + n, b->len - n);
    b->len = n;
  }
  if (n == 0)
    return path_fail(err, errlen, KC_ERR_INVALID, path, "is empty");
  if (memchr(b->data, '\0', n) != NULL)
    return path_fail(err, errlen, KC_ERR_INVALID, path, "contains a NUL byte");
  if (memchr(b->data, '\n', n) != NULL || memchr(b->data, '\r', n) != NULL)
    return path_fail(err, errlen, KC_ERR_INVALID, path,
                     "must hold a single line");
  return 0;
}

int
kc_conf_read_secret(const char *path, struct kc_buf *out, char *err,
                    size_t errlen)
{
  int r;

  kc_buf_init(out, KC_MAX_SECRET_FILE);
  if (err != NULL && errlen > 0)
    err[0] = '\0';
  r = read_file(path, true, 077, out, err, errlen);
  if (r == 0)
    r = secret_trim(out, path, err, errlen);
  if (r != 0)
    kc_buf_free(out);
  return r;
}

int
kc_conf_read_secret_guarded(const char *path, char **out, char *err,
                            size_t errlen)
{
  struct kc_buf b;
  char *p;
  int r;

  *out = NULL;
  if ((r = kc_conf_read_secret(path, &b, err, errlen)) != 0)
    return r;
  if ((p = sodium_malloc(kc_buf_len(&b) + 1)) == NULL) {
    kc_buf_free(&b);
    return path_fail(err, errlen, KC_ERR_NOMEM, path, "out of memory");
  }
  memcpy(p, kc_buf_get(&b), kc_buf_len(&b) + 1);
  kc_buf_free(&b);
  if (sodium_mprotect_readonly(p) != 0) {
    sodium_free(p);
    return path_fail(err, errlen, KC_ERR_SYSTEM, path,
                     "cannot protect the secret in memory");
  }
  *out = p;
  return 0;
}
