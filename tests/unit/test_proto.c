/* Unit tests for the PAM-socket protocol codec (common/kc_wire.c). */
#include <config.h>

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "kc_buf.h"
#include "kc_err.h"
#include "kc_proto.h"

/* String literals for the codec's char * fields (-Wwrite-strings). */
#define W(s) ((char *) (uintptr_t) (s))

/* Split an encoded message into header fields and body. */
static void
split(const struct kc_buf *b, uint16_t *type, const uint8_t **body,
  uint32_t *len)
{
  ck_assert_uint_ge(kc_buf_len(b), KC_PROTO_HEADER_SIZE);
  ck_assert_int_eq(kc_proto_header_decode((const uint8_t *) kc_buf_get(b),
                     type, len),
    0);
  ck_assert_uint_eq(*len, kc_buf_len(b) - KC_PROTO_HEADER_SIZE);
  *body = (const uint8_t *) kc_buf_get(b) + KC_PROTO_HEADER_SIZE;
}

START_TEST(test_proto_auth_roundtrip)
{
  struct kc_proto_request in = {0}, out;
  struct kc_buf b;
  const uint8_t *body;
  uint16_t type;
  uint32_t len;

  in.op = KC_OP_AUTH;
  in.user = W("mmuster");
  in.password = W("Korrekt-Pferd-42");
  in.service = W("sshd");
  in.rhost = W("192.0.2.1");
  in.flags = KC_AUTH_INLINE;
  kc_buf_init(&b, KC_MAX_PROTO_MESSAGE);
  ck_assert_int_eq(kc_proto_request_encode(&b, &in), 0);
  /* magic, version, type on the wire in big-endian */
  ck_assert_int_eq(memcmp(kc_buf_get(&b), "KCP\0\0\4\0\1", 8), 0);
  split(&b, &type, &body, &len);
  ck_assert_uint_eq(type, KC_OP_AUTH);
  ck_assert_int_eq(kc_proto_request_decode(&out, type, body, len), 0);
  ck_assert_str_eq(out.user, "mmuster");
  ck_assert_str_eq(out.password, "Korrekt-Pferd-42");
  ck_assert_str_eq(out.service, "sshd");
  ck_assert_str_eq(out.rhost, "192.0.2.1");
  ck_assert_uint_eq(out.flags, KC_AUTH_INLINE);
  /* fields the op does not carry are "" not NULL */
  ck_assert_str_eq(out.tan, "");
  ck_assert_str_eq(out.new_password, "");
  kc_proto_request_free(&out);
  ck_assert_ptr_null(out.password);
  kc_buf_free(&b);
}
END_TEST

static const struct kc_proto_request op_cases[] = {
  {.op = KC_OP_TAN, .user = W("u"), .challenge = W("c0ffee"), .tan = W("123456"),
    .service = W("login"), .rhost = W("")},
  {.op = KC_OP_ACCT, .user = W("neukunde"), .service = W("apache")},
  {.op = KC_OP_CHAUTHTOK, .user = W("neukunde"), .password = W("alt"),
    .new_password = W("neu-neu-neu-neu"), .service = W("passwd"), .rhost = W("h")},
  {.op = KC_OP_PING},
};

START_TEST(test_proto_each_op_roundtrip)
{
  const struct kc_proto_request *in = &op_cases[_i];
  struct kc_proto_request out;
  struct kc_buf b;
  const uint8_t *body;
  uint16_t type;
  uint32_t len;

  kc_buf_init(&b, KC_MAX_PROTO_MESSAGE);
  ck_assert_int_eq(kc_proto_request_encode(&b, in), 0);
  split(&b, &type, &body, &len);
  ck_assert_int_eq(kc_proto_request_decode(&out, type, body, len), 0);
  ck_assert_uint_eq(out.op, in->op);
  ck_assert_str_eq(out.user, in->user ? in->user : "");
  ck_assert_str_eq(out.tan, in->tan ? in->tan : "");
  ck_assert_str_eq(out.challenge, in->challenge ? in->challenge : "");
  ck_assert_str_eq(out.new_password, in->new_password ? in->new_password : "");
  ck_assert_str_eq(out.password, in->password ? in->password : "");
  kc_proto_request_free(&out);
  kc_buf_free(&b);
}
END_TEST

