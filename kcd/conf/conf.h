/*
 * conf.h: kcd.conf, the daemon's configuration file (DESIGN.md §5, §9).
 *
 * Syntax
 *  - One `key = value` per line. Blanks (spaces, tabs) around the key, the
 *    `=` and the value are ignored; a trailing CR is ignored too.
 *  - A line whose first non-blank character is `#` is a comment; blank
 *    lines are skipped. A `#` after a value is part of the value.
 *  - The value runs to the end of the line and may contain blanks (lists,
 *    sms_body). It may be wrapped in double quotes to keep leading or
 *    trailing blanks or to start with a `"`: inside quotes `\"` stands for
 *    a quote and `\\` for a backslash; any other backslash sequence is an
 *    error, and nothing may follow the closing quote. Outside quotes a
 *    backslash is an ordinary character.
 *  - Every key may appear once. Empty values are errors: leave a key out
 *    to get its default.
 *  - The file is UTF-8 without NUL bytes or control characters other than
 *    tab, at most KC_MAX_CONF_FILE bytes, each line at most
 *    KC_MAX_CONF_LINE bytes.
 *
 * Errors name the file and line (`kcd.conf:12: unknown key "ldap_url"`);
 * checks that involve several keys name the line of the offending key, or
 * only the file when a required key is missing. The text goes to the
 * caller's buffer; nothing here logs (STYLE rule 8).
 *
 * Ownership: strings in struct kc_conf are owned by the struct (or are
 * static defaults) and live until kc_conf_free(). The struct holds paths
 * of secret files, never a secret; kc_conf_read_secret() hands secrets out
 * in a struct kc_buf that wipes them when freed.
 *
 * Thread-safety: a struct kc_conf is written by one thread while it is
 * parsed and is read-only afterwards; the functions keep no global state.
 */
#ifndef KC_CONF_H
#define KC_CONF_H

#include <stdbool.h>
#include <stddef.h>

#include "kc_attrs.h"
#include "kc_buf.h"
#include "kc_limits.h"
#include "netaddr.h"
#include "secret.h" /* kc_conf_read_file(), kc_conf_read_secret() */

/* Room for the per-key bookkeeping in struct kc_conf; conf.c checks at
 * compile time that its key table fits. */
#define KC_CONF_MAX_KEYS 64

/* Default location of the file; the build may override it. */
#ifndef KC_CONF_DEFAULT_PATH
#define KC_CONF_DEFAULT_PATH "/etc/kcd/kcd.conf"
#endif

/* Default reserved_usernames_file: the list `make install` puts in
 * $(pkgdatadir); the build sets it. */
#ifndef KC_CONF_RESERVED_DEFAULT_PATH
#define KC_CONF_RESERVED_DEFAULT_PATH                                          \
  "/usr/share/pam_kundencenter/reserved-usernames"
#endif

/* captcha = image | pow | none */
enum kc_conf_captcha {
  KC_CONF_CAPTCHA_IMAGE = 0, /* refreshable picture (default) */
  KC_CONF_CAPTCHA_POW,       /* ALTCHA v1 proof of work */
  KC_CONF_CAPTCHA_NONE       /* no captcha (tests, closed networks) */
};

/* smtp_starttls = yes | opportunistic | no */
enum kc_conf_starttls {
  KC_CONF_STARTTLS_NO = 0,        /* plain SMTP */
  KC_CONF_STARTTLS_OPPORTUNISTIC, /* STARTTLS when offered */
  KC_CONF_STARTTLS_REQUIRED       /* `yes`: fail without STARTTLS (default) */
};

/* sms_method = POST | GET */
enum kc_conf_http_method {
  KC_CONF_HTTP_POST = 0, /* sms_body is the request body (default) */
  KC_CONF_HTTP_GET       /* sms_body is appended as the query string */
};

