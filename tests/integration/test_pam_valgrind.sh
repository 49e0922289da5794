#!/usr/bin/env bash
# The module's flows (test_pam_flows.sh) once more with kc-pamtest under
# valgrind: no invalid access, no use of uninitialised memory, no definite
# leak in the module. A sanitizer build has ASan/UBSan in the module
# already (and valgrind cannot run ASan code); there the flows test has
# covered this, and this test only says so.
set -u
so=${KC_PAM_MODULE:-$top_builddir/pam_kundencenter/.libs/pam_kundencenter.so}
if readelf -d "$so" 2>/dev/null | grep -Eq 'NEEDED.*lib(a|ub)san'; then
  echo "sanitizer build: test_pam_flows.sh ran the module under ASan/UBSan"
  exit 0
fi
if ! command -v valgrind >/dev/null; then
  echo "skip: valgrind not installed"
  exit 77
fi
export KC_PAMTEST_WRAPPER="valgrind -q --error-exitcode=99 --leak-check=full \
--errors-for-leak-kinds=definite --show-leak-kinds=definite"
exec bash "$top_srcdir/tests/integration/test_pam_flows.sh"
