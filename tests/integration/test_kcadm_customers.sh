#!/usr/bin/env bash
# kcadm and several customer numbers per account (DESIGN.md §11): account
# add-customer, remove-customer and set-role against the private slapd
# with the shipped schema and ACLs, bound as kcd's service DN: what lands
# in the directory, what `account show` and `account list --customer`
# then say, the refusals (unknown customer, last customer number, last
# admin) and --force, idempotent repeats, usage errors, --json parsed with
# Python, no mail; and parallel demotions of a customer's two admins,
# which must never leave it without one.
set -u
. "$top_srcdir/tests/lib/slapd.sh"
. "$top_srcdir/tests/lib/check.sh"
. "$top_srcdir/tests/lib/kcadm.sh"
kc_slapd_require
kc_kcadm_init

# values DN ATTR: the values of ATTR as the rootdn sees them, sorted, on
# one line.
values() {
  kc_ldap_admin ldapsearch -LLL -o ldif-wrap=no -b "$1" -s base \
    '(objectClass=*)' "$2" | sed -n "s/^$2: //Ip" | sort | tr '\n' ' ' |
    sed 's/ $//'
}
acct_dn() {
  echo "uid=$1,ou=accounts,$KC_LDAP_BASE"
}
# admins_of NUMBER: the user names of the customer's admins, as the
# rootdn sees them, sorted, on one line.
admins_of() {
  kc_ldap_admin ldapsearch -LLL -o ldif-wrap=no -b "ou=accounts,$KC_LDAP_BASE" \
    "(&(objectClass=kcAccount)(kcRole=admin)(kcCustomerNumber=$1))" uid |
    sed -n 's/^uid: //p' | sort | tr '\n' ' ' | sed 's/ $//'
}
# expect_eq DESC WANT CMD...: passes when CMD prints exactly WANT.
expect_eq() {
  local desc=$1 want=$2 got
  shift 2
  got=$("$@" 2>&1)
  if [[ $got == "$want" ]]; then
    kc_pass "$desc"
  else
    kc_fail "$desc: wanted '$want', got '$got'"
  fi
}
dn_mm=$(acct_dn mmuster)
dn_etan=$(acct_dn etan)

# ------------------------------------------------------------ the fixture
expect_eq "fixture: mmuster serves 46075" "46075" \
  values "$dn_mm" kcCustomerNumber
expect_eq "fixture: mmuster is admin" "admin" values "$dn_mm" kcRole
expect_eq "fixture: mmuster is the only admin of 46075" "mmuster" \
  admins_of 46075
expect_eq "fixture: 46077 has no admin" "" admins_of 46077

# ------------------------------------------------------------ usage
kc_check_grep "account --help lists the three commands" \
  'account add-customer USER NUMBER' kcadm account --help
kc_check_grep "... remove-customer" \
  'account remove-customer USER NUMBER \[--force\]' kcadm account --help
kc_check_grep "... set-role" 'account set-role USER admin\|user \[--force\]' \
  kcadm account --help
expect_rc "set-role with a bad role: exit 2" 2 \
  kcadm account set-role mmuster boss
kc_check_grep "... naming the roles" 'role "boss" is not one of admin, user' \
  echo "$KC_OUT"
expect_rc "set-role with a role in capitals: exit 2" 2 \
  kcadm account set-role mmuster ADMIN
expect_rc "add-customer with a bad number: exit 2" 2 \
  kcadm account add-customer mmuster 46O77
expect_rc "add-customer with a bad user name: exit 2" 2 \
  kcadm account add-customer 'mm*' 46077
expect_rc "add-customer without the number: exit 2" 2 \
  kcadm account add-customer mmuster
expect_rc "add-customer takes no --force: exit 2" 2 \
  kcadm account add-customer mmuster 46077 --force
expect_rc "remove-customer with a bad number: exit 2" 2 \
  kcadm account remove-customer mmuster 4607x
expect_rc "a bad role is a usage error with --json too" 2 \
  kcadm --json account set-role mmuster boss

# ------------------------------------------------------------ unknown ones
expect_rc "add-customer for an unknown user: exit 1" 1 \
  kcadm account add-customer niemand 46077
