/*
 * handler.c: AUTH, TAN, ACCT, CHAUTHTOK and PING on the PAM socket.
 */
#include <config.h>

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "factor.h"
#include "handler.h"
#include "lockout.h"
#include "password.h"
#include "proof.h"
#include "rehash.h"
#include "tanflow.h"
#include "kc_err.h"
#include "kc_str.h"
#include "log.h"

int
kc_handler_global_init(void)
{
  return kc_password_dummy_init();
}

void
kc_handler_init(struct kc_handler *h, const struct kc_handler_cfg *cfg,
                unsigned worker)
{
  h->cfg = cfg;
  h->req_id = 0;
  h->worker = worker;
  h->log_note = NULL;
  h->notice_due = false;
  memset(&h->notice_user, 0, sizeof(h->notice_user));
  kc_ldap_init(&h->ldap, cfg->ldap);
}

void
kc_handler_close(struct kc_handler *h)
{
  kc_ldap_close(&h->ldap);
}

/* ---------------------------------------------------------------- texts */

enum text_id {
  T_NONE,
  T_AUTH_FAILED,
  T_LOCKED,
  T_EXPIRED,
  T_UNAVAILABLE,
  T_MUST_CHANGE,
  T_REJECTED,
  T_CHANGED,
  T_TAN_SENT,
  T_TAN_PENDING,
  T_TAN_WRONG,
  T_TAN_DEAD,
  T_TAN_MAXTRIES,
  T_TAN_LIMITED,
  T_TAN_UNDELIVERED,
  T_TAN_FOR_CHANGE,
  T_FIRST_LOGIN,
  T_CODE_WRONG,
  T_CODE_PAUSE,
  T_TOTP_ENROL
};

static const char *const texts[][2] = {
  [T_NONE] = {"", ""},
  [T_AUTH_FAILED] = {"Anmeldung fehlgeschlagen.", "Login failed."},
  [T_LOCKED] = {"Das Konto ist gesperrt. Bitte wenden Sie sich an den "
                "Kundenservice.",
                "The account is locked. Please contact customer service."},
  [T_EXPIRED] = {"Das Passwort ist abgelaufen.", "The password has expired."},
  [T_UNAVAILABLE] = {"Der Anmeldedienst ist vorübergehend nicht erreichbar.",
                     "The login service is temporarily unavailable."},
  [T_MUST_CHANGE] = {"Bitte ändern Sie Ihr Passwort.",
                     "Please change your password."},
  [T_REJECTED] = {"Das neue Passwort wurde abgelehnt", "The new password was "
                                                       "rejected"},
  [T_CHANGED] = {"Das Passwort wurde geändert.", "The password was changed."},
  [T_TAN_SENT] = {"Eine TAN wurde gesendet.", "A TAN has been sent."},
  [T_TAN_PENDING] = {"Eine TAN wurde bereits gesendet; bitte verwenden Sie "
                     "diese.",
                     "A TAN has already been sent; please use that one."},
  [T_TAN_WRONG] = {"Die TAN ist falsch.", "The TAN is wrong."},
  [T_TAN_DEAD] = {"Die TAN ist abgelaufen oder verbraucht. Bitte melden Sie "
                  "sich erneut an.",
                  "The TAN has expired or was used. Please log in again."},
  [T_TAN_MAXTRIES] = {"Zu viele falsche TANs. Bitte melden Sie sich erneut "
                      "an.",
                      "Too many wrong TANs. Please log in again."},
  [T_TAN_LIMITED] = {"Zu viele TANs in kurzer Zeit. Bitte versuchen Sie es "
                     "später erneut.",
                     "Too many TANs in a short time. Please try again later."},
  [T_TAN_UNDELIVERED] = {"Die TAN konnte nicht gesendet werden. Bitte "
                         "versuchen Sie es später erneut.",
                         "The TAN could not be sent. Please try again later."},
  [T_TAN_FOR_CHANGE] =
    {"Das Passwort eines Kontos mit TAN lässt sich nur "
     "nach Eingabe der TAN ändern.",
     "The password of an account with a TAN can only be changed after "
     "entering the TAN."},
  [T_FIRST_LOGIN] =
    {"Bitte richten Sie Ihren Zugang zuerst im Kundencenter "
     "ein: neues Passwort, Benutzername und TAN-Verfahren.",
     "Please set up your login in the customer portal first: new password, "
     "user name and second factor."},
  [T_CODE_WRONG] = {"Der Code ist falsch.", "The code is wrong."},
  [T_CODE_PAUSE] = {"Zu viele falsche Codes. Bitte versuchen Sie es in fünf "
                    "Minuten erneut.",
                    "Too many wrong codes. Please try again in five minutes."},
  [T_TOTP_ENROL] =
    {"Bitte richten Sie zuerst im Kundencenter Ihre Authenticator-App ein.",
     "Please set up your authenticator app in the customer portal first."},
};

