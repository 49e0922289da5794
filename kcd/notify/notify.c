/*
 * notify.c: TAN messages in the account's language, handed to the mail or
 * SMS transport (see notify.h).
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "conf.h"
#include "kc_err.h"
#include "kc_ldap.h"
#include "mail.h"
#include "notify.h"
#include "phone.h"
#include "sms.h"

#include <sodium.h>

struct kc_notify {
  struct kc_mail_cfg mail;
  struct kc_sms_cfg sms;
  bool have_mail, have_sms;
  const char *portal;     /* owned by the configuration */
  const char *public_url; /* the same; NULL: mails carry no links */
  unsigned country_code;
};

int
kc_notify_new(struct kc_notify **out, const struct kc_conf *c, char *err,
              size_t errlen)
{
  struct kc_notify *n;

  *out = NULL;
  if ((n = calloc(1, sizeof(*n))) == NULL)
    return KC_ERR_NOMEM;
  n->portal = c->portal_name;
  n->public_url = c->public_url;
  n->country_code = c->default_country_code;
  n->have_mail = c->mail_transport.kind != KC_CONF_TRANSPORT_NONE;
  n->have_sms = c->sms_transport.kind != KC_CONF_TRANSPORT_NONE;
  if ((n->have_mail && kc_mail_cfg_init(&n->mail, c, err, errlen) != 0) ||
      (n->have_sms && kc_sms_cfg_init(&n->sms, c, err, errlen) != 0)) {
    kc_notify_free(n);
    return KC_ERR_INVALID;
  }
  *out = n;
  return 0;
}

void
kc_notify_free(struct kc_notify *n)
{
  if (n == NULL)
    return;
  if (n->have_mail)
    kc_mail_cfg_free(&n->mail);
  if (n->have_sms)
    kc_sms_cfg_free(&n->sms);
  free(n);
}

static bool
english(const struct kc_ldap_user *u)
{
  return strcmp(u->language, "en") == 0;
}

void
kc_notify_destination(const struct kc_notify *n, const struct kc_ldap_user *u,
                      char *out, size_t outlen)
{
  char e164[KC_MAX_PHONE + 1];

  out[0] = '\0';
  if (strcmp(u->tan_method, "email") == 0 && u->mail[0] != '\0')
    kc_mail_mask(u->mail, out, outlen);
  else if (strcmp(u->tan_method, "mtan") == 0 &&
           kc_phone_normalize(u->mobile, n->country_code, e164, sizeof(e164)) ==
             0)
    kc_phone_mask(e164, out, outlen);
}

static int
send_mail(const struct kc_notify *n, const struct kc_ldap_user *u,
          const char *tan, unsigned ttl, char *err, size_t errlen)
{
  char subject[256], body[1024];
  unsigned minutes = ttl >= 60 ? ttl / 60 : 1;
  int r;

  if (!n->have_mail || u->mail[0] == '\0') {
    snprintf(err, errlen, "no mail transport or no address");
    return KC_ERR_UNAVAILABLE;
  }
  if (english(u)) {
    snprintf(subject, sizeof(subject), "Your TAN for the %s", n->portal);
    snprintf(body, sizeof(body),
             "Hello,\n\nyour TAN for logging in to the %s is:\n\n    %s\n\n"
             "It is valid for %u minutes and can be used once.\n"
             "If you did not try to log in, you can ignore this message; your "
             "password\nmay be known to someone else, so please change it.\n",
             n->portal, tan, minutes);
  } else {
    snprintf(subject, sizeof(subject), "Ihre TAN für das %s", n->portal);
    snprintf(
      body, sizeof(body),
      "Guten Tag,\n\nIhre TAN für die Anmeldung im %s lautet:\n\n    %s\n\n"
      "Sie ist %u Minuten gültig und nur einmal verwendbar.\n"
      "Falls Sie sich nicht anmelden wollten, können Sie diese Nachricht\n"
      "ignorieren; Ihr Passwort ist dann aber vermutlich jemand anderem\n"
      "bekannt: bitte ändern Sie es.\n",
      n->portal, tan, minutes);
  }
  r = kc_mail_send(&n->mail, u->mail, subject, body, err, errlen);
  sodium_memzero(body, sizeof(body));
  return r;
}

