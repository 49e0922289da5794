/*
 * server.h: the PAM-socket server.
 *
 * The main thread runs an event loop (epoll) that accepts connections and
 * reads requests without blocking; only a complete request goes to the
 * fixed pool of worker threads. Each worker owns a struct kc_handler (and
 * so its own LDAP connections), answers, and hands the connection back to
 * the loop for the next pipelined request. So a client that connects and
 * says nothing holds no worker, and one slow LDAP call holds only its own.
 *
 * Fairness: requests wait in one queue per peer uid; the uids take turns,
 * and within a uid requests are served in arrival order. One uid (sshd,
 * Apache, a local user speaking to the socket) occupies at most three
 * quarters of the workers, one account (user name) at most a quarter, so
 * neither a flood of logins from one source nor one user name hammered by
 * a password guesser holds every worker. A request whose client has hung
 * up by the time its turn comes (the module's timeout passed) is dropped
 * unanswered.
 *
 * Connections: one peer uid holds at most pam_max_conns_per_uid of the
 * KC_SERVER_MAX_CONNS slots (root's callers too); a connection beyond it
 * is closed at once, and logged at most once a minute with a count. A
 * connection is closed after KC_PAM_CONN_MAX_REQUESTS answers, and once
 * KC_PAM_CONN_MAX_LIFETIME_S have passed, always between two requests
 * (after an answer, or while it waits with nothing read): the module
 * opens a connection per request, and other clients connect again. So
 * nobody holds slots for ever with a PING now and then.
 *
 * SIGTERM or SIGINT: stop accepting and reading, let the workers finish
 * what is queued and in flight (a queued request whose client has given
 * up is dropped), then close every connection and return. SIGPIPE is
 * blocked for all threads (writes use MSG_NOSIGNAL anyway).
 */
#ifndef KC_SERVER_H
#define KC_SERVER_H

#include "handler.h"
#include "kc_attrs.h"
#include "kc_limits.h"

/* How long a client has to send a complete request after connecting or
 * after its last reply, and to take a reply: the module's own timeout is
 * usually shorter. Idle connections cost a descriptor, not a worker. */
#define KC_SERVER_IO_TIMEOUT_MS 10000
/* Open connections at most; beyond it the kernel's backlog holds clients. */
#define KC_SERVER_MAX_CONNS KC_PAM_MAX_CONNS
/* The uid and account shares of the workers: kc_sched.h. */

/* Create the listening socket at path (mode 0666: every local process may
 * ask, as with nslcd; kcd logs SO_PEERCRED). A stale socket file is
 * replaced; a live one (another kcd answers) is an error. */
int kc_server_listen(const char *path, int *fd) KC_MUST_USE KC_NONNULL(1, 2);

/* Serve until SIGTERM/SIGINT; one peer uid holds at most per_uid_conns
 * connections at once (pam_max_conns_per_uid). Signals must be blocked
 * by the caller (kc_server_block_signals) before any thread starts. */
int kc_server_run(int listen_fd, unsigned workers, unsigned per_uid_conns,
                  const struct kc_handler_cfg *hcfg) KC_MUST_USE KC_NONNULL(4);

/* Block the signals kc_server_run() waits for, in the calling thread and so
 * in every thread created afterwards. */
void kc_server_block_signals(void);

#endif /* KC_SERVER_H */
