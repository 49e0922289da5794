/* Unit tests for kcd/conf/netaddr.c: address literals, trusted_proxies
 * networks and lists, matching, and the client picked from an
 * X-Forwarded-For value (known answers in tables). */
#include <config.h>

#include <check.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "kc_err.h"
#include "kc_limits.h"
#include "netaddr.h"

static const struct kc_netaddr zero_addr;

static int
parse_str(struct kc_netaddr *a, const char *s)
{
  return kc_netaddr_parse(a, s, strlen(s));
}

static void
text_of(const struct kc_netaddr *a, char out[KC_NETADDR_STRLEN])
{
  kc_netaddr_format(a, out);
}

static void
list_of(struct kc_netaddr_list *l, const char *s)
{
  struct kc_netaddr_err e;
  int r = kc_netaddr_list_parse(l, s, &e);

  ck_assert_msg(r == 0, "%s: %d %s", s, r, e.why);
}

/* ------------------------------------------------------------ literals */

static const struct {
  const char *in;
  int rc;
  int family;
  const char *canon; /* kc_netaddr_format of the result */
} literal_cases[] = {
  {"192.0.2.1", 0, AF_INET, "192.0.2.1"},
  {"0.0.0.0", 0, AF_INET, "0.0.0.0"},
  {"255.255.255.255", 0, AF_INET, "255.255.255.255"},
  {"2001:db8::1", 0, AF_INET6, "2001:db8::1"},
  {"2001:DB8:0:0::1", 0, AF_INET6, "2001:db8::1"},
  {"::1", 0, AF_INET6, "::1"},
  {"::", 0, AF_INET6, "::"},
  {"::ffff:192.0.2.7", 0, AF_INET, "192.0.2.7"}, /* mapped: IPv4 */
  {"::FFFF:c000:0207", 0, AF_INET, "192.0.2.7"},
  {"1111:2222:3333:4444:5555:6666:255.255.255.255", 0, AF_INET6,
    "1111:2222:3333:4444:5555:6666:ffff:ffff"},
  {"", KC_ERR_INVALID, 0, NULL},
  {"192.0.2", KC_ERR_INVALID, 0, NULL},
  {"192.0.2.256", KC_ERR_INVALID, 0, NULL},
  {"192.0.2.01", KC_ERR_INVALID, 0, NULL},
  {"0x7f.0.0.1", KC_ERR_INVALID, 0, NULL},
  {"127.1", KC_ERR_INVALID, 0, NULL},
  {" 192.0.2.1", KC_ERR_INVALID, 0, NULL},
  {"192.0.2.1 ", KC_ERR_INVALID, 0, NULL},
  {"192.0.2.1:80", KC_ERR_INVALID, 0, NULL},
  {"[::1]", KC_ERR_INVALID, 0, NULL},
  {"fe80::1%eth0", KC_ERR_INVALID, 0, NULL},
  {"2001:db8::1::2", KC_ERR_INVALID, 0, NULL},
  {"localhost", KC_ERR_INVALID, 0, NULL},
  {"unknown", KC_ERR_INVALID, 0, NULL},
  {"10.0.0.0/8", KC_ERR_INVALID, 0, NULL},
  {"1111:2222:3333:4444:5555:6666:7777:8888:9999", KC_ERR_INVALID, 0, NULL},
  {"1111:2222:3333:4444:5555:6666:255.255.255.255x", KC_ERR_INVALID, 0,
    NULL},
};

START_TEST(test_netaddr_literal_table)
{
  struct kc_netaddr a;
  char text[KC_NETADDR_STRLEN];
  int rc;

  memset(&a, 0x55, sizeof(a));
  rc = parse_str(&a, literal_cases[_i].in);
  ck_assert_msg(rc == literal_cases[_i].rc, "\"%s\": rc %d",
    literal_cases[_i].in, rc);
  if (rc != 0) {
    ck_assert(memcmp(&a, &zero_addr, sizeof(a)) == 0);
    return;
  }
  ck_assert_int_eq(a.family, literal_cases[_i].family);
  text_of(&a, text);
  ck_assert_str_eq(text, literal_cases[_i].canon);
}
END_TEST

