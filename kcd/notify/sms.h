/*
 * sms.h: mTAN delivery through sms_transport (DESIGN.md §5, §9): an HTTP(S)
 * gateway driven by the sms_body template, or a file: that gets one JSON
 * object per line.
 *
 * Templates (sms_body)
 *  - `{to}` becomes the E.164 number, `{text}` the message, each escaped
 *    for where the template puts it (see enum kc_sms_escape).
 *  - Any other `{name}` (letters, digits, "_") is an error, so a typo such
 *    as `{txt}` stops kcd at start-up instead of sending the literal.
 *  - A `{` that does not start `{name}` is copied as it is: JSON templates
 *    need literal braces (`{"to":"{to}"}`). There is no escape syntax;
 *    `{{text}}` is a literal brace, the placeholder, a literal brace.
 *  - The expansion is capped at KC_SMS_MAX_REQUEST bytes.
 *
 * Secrets: the text carries a TAN, the auth header a credential. Request
 * buffers are wiped when freed; error texts never quote the text, the
 * request, the gateway's answer or the header.
 *
 * Start-up: call kc_delivery_global_init() (delivery.h) once before the
 * first kc_sms_send(). A struct kc_sms_cfg is read-only after
 * kc_sms_cfg_init(); kc_sms_send() may run in several threads at once
 * with the same cfg (each call has its own buffers, descriptor and libcurl
 * handle; file: appends are serialised by a process-wide mutex between
 * threads and by flock() between processes). Nothing here logs.
 */
#ifndef KC_SMS_H
#define KC_SMS_H

#include <stdbool.h>
#include <stddef.h>

#include "conf.h"
#include "kc_attrs.h"
#include "kc_buf.h"

/* An expanded template: gateways take a few hundred bytes; 4 KiB leaves
 * room for JSON-escaped text. */
#define KC_SMS_MAX_REQUEST 4096
/* SMS text: 1024 bytes is several concatenated SMS; ours are one. */
#define KC_SMS_MAX_TEXT 1024
/* Gateway URL with a GET query appended. */
#define KC_SMS_MAX_URL 8192
/* Bytes of a gateway answer we read before giving up on it (kept only
 * to look for sms_success in it). */
#define KC_SMS_MAX_RESPONSE (64 * 1024)

/* How {to} and {text} are escaped. */
enum kc_sms_escape {
  KC_SMS_ESCAPE_URL = 0, /* RFC 3986 percent-encoding of all but
                            unreserved characters (query strings and
                            application/x-www-form-urlencoded bodies) */
  KC_SMS_ESCAPE_JSON     /* inside a JSON string: \" \\ \n \r \t \b \f,
                            other controls, U+2028 and U+2029 as \uXXXX;
                            other UTF-8 passes through */
};

/* The SMS side of kcd.conf, ready to send. Members are private;
 * sc_timeout and sc_connect_timeout (seconds) may be changed after init. */
struct kc_sms_cfg {
  enum kc_conf_transport_kind sc_kind; /* NONE: no mTAN */
  char *sc_url;                        /* http(s) gateway */
  char *sc_path;                       /* file: path */
  enum kc_conf_http_method sc_method;
  char *sc_body;    /* template */
  char *sc_success; /* text a 2xx answer must contain; NULL: any 2xx */
  enum kc_sms_escape sc_escape;
  struct kc_buf sc_auth; /* secret "Name: value" line; empty: none */
  long sc_connect_timeout;
  long sc_timeout;
};

/*
 * Expand tmpl into out (initialised here with cap KC_SMS_MAX_REQUEST; free
 * with kc_buf_free(), which wipes), putting `to` and `text` in escaped as
 * `how` says. Returns 0, or KC_ERR_INVALID (unknown placeholder, to or
 * text not UTF-8), KC_ERR_TOO_LARGE, KC_ERR_NOMEM; out is empty then.
 * Pure and thread-safe.
 */
int kc_sms_expand(struct kc_buf *out, const char *tmpl, const char *to,
                  const char *text, enum kc_sms_escape how) KC_MUST_USE
  KC_NONNULL(1, 2, 3, 4);

/* The escaping a template gets: URL for GET; for POST, JSON when the
 * first non-blank character of tmpl is "{" or "[", else URL. The POST
 * Content-Type follows: application/json or
 * application/x-www-form-urlencoded. */
enum kc_sms_escape kc_sms_escape_for(enum kc_conf_http_method method,
                                     const char *tmpl) KC_NONNULL(2);

/* 0 when line is one HTTP header "Name: value": a token name of at most
 * 64 characters, a non-empty value of printable ASCII and tabs, no CR, LF
 * or other control character, at most KC_MAX_HTTP_HEADER bytes, and not a
 * header kcd sets or that frames the request (Host, Content-Type,
 * Content-Length, Transfer-Encoding, Connection, Expect). Else
 * KC_ERR_INVALID (or KC_ERR_TOO_LARGE). */
int kc_sms_header_check(const char *line) KC_MUST_USE KC_NONNULL(1);

/*
 * Fill cfg from c: sms_transport, sms_method, sms_body (test-expanded
 * here, so bad placeholders fail at start-up), sms_success, the header from
 * sms_auth_header_file (kc_conf_read_secret(), then
 * kc_sms_header_check()), default timeouts. Without sms_transport the
 * cfg refuses to send. Returns 0 or KC_ERR_* with err naming the key or
 * file (never the secret); on failure cfg is cleared and
 * kc_sms_cfg_free() is still safe.
 */
int kc_sms_cfg_init(struct kc_sms_cfg *cfg, const struct kc_conf *c, char *err,
                    size_t errlen) KC_MUST_USE KC_NONNULL(1, 2);

/* Wipe the header and release everything. Safe on a zeroed struct and
 * twice. */
void kc_sms_cfg_free(struct kc_sms_cfg *cfg) KC_NONNULL(1);

/* True when cfg has a transport to send with. */
bool kc_sms_enabled(const struct kc_sms_cfg *cfg) KC_NONNULL(1);

/*
 * Send text to to_e164 (as kc_phone_normalize() makes it):
 *  - file: appends {"to":"...","text":"..."} and "\n" with one write()
 *    under the mutex and flock(LOCK_EX) (waiting at most sc_timeout
 *    seconds for each), 0600 when created, O_NOFOLLOW; a short write is
 *    cut off again;
 *  - http(s): POST with the expanded template as body, or GET with it
 *    appended to the URL after "?" (or "&" when the URL has a query); the
 *    auth header is added; redirects are not followed; a 2xx answer is
 *    success, when it contains sms_success if that is set (a byte
 *    compare anywhere in the first KC_SMS_MAX_RESPONSE bytes).
 * Returns 0; KC_ERR_INVALID (number not E.164, text not UTF-8 or over
 * KC_SMS_MAX_TEXT); KC_ERR_UNAVAILABLE (no transport, gateway unreachable,
 * timed out, answering other than 2xx: err says "sms gateway: HTTP
 * 503", or a 2xx without the sms_success text); KC_ERR_SYSTEM / KC_ERR_TIMEOUT
 * for the file; KC_ERR_NOMEM / KC_ERR_TOO_LARGE. err never contains the text.
 * Thread-safe.
 */
int kc_sms_send(const struct kc_sms_cfg *cfg, const char *to_e164,
                const char *text, char *err, size_t errlen) KC_MUST_USE
  KC_NONNULL(1, 2, 3);

#endif /* KC_SMS_H */
