/*
 * sms_send.c: the SMS configuration and the file: and http(s) transports
 * (see sms.h; templates are in sms.c).
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "delivery.h"
#include "kc_err.h"
#include "kc_str.h"
#include "phone.h"
#include "sms.h"

/* One line of a file: transport. */
static const char file_template[] = "{\"to\":\"{to}\",\"text\":\"{text}\"}";
/* Pause between two tries to take the file lock. */
#define SMS_LOCK_PAUSE_NS (1000 * 1000)

/* ---------------------------------------------------------------- cfg */

static int
cfg_auth(struct kc_sms_cfg *cfg, const char *path, char *err, size_t errlen)
{
  char why[KC_DELIVERY_ERR_SIZE];
  int r;

  r = kc_conf_read_secret(path, &cfg->sc_auth, why, sizeof(why));
  if (r != 0) {
    kc_delivery_err(err, errlen, "sms_auth_header_file: %s", why);
    return r;
  }
  if ((r = kc_sms_header_check(kc_buf_get(&cfg->sc_auth))) != 0)
    kc_delivery_err(err, errlen, "sms_auth_header_file %s: %s", path,
                    "not one \"Name: value\" header line");
  return r;
}

static int
cfg_http(struct kc_sms_cfg *cfg, const struct kc_conf *c, char *err,
         size_t errlen)
{
  struct kc_buf test;
  int r;

  if (c->sms_body == NULL || strchr(c->sms_transport.uri, '#') != NULL) {
    kc_delivery_err(err, errlen, "sms_transport: %s",
                    "needs sms_body and a URL without fragment");
    return KC_ERR_INVALID;
  }
  cfg->sc_url = strdup(c->sms_transport.uri);
  cfg->sc_body = strdup(c->sms_body);
  if (cfg->sc_url == NULL || cfg->sc_body == NULL)
    return KC_ERR_NOMEM;
  cfg->sc_method = c->sms_method;
  if (c->sms_success != NULL &&
      (cfg->sc_success = strdup(c->sms_success)) == NULL)
    return KC_ERR_NOMEM;
  cfg->sc_escape = kc_sms_escape_for(cfg->sc_method, cfg->sc_body);
  r = kc_sms_expand(&test, cfg->sc_body, "+491701234567", "TAN 123456",
                    cfg->sc_escape);
  kc_buf_free(&test);
  if (r != 0) {
    kc_delivery_err(err, errlen, "sms_body: %s",
                    r == KC_ERR_INVALID
                      ? "unknown placeholder (only {to} and {text})"
                      : kc_strerror(r));
    return r;
  }
  if (c->sms_auth_header_file != NULL)
    return cfg_auth(cfg, c->sms_auth_header_file, err, errlen);
  return 0;
}

static int
cfg_fill(struct kc_sms_cfg *cfg, const struct kc_conf *c, char *err,
         size_t errlen)
{
  switch (c->sms_transport.kind) {
    case KC_CONF_TRANSPORT_FILE:
      cfg->sc_path = strdup(c->sms_transport.path);
      return cfg->sc_path != NULL ? 0 : KC_ERR_NOMEM;
    case KC_CONF_TRANSPORT_HTTP:
    case KC_CONF_TRANSPORT_HTTPS:
      return cfg_http(cfg, c, err, errlen);
    default:
      kc_delivery_err(err, errlen, "sms_transport: not an SMS transport");
      return KC_ERR_INVALID;
  }
}

int
kc_sms_cfg_init(struct kc_sms_cfg *cfg, const struct kc_conf *c, char *err,
                size_t errlen)
{
  int r;

  memset(cfg, 0, sizeof(*cfg));
  kc_buf_init(&cfg->sc_auth, KC_MAX_SECRET_FILE);
  kc_delivery_err(err, errlen, "%s", "");
  cfg->sc_connect_timeout = KC_DELIVERY_CONNECT_TIMEOUT;
  cfg->sc_timeout = KC_DELIVERY_TIMEOUT;
  if (c->sms_transport.kind == KC_CONF_TRANSPORT_NONE)
    return 0;
  cfg->sc_kind = c->sms_transport.kind;
  if ((r = cfg_fill(cfg, c, err, errlen)) != 0) {
    if (r == KC_ERR_NOMEM)
      kc_delivery_err(err, errlen, "sms: out of memory");
    kc_sms_cfg_free(cfg);
  }
  return r;
}

