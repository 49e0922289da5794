/*
 * bench.h: what the parts of kc-bench-auth share.
 *
 * A benchmark is a list of configurations ("a ldap ...", "b pam ...", see
 * kc-bench-auth.c); each runs at each concurrency in one or more rounds.
 * A worker (a process of its own, as sshd forks one per login) repeats one
 * operation and writes the start and end of each into shared memory; the
 * parent keeps only the operations that ended inside the measuring window.
 */
#ifndef KC_BENCH_H
#define KC_BENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum bench_mode {
  MODE_PAM = 0, /* pam_start_confdir + authenticate + acct_mgmt + pam_end */
  MODE_LDAP,    /* raw libldap: search as the service DN, bind as the user */
  MODE_VERIFY   /* in process: crypto_pwhash_str_verify of the stored hash */
};

struct bench_user {
  char *name;
  char *password;
  char *mail; /* emailTAN accounts: where the TAN goes; else NULL */
  char *hash; /* verify mode: the userPassword value ({ARGON2}$argon2...) */
};

/* Where a benchmark talks to (the same for every configuration). */
struct bench_target {
  const char *confdir;  /* PAM service directory (pam mode) */
  const char *maildir;  /* kcd's maildir: transport (TAN users) */
  const char *ldap_uri; /* ldap mode */
  const char *ldap_base;
  const char *bind_dn;
  char *bind_pw;
};

/* One configuration, e.g. "b pam service=kc-bench users=FILE". */
struct bench_cfg {
  char label[16];
  char desc[192];
  char only_conc[32]; /* "16": run only at these concurrencies */
  enum bench_mode mode;
  char service[64];
  char ldap_uri[128]; /* ldap mode: this slapd instead of --ldap-uri */
  struct bench_user *users;
  size_t nusers;
  unsigned *sends; /* TAN mails per user so far (shared memory) */
  unsigned max_sends;
  bool expect_fail; /* a refused login is the expected outcome */
};

/* One timed operation, as a worker records it. */
struct bench_rec {
  int64_t t0_us;
  int64_t t1_us;
  int32_t ok;
  int32_t code; /* PAM or LDAP result of a failed operation */
};

/* Per-worker state of an operation: connections, the PAM conversation. */
struct bench_worker {
  const struct bench_target *tgt;
  const struct bench_cfg *cfg;
  const struct bench_user *user; /* of the operation in progress */
  void *ld_svc;                  /* LDAP *: search connection */
  void *ld_usr;                  /* LDAP *: bind connection */
  long rss_kib_in_op;            /* VmRSS with the PAM handle open, or -1 */
  unsigned index;                /* of the worker: picks one of several
                                    services (service=a,b) */
  bool sample_rss;
  char err[160]; /* first failure, for the report */
};

int64_t bench_now_us(void);
long bench_rss_kib(void);

/* Run one operation for w->user; true on success (PAM_SUCCESS from both
 * steps, or LDAP success of search and bind). *code gets the result of a
 * failure. */
bool bench_op_pam(struct bench_worker *w, int *code);
bool bench_op_ldap(struct bench_worker *w, int *code);
bool bench_op_verify(struct bench_worker *w, int *code);
void bench_worker_close(struct bench_worker *w);

/* The TAN kcd mailed to addr, read from maildir/new; the mail (and any
 * older one to addr) is removed. Waits up to timeout_ms. 0 or -1. */
int bench_tan_from_maildir(const char *maildir, const char *addr,
  char *tan, size_t tanlen, int timeout_ms);

#endif /* KC_BENCH_H */
