/*
 * conf.c: kcd.conf parser. One table (conf_keys) lists every key with its
 * setter and bounds; the line reader, the quote handling and the checks
 * across keys are independent of the keys themselves.
 */
#include <config.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "conf.h"
#include "dn.h"
#include "email.h"
#include "kc_err.h"
#include "kc_str.h"
#include "kc_wipe.h"
#include "log.h"
#include "url.h"

/* Bytes of a bad value quoted back in a message; longer ones are cut. */
#define CONF_SHOW_MAX 60

/* Room for a shown value once every byte is escaped as \xNN. */
#define CONF_SHOWN_SIZE (4 * (CONF_SHOW_MAX + 3) + 1)

/* Longest POSIX account name (useradd's default limit). */
#define CONF_USER_MAX 32

/* Longest path of a UNIX socket, excluding the NUL. */
#define CONF_SUN_PATH_MAX (sizeof(((struct sockaddr_un *) 0)->sun_path) - 1)

/* Key flags. */
#define KEY_REQUIRED 0x1u /* must be set */
#define KEY_SECRET   0x2u /* value is a secret file; kc_conf_check_secrets */

/* Where the parser is, for messages. */
struct conf_ctx {
  const char *name;
  unsigned line; /* 0: the file as a whole */
  char *err;
  size_t errlen;
};

struct conf_key {
  const char *name;
  int (*set)(struct kc_conf *c, const struct conf_key *k, char *v,
             const struct conf_ctx *x);
  size_t off; /* of the field in struct kc_conf */
  unsigned min, max;
  const void *arg; /* setter-specific rule */
  unsigned flags;
};

/* Allowed kinds of a transport key and the URL rule for its URL kinds. */
struct transport_rule {
  unsigned kinds; /* bit (1u << kind) per allowed kind */
  const struct kc_url_rule *url;
  const char *what;
};

static const char *const ldap_schemes[] = {"ldap", "ldaps", "ldapi", NULL};
static const char *const http_schemes[] = {"http", "https", NULL};
static const char *const smtp_schemes[] = {"smtp", "smtps", NULL};

static const struct kc_url_rule rule_ldap =
  {.schemes = ldap_schemes,
   .what = "an ldap://, ldaps:// or ldapi:// URI",
   .empty_host = true,
   .slash_only = true};
static const struct kc_url_rule rule_public =
  {.schemes = http_schemes,
   .what = "an http:// or https:// URL without query",
   .path = true,
   .drop_slash = true};
static const struct kc_url_rule rule_login = {.schemes = http_schemes,
                                              .what =
                                                "an http:// or https:// URL",
                                              .path = true,
                                              .query = true};
static const struct kc_url_rule rule_origin =
  {.schemes = http_schemes,
   .what = "an origin (http:// or https:// host[:port], no path)"};
static const struct kc_url_rule rule_smtp =
  {.schemes = smtp_schemes,
   .what = "smtp://host[:port] or smtps://host[:port]",
   .slash_only = true};
static const struct kc_url_rule rule_gateway = {.schemes = http_schemes,
                                                .what =
                                                  "an http:// or https:// URL",
                                                .path = true,
                                                .query = true};

#define KIND(k) (1u << (k))
static const struct transport_rule rule_mail =
  {KIND(KC_CONF_TRANSPORT_SMTP) | KIND(KC_CONF_TRANSPORT_SMTPS) |
     KIND(KC_CONF_TRANSPORT_MAILDIR),
   &rule_smtp, "smtp://, smtps:// or maildir:/path"};
static const struct transport_rule rule_sms =
  {KIND(KC_CONF_TRANSPORT_HTTP) | KIND(KC_CONF_TRANSPORT_HTTPS) |
     KIND(KC_CONF_TRANSPORT_FILE),
   &rule_gateway, "https://, http:// or file:/path"};

/* Prefix of each transport kind; a kind is a URL kind unless marked. */
static const struct {
  const char *prefix;
  enum kc_conf_transport_kind kind;
  bool is_path;
} transport_prefixes[] = {
  {"smtp://", KC_CONF_TRANSPORT_SMTP, false},
  {"smtps://", KC_CONF_TRANSPORT_SMTPS, false},
  {"maildir:", KC_CONF_TRANSPORT_MAILDIR, true},
  {"http://", KC_CONF_TRANSPORT_HTTP, false},
  {"https://", KC_CONF_TRANSPORT_HTTPS, false},
  {"file:", KC_CONF_TRANSPORT_FILE, true},
};

/* Enum values: the index is the enum value. */
static const char *const captcha_names[] = {"image", "pow", "none", NULL};
static const char *const starttls_names[] = {"no", "opportunistic", "yes",
                                             NULL};
static const char *const method_names[] = {"POST", "GET", NULL};

_Static_assert(sizeof(enum kc_conf_captcha) == sizeof(unsigned),
               "enum fields are written as unsigned");
_Static_assert(sizeof(enum kc_conf_starttls) == sizeof(unsigned),
               "enum fields are written as unsigned");
_Static_assert(sizeof(enum kc_conf_http_method) == sizeof(unsigned),
               "enum fields are written as unsigned");