void
kc_sms_cfg_free(struct kc_sms_cfg *cfg)
{
  free(cfg->sc_url);
  free(cfg->sc_path);
  free(cfg->sc_body);
  free(cfg->sc_success);
  kc_buf_free(&cfg->sc_auth);
  memset(cfg, 0, sizeof(*cfg));
  kc_buf_init(&cfg->sc_auth, KC_MAX_SECRET_FILE);
}

bool
kc_sms_enabled(const struct kc_sms_cfg *cfg)
{
  switch (cfg->sc_kind) {
    case KC_CONF_TRANSPORT_FILE:
      return cfg->sc_path != NULL;
    case KC_CONF_TRANSPORT_HTTP:
    case KC_CONF_TRANSPORT_HTTPS:
      return cfg->sc_url != NULL && cfg->sc_body != NULL;
    default:
      return false;
  }
}

/* --------------------------------------------------------------- file */

/* Threads of this process queue on this mutex, which they can wait for
 * with a deadline; flock() then only competes with other processes. */
static pthread_mutex_t file_mutex = PTHREAD_MUTEX_INITIALIZER;

/* flock(LOCK_EX) with a deadline: other writers hold the lock for one
 * write(), so waiting long means something is wrong. */
static int
lock_file(int fd, long timeout)
{
  const struct timespec pause = {0, SMS_LOCK_PAUSE_NS};
  struct timespec start, now;

  clock_gettime(CLOCK_MONOTONIC, &start);
  for (;;) {
    if (flock(fd, LOCK_EX | LOCK_NB) == 0)
      return 0;
    if (errno != EWOULDBLOCK && errno != EINTR)
      return KC_ERR_SYSTEM;
    clock_gettime(CLOCK_MONOTONIC, &now);
    if (now.tv_sec - start.tv_sec >= timeout) {
      errno = ETIMEDOUT;
      return KC_ERR_TIMEOUT;
    }
    nanosleep(&pause, NULL);
  }
}

/* One write() of the whole line; a short one is cut off again, so readers
 * only ever see whole lines. The caller holds the lock. */
static int
append_line(int fd, const struct kc_buf *line)
{
  struct stat st;
  ssize_t n;
  int e;

  if (fstat(fd, &st) != 0)
    return KC_ERR_SYSTEM;
  do {
    n = write(fd, kc_buf_get(line), kc_buf_len(line));
  } while (n < 0 && errno == EINTR);
  if (n == (ssize_t) kc_buf_len(line))
    return 0;
  e = n < 0 ? errno : EIO;
  if (n > 0 && ftruncate(fd, st.st_size) != 0)
    e = errno;
  errno = e;
  return KC_ERR_SYSTEM;
}

/* Open, lock and append under the process-wide mutex; *e gets errno. */
static int
file_append(const struct kc_sms_cfg *cfg, const struct kc_buf *line, int *e)
{
  struct timespec deadline;
  int fd, r;

  clock_gettime(CLOCK_REALTIME, &deadline);
  deadline.tv_sec += cfg->sc_timeout;
  if ((r = pthread_mutex_timedlock(&file_mutex, &deadline)) != 0) {
    *e = r;
    return r == ETIMEDOUT ? KC_ERR_TIMEOUT : KC_ERR_SYSTEM;
  }
  fd = open(cfg->sc_path,
            O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) {
    r = KC_ERR_SYSTEM;
    *e = errno;
  } else {
    if ((r = lock_file(fd, cfg->sc_timeout)) == 0)
      r = append_line(fd, line);
    *e = errno;
    close(fd); /* drops the flock */
  }
  pthread_mutex_unlock(&file_mutex);
  return r;
}

