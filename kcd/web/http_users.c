/*
 * http_users.c: GET and POST /account/users, the main user (kcRole:
 * admin) manages the practice's users: the accounts that share one of its
 * customer numbers and the open invitations (DESIGN §11).
 *
 *   POST action=invite   email, first_name, last_name, customer_number
 *                        (one or more of the admin's own, separated by
 *                        commas or blanks; empty: all), role (user|admin)
 *   POST action=revoke   invitation (its id)
 *   POST action=lock|unlock|delete|reset-second-factor   username
 *
 * Only accounts and invitations of the admin's own customers exist for
 * this page: any other name is "unknown" (404), as a name that does not
 * exist at all. Nobody locks or deletes itself, nor the last main user of
 * a customer: those changes run under a lease on every customer entry
 * they touch (kc_ldap_customer_lease), so of two main users removing each
 * other at once one is refused. Every action mails the affected user and
 * logs "ACCOUNT ADMIN; user=... action=... target=...".
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "email.h"
#include "http.h"
#include "http_page.h"
#include "kc_err.h"
#include "kc_limits.h"
#include "kc_str.h"
#include "log.h"
#include "pages.h"
#include "session.h"

/* Accounts and invitations the page lists. */
#define KC_USERS_MAX       500
#define KC_INVITATIONS_MAX 500
/* Invitations a main user sends: 10, then one a minute. */
#define KC_INVITE_BURST 10
#define KC_INVITE_PER   60
/* Lifetime of an invitation link. */
#define KC_INVITE_TTL (24 * 3600)
/* The lease on a customer entry: held this long at most (a kcd that dies
 * holding it blocks that customer's main-user changes this long), tried
 * this many times 50 ms apart, and written to only while this much of it
 * is left. */
#define KC_LEASE_SECS   120
#define KC_LEASE_TRIES  40
#define KC_LEASE_MARGIN 60
/* Longest name of an invitee. */
#define KC_INVITE_MAX_NAME 64

/* What one request works with. */
struct users {
  struct kc_http_acct a;
  struct kc_ldap_details d; /* the admin's customers */
  const char *customers[KC_LDAP_MAX_CUSTOMERS + 1];
  struct kc_ldap_member *m;
  size_t n_m;
  bool more_m;
  struct kc_ldap_invitation *v;
  size_t n_v;
  bool more_v;
  const char *ok, *error; /* the outcome of a POST */
  unsigned status;
  const char *e_email, *e_customer, *e_role, *e_name;
  char msg[KC_MAX_EMAIL + 256];
};

static const char *
tr(const struct kc_http_req *req, const char *de, const char *en)
{
  return kc_http_tr(req, de, en);
}

static int
load(struct users *x)
{
  size_t i;
  int r;

  x->n_m = x->n_v = 0;
  for (i = 0; i < x->d.n_customers; i++)
    x->customers[i] = x->d.customers[i].number;
  x->customers[i] = NULL;
  if ((r = kc_ldap_members(x->a.l, x->customers, x->d.n_customers, x->m,
                           KC_USERS_MAX, &x->n_m, &x->more_m)) != 0)
    return r;
  return kc_ldap_invitations(x->a.l, x->customers, x->d.n_customers, x->v,
                             KC_INVITATIONS_MAX, &x->n_v, &x->more_v);
}

/* ---------------------------------------------------------------- mails */

static const char *
action_text(const struct kc_http_req *req, const char *action)
{
  if (strcmp(action, "lock") == 0)
    return tr(req, "gesperrt", "locked");
  if (strcmp(action, "unlock") == 0)
    return tr(req, "entsperrt", "unlocked");
  if (strcmp(action, "delete") == 0)
    return tr(req, "gelöscht", "deleted");
  return tr(req,
            "TAN-Verfahren zurückgesetzt (Sie wählen es bei der nächsten "
            "Anmeldung neu)",
            "second factor reset (you choose it again at your next login)");
}

static void
notice(struct kc_http_req *req, const struct users *x,
       const struct kc_ldap_member *t, const char *action)
{
  const struct kc_http_cfg *cfg = kc_http_cfg(req->http);
  char subject[256], text[1024], err[256];

  if (t->mail[0] == '\0')
    return;
  snprintf(subject, sizeof(subject),
           req->english ? "Your login for the %s was changed"
                        : "Ihr Zugang zum %s wurde geändert",
           cfg->portal_name);
  if (req->english)
    snprintf(text, sizeof(text),
             "Hello,\n\nthe main user %s of your practice has changed your "
             "login %s for the %s just now: %s.\n\nQuestions? Please ask %s "
             "or customer service.\n",
             x->a.u.uid, t->uid, cfg->portal_name, action_text(req, action),
             x->a.u.uid);
  else
    snprintf(text, sizeof(text),
             "Guten Tag,\n\nder Hauptbenutzer %s Ihrer Praxis hat soeben "
             "Ihren Zugang %s zum %s geändert: %s.\n\nBei Fragen wenden Sie "
             "sich bitte an %s oder an den Kundenservice.\n",
             x->a.u.uid, t->uid, cfg->portal_name, action_text(req, action),
             x->a.u.uid);
  if (kc_notify_mail(cfg->notify, t->mail, subject, text, err, sizeof(err)) !=
      0)
    kc_log_warnx("account notice not sent; user=%s error=\"%s\"", t->uid, err);
}

/* -------------------------------------------------------------- actions */

static const struct kc_ldap_member *
find_member(const struct users *x, const char *name)
{
  size_t i;

  for (i = 0; i < x->n_m; i++)
    if (strcasecmp(x->m[i].uid, name) == 0)
      return &x->m[i];
  return NULL;
}

