/*
 * kc_ldap.c: the directory layer of kcd and kcadm. See kc_ldap.h for the
 * model (one pair of connections, lazy open, one reconnect on a dead
 * server, one map of results).
 */
#include <config.h>

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include <ldap.h>
#include <sodium.h>

#include "kc_err.h"
#include "kc_proto.h"
#include "kc_str.h"
#include "kc_ldap.h"
#include "log.h"

/* Password-policy control response, as far as we use it. */
struct pp_state {
  int rc; /* LDAP result code */
  LDAPPasswordPolicyError err;
  bool warned;   /* a response control with an expiry or grace warning */
  char msg[128]; /* server's diagnostic text, capped */
};

/* The connection is gone or the server cannot serve: worth a new
 * connection (see no_retry). */
static bool
is_down(int rc)
{
  return rc == LDAP_SERVER_DOWN || rc == LDAP_CONNECT_ERROR ||
         rc == LDAP_TIMEOUT || rc == LDAP_UNAVAILABLE || rc == LDAP_BUSY;
}

/* The map of kc_ldap.h, first the rows that depend on the operation. */
static int
err_special(enum kc_ldap_op op, int rc)
{
  switch (op) {
    case KC_LDAP_OP_BIND:
      return KC_ERR_PERMISSION;
    case KC_LDAP_OP_READ:
      if (rc == LDAP_NO_SUCH_OBJECT)
        return KC_ERR_NOT_FOUND;
      if (rc == LDAP_SIZELIMIT_EXCEEDED || rc == LDAP_ADMINLIMIT_EXCEEDED)
        return KC_ERR_INVALID;
      return KC_ERR_UNAVAILABLE;
    case KC_LDAP_OP_ADD:
      /* only an entry of that name is "taken" (callers try another name);
       * a missing parent or a value twice is a bad entry */
      if (rc == LDAP_NO_SUCH_OBJECT || rc == LDAP_TYPE_OR_VALUE_EXISTS ||
          rc == LDAP_NO_SUCH_ATTRIBUTE)
        return KC_ERR_INVALID;
      return 1;
    case KC_LDAP_OP_CAS:
      return rc == LDAP_NO_SUCH_ATTRIBUTE || rc == LDAP_TYPE_OR_VALUE_EXISTS ||
                 rc == LDAP_CONSTRAINT_VIOLATION
               ? KC_ERR_DUPLICATE
               : 1;
    default:
      return 1;
  }
}

int
kc_ldap_err(enum kc_ldap_op op, int rc)
{
  int r;

  if (rc == LDAP_SUCCESS)
    return 0;
  if (is_down(rc) || rc == LDAP_TIMELIMIT_EXCEEDED)
    return KC_ERR_UNAVAILABLE;
  if ((r = err_special(op, rc)) <= 0)
    return r;
  switch (rc) {
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
    case LDAP_SIZELIMIT_EXCEEDED:
    case LDAP_ADMINLIMIT_EXCEEDED:
      return KC_ERR_RANGE;
    case LDAP_NO_MEMORY:
      return KC_ERR_NOMEM;
    default:
      return KC_ERR_INVALID;
  }
}

/* Remember rc and its text (with diag when there is one). */
static void
note(struct kc_ldap *l, int rc, const char *diag)
{
  char text[KC_LDAP_ERR_SIZE];

  l->rc = rc;
  if (diag != NULL && diag[0] != '\0')
    snprintf(text, sizeof(text), "%s (%d): %s", ldap_err2string(rc), rc, diag);
  else
    snprintf(text, sizeof(text), "%s (%d)", ldap_err2string(rc), rc);
  kc_str_copy_printable(l->err, sizeof(l->err), text);
}

/* note() with the diagnostic message libldap kept from ld's last answer. */
static void
note_ld(struct kc_ldap *l, LDAP *ld, int rc)
{
  char *diag = NULL;

  if (ld != NULL)
    (void) ldap_get_option(ld, LDAP_OPT_DIAGNOSTIC_MESSAGE, &diag);
  note(l, rc, diag);
  ldap_memfree(diag);
}

static void
note_text(struct kc_ldap *l, int rc, const char *text)
{
  l->rc = rc;
  kc_str_copy_printable(l->err, sizeof(l->err), text);
}

const char *
kc_ldap_error(const struct kc_ldap *l)
{
  return l->err;
}

/*
 * no_retry: an operation whose connection turned out dead (a restarted
 * slapd, a dropped TCP connection) is tried once more on a new one. One
 * that timed out only when it is a read or a bind, and then on another
 * server of ldap_uri: the server is there but hung or overloaded, so the
 * same one would only double the wait (past the module's own timeout),
 * and a write may have been applied already. (A bind that timed out on
 * a server that was only slow may so count a wrong password twice.) The
 * connection is dropped either way, and the server skipped for a while by
 * every connection (kc_ldap_servers.h).
 */

void
kc_ldap_init(struct kc_ldap *l, const struct kc_ldap_cfg *cfg)
{
  l->cfg = cfg;
  l->svc = NULL;
  l->usr = NULL;
  l->usr_plain = false;
  l->rc = LDAP_SUCCESS;
  l->err[0] = '\0';
  if (cfg->retry_after > 0)
    kc_ldap_servers_set_skip((unsigned) cfg->retry_after);
  l->servers_ok =
    cfg->uri != NULL && kc_ldap_servers_find(cfg->uri, &l->servers) == 0;
  l->svc_at = l->usr_at = 0;
  l->svc_failures = l->usr_failures = 0;
}

static time_t
mono_now(void)
{
  struct timespec ts;

  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec;
}

/* The server of a connection failed (timeout, refused, dropped, busy):
 * every connection of the process skips it for a while. */
static void
server_failed(struct kc_ldap *l, size_t at)
{
  int slot = l->servers.slot[at];

  if (kc_ldap_server_failed(slot, mono_now()))
    kc_log_warnx("LDAP server %s failed (%s): the others first for %u s",
                 kc_ldap_server_uri(slot), l->err, kc_ldap_servers_skip());
}

