/*
 * Unit tests for kcd/web/qr.c (the enrolment QR code) and the CSP switch
 * that lets its data: URI be shown (kc_http_csp in kcd/web/http.c).
 * The PNG is read by png_check.c, a decoder written apart from png.c; the
 * pixels are compared with the module matrix libqrencode gives for the
 * same text and settings. tests/integration/test_qr_png.sh has zbarimg
 * read the code back.
 */
#include <config.h>

#include <check.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <qrencode.h>
#include <sodium.h>

#include "http.h"
#include "kc_buf.h"
#include "kc_err.h"
#include "kc_limits.h"
#include "png.h"
#include "png_check.h"
#include "qr.h"

#define URI_UMLAUT                                                             \
  "otpauth://totp/Praxis%20M%C3%BCller:j%C3%BCrgen.m%C3%B6ller"                \
  "?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP&issuer=Praxis%20M%C3%BCller"       \
  "&algorithm=SHA1&digits=6&period=30"

/* A text of n bytes that libqrencode keeps in 8-bit mode (lower case). */
static char *
text_of(size_t n)
{
  char *t = malloc(n + 1);
  size_t i;

  ck_assert_ptr_nonnull(t);
  for (i = 0; i < n; i++)
    t[i] = (char) ('a' + (i * 7) % 26);
  t[n] = '\0';
  return t;
}

