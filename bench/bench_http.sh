#!/usr/bin/env bash
# bench_http.sh: kcd's web front under wrk, 16 connections, two rounds of
# three runs: GET /register; POST /register from one address; POST
# /register through a trusted proxy (captcha = none, a valid CSRF cookie
# and field fetched once with curl). Not a test: it prints a table with
# requests/s, latency and kcd's and slapd's CPU share.
#
#   top_srcdir=SRC top_builddir=BUILD bash SRC/bench/bench_http.sh
#
# kcd limits POST /register per client address (a burst of 10, then one a
# minute) and per customer number (3). "one address": every POST comes
# from 127.0.0.1, so nearly all are answered 429 (kcd's cheapest path).
# "via proxy": kcd trusts 127.0.0.1 as a reverse proxy (trusted_proxies)
# and each POST carries a random X-Forwarded-For address and one of
# $customers customers imported with kcadm, with its master-data address:
# each accepted POST is a real registration (LDAP lookup, registration
# entry, activation mail into the maildir) on kcd's background thread.
# After that run the script waits until the background thread has done
# every accepted registration and prints how many it did per second.
#
# Environment: KC_BENCH_DURATION (s per wrk run, default 10),
# KC_BENCH_SMOKE=1 (1 s, one round).
set -u
: "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
export top_srcdir top_builddir
. "$top_srcdir/bench/lib.sh"

if [[ -n ${KC_BENCH_SMOKE:-} ]]; then
  duration=${KC_BENCH_DURATION:-1} rounds=1 customers=200
else
  duration=${KC_BENCH_DURATION:-10} rounds=2 customers=20000
fi
conns=16
if ! command -v wrk >/dev/null; then
  echo "bench_http: wrk is missing (apt-get install wrk)" >&2
  exit 1
fi
kc_bench_require
kc_slapd_require
kc_bench_slapd_start || exit 1
work=$(mktemp -d "${TMPDIR:-/tmp}/kc-bench-http.XXXXXX") || exit 1
kc_cleanup_add "rm -rf '$work'"
kc_bench_secret_key "$work/secret.key"
kc_kcd_start "password_hash_upgrade = no" "secret_key_file = $work/secret.key" \
  "trusted_proxies = 127.0.0.1" || exit 1
url=$KC_KCD_URL/register

# The customers: numbers 1000000.., addresses praxis<i>@kunden.example.
first=1000000
kc_bench_customers_csv "$customers" >"$work/customers.csv"
kc_bench_kcadm_conf "$work/kcadm.conf"
if ! out=$("$top_builddir/kcd/kcadm/kcadm" -c "$work/kcadm.conf" customer import \
  "$work/customers.csv" 2>&1); then
  echo "bench_http: the customer import failed: $out" >&2
  exit 1
fi
hz=$(getconf CLK_TCK)

# A CSRF pair, as a browser gets it: the field from the JSON form and the
# cookie kcd set with it.
csrf=$(curl -sS -c "$work/jar" -H 'Accept: application/json' "$url" |
  sed -n 's/.*"csrf":"\([^"]*\)".*/\1/p')
cookie=$(awk '$6 == "kc_csrf" {print "kc_csrf=" $7}' "$work/jar")
if [[ -z $csrf || -z $cookie ]]; then
  echo "bench_http: no CSRF token from GET $url" >&2
  exit 1
fi
export KC_CSRF=$csrf KC_COOKIE=$cookie KC_FIRST=$first KC_CUSTOMERS=$customers

echo "## HTTP"
echo
echo "kcd $url, wrk $conns connections in 2 threads, $duration s per run;" \
  "$customers customers;" \
  "$(nproc) CPUs shared by wrk, kcd and slapd; load average at start:" \
  "$(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| run | requests | requests/s | p50 ms | p90 ms | p99 ms | max ms | non-2xx | socket errors | kcd CPU (% of one core) | slapd CPU (% of one core) | statuses |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"

