/*
 * kc_ldap.c: kcd's directory layer. See kc_ldap.h for the model (one pair of
 * connections per worker, lazy open, one reconnect on a dead server).
 */
#include <config.h>

#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include <ldap.h>

#include "kc_err.h"
#include "kc_str.h"
#include "kc_ldap.h"

/* Password-policy control response, as far as we use it. */
struct pp_state {
  int rc;                    /* LDAP result code */
  LDAPPasswordPolicyError err;
  char msg[128];             /* server's diagnostic text, capped */
};

static bool
is_down(int rc)
{
  return rc == LDAP_SERVER_DOWN || rc == LDAP_CONNECT_ERROR ||
    rc == LDAP_TIMEOUT || rc == LDAP_UNAVAILABLE || rc == LDAP_BUSY;
}

/*
 * no_retry: an operation whose connection turned out dead (a restarted
 * slapd, a dropped TCP connection) is tried once more on a new one. One
 * that timed out is not: the server is there but hung or overloaded, so a
 * second try would only double the wait (past the module's own timeout),
 * and a write or bind may have been applied or counted already. The
 * connection is dropped either way.
 */

void
kc_ldap_init(struct kc_ldap *l, const struct kc_ldap_cfg *cfg)
{
  l->cfg = cfg;
  l->svc = NULL;
  l->usr = NULL;
}

static void
drop(LDAP **ld)
{
  if (*ld != NULL)
    ldap_unbind_ext_s(*ld, NULL, NULL);
  *ld = NULL;
}

void
kc_ldap_close(struct kc_ldap *l)
{
  drop(&l->svc);
  drop(&l->usr);
}

int
kc_ldap_set_options(LDAP *ld, const struct kc_ldap_cfg *cfg)
{
  struct timeval tv = {cfg->timeout, 0};
  int version = LDAP_VERSION3;
  int demand = LDAP_OPT_X_TLS_DEMAND;
  int zero = 0;

  if (ldap_set_option(ld, LDAP_OPT_PROTOCOL_VERSION, &version) != 0 ||
    ldap_set_option(ld, LDAP_OPT_REFERRALS, LDAP_OPT_OFF) != 0 ||
    ldap_set_option(ld, LDAP_OPT_NETWORK_TIMEOUT, &tv) != 0 ||
    ldap_set_option(ld, LDAP_OPT_TIMEOUT, &tv) != 0 ||
    ldap_set_option(ld, LDAP_OPT_RESTART, LDAP_OPT_ON) != 0 ||
    ldap_set_option(ld, LDAP_OPT_X_TLS_REQUIRE_CERT, &demand) != 0)
    return KC_ERR_INTERNAL;
  if (cfg->ca_file != NULL && cfg->ca_file[0] != '\0') {
    if (ldap_set_option(ld, LDAP_OPT_X_TLS_CACERTFILE, cfg->ca_file) != 0 ||
      ldap_set_option(ld, LDAP_OPT_X_TLS_NEWCTX, &zero) != 0)
      return KC_ERR_INTERNAL;
  }
  return 0;
}

/* Open a connection: libldap connects to the first URI that answers. */
static int
open_conn(const struct kc_ldap_cfg *cfg, LDAP **out)
{
  LDAP *ld = NULL;
  int rc;

  *out = NULL;
  if (ldap_initialize(&ld, cfg->uri) != LDAP_SUCCESS)
    return KC_ERR_INVALID;
  if (kc_ldap_set_options(ld, cfg) != 0) {
    drop(&ld);
    return KC_ERR_INTERNAL;
  }
  if (cfg->starttls) {
    rc = ldap_start_tls_s(ld, NULL, NULL);
    if (rc != LDAP_SUCCESS) {
      drop(&ld);
      return KC_ERR_UNAVAILABLE;
    }
  }
  *out = ld;
  return 0;
}

/* Wait for the result of msgid and parse it, with the ppolicy response
 * control when present. */
static void
collect(LDAP *ld, int msgid, int timeout, struct pp_state *pp,
  LDAPMessage **keep)
{
  struct timeval tv = {timeout, 0};
  LDAPMessage *res = NULL;
  LDAPControl **ctrls = NULL, *c;
  char *diag = NULL;
  int n, expire, grace;

  n = ldap_result(ld, msgid, LDAP_MSG_ALL, &tv, &res);
  if (n <= 0) {
    pp->rc = n == 0 ? LDAP_TIMEOUT : LDAP_SERVER_DOWN;
    if (n == 0)
      ldap_abandon_ext(ld, msgid, NULL, NULL);
    return;
  }
  if (ldap_parse_result(ld, res, &pp->rc, NULL, &diag, NULL, &ctrls, 0) !=
    LDAP_SUCCESS)
    pp->rc = LDAP_OTHER;
  c = ldap_control_find(LDAP_CONTROL_PASSWORDPOLICYRESPONSE, ctrls, NULL);
  if (c != NULL &&
    ldap_parse_passwordpolicy_control(ld, c, &expire, &grace, &pp->err) !=
      LDAP_SUCCESS)
    pp->err = PP_noError;
  if (diag != NULL) {
    kc_str_copy_printable(pp->msg, sizeof(pp->msg), diag);
    ldap_memfree(diag);
  }
  ldap_controls_free(ctrls);
  if (keep != NULL)
    *keep = res;
  else
    ldap_msgfree(res);
}

/* Simple bind with the ppolicy request control. */
static void
bind_pp(LDAP *ld, const char *dn, const char *pw, int timeout,
  struct pp_state *pp)
{
  LDAPControl *ctrl = NULL, *sctrls[2] = {NULL, NULL};
  struct berval cred;
  int msgid;

