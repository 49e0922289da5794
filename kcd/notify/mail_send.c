/*
 * mail_send.c: the mail configuration and the maildir:, smtp:// and
 * smtps:// transports (see mail.h; the message builder is in mail.c).
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <sodium.h>

#include "delivery.h"
#include "kc_err.h"
#include "mail.h"

/* smtp(s)://host:port/ehlo-name: the configured URI (a few hundred bytes
 * at most) plus a domain. */
#define MAIL_URL_MAX 2048
/* Maildir file names: time, pid, 64 random bits and a host name. */
#define MAILDIR_NAME_MAX 160
/* Host name part of a Maildir file name. */
#define MAILDIR_HOST_MAX 64

/* ---------------------------------------------------------------- cfg */

static char *
dup_or_null(const char *s)
{
  return s != NULL ? strdup(s) : NULL;
}

/* smtp(s)://host[:port] + "/" + EHLO name (libcurl takes the URL path as
 * the EHLO argument and would say "localhost" otherwise). */
static int
make_smtp_url(struct kc_mail_cfg *cfg, const char *uri)
{
  struct kc_buf b;
  size_t len = strlen(uri);
  int r;

  while (len > 0 && uri[len - 1] == '/')
    len--;
  kc_buf_init(&b, MAIL_URL_MAX);
  if ((r = kc_buf_add(&b, uri, len)) != 0 ||
      (r = kc_buf_printf(&b, "/%s", cfg->mc_domain)) != 0)
    return r;
  cfg->mc_url = kc_buf_detach(&b);
  return cfg->mc_url != NULL ? 0 : KC_ERR_NOMEM;
}

/* Prove at start-up that messages from this sender can be built. */
static int
check_sender(const struct kc_mail_cfg *cfg)
{
  struct kc_mail_msg m = {cfg->mc_from_name,
                          cfg->mc_from,
                          "postmaster@example.org",
                          "Test",
                          "Test\n",
                          cfg->mc_domain,
                          0};
  struct kc_buf b;
  int r;

  r = kc_mail_build_msg(&b, &m);
  kc_buf_free(&b);
  return r;
}

static int
cfg_transport(struct kc_mail_cfg *cfg, const struct kc_conf *c, char *err,
              size_t errlen)
{
  switch (c->mail_transport.kind) {
    case KC_CONF_TRANSPORT_MAILDIR:
      cfg->mc_path = strdup(c->mail_transport.path);
      return cfg->mc_path != NULL ? 0 : KC_ERR_NOMEM;
    case KC_CONF_TRANSPORT_SMTP:
    case KC_CONF_TRANSPORT_SMTPS:
      return make_smtp_url(cfg, c->mail_transport.uri);
    default:
      kc_delivery_err(err, errlen, "mail_transport: not a mail transport");
      return KC_ERR_INVALID;
  }
}

static int
cfg_auth(struct kc_mail_cfg *cfg, const struct kc_conf *c, char *err,
         size_t errlen)
{
  char why[KC_DELIVERY_ERR_SIZE];
  int r;

  if (c->smtp_user == NULL)
    return 0;
  if (c->smtp_pw_file == NULL) {
    kc_delivery_err(err, errlen, "smtp_user needs smtp_pw_file");
    return KC_ERR_INVALID;
  }
  if ((cfg->mc_user = strdup(c->smtp_user)) == NULL)
    return KC_ERR_NOMEM;
  r = kc_conf_read_secret(c->smtp_pw_file, &cfg->mc_password, why, sizeof(why));
  if (r != 0)
    kc_delivery_err(err, errlen, "smtp_pw_file: %s", why);
  return r;
}

