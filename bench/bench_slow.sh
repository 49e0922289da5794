#!/usr/bin/env bash
# bench_slow.sh: slow clients on kcd's web front. For each load, N
# connections from A loopback addresses (127.0.0.10..) that send their
# headers a byte every 3 s (tests/tools/kc_slowclients.py) are opened;
# once they are held (or after 20 s), a fresh client (127.0.0.200) sends
# 20 GET /register one after another. Printed: how many slow connections
# kcd holds, the fresh client's answers (200 or not) and its time p50 and
# max, kcd's RSS, descriptors and threads. Not a test.
#
#   top_srcdir=SRC top_builddir=BUILD bash SRC/bench/bench_slow.sh
#
# Environment: KC_BENCH_SMOKE=1 (one small load), KC_BENCH_SLOW="N:A ..."
# (the loads; default "0:0 250:50 1000:50 2000:100").
set -u
: "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
export top_srcdir top_builddir
. "$top_srcdir/bench/lib.sh"

if [[ -n ${KC_BENCH_SMOKE:-} ]]; then
  loads=${KC_BENCH_SLOW:-"0:0 100:10"}
  gets=5
else
  loads=${KC_BENCH_SLOW:-"0:0 250:50 1000:50 2000:100"}
  gets=20
fi
PY=/usr/bin/python3
SLOW=$top_srcdir/tests/tools/kc_slowclients.py
kc_bench_require
kc_slapd_require
kc_bench_slapd_start || exit 1
work=$(mktemp -d "${TMPDIR:-/tmp}/kc-bench-slow.XXXXXX") || exit 1
kc_cleanup_add "rm -rf '$work'"
kc_kcd_start "captcha = none" "password_hash_upgrade = no" || exit 1
port=${KC_KCD_URL##*:}
slow_pid=
kc_cleanup_add '[[ -n $slow_pid ]] && kill $slow_pid 2>/dev/null'

echo "## Slow clients on the web front"
echo
conns=$(sed -n 's/.*http_conns=\([0-9]*\).*/\1/p' "$KC_KCD_LOG" | tail -n 1)
echo "kcd takes ${conns:-256} web connections at most, 32 per address;" \
  "fresh client: $gets GET /register from 127.0.0.200 in a row."
echo
echo "| slow conns (addresses) | held by kcd | fresh GET: 200 of $gets | p50 ms | max ms | kcd RSS MiB | fds | threads |"
echo "|---|---|---|---|---|---|---|---|"
for load in $loads; do
  n=${load%:*} a=${load#*:}
  held=0
  rm -f "$work/status"
  if ((n > 0)); then
    $PY "$SLOW" --port "$port" --conns "$n" --addrs "$a" --drip 3 \
      --status "$work/status" >"$work/slow.out" 2>&1 &
    slow_pid=$!
    for ((i = 0; i < 200; i++)); do
      [[ -f $work/status ]] && held=$(awk '{print $2}' "$work/status")
      ((held >= n)) && break
      sleep 0.1
    done
    sleep 1
    held=$(awk '{print $2}' "$work/status")
  fi
  : >"$work/times"
  ok=0
  for ((i = 0; i < gets; i++)); do
    out=$(curl -s -o /dev/null -m 30 --interface 127.0.0.200 \
      -w '%{http_code} %{time_total}' "$KC_KCD_URL/register")
    [[ ${out% *} == 200 ]] && ok=$((ok + 1))
    echo "${out#* }" >>"$work/times"
  done
  read -r p50 max < <(sort -n "$work/times" |
    awk '{v[NR] = $1} END {printf "%.0f %.0f\n", v[int((NR + 1) / 2)] * 1000, v[NR] * 1000}')
  rss=$(kc_bench_rss_kib "$KC_KCD_PID")
  printf '| %s (%s) | %s | %s | %s | %s | %s | %s | %s |\n' "$n" "$a" "$held" \
    "$ok" "$p50" "$max" "$(awk -v r="$rss" 'BEGIN { printf "%.1f", r / 1024 }')" \
    "$(kc_bench_fds "$KC_KCD_PID")" "$(kc_bench_threads "$KC_KCD_PID")"
  if [[ -n $slow_pid ]]; then
    kill "$slow_pid" 2>/dev/null
    wait "$slow_pid" 2>/dev/null
    slow_pid=
    sleep 2
  fi
done
echo
echo "kcd's peak RSS: $(($(kc_bench_hwm_kib "$KC_KCD_PID") / 1024)) MiB"
