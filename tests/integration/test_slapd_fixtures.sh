#!/bin/bash
#
# test_slapd_fixtures.sh: the private slapd of tests/lib/slapd.sh, built
# from the shipped schema/ files, behaves as kcd relies on:
#
#   - fixture accounts bind or fail as their state says (ppolicy: failure
#     counting, lockout, "must change", service DN not lockable)
#   - kcd's service DN has exactly the rights of schema/acl.ldif
#   - users can bind and change their own password (RFC 3062), nothing else
#   - the schema is enforced
#
# Exit 0 pass, 1 fail, 77 when slapd is not installed.
# Bash is needed; automake may run this with "$(SHELL) script".
if [ -z "${BASH_VERSION:-}" ]; then exec bash "$0" "$@"; fi
set -u

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/lib/slapd.sh
. "$here/../lib/slapd.sh"
# shellcheck source=tests/lib/check.sh
. "$here/../lib/check.sh"

kc_slapd_require
start=$SECONDS
if ! kc_slapd_start; then
  kc_fail "slapd starts with schema, ppolicy, ACLs, base DIT and fixtures"
  kc_done
fi
kc_pass "slapd starts with schema, ppolicy, ACLs, base DIT and fixtures ($((SECONDS - start)) s, $KC_LDAP_URI)"

B=$KC_LDAP_BASE
A=ou=accounts,$B
MM=uid=mmuster,$A

# as NAME PASSWORD TOOL ARGS...: LDAP tool bound as uid=NAME,ou=accounts.
as()
{
  local name=$1 pw=$2
  shift 2
  kc_ldap_as "uid=$name,$A" "$pw" "$@"
}

# admin_get DN ATTR...: the attributes of one entry, read as the rootdn.
admin_get()
{
  local dn=$1
  shift
  kc_ldap_admin ldapsearch -LLL -o ldif-wrap=no -b "$dn" -s base '(objectClass=*)' "$@"
}

# stored_password DN: the userPassword value, base64 decoded when needed,
# NUL bytes shown as \0.
stored_password()
{
  local line
  line=$(admin_get "$1" userPassword | grep '^userPassword:')
  case "$line" in
    userPassword::*) printf '%s' "${line#userPassword:: }" | base64 -d | od -An -c |
      tr -d ' \n' ;;
    *) printf '%s' "${line#userPassword: }" ;;
  esac
}

echo "# binds and the password policy"
kc_check_grep "mmuster binds with its password" "^dn:$MM\$" \
  as mmuster "$KC_PW_MMUSTER" ldapwhoami
kc_check_grep "mmuster with a wrong password: invalid credentials" 'Invalid credentials \(49\)' \
  as mmuster wrong-password ldapwhoami
kc_check_grep "the failure is recorded in pwdFailureTime (read as rootdn)" '^pwdFailureTime: ' \
  admin_get "$MM" pwdFailureTime
as mmuster "$KC_PW_MMUSTER" ldapwhoami >/dev/null 2>&1
kc_check_nogrep "a successful bind clears pwdFailureTime" '^pwdFailureTime' \
  admin_get "$MM" pwdFailureTime
kc_check_grep "neukunde (pwdReset) binds; the ppolicy control says must change" \
  'Password must be changed' as neukunde "$KC_PW_NEUKUNDE" ldapwhoami -e ppolicy
kc_check_nogrep "mmuster's bind carries no ppolicy warning" 'must be changed|locked|expire' \
  as mmuster "$KC_PW_MMUSTER" ldapwhoami -e ppolicy
kc_check_grep "... and succeeds" '^dn:uid=mmuster' printf '%s\n' "$KC_OUT"
kc_check_grep "gesperrt (pwdAccountLockedTime) cannot bind: account locked" \
  'Invalid credentials \(49\); Account locked' as gesperrt "$KC_PW_GESPERRT" ldapwhoami -e ppolicy
