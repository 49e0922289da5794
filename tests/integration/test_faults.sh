#!/usr/bin/env bash
# Faults in what kcd depends on, with a real slapd, the real kcd, the
# built module through libpam (kc-pamtest) and curl for the web login:
#
#   1. the SMTP relay answers 4xx, answers 5xx, never answers, hangs up in
#      the middle of DATA, or offers STARTTLS with a certificate nobody
#      trusts (tests/tools/smtp_fault.py, one mode per case)
#   2. the SMS gateway answers 500, does not answer in time, or answers
#      200 with a body that reports a refusal, which sms_success tells
#      from a sent SMS (tests/tools/sms_sink.py)
#   3. mail_transport = maildir: on a full filesystem (a 64 KiB tmpfs)
#   4. slapd refuses writes (olcReadOnly: unwillingToPerform), answers
#      busy (LDAP 51) to a bind, a search or a modify (slapo-retcode, the
#      overlay slapd ships for testing clients), cuts kcd's searches
#      short (a size limit in olcLimits), and is stopped and started
#      again while logins keep coming
#
# For each: the PAM code and message (PAM_AUTHINFO_UNAVAIL with "The TAN
# could not be sent", pam_kundencenter(8)), the web login's status and
# text (503, no detail of the fault, no secret), the TAN state in LDAP
# (nothing of an undelivered TAN is left, and a TAN that reached the
# peer anyway is refused), and the counters on /metrics (kcd(8)). One
# kcd serves cases 1 and 2, the same kcd restarted on the maildir 3 and
# 4. The 64 KiB tmpfs needs root (CI runs the tests as root); without
# it that case is reported as skipped (TAP "# SKIP").
set -u
. "$top_srcdir/tests/lib/slapd.sh"
. "$top_srcdir/tests/lib/kcd.sh"
. "$top_srcdir/tests/lib/pam.sh"
. "$top_srcdir/tests/lib/sinks.sh"
. "$top_srcdir/tests/lib/check.sh"
kc_slapd_require
for p in curl openssl; do
  command -v "$p" >/dev/null || { echo "SKIP: $p not installed"; exit 77; }
done
kc_pam_init
kc_slapd_start || exit 1
work=$KC_PAM_TMP
PW=$KC_PW_ETAN
B=$KC_LDAP_BASE

# --- peers: the fault SMTP server (with a self-signed certificate for
# its STARTTLS) and the SMS gateway
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
  -days 2 -subj /CN=127.0.0.1 \
  -keyout "$work/smtp.key" -out "$work/smtp.crt" >/dev/null 2>&1 || exit 1
kc_sink_start "$work/smtp" smtp_fault.py --cert "$work/smtp.crt" \
  --key "$work/smtp.key" || exit 1
smtp_port=$KC_SINK_PORT
kc_sink_start "$work/sms" sms_sink.py || exit 1
sms_port=$KC_SINK_PORT
head -c 48 /dev/urandom | base64 >"$work/secret.key"
chmod 600 "$work/secret.key"

# --- one account per case and front end (no cooldown or hourly cap of
# one case spills into the next): copies of etan with its password
hash=$(kc_ldap_admin ldapsearch -LLL -o ldif-wrap=no -b "uid=etan,ou=accounts,$B" \
  -s base userPassword | sed -n 's/^userPassword:: //p' | base64 -d)
n_acc=10
account() { # NAME METHOD (account N gets the mobile number +49170123400N)
  n_acc=$((n_acc + 1))
  printf '%s\n' "dn: uid=$1,ou=accounts,$B" "objectClass: inetOrgPerson" \
    "objectClass: kcAccount" "uid: $1" "cn: Fault $1" "sn: $1" \
    "mail: $1@muster.example" "mobile: +49170123400$n_acc" \
    "kcCustomerNumber: 46075" "kcTanMethod: $2" "kcRole: user" \
    "kcLanguage: en" "userPassword: $hash" ""
}
smtp_cases="tempfail permfail silent dropdata badtls"
sms_cases="s500 shang sgarbage"
{
  account okp email
  account sokp mtan
  for c in $smtp_cases full ro busybind busysearch busymod; do
    account "${c}p" email
    account "${c}w" email
  done
  for c in $sms_cases; do
    account "${c}p" mtan
    account "${c}w" mtan
  done
} >"$work/accounts.ldif"
kc_ldap_admin ldapadd -f "$work/accounts.ldif" >/dev/null || exit 1

