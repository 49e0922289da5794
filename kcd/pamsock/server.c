/*
 * server.c: event loop, worker pool and orderly shutdown (see server.h).
 *
 * A complete request waits in the scheduler (kc_sched.h), under the mutex;
 * nothing scans the 1,024 connection slots, and a new request wakes one
 * worker, not all.
 */
#include <config.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <sodium.h>

#include "kc_buf.h"
#include "kc_err.h"
#include "kc_io.h"
#include "kc_str.h"
#include "kc_wipe.h"
#include "log.h"
#include "kc_sched.h"
#include "server.h"

enum conn_state {
  CONN_FREE = 0,
  CONN_READING, /* owned by the loop, armed in epoll, waiting for bytes */
  CONN_READY,   /* a complete request, in its uid's queue */
  CONN_BUSY,    /* owned by a worker */
  CONN_DONE     /* to be closed: on the done list, for the loop */
};

struct uidconns;

struct conn {
  int fd;
  enum conn_state state;
  bool close_after; /* set by the worker: close instead of reading on */
  struct kc_peer peer;
  struct kc_buf in;            /* header + body of the request being read */
  int64_t deadline;            /* for the current read */
  struct kc_proto_request req; /* decoded by the loop when complete */
  struct kc_sched_item item;   /* peer uid, account; while READY or BUSY */
  struct uidconns *uc;         /* its uid's count of open connections */
  unsigned served;             /* requests answered */
  int64_t expires;   /* end of its lifetime: closed between requests */
  bool in_epoll;     /* added to the epoll set once */
  struct conn *next; /* on the done list */
  size_t pos;        /* index in srv->open */
};

/* Open connections of one peer uid, on its bucket's chain while there
 * are any (pam_max_conns_per_uid). One entry per connection at most. */
struct uidconns {
  uid_t uid;
  unsigned n;
  struct uidconns *next;
};

/* Hash buckets of the per-uid connection counts (uids are not chosen by
 * their owners, so uid % buckets spreads them). */
#define UIDCONNS_BUCKETS 256
/* A refused connection is logged at most this often (with the count). */
#define REFUSED_LOG_MS 60000

struct worker;

/* Accounts that logged in lately (the right password), by their keyed
 * hash (account_of): their requests are proven (kc_sched.h). Direct
 * mapped: a clash forgets the older name, which then counts as unproven
 * until its next login. A wrong password forgets the name at once, so a
 * flood against a known account does not go first. In memory only: after
 * a restart every name is new. */
#define KC_PROVEN_SLOTS  8192
#define KC_PROVEN_TTL_MS (24LL * 3600 * 1000)

struct proven {
  uint64_t account;
  int64_t until_ms;
};

struct server {
  pthread_mutex_t mu;
  struct conn *conns; /* KC_SERVER_MAX_CONNS slots */
  struct conn **open; /* the slots in use, densely */
  size_t nconns;
  struct conn **free; /* stack of free slots */
  size_t nfree;
  struct kc_sched sched;     /* the READY and BUSY requests */
  struct uidconns *uidconns; /* KC_SERVER_MAX_CONNS */
  struct uidconns **ucfree;
  size_t nucfree;
  struct uidconns *ucbucket[UIDCONNS_BUCKETS];
  unsigned per_uid_conns;  /* pam_max_conns_per_uid */
  unsigned long refused;   /* connections refused since the last line */
  int64_t refused_logged;  /* when that line was written; 0: never */
  struct worker *idle_top; /* workers waiting for work, last in on top */
  unsigned idle;
  struct conn *done; /* answered, for the loop to take back */
  bool closing;
  int ep;         /* epoll: signals, wake_fd, listener, connections */
  int wake_fd;    /* eventfd: a connection to close, or room again */
  bool listening; /* the listener is armed (not full) */
  unsigned char account_key[crypto_shorthash_KEYBYTES];
  struct proven *proven; /* KC_PROVEN_SLOTS */
  const struct kc_handler_cfg *hcfg;
};

