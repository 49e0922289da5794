#!/usr/bin/env bash
# make install DESTDIR=... from this build: kcd and kcadm in sbindir, the
# PAM module (without its .la) in the PAM directory, the schema, the man
# pages, README and examples; sane modes; the installed kcd accepts the
# installed example kcd.conf (paths pointed at test secret files); the
# installed man pages render; make uninstall removes every file again.
# As root with slapd installed, also the "new directory" path: a slapd set
# up like Debian's package does it, examples/slapd/bootstrap.sh from the
# installed tree, then the installed kcadm and kcd against it.
set -u
. "$top_srcdir/tests/lib/slapd.sh"
. "$top_srcdir/tests/lib/check.sh"

work=$(mktemp -d "${TMPDIR:-/tmp}/kc-install.XXXXXX") || exit 99
kc_cleanup_add "rm -rf '$work'"
root=$work/root

# The installation directories as this build's Makefile expands them.
dirs=$(make -s --no-print-directory -C "$top_builddir" -f Makefile -f - \
  kc-print-dirs <<'EOF'
kc-print-dirs:
	@echo "sbindir=$(sbindir)"
	@echo "pammoddir=$(pammoddir)"
	@echo "mandir=$(mandir)"
	@echo "docdir=$(docdir)"
	@echo "schemadir=$(schemadir)"
	@echo "examplesdir=$(examplesdir)"
	@echo "reserveddir=$(reserveddir)"
EOF
) || { echo "cannot read the directories from $top_builddir/Makefile"; exit 99; }
eval "$dirs"
echo "# sbindir=$sbindir pammoddir=$pammoddir mandir=$mandir docdir=$docdir"

kc_check "make install DESTDIR=... succeeds" \
  make -s --no-print-directory -C "$top_builddir" install DESTDIR="$root"
[[ $KC_RC -eq 0 ]] || { printf '%s\n' "$KC_OUT" | tail -n 20; kc_done; }

# mode FILE: the permission bits in octal.
mode() { stat -c '%a' "$1"; }

for p in kcd kcadm; do
  kc_check "$p is installed in sbindir, mode 755" test "$(mode "$root$sbindir/$p")" = 755
done
kc_check "kcd runs from the installed tree" "$root$sbindir/kcd" --help
kc_check "kcadm runs from the installed tree" "$root$sbindir/kcadm" --help
so=$root$pammoddir/pam_kundencenter.so
kc_check "the module is in the PAM directory" test -f "$so"
kc_check "  mode 644 or 755, not writable by others" \
  bash -c "[[ \$(stat -c %a '$so') == 644 || \$(stat -c %a '$so') == 755 ]]"
kc_check_nogrep "no .la file is installed" '.' find "$root" -name '*.la'
kc_check_nogrep "  and no static archive" '.' find "$root" -name '*.a'
kc_check_grep "the module exports the pam_sm_* entry points" 'pam_sm_authenticate' \
  nm -D --defined-only "$so"
for f in kundencenter.schema kundencenter.ldif base.ldif ppolicy.ldif acl.ldif; do
  kc_check "schema/$f is installed, mode 644" test "$(mode "$root$schemadir/$f")" = 644
done
for m in man8/pam_kundencenter.8 man8/kcd.8 man5/kcd.conf.5 man8/kcadm.8; do
  kc_check "man page $m is installed, mode 644" test "$(mode "$root$mandir/$m")" = 644
  kc_check_grep "  and renders with man -l" 'SEE ALSO' \
    env MANWIDTH=80 man -l "$root$mandir/$m"
done
kc_check "README.md is in docdir" test -f "$root$docdir/README.md"
kc_check "the reserved user names are installed, mode 644" \
  test "$(mode "$root$reserveddir/reserved-usernames")" = 644
for f in kcd.conf pam.d/sshd pam.d/login pam.d/kundencenter-web \
  apache/kundencenter-basic.conf apache/kundencenter-form.conf \
  systemd/kcd.service systemd/kcd.sysusers systemd/kcd.tmpfiles systemd/README \
  slapd/README; do
  kc_check "example $f is installed, mode 644" test "$(mode "$root$examplesdir/$f")" = 644
