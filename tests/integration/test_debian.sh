#!/usr/bin/env bash
# The Debian packages (debian/, DESIGN section 15), built and used as an
# admin would: dpkg-buildpackage -us -uc -b in a copy of the tree; lintian
# with no errors and only the warnings listed below; apt-get install of the
# three .debs on this machine; files, modes, the conffile, the user _kcd,
# kcd neither enabled nor running, /etc/pam.d untouched; the packaged kcd
# --check-config refusing the shipped kcd.conf; the conffile configured
# against the harness slapd (which loads the packaged kc_argon2.so), kcd
# started as the unit starts it, a login with pamtester through the
# installed module and the stack of the shipped pam-auth-update profile;
# then apt-get purge, and nothing of ours left: every file and directory
# the packages brought, the user, /run/kcd, systemd state, and /etc/pam.d
# and /var/lib/pam byte for byte as before.
#
# Needs root (it installs packages) and a git checkout (debian/ is not in
# the release tarball). tests/run.sh runs it once, after the plain build
# (top_builddir: the harness's kc-pwhash); it is not part of make check.
# It changes the machine only while it runs: the exit handler stops kcd,
# purges the packages, removes what it wrote to /etc/kcd, and puts
# /etc/pam.d and /var/lib/pam back from a copy if they differ, also when
# it fails halfway. It refuses to start when any of our packages, the
# user _kcd or /run/kcd/pam.sock is already there.
set -u
. "$top_srcdir/tests/lib/slapd.sh"
. "$top_srcdir/tests/lib/check.sh"

packages=(libpam-kundencenter kcd slapd-kc-argon2)

# Lintian warnings we accept, each with the reason. Anything else that
# lintian reports as E: or W: fails the test.
lintian_allowed=(
  # Not uploaded to Debian's archive: there is no ITP bug to close.
  'initial-upload-closes-no-bugs'
  # /etc/kcd holds the secret files kcd reads as root before it switches
  # to _kcd: 0750 on purpose (examples/systemd/kcd.tmpfiles says the same).
  'kcd: non-standard-dir-perm 0750 != 0755 \[etc/kcd/\]'
)

if [[ $(id -u) -ne 0 ]]; then
  echo "SKIP: needs root (installs and purges packages)"
  exit 77
fi
for p in dpkg-buildpackage dh lintian apt-get pamtester git; do
  if ! command -v "$p" >/dev/null 2>&1; then
    echo "SKIP: $p not found (tests/packages.txt)"
    exit 77
  fi
done
if ! git -C "$top_srcdir" rev-parse --git-dir >/dev/null 2>&1; then
  echo "SKIP: not a git checkout (the tarball carries no debian/)"
  exit 77
fi
kc_slapd_require
ma=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
wrapper=$(ldconfig -p | sed -n 's/^[[:space:]]*libpam_wrapper\.so .*=> //p' | head -n 1)
if [[ -z "$wrapper" ]]; then
  echo "SKIP: libpam_wrapper.so not found (install libpam-wrapper)"
  exit 77
fi
for p in "${packages[@]}"; do
  if dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null | grep -qv '^not-installed$'; then
    echo "refusing to run: package $p is on this machine (the test purges it)"
    exit 99
  fi
done
if getent passwd _kcd >/dev/null || getent group _kcd >/dev/null; then
  echo "refusing to run: user or group _kcd exists (the test removes it)"
  exit 99
fi
if [[ -e /run/kcd/pam.sock ]]; then
  echo "refusing to run: /run/kcd/pam.sock exists (is a kcd running?)"
  exit 99
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/kc-debian.XXXXXX") || exit 99
chmod 755 "$work"
kc_cleanup_add "rm -rf '$work'"
started=$SECONDS

