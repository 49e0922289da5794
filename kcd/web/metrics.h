/*
 * metrics.h: the web front's event counters and their Prometheus text.
 *
 * Counters are named by static strings (kc_http_count, http.h) and only
 * ever go up; the first KC_METRICS_MAX_COUNTERS distinct names are kept,
 * later ones are not counted. They are shown only on the private metrics
 * listener (/metrics), with the process-wide counters of the core (TAN
 * sends, LDAP server failures). Thread-safe.
 */
#ifndef KC_METRICS_H
#define KC_METRICS_H

#include <pthread.h>

#include "kc_attrs.h"
#include "kc_buf.h"

/* Distinct counter names. */
#define KC_METRICS_MAX_COUNTERS 64

struct kc_metrics {
  pthread_mutex_t mu;
  struct {
    const char *name; /* static; NULL: slot unused */
    unsigned long value;
  } counters[KC_METRICS_MAX_COUNTERS];
};

void kc_metrics_init(struct kc_metrics *m) KC_NONNULL(1);

/* One more event called name (a static string). */
void kc_metrics_count(struct kc_metrics *m, const char *name) KC_NONNULL(1, 2);

/* Append every counter in the Prometheus text format. 0 or the
 * kc_buf error (the page is too large). */
int kc_metrics_write(struct kc_metrics *m, struct kc_buf *out) KC_MUST_USE
  KC_NONNULL(1, 2);

/* Append the second factor's counters (kc_tanflow_issued, tanflow.h):
 * kcd_tan_issue_total{method="email|mtan",result="..."} for every
 * outcome of sending a TAN, from PAM and the web alike. 0 or the kc_buf
 * error. */
int kc_metrics_write_tan(struct kc_buf *out) KC_MUST_USE KC_NONNULL(1);

#endif /* KC_METRICS_H */
