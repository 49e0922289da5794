/*
 * kc-bench-auth: throughput and latency of logins, as a benchmark (it
 * prints numbers; it judges nothing).
 *
 * Usage:
 *   kc-bench-auth [options] --config 'LABEL MODE key=value...' ...
 *   kc-bench-auth [options] --plan FILE      (one configuration a line)
 *
 * A configuration: LABEL (a short name such as "a"), MODE "pam", "ldap" or
 * "verify", and keys users=FILE (lines "name password [mail]"; with a mail
 * the account has emailTAN; verify: "name password hash", the stored
 * userPassword value), service=NAME (pam: the file in --confdir; NAME,NAME2
 * spreads the workers over several, worker i taking the (i mod n)-th),
 * uri=URI (ldap: this slapd instead of --ldap-uri),
 * max_sends=N (TAN mails per user and hour that kcd allows; users that
 * reached it are left out), conc=LIST (run only at these of the --conc
 * values), expect=fail (pam: the login must be refused, e.g. a wrong
 * password) and, last, desc=TEXT (the rest of the line) for the legend.
 *
 * The table gives, per concurrency and configuration: the length of the
 * measuring windows, successful and failed logins in them, the fewest and
 * most logins of one worker (a starved worker shows here), throughput,
 * latency percentiles, CPU time per login of each --cpu process, and the
 * workers' own CPU time per login (ours: the PAM module, libldap, or in
 * verify mode the whole argon2 check).
 *
 * Options:
 *   --conc LIST       concurrencies, e.g. 1,4,16 (default 1)
 *   --duration SEC    measuring window per run (default 10), at least 4
 *                     times the slowest first login of the run (up to 60)
 *   --warmup SEC      each run measures only after every worker has
 *                     finished one login, and SEC more (default 2)
 *   --rounds N        repeat every (concurrency, configuration) N times,
 *                     interleaved, and merge the samples (default 1)
 *   --count N         instead of a window: N operations per worker
 *   --confdir DIR     PAM service directory (pam_start_confdir)
 *   --maildir DIR     kcd's maildir: transport, for the TAN mails
 *   --ldap-uri URI --ldap-base DN --bind-dn DN --bind-pw-file FILE (ldap)
 *   --cpu NAME=PID    report this process's CPU time per operation
 *                     (sum of its threads' run time, /proc/PID/task/
 *                     * /schedstat); the same NAME again adds a process
 *                     to the column (e.g. two slapds); up to 4 names
 *   --ratio X:Y       print X's throughput and p99 relative to Y's (up
 *                     to 16; five to a table)
 *   --no-fork         one worker in this process (for valgrind); needs
 *                     --conc 1
 *   --rss             with --no-fork: this process's VmRSS before the
 *                     first login, with the PAM handle open in the first
 *                     and in the last login, and at the end
 *
 * Each run forks one process per concurrent login (sshd forks per login
 * too); every worker repeats the operation with its own share of the users
 * (user i goes to worker i mod conc). Operations count when they end inside
 * the window: throughput is the successful ones over the window, and
 * p50/p90/p99 are over all of them (a login that timed out counts with the
 * time it took). Exit status: 0 when every operation
 * succeeded, 1 when some failed (the tables are printed all the same),
 * 2 for usage errors.
 */
#include <config.h>

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sodium.h>

#include "bench.h"
#include "kc_wipe.h"

#define MAX_CFG 12
#define MAX_CONC 8
#define MAX_WORKERS 256
#define MAX_WATCH 4
#define MAX_WATCH_PIDS 4
#define MAX_RATIO 16
#define RATIOS_PER_TABLE 5
#define REC_CAP (1u << 17) /* operations one worker can record in a run */
#define MAX_FAILS_IN_ROW 100
/* A worker whose first login takes longer than this is starved (kcd's
 * queue, nslcd's 5 threads): measure anyway, it shows in the spread. */
#define WARMUP_MAX_US (60 * 1000000LL)
#define WINDOW_LATENCIES 4
#define WINDOW_MAX_US (60 * 1000000LL)

struct watch {
  char name[16];
  int pid[MAX_WATCH_PIDS];
  size_t npid;
};

struct ratio {
  char x[16];
  char y[16];
};

struct opts {
  struct bench_target tgt;
  struct bench_cfg cfg[MAX_CFG];
  size_t ncfg;
  unsigned conc[MAX_CONC];
  size_t nconc;
  double duration_s;
  double warmup_s;
  unsigned rounds;
  unsigned long count;
  struct watch watch[MAX_WATCH];
  size_t nwatch;
  struct ratio ratio[MAX_RATIO];
  size_t nratio;
  bool no_fork;
  bool rss;
};

/* Shared with the workers of one run. */
struct worker_slot {
  size_t n;       /* records written */
  size_t fails;
  bool stopped;   /* ran out of users or failed too often */
  char err[160];
  long rss_first; /* --rss */
  long rss_last;
  struct bench_rec rec[];
};

