#!/usr/bin/env bash
# The built PAM module exports exactly the pam_sm_* entry points of
# pam_kundencenter.sym and links neither libldap, libsodium, libcurl nor
# libmicrohttpd (nor a TLS library), directly or through another library:
# it is a thin client (DESIGN.md section 2).
set -u
. "$top_srcdir/tests/lib/check.sh"

so=${KC_PAM_MODULE:-$top_builddir/pam_kundencenter/.libs/pam_kundencenter.so}
sym=$top_srcdir/pam_kundencenter/pam_kundencenter.sym
for tool in nm readelf ldd; do
  if ! command -v "$tool" >/dev/null; then
    echo "skip: $tool not installed (binutils, libc-bin)"
    exit 77
  fi
done
[[ -f $so ]] || { echo "module not built: $so" >&2; exit 1; }

want=$(printf '%s\n' pam_sm_acct_mgmt pam_sm_authenticate pam_sm_chauthtok \
  pam_sm_close_session pam_sm_open_session pam_sm_setcred)
kc_check "the symbol file lists the six entry points" \
  test "$(sort "$sym")" = "$want"

exported=$(nm -D --defined-only "$so" | awk '{ print $3 }' | sort)
kc_check "nm -D shows exactly the entry points" test "$exported" = "$want"
[[ $exported == "$want" ]] || printf '    # exported: %s\n' "$exported"

banned='ldap|lber|sodium|curl|microhttpd|gnutls|ssl|crypto|nettle'
kc_check_nogrep "no banned library is NEEDED" "$banned" \
  readelf -d "$so"
kc_check_nogrep "no banned library is loaded along (ldd)" "$banned" ldd "$so"
kc_check_grep "libpam is NEEDED" 'NEEDED.*libpam\.so' readelf -d "$so"
# A clang sanitizer build leaves its runtime's symbols to the host program.
undef=$(ldd -r "$so" 2>&1 | grep 'undefined symbol' |
  grep -Ev 'undefined symbol: __(asan|ubsan|lsan|sanitizer)_')
kc_check "no undefined symbol is left unresolved" test -z "$undef"
[[ -z $undef ]] || printf '    # %s\n' "$undef"

kc_done
