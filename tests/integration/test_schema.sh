#!/bin/bash
#
# test_schema.sh: schema/kundencenter.schema and schema/kundencenter.ldif
# are valid, load into slapd in both forms, and say the same thing.
#
#   1. house rules: every item has a DESC, a kc name and an OID under our
#      arc; no OID or name twice
#   2. slaptest accepts a slapd.conf with core, cosine, inetorgperson and
#      kundencenter.schema
#   3. both files define the same names, OIDs and (whitespace aside)
#      definitions
#   4. the .ldif loads into a running slapd's cn=config over ldap://, and
#      entries using it can then be added and found with its matching rules
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

ARC=2.25.298581850738742009071846722891413041218
SCHEMA=$top_srcdir/schema/kundencenter.schema
LDIF=$top_srcdir/schema/kundencenter.ldif

work=$(mktemp -d "${TMPDIR:-/tmp}/kc-schema.XXXXXX") || exit 99
kc_cleanup_add "rm -rf -- '$work'"

# defs_from_schema FILE: one line per definition, "AT (...)" or "OC (...)",
# comments dropped, continuation lines joined, whitespace collapsed.
defs_from_schema()
{
  awk '
    /^[ \t]*#/ { next }
    /^[ \t]*$/ { flush(); next }
    tolower($1) == "attributetype" || tolower($1) == "objectclass" {
      flush()
      kind = (tolower($1) == "attributetype") ? "AT" : "OC"
      sub(/^[^ \t]+[ \t]+/, "")
      cur = $0
      next
    }
    /^[ \t]/ { if (cur != "") cur = cur " " $0; next }
    { flush() }
    function flush() {
      if (cur != "") { gsub(/[ \t]+/, " ", cur); print kind " " cur }
      cur = ""
    }
    END { flush() }
  ' "$1"
}

# defs_from_ldif FILE: the same from olcAttributeTypes/olcObjectClasses
# values (LDIF unfolded, "{N}" ordering prefixes dropped).
defs_from_ldif()
{
  awk '
    /^#/ { next }
    /^ / { line = line substr($0, 2); next }
    { if (line != "") emit(line); line = $0 }
    END { if (line != "") emit(line) }
    function emit(l,   kind) {
      if (l ~ /^olcAttributeTypes:/) kind = "AT"
      else if (l ~ /^olcObjectClasses:/) kind = "OC"
      else return
      sub(/^[A-Za-z]+:[ \t]*/, "", l)
      sub(/^\{[0-9]+\}/, "", l)
      gsub(/[ \t]+/, " ", l)
      print kind " " l
    }
  ' "$1"
}

# names_oids: "KIND OID NAME" for each definition on stdin.
names_oids()
{
  sed -E "s/^(AT|OC) \( ([0-9.]+) NAME '([^']+)'.*/\1 \2 \3/"
}

echo "# 1. house rules"
defs_from_schema "$SCHEMA" | sort >"$work/schema.defs"
defs_from_ldif "$LDIF" | sort >"$work/ldif.defs"
names_oids <"$work/schema.defs" | sort >"$work/schema.names"
names_oids <"$work/ldif.defs" | sort >"$work/ldif.names"

n_at=$(grep -c '^AT ' "$work/schema.defs")
n_oc=$(grep -c '^OC ' "$work/schema.defs")
if ((n_at >= 15 && n_oc == 3)); then
  kc_pass "kundencenter.schema defines $n_at attribute types and $n_oc object classes"
else
  kc_fail "kundencenter.schema defines $n_at attribute types and $n_oc object classes (want >= 15 and 3)"
fi
kc_check_nogrep "every definition has a DESC" . grep -v " DESC '" "$work/schema.defs"
kc_check_nogrep "every definition is named kc... and numbered under $ARC.1 (AT) or .2 (OC)" . \
  grep -vE "^(AT \( $ARC\.1|OC \( $ARC\.2)\.[0-9]+ NAME 'kc[A-Z][A-Za-z]+' " "$work/schema.defs"
kc_check_nogrep "no OID is defined twice" . \
  sh -c "awk '{print \$2}' '$work/schema.names' | sort | uniq -d"
