#include <config.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "captcha.h"
#include "daemon.h"
#include "delivery.h"
#include "handler.h"
#include "http.h"
#include "kc_err.h"
#include "kc_ldap.h"
#include "ldap_conf.h"
#include "log.h"
#include "password.h"
#include "rehash.h"
#include "server.h"
#include "username.h"

/* Switch to the configured user: groups first, then gid, then uid, and
 * check that root cannot be regained. */
static void
drop_privileges(const char *user)
{
  struct passwd *pw;

  if (user == NULL)
    return;
  if ((pw = getpwnam(user)) == NULL)
    kc_fatalx("user %s: no such user", user);
  if (geteuid() != 0) {
    if (geteuid() == pw->pw_uid)
      return;
    kc_fatalx("user %s: cannot switch users without root", user);
  }
  if (initgroups(pw->pw_name, pw->pw_gid) != 0)
    kc_fatal("initgroups %s", user);
  if (setresgid(pw->pw_gid, pw->pw_gid, pw->pw_gid) != 0)
    kc_fatal("setresgid %u", (unsigned) pw->pw_gid);
  if (setresuid(pw->pw_uid, pw->pw_uid, pw->pw_uid) != 0)
    kc_fatal("setresuid %u", (unsigned) pw->pw_uid);
  if (pw->pw_uid != 0 && (setuid(0) == 0 || seteuid(0) == 0))
    kc_fatalx("could regain root after dropping privileges");
}

static void
detach(void)
{
  pid_t pid;
  int fd;

  if ((pid = fork()) < 0)
    kc_fatal("fork");
  if (pid > 0)
    _exit(0);
  if (setsid() < 0)
    kc_fatal("setsid");
  if (chdir("/") != 0)
    kc_fatal("chdir /");
  if ((fd = open("/dev/null", O_RDWR | O_CLOEXEC)) < 0)
    kc_fatal("/dev/null");
  (void) dup2(fd, STDIN_FILENO);
  (void) dup2(fd, STDOUT_FILENO);
  (void) dup2(fd, STDERR_FILENO);
  if (fd > STDERR_FILENO)
    close(fd);
}

/* The service bind password: read as root, before the privilege drop,
 * into guarded memory made read-only, like the secret key. "" without
 * ldap_bind_pw_file. */
static char *
read_bind_pw(const struct kc_conf *c)
{
  char err[512];
  char *pw;

  if (c->ldap_bind_pw_file == NULL) {
    if ((pw = sodium_malloc(1)) == NULL)
      kc_fatalx("sodium_malloc failed");
    pw[0] = '\0';
    sodium_mprotect_readonly(pw);
    return pw;
  }
  if (kc_conf_read_secret_guarded(c->ldap_bind_pw_file, &pw, err,
                                  sizeof(err)) != 0)
    kc_fatalx("ldap_bind_pw_file %s", err);
  return pw;
}

/*
 * The secret key: 32 bytes derived (BLAKE2b) from secret_key_file, whose
 * content may be hex, base64 or raw, at least 32 bytes. Without the key
 * kcd makes a random one, and a TAN is then valid only on this instance.
 * Kept in guarded memory, read-only once set.
 */
static unsigned char *
load_key(const struct kc_conf *c)
{
  unsigned char *key = sodium_malloc(KC_TAN_KEY_BYTES);
  struct kc_buf raw;
  char err[512];

  if (key == NULL)
    kc_fatalx("sodium_malloc failed");
  if (c->secret_key_file == NULL) {
    randombytes_buf(key, KC_TAN_KEY_BYTES);
    kc_log_warnx("secret_key_file not set: using a random key, so TANs "
                 "are valid only on this kcd");
  } else {
    if (kc_conf_read_secret(c->secret_key_file, &raw, err, sizeof(err)) != 0)
      kc_fatalx("secret_key_file %s", err);
    if (kc_buf_len(&raw) < KC_TAN_KEY_BYTES)
      kc_fatalx("secret_key_file %s: shorter than %d bytes", c->secret_key_file,
                KC_TAN_KEY_BYTES);
    crypto_generichash(key, KC_TAN_KEY_BYTES,
                       (const unsigned char *) kc_buf_get(&raw),
                       kc_buf_len(&raw), NULL, 0);
    kc_buf_free(&raw);
  }
  sodium_mprotect_readonly(key);
  return key;
}

