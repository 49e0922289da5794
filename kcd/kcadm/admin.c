/*
 * admin.c: kcadm's set-up (configuration, service password, connection),
 * failure reports, output helpers and the argument checks the operations
 * share. The operations are in admin_customer.c, admin_import.c,
 * admin_account.c and admin_registration.c.
 */
#include <config.h>

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "admin.h"
#include "admin_int.h"
#include "kc_err.h"
#include "kc_str.h"
#include "ldap_conf.h"
#include "log.h"
#include "mail.h"
#include "password.h"
#include "phone.h"

static time_t
now_real(void)
{
  return time(NULL);
}

/* Load the file unless it is the default one, missing, and every
 * directory setting came as an option. */
static int
load_config(struct kc_admin *ad, const struct kc_admin_opts *o)
{
  const char *path = o->config != NULL ? o->config : KC_CONF_DEFAULT_PATH;
  char err[512];

  if (o->config == NULL && access(path, F_OK) != 0 && o->uri != NULL &&
      o->base != NULL && o->bind_dn != NULL && o->bind_pw_file != NULL)
    return 0;
  if (kc_conf_load(&ad->ad_conf, path, err, sizeof(err)) != 0)
    return kc_admin_fail(ad, "%s", err);
  kc_password_set_cost(ad->ad_conf.password_hash_m,
                       ad->ad_conf.password_hash_t);
  return 0;
}

static int
need(struct kc_admin *ad, const char *value, const char *key,
     const char *option)
{
  if (value != NULL && value[0] != '\0')
    return 0;
  return kc_admin_fail(ad, "no %s: set it in kcd.conf or give %s", key, option);
}

/* Directory settings: options win over the file. */
static int
settings(struct kc_admin *ad, const struct kc_admin_opts *o)
{
  struct kc_ldap_cfg *l = &ad->ad_lcfg;
  const struct kc_conf *c = &ad->ad_conf;
  const char *pwfile;
  char err[512];

  if (kc_ldap_conf_map(l, &ad->ad_uri, c) != 0 && o->uri == NULL)
    return kc_admin_fail(ad, "ldap_uri is too long");
  if (o->uri != NULL)
    l->uri = o->uri;
  if (o->base != NULL)
    l->base = o->base;
  if (o->bind_dn != NULL)
    l->bind_dn = o->bind_dn;
  pwfile = o->bind_pw_file != NULL ? o->bind_pw_file : c->ldap_bind_pw_file;
  if (need(ad, l->uri, "ldap_uri", "--uri") != 0 ||
      need(ad, l->base, "ldap_base", "--base") != 0 ||
      need(ad, l->bind_dn, "ldap_bind_dn", "--bind-dn") != 0 ||
      need(ad, pwfile, "ldap_bind_pw_file", "--bind-pw-file") != 0)
    return KC_ADMIN_EXIT_FAIL;
  if (kc_conf_read_secret_guarded(pwfile, &ad->ad_bind_pw, err, sizeof(err)) !=
      0)
    return kc_admin_fail(ad, "%s", err);
  l->bind_pw = ad->ad_bind_pw;
  return 0;
}

/* One container DN into out (KC_MAX_DN + 1 bytes). */
static int
container(char *out, const char *base, enum kc_ldap_container c)
{
  struct kc_buf b;
  int r = kc_ldap_dn_container(&b, base, c);

  if (r == 0)
    memcpy(out, kc_buf_get(&b), kc_buf_len(&b) + 1);
  kc_buf_free(&b);
  return r;
}

/* ou=customers,<base> and its siblings. */
static int
containers(struct kc_admin *ad)
{
  const char *base = ad->ad_lcfg.base;

  if (container(ad->ad_customers, base, KC_LDAP_CUSTOMERS) != 0 ||
      container(ad->ad_accounts, base, KC_LDAP_ACCOUNTS) != 0 ||
      container(ad->ad_registrations, base, KC_LDAP_REGISTRATIONS) != 0)
    return kc_admin_fail(ad, "ldap_base is too long");
  return 0;
}

