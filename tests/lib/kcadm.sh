# shellcheck shell=bash
#
# kcadm.sh: what the kcadm tests share. Source it after slapd.sh and
# check.sh, then:
#
#   kc_kcadm_init         checks for python3 (exit 77) and the built kcadm
#                         (exit 99), starts the private slapd, and writes
#                         a kcd.conf for it: sets work (a temp dir,
#                         removed at exit), maildir (mail_transport) and
#                         conf (append more keys to it)
#   kcadm ARGS...         kcadm with that kcd.conf
#   kcadm_out ARGS...     the same, stdout only (for values and JSON)
#   json EXPR             a Python expression on the JSON document on
#                         stdin, bound to d; a tuple prints as its items
#                         joined by blanks
#   expect_rc DESC RC CMD...  a check that passes when CMD exits with RC
#
# Sets PY (/usr/bin/python3) and KCADM.

kc_kcadm_init()
{
  PY=/usr/bin/python3
  if [[ ! -x $PY ]]; then
    echo "SKIP: $PY not found (install python3)"
    exit 77
  fi
  KCADM=$top_builddir/kcd/kcadm/kcadm
  if [[ ! -x $KCADM ]]; then
    echo "kcadm not built: $KCADM" >&2
    exit 99
  fi
  kc_slapd_start || exit 1
  work=$(mktemp -d "${TMPDIR:-/tmp}/kc-kcadm.XXXXXX") || exit 1
  kc_cleanup_add "rm -rf '$work'"
  maildir=$work/mail
  conf=$work/kcd.conf
  cat >"$conf" <<EOF_CONF
ldap_uri = $KC_LDAP_URI
ldap_base = $KC_LDAP_BASE
ldap_bind_dn = $KC_KCD_DN
ldap_bind_pw_file = $KC_KCD_PW_FILE
ldap_timeout = 10s
mail_from = kundencenter@example.org
mail_transport = maildir:$maildir
EOF_CONF
  chmod 600 "$conf"
}

kcadm()
{
  "$KCADM" -c "$conf" "$@"
}

kcadm_out()
{
  "$KCADM" -c "$conf" "$@" 2>/dev/null
}

json()
{
  "$PY" -c '
import json, sys
d = json.load(sys.stdin)
r = eval(sys.argv[1])
print(" ".join(map(str, r)) if isinstance(r, tuple) else r)' "$1"
}

expect_rc()
{
  local desc=$1 want=$2
  shift 2
  kc_check__run "$@"
  if ((KC_RC == want)); then
    kc_pass "$desc"
  else
    kc_fail "$desc (wanted exit $want)"
    kc_check__show
  fi
}