/* What one (configuration, concurrency) collected over its rounds. */
struct agg {
  double *lat_ms;
  size_t n;
  size_t cap;
  size_t errors;
  double window_s;
  int64_t cpu_ns[MAX_WATCH];
  bool cpu_ok[MAX_WATCH];
  int64_t worker_cpu_ns; /* the workers' own CPU time, whole runs */
  size_t worker_ops;     /* their operations, whole runs */
  char err[160];
  long rss[4]; /* --rss: before, first, last, after */
  size_t per_worker[MAX_WORKERS]; /* successful logins in the windows */
  unsigned conc;
};

static struct agg aggs[MAX_CFG][MAX_CONC];

static bool runs_at(const struct bench_cfg *c, unsigned n);

static void
usage(void)
{
  fputs("usage: kc-bench-auth [--conc 1,4,16] [--duration S] [--warmup S]\n"
        "  [--rounds N] [--count N] [--confdir DIR] [--maildir DIR]\n"
        "  [--ldap-uri URI --ldap-base DN --bind-dn DN --bind-pw-file F]\n"
        "  [--cpu NAME=PID]... [--ratio X:Y]... [--no-fork [--rss]]\n"
        "  (--config 'LABEL pam|ldap|verify users=FILE [service=S] [uri=U]\n"
        "   [max_sends=N] [desc=D]' | --plan FILE)...\n",
    stderr);
  exit(2);
}

static void
die(const char *what)
{
  fprintf(stderr, "kc-bench-auth: %s\n", what);
  exit(2);
}

/* ------------------------------------------------------------ input */

static char *
xstrdup(const char *s)
{
  char *p = strdup(s);

  if (p == NULL)
    die("out of memory");
  return p;
}

static void
add_user(struct bench_cfg *c, char *name, char *pw, char *third, size_t *cap)
{
  struct bench_user *u;

  if (c->nusers == *cap) {
    *cap = *cap != 0 ? *cap * 2 : 64;
    if ((u = realloc(c->users, *cap * sizeof(*u))) == NULL)
      die("out of memory");
    c->users = u;
  }
  u = &c->users[c->nusers++];
  u->name = xstrdup(name);
  u->password = xstrdup(pw);
  u->mail = NULL;
  u->hash = NULL;
  if (third != NULL)
    *(c->mode == MODE_VERIFY ? &u->hash : &u->mail) = xstrdup(third);
}

static void
load_users(struct bench_cfg *c, const char *path)
{
  char line[1024], *save = NULL, *name, *pw, *mail;
  size_t cap = 0;
  FILE *f = fopen(path, "re");

  if (f == NULL) {
    perror(path);
    exit(2);
  }
  while (fgets(line, sizeof(line), f) != NULL) {
    name = strtok_r(line, " \t\r\n", &save);
    pw = strtok_r(NULL, " \t\r\n", &save);
    mail = strtok_r(NULL, " \t\r\n", &save);
    if (name != NULL && name[0] != '#' && pw != NULL)
      add_user(c, name, pw, mail, &cap);
  }
  kc_wipe(line, sizeof(line));
  fclose(f);
  if (c->nusers == 0)
    die("a users file has no users");
}

static void
set_text(char *dst, size_t cap, const char *src)
{
  if (strlen(src) >= cap)
    die("configuration value too long");
  memcpy(dst, src, strlen(src) + 1);
}

static void
cfg_key(struct bench_cfg *c, char *kv)
{
  char *eq = strchr(kv, '=');

  if (eq == NULL)
    die("configuration: expected key=value");
  *eq++ = '\0';
  if (strcmp(kv, "users") == 0)
    load_users(c, eq);
  else if (strcmp(kv, "service") == 0)
    set_text(c->service, sizeof(c->service), eq);
  else if (strcmp(kv, "uri") == 0)
    set_text(c->ldap_uri, sizeof(c->ldap_uri), eq);
  else if (strcmp(kv, "expect") == 0 && strcmp(eq, "fail") == 0)
    c->expect_fail = true;
  else if (strcmp(kv, "conc") == 0)
    set_text(c->only_conc, sizeof(c->only_conc), eq);
  else if (strcmp(kv, "max_sends") == 0)
    c->max_sends = (unsigned) strtoul(eq, NULL, 10);
  else
    die("configuration: unknown key");
}

