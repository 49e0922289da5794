#!/usr/bin/env bash
# The web enrolment of the authenticator app and the recovery codes
# (DESIGN §12) against a real slapd and kcd, with curl: register, activate
# choosing the app, read the secret from the page and compute codes with
# this test's own RFC 6238 (Python's hmac, cross-checked with oathtool), a
# wrong code (the same secret again, nothing created), a right one (the
# account, LDAP holding only the sealed secret and hashes), the recovery
# codes shown once, the QR code decoded with zbarimg; then on the account
# pages: enrolment on /account/second-factor, the count of codes, their
# renewal (the current factor proven by an app or a recovery code), and a
# totp account without its secret sent to the enrolment.
set -u
. "$top_srcdir/tests/lib/slapd.sh"
. "$top_srcdir/tests/lib/kcd.sh"
. "$top_srcdir/tests/lib/sinks.sh"
. "$top_srcdir/tests/lib/check.sh"
kc_slapd_require
for t in curl zbarimg oathtool; do
  command -v "$t" >/dev/null || { echo "SKIP: $t not installed"; exit 77; }
done
kc_slapd_start || exit 1
work=$(mktemp -d "${TMPDIR:-/tmp}/kc-totp-enrol.XXXXXX") || exit 1
kc_cleanup_add "rm -rf '$work'"
# a known key, so this test can make a session cookie of its own (below)
printf '%s' "0123456789abcdef0123456789abcdef-totp-enrol-key" >"$work/key"
chmod 0600 "$work/key"
kc_kcd_start "activation_ttl = 1h" "sms_transport = file:$work/sms.jsonl" \
  "secret_key_file = $work/key" || exit 1
U=$KC_KCD_URL
PY=/usr/bin/python3
# kcd again on the same socket and port: the per-account limit of changes
# (in memory, 5 in a row) starts over; sessions live on
restart() {
  cat "$KC_KCD_LOG" >>"$work/kcd-logs"
  kc_kcd_stop
  kc_kcd_start "activation_ttl = 1h" "sms_transport = file:$work/sms.jsonl" \
    "secret_key_file = $work/key" "pam_socket = $KC_KCD_SOCKET" \
    "http_listen = 127.0.0.1:$KC_KCD_HTTP_PORT" || exit 1
}

get() { # JAR PATH [curl args] -> $status, $work/body, $work/head
  local jar=$1 path=$2
  shift 2
  status=$(curl -s -b "$jar" -c "$jar" -D "$work/head" -o "$work/body" \
    -w '%{http_code}' "$@" "$U$path")
}
csrf() { grep -o 'name="csrf" value="[^"]*"' "$work/body" | head -n 1 | sed 's/.*value="//;s/"$//'; }
sealed() { grep -o 'name="totp_sealed" value="[^"]*"' "$work/body" | sed 's/.*value="//;s/"$//'; }
# the secret as the page shows it (groups of four), without the blanks
secret() { sed -n 's|.*<code id="totp_secret">\([A-Z2-7 ]*\)</code>.*|\1|p' "$work/body" | tr -d ' '; }
codes() { grep -o '<li><code>[^<]*</code></li>' "$work/body" | sed 's/<[^>]*>//g'; }
location() { sed -n 's/^Location: //Ip' "$work/head" | tr -d '\r'; }
mails() { find "$KC_MAILDIR/new" -type f | wc -l; }
attr() { # USER ATTR: its values, one a line
  kc_ldap_admin ldapsearch -LLL -o ldif-wrap=no -b "ou=accounts,$KC_LDAP_BASE" \
    "(uid=$1)" "$2" | sed -n "s/^$2: //p"
}
# RFC 6238 (HMAC-SHA-1, 6 digits, 30 s) from the tests' own code, not
# kcd's: TOTP SECRET [STEPS-FROM-NOW]
totp() { $PY "$top_srcdir/tests/tools/totp.py" "$1" "${2:-0}"; }
KCADM=$top_builddir/kcd/kcadm/kcadm
# a code that is not the right one now, nor one step either side
wrong_code() {
  local s=$1 c
  for c in 000000 111111 222222 333333; do
    [[ $c != "$(totp "$s" -1)" && $c != "$(totp "$s")" && $c != "$(totp "$s" 1)" ]] &&
      { echo "$c"; return; }
  done
}
# a code computed now is still current when kcd checks it
fresh_step() { $PY "$top_srcdir/tests/tools/totp.py" --wait-steady; }
qr_text() { # the QR code of the page, decoded
  grep -o 'src="data:image/png;base64,[^"]*"' "$work/body" | head -n 1 |
    sed 's/^src="data:image\/png;base64,//;s/"$//' | base64 -d >"$work/qr.png" &&
    zbarimg -q --raw "$work/qr.png" 2>/dev/null
}

