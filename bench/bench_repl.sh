#!/usr/bin/env bash
# bench_repl.sh: two providers, two kcd (issue 20). Not a test: it prints
# numbers.
#
# (1) Logins per second and p99 through the PAM module, interleaved in one
#     run of kc-bench-auth:
#     - one: one kcd on provider 1 of a replicated pair;
#     - two: two kcd, each on its own provider (kcd A lists provider 1
#       first, kcd B provider 2), the load generator's workers alternating
#       between them.
#     On one machine the two slapd share its cores, so no gain is
#     expected: the figure is that nothing is lost and nothing fails.
# (2) The replication lag of a TAN write (kc-repl-lag): the time from
#     provider 1's answer to a TAN modify until provider 2 has it, median
#     and p99.
#
#   top_srcdir=SRC top_builddir=BUILD bash SRC/bench/bench_repl.sh
#
# Environment: KC_BENCH_CONC (default 1,4,16), KC_BENCH_DURATION (s per
# round, default 10), KC_BENCH_ROUNDS (2), KC_BENCH_WARMUP (2),
# KC_BENCH_LAG_COUNT (200), KC_BENCH_SMOKE=1 (CI: cheap hashes, brief).
set -u
: "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
. "$top_srcdir/bench/lib.sh"
. "$top_srcdir/tests/lib/slapd_pair.sh"

if [[ -n ${KC_BENCH_SMOKE:-} ]]; then
  cost=cheap duration=${KC_BENCH_DURATION:-0.4} rounds=${KC_BENCH_ROUNDS:-1}
  warmup=${KC_BENCH_WARMUP:-0.2} npw=8 lag_count=${KC_BENCH_LAG_COUNT:-5}
else
  cost=real duration=${KC_BENCH_DURATION:-10} rounds=${KC_BENCH_ROUNDS:-2}
  warmup=${KC_BENCH_WARMUP:-2} npw=64 lag_count=${KC_BENCH_LAG_COUNT:-200}
fi
conc=${KC_BENCH_CONC:-1,4,16}
lagtool=$top_builddir/bench/kc-repl-lag
kc_bench_require || exit 1
[[ -x $lagtool ]] || { echo "bench_repl: $lagtool is not built (make bench)" >&2; exit 1; }

KC_SLAPD_DEBUG=${KC_SLAPD_DEBUG:-0} kc_slapd_pair_start || exit 1
for n in 1 2; do
  kc_slapd_pair_use "$n"
  kc_ldap_config ldapmodify >/dev/null <<EOF || exit 1
dn: cn=config
changetype: modify
replace: olcThreads
olcThreads: $KC_BENCH_SLAPD_THREADS
EOF
done
kc_slapd_pair_use 1
work=$(mktemp -d "${TMPDIR:-/tmp}/kc-bench-repl.XXXXXX") || exit 1
chmod 755 "$work"
kc_cleanup_add "rm -rf '$work'"
kc_bench_users pw br "$npw" "$cost" "$work/pw.users" || exit 1
last=$(printf 'br%04d' "$npw")
kc_slapd_pair_wait 2 "uid=$last,ou=accounts,$KC_LDAP_BASE" '(objectClass=*)' 60 >/dev/null ||
  { echo "bench_repl: the accounts did not reach provider 2" >&2; exit 1; }
kc_bench_secret_key "$work/secret.key"

kc_kcd_start "password_hash_upgrade = no" "ldap_uri = $KC_LDAP_URI1 $KC_LDAP_URI2" \
  "secret_key_file = $work/secret.key" "ldap_timeout = 120s" || exit 1
kc_bench_kcd_another kcdb_pid "$work/kcdb" \
  "ldap_uri = $KC_LDAP_URI2 $KC_LDAP_URI1" || exit 1
pamdir=$work/pam.d
mkdir -p "$pamdir"
kc_bench_pam_service "$pamdir/kc-a" "$KC_KCD_SOCKET"
kc_bench_pam_service "$pamdir/kc-b" "$work/kcdb/pam.sock"
cat >"$work/plan" <<EOF
one pam service=kc-a users=$work/pw.users desc=one kcd (16 workers) on provider 1 of a replicating pair
two pam service=kc-a,kc-b users=$work/pw.users desc=two kcd, A on provider 1 and B on provider 2, the load generator's workers alternating between them
EOF

echo "## Two providers, two kcd"
echo
echo "slapd providers $KC_LDAP_URI1 and $KC_LDAP_URI2 (syncrepl both ways," \
  "olcThreads $KC_BENCH_SLAPD_THREADS); $(nproc) CPUs shared by both;" \
  "$npw password accounts ($cost hashes); load average at start:" \
  "$(cut -d' ' -f1-3 /proc/loadavg)"
echo
"$KC_BENCH_AUTH" --conc "$conc" --duration "$duration" --warmup "$warmup" \
  --rounds "$rounds" --confdir "$pamdir" \
  --ldap-uri "$KC_LDAP_URI1" --ldap-base "$KC_LDAP_BASE" \
  --bind-dn "$KC_KCD_DN" --bind-pw-file "$KC_KCD_PW_FILE" \
  --cpu "kcd=$KC_KCD_PID" --cpu "kcd=$kcdb_pid" \
  --cpu "slapd=$KC_SLAPD_PID1" --cpu "slapd=$KC_SLAPD_PID2" \
  --plan "$work/plan" --ratio two:one
rc=$?
echo
echo "kcd A: $(grep -c 'AUTH OK' "$KC_KCD_LOG") logins, kcd B:" \
  "$(grep -c 'AUTH OK' "$work/kcdb/kcd.log") logins"
echo
echo '```'
"$lagtool" --from "$KC_LDAP_URI1" --to "$KC_LDAP_URI2" --bind-dn "$KC_KCD_DN" \
  --bind-pw-file "$KC_KCD_PW_FILE" --dn "uid=br0001,ou=accounts,$KC_LDAP_BASE" \
  --count "$lag_count" | tail -n 1 || rc=1
echo '```'
echo
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
((rc == 1)) && rc=0 # failed logins are a result, printed above
exit $rc