static int
send_sms(const struct kc_notify *n, const struct kc_ldap_user *u,
         const char *tan, unsigned ttl, char *err, size_t errlen)
{
  char e164[KC_MAX_PHONE + 1], text[256];
  unsigned minutes = ttl >= 60 ? ttl / 60 : 1;
  int r;

  if (!n->have_sms ||
      kc_phone_normalize(u->mobile, n->country_code, e164, sizeof(e164)) != 0) {
    snprintf(err, errlen, "no SMS transport or no usable mobile number");
    return KC_ERR_UNAVAILABLE;
  }
  if (english(u))
    snprintf(text, sizeof(text), "%s: your TAN is %s (valid %u min).",
             n->portal, tan, minutes);
  else
    snprintf(text, sizeof(text), "%s: Ihre TAN lautet %s (gültig %u Min.).",
             n->portal, tan, minutes);
  r = kc_sms_send(&n->sms, e164, text, err, errlen);
  sodium_memzero(text, sizeof(text));
  return r;
}

int
kc_notify_tan(const struct kc_notify *n, const struct kc_ldap_user *u,
              const char *tan, unsigned ttl, char *err, size_t errlen)
{
  if (strcmp(u->tan_method, "email") == 0)
    return send_mail(n, u, tan, ttl, err, errlen);
  if (strcmp(u->tan_method, "mtan") == 0)
    return send_sms(n, u, tan, ttl, err, errlen);
  snprintf(err, errlen, "unknown TAN method");
  return KC_ERR_INVALID;
}

int
kc_notify_lockout(const struct kc_notify *n, const struct kc_ldap_user *u,
                  char *err, size_t errlen)
{
  char subject[256], body[1024];

  if (!n->have_mail || u->mail[0] == '\0') {
    snprintf(err, errlen, "no mail transport or no address");
    return KC_ERR_UNAVAILABLE;
  }
  if (english(u)) {
    snprintf(subject, sizeof(subject), "Your access to the %s was locked",
             n->portal);
    snprintf(
      body, sizeof(body),
      "Hello,\n\nafter too many wrong TANs, your access to the %s (user "
      "name %s)\nwas locked to protect you. Whoever entered them knew your "
      "password.\n\nPlease contact customer service to have it unlocked, "
      "and then change\nyour password.\n",
      n->portal, u->uid);
  } else {
    snprintf(subject, sizeof(subject), "Ihr Zugang zum %s wurde gesperrt",
             n->portal);
    snprintf(
      body, sizeof(body),
      "Guten Tag,\n\nnach zu vielen falschen TANs wurde Ihr Zugang zum %s\n"
      "(Benutzername %s) zu Ihrem Schutz gesperrt. Wer die TANs eingegeben\n"
      "hat, kannte Ihr Passwort.\n\nBitte wenden Sie sich an den "
      "Kundenservice, um den Zugang wieder\nfreischalten zu lassen, und "
      "ändern Sie danach Ihr Passwort.\n",
      n->portal, u->uid);
  }
  return kc_mail_send(&n->mail, u->mail, subject, body, err, errlen);
}

int
kc_notify_recovery_used(const struct kc_notify *n, const struct kc_ldap_user *u,
                        unsigned left, char *err, size_t errlen)
{
  char subject[256], body[1024];

  if (!n->have_mail || u->mail[0] == '\0') {
    snprintf(err, errlen, "no mail transport or no address");
    return KC_ERR_UNAVAILABLE;
  }
  if (english(u)) {
    snprintf(subject, sizeof(subject), "A recovery code for the %s was used",
             n->portal);
    snprintf(body, sizeof(body),
             "Hello,\n\na recovery code was just used to log in to the %s "
             "(user name %s).\nIt is used up; %u of your recovery codes "
             "are left.%s\n\nIf that was not you, please contact customer "
             "service at once.\n",
             n->portal, u->uid, left,
             left < 3 ? "\nPlease make new ones on your account page "
                        "(second factor)."
                      : "");
  } else {
    snprintf(subject, sizeof(subject),
             "Ein Wiederherstellungscode für das %s wurde verwendet",
             n->portal);
    snprintf(body, sizeof(body),
             "Guten Tag,\n\nsoeben wurde mit einem Wiederherstellungscode "
             "eine Anmeldung am %s\n(Benutzername %s) bestätigt. Der Code "
             "ist damit verbraucht; Ihnen\nbleiben %u "
             "Wiederherstellungscodes.%s\n\nWaren Sie das nicht, wenden Sie "
             "sich bitte sofort an den Kundenservice.\n",
             n->portal, u->uid, left,
             left < 3 ? "\nBitte erzeugen Sie auf Ihrer Kontoseite "
                        "(zweiter Faktor) neue."
                      : "");
  }
  return kc_mail_send(&n->mail, u->mail, subject, body, err, errlen);
}