START_TEST(test_proto_reply_roundtrip)
{
  struct kc_proto_reply in = {0}, out;
  struct kc_buf b;
  const uint8_t *body;
  uint16_t type;
  uint32_t len;

  in.op = KC_OP_AUTH;
  in.result = KC_RES_TAN_REQUIRED;
  in.message = W("TAN gesendet");
  in.challenge = W("abc");
  in.destination = W("m.mu***@example.org");
  kc_buf_init(&b, KC_MAX_PROTO_MESSAGE);
  ck_assert_int_eq(kc_proto_reply_encode(&b, &in), 0);
  split(&b, &type, &body, &len);
  ck_assert_uint_eq(type, KC_OP_AUTH | KC_PROTO_REPLY);
  ck_assert_int_eq(kc_proto_reply_decode(&out, type, body, len), 0);
  ck_assert_uint_eq(out.op, KC_OP_AUTH);
  ck_assert_uint_eq(out.result, KC_RES_TAN_REQUIRED);
  ck_assert_str_eq(out.message, "TAN gesendet");
  ck_assert_str_eq(out.challenge, "abc");
  ck_assert_str_eq(out.destination, "m.mu***@example.org");
  kc_proto_reply_free(&out);
  kc_buf_free(&b);
}
END_TEST

/* Encode rep, decode it again into out: the decoder's verdict. */
static int
reply_roundtrip(const struct kc_proto_reply *rep, struct kc_proto_reply *out)
{
  struct kc_buf b;
  const uint8_t *body;
  uint16_t type;
  uint32_t len;
  int r;

  kc_buf_init(&b, KC_MAX_PROTO_MESSAGE);
  ck_assert_int_eq(kc_proto_reply_encode(&b, rep), 0);
  split(&b, &type, &body, &len);
  r = kc_proto_reply_decode(out, type, body, len);
  kc_buf_free(&b);
  return r;
}

START_TEST(test_proto_reply_identity_roundtrip)
{
  struct kc_proto_reply in = {0}, out;

  in.op = KC_OP_TAN;
  in.result = KC_RES_OK;
  in.challenge = W("proof");
  in.user = W("MMuster");
  in.customers = W("9,46075,46077,100000");
  in.role = W("admin");
  in.tan_method = W("totp");
  ck_assert_int_eq(reply_roundtrip(&in, &out), 0);
  ck_assert_str_eq(out.user, "MMuster");
  ck_assert_str_eq(out.customers, "9,46075,46077,100000");
  ck_assert_str_eq(out.role, "admin");
  ck_assert_str_eq(out.tan_method, "totp");
  kc_proto_reply_free(&out);
  ck_assert_ptr_null(out.customers);
  /* a success may name no customer; NEW_AUTHTOK_REQD carries it too */
  in.op = KC_OP_AUTH;
  in.result = KC_RES_NEW_AUTHTOK_REQD;
  in.customers = W("");
  in.role = W("user");
  in.tan_method = W("none");
  ck_assert_int_eq(reply_roundtrip(&in, &out), 0);
  ck_assert_str_eq(out.customers, "");
  kc_proto_reply_free(&out);
  /* a reply without identity decodes to "" in all four */
  memset(&in, 0, sizeof(in));
  in.op = KC_OP_ACCT;
  ck_assert_int_eq(reply_roundtrip(&in, &out), 0);
  ck_assert_str_eq(out.user, "");
  ck_assert_str_eq(out.tan_method, "");
  kc_proto_reply_free(&out);
}
END_TEST

