#!/usr/bin/env bash
# bench_memory.sh: kcd's memory and descriptors over many logins, what the
# module adds to its host process, and valgrind memcheck on the module
# over many logins in one process. Not a test: it prints tables.
#
#   top_srcdir=SRC top_builddir=BUILD bash SRC/bench/bench_memory.sh
#
# The accounts here have cheap hashes (argon2 m=32 KiB, t=3): kcd's code
# path is the same whatever slapd's hash costs, and 20,000 logins at the
# fixtures' 64 MiB would take this machine more than an hour. Each batch of
# logins is 98 % right passwords, 1 % wrong passwords and 1 % unknown
# users (kcd then spends a real argon2id verification, 64 MiB, itself).
#
# Environment: KC_BENCH_BATCH (logins per batch, default 10000),
# KC_BENCH_VALGRIND_COUNT (default 1000), KC_BENCH_SMOKE=1 (small counts).
set -u
: "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
export top_srcdir top_builddir
. "$top_srcdir/bench/lib.sh"

if [[ -n ${KC_BENCH_SMOKE:-} ]]; then
  batch=${KC_BENCH_BATCH:-200} vg_count=${KC_BENCH_VALGRIND_COUNT:-10}
  rss_count=50
else
  batch=${KC_BENCH_BATCH:-10000} vg_count=${KC_BENCH_VALGRIND_COUNT:-1000}
  rss_count=1000
fi
conc=4

kc_bench_require
kc_slapd_require
kc_bench_slapd_start || exit 1
work=$(mktemp -d "${TMPDIR:-/tmp}/kc-bench-mem.XXXXXX") || exit 1
chmod 755 "$work"
kc_cleanup_add "rm -rf '$work'"
kc_bench_users pw bm 64 cheap "$work/good.users" || exit 1
kc_bench_users pw bw 8 cheap "$work/wrong.users" || exit 1
# Wrong passwords (these accounts lock after 5; a locked account's answer
# is a refusal all the same) and unknown users.
awk '{print $1, $2 "-falsch"}' "$work/wrong.users" >"$work/wrong.pw"
for ((i = 1; i <= 8; i++)); do
  printf 'unbekannt%04d Irgendein-Passwort-%d\n' "$i" "$i"
done >"$work/unknown.users"
kc_bench_secret_key "$work/secret.key"
kc_kcd_start "password_hash_upgrade = no" "secret_key_file = $work/secret.key" "ldap_timeout = 120s" || exit 1

pamdir=$work/pam.d
mkdir -p "$pamdir"
kc_bench_pam_service "$pamdir/kc-bench" "$KC_KCD_SOCKET"
for f in auth account; do
  echo "$f required pam_permit.so"
done >"$pamdir/permit"

rc=0
# kc-bench-auth: 1 means some logins failed (printed, a result); more is
# a failure of the benchmark itself.
batch_status() {
  (($1 <= 1)) || rc=1
}
per_worker() { # COUNT: logins per worker for COUNT in all
  echo $((($1 + conc - 1) / conc))
}
good=$((batch * 98 / 100))
wrong=$((batch / 100))
unknown=$((batch - good - wrong))

echo "## Memory"
echo
echo "### kcd over $((2 * batch)) logins"
echo
echo "Batches of $batch logins through pam_kundencenter.so at concurrency $conc:" \
  "$good right passwords, $wrong wrong passwords, $unknown unknown users" \
  "(rounded up to a multiple of $conc). VmHWM is the peak RSS since kcd started."
