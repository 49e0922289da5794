/* Unit tests for kcd/notify/mail.c and kcd/notify/mail_send.c: message building (RFC
 * 5322, RFC 2047, quoted-printable), header injection, the maildir:
 * transport and error texts. */
#include <config.h>

#include <check.h>
#include <stdbool.h>
#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf.h"
#include "delivery.h"
#include "kc_buf.h"
#include "kc_err.h"
#include "mail.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))
#define FROM "kcd@example.org"
#define TO "m.mustermann@example.org"
#define NOW ((time_t) 1700000000) /* Tue, 14 Nov 2023 22:13:20 UTC */

/* ------------------------------------------------------------ helpers */

static const char *
body_of(const struct kc_buf *b)
{
  const char *p = strstr(kc_buf_get(b), "\r\n\r\n");

  ck_assert_ptr_nonnull(p);
  return p + 4;
}

/* The header line "Name: ..." (up to, not including, its CRLF and any
 * folded continuation) copied into out. */
static void
header_line(const struct kc_buf *b, const char *name, char *out, size_t len)
{
  const char *p = kc_buf_get(b), *end;
  size_t n = strlen(name);

  for (;;) {
    if (strncmp(p, name, n) == 0 && p[n] == ':')
      break;
    p = strstr(p, "\r\n");
    ck_assert_ptr_nonnull(p);
    p += 2;
    ck_assert_msg(strncmp(p, "\r\n", 2) != 0, "no %s header", name);
  }
  end = strstr(p, "\r\n");
  ck_assert_ptr_nonnull(end);
  ck_assert_uint_lt((size_t) (end - p), len);
  memcpy(out, p, (size_t) (end - p));
  out[end - p] = '\0';
}

/* Every LF is preceded by CR and every CR followed by LF; no line is
 * longer than max (without CRLF). One assertion per call: each ck_assert
 * costs a message to the Check parent. */
static void
assert_crlf_lines(const char *s, size_t max)
{
  const char *line = s;
  size_t col = 0;
  bool ok = true;

  for (; *s != '\0' && ok; s++) {
    if (*s == '\r') {
      ok = s[1] == '\n';
      if (!ok)
        break;
      col = 0;
      s++;
      line = s + 1;
      continue;
    }
    col++;
    ok = *s != '\n' && col <= max;
  }
  ck_assert_msg(ok, "bad line ending or line over %zu near: %.80s", max, line);
}

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

/* Entries in dir other than "." and "..", and the name of the last. */
static int
count_entries(const char *dir, char *last, size_t len)
{
  struct dirent *e;
  DIR *d = opendir(dir);
  int n = 0;

  ck_assert_ptr_nonnull(d);
  while ((e = readdir(d)) != NULL) {
    if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
      continue;
    n++;
    if (last != NULL)
      snprintf(last, len, "%s", e->d_name);
  }
  closedir(d);
  return n;
}

static void
read_file(const char *path, char *out, size_t len)
{
  FILE *f = fopen(path, "r");
  size_t n;

  ck_assert_ptr_nonnull(f);
  n = fread(out, 1, len - 1, f);
  out[n] = '\0';
  fclose(f);
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
  char text[2048], err[256];

  snprintf(text, sizeof(text),
           "ldap_uri = ldap://localhost\nldap_base = dc=example,dc=org\n%s",
           extra);
  kc_conf_init(c);
  ck_assert_msg(kc_conf_parse(c, "test.conf", text, strlen(text), err,
                              sizeof(err)) == 0,
                "%s", err);
}

/* --------------------------------------------------------- addresses */

static const char *const addr_good[] = {"a@b",
                                        "kcd@localhost",
                                        "m.mustermann@example.org",
                                        "x+tag@sub.example.org",
                                        "o'neil@example.org",
                                        "a_b-c@mail-1.example.co.uk",
                                        "{x}|~@example.org"};

