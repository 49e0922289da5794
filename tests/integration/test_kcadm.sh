#!/usr/bin/env bash
# kcadm, the admin CLI, against the private slapd with the shipped schema
# and ACLs, bound as kcd's service DN: every subcommand, the CSV import
# (bad rows, non-ASCII names, duplicates, re-import, --strict, progress),
# account provisioning (printed and mailed passwords that bind with "must
# change"), lock/unlock seen by ldapwhoami -e ppolicy and by the PAM
# module, rename keeping entryUUID, registrations, --json and exit codes.
set -u
. "$top_srcdir/tests/lib/slapd.sh"
. "$top_srcdir/tests/lib/check.sh"
. "$top_srcdir/tests/lib/kcadm.sh"
kc_slapd_require
kc_kcadm_init
cat >>"$conf" <<EOF
portal_name = Kundencenter Test
login_url = https://kundencenter.example/login
reserved_usernames_file = $top_srcdir/examples/reserved-usernames
EOF

# ldap_attr DN ATTR: the values of ATTR, as the rootdn sees them, decoded.
ldap_attr() {
  kc_ldap_admin ldapsearch -LLL -o ldif-wrap=no -b "$1" -s base \
    '(objectClass=*)' "$2" | "$PY" -c '
import base64, sys
attr = sys.argv[1].lower()
for line in sys.stdin.read().splitlines():
    k, sep, v = line.partition(":")
    if not sep or k.lower() != attr:
        continue
    if v.startswith(":"):
        print(base64.b64decode(v[1:].strip()).decode())
    else:
        print(v.strip())' "$2"
}
# pw_from OUTPUT: the temporary password kcadm printed.
pw_from() {
  sed -n 's/^  temporary password: *//p' <<<"$1"
}
# mail_pw ADDR: the password in the newest mail to ADDR in the maildir.
mail_pw() {
  "$PY" - "$maildir" "$1" <<'PYEOF'
import email, email.policy, os, re, sys
root, to = sys.argv[1], sys.argv[2]
msgs = []
for name in os.listdir(os.path.join(root, "new")):
    path = os.path.join(root, "new", name)
    with open(path, "rb") as f:
        m = email.message_from_binary_file(f, policy=email.policy.default)
    if m["To"] == to:
        msgs.append((os.stat(path).st_mtime_ns, m))
if not msgs:
    sys.exit("no mail to " + to)
m = sorted(msgs, key=lambda x: x[0])[-1][1]
body = m.get_body().get_content()
hit = re.search(r"(?:Vorläufiges Passwort|Temporary password): (\S+)", body)
if not hit:
    sys.exit("no password in the mail")
print(hit.group(1))
PYEOF
}
whoami_as() { # DN PASSWORD
  kc_ldap_as "$1" "$2" ldapwhoami -e ppolicy
}
acct_dn() {
  echo "uid=$1,ou=accounts,$KC_LDAP_BASE"
}
cust_dn() {
  echo "kcCustomerNumber=$1,ou=customers,$KC_LDAP_BASE"
}

# ------------------------------------------------------------ help, usage
kc_check_grep "kcadm --help lists every command group" \
  'customer import FILE.csv.*' kcadm --help
kc_check_grep "kcadm --help names the exit codes" '2 usage error' \
  kcadm --help
kc_check_grep "kcadm account --help lists the account commands" \
  'account set-tan USER none\|email\|mtan' kcadm account --help
kc_check_grep "kcadm account create --help explains the command" \
  'temporary password' kcadm account create --help
expect_rc "no command: exit 2" 2 kcadm
expect_rc "unknown command: exit 2" 2 kcadm frobnicate
expect_rc "unknown subcommand: exit 2" 2 kcadm account frobnicate
expect_rc "unknown option: exit 2" 2 kcadm customer list --frob
expect_rc "missing argument: exit 2" 2 kcadm account lock
expect_rc "extra argument: exit 2" 2 kcadm account lock a b
expect_rc "option of another command: exit 2" 2 \
  kcadm account lock mmuster --email a@b.example
expect_rc "option given twice: exit 2" 2 \
  kcadm customer add 1 --email a@b.example --email c@d.example
