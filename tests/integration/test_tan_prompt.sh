#!/usr/bin/env bash
# Second factor in prompt mode (sshd keyboard-interactive, login, su):
# kcd sends the TAN by real SMTP to a loopback mail server and by HTTP to
# a loopback SMS gateway; the built module asks for it through real libpam.
# Then the TAN rules on the wire: cooldown, three tries, single use,
# expiry, and a failed delivery that leaves nothing behind.
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
kc_sink_start "$work/smtp" smtp_sink.py || exit 1
smtp_port=$KC_SINK_PORT
kc_sink_start "$work/sms" sms_sink.py || exit 1
sms_port=$KC_SINK_PORT
head -c 48 /dev/urandom | base64 >"$work/secret.key"
chmod 600 "$work/secret.key"

start_kcd() { # extra kcd.conf lines
  kc_kcd_stop
  kc_kcd_start "mail_from = kundencenter@example.org" \
    "mail_transport = smtp://127.0.0.1:$smtp_port" "smtp_starttls = no" \
    "sms_transport = http://127.0.0.1:$sms_port/send" \
    'sms_body = {"to": "{to}", "text": "{text}"}' \
    "secret_key_file = $work/secret.key" "$@"
  kc_pam_service kc-sshd "socket=$KC_KCD_SOCKET timeout=30"
}
call() { # python expression over kcproto as k, socket as p
  PYTHONPATH=$top_srcdir/tests/tools "$KC_PY" -c "
import kcproto as k, sys
p = sys.argv[1]
$1" "$KC_KCD_SOCKET"
}
mails() { kc_count_mail "$work/smtp"; }
tan_op() { # CHALLENGE TAN -> result
  call "print(k.call(p, k.message(k.OPS['TAN'], k.s('etan') + k.s('$1') + k.s('$2') + k.s('t') + k.s('')))[2])"
}
auth_etan() { # -> "RESULT CHALLENGE DESTINATION"
  call "r = k.call(p, k.auth('etan', '$KC_PW_ETAN')); print(r[2], r[4], r[5])"
}
shift_digits() { tr 0123456789 1234567890; }

start_kcd || exit 1

# --- emailTAN through real libpam, mail over SMTP
kc_check "emailTAN: password, then the TAN from the mail -> success" \
  kc_pamtest --service kc-sshd --user etan --conv sshd \
  --answer "$KC_PW_ETAN" \
  --tan-cmd "$KC_PY $top_srcdir/tests/tools/tan_from.py mail $work/smtp --check-mime $KC_PW_ETAN" \
  --steps auth,acct --expect auth=PAM_SUCCESS,acct=PAM_SUCCESS
kc_check_grep "the TAN prompt names the masked address" \
  'TAN \(an [a-z.]{1,4}\*\*\*@[a-z.-]+\): ' echo "$KC_OUT"
kc_check "exactly one mail was sent" test "$(mails)" -eq 1
kc_check "the mail is valid MIME, has the TAN and not the password" \
  kc_tan_from mail "$work/smtp" --check-mime "$KC_PW_ETAN"
kc_check_grep "the SMTP envelope went to the account's address" '"rcpt_tos": \["[^"]+@' \
  cat "$work/smtp/msg-1.json"

# --- mTAN through real libpam, SMS over HTTP
kc_check "mTAN: password, then the TAN from the SMS -> success" \
  kc_pamtest --service kc-sshd --user mtan --conv sshd --answer "$KC_PW_MTAN" \
  --tan-cmd "$KC_PY $top_srcdir/tests/tools/tan_from.py sms $work/sms/requests.jsonl" \
  --steps auth --expect auth=PAM_SUCCESS
kc_check_grep "the TAN prompt names the masked number" \
  'TAN \(an \+49 [0-9]+ \*+[0-9]{4}\): ' echo "$KC_OUT"
kc_check_grep "the gateway got JSON with the E.164 number" '\\"to\\": \\"\+49[0-9]+\\"' \
  tail -n 1 "$work/sms/requests.jsonl"