# --- register, the link
n0=$(mails)
jar=$work/jar
get "$jar" /register
t=$(csrf)
get "$jar" /register --data-urlencode "csrf=$t" --data-urlencode "customer_number=46075" \
  --data-urlencode "email=praxis@muster.example" --data-urlencode "email_repeat=praxis@muster.example"
for ((i = 0; i < 50; i++)); do (($(mails) > n0)) && break; sleep 0.1; done
link=$($PY - "$KC_MAILDIR/new" <<'PY'
import email, email.policy, glob, os, re, sys
path = max(glob.glob(os.path.join(sys.argv[1], "*")), key=os.path.getmtime)
msg = email.message_from_binary_file(open(path, "rb"), policy=email.policy.strict)
text = msg.get_body(("plain",)).get_content()
print(re.search(r"/activate\?token=[A-Za-z0-9_-]+", text).group(0))
PY
)
kc_check "registration: an activation link arrives" test -n "$link"
token=${link##*token=}

# --- the activation form
get "$jar" "$link"
kc_check "GET /activate -> 200" test "$status" = 200
kc_check_grep "  the fourth choice: Authenticator-App" \
  'name="tan_method" value="totp"> Authenticator-App' cat "$work/body"
kc_check_grep "  the enrolment section with the QR code as a data: PNG" \
  '<div class="enrol".*<img src="data:image/png;base64,' tr -d '\n' <"$work/body"
kc_check_grep "  and the CSP lets it show (img-src data:)" \
  "^Content-Security-Policy:.*img-src[^;]*data:" cat "$work/head"
kc_check_grep "  the secret in groups of four" \
  '<code id="totp_secret">[A-Z2-7]{4}( [A-Z2-7]{4}){7}</code>' cat "$work/body"
kc_check_grep "  a field totp_code" 'name="totp_code"' cat "$work/body"
s1=$(secret)
seal1=$(sealed)
kc_check "  the secret is 32 base32 characters (160 bits)" test "${#s1}" = 32
kc_check_grep "  the form carries it sealed (v1:)" '^v1:[A-Za-z0-9+/=]{80}$' echo "$seal1"
kc_check_nogrep "  and never in clear in a field" "value=\"[^\"]*$s1" cat "$work/body"
uri=$(qr_text)
kc_check_grep "the QR code decodes to the otpauth URI of that secret" \
  "^otpauth://totp/Kundencenter:praxis%40muster\.example\?secret=$s1&issuer=Kundencenter&algorithm=SHA1&digits=6&period=30\$" \
  echo "$uri"
kc_check "our RFC 6238 agrees with oathtool" \
  test "$(totp "$s1")" = "$(oathtool --totp -b "$s1")"
get "$jar" "$link"
kc_check "a new GET: a new secret" test "$(secret)" != "$s1"
get "$jar" "$link" -H 'Accept: application/json'
kc_check_grep "JSON: the sealed secret, the secret and the URI for a client" \
  '"totp_sealed":"v1:[^"]{80}","totp_secret":"[A-Z2-7]{32}","totp_uri":"otpauth://totp/Kundencenter:praxis%40muster.example\?secret=[A-Z2-7]{32}&' \
  cat "$work/body"
get "$jar" "$link" -H 'Accept-Language: en'
kc_check_grep "  English: Set up the authenticator app" 'Set up the authenticator app' cat "$work/body"

ct=$(csrf)
pw="Zugspitze-im-Nebel-2026"
activate() { # SEALED CODE [curl args]
  local s=$1 c=$2
  shift 2
  get "$jar" /activate --data-urlencode "csrf=$ct" --data-urlencode "token=$token" \
    --data-urlencode "tan_method=totp" --data-urlencode "salutation=Frau" \
    --data-urlencode "first_name=Tina" --data-urlencode "last_name=Totp" \
    --data-urlencode "email=praxis@muster.example" --data-urlencode "username=ttotp" \
    --data-urlencode "password=$pw" --data-urlencode "password_repeat=$pw" \
    --data-urlencode "totp_sealed=$s" \
    --data-urlencode "totp_code=$c" "$@"
}
fresh_step
activate "$seal1" "$(wrong_code "$s1")"
kc_check "a wrong code -> 422" test "$status" = 422
kc_check_grep "  says so at the code field" 'id="totp_code-error">Der Code ist falsch' cat "$work/body"
kc_check "  the same sealed secret in the form" test "$(sealed)" = "$seal1"
kc_check "  the same secret shown" test "$(secret)" = "$s1"
kc_check "  no account was created" test -z "$(attr ttotp uid)"
activate "$seal1" ""
kc_check "no code -> 422, nothing created" test "$status:$(attr ttotp uid)" = "422:"
change() { # VALUE: one character of it changed
  local t=${1:0:13}A${1:14}
  [[ $t == "$1" ]] && t=${1:0:13}B${1:14}
  echo "$t"
}
activate "$(change "$seal1")" "$(totp "$s1")"
kc_check "a changed sealed value -> 422 and a new secret to scan" \
  test "$status" = 422 -a "$(secret)" != "$s1" -a -n "$(secret)"
kc_check_grep "  asks to scan it" 'Bitte scannen Sie den (neuen )?QR-Code' cat "$work/body"
kc_check "  nothing created" test -z "$(attr ttotp uid)"

fresh_step
activate "$seal1" "$(totp "$s1")"
kc_check "the right code -> 200, the account is set up" test "$status" = 200
kc_check_grep "  the page says so" 'Ihr Zugang ist eingerichtet' cat "$work/body"
codes >"$work/codes1"
kc_check "  with 10 recovery codes" test "$(wc -l <"$work/codes1")" = 10
kc_check "  each XXXX-XXXX-XX of the recovery alphabet" \
  test "$(grep -cE '^[23456789ABCDEFGHJKMNPQRSTUVWXYZ]{4}-[23456789ABCDEFGHJKMNPQRSTUVWXYZ]{4}-[23456789ABCDEFGHJKMNPQRSTUVWXYZ]{2}$' "$work/codes1")" = 10
kc_check "  all different" test "$(sort -u "$work/codes1" | wc -l)" = 10
kc_check_grep "  with the advice to keep them" 'nur jetzt angezeigt.*ausdrucken|drucken Sie sie aus' cat "$work/body"
kc_check_grep "  not cached" '^Cache-Control: no-store' cat "$work/head"
kc_check "  the link is used up: the codes are not shown again (410)" \
  bash -c "curl -s -o /dev/null -w '%{http_code}' '$U$link' | grep -qx 410"
kc_check "LDAP: kcTanMethod totp" test "$(attr ttotp kcTanMethod)" = totp
kc_check_grep "  kcTotpSecret sealed (v1:)" '^v1:' attr ttotp kcTotpSecret
kc_check_fails "  not the value the form carried (sealed anew for the entryUUID)" \
  test "$(attr ttotp kcTotpSecret)" = "$seal1"
step=$(attr ttotp kcTotpLastStep)
now_step=$(($(date +%s) / 30))
kc_check "  kcTotpLastStep is the step of the code ($step, now $now_step)" \
  test -n "$step" -a "$step" -ge $((now_step - 2)) -a "$step" -le "$now_step"
kc_check "  10 kcRecoveryCode values, keyed hashes (64 hex)" \
  test "$(attr ttotp kcRecoveryCode | grep -cE '^[0-9a-f]{64}$')" = 10
kc_ldap_admin ldapsearch -LLL -o ldif-wrap=no -b "ou=accounts,$KC_LDAP_BASE" '(uid=ttotp)' '*' '+' \
  >"$work/entry.ldif"
kc_check_nogrep "  the clear secret is nowhere in the entry" "$s1" cat "$work/entry.ldif"
kc_check_nogrep "  nor a recovery code" "$(head -n 1 "$work/codes1")" cat "$work/entry.ldif"
kc_check_nogrep "kcd's log holds no secret, code or recovery code" \
  "$s1|$(paste -sd'|' "$work/codes1")" cat "$KC_KCD_LOG"

# --- the enrolled app logs in on the web: the password, then its code
jt=$work/jar-t
get "$jt" /account/login
get "$jt" /account/login --data-urlencode "csrf=$(csrf)" --data-urlencode "username=ttotp" \
  --data-urlencode "password=$pw"
kc_check_grep "ttotp's password -> the app's code is asked" 'name="ticket"' cat "$work/body"
field() { grep -o "name=\"$1\" value=\"[^\"]*\"" "$work/body" | sed 's/.*value="//;s/"$//'; }
ch=$(field challenge) tk=$(field ticket) lt=$(csrf)
# the next step's code: the activation took this step's
get "$jt" /account/login --data-urlencode "csrf=$lt" --data-urlencode "username=ttotp" \
  --data-urlencode "challenge=$ch" --data-urlencode "ticket=$tk" \
  --data-urlencode "tan=$(totp "$s1" 1)"
kc_check "  a code of the enrolled secret -> 303 /account" test "$status:$(location)" = "303:/account"
get "$jt" /account
kc_check_grep "  the account page: Authenticator-App, 10 of 10 recovery codes" \
  'Authenticator-App</dd>.*<dd>10 von 10 übrig</dd>' tr -d '\n' <"$work/body"

# --- the account pages: the login of an account without the app
# (mmuster, tan none), which then enrols
login() { # JAR USER PASSWORD
  get "$1" /account/login
  local t
  t=$(csrf)
  get "$1" /account/login --data-urlencode "csrf=$t" --data-urlencode "username=$2" \
    --data-urlencode "password=$3"
}
jm=$work/jar-m
login "$jm" mmuster "$KC_PW_MMUSTER"
kc_check "mmuster (no second factor) logs in" test "$status" = 303
get "$jm" /account
kc_check_grep "the account page: recovery codes 0 of 10" '<dd>0 von 10 übrig</dd>' cat "$work/body"
kc_check_nogrep "  no renewal without a second factor" 'action=recovery-codes' cat "$work/body"
get "$jm" /account/second-factor
kc_check "GET /account/second-factor -> 200" test "$status" = 200
kc_check_grep "  Authenticator-App among the choices" 'value="totp"> Authenticator-App' cat "$work/body"
kc_check_grep "  the QR code of the account (uid)" \
  "^otpauth://totp/Kundencenter:mmuster\?secret=$(secret)&" qr_text
sm=$(secret)
seal_m=$(sealed)
get "$jm" /account/second-factor -H 'Accept: application/json'
kc_check_grep "  JSON: the method and a secret to enrol" \
  '^\{"status":"ok","tan_method":"none","totp_sealed":"v1:.*"totp_uri":"otpauth://totp/Kundencenter:mmuster\?' \
  cat "$work/body"
get "$jm" /account/second-factor
at=$(csrf)
factor() { # JAR [curl args]
  local j=$1
  shift
  get "$j" /account/second-factor --data-urlencode "csrf=$at" "$@"
}
fresh_step
factor "$jm" --data-urlencode tan_method=totp --data-urlencode "totp_sealed=$seal_m" \
  --data-urlencode "totp_code=$(wrong_code "$sm")"
kc_check "a wrong code -> 422, the same secret" test "$status:$(secret)" = "422:$sm"
kc_check "  kcTanMethod unchanged" test "$(attr mmuster kcTanMethod)" != totp
fresh_step
factor "$jm" --data-urlencode tan_method=totp --data-urlencode "totp_sealed=$seal_m" \
  --data-urlencode "totp_code=$(totp "$sm")"
kc_check "the right code -> 200 with recovery codes" test "$status" = 200
codes >"$work/codes-m1"
kc_check "  10 of them (the account had none)" test "$(wc -l <"$work/codes-m1")" = 10
kc_check "LDAP: totp, a sealed secret, 10 hashes" \
  test "$(attr mmuster kcTanMethod):$(attr mmuster kcTotpSecret | cut -c1-3):$(attr mmuster kcRecoveryCode | wc -l)" = "totp:v1::10"
get "$jm" /account
kc_check_grep "the account page: Authenticator-App, 10 of 10 codes" \
  'Authenticator-App</dd>.*<dd>10 von 10 übrig</dd>' tr -d '\n' <"$work/body"
kc_check_grep "  and the way to new codes" 'href="/account/second-factor\?action=recovery-codes"' cat "$work/body"
get "$jm" /account -H 'Accept: application/json'
kc_check_grep "  JSON: totp_enrolled, recovery_codes_left" \
  '"tan_method":"totp","totp_enrolled":true,"recovery_codes_left":10' cat "$work/body"

# renewal: the current factor first (the session proved none)
get "$jm" "/account/second-factor?action=recovery-codes"
kc_check "GET ?action=recovery-codes -> 200" test "$status" = 200
kc_check_grep "  says how many are left" 'Verbleibende Wiederherstellungscodes: 10 von 10' cat "$work/body"
factor "$jm" --data-urlencode action=recovery-codes
kc_check "renewal without the app's code -> it is asked" test "$status" = 200
kc_check_grep "  the app code field" 'Code aus der Authenticator-App' cat "$work/body"
kc_check "  no TAN was sent" test ! -s "$work/sms.jsonl"
old=$(attr mmuster kcRecoveryCode | sort)
fresh_step
factor "$jm" --data-urlencode action=recovery-codes --data-urlencode "tan=$(wrong_code "$sm")"
kc_check "  a wrong app code -> 422, codes unchanged" \
  test "$status" = 422 -a "$(attr mmuster kcRecoveryCode | sort)" = "$old"
# the next step's code: kcTotpLastStep holds this step's (replay-safe)
factor "$jm" --data-urlencode action=recovery-codes --data-urlencode "tan=$(totp "$sm" 1)"
kc_check "  the app's code -> 200, new codes shown" test "$status" = 200
codes >"$work/codes-m2"
kc_check "  10 new ones" test "$(wc -l <"$work/codes-m2")" = 10
kc_check "  none of the old ones among them" test -z "$(comm -12 <(sort "$work/codes-m1") <(sort "$work/codes-m2"))"
new=$(attr mmuster kcRecoveryCode | sort)
kc_check "  LDAP: 10 hashes, every one replaced" \
  test "$(wc -l <<<"$new")" = 10 -a -z "$(comm -12 <(echo "$old") <(echo "$new"))"

# a recovery code proves the factor, in a new session where nothing is
# proven yet: a cookie made by this test from the key as session.h says
# (as test_account.sh does)
forge() { # USER -> cookie value of a session that started now
  $PY - "$work/key" "$(attr "$1" entryUUID)" "$(date +%s)" \
    "$(attr "$1" kcSessionStamp)" "$(attr "$1" pwdChangedTime)" <<'PYEOF'
import hashlib, hmac, struct, sys
key = hashlib.blake2b(open(sys.argv[1], "rb").read(), digest_size=32).digest()
uuid, now, stamp, changed = sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5]
sub = hmac.new(key, b"kc-web-session-v1\0", hashlib.sha256).digest()
msg = uuid.encode() + b"\0" + struct.pack(">QQQ", now, now, 0) + \
    stamp.encode() + b"\0" + changed.encode() + b"\0"
mac = hmac.new(sub, msg, hashlib.sha256).digest()[:16].hex()
print("1.%s.%016x.%016x.%016x.%s" % (uuid, now, now, 0, mac))
PYEOF
}
restart
jm2=$work/jar-m2
printf '127.0.0.1\tFALSE\t/account\tFALSE\t0\tkc_session\t%s\n' "$(forge mmuster)" >"$jm2"
get "$jm2" "/account/second-factor?action=recovery-codes"
kc_check "a session of the totp account (no factor proven) opens the page" test "$status" = 200
at=$(csrf)
factor "$jm2" --data-urlencode action=recovery-codes \
  --data-urlencode "tan=$(head -n 1 "$work/codes-m1")"
