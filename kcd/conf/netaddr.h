/*
 * netaddr.h: IP addresses and networks for trusted_proxies, and the
 * client address behind a trusted reverse proxy (X-Forwarded-For).
 *
 * Pure code on libc alone (inet_pton/inet_ntop): no libmicrohttpd, no
 * logging, no allocation, so tests/unit/test_netaddr.c and
 * tests/fuzz/fuzz_netaddr.c drive it directly.
 *
 * Addresses
 *  - Only numeric literals: IPv4 dotted quad ("192.0.2.1", no leading
 *    zeros, no shorthand) or IPv6 text ("2001:db8::1"), as inet_pton
 *    reads them; no names, no zone ids ("%eth0"), no ports.
 *  - An IPv4-mapped IPv6 address (::ffff:192.0.2.1, what a dual-stack
 *    socket reports for an IPv4 peer) is turned into the IPv4 address, so
 *    one client has one form for matching and for rate-limit keys.
 *
 * Networks (trusted_proxies)
 *  - "ADDRESS" (a single host: /32 or /128) or "ADDRESS/PREFIX" with
 *    PREFIX 0..32 for IPv4 and 0..128 for IPv6, decimal without sign or
 *    leading zeros.
 *  - Host bits set after the prefix ("10.0.0.1/8") are refused, naming
 *    the network that was probably meant: a typo in a trust list should
 *    stop kcd, not widen or narrow the list silently.
 *  - IPv4-mapped IPv6 networks are refused (write them as IPv4): IPv4
 *    peers are matched against the IPv4 entries only.
 *  - A list is entries separated by commas and/or blanks (space, tab),
 *    e.g. "127.0.0.1, ::1 10.0.0.0/8"; an empty entry (",,", a leading or
 *    trailing comma) is an error; at most KC_MAX_TRUSTED_PROXIES.
 *
 * X-Forwarded-For (kc_netaddr_xff_client)
 *  - Each proxy appends the address it got the request from, so the
 *    value is read from the right: entries that are trusted proxies
 *    themselves are skipped, the first one that is not is the client.
 *    Entries left of it were written by the client and are never looked
 *    at. At most KC_MAX_XFF_HOPS entries are examined.
 *  - An entry is an address literal with optional blanks around it; an
 *    IPv6 literal may also be written in brackets ("[2001:db8::1]", as
 *    RFC 7239 does), but never with a port.
 *
 * Thread-safety: no global state; a parsed list is read-only and may be
 * shared by any number of threads.
 */
#ifndef KC_NETADDR_H
#define KC_NETADDR_H

#include <stdbool.h>
#include <stddef.h>

#include "kc_attrs.h"
#include "kc_limits.h"

struct sockaddr;

/* Room for an address in text form, with the NUL (INET6_ADDRSTRLEN). */
#define KC_NETADDR_STRLEN 46

/* An address: AF_INET (the first 4 bytes of addr) or AF_INET6. Bytes in
 * network order; unused bytes are zero. */
struct kc_netaddr {
  int family;
  unsigned char addr[16];
};

/* A network: the address with its host bits clear, and the prefix. */
struct kc_netaddr_net {
  struct kc_netaddr base;
  unsigned prefix;
};

/* A parsed trusted_proxies value; n == 0: none (nothing is trusted). */
struct kc_netaddr_list {
  struct kc_netaddr_net net[KC_MAX_TRUSTED_PROXIES];
  size_t n;
};

/* Where and why kc_netaddr_list_parse() stopped: the entry at s + off
 * (len bytes; len 0 for an empty entry) and a reason in English. */
struct kc_netaddr_err {
  size_t off;
  size_t len;
  char why[96];
};

/*
 * Parse len bytes of s (need not be NUL-terminated) as one address
 * literal, without blanks, brackets or prefix. Returns 0 or
 * KC_ERR_INVALID; *a is all zero on failure.
 */
int kc_netaddr_parse(struct kc_netaddr *a, const char *s,
                     size_t len) KC_MUST_USE KC_NONNULL(1);