int
kc_admin_init(struct kc_admin *ad, const struct kc_admin_opts *o)
{
  memset(ad, 0, sizeof(*ad));
  kc_conf_init(&ad->ad_conf);
  kc_username_list_init(&ad->ad_reserved);
  kc_buf_init(&ad->ad_uri, KC_MAX_CONF_LINE);
  ad->ad_opts = *o;
  ad->ad_out = stdout;
  ad->ad_json = o->json;
  ad->ad_progress = isatty(STDERR_FILENO) == 1;
  ad->ad_now = now_real;
  kc_admin_json_init(&ad->ad_js, stdout);
  if (sodium_init() < 0)
    return kc_admin_fail(ad, "libsodium failed to start");
  return KC_ADMIN_EXIT_OK;
}

int
kc_admin_load(struct kc_admin *ad)
{
  if (ad->ad_loaded)
    return ad->ad_load_status;
  ad->ad_loaded = true;
  if (load_config(ad, &ad->ad_opts) != 0 || settings(ad, &ad->ad_opts) != 0 ||
      containers(ad) != 0)
    ad->ad_load_status = KC_ADMIN_EXIT_FAIL;
  return ad->ad_load_status;
}

void
kc_admin_free(struct kc_admin *ad)
{
  if (ad->ad_connected)
    kc_ldap_close(&ad->ad_ldap);
  ad->ad_connected = false;
  sodium_free(ad->ad_bind_pw);
  ad->ad_bind_pw = NULL;
  kc_buf_free(&ad->ad_uri);
  ad->ad_lcfg.bind_pw = NULL;
  kc_conf_free(&ad->ad_conf);
  kc_username_list_free(&ad->ad_reserved);
  ad->ad_reserved_loaded = false;
}

static void vreport(struct kc_admin *ad, const char *fmt, va_list ap)
  KC_PRINTF(2, 0);

static void
vreport(struct kc_admin *ad, const char *fmt, va_list ap)
{
  char raw[sizeof(ad->ad_error)], line[sizeof(ad->ad_error)];

  vsnprintf(raw, sizeof(raw), fmt, ap);
  /* messages quote names and DNs from LDAP: no control characters out */
  kc_admin_clean(line, sizeof(line), raw);
  kc_log_warnx("%s", line);
  if (ad->ad_error[0] == '\0')
    memcpy(ad->ad_error, line, sizeof(line));
}

int
kc_admin_fail(struct kc_admin *ad, const char *fmt, ...)
{
  va_list ap;

  va_start(ap, fmt);
  vreport(ad, fmt, ap);
  va_end(ap);
  return KC_ADMIN_EXIT_FAIL;
}

int
kc_admin_usage(struct kc_admin *ad, const char *fmt, ...)
{
  va_list ap;

  va_start(ap, fmt);
  vreport(ad, fmt, ap);
  va_end(ap);
  return KC_ADMIN_EXIT_USAGE;
}

void
kc_admin_finish(struct kc_admin *ad, int status)
{
  if (!ad->ad_json || status == KC_ADMIN_EXIT_OK || ad->ad_printed)
    return;
  kc_admin_json_begin_obj(&ad->ad_js, NULL);
  kc_admin_json_str(&ad->ad_js, "error",
                    ad->ad_error[0] != '\0' ? ad->ad_error : "failed");
  kc_admin_json_int(&ad->ad_js, "status", status);
  kc_admin_json_end_obj(&ad->ad_js);
  kc_admin_json_end(&ad->ad_js);
  ad->ad_printed = true;
}