kc_kcd_start "mail_transport = smtp://127.0.0.1:$smtp_port" \
  "smtp_starttls = opportunistic" \
  "sms_transport = http://127.0.0.1:$sms_port/send" \
  'sms_body = {"to": "{to}", "text": "{text}"}' \
  "sms_success = status=200" \
  "secret_key_file = $work/secret.key" || exit 1
kc_pam_service kc-sshd "socket=$KC_KCD_SOCKET timeout=30"
kc_pam_service kc-inline "socket=$KC_KCD_SOCKET timeout=30 tan=inline"

# what no message may show: the password, the peers' words, the fault
SECRETS="$PW|GATEWAY|451|554|4\.7\.1|5\.7\.1|server replied|certificate|SSL|TLS|smtp:|curl|errno|No space|Traceback|unwilling"

smtp_mode() { echo "$1" >"$work/smtp/mode"; }
attrs() { # USER: the account's TAN attributes, one per line, sorted
  kc_ldap_admin ldapsearch -LLL -b "uid=$1,ou=accounts,$B" -s base \
    kcTanHash kcTanChallenge kcTanExpires kcTanTries kcTanSendCount |
    sed -n 's/^\(kcTan[A-Za-z]*\):.*/\1/p' | sort | tr '\n' ' '
}
pam_login() { # USER: password, then 123456 if a TAN is asked for
  kc_pamtest --service kc-sshd --user "$1" --conv sshd --answer "$PW" \
    --answer 123456 --steps auth
}
tan_login() { # USER KIND SOURCE: password, then the TAN the peer got
  # (kc_tan_from KIND SOURCE) -> PAM_SUCCESS
  kc_pamtest --service kc-sshd --user "$1" --conv sshd --answer "$PW" \
    --tan-cmd "$KC_PY $top_srcdir/tests/tools/tan_from.py $2 $3" \
    --steps auth --expect auth=PAM_SUCCESS
}
web_login() { # USER ADDR -> $work/web-USER.{status,body}
  local jar=$work/jar-$1 t
  curl -s --interface "$2" -b "$jar" -c "$jar" -H 'Accept-Language: en' \
    -o "$work/web-$1.body" "$KC_KCD_URL/account/login"
  t=$(grep -o 'name="csrf" value="[^"]*"' "$work/web-$1.body" | head -n 1 |
    sed 's/.*value="//;s/"$//')
  curl -s --interface "$2" -b "$jar" -c "$jar" -H 'Accept-Language: en' \
    -o "$work/web-$1.body" -w '%{http_code}' \
    --data-urlencode "csrf=$t" --data-urlencode "username=$1" \
    --data-urlencode "password=$PW" "$KC_KCD_URL/account/login" \
    >"$work/web-$1.status"
}
metric() { # NAME{LABELS}: its value on /metrics, "none" when missing
  curl -s "$KC_KCD_METRICS_URL/metrics" |
    awk -v k="$1" '$1 == k { print $2; f = 1 } END { if (!f) print "none" }'
}
tan_metric() { metric "kcd_tan_issue_total{method=\"$1\",result=\"$2\"}"; }
msgs() { grep -v '^auth=' "$1"; } # FILE: what the user saw, without the timing
page() { sed 's/name="csrf" value="[^"]*"//g' "$1"; } # FILE: without random tokens
ms_of() { printf '%s\n' "$1" | sed -n 's/^auth=[A-Z_]* ms=\([0-9]*\)$/\1/p'; }
n_addr=10
next_addr() { n_addr=$((n_addr + 1)); addr=127.0.0.$n_addr; }

