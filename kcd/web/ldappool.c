/*
 * ldappool.c: the LDAP connections the web threads share (see ldappool.h).
 */
#include <config.h>

#include "ldappool.h"

void
kc_ldappool_init(struct kc_ldappool *p, const struct kc_ldap_cfg *cfg)
{
  size_t i;

  pthread_mutex_init(&p->mu, NULL);
  pthread_cond_init(&p->cv, NULL);
  for (i = 0; i < KC_LDAPPOOL_SIZE; i++) {
    p->busy[i] = false;
    kc_ldap_init(&p->ldap[i], cfg);
  }
}

void
kc_ldappool_close(struct kc_ldappool *p)
{
  size_t i;

  for (i = 0; i < KC_LDAPPOOL_SIZE; i++)
    kc_ldap_close(&p->ldap[i]);
}

struct kc_ldap *
kc_ldappool_get(struct kc_ldappool *p)
{
  size_t i;

  pthread_mutex_lock(&p->mu);
  for (;;) {
    for (i = 0; i < KC_LDAPPOOL_SIZE; i++) {
      if (!p->busy[i]) {
        p->busy[i] = true;
        pthread_mutex_unlock(&p->mu);
        return &p->ldap[i];
      }
    }
    pthread_cond_wait(&p->cv, &p->mu);
  }
}

void
kc_ldappool_put(struct kc_ldappool *p, struct kc_ldap *l)
{
  size_t i = (size_t) (l - p->ldap);

  pthread_mutex_lock(&p->mu);
  p->busy[i] = false;
  pthread_cond_signal(&p->cv);
  pthread_mutex_unlock(&p->mu);
}
