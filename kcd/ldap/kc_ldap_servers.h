/*
 * kc_ldap_servers.h: the servers of ldap_uri, which of them kcd uses and
 * which it skips for a while (DESIGN §13).
 *
 * kcd connects to one URI at a time, in the order of ldap_uri. A server
 * that times out, refuses the connection or drops it is skipped for
 * KC_LDAP_SKIP_SECONDS by every connection of the process: the thread
 * that saw it fail pays the wait (at most ldap_timeout), the others move
 * on at their next operation. When the time is up, the next connection
 * that would prefer it tries it once (a probe); if it answers, every
 * connection moves back to it at its next operation. State is
 * process-wide and thread-safe; time is CLOCK_MONOTONIC seconds, given by
 * the caller so that tests can choose it.
 */
#ifndef KC_LDAP_SERVERS_H
#define KC_LDAP_SERVERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "kc_attrs.h"
#include "kc_buf.h"

#define KC_LDAP_MAX_SERVERS  16
#define KC_LDAP_MAX_URI      512
#define KC_LDAP_SKIP_SECONDS 30 /* default of kcd.conf ldap_retry_after */

/* The servers of one ldap_uri value: their slots in the process-wide
 * table, in the configured order. */
struct kc_ldap_servers {
  size_t n;
  int slot[KC_LDAP_MAX_SERVERS];
};

/* Split uris (separated by blanks or commas) and find or take each one's
 * slot. 0, or KC_ERR_INVALID (none, too many, one too long, or the table
 * is full). */
int kc_ldap_servers_find(const char *uris,
                         struct kc_ldap_servers *s) KC_MUST_USE
  KC_NONNULL(1, 2);

/* The order to try now, as indexes into s->slot, skipping those in the
 * bit set tried: first each server that is not skipped (one whose time
 * is up counts, and is given a new time so that only this caller probes
 * it), then the skipped ones, so that a directory whose servers all
 * failed lately is still tried. The number written to order. */
size_t kc_ldap_servers_order(const struct kc_ldap_servers *s, uint32_t tried,
                             time_t now, size_t order[KC_LDAP_MAX_SERVERS])
  KC_NONNULL(1, 4);

const char *kc_ldap_server_uri(int slot);
/* How often the server has failed: a connection opened at an earlier
 * count is to be given up. */
unsigned kc_ldap_server_failures(int slot);
/* Both say whether that changed the server's state (up to skipped, or
 * skipped to up), for the log. */
bool kc_ldap_server_failed(int slot, time_t now);
bool kc_ldap_server_answered(int slot);

/* Should a connection to s->slot[i], opened when that server's failure
 * count was failures, be given up before the next operation: the server
 * has failed since, or one before it in s is not skipped (any more)? */
bool kc_ldap_servers_leave(const struct kc_ldap_servers *s, size_t i,
                           unsigned failures, time_t now) KC_NONNULL(1);

/* For /healthz: one line per server of s, "URI up" or "URI down" (down:
 * skipped now). 0 or the kc_buf error. */
int kc_ldap_servers_describe(const struct kc_ldap_servers *s, time_t now,
                             struct kc_buf *out) KC_MUST_USE KC_NONNULL(1, 3);

/* For /metrics: one line per server kcd knows,
 * kcd_ldap_server_failures_total{server="URI"} N, N the failures
 * since start (timeouts, refused or dropped connections), after the
 * HELP and TYPE lines. 0 or the kc_buf error. */
int kc_ldap_servers_metrics(struct kc_buf *out) KC_MUST_USE KC_NONNULL(1);

/* How long a failed server is skipped (kcd.conf ldap_retry_after),
 * process-wide; KC_LDAP_SKIP_SECONDS until set. */
void kc_ldap_servers_set_skip(unsigned seconds);
unsigned kc_ldap_servers_skip(void);

/* Forget every server (unit tests). */
void kc_ldap_servers_reset(void);

#endif /* KC_LDAP_SERVERS_H */
