/*
 * http_login.c: /account/login and /account/logout.
 */
#include <config.h>

#include "http.h"
#include "pages.h"
#include "route.h"

void
kc_http_login(struct kc_http_req *req, struct kc_http_resp *resp)
{
  (void) req;
  kc_http_not_found(resp);
}

void
kc_http_logout(struct kc_http_req *req, struct kc_http_resp *resp)
{
  (void) req;
  kc_http_not_found(resp);
}
