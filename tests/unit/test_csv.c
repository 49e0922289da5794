/* Unit tests for kcd/kcadm/csv.c: the customer import file of kcadm. */
#include <config.h>

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csv.h"
#include "kc_err.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* What a parse gave: the good rows and the bad lines, in order. */
struct parsed {
  int open_rc;
  char open_err[KC_CSV_ERR_SIZE];
  char delim;
  struct kc_csv_row rows[16];
  size_t nrows;
  unsigned long bad[16];
  char bad_err[16][KC_CSV_ERR_SIZE];
  int bad_rc[16];
  size_t nbad;
};

static struct kc_csv csv; /* large: keep it off the stack */

static void
parse_len(const char *text, size_t len, struct parsed *p)
{
  struct kc_csv_row row;
  char err[KC_CSV_ERR_SIZE];
  int r;

  memset(p, 0, sizeof(*p));
  p->open_rc = kc_csv_open(&csv, text, len, p->open_err, sizeof(p->open_err));
  if (p->open_rc != 0)
    return;
  p->delim = kc_csv_delimiter(&csv);
  while ((r = kc_csv_next(&csv, &row, err, sizeof(err))) != KC_ERR_EOF) {
    if (r == 0) {
      ck_assert_uint_lt(p->nrows, N(p->rows));
      p->rows[p->nrows++] = row;
      continue;
    }
    ck_assert_uint_lt(p->nbad, N(p->bad));
    /* a bad row says where, and its fields are cleared */
    ck_assert_str_eq(row.number, "");
    ck_assert_str_eq(row.email, "");
    p->bad[p->nbad] = row.line;
    p->bad_rc[p->nbad] = r;
    memcpy(p->bad_err[p->nbad++], err, sizeof(err));
  }
}

static void
parse(const char *text, struct parsed *p)
{
  parse_len(text, strlen(text), p);
}

static void
assert_row(const struct parsed *p, size_t i, unsigned long line,
           const char *number, const char *email, const char *name)
{
  ck_assert_uint_lt(i, p->nrows);
  ck_assert_uint_eq(p->rows[i].line, line);
  ck_assert_str_eq(p->rows[i].number, number);
  ck_assert_str_eq(p->rows[i].email, email);
  ck_assert_str_eq(p->rows[i].name, name);
}

static struct parsed p;

START_TEST(test_csv_semicolon_german_header)
{
  parse("Kundennummer;E-Mail;Name\n"
        "46075;praxis@muster.example;Praxis Dr. Muster\n"
        "46077;kontakt@zahnarzt.example;Zahnarztpraxis\n",
        &p);
  ck_assert_int_eq(p.open_rc, 0);
  ck_assert_int_eq(p.delim, ';');
  ck_assert_uint_eq(p.nrows, 2);
  ck_assert_uint_eq(p.nbad, 0);
  assert_row(&p, 0, 2, "46075", "praxis@muster.example", "Praxis Dr. Muster");
  assert_row(&p, 1, 3, "46077", "kontakt@zahnarzt.example", "Zahnarztpraxis");
}
END_TEST

START_TEST(test_csv_comma_english_header_any_order_and_case)
{
  parse("EMAIL , Customer_Number,name,city\n"
        "a@b.example,1,Alpha,Berlin\n",
        &p);
  ck_assert_int_eq(p.open_rc, 0);
  ck_assert_int_eq(p.delim, ',');
  assert_row(&p, 0, 2, "1", "a@b.example", "Alpha");
  ck_assert(kc_csv_has_name(&csv));
}
END_TEST

START_TEST(test_csv_tab_delimiter)
{
  parse("Kundennummer\tE-Mail\n7\tx@y.example\n", &p);
  ck_assert_int_eq(p.open_rc, 0);
  ck_assert_int_eq(p.delim, '\t');
  assert_row(&p, 0, 2, "7", "x@y.example", "");
  ck_assert(!kc_csv_has_name(&csv));
}
END_TEST

/* The header decides: a comma inside a semicolon file is text. */
START_TEST(test_csv_delimiter_from_header)
{
  parse("Kundennummer;E-Mail;Name\n1;a@b.example;M\xc3\xbcller, Dr.\n", &p);
  ck_assert_int_eq(p.delim, ';');
  assert_row(&p, 0, 2, "1", "a@b.example", "M\xc3\xbcller, Dr.");
}
END_TEST

