#!/usr/bin/env bash
# bootstrap.sh: prepare an OpenLDAP 2.5 server (cn=config, as Debian 12's
# slapd package sets it up) for the Kundencenter: load the ppolicy and
# argon2 modules, the kundencenter schema, indexes, the password policy,
# the DIT (ou=customers, ou=accounts, ...), the ACLs, and give kcd's
# service DN a random password. See README in this directory.
#
#   bootstrap.sh [-H URI] [-b BASE] [-D ROOTDN] [-y ROOTPW_FILE]
#                [-s SCHEMA_DIR] [-p KCD_PW_FILE] [-m ARGON2_ARGS] [-x] [-n]
#
#   -H URI          slapd's ldapi:// URI (default ldapi:///). cn=config is
#                   changed with SASL EXTERNAL, so run this as root on the
#                   LDAP server.
#   -b BASE         the suffix of the mdb database to use (default: the
#                   only mdb database's)
#   -D ROOTDN       that database's root DN (default: its olcRootDN); its
#                   password adds the entries and sets kcd's password
#   -y FILE         file with the root DN's password (default: ask)
#   -s DIR          the schema files (kundencenter.ldif, base.ldif,
#                   ppolicy.ldif, acl.ldif); default: found next to this
#                   script in the source tree or the installation
#   -p FILE         kcd's service password (default /etc/kcd/ldap.pw); made
#                   (random, mode 0600) when missing, else reused
#   -m ARGS         argon2 module arguments (default "m=65536 t=2": slapd's
#                   own hashes cost what kcd's do)
#   -M MODULE       the {ARGON2} module: kc_argon2 (ours, on libsodium:
#                   half the CPU per bind; the default when
#                   /usr/lib/ldap/kc_argon2.so is installed) or argon2
#                   (Debian's)
#   -x              configuration only (modules, schema, indexes, ppolicy,
#                   ACLs): no entries and no password for kcd. For a second
#                   provider whose entries come by replication from the
#                   first (multiprovider.sh, README "Two providers")
#   -n              print what would be done; change nothing
#
# Every step checks first and is skipped when done, so running it again is
# harmless. acl.ldif REPLACES the database's olcAccess rules: use a
# database (suffix) of its own for the Kundencenter.
set -u
set -o pipefail

uri=ldapi:///
base=
rootdn=
rootpw_file=
schema_dir=
kcd_pw_file=/etc/kcd/ldap.pw
argon2_args="m=65536 t=2"
argon2_module=argon2
[[ -e /usr/lib/ldap/kc_argon2.so ]] && argon2_module=kc_argon2
dry_run=0
config_only=0

die()
{
  echo "bootstrap: $*" >&2
  exit 1
}

say()
{
  echo "bootstrap: $*"
}

usage()
{
  sed -n '2,/^set -u/p' "$0" | sed -e '/^set -u/d' -e 's/^# \{0,1\}//'
}

while getopts 'H:b:D:y:s:p:m:M:xnh' opt; do
  case $opt in
    H) uri=$OPTARG ;;
    b) base=$OPTARG ;;
    D) rootdn=$OPTARG ;;
    y) rootpw_file=$OPTARG ;;
    s) schema_dir=$OPTARG ;;
    p) kcd_pw_file=$OPTARG ;;
    m) argon2_args=$OPTARG ;;
    M) argon2_module=$OPTARG ;;
    n) dry_run=1 ;;
    x) config_only=1 ;;
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

for p in ldapsearch ldapmodify ldapadd ldappasswd ldapwhoami; do
  command -v "$p" >/dev/null 2>&1 || die "$p not found (apt-get install ldap-utils)"
done

# The schema files: -s, the source tree, or the installed copy
# (docdir/examples/slapd -> datadir/pam_kundencenter/schema, or
# datadir/kcd/schema from the Debian package kcd).
here=$(cd "$(dirname "$0")" && pwd)
if [[ -z "$schema_dir" ]]; then
  for d in "$here/../../schema" "$here/../../../../pam_kundencenter/schema" \
    "$here/../../../../kcd/schema" /usr/share/kcd/schema \
    /usr/share/pam_kundencenter/schema /usr/local/share/pam_kundencenter/schema; do
    if [[ -f "$d/kundencenter.ldif" ]]; then
      schema_dir=$(cd "$d" && pwd)
      break
    fi
  done
fi
for f in kundencenter.ldif base.ldif ppolicy.ldif acl.ldif; do
  [[ -f "$schema_dir/$f" ]] || die "no $f in '${schema_dir:-?}' (use -s DIR)"
