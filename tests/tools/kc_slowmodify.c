/*
 * kc_slowmodify.c: an LD_PRELOAD library for the integration tests. It
 * holds back the first synchronous LDAP modify of a process by
 * KC_SLOW_MODIFY_MS milliseconds (unset: not at all), so that two kcadm
 * started together both read the directory before either writes: the
 * race that kcadm's second look (admin_membership.c) must catch. Later
 * modifies (the undo) pass at once.
 */
#include <config.h>

#include <dlfcn.h>
#include <stdlib.h>
#include <time.h>

#include <ldap.h>

typedef int (*modify_fn)(LDAP *, LDAP_CONST char *, LDAPMod **, LDAPControl **,
                         LDAPControl **);

static void
hold_back(void)
{
  static int calls;
  const char *ms = getenv("KC_SLOW_MODIFY_MS");
  struct timespec ts;
  long n;

  if (calls++ > 0 || ms == NULL || (n = strtol(ms, NULL, 10)) <= 0)
    return;
  ts.tv_sec = n / 1000;
  ts.tv_nsec = (n % 1000) * 1000000L;
  while (nanosleep(&ts, &ts) != 0)
    continue;
}

int
ldap_modify_ext_s(LDAP *ld, LDAP_CONST char *dn, LDAPMod **mods,
                  LDAPControl **sctrls, LDAPControl **cctrls)
{
  modify_fn real;

  /* the POSIX way to turn dlsym's answer into a function pointer */
  *(void **) &real = dlsym(RTLD_NEXT, "ldap_modify_ext_s");
  if (real == NULL)
    abort();
  hold_back();
  return real(ld, dn, mods, sctrls, cctrls);
}