static const char *const addr_bad[] = {"",
                                       "a",
                                       "@b",
                                       "a@",
                                       "a@@b",
                                       "a b@c",
                                       "a<b@c",
                                       "<a@b>",
                                       "a@b>",
                                       ".a@b",
                                       "a.@b",
                                       "a..b@c",
                                       "a@-b.c",
                                       "a@b-.c",
                                       "a@b..c",
                                       "a@.b",
                                       "a@b.",
                                       "a\r\n@b",
                                       "a@b\r\nBcc: x@y",
                                       "\xc3\xa4@b",
                                       "\"q\"@b",
                                       "a@[1.2.3.4]",
                                       "a(c)@b",
                                       "a,b@c",
                                       "a@b c",
                                       "a\\b@c",
                                       "a:b@c"};

START_TEST(test_mail_addr_table)
{
  char lng[KC_MAX_EMAIL + 2];
  size_t i;

  for (i = 0; i < N(addr_good); i++)
    ck_assert_msg(kc_email_valid(addr_good[i]), "%s", addr_good[i]);
  for (i = 0; i < N(addr_bad); i++)
    ck_assert_msg(!kc_email_valid(addr_bad[i]), "%s", addr_bad[i]);
  /* local part at most 64, whole address at most KC_MAX_EMAIL */
  memset(lng, 'a', sizeof(lng));
  memcpy(lng + 64, "@b.de", 6);
  ck_assert(kc_email_valid(lng));
  memcpy(lng + 65, "@b.de", 6);
  ck_assert(!kc_email_valid(lng));
  memset(lng, 'a', sizeof(lng));
  lng[10] = '@';
  for (i = 20; i < KC_MAX_EMAIL; i += 20)
    lng[i] = '.';
  lng[KC_MAX_EMAIL] = '\0';
  ck_assert(kc_email_valid(lng));
  lng[KC_MAX_EMAIL] = 'a';
  lng[KC_MAX_EMAIL + 1] = '\0';
  ck_assert(!kc_email_valid(lng));
}
END_TEST

/* kcd.conf's mail_from uses the same grammar: every address the builder
 * refuses is refused by the parser, with file and line. */
static int
conf_with_from(const char *addr, char *err, size_t errlen)
{
  struct kc_conf conf;
  char text[KC_MAX_EMAIL + 128];
  int rc;

  kc_conf_init(&conf);
  snprintf(text, sizeof(text),
    "ldap_uri = ldap://localhost\nldap_base = dc=example,dc=org\n"
    "mail_from = %s\n", addr);
  rc = kc_conf_parse(&conf, "kcd.conf", text, strlen(text), err, errlen);
  kc_conf_free(&conf);
  return rc;
}

START_TEST(test_mail_addr_same_as_conf)
{
  char err[256];
  size_t i;

  for (i = 0; i < N(addr_good); i++)
    ck_assert_msg(conf_with_from(addr_good[i], err, sizeof(err)) == 0,
      "%s: %s", addr_good[i], err);
  for (i = 0; i < N(addr_bad); i++) {
    if (addr_bad[i][0] == '\0' || strpbrk(addr_bad[i], "\r\n\"#") != NULL)
      continue; /* not one value on a config line */
    ck_assert_msg(conf_with_from(addr_bad[i], err, sizeof(err)) != 0,
      "%s accepted", addr_bad[i]);
    ck_assert_msg(strncmp(err, "kcd.conf:3: ", 12) == 0, "%s", err);
  }
}
END_TEST

/* ----------------------------------------------------------- headers */

