#include <config.h>

#include <errno.h>
#include <stdint.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "kc_str.h"
#include "log.h"

static bool log_stderr = true;
static bool log_verbose = false;
static const char *log_ident = "kcd";

void
kc_log_init(const char *ident, bool to_stderr, bool verbose)
{
  log_ident = ident;
  log_stderr = to_stderr;
  log_verbose = verbose;
  if (!to_stderr)
    openlog(ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

void
kc_log_set_verbose(bool verbose)
{
  log_verbose = verbose;
}

static void vlog(int pri, const char *fmt, va_list ap, int errnum)
  KC_PRINTF(2, 0);

static void
vlog(int pri, const char *fmt, va_list ap, int errnum)
{
  char line[1024];
  int n;

  n = vsnprintf(line, sizeof(line), fmt, ap);
  if (n < 0)
    return;
  if (errnum != 0 && (size_t) n < sizeof(line))
    snprintf(line + n, sizeof(line) - (size_t) n, ": %s", strerror(errnum));
  if (log_stderr)
    fprintf(stderr, "%s: %s\n", log_ident, line);
  else
    syslog(pri, "%s", line);
}

#define KC_LOG_BODY(pri, errnum)                                               \
  do {                                                                         \
    int saved = errno;                                                         \
    va_list ap;                                                                \
    va_start(ap, fmt);                                                         \
    vlog((pri), fmt, ap, (errnum));                                            \
    va_end(ap);                                                                \
    errno = saved;                                                             \
  } while (0)

void
kc_log_warn(const char *fmt, ...)
{
  KC_LOG_BODY(LOG_WARNING, errno);
}

void
kc_log_warnx(const char *fmt, ...)
{
  KC_LOG_BODY(LOG_WARNING, 0);
}

void
kc_log_info(const char *fmt, ...)
{
  KC_LOG_BODY(LOG_INFO, 0);
}

void
kc_log_auth(const char *fmt, ...)
{
  KC_LOG_BODY(LOG_AUTHPRIV | LOG_NOTICE, 0);
}

void
kc_log_debug(const char *fmt, ...)
{
  if (!log_verbose)
    return;
  KC_LOG_BODY(LOG_DEBUG, 0);
}

void
kc_fatal(const char *fmt, ...)
{
  KC_LOG_BODY(LOG_CRIT, errno);
  exit(1);
}

void
kc_fatalx(const char *fmt, ...)
{
  KC_LOG_BODY(LOG_CRIT, 0);
  exit(1);
}

void
kc_log_escape(char *out, size_t out_size, const char *in)
{
  kc_str_escape_log(out, out_size, in, SIZE_MAX);
}
