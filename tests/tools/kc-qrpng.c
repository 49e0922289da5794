/*
 * kc-qrpng: write kcd's enrolment QR code for test_qr_png.sh.
 *
 *   kc-qrpng png TEXT FILE   the PNG of TEXT (kc_qr_png) into FILE
 *   kc-qrpng uri TEXT FILE   its data: URI (kc_qr_data_uri) into FILE
 *
 * Exit status: 0 written, 1 failure (the reason on stderr), 2 usage.
 */
#include <config.h>

#include <stdio.h>
#include <string.h>

#include "kc_buf.h"
#include "kc_err.h"
#include "qr.h"

int
main(int argc, char **argv)
{
  struct kc_buf out;
  FILE *f;
  int r, uri;

  if (argc != 4 ||
      (strcmp(argv[1], "png") != 0 && strcmp(argv[1], "uri") != 0)) {
    fprintf(stderr, "usage: kc-qrpng png|uri TEXT FILE\n");
    return 2;
  }
  uri = strcmp(argv[1], "uri") == 0;
  kc_buf_init(&out, uri ? KC_QR_DATA_URI_MAX : KC_QR_PNG_MAX);
  r = uri ? kc_qr_data_uri(&out, argv[2]) : kc_qr_png(&out, argv[2]);
  if (r != 0) {
    fprintf(stderr, "kc-qrpng: %s\n", kc_strerror(r));
    return 1;
  }
  if ((f = fopen(argv[3], "wb")) == NULL ||
      fwrite(kc_buf_get(&out), 1, kc_buf_len(&out), f) != kc_buf_len(&out) ||
      fclose(f) != 0) {
    perror(argv[3]);
    kc_buf_free(&out);
    return 1;
  }
  kc_buf_free(&out);
  return 0;
}
