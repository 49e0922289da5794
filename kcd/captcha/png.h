/*
 * png.h: a minimal PNG encoder for grayscale images: 8-bit (the image
 * captcha) and 1-bit (the QR code of the authenticator app). The output is
 * one IHDR, one IDAT and IEND; the IDAT holds a zlib stream (RFC 1950) of
 * stored deflate blocks (RFC 1951, BTYPE 00), every scanline with filter
 * type 0. No compression: a 200x70 captcha is 14 KiB, the QR code of an
 * otpauth URI about 15 KiB, and the encoder stays small enough to read in
 * one sitting. CRC-32 (PNG, ISO 3309) and Adler-32 (zlib) are implemented
 * here.
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

/* Largest width or height of a 1-bit image: the largest QR code (177
 * modules and the quiet zone) at 8 pixels a module fits; 2048 x 2048 is
 * 512 KiB of rows. */
#define KC_PNG_MAX_DIM1 2048

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

/* Bytes kc_png_gray1() appends for a w x h image. */
size_t kc_png_gray1_size(unsigned w, unsigned h);

/*
 * Append the PNG of the w x h 1-bit grayscale image rows to out: each row
 * is (w + 7) / 8 bytes, the leftmost pixel in the most significant bit, 1
 * white and 0 black (PNG's own meaning); bits past w in a row's last byte
 * are written as given (decoders ignore them). Results as kc_png_gray(),
 * with KC_PNG_MAX_DIM1 as the largest dimension.
 */
int kc_png_gray1(struct kc_buf *out, const unsigned char *rows, unsigned w,
                 unsigned h) KC_MUST_USE KC_NONNULL(1, 2);

/* CRC-32 as PNG uses it; start with crc = 0, feed pieces in order. */
uint32_t kc_png_crc32(uint32_t crc, const void *p, size_t len);

/* Adler-32 as zlib uses it; start with adler = 1. */
uint32_t kc_png_adler32(uint32_t adler, const void *p, size_t len);

#endif /* KC_PNG_H */