static void
add_config(struct opts *o, const char *text)
{
  char *copy = xstrdup(text), *save = NULL, *label, *mode, *kv, *desc;
  struct bench_cfg *c;

  if ((desc = strstr(copy, " desc=")) != NULL) { /* the rest of the line */
    *desc = '\0';
    desc += 6;
    desc[strcspn(desc, "\r\n")] = '\0';
  }
  label = strtok_r(copy, " \t\r\n", &save);
  if (label == NULL || label[0] == '#') {
    free(copy);
    return;
  }
  if (o->ncfg == MAX_CFG)
    die("too many configurations");
  c = &o->cfg[o->ncfg++];
  set_text(c->label, sizeof(c->label), label);
  mode = strtok_r(NULL, " \t\r\n", &save);
  if (mode != NULL && strcmp(mode, "pam") == 0)
    c->mode = MODE_PAM;
  else if (mode != NULL && strcmp(mode, "ldap") == 0)
    c->mode = MODE_LDAP;
  else if (mode != NULL && strcmp(mode, "verify") == 0)
    c->mode = MODE_VERIFY;
  else
    die("configuration: mode must be pam, ldap or verify");
  while ((kv = strtok_r(NULL, " \t\r\n", &save)) != NULL)
    cfg_key(c, kv);
  if (desc != NULL)
    set_text(c->desc, sizeof(c->desc), desc);
  if (c->users == NULL || (c->mode == MODE_PAM && c->service[0] == '\0'))
    die("configuration: users= (and for pam service=) are required");
  free(copy);
}

static void
read_plan(struct opts *o, const char *path)
{
  char line[2048];
  FILE *f = fopen(path, "re");

  if (f == NULL) {
    perror(path);
    exit(2);
  }
  while (fgets(line, sizeof(line), f) != NULL)
    add_config(o, line);
  fclose(f);
}

static void
parse_conc(struct opts *o, char *list)
{
  char *save = NULL, *s;
  unsigned long v;

  o->nconc = 0;
  for (s = strtok_r(list, ",", &save); s != NULL;
       s = strtok_r(NULL, ",", &save)) {
    v = strtoul(s, NULL, 10);
    if (o->nconc == MAX_CONC || v == 0 || v > MAX_WORKERS)
      die("--conc: 1 to 256, at most 8 values");
    o->conc[o->nconc++] = (unsigned) v;
  }
}

static char *
read_secret(const char *path)
{
  char buf[512];
  size_t n;
  FILE *f = fopen(path, "re");

  if (f == NULL) {
    perror(path);
    exit(2);
  }
  n = fread(buf, 1, sizeof(buf) - 1, f);
  fclose(f);
  while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
    n--;
  buf[n] = '\0';
  return xstrdup(buf);
}

static void
add_watch(struct opts *o, const char *arg)
{
  const char *eq = strchr(arg, '=');
  size_t i, len = eq != NULL ? (size_t) (eq - arg) : 0;
  struct watch *w = NULL;

  if (eq == NULL || len >= sizeof(w->name))
    die("--cpu NAME=PID");
  for (i = 0; i < o->nwatch && w == NULL; i++)
    if (strlen(o->watch[i].name) == len &&
      memcmp(o->watch[i].name, arg, len) == 0)
      w = &o->watch[i]; /* one more process in this column */
  if (w == NULL) {
    if (o->nwatch == MAX_WATCH)
      die("--cpu: at most 4 names");
    w = &o->watch[o->nwatch++];
    memcpy(w->name, arg, len);
    w->name[len] = '\0';
  }
  if (w->npid == MAX_WATCH_PIDS)
    die("--cpu: at most 4 processes a name");
  w->pid[w->npid++] = (int) strtol(eq + 1, NULL, 10);
}

static void
add_ratio(struct opts *o, const char *arg)
{
  const char *colon = strchr(arg, ':');
  struct ratio *r;

  if (colon == NULL || o->nratio == MAX_RATIO ||
    (size_t) (colon - arg) >= sizeof(r->x) || strlen(colon + 1) >= sizeof(r->y))
    die("--ratio X:Y, at most 16");
  r = &o->ratio[o->nratio++];
  memcpy(r->x, arg, (size_t) (colon - arg));
  r->x[colon - arg] = '\0';
  memcpy(r->y, colon + 1, strlen(colon + 1) + 1);
}

static const struct option longopts[] = {
  {"conc", required_argument, NULL, 'c'},
  {"duration", required_argument, NULL, 'd'},
  {"warmup", required_argument, NULL, 'w'},
  {"rounds", required_argument, NULL, 'r'},
  {"count", required_argument, NULL, 'n'},
  {"confdir", required_argument, NULL, 'C'},
  {"maildir", required_argument, NULL, 'M'},
  {"ldap-uri", required_argument, NULL, 'H'},
  {"ldap-base", required_argument, NULL, 'b'},
  {"bind-dn", required_argument, NULL, 'D'},
  {"bind-pw-file", required_argument, NULL, 'y'},
  {"cpu", required_argument, NULL, 'p'},
  {"ratio", required_argument, NULL, 'R'},
  {"config", required_argument, NULL, 'g'},
  {"plan", required_argument, NULL, 'P'},
  {"no-fork", no_argument, NULL, 'F'},
  {"rss", no_argument, NULL, 'S'},
  {NULL, 0, NULL, 0},
};

