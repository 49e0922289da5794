#!/usr/bin/env bash
# Password changes and first logins through real libpam (DESIGN §4, §7):
# - an account with a second factor changes its password only after a
#   right TAN: in the login's own forced change (the TAN of the login is
#   the proof), or without a login (passwd), where the module asks for a
#   TAN first; the password alone, or a forged proof, changes nothing;
# - a provisioned account (kcFirstLogin) that has not finished its first
#   login on the web gets PAM_NEW_AUTHTOK_REQD even when ppolicy has no
#   "must change", and its password cannot be changed over PAM, so it
#   never logs in without having chosen a second factor.
set -u
. "$top_srcdir/tests/lib/slapd.sh"
. "$top_srcdir/tests/lib/kcd.sh"
. "$top_srcdir/tests/lib/pam.sh"
. "$top_srcdir/tests/lib/sinks.sh"
. "$top_srcdir/tests/lib/check.sh"
kc_slapd_require
kc_pam_init
kc_slapd_start || exit 1
work=$KC_PAM_TMP
head -c 48 /dev/urandom | base64 >"$work/secret.key"
chmod 600 "$work/secret.key"
kc_kcd_start "secret_key_file = $work/secret.key" "tan_resend_interval = 1s" ||
  exit 1
kc_pam_service kc-sshd "socket=$KC_KCD_SOCKET timeout=30"
tan_cmd="$KC_PY $top_srcdir/tests/tools/tan_from.py mail $KC_MAILDIR"
dn_etan=uid=etan,ou=accounts,$KC_LDAP_BASE
pw_of_entry() { # DN -> userPassword value as stored
  kc_ldap_admin ldapsearch -LLL -o ldif-wrap=no -b "$1" -s base userPassword |
    sed -n 's/^userPassword:: //p'
}

# --- a TAN account: a forced change right after a login with the TAN
kc_ldap_admin ldapmodify >/dev/null <<EOF || exit 1
dn: $dn_etan
changetype: modify
replace: pwdReset
pwdReset: TRUE
EOF
new1="Neues-Passwort-nach-TAN-$RANDOM"
kc_check "TAN account: auth with TAN, acct must change, chauthtok ok" \
  kc_pamtest --service kc-sshd --user etan --conv sshd \
  --answer "$KC_PW_ETAN" --tan-cmd "$tan_cmd" \
  --answer "$new1" --answer "$new1" --steps auth,acct,chauthtok \
  --expect auth=PAM_SUCCESS,acct=PAM_NEW_AUTHTOK_REQD,chauthtok=PAM_SUCCESS
sleep 1.1 # the resend interval
kc_check "  the new password works (with a TAN)" \
  kc_pamtest --service kc-sshd --user etan --conv sshd \
  --answer "$new1" --tan-cmd "$tan_cmd" --steps auth,acct \
  --expect auth=PAM_SUCCESS,acct=PAM_SUCCESS

# --- passwd without a login: the module asks for a TAN first
new2="Zweites-neues-Passwort-$RANDOM"
sleep 1.1
kc_check "passwd on a TAN account: old password, TAN, new twice -> changed" \
  kc_pamtest --service kc-sshd --user etan --conv sshd \
  --answer "$new1" --tan-cmd "$tan_cmd" --answer "$new2" --answer "$new2" \
  --steps chauthtok --expect chauthtok=PAM_SUCCESS
kc_check_grep "  the TAN was asked for" '^TAN \(an [a-z]\*\*\*@' \
  echo "$KC_OUT"
before=$(pw_of_entry "$dn_etan")
sleep 1.1
kc_check "passwd on a TAN account with a wrong TAN -> refused" \
  kc_pamtest --service kc-sshd --user etan --conv sshd \
  --answer "$new2" --answer 000000 --answer "Drittes-Passwort-1234" \
  --answer "Drittes-Passwort-1234" --steps chauthtok \
  --expect chauthtok=PAM_AUTH_ERR
kc_check "  and the password is unchanged" \
  test "$(pw_of_entry "$dn_etan")" = "$before"

# --- straight to the socket: the password alone, or a forged proof
call() { # python expression over kcproto as k, socket as p
  PYTHONPATH=$top_srcdir/tests/tools "$KC_PY" -c "
import kcproto as k, sys
p = sys.argv[1]
$1" "$KC_KCD_SOCKET"
}
kc_check "CHAUTHTOK with the password only -> AUTH_ERR" test \
  "$(call "print(k.call(p, k.chauthtok('etan', '$new2', 'Viertes-Passwort-1234'))[2])")" = AUTH_ERR
kc_check "CHAUTHTOK with a forged proof -> AUTH_ERR" test \
  "$(call "print(k.call(p, k.chauthtok('etan', '$new2', 'Viertes-Passwort-1234', proof='%016x.' % 2000000000 + 'ab' * 16))[2])")" = AUTH_ERR
kc_check "  the password is still the one changed with the TAN" \
  test "$(pw_of_entry "$dn_etan")" = "$before"
kc_check_grep "kcd logs why" 'CHAUTHTOK AUTH_ERR; user=etan .* note=no_tan_proof' \
  cat "$KC_KCD_LOG"

# --- a first login that was never finished on the web
dn_neu=uid=neukunde,ou=accounts,$KC_LDAP_BASE
kc_check "first login: auth ok, acct must change" \
  kc_pamtest --service kc-sshd --user neukunde --conv sshd \
  --answer "$KC_PW_NEUKUNDE" --steps auth,acct \
  --expect auth=PAM_SUCCESS,acct=PAM_NEW_AUTHTOK_REQD
kc_check "first login: chauthtok refused, with the way to the web page" \
  kc_pamtest --service kc-sshd --user neukunde --conv sshd \
  --answer "$KC_PW_NEUKUNDE" --answer "Ganz-neu-und-lang-123" \
  --answer "Ganz-neu-und-lang-123" --steps auth,acct,chauthtok \
  --expect auth=PAM_SUCCESS,acct=PAM_NEW_AUTHTOK_REQD,chauthtok=PAM_AUTHTOK_ERR
kc_check_grep "  the message names the Kundencenter" 'ERROR_MSG .*Kundencenter' \
  echo "$KC_OUT"
# pwdReset gone (an admin cleared it) but the first login still not
# finished: kcFirstLogin alone keeps the account out
kc_ldap_admin ldapmodify >/dev/null <<EOF || exit 1
dn: $dn_neu
changetype: modify
delete: pwdReset
EOF
kc_check "first login without pwdReset: acct must change all the same" \
  kc_pamtest --service kc-sshd --user neukunde --conv sshd \
  --answer "$KC_PW_NEUKUNDE" --steps auth,acct \
  --expect auth=PAM_SUCCESS,acct=PAM_NEW_AUTHTOK_REQD
kc_check "  and account-only (public key) too" \
  kc_pamtest --service kc-sshd --user neukunde --conv sshd --steps acct \
  --expect acct=PAM_NEW_AUTHTOK_REQD
kc_done
