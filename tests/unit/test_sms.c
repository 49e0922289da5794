/* Unit tests for kcd/notify/sms.c and kcd/notify/sms_send.c: template expansion and
 * escaping, the auth header check, the file: transport (also with
 * concurrent writers) and error texts. */
#include <config.h>

#include <check.h>
#include <stdbool.h>
#include <fcntl.h>
#include <ftw.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf.h"
#include "delivery.h"
#include "kc_buf.h"
#include "kc_err.h"
#include "sms.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))
#define NUMBER "+491771234567"
#define JSON_TMPL "{\"to\":\"{to}\",\"text\":\"{text}\"}"

/* ------------------------------------------------------------ helpers */

static int
rm_entry(const char *path, const struct stat *st, int flag, struct FTW *f)
{
  (void) st;
  (void) flag;
  (void) f;
  return remove(path);
}

static void
rm_tree(const char *dir)
{
  nftw(dir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
}

static void
write_file(const char *path, const char *text, mode_t mode)
{
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);

  ck_assert_int_ge(fd, 0);
  ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t) strlen(text));
  close(fd);
  chmod(path, mode);
}

static void
load_conf(struct kc_conf *c, const char *extra)
{
  char text[4096], err[256];

  snprintf(text, sizeof(text),
           "ldap_uri = ldap://localhost\nldap_base = dc=example,dc=org\n%s",
           extra);
  kc_conf_init(c);
  ck_assert_msg(kc_conf_parse(c, "test.conf", text, strlen(text), err,
                              sizeof(err)) == 0,
                "%s", err);
}

