#!/usr/bin/env bash
# bench_import.sh: how fast `kcadm customer import` fills a directory.
# Not a test: it prints figures and fails only when something breaks.
#
#   top_srcdir=SRC top_builddir=BUILD bash SRC/bench/bench_import.sh [ROWS]
#
# Starts a fresh private slapd (tests/lib/slapd.sh: the shipped schema,
# ppolicy, ACLs and DIT, mdb without fsync), writes a CSV of ROWS customers
# (default 10000; every 7th name non-ASCII), then times three imports as
# kcd's service DN: the first (all rows new), a second of the same file
# (all unchanged) and a third where every 10th row changed. Prints the
# seconds and rows per second of each and checks the entry count.
# The target for 10000 new rows is under 30 s on a 2-core machine.
set -u
: "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
export top_srcdir top_builddir
. "$top_srcdir/tests/lib/slapd.sh"

rows=${1:-10000}
kcadm=$top_builddir/kcd/kcadm
if [[ ! -x $kcadm ]]; then
  echo "bench_import: $kcadm is not built" >&2
  exit 1
fi
kc_slapd_require
kc_slapd_start || exit 1
work=$(mktemp -d "${TMPDIR:-/tmp}/kc-bench.XXXXXX") || exit 1
kc_cleanup_add "rm -rf '$work'"
conf=$work/kcd.conf
printf 'ldap_uri = %s\nldap_base = %s\nldap_bind_dn = %s\nldap_bind_pw_file = %s\n' \
  "$KC_LDAP_URI" "$KC_LDAP_BASE" "$KC_KCD_DN" "$KC_KCD_PW_FILE" >"$conf"
chmod 600 "$conf"

# gen ROWS CHANGE: the CSV; CHANGE > 0 alters the mail of every CHANGE-th.
gen() {
  awk -v n="$1" -v change="$2" 'BEGIN {
    print "Kundennummer;E-Mail;Name"
    for (i = 0; i < n; i++) {
      mail = "praxis" i "@kunden.example"
      if (change > 0 && i % change == 0)
        mail = "neu" i "@kunden.example"
      name = (i % 7 == 0) ? "Zahnarztpraxis M\303\274ller " i : "Praxis Dr. Beispiel " i
      printf "%d;%s;\"%s\"\n", 1000000 + i, mail, name
    }
  }'
}
gen "$rows" 0 >"$work/first.csv"
gen "$rows" 10 >"$work/changed.csv"

# run LABEL FILE: time one import and print the figures.
run() {
  local label=$1 file=$2 t0 t1 out
  t0=$(date +%s.%N)
  if ! out=$("$kcadm" -c "$conf" customer import "$file" 2>&1); then
    echo "bench_import: $label failed:" >&2
    printf '%s\n' "$out" >&2
    exit 1
  fi
  t1=$(date +%s.%N)
  awk -v l="$label" -v a="$t0" -v b="$t1" -v n="$rows" -v o="$out" 'BEGIN {
    s = b - a
    printf "%-28s %8.2f s %10.0f rows/s   (%s)\n", l, s, n / s, o
  }'
}

echo "kcadm customer import, $rows rows, $(nproc) CPUs, slapd $KC_LDAP_URI"
run "first import (all new)" "$work/first.csv"
run "re-import (all unchanged)" "$work/first.csv"
run "re-import (10% changed)" "$work/changed.csv"
n=$(kc_ldap_admin ldapsearch -LLL -b "ou=customers,$KC_LDAP_BASE" -s one \
  '(objectClass=kcCustomer)' 1.1 | grep -c '^dn:')
echo "customers in the directory: $n (fixtures included)"
if ((n < rows)); then
  echo "bench_import: expected at least $rows customers" >&2
  exit 1
fi