int
kc_admin_connect(struct kc_admin *ad)
{
  if (ad->ad_connected)
    return 0;
  if (kc_admin_load(ad) != 0)
    return KC_ADMIN_EXIT_FAIL;
  if (kc_ldap_open(&ad->ad_ldap, &ad->ad_lcfg) != 0)
    return kc_admin_fail(ad, "cannot use the directory at %s as %s: %s",
                         ad->ad_lcfg.uri, ad->ad_lcfg.bind_dn,
                         kc_ldap_error(&ad->ad_ldap));
  ad->ad_connected = true;
  kc_log_debug("connected; uri=%s bind_dn=%s base=%s", ad->ad_lcfg.uri,
               ad->ad_lcfg.bind_dn, ad->ad_lcfg.base);
  return 0;
}

/* ------------------------------------------------------------ output */

/* Length of the well-formed UTF-8 character at s, 0 when there is none;
 * C1 controls (U+0080..U+009F) count as none. */
static size_t
char_len(const char *s)
{
  unsigned char c = (unsigned char) s[0];
  size_t n, i;

  if (c < 0x80)
    return (c < 0x20 || c == 0x7f) ? 0 : 1;
  n = c >= 0xf0 ? 4 : (c >= 0xe0 ? 3 : 2);
  for (i = 1; i < n; i++) {
    if (s[i] == '\0')
      return 0;
  }
  if (!kc_str_is_utf8(s, n) || (c == 0xc2 && (unsigned char) s[1] < 0xa0))
    return 0;
  return n;
}

void
kc_admin_clean(char *out, size_t outlen, const char *s)
{
  size_t used = 0, n;

  while (*s != '\0') {
    n = char_len(s);
    if (n == 0) {
      if (used + 1 >= outlen)
        break;
      out[used++] = '?';
      s++;
      continue;
    }
    if (n >= outlen - used)
      break;
    memcpy(out + used, s, n);
    used += n;
    s += n;
  }
  out[used] = '\0';
}

void
kc_admin_print_text(FILE *out, const char *s)
{
  size_t n;

  while (*s != '\0') {
    n = char_len(s);
    if (n == 0) {
      fputc('?', out);
      s++;
      continue;
    }
    fwrite(s, 1, n, out);
    s += n;
  }
}

void
kc_admin_doc_begin(struct kc_admin *ad, const char *title)
{
  if (ad->ad_json) {
    kc_admin_json_begin_obj(&ad->ad_js, NULL);
    ad->ad_printed = true;
    return;
  }
  kc_admin_print_text(ad->ad_out, title);
  fputc('\n', ad->ad_out);
}

void
kc_admin_doc_end(struct kc_admin *ad)
{
  if (ad->ad_json) {
    kc_admin_json_end_obj(&ad->ad_js);
    kc_admin_json_end(&ad->ad_js);
    return;
  }
  fflush(ad->ad_out);
}

/* Labels are short; the values start in one column after them. */
#define LABEL_WIDTH 22

static void
label(struct kc_admin *ad, const char *text)
{
  size_t n = strlen(text);

  fprintf(ad->ad_out, "  %s:%*s", text,
          n < LABEL_WIDTH ? (int) (LABEL_WIDTH - n) : 1, "");
}

void
kc_admin_show_str(struct kc_admin *ad, const char *key, const char *lbl,
                  const char *value)
{
  if (ad->ad_json) {
    kc_admin_json_str(&ad->ad_js, key, value);
    return;
  }
  label(ad, lbl);
  kc_admin_print_text(ad->ad_out, value != NULL ? value : "-");
  fputc('\n', ad->ad_out);
}

void
kc_admin_show_bool(struct kc_admin *ad, const char *key, const char *lbl,
                   bool value)
{
  if (ad->ad_json) {
    kc_admin_json_bool(&ad->ad_js, key, value);
    return;
  }
  label(ad, lbl);
  fputs(value ? "yes\n" : "no\n", ad->ad_out);
}

