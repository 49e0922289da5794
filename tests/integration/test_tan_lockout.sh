#!/usr/bin/env bash
# The end of TAN guessing and the lock between the password and the TAN
# (issue 12, findings 3 and 8), with the real kcd, slapd, kcadm and the
# built module through real libpam.
#   1. a right TAN sets the account's count of wrong TANs back
#   2. wrong TANs count across TANs, on the PAM socket and on the
#      credentials page alike; at tan_max_failures the account is locked
#      (permanent ppolicy lock), its TAN void, the user told by mail; the
#      right password and TAN then fail as locked; kcadm account unlock
#      clears lock and count, and the login works again
#   3. kcadm account lock between AUTH and TAN: the right TAN is refused
#      as locked and the TAN is void (prompt: on the socket and through
#      libpam; inline: through libpam)
#   4. a made-up challenge learns nothing of a lock
#   5. failures used up with the lock lifted by hand: locked again
#   6. wrong passwords that make slapd lock an account: one notice
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
kc_kcd_start "secret_key_file = $work/secret.key" "tan_max_tries = 3" \
  "tan_max_failures = 5" "tan_resend_interval = 1s" "tan_max_per_hour = 60" || exit 1
kc_pam_service kc-sshd "socket=$KC_KCD_SOCKET timeout=30"
kc_pam_service kc-web "socket=$KC_KCD_SOCKET timeout=30 tan=inline"
KCADM=$top_builddir/kcd/kcadm/kcadm
dn="uid=etan,ou=accounts,$KC_LDAP_BASE"

kcadm() { "$KCADM" -c "$KC_KCD_CONF" "$@"; }
call() { # python expression over kcproto as k, socket as p
  PYTHONPATH=$top_srcdir/tests/tools "$KC_PY" -c "
import kcproto as k, sys
p = sys.argv[1]
$1" "$KC_KCD_SOCKET"
}
auth_etan() { # -> "RESULT CHALLENGE"
  call "r = k.call(p, k.auth('etan', '$KC_PW_ETAN'), timeout=60); print(r[2], r[4])"
}
tan_op() { # CHALLENGE TAN -> result
  call "print(k.call(p, k.tan('etan', '$1', '$2'), timeout=60)[2])"
}
attr() { # ATTR -> its value on etan, or nothing
  kc_ldap_admin ldapsearch -LLL -b "$dn" -s base "$1" | sed -n "s/^$1: //p"
}
newest_tan() { kc_tan_from mail "$KC_MAILDIR"; }
shift_digits() { tr 0123456789 1234567890; }
next_tan() { # wait out the 1s cooldown, AUTH: sets c and tan
  sleep 1.1
  read -r res c <<<"$(auth_etan)"
  tan=$(newest_tan)
  bad=$(echo "$tan" | shift_digits)
}
# notices: lockout mails (decoded) to etan's address, one line each
notices() {
  "$KC_PY" - "$KC_MAILDIR" <<'PY'
import email, email.policy, glob, sys
for f in sorted(glob.glob(sys.argv[1] + "/new/*")):
    m = email.message_from_binary_file(open(f, "rb"), policy=email.policy.default)
    if "locked" in str(m["Subject"]) or "gesperrt" in str(m["Subject"]):
        body = m.get_body(("plain",)).get_content()
        print(str(m["To"]).strip(), "|", " ".join(body.split()))
PY
}

# --- 1. a right TAN sets the count back
next_tan
kc_check "AUTH sends a TAN" test "$res" = TAN_REQUIRED
kc_check "a wrong TAN -> AUTH_ERR" test "$(tan_op "$c" "$bad")" = AUTH_ERR
kc_check "  counted on the account: kcTanFailures 1" test "$(attr kcTanFailures)" = 1
kc_check "the right TAN -> OK" test "$(tan_op "$c" "$tan")" = OK
kc_check "  and kcTanFailures is gone" test -z "$(attr kcTanFailures)"

# --- 2. five wrong TANs across three TANs and two front ends
next_tan
for i in 1 2; do
  kc_check "TAN 1, wrong answer $i -> AUTH_ERR" test "$(tan_op "$c" "$bad")" = AUTH_ERR
done
kc_check "TAN 1, wrong answer 3 -> MAXTRIES" test "$(tan_op "$c" "$bad")" = MAXTRIES
kc_check "kcTanFailures 3, and a new TAN would bring new tries" \
  test "$(attr kcTanFailures)" = 3

