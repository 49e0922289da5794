/*
 * admin_int.h: helpers the admin_*.c files share; not part of the
 * interface of admin.h (kcadm.c and tests do not use these).
 */
#ifndef KC_ADMIN_INT_H
#define KC_ADMIN_INT_H

#include <stdbool.h>
#include <stddef.h>

#include <ldap.h>

#include "admin.h"
#include "kc_attrs.h"
#include "kc_buf.h"
#include "phone.h"

/* Room for a GeneralizedTime shown as text ("2026-01-31 23:59:59 UTC"). */
#define KC_ADMIN_TIME_SIZE 32

/* ---- output (admin.c). In JSON mode each call writes one member of the
 * current object; for people, one "  label: value" line. A NULL value is
 * null in JSON and "-" for people. Values from the directory are printed
 * with control characters replaced. */
void kc_admin_doc_begin(struct kc_admin *ad, const char *title)
  KC_NONNULL(1, 2);
void kc_admin_doc_end(struct kc_admin *ad) KC_NONNULL(1);
void kc_admin_show_str(struct kc_admin *ad, const char *key, const char *label,
                       const char *value) KC_NONNULL(1, 2, 3);
void kc_admin_show_bool(struct kc_admin *ad, const char *key, const char *label,
                        bool value) KC_NONNULL(1, 2, 3);
void kc_admin_show_int(struct kc_admin *ad, const char *key, const char *label,
                       long long value) KC_NONNULL(1, 2, 3);
void kc_admin_show_strv(struct kc_admin *ad, const char *key, const char *label,
                        char *const *values) KC_NONNULL(1, 2, 3);

/* Listings: begin prints the JSON object and array key, or the column
 * heads; end closes them, adds "complete" (false when r, the result of
 * the search, is not 0) and reports a failure. Returns the exit status. */
void kc_admin_list_begin(struct kc_admin *ad, const char *key,
                         const char *heads) KC_NONNULL(1, 2, 3);
int kc_admin_list_end(struct kc_admin *ad, int r, const char *what)
  KC_NONNULL(1, 3);

/* Print s for people: control characters (C0, DEL, C1) become '?'. */
void kc_admin_print_text(FILE *out, const char *s) KC_NONNULL(1, 2);
/* The same into out (outlen > 0), cut at outlen - 1 bytes on a character
 * boundary. */
void kc_admin_clean(char *out, size_t outlen, const char *s) KC_NONNULL(1, 3);

/* A GeneralizedTime for output: "2026-01-31 23:59:59 UTC" for people,
 * "2026-01-31T23:59:59Z" for JSON; the special lock value
 * 000001010000Z and unparsable values are copied as they are. */
void kc_admin_time_text(const struct kc_admin *ad, const char *gentime,
                        char out[KC_ADMIN_TIME_SIZE]) KC_NONNULL(1, 2, 3);

/* ---- checks shared by the operations (admin.c); each reports the
 * problem and returns KC_ADMIN_EXIT_USAGE, or 0. Those that need the
 * configuration may also answer KC_ADMIN_EXIT_FAIL when it cannot be
 * read; kc_admin_bad_args() gives the status for a chain of them. */
int kc_admin_bad_args(const struct kc_admin *ad) KC_NONNULL(1);
int kc_admin_check_username(struct kc_admin *ad, const char *what,
                            const char *name) KC_MUST_USE KC_NONNULL(1, 2, 3);
int kc_admin_check_customer(struct kc_admin *ad, const char *number) KC_MUST_USE
  KC_NONNULL(1, 2);
int kc_admin_check_email(struct kc_admin *ad, const char *addr) KC_MUST_USE
  KC_NONNULL(1, 2);
int kc_admin_check_name(struct kc_admin *ad, const char *what,
                        const char *name) KC_MUST_USE KC_NONNULL(1, 2, 3);
/* May an account be given name (a valid user name)? *v is the verdict of
 * kc_username_check() with reserved_usernames_file (read on first use).
 * 0, or KC_ADMIN_EXIT_FAIL after a report when the list cannot be read. */