kc_check_grep "a locked account says 'locked' to a wrong password too" \
  'Invalid credentials \(49\); Account locked' as gesperrt wrong-password ldapwhoami -e ppolicy
for i in 1 2 3 4 5; do
  as etan "wrong-$i" ldapwhoami >/dev/null 2>&1
done
kc_check_grep "five wrong passwords lock etan (pwdMaxFailure 5)" '^pwdAccountLockedTime: ' \
  admin_get "uid=etan,$A" pwdAccountLockedTime
kc_check_grep "etan's right password is now refused: account locked" 'Account locked' \
  as etan "$KC_PW_ETAN" ldapwhoami -e ppolicy
# The service policy records no failures, so these may run in parallel
# (wait for these only: slapd is a child of this shell too).
pids=()
for i in 1 2 3 4 5 6; do
  kc_ldap_as "$KC_KCD_DN" "wrong-$i" ldapwhoami >/dev/null 2>&1 &
  pids+=($!)
done
wait "${pids[@]}"
kc_check_grep "kcd's service DN is not locked by six wrong passwords" "^dn:$KC_KCD_DN\$" \
  kc_ldap_kcd ldapwhoami
kc_check_grep "kcd.pw is mode 0600" '^600$' stat -c %a "$KC_KCD_PW_FILE"
kc_check_grep "fixture passwords are kc-pwhash's argon2id hashes" \
  '^\{ARGON2\}\$argon2id\$v=19\$m=65536,t=2,p=1\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+$' \
  stored_password "uid=gesperrt,$A"

echo "# kcd's service DN"
kc_check_grep "kcd searches the whole DIT and sees the base entry (health check)" "^dn: $B\$" \
  kc_ldap_kcd ldapsearch -LLL -o ldif-wrap=no -b "$B" '(objectClass=*)' \
  '*' entryUUID pwdAccountLockedTime userPassword
kcd_view=$KC_OUT
kcd_sees()
{
  printf '%s\n' "$kcd_view"
}
kc_check_grep "... customer 46075 ..." '^dn: kcCustomerNumber=46075,ou=customers' kcd_sees
kc_check_grep "... with its contact address" '^mail: praxis@muster.example$' kcd_sees
kc_check_grep "... accounts with their ppolicy state" '^pwdAccountLockedTime: 000001010000Z$' kcd_sees
kc_check_grep "... their entryUUID" '^entryUUID: ' kcd_sees
kc_check_grep "... the registrations" "^dn: ou=registrations,$B\$" kcd_sees
kc_check_grep "... the default policy" '^pwdMaxFailure: 5$' kcd_sees
kc_check_nogrep "... no userPassword value" '^userPassword' kcd_sees
kc_check_nogrep "... nothing of ou=services, not even its own entry" 'ou=services' kcd_sees
kc_check_grep "kcd cannot compare userPassword" 'Insufficient access' \
  kc_ldap_kcd ldapcompare "$MM" "userPassword:$KC_PW_MMUSTER"
kc_check "kcd adds a registration" kc_ldap_kcd ldapadd <<EOF
dn: kcRegistrationId=Zq3xR7,ou=registrations,$B
objectClass: kcRegistration
kcRegistrationId: Zq3xR7
kcTokenHash: 5f2b8c0e9d
kcExpires: 20300101000000Z
kcCustomerNumber: 46077
mail: kontakt@zahnarzt-beispiel.example
kcLanguage: de
EOF
kc_check_grep "kcd finds it by token hash" '^dn: kcRegistrationId=Zq3xR7' \
  kc_ldap_kcd ldapsearch -LLL -b "ou=registrations,$B" '(kcTokenHash=5f2b8c0e9d)' 1.1
kc_check "kcd deletes it" kc_ldap_kcd ldapdelete "kcRegistrationId=Zq3xR7,ou=registrations,$B"
kc_check "kcd adds, changes and deletes a customer" kc_ldap_kcd ldapmodify -a <<EOF
dn: kcCustomerNumber=99001,ou=customers,$B
objectClass: kcCustomer
kcCustomerNumber: 99001
mail: alt@kunde.example