void
kc_admin_show_int(struct kc_admin *ad, const char *key, const char *lbl,
                  long long value)
{
  if (ad->ad_json) {
    kc_admin_json_int(&ad->ad_js, key, value);
    return;
  }
  label(ad, lbl);
  fprintf(ad->ad_out, "%lld\n", value);
}

void
kc_admin_show_strv(struct kc_admin *ad, const char *key, const char *lbl,
                   char *const *values)
{
  size_t i;

  if (ad->ad_json) {
    kc_admin_json_strv(&ad->ad_js, key, values);
    return;
  }
  label(ad, lbl);
  if (values == NULL || values[0] == NULL)
    fputs("-", ad->ad_out);
  for (i = 0; values != NULL && values[i] != NULL; i++) {
    if (i > 0)
      fputs(", ", ad->ad_out);
    kc_admin_print_text(ad->ad_out, values[i]);
  }
  fputc('\n', ad->ad_out);
}

void
kc_admin_time_text(const struct kc_admin *ad, const char *gentime,
                   char out[KC_ADMIN_TIME_SIZE])
{
  struct tm tm;
  time_t t;

  if (strcmp(gentime, "000001010000Z") == 0 ||
      kc_ldap_parse_time(gentime, &t) != 0 || gmtime_r(&t, &tm) == NULL ||
      strftime(out, KC_ADMIN_TIME_SIZE,
               ad->ad_json ? "%Y-%m-%dT%H:%M:%SZ" : "%Y-%m-%d %H:%M:%S UTC",
               &tm) == 0)
    kc_admin_clean(out, KC_ADMIN_TIME_SIZE, gentime);
}

/* The end of a listing: in JSON whether it is complete; a cut-short
 * listing is a failure either way. */
int
kc_admin_list_end(struct kc_admin *ad, int r, const char *what)
{
  if (r != 0)
    kc_admin_fail(ad, "listing %s: %s%s", what, kc_ldap_error(&ad->ad_ldap),
                  r == KC_ERR_RANGE
                    ? " (slapd's size limit for the service DN stopped the "
                      "listing: give that DN olcLimits "
                      "size.soft=unlimited size.hard=unlimited "
                      "size.prtotal=unlimited)"
                    : "");
  if (ad->ad_json) {
    kc_admin_json_end_arr(&ad->ad_js);
    kc_admin_json_bool(&ad->ad_js, "complete", r == 0);
    if (r != 0)
      kc_admin_json_str(&ad->ad_js, "error", ad->ad_error);
    kc_admin_json_end_obj(&ad->ad_js);
    kc_admin_json_end(&ad->ad_js);
  }
  fflush(ad->ad_out);
  return r == 0 ? KC_ADMIN_EXIT_OK : KC_ADMIN_EXIT_FAIL;
}

/* The start of a listing: the JSON array, or the column heads. */
void
kc_admin_list_begin(struct kc_admin *ad, const char *key, const char *heads)
{
  if (ad->ad_json) {
    kc_admin_json_begin_obj(&ad->ad_js, NULL);
    kc_admin_json_begin_arr(&ad->ad_js, key);
    ad->ad_printed = true;
    return;
  }
  fputs(heads, ad->ad_out);
}

/* ------------------------------------------------------------ checks */

int
kc_admin_bad_args(const struct kc_admin *ad)
{
  return ad->ad_load_status != 0 ? KC_ADMIN_EXIT_FAIL : KC_ADMIN_EXIT_USAGE;
}

int
kc_admin_check_username(struct kc_admin *ad, const char *what, const char *name)
{
  char shown[KC_MAX_USERNAME + 8];

  if (kc_str_is_username(name))
    return 0;
  kc_admin_clean(shown, sizeof(shown), name);
  return kc_admin_usage(ad,
                        "%s \"%s\" is not a valid user name (1 to %d letters, "
                        "digits, \".\", "
                        "\"_\", \"-\", starting with a letter or digit)",
                        what, shown, KC_MAX_USERNAME);
}

