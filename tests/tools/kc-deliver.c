/*
 * kc-deliver: send one mail or one SMS the way kcd does, for the
 * integration tests (tests/integration/test_delivery.sh).
 *
 *   kc-deliver -c kcd.conf mail TO SUBJECT TEXT
 *   kc-deliver -c kcd.conf sms NUMBER TEXT
 *
 * The configuration is loaded with kc_conf_load(); the number may be typed
 * in any form kc_phone_normalize() accepts (default_country_code applies).
 * "\n" in TEXT stays as typed; the shell passes real newlines.
 * Exit status: 0 sent, 1 failed (the reason on stderr), 2 usage.
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "delivery.h"
#include "kc_err.h"
#include "mail.h"
#include "phone.h"
#include "sms.h"

static int
usage(void)
{
  fprintf(stderr, "usage: kc-deliver -c FILE mail TO SUBJECT TEXT\n"
                  "       kc-deliver -c FILE sms NUMBER TEXT\n");
  return 2;
}

static int
send_mail(const struct kc_conf *c, char **argv)
{
  char err[KC_DELIVERY_ERR_SIZE];
  struct kc_mail_cfg cfg;
  int r;

  if (kc_mail_cfg_init(&cfg, c, err, sizeof(err)) != 0) {
    fprintf(stderr, "kc-deliver: %s\n", err);
    return 1;
  }
  r = kc_mail_send(&cfg, argv[0], argv[1], argv[2], err, sizeof(err));
  kc_mail_cfg_free(&cfg);
  if (r != 0) {
    fprintf(stderr, "kc-deliver: mail failed (%s): %s\n", kc_strerror(r), err);
    return 1;
  }
  return 0;
}

static int
send_sms(const struct kc_conf *c, char **argv)
{
  char err[KC_DELIVERY_ERR_SIZE], e164[KC_PHONE_E164_SIZE];
  struct kc_sms_cfg cfg;
  int r;

  r = kc_phone_normalize(argv[0], c->default_country_code, e164, sizeof(e164));
  if (r != 0) {
    fprintf(stderr, "kc-deliver: bad number: %s\n", kc_strerror(r));
    return 1;
  }
  if (kc_sms_cfg_init(&cfg, c, err, sizeof(err)) != 0) {
    fprintf(stderr, "kc-deliver: %s\n", err);
    return 1;
  }
  r = kc_sms_send(&cfg, e164, argv[1], err, sizeof(err));
  kc_sms_cfg_free(&cfg);
  if (r != 0) {
    fprintf(stderr, "kc-deliver: sms failed (%s): %s\n", kc_strerror(r), err);
    return 1;
  }
  return 0;
}

int
main(int argc, char **argv)
{
  char err[512];
  struct kc_conf c;
  int rc;

  if (argc < 4 || strcmp(argv[1], "-c") != 0)
    return usage();
  if (strcmp(argv[3], "mail") == 0  ? argc != 7
      : strcmp(argv[3], "sms") == 0 ? argc != 6
                                    : 1)
    return usage();
  if (kc_delivery_global_init() != 0) {
    fprintf(stderr, "kc-deliver: cannot initialise libcurl/libsodium\n");
    return 1;
  }
  kc_conf_init(&c);
  if (kc_conf_load(&c, argv[2], err, sizeof(err)) != 0) {
    fprintf(stderr, "kc-deliver: %s\n", err);
    kc_delivery_global_cleanup();
    return 1;
  }
  rc = strcmp(argv[3], "mail") == 0 ? send_mail(&c, argv + 4)
                                    : send_sms(&c, argv + 4);
  kc_conf_free(&c);
  kc_delivery_global_cleanup();
  return rc;
}
