/*
 * admin_json.c: the streaming JSON writer of kcadm --json. See
 * admin_json.h.
 */
#include <config.h>

#include <string.h>

#include "admin_json.h"
#include "kc_esc.h"

void
kc_admin_json_init(struct kc_admin_json *j, FILE *out)
{
  memset(j, 0, sizeof(*j));
  j->j_out = out;
  j->j_first[0] = true;
}

void
kc_admin_json_write_string(FILE *out, const char *s)
{
  char esc[KC_ESC_JSON_ONE_MAX];
  size_t n, used;

  fputc('"', out);
  while (*s != '\0') {
    n = kc_esc_json_one(s, esc, &used);
    fwrite(esc, 1, n, out);
    s += used;
  }
  fputc('"', out);
}

static void
indent(struct kc_admin_json *j)
{
  unsigned i;

  for (i = 0; i < j->j_depth; i++)
    fputs("  ", j->j_out);
}

/* Separator, indentation and key before an item. */
static void
item(struct kc_admin_json *j, const char *key)
{
  if (j->j_depth > 0) {
    fputs(j->j_first[j->j_depth] ? "\n" : ",\n", j->j_out);
    indent(j);
  }
  j->j_first[j->j_depth] = false;
  if (key != NULL) {
    kc_admin_json_write_string(j->j_out, key);
    fputs(": ", j->j_out);
  }
}

static void
open_container(struct kc_admin_json *j, const char *key, char c)
{
  if (j->j_depth >= KC_ADMIN_JSON_DEPTH)
    return;
  item(j, key);
  fputc(c, j->j_out);
  j->j_depth++;
  j->j_first[j->j_depth] = true;
}

static void
close_container(struct kc_admin_json *j, char c)
{
  bool empty;

  if (j->j_depth == 0)
    return;
  empty = j->j_first[j->j_depth];
  j->j_depth--;
  if (!empty) {
    fputc('\n', j->j_out);
    indent(j);
  }
  fputc(c, j->j_out);
}

void
kc_admin_json_begin_obj(struct kc_admin_json *j, const char *key)
{
  open_container(j, key, '{');
}

void
kc_admin_json_end_obj(struct kc_admin_json *j)
{
  close_container(j, '}');
}

void
kc_admin_json_begin_arr(struct kc_admin_json *j, const char *key)
{
  open_container(j, key, '[');
}

void
kc_admin_json_end_arr(struct kc_admin_json *j)
{
  close_container(j, ']');
}

void
kc_admin_json_str(struct kc_admin_json *j, const char *key, const char *value)
{
  item(j, key);
  if (value == NULL)
    fputs("null", j->j_out);
  else
    kc_admin_json_write_string(j->j_out, value);
}

void
kc_admin_json_int(struct kc_admin_json *j, const char *key, long long value)
{
  item(j, key);
  fprintf(j->j_out, "%lld", value);
}

void
kc_admin_json_bool(struct kc_admin_json *j, const char *key, bool value)
{
  item(j, key);
  fputs(value ? "true" : "false", j->j_out);
}

void
kc_admin_json_strv(struct kc_admin_json *j, const char *key,
                   char *const *values)
{
  size_t i;

  kc_admin_json_begin_arr(j, key);
  for (i = 0; values != NULL && values[i] != NULL; i++)
    kc_admin_json_str(j, NULL, values[i]);
  kc_admin_json_end_arr(j);
}

void
kc_admin_json_end(struct kc_admin_json *j)
{
  fputc('\n', j->j_out);
  fflush(j->j_out);
  j->j_first[0] = true;
}