/* The setters of the key table, all of one signature. */
#define CONF_SETTER(name)                                                      \
  static int name(struct kc_conf *, const struct conf_key *, char *,           \
                  const struct conf_ctx *)
CONF_SETTER(set_text);
CONF_SETTER(set_sms_body);
CONF_SETTER(set_path);
CONF_SETTER(set_dn);
CONF_SETTER(set_user);
CONF_SETTER(set_email);
CONF_SETTER(set_bool);
CONF_SETTER(set_uint);
CONF_SETTER(set_duration);
CONF_SETTER(set_enum);
CONF_SETTER(set_url);
CONF_SETTER(set_url_list);
CONF_SETTER(set_listen);
CONF_SETTER(set_metrics_listen);
CONF_SETTER(set_transport);
CONF_SETTER(set_proxies);

/* clang-format off */
#define KEY(name, set, min, max, arg, flags)                                   \
  {#name, set, offsetof(struct kc_conf, name), min, max, arg, flags}
/* clang-format on */

/* Every key, in the order of conf.h and the man page. min/max bound
 * numbers, durations (seconds) and text lengths (bytes). */
static const struct conf_key conf_keys[] = {
  KEY(ldap_uri, set_url_list, 1, KC_MAX_CONF_LIST, &rule_ldap, KEY_REQUIRED),
  KEY(ldap_base, set_dn, 1, KC_MAX_DN, NULL, KEY_REQUIRED),
  KEY(ldap_bind_dn, set_dn, 1, KC_MAX_DN, NULL, 0),
  KEY(ldap_bind_pw_file, set_path, 1, PATH_MAX - 1, NULL, KEY_SECRET),
  KEY(ldap_starttls, set_bool, 0, 0, NULL, 0),
  KEY(ldap_ca_file, set_path, 1, PATH_MAX - 1, NULL, 0),
  KEY(ldap_timeout, set_duration, 1, 300, NULL, 0),
  KEY(ldap_retry_after, set_duration, 1, 3600, NULL, 0),
  KEY(pam_socket, set_path, 1, CONF_SUN_PATH_MAX, NULL, 0),
  KEY(http_listen, set_listen, 1, 65535, NULL, 0),
  KEY(metrics_listen, set_metrics_listen, 1, 65535, NULL, 0),
  KEY(workers, set_uint, 1, 256, NULL, 0),
  KEY(pam_max_conns_per_uid, set_uint, 1, KC_PAM_MAX_CONNS, NULL, 0),
  KEY(user, set_user, 1, CONF_USER_MAX, NULL, 0),
  KEY(public_url, set_url, 0, 0, &rule_public, 0),
  KEY(login_url, set_url, 0, 0, &rule_login, 0),
  KEY(allowed_back_origins, set_url_list, 1, KC_MAX_CONF_LIST, &rule_origin, 0),
  KEY(portal_name, set_text, 1, 128, NULL, 0),
  KEY(captcha, set_enum, 0, 0, captcha_names, 0),
  KEY(trusted_proxies, set_proxies, 1, KC_MAX_TRUSTED_PROXIES, NULL, 0),
  KEY(mail_from, set_email, 3, KC_MAX_EMAIL, NULL, 0),
  KEY(mail_transport, set_transport, 0, 0, &rule_mail, 0),
  KEY(smtp_user, set_text, 1, 256, NULL, 0),
  KEY(smtp_pw_file, set_path, 1, PATH_MAX - 1, NULL, KEY_SECRET),
  KEY(smtp_starttls, set_enum, 0, 0, starttls_names, 0),
  KEY(sms_transport, set_transport, 0, 0, &rule_sms, 0),
  KEY(sms_method, set_enum, 0, 0, method_names, 0),
  KEY(sms_body, set_sms_body, 1, 1024, NULL, 0),
  KEY(sms_auth_header_file, set_path, 1, PATH_MAX - 1, NULL, KEY_SECRET),
  KEY(sms_success, set_text, 1, 256, NULL, 0),
  KEY(tan_length, set_uint, KC_MIN_TAN_LENGTH, KC_MAX_TAN_LENGTH, NULL, 0),
  KEY(tan_ttl, set_duration, 1, 15 * 60, NULL, 0),
  KEY(tan_max_tries, set_uint, 1, 10, NULL, 0),
  KEY(tan_resend_interval, set_duration, 1, 3600, NULL, 0),
  KEY(tan_max_per_hour, set_uint, 1, 60, NULL, 0),
  KEY(tan_max_failures, set_uint, 1, 1000, NULL, 0),
  KEY(activation_ttl, set_duration, 60, 168 * 3600, NULL, 0),
  KEY(reset_ttl, set_duration, 60, 24 * 3600, NULL, 0),
  KEY(session_idle, set_duration, 60, 24 * 3600, NULL, 0),
  KEY(session_max, set_duration, 300, 30 * 24 * 3600, NULL, 0),
  KEY(invite_max_pending, set_uint, 1, 1000, NULL, 0),
  KEY(password_min_length, set_uint, 8, 64, NULL, 0),
  KEY(password_hash_m, set_uint, 8192, 1048576, NULL, 0),
  KEY(password_hash_t, set_uint, 1, 32, NULL, 0),
  KEY(password_hash_upgrade, set_bool, 0, 0, NULL, 0),
  KEY(default_country_code, set_uint, 1, 999, NULL, 0),
  KEY(secret_key_file, set_path, 1, PATH_MAX - 1, NULL, KEY_SECRET),
  KEY(reserved_usernames_file, set_path, 1, PATH_MAX - 1, NULL, 0),
};

#define CONF_NKEYS (sizeof(conf_keys) / sizeof(conf_keys[0]))
_Static_assert(CONF_NKEYS <= KC_CONF_MAX_KEYS, "raise KC_CONF_MAX_KEYS");

/* "a requires b": set a without b is an error at a's line. */
static const struct {
  const char *key;
  const char *needs;
} conf_deps[] = {
  {"ldap_bind_dn", "ldap_bind_pw_file"},
  {"ldap_bind_pw_file", "ldap_bind_dn"},
  {"smtp_user", "smtp_pw_file"},
  {"smtp_pw_file", "smtp_user"},
  {"smtp_user", "mail_transport"},
  {"smtp_starttls", "mail_transport"},
  {"mail_transport", "mail_from"},
  {"sms_method", "sms_transport"},
  {"sms_body", "sms_transport"},
  {"sms_auth_header_file", "sms_transport"},
  {"sms_success", "sms_transport"},
};

/* ------------------------------------------------------------ messages */

static int conf_fail(const struct conf_ctx *x, int code, const char *fmt, ...)
  KC_PRINTF(3, 4);

/* Write "name:line: " and the message into the error buffer; return code. */
static int
conf_fail(const struct conf_ctx *x, int code, const char *fmt, ...)
{
  va_list ap;
  int n;

  if (x->err == NULL || x->errlen == 0)
    return code;
  if (x->line > 0)
    n = snprintf(x->err, x->errlen, "%s:%u: ", x->name, x->line);
  else
    n = snprintf(x->err, x->errlen, "%s: ", x->name);
  if (n < 0 || (size_t) n >= x->errlen)
    return code;
  va_start(ap, fmt);
  (void) vsnprintf(x->err + n, x->errlen - (size_t) n, fmt, ap);
  va_end(ap);
  return code;
}

/* Untrusted text for a message: escaped, and cut with "..." when long. */
static void
conf_show(char *out, size_t outlen, const char *in)
{
  char cut[CONF_SHOW_MAX + 4];
  size_t n = strlen(in);

  if (n > CONF_SHOW_MAX) {
    memcpy(cut, in, CONF_SHOW_MAX);
    memcpy(cut + CONF_SHOW_MAX, "...", 4);
    in = cut;
  }
  kc_log_escape(out, outlen, in);
}

static int
bad_value(const struct conf_ctx *x, const struct conf_key *k, const char *v,
          int code, const char *why)
{
  char shown[CONF_SHOWN_SIZE];

  conf_show(shown, sizeof(shown), v);
  return conf_fail(x, code, "bad value \"%s\" for %s: %s", shown, k->name, why);
}

/* ------------------------------------------------------------ storage */

static void *
field(struct kc_conf *c, const struct conf_key *k)
{
  return (char *) c + k->off;
}

/* Copy n bytes of v into the key's storage slot; NULL when out of memory.
 * A key is set at most once, so the slot is empty. */
static char *
keep(struct kc_conf *c, const struct conf_key *k, const char *v, size_t n)
{
  size_t i = (size_t) (k - conf_keys);
  char *s = malloc(n + 1);

  if (s == NULL)
    return NULL;
  memcpy(s, v, n);
  s[n] = '\0';
  c->cf_store[i] = s;
  return s;
}

static int
store_string(struct kc_conf *c, const struct conf_key *k, const char *v,
             const struct conf_ctx *x)
{
  const char **f = field(c, k);
  const char *s = keep(c, k, v, strlen(v));

  if (s == NULL)
    return conf_fail(x, KC_ERR_NOMEM, "out of memory");
  *f = s;
  return 0;
}

static const struct conf_key *
find_key(const char *name)
{
  size_t i;

  for (i = 0; i < CONF_NKEYS; i++) {
    if (strcmp(conf_keys[i].name, name) == 0)
      return &conf_keys[i];
  }
  return NULL;
}

/* Line that set the key, 0 when unset. */
static unsigned
key_line(const struct kc_conf *c, const char *name)
{
  const struct conf_key *k = find_key(name);

  return k != NULL ? c->cf_line[k - conf_keys] : 0;
}

/* ------------------------------------------------------------ setters */

static int
check_length(const struct conf_key *k, const char *v, const struct conf_ctx *x)
{
  char why[64];
  size_t n = strlen(v);

  if (n >= k->min && n <= k->max)
    return 0;
  snprintf(why, sizeof(why), "must be %u to %u bytes long", k->min, k->max);
  return bad_value(x, k, v, KC_ERR_RANGE, why);
}

static int
set_text(struct kc_conf *c, const struct conf_key *k, char *v,
         const struct conf_ctx *x)
{
  int r;

  if ((r = check_length(k, v, x)) != 0)
    return r;
  return store_string(c, k, v, x);
}

static int
set_sms_body(struct kc_conf *c, const struct conf_key *k, char *v,
             const struct conf_ctx *x)
{
  if (strstr(v, "{text}") == NULL)
    return bad_value(x, k, v, KC_ERR_INVALID, "must contain {text}");
  return set_text(c, k, v, x);
}

static int
set_path(struct kc_conf *c, const struct conf_key *k, char *v,
         const struct conf_ctx *x)
{
  char why[64];

  if (v[0] != '/')
    return bad_value(x, k, v, KC_ERR_INVALID, "must be an absolute path");
  if (strlen(v) > k->max) {
    snprintf(why, sizeof(why), "longer than %u bytes", k->max);
    return bad_value(x, k, v, KC_ERR_RANGE, why);
  }
  return store_string(c, k, v, x);
}

/* ------------------------------------------------------------ DNs */

static int
set_dn(struct kc_conf *c, const struct conf_key *k, char *v,
       const struct conf_ctx *x)
{
  int r;

  if ((r = check_length(k, v, x)) != 0)
    return r;
  if (!kc_dn_valid(v))
    return bad_value(x, k, v, KC_ERR_INVALID, "not a DN (RFC 4514)");
  return store_string(c, k, v, x);
}

/* POSIX portable user name as useradd accepts it: [a-z_][a-z0-9_-]*. */
static int
set_user(struct kc_conf *c, const struct conf_key *k, char *v,
         const struct conf_ctx *x)
{
  size_t i;
  int r;

  if ((r = check_length(k, v, x)) != 0)
    return r;
  for (i = 0; v[i] != '\0'; i++) {
    char ch = v[i];
    bool ok = (ch >= 'a' && ch <= 'z') || ch == '_' ||
              (i > 0 && ((ch >= '0' && ch <= '9') || ch == '-'));
    if (!ok)
      return bad_value(x, k, v, KC_ERR_INVALID,
                       "not an account name ([a-z_][a-z0-9_-]*)");
  }
  return store_string(c, k, v, x);
}

/* local@domain in plain ASCII (kc_email_valid(), the grammar the mail
 * builder checks again); display names come from portal_name. */
static int
set_email(struct kc_conf *c, const struct conf_key *k, char *v,
          const struct conf_ctx *x)
{
  int r;

  if ((r = check_length(k, v, x)) != 0)
    return r;
  if (!kc_email_valid(v))
    return bad_value(x, k, v, KC_ERR_INVALID,
                     "not an address local@domain (dot-atom, host name)");
  return store_string(c, k, v, x);
}

static int
set_bool(struct kc_conf *c, const struct conf_key *k, char *v,
         const struct conf_ctx *x)
{
  static const char *const yes[] = {"yes", "true", "on"};
  static const char *const no[] = {"no", "false", "off"};
  bool *f = field(c, k);
  size_t i;

  for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
    if (strcmp(v, yes[i]) == 0 || strcmp(v, no[i]) == 0) {
      *f = strcmp(v, yes[i]) == 0;
      return 0;
    }
  }
  return bad_value(x, k, v, KC_ERR_INVALID,
                   "must be yes or no (true/false, on/off)");
}