# ---- the machine before, and the exit handler that puts it back
# snapshot DIR...: one line per file, directory and link below DIR: type,
# mode, owner, and the content's hash or the link's target.
snapshot() {
  find "$@" -xdev \( -type f -printf '%y %m %u:%g %p ' -exec sha256sum {} \; \) -o \
    \( ! -type f -printf '%y %m %u:%g %p %l\n' \) 2>/dev/null | sort
}
# ours: every path on the machine whose name is one of ours.
ours() {
  find /etc /usr /var /run -xdev \( -name '*kcd*' -o -name '*kundencenter*' \
    -o -name 'kc_argon2*' \) 2>/dev/null | sort
}
snapshot /etc/pam.d >"$work/pam.d.before"
snapshot /var/lib/pam >"$work/var-lib-pam.before"
tar -C / -cpf "$work/pam-state.tar" etc/pam.d var/lib/pam
ours >"$work/ours.before"
etc_kcd_existed=no
[[ -e /etc/kcd ]] && etc_kcd_existed=yes

restore() {
  local p installed=()
  [[ -n ${kcd_pid:-} ]] && { kill "$kcd_pid" 2>/dev/null; wait "$kcd_pid" 2>/dev/null; }
  for p in "${packages[@]}"; do
    dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null |
      grep -qv '^not-installed$' && installed+=("$p")
  done
  if ((${#installed[@]} > 0)); then
    echo "# cleanup: purging ${installed[*]}"
    DEBIAN_FRONTEND=noninteractive dpkg --purge "${installed[@]}" >/dev/null 2>&1
  fi
  rm -f /etc/kcd/ldap.pw /etc/kcd/secret.key
  [[ $etc_kcd_existed == no ]] && rmdir /etc/kcd 2>/dev/null
  getent passwd _kcd >/dev/null && userdel _kcd 2>/dev/null
  getent group _kcd >/dev/null && groupdel _kcd 2>/dev/null
  rm -f /run/kcd/pam.sock
  rmdir /run/kcd 2>/dev/null
  if ! cmp -s "$work/pam.d.before" <(snapshot /etc/pam.d) ||
    ! cmp -s "$work/var-lib-pam.before" <(snapshot /var/lib/pam); then
    echo "# cleanup: /etc/pam.d or /var/lib/pam changed; restoring them"
    rm -rf /etc/pam.d /var/lib/pam
    tar -C / -xpf "$work/pam-state.tar"
  fi
  true
}
kc_cleanup_add restore

# ---- build
src=$work/src
mkdir -p "$src"
# the files git knows (and new ones it does not ignore), as they are now
(cd "$top_srcdir" && git ls-files -z --cached --others --exclude-standard |
  while IFS= read -r -d '' f; do
    [[ -e $f ]] && printf '%s\0' "$f"
  done | xargs -0 cp -P --parents -t "$src")
kc_check "dpkg-buildpackage -us -uc -b builds the packages" \
  bash -c "cd '$src' && DEB_BUILD_OPTIONS='nocheck parallel=2' \
    dpkg-buildpackage -us -uc -b >'$work/build.log' 2>&1"
if ((KC_RC != 0)); then
  tail -n 40 "$work/build.log"
  kc_done
fi
echo "# built in $((SECONDS - started)) s"
debs=()
for p in "${packages[@]}"; do
  f=$(ls "$work/${p}_"*.deb 2>/dev/null | head -n 1)
  kc_check "package $p was built" test -f "$f"
  debs+=("$f")
  echo "# dpkg -c $(basename "$f"):"
  dpkg-deb -c "$f" | awk '{ print "#   " $1 " " $6 ($7 == "->" ? " -> " $8 : "") }'
done
kc_check_grep "slapd-kc-argon2 depends on slapd of the release it was built for" \
  'slapd \(>= [0-9]+\.[0-9]+\.[^)]*\), slapd \(<< [0-9]+\.[0-9]+~\)' \
  dpkg-deb -f "${debs[2]}" Depends
kc_check_grep "libpam-kundencenter depends on the same version of kcd" \
  'kcd \(= [^)]*\)' dpkg-deb -f "${debs[0]}" Depends

# ---- lintian
changes=$(ls "$work"/*.changes | head -n 1)
lintian --display-info "$changes" >"$work/lintian.out" 2>&1
echo "# lintian $(basename "$changes"):"
sed 's/^/#   /' "$work/lintian.out"
kc_check_nogrep "lintian reports no errors" '^E: ' cat "$work/lintian.out"
allowed_re=$(
  IFS='|'
  echo "${lintian_allowed[*]}"
)
kc_check_nogrep "lintian warns of nothing but the listed warnings" '.' \
  bash -c "grep '^W: ' '$work/lintian.out' | grep -Ev -- '$allowed_re'"

# ---- install
# every directory the packages bring that the machine had before stays
for f in "${debs[@]}"; do
  dpkg-deb -c "$f" | awk '{ print substr($6, 2) }'
done | sed 's|/$||' | grep -v '^$' | sort -u >"$work/deb-paths"
while IFS= read -r p; do
  [[ -e $p || -L $p ]] && echo "$p"
done <"$work/deb-paths" >"$work/deb-paths.before"
kc_check "apt-get install ./*.deb installs the three packages" \
  env DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
  --no-install-recommends "${debs[@]}"
((KC_RC == 0)) || kc_done
kc_check "installing left /etc/pam.d as it was" \
  cmp "$work/pam.d.before" <(snapshot /etc/pam.d)
kc_check "  and /var/lib/pam (pam-auth-update was not run)" \
  cmp "$work/var-lib-pam.before" <(snapshot /var/lib/pam)

# mode_owner PATH: "MODE USER:GROUP"
mode_owner() { stat -c '%a %U:%G' "$1"; }
kc_check "the module is in /usr/lib/$ma/security, 644 root" \
  test "$(mode_owner "/usr/lib/$ma/security/pam_kundencenter.so")" = "644 root:root"
kc_check_grep "  and exports the pam_sm_* entry points" pam_sm_authenticate \
  nm -D --defined-only "/usr/lib/$ma/security/pam_kundencenter.so"
kc_check_grep "the pam-auth-update profile is shipped, Default: no" '^Default: no$' \
  cat /usr/share/pam-configs/kundencenter
kc_check_nogrep "  and enabled nowhere" 'pam_kundencenter' \
  cat /etc/pam.d/common-auth /etc/pam.d/common-account /etc/pam.d/common-password
for f in /usr/sbin/kcd /usr/sbin/kcadm; do
  kc_check "$f is 755 root" test "$(mode_owner "$f")" = "755 root:root"
done
for f in kundencenter.schema kundencenter.ldif base.ldif ppolicy.ldif acl.ldif; do
  kc_check "schema $f is in /usr/share/kcd/schema" test -f "/usr/share/kcd/schema/$f"
done
kc_check "the reserved user names are at kcd's default path" \
  test -f /usr/share/kcd/reserved-usernames
for m in kcd kcadm kcd.conf pam_kundencenter; do
  kc_check_grep "man $m finds the page" "/usr/share/man/man[58]/$m\.[58]\.gz" man -w "$m"
done
for f in kcd.conf pam.d/sshd pam.d/login pam.d/kundencenter-web \
  apache/kundencenter-basic.conf systemd/kcd.service slapd/README slapd/bootstrap.sh; do
  kc_check "example $f is in /usr/share/doc/kcd/examples" \
    test -f "/usr/share/doc/kcd/examples/$f"
done
kc_check "the systemd unit is installed" test -f /lib/systemd/system/kcd.service
kc_check_grep "  with its hardening" '^ProtectSystem=strict' cat /lib/systemd/system/kcd.service
kc_check "  and not enabled" \
  test ! -e /etc/systemd/system/multi-user.target.wants/kcd.service
kc_check "the sysusers and tmpfiles snippets are installed" \
  test -f /usr/lib/sysusers.d/kcd.conf -a -f /usr/lib/tmpfiles.d/kcd.conf
kc_check "/etc/kcd is 750 root" test "$(mode_owner /etc/kcd)" = "750 root:root"
kc_check_grep "/etc/kcd/kcd.conf is a conffile" '^ /etc/kcd/kcd.conf [0-9a-f]{32}' \
  dpkg-query -W -f='${Conffiles}\n' kcd
kc_check "  644 root" test "$(mode_owner /etc/kcd/kcd.conf)" = "644 root:root"
kc_check_grep "postinst made the system user _kcd (nologin)" \
  '^_kcd:x:[0-9]+:[0-9]+:Kundencenter authentication daemon(,,,)?:/nonexistent:/usr/sbin/nologin$' \
  getent passwd _kcd
uid=$(id -u _kcd 2>/dev/null || echo 0)
kc_check "  with a system uid" test "$uid" -gt 0 -a "$uid" -lt 1000
kc_check "kc_argon2.so is in slapd's module directory" test -f /usr/lib/ldap/kc_argon2.so
# kcd_running: a process runs /usr/sbin/kcd
kcd_running() {
  local p
  for p in /proc/[0-9]*; do
    [[ $(readlink "$p/exe" 2>/dev/null) == /usr/sbin/kcd ]] && return 0
  done
  return 1
}
kc_check_fails "installing started no kcd" kcd_running

# ---- the shipped kcd.conf is refused, and says what to do
kc_check_grep "kcd --check-config refuses the shipped kcd.conf, saying what to do" \
  '/etc/kcd/kcd.conf: missing required key "ldap_uri": not configured yet; set it in this file' \
  /usr/sbin/kcd --check-config
kc_check_fails "  and exits non-zero (the unit's ExecStartPre stops there)" \
  /usr/sbin/kcd --check-config -f /etc/kcd/kcd.conf

# ---- configured against the harness slapd, which loads the packaged module
export KC_ARGON2_MODULE=kc_argon2
kc_slapd_start || kc_done
kc_check_grep "the harness slapd loaded the packaged kc_argon2" 'kc_argon2' \
  kc_ldap_config ldapsearch -LLL -b cn=config '(objectClass=olcModuleList)' olcModuleLoad
install -m 0600 "$KC_KCD_PW_FILE" /etc/kcd/ldap.pw
# the command the shipped kcd.conf gives for the key
(umask 077 && head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >/etc/kcd/secret.key)
spool=$work/spool
mkdir -p "$spool/mail/tmp" "$spool/mail/new" "$spool/mail/cur"
chown -R _kcd:_kcd "$spool"
http_port=$(kc_pick_port)
metrics_port=$(kc_pick_port)
# an admin's edit of the conffile: the directory, local ports, mail into a
# Maildir and SMS into a file instead of the example servers
sed -i -e "s|^#ldap_uri = .*|ldap_uri = $KC_LDAP_URI|" \
  -e "s|^#ldap_base = .*|ldap_base = $KC_LDAP_BASE|" \
  -e "s|^ldap_starttls = yes|ldap_starttls = no|" \
  -e "s|^http_listen = .*|http_listen = 127.0.0.1:$http_port|" \
  -e "s|^metrics_listen = .*|metrics_listen = 127.0.0.1:$metrics_port|" \
  -e "s|^mail_transport = .*|mail_transport = maildir:$spool/mail|" \
  -e "s|^sms_transport = .*|sms_transport = file:$spool/sms.jsonl|" \
  -e '/^smtp_/d' -e '/^sms_method/d' -e '/^sms_body/d' -e '/^sms_auth_header_file/d' \
  /etc/kcd/kcd.conf
kc_check_grep "configured, kcd --check-config accepts it" 'configuration OK' \
  /usr/sbin/kcd --check-config

# as the unit starts it: as root, from /run/kcd (RuntimeDirectory=kcd)
mkdir -p /run/kcd
chmod 0755 /run/kcd
/usr/sbin/kcd -d -f /etc/kcd/kcd.conf >"$work/kcd.log" 2>&1 &
kcd_pid=$!
for ((i = 0; i < 200; i++)); do
  [[ -S /run/kcd/pam.sock ]] && grep -q 'kcd started;' "$work/kcd.log" && break
  kill -0 "$kcd_pid" 2>/dev/null || break
  sleep 0.05
done
kc_check_grep "the packaged kcd starts on the packaged conffile" 'kcd started;' \
  cat "$work/kcd.log"
((KC_RC == 0)) || kc_done
kc_check "  and runs as _kcd" \
  test "$(awk '/^Uid:/ { print $2 }' "/proc/$kcd_pid/status")" = "$uid"

# ---- logins with pamtester through the installed module (pam_wrapper:
# a private service directory; /etc/pam.d is not touched)
svc=$work/pam.d
mkdir -p "$svc"
secdir=/usr/lib/$ma/security
cat >"$svc/kc-deb" <<EOF
auth required $secdir/pam_kundencenter.so socket=/run/kcd/pam.sock
account required $secdir/pam_kundencenter.so socket=/run/kcd/pam.sock
EOF
# profile_stack TYPE: the Primary block pam-auth-update would write into
# common-TYPE from the shipped profile alone: its -Initial lines (jumps to
# "end" land after pam_deny), then pam_deny and pam_permit.
profile_stack() {
  local type=$1 uc
  uc=$(tr '[:lower:]' '[:upper:]' <<<"${type:0:1}")${type:1}
  awk -v key="$uc-Initial:" '
    $0 == key { on = 1; next }
    /^[^[:space:]]/ { on = 0 }
    on { sub(/^[[:space:]]+/, ""); print }' /usr/share/pam-configs/kundencenter |
    sed -e "s/success=end/success=1/" -e "s|\(pam_[a-z_]*\.so\)|$secdir/\1|" \
      -e "s/^/$type /"
  echo "$type requisite $secdir/pam_deny.so"
  echo "$type required $secdir/pam_permit.so"
}
{ profile_stack auth; profile_stack account; } >"$svc/kc-profile"
echo "# the profile's stack:"
sed 's/^/#   /' "$svc/kc-profile"
pamtester_wrapped() {
  env LD_PRELOAD="$wrapper" PAM_WRAPPER=1 PAM_WRAPPER_SERVICE_DIR="$svc" \
    pamtester "$@"
}
kc_check_grep "pamtester logs mmuster in through the installed module" \
  'successfully authenticated' \
  pamtester_wrapped kc-deb mmuster authenticate acct_mgmt <<<"$KC_PW_MMUSTER"
kc_check_grep "  and refuses a wrong password" 'Authentication failure' \
  pamtester_wrapped kc-deb mmuster authenticate <<<"Falsches-Passwort-1"
kc_check_grep "the shipped profile's stack logs mmuster in" 'successfully authenticated' \
  pamtester_wrapped kc-profile mmuster authenticate acct_mgmt <<<"$KC_PW_MMUSTER"
kc_check_fails "  and never asks kcd for root (a system account)" \
  pamtester_wrapped kc-profile root authenticate <<<"$KC_PW_MMUSTER"
kc_check_nogrep "  (kcd saw no request for root)" 'user=root' cat "$work/kcd.log"

# ---- stop kcd as systemctl stop would, then purge
kill -TERM "$kcd_pid"
wait "$kcd_pid" 2>/dev/null
kcd_pid=
kc_check "apt-get purge removes the three packages" \
  env DEBIAN_FRONTEND=noninteractive apt-get purge -y -q "${packages[@]}"
kc_check "  /etc/kcd keeps only the admin's secret files" \
  test "$(cd /etc/kcd 2>/dev/null && ls -A | tr '\n' ' ')" = "ldap.pw secret.key "
rm -f /etc/kcd/ldap.pw /etc/kcd/secret.key
[[ $etc_kcd_existed == no ]] && rmdir /etc/kcd 2>/dev/null
kc_check_fails "the user _kcd is gone" getent passwd _kcd
kc_check_fails "  and its group" getent group _kcd
kc_check "/run/kcd is gone" test ! -e /run/kcd
left=$(comm -13 "$work/deb-paths.before" <(while IFS= read -r p; do
  [[ -e $p || -L $p ]] && echo "$p"
done <"$work/deb-paths"))
kc_check "no file or directory of the packages is left" test -z "$left"
[[ -z "$left" ]] || printf '    # left: %s\n' "$left"
kc_check "no path named like ours appeared (kcd, kundencenter, kc_argon2)" \
  cmp "$work/ours.before" <(ours)
kc_check_nogrep "dpkg knows none of the packages" \
  '^(installed|config-files|half|unpacked|triggers)' \
  dpkg-query -W -f='${db:Status-Status}\n' "${packages[@]}"
kc_check_nogrep "no systemd state of kcd.service is left" 'kcd' \
  find /etc/systemd /var/lib/systemd -name '*kcd*'
kc_check "/etc/pam.d is byte for byte as before" \
  cmp "$work/pam.d.before" <(snapshot /etc/pam.d)
kc_check "  and /var/lib/pam" cmp "$work/var-lib-pam.before" <(snapshot /var/lib/pam)
echo "# test_debian.sh took $((SECONDS - started)) s"
kc_done
