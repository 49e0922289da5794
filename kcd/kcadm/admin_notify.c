/*
 * admin_notify.c: the mail that carries a temporary password to the user
 * of a provisioned or reset account (`--mail-password`), sent through
 * kcd's mail_transport. German unless the account or customer says
 * kcLanguage: en, like kcd's other mails.
 */
#include <config.h>

#include <string.h>

#include <sodium.h>

#include "admin.h"
#include "admin_int.h"
#include "delivery.h"
#include "kc_err.h"
#include "mail.h"

int
kc_admin_notify_check(struct kc_admin *ad)
{
  const struct kc_conf *c = &ad->ad_conf;

  if (kc_admin_load(ad) != 0)
    return KC_ADMIN_EXIT_FAIL;
  if (c->mail_transport.kind == KC_CONF_TRANSPORT_NONE || c->mail_from == NULL)
    return kc_admin_usage(ad, "--mail-password needs mail_transport and "
                              "mail_from in kcd.conf");
  return 0;
}

/* The first paragraph of the mail. */
static int
intro(struct kc_buf *text, const char *portal, bool en, bool reset)
{
  if (en)
    return reset ? kc_buf_printf(text,
                                 "Hello,\n\na new temporary password "
                                 "was set for your access to the %s.",
                                 portal)
                 : kc_buf_printf(text,
                                 "Hello,\n\nan access to the %s was set "
                                 "up for you.",
                                 portal);
  return reset ? kc_buf_printf(text,
                               "Guten Tag,\n\nf\xc3\xbcr Ihren Zugang "
                               "zum %s wurde ein neues vorl\xc3\xa4ufiges "
                               "Passwort gesetzt.",
                               portal)
               : kc_buf_printf(text,
                               "Guten Tag,\n\nf\xc3\xbcr Sie wurde ein "
                               "Zugang zum %s eingerichtet.",
                               portal);
}

/* User name, password, and what to do next. */
static int
body(struct kc_buf *text, const char *user, const char *pw, const char *url,
     bool en, bool reset)
{
  const char *at = url != NULL ? (en ? " at " : " unter ") : "";

  if (url == NULL)
    url = "";
  if (en)
    return kc_buf_printf(text,
                         "\n\nUser name: %s\nTemporary password: %s\n\n"
                         "Please log in%s%s. You will then be asked to "
                         "choose a new password%s.\n\n"
                         "This message was sent automatically.\n",
                         user, pw, at, url,
                         reset ? "" : ", a new user name and your TAN method");
  return kc_buf_printf(text,
                       "\n\nBenutzername: %s\nVorl\xc3\xa4ufiges "
                       "Passwort: %s\n\nBitte melden Sie sich damit "
                       "an%s%s. Sie werden dann gebeten, ein neues "
                       "Passwort%s zu w\xc3\xa4hlen.\n\n"
                       "Diese Nachricht wurde automatisch erstellt.\n",
                       user, pw, at, url,
                       reset
                         ? ""
                         : ", einen neuen Benutzernamen und Ihr TAN-Verfahren");
}

/* Subject and text in German or English. */
static int
compose(struct kc_admin *ad, struct kc_buf *subject, struct kc_buf *text,
        const char *user, const char *pw, const char *lang, bool reset)
{
  const char *portal = ad->ad_conf.portal_name;
  bool en = strcmp(lang, "en") == 0;
  int r;

  kc_buf_init(subject, KC_MAIL_MAX_SUBJECT);
  kc_buf_init(text, KC_MAIL_MAX_TEXT);
  if (en)
    r = reset
          ? kc_buf_printf(subject, "New temporary password for the %s", portal)
          : kc_buf_printf(subject, "Your access to the %s", portal);
  else
    r = reset ? kc_buf_printf(subject,
                              "Neues vorl\xc3\xa4ufiges Passwort "
                              "f\xc3\xbcr das %s",
                              portal)
              : kc_buf_printf(subject, "Ihr Zugang zum %s", portal);
  if (r != 0 || (r = intro(text, portal, en, reset)) != 0)
    return r;
  return body(text, user, pw, ad->ad_conf.login_url, en, reset);
}

static int
send_mail(struct kc_admin *ad, const char *addr, const char *subject,
          const char *text)
{
  struct kc_mail_cfg cfg;
  char err[KC_DELIVERY_ERR_SIZE];
  int r;

  memset(&cfg, 0, sizeof(cfg));
  if (kc_delivery_global_init() != 0)
    return kc_admin_fail(ad, "mail: cannot start libcurl");
  r = kc_mail_cfg_init(&cfg, &ad->ad_conf, err, sizeof(err));
  if (r == 0)
    r = kc_mail_send(&cfg, addr, subject, text, err, sizeof(err));
  kc_mail_cfg_free(&cfg);
  kc_delivery_global_cleanup();
  if (r != 0)
    return kc_admin_fail(ad, "mail to %s failed: %s", addr, err);
  return 0;
}

int
kc_admin_notify_password(struct kc_admin *ad, const char *addr,
                         const char *user, const char *pw, const char *lang,
                         bool reset)
{
  struct kc_buf subject, text;
  int r;

  if (compose(ad, &subject, &text, user, pw, lang, reset) != 0)
    r = kc_admin_fail(ad, "mail to %s: message too long", addr);
  else
    r = send_mail(ad, addr, kc_buf_get(&subject), kc_buf_get(&text));
  kc_buf_free(&subject);
  kc_buf_free(&text);
  return r;
}
