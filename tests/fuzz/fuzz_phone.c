/* libFuzzer target: phone numbers as typed (kc_phone_normalize) and the
 * masks. The first byte picks the default country code; the rest is the
 * number. Whatever normalises must be E.164, normalise to itself again and
 * mask within KC_PHONE_MASK_SIZE; the mail mask runs on the same bytes. */
#include <config.h>

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "phone.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Country codes the first byte selects from (valid and invalid ones). */
static const unsigned codes[] = {49,  43,  41, 39, 1,   7,   44,
                                 225, 378, 0,  4,  491, 999, 1000};

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  char in[128], out[KC_PHONE_E164_SIZE], again[KC_PHONE_E164_SIZE];
  char mask[KC_PHONE_MASK_SIZE], mmask[KC_MAIL_MASK_SIZE];
  unsigned cc;

  if (size < 1 || size > sizeof(in))
    return 0;
  cc = codes[data[0] % (sizeof(codes) / sizeof(codes[0]))];
  memcpy(in, data + 1, size - 1);
  in[size - 1] = '\0';
  if (kc_phone_normalize(in, cc, out, sizeof(out)) == 0) {
    if (!kc_phone_is_e164(out))
      __builtin_trap();
    if (kc_phone_normalize(out, cc, again, sizeof(again)) != 0 ||
        strcmp(out, again) != 0)
      __builtin_trap();
    kc_phone_mask(out, mask, sizeof(mask));
    if (strcmp(mask, "***") == 0 || strlen(mask) >= sizeof(mask))
      __builtin_trap();
  } else if (out[0] != '\0') {
    __builtin_trap(); /* nothing half-built on failure */
  }
  kc_phone_mask(in, mask, sizeof(mask));
  kc_mail_mask(in, mmask, sizeof(mmask));
  kc_phone_mask(in, mask, (size_t) data[0] % 8);
  kc_mail_mask(in, mmask, (size_t) data[0] % 8);
  return 0;
}
