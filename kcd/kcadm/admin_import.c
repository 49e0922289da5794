/*
 * admin_import.c: `kcadm customer import FILE.csv [--strict]`.
 *
 * The file is read and checked whole first (csv.h), so --strict can
 * refuse before the first write and duplicate customer numbers are found
 * up front. The writes then go over one connection as a window of
 * asynchronous operations: an add per row, and for a customer that exists
 * already a modify of mail and name guarded by an assertion (RFC 4528)
 * that the entry does not hold those values yet. So a row costs one round
 * trip when new and two when known, there is no search per row and no
 * listing that slapd's size limit could cut short, and "assertion failed"
 * is how an unchanged customer shows. Exact matching rules in the
 * assertion make a change of case count as a change.
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "admin.h"
#include "admin_int.h"
#include "csv.h"
#include "kc_err.h"
#include "log.h"

/* A problem with one row, printed in line order at the end. */
struct imp_err {
  unsigned long line;
  char msg[KC_CSV_ERR_SIZE + 64];
};

/* One write in flight. */
struct imp_slot {
  int msgid;
  size_t row;
  bool modifying; /* the add found the entry; this is the modify */
};

struct imp {
  struct kc_admin *ad;
  const char *path;
  struct kc_csv_row *rows;
  size_t nrows, rcap;
  struct imp_err *errs;
  size_t nerrs, ecap;
  size_t skipped, added, updated, unchanged, failed;
  struct imp_slot slot[KC_ADMIN_IMPORT_WINDOW];
  size_t nslots;
  int drawn; /* percentage on the progress bar; -1: none */
};

/* ------------------------------------------------------------ reading */

/* Read all of fd (at most KC_MAX_CSV_FILE bytes) into *out. */
static int
read_fd(int fd, char **out, size_t *len)
{
  size_t cap = 64 * 1024, used = 0;
  char *buf = malloc(cap), *grown;
  ssize_t n;

  *out = NULL;
  *len = 0;
  while (buf != NULL) {
    if (used == cap) {
      if (cap > KC_MAX_CSV_FILE) {
        free(buf);
        return KC_ERR_TOO_LARGE;
      }
      if ((grown = realloc(buf, cap * 2)) == NULL)
        break;
      buf = grown;
      cap *= 2;
    }
    n = read(fd, buf + used, cap - used);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0) {
      free(buf);
      return KC_ERR_SYSTEM;
    }
    if (n == 0) {
      if (used > KC_MAX_CSV_FILE) {
        free(buf);
        return KC_ERR_TOO_LARGE;
      }
      *out = buf;
      *len = used;
      return 0;
    }
    used += (size_t) n;
  }
  free(buf);
  return KC_ERR_NOMEM;
}

