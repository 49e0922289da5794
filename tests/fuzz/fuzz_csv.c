/* libFuzzer target: the customer import file (kc_csv_open, kc_csv_next),
 * the entry points `kcadm customer import` and tests/unit/test_csv.c use.
 * Every good row must hold a valid customer number, an address that
 * kc_email_valid() accepts and a UTF-8 name within KC_MAX_NAME; bad
 * rows must come back cleared, with their line number, and lines must
 * only go up. */
#include <config.h>

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "csv.h"
#include "kc_err.h"
#include "kc_str.h"
#include "mail.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct kc_csv csv;

static void
check_good(const struct kc_csv_row *row)
{
  if (!kc_str_is_customer_number(row->number) ||
      !kc_email_valid(row->email) || strlen(row->name) > KC_MAX_NAME ||
      !kc_str_is_utf8(row->name, strlen(row->name)))
    __builtin_trap();
}

static void
check_bad(const struct kc_csv_row *row, const char *err)
{
  if (row->number[0] != '\0' || row->email[0] != '\0' || row->name[0] != '\0' ||
      err[0] == '\0' || strnlen(err, KC_CSV_ERR_SIZE) >= KC_CSV_ERR_SIZE)
    __builtin_trap();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  struct kc_csv_row row;
  char err[KC_CSV_ERR_SIZE];
  unsigned long last = 0;
  int r;

  if (kc_csv_open(&csv, (const char *) data, size, err, sizeof(err)) != 0)
    return 0;
  while ((r = kc_csv_next(&csv, &row, err, sizeof(err))) != KC_ERR_EOF) {
    if (row.line <= last)
      __builtin_trap();
    last = row.line;
    if (r == 0)
      check_good(&row);
    else if (r == KC_ERR_INVALID || r == KC_ERR_TOO_LARGE)
      check_bad(&row, err);
    else
      __builtin_trap();
  }
  return 0;
}
