#!/usr/bin/env bash
# kc_argon2.so in a real slapd (DESIGN §14): binds against what
# libsodium, kcd and Debian's own argon2 module wrote pass; ldappasswd
# through slapd makes argon2id with the module's m= and t=; stored values
# that are malformed, of another variant ($argon2d$) or beyond the
# ceilings (m, t, p) and an empty or 1 MiB password fail the bind at once
# and slapd keeps serving; the module refuses to load beside Debian's
# argon2 and with bad arguments, saying why; a slapd on Debian's argon2 is
# switched over offline as examples/slapd/README says.
set -u
. "$top_srcdir/tests/lib/slapd.sh"
. "$top_srcdir/tests/lib/check.sh"
kc_slapd_require
so=$top_builddir/slapd/.libs/kc_argon2.so
[[ -f $so ]] || { echo "kc_argon2.so not built: $so" >&2; exit 99; }
so=$(cd "$(dirname "$so")" && pwd)/kc_argon2.so
KC_ARGON2_MODULE=$so KC_ARGON2_ARGS="m=32768 t=3" kc_slapd_start || exit 1
work=$(mktemp -d "${TMPDIR:-/tmp}/kc-argon2.XXXXXX") || exit 1
kc_cleanup_add "rm -rf '$work'"
base=ou=accounts,$KC_LDAP_BASE

kc_check_grep "slapd runs kc_argon2.so with m=32768 t=3" \
  "olcModuleLoad: \{2\}$so m=32768 t=3" \
  kc_ldap_config ldapsearch -LLL -o ldif-wrap=no -b 'cn=module{0},cn=config' olcModuleLoad

add() { # UID USERPASSWORD-VALUE
  printf 'dn: uid=%s,%s\nobjectClass: inetOrgPerson\nobjectClass: kcAccount\nuid: %s\ncn: %s\nsn: %s\nkcCustomerNumber: 46075\nuserPassword: %s\n' \
    "$1" "$base" "$1" "$1" "$1" "$2" | kc_ldap_admin ldapadd >/dev/null
}
bind() { # UID PASSWORD
  kc_ldap_as "uid=$1,$base" "$2" ldapwhoami
}
alive() { kc_ldap_admin ldapwhoami >/dev/null; }
pw=Richtiges-Passwort-2026

# --- what others wrote verifies
kc_check "an argon2id hash from libsodium (kc-pwhash, as kcd's tools write)" \
  add libsodium "$(printf '%s\n' "$pw" | "$KC_PWHASH")"
kc_check "  binds with the password" bind libsodium "$pw"
kc_check_fails "  not with another" bind libsodium "${pw}x"
slappasswd=$(command -v slappasswd || echo /usr/sbin/slappasswd)
deb=$("$slappasswd" -o module-path="$SLAPD_MODULEDIR" -o module-load=argon2 \
  -h '{ARGON2}' -s "$pw" 2>/dev/null)
kc_check_grep "Debian's argon2 module makes a hash" '^\{ARGON2\}\$argon2i?d?\$' echo "$deb"
kc_check "  it is stored" add debian "$deb"
kc_check "  and binds through kc_argon2" bind debian "$pw"
kc_check_fails "  not with another password" bind debian "${pw}x"

# --- new hashes through slapd: argon2id with the module's arguments
kc_check "ldappasswd sets a new password" \
  kc_ldap_admin ldappasswd -s "$pw-neu" "uid=libsodium,$base"
stored() { # UID: its userPassword as stored
  kc_ldap_admin ldapsearch -LLL -o ldif-wrap=no -b "uid=$1,$base" -s base \
    userPassword | sed -n 's/^userPassword:: //p' | base64 -d
}
kc_check_grep "  stored as {ARGON2}\$argon2id\$v=19\$m=32768,t=3,p=1\$" \
  '^\{ARGON2\}\$argon2id\$v=19\$m=32768,t=3,p=1\$' stored libsodium
kc_check "  and binds" bind libsodium "$pw-neu"

