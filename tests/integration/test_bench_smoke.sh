#!/usr/bin/env bash
# The benchmarks (bench/, `make bench`) run for about a second each with
# KC_BENCH_SMOKE=1 and print their tables: numbers in every row, no failed
# logins or requests. Benchmarks are not tests: no number is compared with
# a target here (BENCHMARKS.md does that with the full run).
set -u
. "$top_srcdir/tests/lib/slapd.sh"
. "$top_srcdir/tests/lib/check.sh"
. "$top_srcdir/bench/lib.sh"
kc_slapd_require
if ! command -v wrk >/dev/null; then
  echo "SKIP: wrk not found (install wrk)"
  exit 77
fi
if ! why=$(kc_bench_nslcd_usable); then
  echo "SKIP: the nss-pam-ldapd peer cannot run: $why"
  exit 77
fi
export KC_BENCH_SMOKE=1
num='[0-9]+(\.[0-9]+)?'

# rows_ok OUTPUT LABEL...: for each LABEL a kc-bench-auth row with
# operations, no errors and numbers in every column.
rows_ok() { # OUTPUT LABEL...
  local out=$1 label n
  shift
  for label in "$@"; do
    n=$(grep -Ec "^\| [0-9]+ \| $label \| $num \| [1-9][0-9]* \| 0 \| [0-9]+-[0-9]+ \| $num \| $num \| $num \| $num \| $num \|( $num \|)+$" <<<"$out")
    [[ $n -ge 1 ]] || { echo "no complete row for ($label)"; return 1; }
  done
}

kc_check "bench_auth.sh runs" bash "$top_srcdir/bench/bench_auth.sh"
auth=$KC_OUT
printf '%s\n' "$auth" | sed 's/^/# /'
kc_check "(a), (a2), (b), (b2), (c), (n), (L) and (b32) have rows" \
  rows_ok "$auth" a a2 b b2 c n L b32
# (a), (b), (c), (n) and (L) at 1, 4, 16, (a2), (b2), (L) at 2, (b32) at 16
kc_check "25 rows" test "$(grep -Ec '^\| (1|2|4|16) \| (a|a2|b|b2|c|n|L|b32) \|' <<<"$auth")" -eq 25
kc_check "both ratio tables have numbers at 16" test "$(grep -Ec \
  "^\| 16 \| $num \| $num \| $num \| $num \| $num \| $num \| $num \| $num \| $num \| $num \|$" \
  <<<"$auth")" -eq 2
kc_check_grep "(b2)/(a2) and (b2)/(L) at 2" \
  "^\| 2 \| $num \| $num \| - \| - \| $num \| $num \| - \| - \| $num \| $num \|$" \
  echo "$auth"
kc_check_nogrep "no failed logins" '^errors:' echo "$auth"

kc_check "bench_repl.sh runs" bash "$top_srcdir/bench/bench_repl.sh"
repl=$KC_OUT
printf '%s\n' "$repl" | sed 's/^/# /'
kc_check "one kcd and two kcd have rows" rows_ok "$repl" one two
kc_check_nogrep "no failed logins" '^errors:' echo "$repl"
kc_check_grep "both kcd took logins" '^kcd A: [1-9][0-9]* logins, kcd B: [1-9][0-9]* logins$' \
  echo "$repl"
kc_check_grep "the replication lag of a TAN write" \
  "^replication lag of a TAN write, [0-9]+ writes: median $num ms, p99 $num ms, max $num ms$" \
  echo "$repl"

kc_check "bench_http.sh runs" bash "$top_srcdir/bench/bench_http.sh"
http=$KC_OUT
printf '%s\n' "$http" | sed 's/^/# /'
kc_check_grep "GET /register: requests/s and p99, all answered 2xx" \
  "^\| GET /register #1 \| [1-9][0-9]* \| $num \| $num \| $num \| $num \| $num \| 0 \| 0 \| $num \| $num \| - \|$" \
  echo "$http"
kc_check_grep "POST /register from one address: 200, then 429 once its limit is used up" \
  "^\| POST /register, one address #1 \| [1-9][0-9]* \| $num \| $num \| $num \| $num \| $num \| [0-9]+ \| 0 \| $num \| $num \| 200:[0-9]+,429:[0-9]+ \|$" \
  echo "$http"
