/*
 * jobs.h: the web front's background queue: work a page hands off so the
 * client does not wait for it (registration mails), run in order on one
 * thread.
 *
 * The queue is bounded (KC_JOBS_QUEUE): a job that does not fit is
 * refused, never waited for. kc_jobs_stop runs what is queued, then joins
 * the thread. Thread-safe; pages queue through kc_http_defer (http.h).
 */
#ifndef KC_JOBS_H
#define KC_JOBS_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

#include "kc_attrs.h"

struct kc_http;

/* Background jobs waiting at most. */
#define KC_JOBS_QUEUE 256

struct kc_job {
  void (*fn)(struct kc_http *, void *);
  void *arg;
  void (*free_fn)(void *); /* may be NULL */
};

struct kc_jobs {
  struct kc_http *h; /* passed to every job */
  pthread_mutex_t mu;
  pthread_cond_t cv;
  struct kc_job q[KC_JOBS_QUEUE];
  size_t head, len;
  bool stop;
  pthread_t thread;
  bool started;
};

/* Set up the queue (no thread yet); jobs get h. */
void kc_jobs_init(struct kc_jobs *j, struct kc_http *h) KC_NONNULL(1, 2);
/* Start the thread. 0 or KC_ERR_SYSTEM. */
int kc_jobs_start(struct kc_jobs *j) KC_MUST_USE KC_NONNULL(1);
/* Refuse new jobs, run the queued ones, join the thread (if started). */
void kc_jobs_stop(struct kc_jobs *j) KC_NONNULL(1);

/* Queue fn(h, arg), then free_fn(arg). false when the queue is full or
 * stopping (arg is then still the caller's). */
bool kc_jobs_add(struct kc_jobs *j, void (*fn)(struct kc_http *, void *),
                 void *arg, void (*free_fn)(void *)) KC_NONNULL(1, 2);

#endif /* KC_JOBS_H */