struct worker {
  pthread_t thread;
  pthread_cond_t wake;
  bool woken; /* taken off the idle stack (mutex held) */
  struct worker *next_idle;
  struct kc_handler handler;
  struct server *srv;
};

/* The worker that went idle last, off the stack and marked woken (mutex
 * held); signal it, after the unlock if that is sooner. Last in, first
 * out: at low load one or two workers do everything, with their caches
 * and LDAP connections warm, instead of all of them in turn. */
static struct worker *
idle_pop(struct server *srv)
{
  struct worker *w = srv->idle_top;

  if (w != NULL) {
    srv->idle_top = w->next_idle;
    srv->idle--;
    w->woken = true;
  }
  return w;
}

static void
wake(struct worker *w)
{
  if (w != NULL)
    pthread_cond_signal(&w->wake);
}

/* Every idle worker (mutex held). */
static void
wake_all(struct server *srv)
{
  struct worker *w;

  while ((w = idle_pop(srv)) != NULL)
    wake(w);
}

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

/* The real uid of process pid from /proc/PID/status ("Uid:\tREAL\t..."),
 * or fallback when it cannot be read (the process is gone). */
static uid_t
real_uid_of(pid_t pid, uid_t fallback)
{
  char path[64], buf[4096];
  const char *p, *cur;
  uint64_t v;
  ssize_t n;
  int fd;

  snprintf(path, sizeof(path), "/proc/%d/status", (int) pid);
  if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
    return fallback;
  n = read(fd, buf, sizeof(buf) - 1);
  close(fd);
  if (n <= 0)
    return fallback;
  buf[n] = '\0';
  if ((p = strstr(buf, "\nUid:\t")) == NULL)
    return fallback;
  cur = p + 6;
  if (kc_str_uint(&cur, &v, 0, UINT32_MAX - 1) != 0)
    return fallback;
  return (uid_t) v;
}

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
  /* root's callers include every user's su and passwd: count those under
   * the user, so no user can take the share sshd and login need */
  peer->who =
    peer->uid == 0 && peer->pid > 0 ? real_uid_of(peer->pid, 0) : peer->uid;
}

static void uidconns_put(struct server *srv, struct uidconns *uc);

/* Give the slot of a connection whose descriptor is closed back (mutex
 * held). */
static void
conn_free(struct server *srv, struct conn *c)
{
  size_t pos = c->pos;

  uidconns_put(srv, c->uc);
  kc_buf_free(&c->in);
  kc_proto_request_free(&c->req);
  memset(c, 0, sizeof(*c));
  c->fd = -1;
  srv->open[pos] = srv->open[--srv->nconns];
  srv->open[pos]->pos = pos;
  srv->free[srv->nfree++] = c;
}

/* Close a connection the loop or a worker owns (mutex held). Closing the
 * descriptor also takes it out of the epoll set: it is never duplicated,
 * and kcd does not fork. */
static void
conn_close(struct server *srv, struct conn *c)
{
  close(c->fd);
  conn_free(srv, c);
}

/* Wait (again) for the next request on c: one event, then the loop owns
 * it until it is armed again (EPOLLONESHOT). A connection is added to the
 * epoll set only when it first has to wait: a client that connects, sends
 * its request at once and goes after the answer (the module) never is. */
static int
conn_arm(struct server *srv, struct conn *c)
{
  struct epoll_event ev = {.events = EPOLLIN | EPOLLONESHOT, .data.ptr = c};

  if (epoll_ctl(srv->ep, c->in_epoll ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, c->fd,
                &ev) != 0)
    return -1;
  c->in_epoll = true;
  return 0;
}

/* The count of uid's open connections (mutex held); created at 0 when
 * it has none. Never NULL: there are as many entries as connection slots,
 * and the caller holds a free slot. */
static struct uidconns *
uidconns_get(struct server *srv, uid_t uid)
{
  struct uidconns **b = &srv->ucbucket[uid % UIDCONNS_BUCKETS], *uc;

  for (uc = *b; uc != NULL; uc = uc->next)
    if (uc->uid == uid)
      return uc;
  uc = srv->ucfree[--srv->nucfree];
  uc->uid = uid;
  uc->n = 0;
  uc->next = *b;
  *b = uc;
  return uc;
}

