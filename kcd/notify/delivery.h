/*
 * delivery.h: what the mail and SMS transports (mail.c, sms.c) share:
 * the process-wide start-up of libcurl and libsodium, the options every
 * libcurl handle gets, error texts and a careful write().
 *
 * Start-up: the daemon calls kc_delivery_global_init() once in main(),
 * before it starts any thread and before kc_mail_send()/kc_sms_send() run
 * (curl_global_init() is not thread-safe in every libcurl build), and
 * kc_delivery_global_cleanup() once at exit, after the workers stopped.
 *
 * Every transfer uses its own easy handle made by kc_delivery_curl_new(),
 * so transfers in several threads never share libcurl state. Handles do
 * not use proxies from the environment (kcd.conf has no proxy key, and a
 * stray http_proxy must not reroute TANs), follow no redirects, verify
 * TLS peers and hosts, install no signal handlers, and carry a connect
 * timeout and a whole-transfer timeout.
 *
 * Nothing here logs; errors come back as KC_ERR_* and a short text.
 */
#ifndef KC_DELIVERY_H
#define KC_DELIVERY_H

#include <stddef.h>

#include <curl/curl.h>

#include "kc_attrs.h"

/* kcd answers the PAM module within its timeout= (default 10 s) while a
 * TAN is sent during the request, after the LDAP bind; so a transport
 * gets 3 s to connect and 6 s in all. A local MTA or an SMS gateway
 * answers in well under a second; callers may raise the fields in
 * struct kc_mail_cfg / kc_sms_cfg for slower peers. */
#define KC_DELIVERY_CONNECT_TIMEOUT 3
#define KC_DELIVERY_TIMEOUT         6

/* Error texts returned by the transports (without secrets or messages). */
#define KC_DELIVERY_ERR_SIZE 256

/*
 * Initialise libcurl (curl_global_init) and libsodium (sodium_init) and
 * check that libcurl supports the smtp, smtps, http and https protocols.
 * Call once, at start-up, single-threaded. 0, KC_ERR_INTERNAL when a
 * library fails to start, KC_ERR_UNAVAILABLE when a protocol is missing.
 */
int kc_delivery_global_init(void) KC_MUST_USE;

/* Release libcurl's global state; once, at exit, with no transfer left. */
void kc_delivery_global_cleanup(void);

/*
 * A new easy handle limited to the comma-separated protocols (libcurl's
 * CURLOPT_PROTOCOLS_STR syntax, e.g. "smtp,smtps"), with the timeouts in
 * seconds and the defaults described above. NULL when libcurl fails.
 * The caller owns it: curl_easy_cleanup().
 */
CURL *kc_delivery_curl_new(const char *protocols, long connect_timeout,
                           long timeout) KC_MUST_USE KC_NONNULL(1);

/* Write "who: <libcurl's text for rc>" and, when response is not 0,
 * " (server replied N)" to err. Never includes libcurl's error buffer,
 * which may quote the peer. */
void kc_delivery_curl_error(char *err, size_t errlen, const char *who,
                            CURLcode rc, long response) KC_NONNULL(3);

/* snprintf into err when err and errlen allow it. */
void kc_delivery_err(char *err, size_t errlen, const char *fmt, ...)
  KC_PRINTF(3, 4);

/* Write all len bytes to fd, retrying on EINTR and short writes.
 * 0 or KC_ERR_SYSTEM (errno kept). */
int kc_delivery_write_all(int fd, const void *p, size_t len) KC_MUST_USE;

#endif /* KC_DELIVERY_H */
