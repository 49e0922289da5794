/*
 * captcha_http.h: the captcha of the registration form, as the pages see
 * it: the form part, the check of a POST, the JSON description, and the
 * captcha's own URLs (/captcha/<id>.png, /captcha/challenge,
 * /static/altcha-solver.js). Which kind is configured (captcha = image |
 * pow | none) is decided here only.
 */
#ifndef KC_CAPTCHA_HTTP_H
#define KC_CAPTCHA_HTTP_H

#include <stdbool.h>

#include "http.h"

/* Append the captcha part of the form (error text next to it). */
int kc_captcha_http_render(struct kc_http_req *req, struct kc_http_resp *resp,
                           const char *error) KC_MUST_USE KC_NONNULL(1, 2);

/* Did the POST answer the captcha? 0 or -1. Single use. */
int kc_captcha_http_check(struct kc_http_req *req) KC_NONNULL(1);

/* Append the JSON value describing the captcha of a new form. A new
 * picture counts against the client's captcha limit as the HTML form's
 * does: over it, nothing is appended and *retry_after is the seconds to
 * wait (0 otherwise). 0 or -1. */
int kc_captcha_http_json(struct kc_http_req *req, struct kc_buf *out,
                         unsigned *retry_after) KC_MUST_USE KC_NONNULL(1, 2, 3);

/* Serve path when it is one of the captcha's URLs; false otherwise. */
bool kc_captcha_http_route(struct kc_http_req *req, struct kc_http_resp *resp)
  KC_NONNULL(1, 2);

#endif /* KC_CAPTCHA_HTTP_H */
