#!/usr/bin/env bash
# Hash upgrades at login (DESIGN 14, kcd.conf password_hash_upgrade),
# against the real slapd (kc_argon2), the real kcd, the built PAM module
# through libpam, and the web login with curl. A hash of another cost
# (argon2id m=16384 t=3), Debian's argon2 module's $argon2i$ and an {SSHA}
# value are each replaced once by argon2id at kcd's cost when the account
# logs in (PAM prompt and inline mode, web login), by kcd's worker after
# the login; the password still binds; pwdChangedTime, pwdHistory and
# pwdReset stay as they were, so a web session made before goes on and a
# login between the password and the TAN step goes on; a current hash is
# not written again; a {SASL} value is left alone; an account that must
# change its password keeps its hash; a lock set while the upgrade is on
# its way stays (kc_slowmodify holds the write back); pwdMinAge of one
# account does not stop the others; password_hash_upgrade = no leaves
# hashes alone; with the acl.ldif of before (no self-read, no manage)
# logins work, nothing is written and kcd says once what to apply. No
# password or hash in kcd's log.
set -u
. "$top_srcdir/tests/lib/slapd.sh"
. "$top_srcdir/tests/lib/kcd.sh"
. "$top_srcdir/tests/lib/pam.sh"
. "$top_srcdir/tests/lib/sinks.sh"
. "$top_srcdir/tests/lib/check.sh"
kc_slapd_require
command -v curl >/dev/null || { echo "SKIP: curl not installed"; exit 77; }
kc_pam_init
kc_slapd_start || exit 1
work=$(mktemp -d "${TMPDIR:-/tmp}/kc-rehash.XXXXXX") || exit 1
kc_cleanup_add "rm -rf '$work'"
B=$KC_LDAP_BASE
A=ou=accounts,$B
MM=uid=mmuster,$A
printf '%s' "rehash-test-key-0123456789abcdef0123456789abcdef" >"$work/key"
chmod 0600 "$work/key"
conf=("secret_key_file = $work/key" "sms_transport = file:$work/sms.jsonl")
alllog=$work/kcd-all.log
: >"$alllog"
kc_kcd_start "${conf[@]}" || exit 1
K=$KC_KCD_URL
restart() { # [extra kcd.conf lines]
  kc_kcd_stop
  cat "$KC_KCD_LOG" >>"$alllog"
  kc_kcd_start "${conf[@]}" "pam_socket = $KC_KCD_SOCKET" \
    "http_listen = 127.0.0.1:$KC_KCD_HTTP_PORT" "public_url = $K" "$@" || exit 1
}
kc_pam_service kc-sshd "socket=$KC_KCD_SOCKET timeout=30"

