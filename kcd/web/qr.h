/*
 * qr.h: the QR code of the authenticator-app enrolment, as a PNG and as a
 * data: URI for an <img src> (DESIGN.md section 12).
 *
 * libqrencode makes the module matrix (error correction level M, 8-bit
 * mode, case sensitive); the PNG is kcd's own (kcd/captcha/png.c): 1-bit
 * grayscale, black modules on white, a quiet zone of KC_QR_QUIET modules,
 * each module KC_QR_SCALE x KC_QR_SCALE pixels, one IDAT of stored deflate
 * blocks. The text is an otpauth:// URI and so holds the TOTP secret: the
 * module matrix and the pixel rows are wiped before they are freed, and the
 * caller's buffers hold the secret too (kc_buf_free wipes them).
 *
 * No global state; thread-safe (see qr.c on libqrencode).
 */
#ifndef KC_QR_H
#define KC_QR_H

#include "kc_attrs.h"
#include "kc_buf.h"

/* Pixels a module: a usual otpauth URI (130-160 bytes, version 7-9) makes
 * a code of 320-370 px a side. */
#define KC_QR_SCALE 6
/* Modules of white around the code, as ISO/IEC 18004 asks. */
#define KC_QR_QUIET 4
/* Modules a side of the largest QR code (version 40). */
#define KC_QR_MAX_MODULES 177

/* Cap of kc_qr_png()'s output: the largest code (version 40, 1110 x 1110
 * pixels) is 155478 bytes; qr.c asserts this at compile time. */
#define KC_QR_PNG_MAX (152 * 1024)

/* Cap of kc_qr_data_uri()'s output: the prefix and the base64 of the PNG.
 * A usual otpauth URI makes 17-23 KB, which a page (KC_HTTP_MAX_PAGE)
 * holds easily; one near KC_MAX_TOTP_URI (190 KB) would not. */
#define KC_QR_DATA_URI_PREFIX "data:image/png;base64,"
#define KC_QR_DATA_URI_MAX                                                     \
  (sizeof(KC_QR_DATA_URI_PREFIX) - 1 + (KC_QR_PNG_MAX + 2) / 3 * 4)

/*
 * Append the PNG of the QR code of text (at most KC_MAX_TOTP_URI bytes) to
 * out; give out a cap of KC_QR_PNG_MAX. 0; KC_ERR_INVALID (text empty);
 * KC_ERR_TOO_LARGE (text over KC_MAX_TOTP_URI or too long for a QR code,
 * or the PNG over out's cap); KC_ERR_NOMEM; KC_ERR_INTERNAL (libqrencode
 * failed otherwise). On any failure out is wiped and freed.
 */
int kc_qr_png(struct kc_buf *out, const char *text) KC_MUST_USE
  KC_NONNULL(1, 2);

/*
 * Append "data:image/png;base64,..." of the same PNG to out, for an
 * <img src="..."> (base64 needs no HTML escaping); give out a cap of
 * KC_QR_DATA_URI_MAX. The response must set allow_data_img (http.h) so
 * the page's Content-Security-Policy lets the browser show it. Results as
 * kc_qr_png(); on any failure out is wiped and freed.
 */
int kc_qr_data_uri(struct kc_buf *out, const char *text) KC_MUST_USE
  KC_NONNULL(1, 2);

#endif /* KC_QR_H */