/* Is another main user, not locked, left for every customer of t (its
 * customers that the admin does not have too)? Read afresh, under the
 * leases. */
static int
others_left(struct users *x, const struct kc_ldap_member *t, bool *left)
{
  const char *tc[KC_LDAP_MAX_CUSTOMERS + 1];
  size_t i, j, k;
  int r;

  *left = true;
  for (i = 0; i < t->n_customers; i++)
    tc[i] = t->customers[i];
  tc[i] = NULL;
  if ((r = kc_ldap_members(x->a.l, tc, t->n_customers, x->m, KC_USERS_MAX,
                           &x->n_m, &x->more_m)) != 0)
    return r;
  for (i = 0; i < t->n_customers && *left; i++) {
    bool any = false;
    for (j = 0; j < x->n_m && !any; j++) {
      const struct kc_ldap_member *o = &x->m[j];
      if (strcmp(o->uuid, t->uuid) == 0 || o->locked ||
          strcmp(o->role, "admin") != 0)
        continue;
      for (k = 0; k < o->n_customers; k++)
        if (strcmp(o->customers[k], t->customers[i]) == 0)
          any = true;
    }
    if (!any)
      *left = false;
  }
  return 0;
}

static int
lease_all(struct users *x, const struct kc_ldap_member *t, time_t until,
          size_t *held)
{
  size_t i;
  int r = 0, tries;

  *held = 0;
  for (i = 0; i < t->n_customers && r == 0; i++) {
    for (tries = 0; tries < KC_LEASE_TRIES; tries++) {
      r = kc_ldap_customer_lease(x->a.l, t->customers[i], time(NULL), until);
      if (r != KC_ERR_DUPLICATE)
        break;
      usleep(50 * 1000);
    }
    if (r == KC_ERR_NOT_FOUND)
      r = 0; /* a number without its customer entry: nothing to hold */
    if (r == 0)
      *held = i + 1;
  }
  return r;
}

static void
release_all(struct users *x, const struct kc_ldap_member *t, time_t until,
            size_t held)
{
  size_t i;

  for (i = 0; i < held; i++)
    if (kc_ldap_customer_release(x->a.l, t->customers[i], until) ==
        KC_ERR_UNAVAILABLE)
      kc_log_warnx("lease on customer %s not released (expires by itself)",
                   t->customers[i]);
}

static int
apply(struct users *x, const struct kc_ldap_member *t, const char *action)
{
  char stamp[KC_SESSION_STAMP_LEN + 1];
  struct kc_ldap_mods m;

  if (strcmp(action, "delete") == 0)
    return kc_ldap_delete(x->a.l, t->dn);
  kc_session_new_stamp(stamp);
  kc_ldap_mods_init(&m);
  if (strcmp(action, "lock") == 0) {
    kc_ldap_mods_add(&m, LDAP_MOD_REPLACE, "pwdAccountLockedTime",
                     KC_LDAP_LOCK_FOREVER, NULL);
    kc_ldap_mods_add(&m, LDAP_MOD_REPLACE, "kcLockedBy", x->a.u.uid, NULL);
  } else if (strcmp(action, "unlock") == 0) {
    kc_ldap_mods_add(&m, LDAP_MOD_REPLACE, "pwdAccountLockedTime", NULL, NULL);
    kc_ldap_mods_add(&m, LDAP_MOD_REPLACE, "kcLockedBy", NULL, NULL);
    kc_ldap_mods_add(&m, LDAP_MOD_REPLACE, "kcTanFailures", NULL, NULL);
    kc_ldap_mods_add(&m, LDAP_MOD_REPLACE, "kcFactorFailedAt", NULL, NULL);
  } else { /* reset-second-factor: chosen again at the next login */
    kc_ldap_mods_add(&m, LDAP_MOD_REPLACE, "kcTanMethod", "none", NULL);
    kc_ldap_mods_add(&m, LDAP_MOD_REPLACE, "kcFirstLogin", "TRUE", NULL);
    kc_ldap_mods_add(&m, LDAP_MOD_REPLACE, "kcTanFailures", NULL, NULL);
    kc_ldap_mods_add(&m, LDAP_MOD_REPLACE, "kcFactorFailedAt", NULL, NULL);
    /* the lost factor's app, and recovery codes that may have been kept
     * with it (a stolen phone), go too: new ones come with the new factor */
    kc_ldap_mods_add(&m, LDAP_MOD_REPLACE, "kcTotpSecret", NULL, NULL);
    kc_ldap_mods_add(&m, LDAP_MOD_REPLACE, "kcTotpLastStep", NULL, NULL);
    kc_ldap_mods_add(&m, LDAP_MOD_REPLACE, "kcRecoveryCode", NULL, NULL);
  }
  /* an open TAN goes, and every session of the account ends */
  kc_ldap_mods_add(&m, LDAP_MOD_REPLACE, "kcTanHash", NULL, NULL);
  kc_ldap_mods_add(&m, LDAP_MOD_REPLACE, "kcTanChallenge", NULL, NULL);
  kc_ldap_mods_add(&m, LDAP_MOD_REPLACE, "kcTanExpires", NULL, NULL);
  kc_ldap_mods_add(&m, LDAP_MOD_REPLACE, "kcTanTries", NULL, NULL);
  kc_ldap_mods_add(&m, LDAP_MOD_REPLACE, "kcSessionStamp", stamp, NULL);
  return kc_ldap_modify(x->a.l, t->dn, m.ms_ptr);
}

