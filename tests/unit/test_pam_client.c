/*
 * Unit tests for the module's kcd client (client.c) against a real UNIX
 * socket served by a thread of the test: a proper answer, silence, a
 * hang-up, broken replies, and no server at all.
 */
#include <config.h>

#include <check.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "client.h"
#include "kc_buf.h"
#include "kc_err.h"
#include "kc_io.h"
#include "kc_proto.h"

#define W(s) ((char *) (uintptr_t) (s))

enum mode {
  M_REPLY,  /* decode the request, send srv.reply */
  M_RAW,    /* read the request, send srv.raw as it is */
  M_SILENT, /* accept, read, never answer; wait for the client to go */
  M_CLOSE   /* accept and hang up at once */
};

static struct {
  char dir[64];
  char path[128];
  int lfd;
  pthread_t th;
  enum mode mode;
  struct kc_proto_reply reply;
  struct kc_buf raw;
  struct kc_proto_request got; /* what the client sent (M_REPLY) */
  bool sent_all; /* the client shut down its sending side after it */
} srv;

static const struct kc_pam_who who = {"mmuster", "sshd", "192.0.2.7"};

static int
read_request(int fd, struct kc_proto_request *q)
{
  struct kc_buf body;
  uint16_t type;
  int r;

  kc_buf_init(&body, KC_MAX_PROTO_MESSAGE);
  r = kc_io_read_message(fd, &type, &body, kc_io_now_ms() + 5000);
  if (r == 0)
    r = kc_proto_request_decode(q, type, (const uint8_t *) body.data,
      kc_buf_len(&body));
  kc_buf_free(&body);
  return r;
}

static void
send_reply(int fd)
{
  struct kc_buf b;

  kc_buf_init(&b, KC_MAX_PROTO_MESSAGE);
  if (kc_proto_reply_encode(&b, &srv.reply) == 0)
    (void) !kc_io_write_all(fd, kc_buf_get(&b), kc_buf_len(&b),
      kc_io_now_ms() + 5000);
  kc_buf_free(&b);
}

/* Block until the client has closed its end for good (POLLHUP), not just
 * shut down its sending side after the request, as it does; at most 10 s. */
static void
wait_eof(int fd)
{
  struct pollfd p = {.fd = fd, .events = 0};

  (void) poll(&p, 1, 10000);
}

static void *
serve(void *arg)
{
  int fd = accept4(srv.lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);

  (void) arg;
  if (fd < 0)
    return NULL;
  if (srv.mode == M_REPLY && read_request(fd, &srv.got) == 0) {
    struct pollfd p = {.fd = fd, .events = POLLIN | POLLRDHUP};
    char c;
    srv.sent_all = poll(&p, 1, 1000) == 1 &&
      recv(fd, &c, 1, MSG_PEEK | MSG_DONTWAIT) == 0;
    send_reply(fd);
  }
  else if (srv.mode == M_RAW && read_request(fd, &srv.got) == 0)
    (void) !kc_io_write_all(fd, kc_buf_get(&srv.raw), kc_buf_len(&srv.raw),
      kc_io_now_ms() + 5000);
  else if (srv.mode == M_SILENT)
    wait_eof(fd);
  close(fd);
  return NULL;
}

static void
setup(void)
{
  memset(&srv, 0, sizeof(srv));
  snprintf(srv.dir, sizeof(srv.dir), "/tmp/kc-test-client.XXXXXX");
  ck_assert_ptr_nonnull(mkdtemp(srv.dir));
  snprintf(srv.path, sizeof(srv.path), "%s/pam.sock", srv.dir);
  srv.lfd = -1;
  kc_buf_init(&srv.raw, KC_MAX_PROTO_MESSAGE);
}

static void
teardown(void)
{
  if (srv.lfd >= 0)
    close(srv.lfd);
  unlink(srv.path);
  rmdir(srv.dir);
  kc_proto_request_free(&srv.got);
  kc_buf_free(&srv.raw);
}

