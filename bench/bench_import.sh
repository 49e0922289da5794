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
. "$top_srcdir/bench/lib.sh"

rows=${1:-10000}
kcadm=$top_builddir/kcd/kcadm/kcadm
if [[ ! -x $kcadm ]]; then
  echo "bench_import: $kcadm is not built" >&2
  exit 1
fi
kc_slapd_require
kc_slapd_start || exit 1
work=$(mktemp -d "${TMPDIR:-/tmp}/kc-bench.XXXXXX") || exit 1
kc_cleanup_add "rm -rf '$work'"
conf=$work/kcd.conf
kc_bench_kcadm_conf "$conf"
kc_bench_customers_csv "$rows" >"$work/first.csv"
kc_bench_customers_csv "$rows" 10 >"$work/changed.csv"

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
