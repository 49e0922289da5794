#!/usr/bin/env bash
# Password login through the built module, real libpam, the real kcd and
# the private slapd: sshd-like (keyboard-interactive) and mod_authnz_pam-
# like conversations, lockout counting, unknown users, locked accounts, the
# must-change flow with chauthtok, pamtester, and kcd down.
set -u
. "$top_srcdir/tests/lib/slapd.sh"
. "$top_srcdir/tests/lib/kcd.sh"
. "$top_srcdir/tests/lib/pam.sh"
. "$top_srcdir/tests/lib/check.sh"
kc_slapd_require
kc_pam_init
kc_slapd_start || exit 1
kc_kcd_start || exit 1
kc_pam_service kc-sshd "socket=$KC_KCD_SOCKET timeout=30"
kc_pam_service kc-web "socket=$KC_KCD_SOCKET timeout=30 tan=inline"
# PAM_IGNORE lets the stack go on: pam_permit after it then decides. A
# stack of only ignored modules would fail (libpam: PAM_PERM_DENIED).
for opt in ignore_unknown_user ignore_authinfo_unavail; do
  kc_pam_service_raw "kc-$opt" \
"auth [success=done ignore=ignore default=die] @MODULE@ socket=$KC_KCD_SOCKET $opt
auth required pam_permit.so"
done

dn=uid=mmuster,ou=accounts,$KC_LDAP_BASE
failures() { # DN -> number of pwdFailureTime values
  kc_ldap_admin ldapsearch -LLL -b "$1" -s base pwdFailureTime |
    grep -c '^pwdFailureTime:'
}
ms_of() { # STEP OUTPUT -> elapsed ms of that step
  sed -n "s/^$1=[A-Z_]* ms=\([0-9]*\).*/\1/p" <<<"$2" | head -n 1
}

# --- right password, both conversations
kc_check "sshd: right password -> auth and acct succeed" \
  kc_pamtest --service kc-sshd --user mmuster --conv sshd \
  --answer "$KC_PW_MMUSTER" --steps auth,acct,setcred \
  --expect auth=PAM_SUCCESS,acct=PAM_SUCCESS,setcred=PAM_SUCCESS
kc_check "apache: right password -> success" \
  kc_pamtest --service kc-web --user mmuster --conv apache \
  --answer "$KC_PW_MMUSTER" --steps auth,acct \
  --expect auth=PAM_SUCCESS,acct=PAM_SUCCESS

# --- wrong password: PAM_AUTH_ERR, and slapd counts the failure
before=$(failures "$dn")
kc_check "sshd: wrong password -> PAM_AUTH_ERR" \
  kc_pamtest --service kc-sshd --user mmuster --conv sshd \
  --answer "Falsches-Passwort-1" --steps auth --expect auth=PAM_AUTH_ERR
after=$(failures "$dn")
if ((after == before + 1)); then
  kc_pass "ppolicy failure count rose from $before to $after"
else
  kc_fail "ppolicy failure count: before $before, after $after"
fi
kc_check "apache: wrong password -> PAM_AUTH_ERR" \
  kc_pamtest --service kc-web --user mmuster --conv apache \
  --answer "Falsches-Passwort-2" --steps auth --expect auth=PAM_AUTH_ERR

# --- unknown user: the same code, and comparable time (dummy argon2 work)
kc_check "sshd: unknown user -> PAM_AUTH_ERR" \
  kc_pamtest --service kc-sshd --user niemand --conv sshd \
  --answer "Falsches-Passwort-3" --steps auth --expect auth=PAM_AUTH_ERR
# Timing: interleaved samples so both see the same machine load. A fast
# path would answer in about 1 ms; a real bind costs slapd's argon2 work,
# and an unknown user costs kcd's dummy argon2 verification. The bound is
# loose on purpose (tests may run in parallel): it catches a fast path.
unknown_ms=0
wrong_ms=0
for i in 1 2 3; do
  out=$(kc_pamtest --service kc-sshd --user "niemand$i" --conv sshd \
    --answer "Falsches-Passwort-$i" --steps auth 2>&1)
  unknown_ms=$((unknown_ms + $(ms_of auth "$out")))
  # (another account, so mmuster stays below the lockout of 5 failures)
  out=$(kc_pamtest --service kc-sshd --user etan --conv sshd \
    --answer "Falsches-Passwort-$i" --steps auth 2>&1)
  wrong_ms=$((wrong_ms + $(ms_of auth "$out")))
done
if ((unknown_ms * 4 >= wrong_ms)); then
  kc_pass "unknown users took ${unknown_ms} ms, wrong passwords ${wrong_ms} ms (3 each)"
else
  kc_fail "unknown users took ${unknown_ms} ms, wrong passwords ${wrong_ms} ms (3 each)"
fi
kc_check "a correct login clears the failure count" \
  kc_pamtest --service kc-sshd --user mmuster --conv sshd \
  --answer "$KC_PW_MMUSTER" --steps auth --expect auth=PAM_SUCCESS
kc_check "ignore_unknown_user: PAM_IGNORE, the next module decides" \
  kc_pamtest --service kc-ignore_unknown_user --user niemand --conv sshd \
  --answer x-y-z-x-y-z --steps auth --expect auth=PAM_SUCCESS
kc_check "ignore_unknown_user: a known user's wrong password still fails" \
  kc_pamtest --service kc-ignore_unknown_user --user mmuster --conv sshd \
  --answer x-y-z-x-y-z --steps auth --expect auth=PAM_AUTH_ERR

