/*
 * admin_ldap.c: kcadm's directory connection. See admin_ldap.h.
 */
#include <config.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include <ldap.h>

#include "admin_ldap.h"
#include "kc_err.h"
#include "kc_str.h"

int
kc_admin_ldap_err(int ldap_rc)
{
  switch (ldap_rc) {
    case LDAP_SUCCESS:
      return 0;
    case LDAP_NO_SUCH_OBJECT:
    case LDAP_NO_SUCH_ATTRIBUTE:
      return KC_ERR_NOT_FOUND;
    case LDAP_ALREADY_EXISTS:
    case LDAP_TYPE_OR_VALUE_EXISTS:
      return KC_ERR_DUPLICATE;
    case LDAP_INSUFFICIENT_ACCESS:
    case LDAP_INVALID_CREDENTIALS:
    case LDAP_INAPPROPRIATE_AUTH:
    case LDAP_STRONG_AUTH_REQUIRED:
      return KC_ERR_PERMISSION;
    case LDAP_SERVER_DOWN:
    case LDAP_CONNECT_ERROR:
    case LDAP_TIMEOUT:
    case LDAP_TIMELIMIT_EXCEEDED:
    case LDAP_UNAVAILABLE:
    case LDAP_BUSY:
      return KC_ERR_UNAVAILABLE;
    case LDAP_SIZELIMIT_EXCEEDED:
    case LDAP_ADMINLIMIT_EXCEEDED:
      return KC_ERR_RANGE;
    case LDAP_NO_MEMORY:
      return KC_ERR_NOMEM;
    default:
      return KC_ERR_INVALID;
  }
}

/* Remember rc and its text (with diag when there is one); return the
 * KC_ERR_* for it. */
static int
fail(struct kc_admin_ldap *al, int rc, const char *diag)
{
  char text[KC_ADMIN_LDAP_ERR_SIZE];

  al->al_rc = rc;
  if (diag != NULL && diag[0] != '\0')
    snprintf(text, sizeof(text), "%s (%d): %s", ldap_err2string(rc), rc, diag);
  else
    snprintf(text, sizeof(text), "%s (%d)", ldap_err2string(rc), rc);
  kc_str_copy_printable(al->al_err, sizeof(al->al_err), text);
  return kc_admin_ldap_err(rc);
}

/* fail() with the diagnostic message libldap kept from the last answer. */
static int
fail_ld(struct kc_admin_ldap *al, int rc)
{
  char *diag = NULL;
  int r;

  if (al->al_ld != NULL)
    (void) ldap_get_option(al->al_ld, LDAP_OPT_DIAGNOSTIC_MESSAGE, &diag);
  r = fail(al, rc, diag);
  ldap_memfree(diag);
  return r;
}

static int
ok(struct kc_admin_ldap *al)
{
  al->al_rc = LDAP_SUCCESS;
  al->al_err[0] = '\0';
  return 0;
}

const char *
kc_admin_ldap_error(const struct kc_admin_ldap *al)
{
  return al->al_err;
}

int
kc_admin_ldap_rc(const struct kc_admin_ldap *al)
{
  return al->al_rc;
}


static int
bind_service(struct kc_admin_ldap *al)
{
  const struct kc_ldap_cfg *cfg = al->al_cfg;
  struct berval cred;
  int rc;

  cred.bv_val = (char *) (uintptr_t) cfg->bind_pw;
  cred.bv_len = strlen(cfg->bind_pw);
  rc = ldap_sasl_bind_s(al->al_ld, cfg->bind_dn, LDAP_SASL_SIMPLE, &cred, NULL,
                        NULL, NULL);
  return rc == LDAP_SUCCESS ? ok(al) : fail_ld(al, rc);
}

int
kc_admin_ldap_open(struct kc_admin_ldap *al, const struct kc_ldap_cfg *cfg)
{
  int rc, r;

  memset(al, 0, sizeof(*al));
  al->al_cfg = cfg;
  if (cfg->uri == NULL || cfg->bind_dn == NULL || cfg->bind_pw == NULL) {
    snprintf(al->al_err, sizeof(al->al_err),
             "no LDAP URI or service DN and password configured");
    return KC_ERR_INVALID;
  }
  rc = ldap_initialize(&al->al_ld, cfg->uri);
  if (rc != LDAP_SUCCESS) {
    al->al_ld = NULL;
    return fail(al, rc, "bad ldap_uri");
  }
  if (kc_ldap_set_options(al->al_ld, cfg) != 0) {
    kc_admin_ldap_close(al);
    snprintf(al->al_err, sizeof(al->al_err), "cannot set LDAP options");
    return KC_ERR_INTERNAL;
  }
  if (cfg->starttls &&
      (rc = ldap_start_tls_s(al->al_ld, NULL, NULL)) != LDAP_SUCCESS) {
    r = fail_ld(al, rc);
    kc_admin_ldap_close(al);
    return r == KC_ERR_INVALID ? KC_ERR_UNAVAILABLE : r;
  }
  if ((r = bind_service(al)) != 0)
    kc_admin_ldap_close(al);
  return r;
}