# undelivered CASE WHAT: the checks of a TAN that did not go out, for
# accounts CASEp (PAM, output in $work/pam-CASE) and CASEw (web)
undelivered() {
  local c=$1 what=$2 out ms
  out=$(cat "$work/pam-$c")
  if printf '%s\n' "$out" | grep -q '^auth=PAM_AUTHINFO_UNAVAIL '; then
    kc_pass "$what: PAM login -> PAM_AUTHINFO_UNAVAIL"
  else
    kc_fail "$what: PAM login -> PAM_AUTHINFO_UNAVAIL"
    printf '%s\n' "$out" | sed 's/^/    # /'
  fi
  kc_check_grep "$what: PAM message says the TAN could not be sent" \
    '^conv: ERROR_MSG The TAN could not be sent\. Please try again later\.$' \
    echo "$out"
  kc_check_nogrep "$what: PAM message without fault details or secrets" \
    "$SECRETS" msgs "$work/pam-$c"
  kc_check_nogrep "$what: no TAN prompt" '^TAN' echo "$out"
  ms=$(ms_of "$out")
  kc_check "$what: PAM answer within the module's default timeout (${ms:-?} ms < 10000)" \
    test "${ms:-99999}" -lt 10000
  kc_check "$what: web login -> 503" test "$(cat "$work/web-${c}w.status")" = 503
  kc_check_grep "$what: web page says the TAN could not be sent" \
    'The TAN could not be sent\.' cat "$work/web-${c}w.body"
  kc_check_nogrep "$what: web page without fault details or secrets" \
    "$SECRETS" page "$work/web-${c}w.body"
  kc_check_nogrep "$what: web page has no TAN form" 'name="tan"' \
    cat "$work/web-${c}w.body"
  kc_check "$what: LDAP keeps only the send count (PAM account)" \
    test "$(attrs "${c}p")" = "kcTanSendCount "
  kc_check "$what: LDAP keeps only the send count (web account)" \
    test "$(attrs "${c}w")" = "kcTanSendCount "
}

# refused_inline USER TAN WHAT: a TAN that reached a peer although
# delivery failed does not log in (tan=inline: password followed by TAN)
refused_inline() {
  if [[ -z $2 ]]; then
    kc_fail "$3: the TAN the peer got is refused (no TAN found at the peer)"
    return
  fi
  kc_check "$3: the TAN the peer got is refused" \
    kc_pamtest --service kc-inline --user "$1" --conv apache \
    --answer "$PW$2" --steps auth --expect auth=PAM_AUTH_ERR
}

# --- the working path first: the fault server in "ok" mode delivers
smtp_mode ok
kc_check "relay ok: PAM login with the mailed TAN -> PAM_SUCCESS" \
  tan_login okp mail "$work/smtp"
kc_check "gateway ok (its 200 has the sms_success text): PAM login with the SMS TAN -> PAM_SUCCESS" \
  tan_login sokp sms "$work/sms/requests.jsonl"

# --- 1. SMTP faults that fail at once
for c in tempfail permfail dropdata badtls; do
  smtp_mode "$c"
  pam_login "${c}p" >"$work/pam-$c" 2>&1
  next_addr
  web_login "${c}w" "$addr"
done
undelivered tempfail "smtp 451 at RCPT"
undelivered permfail "smtp 554 after DATA"
undelivered dropdata "smtp hang-up in DATA"
undelivered badtls "smtp STARTTLS with a self-signed certificate"
kc_check_grep "smtp 554: the relay got the whole message" '^DATA$' \
  cat "$work/smtp/events"
refused_inline permfailp "$(kc_tan_from mail "$work/smtp/refused" 2>/dev/null)" \
  "smtp 554"
kc_check_grep "smtp hang-up: the relay cut the message" '^data-cut$' \
  cat "$work/smtp/events"
kc_check_grep "smtp bad certificate: kcd asked for STARTTLS" '^STARTTLS$' \
  cat "$work/smtp/events"
kc_check "smtp bad certificate: no mail went over the untrusted TLS" \
  test "$(grep -c '^stored' "$work/smtp/events")" -eq 1