expect_rc "account create without --email: exit 2" 2 \
  kcadm account create --customer 46077
expect_rc "invalid user name: exit 2" 2 kcadm account show 'bad name'
expect_rc "filter characters in a user name: exit 2" 2 \
  kcadm account show 'mmuster*)(uid=*'
expect_rc "invalid customer number: exit 2" 2 \
  kcadm customer add 12a --email a@b.example
expect_rc "invalid e-mail address: exit 2" 2 \
  kcadm customer add 12 --email 'a@b.example>'
expect_rc "unknown TAN method: exit 2" 2 kcadm account set-tan mmuster sms
expect_rc "--tan mtan without --mobile: exit 2" 2 \
  kcadm account create --customer 46077 --email a@b.example --tan mtan
expect_rc "bad mobile number: exit 2" 2 \
  kcadm account set-tan mmuster mtan --mobile 'call me'
kc_check_grep "a usage error says what is wrong and where to look" \
  'Try .kcadm account lock --help' kcadm account lock

# ------------------------------------------------------------ connection
expect_rc "missing config file: exit 1" 1 \
  "$KCADM" -c "$work/nonexistent.conf" customer list
kc_check_grep "the error names the file" 'nonexistent.conf' \
  "$KCADM" -c "$work/nonexistent.conf" customer list
printf 'wrong-password' >"$work/wrong.pw"
chmod 600 "$work/wrong.pw"
kc_check_grep "wrong service password: exit 1, names the directory" \
  'cannot use the directory.*Invalid credentials' \
  kcadm --bind-pw-file "$work/wrong.pw" customer list
expect_rc "wrong service password: exit 1" 1 \
  kcadm --bind-pw-file "$work/wrong.pw" customer list
if [[ ! -e /etc/kcd/kcd.conf ]]; then
  kc_check "options alone, without kcd.conf, are enough" \
    "$KCADM" --uri "$KC_LDAP_URI" --base "$KC_LDAP_BASE" \
    --bind-dn "$KC_KCD_DN" --bind-pw-file "$KC_KCD_PW_FILE" \
    customer show 46075
fi

# ------------------------------------------------------------ customers
kc_check "customer add with a non-ASCII name" \
  kcadm customer add 50001 --email info@praxis-a.example \
  --name 'Praxis Müller'
kc_check_grep "the entry is a kcCustomer" '^kcCustomer$' \
  ldap_attr "$(cust_dn 50001)" objectClass
kc_check_grep "its name is in o, as UTF-8" '^Praxis Müller$' \
  ldap_attr "$(cust_dn 50001)" o
kc_check_grep "its contact address is mail" '^info@praxis-a.example$' \
  ldap_attr "$(cust_dn 50001)" mail
expect_rc "customer add of an existing customer: exit 1" 1 \
  kcadm customer add 50001 --email x@y.example
kc_check_grep "... and says so" 'customer 50001 already exists' \
  kcadm customer add 50001 --email x@y.example
kc_check_grep "customer show" 'info@praxis-a.example' \
  kcadm customer show 50001
kc_check_grep "customer show lists the accounts with roles" \
  'accounts: +mmuster \(admin\)' kcadm customer show 46075
kc_check_grep "customer show --json" '^Praxis Müller$' \
  json 'd["name"]' < <(kcadm_out --json customer show 50001)
expect_rc "customer show of a missing customer: exit 1" 1 \
  kcadm customer show 99999
kc_check_grep "... naming it" 'customer 99999 not found' \
  kcadm customer show 99999
kc_check_grep "customer list" '^50001 +info@praxis-a.example +Praxis Müller' \
  kcadm customer list
kc_check_grep "customer list --json is complete and parses" \
  '^True 3$' json 'd["complete"], len(d["customers"])' \
  < <(kcadm_out customer list --json)

