# shellcheck shell=bash
#
# lib.sh: what the benchmark scripts share (on top of the test harness in
# tests/lib/: private slapd, kcd, PAM service files, cleanup at exit).
#
#   . "$top_srcdir/bench/lib.sh"
#   kc_bench_slapd_start            harness slapd, quiet log, more threads
#   kc_bench_users KIND PREFIX N COST USERS_FILE [HASHES_FILE]
#                                   add N accounts to the directory
#   kc_bench_slapd_twin MODULE      a second slapd with the same
#                                   configuration and data, MODULE for
#                                   {ARGON2}
#   kc_bench_kcd_another VAR DIR ['key = value'...]
#                                   a further kcd like the harness one
#   kc_bench_nslcd_usable           true when nss-pam-ldapd can be driven
#   kc_bench_nslcd_conf FILE        nslcd.conf for the harness slapd
#   kc_bench_in_nslcd_ns CONF CMD...
#                                   run CMD beside a private nslcd
#   kc_bench_secret_key FILE        a fresh secret_key_file for kcd
#   kc_bench_pam_service FILE SOCKET
#                                   auth + account through the module to
#                                   the kcd on SOCKET (timeout=120)
#   kc_bench_kcadm_conf FILE        kcadm.conf for the harness slapd
#   kc_bench_customers_csv N [CHANGE]
#                                   CSV of N customers 1000000.. with
#                                   praxis<i>@kunden.example; CHANGE > 0
#                                   alters every CHANGE-th address
#   kc_bench_cpu_ticks PID          utime+stime of PID (clock ticks)
#   kc_bench_rss_kib PID, kc_bench_fds PID
#
# Environment: KC_BENCH_SMOKE=1 makes every script run briefly (CI).
#
# Every benchmark's kcd runs with password_hash_upgrade = no: the accounts
# keep the hashes the benchmark gave them (cheap ones in a smoke run),
# instead of being raised to kcd's cost at their first login.

if [[ -z "${KC_BENCH_LOADED:-}" ]]; then
KC_BENCH_LOADED=1

: "${top_srcdir:=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
export top_srcdir top_builddir
# shellcheck source=tests/lib/slapd.sh
. "$top_srcdir/tests/lib/slapd.sh"
# shellcheck source=tests/lib/kcd.sh
. "$top_srcdir/tests/lib/kcd.sh"

KC_BENCH_AUTH=$top_builddir/bench/kc-bench-auth
# our {ARGON2} module for slapd (slapd/kc_argon2.c, DESIGN section 14)
# shellcheck disable=SC2034 # bench_auth.sh uses it
KC_BENCH_ARGON2_SO=$top_builddir/slapd/.libs/kc_argon2.so
KC_BENCH_MODULE=${KC_PAM_MODULE:-$top_builddir/pam_kundencenter/.libs/pam_kundencenter.so}
KC_BENCH_NSLCD=/usr/sbin/nslcd
KC_BENCH_PAM_LDAP=
for d in /lib/x86_64-linux-gnu/security /usr/lib/x86_64-linux-gnu/security \
  /lib/security /usr/lib/security; do
  if [[ -f $d/pam_ldap.so ]]; then
    KC_BENCH_PAM_LDAP=$d/pam_ldap.so
    break
  fi
done
# slapd's thread pool (olcThreads, 16 by default) must not be what limits
# 16 concurrent logins, each of which has a search and a bind in flight.
KC_BENCH_SLAPD_THREADS=${KC_BENCH_SLAPD_THREADS:-64}

kc_bench_say()
{
  printf '\n%s\n\n' "$*"
}

kc_bench_require()
{
  local f
  for f in "$KC_BENCH_AUTH" "$KC_BENCH_MODULE" "$top_builddir/kcd/kcd" \
    "$top_builddir/tests/tools/kc-pwhash"; do
    if [[ ! -e $f ]]; then
      echo "bench: $f is not built (make bench builds it)" >&2
      exit 1
    fi
  done
}

