/*
 * rehash.c: hash upgrades at login (rehash.h).
 */
#include <config.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <sodium.h>

#include "kc_argon2.h"
#include "kc_err.h"
#include "kc_limits.h"
#include "kc_str.h"
#include "log.h"
#include "password.h"
#include "rehash.h"

/* Upgrades waiting for the worker, at most. */
#define KC_REHASH_QUEUE 8
/* After slapd showed that it is not set up for upgrades (an acl.ldif from
 * before), no more tries for this long. */
#define KC_REHASH_PAUSE 600

struct job {
  char dn[KC_MAX_DN + 1];
  char uid[KC_MAX_USERNAME + 1];
  char policy_dn[KC_MAX_DN + 1];
  char what[64];  /* what the stored hash is, for the log */
  char *password; /* sodium_malloc: guarded, wiped when freed */
  int slot;       /* the server the login read the hash from */
};

static atomic_bool enabled = true;
static _Atomic time_t paused_until;

static struct {
  pthread_mutex_t mu;
  pthread_cond_t more;
  struct job q[KC_REHASH_QUEUE];
  size_t head, n;
  bool running, stop;
  pthread_t thread;
  const struct kc_ldap_cfg *cfg;
} w = {.mu = PTHREAD_MUTEX_INITIALIZER, .more = PTHREAD_COND_INITIALIZER};

static time_t
now_mono(void)
{
  struct timespec ts;

  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec;
}

void
kc_rehash_enable(bool on)
{
  enabled = on;
  paused_until = 0;
}

static void
give_up(const char *why)
{
  time_t now = now_mono(), old = paused_until;

  if (old > now)
    return;
  if (atomic_compare_exchange_strong(&paused_until, &old,
                                     now + KC_REHASH_PAUSE))
    kc_log_warnx("password hash upgrades paused for %d minutes: %s; apply "
                 "acl.ldif of this version",
                 KC_REHASH_PAUSE / 60, why);
}

/* The schemes of slapd (and its contrib modules) that check a password
 * against a hash in the entry itself: replacing those by argon2 loses
 * nothing. Others ({SASL}, {UNIX}, a scheme of a module we do not know)
 * may check elsewhere and are left alone. */
static const char *const local_schemes[] =
  {"{SSHA}",        "{SSHA256}",       "{SSHA384}",       "{SSHA512}",
   "{SHA}",         "{SHA256}",        "{SHA384}",        "{SHA512}",
   "{SMD5}",        "{MD5}",           "{CRYPT}",         "{PBKDF2}",
   "{PBKDF2-SHA1}", "{PBKDF2-SHA256}", "{PBKDF2-SHA512}", "{CLEARTEXT}",
   "{BSDMD5}",      "{NS-MTA-MD5}",    "{TOTP1}",         NULL};

enum kc_rehash_verdict
kc_rehash_judge(const char *value, char *what, size_t whatlen)
{
  static const char argon2[] = "{ARGON2}";
  struct kc_argon2_params p;
  const char *s, *end;
  size_t i, len;
  unsigned m, t;

  if (value[0] != '{') {
    kc_str_copy_printable(what, whatlen, "no scheme"); /* cleartext */
    return KC_REHASH_REPLACE;
  }
  if (strncasecmp(value, argon2, sizeof(argon2) - 1) == 0) {
    s = value + sizeof(argon2) - 1;
    if (kc_argon2_parse(s, strlen(s), &p) != 0) {
      kc_str_copy_printable(what, whatlen, "{ARGON2} not made by libsodium");
      return KC_REHASH_REPLACE;
    }
    kc_password_cost(&m, &t);
    snprintf(what, whatlen, "%s m=%lu t=%u", p.id ? "argon2id" : "argon2i",
             p.m_kib, p.t);
    return p.id && p.m_kib == m && p.t == t ? KC_REHASH_KEEP
                                            : KC_REHASH_REPLACE;
  }
  /* only a name from the list is ever logged: "{...}" of a cleartext
   * password that happens to start with a brace would be a secret */
  end = strchr(value, '}');
  len = end != NULL ? (size_t) (end - value) + 1 : 0;
  for (i = 0; local_schemes[i] != NULL; i++) {
    if (strlen(local_schemes[i]) == len &&
        strncasecmp(value, local_schemes[i], len) == 0) {
      kc_str_copy_printable(what, whatlen, local_schemes[i]);
      return KC_REHASH_REPLACE;
    }
  }
  kc_str_copy_printable(what, whatlen, "another scheme");
  return KC_REHASH_LEAVE;
}