/* Identities the encoder refuses (and so never sends). */
static const struct {
  uint16_t op;
  uint32_t result;
  const char *user, *customers, *role, *method;
} bad_identities[] = {
  {KC_OP_ACCT, KC_RES_OK, "mmuster", "46075", "user", "none"},
  {KC_OP_CHAUTHTOK, KC_RES_OK, "mmuster", "46075", "user", "none"},
  {KC_OP_AUTH, KC_RES_TAN_REQUIRED, "mmuster", "46075", "user", "none"},
  {KC_OP_AUTH, KC_RES_AUTH_ERR, "mmuster", "", "user", "none"},
  {KC_OP_ERROR, KC_RES_OK, "mmuster", "", "user", "none"},
  {KC_OP_AUTH, KC_RES_OK, "mmuster", "", "", ""},          /* partial */
  {KC_OP_AUTH, KC_RES_OK, "", "46075", "", ""},            /* no user */
  {KC_OP_AUTH, KC_RES_OK, "mm=x", "", "user", "none"},     /* bad name */
  {KC_OP_AUTH, KC_RES_OK, "mmuster", "46077,46075", "user", "none"},
  {KC_OP_AUTH, KC_RES_OK, "mmuster", "46075,46075", "user", "none"},
  {KC_OP_AUTH, KC_RES_OK, "mmuster", "46075,", "user", "none"},
  {KC_OP_AUTH, KC_RES_OK, "mmuster", ",46075", "user", "none"},
  {KC_OP_AUTH, KC_RES_OK, "mmuster", "46075, 46077", "user", "none"},
  {KC_OP_AUTH, KC_RES_OK, "mmuster", "4607a", "user", "none"},
  {KC_OP_AUTH, KC_RES_OK, "mmuster", "123456789012345678901", "user", "none"},
  {KC_OP_AUTH, KC_RES_OK, "mmuster", "46075", "root", "none"},
  {KC_OP_AUTH, KC_RES_OK, "mmuster", "46075", "Admin", "none"},
  {KC_OP_AUTH, KC_RES_OK, "mmuster", "46075", "user", "sms"},
  {KC_OP_AUTH, KC_RES_OK, "mmuster", "46075", "user", "none\n"},
  /* a TAN_REQUIRED names the method asked for, nothing else */
  {KC_OP_AUTH, KC_RES_TAN_REQUIRED, "", "", "", "none"},
  {KC_OP_AUTH, KC_RES_TAN_REQUIRED, "", "", "", "sms"},
  {KC_OP_AUTH, KC_RES_TAN_REQUIRED, "", "46075", "", "totp"},
  {KC_OP_AUTH, KC_RES_AUTH_ERR, "", "", "", "totp"},
  {KC_OP_ACCT, KC_RES_OK, "", "", "", "email"},
};

/* A TAN_REQUIRED that names the factor asked for (version 4) passes the
 * codec both ways, for each method that asks. */
START_TEST(test_proto_tan_required_method)
{
  static const char *const asked[] = {"email", "mtan", "totp"};
  struct kc_proto_reply in = {0}, out;
  const uint8_t *body;
  uint16_t type;
  struct kc_buf b;
  uint32_t len;

  in.op = KC_OP_AUTH;
  in.result = KC_RES_TAN_REQUIRED;
  in.challenge = W("0000000000000000.abababababababababababababababab");
  in.tan_method = W(asked[_i]);
  kc_buf_init(&b, KC_MAX_PROTO_MESSAGE);
  ck_assert_int_eq(kc_proto_reply_encode(&b, &in), 0);
  split(&b, &type, &body, &len);
  ck_assert_int_eq(kc_proto_reply_decode(&out, type, body, len), 0);
  ck_assert_str_eq(out.tan_method, asked[_i]);
  ck_assert_str_eq(out.user, "");
  kc_proto_reply_free(&out);
  kc_buf_free(&b);
}
END_TEST

START_TEST(test_proto_reply_identity_refused)
{
  struct kc_proto_reply in = {0};
  struct kc_buf b;

  in.op = bad_identities[_i].op;
  in.result = bad_identities[_i].result;
  in.user = W(bad_identities[_i].user);
  in.customers = W(bad_identities[_i].customers);
  in.role = W(bad_identities[_i].role);
  in.tan_method = W(bad_identities[_i].method);
  kc_buf_init(&b, KC_MAX_PROTO_MESSAGE);
  ck_assert_int_eq(kc_proto_reply_encode(&b, &in), KC_ERR_INVALID);
  ck_assert_uint_eq(kc_buf_len(&b), 0);
  kc_buf_free(&b);
}
END_TEST

