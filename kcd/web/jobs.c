/*
 * jobs.c: the web front's work queues (see jobs.h).
 */
#include <config.h>

#include <stdlib.h>

#include "jobs.h"
#include "kc_err.h"

int
kc_jobs_init(struct kc_jobs *j, struct kc_http *h, size_t cap)
{
  j->h = h;
  j->head = j->len = 0;
  j->stop = false;
  j->started = 0;
  j->cap = cap;
  pthread_mutex_init(&j->mu, NULL);
  pthread_cond_init(&j->cv, NULL);
  j->q = cap > 0 ? calloc(cap, sizeof(*j->q)) : NULL;
  return j->q != NULL ? 0 : KC_ERR_NOMEM;
}

bool
kc_jobs_add(struct kc_jobs *j, void (*fn)(struct kc_http *, void *), void *arg,
            void (*free_fn)(void *))
{
  bool ok = false;

  pthread_mutex_lock(&j->mu);
  if (j->q != NULL && j->len < j->cap && !j->stop) {
    j->q[(j->head + j->len) % j->cap] = (struct kc_job){fn, arg, free_fn};
    j->len++;
    ok = true;
    pthread_cond_signal(&j->cv);
  }
  pthread_mutex_unlock(&j->mu);
  return ok;
}

static void *
jobs_main(void *arg)
{
  struct kc_jobs *j = arg;
  struct kc_job job;

  pthread_mutex_lock(&j->mu);
  for (;;) {
    while (j->len == 0 && !j->stop)
      pthread_cond_wait(&j->cv, &j->mu);
    if (j->len == 0)
      break; /* stopping and drained */
    job = j->q[j->head];
    j->head = (j->head + 1) % j->cap;
    j->len--;
    pthread_mutex_unlock(&j->mu);
    job.fn(j->h, job.arg);
    if (job.free_fn != NULL)
      job.free_fn(job.arg);
    pthread_mutex_lock(&j->mu);
  }
  pthread_mutex_unlock(&j->mu);
  return NULL;
}

int
kc_jobs_start(struct kc_jobs *j, unsigned n)
{
  if (n == 0 || n > KC_JOBS_MAX_THREADS || j->q == NULL)
    return KC_ERR_SYSTEM;
  pthread_mutex_lock(&j->mu);
  while (j->started < n &&
         pthread_create(&j->threads[j->started], NULL, jobs_main, j) == 0)
    j->started++;
  pthread_mutex_unlock(&j->mu);
  return j->started == n ? 0 : KC_ERR_SYSTEM;
}

void
kc_jobs_stop(struct kc_jobs *j)
{
  unsigned i;

  pthread_mutex_lock(&j->mu);
  j->stop = true;
  pthread_cond_broadcast(&j->cv);
  pthread_mutex_unlock(&j->mu);
  for (i = 0; i < j->started; i++)
    pthread_join(j->threads[i], NULL);
  j->started = 0;
  free(j->q);
  j->q = NULL;
}