/* ------------------------------------------------------------ the login */

static void
job_clear(struct job *j)
{
  if (j->password != NULL)
    sodium_free(j->password);
  memset(j, 0, sizeof(*j));
}

/* Queue j (its password is taken over, or freed): false when the queue is
 * full, the worker stops, or the account waits already. */
static bool
enqueue(struct job *j)
{
  bool ok = false;
  size_t i;

  pthread_mutex_lock(&w.mu);
  if (w.running && !w.stop && w.n < KC_REHASH_QUEUE) {
    ok = true;
    for (i = 0; i < w.n && ok; i++)
      ok = strcmp(w.q[(w.head + i) % KC_REHASH_QUEUE].dn, j->dn) != 0;
    if (ok) {
      w.q[(w.head + w.n) % KC_REHASH_QUEUE] = *j;
      w.n++;
      pthread_cond_signal(&w.more);
      memset(j, 0, sizeof(*j)); /* the queue has the password now */
    }
  }
  pthread_mutex_unlock(&w.mu);
  job_clear(j);
  return ok;
}

enum kc_rehash_result
kc_rehash_after_login(struct kc_ldap *l, const struct kc_ldap_user *u,
                      const char *password)
{
  char stored[KC_ARGON2_MAX_STRING + 16], what[64];
  enum kc_rehash_verdict v;
  struct job j;
  size_t nvalues, len;
  bool running;
  int r;

  pthread_mutex_lock(&w.mu);
  running = w.running && !w.stop;
  pthread_mutex_unlock(&w.mu);
  if (!running || !enabled || paused_until > now_mono() || u->must_change ||
      u->first_login)
    return KC_REHASH_OFF;
  r = kc_ldap_own_password(l, u->dn, stored, sizeof(stored), &nvalues);
  if (r == KC_ERR_PERMISSION || r == KC_ERR_NOT_FOUND) {
    give_up("slapd does not let an account read its own userPassword");
    return KC_REHASH_OFF;
  }
  if (r == KC_ERR_INVALID) /* a ppolicy warning on the bind: not now */
    return KC_REHASH_OFF;
  if (r != 0 && r != KC_ERR_TOO_LARGE) {
    kc_log_warnx("password hash: cannot read it (%s); user=%s",
                 kc_ldap_error(l), u->uid);
    return KC_REHASH_FAILED;
  }
  if (nvalues != 1) { /* which one did the password match? */
    sodium_memzero(stored, sizeof(stored));
    return KC_REHASH_LEFT;
  }
  /* (a value too long for stored is judged by its beginning: its scheme,
   * or an {ARGON2} string no argon2 parameters of ours can make) */
  v = kc_rehash_judge(stored, what, sizeof(what));
  sodium_memzero(stored, sizeof(stored));
  if (v == KC_REHASH_KEEP)
    return KC_REHASH_CURRENT;
  if (v == KC_REHASH_LEAVE)
    return KC_REHASH_LEFT;
  memset(&j, 0, sizeof(j));
  len = strlen(password);
  if (strlen(u->dn) >= sizeof(j.dn) || strlen(u->uid) >= sizeof(j.uid) ||
      strlen(u->policy_dn) >= sizeof(j.policy_dn) ||
      (j.password = sodium_malloc(len + 1)) == NULL)
    return KC_REHASH_FAILED;
  memcpy(j.password, password, len + 1);
  memcpy(j.dn, u->dn, strlen(u->dn) + 1);
  memcpy(j.uid, u->uid, strlen(u->uid) + 1);
  memcpy(j.policy_dn, u->policy_dn, strlen(u->policy_dn) + 1);
  memcpy(j.what, what, sizeof(j.what));
  j.slot = l->servers_ok ? l->servers.slot[l->usr_at] : -1;
  return enqueue(&j) ? KC_REHASH_QUEUED : KC_REHASH_FAILED;
}

/* ----------------------------------------------------------- the worker */