kc_check_grep "... naming it" 'account "niemand" not found' echo "$KC_OUT"
expect_rc "remove-customer for an unknown user: exit 1" 1 \
  kcadm account remove-customer niemand 46075
expect_rc "set-role for an unknown user: exit 1" 1 \
  kcadm account set-role niemand user
kc_check_grep "... naming it" 'account "niemand" not found' echo "$KC_OUT"
kc_check_grep "set-role for an unknown user, --json: error document" \
  '^account "niemand" not found 1$' json 'd["error"], d["status"]' \
  < <(kcadm_out --json account set-role niemand user)
expect_rc "add-customer of an unknown customer: exit 1" 1 \
  kcadm account add-customer mmuster 99999
kc_check_grep "... naming it" 'customer 99999 not found' echo "$KC_OUT"
expect_eq "... and nothing changed" "46075" values "$dn_mm" kcCustomerNumber

# ------------------------------------------------------------ add
kc_check "add-customer 46077 to mmuster" \
  kcadm account add-customer mmuster 46077
kc_check_grep "... says what it did, with the customer's name and the role" \
  '^account mmuster: customer 46077 \(Zahnarztpraxis Beispiel\) added; role admin$' \
  echo "$KC_OUT"
expect_eq "... both numbers are on the account" "46075 46077" \
  values "$dn_mm" kcCustomerNumber
kc_check_grep "account show lists both customers with their names" \
  '^  customers: +46075 \(Praxis Dr\. Muster\), 46077 \(Zahnarztpraxis Beispiel\)$' \
  kcadm account show mmuster
kc_check_grep "... and the role" '^  role: +admin$' echo "$KC_OUT"
kc_check_grep "account show --json: customers with names" \
  "^\[\('46075', 'Praxis Dr. Muster', True\), \('46077', 'Zahnarztpraxis Beispiel', True\)\] \['46075', '46077'\] admin$" \
  json '[(c["number"], c["name"], c["exists"]) for c in d["customers"]], d["customer_numbers"], d["role"]' \
  < <(kcadm_out --json account show mmuster)
kc_check_grep "account list --customer 46077 finds mmuster" \
  '^mmuster +46075,46077 +admin ' kcadm account list --customer 46077
kc_check_grep "account list --customer 46077 --json: only mmuster" \
  "^\['mmuster'\]$" json 'sorted(a["username"] for a in d["accounts"])' \
  < <(kcadm_out --json account list --customer 46077)
kc_check_grep "account list --customer 46075 still finds mmuster" \
  "^True$" json '"mmuster" in [a["username"] for a in d["accounts"]]' \
  < <(kcadm_out --json account list --customer 46075)
kc_check_grep "customer show 46077 lists mmuster" \
  'accounts: +mmuster \(admin\)' kcadm customer show 46077

expect_rc "add-customer a second time: exit 0" 0 \
  kcadm account add-customer mmuster 46077
kc_check_grep "... says nothing changed" \
  '^account mmuster already serves customer 46077 \(Zahnarztpraxis Beispiel\): nothing changed$' \
  echo "$KC_OUT"
expect_eq "... and the number is there once" "46075 46077" \
  values "$dn_mm" kcCustomerNumber
kc_check_grep "add-customer a second time --json: changed false" \
  '^mmuster 46077 Zahnarztpraxis Beispiel admin False \[\]$' \
  json 'd["username"], d["customer_number"], d["name"], d["role"], d["changed"], d["customers_without_admin"]' \
  < <(kcadm_out --json account add-customer mmuster 46077)

# ------------------------------------------------------------ last admin
# mmuster is the only admin of 46077 too now
expect_rc "remove-customer of the last admin of 46077: exit 1" 1 \
  kcadm account remove-customer mmuster 46077
kc_check_grep "... says why and what to do" \
  'account "mmuster" is the last admin of customer 46077: .*--force' \
  echo "$KC_OUT"
expect_eq "... and nothing changed" "46075 46077" \
  values "$dn_mm" kcCustomerNumber
kc_check "etan serves 46077 too" kcadm account add-customer etan 46077
kc_check_grep "... as a user" 'role user$' echo "$KC_OUT"
expect_rc "the only admin is still the last admin when users share it" 1 \
  kcadm account remove-customer mmuster 46077
kc_check "set-role etan admin" kcadm account set-role etan admin
kc_check_grep "... says what it did" '^account etan: role admin \(was user\)$' \
  echo "$KC_OUT"