/* A server answered (anything but a dead connection or a timeout). */
static void
server_answered(struct kc_ldap *l, size_t at)
{
  int slot = l->servers.slot[at];

  if (kc_ldap_server_answered(slot))
    kc_log_info("LDAP server %s answers again", kc_ldap_server_uri(slot));
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

/* The options set on every connection of ours (protocol 3, no referrals,
 * network and operation timeouts, TLS certificate demanded, CA file). */
static int
set_options(LDAP *ld, const struct kc_ldap_cfg *cfg)
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

/* Open a connection to one server of ldap_uri: the first in the order
 * of kc_ldap_servers_order() that accepts a TCP connection (and StartTLS)
 * and is not in the bit set tried. *at: its index in l->servers,
 * *failures: its failure count now. The one place a connection is
 * made. */
static int
open_conn(struct kc_ldap *l, LDAP **out, size_t *at, unsigned *failures,
          uint32_t tried)
{
  const struct kc_ldap_cfg *cfg = l->cfg;
  size_t order[KC_LDAP_MAX_SERVERS], n, k;
  LDAP *ld = NULL;
  int rc;

  *out = NULL;
  if (cfg->uri == NULL || cfg->bind_dn == NULL || cfg->bind_pw == NULL) {
    note_text(l, LDAP_PARAM_ERROR,
              "no LDAP URI or service DN and password configured");
    return KC_ERR_INVALID;
  }
  if (!l->servers_ok) {
    note_text(l, LDAP_PARAM_ERROR, "bad ldap_uri");
    return KC_ERR_INVALID;
  }
  n = kc_ldap_servers_order(&l->servers, tried, mono_now(), order);
  if (n == 0)
    note_text(l, LDAP_SERVER_DOWN, "no LDAP server left to try");
  for (k = 0; k < n; k++) {
    int slot = l->servers.slot[order[k]];

    if ((rc = ldap_initialize(&ld, kc_ldap_server_uri(slot))) != LDAP_SUCCESS) {
      note(l, rc, "bad ldap_uri");
      return KC_ERR_INVALID;
    }
    if (set_options(ld, cfg) != 0) {
      drop(&ld);
      note_text(l, LDAP_OTHER, "cannot set LDAP options");
      return KC_ERR_INTERNAL;
    }
    *failures = kc_ldap_server_failures(slot);
    rc = ldap_connect(ld);
    if (rc == LDAP_SUCCESS && cfg->starttls)
      rc = ldap_start_tls_s(ld, NULL, NULL);
    if (rc != LDAP_SUCCESS) {
      note_ld(l, ld, rc);
      drop(&ld);
      if (is_down(rc))
        server_failed(l, order[k]);
      continue;
    }
    *at = order[k];
    *out = ld;
    return 0;
  }
  return KC_ERR_UNAVAILABLE;
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
  if (c != NULL && ldap_parse_passwordpolicy_control(ld, c, &expire, &grace,
                                                     &pp->err) != LDAP_SUCCESS)
    pp->err = PP_noError;
  else if (c != NULL)
    pp->warned = expire >= 0 || grace >= 0;
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
  pp->rc =
    ldap_sasl_bind(ld, dn, LDAP_SASL_SIMPLE, &cred, sctrls, NULL, &msgid);
  if (pp->rc == LDAP_SUCCESS)
    collect(ld, msgid, timeout, pp, NULL);
  ldap_control_free(ctrl);
}

/* Make sure l->svc is open and bound as the service DN. Unless keep, an
 * open one is given up first when its server failed since or one before
 * it answers again (kc_ldap_servers.h). A server that times out or
 * drops the service bind is skipped and the next one tried. */
static int
svc_ready_from(struct kc_ldap *l, bool keep, uint32_t *tried)
{
  struct pp_state pp;
  int r;

  if (l->svc != NULL && !keep && l->servers_ok &&
      kc_ldap_servers_leave(&l->servers, l->svc_at, l->svc_failures,
                            mono_now()))
    drop(&l->svc);
  if (l->svc != NULL)
    return 0;
  for (;;) {
    if ((r = open_conn(l, &l->svc, &l->svc_at, &l->svc_failures, *tried)) != 0)
      return r;
    bind_pp(l->svc, l->cfg->bind_dn, l->cfg->bind_pw, l->cfg->timeout, &pp);
    if (pp.rc == LDAP_SUCCESS) {
      server_answered(l, l->svc_at);
      return 0;
    }
    note(l, pp.rc, pp.msg);
    drop(&l->svc);
    if (!is_down(pp.rc))
      return kc_ldap_err(KC_LDAP_OP_BIND, pp.rc);
    server_failed(l, l->svc_at);
    *tried |= 1u << l->svc_at;
  }
}

/* svc_ready_from() with every server of ldap_uri to try. */
static int
svc_ready(struct kc_ldap *l, bool keep)
{
  uint32_t tried = 0;

  return svc_ready_from(l, keep, &tried);
}

int
kc_ldap_open(struct kc_ldap *l, const struct kc_ldap_cfg *cfg)
{
  kc_ldap_init(l, cfg);
  return svc_ready(l, false);
}

static int search(struct kc_ldap *l, const char *base, int scope,
                  const char *filter, char **attrs, int sizelimit,
                  LDAPMessage **res);

int
kc_ldap_ping(struct kc_ldap *l)
{
  static const char *attrs[] = {"1.1", NULL};
  LDAPMessage *res = NULL;
  int r;

  /* a read of the base entry, not only a connection: a server that
   * accepts connections but does not answer is down */
  r = search(l, l->cfg->base != NULL ? l->cfg->base : "", LDAP_SCOPE_BASE,
             "(objectClass=*)", (char **) (uintptr_t) attrs, 1, &res);
  ldap_msgfree(res);
  return r == 0 || r == KC_ERR_NOT_FOUND ? 0 : KC_ERR_UNAVAILABLE;
}

const char *
kc_ldap_server_in_use(const struct kc_ldap *l)
{
  return l->svc != NULL && l->servers_ok
           ? kc_ldap_server_uri(l->servers.slot[l->svc_at])
           : NULL;
}

int
kc_ldap_servers_state(const struct kc_ldap *l, struct kc_buf *out)
{
  if (!l->servers_ok)
    return 0;
  return kc_ldap_servers_describe(&l->servers, mono_now(), out);
}

/* One operation on the service connection. */
struct svc_op {
  enum {
    OP_SEARCH,
    OP_MODIFY,
    OP_ADD,
    OP_DELETE,
    OP_RENAME,
    OP_ADD_START,
    OP_MODIFY_START
  } kind;
  const char *dn;     /* the entry; a search's base */
  LDAPMod **mods;     /* OP_MODIFY, OP_ADD, the starts */
  const char *newrdn; /* OP_RENAME, same parent */
  int scope;          /* OP_SEARCH ... */
  const char *filter;
  char **attrs;
  int sizelimit;
  LDAPMessage **res;
  LDAPControl **sctrls; /* OP_SEARCH, OP_MODIFY(_START); NULL: none */
  int *msgid;           /* the starts */
};

/* The call itself: the LDAP result code. */
static int
svc_call(struct kc_ldap *l, const struct svc_op *op)
{
  struct timeval tv = {l->cfg->timeout, 0};

  switch (op->kind) {
    case OP_SEARCH:
      return ldap_search_ext_s(l->svc, op->dn, op->scope, op->filter, op->attrs,
                               0, op->sctrls, NULL, &tv, op->sizelimit,
                               op->res);
    case OP_MODIFY:
      return ldap_modify_ext_s(l->svc, op->dn, op->mods, op->sctrls, NULL);
    case OP_ADD:
      return ldap_add_ext_s(l->svc, op->dn, op->mods, NULL, NULL);
    case OP_DELETE:
      return ldap_delete_ext_s(l->svc, op->dn, NULL, NULL);
    case OP_ADD_START:
      return ldap_add_ext(l->svc, op->dn, op->mods, NULL, NULL, op->msgid);
    case OP_MODIFY_START:
      return ldap_modify_ext(l->svc, op->dn, op->mods, op->sctrls, NULL,
                             op->msgid);
    case OP_RENAME:
    default:
      return ldap_rename_s(l->svc, op->dn, op->newrdn, NULL, 1, NULL, NULL);
  }
}

/* Run op with the retry policy (no_retry): on a dead connection once more
 * on a new one; after a timeout a read once more on the next server, a
 * write not; an asynchronous start never. 0
 * with the LDAP result in *rc (a failure noted for kc_ldap_error()), or
 * the KC_ERR_* of svc_ready() when no connection could be had. Every
 * operation on the service connection goes through here. */
static int
svc_run(struct kc_ldap *l, const struct svc_op *op, int *rc)
{
  /* Not again: an add or a rename that slapd applied before the
   * connection died would come back "taken" (and kcadm would make a
   * second account under the next name); a paged search's cookie belongs
   * to the dead connection; an asynchronous start has answers pending. */
  bool once = op->kind == OP_ADD_START || op->kind == OP_MODIFY_START ||
              op->kind == OP_ADD || op->kind == OP_RENAME ||
              (op->kind == OP_SEARCH && op->sctrls != NULL);
  bool read = op->kind == OP_SEARCH && op->sctrls == NULL;
  uint32_t tried = 0; /* never back to a server this operation gave up */
  int attempt, r;

  *rc = LDAP_OTHER;
  for (attempt = 0; attempt < 2; attempt++) {
    /* a start has answers pending on its connection, a paged search's
     * cookie belongs to it: never a quiet move to another server */
    if ((r = svc_ready_from(l,
                            once && op->kind != OP_ADD && op->kind != OP_RENAME,
                            &tried)) != 0)
      return r;
    *rc = svc_call(l, op);
    if (*rc == LDAP_SUCCESS || !is_down(*rc))
      server_answered(l, l->svc_at);
    if (*rc == LDAP_SUCCESS) {
      l->rc = LDAP_SUCCESS;
      l->err[0] = '\0';
      return 0;
    }
    note_ld(l, l->svc, *rc);
    if (!is_down(*rc))
      return 0;
    if (op->res != NULL) {
      ldap_msgfree(*op->res);
      *op->res = NULL;
    }
    drop(&l->svc);
    server_failed(l, l->svc_at);
    if (once || (*rc == LDAP_TIMEOUT && !read))
      break;
    if (*rc == LDAP_TIMEOUT) /* hung: the retry goes elsewhere */
      tried |= 1u << l->svc_at;
  }
  return 0;
}

/* svc_run() and the map for kind: 0 or a KC_ERR_*. */
static int
svc_do(struct kc_ldap *l, const struct svc_op *op, enum kc_ldap_op kind)
{
  int rc, r;

  if ((r = svc_run(l, op, &rc)) != 0)
    return r;
  return kc_ldap_err(kind, rc);
}

/* s into out (cap bytes): 0, or -1 (and "") when it does not fit. */
static int
copy_str(char *out, size_t cap, const char *s)
{
  size_t n = strlen(s);

  if (n >= cap) {
    out[0] = '\0';
    return -1;
  }
  memcpy(out, s, n + 1);
  return 0;
}

/* Does e have a value of attr? */
static bool
has_value(LDAP *ld, LDAPMessage *e, const char *attr)
{
  struct berval **v = ldap_get_values_len(ld, e, attr);
  bool r = v != NULL && v[0] != NULL;

  ldap_value_free_len(v);
  return r;
}

/* The one first-value reader (kc_ldap_get). */
static int
get_value(LDAP *ld, LDAPMessage *e, const char *attr, char *out, size_t outlen)
{
  struct berval **v;
  int r = 0;

  if (outlen == 0)
    return KC_ERR_TOO_LARGE;
  out[0] = '\0';
  v = ldap_get_values_len(ld, e, attr);
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

/* An optional attribute: its first value, "" when absent. */
static int
first_value(LDAP *ld, LDAPMessage *e, const char *attr, char *out,
            size_t outlen)
{
  int r = get_value(ld, e, attr, out, outlen);

  return r == KC_ERR_NOT_FOUND ? 0 : r;
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
#define TAN_ATTRS                                                              \
  "kcTanChallenge", "kcTanHash", "kcTanExpires", "kcTanTries", "kcTanSentAt",  \
    "kcTanWindowStart", "kcTanSendCount", "kcTanFailures"

static int
fill_tan(LDAP *ld, LDAPMessage *e, struct kc_tan_state *t)
{
  char failures[16], count[16];

  memset(t, 0, sizeof(*t));
  if (first_value(ld, e, "kcTanFailures", failures, sizeof(failures)) != 0 ||
      uint_value(ld, e, "kcTanFailures", &t->failures) != 0)
    return KC_ERR_INVALID;
  t->failures_set = failures[0] != '\0';
  if (first_value(ld, e, "kcTanSendCount", count, sizeof(count)) != 0)
    return KC_ERR_INVALID;
  t->send_count_set = count[0] != '\0';
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

/* The text attributes of struct kc_ldap_user: where each goes. */
#define USER_TEXT(attr, field)                                                 \
  {                                                                            \
    attr, offsetof(struct kc_ldap_user, field),                                \
      sizeof(((struct kc_ldap_user *) 0)->field)                               \
  }
static const struct {
  const char *attr;
  size_t off, size;
} user_text[] = {
  USER_TEXT("uid", uid),
  USER_TEXT("mail", mail),
  USER_TEXT("mobile", mobile),
  USER_TEXT("kcCustomerNumber", customer),
  USER_TEXT("kcTanMethod", tan_method),
  USER_TEXT("kcLanguage", language),
  USER_TEXT("pwdPolicySubentry", policy_dn),
  USER_TEXT("pwdAccountLockedTime", locked_time),
  USER_TEXT("entryUUID", uuid),
  USER_TEXT("kcRole", role),
  USER_TEXT("kcSessionStamp", stamp),
  USER_TEXT("pwdChangedTime", pwd_changed),
  USER_TEXT("kcNewMail", new_mail),
  USER_TEXT("kcNewMailHash", new_mail_hash),
  USER_TEXT("kcResetHash", reset_hash),
};

static int
cmp_customer(const void *a, const void *b)
{
  return kc_proto_customer_cmp(*(const char *const *) a,
                               *(const char *const *) b);
}

/* Every kcCustomerNumber of e, sorted and comma-separated; "" and *cut
 * when one is no customer number or there are too many. */
static void
customer_list(LDAP *ld, LDAPMessage *e, char out[KC_MAX_CUSTOMER_LIST + 1],
              bool *cut)
{
  struct berval **v = ldap_get_values_len(ld, e, "kcCustomerNumber");
  char nums[KC_MAX_ACCOUNT_CUSTOMERS][KC_MAX_CUSTOMER_NUMBER + 1];
  const char *sorted[KC_MAX_ACCOUNT_CUSTOMERS];
  size_t n = 0, i, len = 0, l;

  out[0] = '\0';
  *cut = false;
  for (i = 0; v != NULL && v[i] != NULL && !*cut; i++) {
    if (n == KC_MAX_ACCOUNT_CUSTOMERS ||
        v[i]->bv_len > KC_MAX_CUSTOMER_NUMBER) {
      *cut = true;
      break;
    }
    memcpy(nums[n], v[i]->bv_val, v[i]->bv_len);
    nums[n][v[i]->bv_len] = '\0';
    *cut =
      strlen(nums[n]) != v[i]->bv_len || !kc_str_is_customer_number(nums[n]);
    sorted[n] = nums[n];
    n++;
  }
  ldap_value_free_len(v);
  if (*cut)
    return;
  qsort(sorted, n, sizeof(sorted[0]), cmp_customer);
  for (i = 0; i < n; i++) {
    if (i > 0)
      out[len++] = ',';
    l = strlen(sorted[i]);
    memcpy(out + len, sorted[i], l);
    len += l;
  }
  out[len] = '\0';
}

/* How many values attr has in e (0 when absent). */
static unsigned
value_count(LDAP *ld, LDAPMessage *e, const char *attr)
{
  struct berval **v = ldap_get_values_len(ld, e, attr);
  unsigned n = v != NULL ? (unsigned) ldap_count_values_len(v) : 0;

  ldap_value_free_len(v);
  return n;
}

static int
fill_user(LDAP *ld, LDAPMessage *e, struct kc_ldap_user *u)
{
  char *dn = ldap_get_dn(ld, e);
  char reset[8], first[8], sends[16];
  size_t i;
  int r = 0;

  if (dn == NULL || strlen(dn) > KC_MAX_DN)
    r = KC_ERR_INVALID;
  else
    memcpy(u->dn, dn, strlen(dn) + 1);
  ldap_memfree(dn);
  for (i = 0; r == 0 && i < sizeof(user_text) / sizeof(user_text[0]); i++)
    r = first_value(ld, e, user_text[i].attr, (char *) u + user_text[i].off,
                    user_text[i].size);
  if (r != 0 || first_value(ld, e, "pwdReset", reset, sizeof(reset)) != 0 ||
      first_value(ld, e, "kcFirstLogin", first, sizeof(first)) != 0 ||
      time_value(ld, e, "kcNewMailExpires", &u->new_mail_expires) != 0 ||
      time_value(ld, e, "kcResetExpires", &u->reset_expires) != 0 ||
      time_value(ld, e, "kcResetWindowStart", &u->reset_window) != 0 ||
      first_value(ld, e, "kcResetSendCount", sends, sizeof(sends)) != 0 ||
      uint_value(ld, e, "kcResetSendCount", &u->reset_sends) != 0 ||
      fill_tan(ld, e, &u->tan) != 0)
    return KC_ERR_INVALID;
  /* The uid goes into log lines and mails: what slapd holds must be a user
   * name kcd itself would have accepted. */
  if (!kc_str_is_username(u->uid))
    return KC_ERR_INVALID;
  customer_list(ld, e, u->customers, &u->customers_cut);
  u->totp_enrolled = value_count(ld, e, "kcTotpSecret") > 0;
  u->recovery_left = value_count(ld, e, "kcRecoveryCode");
  u->first_login = strcmp(first, "TRUE") == 0;
  u->reset_sends_set = sends[0] != '\0';
  u->must_change = strcmp(reset, "TRUE") == 0;
  if (u->tan_method[0] == '\0')
    memcpy(u->tan_method, "none", 5);
  return 0;
}

/* "(&(objectClass=CLASS)(ATTR=VALUE))" with VALUE escaped. */
static int
make_filter(const char *cls, const char *attr, const char *value, char *out,
            size_t outlen)
{
  struct kc_buf b;
  int r;

  out[0] = '\0';
  kc_buf_init(&b, outlen - 1);
  if ((r = kc_buf_printf(&b, "(&(objectClass=%s)(%s=", cls, attr)) != 0 ||
      (r = kc_ldap_filter_value(&b, value)) != 0 ||
      (r = kc_buf_add_str(&b, "))")) != 0)
    return r;
  memcpy(out, kc_buf_get(&b), kc_buf_len(&b) + 1);
  kc_buf_free(&b);
  return 0;
}

/* A DN from the builders into a fixed buffer of KC_MAX_DN + 1 bytes. */
static int
dn_copy(struct kc_buf *b, int r, char out[KC_MAX_DN + 1])
{
  out[0] = '\0';
  if (r == 0)
    memcpy(out, kc_buf_get(b), kc_buf_len(b) + 1);
  kc_buf_free(b);
  return r;
}

/* One lookup of kcd's on the service connection (KC_LDAP_OP_READ); *res
 * is the whole answer. */
static int
search(struct kc_ldap *l, const char *base, int scope, const char *filter,
       char **attrs, int sizelimit, LDAPMessage **res)
{
  struct svc_op op = {.kind = OP_SEARCH,
                      .dn = base,
                      .scope = scope,
                      .filter = filter,
                      .attrs = attrs,
                      .sizelimit = sizelimit,
                      .res = res};

  *res = NULL;
  return svc_do(l, &op, KC_LDAP_OP_READ);
}

/* The attributes of struct kc_ldap_user. */
static const char *const user_attrs[] = {"uid",
                                         "mail",
                                         "mobile",
                                         "kcCustomerNumber",
                                         "kcTanMethod",
                                         "kcLanguage",
                                         "pwdPolicySubentry",
                                         "pwdAccountLockedTime",
                                         "pwdReset",
                                         TAN_ATTRS,
                                         "kcFirstLogin",
                                         "entryUUID",
                                         "kcRole",
                                         "kcSessionStamp",
                                         "pwdChangedTime",
                                         "kcNewMail",
                                         "kcNewMailHash",
                                         "kcNewMailExpires",
                                         "kcResetHash",
                                         "kcResetExpires",
                                         "kcResetWindowStart",
                                         "kcResetSendCount",
                                         "kcTotpSecret",
                                         "kcRecoveryCode",
                                         NULL};

/* The one account that filter finds (a second one is bad data). */
static int
find_one_user(struct kc_ldap *l, const char *filter, struct kc_ldap_user *out)
{
  LDAPMessage *res = NULL, *e;
  int r;

  r = search(l, l->cfg->base, LDAP_SCOPE_SUBTREE, filter,
             (char **) (uintptr_t) user_attrs, 2, &res);
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

int
kc_ldap_find_user(struct kc_ldap *l, const char *name, struct kc_ldap_user *out)
{
  char filter[KC_MAX_USERNAME * 3 + 64];
  int r;

  memset(out, 0, sizeof(*out));
  if (!kc_str_is_username(name))
    return KC_ERR_NOT_FOUND;
  /* The name is validated, but escape anyway: defence in depth. */
  if ((r = make_filter("kcAccount", "uid", name, filter, sizeof(filter))) != 0)
    return r;
  return find_one_user(l, filter, out);
}

bool
kc_ldap_uuid_ok(const char *s)
{
  size_t i;

  for (i = 0; i < KC_LDAP_UUID_LEN; i++) {
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (s[i] != '-')
        return false;
    } else if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f') ||
                 (s[i] >= 'A' && s[i] <= 'F')))
      return false;
  }
  return s[i] == '\0';
}

/* A value for kc_ldap_find_user_by: printable ASCII without blanks, and
 * short: UUIDs and base64 hashes are. */
static bool
key_value_ok(const char *v)
{
  size_t i;

  for (i = 0; v[i] != '\0'; i++)
    if (i >= 128 || v[i] <= ' ' || v[i] > '~')
      return false;
  return i > 0;
}

int
kc_ldap_find_user_by(struct kc_ldap *l, enum kc_ldap_user_key key,
                     const char *value, struct kc_ldap_user *out)
{
  static const char *const attr[] = {[KC_BY_UUID] = "entryUUID",
                                     [KC_BY_RESET] = "kcResetHash",
                                     [KC_BY_NEWMAIL] = "kcNewMailHash"};
  char filter[512];
  int r;

  memset(out, 0, sizeof(*out));
  /* slapd answers a value that is no UUID with an error, not "none" */
  if ((unsigned) key >= sizeof(attr) / sizeof(attr[0]) ||
      !key_value_ok(value) || (key == KC_BY_UUID && !kc_ldap_uuid_ok(value)))
    return KC_ERR_NOT_FOUND;
  if ((r = make_filter("kcAccount", attr[key], value, filter,
                       sizeof(filter))) != 0)
    return r;
  return find_one_user(l, filter, out);
}

/* Bind as a user on the user connection, reconnecting once. */
static void
user_bind(struct kc_ldap *l, const char *dn, const char *pw,
          struct pp_state *pp)
{
  uint32_t tried = 0;
  int attempt;

  memset(pp, 0, sizeof(*pp));
  pp->rc = LDAP_SERVER_DOWN;
  if (l->usr != NULL && l->servers_ok &&
      kc_ldap_servers_leave(&l->servers, l->usr_at, l->usr_failures,
                            mono_now()))
    drop(&l->usr);
  for (attempt = 0; attempt < 2; attempt++) {
    if (l->usr == NULL &&
        open_conn(l, &l->usr, &l->usr_at, &l->usr_failures, tried) != 0)
      return;
    bind_pp(l->usr, dn, pw, l->cfg->timeout, pp);
    if (!is_down(pp->rc)) {
      server_answered(l, l->usr_at);
      return;
    }
    note(l, pp->rc, pp->msg);
    drop(&l->usr);
    server_failed(l, l->usr_at);
    /* after a timeout once more, on another server (see no_retry) */
    if (pp->rc == LDAP_TIMEOUT)
      tried |= 1u << l->usr_at;
  }
}

/* What a bind that slapd checked against a hash takes: a moving average
 * (1/8 of each new one) in microseconds; 0 before the first. */
static _Atomic uint64_t bind_typical_us;

static uint64_t
now_us(void)
{
  struct timespec ts;

  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t) ts.tv_sec * 1000000u + (uint64_t) ts.tv_nsec / 1000u;
}

static void
bind_observed(uint64_t us)
{
  uint64_t old = bind_typical_us, next;

  do {
    next = old == 0 ? us : old - old / 8 + us / 8;
  } while (!atomic_compare_exchange_weak(&bind_typical_us, &old, next));
}

unsigned
kc_ldap_bind_typical_ms(void)
{
  return (unsigned) ((bind_typical_us + 500) / 1000);
}

enum kc_ldap_bind_result
kc_ldap_bind_user(struct kc_ldap *l, const char *dn, const char *password)
{
  struct pp_state pp;
  uint64_t t0;

  /* An empty password would be an unauthenticated bind (RFC 4513 5.1.2),
   * which "succeeds": never send one. */
  l->usr_plain = false;
  if (password[0] == '\0' || dn[0] == '\0')
    return KC_BIND_INVALID;
  t0 = now_us();
  user_bind(l, dn, password, &pp);
  l->usr_plain = pp.rc == LDAP_SUCCESS && pp.err == PP_noError && !pp.warned &&
                 copy_str(l->usr_dn, sizeof(l->usr_dn), dn) == 0;
  /* slapd checked the hash (a right or a wrong password, not a lock): what
   * an unknown name must cost too (kc_password_dummy_verify) */
  if (pp.rc == LDAP_SUCCESS ||
      (pp.rc == LDAP_INVALID_CREDENTIALS && pp.err != PP_accountLocked))
    bind_observed(now_us() - t0);
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
    kc_str_copy_printable(msg, msglen,
                          pp.msg[0] ? pp.msg : ldap_err2string(pp.rc));
  return KC_PASSWD_REJECTED;
}

/* ------------------------------------------------------- hash upgrades */

int
kc_ldap_own_password(struct kc_ldap *l, const char *dn, char *out, size_t cap,
                     size_t *nvalues)
{
  static const char *attrs[] = {"userPassword", NULL};
  struct timeval tv = {l->cfg->timeout, 0};
  LDAPMessage *res = NULL, *e;
  struct berval **v = NULL;
  size_t n, i;
  int rc, r;

  *nvalues = 0;
  if (cap == 0)
    return KC_ERR_TOO_LARGE;
  out[0] = '\0';
  if (l->usr == NULL || !l->usr_plain || strcmp(dn, l->usr_dn) != 0)
    return KC_ERR_INVALID;
  l->usr_plain = false; /* one read a bind */
  /* "(&)" (RFC 4526, always true): the account may read its entry and
   * userPassword, but may not search on any attribute */
  rc =
    ldap_search_ext_s(l->usr, dn, LDAP_SCOPE_BASE, "(&)",
                      (char **) (uintptr_t) attrs, 0, NULL, NULL, &tv, 1, &res);
  if (rc != LDAP_SUCCESS) {
    ldap_msgfree(res);
    note_ld(l, l->usr, rc);
    if (is_down(rc)) {
      drop(&l->usr);
      return KC_ERR_UNAVAILABLE;
    }
    return rc == LDAP_NO_SUCH_OBJECT        ? KC_ERR_NOT_FOUND
           : rc == LDAP_INSUFFICIENT_ACCESS ? KC_ERR_PERMISSION
                                            : KC_ERR_UNAVAILABLE;
  }
  if ((e = ldap_first_entry(l->usr, res)) == NULL) {
    ldap_msgfree(res);
    return KC_ERR_NOT_FOUND;
  }
  v = ldap_get_values_len(l->usr, e, "userPassword");
  *nvalues = v != NULL ? (size_t) ldap_count_values_len(v) : 0;
  if (v == NULL || v[0] == NULL) {
    r = KC_ERR_PERMISSION; /* the entry, but not its userPassword */
  } else if ((n = strnlen(v[0]->bv_val, v[0]->bv_len)) >= cap) {
    memcpy(out, v[0]->bv_val, cap - 1); /* its beginning, for the scheme */
    out[cap - 1] = '\0';
    r = KC_ERR_TOO_LARGE;
  } else {
    memcpy(out, v[0]->bv_val, n);
    out[n] = '\0';
    r = 0;
  }
  for (i = 0; v != NULL && v[i] != NULL; i++)
    sodium_memzero(v[i]->bv_val, v[i]->bv_len);
  ldap_value_free_len(v);
  ldap_msgfree(res);
  return r;
}

/* A value of pwdHistory that is added and deleted again in the same
 * modify: ppolicy leaves the history alone when a modify touches it. */
#define KC_HISTORY_NOP                                                         \
  "19700101000000Z#1.3.6.1.4.1.1466.115.121.1.40#9#kc-rehash"

static int policy_number(struct kc_ldap *l, const char *policy_dn,
                         const char *attr, long *v);

int
kc_ldap_rehash_state(struct kc_ldap *l, const char *dn, const char *policy_dn,
                     struct kc_ldap_rehash_state *st)
{
  static const char *attrs[] =
    {"pwdChangedTime",  "pwdAccountLockedTime", "pwdReset", "pwdFailureTime",
     "pwdGraceUseTime", "pwdLastSuccess",       NULL};
  LDAPMessage *res = NULL, *e;
  char v[16];
  int r;

  memset(st, 0, sizeof(*st));
  r = search(l, dn, LDAP_SCOPE_BASE, "(objectClass=*)",
             (char **) (uintptr_t) attrs, 1, &res);
  if (r == 0 && (e = ldap_first_entry(l->svc, res)) != NULL) {
    if (first_value(l->svc, e, "pwdChangedTime", st->pwd_changed,
                    sizeof(st->pwd_changed)) != 0 ||
        first_value(l->svc, e, "pwdReset", v, sizeof(v)) != 0)
      r = KC_ERR_INVALID;
    st->reset = r == 0 && strcmp(v, "TRUE") == 0;
    st->locked = has_value(l->svc, e, "pwdAccountLockedTime");
    st->failures = has_value(l->svc, e, "pwdFailureTime");
    st->grace = has_value(l->svc, e, "pwdGraceUseTime");
    st->last_success = has_value(l->svc, e, "pwdLastSuccess");
  } else if (r == 0) {
    r = KC_ERR_NOT_FOUND;
  }
  ldap_msgfree(res);
  if (r == 0)
    r = policy_number(l, policy_dn, "pwdMinAge", &st->min_age);
  return r;
}

int
kc_ldap_password_rehash(struct kc_ldap *l, const char *dn,
                        const struct kc_ldap_rehash_state *st,
                        const char *password, const char *hash)
{
  LDAPControl *relax = NULL, *assert = NULL, *sctrls[3] = {NULL, NULL, NULL};
  struct kc_ldap_mods m;
  struct svc_op op = {.kind = OP_MODIFY, .dn = dn, .sctrls = sctrls};
  struct kc_buf f;
  int rc, r;

  if ((r = svc_ready(l, false)) != 0)
    return r;
  /* the password is as read (pwdChangedTime; and the deleted value is
   * checked against it), and none of what ppolicy's side effects of this
   * modify delete has come since: no lock, reset, failed bind, grace
   * login or last success is undone. (Not entryCSN: the login that queued
   * this writes its TAN into the entry at the same time.) */
  kc_buf_init(&f, 256);
  if (st->pwd_changed[0] == '\0')
    r = kc_buf_add_str(&f, "(&(!(pwdChangedTime=*))");
  else if ((r = kc_buf_add_str(&f, "(&(pwdChangedTime=")) == 0 &&
           (r = kc_ldap_filter_value(&f, st->pwd_changed)) == 0)
    r = kc_buf_add_str(&f, ")");
  if (r == 0)
    r = kc_buf_add_str(&f, "(!(pwdAccountLockedTime=*))(!(pwdReset=TRUE))"
                           "(!(pwdFailureTime=*))(!(pwdGraceUseTime=*))"
                           "(!(pwdLastSuccess=*)))");
  rc = r != 0
         ? LDAP_NO_MEMORY
         : ldap_create_assertion_control(l->svc,
                                         (char *) (uintptr_t) kc_buf_get(&f), 1,
                                         &assert);
  if (rc == LDAP_SUCCESS)
    rc = ldap_control_create(LDAP_CONTROL_RELAX, 1, NULL, 0, &relax);
  kc_buf_free(&f);
  if (rc != LDAP_SUCCESS) {
    note(l, rc, "rehash controls");
    ldap_control_free(assert);
    return KC_ERR_NOMEM;
  }
  sctrls[0] = relax;
  sctrls[1] = assert;
  kc_ldap_mods_init(&m);
  /* ppolicy checks a deleted value as the old password: no change goes
   * through once the password is another */
  kc_ldap_mods_add(&m, LDAP_MOD_DELETE, "userPassword", password, NULL);
  kc_ldap_mods_add(&m, LDAP_MOD_ADD, "userPassword", hash, NULL);
  /* with a pwdChangedTime and a pwdHistory of its own in the modify,
   * ppolicy writes neither (Relax lets kcd write them, acl.ldif "manage") */
  kc_ldap_mods_add(&m, LDAP_MOD_REPLACE, "pwdChangedTime",
                   st->pwd_changed[0] != '\0' ? st->pwd_changed : NULL, NULL);
  kc_ldap_mods_add(&m, LDAP_MOD_ADD, "pwdHistory", KC_HISTORY_NOP, NULL);
  kc_ldap_mods_add(&m, LDAP_MOD_DELETE, "pwdHistory", KC_HISTORY_NOP, NULL);
  op.mods = m.ms_ptr;
  r = svc_run(l, &op, &rc);
  ldap_control_free(relax);
  ldap_control_free(assert);
  if (r != 0)
    return r;
  switch (rc) {
    case LDAP_SUCCESS:
      return 0;
    case LDAP_ASSERTION_FAILED:     /* the entry changed */
    case LDAP_UNWILLING_TO_PERFORM: /* "must supply correct old password" */
    case LDAP_NO_SUCH_ATTRIBUTE:
    case LDAP_TYPE_OR_VALUE_EXISTS:
    case LDAP_NO_SUCH_OBJECT:
      return KC_ERR_DUPLICATE;
    case LDAP_INSUFFICIENT_ACCESS:
    case LDAP_UNAVAILABLE_CRITICAL_EXTENSION:
      return KC_ERR_PERMISSION;
    default:
      return is_down(rc) ? KC_ERR_UNAVAILABLE : KC_ERR_INVALID;
  }
}

/* A number of the password policy at policy_dn ("" for the default):
 * 0 with *v (0 when the attribute is absent or there is no policy), or
 * KC_ERR_UNAVAILABLE. */
static int
policy_number(struct kc_ldap *l, const char *policy_dn, const char *attr,
              long *v)
{
  const char *attrs[] = {attr, NULL};
  char dn[KC_MAX_DN + 1], val[24];
  struct kc_buf b;
  LDAPMessage *res = NULL, *e;
  uint64_t n;
  int r;

  *v = 0;
  if (policy_dn[0] != '\0')
    (void) copy_str(dn, sizeof(dn), policy_dn); /* same cap */
  else if (dn_copy(&b,
                   kc_ldap_dn_entry(&b, l->cfg->base, KC_LDAP_POLICIES, "cn",
                                    "default"),
                   dn) != 0)
    return KC_ERR_UNAVAILABLE;
  r = search(l, dn, LDAP_SCOPE_BASE, "(objectClass=pwdPolicy)",
             (char **) (uintptr_t) attrs, 1, &res);
  if (r == KC_ERR_NOT_FOUND) {
    ldap_msgfree(res);
    return 0;
  }
  if (r == 0 && (e = ldap_first_entry(l->svc, res)) != NULL &&
      first_value(l->svc, e, attr, val, sizeof(val)) == 0 && val[0] != '\0' &&
      kc_str_to_uint(val, &n, 0, 100L * 365 * 86400) == 0)
    *v = (long) n;
  ldap_msgfree(res);
  return r == 0 ? 0 : KC_ERR_UNAVAILABLE;
}

int
kc_ldap_lockout_duration(struct kc_ldap *l, const struct kc_ldap_user *u,
                         long *secs)
{
  /* no policy, or none set: ppolicy's default is a permanent lock */
  return policy_number(l, u->policy_dn, "pwdLockoutDuration", secs);
}

/* ------------------------------------------------------------------ TAN */

/* A modify that is a compare-and-swap: it deletes exact values it read
 * and adds new ones. Lost the race (a value gone, or a single-valued
 * attribute that another writer filled meanwhile): KC_ERR_DUPLICATE. */
static int
cas_modify(struct kc_ldap *l, const char *dn, LDAPMod **mods)
{
  struct svc_op op = {.kind = OP_MODIFY, .dn = dn, .mods = mods};

  return svc_do(l, &op, KC_LDAP_OP_CAS);
}

void
kc_ldap_mods_swap(struct kc_ldap_mods *m, const char *attr, bool have,
                  const char *old, const char *val)
{
  if (have)
    kc_ldap_mods_add(m, LDAP_MOD_DELETE, attr, old, NULL);
  kc_ldap_mods_add(m, LDAP_MOD_ADD, attr, val, NULL);
}

void
kc_ldap_tan_clear_mods(struct kc_ldap_mods *m)
{
  kc_ldap_mods_add(m, LDAP_MOD_REPLACE, "kcTanHash", NULL, NULL);
  kc_ldap_mods_add(m, LDAP_MOD_REPLACE, "kcTanChallenge", NULL, NULL);
  kc_ldap_mods_add(m, LDAP_MOD_REPLACE, "kcTanExpires", NULL, NULL);
  kc_ldap_mods_add(m, LDAP_MOD_REPLACE, "kcTanTries", NULL, NULL);
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
  struct kc_ldap_mods m;

  kc_ldap_format_time(s->expires, expires);
  kc_ldap_format_time(s->sent_at, sent);
  kc_ldap_format_time(s->window_start, window);
  kc_ldap_format_time(cur->sent_at, old_sent);
  snprintf(tries, sizeof(tries), "%u", s->tries);
  snprintf(count, sizeof(count), "%u", s->send_count);
  snprintf(old_count, sizeof(old_count), "%u", cur->send_count);
  kc_ldap_mods_init(&m);
  kc_ldap_mods_add(&m, LDAP_MOD_REPLACE, "kcTanChallenge", s->challenge, NULL);
  kc_ldap_mods_add(&m, LDAP_MOD_REPLACE, "kcTanHash", s->hash, NULL);
  kc_ldap_mods_add(&m, LDAP_MOD_REPLACE, "kcTanExpires", expires, NULL);
  kc_ldap_mods_add(&m, LDAP_MOD_REPLACE, "kcTanTries", tries, NULL);
  kc_ldap_mods_add(&m, LDAP_MOD_REPLACE, "kcTanWindowStart", window, NULL);
  /* Conditional on the send counters as read: of several kcd that decided
   * on the same state to send, only the first stores, and only it sends.
   * A real send time is never 0, so 0 means "absent"; a count of 0 may be
   * stored (an administrator's reset of the hour). */
  kc_ldap_mods_swap(&m, "kcTanSentAt", cur->sent_at != 0, old_sent, sent);
  kc_ldap_mods_swap(&m, "kcTanSendCount", cur->send_count_set, old_count,
                    count);
  return cas_modify(l, dn, m.ms_ptr);
}

int
kc_ldap_tan_count_try(struct kc_ldap *l, const char *dn,
                      const struct kc_tan_state *s)
{
  char tries[16], tries1[16], fail[16], fail1[16];
  struct kc_ldap_mods m;

  snprintf(tries, sizeof(tries), "%u", s->tries);
  snprintf(tries1, sizeof(tries1), "%u", s->tries + 1);
  snprintf(fail, sizeof(fail), "%u", s->failures);
  snprintf(fail1, sizeof(fail1), "%u", s->failures + 1);
  /* the hash deleted and put back: the try counts for exactly this TAN */
  kc_ldap_mods_init(&m);
  kc_ldap_mods_swap(&m, "kcTanHash", true, s->hash, s->hash);
  kc_ldap_mods_swap(&m, "kcTanTries", true, tries, tries1);
  kc_ldap_mods_swap(&m, "kcTanFailures", s->failures_set, fail, fail1);
  return cas_modify(l, dn, m.ms_ptr);
}

int
kc_ldap_tan_consume(struct kc_ldap *l, const char *dn,
                    const struct kc_tan_state *s)
{
  char tries[16];
  struct kc_ldap_mods m;

  snprintf(tries, sizeof(tries), "%u", s->tries);
  kc_ldap_mods_init(&m);
  kc_ldap_mods_add(&m, LDAP_MOD_DELETE, "kcTanHash", s->hash, NULL);
  kc_ldap_mods_add(&m, LDAP_MOD_DELETE, "kcTanTries", tries, NULL);
  kc_ldap_mods_add(&m, LDAP_MOD_REPLACE, "kcTanChallenge", NULL, NULL);
  kc_ldap_mods_add(&m, LDAP_MOD_REPLACE, "kcTanExpires", NULL, NULL);
  /* a right second factor: the account's count of wrong ones starts over */
  kc_ldap_mods_add(&m, LDAP_MOD_REPLACE, "kcTanFailures", NULL, NULL);
  return cas_modify(l, dn, m.ms_ptr);
}

int
kc_ldap_modify_cas(struct kc_ldap *l, const char *dn, LDAPMod **mods)
{
  return cas_modify(l, dn, mods);
}

int
kc_ldap_tan_clear(struct kc_ldap *l, const char *dn)
{
  struct kc_ldap_mods m;

  kc_ldap_mods_init(&m);
  kc_ldap_tan_clear_mods(&m);
  return kc_ldap_modify(l, dn, m.ms_ptr);
}

int
kc_ldap_lock(struct kc_ldap *l, const char *dn)
{
  unsigned char raw[16];
  char stamp[32];
  struct kc_ldap_mods m;

  /* a new kcSessionStamp: the account's web sessions end for good, not
   * only while the lock lasts */
  randombytes_buf(raw, sizeof(raw));
  sodium_bin2base64(stamp, sizeof(stamp), raw, sizeof(raw),
                    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  kc_ldap_mods_init(&m);
  kc_ldap_mods_add(&m, LDAP_MOD_REPLACE, "pwdAccountLockedTime",
                   KC_LDAP_LOCK_FOREVER, NULL);
  kc_ldap_mods_add(&m, LDAP_MOD_REPLACE, "kcSessionStamp", stamp, NULL);
  /* customer service's lock now: no main user may lift it */
  kc_ldap_mods_add(&m, LDAP_MOD_REPLACE, "kcLockedBy", NULL, NULL);
  kc_ldap_tan_clear_mods(&m);
  return kc_ldap_modify(l, dn, m.ms_ptr);
}

/* ------------------------------------------------------------ DNs */

static const char *const container_ou[] = {
  [KC_LDAP_ACCOUNTS] = "accounts",
  [KC_LDAP_CUSTOMERS] = "customers",
  [KC_LDAP_REGISTRATIONS] = "registrations",
  [KC_LDAP_POLICIES] = "policies",
};

int
kc_ldap_dn_rdn(struct kc_buf *out, const char *attr, const char *value)
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
kc_ldap_dn_container(struct kc_buf *out, const char *base,
                     enum kc_ldap_container c)
{
  kc_buf_init(out, KC_MAX_DN);
  if ((size_t) c >= sizeof(container_ou) / sizeof(container_ou[0]))
    return KC_ERR_INVALID;
  return kc_buf_printf(out, "ou=%s,%s", container_ou[c], base);
}

int
kc_ldap_dn_entry(struct kc_buf *out, const char *base, enum kc_ldap_container c,
                 const char *attr, const char *value)
{
  int r;

  if ((size_t) c >= sizeof(container_ou) / sizeof(container_ou[0])) {
    kc_buf_init(out, KC_MAX_DN);
    return KC_ERR_INVALID;
  }
  if ((r = kc_ldap_dn_rdn(out, attr, value)) != 0 ||
      (r = kc_buf_printf(out, ",ou=%s,%s", container_ou[c], base)) != 0)
    kc_buf_free(out);
  return r;
}

int
kc_ldap_filter_value(struct kc_buf *out, const char *value)
{
  struct berval in, esc = {0, NULL};
  int r;

  in.bv_val = (char *) (uintptr_t) value;
  in.bv_len = strlen(value);
  if (in.bv_len == 0)
    return 0; /* libldap hands back no string at all for "" */
  if (ldap_bv2escaped_filter_value(&in, &esc) != 0 || esc.bv_val == NULL)
    return KC_ERR_NOMEM;
  r = kc_buf_add_str(out, esc.bv_val);
  ber_memfree(esc.bv_val);
  return r;
}

/* ------------------------------------------------ modification lists */

void
kc_ldap_mods_init(struct kc_ldap_mods *m)
{
  memset(m, 0, sizeof(*m));
}

/* The next slot of m, its op and type set. */
static LDAPMod *
mods_next(struct kc_ldap_mods *m, int op, const char *type)
{
  LDAPMod *mod;

  if (m->ms_n >= KC_LDAP_MODS)
    kc_fatalx("kc_ldap_mods_add: more than %d modifications", KC_LDAP_MODS);
  mod = &m->ms_mod[m->ms_n];
  mod->mod_op = op;
  mod->mod_type = (char *) (uintptr_t) type;
  m->ms_ptr[m->ms_n] = mod;
  m->ms_ptr[m->ms_n + 1] = NULL;
  return mod;
}

void
kc_ldap_mods_add(struct kc_ldap_mods *m, int op, const char *type,
                 const char *v1, const char *v2)
{
  LDAPMod *mod = mods_next(m, op, type);
  char **val = m->ms_val[m->ms_n];

  val[0] = (char *) (uintptr_t) v1;
  val[1] = v1 != NULL ? (char *) (uintptr_t) v2 : NULL;
  val[2] = NULL;
  mod->mod_values = v1 != NULL ? val : NULL;
  m->ms_n++;
}

void
kc_ldap_mods_add_list(struct kc_ldap_mods *m, int op, const char *type,
                      const char *const *vals)
{
  LDAPMod *mod = mods_next(m, op, type);

  mod->mod_values = (char **) (uintptr_t) vals;
  m->ms_n++;
}

static bool
given(const char *s)
{
  return s != NULL && s[0] != '\0';
}

/* An attribute the entry has only when the value is given. */
static void
add_opt(struct kc_ldap_mods *m, const char *type, const char *v)
{
  if (given(v))
    kc_ldap_mods_add(m, LDAP_MOD_ADD, type, v, NULL);
}

int
kc_ldap_account_mods(struct kc_ldap_mods *m,
                     const struct kc_ldap_new_account *a, struct kc_buf *cn)
{
  static const char *const oc[] = {"inetOrgPerson", "kcAccount", NULL};
  const char *first = a->first_name, *last = a->last_name;
  int r;

  kc_ldap_mods_init(m);
  /* cn is "First Last", or whichever part there is, or the user name */
  kc_buf_init(cn, 2 * KC_MAX_NAME + 1);
  if (given(first) && given(last))
    r = kc_buf_printf(cn, "%s %s", first, last);
  else
    r = kc_buf_add_str(cn, given(last) ? last : given(first) ? first : a->uid);
  if (r != 0)
    return r;
  kc_ldap_mods_add_list(m, LDAP_MOD_ADD, "objectClass", oc);
  kc_ldap_mods_add(m, LDAP_MOD_ADD, "uid", a->uid, NULL);
  kc_ldap_mods_add(m, LDAP_MOD_ADD, "cn", kc_buf_get(cn), NULL);
  kc_ldap_mods_add(m, LDAP_MOD_ADD, "sn", given(last) ? last : a->uid, NULL);
  add_opt(m, "givenName", first);
  add_opt(m, "personalTitle", a->salutation);
  kc_ldap_mods_add(m, LDAP_MOD_ADD, "mail", a->mail, NULL);
  add_opt(m, "mobile", a->mobile);
  if (a->customers != NULL)
    kc_ldap_mods_add_list(m, LDAP_MOD_ADD, "kcCustomerNumber", a->customers);
  else
    kc_ldap_mods_add(m, LDAP_MOD_ADD, "kcCustomerNumber", a->customer, NULL);
  kc_ldap_mods_add(m, LDAP_MOD_ADD, "kcRole", a->role, NULL);
  add_opt(m, "kcTanMethod", a->tan_method);
  add_opt(m, "kcLanguage", a->language);
  if (a->first_login)
    kc_ldap_mods_add(m, LDAP_MOD_ADD, "kcFirstLogin", "TRUE", NULL);
  kc_ldap_mods_add(m, LDAP_MOD_ADD, "userPassword", a->password_hash, NULL);
  if (a->must_change)
    kc_ldap_mods_add(m, LDAP_MOD_ADD, "pwdReset", "TRUE", NULL);
  return 0;
}

/* ------------------------------------------------ registration and accounts */

int
kc_ldap_customer_find(struct kc_ldap *l, const char *number,
                      struct kc_ldap_customer *out)
{
  static const char *attrs[] = {"mail", "kcRegWindowStart", "kcRegSendCount",
                                NULL};
  char filter[128], count[16], *dn;
  LDAPMessage *res = NULL, *e;
  int r;

  memset(out, 0, sizeof(*out));
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
    else if (first_value(l->svc, e, "mail", out->mail, sizeof(out->mail)) !=
               0 ||
             out->mail[0] == '\0')
      r = KC_ERR_NOT_FOUND;
    else if (first_value(l->svc, e, "kcRegSendCount", count, sizeof(count)) !=
               0 ||
             uint_value(l->svc, e, "kcRegSendCount", &out->reg_sends) != 0 ||
             time_value(l->svc, e, "kcRegWindowStart", &out->reg_window) != 0)
      r = KC_ERR_INVALID;
    else {
      out->reg_sends_set = count[0] != '\0';
      dn = ldap_get_dn(l->svc, e);
      if (dn == NULL || strlen(dn) > KC_MAX_DN)
        r = KC_ERR_INVALID;
      else
        memcpy(out->dn, dn, strlen(dn) + 1);
      ldap_memfree(dn);
    }
  }
  ldap_msgfree(res);
  if (r != 0)
    memset(out, 0, sizeof(*out));
  return r;
}

int
kc_ldap_customer_count_mail(struct kc_ldap *l, const struct kc_ldap_customer *c,
                            time_t window, unsigned sends)
{
  char old_window[16], new_window[16], old_sends[16], new_sends[16];
  struct kc_ldap_mods m;

  kc_ldap_format_time(c->reg_window, old_window);
  kc_ldap_format_time(window, new_window);
  snprintf(old_sends, sizeof(old_sends), "%u", c->reg_sends);
  snprintf(new_sends, sizeof(new_sends), "%u", sends);
  kc_ldap_mods_init(&m);
  /* conditional on the counters as read: of several kcd that read the
   * same counters, one stores; a stored count of 0 is a value */
  kc_ldap_mods_swap(&m, "kcRegWindowStart", c->reg_window != 0, old_window,
                    new_window);
  kc_ldap_mods_swap(&m, "kcRegSendCount", c->reg_sends_set, old_sends,
                    new_sends);
  return cas_modify(l, c->dn, m.ms_ptr);
}

/* At most this many registrations of one customer are voided at once
 * (there is one unless writes raced). */
#define REG_DELETE_MAX 100

/* Delete every registration of customer (voids older links). The DNs are
 * collected first, so a reconnect between two deletes loses nothing. */
static int
delete_registrations(struct kc_ldap *l, const char *customer)
{
  static const char *attrs[] = {"1.1", NULL};
  char base[KC_MAX_DN + 1];
  char *dns[REG_DELETE_MAX];
  struct kc_buf b, filter;
  LDAPMessage *res = NULL, *e;
  size_t n = 0, i;
  int r;

  if ((r =
         dn_copy(&b,
                 kc_ldap_dn_container(&b, l->cfg->base, KC_LDAP_REGISTRATIONS),
                 base)) != 0)
    return r;
  /* a main user's invitations are not the customer's registration */
  kc_buf_init(&filter, 256);
  if ((r = kc_buf_add_str(&filter, "(&(objectClass=kcRegistration)"
                                   "(!(kcInvitedBy=*))(kcCustomerNumber=")) !=
        0 ||
      (r = kc_ldap_filter_value(&filter, customer)) != 0 ||
      (r = kc_buf_add_str(&filter, "))")) != 0) {
    kc_buf_free(&filter);
    return r;
  }
  r = search(l, base, LDAP_SCOPE_ONELEVEL, kc_buf_get(&filter),
             (char **) (uintptr_t) attrs, REG_DELETE_MAX, &res);
  kc_buf_free(&filter);
  for (e = r == 0 ? ldap_first_entry(l->svc, res) : NULL;
       e != NULL && n < REG_DELETE_MAX; e = ldap_next_entry(l->svc, e)) {
    if ((dns[n] = ldap_get_dn(l->svc, e)) != NULL)
      n++;
  }
  ldap_msgfree(res);
  for (i = 0; i < n; i++) {
    int d = kc_ldap_delete(l, dns[i]);

    if (d != 0 && d != KC_ERR_NOT_FOUND) /* gone meanwhile: as good */
      r = KC_ERR_UNAVAILABLE;
    ldap_memfree(dns[i]);
  }
  return r == KC_ERR_NOT_FOUND ? 0 : r;
}

int
kc_ldap_registration_add(struct kc_ldap *l, const char *id,
                         const char *token_hash, time_t expires,
                         const char *customer, const char *mail,
                         const char *language)
{
  static const char *const oc[] = {"top", "kcRegistration", NULL};
  char dn[KC_MAX_DN + 1], exp[16];
  struct kc_ldap_mods m;
  struct kc_buf b;
  int r;

  if ((r = dn_copy(&b,
                   kc_ldap_dn_entry(&b, l->cfg->base, KC_LDAP_REGISTRATIONS,
                                    "kcRegistrationId", id),
                   dn)) != 0 ||
      (r = delete_registrations(l, customer)) != 0)
    return r;
  kc_ldap_format_time(expires, exp);
  kc_ldap_mods_init(&m);
  kc_ldap_mods_add_list(&m, LDAP_MOD_ADD, "objectClass", oc);
  kc_ldap_mods_add(&m, LDAP_MOD_ADD, "kcRegistrationId", id, NULL);
  kc_ldap_mods_add(&m, LDAP_MOD_ADD, "kcTokenHash", token_hash, NULL);
  kc_ldap_mods_add(&m, LDAP_MOD_ADD, "kcExpires", exp, NULL);
  kc_ldap_mods_add(&m, LDAP_MOD_ADD, "kcCustomerNumber", customer, NULL);
  kc_ldap_mods_add(&m, LDAP_MOD_ADD, "mail", mail, NULL);
  kc_ldap_mods_add(&m, LDAP_MOD_ADD, "kcLanguage", language, NULL);
  return kc_ldap_add(l, dn, m.ms_ptr);
}

/* Every kcCustomerNumber of a registration (an invitation may name
 * several); the first is also out->customer. */
static int
registration_customers(struct kc_ldap *l, LDAPMessage *e,
                       struct kc_ldap_registration *out)
{
  char **v = kc_ldap_values(l, e, "kcCustomerNumber");
  size_t i;
  int r = 0;

  for (i = 0; v != NULL && v[i] != NULL; i++) {
    if (strlen(v[i]) > KC_MAX_CUSTOMER_NUMBER ||
        out->n_customers >= KC_LDAP_MAX_CUSTOMERS) {
      r = KC_ERR_INVALID;
      break;
    }
    memcpy(out->customers[out->n_customers++], v[i], strlen(v[i]) + 1);
  }
  kc_ldap_values_free(v);
  return r;
}

/* "(&(objectClass=kcRegistration)(|(kcTokenHash=H)(kcTokenHash=used:H)))"
 * with H escaped: the registration of a token, open or claimed. */
static int
registration_filter(const char *hash, char *out, size_t outlen)
{
  struct kc_buf b;
  int r;

  out[0] = '\0';
  kc_buf_init(&b, outlen - 1);
  if ((r =
         kc_buf_add_str(&b, "(&(objectClass=kcRegistration)(|(kcTokenHash=")) !=
        0 ||
      (r = kc_ldap_filter_value(&b, hash)) != 0 ||
      (r = kc_buf_add_str(&b, ")(kcTokenHash=used:")) != 0 ||
      (r = kc_ldap_filter_value(&b, hash)) != 0 ||
      (r = kc_buf_add_str(&b, ")))")) != 0) {
    kc_buf_free(&b);
    return r;
  }
  memcpy(out, kc_buf_get(&b), kc_buf_len(&b) + 1);
  kc_buf_free(&b);
  return 0;
}

/* kcTokenHash and kcActivationClaim into out->used and the claim; a claim
 * kcd cannot read counts as none. */
static int
registration_claim(LDAP *ld, LDAPMessage *e, struct kc_ldap_registration *out)
{
  char token[300], claim[KC_LDAP_CLAIM_MAX + 1];
  const char *p = claim;
  uint64_t t;

  if (first_value(ld, e, "kcTokenHash", token, sizeof(token)) != 0 ||
      first_value(ld, e, "kcActivationClaim", claim, sizeof(claim)) != 0)
    return KC_ERR_INVALID;
  out->used = strncmp(token, "used:", 5) == 0;
  /* "UNIXTIME UID" */
  if (kc_str_uint(&p, &t, 1, UINT64_C(253402300799)) == 0 && *p == ' ' &&
      kc_str_is_username(p + 1)) {
    out->claim_time = (time_t) t;
    memcpy(out->claim_uid, p + 1, strlen(p + 1) + 1);
  }
  return 0;
}

int
kc_ldap_registration_find(struct kc_ldap *l, const char *token_hash,
                          struct kc_ldap_registration *out)
{
  static const char *attrs[] = {"kcCustomerNumber",  "mail",   "kcLanguage",
                                "kcExpires",         "kcRole", "kcInvitedBy",
                                "givenName",         "sn",     "kcTokenHash",
                                "kcActivationClaim", NULL};
  char filter[512], base[KC_MAX_DN + 1], *dn;
  struct kc_buf b;
  LDAPMessage *res = NULL, *e;
  int r;

  memset(out, 0, sizeof(*out));
  if ((r =
         dn_copy(&b,
                 kc_ldap_dn_container(&b, l->cfg->base, KC_LDAP_REGISTRATIONS),
                 base)) != 0 ||
      (r = registration_filter(token_hash, filter, sizeof(filter))) != 0)
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
        time_value(l->svc, e, "kcExpires", &out->expires) != 0 ||
        first_value(l->svc, e, "kcRole", out->role, sizeof(out->role)) != 0 ||
        first_value(l->svc, e, "kcInvitedBy", out->invited_by,
                    sizeof(out->invited_by)) != 0 ||
        first_value(l->svc, e, "givenName", out->first_name,
                    sizeof(out->first_name)) != 0 ||
        first_value(l->svc, e, "sn", out->last_name, sizeof(out->last_name)) !=
          0 ||
        registration_customers(l, e, out) != 0 ||
        registration_claim(l->svc, e, out) != 0)
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
kc_ldap_registration_claim(struct kc_ldap *l, const char *dn, const char *hash,
                           const char *uid, time_t now)
{
  char used[300], claim[KC_LDAP_CLAIM_MAX + 1];
  struct kc_ldap_mods m;
  int r;

  if (strlen(hash) + 6 > sizeof(used) || !kc_str_is_username(uid))
    return KC_ERR_INVALID;
  snprintf(used, sizeof(used), "used:%s", hash);
  snprintf(claim, sizeof(claim), "%lld %s", (long long) now, uid);
  kc_ldap_mods_init(&m);
  kc_ldap_mods_add(&m, LDAP_MOD_DELETE, "kcTokenHash", hash, NULL);
  kc_ldap_mods_add(&m, LDAP_MOD_ADD, "kcTokenHash", used, NULL);
  kc_ldap_mods_add(&m, LDAP_MOD_ADD, "kcActivationClaim", claim, NULL);
  r = kc_ldap_modify(l, dn, m.ms_ptr);
  if (r == KC_ERR_INVALID && l->rc == LDAP_UNDEFINED_TYPE) {
    /* an older schema: claimed as before, without when and for whom */
    kc_log_warnx("activation claim without kcActivationClaim, apply the "
                 "schema of this version");
    kc_ldap_mods_init(&m);
    kc_ldap_mods_add(&m, LDAP_MOD_DELETE, "kcTokenHash", hash, NULL);
    kc_ldap_mods_add(&m, LDAP_MOD_ADD, "kcTokenHash", used, NULL);
    r = kc_ldap_modify(l, dn, m.ms_ptr);
  }
  return r;
}

int
kc_ldap_registration_release(struct kc_ldap *l,
                             const struct kc_ldap_registration *reg,
                             const char *hash)
{
  char used[300], claim[KC_LDAP_CLAIM_MAX + 1];
  struct kc_ldap_mods m;

  if (strlen(hash) + 6 > sizeof(used))
    return KC_ERR_INVALID;
  snprintf(used, sizeof(used), "used:%s", hash);
  kc_ldap_mods_init(&m);
  kc_ldap_mods_add(&m, LDAP_MOD_DELETE, "kcTokenHash", used, NULL);
  kc_ldap_mods_add(&m, LDAP_MOD_ADD, "kcTokenHash", hash, NULL);
  if (reg->claim_time != 0) {
    snprintf(claim, sizeof(claim), "%lld %s", (long long) reg->claim_time,
             reg->claim_uid);
    kc_ldap_mods_add(&m, LDAP_MOD_DELETE, "kcActivationClaim", claim, NULL);
  }
  return kc_ldap_modify(l, reg->dn, m.ms_ptr);
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

int
kc_ldap_account_add(struct kc_ldap *l, const struct kc_ldap_new_account *a)
{
  char dn[KC_MAX_DN + 1];
  struct kc_ldap_mods m;
  struct kc_buf b, cn;
  int r;

  if (!kc_str_is_username(a->uid))
    return KC_ERR_INVALID;
  if ((r = dn_copy(&b,
                   kc_ldap_dn_entry(&b, l->cfg->base, KC_LDAP_ACCOUNTS, "uid",
                                    a->uid),
                   dn)) != 0)
    return r;
  if ((r = kc_ldap_account_mods(&m, a, &cn)) == 0)
    r = kc_ldap_add(l, dn, m.ms_ptr);
  kc_buf_free(&cn);
  return r;
}

int
kc_ldap_set_tan_method(struct kc_ldap *l, const char *dn, const char *method,
                       const char *mobile)
{
  struct kc_ldap_mods m;

  kc_ldap_mods_init(&m);
  kc_ldap_mods_add(&m, LDAP_MOD_REPLACE, "kcTanMethod", method, NULL);
  kc_ldap_mods_add(&m, LDAP_MOD_REPLACE, "kcFirstLogin", NULL, NULL);
  /* no second factor: its recovery codes go too (new ones come with the
   * next factor, shown then) */
  if (strcmp(method, "none") == 0)
    kc_ldap_mods_add(&m, LDAP_MOD_REPLACE, "kcRecoveryCode", NULL, NULL);
  /* another method: the app goes (an app is enrolled only by
   * kc_ldap_totp_set; "totp" here keeps what is enrolled) */
  if (strcmp(method, "totp") != 0) {
    kc_ldap_mods_add(&m, LDAP_MOD_REPLACE, "kcTotpSecret", NULL, NULL);
    kc_ldap_mods_add(&m, LDAP_MOD_REPLACE, "kcTotpLastStep", NULL, NULL);
  }
  if (mobile != NULL && mobile[0] != '\0')
    kc_ldap_mods_add(&m, LDAP_MOD_REPLACE, "mobile", mobile, NULL);
  return kc_ldap_modify(l, dn, m.ms_ptr);
}

int
kc_ldap_rename(struct kc_ldap *l, const char *dn, const char *newuid,
               char *newdn, size_t newdnlen)
{
  struct kc_buf rdn;
  const char *parent;
  int r, n;

  newdn[0] = '\0';
  if (!kc_str_is_username(newuid))
    return KC_ERR_INVALID;
  if ((r = kc_ldap_dn_rdn(&rdn, "uid", newuid)) == 0)
    r = kc_ldap_rename_rdn(l, dn, kc_buf_get(&rdn));
  if (r == 0) {
    /* same parent: the old RDN (a validated uid) holds no comma */
    parent = strchr(dn, ',');
    n = snprintf(newdn, newdnlen, "%s%s", kc_buf_get(&rdn),
                 parent != NULL ? parent : "");
    r = n > 0 && (size_t) n < newdnlen ? 0 : KC_ERR_TOO_LARGE;
  }
  kc_buf_free(&rdn);
  return r;
}

/* ------------------------------------------------ general operations */

int
kc_ldap_search(struct kc_ldap *l, const char *base, int scope,
               const char *filter, const char *const *attrs, int sizelimit,
               LDAPMessage **res)
{
  struct svc_op op = {.kind = OP_SEARCH,
                      .dn = base,
                      .scope = scope,
                      .filter = filter,
                      .attrs = (char **) (uintptr_t) attrs,
                      .sizelimit = sizelimit,
                      .res = res};
  int r;

  *res = NULL;
  r = svc_do(l, &op, KC_LDAP_OP_LIST);
  if (r != 0 && r != KC_ERR_RANGE) {
    ldap_msgfree(*res);
    *res = NULL;
  }
  return r;
}

/* The cookie of the paged-results response in res; an empty one ends
 * the search. */
static int
page_cookie(struct kc_ldap *l, LDAPMessage *res, struct berval *cookie)
{
  LDAPControl **ctrls = NULL, *c;
  ber_int_t count = 0;
  int rc, err = LDAP_SUCCESS;

  ber_memfree(cookie->bv_val);
  cookie->bv_val = NULL;
  cookie->bv_len = 0;
  rc = ldap_parse_result(l->svc, res, &err, NULL, NULL, NULL, &ctrls, 0);
  if (rc == LDAP_SUCCESS) {
    c = ldap_control_find(LDAP_CONTROL_PAGEDRESULTS, ctrls, NULL);
    if (c != NULL)
      rc = ldap_parse_pageresponse_control(l->svc, c, &count, cookie);
    ldap_controls_free(ctrls);
  }
  if (rc == LDAP_SUCCESS)
    return 0;
  note(l, rc, NULL);
  return kc_ldap_err(KC_LDAP_OP_LIST, rc);
}

/* One page: search with the paged-results control carrying cookie. */
static int
one_page(struct kc_ldap *l, const char *base, int scope, const char *filter,
         const char *const *attrs, struct berval *cookie, LDAPMessage **res)
{
  LDAPControl *ctrl = NULL, *sctrls[2] = {NULL, NULL};
  struct svc_op op = {.kind = OP_SEARCH,
                      .dn = base,
                      .scope = scope,
                      .filter = filter,
                      .attrs = (char **) (uintptr_t) attrs,
                      .res = res,
                      .sctrls = sctrls};
  int rc, r;

  *res = NULL;
  if ((r = svc_ready(l, cookie->bv_len > 0)) != 0)
    return r;
  rc = ldap_create_page_control(l->svc, KC_LDAP_PAGE,
                                cookie->bv_len > 0 ? cookie : NULL, 0, &ctrl);
  if (rc != LDAP_SUCCESS) {
    note(l, rc, NULL);
    return kc_ldap_err(KC_LDAP_OP_LIST, rc);
  }
  sctrls[0] = ctrl;
  r = svc_do(l, &op, KC_LDAP_OP_LIST);
  ldap_control_free(ctrl);
  return r;
}

int
kc_ldap_search_each(struct kc_ldap *l, const char *base, int scope,
                    const char *filter, const char *const *attrs,
                    int (*fn)(struct kc_ldap *l, LDAPMessage *entry, void *arg),
                    void *arg)
{
  struct berval cookie = {0, NULL};
  LDAPMessage *res = NULL, *e;
  int r, sr;

  do {
    sr = one_page(l, base, scope, filter, attrs, &cookie, &res);
    if (sr != 0 && sr != KC_ERR_RANGE) {
      r = sr;
      break;
    }
    r = 0;
    for (e = ldap_first_entry(l->svc, res); r == 0 && e != NULL;
         e = ldap_next_entry(l->svc, e))
      r = fn(l, e, arg);
    if (r == 0 && sr == KC_ERR_RANGE)
      r = sr; /* what came was handed out; now say it was cut short */
    if (r == 0)
      r = page_cookie(l, res, &cookie);
    ldap_msgfree(res);
    res = NULL;
  } while (r == 0 && cookie.bv_len > 0);
  ber_memfree(cookie.bv_val);
  ldap_msgfree(res);
  return r;
}

void
kc_ldap_msgfree(LDAPMessage *res)
{
  if (res != NULL)
    ldap_msgfree(res);
}

LDAPMessage *
kc_ldap_first(struct kc_ldap *l, LDAPMessage *res)
{
  return res != NULL ? ldap_first_entry(l->svc, res) : NULL;
}

LDAPMessage *
kc_ldap_next(struct kc_ldap *l, LDAPMessage *entry)
{
  return entry != NULL ? ldap_next_entry(l->svc, entry) : NULL;
}

char *
kc_ldap_entry_dn(struct kc_ldap *l, LDAPMessage *entry)
{
  return ldap_get_dn(l->svc, entry);
}

void
kc_ldap_memfree(void *p)
{
  if (p != NULL)
    ldap_memfree(p);
}

int
kc_ldap_get(struct kc_ldap *l, LDAPMessage *entry, const char *attr, char *out,
            size_t outlen)
{
  return get_value(l->svc, entry, attr, out, outlen);
}

char **
kc_ldap_values(struct kc_ldap *l, LDAPMessage *entry, const char *attr)
{
  struct berval **v = ldap_get_values_len(l->svc, entry, attr);
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
      kc_ldap_values_free(out);
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
kc_ldap_values_free(char **v)
{
  size_t i;

  if (v == NULL)
    return;
  for (i = 0; v[i] != NULL; i++)
    free(v[i]);
  free(v);
}

int
kc_ldap_add(struct kc_ldap *l, const char *dn, LDAPMod **mods)
{
  struct svc_op op = {.kind = OP_ADD, .dn = dn, .mods = mods};

  return svc_do(l, &op, KC_LDAP_OP_ADD);
}

int
kc_ldap_modify(struct kc_ldap *l, const char *dn, LDAPMod **mods)
{
  struct svc_op op = {.kind = OP_MODIFY, .dn = dn, .mods = mods};

  return svc_do(l, &op, KC_LDAP_OP_MODIFY);
}

int
kc_ldap_delete(struct kc_ldap *l, const char *dn)
{
  struct svc_op op = {.kind = OP_DELETE, .dn = dn};

  return svc_do(l, &op, KC_LDAP_OP_DELETE);
}

int
kc_ldap_rename_rdn(struct kc_ldap *l, const char *dn, const char *newrdn)
{
  struct svc_op op = {.kind = OP_RENAME, .dn = dn, .newrdn = newrdn};

  return svc_do(l, &op, KC_LDAP_OP_RENAME);
}

int
kc_ldap_add_start(struct kc_ldap *l, const char *dn, LDAPMod **mods, int *msgid)
{
  struct svc_op op = {.kind = OP_ADD_START,
                      .dn = dn,
                      .mods = mods,
                      .msgid = msgid};

  /* answers of earlier starts are pending on this connection: never a
   * quiet new one */
  if (l->svc == NULL)
    return KC_ERR_UNAVAILABLE;
  return svc_do(l, &op, KC_LDAP_OP_LIST);
}

int
kc_ldap_modify_start(struct kc_ldap *l, const char *dn, LDAPMod **mods,
                     const char *assertion, int *msgid)
{
  LDAPControl *ctrl = NULL, *sctrls[2] = {NULL, NULL};
  struct svc_op op = {.kind = OP_MODIFY_START,
                      .dn = dn,
                      .mods = mods,
                      .sctrls = sctrls,
                      .msgid = msgid};
  int rc, r;

  if (l->svc == NULL) /* see kc_ldap_add_start() */
    return KC_ERR_UNAVAILABLE;
  if ((r = svc_ready(l, true)) != 0)
    return r;
  if (assertion != NULL) {
    /* RFC 4528: the assertion control is critical */
    rc = ldap_create_assertion_control(l->svc, (char *) (uintptr_t) assertion,
                                       1, &ctrl);
    if (rc != LDAP_SUCCESS) {
      note(l, rc, "assertion filter");
      return kc_ldap_err(KC_LDAP_OP_LIST, rc);
    }
    sctrls[0] = ctrl;
  }
  r = svc_do(l, &op, KC_LDAP_OP_LIST);
  ldap_control_free(ctrl);
  return r;
}

int
kc_ldap_wait(struct kc_ldap *l, int *msgid, int *ldap_rc, char *diag,
             size_t diaglen)
{
  struct timeval tv = {l->cfg->timeout, 0};
  LDAPMessage *res = NULL;
  char *text = NULL;
  int n, rc;

  *msgid = -1;
  *ldap_rc = LDAP_OTHER;
  if (diag != NULL && diaglen > 0)
    diag[0] = '\0';
  if (l->svc == NULL) {
    note(l, LDAP_SERVER_DOWN, NULL);
    return KC_ERR_UNAVAILABLE;
  }
  n = ldap_result(l->svc, LDAP_RES_ANY, LDAP_MSG_ALL, &tv, &res);
  if (n <= 0) {
    ldap_msgfree(res);
    note_ld(l, l->svc, n == 0 ? LDAP_TIMEOUT : LDAP_SERVER_DOWN);
    return KC_ERR_UNAVAILABLE;
  }
  *msgid = ldap_msgid(res);
  rc = ldap_parse_result(l->svc, res, ldap_rc, NULL, &text, NULL, NULL, 1);
  if (rc != LDAP_SUCCESS) {
    ldap_memfree(text);
    note(l, rc, NULL);
    return kc_ldap_err(KC_LDAP_OP_LIST, rc);
  }
  if (diag != NULL && diaglen > 0 && text != NULL)
    kc_str_copy_printable(diag, diaglen, text);
  ldap_memfree(text);
  l->rc = LDAP_SUCCESS;
  l->err[0] = '\0';
  return 0;
}