START_TEST(test_netaddr_literal_bounds)
{
  struct kc_netaddr a;
  char buf[128];

  /* not NUL-terminated: only len bytes count */
  memcpy(buf, "192.0.2.1999", 12);
  ck_assert_int_eq(kc_netaddr_parse(&a, buf, 9), 0);
  ck_assert_int_eq(a.family, AF_INET);
  /* an embedded NUL is refused, not cut */
  ck_assert_int_eq(kc_netaddr_parse(&a, "192.0.2.1\0x", 11), KC_ERR_INVALID);
  /* longer than any literal */
  memset(buf, '1', sizeof(buf));
  ck_assert_int_eq(kc_netaddr_parse(&a, buf, sizeof(buf)), KC_ERR_INVALID);
  ck_assert_int_eq(kc_netaddr_parse(&a, NULL, 0), KC_ERR_INVALID);
}
END_TEST

START_TEST(test_netaddr_from_sockaddr)
{
  struct sockaddr_in s4;
  struct sockaddr_in6 s6;
  struct sockaddr_storage ss;
  struct kc_netaddr a;
  char text[KC_NETADDR_STRLEN];

  memset(&s4, 0, sizeof(s4));
  s4.sin_family = AF_INET;
  s4.sin_addr.s_addr = htonl(0x7f000001);
  ck_assert_int_eq(kc_netaddr_from_sockaddr(&a, (struct sockaddr *) &s4), 0);
  text_of(&a, text);
  ck_assert_str_eq(text, "127.0.0.1");

  memset(&s6, 0, sizeof(s6));
  s6.sin6_family = AF_INET6;
  s6.sin6_addr.s6_addr[15] = 1;
  ck_assert_int_eq(kc_netaddr_from_sockaddr(&a, (struct sockaddr *) &s6), 0);
  text_of(&a, text);
  ck_assert_str_eq(text, "::1");

  /* a dual-stack socket reports an IPv4 peer as ::ffff:a.b.c.d */
  s6.sin6_addr.s6_addr[10] = 0xff;
  s6.sin6_addr.s6_addr[11] = 0xff;
  s6.sin6_addr.s6_addr[12] = 127;
  ck_assert_int_eq(kc_netaddr_from_sockaddr(&a, (struct sockaddr *) &s6), 0);
  ck_assert_int_eq(a.family, AF_INET);
  text_of(&a, text);
  ck_assert_str_eq(text, "127.0.0.1");

  memset(&ss, 0, sizeof(ss));
  ss.ss_family = AF_UNIX;
  ck_assert_int_eq(kc_netaddr_from_sockaddr(&a, (struct sockaddr *) &ss),
    KC_ERR_INVALID);
  ck_assert(memcmp(&a, &zero_addr, sizeof(a)) == 0);
  text_of(&a, text);
  ck_assert_str_eq(text, "unknown");
}
END_TEST

/* ------------------------------------------------------------ networks */

