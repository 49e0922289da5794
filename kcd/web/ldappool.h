/*
 * ldappool.h: the LDAP connections the web threads share.
 *
 * A fixed number of service connections (struct kc_ldap, kc_ldap.h), each
 * lent to one thread at a time: kc_ldappool_get waits while all are out.
 * Thread-safe. The pool is the web core's; pages borrow through
 * kc_http_ldap_get/put (http.h).
 */
#ifndef KC_LDAPPOOL_H
#define KC_LDAPPOOL_H

#include <pthread.h>
#include <stdbool.h>

#include "kc_attrs.h"
#include "kc_ldap.h"

/* LDAP connections shared by the web threads. */
#define KC_LDAPPOOL_SIZE 8

struct kc_ldappool {
  pthread_mutex_t mu;
  pthread_cond_t cv;
  struct kc_ldap ldap[KC_LDAPPOOL_SIZE];
  bool busy[KC_LDAPPOOL_SIZE];
};

/* Set up the pool; connections are opened on first use (kc_ldap_init). */
void kc_ldappool_init(struct kc_ldappool *p, const struct kc_ldap_cfg *cfg)
  KC_NONNULL(1, 2);
/* Close every connection. No connection may be out. */
void kc_ldappool_close(struct kc_ldappool *p) KC_NONNULL(1);

/* Borrow a connection (waits while all are in use) and give it back. */
struct kc_ldap *kc_ldappool_get(struct kc_ldappool *p) KC_NONNULL(1);
void kc_ldappool_put(struct kc_ldappool *p, struct kc_ldap *l) KC_NONNULL(1, 2);

#endif /* KC_LDAPPOOL_H */