static void
parse_one(struct opts *o, int c)
{
  switch (c) {
    case 'c':
      parse_conc(o, optarg);
      break;
    case 'd':
      o->duration_s = strtod(optarg, NULL);
      break;
    case 'w':
      o->warmup_s = strtod(optarg, NULL);
      break;
    case 'r':
      o->rounds = (unsigned) strtoul(optarg, NULL, 10);
      break;
    case 'n':
      o->count = strtoul(optarg, NULL, 10);
      break;
    case 'C':
      o->tgt.confdir = optarg;
      break;
    case 'M':
      o->tgt.maildir = optarg;
      break;
    case 'H':
      o->tgt.ldap_uri = optarg;
      break;
    case 'b':
      o->tgt.ldap_base = optarg;
      break;
    case 'D':
      o->tgt.bind_dn = optarg;
      break;
    case 'y':
      o->tgt.bind_pw = read_secret(optarg);
      break;
    case 'p':
      add_watch(o, optarg);
      break;
    case 'R':
      add_ratio(o, optarg);
      break;
    case 'g':
      add_config(o, optarg);
      break;
    case 'P':
      read_plan(o, optarg);
      break;
    case 'F':
      o->no_fork = true;
      break;
    case 'S':
      o->rss = true;
      break;
    default:
      usage();
  }
}

static void
check_opts(const struct opts *o)
{
  size_t i;

  if (o->ncfg == 0 || o->rounds == 0 || o->duration_s <= 0 ||
    o->warmup_s < 0 || (o->count > REC_CAP))
    usage();
  if (o->no_fork && (o->nconc != 1 || o->conc[0] != 1))
    die("--no-fork needs --conc 1");
  if (o->rss && !o->no_fork)
    die("--rss needs --no-fork");
  if (o->no_fork && o->count == 0)
    die("--no-fork needs --count");
  for (i = 0; i < o->ncfg; i++) {
    if (o->cfg[i].mode == MODE_PAM && o->tgt.confdir == NULL)
      die("pam configurations need --confdir");
    if (o->cfg[i].mode == MODE_LDAP &&
      ((o->tgt.ldap_uri == NULL && o->cfg[i].ldap_uri[0] == '\0') ||
        o->tgt.ldap_base == NULL ||
        o->tgt.bind_dn == NULL || o->tgt.bind_pw == NULL))
      die("ldap configurations need --ldap-uri, --ldap-base, --bind-dn, "
          "--bind-pw-file");
  }
}

static void
parse_args(struct opts *o, int argc, char **argv)
{
  int c;

  o->conc[0] = 1;
  o->nconc = 1;
  o->duration_s = 10;
  o->warmup_s = 2;
  o->rounds = 1;
  while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1)
    parse_one(o, c);
  if (optind != argc)
    usage();
  check_opts(o);
}

/* ---------------------------------------------------------------- CPU */

/* Run time of every thread of pid (ns), from schedstat; -1 if unreadable. */
static int64_t
cpu_ns(int pid)
{
  char path[64], line[128];
  struct dirent *de;
  int64_t sum = 0;
  DIR *d;
  FILE *f;

  snprintf(path, sizeof(path), "/proc/%d/task", pid);
  if ((d = opendir(path)) == NULL)
    return -1;
  while ((de = readdir(d)) != NULL) {
    if (!isdigit((unsigned char) de->d_name[0]))
      continue;
    snprintf(path, sizeof(path), "/proc/%d/task/%.16s/schedstat", pid,
      de->d_name);
    if ((f = fopen(path, "re")) == NULL)
      continue; /* the thread just ended */
    if (fgets(line, sizeof(line), f) != NULL)
      sum += strtoll(line, NULL, 10);
    fclose(f);
  }
  closedir(d);
  return sum;
}

/* Per column: the sum over its processes; -1 when none is readable. */
static void
cpu_sample(const struct opts *o, int64_t *out)
{
  size_t i, k;
  int64_t v;

  for (i = 0; i < o->nwatch; i++) {
    out[i] = -1;
    for (k = 0; k < o->watch[i].npid; k++)
      if ((v = cpu_ns(o->watch[i].pid[k])) >= 0)
        out[i] = (out[i] < 0 ? 0 : out[i]) + v;
  }
}

/* ------------------------------------------------------------- workers */

struct run {
  const struct opts *o;
  const struct bench_cfg *cfg;
  unsigned conc;
  int64_t t_measure;   /* µs, monotonic */
  int64_t *t_end;      /* shared: no operation starts after this */
  struct worker_slot *slot[MAX_WORKERS];
};

/* The next user of worker idx: users idx, idx+conc, ... in turn; with a
 * TAN cap, only users under it. NULL when none is left. */
static const struct bench_user *
next_user(const struct run *r, unsigned idx, size_t *cursor)
{
  const struct bench_cfg *c = r->cfg;
  size_t n = c->nusers, base = idx, step = r->conc, m, i, tries;

  if (step >= n) { /* fewer users than workers: share them */
    base = idx % n;
    step = 0;
    m = 1;
  } else {
    m = (n - base + step - 1) / step;
  }
  for (tries = 0; tries < m; tries++) {
    i = base + step * ((*cursor)++ % m);
    if (c->max_sends == 0)
      return &c->users[i];
    if (__atomic_fetch_add(&c->sends[i], 1, __ATOMIC_SEQ_CST) < c->max_sends)
      return &c->users[i];
  }
  return NULL;
}

