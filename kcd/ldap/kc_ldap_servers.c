/*
 * kc_ldap_servers.c: the servers of ldap_uri and which are skipped
 * (kc_ldap_servers.h).
 */
#include <config.h>

#include <pthread.h>
#include <string.h>

#include "kc_err.h"
#include "kc_ldap_servers.h"

struct server {
  char uri[KC_LDAP_MAX_URI + 1];
  time_t skip_until; /* 0: not skipped */
  unsigned failures;
};

/* Few servers, few changes: one lock. The table only grows (one kcd has
 * one ldap_uri; kcadm one more with --uri), and a URI's slot never moves,
 * so kc_ldap_server_uri() may hand out the string. */
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static struct server table[2 * KC_LDAP_MAX_SERVERS];
static size_t used;
static unsigned skip = KC_LDAP_SKIP_SECONDS;

void
kc_ldap_servers_set_skip(unsigned seconds)
{
  pthread_mutex_lock(&mu);
  skip = seconds > 0 ? seconds : KC_LDAP_SKIP_SECONDS;
  pthread_mutex_unlock(&mu);
}

unsigned
kc_ldap_servers_skip(void)
{
  unsigned s;

  pthread_mutex_lock(&mu);
  s = skip;
  pthread_mutex_unlock(&mu);
  return s;
}

static bool
is_sep(char c)
{
  return c == ' ' || c == '\t' || c == ',';
}

int
kc_ldap_servers_find(const char *uris, struct kc_ldap_servers *s)
{
  const char *p = uris, *start;
  size_t len, i;
  int r = 0;

  s->n = 0;
  pthread_mutex_lock(&mu);
  for (;;) {
    while (is_sep(*p))
      p++;
    if (*p == '\0')
      break;
    start = p;
    while (*p != '\0' && !is_sep(*p))
      p++;
    len = (size_t) (p - start);
    if (len > KC_LDAP_MAX_URI || s->n == KC_LDAP_MAX_SERVERS) {
      r = KC_ERR_INVALID;
      break;
    }
    for (i = 0; i < used; i++)
      if (strlen(table[i].uri) == len && memcmp(table[i].uri, start, len) == 0)
        break;
    if (i == used) {
      if (used == sizeof(table) / sizeof(table[0])) {
        r = KC_ERR_INVALID;
        break;
      }
      memcpy(table[used].uri, start, len);
      table[used].uri[len] = '\0';
      table[used].skip_until = 0;
      table[used].failures = 0;
      used++;
    }
    s->slot[s->n++] = (int) i;
  }
  pthread_mutex_unlock(&mu);
  if (r == 0 && s->n == 0)
    r = KC_ERR_INVALID;
  if (r != 0)
    s->n = 0; /* nothing half-built leaves */
  return r;
}

size_t
kc_ldap_servers_order(const struct kc_ldap_servers *s, uint32_t tried,
                      time_t now, size_t order[KC_LDAP_MAX_SERVERS])
{
  bool skipped[KC_LDAP_MAX_SERVERS];
  size_t i, n = 0;

  pthread_mutex_lock(&mu);
  for (i = 0; i < s->n; i++) {
    struct server *v = &table[s->slot[i]];

    skipped[i] = false;
    if (v->skip_until == 0)
      continue;
    if (now >= v->skip_until)
      v->skip_until = now + skip; /* this caller probes */
    else
      skipped[i] = true;
  }
  pthread_mutex_unlock(&mu);
  for (i = 0; i < s->n; i++)
    if (!(tried & (1u << i)) && !skipped[i])
      order[n++] = i;
  for (i = 0; i < s->n; i++)
    if (!(tried & (1u << i)) && skipped[i])
      order[n++] = i;
  return n;
}

const char *
kc_ldap_server_uri(int slot)
{
  return table[slot].uri;
}

unsigned
kc_ldap_server_failures(int slot)
{
  unsigned f;

  pthread_mutex_lock(&mu);
  f = table[slot].failures;
  pthread_mutex_unlock(&mu);
  return f;
}

bool
kc_ldap_server_failed(int slot, time_t now)
{
  bool was_up;

  pthread_mutex_lock(&mu);
  was_up = table[slot].skip_until == 0;
  table[slot].skip_until = now + skip;
  table[slot].failures++;
  pthread_mutex_unlock(&mu);
  return was_up;
}

bool
kc_ldap_server_answered(int slot)
{
  bool was_skipped;

  pthread_mutex_lock(&mu);
  was_skipped = table[slot].skip_until != 0;
  table[slot].skip_until = 0;
  pthread_mutex_unlock(&mu);
  return was_skipped;
}

bool
kc_ldap_servers_leave(const struct kc_ldap_servers *s, size_t i,
                      unsigned failures, time_t now)
{
  bool leave;
  size_t j;

  pthread_mutex_lock(&mu);
  leave = table[s->slot[i]].failures != failures;
  for (j = 0; j < i && !leave; j++) {
    time_t until = table[s->slot[j]].skip_until;

    leave = until == 0 || now >= until;
  }
  pthread_mutex_unlock(&mu);
  return leave;
}

int
kc_ldap_servers_describe(const struct kc_ldap_servers *s, time_t now,
                         struct kc_buf *out)
{
  size_t i;
  int r = 0;

  for (i = 0; i < s->n && r == 0; i++) {
    bool down;
    char uri[KC_LDAP_MAX_URI + 1];

    pthread_mutex_lock(&mu);
    down =
      table[s->slot[i]].skip_until != 0 && now < table[s->slot[i]].skip_until;
    memcpy(uri, table[s->slot[i]].uri, sizeof(uri));
    pthread_mutex_unlock(&mu);
    r = kc_buf_printf(out, "%s %s\n", uri, down ? "down" : "up");
  }
  return r;
}

int
kc_ldap_servers_metrics(struct kc_buf *out)
{
  size_t i;
  int r;

  r = kc_buf_add_str(out, "# HELP kcd_ldap_server_failures_total Timeouts, "
                          "refused and dropped connections by LDAP server.\n"
                          "# TYPE kcd_ldap_server_failures_total counter\n");
  pthread_mutex_lock(&mu);
  for (i = 0; r == 0 && i < used; i++)
    r = kc_buf_printf(out, "kcd_ldap_server_failures_total{server=\"%s\"} %u\n",
                      table[i].uri, table[i].failures);
  pthread_mutex_unlock(&mu);
  return r;
}

void
kc_ldap_servers_reset(void)
{
  pthread_mutex_lock(&mu);
  memset(table, 0, sizeof(table));
  used = 0;
  skip = KC_LDAP_SKIP_SECONDS;
  pthread_mutex_unlock(&mu);
}
