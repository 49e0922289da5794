/*
 * netaddr.c: address literals, trusted_proxies networks and the client
 * behind a trusted proxy (see netaddr.h).
 */
#include <config.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "kc_err.h"
#include "netaddr.h"

_Static_assert(KC_NETADDR_STRLEN >= INET6_ADDRSTRLEN,
               "KC_NETADDR_STRLEN holds any inet_ntop text");

/* Longest literal: IPv6 text, without the NUL. */
#define NETADDR_TEXT_MAX (KC_NETADDR_STRLEN - 1)

/* Longest "/PREFIX": three digits. */
#define NETADDR_PREFIX_DIGITS 3

static const unsigned char v4mapped[12] = {0, 0, 0, 0, 0,    0,
                                           0, 0, 0, 0, 0xff, 0xff};

static bool
is_blank(char ch)
{
  return ch == ' ' || ch == '\t';
}

static unsigned
max_prefix(int family)
{
  return family == AF_INET ? 32 : 128;
}

/* IPv4-mapped IPv6 becomes the IPv4 address. */
static void
unmap(struct kc_netaddr *a)
{
  if (a->family != AF_INET6 || memcmp(a->addr, v4mapped, 12) != 0)
    return;
  a->family = AF_INET;
  memmove(a->addr, a->addr + 12, 4);
  memset(a->addr + 4, 0, 12);
}

/* Parse without unmapping; *mapped tells whether it was IPv4-mapped. */
static int
parse_literal(struct kc_netaddr *a, const char *s, size_t len, bool *mapped)
{
  char text[NETADDR_TEXT_MAX + 1];

  memset(a, 0, sizeof(*a));
  *mapped = false;
  if (len == 0 || len > NETADDR_TEXT_MAX || memchr(s, '\0', len) != NULL)
    return KC_ERR_INVALID;
  memcpy(text, s, len);
  text[len] = '\0';
  a->family = memchr(text, ':', len) != NULL ? AF_INET6 : AF_INET;
  if (inet_pton(a->family, text, a->addr) != 1) {
    memset(a, 0, sizeof(*a));
    return KC_ERR_INVALID;
  }
  *mapped = a->family == AF_INET6 && memcmp(a->addr, v4mapped, 12) == 0;
  return 0;
}

int
kc_netaddr_parse(struct kc_netaddr *a, const char *s, size_t len)
{
  bool mapped;
  int r;

  if (s == NULL) {
    memset(a, 0, sizeof(*a));
    return KC_ERR_INVALID;
  }
  if ((r = parse_literal(a, s, len, &mapped)) != 0)
    return r;
  unmap(a);
  return 0;
}

/* Keep the first prefix bits of a, clear the rest. */
static void
mask(struct kc_netaddr *a, unsigned prefix)
{
  size_t i;

  for (i = 0; i < sizeof(a->addr); i++) {
    if (prefix >= 8) {
      prefix -= 8;
      continue;
    }
    a->addr[i] &= (unsigned char) (0xffu << (8 - prefix));
    prefix = 0;
  }
}

static void
set_why(char *why, size_t whylen, const char *text)
{
  if (why != NULL && whylen > 0)
    snprintf(why, whylen, "%s", text);
}

/* "/PREFIX": decimal, no sign, no leading zero, within the family. */
static int
parse_prefix(const char *s, size_t len, int family, unsigned *prefix, char *why,
             size_t whylen)
{
  unsigned v = 0;
  size_t i;

  if (len == 0 || len > NETADDR_PREFIX_DIGITS || (len > 1 && s[0] == '0')) {
    set_why(why, whylen, "prefix length must be a decimal number");
    return KC_ERR_INVALID;
  }
  for (i = 0; i < len; i++) {
    if (s[i] < '0' || s[i] > '9') {
      set_why(why, whylen, "prefix length must be a decimal number");
      return KC_ERR_INVALID;
    }
    v = v * 10 + (unsigned) (s[i] - '0');
  }
  if (v > max_prefix(family)) {
    if (why != NULL && whylen > 0)
      snprintf(why, whylen, "prefix length must be 0 to %u for %s",
               max_prefix(family), family == AF_INET ? "IPv4" : "IPv6");
    return KC_ERR_RANGE;
  }
  *prefix = v;
  return 0;
}