# kc_bench_slapd_start: the harness slapd without its per-operation log
# (writing a line per operation would be part of what we measure) and with
# KC_BENCH_SLAPD_THREADS threads. kcd's service DN gets a cheap hash of the
# same password: every kcd worker, nslcd thread and (a) worker binds as it
# once per connection, outside what is measured, and 16 of those at
# 64 MiB each would only slow down the start of every run.
kc_bench_slapd_start()
{
  local h
  # shellcheck disable=SC2119 # no arguments: the full DIT
  KC_SLAPD_DEBUG=${KC_SLAPD_DEBUG:-0} kc_slapd_start || return 1
  kc_ldap_config ldapmodify >/dev/null <<EOF || return 1
dn: cn=config
changetype: modify
replace: olcThreads
olcThreads: $KC_BENCH_SLAPD_THREADS
EOF
  h=$(kc_bench__cheap_hash "$KC_KCD_PW_FILE") || return 1
  kc_ldap_admin ldapmodify >/dev/null <<EOF || return 1
dn: $KC_KCD_DN
changetype: modify
replace: userPassword
userPassword: $h
EOF
}

# kc_bench__cheap_hash FILE: a cheap {ARGON2} hash of the password in FILE:
# Debian's slappasswd makes argon2i, here with m=32 KiB and t=3 (3 passes:
# kc_argon2.so, like libsodium, takes no argon2i with fewer), which both
# Debian's module and ours verify in well under a millisecond.
kc_bench__cheap_hash()
{
  slappasswd -o module-path="$SLAPD_MODULEDIR" -o module-load="argon2 m=32 t=3" \
    -h '{ARGON2}' -T "$1"
}

# kc_bench__hashes COST N DIR: N password/hash pairs as DIR/K.pw, DIR/K.hash.
# real: kc-pwhash, libsodium argon2id with the "interactive" limits (64 MiB,
# t=2), exactly as the fixtures and kcd make them; cheap:
# kc_bench__cheap_hash, for runs that measure kcd rather than argon2.
kc_bench__hashes()
{
  local cost=$1 n=$2 dir=$3 k pids=()
  for ((k = 0; k < n; k++)); do
    (umask 077 &&
      printf 'Bench-Passwort-%d-%s' "$k" "$(kc__random | cut -c1-12)" >"$dir/$k.pw")
    if [[ $cost == real ]]; then
      (cat "$dir/$k.pw"; echo) | "$KC_PWHASH" >"$dir/$k.hash" &
    else
      kc_bench__cheap_hash "$dir/$k.pw" >"$dir/$k.hash" &
    fi
    pids+=($!)
  done
  for k in "${pids[@]}"; do
    wait "$k" || return 1
  done
  # e.g. "argon2id m=65536,t=2,p=1", for the reports
  # shellcheck disable=SC2016,SC2034 # literal "$"; the scripts print it
  KC_BENCH_HASH_PARAMS=$(sed -n 's/^{ARGON2}\$\([a-z0-9]*\)\$v=[0-9]*\$\([^$]*\)\$.*/\1 \2/p' \
    "$dir/0.hash")
}

# kc_bench_users KIND PREFIX N COST USERS_FILE [HASHES_FILE]: add accounts
# PREFIX0001.. to ou=accounts. KIND pw: no TAN; KIND tan: emailTAN, each with its own
# address PREFIXnnnn@bench.example. COST real|cheap (see above). Eight
# distinct passwords are shared round-robin (hashing 128 of them would
# only cost start-up time; every bind still verifies a full hash).
# USERS_FILE gets "name password [mail]" lines for kc-bench-auth,
# HASHES_FILE (if given) "name password userPassword" lines (its verify
# mode).
kc_bench_users()
{
  local kind=$1 prefix=$2 n=$3 cost=$4 out=$5 hashes=${6:-} dir i k name mail method
  local nh=$((n < 8 ? n : 8))
  dir=$(mktemp -d "${TMPDIR:-/tmp}/kc-bench-users.XXXXXX") || return 1
  kc_cleanup_add "rm -rf '$dir'"
  kc_bench__hashes "$cost" "$nh" "$dir" || return 1
  method=none
  [[ $kind == tan ]] && method=email
  : >"$out"
  [[ -z $hashes ]] || (umask 077 && : >"$hashes")
  for ((i = 1; i <= n; i++)); do
    k=$(((i - 1) % nh))
    name=$(printf '%s%04d' "$prefix" "$i")
    mail=$name@bench.example
    printf 'dn: uid=%s,ou=accounts,%s\nobjectClass: inetOrgPerson\n' "$name" "$KC_LDAP_BASE"
    printf 'objectClass: kcAccount\nuid: %s\ncn: Bench %s\nsn: %s\n' "$name" "$name" "$name"
    printf 'mail: %s\nkcCustomerNumber: 46075\nkcTanMethod: %s\n' "$mail" "$method"
    printf 'kcRole: user\nuserPassword: %s\n\n' "$(cat "$dir/$k.hash")"
    if [[ $kind == tan ]]; then
      printf '%s %s %s\n' "$name" "$(cat "$dir/$k.pw")" "$mail" >>"$out"
    else
      printf '%s %s\n' "$name" "$(cat "$dir/$k.pw")" >>"$out"
    fi
    if [[ -n $hashes ]]; then
      printf '%s %s %s\n' "$name" "$(cat "$dir/$k.pw")" "$(cat "$dir/$k.hash")" >>"$hashes"
    fi
  done >"$dir/users.ldif"
  kc_ldap_admin ldapadd -f "$dir/users.ldif" >/dev/null || return 1
}