static const char *
text(enum text_id id, const struct kc_ldap_user *u)
{
  bool en = u != NULL && strcmp(u->language, "en") == 0;

  return texts[id][en ? 1 : 0];
}

/* Fill the reply; allocation failure leaves empty strings, which the
 * encoder sends as "". */
static void
reply(struct kc_proto_reply *rep, uint32_t result, const char *msg)
{
  rep->result = result;
  free(rep->message);
  rep->message = strdup(msg != NULL ? msg : "");
}

/* A TAN_REQUIRED reply: the challenge and where the TAN went. */
static void
reply_challenge(struct kc_proto_reply *rep, const char *challenge,
                const char *dest, const char *msg)
{
  reply(rep, KC_RES_TAN_REQUIRED, msg);
  free(rep->challenge);
  rep->challenge = strdup(challenge);
  free(rep->destination);
  rep->destination = strdup(dest);
}

/* ------------------------------------------------------------- helpers */

/* Is the account locked by ppolicy right now? (slapd keeps
 * pwdAccountLockedTime after a timed lock ran out.) */
static int
is_locked(struct kc_handler *h, const struct kc_ldap_user *u, bool *locked)
{
  time_t at;
  long duration;

  *locked = false;
  if (u->locked_time[0] == '\0')
    return 0;
  if (strcmp(u->locked_time, KC_LDAP_LOCK_FOREVER) == 0) {
    *locked = true; /* administrative lock: permanent */
    return 0;
  }
  if (kc_ldap_lockout_duration(&h->ldap, u, &duration) != 0)
    return KC_ERR_UNAVAILABLE;
  if (kc_ldap_parse_time(u->locked_time, &at) != 0 || duration == 0) {
    *locked = true;
    return 0;
  }
  *locked = time(NULL) < at + duration;
  return 0;
}

/* Look up the user; on NOT_FOUND do the dummy work. Returns the reply
 * result to use when the lookup did not succeed, or KC_RES_OK. */
static uint32_t
lookup(struct kc_handler *h, const char *name, const char *password,
       struct kc_ldap_user *u)
{
  int r = kc_ldap_find_user(&h->ldap, name, u);

  if (r == 0)
    return KC_RES_OK;
  if (r == KC_ERR_NOT_FOUND) {
    if (password != NULL)
      kc_password_dummy_verify(password);
    return KC_RES_USER_UNKNOWN;
  }
  if (r == KC_ERR_UNAVAILABLE)
    return KC_RES_UNAVAILABLE;
  return KC_RES_INTERNAL;
}

static uint32_t
bind_result(enum kc_ldap_bind_result b)
{
  switch (b) {
    case KC_BIND_OK:
      return KC_RES_OK;
    case KC_BIND_MUST_CHANGE:
      return KC_RES_NEW_AUTHTOK_REQD;
    case KC_BIND_LOCKED:
      return KC_RES_LOCKED;
    case KC_BIND_EXPIRED:
      return KC_RES_EXPIRED;
    case KC_BIND_UNAVAILABLE:
      return KC_RES_UNAVAILABLE;
    case KC_BIND_INVALID:
    default:
      return KC_RES_AUTH_ERR;
  }
}

static enum text_id
result_text(uint32_t res)
{
  switch (res) {
    case KC_RES_AUTH_ERR:
    case KC_RES_USER_UNKNOWN:
      return T_AUTH_FAILED;
    case KC_RES_LOCKED:
      return T_LOCKED;
    case KC_RES_EXPIRED:
      return T_EXPIRED;
    case KC_RES_UNAVAILABLE:
    case KC_RES_INTERNAL:
      return T_UNAVAILABLE;
    case KC_RES_NEW_AUTHTOK_REQD:
      return T_MUST_CHANGE;
    default:
      return T_NONE;
  }
}

