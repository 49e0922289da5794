/*
 * kc_slowmodify.c: an LD_PRELOAD library for the integration tests, with
 * two uses.
 *
 * KC_SLOW_MODIFY_MS=N holds back the first synchronous LDAP modify of a
 * process by N milliseconds, so that two kcadm started together both read
 * the directory before either writes: the race that kcadm's second look
 * (admin_membership.c) must catch. Later modifies (the undo) pass at once.
 *
 * KC_SLOW_WRITE_LOG=FILE counts every write of the process (modify, add,
 * delete, rename, password modify; synchronous or started asynchronously)
 * and appends a line "write N OP DN" to FILE for each, so a test learns
 * the LDAP steps of a flow. With KC_SLOW_WRITE_NTH=N the N-th write is held for
 * KC_SLOW_WRITE_MS milliseconds (default 60000), after the line "held N
 * OP DN" is appended: KC_SLOW_WRITE_WHEN=before (the default) holds it
 * before it is sent, =after once slapd has answered it (for an
 * asynchronous start: once it is sent). A test waits for the "held"
 * line and kills the process there: in the middle of a write, or between
 * two writes.
 */
#include <config.h>

#include <dlfcn.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <ldap.h>

typedef int (*modify_fn)(LDAP *, LDAP_CONST char *, LDAPMod **, LDAPControl **,
                         LDAPControl **);
typedef int (*delete_fn)(LDAP *, LDAP_CONST char *, LDAPControl **,
                         LDAPControl **);
typedef int (*modify_async_fn)(LDAP *, LDAP_CONST char *, LDAPMod **,
                               LDAPControl **, LDAPControl **, int *);
typedef int (*rename_fn)(LDAP *, LDAP_CONST char *, LDAP_CONST char *,
                         LDAP_CONST char *, int, LDAPControl **,
                         LDAPControl **);

static atomic_int writes;
/* Inside one of our synchronous wrappers: libldap's ldap_modify_ext_s
 * calls ldap_modify_ext, which must not count a second time. */
static _Thread_local int inside;

static void
sleep_ms(long n)
{
  struct timespec ts;

  ts.tv_sec = n / 1000;
  ts.tv_nsec = (n % 1000) * 1000000L;
  while (nanosleep(&ts, &ts) != 0)
    continue;
}

static void
hold_back(void)
{
  static atomic_int calls;
  const char *ms = getenv("KC_SLOW_MODIFY_MS");
  long n;

  if (atomic_fetch_add(&calls, 1) > 0 || ms == NULL ||
      (n = strtol(ms, NULL, 10)) <= 0)
    return;
  sleep_ms(n);
}

/* One line to KC_SLOW_WRITE_LOG, in one write(2) so lines of threads do
 * not mix. */
static void
log_line(const char *what, int n, const char *op, const char *dn)
{
  const char *path = getenv("KC_SLOW_WRITE_LOG");
  char line[1024];
  int fd, len;

  if (path == NULL || path[0] == '\0')
    return;
  len = snprintf(line, sizeof(line), "%s %d %s %s\n", what, n, op,
                 dn != NULL ? dn : "");
  if (len < 0)
    return;
  if ((size_t) len >= sizeof(line))
    len = (int) sizeof(line) - 1;
  fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0)
    return;
  if (write(fd, line, (size_t) len) < 0)
    (void) 0; /* a test tool: the test sees the line missing */
  close(fd);
}

/* The number of this write; 0 when writes are not counted. */
static int
write_begin(const char *op, const char *dn)
{
  int n;

  if (inside || getenv("KC_SLOW_WRITE_LOG") == NULL)
    return 0;
  n = atomic_fetch_add(&writes, 1) + 1;
  log_line("write", n, op, dn);
  return n;
}

/* Hold write n when it is the chosen one and when is the chosen moment. */
static void
write_hold(int n, const char *when, const char *op, const char *dn)
{
  const char *nth = getenv("KC_SLOW_WRITE_NTH");
  const char *w = getenv("KC_SLOW_WRITE_WHEN");
  const char *ms = getenv("KC_SLOW_WRITE_MS");

  if (n == 0 || nth == NULL || strtol(nth, NULL, 10) != n)
    return;
  if (strcmp(w != NULL && w[0] != '\0' ? w : "before", when) != 0)
    return;
  log_line("held", n, op, dn);
  sleep_ms(ms != NULL ? strtol(ms, NULL, 10) : 60000);
}

static void *
real_fn(const char *name)
{
  void *f = dlsym(RTLD_NEXT, name);

  if (f == NULL)
    abort();
  return f;
}

