/*
 * admin_ldap.h: kcadm's directory connection (libldap), apart from kcd's
 * worker connections in kc_ldap.c because an admin tool needs what a
 * login path does not: paged listings, writes of whole entries, renames,
 * and a window of asynchronous writes for bulk imports.
 *
 * One struct kc_admin_ldap is one connection, opened with the settings
 * kcd uses (struct kc_ldap_cfg: URI list tried in order, StartTLS, CA
 * file, timeouts) and bound as kcd's service DN, so kcadm needs no rights
 * beyond those schema/acl.ldif grants kcd. Every call waits at most the
 * configured timeout.
 *
 * Results are 0 or a negative KC_ERR_*: KC_ERR_NOT_FOUND (no such entry
 * or attribute), KC_ERR_DUPLICATE (entry exists), KC_ERR_PERMISSION
 * (access denied, bind refused), KC_ERR_UNAVAILABLE (no server, timeout),
 * KC_ERR_RANGE (the server's size limit cut a listing short),
 * KC_ERR_INVALID (any other refusal). After a failure
 * kc_admin_ldap_error() gives slapd's result text and diagnostic message,
 * made printable; it never holds a secret.
 *
 * DNs and filters: values from users go through kc_admin_ldap_rdn_dn()
 * (RFC 4514 escaping by libldap) and kc_admin_ldap_filter_value() (RFC
 * 4515 escaping). Not thread-safe: kcadm is one thread.
 */
#ifndef KC_ADMIN_LDAP_H
#define KC_ADMIN_LDAP_H

#include <stdbool.h>
#include <stddef.h>

#include "kc_attrs.h"
#include "kc_buf.h"
#include "kc_ldap.h"

struct ldap;        /* libldap's LDAP */
struct ldapmsg;     /* libldap's LDAPMessage */
struct ldapmod;     /* libldap's LDAPMod */
struct ldapcontrol; /* libldap's LDAPControl */

/* Room for a result text plus a diagnostic message. */
#define KC_ADMIN_LDAP_ERR_SIZE 256

/* Entries per page of a paged listing (RFC 2696). */
#define KC_ADMIN_LDAP_PAGE 250

struct kc_admin_ldap {
  const struct kc_ldap_cfg *al_cfg;
  struct ldap *al_ld;
  int al_rc;                           /* last LDAP result code */
  char al_err[KC_ADMIN_LDAP_ERR_SIZE]; /* its text, printable */
};

/* Open a connection to the first URI that answers, StartTLS when asked,
 * and bind as cfg->bind_dn with cfg->bind_pw. cfg must outlive al.
 * Returns 0, KC_ERR_UNAVAILABLE, KC_ERR_PERMISSION (bind refused) or
 * KC_ERR_INVALID (bad URI); kc_admin_ldap_error() says why. */
int kc_admin_ldap_open(struct kc_admin_ldap *al,
                       const struct kc_ldap_cfg *cfg) KC_MUST_USE
  KC_NONNULL(1, 2);

/* Unbind and forget the connection; safe when not open and twice. */
void kc_admin_ldap_close(struct kc_admin_ldap *al) KC_NONNULL(1);

/* Text of the last failure ("" when none). Owned by al. */
const char *kc_admin_ldap_error(const struct kc_admin_ldap *al) KC_NONNULL(1);

/* The last LDAP result code (LDAP_SUCCESS after a success). */
int kc_admin_ldap_rc(const struct kc_admin_ldap *al) KC_NONNULL(1);

/* "attr=value" into out (initialised here with cap KC_MAX_DN), the value
 * escaped as RFC 4514 says (libldap's ldap_dn2str). 0, KC_ERR_TOO_LARGE,
 * KC_ERR_NOMEM or KC_ERR_INVALID (empty or not UTF-8). */
int kc_admin_ldap_rdn(struct kc_buf *out, const char *attr,
                      const char *value) KC_MUST_USE KC_NONNULL(1, 2, 3);

/*
 * "attr=value,parent" into out (initialised here with cap KC_MAX_DN), the
 * value escaped as RFC 4514 says (libldap's ldap_dn2str). 0,
 * KC_ERR_TOO_LARGE, KC_ERR_NOMEM or KC_ERR_INVALID (value not UTF-8).
 */
int kc_admin_ldap_rdn_dn(struct kc_buf *out, const char *attr,
                         const char *value, const char *parent) KC_MUST_USE
  KC_NONNULL(1, 2, 3, 4);

/* Append value to out escaped for a search filter (RFC 4515). 0 or the
 * kc_buf errors. */
int kc_admin_ldap_filter_value(struct kc_buf *out,
                               const char *value) KC_MUST_USE KC_NONNULL(1, 2);