# --- 1 and 2: a relay and a gateway that never answer (in parallel:
# each costs kcd's whole delivery timeout; the web logins a second later,
# so that their password checks do not delay the PAM ones)
smtp_mode silent
echo 30 >"$work/sms/delay"
pam_login silentp >"$work/pam-silent" 2>&1 &
p1=$!
pam_login shangp >"$work/pam-shang" 2>&1 &
p2=$!
sleep 1
next_addr
web_login silentw "$addr" &
p3=$!
next_addr
web_login shangw "$addr" &
p4=$!
wait "$p1" "$p2" "$p3" "$p4"
rm -f "$work/sms/delay"
undelivered silent "smtp relay silent"
undelivered shang "sms gateway not answering"
mobile=$(kc_ldap_admin ldapsearch -LLL -b "uid=shangw,ou=accounts,$B" -s base mobile |
  sed -n 's/^mobile: //p')
grep -F -- "$mobile" "$work/sms/requests.jsonl" >"$work/shangw.jsonl"
kc_check "sms timeout: the gateway got the request" test -s "$work/shangw.jsonl"
tan=$(kc_tan_from sms "$work/shangw.jsonl" 2>/dev/null)
refused_inline shangw "$tan" "sms timeout"

# --- 2. the gateway answers 500, or 200 with a refusal in its body
echo 500 >"$work/sms/status"
pam_login s500p >"$work/pam-s500" 2>&1
next_addr
web_login s500w "$addr"
rm -f "$work/sms/status"
undelivered s500 "sms gateway 500"

printf '\x00\xff{"status": "error", "message": "no credit"' >"$work/sms/body"
pam_login sgarbagep >"$work/pam-sgarbage" 2>&1
next_addr
web_login sgarbagew "$addr"
rm -f "$work/sms/body"
undelivered sgarbage "sms 200 without the sms_success text"
mobile=$(kc_ldap_admin ldapsearch -LLL -b "uid=sgarbagew,ou=accounts,$B" -s base mobile |
  sed -n 's/^mobile: //p')
grep -F -- "$mobile" "$work/sms/requests.jsonl" >"$work/sgarbagew.jsonl"
tan=$(kc_tan_from sms "$work/sgarbagew.jsonl" 2>/dev/null)
refused_inline sgarbagew "$tan" "sms 200 without the sms_success text"
kc_check_grep "sms 200 without the sms_success text: the log says so" \
  'HTTP 200, but the answer \([0-9]* bytes\) lacks the sms_success text' \
  cat "$KC_KCD_LOG"
kc_check_nogrep "  and quotes nothing of the answer" 'no credit' cat "$KC_KCD_LOG"

kc_check "kcd's log names each delivery failure" \
  test "$(grep -c 'TAN delivery failed; user=' "$KC_KCD_LOG")" -eq 16
kc_check "metrics: 10 undelivered mail TANs (5 SMTP faults, PAM and web)" \
  test "$(tan_metric email undelivered)" = 10
kc_check "metrics: 6 undelivered SMS TANs (timeout, 500, refusal; PAM and web)" \
  test "$(tan_metric mtan undelivered)" = 6
kc_check "metrics: 1 mail TAN sent (relay ok), 1 SMS TAN (gateway ok)" \
  test "$(tan_metric email sent):$(tan_metric mtan sent)" = 1:1
kc_check "metrics: no LDAP errors so far" \
  test "$(tan_metric email ldap_error):$(tan_metric mtan ldap_error)" = 0:0

# --- 3. maildir: on a full filesystem (the same kcd, restarted on it)
mnt=$work/full
mail_src=$mnt/Maildir # where the TANs of sections 3 and 4 land
mkdir -p "$mnt"
if [[ $(id -u) != 0 ]]; then
  kc_pass "maildir on a full filesystem # SKIP mounting a tmpfs needs root"
  smtp_mode ok
  mail_src=$work/smtp
elif ! mount -t tmpfs -o size=64k,mode=0755 tmpfs "$mnt"; then
  kc_fail "maildir full: mount a 64 KiB tmpfs"
  smtp_mode ok
  mail_src=$work/smtp
