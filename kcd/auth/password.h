/*
 * password.h: kcd's password rules (DESIGN §7), shared by the activation
 * page, the credentials page, CHAUTHTOK and kcadm.
 *
 * Length at least the configured minimum (default 12; a configured minimum
 * below 12, but never below 8, applies only to accounts with a TAN), at
 * most KC_MAX_PASSWORD bytes, no composition rules, not on the blocklist of
 * common passwords (also with digits and symbols stripped from the end),
 * not equal to the user name or the customer number. Pure, thread-safe.
 */
#ifndef KC_PASSWORD_H
#define KC_PASSWORD_H

#include <stdbool.h>

#include "kc_attrs.h"
#include "kc_buf.h"

enum kc_password_problem {
  KC_PW_OK = 0,
  KC_PW_TOO_SHORT,
  KC_PW_TOO_LONG,
  KC_PW_COMMON,
  KC_PW_IS_USERNAME,
  KC_PW_IS_CUSTOMER,
  KC_PW_NOT_UTF8
};

/* The smallest length accepted for an account with or without a TAN. */
unsigned kc_password_min_length(unsigned configured, bool has_tan);

/* Check pw. user and customer may be "" when not known. */
enum kc_password_problem kc_password_check(const char *pw, const char *user,
                                           const char *customer,
                                           unsigned configured_min,
                                           bool has_tan) KC_NONNULL(1, 2, 3);

/* What is wrong with a new password, as told to its owner: German, or
 * English when english (the web forms and the PAM CHAUTHTOK reply alike).
 * "" for KC_PW_OK; a static string. */
const char *kc_password_problem_text(enum kc_password_problem p, bool english);

/* The cost of the hashes kcd makes (kcd.conf password_hash_m, _t):
 * memory in KiB and passes. Call at start-up, before any thread hashes
 * and before kc_password_dummy_init(); without it, libsodium's
 * interactive limits (65536 KiB, 2 passes). */
void kc_password_set_cost(unsigned m_kib, unsigned t);
/* The cost set above. */
void kc_password_cost(unsigned *m_kib, unsigned *t) KC_NONNULL(1, 2);

/* "{ARGON2}" + the argon2id string of pw at the cost set above, for
 * userPassword, into out (initialised here, cap 256; kc_buf_free()
 * wipes it). 0, KC_ERR_NOMEM (the hash needs its memory) or
 * KC_ERR_TOO_LARGE. */
int kc_password_hash(struct kc_buf *out, const char *pw) KC_MUST_USE
  KC_NONNULL(1, 2);

/* Prepare the process-wide dummy hash that unknown users are checked
 * against, so they cost what a real bind costs (OpenSSH fake_password).
 * Unknown users are verified KC_DUMMY_MAX_PARALLEL (or one per two CPUs,
 * if fewer) at a time. Call once at start-up, after sodium_init(). 0,
 * KC_ERR_SYSTEM or KC_ERR_NOMEM. */
int kc_password_dummy_init(void) KC_MUST_USE;

/* Spend what checking password against a real account costs, for a name
 * that has none (PAM socket and web pages alike); never matches: the
 * argon2 work, then a wait up to what slapd's binds take lately
 * (kc_ldap_bind_typical_ms, at most KC_DUMMY_MAX_PAD_MS). Any thread,
 * after kc_password_dummy_init(). */
void kc_password_dummy_verify(const char *password) KC_NONNULL(1);

#endif /* KC_PASSWORD_H */