kc_check "an old (replaced) recovery code does not pass -> 422" test "$status" = 422
rc=$(sed -n 2p "$work/codes-m2" | tr '[:upper:]' '[:lower:]' | tr -d -)
factor "$jm2" --data-urlencode action=recovery-codes --data-urlencode "tan=$rc"
kc_check "a current one (lower case, no dashes) passes -> new codes" test "$status" = 200
codes >"$work/codes-m3"
kc_check "  10 again, LDAP 10" \
  test "$(wc -l <"$work/codes-m3"):$(attr mmuster kcRecoveryCode | wc -l)" = "10:10"

# --- kcTanMethod totp without a secret (kcadm account set-tan USER totp):
# the account pages send to the enrolment first (the session lives on)
restart
kc_check "kcadm account set-tan mmuster totp" \
  "$KCADM" -c "$KC_KCD_CONF" account set-tan mmuster totp
kc_check "  removes the app's secret" test -z "$(attr mmuster kcTotpSecret)"
get "$jm2" /account
kc_check "/account of a totp account without its secret -> 303" test "$status" = 303
kc_check "  to /account/second-factor" test "$(location)" = /account/second-factor
get "$jm2" /account/password
kc_check "  /account/password too" test "$status:$(location)" = "303:/account/second-factor"
get "$jm2" /account -H 'Accept: application/json'
kc_check_grep "  JSON: 403 enrol_required" '"status":"enrol_required"' cat "$work/body"
jm3=$work/jar-m3
login "$jm3" mmuster "$KC_PW_MMUSTER"
kc_check "the web login of that account: the password alone -> 303" test "$status" = 303
get "$jm3" /account
kc_check "  and its /account -> 303 /account/second-factor" \
  test "$status:$(location)" = "303:/account/second-factor"
