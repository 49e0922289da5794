# shellcheck shell=bash
#
# slapd.sh: a private slapd for integration tests, built from schema/.
#
#   . "$top_srcdir/tests/lib/slapd.sh"
#   kc_slapd_start            # schema, ppolicy, ACLs, DIT and fixtures
#   kc_slapd_start --bare     # modules and core schemas only, empty database
#   kc_slapd_start --no-dit   # schema, ppolicy and ACLs, empty database
#                             (a second provider that replication fills)
#   ...
#   kc_slapd_stop             # optional: also runs at exit (cleanup.sh)
#
#   kc_slapd_kill / kc_slapd_restart   stop the process, keeping its data,
#                             and start it again on the same URI
#   kc_pick_port              a free loopback port (for other servers too)
#
# LDAP client helpers (simple binds over KC_LDAP_URI, each call bounded
# by KC_LDAP_TIMEOUT seconds, default 30):
#   kc_ldap_admin TOOL ARGS...      as the database rootdn
#   kc_ldap_config TOOL ARGS...     as the cn=config rootdn
#   kc_ldap_kcd TOOL ARGS...        as kcd's service DN
#   kc_ldap_portal TOOL ARGS...     as the portal's service DN (after
#                                   kc_ldap_portal_init)
#   kc_ldap_as DN PW TOOL ARGS...   as DN with password PW
#   kc_ldap_anon TOOL ARGS...       anonymously
#
# kc_slapd_start builds a cn=config directory in a fresh temp dir (under
# $TMPDIR or /tmp) with slapadd: modules back_mdb, ppolicy and argon2 from
# $SLAPD_MODULEDIR; core, cosine, inetorgperson and schema/kundencenter.ldif;
# a config database with its own rootdn so tests can change cn=config over
# ldap:// with a simple bind; an mdb database for dc=example,dc=org; the
# frontend's olcPasswordHash {ARGON2}. It starts slapd in the foreground,
# in the background, on a free loopback port and waits until it answers
# (at most KC_SLAPD_WAIT seconds, default 10). Then, unless --bare, it
# applies the shipped schema/ppolicy.ldif and schema/acl.ldif over LDAP,
# adds schema/base.ldif and tests/fixtures/ldap/fixtures.ldif (hashes made
# with tests/tools/kc-pwhash). It returns non-zero, after printing slapd's
# log, when anything fails. One slapd per shell.
#
# Exported afterwards:
#   KC_LDAP_URI         ldap://127.0.0.1:PORT/
#   KC_LDAP_PORT        PORT
#   KC_LDAP_BASE        dc=example,dc=org
#   KC_LDAP_ADMIN_DN    rootdn of the database (bypasses ACLs)
#   KC_LDAP_ADMIN_PW    its password (random per run)
#   KC_LDAP_CONFIG_DN   rootdn of cn=config
#   KC_LDAP_CONFIG_PW   its password (random per run)
#   KC_KCD_DN           kcd's service DN, cn=kcd,ou=services,...
#   KC_KCD_PW_FILE      file (0600, no trailing newline) with its password
#   KC_SLAPD_DIR        the temp dir (removed by kc_slapd_stop)
#   KC_SLAPD_PID        slapd's process id
#   KC_SLAPD_LOG        slapd's debug output (-d $KC_SLAPD_DEBUG, default stats)
#   KC_PW_MMUSTER, KC_PW_GESPERRT, KC_PW_NEUKUNDE, KC_PW_ETAN, KC_PW_MTAN
#                       fixture passwords (see fixtures.ldif)
#   KC_PWHASH           tests/tools/kc-pwhash (make more {ARGON2} hashes)
#   LDAPNOINIT=1        so ldap.conf/ldaprc on the machine cannot interfere
#                       (exported as soon as this file is sourced)
#
# Input variables (the Makefile sets them; defaults make the scripts run by
# hand): top_srcdir, top_builddir, SLAPD, SLAPADD, SLAPTEST, SLAPD_MODULEDIR.
# Optional: KC_SLAPD_SCHEMADIR (core/cosine/inetorgperson .ldif and
# .schema, default /etc/ldap/schema), KC_SLAPD_KC_SCHEMA (our schema as
# LDIF instead of schema/kundencenter.ldif, e.g. an older release's),
# KC_SLAPD_DEBUG (slapd -d level),
# KC_SLAPD_WAIT, KC_LDAP_TIMEOUT, KC_ARGON2_ARGS (argon2 module arguments,
# default "m=65536 t=2"), KC_KEEP_TMP=1 (keep the temp dir to inspect it).
#
# kc_slapd_require exits 77 (skip) when slapd or the LDAP tools are missing.
# Works under set -u and set -e.