kc_check_nogrep "no name is defined twice" . \
  sh -c "awk '{print tolower(\$3)}' '$work/schema.names' | sort | uniq -d"
for want in kcCustomerNumber kcTanMethod kcRole kcTokenHash kcExpires kcTanHash \
  kcTanExpires kcTanTries kcLanguage kcFirstLogin kcCustomer kcAccount kcRegistration; do
  if grep -q " $want\$" "$work/schema.names"; then
    kc_pass "defines $want"
  else
    kc_fail "defines $want"
  fi
done
kc_check_grep "kcAccount is AUXILIARY and needs kcCustomerNumber" \
  "NAME 'kcAccount' .*AUXILIARY MUST kcCustomerNumber " cat "$work/schema.defs"
kc_check_grep "kcCustomer is STRUCTURAL and needs kcCustomerNumber and mail" \
  "NAME 'kcCustomer' .*STRUCTURAL MUST \( kcCustomerNumber \\$ mail \)" cat "$work/schema.defs"
kc_check_grep "kcRegistration is STRUCTURAL" "NAME 'kcRegistration' .*STRUCTURAL" \
  cat "$work/schema.defs"

echo "# 2. slaptest and the slapd.conf form"
mkdir -p "$work/db" "$work/slapd.d"
cat >"$work/slapd.conf" <<EOF
modulepath $SLAPD_MODULEDIR
moduleload back_mdb
include $KC_SLAPD_SCHEMADIR/core.schema
include $KC_SLAPD_SCHEMADIR/cosine.schema
include $KC_SLAPD_SCHEMADIR/inetorgperson.schema
include $SCHEMA
database mdb
suffix dc=example,dc=org
directory $work/db
EOF
kc_check "slaptest -u accepts core + cosine + inetorgperson + kundencenter.schema" \
  "$SLAPTEST" -u -f "$work/slapd.conf"
kc_check "slaptest converts it to a cn=config directory" \
  "$SLAPTEST" -f "$work/slapd.conf" -F "$work/slapd.d" -n0
kc_check "the converted cn=config holds the kundencenter schema" \
  sh -c "ls '$work'/slapd.d/cn=config/cn=schema/ | grep -q 'kundencenter'"

echo "# 3. the .schema and .ldif forms agree"
kc_check "same names and OIDs in kundencenter.schema and kundencenter.ldif" \
  diff -u "$work/schema.names" "$work/ldif.names"
kc_check "same definitions (whitespace aside) in both files" \
  diff -u "$work/schema.defs" "$work/ldif.defs"

echo "# 4. kundencenter.ldif into a running slapd"
if ! kc_slapd_start --bare; then
  kc_fail "slapd with core schemas only starts"
  kc_done
fi
kc_pass "slapd with core schemas only starts on $KC_LDAP_URI"
kc_check_nogrep "kundencenter schema is not there before" kundencenter \
  kc_ldap_config ldapsearch -LLL -b cn=schema,cn=config -s one dn
kc_check "ldapadd kundencenter.ldif as the cn=config rootdn over ldap://" \
  kc_ldap_config ldapadd -f "$LDIF"
kc_check_grep "cn=schema,cn=config now has cn={N}kundencenter" \
  '^dn: cn=\{[0-9]+\}kundencenter,cn=schema,cn=config' \
  kc_ldap_config ldapsearch -LLL -o ldif-wrap=no -b cn=schema,cn=config -s one dn
kc_ldap_config ldapsearch -LLL -o ldif-wrap=no -b cn=schema,cn=config \
  '(cn=*kundencenter)' olcAttributeTypes olcObjectClasses >"$work/loaded.ldif"
defs_from_ldif "$work/loaded.ldif" | sort >"$work/loaded.defs"
kc_check "slapd holds exactly the definitions of the file" \
  diff -u "$work/ldif.defs" "$work/loaded.defs"
kc_check_grep "cn=Subschema publishes kcAccount" "NAME 'kcAccount'" \
  kc_ldap_anon ldapsearch -LLL -o ldif-wrap=no -b cn=Subschema -s base objectClasses

