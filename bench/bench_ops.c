/*
 * bench_ops.c: the operations kc-bench-auth times.
 *
 * pam:  what sshd does for one login: pam_start_confdir(), pam_set_item
 *       RHOST/TTY, pam_authenticate(), pam_acct_mgmt(), pam_end(). The
 *       conversation answers the password prompt with the password and a
 *       prompt whose last line starts with "TAN" with the TAN from the
 *       mail kcd just wrote into its maildir.
 * ldap: the least an LDAP password check costs, as kcd does it: a search
 *       for the account on a connection bound as the service DN, then a
 *       simple bind as the user (with the ppolicy control) on a second
 *       connection. Both connections stay open, as kcd's do.
 * verify: what slapd's {ARGON2} check costs at the least: libsodium's
 *       crypto_pwhash_str_verify of the account's stored hash, in this
 *       process (no LDAP, no slapd).
 */
#include <config.h>

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <ldap.h>
#include <security/pam_appl.h>
#include <sodium.h>

#include "bench.h"
#include "kc_wipe.h"

#define MAIL_MAX 16384       /* a TAN mail is about 1 KiB */
#define NAME_MAX_LEN 256     /* maildir file names */
#define LDAP_TIMEOUT_S 60    /* argon2 under load is slow, never this slow */

int64_t
bench_now_us(void)
{
  struct timespec ts;

  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t) ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* VmRSS of this process in KiB, or -1. */
long
bench_rss_kib(void)
{
  char line[256];
  long kib = -1;
  FILE *f = fopen("/proc/self/status", "re");

  if (f == NULL)
    return -1;
  while (fgets(line, sizeof(line), f) != NULL) {
    if (strncmp(line, "VmRSS:", 6) == 0) {
      kib = strtol(line + 6, NULL, 10);
      break;
    }
  }
  fclose(f);
  return kib;
}

/* ---------------------------------------------------------- maildir TAN */

/* Read a whole small file; length or -1. */
static ssize_t
slurp(int dirfd, const char *name, char *buf, size_t cap)
{
  ssize_t n, len = 0;
  int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);

  if (fd < 0)
    return -1;
  while ((size_t) len < cap - 1 &&
    (n = read(fd, buf + len, cap - 1 - (size_t) len)) > 0)
    len += n;
  close(fd);
  buf[len] = '\0';
  return len;
}

/* Is the To: header of the mail in buf exactly addr (or "<addr>")? */
static bool
mail_is_to(const char *buf, const char *addr)
{
  const char *p = buf, *end, *v;
  size_t alen = strlen(addr);

  while (*p != '\0' && *p != '\r' && *p != '\n') { /* header lines */
    end = strchr(p, '\n');
    if (end == NULL)
      return false;
    if (strncasecmp(p, "To:", 3) == 0) {
      for (v = p + 3; *v == ' ' || *v == '\t'; v++)
        ;
      if (*v == '<')
        v++;
      return strncasecmp(v, addr, alen) == 0 &&
        (v[alen] == '>' || v[alen] == '\r' || v[alen] == '\n');
    }
    p = end + 1;
  }
  return false;
}

/* The TAN: the first body line that is 6 to 8 digits, blanks around. */
static int
mail_tan(const char *buf, char *tan, size_t tanlen)
{
  const char *body = strstr(buf, "\r\n\r\n"), *p, *q;
  size_t n;

  body = body != NULL ? body + 4 : strstr(buf, "\n\n");
  if (body == NULL)
    return -1;
  for (p = body; *p != '\0'; p = q + (*q != '\0')) {
    while (*p == ' ' || *p == '\t')
      p++;
    for (q = p, n = 0; isdigit((unsigned char) *q); q++)
      n++;
    if (n >= 6 && n <= 8 && n < tanlen &&
      (*q == '\r' || *q == '\n' || *q == ' ' || *q == '\0')) {
      memcpy(tan, p, n);
      tan[n] = '\0';
      return 0;
    }
    q = strchr(p, '\n');
    if (q == NULL)
      break;
  }
  return -1;
}

/* One pass over new/: the newest mail to addr (by file name, which starts
 * with the delivery time) gives the TAN; every mail to addr goes. */
