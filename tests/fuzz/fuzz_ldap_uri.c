/* libFuzzer target: the ldap_uri list as kcd splits it into servers
 * (kc_ldap_servers_find), and the state kept about them afterwards
 * (kc_ldap_server_failed and _answered, kc_ldap_servers_order, _leave,
 * _describe), driven against a small model of the rules in
 * kc_ldap_servers.h. Input: the list up to the first newline, then pairs
 * of bytes, each an event (failed, answered, order, leave) on one server
 * and a step of the clock. Checks:
 *  - a list is accepted exactly when it has 1..KC_LDAP_MAX_SERVERS
 *    entries (separated by blanks or commas) of at most KC_LDAP_MAX_URI
 *    bytes; each server names its entry, the same URI the same slot;
 *  - the order is every server not yet tried, once, those not skipped
 *    first, and a skipped server whose time is up is probed by one caller
 *    only; failed, answered and leave say what the model says;
 *  - describe gives one "URI up" or "URI down" line per server. */
#include <config.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "kc_buf.h"
#include "kc_err.h"
#include "kc_ldap_servers.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_LIST   (KC_LDAP_MAX_SERVERS * (KC_LDAP_MAX_URI + 2) + 64)
#define MAX_EVENTS 64
#define FUZZ_SKIP  30
#define FUZZ_START 1000

/* The model: per entry of the list, the server's state. */
struct model {
  time_t until[KC_LDAP_MAX_SERVERS];
  unsigned failures[KC_LDAP_MAX_SERVERS];
};

static bool
is_sep(char c)
{
  return c == ' ' || c == '\t' || c == ',';
}

/* Split list as the documentation says; -1 when it must be refused. */
static int
split(const char *list, const char *tok[KC_LDAP_MAX_SERVERS],
      size_t len[KC_LDAP_MAX_SERVERS], size_t *n)
{
  const char *p = list;

  *n = 0;
  for (;;) {
    while (is_sep(*p))
      p++;
    if (*p == '\0')
      return *n > 0 ? 0 : -1;
    if (*n == KC_LDAP_MAX_SERVERS)
      return -1;
    tok[*n] = p;
    while (*p != '\0' && !is_sep(*p))
      p++;
    len[*n] = (size_t) (p - tok[*n]);
    if (len[*n] > KC_LDAP_MAX_URI)
      return -1;
    (*n)++;
  }
}

/* The entry of s whose slot is the slot of entry i, first of them. */
static size_t
first_of(const struct kc_ldap_servers *s, size_t i)
{
  size_t j;

  for (j = 0; j < i; j++)
    if (s->slot[j] == s->slot[i])
      break;
  return j;
}

static void
check_order(const struct kc_ldap_servers *s, struct model *m, uint32_t tried,
            time_t now)
{
  size_t order[KC_LDAP_MAX_SERVERS], want[KC_LDAP_MAX_SERVERS];
  bool skipped[KC_LDAP_MAX_SERVERS];
  size_t i, n, k = 0;

  for (i = 0; i < s->n; i++) {
    size_t f = first_of(s, i);

    skipped[i] = false;
    if (f < i)
      continue; /* the same slot: below */
    if (m->until[f] == 0)
      continue;
    if (now >= m->until[f])
      m->until[f] = now + FUZZ_SKIP;
    else
      skipped[i] = true;
  }
  /* a server listed twice: its later entries see the time its first
   * entry left (a probe given to the first entry skips the others) */
  for (i = 0; i < s->n; i++) {
    size_t f = first_of(s, i);

    if (f < i)
      skipped[i] = m->until[f] != 0 && now < m->until[f];
  }
  for (i = 0; i < s->n; i++)
    if (!(tried & (1u << i)) && !skipped[i])
      want[k++] = i;
  for (i = 0; i < s->n; i++)
    if (!(tried & (1u << i)) && skipped[i])
      want[k++] = i;
  n = kc_ldap_servers_order(s, tried, now, order);
  if (n != k || memcmp(order, want, n * sizeof(order[0])) != 0)
    __builtin_trap();
}

