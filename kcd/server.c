/*
 * server.c: event loop, worker pool and orderly shutdown (see server.h).
 */
#include <config.h>

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "kc_buf.h"
#include "kc_err.h"
#include "kc_io.h"
#include "kc_wipe.h"
#include "log.h"
#include "server.h"

enum conn_state {
  CONN_FREE = 0,
  CONN_READING, /* owned by the loop, waiting for bytes */
  CONN_READY,   /* a complete request, waiting for a worker */
  CONN_BUSY,    /* owned by a worker */
  CONN_DONE     /* answered; back to the loop */
};

struct conn {
  int fd;
  enum conn_state state;
  bool close_after; /* set by the worker: close instead of reading on */
  struct kc_peer peer;
  struct kc_buf in;  /* header + body of the request being read */
  int64_t deadline;  /* for the current read */
  uint16_t type;     /* of the complete request */
  uint64_t ready_seq; /* arrival order of the complete request */
};

struct server {
  pthread_mutex_t mu;
  pthread_cond_t work;
  struct conn *conns; /* KC_SERVER_MAX_CONNS slots */
  size_t nconns;      /* slots in use */
  unsigned busy_per_uid_max;
  uint64_t ready_seq;  /* last arrival number handed out */
  bool closing;
  int wake_fd;        /* eventfd: a worker finished a connection */
  const struct kc_handler_cfg *hcfg;
};

struct worker {
  pthread_t thread;
  struct kc_handler handler;
  struct server *srv;
};

/* -------------------------------------------------------------- socket */

int
kc_server_listen(const char *path, int *fd)
{
  struct sockaddr_un sa;
  struct stat st;
  size_t len = strlen(path);
  int s, probe;

  *fd = -1;
  if (len == 0 || len >= sizeof(sa.sun_path))
    return KC_ERR_TOO_LARGE;
  if (lstat(path, &st) == 0) {
    if (!S_ISSOCK(st.st_mode))
      return KC_ERR_DUPLICATE;
    if (kc_io_connect_unix(path, kc_io_now_ms() + 1000, &probe) == 0) {
      close(probe);
      return KC_ERR_DUPLICATE; /* another kcd is serving it */
    }
    if (unlink(path) != 0)
      return KC_ERR_SYSTEM;
  }
  memset(&sa, 0, sizeof(sa));
  sa.sun_family = AF_UNIX;
  memcpy(sa.sun_path, path, len + 1);
  s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (s < 0)
    return KC_ERR_SYSTEM;
  if (bind(s, (struct sockaddr *) &sa, sizeof(sa)) != 0 ||
    chmod(path, 0666) != 0 || listen(s, SOMAXCONN) != 0) {
    int saved = errno;
    close(s);
    errno = saved;
    return KC_ERR_SYSTEM;
  }
  *fd = s;
  return 0;
}

static void
signal_set(sigset_t *set)
{
  sigemptyset(set);
  sigaddset(set, SIGTERM);
  sigaddset(set, SIGINT);
  sigaddset(set, SIGPIPE);
  sigaddset(set, SIGHUP);
}

void
kc_server_block_signals(void)
{
  sigset_t set;

  signal_set(&set);
  pthread_sigmask(SIG_BLOCK, &set, NULL);
}

/* --------------------------------------------------------------- conns */

static void
peer_of(int fd, struct kc_peer *peer)
{
  struct ucred cred;
  socklen_t len = sizeof(cred);

  peer->pid = 0;
  peer->uid = (uid_t) -1;
  peer->gid = (gid_t) -1;
  if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0) {
    peer->pid = cred.pid;
    peer->uid = cred.uid;
    peer->gid = cred.gid;
  }
}

/* Close a connection the loop owns (mutex held). */
static void
conn_close(struct server *srv, struct conn *c)
{
  close(c->fd);
  kc_buf_free(&c->in);
  memset(c, 0, sizeof(*c));
  c->fd = -1;
  srv->nconns--;
}

static void
conn_open(struct server *srv, int fd)
{
  struct conn *c = NULL;
  size_t i;

  for (i = 0; i < KC_SERVER_MAX_CONNS; i++) {
    if (srv->conns[i].state == CONN_FREE) {
      c = &srv->conns[i];
      break;
    }
  }
  if (c == NULL) { /* cannot happen: accept is paused when full */
    close(fd);
    return;
  }
  c->fd = fd;
  c->state = CONN_READING;
  c->close_after = false;
  peer_of(fd, &c->peer);
  kc_buf_init(&c->in, KC_MAX_PROTO_MESSAGE);
  c->deadline = kc_io_now_ms() + KC_SERVER_IO_TIMEOUT_MS;
  srv->nconns++;
}

