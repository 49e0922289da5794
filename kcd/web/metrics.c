/*
 * metrics.c: event counters and their Prometheus text (see metrics.h).
 */
#include <config.h>

#include <string.h>

#include "metrics.h"
#include "tanflow.h"

void
kc_metrics_init(struct kc_metrics *m)
{
  memset(m->counters, 0, sizeof(m->counters));
  pthread_mutex_init(&m->mu, NULL);
}

void
kc_metrics_count(struct kc_metrics *m, const char *name)
{
  size_t i;

  pthread_mutex_lock(&m->mu);
  for (i = 0; i < KC_METRICS_MAX_COUNTERS; i++) {
    if (m->counters[i].name == NULL)
      m->counters[i].name = name;
    if (strcmp(m->counters[i].name, name) == 0) {
      m->counters[i].value++;
      break;
    }
  }
  pthread_mutex_unlock(&m->mu);
}

int
kc_metrics_write(struct kc_metrics *m, struct kc_buf *out)
{
  size_t i;
  int r;

  r = kc_buf_add_str(out,
                     "# HELP kcd_http_events_total Web front events by kind.\n"
                     "# TYPE kcd_http_events_total counter\n");
  pthread_mutex_lock(&m->mu);
  for (i = 0; r == 0 && i < KC_METRICS_MAX_COUNTERS && m->counters[i].name; i++)
    r = kc_buf_printf(out, "kcd_http_events_total{event=\"%s\"} %lu\n",
                      m->counters[i].name, m->counters[i].value);
  pthread_mutex_unlock(&m->mu);
  return r;
}

int
kc_metrics_write_tan(struct kc_buf *out)
{
  static const char *const methods[] = {"email", "mtan"};
  static const char *const results[] = {
    [KC_TANFLOW_SENT] = "sent",
    [KC_TANFLOW_PENDING] = "pending",
    [KC_TANFLOW_LIMITED] = "limited",
    [KC_TANFLOW_UNDELIVERED] = "undelivered",
    [KC_TANFLOW_FAILED] = "ldap_error",
  };
  size_t i, j;
  int r;

  r = kc_buf_add_str(out, "# HELP kcd_tan_issue_total TANs asked for after a "
                          "right password, by method and outcome.\n"
                          "# TYPE kcd_tan_issue_total counter\n");
  for (i = 0; r == 0 && i < sizeof(methods) / sizeof(methods[0]); i++) {
    for (j = 0; r == 0 && j < sizeof(results) / sizeof(results[0]); j++)
      r =
        kc_buf_printf(out,
                      "kcd_tan_issue_total{method=\"%s\",result=\"%s\"} "
                      "%lu\n",
                      methods[i], results[j],
                      kc_tanflow_issued(methods[i], (enum kc_tanflow_sent) j));
  }
  return r;
}