  memset(pp, 0, sizeof(*pp));
  pp->err = PP_noError;
  if (ldap_create_passwordpolicy_control(ld, &ctrl) != LDAP_SUCCESS) {
    pp->rc = LDAP_NO_MEMORY;
    return;
  }
  sctrls[0] = ctrl;
  cred.bv_val = (char *) (uintptr_t) pw;
  cred.bv_len = strlen(pw);
  pp->rc = ldap_sasl_bind(ld, dn, LDAP_SASL_SIMPLE, &cred, sctrls, NULL,
    &msgid);
  if (pp->rc == LDAP_SUCCESS)
    collect(ld, msgid, timeout, pp, NULL);
  ldap_control_free(ctrl);
}

/* Make sure l->svc is open and bound as the service DN. */
static int
svc_ready(struct kc_ldap *l)
{
  struct pp_state pp;
  int r;

  if (l->svc != NULL)
    return 0;
  if ((r = open_conn(l->cfg, &l->svc)) != 0)
    return r;
  bind_pp(l->svc, l->cfg->bind_dn, l->cfg->bind_pw, l->cfg->timeout, &pp);
  if (pp.rc != LDAP_SUCCESS) {
    drop(&l->svc);
    return is_down(pp.rc) ? KC_ERR_UNAVAILABLE : KC_ERR_PERMISSION;
  }
  return 0;
}

int
kc_ldap_ping(struct kc_ldap *l)
{
  int r = svc_ready(l);

  return r == 0 ? 0 : KC_ERR_UNAVAILABLE;
}

/* One operation on the service connection. */
struct svc_op {
  enum { OP_SEARCH, OP_MODIFY, OP_ADD, OP_DELETE, OP_RENAME } kind;
  const char *dn;       /* the entry; a search's base */
  LDAPMod **mods;       /* OP_MODIFY, OP_ADD */
  const char *newrdn;   /* OP_RENAME, same parent */
  int scope;            /* OP_SEARCH ... */
  const char *filter;
  char **attrs;
  int sizelimit;
  LDAPMessage **res;
};

/* Run op with the retry policy (no_retry): on a dead connection once more
 * on a new one; after a timeout not. 0 with the LDAP result in *rc, or the
 * KC_ERR_* of svc_ready() when no connection could be had. */
static int
svc_run(struct kc_ldap *l, const struct svc_op *op, int *rc)
{
  struct timeval tv = {l->cfg->timeout, 0};
  int attempt, r;

  *rc = LDAP_OTHER;
  for (attempt = 0; attempt < 2; attempt++) {
    if ((r = svc_ready(l)) != 0)
      return r;
    switch (op->kind) {
      case OP_SEARCH:
        *rc = ldap_search_ext_s(l->svc, op->dn, op->scope, op->filter,
          op->attrs, 0, NULL, NULL, &tv, op->sizelimit, op->res);
        break;
      case OP_MODIFY:
        *rc = ldap_modify_ext_s(l->svc, op->dn, op->mods, NULL, NULL);
        break;
      case OP_ADD:
        *rc = ldap_add_ext_s(l->svc, op->dn, op->mods, NULL, NULL);
        break;
      case OP_DELETE:
        *rc = ldap_delete_ext_s(l->svc, op->dn, NULL, NULL);
        break;
      case OP_RENAME:
      default:
        *rc = ldap_rename_s(l->svc, op->dn, op->newrdn, NULL, 1, NULL, NULL);
        break;
    }
    if (!is_down(*rc))
      return 0;
    if (op->res != NULL) {
      ldap_msgfree(*op->res);
      *op->res = NULL;
    }
    drop(&l->svc);
    if (*rc == LDAP_TIMEOUT)
      break;
  }
  return 0;
}

/* Copy the first value of attr into out; "" when absent. */
static int
first_value(LDAP *ld, LDAPMessage *e, const char *attr, char *out,
  size_t outlen)
{
  struct berval **v = ldap_get_values_len(ld, e, attr);
  int r = 0;

  out[0] = '\0';
  if (v == NULL || v[0] == NULL)
    goto out;
  if (v[0]->bv_len >= outlen || memchr(v[0]->bv_val, '\0', v[0]->bv_len)) {
    r = KC_ERR_INVALID;
    goto out;
  }
  memcpy(out, v[0]->bv_val, v[0]->bv_len);
  out[v[0]->bv_len] = '\0';
out:
  ldap_value_free_len(v);
  return r;
}

int
kc_ldap_parse_time(const char *s, time_t *out)
{
  static const unsigned width[6] = {4, 2, 2, 2, 2, 2};
  struct tm tm;
  uint64_t v[6];
  char part[5];
  size_t i, off = 0;

  *out = 0;
  for (i = 0; i < 6; i++) {
    if (strlen(s + off) < width[i])
      return KC_ERR_INVALID;
    memcpy(part, s + off, width[i]);
    part[width[i]] = '\0';
    if (kc_str_to_uint(part, &v[i], 0, 9999) != 0)
      return KC_ERR_INVALID;
    off += width[i];
  }
  memset(&tm, 0, sizeof(tm));
  tm.tm_year = (int) v[0] - 1900;
  tm.tm_mon = (int) v[1] - 1;
  tm.tm_mday = (int) v[2];
  tm.tm_hour = (int) v[3];
  tm.tm_min = (int) v[4];
  tm.tm_sec = (int) v[5];
  *out = timegm(&tm);
  return 0;
}

void
kc_ldap_format_time(time_t t, char out[16])
{
  struct tm tm;

  if (gmtime_r(&t, &tm) == NULL || strftime(out, 16, "%Y%m%d%H%M%SZ", &tm) == 0)
    memcpy(out, "19700101000000Z", 16);
}

/* Optional time and number attributes: absent is 0. */
static int
time_value(LDAP *ld, LDAPMessage *e, const char *attr, time_t *out)
{
  char v[32];

  *out = 0;
  if (first_value(ld, e, attr, v, sizeof(v)) != 0)
    return KC_ERR_INVALID;
  return v[0] == '\0' ? 0 : kc_ldap_parse_time(v, out);
}

static int
uint_value(LDAP *ld, LDAPMessage *e, const char *attr, unsigned *out)
{
  char v[16];
  uint64_t n;

  *out = 0;
  if (first_value(ld, e, attr, v, sizeof(v)) != 0)
    return KC_ERR_INVALID;
  if (v[0] == '\0')
    return 0;
  if (kc_str_to_uint(v, &n, 0, 1000000) != 0)
    return KC_ERR_INVALID;
  *out = (unsigned) n;
  return 0;
}

