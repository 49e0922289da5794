/*
 * captcha_http.c: the registration captcha on the web front (see
 * captcha_http.h).
 */
#include <config.h>

#include <string.h>

#include "captcha_http.h"
#include "http_page.h"

int
kc_captcha_http_render(struct kc_http_req *req, struct kc_http_resp *resp,
  const char *error)
{
  (void) req;
  (void) resp;
  (void) error;
  return 0;
}

int
kc_captcha_http_check(struct kc_http_req *req)
{
  return kc_http_cfg(req->http)->captcha == KC_HTTP_CAPTCHA_NONE ? 0 : -1;
}

int
kc_captcha_http_json(struct kc_http_req *req, struct kc_buf *out)
{
  (void) req;
  return kc_buf_add_str(out, "{\"type\":\"none\"}");
}

bool
kc_captcha_http_route(struct kc_http_req *req, struct kc_http_resp *resp)
{
  (void) req;
  (void) resp;
  return false;
}
