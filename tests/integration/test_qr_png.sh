#!/usr/bin/env bash
# The enrolment QR code (kcd/web/qr.c), read by tools that share no code
# with it: pngcheck (zlib's inflate and CRC) finds the PNG sound and 1-bit
# grayscale, zbarimg reads back exactly the otpauth URI that went in
# (percent-encoded umlauts, a long issuer), and the data: URI carries the
# same PNG. Skips (77) only when zbarimg or pngcheck is not installed.
set -u
. "$top_srcdir/tests/lib/check.sh"
command -v zbarimg >/dev/null ||
  { echo "SKIP: zbarimg not installed (zbar-tools)"; exit 77; }
command -v pngcheck >/dev/null ||
  { echo "SKIP: pngcheck not installed (pngcheck)"; exit 77; }
tool=$top_builddir/tests/tools/kc-qrpng
[[ -x "$tool" ]] || { echo "error: $tool not built" >&2; exit 99; }

work=$(mktemp -d "${TMPDIR:-/tmp}/kc-qr.XXXXXX") || exit 99
trap 'rm -rf "$work"' EXIT

secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP
long_issuer=$(printf 'Zahnarztpraxis%%20Dr.%%20M%%C3%%BCller-L%%C3%%BCdenscheid%%20%.0s' \
  1 2 3)
texts=(
  "otpauth://totp/Kundencenter:mmuster?secret=$secret&issuer=Kundencenter&algorithm=SHA1&digits=6&period=30"
  "otpauth://totp/Praxis%20M%C3%BCller:j%C3%BCrgen.m%C3%B6ller?secret=$secret&issuer=Praxis%20M%C3%BCller&algorithm=SHA1&digits=6&period=30"
  "otpauth://totp/$long_issuer:stra%C3%9Fe%2B%C3%84rger?secret=$secret&issuer=$long_issuer&algorithm=SHA1&digits=6&period=30"
  # near KC_MAX_TOTP_URI (2048 bytes): a PNG of several deflate blocks
  "otpauth://totp/$long_issuer$long_issuer$long_issuer$long_issuer$long_issuer:j%C3%BCrgen?secret=$secret&issuer=$long_issuer$long_issuer$long_issuer$long_issuer$long_issuer&algorithm=SHA1&digits=6&period=30"
)

n=0
for t in "${texts[@]}"; do
  n=$((n + 1))
  png=$work/qr$n.png
  kc_check "text $n (${#t} bytes): kc_qr_png writes a PNG" "$tool" png "$t" "$png"
  kc_check_grep "text $n: pngcheck finds it sound, 1-bit grayscale" \
    '^OK: .*\(([0-9]+)x\1, 1-bit grayscale, non-interlaced' \
    pngcheck "$png"
  echo "    # ${KC_OUT#*(}"
  # (stdout only: zbarimg may complain on stderr that D-Bus is absent)
  if got=$(zbarimg --quiet --raw "$png" 2>"$work/zbar$n.err"); then
    kc_pass "text $n: zbarimg reads it"
  else
    kc_fail "text $n: zbarimg reads it"
    sed 's/^/    # /' "$work/zbar$n.err"
  fi
  if [[ $got == "$t" ]]; then
    kc_pass "text $n: zbarimg reads back exactly the text"
  else
    kc_fail "text $n: zbarimg reads back exactly the text"
    printf '    # want: %s\n    # got:  %s\n' "$t" "$got"
  fi

  uri=$work/qr$n.uri
  kc_check "text $n: kc_qr_data_uri writes a data: URI" "$tool" uri "$t" "$uri"
  kc_check "text $n: it starts data:image/png;base64," \
    grep -q '^data:image/png;base64,[A-Za-z0-9+/]*=*$' "$uri"
  sed 's|^data:image/png;base64,||' "$uri" | base64 -d >"$work/from-uri$n.png"
  kc_check "text $n: the data: URI carries the same PNG" \
    cmp "$png" "$work/from-uri$n.png"
done

# Over KC_MAX_TOTP_URI (2048): refused cleanly, nothing written.
over=$(printf 'x%.0s' $(seq 2049))
kc_check_grep "a text over 2048 bytes is refused" 'too large' \
  "$tool" png "$over" "$work/over.png"
kc_check "  and nothing is written" test ! -e "$work/over.png"

kc_done
