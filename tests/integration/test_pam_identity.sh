#!/usr/bin/env bash
# Identity for the portal (DESIGN section 11): after a successful
# pam_authenticate through the built module, real libpam, the real kcd and
# the private slapd, the handle's PAM environment names the account:
# KC_USER (as LDAP spells it), KC_CUSTOMERS (every customer number, sorted;
# mmuster gets a second one with ldapmodify as the admin), KC_ROLE,
# KC_TAN_METHOD, still there once the session is open. A failed authentication leaves none of them, also on a
# handle where an earlier one passed. On the wire: only successes of AUTH
# and TAN carry the identity, never ACCT or a refusal, and a TAN_REQUIRED
# only the method it asks for; a request of protocol version 2 gets a
# VERSION error in a version 4 header.
set -u
. "$top_srcdir/tests/lib/slapd.sh"
. "$top_srcdir/tests/lib/kcd.sh"
. "$top_srcdir/tests/lib/pam.sh"
. "$top_srcdir/tests/lib/sinks.sh"
. "$top_srcdir/tests/lib/check.sh"
kc_slapd_require
kc_pam_init
kc_slapd_start || exit 1
kc_kcd_start || exit 1
kc_pam_service kc-sshd "socket=$KC_KCD_SOCKET timeout=30"
kc_pam_service kc-web "socket=$KC_KCD_SOCKET timeout=30 tan=inline"
B=$KC_LDAP_BASE
tan_cmd="$KC_PY $top_srcdir/tests/tools/tan_from.py mail $KC_MAILDIR"

