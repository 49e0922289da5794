/*
 * daemon.h: kcd's start-up sequence, one flat list of steps each ending in
 * kc_fatal on failure (OpenSMTPD): secrets, sockets, privilege drop,
 * detaching, then serving.
 */
#ifndef KC_DAEMON_H
#define KC_DAEMON_H

#include <stdbool.h>

#include "conf.h"

/* Serve with configuration c until SIGTERM/SIGINT. foreground: stay
 * attached and log to stderr (-d); otherwise detach and log to syslog.
 * Returns the process exit code. */
int kc_daemon_serve(const struct kc_conf *c, bool foreground) KC_NONNULL(1);

#endif /* KC_DAEMON_H */