static int
read_file(struct imp *im, char **data, size_t *len)
{
  struct stat st;
  int fd, r;

  if (strcmp(im->path, "-") == 0)
    fd = STDIN_FILENO;
  else if ((fd = open(im->path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) < 0)
    return kc_admin_fail(im->ad, "%s: %s", im->path, strerror(errno));
  if (fstat(fd, &st) != 0 || S_ISDIR(st.st_mode)) {
    if (fd != STDIN_FILENO)
      close(fd);
    return kc_admin_fail(im->ad, "%s: not a file", im->path);
  }
  r = read_fd(fd, data, len);
  if (fd != STDIN_FILENO)
    close(fd);
  if (r == KC_ERR_TOO_LARGE)
    return kc_admin_fail(im->ad, "%s: larger than %d MiB", im->path,
                         KC_MAX_CSV_FILE / (1024 * 1024));
  if (r != 0)
    return kc_admin_fail(im->ad, "%s: %s", im->path,
                         r == KC_ERR_SYSTEM ? strerror(errno) : kc_strerror(r));
  return 0;
}

/* base (of *cap elements of size) grown to hold more than n; NULL when
 * out of memory (base stays valid). */
static void *
grow(void *base, size_t *cap, size_t n, size_t size)
{
  size_t c;
  void *g;

  if (n < *cap)
    return base;
  c = *cap == 0 ? 256 : *cap * 2;
  if (c > SIZE_MAX / size || (g = realloc(base, c * size)) == NULL)
    return NULL;
  *cap = c;
  return g;
}

static int
add_err(struct imp *im, unsigned long line, const char *msg)
{
  struct imp_err *e = grow(im->errs, &im->ecap, im->nerrs, sizeof(*e));

  if (e == NULL)
    return KC_ERR_NOMEM;
  im->errs = e;
  im->errs[im->nerrs].line = line;
  snprintf(im->errs[im->nerrs].msg, sizeof(im->errs[im->nerrs].msg), "%s", msg);
  im->nerrs++;
  return 0;
}

/* Parse every row; bad ones become errors. */
static int
parse_all(struct imp *im, const char *data, size_t len)
{
  struct kc_csv *csv;
  char err[KC_CSV_ERR_SIZE];
  int r;

  if ((csv = malloc(sizeof(*csv))) == NULL)
    return kc_admin_fail(im->ad, "out of memory");
  if (kc_csv_open(csv, data, len, err, sizeof(err)) != 0) {
    free(csv);
    return kc_admin_fail(im->ad, "%s: %s", im->path, err);
  }
  for (;;) {
    struct kc_csv_row *rows =
      grow(im->rows, &im->rcap, im->nrows, sizeof(*rows));
    if (rows == NULL) {
      r = KC_ERR_NOMEM;
      break;
    }
    im->rows = rows;
    r = kc_csv_next(csv, &im->rows[im->nrows], err, sizeof(err));
    if (r == KC_ERR_EOF) {
      r = 0;
      break;
    }
    if (r == 0)
      im->nrows++;
    else if ((r = add_err(im, im->rows[im->nrows].line, err)) != 0)
      break;
  }
  free(csv);
  return r == 0 ? 0 : kc_admin_fail(im->ad, "out of memory");
}

/* ------------------------------------------------------------ duplicates */

static int
cmp_number_line(const void *a, const void *b)
{
  const struct kc_csv_row *x = *(const struct kc_csv_row *const *) a;
  const struct kc_csv_row *y = *(const struct kc_csv_row *const *) b;
  int c = strcmp(x->number, y->number);

  if (c != 0)
    return c;
  return x->line < y->line ? -1 : (x->line > y->line);
}

/* Mark each later row with a number seen before (line = 0) and record
 * why; then drop the marked rows, keeping the file order. */
static int
drop_duplicates(struct imp *im)
{
  struct kc_csv_row **by;
  char msg[KC_CSV_ERR_SIZE];
  size_t i, k = 0;
  int r = 0;

  if (im->nrows < 2)
    return 0;
  if ((by = calloc(im->nrows, sizeof(*by))) == NULL)
    return kc_admin_fail(im->ad, "out of memory");
  for (i = 0; i < im->nrows; i++)
    by[i] = &im->rows[i];
  qsort(by, im->nrows, sizeof(*by), cmp_number_line);
  for (i = 1; i < im->nrows && r == 0; i++) {
    if (strcmp(by[i]->number, by[k]->number) != 0) {
      k = i;
      continue;
    }
    snprintf(msg, sizeof(msg),
             "line %lu: customer number %s already on line %lu", by[i]->line,
             by[i]->number, by[k]->line);
    r = add_err(im, by[i]->line, msg);
    by[i]->line = 0;
  }
  free(by);
  for (i = 0, k = 0; i < im->nrows; i++) {
    if (im->rows[i].line != 0)
      im->rows[k++] = im->rows[i];
  }
  im->nrows = k;
  return r == 0 ? 0 : kc_admin_fail(im->ad, "out of memory");
}

static int
cmp_err_line(const void *a, const void *b)
{
  const struct imp_err *x = a, *y = b;

  return x->line < y->line ? -1 : (x->line > y->line);
}

/* ------------------------------------------------------------ progress */

static void
progress(struct imp *im)
{
  size_t done = im->added + im->updated + im->unchanged + im->failed;
  int pct, i, fill;

  if (!im->ad->ad_progress || im->nrows == 0)
    return;
  pct = (int) (done * 100 / im->nrows);
  if (pct == im->drawn)
    return;
  im->drawn = pct;
  fill = pct * 40 / 100;
  fputs("\rimporting [", stderr);
  for (i = 0; i < 40; i++)
    fputc(i < fill ? '#' : '.', stderr);
  fprintf(stderr, "] %3d%% %zu/%zu", pct, done, im->nrows);
  fflush(stderr);
}

/* End the progress line, if one was drawn. */
static void
progress_end(struct imp *im)
{
  if (im->drawn >= 0)
    fputc('\n', stderr);
  im->drawn = -1;
}

/* ------------------------------------------------------------ writing */

static int
row_dn(struct imp *im, const struct kc_csv_row *row, struct kc_buf *dn)
{
  return kc_ldap_dn_entry(dn, im->ad->ad_lcfg.base, KC_LDAP_CUSTOMERS,
                          "kcCustomerNumber", row->number);
}

static int
start_add(struct imp *im, const struct kc_csv_row *row, int *msgid)
{
  struct kc_ldap_mods m;
  struct kc_buf dn;
  int r;

  if ((r = row_dn(im, row, &dn)) != 0)
    return r;
  kc_ldap_mods_init(&m);
  kc_ldap_mods_add(&m, LDAP_MOD_ADD, "objectClass", "kcCustomer", NULL);
  kc_ldap_mods_add(&m, LDAP_MOD_ADD, "kcCustomerNumber", row->number, NULL);
  kc_ldap_mods_add(&m, LDAP_MOD_ADD, "mail", row->email, NULL);
  if (row->name[0] != '\0')
    kc_ldap_mods_add(&m, LDAP_MOD_ADD, "o", row->name, NULL);
  r = kc_ldap_add_start(&im->ad->ad_ldap, kc_buf_get(&dn), m.ms_ptr, msgid);
  kc_buf_free(&dn);
  return r;
}

/* "(!(&(mail:caseExactIA5Match:=M)(o:caseExactMatch:=N)))": true unless
 * the entry already says exactly this. */
static int
assertion(const struct kc_csv_row *row, struct kc_buf *f)
{
  kc_buf_init(f, 4 * (KC_MAX_EMAIL + KC_MAX_NAME) + 128);
  if (kc_buf_add_str(f, "(!(&(mail:caseExactIA5Match:=") != 0 ||
      kc_ldap_filter_value(f, row->email) != 0 || kc_buf_add_str(f, ")") != 0)
    return KC_ERR_TOO_LARGE;
  if (row->name[0] != '\0' &&
      (kc_buf_add_str(f, "(o:caseExactMatch:=") != 0 ||
       kc_ldap_filter_value(f, row->name) != 0 || kc_buf_add_str(f, ")") != 0))
    return KC_ERR_TOO_LARGE;
  return kc_buf_add_str(f, "))");
}

/* A name left empty in the file leaves the stored name alone. */
static int
start_modify(struct imp *im, const struct kc_csv_row *row, int *msgid)
{
  struct kc_ldap_mods m;
  struct kc_buf dn, f;
  int r;

  if ((r = row_dn(im, row, &dn)) != 0)
    return r;
  if ((r = assertion(row, &f)) != 0) {
    kc_buf_free(&dn);
    return r;
  }
  kc_ldap_mods_init(&m);
  kc_ldap_mods_add(&m, LDAP_MOD_REPLACE, "mail", row->email, NULL);
  if (row->name[0] != '\0')
    kc_ldap_mods_add(&m, LDAP_MOD_REPLACE, "o", row->name, NULL);
  r = kc_ldap_modify_start(&im->ad->ad_ldap, kc_buf_get(&dn), m.ms_ptr,
                           kc_buf_get(&f), msgid);
  kc_buf_free(&dn);
  kc_buf_free(&f);
  return r;
}

static void
row_failed(struct imp *im, const struct kc_csv_row *row, const char *what,
           const char *diag)
{
  char msg[KC_CSV_ERR_SIZE + 64];

  im->failed++;
  snprintf(msg, sizeof(msg), "line %lu: customer %s: %s%s%s", row->line,
           row->number, what, diag != NULL && diag[0] != '\0' ? ": " : "",
           diag != NULL ? diag : "");
  (void) add_err(im, row->line, msg);
}

static void
slot_drop(struct imp *im, size_t i)
{
  im->slot[i] = im->slot[--im->nslots];
}

/* The answer to slot i. */
static void
answered(struct imp *im, size_t i, int rc, const char *diag)
{
  const struct kc_csv_row *row = &im->rows[im->slot[i].row];
  int msgid, r;

  if (!im->slot[i].modifying && rc == LDAP_SUCCESS)
    im->added++;
  else if (!im->slot[i].modifying && rc == LDAP_ALREADY_EXISTS) {
    if ((r = start_modify(im, row, &msgid)) == 0) {
      im->slot[i].msgid = msgid;
      im->slot[i].modifying = true;
      return;
    }
    /* LDAP's own text when it refused; ours when building the request
     * failed before it was sent */
    row_failed(im, row,
               kc_ldap_error(&im->ad->ad_ldap)[0] != '\0'
                 ? kc_ldap_error(&im->ad->ad_ldap)
                 : kc_strerror(r),
               NULL);
  } else if (im->slot[i].modifying && rc == LDAP_SUCCESS)
    im->updated++;
  else if (im->slot[i].modifying && rc == LDAP_ASSERTION_FAILED)
    im->unchanged++;
  else
    row_failed(im, row, ldap_err2string(rc), diag);
  slot_drop(im, i);
}

/* Count the rows never answered as failed after the connection broke. */
static void
abandon(struct imp *im, size_t next)
{
  size_t left = im->nslots + (im->nrows - next);
  char msg[KC_CSV_ERR_SIZE + 64];

  snprintf(msg, sizeof(msg), "import stopped, %zu rows not written: %s", left,
           kc_ldap_error(&im->ad->ad_ldap));
  (void) add_err(im, ULONG_MAX, msg);
  im->failed += left;
  im->nslots = 0;
}

/* Keep up to KC_ADMIN_IMPORT_WINDOW writes in flight until every row is
 * answered. */
static void
pump(struct imp *im)
{
  char diag[KC_CSV_ERR_SIZE];
  size_t next = 0, i;
  int msgid, rc;

  while (next < im->nrows || im->nslots > 0) {
    while (im->nslots < KC_ADMIN_IMPORT_WINDOW && next < im->nrows) {
      if (start_add(im, &im->rows[next], &msgid) != 0) {
        abandon(im, next);
        return;
      }
      im->slot[im->nslots].msgid = msgid;
      im->slot[im->nslots].row = next++;
      im->slot[im->nslots++].modifying = false;
    }
    if (kc_ldap_wait(&im->ad->ad_ldap, &msgid, &rc, diag, sizeof(diag)) != 0) {
      abandon(im, next);
      return;
    }
    for (i = 0; i < im->nslots && im->slot[i].msgid != msgid; i++)
      ;
    if (i < im->nslots)
      answered(im, i, rc, diag);
    progress(im);
  }
}

/* ------------------------------------------------------------ report */

static void
report_errors(struct imp *im)
{
  size_t i;

  if (im->nerrs == 0)
    return;
  qsort(im->errs, im->nerrs, sizeof(*im->errs), cmp_err_line);
  for (i = 0; i < im->nerrs; i++)
    kc_log_warnx("%s: %s", im->path, im->errs[i].msg);
}

static void
summary_json(struct imp *im, bool imported)
{
  struct kc_admin_json *j = &im->ad->ad_js;
  size_t i;

  kc_admin_json_begin_obj(j, NULL);
  kc_admin_json_str(j, "file", im->path);
  kc_admin_json_bool(j, "imported", imported);
  kc_admin_json_int(j, "added", (long long) im->added);
  kc_admin_json_int(j, "updated", (long long) im->updated);
  kc_admin_json_int(j, "unchanged", (long long) im->unchanged);
  kc_admin_json_int(j, "skipped", (long long) im->skipped);
  kc_admin_json_int(j, "failed", (long long) im->failed);
  kc_admin_json_begin_arr(j, "errors");
  for (i = 0; i < im->nerrs; i++) {
    kc_admin_json_begin_obj(j, NULL);
    if (im->errs[i].line != ULONG_MAX)
      kc_admin_json_int(j, "line", (long long) im->errs[i].line);
    kc_admin_json_str(j, "message", im->errs[i].msg);
    kc_admin_json_end_obj(j);
  }
  kc_admin_json_end_arr(j);
  kc_admin_json_end_obj(j);
  kc_admin_json_end(j);
  im->ad->ad_printed = true;
}

static void
summary(struct imp *im, bool imported)
{
  if (im->ad->ad_json) {
    summary_json(im, imported);
    return;
  }
  if (!imported)
    fprintf(im->ad->ad_out, "%s: nothing imported: %zu bad row%s\n", im->path,
            im->skipped, im->skipped == 1 ? "" : "s");
  else
    fprintf(im->ad->ad_out,
            "%s: %zu added, %zu updated, %zu unchanged, %zu skipped, %zu "
            "failed\n",
            im->path, im->added, im->updated, im->unchanged, im->skipped,
            im->failed);
  fflush(im->ad->ad_out);
}

/* Read, check, and (unless strict refuses) write. */
static int
run(struct imp *im, bool strict)
{
  char *data = NULL;
  size_t len = 0;
  int r;

  r = read_file(im, &data, &len);
  if (r == 0)
    r = parse_all(im, data, len);
  free(data);
  if (r != 0 || drop_duplicates(im) != 0)
    return KC_ADMIN_EXIT_FAIL;
  im->skipped = im->nerrs;
  if (strict && im->skipped > 0) {
    report_errors(im);
    kc_admin_fail(im->ad, "%s: --strict: nothing imported, %zu bad row%s",
                  im->path, im->skipped, im->skipped == 1 ? "" : "s");
    summary(im, false);
    return KC_ADMIN_EXIT_FAIL;
  }
  if (kc_admin_connect(im->ad) != 0)
    return KC_ADMIN_EXIT_FAIL;
  kc_log_debug("import; file=%s rows=%zu bad=%zu window=%d", im->path,
               im->nrows, im->skipped, KC_ADMIN_IMPORT_WINDOW);
  pump(im);
  progress_end(im);
  report_errors(im);
  summary(im, true);
  if (im->failed > 0)
    return kc_admin_fail(im->ad, "%s: %zu row%s could not be written", im->path,
                         im->failed, im->failed == 1 ? "" : "s");
  return KC_ADMIN_EXIT_OK;
}

int
kc_admin_customer_import(struct kc_admin *ad, const char *path, bool strict)
{
  struct imp im;
  int r;

  memset(&im, 0, sizeof(im));
  im.ad = ad;
  im.path = path;
  im.drawn = -1;
  r = run(&im, strict);
  free(im.rows);
  free(im.errs);
  return r;
}
