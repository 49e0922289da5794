/*
 * log.h: kcd's and kcadm's log vocabulary (OpenSMTPD log.c).
 *
 * kc_log_warn appends the errno text, kc_log_warnx does not. Lines go to
 * stderr when kc_log_init() was told so (foreground, -d) and to syslog
 * otherwise. Every function preserves errno. A line gives the event first,
 * then "; user=<name>", then key=value pairs. Never pass a secret.
 * Thread-safe (one write/syslog call per line).
 */
#ifndef KC_LOG_H
#define KC_LOG_H

#include <stdbool.h>
#include <stddef.h>

#include "kc_attrs.h"

/* ident: program name; to_stderr: foreground mode; verbose: log debug. */
void kc_log_init(const char *ident, bool to_stderr, bool verbose);
void kc_log_set_verbose(bool verbose);

void kc_log_warn(const char *fmt, ...) KC_PRINTF(1, 2);
void kc_log_warnx(const char *fmt, ...) KC_PRINTF(1, 2);
void kc_log_info(const char *fmt, ...) KC_PRINTF(1, 2);
void kc_log_debug(const char *fmt, ...) KC_PRINTF(1, 2);
/* Authentication events (LOG_AUTHPRIV). */
void kc_log_auth(const char *fmt, ...) KC_PRINTF(1, 2);
void kc_fatal(const char *fmt, ...) KC_PRINTF(1, 2) KC_DEAD;
void kc_fatalx(const char *fmt, ...) KC_PRINTF(1, 2) KC_DEAD;

/* Copy untrusted text for a log line: kc_str_escape_log() without an
 * input limit, the same escaping the PAM module uses (strnvis, %.100s):
 * bytes outside printable ASCII and space, '"', ';', '=', '\\' become
 * \xNN, so a value cannot fake another key=value field; cut to fit
 * out_size - 1 bytes, ending in "..." then. */
void kc_log_escape(char *out, size_t out_size, const char *in) KC_NONNULL(1);

#endif /* KC_LOG_H */