static void
fail(struct users *x, unsigned status, const char *text)
{
  x->status = status;
  x->error = text;
}

/* lock, unlock, delete, reset-second-factor on username. */
static void
act_on_user(struct kc_http_req *req, struct users *x, const char *action)
{
  const struct kc_ldap_member *found;
  struct kc_ldap_member t;
  bool removes = strcmp(action, "lock") == 0 || strcmp(action, "delete") == 0;
  char name[KC_MAX_USERNAME + 1];
  time_t until = time(NULL) + KC_LEASE_SECS;
  size_t held = 0;
  bool left = true;
  int r;

  if (!kc_form_get_trim(&req->body, "username", name, sizeof(name)) ||
      (found = find_member(x, name)) == NULL) {
    fail(x, 404,
         tr(req, "Diesen Benutzer gibt es nicht.", "There is no such user."));
    return;
  }
  t = *found; /* the list is read again under the lease */
  if (strcmp(t.uuid, x->a.u.uuid) == 0) {
    fail(x, 409,
         tr(req,
            "Das geht nicht mit dem eigenen Zugang (dafür ist die "
            "Seite „Mein Zugang“ da).",
            "Not with your own login (use \"My account\")."));
    return;
  }
  if (strcmp(action, "lock") == 0 && t.locked) {
    fail(x, 409,
         tr(req, "Dieser Zugang ist schon gesperrt.",
            "This login is locked already."));
    return;
  }
  if (strcmp(action, "unlock") == 0 && t.locked_by_service) {
    fail(x, 409,
         tr(req,
            "Diesen Zugang hat der Kundenservice gesperrt; nur er "
            "kann ihn entsperren.",
            "Customer service locked this login; only customer "
            "service can unlock it."));
    return;
  }
  if (removes && strcmp(t.role, "admin") == 0) {
    r = lease_all(x, &t, until, &held);
    if (r == 0)
      r = others_left(x, &t, &left);
    if (r == 0 && !left) {
      release_all(x, &t, until, held);
      fail(x, 409,
           tr(req,
              "Das ist der letzte Hauptbenutzer eines Kunden; "
              "ernennen Sie zuerst einen weiteren.",
              "This is the last main user of a customer; make "
              "another one first."));
      return;
    }
    if (r != 0) {
      release_all(x, &t, until, held);
      fail(x, 503,
           tr(req,
              "Gerade ändert jemand anderes die Hauptbenutzer. "
              "Bitte versuchen Sie es gleich noch einmal.",
              "Somebody else is changing the main users. Please "
              "try again in a moment."));
      return;
    }
  }
  if (held > 0 && time(NULL) + KC_LEASE_MARGIN >= until) {
    /* too slow: the lease may not outlast the write */
    release_all(x, &t, until, held);
    fail(x, 503,
         tr(req,
            "Die Änderung hat zu lange gedauert. Bitte versuchen Sie "
            "es noch einmal.",
            "The change took too long. Please try again."));
    return;
  }
  r = apply(x, &t, action);
  /* a main user removed takes its open invitations with it */
  if (r == 0 && removes && strcmp(t.role, "admin") == 0 &&
      kc_ldap_invitations_drop(x->a.l, t.uuid) != 0)
    kc_log_warnx("invitations of %s not removed", t.uid);
  release_all(x, &t, until, held);
  if (r != 0) {
    fail(x, r == KC_ERR_NOT_FOUND ? 404 : 503,
         r == KC_ERR_NOT_FOUND
           ? tr(req, "Diesen Benutzer gibt es nicht.", "There is no such user.")
           : tr(req, "Der Dienst ist vorübergehend nicht erreichbar.",
                "The service is temporarily unavailable."));
    return;
  }
  notice(req, x, &t, action); /* t keeps the address of a deleted one */
  kc_log_info("ACCOUNT ADMIN; user=%s action=%s target=%s", x->a.u.uid, action,
              t.uid);
  kc_http_count(req->http, "account_admin");
  snprintf(x->msg, sizeof(x->msg), "%s: %s", t.uid, action_text(req, action));
  x->ok = x->msg;
}

static void
revoke_invitation(struct kc_http_req *req, struct users *x)
{
  char id[64];
  size_t i;
  int r;

  if (kc_form_get_trim(&req->body, "invitation", id, sizeof(id)))
    for (i = 0; i < x->n_v; i++)
      if (strcmp(x->v[i].id, id) == 0) {
        r = kc_ldap_delete(x->a.l, x->v[i].dn);
        if (r != 0 && r != KC_ERR_NOT_FOUND) {
          fail(x, 503,
               tr(req,
                  "Der Dienst ist vorübergehend nicht "
                  "erreichbar.",
                  "The service is temporarily unavailable."));
          return;
        }
        kc_log_info("ACCOUNT ADMIN; user=%s action=revoke target=%s",
                    x->a.u.uid, x->v[i].mail);
        kc_http_count(req->http, "account_admin");
        snprintf(x->msg, sizeof(x->msg), "%s: %s", x->v[i].mail,
                 tr(req, "Einladung zurückgezogen", "invitation revoked"));
        x->ok = x->msg;
        return;
      }
  fail(x, 404,
       tr(req, "Diese Einladung gibt es nicht (mehr).",
          "There is no such invitation (any more)."));
}

/* ---------------------------------------------------------------- invite */