static int
set_uint(struct kc_conf *c, const struct conf_key *k, char *v,
         const struct conf_ctx *x)
{
  unsigned *f = field(c, k);
  uint64_t n;
  char why[64];
  int r;

  r = kc_str_to_uint(v, &n, k->min, k->max);
  if (r != 0) {
    snprintf(why, sizeof(why), "must be a number from %u to %u", k->min,
             k->max);
    return bad_value(x, k, v, r, why);
  }
  *f = (unsigned) n;
  return 0;
}

/* "90s", "5m", "1h" or "3600" in a message about [min, max] seconds. */
static void
format_secs(char *out, size_t outlen, unsigned s)
{
  if (s % 3600 == 0)
    snprintf(out, outlen, "%uh", s / 3600);
  else if (s % 60 == 0)
    snprintf(out, outlen, "%um", s / 60);
  else
    snprintf(out, outlen, "%us", s);
}

static int
set_duration(struct kc_conf *c, const struct conf_key *k, char *v,
             const struct conf_ctx *x)
{
  unsigned *f = field(c, k);
  uint64_t n;
  char lo[16], hi[16], why[96];
  int r;

  r = kc_str_to_duration(v, &n, k->min, k->max);
  if (r != 0) {
    format_secs(lo, sizeof(lo), k->min);
    format_secs(hi, sizeof(hi), k->max);
    snprintf(why, sizeof(why),
             "must be a duration (digits with s, m or h) from %s to %s", lo,
             hi);
    return bad_value(x, k, v, r, why);
  }
  *f = (unsigned) n;
  return 0;
}