static void
start_server(enum mode mode)
{
  struct sockaddr_un sa = {.sun_family = AF_UNIX};

  srv.mode = mode;
  memcpy(sa.sun_path, srv.path, strlen(srv.path) + 1);
  srv.lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ck_assert_int_ge(srv.lfd, 0);
  ck_assert_int_eq(bind(srv.lfd, (struct sockaddr *) &sa, sizeof(sa)), 0);
  ck_assert_int_eq(listen(srv.lfd, 4), 0);
  ck_assert_int_eq(pthread_create(&srv.th, NULL, serve, NULL), 0);
}

static void
stop_server(void)
{
  pthread_join(srv.th, NULL);
}

static struct kc_pam_cfg
cfg_for(unsigned timeout)
{
  struct kc_pam_cfg cfg;

  kc_pam_cfg_defaults(&cfg);
  cfg.socket = srv.path;
  cfg.timeout = timeout;
  return cfg;
}

/* A raw reply: a proper one for op, then broken by the caller. */
static void
raw_reply(uint16_t op, uint32_t result)
{
  struct kc_proto_reply rep = {.op = op, .result = result};

  ck_assert_int_eq(kc_proto_reply_encode(&srv.raw, &rep), 0);
}

/* ------------------------------------------------------------ (a) */

START_TEST(test_pam_client_auth_reply)
{
  struct kc_pam_cfg cfg = cfg_for(5);
  struct kc_proto_reply rep;

  srv.reply.op = KC_OP_AUTH;
  srv.reply.result = KC_RES_TAN_REQUIRED;
  srv.reply.challenge = W("c0ffee");
  srv.reply.destination = W("m.mu***@example.org");
  srv.reply.message = W("TAN gesendet");
  start_server(M_REPLY);
  ck_assert_int_eq(kc_pam_request_auth(&cfg, &who, "Korrekt-Pferd-42",
                     KC_AUTH_INLINE, &rep),
    0);
  stop_server();
  ck_assert_uint_eq(rep.result, KC_RES_TAN_REQUIRED);
  ck_assert_str_eq(rep.challenge, "c0ffee");
  ck_assert_str_eq(rep.destination, "m.mu***@example.org");
  ck_assert_str_eq(rep.message, "TAN gesendet");
  kc_proto_reply_free(&rep);
  ck_assert_uint_eq(srv.got.op, KC_OP_AUTH);
  ck_assert_str_eq(srv.got.user, "mmuster");
  ck_assert_str_eq(srv.got.password, "Korrekt-Pferd-42");
  ck_assert_str_eq(srv.got.service, "sshd");
  ck_assert_str_eq(srv.got.rhost, "192.0.2.7");
  ck_assert_uint_eq(srv.got.flags, KC_AUTH_INLINE);
  /* and said it sends nothing more, so kcd can close right away */
  ck_assert(srv.sent_all);
}
END_TEST

