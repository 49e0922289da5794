#!/usr/bin/env bash
# trusted_proxies: behind a trusted reverse proxy kcd counts its
# per-address limits under the client that X-Forwarded-For names; from an
# untrusted peer (the default: nothing trusted) the header is ignored.
# Real HTTP requests with curl against kcd on 127.0.0.1, which stands in
# for the proxy: the limit of POST /register per address (a burst of 10,
# http_register.c) shows which address a request was counted under.
set -u
. "$top_srcdir/tests/lib/slapd.sh"
. "$top_srcdir/tests/lib/kcd.sh"
. "$top_srcdir/tests/lib/check.sh"
kc_slapd_require
command -v curl >/dev/null || { echo "SKIP: curl not installed"; exit 77; }
kc_slapd_start || exit 1
work=$(mktemp -d "${TMPDIR:-/tmp}/kc-proxy.XXXXXX") || exit 1
kc_cleanup_add "rm -rf '$work'"
jar=$work/cookies

# get PATH [curl args] -> $status, body in $work/body
get() {
  local path=$1
  shift
  status=$(curl -s -b "$jar" -c "$jar" -o "$work/body" -w '%{http_code}' \
    "$@" "$U$path")
}
csrf() { grep -o 'name="csrf" value="[^"]*"' "$work/body" | sed 's/.*value="//;s/"$//'; }
# post_as XFF: GET the form (for the CSRF cookie and token), then POST a
# registration with a malformed customer number (422 without any LDAP
# work) and X-Forwarded-For: XFF ("-": no header) -> $status
post_as() {
  local token
  rm -f "$jar"
  get /register
  token=$(csrf)
  local hdr=()
  [[ $1 != - ]] && hdr=(-H "X-Forwarded-For: $1")
  get /register "${hdr[@]}" --data-urlencode "csrf=$token" \
    --data-urlencode "customer_number=46O75" \
    --data-urlencode "email=praxis@muster.example" \
    --data-urlencode "email_repeat=praxis@muster.example"
}
# use_up XFF: the burst of 10 POSTs; prints the statuses
use_up() {
  local i codes=
  for ((i = 0; i < 10; i++)); do
    post_as "$1"
    codes+="$status "
  done
  echo "$codes"
}
TEN="422 422 422 422 422 422 422 422 422 422 "
# wait_log ERE: until kcd's log has a matching line (kcd logs its start
# line just after the socket appears)
wait_log() {
  local i
  for ((i = 0; i < 100; i++)); do
    grep -Eq "$1" "$KC_KCD_LOG" && return 0
    sleep 0.05
  done
  return 1
}

# ---- (a) kcd behind a trusted proxy on 127.0.0.1
kc_kcd_start "trusted_proxies = 127.0.0.1, ::1" || exit 1
U=$KC_KCD_URL
kc_check "kcd logs the trusted proxies at start" \
  wait_log 'kcd started;.* trusted_proxies=2$'
kc_check "10 POSTs as 192.0.2.1 are answered (422: bad number)" \
  test "$(use_up 192.0.2.1)" = "$TEN"
post_as 192.0.2.1
kc_check "the 11th POST as 192.0.2.1 -> 429" test "$status" = 429
post_as 192.0.2.2
kc_check "a POST as 192.0.2.2 is counted on its own -> 422" test "$status" = 422
post_as "192.0.2.1, 127.0.0.1"
kc_check "a second trusted hop (127.0.0.1) is skipped: 192.0.2.1 -> 429" \
  test "$status" = 429
post_as "192.0.2.1, 192.0.2.4"
kc_check "the rightmost untrusted entry counts, not what the client wrote left" \
  test "$status" = 422
post_as "not-an-ip, 192.0.2.5"
kc_check "junk left of the client is not read -> 422" test "$status" = 422
post_as "[2001:DB8::1]"
kc_check "an IPv6 client in brackets -> 422" test "$status" = 422
post_as -
kc_check "without X-Forwarded-For the proxy's address counts -> 422" \
  test "$status" = 422
post_as "192.0.2.9:4711"
kc_check "a malformed X-Forwarded-For falls back to the proxy's address" \
  test "$status" = 422
kc_check_grep "  and is logged with a reason" \
  'X-Forwarded-For unusable, using the proxy address; peer=127\.0\.0\.1 reason="malformed entry"' \
  cat "$KC_KCD_LOG"
kc_check_nogrep "  without the header's content" '192\.0\.2\.9|not-an-ip' \
  cat "$KC_KCD_LOG"
post_as "192.0.2.9:4712"
kc_check "  a second one within the minute is no second warning (log flood)" \
  test "$(grep -c 'kcd: X-Forwarded-For unusable.*malformed entry' "$KC_KCD_LOG")" -eq 1
# 127.0.0.1 has used 3 of its 10 (no header, two malformed); 7 more, then 429
for ((i = 0; i < 7; i++)); do post_as 127.0.0.1; done
kc_check "XFF naming only trusted proxies counts as the proxy: 10 used" \
  test "$status" = 422
post_as "::1, 127.0.0.1"
kc_check "  so the next such request -> 429" test "$status" = 429
kc_check_grep "  logged as such" 'reason="every entry is a trusted proxy"' \
  cat "$KC_KCD_LOG"
post_as 192.0.2.2
kc_check "192.0.2.2 is still within its limit -> 422" test "$status" = 422
# IPv6 clients count by their /64: ten addresses of one customer line
# use up one burst, an eleventh address of it is refused, another /64 is not
codes=
for ((i = 1; i <= 10; i++)); do
  post_as "2001:db8:5:6::$i"
  codes+="$status "
done
kc_check "10 POSTs from 10 addresses of 2001:db8:5:6::/64 are answered" \
  test "$codes" = "$TEN"
post_as "2001:db8:5:6:ffff::1"
kc_check "an 11th address of the same /64 -> 429" test "$status" = 429
post_as "2001:db8:5:7::1"
kc_check "an address of the next /64 is counted on its own -> 422" \
  test "$status" = 422
kc_kcd_stop

# ---- (b) the default: nothing trusted, X-Forwarded-For is ignored
kc_kcd_start || exit 1
U=$KC_KCD_URL
kc_check "default kcd trusts no proxy" wait_log 'kcd started;.* trusted_proxies=0$'
codes=
for ((i = 0; i < 10; i++)); do
  post_as "198.51.100.$i"
  codes+="$status "
done
kc_check "10 POSTs with different X-Forwarded-For are answered" \
  test "$codes" = "$TEN"
post_as 192.0.2.2
kc_check "the 11th -> 429: all were counted as 127.0.0.1" test "$status" = 429
post_as -
kc_check "  and so is one without the header -> 429" test "$status" = 429
kc_check_nogrep "no X-Forwarded-For warning from an untrusted peer" \
  'X-Forwarded-For' cat "$KC_KCD_LOG"
kc_done
