#!/usr/bin/env bash
# The web login (/account/login, /account/logout), the session cookie and
# the account pages (/account, /account/password, /account/second-factor,
# /account/email) against a real slapd and kcd, with curl; PAM logins
# through the built module afterwards.
set -u
. "$top_srcdir/tests/lib/slapd.sh"
. "$top_srcdir/tests/lib/kcd.sh"
. "$top_srcdir/tests/lib/pam.sh"
. "$top_srcdir/tests/lib/sinks.sh"
. "$top_srcdir/tests/lib/check.sh"
kc_slapd_require
kc_pam_init
kc_slapd_start || exit 1
work=$(mktemp -d "${TMPDIR:-/tmp}/kc-acct.XXXXXX") || exit 1
kc_cleanup_add "rm -rf '$work'"
PY=/usr/bin/python3
# a known key, so this test can make a cookie of its own (below)
printf '%s' "0123456789abcdef0123456789abcdef-account-test-key" >"$work/key"
chmod 0600 "$work/key"
kc_kcd_start "secret_key_file = $work/key" "sms_transport = file:$work/sms.jsonl" || exit 1
K=$KC_KCD_URL
kc_pam_service kc-sshd "socket=$KC_KCD_SOCKET timeout=30"
# kcd again on the same socket and port: the per-address and per-account
# limits (in memory) start over; sessions live on (nothing is in memory)
restart() {
  kc_kcd_stop
  kc_kcd_start "secret_key_file = $work/key" "sms_transport = file:$work/sms.jsonl" \
    "pam_socket = $KC_KCD_SOCKET" "http_listen = 127.0.0.1:$KC_KCD_HTTP_PORT" \
    "public_url = $K" || exit 1
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
session_of() { awk '$6 == "kc_session" { print $7 }' "$1"; }
attr() { # USER ATTR
  kc_ldap_admin ldapsearch -LLL -b "ou=accounts,$KC_LDAP_BASE" "(uid=$1)" "$2" |
    sed -n "s/^$2: //p"
}
login() { # JAR USER PASSWORD [curl args]: the password step
  local jar=$1 user=$2 pw=$3
  shift 3
  get "$jar" "$K/account/login"
  local t
  t=$(csrf)
  get "$jar" "$K/account/login" --data-urlencode "csrf=$t" \
    --data-urlencode "username=$user" --data-urlencode "password=$pw" "$@"
}
with_cookie() { # VALUE URL [curl args]: a request with exactly that session
  status=$(curl -s -H "Cookie: kc_session=$1" -D "$work/head" -o "$work/body" \
    -w '%{http_code}' "${@:3}" "$2")
}

# --- no session
get "$work/j0" "$K/account"
kc_check "GET /account without a session -> 303" test "$status" = 303
kc_check "  to the login page" test "$(location)" = /account/login
get "$work/j0" "$K/account" -H 'Accept: application/json'
kc_check "  JSON: 401 login_required" test "$status" = 401
kc_check_grep "  body says so" '"status":"login_required"' cat "$work/body"
get "$work/j0" "$K/account/login"
kc_check "the login page opens" test "$status" = 200
kc_check_grep "  with user name and password" 'name="username".*|name="password"' cat "$work/body"
kc_check_grep "  and \"Passwort vergessen?\"" 'href="/account/reset">Passwort vergessen\?' cat "$work/body"
kc_check_grep "  security headers" "^Content-Security-Policy: default-src 'none'" cat "$work/head"
kc_check_grep "  not cached" '^Cache-Control: no-store' cat "$work/head"

# --- wrong, unknown, CSRF
t=$(csrf)
get "$work/j0" "$K/account/login" --data-urlencode "username=mmuster" \
  --data-urlencode "password=$KC_PW_MMUSTER"
kc_check "POST without csrf -> 403" test "$status" = 403
kc_check "  no session cookie" test -z "$(cookie_line)"
get "$work/j0" "$K/account/login" --data-urlencode "csrf=$t" \
  --data-urlencode "username=mmuster" --data-urlencode "password=falsch-falsch-falsch"
kc_check "wrong password -> 422" test "$status" = 422
sed 's/value="mmuster"/value="X"/' "$work/body" >"$work/wrong.html"
kc_check_grep "  'User name or password is wrong'" 'Benutzername oder Passwort ist falsch' cat "$work/body"
kc_check "  ppolicy counted it (pwdFailureTime)" test -n "$(attr mmuster pwdFailureTime)"
get "$work/j0" "$K/account/login" --data-urlencode "csrf=$t" \
  --data-urlencode "username=niemand" --data-urlencode "password=falsch-falsch-falsch"
kc_check "unknown user -> 422 too" test "$status" = 422
sed 's/value="niemand"/value="X"/' "$work/body" >"$work/unknown.html"
kc_check "  the same page as a wrong password" cmp -s "$work/wrong.html" "$work/unknown.html"
get "$work/j0" "$K/account/login?back=https://evil.example/x"
kc_check_nogrep "back= to a foreign origin is dropped" 'evil' cat "$work/body"

# --- login without a second factor
login "$work/j1" mmuster "$KC_PW_MMUSTER"
kc_check "mmuster logs in -> 303" test "$status" = 303
kc_check "  to /account" test "$(location)" = /account
kc_check_grep "  kc_session: HttpOnly, SameSite=Strict, Path=/account" \
  'kc_session=1\.[0-9a-f-]{36}\..*Path=/account.*HttpOnly; SameSite=Strict' cookie_line
kc_check "  the stamp is in LDAP" test -n "$(attr mmuster kcSessionStamp)"
kc_check "  the failure count was reset by the good bind" test -z "$(attr mmuster pwdFailureTime)"
s1=$(session_of "$work/j1")
get "$work/j1" "$K/account"
kc_check "GET /account -> 200" test "$status" = 200
kc_check_grep "  shows the user name" '<dd>mmuster</dd>' cat "$work/body"
kc_check_grep "  the name" 'Max Muster' cat "$work/body"
kc_check_grep "  the masked mobile" '\+49 177 \*\*\*4567' cat "$work/body"
kc_check_grep "  the customer number" '46075' cat "$work/body"
kc_check_grep "  the role" 'Hauptbenutzer' cat "$work/body"
kc_check_grep "  the cookie is refreshed" 'kc_session=1\.' cookie_line
get "$work/j1" "$K/account" -H 'Accept: application/json'
kc_check_grep "JSON /account: user, customers" \
  '"username":"mmuster".*"tan_method":"none".*"customers":\[\{"number":"46075"' cat "$work/body"
get "$work/j1" "$K/account/login"
kc_check "the login page with a session -> 303 /account" test "$(location)" = /account
# a forged cookie: one character changed
bad=$(sed 's/\(.\)$/0/' <<<"$s1")
[[ $bad == "$s1" ]] && bad=$(sed 's/\(.\)$/1/' <<<"$s1")
with_cookie "$bad" "$K/account"
kc_check "a forged cookie -> 303 to the login" test "$status" = 303
kc_check_grep "  and the cookie is deleted" 'kc_session=;.*Max-Age=0' cookie_line
with_cookie "garbage" "$K/account"
kc_check "garbage -> 303" test "$status" = 303

# --- a second kcd with the same key accepts the session
kcd1_url=$K
kcd2_dir=$work/kcd2
mkdir -p "$kcd2_dir"
port2=$(kc_pick_port)
sed -e "s|^http_listen = .*|http_listen = 127.0.0.1:$port2|" \
  -e "s|^pam_socket = .*|pam_socket = $kcd2_dir/pam.sock|" \
  -e "s|^metrics_listen = .*|metrics_listen = none|" "$KC_KCD_CONF" >"$kcd2_dir/kcd.conf"
"$top_builddir/kcd/kcd" -d -f "$kcd2_dir/kcd.conf" >"$kcd2_dir/log" 2>&1 &
kcd2_pid=$!
kc_cleanup_add "kill $kcd2_pid 2>/dev/null"
for ((i = 0; i < 50; i++)); do
  curl -s -o /dev/null "http://127.0.0.1:$port2/healthz" && break
  sleep 0.1
done
with_cookie "$s1" "http://127.0.0.1:$port2/account"
kc_check "another kcd with the same secret key accepts the session" test "$status" = 200
kc_check_grep "  and shows the account" '<dd>mmuster</dd>' cat "$work/body"

# --- a cookie made by this test from the key: the format is what session.h says
forge() { # USER ISSUED USED FACTOR -> cookie value
  $PY - "$work/key" "$(attr "$1" entryUUID)" "$2" "$3" "$4" \
    "$(attr "$1" kcSessionStamp)" "$(attr "$1" pwdChangedTime)" <<'PYEOF'
import hashlib, hmac, struct, sys
key = hashlib.blake2b(open(sys.argv[1], "rb").read(), digest_size=32).digest()
uuid, issued, used, factor, stamp, changed = sys.argv[2], *map(int, sys.argv[3:6]), sys.argv[6], sys.argv[7]
sub = hmac.new(key, b"kc-web-session-v1\0", hashlib.sha256).digest()
msg = uuid.encode() + b"\0" + struct.pack(">QQQ", issued, used, factor) + \
    stamp.encode() + b"\0" + changed.encode() + b"\0"
mac = hmac.new(sub, msg, hashlib.sha256).digest()[:16].hex()
print("1.%s.%016x.%016x.%016x.%s" % (uuid, issued, used, factor, mac))
PYEOF
}
now=$(date +%s)
c=$(forge mmuster "$now" "$now" 0)
with_cookie "$c" "$K/account"
kc_check "a cookie made from the key as documented is accepted" test "$status" = 200
c=$(forge mmuster $((now - 1000)) $((now - 901)) 0)
with_cookie "$c" "$K/account"
kc_check "idle longer than session_idle (15m) -> 303" test "$status" = 303
c=$(forge mmuster $((now - 8 * 3600 - 1)) "$now" 0)
with_cookie "$c" "$K/account"
kc_check "older than session_max (8h) -> 303" test "$status" = 303

# --- the password page
get "$work/j1" "$K/account/password"
kc_check "GET /account/password -> 200" test "$status" = 200
pt=$(csrf)
login "$work/j2" mmuster "$KC_PW_MMUSTER"
get "$work/j2" "$K/account/password"
pt2=$(csrf)
kc_check "  the CSRF field is bound to the session" test "$pt" != "$pt2"
s2=$(session_of "$work/j2")
newpw="Neues-Passwort-fuer-Max-2026"
get "$work/j1" "$K/account/password" --data-urlencode "csrf=$pt2" \
  --data-urlencode "password=$KC_PW_MMUSTER" --data-urlencode "new_password=$newpw" \
  --data-urlencode "new_password_repeat=$newpw"
kc_check "CSRF field of another session -> 403" test "$status" = 403
get "$work/j1" "$K/account/password" \
  --data-urlencode "password=$KC_PW_MMUSTER" --data-urlencode "new_password=$newpw" \
  --data-urlencode "new_password_repeat=$newpw"
kc_check "no CSRF field -> 403" test "$status" = 403
get "$work/j1" "$K/account/password" --data-urlencode "csrf=$pt" \
  --data-urlencode "password=falsch-falsch-falsch" --data-urlencode "new_password=$newpw" \
  --data-urlencode "new_password_repeat=$newpw"
kc_check "wrong current password -> 422" test "$status" = 422
kc_check_grep "  says so" 'Das Passwort ist falsch' cat "$work/body"
get "$work/j1" "$K/account/password" --data-urlencode "csrf=$pt" \
  --data-urlencode "password=$KC_PW_MMUSTER" --data-urlencode "new_password=kurz" \
  --data-urlencode "new_password_repeat=kurz"
kc_check "too short -> 422" test "$status" = 422
n0=$(kc_count_mail "$KC_MAILDIR")
get "$work/j1" "$K/account/password" --data-urlencode "csrf=$pt" \
  --data-urlencode "password=$KC_PW_MMUSTER" --data-urlencode "new_password=$newpw" \
  --data-urlencode "new_password_repeat=$newpw"
kc_check "the change -> 200" test "$status" = 200
kc_check_grep "  'Ihr Passwort wurde geändert'" 'Ihr Passwort wurde geändert' cat "$work/body"
kc_check "  a notice mail" test "$(kc_count_mail "$KC_MAILDIR")" -eq $((n0 + 1))
notice=$(ls -t "$KC_MAILDIR"/new/* | head -n 1)
kc_check_nogrep "  without the password" "$newpw|$KC_PW_MMUSTER" cat "$notice"
get "$work/j1" "$K/account"
kc_check "this session goes on (a new cookie)" test "$status" = 200
with_cookie "$s1" "$K/account"
kc_check "the cookie from before the change is dead" test "$status" = 303
with_cookie "$s2" "$K/account"
kc_check "  and so is the other browser's session" test "$status" = 303
kc_check "PAM: the new password works" \
  kc_pamtest --service kc-sshd --user mmuster --conv sshd --answer "$newpw" \
  --steps auth --expect auth=PAM_SUCCESS
kc_check "PAM: the old one does not" \
  kc_pamtest --service kc-sshd --user mmuster --conv sshd --answer "$KC_PW_MMUSTER" \
  --steps auth --expect auth=PAM_AUTH_ERR

# --- the session ends with a lock and with a password change elsewhere
s1=$(session_of "$work/j1")
kc_check "kcadm lock" "$top_builddir/kcd/kcadm/kcadm" -c "$KC_KCD_CONF" account lock mmuster
with_cookie "$s1" "$K/account"
kc_check "a locked account's session is dead" test "$status" = 303
kc_check "kcadm unlock" "$top_builddir/kcd/kcadm/kcadm" -c "$KC_KCD_CONF" account unlock mmuster
with_cookie "$s1" "$K/account"
kc_check "  and stays dead after the unlock" test "$status" = 303
login "$work/j1" mmuster "$newpw"
s1=$(session_of "$work/j1")
kc_ldap_admin ldappasswd -s "Vom-Admin-gesetzt-2026" \
  "uid=mmuster,ou=accounts,$KC_LDAP_BASE" >/dev/null
with_cookie "$s1" "$K/account"
kc_check "a password set by the directory administrator ends it" test "$status" = 303

# --- logout ends every session of the account
restart
kc_ldap_admin ldapmodify >/dev/null <<EOF
dn: uid=mmuster,ou=accounts,$KC_LDAP_BASE
changetype: modify
delete: pwdReset
EOF
login "$work/j1" mmuster "Vom-Admin-gesetzt-2026"
kc_check "log in with the administrator's password -> 303" test "$status" = 303
login "$work/j2" mmuster "Vom-Admin-gesetzt-2026"
s1=$(session_of "$work/j1")
s2=$(session_of "$work/j2")
get "$work/j1" "$K/account"
lt=$(csrf)
get "$work/j1" "$K/account/logout" -X POST
kc_check "logout without POST body/CSRF -> 403" test "$status" = 403
get "$work/j1" "$K/account/logout" --data-urlencode "csrf=$lt"
kc_check "logout -> 303 to the login" test "$(location)" = /account/login
kc_check_grep "  the cookie is deleted" 'kc_session=;.*Max-Age=0' cookie_line
with_cookie "$s1" "$K/account"
kc_check "the old cookie replayed -> 303" test "$status" = 303
with_cookie "$s2" "$K/account"
kc_check "  the other browser is logged out too" test "$status" = 303

# --- an emailTAN account: password, then the TAN
restart
n0=$(kc_count_mail "$KC_MAILDIR")
login "$work/j3" etan "$KC_PW_ETAN"
kc_check "etan: password step -> 200 with the TAN form" test "$status" = 200
kc_check_grep "  a TAN field" 'name="tan"' cat "$work/body"
kc_check "  no session yet" test -z "$(cookie_line)"
kc_check "  a TAN mail went out" test "$(kc_count_mail "$KC_MAILDIR")" -eq $((n0 + 1))
ch=$(field challenge)
tk=$(field ticket)
t=$(csrf)
tan=$(kc_tan_from mail "$KC_MAILDIR")
wrong=$(printf '%06d' $(((10#$tan + 1) % 1000000)))
get "$work/j3" "$K/account/login" --data-urlencode "csrf=$t" --data-urlencode "username=etan" \
  --data-urlencode "challenge=$ch" --data-urlencode "tan=$tan"
kc_check "the right TAN without the password step's ticket -> refused" test "$status" = 422
kc_check "  not counted, not consumed" test -n "$(attr etan kcTanHash)" -a "$(attr etan kcTanTries)" = 0
get "$work/j3" "$K/account/login" --data-urlencode "csrf=$t" --data-urlencode "username=etan" \
  --data-urlencode "challenge=$ch" --data-urlencode "tan=$wrong" --data-urlencode "ticket=$tk"
kc_check "a wrong TAN -> 422" test "$status" = 422
kc_check "  counted in LDAP" test "$(attr etan kcTanTries)" = 1
get "$work/j3" "$K/account/login" --data-urlencode "csrf=$t" --data-urlencode "username=mtan" \
  --data-urlencode "challenge=$ch" --data-urlencode "tan=$tan" --data-urlencode "ticket=$tk"
kc_check "etan's challenge with another user name -> refused" test "$status" = 422
kc_check "  no session" test -z "$(cookie_line)"
get "$work/j3" "$K/account/login" --data-urlencode "csrf=$t" --data-urlencode "username=etan" \
  --data-urlencode "challenge=$ch" --data-urlencode "tan=$tan" --data-urlencode "ticket=$tk"
kc_check "the right TAN -> 303 /account" test "$(location)" = /account
kc_check "  the TAN is consumed" test -z "$(attr etan kcTanHash)"
get "$work/j3" "$K/account/login" --data-urlencode "csrf=$t" --data-urlencode "username=etan" \
  --data-urlencode "challenge=$ch" --data-urlencode "tan=$tan" --data-urlencode "ticket=$tk"
kc_check "the same TAN again -> refused" test "$status" = 422

# --- second factor: stronger is free, weaker needs the factor (fresh or again)
get "$work/j3" "$K/account/second-factor"
ft=$(csrf)
kc_check "GET /account/second-factor -> 200" test "$status" = 200
get "$work/j3" "$K/account/second-factor" --data-urlencode "csrf=$ft" \
  --data-urlencode "tan_method=none"
kc_check "off without the password -> 422" test "$status" = 422
get "$work/j3" "$K/account/second-factor" --data-urlencode "csrf=$ft" \
  --data-urlencode "tan_method=mtan" --data-urlencode "mobile=0171 5550001"
kc_check "emailTAN -> mTAN with a new mobile, TAN proven at login: 200" test "$status" = 200
kc_check "  kcTanMethod: mtan" test "$(attr etan kcTanMethod)" = mtan
kc_check "  the mobile in E.164" test "$(attr etan mobile)" = +491715550001
# a session whose second factor is not fresh (made from the key, factor 0)
now=$(date +%s)
c=$(forge etan "$now" "$now" 0)
with_cookie "$c" "$K/account/second-factor"
ft=$(csrf)
sms0=$(wc -l <"$work/sms.jsonl" 2>/dev/null || echo 0)
with_cookie "$c" "$K/account/second-factor" --data-urlencode "csrf=$ft" \
  --data-urlencode "tan_method=email"
kc_check "weaker (mTAN -> emailTAN) without a fresh factor -> asks for the TAN" \
  grep -q 'name="tan"' "$work/body"
kc_check "  an SMS TAN went out" test "$(wc -l <"$work/sms.jsonl")" -eq $((sms0 + 1))
kc_check "  nothing changed yet" test "$(attr etan kcTanMethod)" = mtan
ch=$(field challenge)
tan=$(kc_tan_from sms "$work/sms.jsonl")
get "$work/j4" "$K/account/login"
t4=$(csrf)
get "$work/j4" "$K/account/login" --data-urlencode "csrf=$t4" --data-urlencode "username=etan" \
  --data-urlencode "challenge=$ch" --data-urlencode "tan=$tan"
kc_check "that TAN (sent by the account page) does not log in without a password" \
  test "$status" = 422
kc_check "  no session" test -z "$(cookie_line)"
with_cookie "$c" "$K/account/second-factor" --data-urlencode "csrf=$ft" \
  --data-urlencode "tan_method=email" --data-urlencode "challenge=$ch" --data-urlencode "tan=$tan"
kc_check "  with the TAN -> 200" test "$status" = 200
kc_check "  kcTanMethod: email" test "$(attr etan kcTanMethod)" = email
# a new address of a TAN account also needs the factor
restart # the per-account limit on changes (5 a burst) starts over
with_cookie "$c" "$K/account/email"
et=$(csrf)
n0=$(kc_count_mail "$KC_MAILDIR")
with_cookie "$c" "$K/account/email" --data-urlencode "csrf=$et" \
  --data-urlencode "email=erika@anders.example" --data-urlencode "password=$KC_PW_ETAN"
kc_check "emailTAN account, new address without a fresh factor -> the TAN form" \
  grep -q 'name="tan"' "$work/body"
kc_check "  nothing pending yet" test -z "$(attr etan kcNewMail)"
ch=$(field challenge)
tan=$(kc_tan_from mail "$KC_MAILDIR")
with_cookie "$c" "$K/account/email" --data-urlencode "csrf=$et" \
  --data-urlencode "email=erika@anders.example" --data-urlencode "password=$KC_PW_ETAN" \
  --data-urlencode "challenge=$ch" --data-urlencode "tan=$tan"
kc_check "  with password and TAN -> 200" test "$status" = 200
kc_check "  the address is pending" test "$(attr etan kcNewMail)" = erika@anders.example

# --- e-mail change: link to the new address, notice to the old
login "$work/j1" mmuster "Vom-Admin-gesetzt-2026"
restart
get "$work/j1" "$K/account"
kc_check "a session survives a restart of kcd (nothing in memory)" test "$status" = 200
get "$work/j1" "$K/account/email"
et=$(csrf)
get "$work/j1" "$K/account/email" --data-urlencode "csrf=$et" \
  --data-urlencode "email=kein-at-zeichen" --data-urlencode "password=Vom-Admin-gesetzt-2026"
kc_check "a malformed address -> 422" test "$status" = 422
get "$work/j1" "$K/account/email" --data-urlencode "csrf=$et" \
  --data-urlencode "email=max@neu.example" --data-urlencode "password=falsch-falsch-falsch"
kc_check "without the right password -> 422" test "$status" = 422
n0=$(kc_count_mail "$KC_MAILDIR")
get "$work/j1" "$K/account/email" --data-urlencode "csrf=$et" \
  --data-urlencode "email=max@neu.example" --data-urlencode "password=Vom-Admin-gesetzt-2026"
kc_check "a new address -> 200" test "$status" = 200
kc_check "  two mails: the link and the notice" test "$(kc_count_mail "$KC_MAILDIR")" -eq $((n0 + 2))
kc_check "  the address is pending, the old one stays" test "$(attr mmuster mail)" = m.muster@muster.example
kc_check "  kcNewMail is set" test "$(attr mmuster kcNewMail)" = max@neu.example
link=$($PY - "$KC_MAILDIR/new" max@neu.example <<'PYEOF'
import email, email.policy, glob, os, re, sys
for path in sorted(glob.glob(os.path.join(sys.argv[1], "*")), key=os.path.getmtime, reverse=True):
    msg = email.message_from_binary_file(open(path, "rb"), policy=email.policy.strict)
    if sys.argv[2] in str(msg["To"]):
        m = re.search(r"https?://\S+/account/email\?token=[A-Za-z0-9_-]+", msg.get_body(("plain",)).get_content())
        if m:
            print(m.group(0))
            break
PYEOF
)
kc_check_grep "  the link went to the new address" 'token=' echo "$link"
kc_check_nogrep "  the token is not in LDAP" "${link##*=}" kc_ldap_admin ldapsearch -LLL \
  -b "uid=mmuster,ou=accounts,$KC_LDAP_BASE" -s base '*'
get "$work/j5" "$link"
kc_check "the link shows a button (GET changes nothing)" test "$status" = 200
kc_check "  still the old address" test "$(attr mmuster mail)" = m.muster@muster.example
bt=$(csrf)
get "$work/j6" "$link"
bt6=$(csrf)
curl -s -b "$work/j5" -o /dev/null -w '%{http_code}' "$K/account/email" \
  --data-urlencode "csrf=$bt" --data-urlencode "token=${link##*=}" >"$work/s5" &
bg=$!
get "$work/j6" "$K/account/email" --data-urlencode "csrf=$bt6" --data-urlencode "token=${link##*=}"
s6=$status
wait "$bg"
s5=$(cat "$work/s5")
kc_check "two confirmations at once: the address changed" test "$(attr mmuster mail)" = max@neu.example
kc_check "  kcNewMail is gone" test -z "$(attr mmuster kcNewMail)"
get "$work/j5" "$K/account/email" --data-urlencode "csrf=$bt" --data-urlencode "token=${link##*=}"
kc_check "the link used again -> 410" test "$status" = 410
kc_check "  of the two at once exactly one got 200, the other 410" \
  test "$s5$s6" = 200410 -o "$s5$s6" = 410200

# --- enumeration: an unknown name costs what a wrong password costs
restart_xff() {
  kc_kcd_stop
  kc_kcd_start "secret_key_file = $work/key" "sms_transport = file:$work/sms.jsonl" \
    "pam_socket = $KC_KCD_SOCKET" "http_listen = 127.0.0.1:$KC_KCD_HTTP_PORT" \
    "public_url = $K" "trusted_proxies = 127.0.0.1" || exit 1
}
restart_xff
get "$work/j7" "$K/account/login"
t=$(csrf)
timed() { # USER N: seconds of one wrong login, from client 10.0.0.N
  curl -s -b "$work/j7" -o /dev/null -w '%{time_total}' -H "X-Forwarded-For: 10.0.0.$2" \
    "$K/account/login" --data-urlencode "csrf=$t" --data-urlencode "username=$1" \
    --data-urlencode "password=falsch-falsch-falsch"
}
known=() unknown=()
for i in 1 2 3 4; do # interleaved; 4 keeps mmuster below ppolicy's 5
  known+=("$(timed etan "$i")")
  unknown+=("$(timed "niemand$i$RANDOM" "$((i + 10))")")
done
median() { printf '%s\n' "$@" | sort -n | sed -n 2p; }
mk=$(median "${known[@]}")
mu=$(median "${unknown[@]}")
echo "# wrong password: median ${mk}s, unknown name: median ${mu}s"
kc_check "unknown name and wrong password take alike (ratio within 3)" \
  $PY -c "import sys; a, b = float('$mk'), float('$mu'); sys.exit(0 if max(a, b) / max(min(a, b), 1e-3) < 3 else 1)"

# --- wrong web passwords lock the account as PAM ones do, with one notice
n0=$(kc_count_mail "$KC_MAILDIR")
for i in 1 2 3 4 5; do
  curl -s -b "$work/j7" -o /dev/null -H "X-Forwarded-For: 10.0.1.$i" "$K/account/login" \
    --data-urlencode "csrf=$t" --data-urlencode "username=mtan" \
    --data-urlencode "password=falsch-falsch-$i"
done
kc_check "5 wrong web passwords: ppolicy locked mtan" test -n "$(attr mtan pwdAccountLockedTime)"
wait_mail() { # N: the notice goes out after the answer
  local i
  for ((i = 0; i < 50; i++)); do
    (($(kc_count_mail "$KC_MAILDIR") >= $1)) && return 0
    sleep 0.1
  done
  return 1
}
kc_check "  a lockout notice" wait_mail $((n0 + 1))
sleep 1
kc_check "  one, not two" test "$(kc_count_mail "$KC_MAILDIR")" -eq $((n0 + 1))
kc_check "  PAM refuses the right password now" \
  kc_pamtest --service kc-sshd --user mtan --conv sshd --answer "$KC_PW_MTAN" \
  --steps auth --expect auth=PAM_AUTH_ERR
restart_xff # the per-name limit (5 a minute) starts over
login "$work/j8" mtan "$KC_PW_MTAN" -H "X-Forwarded-For: 10.0.2.1"
kc_check "  so does the web login, with the same answer" test "$status" = 422
kc_check_grep "    'User name or password is wrong'" 'Benutzername oder Passwort ist falsch' cat "$work/body"

# --- English and JSON
get "$work/j9" "$K/account/login?lang=en" -H "X-Forwarded-For: 10.0.3.1"
kc_check_grep "the login page in English" '<html lang="en">.*|Forgot your password\?' cat "$work/body"
t9=$(csrf)
get "$work/j9" "$K/account/login" -H 'Accept: application/json' -H "X-Forwarded-For: 10.0.3.1" \
  --data-urlencode "csrf=$t9" --data-urlencode "username=mmuster" \
  --data-urlencode "password=Vom-Admin-gesetzt-2026"
kc_check "JSON login -> 200 ok with the location" grep -q '"status":"ok","location":"/account"' "$work/body"
kc_check_grep "  and the session cookie" 'kc_session=1\.' cookie_line

# --- no secret in kcd's log
kc_check_nogrep "no password, TAN or token in kcd's log" \
  "$newpw|$KC_PW_MMUSTER|$KC_PW_ETAN|Vom-Admin|${link##*=}|$tan" cat "$KC_KCD_LOG"

kc_done