/* Best-effort error reply on a connection about to be closed; the reply is
 * tiny, so a non-blocking send either takes it whole or the peer is gone. */
static void
send_error(int fd, uint16_t op, uint32_t result)
{
  struct kc_proto_reply rep = {0};
  struct kc_buf out;

  rep.op = op;
  rep.result = result;
  kc_buf_init(&out, KC_MAX_PROTO_MESSAGE);
  if (kc_proto_reply_encode(&out, &rep) == 0 &&
    send(fd, kc_buf_get(&out), kc_buf_len(&out), MSG_NOSIGNAL | MSG_DONTWAIT) <
      0)
    kc_log_debug("could not send the error reply");
  kc_buf_free(&out);
}

/* How many bytes the request being read still needs, 0 when complete;
 * negative KC_ERR_* when its header is bad. */
static int
bytes_wanted(struct conn *c, size_t *want)
{
  uint32_t len;
  int r;

  *want = 0;
  if (kc_buf_len(&c->in) < KC_PROTO_HEADER_SIZE) {
    *want = KC_PROTO_HEADER_SIZE - kc_buf_len(&c->in);
    return 0;
  }
  r = kc_proto_header_decode((const uint8_t *) kc_buf_get(&c->in), &c->type,
    &len);
  if (r != 0)
    return r;
  *want = KC_PROTO_HEADER_SIZE + (size_t) len - kc_buf_len(&c->in);
  return 0;
}

/* Read what is there (mutex not held; the loop owns c). true while the
 * connection lives; c->state becomes CONN_READY with a whole request. */
static bool
conn_read(struct conn *c)
{
  char chunk[1024];
  size_t want;
  ssize_t n;
  int r;

  for (;;) {
    if ((r = bytes_wanted(c, &want)) != 0) {
      kc_log_warnx("bad message; peer_uid=%u peer_pid=%d error=\"%s\"",
        (unsigned) c->peer.uid, (int) c->peer.pid, kc_strerror(r));
      send_error(c->fd, KC_OP_ERROR,
        r == KC_ERR_VERSION ? KC_RES_VERSION : KC_RES_PROTOCOL);
      return false;
    }
    if (want == 0) {
      c->state = CONN_READY;
      return true;
    }
    n = recv(c->fd, chunk, want < sizeof(chunk) ? want : sizeof(chunk), 0);
    if (n > 0 && kc_buf_add(&c->in, chunk, (size_t) n) == 0)
      continue;
    kc_wipe(chunk, sizeof(chunk));
    return n < 0 && (errno == EAGAIN || errno == EINTR);
  }
}

/* ------------------------------------------------------------- workers */

/* Decode, handle, answer one complete request (mutex not held). false
 * ends the connection. */
static bool
serve_request(struct kc_handler *h, struct conn *c)
{
  const uint8_t *body = (const uint8_t *) kc_buf_get(&c->in) +
    KC_PROTO_HEADER_SIZE;
  size_t len = kc_buf_len(&c->in) - KC_PROTO_HEADER_SIZE;
  struct kc_proto_request req;
  struct kc_proto_reply rep;
  struct kc_buf out;
  int r;

  r = kc_proto_request_decode(&req, c->type, body, len);
  kc_buf_reset(&c->in);
  if (r != 0) {
    kc_log_warnx("bad request; type=%u peer_uid=%u peer_pid=%d", c->type,
      (unsigned) c->peer.uid, (int) c->peer.pid);
    send_error(c->fd, KC_OP_ERROR, KC_RES_PROTOCOL);
    return false;
  }
  kc_handler_run(h, &c->peer, &req, &rep);
  kc_proto_request_free(&req);
  kc_buf_init(&out, KC_MAX_PROTO_MESSAGE);
  r = kc_proto_reply_encode(&out, &rep);
  kc_proto_reply_free(&rep);
  if (r == 0)
    r = kc_io_write_all(c->fd, kc_buf_get(&out), kc_buf_len(&out),
      kc_io_now_ms() + KC_SERVER_IO_TIMEOUT_MS);
  kc_buf_free(&out);
  return r == 0;
}

static unsigned
busy_of_uid(const struct server *srv, uid_t uid)
{
  unsigned n = 0;
  size_t i;

  for (i = 0; i < KC_SERVER_MAX_CONNS; i++)
    if (srv->conns[i].state == CONN_BUSY && srv->conns[i].peer.uid == uid)
      n++;
  return n;
}

/* The earliest-arrived ready connection whose uid is under its share
 * (mutex held), or NULL. Arrival order, not slot order: slots are reused
 * lowest first, so slot order would starve some clients. */
