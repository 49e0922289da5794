#!/usr/bin/env bash
# Slow clients on the web front (kcd's libmicrohttpd in epoll mode, with
# requests on handler threads): 1,000 connections from 50 loopback
# addresses that send their headers a byte at a time leave /register
# answering for a fresh client, the self-registration goes through, the
# per-address cap (32) holds, and kcd's log says nothing went wrong. The
# time a fresh client waits and kcd's memory with the slow clients are
# figures of bench/bench_slow.sh (RELIABILITY.md), not checked here.
set -u
. "$top_srcdir/tests/lib/slapd.sh"
. "$top_srcdir/tests/lib/kcd.sh"
. "$top_srcdir/tests/lib/check.sh"
kc_slapd_require
command -v curl >/dev/null || { echo "SKIP: curl not installed"; exit 77; }
PY=/usr/bin/python3
SLOW=$top_srcdir/tests/tools/kc_slowclients.py
# 1000 connections need descriptors in kcd and in the client: at least
# 8192 (root may raise the hard limit; kcd raises its soft one itself)
if (($(ulimit -Hn) < 8192)); then
  ulimit -Hn 8192 2>/dev/null ||
    { echo "the hard limit on open files is $(ulimit -Hn), below 8192; run as root" >&2; exit 99; }
fi
(($(ulimit -Sn) >= 8192)) || ulimit -Sn 8192
kc_slapd_start || exit 1
kc_kcd_start "captcha = none" || exit 1
conns=$(sed -n 's/.*http_conns=\([0-9]*\).*/\1/p' "$KC_KCD_LOG" | tail -n 1)
kc_check "kcd takes 4096 web connections (http_conns=$conns)" test "${conns:-0}" = 4096
work=$KC_KCD_DIR
port=${KC_KCD_URL##*:}
pids=()
cleanup_slow() {
  local p
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
}
kc_cleanup_add cleanup_slow

# open N of the tool's connections are held by kcd (its status file)
held() { # STATUS-FILE N
  local i
  for ((i = 0; i < 300; i++)); do
    [[ -f $1 ]] && (($(awk '{print $2}' "$1") >= $2)) && return 0
    sleep 0.1
  done
  return 1
}
fresh() { # [curl args]: a GET /register from 127.0.0.200 -> $status, $secs
  local out
  out=$(curl -s -o "$work/body" -m 20 --interface 127.0.0.200 \
    -w '%{http_code} %{time_total}' "$@" "$KC_KCD_URL/register")
  status=${out% *}
  secs=${out#* }
}

fresh
kc_check "alone: GET /register -> 200" test "$status" = 200
echo "# alone: ${secs} s"

$PY "$SLOW" --port "$port" --conns 1000 --addrs 50 --drip 3 \
  --status "$work/slow1" >"$work/slow1.out" 2>&1 &
pids+=($!)
kc_check "1000 slow connections from 50 addresses are held open" held "$work/slow1" 1000
echo "# slow clients: $(cat "$work/slow1")"
kc_check "  kcd has them: 1000 or more established connections on its port" \
  test "$(ss -Htn state established "( sport = :$port )" | wc -l)" -ge 1000
for ((i = 1; i <= 3; i++)); do
  fresh
  kc_check "with them, a fresh client's GET /register -> 200 (try $i, ${secs} s)" \
    test "$status" = 200
done
kc_check_grep "  the form" 'name="customer_number"' cat "$work/body"
# a whole registration from another fresh client: form, then POST
jar=$work/jar
curl -s -c "$jar" -o "$work/form" --interface 127.0.0.201 "$KC_KCD_URL/register"
csrf=$(grep -o 'name="csrf" value="[^"]*"' "$work/form" | sed 's/.*value="//;s/"$//')
status=$(curl -s -b "$jar" -o "$work/done" -w '%{http_code}' -m 20 \
  --interface 127.0.0.201 --data-urlencode "csrf=$csrf" \
  --data-urlencode "customer_number=46075" \
  --data-urlencode "email=praxis@muster.example" \
  --data-urlencode "email_repeat=praxis@muster.example" "$KC_KCD_URL/register")
kc_check "  and a registration POST -> 200" test "$status" = 200
kc_check "  its activation mail goes out" \
  bash -c 'for i in $(seq 50); do [ -n "$(ls -A "$1")" ] && exit 0; sleep 0.1; done; exit 1' \
  _ "$KC_MAILDIR/new"

# the per-address cap: 40 more from one address that holds 20 already
$PY "$SLOW" --port "$port" --conns 40 --addrs 1 --drip 3 \
  --status "$work/slow2" >"$work/slow2.out" 2>&1 &
pids+=($!)
sleep 3
read -r _ open2 _ _ _ closed2 _ failed2 <"$work/slow2"
echo "# 40 more from 127.0.0.10: $(cat "$work/slow2")"
kc_check "  one address holds at most 32 (20 + $open2 open)" test $((20 + open2)) -le 32
kc_check "  the rest were turned away ($((closed2 + failed2)))" test $((closed2 + failed2)) -ge 8
cleanup_slow
pids=()
kc_check "kcd still runs" kill -0 "$KC_KCD_PID"
fresh
kc_check "after them: GET /register -> 200" test "$status" = 200
kc_check_nogrep "kcd's log has no error" 'error|fail|panic' grep -v 'registration' "$KC_KCD_LOG"
kc_done