get() { # JAR URL [curl args] -> $status, $work/body, $work/head
  local jar=$1 url=$2
  shift 2
  status=$(curl -s -b "$jar" -c "$jar" -D "$work/head" -o "$work/body" \
    -w '%{http_code}' "$@" "$url")
}
csrf() { grep -o 'name="csrf" value="[^"]*"' "$work/body" | head -n 1 | sed 's/.*value="//;s/"$//'; }
field() { grep -o "name=\"$1\" value=\"[^\"]*\"" "$work/body" | sed 's/.*value="//;s/"$//'; }
location() { sed -n 's/^Location: //Ip' "$work/head" | tr -d '\r'; }
web_login() { # JAR USER PASSWORD: the password step
  get "$1" "$K/account/login"
  local t
  t=$(csrf)
  get "$1" "$K/account/login" --data-urlencode "csrf=$t" \
    --data-urlencode "username=$2" --data-urlencode "password=$3"
}
# the stored userPassword of DN, decoded, NUL padding cut
stored() {
  kc_ldap_admin ldapsearch -LLL -o ldif-wrap=no -b "$1" -s base '(&)' userPassword |
    sed -n 's/^userPassword:: //p' | base64 -d | tr -d '\0'
}
# the attributes an upgrade must keep, as the administrator sees them
kept() {
  kc_ldap_admin ldapsearch -LLL -o ldif-wrap=no -b "$1" -s base '(&)' \
    pwdChangedTime pwdHistory pwdReset pwdAccountLockedTime | sort
}
csn() {
  kc_ldap_admin ldapsearch -LLL -b "$1" -s base '(&)' entryCSN | sed -n 's/^entryCSN: //p'
}
# put_hash DN VALUE: the administrator stores VALUE as DN's password
# (Relax control: pwdChangedTime, pwdHistory and pwdReset stay as set)
put_hash() {
  kc_ldap_admin ldapmodify -e '!relax' >/dev/null <<EOF
dn: $1
changetype: modify
replace: userPassword
userPassword: $2
-
replace: pwdChangedTime
pwdChangedTime: 20260101000000Z
-
replace: pwdHistory
pwdHistory: 20251201000000Z#1.3.6.1.4.1.1466.115.121.1.40#9#kc-earlier
-
replace: pwdReset
EOF
}
pam_login() { # USER PASSWORD
  kc_pamtest --service kc-sshd --user "$1" --conv sshd --answer "$2" \
    --steps auth,acct --expect auth=PAM_SUCCESS,acct=PAM_SUCCESS
}
# wait_hash DN ERE: until DN's stored value matches (the worker writes
# after the login has its answer), at most 20 s
wait_hash() {
  local i
  for ((i = 0; i < 200; i++)); do
    stored "$1" | grep -Eq "$2" && return 0
    sleep 0.1
  done
  stored "$1" | grep -E "$2"
}
# barrier: every upgrade queued before has been tried. The worker takes
# one job after the other, so one more upgrade (of mtan, whose password
# step runs before its TAN) that is seen done comes after them all.
MT=uid=mtan,$A
barrier() {
  local n i
  n=$(upgraded_lines mtan)
  put_hash "$MT" "$(printf '%s\n' "$KC_PW_MTAN" | "$KC_PWHASH" 16384 3)"
  kc_pamtest --service kc-sshd --user mtan --conv sshd \
    --answer "$KC_PW_MTAN" --steps auth >/dev/null 2>&1
  for ((i = 0; i < 200; i++)); do
    (($(upgraded_lines mtan) > n)) && return 0
    sleep 0.1
  done
  echo "barrier: mtan was not upgraded" >&2
  return 1
}
upgraded_lines() { # USER: "password hash upgraded" lines of USER so far
  cat "$alllog" "$KC_KCD_LOG" | grep -c "password hash upgraded .*; user=$1\$"
}
pw=$KC_PW_MMUSTER
current='^\{ARGON2\}\$argon2id\$v=19\$m=65536,t=2,p=1\$'

# --- a current hash is left alone
put_hash "$MM" "$(printf '%s\n' "$pw" | "$KC_PWHASH")"
c0=$(csn "$MM")
kc_check "mmuster with a current hash logs in" pam_login mmuster "$pw"
kc_check "  (every upgrade queued so far is done)" barrier
kc_check "  the entry is not written (entryCSN)" test "$(csn "$MM")" = "$c0"
kc_check "  no upgrade logged" test "$(upgraded_lines mmuster)" = 0

# --- a web session before the upgrade
web_login "$work/jar" mmuster "$pw"
kc_check "web login -> /account" test "$(location)" = /account
get "$work/jar" "$K/account"
kc_check "  the session works" test "$status" = 200

# --- another cost: argon2id m=16384 t=3
put_hash "$MM" "$(printf '%s\n' "$pw" | "$KC_PWHASH" 16384 3)"
kc_check "mmuster now has an m=16384 t=3 hash" wait_hash "$MM" '^\{ARGON2\}\$argon2id\$v=19\$m=16384,t=3,p=1\$'
get "$work/jar" "$K/account"
kc_check "  the session still works (pwdChangedTime as before)" test "$status" = 200
k0=$(kept "$MM")
kc_check "PAM login with it succeeds" pam_login mmuster "$pw"
kc_check "  the hash is now argon2id m=65536 t=2" wait_hash "$MM" "$current"
kc_check "  pwdChangedTime, pwdHistory, pwdReset as they were" test "$(kept "$MM")" = "$k0"
kc_check_grep "  (pwdChangedTime is the one set)" '^pwdChangedTime: 20260101000000Z$' kept "$MM"
kc_check "  the password binds" kc_ldap_as "$MM" "$pw" ldapwhoami
kc_check_grep "  kcd logs the upgrade" \
  'password hash upgraded from argon2id m=16384 t=3 to argon2id m=65536 t=2; user=mmuster$' \
  cat "$KC_KCD_LOG"
