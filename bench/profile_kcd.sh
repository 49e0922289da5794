#!/usr/bin/env bash
# profile_kcd.sh: where kcd's own CPU time goes on the password path.
# Samples kcd with perf (software event cpu-clock, so it works in VMs
# without hardware counters) while kc-bench-auth runs configuration (b)
# against accounts with cheap hashes, so that kcd rather than slapd's
# argon2 is what the machine is busy with. Prints perf's flat profile
# (self time) and the user-space functions with what they call. By hand,
# not part of `make bench`:
#
#   top_srcdir=SRC top_builddir=BUILD bash SRC/bench/profile_kcd.sh [CONC] [SECONDS]
#
# KC_BENCH_KCD_CONF: extra kcd.conf lines, one per line (e.g. workers = 4).
# KC_BENCH_COST=real: the fixtures' argon2id hashes instead of cheap ones,
# to see kcd at the login rate slapd really allows (a few per second).
# KC_BENCH_PERF_FREQ: samples per second (default 999; use more with real
# hashes, where kcd runs for well under a millisecond per login).
set -u
: "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
export top_srcdir top_builddir
. "$top_srcdir/bench/lib.sh"

conc=${1:-4}
seconds=${2:-10}
if ! command -v perf >/dev/null; then
  echo "profile_kcd: perf is missing (apt-get install linux-perf)" >&2
  exit 1
fi
kc_bench_require
kc_slapd_require
kc_bench_slapd_start || exit 1
work=$(mktemp -d "${TMPDIR:-/tmp}/kc-bench-prof.XXXXXX") || exit 1
chmod 755 "$work"
kc_cleanup_add "rm -rf '$work'"
cost=${KC_BENCH_COST:-cheap}
kc_bench_users pw bp 64 "$cost" "$work/pw.users" || exit 1
kc_bench_secret_key "$work/secret.key"
extra=()
while IFS= read -r line; do
  [[ -n $line ]] && extra+=("$line")
done <<<"${KC_BENCH_KCD_CONF:-}"
kc_kcd_start "password_hash_upgrade = no" "secret_key_file = $work/secret.key" "ldap_timeout = 120s" \
  "${extra[@]}" || exit 1
mkdir -p "$work/pam.d"
kc_bench_pam_service "$work/pam.d/kc-bench" "$KC_KCD_SOCKET"

perf record -F "${KC_BENCH_PERF_FREQ:-999}" -e cpu-clock -g -p "$KC_KCD_PID" -o "$work/perf.data" \
  >"$work/perf.log" 2>&1 &
perf_pid=$!
sleep 1
"$KC_BENCH_AUTH" --conc "$conc" --duration "$seconds" --warmup 1 \
  --confdir "$work/pam.d" --cpu "kcd=$KC_KCD_PID" --cpu "slapd=$KC_SLAPD_PID" \
  --config "b pam service=kc-bench users=$work/pw.users desc=pam_kundencenter.so + kcd, $cost hashes"
kill -INT "$perf_pid"
wait "$perf_pid"
echo
echo "perf: $(grep -o 'Captured.*' "$work/perf.log")"
echo
echo "### kcd, self time by object"
echo '```'
perf report -i "$work/perf.data" --no-children --sort dso -g none --stdio 2>/dev/null |
  grep '%' | head -n 12
echo '```'
echo
echo "### kcd, self time (top 25)"
echo '```'
perf report -i "$work/perf.data" --no-children --sort sym -g none --stdio 2>/dev/null |
  grep '%' | head -n 25
echo '```'
echo
echo "### kcd, user-space functions with what they call (top 25)"
echo '```'
perf report -i "$work/perf.data" --children --sort sym -g none --stdio 2>/dev/null |
  grep '%' | grep -v '\[k\]' | grep -Ev '\] (0x)?[0-9a-f]{16}$' | head -n 25
echo '```'
