/*
 * options.c: parse the pam.d arguments into struct kc_pam_cfg.
 */
#include <config.h>

#include <string.h>
#include <sys/un.h>
#include <syslog.h>

#include <security/pam_ext.h>

#include "kc_err.h"
#include "kc_str.h"
#include "options.h"

/* The longest socket path connect() accepts, without the NUL. */
#define KC_PAM_MAX_SOCKET_PATH                                                 \
  (sizeof(((struct sockaddr_un *) 0)->sun_path) - 1)

void
kc_pam_cfg_defaults(struct kc_pam_cfg *cfg)
{
  memset(cfg, 0, sizeof(*cfg));
  cfg->socket = KC_PAM_DEFAULT_SOCKET;
  cfg->timeout = KC_PAM_DEFAULT_TIMEOUT;
  cfg->tan = KC_PAM_TAN_PROMPT;
}

/* Options that take no value, and the flag each one sets. */
static bool *
flag_of(struct kc_pam_cfg *cfg, const char *arg)
{
  if (strcmp(arg, "use_first_pass") == 0)
    return &cfg->use_first_pass;
  if (strcmp(arg, "try_first_pass") == 0)
    return &cfg->try_first_pass;
  if (strcmp(arg, "ignore_unknown_user") == 0)
    return &cfg->ignore_unknown_user;
  if (strcmp(arg, "ignore_authinfo_unavail") == 0)
    return &cfg->ignore_authinfo_unavail;
  if (strcmp(arg, "debug") == 0)
    return &cfg->debug;
  return NULL;
}

/* An absolute path that fits a sockaddr_un. */
static int
set_socket(struct kc_pam_cfg *cfg, const char *v)
{
  size_t len = strlen(v);

  if (v[0] != '/' || len > KC_PAM_MAX_SOCKET_PATH)
    return KC_ERR_RANGE;
  cfg->socket = v;
  return 0;
}

static int
set_timeout(struct kc_pam_cfg *cfg, const char *v)
{
  uint64_t secs;

  if (kc_str_to_uint(v, &secs, KC_PAM_MIN_TIMEOUT, KC_PAM_MAX_TIMEOUT) != 0)
    return KC_ERR_RANGE;
  cfg->timeout = (unsigned) secs;
  return 0;
}

static int
set_tan(struct kc_pam_cfg *cfg, const char *v)
{
  if (strcmp(v, "prompt") == 0)
    cfg->tan = KC_PAM_TAN_PROMPT;
  else if (strcmp(v, "inline") == 0)
    cfg->tan = KC_PAM_TAN_INLINE;
  else
    return KC_ERR_RANGE;
  return 0;
}

int
kc_pam_cfg_option(struct kc_pam_cfg *cfg, const char *arg)
{
  bool *flag;

  if ((flag = flag_of(cfg, arg)) != NULL) {
    *flag = true;
    return 0;
  }
  if (strncmp(arg, "socket=", 7) == 0)
    return set_socket(cfg, arg + 7);
  if (strncmp(arg, "timeout=", 8) == 0)
    return set_timeout(cfg, arg + 8);
  if (strncmp(arg, "tan=", 4) == 0)
    return set_tan(cfg, arg + 4);
  return KC_ERR_INVALID;
}

int
kc_pam_cfg_parse(struct kc_pam_cfg *cfg, pam_handle_t *pamh, int flags,
                 int argc, const char **argv)
{
  int i, r, bad = 0;

  kc_pam_cfg_defaults(cfg);
  for (i = 0; i < argc && argv != NULL; i++) {
    if (argv[i] == NULL)
      continue;
    if ((r = kc_pam_cfg_option(cfg, argv[i])) == 0)
      continue;
    bad++;
    /* An option is configuration, not a secret; still capped. */
    if (pamh != NULL && r == KC_ERR_INVALID)
      pam_syslog(pamh, LOG_ERR, "unknown option ignored; option=%.64s",
                 argv[i]);
    else if (pamh != NULL)
      pam_syslog(pamh, LOG_ERR, "bad option value ignored; option=%.160s",
                 argv[i]);
  }
  cfg->silent = (flags & PAM_SILENT) != 0;
  return bad;
}
