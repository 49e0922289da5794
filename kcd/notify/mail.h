/*
 * mail.h: plain-text mails from kcd (TANs, activation links): an RFC 5322
 * + MIME message builder and the maildir:, smtp:// and smtps://
 * transports of mail_transport (DESIGN.md §5, §9).
 *
 * Messages are text/plain; charset=UTF-8, quoted-printable, CRLF line
 * endings, with From, To, Subject (RFC 2047 encoded words when needed),
 * Date (UTC), a random Message-ID, MIME-Version and Auto-Submitted
 * (RFC 3834, so vacation responders stay quiet). Header injection is
 * impossible by construction: addresses are checked as plain addr-specs
 * and the subject and display name may hold no control character.
 *
 * Secrets: a message usually carries a TAN or a link. Message buffers are
 * wiped when freed, and no error text ever quotes a message, a subject or
 * the SMTP password.
 *
 * Start-up: call kc_delivery_global_init() (delivery.h) once before the
 * first kc_mail_send(). A struct kc_mail_cfg is written by
 * kc_mail_cfg_init() and read-only afterwards; kc_mail_send() may then run
 * in any number of threads at once with the same cfg (each call has its
 * own buffers and libcurl handle). Nothing here logs.
 */
#ifndef KC_MAIL_H
#define KC_MAIL_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "conf.h"
#include "email.h" /* kc_email_valid() */
#include "kc_attrs.h"
#include "kc_buf.h"
#include "phone.h" /* kc_mail_mask() */

/* Subjects are one line; 512 bytes is far above any we write. */
#define KC_MAIL_MAX_SUBJECT 512
/* Display names come from portal_name (at most 128 bytes). */
#define KC_MAIL_MAX_NAME 128
/* Body text: our mails are a few lines; 16 KiB leaves room for templates. */
#define KC_MAIL_MAX_TEXT (16 * 1024)
/* A whole message: quoted-printable grows text at most threefold plus
 * soft breaks, and the headers are small. */
#define KC_MAIL_MAX_MESSAGE (64 * 1024)

/* What kc_mail_build_msg() puts together. */
struct kc_mail_msg {
  const char *from_name;    /* display name for From, UTF-8; NULL: none */
  const char *from;         /* addr-spec */
  const char *to;           /* addr-spec */
  const char *subject;      /* UTF-8, one line */
  const char *text;         /* UTF-8 body; "\n" or "\r\n" end lines */
  const char *msgid_domain; /* right side of Message-ID; NULL: from's */
  time_t now;               /* for the Date header */
};

/* The mail side of kcd.conf, ready to send. Members are private; use the
 * functions below. mc_timeout and mc_connect_timeout (seconds) may be
 * changed after init. */
struct kc_mail_cfg {
  enum kc_conf_transport_kind mc_kind; /* NONE: kcd sends no mail */
  char *mc_url;                        /* smtp(s)://host[:port]/ehlo-name */
  char *mc_path;                       /* maildir root */
  char *mc_from;
  char *mc_from_name;        /* portal_name */
  char *mc_domain;           /* domain of mc_from: Message-ID and EHLO */
  char *mc_user;             /* SMTP AUTH user; NULL: no AUTH */
  struct kc_buf mc_password; /* secret; wiped by kc_mail_cfg_free() */
  enum kc_conf_starttls mc_starttls;
  long mc_connect_timeout;
  long mc_timeout;
};

/*
 * Build the message m into out (initialised here with cap
 * KC_MAIL_MAX_MESSAGE; the caller frees it with kc_buf_free(), which
 * wipes). Returns 0, or KC_ERR_INVALID (bad address or domain, a control
 * character in subject or name, text or subject not UTF-8, a control
 * character other than tab, CR and LF in the text), KC_ERR_TOO_LARGE (a
 * part over its KC_MAIL_MAX_* limit), KC_ERR_NOMEM; out is empty then.
 */
int kc_mail_build_msg(struct kc_buf *out,
                      const struct kc_mail_msg *m) KC_MUST_USE KC_NONNULL(1, 2);

/* kc_mail_build_msg() without a display name. */
int kc_mail_build(struct kc_buf *out, const char *from, const char *to,
                  const char *subject, const char *text,
                  const char *msgid_domain, time_t now) KC_MUST_USE
  KC_NONNULL(1, 2, 3, 4, 5);

/*
 * Fill cfg from c: transport, mail_from, portal_name (display name),
 * smtp_user and the password read from smtp_pw_file with
 * kc_conf_read_secret(), smtp_starttls, and the default timeouts
 * (KC_DELIVERY_CONNECT_TIMEOUT, KC_DELIVERY_TIMEOUT). A config without
 * mail_transport gives a cfg that refuses to send (kc_mail_enabled() is
 * false). Returns 0, or KC_ERR_* from reading the secret, KC_ERR_INVALID
 * for a mail_from we cannot send from, KC_ERR_NOMEM; err says why (it
 * names files, never their content). On failure cfg is cleared and
 * kc_mail_cfg_free() is still safe.
 */
int kc_mail_cfg_init(struct kc_mail_cfg *cfg, const struct kc_conf *c,
                     char *err, size_t errlen) KC_MUST_USE KC_NONNULL(1, 2);

/* Wipe the password and release everything; cfg is then as after a
 * failed init. Safe on a zeroed struct and twice. */
void kc_mail_cfg_free(struct kc_mail_cfg *cfg) KC_NONNULL(1);

/* True when cfg has a transport to send with. */
bool kc_mail_enabled(const struct kc_mail_cfg *cfg) KC_NONNULL(1);

/*
 * Build a message from cfg's sender to `to` and deliver it:
 *  - maildir: written to ROOT/tmp/<unique> (O_EXCL, 0600, fsync), then
 *    renamed into ROOT/new/; ROOT, tmp/, new/ and cur/ are created (0700)
 *    when missing; a failed delivery leaves nothing behind;
 *  - smtp:// and smtps://: libcurl; STARTTLS as smtp_starttls says, AUTH
 *    when smtp_user is set.
 * Returns 0; KC_ERR_INVALID / KC_ERR_TOO_LARGE for a message that cannot
 * be built; KC_ERR_UNAVAILABLE when no transport is configured or the
 * SMTP server cannot be reached or refuses the mail; KC_ERR_SYSTEM for a
 * maildir failure; KC_ERR_NOMEM. err gets a short reason that never
 * contains the message, the subject or a secret. Thread-safe with a
 * shared cfg.
 */
int kc_mail_send(const struct kc_mail_cfg *cfg, const char *to,
                 const char *subject, const char *text, char *err,
                 size_t errlen) KC_MUST_USE KC_NONNULL(1, 2, 3, 4);

#endif /* KC_MAIL_H */