static bool
keep_going(const struct run *r, const struct worker_slot *s)
{
  if (r->o->count > 0)
    return s->n < r->o->count;
  return bench_now_us() < __atomic_load_n(r->t_end, __ATOMIC_SEQ_CST) &&
    s->n < REC_CAP;
}

static void
worker_main(const struct run *r, unsigned idx)
{
  struct worker_slot *s = r->slot[idx];
  struct bench_worker w = {0};
  size_t cursor = 0, row = 0;
  struct bench_rec *rec;
  int code;
  bool ok;

  w.tgt = &r->o->tgt;
  w.cfg = r->cfg;
  w.rss_kib_in_op = -1;
  w.index = idx;
  while (keep_going(r, s)) {
    if ((w.user = next_user(r, idx, &cursor)) == NULL) {
      snprintf(s->err, sizeof(s->err), "every user reached max_sends");
      s->stopped = true;
      break;
    }
    w.sample_rss = r->o->rss && (s->n == 0 || s->n + 1 == r->o->count);
    rec = &s->rec[s->n];
    rec->t0_us = bench_now_us();
    if (r->cfg->mode == MODE_PAM)
      ok = bench_op_pam(&w, &code);
    else if (r->cfg->mode == MODE_LDAP)
      ok = bench_op_ldap(&w, &code);
    else
      ok = bench_op_verify(&w, &code);
    rec->t1_us = bench_now_us();
    rec->ok = ok;
    rec->code = ok ? 0 : code;
    if (w.sample_rss)
      *(s->n == 0 ? &s->rss_first : &s->rss_last) = w.rss_kib_in_op;
    s->n++;
    if (!ok) {
      s->fails++;
      if (s->err[0] == '\0')
        memcpy(s->err, w.err, sizeof(s->err));
      if (++row >= MAX_FAILS_IN_ROW) {
        s->stopped = true;
        break;
      }
      (void) poll(NULL, 0, 10); /* a failing server: do not spin */
    } else {
      row = 0;
    }
  }
  bench_worker_close(&w);
}

static size_t
slot_size(void)
{
  return sizeof(struct worker_slot) + (size_t) REC_CAP *
    sizeof(struct bench_rec);
}

static void
sleep_until(int64_t t_us)
{
  int64_t now;

  while ((now = bench_now_us()) < t_us)
    (void) poll(NULL, 0, (int) ((t_us - now + 999) / 1000));
}

/* Start the workers; false when fork failed. */
static bool
spawn(struct run *r, pid_t *pids)
{
  unsigned i;

  fflush(stdout);
  fflush(stderr);
  for (i = 0; i < r->conc; i++) {
    if ((pids[i] = fork()) < 0) {
      perror("fork");
      return false;
    }
    if (pids[i] == 0) {
      worker_main(r, i);
      fflush(NULL);
      _exit(0);
    }
  }
  return true;
}

static int64_t
tv_ns(struct timeval tv)
{
  return (int64_t) tv.tv_sec * 1000000000 + (int64_t) tv.tv_usec * 1000;
}

/* Wait for the workers; their CPU time (user + system) in ns. */
static int64_t
reap(const struct run *r, const pid_t *pids)
{
  struct rusage ru;
  int64_t sum = 0;
  unsigned i;
  pid_t got;
  int st;

  for (i = 0; i < r->conc; i++) {
    if (pids[i] <= 0)
      continue;
    do
      got = wait4(pids[i], &st, 0, &ru);
    while (got < 0 && errno == EINTR);
    if (got == pids[i])
      sum += tv_ns(ru.ru_utime) + tv_ns(ru.ru_stime);
  }
  return sum;
}

/* ----------------------------------------------------------- collecting */

static void
agg_add(struct agg *a, double ms)
{
  double *p;

  if (a->n == a->cap) {
    a->cap = a->cap != 0 ? a->cap * 2 : 1024;
    if ((p = realloc(a->lat_ms, a->cap * sizeof(*p))) == NULL)
      die("out of memory");
    a->lat_ms = p;
  }
  a->lat_ms[a->n++] = ms;
}

/* Take the operations that ended in [from, to] (count mode: all). */
static void
collect(const struct run *r, struct agg *a, int64_t from, int64_t to)
{
  const struct worker_slot *s;
  const struct bench_rec *rec;
  unsigned i;
  size_t k;

  for (i = 0; i < r->conc; i++) {
    s = r->slot[i];
    for (k = 0; k < s->n; k++) {
      rec = &s->rec[k];
      if (rec->t1_us < from || rec->t1_us > to)
        continue;
      /* A failed login took its time too (a timeout its 120 s). */
      agg_add(a, (double) (rec->t1_us - rec->t0_us) / 1000.0);
      if (rec->ok)
        a->per_worker[i]++;
      else
        a->errors++;
    }
    if (s->err[0] != '\0' && a->err[0] == '\0')
      memcpy(a->err, s->err, sizeof(a->err));
  }
}