else
  kc_cleanup_add "umount '$mnt'"
  mkdir -p "$mnt/Maildir/tmp" "$mnt/Maildir/new" "$mnt/Maildir/cur"
  dd if=/dev/zero of="$mnt/filler" bs=4k >/dev/null 2>&1
  kc_check "maildir full: the tmpfs is full" \
    test "$(df --output=avail "$mnt" | tail -n 1)" -eq 0
  sed -i -e "s|^mail_transport = .*|mail_transport = maildir:$mnt/Maildir|" \
    -e '/^smtp_starttls/d' "$KC_KCD_CONF"
  kc_kcd_restart || exit 1
  pam_login fullp >"$work/pam-full" 2>&1
  next_addr
  web_login fullw "$addr"
  undelivered full "maildir on a full filesystem"
  kc_check "maildir full: metrics count 2 undelivered mail TANs (kcd restarted)" \
    test "$(tan_metric email undelivered)" = 2
  kc_check "maildir full: nothing half-written is left in the Maildir" \
    test -z "$(find "$mnt/Maildir" -type f)"
  rm -f "$mnt/filler"
  kc_check "maildir with space again: the same account logs in with the mailed TAN" \
    tan_login fullp mail "$mnt/Maildir"
fi

# --- 4. slapd refuses writes: olcReadOnly (unwillingToPerform)
read_only() { # TRUE|FALSE
  printf '%s\n' "dn: olcDatabase={1}mdb,cn=config" "changetype: modify" \
    "replace: olcReadOnly" "olcReadOnly: $1" |
    kc_ldap_config ldapmodify >/dev/null
}
read_only TRUE || exit 1
printf '%s\n' "dn: uid=rop,ou=accounts,$B" "changetype: modify" "replace: sn" \
  "sn: x" >"$work/write.ldif"
kc_check_grep "read-only slapd: a write is refused with unwillingToPerform" \
  'unwilling to perform \(53\)' kc_ldap_admin ldapmodify -f "$work/write.ldif"
pam_login rop >"$work/pam-ro" 2>&1
next_addr
web_login row "$addr"
kc_check "read-only slapd: PAM login with TAN -> PAM_AUTHINFO_UNAVAIL" \
  grep -q '^auth=PAM_AUTHINFO_UNAVAIL ' "$work/pam-ro"
kc_check_grep "read-only slapd: PAM message says the service is unavailable" \
  '^conv: ERROR_MSG The login service is temporarily unavailable\.$' \
  cat "$work/pam-ro"
kc_check_nogrep "read-only slapd: PAM message without fault details or secrets" \
  "$SECRETS" msgs "$work/pam-ro"
kc_check "read-only slapd: web login -> 503" \
  test "$(cat "$work/web-row.status")" = 503
kc_check_grep "read-only slapd: web page says the service is unavailable" \
  'The service is temporarily unavailable\.' cat "$work/web-row.body"
kc_check_nogrep "  not that the TAN could not be sent (the transport did not fail)" \
  'could not be sent' cat "$work/web-row.body"
kc_check_nogrep "read-only slapd: web page without fault details or secrets" \
  "$SECRETS" page "$work/web-row.body"
kc_check "read-only slapd: metrics count 2 LDAP errors of mail TANs" \
  test "$(tan_metric email ldap_error)" = 2
kc_check "read-only slapd: no TAN state was written" \
  test -z "$(attrs rop)$(attrs row)"
kc_check "read-only slapd: a login without TAN still passes (checking a password writes nothing)" \
  kc_pamtest --service kc-sshd --user mmuster --conv sshd \
  --answer "$KC_PW_MMUSTER" --steps auth --expect auth=PAM_SUCCESS
read_only FALSE || exit 1
kc_check "writable again: the same account logs in with the mailed TAN" \
  tan_login rop mail "$mail_src"

