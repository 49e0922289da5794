#!/usr/bin/env bash
# The module's flows through the real libpam, against kc-fakekcd with
# scripted answers: what it asks, what it sends to kcd, what it returns.
# Conversations behave like sshd keyboard-interactive, sshd password
# authentication and mod_authnz_pam (kc-pamtest --conv).
set -u
. "$top_srcdir/tests/lib/check.sh"
. "$top_srcdir/tests/lib/pam.sh"
kc_pam_init

log=$KC_FAKE_LOG
sock=$KC_FAKE_SOCKET
pw='Korrekt-Pferd-42'
dest='m.mu***@example.org'

kc_pam_service sshd "socket=$sock timeout=5"
kc_pam_service sshd-first "socket=$sock timeout=5 use_first_pass"
kc_pam_service apache "socket=$sock timeout=5 tan=inline"
kc_pam_service_raw ign "auth required @MODULE@ socket=$sock ignore_unknown_user
auth required pam_permit.so
account required @MODULE@ socket=$sock ignore_unknown_user
account required pam_permit.so"

rules=(
  # mmuster: e-mail TAN 123456
  "op=AUTH|user=mmuster|secret=$pw|flags=0|result=TAN_REQUIRED|rchallenge=c1|dest=$dest|msg=Eine TAN wurde gesendet."
  "op=TAN|user=mmuster|challenge=c1|tan=123456|result=OK"
  "op=TAN|user=mmuster|challenge=c1|tan=999999|result=MAXTRIES|msg=Zu viele falsche TANs."
  # inline: the TAN goes appended to the password
  "op=AUTH|user=mmuster|secret=${pw}123456|flags=1|result=OK"
  "op=AUTH|user=mmuster|secret=$pw|flags=1|result=TAN_REQUIRED|rchallenge=c2|dest=$dest|msg=TAN gesendet"
  # ohnetan: no second factor
  "op=AUTH|user=ohnetan|secret=$pw|result=OK"
  "op=ACCT|user=ohnetan|result=OK"
  # neukunde: must change; verify-only, too short, right
  "op=AUTH|user=neukunde|secret=Start-Passwort-1|result=NEW_AUTHTOK_REQD"
  "op=CHAUTHTOK|user=neukunde|secret=Start-Passwort-1|new=|result=OK"
  "op=CHAUTHTOK|user=neukunde|secret=Start-Passwort-1|new=kurz|result=AUTHTOK_ERR|msg=Das Passwort ist zu kurz."
  "op=CHAUTHTOK|user=neukunde|secret=Start-Passwort-1|new=Neues-Passwort-2024|result=OK|msg=Das Passwort wurde geändert."
  "op=ACCT|user=neukunde|result=NEW_AUTHTOK_REQD"
  # account states
  "op=ACCT|user=mmuster|result=OK"
  "op=ACCT|user=gesperrt|result=LOCKED"
  "op=AUTH|user=gesperrt|result=LOCKED"
  "op=ACCT|user=abgelaufen|result=EXPIRED"
  "op=ACCT|user=niemand|result=USER_UNKNOWN"
  "op=AUTH|user=niemand|result=USER_UNKNOWN"
  # spaet: password right, locked by an admin before the account step
  "op=AUTH|user=spaet|secret=$pw|result=OK"
  "op=ACCT|user=spaet|result=LOCKED"
)
args=()
for r in "${rules[@]}"; do
  args+=(--rule "$r")
done
kc_fakekcd_start "${args[@]}" || exit 1

# sent N ERE: the fake logged exactly N requests matching ERE
sent()
{
  local n
  n=$(grep -Ec -- "$2" "$log")
  if [[ $n == "$1" ]]; then
    kc_pass "kcd got $1 request(s) matching $2"
  else
    kc_fail "kcd got $n request(s) matching $2, want $1"
    sed 's/^/    #   /' "$log"
  fi
}

# ---------------------------------------------------------------- tan=prompt
: >"$log"
kc_check "sshd: password and TAN" \
  kc_pamtest --service sshd --user mmuster --answer "$pw" --answer 123456 \
  --steps auth,acct,setcred --expect auth=PAM_SUCCESS,acct=PAM_SUCCESS,setcred=PAM_SUCCESS
kc_check_grep "password prompt in German" '^conv: PROMPT_ECHO_OFF Passwort: $' \
  printf '%s\n' "$KC_OUT"
kc_check_grep "the TAN prompt names the destination" \
  "^TAN \\(an m\\.mu\\*\\*\\*@example\\.org\\): \$" printf '%s\n' "$KC_OUT"
