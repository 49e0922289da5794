/*
 * www_assets.h: static files kcd serves, compiled into the binary so that
 * kcd needs no document root. The definitions (www_assets.c) are made at
 * build time from kcd/www/ by kcd/www/embed.sh; edit the files there.
 * Read-only data; thread-safe.
 */
#ifndef KC_WWW_ASSETS_H
#define KC_WWW_ASSETS_H

#include <stddef.h>

/* kcd/www/altcha-solver.js: the browser side of captcha = pow (see
 * captcha.h for the markup it expects). NUL-terminated; the length
 * excludes the NUL. */
extern const char kc_www_altcha_js[];
extern const size_t kc_www_altcha_js_len;
#define KC_WWW_ALTCHA_JS_TYPE "text/javascript; charset=utf-8"

#endif /* KC_WWW_ASSETS_H */
