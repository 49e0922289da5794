/*
 * csv.h: the customer import file of `kcadm customer import` (DESIGN.md
 * §6): a header row, then one customer per line.
 *
 * Format (RFC 4180 with the choices below)
 *  - UTF-8; a UTF-8 byte order mark at the start is skipped. A UTF-16
 *    byte order mark is refused with a hint ("save as UTF-8"); a line that
 *    is not UTF-8 (Latin-1 "M\xfcller") is a bad row.
 *  - Lines end in LF or CRLF; a CR anywhere else is a bad row. Each line is
 *    at most KC_MAX_CSV_LINE bytes without its line ending.
 *  - The delimiter is ";", "," or a tab, whichever lets the header name
 *    the required columns (";" first: German Excel writes it).
 *  - The header names the columns, matched without regard to case and
 *    surrounding blanks, in any order: customer number ("Kundennummer",
 *    "Kunden-Nr", "customer_number", ...), e-mail ("E-Mail", "email",
 *    "E-Mail-Adresse", ...) and, optionally, the name ("Name", "Firma",
 *    "customer_name", ...). Other columns are ignored; a column named
 *    twice is an error.
 *  - A field may be quoted with '"'; inside quotes the delimiter is
 *    ordinary text and '""' stands for one '"'. Blanks around a field
 *    (outside the quotes) are dropped. A '"' inside an unquoted field, or
 *    text between a closing quote and the next delimiter, is a bad row.
 *  - Line breaks inside quoted fields are refused: no column may hold
 *    one, and so a stray quote costs one row, never the rest of the file
 *    (every physical line is a record of its own).
 *  - Empty lines and lines of empty fields (";;", as spreadsheets export
 *    blank rows) are skipped silently.
 *  - Rows: the customer number is 1..KC_MAX_CUSTOMER_NUMBER digits; the
 *    e-mail address passes kc_email_valid(); the name, when present,
 *    is at most KC_MAX_NAME bytes without control characters (an empty
 *    name means "no name"). Fewer fields than the header names is a bad
 *    row; more are allowed when the extra ones are empty.
 *
 * Use: kc_csv_open() on the whole file in memory (it reads the header),
 * then kc_csv_next() until KC_ERR_EOF. A bad row is reported with its
 * line number and the parser carries on with the next line.
 *
 * The parser keeps pointers into the caller's buffer, which must outlive
 * it; it allocates nothing and needs no cleanup. Pure and reentrant;
 * nothing logs. Duplicate customer numbers are the caller's business.
 */
#ifndef KC_CSV_H
#define KC_CSV_H

#include <stdbool.h>
#include <stddef.h>

#include "kc_attrs.h"
#include "kc_limits.h"

/* Fields per line we look at; more is a bad row (the header has 3 that
 * matter, and exports rarely carry more than a few dozen). */
#define KC_CSV_MAX_FIELDS 64

/* Room for one error message: "line N: " and a short reason. */
#define KC_CSV_ERR_SIZE 256

/* One customer row, all strings NUL-terminated and validated. */
struct kc_csv_row {
  unsigned long line;                      /* 1-based physical line */
  char number[KC_MAX_CUSTOMER_NUMBER + 1]; /* digits */
  char email[KC_MAX_EMAIL + 1];            /* plain addr-spec */
  char name[KC_MAX_NAME + 1];              /* UTF-8; "" when none */
};

/* Parser state; members are private. */
struct kc_csv {
  const char *cv_data;
  size_t cv_len;
  size_t cv_pos;         /* start of the next line */
  unsigned long cv_line; /* number of the next line */
  char cv_delim;
  int cv_col_number; /* column indexes; -1 when absent */
  int cv_col_email;
  int cv_col_name;
  size_t cv_ncols; /* fields of the header line */
  /* the fields of the current line, unquoted, each NUL-terminated */
  char cv_scratch[KC_MAX_CSV_LINE + KC_CSV_MAX_FIELDS + 1];
  size_t cv_field[KC_CSV_MAX_FIELDS];
  size_t cv_nfields;
};

/*
 * Start parsing the len bytes at data (a whole file; need not be
 * NUL-terminated) and read the header. Returns 0, or KC_ERR_INVALID (no
 * header, UTF-16, bad header line, required column missing, a column
 * named twice) or KC_ERR_TOO_LARGE (header line too long), with a message
 * in err (errlen bytes, NUL-terminated when errlen > 0).
 */
int kc_csv_open(struct kc_csv *c, const char *data, size_t len, char *err,
                size_t errlen) KC_MUST_USE KC_NONNULL(1);

/*
 * The next customer row into row. Returns 0 for a good row; KC_ERR_EOF
 * when the input is used up; KC_ERR_INVALID or KC_ERR_TOO_LARGE for a bad
 * row, with row->line set, the other row fields cleared and
 * "line N: reason" in err; call again for the next row.
 */
int kc_csv_next(struct kc_csv *c, struct kc_csv_row *row, char *err,
                size_t errlen) KC_MUST_USE KC_NONNULL(1, 2);

/* The delimiter kc_csv_open() detected (';', ',' or '\t'). */
char kc_csv_delimiter(const struct kc_csv *c) KC_NONNULL(1);

/* True when kc_csv_open() found a name column. */
bool kc_csv_has_name(const struct kc_csv *c) KC_NONNULL(1);

#endif /* KC_CSV_H */