kc_check_grep "kcd's message is part of the TAN prompt, not a TEXT_INFO" \
  '^conv: PROMPT_ECHO_OFF Eine TAN wurde gesendet\.$' printf '%s\n' "$KC_OUT"
kc_check_nogrep "no TEXT_INFO on the way" 'TEXT_INFO' printf '%s\n' "$KC_OUT"
sent 1 "^op=AUTH user=mmuster service=sshd rhost= flags=0 secret=$pw "
sent 1 '^op=TAN user=mmuster .* tan=123456 challenge=c1$'
sent 1 '^op=ACCT user=mmuster '

kc_check "sshd, PAM_SILENT: the TAN prompt without kcd's message" \
  kc_pamtest --service sshd --user mmuster --silent --answer "$pw" \
  --answer 123456 --steps auth --expect auth=PAM_SUCCESS
kc_check_nogrep "no message under PAM_SILENT" 'gesendet' printf '%s\n' "$KC_OUT"

: >"$log"
kc_check "sshd: wrong TAN" \
  kc_pamtest --service sshd --user mmuster --answer "$pw" --answer 654321 \
  --steps auth --expect auth=PAM_AUTH_ERR
kc_check "sshd: TAN tries used up" \
  kc_pamtest --service sshd --user mmuster --answer "$pw" --answer 999999 \
  --steps auth --expect auth=PAM_MAXTRIES
kc_check_grep "  kcd's reason is shown" '^conv: ERROR_MSG Zu viele falsche TANs\.$' \
  printf '%s\n' "$KC_OUT"
kc_check "  but not under PAM_SILENT" \
  kc_pamtest --service sshd --user mmuster --silent --answer "$pw" \
  --answer 999999 --steps auth --expect auth=PAM_MAXTRIES
kc_check_nogrep "  (no ERROR_MSG)" 'ERROR_MSG' printf '%s\n' "$KC_OUT"
kc_check "sshd: empty TAN" \
  kc_pamtest --service sshd --user mmuster --answer "$pw" --answer '' \
  --steps auth --expect auth=PAM_AUTH_ERR
kc_check "sshd password authentication: the password as TAN" \
  kc_pamtest --service sshd --user mmuster --conv password --answer "$pw" \
  --steps auth --expect auth=PAM_AUTH_ERR
sent 3 '^op=TAN'
sent 0 "^op=TAN .* tan=($pw)? challenge"

kc_check "a TAN from a command (as tests read it from the mail)" \
  kc_pamtest --service sshd --user mmuster --answer "$pw" \
  --tan-cmd 'echo 123456' --steps auth --expect auth=PAM_SUCCESS

kc_check "no TAN method: password alone" \
  kc_pamtest --service sshd --user ohnetan --answer "$pw" \
  --steps auth,acct --expect auth=PAM_SUCCESS,acct=PAM_SUCCESS

: >"$log"
kc_check "empty password never reaches kcd" \
  kc_pamtest --service sshd --user mmuster --answer '' --steps auth \
  --expect auth=PAM_AUTH_ERR
kc_check "an impossible user name never reaches kcd" \
  kc_pamtest --service sshd --user 'x)(uid=*' --answer "$pw" --steps auth,acct \
  --expect auth=PAM_AUTH_ERR,acct=PAM_USER_UNKNOWN
kc_check "use_first_pass without an earlier password: no prompt, failure" \
  kc_pamtest --service sshd-first --user mmuster --steps auth \
  --expect auth=PAM_AUTH_ERR
kc_check_nogrep "use_first_pass did not prompt" 'conv:' printf '%s\n' "$KC_OUT"
sent 0 '.'

kc_check "unknown user: auth error, account unknown" \
  kc_pamtest --service sshd --user niemand --answer "$pw" --steps auth,acct \
  --expect auth=PAM_AUTH_ERR,acct=PAM_USER_UNKNOWN
kc_check "unknown user, ignore_unknown_user: the stack goes on" \
  kc_pamtest --service ign --user niemand --answer "$pw" --steps auth,acct \
  --expect auth=PAM_SUCCESS,acct=PAM_SUCCESS
kc_check "locked account" \
  kc_pamtest --service sshd --user gesperrt --answer "$pw" --steps auth,acct \
  --expect auth=PAM_PERM_DENIED,acct=PAM_PERM_DENIED

# ---------------------------------------------------------------- tan=inline
: >"$log"
kc_check "apache request 1: password alone -> PAM_CRED_INSUFFICIENT" \
  kc_pamtest --service apache --user mmuster --conv apache --answer "$pw" \
  --steps auth --expect auth=PAM_CRED_INSUFFICIENT
kc_check_grep "exactly one prompt, nothing else" \
  '^conv: PROMPT_ECHO_OFF Passwort: $' printf '%s\n' "$KC_OUT"