/* The kcTan* attributes that kc_ldap_tan_read and kc_ldap_find_user ask
 * for. */
#define TAN_ATTRS "kcTanChallenge", "kcTanHash", "kcTanExpires", "kcTanTries", \
    "kcTanSentAt", "kcTanWindowStart", "kcTanSendCount", "kcTanFailures"

static int
fill_tan(LDAP *ld, LDAPMessage *e, struct kc_tan_state *t)
{
  char failures[16];

  memset(t, 0, sizeof(*t));
  if (first_value(ld, e, "kcTanFailures", failures, sizeof(failures)) != 0 ||
    uint_value(ld, e, "kcTanFailures", &t->failures) != 0)
    return KC_ERR_INVALID;
  t->failures_set = failures[0] != '\0';
  if (first_value(ld, e, "kcTanChallenge", t->challenge,
        sizeof(t->challenge)) != 0 ||
    first_value(ld, e, "kcTanHash", t->hash, sizeof(t->hash)) != 0 ||
    time_value(ld, e, "kcTanExpires", &t->expires) != 0 ||
    uint_value(ld, e, "kcTanTries", &t->tries) != 0 ||
    time_value(ld, e, "kcTanSentAt", &t->sent_at) != 0 ||
    time_value(ld, e, "kcTanWindowStart", &t->window_start) != 0 ||
    uint_value(ld, e, "kcTanSendCount", &t->send_count) != 0)
    return KC_ERR_INVALID;
  return 0;
}

static int
fill_user(LDAP *ld, LDAPMessage *e, struct kc_ldap_user *u)
{
  char *dn = ldap_get_dn(ld, e);
  char reset[8], first[8];
  int r = 0;

  if (dn == NULL || strlen(dn) > KC_MAX_DN)
    r = KC_ERR_INVALID;
  else
    memcpy(u->dn, dn, strlen(dn) + 1);
  ldap_memfree(dn);
  if (r != 0 || first_value(ld, e, "uid", u->uid, sizeof(u->uid)) != 0 ||
    first_value(ld, e, "mail", u->mail, sizeof(u->mail)) != 0 ||
    first_value(ld, e, "mobile", u->mobile, sizeof(u->mobile)) != 0 ||
    first_value(ld, e, "kcCustomerNumber", u->customer, sizeof(u->customer)) !=
      0 ||
    first_value(ld, e, "kcTanMethod", u->tan_method, sizeof(u->tan_method)) !=
      0 ||
    first_value(ld, e, "kcLanguage", u->language, sizeof(u->language)) != 0 ||
    first_value(ld, e, "pwdPolicySubentry", u->policy_dn,
      sizeof(u->policy_dn)) != 0 ||
    first_value(ld, e, "pwdAccountLockedTime", u->locked_time,
      sizeof(u->locked_time)) != 0 ||
    first_value(ld, e, "pwdReset", reset, sizeof(reset)) != 0 ||
    first_value(ld, e, "kcFirstLogin", first, sizeof(first)) != 0)
    return KC_ERR_INVALID;
  /* The uid goes into log lines and mails: what slapd holds must be a user
   * name kcd itself would have accepted. */
  if (!kc_str_is_username(u->uid))
    return KC_ERR_INVALID;
  u->first_login = strcmp(first, "TRUE") == 0;
  if (fill_tan(ld, e, &u->tan) != 0)
    return KC_ERR_INVALID;
  u->must_change = strcmp(reset, "TRUE") == 0;
  if (u->tan_method[0] == '\0')
    memcpy(u->tan_method, "none", 5);
  return 0;
}

/* One search on the service connection; *res is the whole answer. */
static int
search(struct kc_ldap *l, const char *base, int scope, const char *filter,
  char **attrs, int sizelimit, LDAPMessage **res)
{
  struct svc_op op = {.kind = OP_SEARCH, .dn = base, .scope = scope,
    .filter = filter, .attrs = attrs, .sizelimit = sizelimit, .res = res};
  int rc, r;

  *res = NULL;
  if ((r = svc_run(l, &op, &rc)) != 0)
    return r;
  if (rc == LDAP_SUCCESS)
    return 0;
  if (rc == LDAP_NO_SUCH_OBJECT)
    return KC_ERR_NOT_FOUND;
  if (rc == LDAP_SIZELIMIT_EXCEEDED)
    return KC_ERR_INVALID;
  return KC_ERR_UNAVAILABLE;
}

int
kc_ldap_find_user(struct kc_ldap *l, const char *name,
  struct kc_ldap_user *out)
{
  static const char *attrs[] = {"uid", "mail", "mobile", "kcCustomerNumber",
    "kcTanMethod", "kcLanguage", "pwdPolicySubentry", "pwdAccountLockedTime",
    "pwdReset", TAN_ATTRS, "kcFirstLogin", NULL};
  char filter[KC_MAX_USERNAME * 3 + 64];
  struct berval in, esc = {0, NULL};
  LDAPMessage *res = NULL, *e;
  int r;

  memset(out, 0, sizeof(*out));
  if (!kc_str_is_username(name))
    return KC_ERR_NOT_FOUND;
  /* The name is validated, but escape anyway: defence in depth. */
  in.bv_val = (char *) (uintptr_t) name;
  in.bv_len = strlen(name);
  if (ldap_bv2escaped_filter_value(&in, &esc) != 0)
    return KC_ERR_NOMEM;
  snprintf(filter, sizeof(filter), "(&(objectClass=kcAccount)(uid=%s))",
    esc.bv_val);
  ber_memfree(esc.bv_val);
  r = search(l, l->cfg->base, LDAP_SCOPE_SUBTREE, filter,
    (char **) (uintptr_t) attrs, 2, &res);
  if (r == 0) {
    if (ldap_count_entries(l->svc, res) > 1)
      r = KC_ERR_INVALID;
    else if ((e = ldap_first_entry(l->svc, res)) == NULL)
      r = KC_ERR_NOT_FOUND;
    else
      r = fill_user(l->svc, e, out);
  }
  ldap_msgfree(res);
  if (r != 0)
    memset(out, 0, sizeof(*out));
  return r;
}

