#!/usr/bin/env bash
# /account/credentials: the forced change at the first login of a
# provisioned account, through curl and through the real Apache redirect
# round trip (AuthPAMExpiredRedirect -> kcd -> back to the portal), plus
# a TAN account, refusals, back= checks and the change notice.
set -u
. "$top_srcdir/tests/lib/slapd.sh"
. "$top_srcdir/tests/lib/kcd.sh"
. "$top_srcdir/tests/lib/pam.sh"
. "$top_srcdir/tests/lib/apache.sh"
. "$top_srcdir/tests/lib/sinks.sh"
. "$top_srcdir/tests/lib/check.sh"
kc_slapd_require
kc_apache_require
kc_pam_init
kc_slapd_start || exit 1
kc_apache_init || exit 1
work=$KC_APACHE_DIR/cred
mkdir -p "$work"
chmod 0755 "$work"
sock=$work/pam.sock
http_port=$(kc_pick_port)
kc_kcd_start "pam_socket = $sock" "http_listen = 127.0.0.1:$http_port" \
  "public_url = http://127.0.0.1:$http_port" || exit 1
K=http://127.0.0.1:$http_port
jar=$work/jar
PY=/usr/bin/python3

# Apache: /portal/ behind PAM; an expired password redirects to kcd.
svc=$work/pam.d
mkdir -p "$svc"
cat >"$svc/kundencenter-web" <<EOF2
auth    required $KC_APACHE_PAM_MODULE socket=$sock tan=inline timeout=30
account required $KC_APACHE_PAM_MODULE socket=$sock timeout=30
EOF2
cat >"$work/site.conf" <<EOF2
<Location /portal/>
  AuthType Basic
  AuthName "Kundencenter"
  AuthBasicProvider PAM
  AuthPAMService kundencenter-web
  AuthPAMExpiredRedirect $K/account/credentials?user=%u&back=%s
  Require valid-user
</Location>
EOF2
mkdir -p "$KC_APACHE_DOCROOT/portal"
echo "Willkommen im Portal" >"$KC_APACHE_DOCROOT/portal/index.html"
kc_apache_start "$svc" "$work/site.conf" || exit 1
A=$KC_APACHE_URL
# kcd again, now knowing the portal's origin for back= (same socket/port)
kc_kcd_stop
kc_kcd_start "pam_socket = $sock" "http_listen = 127.0.0.1:$http_port" \
  "public_url = http://127.0.0.1:$http_port" "allowed_back_origins = $A" || exit 1
kc_pam_service kc-sshd "socket=$sock timeout=30"

get() { # URL [curl args] -> $status, $work/body, $work/head
  local url=$1
  shift
  status=$(curl -s -b "$jar" -c "$jar" -D "$work/head" -o "$work/body" \
    -w '%{http_code}' "$@" "$url")
}
csrf() { grep -o 'name="csrf" value="[^"]*"' "$work/body" | sed 's/.*value="//;s/"$//'; }
location() { sed -n 's/^Location: //Ip' "$work/head" | tr -d '\r'; }
uuid_of() {
  kc_ldap_admin ldapsearch -LLL -b "ou=accounts,$KC_LDAP_BASE" "(uid=$1)" entryUUID |
    sed -n 's/^entryUUID: //p'
}

# --- the redirect round trip, as a browser would do it
get "$A/portal/index.html" -u "neukunde:$KC_PW_NEUKUNDE"
kc_check "portal with a must-change account -> 303" test "$status" = 303
loc=$(location)
kc_check_grep "  to kcd's credentials page with user and back" \
  "^$K/account/credentials\?user=neukunde&back=" echo "$loc"
get "$loc"
kc_check "the credentials page opens" test "$status" = 200
kc_check_grep "  with the welcome hint of the seed" 'erster Besuch' cat "$work/body"
kc_check_grep "  user name filled in" 'name="user" value="neukunde"' cat "$work/body"
kc_check_grep "  back= kept (the portal URL)" "name=\"back\" value=\"$A/portal/index.html\"" cat "$work/body"
uuid_before=$(uuid_of neukunde)
token=$(csrf)
newpw="Zweites-Leben-im-Portal"
change() { # extra curl args; posts the form
  get "$K/account/credentials" --data-urlencode "csrf=$token" \
    --data-urlencode "user=neukunde" --data-urlencode "back=$A/portal/index.html" "$@"
}
change --data-urlencode "password=falsch-falsch-falsch" \
  --data-urlencode "new_user=nina.neu" --data-urlencode "new_password=$newpw" \
  --data-urlencode "new_password_repeat=$newpw" --data-urlencode "tan_method=none"