START_TEST(test_mail_build_headers)
{
  char line[256];
  struct kc_buf b;
  size_t i;

  ck_assert_int_eq(kc_mail_build(&b, FROM, TO, "TAN", "Hallo\n",
                                 "mx.example.org", NOW),
                   0);
  assert_crlf_lines(kc_buf_get(&b), 998);
  header_line(&b, "From", line, sizeof(line));
  ck_assert_str_eq(line, "From: " FROM);
  header_line(&b, "To", line, sizeof(line));
  ck_assert_str_eq(line, "To: " TO);
  header_line(&b, "Subject", line, sizeof(line));
  ck_assert_str_eq(line, "Subject: TAN");
  header_line(&b, "Date", line, sizeof(line));
  ck_assert_str_eq(line, "Date: Tue, 14 Nov 2023 22:13:20 +0000");
  header_line(&b, "MIME-Version", line, sizeof(line));
  ck_assert_str_eq(line, "MIME-Version: 1.0");
  header_line(&b, "Content-Type", line, sizeof(line));
  ck_assert_str_eq(line, "Content-Type: text/plain; charset=UTF-8");
  header_line(&b, "Content-Transfer-Encoding", line, sizeof(line));
  ck_assert_str_eq(line, "Content-Transfer-Encoding: quoted-printable");
  header_line(&b, "Message-ID", line, sizeof(line));
  ck_assert_uint_eq(strlen(line), strlen("Message-ID: <@mx.example.org>") + 32);
  ck_assert_int_eq(strncmp(line, "Message-ID: <", 13), 0);
  for (i = 13; i < 13 + 32; i++)
    ck_assert(strchr("0123456789abcdef", line[i]) != NULL);
  ck_assert_str_eq(line + 13 + 32, "@mx.example.org>");
  ck_assert_str_eq(body_of(&b), "Hallo\r\n");
  kc_buf_free(&b);
}
END_TEST

START_TEST(test_mail_message_id_random_and_default_domain)
{
  char a[128], c[128];
  struct kc_buf b1, b2;

  ck_assert_int_eq(kc_mail_build(&b1, FROM, TO, "s", "t", NULL, NOW), 0);
  ck_assert_int_eq(kc_mail_build(&b2, FROM, TO, "s", "t", NULL, NOW), 0);
  header_line(&b1, "Message-ID", a, sizeof(a));
  header_line(&b2, "Message-ID", c, sizeof(c));
  ck_assert_str_ne(a, c);
  ck_assert_ptr_nonnull(strstr(a, "@example.org>"));
  kc_buf_free(&b1);
  kc_buf_free(&b2);
}
END_TEST

START_TEST(test_mail_date_other_times)
{
  static const struct {
    time_t t;
    const char *date;
  } dates[] = {
    {0, "Date: Thu, 01 Jan 1970 00:00:00 +0000"},
    {951782400, "Date: Tue, 29 Feb 2000 00:00:00 +0000"},
    {1735689599, "Date: Tue, 31 Dec 2024 23:59:59 +0000"},
  };
  char line[128];
  struct kc_buf b;
  size_t i;

  for (i = 0; i < N(dates); i++) {
    ck_assert_int_eq(kc_mail_build(&b, FROM, TO, "s", "t", NULL, dates[i].t),
                     0);
    header_line(&b, "Date", line, sizeof(line));
    ck_assert_str_eq(line, dates[i].date);
    kc_buf_free(&b);
  }
}
END_TEST

/* Subjects and the header text they become (continuations included). */
static const struct {
  const char *subject;
  const char *header;
} subjects[] = {
  {"Ihre TAN", "Subject: Ihre TAN\r\n"},
  {"", "Subject: \r\n"},
  {"Ihre TAN f\xc3\xbcr das Kundencenter",
   "Subject: =?UTF-8?B?SWhyZSBUQU4gZsO8ciBkYXMgS3VuZGVuY2VudGVy?=\r\n"},
  {"Gr\xc3\xbc\xc3\x9f"
   "e",
   "Subject: =?UTF-8?B?R3LDvMOfZQ==?=\r\n"},
  {"a=?b", "Subject: =?UTF-8?B?YT0/Yg==?=\r\n"},
  /* 61 bytes: the first word ends before a split "ä" */
  {"a\xc3\xa4\xc3\xa4\xc3\xa4\xc3\xa4\xc3\xa4\xc3\xa4\xc3\xa4\xc3\xa4\xc3\xa4"
   "\xc3\xa4\xc3\xa4\xc3\xa4\xc3\xa4\xc3\xa4\xc3\xa4\xc3\xa4\xc3\xa4\xc3\xa4"
   "\xc3\xa4\xc3\xa4\xc3\xa4\xc3\xa4\xc3\xa4\xc3\xa4\xc3\xa4\xc3\xa4\xc3\xa4"
   "\xc3\xa4\xc3\xa4\xc3\xa4",
   "Subject: "
   "=?UTF-8?B?YcOkw6TDpMOkw6TDpMOkw6TDpMOkw6TDpMOkw6TDpMOkw6TDpMOkw6Q=?=\r\n"
   " =?UTF-8?B?w6TDpMOkw6TDpMOkw6TDpMOkw6Q=?=\r\n"},
};

