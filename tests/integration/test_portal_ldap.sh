#!/usr/bin/env bash
# The portal's read-only identity cn=portal,ou=services (schema/acl.ldif,
# schema/base.ldif) against the private slapd built from schema/: it cannot
# bind before the administrator sets its password; then it reads exactly
# uid, cn, givenName, sn, mail, kcCustomerNumber, kcRole, kcTanMethod and
# kcLanguage of accounts and kcCustomerNumber and o of customers, finds an
# account by its login in any case, and sees no password, TAN, reset,
# e-mail confirmation, session or ppolicy state, nothing else in the
# directory, and writes nothing. kcd's and the users' rights stay as they
# were.
set -u
. "$top_srcdir/tests/lib/slapd.sh"
. "$top_srcdir/tests/lib/check.sh"
kc_slapd_require
kc_slapd_start || exit 1
B=$KC_LDAP_BASE
A=ou=accounts,$B
MM=uid=mmuster,$A

# attrs_of TOOL-PREFIX... -- DN: the attribute names of one entry as the
# given identity reads it with * and +, sorted, joined by blanks.
attrs_of() {
  local dn=$1
  shift
  "$@" ldapsearch -LLL -o ldif-wrap=no -b "$dn" -s base '(objectClass=*)' \
    '*' '+' | sed -n 's/^\([A-Za-z][A-Za-z0-9-]*\)::\{0,1\} .*/\1/p' |
    grep -v '^dn$' | sort -u | tr '\n' ' ' | sed 's/ $//'
}
# dns_of ARGS...: the DNs a portal search finds, sorted, joined by blanks.
dns_of() {
  kc_ldap_portal ldapsearch -LLL -o ldif-wrap=no "$@" 1.1 2>/dev/null |
    sed -n 's/^dn: //p' | sort | tr '\n' ' ' | sed 's/ $//'
}

# State a portal must never see, set as the admin (as kcd would write it).
kc_check "admin sets TAN, reset, new-mail and session state on mmuster" \
  kc_ldap_admin ldapmodify <<EOF
dn: $MM
changetype: modify
replace: kcTanHash
kcTanHash: geheim-tan-hash
-
replace: kcTanChallenge
kcTanChallenge: offene-challenge
-
replace: kcTanFailures
kcTanFailures: 1
-
replace: kcResetHash
kcResetHash: geheim-reset-hash
-
replace: kcNewMail
kcNewMail: neu@muster.example
-
replace: kcSessionStamp
kcSessionStamp: stempel-1
EOF

# --- before the administrator sets a password: no bind
KC_PORTAL_DN=cn=portal,ou=services,$B
kc_check_fails "cn=portal cannot bind with the placeholder of base.ldif" \
  kc_ldap_as "$KC_PORTAL_DN" placeholder-set-with-ldappasswd ldapwhoami
kc_check_fails "  nor with its {ARGON2} text" \
  kc_ldap_as "$KC_PORTAL_DN" '{ARGON2}placeholder-set-with-ldappasswd' ldapwhoami

# (not in kc_check: that runs it in a subshell, and it exports)
if kc_ldap_portal_init >"$KC_SLAPD_DIR/portal-init.out" 2>&1; then
  kc_pass "the admin sets its password with ldappasswd"
else
  kc_fail "the admin sets its password with ldappasswd: $(cat "$KC_SLAPD_DIR/portal-init.out")"
fi
kc_check_grep "cn=portal binds" "^dn:cn=portal,ou=services,$B\$" \
  kc_ldap_portal ldapwhoami
kc_check_grep "  under the service-accounts policy (never locked out)" \
  "^pwdPolicySubentry: cn=service-accounts,ou=policies,$B\$" \
  kc_ldap_admin ldapsearch -LLL -b "$KC_PORTAL_DN" -s base pwdPolicySubentry

# --- what it reads of accounts: exactly the nine attributes
want="cn givenName kcCustomerNumber kcLanguage kcRole kcTanMethod mail sn uid"
kc_check "mmuster's entry as the portal reads it: exactly $want" \
  test "$(attrs_of "$MM" kc_ldap_portal)" = "$want"
echo "# admin sees: $(attrs_of "$MM" kc_ldap_admin)"
for dn in "uid=gesperrt,$A" "uid=neukunde,$A" "uid=etan,$A"; do
  got=$(attrs_of "$dn" kc_ldap_portal)
  extra=$(comm -23 <(tr ' ' '\n' <<<"$got" | sort) <(tr ' ' '\n' <<<"$want" | sort))
  kc_check "${dn%%,*}: nothing beyond the nine (got: $got)" test -z "$extra"
done
kc_check_grep "the values are there: mmuster's customer and role" \
  '^kcRole: admin$' kc_ldap_portal ldapsearch -LLL -b "$MM" -s base kcRole
kc_check_grep "a login typed in other case finds the account" \
  "^dn: $MM\$" kc_ldap_portal ldapsearch -LLL -b "$A" \
  '(&(objectClass=kcAccount)(uid=MMuster))' uid

