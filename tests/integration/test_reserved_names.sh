#!/usr/bin/env bash
# User names no account may take: names on reserved_usernames_file and
# names kcd's host knows as accounts (getpwnam, /etc/passwd), in any case.
# Refused at activation, at a rename on the credentials page, and by
# kcadm account rename and account create; the web pages answer as for a
# taken name, kcadm says why. A bad list stops kcd and kcadm with file and
# line. The test list leaves out "daemon" and "nobody", which every Debian
# host has in /etc/passwd, to show that the host itself is asked.
set -u
. "$top_srcdir/tests/lib/slapd.sh"
. "$top_srcdir/tests/lib/kcd.sh"
. "$top_srcdir/tests/lib/check.sh"
kc_slapd_require
command -v curl >/dev/null || { echo "SKIP: curl not installed"; exit 77; }
getent passwd daemon >/dev/null && getent passwd nobody >/dev/null ||
  { echo "this host has no daemon or nobody account" >&2; exit 99; }
PY=/usr/bin/python3
KCADM=$top_builddir/kcd/kcadm/kcadm
kc_slapd_start || exit 1

work=$(mktemp -d "${TMPDIR:-/tmp}/kc-reserved.XXXXXX") || exit 1
kc_cleanup_add "rm -rf '$work'"
chmod 0755 "$work"
reserved=$work/reserved-usernames
cat >"$reserved" <<'EOF'
# site names (the test's own list)
Kundenservice   # the support desk
praxis-admin
EOF
chmod 0644 "$reserved"
kc_kcd_start "reserved_usernames_file = $reserved" || exit 1
kc_check_grep "kcd read the list at start" \
  "reserved user names loaded; file=$reserved names=2" cat "$KC_KCD_LOG"
jar=$work/cookies
U=$KC_KCD_URL

get() { # PATH [curl args] -> $status, $work/body
  local path=$1
  shift
  status=$(curl -s -b "$jar" -c "$jar" -o "$work/body" -w '%{http_code}' \
    "$@" "$U$path")
}
csrf() { grep -o 'name="csrf" value="[^"]*"' "$work/body" | sed 's/.*value="//;s/"$//'; }
mails() { find "$KC_MAILDIR/new" -type f | wc -l; }
# the error text next to the user-name field (first error paragraph)
field_error() {
  "$PY" -c '
import html, re, sys
body = open(sys.argv[1], encoding="utf-8").read()
m = re.search(r"id=\"" + sys.argv[2] + r"-error\">([^<]*)<", body)
print(html.unescape(m.group(1)) if m else "(no error)")' "$work/body" "$1"
}

# ---------------------------------------------------------------- activation
get /register
token=$(csrf)
n0=$(mails)
get /register --data-urlencode "csrf=$token" --data-urlencode "customer_number=46075" \
  --data-urlencode "email=praxis@muster.example" \
  --data-urlencode "email_repeat=praxis@muster.example"
for ((i = 0; i < 50; i++)); do
  (($(mails) > n0)) && break
  sleep 0.1
