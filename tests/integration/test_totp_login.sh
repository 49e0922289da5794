#!/usr/bin/env bash
# The authenticator app and recovery codes at the web login
# (/account/login) and the reset form (/account/reset?token=), against a
# real slapd and kcd, with curl. Accounts are enrolled with a secret of
# this test's (tests/tools/kc-totp-enrol, as the enrolment pages store
# it) and the codes come from this test's own RFC 6238 code (Python's
# hmac), not from kcd's. Covered: nothing is sent to a totp account; a
# code passes once (the same code again, and the same code sent to two
# kcd at once, pass once); blanks in a code; the previous step passes, a
# far one does not; wrong codes make a pause; a recovery code in lower
# case without dashes passes once and mails the number left; an emailTAN
# account logs in with a recovery code; a totp account that is not
# enrolled logs in with its password; the reset form takes an app code
# and a recovery code (mTAN too); a tampered kcTotpSecret fails the login,
# is logged and changes nothing; no secret, code or recovery code in
# kcd's log.
set -u
. "$top_srcdir/tests/lib/slapd.sh"
. "$top_srcdir/tests/lib/kcd.sh"
. "$top_srcdir/tests/lib/sinks.sh"
. "$top_srcdir/tests/lib/check.sh"
kc_slapd_require
command -v curl >/dev/null || { echo "SKIP: curl not installed"; exit 77; }
kc_slapd_start || exit 1
work=$(mktemp -d "${TMPDIR:-/tmp}/kc-totp.XXXXXX") || exit 1
kc_cleanup_add "rm -rf '$work'"
PY=/usr/bin/python3
B=$KC_LDAP_BASE
ENROL=$top_builddir/tests/tools/kc-totp-enrol
maildir=$work/mail
mkdir -p "$maildir/tmp" "$maildir/new" "$maildir/cur"
secrets=$work/secrets # every secret, recovery code, password and token
codes=$work/codes     # every app code of this test
alllog=$work/kcd-all.log
: >"$secrets"
: >"$codes"
: >"$alllog"
printf '%s' "totp-login-test-key-0123456789abcdef0123456789" >"$work/key"
chmod 0600 "$work/key"
conf=("secret_key_file = $work/key" "mail_transport = maildir:$maildir"
  "sms_transport = file:$work/sms.jsonl")

kc_kcd_start "${conf[@]}" || exit 1
K=$KC_KCD_URL
# kcd again on the same socket and port: the limits per address and per
# account (in memory) start over
restart() { # [extra kcd.conf lines]
  kc_kcd_stop
  cat "$KC_KCD_LOG" >>"$alllog"
  kc_kcd_start "${conf[@]}" "pam_socket = $KC_KCD_SOCKET" \
    "http_listen = 127.0.0.1:$KC_KCD_HTTP_PORT" "public_url = $K" "$@" || exit 1
}

# --- accounts: one per scenario, password $pw, address USER@muster.example
pw='App-Konto-Passwort-2026'
hash=$(printf '%s\n' "$pw" | "$KC_PWHASH")
users=(app1 app2 app3 app4 app5 appnew erec mrec dup1 dup2 dup3 lock1)
for u in "${users[@]}"; do
  cat <<EOF
dn: uid=$u,ou=accounts,$B
objectClass: inetOrgPerson
objectClass: kcAccount
uid: $u
cn: $u
sn: $u
mail: $u@muster.example
mobile: +491701234567
kcCustomerNumber: 46075
kcTanMethod: $([[ $u == appnew ]] && echo totp || echo none)
kcRole: user
userPassword: $hash

EOF
done | kc_ldap_admin ldapadd >/dev/null || exit 1