int kc_admin_username_verdict(struct kc_admin *ad, const char *name,
                              enum kc_username_verdict *v) KC_MUST_USE
  KC_NONNULL(1, 2, 3);
/* 0 when it may; otherwise KC_ADMIN_EXIT_FAIL after a report that says
 * why ("user name \"root\" is reserved: listed in FILE"). what names the
 * argument in the report. */
int kc_admin_check_username_free(struct kc_admin *ad, const char *what,
                                 const char *name) KC_MUST_USE
  KC_NONNULL(1, 2, 3);
/* Normalise a mobile number to E.164 with default_country_code. */
int kc_admin_check_mobile(struct kc_admin *ad, const char *in,
                          char out[KC_PHONE_E164_SIZE]) KC_MUST_USE
  KC_NONNULL(1, 2, 3);
/* none | email | mtan */
int kc_admin_check_tan(struct kc_admin *ad, const char *method) KC_MUST_USE
  KC_NONNULL(1, 2);

/* ---- directory lookups (admin_customer.c) */
/* The DN of customer number (validated) into out (initialised here). */
int kc_admin_customer_dn(struct kc_admin *ad, const char *number,
                         struct kc_buf *out) KC_MUST_USE KC_NONNULL(1, 2, 3);
/* Does customer number exist? 0 with *lang set to its kcLanguage ("" when
 * none), or KC_ADMIN_EXIT_FAIL after a report ("customer N not found"). */
int kc_admin_customer_require(struct kc_admin *ad, const char *number,
                              char lang[4]) KC_MUST_USE KC_NONNULL(1, 2, 3);

/* The name (o) of customer number (validated) into name ("" when it has
 * none), and whether the customer entry exists at all. 0, or
 * KC_ADMIN_EXIT_FAIL after a report when the directory cannot answer. */
int kc_admin_customer_name(struct kc_admin *ad, const char *number, char *name,
                           size_t namelen, bool *exists) KC_MUST_USE
  KC_NONNULL(1, 2, 3, 5);

/* ---- accounts (admin_account.c) */

/* A looked-up account: the answer, its one entry and the entry's DN. */
struct kc_admin_account {
  LDAPMessage *res;
  LDAPMessage *entry;
  char *dn;
};

/* "(&(objectClass=kcAccount)(uid=NAME))", NAME escaped, into out
 * (initialised here). 0 or KC_ERR_TOO_LARGE. */
int kc_admin_account_filter(struct kc_buf *out, const char *name) KC_MUST_USE
  KC_NONNULL(1, 2);
/* Is the name taken: an entry with uid=name anywhere under ldap_base
 * (what kcd's activation page checks too)? 0, or KC_ADMIN_EXIT_FAIL after
 * a report. */
int kc_admin_account_exists(struct kc_admin *ad, const char *name,
                            bool *exists) KC_MUST_USE KC_NONNULL(1, 2, 3);
/* Find the account (validated name): 0 with acc filled (release it), or
 * KC_ADMIN_EXIT_FAIL after a report ("account \"x\" not found"). */
int kc_admin_account_find(struct kc_admin *ad, const char *name,
                          struct kc_admin_account *acc) KC_MUST_USE
  KC_NONNULL(1, 2, 3);
void kc_admin_account_release(struct kc_admin_account *acc) KC_NONNULL(1);

/* ---- the password mail (admin_notify.c) */
/* Mail pw for user to addr in lang ("en" or German otherwise) through
 * kcd's mail_transport; reset says whether this is a reset or a new
 * account. 0 or KC_ADMIN_EXIT_FAIL after a report that never holds pw. */
int kc_admin_notify_password(struct kc_admin *ad, const char *addr,
                             const char *user, const char *pw, const char *lang,
                             bool reset) KC_MUST_USE KC_NONNULL(1, 2, 3, 4, 5);
/* 0 when a mail can go out (mail_transport and mail_from are set), else
 * KC_ADMIN_EXIT_USAGE after a report. */
int kc_admin_notify_check(struct kc_admin *ad) KC_MUST_USE KC_NONNULL(1);

#endif /* KC_ADMIN_INT_H */
