/*
 * png.c: grayscale PNG (8 or 1 bit) with stored deflate blocks (see png.h).
 */
#include <config.h>

#include <string.h>

#include "kc_err.h"
#include "png.h"

/* A stored deflate block carries at most 65535 bytes (16-bit LEN). */
#define PNG_STORED_MAX 65535u

/* CRC-32, reflected polynomial 0xEDB88320, four bits at a time: a 16-entry
 * constant table needs no run-time initialisation (and so no lock). */
static const uint32_t crc_nibble[16] = {0x00000000, 0x1db71064, 0x3b6e20c8,
                                        0x26d930ac, 0x76dc4190, 0x6b6b51f4,
                                        0x4db26158, 0x5005713c, 0xedb88320,
                                        0xf00f9344, 0xd6d6a3e8, 0xcb61b38c,
                                        0x9b64c2b0, 0x86d3d2d4, 0xa00ae278,
                                        0xbdbdf21c};

uint32_t
kc_png_crc32(uint32_t crc, const void *p, size_t len)
{
  const unsigned char *b = p;
  size_t i;

  crc = ~crc;
  for (i = 0; i < len; i++) {
    crc ^= b[i];
    crc = (crc >> 4) ^ crc_nibble[crc & 15];
    crc = (crc >> 4) ^ crc_nibble[crc & 15];
  }
  return ~crc;
}

uint32_t
kc_png_adler32(uint32_t adler, const void *p, size_t len)
{
  const unsigned char *b = p;
  uint32_t s1 = adler & 0xffff, s2 = adler >> 16;
  size_t i;

  for (i = 0; i < len; i++) {
    s1 = (s1 + b[i]) % 65521;
    s2 = (s2 + s1) % 65521;
  }
  return (s2 << 16) | s1;
}

/* An image as the encoder walks it: rows of stride bytes each. */
struct png_img {
  const unsigned char *pix;
  size_t stride; /* bytes of one row, without the filter byte */
  unsigned w, h;
  unsigned char depth; /* bits a pixel: 8 or 1 */
};

/* Bytes of the filtered image data: each row is a filter byte and stride. */
static size_t
raw_size(const struct png_img *img)
{
  return (size_t) img->h * (img->stride + 1);
}

static size_t
stored_blocks(size_t raw)
{
  return raw == 0 ? 1 : (raw + PNG_STORED_MAX - 1) / PNG_STORED_MAX;
}

/* zlib header, the blocks with their 5-byte headers, Adler-32. */
static size_t
zlib_size(const struct png_img *img)
{
  size_t raw = raw_size(img);

  return 2 + raw + 5 * stored_blocks(raw) + 4;
}

static size_t
png_size(const struct png_img *img)
{
  /* signature, IHDR, IDAT, IEND; a chunk adds length, type and CRC. */
  return 8 + (12 + 13) + (12 + zlib_size(img)) + 12;
}

size_t
kc_png_gray_size(unsigned w, unsigned h)
{
  struct png_img img = {NULL, w, w, h, 8};

  return png_size(&img);
}

size_t
kc_png_gray1_size(unsigned w, unsigned h)
{
  struct png_img img = {NULL, ((size_t) w + 7) / 8, w, h, 1};

  return png_size(&img);
}

static int
add_u32be(struct kc_buf *out, uint32_t v)
{
  unsigned char b[4] = {(unsigned char) (v >> 24), (unsigned char) (v >> 16),
                        (unsigned char) (v >> 8), (unsigned char) v};

  return kc_buf_add(out, b, sizeof(b));
}

/* Length and type of a chunk; *start gets the offset the CRC begins at. */
static int
chunk_begin(struct kc_buf *out, const char type[4], uint32_t len, size_t *start)
{
  int r;

  if ((r = add_u32be(out, len)) != 0)
    return r;
  *start = kc_buf_len(out);
  return kc_buf_add(out, type, 4);
}

/* The CRC over type and data, from start to the end of out. */
static int
chunk_end(struct kc_buf *out, size_t start)
{
  const char *d = kc_buf_get(out);

  return add_u32be(out, kc_png_crc32(0, d + start, kc_buf_len(out) - start));
}