# this test's RFC 6238: HMAC-SHA-1, 6 digits, 30 s
totp() { # BASE32 [STEP-OFFSET] -> the code of the step of now + offset
  "$PY" - "$1" "${2:-0}" <<'PY'
import base64, hmac, struct, sys, time
key = base64.b32decode(sys.argv[1])
step = int(time.time()) // 30 + int(sys.argv[2])
mac = hmac.new(key, struct.pack(">Q", step), "sha1").digest()
off = mac[-1] & 15
print("%06d" % ((struct.unpack(">I", mac[off:off + 4])[0] & 0x7FFFFFFF) % 1000000))
PY
}
step_now() { echo $(($(date +%s) / 30)); }
new_secret() { # -> a random 160-bit secret in base32, remembered
  local s
  s=$("$PY" -c 'import base64, os; print(base64.b32encode(os.urandom(20)).decode())')
  echo "$s" >>"$secrets"
  echo "$s"
}
enrol() { # USER SECRET -> $work/USER.codes (the recovery codes)
  "$ENROL" -c "$KC_KCD_CONF" "$1" "$2" >"$work/$1.codes" || return 1
  cat "$work/$1.codes" >>"$secrets"
  [[ $(wc -l <"$work/$1.codes") -eq 10 ]]
}
code_of() { # CODE: remember it, print it
  echo "$1" >>"$codes"
  echo "$1"
}

get() { # JAR URL [curl args] -> $status, $work/body, $work/head
  local jar=$1 url=$2
  shift 2
  status=$(curl -s -b "$jar" -c "$jar" -D "$work/head" -o "$work/body" \
    -w '%{http_code}' "$@" "$url")
}
csrf() { grep -o 'name="csrf" value="[^"]*"' "$work/body" | head -n 1 | sed 's/.*value="//;s/"$//'; }
field() { grep -o "name=\"$1\" value=\"[^\"]*\"" "$work/body" | sed 's/.*value="//;s/"$//'; }
location() { sed -n 's/^Location: //Ip' "$work/head" | tr -d '\r'; }
cookie_line() { grep -i '^Set-Cookie: kc_session=' "$work/head" | tr -d '\r'; }
attr() { # USER ATTR -> its values
  kc_ldap_admin ldapsearch -LLL -o ldif-wrap=no -b "uid=$1,ou=accounts,$B" \
    -s base "$2" | sed -n "s/^$2: //p"
}
mails() { kc_count_mail "$maildir"; }
log_has() { grep -Eq -- "$1" "$KC_KCD_LOG"; }
# the password step on kcd URL (default $K); the second form's fields are
# kept in $ch, $tk and $ct for answer()
login() { # JAR USER [URL] [curl args]
  local jar=$1 user=$2 url=${3:-$K}
  shift 3 2>/dev/null || shift $#
  get "$jar" "$url/account/login"
  get "$jar" "$url/account/login" --data-urlencode "csrf=$(csrf)" \
    --data-urlencode "username=$user" --data-urlencode "password=$pw" "$@"
  ch=$(field challenge)
  tk=$(field ticket)
  ct=$(csrf)
}
answer() { # JAR USER ANSWER [URL]: the second form with the fields of login()
  get "$1" "${4:-$K}/account/login" --data-urlencode "csrf=$ct" \
    --data-urlencode "username=$2" --data-urlencode "challenge=$ch" \
    --data-urlencode "ticket=$tk" --data-urlencode "tan=$3"
}
mail_to() { # ADDRESS -> subject and text of the newest mail to it
  "$PY" - "$maildir" "$1" <<'PY'
import email, email.policy, glob, os, sys
d, to = sys.argv[1], sys.argv[2]
found = []
for p in glob.glob(os.path.join(d, "new", "*")):
    m = email.message_from_binary_file(open(p, "rb"), policy=email.policy.strict)
    if m["To"] == to:
        found.append((os.stat(p).st_mtime_ns, p, "Subject: %s\n\n%s" % (
            m["Subject"], m.get_body(("plain",)).get_content())))
found.sort()
print(found[-1][2] if found else "")
PY
}

# --- a totp account: nothing is sent, the app's code is asked for
s1=$(new_secret)
kc_check "kc-totp-enrol stores an enrolment for app1" enrol app1 "$s1"
kc_check "  kcTanMethod: totp" test "$(attr app1 kcTanMethod)" = totp
kc_check "  the secret is sealed (v1:), not the base32" \
  bash -c "[[ \$1 == v1:* && \$1 != *$s1* ]]" _ "$(attr app1 kcTotpSecret)"