static int
file_send(const struct kc_sms_cfg *cfg, const char *to, const char *text,
          char *err, size_t errlen)
{
  struct kc_buf line;
  int r, e = 0;

  if ((r = kc_sms_expand(&line, file_template, to, text, KC_SMS_ESCAPE_JSON)) !=
        0 ||
      (r = kc_buf_add_str(&line, "\n")) != 0) {
    kc_delivery_err(err, errlen, "sms file: %s", kc_strerror(r));
    return r;
  }
  if ((r = file_append(cfg, &line, &e)) != 0)
    kc_delivery_err(err, errlen, "sms file %s: %s", cfg->sc_path, strerror(e));
  kc_buf_free(&line);
  return r;
}

/* --------------------------------------------------------------- http */

/* The gateway's answer: counted, and kept when sms_success is to be
 * looked for in it (in a buffer that is wiped when freed: a gateway may
 * echo the text, and so the TAN). */
struct answer {
  size_t seen;
  struct kc_buf *body; /* NULL: dropped */
};

/* Take a piece of the answer; stop reading after KC_SMS_MAX_RESPONSE. */
static size_t
take_answer(char *p, size_t size, size_t nmemb, void *arg)
{
  struct answer *a = arg;
  size_t n = size * nmemb;

  if (n > KC_SMS_MAX_RESPONSE - a->seen)
    return 0; /* CURLE_WRITE_ERROR */
  if (a->body != NULL && kc_buf_add(a->body, p, n) != 0)
    return 0;
  a->seen += n;
  return n;
}

/* The request URL: the gateway's, plus the query for GET. */
static int
http_url(const struct kc_sms_cfg *cfg, const struct kc_buf *req,
         struct kc_buf *url)
{
  int r;

  kc_buf_init(url, KC_SMS_MAX_URL);
  if ((r = kc_buf_add_str(url, cfg->sc_url)) != 0 ||
      cfg->sc_method != KC_CONF_HTTP_GET)
    return r;
  if ((r = kc_buf_add_str(url, strchr(cfg->sc_url, '?') ? "&" : "?")) != 0)
    return r;
  return kc_buf_add(url, kc_buf_get(req), kc_buf_len(req));
}

/* Request headers as a list on the caller's stack: the auth header is
 * not copied into libcurl's slist allocations. */
static struct curl_slist *
http_headers(const struct kc_sms_cfg *cfg, struct curl_slist node[3])
{
  static char json[] = "Content-Type: application/json";
  static char form[] = "Content-Type: application/x-www-form-urlencoded";
  static char expect[] = "Expect:";
  struct curl_slist *head = NULL;

  if (kc_buf_len(&cfg->sc_auth) > 0) {
    node[0].data = cfg->sc_auth.data;
    node[0].next = head;
    head = &node[0];
  }
  if (cfg->sc_method == KC_CONF_HTTP_POST) {
    node[1].data = expect;
    node[1].next = head;
    node[2].data = cfg->sc_escape == KC_SMS_ESCAPE_JSON ? json : form;
    node[2].next = &node[1];
    head = &node[2];
  }
  return head;
}

static int
http_setup(CURL *h, const struct kc_sms_cfg *cfg, const struct kc_buf *url,
           const struct kc_buf *req, struct curl_slist *hdrs,
           struct answer *answer)
{
  if (curl_easy_setopt(h, CURLOPT_URL, kc_buf_get(url)) != CURLE_OK ||
      curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs) != CURLE_OK ||
      curl_easy_setopt(h, CURLOPT_USERAGENT,
                       PACKAGE_NAME "/" PACKAGE_VERSION) != CURLE_OK ||
      curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, take_answer) != CURLE_OK ||
      curl_easy_setopt(h, CURLOPT_WRITEDATA, answer) != CURLE_OK)
    return KC_ERR_INTERNAL;
  if (cfg->sc_method == KC_CONF_HTTP_GET)
    return curl_easy_setopt(h, CURLOPT_HTTPGET, 1L) == CURLE_OK
             ? 0
             : KC_ERR_INTERNAL;
  if (curl_easy_setopt(h, CURLOPT_POSTFIELDS, kc_buf_get(req)) != CURLE_OK ||
      curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE,
                       (curl_off_t) kc_buf_len(req)) != CURLE_OK)
    return KC_ERR_INTERNAL;
  return 0;
}