kc_check_grep "POST /register via the trusted proxy: many more accepted" \
  "^\| POST /register, via proxy #1 \| [1-9][0-9]* \| $num \| $num \| $num \| $num \| $num \| [0-9]+ \| 0 \| $num \| $num \| 200:[1-9][0-9]{2,}( |,)" \
  echo "$http"
# (wrk does not count answers still on the way when it stops, so kcd may
# have done a few more than wrk saw accepted)
all_done() {
  awk '/^registrations of round 1: / { a = $5; d = $13; f = 1 }
    END { exit !(f && a > 0 && d >= a) }' <<<"$1"
}
kc_check "every accepted registration was done in the background" all_done "$http"

kc_check "bench_fair.sh runs" bash "$top_srcdir/bench/bench_fair.sh"
fair=$KC_OUT
printf '%s\n' "$fair" | sed 's/^/# /'
kc_check_grep "fairness: the legitimate user alone, every login through" \
  "^\| alone \| - \| [1-9][0-9]* \| 0 \| $num \| $num \| 1.00 \| - \| - \|$" echo "$fair"
kc_check_grep "  and under the flood at one account, which ppolicy locks" \
  "^\| \(i\) one account \| another uid \| [1-9][0-9]* \| 0 \| $num \| $num \| $num \| 1 \| $num \|$" \
  echo "$fair"

kc_check "bench_slow.sh runs" bash "$top_srcdir/bench/bench_slow.sh"
slowb=$KC_OUT
printf '%s\n' "$slowb" | sed 's/^/# /'
kc_check_grep "slow clients: a row with them held and every fresh GET answered" \
  "^\| 100 \(10\) \| 100 \| 5 \| [0-9]+ \| [0-9]+ \| $num \| [0-9]+ \| [0-9]+ \|$" \
  echo "$slowb"

kc_check "soak.sh runs (15 s)" env KC_SOAK_SECONDS=15 KC_SOAK_INTERVAL=5 \
  KC_SOAK_CUSTOMERS=200 bash "$top_srcdir/bench/soak.sh"
soak=$KC_OUT
printf '%s\n' "$soak" | sed 's/^/# /'
kc_check_grep "  the slope line" '^slope per minute .*: RSS [-+][0-9.]+ KiB, fds [-+][0-9.]+, threads [-+][0-9.]+$' \
  echo "$soak"
kc_check_grep "  PAM logins without TAN, no error" \
  'PAM logins \(pam-pw\): ok [1-9][0-9]*, errors 0' echo "$soak"
kc_check_grep "  PAM logins with TAN, no error" \
  'PAM logins \(pam-tan\): ok [1-9][0-9]*, errors 0' echo "$soak"
kc_check_nogrep "  every PAM round had a result" 'without a result' echo "$soak"
kc_check_grep "  web rounds, no error" 'web rounds .*: [1-9][0-9]*, errors: 0$' echo "$soak"
kc_check_grep "  kcadm imports, no error" 'kcadm imports of 200 rows: [1-9][0-9]*, errors: 0$' echo "$soak"

kc_check "bench_memory.sh runs" bash "$top_srcdir/bench/bench_memory.sh"
mem=$KC_OUT
printf '%s\n' "$mem" | sed 's/^/# /'
kc_check_grep "kcd's RSS, peak, descriptors and threads after two batches" \
  "^\| 400 logins \| [0-9]+ \| [0-9]+ \| [0-9]+ \| [0-9]+ \|$" echo "$mem"
kc_check "the batches have rows" rows_ok "$mem" good wrong unknown
kc_check_grep "the module's RSS in its host" \
  "^\| kc \| [0-9]+ \| [0-9]+ \| [0-9]+ \| [0-9]+ \|$" echo "$mem"
if readelf -d "$KC_BENCH_MODULE" 2>/dev/null | grep -Eq 'NEEDED.*lib(a|ub)san'; then
  kc_pass "valgrind part not run in a sanitizer build"
else
  kc_check_grep "valgrind: nothing definitely lost, no errors" \
    'definitely lost: 0 bytes' echo "$mem"
  kc_check_grep "valgrind: all logins succeeded" 'logins: +10 +ok, +0 +failed' echo "$mem"
fi
kc_check "bench_import.sh runs (200 rows)" bash "$top_srcdir/bench/bench_import.sh" 200
imp=$KC_OUT
printf '%s\n' "$imp" | sed 's/^/# /'
kc_check_grep "three imports timed" \
  "^re-import \(10% changed\) +$num s +[0-9]+ rows/s" echo "$imp"
kc_done