/* kc_qr_png(text), decoded and compared pixel by pixel with the matrix. */
static void
check_png(const char *text)
{
  QRcode *qr;
  struct kc_buf out;
  struct decoded d;
  uint32_t x, y, side;
  int mx, my;
  unsigned want;

  qr = QRcode_encodeString(text, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
  ck_assert_ptr_nonnull(qr);
  side = (uint32_t) (qr->width + 2 * KC_QR_QUIET) * KC_QR_SCALE;

  kc_buf_init(&out, KC_QR_PNG_MAX);
  ck_assert_int_eq(kc_qr_png(&out, text), 0);
  ck_assert_uint_eq(kc_buf_len(&out), kc_png_gray1_size(side, side));
  ck_assert_uint_le(kc_buf_len(&out), KC_QR_PNG_MAX);
  png_decode((const unsigned char *) kc_buf_get(&out), kc_buf_len(&out), &d);
  ck_assert_uint_eq(d.depth, 1);
  ck_assert_uint_eq(d.w, side);
  ck_assert_uint_eq(d.h, side);
  png_check_filters(&d);
  for (y = 0; y < side; y++)
    for (x = 0; x < side; x++) {
      mx = (int) (x / KC_QR_SCALE) - KC_QR_QUIET;
      my = (int) (y / KC_QR_SCALE) - KC_QR_QUIET;
      if (mx < 0 || my < 0 || mx >= qr->width || my >= qr->width)
        want = 1; /* quiet zone: white */
      else
        want = (qr->data[my * qr->width + mx] & 1) ? 0 : 1;
      if (png_pixel1(&d, x, y) != want)
        ck_abort_msg("pixel %u,%u is %u, module %d,%d wants %u", x, y,
                     png_pixel1(&d, x, y), mx, my, want);
    }
  free(d.raw);
  kc_buf_free(&out);
  QRcode_free(qr);
}

START_TEST(test_qr_png_matches_matrix)
{
  char *max = text_of(KC_MAX_TOTP_URI);

  check_png(URI_UMLAUT);
  check_png("A");
  /* the largest text: a version 38 code, more than one stored block */
  check_png(max);
  free(max);
}
END_TEST

START_TEST(test_qr_png_large_is_several_blocks)
{
  char *max = text_of(KC_MAX_TOTP_URI);
  struct kc_buf out;
  struct decoded d;

  kc_buf_init(&out, KC_QR_PNG_MAX);
  ck_assert_int_eq(kc_qr_png(&out, max), 0);
  png_decode((const unsigned char *) kc_buf_get(&out), kc_buf_len(&out), &d);
  ck_assert_uint_gt(d.raw_len, 2 * 65535); /* three stored blocks */
  ck_assert_uint_gt(d.w, KC_PNG_MAX_DIM);  /* past the 8-bit encoder's cap */
  free(d.raw);
  kc_buf_free(&out);
  free(max);
}
END_TEST

START_TEST(test_qr_png_stable_and_distinct)
{
  struct kc_buf a, b, c;

  kc_buf_init(&a, KC_QR_PNG_MAX);
  kc_buf_init(&b, KC_QR_PNG_MAX);
  kc_buf_init(&c, KC_QR_PNG_MAX);
  ck_assert_int_eq(kc_qr_png(&a, URI_UMLAUT), 0);
  ck_assert_int_eq(kc_qr_png(&b, URI_UMLAUT), 0);
  ck_assert_int_eq(kc_qr_png(&c, "otpauth://totp/x:y?secret=AAAAAAAA"), 0);
  ck_assert_uint_eq(kc_buf_len(&a), kc_buf_len(&b));
  ck_assert_mem_eq(kc_buf_get(&a), kc_buf_get(&b), kc_buf_len(&a));
  ck_assert(kc_buf_len(&a) != kc_buf_len(&c) ||
            memcmp(kc_buf_get(&a), kc_buf_get(&c), kc_buf_len(&a)) != 0);
  kc_buf_free(&a);
  kc_buf_free(&b);
  kc_buf_free(&c);
}
END_TEST

START_TEST(test_qr_limits)
{
  char *max = text_of(KC_MAX_TOTP_URI);
  char *over = text_of(KC_MAX_TOTP_URI + 1);
  struct kc_buf out;

  kc_buf_init(&out, KC_QR_PNG_MAX);
  ck_assert_int_eq(kc_qr_png(&out, over), KC_ERR_TOO_LARGE);
  ck_assert_uint_eq(kc_buf_len(&out), 0);
  ck_assert_ptr_null(out.data);
  ck_assert_int_eq(kc_qr_png(&out, ""), KC_ERR_INVALID);
  ck_assert_uint_eq(kc_buf_len(&out), 0);

  /* a failure also drops what the buffer held before */
  ck_assert_int_eq(kc_buf_add_str(&out, "before"), 0);
  ck_assert_int_eq(kc_qr_png(&out, over), KC_ERR_TOO_LARGE);
  ck_assert_uint_eq(kc_buf_len(&out), 0);
  ck_assert_ptr_null(out.data);

  /* the output cap is the caller's: a PNG over it fails, nothing left */
  kc_buf_init(&out, 1000);
  ck_assert_int_eq(kc_qr_png(&out, URI_UMLAUT), KC_ERR_TOO_LARGE);
  ck_assert_uint_eq(kc_buf_len(&out), 0);
  ck_assert_ptr_null(out.data);

  /* the largest text is taken with the documented caps */
  kc_buf_init(&out, KC_QR_PNG_MAX);
  ck_assert_int_eq(kc_qr_png(&out, max), 0);
  kc_buf_free(&out);
  kc_buf_init(&out, KC_QR_DATA_URI_MAX);
  ck_assert_int_eq(kc_qr_data_uri(&out, max), 0);
  ck_assert_uint_le(kc_buf_len(&out), KC_QR_DATA_URI_MAX);
  kc_buf_free(&out);

  ck_assert_int_eq(kc_qr_data_uri(&out, over), KC_ERR_TOO_LARGE);
  ck_assert_ptr_null(out.data);
  ck_assert_int_eq(kc_qr_data_uri(&out, ""), KC_ERR_INVALID);
  ck_assert_ptr_null(out.data);
  kc_buf_init(&out, 4000);
  ck_assert_int_eq(kc_qr_data_uri(&out, URI_UMLAUT), KC_ERR_TOO_LARGE);
  ck_assert_uint_eq(kc_buf_len(&out), 0);
  ck_assert_ptr_null(out.data);

  /* the largest code at KC_QR_SCALE fits the bounds png.c and qr.h name */
  ck_assert_uint_le(kc_png_gray1_size((KC_QR_MAX_MODULES + 2 * KC_QR_QUIET) *
                                        KC_QR_SCALE,
                                      (KC_QR_MAX_MODULES + 2 * KC_QR_QUIET) *
                                        KC_QR_SCALE),
                    KC_QR_PNG_MAX);
  free(max);
  free(over);
}
END_TEST

START_TEST(test_qr_data_uri)
{
  static const char prefix[] = "data:image/png;base64,";
  struct kc_buf uri, png;
  const char *b64;
  char *alone;
  unsigned char *bin;
  size_t bin_len, n;

  kc_buf_init(&uri, KC_QR_DATA_URI_MAX);
  kc_buf_init(&png, KC_QR_PNG_MAX);
  ck_assert_int_eq(kc_qr_data_uri(&uri, URI_UMLAUT), 0);
  ck_assert_int_eq(kc_qr_png(&png, URI_UMLAUT), 0);
  ck_assert_uint_gt(kc_buf_len(&uri), sizeof(prefix) - 1);
  ck_assert_mem_eq(kc_buf_get(&uri), prefix, sizeof(prefix) - 1);

  /* the rest is standard base64 with padding, nothing that needs HTML
   * escaping in an attribute, and decodes to the very PNG */
  b64 = kc_buf_get(&uri) + sizeof(prefix) - 1;
  n = strlen(b64);
  ck_assert_uint_eq(n % 4, 0);
  ck_assert_uint_eq(strspn(b64, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                "abcdefghijklmnopqrstuvwxyz0123456789+/="),
                    n);
  ck_assert_uint_eq(n, (kc_buf_len(&png) + 2) / 3 * 4);
  bin = malloc(kc_buf_len(&png) + 3);
  ck_assert_ptr_nonnull(bin);
  ck_assert_int_eq(sodium_base642bin(bin, kc_buf_len(&png) + 3, b64, n, NULL,
                                     &bin_len, NULL,
                                     sodium_base64_VARIANT_ORIGINAL),
                   0);
  ck_assert_uint_eq(bin_len, kc_buf_len(&png));
  ck_assert_mem_eq(bin, kc_buf_get(&png), bin_len);

  /* appended, like every kc_buf writer */
  alone = kc_buf_detach(&uri);
  ck_assert_ptr_nonnull(alone);
  ck_assert_int_eq(kc_buf_add_str(&uri, "<img src=\""), 0);
  ck_assert_int_eq(kc_qr_data_uri(&uri, URI_UMLAUT), 0);
  ck_assert_mem_eq(kc_buf_get(&uri), "<img src=\"", 10);
  ck_assert_str_eq(kc_buf_get(&uri) + 10, alone);
  free(alone);
  free(bin);
  kc_buf_free(&uri);
  kc_buf_free(&png);
}
END_TEST

START_TEST(test_qr_csp)
{
  struct kc_http_resp resp;

  memset(&resp, 0, sizeof(resp));
  /* unchanged policies when nothing is asked */
  ck_assert_str_eq(kc_http_csp(&resp),
                   "default-src 'none'; style-src 'self'; img-src 'self'; "
                   "form-action 'self'; frame-ancestors 'none'; "
                   "base-uri 'none'");
  resp.allow_script = true;
  ck_assert_str_eq(kc_http_csp(&resp),
                   "default-src 'none'; style-src 'self'; img-src 'self'; "
                   "script-src 'self'; connect-src 'self'; form-action "
                   "'self'; frame-ancestors 'none'; base-uri 'none'");
  /* data: images only for the response that asks */
  resp.allow_script = false;
  resp.allow_data_img = true;
  ck_assert_str_eq(kc_http_csp(&resp),
                   "default-src 'none'; style-src 'self'; "
                   "img-src 'self' data:; form-action 'self'; "
                   "frame-ancestors 'none'; base-uri 'none'");
  resp.allow_script = true;
  ck_assert_str_eq(kc_http_csp(&resp),
                   "default-src 'none'; style-src 'self'; "
                   "img-src 'self' data:; script-src 'self'; "
                   "connect-src 'self'; form-action 'self'; "
                   "frame-ancestors 'none'; base-uri 'none'");
}
END_TEST

/* Threads: each makes its own code many times; all must come out as the
 * reference made alone. */
struct race {
  const char *text;
  const struct kc_buf *want;
  int bad;
};

static void *
race_png(void *arg)
{
  struct race *r = arg;
  struct kc_buf out;
  int i;

  for (i = 0; i < 30; i++) {
    kc_buf_init(&out, KC_QR_PNG_MAX);
    if (kc_qr_png(&out, r->text) != 0 ||
        kc_buf_len(&out) != kc_buf_len(r->want) ||
        memcmp(kc_buf_get(&out), kc_buf_get(r->want), kc_buf_len(&out)) != 0)
      r->bad++;
    kc_buf_free(&out);
  }
  return NULL;
}

START_TEST(test_qr_threads)
{
  static const char *texts[4] =
    {URI_UMLAUT, "otpauth://totp/a:b?secret=MFRGGZDFMZTWQ2LK",
     "otpauth://totp/Kundencenter:mmuster?secret=GEZDGNBVGY3TQOJQ"
     "GEZDGNBVGY3TQOJQ&issuer=Kundencenter",
     "otpauth://totp/X:%C3%A4%C3%B6%C3%BC%C3%9F?secret=ORSXG5A"};
  struct kc_buf want[4];
  struct race r[4];
  pthread_t t[4];
  int i;

  for (i = 0; i < 4; i++) {
    kc_buf_init(&want[i], KC_QR_PNG_MAX);
    ck_assert_int_eq(kc_qr_png(&want[i], texts[i]), 0);
    r[i].text = texts[i];
    r[i].want = &want[i];
    r[i].bad = 0;
  }
  for (i = 0; i < 4; i++)
    ck_assert_int_eq(pthread_create(&t[i], NULL, race_png, &r[i]), 0);
  for (i = 0; i < 4; i++) {
    ck_assert_int_eq(pthread_join(t[i], NULL), 0);
    ck_assert_int_eq(r[i].bad, 0);
    kc_buf_free(&want[i]);
  }
}
END_TEST

static Suite *
qr_suite(void)
{
  Suite *s = suite_create("qr");
  TCase *png = tcase_create("png");
  TCase *uri = tcase_create("uri");
  TCase *thr = tcase_create("threads");

  tcase_add_test(png, test_qr_png_matches_matrix);
  tcase_add_test(png, test_qr_png_large_is_several_blocks);
  tcase_add_test(png, test_qr_png_stable_and_distinct);
  tcase_add_test(png, test_qr_limits);
  tcase_set_timeout(png, 60);
  suite_add_tcase(s, png);
  tcase_add_test(uri, test_qr_data_uri);
  tcase_add_test(uri, test_qr_csp);
  suite_add_tcase(s, uri);
  tcase_add_test(thr, test_qr_threads);
  tcase_set_timeout(thr, 60);
  suite_add_tcase(s, thr);
  return s;
}

int
main(void)
{
  SRunner *sr;
  int failed;

  if (sodium_init() < 0)
    return EXIT_FAILURE;
  sr = srunner_create(qr_suite());
  srunner_run_all(sr, CK_NORMAL);
  failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