int
ldap_modify_ext_s(LDAP *ld, LDAP_CONST char *dn, LDAPMod **mods,
                  LDAPControl **sctrls, LDAPControl **cctrls)
{
  modify_fn real;
  int n, rc;

  /* the POSIX way to turn dlsym's answer into a function pointer */
  *(void **) &real = real_fn("ldap_modify_ext_s");
  hold_back();
  n = write_begin("modify", dn);
  write_hold(n, "before", "modify", dn);
  inside++;
  rc = real(ld, dn, mods, sctrls, cctrls);
  inside--;
  write_hold(n, "after", "modify", dn);
  return rc;
}

int
ldap_add_ext_s(LDAP *ld, LDAP_CONST char *dn, LDAPMod **mods,
               LDAPControl **sctrls, LDAPControl **cctrls)
{
  modify_fn real;
  int n, rc;

  *(void **) &real = real_fn("ldap_add_ext_s");
  n = write_begin("add", dn);
  write_hold(n, "before", "add", dn);
  inside++;
  rc = real(ld, dn, mods, sctrls, cctrls);
  inside--;
  write_hold(n, "after", "add", dn);
  return rc;
}

int
ldap_delete_ext_s(LDAP *ld, LDAP_CONST char *dn, LDAPControl **sctrls,
                  LDAPControl **cctrls)
{
  delete_fn real;
  int n, rc;

  *(void **) &real = real_fn("ldap_delete_ext_s");
  n = write_begin("delete", dn);
  write_hold(n, "before", "delete", dn);
  inside++;
  rc = real(ld, dn, sctrls, cctrls);
  inside--;
  write_hold(n, "after", "delete", dn);
  return rc;
}

int
ldap_rename_s(LDAP *ld, LDAP_CONST char *dn, LDAP_CONST char *newrdn,
              LDAP_CONST char *newparent, int deleteoldrdn,
              LDAPControl **sctrls, LDAPControl **cctrls)
{
  rename_fn real;
  int n, rc;

  *(void **) &real = real_fn("ldap_rename_s");
  n = write_begin("rename", dn);
  write_hold(n, "before", "rename", dn);
  inside++;
  rc = real(ld, dn, newrdn, newparent, deleteoldrdn, sctrls, cctrls);
  inside--;
  write_hold(n, "after", "rename", dn);
  return rc;
}

int
ldap_add_ext(LDAP *ld, LDAP_CONST char *dn, LDAPMod **mods,
             LDAPControl **sctrls, LDAPControl **cctrls, int *msgidp)
{
  modify_async_fn real;
  int n, rc;

  *(void **) &real = real_fn("ldap_add_ext");
  n = write_begin("add-start", dn);
  write_hold(n, "before", "add-start", dn);
  rc = real(ld, dn, mods, sctrls, cctrls, msgidp);
  write_hold(n, "after", "add-start", dn);
  return rc;
}

int
ldap_modify_ext(LDAP *ld, LDAP_CONST char *dn, LDAPMod **mods,
                LDAPControl **sctrls, LDAPControl **cctrls, int *msgidp)
{
  modify_async_fn real;
  int n, rc;

  *(void **) &real = real_fn("ldap_modify_ext");
  n = write_begin("modify-start", dn);
  write_hold(n, "before", "modify-start", dn);
  rc = real(ld, dn, mods, sctrls, cctrls, msgidp);
  write_hold(n, "after", "modify-start", dn);
  return rc;
}

/* The password modify extended operation (RFC 3062), which kcd sends as
 * the user: a write as well. */
int
ldap_passwd(LDAP *ld, struct berval *user, struct berval *oldpw,
            struct berval *newpw, LDAPControl **sctrls, LDAPControl **cctrls,
            int *msgidp)
{
  typedef int (*passwd_fn)(LDAP *, struct berval *, struct berval *,
                           struct berval *, LDAPControl **, LDAPControl **,
                           int *);
  passwd_fn real;
  char dn[512] = "";
  int n, rc;

  *(void **) &real = real_fn("ldap_passwd");
  if (user != NULL && user->bv_val != NULL)
    snprintf(dn, sizeof(dn), "%.*s",
             (int) (user->bv_len < sizeof(dn) ? user->bv_len : sizeof(dn) - 1),
             user->bv_val);
  n = write_begin("passwd-start", dn);
  write_hold(n, "before", "passwd-start", dn);
  rc = real(ld, user, oldpw, newpw, sctrls, cctrls, msgidp);
  write_hold(n, "after", "passwd-start", dn);
  return rc;
}