done

work=$(mktemp -d "${TMPDIR:-/tmp}/kc-bootstrap.XXXXXX") || die "no temp dir"
trap 'rm -rf "$work"' EXIT
chmod 700 "$work"

# LDAP helpers. Output without line wrapping, so values are one line.
cfg_search()
{
  ldapsearch -Q -LLL -o ldif-wrap=no -Y EXTERNAL -H "$uri" "$@"
}

cfg_modify()
{
  if ((dry_run)); then
    echo "---- ldapmodify -a -Y EXTERNAL -H $uri"
    cat
    return 0
  fi
  ldapmodify -a -Q -Y EXTERNAL -H "$uri" >"$work/out" 2>&1 ||
    { cat "$work/out" >&2; return 1; }
}

root_ldap()
{
  local tool=$1
  shift
  "$tool" -x -H "$uri" -D "$rootdn" -y "$work/rootpw" "$@"
}

# value ATTR < LDIF: the values of ATTR, one a line (plain values only).
value()
{
  sed -n "s/^$1: //p"
}

# ---------------------------------------------------------------- the database
cfg_search -b cn=config -s base dn >/dev/null 2>&1 ||
  die "cannot read cn=config over $uri with SASL EXTERNAL (run as root on the LDAP server)"

if [[ -n "$base" ]]; then
  filter="(&(objectClass=olcMdbConfig)(olcSuffix=$base))"
else
  filter="(objectClass=olcMdbConfig)"
fi
cfg_search -b cn=config "$filter" dn olcSuffix olcRootDN olcDbIndex \
  >"$work/db.ldif" || die "cannot search cn=config"
n=$(grep -c '^dn: ' "$work/db.ldif")
((n == 1)) || die "found $n mdb databases${base:+ for $base}; choose one with -b BASE"
dbdn=$(value dn <"$work/db.ldif")
base=$(value olcSuffix <"$work/db.ldif" | head -n 1)
[[ -n "$rootdn" ]] || rootdn=$(value olcRootDN <"$work/db.ldif")
[[ -n "$base" && -n "$rootdn" ]] || die "$dbdn has no olcSuffix or olcRootDN"
dbrdn=${dbdn%%,*}
say "database $dbdn, suffix $base, root DN $rootdn"

if [[ -n "$rootpw_file" ]]; then
  cp "$rootpw_file" "$work/rootpw" || die "cannot read $rootpw_file"
else
  read -r -s -p "password of $rootdn: " pw || die "no password"
  echo
  printf '%s' "$pw" >"$work/rootpw"
  unset pw
fi
if ((dry_run == 0)); then
  root_ldap ldapwhoami >/dev/null 2>&1 || die "cannot bind as $rootdn"
fi

# ---------------------------------------------------------------- modules
cfg_search -b cn=config '(objectClass=olcModuleList)' dn olcModuleLoad \
  >"$work/modules.ldif" || die "cannot search the module lists"
moddn=$(value dn <"$work/modules.ldif" | head -n 1)
loaded=$(value olcModuleLoad <"$work/modules.ldif" | sed 's/^{[0-9]*}//')
mods=()
grep -Eq '^ppolicy(\.la|\.so)?( |$)' <<<"$loaded" || mods+=("ppolicy")
case $argon2_module in
  argon2 | kc_argon2) ;;
  *) die "-M $argon2_module: the module is argon2 or kc_argon2" ;;
esac
# one {ARGON2} module, never both: kc_argon2 refuses to load beside argon2
if grep -Eq '^(.*/)?(kc_)?argon2(\.la|\.so)?( |$)' <<<"$loaded"; then
  if [[ $argon2_module == kc_argon2 ]] &&
    grep -Eq '^argon2(\.la|\.so)?( |$)' <<<"$loaded"; then
    say "Debian's argon2 module is loaded; to switch to kc_argon2 (half the" \
      "CPU per bind) see examples/slapd/README"
  fi
else
  mods+=("$argon2_module $argon2_args")
