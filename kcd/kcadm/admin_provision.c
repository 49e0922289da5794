/*
 * admin_provision.c: accounts an admin sets up ("automatically
 * registered", see the seed story): `kcadm account create` and
 * `kcadm account reset-password`. Both hand out a temporary password
 * that the user must change at the next login (pwdReset: TRUE).
 *
 * kcd's service DN has write, not manage, access to userPassword, so
 * ppolicy treats its password writes like the user's own change and would
 * clear pwdReset; it therefore goes into the same add or modify as the
 * new userPassword (schema/acl.ldif).
 */
#include <config.h>

#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "admin.h"
#include "admin_int.h"
#include "kc_err.h"
#include "kc_str.h"
#include "mail.h"
#include "password.h"

/* The validated parts of `account create`. */
struct newacct {
  const struct kc_admin_account_new *a;
  char mobile[KC_PHONE_E164_SIZE];
  char user[KC_MAX_USERNAME + 1];
  char lang[4]; /* the customer's kcLanguage */
  bool derived; /* the user name was proposed by us */
  const char *role;
  struct kc_buf dn;
};

static int
check_new(struct kc_admin *ad, struct newacct *n)
{
  const struct kc_admin_account_new *a = n->a;

  if (kc_admin_check_customer(ad, a->customer) != 0 ||
      kc_admin_check_email(ad, a->email) != 0 ||
      (a->username != NULL &&
       kc_admin_check_username(ad, "user name", a->username) != 0) ||
      (a->tan != NULL && kc_admin_check_tan(ad, a->tan) != 0) ||
      (a->mobile != NULL &&
       kc_admin_check_mobile(ad, a->mobile, n->mobile) != 0) ||
      (a->first_name != NULL &&
       kc_admin_check_name(ad, "--first-name", a->first_name) != 0) ||
      (a->last_name != NULL &&
       kc_admin_check_name(ad, "--last-name", a->last_name) != 0) ||
      (a->mail_password && kc_admin_notify_check(ad) != 0))
    return kc_admin_bad_args(ad);
  if (a->tan != NULL && strcmp(a->tan, "mtan") == 0 && a->mobile == NULL)
    return kc_admin_usage(ad, "--tan mtan needs --mobile");
  return 0;
}

/* The first account of a customer is its admin (Hauptbenutzer). */
static int
role_for(struct kc_admin *ad, struct newacct *n)
{
  static const char *const attrs[] = {"1.1", NULL};
  LDAPMessage *res = NULL;
  struct kc_buf filter;
  bool any;
  int r;

  kc_buf_init(&filter, 256);
  if (kc_buf_add_str(&filter, "(&(objectClass=kcAccount)(kcCustomerNumber=") !=
        0 ||
      kc_ldap_filter_value(&filter, n->a->customer) != 0 ||
      kc_buf_add_str(&filter, "))") != 0)
    return kc_admin_fail(ad, "customer %s: filter too long", n->a->customer);
  r = kc_ldap_search(&ad->ad_ldap, ad->ad_lcfg.base, LDAP_SCOPE_SUBTREE,
                     kc_buf_get(&filter), attrs, 1, &res);
  kc_buf_free(&filter);
  any =
    (r == 0 || r == KC_ERR_RANGE) && kc_ldap_first(&ad->ad_ldap, res) != NULL;
  kc_ldap_msgfree(res);
  if (r != 0 && r != KC_ERR_RANGE)
    return kc_admin_fail(ad, "accounts of customer %s: %s", n->a->customer,
                         kc_ldap_error(&ad->ad_ldap));
  n->role = any ? "user" : "admin";
  return 0;
}

/* A free user name: the given one, or the proposal with the first free
 * number appended (mmuster, mmuster2, mmuster3, ...). */
static int
pick_username(struct kc_admin *ad, struct newacct *n, unsigned start)
{
  char base[KC_MAX_USERNAME + 1];
  enum kc_username_verdict v;
  bool taken = true;
  unsigned i;

  if (n->a->username != NULL) {
    snprintf(n->user, sizeof(n->user), "%s", n->a->username);
    if (kc_admin_check_username_free(ad, "user name", n->user) != 0 ||
        kc_admin_account_exists(ad, n->user, &taken) != 0)
      return KC_ADMIN_EXIT_FAIL;
    return taken ? kc_admin_fail(ad, "account \"%s\" already exists", n->user)
                 : 0;
  }
  n->derived = true;
  kc_admin_username_propose(n->a->first_name, n->a->last_name, n->a->customer,
                            base);
  for (i = start; i <= KC_ADMIN_USERNAME_TRIES; i++) {
    char cand[KC_MAX_USERNAME + 16];
    if (i == 1)
      snprintf(cand, sizeof(cand), "%s", base);
    else
      snprintf(cand, sizeof(cand), "%s%u", base, i);
    if (!kc_str_is_username(cand))
      break;
    memcpy(n->user, cand, strlen(cand) + 1);
    if (kc_admin_username_verdict(ad, n->user, &v) != 0)
      return KC_ADMIN_EXIT_FAIL;
    if (v == KC_USERNAME_UNCHECKED)
      return kc_admin_check_username_free(ad, "user name", n->user);
    if (v != KC_USERNAME_FREE)
      continue; /* reserved or local: the next number */
    if (kc_admin_account_exists(ad, n->user, &taken) != 0)
      return KC_ADMIN_EXIT_FAIL;
    if (!taken)
      return 0;
  }
  return kc_admin_fail(ad, "no free user name like \"%s\": give --username",
                       base);
}