m0=$(mails)
login "$work/j1" app1
kc_check "app1: password step -> 200, the code form" test "$status" = 200
kc_check_grep "  asks for the code from the authenticator app" \
  'Code aus der Authenticator-App' cat "$work/body"
kc_check_grep "  and says a recovery code works too" 'Wiederherstellungscode' cat "$work/body"
kc_check_grep "  a field tan" 'name="tan"' cat "$work/body"
kc_check "  with a ticket" test -n "$tk"
kc_check "  no session yet" test -z "$(cookie_line)"
kc_check "  no mail was sent" test "$(mails)" -eq "$m0"
kc_check "  no SMS was sent" test ! -s "$work/sms.jsonl"
kc_check "  no TAN is open in LDAP" test -z "$(attr app1 kcTanHash)"
get "$work/j1" "$K/account/login?lang=en"
get "$work/j1" "$K/account/login?lang=en" --data-urlencode "csrf=$(csrf)" \
  --data-urlencode "username=app1" --data-urlencode "password=$pw"
kc_check_grep "  in English: 'Code from the authenticator app'" \
  'Code from the authenticator app' cat "$work/body"
kc_check_grep "  and 'recovery codes'" 'recovery codes' cat "$work/body"

get "$work/j1" "$K/account/login" -H 'Accept: application/json'
get "$work/j1" "$K/account/login" -H 'Accept: application/json' \
  --data-urlencode "csrf=$(sed -n 's/.*"csrf":"\([^"]*\)".*/\1/p' "$work/body")" \
  --data-urlencode "username=app1" --data-urlencode "password=$pw"
kc_check_grep "  JSON: tan_required with factor totp and a ticket" \
  '"status":"tan_required".*"ticket":"[0-9a-f]{16}\.[0-9a-f]{32}".*"factor":"totp"' cat "$work/body"

# the code without the password step's ticket does nothing
n=$(step_now)
c=$(code_of "$(totp "$s1")")
get "$work/j1" "$K/account/login" --data-urlencode "csrf=$ct" \
  --data-urlencode "username=app1" --data-urlencode "challenge=$ch" \
  --data-urlencode "tan=$c"
kc_check "the right code without the ticket -> 422" test "$status" = 422
kc_check "  no session" test -z "$(cookie_line)"
kc_check "  nothing counted" test -z "$(attr app1 kcTanFailures)"
kc_check "  the step is not used up" test "$(attr app1 kcTotpLastStep)" = 0

answer "$work/j1" app1 "$c"
kc_check "the right code -> 303 /account" test "$status:$(location)" = 303:/account
kc_check_grep "  with the session cookie" 'kc_session=1\.' cookie_line
last=$(attr app1 kcTotpLastStep)
kc_check "  kcTotpLastStep is the code's step" test "$last" -ge "$n" -a "$last" -le $((n + 1))
kc_check "  logged: web login factor=totp" log_has 'web login; user=app1 factor=totp'
get "$work/j1" "$K/account"
kc_check "  GET /account with it -> 200" test "$status" = 200

# the same code again: refused, and said so
login "$work/j2" app1
answer "$work/j2" app1 "$c"
kc_check "the same code again -> 422" test "$status" = 422
kc_check "  no session" test -z "$(cookie_line)"
kc_check_grep "  'falsch oder wurde schon verwendet'" \
  'Der Code ist falsch oder wurde schon verwendet' cat "$work/body"
kc_check_grep "  the code form again" 'name="tan"' cat "$work/body"
kc_check "  counted as wrong (kcTanFailures 1)" test "$(attr app1 kcTanFailures)" = 1
kc_check "  logged as used again" log_has 'authenticator code used again; user=app1'

# the next step's code typed with a blank
nx=$(code_of "$(totp "$s1" 1)")
answer "$work/j2" app1 "${nx:0:3} ${nx:3:3}"
kc_check "the next step's code as '123 456' -> 303" test "$status" = 303
kc_check "  kcTotpLastStep moved on" test "$(attr app1 kcTotpLastStep)" -gt "$last"
kc_check "  the count of wrong codes starts over" test -z "$(attr app1 kcTanFailures)"

# a far step (kcd anew: ten logins from one address are its burst)
restart
far=$(code_of "$(totp "$s1" 6)")
login "$work/j3" app1
answer "$work/j3" app1 "$far"
kc_check "a code six steps ahead -> 422" test "$status" = 422
kc_check "  no session" test -z "$(cookie_line)"
far=$(code_of "$(totp "$s1" -6)")
answer "$work/j3" app1 "$far"
kc_check "a code six steps back -> 422" test "$status" = 422
# the ticket holds only for the password as it was: a change (here the
# same password anew, by the directory admin) voids it
f0=$(attr app1 kcTanFailures)
pc0=$(attr app1 pwdChangedTime)
sleep 1
kc_ldap_admin ldapmodify >/dev/null <<EOF
dn: uid=app1,ou=accounts,$B
changetype: modify
replace: userPassword
userPassword: $hash
EOF
kc_check "  (the change moved pwdChangedTime)" test "$(attr app1 pwdChangedTime)" != "$pc0"
answer "$work/j3" app1 "$(code_of "$(totp "$s1" 1)")"
kc_check "a ticket from before a password change -> 422" test "$status" = 422
kc_check_grep "  back to the password form" 'name="password"' cat "$work/body"
kc_check "  nothing counted" test "$(attr app1 kcTanFailures)" = "$f0"

# --- the previous step, a recovery code once, its notice
restart
s2=$(new_secret)
kc_check "app2 enrolled" enrol app2 "$s2"
login "$work/j4" app2
n=$(step_now)
prev=$(code_of "$(totp "$s2" -1)")
answer "$work/j4" app2 "$prev"
kc_check "the previous step's code -> 303" test "$status" = 303
kc_check "  stored as the last step" test "$(attr app2 kcTotpLastStep)" -le "$n"
rc1=$(head -n 1 "$work/app2.codes")
typed=$(tr -d '-' <<<"$rc1" | tr '[:upper:]' '[:lower:]')
kc_check "a recovery code looks like XXXX-XXXX-XX" \
  grep -Eq '^[2-9A-HJKMNP-Z]{4}-[2-9A-HJKMNP-Z]{4}-[2-9A-HJKMNP-Z]{2}$' <<<"$rc1"
m0=$(mails)
login "$work/j5" app2
answer "$work/j5" app2 "$typed"
kc_check "a recovery code in lower case without dashes -> 303" test "$status" = 303
kc_check_grep "  with the session cookie" 'kc_session=1\.' cookie_line
kc_check "  9 recovery codes left in LDAP" test "$(attr app2 kcRecoveryCode | wc -l)" = 9
kc_check "  logged: factor=recovery" log_has 'web login; user=app2 factor=recovery'
kc_check "  logged: left=9" log_has 'recovery code used; user=app2 left=9'
for ((i = 0; i < 50; i++)); do (($(mails) > m0)) && break; sleep 0.1; done
kc_check "  a notice mail went out" test "$(mails)" -eq $((m0 + 1))
kc_check_grep "  it says that 9 are left" 'bleiben 9 Wiederherstellungscodes' mail_to app2@muster.example
kc_check_nogrep "  and holds no code" "$rc1|${rc1//-/}" mail_to app2@muster.example
login "$work/j6" app2
answer "$work/j6" app2 "$rc1"
kc_check "the same recovery code again -> 422" test "$status" = 422
kc_check "  no session" test -z "$(cookie_line)"
kc_check_grep "  'Wiederherstellungscode ist falsch oder wurde schon verwendet'" \
  'Der Wiederherstellungscode ist falsch oder wurde schon verwendet' cat "$work/body"
kc_check "  still 9 left" test "$(attr app2 kcRecoveryCode | wc -l)" = 9

# --- wrong codes in a row: a pause, in which even the right code waits
restart
s3=$(new_secret)
kc_check "app3 enrolled" enrol app3 "$s3"
login "$work/j7" app3
good=$(code_of "$(totp "$s3")")
bad=$(printf '%06d' $(((10#$good + 500000) % 1000000)))
answer "$work/j7" app3 "$bad"
kc_check "a wrong code -> 422" test "$status" = 422
kc_check_grep "  'Der Code ist falsch'" 'Der Code ist falsch' cat "$work/body"
answer "$work/j7" app3 "$bad"
kc_check "a second wrong code -> 422" test "$status" = 422
answer "$work/j7" app3 "$bad"
kc_check "the third wrong code (tan_max_tries) -> 429" test "$status" = 429
kc_check_grep "  'Bitte warten Sie fünf Minuten'" 'Zu viele falsche Codes. Bitte warten Sie' cat "$work/body"
kc_check "  kcTanFailures 3, kcFactorFailedAt set" \
  test "$(attr app3 kcTanFailures)" = 3 -a -n "$(attr app3 kcFactorFailedAt)"
good=$(code_of "$(totp "$s3")")
answer "$work/j7" app3 "$good"
kc_check "the right code in the pause -> 429 too" test "$status" = 429
kc_check "  no session" test -z "$(cookie_line)"
kc_check "  the step is not used up" test "$(attr app3 kcTotpLastStep)" = 0
answer "$work/j7" app3 "$(head -n 1 "$work/app3.codes")"
kc_check "a recovery code in the pause -> 429 too" test "$status" = 429
kc_check "  and not used up" test "$(attr app3 kcRecoveryCode | wc -l)" = 10
# the pause has passed (kcFactorFailedAt six minutes back)
kc_ldap_admin ldapmodify >/dev/null <<EOF
dn: uid=app3,ou=accounts,$B
changetype: modify
replace: kcFactorFailedAt
kcFactorFailedAt: $(date -u -d '-6 minutes' +%Y%m%d%H%M%SZ)
EOF
good=$(code_of "$(totp "$s3")")
answer "$work/j7" app3 "$good"
kc_check "after the pause the right code -> 303" test "$status" = 303

# --- an emailTAN account: the TAN form takes a recovery code too
restart
s4=$(new_secret)
kc_check "erec has recovery codes" enrol erec "$s4"
kc_ldap_admin ldapmodify >/dev/null <<EOF
dn: uid=erec,ou=accounts,$B
changetype: modify
replace: kcTanMethod
kcTanMethod: email
EOF
m0=$(mails)
login "$work/j8" erec
kc_check "erec (emailTAN): password step -> 200" test "$status" = 200
kc_check "  a TAN mail went out" test "$(mails)" -eq $((m0 + 1))
kc_check_grep "  the TAN form says a recovery code works too" \
  'Oder einer Ihrer Wiederherstellungscodes' cat "$work/body"
kc_check "  a TAN is open" test -n "$(attr erec kcTanHash)"
answer "$work/j8" erec "$(sed -n 2p "$work/erec.codes")"
kc_check "a recovery code in the TAN form -> 303" test "$status" = 303
kc_check "  logged: factor=recovery" log_has 'web login; user=erec factor=recovery'
kc_check "  the open TAN is void" test -z "$(attr erec kcTanHash)"
kc_check "  9 left" test "$(attr erec kcRecoveryCode | wc -l)" = 9

# --- totp set by an administrator, not enrolled yet: the password alone
login "$work/j9" appnew
kc_check "a totp account without a secret: password -> 303" test "$status:$(location)" = 303:/account
kc_check_grep "  a session" 'kc_session=1\.' cookie_line
kc_check "  logged as not enrolled" log_has 'app not enrolled yet; user=appnew'

# --- no TAN can go out (the hourly cap): a recovery code still logs in
restart "tan_max_per_hour = 1"
m0=$(mails)
login "$work/j13" erec
kc_check "erec over the hourly cap: password step -> 429" test "$status" = 429
kc_check_grep "  says so" 'zu viele TANs angefordert' cat "$work/body"
kc_check "  no TAN mail" test "$(mails)" -eq "$m0"
kc_check_grep "  and offers the recovery code" 'Wiederherstellungscode' cat "$work/body"
kc_check "  (no TAN challenge: the fixed marker)" test "$ch" = code
answer "$work/j13" erec 123456
kc_check "  a six-digit answer there -> 422" test "$status" = 422
kc_check_grep "  'kein Wiederherstellungscode'" 'Das ist kein Wiederherstellungscode' cat "$work/body"
kc_check "  not counted" test -z "$(attr erec kcTanFailures)"
answer "$work/j13" erec "$(sed -n 3p "$work/erec.codes")"
kc_check "  a recovery code -> 303" test "$status" = 303
kc_check "  8 left" test "$(attr erec kcRecoveryCode | wc -l)" = 8
tk_erec=$tk
ch=code tk=$tk_erec
answer "$work/j13" erec "$(sed -n 3p "$work/erec.codes")"
kc_check "  the same one again with the same ticket -> 422" test "$status" = 422

# --- a tampered kcTotpSecret: the login fails, the log says why, nothing
# else changes
restart
s5=$(new_secret)
kc_check "app5 enrolled" enrol app5 "$s5"
sealed=$(attr app5 kcTotpSecret)
# one character of the sealed value changed (the tag no longer fits)
flip=${sealed:10:1}
[[ $flip == A ]] && flip=B || flip=A
kc_ldap_admin ldapmodify >/dev/null <<EOF
dn: uid=app5,ou=accounts,$B
changetype: modify
replace: kcTotpSecret
kcTotpSecret: ${sealed:0:10}$flip${sealed:11}
EOF
login "$work/j10" app5
kc_check "app5: password step -> 200" test "$status" = 200
snap() { kc_ldap_admin ldapsearch -LLL -o ldif-wrap=no -b "uid=app5,ou=accounts,$B" -s base '*' '+'; }
snap >"$work/app5.before"
kc_check "  (the entry as read has the secret and the step)" \
  grep -q '^kcTotpSecret: v1:.*' "$work/app5.before"
answer "$work/j10" app5 "$(code_of "$(totp "$s5")")"
kc_check "the right code with a tampered secret -> 422" test "$status" = 422
kc_check "  no session" test -z "$(cookie_line)"
kc_check_grep "  'die Authenticator-App muss neu eingerichtet werden'" \
  'Authenticator-App muss neu eingerichtet werden' cat "$work/body"
kc_check_grep "  the form stays (for a recovery code)" 'name="tan"' cat "$work/body"
kc_check "  the log says why" log_has 'kcTotpSecret does not open.*user=app5'
snap >"$work/app5.after"
kc_check "  nothing changed in LDAP" cmp -s "$work/app5.before" "$work/app5.after"
answer "$work/j10" app5 "$(head -n 1 "$work/app5.codes")"
kc_check "  a recovery code still logs in -> 303" test "$status" = 303

# --- wrong codes up to tan_max_failures lock the account
restart "tan_max_failures = 3"
s9=$(new_secret)
kc_check "lock1 enrolled" enrol lock1 "$s9"
login "$work/j12" lock1
good=$(code_of "$(totp "$s9")")
bad=$(printf '%06d' $(((10#$good + 500000) % 1000000)))
answer "$work/j12" lock1 "$bad"
answer "$work/j12" lock1 "$bad"
kc_check "two wrong codes -> 422" test "$status" = 422
answer "$work/j12" lock1 "$bad"
kc_check "the third (tan_max_failures = 3) -> 422" test "$status" = 422
kc_check_grep "  'Das Konto ist gesperrt'" 'Das Konto ist gesperrt' cat "$work/body"
kc_check "  the password form again" grep -q 'name="password"' "$work/body"
kc_check "  locked in LDAP (pwdAccountLockedTime)" test -n "$(attr lock1 pwdAccountLockedTime)"
answer "$work/j12" lock1 "$(code_of "$(totp "$s9")")"
kc_check "the right code after it -> 422, no session" test "$status:$(cookie_line)" = 422:

# --- the reset form: the app's code (nothing sent), or a recovery code
restart
s6=$(new_secret)
kc_check "app4 enrolled" enrol app4 "$s6"
reset_link() { # USER -> $link (the path of the newest reset link)
  local m0 i
  m0=$(mails)
  get "$work/jr" "$K/account/reset"
  get "$work/jr" "$K/account/reset" --data-urlencode "csrf=$(csrf)" \
    --data-urlencode "login=$1"
  for ((i = 0; i < 100; i++)); do (($(mails) > m0)) && break; sleep 0.1; done
  link=$(mail_to "$1@muster.example" | grep -o '/account/reset?token=[A-Za-z0-9_-]*' | head -n 1)
  echo "${link#*token=}" >>"$secrets"
}
set_pw() { # ANSWER: POST the form of $link with the new password $newpw
  get "$work/jr" "$K$link"
  get "$work/jr" "$K/account/reset" --data-urlencode "csrf=$(csrf)" \
    --data-urlencode "token=${link#*token=}" --data-urlencode "new_password=$newpw" \
    --data-urlencode "new_password_repeat=$newpw" --data-urlencode "tan=$1"
}
reset_link app4
kc_check "app4: a reset link came" test -n "$link"
m0=$(mails)
get "$work/jr" "$K$link"
kc_check "the link's form -> 200" test "$status" = 200
kc_check_grep "  asks for the code from the authenticator app" \
  'Code aus der Authenticator-App' cat "$work/body"
kc_check_grep "  says a recovery code works too" 'Wiederherstellungscode' cat "$work/body"
kc_check "  nothing was sent" test "$(mails)" -eq "$m0" -a ! -s "$work/sms.jsonl"
newpw='Neues-App-Passwort-2026'
echo "$newpw" >>"$secrets"
set_pw ""
kc_check "without the code -> 422" test "$status" = 422
good=$(code_of "$(totp "$s6")")
set_pw "$(printf '%06d' $(((10#$good + 1) % 1000000)))"
kc_check "with a wrong code -> 422" test "$status" = 422
kc_check_grep "  'Der Code ist falsch'" 'Der Code ist falsch' cat "$work/body"
kc_check "  counted (kcTanFailures 1)" test "$(attr app4 kcTanFailures)" = 1
set_pw "$good"
kc_check "with the app's code -> 303" test "$status" = 303
kc_check "  the step is used up" test "$(attr app4 kcTotpLastStep)" -gt 0
pw_old=$pw
pw=$newpw
login "$work/j11" app4
kc_check "  the new password works (the code form)" test "$status" = 200 -a -n "$tk"
reset_link app4
newpw='Noch-Ein-App-Passwort-2026'
echo "$newpw" >>"$secrets"
set_pw "$(sed -n 3p "$work/app4.codes" | tr '[:upper:]' '[:lower:]')"
kc_check "the reset with a recovery code -> 303" test "$status" = 303
kc_check "  9 left" test "$(attr app4 kcRecoveryCode | wc -l)" = 9
kc_check "  logged" log_has 'reset with a recovery code; user=app4 left=9'
pw=$pw_old

# totp set by an administrator, not enrolled: an app code proves nothing
reset_link appnew
get "$work/jr" "$K$link"
kc_check_grep "appnew (not enrolled): the form asks for a recovery code" \
  'Wiederherstellungscode' cat "$work/body"
kc_check_grep "  and says no app is set up" 'keine Authenticator-App eingerichtet' cat "$work/body"
newpw='Nicht-Eingerichtet-2026'
echo "$newpw" >>"$secrets"
set_pw 123456
kc_check "  a six-digit code -> 422" test "$status" = 422
kc_check "  nothing counted" test -z "$(attr appnew kcTanFailures)"
kc_check "  the password is unchanged" \
  kc_ldap_as "uid=appnew,ou=accounts,$B" "$pw" ldapwhoami

# an mTAN account: the SMS TAN is sent, a recovery code passes instead
s7=$(new_secret)
kc_check "mrec has recovery codes" enrol mrec "$s7"
kc_ldap_admin ldapmodify >/dev/null <<EOF
dn: uid=mrec,ou=accounts,$B
changetype: modify
replace: kcTanMethod
kcTanMethod: mtan
EOF
reset_link mrec
newpw='Mobil-Rec-Passwort-2026'
echo "$newpw" >>"$secrets"
set_pw "$(sed -n 4p "$work/mrec.codes")"
kc_check "mTAN account: the reset with a recovery code -> 303" test "$status" = 303
kc_check "  9 left" test "$(attr mrec kcRecoveryCode | wc -l)" = 9

# --- two kcd against one slapd: one code sent to both at once passes once
kcd2_dir=$work/kcd2
mkdir -p "$kcd2_dir"
port2=$(kc_pick_port)
sed -e "s|^http_listen = .*|http_listen = 127.0.0.1:$port2|" \
  -e "s|^pam_socket = .*|pam_socket = $kcd2_dir/pam.sock|" \
  -e "s|^metrics_listen = .*|metrics_listen = none|" "$KC_KCD_CONF" >"$kcd2_dir/kcd.conf"
"$top_builddir/kcd/kcd" -d -f "$kcd2_dir/kcd.conf" >"$kcd2_dir/log" 2>&1 &
kcd2_pid=$!
kc_cleanup_add "kill $kcd2_pid 2>/dev/null"
for ((i = 0; i < 100; i++)); do
  curl -s -o /dev/null "http://127.0.0.1:$port2/healthz" && break
  sleep 0.1
done
K2=http://127.0.0.1:$port2
s8=$(new_secret)
race() { # USER: the password step on both, then one code to both at once
  local u=$1 c ch1 tk1 ct1
  login "$work/ja-$u" "$u" "$K"
  ch1=$ch tk1=$tk ct1=$ct
  login "$work/jb-$u" "$u" "$K2"
  c=$(code_of "$(totp "$s8")")
  curl -s -b "$work/ja-$u" -o /dev/null -w '%{http_code}\n' "$K/account/login" \
    --data-urlencode "csrf=$ct1" --data-urlencode "username=$u" \
    --data-urlencode "challenge=$ch1" --data-urlencode "ticket=$tk1" \
    --data-urlencode "tan=$c" >"$work/race-a-$u" &
  curl -s -b "$work/jb-$u" -o /dev/null -w '%{http_code}\n' "$K2/account/login" \
    --data-urlencode "csrf=$ct" --data-urlencode "username=$u" \
    --data-urlencode "challenge=$ch" --data-urlencode "ticket=$tk" \
    --data-urlencode "tan=$c" >"$work/race-b-$u" &
  wait
  cat "$work/race-a-$u" "$work/race-b-$u" | sort | tr '\n' ' '
}
for u in dup1 dup2 dup3; do
  kc_check "$u enrolled with the shared secret" enrol "$u" "$s8"
  r=$(race "$u")
  kc_check "$u: the same code on two kcd at once: one 303, one 422 ($r)" \
    test "$r" = "303 422 "
  kc_check "  one login in the two logs together" \
    test "$(cat "$KC_KCD_LOG" "$kcd2_dir/log" | grep -c "web login; user=$u factor=totp")" = 1
  kc_check "  the other one refused as used again" \
    test "$(cat "$KC_KCD_LOG" "$kcd2_dir/log" | grep -c "authenticator code used again; user=$u")" = 1
done
kill "$kcd2_pid" 2>/dev/null
wait "$kcd2_pid" 2>/dev/null
cat "$kcd2_dir/log" >>"$alllog"

# --- nothing secret in kcd's logs
kc_kcd_stop
cat "$KC_KCD_LOG" >>"$alllog"
pat=$(grep -v '^$' "$secrets" | sort -u | paste -sd'|')
pat_typed=$(grep -v '^$' "$secrets" | tr '[:upper:]' '[:lower:]' | tr -d '-' | sort -u | paste -sd'|')
pat_codes=$(sort -u "$codes" | paste -sd'|')
kc_check_nogrep "no sanitizer report in kcd's logs" \
  'AddressSanitizer|LeakSanitizer|runtime error:' cat "$alllog"
kc_check "the test kept its secrets and codes" test -n "$pat" -a -n "$pat_codes"
kc_check_nogrep "no secret, recovery code, password or token in kcd's log" \
  "$pat|$pw" cat "$alllog"
kc_check_nogrep "  nor a recovery code as typed" "$pat_typed" cat "$alllog"
kc_check_nogrep "  nor an app code" "\\b($pat_codes)\\b" cat "$alllog"

kc_done