/* Refuse host bits after the prefix, naming the network meant. */
static int
check_host_bits(const struct kc_netaddr_net *n, char *why, size_t whylen)
{
  struct kc_netaddr m = n->base;
  char text[KC_NETADDR_STRLEN];

  mask(&m, n->prefix);
  if (memcmp(&m, &n->base, sizeof(m)) == 0)
    return 0;
  kc_netaddr_format(&m, text);
  if (why != NULL && whylen > 0)
    snprintf(why, whylen,
             "host bits set after the prefix (the network is "
             "%s/%u)",
             text, n->prefix);
  return KC_ERR_INVALID;
}

static int
net_parse(struct kc_netaddr_net *n, const char *s, size_t len, char *why,
          size_t whylen)
{
  const char *slash = memchr(s, '/', len);
  size_t alen = slash != NULL ? (size_t) (slash - s) : len;
  bool mapped;
  int r;

  if (parse_literal(&n->base, s, alen, &mapped) != 0) {
    set_why(why, whylen, "not an IPv4 or IPv6 address");
    return KC_ERR_INVALID;
  }
  if (mapped) {
    set_why(why, whylen, "IPv4-mapped address; write it as IPv4");
    return KC_ERR_INVALID;
  }
  n->prefix = max_prefix(n->base.family);
  if (slash != NULL &&
      (r = parse_prefix(slash + 1, len - alen - 1, n->base.family, &n->prefix,
                        why, whylen)) != 0)
    return r;
  return check_host_bits(n, why, whylen);
}

int
kc_netaddr_net_parse(struct kc_netaddr_net *n, const char *s, size_t len,
                     char *why, size_t whylen)
{
  int r;

  memset(n, 0, sizeof(*n));
  if (why != NULL && whylen > 0)
    why[0] = '\0';
  if (s == NULL) {
    set_why(why, whylen, "not an IPv4 or IPv6 address");
    return KC_ERR_INVALID;
  }
  r = net_parse(n, s, len, why, whylen);
  if (r != 0)
    memset(n, 0, sizeof(*n));
  return r;
}

static int
list_fail(struct kc_netaddr_list *l, struct kc_netaddr_err *e, int code,
          size_t off, size_t len, const char *why)
{
  memset(l, 0, sizeof(*l));
  if (e != NULL) {
    e->off = off;
    e->len = len;
    if (why != NULL)
      snprintf(e->why, sizeof(e->why), "%s", why);
  }
  return code;
}

/* One entry at s (n bytes), at offset off of the list. */
static int
list_add(struct kc_netaddr_list *l, const char *s, size_t n, size_t off,
         struct kc_netaddr_err *e)
{
  char why[sizeof(e->why)];
  int r;

  if (n == 0)
    return list_fail(l, e, KC_ERR_INVALID, off, 0, "empty entry");
  if (l->n >= KC_MAX_TRUSTED_PROXIES) {
    snprintf(why, sizeof(why), "more than %d entries", KC_MAX_TRUSTED_PROXIES);
    return list_fail(l, e, KC_ERR_RANGE, off, n, why);
  }
  if ((r = kc_netaddr_net_parse(&l->net[l->n], s, n, why, sizeof(why))) != 0)
    return list_fail(l, e, r, off, n, why);
  l->n++;
  return 0;
}

int
kc_netaddr_list_parse(struct kc_netaddr_list *l, const char *s,
                      struct kc_netaddr_err *e)
{
  const char *p = s, *start;
  int r;

  memset(l, 0, sizeof(*l));
  if (e != NULL)
    memset(e, 0, sizeof(*e));
  while (is_blank(*p))
    p++;
  if (*p == '\0')
    return list_fail(l, e, KC_ERR_INVALID, 0, 0, "no entries");
  for (;;) {
    start = p;
    while (*p != '\0' && *p != ',' && !is_blank(*p))
      p++;
    if ((r = list_add(l, start, (size_t) (p - start), (size_t) (start - s),
                      e)) != 0)
      return r;
    while (is_blank(*p))
      p++;
    if (*p == '\0')
      return 0;
    if (*p == ',') {
      p++;
      while (is_blank(*p))
        p++;
      if (*p == '\0')
        return list_fail(l, e, KC_ERR_INVALID, (size_t) (p - s), 0,
                         "empty entry after the last comma");
    }
  }
}

static bool
net_match(const struct kc_netaddr_net *n, const struct kc_netaddr *a)
{
  struct kc_netaddr m;

  if (n->base.family != a->family)
    return false;
  m = *a;
  mask(&m, n->prefix);
  return memcmp(m.addr, n->base.addr, sizeof(m.addr)) == 0;
}

