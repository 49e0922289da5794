/*
 * kc_buf.h: a bounded, always NUL-terminated byte buffer (curl's dynbuf
 * with git strbuf's documentation).
 *
 * Invariants once kc_buf_init() has run:
 *  - b->len <= b->cap; b->cap is the ceiling given at init and never grows;
 *  - when b->data != NULL, b->data[b->len] == '\0';
 *  - kc_buf_get() never returns NULL (an empty buffer yields "").
 * An append that would pass the ceiling fails with KC_ERR_TOO_LARGE and
 * wipes and frees the buffer, so no half-built content escapes; an
 * allocation failure does the same with KC_ERR_NOMEM.
 * kc_buf_free() always wipes, so buffers that hold secrets need no other
 * type. Not thread-safe; a buffer belongs to one thread at a time.
 */
#ifndef KC_BUF_H
#define KC_BUF_H

#include <stddef.h>

#include "kc_attrs.h"

struct kc_buf {
  char *data;  /* NULL until the first append */
  size_t len;  /* bytes used, excluding the NUL */
  size_t size; /* bytes allocated, including room for the NUL */
  size_t cap;  /* ceiling for len */
};

/* Prepare an empty buffer whose content may never exceed cap bytes.
 * Cannot fail. */
void kc_buf_init(struct kc_buf *b, size_t cap) KC_NONNULL(1);

/* Wipe and release the content; the buffer is empty and reusable with the
 * same cap afterwards. */
void kc_buf_free(struct kc_buf *b) KC_NONNULL(1);

/* Drop the content but keep the allocation; wipes what was there. */
void kc_buf_reset(struct kc_buf *b) KC_NONNULL(1);

/* Append len bytes (may contain NUL). 0, or KC_ERR_TOO_LARGE/KC_ERR_NOMEM
 * after which the buffer is freed. */
int kc_buf_add(struct kc_buf *b, const void *p, size_t len) KC_MUST_USE
  KC_NONNULL(1);

/* Append a NUL-terminated string. Same results as kc_buf_add(). */
int kc_buf_add_str(struct kc_buf *b, const char *s) KC_MUST_USE
  KC_NONNULL(1, 2);

/* Append printf-formatted text. Same results as kc_buf_add(). */
int kc_buf_printf(struct kc_buf *b, const char *fmt, ...) KC_MUST_USE
  KC_PRINTF(2, 3) KC_NONNULL(1, 2);

/* The content, NUL-terminated; "" when empty. Owned by the buffer. */
const char *kc_buf_get(const struct kc_buf *b) KC_NONNULL(1);

/* Bytes in use. */
size_t kc_buf_len(const struct kc_buf *b) KC_NONNULL(1);

/* Hand the content to the caller (free it with free(), or kc_wipe_free_str
 * for secrets) and leave the buffer empty. Returns NULL when the buffer was
 * never written to. */
char *kc_buf_detach(struct kc_buf *b) KC_NONNULL(1);

#endif /* KC_BUF_H */