/* One connection of uc's uid fewer (mutex held); the entry goes back when
 * it was the last. */
static void
uidconns_put(struct server *srv, struct uidconns *uc)
{
  struct uidconns **p;

  if (uc == NULL || --uc->n > 0)
    return;
  for (p = &srv->ucbucket[uc->uid % UIDCONNS_BUCKETS]; *p != uc;
       p = &(*p)->next)
    ;
  *p = uc->next;
  srv->ucfree[srv->nucfree++] = uc;
}

/* A connection refused for its uid's cap (mutex held): one log line a
 * minute at most, counting the refusals since the last one, so a flood
 * cannot flood the log too. */
static void
conn_refused(struct server *srv, const struct kc_peer *peer)
{
  int64_t now = kc_io_now_ms();

  srv->refused++;
  if (srv->refused_logged != 0 && now - srv->refused_logged < REFUSED_LOG_MS)
    return;
  kc_log_warnx("connection refused, too many for the peer uid; "
               "peer_uid=%u caller_uid=%u peer_pid=%d limit=%u refused=%lu",
               (unsigned) peer->uid, (unsigned) peer->who, (int) peer->pid,
               srv->per_uid_conns, srv->refused);
  srv->refused = 0;
  srv->refused_logged = now;
}

/* A new connection from peer (mutex held), not yet waited for; NULL, with
 * fd closed, when its uid holds its share of connections already (or
 * there is no room: cannot happen, accept is paused when full). */