/* What mail_transport and sms_transport point at. */
enum kc_conf_transport_kind {
  KC_CONF_TRANSPORT_NONE = 0, /* key not set */
  KC_CONF_TRANSPORT_SMTP,     /* smtp://host[:port] */
  KC_CONF_TRANSPORT_SMTPS,    /* smtps://host[:port] */
  KC_CONF_TRANSPORT_MAILDIR,  /* maildir:/abs/path */
  KC_CONF_TRANSPORT_HTTP,     /* http://host[:port]/path[?query] */
  KC_CONF_TRANSPORT_HTTPS,    /* https://host[:port]/path[?query] */
  KC_CONF_TRANSPORT_FILE      /* file:/abs/path */
};

/* A space-separated list value, in the order written. */
struct kc_conf_list {
  const char *item[KC_MAX_CONF_LIST];
  size_t n;
};

/* http_listen, metrics_listen: numeric address and port. */
struct kc_conf_listen {
  const char *host; /* IPv4 dotted quad or IPv6 text, without brackets */
  unsigned port;    /* 1..65535 */
  int family;       /* AF_INET or AF_INET6 */
};

/* mail_transport / sms_transport. */
struct kc_conf_transport {
  enum kc_conf_transport_kind kind;
  const char *uri;  /* the value as written; NULL when not set */
  const char *path; /* for maildir: and file:, the absolute path; else NULL */
};

/*
 * Every key of kcd.conf. Durations are in seconds; in the file they take
 * an optional s, m or h suffix (plain digits are seconds). Paths must be
 * absolute. "Secret file" keys are checked by kc_conf_check_secrets().
 */
struct kc_conf {
  /* ---- directory */
  /* ldap_uri: required; 1..KC_MAX_CONF_LIST URIs tried in order, each
   * ldap://, ldaps:// or ldapi:// with host[:port] (empty host allowed)
   * and at most a trailing "/". */
  struct kc_conf_list ldap_uri;
  /* ldap_base: required; base DN of the DIT (RFC 4514). */
  const char *ldap_base;
  /* ldap_bind_dn: kcd's service DN; needs ldap_bind_pw_file. NULL: none. */
  const char *ldap_bind_dn;
  /* ldap_bind_pw_file: secret file with the service password; needs
   * ldap_bind_dn. */
  const char *ldap_bind_pw_file;
  /* ldap_starttls: yes|no (also true|false, on|off); default no. Not
   * together with ldaps:// URIs. */
  bool ldap_starttls;
  /* ldap_ca_file: CA certificates for TLS; NULL: system default. */
  const char *ldap_ca_file;
  /* ldap_timeout: per LDAP operation and connect; 1s..300s, default 5s. */
  unsigned ldap_timeout;
  /* ldap_retry_after: how long a server of ldap_uri that failed is
   * skipped; 1s..1h, default 30s. */
  unsigned ldap_retry_after;

  /* ---- process and sockets */
  /* pam_socket: UNIX socket path, shorter than sun_path; default
   * /run/kcd/pam.sock. */
  const char *pam_socket;
  /* http_listen: IPV4:PORT or [IPV6]:PORT, port 1..65535; default
   * 127.0.0.1:8080. */
  struct kc_conf_listen http_listen;
  /* metrics_listen: where /metrics and the detailed /healthz are served;
   * IPV4:PORT or [IPV6]:PORT on a loopback address (127.0.0.0/8, ::1),
   * or none (port 0, host NULL); default 127.0.0.1:8081. */
  struct kc_conf_listen metrics_listen;
  /* workers: requests handled at once; 1..256, default 16. */
  unsigned workers;
  /* pam_max_conns_per_uid: PAM-socket connections one peer uid may hold
   * open at once; 1..KC_PAM_MAX_CONNS, default KC_PAM_CONNS_PER_UID. */
  unsigned pam_max_conns_per_uid;
  /* user: account kcd switches to after creating its sockets (POSIX
   * name: [a-z_][a-z0-9_-]*, at most 32); NULL: do not switch. */
  const char *user;