# kc_bench_slapd_twin MODULE: a second slapd, beside the harness one
# (kc_bench_slapd_start, accounts added), with the same cn=config and the
# same data (accounts, hashes, ppolicy, ACLs, olcThreads; both copied with
# slapcat and slapadd), but MODULE (a path or a name in SLAPD_MODULEDIR)
# for {ARGON2} with the same arguments. Its own directory and port; it is
# stopped at exit. Exports KC_BENCH_TWIN_URI, KC_BENCH_TWIN_PID,
# KC_BENCH_TWIN_LOG.
kc_bench_slapd_twin()
{
  local module=$1 dir try port uri pid
  if ! kc__find_prog SLAPCAT slapcat; then
    echo "bench: slapcat not found (install slapd)" >&2
    return 1
  fi
  dir=$(mktemp -d "${TMPDIR:-/tmp}/kc-slapd-twin.XXXXXX") || return 1
  chmod 700 "$dir"
  kc_cleanup_add "rm -rf '$dir'"
  mkdir "$dir/slapd.d" "$dir/db"
  # the module line of the harness: olcModuleLoad: {2}argon2 m=65536 t=2
  if ! "$SLAPCAT" -F "$KC_SLAPD_DIR/slapd.d" -n0 -o ldif_wrap=no 2>"$dir/tool.out" |
    sed -e "s|^\(olcModuleLoad: {[0-9]*}\)[^ ]*argon2[^ ]*|\1$module|" \
      -e "s|$KC_SLAPD_DIR/|$dir/|g" >"$dir/config.ldif" ||
    ! "$SLAPCAT" -F "$KC_SLAPD_DIR/slapd.d" -n1 -o ldif_wrap=no >"$dir/data.ldif" \
      2>>"$dir/tool.out" ||
    ! "$SLAPADD" -F "$dir/slapd.d" -n0 -l "$dir/config.ldif" >>"$dir/tool.out" 2>&1 ||
    ! "$SLAPADD" -q -F "$dir/slapd.d" -n1 -l "$dir/data.ldif" >>"$dir/tool.out" 2>&1; then
    echo "bench: copying slapd's configuration and data failed:" >&2
    cat "$dir/tool.out" >&2
    return 1
  fi
  KC_BENCH_TWIN_LOG=$dir/slapd.log
  for ((try = 0; try < 10; try++)); do
    port=$(kc_pick_port) || return 1
    uri="ldap://127.0.0.1:$port/"
    "$SLAPD" -d "${KC_SLAPD_DEBUG:-0}" -h "$uri" -F "$dir/slapd.d" \
      >>"$KC_BENCH_TWIN_LOG" 2>&1 &
    pid=$!
    if kc_slapd__wait "$pid" "$uri"; then
      kc_cleanup_add "kill $pid 2>/dev/null; wait $pid 2>/dev/null"
      KC_BENCH_TWIN_URI=$uri KC_BENCH_TWIN_PID=$pid
      export KC_BENCH_TWIN_URI KC_BENCH_TWIN_PID KC_BENCH_TWIN_LOG
      return 0
    fi
    kill "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    grep -q 'Address already in use' "$KC_BENCH_TWIN_LOG" || break
  done
  echo "bench: the second slapd ($module) did not start:" >&2
  tail -n 20 "$KC_BENCH_TWIN_LOG" >&2
  return 1
}