/*
 * Parse len bytes of s as "ADDRESS" or "ADDRESS/PREFIX". Returns 0,
 * KC_ERR_INVALID (not an address, bad prefix syntax, host bits set,
 * IPv4-mapped) or KC_ERR_RANGE (prefix too long for the family), with a
 * reason in why (whylen bytes, may be NULL/0); *n is all zero on failure.
 */
int kc_netaddr_net_parse(struct kc_netaddr_net *n, const char *s, size_t len,
                         char *why, size_t whylen) KC_MUST_USE KC_NONNULL(1);

/*
 * Parse the NUL-terminated list s into l (see the top comment). Returns
 * 0, KC_ERR_INVALID (a bad or empty entry, or no entry at all) or
 * KC_ERR_RANGE (a prefix out of range, more than KC_MAX_TRUSTED_PROXIES
 * entries), with the place and reason in *e when e is not NULL. On
 * failure l is empty.
 */
int kc_netaddr_list_parse(struct kc_netaddr_list *l, const char *s,
                          struct kc_netaddr_err *e) KC_MUST_USE
  KC_NONNULL(1, 2);

/* Is a inside one of the networks of l? false for an empty list. */
bool kc_netaddr_list_match(const struct kc_netaddr_list *l,
                           const struct kc_netaddr *a) KC_NONNULL(1, 2);

/* The address of an AF_INET or AF_INET6 socket address (IPv4-mapped
 * becomes IPv4). 0 or KC_ERR_INVALID (other family); *a zero then. */
int kc_netaddr_from_sockaddr(struct kc_netaddr *a,
                             const struct sockaddr *sa) KC_MUST_USE
  KC_NONNULL(1, 2);

/* The canonical text form (inet_ntop: lower case, "::" shortening) into
 * out; "unknown" for an address of no known family. */
void kc_netaddr_format(const struct kc_netaddr *a, char out[KC_NETADDR_STRLEN])
  KC_NONNULL(1, 2);

/* Room for a rate-limit key in text form ("2001:db8:1:2::/64"). */
#define KC_NETADDR_KEYLEN (KC_NETADDR_STRLEN + 4)
/* KC_NETADDR_IPV6_KEY_PREFIX: an IPv6 client is counted by its /64, the
 * smallest network a provider hands out (RFC 6177): one customer line
 * holds 2^64 addresses, so counting them one by one limits nothing. */
#define KC_NETADDR_IPV6_KEY_PREFIX 64

/* What rate limits count a client under: the IPv4 address as text, or
 * the /64 network of an IPv6 address ("2001:db8:1:2::/64"); "unknown"
 * as kc_netaddr_format. */
void kc_netaddr_limit_key(const struct kc_netaddr *a,
                          char out[KC_NETADDR_KEYLEN]) KC_NONNULL(1, 2);

/*
 * The client behind trusted proxies, from the X-Forwarded-For value xff
 * (len bytes, need not be NUL-terminated; several header lines joined
 * with commas in their order). Call it only when the TCP peer itself is
 * in trusted. Returns 0 with the client in *client, or:
 *   KC_ERR_NOT_FOUND  the value is empty or blank, or every entry is a
 *                     trusted proxy;
 *   KC_ERR_INVALID    an entry examined is empty or not an address
 *                     literal (a port, a name, "unknown", garbage);
 *   KC_ERR_TOO_LARGE  len is over KC_MAX_HTTP_HEADER, or more than
 *                     KC_MAX_XFF_HOPS trailing entries are trusted.
 * *client is all zero on failure; *hops (when not NULL) is the number of
 * entries examined, for the caller's log line.
 */
int kc_netaddr_xff_client(struct kc_netaddr *client, size_t *hops,
                          const struct kc_netaddr_list *trusted,
                          const char *xff, size_t len) KC_MUST_USE
  KC_NONNULL(1, 3);

#endif /* KC_NETADDR_H */
