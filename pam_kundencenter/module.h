/*
 * module.h: the module's steps and the helpers they share. The pam_sm_*
 * entry points in pam_kundencenter.c only parse the options and call
 * kc_pam_auth(), kc_pam_account() or kc_pam_password().
 */
#ifndef KC_PAM_MODULE_H
#define KC_PAM_MODULE_H

#include <stdbool.h>

#include <security/pam_modules.h>

#include "client.h"
#include "identity.h"
#include "kc_attrs.h"
#include "kc_limits.h"
#include "kc_str.h"
#include "options.h"

/* Prompts; the portal speaks German first. */
#define KC_PAM_PROMPT_PASSWORD "Passwort: "
/* The second prompt for an account with the authenticator app (DESIGN
 * §12); a recovery code is also taken there. */
#define KC_PAM_PROMPT_TOTP "Code aus der Authenticator-App: "
#define KC_PAM_PROMPT_OLD      "Altes Passwort: "
#define KC_PAM_PROMPT_NEW      "Neues Passwort: "
#define KC_PAM_PROMPT_REPEAT   "Neues Passwort wiederholen: "
#define KC_PAM_MSG_MISMATCH    "Die Passwörter stimmen nicht überein."
#define KC_PAM_MSG_EMPTY       "Das neue Passwort darf nicht leer sein."

/* A user name in a log line: at most KC_MAX_USERNAME input bytes, each
 * escaped byte as \xNN (4 bytes), plus "..." and NUL (kc_str_escape_log). */
#define KC_PAM_LOG_NAME_SIZE KC_STR_LOG_SIZE(KC_MAX_USERNAME)

/* One call of an entry point. */
struct kc_pam_call {
  pam_handle_t *pamh;
  int flags;
  struct kc_pam_cfg cfg;
  struct kc_pam_who who;
  char service[KC_MAX_SERVICE + 1];   /* who.service points here */
  char rhost[KC_MAX_RHOST + 1];       /* who.rhost points here */
  char logname[KC_PAM_LOG_NAME_SIZE]; /* who.user, safe for a log line */
};

/* Parse the options and collect user, service and rhost. ask_user lets
 * pam_get_user() prompt for a missing name; without it the name must be
 * set already (the account step never converses). A PAM code. */
int kc_pam_call_init(struct kc_pam_call *call, pam_handle_t *pamh, int flags,
                     int argc, const char **argv, bool ask_user) KC_MUST_USE
  KC_NONNULL(1, 2);

/* Escape and cap s for a log line into out (KC_PAM_LOG_NAME_SIZE). */
void kc_pam_log_name(const char *s, char *out) KC_NONNULL(1, 2);

/* Ask one question (PAM_PROMPT_ECHO_OFF/ON). *answer is a heap string
 * to free with kc_wipe_free_str(), or NULL when the application gave
 * none. A PAM code. */
int kc_pam_ask(struct kc_pam_call *call, int style, const char *text,
               char **answer) KC_MUST_USE KC_NONNULL(1, 3, 4);

/* Show text (PAM_TEXT_INFO or PAM_ERROR_MSG) unless PAM_SILENT or
 * tan=inline (mod_authnz_pam fails the whole call on any message).
 * Failure to show it is harmless and ignored. */
void kc_pam_tell(struct kc_pam_call *call, int style, const char *text)
  KC_NONNULL(1, 3);

/* Log the outcome of a kcd request (event first, then "; user="). */
void kc_pam_log_reply(struct kc_pam_call *call, const char *what, int err,
                      uint32_t result, int rc) KC_NONNULL(1, 2);

/* Ask the TAN for the challenge in rep (a TAN_REQUIRED reply) and send
 * it. pw is the password (a TAN equal to it is never sent). On
 * PAM_SUCCESS *result is kcd's answer (AUTH_ERR for a hopeless TAN),
 * proof kcd's proof of the passed TAN ("" when none) and, unless id is
 * NULL, *id the identity kcd's answer carries (identity.h; untouched
 * when the TAN was not sent). */
int kc_pam_tan_step(struct kc_pam_call *call, const char *pw,
                    const struct kc_proto_reply *rep, uint32_t *result,
                    char proof[KC_MAX_TOKEN + 1], struct kc_pam_identity *id)
  KC_NONNULL(1, 2, 3, 4, 5);

/* The facilities. */
int kc_pam_auth(struct kc_pam_call *call) KC_NONNULL(1);
int kc_pam_account(struct kc_pam_call *call) KC_NONNULL(1);
int kc_pam_password(struct kc_pam_call *call) KC_NONNULL(1);

#endif /* KC_PAM_MODULE_H */