if [[ -z "${KC_SLAPD_LOADED:-}" ]]; then
KC_SLAPD_LOADED=1

KC_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=tests/lib/cleanup.sh
. "$KC_LIB_DIR/cleanup.sh"

: "${top_srcdir:=$(cd "$KC_LIB_DIR/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
export top_srcdir top_builddir
export LDAPNOINIT=1

KC_LDAP_BASE=dc=example,dc=org
KC_LDAP_ADMIN_DN=cn=admin,$KC_LDAP_BASE
KC_LDAP_CONFIG_DN=cn=config
KC_KCD_DN=cn=kcd,ou=services,$KC_LDAP_BASE

# Fixture passwords; tests/fixtures/ldap/fixtures.ldif lists the accounts.
KC_PW_MMUSTER='Korrekt-Pferd-42-Batterie'
KC_PW_GESPERRT='Gesperrt-Konto-2026'
KC_PW_NEUKUNDE='Vorlaeufig-Passwort-7'
KC_PW_ETAN='Email-Tan-Konto-2026'
KC_PW_MTAN='Mobil-Tan-Konto-2026'
KC_SLAPD__KCD_PW='kcd-service-secret'
export KC_PW_MMUSTER KC_PW_GESPERRT KC_PW_NEUKUNDE KC_PW_ETAN KC_PW_MTAN

# kc__find_prog VAR NAME: set VAR to the program (VAR's value if it names
# an executable, else NAME on PATH or in /usr/sbin); fail if none.
kc__find_prog()
{
  local var=$1 name=$2 val=${!1:-}
  if [[ -n "$val" && -x "$val" ]]; then
    return 0
  fi
  val=$(PATH="$PATH:/usr/sbin:/sbin" command -v "$name" 2>/dev/null) || val=
  printf -v "$var" '%s' "$val"
  [[ -n "$val" ]]
}

# kc_slapd_require: exit 77 (skip) unless slapd, its tools and modules
# and the LDAP client tools are there; exit 99 if kc-pwhash is not built.
kc_slapd_require()
{
  local p m
  for p in SLAPD:slapd SLAPADD:slapadd SLAPTEST:slaptest; do
    if ! kc__find_prog "${p%%:*}" "${p#*:}"; then
      echo "SKIP: ${p#*:} not found (install slapd)"
      exit 77
    fi
  done
  for p in ldapsearch ldapadd ldapmodify ldapwhoami ldappasswd; do
    if ! command -v "$p" >/dev/null 2>&1; then
      echo "SKIP: $p not found (install ldap-utils)"
      exit 77
    fi
  done
  : "${SLAPD_MODULEDIR:=/usr/lib/ldap}"
  : "${KC_SLAPD_SCHEMADIR:=/etc/ldap/schema}"
  for m in core cosine inetorgperson; do
    if [[ ! -r "$KC_SLAPD_SCHEMADIR/$m.ldif" || ! -r "$KC_SLAPD_SCHEMADIR/$m.schema" ]]; then
      echo "SKIP: $m schema not found in $KC_SLAPD_SCHEMADIR"
      exit 77
    fi
  done
  for m in back_mdb ppolicy argon2; do
    if [[ ! -e "$SLAPD_MODULEDIR/$m.la" && ! -e "$SLAPD_MODULEDIR/$m.so" ]]; then
      echo "SKIP: slapd module $m not found in $SLAPD_MODULEDIR"
      exit 77
    fi
  done
  export SLAPD SLAPADD SLAPTEST SLAPD_MODULEDIR KC_SLAPD_SCHEMADIR
}

kc__random()
{
  od -An -N16 -tx1 /dev/urandom | tr -d ' \n'
}