/* reserved_usernames_file: read as root, before the privilege drop. */
static void
load_reserved(const struct kc_conf *c, struct kc_username_list *l)
{
  char err[512];

  kc_username_list_init(l);
  if (kc_username_list_load(l, c->reserved_usernames_file, err, sizeof(err)) !=
      0)
    kc_fatalx("reserved_usernames_file %s", err);
  kc_log_info("reserved user names loaded; file=%s names=%zu",
              c->reserved_usernames_file, l->un_n);
}

static struct kc_notify *
load_notify(const struct kc_conf *c)
{
  struct kc_notify *n;
  char err[512];

  if (kc_delivery_global_init() != 0)
    kc_fatalx("libcurl initialisation failed");
  if (kc_notify_new(&n, c, err, sizeof(err)) != 0)
    kc_fatalx("%s", err);
  return n;
}

/* A first contact, for an early log line; kcd serves (and answers
 * "unavailable") while LDAP is down. */
static void
probe_ldap(const struct kc_ldap_cfg *lc)
{
  struct kc_ldap l;

  kc_ldap_init(&l, lc);
  if (kc_ldap_ping(&l) != 0)
    kc_log_warnx("LDAP not reachable or service bind refused; uri=%s", lc->uri);
  else
    kc_log_info("LDAP reachable; uri=%s", lc->uri);
  kc_ldap_close(&l);
}

static void
http_settings(const struct kc_conf *c, struct kc_http_cfg *hc,
              const struct kc_ldap_cfg *lc, const unsigned char *key,
              const struct kc_notify *notify, const struct kc_tan_policy *tan)
{
  memset(hc, 0, sizeof(*hc));
  hc->listen_host = c->http_listen.host;
  hc->listen_port = c->http_listen.port;
  hc->listen_family = c->http_listen.family;
  hc->listen_fd = -1;
  hc->metrics_host = c->metrics_listen.host;
  hc->metrics_port = c->metrics_listen.port;
  hc->metrics_family = c->metrics_listen.family;
  hc->metrics_fd = -1;
  hc->public_url = c->public_url;
  hc->login_url = c->login_url;
  hc->portal_name = c->portal_name;
  hc->captcha = c->captcha == KC_CONF_CAPTCHA_IMAGE ? KC_HTTP_CAPTCHA_IMAGE
                : c->captcha == KC_CONF_CAPTCHA_POW ? KC_HTTP_CAPTCHA_POW
                                                    : KC_HTTP_CAPTCHA_NONE;
  hc->activation_ttl = c->activation_ttl;
  hc->reset_ttl = c->reset_ttl;
  hc->session_idle = c->session_idle;
  hc->session_max = c->session_max;
  hc->invite_max_pending = c->invite_max_pending;
  hc->password_min_length = c->password_min_length;
  hc->country_code = c->default_country_code;
  hc->key = key;
  hc->ldap = lc;
  hc->notify = notify;
  hc->tan_policy = tan;
  hc->allowed_origins = c->allowed_back_origins.item;
  hc->allowed_origins_n = c->allowed_back_origins.n;
  hc->trusted_proxies = &c->trusted_proxies;
  if (c->public_url == NULL)
    kc_log_warnx("public_url not set: no activation mails can be sent");
}

