/* Unit tests for kcd/web/metrics.c: counters in first-seen order, the
 * Prometheus text, the cap on names, and a page too small. */
#include <config.h>

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metrics.h"

START_TEST(test_metrics_text)
{
  struct kc_metrics m;
  struct kc_buf b;

  kc_metrics_init(&m);
  kc_metrics_count(&m, "register");
  kc_metrics_count(&m, "activate");
  kc_metrics_count(&m, "register");
  kc_buf_init(&b, 4096);
  ck_assert_int_eq(kc_metrics_write(&m, &b), 0);
  ck_assert_str_eq(kc_buf_get(&b),
    "# HELP kcd_http_events_total Web front events by kind.\n"
    "# TYPE kcd_http_events_total counter\n"
    "kcd_http_events_total{event=\"register\"} 2\n"
    "kcd_http_events_total{event=\"activate\"} 1\n");
  kc_buf_free(&b);
}
END_TEST

START_TEST(test_metrics_empty)
{
  struct kc_metrics m;
  struct kc_buf b;

  kc_metrics_init(&m);
  kc_buf_init(&b, 4096);
  ck_assert_int_eq(kc_metrics_write(&m, &b), 0);
  ck_assert_str_eq(kc_buf_get(&b),
    "# HELP kcd_http_events_total Web front events by kind.\n"
    "# TYPE kcd_http_events_total counter\n");
  kc_buf_free(&b);
}
END_TEST

/* Past KC_METRICS_MAX_COUNTERS names, new ones are not counted; the
 * known ones still are. */
START_TEST(test_metrics_name_cap)
{
  static char names[KC_METRICS_MAX_COUNTERS + 1][16];
  struct kc_metrics m;
  struct kc_buf b;
  char line[80];
  size_t i;

  kc_metrics_init(&m);
  for (i = 0; i <= KC_METRICS_MAX_COUNTERS; i++) {
    snprintf(names[i], sizeof(names[i]), "e%zu", i);
    kc_metrics_count(&m, names[i]);
  }
  kc_metrics_count(&m, names[0]);
  kc_buf_init(&b, 64 * 1024);
  ck_assert_int_eq(kc_metrics_write(&m, &b), 0);
  ck_assert_ptr_nonnull(strstr(kc_buf_get(&b),
    "kcd_http_events_total{event=\"e0\"} 2\n"));
  snprintf(line, sizeof(line), "{event=\"e%d\"}", KC_METRICS_MAX_COUNTERS - 1);
  ck_assert_ptr_nonnull(strstr(kc_buf_get(&b), line));
  snprintf(line, sizeof(line), "{event=\"e%d\"}", KC_METRICS_MAX_COUNTERS);
  ck_assert_ptr_null(strstr(kc_buf_get(&b), line));
  kc_buf_free(&b);
}
END_TEST

/* The TAN counters: every method and outcome, 0 before any TAN. */
START_TEST(test_metrics_tan)
{
  struct kc_buf b;
  const char *t;

  kc_buf_init(&b, 4096);
  ck_assert_int_eq(kc_metrics_write_tan(&b), 0);
  t = kc_buf_get(&b);
  ck_assert_ptr_nonnull(strstr(t, "# TYPE kcd_tan_issue_total counter\n"));
  ck_assert_ptr_nonnull(
    strstr(t, "kcd_tan_issue_total{method=\"email\",result=\"sent\"} 0\n"));
  ck_assert_ptr_nonnull(
    strstr(t,
           "kcd_tan_issue_total{method=\"mtan\",result=\"undelivered\"} 0\n"));
  ck_assert_ptr_nonnull(
    strstr(t,
           "kcd_tan_issue_total{method=\"mtan\",result=\"ldap_error\"} 0\n"));
  kc_buf_free(&b);
}
END_TEST

START_TEST(test_metrics_page_too_small)
{
  struct kc_metrics m;
  struct kc_buf b;

  kc_metrics_init(&m);
  kc_metrics_count(&m, "register");
  kc_buf_init(&b, 32);
  ck_assert_int_ne(kc_metrics_write(&m, &b), 0);
  kc_buf_free(&b);
}
END_TEST

static Suite *
metrics_suite(void)
{
  Suite *s = suite_create("metrics");
  TCase *tc = tcase_create("core");

  tcase_add_test(tc, test_metrics_text);
  tcase_add_test(tc, test_metrics_empty);
  tcase_add_test(tc, test_metrics_name_cap);
  tcase_add_test(tc, test_metrics_page_too_small);
  tcase_add_test(tc, test_metrics_tan);
  suite_add_tcase(s, tc);
  return s;
}

int
main(void)
{
  SRunner *sr = srunner_create(metrics_suite());
  int failed;

  srunner_run_all(sr, CK_NORMAL);
  failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