# --- stored values that never reach libsodium: the bind fails, slapd lives
salt=c29tZXNhbHRzb21lc2FsdA
tag=Zm9vYmFyZm9vYmFyZm9vYmFyZm9vYmFyZm9vYmFyMTI
i=0
for bad in 'garbage' '$argon2d$v=19$m=65536,t=2,p=1$'$salt'$'$tag \
  '$argon2id$v=19$m=4194304,t=2,p=1$'$salt'$'$tag \
  '$argon2id$v=19$m=65536,t=4000000,p=1$'$salt'$'$tag \
  '$argon2id$v=19$m=65536,t=2,p=64$'$salt'$'$tag \
  '$argon2id$v=16$m=65536,t=2,p=1$'$salt'$'$tag \
  '$argon2id$v=19$m=65536,t=2,p=1$$' '$argon2id$' ''; do
  i=$((i + 1))
  add "bad$i" "{ARGON2}$bad" || { kc_fail "storing bad value $i"; continue; }
  kc_check_fails "stored {ARGON2}${bad:0:40}...: the bind fails" bind "bad$i" "$pw"
  kc_check "  slapd still answers" alive
done
kc_check_grep "  and says only 'invalid credentials'" 'Invalid credentials \(49\)' \
  bind bad3 "$pw"

# --- passwords at the edges
kc_check_nogrep "an empty password does not bind as the user" 'uid=debian' \
  bind debian ""
head -c 1048576 /dev/urandom | base64 -w0 | head -c 1048576 >"$work/big.pw"
kc_check_fails "a 1 MiB password fails" \
  kc__tool ldapwhoami -x -H "$KC_LDAP_URI" -D "uid=debian,$base" -y "$work/big.pw"
kc_check "  slapd still answers" alive
kc_check "  and the right password still binds" bind debian "$pw"

# --- the module refuses to load where it cannot work
kc_slapd_stop
KC_ARGON2_MODULE=argon2 KC_ARGON2_ARGS= kc_slapd_start || exit 1
load() { # ARGS...: add kc_argon2.so to the running slapd
  printf 'dn: cn=module{0},cn=config\nchangetype: modify\nadd: olcModuleLoad\nolcModuleLoad: %s\n' \
    "$*" | kc_ldap_config ldapmodify
}
kc_check_fails "beside Debian's argon2: not loaded" load "$so"
kc_check_grep "  slapd's log says why" \
  'kc_argon2: \{ARGON2\} is already registered' cat "$KC_SLAPD_LOG"
kc_check_fails "with m=64k: not loaded" load "$so m=64k"
kc_check_grep "  slapd's log says why" \
  'kc_argon2: argument "m=64k" is not m=KiB' cat "$KC_SLAPD_LOG"
kc_check "  slapd still answers" alive

# --- switching a slapd that runs Debian's argon2 to kc_argon2, as
# examples/slapd/README says: stop, slapmodify cn=config, start
kc_slapd_kill
# its third module line, as slapd wrote it (base64 when it ends in a blank)
old=$(grep -E '^olcModuleLoad::? ' \
  "$KC_SLAPD_DIR/slapd.d/cn=config/cn=module{0}.ldif" | sed -n 3p)
shown=$old
[[ $old == olcModuleLoad::* ]] && shown=$(base64 -d <<<"${old#olcModuleLoad:: }")
kc_check_grep "the old module's value in cn=config" '\{2\}argon2' echo "$shown"
printf '%s\n' 'dn: cn=module{0},cn=config' 'changetype: modify' \
  'delete: olcModuleLoad' "$old" '-' 'add: olcModuleLoad' \
  "olcModuleLoad: $so m=16384 t=2" '-' >"$work/switch.ldif"
kc_check "slapmodify -n0 swaps the modules offline" \
  "$(dirname "$SLAPADD")/slapmodify" -F "$KC_SLAPD_DIR/slapd.d" -n0 -l "$work/switch.ldif"
# (not inside kc_check: its $(...) would keep the new slapd's pid from
# this shell, and the cleanup would leave that slapd running)
if kc_slapd_restart; then
  kc_pass "slapd starts again"
else
  kc_fail "slapd starts again"
  exit 1
fi
kc_check_grep "  with kc_argon2.so in place of argon2" "\}$so m=16384 t=2\$" \
  kc_ldap_config ldapsearch -LLL -o ldif-wrap=no -b 'cn=module{0},cn=config' olcModuleLoad
kc_check "  the fixture accounts still bind" bind mmuster "$KC_PW_MMUSTER"
kc_check "  a new password is hashed by kc_argon2" \
  kc_ldap_admin ldappasswd -s "$pw-2" "uid=mmuster,$base"
kc_check_grep "  as argon2id with m=16384,t=2" \
  '^\{ARGON2\}\$argon2id\$v=19\$m=16384,t=2,p=1\$' stored mmuster
kc_done
