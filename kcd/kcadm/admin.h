/*
 * admin.h: the operations of kcadm, the admin CLI (DESIGN.md §6, §9):
 * customers, accounts and pending registrations in the directory.
 *
 * kcadm.c parses nothing itself: admin_cli.c turns argv into calls of the
 * functions below. They live in libkcd so that tests link them.
 *
 * Every operation
 *  - checks its arguments first (user names with kc_str_is_username,
 *    customer numbers, e-mail addresses, TAN methods, phone numbers) and
 *    answers KC_ADMIN_EXIT_USAGE without touching the directory when one
 *    is malformed;
 *  - then connects (once per process) as kcd's service DN with kcd's
 *    settings, so kcadm needs no rights beyond schema/acl.ldif;
 *  - escapes every filter value and builds DNs from escaped RDN values;
 *  - prints its result on ad_out, for people by default and as one JSON
 *    document with ad_json (a failure then prints {"error": "..."} unless
 *    the operation already printed a document that carries the error);
 *  - reports a failure once, on stderr, naming the object ("account
 *    \"bob\" not found");
 *  - returns the process exit status: KC_ADMIN_EXIT_OK,
 *    KC_ADMIN_EXIT_FAIL or KC_ADMIN_EXIT_USAGE.
 *
 * Secrets: the service password lives in ad_bind_pw, guarded memory made
 * read-only (freed and wiped by kc_admin_free()); temporary passwords are
 * wiped after use and are shown only on stdout, never in an error or log
 * line.
 * One struct kc_admin per process; not thread-safe.
 */
#ifndef KC_ADMIN_H
#define KC_ADMIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <time.h>

#include "admin_json.h"
#include "kc_ldap.h"
#include "conf.h"
#include "kc_attrs.h"
#include "kc_buf.h"
#include "kc_ldap.h"
#include "kc_limits.h"
#include "username.h"

/* Exit statuses (DESIGN.md §6). */
#define KC_ADMIN_EXIT_OK    0
#define KC_ADMIN_EXIT_FAIL  1
#define KC_ADMIN_EXIT_USAGE 2

/* Temporary passwords: KC_ADMIN_PW_GROUPS groups of KC_ADMIN_PW_GROUP
 * characters from a 55-letter alphabet without look-alikes (0/O, 1/l/I),
 * joined by "-": 20 random characters, about 115 bits. */
#define KC_ADMIN_PW_GROUP  5
#define KC_ADMIN_PW_GROUPS 4
#define KC_ADMIN_PW_SIZE   (KC_ADMIN_PW_GROUPS * (KC_ADMIN_PW_GROUP + 1))

/* Derived user names get a number appended until one is free; this many
 * tries at most. */
#define KC_ADMIN_USERNAME_TRIES 100

/* Bulk writes in flight at once during an import: enough to keep slapd
 * busy on a few cores without a deep queue on either side. */
#define KC_ADMIN_IMPORT_WINDOW 32

/* The global options of kcadm. */
struct kc_admin_opts {
  const char *config;       /* -c FILE; NULL: KC_CONF_DEFAULT_PATH, which
                               may then be missing when --uri, --base,
                               --bind-dn and --bind-pw-file are given */
  const char *uri;          /* --uri: replaces ldap_uri */
  const char *base;         /* --base: replaces ldap_base */
  const char *bind_dn;      /* --bind-dn: replaces ldap_bind_dn */
  const char *bind_pw_file; /* --bind-pw-file: replaces ldap_bind_pw_file */
  bool json;                /* --json */
  bool verbose;             /* -v */
};

