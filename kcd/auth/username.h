/*
 * username.h: which user names an account may take (activation, rename,
 * provisioning).
 *
 * A Kundencenter account is a login wherever pam_kundencenter runs. A
 * customer who takes the name of a local account of such a host (say
 * "alice", uid 1000, on the portal host) would log in as that account with
 * the customer's own password and TAN. The PAM stacks skip the module for
 * local accounts (examples/pam.d, pam_localuser); kcd also refuses such
 * names, on every path that creates or renames an account, so that no
 * account is made that a host would confuse with its own:
 *
 *  - names on the reserved list (reserved_usernames_file): system, admin
 *    and role names, and whatever a site adds, case-insensitively;
 *  - names kcd's host resolves (getpwnam_r: /etc/passwd and every other
 *    NSS source), as given and in lower case, because LDAP matches uid
 *    without regard to case ("Alice" logs in wherever "alice" is asked);
 *  - names in the passwd file (the file pam_localuser reads) in any case,
 *    read line by line as pam_localuser does (the name up to the first
 *    ':'), so both agree on what is local. NSS sources other than files are
 *    asked only for the two spellings above.
 *
 * List file: UTF-8 text, one name a line. Blanks around a name are
 * ignored; '#' starts a comment that runs to the end of the line; blank
 * lines are skipped. Each name must pass kc_str_is_username(); it is
 * compared case-insensitively (ASCII). At most KC_MAX_RESERVED_NAMES
 * names and KC_MAX_RESERVED_LINE bytes a line; KC_MAX_RESERVED_FILE bytes
 * in all. A bad line is an error naming the file and line.
 *
 * Ownership: a list owns its names until kc_username_list_free(). A list
 * is written by one thread while it is loaded and is read-only afterwards;
 * the checks are thread-safe (reentrant NSS calls, a private FILE). None
 * of these functions logs.
 */
#ifndef KC_USERNAME_H
#define KC_USERNAME_H

#include <stdbool.h>
#include <stddef.h>

#include "kc_attrs.h"

/* The passwd file pam_localuser reads by default. */
#define KC_USERNAME_PASSWD_FILE "/etc/passwd"

/* The reserved names, in lower case and sorted (bsearch). */
struct kc_username_list {
  char **un_names;
  size_t un_n;
  size_t un_cap; /* room in un_names */
};

/* Why a name may not be taken. */
enum kc_username_verdict {
  KC_USERNAME_FREE = 0, /* none of the reasons below */
  KC_USERNAME_RESERVED, /* on the reserved list */
  KC_USERNAME_LOCAL,    /* an account of this host */
  KC_USERNAME_UNCHECKED /* the host's accounts could not be read: the
                         * name is refused until they can */
};

/* An empty list. Cannot fail. */
void kc_username_list_init(struct kc_username_list *l) KC_NONNULL(1);

/* Release the names; l is empty afterwards. Safe to call twice. */
void kc_username_list_free(struct kc_username_list *l) KC_NONNULL(1);

/*
 * Parse len bytes of list text (NUL bytes are errors) into l, which must
 * have been initialised; its previous content is released first. name is
 * the file name for messages. 0, or KC_ERR_INVALID / KC_ERR_TOO_LARGE /
 * KC_ERR_NOMEM with "NAME:LINE: reason" (or "NAME: reason") in err; on
 * failure l is empty.
 */
int kc_username_list_parse(struct kc_username_list *l, const char *name,
                           const char *text, size_t len, char *err,
                           size_t errlen) KC_MUST_USE KC_NONNULL(1, 2);

/*
 * Read the file at path (checked as kcd.conf is, see kc_conf_read_file)
 * and parse it as above. Adds KC_ERR_SYSTEM and KC_ERR_PERMISSION.
 */
int kc_username_list_load(struct kc_username_list *l, const char *path,
                          char *err, size_t errlen) KC_MUST_USE
  KC_NONNULL(1, 2);

/* True when name is on the list, ignoring ASCII case. */
bool kc_username_is_reserved(const struct kc_username_list *l, const char *name)
  KC_NONNULL(1, 2);

/*
 * Is name an account of this host? Asks NSS for name and its lower-case
 * form and reads passwd_file (KC_USERNAME_PASSWD_FILE in kcd) for it in
 * any case. KC_USERNAME_FREE, KC_USERNAME_LOCAL, or KC_USERNAME_UNCHECKED
 * when NSS failed or the file could not be read.
 */
enum kc_username_verdict kc_username_local(const char *name,
                                           const char *passwd_file)
  KC_NONNULL(1, 2);

/*
 * The one check every path runs before it gives an account the name
 * (which must pass kc_str_is_username): reserved first, then local (with
 * KC_USERNAME_PASSWD_FILE). l may be NULL: no list.
 */
enum kc_username_verdict kc_username_check(const struct kc_username_list *l,
                                           const char *name) KC_NONNULL(2);

/* A short English reason for messages to admins ("is reserved", ...). */
const char *kc_username_verdict_text(enum kc_username_verdict v);

#endif /* KC_USERNAME_H */