# the credentials page: password, then a wrong TAN
jar=$work/jar
get() { # URL [curl args] -> $status, $work/body
  local url=$1
  shift
  status=$(curl -s -b "$jar" -c "$jar" -o "$work/body" -w '%{http_code}' "$@" "$url")
}
field() { grep -o "name=\"$1\" value=\"[^\"]*\"" "$work/body" | sed 's/.*value="//;s/"$//'; }
sleep 1.1
get "$KC_KCD_URL/account/credentials?user=etan"
token=$(field csrf)
get "$KC_KCD_URL/account/credentials" --data-urlencode "csrf=$token" \
  --data-urlencode "user=etan" --data-urlencode "password=$KC_PW_ETAN"
kc_check "web: the password sends TAN 2 (422 with the TAN field)" test "$status" = 422
c=$(field challenge)
bad=$(newest_tan | shift_digits)
get "$KC_KCD_URL/account/credentials" --data-urlencode "csrf=$token" \
  --data-urlencode "user=etan" --data-urlencode "password=$KC_PW_ETAN" \
  --data-urlencode "challenge=$c" --data-urlencode "tan=$bad"
kc_check "web: a wrong TAN -> 422" test "$status" = 422
kc_check "  counted on the same account counter: kcTanFailures 4" \
  test "$(attr kcTanFailures)" = 4

read -r res c <<<"$(auth_etan)" # TAN 2, or a new one after its cooldown
bad=$(newest_tan | shift_digits)
n_mail=$(kc_count_mail "$KC_MAILDIR")
kc_check "PAM socket: the fifth wrong TAN -> LOCKED" \
  test "$(tan_op "$c" "$bad")" = LOCKED
kc_check "the account is locked for good (pwdAccountLockedTime)" \
  test "$(attr pwdAccountLockedTime)" = 000001010000Z
kc_check "its TAN is void" test -z "$(attr kcTanHash)"
kc_check "kcTanFailures stays 5 until an admin clears it" \
  test "$(attr kcTanFailures)" = 5
kc_check_grep "kcd logs the lockout" \
  'account locked after wrong TANs; user=etan failures=5' cat "$KC_KCD_LOG"
kc_check "one mail went out: the notice" \
  test "$(kc_count_mail "$KC_MAILDIR")" -eq $((n_mail + 1))
kc_check_grep "  it tells etan (language en) the account is locked" \
  '@.*\| Hello, after too many wrong TANs, your access to the .* \(user name etan\) was locked to protect you\.' \
  notices
kc_check_nogrep "  and holds no secret" "$KC_PW_ETAN|[0-9]{6}" notices
# (before the password is proven a lock looks like a wrong password, or it
# would reveal the name; the notice above told the owner)
kc_check "AUTH with the right password -> AUTH_ERR, as a wrong one" \
  test "$(auth_etan)" = "AUTH_ERR "
kc_check "through libpam: auth refused, the account step says locked" \
  kc_pamtest --service kc-sshd --user etan --conv sshd --answer "$KC_PW_ETAN" \
  --tan-cmd "$KC_PY $top_srcdir/tests/tools/tan_from.py mail $KC_MAILDIR" \
  --steps auth,acct --expect auth=PAM_AUTH_ERR,acct=PAM_PERM_DENIED
kc_check_grep "kcadm account show: 5 wrong TANs" '^5$' \
  sh -c "\"$KCADM\" -c \"$KC_KCD_CONF\" --json account show etan 2>/dev/null | $KC_PY -c 'import json,sys; print(json.load(sys.stdin)[\"failed_tans\"])'"
kc_check "kcadm account unlock" kcadm account unlock etan
kc_check "  clears the lock and the count" \
  test "$(attr pwdAccountLockedTime)$(attr kcTanFailures)" = ""
sleep 1.1
kc_check "then password and TAN log in again" \
  kc_pamtest --service kc-sshd --user etan --conv sshd --answer "$KC_PW_ETAN" \
  --tan-cmd "$KC_PY $top_srcdir/tests/tools/tan_from.py mail $KC_MAILDIR" \
  --steps auth,acct --expect auth=PAM_SUCCESS,acct=PAM_SUCCESS

# --- 3. an admin lock between AUTH and TAN
next_tan
kc_check "AUTH sends a TAN" test "$res" = TAN_REQUIRED
kc_check "kcadm account lock" kcadm account lock etan
kc_check "  voids the open TAN" test -z "$(attr kcTanHash)$(attr kcTanChallenge)"
# (the lock voided the TAN, so its challenge is dead: the answer is that
# of a dead challenge, which says nothing of a lock to whoever asks)
kc_check "the right TAN after the lock -> refused (AUTH_ERR)" \
  test "$(tan_op "$c" "$tan")" = AUTH_ERR