static int
tan_scan(int dirfd, const char *addr, char *tan, size_t tanlen)
{
  char best[NAME_MAX_LEN] = "", *buf = malloc(MAIL_MAX);
  struct dirent *de;
  DIR *d;
  int found = -1, fd2 = dup(dirfd);

  if (buf == NULL || fd2 < 0 || (d = fdopendir(fd2)) == NULL) {
    free(buf);
    if (fd2 >= 0)
      close(fd2);
    return -1;
  }
  rewinddir(d);
  while ((de = readdir(d)) != NULL) {
    if (de->d_name[0] == '.' || slurp(dirfd, de->d_name, buf, MAIL_MAX) < 0 ||
      !mail_is_to(buf, addr))
      continue;
    if (strcmp(de->d_name, best) > 0 && mail_tan(buf, tan, tanlen) == 0 &&
      strlen(de->d_name) < sizeof(best)) {
      memcpy(best, de->d_name, strlen(de->d_name) + 1);
      found = 0;
    }
    (void) unlinkat(dirfd, de->d_name, 0);
  }
  closedir(d);
  kc_wipe(buf, MAIL_MAX);
  free(buf);
  return found;
}

int
bench_tan_from_maildir(const char *maildir, const char *addr, char *tan,
  size_t tanlen, int timeout_ms)
{
  char path[4096];
  int64_t deadline = bench_now_us() + (int64_t) timeout_ms * 1000;
  int dirfd, r = -1;

  if ((size_t) snprintf(path, sizeof(path), "%s/new", maildir) >=
    sizeof(path))
    return -1;
  if ((dirfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
    return -1;
  /* kcd writes the mail before it answers, so the first pass finds it. */
  while ((r = tan_scan(dirfd, addr, tan, tanlen)) != 0 &&
    bench_now_us() < deadline)
    (void) poll(NULL, 0, 2);
  close(dirfd);
  return r;
}

/* ------------------------------------------------------------------ pam */

static bool
asks_tan(const char *msg)
{
  const char *last = strrchr(msg, '\n');

  return strncmp(last != NULL ? last + 1 : msg, "TAN", 3) == 0;
}

static char *
answer(struct bench_worker *w, const struct pam_message *m)
{
  char tan[16];
  char *r;

  switch (m->msg_style) {
    case PAM_PROMPT_ECHO_OFF:
      if (!asks_tan(m->msg))
        return strdup(w->user->password);
      if (w->user->mail == NULL || w->tgt->maildir == NULL ||
        bench_tan_from_maildir(w->tgt->maildir, w->user->mail, tan,
          sizeof(tan), 5000) != 0) {
        snprintf(w->err, sizeof(w->err), "no TAN mail for %s",
          w->user->name);
        return NULL;
      }
      r = strdup(tan);
      kc_wipe(tan, sizeof(tan));
      return r;
    case PAM_PROMPT_ECHO_ON:
      return strdup(w->user->name);
    default:
      return NULL; /* TEXT_INFO, ERROR_MSG: nothing to answer */
  }
}

static int
conv(int n, const struct pam_message **msg, struct pam_response **out,
  void *data)
{
  struct bench_worker *w = data;
  struct pam_response *r;
  int i;

  *out = NULL;
  if (n <= 0 || n > PAM_MAX_NUM_MSG ||
    (r = calloc((size_t) n, sizeof(*r))) == NULL)
    return PAM_CONV_ERR;
  for (i = 0; i < n; i++) {
    r[i].resp = answer(w, msg[i]);
    if (r[i].resp == NULL && (msg[i]->msg_style == PAM_PROMPT_ECHO_OFF ||
                               msg[i]->msg_style == PAM_PROMPT_ECHO_ON)) {
      while (i >= 0)
        kc_wipe_free_str(r[i--].resp);
      free(r);
      return PAM_CONV_ERR;
    }
  }
  *out = r;
  return PAM_SUCCESS;
}

/* The service of worker w: one of a comma-separated list, by its index. */
static void
pick_service(const struct bench_worker *w, char *out, size_t outlen)
{
  const char *s = w->cfg->service, *end;
  unsigned n = 1, k;
  size_t len;

  for (end = s; *end != '\0'; end++)
    n += *end == ',';
  for (k = w->index % n; k > 0; k--)
    s = strchr(s, ',') + 1;
  end = strchr(s, ',');
  len = end != NULL ? (size_t) (end - s) : strlen(s);
  if (len >= outlen)
    len = outlen - 1;
  memcpy(out, s, len);
  out[len] = '\0';
}

bool
bench_op_pam(struct bench_worker *w, int *code)
{
  struct pam_conv pc = {conv, w};
  pam_handle_t *pamh = NULL;
  int64_t t0 = bench_now_us();
  const char *step;
  char service[64];
  int rc;

  pick_service(w, service, sizeof(service));
#ifdef HAVE_PAM_START_CONFDIR
  rc = pam_start_confdir(service, w->user->name, &pc, w->tgt->confdir, &pamh);
#else
  rc = PAM_SYSTEM_ERR; /* never fall back to the system's /etc/pam.d */
#endif
  if (rc != PAM_SUCCESS) {
    *code = rc;
    snprintf(w->err, sizeof(w->err), "pam_start: %s", pam_strerror(NULL, rc));
    return false;
  }
  (void) pam_set_item(pamh, PAM_RHOST, "127.0.0.1");
  (void) pam_set_item(pamh, PAM_TTY, "ssh");
  step = "pam_authenticate";
  rc = pam_authenticate(pamh, 0);
  if (rc == PAM_SUCCESS) {
    step = "pam_acct_mgmt";
    rc = pam_acct_mgmt(pamh, 0);
  }
  if (w->sample_rss)
    w->rss_kib_in_op = bench_rss_kib();
  if (rc != PAM_SUCCESS && !w->cfg->expect_fail && w->err[0] == '\0')
    snprintf(w->err, sizeof(w->err), "user %s: %s: %s after %.1f s",
      w->user->name, step, pam_strerror(pamh, rc),
      (double) (bench_now_us() - t0) / 1e6);
  pam_end(pamh, rc);
  *code = rc;
  if (w->cfg->expect_fail) /* a clear "no"; not "unavailable" */
    return rc == PAM_AUTH_ERR || rc == PAM_USER_UNKNOWN ||
      rc == PAM_PERM_DENIED || rc == PAM_MAXTRIES || rc == PAM_ACCT_EXPIRED;
  return rc == PAM_SUCCESS;
}

/* ----------------------------------------------------------------- ldap */

/* The slapd of w's configuration (uri=) or of the benchmark. */
static int
ldap_open(const struct bench_worker *w, LDAP **out)
{
  struct timeval tv = {LDAP_TIMEOUT_S, 0};
  int version = LDAP_VERSION3;
  int rc;

  *out = NULL;
  if ((rc = ldap_initialize(out, w->cfg->ldap_uri[0] != '\0'
                                   ? w->cfg->ldap_uri
                                   : w->tgt->ldap_uri)) != LDAP_SUCCESS)
    return rc;
  (void) ldap_set_option(*out, LDAP_OPT_PROTOCOL_VERSION, &version);
  (void) ldap_set_option(*out, LDAP_OPT_REFERRALS, LDAP_OPT_OFF);
  (void) ldap_set_option(*out, LDAP_OPT_NETWORK_TIMEOUT, &tv);
  (void) ldap_set_option(*out, LDAP_OPT_TIMEOUT, &tv);
  return LDAP_SUCCESS;
}

/* Simple bind with the ppolicy request control, as kcd sends it. */
static int
bind_pp(LDAP *ld, const char *dn, const char *pw)
{
  LDAPControl *ctrl = NULL, *sctrls[2] = {NULL, NULL};
  struct berval cred, *servcred = NULL;
  int rc;

  if (ldap_create_passwordpolicy_control(ld, &ctrl) != LDAP_SUCCESS)
    return LDAP_NO_MEMORY;
  sctrls[0] = ctrl;
  cred.bv_val = (char *) (uintptr_t) pw;
  cred.bv_len = strlen(pw);
  rc = ldap_sasl_bind_s(ld, dn, LDAP_SASL_SIMPLE, &cred, sctrls, NULL,
    &servcred);
  ber_bvfree(servcred);
  ldap_control_free(ctrl);
  return rc;
}

static int
svc_ready(struct bench_worker *w)
{
  const struct bench_target *t = w->tgt;
  LDAP *ld;
  int rc;

  if (w->ld_svc != NULL)
    return LDAP_SUCCESS;
  if ((rc = ldap_open(w, &ld)) != LDAP_SUCCESS)
    return rc;
  if ((rc = bind_pp(ld, t->bind_dn, t->bind_pw)) != LDAP_SUCCESS) {
    ldap_unbind_ext_s(ld, NULL, NULL);
    return rc;
  }
  w->ld_svc = ld;
  return LDAP_SUCCESS;
}

/* The account's DN, found as kcd finds it (same filter, same attributes). */
static int
find_dn(struct bench_worker *w, char *dn, size_t dnlen)
{
  static const char *attrs[] = {"uid", "mail", "mobile", "kcTanMethod",
    "kcLanguage", "pwdPolicySubentry", "pwdAccountLockedTime", "pwdReset",
    "kcTanChallenge", "kcTanHash", "kcTanExpires", "kcTanTries",
    "kcTanSentAt", "kcTanWindowStart", "kcTanSendCount", NULL};
  struct timeval tv = {LDAP_TIMEOUT_S, 0};
  LDAPMessage *res = NULL, *e;
  char filter[512], *d;
  int rc;

  if ((rc = svc_ready(w)) != LDAP_SUCCESS)
    return rc;
  snprintf(filter, sizeof(filter), "(&(objectClass=kcAccount)(uid=%s))",
    w->user->name); /* bench user names need no escaping */
  rc = ldap_search_ext_s(w->ld_svc, w->tgt->ldap_base, LDAP_SCOPE_SUBTREE,
    filter, (char **) (uintptr_t) attrs, 0, NULL, NULL, &tv, 2, &res);
  if (rc == LDAP_SUCCESS) {
    e = ldap_first_entry(w->ld_svc, res);
    d = e != NULL ? ldap_get_dn(w->ld_svc, e) : NULL;
    if (d == NULL || strlen(d) >= dnlen)
      rc = LDAP_NO_SUCH_OBJECT;
    else
      memcpy(dn, d, strlen(d) + 1);
    ldap_memfree(d);
  }
  ldap_msgfree(res);
  return rc;
}

bool
bench_op_ldap(struct bench_worker *w, int *code)
{
  char dn[1024];
  LDAP *ld;
  int rc;

  rc = find_dn(w, dn, sizeof(dn));
  if (rc == LDAP_SUCCESS && w->ld_usr == NULL) {
    rc = ldap_open(w, &ld);
    w->ld_usr = ld;
  }
  if (rc == LDAP_SUCCESS)
    rc = bind_pp(w->ld_usr, dn, w->user->password);
  *code = rc;
  if (rc == LDAP_SERVER_DOWN || rc == LDAP_CONNECT_ERROR || rc == LDAP_TIMEOUT)
    bench_worker_close(w); /* reconnect on the next operation */
  if (rc != LDAP_SUCCESS && w->err[0] == '\0')
    snprintf(w->err, sizeof(w->err), "user %s: %s", w->user->name,
      ldap_err2string(rc));
  return rc == LDAP_SUCCESS;
}

/* --------------------------------------------------------------- verify */

bool
bench_op_verify(struct bench_worker *w, int *code)
{
  static const char scheme[] = "{ARGON2}";
  const char *h = w->user->hash;

  if (h == NULL) {
    *code = -1;
    snprintf(w->err, sizeof(w->err), "user %s: no hash", w->user->name);
    return false;
  }
  if (strncmp(h, scheme, sizeof(scheme) - 1) == 0)
    h += sizeof(scheme) - 1;
  *code = crypto_pwhash_str_verify(h, w->user->password,
    strlen(w->user->password));
  if (*code != 0 && w->err[0] == '\0')
    snprintf(w->err, sizeof(w->err), "user %s: crypto_pwhash_str_verify "
      "failed", w->user->name);
  return *code == 0;
}

void
bench_worker_close(struct bench_worker *w)
{
  if (w->ld_svc != NULL)
    ldap_unbind_ext_s(w->ld_svc, NULL, NULL);
  if (w->ld_usr != NULL)
    ldap_unbind_ext_s(w->ld_usr, NULL, NULL);
  w->ld_svc = NULL;
  w->ld_usr = NULL;
}
