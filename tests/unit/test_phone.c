/* Unit tests for kcd/notify/phone.c: E.164 normalisation and the masks. */
#include <config.h>

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "kc_err.h"
#include "phone.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* Numbers as people type them, with the default country code. */
static const struct {
  const char *in;
  unsigned cc;
  const char *e164;
} good[] = {
  {"0177 - 1234567", 49, "+491771234567"},
  {"0177/1234567", 49, "+491771234567"},
  {"(0177) 123 45 67", 49, "+491771234567"},
  {"+49 177 1234567", 49, "+491771234567"},
  {"0049 177 1234567", 49, "+491771234567"},
  {"+49 (0) 177 1234567", 49, "+491771234567"},
  {"+49(0)1771234567", 49, "+491771234567"},
  {"+49 0177 1234567", 49, "+491771234567"},
  {"  +49 177 1234567\t ", 49, "+491771234567"},
  {"01771234567", 49, "+491771234567"},
  {"0151.12345678", 49, "+4915112345678"},
  {"(0)177 1234567", 49, "+491771234567"},
  {"+43 664 1234567", 49, "+436641234567"},
  {"0664 1234567", 43, "+436641234567"},
  {"+39 06 12345678", 49, "+390612345678"},
  {"06 1234 5678", 39, "+390612345678"},
  {"+1 (212) 555-0123", 49, "+12125550123"},
  {"+44 (0) 20 7946 0958", 49, "+442079460958"},
  {"00 41 79 123 45 67", 49, "+41791234567"},
  {"+420 601 123 456", 49, "+420601123456"},
  {"+7 912 345 67 89", 49, "+79123456789"},
};

/* Input that must be refused, and how. */
static const struct {
  const char *in;
  unsigned cc;
  int err;
} bad[] = {
  {"", 49, KC_ERR_INVALID},
  {"   ", 49, KC_ERR_INVALID},
  {"0", 49, KC_ERR_INVALID},
  {"0 ", 49, KC_ERR_INVALID},
  {"+", 49, KC_ERR_INVALID},
  {"00", 49, KC_ERR_INVALID},
  {"0177 123456a", 49, KC_ERR_INVALID},
  {"+49 177 CALL-ME", 49, KC_ERR_INVALID},
  {"+49 177 1234567 ext 5", 49, KC_ERR_INVALID},
  {"177 1234567", 49, KC_ERR_INVALID},
  {"49 177 1234567", 49, KC_ERR_INVALID},
  {"++49 177 1234567", 49, KC_ERR_INVALID},
  {"+0049 177 1234567", 49, KC_ERR_INVALID},
  {"+49 00177 1234567", 49, KC_ERR_INVALID},
  {"+49 (0) (0) 177 1234567", 49, KC_ERR_INVALID},
  {"+49 177 (0) 1234567", 49, KC_ERR_INVALID},
  {"0177 (123 4567", 49, KC_ERR_INVALID},
  {"0177) 123 4567", 49, KC_ERR_INVALID},
  {"0177 ((123)) 4567", 49, KC_ERR_INVALID},
  {"0177\n1234567", 49, KC_ERR_INVALID},
  {"0177 1234567", 0, KC_ERR_INVALID},
  {"0177 1234567", 4, KC_ERR_INVALID},
  {"0177 1234567", 491, KC_ERR_INVALID},
  {"0177 1234567", 1000, KC_ERR_INVALID},
  {"+49 \xef\xbc\x91\xef\xbc\x97\xef\xbc\x97", 49, KC_ERR_INVALID},
  {"+49 177", 49, KC_ERR_RANGE},
  {"+49 1234", 49, KC_ERR_RANGE}, /* 6 digits in all */
  {"+49 123", 49, KC_ERR_RANGE},
  {"0123", 49, KC_ERR_RANGE},
  {"+49 1771234567890123", 49, KC_ERR_RANGE},
  {"0177 1234567890123", 49, KC_ERR_RANGE},
  {"+49 177 1234567 1234567 1234567 12", 49, KC_ERR_TOO_LARGE},
  {"000000000000000000000000000000000", 49, KC_ERR_TOO_LARGE},
  {"0000000000000000000000000", 49, KC_ERR_RANGE},
};