get "$jm2" /account/second-factor
kc_check_grep "the enrolment page says the app is to be set up" 'Bitte richten Sie sie jetzt ein' cat "$work/body"
s3=$(secret)
seal3=$(sealed)
at=$(csrf)
factor "$jm2" --data-urlencode tan_method=mtan --data-urlencode "mobile=0177 9999999"
kc_check "with the password alone it may set up the app, not another method -> 422" \
  test "$status" = 422
kc_check_grep "  which says so" 'Bitte richten Sie zuerst die Authenticator-App ein' \
  cat "$work/body"
kc_check "  the method stays totp" test "$(attr mmuster kcTanMethod)" = totp
kc_check_nogrep "  and the number was not stored" '9999999' attr mmuster mobile
s3=$(secret)
seal3=$(sealed)
at=$(csrf)
fresh_step
factor "$jm2" --data-urlencode tan_method=totp --data-urlencode "totp_sealed=$seal3" \
  --data-urlencode "totp_code=$(totp "$s3")"
kc_check "enrolled with a code, no other factor asked -> 200" test "$status" = 200
kc_check "  10 recovery codes in LDAP (kcadm revoked the old ones)" \
  test "$(attr mmuster kcRecoveryCode | wc -l)" = 10
kc_check_grep "  which says so" 'Ihr TAN-Verfahren wurde gespeichert' cat "$work/body"
get "$jm2" /account
kc_check "/account opens again" test "$status" = 200
at=$(csrf)
factor "$jm2" --data-urlencode tan_method=none \
  --data-urlencode "password=$KC_PW_MMUSTER"