# kc__alive PID: true while PID runs (a zombie counts as gone).
kc__alive()
{
  local stat
  kill -0 "$1" 2>/dev/null || return 1
  if [[ -r "/proc/$1/stat" ]]; then
    stat=$(<"/proc/$1/stat") || return 1
    # "PID (COMM) STATE ...": COMM may hold spaces and parentheses.
    stat=${stat##*) }
    [[ "${stat%% *}" != Z ]]
  fi
}

kc_slapd__fail()
{
  echo "kc_slapd: $*" >&2
  if [[ -s "${KC_SLAPD_DIR:-}/tool.out" ]]; then
    echo "---- last LDAP tool output" >&2
    cat "$KC_SLAPD_DIR/tool.out" >&2
  fi
  if [[ -s "${KC_SLAPD_DIR:-}/slapd.log" ]]; then
    echo "---- slapd log (last 60 lines): $KC_SLAPD_DIR/slapd.log" >&2
    tail -n 60 "$KC_SLAPD_DIR/slapd.log" >&2
    echo "---- end of slapd log" >&2
  fi
  return 1
}

# kc_slapd__config_ldif full|bare: the cn=config LDIF for slapadd -n0.
kc_slapd__config_ldif()
{
  local mode=$1 dir=$KC_SLAPD_DIR f
  # As schema/ppolicy.ldif recommends: slapd's own hashes cost what kcd's do.
  : "${KC_ARGON2_ARGS=m=65536 t=2}"
  # {ARGON2} from our kc_argon2.so when it is built (DESIGN section 14),
  # else Debian's argon2; KC_ARGON2_MODULE=argon2 picks Debian's.
  if [[ -z "${KC_ARGON2_MODULE:-}" ]]; then
    KC_ARGON2_MODULE=argon2
    if [[ -f "${top_builddir:-.}/slapd/.libs/kc_argon2.so" ]]; then
      KC_ARGON2_MODULE=$(cd "${top_builddir:-.}/slapd/.libs" && pwd)/kc_argon2.so
    fi
  fi
  cat <<EOF
dn: cn=config
objectClass: olcGlobal
cn: config
olcPidFile: $dir/slapd.pid
olcArgsFile: $dir/slapd.args
olcLogLevel: 0

dn: cn=module{0},cn=config
objectClass: olcModuleList
cn: module{0}
olcModulePath: $SLAPD_MODULEDIR
olcModuleLoad: {0}back_mdb
olcModuleLoad: {1}ppolicy
olcModuleLoad: {2}$KC_ARGON2_MODULE $KC_ARGON2_ARGS

dn: cn=schema,cn=config
objectClass: olcSchemaConfig
cn: schema

EOF
  for f in core cosine inetorgperson; do
    cat "$KC_SLAPD_SCHEMADIR/$f.ldif" || return 1
    echo
  done
  if [[ "$mode" == full ]]; then
    cat "${KC_SLAPD_KC_SCHEMA:-$top_srcdir/schema/kundencenter.ldif}" || return 1
    echo
  fi
  cat <<EOF
dn: olcDatabase={-1}frontend,cn=config
objectClass: olcDatabaseConfig
objectClass: olcFrontendConfig
olcDatabase: {-1}frontend
olcPasswordHash: {ARGON2}
olcAccess: {0}to dn.base="" by * read
olcAccess: {1}to dn.base="cn=Subschema" by * read

dn: olcDatabase={0}config,cn=config
objectClass: olcDatabaseConfig
olcDatabase: {0}config
olcRootDN: $KC_LDAP_CONFIG_DN
olcRootPW: $KC_LDAP_CONFIG_PW
olcAccess: {0}to * by * none

dn: olcDatabase={1}mdb,cn=config
objectClass: olcDatabaseConfig
objectClass: olcMdbConfig
olcDatabase: {1}mdb
olcSuffix: $KC_LDAP_BASE
olcRootDN: $KC_LDAP_ADMIN_DN
olcRootPW: $KC_LDAP_ADMIN_PW
olcDbDirectory: $dir/db
olcDbMaxSize: 67108864
olcDbNoSync: TRUE
olcDbIndex: objectClass,entryUUID eq
olcDbIndex: uid,mail eq
EOF
  if [[ "$mode" == full ]]; then
    cat <<EOF
olcDbIndex: kcCustomerNumber eq
olcDbIndex: kcRegistrationId,kcTokenHash,kcTanChallenge eq
olcDbIndex: kcResetHash,kcNewMailHash eq
EOF
  fi
  echo
}

# kc_pick_port: print a loopback TCP port nobody listens on right now,
# below Linux's default ephemeral range (32768-60999) so that outgoing
# connections do not take it. For other servers of the harness too; a
# server should still retry when the port is gone by the time it binds.
kc_pick_port()
{
  local port i
  for ((i = 0; i < 50; i++)); do
    port=$((10000 + RANDOM % 22000))
    if ! (: <>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      echo "$port"
      return 0
    fi
  done
  return 1
}

# Old name, kept for scripts that used it.
kc__pick_port()
{
  kc_pick_port
}

# kc_slapd__wait PID URI: wait until our slapd (the config rootdn can bind,
# so it is not some other server on the port) answers, or PID is gone.
kc_slapd__wait()
{
  local pid=$1 uri=$2 deadline
  deadline=$((SECONDS + ${KC_SLAPD_WAIT:-10}))
  while ((SECONDS <= deadline)); do
    kc__alive "$pid" || return 1
    # timeout: a foreign server on the port may accept and never answer.
    if timeout --foreground 2 ldapwhoami -x -H "$uri" -o nettimeout=1 \
      -D "$KC_LDAP_CONFIG_DN" -w "$KC_LDAP_CONFIG_PW" >/dev/null 2>&1; then
      return 0
    fi
    sleep 0.05
  done
  return 2
}

# kc_slapd__launch: start slapd on a free port; retry when the port was
# taken between choosing and binding it.
kc_slapd__launch()
{
  local try port uri pid rc
  for ((try = 0; try < 10; try++)); do
    port=$(kc_pick_port) || { kc_slapd__fail "no free port"; return 1; }
    uri="ldap://127.0.0.1:$port/"
    # -d keeps slapd in the foreground (no detach) and logs to stderr.
    "$SLAPD" -d "${KC_SLAPD_DEBUG:-stats}" -h "$uri" \
      -F "$KC_SLAPD_DIR/slapd.d" >>"$KC_SLAPD_DIR/slapd.log" 2>&1 &
    pid=$!
    KC_SLAPD_PID=$pid
    rc=0
    kc_slapd__wait "$pid" "$uri" || rc=$?
    if ((rc == 0)); then
      KC_LDAP_PORT=$port
      KC_LDAP_URI=$uri
      return 0
    fi
    if ((rc == 2)); then
      kc_slapd__fail "slapd did not answer on $uri within ${KC_SLAPD_WAIT:-10} s"
      return 1
    fi
    wait "$pid" 2>/dev/null || true
    KC_SLAPD_PID=
    if ! grep -q 'Address already in use' "$KC_SLAPD_DIR/slapd.log"; then
      kc_slapd__fail "slapd exited during start-up"
      return 1
    fi
    echo "kc_slapd: port $port taken, trying another" >&2
    : >"$KC_SLAPD_DIR/slapd.log"
  done
  kc_slapd__fail "no port after $try tries"
}

# kc__tool TOOL ARGS...: run an LDAP client tool with a deadline, so that
# a stuck slapd fails the test instead of hanging it.
kc__tool()
{
  local tool=$1
  shift
  timeout --foreground "${KC_LDAP_TIMEOUT:-30}" "$tool" -o nettimeout=5 "$@"
}

# kc_ldap_config TOOL ARGS...: run an LDAP tool as the cn=config rootdn.
kc_ldap_config()
{
  local tool=$1
  shift
  kc__tool "$tool" -x -H "$KC_LDAP_URI" -D "$KC_LDAP_CONFIG_DN" \
    -w "$KC_LDAP_CONFIG_PW" "$@"
}

# kc_ldap_admin TOOL ARGS...: run an LDAP tool as the database rootdn.
kc_ldap_admin()
{
  local tool=$1
  shift
  kc__tool "$tool" -x -H "$KC_LDAP_URI" -D "$KC_LDAP_ADMIN_DN" \
    -w "$KC_LDAP_ADMIN_PW" "$@"
}

# kc_ldap_as DN PASSWORD TOOL ARGS...: run an LDAP tool bound as DN.
kc_ldap_as()
{
  local dn=$1 pw=$2 tool=$3
  shift 3
  kc__tool "$tool" -x -H "$KC_LDAP_URI" -D "$dn" -w "$pw" "$@"
}

# kc_ldap_anon TOOL ARGS...: run an LDAP tool without binding.
kc_ldap_anon()
{
  local tool=$1
  shift
  kc__tool "$tool" -x -H "$KC_LDAP_URI" "$@"
}

# kc_ldap_kcd TOOL ARGS...: run an LDAP tool bound as kcd's service DN.
kc_ldap_kcd()
{
  local tool=$1
  shift
  kc__tool "$tool" -x -H "$KC_LDAP_URI" -D "$KC_KCD_DN" \
    -y "$KC_KCD_PW_FILE" "$@"
}

# kc_ldap_portal_init: give the portal's service DN (cn=portal,ou=services,
# read-only, schema/acl.ldif) a random password the way base.ldif tells
# the administrator to: ldappasswd -T as the rootdn, so slapd hashes it.
# Exports KC_PORTAL_DN and KC_PORTAL_PW_FILE (0600, no trailing newline).
kc_ldap_portal_init()
{
  KC_PORTAL_DN=cn=portal,ou=services,$KC_LDAP_BASE
  KC_PORTAL_PW_FILE=$KC_SLAPD_DIR/portal.pw
  export KC_PORTAL_DN KC_PORTAL_PW_FILE
  (umask 077 && printf 'portal-%s' "$(kc__random)" >"$KC_PORTAL_PW_FILE")
  kc_ldap_admin ldappasswd -T "$KC_PORTAL_PW_FILE" "$KC_PORTAL_DN"
}

# kc_ldap_portal TOOL ARGS...: run an LDAP tool bound as the portal's DN.
kc_ldap_portal()
{
  local tool=$1
  shift
  kc__tool "$tool" -x -H "$KC_LDAP_URI" -D "$KC_PORTAL_DN" \
    -y "$KC_PORTAL_PW_FILE" "$@"
}

# kc_slapd__hash NAME PASSWORD: start kc-pwhash in the background, output
# in $KC_SLAPD_DIR/NAME.hash.
kc_slapd__hash()
{
  printf '%s\n' "$2" | "$KC_PWHASH" >"$KC_SLAPD_DIR/$1.hash" &
}

# kc_slapd__fixtures: fixtures.ldif with the hashes filled in, on stdout.
kc_slapd__fixtures()
{
  local name pids=() sedargs=() h pid
  for name in MMUSTER GESPERRT NEUKUNDE ETAN MTAN; do
    local var="KC_PW_$name"
    kc_slapd__hash "$name" "${!var}"
    pids+=($!)
  done
  kc_slapd__hash KCD "$KC_SLAPD__KCD_PW"
  pids+=($!)
  for pid in "${pids[@]}"; do
    wait "$pid" || return 1
  done
  for name in MMUSTER GESPERRT NEUKUNDE ETAN MTAN KCD; do
    h=$(cat "$KC_SLAPD_DIR/$name.hash") || return 1
    # shellcheck disable=SC2016 # a literal "$"
    [[ "$h" == '{ARGON2}$argon2id$'* ]] || return 1
    sedargs+=(-e "s|@HASH_$name@|$h|")
  done
  sed "${sedargs[@]}" "$top_srcdir/tests/fixtures/ldap/fixtures.ldif"
}

# kc_slapd__apply WHAT TOOL ARGS...: run an LDAP tool, fail with context.
kc_slapd__apply()
{
  local what=$1
  shift
  if ! "$@" >"$KC_SLAPD_DIR/tool.out" 2>&1; then
    kc_slapd__fail "loading $what failed"
    return 1
  fi
}

# kc_slapd__load_config: schema/ppolicy.ldif and schema/acl.ldif.
kc_slapd__load_config()
{
  local s=$top_srcdir/schema
  kc_slapd__apply ppolicy.ldif kc_ldap_config ldapmodify -f "$s/ppolicy.ldif" &&
    kc_slapd__apply acl.ldif kc_ldap_config ldapmodify -f "$s/acl.ldif"
}

kc_slapd__load_dit()
{
  local s=$top_srcdir/schema
  kc_slapd__load_config &&
    kc_slapd__apply base.ldif kc_ldap_admin ldapadd -f "$s/base.ldif" ||
    return 1
  if ! kc_slapd__fixtures >"$KC_SLAPD_DIR/fixtures.ldif"; then
    kc_slapd__fail "making fixture hashes with $KC_PWHASH failed"
    return 1
  fi
  kc_slapd__apply fixtures.ldif kc_ldap_admin ldapmodify -a \
    -f "$KC_SLAPD_DIR/fixtures.ldif" || return 1
  rm -f "$KC_SLAPD_DIR"/*.hash
  (umask 077 && printf '%s' "$KC_SLAPD__KCD_PW" >"$KC_KCD_PW_FILE")
}

kc_slapd_start()
{
  local mode=full
  case ${1:-} in
    --bare) mode=bare ;;
    --no-dit) mode=nodit ;;
  esac
  kc_slapd_require
  if [[ -n "${KC_SLAPD_PID:-}" ]]; then
    echo "kc_slapd: slapd already running (pid $KC_SLAPD_PID)" >&2
    return 1
  fi
  export KC_PWHASH=$top_builddir/tests/tools/kc-pwhash
  if [[ "$mode" == full && ! -x "$KC_PWHASH" ]]; then
    echo "kc_slapd: $KC_PWHASH not built (make tests/tools/kc-pwhash)" >&2
    exit 99
  fi
  KC_SLAPD_DIR=$(mktemp -d "${TMPDIR:-/tmp}/kc-slapd.XXXXXX") || return 1
  chmod 700 "$KC_SLAPD_DIR"
  kc_cleanup_add kc_slapd_stop
  mkdir "$KC_SLAPD_DIR/slapd.d" "$KC_SLAPD_DIR/db"
  KC_LDAP_ADMIN_PW=$(kc__random)
  KC_LDAP_CONFIG_PW=$(kc__random)
  KC_KCD_PW_FILE=$KC_SLAPD_DIR/kcd.pw

  local schema=full
  [[ "$mode" == bare ]] && schema=bare
  if ! kc_slapd__config_ldif "$schema" >"$KC_SLAPD_DIR/config.ldif"; then
    kc_slapd__fail "cannot write config.ldif"
    return 1
  fi
  if ! "$SLAPADD" -n0 -F "$KC_SLAPD_DIR/slapd.d" \
    -l "$KC_SLAPD_DIR/config.ldif" >"$KC_SLAPD_DIR/tool.out" 2>&1; then
    kc_slapd__fail "slapadd of cn=config failed"
    return 1
  fi
  kc_slapd__launch || return 1
  export KC_LDAP_URI KC_LDAP_PORT KC_LDAP_BASE KC_LDAP_ADMIN_DN \
    KC_LDAP_ADMIN_PW KC_LDAP_CONFIG_DN KC_LDAP_CONFIG_PW KC_KCD_DN \
    KC_KCD_PW_FILE KC_SLAPD_DIR KC_SLAPD_PID
  export KC_SLAPD_LOG=$KC_SLAPD_DIR/slapd.log
  if [[ "$mode" == full ]]; then
    kc_slapd__load_dit || return 1
  elif [[ "$mode" == nodit ]]; then
    kc_slapd__load_config || return 1
    (umask 077 && printf '%s' "$KC_SLAPD__KCD_PW" >"$KC_KCD_PW_FILE")
  fi
  rm -f "$KC_SLAPD_DIR/tool.out"
}

# kc_slapd_kill: stop the slapd process (TERM, KILL after 5 s) and keep
# its directory, e.g. to test what happens while the directory is down.
# Safe to call when it is not running.
kc_slapd_kill()
{
  local pid=${KC_SLAPD_PID:-} i
  [[ -n "$pid" ]] || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < 100; i++)); do
    kc__alive "$pid" || break
    sleep 0.05
  done
  if kc__alive "$pid"; then
    echo "kc_slapd: slapd $pid ignored SIGTERM, killing it" >&2
    kill -KILL "$pid" 2>/dev/null || true
  fi
  wait "$pid" 2>/dev/null || true
  KC_SLAPD_PID=
}

# kc_slapd_restart: start slapd again, after kc_slapd_kill or a crash, on
# the same URI with the same configuration and data; kills a running one
# first. Exports the new KC_SLAPD_PID.
kc_slapd_restart()
{
  if [[ -z "${KC_SLAPD_DIR:-}" || -z "${KC_LDAP_URI:-}" ]]; then
    echo "kc_slapd_restart: no slapd was started" >&2
    return 1
  fi
  kc_slapd_kill
  "$SLAPD" -d "${KC_SLAPD_DEBUG:-stats}" -h "$KC_LDAP_URI" \
    -F "$KC_SLAPD_DIR/slapd.d" >>"$KC_SLAPD_DIR/slapd.log" 2>&1 &
  KC_SLAPD_PID=$!
  export KC_SLAPD_PID
  if ! kc_slapd__wait "$KC_SLAPD_PID" "$KC_LDAP_URI"; then
    kc_slapd__fail "slapd did not come back on $KC_LDAP_URI"
    return 1
  fi
}

# kc_slapd_stop: stop slapd and remove the temp dir. Safe to call more than
# once.
kc_slapd_stop()
{
  local dir=${KC_SLAPD_DIR:-}
  kc_slapd_kill
  if [[ -n "$dir" && -d "$dir" ]]; then
    if [[ -n "${KC_KEEP_TMP:-}" ]]; then
      echo "kc_slapd: keeping $dir" >&2
    else
      rm -rf -- "$dir"
    fi
  fi
  KC_SLAPD_DIR=
}
fi