struct invite_input {
  char email[KC_MAX_EMAIL + 1];
  char first[KC_INVITE_MAX_NAME * 4 + 1];
  char last[KC_INVITE_MAX_NAME * 4 + 1];
  char role[8];
  char numbers[KC_LDAP_MAX_CUSTOMERS * (KC_MAX_CUSTOMER_NUMBER + 2)];
  const char *chosen[KC_LDAP_MAX_CUSTOMERS + 1];
  size_t n;
};

/* customer_number: a list of the admin's own numbers; empty: all. */
static bool
parse_numbers(struct kc_http_req *req, struct users *x, struct invite_input *in)
{
  char buf[sizeof(in->numbers)], *p, *save = NULL;
  size_t i, j;

  if (!kc_form_get_trim(&req->body, "customer_number", buf, sizeof(buf)))
    return false;
  in->n = 0;
  if (buf[0] == '\0') {
    for (i = 0; i < x->d.n_customers; i++)
      in->chosen[in->n++] = x->d.customers[i].number;
    in->chosen[in->n] = NULL;
    return in->n > 0;
  }
  for (p = strtok_r(buf, ", \t", &save); p != NULL;
       p = strtok_r(NULL, ", \t", &save)) {
    for (i = 0; i < x->d.n_customers; i++)
      if (strcmp(x->d.customers[i].number, p) == 0)
        break;
    if (i == x->d.n_customers || in->n >= KC_LDAP_MAX_CUSTOMERS)
      return false; /* not the admin's own */
    for (j = 0; j < in->n; j++)
      if (in->chosen[j] == x->d.customers[i].number)
        break;
    if (j == in->n)
      in->chosen[in->n++] = x->d.customers[i].number;
  }
  in->chosen[in->n] = NULL;
  return in->n > 0;
}

/* At most KC_INVITE_MAX_NAME characters (UTF-8 sequences), printable. */
static bool
name_ok(const char *s)
{
  size_t i, chars = 0;

  for (i = 0; s[i] != '\0'; i++)
    if (((unsigned char) s[i] & 0xc0) != 0x80)
      chars++;
  return kc_str_is_printable(s, strlen(s), false) &&
         chars <= KC_INVITE_MAX_NAME;
}

static bool
invite_read(struct kc_http_req *req, struct users *x, struct invite_input *in)
{
  const struct kc_form *b = &req->body;

  if (!kc_form_get_trim(b, "email", in->email, sizeof(in->email)) ||
      !kc_email_valid(in->email))
    x->e_email = tr(req, "Bitte geben Sie eine gültige Adresse an.",
                    "Please enter a valid address.");
  if (!kc_form_get_trim(b, "first_name", in->first, sizeof(in->first)) ||
      !kc_form_get_trim(b, "last_name", in->last, sizeof(in->last)) ||
      !name_ok(in->first) || !name_ok(in->last))
    x->e_name = tr(req, "Namen: höchstens 64 Zeichen, keine Steuerzeichen.",
                   "Names: at most 64 characters, no control characters.");
  if (!kc_form_get_trim(b, "role", in->role, sizeof(in->role)) ||
      (in->role[0] != '\0' && strcmp(in->role, "user") != 0 &&
       strcmp(in->role, "admin") != 0))
    x->e_role =
      tr(req, "Bitte wählen Sie eine Rolle.", "Please choose a role.");
  if (in->role[0] == '\0')
    memcpy(in->role, "user", 5);
  if (!parse_numbers(req, x, in))
    x->e_customer = tr(req,
                       "Bitte nur Kundennummern Ihres eigenen Zugangs "
                       "angeben.",
                       "Only customer numbers of your own login, please.");
  return x->e_email == NULL && x->e_name == NULL && x->e_role == NULL &&
         x->e_customer == NULL;
}

/* Already a user or an open invitation of one of the chosen customers
 * with this address, or the pending limit reached? */
static bool
invite_allowed(struct kc_http_req *req, struct users *x,
               const struct invite_input *in)
{
  const struct kc_http_cfg *cfg = kc_http_cfg(req->http);
  time_t now = time(NULL);
  size_t i, j, k, pending;

  for (i = 0; i < in->n; i++) {
    pending = 0;
    for (j = 0; j < x->n_m; j++)
      for (k = 0; k < x->m[j].n_customers; k++)
        if (strcmp(x->m[j].customers[k], in->chosen[i]) == 0 &&
            strcasecmp(x->m[j].mail, in->email) == 0) {
          x->e_email = tr(req,
                          "Unter dieser Adresse gibt es schon einen Zugang "
                          "dieses Kunden.",
                          "There is a login of this customer with this "
                          "address already.");
          return false;
        }
    for (j = 0; j < x->n_v; j++)
      for (k = 0; k < x->v[j].n_customers; k++)
        if (strcmp(x->v[j].customers[k], in->chosen[i]) == 0 &&
            x->v[j].expires > now) {
          if (strcasecmp(x->v[j].mail, in->email) == 0) {
            x->e_email = tr(req,
                            "An diese Adresse ist schon eine Einladung "
                            "unterwegs.",
                            "An invitation to this address is open "
                            "already.");
            return false;
          }
          pending++;
        }
    if (pending >= cfg->invite_max_pending) {
      x->e_customer = tr(req,
                         "Zu viele offene Einladungen für diesen Kunden; "
                         "ziehen Sie zuerst welche zurück.",
                         "Too many open invitations for this customer; "
                         "revoke some first.");
      return false;
    }
  }
  return true;
}