static const struct {
  const char *in;
  int rc;
  unsigned prefix;
  const char *why; /* piece of the reason */
} net_cases[] = {
  {"127.0.0.1", 0, 32, NULL},
  {"::1", 0, 128, NULL},
  {"10.0.0.0/8", 0, 8, NULL},
  {"0.0.0.0/0", 0, 0, NULL},
  {"192.0.2.128/25", 0, 25, NULL},
  {"192.0.2.1/32", 0, 32, NULL},
  {"2001:db8::/32", 0, 32, NULL},
  {"::/0", 0, 0, NULL},
  {"2001:db8::1/128", 0, 128, NULL},
  {"fd00::/7", KC_ERR_INVALID, 0, "the network is fc00::/7"},
  {"10.0.0.1/8", KC_ERR_INVALID, 0, "the network is 10.0.0.0/8"},
  {"192.0.2.1/24", KC_ERR_INVALID, 0, "the network is 192.0.2.0/24"},
  {"10.0.0.0/33", KC_ERR_RANGE, 0, "0 to 32 for IPv4"},
  {"2001:db8::/129", KC_ERR_RANGE, 0, "0 to 128 for IPv6"},
  {"10.0.0.0/999", KC_ERR_RANGE, 0, "0 to 32"},
  {"10.0.0.0/1000", KC_ERR_INVALID, 0, "decimal number"},
  {"10.0.0.0/", KC_ERR_INVALID, 0, "decimal number"},
  {"10.0.0.0/08", KC_ERR_INVALID, 0, "decimal number"},
  {"10.0.0.0/+8", KC_ERR_INVALID, 0, "decimal number"},
  {"10.0.0.0/-8", KC_ERR_INVALID, 0, "decimal number"},
  {"10.0.0.0/8/8", KC_ERR_INVALID, 0, "decimal number"},
  {"10.0.0.0/ 8", KC_ERR_INVALID, 0, "decimal number"},
  {"/8", KC_ERR_INVALID, 0, "not an IPv4 or IPv6 address"},
  {"10.0.0/8", KC_ERR_INVALID, 0, "not an IPv4 or IPv6 address"},
  {"proxy.example.org", KC_ERR_INVALID, 0, "not an IPv4 or IPv6 address"},
  {"[::1]", KC_ERR_INVALID, 0, "not an IPv4 or IPv6 address"},
  {"::ffff:127.0.0.1", KC_ERR_INVALID, 0, "write it as IPv4"},
  {"::ffff:0:0/96", KC_ERR_INVALID, 0, "write it as IPv4"},
};

START_TEST(test_netaddr_net_table)
{
  struct kc_netaddr_net n;
  char why[96];
  int rc;

  rc = kc_netaddr_net_parse(&n, net_cases[_i].in, strlen(net_cases[_i].in),
    why, sizeof(why));
  ck_assert_msg(rc == net_cases[_i].rc, "\"%s\": rc %d (%s)", net_cases[_i].in,
    rc, why);
  if (rc == 0) {
    ck_assert_uint_eq(n.prefix, net_cases[_i].prefix);
    ck_assert_str_eq(why, "");
  } else {
    ck_assert_uint_eq(n.prefix, 0);
    ck_assert_int_eq(n.base.family, 0);
  }
  if (net_cases[_i].why != NULL)
    ck_assert_msg(strstr(why, net_cases[_i].why) != NULL,
      "\"%s\": reason \"%s\" lacks \"%s\"", net_cases[_i].in, why,
      net_cases[_i].why);
}
END_TEST

/* ------------------------------------------------------------ lists */

static const struct {
  const char *in;
  int rc;
  size_t n;           /* entries on success */
  const char *entry;  /* on failure: the entry named (NULL: empty one) */
  const char *why;    /* on failure: piece of the reason */
} list_cases[] = {
  {"127.0.0.1", 0, 1, NULL, NULL},
  {"127.0.0.1, ::1, 10.0.0.0/8", 0, 3, NULL, NULL},
  {"127.0.0.1 ::1\t10.0.0.0/8", 0, 3, NULL, NULL},
  {"127.0.0.1,::1", 0, 2, NULL, NULL},
  {"  127.0.0.1 ,\t::1  ", 0, 2, NULL, NULL},
  {"127.0.0.1 127.0.0.1", 0, 2, NULL, NULL}, /* duplicates are harmless */
  {"", KC_ERR_INVALID, 0, NULL, "no entries"},
  {"   ", KC_ERR_INVALID, 0, NULL, "no entries"},
  {",", KC_ERR_INVALID, 0, NULL, "empty entry"},
  {",127.0.0.1", KC_ERR_INVALID, 0, NULL, "empty entry"},
  {"127.0.0.1,", KC_ERR_INVALID, 0, NULL, "empty entry"},
  {"127.0.0.1, ", KC_ERR_INVALID, 0, NULL, "empty entry"},
  {"127.0.0.1,,::1", KC_ERR_INVALID, 0, NULL, "empty entry"},
  {"127.0.0.1, , ::1", KC_ERR_INVALID, 0, NULL, "empty entry"},
  {"127.0.0.1;::1", KC_ERR_INVALID, 0, "127.0.0.1;::1", "not an IPv4"},
  {"127.0.0.1 localhost", KC_ERR_INVALID, 0, "localhost", "not an IPv4"},
  {"::1, 10.0.0.1/8", KC_ERR_INVALID, 0, "10.0.0.1/8", "host bits"},
  {"::1 10.0.0.0/40", KC_ERR_RANGE, 0, "10.0.0.0/40", "0 to 32"},
};

