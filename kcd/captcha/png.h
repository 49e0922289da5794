/*
 * png.h: a minimal PNG encoder for 8-bit grayscale images (the image
 * captcha). The output is one IHDR, one IDAT and IEND; the IDAT holds a
 * zlib stream (RFC 1950) of stored deflate blocks (RFC 1951, BTYPE 00),
 * every scanline with filter type 0. No compression: a 200x70 captcha is
 * 14 KiB, and the encoder stays small enough to read in one sitting.
 * CRC-32 (PNG, ISO 3309) and Adler-32 (zlib) are implemented here.
 *
 * Pure and thread-safe.
 */
#ifndef KC_PNG_H
#define KC_PNG_H

#include <stddef.h>
#include <stdint.h>

#include "kc_attrs.h"
#include "kc_buf.h"

/* Largest width or height we encode; captchas are far smaller. */
#define KC_PNG_MAX_DIM 1024

/* Bytes kc_png_gray() appends for a w x h image. */
size_t kc_png_gray_size(unsigned w, unsigned h);

/*
 * Append the PNG of the w x h grayscale image pix (row-major, one byte per
 * pixel, 0 black .. 255 white) to out. 0, KC_ERR_INVALID (a dimension is 0
 * or above KC_PNG_MAX_DIM), or KC_ERR_TOO_LARGE/KC_ERR_NOMEM from kc_buf
 * (the buffer is then freed).
 */
int kc_png_gray(struct kc_buf *out, const unsigned char *pix, unsigned w,
                unsigned h) KC_MUST_USE KC_NONNULL(1, 2);

/* CRC-32 as PNG uses it; start with crc = 0, feed pieces in order. */
uint32_t kc_png_crc32(uint32_t crc, const void *p, size_t len);

/* Adler-32 as zlib uses it; start with adler = 1. */
uint32_t kc_png_adler32(uint32_t adler, const void *p, size_t len);

#endif /* KC_PNG_H */