fi
if ((${#mods[@]} == 0)); then
  say "modules ppolicy and {ARGON2}: loaded"
elif [[ -z "$moddn" ]]; then
  say "loading modules: ${mods[*]}"
  {
    printf '%s\n' "dn: cn=module,cn=config" "changetype: add" \
      "objectClass: olcModuleList" "cn: module" "olcModulePath: /usr/lib/ldap"
    for m in "${mods[@]}"; do echo "olcModuleLoad: $m"; done
  } | cfg_modify || die "cannot load the modules"
else
  say "loading modules: ${mods[*]}"
  {
    printf '%s\n' "dn: $moddn" "changetype: modify" "add: olcModuleLoad"
    for m in "${mods[@]}"; do echo "olcModuleLoad: $m"; done
  } | cfg_modify || die "cannot load the modules"
fi

# ---------------------------------------------------------------- schema
cfg_search -b cn=schema,cn=config -s one dn >"$work/schemas" ||
  die "cannot list the schemas"
grep -qi '^dn: cn={[0-9]*}inetorgperson,' "$work/schemas" ||
  die "the inetorgperson schema is not loaded (ldapadd -Y EXTERNAL -H $uri -f /etc/ldap/schema/inetorgperson.ldif)"
# unfold an LDIF (continuation lines start with one blank)
unfold()
{
  awk 'NR > 1 && /^ / { line = line substr($0, 2); next }
       NR > 1 { print line } { line = $0 } END { print line }'
}
# the definitions of type (olcAttributeTypes, olcObjectClasses) as
# "NAME<tab>definition" lines, blanks collapsed and {N} prefixes dropped
defs()
{
  sed -n "s/^$1: //p" | sed -e 's/^{[0-9]*}//' -e 's/[[:space:]]\{1,\}/ /g' |
    sed -n "s/^\(.*NAME '\([^']*\)'.*\)$/\2\t\1/p" | sort
}
# A loaded schema of an older release lacks attribute types and has
# object classes without them in MAY: add what is missing and swap the
# object classes that differ (slapd 2.5 takes both over cn=config).
upgrade_schema()
{
  local sdn=$1 name def old nattr=0 noc=0
  cfg_search -o ldif-wrap=no -b "$sdn" -s base olcAttributeTypes \
    olcObjectClasses >"$work/schema.now" || die "cannot read $sdn"
  unfold <"$schema_dir/kundencenter.ldif" >"$work/schema.file"
  {
    echo "dn: $sdn"
    echo "changetype: modify"
    while IFS=$'\t' read -r name def; do
      grep -q "^$name"$'\t' <(defs olcAttributeTypes <"$work/schema.now") && continue
      printf '%s\n' "add: olcAttributeTypes" "olcAttributeTypes: $def" "-"
      nattr=$((nattr + 1))
    done < <(defs olcAttributeTypes <"$work/schema.file")
    while IFS=$'\t' read -r name def; do
      old=$(grep "^olcObjectClasses: {[0-9]*}( .*NAME '$name'" "$work/schema.now")
      [[ -n "$old" ]] || continue
      [[ "$(defs olcObjectClasses <<<"$old" | cut -f2-)" == "$def" ]] && continue
      # back in its place ({N}), so the places of the others stay
      printf '%s\n' "delete: olcObjectClasses" "$old" "-" \
        "add: olcObjectClasses" \
        "olcObjectClasses: $(sed 's/^olcObjectClasses: \({[0-9]*}\).*/\1/' <<<"$old")$def" "-"
      noc=$((noc + 1))
    done < <(defs olcObjectClasses <"$work/schema.file")
    echo "$nattr $noc" >"$work/schema.count"
  } >"$work/schema.upgrade"
  read -r nattr noc <"$work/schema.count"
  if ((nattr + noc == 0)); then
    say "schema kundencenter: loaded, current"
    return 0
  fi
  say "schema kundencenter: upgrading ($nattr new attribute types, $noc object classes)"
  cfg_modify <"$work/schema.upgrade" || die "cannot upgrade the kundencenter schema"
}

if grep -qi '^dn: cn={[0-9]*}kundencenter,' "$work/schemas"; then
  upgrade_schema "$(grep -i '^dn: cn={[0-9]*}kundencenter,' "$work/schemas" |
    sed 's/^dn: //')"
else
  say "loading schema kundencenter"
  cfg_modify <"$schema_dir/kundencenter.ldif" || die "cannot load kundencenter.ldif"
fi

# ---------------------------------------------------------------- indexes
indexed=$(value olcDbIndex <"$work/db.ldif" | awk '{ print $1 }' | tr ',' '\n' |
  tr 'A-Z' 'a-z')
idx=()
for a in objectClass entryUUID uid mail kcCustomerNumber kcRegistrationId \
  kcTokenHash kcTanChallenge kcResetHash kcNewMailHash; do
  grep -qx "$(tr 'A-Z' 'a-z' <<<"$a")" <<<"$indexed" || idx+=("$a eq")
done
if ((${#idx[@]} == 0)); then
  say "indexes: present"
else
  say "adding indexes: ${idx[*]}"
  {
    printf '%s\n' "dn: $dbdn" "changetype: modify" "add: olcDbIndex"
    for i in "${idx[@]}"; do echo "olcDbIndex: $i"; done
  } | cfg_modify || die "cannot add the indexes"
fi

# ---------------------------------------------------------------- site files
# dc=example,dc=org -> BASE; olcDatabase={1}mdb -> this database; the base
# entry's dc value from BASE's first RDN.
first_rdn=${base%%,*}
rewrite()
{
  sed -e "s/dc=example,dc=org/$base/g" -e "s/olcDatabase={1}mdb/$dbrdn/g" \
    -e "s/^dc: example\$/dc: ${first_rdn#dc=}/" "$schema_dir/$1"
}

# ---------------------------------------------------------------- ppolicy
if cfg_search -b "$dbdn" -s one dn | grep -qi '^dn: olcOverlay={[0-9]*}ppolicy,'; then
  say "ppolicy overlay: present"
else
  say "adding the ppolicy overlay and {ARGON2} as the default hash"
  rewrite ppolicy.ldif | cfg_modify || die "cannot apply ppolicy.ldif"
fi

# ---------------------------------------------------------------- the DIT
# Add each entry of base.ldif that is not there yet.
if ((config_only)); then
  say "DIT: not added (-x); the entries come by replication"
else
  rewrite base.ldif | awk -v dir="$work" '
    /^dn: / { n++ }
    n > 0 && !/^#/ { print > sprintf("%s/entry.%03d", dir, n) }'
  added=0
  for f in "$work"/entry.*; do
    dn=$(value dn <"$f")
    if root_ldap ldapsearch -LLL -s base -b "$dn" dn >/dev/null 2>&1; then
      continue
    fi
    if [[ "$dn" == "$base" && "$first_rdn" != dc=* ]]; then
      die "the base entry $base is missing and is not a dc= entry: add it first"
    fi
    added=$((added + 1))
    if ((dry_run)); then
      echo "---- ldapadd -D $rootdn"
      cat "$f"
    else
      root_ldap ldapadd -f "$f" >"$work/out" 2>&1 ||
        { cat "$work/out" >&2; die "cannot add $dn"; }
    fi
  done
  say "DIT: $added entries added"
fi

# ---------------------------------------------------------------- ACLs
say "setting the ACLs of $dbdn (acl.ldif)"
rewrite acl.ldif | cfg_modify || die "cannot apply acl.ldif"

# ---------------------------------------------------------------- kcd's password
kcd_dn="cn=kcd,ou=services,$base"
if ((config_only)); then
  say "done (-x): now multiprovider.sh, see README \"Two providers\""
  exit 0
fi
if [[ -s "$kcd_pw_file" ]]; then
  say "using kcd's password from $kcd_pw_file"
elif ((dry_run)); then
  say "would write a random password to $kcd_pw_file"
else
  mkdir -p "$(dirname "$kcd_pw_file")" || die "cannot create $(dirname "$kcd_pw_file")"
  (umask 077 && head -c 24 /dev/urandom | base64 | tr -d '\n/+=' >"$kcd_pw_file") ||
    die "cannot write $kcd_pw_file"
  say "wrote a random password for kcd to $kcd_pw_file (mode 0600)"
fi
if ((dry_run == 0)); then
  if ! ldapwhoami -x -H "$uri" -D "$kcd_dn" -y "$kcd_pw_file" >/dev/null 2>&1; then
    root_ldap ldappasswd -T "$kcd_pw_file" "$kcd_dn" >"$work/out" 2>&1 ||
      { cat "$work/out" >&2; die "cannot set the password of $kcd_dn"; }
  fi
  ldapwhoami -x -H "$uri" -D "$kcd_dn" -y "$kcd_pw_file" >/dev/null 2>&1 ||
    die "$kcd_dn cannot bind with $kcd_pw_file"
  say "$kcd_dn binds with $kcd_pw_file"
fi

cat <<EOF
bootstrap: done. In /etc/kcd/kcd.conf (ldapi:/// when kcd runs on this
host; else ldap://$(hostname -f 2>/dev/null || hostname)/ with ldap_starttls = yes):

ldap_uri = ldapi:///
ldap_base = $base
ldap_bind_dn = $kcd_dn
ldap_bind_pw_file = $kcd_pw_file

Then load the customers: kcadm customer import FILE.csv
EOF
