#include <config.h>

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "kc_err.h"
#include "kc_io.h"
#include "kc_proto.h"
#include "kc_wipe.h"

/* How long to back off when a UNIX socket's backlog is full (EAGAIN on
 * connect cannot be polled for). */
#define KC_IO_CONNECT_RETRY_MS 5

int64_t
kc_io_now_ms(void)
{
  struct timespec ts;

  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Wait for events on fd until the deadline. */
static int
wait_fd(int fd, short events, int64_t deadline)
{
  struct pollfd pfd;
  int64_t left;
  int n;

  for (;;) {
    left = deadline - kc_io_now_ms();
    if (left <= 0)
      return KC_ERR_TIMEOUT;
    pfd.fd = fd;
    pfd.events = events;
    pfd.revents = 0;
    n = poll(&pfd, 1, left > 60000 ? 60000 : (int) left);
    if (n > 0)
      return 0;
    if (n < 0 && errno != EINTR)
      return KC_ERR_SYSTEM;
  }
}

int
kc_io_connect_unix(const char *path, int64_t deadline, int *fd)
{
  struct sockaddr_un sa;
  size_t len = strlen(path);
  int s, err;

  *fd = -1;
  if (len == 0 || len >= sizeof(sa.sun_path))
    return KC_ERR_TOO_LARGE;
  memset(&sa, 0, sizeof(sa));
  sa.sun_family = AF_UNIX;
  memcpy(sa.sun_path, path, len + 1);
  s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (s < 0)
    return KC_ERR_SYSTEM;
  for (;;) {
    if (connect(s, (struct sockaddr *) &sa, sizeof(sa)) == 0) {
      *fd = s;
      return 0;
    }
    err = errno;
    if (err == EINTR)
      continue;
    if (err != EAGAIN || kc_io_now_ms() >= deadline)
      break;
    (void) poll(NULL, 0, KC_IO_CONNECT_RETRY_MS);
  }
  close(s);
  errno = err;
  if (err == EAGAIN)
    return KC_ERR_TIMEOUT;
  if (err == ENOENT || err == ECONNREFUSED)
    return KC_ERR_UNAVAILABLE;
  return KC_ERR_SYSTEM;
}

int
kc_io_write_all(int fd, const void *p, size_t len, int64_t deadline)
{
  const char *c = p;
  ssize_t n;
  int r;

  while (len > 0) {
    n = send(fd, c, len, MSG_NOSIGNAL);
    if (n > 0) {
      c += n;
      len -= (size_t) n;
      continue;
    }
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
      return KC_ERR_SYSTEM;
    if ((r = wait_fd(fd, POLLOUT, deadline)) != 0)
      return r;
  }
  return 0;
}

int
kc_io_read_all(int fd, void *p, size_t len, int64_t deadline)
{
  char *c = p;
  ssize_t n;
  int r;

  while (len > 0) {
    n = recv(fd, c, len, 0);
    if (n > 0) {
      c += n;
      len -= (size_t) n;
      continue;
    }
    if (n == 0)
      return KC_ERR_EOF;
    if (errno == EINTR)
      continue;
    if (errno != EAGAIN && errno != EWOULDBLOCK)
      return KC_ERR_SYSTEM;
    if ((r = wait_fd(fd, POLLIN, deadline)) != 0)
      return r;
  }
  return 0;
}

int
kc_io_read_message(int fd, uint16_t *type, struct kc_buf *body,
                   int64_t deadline)
{
  uint8_t hdr[KC_PROTO_HEADER_SIZE];
  char chunk[512];
  uint32_t len;
  size_t want;
  int r;

  *type = 0;
  kc_buf_reset(body);
  if ((r = kc_io_read_all(fd, hdr, sizeof(hdr), deadline)) != 0)
    return r;
  if ((r = kc_proto_header_decode(hdr, type, &len)) != 0)
    return r;
  while (len > 0) {
    want = len < sizeof(chunk) ? len : sizeof(chunk);
    if ((r = kc_io_read_all(fd, chunk, want, deadline)) != 0 ||
        (r = kc_buf_add(body, chunk, want)) != 0)
      break;
    len -= (uint32_t) want;
  }
  kc_wipe(chunk, sizeof(chunk));
  return r;
}