void
kc_admin_ldap_close(struct kc_admin_ldap *al)
{
  if (al->al_ld != NULL)
    ldap_unbind_ext_s(al->al_ld, NULL, NULL);
  al->al_ld = NULL;
}

int
kc_admin_ldap_rdn(struct kc_buf *out, const char *attr, const char *value)
{
  LDAPAVA ava;
  LDAPAVA *avas[2] = {&ava, NULL};
  LDAPRDN rdns[2] = {avas, NULL};
  char *rdn = NULL;
  int r;

  kc_buf_init(out, KC_MAX_DN);
  if (value[0] == '\0' || !kc_str_is_utf8(value, strlen(value)))
    return KC_ERR_INVALID;
  memset(&ava, 0, sizeof(ava));
  ava.la_attr.bv_val = (char *) (uintptr_t) attr;
  ava.la_attr.bv_len = strlen(attr);
  ava.la_value.bv_val = (char *) (uintptr_t) value;
  ava.la_value.bv_len = strlen(value);
  ava.la_flags = LDAP_AVA_STRING;
  if (ldap_dn2str(rdns, &rdn, LDAP_DN_FORMAT_LDAPV3) != LDAP_SUCCESS ||
      rdn == NULL)
    return KC_ERR_INVALID;
  r = kc_buf_add_str(out, rdn);
  ldap_memfree(rdn);
  return r;
}

int
kc_admin_ldap_rdn_dn(struct kc_buf *out, const char *attr, const char *value,
                     const char *parent)
{
  int r;

  if ((r = kc_admin_ldap_rdn(out, attr, value)) != 0)
    return r;
  if ((r = kc_buf_add_str(out, ",")) != 0 ||
      (r = kc_buf_add_str(out, parent)) != 0)
    return r;
  return 0;
}

int
kc_admin_ldap_filter_value(struct kc_buf *out, const char *value)
{
  struct berval in, esc = {0, NULL};
  int r;

  in.bv_val = (char *) (uintptr_t) value;
  in.bv_len = strlen(value);
  if (ldap_bv2escaped_filter_value(&in, &esc) != 0)
    return KC_ERR_NOMEM;
  r = kc_buf_add_str(out, esc.bv_val);
  ber_memfree(esc.bv_val);
  return r;
}

static struct timeval
timeout_of(const struct kc_admin_ldap *al)
{
  struct timeval tv = {al->al_cfg->timeout, 0};

  return tv;
}

int
kc_admin_ldap_search(struct kc_admin_ldap *al, const char *base, int scope,
                     const char *filter, const char *const *attrs,
                     int sizelimit, struct ldapmsg **res)
{
  struct timeval tv = timeout_of(al);
  int rc;

  *res = NULL;
  rc = ldap_search_ext_s(al->al_ld, base, scope, filter,
                         (char **) (uintptr_t) attrs, 0, NULL, NULL, &tv,
                         sizelimit, res);
  if (rc == LDAP_SUCCESS)
    return ok(al);
  if (rc != LDAP_SIZELIMIT_EXCEEDED) {
    ldap_msgfree(*res);
    *res = NULL;
  }
  return fail_ld(al, rc);
}

/* The cookie of the paged-results response in res; an empty one ends
 * the search. */
static int
page_cookie(struct kc_admin_ldap *al, LDAPMessage *res, struct berval *cookie)
{
  LDAPControl **ctrls = NULL, *c;
  ber_int_t count = 0;
  int rc, err = LDAP_SUCCESS;

  ber_memfree(cookie->bv_val);
  cookie->bv_val = NULL;
  cookie->bv_len = 0;
  rc = ldap_parse_result(al->al_ld, res, &err, NULL, NULL, NULL, &ctrls, 0);
  if (rc != LDAP_SUCCESS)
    return fail(al, rc, NULL);
  c = ldap_control_find(LDAP_CONTROL_PAGEDRESULTS, ctrls, NULL);
  if (c != NULL)
    rc = ldap_parse_pageresponse_control(al->al_ld, c, &count, cookie);
  ldap_controls_free(ctrls);
  return rc == LDAP_SUCCESS ? 0 : fail(al, rc, NULL);
}