# --- 4. slapd answers busy (LDAP 51). slapo-retcode with olcRetcodeInDir
# answers an operation on an entry of the auxiliary class errAuxObject
# with its errCode, when errOp names the operation. For a bind it looks
# the entry up as the binding client, anonymous: a first access rule lets
# anybody read those attributes of such an entry.
printf '%s\n' "dn: cn=module{0},cn=config" "changetype: modify" \
  "add: olcModuleLoad" "olcModuleLoad: retcode" "" \
  "dn: olcDatabase={1}mdb,cn=config" "changetype: modify" "add: olcAccess" \
  "olcAccess: {0}to filter=(objectClass=errAuxObject) attrs=entry,objectClass,errCode,errText,errOp by * read" "" \
  "dn: olcOverlay=retcode,olcDatabase={1}mdb,cn=config" "changetype: add" \
  "objectClass: olcOverlayConfig" "objectClass: olcRetcodeConfig" \
  "olcOverlay: retcode" "olcRetcodeParent: ou=retcode,$B" \
  "olcRetcodeInDir: TRUE" | kc_ldap_config ldapmodify >/dev/null || exit 1
busy() { # USER OP...: slapd answers busy to OP (bind, search, modify) on
  # the account; without OP: no more (-M: retcode leaves managers alone)
  local u=$1
  shift
  {
    printf '%s\n' "dn: uid=$u,ou=accounts,$B" "changetype: modify"
    if [[ $# -gt 0 ]]; then
      printf '%s\n' "add: objectClass" "objectClass: errAuxObject" "-" \
        "add: errCode" "errCode: 51" "-" "add: errText" "errText: BUSY-TEST" \
        "-" "add: errOp" "${@/#/errOp: }"
    else
      printf '%s\n' "delete: objectClass" "objectClass: errAuxObject" "-" \
        "delete: errCode" "-" "delete: errText" "-" "delete: errOp"
    fi
  } | kc_ldap_admin ldapmodify -M >/dev/null
}
busy_state() { # CASE: TAN attributes and ppolicy failures of both accounts
  # (retcode answers a base search of its entries with more attributes
  # than asked for, kcTanMethod among them)
  attrs "${1}p"
  attrs "${1}w"
  kc_ldap_admin ldapsearch -LLL -b "ou=accounts,$B" \
    "(|(uid=${1}p)(uid=${1}w))" pwdFailureTime | grep pwdFailureTime
}
failures_before=$(metric "kcd_ldap_server_failures_total{server=\"$KC_LDAP_URI\"}")
busy busybindp bind && busy busybindw bind && busy busysearchp search &&
  busy busysearchw search && busy busymodp modify && busy busymodw modify ||
  exit 1
kc_check_grep "busy: slapd answers a bind as the account with busy (51)" \
  'Server is busy \(51\)' ldapwhoami -x -H "$KC_LDAP_URI" \
  -D "uid=busybindp,ou=accounts,$B" -w "$PW"
for c in busybind busysearch busymod; do
  pam_login "${c}p" >"$work/pam-$c" 2>&1
  next_addr
  web_login "${c}w" "$addr"
done
# what the user sees: as with a stopped slapd; in German when kcd could
# not read the account's language
declare -A busy_pam=(
  [busybind]='The login service is temporarily unavailable'
  [busysearch]='Der Anmeldedienst ist vorübergehend nicht erreichbar'
  [busymod]='The login service is temporarily unavailable')
declare -A busy_web=([busybind]='The service is temporarily unavailable'
  [busysearch]='The service is temporarily unavailable'
  [busymod]='The service is temporarily unavailable')
for c in busybind busysearch busymod; do
  kc_check "busy $c: PAM login -> PAM_AUTHINFO_UNAVAIL, not a wrong password" \
    grep -q '^auth=PAM_AUTHINFO_UNAVAIL ' "$work/pam-$c"
  kc_check_grep "busy $c: PAM message \"${busy_pam[$c]}.\"" \
    "^conv: ERROR_MSG ${busy_pam[$c]}\\.\$" cat "$work/pam-$c"
  kc_check_nogrep "busy $c: PAM message without fault details or secrets" \
    "$SECRETS|BUSY-TEST|Server is busy" msgs "$work/pam-$c"
  kc_check "busy $c: web login -> 503" \
    test "$(cat "$work/web-${c}w.status")" = 503
  kc_check_grep "busy $c: web page \"${busy_web[$c]}.\"" \
    "${busy_web[$c]}\\." cat "$work/web-${c}w.body"
  kc_check_nogrep "busy $c: web page without fault details or secrets" \
    "$SECRETS|BUSY-TEST|Server is busy" page "$work/web-${c}w.body"
  kc_check_nogrep "busy $c: ppolicy counted no failure and no TAN state was written" \
    'kcTan(Hash|Challenge|Expires|Tries|SendCount)|pwdFailureTime' \
    busy_state "$c"
done
kc_check "busy: other accounts log in meanwhile" \
  kc_pamtest --service kc-sshd --user mmuster --conv sshd \
  --answer "$KC_PW_MMUSTER" --steps auth --expect auth=PAM_SUCCESS
failures=$(metric "kcd_ldap_server_failures_total{server=\"$KC_LDAP_URI\"}")
kc_check "busy: metrics count the busy answers as server failures (${failures_before/none/0} -> $failures)" \
  test "$failures" != none -a "${failures/none/0}" -gt "${failures_before/none/0}"
kc_check_grep "busy: kcd's log names slapd's answer" \
  'LDAP server .* failed \(.*busy.*\)|Server is busy' cat "$KC_KCD_LOG"
for c in busybind busysearch busymod; do
  busy "${c}p" && busy "${c}w" || exit 1
done
kc_check "busy no more: the account with the busy bind logs in" \
  tan_login busybindp mail "$mail_src"
kc_check "busy no more: the account with the busy modify logs in with its TAN" \
  tan_login busymodp mail "$mail_src"

# --- 4. slapd's size limit below the accounts of one customer:
# schema/acl.ldif lifts kcd's limits (olcLimits); a directory without
# that line, or with a lower one, cuts kcd's searches short
size_limit() { # LIMITS for kcd's service DN
  printf '%s\n' "dn: olcDatabase={1}mdb,cn=config" "changetype: modify" \
    "replace: olcLimits" "olcLimits: dn.exact=\"$KC_KCD_DN\" $1" |
    kc_ldap_config ldapmodify >/dev/null
}
size_limit "size.soft=3 size.hard=3 size.prtotal=3" || exit 1
kc_check "size limit 3: a PAM login without TAN passes (a lookup is one entry)" \
  kc_pamtest --service kc-sshd --user mmuster --conv sshd \
  --answer "$KC_PW_MMUSTER" --steps auth,acct --expect auth=PAM_SUCCESS,acct=PAM_SUCCESS
next_addr
jar=$work/jar-admin
curl -s --interface "$addr" -b "$jar" -c "$jar" -H 'Accept-Language: en' \
  -o "$work/admin.body" "$KC_KCD_URL/account/login"
t=$(grep -o 'name="csrf" value="[^"]*"' "$work/admin.body" | head -n 1 |
  sed 's/.*value="//;s/"$//')
st=$(curl -s --interface "$addr" -b "$jar" -c "$jar" -H 'Accept-Language: en' \
  -o "$work/admin.body" -w '%{http_code} %{redirect_url}' \
  --data-urlencode "csrf=$t" --data-urlencode "username=mmuster" \
  --data-urlencode "password=$KC_PW_MMUSTER" "$KC_KCD_URL/account/login")
kc_check "size limit 3: the main user's web login passes ($st)" \
  test "${st%% *}" = 303
users_page() { # -> $st, $work/users.body
  st=$(curl -s --interface "$addr" -b "$jar" -c "$jar" -H 'Accept-Language: en' \
    -o "$work/users.body" -w '%{http_code}' "$KC_KCD_URL/account/users")
}
users_page
kc_check "size limit 3: the main user's list of users -> 503" test "$st" = 503
kc_check_grep "  an HTML page in the user's language" '<html lang="en">' \
  cat "$work/users.body"
kc_check_grep "  that says the service is unavailable" \
  'The service is temporarily unavailable\. Please try again later\.' \
  cat "$work/users.body"
kc_check "  no list cut short, nothing to act on" \
  test "$(grep -c '<tr>' "$work/users.body")" -eq 0
kc_check_nogrep "  no LDAP detail on the page" "Size limit|ldap|$B" \
  page "$work/users.body"
kc_check_grep "  kcd's log names the size limit" \
  'users page not shown: Size limit exceeded \(4\); user=mmuster' cat "$KC_KCD_LOG"
kc_check "  metrics count it" \
  test "$(metric 'kcd_http_events_total{event="users_unavailable"}')" = 1
size_limit "size.soft=unlimited size.hard=unlimited size.prtotal=unlimited" || exit 1
users_page
# (the customer's accounts: five of the fixtures and all made here)
kc_check "without the limit: the list shows all $((n_acc - 10 + 5)) accounts of the customer" \
  test "$st:$(grep -c '<tr><td>' "$work/users.body")" = "200:$((n_acc - 10 + 5))"

# --- 4. slapd stopped and started again while logins keep coming
loop() { # N: PAM logins of mmuster until $work/stop exists
  while [[ ! -e $work/stop ]]; do
    kc_pamtest --service kc-sshd --user mmuster --conv sshd \
      --answer "$KC_PW_MMUSTER" --steps auth 2>&1 | grep '^auth=' >>"$work/loop-$1"
  done
}
rm -f "$work/stop"
loop 1 &
l1=$!
loop 2 &
l2=$!
sleep 1
kc_slapd_kill
pam_login rop >"$work/pam-down" 2>&1
next_addr
web_login row "$addr"
kc_slapd_restart || exit 1
sleep 1.5
touch "$work/stop"
wait "$l1" "$l2"
cat "$work/loop-1" "$work/loop-2" >"$work/loops"
kc_check "slapd down: PAM login -> PAM_AUTHINFO_UNAVAIL" \
  grep -q '^auth=PAM_AUTHINFO_UNAVAIL ' "$work/pam-down"
# (in German: kcd cannot look up the account's language)
kc_check_grep "slapd down: PAM message says the service is unavailable" \
  '^conv: ERROR_MSG Der Anmeldedienst ist vorübergehend nicht erreichbar\.$' \
  cat "$work/pam-down"
kc_check "slapd down: web login -> 503" test "$(cat "$work/web-row.status")" = 503
kc_check_grep "slapd down: web page says the service is unavailable" \
  'The service is temporarily unavailable\.' cat "$work/web-row.body"
kc_check_nogrep "slapd down: web page without fault details or secrets" \
  "$SECRETS|contact|ldap://" page "$work/web-row.body"
kc_check_nogrep "restart under load: every login passed or was unavailable, none refused" \
  '^auth=PAM_(AUTH_ERR|PERM_DENIED|MAXTRIES|SYSTEM_ERR|USER_UNKNOWN)' cat "$work/loops"
kc_check "restart under load: some logins failed while slapd was away" \
  grep -q '^auth=PAM_AUTHINFO_UNAVAIL ' "$work/loops"
kc_check "restart under load: each loop's last login passed (kcd came back)" \
  sh -c "tail -n 1 '$work/loop-1' | grep -q '^auth=PAM_SUCCESS ' &&
    tail -n 1 '$work/loop-2' | grep -q '^auth=PAM_SUCCESS '"
slowest=$(sed -n 's/.* ms=//p' "$work/loops" | sort -n | tail -n 1)
kc_check "restart under load: no login took 10 s or more (slowest ${slowest:-?} ms)" \
  test "${slowest:-99999}" -lt 10000
kc_check "restart under load: ppolicy counted no failure for the right password" \
  test -z "$(kc_ldap_admin ldapsearch -LLL -b "uid=mmuster,ou=accounts,$B" -s base \
    pwdFailureTime | grep pwdFailureTime)"
failures=$(metric "kcd_ldap_server_failures_total{server=\"$KC_LDAP_URI\"}")
kc_check "restart under load: metrics count the LDAP server's failures (${failures})" \
  test "$failures" != none -a "${failures/none/0}" -ge 1
kc_check "kcd is still running" kill -0 "$KC_KCD_PID"
kc_check_nogrep "kcd's log holds no password and no TAN" "$PW|$KC_PW_MMUSTER|$tan" \
  cat "$KC_KCD_LOG"
kc_done