START_TEST(test_csv_quotes)
{
  parse("Kundennummer,E-Mail,Name\n"
        "\"1\",\"a@b.example\",\"Praxis \"\"Am Markt\"\", Ost\"\n"
        "  2 , c@d.example ,  \"  Blanks kept  \"  \n"
        "3,e@f.example,\"\"\n",
        &p);
  ck_assert_uint_eq(p.nbad, 0);
  assert_row(&p, 0, 2, "1", "a@b.example", "Praxis \"Am Markt\", Ost");
  assert_row(&p, 1, 3, "2", "c@d.example", "  Blanks kept  ");
  assert_row(&p, 2, 4, "3", "e@f.example", "");
}
END_TEST

/* Quote errors cost one row, never the rest of the file. */
START_TEST(test_csv_quote_errors_are_bad_rows)
{
  parse("Kundennummer;E-Mail;Name\n"
        "1;a@b.example;\"unterminated\n"
        "2;c@d.example;ok\n"
        "3;e@f.example;Praxis \"Nord\"\n"
        "4;g@h.example;\"x\" y\n"
        "5;i@j.example;\"Line\n"
        "break\"\n"
        "6;k@l.example;last\n",
        &p);
  ck_assert_uint_eq(p.nrows, 2);
  assert_row(&p, 0, 3, "2", "c@d.example", "ok");
  assert_row(&p, 1, 8, "6", "k@l.example", "last");
  ck_assert_uint_eq(p.nbad, 5);
  ck_assert_uint_eq(p.bad[0], 2);
  ck_assert_ptr_nonnull(strstr(p.bad_err[0], "line 2: unterminated"));
  ck_assert_uint_eq(p.bad[1], 4);
  ck_assert_ptr_nonnull(strstr(p.bad_err[1], "quote inside"));
  ck_assert_uint_eq(p.bad[2], 5);
  ck_assert_ptr_nonnull(strstr(p.bad_err[2], "after a closing quote"));
  ck_assert_uint_eq(p.bad[3], 6);
  ck_assert_uint_eq(p.bad[4], 7);
}
END_TEST

START_TEST(test_csv_bom_and_crlf)
{
  parse("\xef\xbb\xbf"
        "Kundennummer;E-Mail;Name\r\n"
        "1;a@b.example;Eins\r\n"
        "2;c@d.example;Zwei",
        &p);
  ck_assert_int_eq(p.open_rc, 0);
  ck_assert_uint_eq(p.nbad, 0);
  assert_row(&p, 0, 2, "1", "a@b.example", "Eins");
  assert_row(&p, 1, 3, "2", "c@d.example", "Zwei");
}
END_TEST

START_TEST(test_csv_bare_cr_is_bad)
{
  parse("Kundennummer;E-Mail\n1;a@b.example\r2;c@d.example\n", &p);
  ck_assert_uint_eq(p.nrows, 0);
  ck_assert_uint_eq(p.nbad, 1);
  ck_assert_ptr_nonnull(strstr(p.bad_err[0], "carriage return"));
}
END_TEST

START_TEST(test_csv_non_ascii_names)
{
  parse("Kundennummer;E-Mail;Name\n"
        "1;a@b.example;M\xc3\xbcller\n"
        "2;c@d.example;\xc3\x86r\xc3\xb8sk\xc3\xb8"
        "bing Tandl\xc3\xa6ge\n"
        "3;e@f.example;\xe6\x9d\x8e\xe5\x8c\xbb\xe7\x94\x9f \xf0\x9f\xa6\xb7\n",
        &p);
  ck_assert_uint_eq(p.nbad, 0);
  assert_row(&p, 0, 2, "1", "a@b.example", "M\xc3\xbcller");
  assert_row(&p, 1, 3, "2", "c@d.example",
             "\xc3\x86r\xc3\xb8sk\xc3\xb8"
             "bing Tandl\xc3\xa6ge");
  assert_row(&p, 2, 4, "3", "e@f.example",
             "\xe6\x9d\x8e\xe5\x8c\xbb\xe7\x94\x9f \xf0\x9f\xa6\xb7");
}
END_TEST

