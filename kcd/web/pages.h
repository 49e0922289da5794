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

/* http_login.c: /account/login (password, then the second factor) and
 * /account/logout. */
void kc_http_login(struct kc_http_req *req, struct kc_http_resp *resp)
  KC_NONNULL(1, 2);
void kc_http_logout(struct kc_http_req *req, struct kc_http_resp *resp)
  KC_NONNULL(1, 2);
/* http_account.c: /account and its forms /account/password,
 * /account/second-factor, /account/email (and the e-mail confirmation
 * link). */
void kc_http_account(struct kc_http_req *req, struct kc_http_resp *resp)
  KC_NONNULL(1, 2);
void kc_http_account_password(struct kc_http_req *req,
                              struct kc_http_resp *resp) KC_NONNULL(1, 2);
void kc_http_account_factor(struct kc_http_req *req, struct kc_http_resp *resp)
  KC_NONNULL(1, 2);
void kc_http_account_email(struct kc_http_req *req, struct kc_http_resp *resp)
  KC_NONNULL(1, 2);
/* http_users.c: /account/users, the main user manages the practice's
 * users. */
void kc_http_users(struct kc_http_req *req, struct kc_http_resp *resp)
  KC_NONNULL(1, 2);
/* http_reset.c: /account/reset, the forgotten password and user name. */
void kc_http_reset(struct kc_http_req *req, struct kc_http_resp *resp)
  KC_NONNULL(1, 2);

#endif /* KC_PAGES_H */
