/*
 * csv.c: the customer import file (csv.h has the format). One physical
 * line is one record: split it into fields, then check the three columns.
 */
#include <config.h>

#include <stdio.h>
#include <string.h>

#include "csv.h"
#include "kc_err.h"
#include "kc_str.h"
#include "mail.h"

/* What a header cell may say for each column (lower case). */
static const char *const number_names[] =
  {"kundennummer",    "kunden-nr",       "kunden-nr.",     "kundennr",
   "kundennr.",       "kd-nr",           "kdnr",           "customer_number",
   "customer number", "customer-number", "customernumber", NULL};
static const char *const email_names[] = {"e-mail",         "email",
                                          "e-mail-adresse", "email-adresse",
                                          "e-mail adresse", "mail",
                                          "email_address",  "email address",
                                          "e-mail address", NULL};
static const char *const name_names[] =
  {"name",          "kundenname", "firma", "customer_name",
   "customer name", "company",    NULL};

/* Values quoted in messages are cut to this many bytes. */
#define CSV_QUOTE_MAX 48

/* "line N: what" or "header: what", then ': "value"' when value is not
 * NULL (made printable and cut, since it comes from the file). */
static void
set_err(char *err, size_t errlen, unsigned long line, const char *what,
        const char *value)
{
  char quoted[CSV_QUOTE_MAX + 1];
  char where[32];

  if (err == NULL || errlen == 0)
    return;
  if (line == 0)
    snprintf(where, sizeof(where), "header");
  else
    snprintf(where, sizeof(where), "line %lu", line);
  if (value == NULL) {
    snprintf(err, errlen, "%s: %s", where, what);
    return;
  }
  kc_str_copy_printable(quoted, sizeof(quoted), value);
  snprintf(err, errlen, "%s: %s: \"%s\"", where, what, quoted);
}

/* The next physical line without its line ending; KC_ERR_EOF at the end. */
static int
next_line(struct kc_csv *c, const char **line, size_t *len,
          unsigned long *lineno)
{
  const char *start, *nl;
  size_t rest;

  if (c->cv_pos >= c->cv_len)
    return KC_ERR_EOF;
  start = c->cv_data + c->cv_pos;
  rest = c->cv_len - c->cv_pos;
  nl = memchr(start, '\n', rest);
  *len = nl != NULL ? (size_t) (nl - start) : rest;
  c->cv_pos += *len + (nl != NULL ? 1 : 0);
  if (*len > 0 && start[*len - 1] == '\r')
    (*len)--;
  *line = start;
  *lineno = c->cv_line++;
  return 0;
}

static bool
is_blank(char ch, char delim)
{
  return ch == ' ' || (ch == '\t' && delim != '\t');
}

/* Append one byte of field content to the scratch area. */
static void
put(struct kc_csv *c, size_t *used, char ch)
{
  c->cv_scratch[(*used)++] = ch;
}

/* A quoted field starting after its opening quote at line[*i]; leaves *i
 * after the closing quote. */
static int
quoted_field(struct kc_csv *c, const char *line, size_t len, size_t *i,
             size_t *used, const char **why)
{
  while (*i < len) {
    char ch = line[(*i)++];
    if (ch != '"') {
      put(c, used, ch);
      continue;
    }
    if (*i < len && line[*i] == '"') {
      put(c, used, '"');
      (*i)++;
      continue;
    }
    return 0;
  }
  *why = "unterminated quoted field (line breaks inside fields are not "
         "allowed)";
  return KC_ERR_INVALID;
}

/* An unquoted field: up to the delimiter, without trailing blanks. */
static int
plain_field(struct kc_csv *c, const char *line, size_t len, size_t *i,
            size_t *used, const char **why)
{
  size_t start = *used;

  while (*i < len && line[*i] != c->cv_delim) {
    if (line[*i] == '"') {
      *why = "quote inside an unquoted field (quote the whole field and "
             "double the quote)";
      return KC_ERR_INVALID;
    }
    put(c, used, line[(*i)++]);
  }
  while (*used > start && is_blank(c->cv_scratch[*used - 1], c->cv_delim))
    (*used)--;
  return 0;
}

/* One field at line[*i]; leaves *i on the delimiter or at the end. */
static int
one_field(struct kc_csv *c, const char *line, size_t len, size_t *i,
          size_t *used, const char **why)
{
  while (*i < len && is_blank(line[*i], c->cv_delim))
    (*i)++;
  if (*i >= len || line[*i] != '"')
    return plain_field(c, line, len, i, used, why);
  (*i)++;
  if (quoted_field(c, line, len, i, used, why) != 0)
    return KC_ERR_INVALID;
  while (*i < len && is_blank(line[*i], c->cv_delim))
    (*i)++;
  if (*i < len && line[*i] != c->cv_delim) {
    *why = "text after a closing quote";
    return KC_ERR_INVALID;
  }
  return 0;
}

/* Split line into NUL-terminated fields in cv_scratch (len is at most
 * KC_MAX_CSV_LINE, so content plus one NUL per field always fits). */
