/*
 * kc_sched.h: the PAM socket's scheduler (sched.c): which waiting
 * request a worker serves next. Pure rules, no I/O, no threads: the
 * server holds its mutex around every call. (Not "sched.h": that would
 * hide the system header pthread.h includes.)
 *
 * A complete request waits in the queue of its peer uid. The uids take
 * turns (round robin; a new uid is last in turn) and, within a uid, a
 * worker takes the earliest request whose account is under its share; a
 * uid is under its own share too. Proven requests are looked for first,
 * in every uid, then the others while fewer than unproven_max of them are
 * in service. One uid has at most per_uid_max
 * requests in service (KC_SCHED_UID_SHARE_NUM/DEN of the workers), one
 * account at most per_account_max (1/KC_SCHED_ACCOUNT_SHARE_DEN), each
 * at least one. A decision looks at the uids with waiting requests and, in
 * each, skips the requests whose account is at its share (each skip costs
 * a look at the accounts in service, at most one per worker): usually one
 * step, at worst the queue of one uid.
 *
 * Items are the caller's (embedded in its connection): the scheduler links
 * them, never allocates or frees them. An item is waiting after
 * kc_sched_enqueue, in service after kc_sched_pick(take), and out of the
 * scheduler after kc_sched_finished, whether it was answered or dropped
 * (a request whose client hung up is finished unanswered). Not
 * thread-safe.
 */
#ifndef KC_SCHED_H
#define KC_SCHED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "kc_attrs.h"

/* Requests of one peer uid in service at once: NUM/DEN of the workers
 * (at least one). The rest stays free for other callers: sshd (root) and
 * Apache (www-data) never starve each other. */
#define KC_SCHED_UID_SHARE_NUM 3
#define KC_SCHED_UID_SHARE_DEN 4
/* Requests for one account in service at once: 1/DEN of the workers (at
 * least one). */
#define KC_SCHED_ACCOUNT_SHARE_DEN 4
/* Unproven requests in service at once: 1/DEN of the workers, at least
 * KC_SCHED_UNPROVEN_MIN. A request is proven when its account logged in
 * lately, or when it costs no password check (the caller decides); the
 * others (a name not seen lately, a flood of wrong passwords or made-up
 * names) wait while that many are in service, and proven ones go first.
 * So a flood cannot take slapd's cores, nor kcd's workers, from the
 * users who log in every day (bench_fair.sh). */
#define KC_SCHED_UNPROVEN_DEN 8
#define KC_SCHED_UNPROVEN_MIN 2

struct kc_sched_queue;

/* One request, as the scheduler sees it. The caller sets uid and account
 * (0: the request names no account, only the uid share applies) before
 * kc_sched_enqueue; the other members are the scheduler's. */
struct kc_sched_item {
  uid_t uid;
  uint64_t account;
  bool proven; /* set before kc_sched_enqueue, kept until finished */
  struct kc_sched_queue *q;   /* while waiting or in service */
  struct kc_sched_item *next; /* in its uid's queue */
};

/* Accounts in service; at most one entry per worker. */
struct kc_sched_account {
  uint64_t account;
  unsigned n;
};

struct kc_sched {
  struct kc_sched_queue *queues; /* max_items: one per item at most */
  struct kc_sched_queue **qfree;
  size_t nqfree;
  struct kc_sched_queue *ring;       /* the next uid to serve; NULL when none */
  struct kc_sched_account *accounts; /* workers entries */
  unsigned workers;
  unsigned per_uid_max, per_account_max;
  unsigned unproven_max, unproven_busy;
  size_t waiting; /* items enqueued and not taken */
};

/* Set up for workers workers and at most max_items items at once
 * (waiting or in service). 0 or KC_ERR_NOMEM (then kc_sched_free). */
int kc_sched_init(struct kc_sched *s, unsigned workers,
                  size_t max_items) KC_MUST_USE KC_NONNULL(1);
/* Free what kc_sched_init allocated; the items are the caller's. */
void kc_sched_free(struct kc_sched *s) KC_NONNULL(1);

/* it waits, last in its uid's queue. At most max_items at once. */
void kc_sched_enqueue(struct kc_sched *s, struct kc_sched_item *it)
  KC_NONNULL(1, 2);

/* The next request to serve, or NULL when none is under its shares. With
 * take, it leaves its queue and counts as in service, and the turn passes
 * to the next uid; without, nothing changes. */
struct kc_sched_item *kc_sched_pick(struct kc_sched *s, bool take)
  KC_NONNULL(1);

/* it (taken by kc_sched_pick) is out of service, answered or dropped:
 * its uid's and account's shares are given back. */
void kc_sched_finished(struct kc_sched *s, struct kc_sched_item *it)
  KC_NONNULL(1, 2);

/* Requests waiting (enqueued, not taken). */
size_t kc_sched_waiting(const struct kc_sched *s) KC_NONNULL(1);

#endif /* KC_SCHED_H */
