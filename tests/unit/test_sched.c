/* Unit tests for kcd/pamsock/sched.c: uids served in turn, the uid and
 * account shares of the workers, arrival order inside a uid, and a
 * request dropped unanswered giving its shares back. */
#include <config.h>

#include <check.h>
#include <stdlib.h>

#include "kc_err.h"
#include "kc_sched.h"

#define MAX_ITEMS 64

static struct kc_sched s;
static struct kc_sched_item items[MAX_ITEMS];
static size_t nitems;

static void
setup(unsigned workers)
{
  ck_assert_int_eq(kc_sched_init(&s, workers, MAX_ITEMS), 0);
  nitems = 0;
}

static void
teardown(void)
{
  kc_sched_free(&s);
}

/* A new request of uid for account (0: none), enqueued; proven or not. */
static struct kc_sched_item *
req_as(uid_t uid, uint64_t account, bool proven)
{
  struct kc_sched_item *it = &items[nitems++];

  ck_assert_uint_le(nitems, MAX_ITEMS);
  it->uid = uid;
  it->account = account;
  it->proven = proven;
  kc_sched_enqueue(&s, it);
  return it;
}

/* A proven one: the rules before the unproven cap. */
static struct kc_sched_item *
req(uid_t uid, uint64_t account)
{
  return req_as(uid, account, true);
}

static struct kc_sched_item *
take(void)
{
  return kc_sched_pick(&s, true);
}

START_TEST(test_sched_shares_of_the_workers)
{
  static const struct {
    unsigned workers, per_uid, per_account;
  } t[] = {{1, 1, 1}, {2, 1, 1}, {4, 3, 1}, {8, 6, 2}, {16, 12, 4}, {7, 5, 1}};
  size_t i;

  for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
    setup(t[i].workers);
    ck_assert_uint_eq(s.per_uid_max, t[i].per_uid);
    ck_assert_uint_eq(s.per_account_max, t[i].per_account);
    teardown();
  }
}
END_TEST

START_TEST(test_sched_uids_take_turns)
{
  struct kc_sched_item *a1, *a2, *a3, *b1, *b2, *c1, *d1;

  setup(8);
  a1 = req(100, 1);
  a2 = req(100, 2);
  a3 = req(100, 3);
  b1 = req(200, 11);
  b2 = req(200, 12);
  c1 = req(300, 21);
  ck_assert_uint_eq(kc_sched_waiting(&s), 6);
  ck_assert_ptr_eq(take(), a1);
  /* a uid seen for the first time is last in turn */
  d1 = req(400, 31);
  ck_assert_ptr_eq(take(), b1);
  ck_assert_ptr_eq(take(), c1);
  ck_assert_ptr_eq(take(), a2);
  ck_assert_ptr_eq(take(), d1);
  ck_assert_ptr_eq(take(), b2);
  ck_assert_ptr_eq(take(), a3);
  ck_assert_ptr_null(take());
  ck_assert_uint_eq(kc_sched_waiting(&s), 0);
  teardown();
}
END_TEST

START_TEST(test_sched_arrival_order_inside_a_uid)
{
  struct kc_sched_item *it[5];
  size_t i;

  setup(8);
  for (i = 0; i < 5; i++)
    it[i] = req(100, 40 + i);
  for (i = 0; i < 5; i++)
    ck_assert_ptr_eq(take(), it[i]);
  ck_assert_ptr_null(take());
  teardown();
}
END_TEST

START_TEST(test_sched_peek_changes_nothing)
{
  struct kc_sched_item *a, *b;

  setup(8);
  a = req(100, 1);
  b = req(200, 2);
  ck_assert_ptr_eq(kc_sched_pick(&s, false), a);
  ck_assert_ptr_eq(kc_sched_pick(&s, false), a);
  ck_assert_uint_eq(kc_sched_waiting(&s), 2);
  ck_assert_ptr_eq(take(), a);
  ck_assert_ptr_eq(kc_sched_pick(&s, false), b);
  ck_assert_ptr_eq(take(), b);
  teardown();
}
END_TEST

/* One uid gets three quarters of the workers; the rest stays for others. */
START_TEST(test_sched_uid_share)
{
  struct kc_sched_item *a[8], *b;
  size_t i;

  setup(8);
  for (i = 0; i < 8; i++)
    a[i] = req(100, 1 + i);
  for (i = 0; i < 6; i++)
    ck_assert_ptr_eq(take(), a[i]);
  ck_assert_ptr_null(take()); /* 6 of 8 in service: the uid waits */
  ck_assert_uint_eq(kc_sched_waiting(&s), 2);
  b = req(200, 50);
  ck_assert_ptr_eq(take(), b); /* another uid still gets a worker */
  ck_assert_ptr_null(take());
  kc_sched_finished(&s, a[2]);
  ck_assert_ptr_eq(take(), a[6]);
  ck_assert_ptr_null(take());
  kc_sched_finished(&s, b);
  ck_assert_ptr_null(take()); /* b's end frees no share of uid 100 */
  kc_sched_finished(&s, a[0]);
  ck_assert_ptr_eq(take(), a[7]);
  teardown();
}
END_TEST

/* One account gets a quarter of the workers, counted over every uid;
 * requests for other accounts pass it in the queue. */