static int
set_enum(struct kc_conf *c, const struct conf_key *k, char *v,
         const struct conf_ctx *x)
{
  const char *const *names = k->arg;
  char why[128];
  size_t used;
  unsigned i;

  for (i = 0; names[i] != NULL; i++) {
    if (strcmp(v, names[i]) == 0) {
      memcpy(field(c, k), &i, sizeof(i));
      return 0;
    }
  }
  used = (size_t) snprintf(why, sizeof(why), "must be one of");
  for (i = 0; names[i] != NULL && used < sizeof(why); i++)
    used += (size_t) snprintf(why + used, sizeof(why) - used, "%s %s",
                              i > 0 ? "," : "", names[i]);
  return bad_value(x, k, v, KC_ERR_INVALID, why);
}

/* ------------------------------------------------------------ URLs */

static int
set_url(struct kc_conf *c, const struct conf_key *k, char *v,
        const struct conf_ctx *x)
{
  const struct kc_url_rule *u = k->arg;
  size_t n = strlen(v);
  char why[128];

  if (!kc_url_valid(v, u)) {
    snprintf(why, sizeof(why), "must be %s", u->what);
    return bad_value(x, k, v, KC_ERR_INVALID, why);
  }
  if (u->drop_slash && v[n - 1] == '/')
    v[n - 1] = '\0';
  return store_string(c, k, v, x);
}