/* Call fn for each entry of res; its first non-zero result stops. */
static int
each_entry(struct kc_admin_ldap *al, LDAPMessage *res,
           int (*fn)(struct kc_admin_ldap *, struct ldapmsg *, void *),
           void *arg)
{
  LDAPMessage *e;
  int r;

  for (e = ldap_first_entry(al->al_ld, res); e != NULL;
       e = ldap_next_entry(al->al_ld, e)) {
    if ((r = fn(al, e, arg)) != 0)
      return r;
  }
  return 0;
}

/* One page: search with the paged-results control carrying cookie. */
static int
one_page(struct kc_admin_ldap *al, const char *base, int scope,
         const char *filter, const char *const *attrs, struct berval *cookie,
         LDAPMessage **res)
{
  struct timeval tv = timeout_of(al);
  LDAPControl *ctrl = NULL, *sctrls[2] = {NULL, NULL};
  int rc;

  *res = NULL;
  rc = ldap_create_page_control(al->al_ld, KC_ADMIN_LDAP_PAGE,
                                cookie->bv_len > 0 ? cookie : NULL, 0, &ctrl);
  if (rc != LDAP_SUCCESS)
    return fail(al, rc, NULL);
  sctrls[0] = ctrl;
  rc = ldap_search_ext_s(al->al_ld, base, scope, filter,
                         (char **) (uintptr_t) attrs, 0, sctrls, NULL, &tv, 0,
                         res);
  ldap_control_free(ctrl);
  if (rc == LDAP_SUCCESS)
    return ok(al);
  return fail_ld(al, rc);
}

int
kc_admin_ldap_search_each(struct kc_admin_ldap *al, const char *base, int scope,
                          const char *filter, const char *const *attrs,
                          int (*fn)(struct kc_admin_ldap *al,
                                    struct ldapmsg *entry, void *arg),
                          void *arg)
{
  struct berval cookie = {0, NULL};
  LDAPMessage *res = NULL;
  int r, sr;

  do {
    sr = one_page(al, base, scope, filter, attrs, &cookie, &res);
    if (sr != 0 && sr != KC_ERR_RANGE) {
      r = sr;
      break;
    }
    r = each_entry(al, res, fn, arg);
    if (r == 0 && sr == KC_ERR_RANGE)
      r = sr; /* what came was handed out; now say it was cut short */
    if (r == 0)
      r = page_cookie(al, res, &cookie);
    ldap_msgfree(res);
    res = NULL;
  } while (r == 0 && cookie.bv_len > 0);
  ber_memfree(cookie.bv_val);
  ldap_msgfree(res);
  return r;
}

void
kc_admin_ldap_msgfree(struct ldapmsg *res)
{
  if (res != NULL)
    ldap_msgfree(res);
}

struct ldapmsg *
kc_admin_ldap_first(struct kc_admin_ldap *al, struct ldapmsg *res)
{
  return res != NULL ? ldap_first_entry(al->al_ld, res) : NULL;
}

struct ldapmsg *
kc_admin_ldap_next(struct kc_admin_ldap *al, struct ldapmsg *entry)
{
  return entry != NULL ? ldap_next_entry(al->al_ld, entry) : NULL;
}

char *
kc_admin_ldap_dn(struct kc_admin_ldap *al, struct ldapmsg *entry)
{
  return ldap_get_dn(al->al_ld, entry);
}

void
kc_admin_ldap_memfree(void *p)
{
  if (p != NULL)
    ldap_memfree(p);
}

int
kc_admin_ldap_get(struct kc_admin_ldap *al, struct ldapmsg *entry,
                  const char *attr, char *out, size_t outlen)
{
  struct berval **v;
  int r = 0;

  if (outlen == 0)
    return KC_ERR_TOO_LARGE;
  out[0] = '\0';
  v = ldap_get_values_len(al->al_ld, entry, attr);
  if (v == NULL || v[0] == NULL)
    r = KC_ERR_NOT_FOUND;
  else if (v[0]->bv_len >= outlen)
    r = KC_ERR_TOO_LARGE;
  else if (memchr(v[0]->bv_val, '\0', v[0]->bv_len) != NULL)
    r = KC_ERR_INVALID;
  else {
    memcpy(out, v[0]->bv_val, v[0]->bv_len);
    out[v[0]->bv_len] = '\0';
  }
  ldap_value_free_len(v);
  return r;
}