struct kc_admin {
  struct kc_admin_opts ad_opts; /* the global options */
  bool ad_loaded;               /* kc_admin_load() ran */
  int ad_load_status;           /* and returned this */
  struct kc_conf ad_conf;       /* kcd.conf, or its defaults */
  struct kc_ldap_cfg ad_lcfg;   /* directory settings after the options */
  struct kc_buf ad_uri;         /* the URI list joined by blanks */
  char *ad_bind_pw; /* secret: sodium_malloc, read-only; NULL until read */
  struct kc_ldap ad_ldap;
  bool ad_connected;
  bool ad_json;
  bool ad_progress; /* draw progress bars (stderr is a tty) */
  bool ad_printed;  /* a JSON document went out already */
  FILE *ad_out;     /* stdout */
  struct kc_admin_json ad_js;
  char ad_error[512];                   /* the first failure, for JSON output */
  char ad_customers[KC_MAX_DN + 1];     /* ou=customers,<base> */
  char ad_accounts[KC_MAX_DN + 1];      /* ou=accounts,<base> */
  char ad_registrations[KC_MAX_DN + 1]; /* ou=registrations,<base> */
  time_t (*ad_now)(void);               /* clock (registration expiry) */
  struct kc_username_list ad_reserved;  /* reserved_usernames_file, */
  bool ad_reserved_loaded;              /* read on first use */
};

/* What `account create` gets; NULL members were not given. */
struct kc_admin_account_new {
  const char *customer; /* required */
  const char *email;    /* required */
  const char *username;
  const char *tan; /* none | email | mtan */
  const char *mobile;
  const char *first_name;
  const char *last_name;
  bool mail_password; /* mail the password instead of printing it */
};

/*
 * Prepare ad with the options o (copied; its strings must outlive ad).
 * Reads nothing yet, so malformed arguments are found before a missing
 * configuration. Returns an exit status; the reason is on stderr.
 */
int kc_admin_init(struct kc_admin *ad,
                  const struct kc_admin_opts *o) KC_MUST_USE KC_NONNULL(1, 2);

/*
 * Read the configuration (unless the options replace all of it and the
 * default file is missing) and the service password, once; later calls
 * return the first result. 0, or KC_ADMIN_EXIT_FAIL after a report.
 */
int kc_admin_load(struct kc_admin *ad) KC_MUST_USE KC_NONNULL(1);

/* Close the connection and wipe and free everything. Safe twice. */
void kc_admin_free(struct kc_admin *ad) KC_NONNULL(1);

/* Report a failure: "kcadm: <text>" on stderr; the first one is kept for
 * the JSON error document. Returns KC_ADMIN_EXIT_FAIL. */
int kc_admin_fail(struct kc_admin *ad, const char *fmt, ...) KC_PRINTF(2, 3)
  KC_NONNULL(1, 2);

/* kc_admin_fail() for a malformed argument; returns KC_ADMIN_EXIT_USAGE. */
int kc_admin_usage(struct kc_admin *ad, const char *fmt, ...) KC_PRINTF(2, 3)
  KC_NONNULL(1, 2);

/* After an operation: in JSON mode, print {"error": ...} when it failed
 * and printed no document of its own. */
void kc_admin_finish(struct kc_admin *ad, int status) KC_NONNULL(1);

/* Connect and bind when not done yet. 0, or KC_ADMIN_EXIT_FAIL after a
 * report. */
int kc_admin_connect(struct kc_admin *ad) KC_MUST_USE KC_NONNULL(1);

/* ---- customers (admin_customer.c, admin_import.c) */
int kc_admin_customer_add(struct kc_admin *ad, const char *number,
                          const char *email, const char *name)
  KC_NONNULL(1, 2, 3);
int kc_admin_customer_show(struct kc_admin *ad, const char *number)
  KC_NONNULL(1, 2);
int kc_admin_customer_list(struct kc_admin *ad) KC_NONNULL(1);
/* Import a CSV file (csv.h; "-" reads stdin): rows that are new are
 * added, known customers get the file's mail and name, bad rows are
 * reported with their line and skipped; with strict, a single bad row
 * means nothing is written. Fails when a row could not be written. */
int kc_admin_customer_import(struct kc_admin *ad, const char *path, bool strict)
  KC_NONNULL(1, 2);

/* ---- accounts (admin_account.c) */
int kc_admin_account_create(struct kc_admin *ad,
                            const struct kc_admin_account_new *a)
  KC_NONNULL(1, 2);
