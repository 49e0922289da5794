/*
 * http_account.c: /account and its forms.
 */
#include <config.h>

#include "http.h"
#include "pages.h"
#include "route.h"

void
kc_http_account(struct kc_http_req *req, struct kc_http_resp *resp)
{
  (void) req;
  kc_http_not_found(resp);
}

void
kc_http_account_password(struct kc_http_req *req, struct kc_http_resp *resp)
{
  (void) req;
  kc_http_not_found(resp);
}

void
kc_http_account_factor(struct kc_http_req *req, struct kc_http_resp *resp)
{
  (void) req;
  kc_http_not_found(resp);
}

void
kc_http_account_email(struct kc_http_req *req, struct kc_http_resp *resp)
{
  (void) req;
  kc_http_not_found(resp);
}