START_TEST(test_netaddr_list_table)
{
  struct kc_netaddr_list l;
  struct kc_netaddr_err e;
  int rc;

  rc = kc_netaddr_list_parse(&l, list_cases[_i].in, &e);
  ck_assert_msg(rc == list_cases[_i].rc, "\"%s\": rc %d (%s)",
    list_cases[_i].in, rc, e.why);
  if (rc == 0) {
    ck_assert_uint_eq(l.n, list_cases[_i].n);
    return;
  }
  ck_assert_uint_eq(l.n, 0);
  ck_assert_msg(strstr(e.why, list_cases[_i].why) != NULL,
    "\"%s\": reason \"%s\" lacks \"%s\"", list_cases[_i].in, e.why,
    list_cases[_i].why);
  ck_assert_uint_le(e.off + e.len, strlen(list_cases[_i].in));
  if (list_cases[_i].entry == NULL) {
    ck_assert_uint_eq(e.len, 0);
  } else {
    ck_assert_uint_eq(e.len, strlen(list_cases[_i].entry));
    ck_assert(memcmp(list_cases[_i].in + e.off, list_cases[_i].entry,
                e.len) == 0);
  }
}
END_TEST

START_TEST(test_netaddr_list_limit)
{
  struct kc_netaddr_list l;
  struct kc_netaddr_err e;
  char text[KC_MAX_TRUSTED_PROXIES * 16 + 32];
  size_t n = 0, i;

  for (i = 0; i < KC_MAX_TRUSTED_PROXIES; i++)
    n += (size_t) snprintf(text + n, sizeof(text) - n, "%s10.0.%zu.1",
      i > 0 ? ", " : "", i);
  list_of(&l, text);
  ck_assert_uint_eq(l.n, KC_MAX_TRUSTED_PROXIES);
  snprintf(text + n, sizeof(text) - n, " 192.0.2.1");
  ck_assert_int_eq(kc_netaddr_list_parse(&l, text, &e), KC_ERR_RANGE);
  ck_assert_uint_eq(l.n, 0);
  ck_assert_ptr_nonnull(strstr(e.why, "more than 32 entries"));
  ck_assert(memcmp(text + e.off, "192.0.2.1", e.len) == 0);
  /* no error struct: still a clean failure */
  ck_assert_int_eq(kc_netaddr_list_parse(&l, "x", NULL), KC_ERR_INVALID);
}
END_TEST

/* ------------------------------------------------------------ matching */

static const struct {
  const char *addr;
  bool match;
} match_cases[] = {
  {"127.0.0.1", true},
  {"127.0.0.2", false},
  {"10.1.2.3", true},
  {"10.255.255.255", true},
  {"11.0.0.0", false},
  {"9.255.255.255", false},
  {"192.0.2.129", true},
  {"192.0.2.255", true},
  {"192.0.2.127", false},
  {"::1", true},
  {"::2", false},
  {"2001:db8:abcd::7", true},
  {"2001:db8:abce::7", false},
  {"::ffff:10.9.8.7", true},     /* mapped: matched as IPv4 */
  {"::ffff:127.0.0.2", false},
  {"::a00:1", false},            /* v4-compatible is IPv6, not 10.0.0.1 */
  {"fe80::1", false},
};

START_TEST(test_netaddr_match_table)
{
  struct kc_netaddr_list l;
  struct kc_netaddr a;

  list_of(&l, "127.0.0.1, 10.0.0.0/8 192.0.2.128/25 ::1 2001:db8:abcd::/48");
  ck_assert_int_eq(parse_str(&a, match_cases[_i].addr), 0);
  ck_assert_msg(kc_netaddr_list_match(&l, &a) == match_cases[_i].match,
    "%s", match_cases[_i].addr);
}
END_TEST

