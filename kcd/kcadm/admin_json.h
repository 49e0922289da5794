/*
 * admin_json.h: kcadm's --json output, a small streaming JSON writer
 * (RFC 8259) onto a stdio stream, indented two spaces a level.
 *
 * Begin a document with kc_admin_json_begin_obj(j, NULL), add members
 * with a key, array elements with key NULL, close what you opened, and
 * end with kc_admin_json_end(). Strings are escaped by kc_esc_json_one()
 * (common/kc_esc.h): valid UTF-8 out, bytes that are not become U+FFFD.
 * Nesting deeper than KC_ADMIN_JSON_DEPTH is a programming error and is
 * ignored. Write errors show in ferror() of the stream.
 */
#ifndef KC_ADMIN_JSON_H
#define KC_ADMIN_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "kc_attrs.h"

/* kcadm's documents nest three or four levels deep. */
#define KC_ADMIN_JSON_DEPTH 8

struct kc_admin_json {
  FILE *j_out;
  unsigned j_depth;
  bool j_first[KC_ADMIN_JSON_DEPTH + 1]; /* next item is the first */
};

void kc_admin_json_init(struct kc_admin_json *j, FILE *out) KC_NONNULL(1, 2);

/* Containers; key is NULL at the top and inside arrays. */
void kc_admin_json_begin_obj(struct kc_admin_json *j, const char *key)
  KC_NONNULL(1);
void kc_admin_json_end_obj(struct kc_admin_json *j) KC_NONNULL(1);
void kc_admin_json_begin_arr(struct kc_admin_json *j, const char *key)
  KC_NONNULL(1);
void kc_admin_json_end_arr(struct kc_admin_json *j) KC_NONNULL(1);

/* Values; a NULL string is written as null. */
void kc_admin_json_str(struct kc_admin_json *j, const char *key,
                       const char *value) KC_NONNULL(1);
void kc_admin_json_int(struct kc_admin_json *j, const char *key,
                       long long value) KC_NONNULL(1);
void kc_admin_json_bool(struct kc_admin_json *j, const char *key, bool value)
  KC_NONNULL(1);
/* An array of strings (values NULL-terminated; NULL gives []). */
void kc_admin_json_strv(struct kc_admin_json *j, const char *key,
                        char *const *values) KC_NONNULL(1);

/* Finish the document with a newline and flush. */
void kc_admin_json_end(struct kc_admin_json *j) KC_NONNULL(1);

/* Write s as a JSON string literal, quotes included. */
void kc_admin_json_write_string(FILE *out, const char *s) KC_NONNULL(1, 2);

#endif /* KC_ADMIN_JSON_H */