dn: kcCustomerNumber=99001,ou=customers,$B
changetype: modify
replace: mail
mail: neu@kunde.example

dn: kcCustomerNumber=99001,ou=customers,$B
changetype: delete
EOF
prov_pw='Vorlaeufig-Prov-12'
prov_hash=$(printf '%s\n' "$prov_pw" | "$KC_PWHASH")
kc_check "kcd provisions an account (argon2id hash, pwdReset, kcFirstLogin)" \
  kc_ldap_kcd ldapadd <<EOF
dn: uid=prov,$A
objectClass: inetOrgPerson
objectClass: kcAccount
uid: prov
cn: Paula Prov
sn: Prov
mail: p.prov@muster.example
kcCustomerNumber: 46077
kcTanMethod: none
kcRole: admin
kcFirstLogin: TRUE
userPassword: $prov_hash
pwdReset: TRUE
EOF
kc_check_grep "the provisioned account binds and must change its password" \
  'Password must be changed' as prov "$prov_pw" ldapwhoami -e ppolicy
kc_check "kcd renames it (modrdn uid=prov -> uid=paula)" \
  kc_ldap_kcd ldapmodrdn -r "uid=prov,$A" uid=paula
kc_check_grep "the renamed account binds under its new name" "^dn:uid=paula,$A\$" \
  as paula "$prov_pw" ldapwhoami
kc_check "kcd writes a new password hash without pwdReset" kc_ldap_kcd ldapmodify <<EOF
dn: uid=paula,$A
changetype: modify
replace: userPassword
userPassword: $prov_hash
EOF
kc_check_nogrep "slapd 2.5: a password kcd writes clears pwdReset (kcd is no password admin)" \
  '^pwdReset' admin_get "uid=paula,$A" pwdReset
kc_check "kcd deletes the account" kc_ldap_kcd ldapdelete "uid=paula,$A"
tmp_hash=$(printf '%s\n' 'Neu-Gesetzt-Temp-13' | "$KC_PWHASH")
kc_check "kcd resets mtan's password with pwdReset: TRUE in the same modify" \
  kc_ldap_kcd ldapmodify <<EOF
dn: uid=mtan,$A
changetype: modify
replace: userPassword
userPassword: $tmp_hash
-
replace: pwdReset
pwdReset: TRUE
EOF
kc_check_grep "mtan binds with the reset password and must change it" \
  'Password must be changed' as mtan 'Neu-Gesetzt-Temp-13' ldapwhoami -e ppolicy
kc_check "kcd disables mtan (pwdEndTime in the past)" kc_ldap_kcd ldapmodify <<EOF
dn: uid=mtan,$A
changetype: modify
replace: pwdEndTime
pwdEndTime: 20000101000000Z
EOF
kc_check_grep "a disabled account's bind is refused (ppolicy says locked)" 'Account locked' \
  as mtan 'Neu-Gesetzt-Temp-13' ldapwhoami -e ppolicy
kc_check "kcd unlocks etan (deletes pwdAccountLockedTime)" kc_ldap_kcd ldapmodify <<EOF
dn: uid=etan,$A
changetype: modify
delete: pwdAccountLockedTime
EOF
kc_check_nogrep "unlocking also cleared pwdFailureTime" '^pwd(FailureTime|AccountLockedTime)' \
  admin_get "uid=etan,$A" pwdFailureTime pwdAccountLockedTime
kc_check_grep "etan binds again" "^dn:uid=etan,$A\$" as etan "$KC_PW_ETAN" ldapwhoami
kc_check "kcd locks etan (pwdAccountLockedTime: 000001010000Z)" kc_ldap_kcd ldapmodify <<EOF
dn: uid=etan,$A
changetype: modify
replace: pwdAccountLockedTime
pwdAccountLockedTime: 000001010000Z
EOF
kc_check_grep "etan is locked again" 'Account locked' as etan "$KC_PW_ETAN" ldapwhoami -e ppolicy
kc_check_grep "kcd cannot change the password policy" 'Insufficient access' \
  kc_ldap_kcd ldapmodify <<EOF