START_TEST(test_mail_subject_rfc2047)
{
  struct kc_buf b;
  const char *p;
  size_t i;

  for (i = 0; i < N(subjects); i++) {
    ck_assert_int_eq(kc_mail_build(&b, FROM, TO, subjects[i].subject, "t", NULL,
                                   NOW),
                     0);
    p = strstr(kc_buf_get(&b), "Subject: ");
    ck_assert_ptr_nonnull(p);
    ck_assert_msg(strncmp(p, subjects[i].header, strlen(subjects[i].header)) ==
                    0,
                  "subject %zu: %.200s", i, p);
    kc_buf_free(&b);
  }
}
END_TEST

START_TEST(test_mail_subject_long_is_folded)
{
  char subject[KC_MAIL_MAX_SUBJECT + 1];
  struct kc_buf b;
  const char *p, *end;
  size_t i;

  /* 255 x "ü" plus "x": many encoded words, none longer than 75 */
  for (i = 0; i + 2 <= KC_MAIL_MAX_SUBJECT - 2; i += 2)
    memcpy(subject + i, "\xc3\xbc", 2);
  subject[i++] = 'x';
  subject[i] = '\0';
  ck_assert_int_eq(kc_mail_build(&b, FROM, TO, subject, "t", NULL, NOW), 0);
  assert_crlf_lines(kc_buf_get(&b), 78);
  p = strstr(kc_buf_get(&b), "Subject: ") + 9;
  end = strstr(p, "\r\nDate:");
  ck_assert_ptr_nonnull(end);
  while (p < end) {
    const char *w = strstr(p, "?=");
    ck_assert_int_eq(strncmp(p, "=?UTF-8?B?", 10), 0);
    ck_assert_uint_le((size_t) (w + 2 - p), 75);
    p = w + 2;
    if (p < end) {
      ck_assert_int_eq(strncmp(p, "\r\n ", 3), 0);
      p += 3;
    }
  }
  kc_buf_free(&b);
  /* a long ASCII subject is encoded (and so folded) too */
  memset(subject, 'S', 100);
  subject[100] = '\0';
  ck_assert_int_eq(kc_mail_build(&b, FROM, TO, subject, "t", NULL, NOW), 0);
  assert_crlf_lines(kc_buf_get(&b), 78);
  kc_buf_free(&b);
}
END_TEST

START_TEST(test_mail_display_name)
{
  static const struct {
    const char *name;
    const char *from;
  } names[] = {
    {"Kundencenter", "From: \"Kundencenter\" <" FROM ">"},
    {"A \"B\" \\C", "From: \"A \\\"B\\\" \\\\C\" <" FROM ">"},
    {"M\xc3\xbcller", "From: =?UTF-8?B?TcO8bGxlcg==?= <" FROM ">"},
    {"", "From: " FROM},
  };
  struct kc_mail_msg m = {NULL, FROM, TO, "s", "t", NULL, NOW};
  char line[256];
  struct kc_buf b;
  size_t i;

  for (i = 0; i < N(names); i++) {
    m.from_name = names[i].name;
    ck_assert_int_eq(kc_mail_build_msg(&b, &m), 0);
    header_line(&b, "From", line, sizeof(line));
    ck_assert_str_eq(line, names[i].from);
    kc_buf_free(&b);
  }
  m.from_name = "Evil\r\nBcc: x@example.org";
  ck_assert_int_eq(kc_mail_build_msg(&b, &m), KC_ERR_INVALID);
}
END_TEST

/* ---------------------------------------------------- quoted-printable */