START_TEST(test_netaddr_match_edges)
{
  struct kc_netaddr_list l;
  struct kc_netaddr a;

  memset(&l, 0, sizeof(l));
  ck_assert_int_eq(parse_str(&a, "127.0.0.1"), 0);
  ck_assert(!kc_netaddr_list_match(&l, &a)); /* empty: nothing trusted */
  list_of(&l, "0.0.0.0/0");
  ck_assert(kc_netaddr_list_match(&l, &a));
  ck_assert_int_eq(parse_str(&a, "::1"), 0);
  ck_assert(!kc_netaddr_list_match(&l, &a)); /* families never mix */
  list_of(&l, "::/0");
  ck_assert(kc_netaddr_list_match(&l, &a));
  ck_assert_int_eq(parse_str(&a, "127.0.0.1"), 0);
  ck_assert(!kc_netaddr_list_match(&l, &a));
}
END_TEST

/* ------------------------------------------------------------ XFF */

#define TRUSTED "127.0.0.1, 10.0.0.0/8, ::1"

static const struct {
  const char *xff;
  int rc;
  const char *client; /* on success */
  size_t hops;        /* entries examined */
} xff_cases[] = {
  /* the last untrusted entry from the right is the client */
  {"192.0.2.1", 0, "192.0.2.1", 1},
  {"  192.0.2.1\t", 0, "192.0.2.1", 1},
  {"192.0.2.1, 10.0.0.5", 0, "192.0.2.1", 2},
  {"198.51.100.9, 192.0.2.1", 0, "192.0.2.1", 1},
  {"198.51.100.9,192.0.2.1,10.1.1.1,127.0.0.1", 0, "192.0.2.1", 3},
  /* what the client wrote on the left is never read */
  {"garbage, 192.0.2.1", 0, "192.0.2.1", 1},
  {"unknown,,, 192.0.2.1, 10.0.0.5", 0, "192.0.2.1", 2},
  {"10.0.0.1, 192.0.2.1", 0, "192.0.2.1", 1}, /* forged "proxy" left */
  /* IPv6, in brackets too; canonical text; mapped becomes IPv4 */
  {"2001:DB8:0::1", 0, "2001:db8::1", 1},
  {"[2001:db8::1]", 0, "2001:db8::1", 1},
  {" [2001:db8::1] , ::1", 0, "2001:db8::1", 2},
  {"::ffff:192.0.2.5", 0, "192.0.2.5", 1},
  {"::ffff:10.0.0.5, ::1", KC_ERR_NOT_FOUND, NULL, 2},
  /* nothing usable */
  {"", KC_ERR_NOT_FOUND, NULL, 0},
  {"  \t ", KC_ERR_NOT_FOUND, NULL, 0},
  {"127.0.0.1", KC_ERR_NOT_FOUND, NULL, 1},
  {"10.0.0.1, 10.0.0.2, ::1", KC_ERR_NOT_FOUND, NULL, 3},
  {"192.0.2.1,", KC_ERR_INVALID, NULL, 1},
  {"192.0.2.1, ", KC_ERR_INVALID, NULL, 1},
  {"192.0.2.1,, 10.0.0.1", KC_ERR_INVALID, NULL, 2},
  {",", KC_ERR_INVALID, NULL, 1},
  {"unknown", KC_ERR_INVALID, NULL, 1},
  {"192.0.2.1:4711", KC_ERR_INVALID, NULL, 1},
  {"[2001:db8::1]:4711", KC_ERR_INVALID, NULL, 1},
  {"[192.0.2.1]", KC_ERR_INVALID, NULL, 1},
  {"[2001:db8::1", KC_ERR_INVALID, NULL, 1},
  {"2001:db8::1]", KC_ERR_INVALID, NULL, 1},
  {"[]", KC_ERR_INVALID, NULL, 1},
  {"client.example.org", KC_ERR_INVALID, NULL, 1},
  {"192.0.2.1 192.0.2.2", KC_ERR_INVALID, NULL, 1},
  {"fe80::1%eth0", KC_ERR_INVALID, NULL, 1},
  {"192.0.2.1, bogus, 10.0.0.1", KC_ERR_INVALID, NULL, 2},
  {"_gazonk", KC_ERR_INVALID, NULL, 1},
  {"\"192.0.2.1\"", KC_ERR_INVALID, NULL, 1},
  {"192.0.2.1\r\n", KC_ERR_INVALID, NULL, 1},
};