# --- the module never sends an empty TAN or one equal to the password
kc_check "an empty TAN fails" \
  kc_pamtest --service kc-sshd --user etan --conv sshd --answer "$KC_PW_ETAN" \
  --answer "" --steps auth --expect auth=PAM_AUTH_ERR
kc_check "a TAN equal to the password fails" \
  kc_pamtest --service kc-sshd --user etan --conv sshd --answer "$KC_PW_ETAN" \
  --answer "$KC_PW_ETAN" --steps auth --expect auth=PAM_AUTH_ERR

# --- on the wire: cooldown, three tries, single use
kc_kcd_stop
start_kcd || exit 1 # a fresh kcd; the state lives in LDAP all the same
n0=$(mails)
read -r res c1 dest <<<"$(auth_etan)"
kc_check "AUTH answers TAN_REQUIRED with a challenge" test "$res" = TAN_REQUIRED
# (the TAN from the empty-TAN login above is still open and inside the
# cooldown, so no mail either way; wait for the cooldown to pass is not
# needed: compare with the next AUTH)
read -r res c1b dest <<<"$(auth_etan)"
kc_check "AUTH again inside the cooldown: same challenge" test "$c1" = "$c1b"
kc_check "  and no further mail" test "$(mails)" -eq "$n0"
tan=$(kc_tan_from mail "$work/smtp")
bad=$(echo "$tan" | shift_digits)
kc_check "wrong TAN 1 -> AUTH_ERR" test "$(tan_op "$c1" "$bad")" = AUTH_ERR
kc_check "wrong TAN 2 -> AUTH_ERR" test "$(tan_op "$c1" "$bad")" = AUTH_ERR
kc_check "wrong TAN 3 -> MAXTRIES" test "$(tan_op "$c1" "$bad")" = MAXTRIES
kc_check "then even the right TAN -> MAXTRIES (challenge dead)" \
  test "$(tan_op "$c1" "$tan")" = MAXTRIES
read -r res c2 dest <<<"$(auth_etan)"
kc_check "a new AUTH after a dead challenge sends a new TAN" \
  test "$res:$(mails)" = "TAN_REQUIRED:$((n0 + 1))"
kc_check "  with a new challenge" test "$c2" != "$c1"
tan2=$(kc_tan_from mail "$work/smtp")
kc_check "the right TAN -> OK" test "$(tan_op "$c2" "$tan2")" = OK
kc_check "the same TAN again -> AUTH_ERR (single use)" \
  test "$(tan_op "$c2" "$tan2")" = AUTH_ERR
kc_check_nogrep "kcd's log holds no TAN" "$tan|$tan2" cat "$KC_KCD_LOG"
kc_check_grep "kcd logs where the TAN went, masked" \
  'TAN sent; user=etan method=email to=[a-z.]+\*\*\*@' cat "$KC_KCD_LOG"

# --- expiry: tan_ttl = 1s
start_kcd "tan_ttl = 1s" "tan_resend_interval = 1s" || exit 1
sleep 1.1 # let the previous TAN's cooldown pass
read -r res c3 dest <<<"$(auth_etan)"
tan3=$(kc_tan_from mail "$work/smtp")
sleep 2
kc_check "an expired TAN -> AUTH_ERR" test "$(tan_op "$c3" "$tan3")" = AUTH_ERR

# --- delivery fails: the login fails, and no TAN is left in LDAP
start_kcd "mail_transport = smtp://127.0.0.1:1" "tan_resend_interval = 1s" || exit 1
sleep 1.1
kc_check "SMTP down: the login fails with PAM_AUTHINFO_UNAVAIL" \
  kc_pamtest --service kc-sshd --user etan --conv sshd --answer "$KC_PW_ETAN" \
  --answer 123456 --steps auth --expect auth=PAM_AUTHINFO_UNAVAIL
kc_check_nogrep "no kcTanHash left on the account" 'kcTanHash' \
  kc_ldap_admin ldapsearch -LLL -b "uid=etan,ou=accounts,$KC_LDAP_BASE" -s base kcTanHash
kc_check_grep "the log names the failure" 'TAN delivery failed; user=etan method=email' \
  cat "$KC_KCD_LOG"
kc_done