  /* ---- web front */
  /* public_url: http(s)://host[:port][/path] used in mails, never taken
   * from the Host header; no query; a trailing "/" is dropped. */
  const char *public_url;
  /* login_url: http(s) URL a finished activation redirects to (a query
   * is allowed). */
  const char *login_url;
  /* allowed_back_origins: origins (scheme://host[:port], http or https,
   * no path) that back= may point to; empty list: none. */
  struct kc_conf_list allowed_back_origins;
  /* portal_name: shown in pages and mails; 1..128 bytes; default
   * "Kundencenter". */
  const char *portal_name;
  /* captcha: image|pow|none; default image. */
  enum kc_conf_captcha captcha;
  /* trusted_proxies: reverse proxies (addresses or CIDR networks, IPv4
   * or IPv6, separated by commas and/or blanks, at most
   * KC_MAX_TRUSTED_PROXIES; host bits after the prefix are refused) whose
   * X-Forwarded-For names the client for rate limits and logs; n == 0
   * (default): none, the TCP peer is the client. See netaddr.h. */
  struct kc_netaddr_list trusted_proxies;

  /* ---- mail */
  /* mail_from: envelope and From: address (local@domain, ASCII). Needed
   * when mail_transport is set. */
  const char *mail_from;
  /* mail_transport: smtp://host[:port], smtps://host[:port] or
   * maildir:/abs/path. Not set: kcd sends no mail. */
  struct kc_conf_transport mail_transport;
  /* smtp_user, smtp_pw_file (secret file): SMTP AUTH; set both or
   * neither, only with an smtp:// or smtps:// mail_transport. */
  const char *smtp_user;
  const char *smtp_pw_file;
  /* smtp_starttls: yes (required, default) | opportunistic | no; only
   * for smtp:// (smtps:// is TLS from the start). */
  enum kc_conf_starttls smtp_starttls;

  /* ---- SMS */
  /* sms_transport: https://..., http://... (gateway URL; a query is
   * allowed) or file:/abs/path (one JSON object per line). Not set: no
   * mTAN. */
  struct kc_conf_transport sms_transport;
  /* sms_method: POST (default) or GET; only for http(s). */
  enum kc_conf_http_method sms_method;
  /* sms_body: request template for http(s) gateways, required there:
   * {to} becomes the number, {text} the message (encoded as the method
   * needs); must contain {text}; 1..1024 bytes. */
  const char *sms_body;
  /* sms_auth_header_file: secret file with one HTTP header line sent to
   * the gateway (e.g. "Authorization: Bearer ..."); only for http(s). */
  const char *sms_auth_header_file;
  /* sms_success: text a gateway's 2xx answer must contain to count as
   * sent (gateways that report a refusal inside a 200); 1..256 bytes;
   * only for http(s). Not set: every 2xx answer counts as sent. */
  const char *sms_success;

