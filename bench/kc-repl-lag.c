/*
 * kc-repl-lag: how long a TAN write on one LDAP provider takes to show on
 * the other (multi-provider replication, DESIGN §13).
 *
 *   kc-repl-lag --from URI --to URI --bind-dn DN --bind-pw-file FILE
 *               --dn ACCOUNT_DN [--count N] [--pause-ms MS]
 *
 * Each round writes what kcd writes when it sends a TAN (kcTanChallenge,
 * kcTanHash, kcTanExpires, kcTanTries: one modify, fresh random values) on
 * --from as kcd's service DN, starts the clock when slapd has answered
 * (the write is committed there), and searches --to for the new kcTanHash
 * as fast as it answers until it is there. Prints every lag, then the
 * median, p99 and maximum in milliseconds. The accounts' TAN state is
 * left as the last round wrote it. Exit status 0, or 1 (a write failed, or
 * a value did not arrive within 30 s).
 */
#include <config.h>

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <ldap.h>
#include <sodium.h>

static void
die(const char *msg, int rc)
{
  fprintf(stderr, "kc-repl-lag: %s%s%s\n", msg, rc != 0 ? ": " : "",
          rc != 0 ? ldap_err2string(rc) : "");
  exit(1);
}

static long long
now_us(void)
{
  struct timespec ts;

  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long) ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static LDAP *
connect_as(const char *uri, const char *dn, const char *pw)
{
  struct berval cred = {strlen(pw), (char *) (uintptr_t) pw};
  int version = LDAP_VERSION3, rc;
  LDAP *ld;

  if ((rc = ldap_initialize(&ld, uri)) != LDAP_SUCCESS)
    die(uri, rc);
  ldap_set_option(ld, LDAP_OPT_PROTOCOL_VERSION, &version);
  rc = ldap_sasl_bind_s(ld, dn, LDAP_SASL_SIMPLE, &cred, NULL, NULL, NULL);
  if (rc != LDAP_SUCCESS)
    die("bind", rc);
  return ld;
}

static char *
read_pw(const char *path)
{
  static char buf[512];
  FILE *f = fopen(path, "r");
  size_t n;

  if (f == NULL) {
    fprintf(stderr, "kc-repl-lag: %s: %s\n", path, strerror(errno));
    exit(1);
  }
  n = fread(buf, 1, sizeof(buf) - 1, f);
  fclose(f);
  while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
    n--;
  buf[n] = '\0';
  return buf;
}

static int
cmp_ll(const void *a, const void *b)
{
  long long x = *(const long long *) a, y = *(const long long *) b;

  return (x > y) - (x < y);
}

