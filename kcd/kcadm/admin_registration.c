/*
 * admin_registration.c: `kcadm registration list|purge`: the pending
 * registrations kcd keeps under ou=registrations (kcRegistration entries
 * with a token hash, a customer number, the master-data mail and
 * kcExpires). Listings show the mail masked, as kcd's prompts do.
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin.h"
#include "admin_int.h"
#include "kc_err.h"
#include "phone.h"

static const char *const reg_attrs[] = {"kcRegistrationId", "kcCustomerNumber",
                                        "mail", "kcExpires", NULL};

/* Registration ids are ours (base64url); 128 is the schema's bound. */
#define REG_ID_SIZE 129

static int
list_one(struct kc_ldap *al, LDAPMessage *e, void *arg)
{
  struct kc_admin *ad = arg;
  char id[REG_ID_SIZE], num[KC_MAX_CUSTOMER_NUMBER + 1];
  char mail[KC_MAX_EMAIL + 1], masked[KC_MAIL_MASK_SIZE], raw[32];
  char t[KC_ADMIN_TIME_SIZE];
  time_t exp = 0;
  bool expired;

  (void) kc_ldap_get(al, e, "kcRegistrationId", id, sizeof(id));
  (void) kc_ldap_get(al, e, "kcCustomerNumber", num, sizeof(num));
  (void) kc_ldap_get(al, e, "mail", mail, sizeof(mail));
  (void) kc_ldap_get(al, e, "kcExpires", raw, sizeof(raw));
  kc_mail_mask(mail, masked, sizeof(masked));
  kc_admin_time_text(ad, raw, t);
  expired = kc_ldap_parse_time(raw, &exp) != 0 || exp <= ad->ad_now();
  if (ad->ad_json) {
    kc_admin_json_begin_obj(&ad->ad_js, NULL);
    kc_admin_json_str(&ad->ad_js, "id", id);
    kc_admin_json_str(&ad->ad_js, "customer_number", num);
    kc_admin_json_str(&ad->ad_js, "email_masked", masked);
    kc_admin_json_str(&ad->ad_js, "expires", t);
    kc_admin_json_bool(&ad->ad_js, "expired", expired);
    kc_admin_json_end_obj(&ad->ad_js);
    return 0;
  }
  kc_admin_clean(id, sizeof(id), id);
  fprintf(ad->ad_out, "%-44s %-12s %-32s %s%s\n", id, num, masked, t,
          expired ? " (expired)" : "");
  return 0;
}

int
kc_admin_registration_list(struct kc_admin *ad)
{
  int r;

  if (kc_admin_connect(ad) != 0)
    return KC_ADMIN_EXIT_FAIL;
  kc_admin_list_begin(ad, "registrations",
                      "ID                                           CUSTOMER   "
                      "  E-MAIL"
                      "                           EXPIRES\n");
  r = kc_ldap_search_each(&ad->ad_ldap, ad->ad_registrations,
                          LDAP_SCOPE_ONELEVEL, "(objectClass=kcRegistration)",
                          reg_attrs, list_one, ad);
  return kc_admin_list_end(ad, r, "registrations");
}

/* DNs to delete, gathered first so the paged search is not disturbed. */
struct doomed {
  char **dn;
  size_t n;
  size_t cap;
};

static int
collect(struct kc_ldap *al, LDAPMessage *e, void *arg)
{
  struct doomed *d = arg;
  char **grown;
  char *dn;

  if (d->n == d->cap) {
    size_t cap = d->cap == 0 ? 16 : d->cap * 2;
    if ((grown = realloc(d->dn, cap * sizeof(*grown))) == NULL)
      return KC_ERR_NOMEM;
    d->dn = grown;
    d->cap = cap;
  }
  if ((dn = kc_ldap_entry_dn(al, e)) == NULL)
    return KC_ERR_NOMEM;
  d->dn[d->n] = strdup(dn);
  kc_ldap_memfree(dn);
  if (d->dn[d->n] == NULL)
    return KC_ERR_NOMEM;
  d->n++;
  return 0;
}

static void
doomed_free(struct doomed *d)
{
  size_t i;

  for (i = 0; i < d->n; i++)
    free(d->dn[i]);
  free(d->dn);
}

/* Delete what was gathered; an entry gone meanwhile is no failure. */
static int
delete_all(struct kc_admin *ad, const struct doomed *d, size_t *deleted)
{
  size_t i;
  int r, rc = 0;

  *deleted = 0;
  for (i = 0; i < d->n; i++) {
    r = kc_ldap_delete(&ad->ad_ldap, d->dn[i]);
    if (r == 0)
      (*deleted)++;
    else if (r != KC_ERR_NOT_FOUND)
      rc = kc_admin_fail(ad, "deleting %s: %s", d->dn[i],
                         kc_ldap_error(&ad->ad_ldap));
  }
  return rc;
}

static void
purged(struct kc_admin *ad, size_t n, bool all, bool complete)
{
  if (ad->ad_json) {
    kc_admin_json_begin_obj(&ad->ad_js, NULL);
    kc_admin_json_int(&ad->ad_js, "purged", (long long) n);
    kc_admin_json_bool(&ad->ad_js, "all", all);
    kc_admin_json_bool(&ad->ad_js, "complete", complete);
    if (!complete)
      kc_admin_json_str(&ad->ad_js, "error", ad->ad_error);
    kc_admin_json_end_obj(&ad->ad_js);
    kc_admin_json_end(&ad->ad_js);
    ad->ad_printed = true;
    return;
  }
  fprintf(ad->ad_out, "purged %zu %sregistration%s\n", n, all ? "" : "expired ",
          n == 1 ? "" : "s");
  fflush(ad->ad_out);
}

int
kc_admin_registration_purge(struct kc_admin *ad, bool all)
{
  static const char *const attrs[] = {"1.1", NULL};
  struct doomed d = {NULL, 0, 0};
  char now[16], filter[96];
  size_t deleted = 0;
  int r, rd;

  if (kc_admin_connect(ad) != 0)
    return KC_ADMIN_EXIT_FAIL;
  kc_ldap_format_time(ad->ad_now(), now);
  if (all)
    snprintf(filter, sizeof(filter), "(objectClass=kcRegistration)");
  else
    snprintf(filter, sizeof(filter),
             "(&(objectClass=kcRegistration)(kcExpires<=%s))", now);
  r = kc_ldap_search_each(&ad->ad_ldap, ad->ad_registrations,
                          LDAP_SCOPE_ONELEVEL, filter, attrs, collect, &d);
  if (r != 0 && r != KC_ERR_RANGE) {
    doomed_free(&d);
    return kc_admin_fail(ad, "listing registrations: %s",
                         r == KC_ERR_NOMEM ? "out of memory"
                                           : kc_ldap_error(&ad->ad_ldap));
  }
  rd = delete_all(ad, &d, &deleted);
  doomed_free(&d);
  if (r == KC_ERR_RANGE)
    kc_admin_fail(ad, "the size limit of the service DN stopped the search: "
                      "run purge again");
  purged(ad, deleted, all, r == 0 && rd == 0);
  return r == 0 && rd == 0 ? KC_ADMIN_EXIT_OK : KC_ADMIN_EXIT_FAIL;
}
