/* libFuzzer target: a whole PAM-socket message, as kcd and the module
 * decode it (header, then request or reply body). */
#include <config.h>

#include <stddef.h>
#include <stdint.h>

#include "kc_buf.h"
#include "kc_proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  struct kc_proto_request req;
  struct kc_proto_reply rep;
  struct kc_buf again;
  uint16_t type;
  uint32_t len;

  if (size < KC_PROTO_HEADER_SIZE)
    return 0;
  if (kc_proto_header_decode(data, &type, &len) != 0)
    return 0;
  data += KC_PROTO_HEADER_SIZE;
  size -= KC_PROTO_HEADER_SIZE;
  if (len < size)
    size = len;
  if (type & KC_PROTO_REPLY) {
    if (kc_proto_reply_decode(&rep, type, data, size) == 0) {
      kc_buf_init(&again, KC_MAX_PROTO_MESSAGE);
      if (kc_proto_reply_encode(&again, &rep) != 0)
        __builtin_trap(); /* whatever decodes must encode again */
      kc_buf_free(&again);
      kc_proto_reply_free(&rep);
    }
  } else if (kc_proto_request_decode(&req, type, data, size) == 0) {
    kc_buf_init(&again, KC_MAX_PROTO_MESSAGE);
    if (kc_proto_request_encode(&again, &req) != 0)
      __builtin_trap();
    kc_buf_free(&again);
    kc_proto_request_free(&req);
  }
  return 0;
}