/* How long a ppolicy lock of secs seconds (0: until unlocked) lasts, for
 * the notice: with the time it ends when slapd's lock time is known. */
static void
lock_until(const struct kc_ldap_user *u, long secs, bool en, char *out,
           size_t outlen)
{
  char end[64] = "";
  time_t locked;
  struct tm tm;

  if (secs <= 0) {
    snprintf(out, outlen, "%s",
             en ? "until customer service unlocks it"
                : "bis der Kundenservice ihn freischaltet");
    return;
  }
  if (kc_ldap_parse_time(u->locked_time, &locked) == 0) {
    locked += (time_t) secs;
    if (localtime_r(&locked, &tm) == NULL ||
        strftime(end, sizeof(end),
                 en ? ", until %Y-%m-%d %H:%M %Z" : ", bis %d.%m.%Y %H:%M %Z",
                 &tm) == 0)
      end[0] = '\0';
  }
  snprintf(out, outlen,
           en ? "for %ld minutes%s; then it opens again by itself"
              : "für %ld Minuten%s; danach ist er wieder frei",
           (secs + 59) / 60, end);
}

int
kc_notify_lockout_password(const struct kc_notify *n,
                           const struct kc_ldap_user *u, long secs, char *err,
                           size_t errlen)
{
  char subject[256], body[2048], when[160], reset[512] = "";
  bool en = english(u);

  if (!n->have_mail || u->mail[0] == '\0') {
    snprintf(err, errlen, "no mail transport or no address");
    return KC_ERR_UNAVAILABLE;
  }
  lock_until(u, secs, en, when, sizeof(when));
  if (n->public_url != NULL)
    snprintf(reset, sizeof(reset),
             en ? "\nYou can also set a new password now; that ends the lock "
                  "at once:\n\n%s/account/reset\n"
                : "\nSie können auch gleich ein neues Passwort festlegen; "
                  "damit endet die\nSperre sofort:\n\n%s/account/reset\n",
             n->public_url);
  snprintf(subject, sizeof(subject),
           en ? "Your access to the %s was locked"
              : "Ihr Zugang zum %s wurde gesperrt",
           n->portal);
  snprintf(
    body, sizeof(body),
    en ? "Hello,\n\nafter too many wrong passwords, your access to the %s "
         "(user name %s)\nwas locked to protect you, %s.\n\nIf these "
         "attempts were not yours, someone is guessing your password:\n"
         "please change it once you can log in again, or contact customer "
         "service.\n%s"
       : "Guten Tag,\n\nnach zu vielen falschen Passwörtern wurde Ihr Zugang "
         "zum %s\n(Benutzername %s) zu Ihrem Schutz gesperrt, %s.\n\nWaren "
         "Sie das nicht, versucht jemand Ihr Passwort zu erraten:\nbitte "
         "ändern Sie es, sobald Sie sich wieder anmelden können, oder wenden "
         "Sie\nsich an den Kundenservice.\n%s",
    n->portal, u->uid, when, reset);
  return kc_mail_send(&n->mail, u->mail, subject, body, err, errlen);
}

int
kc_notify_mail(const struct kc_notify *n, const char *to, const char *subject,
               const char *text, char *err, size_t errlen)
{
  if (!n->have_mail) {
    snprintf(err, errlen, "no mail transport configured");
    return KC_ERR_UNAVAILABLE;
  }
  return kc_mail_send(&n->mail, to, subject, text, err, errlen);
}
