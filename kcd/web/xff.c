/*
 * xff.c: the client key of a web request, X-Forwarded-For behind a
 * trusted proxy (see xff.h).
 */
#include <config.h>

#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include <microhttpd.h>

#include "xff.h"
#include "kc_buf.h"
#include "kc_err.h"
#include "kc_io.h"
#include "kc_limits.h"
#include "log.h"

/* Every X-Forwarded-For header line, joined with commas in their order
 * (RFC 9110 5.3); over the cap the buffer empties itself and too_large
 * is set. */
struct xff_collect {
  struct kc_buf *b;
  bool too_large;
};

static enum MHD_Result
collect_xff(void *cls, enum MHD_ValueKind kind, const char *key,
            const char *value)
{
  struct xff_collect *x = cls;

  (void) kind;
  if (x->too_large || key == NULL || value == NULL ||
      strcasecmp(key, "X-Forwarded-For") != 0)
    return MHD_YES;
  if ((kc_buf_len(x->b) > 0 && kc_buf_add_str(x->b, ",") != 0) ||
      kc_buf_add_str(x->b, value) != 0) {
    x->too_large = true;
    return MHD_NO;
  }
  return MHD_YES;
}

/* The reasons an X-Forwarded-For value is not used, by index. */
static const char *const xff_reasons[] = {"every entry is a trusted proxy",
                                          "too long or too many trusted hops",
                                          "malformed entry"};

static size_t
xff_reason(int r)
{
  return r == KC_ERR_NOT_FOUND ? 0 : r == KC_ERR_TOO_LARGE ? 1 : 2;
}

/* Any client behind the proxy can send a bad header with every request:
 * each reason is a warning at most once a minute, else a debug line. */
static bool
xff_warn_now(size_t reason)
{
  static _Atomic int64_t last[3];
  int64_t now = kc_io_now_ms(), t = atomic_load(&last[reason]);

  return (t == 0 || now - t >= 60000) &&
         atomic_compare_exchange_strong(&last[reason], &t, now);
}

#define XFF_LOG(reason, fmt, ...)                                              \
  do {                                                                         \
    if (xff_warn_now(reason))                                                  \
      kc_log_warnx(fmt, __VA_ARGS__);                                          \
    else                                                                       \
      kc_log_debug("again: " fmt, __VA_ARGS__);                                \
  } while (0)

/* The client behind a trusted proxy, or the peer when X-Forwarded-For
 * cannot say: one log line then, naming the peer and the reason, never
 * the header's content. */
static void
forwarded_client(struct MHD_Connection *c, const struct kc_netaddr_list *tl,
                 const struct kc_netaddr *peer, struct kc_netaddr *client)
{
  struct kc_buf b;
  struct xff_collect x = {&b, false};
  char ptext[KC_NETADDR_STRLEN];
  size_t hops = 0;
  int r;

  *client = *peer;
  kc_buf_init(&b, KC_MAX_HTTP_HEADER);
  (void) MHD_get_connection_values(c, MHD_HEADER_KIND, collect_xff, &x);
  kc_netaddr_format(peer, ptext);
  if (x.too_large) {
    XFF_LOG(1,
            "X-Forwarded-For unusable, using the proxy address; "
            "peer=%s reason=\"%s\"",
            ptext, xff_reasons[1]);
  } else if (kc_buf_len(&b) == 0) {
    kc_log_debug("no X-Forwarded-For from a trusted proxy, using its "
                 "address; peer=%s",
                 ptext);
  } else if ((r = kc_netaddr_xff_client(client, &hops, tl, kc_buf_get(&b),
                                        kc_buf_len(&b))) != 0) {
    *client = *peer;
    XFF_LOG(xff_reason(r),
            "X-Forwarded-For unusable, using the proxy "
            "address; peer=%s reason=\"%s\" entry=%zu len=%zu",
            ptext, xff_reasons[xff_reason(r)], hops, kc_buf_len(&b));
  }
  kc_buf_free(&b);
}

void
kc_http_client_key(struct MHD_Connection *c, const struct kc_netaddr_list *tl,
                   char *out, size_t outlen)
{
  const union MHD_ConnectionInfo *ci =
    MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
  const struct sockaddr *sa = ci != NULL ? ci->client_addr : NULL;
  struct kc_netaddr peer, client;
  char text[KC_NETADDR_KEYLEN];

  snprintf(out, outlen, "unknown");
  if (sa == NULL || kc_netaddr_from_sockaddr(&peer, sa) != 0)
    return;
  client = peer;
  if (tl != NULL && tl->n > 0 && kc_netaddr_list_match(tl, &peer))
    forwarded_client(c, tl, &peer, &client);
  kc_netaddr_limit_key(&client, text);
  snprintf(out, outlen, "%s", text);
}