# --- locked account: denied. slapd says "locked" whatever the password;
#     saying so would tell a guesser that the name exists, so the login
#     fails like a wrong password, and the account step says "locked".
kc_check "sshd: locked account -> PAM_AUTH_ERR, like a wrong password" \
  kc_pamtest --service kc-sshd --user gesperrt --conv sshd \
  --answer "$KC_PW_GESPERRT" --steps auth --expect auth=PAM_AUTH_ERR
locked_msg=$(grep '^conv: ERROR_MSG' <<<"$KC_OUT")
locked_ms=$(ms_of auth "$KC_OUT")
kc_check "sshd: a wrong password, for comparison" \
  kc_pamtest --service kc-sshd --user mmuster --conv sshd \
  --answer "Falsches-Passwort-4" --steps auth --expect auth=PAM_AUTH_ERR
wrong_msg=$(grep '^conv: ERROR_MSG' <<<"$KC_OUT")
wrong_ms=$(ms_of auth "$KC_OUT")
# slapd refuses a locked account at once; kcd does the argon2 work a wrong
# password costs (the same loose bound as for unknown users above)
if ((locked_ms * 4 >= wrong_ms)); then
  kc_pass "  as slow: locked ${locked_ms} ms, wrong password ${wrong_ms} ms"
else
  kc_fail "  locked answered in ${locked_ms} ms, a wrong password in ${wrong_ms} ms"
fi
kc_check "  the locked account gets the text of a wrong password" \
  test -n "$locked_msg" -a "$locked_msg" = "$wrong_msg"
kc_check_grep "  kcd's log keeps the reason" 'AUTH AUTH_ERR; user=gesperrt .* note=locked' \
  cat "$KC_KCD_LOG"
kc_check "account only (Require pam-account): locked -> PAM_PERM_DENIED" \
  kc_pamtest --service kc-web --user gesperrt --conv apache --steps acct \
  --expect acct=PAM_PERM_DENIED

# --- must change: auth ok, acct NEW_AUTHTOK_REQD, chauthtok, then only
#     the new password works. neukunde is provisioned (kcFirstLogin): that
#     is finished on the web (test_pam_chauthtok.sh); here an account whose
#     first login is done and whose password an admin reset (pwdReset).
kc_ldap_admin ldapmodify >/dev/null <<EOF || exit 1
dn: uid=neukunde,ou=accounts,$KC_LDAP_BASE
changetype: modify
delete: kcFirstLogin
EOF
new_pw="Ganz-neues-Passwort-$RANDOM"
kc_check "pwdReset: auth ok, acct must change, chauthtok ok" \
  kc_pamtest --service kc-sshd --user neukunde --conv sshd \
  --answer "$KC_PW_NEUKUNDE" --answer "$new_pw" --answer "$new_pw" \
  --steps auth,acct,chauthtok \
  --expect auth=PAM_SUCCESS,acct=PAM_NEW_AUTHTOK_REQD,chauthtok=PAM_SUCCESS
kc_check "after chauthtok: the new password works, account ok" \
  kc_pamtest --service kc-sshd --user neukunde --conv sshd \
  --answer "$new_pw" --steps auth,acct \
  --expect auth=PAM_SUCCESS,acct=PAM_SUCCESS
kc_check "after chauthtok: the old password fails" \
  kc_pamtest --service kc-sshd --user neukunde --conv sshd \
  --answer "$KC_PW_NEUKUNDE" --steps auth --expect auth=PAM_AUTH_ERR
kc_check_grep "pwdReset is gone from the entry" '^dn:' \
  kc_ldap_admin ldapsearch -LLL -b "uid=neukunde,ou=accounts,$KC_LDAP_BASE" \
  -s base '(!(pwdReset=TRUE))' dn
kc_check "chauthtok refuses a too short new password" \
  kc_pamtest --service kc-sshd --user mmuster --conv sshd \
  --answer "$KC_PW_MMUSTER" --answer "$KC_PW_MMUSTER" --answer kurz \
  --answer kurz --steps auth,chauthtok --expect auth=PAM_SUCCESS,chauthtok=PAM_AUTHTOK_ERR

# --- pamtester, as an admin would try it (pam_wrapper reads the service)
if command -v pamtester >/dev/null; then
  # pamtester is not instrumented: a sanitizer build of the module needs
  # the sanitizer runtimes preloaded first.
  . "$top_srcdir/tests/lib/apache.sh"
  preload="$(kc_apache__sanitizer_libs "$KC_PAM_MODULE") libpam_wrapper.so"
  kc_check_grep "pamtester logs mmuster in" 'successfully authenticated' \
    env LD_PRELOAD="${preload# }" ASAN_OPTIONS=detect_leaks=0 PAM_WRAPPER=1 \
    PAM_WRAPPER_SERVICE_DIR="$KC_PAM_DIR" \
    pamtester kc-sshd mmuster authenticate acct_mgmt <<<"$KC_PW_MMUSTER"
else
  kc_fail "pamtester is not installed"
fi

# --- kcd stopped: PAM_AUTHINFO_UNAVAIL at once, or PAM_IGNORE by option
kc_kcd_stop
kc_check "kcd down -> PAM_AUTHINFO_UNAVAIL" \
  kc_pamtest --service kc-sshd --user mmuster --conv sshd \
  --answer "$KC_PW_MMUSTER" --steps auth --expect auth=PAM_AUTHINFO_UNAVAIL
kc_check "kcd down with ignore_authinfo_unavail: PAM_IGNORE, next decides" \
  kc_pamtest --service kc-ignore_authinfo_unavail --user mmuster --conv sshd \
  --answer "$KC_PW_MMUSTER" --steps auth --expect auth=PAM_SUCCESS
kc_done