/* Who passed, for the module's PAM environment (kc_proto.h): set on a
 * success of AUTH or TAN, once the password and any second factor are
 * proven. An account whose kcTanMethod the protocol cannot name gets
 * INTERNAL instead of a success without an identity. */
static void
with_identity(struct kc_handler *h, const struct kc_ldap_user *u,
              struct kc_proto_reply *rep)
{
  static const char *const methods[] = {"none", "email", "mtan", "totp"};
  const char *method = NULL;
  size_t i;

  if (rep->result != KC_RES_OK && rep->result != KC_RES_NEW_AUTHTOK_REQD)
    return;
  for (i = 0; i < sizeof(methods) / sizeof(methods[0]); i++)
    if (strcmp(u->tan_method, methods[i]) == 0)
      method = methods[i];
  if (u->customers_cut)
    h->log_note = "customers_unnamed"; /* sent as "" */
  if (method != NULL) {
    rep->user = strdup(u->uid);
    rep->customers = strdup(u->customers);
    rep->role = strdup(strcmp(u->role, "admin") == 0 ? "admin" : "user");
    rep->tan_method = strdup(method);
  }
  if (method == NULL || rep->user == NULL || rep->customers == NULL ||
      rep->role == NULL || rep->tan_method == NULL) {
    uint16_t op = rep->op;

    h->log_note = method == NULL ? "unknown_tan_method" : "no_memory";
    kc_proto_reply_free(rep);
    rep->op = op;
    reply(rep, KC_RES_INTERNAL, text(T_UNAVAILABLE, u));
  }
}

/* ------------------------------------------------------------ requests */

/* The tanflow settings of this handler. */
static struct kc_tanflow
flow(const struct kc_handler *h)
{
  struct kc_tanflow f = {&h->cfg->tan, h->cfg->tan_key, h->cfg->notify,
                         h->cfg->env};

  return f;
}

/* Send a TAN unless a fresh one is out (then point the user at it). The
 * password was right; u is the account. */
static void
issue_tan(struct kc_handler *h, const struct kc_ldap_user *u,
          struct kc_proto_reply *rep)
{
  struct kc_tanflow f = flow(h);
  char challenge[KC_TAN_CHALLENGE_LEN + 1], dest[KC_MAX_PROTO_TEXT];

  enum kc_tanflow_sent st;

  st = kc_tanflow_issue(&f, &h->ldap, u, challenge, dest, sizeof(dest));
  if (st == KC_TANFLOW_SENT || st == KC_TANFLOW_PENDING)
    reply_challenge(rep, challenge, dest,
                    text(st == KC_TANFLOW_SENT ? T_TAN_SENT : T_TAN_PENDING,
                         u));
  else if (st == KC_TANFLOW_LIMITED)
    reply(rep, KC_RES_RATE_LIMITED, text(T_TAN_LIMITED, u));
  else
    reply(rep, KC_RES_UNAVAILABLE,
          text(st == KC_TANFLOW_UNDELIVERED ? T_TAN_UNDELIVERED : T_UNAVAILABLE,
               u));
}

static bool
is_totp(const struct kc_ldap_user *u)
{
  return strcmp(u->tan_method, "totp") == 0;
}

/* What an app ticket is bound to besides the DN: the account itself
 * (entryUUID: not another account that gets the DN) and its password as
 * it was (pwdChangedTime: not after a change). */
static void
ticket_extra(const struct kc_ldap_user *u, char *out, size_t outlen)
{
  snprintf(out, outlen, "%s/%s", u->uuid, u->pwd_changed);
}

/* Ask for u's second factor (the password was right): a TAN goes out, or
 * for the authenticator app nothing is sent and the challenge is a ticket
 * that proves the password to the TAN request (factor.h). The reply names
 * the method, so the module can word its prompt. */
static void
ask_factor(struct kc_handler *h, const struct kc_ldap_user *u,
           struct kc_proto_reply *rep)
{
  char ticket[KC_PROOF_LEN + 1], extra[KC_LDAP_UUID_LEN + 40];

