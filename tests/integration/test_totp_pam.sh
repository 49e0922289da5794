#!/usr/bin/env bash
# The authenticator app and recovery codes through the built module, real
# libpam, the real kcd and the private slapd (DESIGN §12). The codes come
# from tests/tools/totp.py, the test's own RFC 6238 code, never kcd's.
#   - enrolment as the web pages store it (kc-totp-enrol): the secret only
#     sealed in LDAP, 10 keyed hashes, nobody but kcd reads them;
#   - prompt mode: "Code aus der Authenticator-App: ", nothing sent; the
#     previous step, a code typed "123 456" and the next step pass, the
#     same code twice and a far step do not;
#   - passwd asks for the app's code before the new password;
#   - inline mode: password+code passes, the password alone is
#     PAM_CRED_INSUFFICIENT and sends nothing;
#   - recovery codes at the prompt (lower case, no dashes) and inline
#     (shown form), once each, with a notice mail counting what is left;
#     one for an emailTAN account at its TAN prompt;
#   - wrong codes: the pause after tan_max_tries, lifted by kcadm unlock;
#   - a changed or copied kcTotpSecret: the login fails, the log says why,
#     nothing in LDAP changes;
#   - kcadm set-tan totp: PAM refuses until the app is set up on the web;
#   - two kcd against one slapd, the same code at once: one login passes.
set -u
. "$top_srcdir/tests/lib/slapd.sh"
. "$top_srcdir/tests/lib/kcd.sh"
. "$top_srcdir/tests/lib/pam.sh"
. "$top_srcdir/tests/lib/check.sh"
kc_slapd_require
kc_pam_init
kc_slapd_start || exit 1
work=$KC_PAM_TMP
KC_PY=${KC_PY:-/usr/bin/python3}
TOTP="$KC_PY $top_srcdir/tests/tools/totp.py"
ENROL=$top_builddir/tests/tools/kc-totp-enrol
KCADM=$top_builddir/kcd/kcadm/kcadm
head -c 48 /dev/urandom | base64 >"$work/secret.key"
chmod 600 "$work/secret.key"
kc_kcd_start "secret_key_file = $work/secret.key" || exit 1
kc_pam_service kc-sshd "socket=$KC_KCD_SOCKET timeout=30"
kc_pam_service kc-apache "socket=$KC_KCD_SOCKET timeout=30 tan=inline"
dn=uid=mmuster,ou=accounts,$KC_LDAP_BASE
pw=$KC_PW_MMUSTER

mails() { find "$KC_MAILDIR/new" -type f | wc -l; }
attr() { # DN ATTR -> values, one a line (as the directory admin)
  kc_ldap_admin ldapsearch -LLL -o ldif-wrap=no -b "$1" -s base \
    '(objectClass=*)' "$2" | sed -n "s/^$2: //p"
}
steady() { $TOTP --wait-steady; }
prompt_login() { # ANSWER EXPECT
  kc_pamtest --service kc-sshd --user mmuster --conv sshd --answer "$pw" \
    --answer "$1" --steps auth --expect "auth=$2"
}
inline_login() { # SECRET EXPECT
  kc_pamtest --service kc-apache --user mmuster --conv apache \
    --answer "$1" --steps auth --expect "auth=$2"
}

# --- enrolment as the pages store it
secret=$($TOTP --new)
kc_check "kc-totp-enrol stores an enrolment" \
  sh -c "'$ENROL' -c '$KC_KCD_CONF' mmuster '$secret' >'$work/codes'"
mapfile -t codes <"$work/codes"
kc_check "10 recovery codes, shown as XXXX-XXXX-XX" \
  test "$(grep -cE '^[2-9A-HJKMNP-Z]{4}-[2-9A-HJKMNP-Z]{4}-[2-9A-HJKMNP-Z]{2}$' \
    "$work/codes")" -eq 10
kc_check "the method is totp" test "$(attr "$dn" kcTanMethod)" = totp
sealed=$(attr "$dn" kcTotpSecret)
kc_check "kcTotpSecret is sealed (v1:...), not the secret" \
  sh -c "case '$sealed' in v1:*) ! printf '%s' '$sealed' | grep -qi '$secret';; *) false;; esac"
