/*
 * jobs.h: the web front's work queues. Two of them: the background queue,
 * work a page hands off so the client does not wait for it (registration
 * mails), run in order on one thread; and the handler queue, the requests
 * themselves, run on several threads while libmicrohttpd's polling
 * threads only move bytes (http.c).
 *
 * A queue is bounded (its capacity): a job that does not fit is refused,
 * never waited for. kc_jobs_stop runs what is queued, then joins the
 * threads. Thread-safe; pages queue through kc_http_defer (http.h).
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
/* Threads of one queue at most. */
#define KC_JOBS_MAX_THREADS 64

struct kc_job {
  void (*fn)(struct kc_http *, void *);
  void *arg;
  void (*free_fn)(void *); /* may be NULL */
};

struct kc_jobs {
  struct kc_http *h; /* passed to every job */
  pthread_mutex_t mu;
  pthread_cond_t cv;
  struct kc_job *q; /* cap of them, a ring */
  size_t cap, head, len;
  bool stop;
  pthread_t threads[KC_JOBS_MAX_THREADS];
  unsigned started; /* threads running */
};

/* Set up a queue of cap jobs (no thread yet); jobs get h. 0 or
 * KC_ERR_NOMEM. */
int kc_jobs_init(struct kc_jobs *j, struct kc_http *h, size_t cap) KC_MUST_USE
  KC_NONNULL(1, 2);
/* Start n threads (1 to KC_JOBS_MAX_THREADS). 0 or KC_ERR_SYSTEM (those
 * started run until kc_jobs_stop). */
int kc_jobs_start(struct kc_jobs *j, unsigned n) KC_MUST_USE KC_NONNULL(1);
/* Refuse new jobs, run the queued ones, join the threads, free the queue.
 * Safe after a failed init or start. */
void kc_jobs_stop(struct kc_jobs *j) KC_NONNULL(1);

/* Queue fn(h, arg), then free_fn(arg). false when the queue is full or
 * stopping (arg is then still the caller's). */
bool kc_jobs_add(struct kc_jobs *j, void (*fn)(struct kc_http *, void *),
                 void *arg, void (*free_fn)(void *)) KC_NONNULL(1, 2);

#endif /* KC_JOBS_H */