kc_check "ACCT -> LOCKED" \
  test "$(call "print(k.call(p, k.acct('etan'))[2])")" = LOCKED
kc_check "kcadm account unlock" kcadm account unlock etan

sleep 1.1
kc_check "libpam, tan=prompt: locked while the TAN is typed -> refused" \
  kc_pamtest --service kc-sshd --user etan --conv sshd --answer "$KC_PW_ETAN" \
  --tan-cmd "sh -c '\"$KCADM\" -c \"$KC_KCD_CONF\" account lock etan >/dev/null && $KC_PY $top_srcdir/tests/tools/tan_from.py mail $KC_MAILDIR'" \
  --steps auth --expect auth=PAM_AUTH_ERR
kc_check "kcadm account unlock" kcadm account unlock etan

sleep 1.1
kc_check "libpam, tan=inline request 1: password -> PAM_CRED_INSUFFICIENT" \
  kc_pamtest --service kc-web --user etan --conv apache --answer "$KC_PW_ETAN" \
  --steps auth --expect auth=PAM_CRED_INSUFFICIENT
tan=$(newest_tan)
kc_check "kcadm account lock" kcadm account lock etan
kc_check "libpam, tan=inline request 2: password+TAN -> refused" \
  kc_pamtest --service kc-web --user etan --conv apache \
  --answer "$KC_PW_ETAN$tan" --steps auth --expect auth=PAM_AUTH_ERR
kc_check_grep "  because of the lock (kcd's log)" \
  'AUTH AUTH_ERR; user=etan service=kc-web .* note=locked' cat "$KC_KCD_LOG"
kc_check_nogrep "kcd's log holds no TAN" "$tan" cat "$KC_KCD_LOG"
kc_check "kcadm account unlock" kcadm account unlock etan

# --- 4. the TAN step says nothing about a lock to a made-up challenge:
#     the socket is open to every local user, only a right password gets
#     the challenge
kc_check "kcadm account lock" kcadm account lock etan
kc_check "TAN with a made-up challenge on a locked account: not LOCKED" \
  test "$(tan_op AAAAAAAAAAAAAAAAAAAAAA 123456)" = AUTH_ERR
kc_check "kcadm account unlock" kcadm account unlock etan

# --- 5. failures used up but the lock lifted by hand (ldapmodify, not
#     kcadm unlock): no TAN goes out, and the account is locked again
kc_ldap_admin ldapmodify >/dev/null <<EOF || exit 1
dn: $dn
changetype: modify
replace: kcTanFailures
kcTanFailures: 5
EOF
sleep 1.1
n_mail=$(kc_count_mail "$KC_MAILDIR")
kc_check "AUTH with failures used up: no TAN (RATE_LIMITED)" \
  test "$(auth_etan)" = "RATE_LIMITED "
kc_check "  no mail went out" test "$(kc_count_mail "$KC_MAILDIR")" -eq "$n_mail"
kc_check "  and the account is locked again" \
  test "$(attr pwdAccountLockedTime)" = 000001010000Z

# --- 6. wrong passwords: the one that makes slapd lock the account mails
#     the owner once (the login itself answers as for a wrong password)
dn_m="uid=mtan,ou=accounts,$KC_LDAP_BASE"
locked_m() {
  kc_ldap_admin ldapsearch -LLL -b "$dn_m" -s base pwdAccountLockedTime |
    sed -n 's/^pwdAccountLockedTime: //p'
}
pw_notices() { notices | grep -c 'falschen Passw' || true; }
n0=$(pw_notices)
for i in 1 2 3 4 5; do
  call "k.call(p, k.auth('mtan', 'Falsch-Falsch-$i'), timeout=60)"
done
kc_check "five wrong passwords: slapd locked mtan" test -n "$(locked_m)"
kc_check "  one notice went to mtan" test "$(pw_notices)" -eq $((n0 + 1))
kc_check_grep "  saying for how long, without a password" \
  'Benutzername mtan\) zu Ihrem Schutz gesperrt, für 15 Minuten' notices
kc_check_nogrep "  no password in it" 'Falsch-Falsch' notices
kc_check_grep "kcd logs the lock" \
  'account locked after wrong passwords; user=mtan minutes=15' cat "$KC_KCD_LOG"
kc_check "the right password now: AUTH_ERR, as a wrong one" \
  test "$(call "print(k.call(p, k.auth('mtan', '$KC_PW_MTAN'), timeout=60)[2])")" = AUTH_ERR
kc_check "  and no second notice" test "$(pw_notices)" -eq $((n0 + 1))
kc_done
