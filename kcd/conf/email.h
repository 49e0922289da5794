/*
 * email.h: the one grammar of an e-mail address kcd accepts, shared by
 * the kcd.conf parser (mail_from), the message builder, the web forms and
 * the kcadm CSV import. Pure; no allocation, no logging.
 */
#ifndef KC_EMAIL_H
#define KC_EMAIL_H

#include <stdbool.h>

#include "kc_attrs.h"

/* True when s is a plain addr-spec we send to: 3..KC_MAX_EMAIL bytes of
 * printable ASCII, a dot-atom local part (RFC 5322 atext and single dots
 * inside, at most 64 bytes), "@", and a domain of dot-separated labels of
 * letters, digits, "-" and "_" (1..63 each, no "-" at either end). No
 * quoted local parts, comments, blanks, angle brackets or IP literals. */
bool kc_email_valid(const char *s) KC_NONNULL(1);

/* True when s is a domain as kc_email_valid() accepts after "@" (the
 * Message-ID domain uses it too). */
bool kc_email_domain_valid(const char *s) KC_NONNULL(1);

#endif /* KC_EMAIL_H */
