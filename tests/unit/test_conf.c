/* Unit tests for kcd/conf/conf.c: kcd.conf syntax, every key type, checks
 * across keys, secret files and the key table. */
#include <config.h>

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <signal.h>

#include <sodium.h>

#include "conf.h"
#include "kc_buf.h"
#include "kc_err.h"
#include "kc_limits.h"
#include "ldap_conf.h"

/* The two required keys; a line under test starts on line 3. */
#define BASE                                                                   \
  "ldap_uri = ldap://localhost\n"                                              \
  "ldap_base = dc=example,dc=org\n"

static struct kc_conf conf;
static char err[512];
static char tmpdir[64];

static int
parse(const char *text)
{
  return kc_conf_parse(&conf, "kcd.conf", text, strlen(text), err,
    sizeof(err));
}

static void
setup(void)
{
  kc_conf_init(&conf);
  err[0] = '\0';
}

static void
teardown(void)
{
  kc_conf_free(&conf);
}

static int
rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
  (void) st;
  (void) flag;
  (void) ftw;
  return remove(path);
}

static void
setup_dir(void)
{
  setup();
  snprintf(tmpdir, sizeof(tmpdir), "/tmp/kc-test-conf.XXXXXX");
  ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static void
teardown_dir(void)
{
  teardown();
  (void) nftw(tmpdir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
}

/* Create tmpdir/name with content and mode; the path goes to out. */
static void
make_file(char *out, size_t outlen, const char *name, const char *content,
  size_t len, mode_t mode)
{
  int fd;

  snprintf(out, outlen, "%s/%s", tmpdir, name);
  fd = open(out, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  ck_assert_int_ge(fd, 0);
  ck_assert_int_eq(write(fd, content, len), (ssize_t) len);
  ck_assert_int_eq(fchmod(fd, mode), 0);
  close(fd);
}

/* ------------------------------------------------------------ defaults */

START_TEST(test_conf_defaults)
{
  ck_assert_uint_eq(conf.ldap_uri.n, 0);
  ck_assert_ptr_null(conf.ldap_base);
  ck_assert_ptr_null(conf.ldap_bind_dn);
  ck_assert_ptr_null(conf.ldap_bind_pw_file);
  ck_assert(!conf.ldap_starttls);
  ck_assert_ptr_null(conf.ldap_ca_file);
  ck_assert_uint_eq(conf.ldap_timeout, 5);
  ck_assert_uint_eq(conf.ldap_retry_after, 30);
  ck_assert_ptr_null(conf.secret_key_file);
  /* the build sets the directory ($(pkgdatadir): share/pam_kundencenter,
   * or /usr/share/kcd in the Debian package) */
  ck_assert_ptr_nonnull(
    strstr(conf.reserved_usernames_file, "/reserved-usernames"));
  ck_assert_int_eq(conf.reserved_usernames_file[0], '/');
  ck_assert_str_eq(conf.pam_socket, "/run/kcd/pam.sock");
  ck_assert_str_eq(conf.http_listen.host, "127.0.0.1");
  ck_assert_uint_eq(conf.http_listen.port, 8080);
  ck_assert_int_eq(conf.http_listen.family, AF_INET);
  ck_assert_str_eq(conf.metrics_listen.host, "127.0.0.1");
  ck_assert_uint_eq(conf.metrics_listen.port, 8081);
  ck_assert_int_eq(conf.metrics_listen.family, AF_INET);
  ck_assert_uint_eq(conf.workers, 16);
  ck_assert_uint_eq(conf.pam_max_conns_per_uid, KC_PAM_CONNS_PER_UID);
  ck_assert_ptr_null(conf.user);
  ck_assert_ptr_null(conf.public_url);
  ck_assert_ptr_null(conf.login_url);
  ck_assert_uint_eq(conf.allowed_back_origins.n, 0);
  ck_assert_str_eq(conf.portal_name, "Kundencenter");
  ck_assert_int_eq(conf.captcha, KC_CONF_CAPTCHA_IMAGE);
  ck_assert_uint_eq(conf.trusted_proxies.n, 0);
  ck_assert_ptr_null(conf.mail_from);
  ck_assert_int_eq(conf.mail_transport.kind, KC_CONF_TRANSPORT_NONE);
  ck_assert_ptr_null(conf.mail_transport.uri);
  ck_assert_ptr_null(conf.smtp_user);
  ck_assert_ptr_null(conf.smtp_pw_file);
  ck_assert_int_eq(conf.smtp_starttls, KC_CONF_STARTTLS_REQUIRED);
  ck_assert_int_eq(conf.sms_transport.kind, KC_CONF_TRANSPORT_NONE);
  ck_assert_int_eq(conf.sms_method, KC_CONF_HTTP_POST);
  ck_assert_ptr_null(conf.sms_body);
  ck_assert_ptr_null(conf.sms_auth_header_file);
  ck_assert_ptr_null(conf.sms_success);
  ck_assert_uint_eq(conf.tan_length, 6);
  ck_assert_uint_eq(conf.tan_ttl, 300);
  ck_assert_uint_eq(conf.tan_max_tries, 3);
  ck_assert_uint_eq(conf.tan_resend_interval, 60);
  ck_assert_uint_eq(conf.tan_max_per_hour, 5);
  ck_assert_uint_eq(conf.tan_max_failures, 10);
  ck_assert_uint_eq(conf.activation_ttl, 86400);
  ck_assert_uint_eq(conf.reset_ttl, 3600);
  ck_assert_uint_eq(conf.session_idle, 900);
  ck_assert_uint_eq(conf.session_max, 8 * 3600);
  ck_assert_uint_eq(conf.invite_max_pending, 20);
  ck_assert_uint_eq(conf.password_min_length, 12);
  ck_assert_uint_eq(conf.password_hash_m, 65536);
  ck_assert_uint_eq(conf.password_hash_t, 2);
  ck_assert(conf.password_hash_upgrade);
  ck_assert_uint_eq(conf.default_country_code, 49);
}
END_TEST

START_TEST(test_conf_minimal_keeps_defaults)
{
  ck_assert_int_eq(parse(BASE), 0);
  ck_assert_uint_eq(conf.ldap_uri.n, 1);
  ck_assert_str_eq(conf.ldap_uri.item[0], "ldap://localhost");
  ck_assert_str_eq(conf.ldap_base, "dc=example,dc=org");
  ck_assert_str_eq(conf.pam_socket, "/run/kcd/pam.sock");
  ck_assert_str_eq(conf.portal_name, "Kundencenter");
  ck_assert_uint_eq(conf.tan_ttl, 300);
  ck_assert_str_eq(err, "");
}
END_TEST

/* ------------------------------------------------------------ every key */

static const char full_conf[] =
  "# kcd.conf with every key\n"
  "ldap_uri = ldaps://ldap1.example.org:636 ldap://[2001:db8::1]:389 "
  "ldapi://%2Frun%2Fslapd%2Fldapi\n"
  "ldap_base = dc=example,dc=org\n"
  "ldap_bind_dn = cn=kcd,ou=services,dc=example,dc=org\n"
  "ldap_bind_pw_file = /etc/kcd/ldap.pw\n"
  "ldap_starttls = off\n"
  "ldap_ca_file = /etc/ssl/certs/ca-certificates.crt\n"
  "ldap_timeout = 2m\n"
  "ldap_retry_after = 10s\n"
  "secret_key_file = /etc/kcd/secret.key\n"
  "reserved_usernames_file = /etc/kcd/reserved-usernames\n"
  "pam_socket = /run/kcd/other.sock\n"
  "http_listen = 0.0.0.0:8443\n"
  "metrics_listen = [::1]:9100\n"
  "workers = 64\n"
  "pam_max_conns_per_uid = 300\n"
  "user = _kcd\n"
  "public_url = https://portal.example.org/kc/\n"
  "login_url = https://portal.example.org/login?from=activation\n"
  "allowed_back_origins = https://portal.example.org "
  "\thttp://intranet:8080\n"
  "portal_name = \"  Online-Kundencenter \\\"M\xc3\xbcller\\\" \"\n"
  "captcha = pow\n"
  "trusted_proxies = 127.0.0.1, ::1 10.0.0.0/8\n"
  "mail_from = kundencenter@example.org\n"
  "mail_transport = smtp://mail.example.org:587\n"
  "smtp_user = kcd@example.org\n"
  "smtp_pw_file = /etc/kcd/smtp.pw\n"
  "smtp_starttls = opportunistic\n"
  "sms_transport = https://sms.example.net/api/v1/send?route=de\n"
  "sms_method = GET\n"
  "sms_body = to={to}&text={text}\n"
  "sms_auth_header_file = /etc/kcd/sms.header\n"
  "sms_success = \"\\\"status\\\": \\\"ok\\\"\"\n"
  "tan_length = 8\n"
  "tan_ttl = 90s\n"
  "tan_max_tries = 5\n"
  "tan_resend_interval = 30\n"
  "tan_max_per_hour = 10\n"
  "tan_max_failures = 20\n"
  "activation_ttl = 48h\n"
  "reset_ttl = 30m\n"
  "session_idle = 10m\n"
  "session_max = 12h\n"
  "invite_max_pending = 5\n"
  "password_min_length = 16\n"
  "password_hash_m = 131072\n"
  "password_hash_t = 3\n"
  "password_hash_upgrade = no\n"
  "default_country_code = 43\n";

START_TEST(test_conf_every_key_parsed)
{
  ck_assert_msg(parse(full_conf) == 0, "%s", err);
  ck_assert_uint_eq(conf.ldap_uri.n, 3);
  ck_assert_str_eq(conf.ldap_uri.item[0], "ldaps://ldap1.example.org:636");
  ck_assert_str_eq(conf.ldap_uri.item[1], "ldap://[2001:db8::1]:389");
  ck_assert_str_eq(conf.ldap_uri.item[2], "ldapi://%2Frun%2Fslapd%2Fldapi");
  ck_assert_str_eq(conf.ldap_base, "dc=example,dc=org");
  ck_assert_str_eq(conf.ldap_bind_dn, "cn=kcd,ou=services,dc=example,dc=org");
  ck_assert_str_eq(conf.ldap_bind_pw_file, "/etc/kcd/ldap.pw");
  ck_assert(!conf.ldap_starttls);
  ck_assert_str_eq(conf.ldap_ca_file, "/etc/ssl/certs/ca-certificates.crt");
  ck_assert_uint_eq(conf.ldap_timeout, 120);
  ck_assert_uint_eq(conf.ldap_retry_after, 10);
  ck_assert_str_eq(conf.secret_key_file, "/etc/kcd/secret.key");
  ck_assert_str_eq(conf.reserved_usernames_file,
    "/etc/kcd/reserved-usernames");
  ck_assert_str_eq(conf.pam_socket, "/run/kcd/other.sock");
  ck_assert_str_eq(conf.http_listen.host, "0.0.0.0");
  ck_assert_uint_eq(conf.http_listen.port, 8443);
  ck_assert_int_eq(conf.http_listen.family, AF_INET);
  ck_assert_str_eq(conf.metrics_listen.host, "::1");
  ck_assert_uint_eq(conf.metrics_listen.port, 9100);
  ck_assert_int_eq(conf.metrics_listen.family, AF_INET6);
  ck_assert_uint_eq(conf.workers, 64);
  ck_assert_uint_eq(conf.pam_max_conns_per_uid, 300);
  ck_assert_str_eq(conf.user, "_kcd");
  ck_assert_str_eq(conf.public_url, "https://portal.example.org/kc");
  ck_assert_str_eq(conf.login_url,
    "https://portal.example.org/login?from=activation");
  ck_assert_uint_eq(conf.allowed_back_origins.n, 2);
  ck_assert_str_eq(conf.allowed_back_origins.item[0],
    "https://portal.example.org");
  ck_assert_str_eq(conf.allowed_back_origins.item[1], "http://intranet:8080");
  ck_assert_str_eq(conf.portal_name,
    "  Online-Kundencenter \"M\xc3\xbcller\" ");
  ck_assert_int_eq(conf.captcha, KC_CONF_CAPTCHA_POW);
  ck_assert_uint_eq(conf.trusted_proxies.n, 3);
  ck_assert_int_eq(conf.trusted_proxies.net[0].base.family, AF_INET);
  ck_assert_uint_eq(conf.trusted_proxies.net[0].prefix, 32);
  ck_assert_int_eq(conf.trusted_proxies.net[1].base.family, AF_INET6);
  ck_assert_uint_eq(conf.trusted_proxies.net[1].prefix, 128);
  ck_assert_uint_eq(conf.trusted_proxies.net[2].prefix, 8);
  ck_assert_str_eq(conf.mail_from, "kundencenter@example.org");
  ck_assert_int_eq(conf.mail_transport.kind, KC_CONF_TRANSPORT_SMTP);
  ck_assert_str_eq(conf.mail_transport.uri, "smtp://mail.example.org:587");
  ck_assert_ptr_null(conf.mail_transport.path);
  ck_assert_str_eq(conf.smtp_user, "kcd@example.org");
  ck_assert_str_eq(conf.smtp_pw_file, "/etc/kcd/smtp.pw");
  ck_assert_int_eq(conf.smtp_starttls, KC_CONF_STARTTLS_OPPORTUNISTIC);
  ck_assert_int_eq(conf.sms_transport.kind, KC_CONF_TRANSPORT_HTTPS);
  ck_assert_str_eq(conf.sms_transport.uri,
    "https://sms.example.net/api/v1/send?route=de");
  ck_assert_int_eq(conf.sms_method, KC_CONF_HTTP_GET);
  ck_assert_str_eq(conf.sms_body, "to={to}&text={text}");
  ck_assert_str_eq(conf.sms_auth_header_file, "/etc/kcd/sms.header");
  ck_assert_str_eq(conf.sms_success, "\"status\": \"ok\"");
  ck_assert_uint_eq(conf.tan_length, 8);
  ck_assert_uint_eq(conf.tan_ttl, 90);
  ck_assert_uint_eq(conf.tan_max_tries, 5);
  ck_assert_uint_eq(conf.tan_resend_interval, 30);
  ck_assert_uint_eq(conf.tan_max_per_hour, 10);
  ck_assert_uint_eq(conf.tan_max_failures, 20);
  ck_assert_uint_eq(conf.activation_ttl, 48 * 3600);
  ck_assert_uint_eq(conf.reset_ttl, 1800);
  ck_assert_uint_eq(conf.session_idle, 600);
  ck_assert_uint_eq(conf.session_max, 12 * 3600);
  ck_assert_uint_eq(conf.invite_max_pending, 5);
  ck_assert_uint_eq(conf.password_min_length, 16);
  ck_assert_uint_eq(conf.password_hash_m, 131072);
  ck_assert_uint_eq(conf.password_hash_t, 3);
  ck_assert(!conf.password_hash_upgrade);
  ck_assert_uint_eq(conf.default_country_code, 43);
}
END_TEST

START_TEST(test_conf_path_transports)
{
  ck_assert_msg(parse(BASE "mail_from = kc@localhost\n"
                           "mail_transport = maildir:/var/mail/kc\n"
                           "sms_transport = file:/var/spool/kc/sms.jsonl\n") ==
      0,
    "%s", err);
  ck_assert_int_eq(conf.mail_transport.kind, KC_CONF_TRANSPORT_MAILDIR);
  ck_assert_str_eq(conf.mail_transport.uri, "maildir:/var/mail/kc");
  ck_assert_str_eq(conf.mail_transport.path, "/var/mail/kc");
  ck_assert_int_eq(conf.sms_transport.kind, KC_CONF_TRANSPORT_FILE);
  ck_assert_str_eq(conf.sms_transport.path, "/var/spool/kc/sms.jsonl");
}
END_TEST

/* metrics_listen: loopback only, or none. */
START_TEST(test_conf_metrics_listen)
{
  ck_assert_msg(parse(BASE "metrics_listen = 127.0.0.2:9100\n") == 0, "%s",
    err);
  ck_assert_str_eq(conf.metrics_listen.host, "127.0.0.2");
  ck_assert_uint_eq(conf.metrics_listen.port, 9100);
  ck_assert_msg(parse(BASE "metrics_listen = [::1]:9100\n") == 0, "%s", err);
  ck_assert_str_eq(conf.metrics_listen.host, "::1");
  ck_assert_int_eq(conf.metrics_listen.family, AF_INET6);
  ck_assert_msg(parse(BASE "metrics_listen = none\n") == 0, "%s", err);
  ck_assert_uint_eq(conf.metrics_listen.port, 0);
  ck_assert_ptr_null(conf.metrics_listen.host);
  ck_assert_msg(parse(BASE "pam_max_conns_per_uid = 1024\n") == 0, "%s", err);
  ck_assert_uint_eq(conf.pam_max_conns_per_uid, 1024);
}
END_TEST

START_TEST(test_conf_listen_ipv6)
{
  ck_assert_msg(parse(BASE "http_listen = [::1]:9000\n") == 0, "%s", err);
  ck_assert_str_eq(conf.http_listen.host, "::1");
  ck_assert_uint_eq(conf.http_listen.port, 9000);
  ck_assert_int_eq(conf.http_listen.family, AF_INET6);
}
END_TEST

/* Accepted spellings and the value they give. */
static const struct {
  const char *line;
  unsigned tan_ttl;
  bool starttls;
} duration_bool_cases[] = {
  {"tan_ttl = 1\nldap_starttls = yes\n", 1, true},
  {"tan_ttl = 45s\nldap_starttls = true\n", 45, true},
  {"tan_ttl = 15m\nldap_starttls = on\n", 900, true},
  {"tan_ttl = 900\nldap_starttls = no\n", 900, false},
  {"tan_ttl = 2m\nldap_starttls = false\n", 120, false},
};

START_TEST(test_conf_duration_and_bool_forms)
{
  char text[256];

  snprintf(text, sizeof(text), "%s%s", BASE, duration_bool_cases[_i].line);
  ck_assert_msg(parse(text) == 0, "%s", err);
  ck_assert_uint_eq(conf.tan_ttl, duration_bool_cases[_i].tan_ttl);
  ck_assert(conf.ldap_starttls == duration_bool_cases[_i].starttls);
}
END_TEST

/* ------------------------------------------------------------ syntax */

START_TEST(test_conf_comments_blanks_crlf)
{
  const char *text = "\n"
                     "   # indented comment = not a key\n"
                     "\t\n"
                     "#ldap_url = ignored\r\n"
                     "  ldap_uri\t=\tldap://localhost  \r\n"
                     "ldap_base=dc=example,dc=org\n"
                     "\n"
                     "portal_name = Portal # not a comment\n"
                     "   ";

  ck_assert_msg(parse(text) == 0, "%s", err);
  ck_assert_str_eq(conf.ldap_uri.item[0], "ldap://localhost");
  ck_assert_str_eq(conf.ldap_base, "dc=example,dc=org");
  ck_assert_str_eq(conf.portal_name, "Portal # not a comment");
}
END_TEST

/* portal_name written in several ways and the value it yields. */
static const struct {
  const char *value;
  const char *want;
} quote_cases[] = {
  {"Plain words", "Plain words"},
  {"\"quoted\"", "quoted"},
  {"\"  keeps blanks  \"", "  keeps blanks  "},
  {"\"say \\\"hi\\\"\"", "say \"hi\""},
  {"\"back\\\\slash\"", "back\\slash"},
  {"back\\slash", "back\\slash"},
  {"in\"side", "in\"side"},
  {"\"#hash\"", "#hash"},
  {"\"=\"", "="},
  {"a = b", "a = b"},
  {"\"\\\\\"", "\\"},
};

START_TEST(test_conf_quotes_and_escapes)
{
  char text[256];

  snprintf(text, sizeof(text), BASE "portal_name = %s\n",
    quote_cases[_i].value);
  ck_assert_msg(parse(text) == 0, "%s: %s", quote_cases[_i].value, err);
  ck_assert_str_eq(conf.portal_name, quote_cases[_i].want);
}
END_TEST

/* A line (on line 3) that must fail, the code and a piece of the message. */
static const struct {
  const char *line;
  int rc;
  const char *msg;
} bad_line_cases[] = {
  /* syntax */
  {"portal_name Kundencenter", KC_ERR_INVALID, "kcd.conf:3: expected"},
  {"= value", KC_ERR_INVALID, "kcd.conf:3: expected"},
  {"portal_name =", KC_ERR_INVALID, "kcd.conf:3: portal_name: empty value"},
  {"portal_name = \"\"", KC_ERR_INVALID, "empty value"},
  {"portal_name = \"open", KC_ERR_INVALID, "missing closing quote"},
  {"portal_name = \"a\" b", KC_ERR_INVALID, "text after closing quote"},
  {"portal_name = \"a\\n\"", KC_ERR_INVALID, "may be escaped"},
  {"portal_name = \"a\\\"", KC_ERR_INVALID, "missing closing quote"},
  {"Portal_Name = x", KC_ERR_NOT_FOUND, "unknown key \"Portal_Name\""},
  {"bogus = \"open", KC_ERR_NOT_FOUND, "kcd.conf:3: unknown key \"bogus\""},
  {"ldap_base = \"open", KC_ERR_DUPLICATE, "duplicate key \"ldap_base\""},
  {"ldap_url = ldap://x", KC_ERR_NOT_FOUND, "kcd.conf:3: unknown key"},
  {"portal_name = a\x01z", KC_ERR_INVALID, "kcd.conf:3: control character"},
  {"portal_name = a\rb", KC_ERR_INVALID, "control character"},
  {"portal_name = \x7f", KC_ERR_INVALID, "control character"},
  /* durations */
  {"tan_ttl = 5", 0, NULL},
  {"tan_ttl = 16m", KC_ERR_RANGE, "kcd.conf:3: bad value \"16m\" for tan_ttl"},
  {"tan_ttl = 0", KC_ERR_RANGE, "from 1s to 15m"},
  {"tan_ttl = 5d", KC_ERR_INVALID, "duration"},
  {"tan_ttl = 5 m", KC_ERR_INVALID, "duration"},
  {"tan_ttl = -5", KC_ERR_INVALID, "duration"},
  {"tan_ttl = 1m30", KC_ERR_INVALID, "duration"},
  {"ldap_timeout = 99999999999999999999999", KC_ERR_RANGE, "ldap_timeout"},
  {"activation_ttl = 30s", KC_ERR_RANGE, "from 1m to 168h"},
  {"reset_ttl = 25h", KC_ERR_RANGE, "from 1m to 24h"},
  {"session_idle = 30s", KC_ERR_RANGE, "from 1m to 24h"},
  {"session_max = 721h", KC_ERR_RANGE, "from 5m to 720h"},
  {"session_max = 1m", KC_ERR_RANGE, "from 5m to 720h"},
  {"invite_max_pending = 0", KC_ERR_RANGE, "from 1 to 1000"},
  /* numbers */
  {"tan_length = 9", KC_ERR_RANGE, "must be a number from 6 to 8"},
  {"tan_length = 5", KC_ERR_RANGE, "from 6 to 8"},
  {"tan_length = six", KC_ERR_INVALID, "tan_length"},
  {"tan_max_tries = 0", KC_ERR_RANGE, "from 1 to 10"},
  {"password_min_length = 7", KC_ERR_RANGE, "from 8 to 64"},
  {"password_hash_m = 4096", KC_ERR_RANGE, "from 8192 to 1048576"},
  {"password_hash_t = 0", KC_ERR_RANGE, "from 1 to 32"},
  {"default_country_code = 0049", 0, NULL},
  {"default_country_code = 1000", KC_ERR_RANGE, "from 1 to 999"},
  {"default_country_code = +49", KC_ERR_INVALID, "from 1 to 999"},
  {"workers = 257", KC_ERR_RANGE, "from 1 to 256"},
  {"workers = 0", KC_ERR_RANGE, "from 1 to 256"},
  {"tan_max_per_hour = 4294967297", KC_ERR_RANGE, "from 1 to 60"},
  {"tan_max_failures = 0", KC_ERR_RANGE, "from 1 to 1000"},
  /* enums and booleans */
  {"captcha = recaptcha", KC_ERR_INVALID, "must be one of image, pow, none"},
  {"captcha = Image", KC_ERR_INVALID, "captcha"},
  {"sms_method = get", KC_ERR_INVALID, "must be one of POST, GET"},
  {"smtp_starttls = maybe", KC_ERR_INVALID,
    "must be one of no, opportunistic, yes"},
  {"ldap_starttls = 1", KC_ERR_INVALID, "must be yes or no"},
  /* URLs */
  {"public_url = ftp://example.org", KC_ERR_INVALID, "http:// or https://"},
  {"public_url = https://", KC_ERR_INVALID, "public_url"},
  {"public_url = https://example.org?x=1", KC_ERR_INVALID, "without query"},
  {"public_url = https://user:pw@example.org", KC_ERR_INVALID, "public_url"},
  {"public_url = https://example.org:0", KC_ERR_INVALID, "public_url"},
  {"public_url = https://example.org:65536", KC_ERR_INVALID, "public_url"},
  {"public_url = https://exa mple.org", KC_ERR_INVALID, "public_url"},
  {"public_url = https://example.org/a b", KC_ERR_INVALID, "public_url"},
  {"public_url = https://example.org/#frag", KC_ERR_INVALID, "public_url"},
  {"public_url = https://[::1/", KC_ERR_INVALID, "public_url"},
  {"public_url = https://[zz::1]/", KC_ERR_INVALID, "public_url"},
  {"public_url = https://ex\xc3\xa4mple.org", KC_ERR_INVALID, "public_url"},
  {"login_url = /login", KC_ERR_INVALID, "login_url"},
  {"allowed_back_origins = https://a.example.org/", KC_ERR_INVALID,
    "each entry must be an origin"},
  {"allowed_back_origins = https://a.example.org javascript:alert(1)",
    KC_ERR_INVALID, "\"javascript:alert(1)\""},
  {"mail_transport = http://mail.example.org", KC_ERR_INVALID,
    "smtp://, smtps:// or maildir:/path"},
  {"mail_transport = smtp://mail.example.org/x", KC_ERR_INVALID,
    "mail_transport"},
  {"mail_transport = maildir:relative/dir", KC_ERR_INVALID, "mail_transport"},
  {"mail_transport = file:/tmp/x", KC_ERR_INVALID, "mail_transport"},
  {"sms_transport = smtp://x", KC_ERR_INVALID,
    "https://, http:// or file:/path"},
  {"sms_transport = file:", KC_ERR_INVALID, "sms_transport"},
  /* listen addresses */
  {"http_listen = 127.0.0.1", KC_ERR_INVALID, "ADDRESS:PORT"},
  {"http_listen = 127.0.0.1:0", KC_ERR_INVALID, "port from 1 to 65535"},
  {"http_listen = 127.0.0.1:65536", KC_ERR_INVALID, "ADDRESS:PORT"},
  {"http_listen = 127.0.0.1:80x", KC_ERR_INVALID, "ADDRESS:PORT"},
  {"http_listen = localhost:8080", KC_ERR_INVALID, "IPv4 or [IPv6]"},
  {"http_listen = 127.0.0.256:8080", KC_ERR_INVALID, "IPv4 or [IPv6]"},
  {"http_listen = ::1:8080", KC_ERR_INVALID, "IPv4 or [IPv6]"},
  {"http_listen = [127.0.0.1]:8080", KC_ERR_INVALID, "IPv4 or [IPv6]"},
  {"http_listen = []:8080", KC_ERR_INVALID, "IPv4 or [IPv6]"},
  {"http_listen = :8080", KC_ERR_INVALID, "IPv4 or [IPv6]"},
  {"metrics_listen = 0.0.0.0:9100", KC_ERR_INVALID, "loopback"},
  {"metrics_listen = 192.0.2.1:9100", KC_ERR_INVALID, "loopback"},
  {"metrics_listen = [::]:9100", KC_ERR_INVALID, "loopback"},
  {"metrics_listen = [::ffff:127.0.0.1]:9100", KC_ERR_INVALID, "loopback"},
  {"metrics_listen = 127.0.0.1", KC_ERR_INVALID, "ADDRESS:PORT"},
  {"metrics_listen = off", KC_ERR_INVALID, "ADDRESS:PORT"},
  {"pam_max_conns_per_uid = 0", KC_ERR_RANGE, "from 1 to 1024"},
  {"pam_max_conns_per_uid = 1025", KC_ERR_RANGE, "from 1 to 1024"},
  /* trusted proxies */
  {"trusted_proxies = 127.0.0.1", 0, NULL},
  {"trusted_proxies = 127.0.0.1,::1,10.0.0.0/8,2001:db8::/32", 0, NULL},
  {"trusted_proxies = \"0.0.0.0/0, ::/0\"", 0, NULL},
  {"trusted_proxies = localhost", KC_ERR_INVALID,
    "bad value \"localhost\" for trusted_proxies: not an IPv4 or IPv6 "
    "address"},
  {"trusted_proxies = 127.0.0.1, proxy.example.org", KC_ERR_INVALID,
    "\"proxy.example.org\""},
  {"trusted_proxies = 127.0.0.1:8080", KC_ERR_INVALID, "not an IPv4 or IPv6"},
  {"trusted_proxies = [::1]", KC_ERR_INVALID, "not an IPv4 or IPv6"},
  {"trusted_proxies = 127.0.0.256", KC_ERR_INVALID, "not an IPv4 or IPv6"},
  {"trusted_proxies = 10.0.0.1/8", KC_ERR_INVALID,
    "bad value \"10.0.0.1/8\" for trusted_proxies: host bits set after the "
    "prefix (the network is 10.0.0.0/8)"},
  {"trusted_proxies = 2001:db8::1/32", KC_ERR_INVALID,
    "the network is 2001:db8::/32"},
  {"trusted_proxies = 10.0.0.0/33", KC_ERR_RANGE, "0 to 32 for IPv4"},
  {"trusted_proxies = ::1, 2001:db8::/129", KC_ERR_RANGE,
    "\"2001:db8::/129\" for trusted_proxies: prefix length must be 0 to 128 "
    "for IPv6"},
  {"trusted_proxies = 10.0.0.0/x", KC_ERR_INVALID, "decimal number"},
  {"trusted_proxies = 10.0.0.0/", KC_ERR_INVALID, "decimal number"},
  {"trusted_proxies = ::ffff:127.0.0.1", KC_ERR_INVALID, "write it as IPv4"},
  {"trusted_proxies = 127.0.0.1,,::1", KC_ERR_INVALID,
    "bad value \"127.0.0.1,,::1\" for trusted_proxies: empty entry"},
  {"trusted_proxies = 127.0.0.1,", KC_ERR_INVALID, "empty entry"},
  {"trusted_proxies = ,", KC_ERR_INVALID, "empty entry"},
  {"trusted_proxies = 127.0.0.1;::1", KC_ERR_INVALID, "not an IPv4 or IPv6"},
  {"trusted_proxies = \" \"", KC_ERR_INVALID, "no entries"},
  /* paths, DNs, names */
  {"pam_socket = run/kcd/pam.sock", KC_ERR_INVALID, "absolute path"},
  {"ldap_ca_file = ~/ca.pem", KC_ERR_INVALID, "absolute path"},
  {"ldap_bind_pw_file = ldap.pw", KC_ERR_INVALID, "absolute path"},
  {"pam_socket = /run/kcd/"
   "0123456789012345678901234567890123456789012345678901234567890123456789"
   "012345678901234567890123456789.sock",
    KC_ERR_RANGE, "longer than 107 bytes"},
  {"ldap_bind_dn = kcd", KC_ERR_INVALID, "not a DN"},
  {"ldap_bind_dn = cn=", KC_ERR_INVALID, "not a DN"},
  {"ldap_bind_dn = cn=a,", KC_ERR_INVALID, "not a DN"},
  {"ldap_bind_dn = cn=a;b,dc=x", KC_ERR_INVALID, "not a DN"},
  {"ldap_bind_dn = cn=a\\,b,dc=x", KC_ERR_NOT_FOUND, "requires"},
  {"ldap_bind_dn = 2.5.4.3=#6b6364,dc=x", KC_ERR_NOT_FOUND, "requires"},
  {"ldap_bind_dn = cn=#6b636,dc=x", KC_ERR_INVALID, "not a DN"},
  /* after a #hexstring only ',' or '+' may follow, as after a string */
  {"ldap_bind_dn = cn=#6b63zdc=x", KC_ERR_INVALID, "not a DN"},
  {"ldap_bind_dn = 2.5.4.3=#0403616263 dc=x", KC_ERR_INVALID, "not a DN"},
  /* libldap skips a tab before a value: "#00" would be a hexstring */
  {"ldap_bind_dn = cn=\t#00,dc=x", KC_ERR_INVALID, "not a DN"},
  {"ldap_bind_dn = cn=\\09#00,dc=x", KC_ERR_NOT_FOUND, "requires"},
  {"user = Kcd", KC_ERR_INVALID, "not an account name"},
  {"user = 1kcd", KC_ERR_INVALID, "not an account name"},
  {"user = kcd-daemon_2", 0, NULL},
  {"user = abcdefghijabcdefghijabcdefghijabc", KC_ERR_RANGE, "1 to 32 bytes"},
  {"mail_from = kundencenter", KC_ERR_INVALID, "local@domain"},
  {"mail_from = Portal <kc@example.org>", KC_ERR_INVALID, "mail_from"},
  {"mail_from = kc@exa mple.org", KC_ERR_INVALID, "mail_from"},
  /* the grammar of kc_email_valid(): caught here with file and line, not
   * when the first mail goes out */
  {"mail_from = a..b@x", KC_ERR_INVALID,
    "bad value \"a..b@x\" for mail_from: not an address local@domain"},
  {"mail_from = .kc@example.org", KC_ERR_INVALID, "local@domain"},
  {"mail_from = kc.@example.org", KC_ERR_INVALID, "local@domain"},
  {"mail_from = kc@-example.org", KC_ERR_INVALID, "local@domain"},
  {"mail_from = kc@example..org", KC_ERR_INVALID, "local@domain"},
  {"mail_from = k(c)@example.org", KC_ERR_INVALID, "local@domain"},
  {"mail_from = kc@@example.org", KC_ERR_INVALID, "local@domain"},
  {"mail_from = kc+tag@mail_1.example.org", 0, NULL},
  {"sms_body = hello", KC_ERR_INVALID, "must contain {text}"},
  {"portal_name = "
   "0123456789012345678901234567890123456789012345678901234567890123456789"
   "0123456789012345678901234567890123456789012345678901234567890",
    KC_ERR_RANGE, "1 to 128 bytes"},
};

START_TEST(test_conf_bad_line_table)
{
  char text[1024];
  int rc;

  snprintf(text, sizeof(text), BASE "%s\n", bad_line_cases[_i].line);
  rc = parse(text);
  ck_assert_msg(rc == bad_line_cases[_i].rc, "%s: rc %d (%s)",
    bad_line_cases[_i].line, rc, err);
  if (bad_line_cases[_i].msg != NULL)
    ck_assert_msg(strstr(err, bad_line_cases[_i].msg) != NULL,
      "%s: message \"%s\" lacks \"%s\"", bad_line_cases[_i].line, err,
      bad_line_cases[_i].msg);
  if (rc != 0)
    ck_assert_msg(strncmp(err, "kcd.conf:", 9) == 0, "%s", err);
}
END_TEST

START_TEST(test_conf_unknown_key_names_key_and_line)
{
  ck_assert_int_eq(parse(BASE "\n# comment\nldap_url = ldap://x\n"),
    KC_ERR_NOT_FOUND);
  ck_assert_str_eq(err, "kcd.conf:5: unknown key \"ldap_url\"");
}
END_TEST

START_TEST(test_conf_unknown_key_is_escaped)
{
  ck_assert_int_eq(parse(BASE "k\xc3\xa4y\\ = 1\n"), KC_ERR_NOT_FOUND);
  ck_assert_str_eq(err, "kcd.conf:3: unknown key \"k\\xc3\\xa4y\\x5c\"");
}
END_TEST

START_TEST(test_conf_duplicate_key_names_second_line)
{
  ck_assert_int_eq(parse(BASE "tan_ttl = 1m\n\ntan_ttl = 2m\n"),
    KC_ERR_DUPLICATE);
  ck_assert_str_eq(err,
    "kcd.conf:5: duplicate key \"tan_ttl\" (first set on line 3)");
}
END_TEST

START_TEST(test_conf_bad_value_message)
{
  ck_assert_int_eq(parse(BASE "tan_length = 17\n"), KC_ERR_RANGE);
  ck_assert_str_eq(err, "kcd.conf:3: bad value \"17\" for tan_length: must "
                        "be a number from 6 to 8");
}
END_TEST

START_TEST(test_conf_long_value_is_cut_in_message)
{
  char text[600];
  size_t n;

  n = (size_t) snprintf(text, sizeof(text), BASE "sms_body = ");
  memset(text + n, 'x', 400);
  memcpy(text + n + 400, "\n", 2);
  ck_assert_int_eq(parse(text), KC_ERR_INVALID);
  ck_assert_ptr_nonnull(strstr(err, "xxx...\" for sms_body"));
  ck_assert_uint_lt(strlen(err), 200);
}
END_TEST

/* ------------------------------------------------------------ limits */

START_TEST(test_conf_line_limit)
{
  static char text[KC_MAX_CONF_LINE * 2 + 64];
  size_t n = strlen(BASE);

  /* A comment of exactly KC_MAX_CONF_LINE bytes is fine ... */
  memcpy(text, BASE, n);
  text[n] = '#';
  memset(text + n + 1, 'x', KC_MAX_CONF_LINE - 1);
  memcpy(text + n + KC_MAX_CONF_LINE, "\n", 2);
  ck_assert_msg(parse(text) == 0, "%s", err);
  /* ... one byte more is not, even without a final newline. */
  memset(text + n + 1, 'x', KC_MAX_CONF_LINE);
  text[n + KC_MAX_CONF_LINE + 1] = '\0';
  ck_assert_int_eq(parse(text), KC_ERR_TOO_LARGE);
  ck_assert_ptr_nonnull(strstr(err, "kcd.conf:3: line longer than"));
}
END_TEST

START_TEST(test_conf_file_limit)
{
  char *text = malloc(KC_MAX_CONF_FILE + 1);

  ck_assert_ptr_nonnull(text);
  memset(text, '\n', KC_MAX_CONF_FILE + 1);
  ck_assert_int_eq(kc_conf_parse(&conf, "big.conf", text, KC_MAX_CONF_FILE + 1,
                     err, sizeof(err)),
    KC_ERR_TOO_LARGE);
  ck_assert_ptr_nonnull(strstr(err, "big.conf: file larger than"));
  /* The limit itself is fine (blank lines only: the required keys miss). */
  ck_assert_int_eq(kc_conf_parse(&conf, "big.conf", text, KC_MAX_CONF_FILE,
                     err, sizeof(err)),
    KC_ERR_NOT_FOUND);
  free(text);
}
END_TEST

START_TEST(test_conf_nul_byte)
{
  static const char text[] = BASE "portal_name = a\0b\n";

  ck_assert_int_eq(kc_conf_parse(&conf, "kcd.conf", text, sizeof(text) - 1,
                     err, sizeof(err)),
    KC_ERR_INVALID);
  ck_assert_str_eq(err, "kcd.conf:3: NUL byte");
}
END_TEST

/* Bytes that are not UTF-8 anywhere on a line, even in a comment. */
static const char *const bad_utf8_cases[] = {
  "# \xff\n",
  "portal_name = \xc3\n",         /* truncated */
  "portal_name = \xc3\x28\n",     /* bad continuation */
  "portal_name = \xc0\xaf\n",     /* overlong '/' */
  "portal_name = \xe0\x80\xaf\n", /* overlong */
  "portal_name = \xed\xa0\x80\n", /* surrogate */
  "portal_name = \xf4\x90\x80\x80\n", /* above U+10FFFF */
  "portal_name = \x80\n",             /* lone continuation */
};

START_TEST(test_conf_invalid_utf8)
{
  char text[128];

  snprintf(text, sizeof(text), BASE "%s", bad_utf8_cases[_i]);
  ck_assert_int_eq(parse(text), KC_ERR_INVALID);
  ck_assert_str_eq(err, "kcd.conf:3: invalid UTF-8");
}
END_TEST

START_TEST(test_conf_valid_utf8)
{
  ck_assert_msg(parse(BASE "portal_name = Kundencenter M\xc3\xbcller "
                           "\xe2\x82\xac \xf0\x9f\x94\x91\n") == 0,
    "%s", err);
  ck_assert_str_eq(conf.portal_name,
    "Kundencenter M\xc3\xbcller \xe2\x82\xac \xf0\x9f\x94\x91");
}
END_TEST

START_TEST(test_conf_list_limit)
{
  char text[2048];
  size_t n, i;

  n = (size_t) snprintf(text, sizeof(text), "ldap_base = dc=x\nldap_uri =");
  for (i = 0; i < KC_MAX_CONF_LIST; i++)
    n += (size_t) snprintf(text + n, sizeof(text) - n, " ldap://h%zu", i);
  memcpy(text + n, "\n", 2);
  ck_assert_msg(parse(text) == 0, "%s", err);
  ck_assert_uint_eq(conf.ldap_uri.n, KC_MAX_CONF_LIST);
  ck_assert_str_eq(conf.ldap_uri.item[KC_MAX_CONF_LIST - 1], "ldap://h15");
  memcpy(text + n, " ldap://one-more\n", sizeof(" ldap://one-more\n"));
  ck_assert_int_eq(parse(text), KC_ERR_RANGE);
  ck_assert_ptr_nonnull(strstr(err, "kcd.conf:2: "));
  ck_assert_ptr_nonnull(strstr(err, "more than 16 entries"));
}
END_TEST

START_TEST(test_conf_trusted_proxies_limit)
{
  char text[2048];
  size_t n, i;

  n = (size_t) snprintf(text, sizeof(text), BASE "trusted_proxies =");
  for (i = 0; i < KC_MAX_TRUSTED_PROXIES; i++)
    n += (size_t) snprintf(text + n, sizeof(text) - n, " 10.%zu.0.0/16,", i);
  text[n - 1] = '\n'; /* no trailing comma */
  ck_assert_msg(parse(text) == 0, "%s", err);
  ck_assert_uint_eq(conf.trusted_proxies.n, KC_MAX_TRUSTED_PROXIES);
  ck_assert_uint_eq(conf.trusted_proxies.net[KC_MAX_TRUSTED_PROXIES - 1].prefix,
    16);
  memcpy(text + n - 1, ", 192.0.2.0/24\n", sizeof(", 192.0.2.0/24\n"));
  ck_assert_int_eq(parse(text), KC_ERR_RANGE);
  ck_assert_str_eq(err, "kcd.conf:3: bad value \"192.0.2.0/24\" for "
                        "trusted_proxies: more than 32 entries");
  ck_assert_uint_eq(conf.trusted_proxies.n, 0);
}
END_TEST

START_TEST(test_conf_trusted_proxies_message_names_line)
{
  ck_assert_int_eq(parse(BASE "\n# proxies\ntrusted_proxies = ::1 10.0.0.1/8\n"),
    KC_ERR_INVALID);
  ck_assert_str_eq(err, "kcd.conf:5: bad value \"10.0.0.1/8\" for "
                        "trusted_proxies: host bits set after the prefix "
                        "(the network is 10.0.0.0/8)");
  /* a failed parse leaves nothing trusted */
  ck_assert_uint_eq(conf.trusted_proxies.n, 0);
  ck_assert_int_eq(parse(BASE "trusted_proxies = ::1\ntrusted_proxies = ::1\n"),
    KC_ERR_DUPLICATE);
}
END_TEST

START_TEST(test_conf_small_error_buffer)
{
  char small[8];

  memset(small, 'Z', sizeof(small));
  ck_assert_int_eq(kc_conf_parse(&conf, "kcd.conf", "x = 1\n", 6, small,
                     sizeof(small)),
    KC_ERR_NOT_FOUND);
  ck_assert_str_eq(small, "kcd.con");
  ck_assert_int_eq(kc_conf_parse(&conf, "kcd.conf", "x = 1\n", 6, NULL, 0),
    KC_ERR_NOT_FOUND);
}
END_TEST

/* ------------------------------------------------------------ cross-key */

static const struct {
  const char *text; /* after BASE */
  const char *msg;  /* the whole message */
} cross_cases[] = {
  {"ldap_bind_pw_file = /etc/kcd/ldap.pw\n",
    "kcd.conf:3: ldap_bind_pw_file requires ldap_bind_dn"},
  {"\nldap_bind_dn = cn=kcd,dc=example,dc=org\n",
    "kcd.conf:4: ldap_bind_dn requires ldap_bind_pw_file"},
  {"ldap_uri2 = x\n", "kcd.conf:3: unknown key \"ldap_uri2\""},
  {"mail_transport = maildir:/m\n",
    "kcd.conf:3: mail_transport requires mail_from"},
  {"mail_from = a@b\nmail_transport = maildir:/m\nsmtp_pw_file = /p\n",
    "kcd.conf:5: smtp_pw_file requires smtp_user"},
  {"mail_from = a@b\nmail_transport = maildir:/m\nsmtp_user = u\n",
    "kcd.conf:5: smtp_user requires smtp_pw_file"},
  {"mail_from = a@b\nmail_transport = maildir:/m\nsmtp_user = u\n"
   "smtp_pw_file = /p\n",
    "kcd.conf:5: smtp_user needs an smtp:// or smtps:// mail_transport"},
  {"mail_from = a@b\nmail_transport = smtps://m\nsmtp_starttls = yes\n",
    "kcd.conf:5: smtp_starttls applies to smtp:// only (smtps:// is always "
    "TLS)"},
  {"smtp_starttls = no\n", "kcd.conf:3: smtp_starttls requires mail_transport"},
  {"sms_transport = https://gw.example.net/send\n",
    "kcd.conf:3: an http:// or https:// sms_transport requires sms_body"},
  {"sms_transport = file:/s\nsms_method = GET\n",
    "kcd.conf:4: sms_method needs an http:// or https:// sms_transport"},
  {"sms_transport = file:/s\nsms_auth_header_file = /h\n",
    "kcd.conf:4: sms_auth_header_file needs an http:// or https:// "
    "sms_transport"},
  {"sms_transport = file:/s\nsms_success = OK\n",
    "kcd.conf:4: sms_success needs an http:// or https:// sms_transport"},
  {"sms_success = OK\n", "kcd.conf:3: sms_success requires sms_transport"},
  {"sms_body = {text}\n", "kcd.conf:3: sms_body requires sms_transport"},
  {"ldap_starttls = yes\nldap_uri = ldaps://h\n",
    "kcd.conf:4: duplicate key \"ldap_uri\" (first set on line 1)"},
};

START_TEST(test_conf_cross_key_table)
{
  char text[512];

  snprintf(text, sizeof(text), BASE "%s", cross_cases[_i].text);
  ck_assert_int_ne(parse(text), 0);
  ck_assert_str_eq(err, cross_cases[_i].msg);
}
END_TEST

START_TEST(test_conf_starttls_with_ldaps)
{
  ck_assert_int_eq(parse("ldap_uri = ldap://a ldaps://b\n"
                         "ldap_base = o=x\n"
                         "ldap_starttls = yes\n"),
    KC_ERR_INVALID);
  ck_assert_str_eq(err,
    "kcd.conf:3: ldap_starttls cannot be used with ldaps:// URIs");
  ck_assert_msg(parse("ldap_uri = ldap://a ldapi://\n"
                      "ldap_base = o=x\n"
                      "ldap_starttls = yes\n") == 0,
    "%s", err);
}
END_TEST

START_TEST(test_conf_missing_required)
{
  ck_assert_int_eq(parse(""), KC_ERR_NOT_FOUND);
  ck_assert_str_eq(err,
                   "kcd.conf: missing required key \"ldap_uri\": "
                   "not configured yet; set it in this file (kcd.conf(5))");
  ck_assert_int_eq(parse("ldap_uri = ldapi://\n"), KC_ERR_NOT_FOUND);
  ck_assert_str_eq(err,
                   "kcd.conf: missing required key \"ldap_base\": "
                   "not configured yet; set it in this file (kcd.conf(5))");
  ck_assert_int_eq(parse("# only a comment\n"), KC_ERR_NOT_FOUND);
}
END_TEST

START_TEST(test_conf_failure_restores_defaults)
{
  ck_assert_int_eq(parse(BASE "portal_name = Mine\ntan_ttl = 1h\n"),
    KC_ERR_RANGE);
  ck_assert_str_eq(conf.portal_name, "Kundencenter");
  ck_assert_ptr_null(conf.ldap_base);
  ck_assert_uint_eq(conf.ldap_uri.n, 0);
  ck_assert_ptr_null(conf.cf_name);
  /* and the struct can be parsed into again */
  ck_assert_msg(parse(BASE "portal_name = Mine\n") == 0, "%s", err);
  ck_assert_str_eq(conf.portal_name, "Mine");
  ck_assert_msg(parse(BASE) == 0, "%s", err);
  ck_assert_str_eq(conf.portal_name, "Kundencenter");
}
END_TEST

/* ------------------------------------------------------------ key table */

/* DESIGN.md §9 plus the keys kcd added since. */
static const char *const design_keys[] = {
  "ldap_uri", "ldap_base", "ldap_bind_dn", "ldap_bind_pw_file",
  "ldap_starttls", "ldap_ca_file", "ldap_timeout", "ldap_retry_after",
  "pam_socket",
  "http_listen", "public_url", "login_url", "allowed_back_origins",
  "trusted_proxies", "portal_name", "mail_from", "mail_transport", "smtp_user", "smtp_pw_file",
  "smtp_starttls", "sms_transport", "sms_method", "sms_body",
  "sms_auth_header_file", "captcha", "tan_length", "tan_ttl", "tan_max_tries",
  "tan_resend_interval", "tan_max_per_hour", "tan_max_failures",
  "activation_ttl", "reset_ttl", "session_idle", "session_max",
  "invite_max_pending",
  "password_min_length", "password_hash_m", "password_hash_t",
  "password_hash_upgrade",
  "default_country_code", "user", "secret_key_file",
  "workers", "reserved_usernames_file", "metrics_listen",
  "pam_max_conns_per_uid", "sms_success",
};

START_TEST(test_conf_key_table_lists_each_key_once)
{
  size_t n = 0, i, j;
  const char *name;

  for (i = 0; (name = kc_conf_key_name(i)) != NULL; i++) {
    for (j = 0; j < i; j++)
      ck_assert_str_ne(kc_conf_key_name(j), name);
    n++;
  }
  ck_assert_ptr_null(kc_conf_key_name(n + 1));
  ck_assert_uint_eq(n, sizeof(design_keys) / sizeof(design_keys[0]));
  ck_assert_uint_le(n, KC_CONF_MAX_KEYS);
  for (i = 0; i < sizeof(design_keys) / sizeof(design_keys[0]); i++) {
    for (j = 0; j < n; j++) {
      if (strcmp(kc_conf_key_name(j), design_keys[i]) == 0)
        break;
    }
    ck_assert_msg(j < n, "key %s missing from the table", design_keys[i]);
  }
}
END_TEST

START_TEST(test_conf_full_config_sets_every_key)
{
  size_t i;
  char line[64];

  /* Each known key appears at the start of a line of full_conf. */
  for (i = 0; kc_conf_key_name(i) != NULL; i++) {
    snprintf(line, sizeof(line), "\n%s = ", kc_conf_key_name(i));
    ck_assert_msg(strstr(full_conf, line) != NULL, "%s not covered",
      kc_conf_key_name(i));
  }
}
END_TEST

/* ------------------------------------------------------- LDAP settings */

START_TEST(test_conf_ldap_map_joins_uris)
{
  struct kc_ldap_cfg l;
  struct kc_buf uris;

  ck_assert_int_eq(parse("ldap_uri = ldap://a ldaps://b:636\n"
    "ldap_base = dc=example,dc=org\nldap_timeout = 7s\n"
    "ldap_ca_file = /etc/ssl/ca.pem\n"), 0);
  ck_assert_int_eq(kc_ldap_conf_map(&l, &uris, &conf), 0);
  ck_assert_str_eq(l.uri, "ldap://a ldaps://b:636");
  ck_assert_str_eq(l.base, "dc=example,dc=org");
  ck_assert_ptr_null(l.bind_dn);
  ck_assert_ptr_null(l.bind_pw);
  ck_assert_str_eq(l.ca_file, "/etc/ssl/ca.pem");
  ck_assert(!l.starttls);
  ck_assert_int_eq(l.timeout, 7);
  kc_buf_free(&uris);
}
END_TEST

/* A URI list too long to join (kcadm then takes --uri) still maps every
 * other setting: StartTLS, the CA file and the timeout must not be lost. */
START_TEST(test_conf_ldap_map_long_uris_keep_tls)
{
  static char longuri[KC_MAX_CONF_LINE + 16];
  struct kc_ldap_cfg l;
  struct kc_buf uris;
  const char *saved;

  ck_assert_int_eq(parse("ldap_uri = ldap://a\n"
    "ldap_base = dc=example,dc=org\nldap_timeout = 7s\n"
    "ldap_starttls = yes\nldap_ca_file = /etc/ssl/ca.pem\n"), 0);
  memset(longuri, 'a', sizeof(longuri) - 1);
  saved = conf.ldap_uri.item[0];
  conf.ldap_uri.item[0] = longuri;
  ck_assert_int_ne(kc_ldap_conf_map(&l, &uris, &conf), 0);
  ck_assert_ptr_null(l.uri);
  ck_assert(l.starttls);
  ck_assert_str_eq(l.ca_file, "/etc/ssl/ca.pem");
  ck_assert_int_eq(l.timeout, 7);
  ck_assert_str_eq(l.base, "dc=example,dc=org");
  kc_buf_free(&uris);
  conf.ldap_uri.item[0] = saved; /* the parser's, freed with conf */
}
END_TEST

/* ------------------------------------------------------------ secrets */

static const struct {
  const char *content;
  size_t len;
  int rc;
  const char *want; /* secret or a piece of the message */
} secret_cases[] = {
  {"s3cret\n", 7, 0, "s3cret"},
  {"s3cret", 6, 0, "s3cret"},
  {"s3cret\r\n", 8, 0, "s3cret"},
  {"with blanks \n", 13, 0, "with blanks "},
  {"s3cret\n\n", 8, KC_ERR_INVALID, "single line"},
  {"two\nlines\n", 10, KC_ERR_INVALID, "single line"},
  {"cr\rinside", 9, KC_ERR_INVALID, "single line"},
  {"\n", 1, KC_ERR_INVALID, "is empty"},
  {"", 0, KC_ERR_INVALID, "is empty"},
  {"a\0b\n", 4, KC_ERR_INVALID, "NUL"},
};

START_TEST(test_conf_secret_content_table)
{
  struct kc_buf b;
  char path[128];
  int rc;

  make_file(path, sizeof(path), "pw", secret_cases[_i].content,
    secret_cases[_i].len, 0600);
  rc = kc_conf_read_secret(path, &b, err, sizeof(err));
  ck_assert_msg(rc == secret_cases[_i].rc, "case %d: rc %d (%s)", _i, rc, err);
  if (rc == 0) {
    ck_assert_str_eq(kc_buf_get(&b), secret_cases[_i].want);
    ck_assert_uint_eq(kc_buf_len(&b), strlen(secret_cases[_i].want));
  } else {
    ck_assert_ptr_nonnull(strstr(err, secret_cases[_i].want));
    ck_assert_ptr_nonnull(strstr(err, path));
    ck_assert_uint_eq(kc_buf_len(&b), 0);
  }
  kc_buf_free(&b);
}
END_TEST

static const struct {
  mode_t mode;
  int rc;
} secret_mode_cases[] = {
  {0600, 0},
  {0400, 0},
  {0700, 0},
  {0644, KC_ERR_PERMISSION},
  {0640, KC_ERR_PERMISSION},
  {0604, KC_ERR_PERMISSION},
  {0620, KC_ERR_PERMISSION},
  {0602, KC_ERR_PERMISSION},
  {0610, KC_ERR_PERMISSION},
  {0666, KC_ERR_PERMISSION},
};

START_TEST(test_conf_secret_mode_table)
{
  struct kc_buf b;
  char path[128];
  int rc;

  make_file(path, sizeof(path), "pw", "x\n", 2, secret_mode_cases[_i].mode);
  rc = kc_conf_read_secret(path, &b, err, sizeof(err));
  ck_assert_msg(rc == secret_mode_cases[_i].rc, "mode %04o: rc %d (%s)",
    (unsigned) secret_mode_cases[_i].mode, rc, err);
  if (rc != 0) {
    ck_assert_ptr_nonnull(strstr(err, path));
    ck_assert_ptr_nonnull(strstr(err, "chmod 600"));
  }
  kc_buf_free(&b);
}
END_TEST

START_TEST(test_conf_secret_symlink_refused)
{
  struct kc_buf b;
  char path[128], link[160];

  make_file(path, sizeof(path), "pw", "x\n", 2, 0600);
  snprintf(link, sizeof(link), "%s/link", tmpdir);
  ck_assert_int_eq(symlink(path, link), 0);
  ck_assert_int_eq(kc_conf_read_secret(link, &b, err, sizeof(err)),
    KC_ERR_PERMISSION);
  ck_assert_ptr_nonnull(strstr(err, "symbolic link"));
  kc_buf_free(&b);
}
END_TEST

START_TEST(test_conf_secret_not_regular_refused)
{
  struct kc_buf b;
  char fifo[128];

  ck_assert_int_eq(kc_conf_read_secret(tmpdir, &b, err, sizeof(err)),
    KC_ERR_PERMISSION);
  ck_assert_ptr_nonnull(strstr(err, "not a regular file"));
  /* A FIFO must not block the open. */
  snprintf(fifo, sizeof(fifo), "%s/fifo", tmpdir);
  ck_assert_int_eq(mkfifo(fifo, 0600), 0);
  ck_assert_int_eq(kc_conf_read_secret(fifo, &b, err, sizeof(err)),
    KC_ERR_PERMISSION);
  ck_assert_ptr_nonnull(strstr(err, "not a regular file"));
  ck_assert_int_eq(kc_conf_read_secret("/dev/null", &b, err, sizeof(err)),
    KC_ERR_PERMISSION);
  kc_buf_free(&b);
}
END_TEST

START_TEST(test_conf_secret_missing_and_too_large)
{
  struct kc_buf b;
  char path[128], *big;

  snprintf(path, sizeof(path), "%s/none", tmpdir);
  ck_assert_int_eq(kc_conf_read_secret(path, &b, err, sizeof(err)),
    KC_ERR_SYSTEM);
  ck_assert_ptr_nonnull(strstr(err, "cannot open"));
  big = malloc(KC_MAX_SECRET_FILE + 1);
  ck_assert_ptr_nonnull(big);
  memset(big, 'x', KC_MAX_SECRET_FILE + 1);
  make_file(path, sizeof(path), "big", big, KC_MAX_SECRET_FILE + 1, 0600);
  ck_assert_int_eq(kc_conf_read_secret(path, &b, err, sizeof(err)),
    KC_ERR_TOO_LARGE);
  ck_assert_uint_eq(kc_buf_len(&b), 0);
  make_file(path, sizeof(path), "fits", big, KC_MAX_SECRET_FILE, 0600);
  ck_assert_int_eq(kc_conf_read_secret(path, &b, err, sizeof(err)), 0);
  ck_assert_uint_eq(kc_buf_len(&b), KC_MAX_SECRET_FILE);
  kc_buf_free(&b);
  free(big);
}
END_TEST

START_TEST(test_conf_secret_foreign_owner_refused)
{
  struct kc_buf b;
  char path[128];

  if (geteuid() != 0)
    return; /* only root can give a file away */
  make_file(path, sizeof(path), "pw", "x\n", 2, 0600);
  ck_assert_int_eq(chown(path, 65534, 65534), 0);
  ck_assert_int_eq(kc_conf_read_secret(path, &b, err, sizeof(err)),
    KC_ERR_PERMISSION);
  ck_assert_ptr_nonnull(strstr(err, "owned by uid 65534"));
  kc_buf_free(&b);
}
END_TEST

START_TEST(test_conf_secret_guarded_reads_and_refuses)
{
  char path[128], *pw = (char *) 1;

  ck_assert_int_ge(sodium_init(), 0);
  make_file(path, sizeof(path), "pw", "s3cret\n", 7, 0600);
  ck_assert_int_eq(kc_conf_read_secret_guarded(path, &pw, err, sizeof(err)),
    0);
  ck_assert_str_eq(pw, "s3cret");
  sodium_free(pw);
  make_file(path, sizeof(path), "pw2", "s3cret\n", 7, 0644);
  ck_assert_int_eq(kc_conf_read_secret_guarded(path, &pw, err, sizeof(err)),
    KC_ERR_PERMISSION);
  ck_assert_ptr_null(pw);
  ck_assert_ptr_nonnull(strstr(err, path));
}
END_TEST

/* The bind password cannot be overwritten once read: a write faults. */
/* The fault of a write to read-only memory ends the test's process with
 * this code: our own handler, since a sanitizer build's SIGSEGV handler
 * would turn the signal into a plain exit 1. */
#define SEGV_EXIT 42

static void
on_segv(int sig)
{
  (void) sig;
  _exit(SEGV_EXIT);
}

START_TEST(test_conf_secret_guarded_is_read_only)
{
  struct sigaction sa;
  char path[128], *pw = NULL;

  ck_assert_int_ge(sodium_init(), 0);
  make_file(path, sizeof(path), "pw", "s3cret\n", 7, 0600);
  ck_assert_int_eq(kc_conf_read_secret_guarded(path, &pw, err, sizeof(err)),
    0);
  memset(&sa, 0, sizeof(sa));
  sa.sa_handler = on_segv;
  ck_assert_int_eq(sigaction(SIGSEGV, &sa, NULL), 0);
  ((volatile char *) pw)[0] = 'x';
  ck_abort_msg("a write to the guarded bind password went through");
}
END_TEST

START_TEST(test_conf_check_secrets_names_key_and_path)
{
  char pw[128], text[512];

  make_file(pw, sizeof(pw), "ldap.pw", "x\n", 2, 0644);
  snprintf(text, sizeof(text),
    BASE "ldap_bind_dn = cn=kcd,dc=example,dc=org\n"
         "ldap_bind_pw_file = %s\n",
    pw);
  ck_assert_msg(parse(text) == 0, "%s", err);
  ck_assert_int_eq(kc_conf_check_secrets(&conf, err, sizeof(err)),
    KC_ERR_PERMISSION);
  ck_assert_ptr_nonnull(strstr(err, "kcd.conf:4: ldap_bind_pw_file: "));
  ck_assert_ptr_nonnull(strstr(err, pw));
  ck_assert_ptr_nonnull(strstr(err, "mode 0644"));
  ck_assert_int_eq(chmod(pw, 0600), 0);
  ck_assert_int_eq(kc_conf_check_secrets(&conf, err, sizeof(err)), 0);
}
END_TEST

START_TEST(test_conf_check_secrets_every_file_key)
{
  char a[128], b[128], c[128], text[1024];

  make_file(a, sizeof(a), "a", "x", 1, 0600);
  make_file(b, sizeof(b), "b", "x", 1, 0600);
  make_file(c, sizeof(c), "c", "x", 1, 0660);
  snprintf(text, sizeof(text),
    BASE "ldap_bind_dn = cn=kcd,dc=example,dc=org\n"
         "ldap_bind_pw_file = %s\n"
         "mail_from = a@b\nmail_transport = smtp://m\n"
         "smtp_user = u\nsmtp_pw_file = %s\n"
         "sms_transport = https://gw/x\nsms_body = {text}\n"
         "sms_auth_header_file = %s\n",
    a, b, c);
  ck_assert_msg(parse(text) == 0, "%s", err);
  ck_assert_int_eq(kc_conf_check_secrets(&conf, err, sizeof(err)),
    KC_ERR_PERMISSION);
  ck_assert_ptr_nonnull(strstr(err, "kcd.conf:11: sms_auth_header_file: "));
  ck_assert_int_eq(chmod(c, 0600), 0);
  ck_assert_int_eq(chmod(b, 0604), 0);
  ck_assert_int_eq(kc_conf_check_secrets(&conf, err, sizeof(err)),
    KC_ERR_PERMISSION);
  ck_assert_ptr_nonnull(strstr(err, "kcd.conf:8: smtp_pw_file: "));
  ck_assert_int_eq(chmod(b, 0600), 0);
  ck_assert_int_eq(kc_conf_check_secrets(&conf, err, sizeof(err)), 0);
}
END_TEST

/* ------------------------------------------------------------ files */

START_TEST(test_conf_load_file)
{
  char path[128];

  make_file(path, sizeof(path), "kcd.conf", BASE "tan_ttl = 2m\n",
    strlen(BASE "tan_ttl = 2m\n"), 0644);
  ck_assert_msg(kc_conf_load(&conf, path, err, sizeof(err)) == 0, "%s", err);
  ck_assert_uint_eq(conf.tan_ttl, 120);
  ck_assert_str_eq(conf.cf_name, path);
}
END_TEST

START_TEST(test_conf_load_errors_name_path)
{
  char path[128], want[160];

  make_file(path, sizeof(path), "bad.conf", BASE "tan_ttl = 2x\n",
    strlen(BASE "tan_ttl = 2x\n"), 0644);
  ck_assert_int_eq(kc_conf_load(&conf, path, err, sizeof(err)),
    KC_ERR_INVALID);
  snprintf(want, sizeof(want), "%s:3: bad value", path);
  ck_assert_ptr_nonnull(strstr(err, want));

  snprintf(path, sizeof(path), "%s/missing.conf", tmpdir);
  ck_assert_int_eq(kc_conf_load(&conf, path, err, sizeof(err)),
    KC_ERR_SYSTEM);
  ck_assert_ptr_nonnull(strstr(err, path));
  ck_assert_ptr_nonnull(strstr(err, strerror(ENOENT)));

  ck_assert_int_eq(kc_conf_load(&conf, tmpdir, err, sizeof(err)),
    KC_ERR_PERMISSION);
  ck_assert_ptr_nonnull(strstr(err, "not a regular file"));

  make_file(path, sizeof(path), "ww.conf", BASE, strlen(BASE), 0666);
  ck_assert_int_eq(kc_conf_load(&conf, path, err, sizeof(err)),
    KC_ERR_PERMISSION);
  ck_assert_ptr_nonnull(strstr(err, "writable by others"));
}
END_TEST

START_TEST(test_conf_load_too_large)
{
  char path[128];
  char *text = malloc(KC_MAX_CONF_FILE + 1);

  ck_assert_ptr_nonnull(text);
  memset(text, '\n', KC_MAX_CONF_FILE + 1);
  make_file(path, sizeof(path), "big.conf", text, KC_MAX_CONF_FILE + 1, 0644);
  ck_assert_int_eq(kc_conf_load(&conf, path, err, sizeof(err)),
    KC_ERR_TOO_LARGE);
  ck_assert_ptr_nonnull(strstr(err, "larger than 262144 bytes"));
  free(text);
}
END_TEST

/* ------------------------------------------------------------ runner */

static Suite *
conf_suite(void)
{
  Suite *s = suite_create("conf");
  TCase *tc = tcase_create("parse");
  TCase *tf = tcase_create("files");

  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_add_test(tc, test_conf_defaults);
  tcase_add_test(tc, test_conf_minimal_keeps_defaults);
  tcase_add_test(tc, test_conf_every_key_parsed);
  tcase_add_test(tc, test_conf_path_transports);
  tcase_add_test(tc, test_conf_listen_ipv6);
  tcase_add_test(tc, test_conf_metrics_listen);
  tcase_add_loop_test(tc, test_conf_duration_and_bool_forms, 0,
    (int) (sizeof(duration_bool_cases) / sizeof(duration_bool_cases[0])));
  tcase_add_test(tc, test_conf_comments_blanks_crlf);
  tcase_add_loop_test(tc, test_conf_quotes_and_escapes, 0,
    (int) (sizeof(quote_cases) / sizeof(quote_cases[0])));
  tcase_add_loop_test(tc, test_conf_bad_line_table, 0,
    (int) (sizeof(bad_line_cases) / sizeof(bad_line_cases[0])));
  tcase_add_test(tc, test_conf_unknown_key_names_key_and_line);
  tcase_add_test(tc, test_conf_unknown_key_is_escaped);
  tcase_add_test(tc, test_conf_duplicate_key_names_second_line);
  tcase_add_test(tc, test_conf_bad_value_message);
  tcase_add_test(tc, test_conf_long_value_is_cut_in_message);
  tcase_add_test(tc, test_conf_line_limit);
  tcase_add_test(tc, test_conf_file_limit);
  tcase_add_test(tc, test_conf_nul_byte);
  tcase_add_loop_test(tc, test_conf_invalid_utf8, 0,
    (int) (sizeof(bad_utf8_cases) / sizeof(bad_utf8_cases[0])));
  tcase_add_test(tc, test_conf_valid_utf8);
  tcase_add_test(tc, test_conf_list_limit);
  tcase_add_test(tc, test_conf_trusted_proxies_limit);
  tcase_add_test(tc, test_conf_trusted_proxies_message_names_line);
  tcase_add_test(tc, test_conf_small_error_buffer);
  tcase_add_loop_test(tc, test_conf_cross_key_table, 0,
    (int) (sizeof(cross_cases) / sizeof(cross_cases[0])));
  tcase_add_test(tc, test_conf_starttls_with_ldaps);
  tcase_add_test(tc, test_conf_missing_required);
  tcase_add_test(tc, test_conf_failure_restores_defaults);
  tcase_add_test(tc, test_conf_key_table_lists_each_key_once);
  tcase_add_test(tc, test_conf_full_config_sets_every_key);
  tcase_add_test(tc, test_conf_ldap_map_joins_uris);
  tcase_add_test(tc, test_conf_ldap_map_long_uris_keep_tls);
  suite_add_tcase(s, tc);

  tcase_add_checked_fixture(tf, setup_dir, teardown_dir);
  tcase_add_loop_test(tf, test_conf_secret_content_table, 0,
    (int) (sizeof(secret_cases) / sizeof(secret_cases[0])));
  tcase_add_loop_test(tf, test_conf_secret_mode_table, 0,
    (int) (sizeof(secret_mode_cases) / sizeof(secret_mode_cases[0])));
  tcase_add_test(tf, test_conf_secret_symlink_refused);
  tcase_add_test(tf, test_conf_secret_not_regular_refused);
  tcase_add_test(tf, test_conf_secret_missing_and_too_large);
  tcase_add_test(tf, test_conf_secret_foreign_owner_refused);
  tcase_add_test(tf, test_conf_secret_guarded_reads_and_refuses);
  tcase_add_exit_test(tf, test_conf_secret_guarded_is_read_only, SEGV_EXIT);
  tcase_add_test(tf, test_conf_check_secrets_names_key_and_path);
  tcase_add_test(tf, test_conf_check_secrets_every_file_key);
  tcase_add_test(tf, test_conf_load_file);
  tcase_add_test(tf, test_conf_load_errors_name_path);
  tcase_add_test(tf, test_conf_load_too_large);
  suite_add_tcase(s, tf);
  return s;
}

int
main(void)
{
  SRunner *sr = srunner_create(conf_suite());
  int failed;

  srunner_run_all(sr, CK_NORMAL);
  failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