START_TEST(test_netaddr_xff_table)
{
  struct kc_netaddr_list l;
  struct kc_netaddr c;
  char text[KC_NETADDR_STRLEN];
  size_t hops = 99;
  int rc;

  list_of(&l, TRUSTED);
  memset(&c, 0x55, sizeof(c));
  rc = kc_netaddr_xff_client(&c, &hops, &l, xff_cases[_i].xff,
    strlen(xff_cases[_i].xff));
  ck_assert_msg(rc == xff_cases[_i].rc, "\"%s\": rc %d", xff_cases[_i].xff,
    rc);
  ck_assert_msg(hops == xff_cases[_i].hops, "\"%s\": %zu hops",
    xff_cases[_i].xff, hops);
  if (rc != 0) {
    ck_assert(memcmp(&c, &zero_addr, sizeof(c)) == 0);
    return;
  }
  text_of(&c, text);
  ck_assert_str_eq(text, xff_cases[_i].client);
  ck_assert(!kc_netaddr_list_match(&l, &c));
}
END_TEST

START_TEST(test_netaddr_xff_untrusted_list)
{
  struct kc_netaddr_list none;
  struct kc_netaddr c;
  char text[KC_NETADDR_STRLEN];

  /* with nothing trusted the rightmost entry is the client; xff.c does
   * not even ask unless the peer is trusted */
  memset(&none, 0, sizeof(none));
  ck_assert_int_eq(kc_netaddr_xff_client(&c, NULL, &none,
                     "192.0.2.1, 127.0.0.1", 20),
    0);
  text_of(&c, text);
  ck_assert_str_eq(text, "127.0.0.1");
  ck_assert_int_eq(kc_netaddr_xff_client(&c, NULL, &none, NULL, 0),
    KC_ERR_NOT_FOUND);
}
END_TEST

START_TEST(test_netaddr_xff_hop_limit)
{
  struct kc_netaddr_list l;
  struct kc_netaddr c;
  char text[1024];
  size_t n = 0, i, hops;

  list_of(&l, TRUSTED);
  n += (size_t) snprintf(text, sizeof(text), "192.0.2.1");
  for (i = 0; i + 1 < KC_MAX_XFF_HOPS; i++)
    n += (size_t) snprintf(text + n, sizeof(text) - n, ", 10.0.0.%zu", i);
  /* the client is exactly the last entry that may be examined */
  ck_assert_int_eq(kc_netaddr_xff_client(&c, &hops, &l, text, n), 0);
  ck_assert_uint_eq(hops, KC_MAX_XFF_HOPS);
  kc_netaddr_format(&c, text + n + 1);
  ck_assert_str_eq(text + n + 1, "192.0.2.1");
  /* one trusted hop more and it is out of reach */
  n += (size_t) snprintf(text + n, sizeof(text) - n, ", 10.0.0.99");
  ck_assert_int_eq(kc_netaddr_xff_client(&c, &hops, &l, text, n),
    KC_ERR_TOO_LARGE);
  ck_assert_uint_eq(hops, KC_MAX_XFF_HOPS);
}
END_TEST