  if (!is_totp(u))
    issue_tan(h, u, rep);
  else if (!u->totp_enrolled) {
    /* kcadm account set-tan USER totp: enrolment is on the web */
    h->log_note = "totp_not_enrolled";
    reply(rep, KC_RES_AUTH_ERR, text(T_TOTP_ENROL, u));
  } else if ((ticket_extra(u, extra, sizeof(extra)),
              kc_proof_make_for(ticket, h->cfg->tan_key, KC_FACTOR_TOTP_TICKET,
                                u->dn, extra, kc_tan_now(h->cfg->env))) != 0)
    reply(rep, KC_RES_INTERNAL, text(T_UNAVAILABLE, u));
  else
    reply_challenge(rep, ticket, "", "");
  if (rep->result == KC_RES_TAN_REQUIRED) {
    free(rep->tan_method);
    rep->tan_method = strdup(u->tan_method);
  }
}

/* The reply for an answered second factor; pw_result is what the password
 * gave. code: the answer was an app or recovery code, not a TAN. */
static void
settled(const struct kc_ldap_user *u, enum kc_tanflow_answer a, bool code,
        uint32_t pw_result, struct kc_proto_reply *rep)
{
  switch (a) {
    case KC_TANFLOW_RIGHT:
      reply(rep, pw_result, text(result_text(pw_result), u));
      break;
    case KC_TANFLOW_WRONG:
      reply(rep, KC_RES_AUTH_ERR, text(code ? T_CODE_WRONG : T_TAN_WRONG, u));
      break;
    case KC_TANFLOW_MAXTRIES:
      reply(rep, KC_RES_MAXTRIES,
            text(code ? T_CODE_PAUSE : T_TAN_MAXTRIES, u));
      break;
    case KC_TANFLOW_DEAD:
      reply(rep, KC_RES_AUTH_ERR, text(T_TAN_DEAD, u));
      break;
    case KC_TANFLOW_LOCKED:
      reply(rep, KC_RES_LOCKED, text(T_LOCKED, u));
      break;
    case KC_TANFLOW_BROKEN: /* this account's data, not an outage */
      reply(rep, KC_RES_INTERNAL, text(T_UNAVAILABLE, u));
      break;
    case KC_TANFLOW_ERROR:
    default:
      reply(rep, KC_RES_UNAVAILABLE, text(T_UNAVAILABLE, u));
      break;
  }
}

static bool
pw_ok(uint32_t res)
{
  return res == KC_RES_OK || res == KC_RES_NEW_AUTHTOK_REQD;
}

/* What a right password means for u: a provisioned account that has not
 * finished its first login (kcFirstLogin) must change its credentials on
 * the web first, whatever ppolicy says, so it never logs in without
 * having chosen its second factor. */
static uint32_t
pw_result(const struct kc_ldap_user *u, uint32_t res)
{
  return res == KC_RES_OK && u->first_login ? KC_RES_NEW_AUTHTOK_REQD : res;
}

/* Reply to a password that did not pass. A lock becomes the plain
 * failure, after the work a wrong password costs (lockout.h); the log
 * keeps the reason. A wrong password that locked the account tells its
 * owner by mail. */
static void
refuse(struct kc_handler *h, const struct kc_ldap_user *u, uint32_t res,
       const char *password, struct kc_proto_reply *rep)
{
  if (res == KC_RES_LOCKED) {
    kc_lockout_hide(password);
    h->log_note = "locked";
    res = KC_RES_AUTH_ERR;
  }
  /* whether this failure locked the account is read after the reply
   * (kc_handler_after): the extra read, and the mail, must not make a
   * known name slower than an unknown one */
  if (res == KC_RES_AUTH_ERR && u->locked_time[0] == '\0') {
    h->notice_user = *u;
    h->notice_due = true;
  }
  reply(rep, res, text(result_text(res), u));
}

void
kc_handler_after(struct kc_handler *h)
{
  if (!h->notice_due)
    return;
  h->notice_due = false;
  kc_lockout_notice(&h->ldap, h->cfg->notify, &h->notice_user);
  memset(&h->notice_user, 0, sizeof(h->notice_user));
}

/*
 * tan=inline (mod_authnz_pam): the secret is the password, or the password
 * immediately followed by the second factor: a recovery code in its shown
 * form (any method), an app code (totp), or a TAN, which is split off only
 * while one is open. The factor is taken only after the part before it
 * bound as the password, so a password that itself ends in digits still
 * works. A wrong factor with the right password counts a try; the try is
 * counted on the state as it is after the bind, and compared only once
 * counted (kc_factor_answer).
 */
