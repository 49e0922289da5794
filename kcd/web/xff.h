/*
 * xff.h: who a web request counts as, for rate limits and log lines.
 *
 * The TCP peer; behind a trusted proxy (trusted_proxies) the client that
 * X-Forwarded-For names (every header line joined in order, RFC 9110 5.3,
 * read by kc_netaddr_xff_client). From an untrusted peer the header is
 * ignored, so nobody can choose the address their limits are counted
 * under. An IPv6 client is counted by its /64 (kc_netaddr_limit_key). A
 * header that cannot be used gives the proxy's address and one log line
 * naming the peer and the reason, never the header's content; each reason
 * warns at most once a minute (then debug). Thread-safe.
 */
#ifndef KC_XFF_H
#define KC_XFF_H

#include <stddef.h>

#include "kc_attrs.h"
#include "netaddr.h"

struct MHD_Connection;

/* The client key of connection c into out ("unknown" when the peer
 * cannot be read); trusted may be NULL or empty. */
void kc_http_client_key(struct MHD_Connection *c,
                        const struct kc_netaddr_list *trusted, char *out,
                        size_t outlen) KC_NONNULL(1, 3);

#endif /* KC_XFF_H */
