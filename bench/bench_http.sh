#!/usr/bin/env bash
# bench_http.sh: kcd's web front under wrk, 16 connections: GET /register
# and POST /register (captcha = none, a valid CSRF cookie and field
# fetched once with curl), alternately, two rounds each. Not a test: it
# prints a table with requests/s, latency and kcd's CPU share.
#
#   top_srcdir=SRC top_builddir=BUILD bash SRC/bench/bench_http.sh
#
# kcd limits POST /register per client address (a burst of 10, then one a
# minute) and per customer number (3): from one loopback address nearly
# every POST is answered 429, so the POST rows measure that path. The
# status counts show what was answered.
#
# Environment: KC_BENCH_DURATION (s per wrk run, default 10),
# KC_BENCH_SMOKE=1 (1 s, one round).
set -u
: "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
export top_srcdir top_builddir
. "$top_srcdir/bench/lib.sh"

if [[ -n ${KC_BENCH_SMOKE:-} ]]; then
  duration=${KC_BENCH_DURATION:-1} rounds=1
else
  duration=${KC_BENCH_DURATION:-10} rounds=2
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
head -c 48 /dev/urandom | base64 >"$work/secret.key"
chmod 600 "$work/secret.key"
kc_kcd_start "secret_key_file = $work/secret.key" || exit 1
url=$KC_KCD_URL/register
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
mail=kontakt%40zahnarzt-beispiel.example
export KC_CSRF=$csrf KC_COOKIE=$cookie
export KC_BODY="customer_number=46077&email=$mail&email_repeat=$mail"

echo "## HTTP"
echo
echo "kcd $url, wrk $conns connections in 2 threads, $duration s per run;" \
  "$(nproc) CPUs shared by wrk, kcd and slapd; load average at start:" \
  "$(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| run | requests | requests/s | p50 ms | p90 ms | p99 ms | max ms | non-2xx | socket errors | kcd CPU (% of one core) | slapd CPU (% of one core) | statuses |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"

# run LABEL SCRIPT: one wrk run and its table row.
bad=0
run() {
  local label=$1 script=$2 k0 k1 s0 s1 t0 t1 out line
  k0=$(kc_bench_cpu_ticks "$KC_KCD_PID")
  s0=$(kc_bench_cpu_ticks "$KC_SLAPD_PID")
  t0=$(date +%s.%N)
  out=$(wrk -t2 -c"$conns" -d"${duration}s" --timeout 10s -s "$script" "$url" 2>&1)
  t1=$(date +%s.%N)
  k1=$(kc_bench_cpu_ticks "$KC_KCD_PID")
  s1=$(kc_bench_cpu_ticks "$KC_SLAPD_PID")
  line=$(grep '^RESULT ' <<<"$out")
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

for ((r = 1; r <= rounds; r++)); do
  run "GET /register #$r" "$top_srcdir/bench/register_get.lua"
  run "POST /register #$r" "$top_srcdir/bench/register_post.lua"
done
echo
echo "kcd after the runs: $(kc_bench_threads "$KC_KCD_PID") threads," \
  "VmRSS $(kc_bench_rss_kib "$KC_KCD_PID") KiB, $(kc_bench_fds "$KC_KCD_PID") open fds;" \
  "registration mails sent: $(kc_count_mail "$KC_MAILDIR" 2>/dev/null ||
    find "$KC_MAILDIR/new" -type f | wc -l); load average at the end:" \
  "$(cut -d' ' -f1-3 /proc/loadavg)"
exit $bad