#define A10 "aaaaaaaaaa"
#define A70 A10 A10 A10 A10 A10 A10 A10
static const struct {
  const char *text;
  const char *body;
} qp[] = {
  {"Hallo\n", "Hallo\r\n"},
  {"Hallo", "Hallo\r\n"},
  {"", ""},
  {"a=b\n", "a=3Db\r\n"},
  {"trailing  \n", "trailing =20\r\n"},
  {"tab\t\n", "tab=09\r\n"},
  {"in side\tok\n", "in side\tok\r\n"},
  {"Gr\xc3\xbc\xc3\x9f"
   "e\n",
   "Gr=C3=BC=C3=9Fe\r\n"},
  {".\n", "=2E\r\n"},
  {"a.b\n.x\n", "a.b\r\n=2Ex\r\n"},
  {"line1\r\nline2\n\nend", "line1\r\nline2\r\n\r\nend\r\n"},
  {"a\rb\n", "a=0Db\r\n"},
  {"~!#$%&'*+-/?^_`{|}\n", "~!#$%&'*+-/?^_`{|}\r\n"},
  /* 76 characters fit on one line; 77 need a soft break after 75 */
  {A70 "aaaaaa\n", A70 "aaaaaa\r\n"},
  {A70 "aaaaaaa\n", A70 "aaaaa=\r\naa\r\n"},
  {A70 A10 "\n", A70 "aaaaa=\r\naaaaa\r\n"},
  /* an =XX triplet is never split, and "=" ends the soft-broken line */
  {A70 "aaaa\xc3\xa9\n", A70 "aaaa=\r\n=C3=A9\r\n"},
  {A70 "aa=\n", A70 "aa=3D\r\n"},
  {A70 "aaa=\n", A70 "aaa=3D\r\n"},
  {A70 "aaaa=\n", A70 "aaaa=\r\n=3D\r\n"},
  /* a blank at the very end is encoded, even after a soft break */
  {A70 "aaaaa \n", A70 "aaaaa=\r\n=20\r\n"},
  {A70 "aaaaa.\n", A70 "aaaaa.\r\n"},
  {A70 "aaaaa.b\n", A70 "aaaaa=\r\n=2Eb\r\n"},
};

START_TEST(test_mail_quoted_printable)
{
  struct kc_buf b;
  size_t i;

  for (i = 0; i < N(qp); i++) {
    ck_assert_int_eq(kc_mail_build(&b, FROM, TO, "s", qp[i].text, NULL, NOW),
                     0);
    ck_assert_msg(strcmp(body_of(&b), qp[i].body) == 0, "case %zu: [%s]", i,
                  body_of(&b));
    assert_crlf_lines(body_of(&b), 76);
    kc_buf_free(&b);
  }
}
END_TEST

START_TEST(test_mail_quoted_printable_long_text)
{
  char text[4096];
  struct kc_buf b;
  size_t i;

  for (i = 0; i + 3 < sizeof(text); i += 3)
    memcpy(text + i, i % 7 == 0 ? "= \n" : "\xc3\xa4 ", 3);
  text[i] = '\0';
  ck_assert_int_eq(kc_mail_build(&b, FROM, TO, "s", text, NULL, NOW), 0);
  assert_crlf_lines(body_of(&b), 76);
  kc_buf_free(&b);
}
END_TEST

/* ---------------------------------------------------------- refusals */

static const struct {
  const char *from, *to, *subject, *text;
  int err;
} refused[] = {
  {FROM, TO, "TAN\r\nBcc: x@example.org", "t", KC_ERR_INVALID},
  {FROM, TO, "TAN\nBcc: x@example.org", "t", KC_ERR_INVALID},
  {FROM, TO, "TAN\rX", "t", KC_ERR_INVALID},
  {FROM, TO, "tab\there", "t", KC_ERR_INVALID},
  {FROM, TO, "del\x7f", "t", KC_ERR_INVALID},
  {FROM, TO, "bad \xff utf8", "t", KC_ERR_INVALID},
  {FROM, TO, "overlong \xc0\xaf", "t", KC_ERR_INVALID},
  {FROM, TO "\r\nBcc: x@example.org", "s", "t", KC_ERR_INVALID},
  {FROM, TO "\n", "s", "t", KC_ERR_INVALID},
  {FROM, "<" TO ">", "s", "t", KC_ERR_INVALID},
  {FROM, "Max <" TO ">", "s", "t", KC_ERR_INVALID},
  {FROM, TO ", x@example.org", "s", "t", KC_ERR_INVALID},
  {FROM "\r\nX-Evil: 1", TO, "s", "t", KC_ERR_INVALID},
  {FROM "\n", TO, "s", "t", KC_ERR_INVALID},
  {FROM, TO, "s", "bad \xfe text", KC_ERR_INVALID},
  {FROM, TO, "s", "bell \x07", KC_ERR_INVALID},
  {FROM, TO, "s", "esc \x1b[0m", KC_ERR_INVALID},
  {FROM, TO, "s", "surrogate \xed\xa0\x80", KC_ERR_INVALID},
};