static size_t
inline_factor_len(struct kc_handler *h, const struct kc_ldap_user *u,
                  const char *secret, size_t len)
{
  const struct kc_tan_policy *p = &h->cfg->tan;

  if (len > KC_RECOVERY_SHOWN_LEN &&
      kc_factor_is_recovery_shown(secret + len - KC_RECOVERY_SHOWN_LEN))
    return KC_RECOVERY_SHOWN_LEN;
  if (is_totp(u) && len > KC_TOTP_DIGITS &&
      kc_tan_is_digits(secret + len - KC_TOTP_DIGITS, KC_TOTP_DIGITS))
    return KC_TOTP_DIGITS;
  if (!is_totp(u) && kc_tan_is_open(p, &u->tan, kc_tan_now(h->cfg->env)) &&
      len > p->length && kc_tan_is_digits(secret + len - p->length, p->length))
    return p->length;
  return 0;
}

static void
auth_inline(struct kc_handler *h, const struct kc_proto_request *req,
            const struct kc_ldap_user *u, struct kc_proto_reply *rep)
{
  struct kc_tanflow f = flow(h);
  const char *secret = req->password;
  size_t len = strlen(secret), n = inline_factor_len(h, u, secret, len);
  char pw[KC_PROTO_MAX_SECRET + 1];
  enum kc_tanflow_answer a;
  uint32_t res;

  pw[0] = '\0';
  if (n > 0) {
    memcpy(pw, secret, len - n);
    pw[len - n] = '\0';
    /* Most likely the right password and a factor (right or mistyped),
     * so that is bound first; the whole secret (a password that itself
     * ends so) only after a plain "wrong password", never after a
     * timeout or a lockout. A mistyped factor so costs a try, not a
     * ppolicy failure; a mistyped password costs two, since the factor is
     * never compared before a bind proved the password (that would let a
     * caller without the password test codes without a try being
     * counted). A lock since step 1 shows here: ppolicy refuses the bind. */
    res = bind_result(kc_ldap_bind_user(&h->ldap, u->dn, pw));
    if (pw_ok(res))
      kc_rehash_after_login(&h->ldap, u, pw);
    if (pw_ok(res) && is_totp(u) && !u->totp_enrolled) {
      ask_factor(h, u, rep); /* says: set the app up first */
      goto out;
    }
    if (pw_ok(res)) {
      a = kc_factor_answer(&f, &h->ldap, u, NULL, secret + len - n, NULL);
      settled(u, a, is_totp(u) || n == KC_RECOVERY_SHOWN_LEN, pw_result(u, res),
              rep);
      goto out;
    }
    if (res != KC_RES_AUTH_ERR) {
      refuse(h, u, res, pw, rep);
      goto out;
    }
  }
  if (pw_ok(res = bind_result(kc_ldap_bind_user(&h->ldap, u->dn, secret)))) {
    kc_rehash_after_login(&h->ldap, u, secret);
    ask_factor(h, u, rep); /* step 1, or a repeat of it */
  } else
    refuse(h, u, res, secret, rep);
out:
  sodium_memzero(pw, sizeof(pw));
}

static void
handle_auth(struct kc_handler *h, const struct kc_proto_request *req,
            struct kc_proto_reply *rep)
{
  struct kc_ldap_user u;
  uint32_t res;

  res = lookup(h, req->user, req->password, &u);
  if (res != KC_RES_OK) {
    reply(rep, res, text(result_text(res), NULL));
    return;
  }
  if (strcmp(u.tan_method, "none") != 0 && (req->flags & KC_AUTH_INLINE)) {
    auth_inline(h, req, &u, rep);
  } else {
    res = bind_result(kc_ldap_bind_user(&h->ldap, u.dn, req->password));
    if (pw_ok(res))
      kc_rehash_after_login(&h->ldap, &u, req->password);
    /* A second factor only after the password was right. */
    if (pw_ok(res) && strcmp(u.tan_method, "none") != 0)
      ask_factor(h, &u, rep);
    else if (pw_ok(res))
      reply(rep, pw_result(&u, res), text(result_text(pw_result(&u, res)), &u));
    else
      refuse(h, &u, res, req->password, rep);
  }
  with_identity(h, &u, rep);
}

/* After a right TAN: the proof that lets CHAUTHTOK change the password of
 * this account (proof.h), in the reply's challenge field. Without it the
 * module's password change is refused, never the login. */