START_TEST(test_phone_normalize_table)
{
  char out[KC_PHONE_E164_SIZE];
  size_t i;

  for (i = 0; i < N(good); i++) {
    int r = kc_phone_normalize(good[i].in, good[i].cc, out, sizeof(out));
    ck_assert_msg(r == 0, "\"%s\": %d", good[i].in, r);
    ck_assert_str_eq(out, good[i].e164);
    ck_assert(kc_phone_is_e164(out));
  }
}
END_TEST

START_TEST(test_phone_normalize_refuses)
{
  char out[KC_PHONE_E164_SIZE];
  size_t i;

  for (i = 0; i < N(bad); i++) {
    memcpy(out, "junk", 5);
    int r = kc_phone_normalize(bad[i].in, bad[i].cc, out, sizeof(out));
    ck_assert_msg(r == bad[i].err, "\"%s\" (cc %u): %d, want %d", bad[i].in,
                  bad[i].cc, r, bad[i].err);
    ck_assert_str_eq(out, "");
  }
}
END_TEST

START_TEST(test_phone_normalize_small_output)
{
  char out[13];

  /* "+491771234567" needs 14 bytes */
  ck_assert_int_eq(kc_phone_normalize("0177 1234567", 49, out, sizeof(out)),
                   KC_ERR_TOO_LARGE);
  ck_assert_str_eq(out, "");
  ck_assert_int_eq(kc_phone_normalize("0177 1234567", 49, out, 0),
                   KC_ERR_TOO_LARGE);
}
END_TEST

START_TEST(test_phone_normalize_is_idempotent)
{
  char once[KC_PHONE_E164_SIZE], twice[KC_PHONE_E164_SIZE];
  size_t i;

  for (i = 0; i < N(good); i++) {
    if (kc_phone_normalize(good[i].in, good[i].cc, once, sizeof(once)) != 0)
      continue;
    ck_assert_int_eq(kc_phone_normalize(once, 1, twice, sizeof(twice)), 0);
    ck_assert_str_eq(once, twice);
  }
}
END_TEST

static const struct {
  const char *digits;
  size_t len;
} cc_table[] = {
  {"1", 1},   {"12125550123", 1}, {"7", 1},   {"79123", 1}, {"20", 2},
  {"27", 2},  {"30", 2},          {"36", 2},  {"39", 2},    {"41", 2},
  {"49", 2},  {"4917", 2},        {"55", 2},  {"66", 2},    {"81", 2},
  {"86", 2},  {"98", 2},          {"212", 3}, {"353", 3},   {"420", 3},
  {"590", 3}, {"683", 3},         {"996", 3}, {"35", 0},    {"42", 0},
  {"2", 0},   {"0", 0},           {"049", 0}, {"", 0},      {"+49", 0},
};

START_TEST(test_phone_cc_len_table)
{
  size_t i;

  for (i = 0; i < N(cc_table); i++)
    ck_assert_msg(kc_phone_cc_len(cc_table[i].digits) == cc_table[i].len,
                  "\"%s\"", cc_table[i].digits);
}
END_TEST

START_TEST(test_phone_is_e164)
{
  ck_assert(kc_phone_is_e164("+491771234567"));
  ck_assert(kc_phone_is_e164("+12125550123"));
  ck_assert(kc_phone_is_e164("+491234567890123"));   /* 15 digits */
  ck_assert(!kc_phone_is_e164("+4912345678901234")); /* 16 */
  ck_assert(!kc_phone_is_e164("+49177"));
  ck_assert(!kc_phone_is_e164("491771234567"));
  ck_assert(!kc_phone_is_e164("+0491771234567"));
  ck_assert(!kc_phone_is_e164("+49 177 1234567"));
  ck_assert(!kc_phone_is_e164("+491771234567\n"));
  ck_assert(!kc_phone_is_e164(""));
}
END_TEST

