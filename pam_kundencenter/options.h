/*
 * options.h: the module's options (DESIGN.md section 4, a contract),
 * parsed once per call from the argc/argv of the pam.d line into a
 * struct kc_pam_cfg (nslcd's struct pld_cfg). Unknown options and bad
 * values are logged and ignored: a typo in pam.d must not lock everyone
 * out, and the defaults are the safe choice.
 *
 *   socket=PATH           kcd's PAM socket (default KC_PAM_DEFAULT_SOCKET)
 *   timeout=SECONDS       whole-request deadline, 1..300 (default 10)
 *   use_first_pass        take the password from PAM_AUTHTOK, never prompt
 *   try_first_pass        take PAM_AUTHTOK when set, prompt otherwise
 *   tan=prompt|inline     ask the TAN separately, or expect it appended to
 *                         the password in one answer (mod_authnz_pam)
 *   ignore_unknown_user   PAM_IGNORE instead of "unknown user"
 *   ignore_authinfo_unavail  PAM_IGNORE when kcd cannot be reached
 *   debug                 more detail in the log (never secrets)
 */
#ifndef KC_PAM_OPTIONS_H
#define KC_PAM_OPTIONS_H

#include <stdbool.h>

#include <security/pam_modules.h>

#include "kc_attrs.h"

#define KC_PAM_DEFAULT_SOCKET "/run/kcd/pam.sock"

/* kcd answers in well under a second; 10 s covers a slow slapd (argon2
 * under load) and SMS gateways, and stays below sshd's LoginGraceTime. */
#define KC_PAM_DEFAULT_TIMEOUT 10
#define KC_PAM_MIN_TIMEOUT     1
#define KC_PAM_MAX_TIMEOUT     300

enum kc_pam_tan_mode { KC_PAM_TAN_PROMPT = 0, KC_PAM_TAN_INLINE };

struct kc_pam_cfg {
  const char *socket; /* points into argv or at the default */
  unsigned timeout;   /* seconds */
  enum kc_pam_tan_mode tan;
  bool use_first_pass;
  bool try_first_pass;
  bool ignore_unknown_user;
  bool ignore_authinfo_unavail;
  bool debug;
  bool silent; /* PAM_SILENT in the call's flags */
};

/* Fill cfg with the defaults. */
void kc_pam_cfg_defaults(struct kc_pam_cfg *cfg) KC_NONNULL(1);

/* Apply one option. 0, KC_ERR_INVALID for an unknown option, or
 * KC_ERR_RANGE for a bad value (cfg keeps the earlier value then). */
int kc_pam_cfg_option(struct kc_pam_cfg *cfg, const char *arg) KC_MUST_USE
  KC_NONNULL(1, 2);

/* Defaults, then every argument in order, then the call's flags. Bad
 * arguments are logged with pam_syslog when pamh is not NULL. Returns
 * the number of arguments that were ignored. */
int kc_pam_cfg_parse(struct kc_pam_cfg *cfg, pam_handle_t *pamh, int flags,
                     int argc, const char **argv) KC_NONNULL(1);

#endif /* KC_PAM_OPTIONS_H */