echo
# one batch: the three kinds one after the other; kcd's CPU per login too.
batch_run() {
  "$KC_BENCH_AUTH" --conc "$conc" --confdir "$pamdir" --cpu "kcd=$KC_KCD_PID" \
    --count "$(per_worker "$good")" \
    --config "good pam service=kc-bench users=$work/good.users" \
    >"$work/batch.out" 2>&1 || batch_status "$?"
  "$KC_BENCH_AUTH" --conc "$conc" --confdir "$pamdir" --cpu "kcd=$KC_KCD_PID" \
    --count "$(per_worker "$wrong")" \
    --config "wrong pam service=kc-bench users=$work/wrong.pw expect=fail" \
    >>"$work/batch.out" 2>&1 || batch_status "$?"
  "$KC_BENCH_AUTH" --conc "$conc" --confdir "$pamdir" --cpu "kcd=$KC_KCD_PID" \
    --count "$(per_worker "$unknown")" \
    --config "unknown pam service=kc-bench users=$work/unknown.users expect=fail" \
    >>"$work/batch.out" 2>&1 || batch_status "$?"
  grep '^errors:' "$work/batch.out"
  grep '^| [0-9]' "$work/batch.out" >>"$work/batches.md"
}
state() { # LABEL
  printf '| %s | %s | %s | %s | %s |\n' "$1" "$(kc_bench_rss_kib "$KC_KCD_PID")" \
    "$(kc_bench_hwm_kib "$KC_KCD_PID")" "$(kc_bench_fds "$KC_KCD_PID")" \
    "$(kc_bench_threads "$KC_KCD_PID")"
}
echo "| after | VmRSS KiB | VmHWM KiB | open fds | threads |"
echo "|---|---:|---:|---:|---:|"
: >"$work/batches.md"
state "start (idle)"
# Warm-up: kcd wakes its most recently idle worker first, so at
# concurrency 4 a worker may see its first login (and open its two LDAP
# connections) late in a batch; 16 at once first puts every worker a uid
# may use to work, so the two batches compare like with like.
"$KC_BENCH_AUTH" --conc 16 --confdir "$pamdir" --count 4 \
  --config "warm pam service=kc-bench users=$work/good.users" \
  >"$work/warm.out" 2>&1 || batch_status "$?"
state "warm-up (64 logins, 16 at once)"
batch_run
state "$batch logins"
batch_run
state "$((2 * batch)) logins"
sleep 1
state "$((2 * batch)) logins, 1 s idle"
echo
echo "The batches (kc-bench-auth, operations per worker fixed):"
echo
echo "| conc | kind | seconds | ok ops | errors | per worker | ops/s | p50 ms | p90 ms | p99 ms | max ms | kcd CPU ms/op |"
echo "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
cat "$work/batches.md"
echo

# ------------------------------------------------ the module in its host
echo "### What the module adds to its host process"
echo
echo "kc-bench-auth in one process, $rss_count logins, VmRSS in KiB: before the first"
echo "pam_start, with the handle open after pam_acct_mgmt in the first and the last"
echo "login, and after the last pam_end. Service \`permit\` is pam_permit.so alone"
echo "(libpam's own share); \`kc\` is pam_kundencenter.so."
echo
echo "| service | before | first login | last login | after |"
echo "|---|---:|---:|---:|---:|"
for svc in permit kc-bench permit kc-bench; do
  out=$("$KC_BENCH_AUTH" --no-fork --rss --count "$rss_count" --confdir "$pamdir" \
    --config "x pam service=$svc users=$work/good.users" 2>&1) || batch_status "$?"
  sed -n 's/^rss_kib (x): before=\([0-9-]*\) first_login=\([0-9-]*\) last_login=\([0-9-]*\) after=\([0-9-]*\)$/| '"${svc/kc-bench/kc}"' | \1 | \2 | \3 | \4 |/p' <<<"$out"
done
echo

# ------------------------------------------------------------- valgrind
echo "### valgrind memcheck, $vg_count logins in one process"
echo
so=$KC_BENCH_MODULE
if readelf -d "$so" 2>/dev/null | grep -Eq 'NEEDED.*lib(a|ub)san'; then
  echo "not run: this is a sanitizer build (valgrind cannot run ASan code)"
elif ! command -v valgrind >/dev/null; then
  echo "not run: valgrind is missing (apt-get install valgrind)"
  rc=1
else
  valgrind --leak-check=full --show-leak-kinds=definite \
    --errors-for-leak-kinds=definite --error-exitcode=99 \
    --log-file="$work/valgrind.log" \
    "$KC_BENCH_AUTH" --no-fork --count "$vg_count" --confdir "$pamdir" \
    --config "kc pam service=kc-bench users=$work/good.users" >"$work/vg.out" 2>&1
  vrc=$?
  echo '```'
  grep -E 'ERROR SUMMARY|definitely lost|indirectly lost|possibly lost|still reachable|All heap blocks' \
    "$work/valgrind.log" | sed 's/^==[0-9]*== *//'
  grep '^| [0-9]' "$work/vg.out" | awk -F'|' '{printf "logins: %s ok, %s failed\n", $5, $6}'
  echo '```'
  if ((vrc != 0)); then # a result too: shown, not a failure of the run
    echo "valgrind exit status $vrc; the log:"
    sed 's/^==[0-9]*== *//' "$work/valgrind.log" | head -n 60
  fi
fi
echo
exit $rc
