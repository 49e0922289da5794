/* Unit tests for kcd/web/jobs.c: jobs run in order on the queue's thread,
 * each freed after it ran, a full queue refuses, stopping runs what is
 * queued and refuses the rest; with several threads every job runs once. */
#include <config.h>

#include <check.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "jobs.h"

static int ctx; /* stands for the struct kc_http the jobs get */
static size_t ran[KC_JOBS_QUEUE + 1], nran, nfreed;
static size_t args[KC_JOBS_QUEUE + 1];
static bool wrong_h;

static void
job(struct kc_http *h, void *arg)
{
  if ((void *) h != (void *) &ctx)
    wrong_h = true;
  ran[nran++] = *(size_t *) arg;
}

static void
job_free(void *arg)
{
  (void) arg;
  nfreed++;
}

START_TEST(test_jobs_order_bound_and_stop)
{
  struct kc_jobs *j = calloc(1, sizeof(*j));
  size_t i;

  ck_assert_ptr_nonnull(j);
  nran = nfreed = 0;
  ck_assert_int_eq(kc_jobs_init(j, (struct kc_http *) (void *) &ctx,
                                KC_JOBS_QUEUE),
                   0);
  for (i = 0; i < KC_JOBS_QUEUE; i++) {
    args[i] = i;
    ck_assert(kc_jobs_add(j, job, &args[i], job_free));
  }
  ck_assert(!kc_jobs_add(j, job, &args[KC_JOBS_QUEUE], job_free)); /* full */
  ck_assert_int_eq(kc_jobs_start(j, 1), 0);
  kc_jobs_stop(j); /* runs what is queued */
  ck_assert_uint_eq(nran, KC_JOBS_QUEUE);
  ck_assert_uint_eq(nfreed, KC_JOBS_QUEUE);
  for (i = 0; i < KC_JOBS_QUEUE; i++)
    ck_assert_uint_eq(ran[i], i);
  ck_assert(!wrong_h);
  ck_assert(!kc_jobs_add(j, job, &args[0], job_free)); /* stopped */
  free(j);
}
END_TEST

START_TEST(test_jobs_no_free_fn)
{
  struct kc_jobs *j = calloc(1, sizeof(*j));

  ck_assert_ptr_nonnull(j);
  nran = nfreed = 0;
  ck_assert_int_eq(kc_jobs_init(j, (struct kc_http *) (void *) &ctx,
                                KC_JOBS_QUEUE),
                   0);
  ck_assert_int_eq(kc_jobs_start(j, 1), 0);
  args[0] = 7;
  ck_assert(kc_jobs_add(j, job, &args[0], NULL));
  kc_jobs_stop(j);
  ck_assert_uint_eq(nran, 1);
  ck_assert_uint_eq(ran[0], 7);
  ck_assert_uint_eq(nfreed, 0);
  free(j);
}
END_TEST

START_TEST(test_jobs_stop_unstarted)
{
  struct kc_jobs *j = calloc(1, sizeof(*j));

  ck_assert_ptr_nonnull(j);
  ck_assert_int_eq(kc_jobs_init(j, (struct kc_http *) (void *) &ctx,
                                KC_JOBS_QUEUE),
                   0);
  kc_jobs_stop(j); /* nothing to join */
  free(j);
}
END_TEST

/* Handler queues: several threads, a queue as large as asked. */
static atomic_uint hits[1000];

static void
count_job(struct kc_http *h, void *arg)
{
  (void) h;
  atomic_fetch_add(&hits[*(size_t *) arg], 1);
}

START_TEST(test_jobs_threads)
{
  static size_t idx[1000];
  struct kc_jobs *j = calloc(1, sizeof(*j));
  size_t i, added = 0;

  ck_assert_ptr_nonnull(j);
  ck_assert_int_eq(kc_jobs_init(j, (struct kc_http *) (void *) &ctx, 1000), 0);
  ck_assert_int_eq(kc_jobs_start(j, 4), 0);
  ck_assert_uint_eq(j->started, 4);
  for (i = 0; i < 1000; i++) {
    idx[i] = i;
    atomic_store(&hits[i], 0);
  }
  for (i = 0; i < 1000; i++)
    added += kc_jobs_add(j, count_job, &idx[i], NULL) ? 1 : 0;
  ck_assert_uint_eq(added, 1000); /* never more queued than the capacity */
  kc_jobs_stop(j);
  for (i = 0; i < 1000; i++)
    ck_assert_uint_eq(atomic_load(&hits[i]), 1);
  /* out of range */
  ck_assert_int_eq(kc_jobs_init(j, (struct kc_http *) (void *) &ctx, 4), 0);
  ck_assert_int_ne(kc_jobs_start(j, 0), 0);
  ck_assert_int_ne(kc_jobs_start(j, KC_JOBS_MAX_THREADS + 1), 0);
  kc_jobs_stop(j);
  free(j);
}
END_TEST

static Suite *
jobs_suite(void)
{
  Suite *s = suite_create("jobs");
  TCase *tc = tcase_create("core");

  tcase_add_test(tc, test_jobs_order_bound_and_stop);
  tcase_add_test(tc, test_jobs_no_free_fn);
  tcase_add_test(tc, test_jobs_stop_unstarted);
  tcase_add_test(tc, test_jobs_threads);
  suite_add_tcase(s, tc);
  return s;
}

int
main(void)
{
  SRunner *sr = srunner_create(jobs_suite());
  int failed;

  srunner_run_all(sr, CK_NORMAL);
  failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
