#!/bin/bash
#
# test_delivery.sh: kcd's mail and SMS transports against real peers on
# loopback, driven by tests/tools/kc-deliver (which loads a kcd.conf the
# way kcd does and sends one mail or one SMS).
#
#   1. smtp:// to an aiosmtpd sink without AUTH: one message that Python's
#      email package parses strictly as UTF-8 text/plain with the right
#      From, To, decoded Subject (umlauts), Date, Message-ID and body
#   2. smtp:// with AUTH PLAIN/LOGIN on the plain connection: the
#      credentials arrive; a wrong password fails without quoting it
#   3. an SMTP server that is not there: exit 1, no TAN in the error
#   4. an HTTP SMS gateway (python http.server): POST with a JSON body,
#      POST with a form body, GET with the query string; escaping, the
#      Authorization header and the Content-Type are checked
#   5. the gateway answering 503 or 302: exit 1, "HTTP 503" in the
#      error, neither the SMS text nor the gateway's body nor the token;
#      with sms_success, a 200 whose body lacks that text (a refusal, or
#      the text only after the 64 KiB kcd reads) fails the same way, and
#      one that has it is sent
#   6. maildir: and file: transports write the expected files
#
# Exit 0 pass, 1 fail, 77 when Debian's python3-aiosmtpd is missing (the
# SMTP sink needs it).
set -u

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/lib/cleanup.sh
. "$here/../lib/cleanup.sh"
# shellcheck source=tests/lib/check.sh
. "$here/../lib/check.sh"

: "${top_srcdir:=$(cd "$here/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
PY=/usr/bin/python3
TOOLS=$top_srcdir/tests/tools
DELIVER=$top_builddir/tests/tools/kc-deliver
CHECK="$PY $TOOLS/delivery_check.py"

if ! "$PY" -c 'import aiosmtpd' 2>/dev/null; then
  echo "SKIP: python3-aiosmtpd is not installed (apt-get install python3-aiosmtpd)"
  exit 77
fi
if [[ ! -x "$DELIVER" ]]; then
  echo "FAIL: $DELIVER not built (make check builds it)"
  exit 1
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/kc-delivery.XXXXXX") || exit 99
kc_cleanup_add "rm -rf -- '$work'"

FROM=kundencenter@example.org
TO=m.mustermann@example.org
SUBJECT='Ihre TAN für das Kundencenter – Größe zählt'
TEXT=$'Guten Tag,\n\nIhre TAN lautet:\n\n    482913\n\nSie ist 5 Minuten gültig. Grüße!'
TAN=482913
SMS_TEXT='Kundencenter: Ihre TAN lautet 482913 ("gültig" 5 Min.) \ & ü € 100%'
TOKEN='Bearer tok-5ecr3t-123'

# start_sink NAME SCRIPT [ARGS...]: run a sink with its own directory
# $work/NAME, wait (at most 10 s) for its port file, set SINK_PORT.
start_sink()
{
  local name=$1 script=$2 i
  shift 2
  mkdir -p "$work/$name"
  "$PY" "$TOOLS/$script" "$work/$name" "$@" 2>"$work/$name.log" &
  kc_cleanup_add "kill $! 2>/dev/null; wait $! 2>/dev/null"
  for ((i = 0; i < 100; i++)); do
    if [[ -s "$work/$name/port" ]]; then
      SINK_PORT=$(cat "$work/$name/port")
      return 0
    fi
    sleep 0.1
  done
  echo "FAIL: sink $name did not start:"
  sed 's/^/    # /' "$work/$name.log"
  exit 1
}

# conf NAME LINES...: write $work/NAME.conf (mode 0600) with the keys every
# config needs plus LINES.
conf()
{
  local f=$work/$1.conf
  shift
  {
    echo "ldap_uri = ldap://127.0.0.1"
    echo "ldap_base = dc=example,dc=org"
    echo "portal_name = Kundencenter"
    echo "mail_from = $FROM"
    printf '%s\n' "$@"
  } >"$f"
  chmod 600 "$f"
}

secret()
{
  printf '%s\n' "$2" >"$work/$1"
  chmod 600 "$work/$1"
}

count()
{
  find "$1" -maxdepth 1 -name "$2" -type f | wc -l
}

# ------------------------------------------------------------ 1. SMTP plain
start_sink smtp smtp_sink.py
conf smtp "mail_transport = smtp://127.0.0.1:$SINK_PORT" "smtp_starttls = no"
kc_check "smtp: kc-deliver sends one mail" \
  "$DELIVER" -c "$work/smtp.conf" mail "$TO" "$SUBJECT" "$TEXT"
kc_check "smtp: the sink holds exactly one message" \
  test "$(count "$work/smtp" 'msg-*.eml')" -eq 1
kc_check "smtp: strict MIME with From, To, UTF-8 Subject, Date, Message-ID, body" \
  $CHECK mail "$work/smtp/msg-1.eml" Kundencenter "$FROM" "$TO" "$SUBJECT" "$TEXT"