START_TEST(test_csv_bad_utf8_row)
{
  parse("Kundennummer;E-Mail;Name\n"
        "1;a@b.example;M\xfcller\n"    /* Latin-1 */
        "2;c@d.example;\xc0\xaf\n"     /* overlong */
        "3;e@f.example;\xed\xa0\x80\n" /* surrogate */
        "4;g@h.example;fine\n",
        &p);
  ck_assert_uint_eq(p.nrows, 1);
  assert_row(&p, 0, 5, "4", "g@h.example", "fine");
  ck_assert_uint_eq(p.nbad, 3);
  ck_assert_ptr_nonnull(strstr(p.bad_err[0], "line 2: not valid UTF-8"));
}
END_TEST

START_TEST(test_csv_control_characters_in_name)
{
  parse("Kundennummer;E-Mail;Name\n"
        "1;a@b.example;bell\x07here\n"
        "2;c@d.example;\xc2\x9b"
        "31m\n" /* C1 CSI */
        "3;e@f.example;\"tab\there\"\n",
        &p);
  ck_assert_uint_eq(p.nrows, 0);
  ck_assert_uint_eq(p.nbad, 3);
  ck_assert_ptr_nonnull(strstr(p.bad_err[0], "control"));
}
END_TEST

START_TEST(test_csv_long_line)
{
  static char text[3 * KC_MAX_CSV_LINE];
  size_t n;

  n = (size_t) snprintf(text, sizeof(text),
                        "Kundennummer;E-Mail;Name\n1;a@b.example;");
  memset(text + n, 'x', KC_MAX_CSV_LINE);
  n += KC_MAX_CSV_LINE;
  n += (size_t) snprintf(text + n, sizeof(text) - n, "\n2;c@d.example;ok\n");
  parse_len(text, n, &p);
  ck_assert_uint_eq(p.nbad, 1);
  ck_assert_int_eq(p.bad_rc[0], KC_ERR_TOO_LARGE);
  ck_assert_uint_eq(p.bad[0], 2);
  assert_row(&p, 0, 3, "2", "c@d.example", "ok");
}
END_TEST

/* A line of exactly the limit passes; the name check then refuses it. */
START_TEST(test_csv_line_at_limit)
{
  static char text[2 * KC_MAX_CSV_LINE];
  size_t n, head;

  head = (size_t) snprintf(text, sizeof(text), "Kundennummer;E-Mail;Name\n");
  n = head +
      (size_t) snprintf(text + head, sizeof(text) - head, "1;a@b.example;");
  memset(text + n, 'y', KC_MAX_CSV_LINE - (n - head));
  n = head + KC_MAX_CSV_LINE;
  text[n++] = '\n';
  parse_len(text, n, &p);
  ck_assert_uint_eq(p.nbad, 1);
  ck_assert_int_eq(p.bad_rc[0], KC_ERR_INVALID);
  ck_assert_ptr_nonnull(strstr(p.bad_err[0], "name is too long"));
}
END_TEST

START_TEST(test_csv_header_errors)
{
  static const struct {
    const char *text;
    const char *msg;
  } cases[] = {
    {"", "empty"},
    {"\n\n", "empty"},
    {"Kundennummer;Name\n1;x\n", "need the columns"},
    {"E-Mail,Name\n", "need the columns"},
    {"Nummer;Mail-Adresse\n", "need the columns"},
    {"Kundennummer;E-Mail;email\n", "appears twice"},
    {"\xff\xfeK\0u\0", "UTF-16"},
    {"Kundennummer;E-Mail;N\xe4me\n", "UTF-8"},
  };
  size_t i;

  for (i = 0; i < N(cases); i++) {
    parse_len(cases[i].text, strlen(cases[i].text) + (i == 6 ? 4 : 0), &p);
    ck_assert_msg(p.open_rc != 0, "case %zu accepted", i);
    ck_assert_msg(strstr(p.open_err, cases[i].msg) != NULL, "case %zu: %s", i,
                  p.open_err);
  }
}
END_TEST

