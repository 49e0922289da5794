/*
 * enrol.h: the enrolment of the authenticator app as the activation form,
 * the first-login page and /account/second-factor show it (DESIGN §12),
 * and the page of new recovery codes.
 *
 * The section is part of a form: the QR code of the otpauth URI, the
 * secret in base32 beside it, a field totp_code and a hidden field
 * totp_sealed with the secret sealed for the page's bind string (the
 * account's entryUUID, or a string of the registration or of the typed
 * user name), so the form never carries the clear secret. A form sent
 * back with a wrong code shows the same secret again; one whose sealed
 * value does not open for bind shows a new one.
 *
 * totp_sealed is kc_factor_totp_new()'s value: a code is confirmed
 * against it, and it is opened again to show the secret once more after
 * a wrong code (it opens for an hour or two).
 *
 * A wrong code at enrolment counts nowhere: the secret is the one the
 * user is looking at, and the pages' own rate limits bound the tries.
 *
 * Clear secrets live only on the stack of these functions and are zeroed
 * before they return. Recovery codes are shown once and never logged.
 */
#ifndef KC_ENROL_H
#define KC_ENROL_H

#include <stdbool.h>
#include <stdint.h>

#include "http.h"
#include "kc_attrs.h"
#include "totp.h"

/* The enrolment state of one form. */
struct kc_enrol {
  char sealed[KC_TOTP_SEALED_LEN + 1];   /* hidden field totp_sealed */
  char code[KC_MAX_TOTP_CODE_INPUT + 1]; /* totp_code as typed */
  const char *e_code;                    /* error next to totp_code */
};

/* The secret of a form GET: a new one sealed for bind into e->sealed.
 * 0 or KC_ERR_*. */
int kc_enrol_new(const struct kc_http_req *req, struct kc_enrol *e,
                 const char *bind) KC_MUST_USE KC_NONNULL(1, 2, 3);

/* The section of a POSTed form: totp_sealed and totp_code. When the
 * sealed value is missing or does not open for bind, e gets a new
 * secret and e_code asks to scan it (*fresh true). 0 or KC_ERR_*. */
int kc_enrol_read(const struct kc_http_req *req, struct kc_enrol *e,
                  const char *bind, bool *fresh) KC_MUST_USE
  KC_NONNULL(1, 2, 3, 4);

/* Does e->code pass for the secret of the form now? 0 with *step and
 * secret (KC_TOTP_SECRET_BYTES; the caller zeroes it) set; otherwise
 * e->e_code says why: KC_ERR_INVALID (no code of that shape),
 * KC_ERR_DENIED (wrong) or another error (the sealed value did not open:
 * too old or changed; e then holds a new secret to scan). */
int kc_enrol_confirm(const struct kc_http_req *req, struct kc_enrol *e,
                     const char *bind, uint64_t *step,
                     unsigned char secret[KC_TOTP_SECRET_BYTES]) KC_MUST_USE
  KC_NONNULL(1, 2, 3, 4, 5);

/* The section: a short how-to, the QR code of the URI for user (the
 * account's name in the app, portal_name the issuer), the secret grouped
 * in fours, the hidden sealed value and the code field. Marks resp as
 * showing a data: image. 0 or -1. */
int kc_enrol_render(const struct kc_http_req *req, struct kc_http_resp *resp,
                    const struct kc_enrol *e, const char *bind,
                    const char *user) KC_MUST_USE KC_NONNULL(1, 2, 3, 4, 5);

/* For a JSON client: ,"totp_sealed":...,"totp_secret":BASE32,
 * "totp_uri":otpauth://... appended to a JSON object being built (b
 * without its closing brace). 0 or -1. */
int kc_enrol_json(const struct kc_http_req *req, struct kc_buf *b,
                  const struct kc_enrol *e, const char *bind,
                  const char *user) KC_MUST_USE KC_NONNULL(1, 2, 3, 4, 5);

/* New recovery codes shown once: a heading, the advice, the list. 0 or
 * -1. */
int kc_enrol_codes_render(
  const struct kc_http_req *req, struct kc_http_resp *resp,
  char codes[KC_RECOVERY_COUNT][KC_RECOVERY_SHOWN_LEN + 1]) KC_MUST_USE
  KC_NONNULL(1, 2, 3);

/* ,"recovery_codes":["...",...] appended to a JSON object being built
 * (b without its closing brace). 0 or -1. */
int kc_enrol_codes_json(
  struct kc_buf *b,
  char codes[KC_RECOVERY_COUNT][KC_RECOVERY_SHOWN_LEN + 1]) KC_MUST_USE
  KC_NONNULL(1, 2);

#endif /* KC_ENROL_H */