int
kc_admin_username_verdict(struct kc_admin *ad, const char *name,
                          enum kc_username_verdict *v)
{
  const char *path;
  char err[512];

  *v = KC_USERNAME_UNCHECKED;
  if (kc_admin_load(ad) != 0)
    return KC_ADMIN_EXIT_FAIL;
  path = ad->ad_conf.reserved_usernames_file;
  if (!ad->ad_reserved_loaded) {
    if (kc_username_list_load(&ad->ad_reserved, path, err, sizeof(err)) != 0)
      return kc_admin_fail(ad, "reserved_usernames_file %s", err);
    ad->ad_reserved_loaded = true;
  }
  *v = kc_username_check(&ad->ad_reserved, name);
  return 0;
}

int
kc_admin_check_username_free(struct kc_admin *ad, const char *what,
                             const char *name)
{
  enum kc_username_verdict v;

  if (kc_admin_username_verdict(ad, name, &v) != 0)
    return KC_ADMIN_EXIT_FAIL;
  if (v == KC_USERNAME_FREE)
    return 0;
  if (v == KC_USERNAME_RESERVED)
    return kc_admin_fail(ad, "%s \"%s\" is reserved: listed in %s", what, name,
                         ad->ad_conf.reserved_usernames_file);
  return kc_admin_fail(ad, "%s \"%s\" %s", what, name,
                       kc_username_verdict_text(v));
}

int
kc_admin_check_customer(struct kc_admin *ad, const char *number)
{
  char shown[KC_MAX_CUSTOMER_NUMBER + 8];

  if (kc_str_is_customer_number(number))
    return 0;
  kc_admin_clean(shown, sizeof(shown), number);
  return kc_admin_usage(ad,
                        "customer number \"%s\" is not valid (1 to %d digits)",
                        shown, KC_MAX_CUSTOMER_NUMBER);
}

int
kc_admin_check_email(struct kc_admin *ad, const char *addr)
{
  char shown[KC_MAX_EMAIL + 8];

  if (kc_email_valid(addr))
    return 0;
  kc_admin_clean(shown, sizeof(shown), addr);
  return kc_admin_usage(ad, "e-mail address \"%s\" is not valid", shown);
}

int
kc_admin_check_name(struct kc_admin *ad, const char *what, const char *name)
{
  char shown[KC_MAX_NAME + 1];

  kc_admin_clean(shown, sizeof(shown), name);
  if (strlen(name) > KC_MAX_NAME)
    return kc_admin_usage(ad, "%s is longer than %d bytes", what, KC_MAX_NAME);
  if (name[0] == '\0' || strcmp(shown, name) != 0)
    return kc_admin_usage(
      ad, "%s must be non-empty UTF-8 without control characters", what);
  return 0;
}

int
kc_admin_check_mobile(struct kc_admin *ad, const char *in,
                      char out[KC_PHONE_E164_SIZE])
{
  char shown[KC_MAX_PHONE + 8];

  if (kc_admin_load(ad) != 0)
    return KC_ADMIN_EXIT_FAIL;
  if (kc_phone_normalize(in, ad->ad_conf.default_country_code, out,
                         KC_PHONE_E164_SIZE) == 0)
    return 0;
  kc_admin_clean(shown, sizeof(shown), in);
  return kc_admin_usage(ad,
                        "mobile number \"%s\" is not valid (e.g. +49 177 "
                        "1234567 or "
                        "0177 1234567)",
                        shown);
}

int
kc_admin_check_tan(struct kc_admin *ad, const char *method)
{
  char shown[32];

  if (strcmp(method, "none") == 0 || strcmp(method, "email") == 0 ||
      strcmp(method, "mtan") == 0 || strcmp(method, "totp") == 0)
    return 0;
  kc_admin_clean(shown, sizeof(shown), method);
  return kc_admin_usage(
    ad, "TAN method \"%s\" is not one of none, email, mtan, totp", shown);
}
