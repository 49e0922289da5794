#!/usr/bin/env bash
# multiprovider.sh: make a running OpenLDAP 2.5 server (cn=config, set up
# with bootstrap.sh) one provider of a multi-provider pair: a server ID,
# the syncprov module and overlay, the indexes replication searches by,
# and, with -P, syncrepl from the other provider plus olcMultiProvider.
# See "Two providers" in README in this directory for the order of steps.
#
#   multiprovider.sh -i ID [-P PEER_URI -r RID] [-H URI] [-b BASE]
#                    [-D CONFIG_DN -y CONFIG_PW_FILE]
#                    [-R REPL_DN -w REPL_PW_FILE] [-T] [-t SECONDS]
#                    [-e RETRY] [-n]
#
#   -i ID           this server's olcServerID, 1 to 4095, different on
#                   every provider
#   -P PEER_URI     the other provider, e.g. ldap://ldap2.example.org/;
#                   without -P only the provider side is set up (server
#                   ID, syncprov): step 1 on the server that has the data
#   -r RID          the replica ID of that syncrepl, 1 to 999 (default:
#                   the peer's server ID is a good choice; default 1)
#   -H URI          where to change cn=config (default ldapi:///, with SASL
#                   EXTERNAL, so run this as root on the LDAP server)
#   -D CONFIG_DN    bind as CONFIG_DN with a simple bind instead of SASL
#                   EXTERNAL (a cn=config rootdn; for test set-ups over
#                   ldap://)
#   -y FILE         the password of CONFIG_DN
#   -b BASE         the suffix of the mdb database (default: the only mdb
#                   database's)
#   -R REPL_DN      the DN this server binds as at the peer (default: the
#                   database's olcRootDN, which reads everything, hashes
#                   and password-policy state included)
#   -w FILE         REPL_DN's password at the peer (required with -P)
#   -T              StartTLS to the peer, certificate demanded (the
#                   system's CA store, or olcTLSCACertificateFile)
#   -t SECONDS      syncrepl's timeout and network-timeout (default 3)
#   -e RETRY        syncrepl's retry schedule (default "5 10 60 +": every
#                   5 s ten times, then every minute)
#   -n              print what would be done; change nothing
#
# Every step checks first and is skipped when done, so running it again is
# harmless. The credentials end up in cn=config (olcSyncrepl), which only
# the config rootdn and root over ldapi can read.
set -u
set -o pipefail

uri=ldapi:///
config_dn=
config_pw_file=
base=
server_id=
peer=
rid=1
repl_dn=
repl_pw_file=
starttls=0
timeout=3
retry="5 10 60 +"
dry_run=0

die()
{
  echo "multiprovider: $*" >&2
  exit 1
}

say()
{
  echo "multiprovider: $*"
}

usage()
{
  sed -n '2,/^set -u/p' "$0" | sed -e '/^set -u/d' -e 's/^# \{0,1\}//'
}

while getopts 'i:P:r:H:D:y:b:R:w:Tt:e:nh' opt; do
  case $opt in
    i) server_id=$OPTARG ;;
    P) peer=$OPTARG ;;
    r) rid=$OPTARG ;;
    H) uri=$OPTARG ;;
    D) config_dn=$OPTARG ;;
    y) config_pw_file=$OPTARG ;;
    b) base=$OPTARG ;;
    R) repl_dn=$OPTARG ;;
    w) repl_pw_file=$OPTARG ;;
    T) starttls=1 ;;
    t) timeout=$OPTARG ;;
    e) retry=$OPTARG ;;
    n) dry_run=1 ;;
    h)
      usage
      exit 0
      ;;
    *)
      usage >&2
      exit 2
      ;;
  esac