static struct conn *
next_ready(struct server *srv)
{
  struct conn *best = NULL;
  size_t i;

  for (i = 0; i < KC_SERVER_MAX_CONNS; i++) {
    struct conn *c = &srv->conns[i];
    if (c->state == CONN_READY &&
      (best == NULL || c->ready_seq < best->ready_seq) &&
      busy_of_uid(srv, c->peer.uid) < srv->busy_per_uid_max)
      best = c;
  }
  return best;
}

static void
wake_loop(struct server *srv)
{
  uint64_t one = 1;

  if (write(srv->wake_fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
    kc_log_warn("eventfd");
}

static bool
any_ready(const struct server *srv)
{
  size_t i;

  for (i = 0; i < KC_SERVER_MAX_CONNS; i++)
    if (srv->conns[i].state == CONN_READY)
      return true;
  return false;
}

static void *
worker_main(void *arg)
{
  struct worker *w = arg;
  struct server *srv = w->srv;
  struct conn *c;
  bool keep;

  pthread_mutex_lock(&srv->mu);
  for (;;) {
    while ((c = next_ready(srv)) == NULL &&
      (!srv->closing || any_ready(srv)))
      pthread_cond_wait(&srv->work, &srv->mu);
    if (c == NULL)
      break; /* closing, and nothing is ready */
    c->state = CONN_BUSY;
    pthread_mutex_unlock(&srv->mu);
    keep = serve_request(&w->handler, c);
    pthread_mutex_lock(&srv->mu);
    c->close_after = !keep;
    c->state = CONN_DONE;
    pthread_cond_broadcast(&srv->work); /* a uid may be under its share now */
    wake_loop(srv);
  }
  pthread_mutex_unlock(&srv->mu);
  kc_handler_close(&w->handler);
  return NULL;
}

/* ---------------------------------------------------------------- loop */

/* Take back answered connections and expire slow ones (mutex held). */
static void
sweep(struct server *srv, int64_t now)
{
  size_t i;

  for (i = 0; i < KC_SERVER_MAX_CONNS; i++) {
    struct conn *c = &srv->conns[i];
    if (c->state == CONN_DONE) {
      if (c->close_after || srv->closing) {
        conn_close(srv, c);
        continue;
      }
      c->state = CONN_READING;
      c->deadline = now + KC_SERVER_IO_TIMEOUT_MS;
    }
    if (c->state == CONN_READING && (now >= c->deadline || srv->closing))
      conn_close(srv, c);
  }
}

/* Fill pfd with the connections being read; returns the count. map[k] is
 * the slot of pfd[k + first]. */
static size_t
poll_set(struct server *srv, struct pollfd *pfd, size_t first, size_t *map,
  int64_t *next_deadline)
{
  size_t i, k = 0;

  for (i = 0; i < KC_SERVER_MAX_CONNS; i++) {
    struct conn *c = &srv->conns[i];
    if (c->state != CONN_READING)
      continue;
    pfd[first + k].fd = c->fd;
    pfd[first + k].events = POLLIN;
    pfd[first + k].revents = 0;
    map[k++] = i;
    if (c->deadline < *next_deadline)
      *next_deadline = c->deadline;
  }
  return k;
}

static bool
got_signal(int sig_fd)
{
  struct signalfd_siginfo si;

  while (read(sig_fd, &si, sizeof(si)) == (ssize_t) sizeof(si)) {
    if (si.ssi_signo == SIGHUP) {
      /* no reload: a changed configuration needs a restart */
      kc_log_info("SIGHUP ignored: restart kcd to apply a new configuration");
      continue;
    }
    if (si.ssi_signo != SIGPIPE) {
      kc_log_info("signal %u received, finishing in-flight requests",
        si.ssi_signo);
      return true;
    }
  }
  return false;
}

static void
accept_one(struct server *srv, int listen_fd)
{
  int fd = accept4(listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

  if (fd >= 0) {
    pthread_mutex_lock(&srv->mu);
    conn_open(srv, fd);
    pthread_mutex_unlock(&srv->mu);
  } else if (errno == EMFILE || errno == ENFILE) {
    kc_log_warn("accept");
    (void) poll(NULL, 0, 100); /* let connections close */
  }
}

/* Read from every readable connection; hand complete requests over. */
static void
read_ready(struct server *srv, const struct pollfd *pfd, const size_t *map,
  size_t n)
{
  bool any = false;
  size_t k;

  for (k = 0; k < n; k++) {
    struct conn *c = &srv->conns[map[k]];
    bool alive;
    if (pfd[k].revents == 0)
      continue;
    alive = conn_read(c);
    pthread_mutex_lock(&srv->mu);
    if (!alive) {
      conn_close(srv, c);
    } else if (c->state == CONN_READY) {
      c->ready_seq = ++srv->ready_seq;
      any = true;
    }
    pthread_mutex_unlock(&srv->mu);
  }
  if (any) {
    pthread_mutex_lock(&srv->mu);
    pthread_cond_broadcast(&srv->work);
    pthread_mutex_unlock(&srv->mu);
  }
}

static void
event_loop(struct server *srv, int listen_fd, int sig_fd)
{
  static struct pollfd pfd[3 + KC_SERVER_MAX_CONNS];
  static size_t map[KC_SERVER_MAX_CONNS];
  uint64_t ticks;
  int64_t now, next;
  size_t n;
  bool full;

  for (;;) {
    now = kc_io_now_ms();
    next = now + 60000;
    pthread_mutex_lock(&srv->mu);
    sweep(srv, now);
    full = srv->nconns >= KC_SERVER_MAX_CONNS;
    n = poll_set(srv, pfd, 3, map, &next);
    pthread_mutex_unlock(&srv->mu);
    pfd[0] = (struct pollfd){.fd = sig_fd, .events = POLLIN};
    pfd[1] = (struct pollfd){.fd = srv->wake_fd, .events = POLLIN};
    pfd[2] = (struct pollfd){.fd = full ? -1 : listen_fd, .events = POLLIN};
    if (poll(pfd, 3 + n, (int) (next > now ? next - now : 0)) < 0) {
      if (errno == EINTR)
        continue;
      kc_fatal("poll");
    }
    if ((pfd[0].revents & POLLIN) && got_signal(sig_fd))
      return;
    if (pfd[1].revents & POLLIN)
      (void) !read(srv->wake_fd, &ticks, sizeof(ticks));
    if (pfd[2].revents & POLLIN)
      accept_one(srv, listen_fd);
    read_ready(srv, pfd + 3, map, n);
  }
}

/* Stop: no new work is taken once nothing is ready; wait for the workers,
 * then close what is left. */
static void
shut_down(struct server *srv, struct worker *w, unsigned started)
{
  unsigned i;

  pthread_mutex_lock(&srv->mu);
  srv->closing = true;
  pthread_cond_broadcast(&srv->work);
  pthread_mutex_unlock(&srv->mu);
  for (i = 0; i < started; i++)
    pthread_join(w[i].thread, NULL);
  pthread_mutex_lock(&srv->mu);
  sweep(srv, kc_io_now_ms());
  for (i = 0; i < KC_SERVER_MAX_CONNS; i++)
    if (srv->conns[i].state != CONN_FREE)
      conn_close(srv, &srv->conns[i]);
  pthread_mutex_unlock(&srv->mu);
}

static int
start_workers(struct server *srv, struct worker *w, unsigned workers,
  unsigned *started)
{
  unsigned i;

  *started = 0;
  for (i = 0; i < workers; i++) {
    w[i].srv = srv;
    kc_handler_init(&w[i].handler, srv->hcfg, i);
    if (pthread_create(&w[i].thread, NULL, worker_main, &w[i]) != 0)
      return KC_ERR_SYSTEM;
    (*started)++;
  }
  return 0;
}

int
kc_server_run(int listen_fd, unsigned workers,
  const struct kc_handler_cfg *hcfg)
{
  struct server srv;
  struct worker *w;
  sigset_t set;
  unsigned started = 0;
  int sig_fd, r;

  signal_set(&set);
  if ((sig_fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK)) < 0)
    return KC_ERR_SYSTEM;
  memset(&srv, 0, sizeof(srv));
  srv.hcfg = hcfg;
  srv.busy_per_uid_max = workers / KC_SERVER_MAX_BUSY_SHARE > 0
    ? workers / KC_SERVER_MAX_BUSY_SHARE
    : 1;
  srv.wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  srv.conns = calloc(KC_SERVER_MAX_CONNS, sizeof(*srv.conns));
  w = calloc(workers, sizeof(*w));
  pthread_mutex_init(&srv.mu, NULL);
  pthread_cond_init(&srv.work, NULL);
  if (srv.wake_fd < 0 || srv.conns == NULL || w == NULL)
    r = KC_ERR_NOMEM;
  else
    r = start_workers(&srv, w, workers, &started);
  if (r == 0) {
    kc_log_info("serving; workers=%u", workers);
    event_loop(&srv, listen_fd, sig_fd);
  }
  close(listen_fd);
  if (srv.conns != NULL)
    shut_down(&srv, w, started);
  free(w);
  free(srv.conns);
  if (srv.wake_fd >= 0)
    close(srv.wake_fd);
  close(sig_fd);
  pthread_cond_destroy(&srv.work);
  pthread_mutex_destroy(&srv.mu);
  return r;
}