/* In count mode the window is from the first start to the last end. */
static void
count_window(const struct run *r, int64_t *from, int64_t *to)
{
  unsigned i;
  size_t k;

  *from = INT64_MAX;
  *to = 0;
  for (i = 0; i < r->conc; i++) {
    for (k = 0; k < r->slot[i]->n; k++) {
      if (r->slot[i]->rec[k].t0_us < *from)
        *from = r->slot[i]->rec[k].t0_us;
      if (r->slot[i]->rec[k].t1_us > *to)
        *to = r->slot[i]->rec[k].t1_us;
    }
  }
  if (*to < *from)
    *to = *from;
}

static void
cpu_add(const struct opts *o, struct agg *a, const int64_t *c0,
  const int64_t *c1)
{
  size_t i;

  for (i = 0; i < o->nwatch; i++) {
    if (c0[i] < 0 || c1[i] < 0)
      continue;
    a->cpu_ns[i] += c1[i] - c0[i];
    a->cpu_ok[i] = true;
  }
}

/* ---------------------------------------------------------------- runs */

static int64_t
self_cpu_ns(void)
{
  struct rusage ru;

  if (getrusage(RUSAGE_SELF, &ru) != 0)
    return 0;
  return tv_ns(ru.ru_utime) + tv_ns(ru.ru_stime);
}

/* The worker in this process; its CPU time (ns). */
static int64_t
run_in_process(struct run *r, struct agg *a)
{
  int64_t t0 = self_cpu_ns();

  a->rss[0] = bench_rss_kib();
  worker_main(r, 0);
  a->rss[1] = r->slot[0]->rss_first;
  a->rss[2] = r->slot[0]->rss_last;
  a->rss[3] = bench_rss_kib();
  return self_cpu_ns() - t0;
}

/* Warm-up: until every worker has finished one operation, then --warmup
 * more seconds. Returns the longest first operation (µs). */
static int64_t
warm_up(const struct run *r)
{
  int64_t limit = bench_now_us() + WARMUP_MAX_US, longest = 0, d;
  unsigned i, ready;

  do {
    (void) poll(NULL, 0, 5);
    for (i = 0, ready = 0; i < r->conc; i++)
      if (__atomic_load_n(&r->slot[i]->n, __ATOMIC_SEQ_CST) > 0 ||
        __atomic_load_n(&r->slot[i]->stopped, __ATOMIC_SEQ_CST))
        ready++;
  } while (ready < r->conc && bench_now_us() < limit);
  for (i = 0; i < r->conc; i++) {
    if (r->slot[i]->n == 0)
      continue;
    d = r->slot[i]->rec[0].t1_us - r->slot[i]->rec[0].t0_us;
    longest = d > longest ? d : longest;
  }
  sleep_until(bench_now_us() + (int64_t) (r->o->warmup_s * 1e6));
  return longest;
}

/* The window: --duration, but at least WINDOW_LATENCIES logins long (up
 * to WINDOW_MAX_US). With 16 argon2 binds sharing two cores, logins that
 * start together also end together, so a window shorter than a few logins
 * may see none end. */
static int64_t
window_us(const struct run *r, int64_t first_op_us)
{
  int64_t d = (int64_t) (r->o->duration_s * 1e6);
  int64_t want = WINDOW_LATENCIES * first_op_us;

  if (want > WINDOW_MAX_US)
    want = WINDOW_MAX_US;
  return d > want ? d : want;
}

/* Fork the workers and measure; their CPU time (ns). */
static int64_t
run_forked(struct run *r, int64_t *c0, int64_t *c1)
{
  pid_t pids[MAX_WORKERS] = {0};
  int64_t first, worker_ns;

  if (r->o->count == 0) {
    if (spawn(r, pids)) {
      first = warm_up(r);
      r->t_measure = bench_now_us();
      cpu_sample(r->o, c0);
      __atomic_store_n(r->t_end, r->t_measure + window_us(r, first),
        __ATOMIC_SEQ_CST);
      sleep_until(*r->t_end);
      cpu_sample(r->o, c1);
    } else { /* stop the workers there are */
      r->t_measure = bench_now_us();
      __atomic_store_n(r->t_end, r->t_measure, __ATOMIC_SEQ_CST);
    }
    return reap(r, pids);
  }
  cpu_sample(r->o, c0);
  (void) spawn(r, pids);
  worker_ns = reap(r, pids);
  cpu_sample(r->o, c1);
  return worker_ns;
}

static void
run_one(const struct opts *o, const struct bench_cfg *cfg, unsigned conc,
  struct agg *a)
{
  struct run r = {.o = o, .cfg = cfg, .conc = conc};
  int64_t c0[MAX_WATCH], c1[MAX_WATCH], from, to;
  size_t size = slot_size();
  unsigned i;
  void *mem;