static bool
is_blank(char ch)
{
  return ch == ' ' || ch == '\t';
}

/* Split s in place at blanks into l; each item must pass the rule. */
static int
split_list(char *s, struct kc_conf_list *l, const struct conf_key *k,
           const struct conf_ctx *x)
{
  const struct kc_url_rule *u = k->arg;
  char why[128];

  while (*s != '\0') {
    char *item = s;
    while (*s != '\0' && !is_blank(*s))
      s++;
    while (is_blank(*s))
      *s++ = '\0';
    if (l->n >= k->max) {
      snprintf(why, sizeof(why), "more than %u entries", k->max);
      return bad_value(x, k, item, KC_ERR_RANGE, why);
    }
    if (!kc_url_valid(item, u)) {
      snprintf(why, sizeof(why), "each entry must be %s", u->what);
      return bad_value(x, k, item, KC_ERR_INVALID, why);
    }
    l->item[l->n++] = item;
  }
  return 0;
}

static int
set_url_list(struct kc_conf *c, const struct conf_key *k, char *v,
             const struct conf_ctx *x)
{
  struct kc_conf_list *l = field(c, k);
  char *s = keep(c, k, v, strlen(v));

  if (s == NULL)
    return conf_fail(x, KC_ERR_NOMEM, "out of memory");
  l->n = 0;
  return split_list(s, l, k, x);
}

/* IPV4:PORT or [IPV6]:PORT, numeric only (no name lookups at start-up). */
static int
set_listen(struct kc_conf *c, const struct conf_key *k, char *v,
           const struct conf_ctx *x)
{
  struct kc_conf_listen *l = field(c, k);
  const char *colon = strrchr(v, ':');
  const char *host = v;
  char addr[INET6_ADDRSTRLEN];
  unsigned char bin[sizeof(struct in6_addr)];
  size_t n = colon != NULL ? (size_t) (colon - v) : 0;
  uint64_t port;
  int family = AF_INET;

  if (colon == NULL || kc_str_to_uint(colon + 1, &port, k->min, k->max) != 0)
    return bad_value(x, k, v, KC_ERR_INVALID,
                     "must be ADDRESS:PORT with a port from 1 to 65535");
  if (n >= 2 && host[0] == '[' && host[n - 1] == ']') {
    host++;
    n -= 2;
    family = AF_INET6;
  }
  if (n >= sizeof(addr))
    n = sizeof(addr) - 1; /* too long for an address; inet_pton refuses */
  memcpy(addr, host, n);
  addr[n] = '\0';
  if (inet_pton(family, addr, bin) != 1)
    return bad_value(x, k, v, KC_ERR_INVALID,
                     "address must be IPv4 or [IPv6] in numeric form");
  if ((l->host = keep(c, k, addr, n)) == NULL)
    return conf_fail(x, KC_ERR_NOMEM, "out of memory");
  l->port = (unsigned) port;
  l->family = family;
  return 0;
}

/* Loopback only: 127.0.0.0/8 or ::1. */
static bool
is_loopback(const struct kc_conf_listen *l)
{
  unsigned char bin[sizeof(struct in6_addr)];

  if (inet_pton(l->family, l->host, bin) != 1)
    return false;
  if (l->family == AF_INET)
    return bin[0] == 127;
  return memcmp(bin, &in6addr_loopback, sizeof(in6addr_loopback)) == 0;
}

/* "none", or IPV4:PORT / [IPV6]:PORT on a loopback address: /metrics
 * tells how registrations and logins go, so it is never public. */
static int
set_metrics_listen(struct kc_conf *c, const struct conf_key *k, char *v,
                   const struct conf_ctx *x)
{
  struct kc_conf_listen *l = field(c, k);
  int r;

  if (strcmp(v, "none") == 0) {
    memset(l, 0, sizeof(*l));
    return 0;
  }
  if ((r = set_listen(c, k, v, x)) != 0)
    return r;
  if (!is_loopback(l)) {
    memset(l, 0, sizeof(*l));
    return bad_value(
      x, k, v, KC_ERR_INVALID,
      "must be none or a loopback address (127.0.0.0/8 or [::1]) with a "
      "port; reach it from elsewhere only through an authenticating proxy");
  }
  return 0;
}