get "$work/jar" "$K/account"
kc_check "  the web session made before goes on" test "$status" = 200
c1=$(csn "$MM")
kc_check "the next login succeeds" pam_login mmuster "$pw"
kc_check "  (every upgrade queued so far is done)" barrier
kc_check "  and writes nothing (entryCSN)" test "$(csn "$MM")" = "$c1"
kc_check "  one upgrade logged in all" test "$(upgraded_lines mmuster)" = 1
kc_check_fails "another password does not bind" kc_ldap_as "$MM" "${pw}x" ldapwhoami

# --- Debian's argon2 module: $argon2i$, m=4096 t=3
slappasswd=$(command -v slappasswd || echo /usr/sbin/slappasswd)
deb=$("$slappasswd" -o module-path="$SLAPD_MODULEDIR" -o module-load=argon2 \
  -h '{ARGON2}' -s "$pw" 2>/dev/null)
kc_check_grep "Debian's module made an \$argon2i\$ hash" '^\{ARGON2\}\$argon2i\$' echo "$deb"
put_hash "$MM" "$deb"
kc_check "PAM login with it succeeds" pam_login mmuster "$pw"
kc_check "  the hash is now argon2id at kcd's cost" wait_hash "$MM" "$current"
kc_check_grep "  logged as from argon2i" 'upgraded from argon2i m=[0-9]* t=[0-9]* to argon2id' \
  cat "$KC_KCD_LOG"

# --- another scheme: {SSHA}
ssha=$("$slappasswd" -h '{SSHA}' -s "$pw")
put_hash "$MM" "$ssha"
kc_check "PAM login with an {SSHA} hash succeeds" pam_login mmuster "$pw"
kc_check "  the hash is now argon2id at kcd's cost" wait_hash "$MM" "$current"
kc_check_grep "  logged as from {SSHA}" 'upgraded from \{SSHA\} to argon2id' cat "$KC_KCD_LOG"

# --- the web login of an emailTAN account: upgraded at the password step,
# and the TAN step (whose ticket covers pwdChangedTime) goes on
ET=uid=etan,$A
put_hash "$ET" "$(printf '%s\n' "$KC_PW_ETAN" | "$KC_PWHASH" 16384 3)"
k0=$(kept "$ET")
n0=$(kc_count_mail "$KC_MAILDIR")
web_login "$work/jar2" etan "$KC_PW_ETAN"
kc_check "etan: password step -> the TAN form" test "$status" = 200
kc_check "  the hash is upgraded" wait_hash "$ET" "$current"
kc_check "  pwdChangedTime, pwdHistory, pwdReset as they were" test "$(kept "$ET")" = "$k0"
kc_check "  a TAN mail went out" test "$(kc_count_mail "$KC_MAILDIR")" -eq $((n0 + 1))
ch=$(field challenge)
tk=$(field ticket)
t=$(csrf)
tan=$(kc_tan_from mail "$KC_MAILDIR")
get "$work/jar2" "$K/account/login" --data-urlencode "csrf=$t" --data-urlencode "username=etan" \
  --data-urlencode "challenge=$ch" --data-urlencode "tan=$tan" --data-urlencode "ticket=$tk"
kc_check "  the TAN step -> /account" test "$(location)" = /account

# --- mod_authnz_pam's inline mode: the password alone (a TAN is sent)
kc_pam_service kc-web "socket=$KC_KCD_SOCKET timeout=30 tan=inline"
put_hash "$ET" "$(printf '%s\n' "$KC_PW_ETAN" | "$KC_PWHASH" 16384 3)"
kc_pamtest --service kc-web --user etan --conv apache --answer "$KC_PW_ETAN" \
  --steps auth >/dev/null 2>&1
kc_check "inline mode, the password step: the hash is upgraded" wait_hash "$ET" "$current"

# --- an account that must change its password keeps its hash
NK=uid=neukunde,$A
old=$(stored "$NK")
kc_pamtest --service kc-sshd --user neukunde --conv sshd --answer "$KC_PW_NEUKUNDE" \
  --steps auth,acct --expect auth=PAM_SUCCESS,acct=PAM_NEW_AUTHTOK_REQD >/dev/null
kc_check "neukunde (must change) logs in" barrier
kc_check "  its hash is not touched" test "$(stored "$NK")" = "$old"