static int
split(struct kc_csv *c, const char *line, size_t len, const char **why)
{
  size_t i = 0, used = 0;

  c->cv_nfields = 0;
  for (;;) {
    if (c->cv_nfields >= KC_CSV_MAX_FIELDS) {
      *why = "too many fields";
      return KC_ERR_INVALID;
    }
    c->cv_field[c->cv_nfields++] = used;
    if (one_field(c, line, len, &i, &used, why) != 0)
      return KC_ERR_INVALID;
    put(c, &used, '\0');
    if (i >= len)
      return 0;
    i++; /* the delimiter */
  }
}

static const char *
field(const struct kc_csv *c, size_t i)
{
  return c->cv_scratch + c->cv_field[i];
}

/* ASCII case-insensitive equality (no locale). */
static bool
same_ci(const char *a, const char *b)
{
  for (; *a != '\0' && *b != '\0'; a++, b++) {
    char x = *a, y = *b;
    if (x >= 'A' && x <= 'Z')
      x = (char) (x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z')
      y = (char) (y - 'A' + 'a');
    if (x != y)
      return false;
  }
  return *a == *b;
}

static bool
names_one_of(const char *cell, const char *const *names)
{
  size_t i;

  for (i = 0; names[i] != NULL; i++) {
    if (same_ci(cell, names[i]))
      return true;
  }
  return false;
}

/* Record column i under *col; a second one is an error. */
static int
take_column(int *col, size_t i, const char *cell, const char **dup)
{
  if (*col >= 0) {
    *dup = cell;
    return KC_ERR_DUPLICATE;
  }
  *col = (int) i;
  return 0;
}

/* Find the columns in the split header. */
static int
find_columns(struct kc_csv *c, const char **dup)
{
  size_t i;
  int r = 0;

  c->cv_col_number = c->cv_col_email = c->cv_col_name = -1;
  for (i = 0; i < c->cv_nfields && r == 0; i++) {
    const char *cell = field(c, i);
    if (names_one_of(cell, number_names))
      r = take_column(&c->cv_col_number, i, cell, dup);
    else if (names_one_of(cell, email_names))
      r = take_column(&c->cv_col_email, i, cell, dup);
    else if (names_one_of(cell, name_names))
      r = take_column(&c->cv_col_name, i, cell, dup);
  }
  return r;
}

/* Try the delimiters on the header line; the first that names both
 * required columns wins. */
static int
read_header(struct kc_csv *c, const char *line, size_t len, char *err,
            size_t errlen)
{
  static const char delims[] = {';', ',', '\t'};
  const char *why = NULL, *dup = NULL;
  size_t d;

  for (d = 0; d < sizeof(delims); d++) {
    c->cv_delim = delims[d];
    if (split(c, line, len, &why) != 0)
      continue;
    if (find_columns(c, &dup) != 0) {
      set_err(err, errlen, 0, "a column appears twice", dup);
      return KC_ERR_INVALID;
    }
    if (c->cv_col_number >= 0 && c->cv_col_email >= 0) {
      c->cv_ncols = c->cv_nfields;
      return 0;
    }
  }
  set_err(err, errlen, 0,
          why != NULL ? why
                      : "need the columns Kundennummer and E-Mail (or "
                        "customer_number and "
                        "email), separated by \";\" or \",\"",
          NULL);
  return KC_ERR_INVALID;
}

/* Checks every line gets before it is split. */
static int
check_line(const char *line, size_t len, const char **why)
{
  if (len > KC_MAX_CSV_LINE) {
    *why = "line too long";
    return KC_ERR_TOO_LARGE;
  }
  if (memchr(line, '\0', len) != NULL) {
    *why = "NUL byte in the line";
    return KC_ERR_INVALID;
  }
  if (memchr(line, '\r', len) != NULL) {
    *why = "carriage return inside the line";
    return KC_ERR_INVALID;
  }
  if (!kc_str_is_utf8(line, len)) {
    *why = "not valid UTF-8 (save the file as UTF-8)";
    return KC_ERR_INVALID;
  }
  return 0;
}

static bool
has_utf16_bom(const char *p, size_t len)
{
  return len >= 2 &&
         (((unsigned char) p[0] == 0xff && (unsigned char) p[1] == 0xfe) ||
          ((unsigned char) p[0] == 0xfe && (unsigned char) p[1] == 0xff));
}

int
kc_csv_open(struct kc_csv *c, const char *data, size_t len, char *err,
            size_t errlen)
{
  const char *line = NULL, *why = NULL;
  unsigned long lineno;
  size_t n = 0;
  int r;

  memset(c, 0, sizeof(*c));
  c->cv_col_number = c->cv_col_email = c->cv_col_name = -1;
  c->cv_data = data != NULL ? data : "";
  c->cv_len = data != NULL ? len : 0;
  c->cv_line = 1;
  if (err != NULL && errlen > 0)
    err[0] = '\0';
  if (has_utf16_bom(c->cv_data, c->cv_len)) {
    set_err(err, errlen, 0, "the file is UTF-16; save it as UTF-8", NULL);
    return KC_ERR_INVALID;
  }
  if (c->cv_len >= 3 && memcmp(c->cv_data, "\xef\xbb\xbf", 3) == 0)
    c->cv_pos = 3;
  do {
    if (next_line(c, &line, &n, &lineno) != 0) {
      set_err(err, errlen, 0, "the file is empty", NULL);
      return KC_ERR_INVALID;
    }
  } while (n == 0);
  if ((r = check_line(line, n, &why)) != 0) {
    set_err(err, errlen, 0, why, NULL);
    return r;
  }
  return read_header(c, line, n, err, errlen);
}

/* True when every field is empty (a blank spreadsheet row). */
static bool
all_empty(const struct kc_csv *c)
{
  size_t i;

  for (i = 0; i < c->cv_nfields; i++) {
    if (field(c, i)[0] != '\0')
      return false;
  }
  return true;
}

/* Fields past the last column we use must be empty. */
static bool
extra_fields_empty(const struct kc_csv *c, size_t needed)
{
  size_t i;

  for (i = needed; i < c->cv_nfields; i++) {
    if (field(c, i)[0] != '\0')
      return false;
  }
  return true;
}

static size_t
columns_needed(const struct kc_csv *c)
{
  int m = c->cv_col_number;

  if (c->cv_col_email > m)
    m = c->cv_col_email;
  if (c->cv_col_name > m)
    m = c->cv_col_name;
  return (size_t) m + 1;
}

/* No C0 or C1 control character and no DEL in a UTF-8 name. */
static bool
name_ok(const char *s)
{
  const unsigned char *p = (const unsigned char *) s;

  for (; *p != '\0'; p++) {
    if (*p < 0x20 || *p == 0x7f)
      return false;
    if (*p == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f)
      return false;
  }
  return true;
}

/* Copy the validated fields of the split line into row. */
static int
fill_row(const struct kc_csv *c, struct kc_csv_row *row, char *err,
         size_t errlen)
{
  const char *num = field(c, (size_t) c->cv_col_number);
  const char *mail = field(c, (size_t) c->cv_col_email);
  const char *name =
    c->cv_col_name >= 0 ? field(c, (size_t) c->cv_col_name) : "";

  if (num[0] == '\0' || mail[0] == '\0') {
    set_err(err, errlen, row->line,
            num[0] == '\0' ? "customer number missing"
                           : "e-mail address missing",
            NULL);
    return KC_ERR_INVALID;
  }
  if (!kc_str_is_customer_number(num)) {
    set_err(err, errlen, row->line, "customer number is not 1 to 20 digits",
            num);
    return KC_ERR_INVALID;
  }
  if (!kc_email_valid(mail)) {
    set_err(err, errlen, row->line, "e-mail address is not valid", mail);
    return KC_ERR_INVALID;
  }
  if (strlen(name) > KC_MAX_NAME) {
    set_err(err, errlen, row->line, "name is too long", NULL);
    return KC_ERR_INVALID;
  }
  if (!name_ok(name)) {
    set_err(err, errlen, row->line, "name holds control characters", NULL);
    return KC_ERR_INVALID;
  }
  memcpy(row->number, num, strlen(num) + 1);
  memcpy(row->email, mail, strlen(mail) + 1);
  memcpy(row->name, name, strlen(name) + 1);
  return 0;
}

/* Split and check one non-empty line. 1: skip it silently. */
static int
parse_row(struct kc_csv *c, const char *line, size_t n, struct kc_csv_row *row,
          char *err, size_t errlen)
{
  const char *why = NULL;
  int r;

  if ((r = check_line(line, n, &why)) != 0 ||
      (r = split(c, line, n, &why)) != 0) {
    set_err(err, errlen, row->line, why, NULL);
    return r;
  }
  if (all_empty(c))
    return 1;
  if (c->cv_nfields < columns_needed(c)) {
    set_err(err, errlen, row->line, "too few fields for the header's columns",
            NULL);
    return KC_ERR_INVALID;
  }
  if (c->cv_nfields > c->cv_ncols && !extra_fields_empty(c, c->cv_ncols)) {
    set_err(err, errlen, row->line, "more fields than the header has", NULL);
    return KC_ERR_INVALID;
  }
  return fill_row(c, row, err, errlen);
}

int
kc_csv_next(struct kc_csv *c, struct kc_csv_row *row, char *err, size_t errlen)
{
  const char *line = NULL;
  size_t n = 0;
  int r;

  if (err != NULL && errlen > 0)
    err[0] = '\0';
  for (;;) {
    memset(row, 0, sizeof(*row));
    if (next_line(c, &line, &n, &row->line) != 0)
      return KC_ERR_EOF;
    if (n == 0)
      continue;
    r = parse_row(c, line, n, row, err, errlen);
    if (r == 1)
      continue;
    if (r != 0) {
      unsigned long keep = row->line;
      memset(row, 0, sizeof(*row));
      row->line = keep;
    }
    return r;
  }
}

char
kc_csv_delimiter(const struct kc_csv *c)
{
  return c->cv_delim;
}

bool
kc_csv_has_name(const struct kc_csv *c)
{
  return c->cv_col_name >= 0;
}
