#!/usr/bin/env bash
# /account/reset, the forgotten password, through kcd's web front with
# curl against the private slapd, mail into a Maildir, SMS into a file:
# the form; links by user name and by address (one mail per account);
# the same answer for unknown names and addresses; the link works once,
# and of two browsers at once only one wins; expired, voided and orphaned
# links; a TAN open during the reset is voided; mTAN accounts need the SMS
# TAN too; an administrator's lock gets no mail; a ppolicy lock and
# pwdReset end with the reset, checked through the built PAM module; SMTP
# down leaves nothing behind; the per-account cap in LDAP; CSRF; and no
# token, password or TAN in kcd's log.
set -u
. "$top_srcdir/tests/lib/slapd.sh"
. "$top_srcdir/tests/lib/kcd.sh"
. "$top_srcdir/tests/lib/pam.sh"
. "$top_srcdir/tests/lib/sinks.sh"
. "$top_srcdir/tests/lib/check.sh"
kc_slapd_require
command -v curl >/dev/null || { echo "SKIP: curl not installed"; exit 77; }
kc_pam_init
kc_slapd_start || exit 1
work=$KC_PAM_TMP
jar=$work/cookies
sms=$work/sms.jsonl
secrets=$work/secrets # every token, password and TAN of this test
alllog=$work/kcd-all.log
: >"$secrets"
: >"$alllog"
PY=/usr/bin/python3
B=$KC_LDAP_BASE
kcd_args=("sms_transport = file:$sms" "reset_ttl = 30m")

start() { # [extra kcd.conf lines]
  kc_kcd_start "${kcd_args[@]}" "$@" || exit 1
  kc_pam_service kc-sshd "socket=$KC_KCD_SOCKET timeout=30"
  kc_pam_service kc-web "socket=$KC_KCD_SOCKET timeout=30 tan=inline"
  U=$KC_KCD_URL
}
stop() { # keep the log for the secret check at the end
  kc_kcd_stop
  cat "$KC_KCD_LOG" >>"$alllog"
}
restart() { # a fresh kcd: rate limits in memory start over (the mail stays)
  local maildir=$KC_MAILDIR
  stop
  start "$@"
  # one Maildir for the whole test
  rm -rf "$KC_MAILDIR" && ln -s "$maildir" "$KC_MAILDIR"
}
start
maildir=$KC_MAILDIR

# accounts of this test: two sharing one address, and four for the timing
# samples, the ppolicy lock and SMTP trouble
pw_other='Praxis-Team-Konto-2026'
hash=$(printf '%s\n' "$pw_other" | "$KC_PWHASH")
for who in praxis1:team@muster.example praxis2:team@muster.example \
  zeit1:z1@muster.example zeit2:z2@muster.example zeit3:z3@muster.example \
  zeit4:z4@muster.example; do
  cat <<EOF2