done
for f in apache/login.cgi slapd/bootstrap.sh slapd/multiprovider.sh; do
  kc_check "example $f is installed, mode 755" test "$(mode "$root$examplesdir/$f")" = 755
done
kc_check_nogrep "nothing installed is writable by group or others" '.' \
  find "$root" -type f -perm /022

# ---- the installed kcd and the installed example configuration
etc=$work/etc
mkdir -p "$etc"
(umask 077 &&
  printf '%s' 'service-password' >"$etc/ldap.pw" &&
  printf '%s' 'smtp-password' >"$etc/smtp.pw" &&
  printf '%s' 'Authorization: Bearer 0123456789' >"$etc/sms-auth.header" &&
  head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$etc/secret.key")
# the list's default path is the installed one, here under DESTDIR
{ sed "s|/etc/kcd/|$etc/|g" "$root$examplesdir/kcd.conf"
  echo "reserved_usernames_file = $root$reserveddir/reserved-usernames"
} >"$etc/kcd.conf"
kc_check_grep "the installed kcd accepts the installed example kcd.conf" \
  'configuration OK' "$root$sbindir/kcd" --check-config -f "$etc/kcd.conf"
chmod 644 "$etc/ldap.pw"
kc_check_grep "  and refuses a secret file others can read, naming it" \
  "ldap_bind_pw_file: $etc/ldap.pw: mode 0644" \
  "$root$sbindir/kcd" --check-config -f "$etc/kcd.conf"
chmod 600 "$etc/ldap.pw"

# ---- a new directory, bootstrapped from the installed files (root only:
# cn=config is changed over ldapi:// with SASL EXTERNAL as uid 0)
bootstrap_check()
{
  local init=/usr/share/slapd/slapd.init.ldif d=$work/slapd port uri enc
  local suffix=dc=praxis,dc=test pid i kcd_pid status
  if [[ $(id -u) -ne 0 || ! -r $init ]] || ! kc__find_prog SLAPD slapd ||
    ! kc__find_prog SLAPADD slapadd; then
    echo "# (bootstrap check skipped: needs root, slapd and $init)"
    return 0
  fi
  mkdir -p "$d/slapd.d" "$d/db"
  chmod 700 "$d"
  # Debian's own template, as its postinst uses it, with our paths.
  sed -e "s|/var/run/slapd|$d|g" -e "s|/var/lib/ldap|$d/db|g" \
    -e "s|@SUFFIX@|$suffix|g" -e "s|@PASSWORD@|root-secret|g" \
    -e "s|olcDbMaxSize: .*|olcDbMaxSize: 67108864|" "$init" >"$d/init.ldif"
  kc_check "a cn=config like Debian's slapd package makes" \
    "$SLAPADD" -n0 -F "$d/slapd.d" -l "$d/init.ldif"
  ((KC_RC == 0)) || return 0
  port=$(kc_pick_port)
  enc=$(printf '%s' "$d/ldapi" | sed 's|/|%2F|g')
  uri="ldapi://$enc"
  "$SLAPD" -d 0 -h "ldap://127.0.0.1:$port/ $uri" -F "$d/slapd.d" \
    >"$d/slapd.log" 2>&1 &
  pid=$!
  kc_cleanup_add "kill $pid 2>/dev/null; wait $pid 2>/dev/null"
  for ((i = 0; i < 100; i++)); do
    ldapwhoami -x -H "ldap://127.0.0.1:$port/" -D "cn=admin,$suffix" \
      -w root-secret >/dev/null 2>&1 && break
    sleep 0.1
  done
  printf '%s\n' "dn: $suffix" "objectClass: dcObject" "objectClass: organization" \
    "dc: praxis" "o: Praxis" |
    ldapadd -x -H "$uri" -D "cn=admin,$suffix" -w root-secret >/dev/null 2>&1
  printf '%s' root-secret >"$d/rootpw"
  chmod 600 "$d/rootpw"
  # the schema of an older release (without the main users' invitations
  # and lease), loaded before: bootstrap.sh brings it up to date
  /usr/bin/python3 - "$top_srcdir/schema/kundencenter.ldif" >"$d/old-schema.ldif" <<'PYEOF'
import re, sys
text = open(sys.argv[1]).read()
text = re.sub(r"olcAttributeTypes: \( [0-9.]+\n  NAME '(kcInvitedBy|kcAdminLock)'.*?SINGLE-VALUE \)\n", "", text, flags=re.S)
text = text.replace(" $ kcAdminLock", "").replace(" $ kcRole $ kcInvitedBy $ givenName $ sn", "")
print(text, end="")
PYEOF
  kc_check "an older release's schema loads" \
    ldapadd -Q -Y EXTERNAL -H "$uri" -f "$d/old-schema.ldif"
  kc_check "installed bootstrap.sh prepares the directory" \
    "$root$examplesdir/slapd/bootstrap.sh" -H "$uri" -y "$d/rootpw" -p "$d/kcd.pw"
  printf '%s\n' "$KC_OUT" | sed 's/^/    # /'
  kc_check_grep "  and upgrades the old schema" \
    'upgrading \(2 new attribute types, 2 object classes\)' echo "$KC_OUT"
  kc_check_grep "  kcAdminLock is in kcCustomer now" "NAME 'kcCustomer'.*kcAdminLock" \
    ldapsearch -Q -LLL -o ldif-wrap=no -Y EXTERNAL -H "$uri" -b cn=schema,cn=config \
    olcObjectClasses
  kc_check_grep "  run again, it finds everything done" 'DIT: 0 entries added' \
    "$root$examplesdir/slapd/bootstrap.sh" -H "$uri" -y "$d/rootpw" -p "$d/kcd.pw"
  kc_check_grep "  the schema too" 'schema kundencenter: loaded, current' echo "$KC_OUT"
  cat >"$d/kcd.conf" <<EOF
ldap_uri = ldap://127.0.0.1:$port/
ldap_base = $suffix
ldap_bind_dn = cn=kcd,ou=services,$suffix
ldap_bind_pw_file = $d/kcd.pw
pam_socket = $d/pam.sock
http_listen = 127.0.0.1:$(kc_pick_port)
metrics_listen = 127.0.0.1:$(kc_pick_port)
captcha = none
secret_key_file = $etc/secret.key
reserved_usernames_file = $root$reserveddir/reserved-usernames
EOF
  kc_check "installed kcadm adds a customer as kcd's service DN" \
    "$root$sbindir/kcadm" -c "$d/kcd.conf" customer add 4711 --email info@praxis.test
  kc_check_grep "installed kcadm provisions an account (must change)" \
    'must change password: +yes' "$root$sbindir/kcadm" -c "$d/kcd.conf" \
    account create --customer 4711 --email eva@praxis.test --first-name Eva \
    --last-name Arzt
  "$root$sbindir/kcd" -d -f "$d/kcd.conf" >"$d/kcd.log" 2>&1 &
  kcd_pid=$!
  kc_cleanup_add "kill $kcd_pid 2>/dev/null; wait $kcd_pid 2>/dev/null"
  status=
  for ((i = 0; i < 100; i++)); do
    status=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 \
      "http://$(sed -n 's/^http_listen = //p' "$d/kcd.conf")/healthz") || status=
    [[ "$status" == 200 ]] && break
    sleep 0.1
  done
  kc_check "installed kcd serves the new directory (/healthz 200)" test "$status" = 200
  [[ "$status" == 200 ]] || cat "$d/kcd.log"
}
kc_slapd_require >/dev/null 2>&1 &&
  command -v curl >/dev/null && bootstrap_check

# ---- make uninstall leaves nothing behind
kc_check "make uninstall DESTDIR=... succeeds" \
  make -s --no-print-directory -C "$top_builddir" uninstall DESTDIR="$root"
kc_check_nogrep "  and removes every installed file" '.' find "$root" -type f
kc_done