/* Bind as a user on the user connection, reconnecting once. */
static void
user_bind(struct kc_ldap *l, const char *dn, const char *pw,
  struct pp_state *pp)
{
  int attempt;

  memset(pp, 0, sizeof(*pp));
  pp->rc = LDAP_SERVER_DOWN;
  for (attempt = 0; attempt < 2; attempt++) {
    if (l->usr == NULL && open_conn(l->cfg, &l->usr) != 0)
      return;
    bind_pp(l->usr, dn, pw, l->cfg->timeout, pp);
    if (!is_down(pp->rc))
      return;
    drop(&l->usr);
    if (pp->rc == LDAP_TIMEOUT)
      return; /* see no_retry */
  }
}

enum kc_ldap_bind_result
kc_ldap_bind_user(struct kc_ldap *l, const char *dn, const char *password)
{
  struct pp_state pp;

  /* An empty password would be an unauthenticated bind (RFC 4513 5.1.2),
   * which "succeeds": never send one. */
  if (password[0] == '\0' || dn[0] == '\0')
    return KC_BIND_INVALID;
  user_bind(l, dn, password, &pp);
  if (pp.rc == LDAP_SUCCESS)
    return pp.err == PP_changeAfterReset || pp.err == PP_passwordExpired
      ? KC_BIND_MUST_CHANGE
      : KC_BIND_OK;
  if (pp.rc == LDAP_INVALID_CREDENTIALS) {
    if (pp.err == PP_accountLocked)
      return KC_BIND_LOCKED;
    if (pp.err == PP_passwordExpired)
      return KC_BIND_EXPIRED;
    return KC_BIND_INVALID;
  }
  if (is_down(pp.rc))
    return KC_BIND_UNAVAILABLE;
  /* unwillingToPerform, inappropriateAuthentication, ...: a failed login */
  return KC_BIND_INVALID;
}

/* The password modify exop on the (already bound) user connection. */
static void
passwd_exop(struct kc_ldap *l, const char *dn, const char *oldpw,
  const char *newpw, struct pp_state *pp)
{
  LDAPControl *ctrl = NULL, *sctrls[2] = {NULL, NULL};
  struct berval user, old, neu;
  int msgid;

  memset(pp, 0, sizeof(*pp));
  pp->err = PP_noError;
  if (ldap_create_passwordpolicy_control(l->usr, &ctrl) != LDAP_SUCCESS) {
    pp->rc = LDAP_NO_MEMORY;
    return;
  }
  sctrls[0] = ctrl;
  user.bv_val = (char *) (uintptr_t) dn;
  user.bv_len = strlen(dn);
  old.bv_val = (char *) (uintptr_t) oldpw;
  old.bv_len = strlen(oldpw);
  neu.bv_val = (char *) (uintptr_t) newpw;
  neu.bv_len = strlen(newpw);
  pp->rc = ldap_passwd(l->usr, &user, &old, &neu, sctrls, NULL, &msgid);
  if (pp->rc == LDAP_SUCCESS)
    collect(l->usr, msgid, l->cfg->timeout, pp, NULL);
  ldap_control_free(ctrl);
}

enum kc_ldap_passwd_result
kc_ldap_passwd_user(struct kc_ldap *l, const char *dn, const char *oldpw,
  const char *newpw, char *msg, size_t msglen)
{
  msg[0] = '\0';
  switch (kc_ldap_bind_user(l, dn, oldpw)) {
    case KC_BIND_OK:
    case KC_BIND_MUST_CHANGE:
      break;
    case KC_BIND_LOCKED:
      return KC_PASSWD_LOCKED;
    case KC_BIND_UNAVAILABLE:
      return KC_PASSWD_UNAVAILABLE;
    default:
      return KC_PASSWD_BAD_OLD;
  }
  return kc_ldap_passwd_bound(l, dn, oldpw, newpw, msg, msglen);
}

enum kc_ldap_passwd_result
kc_ldap_passwd_bound(struct kc_ldap *l, const char *dn, const char *oldpw,
  const char *newpw, char *msg, size_t msglen)
{
  struct pp_state pp;

  msg[0] = '\0';
  if (l->usr == NULL)
    return KC_PASSWD_UNAVAILABLE;
  passwd_exop(l, dn, oldpw, newpw, &pp);
  if (pp.rc == LDAP_SUCCESS)
    return KC_PASSWD_OK;
  if (is_down(pp.rc)) {
    drop(&l->usr);
    return KC_PASSWD_UNAVAILABLE;
  }
  if (pp.err != PP_noError)
    kc_str_copy_printable(msg, msglen, ldap_passwordpolicy_err2txt(pp.err));
  else
    kc_str_copy_printable(msg, msglen, pp.msg[0] ? pp.msg : ldap_err2string(pp.rc));
  return KC_PASSWD_REJECTED;
}

int
kc_ldap_lockout_duration(struct kc_ldap *l, const struct kc_ldap_user *u,
  long *secs)
{
  static const char *attrs[] = {"pwdLockoutDuration", NULL};
  char dn[KC_MAX_DN + 32], val[24];
  LDAPMessage *res = NULL, *e;
  uint64_t v;
  int r;

  *secs = 0;
  if (u->policy_dn[0] != '\0')
    snprintf(dn, sizeof(dn), "%s", u->policy_dn);
  else
    snprintf(dn, sizeof(dn), "cn=default,ou=policies,%s", l->cfg->base);
  r = search(l, dn, LDAP_SCOPE_BASE, "(objectClass=pwdPolicy)",
    (char **) (uintptr_t) attrs, 1, &res);
  if (r == KC_ERR_NOT_FOUND) {
    ldap_msgfree(res);
    return 0; /* no policy: ppolicy's default is a permanent lock */
  }
  if (r == 0 && (e = ldap_first_entry(l->svc, res)) != NULL &&
    first_value(l->svc, e, "pwdLockoutDuration", val, sizeof(val)) == 0 &&
    val[0] != '\0' && kc_str_to_uint(val, &v, 0, 100L * 365 * 86400) == 0)
    *secs = (long) v;
  ldap_msgfree(res);
  return r == 0 ? 0 : KC_ERR_UNAVAILABLE;
}