START_TEST(test_sched_account_share)
{
  struct kc_sched_item *x1, *x2, *x3, *y, *z, *n[4];
  size_t i;

  setup(8);
  x1 = req(100, 5);
  x2 = req(100, 5);
  x3 = req(100, 5);
  y = req(100, 6);
  z = req(200, 5);
  ck_assert_ptr_eq(take(), x1);
  ck_assert_ptr_eq(take(), z); /* account 5: 2 of 8 in service */
  ck_assert_ptr_eq(take(), y); /* x2 and x3 are skipped, y is not */
  ck_assert_ptr_null(take());
  ck_assert_uint_eq(kc_sched_waiting(&s), 2);
  kc_sched_finished(&s, z);
  ck_assert_ptr_eq(take(), x2); /* in arrival order again */
  ck_assert_ptr_null(take());
  kc_sched_finished(&s, x1);
  ck_assert_ptr_eq(take(), x3);
  /* requests naming no account have only the uid share */
  for (i = 0; i < 4; i++)
    n[i] = req(300, 0);
  for (i = 0; i < 4; i++)
    ck_assert_ptr_eq(take(), n[i]);
  teardown();
}
END_TEST

/* A request whose client hung up is taken, then finished unanswered: its
 * uid and account shares come back and its queue leaves the turn. */
START_TEST(test_sched_abandoned_dropped)
{
  struct kc_sched_item *a, *b, *c;

  setup(1); /* one worker: every share is one */
  a = req(100, 7);
  b = req(100, 7);
  ck_assert_ptr_eq(take(), a);
  ck_assert_ptr_null(take());
  kc_sched_finished(&s, a); /* dropped: the server found its peer gone */
  ck_assert_ptr_eq(take(), b);
  kc_sched_finished(&s, b);
  ck_assert_ptr_null(take());
  ck_assert_uint_eq(kc_sched_waiting(&s), 0);
  ck_assert_ptr_null(s.ring); /* no queue left behind */
  ck_assert_uint_eq(s.nqfree, MAX_ITEMS);
  c = req(100, 7);
  ck_assert_ptr_eq(take(), c);
  kc_sched_finished(&s, c);
  teardown();
}
END_TEST

/* Many requests come and go: every queue slot returns. */
START_TEST(test_sched_queues_return)
{
  struct kc_sched_item *it;
  size_t round, i;

  setup(4);
  for (round = 0; round < 3; round++) {
    nitems = 0;
    for (i = 0; i < MAX_ITEMS; i++)
      req((uid_t) (1000 + i), i % 3);
    while (kc_sched_waiting(&s) > 0) {
      it = take();
      ck_assert_ptr_nonnull(it);
      kc_sched_finished(&s, it);
    }
    ck_assert_ptr_null(s.ring);
    ck_assert_uint_eq(s.nqfree, MAX_ITEMS);
  }
  teardown();
}
END_TEST

/* Proven requests go first, in any uid; unproven ones are served while
 * fewer than unproven_max (workers / 8, at least 2) are in service. */
START_TEST(test_sched_unproven_capped_proven_first)
{
  struct kc_sched_item *flood[6], *legit, *got[3];
  size_t i;

  setup(16);
  ck_assert_uint_eq(s.unproven_max, 2);
  for (i = 0; i < 6; i++) /* a flood of new names from uid 65534 */
    flood[i] = req_as(65534, 100 + i, false);
  legit = req_as(0, 7, true); /* a known user, behind it in time */
  got[0] = take();
  ck_assert_ptr_eq(got[0], legit); /* proven first, whatever the turn */
  got[1] = take();
  got[2] = take();
  ck_assert_ptr_eq(got[1], flood[0]);
  ck_assert_ptr_eq(got[2], flood[1]);
  ck_assert_ptr_null(take()); /* two unproven in service: the rest waits */
  ck_assert_uint_eq(s.unproven_busy, 2);
  /* a proven one still gets through at once */
  legit = req_as(0, 8, true);
  ck_assert_ptr_eq(take(), legit);
  kc_sched_finished(&s, got[1]);
  ck_assert_uint_eq(s.unproven_busy, 1);
  ck_assert_ptr_eq(take(), flood[2]); /* room again: in arrival order */
  ck_assert_ptr_null(take());
  teardown();
  /* the cap follows the workers: 64 / 8 */
  setup(64);
  ck_assert_uint_eq(s.unproven_max, 8);
  teardown();
  setup(1);
  ck_assert_uint_eq(s.unproven_max, 2);
  teardown();
}
END_TEST

static Suite *
sched_suite(void)
{
  Suite *su = suite_create("sched");
  TCase *tc = tcase_create("core");

  tcase_add_test(tc, test_sched_shares_of_the_workers);
  tcase_add_test(tc, test_sched_uids_take_turns);
  tcase_add_test(tc, test_sched_arrival_order_inside_a_uid);
  tcase_add_test(tc, test_sched_peek_changes_nothing);
  tcase_add_test(tc, test_sched_uid_share);
  tcase_add_test(tc, test_sched_account_share);
  tcase_add_test(tc, test_sched_abandoned_dropped);
  tcase_add_test(tc, test_sched_queues_return);
  tcase_add_test(tc, test_sched_unproven_capped_proven_first);
  suite_add_tcase(su, tc);
  return su;
}

int
main(void)
{
  SRunner *sr = srunner_create(sched_suite());
  int failed;

  srunner_run_all(sr, CK_NORMAL);
  failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