static int
add_ihdr(struct kc_buf *out, const struct png_img *img)
{
  /* bit depth, colour type 0 (gray), deflate, filter 0, no interlace */
  const unsigned char tail[5] = {img->depth, 0, 0, 0, 0};
  size_t start;
  int r;

  if ((r = chunk_begin(out, "IHDR", 13, &start)) != 0 ||
      (r = add_u32be(out, img->w)) != 0 || (r = add_u32be(out, img->h)) != 0 ||
      (r = kc_buf_add(out, tail, sizeof(tail))) != 0)
    return r;
  return chunk_end(out, start);
}

/* Append n bytes of the filtered data from offset from: a filter byte (0,
 * "None") before each row, then its pixels. */
static int
add_raw(struct kc_buf *out, const struct png_img *img, size_t from, size_t n,
        uint32_t *adler)
{
  static const unsigned char filter_none = 0;
  size_t stride = img->stride + 1, row, col, take;
  const unsigned char *src;
  int r;

  while (n > 0) {
    row = from / stride;
    col = from % stride;
    if (col == 0) {
      src = &filter_none;
      take = 1;
    } else {
      src = img->pix + row * img->stride + (col - 1);
      take = stride - col < n ? stride - col : n;
    }
    if ((r = kc_buf_add(out, src, take)) != 0)
      return r;
    *adler = kc_png_adler32(*adler, src, take);
    from += take;
    n -= take;
  }
  return 0;
}

/* One stored block: BFINAL bit, BTYPE 00, padding to the byte; LEN, NLEN
 * little-endian; the bytes. */
static int
add_stored_block(struct kc_buf *out, const struct png_img *img, size_t from,
                 size_t n, int final, uint32_t *adler)
{
  unsigned char hdr[5];
  int r;

  hdr[0] = final ? 1 : 0;
  hdr[1] = (unsigned char) (n & 0xff);
  hdr[2] = (unsigned char) (n >> 8);
  hdr[3] = (unsigned char) (~n & 0xff);
  hdr[4] = (unsigned char) ((~n >> 8) & 0xff);
  if ((r = kc_buf_add(out, hdr, sizeof(hdr))) != 0)
    return r;
  return add_raw(out, img, from, n, adler);
}

static int
add_idat(struct kc_buf *out, const struct png_img *img)
{
  /* CMF 0x78: deflate, 32 KiB window; FLG 0x01: no dictionary, level 0,
   * and 0x7801 is a multiple of 31 as RFC 1950 requires. */
  static const unsigned char zhdr[2] = {0x78, 0x01};
  size_t raw = raw_size(img), from = 0, n, start;
  uint32_t adler = 1;
  int r;

  if ((r = chunk_begin(out, "IDAT", (uint32_t) zlib_size(img), &start)) != 0 ||
      (r = kc_buf_add(out, zhdr, sizeof(zhdr))) != 0)
    return r;
  do {
    n = raw - from < PNG_STORED_MAX ? raw - from : PNG_STORED_MAX;
    r = add_stored_block(out, img, from, n, from + n == raw, &adler);
    if (r != 0)
      return r;
    from += n;
  } while (from < raw);
  if ((r = add_u32be(out, adler)) != 0)
    return r;
  return chunk_end(out, start);
}

static int
png_encode(struct kc_buf *out, const struct png_img *img)
{
  static const unsigned char sig[8] = {0x89, 'P',  'N',  'G',
                                       '\r', '\n', 0x1a, '\n'};
  size_t start;
  int r;

  if ((r = kc_buf_add(out, sig, sizeof(sig))) != 0 ||
      (r = add_ihdr(out, img)) != 0 || (r = add_idat(out, img)) != 0 ||
      (r = chunk_begin(out, "IEND", 0, &start)) != 0)
    return r;
  return chunk_end(out, start);
}

int
kc_png_gray(struct kc_buf *out, const unsigned char *pix, unsigned w,
            unsigned h)
{
  struct png_img img = {pix, w, w, h, 8};

  if (w == 0 || h == 0 || w > KC_PNG_MAX_DIM || h > KC_PNG_MAX_DIM)
    return KC_ERR_INVALID;
  return png_encode(out, &img);
}

int
kc_png_gray1(struct kc_buf *out, const unsigned char *rows, unsigned w,
             unsigned h)
{
  struct png_img img = {rows, ((size_t) w + 7) / 8, w, h, 1};

  if (w == 0 || h == 0 || w > KC_PNG_MAX_DIM1 || h > KC_PNG_MAX_DIM1)
    return KC_ERR_INVALID;
  return png_encode(out, &img);
}