static const struct {
  const char *in;
  const char *mask;
} phone_masks[] = {
  {"+491771234567", "+49 177 ***4567"},
  {"+4915112345678", "+49 151 ***5678"},
  {"+12125550123", "+1 212 ***0123"},
  {"+3531234567", "+353 1 ***567"},
  {"+86812345", "+86 ***345"},
  {"+390612345678", "+39 061 ***5678"},
  {"491771234567", "***"},
  {"+49abc", "***"},
  {"", "***"},
};

START_TEST(test_phone_mask_table)
{
  char out[KC_PHONE_MASK_SIZE];
  size_t i;

  for (i = 0; i < N(phone_masks); i++) {
    kc_phone_mask(phone_masks[i].in, out, sizeof(out));
    ck_assert_str_eq(out, phone_masks[i].mask);
  }
}
END_TEST

START_TEST(test_phone_mask_small_output)
{
  char out[8];

  kc_phone_mask("+491771234567", out, sizeof(out));
  ck_assert_str_eq(out, "***");
  kc_phone_mask("+491771234567", out, 3);
  ck_assert_str_eq(out, "");
}
END_TEST

static const struct {
  const char *in;
  const char *mask;
} mail_masks[] = {
  {"m.mustermann@example.org", "m.mu***@example.org"},
  {"abcdefgh@x.de", "abcd***@x.de"},
  {"abcdefg@x.de", "a***@x.de"},
  {"max@example.org", "m***@example.org"},
  {"a@b.c", "a***@b.c"},
  {"noatsign", "***"},
  {"@x.de", "***"},
  {"a@", "***"},
  {"a@b@c.de", "***"},
  {"a b@c.de", "***"},
  {"\xc3\xbc@x.de", "***"},
  {"a@b.de\r\n", "***"},
  {"", "***"},
};

START_TEST(test_phone_mail_mask_table)
{
  char out[KC_MAIL_MASK_SIZE];
  size_t i;

  for (i = 0; i < N(mail_masks); i++) {
    kc_mail_mask(mail_masks[i].in, out, sizeof(out));
    ck_assert_str_eq(out, mail_masks[i].mask);
  }
}
END_TEST

START_TEST(test_phone_mail_mask_long_and_small)
{
  char addr[KC_MAX_EMAIL + 2], out[KC_MAIL_MASK_SIZE], small[10];

  memset(addr, 'a', sizeof(addr));
  addr[10] = '@';
  addr[KC_MAX_EMAIL] = '\0'; /* exactly the limit */
  kc_mail_mask(addr, out, sizeof(out));
  ck_assert_int_eq(strncmp(out, "aaaa***@aaa", 11), 0);
  addr[KC_MAX_EMAIL] = 'a';
  addr[KC_MAX_EMAIL + 1] = '\0'; /* one over */
  kc_mail_mask(addr, out, sizeof(out));
  ck_assert_str_eq(out, "***");
  kc_mail_mask("m.mustermann@example.org", small, sizeof(small));
  ck_assert_str_eq(small, "***");
}
END_TEST

static Suite *
phone_suite(void)
{
  Suite *s = suite_create("phone");
  TCase *tc = tcase_create("core");

  tcase_add_test(tc, test_phone_normalize_table);
  tcase_add_test(tc, test_phone_normalize_refuses);
  tcase_add_test(tc, test_phone_normalize_small_output);
  tcase_add_test(tc, test_phone_normalize_is_idempotent);
  tcase_add_test(tc, test_phone_cc_len_table);
  tcase_add_test(tc, test_phone_is_e164);
  tcase_add_test(tc, test_phone_mask_table);
  tcase_add_test(tc, test_phone_mask_small_output);
  tcase_add_test(tc, test_phone_mail_mask_table);
  tcase_add_test(tc, test_phone_mail_mask_long_and_small);
  suite_add_tcase(s, tc);
  return s;
}

int
main(void)
{
  SRunner *sr = srunner_create(phone_suite());
  int failed;

  srunner_run_all(sr, CK_NORMAL);
  failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