kc_check "switching the second factor off (password, factor fresh) -> 200" \
  test "$status" = 200
kc_check "  kcTanMethod none, the app and the recovery codes gone" \
  test "$(attr mmuster kcTanMethod):$(attr mmuster kcTotpSecret):$(attr mmuster kcRecoveryCode)" = "none::"

# --- the first-login page (/account/credentials) of a provisioned account
jc=$work/jar-c
get "$jc" "/account/credentials?user=neukunde"
kc_check "GET /account/credentials -> 200 with the app among the choices" \
  test "$status:$(grep -c 'value="totp"> Authenticator-App' "$work/body")" = 200:1
kc_check_grep "  the QR code names the user of the link" \
  "^otpauth://totp/Kundencenter:neukunde\?secret=$(secret)&" qr_text
sc=$(secret)
seal_c=$(sealed)
ct=$(csrf)
npw="Erster-Tag-im-Kundencenter-7"
cred() { # CODE
  get "$jc" /account/credentials --data-urlencode "csrf=$ct" --data-urlencode "user=neukunde" \
    --data-urlencode "password=$KC_PW_NEUKUNDE" --data-urlencode "new_password=$npw" \
    --data-urlencode "new_password_repeat=$npw" --data-urlencode "tan_method=totp" \
    --data-urlencode "totp_sealed=$seal_c" \
    --data-urlencode "totp_code=$1"
}
fresh_step
cred "$(wrong_code "$sc")"
kc_check "a wrong code -> 422, the same secret, nothing changed" \
  test "$status:$(secret):$(attr neukunde kcTanMethod):$(attr neukunde kcFirstLogin)" = "422:$sc:none:TRUE"
fresh_step
cred "$(totp "$sc")"
kc_check "the right code -> 200 with 10 recovery codes" \
  test "$status:$(codes | wc -l)" = "200:10"
kc_check "LDAP: totp, a sealed secret, 10 hashes, kcFirstLogin gone" \
  test "$(attr neukunde kcTanMethod):$(attr neukunde kcTotpSecret | cut -c1-3):$(attr neukunde kcRecoveryCode | wc -l):$(attr neukunde kcFirstLogin)" = "totp:v1::10:"
kc_check_nogrep "  the clear secret is not in LDAP" "$sc" \
  kc_ldap_admin ldapsearch -LLL -o ldif-wrap=no -b "ou=accounts,$KC_LDAP_BASE" '(uid=neukunde)' '*' '+'

kc_check "the secrets of this part were read" test -n "$sm" -a -n "$s3" -a -n "$sc"
kc_check_nogrep "kcd's log holds no secret or recovery code" \
  "$sm|$s3|$sc|$(cat "$work"/codes-m? | paste -sd'|')" cat "$work/kcd-logs" "$KC_KCD_LOG"

kc_done