  for (i = 0; i < conc; i++) {
    mem = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
      -1, 0);
    if (mem == MAP_FAILED)
      die("mmap failed");
    r.slot[i] = mem;
  }
  r.t_end = mmap(NULL, sizeof(*r.t_end), PROT_READ | PROT_WRITE,
    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (r.t_end == MAP_FAILED)
    die("mmap failed");
  *r.t_end = INT64_MAX;
  if (o->no_fork) {
    cpu_sample(o, c0);
    a->worker_cpu_ns += run_in_process(&r, a);
    cpu_sample(o, c1);
  } else {
    a->worker_cpu_ns += run_forked(&r, c0, c1);
  }
  for (i = 0; i < conc; i++)
    a->worker_ops += r.slot[i]->n;
  if (o->count > 0) {
    count_window(&r, &from, &to);
  } else {
    from = r.t_measure;
    to = *r.t_end;
  }
  a->conc = conc;
  collect(&r, a, from, to);
  a->window_s += (double) (to - from) / 1e6;
  cpu_add(o, a, c0, c1);
  for (i = 0; i < conc; i++)
    munmap(r.slot[i], size);
  munmap(r.t_end, sizeof(*r.t_end));
}

/* ------------------------------------------------------------- reports */

static int
cmp_double(const void *a, const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return (x > y) - (x < y);
}

/* Nearest-rank percentile of the sorted samples. */
static double
pct(const struct agg *a, double p)
{
  size_t k;

  if (a->n == 0)
    return NAN;
  k = (size_t) ceil(p / 100.0 * (double) a->n);
  return a->lat_ms[k > 0 ? k - 1 : 0];
}

/* Successful logins per second. */
static double
ops_per_s(const struct agg *a)
{
  return a->window_s > 0 ? (double) (a->n - a->errors) / a->window_s : 0;
}

static size_t
cfg_index(const struct opts *o, const char *label)
{
  size_t i;

  for (i = 0; i < o->ncfg; i++)
    if (strcmp(o->cfg[i].label, label) == 0)
      return i;
  return o->ncfg;
}

static void
print_legend(const struct opts *o)
{
  size_t i;

  if (o->count > 0)
    printf("kc-bench-auth: %lu operations per worker", o->count);
  else
    printf("kc-bench-auth: %u round(s) x %.1f s per configuration and "
           "concurrency, %.1f s warm-up each, interleaved",
      o->rounds, o->duration_s, o->warmup_s);
  printf("\n\n");
  for (i = 0; i < o->ncfg; i++)
    printf("- (%s) %s\n", o->cfg[i].label,
      o->cfg[i].desc[0] != '\0' ? o->cfg[i].desc
                                : o->cfg[i].mode == MODE_PAM ? "pam" : "ldap");
  printf("\n");
}

/* Logins per worker: the fewest and the most. A starved worker shows. */
static void
spread(const struct agg *a, size_t *lo, size_t *hi)
{
  unsigned i;

  *lo = a->conc > 0 ? SIZE_MAX : 0;
  *hi = 0;
  for (i = 0; i < a->conc; i++) {
    *lo = a->per_worker[i] < *lo ? a->per_worker[i] : *lo;
    *hi = a->per_worker[i] > *hi ? a->per_worker[i] : *hi;
  }
}

static void
print_row(const struct opts *o, unsigned conc, const struct bench_cfg *c,
  const struct agg *a)
{
  size_t i, lo, hi;

  spread(a, &lo, &hi);
  printf("| %u | %s | %.1f | %zu | %zu | %zu-%zu | %.2f | %.1f | %.1f | %.1f "
         "| %.1f |",
    conc, c->label, a->window_s, a->n - a->errors, a->errors, lo, hi,
    ops_per_s(a), pct(a, 50), pct(a, 90), pct(a, 99), pct(a, 100));
  for (i = 0; i < o->nwatch; i++) {
    if (a->cpu_ok[i] && a->n > 0)
      printf(" %.3f |", (double) a->cpu_ns[i] / 1e6 / (double) a->n);
    else
      printf(" - |");
  }
  if (a->worker_ops > 0)
    printf(" %.3f |", (double) a->worker_cpu_ns / 1e6 /
      (double) a->worker_ops);
  else
    printf(" - |");
  printf("\n");
}