  /* ---- policy */
  /* tan_length: digits per TAN; 6..8, default 6. */
  unsigned tan_length;
  /* tan_ttl: TAN lifetime; 1s..15m, default 5m. */
  unsigned tan_ttl;
  /* tan_max_tries: wrong answers before a TAN is void; 1..10, default 3. */
  unsigned tan_max_tries;
  /* tan_resend_interval: least time between two TAN sends; 1s..1h,
   * default 60s. */
  unsigned tan_resend_interval;
  /* tan_max_per_hour: TANs sent per account and hour; 1..60, default 5. */
  unsigned tan_max_per_hour;
  /* tan_max_failures: wrong TANs per account, across TANs, before kcd
   * locks it until an administrator unlocks it; 1..1000, default 10. */
  unsigned tan_max_failures;
  /* activation_ttl: activation link lifetime; 1m..168h, default 24h. */
  unsigned activation_ttl;
  /* reset_ttl: lifetime of a password-reset link; 1m..24h, default 1h. */
  unsigned reset_ttl;
  /* session_idle: a web session ends after this long unused; 1m..24h,
   * default 15m. session_max: and this long after the login whatever
   * happens; 5m..30d, default 8h. */
  unsigned session_idle;
  unsigned session_max;
  /* invite_max_pending: open invitations per customer; 1..1000, default
   * 20. */
  unsigned invite_max_pending;
  /* password_min_length: 8..64, default 12. */
  unsigned password_min_length;
  /* password_hash_m, password_hash_t: argon2id cost of the hashes kcd
   * makes, memory in KiB (8192..1048576, default 65536) and passes
   * (1..32, default 2). */
  unsigned password_hash_m;
  unsigned password_hash_t;
  /* password_hash_upgrade: replace a hash of another cost, variant or
   * scheme when its owner logs in (rehash.h); default yes. */
  bool password_hash_upgrade;
  /* default_country_code: for national phone numbers; 1..999, default 49. */
  unsigned default_country_code;
  /* secret_key_file: secret file with at least 32 random bytes (e.g. 64 hex
   * digits), the same on every kcd that serves one directory: keys the TAN
   * hashes (and later CSRF and captcha signatures). Required once an
   * account uses a TAN; without it kcd refuses TAN logins. */
  const char *secret_key_file;
  /* reserved_usernames_file: user names no account may take, one a line
   * (username.h); default KC_CONF_RESERVED_DEFAULT_PATH. kcd reads it at
   * start-up, kcadm before it creates or renames an account; a missing or
   * bad file is an error there. */
  const char *reserved_usernames_file;

  /* ---- private to conf.c */
  char *cf_name;                      /* file name for messages */
  char *cf_store[KC_CONF_MAX_KEYS];   /* storage of each key's strings */
  unsigned cf_line[KC_CONF_MAX_KEYS]; /* line that set each key; 0: unset */
};

/* Fill c with the defaults; owns nothing yet. Cannot fail. */
void kc_conf_init(struct kc_conf *c) KC_NONNULL(1);

/* Release what c owns and leave it holding the defaults, as after
 * kc_conf_init(). Safe to call twice. */
void kc_conf_free(struct kc_conf *c) KC_NONNULL(1);

/*
 * Parse len bytes of text (need not be NUL-terminated; NUL bytes are
 * errors) into c, which must have been initialised; its previous content
 * is released first. name is the file name used in messages. Runs the
 * checks across keys too. Touches no file.
 * Returns 0, or KC_ERR_INVALID / KC_ERR_RANGE / KC_ERR_NOT_FOUND /
 * KC_ERR_DUPLICATE / KC_ERR_TOO_LARGE / KC_ERR_NOMEM with a message in
 * err (errlen bytes, always NUL-terminated when errlen > 0); on failure c
 * holds the defaults again.
 */
int kc_conf_parse(struct kc_conf *c, const char *name, const char *text,
                  size_t len, char *err, size_t errlen) KC_MUST_USE
  KC_NONNULL(1, 2);

/*
 * Read the file at path (bounded by KC_MAX_CONF_FILE, O_CLOEXEC; it must
 * be a regular file, not world-writable, owned by root or the effective
 * user) and parse it as kc_conf_parse() does, naming path in messages.
 * Adds KC_ERR_SYSTEM and KC_ERR_PERMISSION to the results.
 */
int kc_conf_load(struct kc_conf *c, const char *path, char *err,
                 size_t errlen) KC_MUST_USE KC_NONNULL(1, 2);

/*
 * Check every secret-file key that is set (ldap_bind_pw_file,
 * smtp_pw_file, sms_auth_header_file) with kc_conf_read_secret() and drop
 * the content again. The message names the file, line, key and path.
 */
int kc_conf_check_secrets(const struct kc_conf *c, char *err,
                          size_t errlen) KC_MUST_USE KC_NONNULL(1);

/* Name of the i-th known key in the table order, or NULL past the end
 * (for documentation checks). */
const char *kc_conf_key_name(size_t i);

#endif /* KC_CONF_H */