/* The entry kcd's layer writes (kc_ldap_account_mods): a temporary
 * password (pwdReset) and a first login still to come. */
static void
entry_of(const struct newacct *n, const char *hash,
         struct kc_ldap_new_account *e)
{
  const struct kc_admin_account_new *a = n->a;

  memset(e, 0, sizeof(*e));
  e->uid = n->user;
  e->customer = a->customer;
  e->password_hash = hash;
  e->tan_method = a->tan;
  e->role = n->role;
  e->first_name = a->first_name;
  e->last_name = a->last_name;
  e->mail = a->email;
  e->mobile = n->mobile;
  e->language = n->lang;
  e->first_login = true;
  e->must_change = true;
}

/* Add the entry; a derived name taken in the meantime moves on to the
 * next number. */
static int
add_account(struct kc_admin *ad, struct newacct *n, const char *hash)
{
  struct kc_ldap_new_account e;
  unsigned attempt;
  int r = KC_ERR_DUPLICATE;

  for (attempt = 2; r == KC_ERR_DUPLICATE && attempt < 5; attempt++) {
    kc_buf_free(&n->dn);
    entry_of(n, hash, &e);
    if (kc_ldap_dn_entry(&n->dn, ad->ad_lcfg.base, KC_LDAP_ACCOUNTS, "uid",
                         n->user) != 0 ||
        (r = kc_ldap_account_add(&ad->ad_ldap, &e)) == KC_ERR_TOO_LARGE) {
      kc_buf_free(&n->dn);
      return kc_admin_fail(ad, "account \"%s\": name too long", n->user);
    }
    if (r == KC_ERR_DUPLICATE && n->derived &&
        pick_username(ad, n, attempt) != 0)
      return KC_ADMIN_EXIT_FAIL;
    if (r == KC_ERR_DUPLICATE && !n->derived)
      break;
  }
  if (r == 0)
    return 0;
  if (r == KC_ERR_DUPLICATE)
    return kc_admin_fail(ad, "account \"%s\" already exists", n->user);
  return kc_admin_fail(ad, "creating account \"%s\": %s", n->user,
                       kc_ldap_error(&ad->ad_ldap));
}

/* The password, or where it went. */
static void
show_password(struct kc_admin *ad, const char *pw, const char *mailed_to)
{
  if (mailed_to != NULL)
    kc_admin_show_str(ad, "password_mailed_to", "password mailed to",
                      mailed_to);
  else
    kc_admin_show_str(ad, "password", "temporary password", pw);
}

static void
created(struct kc_admin *ad, const struct newacct *n, const char *pw)
{
  const struct kc_admin_account_new *a = n->a;
  char title[KC_MAX_USERNAME + 24];

  snprintf(title, sizeof(title), "account created: %s", n->user);
  kc_admin_doc_begin(ad, title);
  kc_admin_show_str(ad, "username", "user name", n->user);
  kc_admin_show_str(ad, "dn", "DN", kc_buf_get(&n->dn));
  kc_admin_show_str(ad, "customer_number", "customer number", a->customer);
  kc_admin_show_str(ad, "role", "role", n->role);
  kc_admin_show_str(ad, "email", "e-mail", a->email);
  kc_admin_show_str(ad, "mobile", "mobile",
                    n->mobile[0] != '\0' ? n->mobile : NULL);
  kc_admin_show_str(ad, "tan_method", "TAN method", a->tan);
  kc_admin_show_bool(ad, "first_login", "first login", true);
  kc_admin_show_bool(ad, "must_change_password", "must change password", true);
  show_password(ad, pw, a->mail_password ? a->email : NULL);
  if (!ad->ad_json)
    fputs("At the first login the user must choose a new user name and "
          "password\nand, unless set here, a TAN method.\n",
          ad->ad_out);
  kc_admin_doc_end(ad);
}

/* Mail the password; on failure take the account away again, since no
 * one knows its password. */
static int
deliver(struct kc_admin *ad, struct newacct *n, const char *pw)
{
  if (kc_admin_notify_password(ad, n->a->email, n->user, pw, n->lang, false) ==
      0)
    return 0;
  if (kc_ldap_delete(&ad->ad_ldap, kc_buf_get(&n->dn)) != 0)
    return kc_admin_fail(ad,
                         "account \"%s\" was created, but neither mailed nor "
                         "removed again: "
                         "%s; delete it or reset its password",
                         n->user, kc_ldap_error(&ad->ad_ldap));
  return kc_admin_fail(ad, "account \"%s\" not created", n->user);
}

