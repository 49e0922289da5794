/*
 * png_check.c: the tests' PNG decoder (see png_check.h).
 */
#include <config.h>

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "png_check.h"

static uint32_t
be32(const unsigned char *p)
{
  return (uint32_t) p[0] << 24 | (uint32_t) p[1] << 16 | (uint32_t) p[2] << 8 |
         p[3];
}

/* Bitwise CRC-32 (unlike the encoder's nibble table). */
static uint32_t
ref_crc32(const unsigned char *p, size_t len)
{
  uint32_t crc = 0xffffffffu;
  size_t i;
  int k;

  for (i = 0; i < len; i++) {
    crc ^= p[i];
    for (k = 0; k < 8; k++)
      crc = crc & 1 ? (crc >> 1) ^ 0xedb88320u : crc >> 1;
  }
  return crc ^ 0xffffffffu;
}

static uint32_t
ref_adler32(const unsigned char *p, size_t len)
{
  uint64_t a = 1, b = 0;
  size_t i;

  for (i = 0; i < len; i++) {
    a = (a + p[i]) % 65521;
    b = (b + a) % 65521;
  }
  return (uint32_t) (b << 16 | a);
}

/* Inflate a zlib stream made only of stored blocks. */
static void
inflate_stored(const unsigned char *z, size_t zlen, struct decoded *d)
{
  size_t pos = 2, len;
  int final = 0;

  ck_assert_uint_ge(zlen, 2 + 5 + 4);
  ck_assert_uint_eq(z[0] & 0x0f, 8); /* deflate */
  ck_assert_uint_le(z[0] >> 4, 7);   /* window <= 32 KiB */
  ck_assert_uint_eq((z[0] * 256u + z[1]) % 31, 0);
  ck_assert_uint_eq(z[1] & 0x20, 0); /* no preset dictionary */
  d->raw = NULL;
  d->raw_len = 0;
  while (!final) {
    ck_assert_uint_le(pos + 5, zlen);
    final = z[pos] & 1;
    ck_assert_uint_eq((z[pos] >> 1) & 3, 0); /* BTYPE 00: stored */
    len = z[pos + 1] | (size_t) z[pos + 2] << 8;
    ck_assert_uint_eq(len ^ 0xffff,
                      z[pos + 3] | (size_t) z[pos + 4] << 8); /* NLEN */
    pos += 5;
    ck_assert_uint_le(pos + len, zlen);
    d->raw = realloc(d->raw, d->raw_len + len + 1);
    ck_assert_ptr_nonnull(d->raw);
    memcpy(d->raw + d->raw_len, z + pos, len);
    d->raw_len += len;
    pos += len;
  }
  ck_assert_uint_eq(pos + 4, zlen);
  ck_assert_uint_eq(be32(z + pos), ref_adler32(d->raw, d->raw_len));
}

/* Walk the chunks of a whole PNG, check every CRC and the image layout. */
void
png_decode(const unsigned char *p, size_t len, struct decoded *d)
{
  static const unsigned char sig[8] = {0x89, 'P',  'N',  'G',
                                       '\r', '\n', 0x1a, '\n'};
  unsigned char *idat = NULL;
  size_t pos = 8, idat_len = 0, n = 0, clen;
  int seen_end = 0;

  ck_assert_uint_ge(len, 8);
  ck_assert_mem_eq(p, sig, 8);
  while (!seen_end) {
    ck_assert_uint_le(pos + 12, len);
    clen = be32(p + pos);
    ck_assert_uint_le(pos + 12 + clen, len);
    ck_assert_uint_eq(be32(p + pos + 8 + clen),
                      ref_crc32(p + pos + 4, clen + 4));
    if (memcmp(p + pos + 4, "IHDR", 4) == 0) {
      ck_assert_uint_eq(n, 0);
      ck_assert_uint_eq(clen, 13);
      d->w = be32(p + pos + 8);
      d->h = be32(p + pos + 12);
      d->depth = p[pos + 16];
      ck_assert(d->depth == 8 || d->depth == 1);
      ck_assert_uint_eq(p[pos + 17], 0); /* grayscale */
      ck_assert_uint_eq(p[pos + 18], 0); /* deflate */
      ck_assert_uint_eq(p[pos + 19], 0); /* filter method */
      ck_assert_uint_eq(p[pos + 20], 0); /* no interlace */
    } else if (memcmp(p + pos + 4, "IDAT", 4) == 0) {
      ck_assert_uint_gt(n, 0);
      idat = realloc(idat, idat_len + clen + 1);
      ck_assert_ptr_nonnull(idat);
      memcpy(idat + idat_len, p + pos + 8, clen);
      idat_len += clen;
    } else if (memcmp(p + pos + 4, "IEND", 4) == 0) {
      ck_assert_uint_eq(clen, 0);
      seen_end = 1;
    } else {
      ck_abort_msg("unexpected chunk");
    }
    pos += 12 + clen;
    n++;
  }
  ck_assert_uint_eq(pos, len); /* nothing after IEND */
  inflate_stored(idat, idat_len, d);
  free(idat);
  d->stride = ((size_t) d->w * d->depth + 7) / 8;
  ck_assert_uint_eq(d->raw_len, (size_t) d->h * (d->stride + 1));
}

void
png_check_filters(const struct decoded *d)
{
  uint32_t y;

  for (y = 0; y < d->h; y++)
    ck_assert_uint_eq(d->raw[(size_t) y * (d->stride + 1)], 0);
}

unsigned
png_pixel1(const struct decoded *d, uint32_t x, uint32_t y)
{
  const unsigned char *row = d->raw + (size_t) y * (d->stride + 1) + 1;

  /* called per pixel: no ck_assert on success (each one costs a message
   * to the Check parent) */
  if (d->depth != 1 || x >= d->w || y >= d->h)
    ck_abort_msg("png_pixel1(%u, %u) outside a %ux%u 1-bit image", x, y, d->w,
                 d->h);
  return (row[x / 8] >> (7 - x % 8)) & 1;
}