static int
invite_mail(struct kc_http_req *req, const struct users *x,
            const struct invite_input *in, const char *token)
{
  const struct kc_http_cfg *cfg = kc_http_cfg(req->http);
  char subject[256], text[2048], err[256];
  int r;

  snprintf(subject, sizeof(subject),
           req->english ? "Your login for the %s" : "Ihr Zugang zum %s",
           cfg->portal_name);
  snprintf(text, sizeof(text),
           req->english
             ? "Hello %s %s,\n\n%s invites you to the %s. Choose your user "
               "name, password and second factor within 24 hours here:\n\n"
               "%s/activate?token=%s&lang=en\n\nIf you did not expect this "
               "mail, ignore it.\n"
             : "Guten Tag %s %s,\n\n%s lädt Sie in das %s ein. Wählen Sie "
               "Ihren Benutzernamen, Ihr Passwort und Ihr TAN-Verfahren "
               "innerhalb von 24 Stunden hier:\n\n%s/activate?token=%s\n\n"
               "Falls Sie diese Nachricht nicht erwartet haben, ignorieren "
               "Sie sie bitte.\n",
           in->first, in->last, x->a.u.uid, cfg->portal_name, cfg->public_url,
           token);
  r = kc_notify_mail(cfg->notify, in->email, subject, text, err, sizeof(err));
  sodium_memzero(text, sizeof(text));
  if (r != 0)
    kc_log_warnx("invitation not sent; user=%s error=\"%s\"", x->a.u.uid, err);
  return r;
}

static void
invite(struct kc_http_req *req, struct users *x)
{
  const struct kc_http_cfg *cfg = kc_http_cfg(req->http);
  char token[64], hash[64], id[32], key[128];
  struct kc_ldap_invite v;
  struct invite_input in;
  unsigned wait;
  int r;

  memset(&in, 0, sizeof(in));
  if (!invite_read(req, x, &in) || !invite_allowed(req, x, &in)) {
    fail(x, 422, NULL);
    return;
  }
  if (cfg->public_url == NULL) {
    fail(x, 503,
         tr(req, "Links können nicht versandt werden.",
            "Links cannot be sent."));
    return;
  }
  snprintf(key, sizeof(key), "invite:%s", x->a.u.uuid);
  if ((wait = kc_http_rate(req->http, key, KC_INVITE_BURST, KC_INVITE_PER)) !=
      0) {
    fail(x, 429,
         tr(req, "Zu viele Einladungen; bitte warten Sie etwas.",
            "Too many invitations; please wait a little."));
    return;
  }
  kc_http_token_new(token, sizeof(token), 32);
  kc_http_token_new(id, sizeof(id), 16);
  kc_http_token_hash(token, hash);
  memset(&v, 0, sizeof(v));
  v.id = id;
  v.token_hash = hash;
  v.mail = in.email;
  v.language = req->english ? "en" : "de";
  v.role = in.role;
  v.invited_by = x->a.u.uuid;
  v.first_name = in.first;
  v.last_name = in.last;
  v.customers = in.chosen;
  v.expires = time(NULL) + KC_INVITE_TTL;
  r = kc_ldap_invitation_add(x->a.l, &v);
  if (r == 0 && invite_mail(req, x, &in, token) != 0) {
    struct kc_buf dn;
    /* nothing half-done: an invitation nobody got goes */
    if (kc_ldap_dn_entry(&dn, x->a.l->cfg->base, KC_LDAP_REGISTRATIONS,
                         "kcRegistrationId", id) == 0 &&
        kc_ldap_delete(x->a.l, kc_buf_get(&dn)) != 0)
      kc_log_warnx("unsent invitation not removed; id=%s", id);
    kc_buf_free(&dn);
    r = KC_ERR_UNAVAILABLE;
  }
  sodium_memzero(token, sizeof(token));
  if (r != 0) {
    fail(x, 503,
         tr(req, "Die Einladung konnte nicht gesendet werden.",
            "The invitation could not be sent."));
    return;
  }
  kc_log_info("ACCOUNT ADMIN; user=%s action=invite target=%s role=%s",
              x->a.u.uid, in.email, in.role);
  kc_http_count(req->http, "account_admin");
  snprintf(x->msg, sizeof(x->msg), "%s: %s", in.email,
           tr(req, "Einladung gesendet", "invitation sent"));
  x->ok = x->msg;
}

/* --------------------------------------------------------------- render */

/* Is number one of the admin's own? The page shows only those: that an
 * account also serves another customer is none of this one's business. */
static bool
own(const struct users *x, const char *number)
{
  size_t i;

  for (i = 0; i < x->d.n_customers; i++)
    if (strcmp(x->d.customers[i].number, number) == 0)
      return true;
  return false;
}

static int
json_member(struct kc_buf *b, const struct users *x,
            const struct kc_ldap_member *m, bool self)
{
  bool first = true;
  size_t i;
  int r =
    kc_buf_add_str(b, "{\"username\":") || kc_esc_json_str(b, m->uid) ||
    kc_buf_add_str(b, ",\"first_name\":") ||
    kc_esc_json_str(b, m->first_name) || kc_buf_add_str(b, ",\"last_name\":") ||
    kc_esc_json_str(b, m->last_name) || kc_buf_add_str(b, ",\"email\":") ||
    kc_esc_json_str(b, m->mail) || kc_buf_add_str(b, ",\"role\":") ||
    kc_esc_json_str(b, m->role) || kc_buf_add_str(b, ",\"tan_method\":") ||
    kc_esc_json_str(b, m->tan_method) ||
    kc_buf_printf(b, ",\"locked\":%s,\"self\":%s,\"customers\":[",
                  m->locked ? "true" : "false", self ? "true" : "false");

  for (i = 0; r == 0 && i < m->n_customers; i++) {
    if (!own(x, m->customers[i]))
      continue;
    r =
      (!first && kc_buf_add_str(b, ",")) || kc_esc_json_str(b, m->customers[i]);
    first = false;
  }
  return r || kc_buf_add_str(b, "]}") ? -1 : 0;
}