int
kc_daemon_serve(const struct kc_conf *c, bool foreground)
{
  struct kc_ldap_cfg lc;
  struct kc_handler_cfg hc;
  struct kc_buf uris;
  struct kc_notify *notify;
  struct kc_http_cfg httpc;
  struct kc_http *http;
  struct kc_username_list reserved;
  unsigned char *key;
  char *pw;
  char metrics[INET6_ADDRSTRLEN + 16];
  int fd, r;

  if (sodium_init() < 0)
    kc_fatalx("sodium_init failed");
  kc_password_set_cost(c->password_hash_m, c->password_hash_t);
  kc_rehash_enable(c->password_hash_upgrade);
  if (kc_handler_global_init() != 0)
    kc_fatalx("cannot prepare the dummy password hash");
  pw = read_bind_pw(c);
  key = load_key(c);
  load_reserved(c, &reserved);
  notify = load_notify(c);
  if (kc_ldap_conf_map(&lc, &uris, c) != 0)
    kc_fatalx("ldap_uri: too long");
  if (lc.bind_dn == NULL)
    lc.bind_dn = "";
  lc.bind_pw = pw;
  kc_server_block_signals();
  if ((r = kc_server_listen(c->pam_socket, &fd)) != 0) {
    if (r == KC_ERR_SYSTEM)
      kc_fatal("pam_socket %s", c->pam_socket);
    kc_fatalx("pam_socket %s: %s", c->pam_socket,
              r == KC_ERR_DUPLICATE ? "in use by another process"
                                    : kc_strerror(r));
  }
  http_settings(c, &httpc, &lc, key, notify, &hc.tan);
  httpc.reserved = &reserved;
  if ((r = kc_http_listen(&httpc, &httpc.listen_fd)) != 0)
    kc_fatal("http_listen %s:%u", c->http_listen.host, c->http_listen.port);
  if ((r = kc_http_listen_metrics(&httpc, &httpc.metrics_fd)) != 0)
    kc_fatal("metrics_listen %s:%u", c->metrics_listen.host,
             c->metrics_listen.port);
  drop_privileges(c->user);
  if (!foreground) {
    detach();
    kc_log_init("kcd", false, false);
  }
  memset(&hc, 0, sizeof(hc));
  hc.ldap = &lc;
  hc.password_min_length = c->password_min_length;
  hc.tan.length = c->tan_length;
  hc.tan.ttl = c->tan_ttl;
  hc.tan.max_tries = c->tan_max_tries;
  hc.tan.resend_interval = c->tan_resend_interval;
  hc.tan.max_per_hour = c->tan_max_per_hour;
  hc.tan.max_failures = c->tan_max_failures;
  hc.tan_key = key;
  hc.notify = notify;
  hc.env = NULL;
  probe_ldap(&lc);
  if (kc_rehash_start(&lc) != 0)
    kc_fatalx("cannot start the password hash upgrades");
  if (httpc.captcha != KC_HTTP_CAPTCHA_NONE &&
      kc_captcha_new(&httpc.captcha_store, key, NULL, NULL) != 0)
    kc_fatalx("cannot set up the captcha");
  if (kc_http_start(&http, &httpc) != 0)
    kc_fatalx("cannot start the web front on %s:%u", c->http_listen.host,
              c->http_listen.port);
  if (c->metrics_listen.port != 0)
    snprintf(metrics, sizeof(metrics), "%s%s%s:%u",
             c->metrics_listen.family == AF_INET6 ? "[" : "",
             c->metrics_listen.host,
             c->metrics_listen.family == AF_INET6 ? "]" : "",
             c->metrics_listen.port);
  else
    snprintf(metrics, sizeof(metrics), "none");
  kc_log_info("kcd started; socket=%s workers=%u http=%s:%u "
              "http_conns=%u metrics=%s trusted_proxies=%zu",
              c->pam_socket, c->workers, c->http_listen.host,
              c->http_listen.port, kc_http_max_conns(http), metrics,
              c->trusted_proxies.n);
  r = kc_server_run(fd, c->workers, c->pam_max_conns_per_uid, &hc);
  kc_http_stop(http);
  kc_rehash_stop();
  kc_captcha_free(httpc.captcha_store);
  (void) unlink(c->pam_socket);
  kc_notify_free(notify);
  kc_username_list_free(&reserved);
  kc_delivery_global_cleanup();
  sodium_free(key);
  sodium_free(pw);
  kc_buf_free(&uris);
  if (r != 0) {
    kc_log_warnx("server stopped: %s", kc_strerror(r));
    return EXIT_FAILURE;
  }
  kc_log_info("kcd stopped");
  return EXIT_SUCCESS;
}