kc_check "kcRecoveryCode: 10 hashes of 64 hex digits" \
  test "$(attr "$dn" kcRecoveryCode | grep -cE '^[0-9a-f]{64}$')" -eq 10
kc_check_nogrep "no recovery code is stored as such" \
  "${codes[0]}|$(tr -d - <<<"${codes[0]}")" attr "$dn" kcRecoveryCode
kc_ldap_portal_init
kc_check "the portal's service DN reads the account's method" \
  test "$(kc_ldap_portal ldapsearch -LLL -b "$dn" -s base kcTanMethod |
    sed -n 's/^kcTanMethod: //p')" = totp
kc_check_nogrep "  but not kcTotpSecret, kcTotpLastStep or kcRecoveryCode" \
  '^kc(Totp|Recovery)' kc_ldap_portal ldapsearch -LLL -b "$dn" -s base \
  kcTotpSecret kcTotpLastStep kcRecoveryCode
kc_check_nogrep "the user cannot read them either" '^kc(Totp|Recovery)' \
  kc_ldap_as "$dn" "$pw" ldapsearch -LLL -b "$dn" -s base kcTotpSecret \
  kcTotpLastStep kcRecoveryCode

# --- prompt mode
n0=$(mails)
steady
kc_check "prompt: password, then the code of the previous step -> success" \
  kc_pamtest --service kc-sshd --user mmuster --conv sshd --answer "$pw" \
  --tan-cmd "$TOTP $secret -1" --steps auth,acct \
  --expect auth=PAM_SUCCESS,acct=PAM_SUCCESS
kc_check_grep "the prompt is 'Code aus der Authenticator-App: '" \
  'conv: PROMPT_ECHO_OFF Code aus der Authenticator-App: $' echo "$KC_OUT"
kc_check "nothing was sent" test "$(mails)" -eq "$n0"
prev=$($TOTP "$secret" -1)
kc_check "the same code again -> PAM_AUTH_ERR (replay)" \
  prompt_login "$prev" PAM_AUTH_ERR
kc_check_grep "  and the log says it was used" \
  'authenticator code used again; user=mmuster' cat "$KC_KCD_LOG"
steady
far=$($TOTP "$secret" 3)
kc_check "a code three steps ahead -> PAM_AUTH_ERR" prompt_login "$far" PAM_AUTH_ERR
kc_check "a code typed '123 456' passes" \
  prompt_login "$($TOTP "$secret" 0 | sed 's/^\(...\)/\1 /')" PAM_SUCCESS

# --- inline mode (mod_authnz_pam)
n0=$(mails)
kc_check "inline: the password alone -> PAM_CRED_INSUFFICIENT" \
  inline_login "$pw" PAM_CRED_INSUFFICIENT
kc_check "  and nothing was sent" test "$(mails)" -eq "$n0"
steady
kc_check "inline: password + the code of the next step -> success" \
  inline_login "$pw$($TOTP "$secret" 1)" PAM_SUCCESS
kc_check "inline: a wrong password + a code -> PAM_AUTH_ERR" \
  inline_login "falsch$($TOTP "$secret" 1)" PAM_AUTH_ERR
kc_check_grep "kcd logged the accepted neighbour steps" \
  'authenticator code from step [-+]1; user=mmuster' cat "$KC_KCD_LOG"
kc_check_nogrep "kcd's log holds neither the secret nor a code" \
  "$secret|$prev" cat "$KC_KCD_LOG"

# --- recovery codes
n0=$(mails)
lower=$(tr -d - <<<"${codes[0]}" | tr A-Z a-z)
kc_check "a recovery code at the prompt, lower case, no dashes -> success" \
  prompt_login "$lower" PAM_SUCCESS
kc_check "  the same code again -> PAM_AUTH_ERR" \
  prompt_login "${codes[0]}" PAM_AUTH_ERR
kc_check "  one notice mail" test "$(mails)" -eq $((n0 + 1))
kc_check_grep "  that counts 9 left" 'bleiben 9 Wiederherstellungscodes' \
  sh -c "cat \$(ls -t '$KC_MAILDIR'/new/* | head -1)"
kc_check_nogrep "  and holds no code" "${codes[0]}|$lower" \
  sh -c "cat '$KC_MAILDIR'/new/*"