static int
render_json(struct kc_http_resp *resp, const struct users *x)
{
  struct kc_buf *b = &resp->body;
  char exp[16];
  bool first_c;
  size_t i, k;
  int r;

  kc_buf_reset(b);
  resp->content_type = "application/json";
  r = kc_buf_add_str(b, "{\"status\":") ||
      kc_esc_json_str(b, x->error != NULL || x->e_email || x->e_customer ||
                             x->e_role || x->e_name
                           ? "error"
                           : (x->ok != NULL ? "done" : "ok"));
  if (r == 0 && x->ok != NULL)
    r = kc_buf_add_str(b, ",\"message\":") || kc_esc_json_str(b, x->ok);
  if (r == 0 && x->error != NULL)
    r = kc_buf_add_str(b, ",\"error\":") || kc_esc_json_str(b, x->error);
  if (r == 0 && (x->e_email || x->e_customer || x->e_role || x->e_name)) {
    static const char *const names[] = {"email", "customer_number", "role",
                                        "name"};
    const char *errs[] = {x->e_email, x->e_customer, x->e_role, x->e_name};
    bool first = true;
    r = kc_buf_add_str(b, ",\"errors\":{");
    for (i = 0; r == 0 && i < 4; i++)
      if (errs[i] != NULL) {
        r = (!first && kc_buf_add_str(b, ",")) ||
            kc_esc_json_str(b, names[i]) || kc_buf_add_str(b, ":") ||
            kc_esc_json_str(b, errs[i]);
        first = false;
      }
    r = r || kc_buf_add_str(b, "}");
  }
  r = r || kc_buf_add_str(b, ",\"csrf\":") || kc_esc_json_str(b, x->a.csrf) ||
      kc_buf_add_str(b, ",\"users\":[");
  for (i = 0; r == 0 && i < x->n_m; i++)
    r = (i > 0 && kc_buf_add_str(b, ",")) ||
        json_member(b, x, &x->m[i], strcmp(x->m[i].uuid, x->a.u.uuid) == 0);
  r = r || kc_buf_add_str(b, "],\"invitations\":[");
  for (i = 0; r == 0 && i < x->n_v; i++) {
    kc_ldap_format_time(x->v[i].expires, exp);
    r = (i > 0 && kc_buf_add_str(b, ",")) ||
        kc_buf_add_str(b, "{\"invitation\":") ||
        kc_esc_json_str(b, x->v[i].id) || kc_buf_add_str(b, ",\"email\":") ||
        kc_esc_json_str(b, x->v[i].mail) || kc_buf_add_str(b, ",\"role\":") ||
        kc_esc_json_str(b, x->v[i].role) ||
        kc_buf_add_str(b, ",\"expires\":") || kc_esc_json_str(b, exp) ||
        kc_buf_add_str(b, ",\"customers\":[");
    for (k = 0, first_c = true; r == 0 && k < x->v[i].n_customers; k++) {
      if (!own(x, x->v[i].customers[k]))
        continue;
      r = (!first_c && kc_buf_add_str(b, ",")) ||
          kc_esc_json_str(b, x->v[i].customers[k]);
      first_c = false;
    }
    r = r || kc_buf_add_str(b, "]}");
  }
  return r || kc_buf_add_str(b, "]}\n") ? -1 : 0;
}

/* One small form: hidden fields and a button. */
static int
action_form(struct kc_http_req *req, struct kc_http_resp *resp,
            const struct users *x, const char *action, const char *field,
            const char *value, const char *button)
{
  return kc_page_raw(resp, "<form method=\"post\" class=\"inline\" "
                           "action=\"") ||
             kc_page_raw(resp, req->english ? "/account/users?lang=en"
                                            : "/account/users") ||
             kc_page_raw(resp, "\"><input type=\"hidden\" name=\"csrf\" "
                               "value=\"") ||
             kc_esc_html(&resp->body, x->a.csrf) ||
             kc_page_raw(resp, "\"><input type=\"hidden\" name=\"action\" "
                               "value=\"") ||
             kc_page_raw(resp, action) ||
             kc_page_raw(resp, "\"><input type=\"hidden\" name=\"") ||
             kc_page_raw(resp, field) || kc_page_raw(resp, "\" value=\"") ||
             kc_esc_html(&resp->body, value) ||
             kc_page_raw(resp, "\"><button type=\"submit\">") ||
             kc_esc_html(&resp->body, button) ||
             kc_page_raw(resp, "</button></form>")
           ? -1
           : 0;
}

static int
cell(struct kc_http_resp *resp, const char *text)
{
  return kc_page_raw(resp, "<td>") || kc_esc_html(&resp->body, text) ||
             kc_page_raw(resp, "</td>")
           ? -1
           : 0;
}