# kc_bench_kcd_another VAR DIR ['key = value'...]: start one more kcd with
# the harness kcd's kcd.conf (kc_kcd_start) but its own socket DIR/pam.sock
# and web port, no metrics listener, and the given lines instead of the
# lines with the same keys (e.g. "ldap_uri = ..." or "workers = 32").
# Sets VAR to its pid; it is stopped at exit.
kc_bench_kcd_another()
{
  local var=$1 dir=$2 line a pid i
  shift 2
  set -- "pam_socket = $dir/pam.sock" "http_listen = 127.0.0.1:$(kc_pick_port)" \
    "metrics_listen = none" "$@"
  mkdir -p "$dir"
  {
    while IFS= read -r line; do
      for a in "$@"; do
        [[ ${a%% =*} == "${line%% =*}" ]] && continue 2
      done
      printf '%s\n' "$line"
    done <"$KC_KCD_CONF"
    printf '%s\n' "$@"
  } >"$dir/kcd.conf"
  "$top_builddir/kcd/kcd" -d -f "$dir/kcd.conf" >"$dir/kcd.log" 2>&1 &
  pid=$!
  kc_cleanup_add "kill $pid 2>/dev/null; wait $pid 2>/dev/null"
  for ((i = 0; i < ${KC_KCD_WAIT:-10} * 20; i++)); do
    if [[ -S $dir/pam.sock ]] && grep -q 'kcd started;' "$dir/kcd.log"; then
      printf -v "$var" '%s' "$pid"
      return 0
    fi
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.05
  done
  echo "bench: a kcd ($dir/kcd.conf) did not start:" >&2
  cat "$dir/kcd.log" >&2
  return 1
}

# ---------------------------------------------------------------- nslcd
#
# nslcd reads /etc/nslcd.conf and listens on /run/nslcd/socket; neither
# path can be changed (no option, compiled in), and pam_ldap.so has no
# socket option either. So the peer runs in a private mount namespace
# (unshare -m): a bind mount puts our nslcd.conf over /etc/nslcd.conf and a
# tmpfs over /run, for nslcd and the load generator only. Nothing on the
# machine changes, and the system's nslcd, if any, is not touched.

# kc_bench_nslcd_usable: print why not and return 1 when the peer cannot run.
kc_bench_nslcd_usable()
{
  if [[ ! -x $KC_BENCH_NSLCD || -z $KC_BENCH_PAM_LDAP ]]; then
    echo "nslcd or pam_ldap.so missing (apt-get install nslcd libpam-ldapd)"
    return 1
  fi
  if [[ ! -e /etc/nslcd.conf ]]; then
    echo "/etc/nslcd.conf missing (a bind mount needs the file)"
    return 1
  fi
  if ! getent passwd nslcd >/dev/null; then
    echo "no nslcd user (the nslcd package creates it)"
    return 1
  fi
  if ! unshare --mount --propagation private true 2>/dev/null; then
    echo "cannot make a private mount namespace (needs root)"
    return 1
  fi
}

# kc_bench_nslcd_conf FILE: nslcd.conf for the harness slapd. nslcd looks
# accounts up as kcd's service DN (kcd's own identity, the same rights) and
# binds as the user with the ppolicy control. Our accounts are not
# posixAccounts: the passwd map uses kcAccount and takes uidNumber from
# the (numeric) customer number. pam_authc_search NONE: the ACLs do not
# let a user read its own entry, so the default search after the bind would
# fail. Threads: nslcd's default (5), as shipped; timeouts as kcd's in the
# benchmark (120 s), so that neither gives up under load.
kc_bench_nslcd_conf()
{
  (umask 077 && cat >"$1") <<EOF
uid nslcd
gid nslcd
uri $KC_LDAP_URI
base $KC_LDAP_BASE
binddn $KC_KCD_DN
bindpw $(cat "$KC_KCD_PW_FILE")
filter passwd (objectClass=kcAccount)
map passwd uidNumber kcCustomerNumber
map passwd gidNumber kcCustomerNumber
map passwd homeDirectory "/nonexistent"
pam_authc_search NONE
bind_timelimit 120
timelimit 120
EOF
}

