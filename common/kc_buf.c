#include <config.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kc_buf.h"
#include "kc_err.h"
#include "kc_wipe.h"

#define KC_BUF_MIN_ALLOC 64

void
kc_buf_init(struct kc_buf *b, size_t cap)
{
  b->data = NULL;
  b->len = 0;
  b->size = 0;
  b->cap = cap;
}

void
kc_buf_free(struct kc_buf *b)
{
  if (b->data != NULL) {
    kc_wipe(b->data, b->size);
    free(b->data);
  }
  b->data = NULL;
  b->len = 0;
  b->size = 0;
}

void
kc_buf_reset(struct kc_buf *b)
{
  if (b->data != NULL) {
    kc_wipe(b->data, b->len);
    b->data[0] = '\0';
  }
  b->len = 0;
}

/* Grow so that need bytes plus the NUL fit. Never realloc(): the old block
 * is wiped before it is freed, so no stale copy of a secret survives. */
static int
grow(struct kc_buf *b, size_t need)
{
  size_t nsize;
  char *n;

  if (need < b->size)
    return 0;
  nsize = b->size < KC_BUF_MIN_ALLOC ? KC_BUF_MIN_ALLOC : b->size;
  while (nsize <= need) {
    if (nsize > b->cap / 2 + 1) {
      nsize = b->cap + 1;
      break;
    }
    nsize *= 2;
  }
  if (nsize <= need)
    nsize = need + 1;
  n = malloc(nsize);
  if (n == NULL)
    return KC_ERR_NOMEM;
  if (b->data != NULL) {
    memcpy(n, b->data, b->len);
    kc_wipe(b->data, b->size);
    free(b->data);
  }
  n[b->len] = '\0';
  b->data = n;
  b->size = nsize;
  return 0;
}

int
kc_buf_add(struct kc_buf *b, const void *p, size_t len)
{
  int r;

  if (len > b->cap - b->len) {
    kc_buf_free(b);
    return KC_ERR_TOO_LARGE;
  }
  if ((r = grow(b, b->len + len)) != 0) {
    kc_buf_free(b);
    return r;
  }
  if (len > 0)
    memcpy(b->data + b->len, p, len);
  b->len += len;
  b->data[b->len] = '\0';
  return 0;
}

int
kc_buf_add_str(struct kc_buf *b, const char *s)
{
  return kc_buf_add(b, s, strlen(s));
}

int
kc_buf_printf(struct kc_buf *b, const char *fmt, ...)
{
  va_list ap;
  char small[256];
  char *big = NULL;
  int n, r;

  va_start(ap, fmt);
  n = vsnprintf(small, sizeof(small), fmt, ap);
  va_end(ap);
  if (n < 0) {
    kc_buf_free(b);
    return KC_ERR_INVALID;
  }
  if ((size_t) n < sizeof(small)) {
    r = kc_buf_add(b, small, (size_t) n);
    kc_wipe(small, sizeof(small));
    return r;
  }
  if ((size_t) n > b->cap - b->len) {
    kc_wipe(small, sizeof(small));
    kc_buf_free(b);
    return KC_ERR_TOO_LARGE;
  }
  big = malloc((size_t) n + 1);
  if (big == NULL) {
    kc_wipe(small, sizeof(small));
    kc_buf_free(b);
    return KC_ERR_NOMEM;
  }
  va_start(ap, fmt);
  (void) vsnprintf(big, (size_t) n + 1, fmt, ap);
  va_end(ap);
  r = kc_buf_add(b, big, (size_t) n);
  kc_wipe(small, sizeof(small));
  kc_wipe(big, (size_t) n + 1);
  free(big);
  return r;
}

const char *
kc_buf_get(const struct kc_buf *b)
{
  return b->data != NULL ? b->data : "";
}

size_t
kc_buf_len(const struct kc_buf *b)
{
  return b->len;
}

char *
kc_buf_detach(struct kc_buf *b)
{
  char *d = b->data;

  b->data = NULL;
  b->len = 0;
  b->size = 0;
  return d;
}
