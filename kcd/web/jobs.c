/*
 * jobs.c: the web front's background queue (see jobs.h).
 */
#include <config.h>

#include "jobs.h"
#include "kc_err.h"

void
kc_jobs_init(struct kc_jobs *j, struct kc_http *h)
{
  j->h = h;
  j->head = j->len = 0;
  j->stop = false;
  j->started = false;
  pthread_mutex_init(&j->mu, NULL);
  pthread_cond_init(&j->cv, NULL);
}

bool
kc_jobs_add(struct kc_jobs *j, void (*fn)(struct kc_http *, void *), void *arg,
            void (*free_fn)(void *))
{
  bool ok = false;

  pthread_mutex_lock(&j->mu);
  if (j->len < KC_JOBS_QUEUE && !j->stop) {
    j->q[(j->head + j->len) % KC_JOBS_QUEUE] =
      (struct kc_job){fn, arg, free_fn};
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
    j->head = (j->head + 1) % KC_JOBS_QUEUE;
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
kc_jobs_start(struct kc_jobs *j)
{
  if (pthread_create(&j->thread, NULL, jobs_main, j) != 0)
    return KC_ERR_SYSTEM;
  j->started = true;
  return 0;
}

void
kc_jobs_stop(struct kc_jobs *j)
{
  if (!j->started)
    return;
  pthread_mutex_lock(&j->mu);
  j->stop = true;
  pthread_cond_signal(&j->cv);
  pthread_mutex_unlock(&j->mu);
  pthread_join(j->thread, NULL);
}
