/*
 * kc-fakekcd: a stand-in for kcd on a PAM socket, for tests of the PAM
 * module that need an exact answer (or a misbehaving peer) rather than a
 * directory. It speaks the protocol through common/kc_wire.c like kcd.
 *
 * Usage:
 *   kc-fakekcd --socket PATH [--log FILE] [--mode MODE] [--delay-ms N]
 *              [--max-seconds N] [--rule RULE]...
 *
 * MODE: answer (default: decode each request, answer by the rules),
 *       silent (accept and never read or answer), close (accept and close
 *       at once), garbage (send bytes that are no protocol message),
 *       version (answer with a header of another protocol version),
 *       wrongop (answer every request as if it were a PING).
 *
 * RULE: '|'-separated key=value pairs. Match keys (all given must hold):
 *   op=AUTH|TAN|ACCT|CHAUTHTOK, user=, secret= (AUTH secret or CHAUTHTOK
 *   old password), new= (CHAUTHTOK new password), tan=, challenge=,
 *   flags=. Reply keys: result=OK|AUTH_ERR|... (the KC_RES_* name),
 *   rchallenge=, dest=, ruser=, rcustomers=, rrole=, rtan=, msg= (msg
 *   runs to the end of the rule, so it may contain '|'). The first
 *   matching rule answers; no match: AUTH_ERR. An OK or NEW_AUTHTOK_REQD
 *   answer to AUTH or TAN carries the identity of kc_proto.h: ruser
 *   (default: the request's user; "" sends no identity at all),
 *   rcustomers (default ""), rrole (default user), rtan (default none).
 *   Example: 'op=AUTH|secret=geheim|result=TAN_REQUIRED|rchallenge=c1|
 *             dest=m.mu***@example.org|msg=Eine TAN wurde gesendet.'
 *
 * --log appends one line per request with every field, secrets included
 * (they are test passwords; the tests check what the module sent).
 * The process ends on SIGTERM, or after --max-seconds (default 300) so a
 * forgotten instance does not linger.
 */
#include <config.h>

#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "kc_buf.h"
#include "kc_err.h"
#include "kc_io.h"
#include "kc_proto.h"

#define MAX_RULES 32
#define MAX_HELD 64
#define IO_TIMEOUT_MS 5000

struct rule {
  char *text; /* owns the strings below */
  const char *op, *user, *secret, *newpw, *tan, *challenge, *flags;
  uint32_t result;
  const char *rchallenge, *dest, *msg;
  const char *ruser, *rcustomers, *rrole, *rtan;
};

static struct {
  const char *socket;
  const char *log;
  const char *mode;
  int delay_ms;
  struct rule rules[MAX_RULES];
  size_t nrules;
  int held[MAX_HELD];
  size_t nheld;
} g = {.mode = "answer"};

static void
die(const char *what)
{
  fprintf(stderr, "kc-fakekcd: %s: %s\n", what, strerror(errno));
  exit(1);
}

static int
result_of(const char *name)
{
  uint32_t r;

  for (r = 0; r <= KC_RES_LAST; r++)
    if (strcmp(kc_proto_result_name(r), name) == 0)
      return (int) r;
  return -1;
}

/* One key=value of a rule; false for an unknown key or result. */
static bool
rule_field(struct rule *r, const char *key, const char *v)
{
  static const struct {
    const char *key;
    size_t off;
  } keys[] = {
#define K(k, f) {k, offsetof(struct rule, f)}
    K("op", op), K("user", user), K("secret", secret), K("new", newpw),
    K("tan", tan), K("challenge", challenge), K("flags", flags),
    K("rchallenge", rchallenge), K("dest", dest), K("ruser", ruser),
    K("rcustomers", rcustomers), K("rrole", rrole), K("rtan", rtan),
#undef K
  };
  int res;
  size_t i;

  if (strcmp(key, "result") == 0) {
    if ((res = result_of(v)) < 0)
      return false;
    r->result = (uint32_t) res;
    return true;
  }
  for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
    if (strcmp(keys[i].key, key) == 0) {
      *(const char **) (void *) ((char *) r + keys[i].off) = v;
      return true;
    }
  }
  return false;
}