static void
print_table(const struct opts *o)
{
  size_t i, k;

  printf("| conc | cfg | window s | ok ops | errors | per worker | ops/s "
         "| p50 ms | p90 ms | p99 ms | max ms |");
  for (i = 0; i < o->nwatch; i++)
    printf(" %s CPU ms/op |", o->watch[i].name);
  printf(" client CPU ms/op |");
  printf("\n|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
  for (i = 0; i < o->nwatch; i++)
    printf("---:|");
  printf("---:|\n");
  for (k = 0; k < o->nconc; k++) {
    for (i = 0; i < o->ncfg; i++) {
      if (!runs_at(&o->cfg[i], o->conc[k]))
        continue;
      qsort(aggs[i][k].lat_ms, aggs[i][k].n, sizeof(double), cmp_double);
      print_row(o, o->conc[k], &o->cfg[i], &aggs[i][k]);
    }
  }
  printf("\n");
}

/* Ratios from..to-1 (one table). */
static void
print_ratio_table(const struct opts *o, size_t from, size_t to)
{
  size_t i, k, x, y;

  printf("| conc |");
  for (i = from; i < to; i++)
    printf(" (%s)/(%s) ops/s | (%s)/(%s) p99 |", o->ratio[i].x,
      o->ratio[i].y, o->ratio[i].x, o->ratio[i].y);
  printf("\n|---:|");
  for (i = from; i < to; i++)
    printf("---:|---:|");
  printf("\n");
  for (k = 0; k < o->nconc; k++) {
    printf("| %u |", o->conc[k]);
    for (i = from; i < to; i++) {
      x = cfg_index(o, o->ratio[i].x);
      y = cfg_index(o, o->ratio[i].y);
      if (x == o->ncfg || y == o->ncfg || ops_per_s(&aggs[y][k]) == 0 ||
        ops_per_s(&aggs[x][k]) == 0) {
        printf(" - | - |");
        continue;
      }
      printf(" %.2f | %.2f |", ops_per_s(&aggs[x][k]) /
        ops_per_s(&aggs[y][k]), pct(&aggs[x][k], 99) / pct(&aggs[y][k], 99));
    }
    printf("\n");
  }
  printf("\n");
}

/* The ratios, RATIOS_PER_TABLE to a table (in the order given). */
static void
print_ratios(const struct opts *o)
{
  size_t i;

  for (i = 0; i < o->nratio; i += RATIOS_PER_TABLE)
    print_ratio_table(o, i,
      i + RATIOS_PER_TABLE < o->nratio ? i + RATIOS_PER_TABLE : o->nratio);
}

static int
print_errors(const struct opts *o)
{
  size_t i, k;
  int bad = 0;

  for (k = 0; k < o->nconc; k++) {
    for (i = 0; i < o->ncfg; i++) {
      if (!runs_at(&o->cfg[i], o->conc[k]) ||
        (aggs[i][k].errors == 0 && aggs[i][k].n > 0))
        continue;
      printf("errors: (%s) at concurrency %u: %zu failed, %zu ok; first: "
             "%s\n",
        o->cfg[i].label, o->conc[k], aggs[i][k].errors,
        aggs[i][k].n - aggs[i][k].errors,
        aggs[i][k].err[0] != '\0' ? aggs[i][k].err : "no operation ended");
      bad = 1;
    }
  }
  return bad;
}

static void
print_rss(const struct opts *o)
{
  size_t i;

  if (!o->rss)
    return;
  for (i = 0; i < o->ncfg; i++)
    printf("rss_kib (%s): before=%ld first_login=%ld last_login=%ld "
           "after=%ld\n",
      o->cfg[i].label, aggs[i][0].rss[0], aggs[i][0].rss[1],
      aggs[i][0].rss[2], aggs[i][0].rss[3]);
  printf("\n");
}

/* ---------------------------------------------------------------- main */

/* Does configuration c run at concurrency n (its conc= list, if any)? */
static bool
runs_at(const struct bench_cfg *c, unsigned n)
{
  char list[sizeof(c->only_conc)], *save = NULL, *t;

  if (c->only_conc[0] == '\0')
    return true;
  memcpy(list, c->only_conc, sizeof(list));
  for (t = strtok_r(list, ",", &save); t != NULL; t = strtok_r(NULL, ",", &save))
    if (strtoul(t, NULL, 10) == n)
      return true;
  return false;
}

static void
share_sends(struct opts *o)
{
  size_t i;
  void *mem;

  for (i = 0; i < o->ncfg; i++) {
    mem = mmap(NULL, o->cfg[i].nusers * sizeof(unsigned),
      PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (mem == MAP_FAILED)
      die("mmap failed");
    o->cfg[i].sends = mem;
  }
}

int
main(int argc, char **argv)
{
  static struct opts o;
  unsigned round;
  size_t i, k;
  int bad;

  signal(SIGPIPE, SIG_IGN);
  if (sodium_init() < 0)
    die("sodium_init failed");
  parse_args(&o, argc, argv);
  share_sends(&o);
  for (round = 0; round < o.rounds; round++)
    for (k = 0; k < o.nconc; k++)
      for (i = 0; i < o.ncfg; i++)
        if (runs_at(&o.cfg[i], o.conc[k]))
          run_one(&o, &o.cfg[i], o.conc[k], &aggs[i][k]);
  print_legend(&o);
  print_table(&o);
  print_ratios(&o);
  print_rss(&o);
  bad = print_errors(&o);
  if (o.tgt.bind_pw != NULL)
    kc_wipe_free_str(o.tgt.bind_pw);
  return bad;
}