static void
upgrade(struct kc_ldap *l, const struct job *j)
{
  struct kc_ldap_rehash_state st;
  struct kc_buf hash;
  const char *uri;
  time_t changed;
  unsigned m, t;
  int r;

  if ((r = kc_ldap_rehash_state(l, j->dn, j->policy_dn, &st)) != 0) {
    kc_log_warnx("password hash not upgraded: cannot read the account "
                 "(%s); user=%s",
                 kc_ldap_error(l), j->uid);
    return;
  }
  /* the hash was read from one server, the write goes to one: the same,
   * or a change on the other one may not have arrived yet */
  uri = kc_ldap_server_in_use(l);
  if (j->slot < 0 || uri == NULL ||
      strcmp(uri, kc_ldap_server_uri(j->slot)) != 0) {
    kc_log_info("password hash not upgraded: the login and the upgrade "
                "are on different LDAP servers; user=%s",
                j->uid);
    return;
  }
  if (st.locked || st.reset || st.failures || st.grace) {
    kc_log_info("password hash not upgraded: the account was locked, "
                "reset or had a failed login since; user=%s",
                j->uid);
    return;
  }
  if (st.last_success) {
    /* ppolicy would delete pwdLastSuccess, and with pwdMaxIdle the
     * account would count as idle since pwdChangedTime */
    kc_log_info("password hash not upgraded: the account has "
                "pwdLastSuccess (slapd's olcLastBind), which the upgrade "
                "would delete; user=%s",
                j->uid);
    return;
  }
  if (st.min_age > 0 && st.pwd_changed[0] != '\0' &&
      kc_ldap_parse_time(st.pwd_changed, &changed) == 0 &&
      time(NULL) < changed + st.min_age) {
    kc_log_info("password hash not upgraded yet: pwdMinAge; user=%s", j->uid);
    return;
  }
  if (kc_password_hash(&hash, j->password) != 0) {
    kc_log_warnx("password hash not upgraded: no memory for the new hash; "
                 "user=%s",
                 j->uid);
    return;
  }
  r = kc_ldap_password_rehash(l, j->dn, &st, j->password, kc_buf_get(&hash));
  kc_buf_free(&hash);
  kc_password_cost(&m, &t);
  switch (r) {
    case 0:
      kc_log_info("password hash upgraded from %s to argon2id m=%u t=%u; "
                  "user=%s",
                  j->what, m, t, j->uid);
      break;
    case KC_ERR_DUPLICATE:
      kc_log_info("password hash not upgraded: the account changed "
                  "meanwhile; user=%s",
                  j->uid);
      break;
    case KC_ERR_PERMISSION:
      kc_log_warnx("password hash not upgraded: slapd refused (%s); user=%s",
                   kc_ldap_error(l), j->uid);
      give_up("slapd refuses kcd the upgrade");
      break;
    default:
      kc_log_info("password hash not upgraded (%s); user=%s", kc_ldap_error(l),
                  j->uid);
      break;
  }
}

static void *
worker_main(void *arg)
{
  struct kc_ldap l;
  struct job j;
  bool stop;

  (void) arg;
  kc_ldap_init(&l, w.cfg);
  pthread_mutex_lock(&w.mu);
  for (;;) {
    while (w.n == 0 && !w.stop)
      pthread_cond_wait(&w.more, &w.mu);
    if (w.n == 0) /* stop, and nothing left */
      break;
    j = w.q[w.head];
    memset(&w.q[w.head], 0, sizeof(w.q[w.head]));
    w.head = (w.head + 1) % KC_REHASH_QUEUE;
    w.n--;
    stop = w.stop;
    pthread_mutex_unlock(&w.mu);
    if (!stop && enabled && paused_until <= now_mono())
      upgrade(&l, &j);
    job_clear(&j);
    pthread_mutex_lock(&w.mu);
  }
  pthread_mutex_unlock(&w.mu);
  kc_ldap_close(&l);
  return NULL;
}

int
kc_rehash_start(const struct kc_ldap_cfg *ldap)
{
  pthread_mutex_lock(&w.mu);
  if (w.running) {
    pthread_mutex_unlock(&w.mu);
    return 0;
  }
  w.cfg = ldap;
  w.stop = false;
  w.head = w.n = 0;
  if (pthread_create(&w.thread, NULL, worker_main, NULL) != 0) {
    pthread_mutex_unlock(&w.mu);
    return KC_ERR_SYSTEM;
  }
  w.running = true;
  pthread_mutex_unlock(&w.mu);
  return 0;
}

void
kc_rehash_stop(void)
{
  pthread_mutex_lock(&w.mu);
  if (!w.running) {
    pthread_mutex_unlock(&w.mu);
    return;
  }
  w.stop = true;
  pthread_cond_signal(&w.more);
  pthread_mutex_unlock(&w.mu);
  pthread_join(w.thread, NULL);
  pthread_mutex_lock(&w.mu);
  while (w.n > 0) { /* not done: wipe the passwords */
    job_clear(&w.q[w.head]);
    w.head = (w.head + 1) % KC_REHASH_QUEUE;
    w.n--;
  }
  w.running = false;
  pthread_mutex_unlock(&w.mu);
}