static struct conn *
conn_open(struct server *srv, int fd, const struct kc_peer *peer)
{
  struct uidconns *uc;
  struct conn *c;
  int64_t now = kc_io_now_ms();

  if (srv->nfree == 0) {
    close(fd);
    return NULL;
  }
  uc = uidconns_get(srv, peer->who);
  if (uc->n >= srv->per_uid_conns) {
    close(fd);
    conn_refused(srv, peer);
    return NULL;
  }
  uc->n++;
  c = srv->free[--srv->nfree];
  c->fd = fd;
  c->state = CONN_READING;
  c->close_after = false;
  c->in_epoll = false;
  c->peer = *peer;
  c->uc = uc;
  c->served = 0;
  c->expires = now + (int64_t) KC_PAM_CONN_MAX_LIFETIME_S * 1000;
  kc_buf_init(&c->in, KC_MAX_PROTO_MESSAGE);
  c->deadline = now + KC_SERVER_IO_TIMEOUT_MS;
  c->pos = srv->nconns;
  srv->open[srv->nconns++] = c;
  return c;
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
      send(fd, kc_buf_get(&out), kc_buf_len(&out),
           MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
    kc_log_debug("could not send the error reply");
  kc_buf_free(&out);
}

/* How many bytes the request being read still needs, 0 when complete;
 * negative KC_ERR_* when its header is bad. *type is the header's. */
static int
bytes_wanted(struct conn *c, uint16_t *type, size_t *want)
{
  uint32_t len;
  int r;

  *want = 0;
  if (kc_buf_len(&c->in) < KC_PROTO_HEADER_SIZE) {
    *want = KC_PROTO_HEADER_SIZE - kc_buf_len(&c->in);
    return 0;
  }
  r = kc_proto_header_decode((const uint8_t *) kc_buf_get(&c->in), type, &len);
  if (r != 0)
    return r;
  *want = KC_PROTO_HEADER_SIZE + (size_t) len - kc_buf_len(&c->in);
  return 0;
}

/* The account a request is about, as a keyed hash of its lower-cased user
 * name (LDAP compares uid without case); 0 when it names none. */
static uint64_t
account_of(const struct server *srv, const struct kc_proto_request *req)
{
  unsigned char name[KC_MAX_USERNAME], h[crypto_shorthash_BYTES];
  uint64_t v = 0;
  size_t i, n;

  if (req->user == NULL || req->user[0] == '\0')
    return 0;
  n = strlen(req->user);
  if (n > sizeof(name))
    n = sizeof(name);
  for (i = 0; i < n; i++)
    name[i] = (unsigned char) tolower((unsigned char) req->user[i]);
  crypto_shorthash(h, name, n, srv->account_key);
  memcpy(&v, h, sizeof(v));
  return v == 0 ? 1 : v;
}

/* Decode the complete request in c->in into c->req; the raw bytes are
 * wiped. false (after an error reply) when it is malformed. */
static bool
conn_decode(const struct server *srv, struct conn *c, uint16_t type)
{
  const uint8_t *body =
    (const uint8_t *) kc_buf_get(&c->in) + KC_PROTO_HEADER_SIZE;
  size_t len = kc_buf_len(&c->in) - KC_PROTO_HEADER_SIZE;
  int r = kc_proto_request_decode(&c->req, type, body, len);

  kc_buf_reset(&c->in);
  if (r != 0) {
    kc_log_warnx("bad request; type=%u peer_uid=%u peer_pid=%d", type,
                 (unsigned) c->peer.uid, (int) c->peer.pid);
    send_error(c->fd, KC_OP_ERROR, KC_RES_PROTOCOL);
    return false;
  }
  c->item.account = account_of(srv, &c->req);
  return true;
}

/* Read what is there (mutex not held; the loop owns c). true while the
 * connection lives; c->state becomes CONN_READY with a whole, decoded
 * request. */
static bool
conn_read(const struct server *srv, struct conn *c)
{
  char chunk[1024];
  uint16_t type = 0;
  size_t want;
  ssize_t n;
  int r;

  for (;;) {
    if ((r = bytes_wanted(c, &type, &want)) != 0) {
      kc_log_warnx("bad message; peer_uid=%u peer_pid=%d error=\"%s\"",
                   (unsigned) c->peer.uid, (int) c->peer.pid, kc_strerror(r));
      send_error(c->fd, KC_OP_ERROR,
                 r == KC_ERR_VERSION ? KC_RES_VERSION : KC_RES_PROTOCOL);
      return false;
    }
    if (want == 0) {
      if (!conn_decode(srv, c, type))
        return false;
      c->state = CONN_READY;
      return true;
    }
    n = recv(c->fd, chunk, want < sizeof(chunk) ? want : sizeof(chunk), 0);
    r = n > 0 ? kc_buf_add(&c->in, chunk, (size_t) n) : 0;
    kc_wipe(chunk, sizeof(chunk)); /* may hold a password */
    if (n > 0 && r == 0)
      continue;
    return n < 0 && (errno == EAGAIN || errno == EINTR);
  }
}

/* ---------------------------------------------------------- scheduling */

/* The connection whose request the scheduler picked (mutex held). */
static struct conn *
pick(struct server *srv, bool take)
{
  struct kc_sched_item *it = kc_sched_pick(&srv->sched, take);

  return it != NULL ? (struct conn *) (void *) ((char *) it -
                                                offsetof(struct conn, item))
                    : NULL;
}

static struct proven *
proven_slot(struct server *srv, uint64_t account)
{
  return &srv->proven[account % KC_PROVEN_SLOTS];
}

/* Does c's request go among the proven (mutex held)? Those that check no
 * password (account, ping; a TAN follows a right password), and a login
 * or password change for a name that logged in lately. */
static bool
is_proven(struct server *srv, const struct conn *c)
{
  const struct proven *p;

  if (c->req.op != KC_OP_AUTH && c->req.op != KC_OP_CHAUTHTOK)
    return true;
  if (c->item.account == 0)
    return false;
  p = proven_slot(srv, c->item.account);
  return p->account == c->item.account && p->until_ms > kc_io_now_ms();
}

/* After the answer to a password check (mutex held): a right password
 * makes the name proven for KC_PROVEN_TTL_MS, a wrong one forgets it. */
static void
proven_note(struct server *srv, uint64_t account, uint16_t op, int result)
{
  struct proven *p;

  if (account == 0 || (op != KC_OP_AUTH && op != KC_OP_CHAUTHTOK))
    return;
  p = proven_slot(srv, account);
  if (result == KC_RES_OK || result == KC_RES_TAN_REQUIRED ||
      result == KC_RES_NEW_AUTHTOK_REQD) {
    p->account = account;
    p->until_ms = kc_io_now_ms() + KC_PROVEN_TTL_MS;
  } else if (p->account == account &&
             (result == KC_RES_AUTH_ERR || result == KC_RES_LOCKED ||
              result == KC_RES_MAXTRIES || result == KC_RES_AUTHTOK_ERR)) {
    p->account = 0;
    p->until_ms = 0;
  }
}

static void
enqueue(struct server *srv, struct conn *c)
{
  c->item.uid = c->peer.who; /* su and passwd count as their user */
  c->item.proven = is_proven(srv, c);
  kc_sched_enqueue(&srv->sched, &c->item);
}

/* ------------------------------------------------------------- workers */

/* Gone before its turn: the PAM client gave up (its timeout) and closed. */
static bool
peer_gone(int fd)
{
  struct pollfd p = {.fd = fd, .events = 0};

  return poll(&p, 1, 0) == 1 && (p.revents & (POLLHUP | POLLERR)) != 0;
}

/* Handle and answer one decoded request (mutex not held). false ends the
 * connection. */
static bool
serve_request(struct kc_handler *h, struct conn *c, uint16_t *op, int *result)
{
  struct kc_proto_reply rep;
  struct kc_buf out;
  int r;

  if (peer_gone(c->fd)) {
    kc_log_info("request abandoned; op=%u peer_uid=%u peer_pid=%d",
                (unsigned) c->req.op, (unsigned) c->peer.uid,
                (int) c->peer.pid);
    kc_proto_request_free(&c->req);
    return false;
  }
  kc_handler_run(h, &c->peer, &c->req, &rep);
  *op = c->req.op;
  *result = (int) rep.result;
  kc_proto_request_free(&c->req);
  kc_buf_init(&out, KC_MAX_PROTO_MESSAGE);
  r = kc_proto_reply_encode(&out, &rep);
  kc_proto_reply_free(&rep);
  if (r == 0)
    r = kc_io_write_all(c->fd, kc_buf_get(&out), kc_buf_len(&out),
                        kc_io_now_ms() + KC_SERVER_IO_TIMEOUT_MS);
  kc_buf_free(&out);
  kc_handler_after(h); /* the client has its answer */
  return r == 0;
}

static void
wake_loop(struct server *srv)
{
  uint64_t one = 1;

  if (write(srv->wake_fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
    kc_log_warn("eventfd");
}

/* The client has shut down its sending side: no request will follow. */
static bool
peer_sent_all(int fd)
{
  char b;

  return recv(fd, &b, 1, MSG_PEEK | MSG_DONTWAIT) == 0;
}

/* After the answer (mutex held): the connection waits for its next
 * request, armed by the worker itself so the loop need not wake up; or,
 * when it ends badly, goes to the loop to be closed. */
static void
hand_back(struct server *srv, struct conn *c, bool keep)
{
  if (keep && !srv->closing) {
    c->state = CONN_READING;
    c->deadline = kc_io_now_ms() + KC_SERVER_IO_TIMEOUT_MS;
    if (conn_arm(srv, c) == 0)
      return;
    kc_log_warn("epoll_ctl");
  }
  c->state = CONN_DONE;
  c->next = srv->done;
  srv->done = c;
  wake_loop(srv);
}

static void *
worker_main(void *arg)
{
  struct worker *w = arg;
  struct server *srv = w->srv;
  struct worker *other;
  struct conn *c;
  bool keep, done;
  uint16_t op;
  int result;

  pthread_mutex_lock(&srv->mu);
  for (;;) {
    while ((c = pick(srv, true)) == NULL &&
           (!srv->closing || kc_sched_waiting(&srv->sched) > 0)) {
      w->woken = false;
      w->next_idle = srv->idle_top;
      srv->idle_top = w;
      srv->idle++;
      while (!w->woken)
        pthread_cond_wait(&w->wake, &srv->mu);
    }
    if (c == NULL) {
      /* closing, and nothing is waiting: others may sleep on requests
       * that were held back by a share and are gone now */
      wake_all(srv);
      break;
    }
    /* Another request may be servable too (a finish can free a uid's
     * and an account's share at once): pass the turn on. */
    other = srv->idle > 0 && pick(srv, false) != NULL ? idle_pop(srv) : NULL;
    c->state = CONN_BUSY;
    pthread_mutex_unlock(&srv->mu);
    wake(other);
    op = 0;
    result = -1;
    keep = serve_request(&w->handler, c, &op, &result);
    /* used up (requests or lifetime): closed after the answer, between
     * requests, which a client that reconnects never notices */
    if (keep && (++c->served >= KC_PAM_CONN_MAX_REQUESTS ||
                 kc_io_now_ms() >= c->expires)) {
      kc_log_debug("connection used up, closing; peer_uid=%u served=%u",
                   (unsigned) c->peer.uid, c->served);
      keep = false;
    }
    /* A client that said it sends no more (the module) is done: close
     * here, before taking the mutex; the connection is not armed, so no
     * event for it can be pending. */
    done = keep && peer_sent_all(c->fd);
    if (done)
      close(c->fd);
    pthread_mutex_lock(&srv->mu);
    proven_note(srv, c->item.account, op, result);
    kc_sched_finished(&srv->sched, &c->item);
    if (done) {
      conn_free(srv, c);
      if (!srv->listening) /* the table was full: let the loop accept */
        wake_loop(srv);
    } else
      hand_back(srv, c, keep);
  }
  pthread_mutex_unlock(&srv->mu);
  kc_handler_close(&w->handler);
  return NULL;
}

/* ---------------------------------------------------------------- loop */

/* Close what the workers left on the done list (mutex held). */
static void
take_back(struct server *srv)
{
  struct conn *c, *next;

  for (c = srv->done, srv->done = NULL; c != NULL; c = next) {
    next = c->next;
    conn_close(srv, c);
  }
}

/* Close connections that took too long over a request, and those past
 * their lifetime that wait between requests (mutex held). */
static void
expire(struct server *srv, int64_t now)
{
  size_t i;

  for (i = 0; i < srv->nconns;) {
    struct conn *c = srv->open[i];
    if (c->state == CONN_READING &&
        (now >= c->deadline || (now >= c->expires && kc_buf_len(&c->in) == 0)))
      conn_close(srv, c); /* the last one moves to i */
    else
      i++;
  }
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

/* Arm the listener while there is room for another connection, disarm it
 * when full (mutex held); the kernel's backlog holds clients meanwhile. */
static void
listen_arm(struct server *srv, int listen_fd)
{
  bool room = srv->nconns < KC_SERVER_MAX_CONNS;
  struct epoll_event ev = {.events = room ? EPOLLIN : 0,
                           .data.ptr = &srv->listening};

  if (room != srv->listening &&
      epoll_ctl(srv->ep, EPOLL_CTL_MOD, listen_fd, &ev) == 0)
    srv->listening = room;
}

/* c is readable: read on; queue a complete request, or wait for more. */
static void
read_one(struct server *srv, struct conn *c)
{
  bool alive = conn_read(srv, c);
  struct worker *w = NULL;

  pthread_mutex_lock(&srv->mu);
  if (!alive) {
    conn_close(srv, c);
  } else if (c->state == CONN_READY) {
    enqueue(srv, c);
    if (pick(srv, false) != NULL) /* not held back by a share */
      w = idle_pop(srv);
  } else if (conn_arm(srv, c) != 0) {
    kc_log_warn("epoll_ctl");
    conn_close(srv, c);
  }
  pthread_mutex_unlock(&srv->mu);
  /* after the unlock, so the woken worker does not wait for the mutex */
  wake(w);
}

/* A new connection: its request is usually there already (the client
 * connects and writes at once), so read it now rather than after another
 * trip through epoll_wait. */
static void
accept_one(struct server *srv, int listen_fd)
{
  int fd = accept4(listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
  struct kc_peer peer;
  struct conn *c;

  if (fd >= 0) {
    peer_of(fd, &peer);
    pthread_mutex_lock(&srv->mu);
    c = conn_open(srv, fd, &peer);
    listen_arm(srv, listen_fd);
    pthread_mutex_unlock(&srv->mu);
    if (c != NULL)
      read_one(srv, c);
  } else if (errno == EMFILE || errno == ENFILE) {
    kc_log_warn("accept");
    (void) poll(NULL, 0, 100); /* let connections close */
  }
}

/* How often slow connections are looked for: their timeout is counted in
 * seconds, so a second's lateness does not matter. */
#define SWEEP_MS 1000

static void
event_loop(struct server *srv, int listen_fd, int sig_fd)
{
  static struct epoll_event ev[64];
  uint64_t ticks;
  int64_t now, next_sweep = 0;
  int n, k, timeout;

  for (;;) {
    now = kc_io_now_ms();
    pthread_mutex_lock(&srv->mu);
    take_back(srv);
    if (now >= next_sweep) {
      expire(srv, now);
      next_sweep = now + SWEEP_MS;
    }
    listen_arm(srv, listen_fd);
    /* no connection: nothing can expire; a worker that frees a slot of a
     * full table wakes the loop through wake_fd */
    timeout = srv->nconns > 0 ? (int) (next_sweep - now) : -1;
    pthread_mutex_unlock(&srv->mu);
    n = epoll_wait(srv->ep, ev, (int) (sizeof(ev) / sizeof(ev[0])), timeout);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      kc_fatal("epoll_wait");
    }
    for (k = 0; k < n; k++) {
      void *p = ev[k].data.ptr;
      if (p == &srv->ep) {
        if (got_signal(sig_fd))
          return;
      } else if (p == &srv->wake_fd) {
        (void) !read(srv->wake_fd, &ticks, sizeof(ticks));
      } else if (p == &srv->listening) {
        accept_one(srv, listen_fd);
      } else {
        read_one(srv, p);
      }
    }
  }
}

/* Stop: no new work is taken once nothing waits; wait for the workers,
 * then close what is left. */
static void
shut_down(struct server *srv, struct worker *w, unsigned started)
{
  unsigned i;

  pthread_mutex_lock(&srv->mu);
  srv->closing = true;
  wake_all(srv);
  pthread_mutex_unlock(&srv->mu);
  for (i = 0; i < started; i++)
    pthread_join(w[i].thread, NULL);
  pthread_mutex_lock(&srv->mu);
  take_back(srv);
  while (srv->nconns > 0) /* idle ones, and any never served */
    conn_close(srv, srv->open[srv->nconns - 1]);
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
    pthread_cond_init(&w[i].wake, NULL);
    kc_handler_init(&w[i].handler, srv->hcfg, i);
    if (pthread_create(&w[i].thread, NULL, worker_main, &w[i]) != 0) {
      kc_handler_close(&w[i].handler);
      pthread_cond_destroy(&w[i].wake);
      return KC_ERR_SYSTEM;
    }
    (*started)++;
  }
  return 0;
}

static int
server_alloc(struct server *srv, unsigned workers, unsigned per_uid_conns)
{
  size_t i;

  srv->per_uid_conns = per_uid_conns > 0 ? per_uid_conns : 1;
  if (kc_sched_init(&srv->sched, workers, KC_SERVER_MAX_CONNS) != 0)
    return KC_ERR_NOMEM;
  srv->conns = calloc(KC_SERVER_MAX_CONNS, sizeof(*srv->conns));
  srv->open = calloc(KC_SERVER_MAX_CONNS, sizeof(*srv->open));
  srv->free = calloc(KC_SERVER_MAX_CONNS, sizeof(*srv->free));
  srv->uidconns = calloc(KC_SERVER_MAX_CONNS, sizeof(*srv->uidconns));
  srv->ucfree = calloc(KC_SERVER_MAX_CONNS, sizeof(*srv->ucfree));
  srv->proven = calloc(KC_PROVEN_SLOTS, sizeof(*srv->proven));
  if (srv->conns == NULL || srv->open == NULL || srv->free == NULL ||
      srv->uidconns == NULL || srv->ucfree == NULL || srv->proven == NULL)
    return KC_ERR_NOMEM;
  for (i = 0; i < KC_SERVER_MAX_CONNS; i++) {
    srv->conns[i].fd = -1;
    srv->free[i] = &srv->conns[KC_SERVER_MAX_CONNS - 1 - i];
    srv->ucfree[i] = &srv->uidconns[i];
  }
  srv->nfree = srv->nucfree = KC_SERVER_MAX_CONNS;
  crypto_shorthash_keygen(srv->account_key);
  return 0;
}

static void
server_free(struct server *srv)
{
  free(srv->conns);
  free(srv->open);
  free(srv->free);
  kc_sched_free(&srv->sched);
  free(srv->uidconns);
  free(srv->ucfree);
  free(srv->proven);
}

/* Add fd to the epoll set, level-triggered; tag tells the loop which. */
static int
watch(int ep, int fd, void *tag)
{
  struct epoll_event ev = {.events = EPOLLIN, .data.ptr = tag};

  return epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
}

int
kc_server_run(int listen_fd, unsigned workers, unsigned per_uid_conns,
              const struct kc_handler_cfg *hcfg)
{
  struct server srv;
  struct worker *w;
  sigset_t set;
  pthread_mutexattr_t ma;
  unsigned started = 0, i;
  int sig_fd, r;

  signal_set(&set);
  if ((sig_fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK)) < 0)
    return KC_ERR_SYSTEM;
  memset(&srv, 0, sizeof(srv));
  srv.hcfg = hcfg;
  srv.wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  srv.ep = epoll_create1(EPOLL_CLOEXEC);
  w = calloc(workers, sizeof(*w));
  /* Adaptive: the critical sections are a few list operations, so a
   * thread that finds the mutex taken spins briefly instead of sleeping
   * (the loop accepting the next login while a worker hands one back). */
  pthread_mutexattr_init(&ma);
  pthread_mutexattr_settype(&ma, PTHREAD_MUTEX_ADAPTIVE_NP);
  pthread_mutex_init(&srv.mu, &ma);
  pthread_mutexattr_destroy(&ma);
  r = server_alloc(&srv, workers, per_uid_conns);
  if (r == 0 && w == NULL)
    r = KC_ERR_NOMEM;
  if (r == 0 &&
      (srv.wake_fd < 0 || srv.ep < 0 || watch(srv.ep, sig_fd, &srv.ep) != 0 ||
       watch(srv.ep, srv.wake_fd, &srv.wake_fd) != 0 ||
       watch(srv.ep, listen_fd, &srv.listening) != 0))
    r = KC_ERR_SYSTEM;
  srv.listening = true;
  if (r == 0)
    r = start_workers(&srv, w, workers, &started);
  if (r == 0) {
    kc_log_info("serving; workers=%u per_uid=%u per_account=%u "
                "conns_per_uid=%u",
                workers, srv.sched.per_uid_max, srv.sched.per_account_max,
                srv.per_uid_conns);
    event_loop(&srv, listen_fd, sig_fd);
  }
  close(listen_fd);
  if (srv.conns != NULL && srv.open != NULL && srv.free != NULL)
    shut_down(&srv, w, started);
  for (i = 0; i < started; i++)
    pthread_cond_destroy(&w[i].wake);
  free(w);
  server_free(&srv);
  if (srv.wake_fd >= 0)
    close(srv.wake_fd);
  if (srv.ep >= 0)
    close(srv.ep);
  close(sig_fd);
  pthread_mutex_destroy(&srv.mu);
  return r;
}