int
main(int argc, char **argv)
{
  static const struct option opts[] =
    {{"from", required_argument, NULL, 'f'},
     {"to", required_argument, NULL, 't'},
     {"bind-dn", required_argument, NULL, 'D'},
     {"bind-pw-file", required_argument, NULL, 'y'},
     {"dn", required_argument, NULL, 'd'},
     {"count", required_argument, NULL, 'n'},
     {"pause-ms", required_argument, NULL, 'p'},
     {NULL, 0, NULL, 0}};
  const char *from = NULL, *to = NULL, *bind_dn = NULL, *pw_file = NULL,
             *dn = NULL;
  long count = 50, pause_ms = 50, i;
  long long *lag;
  LDAP *a, *b;
  int c;

  while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
    switch (c) {
      case 'f':
        from = optarg;
        break;
      case 't':
        to = optarg;
        break;
      case 'D':
        bind_dn = optarg;
        break;
      case 'y':
        pw_file = optarg;
        break;
      case 'd':
        dn = optarg;
        break;
      case 'n':
        count = strtol(optarg, NULL, 10);
        break;
      case 'p':
        pause_ms = strtol(optarg, NULL, 10);
        break;
      default:
        exit(2);
    }
  }
  if (from == NULL || to == NULL || bind_dn == NULL || pw_file == NULL ||
      dn == NULL || count < 1 || count > 100000 || pause_ms < 0) {
    fprintf(stderr,
            "usage: kc-repl-lag --from URI --to URI --bind-dn DN "
            "--bind-pw-file FILE --dn DN [--count N] [--pause-ms MS]\n");
    return 2;
  }
  if (sodium_init() < 0)
    die("sodium_init", 0);
  a = connect_as(from, bind_dn, read_pw(pw_file));
  b = connect_as(to, bind_dn, read_pw(pw_file));
  if ((lag = calloc((size_t) count, sizeof(*lag))) == NULL)
    die("out of memory", 0);
  for (i = 0; i < count; i++) {
    unsigned char raw[32];
    char hash[65], challenge[17], expires[32], filter[96];
    char zero[] = "0", one_one[] = "1.1";
    char *v_ch[] = {challenge, NULL}, *v_h[] = {hash, NULL},
         *v_e[] = {expires, NULL}, *v_t[] = {zero, NULL};
    char a_ch[] = "kcTanChallenge", a_h[] = "kcTanHash", a_e[] = "kcTanExpires",
         a_t[] = "kcTanTries";
    LDAPMod m_ch = {LDAP_MOD_REPLACE, a_ch, {v_ch}},
            m_h = {LDAP_MOD_REPLACE, a_h, {v_h}},
            m_e = {LDAP_MOD_REPLACE, a_e, {v_e}},
            m_t = {LDAP_MOD_REPLACE, a_t, {v_t}};
    LDAPMod *mods[] = {&m_ch, &m_h, &m_e, &m_t, NULL};
    char *attrs[] = {one_one, NULL};
    time_t exp = time(NULL) + 300;
    struct tm tm;
    long long t0;
    int rc;

    randombytes_buf(raw, sizeof(raw));
    sodium_bin2hex(hash, sizeof(hash), raw, sizeof(raw));
    sodium_bin2hex(challenge, sizeof(challenge), raw, 8);
    gmtime_r(&exp, &tm);
    strftime(expires, sizeof(expires), "%Y%m%d%H%M%SZ", &tm);
    snprintf(filter, sizeof(filter), "(kcTanHash=%s)", hash);
    if ((rc = ldap_modify_ext_s(a, dn, mods, NULL, NULL)) != LDAP_SUCCESS)
      die("modify", rc);
    t0 = now_us();
    for (;;) {
      LDAPMessage *res = NULL;
      int n;

      rc = ldap_search_ext_s(b, dn, LDAP_SCOPE_BASE, filter, attrs, 0, NULL,
                             NULL, NULL, 1, &res);
      n = rc == LDAP_SUCCESS ? ldap_count_entries(b, res) : -1;
      ldap_msgfree(res);
      if (rc != LDAP_SUCCESS && rc != LDAP_NO_SUCH_OBJECT)
        die("search", rc);
      if (n > 0)
        break;
      if (now_us() - t0 > 30 * 1000000LL)
        die("the write did not arrive within 30 s", 0);
    }
    lag[i] = now_us() - t0;
    printf("lag %ld: %.2f ms\n", i + 1, (double) lag[i] / 1000.0);
    if (pause_ms > 0)
      usleep((useconds_t) pause_ms * 1000);
  }
  qsort(lag, (size_t) count, sizeof(*lag), cmp_ll);
  printf("replication lag of a TAN write, %ld writes: median %.2f ms, "
         "p99 %.2f ms, max %.2f ms\n",
         count, (double) lag[count / 2] / 1000.0,
         (double) lag[(count * 99 + 99) / 100 - 1] / 1000.0,
         (double) lag[count - 1] / 1000.0);
  ldap_unbind_ext_s(a, NULL, NULL);
  ldap_unbind_ext_s(b, NULL, NULL);
  free(lag);
  return 0;
}