static int
set_transport(struct kc_conf *c, const struct conf_key *k, char *v,
              const struct conf_ctx *x)
{
  const struct transport_rule *t = k->arg;
  struct kc_conf_transport *f = field(c, k);
  size_t i, n = sizeof(transport_prefixes) / sizeof(transport_prefixes[0]);
  char why[128];
  char *s;

  snprintf(why, sizeof(why), "must be %s", t->what);
  for (i = 0; i < n; i++) {
    if (strncmp(v, transport_prefixes[i].prefix,
                strlen(transport_prefixes[i].prefix)) == 0)
      break;
  }
  if (i == n || (t->kinds & KIND(transport_prefixes[i].kind)) == 0)
    return bad_value(x, k, v, KC_ERR_INVALID, why);
  if (transport_prefixes[i].is_path
        ? v[strlen(transport_prefixes[i].prefix)] != '/'
        : !kc_url_valid(v, t->url))
    return bad_value(x, k, v, KC_ERR_INVALID, why);
  if ((s = keep(c, k, v, strlen(v))) == NULL)
    return conf_fail(x, KC_ERR_NOMEM, "out of memory");
  f->kind = transport_prefixes[i].kind;
  f->uri = s;
  f->path = transport_prefixes[i].is_path
              ? s + strlen(transport_prefixes[i].prefix)
              : NULL;
  return 0;
}

/* trusted_proxies: the list grammar and its checks are netaddr.c's; the
 * message quotes the offending entry (or the value for an empty one). */
static int
set_proxies(struct kc_conf *c, const struct conf_key *k, char *v,
            const struct conf_ctx *x)
{
  struct kc_netaddr_list *l = field(c, k);
  struct kc_netaddr_err e;
  char item[CONF_SHOW_MAX + 2];
  size_t n;
  int r;

  if ((r = kc_netaddr_list_parse(l, v, &e)) == 0)
    return 0;
  if (e.len == 0)
    return bad_value(x, k, v, r, e.why);
  /* a little over CONF_SHOW_MAX, so that a long entry is shown cut */
  n = e.len < sizeof(item) - 1 ? e.len : sizeof(item) - 1;
  memcpy(item, v + e.off, n);
  item[n] = '\0';
  return bad_value(x, k, item, r, e.why);
}

/* ------------------------------------------------------------ lines */

/* Refuse bytes that have no business in a config line. */
static int
check_bytes(const struct conf_ctx *x, const char *s, size_t len)
{
  if (memchr(s, '\0', len) != NULL)
    return conf_fail(x, KC_ERR_INVALID, "NUL byte");
  if (!kc_str_is_utf8(s, len))
    return conf_fail(x, KC_ERR_INVALID, "invalid UTF-8");
  if (!kc_str_is_printable(s, len, true))
    return conf_fail(x, KC_ERR_INVALID, "control character");
  return 0;
}

/* Trim blanks at both ends in place; return the new start. */
static char *
trim(char *s)
{
  size_t n;

  while (is_blank(*s))
    s++;
  n = strlen(s);
  while (n > 0 && is_blank(s[n - 1]))
    s[--n] = '\0';
  return s;
}

/* Undo the quoting of a value that starts with '"', in place. */
static int
unquote(const struct conf_ctx *x, const struct conf_key *k, char *v)
{
  const char *in = v + 1;
  char *out = v;

  for (;;) {
    if (*in == '\0')
      return conf_fail(x, KC_ERR_INVALID, "%s: missing closing quote", k->name);
    if (*in == '"')
      break;
    if (*in == '\\') {
      in++;
      if (*in != '"' && *in != '\\')
        return conf_fail(x, KC_ERR_INVALID,
                         "%s: only \\\" and \\\\ may be escaped in quotes",
                         k->name);
    }
    *out++ = *in++;
  }
  if (in[1] != '\0')
    return conf_fail(x, KC_ERR_INVALID, "%s: text after closing quote",
                     k->name);
  *out = '\0';
  return 0;
}

/* Set key to the raw (trimmed, maybe quoted) value v. The key is checked
 * first, so messages only ever quote a key name from the table. */
static int
apply(struct kc_conf *c, const struct conf_ctx *x, const char *key, char *v)
{
  const struct conf_key *k = find_key(key);
  char shown[CONF_SHOWN_SIZE];
  size_t i;
  int r;

  if (k == NULL) {
    conf_show(shown, sizeof(shown), key);
    return conf_fail(x, KC_ERR_NOT_FOUND, "unknown key \"%s\"", shown);
  }
  i = (size_t) (k - conf_keys);
  if (c->cf_line[i] != 0)
    return conf_fail(x, KC_ERR_DUPLICATE,
                     "duplicate key \"%s\" (first set on line %u)", k->name,
                     c->cf_line[i]);
  if (*v == '"' && (r = unquote(x, k, v)) != 0)
    return r;
  if (*v == '\0')
    return conf_fail(x, KC_ERR_INVALID, "%s: empty value", k->name);
  if ((r = k->set(c, k, v, x)) != 0)
    return r;
  c->cf_line[i] = x->line;
  return 0;
}

