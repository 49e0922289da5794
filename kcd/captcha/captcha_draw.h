/*
 * captcha_draw.h: draws the image captcha's text into a grayscale pixel
 * buffer, all by our own code: a built-in 5x7 bitmap font for the captcha
 * alphabet, each glyph scaled, rotated and sheared by its own random
 * amounts and displaced vertically, the whole line bent by a wave, then
 * crossing lines and dots as noise. Edges are supersampled 2x2, so people
 * see smooth letters while the noise keeps plain OCR from segmenting them.
 *
 * Every variation comes from the 64-bit seed: one seed always gives the
 * same picture, so fetching an image twice shows nothing new (no
 * averaging of several renderings). Pure and thread-safe.
 */
#ifndef KC_CAPTCHA_DRAW_H_INCLUDED
#define KC_CAPTCHA_DRAW_H_INCLUDED

#include <stdbool.h>
#include <stdint.h>

#include "kc_attrs.h"

/* Picture size: fits six glyphs of about 25x45 pixels with room to tilt. */
#define KC_CAPTCHA_DRAW_W 200
#define KC_CAPTCHA_DRAW_H 70

/* Characters the font has: no 0/O/Q, 1/I/L, and of the look-alike pairs
 * B/8, S/5, Z/2, G/6, U/V only one each. */
#define KC_CAPTCHA_DRAW_ALPHABET "ACDEFGHJKMNPRTUWXY2345789"

/* Longest text the layout has room for. */
#define KC_CAPTCHA_DRAW_MAX_TEXT 6

/* Is c in KC_CAPTCHA_DRAW_ALPHABET (upper case only)? */
bool kc_captcha_draw_has_glyph(char c);

/*
 * Fill pix (KC_CAPTCHA_DRAW_W * KC_CAPTCHA_DRAW_H bytes, row-major, 0 black
 * .. 255 white) with text drawn as described above. text holds 1 to
 * KC_CAPTCHA_DRAW_MAX_TEXT characters; others than the alphabet's are left
 * out. The pixels show the answer: wipe them after encoding.
 */
void kc_captcha_draw(unsigned char *pix, const char *text, uint64_t seed)
  KC_NONNULL(1, 2);

#endif /* KC_CAPTCHA_DRAW_H_INCLUDED */
