/*
 * lockout.c: locks before the password is proven (see lockout.h).
 */
#include <config.h>

#include <string.h>
#include <time.h>

#include "lockout.h"
#include "log.h"
#include "password.h"

void
kc_lockout_hide(const char *password)
{
  kc_password_dummy_verify(password);
}

void
kc_lockout_notice(struct kc_ldap *l, const struct kc_notify *n,
                  const struct kc_ldap_user *before)
{
  struct kc_ldap_user now;
  char err[256];
  long secs = 0;

  if (before->locked_time[0] != '\0')
    return; /* locked already: this failure did not lock it */
  if (kc_ldap_find_user(l, before->uid, &now) != 0 ||
      now.locked_time[0] == '\0' ||
      strcmp(now.locked_time, KC_LDAP_LOCK_FOREVER) == 0)
    return;
  if (kc_ldap_lockout_duration(l, &now, &secs) != 0)
    secs = 0; /* unknown: the notice says "for a while" */
  kc_log_auth("account locked after wrong passwords; user=%s minutes=%ld",
              now.uid, (secs + 59) / 60);
  if (kc_notify_lockout_password(n, &now, secs, err, sizeof(err)) != 0)
    kc_log_warnx("lockout notice not sent; user=%s error=\"%s\"", now.uid, err);
}