kc_check "a wrong current password -> 422, nothing changed" test "$status" = 422
kc_check "  the name is unchanged" test -n "$(uuid_of neukunde)"
# a wrong password learns nothing about the account (that it must change
# its password, has no TAN method yet): only that the login is wrong
change --data-urlencode "password=falsch-falsch-falsch" --data-urlencode "new_user=nina.neu"
kc_check_grep "a wrong password with an incomplete form -> only 'wrong'" \
  'Benutzername oder Passwort ist falsch' cat "$work/body"
kc_check_nogrep "  no hint about what the account still needs" \
  'Bitte wählen Sie ein neues Passwort|Bitte legen Sie Ihr TAN-Verfahren fest' cat "$work/body"
change --data-urlencode "password=$KC_PW_NEUKUNDE" \
  --data-urlencode "new_user=nina.neu" --data-urlencode "tan_method=none"
kc_check_grep "no new password for a must-change account -> refused" \
  'neues Passwort' cat "$work/body"
n0=$(kc_count_mail "$KC_MAILDIR")
change --data-urlencode "password=$KC_PW_NEUKUNDE" \
  --data-urlencode "new_user=nina.neu" --data-urlencode "new_password=$newpw" \
  --data-urlencode "new_password_repeat=$newpw" --data-urlencode "tan_method=email"
kc_check "the change (a second factor, new) -> 200 with recovery codes" test "$status" = 200
kc_check "  10 of them, shown once" \
  test "$(grep -cE '<li><code>[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{2}</code></li>' "$work/body")" = 10
kc_check_grep "  then on to the portal page" "href=\"$A/portal/index.html\">Weiter" cat "$work/body"
kc_check "  LDAP holds 10 kcRecoveryCode hashes" test "$(kc_ldap_admin ldapsearch -LLL \
  -b "ou=accounts,$KC_LDAP_BASE" '(uid=nina.neu)' kcRecoveryCode | grep -c '^kcRecoveryCode: ')" = 10
kc_check "rename kept entryUUID" test "$(uuid_of nina.neu)" = "$uuid_before"
kc_check "the old name is gone" test -z "$(uuid_of neukunde)"
kc_check_nogrep "pwdReset and kcFirstLogin are gone, TAN method set" \
  'pwdReset|kcFirstLogin' kc_ldap_admin ldapsearch -LLL \
  -b "uid=nina.neu,ou=accounts,$KC_LDAP_BASE" -s base pwdReset kcFirstLogin
kc_check_grep "  kcTanMethod: email" 'kcTanMethod: email' kc_ldap_admin ldapsearch -LLL \
  -b "uid=nina.neu,ou=accounts,$KC_LDAP_BASE" -s base kcTanMethod
