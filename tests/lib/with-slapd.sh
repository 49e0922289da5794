#!/bin/bash
#
# with-slapd.sh CMD [ARGS...]: run CMD against a private slapd.
#
# Starts slapd as tests/lib/slapd.sh's kc_slapd_start does (schema,
# ppolicy, ACLs, base DIT, fixtures), runs CMD with the KC_LDAP_*,
# KC_KCD_*, KC_SLAPD_* and KC_PW_* variables exported (see slapd.sh),
# stops slapd, removes its temp dir and exits with CMD's status.
# For C integration tests, e.g. as an automake LOG_COMPILER:
#
#   tests/lib/with-slapd.sh tests/integration/test_ldap
#
# Exit status: CMD's; 77 when slapd is not installed (skip); 99 when the
# private slapd cannot be started (hard error); 2 on usage errors.
# Bash is needed; automake may run this with "$(SHELL) script".
if [ -z "${BASH_VERSION:-}" ]; then exec bash "$0" "$@"; fi
set -u

if [[ $# -lt 1 ]]; then
  echo "usage: with-slapd.sh CMD [ARGS...]" >&2
  exit 2
fi

# shellcheck source=tests/lib/slapd.sh
. "$(cd "$(dirname "$0")" && pwd)/slapd.sh"

kc_slapd_require
if ! kc_slapd_start; then
  echo "with-slapd.sh: cannot start the private slapd" >&2
  exit 99
fi
"$@"
rc=$?
kc_slapd_stop
exit "$rc"