START_TEST(test_mail_header_injection_refused)
{
  struct kc_buf b;
  size_t i;

  for (i = 0; i < N(refused); i++) {
    int r = kc_mail_build(&b, refused[i].from, refused[i].to,
                          refused[i].subject, refused[i].text, NULL, NOW);
    ck_assert_msg(r == refused[i].err, "case %zu: %d", i, r);
    ck_assert_uint_eq(kc_buf_len(&b), 0);
    kc_buf_free(&b);
  }
  ck_assert_int_eq(kc_mail_build(&b, FROM, TO, "s", "t", "bad domain\r\n", NOW),
                   KC_ERR_INVALID);
}
END_TEST

START_TEST(test_mail_limits)
{
  char *big = malloc(KC_MAIL_MAX_TEXT + 2);
  struct kc_buf b;

  ck_assert_ptr_nonnull(big);
  memset(big, 'x', KC_MAIL_MAX_TEXT + 1);
  big[KC_MAIL_MAX_SUBJECT + 1] = '\0';
  ck_assert_int_eq(kc_mail_build(&b, FROM, TO, big, "t", NULL, NOW),
                   KC_ERR_TOO_LARGE);
  big[KC_MAIL_MAX_SUBJECT] = '\0';
  ck_assert_int_eq(kc_mail_build(&b, FROM, TO, big, "t", NULL, NOW), 0);
  kc_buf_free(&b);
  memset(big, '=', KC_MAIL_MAX_TEXT + 1);
  big[KC_MAIL_MAX_TEXT + 1] = '\0';
  ck_assert_int_eq(kc_mail_build(&b, FROM, TO, "s", big, NULL, NOW),
                   KC_ERR_TOO_LARGE);
  /* the worst case at the limit still fits in KC_MAIL_MAX_MESSAGE */
  big[KC_MAIL_MAX_TEXT] = '\0';
  ck_assert_int_eq(kc_mail_build(&b, FROM, TO, "s", big, NULL, NOW), 0);
  assert_crlf_lines(body_of(&b), 76);
  kc_buf_free(&b);
  free(big);
}
END_TEST

/* ----------------------------------------------------------- transport */