/* ------------------------------------------------------------------ TAN */

/* One modify on the service connection (svc_run). */
static int
modify(struct kc_ldap *l, const char *dn, LDAPMod **mods)
{
  struct svc_op op = {.kind = OP_MODIFY, .dn = dn, .mods = mods};
  int rc, r;

  if ((r = svc_run(l, &op, &rc)) != 0)
    return r;
  switch (rc) {
    case LDAP_SUCCESS:
      return 0;
    case LDAP_NO_SUCH_ATTRIBUTE:
    case LDAP_NO_SUCH_OBJECT:
      return KC_ERR_NOT_FOUND;
    case LDAP_TYPE_OR_VALUE_EXISTS:
      return KC_ERR_DUPLICATE;
    case LDAP_INSUFFICIENT_ACCESS:
      return KC_ERR_PERMISSION;
    default:
      return is_down(rc) ? KC_ERR_UNAVAILABLE : KC_ERR_INVALID;
  }
}

/* A modification of one attribute with at most one value. */
struct onemod {
  LDAPMod mod;
  char *vals[2];
};

static LDAPMod *
onemod(struct onemod *m, int op, const char *attr, const char *val)
{
  m->mod.mod_op = op;
  m->mod.mod_type = (char *) (uintptr_t) attr;
  m->vals[0] = (char *) (uintptr_t) val;
  m->vals[1] = NULL;
  m->mod.mod_values = val != NULL ? m->vals : NULL;
  return &m->mod;
}

/* A modify that is a compare-and-swap: it deletes exact values it read
 * and adds new ones. Lost the race (a value gone, or a single-valued
 * attribute that another writer filled meanwhile): KC_ERR_DUPLICATE. */
static int
cas_modify(struct kc_ldap *l, const char *dn, LDAPMod **mods)
{
  struct svc_op op = {.kind = OP_MODIFY, .dn = dn, .mods = mods};
  int rc, r;

  if ((r = svc_run(l, &op, &rc)) != 0)
    return r;
  switch (rc) {
    case LDAP_SUCCESS:
      return 0;
    case LDAP_NO_SUCH_ATTRIBUTE:
    case LDAP_TYPE_OR_VALUE_EXISTS:
    case LDAP_CONSTRAINT_VIOLATION:
      return KC_ERR_DUPLICATE;
    case LDAP_NO_SUCH_OBJECT:
      return KC_ERR_NOT_FOUND;
    case LDAP_INSUFFICIENT_ACCESS:
      return KC_ERR_PERMISSION;
    default:
      return is_down(rc) ? KC_ERR_UNAVAILABLE : KC_ERR_INVALID;
  }
}

/* Replace attr, whose value as read was old (absent when have is false),
 * by val: delete exactly old, then add val. Uses two slots of m and
 * mods; returns the number used. */
static int
swap_mods(struct onemod *m, LDAPMod **mods, const char *attr, bool have,
  const char *old, const char *val)
{
  int n = 0;

  if (have) {
    mods[n] = onemod(&m[n], LDAP_MOD_DELETE, attr, old);
    n++;
  }
  mods[n] = onemod(&m[n], LDAP_MOD_ADD, attr, val);
  return n + 1;
}

int
kc_ldap_tan_read(struct kc_ldap *l, const char *dn, struct kc_tan_state *out)
{
  static const char *attrs[] = {TAN_ATTRS, NULL};
  LDAPMessage *res = NULL, *e;
  int r;

  memset(out, 0, sizeof(*out));
  r = search(l, dn, LDAP_SCOPE_BASE, "(objectClass=kcAccount)",
    (char **) (uintptr_t) attrs, 1, &res);
  if (r == 0) {
    if ((e = ldap_first_entry(l->svc, res)) == NULL)
      r = KC_ERR_NOT_FOUND;
    else
      r = fill_tan(l->svc, e, out);
  }
  ldap_msgfree(res);
  if (r != 0)
    memset(out, 0, sizeof(*out));
  return r;
}

int
kc_ldap_tan_store(struct kc_ldap *l, const char *dn,
  const struct kc_tan_state *cur, const struct kc_tan_state *s)
{
  char expires[16], sent[16], window[16], tries[16], count[16];
  char old_sent[16], old_count[16];
  struct onemod m[9];
  LDAPMod *mods[10];
  int n = 0;

  kc_ldap_format_time(s->expires, expires);
  kc_ldap_format_time(s->sent_at, sent);
  kc_ldap_format_time(s->window_start, window);
  kc_ldap_format_time(cur->sent_at, old_sent);
  snprintf(tries, sizeof(tries), "%u", s->tries);
  snprintf(count, sizeof(count), "%u", s->send_count);
  snprintf(old_count, sizeof(old_count), "%u", cur->send_count);
  mods[0] = onemod(&m[0], LDAP_MOD_REPLACE, "kcTanChallenge", s->challenge);
  mods[1] = onemod(&m[1], LDAP_MOD_REPLACE, "kcTanHash", s->hash);
  mods[2] = onemod(&m[2], LDAP_MOD_REPLACE, "kcTanExpires", expires);
  mods[3] = onemod(&m[3], LDAP_MOD_REPLACE, "kcTanTries", tries);
  mods[4] = onemod(&m[4], LDAP_MOD_REPLACE, "kcTanWindowStart", window);
  n = 5;
  /* Conditional on the send counters as read: of several kcd that decided
   * on the same state to send, only the first stores, and only it sends.
   * Both are written together, and a real send time is never 0, so 0
   * means "absent". */
  n += swap_mods(&m[n], &mods[n], "kcTanSentAt", cur->sent_at != 0, old_sent,
    sent);
  n += swap_mods(&m[n], &mods[n], "kcTanSendCount", cur->send_count != 0,
    old_count, count);
  mods[n] = NULL;
  return cas_modify(l, dn, mods);
}