expect_eq "... and kcRole is admin" "admin" values "$dn_etan" kcRole
kc_check "with a second admin, remove-customer 46077 from mmuster" \
  kcadm account remove-customer mmuster 46077
kc_check_grep "... says what it did" '^account mmuster: customer 46077 removed$' \
  echo "$KC_OUT"
expect_eq "... only 46075 is left" "46075" values "$dn_mm" kcCustomerNumber
kc_check_nogrep "account list --customer 46077 no longer finds mmuster" \
  '^mmuster ' kcadm account list --customer 46077
kc_check_grep "remove-customer again: exit 0, nothing changed" \
  '^account mmuster does not serve customer 46077: nothing changed$' \
  kcadm account remove-customer mmuster 46077
expect_rc "... exit 0" 0 kcadm account remove-customer mmuster 46077

# ------------------------------------------------------------ last number
expect_rc "remove-customer of the only number: exit 1" 1 \
  kcadm account remove-customer mmuster 46075
kc_check_grep "... says why" \
  'customer 46075 is the only customer of account "mmuster": an account needs one' \
  echo "$KC_OUT"
expect_rc "... --force does not change that" 1 \
  kcadm account remove-customer mmuster 46075 --force
expect_eq "... and 46075 stays" "46075" values "$dn_mm" kcCustomerNumber

# ------------------------------------------------------------ set-role
# etan: admin of 46075 and 46077; mmuster: admin of 46075
expect_rc "set-role user on etan, the last admin of 46077: exit 1" 1 \
  kcadm account set-role etan user
kc_check_grep "... naming 46077 only (46075 has mmuster)" \
  'account "etan" is the last admin of customer 46077: ' echo "$KC_OUT"
expect_eq "... etan is still admin" "admin" values "$dn_etan" kcRole
kc_check "remove-customer 46077 from etan (--force: leaves it without admin)" \
  kcadm account remove-customer etan 46077 --force
kc_check_grep "... and says so" \
  '^account etan: customer 46077 removed; customer 46077 has no admin now \(--force\)$' \
  echo "$KC_OUT"
kc_check "set-role user on etan: mmuster stays admin of 46075" \
  kcadm account set-role etan user
expect_eq "... etan is user" "user" values "$dn_etan" kcRole

expect_rc "set-role user on the last admin of 46075: exit 1" 1 \
  kcadm account set-role mmuster user
kc_check_grep "... says why" \
  'account "mmuster" is the last admin of customer 46075: .*--force' \
  echo "$KC_OUT"
expect_eq "... and the role stays" "admin" values "$dn_mm" kcRole
kc_check_grep "the refusal with --json: an error document, status 1" \
  '^1 True$' json 'd["status"], "last admin of customer 46075" in d["error"]' \
  < <(kcadm_out --json account set-role mmuster user)
kc_check_grep "set-role user --force: done, and it says 46075 has no admin" \
  "^mmuster user admin True \['46075'\]$" \
  json 'd["username"], d["role"], d["old_role"], d["changed"], d["customers_without_admin"]' \
  < <(kcadm_out --json account set-role mmuster user --force)
expect_eq "... kcRole is user" "user" values "$dn_mm" kcRole
kc_check "set-role admin back" kcadm account set-role mmuster admin
kc_check_grep "... says what it did" '^account mmuster: role admin \(was user\)$' \
  echo "$KC_OUT"
expect_eq "... kcRole is admin" "admin" values "$dn_mm" kcRole
kc_check_grep "set-role admin again: nothing changed, exit 0" \
  '^account mmuster has the role admin already: nothing changed$' \
  kcadm account set-role mmuster admin
expect_rc "... exit 0" 0 kcadm account set-role mmuster admin

# ------------------------------------------------------------ customer gone
# A number whose customer entry is gone (LDAP keeps no references):
# account show marks it, and it can still be removed.
kc_ldap_admin ldapmodify >/dev/null <<EOF || exit 1
dn: $dn_etan
changetype: modify
add: kcCustomerNumber
kcCustomerNumber: 47999
EOF
kc_check_grep "account show marks a number whose customer is missing" \
  'customers: +46075 \(Praxis Dr\. Muster\), 47999 \(no such customer\)$' \
  kcadm account show etan