done
link=$("$PY" - "$KC_MAILDIR/new" <<'PYEOF'
import email, email.policy, glob, os, re, sys
path = max(glob.glob(os.path.join(sys.argv[1], "*")), key=os.path.getmtime)
msg = email.message_from_binary_file(open(path, "rb"), policy=email.policy.strict)
print(re.search(r"https?://\S+/activate\?token=[A-Za-z0-9_-]+", msg.get_body(("plain",)).get_content()).group(0))
PYEOF
)
kc_check_grep "an activation link came" '/activate\?token=' echo "$link"
get "${link#"$U"}"
atoken=${link##*token=}
ctoken=$(csrf)
pw="Ein-langes-Passwort-fuer-den-Test"
activate() { # USERNAME
  get /activate --data-urlencode "csrf=$ctoken" --data-urlencode "token=$atoken" \
    --data-urlencode "tan_method=none" --data-urlencode "salutation=Frau" \
    --data-urlencode "first_name=Rita" --data-urlencode "last_name=Reserviert" \
    --data-urlencode "email=r.reserviert@muster.example" \
    --data-urlencode "username=$1" --data-urlencode "password=$pw" \
    --data-urlencode "password_repeat=$pw"
}
activate mmuster
kc_check "activation with a taken name (mmuster) -> 422" test "$status" = 422
taken=$(field_error username)
kc_check_grep "  'Dieser Benutzername ist bereits vergeben.'" 'bereits vergeben' echo "$taken"
for name in kundenservice KUNDENSERVICE Praxis-Admin daemon Daemon nobody; do
  activate "$name"
  kc_check "activation with $name -> 422" test "$status" = 422
  kc_check "  the same answer as for a taken name" test "$(field_error username)" = "$taken"
  kc_check_nogrep "  no account $name" '^dn:' kc_ldap_admin ldapsearch -LLL \
    -b "ou=accounts,$KC_LDAP_BASE" "(uid=$name)" dn
done
kc_check_grep "kcd logs the reason: reserved" \
  'user name refused; user=KUNDENSERVICE reason=reserved' cat "$KC_KCD_LOG"
kc_check_grep "kcd logs the reason: an account of this host" \
  'user name refused; user=Daemon reason=local' cat "$KC_KCD_LOG"
activate rita.r
kc_check "activation with a free name -> 303" test "$status" = 303
kc_check_grep "  the account is there" '^dn: uid=rita.r,' kc_ldap_admin ldapsearch \
  -LLL -b "ou=accounts,$KC_LDAP_BASE" '(uid=rita.r)' dn

# ---------------------------------------------------------------- web rename
get "/account/credentials?user=mmuster"
ctoken=$(csrf)
rename() { # NEW
  get /account/credentials --data-urlencode "csrf=$ctoken" \
    --data-urlencode "user=mmuster" --data-urlencode "password=$KC_PW_MMUSTER" \
    --data-urlencode "new_user=$1"
}
rename etan
kc_check "rename to a taken name (etan) -> 422" test "$status" = 422
taken=$(field_error new_user)
kc_check_grep "  'Dieser Benutzername ist bereits vergeben.'" 'bereits vergeben' echo "$taken"
for name in Kundenservice daemon NOBODY; do
  rename "$name"
  kc_check "rename to $name -> 422" test "$status" = 422
  kc_check "  the same answer as for a taken name" test "$(field_error new_user)" = "$taken"
done
kc_check_grep "mmuster keeps its name" '^dn: uid=mmuster,' kc_ldap_admin ldapsearch \
  -LLL -b "ou=accounts,$KC_LDAP_BASE" '(uid=mmuster)' dn
rename m.muster
kc_check "rename to a free name -> 200" test "$status" = 200
kc_check_grep "  done" '^dn: uid=m.muster,' kc_ldap_admin ldapsearch \
  -LLL -b "ou=accounts,$KC_LDAP_BASE" '(uid=m.muster)' dn

# ---------------------------------------------------------------- kcadm
conf=$work/kcadm.conf
cat >"$conf" <<EOF
ldap_uri = $KC_LDAP_URI
ldap_base = $KC_LDAP_BASE
ldap_bind_dn = $KC_KCD_DN
ldap_bind_pw_file = $KC_KCD_PW_FILE
reserved_usernames_file = $reserved
EOF
chmod 600 "$conf"
kcadm() { "$KCADM" -c "$conf" "$@"; }
kc_check_fails "kcadm account rename to a reserved name fails" \
  kcadm account rename etan kundenservice
kc_check "  with exit status 1" test "$KC_RC" = 1
kc_check_grep "  and says why" \
  "new user name \"kundenservice\" is reserved: listed in $reserved" \
  kcadm account rename etan kundenservice
kc_check_grep "kcadm account rename to a local account's name says why" \
  'new user name "daemon" is an account of this host' \
  kcadm account rename etan daemon
kc_check "  with exit status 1" test "$KC_RC" = 1
kc_check_grep "  also in another case" 'new user name "DAEMON" is an account of this host' \
  kcadm account rename etan DAEMON
kc_check_grep "etan keeps its name" '^dn: uid=etan,' kc_ldap_admin ldapsearch \
  -LLL -b "ou=accounts,$KC_LDAP_BASE" '(uid=etan)' dn
kc_check_grep "kcadm account create --username nobody says why" \
  'user name "nobody" is an account of this host' \
  kcadm account create --customer 46075 --email n@muster.example --username nobody
kc_check "  with exit status 1" test "$KC_RC" = 1
kc_check_grep "kcadm account create --username Praxis-Admin: reserved" \
  'user name "Praxis-Admin" is reserved' \
  kcadm account create --customer 46075 --email n@muster.example --username Praxis-Admin
kc_check_nogrep "  neither account was made" '^dn:' kc_ldap_admin ldapsearch -LLL \
  -b "ou=accounts,$KC_LDAP_BASE" '(|(uid=nobody)(uid=praxis-admin))' dn
kc_check_grep "a derived name that is a local account moves on to the next" \
  'user name: +daemon2' \
  kcadm account create --customer 46075 --email d@muster.example \
  --first-name D --last-name Aemon
kc_check "kcadm account rename to a free name still works" \
  kcadm account rename etan e.tan

# ---------------------------------------------------------------- bad lists
printf 'root\nroot admin\n' >"$work/bad"
sed "s|^reserved_usernames_file = .*|reserved_usernames_file = $work/bad|" \
  "$KC_KCD_CONF" >"$work/bad.conf"
kc_check_fails "kcd --check-config fails on it" \
  "$top_builddir/kcd/kcd" --check-config -f "$work/bad.conf"
kc_check_grep "  naming file and line" "reserved_usernames_file $work/bad:2: not a user name" \
  echo "$KC_OUT"
sed "s|^reserved_usernames_file = .*|reserved_usernames_file = $work/missing|" \
  "$KC_KCD_CONF" >"$work/missing.conf"
kc_check_grep "a missing list stops kcd, naming it" "$work/missing: cannot open" \
  "$top_builddir/kcd/kcd" --check-config -f "$work/missing.conf"
sed "s|^reserved_usernames_file = .*|reserved_usernames_file = $top_srcdir/examples/reserved-usernames|" \
  "$KC_KCD_CONF" >"$work/shipped.conf"
kc_check_grep "the shipped list is accepted" 'configuration OK' \
  "$top_builddir/kcd/kcd" --check-config -f "$work/shipped.conf"
sed -i "s|^reserved_usernames_file = .*|reserved_usernames_file = $work/bad|" "$conf"
kc_check_grep "kcadm stops before it renames, naming file and line" \
  "reserved_usernames_file $work/bad:2: not a user name" \
  kcadm account rename e.tan e.tan2
kc_check "  with exit status 1" test "$KC_RC" = 1
kc_done