/* A body as the wire has it: result, then the given strings. */
static size_t
raw_body(uint8_t *out, size_t cap, uint32_t result, const char *const *f,
  size_t n)
{
  size_t len = 0, i, l;

  ck_assert_uint_ge(cap, 4);
  out[len++] = (uint8_t) (result >> 24);
  out[len++] = (uint8_t) (result >> 16);
  out[len++] = (uint8_t) (result >> 8);
  out[len++] = (uint8_t) result;
  for (i = 0; i < n; i++) {
    l = strlen(f[i]);
    ck_assert_uint_ge(cap - len, 4 + l);
    out[len++] = 0;
    out[len++] = 0;
    out[len++] = (uint8_t) (l >> 8);
    out[len++] = (uint8_t) l;
    memcpy(out + len, f[i], l);
    len += l;
  }
  return len;
}

START_TEST(test_proto_reply_identity_decoder_strict)
{
  static const char *const acct[] = {"", "", "", "mmuster", "", "user",
    "none"};
  static const char *const unsorted[] = {"", "", "", "mmuster",
    "46077,46075", "user", "none"};
  static const char *const good[] = {"", "", "", "mmuster", "46075,46077",
    "user", "none"};
  /* version 2's layout: three strings; version 3 reads it as short */
  static const char *const v2[] = {"", "", ""};
  struct kc_proto_reply out;
  uint8_t body[256];
  size_t len;

  len = raw_body(body, sizeof(body), KC_RES_OK, acct, 7);
  ck_assert_int_eq(kc_proto_reply_decode(&out, KC_OP_ACCT | KC_PROTO_REPLY,
                     body, len),
    KC_ERR_PROTOCOL);
  ck_assert_ptr_null(out.user);
  len = raw_body(body, sizeof(body), KC_RES_OK, unsorted, 7);
  ck_assert_int_eq(kc_proto_reply_decode(&out, KC_OP_AUTH | KC_PROTO_REPLY,
                     body, len),
    KC_ERR_PROTOCOL);
  len = raw_body(body, sizeof(body), KC_RES_OK, v2, 3);
  ck_assert_int_eq(kc_proto_reply_decode(&out, KC_OP_AUTH | KC_PROTO_REPLY,
                     body, len),
    KC_ERR_PROTOCOL);
  len = raw_body(body, sizeof(body), KC_RES_OK, good, 7);
  ck_assert_int_eq(kc_proto_reply_decode(&out, KC_OP_AUTH | KC_PROTO_REPLY,
                     body, len),
    0);
  ck_assert_str_eq(out.customers, "46075,46077");
  kc_proto_reply_free(&out);
  /* the same success refused once a result other than OK says it */
  len = raw_body(body, sizeof(body), KC_RES_LOCKED, good, 7);
  ck_assert_int_eq(kc_proto_reply_decode(&out, KC_OP_AUTH | KC_PROTO_REPLY,
                     body, len),
    KC_ERR_PROTOCOL);
}
END_TEST

START_TEST(test_proto_customer_order)
{
  ck_assert_int_lt(kc_proto_customer_cmp("9", "10"), 0);
  ck_assert_int_lt(kc_proto_customer_cmp("46075", "46077"), 0);
  ck_assert_int_gt(kc_proto_customer_cmp("100000", "46077"), 0);
  ck_assert_int_eq(kc_proto_customer_cmp("46075", "46075"), 0);
  ck_assert(kc_proto_customers_ok(""));
  ck_assert(kc_proto_customers_ok("46075"));
  ck_assert(kc_proto_customers_ok("9,10,46075"));
  ck_assert(!kc_proto_customers_ok("10,9"));
  ck_assert(!kc_proto_customers_ok("9,,10"));
  ck_assert(!kc_proto_customers_ok("9;10"));
}
END_TEST