static int
render_member(struct kc_http_req *req, struct kc_http_resp *resp,
              const struct users *x, const struct kc_ldap_member *m)
{
  char name[2 * KC_MAX_NAME + 2], custs[KC_LDAP_MAX_CUSTOMERS * 22];
  bool self = strcmp(m->uuid, x->a.u.uuid) == 0;
  size_t i, n = 0;

  snprintf(name, sizeof(name), "%s%s%s", m->first_name,
           m->first_name[0] && m->last_name[0] ? " " : "", m->last_name);
  custs[0] = '\0';
  for (i = 0; i < m->n_customers; i++)
    if (own(x, m->customers[i]))
      n += (size_t) snprintf(custs + n, sizeof(custs) - n, "%s%s",
                             n > 0 ? ", " : "", m->customers[i]);
  if (kc_page_raw(resp, "<tr>") || cell(resp, m->uid) || cell(resp, name) ||
      cell(resp, m->mail) ||
      cell(resp, strcmp(m->role, "admin") == 0
                   ? tr(req, "Hauptbenutzer", "Main user")
                   : tr(req, "Benutzer", "User")) ||
      cell(resp, m->tan_method) || cell(resp, custs) ||
      cell(resp, m->locked_by_service ? tr(req, "gesperrt (Kundenservice)",
                                           "locked (customer service)")
                 : m->locked          ? tr(req, "gesperrt", "locked")
                                      : "") ||
      kc_page_raw(resp, "<td>"))
    return -1;
  if (!self &&
      ((m->locked_by_service ? 0
        : m->locked ? action_form(req, resp, x, "unlock", "username", m->uid,
                                  tr(req, "Entsperren", "Unlock"))
                    : action_form(req, resp, x, "lock", "username", m->uid,
                                  tr(req, "Sperren", "Lock"))) ||
       action_form(req, resp, x, "reset-second-factor", "username", m->uid,
                   tr(req, "TAN-Verfahren zurücksetzen",
                      "Reset second factor")) ||
       action_form(req, resp, x, "delete", "username", m->uid,
                   tr(req, "Löschen", "Delete"))))
    return -1;
  if (self && kc_page_raw(resp, tr(req, "(Sie)", "(you)")))
    return -1;
  return kc_page_raw(resp, "</td></tr>\n");
}

static int
render_invite_form(struct kc_http_req *req, struct kc_http_resp *resp,
                   const struct users *x)
{
  static const char *const roles[] = {"user", "admin", NULL};
  const char *labels[] = {tr(req, "Benutzer", "User"),
                          tr(req, "Hauptbenutzer", "Main user"), NULL};
  const struct kc_form *b = &req->body;
  char all[KC_LDAP_MAX_CUSTOMERS * 22];
  size_t i, n = 0;
  struct kc_page_field f[] = {
    {"email", tr(req, "E-Mail-Adresse", "E-mail address"), "email",
     x->e_email ? kc_form_get(b, "email") : NULL, x->e_email, "off", NULL,
     true},
    {"first_name", tr(req, "Vorname", "First name"), "text",
     x->e_name ? kc_form_get(b, "first_name") : NULL, x->e_name, "off", NULL,
     false},
    {"last_name", tr(req, "Nachname", "Last name"), "text",
     x->e_name ? kc_form_get(b, "last_name") : NULL, NULL, "off", NULL, false},
    {"customer_number", tr(req, "Kundennummern", "Customer numbers"), "text",
     all, x->e_customer, "off",
     tr(req, "Eine oder mehrere Ihrer Kundennummern, durch Komma getrennt.",
        "One or more of your customer numbers, separated by commas."),
     true},
  };

  all[0] = '\0';
  for (i = 0; i < x->d.n_customers; i++)
    n += (size_t) snprintf(all + n, sizeof(all) - n, "%s%s", i ? ", " : "",
                           x->d.customers[i].number);
  if (kc_page_raw(resp, "<h2>") ||
      kc_esc_html(&resp->body,
                  tr(req, "Kollegen einladen", "Invite a colleague")) ||
      kc_page_raw(resp, "</h2>\n") ||
      kc_page_form_begin(resp,
                         req->english ? "/account/users?lang=en"
                                      : "/account/users",
                         x->a.csrf) ||
      kc_page_raw(resp, "<input type=\"hidden\" name=\"action\" "
                        "value=\"invite\">\n"))
    return -1;
  for (i = 0; i < sizeof(f) / sizeof(f[0]); i++)
    if (kc_page_field(resp, &f[i]))
      return -1;
  return kc_page_radio(resp, "role", tr(req, "Rolle", "Role"), roles, labels,
                       "user", x->e_role) ||
             kc_page_form_end(resp, tr(req, "Einladen", "Invite"))
           ? -1
           : 0;
}

/* The page's head and its end (a link back to the account page). */
static int
page_open(struct kc_http_req *req, struct kc_http_resp *resp)
{
  return kc_page_begin(resp, kc_http_cfg(req->http)->portal_name,
                       tr(req, "Benutzer der Praxis", "The practice's users"),
                       req->english);
}

static int
page_close(struct kc_http_req *req, struct kc_http_resp *resp)
{
  return kc_page_link(resp, req->english ? "/account?lang=en" : "/account",
                      tr(req, "Zurück zu Mein Zugang", "Back to My account")) ||
         kc_page_end(resp);
}