static int
cfg_fill(struct kc_mail_cfg *cfg, const struct kc_conf *c, char *err,
         size_t errlen)
{
  int r;

  if (c->mail_from == NULL || !kc_email_valid(c->mail_from)) {
    kc_delivery_err(err, errlen, "mail_from: not an address to send from");
    return KC_ERR_INVALID;
  }
  cfg->mc_from = strdup(c->mail_from);
  cfg->mc_domain = strdup(strchr(c->mail_from, '@') + 1);
  cfg->mc_from_name = dup_or_null(c->portal_name);
  if (cfg->mc_from == NULL || cfg->mc_domain == NULL ||
      (c->portal_name != NULL && cfg->mc_from_name == NULL))
    return KC_ERR_NOMEM;
  if ((r = check_sender(cfg)) != 0) {
    kc_delivery_err(err, errlen, "mail_from/portal_name: %s",
                    "cannot be used in a mail header");
    return r;
  }
  if ((r = cfg_transport(cfg, c, err, errlen)) != 0)
    return r;
  return cfg_auth(cfg, c, err, errlen);
}

int
kc_mail_cfg_init(struct kc_mail_cfg *cfg, const struct kc_conf *c, char *err,
                 size_t errlen)
{
  int r;

  memset(cfg, 0, sizeof(*cfg));
  kc_buf_init(&cfg->mc_password, KC_MAX_SECRET_FILE);
  kc_delivery_err(err, errlen, "%s", "");
  cfg->mc_starttls = c->smtp_starttls;
  cfg->mc_connect_timeout = KC_DELIVERY_CONNECT_TIMEOUT;
  cfg->mc_timeout = KC_DELIVERY_TIMEOUT;
  if (c->mail_transport.kind == KC_CONF_TRANSPORT_NONE)
    return 0;
  cfg->mc_kind = c->mail_transport.kind;
  r = cfg_fill(cfg, c, err, errlen);
  if (r == KC_ERR_NOMEM)
    kc_delivery_err(err, errlen, "mail: out of memory");
  if (r != 0)
    kc_mail_cfg_free(cfg);
  return r;
}

void
kc_mail_cfg_free(struct kc_mail_cfg *cfg)
{
  free(cfg->mc_url);
  free(cfg->mc_path);
  free(cfg->mc_from);
  free(cfg->mc_from_name);
  free(cfg->mc_domain);
  free(cfg->mc_user);
  kc_buf_free(&cfg->mc_password);
  memset(cfg, 0, sizeof(*cfg));
  kc_buf_init(&cfg->mc_password, KC_MAX_SECRET_FILE);
}

bool
kc_mail_enabled(const struct kc_mail_cfg *cfg)
{
  if (cfg->mc_kind == KC_CONF_TRANSPORT_MAILDIR)
    return cfg->mc_path != NULL;
  return (cfg->mc_kind == KC_CONF_TRANSPORT_SMTP ||
          cfg->mc_kind == KC_CONF_TRANSPORT_SMTPS) &&
         cfg->mc_url != NULL;
}

/* ------------------------------------------------------------ maildir */

/* Open (creating when missing) the directory name below dirfd. */
static int
open_subdir(int dirfd, const char *name)
{
  int fd;

  if (mkdirat(dirfd, name, 0700) != 0 && errno != EEXIST)
    return -1;
  fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
  return fd;
}