# ------------------------------------------------------------ import
csv1=$work/kunden.csv
{
  printf '\xef\xbb\xbfKundennummer;E-Mail;Name\r\n'
  printf '60001;a@praxis.example;Zahnarzt Müller\r\n'
  printf '60002;b@praxis.example;"Ærøskøbing Tandlæge"\r\n'
  printf '60003;c@praxis.example;"Praxis ""Am Markt"", Ost *)(uid=*"\r\n'
  printf '6000x;d@praxis.example;Falsche Nummer\r\n'
  printf '60004;kein-at-zeichen;Falsche Adresse\r\n'
  printf '60001;dupe@praxis.example;Doppelt\r\n'
  printf '46075;praxis@muster.example;Praxis Dr. Muster\r\n'
  printf '46077;neu@zahnarzt-beispiel.example;Zahnarztpraxis Beispiel\r\n'
  printf '60005;e@praxis.example;Lat\xefn-1\r\n'
} >"$csv1"
kc_check "import with bad rows: exit 0" kcadm customer import "$csv1"
imp_out=$KC_OUT
kc_check_grep "import summary counts" \
  '3 added, 1 updated, 1 unchanged, 4 skipped, 0 failed' echo "$imp_out"
kc_check_grep "bad customer number reported with its line" \
  'kunden.csv: line 5: customer number is not 1 to 20 digits: "6000x"' \
  echo "$imp_out"
kc_check_grep "bad e-mail address reported with its line" \
  'line 6: e-mail address is not valid' echo "$imp_out"
kc_check_grep "duplicate customer number reported" \
  'line 7: customer number 60001 already on line 2' echo "$imp_out"
kc_check_grep "Latin-1 row reported as not UTF-8" 'line 10: not valid UTF-8' \
  echo "$imp_out"
kc_check_nogrep "no progress bar when stderr is no terminal" 'importing \[' \
  echo "$imp_out"
kc_check_grep "imported: Müller" '^Zahnarzt Müller$' \
  ldap_attr "$(cust_dn 60001)" o
kc_check_grep "imported: Ærøskøbing" '^Ærøskøbing Tandlæge$' \
  ldap_attr "$(cust_dn 60002)" o
kc_check_grep "imported: quotes, delimiter and filter characters" \
  '^Praxis "Am Markt", Ost \*\)\(uid=\*$' ldap_attr "$(cust_dn 60003)" o
kc_check_grep "the first of two duplicate rows counts" '^a@praxis.example$' \
  ldap_attr "$(cust_dn 60001)" mail
kc_check_grep "a known customer got the new address" \
  '^neu@zahnarzt-beispiel.example$' ldap_attr "$(cust_dn 46077)" mail
kc_check_nogrep "bad rows were not imported" '^dn:' \
  kc_ldap_admin ldapsearch -LLL -b "ou=customers,$KC_LDAP_BASE" \
  '(|(kcCustomerNumber=60004)(kcCustomerNumber=60005))' dn
kc_check_grep "re-import: nothing added or changed" \
  '0 added, 0 updated, 5 unchanged, 4 skipped, 0 failed' \
  kcadm customer import "$csv1"
n=$(kc_ldap_admin ldapsearch -LLL -b "ou=customers,$KC_LDAP_BASE" \
  '(|(kcCustomerNumber=60001)(kcCustomerNumber=60002)(kcCustomerNumber=60003))' \
  dn | grep -c '^dn:')
if [[ $n == 3 ]]; then
  kc_pass "re-import does not duplicate entries"
else
  kc_fail "re-import does not duplicate entries: $n entries"
fi
csv2=$work/customers.csv
cat >"$csv2" <<'EOF'
customer_number,email,name
60001,A@Praxis.example,Zahnarzt Müller & Partner
60002,b@praxis.example,
60006,f@praxis.example,"Neue Praxis, Süd"
EOF
kc_check_grep "English header, commas, updates and a case change" \
  '1 added, 1 updated, 1 unchanged, 0 skipped' kcadm customer import "$csv2"
kc_check_grep "an update replaced mail (case kept)" '^A@Praxis.example$' \
  ldap_attr "$(cust_dn 60001)" mail
kc_check_grep "an update replaced the name" '^Zahnarzt Müller & Partner$' \
  ldap_attr "$(cust_dn 60001)" o