static void
check_describe(const struct kc_ldap_servers *s, const struct model *m,
               time_t now)
{
  struct kc_buf b;
  const char *p;
  size_t i, ulen;

  kc_buf_init(&b, KC_LDAP_MAX_SERVERS * (KC_LDAP_MAX_URI + 8));
  if (kc_ldap_servers_describe(s, now, &b) != 0)
    __builtin_trap();
  p = kc_buf_get(&b);
  for (i = 0; i < s->n; i++) {
    size_t f = first_of(s, i);
    const char *state =
      m->until[f] != 0 && now < m->until[f] ? " down\n" : " up\n";

    ulen = strlen(kc_ldap_server_uri(s->slot[i]));
    if (strncmp(p, kc_ldap_server_uri(s->slot[i]), ulen) != 0 ||
        strncmp(p + ulen, state, strlen(state)) != 0)
      __builtin_trap();
    p += ulen + strlen(state);
  }
  if (*p != '\0')
    __builtin_trap();
  kc_buf_free(&b);
}

static void
run_events(const struct kc_ldap_servers *s, const uint8_t *ev, size_t size)
{
  struct model m;
  time_t now = FUZZ_START;
  size_t e, i, f, j;
  bool leave;

  memset(&m, 0, sizeof(m));
  for (e = 0; e + 1 < size && e < 2 * MAX_EVENTS; e += 2) {
    i = (size_t) (ev[e] >> 2) % s->n;
    f = first_of(s, i);
    now += ev[e + 1] % 64;
    switch (ev[e] & 3) {
      case 0:
        if (kc_ldap_server_failed(s->slot[i], now) != (m.until[f] == 0))
          __builtin_trap();
        m.until[f] = now + FUZZ_SKIP;
        m.failures[f]++;
        if (kc_ldap_server_failures(s->slot[i]) != m.failures[f])
          __builtin_trap();
        break;
      case 1:
        if (kc_ldap_server_answered(s->slot[i]) != (m.until[f] != 0))
          __builtin_trap();
        m.until[f] = 0;
        break;
      case 2:
        check_order(s, &m, (uint32_t) ev[e + 1] << (ev[e] >> 5), now);
        break;
      default:
        leave = m.failures[f] != ev[e + 1] % 4;
        for (j = 0; j < i && !leave; j++) {
          size_t g = first_of(s, j);

          leave = m.until[g] == 0 || now >= m.until[g];
        }
        if (kc_ldap_servers_leave(s, i, ev[e + 1] % 4, now) != leave)
          __builtin_trap();
        break;
    }
  }
  check_describe(s, &m, now);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  static char list[MAX_LIST + 1];
  struct kc_ldap_servers s;
  const char *tok[KC_LDAP_MAX_SERVERS];
  size_t len[KC_LDAP_MAX_SERVERS], n, i, j, llen;
  const uint8_t *nl = memchr(data, '\n', size);
  int r, want;

  llen = nl != NULL ? (size_t) (nl - data) : size;
  if (llen > MAX_LIST)
    return 0;
  memcpy(list, data, llen);
  list[llen] = '\0';
  if (memchr(list, '\0', llen) != NULL)
    return 0; /* kcd.conf refuses NUL bytes before this */
  kc_ldap_servers_reset();
  kc_ldap_servers_set_skip(FUZZ_SKIP);
  want = split(list, tok, len, &n);
  r = kc_ldap_servers_find(list, &s);
  if ((r == 0) != (want == 0) || (r != 0 && r != KC_ERR_INVALID))
    __builtin_trap();
  if (r != 0 && s.n != 0) /* nothing half-built on failure */
    __builtin_trap();
  if (r != 0)
    return 0;
  if (s.n != n)
    __builtin_trap();
  for (i = 0; i < n; i++) {
    const char *uri = kc_ldap_server_uri(s.slot[i]);

    if (strlen(uri) != len[i] || memcmp(uri, tok[i], len[i]) != 0)
      __builtin_trap();
    for (j = 0; j < i; j++)
      if ((s.slot[j] == s.slot[i]) !=
          (len[j] == len[i] && memcmp(tok[j], tok[i], len[i]) == 0))
        __builtin_trap();
  }
  if (nl != NULL)
    run_events(&s, nl + 1, size - llen - 1);
  return 0;
}