START_TEST(test_mail_maildir_delivery)
{
  char dir[] = "/tmp/kc-test-mail.XXXXXX";
  char extra[2048], path[512], name[256], msg[8192], err[256];
  struct kc_mail_cfg cfg;
  struct kc_conf c;
  struct stat st;

  ck_assert_ptr_nonnull(mkdtemp(dir));
  snprintf(extra, sizeof(extra),
           "mail_from = kcd@example.org\nportal_name = Kundencenter\n"
           "mail_transport = maildir:%s/Maildir\n",
           dir);
  load_conf(&c, extra);
  ck_assert_int_eq(kc_mail_cfg_init(&cfg, &c, err, sizeof(err)), 0);
  kc_conf_free(&c);
  ck_assert(kc_mail_enabled(&cfg));
  ck_assert_int_eq(kc_mail_send(&cfg, TO, "Ihre TAN f\xc3\xbcr das Portal",
                                "Ihre TAN lautet 482913.\n", err, sizeof(err)),
                   0);
  ck_assert_str_eq(err, "");
  /* one file in new/, nothing in tmp/ or cur/ */
  snprintf(path, sizeof(path), "%s/Maildir/tmp", dir);
  ck_assert_int_eq(count_entries(path, NULL, 0), 0);
  snprintf(path, sizeof(path), "%s/Maildir/cur", dir);
  ck_assert_int_eq(count_entries(path, NULL, 0), 0);
  snprintf(path, sizeof(path), "%s/Maildir/new", dir);
  ck_assert_int_eq(count_entries(path, name, sizeof(name)), 1);
  /* read it back */
  snprintf(path, sizeof(path), "%s/Maildir/new/%s", dir, name);
  ck_assert_int_eq(stat(path, &st), 0);
  ck_assert_int_eq(st.st_mode & 0777, 0600);
  read_file(path, msg, sizeof(msg));
  assert_crlf_lines(msg, 998);
  ck_assert_int_eq(strncmp(msg, "From: \"Kundencenter\" <kcd@example.org>\r\n",
                           40),
                   0);
  ck_assert_ptr_nonnull(strstr(msg, "\r\nTo: " TO "\r\n"));
  ck_assert_ptr_nonnull(strstr(msg, "\r\nSubject: =?UTF-8?B?"));
  ck_assert_ptr_nonnull(strstr(msg, "\r\nDate: "));
  ck_assert_ptr_nonnull(strstr(msg, "\r\nMessage-ID: <"));
  ck_assert_ptr_nonnull(strstr(msg, "\r\n\r\nIhre TAN lautet 482913.\r\n"));
  /* a second mail gets its own file */
  ck_assert_int_eq(kc_mail_send(&cfg, "second@example.org", "s", "t", err,
                                sizeof(err)),
                   0);
  snprintf(path, sizeof(path), "%s/Maildir/new", dir);
  ck_assert_int_eq(count_entries(path, NULL, 0), 2);
  kc_mail_cfg_free(&cfg);
  kc_mail_cfg_free(&cfg); /* twice is fine */
  rm_tree(dir);
}
END_TEST

START_TEST(test_mail_maildir_failure_leaves_nothing)
{
  char dir[] = "/tmp/kc-test-mail.XXXXXX";
  char extra[2048], path[512], err[256];
  struct kc_mail_cfg cfg;
  struct kc_conf c;

  ck_assert_ptr_nonnull(mkdtemp(dir));
  snprintf(path, sizeof(path), "%s/file", dir);
  write_file(path, "not a directory\n", 0600);
  snprintf(extra, sizeof(extra),
           "mail_from = kcd@example.org\nmail_transport = "
           "maildir:%s/file/Maildir\n",
           dir);
  load_conf(&c, extra);
  ck_assert_int_eq(kc_mail_cfg_init(&cfg, &c, err, sizeof(err)), 0);
  kc_conf_free(&c);
  ck_assert_int_eq(kc_mail_send(&cfg, TO, "Ihre TAN", "TAN 482913\n", err,
                                sizeof(err)),
                   KC_ERR_SYSTEM);
  ck_assert_ptr_nonnull(strstr(err, "maildir"));
  ck_assert_ptr_null(strstr(err, "482913"));
  ck_assert_ptr_null(strstr(err, "Ihre TAN"));
  ck_assert_int_eq(count_entries(dir, NULL, 0), 1);
  kc_mail_cfg_free(&cfg);
  rm_tree(dir);
}
END_TEST

START_TEST(test_mail_smtp_error_text_has_no_secret)
{
  char dir[] = "/tmp/kc-test-mail.XXXXXX";
  char extra[2048], pw[512], err[KC_DELIVERY_ERR_SIZE];
  struct kc_mail_cfg cfg;
  struct kc_conf c;

  ck_assert_ptr_nonnull(mkdtemp(dir));
  snprintf(pw, sizeof(pw), "%s/smtp.pw", dir);
  write_file(pw, "s3cret-smtp-pw\n", 0600);
  /* port 1 on loopback: nothing listens, the connect fails at once */
  snprintf(extra, sizeof(extra),
           "mail_from = kcd@example.org\nmail_transport = smtp://127.0.0.1:1\n"
           "smtp_starttls = no\nsmtp_user = kcd\nsmtp_pw_file = %s\n",
           pw);
  load_conf(&c, extra);
  ck_assert_int_eq(kc_mail_cfg_init(&cfg, &c, err, sizeof(err)), 0);
  kc_conf_free(&c);
  ck_assert_int_eq(kc_mail_send(&cfg, TO, "Ihre TAN 482913",
                                "Ihre TAN lautet 482913.\n", err, sizeof(err)),
                   KC_ERR_UNAVAILABLE);
  ck_assert_int_eq(strncmp(err, "smtp: ", 6), 0);
  ck_assert_ptr_null(strstr(err, "482913"));
  ck_assert_ptr_null(strstr(err, "s3cret"));
  kc_mail_cfg_free(&cfg);
  rm_tree(dir);
}
END_TEST