int
kc_ldap_tan_count_try(struct kc_ldap *l, const char *dn,
  const struct kc_tan_state *s)
{
  char tries[16], tries1[16], fail[16], fail1[16];
  struct onemod m[6];
  LDAPMod *mods[7];
  int n = 0;

  snprintf(tries, sizeof(tries), "%u", s->tries);
  snprintf(tries1, sizeof(tries1), "%u", s->tries + 1);
  snprintf(fail, sizeof(fail), "%u", s->failures);
  snprintf(fail1, sizeof(fail1), "%u", s->failures + 1);
  /* the hash deleted and put back: the try counts for exactly this TAN */
  n += swap_mods(&m[n], &mods[n], "kcTanHash", true, s->hash, s->hash);
  n += swap_mods(&m[n], &mods[n], "kcTanTries", true, tries, tries1);
  n += swap_mods(&m[n], &mods[n], "kcTanFailures", s->failures_set, fail,
    fail1);
  mods[n] = NULL;
  return cas_modify(l, dn, mods);
}

int
kc_ldap_tan_consume(struct kc_ldap *l, const char *dn,
  const struct kc_tan_state *s)
{
  char tries[16];
  struct onemod m[5];
  LDAPMod *mods[6];

  snprintf(tries, sizeof(tries), "%u", s->tries);
  mods[0] = onemod(&m[0], LDAP_MOD_DELETE, "kcTanHash", s->hash);
  mods[1] = onemod(&m[1], LDAP_MOD_DELETE, "kcTanTries", tries);
  mods[2] = onemod(&m[2], LDAP_MOD_REPLACE, "kcTanChallenge", NULL);
  mods[3] = onemod(&m[3], LDAP_MOD_REPLACE, "kcTanExpires", NULL);
  /* a right second factor: the account's count of wrong ones starts over */
  mods[4] = onemod(&m[4], LDAP_MOD_REPLACE, "kcTanFailures", NULL);
  mods[5] = NULL;
  return cas_modify(l, dn, mods);
}

int
kc_ldap_tan_clear(struct kc_ldap *l, const char *dn)
{
  struct onemod m[4];
  LDAPMod *mods[5];

  mods[0] = onemod(&m[0], LDAP_MOD_REPLACE, "kcTanHash", NULL);
  mods[1] = onemod(&m[1], LDAP_MOD_REPLACE, "kcTanChallenge", NULL);
  mods[2] = onemod(&m[2], LDAP_MOD_REPLACE, "kcTanExpires", NULL);
  mods[3] = onemod(&m[3], LDAP_MOD_REPLACE, "kcTanTries", NULL);
  mods[4] = NULL;
  return modify(l, dn, mods);
}

int
kc_ldap_lock(struct kc_ldap *l, const char *dn)
{
  struct onemod m[5];
  LDAPMod *mods[6];

  mods[0] = onemod(&m[0], LDAP_MOD_REPLACE, "pwdAccountLockedTime",
    KC_LDAP_LOCK_FOREVER);
  mods[1] = onemod(&m[1], LDAP_MOD_REPLACE, "kcTanHash", NULL);
  mods[2] = onemod(&m[2], LDAP_MOD_REPLACE, "kcTanChallenge", NULL);
  mods[3] = onemod(&m[3], LDAP_MOD_REPLACE, "kcTanExpires", NULL);
  mods[4] = onemod(&m[4], LDAP_MOD_REPLACE, "kcTanTries", NULL);
  mods[5] = NULL;
  return modify(l, dn, mods);
}

/* ------------------------------------------------ registration and accounts */

/* RFC 4514 escaping of an attribute value for an RDN. false when it does
 * not fit. */
static bool
rdn_escape(const char *v, char *out, size_t outlen)
{
  size_t o = 0, i, n = strlen(v);

  for (i = 0; i < n; i++) {
    char c = v[i];
    bool esc = strchr(",+\"\\<>;=", c) != NULL || (i == 0 && (c == ' ' ||
      c == '#')) || (i == n - 1 && c == ' ');
    if (o + 3 >= outlen)
      return false;
    if (esc)
      out[o++] = '\\';
    out[o++] = c;
  }
  out[o] = '\0';
  return n > 0;
}

/* "ATTR=VALUE,ou=OU,<base>" with VALUE escaped. */
static int
make_dn(const struct kc_ldap *l, const char *attr, const char *value,
  const char *ou, char *dn, size_t dnlen)
{
  char esc[KC_MAX_DN];
  int n;

  if (!rdn_escape(value, esc, sizeof(esc)))
    return KC_ERR_INVALID;
  n = snprintf(dn, dnlen, "%s=%s,ou=%s,%s", attr, esc, ou, l->cfg->base);
  return n > 0 && (size_t) n < dnlen ? 0 : KC_ERR_TOO_LARGE;
}

/* "(&(objectClass=CLASS)(ATTR=VALUE))" with VALUE escaped. */
static int
make_filter(const char *cls, const char *attr, const char *value, char *out,
  size_t outlen)
{
  struct berval in, esc = {0, NULL};
  int n;

  in.bv_val = (char *) (uintptr_t) value;
  in.bv_len = strlen(value);
  if (ldap_bv2escaped_filter_value(&in, &esc) != 0)
    return KC_ERR_NOMEM;
  n = snprintf(out, outlen, "(&(objectClass=%s)(%s=%s))", cls, attr,
    esc.bv_val);
  ber_memfree(esc.bv_val);
  return n > 0 && (size_t) n < outlen ? 0 : KC_ERR_TOO_LARGE;
}