# kc_bench_in_nslcd_ns CONF CMD...: in a private mount namespace, start
# nslcd with CONF, wait for its socket, run CMD with every argument
# @NSLCD_PID@ replaced by nslcd's pid, stop nslcd. CMD's exit status.
kc_bench_in_nslcd_ns()
{
  local conf=$1
  shift
  # shellcheck disable=SC2016 # the script expands in the namespace
  unshare --mount --propagation private bash -c '
    set -u
    conf=$1 nslcd=$2
    shift 2
    mount --bind "$conf" /etc/nslcd.conf || exit 1
    mount -t tmpfs -o mode=0755 kc-bench-run /run || exit 1
    mkdir -p /run/nslcd && chown nslcd:nslcd /run/nslcd || exit 1
    "$nslcd" -n 2>/run/nslcd.log &
    pid=$!
    for ((i = 0; i < 200; i++)); do
      [[ -S /run/nslcd/socket ]] && break
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.05
    done
    if [[ ! -S /run/nslcd/socket ]]; then
      echo "nslcd did not start:" >&2
      cat /run/nslcd.log >&2
      kill "$pid" 2>/dev/null
      exit 1
    fi
    args=()
    for a in "$@"; do args+=("${a//@NSLCD_PID@/$pid}"); done
    "${args[@]}"
    rc=$?
    kill "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    if [[ -s /run/nslcd.log ]]; then
      echo "nslcd said:" >&2
      tail -n 5 /run/nslcd.log >&2
    fi
    exit $rc
  ' kc-bench-nslcd "$conf" "$KC_BENCH_NSLCD" "$@"
}

# --------------------------------------------------------------- /proc

kc_bench_secret_key() { # FILE
  head -c 48 /dev/urandom | base64 >"$1" && chmod 600 "$1"
}

# The benchmarks measure capacity: 16 logins at once on two cores take
# longer than the module's default timeout, so it gets 120 s.
kc_bench_pam_service() { # FILE SOCKET
  local f
  for f in auth account; do
    echo "$f required $KC_BENCH_MODULE socket=$2 timeout=120"
  done >"$1"
}

kc_bench_kcadm_conf() { # FILE
  printf 'ldap_uri = %s\nldap_base = %s\nldap_bind_dn = %s\nldap_bind_pw_file = %s\n' \
    "$KC_LDAP_URI" "$KC_LDAP_BASE" "$KC_KCD_DN" "$KC_KCD_PW_FILE" >"$1" &&
    chmod 600 "$1"
}

# Every 7th name is not ASCII, as real practice names often are.
kc_bench_customers_csv() { # N [CHANGE]
  awk -v n="$1" -v change="${2:-0}" 'BEGIN {
    print "Kundennummer;E-Mail;Name"
    for (i = 0; i < n; i++) {
      mail = "praxis" i "@kunden.example"
      if (change > 0 && i % change == 0)
        mail = "neu" i "@kunden.example"
      name = (i % 7 == 0) ? "Zahnarztpraxis M\303\274ller " i : "Praxis Dr. Beispiel " i
      printf "%d;%s;\"%s\"\n", 1000000 + i, mail, name
    }
  }'
}

kc_bench_cpu_ticks()
{
  local stat
  stat=$(<"/proc/$1/stat") || return 1
  stat=${stat##*) }
  # fields after ")": state is 1, utime 12, stime 13
  awk '{print $12 + $13}' <<<"$stat"
}

kc_bench_rss_kib()
{
  awk '/^VmRSS:/ {print $2}' "/proc/$1/status"
}

kc_bench_hwm_kib()
{
  awk '/^VmHWM:/ {print $2}' "/proc/$1/status"
}

kc_bench_fds()
{
  find "/proc/$1/fd" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l
}

kc_bench_threads()
{
  awk '/^Threads:/ {print $2}' "/proc/$1/status"
}
fi