kc_check_grep "an empty name keeps the stored one" '^Ærøskøbing Tandlæge$' \
  ldap_attr "$(cust_dn 60002)" o
strict_bad=$work/strict-bad.csv
printf 'Kundennummer;E-Mail\n60100;x@praxis.example\nabc;y@praxis.example\n' \
  >"$strict_bad"
expect_rc "--strict refuses a file with a bad row: exit 1" 1 \
  kcadm customer import --strict "$strict_bad"
strict_out=$KC_OUT
kc_check_grep "... names the bad row" 'strict-bad.csv: line 3: customer number' \
  echo "$strict_out"
kc_check_grep "... says nothing was imported" 'nothing imported: 1 bad row' \
  echo "$strict_out"
kc_check_nogrep "... and the good row is not in the directory" '^dn:' \
  kc_ldap_admin ldapsearch -LLL -b "ou=customers,$KC_LDAP_BASE" \
  '(kcCustomerNumber=60100)' dn
strict_good=$work/strict-good.csv
printf 'Kundennummer;E-Mail\n60101;x@praxis.example\n' >"$strict_good"
kc_check_grep "--strict imports a clean file" '1 added' \
  kcadm customer import --strict "$strict_good"
# (customers.csv changed 60001 since: this import changes it back)
kc_check_grep "import --json: counts and errors with lines" \
  "^\[0, 1, 4, 4\] \[5, 6, 7, 10\]$" \
  json '[d["added"], d["updated"], d["unchanged"], d["skipped"]], [e["line"] for e in d["errors"]]' \
  < <(kcadm_out --json customer import "$csv1")
kc_check_grep "import --strict --json: imported false" '^False 1$' \
  json 'd["imported"], d["skipped"]' \
  < <(kcadm_out --json customer import --strict "$strict_bad")
kc_check_grep "import from stdin" '0 added, 0 updated, 1 unchanged' \
  kcadm customer import - <"$strict_good"
expect_rc "import of a missing file: exit 1" 1 \
  kcadm customer import "$work/missing.csv"
printf 'Nummer;Adresse\n1;a@b.example\n' >"$work/noheader.csv"
kc_check_grep "import without the required columns: exit 1, says why" \
  'need the columns Kundennummer and E-Mail' \
  kcadm customer import "$work/noheader.csv"
if command -v script >/dev/null; then
  kc_check_grep "a progress bar on a terminal" 'importing \[#+\] 100% 3/3' \
    script -qec "'$KCADM' -c '$conf' customer import '$csv2'" /dev/null
else
  kc_fail "script(1) is not installed: cannot test the progress bar"
fi

# ------------------------------------------------------------ account create
kc_check "account create: first account of a customer" \
  kcadm account create --customer 60001 --email m.mueller@praxis.example \
  --first-name Max --last-name 'Müller'
create_out=$KC_OUT
kc_check_grep "the user name comes from the names" \
  '^account created: mmueller$' echo "$create_out"
kc_check_grep "the first account is the customer's admin" \
  '^  role: +admin$' echo "$create_out"