# env_of OUTPUT [N]: the KC_* lines of the N-th "env" step (default 1),
# sorted, joined by blanks; "(none)" when that step printed no KC_ line.
env_of() {
  local r
  r=$(awk -v want="${2:-1}" '
    /^env=/ { n++ }
    /^env: / && n == want - 1 { if ($2 ~ /^KC_/) print $2 }
  ' <<<"$1" | sort | tr '\n' ' ' | sed 's/ $//')
  echo "${r:-(none)}"
}
# (kc-pamtest prints a step's "env: ..." lines before its "env=CODE" line)

# --- mmuster gets a second customer number, as an admin would add it
kc_check "admin adds customer 46077 to mmuster" \
  kc_ldap_admin ldapmodify <<EOF
dn: uid=mmuster,ou=accounts,$B
changetype: modify
add: kcCustomerNumber
kcCustomerNumber: 46077
EOF

# --- a login typed in other case: the canonical name, both customers
kc_check "sshd: MMuster with the right password -> success" \
  kc_pamtest --service kc-sshd --user MMuster --conv sshd \
  --answer "$KC_PW_MMUSTER" --steps auth,env \
  --expect auth=PAM_SUCCESS,env=PAM_SUCCESS
out=$KC_OUT
kc_check "  KC_USER, KC_CUSTOMERS, KC_ROLE, KC_TAN_METHOD are set" \
  test "$(env_of "$out")" = \
  "KC_CUSTOMERS=46075,46077 KC_ROLE=admin KC_TAN_METHOD=none KC_USER=mmuster"

# --- as sshd and login read them: after the session is open
kc_check "sshd-like: auth, acct, setcred, open session -> success" \
  kc_pamtest --service kc-sshd --user mmuster --conv sshd \
  --answer "$KC_PW_MMUSTER" --steps auth,acct,setcred,open,env,close \
  --expect auth=PAM_SUCCESS,acct=PAM_SUCCESS,setcred=PAM_SUCCESS,open=PAM_SUCCESS
kc_check "  the open session's environment names mmuster" \
  test "$(env_of "$KC_OUT")" = \
  "KC_CUSTOMERS=46075,46077 KC_ROLE=admin KC_TAN_METHOD=none KC_USER=mmuster"

# --- a failed authentication leaves nothing
kc_check "sshd: wrong password -> PAM_AUTH_ERR" \
  kc_pamtest --service kc-sshd --user mmuster --conv sshd \
  --answer "Falsches-Passwort-1" --steps auth,env \
  --expect auth=PAM_AUTH_ERR
kc_check "  and no KC_* variable" test "$(env_of "$KC_OUT")" = "(none)"
kc_check "unknown user -> PAM_AUTH_ERR" \
  kc_pamtest --service kc-sshd --user niemand --conv sshd \
  --answer "Falsches-Passwort-2" --steps auth,env \
  --expect auth=PAM_AUTH_ERR
kc_check "  and no KC_* variable" test "$(env_of "$KC_OUT")" = "(none)"

# --- one handle: a login that passes, then one that fails
kc_check "one handle: right, then wrong password" \
  kc_pamtest --service kc-sshd --user mmuster --conv sshd \
  --answer "$KC_PW_MMUSTER" --answer "Falsches-Passwort-3" \
  --steps auth,env,auth,env --expect 'auth#1=PAM_SUCCESS,auth#2=PAM_AUTH_ERR'
out=$KC_OUT
kc_check "  the first sets KC_USER" \
  test "$(env_of "$out" 1 | tr ' ' '\n' | grep '^KC_USER=')" = KC_USER=mmuster
kc_check "  the second removes every KC_* variable" \
  test "$(env_of "$out" 2)" = "(none)"

# --- emailTAN in prompt mode: set only after the TAN
kc_check "sshd: etan, password and the TAN from the mail -> success" \
  kc_pamtest --service kc-sshd --user etan --conv sshd \
  --answer "$KC_PW_ETAN" --tan-cmd "$tan_cmd" --steps auth,env \
  --expect auth=PAM_SUCCESS
kc_check "  names etan, its customer, role user, method email" \
  test "$(env_of "$KC_OUT")" = \
  "KC_CUSTOMERS=46075 KC_ROLE=user KC_TAN_METHOD=email KC_USER=etan"
kc_check "sshd: etan, right password, wrong TAN -> PAM_AUTH_ERR" \
  kc_pamtest --service kc-sshd --user etan --conv sshd \
  --answer "$KC_PW_ETAN" --answer 000000 --steps auth,env \
  --expect auth=PAM_AUTH_ERR
kc_check "  and no KC_* variable" test "$(env_of "$KC_OUT")" = "(none)"

# --- tan=inline (mod_authnz_pam): the password alone is not a login
kc_check "apache: etan, password alone -> PAM_CRED_INSUFFICIENT" \
  kc_pamtest --service kc-web --user etan --conv apache \
  --answer "$KC_PW_ETAN" --steps auth,env --expect auth=PAM_CRED_INSUFFICIENT
kc_check "  and no KC_* variable" test "$(env_of "$KC_OUT")" = "(none)"
if tan=$(kc_tan_from mail "$KC_MAILDIR"); then
  kc_check "apache: etan, password+TAN -> success" \
    kc_pamtest --service kc-web --user etan --conv apache \
    --answer "$KC_PW_ETAN$tan" --steps auth,env --expect auth=PAM_SUCCESS
  kc_check "  names etan" test "$(env_of "$KC_OUT")" = \
    "KC_CUSTOMERS=46075 KC_ROLE=user KC_TAN_METHOD=email KC_USER=etan"
else
  kc_fail "apache: no TAN mail for etan in $KC_MAILDIR"
fi

# --- a provisioned account: auth passes (acct says must change); the
# identity is there, since the password is proven
kc_check "sshd: neukunde -> auth success, acct PAM_NEW_AUTHTOK_REQD" \
  kc_pamtest --service kc-sshd --user neukunde --conv sshd \
  --answer "$KC_PW_NEUKUNDE" --steps auth,env,acct \
  --expect auth=PAM_SUCCESS,acct=PAM_NEW_AUTHTOK_REQD
kc_check "  names neukunde" test "$(env_of "$KC_OUT")" = \
  "KC_CUSTOMERS=46075 KC_ROLE=user KC_TAN_METHOD=none KC_USER=neukunde"

# --- no kcRole: a user; customer numbers in numeric order
pw_viel='Viele-Kunden-Konto-2026'
if hash=$(printf '%s\n' "$pw_viel" | "$KC_PWHASH") &&
  kc_ldap_admin ldapadd >"$KC_PAM_TMP/ldapadd.out" 2>&1 <<EOF
dn: uid=vielkunde,ou=accounts,$B
objectClass: inetOrgPerson
objectClass: kcAccount
uid: vielkunde
cn: Vera Viel
sn: Viel
mail: v.viel@muster.example
kcCustomerNumber: 100000
kcCustomerNumber: 9
kcCustomerNumber: 46075
kcTanMethod: none
userPassword: $hash
EOF
then
  kc_check "sshd: vielkunde (three customers, no kcRole) -> success" \
    kc_pamtest --service kc-sshd --user vielkunde --conv sshd \
    --answer "$pw_viel" --steps auth,env --expect auth=PAM_SUCCESS
  kc_check "  customers sorted by number, role user" \
    test "$(env_of "$KC_OUT")" = \
    "KC_CUSTOMERS=9,46075,100000 KC_ROLE=user KC_TAN_METHOD=none KC_USER=vielkunde"
else
  kc_fail "adding the account vielkunde: $(cat "$KC_PAM_TMP/ldapadd.out")"
fi

# --- the wire, spoken directly: who gets the identity
kc_check "on the wire: only successes of AUTH carry it" \
  env PYTHONPATH="$top_srcdir/tests/tools" "$KC_PY" - "$KC_KCD_SOCKET" \
  "$KC_PW_MMUSTER" "$KC_PW_ETAN" <<'PY'
import sys
import kcproto as k

path, pw_mm, pw_etan = sys.argv[1:]
bad = 0


def check(name, got, want):
    global bad
    print("%s %s: got %r want %r" % ("ok  " if got == want else "FAIL", name,
                                     got, want))
    bad += got != want


none = ("", "", "", "")
r = k.call(path, k.auth("mmuster", pw_mm))
check("AUTH OK", (r[2],) + r[6:], ("OK", "mmuster", "46075,46077", "admin",
                                   "none"))
check("AUTH wrong password", k.call(path, k.auth("mmuster", "falsch"))[6:],
      none)
check("ACCT (no password) carries nothing",
      k.call(path, k.acct("mmuster"))[2:3] + k.call(path, k.acct("mmuster"))[6:],
      ("OK",) + none)
r = k.call(path, k.auth("etan", pw_etan))
check("AUTH TAN_REQUIRED names only the method asked for", (r[2],) + r[6:],
      ("TAN_REQUIRED", "", "", "", "email"))
check("CHAUTHTOK verify-only carries nothing",
      k.call(path, k.chauthtok("mmuster", pw_mm, ""))[6:], none)
old = k.message(k.OPS["AUTH"], k.s("mmuster") + k.s(pw_mm) + k.s("t")
                + k.s("") + b"\0\0\0\0", version=2)
r = k.call(path, old)
check("a version 2 request: VERSION error, version 4 header",
      r[:3], (4, k.OPS["ERROR"], "VERSION"))
sys.exit(1 if bad else 0)
PY

# --- kcd's log names no secret; the module's variables hold none either
if grep -qF -e "$KC_PW_MMUSTER" -e "$KC_PW_ETAN" -e "$pw_viel" "$KC_KCD_LOG"; then
  kc_fail "a password appears in kcd's log"
else
  kc_pass "no password in kcd's log"
fi
kc_done