int
kc_ldap_customer_mail(struct kc_ldap *l, const char *number, char *mail,
  size_t maillen)
{
  static const char *attrs[] = {"mail", NULL};
  char filter[128];
  LDAPMessage *res = NULL, *e;
  int r;

  mail[0] = '\0';
  if (!kc_str_is_customer_number(number))
    return KC_ERR_NOT_FOUND;
  if ((r = make_filter("kcCustomer", "kcCustomerNumber", number, filter,
         sizeof(filter))) != 0)
    return r;
  r = search(l, l->cfg->base, LDAP_SCOPE_SUBTREE, filter,
    (char **) (uintptr_t) attrs, 2, &res);
  if (r == 0) {
    if (ldap_count_entries(l->svc, res) != 1 ||
      (e = ldap_first_entry(l->svc, res)) == NULL)
      r = KC_ERR_NOT_FOUND;
    else if (first_value(l->svc, e, "mail", mail, maillen) != 0 ||
      mail[0] == '\0')
      r = KC_ERR_NOT_FOUND;
  }
  ldap_msgfree(res);
  return r;
}

/* Delete every registration of customer (voids older links). */
static int
delete_registrations(struct kc_ldap *l, const char *customer)
{
  static const char *attrs[] = {"1.1", NULL};
  char filter[128], base[KC_MAX_DN + 32];
  LDAPMessage *res = NULL, *e;
  char *dn;
  int r;

  snprintf(base, sizeof(base), "ou=registrations,%s", l->cfg->base);
  if ((r = make_filter("kcRegistration", "kcCustomerNumber", customer, filter,
         sizeof(filter))) != 0)
    return r;
  r = search(l, base, LDAP_SCOPE_ONELEVEL, filter, (char **) (uintptr_t) attrs,
    100, &res);
  for (e = r == 0 ? ldap_first_entry(l->svc, res) : NULL; e != NULL;
       e = ldap_next_entry(l->svc, e)) {
    if ((dn = ldap_get_dn(l->svc, e)) == NULL)
      continue;
    if (ldap_delete_ext_s(l->svc, dn, NULL, NULL) != LDAP_SUCCESS)
      r = KC_ERR_UNAVAILABLE;
    ldap_memfree(dn);
  }
  ldap_msgfree(res);
  return r == KC_ERR_NOT_FOUND ? 0 : r;
}

/* Add an entry on the service connection (svc_run). */
static int
add_entry(struct kc_ldap *l, const char *dn, LDAPMod **mods)
{
  struct svc_op op = {.kind = OP_ADD, .dn = dn, .mods = mods};
  int rc, r;

  if ((r = svc_run(l, &op, &rc)) != 0)
    return r;
  if (rc == LDAP_SUCCESS)
    return 0;
  if (rc == LDAP_ALREADY_EXISTS)
    return KC_ERR_DUPLICATE;
  if (rc == LDAP_INSUFFICIENT_ACCESS)
    return KC_ERR_PERMISSION;
  return is_down(rc) ? KC_ERR_UNAVAILABLE : KC_ERR_INVALID;
}

int
kc_ldap_registration_add(struct kc_ldap *l, const char *id,
  const char *token_hash, time_t expires, const char *customer,
  const char *mail, const char *language)
{
  static const char *oc[] = {"top", "kcRegistration", NULL};
  char dn[KC_MAX_DN + 1], exp[16];
  struct onemod m[7];
  LDAPMod *mods[8];
  int r;

  if ((r = make_dn(l, "kcRegistrationId", id, "registrations", dn,
         sizeof(dn))) != 0 ||
    (r = delete_registrations(l, customer)) != 0)
    return r;
  kc_ldap_format_time(expires, exp);
  mods[0] = onemod(&m[0], LDAP_MOD_ADD, "objectClass", NULL);
  m[0].mod.mod_values = (char **) (uintptr_t) oc;
  mods[1] = onemod(&m[1], LDAP_MOD_ADD, "kcRegistrationId", id);
  mods[2] = onemod(&m[2], LDAP_MOD_ADD, "kcTokenHash", token_hash);
  mods[3] = onemod(&m[3], LDAP_MOD_ADD, "kcExpires", exp);
  mods[4] = onemod(&m[4], LDAP_MOD_ADD, "kcCustomerNumber", customer);
  mods[5] = onemod(&m[5], LDAP_MOD_ADD, "mail", mail);
  mods[6] = onemod(&m[6], LDAP_MOD_ADD, "kcLanguage", language);
  mods[7] = NULL;
  return add_entry(l, dn, mods);
}

int
kc_ldap_registration_find(struct kc_ldap *l, const char *token_hash,
  struct kc_ldap_registration *out)
{
  static const char *attrs[] = {"kcCustomerNumber", "mail", "kcLanguage",
    "kcExpires", NULL};
  char filter[256], base[KC_MAX_DN + 32], *dn;
  LDAPMessage *res = NULL, *e;
  int r;

  memset(out, 0, sizeof(*out));
  snprintf(base, sizeof(base), "ou=registrations,%s", l->cfg->base);
  if ((r = make_filter("kcRegistration", "kcTokenHash", token_hash, filter,
         sizeof(filter))) != 0)
    return r;
  r = search(l, base, LDAP_SCOPE_ONELEVEL, filter, (char **) (uintptr_t) attrs,
    2, &res);
  if (r == 0 && (ldap_count_entries(l->svc, res) != 1 ||
                  (e = ldap_first_entry(l->svc, res)) == NULL))
    r = KC_ERR_NOT_FOUND;
  else if (r == 0) {
    dn = ldap_get_dn(l->svc, e);
    if (dn == NULL || strlen(dn) > KC_MAX_DN ||
      first_value(l->svc, e, "kcCustomerNumber", out->customer,
        sizeof(out->customer)) != 0 ||
      first_value(l->svc, e, "mail", out->mail, sizeof(out->mail)) != 0 ||
      first_value(l->svc, e, "kcLanguage", out->language,
        sizeof(out->language)) != 0 ||
      time_value(l->svc, e, "kcExpires", &out->expires) != 0)
      r = KC_ERR_INVALID;
    else
      memcpy(out->dn, dn, strlen(dn) + 1);
    ldap_memfree(dn);
  }
  ldap_msgfree(res);
  if (r != 0)
    memset(out, 0, sizeof(*out));
  return r;
}