pw_mm=$(pw_from "$create_out")
if ((${#pw_mm} >= 16)); then
  kc_pass "a temporary password of ${#pw_mm} characters is shown once"
else
  kc_fail "no temporary password of 16 or more characters: '$pw_mm'"
fi
dn_mm=$(acct_dn mmueller)
kc_check_grep "the printed password binds, with \"must change\"" \
  'Success \(0\); Password must be changed' whoami_as "$dn_mm" "$pw_mm"
kc_check_grep "pwdReset is TRUE" '^TRUE$' ldap_attr "$dn_mm" pwdReset
kc_check_grep "kcFirstLogin is TRUE" '^TRUE$' ldap_attr "$dn_mm" kcFirstLogin
kc_check_grep "the password is an argon2id hash" '^\{ARGON2\}\$argon2id\$' \
  ldap_attr "$dn_mm" userPassword
kc_check_grep "objectClasses inetOrgPerson and kcAccount" \
  'inetOrgPerson kcAccount' echo $(ldap_attr "$dn_mm" objectClass)
kc_check_grep "cn and sn from the names" '^Max Müller$' ldap_attr "$dn_mm" cn
kc_check_nogrep "no TAN method unless given" '.' \
  ldap_attr "$dn_mm" kcTanMethod
kc_check "account create: a second account of the customer" \
  kcadm account create --customer 60001 --email praxis@praxis.example
kc_check_grep "without names the user name is k<number>, role user" \
  'account created: k60001' echo "$KC_OUT"
kc_check_grep "... role user" '^  role: +user$' echo "$KC_OUT"
kc_check_grep "a taken derived name gets a number" \
  'account created: mmueller2' \
  kcadm account create --customer 60001 --email m2@praxis.example \
  --first-name Maria --last-name Müller
expect_rc "a given user name that exists: exit 1" 1 \
  kcadm account create --customer 60001 --email x@praxis.example \
  --username mmuster
kc_check_grep "... naming it" 'account "mmuster" already exists' \
  echo "$KC_OUT"
expect_rc "a missing customer: exit 1" 1 \
  kcadm account create --customer 99999 --email x@praxis.example
kc_check_grep "... naming it" 'customer 99999 not found' echo "$KC_OUT"
kc_check "account create with --tan mtan and a national mobile number" \
  kcadm account create --customer 60002 --email t@praxis.example \
  --username tanja.tan --tan mtan --mobile '0177 - 7654321'
kc_check_grep "the mobile number is stored as E.164" '^\+491777654321$' \
  ldap_attr "$(acct_dn tanja.tan)" mobile
kc_check_grep "the TAN method is stored" '^mtan$' \
  ldap_attr "$(acct_dn tanja.tan)" kcTanMethod
kc_check "account create --json" \
  bash -c "'$KCADM' -c '$conf' --json account create --customer 60003 \
  --email j@praxis.example --username jason >'$work/create.json'"
kc_check_grep "... parses, with the password and the flags" \
  '^jason admin True True True$' \
  json 'd["username"], d["role"], d["first_login"], d["must_change_password"], len(d["password"]) >= 16' \
  <"$work/create.json"
pw_jason=$(json 'd["password"]' <"$work/create.json")
kc_check_grep "... and that password binds" 'Password must be changed' \
  whoami_as "$(acct_dn jason)" "$pw_jason"
kc_check "account create --mail-password" \
  kcadm account create --customer 60003 --email post@praxis.example \
  --username post.user --mail-password
kc_check_nogrep "... shows no password" 'temporary password' echo "$KC_OUT"
kc_check_grep "... says where it went" 'password mailed to: +post@praxis.example' \
  echo "$KC_OUT"
pw_post=$(mail_pw post@praxis.example)
kc_check_grep "the mailed password binds, with \"must change\"" \
  'Password must be changed' whoami_as "$(acct_dn post.user)" "$pw_post"

# ------------------------------------------------------------ show, list
kc_check_grep "account show" 'must change password: +yes' \
  kcadm account show mmueller
kc_check_grep "account show --json" '^mmueller admin True True False 60001$' \
  json 'd["username"], d["role"], d["first_login"], d["must_change_password"], d["locked"], ",".join(d["customer_numbers"])' \
  < <(kcadm_out account show mmueller --json)
expect_rc "account show of a missing user: exit 1" 1 \
  kcadm account show niemand
kc_check_grep "... naming it" 'account "niemand" not found' echo "$KC_OUT"
kc_check_grep "a failure with --json prints an error document" \
  '^account "niemand" not found 1$' json 'd["error"], d["status"]' \
  < <(kcadm_out --json account show niemand)
kc_check_grep "account list" '^mmuster +46075 +admin +none +active' \
  kcadm account list
kc_check_grep "account list --customer" 'k60001.*must-change,first-login' \
  kcadm account list --customer 60001
kc_check_nogrep "account list --customer shows only that customer" \
  '^mmuster ' kcadm account list --customer 60001
kc_check_grep "account list --json" "^\['k60001', 'mmueller', 'mmueller2'\]$" \
  json 'sorted(a["username"] for a in d["accounts"])' \
  < <(kcadm_out --json account list --customer 60001)

# ------------------------------------------------------------ lock, unlock
dn_muster=$(acct_dn mmuster)
kc_check "account lock" kcadm account lock mmuster
kc_check_grep "a locked account cannot bind (ppolicy: locked)" \
  'Account locked' whoami_as "$dn_muster" "$KC_PW_MMUSTER"
kc_check_grep "pwdAccountLockedTime is the permanent lock" \
  '^000001010000Z$' ldap_attr "$dn_muster" pwdAccountLockedTime
kc_check_grep "account show --json: locked" '^True$' json 'd["locked"]' \
  < <(kcadm_out --json account show mmuster)
kc_check "account unlock" kcadm account unlock mmuster
kc_check_grep "an unlocked account binds again" "^dn:$dn_muster" \
  whoami_as "$dn_muster" "$KC_PW_MMUSTER"
kc_check_grep "unlocking an unlocked account is fine" 'was not locked' \
  kcadm account unlock mmuster
kc_check "account unlock of the fixture's locked account" \
  kcadm account unlock gesperrt
kc_check_grep "... which then binds" 'dn:uid=gesperrt' \
  whoami_as "$(acct_dn gesperrt)" "$KC_PW_GESPERRT"
kc_check "... and account lock locks it again" kcadm account lock gesperrt
expect_rc "account lock of a missing user: exit 1" 1 kcadm account lock niemand

# ------------------------------------------------------------ reset-password
dn_etan=$(acct_dn etan)
kc_check "account reset-password" kcadm account reset-password etan
pw_etan=$(pw_from "$KC_OUT")
kc_check_grep "the new password binds, with \"must change\"" \
  'Success \(0\); Password must be changed' whoami_as "$dn_etan" "$pw_etan"
kc_check_grep "pwdReset is TRUE after a reset" '^TRUE$' \
  ldap_attr "$dn_etan" pwdReset
kc_check_fails "the old password no longer binds" \
  whoami_as "$dn_etan" "$KC_PW_ETAN"
kc_check "account reset-password --mail-password" \
  kcadm account reset-password etan --mail-password
kc_check_nogrep "... shows no password" 'temporary password' echo "$KC_OUT"
pw_etan2=$(mail_pw e.tan@muster.example)
kc_check_grep "the mailed password binds (English mail for kcLanguage en)" \
  'Password must be changed' whoami_as "$dn_etan" "$pw_etan2"
kc_check_fails "the password shown before no longer binds" \
  whoami_as "$dn_etan" "$pw_etan"
kc_check_grep "reset-password --json" '^etan True$' \
  json 'd["username"], len(d["password"]) >= 16' \
  < <(kcadm_out --json account reset-password etan)
expect_rc "reset-password of a missing user: exit 1" 1 \
  kcadm account reset-password niemand

# ------------------------------------------------------------ set-tan
kc_check "set-tan mtan with a mobile number" \
  kcadm account set-tan mmueller mtan --mobile '+49 (0) 171 2345678'
kc_check_grep "... stores the method" '^mtan$' ldap_attr "$dn_mm" kcTanMethod
kc_check_grep "... and the E.164 number" '^\+491712345678$' \
  ldap_attr "$dn_mm" mobile
kc_check "set-tan mtan with the stored number" \
  kcadm account set-tan mmuster mtan
expect_rc "set-tan mtan without any number: exit 2" 2 \
  kcadm account set-tan k60001 mtan
kc_check_grep "... saying so" 'has no usable mobile number' echo "$KC_OUT"
kc_check "set-tan email" kcadm account set-tan mmuster email
kc_check_grep "... stored" '^email$' ldap_attr "$dn_muster" kcTanMethod
kc_check_grep "set-tan none --json" '^none$' json 'd["tan_method"]' \
  < <(kcadm_out --json account set-tan mmuster none)
# a password chosen with a TAN may be 8 characters; alone it must be 12
kc_check_grep "... and the password must be changed (pwdReset)" '^TRUE$' \
  ldap_attr "$dn_muster" pwdReset
kc_ldap_admin ldapmodify >/dev/null <<EOF_RESET || exit 1
dn: $dn_muster
changetype: modify
delete: pwdReset
EOF_RESET
kc_check "set-tan none on an account without a TAN" \
  kcadm account set-tan mmuster none
kc_check "... asks no new password" test -z "$(ldap_attr "$dn_muster" pwdReset)"

# ------------------------------------------------------------ rename
uuid_before=$(ldap_attr "$dn_mm" entryUUID)
kc_check "account rename" kcadm account rename mmueller max.mueller
dn_new=$(acct_dn max.mueller)
uuid_after=$(ldap_attr "$dn_new" entryUUID)
if [[ -n $uuid_before && $uuid_before == "$uuid_after" ]]; then
  kc_pass "rename keeps the entryUUID ($uuid_after)"
else
  kc_fail "rename changed the entryUUID: '$uuid_before' -> '$uuid_after'"
fi
kc_check_grep "the new name binds with the same password" \
  "dn:$dn_new|Password must be changed" whoami_as "$dn_new" "$pw_mm"
kc_check_fails "the old name no longer binds" whoami_as "$dn_mm" "$pw_mm"
kc_check_grep "uid holds only the new name" '^max.mueller$' \
  ldap_attr "$dn_new" uid
expect_rc "rename onto an existing name: exit 1" 1 \
  kcadm account rename max.mueller mmuster
kc_check_grep "... naming it" 'account "mmuster" already exists' \
  echo "$KC_OUT"
expect_rc "rename to an invalid name: exit 2" 2 \
  kcadm account rename max.mueller 'max mueller'
expect_rc "rename of a missing user: exit 1" 1 \
  kcadm account rename niemand jemand
kc_check_grep "rename --json" "^max.mueller maxi $uuid_after$" \
  json 'd["old_username"], d["username"], d["entry_uuid"]' \
  < <(kcadm_out --json account rename max.mueller maxi)

# ------------------------------------------------------------ delete
kc_check "account delete" kcadm account delete k60001
expect_rc "the deleted account is gone" 1 kcadm account show k60001
expect_rc "delete of a missing user: exit 1" 1 kcadm account delete k60001

# ------------------------------------------------------------ registrations
reg() { # ID CUSTOMER MAIL EXPIRES
  printf 'dn: kcRegistrationId=%s,ou=registrations,%s\nobjectClass: kcRegistration\nkcRegistrationId: %s\nkcTokenHash: hash-%s\nkcExpires: %s\nkcCustomerNumber: %s\nmail: %s\n\n' \
    "$1" "$KC_LDAP_BASE" "$1" "$1" "$4" "$2" "$3"
}
{
  reg old1 46077 kontakt@zahnarzt-beispiel.example 20200101000000Z
  reg old2 50001 info@praxis-a.example 20240101120000Z
  reg fresh 60006 f@praxis.example 20990101000000Z
} >"$work/reg.ldif"
kc_check "registrations loaded" kc_ldap_admin ldapadd -f "$work/reg.ldif"
kc_check_grep "registration list shows id, number, masked mail, expiry" \
  '^old1 +46077 +k\*\*\*@zahnarzt-beispiel.example +2020-01-01 00:00:00 UTC \(expired\)' \
  kcadm registration list
kc_check_nogrep "registration list never shows a whole address" \
  'kontakt@|info@' kcadm registration list
kc_check_grep "registration list --json" "^3 \['old1', 'old2'\]$" \
  json 'len(d["registrations"]), sorted(r["id"] for r in d["registrations"] if r["expired"])' \
  < <(kcadm_out --json registration list)
kc_check_grep "registration purge deletes the expired ones" \
  'purged 2 expired registrations' kcadm registration purge
kc_check_grep "... and keeps the others" '^fresh ' kcadm registration list
kc_check_grep "registration purge --all --json" '^1 True$' \
  json 'd["purged"], d["all"]' < <(kcadm_out --json registration purge --all)
kc_check_grep "nothing left" '^True 0$' \
  json 'd["complete"], len(d["registrations"])' \
  < <(kcadm_out --json registration list)

# ------------------------------------------------------------ size limit
# slapd's default size limit (500 entries) also binds kcd's service DN:
# schema/acl.ldif lifts it for that DN (olcLimits). Without it, listings
# stop with a clear error instead of a silently short list.
big=$work/big.csv
{
  echo 'Kundennummer;E-Mail;Name'
  for ((i = 0; i < 600; i++)); do
    echo "$((700000 + i));k$i@gross.example;Kunde $i"
  done
} >"$big"
kc_check_grep "import of 600 customers" '600 added' \
  kcadm customer import "$big"
kc_check_grep "with the shipped olcLimits, customer list is complete" '^True True$' \
  json 'd["complete"], len(d["customers"]) > 600' \
  < <(kcadm_out --json customer list)
cat >"$work/limits.ldif" <<EOF
dn: olcDatabase={1}mdb,cn=config
changetype: modify
delete: olcLimits
EOF
kc_check "remove olcLimits for the service DN" \
  kc_ldap_config ldapmodify -f "$work/limits.ldif"
expect_rc "customer list past the size limit: exit 1" 1 kcadm customer list
kc_check_grep "... and says why" 'size limit' echo "$KC_OUT"
kc_check_grep "... the JSON says incomplete" '^False$' json 'd["complete"]' \
  < <(kcadm_out --json customer list)

# ------------------------------------------------------------ through PAM
pam_ok=0
if [[ -x $top_builddir/tests/tools/kc-pamtest && -x $top_builddir/kcd/kcd ]]; then
  . "$top_srcdir/tests/lib/kcd.sh"
  . "$top_srcdir/tests/lib/pam.sh"
  if (kc_pam_init) >/dev/null 2>&1; then
    pam_ok=1
  fi
fi
if ((pam_ok)); then
  kc_pam_init
  if kc_kcd_start; then
    kc_pam_service kc-sshd "socket=$KC_KCD_SOCKET timeout=30"
    kc_check "PAM: mmuster logs in" \
      kc_pamtest --service kc-sshd --user mmuster --conv sshd \
      --answer "$KC_PW_MMUSTER" --steps auth,acct \
      --expect auth=PAM_SUCCESS,acct=PAM_SUCCESS
    kc_check "kcadm account lock" kcadm account lock mmuster
    # (the auth step answers a lock like a wrong password, so as not to
    # reveal the name; the account step says it)
    kc_check "PAM: a locked account -> refused; account step PAM_PERM_DENIED" \
      kc_pamtest --service kc-sshd --user mmuster --conv sshd \
      --answer "$KC_PW_MMUSTER" --steps auth,acct \
      --expect auth=PAM_AUTH_ERR,acct=PAM_PERM_DENIED
    kc_check "kcadm account unlock" kcadm account unlock mmuster
    kc_check "PAM: unlocked, it logs in again" \
      kc_pamtest --service kc-sshd --user mmuster --conv sshd \
      --answer "$KC_PW_MMUSTER" --steps auth,acct \
      --expect auth=PAM_SUCCESS,acct=PAM_SUCCESS
    kc_check "PAM: a provisioned account must change its password" \
      kc_pamtest --service kc-sshd --user jason --conv sshd \
      --answer "$pw_jason" --steps auth,acct \
      --expect auth=PAM_SUCCESS,acct=PAM_NEW_AUTHTOK_REQD
  else
    kc_fail "kcd did not start for the PAM checks"
  fi
else
  echo "# PAM checks skipped: the module test tools are not usable here"
fi

# --- the cost of the hashes kcd makes follows kcd.conf
printf '%s\n' "password_hash_m = 16384" "password_hash_t = 3" >>"$conf"
kc_check "account create with password_hash_m = 16384, password_hash_t = 3" \
  kcadm account create --customer 60001 --email kosten@praxis.example \
  --first-name Karl --last-name Kosten
user_k=$(sed -n 's/^account created: \([^ ]*\).*/\1/p' <<<"$KC_OUT")
kc_check_grep "  its hash is argon2id with m=16384, t=3" \
  '^\{ARGON2\}\$argon2id\$v=19\$m=16384,t=3,p=1\$' \
  ldap_attr "$(acct_dn "$user_k")" userPassword
kc_done
