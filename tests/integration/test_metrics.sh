#!/usr/bin/env bash
# /metrics and the detailed /healthz live on the private metrics listener
# (metrics_listen, loopback only), never on the public web front; and no
# view, public or private, changes differently after a registration that
# matches the master data than after one that does not (one counter for
# every outcome), so /metrics is no registration oracle.
set -u
. "$top_srcdir/tests/lib/slapd.sh"
. "$top_srcdir/tests/lib/kcd.sh"
. "$top_srcdir/tests/lib/check.sh"
kc_slapd_require
command -v curl >/dev/null || { echo "SKIP: curl not installed"; exit 77; }
kc_slapd_start || exit 1
kc_kcd_start || exit 1
work=$KC_KCD_DIR
jar=$work/jar
PY=/usr/bin/python3
get() { # URL [curl args] -> $status, $work/body
  local url=$1
  shift
  status=$(curl -s -b "$jar" -c "$jar" -o "$work/body" -w '%{http_code}' \
    "$@" "$url")
}
csrf() { grep -o 'name="csrf" value="[^"]*"' "$work/body" | sed 's/.*value="//;s/"$//'; }
register() { # NUMBER EMAIL
  local token
  get "$KC_KCD_URL/register"
  token=$(csrf)
  get "$KC_KCD_URL/register" --data-urlencode "csrf=$token" \
    --data-urlencode "customer_number=$1" --data-urlencode "email=$2" \
    --data-urlencode "email_repeat=$2"
}
# public SNAPSHOT: what anybody can see: status and body of /metrics and
# /healthz on the public listener
public() {
  local p
  for p in /metrics /healthz; do
    curl -s -o - -w ' %{http_code}\n' "$KC_KCD_URL$p"
  done >"$work/$1"
}
private() { curl -s "$KC_KCD_METRICS_URL/metrics" >"$work/$1"; }
mails() { find "$KC_MAILDIR/new" -type f | wc -l; }
done_count() {
  curl -s "$KC_KCD_METRICS_URL/metrics" |
    awk '$1 == "kcd_http_events_total{event=\"register_done\"}" {print $2; f = 1}
      END {if (!f) print 0}'
}
# wait_done N: until the background thread has done N registrations
# (bounded: kcd without the counter fails the checks after it)
wait_done() {
  local i
  for ((i = 0; i < 100; i++)); do
    (($(done_count) >= $1)) && return 0
    sleep 0.1
  done
  return 1
}

kc_check "metrics_listen is logged at start" \
  grep -q "kcd started;.* metrics=127\.0\.0\.1:[0-9]* " "$KC_KCD_LOG"
get "$KC_KCD_URL/metrics"
kc_check "GET /metrics on the public listener -> 404" test "$status" = 404
get "$KC_KCD_URL/healthz"
kc_check "GET /healthz on the public listener -> 200" test "$status" = 200
kc_check "  with the status only" test "$(cat "$work/body")" = ok
get "$KC_KCD_METRICS_URL/metrics"
kc_check "GET /metrics on metrics_listen -> 200" test "$status" = 200
kc_check_grep "  Prometheus text" '^# TYPE kcd_http_events_total counter' cat "$work/body"
get "$KC_KCD_METRICS_URL/healthz"
kc_check "GET /healthz on metrics_listen -> 200" test "$status" = 200
kc_check "  names the server that answered, then each server's state" \
  test "$(cat "$work/body")" = "ok $KC_LDAP_URI"$'\n'"$KC_LDAP_URI up"
get "$KC_KCD_METRICS_URL/register"
kc_check "the metrics listener serves nothing else (/register -> 404)" test "$status" = 404

# --- a mismatch, then a match: every view changes alike
n0=$(mails)
public p0
private m0
register 99999 praxis@muster.example
kc_check "a registration without a match is accepted (200)" test "$status" = 200
wait_done 1
public p1
private m1
register 46075 praxis@muster.example
kc_check "a registration with a match is accepted (200)" test "$status" = 200
wait_done 2
for ((i = 0; i < 50 && $(mails) <= n0; i++)); do sleep 0.1; done
kc_check "  and its activation mail went out" test "$(mails)" -eq $((n0 + 1))
public p2
private m2
kc_check "the public view is the same before, after the mismatch and after the match" \
  sh -c "cmp '$work/p0' '$work/p1' && cmp '$work/p1' '$work/p2'"
kc_check "the metrics view changes by the same counts for match and mismatch" \
  $PY - "$work/m0" "$work/m1" "$work/m2" <<'PY'
import re, sys
def counters(path):
    out = {}
    for line in open(path):
        m = re.match(r'^(kcd_\S+) (\d+)$', line)
        if m:
            out[m.group(1)] = int(m.group(2))
    return out
m0, m1, m2 = (counters(p) for p in sys.argv[1:4])
names = set(m0) | set(m1) | set(m2)
d1 = {n: m1.get(n, 0) - m0.get(n, 0) for n in names}
d2 = {n: m2.get(n, 0) - m1.get(n, 0) for n in names}
print("mismatch:", sorted(d1.items()))
print("match:   ", sorted(d2.items()))
sys.exit(0 if d1 == d2 and d1.get('kcd_http_events_total{event="register_done"}') == 1 else 1)
PY
kc_check_grep "  (the outcome is in kcd's log only)" 'activation mail sent; customer=46075' cat "$KC_KCD_LOG"
kc_kcd_stop

# --- metrics_listen = none: no metrics listener at all
kc_kcd_start "metrics_listen = none" || exit 1
kc_check "metrics_listen = none is logged" \
  grep -q "kcd started;.* metrics=none " "$KC_KCD_LOG"
get "$KC_KCD_URL/metrics"
kc_check "  the public listener still answers /metrics with 404" test "$status" = 404
kc_kcd_stop

# --- a public address is refused at start
port=$(kc_pick_port)
sed 's/^metrics_listen = .*/metrics_listen = 0.0.0.0:'"$port"'/' "$KC_KCD_CONF" \
  >"$work/public.conf"
kc_check_grep "kcd refuses a non-loopback metrics_listen" \
  'metrics_listen.*loopback' "$top_builddir/kcd/kcd" --check-config -f "$work/public.conf"
kc_check_fails "  and exits non-zero" "$top_builddir/kcd/kcd" --check-config -f "$work/public.conf"
kc_done
