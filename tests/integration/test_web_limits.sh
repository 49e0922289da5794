#!/usr/bin/env bash
# Rate limits of the web front that the HTML pages alone do not show:
# GET /register as JSON makes captcha pictures under the same per-client
# limit as the form (30 at once, then one every 2 s), and the per-name
# limit of /account/credentials counts a name in any letter case as one
# (LDAP finds uid without case). IPv6 /64 keys: test_trusted_proxies.sh;
# the table itself: tests/unit/test_ratelimit.c.
set -u
. "$top_srcdir/tests/lib/slapd.sh"
. "$top_srcdir/tests/lib/kcd.sh"
. "$top_srcdir/tests/lib/check.sh"
kc_slapd_require
command -v curl >/dev/null || { echo "SKIP: curl not installed"; exit 77; }
kc_slapd_start || exit 1
kc_kcd_start "captcha = image" || exit 1
work=$KC_KCD_DIR
jar=$work/jar
get() { # PATH [curl args] -> $status, $work/body, $work/head
  local path=$1
  shift
  status=$(curl -s -b "$jar" -c "$jar" -D "$work/head" -o "$work/body" \
    -w '%{http_code}' "$@" "$KC_KCD_URL$path")
}
field() { grep -o "name=\"$1\" value=\"[^\"]*\"" "$work/body" | head -n 1 | sed 's/.*value="//;s/"$//'; }

# --- GET /register as JSON: pictures until the limit (a burst of 30; one
# more every 2 s, so a 429 comes soon after the 30th however slow the
# machine, and never before it)
first429=0 ids=0
for ((i = 1; i <= 200; i++)); do
  get /register -H 'Accept: application/json'
  if [[ $status == 429 ]]; then
    first429=$i
    break
  fi
  grep -q '"captcha_id":"[A-Za-z0-9_-]\{27\}"' "$work/body" && ids=$((ids + 1))
done
kc_check "JSON forms run into the captcha limit (429 at request $first429)" \
  test "$first429" -gt 30
kc_check "  every one before it had a new captcha picture" \
  test "$ids" -eq $((first429 - 1))
kc_check_grep "  the 429 has Retry-After" '^Retry-After: [0-9]+' cat "$work/head"
kc_check_grep "  and is JSON" '^\{"status":429,"message":' cat "$work/body"
kc_check_nogrep "  without a captcha id" 'captcha_id' cat "$work/body"

# --- the HTML form and the JSON one share the limit of one client: right
# after the 429 the form has no picture (three tries, in case a 2 s
# refill falls just between)
nopic=0
for ((i = 0; i < 3; i++)); do
  get /register
  [[ $status == 200 ]] || break
  if ! grep -q '<img src="/captcha/' "$work/body" &&
    grep -q 'Sicherheitsabfrage ist gerade nicht verf' "$work/body"; then
    nopic=1
    break
  fi
done
kc_check "the HTML form shares the limit: shown without a picture, saying so" \
  test "$nopic" = 1

# --- /account/credentials: one limit per name, whatever its case (5)
get /account/credentials
csrf=$(field csrf)
codes=
for u in geist GEIST Geist gEist geisT; do
  get /account/credentials --data-urlencode "csrf=$csrf" \
    --data-urlencode "user=$u" --data-urlencode "password=falsch-falsch" \
    --data-urlencode "tan_method=none"
  codes+="$status "
done
kc_check "5 POSTs for geist in five spellings are answered (422)" \
  test "$codes" = "422 422 422 422 422 "
get /account/credentials --data-urlencode "csrf=$csrf" \
  --data-urlencode "user=GeIsT" --data-urlencode "password=falsch-falsch" \
  --data-urlencode "tan_method=none"
kc_check "a 6th spelling of the same name -> 429" test "$status" = 429
get /account/credentials --data-urlencode "csrf=$csrf" \
  --data-urlencode "user=gespenst" --data-urlencode "password=falsch-falsch" \
  --data-urlencode "tan_method=none"
kc_check "another name is counted on its own -> 422" test "$status" = 422
kc_done