/* Encode an AUTH request, then let a test damage it. */
static void
encode_auth(struct kc_buf *b)
{
  struct kc_proto_request in = {0};

  in.op = KC_OP_AUTH;
  in.user = W("mmuster");
  in.password = W("pw");
  kc_buf_init(b, KC_MAX_PROTO_MESSAGE);
  ck_assert_int_eq(kc_proto_request_encode(b, &in), 0);
}

START_TEST(test_proto_header_rejects_bad_magic_version_size)
{
  uint8_t h[KC_PROTO_HEADER_SIZE];
  uint16_t type;
  uint32_t len;
  struct kc_buf b;

  encode_auth(&b);
  memcpy(h, kc_buf_get(&b), sizeof(h));
  h[0] = 'X';
  ck_assert_int_eq(kc_proto_header_decode(h, &type, &len), KC_ERR_PROTOCOL);
  memcpy(h, kc_buf_get(&b), sizeof(h));
  h[5] = KC_PROTO_VERSION + 1;
  ck_assert_int_eq(kc_proto_header_decode(h, &type, &len), KC_ERR_VERSION);
  ck_assert_uint_eq(type, KC_OP_AUTH); /* still set so kcd can answer */
  memcpy(h, kc_buf_get(&b), sizeof(h));
  h[8] = 0x7f; /* 2 GiB body */
  ck_assert_int_eq(kc_proto_header_decode(h, &type, &len), KC_ERR_TOO_LARGE);
  ck_assert_uint_eq(len, 0);
  kc_buf_free(&b);
}
END_TEST

START_TEST(test_proto_decode_rejects_damage)
{
  struct kc_proto_request out;
  struct kc_buf b;
  uint8_t body[256];
  size_t len;

  encode_auth(&b);
  len = kc_buf_len(&b) - KC_PROTO_HEADER_SIZE;
  ck_assert_uint_lt(len, sizeof(body) - 1);
  memcpy(body, kc_buf_get(&b) + KC_PROTO_HEADER_SIZE, len);

  /* truncated at every length */
  for (size_t cut = 0; cut < len; cut++)
    ck_assert_int_eq(kc_proto_request_decode(&out, KC_OP_AUTH, body, cut),
      KC_ERR_PROTOCOL);
  /* trailing byte */
  body[len] = 0;
  ck_assert_int_eq(kc_proto_request_decode(&out, KC_OP_AUTH, body, len + 1),
    KC_ERR_PROTOCOL);
  /* embedded NUL in the user name (first string starts at offset 4) */
  body[5] = '\0';
  ck_assert_int_eq(kc_proto_request_decode(&out, KC_OP_AUTH, body, len),
    KC_ERR_PROTOCOL);
  body[5] = 'm';
  /* unknown flag bit */
  body[len - 1] = 0x2;
  ck_assert_int_eq(kc_proto_request_decode(&out, KC_OP_AUTH, body, len),
    KC_ERR_PROTOCOL);
  body[len - 1] = 0x0;
  ck_assert_int_eq(kc_proto_request_decode(&out, KC_OP_AUTH, body, len), 0);
  kc_proto_request_free(&out);
  /* unknown opcode */
  ck_assert_int_eq(kc_proto_request_decode(&out, 99, body, len),
    KC_ERR_PROTOCOL);
  ck_assert_ptr_null(out.user);
  kc_buf_free(&b);
}
END_TEST

START_TEST(test_proto_string_caps)
{
  struct kc_proto_request in = {0}, out;
  struct kc_buf b;
  char user[KC_MAX_USERNAME + 2];
  uint8_t body[KC_MAX_USERNAME + 64];

  memset(user, 'a', sizeof(user) - 1);
  user[sizeof(user) - 1] = '\0';
  in.op = KC_OP_ACCT;
  in.user = user;
  kc_buf_init(&b, KC_MAX_PROTO_MESSAGE);
  /* the encoder refuses a field over its cap */
  ck_assert_int_eq(kc_proto_request_encode(&b, &in), KC_ERR_INVALID);
  ck_assert_uint_eq(kc_buf_len(&b), 0);
  /* and the decoder refuses it before reading it */
  body[0] = 0;
  body[1] = 0;
  body[2] = 0;
  body[3] = KC_MAX_USERNAME + 1;
  memset(body + 4, 'a', KC_MAX_USERNAME + 1);
  memset(body + 5 + KC_MAX_USERNAME, 0, 8);
  ck_assert_int_eq(kc_proto_request_decode(&out, KC_OP_ACCT, body,
                     KC_MAX_USERNAME + 13),
    KC_ERR_PROTOCOL);
  /* a length larger than the body */
  body[0] = 0xff;
  ck_assert_int_eq(kc_proto_request_decode(&out, KC_OP_ACCT, body, 8),
    KC_ERR_PROTOCOL);
  kc_buf_free(&b);
}
END_TEST