kc_check_grep "... and --json says exists false" "^\[False\]$" \
  json '[c["exists"] for c in d["customers"] if c["number"] == "47999"]' \
  < <(kcadm_out --json account show etan)
kc_check "remove-customer of that number" \
  kcadm account remove-customer etan 47999
expect_eq "... gone" "46075" values "$dn_etan" kcCustomerNumber

# ------------------------------------------------------------ parallel
# Two kcadm take an admin each from a customer that has exactly those two.
# kc_slowmodify.so holds back each one's first write by two seconds, so
# both look (and see the other admin) before either writes: only the
# second look after the write can catch it. At least one must undo its
# change and say so, and the customer must keep an admin.
slow=$top_builddir/tests/tools/.libs/kc_slowmodify.so
if [[ ! -f $slow ]]; then
  echo "kc_slowmodify.so not built: $slow" >&2
  exit 99
fi
# (an ASan kcadm would refuse a library preloaded before its runtime)
slow_kcadm() {
  env LD_PRELOAD="$slow" KC_SLOW_MODIFY_MS=2000 \
    ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0" \
    "$KCADM" -c "$conf" "$@"
}
# race DESC CHECK-NUMBER CMD1 -- CMD2: run both at once under the shim;
# CHECK-NUMBER must keep an admin and one of them must report the race.
race() {
  local desc=$1 number=$2 a=() b=() rc1 rc2 admins
  shift 2
  while [[ $1 != -- ]]; do
    a+=("$1")
    shift
  done
  shift
  b=("$@")
  slow_kcadm "${a[@]}" >"$work/r1.out" 2>&1 &
  local p1=$!
  slow_kcadm "${b[@]}" >"$work/r2.out" 2>&1 &
  local p2=$!
  wait "$p1"
  rc1=$?
  wait "$p2"
  rc2=$?
  admins=$(admins_of "$number")
  if [[ -n $admins ]]; then
    kc_pass "$desc: $number keeps an admin ($admins)"
  else
    kc_fail "$desc: $number has no admin left"
  fi
  if grep -q 'another change took its other admin at the same time' \
    "$work/r1.out" "$work/r2.out" && ((rc1 != 0 || rc2 != 0)); then
    kc_pass "$desc: the race was caught and reported (exits $rc1 $rc2)"
  else
    kc_fail "$desc: no run reported the race (exits $rc1 $rc2)"
  fi
  sed 's/^/    # /' "$work/r1.out" "$work/r2.out"
}
# undone_ok WORDS ATTR VALUE: each account whose run said "account "U"
# WORDS" (it undid its change) has VALUE among its ATTR values again.
undone_ok() {
  local words=$1 attr=$2 value=$3 u
  for u in mmuster etan; do
    if grep -q "account \"$u\" $words" "$work/r1.out" "$work/r2.out" &&
      ! values "$(acct_dn "$u")" "$attr" | grep -qw -- "$value"; then
      echo "$u: undone, but $attr is not $value"
      return 1
    fi
  done
}
kc_check "etan admin again" kcadm account set-role etan admin
expect_eq "46075 has two admins" "etan mmuster" admins_of 46075
race "parallel set-role user of both admins" 46075 \
  account set-role mmuster user -- account set-role etan user
kc_check "... and a run that reported it is admin again" \
  undone_ok "stays admin" kcRole admin
kc_check "both admins again" \
  bash -c "'$KCADM' -c '$conf' account set-role mmuster admin &&
    '$KCADM' -c '$conf' account set-role etan admin"
kc_check "both serve 46077 too" \
  bash -c "'$KCADM' -c '$conf' account add-customer mmuster 46077 &&
    '$KCADM' -c '$conf' account add-customer etan 46077"
expect_eq "46077 has two admins" "etan mmuster" admins_of 46077
race "parallel remove-customer 46077 from both admins" 46077 \
  account remove-customer mmuster 46077 -- account remove-customer etan 46077
kc_check "... and a run that reported it still serves 46077" \
  undone_ok "keeps the customer" kcCustomerNumber 46077

# ------------------------------------------------------------ no mail
kc_check "none of this mailed anybody" \
  test -z "$(find "$maildir" -type f 2>/dev/null)"
kc_done