START_TEST(test_pam_client_tan_acct_chauthtok_fields)
{
  struct kc_pam_cfg cfg = cfg_for(5);
  struct kc_proto_reply rep;

  srv.reply.op = KC_OP_TAN;
  srv.reply.user = W("mmuster");
  srv.reply.customers = W("46075");
  srv.reply.role = W("admin");
  srv.reply.tan_method = W("email");
  start_server(M_REPLY);
  ck_assert_int_eq(kc_pam_request_tan(&cfg, &who, "c0ffee", "123456", &rep),
    0);
  stop_server();
  ck_assert_uint_eq(rep.result, KC_RES_OK);
  ck_assert_str_eq(kc_pam_text(rep.message), "");
  ck_assert_str_eq(rep.tan_method, "email");
  kc_proto_reply_free(&rep);
  srv.reply.user = srv.reply.customers = srv.reply.role = NULL;
  srv.reply.tan_method = NULL;
  ck_assert_str_eq(srv.got.challenge, "c0ffee");
  ck_assert_str_eq(srv.got.tan, "123456");
  kc_proto_request_free(&srv.got);
  close(srv.lfd);
  unlink(srv.path);

  srv.reply.op = KC_OP_ACCT;
  srv.reply.result = KC_RES_NEW_AUTHTOK_REQD;
  start_server(M_REPLY);
  ck_assert_int_eq(kc_pam_request_acct(&cfg, &who, &rep), 0);
  stop_server();
  ck_assert_uint_eq(rep.result, KC_RES_NEW_AUTHTOK_REQD);
  kc_proto_reply_free(&rep);
  kc_proto_request_free(&srv.got);
  close(srv.lfd);
  unlink(srv.path);

  srv.reply.op = KC_OP_CHAUTHTOK;
  srv.reply.result = KC_RES_AUTHTOK_ERR;
  srv.reply.message = W("zu kurz");
  start_server(M_REPLY);
  ck_assert_int_eq(kc_pam_request_chauthtok(&cfg, &who, "alt", "", "0123.ab", &rep),
    0);
  stop_server();
  ck_assert_uint_eq(rep.result, KC_RES_AUTHTOK_ERR);
  ck_assert_str_eq(rep.message, "zu kurz");
  kc_proto_reply_free(&rep);
  ck_assert_str_eq(srv.got.password, "alt");
  ck_assert_str_eq(srv.got.new_password, "");
  ck_assert_str_eq(srv.got.challenge, "0123.ab"); /* the proof */
}
END_TEST

/* ------------------------------------------------------------ (b) */

START_TEST(test_pam_client_silent_server_times_out)
{
  struct kc_pam_cfg cfg = cfg_for(1);
  struct kc_proto_reply rep;
  int64_t t0, ms;
  int r;

  start_server(M_SILENT);
  t0 = kc_io_now_ms();
  r = kc_pam_request_acct(&cfg, &who, &rep);
  ms = kc_io_now_ms() - t0;
  stop_server();
  ck_assert_int_eq(r, KC_ERR_TIMEOUT);
  ck_assert_uint_eq(rep.result, KC_RES_UNAVAILABLE);
  ck_assert_ptr_null(rep.message);
  ck_assert_int_ge(ms, 950);
  ck_assert_int_le(ms, 2000);
  kc_proto_reply_free(&rep);
}
END_TEST

/* ------------------------------------------------------------ (c) */

START_TEST(test_pam_client_hangup_is_unavailable)
{
  struct kc_pam_cfg cfg = cfg_for(5);
  struct kc_proto_reply rep;
  int r;

  start_server(M_CLOSE);
  r = kc_pam_request_auth(&cfg, &who, "pw", 0, &rep);
  stop_server();
  /* EOF on read, or EPIPE/ECONNRESET on write: never SIGPIPE */
  ck_assert_int_ne(r, 0);
  ck_assert_uint_eq(rep.result, KC_RES_UNAVAILABLE);
  kc_proto_reply_free(&rep);
}
END_TEST

/* ------------------------------------------------------------ (d) */

static void
expect_raw(uint32_t want)
{
  struct kc_pam_cfg cfg = cfg_for(5);
  struct kc_proto_reply rep;

  start_server(M_RAW);
  ck_assert_int_ne(kc_pam_request_auth(&cfg, &who, "pw", 0, &rep), 0);
  stop_server();
  ck_assert_str_eq(kc_proto_result_name(rep.result),
    kc_proto_result_name(want));
  ck_assert_ptr_null(rep.challenge);
  kc_proto_reply_free(&rep);
}

START_TEST(test_pam_client_garbage_is_protocol)
{
  ck_assert_int_eq(kc_buf_add_str(&srv.raw, "HTTP/1.0 400 Bad Request\r\n\r\n"),
    0);
  expect_raw(KC_RES_PROTOCOL);
}
END_TEST

START_TEST(test_pam_client_other_version)
{
  raw_reply(KC_OP_AUTH, KC_RES_OK);
  srv.raw.data[5] = KC_PROTO_VERSION + 1;
  expect_raw(KC_RES_VERSION);
}
END_TEST