# run LABEL SCRIPT: one wrk run and its table row.
bad=0
run() {
  local label=$1 script=$2 k0 k1 s0 s1 t0 t1 out line n
  k0=$(kc_bench_cpu_ticks "$KC_KCD_PID")
  s0=$(kc_bench_cpu_ticks "$KC_SLAPD_PID")
  t0=$(date +%s.%N)
  out=$(wrk -t2 -c"$conns" -d"${duration}s" --timeout 10s -s "$script" "$url" 2>&1)
  t1=$(date +%s.%N)
  k1=$(kc_bench_cpu_ticks "$KC_KCD_PID")
  s1=$(kc_bench_cpu_ticks "$KC_SLAPD_PID")
  line=$(grep '^RESULT ' <<<"$out")
  n=$(sed -n 's/.*statuses=\(.*,\)\{0,1\}200:\([0-9]*\).*/\2/p' <<<"$line")
  accepted_total=$((accepted_total + ${n:-0}))
  if [[ -z $line ]]; then
    echo "bench_http: wrk failed:" >&2
    printf '%s\n' "$out" >&2
    bad=1
    return
  fi
  awk -v l="$label" -v k="$((k1 - k0))" -v s="$((s1 - s0))" -v hz="$hz" \
    -v t0="$t0" -v t1="$t1" -v line="$line" 'BEGIN {
    n = split(line, f, " ")
    for (i = 2; i <= n; i++) { split(f[i], kv, "="); v[kv[1]] = kv[2] }
    w = t1 - t0
    printf "| %s | %d | %.0f | %.2f | %.2f | %.2f | %.2f | %d | %d | %.0f | %.0f | %s |\n",
      l, v["requests"], v["rps"], v["p50_ms"], v["p90_ms"], v["p99_ms"],
      v["max_ms"], v["non2xx"], v["socket_errors"], 100 * k / hz / w,
      100 * s / hz / w, (v["statuses"] != "" ? v["statuses"] : "-")
  }'
}

# events NAME: a counter from /metrics (on the metrics listener).
events() {
  curl -sS "$KC_KCD_METRICS_URL/metrics" |
    awk -v e="kcd_http_events_total{event=\"$1\"}" '$1 == e {print $2; f = 1}
      END {if (!f) print 0}'
}

# drain LABEL: wait until kcd's background thread has done every
# registration accepted so far (accepted_total); keeps a line on it: how
# many the "via proxy" run got accepted, how many were done when it
# stopped, and the rate from its start until the last was done.
drained=()
drain() {
  local label=$1 done0 d t0 t1 k0 k1 s0 s1 i
  done0=$(events register_done)
  t0=$(date +%s.%N)
  k0=$(kc_bench_cpu_ticks "$KC_KCD_PID")
  s0=$(kc_bench_cpu_ticks "$KC_SLAPD_PID")
  for ((i = 0; i < 3000; i++)); do
    d=$(events register_done)
    ((d >= accepted_total)) && break
    sleep 0.1
  done
  t1=$(date +%s.%N)
  k1=$(kc_bench_cpu_ticks "$KC_KCD_PID")
  s1=$(kc_bench_cpu_ticks "$KC_SLAPD_PID")
  ((d >= accepted_total)) || bad=1
  drained+=("$label: $(awk -v a="$((accepted_total - done_before))" \
    -v d0="$((done0 - done_before))" -v d="$((d - done_before))" \
    -v st="$post_start" -v t0="$t0" -v t1="$t1" -v k="$((k1 - k0))" \
    -v s="$((s1 - s0))" -v hz="$hz" 'BEGIN {
    printf "%d accepted, %d done when wrk stopped, all %d done %.1f s after the start: %.0f registrations/s; while draining kcd used %.0f %%, slapd %.0f %% of a core\n", a, d0, d, t1 - st, d / (t1 - st), 100 * k / hz / (t1 - t0), 100 * s / hz / (t1 - t0)
  }')")
  done_before=$d
}

accepted_total=0 done_before=0 post_start=0
for ((r = 1; r <= rounds; r++)); do
  run "GET /register #$r" "$top_srcdir/bench/register_get.lua"
  KC_XFF=0 run "POST /register, one address #$r" "$top_srcdir/bench/register_post.lua"
  # the few accepted from one address are done long before this
  sleep 1
  done_before=$(events register_done)
  post_start=$(date +%s.%N)
  KC_XFF=1 run "POST /register, via proxy #$r" "$top_srcdir/bench/register_post.lua"
  drain "registrations of round $r"
done
echo
for ((r = 1; r <= ${#drained[@]}; r++)); do
  echo "${drained[r - 1]}"
done
echo "kcd after the runs: $(kc_bench_threads "$KC_KCD_PID") threads," \
  "VmRSS $(kc_bench_rss_kib "$KC_KCD_PID") KiB, $(kc_bench_fds "$KC_KCD_PID") open fds;" \
  "registration mails sent: $(kc_count_mail "$KC_MAILDIR" 2>/dev/null ||
    find "$KC_MAILDIR/new" -type f | wc -l); load average at the end:" \
  "$(cut -d' ' -f1-3 /proc/loadavg)"
exit $bad