dn: uid=${who%%:*},ou=accounts,$B
objectClass: inetOrgPerson
objectClass: kcAccount
uid: ${who%%:*}
cn: ${who%%:*}
sn: ${who%%:*}
mail: ${who#*:}
kcCustomerNumber: 46075
kcTanMethod: none
kcRole: user
userPassword: $hash

EOF2
done | kc_ldap_admin ldapadd >/dev/null || exit 1

get() { # PATH [curl args] -> $status, $work/body, $work/head
  local path=$1
  shift
  status=$(curl -s -b "$jar" -c "$jar" -D "$work/head" -o "$work/body" \
    -w '%{http_code}' "$@" "$U$path")
}
csrf() { grep -o 'name="csrf" value="[^"]*"' "$work/body" | sed 's/.*value="//;s/"$//'; }
field() { grep -o "name=\"$1\" value=\"[^\"]*\"" "$work/body" | sed 's/.*value="//;s/"$//'; }
location() { sed -n 's/^Location: //Ip' "$work/head" | tr -d '\r'; }
mails() { kc_count_mail "$maildir"; }
wait_mails() { # N: until N mails are there (they go out after the answer)
  local i
  for ((i = 0; i < 100; i++)); do
    (($(mails) >= $1)) && return 0
    sleep 0.1
  done
  return 1
}
wait_log() { # ERE: until kcd's log has a line matching it
  local i
  for ((i = 0; i < 100; i++)); do
    grep -Eq -- "$1" "$KC_KCD_LOG" && return 0
    sleep 0.1
  done
  return 1
}
attr() { # USER ATTR -> the values of ATTR
  kc_ldap_admin ldapsearch -LLL -b "uid=$1,ou=accounts,$B" -s base "$2" |
    sed -n "s/^$2: //p"
}
mail_of() { # USER|ADDRESS [N] -> the Nth newest mail naming USER (a reset
  # link) or sent to ADDRESS: To, Subject and the decoded text
  "$PY" - "$maildir" "$1" "${2:-1}" <<'PY'
import email, email.policy, glob, os, re, sys
d, who, nth = sys.argv[1], sys.argv[2], int(sys.argv[3])
found = []
for p in glob.glob(os.path.join(d, "new", "*")):
    m = email.message_from_binary_file(open(p, "rb"), policy=email.policy.strict)
    text = m.get_body(("plain",)).get_content()
    if ("@" in who and m["To"] == who) or re.search(
            r"(Benutzername|user name): %s$" % re.escape(who), text, re.M):
        found.append((os.stat(p).st_mtime_ns, p,
                      "To: %s\nSubject: %s\n\n%s" % (m["To"], m["Subject"], text)))
found.sort()
print(found[-nth][2])
PY
}
link_of() { # USER [N] -> the path of the link in that mail
  mail_of "$@" | grep -o '/account/reset?token=[A-Za-z0-9_-]*' | head -n 1
}
token_of() { # PATH -> its token, remembered as a secret
  local t=${1#*token=}
  echo "$t" >>"$secrets"
  echo "$t"
}
ask() { # LOGIN [curl args]: request a link -> $status
  local login=$1
  shift
  get /account/reset
  get /account/reset --data-urlencode "csrf=$(csrf)" \
    --data-urlencode "login=$login" "$@"
}
set_pw() { # LINK-PATH PASSWORD [REPEAT] [curl args]: POST the new password
  local path=$1 pw=$2 rep=${3:-$2} token c
  shift 3 2>/dev/null || shift $#
  echo "$pw" >>"$secrets"
  token=${path#*token=}
  get /account/reset # (the csrf field; the link itself may be dead)
  c=$(csrf)
  get /account/reset --data-urlencode "csrf=$c" --data-urlencode "token=$token" \
    --data-urlencode "new_password=$pw" --data-urlencode "new_password_repeat=$rep" "$@"
}
pam_ok() { # USER PASSWORD: auth and account through the built module
  kc_pamtest --service kc-sshd --user "$1" --conv sshd --answer "$2" \
    --steps auth,acct --expect auth=PAM_SUCCESS,acct=PAM_SUCCESS
}
pam_refused() { # USER PASSWORD
  kc_pamtest --service kc-sshd --user "$1" --conv sshd --answer "$2" \
    --steps auth --expect auth=PAM_AUTH_ERR
}

# --- the form
get /account/reset
kc_check "GET /account/reset: 200" test "$status" = 200
kc_check_grep "German heading 'Passwort vergessen?'" '<h1>Passwort vergessen\?</h1>' cat "$work/body"
kc_check_grep "  the login field (user name or address) and csrf" \
  'name="login".*|name="csrf"' cat "$work/body"
kc_check_grep "  Cache-Control: no-store" 'Cache-Control: no-store' cat "$work/head"
get "/account/reset?lang=en"
kc_check_grep "English with ?lang=en" 'Forgot your password\?' cat "$work/body"
get /account/reset -H 'Accept-Language: en-GB,en;q=0.8'
kc_check_grep "English with Accept-Language" 'Forgot your password\?' cat "$work/body"
get /account/reset -H 'Accept: application/json'
kc_check_grep "JSON: the fields and a csrf value" '"csrf":"[^"]+".*"fields":\["login"\]' \
  cat "$work/body"

# --- refusals of malformed requests
get /account/reset --data "login=mmuster"
kc_check "POST without csrf -> 403" test "$status" = 403
n0=$(mails)
ask ""
kc_check "an empty login -> 422" test "$status" = 422
kc_check_grep "  the error next to the field" 'id="login-error"' cat "$work/body"
ask "$(printf 'a%.0s' {1..300})@muster.example"
kc_check "a login that is too long -> 422" test "$status" = 422
ask "kein name"
kc_check "neither a user name nor an address -> 422" test "$status" = 422
kc_check_grep "  saying so" 'weder ein gültiger Benutzername' cat "$work/body"

# --- by user name; unknown names and addresses get the same answer
ask mmuster
s_match=$status
cp "$work/body" "$work/body.match"
kc_check "reset by user name: 200" test "$status" = 200
kc_check "  one mail" wait_mails $((n0 + 1))
ask niemand
kc_check "an unknown user name: the same status" test "$status" = "$s_match"
kc_check "  and the same body" cmp -s "$work/body" "$work/body.match"
ask niemand@nirgends.example
kc_check "an unknown address: the same status" test "$status" = "$s_match"
kc_check "  and the same body" cmp -s "$work/body" "$work/body.match"
sleep 0.5
kc_check "no mail for either" test "$(mails)" -eq $((n0 + 1))
kc_check_grep "the mail goes to the account's address" '^To: m.muster@muster.example' \
  mail_of mmuster
kc_check_grep "  with public_url/account/reset?token=..." \
  "^$U/account/reset\?token=[A-Za-z0-9_-]{43}$" mail_of mmuster
link_mm=$(link_of mmuster)
tok_mm=$(token_of "$link_mm")

# --- by address: every account with it gets its own mail
ask Team@Muster.example
kc_check "reset by address: the same status" test "$status" = "$s_match"
kc_check "  and the same body" cmp -s "$work/body" "$work/body.match"
kc_check "  one mail for each of the two accounts" wait_mails $((n0 + 3))
kc_check_grep "  praxis1's names praxis1" '^To: team@muster.example' mail_of praxis1
kc_check_grep "  praxis2's names praxis2" 'Benutzername: praxis2' mail_of praxis2
kc_check "  two different links" test "$(link_of praxis1)" != "$(link_of praxis2)"
link_p1=$(link_of praxis1)
link_p2=$(link_of praxis2)
token_of "$link_p1" >/dev/null
token_of "$link_p2" >/dev/null
kc_check_grep "LDAP keeps the hash of the link, never the token" \
  '^[A-Za-z0-9+/]{43}=$' attr mmuster kcResetHash
kc_check_nogrep "  (the token itself is nowhere in the entry)" "$tok_mm" \
  kc_ldap_admin ldapsearch -LLL -b "uid=mmuster,ou=accounts,$B" -s base '*' '+'

# --- the link: the form, password rules, then it works once
get "$link_mm"
kc_check "the link opens the form (200)" test "$status" = 200
kc_check_grep "  naming the user name" 'Benutzernamen mmuster' cat "$work/body"
kc_check_grep "  with token, new_password, new_password_repeat, csrf" \
  'name="token".*name="new_password".*name="new_password_repeat"' tr -d '\n' <"$work/body"
kc_check_nogrep "  and no TAN field for an account without TAN" 'name="tan"' cat "$work/body"
kc_check_grep "  Cache-Control: no-store" 'Cache-Control: no-store' cat "$work/head"
newpw_mm='Neues-Pferd-77-Batterie'
set_pw "$link_mm" "$newpw_mm" "Anderes-Pferd-77-Batterie"
kc_check "passwords that differ -> 422" test "$status" = 422
kc_check_grep "  said next to the field" 'id="new_password_repeat-error"' cat "$work/body"
set_pw "$link_mm" "passwort2024"
kc_check "a common password -> 422" test "$status" = 422
set_pw "$link_mm" "kurz-1"
kc_check "a short password -> 422" test "$status" = 422
kc_check_grep "  said next to the field" 'id="new_password-error"' cat "$work/body"
n1=$(mails)
stamp_before=$(attr mmuster kcSessionStamp)
set_pw "$link_mm" "$newpw_mm"
kc_check "the new password -> 303" test "$status" = 303
kc_check "  to login_url" test "$(location)" = "$U/login"
kc_check "  the log says so" wait_log 'password reset; user=mmuster'
kc_check_grep "  and /metrics counts it" 'event="password_reset"} 1$' \
  curl -s "$KC_KCD_METRICS_URL/metrics"
kc_check "the link is used up: kcResetHash gone" test -z "$(attr mmuster kcResetHash)"
kc_check "  a new kcSessionStamp (every session ends)" \
  test -n "$(attr mmuster kcSessionStamp)" -a "$(attr mmuster kcSessionStamp)" != "$stamp_before"
kc_check "a notice mail went out" wait_mails $((n1 + 1))
kc_check_grep "  about the new password" '^Subject: Ihr Passwort im .* wurde neu festgelegt' \
  mail_of m.muster@muster.example
kc_check_nogrep "  without the password or the link" "$newpw_mm|$tok_mm|token=" \
  mail_of m.muster@muster.example
get "$link_mm"
kc_check "the same link again -> 410" test "$status" = 410
kc_check_grep "  'Der Link ist ungültig oder abgelaufen'" 'Der Link ist ungültig oder abgelaufen' \
  cat "$work/body"
kc_check_grep "  with a link to ask for a new one" 'href="/account/reset"' cat "$work/body"
set_pw "$link_mm" "Noch-ein-Pferd-88-Batterie"
kc_check "  and its POST -> 410" test "$status" = 410
kc_check "PAM: the old password fails" pam_refused mmuster "$KC_PW_MMUSTER"
kc_check "PAM: the new one works" pam_ok mmuster "$newpw_mm"
get "/account/reset?token=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
kc_check "an unknown token -> 410" test "$status" = 410
get "/account/reset?token=x"
kc_check "a malformed token -> 410" test "$status" = 410

# --- a newer link voids the older one
restart
n2=$(mails)
ask mmuster
wait_mails $((n2 + 1))
old=$(link_of mmuster)
ask mmuster
wait_mails $((n2 + 2))
new=$(link_of mmuster)
token_of "$old" >/dev/null
token_of "$new" >/dev/null
get "$old"
kc_check "the older link after a newer one -> 410" test "$status" = 410
get "$new"
kc_check "  the newer one works (200)" test "$status" = 200

# --- the per-account cap is in LDAP: a fresh kcd (nothing in memory)
#     sends no fourth mail within the hour
kc_check_grep "three mails counted for mmuster" '^3$' attr mmuster kcResetSendCount
restart
n3=$(mails)
ask mmuster
kc_check "a fourth request: the same answer" cmp -s "$work/body" "$work/body.match"
kc_check "  logged as capped" wait_log 'hourly cap reached; user=mmuster'
kc_check "  and no mail" test "$(mails)" -eq "$n3"
get "$new"
kc_check "  the last link still works" test "$status" = 200

# --- two browsers, one link: exactly one wins
newpw2='Zwei-Browser-Ein-Link-99'
echo "$newpw2" >>"$secrets"
get "$new"
c=$(csrf)
tok=${new#*token=}
race() {
  curl -s -b "$jar" -o /dev/null -w '%{http_code}\n' \
    --data-urlencode "csrf=$c" --data-urlencode "token=$tok" \
    --data-urlencode "new_password=$newpw2" \
    --data-urlencode "new_password_repeat=$newpw2" "$U/account/reset"
}
race >"$work/race1" &
p1=$!
race >"$work/race2" &
p2=$!
wait "$p1" "$p2"
kc_check "two POSTs at once: one 303 and one 410" \
  test "$(sort "$work/race1" "$work/race2" | tr '\n' ' ')" = "303 410 "
kc_check "  the password is the new one" pam_ok mmuster "$newpw2"

# --- an expired link, and one whose account is gone
kc_ldap_admin ldapmodify >/dev/null <<EOF2 || exit 1
dn: uid=praxis1,ou=accounts,$B
changetype: modify
replace: kcResetExpires
kcResetExpires: 20200101000000Z
EOF2
get "$link_p1"
kc_check "an expired link -> 410" test "$status" = 410
kc_ldap_admin ldapdelete "uid=praxis2,ou=accounts,$B" || exit 1
get "$link_p2"
kc_check "the link of a deleted account -> 410" test "$status" = 410

# --- an account locked by an administrator gets no mail
n4=$(mails)
ask gesperrt
kc_check "an admin-locked account: the same answer" cmp -s "$work/body" "$work/body.match"
kc_check "  logged" wait_log 'reset link refused, account locked; user=gesperrt'
kc_check "  no mail" test "$(mails)" -eq "$n4"

# --- a TAN open while the password is reset is voided
kc_pamtest --service kc-web --user etan --conv apache --answer "$KC_PW_ETAN" \
  --steps auth >/dev/null
kc_check "a TAN is open for etan" test -n "$(attr etan kcTanHash)"
tan_open=$(kc_tan_from mail "$maildir")
echo "$tan_open" >>"$secrets"
n5=$(mails)
ask etan
wait_mails $((n5 + 1))
link_etan=$(link_of etan)
token_of "$link_etan" >/dev/null
newpw_etan='Email-Tan-Neu-2026-x'
set_pw "$link_etan" "$newpw_etan"
kc_check "emailTAN account: the link alone resets (303)" test "$status" = 303
kc_check "  the open TAN is voided" test -z "$(attr etan kcTanHash)$(attr etan kcTanChallenge)"
kc_check "  the old TAN is no use with the new password" \
  kc_pamtest --service kc-web --user etan --conv apache \
  --answer "$newpw_etan$tan_open" --steps auth --expect auth=PAM_AUTH_ERR

# --- mTAN: the form sends an SMS TAN, and the POST needs it
n6=$(mails)
ask mtan
wait_mails $((n6 + 1))
link_mtan=$(link_of mtan)
token_of "$link_mtan" >/dev/null
sms0=0
[[ -f $sms ]] && sms0=$(wc -l <"$sms")
get "$link_mtan"
kc_check "mTAN account: the form (200)" test "$status" = 200
kc_check_grep "  has the TAN field" 'name="tan"' cat "$work/body"
kc_check "  and an SMS went out" test "$(wc -l <"$sms")" -eq $((sms0 + 1))
challenge=$(field challenge)
kc_check "  with a challenge in the form" test -n "$challenge"
tan=$(kc_tan_from sms "$sms")
echo "$tan" >>"$secrets"
c=$(csrf)
tok=${link_mtan#*token=}
newpw_mtan='Mobil-Tan-Neu-2026-x'
echo "$newpw_mtan" >>"$secrets"
post_mtan() { # extra curl args
  get /account/reset --data-urlencode "csrf=$c" --data-urlencode "token=$tok" \
    --data-urlencode "new_password=$newpw_mtan" \
    --data-urlencode "new_password_repeat=$newpw_mtan" "$@"
}
post_mtan
kc_check "  POST without the TAN -> 422" test "$status" = 422
kc_check_grep "  asking for it" 'id="tan-error"' cat "$work/body"
wrong=$(printf '%06d' $(((10#$tan + 1) % 1000000)))
post_mtan --data-urlencode "challenge=$challenge" --data-urlencode "tan=$wrong"
kc_check "  a wrong TAN -> 422" test "$status" = 422
kc_check_grep "  counted like any wrong TAN" '^1$' attr mtan kcTanFailures
kc_check "  the password is unchanged" \
  kc_ldap_as "uid=mtan,ou=accounts,$B" "$KC_PW_MTAN" ldapwhoami
post_mtan --data-urlencode "challenge=$challenge" --data-urlencode "tan=$tan"
kc_check "  the right TAN -> 303" test "$status" = 303
kc_check "  the new password binds" \
  kc_ldap_as "uid=mtan,ou=accounts,$B" "$newpw_mtan" ldapwhoami
kc_check "  kcTanFailures reset" test -z "$(attr mtan kcTanFailures)"

# --- a must-change account: pwdReset and kcFirstLogin end with the reset
#     (JSON this time)
restart
n7=$(mails)
ask neukunde -H 'Accept: application/json'
kc_check_grep "JSON request: 200 with status ok" '"status":"ok"' cat "$work/body"
wait_mails $((n7 + 1))
link_nk=$(link_of neukunde)
token_of "$link_nk" >/dev/null
get "$link_nk" -H 'Accept: application/json'
kc_check_grep "JSON link: the user and the fields" \
  '"user":"neukunde".*"fields":\["new_password","new_password_repeat"\]' cat "$work/body"
newpw_nk='Nina-Neu-Passwort-2026'
set_pw "$link_nk" "$newpw_nk" "$newpw_nk" -H 'Accept: application/json'
kc_check "JSON reset: 200" test "$status" = 200
kc_check_grep "  {\"status\":\"reset\"}" '^\{"status":"reset"\}$' cat "$work/body"
kc_check "pwdReset is gone" test -z "$(attr neukunde pwdReset)"
kc_check "  and kcFirstLogin" test -z "$(attr neukunde kcFirstLogin)"
kc_check "PAM: auth and account succeed (no must-change)" pam_ok neukunde "$newpw_nk"

# --- a ppolicy lock after 5 wrong passwords: reset, then log in at once
n_lock=$(mails)
for i in 1 2 3 4 5; do
  pam_refused zeit1 "Falsches-Passwort-$i" >/dev/null
done
kc_check "zeit1 is locked by ppolicy" test -n "$(attr zeit1 pwdAccountLockedTime)"
kc_check "  the right password is refused now" pam_refused zeit1 "$pw_other"
kc_check "  logged" wait_log 'account locked after wrong passwords; user=zeit1'
kc_check "the lockout notice went out" wait_mails $((n_lock + 1))
kc_check_grep "  naming when the lock ends" '(bis|until) [0-9]' mail_of z1@muster.example
kc_check_grep "  and the reset page" "$U/account/reset\$" mail_of z1@muster.example
restart
n8=$(mails)
ask zeit1
wait_mails $((n8 + 1))
link_z1=$(link_of zeit1)
token_of "$link_z1" >/dev/null
newpw_z1='Zeit-Eins-Neu-2026-x'
set_pw "$link_z1" "$newpw_z1"
kc_check "the locked account resets (303)" test "$status" = 303
kc_check "  the lock is gone" test -z "$(attr zeit1 pwdAccountLockedTime)$(attr zeit1 pwdFailureTime)"
kc_check "  PAM with the new password at once" pam_ok zeit1 "$newpw_z1"

# --- an account with an authenticator app (totp): the mailbox alone is not
#     enough, and no code can be checked here yet: nothing changes
kc_ldap_admin ldapmodify >/dev/null <<EOF2 || exit 1
dn: uid=zeit3,ou=accounts,$B
changetype: modify
replace: kcTanMethod
kcTanMethod: totp
EOF2
n9=$(mails)
ask zeit3
wait_mails $((n9 + 1))
link_z3=$(link_of zeit3)
token_of "$link_z3" >/dev/null
get "$link_z3"
kc_check "totp account: the link's form asks for the app's code" \
  grep -q 'name="tan"' "$work/body"
set_pw "$link_z3" "Zeit-Drei-Neu-2026-x"
kc_check "  the POST without a code checked -> 422" test "$status" = 422
kc_check "  the password is unchanged" \
  kc_ldap_as "uid=zeit3,ou=accounts,$B" "$pw_other" ldapwhoami
kc_check "  and the link stays open" test -n "$(attr zeit3 kcResetHash)"

# --- SMTP down: the same answer, logged, no link left in LDAP
closed=$(kc_pick_port)
restart "mail_transport = smtp://127.0.0.1:$closed"
ask zeit2
kc_check "SMTP down: the same answer" cmp -s "$work/body" "$work/body.match"
kc_check "  logged" wait_log 'reset mail failed; user=zeit2'
sleep 0.3
kc_check "  no kcResetHash left" test -z "$(attr zeit2 kcResetHash)$(attr zeit2 kcResetExpires)"

# --- the same time for every answer: interleaved samples, medians; the
#     work happens after the answer, so the bound is loose (tests run in
#     parallel) with a few ms for curl itself
restart
get /account/reset
c=$(csrf)
ms() { # LOGIN -> milliseconds of one POST
  local t0 t1
  t0=$(date +%s%N)
  get /account/reset --data-urlencode "csrf=$c" --data-urlencode "login=$1"
  t1=$(date +%s%N)
  echo "$status" >>"$work/timing-status"
  echo $(((t1 - t0) / 1000000))
}
median() { sort -n | sed -n '3p'; }
: >"$work/t-known"
: >"$work/t-unknown"
for i in 1 2 3 4 5; do
  ms "nobody$i" >>"$work/t-unknown"
  ms "zeit$(((i % 3) + 2))@muster.example" >>"$work/t-known" 2>/dev/null
done
kc_check "every timing sample was answered 200" \
  test -z "$(grep -v '^200$' "$work/timing-status")"
known=$(median <"$work/t-known")
unknown=$(median <"$work/t-unknown")
if ((known < 3 * unknown + 30 && unknown < 3 * known + 30)); then
  kc_pass "medians: known ${known} ms, unknown ${unknown} ms"
else
  kc_fail "medians: known ${known} ms, unknown ${unknown} ms"
fi

# --- nothing secret in any log line of any kcd of this test
stop
n_secrets=$(sort -u "$secrets" | grep -c .)
kc_check "the test collected its secrets ($n_secrets)" test "$n_secrets" -ge 10
kc_check_nogrep "no token, password or TAN in kcd's log" "." \
  grep -F -w -f <(sort -u "$secrets" | grep .) "$alllog"
kc_check_grep "  (the log is there: the reset lines)" 'password reset; user=' cat "$alllog"

kc_done