START_TEST(test_mail_cfg_errors_and_disabled)
{
  char dir[] = "/tmp/kc-test-mail.XXXXXX";
  char extra[2048], pw[512], err[256];
  struct kc_mail_cfg cfg;
  struct kc_conf c;

  /* no mail_transport: init succeeds, sending is refused */
  load_conf(&c, "");
  ck_assert_int_eq(kc_mail_cfg_init(&cfg, &c, err, sizeof(err)), 0);
  kc_conf_free(&c);
  ck_assert(!kc_mail_enabled(&cfg));
  ck_assert_int_eq(kc_mail_send(&cfg, TO, "s", "t", err, sizeof(err)),
                   KC_ERR_UNAVAILABLE);
  kc_mail_cfg_free(&cfg);
  /* a group-readable password file stops start-up, naming the key */
  ck_assert_ptr_nonnull(mkdtemp(dir));
  snprintf(pw, sizeof(pw), "%s/smtp.pw", dir);
  write_file(pw, "s3cret-smtp-pw\n", 0640);
  snprintf(extra, sizeof(extra),
           "mail_from = kcd@example.org\nmail_transport = smtp://127.0.0.1:1\n"
           "smtp_user = kcd\nsmtp_pw_file = %s\n",
           pw);
  load_conf(&c, extra);
  ck_assert_int_eq(kc_mail_cfg_init(&cfg, &c, err, sizeof(err)),
                   KC_ERR_PERMISSION);
  kc_conf_free(&c);
  ck_assert_ptr_nonnull(strstr(err, "smtp_pw_file"));
  ck_assert_ptr_null(strstr(err, "s3cret"));
  ck_assert(!kc_mail_enabled(&cfg));
  kc_mail_cfg_free(&cfg);
  /* a zeroed struct can be freed */
  memset(&cfg, 0, sizeof(cfg));
  kc_mail_cfg_free(&cfg);
  rm_tree(dir);
}
END_TEST

static Suite *
mail_suite(void)
{
  Suite *s = suite_create("mail");
  TCase *tc = tcase_create("core");

  tcase_add_test(tc, test_mail_addr_table);
  tcase_add_test(tc, test_mail_addr_same_as_conf);
  tcase_add_test(tc, test_mail_build_headers);
  tcase_add_test(tc, test_mail_message_id_random_and_default_domain);
  tcase_add_test(tc, test_mail_date_other_times);
  tcase_add_test(tc, test_mail_subject_rfc2047);
  tcase_add_test(tc, test_mail_subject_long_is_folded);
  tcase_add_test(tc, test_mail_display_name);
  tcase_add_test(tc, test_mail_quoted_printable);
  tcase_add_test(tc, test_mail_quoted_printable_long_text);
  tcase_add_test(tc, test_mail_header_injection_refused);
  tcase_add_test(tc, test_mail_limits);
  tcase_add_test(tc, test_mail_maildir_delivery);
  tcase_add_test(tc, test_mail_maildir_failure_leaves_nothing);
  tcase_add_test(tc, test_mail_smtp_error_text_has_no_secret);
  tcase_add_test(tc, test_mail_cfg_errors_and_disabled);
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
  sr = srunner_create(mail_suite());
  srunner_run_all(sr, CK_NORMAL);
  failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  kc_delivery_global_cleanup();
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
