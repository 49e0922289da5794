/*
 * qr.c: the enrolment QR code as a PNG and a data: URI (see qr.h).
 *
 * Thread safety: libqrencode guards its lazily built tables (Reed-Solomon
 * generator polynomials) with a mutex when it is built with pthreads, and
 * Debian's libqrencode4 is (it imports pthread_mutex_lock); everything
 * else here is on the caller's stack or heap.
 */
#include <config.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <qrencode.h>
#include <sodium.h>

#include "kc_err.h"
#include "kc_limits.h"
#include "kc_wipe.h"
#include "png.h"
#include "qr.h"

/* The largest image and its PNG, as png.c lays it out (signature, IHDR,
 * IDAT with zlib header, 5 bytes a stored block of at most 65535 bytes
 * and Adler-32, IEND). */
#define QR_SIDE_MAX ((KC_QR_MAX_MODULES + 2 * KC_QR_QUIET) * KC_QR_SCALE)
#define QR_RAW_MAX  ((size_t) QR_SIDE_MAX * ((QR_SIDE_MAX + 7) / 8 + 1))
_Static_assert(8 + 25 + 12 + 2 + QR_RAW_MAX +
                   5 * ((QR_RAW_MAX + 65534) / 65535) + 4 + 12 <=
                 KC_QR_PNG_MAX,
               "the largest QR code fits KC_QR_PNG_MAX");
_Static_assert(QR_SIDE_MAX <= KC_PNG_MAX_DIM1, "png.c takes the largest code");

/* Bytes of PNG base64-encoded at a time: a multiple of 3, so only the last
 * piece can carry padding. */
#define QR_B64_CHUNK 768
_Static_assert(QR_B64_CHUNK % 3 == 0, "base64 pieces join without padding");

static void
qr_free(QRcode *qr)
{
  kc_wipe(qr->data, (size_t) qr->width * (size_t) qr->width);
  QRcode_free(qr);
}

/* The module matrix of text in *qr, or a KC_ERR_* and *qr NULL. */
static int
qr_encode(QRcode **qr, const char *text)
{
  size_t len = strnlen(text, KC_MAX_TOTP_URI + 1);

  *qr = NULL;
  if (len == 0)
    return KC_ERR_INVALID;
  if (len > KC_MAX_TOTP_URI)
    return KC_ERR_TOO_LARGE;
  errno = 0;
  *qr = QRcode_encodeString(text, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
  if (*qr == NULL) {
    switch (errno) {
      case ENOMEM:
        return KC_ERR_NOMEM;
      case ERANGE: /* more than a version 40 code holds */
        return KC_ERR_TOO_LARGE;
      case EINVAL:
        return KC_ERR_INVALID;
      default:
        return KC_ERR_INTERNAL;
    }
  }
  if ((*qr)->width < 21 || (*qr)->width > KC_QR_MAX_MODULES) {
    qr_free(*qr);
    *qr = NULL;
    return KC_ERR_INTERNAL;
  }
  return 0;
}

/* Draw the matrix into side x side 1-bit rows of stride bytes, all white
 * (1) to begin with; a dark module (bit 0 of its byte) becomes a black
 * square of KC_QR_SCALE pixels a side. */
static void
qr_render(const QRcode *qr, unsigned char *rows, size_t stride)
{
  size_t w = (size_t) qr->width, mx, my, x, k;
  unsigned char *row;

  for (my = 0; my < w; my++) {
    row = rows + (my + KC_QR_QUIET) * KC_QR_SCALE * stride;
    for (mx = 0; mx < w; mx++) {
      if ((qr->data[my * w + mx] & 1) == 0)
        continue;
      x = (mx + KC_QR_QUIET) * KC_QR_SCALE;
      for (k = x; k < x + KC_QR_SCALE; k++)
        row[k / 8] &= (unsigned char) ~(0x80u >> (k % 8));
    }
    for (k = 1; k < KC_QR_SCALE; k++)
      memcpy(row + k * stride, row, stride);
  }
}

int
kc_qr_png(struct kc_buf *out, const char *text)
{
  QRcode *qr = NULL;
  unsigned char *rows = NULL;
  unsigned side = 0;
  size_t stride = 0;
  int r;

  if ((r = qr_encode(&qr, text)) != 0)
    goto out;
  side = ((unsigned) qr->width + 2 * KC_QR_QUIET) * KC_QR_SCALE;
  stride = ((size_t) side + 7) / 8;
  if ((rows = malloc(stride * side)) == NULL) {
    r = KC_ERR_NOMEM;
    goto out;
  }
  memset(rows, 0xff, stride * side);
  qr_render(qr, rows, stride);
  r = kc_png_gray1(out, rows, side, side);
out:
  if (rows != NULL) {
    kc_wipe(rows, stride * side);
    free(rows);
  }
  if (qr != NULL)
    qr_free(qr);
  if (r != 0)
    kc_buf_free(out);
  return r;
}

/* Append the standard base64 (with padding) of p to out. */
static int
add_base64(struct kc_buf *out, const unsigned char *p, size_t len)
{
  char b64[QR_B64_CHUNK / 3 * 4 + 1];
  size_t n;
  int r = 0;

  while (len > 0 && r == 0) {
    n = len < QR_B64_CHUNK ? len : QR_B64_CHUNK;
    sodium_bin2base64(b64, sizeof(b64), p, n, sodium_base64_VARIANT_ORIGINAL);
    r = kc_buf_add_str(out, b64);
    p += n;
    len -= n;
  }
  kc_wipe(b64, sizeof(b64));
  return r;
}

int
kc_qr_data_uri(struct kc_buf *out, const char *text)
{
  struct kc_buf png;
  int r;

  kc_buf_init(&png, KC_QR_PNG_MAX);
  if ((r = kc_qr_png(&png, text)) != 0 ||
      (r = kc_buf_add_str(out, KC_QR_DATA_URI_PREFIX)) != 0)
    goto out;
  r =
    add_base64(out, (const unsigned char *) kc_buf_get(&png), kc_buf_len(&png));
out:
  kc_buf_free(&png);
  if (r != 0)
    kc_buf_free(out);
  return r;
}