# --- pwdMinAge: not yet for this account, the others go on
put_hash "$MM" "$(printf '%s\n' "$pw" | "$KC_PWHASH" 16384 3)"
now=$(date -u +%Y%m%d%H%M%SZ)
policy_min_age() { # SECONDS or "" (none)
  kc_ldap_admin ldapmodify >/dev/null <<EOF
dn: cn=default,ou=policies,$B
changetype: modify
replace: pwdMinAge
${1:+pwdMinAge: $1}
EOF
}
recent() {
  kc_ldap_admin ldapmodify -e '!relax' >/dev/null <<EOF
dn: $MM
changetype: modify
replace: pwdChangedTime
pwdChangedTime: $now
EOF
}
kc_check "pwdMinAge 3600 in the default policy" policy_min_age 3600
kc_check "  mmuster's password changed just now" recent
old=$(stored "$MM")
kc_check "  mmuster logs in" pam_login mmuster "$pw"
kc_check "  (every upgrade queued so far is done: others are upgraded)" barrier
kc_check "  mmuster's hash stays" test "$(stored "$MM")" = "$old"
kc_check_grep "  kcd says why" 'password hash not upgraded yet: pwdMinAge; user=mmuster$' \
  cat "$KC_KCD_LOG"
kc_check "pwdMinAge gone again" policy_min_age ""

# --- a lock set while the upgrade is on its way stays: kc_slowmodify
# holds kcd's first modify (the upgrade's) back by 3 s, and the
# administrator locks the account meanwhile
slow=$top_builddir/tests/tools/.libs/kc_slowmodify.so
[[ -f $slow ]] || { echo "kc_slowmodify.so not built: $slow" >&2; exit 99; }
LD_PRELOAD=$slow KC_SLOW_MODIFY_MS=3000 \
  ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0" restart
put_hash "$MM" "$(printf '%s\n' "$pw" | "$KC_PWHASH" 16384 3)"
old=$(stored "$MM")
kc_check "mmuster logs in (the upgrade is held back)" pam_login mmuster "$pw"
sleep 1.5
lock() {
  kc_ldap_admin ldapmodify >/dev/null <<EOF
dn: $MM
changetype: modify
replace: pwdAccountLockedTime
pwdAccountLockedTime: 000001010000Z
EOF
}
kc_check "  the administrator locks the account meanwhile" lock
for ((i = 0; i < 100; i++)); do
  grep -q 'password hash not upgraded: the account \(changed meanwhile\|was locked\)' \
    "$KC_KCD_LOG" && break
  sleep 0.1
done
kc_check_grep "  kcd gives the upgrade up" \
  'password hash not upgraded: the account (changed meanwhile|was locked, reset or had a failed login since); user=mmuster$' \
  cat "$KC_KCD_LOG"
kc_check_grep "  the lock stays" '^pwdAccountLockedTime: 000001010000Z$' kept "$MM"
kc_check "  the hash stays" test "$(stored "$MM")" = "$old"
kc_check_fails "  the account cannot log in" kc_ldap_as "$MM" "$pw" ldapwhoami
unlock() {
  kc_ldap_admin ldapmodify >/dev/null <<EOF
dn: $MM
changetype: modify
delete: pwdAccountLockedTime
EOF
}
kc_check "  unlocked again" unlock

# --- password_hash_upgrade = no
restart "password_hash_upgrade = no"
put_hash "$MM" "$(printf '%s\n' "$pw" | "$KC_PWHASH" 16384 3)"
old=$(stored "$MM")
kc_check "password_hash_upgrade = no: the login succeeds" pam_login mmuster "$pw"
sleep 2 # (an upgrade, were there one, would be done)
kc_check "  the hash stays" test "$(stored "$MM")" = "$old"

# --- kcd.conf's cost is what the directory follows
restart "password_hash_m = 32768" "password_hash_t = 3"
kc_check "password_hash_m = 32768, _t = 3: the login succeeds" pam_login mmuster "$pw"
kc_check "  the hash follows: m=32768 t=3" wait_hash "$MM" '^\{ARGON2\}\$argon2id\$v=19\$m=32768,t=3,p=1\$'

