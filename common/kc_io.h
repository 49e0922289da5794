/*
 * kc_io.h: socket I/O with deadlines (nslcd's tio.c idea), shared by the
 * PAM module and kcd.
 *
 * Every function waits at most until an absolute deadline on the
 * monotonic clock (milliseconds from kc_io_now_ms()). Descriptors are
 * expected to be non-blocking; sends use MSG_NOSIGNAL so a closed peer
 * gives EPIPE, never SIGPIPE. Functions return 0 or a negative KC_ERR_*
 * (KC_ERR_TIMEOUT, KC_ERR_EOF, KC_ERR_SYSTEM with errno kept). No logging,
 * no global state: safe in any thread and across fork.
 */
#ifndef KC_IO_H
#define KC_IO_H

#include <stddef.h>
#include <stdint.h>

#include "kc_attrs.h"
#include "kc_buf.h"

/* Milliseconds on CLOCK_MONOTONIC. */
int64_t kc_io_now_ms(void);

/* Connect a new non-blocking, close-on-exec UNIX stream socket to path.
 * On success *fd is the socket; on failure *fd is -1. KC_ERR_UNAVAILABLE
 * when nobody listens (ENOENT, ECONNREFUSED), KC_ERR_TIMEOUT, KC_ERR_TOO_LARGE
 * when the path does not fit sun_path. */
int kc_io_connect_unix(const char *path, int64_t deadline, int *fd) KC_MUST_USE
  KC_NONNULL(1, 3);

/* Write all len bytes. */
int kc_io_write_all(int fd, const void *p, size_t len,
                    int64_t deadline) KC_MUST_USE;

/* Read exactly len bytes. KC_ERR_EOF when the peer closes first. */
int kc_io_read_all(int fd, void *p, size_t len, int64_t deadline) KC_MUST_USE;

/* Read one protocol message: header, then the body into *body (reset first,
 * cap must be >= KC_PROTO_MAX_BODY). *type is the header's type.
 * Results of kc_proto_header_decode() pass through (KC_ERR_VERSION,
 * KC_ERR_PROTOCOL, KC_ERR_TOO_LARGE) so that a server can answer before it
 * closes; KC_ERR_EOF when the peer closed cleanly before a header. */
int kc_io_read_message(int fd, uint16_t *type, struct kc_buf *body,
                       int64_t deadline) KC_MUST_USE KC_NONNULL(2, 3);

#endif /* KC_IO_H */