static int
parse_line(struct kc_conf *c, const struct conf_ctx *x, const char *raw,
           size_t len)
{
  char buf[KC_MAX_CONF_LINE + 1];
  char *key, *eq;
  int r;

  if (len > 0 && raw[len - 1] == '\r')
    len--;
  if ((r = check_bytes(x, raw, len)) != 0)
    return r;
  memcpy(buf, raw, len);
  buf[len] = '\0';
  key = trim(buf);
  if (*key == '\0' || *key == '#')
    return 0;
  eq = strchr(key, '=');
  if (eq == NULL || eq == key)
    return conf_fail(x, KC_ERR_INVALID, "expected \"key = value\"");
  *eq = '\0';
  return apply(c, x, trim(key), trim(eq + 1));
}

static int
parse_lines(struct kc_conf *c, struct conf_ctx *x, const char *text, size_t len)
{
  size_t pos = 0, n;
  const char *nl;
  int r;

  while (pos < len) {
    x->line++;
    nl = memchr(text + pos, '\n', len - pos);
    n = nl != NULL ? (size_t) (nl - (text + pos)) : len - pos;
    if (n > KC_MAX_CONF_LINE)
      return conf_fail(x, KC_ERR_TOO_LARGE, "line longer than %d bytes",
                       KC_MAX_CONF_LINE);
    if ((r = parse_line(c, x, text + pos, n)) != 0)
      return r;
    pos += n + 1;
  }
  return 0;
}

/* ------------------------------------------------------------ cross-key */

static int
check_required(const struct kc_conf *c, struct conf_ctx *x)
{
  size_t i;

  x->line = 0;
  for (i = 0; i < CONF_NKEYS; i++) {
    if ((conf_keys[i].flags & KEY_REQUIRED) && c->cf_line[i] == 0)
      return conf_fail(x, KC_ERR_NOT_FOUND,
                       "missing required key \"%s\": not configured yet; "
                       "set it in this file (kcd.conf(5))",
                       conf_keys[i].name);
  }
  return 0;
}

static int
check_deps(const struct kc_conf *c, struct conf_ctx *x)
{
  size_t i;

  for (i = 0; i < sizeof(conf_deps) / sizeof(conf_deps[0]); i++) {
    x->line = key_line(c, conf_deps[i].key);
    if (x->line != 0 && key_line(c, conf_deps[i].needs) == 0)
      return conf_fail(x, KC_ERR_NOT_FOUND, "%s requires %s", conf_deps[i].key,
                       conf_deps[i].needs);
  }
  return 0;
}

static int
check_ldap(const struct kc_conf *c, struct conf_ctx *x)
{
  size_t i;

  if (!c->ldap_starttls)
    return 0;
  x->line = key_line(c, "ldap_starttls");
  for (i = 0; i < c->ldap_uri.n; i++) {
    if (strncmp(c->ldap_uri.item[i], "ldaps://", 8) == 0)
      return conf_fail(x, KC_ERR_INVALID,
                       "ldap_starttls cannot be used with ldaps:// URIs");
  }
  return 0;
}

static int
check_mail(const struct kc_conf *c, struct conf_ctx *x)
{
  static const char *const smtp_keys[] = {"smtp_user", "smtp_starttls"};
  enum kc_conf_transport_kind kind = c->mail_transport.kind;
  size_t i;

  for (i = 0; i < sizeof(smtp_keys) / sizeof(smtp_keys[0]); i++) {
    x->line = key_line(c, smtp_keys[i]);
    if (x->line != 0 && kind != KC_CONF_TRANSPORT_SMTP &&
        kind != KC_CONF_TRANSPORT_SMTPS)
      return conf_fail(x, KC_ERR_INVALID,
                       "%s needs an smtp:// or smtps:// mail_transport",
                       smtp_keys[i]);
  }
  x->line = key_line(c, "smtp_starttls");
  if (x->line != 0 && kind == KC_CONF_TRANSPORT_SMTPS)
    return conf_fail(x, KC_ERR_INVALID,
                     "smtp_starttls applies to smtp:// only (smtps:// is "
                     "always TLS)");
  return 0;
}

static int
check_sms(const struct kc_conf *c, struct conf_ctx *x)
{
  static const char *const http_keys[] = {"sms_method", "sms_body",
                                          "sms_auth_header_file",
                                          "sms_success"};
  enum kc_conf_transport_kind kind = c->sms_transport.kind;
  bool http = kind == KC_CONF_TRANSPORT_HTTP || kind == KC_CONF_TRANSPORT_HTTPS;
  size_t i;

  x->line = key_line(c, "sms_transport");
  if (http && c->sms_body == NULL)
    return conf_fail(x, KC_ERR_NOT_FOUND,
                     "an http:// or https:// sms_transport requires sms_body");
  for (i = 0; i < sizeof(http_keys) / sizeof(http_keys[0]); i++) {
    x->line = key_line(c, http_keys[i]);
    if (x->line != 0 && !http)
      return conf_fail(x, KC_ERR_INVALID,
                       "%s needs an http:// or https:// sms_transport",
                       http_keys[i]);
  }
  return 0;
}