static void
add_rule(const char *spec)
{
  struct rule *r = &g.rules[g.nrules];
  char *p, *eq, *bar;

  if (g.nrules == MAX_RULES || (r->text = strdup(spec)) == NULL)
    die("rule");
  r->result = KC_RES_AUTH_ERR;
  for (p = r->text; p != NULL && *p != '\0'; p = bar) {
    if (strncmp(p, "msg=", 4) == 0) {
      r->msg = p + 4;
      break;
    }
    bar = strchr(p, '|');
    if (bar != NULL)
      *bar++ = '\0';
    if ((eq = strchr(p, '=')) == NULL)
      goto bad;
    *eq = '\0';
    if (!rule_field(r, p, eq + 1))
      goto bad;
  }
  g.nrules++;
  return;
bad:
  fprintf(stderr, "kc-fakekcd: bad rule: %s\n", spec);
  exit(2);
}

static bool
field_ok(const char *want, const char *got)
{
  return want == NULL || strcmp(want, got) == 0;
}

static const struct rule *
find_rule(const struct kc_proto_request *q)
{
  char flags[16];
  size_t i;

  snprintf(flags, sizeof(flags), "%u", (unsigned) q->flags);
  for (i = 0; i < g.nrules; i++) {
    const struct rule *r = &g.rules[i];

    if (field_ok(r->op, kc_proto_op_name(q->op)) && field_ok(r->user, q->user) &&
      field_ok(r->secret, q->password) && field_ok(r->newpw, q->new_password) &&
      field_ok(r->tan, q->tan) && field_ok(r->challenge, q->challenge) &&
      field_ok(r->flags, flags))
      return r;
  }
  return NULL;
}

static void
log_request(const struct kc_proto_request *q)
{
  FILE *f;

  if (g.log == NULL || (f = fopen(g.log, "ae")) == NULL)
    return;
  fprintf(f,
    "op=%s user=%s service=%s rhost=%s flags=%u secret=%s new=%s tan=%s "
    "challenge=%s\n",
    kc_proto_op_name(q->op), q->user, q->service, q->rhost,
    (unsigned) q->flags, q->password, q->new_password, q->tan, q->challenge);
  fclose(f);
}

/* ------------------------------------------------------------ replies */

#define W(s) ((char *) (uintptr_t) (s))

/* The identity of a success of AUTH or TAN: the rule's, or defaults. */
static void
set_identity(struct kc_proto_reply *rep, const struct rule *r,
  const struct kc_proto_request *q)
{
  if ((rep->op != KC_OP_AUTH && rep->op != KC_OP_TAN) ||
    (rep->result != KC_RES_OK && rep->result != KC_RES_NEW_AUTHTOK_REQD))
    return;
  if (r != NULL && r->ruser != NULL && r->ruser[0] == '\0')
    return;
  rep->user = W(r != NULL && r->ruser != NULL ? r->ruser : q->user);
  rep->customers = W(r != NULL && r->rcustomers != NULL ? r->rcustomers : "");
  rep->role = W(r != NULL && r->rrole != NULL ? r->rrole : "user");
  rep->tan_method = W(r != NULL && r->rtan != NULL ? r->rtan : "none");
}

static int
send_buf(int fd, struct kc_buf *b)
{
  int r = kc_io_write_all(fd, kc_buf_get(b), kc_buf_len(b),
    kc_io_now_ms() + IO_TIMEOUT_MS);

  kc_buf_free(b);
  return r;
}

static int
answer(int fd, const struct kc_proto_request *q)
{
  const struct rule *r = find_rule(q);
  struct kc_proto_reply rep = {0};
  struct kc_buf b;

  rep.op = strcmp(g.mode, "wrongop") == 0 ? KC_OP_PING : q->op;
  rep.result = r != NULL ? r->result : KC_RES_AUTH_ERR;
  if (r != NULL) {
    rep.message = (char *) (uintptr_t) r->msg;
    rep.challenge = (char *) (uintptr_t) r->rchallenge;
    rep.destination = (char *) (uintptr_t) r->dest;
  }
  set_identity(&rep, r, q);
  kc_buf_init(&b, KC_MAX_PROTO_MESSAGE);
  if (kc_proto_reply_encode(&b, &rep) != 0)
    return -1;
  if (strcmp(g.mode, "version") == 0)
    b.data[5] = KC_PROTO_VERSION + 1;
  if (g.delay_ms > 0)
    (void) poll(NULL, 0, g.delay_ms);
  return send_buf(fd, &b);
}