done
shift $((OPTIND - 1))
[[ $# -eq 0 ]] || { usage >&2; exit 2; }

if [[ ! "$server_id" =~ ^[1-9][0-9]{0,3}$ ]] || ((server_id > 4095)); then
  die "-i ID: a server ID from 1 to 4095 is required"
fi
[[ "$rid" =~ ^[1-9][0-9]{0,2}$ ]] || die "-r RID: a number from 1 to 999"
[[ "$timeout" =~ ^[1-9][0-9]*$ ]] || die "-t SECONDS: a number of seconds"
if [[ -n "$peer" ]]; then
  [[ "$peer" == ldap://* || "$peer" == ldaps://* ]] ||
    die "-P $peer: an ldap:// or ldaps:// URI"
  [[ -n "$repl_pw_file" && -r "$repl_pw_file" ]] ||
    die "-P needs -w FILE with the password of the replication DN at the peer"
fi
if [[ -n "$config_dn" && ! -r "$config_pw_file" ]]; then
  die "-D needs -y FILE with its password"
fi
for p in ldapsearch ldapmodify; do
  command -v "$p" >/dev/null 2>&1 || die "$p not found (apt-get install ldap-utils)"
done

work=$(mktemp -d "${TMPDIR:-/tmp}/kc-multiprovider.XXXXXX") || die "no temp dir"
trap 'rm -rf "$work"' EXIT
chmod 700 "$work"

# cn=config over ldapi with SASL EXTERNAL, or with -D as a simple bind.
# Output without line wrapping, so values are one line.
cfg_auth()
{
  if [[ -n "$config_dn" ]]; then
    echo -x -D "$config_dn" -y "$config_pw_file"
  else
    echo -Q -Y EXTERNAL
  fi
}

cfg_search()
{
  # shellcheck disable=SC2046 # cfg_auth's words are options
  ldapsearch -LLL -o ldif-wrap=no $(cfg_auth) -H "$uri" "$@"
}

cfg_modify()
{
  if ((dry_run)); then
    echo "---- ldapmodify -H $uri"
    sed 's/credentials="[^"]*"/credentials="(hidden)"/'
    return 0
  fi
  # shellcheck disable=SC2046
  ldapmodify -a $(cfg_auth) -H "$uri" >"$work/out" 2>&1 ||
    { cat "$work/out" >&2; return 1; }
}

# value ATTR < LDIF: the values of ATTR, one a line (plain values only).
value()
{
  sed -n "s/^$1: //p"
}

# ---------------------------------------------------------------- the database
cfg_search -b cn=config -s base olcServerID >"$work/global.ldif" 2>"$work/err" ||
  die "cannot read cn=config over $uri ($(head -n 1 "$work/err"))"
if [[ -n "$base" ]]; then
  filter="(&(objectClass=olcMdbConfig)(olcSuffix=$base))"
else
  filter="(objectClass=olcMdbConfig)"
fi
cfg_search -b cn=config "$filter" dn olcSuffix olcRootDN olcDbIndex \
  olcSyncrepl olcMultiProvider >"$work/db.ldif" || die "cannot search cn=config"
n=$(grep -c '^dn: ' "$work/db.ldif")
((n == 1)) || die "found $n mdb databases${base:+ for $base}; choose one with -b BASE"
dbdn=$(value dn <"$work/db.ldif")
base=$(value olcSuffix <"$work/db.ldif" | head -n 1)
[[ -n "$repl_dn" ]] || repl_dn=$(value olcRootDN <"$work/db.ldif")
say "database $dbdn, suffix $base"

# ---------------------------------------------------------------- server ID
ids=$(value olcServerID <"$work/global.ldif")
if [[ -z "$ids" ]]; then
  say "setting olcServerID $server_id"
  printf '%s\n' "dn: cn=config" "changetype: modify" "add: olcServerID" \
    "olcServerID: $server_id" | cfg_modify || die "cannot set olcServerID"
elif [[ "$ids" == "$server_id" ]]; then
  say "olcServerID $server_id: set"
else
  die "olcServerID is already '$ids', not $server_id: check which server this is"
fi

# ---------------------------------------------------------------- syncprov
cfg_search -b cn=config '(objectClass=olcModuleList)' dn olcModuleLoad \
  >"$work/modules.ldif" || die "cannot search the module lists"
moddn=$(value dn <"$work/modules.ldif" | head -n 1)
if value olcModuleLoad <"$work/modules.ldif" | sed 's/^{[0-9]*}//' |
  grep -Eq '^syncprov(\.la|\.so)?$'; then
  say "module syncprov: loaded"
elif [[ -z "$moddn" ]]; then
  say "loading module syncprov"
  printf '%s\n' "dn: cn=module,cn=config" "changetype: add" \
    "objectClass: olcModuleList" "cn: module" "olcModulePath: /usr/lib/ldap" \
    "olcModuleLoad: syncprov" | cfg_modify || die "cannot load syncprov"
else
  say "loading module syncprov"
  printf '%s\n' "dn: $moddn" "changetype: modify" "add: olcModuleLoad" \
    "olcModuleLoad: syncprov" | cfg_modify || die "cannot load syncprov"
fi

# entryCSN and entryUUID are what a consumer's refresh searches by.
indexed=$(value olcDbIndex <"$work/db.ldif" | awk '{ print $1 }' | tr ',' '\n' |
  tr 'A-Z' 'a-z')
idx=()
for a in entryCSN entryUUID; do
  grep -qx "$(tr 'A-Z' 'a-z' <<<"$a")" <<<"$indexed" || idx+=("$a eq")
done
if ((${#idx[@]} == 0)); then
  say "indexes entryCSN, entryUUID: present"
else
  say "adding indexes: ${idx[*]}"
  {
    printf '%s\n' "dn: $dbdn" "changetype: modify" "add: olcDbIndex"
    for i in "${idx[@]}"; do echo "olcDbIndex: $i"; done
  } | cfg_modify || die "cannot add the indexes"
fi

if cfg_search -b "$dbdn" -s one dn | grep -qi '^dn: olcOverlay={[0-9]*}syncprov,'; then
  say "syncprov overlay: present"
else
  # checkpoint contextCSN every 100 writes or 10 minutes; a session log
  # lets a briefly absent peer catch up without a full refresh
  say "adding the syncprov overlay"
  printf '%s\n' "dn: olcOverlay=syncprov,$dbdn" "changetype: add" \
    "objectClass: olcOverlayConfig" "objectClass: olcSyncProvConfig" \
    "olcOverlay: syncprov" "olcSpCheckpoint: 100 10" \
    "olcSpSessionLog: 10000" | cfg_modify || die "cannot add the syncprov overlay"
fi

if [[ -z "$peer" ]]; then
  say "done: provider side only (no -P). Next: the other server, then this one with -P"
  exit 0
fi

# ---------------------------------------------------------------- syncrepl
if value olcSyncrepl <"$work/db.ldif" | grep -qF "provider=${peer} "; then
  say "syncrepl from $peer: present"
else
  grep -q "rid=$(printf '%03d' "$rid")" <(value olcSyncrepl <"$work/db.ldif") &&
    die "rid $rid is taken by another olcSyncrepl of $dbdn: choose -r"
  pw=$(<"$repl_pw_file")
  [[ "$pw" != *'"'* && "$pw" != *\\* ]] ||
    die "the password in $repl_pw_file holds \" or \\: not usable in olcSyncrepl"
  tls=
  ((starttls)) && tls=" starttls=critical tls_reqcert=demand"
  say "adding syncrepl rid=$rid from $peer as $repl_dn"
  printf '%s\n' "dn: $dbdn" "changetype: modify" "add: olcSyncrepl" \
    "olcSyncrepl: rid=$(printf '%03d' "$rid") provider=$peer bindmethod=simple binddn=\"$repl_dn\" credentials=\"$pw\" searchbase=\"$base\" type=refreshAndPersist retry=\"$retry\" timeout=$timeout network-timeout=$timeout$tls" |
    cfg_modify || die "cannot add the syncrepl"
  unset pw
fi

if value olcMultiProvider <"$work/db.ldif" | grep -qi '^TRUE$'; then
  say "olcMultiProvider: TRUE"
else
  say "setting olcMultiProvider TRUE"
  printf '%s\n' "dn: $dbdn" "changetype: modify" "replace: olcMultiProvider" \
    "olcMultiProvider: TRUE" | cfg_modify || die "cannot set olcMultiProvider"
fi

cat <<EOF
multiprovider: done. Check that both providers converge (the same
contextCSN values on both; see README, "What to monitor"):

ldapsearch -x -H URI -s base -b '$base' contextCSN
EOF