char **
kc_admin_ldap_values(struct kc_admin_ldap *al, struct ldapmsg *entry,
                     const char *attr)
{
  struct berval **v = ldap_get_values_len(al->al_ld, entry, attr);
  char **out;
  size_t n, i, k = 0;

  if (v == NULL)
    return NULL;
  n = (size_t) ldap_count_values_len(v);
  out = calloc(n + 1, sizeof(*out));
  for (i = 0; out != NULL && i < n; i++) {
    if (memchr(v[i]->bv_val, '\0', v[i]->bv_len) != NULL)
      continue;
    if ((out[k] = malloc(v[i]->bv_len + 1)) == NULL) {
      kc_admin_ldap_values_free(out);
      out = NULL;
      break;
    }
    memcpy(out[k], v[i]->bv_val, v[i]->bv_len);
    out[k++][v[i]->bv_len] = '\0';
  }
  ldap_value_free_len(v);
  return out;
}

void
kc_admin_ldap_values_free(char **v)
{
  size_t i;

  if (v == NULL)
    return;
  for (i = 0; v[i] != NULL; i++)
    free(v[i]);
  free(v);
}

int
kc_admin_ldap_add(struct kc_admin_ldap *al, const char *dn,
                  struct ldapmod **mods)
{
  int rc = ldap_add_ext_s(al->al_ld, dn, mods, NULL, NULL);

  return rc == LDAP_SUCCESS ? ok(al) : fail_ld(al, rc);
}

int
kc_admin_ldap_modify(struct kc_admin_ldap *al, const char *dn,
                     struct ldapmod **mods)
{
  int rc = ldap_modify_ext_s(al->al_ld, dn, mods, NULL, NULL);

  return rc == LDAP_SUCCESS ? ok(al) : fail_ld(al, rc);
}

int
kc_admin_ldap_delete(struct kc_admin_ldap *al, const char *dn)
{
  int rc = ldap_delete_ext_s(al->al_ld, dn, NULL, NULL);

  return rc == LDAP_SUCCESS ? ok(al) : fail_ld(al, rc);
}

int
kc_admin_ldap_rename(struct kc_admin_ldap *al, const char *dn,
                     const char *newrdn)
{
  int rc = ldap_rename_s(al->al_ld, dn, newrdn, NULL, 1, NULL, NULL);

  return rc == LDAP_SUCCESS ? ok(al) : fail_ld(al, rc);
}

int
kc_admin_ldap_add_start(struct kc_admin_ldap *al, const char *dn,
                        struct ldapmod **mods, int *msgid)
{
  int rc = ldap_add_ext(al->al_ld, dn, mods, NULL, NULL, msgid);

  return rc == LDAP_SUCCESS ? ok(al) : fail_ld(al, rc);
}

int
kc_admin_ldap_modify_start(struct kc_admin_ldap *al, const char *dn,
                           struct ldapmod **mods, const char *assertion,
                           int *msgid)
{
  LDAPControl *ctrl = NULL, *sctrls[2] = {NULL, NULL};
  int rc;

  if (assertion != NULL) {
    /* RFC 4528: the assertion control is critical */
    rc =
      ldap_create_assertion_control(al->al_ld, (char *) (uintptr_t) assertion,
                                    1, &ctrl);
    if (rc != LDAP_SUCCESS)
      return fail(al, rc, "assertion filter");
    sctrls[0] = ctrl;
  }
  rc = ldap_modify_ext(al->al_ld, dn, mods, sctrls, NULL, msgid);
  ldap_control_free(ctrl);
  return rc == LDAP_SUCCESS ? ok(al) : fail_ld(al, rc);
}

int
kc_admin_ldap_wait(struct kc_admin_ldap *al, int *msgid, int *ldap_rc,
                   char *diag, size_t diaglen)
{
  struct timeval tv = timeout_of(al);
  LDAPMessage *res = NULL;
  char *text = NULL;
  int n, rc;

  *msgid = -1;
  *ldap_rc = LDAP_OTHER;
  if (diag != NULL && diaglen > 0)
    diag[0] = '\0';
  n = ldap_result(al->al_ld, LDAP_RES_ANY, LDAP_MSG_ALL, &tv, &res);
  if (n <= 0) {
    ldap_msgfree(res);
    return fail_ld(al, n == 0 ? LDAP_TIMEOUT : LDAP_SERVER_DOWN);
  }
  *msgid = ldap_msgid(res);
  rc = ldap_parse_result(al->al_ld, res, ldap_rc, NULL, &text, NULL, NULL, 1);
  if (rc != LDAP_SUCCESS) {
    ldap_memfree(text);
    return fail(al, rc, NULL);
  }
  if (diag != NULL && diaglen > 0 && text != NULL)
    kc_str_copy_printable(diag, diaglen, text);
  ldap_memfree(text);
  return ok(al);
}