# --- the acl.ldif of before: no self-read of userPassword
acl_rule() { # N: olcAccess value {N} as stored
  kc_ldap_config ldapsearch -LLL -o ldif-wrap=no -b 'olcDatabase={1}mdb,cn=config' \
    -s base olcAccess | sed -n "s/^olcAccess: \({$1}.*\)/\1/p"
}
rule0=$(acl_rule 0)
kc_check_grep "rule {0} lets an account read its own userPassword" 'by self =rwx' echo "$rule0"
set_rule0() {
  kc_ldap_config ldapmodify >/dev/null <<EOF
dn: olcDatabase={1}mdb,cn=config
changetype: modify
delete: olcAccess
olcAccess: {0}
-
add: olcAccess
olcAccess: $1
EOF
}
kc_check "old rule {0} (self =wx) in place" set_rule0 "${rule0/by self =rwx/by self =wx}"
restart
put_hash "$MM" "$(printf '%s\n' "$pw" | "$KC_PWHASH" 16384 3)"
old=$(stored "$MM")
kc_check "the login succeeds" pam_login mmuster "$pw"
kc_check "  and again" pam_login mmuster "$pw"
sleep 2 # (an upgrade, were there one, would be done)
kc_check "  the hash stays" test "$(stored "$MM")" = "$old"
paused_read='password hash upgrades paused for 10 minutes: slapd does not let an account read its own userPassword; apply acl.ldif of this version'
kc_check "  kcd says once what to apply" test "$(grep -c "$paused_read" "$KC_KCD_LOG")" = 1
kc_check "rule {0} as shipped again" set_rule0 "$rule0"

# --- the acl.ldif of before: no rule {2} (an account's own entry)
rule2=$(acl_rule 2)
kc_check_grep "rule {2} lets an account read its own entry" 'attrs=entry by self read' echo "$rule2"
set_rule2() { # VALUE or "": put rule {2} back, or delete it
  local op=add value=$1
  [[ -n $value ]] || { op=delete; value='{2}'; }
  kc_ldap_config ldapmodify >/dev/null <<EOF
dn: olcDatabase={1}mdb,cn=config
changetype: modify
$op: olcAccess
olcAccess: $value
EOF
}
kc_check "without rule {2}" set_rule2 ""
restart
kc_check "the login succeeds" pam_login mmuster "$pw"
sleep 2
kc_check "  the hash stays" test "$(stored "$MM")" = "$old"
kc_check "  kcd says what to apply" test "$(grep -c "$paused_read" "$KC_KCD_LOG")" = 1
kc_check "rule {2} as shipped again" set_rule2 "$rule2"

# --- the acl.ldif of before: no manage on pwdChangedTime/pwdHistory
rule3=$(acl_rule 3)
rule4=$(acl_rule 4)
kc_check_grep "rule {3} gives kcd manage on pwdChangedTime" 'attrs=pwdChangedTime.*manage' echo "$rule3"
kc_check_grep "rule {4} gives kcd =mw on pwdHistory" 'attrs=pwdHistory.*=mw' echo "$rule4"
drop_rules34() {
  kc_ldap_config ldapmodify >/dev/null <<EOF
dn: olcDatabase={1}mdb,cn=config
changetype: modify
delete: olcAccess
olcAccess: {4}
-
delete: olcAccess
olcAccess: {3}
EOF
}
kc_check "without rules {3} and {4}" drop_rules34
restart
k0=$(kept "$MM")
paused_write='password hash upgrades paused for 10 minutes: slapd refuses kcd the upgrade; apply acl.ldif of this version'
kc_check "the login succeeds" pam_login mmuster "$pw"
for ((i = 0; i < 100; i++)); do
  grep -q "$paused_write" "$KC_KCD_LOG" && break
  sleep 0.1
done
kc_check "  kcd says once what to apply" test "$(grep -c "$paused_write" "$KC_KCD_LOG")" = 1
kc_check "  the hash stays" test "$(stored "$MM")" = "$old"
kc_check "  nothing else changed" test "$(kept "$MM")" = "$k0"
kc_check "  and again" pam_login mmuster "$pw"
sleep 2
kc_check "  still once" test "$(grep -c "$paused_write" "$KC_KCD_LOG")" = 1

# --- nothing secret in the log
kc_kcd_stop
cat "$KC_KCD_LOG" >>"$alllog"
kc_check_nogrep "no password in kcd's log" "$pw|$KC_PW_ETAN" cat "$alllog"
kc_check_nogrep "no hash in kcd's log" '\$argon2|\{SSHA\}[A-Za-z0-9+/]' cat "$alllog"
kc_done