dn: cn=default,ou=policies,$B
changetype: modify
replace: pwdMaxFailure
pwdMaxFailure: 1000
EOF
kc_check_grep "kcd cannot add entries outside its subtrees" 'Insufficient access' \
  kc_ldap_kcd ldapadd <<EOF
dn: ou=other,$B
objectClass: organizationalUnit
ou: other
EOF
kc_check_grep "kcd cannot read cn=config" 'No such object \(32\)' \
  kc_ldap_kcd ldapsearch -LLL -b cn=config -s base 1.1

echo "# users"
# An account reads its own userPassword and nothing else of its entry
# (kcd's hash upgrades); it cannot search on any attribute, so only the
# always-true filter (&) finds the entry.
kc_check_nogrep "mmuster cannot search its own entry by objectClass" '^dn:' \
  as mmuster "$KC_PW_MMUSTER" ldapsearch -LLL -b "$MM" -s base '(objectClass=*)'
own=$(as mmuster "$KC_PW_MMUSTER" ldapsearch -LLL -o ldif-wrap=no -b "$MM" \
  -s base '(&)' '*' '+')
kc_check "mmuster reads its own userPassword and nothing else of its entry" \
  test "$(printf '%s\n' "$own" | sed -n 's/^\([A-Za-z]*\)::\{0,1\} .*/\1/p' |
    tr '\n' ' ')" = "dn userPassword "
kc_check_nogrep "mmuster cannot read another account's userPassword" '^userPassword' \
  as mmuster "$KC_PW_MMUSTER" ldapsearch -LLL -b "uid=etan,$A" -s base '(&)' userPassword
kc_check_nogrep "kcd cannot read a userPassword" '^userPassword' \
  kc_ldap_kcd ldapsearch -LLL -b "$MM" -s base '(&)' userPassword
kc_check_grep "mmuster finds nothing searching the whole tree" 'No such object \(32\)' \
  as mmuster "$KC_PW_MMUSTER" ldapsearch -LLL -b "$B" '(objectClass=*)' 1.1
kc_check_grep "mmuster cannot compare its own password" 'Insufficient access|No such object' \
  as mmuster "$KC_PW_MMUSTER" ldapcompare "$MM" "userPassword:$KC_PW_MMUSTER"
kc_check_grep "mmuster cannot change its own kcRole" 'Insufficient access' \
  as mmuster "$KC_PW_MMUSTER" ldapmodify <<EOF
dn: $MM
changetype: modify
replace: kcRole
kcRole: user
EOF
kc_check_grep "mmuster cannot lock another account" 'Insufficient access' \
  as mmuster "$KC_PW_MMUSTER" ldapmodify <<EOF
dn: uid=mtan,$A
changetype: modify
replace: pwdAccountLockedTime
pwdAccountLockedTime: 000001010000Z
EOF
kc_check_fails "neukunde cannot clear its own pwdReset" \
  as neukunde "$KC_PW_NEUKUNDE" ldapmodify <<EOF
dn: uid=neukunde,$A
changetype: modify
delete: pwdReset
EOF
kc_check_grep "anonymous search finds nothing" 'No such object \(32\)' \
  kc_ldap_anon ldapsearch -LLL -b "$B" '(objectClass=*)' 1.1
kc_check_grep "anonymous can read the root DSE" "^namingContexts: $B\$" \
  kc_ldap_anon ldapsearch -LLL -b '' -s base namingContexts

echo "# password change by the user (RFC 3062)"
new_pw='Neues-Pferd-43-Batterie'
kc_check_grep "a wrong old password is refused" 'unwilling to verify old password' \
  as mmuster "$KC_PW_MMUSTER" ldappasswd -a wrong-old-password -s "$new_pw"