START_TEST(test_pam_client_wrong_op_is_protocol)
{
  raw_reply(KC_OP_ACCT, KC_RES_OK);
  expect_raw(KC_RES_PROTOCOL);
}
END_TEST

START_TEST(test_pam_client_error_reply_ok_is_protocol)
{
  /* an ERROR reply can never carry success */
  raw_reply(KC_OP_ERROR, KC_RES_OK);
  expect_raw(KC_RES_PROTOCOL);
}
END_TEST

START_TEST(test_pam_client_error_reply_version)
{
  raw_reply(KC_OP_ERROR, KC_RES_VERSION);
  expect_raw(KC_RES_VERSION);
}
END_TEST

/* A success of AUTH names the account; kcd spells it as LDAP has it. */
static uint32_t
auth_with_identity(const char *user)
{
  struct kc_pam_cfg cfg = cfg_for(5);
  struct kc_proto_reply rep;
  uint32_t result;

  srv.reply.op = KC_OP_AUTH;
  srv.reply.result = KC_RES_OK;
  srv.reply.user = W(user);
  srv.reply.customers = W(user[0] != '\0' ? "46075,46077" : "");
  srv.reply.role = W(user[0] != '\0' ? "admin" : "");
  srv.reply.tan_method = W(user[0] != '\0' ? "none" : "");
  start_server(M_REPLY);
  (void) kc_pam_request_auth(&cfg, &who, "pw", 0, &rep);
  stop_server();
  result = rep.result;
  if (result == KC_RES_OK) {
    ck_assert_str_eq(rep.user, user);
    ck_assert_str_eq(rep.customers, "46075,46077");
    ck_assert_str_eq(rep.role, "admin");
  } else {
    ck_assert_ptr_null(rep.user);
  }
  kc_proto_reply_free(&rep);
  return result;
}

START_TEST(test_pam_client_identity_other_case)
{
  ck_assert_uint_eq(auth_with_identity("MMuster"), KC_RES_OK);
}
END_TEST

START_TEST(test_pam_client_identity_missing_is_protocol)
{
  ck_assert_uint_eq(auth_with_identity(""), KC_RES_PROTOCOL);
}
END_TEST

START_TEST(test_pam_client_identity_other_user_is_protocol)
{
  ck_assert_uint_eq(auth_with_identity("mmusterfrau"), KC_RES_PROTOCOL);
}
END_TEST

START_TEST(test_pam_client_tan_required_needs_challenge)
{
  raw_reply(KC_OP_AUTH, KC_RES_TAN_REQUIRED);
  expect_raw(KC_RES_PROTOCOL);
}
END_TEST

START_TEST(test_pam_client_unknown_result_is_protocol)
{
  raw_reply(KC_OP_AUTH, KC_RES_OK);
  srv.raw.data[KC_PROTO_HEADER_SIZE + 3] = 99; /* result = 99 */
  expect_raw(KC_RES_PROTOCOL);
}
END_TEST

START_TEST(test_pam_client_trailing_bytes_is_protocol)
{
  raw_reply(KC_OP_AUTH, KC_RES_OK);
  /* one more body byte, announced in the header */
  srv.raw.data[11]++;
  ck_assert_int_eq(kc_buf_add(&srv.raw, "x", 1), 0);
  expect_raw(KC_RES_PROTOCOL);
}
END_TEST

START_TEST(test_pam_client_truncated_reply_is_unavailable)
{
  raw_reply(KC_OP_AUTH, KC_RES_OK);
  srv.raw.len -= 2; /* the peer hangs up mid-message */
  expect_raw(KC_RES_UNAVAILABLE);
}
END_TEST

START_TEST(test_pam_client_oversized_reply_is_protocol)
{
  raw_reply(KC_OP_AUTH, KC_RES_OK);
  srv.raw.data[8] = 0x7f; /* announced body length far over the cap */
  expect_raw(KC_RES_PROTOCOL);
}
END_TEST

/* ------------------------------------------------------------ (e) */