static void
give_proof(struct kc_handler *h, const struct kc_ldap_user *u,
           struct kc_proto_reply *rep)
{
  char proof[KC_PROOF_LEN + 1];

  if (kc_proof_make(proof, h->cfg->tan_key, u->dn, kc_tan_now(h->cfg->env)) !=
      0)
    return;
  free(rep->challenge);
  rep->challenge = strdup(proof);
}

/* Is challenge the open challenge of u's second factor? For a TAN, the
 * challenge of the open TAN; for the app, a ticket of this account made
 * within tan_ttl. */
static bool
challenge_open(const struct kc_handler *h, const struct kc_ldap_user *u,
               const char *challenge)
{
  time_t now = kc_tan_now(h->cfg->env);
  char extra[KC_LDAP_UUID_LEN + 40];

  if (is_totp(u)) {
    ticket_extra(u, extra, sizeof(extra));
    return kc_proof_check_for(challenge, h->cfg->tan_key, KC_FACTOR_TOTP_TICKET,
                              u->dn, extra, now, h->cfg->tan.ttl) == 0;
  }
  return kc_tan_gate(&h->cfg->tan, &u->tan, challenge, now) != KC_TAN_GATE_DEAD;
}

/* tan=prompt, second step: the answer to the challenge from AUTH. */
static void
handle_tan(struct kc_handler *h, const struct kc_proto_request *req,
           struct kc_proto_reply *rep)
{
  enum kc_tanflow_answer a;
  struct kc_tanflow f;
  struct kc_ldap_user u;
  uint32_t res;
  bool locked;

  res = lookup(h, req->user, NULL, &u);
  if (res != KC_RES_OK) {
    reply(rep, res == KC_RES_USER_UNKNOWN ? KC_RES_AUTH_ERR : res,
          text(result_text(res), NULL));
    return;
  }
  /* Nothing about the account before the caller shows the challenge of
   * its open TAN or its app ticket, which only a right password gets: the
   * socket is open to every local user. */
  if (!challenge_open(h, &u, req->challenge)) {
    settled(&u, KC_TANFLOW_DEAD, false, KC_RES_AUTH_ERR, rep);
    return;
  }
  /* Locked since the AUTH (kcadm account lock, ppolicy): no answer is
   * counted or compared, the login fails as locked. */
  if (is_locked(h, &u, &locked) != 0) {
    reply(rep, KC_RES_UNAVAILABLE, text(T_UNAVAILABLE, &u));
    return;
  }
  if (locked) {
    reply(rep, KC_RES_LOCKED, text(T_LOCKED, &u));
    return;
  }
  f = flow(h);
  a = kc_factor_answer(&f, &h->ldap, &u, req->challenge, req->tan, NULL);
  settled(&u, a, is_totp(&u) || kc_factor_is_recovery(req->tan),
          u.must_change || u.first_login ? KC_RES_NEW_AUTHTOK_REQD : KC_RES_OK,
          rep);
  if (a == KC_TANFLOW_RIGHT)
    give_proof(h, &u, rep);
  with_identity(h, &u, rep);
}

static void
handle_acct(struct kc_handler *h, const struct kc_proto_request *req,
            struct kc_proto_reply *rep)
{
  struct kc_ldap_user u;
  uint32_t res;
  bool locked;

  res = lookup(h, req->user, NULL, &u);
  if (res != KC_RES_OK) {
    reply(rep, res, "");
    return;
  }
  if (is_locked(h, &u, &locked) != 0)
    res = KC_RES_UNAVAILABLE;
  else if (locked)
    res = KC_RES_LOCKED;
  else if (u.must_change || u.first_login)
    res = KC_RES_NEW_AUTHTOK_REQD;
  reply(rep, res, text(result_text(res), &u));
}

/* kcd's own checks of a new password (DESIGN §7); ppolicy adds history. */
static enum kc_password_problem
check_new_password(const struct kc_handler *h, const struct kc_ldap_user *u,
                   const char *pw)
{
  return kc_password_check(pw, u->uid, u->customer, h->cfg->password_min_length,
                           strcmp(u->tan_method, "none") != 0);
}

/*
 * The old password first: nothing about the account (first login, second
 * factor, the rules for the new password) is said before it is proven.
 * An account with a second factor needs the proof of a right TAN from
 * this PAM handle's login; a verify-only request without one is answered
 * like AUTH, with a TAN (TAN_REQUIRED), whose right answer brings the
 * proof. The change itself is made on the connection just bound, so the
 * old password costs one bind.
 */