static int
create(struct kc_admin *ad, struct newacct *n)
{
  char pw[KC_ADMIN_PW_SIZE];
  struct kc_buf hash;
  int r = KC_ADMIN_EXIT_FAIL;

  kc_admin_password_generate(pw);
  if (kc_password_hash(&hash, pw) != 0) {
    r = kc_admin_fail(ad, "hashing the password failed (out of memory?)");
    goto out;
  }
  if (add_account(ad, n, kc_buf_get(&hash)) != 0)
    goto out;
  if (n->a->mail_password && deliver(ad, n, pw) != 0)
    goto out;
  created(ad, n, pw);
  r = KC_ADMIN_EXIT_OK;
out:
  kc_buf_free(&hash);
  sodium_memzero(pw, sizeof(pw));
  return r;
}

int
kc_admin_account_create(struct kc_admin *ad,
                        const struct kc_admin_account_new *a)
{
  struct newacct n;
  int r;

  memset(&n, 0, sizeof(n));
  n.a = a;
  kc_buf_init(&n.dn, KC_MAX_DN);
  if ((r = check_new(ad, &n)) != 0)
    return r;
  if (kc_admin_connect(ad) != 0 ||
      kc_admin_customer_require(ad, a->customer, n.lang) != 0 ||
      role_for(ad, &n) != 0 || pick_username(ad, &n, 1) != 0)
    return KC_ADMIN_EXIT_FAIL;
  r = create(ad, &n);
  kc_buf_free(&n.dn);
  return r;
}

/* ------------------------------------------------------------ reset */

static void
reset_done(struct kc_admin *ad, const char *user, const char *pw,
           const char *mailed_to)
{
  char title[KC_MAX_USERNAME + 32];

  snprintf(title, sizeof(title), "password reset: %s", user);
  kc_admin_doc_begin(ad, title);
  kc_admin_show_str(ad, "username", "user name", user);
  kc_admin_show_bool(ad, "must_change_password", "must change password", true);
  show_password(ad, pw, mailed_to);
  kc_admin_doc_end(ad);
}

/* New password and pwdReset in one modify (see the top of this file). */
static int
set_password(struct kc_admin *ad, const char *user, const char *dn,
             const char *pw)
{
  struct kc_ldap_mods m;
  struct kc_buf hash;
  int r = 0;

  if (kc_password_hash(&hash, pw) != 0)
    return kc_admin_fail(ad, "hashing the password failed (out of memory?)");
  kc_ldap_mods_init(&m);
  kc_ldap_mods_add(&m, LDAP_MOD_REPLACE, "userPassword", kc_buf_get(&hash),
                   NULL);
  kc_ldap_mods_add(&m, LDAP_MOD_REPLACE, "pwdReset", "TRUE", NULL);
  /* a new password: wrong TANs typed with the old one count no more */
  kc_ldap_mods_add(&m, LDAP_MOD_REPLACE, "kcTanFailures", NULL, NULL);
  if (kc_ldap_modify(&ad->ad_ldap, dn, m.ms_ptr) != 0)
    r = kc_admin_fail(ad, "resetting the password of \"%s\": %s", user,
                      kc_ldap_error(&ad->ad_ldap));
  kc_buf_free(&hash);
  return r;
}

static int
reset(struct kc_admin *ad, const char *user, struct kc_admin_account *acc,
      bool mail)
{
  char pw[KC_ADMIN_PW_SIZE], addr[KC_MAX_EMAIL + 1], lang[4];
  int r = KC_ADMIN_EXIT_FAIL;

  (void) kc_ldap_get(&ad->ad_ldap, acc->entry, "kcLanguage", lang,
                     sizeof(lang));
  /* checked before the password changes: a reset that cannot be mailed
   * would leave a password nobody knows */
  if (mail &&
      (kc_ldap_get(&ad->ad_ldap, acc->entry, "mail", addr, sizeof(addr)) != 0 ||
       !kc_email_valid(addr)))
    return kc_admin_fail(ad, "account \"%s\" has no valid e-mail address",
                         user);
  kc_admin_password_generate(pw);
  if (set_password(ad, user, acc->dn, pw) != 0)
    goto out;
  if (mail && kc_admin_notify_password(ad, addr, user, pw, lang, true) != 0) {
    r = kc_admin_fail(ad,
                      "the password of \"%s\" was reset but not mailed: "
                      "reset it again",
                      user);
    goto out;
  }
  reset_done(ad, user, pw, mail ? addr : NULL);
  r = KC_ADMIN_EXIT_OK;
out:
  sodium_memzero(pw, sizeof(pw));
  return r;
}

int
kc_admin_account_reset_password(struct kc_admin *ad, const char *user,
                                bool mail_password)
{
  struct kc_admin_account acc;
  int r;

  if (kc_admin_check_username(ad, "user name", user) != 0 ||
      (mail_password && kc_admin_notify_check(ad) != 0))
    return kc_admin_bad_args(ad);
  if (kc_admin_connect(ad) != 0 || kc_admin_account_find(ad, user, &acc) != 0)
    return KC_ADMIN_EXIT_FAIL;
  r = reset(ad, user, &acc, mail_password);
  kc_admin_account_release(&acc);
  return r;
}