kc_check "mmuster changes its password with ldappasswd -a OLD -s NEW" \
  as mmuster "$KC_PW_MMUSTER" ldappasswd -a "$KC_PW_MMUSTER" -s "$new_pw"
kc_check_grep "mmuster binds with the new password" "^dn:$MM\$" as mmuster "$new_pw" ldapwhoami
kc_check_grep "the old password no longer works" 'Invalid credentials' \
  as mmuster "$KC_PW_MMUSTER" ldapwhoami
kc_check_grep "slapd stored an {ARGON2} hash" '^\{ARGON2\}\$argon2(i|id)\$v=19\$m=65536,t=2,p=1\$' \
  stored_password "$MM"
kc_check_grep "the previous password went into pwdHistory" '^pwdHistory: ' \
  admin_get "$MM" pwdHistory
kc_check_nogrep "kcd cannot read pwdHistory (old hashes)" '^pwdHistory' \
  kc_ldap_kcd ldapsearch -LLL -b "$MM" -s base '(&)' pwdHistory
kc_check_grep "kcd reads pwdChangedTime (set by the change)" '^pwdChangedTime: ' \
  kc_ldap_kcd ldapsearch -LLL -b "$MM" -s base '(&)' pwdChangedTime
kc_check_grep "changing back to a password in the history is refused" \
  'Password is in history of old passwords' \
  as mmuster "$new_pw" ldappasswd -a "$new_pw" -s "$KC_PW_MMUSTER"
kc_check "neukunde changes its password" \
  as neukunde "$KC_PW_NEUKUNDE" ldappasswd -a "$KC_PW_NEUKUNDE" -s 'Endgueltig-Passwort-8'
kc_check_nogrep "that cleared pwdReset" '^pwdReset' admin_get "uid=neukunde,$A" pwdReset
kc_check_nogrep "neukunde's bind no longer says must change" 'must be changed' \
  as neukunde 'Endgueltig-Passwort-8' ldapwhoami -e ppolicy
kc_check_grep "... and succeeds" "^dn:uid=neukunde,$A\$" printf '%s\n' "$KC_OUT"

echo "# schema enforcement"
kc_check_grep "a kcCustomer without mail is rejected" 'Object class violation \(65\)' \
  kc_ldap_admin ldapadd <<EOF
dn: kcCustomerNumber=99002,ou=customers,$B
objectClass: kcCustomer
kcCustomerNumber: 99002
EOF
kc_check_grep "a kcAccount without kcCustomerNumber is rejected" 'Object class violation \(65\)' \
  kc_ldap_admin ldapadd <<EOF
dn: uid=ohne,$A
objectClass: inetOrgPerson
objectClass: kcAccount
uid: ohne
cn: Ohne Nummer
sn: Nummer
EOF
kc_check_grep "kcRole takes one value only" 'multiple values|Constraint violation' \
  kc_ldap_admin ldapmodify <<EOF
dn: $MM
changetype: modify
add: kcRole
kcRole: user
EOF
kc_check_grep "a kcRegistration needs a token hash and expiry" 'Object class violation \(65\)' \
  kc_ldap_kcd ldapadd <<EOF
dn: kcRegistrationId=unvollstaendig,ou=registrations,$B
objectClass: kcRegistration
kcRegistrationId: unvollstaendig
kcCustomerNumber: 46075
mail: praxis@muster.example
EOF

pid=$KC_SLAPD_PID
dir=$KC_SLAPD_DIR
kc_slapd_stop
if kill -0 "$pid" 2>/dev/null || [[ -e "$dir" ]]; then
  kc_fail "kc_slapd_stop ends slapd and removes its directory"
else
  kc_pass "kc_slapd_stop ends slapd and removes its directory"
fi
echo "# $((SECONDS - start)) s"
kc_done