START_TEST(test_proto_reply_rejects_unknown_result)
{
  struct kc_proto_reply in = {0}, out;
  struct kc_buf b;
  uint8_t body[64];
  size_t len;

  in.op = KC_OP_PING;
  in.result = KC_RES_LAST + 1;
  kc_buf_init(&b, KC_MAX_PROTO_MESSAGE);
  ck_assert_int_eq(kc_proto_reply_encode(&b, &in), KC_ERR_INVALID);
  in.result = KC_RES_OK;
  ck_assert_int_eq(kc_proto_reply_encode(&b, &in), 0);
  len = kc_buf_len(&b) - KC_PROTO_HEADER_SIZE;
  memcpy(body, kc_buf_get(&b) + KC_PROTO_HEADER_SIZE, len);
  body[3] = KC_RES_LAST + 1;
  ck_assert_int_eq(kc_proto_reply_decode(&out,
                     KC_OP_PING | KC_PROTO_REPLY, body, len),
    KC_ERR_PROTOCOL);
  /* a request type is not a reply */
  body[3] = 0;
  ck_assert_int_eq(kc_proto_reply_decode(&out, KC_OP_PING, body, len),
    KC_ERR_PROTOCOL);
  ck_assert_int_eq(kc_proto_reply_decode(&out, KC_OP_ERROR | KC_PROTO_REPLY,
                     body, len),
    0);
  kc_proto_reply_free(&out);
  kc_buf_free(&b);
}
END_TEST

START_TEST(test_proto_names)
{
  ck_assert_str_eq(kc_proto_op_name(KC_OP_CHAUTHTOK), "CHAUTHTOK");
  ck_assert_str_eq(kc_proto_op_name(1234), "?");
  ck_assert_str_eq(kc_proto_result_name(KC_RES_INTERNAL), "INTERNAL");
  ck_assert_str_eq(kc_proto_result_name(KC_RES_LAST + 1), "?");
}
END_TEST

static Suite *
proto_suite(void)
{
  Suite *s = suite_create("proto");
  TCase *tc = tcase_create("core");

  tcase_add_test(tc, test_proto_auth_roundtrip);
  tcase_add_loop_test(tc, test_proto_each_op_roundtrip, 0,
    (int) (sizeof(op_cases) / sizeof(op_cases[0])));
  tcase_add_test(tc, test_proto_reply_roundtrip);
  tcase_add_test(tc, test_proto_reply_identity_roundtrip);
  tcase_add_loop_test(tc, test_proto_tan_required_method, 0, 3);
  tcase_add_loop_test(tc, test_proto_reply_identity_refused, 0,
    (int) (sizeof(bad_identities) / sizeof(bad_identities[0])));
  tcase_add_test(tc, test_proto_reply_identity_decoder_strict);
  tcase_add_test(tc, test_proto_customer_order);
  tcase_add_test(tc, test_proto_header_rejects_bad_magic_version_size);
  tcase_add_test(tc, test_proto_decode_rejects_damage);
  tcase_add_test(tc, test_proto_string_caps);
  tcase_add_test(tc, test_proto_reply_rejects_unknown_result);
  tcase_add_test(tc, test_proto_names);
  suite_add_tcase(s, tc);
  return s;
}

int
main(void)
{
  SRunner *sr = srunner_create(proto_suite());
  int failed;

  srunner_run_all(sr, CK_NORMAL);
  failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
