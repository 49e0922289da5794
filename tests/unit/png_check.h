/*
 * png_check.h: a PNG decoder for the unit tests, written apart from
 * kcd/captcha/png.c (bitwise CRC-32, its own Adler-32), for what png.c
 * writes: grayscale, bit depth 8 or 1, one or more IDAT chunks holding a
 * zlib stream of stored deflate blocks. Every step is a Check assertion,
 * so a malformed PNG fails the calling test.
 */
#ifndef KC_TEST_PNG_CHECK_H
#define KC_TEST_PNG_CHECK_H

#include <stddef.h>
#include <stdint.h>

struct decoded {
  uint32_t w, h;
  unsigned depth;     /* bits a pixel, from IHDR */
  size_t stride;      /* bytes of a row's pixels (without the filter byte) */
  unsigned char *raw; /* filtered scanlines; free() it */
  size_t raw_len;
};

/* Walk the chunks of a whole PNG, check every CRC, IHDR (grayscale, bit
 * depth 8 or 1, deflate, no interlace), the zlib stream and its Adler-32,
 * and that the scanlines fill the image exactly. */
void png_decode(const unsigned char *p, size_t len, struct decoded *d);

/* Every scanline has filter type 0 (None). */
void png_check_filters(const struct decoded *d);

/* Pixel (x, y) of a decoded 1-bit image: 1 white, 0 black. */
unsigned png_pixel1(const struct decoded *d, uint32_t x, uint32_t y);

#endif /* KC_TEST_PNG_CHECK_H */