START_TEST(test_netaddr_xff_length_limit)
{
  struct kc_netaddr_list l;
  struct kc_netaddr c;
  static char big[KC_MAX_HTTP_HEADER + 16];
  size_t n;

  list_of(&l, TRUSTED);
  memset(big, ' ', sizeof(big));
  n = KC_MAX_HTTP_HEADER - 9;
  memcpy(big + n, "192.0.2.1", 9);
  ck_assert_int_eq(kc_netaddr_xff_client(&c, NULL, &l, big,
                     KC_MAX_HTTP_HEADER),
    0);
  memcpy(big + n + 1, "192.0.2.1", 9);
  ck_assert_int_eq(kc_netaddr_xff_client(&c, NULL, &l, big,
                     KC_MAX_HTTP_HEADER + 1),
    KC_ERR_TOO_LARGE);
  ck_assert(memcmp(&c, &zero_addr, sizeof(c)) == 0);
  /* only len bytes count: the rest of the buffer is not read */
  ck_assert_int_eq(kc_netaddr_xff_client(&c, NULL, &l, "192.0.2.1, 10.0.0.1x",
                     19),
    0);
  /* an embedded NUL is malformed */
  ck_assert_int_eq(kc_netaddr_xff_client(&c, NULL, &l, "192.0.2.1\0", 10),
    KC_ERR_INVALID);
}
END_TEST

/* Rate limits count an IPv6 client by its /64: every address of one
 * customer line gives one key; IPv4 stays the address. */
static const struct {
  const char *addr;
  const char *key;
} limit_key_cases[] = {
  {"192.0.2.1", "192.0.2.1"},
  {"::ffff:192.0.2.1", "192.0.2.1"},
  {"2001:db8:1:2::1", "2001:db8:1:2::/64"},
  {"2001:db8:1:2:ffff:ffff:ffff:ffff", "2001:db8:1:2::/64"},
  {"2001:db8:1:2:a:b:c:d", "2001:db8:1:2::/64"},
  {"2001:db8:1:3::1", "2001:db8:1:3::/64"},
  {"::1", "::/64"},
  {"fe80::1", "fe80::/64"},
  {"ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "ffff:ffff:ffff:ffff::/64"},
};

START_TEST(test_netaddr_limit_key_table)
{
  struct kc_netaddr a;
  char key[KC_NETADDR_KEYLEN];

  ck_assert_int_eq(parse_str(&a, limit_key_cases[_i].addr), 0);
  kc_netaddr_limit_key(&a, key);
  ck_assert_str_eq(key, limit_key_cases[_i].key);
}
END_TEST

START_TEST(test_netaddr_limit_key_unknown)
{
  char key[KC_NETADDR_KEYLEN];

  kc_netaddr_limit_key(&zero_addr, key);
  ck_assert_str_eq(key, "unknown");
}
END_TEST

static Suite *
netaddr_suite(void)
{
  Suite *s = suite_create("netaddr");
  TCase *tc = tcase_create("core");

  tcase_add_loop_test(tc, test_netaddr_literal_table, 0,
    (int) (sizeof(literal_cases) / sizeof(literal_cases[0])));
  tcase_add_test(tc, test_netaddr_literal_bounds);
  tcase_add_test(tc, test_netaddr_from_sockaddr);
  tcase_add_loop_test(tc, test_netaddr_net_table, 0,
    (int) (sizeof(net_cases) / sizeof(net_cases[0])));
  tcase_add_loop_test(tc, test_netaddr_list_table, 0,
    (int) (sizeof(list_cases) / sizeof(list_cases[0])));
  tcase_add_test(tc, test_netaddr_list_limit);
  tcase_add_loop_test(tc, test_netaddr_match_table, 0,
    (int) (sizeof(match_cases) / sizeof(match_cases[0])));
  tcase_add_test(tc, test_netaddr_match_edges);
  tcase_add_loop_test(tc, test_netaddr_xff_table, 0,
    (int) (sizeof(xff_cases) / sizeof(xff_cases[0])));
  tcase_add_test(tc, test_netaddr_xff_untrusted_list);
  tcase_add_test(tc, test_netaddr_xff_hop_limit);
  tcase_add_test(tc, test_netaddr_xff_length_limit);
  tcase_add_loop_test(tc, test_netaddr_limit_key_table, 0,
    (int) (sizeof(limit_key_cases) / sizeof(limit_key_cases[0])));
  tcase_add_test(tc, test_netaddr_limit_key_unknown);
  suite_add_tcase(s, tc);
  return s;
}

int
main(void)
{
  SRunner *sr = srunner_create(netaddr_suite());
  int failed;

  srunner_run_all(sr, CK_NORMAL);
  failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