static int
check_all(const struct kc_conf *c, struct conf_ctx *x)
{
  int r;

  if ((r = check_required(c, x)) != 0 || (r = check_deps(c, x)) != 0 ||
      (r = check_ldap(c, x)) != 0 || (r = check_mail(c, x)) != 0 ||
      (r = check_sms(c, x)) != 0)
    return r;
  return 0;
}

/* ------------------------------------------------------------ public */

void
kc_conf_init(struct kc_conf *c)
{
  memset(c, 0, sizeof(*c));
  c->ldap_timeout = 5;
  c->ldap_retry_after = 30;
  c->pam_socket = "/run/kcd/pam.sock";
  c->http_listen.host = "127.0.0.1";
  c->http_listen.port = 8080;
  c->http_listen.family = AF_INET;
  c->metrics_listen.host = "127.0.0.1";
  c->metrics_listen.port = 8081;
  c->metrics_listen.family = AF_INET;
  c->workers = 16;
  c->pam_max_conns_per_uid = KC_PAM_CONNS_PER_UID;
  c->portal_name = "Kundencenter";
  c->captcha = KC_CONF_CAPTCHA_IMAGE;
  c->smtp_starttls = KC_CONF_STARTTLS_REQUIRED;
  c->sms_method = KC_CONF_HTTP_POST;
  c->tan_length = 6;
  c->tan_ttl = 5 * 60;
  c->tan_max_tries = 3;
  c->tan_resend_interval = 60;
  c->tan_max_per_hour = 5;
  c->tan_max_failures = 10;
  c->activation_ttl = 24 * 3600;
  c->reset_ttl = 3600;
  c->session_idle = 15 * 60;
  c->session_max = 8 * 3600;
  c->invite_max_pending = 20;
  c->password_min_length = 12;
  c->password_hash_m = 65536;
  c->password_hash_t = 2;
  c->password_hash_upgrade = true;
  c->default_country_code = 49;
  c->reserved_usernames_file = KC_CONF_RESERVED_DEFAULT_PATH;
}

void
kc_conf_free(struct kc_conf *c)
{
  size_t i;

  for (i = 0; i < KC_CONF_MAX_KEYS; i++)
    free(c->cf_store[i]);
  free(c->cf_name);
  kc_conf_init(c);
}

int
kc_conf_parse(struct kc_conf *c, const char *name, const char *text, size_t len,
              char *err, size_t errlen)
{
  struct conf_ctx x = {name, 0, err, errlen};
  int r;

  kc_conf_free(c);
  if (err != NULL && errlen > 0)
    err[0] = '\0';
  if (len > KC_MAX_CONF_FILE)
    return conf_fail(&x, KC_ERR_TOO_LARGE, "file larger than %d bytes",
                     KC_MAX_CONF_FILE);
  if (text == NULL && len > 0)
    return conf_fail(&x, KC_ERR_INTERNAL, "no text");
  if ((c->cf_name = strdup(name)) == NULL)
    return conf_fail(&x, KC_ERR_NOMEM, "out of memory");
  if (len > 0)
    r = parse_lines(c, &x, text, len);
  else
    r = 0;
  if (r == 0)
    r = check_all(c, &x);
  if (r != 0)
    kc_conf_free(c);
  return r;
}

const char *
kc_conf_key_name(size_t i)
{
  return i < CONF_NKEYS ? conf_keys[i].name : NULL;
}

/* ------------------------------------------------------------ files */

int
kc_conf_load(struct kc_conf *c, const char *path, char *err, size_t errlen)
{
  struct kc_buf b;
  int r;

  kc_conf_free(c);
  if (err != NULL && errlen > 0)
    err[0] = '\0';
  r = kc_conf_read_file(path, &b, KC_MAX_CONF_FILE, err, errlen);
  if (r == 0)
    r = kc_conf_parse(c, path, kc_buf_get(&b), kc_buf_len(&b), err, errlen);
  kc_buf_free(&b);
  return r;
}

int
kc_conf_check_secrets(const struct kc_conf *c, char *err, size_t errlen)
{
  struct kc_buf b;
  char why[512];
  size_t i;
  int r;

  for (i = 0; i < CONF_NKEYS; i++) {
    if (!(conf_keys[i].flags & KEY_SECRET) || c->cf_store[i] == NULL)
      continue;
    r = kc_conf_read_secret(c->cf_store[i], &b, why, sizeof(why));
    kc_buf_free(&b);
    if (r != 0) {
      if (err != NULL && errlen > 0)
        snprintf(err, errlen, "%s:%u: %s: %s",
                 c->cf_name != NULL ? c->cf_name : "kcd.conf", c->cf_line[i],
                 conf_keys[i].name, why);
      return r;
    }
  }
  return 0;
}
