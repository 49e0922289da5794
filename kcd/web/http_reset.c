/*
 * http_reset.c: GET and POST /account/reset, the forgotten password and
 * user name (DESIGN §11).
 */
#include <config.h>

#include "http.h"
#include "pages.h"
#include "route.h"

void
kc_http_reset(struct kc_http_req *req, struct kc_http_resp *resp)
{
  (void) req;
  kc_http_not_found(resp);
}
