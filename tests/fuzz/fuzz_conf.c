/* libFuzzer target: kcd.conf text, as kc_conf_load() hands it to the
 * parser. Every input must parse or fail cleanly, and a successful parse
 * must leave a consistent struct. */
#include <config.h>

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "conf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Whatever parsed must hold what the key table promises. */
static void
check_invariants(const struct kc_conf *c)
{
  if (c->ldap_uri.n == 0 || c->ldap_uri.n > KC_MAX_CONF_LIST ||
    c->ldap_base == NULL || c->http_listen.host == NULL ||
    c->http_listen.port == 0 || c->http_listen.port > 65535 ||
    c->pam_socket == NULL || c->pam_socket[0] != '/' ||
    c->tan_length < KC_MIN_TAN_LENGTH || c->tan_length > KC_MAX_TAN_LENGTH ||
    (c->mail_transport.kind != KC_CONF_TRANSPORT_NONE &&
      c->mail_from == NULL))
    __builtin_trap();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  struct kc_conf c;
  char err[256];

  kc_conf_init(&c);
  if (kc_conf_parse(&c, "fuzz.conf", (const char *) data, size, err,
        sizeof(err)) == 0)
    check_invariants(&c);
  else if (memchr(err, '\0', sizeof(err)) == NULL || err[0] == '\0')
    __builtin_trap(); /* a failure always explains itself */
  kc_conf_free(&c);
  return 0;
}