START_TEST(test_csv_bad_fields)
{
  parse("Kundennummer;E-Mail;Name\n"
        "12a;a@b.example;x\n"
        ";a@b.example;x\n"
        "123456789012345678901;a@b.example;x\n"
        "-5;a@b.example;x\n"
        "1;no-at-sign;x\n"
        "2;;x\n"
        "3;a@b.example <x>;x\n"
        "4;a@b.example\n"
        "5;a@b.example;x;surplus\n"
        "6;m.muster@example.org;ok;;\n",
        &p);
  ck_assert_uint_eq(p.nrows, 1);
  assert_row(&p, 0, 11, "6", "m.muster@example.org", "ok");
  ck_assert_uint_eq(p.nbad, 9);
  ck_assert_ptr_nonnull(strstr(p.bad_err[0], "\"12a\""));
  ck_assert_ptr_nonnull(strstr(p.bad_err[1], "customer number missing"));
  ck_assert_ptr_nonnull(strstr(p.bad_err[4], "e-mail address is not valid"));
  ck_assert_ptr_nonnull(strstr(p.bad_err[5], "e-mail address missing"));
  ck_assert_ptr_nonnull(strstr(p.bad_err[7], "too few fields"));
  ck_assert_ptr_nonnull(strstr(p.bad_err[8], "more fields"));
}
END_TEST

START_TEST(test_csv_blank_rows_skipped)
{
  parse("Kundennummer;E-Mail;Name\n\n;;\n  ;  ; \n1;a@b.example;x\n\n", &p);
  ck_assert_uint_eq(p.nbad, 0);
  assert_row(&p, 0, 5, "1", "a@b.example", "x");
}
END_TEST

/* Optional Name column absent and extra columns ignored. */
START_TEST(test_csv_extra_columns)
{
  parse("Ort;Kundennummer;PLZ;E-Mail\nKiel;9;24103;k@kiel.example\n", &p);
  ck_assert_uint_eq(p.nbad, 0);
  assert_row(&p, 0, 2, "9", "k@kiel.example", "");
}
END_TEST

START_TEST(test_csv_nul_byte)
{
  static const char text[] = "Kundennummer;E-Mail\n1;a@b.example\0x\n"
                             "2;c@d.example\n";

  parse_len(text, sizeof(text) - 1, &p);
  ck_assert_uint_eq(p.nbad, 1);
  ck_assert_ptr_nonnull(strstr(p.bad_err[0], "NUL"));
  assert_row(&p, 0, 3, "2", "c@d.example", "");
}
END_TEST

START_TEST(test_csv_too_many_fields)
{
  static char text[1024];
  size_t n, i;

  n = (size_t) snprintf(text, sizeof(text), "Kundennummer;E-Mail\n1;a@b.ex");
  for (i = 0; i < KC_CSV_MAX_FIELDS + 1; i++)
    text[n++] = ';';
  text[n++] = '\n';
  parse_len(text, n, &p);
  ck_assert_uint_eq(p.nbad, 1);
  ck_assert_ptr_nonnull(strstr(p.bad_err[0], "too many fields"));
}
END_TEST

static Suite *
csv_suite(void)
{
  Suite *s = suite_create("csv");
  TCase *tc = tcase_create("core");

  tcase_add_test(tc, test_csv_semicolon_german_header);
  tcase_add_test(tc, test_csv_comma_english_header_any_order_and_case);
  tcase_add_test(tc, test_csv_tab_delimiter);
  tcase_add_test(tc, test_csv_delimiter_from_header);
  tcase_add_test(tc, test_csv_quotes);
  tcase_add_test(tc, test_csv_quote_errors_are_bad_rows);
  tcase_add_test(tc, test_csv_bom_and_crlf);
  tcase_add_test(tc, test_csv_bare_cr_is_bad);
  tcase_add_test(tc, test_csv_non_ascii_names);
  tcase_add_test(tc, test_csv_bad_utf8_row);
  tcase_add_test(tc, test_csv_control_characters_in_name);
  tcase_add_test(tc, test_csv_long_line);
  tcase_add_test(tc, test_csv_line_at_limit);
  tcase_add_test(tc, test_csv_header_errors);
  tcase_add_test(tc, test_csv_bad_fields);
  tcase_add_test(tc, test_csv_blank_rows_skipped);
  tcase_add_test(tc, test_csv_extra_columns);
  tcase_add_test(tc, test_csv_nul_byte);
  tcase_add_test(tc, test_csv_too_many_fields);
  suite_add_tcase(s, tc);
  return s;
}

int
main(void)
{
  SRunner *sr = srunner_create(csv_suite());
  int failed;

  srunner_run_all(sr, CK_NORMAL);
  failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