START_TEST(test_pam_client_no_socket_fast)
{
  struct kc_pam_cfg cfg = cfg_for(10);
  struct kc_proto_reply rep;
  int64_t t0 = kc_io_now_ms();

  ck_assert_int_eq(kc_pam_request_acct(&cfg, &who, &rep), KC_ERR_UNAVAILABLE);
  ck_assert_int_lt(kc_io_now_ms() - t0, 500);
  ck_assert_uint_eq(rep.result, KC_RES_UNAVAILABLE);
  kc_proto_reply_free(&rep);
}
END_TEST

START_TEST(test_pam_client_stale_socket_fast)
{
  struct kc_pam_cfg cfg = cfg_for(10);
  struct kc_proto_reply rep;
  int64_t t0;

  start_server(M_CLOSE);
  /* connect once so the thread ends, then leave the file behind */
  ck_assert_int_ne(kc_pam_request_acct(&cfg, &who, &rep), 0);
  kc_proto_reply_free(&rep);
  stop_server();
  close(srv.lfd);
  srv.lfd = -1;
  t0 = kc_io_now_ms();
  ck_assert_int_eq(kc_pam_request_acct(&cfg, &who, &rep), KC_ERR_UNAVAILABLE);
  ck_assert_int_lt(kc_io_now_ms() - t0, 500);
  ck_assert_uint_eq(rep.result, KC_RES_UNAVAILABLE);
  kc_proto_reply_free(&rep);
}
END_TEST

START_TEST(test_pam_client_unencodable_is_internal)
{
  struct kc_pam_cfg cfg = cfg_for(10);
  struct kc_pam_who long_user = who;
  struct kc_proto_reply rep;
  char name[KC_MAX_USERNAME + 2];

  memset(name, 'a', sizeof(name) - 1);
  name[sizeof(name) - 1] = '\0';
  long_user.user = name;
  /* fails before any connection: there is no server here */
  ck_assert_int_eq(kc_pam_request_acct(&cfg, &long_user, &rep),
    KC_ERR_INVALID);
  ck_assert_uint_eq(rep.result, KC_RES_INTERNAL);
  kc_proto_reply_free(&rep);
}
END_TEST

static Suite *
pam_client_suite(void)
{
  Suite *s = suite_create("pam_client");
  TCase *tc = tcase_create("core");

  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_set_timeout(tc, 10);
  tcase_add_test(tc, test_pam_client_auth_reply);
  tcase_add_test(tc, test_pam_client_tan_acct_chauthtok_fields);
  tcase_add_test(tc, test_pam_client_silent_server_times_out);
  tcase_add_test(tc, test_pam_client_hangup_is_unavailable);
  tcase_add_test(tc, test_pam_client_garbage_is_protocol);
  tcase_add_test(tc, test_pam_client_other_version);
  tcase_add_test(tc, test_pam_client_wrong_op_is_protocol);
  tcase_add_test(tc, test_pam_client_error_reply_ok_is_protocol);
  tcase_add_test(tc, test_pam_client_error_reply_version);
  tcase_add_test(tc, test_pam_client_identity_other_case);
  tcase_add_test(tc, test_pam_client_identity_missing_is_protocol);
  tcase_add_test(tc, test_pam_client_identity_other_user_is_protocol);
  tcase_add_test(tc, test_pam_client_tan_required_needs_challenge);
  tcase_add_test(tc, test_pam_client_unknown_result_is_protocol);
  tcase_add_test(tc, test_pam_client_trailing_bytes_is_protocol);
  tcase_add_test(tc, test_pam_client_truncated_reply_is_unavailable);
  tcase_add_test(tc, test_pam_client_oversized_reply_is_protocol);
  tcase_add_test(tc, test_pam_client_no_socket_fast);
  tcase_add_test(tc, test_pam_client_stale_socket_fast);
  tcase_add_test(tc, test_pam_client_unencodable_is_internal);
  suite_add_tcase(s, tc);
  return s;
}

int
main(void)
{
  SRunner *sr = srunner_create(pam_client_suite());
  int failed;

  srunner_run_all(sr, CK_NORMAL);
  failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