kc_check "inline: password + a recovery code in its shown form -> success" \
  inline_login "$pw${codes[1]}" PAM_SUCCESS
kc_check "  LDAP holds 8 codes now" \
  test "$(attr "$dn" kcRecoveryCode | wc -l)" -eq 8
kc_check_grep "kcadm account show counts them" 'recovery codes left: *8' \
  "$KCADM" -c "$KC_KCD_CONF" account show mmuster

# --- passwd without a login: the module asks for the app's code (here a
# recovery code answers it) before the new password
new=Neues-App-Passwort-$RANDOM
kc_check "passwd: old password, a recovery code, new twice -> changed" \
  kc_pamtest --service kc-sshd --user mmuster --conv sshd --answer "$pw" \
  --answer "${codes[3]}" --answer "$new" --answer "$new" \
  --steps chauthtok --expect chauthtok=PAM_SUCCESS
kc_check_grep "  the app's code was asked for" \
  'PROMPT_ECHO_OFF Code aus der Authenticator-App: $' echo "$KC_OUT"
pw=$new
kc_check "  the new password logs in (with a recovery code)" \
  prompt_login "${codes[4]}" PAM_SUCCESS

# --- wrong codes: tan_max_tries (3) in a row, then a pause
for i in 1 2; do
  kc_check "wrong code $i -> PAM_AUTH_ERR" prompt_login 000000 PAM_AUTH_ERR
done
kc_check "wrong code 3 -> PAM_MAXTRIES" prompt_login 000000 PAM_MAXTRIES
kc_check "then even a right recovery code waits -> PAM_MAXTRIES" \
  prompt_login "${codes[2]}" PAM_MAXTRIES
kc_check "kcadm account unlock lifts the pause" \
  "$KCADM" -c "$KC_KCD_CONF" account unlock mmuster
kc_check "  and the recovery code passes" prompt_login "${codes[2]}" PAM_SUCCESS

# --- an emailTAN account types a recovery code at its TAN prompt
ecodes=$("$ENROL" -c "$KC_KCD_CONF" etan "$($TOTP --new)" | head -1)
esealed=$(attr "uid=etan,ou=accounts,$KC_LDAP_BASE" kcTotpSecret)
# (back to email as its owner would on the account page, codes kept)
printf 'dn: uid=etan,ou=accounts,%s\nchangetype: modify\nreplace: kcTanMethod\nkcTanMethod: email\n' \
  "$KC_LDAP_BASE" | kc_ldap_admin ldapmodify >/dev/null
kc_check "emailTAN account: a recovery code at the TAN prompt -> success" \
  kc_pamtest --service kc-sshd --user etan --conv sshd --answer "$KC_PW_ETAN" \
  --answer "$ecodes" --steps auth --expect auth=PAM_SUCCESS
kc_check_grep "  after the TAN prompt" '^ *TAN \(an ' echo "$KC_OUT"

# --- a kcTotpSecret that does not open
before_fail=$(attr "$dn" kcTanFailures)
before_step=$(attr "$dn" kcTotpLastStep)
tampered=$(sed 's/^\(v1:...\)./\1A/;t;s/^\(v1:...\)A/\1B/' <<<"$sealed")
[[ $tampered == "$sealed" ]] && tampered=${sealed%?}B
printf 'dn: %s\nchangetype: modify\nreplace: kcTotpSecret\nkcTotpSecret: %s\n' \
  "$dn" "$tampered" | kc_ldap_admin ldapmodify >/dev/null
steady
kc_check "a changed kcTotpSecret: the right code -> PAM_SYSTEM_ERR" \
  prompt_login "$($TOTP "$secret" 1)" PAM_SYSTEM_ERR
kc_check_grep "  the log says why" \
  'kcTotpSecret does not open \(data does not authenticate\).*user=mmuster' \
  cat "$KC_KCD_LOG"
kc_check "  nothing was counted or stored" \
  test "$(attr "$dn" kcTanFailures):$(attr "$dn" kcTotpLastStep)" = \
  "$before_fail:$before_step"
