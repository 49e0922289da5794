/* libFuzzer target: trusted_proxies lists (kc_netaddr_list_parse, as
 * kcd.conf hands them over) and X-Forwarded-For values
 * (kc_netaddr_xff_client, as kcd's web front does), the entry points of
 * tests/unit/test_netaddr.c. Input: the list up to the first newline, then
 * the X-Forwarded-For value (it may hold any byte, NUL too). Checks:
 *  - a refused list is empty; an accepted one has 1..KC_MAX_TRUSTED_PROXIES
 *    networks with their host bits clear, each of which prints as text
 *    that parses back to the same network and matches its own base;
 *  - the client picked is IPv4 or IPv6, not a trusted proxy, prints as
 *    text that parses back to the same address, and no more than
 *    KC_MAX_XFF_HOPS entries were examined; a failure leaves it zero;
 *  - the whole value as one literal: what parses prints and parses back.
 * When the list is refused, a fixed list stands in for the XFF part. */
#include <config.h>

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "kc_err.h"
#include "kc_limits.h"
#include "netaddr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FALLBACK_LIST "127.0.0.1, 10.0.0.0/8, ::1, fd00::/8"

static const struct kc_netaddr zero_addr;

static void
check_round_trip(const struct kc_netaddr *a)
{
  struct kc_netaddr again;
  char text[KC_NETADDR_STRLEN];

  if (a->family != AF_INET && a->family != AF_INET6)
    __builtin_trap();
  kc_netaddr_format(a, text);
  if (kc_netaddr_parse(&again, text, strlen(text)) != 0 ||
    memcmp(&again, a, sizeof(again)) != 0)
    __builtin_trap();
}

static void
check_list(const struct kc_netaddr_list *l)
{
  struct kc_netaddr_list one;
  char text[KC_NETADDR_STRLEN + 8];
  size_t i, n;

  if (l->n == 0 || l->n > KC_MAX_TRUSTED_PROXIES)
    __builtin_trap();
  for (i = 0; i < l->n; i++) {
    kc_netaddr_format(&l->net[i].base, text);
    n = strlen(text);
    snprintf(text + n, sizeof(text) - n, "/%u", l->net[i].prefix);
    if (kc_netaddr_list_parse(&one, text, NULL) != 0 || one.n != 1 ||
      memcmp(&one.net[0], &l->net[i], sizeof(one.net[0])) != 0 ||
      !kc_netaddr_list_match(&one, &l->net[i].base))
      __builtin_trap();
  }
}

static void
check_xff(const struct kc_netaddr_list *l, const char *xff, size_t len)
{
  struct kc_netaddr c;
  size_t hops;
  int r;

  r = kc_netaddr_xff_client(&c, &hops, l, xff, len);
  if (hops > KC_MAX_XFF_HOPS)
    __builtin_trap();
  if (r != 0) {
    if ((r != KC_ERR_NOT_FOUND && r != KC_ERR_INVALID &&
          r != KC_ERR_TOO_LARGE) ||
      memcmp(&c, &zero_addr, sizeof(c)) != 0)
      __builtin_trap();
    return;
  }
  if (hops == 0 || kc_netaddr_list_match(l, &c))
    __builtin_trap();
  check_round_trip(&c);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  struct kc_netaddr_list l;
  struct kc_netaddr_err e;
  struct kc_netaddr a;
  char list[1024];
  const char *nl = memchr(data, '\n', size);
  size_t llen = nl != NULL ? (size_t) (nl - (const char *) data) : size;
  const char *xff = nl != NULL ? nl + 1 : (const char *) data + size;
  size_t xlen = size - (nl != NULL ? llen + 1 : llen);
  int r = KC_ERR_INVALID;

  if (llen >= sizeof(list))
    return 0;
  memcpy(list, data, llen);
  list[llen] = '\0';
  memset(&l, 0, sizeof(l));
  if (memchr(list, '\0', llen) == NULL) {
    r = kc_netaddr_list_parse(&l, list, &e);
    if (r != 0 && (l.n != 0 || e.off > llen || e.len > llen - e.off ||
                    e.why[0] == '\0'))
      __builtin_trap(); /* a refusal is clean and says where and why */
  }
  if (r == 0)
    check_list(&l);
  else if (kc_netaddr_list_parse(&l, FALLBACK_LIST, NULL) != 0)
    __builtin_trap();
  check_xff(&l, xff, xlen);
  if (kc_netaddr_parse(&a, xff, xlen) == 0)
    check_round_trip(&a);
  else if (memcmp(&a, &zero_addr, sizeof(a)) != 0)
    __builtin_trap();
  return 0;
}