# --- filters on hidden attributes find nothing (no oracle)
for f in '(kcTanHash=*)' '(kcTanChallenge=offene-challenge)' '(kcResetHash=*)' \
  '(kcNewMail=*)' '(kcSessionStamp=*)' '(pwdAccountLockedTime=*)' \
  '(pwdReset=TRUE)' '(userPassword=*)' '(mobile=*)' '(entryUUID=*)'; do
  kc_check "search $f under ou=accounts finds nothing" \
    test -z "$(dns_of -b "$A" "$f")"
done
kc_check_fails "compare of mmuster's userPassword is refused" \
  kc_ldap_portal ldapcompare "$MM" "userPassword:$KC_PW_MMUSTER"
# (ldapcompare exits 6 for TRUE, 5 for FALSE; both would be an answer)
kc_check "  with neither TRUE nor FALSE" test "$KC_RC" -ne 5 -a "$KC_RC" -ne 6

# --- customers: number and name, not the contact address
kc_check "customer 46075 as the portal reads it: kcCustomerNumber o" \
  test "$(attrs_of "kcCustomerNumber=46075,ou=customers,$B" kc_ldap_portal)" = \
  "kcCustomerNumber o"
kc_check_grep "  with the name" '^o: Praxis Dr. Muster$' \
  kc_ldap_portal ldapsearch -LLL -b "ou=customers,$B" '(kcCustomerNumber=46075)' o
kc_check "  and searching by mail finds nothing" \
  test -z "$(dns_of -b "ou=customers,$B" '(mail=praxis@muster.example)')"

# --- nothing else in the directory
for base in "ou=registrations,$B" "ou=policies,$B" "ou=services,$B"; do
  kc_check "nothing readable in $base or under it" \
    test -z "$(dns_of -b "$base" -s sub '(objectClass=*)')"
done
kc_check "the base entry is not readable" \
  test -z "$(dns_of -b "$B" -s base '(objectClass=*)')"
kc_check "not even its own entry" \
  test -z "$(attrs_of "$KC_PORTAL_DN" kc_ldap_portal)"

# --- it writes nothing
kc_check_fails "modify an account's mail: refused" kc_ldap_portal ldapmodify <<EOF
dn: $MM
changetype: modify
replace: mail
mail: umgeleitet@boese.example
EOF
kc_check_fails "set an account's kcRole: refused" kc_ldap_portal ldapmodify <<EOF
dn: uid=etan,$A
changetype: modify
replace: kcRole
kcRole: admin
EOF
kc_check_fails "add a customer number to an account: refused" \
  kc_ldap_portal ldapmodify <<EOF
dn: uid=etan,$A
changetype: modify
add: kcCustomerNumber
kcCustomerNumber: 46077
EOF
kc_check_fails "add an account: refused" kc_ldap_portal ldapadd <<EOF
dn: uid=eindringling,$A
objectClass: inetOrgPerson
objectClass: kcAccount
uid: eindringling
cn: E
sn: E
kcCustomerNumber: 46075
EOF
kc_check_fails "rename a customer: refused" kc_ldap_portal ldapmodify <<EOF
dn: kcCustomerNumber=46077,ou=customers,$B
changetype: modify
replace: o
o: Umbenannt
EOF
kc_check_fails "delete a customer: refused" \
  kc_ldap_portal ldapdelete "kcCustomerNumber=46077,ou=customers,$B"
kc_check_fails "set an account's password: refused" \
  kc_ldap_portal ldappasswd -s Neues-Passwort-fuer-etan "uid=etan,$A"
kc_check_fails "change its own password: refused" \
  kc_ldap_portal ldappasswd -s Anderes-Portal-Passwort
kc_check_grep "after all that, mmuster's mail is unchanged" \
  '^mail: m.muster@muster.example$' \
  kc_ldap_admin ldapsearch -LLL -b "$MM" -s base mail

# --- the rules before and after the portal's keep their meaning
kc_check_grep "kcd still reads mmuster's TAN state" '^kcTanHash: geheim-tan-hash$' \
  kc_ldap_kcd ldapsearch -LLL -b "$MM" -s base kcTanHash
kc_check_grep "kcd still reads entryUUID" '^entryUUID: ' \
  kc_ldap_kcd ldapsearch -LLL -b "$MM" -s base entryUUID
kc_check "kcd still writes an account" kc_ldap_kcd ldapmodify <<EOF
dn: $MM
changetype: modify
replace: kcSessionStamp
kcSessionStamp: stempel-2
EOF
kc_check_grep "kcd still binds" "^dn:cn=kcd,ou=services,$B\$" kc_ldap_kcd ldapwhoami
kc_check "a user still reads nothing, not even its own uid" \
  test -z "$(attrs_of "$MM" kc_ldap_as "$MM" "$KC_PW_MMUSTER")"
kc_check "anonymous finds no account" \
  test -z "$(kc_ldap_anon ldapsearch -LLL -b "$A" '(uid=*)' 1.1 2>/dev/null |
    grep '^dn:')"
kc_done