/* Open ROOT, ROOT/tmp and ROOT/new (creating them and ROOT/cur). */
static int
maildir_open(const char *root, int *tmp, int *new, char *err, size_t errlen)
{
  int rootfd, cur = -1, e;

  if (mkdir(root, 0700) != 0 && errno != EEXIST)
    goto fail;
  if ((rootfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
    goto fail;
  if ((*tmp = open_subdir(rootfd, "tmp")) < 0 ||
      (*new = open_subdir(rootfd, "new")) < 0 ||
      (cur = open_subdir(rootfd, "cur")) < 0) {
    e = errno;
    close(rootfd);
    errno = e;
    goto fail;
  }
  close(cur);
  close(rootfd);
  return 0;
fail:
  kc_delivery_err(err, errlen, "maildir %s: %s", root, strerror(errno));
  return KC_ERR_SYSTEM;
}

/* A unique name as the Maildir protocol wants it:
 * SECONDS.M<usec>P<pid>R<random>.HOST, host with "/" and ":" replaced. */
static int
maildir_name(char *name, size_t size)
{
  char host[MAILDIR_HOST_MAX + 1], hex[17];
  unsigned char rnd[8];
  struct timespec ts;
  size_t i;
  int n;

  if (gethostname(host, sizeof(host)) != 0)
    memcpy(host, "localhost", sizeof("localhost"));
  host[MAILDIR_HOST_MAX] = '\0';
  for (i = 0; host[i] != '\0'; i++) {
    if (host[i] == '/' || host[i] == ':' || (unsigned char) host[i] <= 0x20 ||
        (unsigned char) host[i] >= 0x7f)
      host[i] = '_';
  }
  randombytes_buf(rnd, sizeof(rnd));
  sodium_bin2hex(hex, sizeof(hex), rnd, sizeof(rnd));
  clock_gettime(CLOCK_REALTIME, &ts);
  n = snprintf(name, size, "%lld.M%ldP%ldR%s.%s", (long long) ts.tv_sec,
               ts.tv_nsec / 1000, (long) getpid(), hex, host);
  return n > 0 && (size_t) n < size ? 0 : KC_ERR_INTERNAL;
}

/* Write msg to tmp/name and make it durable; *created says whether the
 * file is ours to remove. */
static int
maildir_write(int tmp, const char *name, const struct kc_buf *msg,
              bool *created)
{
  int fd, r, e;

  *created = false;
  fd = openat(tmp, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW,
              0600);
  if (fd < 0)
    return KC_ERR_SYSTEM;
  *created = true;
  r = kc_delivery_write_all(fd, kc_buf_get(msg), kc_buf_len(msg));
  if (r == 0 && fsync(fd) != 0)
    r = KC_ERR_SYSTEM;
  e = errno;
  if (close(fd) != 0 && r == 0) {
    r = KC_ERR_SYSTEM;
    e = errno;
  }
  errno = e;
  return r;
}

static int
maildir_deliver(const struct kc_mail_cfg *cfg, const struct kc_buf *msg,
                char *err, size_t errlen)
{
  char name[MAILDIR_NAME_MAX];
  int tmp = -1, new = -1, r, e;
  bool created = false;

  if ((r = maildir_open(cfg->mc_path, &tmp, &new, err, errlen)) != 0)
    goto out;
  if ((r = maildir_name(name, sizeof(name))) != 0) {
    kc_delivery_err(err, errlen, "maildir %s: no unique name", cfg->mc_path);
    goto out;
  }
  if ((r = maildir_write(tmp, name, msg, &created)) != 0 ||
      renameat(tmp, name, new, name) != 0) {
    e = errno;
    if (created)
      unlinkat(tmp, name, 0); /* nothing half-written stays in tmp/ */
    kc_delivery_err(err, errlen, "maildir %s: %s", cfg->mc_path, strerror(e));
    r = KC_ERR_SYSTEM;
    goto out;
  }
  /* The message is complete and visible now; syncing the directory only
   * makes the rename durable, so its failure does not undo delivery. */
  (void) fsync(new);
out:
  if (tmp >= 0)
    close(tmp);
  if (new >= 0)
    close(new);
  return r;
}

/* --------------------------------------------------------------- smtp */

/* Where the read callback is in the message. */
struct upload {
  const char *p;
  size_t left;
};

static size_t
upload_read(char *buf, size_t size, size_t nitems, void *arg)
{
  struct upload *u = arg;
  size_t n = size * nitems;

  if (n > u->left)
    n = u->left;
  memcpy(buf, u->p, n);
  u->p += n;
  u->left -= n;
  return n;
}

static long
use_ssl(const struct kc_mail_cfg *cfg)
{
  if (cfg->mc_kind == KC_CONF_TRANSPORT_SMTPS)
    return (long) CURLUSESSL_ALL;
  switch (cfg->mc_starttls) {
    case KC_CONF_STARTTLS_REQUIRED:
      return (long) CURLUSESSL_ALL;
    case KC_CONF_STARTTLS_OPPORTUNISTIC:
      return (long) CURLUSESSL_TRY;
    default:
      return (long) CURLUSESSL_NONE;
  }
}

/* Everything but the timeouts, which kc_delivery_curl_new() set. */
static int
smtp_setup(CURL *h, const struct kc_mail_cfg *cfg, struct curl_slist *rcpt,
           const char *from, struct upload *u)
{
  if (curl_easy_setopt(h, CURLOPT_URL, cfg->mc_url) != CURLE_OK ||
      curl_easy_setopt(h, CURLOPT_USE_SSL, use_ssl(cfg)) != CURLE_OK ||
      curl_easy_setopt(h, CURLOPT_MAIL_FROM, from) != CURLE_OK ||
      curl_easy_setopt(h, CURLOPT_MAIL_RCPT, rcpt) != CURLE_OK ||
      curl_easy_setopt(h, CURLOPT_UPLOAD, 1L) != CURLE_OK ||
      curl_easy_setopt(h, CURLOPT_READFUNCTION, upload_read) != CURLE_OK ||
      curl_easy_setopt(h, CURLOPT_READDATA, u) != CURLE_OK ||
      curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, (curl_off_t) u->left) !=
        CURLE_OK)
    return KC_ERR_INTERNAL;
  if (cfg->mc_user == NULL)
    return 0;
  if (curl_easy_setopt(h, CURLOPT_USERNAME, cfg->mc_user) != CURLE_OK ||
      curl_easy_setopt(h, CURLOPT_PASSWORD, kc_buf_get(&cfg->mc_password)) !=
        CURLE_OK)
    return KC_ERR_INTERNAL;
  return 0;
}

static int
smtp_deliver(const struct kc_mail_cfg *cfg, const char *to,
             const struct kc_buf *msg, char *err, size_t errlen)
{
  char from[KC_MAX_EMAIL + 3], rcpt_s[KC_MAX_EMAIL + 3];
  struct curl_slist rcpt = {rcpt_s, NULL};
  struct upload u = {kc_buf_get(msg), kc_buf_len(msg)};
  long response = 0;
  CURLcode rc;
  CURL *h;
  int r;

  /* addresses were checked by the builder: no "<", ">" or CR/LF */
  snprintf(from, sizeof(from), "<%s>", cfg->mc_from);
  snprintf(rcpt_s, sizeof(rcpt_s), "<%s>", to);
  h = kc_delivery_curl_new("smtp,smtps", cfg->mc_connect_timeout,
                           cfg->mc_timeout);
  if (h == NULL || smtp_setup(h, cfg, &rcpt, from, &u) != 0) {
    kc_delivery_err(err, errlen, "smtp: cannot set up libcurl");
    r = KC_ERR_INTERNAL;
    goto out;
  }
  rc = curl_easy_perform(h);
  (void) curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &response);
  r = 0;
  if (rc != CURLE_OK) {
    kc_delivery_curl_error(err, errlen, "smtp", rc, response);
    r = KC_ERR_UNAVAILABLE;
  }
out:
  if (h != NULL)
    curl_easy_cleanup(h);
  return r;
}

/* ------------------------------------------------------------- public */

int
kc_mail_send(const struct kc_mail_cfg *cfg, const char *to, const char *subject,
             const char *text, char *err, size_t errlen)
{
  struct kc_mail_msg m = {cfg->mc_from_name, cfg->mc_from, to, subject, text,
                          cfg->mc_domain,    time(NULL)};
  struct kc_buf msg;
  int r;

  kc_delivery_err(err, errlen, "%s", "");
  if (!kc_mail_enabled(cfg)) {
    kc_delivery_err(err, errlen, "no mail_transport configured");
    return KC_ERR_UNAVAILABLE;
  }
  if ((r = kc_mail_build_msg(&msg, &m)) != 0) {
    kc_delivery_err(err, errlen, "mail not built: %s (address or text)",
                    kc_strerror(r));
    return r;
  }
  if (cfg->mc_kind == KC_CONF_TRANSPORT_MAILDIR)
    r = maildir_deliver(cfg, &msg, err, errlen);
  else
    r = smtp_deliver(cfg, to, &msg, err, errlen);
  kc_buf_free(&msg);
  return r;
}