printf 'dn: %s\nchangetype: modify\nreplace: kcTotpSecret\nkcTotpSecret: %s\n' \
  "$dn" "$esealed" | kc_ldap_admin ldapmodify >/dev/null
kc_check "another account's sealed secret does not open either" \
  prompt_login "$($TOTP "$secret" 1)" PAM_SYSTEM_ERR

# --- kcadm set-tan totp: set up again on the web first
kc_check "kcadm account set-tan mmuster totp" \
  "$KCADM" -c "$KC_KCD_CONF" account set-tan mmuster totp
kc_check_grep "  says how many recovery codes it revoked" \
  '[0-9]+ recovery codes revoked' echo "$KC_OUT"
kc_check "  removes the app" test -z "$(attr "$dn" kcTotpSecret)"
kc_check "  and the recovery codes (they may have been kept with the phone)" \
  test -z "$(attr "$dn" kcRecoveryCode)"
kc_check "PAM login before the app is set up -> PAM_AUTH_ERR" \
  kc_pamtest --service kc-sshd --user mmuster --conv sshd --answer "$pw" \
  --steps auth --expect auth=PAM_AUTH_ERR
kc_check_grep "  with the reason" 'Authenticator-App ein' echo "$KC_OUT"
kc_check "inline, password + 6 digits, app not set up -> PAM_AUTH_ERR" \
  inline_login "${pw}123456" PAM_AUTH_ERR
kc_check_grep "  kcd says why" 'note=totp_not_enrolled' tail -n 1 "$KC_KCD_LOG"

# --- two kcd, one slapd: the same code at once
conf2=$work/kcd2.conf
sed -e "s|^pam_socket = .*|pam_socket = $work/pam2.sock|" \
  -e "s|^http_listen = .*|http_listen = 127.0.0.1:$(kc_pick_port)|" \
  -e "s|^metrics_listen = .*|metrics_listen = none|" "$KC_KCD_CONF" >"$conf2"
"$top_builddir/kcd/kcd" -d -f "$conf2" >"$work/kcd2.log" 2>&1 &
kcd2=$!
kc_cleanup_add "kill $kcd2 2>/dev/null"
for ((i = 0; i < 200; i++)); do
  grep -q 'kcd started;' "$work/kcd2.log" 2>/dev/null && break
  sleep 0.05
done
secret=$($TOTP --new)
"$ENROL" -c "$KC_KCD_CONF" mmuster "$secret" >/dev/null
race() { # OFFSET -> the two results, sorted
  PYTHONPATH=$top_srcdir/tests/tools "$KC_PY" - "$KC_KCD_SOCKET" \
    "$work/pam2.sock" "$pw" "$($TOTP "$secret" "$1")" <<'PY'
import sys, threading, kcproto as k
socks, pw, code = sys.argv[1:3], sys.argv[3], sys.argv[4]
tickets = [k.call(s, k.auth("mmuster", pw))[4] for s in socks]
out, go = [None, None], threading.Barrier(2)
def run(i):
    msg = k.tan("mmuster", tickets[i], code)
    c = k.connect(socks[i])
    go.wait()
    c.sendall(msg)
    out[i] = k.read_reply(c)[2]
ts = [threading.Thread(target=run, args=(i,)) for i in (0, 1)]
[t.start() for t in ts]
[t.join() for t in ts]
print(" ".join(sorted(out)))
PY
}
race_is() { # OFFSET EXPECT: the two results, printed for the log
  local got
  got=$(race "$1")
  echo "got: $got"
  test "$got" = "$2"
}
for off in -1 0 1; do
  steady
  now=$($TOTP --step)
  # Both requests count a try before they compare. The loser's count
  # mostly lands after the winner's reset and stays (a wrong try after a
  # right one, as it should), so the next round starts at 1; when both
  # count first there, the loser's is the third and it hears MAXTRIES.
  # Each round starts from none, so its answer is one thing.
  "$KCADM" -c "$KC_KCD_CONF" account unlock mmuster >/dev/null
  kc_check "the code of step $off at both kcd at once: one OK, one AUTH_ERR" \
    race_is "$off" "AUTH_ERR OK"
  kc_check "  kcTotpLastStep is the step of that code" \
    test "$(attr "$dn" kcTotpLastStep)" = "$((now + off))"
done

kc_done
