/*
 * pages.h: the page handlers, one file each; only the route table
 * (routes.c) calls them. A handler reads struct kc_http_req and fills
 * struct kc_http_resp (http.h); it checks the method itself.
 */
#ifndef KC_PAGES_H
#define KC_PAGES_H

#include "http.h"

/* http_register.c: /register, the registration form and its POST. */
void kc_http_register(struct kc_http_req *req, struct kc_http_resp *resp)
  KC_NONNULL(1, 2);
/* http_activate.c: /activate, the link of the activation mail. */
void kc_http_activate(struct kc_http_req *req, struct kc_http_resp *resp)
  KC_NONNULL(1, 2);
/* http_credentials.c: /account/credentials. */
void kc_http_credentials(struct kc_http_req *req, struct kc_http_resp *resp)
  KC_NONNULL(1, 2);

#endif /* KC_PAGES_H */