static int
hexval(char c)
{
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

/* Append code point cp (< 0x10000) as UTF-8. */
static char *
put_utf8(char *o, unsigned cp)
{
  if (cp < 0x80) {
    *o++ = (char) cp;
  } else if (cp < 0x800) {
    *o++ = (char) (0xc0 | (cp >> 6));
    *o++ = (char) (0x80 | (cp & 0x3f));
  } else {
    *o++ = (char) (0xe0 | (cp >> 12));
    *o++ = (char) (0x80 | ((cp >> 6) & 0x3f));
    *o++ = (char) (0x80 | (cp & 0x3f));
  }
  return o;
}

/* Decode one JSON escape after the backslash at *p into o; NULL when it
 * is not one we write (the caller fails the test once, not per byte:
 * every ck_assert costs a message to the Check parent). */
static char *
json_unescape(const char **p, char *o)
{
  static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
  const char *s = *p, *k;
  unsigned cp = 0;
  int i;

  if (*s != 'u') {
    if (*s == '\0' || (k = strchr(from, *s)) == NULL)
      return NULL;
    *o++ = to[k - from];
    *p = s + 1;
    return o;
  }
  for (i = 1; i <= 4; i++) {
    if (hexval(s[i]) < 0)
      return NULL;
    cp = cp * 16 + (unsigned) hexval(s[i]);
  }
  if (cp >= 0xd800 && cp <= 0xdfff)
    return NULL; /* we never write surrogates */
  *p = s + 5;
  return put_utf8(o, cp);
}

/* A JSON string starting at the opening quote *p, decoded into out (len
 * bytes). False when it is not a string, holds a raw control character
 * or does not fit. */
static bool
json_string(const char **p, char *out, size_t len)
{
  const char *s = *p;
  char *o = out;

  if (*s++ != '"')
    return false;
  while (*s != '"') {
    if ((unsigned char) *s < 0x20 || (size_t) (o - out) + 4 >= len)
      return false;
    if (*s == '\\') {
      s++;
      if ((o = json_unescape(&s, o)) == NULL)
        return false;
    } else {
      *o++ = *s++;
    }
  }
  *o = '\0';
  *p = s + 1;
  return true;
}

/* Check that line is exactly {"to":"...","text":"..."} and decode it. */
static void
parse_sms_line(const char *line, char *to, char *text, size_t len)
{
  const char *p = line;
  bool ok;

  ok = strncmp(p, "{\"to\":", 6) == 0;
  p += ok ? 6 : 0;
  ok = ok && json_string(&p, to, len) && strncmp(p, ",\"text\":", 8) == 0;
  p += ok ? 8 : 0;
  ok = ok && json_string(&p, text, len) && strcmp(p, "}") == 0;
  ck_assert_msg(ok, "not {\"to\":...,\"text\":...}: %s", line);
}

/* ------------------------------------------------------------ expand */

static const struct {
  const char *tmpl, *to, *text;
  enum kc_sms_escape how;
  const char *out;
} expansions[] = {
  {JSON_TMPL, NUMBER, "Ihre TAN: 123456", KC_SMS_ESCAPE_JSON,
   "{\"to\":\"+491771234567\",\"text\":\"Ihre TAN: 123456\"}"},
  {JSON_TMPL, NUMBER, "a\"b\\c\n\t\r\b\f\x01\x1f\x7f/", KC_SMS_ESCAPE_JSON,
   "{\"to\":\"+491771234567\",\"text\":\"a\\\"b\\\\c\\n\\t\\r\\b\\f"
   "\\u0001\\u001f\\u007f/\"}"},
  {"{text}", NUMBER,
   "Gr\xc3\xbc\xc3\x9f"
   "e \xe2\x82\xac \xf0\x9f\x98\x80",
   KC_SMS_ESCAPE_JSON,
   "Gr\xc3\xbc\xc3\x9f"
   "e \xe2\x82\xac \xf0\x9f\x98\x80"},
  {"{text}", NUMBER, "x\xe2\x80\xa8y\xe2\x80\xa9z", KC_SMS_ESCAPE_JSON,
   "x\\u2028y\\u2029z"},
  {"to={to}&text={text}", NUMBER, "Ihre TAN: 123 456 & \xc3\xbc",
   KC_SMS_ESCAPE_URL,
   "to=%2B491771234567&text=Ihre%20TAN%3A%20123%20456%20%26%20%C3%BC"},
  {"{text}", NUMBER, "aZ09-._~+=?/#%\"\\", KC_SMS_ESCAPE_URL,
   "aZ09-._~%2B%3D%3F%2F%23%25%22%5C"},
  {"{}{ {to {to}", NUMBER, "t", KC_SMS_ESCAPE_URL, "{}{ {to %2B491771234567"},
  {"{{text}}", NUMBER, "x", KC_SMS_ESCAPE_JSON, "{x}"},
  {"{to}{to}", "+1", "t", KC_SMS_ESCAPE_JSON, "+1+1"},
  {"static text", NUMBER, "t", KC_SMS_ESCAPE_URL, "static text"},
  {"{to }{ text}", NUMBER, "t", KC_SMS_ESCAPE_URL, "{to }{ text}"},
  {"", NUMBER, "t", KC_SMS_ESCAPE_URL, ""},
  {"{text}", NUMBER, "", KC_SMS_ESCAPE_JSON, ""},
};

START_TEST(test_sms_expand_table)
{
  struct kc_buf b;
  size_t i;

  for (i = 0; i < N(expansions); i++) {
    int r = kc_sms_expand(&b, expansions[i].tmpl, expansions[i].to,
                          expansions[i].text, expansions[i].how);
    ck_assert_msg(r == 0, "case %zu: %d", i, r);
    ck_assert_msg(strcmp(kc_buf_get(&b), expansions[i].out) == 0,
                  "case %zu: [%s]", i, kc_buf_get(&b));
    kc_buf_free(&b);
  }
}
END_TEST

static const struct {
  const char *tmpl, *to, *text;
  int err;
} expand_bad[] = {
  {"{txt}", NUMBER, "t", KC_ERR_INVALID},
  {"{Text}", NUMBER, "t", KC_ERR_INVALID},
  {"to={to}&x={t_o}&t={text}", NUMBER, "t", KC_ERR_INVALID},
  {"{sender}", NUMBER, "t", KC_ERR_INVALID},
  {"{text}", NUMBER, "bad \xff", KC_ERR_INVALID},
  {"{text}", NUMBER, "cut \xc3", KC_ERR_INVALID},
  {"{text}", "+49\xfe", "t", KC_ERR_INVALID},
};

START_TEST(test_sms_expand_refuses)
{
  struct kc_buf b;
  size_t i;

  for (i = 0; i < N(expand_bad); i++) {
    ck_assert_int_eq(kc_sms_expand(&b, expand_bad[i].tmpl, expand_bad[i].to,
                                   expand_bad[i].text, KC_SMS_ESCAPE_JSON),
                     expand_bad[i].err);
    ck_assert_uint_eq(kc_buf_len(&b), 0);
    kc_buf_free(&b);
  }
}
END_TEST

START_TEST(test_sms_expand_is_bounded)
{
  char text[1024];
  struct kc_buf b;

  memset(text, 0x01, sizeof(text) - 1); /* 6 bytes each in JSON */
  text[sizeof(text) - 1] = '\0';
  ck_assert_int_eq(kc_sms_expand(&b, "{text}", NUMBER, text,
                                 KC_SMS_ESCAPE_JSON),
                   KC_ERR_TOO_LARGE);
  ck_assert_uint_eq(kc_buf_len(&b), 0);
  memset(text, 'a', sizeof(text) - 1);
  ck_assert_int_eq(kc_sms_expand(&b, "{text}{text}{text}{text}", NUMBER, text,
                                 KC_SMS_ESCAPE_URL),
                   0);
  ck_assert_uint_eq(kc_buf_len(&b), 4 * 1023);
  kc_buf_free(&b);
  ck_assert_int_eq(kc_sms_expand(&b, "{text}{text}{text}{text}{text}", NUMBER,
                                 text, KC_SMS_ESCAPE_URL),
                   KC_ERR_TOO_LARGE);
}
END_TEST

START_TEST(test_sms_escape_follows_template)
{
  ck_assert_int_eq(kc_sms_escape_for(KC_CONF_HTTP_POST, JSON_TMPL),
                   KC_SMS_ESCAPE_JSON);
  ck_assert_int_eq(kc_sms_escape_for(KC_CONF_HTTP_POST, " \t\r\n[\"{to}\"]"),
                   KC_SMS_ESCAPE_JSON);
  ck_assert_int_eq(kc_sms_escape_for(KC_CONF_HTTP_POST, "to={to}&t={text}"),
                   KC_SMS_ESCAPE_URL);
  ck_assert_int_eq(kc_sms_escape_for(KC_CONF_HTTP_GET, JSON_TMPL),
                   KC_SMS_ESCAPE_URL);
  ck_assert_int_eq(kc_sms_escape_for(KC_CONF_HTTP_POST, ""), KC_SMS_ESCAPE_URL);
}
END_TEST

/* ------------------------------------------------------------ header */

START_TEST(test_sms_header_check)
{
  static const char *const good[] = {"Authorization: Bearer abc.def-123",
                                     "X-Api-Key:abc",
                                     "Authorization: Basic dXNlcjpwYXNz",
                                     "X-Token: \ta b\tc"};
  static const char *const bad[] = {"Authorization: Bearer abc\r\nX-Evil: 1",
                                    "Authorization: a\nb",
                                    "Authorization: a\rb",
                                    "Authorization:",
                                    "Authorization:   ",
                                    ": value",
                                    "Bad Name: x",
                                    "Host: evil.example",
                                    "content-length: 5",
                                    "Content-Type: text/plain",
                                    "Transfer-Encoding: x",
                                    "Authorization: \x7f",
                                    "Authorization: \x01",
                                    "X-Name: \xc3\xbc",
                                    "Authorization Bearer abc",
                                    "",
                                    "(x): y"};
  size_t i;

  for (i = 0; i < N(good); i++)
    ck_assert_msg(kc_sms_header_check(good[i]) == 0, "%s", good[i]);
  for (i = 0; i < N(bad); i++)
    ck_assert_msg(kc_sms_header_check(bad[i]) == KC_ERR_INVALID, "%s", bad[i]);
}
END_TEST

/* ------------------------------------------------------------- file: */

START_TEST(test_sms_file_lines_are_json)
{
  static const char *const texts[] =
    {"Ihre TAN lautet 482913.",
     "quote \" backslash \\ slash / newline \n tab \t cr \r",
     "ctl \x01\x1f del \x7f umlaut \xc3\xa4\xc3\xb6\xc3\xbc \xe2\x82\xac",
     "line sep \xe2\x80\xa8 para \xe2\x80\xa9", ""};
  char dir[] = "/tmp/kc-test-sms.XXXXXX";
  char extra[2048], path[512], line[4096], to[256], text[4096], err[256];
  struct kc_sms_cfg cfg;
  struct kc_conf c;
  struct stat st;
  FILE *f;
  size_t i = 0;

  ck_assert_ptr_nonnull(mkdtemp(dir));
  snprintf(path, sizeof(path), "%s/sms.jsonl", dir);
  snprintf(extra, sizeof(extra), "sms_transport = file:%s\n", path);
  load_conf(&c, extra);
  ck_assert_int_eq(kc_sms_cfg_init(&cfg, &c, err, sizeof(err)), 0);
  kc_conf_free(&c);
  ck_assert(kc_sms_enabled(&cfg));
  for (i = 0; i < N(texts); i++)
    ck_assert_int_eq(kc_sms_send(&cfg, NUMBER, texts[i], err, sizeof(err)), 0);
  ck_assert_int_eq(stat(path, &st), 0);
  ck_assert_int_eq(st.st_mode & 0777, 0600);
  f = fopen(path, "r");
  ck_assert_ptr_nonnull(f);
  for (i = 0; fgets(line, sizeof(line), f) != NULL; i++) {
    ck_assert_uint_lt(i, N(texts));
    ck_assert_int_eq(line[strlen(line) - 1], '\n');
    line[strlen(line) - 1] = '\0';
    parse_sms_line(line, to, text, sizeof(text));
    ck_assert_str_eq(to, NUMBER);
    ck_assert_str_eq(text, texts[i]);
  }
  ck_assert_uint_eq(i, N(texts));
  fclose(f);
  kc_sms_cfg_free(&cfg);
  kc_sms_cfg_free(&cfg);
  rm_tree(dir);
}
END_TEST

#define WRITERS 8
#define PER_WRITER 40

struct writer {
  const struct kc_sms_cfg *cfg;
  int id;
  int failures;
};

static void *
writer_main(void *arg)
{
  struct writer *w = arg;
  char text[900], err[256], head[32];
  int i;

  for (i = 0; i < PER_WRITER; i++) {
    /* long lines make interleaving visible if it ever happened */
    memset(text, 'a' + w->id, sizeof(text) - 1);
    text[sizeof(text) - 1] = '\0';
    snprintf(head, sizeof(head), "w%d-%03d\"\\x", w->id, i % 1000);
    memcpy(text, head, strlen(head));
    if (kc_sms_send(w->cfg, NUMBER, text, err, sizeof(err)) != 0)
      w->failures++;
  }
  return NULL;
}

START_TEST(test_sms_file_concurrent_writers)
{
  char dir[] = "/tmp/kc-test-sms.XXXXXX";
  char extra[2048], path[512], line[4096], to[256], text[4096], err[256];
  struct writer w[WRITERS];
  pthread_t t[WRITERS];
  struct kc_sms_cfg cfg;
  struct kc_conf c;
  size_t lines = 0, bad = 0, len;
  FILE *f;
  int i;

  ck_assert_ptr_nonnull(mkdtemp(dir));
  snprintf(path, sizeof(path), "%s/sms.jsonl", dir);
  snprintf(extra, sizeof(extra), "sms_transport = file:%s\n", path);
  load_conf(&c, extra);
  ck_assert_int_eq(kc_sms_cfg_init(&cfg, &c, err, sizeof(err)), 0);
  kc_conf_free(&c);
  for (i = 0; i < WRITERS; i++) {
    w[i].cfg = &cfg;
    w[i].id = i;
    w[i].failures = 0;
    ck_assert_int_eq(pthread_create(&t[i], NULL, writer_main, &w[i]), 0);
  }
  for (i = 0; i < WRITERS; i++) {
    ck_assert_int_eq(pthread_join(t[i], NULL), 0);
    ck_assert_int_eq(w[i].failures, 0);
  }
  f = fopen(path, "r");
  ck_assert_ptr_nonnull(f);
  while (fgets(line, sizeof(line), f) != NULL) {
    len = strlen(line);
    ck_assert_int_eq(line[len - 1], '\n');
    line[len - 1] = '\0';
    parse_sms_line(line, to, text, sizeof(text));
    /* one writer's whole line: its id at the start and in the filler */
    if (strcmp(to, NUMBER) != 0 || strlen(text) != 899 ||
        text[1] - '0' != text[898] - 'a')
      bad++;
    lines++;
  }
  fclose(f);
  ck_assert_uint_eq(bad, 0);
  ck_assert_uint_eq(lines, WRITERS * PER_WRITER);
  kc_sms_cfg_free(&cfg);
  rm_tree(dir);
}
END_TEST

/* -------------------------------------------------------- refusals */

START_TEST(test_sms_send_refuses)
{
  char dir[] = "/tmp/kc-test-sms.XXXXXX";
  char extra[2048], path[512], err[KC_DELIVERY_ERR_SIZE], big[1100];
  struct kc_sms_cfg cfg;
  struct kc_conf c;

  /* no transport */
  load_conf(&c, "");
  ck_assert_int_eq(kc_sms_cfg_init(&cfg, &c, err, sizeof(err)), 0);
  kc_conf_free(&c);
  ck_assert(!kc_sms_enabled(&cfg));
  ck_assert_int_eq(kc_sms_send(&cfg, NUMBER, "t", err, sizeof(err)),
                   KC_ERR_UNAVAILABLE);
  kc_sms_cfg_free(&cfg);
  /* bad number, bad text, long text */
  ck_assert_ptr_nonnull(mkdtemp(dir));
  snprintf(path, sizeof(path), "%s/sms.jsonl", dir);
  snprintf(extra, sizeof(extra), "sms_transport = file:%s\n", path);
  load_conf(&c, extra);
  ck_assert_int_eq(kc_sms_cfg_init(&cfg, &c, err, sizeof(err)), 0);
  kc_conf_free(&c);
  ck_assert_int_eq(kc_sms_send(&cfg, "0177 1234567", "t", err, sizeof(err)),
                   KC_ERR_INVALID);
  ck_assert_int_eq(kc_sms_send(&cfg, NUMBER "\"", "t", err, sizeof(err)),
                   KC_ERR_INVALID);
  ck_assert_int_eq(kc_sms_send(&cfg, NUMBER, "TAN 482913 \xff", err,
                               sizeof(err)),
                   KC_ERR_INVALID);
  ck_assert_ptr_null(strstr(err, "482913"));
  memset(big, 'a', sizeof(big) - 1);
  big[sizeof(big) - 1] = '\0';
  ck_assert_int_eq(kc_sms_send(&cfg, NUMBER, big, err, sizeof(err)),
                   KC_ERR_TOO_LARGE);
  ck_assert_int_eq(access(path, F_OK), -1); /* nothing written */
  kc_sms_cfg_free(&cfg);
  rm_tree(dir);
}
END_TEST

START_TEST(test_sms_gateway_error_text_has_no_secret)
{
  char dir[] = "/tmp/kc-test-sms.XXXXXX";
  char extra[2048], hdr[512], err[KC_DELIVERY_ERR_SIZE];
  struct kc_sms_cfg cfg;
  struct kc_conf c;

  ck_assert_ptr_nonnull(mkdtemp(dir));
  snprintf(hdr, sizeof(hdr), "%s/auth.header", dir);
  write_file(hdr, "Authorization: Bearer s3cret-token\n", 0600);
  snprintf(extra, sizeof(extra),
           "sms_transport = http://127.0.0.1:1/send?key=1\n"
           "sms_body = " JSON_TMPL "\nsms_auth_header_file = %s\n",
           hdr);
  load_conf(&c, extra);
  ck_assert_int_eq(kc_sms_cfg_init(&cfg, &c, err, sizeof(err)), 0);
  kc_conf_free(&c);
  ck_assert_int_eq(cfg.sc_escape, KC_SMS_ESCAPE_JSON);
  ck_assert_int_eq(kc_sms_send(&cfg, NUMBER, "Ihre TAN lautet 482913", err,
                               sizeof(err)),
                   KC_ERR_UNAVAILABLE);
  ck_assert_int_eq(strncmp(err, "sms gateway: ", 13), 0);
  ck_assert_ptr_null(strstr(err, "482913"));
  ck_assert_ptr_null(strstr(err, "s3cret"));
  kc_sms_cfg_free(&cfg);
  rm_tree(dir);
}
END_TEST

START_TEST(test_sms_cfg_refuses_bad_template_and_header)
{
  static const char *const headers[] = {"Authorization: a\rX-Evil: 1\n",
                                        "Authorization: Bearer \x01s3cret\n",
                                        "Host: evil.example\n",
                                        "no colon s3cret\n"};
  char dir[] = "/tmp/kc-test-sms.XXXXXX";
  char extra[2048], hdr[512], err[KC_DELIVERY_ERR_SIZE];
  struct kc_sms_cfg cfg;
  struct kc_conf c;
  size_t i;

  load_conf(&c, "sms_transport = https://sms.example.org/send\n"
                "sms_body = {\"text\":\"{text}\",\"from\":\"{sender}\"}\n");
  ck_assert_int_eq(kc_sms_cfg_init(&cfg, &c, err, sizeof(err)), KC_ERR_INVALID);
  kc_conf_free(&c);
  ck_assert_ptr_nonnull(strstr(err, "sms_body"));
  ck_assert(!kc_sms_enabled(&cfg));
  kc_sms_cfg_free(&cfg);
  ck_assert_ptr_nonnull(mkdtemp(dir));
  snprintf(hdr, sizeof(hdr), "%s/auth.header", dir);
  for (i = 0; i < N(headers); i++) {
    write_file(hdr, headers[i], 0600);
    snprintf(extra, sizeof(extra),
             "sms_transport = https://sms.example.org/send\n"
             "sms_method = GET\nsms_body = to={to}&text={text}\n"
             "sms_auth_header_file = %s\n",
             hdr);
    load_conf(&c, extra);
    ck_assert_int_eq(kc_sms_cfg_init(&cfg, &c, err, sizeof(err)),
                     KC_ERR_INVALID);
    kc_conf_free(&c);
    ck_assert_ptr_nonnull(strstr(err, "sms_auth_header_file"));
    ck_assert_ptr_null(strstr(err, "s3cret"));
    ck_assert_ptr_null(strstr(err, "Evil"));
    kc_sms_cfg_free(&cfg);
  }
  memset(&cfg, 0, sizeof(cfg));
  kc_sms_cfg_free(&cfg);
  rm_tree(dir);
}
END_TEST

static Suite *
sms_suite(void)
{
  Suite *s = suite_create("sms");
  TCase *tc = tcase_create("core");

  tcase_add_test(tc, test_sms_expand_table);
  tcase_add_test(tc, test_sms_expand_refuses);
  tcase_add_test(tc, test_sms_expand_is_bounded);
  tcase_add_test(tc, test_sms_escape_follows_template);
  tcase_add_test(tc, test_sms_header_check);
  tcase_add_test(tc, test_sms_file_lines_are_json);
  tcase_add_test(tc, test_sms_file_concurrent_writers);
  tcase_add_test(tc, test_sms_send_refuses);
  tcase_add_test(tc, test_sms_gateway_error_text_has_no_secret);
  tcase_add_test(tc, test_sms_cfg_refuses_bad_template_and_header);
  suite_add_tcase(s, tc);
  return s;
}

int
main(void)
{
  SRunner *sr;
  int failed;

  if (kc_delivery_global_init() != 0) {
    fprintf(stderr, "kc_delivery_global_init failed\n");
    return EXIT_FAILURE;
  }
  sr = srunner_create(sms_suite());
  srunner_run_all(sr, CK_NORMAL);
  failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  kc_delivery_global_cleanup();
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