bool
kc_netaddr_list_match(const struct kc_netaddr_list *l,
                      const struct kc_netaddr *a)
{
  size_t i;

  for (i = 0; i < l->n && i < KC_MAX_TRUSTED_PROXIES; i++) {
    if (net_match(&l->net[i], a))
      return true;
  }
  return false;
}

int
kc_netaddr_from_sockaddr(struct kc_netaddr *a, const struct sockaddr *sa)
{
  memset(a, 0, sizeof(*a));
  if (sa->sa_family == AF_INET) {
    const struct sockaddr_in *s4 = (const void *) sa;
    a->family = AF_INET;
    memcpy(a->addr, &s4->sin_addr, 4);
    return 0;
  }
  if (sa->sa_family == AF_INET6) {
    const struct sockaddr_in6 *s6 = (const void *) sa;
    a->family = AF_INET6;
    memcpy(a->addr, &s6->sin6_addr, 16);
    unmap(a);
    return 0;
  }
  return KC_ERR_INVALID;
}

void
kc_netaddr_format(const struct kc_netaddr *a, char out[KC_NETADDR_STRLEN])
{
  if ((a->family != AF_INET && a->family != AF_INET6) ||
      inet_ntop(a->family, a->addr, out, KC_NETADDR_STRLEN) == NULL)
    snprintf(out, KC_NETADDR_STRLEN, "unknown");
}

void
kc_netaddr_limit_key(const struct kc_netaddr *a, char out[KC_NETADDR_KEYLEN])
{
  struct kc_netaddr net = *a;
  size_t n;

  if (a->family != AF_INET6) {
    kc_netaddr_format(a, out);
    return;
  }
  memset(net.addr + KC_NETADDR_IPV6_KEY_PREFIX / 8, 0,
         sizeof(net.addr) - KC_NETADDR_IPV6_KEY_PREFIX / 8);
  kc_netaddr_format(&net, out);
  n = strlen(out);
  snprintf(out + n, KC_NETADDR_KEYLEN - n, "/%u",
           (unsigned) KC_NETADDR_IPV6_KEY_PREFIX);
}

/* One X-Forwarded-For entry: blanks trimmed, "[v6]" unwrapped. */
static int
xff_entry(struct kc_netaddr *a, const char *s, size_t len)
{
  while (len > 0 && is_blank(*s)) {
    s++;
    len--;
  }
  while (len > 0 && is_blank(s[len - 1]))
    len--;
  if (len >= 2 && s[0] == '[' && s[len - 1] == ']') {
    if (memchr(s + 1, ':', len - 2) == NULL)
      return KC_ERR_INVALID; /* brackets are for IPv6 only */
    s++;
    len -= 2;
  }
  return kc_netaddr_parse(a, s, len);
}

/* Start of the entry that ends at end (the byte after the last comma
 * before it, or 0). */
static size_t
xff_entry_start(const char *xff, size_t end)
{
  size_t i = end;

  while (i > 0 && xff[i - 1] != ',')
    i--;
  return i;
}

static bool
xff_blank(const char *xff, size_t len)
{
  size_t i;

  for (i = 0; i < len; i++) {
    if (!is_blank(xff[i]))
      return false;
  }
  return true;
}

int
kc_netaddr_xff_client(struct kc_netaddr *client, size_t *hops,
                      const struct kc_netaddr_list *trusted, const char *xff,
                      size_t len)
{
  struct kc_netaddr a;
  size_t end = len, start, n = 0;
  int r = KC_ERR_NOT_FOUND;

  memset(client, 0, sizeof(*client));
  if (xff == NULL || len == 0 ||
      (len <= KC_MAX_HTTP_HEADER && xff_blank(xff, len)))
    goto out;
  r = KC_ERR_TOO_LARGE;
  if (len > KC_MAX_HTTP_HEADER)
    goto out;
  for (;;) {
    if (n >= KC_MAX_XFF_HOPS) {
      r = KC_ERR_TOO_LARGE;
      break;
    }
    start = xff_entry_start(xff, end);
    n++;
    if ((r = xff_entry(&a, xff + start, end - start)) != 0)
      break;
    if (!kc_netaddr_list_match(trusted, &a)) {
      *client = a;
      break;
    }
    if (start == 0) {
      r = KC_ERR_NOT_FOUND;
      break;
    }
    end = start - 1; /* the comma */
  }
out:
  if (hops != NULL)
    *hops = n;
  return r;
}
