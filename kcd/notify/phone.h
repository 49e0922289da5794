/*
 * phone.h: mobile numbers as people type them, normalised to E.164, and
 * the masked forms of TAN destinations shown in prompts ("+49 177
 * ***4567", "m.mu***@example.org").
 *
 * Normalisation (kc_phone_normalize)
 *  - Accepted characters: digits, blanks, "-", "/", ".", "(", ")" and one
 *    leading "+". Parentheses must pair up and do not nest. Anything else
 *    (letters, "*", "#", extensions) is KC_ERR_INVALID.
 *  - International form: "+CC..." or "00CC...". The country code is split
 *    off with the ITU-T E.164 assignment, which is prefix-free (see
 *    kc_phone_cc_len). A trunk "0" right after the country code, written
 *    "(0)" or plain ("+49 (0) 177 ...", "+49 0177 ..."), is dropped, except
 *    for the countries whose national numbers keep their leading 0 (Italy
 *    39, San Marino 378, Vatican 379, Côte d'Ivoire 225).
 *  - National form: a single trunk "0" followed by the national number
 *    ("0177 1234567"); the configured country code is put in front. For
 *    the keep-the-0 countries above the 0 stays part of the number.
 *    Digits that start with neither "+", "00" nor "0" are refused as
 *    ambiguous ("49 177..." or "177..."): the number may lack a country
 *    code or a trunk prefix, and a guess could send a TAN to a stranger.
 *    National input assumes a trunk prefix "0" and an international
 *    prefix "00", as in Germany and most of Europe; numbers of countries
 *    that dial otherwise (1, 7, ...) must be typed in international form.
 *  - The result has KC_PHONE_MIN_DIGITS..15 digits (E.164 caps a number
 *    at 15) and at least KC_PHONE_MIN_NSN digits after the country code.
 *
 * Masks keep the country code, the first digits of the national number
 * and the last digits, with a fixed "***" in between so the mask does not
 * tell the length. Invalid input masks to "***".
 *
 * Everything here is pure and thread-safe; nothing logs.
 */
#ifndef KC_PHONE_H
#define KC_PHONE_H

#include <stdbool.h>
#include <stddef.h>

#include "kc_attrs.h"
#include "kc_limits.h"

/* E.164: at most 15 digits. */
#define KC_PHONE_MAX_DIGITS 15
/* Fewer than 8 digits in all is no mobile number anywhere we send SMS to
 * (Germany's shortest mobile numbers have 12); the floor stops fragments
 * such as "+49 177" from passing. */
#define KC_PHONE_MIN_DIGITS 8
/* Digits after the country code, at least. */
#define KC_PHONE_MIN_NSN 4
/* Room for an E.164 string: "+", 15 digits, NUL. */
#define KC_PHONE_E164_SIZE (KC_PHONE_MAX_DIGITS + 2)
/* Room for a masked number: "+CCC " + 3 digits + " ***" + 4 digits + NUL. */
#define KC_PHONE_MASK_SIZE 32
/* Room for a masked address: 4 + "***" + "@" + the domain. */
#define KC_MAIL_MASK_SIZE (KC_MAX_EMAIL + 8)

/*
 * Normalise the number typed in `in` to E.164 ("+491771234567") in out
 * (outlen bytes; KC_PHONE_E164_SIZE always suffices). country_code
 * (1..999, a code that exists in E.164) applies to national input only.
 * Returns 0, or KC_ERR_INVALID (bad character or form, unknown default
 * country code for national input), KC_ERR_RANGE (too few or too many
 * digits), KC_ERR_TOO_LARGE (in longer than KC_MAX_PHONE, or outlen too
 * small). On failure out is "" (when outlen > 0).
 */
int kc_phone_normalize(const char *in, unsigned country_code, char *out,
                       size_t outlen) KC_MUST_USE KC_NONNULL(1, 3);

/* True when s is "+" and KC_PHONE_MIN_DIGITS..15 digits with a country
 * code that does not start with 0 (what kc_phone_normalize produces). */
bool kc_phone_is_e164(const char *s) KC_NONNULL(1);

/* Number of digits (1..3) of the country code that starts the digit
 * string `digits` (no "+"), from the ITU-T E.164 list of assigned codes:
 * 1 and 7 have one digit, 20, 27, 30-34, 36, 39, 40, 41, 43-49, 51-58,
 * 60-66, 81, 82, 84, 86, 90-95 and 98 two, all others three. 0 when
 * digits starts with "0" or is too short. */
size_t kc_phone_cc_len(const char *digits) KC_NONNULL(1);

/*
 * Mask an E.164 number for display: "+491771234567" -> "+49 177
 * ***4567". Shows the country code, up to 3 leading digits of the
 * national number and up to 4 trailing ones, but always hides at least 3
 * digits. Writes "***" for input that is not E.164, and "" when even
 * that does not fit in outlen (> 0). KC_PHONE_MASK_SIZE always suffices.
 */
void kc_phone_mask(const char *e164, char *out, size_t outlen) KC_NONNULL(1, 2);

/*
 * Mask an e-mail address for display: "m.mustermann@example.org" ->
 * "m.mu***@example.org". Local parts of 8 or more characters show their
 * first 4, shorter ones their first character; the domain is shown
 * whole. Input that is not a plain ASCII local@domain (no blanks or
 * control characters, one "@") gives "***"; "" when that does not fit.
 * KC_MAIL_MASK_SIZE always suffices for addresses up to KC_MAX_EMAIL.
 */
void kc_mail_mask(const char *addr, char *out, size_t outlen) KC_NONNULL(1, 2);

#endif /* KC_PHONE_H */