kc_check "smtp: envelope sender and recipient, no AUTH" \
  $CHECK envelope "$work/smtp/msg-1.json" "$FROM" "$TO"

# ------------------------------------------------------------- 2. SMTP AUTH
start_sink smtp-auth smtp_sink.py --auth 'kcd:pw-S3cret/x'
secret smtp.pw 'pw-S3cret/x'
secret smtp-wrong.pw 'wrong-S3cret'
conf smtp-auth "mail_transport = smtp://127.0.0.1:$SINK_PORT/" \
  "smtp_starttls = no" "smtp_user = kcd" "smtp_pw_file = $work/smtp.pw"
conf smtp-wrong "mail_transport = smtp://127.0.0.1:$SINK_PORT" \
  "smtp_starttls = no" "smtp_user = kcd" "smtp_pw_file = $work/smtp-wrong.pw"
kc_check "smtp auth: kc-deliver sends one mail" \
  "$DELIVER" -c "$work/smtp-auth.conf" mail "$TO" "$SUBJECT" "$TEXT"
kc_check "smtp auth: the credentials arrived" \
  $CHECK envelope "$work/smtp-auth/msg-1.json" "$FROM" "$TO" kcd 'pw-S3cret/x'
kc_check "smtp auth: the message is valid too" \
  $CHECK mail "$work/smtp-auth/msg-1.eml" Kundencenter "$FROM" "$TO" "$SUBJECT" "$TEXT"
kc_check_fails "smtp auth: a wrong password fails" \
  "$DELIVER" -c "$work/smtp-wrong.conf" mail "$TO" "$SUBJECT" "$TEXT"
kc_check_nogrep "smtp auth: the error quotes neither password nor TAN" \
  "S3cret|$TAN|Größe" "$DELIVER" -c "$work/smtp-wrong.conf" mail "$TO" "$SUBJECT" "$TEXT"
kc_check "smtp auth: nothing more was stored" \
  test "$(count "$work/smtp-auth" 'msg-*.eml')" -eq 1

# --------------------------------------------------------- 3. SMTP missing
conf smtp-none "mail_transport = smtp://127.0.0.1:1" "smtp_starttls = no"
kc_check_fails "smtp down: exit 1" \
  "$DELIVER" -c "$work/smtp-none.conf" mail "$TO" "$SUBJECT" "$TEXT"
kc_check_grep "smtp down: a short reason without the TAN" '^kc-deliver: mail failed .*smtp: ' \
  "$DELIVER" -c "$work/smtp-none.conf" mail "$TO" "$SUBJECT" "$TEXT"
kc_check_nogrep "smtp down: no TAN or subject in the error" "$TAN|TAN für" \
  "$DELIVER" -c "$work/smtp-none.conf" mail "$TO" "$SUBJECT" "$TEXT"

# --------------------------------------------------------- 4. SMS gateway
start_sink sms sms_sink.py
secret sms.header "Authorization: $TOKEN"
GW=http://127.0.0.1:$SINK_PORT/api/send
conf sms-json "sms_transport = $GW?key=k1" \
  'sms_body = {"to": "{to}", "text": "{text}", "from": "Kundencenter"}' \
  "sms_auth_header_file = $work/sms.header"
conf sms-form "sms_transport = $GW" 'sms_body = to={to}&text={text}&from=KC' \
  "sms_auth_header_file = $work/sms.header"
conf sms-get "sms_transport = $GW?key=k1" "sms_method = GET" \
  'sms_body = to={to}&text={text}' "sms_auth_header_file = $work/sms.header"
kc_check "sms json: kc-deliver sends" \
  "$DELIVER" -c "$work/sms-json.conf" sms "0177 - 1234567" "$SMS_TEXT"
kc_check "sms json: POST, JSON body, escaping, Authorization" \
  $CHECK sms-request "$work/sms/requests.jsonl" 0 POST "/api/send?key=k1" \
  application/json "$TOKEN" +491771234567 "$SMS_TEXT" json
kc_check "sms form: kc-deliver sends" \
  "$DELIVER" -c "$work/sms-form.conf" sms "+49 (0) 177 1234567" "$SMS_TEXT"
kc_check "sms form: POST, form body, escaping, Authorization" \
  $CHECK sms-request "$work/sms/requests.jsonl" 1 POST "/api/send" \
  application/x-www-form-urlencoded "$TOKEN" +491771234567 "$SMS_TEXT" form
kc_check "sms get: kc-deliver sends" \
  "$DELIVER" -c "$work/sms-get.conf" sms "0049 177 1234567" "$SMS_TEXT"
kc_check "sms get: GET, query appended with &, escaping, Authorization" \
  $CHECK sms-request "$work/sms/requests.jsonl" 2 GET "/api/send?key=k1" \
  - "$TOKEN" +491771234567 "$SMS_TEXT" query