kc_check "entries using the schema can be added" kc_ldap_admin ldapadd <<EOF
dn: $KC_LDAP_BASE
objectClass: dcObject
objectClass: organization
dc: example
o: Kundencenter

dn: kcCustomerNumber=46075,$KC_LDAP_BASE
objectClass: kcCustomer
kcCustomerNumber: 46075
mail: praxis@muster.example

dn: uid=mmuster,$KC_LDAP_BASE
objectClass: inetOrgPerson
objectClass: kcAccount
uid: mmuster
cn: Max Muster
sn: Muster
personalTitle: Herr
kcCustomerNumber: 46075
kcCustomerNumber: 46077
kcTanMethod: mtan
kcRole: admin
kcFirstLogin: FALSE
kcTanTries: 0
kcTanExpires: 20300101120000Z

dn: kcRegistrationId=r1,$KC_LDAP_BASE
objectClass: kcRegistration
kcRegistrationId: r1
kcTokenHash: 0123abcd
kcExpires: 20300101000000Z
kcCustomerNumber: 46075
mail: praxis@muster.example
EOF
search()
{
  kc_ldap_admin ldapsearch -LLL -b "$KC_LDAP_BASE" "$1" dn
}
kc_check_grep "numericString match ignores spaces: (kcCustomerNumber=46 075)" \
  'dn: kcCustomerNumber=46075' search '(&(objectClass=kcCustomer)(kcCustomerNumber=46 075))'
kc_check_grep "substring filter on kcCustomerNumber" 'dn: uid=mmuster' \
  search '(&(objectClass=kcAccount)(kcCustomerNumber=4607*))'
kc_check_grep "multi-valued kcCustomerNumber finds the account by its second number" \
  'dn: uid=mmuster' search '(kcCustomerNumber=46077)'
kc_check_grep "kcTanMethod matches case-insensitively" 'dn: uid=mmuster' \
  search '(kcTanMethod=MTAN)'
kc_check_grep "kcExpires ordering filter" 'dn: kcRegistrationId=r1' \
  search '(kcExpires<=20301231235959Z)'
kc_check_nogrep "kcExpires ordering filter excludes later entries" 'kcRegistrationId' \
  search '(kcExpires<=20291231235959Z)'
kc_check_grep "kcTanTries integer ordering filter" 'dn: uid=mmuster' \
  search '(kcTanTries<=2)'
kc_check_nogrep "kcTokenHash matches exactly (case counts)" 'kcRegistrationId' \
  search '(kcTokenHash=0123ABCD)'
kc_check_grep "kcTokenHash equality filter" 'dn: kcRegistrationId=r1' \
  search '(kcTokenHash=0123abcd)'
kc_check_grep "kcFirstLogin boolean filter" 'dn: uid=mmuster' search '(kcFirstLogin=FALSE)'
kc_check_grep "kcTanTries takes the RFC 4525 increment (post-read shows 1)" '^kcTanTries: 1$' \
  kc_ldap_admin ldapmodify -e postread=kcTanTries <<EOF
dn: uid=mmuster,$KC_LDAP_BASE
changetype: modify
increment: kcTanTries
kcTanTries: 1
EOF
kc_check_grep "a delete of a stale kcTanTries value fails (compare-and-swap)" 'No such attribute \(16\)' \
  kc_ldap_admin ldapmodify <<EOF
dn: uid=mmuster,$KC_LDAP_BASE
changetype: modify
delete: kcTanTries
kcTanTries: 0
-
add: kcTanTries
kcTanTries: 2
EOF
kc_check_fails "kcTanMethod is single-valued" kc_ldap_admin ldapmodify <<EOF
dn: uid=mmuster,$KC_LDAP_BASE
changetype: modify
add: kcTanMethod
kcTanMethod: email
EOF
kc_check_fails "kcCustomerNumber refuses letters (numericString)" kc_ldap_admin ldapmodify <<EOF
dn: uid=mmuster,$KC_LDAP_BASE
changetype: modify
add: kcCustomerNumber
kcCustomerNumber: 4607x
EOF

kc_slapd_stop
kc_done