kc_check "  (one conversation message)" \
  test "$(printf '%s\n' "$KC_OUT" | grep -c '^conv:')" = 1
sent 1 "^op=AUTH user=mmuster service=apache rhost=127.0.0.1 flags=1 secret=$pw "
kc_check "apache request 2: password+TAN -> success, account asked" \
  kc_pamtest --service apache --user mmuster --conv apache \
  --answer "${pw}123456" --steps auth,acct \
  --expect auth=PAM_SUCCESS,acct=PAM_SUCCESS
sent 0 '^op=TAN'
sent 1 '^op=ACCT user=mmuster '
kc_check "apache Require pam-account: no password, no conversation" \
  kc_pamtest --service apache --user abgelaufen --conv apache --steps acct \
  --expect acct=PAM_ACCT_EXPIRED
kc_check "apache: a wrong secret" \
  kc_pamtest --service apache --user mmuster --conv apache --answer falsch \
  --steps auth --expect auth=PAM_AUTH_ERR

# ---------------------------------------------------------------- must change
: >"$log"
kc_check "must change: auth ok, account NEW_AUTHTOK_REQD, change, then ok" \
  kc_pamtest --service sshd --user neukunde --answer Start-Passwort-1 \
  --answer kurz --answer kurz \
  --answer Neues-Passwort-2024 --answer Tippfehler \
  --answer Neues-Passwort-2024 --answer Neues-Passwort-2024 \
  --expired --steps auth,acct,chauthtok,chauthtok,chauthtok,acct \
  --expect 'auth=PAM_SUCCESS,acct#1=PAM_NEW_AUTHTOK_REQD,chauthtok#1=PAM_AUTHTOK_ERR,chauthtok#2=PAM_AUTHTOK_ERR,chauthtok#3=PAM_SUCCESS,acct#2=PAM_SUCCESS'
kc_check_nogrep "the old password is not asked again" 'Altes Passwort' \
  printf '%s\n' "$KC_OUT"
kc_check_grep "kcd's reason is shown" '^conv: ERROR_MSG Das Passwort ist zu kurz\.$' \
  printf '%s\n' "$KC_OUT"
kc_check_grep "success is told" '^conv: TEXT_INFO Das Passwort wurde ge.ndert\.$' \
  printf '%s\n' "$KC_OUT"
kc_check_grep "a mismatch is shown" '^conv: ERROR_MSG Die Passw.rter stimmen nicht' \
  printf '%s\n' "$KC_OUT"
sent 2 '^op=ACCT user=neukunde '
sent 3 '^op=CHAUTHTOK user=neukunde .* new= tan'
sent 1 '^op=CHAUTHTOK .* new=kurz '
sent 1 '^op=CHAUTHTOK .* new=Neues-Passwort-2024 '

kc_check "passwd without login: the old password is asked" \
  kc_pamtest --service sshd --user neukunde --answer Start-Passwort-1 \
  --answer Neues-Passwort-2024 --answer Neues-Passwort-2024 \
  --steps chauthtok --expect chauthtok=PAM_SUCCESS
kc_check_grep "  (Altes Passwort)" '^conv: PROMPT_ECHO_OFF Altes Passwort: $' \
  printf '%s\n' "$KC_OUT"
kc_check "a wrong old password" \
  kc_pamtest --service sshd --user neukunde --answer falsch \
  --steps chauthtok --expect chauthtok=PAM_AUTH_ERR
kc_check "account alone for a must-change account" \
  kc_pamtest --service sshd --user neukunde --steps acct \
  --expect acct=PAM_NEW_AUTHTOK_REQD

# State belongs to a user: another user on the same handle is asked anew.
: >"$log"
kc_check "the auth state is not used for another user" \
  kc_pamtest --service sshd --user neukunde --answer Start-Passwort-1 \
  --steps auth,user:mmuster,acct \
  --expect auth=PAM_SUCCESS,acct=PAM_SUCCESS
sent 1 '^op=ACCT user=mmuster '

# The account step asks kcd even right after a successful auth step: a
# lock that came in between is not hidden by the cached answer.
: >"$log"
kc_check "locked between auth and account: account refused" \
  kc_pamtest --service sshd --user spaet --answer "$pw" --steps auth,acct \
  --expect auth=PAM_SUCCESS,acct=PAM_PERM_DENIED
sent 1 '^op=ACCT user=spaet '

kc_check "session and setcred succeed" \
  kc_pamtest --service sshd --user mmuster --steps setcred,open,close \
  --expect setcred=PAM_SUCCESS,open=PAM_SUCCESS,close=PAM_SUCCESS

kc_fakekcd_stop
kc_done