kc_check_fails "sms: a number that is not one is refused" \
  "$DELIVER" -c "$work/sms-json.conf" sms "0177 CALL ME" "$SMS_TEXT"

# ------------------------------------------------- 5. SMS gateway failing
echo 503 >"$work/sms/status"
kc_check_fails "sms 503: exit 1" \
  "$DELIVER" -c "$work/sms-json.conf" sms "0177 1234567" "$SMS_TEXT"
kc_check_grep "sms 503: the error says HTTP 503" 'sms gateway: HTTP 503' \
  "$DELIVER" -c "$work/sms-json.conf" sms "0177 1234567" "$SMS_TEXT"
kc_check_nogrep "sms 503: no text, TAN, gateway body or token in the error" \
  "$TAN|Ihre TAN|GATEWAY-BODY|tok-5ecr3t" \
  "$DELIVER" -c "$work/sms-json.conf" sms "0177 1234567" "$SMS_TEXT"
echo 302 >"$work/sms/status"
kc_check_grep "sms 302: redirects are not followed" 'sms gateway: HTTP 302' \
  "$DELIVER" -c "$work/sms-json.conf" sms "0177 1234567" "$SMS_TEXT"
kc_check_nogrep "sms 302: nothing went to the redirect target" '/redirected' \
  cat "$work/sms/requests.jsonl"
rm -f "$work/sms/status"
conf sms-success "sms_transport = $GW" 'sms_body = {"to": "{to}", "text": "{text}"}' \
  'sms_success = "\"status\":\"ok\""'
printf '{"status":"ok","id":"m-1"}' >"$work/sms/body"
kc_check "sms_success: a 200 with the text is sent" \
  "$DELIVER" -c "$work/sms-success.conf" sms "0177 1234567" "$SMS_TEXT"
printf '{"status":"error","reason":"no credit","echo":"%s"}' "$SMS_TEXT" \
  >"$work/sms/body"
kc_check_fails "sms_success: a 200 reporting a refusal fails" \
  "$DELIVER" -c "$work/sms-success.conf" sms "0177 1234567" "$SMS_TEXT"
kc_check_grep "sms_success: the error names the missing text" \
  'sms gateway: HTTP 200, but the answer \([0-9]* bytes\) lacks the sms_success text' \
  "$DELIVER" -c "$work/sms-success.conf" sms "0177 1234567" "$SMS_TEXT"
kc_check_nogrep "sms_success: nothing of the answer in the error" \
  "$TAN|Ihre TAN|no credit|error|tok-5ecr3t" \
  "$DELIVER" -c "$work/sms-success.conf" sms "0177 1234567" "$SMS_TEXT"
{ head -c 65536 /dev/zero | tr '\0' ' '; printf '{"status":"ok"}'; } >"$work/sms/body"
kc_check_fails "sms_success: the text after the first 64 KiB does not count" \
  "$DELIVER" -c "$work/sms-success.conf" sms "0177 1234567" "$SMS_TEXT"
printf 'GATEWAY-BODY status=200' >"$work/sms/body"
kc_check "sms without sms_success: any 200 counts as sent" \
  "$DELIVER" -c "$work/sms-json.conf" sms "0177 1234567" "$SMS_TEXT"
rm -f "$work/sms/body"

# ------------------------------------------------------- 6. maildir, file
conf maildir "mail_transport = maildir:$work/Maildir"
kc_check "maildir: kc-deliver delivers" \
  "$DELIVER" -c "$work/maildir.conf" mail "$TO" "$SUBJECT" "$TEXT"
kc_check "maildir: one file in new/, none in tmp/, cur/ exists" \
  test "$(count "$work/Maildir/new" '*')" -eq 1 -a \
  "$(count "$work/Maildir/tmp" '*')" -eq 0 -a -d "$work/Maildir/cur"
kc_check "maildir: the message is valid MIME with the right headers" \
  $CHECK mail "$(find "$work/Maildir/new" -type f | head -n 1)" Kundencenter \
  "$FROM" "$TO" "$SUBJECT" "$TEXT"
kc_check "maildir: mode 0600" \
  test "$(stat -c %a "$(find "$work/Maildir/new" -type f | head -n 1)")" = 600

conf smsfile "sms_transport = file:$work/sms.jsonl"
kc_check "sms file: first SMS" \
  "$DELIVER" -c "$work/smsfile.conf" sms "0177/1234567" "$SMS_TEXT"
kc_check "sms file: second SMS with control characters" \
  "$DELIVER" -c "$work/smsfile.conf" sms "0177/1234567" $'line\nbreak\ttab "q" \\'
kc_check "sms file: one JSON object per line with to and text" \
  $CHECK sms-file "$work/sms.jsonl" +491771234567 "$SMS_TEXT" \
  $'line\nbreak\ttab "q" \\'
kc_check "sms file: mode 0600" test "$(stat -c %a "$work/sms.jsonl")" = 600

kc_done