static int
render_html(struct kc_http_req *req, struct kc_http_resp *resp,
            const struct users *x)
{
  char exp[32];
  struct tm tm;
  size_t i;

  kc_buf_reset(&resp->body);
  if (page_open(req, resp) || (x->ok && kc_page_p(resp, "ok", x->ok)) ||
      (x->error && kc_page_p(resp, "error", x->error)) ||
      kc_page_raw(resp, "<table class=\"users\"><thead><tr><th>") ||
      kc_page_raw(resp, tr(req,
                           "Benutzername</th><th>Name</th><th>E-Mail</th>"
                           "<th>Rolle</th><th>TAN</th><th>Kunden</th>"
                           "<th>Status</th><th>Aktionen",
                           "User name</th><th>Name</th><th>E-mail</th>"
                           "<th>Role</th><th>Second factor</th>"
                           "<th>Customers</th><th>State</th><th>Actions")) ||
      kc_page_raw(resp, "</th></tr></thead><tbody>\n"))
    return -1;
  for (i = 0; i < x->n_m; i++)
    if (render_member(req, resp, x, &x->m[i]))
      return -1;
  if (kc_page_raw(resp, "</tbody></table>\n") ||
      (x->more_m && kc_page_p(resp, "hint",
                              tr(req, "Es gibt weitere Benutzer.",
                                 "There are more users."))) ||
      kc_page_raw(resp, "<h2>") ||
      kc_esc_html(&resp->body,
                  tr(req, "Offene Einladungen", "Open invitations")) ||
      kc_page_raw(resp, "</h2>\n<table class=\"users\"><tbody>\n"))
    return -1;
  for (i = 0; i < x->n_v; i++) {
    time_t t = x->v[i].expires;
    exp[0] = '\0';
    if (gmtime_r(&t, &tm) != NULL)
      strftime(exp, sizeof(exp), "%Y-%m-%d %H:%M UTC", &tm);
    if (kc_page_raw(resp, "<tr>") || cell(resp, x->v[i].mail) ||
        cell(resp, strcmp(x->v[i].role, "admin") == 0
                     ? tr(req, "Hauptbenutzer", "Main user")
                     : tr(req, "Benutzer", "User")) ||
        cell(resp, x->v[i].expires < time(NULL)
                     ? tr(req, "abgelaufen", "expired")
                     : exp) ||
        kc_page_raw(resp, "<td>") ||
        action_form(req, resp, x, "revoke", "invitation", x->v[i].id,
                    tr(req, "Zurückziehen", "Revoke")) ||
        kc_page_raw(resp, "</td></tr>\n"))
      return -1;
  }
  return kc_page_raw(resp, "</tbody></table>\n") ||
             (x->n_v == 0 && kc_page_p(resp, "hint",
                                       tr(req, "Keine offenen Einladungen.",
                                          "No open invitations."))) ||
             render_invite_form(req, resp, x) || page_close(req, resp)
           ? -1
           : 0;
}

/* The list could not be read whole: the page says so and shows nothing
 * to act on. */
static int
render_unavailable(struct kc_http_req *req, struct kc_http_resp *resp)
{
  const char *text = tr(req,
                        "Der Dienst ist vorübergehend nicht erreichbar. "
                        "Bitte versuchen Sie es später erneut.",
                        "The service is temporarily unavailable. Please try "
                        "again later.");
  const char *kv[] = {"error", text, NULL};

  kc_buf_reset(&resp->body);
  if (req->json)
    return kc_page_json(resp, "error", kv);
  return page_open(req, resp) || kc_page_p(resp, "error", text) ||
             page_close(req, resp)
           ? -1
           : 0;
}

/* ----------------------------------------------------------------- main */

static void
post(struct kc_http_req *req, struct users *x)
{
  char action[32];

  if (!kc_form_get_trim(&req->body, "action", action, sizeof(action)))
    action[0] = '\0';
  if (strcmp(action, "invite") == 0)
    invite(req, x);
  else if (strcmp(action, "revoke") == 0)
    revoke_invitation(req, x);
  else if (strcmp(action, "lock") == 0 || strcmp(action, "unlock") == 0 ||
           strcmp(action, "delete") == 0 ||
           strcmp(action, "reset-second-factor") == 0)
    act_on_user(req, x, action);
  else
    fail(x, 400, tr(req, "Unbekannte Aktion.", "Unknown action."));
}

void
kc_http_users(struct kc_http_req *req, struct kc_http_resp *resp)
{
  struct users *x = calloc(1, sizeof(*x));
  int r;

  if (x == NULL || (x->m = calloc(KC_USERS_MAX, sizeof(*x->m))) == NULL ||
      (x->v = calloc(KC_INVITATIONS_MAX, sizeof(*x->v))) == NULL) {
    if (x != NULL) {
      free(x->m);
      free(x);
    }
    kc_http_plain(resp, 503, "out of memory\n");
    return;
  }
  if (!kc_http_acct_open(req, resp, &x->a))
    goto out;
  x->status = 200;
  if (strcmp(x->a.u.role, "admin") != 0) {
    kc_http_plain(resp, 403,
                  req->english ? "This page is for main users only.\n"
                               : "Diese Seite ist dem Hauptbenutzer "
                                 "vorbehalten.\n");
  } else if ((r = kc_ldap_account_details(x->a.l, x->a.u.dn, &x->d)) != 0 ||
             (r = load(x)) != 0) {
    /* a list cut short (a size limit) is no list: nothing to act on */
    kc_log_warnx("users page not shown: %s; user=%s", kc_ldap_error(x->a.l),
                 x->a.u.uid);
    kc_http_count(req->http, "users_unavailable");
    resp->status = render_unavailable(req, resp) == 0 ? 503 : 500;
  } else {
    if (strcmp(req->method, "POST") == 0) {
      post(req, x);
      if (load(x) != 0) /* the list as it is now */
        x->n_m = x->n_v = 0;
    }
    r = req->json ? render_json(resp, x) : render_html(req, resp, x);
    resp->status = r == 0 ? x->status : 500;
  }
  kc_http_acct_close(req, resp, &x->a);
out:
  free(x->m);
  free(x->v);
  free(x);
}