int
kc_ldap_registration_swap(struct kc_ldap *l, const char *dn, const char *from,
  const char *to)
{
  struct onemod m[2];
  LDAPMod *mods[3];

  mods[0] = onemod(&m[0], LDAP_MOD_DELETE, "kcTokenHash", from);
  mods[1] = onemod(&m[1], LDAP_MOD_ADD, "kcTokenHash", to);
  mods[2] = NULL;
  return modify(l, dn, mods);
}

int
kc_ldap_delete(struct kc_ldap *l, const char *dn)
{
  struct svc_op op = {.kind = OP_DELETE, .dn = dn};
  int rc, r;

  if ((r = svc_run(l, &op, &rc)) != 0)
    return r;
  if (rc == LDAP_SUCCESS)
    return 0;
  if (rc == LDAP_NO_SUCH_OBJECT)
    return KC_ERR_NOT_FOUND;
  return is_down(rc) ? KC_ERR_UNAVAILABLE : KC_ERR_INVALID;
}

int
kc_ldap_uid_free(struct kc_ldap *l, const char *uid)
{
  static const char *attrs[] = {"1.1", NULL};
  char filter[KC_MAX_USERNAME * 3 + 64];
  LDAPMessage *res = NULL;
  int r;

  if (!kc_str_is_username(uid))
    return KC_ERR_INVALID;
  /* the name is validated: it holds no filter metacharacters */
  snprintf(filter, sizeof(filter), "(uid=%s)", uid);
  r = search(l, l->cfg->base, LDAP_SCOPE_SUBTREE, filter,
    (char **) (uintptr_t) attrs, 2, &res);
  if (r == 0 && ldap_count_entries(l->svc, res) > 0)
    r = KC_ERR_DUPLICATE;
  ldap_msgfree(res);
  return r;
}

static void
push_add(LDAPMod **mods, struct onemod *m, size_t *n, const char *attr,
  const char *val)
{
  mods[*n] = onemod(&m[*n], LDAP_MOD_ADD, attr, val);
  (*n)++;
}

int
kc_ldap_account_add(struct kc_ldap *l, const struct kc_ldap_new_account *a)
{
  static const char *oc[] = {"top", "person", "organizationalPerson",
    "inetOrgPerson", "kcAccount", NULL};
  char dn[KC_MAX_DN + 1], cn[256];
  struct onemod m[14];
  LDAPMod *mods[15];
  size_t n = 0;
  int r;

  if (!kc_str_is_username(a->uid))
    return KC_ERR_INVALID;
  if ((r = make_dn(l, "uid", a->uid, "accounts", dn, sizeof(dn))) != 0)
    return r;
  snprintf(cn, sizeof(cn), "%s %s", a->first_name, a->last_name);
  mods[n] = onemod(&m[n], LDAP_MOD_ADD, "objectClass", NULL);
  m[n++].mod.mod_values = (char **) (uintptr_t) oc;
  push_add(mods, m, &n, "uid", a->uid);
  push_add(mods, m, &n, "cn", cn);
  push_add(mods, m, &n, "sn", a->last_name);
  push_add(mods, m, &n, "givenName", a->first_name);
  push_add(mods, m, &n, "mail", a->mail);
  push_add(mods, m, &n, "userPassword", a->password_hash);
  push_add(mods, m, &n, "kcCustomerNumber", a->customer);
  push_add(mods, m, &n, "kcTanMethod", a->tan_method);
  push_add(mods, m, &n, "kcRole", a->role);
  push_add(mods, m, &n, "kcLanguage", a->language);
  if (a->mobile[0] != '\0')
    push_add(mods, m, &n, "mobile", a->mobile);
  if (a->salutation[0] != '\0')
    push_add(mods, m, &n, "personalTitle", a->salutation);
  mods[n] = NULL;
  return add_entry(l, dn, mods);
}

int
kc_ldap_set_tan_method(struct kc_ldap *l, const char *dn, const char *method,
  const char *mobile)
{
  struct onemod m[3];
  LDAPMod *mods[4];
  size_t n = 0;

  mods[n] = onemod(&m[n], LDAP_MOD_REPLACE, "kcTanMethod", method);
  n++;
  mods[n] = onemod(&m[n], LDAP_MOD_REPLACE, "kcFirstLogin", NULL);
  n++;
  if (mobile != NULL && mobile[0] != '\0') {
    mods[n] = onemod(&m[n], LDAP_MOD_REPLACE, "mobile", mobile);
    n++;
  }
  mods[n] = NULL;
  return modify(l, dn, mods);
}

int
kc_ldap_rename(struct kc_ldap *l, const char *dn, const char *newuid,
  char *newdn, size_t newdnlen)
{
  char rdn[KC_MAX_USERNAME + 8];
  struct svc_op op = {.kind = OP_RENAME, .dn = dn, .newrdn = rdn};
  int rc, r, n;

  newdn[0] = '\0';
  if (!kc_str_is_username(newuid))
    return KC_ERR_INVALID;
  snprintf(rdn, sizeof(rdn), "uid=%s", newuid); /* validated: no escaping */
  if ((r = svc_run(l, &op, &rc)) != 0)
    return r;
  if (rc == LDAP_ALREADY_EXISTS)
    return KC_ERR_DUPLICATE;
  if (rc != LDAP_SUCCESS)
    return is_down(rc) ? KC_ERR_UNAVAILABLE : KC_ERR_INVALID;
  /* same parent: the old RDN (a validated uid) holds no comma */
  n = snprintf(newdn, newdnlen, "%s%s", rdn,
    strchr(dn, ',') != NULL ? strchr(dn, ',') : "");
  return n > 0 && (size_t) n < newdnlen ? 0 : KC_ERR_TOO_LARGE;
}