kc_check "a change notice went out" test "$(kc_count_mail "$KC_MAILDIR")" -eq $((n0 + 1))
notice=$(ls -t "$KC_MAILDIR"/new/* | head -n 1)
kc_check_nogrep "  without any password" "$newpw|$KC_PW_NEUKUNDE" cat "$notice"
kc_check_grep "  naming what changed" 'nina.neu' cat "$notice"
# back at the portal: the page now opens (password+TAN: the account has
# emailTAN now, so step 1 sends a TAN)
get "$A/portal/index.html" -u "nina.neu:$newpw"
kc_check "portal, new name + password: TAN requested (401)" test "$status" = 401
tan=$(kc_tan_from mail "$KC_MAILDIR")
get "$A/portal/index.html" -u "nina.neu:$newpw$tan"
kc_check "portal, new name + password + TAN: the page opens" test "$status" = 200
kc_check_grep "  the protected page" 'Willkommen im Portal' cat "$work/body"
kc_check "PAM: the old name no longer works" \
  kc_pamtest --service kc-sshd --user neukunde --conv sshd --answer "$newpw" \
  --steps auth --expect auth=PAM_AUTH_ERR

# --- a TAN account must give the TAN too
token=$(csrf)
get "$K/account/credentials?user=etan"
token=$(csrf)
n1=$(kc_count_mail "$KC_MAILDIR")
get "$K/account/credentials" --data-urlencode "csrf=$token" \
  --data-urlencode "user=etan" --data-urlencode "password=$KC_PW_ETAN" \
  --data-urlencode "tan_method=mtan" --data-urlencode "mobile=0171 2345678"
kc_check "TAN account without TAN: 422 and the TAN field" test "$status" = 422
kc_check_grep "  the TAN field is shown" 'name="tan"' cat "$work/body"
kc_check "  and a TAN mail went out" test "$(kc_count_mail "$KC_MAILDIR")" -eq $((n1 + 1))
challenge=$(grep -o 'name="challenge" value="[^"]*"' "$work/body" | sed 's/.*value="//;s/"$//')
tan=$(kc_tan_from mail "$KC_MAILDIR")
get "$K/account/credentials" --data-urlencode "csrf=$token" \
  --data-urlencode "user=etan" --data-urlencode "password=$KC_PW_ETAN" \
  --data-urlencode "tan_method=mtan" --data-urlencode "mobile=0171 2345678" \
  --data-urlencode "challenge=$challenge" --data-urlencode "tan=$tan"
kc_check "with the TAN: changed (200, no back=)" test "$status" = 200
kc_check_grep "  mTAN with the E.164 number" 'mobile: \+491712345678' \
  kc_ldap_admin ldapsearch -LLL -b "uid=etan,ou=accounts,$KC_LDAP_BASE" -s base mobile

# --- back= to a foreign origin is not followed
get "$K/account/credentials?user=mmuster&back=https://evil.example/x"
token=$(csrf)
kc_check_nogrep "a foreign back= is dropped from the form" 'evil.example' cat "$work/body"
get "$K/account/credentials" --data-urlencode "csrf=$token" \
  --data-urlencode "user=mmuster" --data-urlencode "password=$KC_PW_MMUSTER" \
  --data-urlencode "back=https://evil.example/x" --data-urlencode "tan_method=none"
kc_check "a POSTed foreign back= is not followed (200 page)" test "$status" = 200
kc_check "  no Location header" test -z "$(location)"
get "$K/account/credentials" --data-urlencode "user=mmuster" \
  --data-urlencode "password=$KC_PW_MMUSTER"
kc_check "POST without csrf -> 403" test "$status" = 403

# --- (a fresh kcd: the POSTs below stay within one client's rate limit)
kc_kcd_stop
kc_kcd_start "pam_socket = $sock" "http_listen = 127.0.0.1:$http_port" \
  "public_url = http://127.0.0.1:$http_port" "allowed_back_origins = $A" || exit 1

# --- a locked account: the page says what it says to a wrong password
#     (slapd says "locked" whatever the password; six tries would tell a
#     guesser that the name exists)
get "$K/account/credentials?user=gesperrt"
token=$(csrf)
get "$K/account/credentials" --data-urlencode "csrf=$token" \
  --data-urlencode "user=gesperrt" --data-urlencode "password=$KC_PW_GESPERRT" \
  --data-urlencode "tan_method=none"
kc_check "locked account, right password: 422" test "$status" = 422
kc_check_grep "  the text of a wrong password" 'Benutzername oder Passwort ist falsch' \
  cat "$work/body"
kc_check_nogrep "  not a word of the lock" 'gesperrt\.|locked' cat "$work/body"

# --- an unknown name costs what a wrong password costs (dummy argon2);
#     interleaved samples; the bound is loose, since tests run in parallel
#     (a page without the argon2 work answers in a few milliseconds)
ms() { # user password -> milliseconds of one POST
  local t0 t1
  get "$K/account/credentials?user=$1"
  token=$(csrf)
  t0=$(date +%s%N)
  get "$K/account/credentials" --data-urlencode "csrf=$token" \
    --data-urlencode "user=$1" --data-urlencode "password=$2"
  t1=$(date +%s%N)
  echo "$1 $status" >>"$work/timing-status"
  echo $(((t1 - t0) / 1000000))
}
unknown_ms=0
wrong_ms=0
for i in 1 2 3; do
  unknown_ms=$((unknown_ms + $(ms "niemand$i" "Falsches-Passwort-$i")))
  wrong_ms=$((wrong_ms + $(ms mtan "Falsches-Passwort-$i")))
done
if ((unknown_ms * 3 >= wrong_ms)); then
  kc_pass "unknown names took ${unknown_ms} ms, wrong passwords ${wrong_ms} ms (3 each)"
else
  kc_fail "unknown names took ${unknown_ms} ms, wrong passwords ${wrong_ms} ms (3 each)"
fi
# slapd refuses a locked account at once; the page does the argon2 work
locked_ms=0
for i in 1 2 3; do
  locked_ms=$((locked_ms + $(ms gesperrt "$KC_PW_GESPERRT")))
done
# (a rate-limited answer, 429, would be fast for another reason)
kc_check "every timing sample was answered 422" \
  test -z "$(grep -v ' 422$' "$work/timing-status")"
if ((locked_ms * 3 >= wrong_ms)); then
  kc_pass "a locked account took ${locked_ms} ms, wrong passwords ${wrong_ms} ms (3 each)"
else
  kc_fail "a locked account took ${locked_ms} ms, wrong passwords ${wrong_ms} ms (3 each)"
fi

# --- leaving the second factor: a password that was long enough only
#     with a TAN must be replaced in the same step
short_pw=Kurz-9-Zz
kc_ldap_admin ldapmodify >/dev/null <<EOF2 || exit 1
dn: uid=mtan,ou=accounts,$KC_LDAP_BASE
changetype: modify
replace: userPassword
userPassword: $(printf '%s\n' "$short_pw" | "$KC_PWHASH")
EOF2
# (an admin's password change sets pwdReset: this test wants a plain login)
kc_ldap_admin ldapmodify >/dev/null <<EOF2 || exit 1
dn: uid=mtan,ou=accounts,$KC_LDAP_BASE
changetype: modify
delete: pwdReset
EOF2
kc_kcd_stop
kc_kcd_start "pam_socket = $sock" "http_listen = 127.0.0.1:$http_port" \
  "public_url = http://127.0.0.1:$http_port" "allowed_back_origins = $A" \
  "password_min_length = 8" || exit 1
get "$K/account/credentials?user=mtan"
token=$(csrf)
get "$K/account/credentials" --data-urlencode "csrf=$token" \
  --data-urlencode "user=mtan" --data-urlencode "password=$short_pw" \
  --data-urlencode "tan_method=none"
kc_check "mTAN -> none with a 9-character password: 422" test "$status" = 422
kc_check_grep "  a new, longer password is asked for" 'Ohne TAN muss das Passwort' \
  cat "$work/body"
kc_check_grep "  the method is unchanged" 'kcTanMethod: mtan' kc_ldap_admin \
  ldapsearch -LLL -b "uid=mtan,ou=accounts,$KC_LDAP_BASE" -s base kcTanMethod

# --- whether a name is taken is told only after the second factor:
#     with the password alone a TAN account learns nothing of other names
#     (etan back on emailTAN; it chose mTAN above)
kc_ldap_admin ldapmodify >/dev/null <<EOF2 || exit 1
dn: uid=etan,ou=accounts,$KC_LDAP_BASE
changetype: modify
replace: kcTanMethod
kcTanMethod: email
EOF2
get "$K/account/credentials?user=etan"
token=$(csrf)
get "$K/account/credentials" --data-urlencode "csrf=$token" \
  --data-urlencode "user=etan" --data-urlencode "password=$KC_PW_ETAN" \
  --data-urlencode "new_user=mmuster"
kc_check "a taken new name without the TAN: the TAN is asked for (422)" \
  test "$status" = 422
kc_check_grep "  the TAN field" 'name="tan"' cat "$work/body"
kc_check_nogrep "  not a word about the name" 'vergeben|taken' cat "$work/body"
challenge=$(grep -o 'name="challenge" value="[^"]*"' "$work/body" | sed 's/.*value="//;s/"$//')
tan=$(kc_tan_from mail "$KC_MAILDIR")
get "$K/account/credentials" --data-urlencode "csrf=$token" \
  --data-urlencode "user=etan" --data-urlencode "password=$KC_PW_ETAN" \
  --data-urlencode "new_user=mmuster" --data-urlencode "challenge=$challenge" \
  --data-urlencode "tan=$tan"
kc_check_grep "  with the TAN: the name is taken" 'vergeben|taken' cat "$work/body"
kc_check "  and etan is still etan" test -n "$(uuid_of etan)"

kc_done