int kc_admin_account_show(struct kc_admin *ad, const char *user)
  KC_NONNULL(1, 2);
/* All accounts, or those of one customer. */
int kc_admin_account_list(struct kc_admin *ad, const char *customer)
  KC_NONNULL(1);
int kc_admin_account_lock(struct kc_admin *ad, const char *user)
  KC_NONNULL(1, 2);
int kc_admin_account_unlock(struct kc_admin *ad, const char *user)
  KC_NONNULL(1, 2);
int kc_admin_account_reset_password(struct kc_admin *ad, const char *user,
                                    bool mail_password) KC_NONNULL(1, 2);
int kc_admin_account_set_tan(struct kc_admin *ad, const char *user,
                             const char *method, const char *mobile)
  KC_NONNULL(1, 2, 3);
int kc_admin_account_rename(struct kc_admin *ad, const char *from,
                            const char *to) KC_NONNULL(1, 2, 3);
int kc_admin_account_delete(struct kc_admin *ad, const char *user)
  KC_NONNULL(1, 2);

/* ---- an account's customers and role (admin_membership.c)
 *
 * add-customer: the customer must exist; an account that already serves
 * it is left as it is and that is success (the state asked for holds).
 * remove-customer: an account that does not serve the customer is
 * success too; the last customer number of an account is never removed
 * (kcAccount must have one); the last admin of the customer is not taken
 * away from it unless force. set-role: role is admin or user; the last
 * admin of any of the account's customers is not demoted unless force.
 * What is and is not guaranteed against parallel changes is said at the
 * top of admin_membership.c. */
int kc_admin_account_add_customer(struct kc_admin *ad, const char *user,
                                  const char *number) KC_NONNULL(1, 2, 3);
int kc_admin_account_remove_customer(struct kc_admin *ad, const char *user,
                                     const char *number, bool force)
  KC_NONNULL(1, 2, 3);
int kc_admin_account_set_role(struct kc_admin *ad, const char *user,
                              const char *role, bool force) KC_NONNULL(1, 2, 3);

/* ---- registrations (admin_registration.c) */
int kc_admin_registration_list(struct kc_admin *ad) KC_NONNULL(1);
/* Delete expired registrations, or all of them. */
int kc_admin_registration_purge(struct kc_admin *ad, bool all) KC_NONNULL(1);

/* ---- helpers with no directory access (admin_password.c), for tests */

/* A temporary password from libsodium's randomness into out
 * (NUL-terminated; wipe it with sodium_memzero). */
void kc_admin_password_generate(char out[KC_ADMIN_PW_SIZE]) KC_NONNULL(1);

/*
 * The user name kcadm proposes for a new account: the first name's
 * initial and the last name ("Max", "Müller" -> "mmueller"), or the last
 * name alone, folded to lower-case ASCII (umlauts and common accented
 * letters transliterated, everything else dropped); "k" and the customer
 * number when the names leave nothing. Cut so that a number suffix still
 * fits KC_MAX_USERNAME. out needs KC_MAX_USERNAME + 1 bytes; the result
 * passes kc_str_is_username().
 */
void kc_admin_username_propose(const char *first, const char *last,
                               const char *customer,
                               char out[KC_MAX_USERNAME + 1]) KC_NONNULL(3, 4);

/* Do customer numbers a and b match the way slapd compares
 * kcCustomerNumber values (numericStringMatch: spaces do not count)? */
bool kc_admin_number_eq(const char *a, const char *b) KC_NONNULL(1, 2);

/* The value among v (NULL-terminated; NULL is none) that matches number
 * by kc_admin_number_eq(), or NULL. */
const char *kc_admin_numbers_find(char *const *v, const char *number)
  KC_NONNULL(2);

/* How many values v holds (NULL is none). */
size_t kc_admin_numbers_count(char *const *v);

/* Is role one kcadm sets: "admin" or "user"? */
bool kc_admin_role_valid(const char *role) KC_NONNULL(1);

#endif /* KC_ADMIN_H */
