/*
 * sched.c: per-uid queues served in turn, per-uid and per-account shares
 * (see kc_sched.h).
 */
#include <config.h>

#include <stdlib.h>
#include <string.h>

#include "kc_err.h"
#include "kc_sched.h"

/* The requests of one peer uid: waiting (FIFO) and in service. A queue
 * is on the ring while it has either. */
struct kc_sched_queue {
  uid_t uid;
  unsigned busy;
  struct kc_sched_item *head, *tail;
  struct kc_sched_queue *prev, *next; /* ring */
};

/* A share of the workers, at least one. */
static unsigned
share(unsigned workers, unsigned num, unsigned den)
{
  unsigned n = workers * num / den;

  return n > 0 ? n : 1;
}

int
kc_sched_init(struct kc_sched *s, unsigned workers, size_t max_items)
{
  size_t i;

  memset(s, 0, sizeof(*s));
  s->workers = workers;
  s->per_uid_max =
    share(workers, KC_SCHED_UID_SHARE_NUM, KC_SCHED_UID_SHARE_DEN);
  s->per_account_max = share(workers, 1, KC_SCHED_ACCOUNT_SHARE_DEN);
  s->unproven_max = share(workers, 1, KC_SCHED_UNPROVEN_DEN);
  if (s->unproven_max < KC_SCHED_UNPROVEN_MIN)
    s->unproven_max = KC_SCHED_UNPROVEN_MIN;
  s->unproven_busy = 0;
  s->queues = calloc(max_items, sizeof(*s->queues));
  s->qfree = calloc(max_items, sizeof(*s->qfree));
  s->accounts = calloc(workers > 0 ? workers : 1, sizeof(*s->accounts));
  if (s->queues == NULL || s->qfree == NULL || s->accounts == NULL)
    return KC_ERR_NOMEM;
  for (i = 0; i < max_items; i++)
    s->qfree[i] = &s->queues[i];
  s->nqfree = max_items;
  return 0;
}

void
kc_sched_free(struct kc_sched *s)
{
  free(s->queues);
  free(s->qfree);
  free(s->accounts);
  s->queues = NULL;
  s->qfree = NULL;
  s->accounts = NULL;
}

size_t
kc_sched_waiting(const struct kc_sched *s)
{
  return s->waiting;
}

static struct kc_sched_queue *
queue_of(struct kc_sched *s, uid_t uid)
{
  struct kc_sched_queue *q = s->ring;

  if (q != NULL) {
    do {
      if (q->uid == uid)
        return q;
      q = q->next;
    } while (q != s->ring);
  }
  q = s->qfree[--s->nqfree]; /* one queue per item at most */
  memset(q, 0, sizeof(*q));
  q->uid = uid;
  if (s->ring == NULL) {
    q->prev = q->next = q;
    s->ring = q;
  } else { /* last in turn */
    q->next = s->ring;
    q->prev = s->ring->prev;
    q->prev->next = q;
    s->ring->prev = q;
  }
  return q;
}

static void
queue_drop_if_idle(struct kc_sched *s, struct kc_sched_queue *q)
{
  if (q->head != NULL || q->busy > 0)
    return;
  if (q->next == q) {
    s->ring = NULL;
  } else {
    q->prev->next = q->next;
    q->next->prev = q->prev;
    if (s->ring == q)
      s->ring = q->next;
  }
  s->qfree[s->nqfree++] = q;
}

void
kc_sched_enqueue(struct kc_sched *s, struct kc_sched_item *it)
{
  struct kc_sched_queue *q = queue_of(s, it->uid);

  it->q = q;
  it->next = NULL;
  if (q->tail != NULL)
    q->tail->next = it;
  else
    q->head = it;
  q->tail = it;
  s->waiting++;
}

static struct kc_sched_account *
account_slot(struct kc_sched *s, uint64_t account, bool add)
{
  struct kc_sched_account *free_slot = NULL;
  unsigned i;

  for (i = 0; i < s->workers; i++) {
    if (s->accounts[i].n > 0 && s->accounts[i].account == account)
      return &s->accounts[i];
    if (s->accounts[i].n == 0 && free_slot == NULL)
      free_slot = &s->accounts[i];
  }
  if (add && free_slot != NULL) /* always: one entry per worker */
    free_slot->account = account;
  return add ? free_slot : NULL;
}

static unsigned
account_busy(struct kc_sched *s, uint64_t account)
{
  struct kc_sched_account *a;

  if (account == 0)
    return 0;
  a = account_slot(s, account, false);
  return a != NULL ? a->n : 0;
}

/* it leaves q (prev is the item before it, or NULL) and is in service. */
static void
take(struct kc_sched *s, struct kc_sched_queue *q, struct kc_sched_item *prev,
     struct kc_sched_item *it)
{
  if (prev != NULL)
    prev->next = it->next;
  else
    q->head = it->next;
  if (q->tail == it)
    q->tail = prev;
  it->next = NULL;
  q->busy++;
  if (!it->proven)
    s->unproven_busy++;
  if (it->account != 0)
    account_slot(s, it->account, true)->n++;
  s->waiting--;
  s->ring = q->next; /* the next uid's turn */
}

/* May it be served now, in this pass (proven ones only, or any)? */
static bool
servable(struct kc_sched *s, const struct kc_sched_item *it, bool proven_only)
{
  if (account_busy(s, it->account) >= s->per_account_max)
    return false;
  if (it->proven)
    return true;
  return !proven_only && s->unproven_busy < s->unproven_max;
}

struct kc_sched_item *
kc_sched_pick(struct kc_sched *s, bool take_it)
{
  struct kc_sched_queue *q, *start = s->ring;
  struct kc_sched_item *it, *prev;
  int pass;

  if (start == NULL)
    return NULL;
  for (pass = 0; pass < 2; pass++) {
    q = start;
    do {
      if (q->head != NULL && q->busy < s->per_uid_max) {
        for (prev = NULL, it = q->head; it != NULL; prev = it, it = it->next)
          if (servable(s, it, pass == 0))
            break;
        if (it != NULL) {
          if (take_it)
            take(s, q, prev, it);
          return it;
        }
      }
      q = q->next;
    } while (q != start);
  }
  return NULL;
}

void
kc_sched_finished(struct kc_sched *s, struct kc_sched_item *it)
{
  struct kc_sched_queue *q = it->q;

  q->busy--;
  if (!it->proven)
    s->unproven_busy--;
  if (it->account != 0)
    account_slot(s, it->account, false)->n--;
  it->q = NULL;
  queue_drop_if_idle(s, q);
}
