#!/usr/bin/env bash
# examples/demo.sh --self-test against this build: the demo starts its
# private slapd, kcd (maildir/file transports) and PAM service, registers
# a customer with curl, activates an account with emailTAN from the
# mailed link, and logs in with pamtester through pam_wrapper, reading
# the TAN from the Maildir; then a second account with the authenticator
# app, oathtool computing its codes from the secret the page shows. Nothing is installed or built here
# (--no-install, KC_DEMO_BUILDDIR).
set -u
. "$top_srcdir/tests/lib/slapd.sh"
. "$top_srcdir/tests/lib/check.sh"
kc_slapd_require
for p in curl python3 pamtester oathtool; do
  command -v "$p" >/dev/null || { echo "SKIP: $p not installed"; exit 77; }
done
compgen -G '/usr/lib*/libpam_wrapper.so' >/dev/null ||
  compgen -G '/usr/lib/*/libpam_wrapper.so' >/dev/null ||
  { echo "SKIP: libpam-wrapper not installed"; exit 77; }

start=$SECONDS
kc_check "demo.sh --self-test: register, activate, log in with a TAN and the app" \
  env KC_DEMO_BUILDDIR="$top_builddir" TMPDIR="${TMPDIR:-/tmp}" \
  timeout --foreground -k 5 120 bash "$top_srcdir/examples/demo.sh" \
  --self-test --no-install
printf '%s\n' "$KC_OUT" | sed 's/^/# /'
kc_check_grep "  pamtester was asked for the TAN and authenticated" \
  'successfully authenticated' echo "$KC_OUT"
kc_check_grep "  then for oathtool's code of the app, and authenticated" \
  'with the authenticator app$' echo "$KC_OUT"
kc_check "  within 60 s (took $((SECONDS - start)) s)" test $((SECONDS - start)) -lt 60
kc_check_grep "demo.sh --help describes --self-test" '--self-test' \
  bash "$top_srcdir/examples/demo.sh" --help
kc_check_fails "demo.sh refuses a bad --port" \
  bash "$top_srcdir/examples/demo.sh" --port 99999 --no-install
kc_done
