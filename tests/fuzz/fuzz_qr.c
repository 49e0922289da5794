/* libFuzzer target: the enrolment QR code (kcd/web/qr.c) of any text up to
 * its first NUL. Nothing may crash or read out of bounds; an empty text is
 * KC_ERR_INVALID and one over KC_MAX_TOTP_URI KC_ERR_TOO_LARGE; any other
 * gives a PNG whose IHDR is square, a whole number of modules at
 * KC_QR_SCALE with the quiet zone, a QR code size (17 + 4 v modules), of
 * exactly the length png.c's layout gives, within KC_QR_PNG_MAX; the data:
 * URI agrees with it in result and length. */
#include <config.h>

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kc_buf.h"
#include "kc_err.h"
#include "kc_limits.h"
#include "png.h"
#include "qr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint32_t
be32(const unsigned char *p)
{
  return (uint32_t) p[0] << 24 | (uint32_t) p[1] << 16 | (uint32_t) p[2] << 8 |
         p[3];
}

static void
check_png(const struct kc_buf *png)
{
  const unsigned char *p = (const unsigned char *) kc_buf_get(png);
  uint32_t w, h, modules;

  if (kc_buf_len(png) < 33 || kc_buf_len(png) > KC_QR_PNG_MAX ||
      memcmp(p, "\x89PNG\r\n\x1a\n", 8) != 0 || memcmp(p + 12, "IHDR", 4) != 0)
    __builtin_trap();
  w = be32(p + 16);
  h = be32(p + 20);
  if (w != h || w % KC_QR_SCALE != 0 || p[24] != 1 || p[25] != 0)
    __builtin_trap();
  modules = w / KC_QR_SCALE - 2 * KC_QR_QUIET;
  if (modules < 21 || modules > KC_QR_MAX_MODULES || (modules - 17) % 4 != 0)
    __builtin_trap();
  if (kc_buf_len(png) != kc_png_gray1_size(w, h))
    __builtin_trap();
}

/* The result r of a text of len bytes, and what was written. */
static void
check_result(int r, size_t len, const struct kc_buf *png,
             const struct kc_buf *uri)
{
  if (len == 0 && r != KC_ERR_INVALID)
    __builtin_trap();
  if (len > KC_MAX_TOTP_URI && r != KC_ERR_TOO_LARGE)
    __builtin_trap();
  if (r != 0 && r != KC_ERR_INVALID && r != KC_ERR_TOO_LARGE)
    __builtin_trap();
  if (r != 0) {
    if (kc_buf_len(png) != 0 || kc_buf_len(uri) != 0)
      __builtin_trap();
    return;
  }
  check_png(png);
  if (kc_buf_len(uri) !=
      sizeof(KC_QR_DATA_URI_PREFIX) - 1 + (kc_buf_len(png) + 2) / 3 * 4)
    __builtin_trap();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  struct kc_buf png, uri;
  char *text;
  size_t len;
  int r, r2;

  /* a little past the limit is enough to see it refused */
  if (size > KC_MAX_TOTP_URI + 16)
    size = KC_MAX_TOTP_URI + 16;
  if ((text = malloc(size + 1)) == NULL)
    return 0;
  memcpy(text, data, size);
  text[size] = '\0';
  len = strlen(text);

  kc_buf_init(&png, KC_QR_PNG_MAX);
  kc_buf_init(&uri, KC_QR_DATA_URI_MAX);
  r = kc_qr_png(&png, text);
  r2 = kc_qr_data_uri(&uri, text);
  if (r != r2)
    __builtin_trap();
  check_result(r, len, &png, &uri);
  kc_buf_free(&png);
  kc_buf_free(&uri);
  free(text);
  return 0;
}