/*
 * Search and hand the whole answer to *res (free with
 * kc_admin_ldap_msgfree()). sizelimit 0 is the server's limit. An answer
 * cut short by a size limit is KC_ERR_RANGE, *res keeping what came.
 * A missing base is KC_ERR_NOT_FOUND.
 */
int kc_admin_ldap_search(struct kc_admin_ldap *al, const char *base, int scope,
                         const char *filter, const char *const *attrs,
                         int sizelimit, struct ldapmsg **res) KC_MUST_USE
  KC_NONNULL(1, 2, 4, 7);

/* A paged search (KC_ADMIN_LDAP_PAGE entries a page), calling fn once
 * per entry in the order the server sends them; a non-zero return of fn
 * stops the search and is returned. KC_ERR_RANGE when the server's size
 * limit for the service DN stops it (slapd's default is 500 entries, paged
 * or not; olcLimits for the DN lifts it). */
int kc_admin_ldap_search_each(struct kc_admin_ldap *al, const char *base,
                              int scope, const char *filter,
                              const char *const *attrs,
                              int (*fn)(struct kc_admin_ldap *al,
                                        struct ldapmsg *entry, void *arg),
                              void *arg) KC_MUST_USE KC_NONNULL(1, 2, 4, 6);

void kc_admin_ldap_msgfree(struct ldapmsg *res);

/* The first entry of res, the next one, and an entry's DN (freshly
 * allocated: free with kc_admin_ldap_memfree; NULL on failure). */
struct ldapmsg *kc_admin_ldap_first(struct kc_admin_ldap *al,
                                    struct ldapmsg *res) KC_NONNULL(1);
struct ldapmsg *kc_admin_ldap_next(struct kc_admin_ldap *al,
                                   struct ldapmsg *entry) KC_NONNULL(1);
char *kc_admin_ldap_dn(struct kc_admin_ldap *al, struct ldapmsg *entry)
  KC_NONNULL(1, 2);
void kc_admin_ldap_memfree(void *p);

/*
 * The first value of attr in entry, copied into out (outlen bytes, NUL
 * terminated): 0, KC_ERR_NOT_FOUND when absent (out is ""), or
 * KC_ERR_TOO_LARGE / KC_ERR_INVALID (embedded NUL) with out "".
 */
int kc_admin_ldap_get(struct kc_admin_ldap *al, struct ldapmsg *entry,
                      const char *attr, char *out, size_t outlen)
  KC_NONNULL(1, 2, 3, 4);

/* All values of attr (NULL-terminated array of NUL-terminated strings;
 * values with an embedded NUL are left out). NULL when absent. Free with
 * kc_admin_ldap_values_free(). */
char **kc_admin_ldap_values(struct kc_admin_ldap *al, struct ldapmsg *entry,
                            const char *attr) KC_NONNULL(1, 2, 3);
void kc_admin_ldap_values_free(char **v);

/* Synchronous writes; mods is NULL-terminated. */
int kc_admin_ldap_add(struct kc_admin_ldap *al, const char *dn,
                      struct ldapmod **mods) KC_MUST_USE KC_NONNULL(1, 2, 3);
int kc_admin_ldap_modify(struct kc_admin_ldap *al, const char *dn,
                         struct ldapmod **mods) KC_MUST_USE KC_NONNULL(1, 2, 3);
int kc_admin_ldap_delete(struct kc_admin_ldap *al, const char *dn) KC_MUST_USE
  KC_NONNULL(1, 2);
/* modrdn to newrdn under the same parent, deleting the old RDN value. */
int kc_admin_ldap_rename(struct kc_admin_ldap *al, const char *dn,
                         const char *newrdn) KC_MUST_USE KC_NONNULL(1, 2, 3);

/*
 * Asynchronous writes for bulk work: start an add, or a modify guarded by
 * an RFC 4528 assertion filter (NULL: none), and get its message id in
 * *msgid. kc_admin_ldap_wait() then waits (at most the timeout) for any
 * one outstanding answer and gives its message id and LDAP result code.
 * Return values as above; the per-operation outcome is *ldap_rc.
 */
int kc_admin_ldap_add_start(struct kc_admin_ldap *al, const char *dn,
                            struct ldapmod **mods, int *msgid) KC_MUST_USE
  KC_NONNULL(1, 2, 3, 4);
int kc_admin_ldap_modify_start(struct kc_admin_ldap *al, const char *dn,
                               struct ldapmod **mods, const char *assertion,
                               int *msgid) KC_MUST_USE KC_NONNULL(1, 2, 3, 5);
int kc_admin_ldap_wait(struct kc_admin_ldap *al, int *msgid, int *ldap_rc,
                       char *diag, size_t diaglen) KC_MUST_USE
  KC_NONNULL(1, 2, 3);

/* Map an LDAP result code to KC_ERR_* as described at the top. */
int kc_admin_ldap_err(int ldap_rc);

#endif /* KC_ADMIN_LDAP_H */