/* Run the transfer; 2xx is success, when its answer contains the
 * sms_success text if there is one. err never quotes the answer. */
static int
http_perform(CURL *h, const struct kc_sms_cfg *cfg, const struct kc_buf *body,
             char *err, size_t errlen)
{
  long status = 0;
  CURLcode rc;

  rc = curl_easy_perform(h);
  if (rc != CURLE_OK) {
    kc_delivery_curl_error(err, errlen, "sms gateway", rc, 0);
    return KC_ERR_UNAVAILABLE;
  }
  (void) curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
  if (status < 200 || status > 299) {
    kc_delivery_err(err, errlen, "sms gateway: HTTP %ld", status);
    return KC_ERR_UNAVAILABLE;
  }
  if (cfg->sc_success != NULL &&
      memmem(kc_buf_get(body), kc_buf_len(body), cfg->sc_success,
             strlen(cfg->sc_success)) == NULL) {
    kc_delivery_err(err, errlen,
                    "sms gateway: HTTP %ld, but the answer (%zu bytes) "
                    "lacks the sms_success text",
                    status, kc_buf_len(body));
    return KC_ERR_UNAVAILABLE;
  }
  return 0;
}

static int
http_send(const struct kc_sms_cfg *cfg, const char *to, const char *text,
          char *err, size_t errlen)
{
  struct curl_slist node[3];
  struct kc_buf req, url, body;
  struct answer answer = {0, NULL};
  CURL *h = NULL;
  int r;

  kc_buf_init(&url, KC_SMS_MAX_URL);
  kc_buf_init(&body, KC_SMS_MAX_RESPONSE);
  if (cfg->sc_success != NULL)
    answer.body = &body;
  if ((r = kc_sms_expand(&req, cfg->sc_body, to, text, cfg->sc_escape)) != 0 ||
      (r = http_url(cfg, &req, &url)) != 0) {
    kc_delivery_err(err, errlen, "sms request: %s", kc_strerror(r));
    goto out;
  }
  h = kc_delivery_curl_new("http,https", cfg->sc_connect_timeout,
                           cfg->sc_timeout);
  if (h == NULL ||
      http_setup(h, cfg, &url, &req, http_headers(cfg, node), &answer) != 0) {
    kc_delivery_err(err, errlen, "sms gateway: cannot set up libcurl");
    r = KC_ERR_INTERNAL;
    goto out;
  }
  r = http_perform(h, cfg, &body, err, errlen);
out:
  if (h != NULL)
    curl_easy_cleanup(h);
  kc_buf_free(&req);
  kc_buf_free(&url);
  kc_buf_free(&body);
  return r;
}

/* ------------------------------------------------------------- public */

int
kc_sms_send(const struct kc_sms_cfg *cfg, const char *to_e164, const char *text,
            char *err, size_t errlen)
{
  size_t len = strnlen(text, KC_SMS_MAX_TEXT + 1);

  kc_delivery_err(err, errlen, "%s", "");
  if (!kc_sms_enabled(cfg)) {
    kc_delivery_err(err, errlen, "no sms_transport configured");
    return KC_ERR_UNAVAILABLE;
  }
  if (!kc_phone_is_e164(to_e164)) {
    kc_delivery_err(err, errlen, "sms: number is not in E.164 form");
    return KC_ERR_INVALID;
  }
  if (len > KC_SMS_MAX_TEXT || !kc_str_is_utf8(text, len)) {
    kc_delivery_err(err, errlen, "sms: text too long or not UTF-8");
    return len > KC_SMS_MAX_TEXT ? KC_ERR_TOO_LARGE : KC_ERR_INVALID;
  }
  if (cfg->sc_kind == KC_CONF_TRANSPORT_FILE)
    return file_send(cfg, to_e164, text, err, errlen);
  return http_send(cfg, to_e164, text, err, errlen);
}