/* Read requests until the peer closes, answering each. */
static void
serve(int fd)
{
  struct kc_proto_request q;
  struct kc_buf body;
  uint16_t type;

  kc_buf_init(&body, KC_MAX_PROTO_MESSAGE);
  while (kc_io_read_message(fd, &type, &body, kc_io_now_ms() + IO_TIMEOUT_MS) ==
    0) {
    if (kc_proto_request_decode(&q, type, (const uint8_t *) body.data,
          kc_buf_len(&body)) != 0)
      break;
    log_request(&q);
    if (answer(fd, &q) != 0) {
      kc_proto_request_free(&q);
      break;
    }
    kc_proto_request_free(&q);
  }
  kc_buf_free(&body);
}

static void
handle(int fd)
{
  static const char junk[] = "HTTP/1.0 400 Bad Request\r\n\r\n";

  if (strcmp(g.mode, "silent") == 0) {
    if (g.nheld == MAX_HELD) {
      close(g.held[0]);
      memmove(g.held, g.held + 1, (MAX_HELD - 1) * sizeof(int));
      g.nheld--;
    }
    g.held[g.nheld++] = fd;
    return;
  }
  if (strcmp(g.mode, "garbage") == 0) {
    if (kc_io_write_all(fd, junk, sizeof(junk) - 1,
          kc_io_now_ms() + IO_TIMEOUT_MS) != 0)
      fputs("kc-fakekcd: could not send the garbage\n", stderr);
  } else if (strcmp(g.mode, "close") != 0)
    serve(fd);
  close(fd);
}

/* ------------------------------------------------------------ main */

static int
listen_on(const char *path)
{
  struct sockaddr_un sa = {.sun_family = AF_UNIX};
  int s;

  if (strlen(path) >= sizeof(sa.sun_path))
    die("socket path too long");
  memcpy(sa.sun_path, path, strlen(path) + 1);
  (void) unlink(path);
  if ((s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
    die("socket");
  if (bind(s, (struct sockaddr *) &sa, sizeof(sa)) != 0)
    die("bind");
  if (listen(s, 16) != 0)
    die("listen");
  return s;
}

static void
on_term(int sig)
{
  (void) sig;
  if (g.socket != NULL)
    (void) unlink(g.socket);
  _exit(0);
}

static const struct option longopts[] = {
  {"socket", required_argument, NULL, 's'},
  {"log", required_argument, NULL, 'l'},
  {"mode", required_argument, NULL, 'm'},
  {"delay-ms", required_argument, NULL, 'd'},
  {"max-seconds", required_argument, NULL, 'x'},
  {"rule", required_argument, NULL, 'r'},
  {NULL, 0, NULL, 0},
};

int
main(int argc, char **argv)
{
  unsigned max_seconds = 300;
  int c, s, fd;

  while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
    switch (c) {
      case 's':
        g.socket = optarg;
        break;
      case 'l':
        g.log = optarg;
        break;
      case 'm':
        g.mode = optarg;
        break;
      case 'd':
        g.delay_ms = (int) strtol(optarg, NULL, 10);
        break;
      case 'x':
        max_seconds = (unsigned) strtoul(optarg, NULL, 10);
        break;
      case 'r':
        add_rule(optarg);
        break;
      default:
        return 2;
    }
  }
  if (g.socket == NULL || optind != argc) {
    fputs("usage: kc-fakekcd --socket PATH [--log FILE] [--mode MODE] "
          "[--delay-ms N] [--max-seconds N] [--rule RULE]...\n", stderr);
    return 2;
  }
  signal(SIGTERM, on_term);
  signal(SIGALRM, on_term);
  signal(SIGPIPE, SIG_IGN);
  alarm(max_seconds);
  s = listen_on(g.socket);
  for (;;) {
    fd = accept4(s, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (fd < 0 && errno == EINTR)
      continue;
    if (fd < 0)
      die("accept");
    handle(fd);
  }
}