static void
handle_chauthtok(struct kc_handler *h, const struct kc_proto_request *req,
                 struct kc_proto_reply *rep)
{
  bool verify_only = req->new_password[0] == '\0'; /* PAM_PRELIM_CHECK */
  struct kc_ldap_user u;
  char why[128], msg[KC_MAX_PROTO_TEXT];
  enum kc_password_problem bad;
  uint32_t res;

  res = lookup(h, req->user, req->password, &u);
  if (res != KC_RES_OK) {
    reply(rep, res == KC_RES_USER_UNKNOWN ? KC_RES_AUTH_ERR : res,
          text(result_text(res), NULL));
    return;
  }
  res = bind_result(kc_ldap_bind_user(&h->ldap, u.dn, req->password));
  if (!pw_ok(res)) {
    refuse(h, &u, res, req->password, rep);
    return;
  }
  if (u.first_login) {
    reply(rep, KC_RES_AUTHTOK_ERR, text(T_FIRST_LOGIN, &u));
    return;
  }
  if (strcmp(u.tan_method, "none") != 0 &&
      kc_proof_check(req->challenge, h->cfg->tan_key, u.dn,
                     kc_tan_now(h->cfg->env)) != 0) {
    h->log_note = "no_tan_proof";
    if (verify_only)
      ask_factor(h, &u, rep);
    else
      reply(rep, KC_RES_AUTH_ERR, text(T_TAN_FOR_CHANGE, &u));
    return;
  }
  if (verify_only) {
    reply(rep, KC_RES_OK, "");
    return;
  }
  if ((bad = check_new_password(h, &u, req->new_password)) != KC_PW_OK) {
    reply(rep, KC_RES_AUTHTOK_ERR,
          kc_password_problem_text(bad, strcmp(u.language, "en") == 0));
    return;
  }
  switch (kc_ldap_passwd_bound(&h->ldap, u.dn, req->password, req->new_password,
                               why, sizeof(why))) {
    case KC_PASSWD_OK:
      reply(rep, KC_RES_OK, text(T_CHANGED, &u));
      break;
    case KC_PASSWD_REJECTED:
      snprintf(msg, sizeof(msg), "%s: %s", text(T_REJECTED, &u), why);
      reply(rep, KC_RES_AUTHTOK_ERR, msg);
      break;
    default:
      reply(rep, KC_RES_UNAVAILABLE, text(T_UNAVAILABLE, &u));
      break;
  }
}

static void
log_request(const struct kc_handler *h, const struct kc_peer *peer,
            const struct kc_proto_request *req,
            const struct kc_proto_reply *rep)
{
  char user[101], service[65], rhost[101];

  kc_log_escape(user, sizeof(user), req->user);
  kc_log_escape(service, sizeof(service), req->service);
  kc_log_escape(rhost, sizeof(rhost), req->rhost);
  kc_log_auth("%s %s; user=%s service=%s rhost=%s peer_uid=%u peer_pid=%d "
              "req=%u.%lu%s%s",
              kc_proto_op_name(req->op), kc_proto_result_name(rep->result),
              user, service, rhost, (unsigned) peer->uid, (int) peer->pid,
              h->worker, h->req_id, h->log_note != NULL ? " note=" : "",
              h->log_note != NULL ? h->log_note : "");
}

void
kc_handler_run(struct kc_handler *h, const struct kc_peer *peer,
               const struct kc_proto_request *req, struct kc_proto_reply *rep)
{
  memset(rep, 0, sizeof(*rep));
  rep->op = req->op;
  h->req_id++;
  h->log_note = NULL;
  switch (req->op) {
    case KC_OP_AUTH:
      handle_auth(h, req, rep);
      break;
    case KC_OP_TAN:
      handle_tan(h, req, rep);
      break;
    case KC_OP_ACCT:
      handle_acct(h, req, rep);
      break;
    case KC_OP_CHAUTHTOK:
      handle_chauthtok(h, req, rep);
      break;
    case KC_OP_PING:
      reply(rep, kc_ldap_ping(&h->ldap) == 0 ? KC_RES_OK : KC_RES_UNAVAILABLE,
            "");
      break;
    default:
      reply(rep, KC_RES_PROTOCOL, "");
      break;
  }
  log_request(h, peer, req, rep);
}
