# shellcheck shell=bash
#
# slapd_pair.sh: two multi-provider slapd for integration tests, built on
# slapd.sh and set up with examples/slapd/multiprovider.sh.
#
#   . "$top_srcdir/tests/lib/slapd_pair.sh"
#   kc_slapd_pair_start       provider 1 as kc_slapd_start makes it (schema,
#                             ppolicy, ACLs, DIT, fixtures), provider 2 with
#                             schema, ppolicy and ACLs only; server IDs 1
#                             and 2, syncprov, syncrepl both ways, binding
#                             as the other's rootdn; waits until provider 2
#                             has everything (contextCSN equal)
#   kc_slapd_pair_use N       point slapd.sh's globals (KC_LDAP_URI,
#                             KC_SLAPD_PID, ...) and so every kc_ldap_*
#                             helper at provider N
#   kc_slapd_pair_kill N      SIGKILL provider N (data kept)
#   kc_slapd_pair_stop_sig N  SIGSTOP provider N (a hung server)
#   kc_slapd_pair_cont N      SIGCONT it
#   kc_slapd_pair_restart N   start provider N again on its port with its
#                             data (SIGKILLs a running or stopped one first)
#   kc_slapd_pair_converged [SECONDS]
#                             wait (default 20 s) until both providers have
#                             the same contextCSN values; 1 when not
#   kc_slapd_pair_csn N       provider N's contextCSN values, sorted, one
#                             a line
#   kc_slapd_pair_wait N DN [FILTER] [SECONDS]
#                             wait (default 10 s) until provider N has DN
#                             matching FILTER (default (objectClass=*));
#                             prints the milliseconds it took
#   kc_slapd_pair_wait_gone N DN [FILTER] [SECONDS]
#                             the same until DN is gone or no longer
#                             matches
#   kc_slapd_pair_ldap N kc_ldap_admin|kc_ldap_kcd|... TOOL ARGS...
#                             run a slapd.sh helper against provider N
#   kc_slapd_pair_stop        stop both, remove their dirs (also at exit)
#
# Exported afterwards, for N = 1 and 2:
#   KC_LDAP_URI1 KC_LDAP_URI2     ldap://127.0.0.1:PORT/
#   KC_LDAP_PORT1 KC_LDAP_PORT2
#   KC_SLAPD_PID1 KC_SLAPD_PID2   empty while killed
#   KC_SLAPD_DIR1 KC_SLAPD_DIR2   each with slapd.log
# plus slapd.sh's variables, pointing at provider 1 (kc_slapd_pair_use);
# KC_LDAP_BASE, KC_LDAP_ADMIN_DN, KC_KCD_DN and KC_KCD_PW_FILE are the same
# for both (the kcd entry and its hash replicate).
#
# One pair per shell. Works under set -u.

if [[ -z "${KC_SLAPD_PAIR_LOADED:-}" ]]; then
KC_SLAPD_PAIR_LOADED=1
# shellcheck source=tests/lib/slapd.sh
. "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/slapd.sh"

KC_SLAPD_PAIR_VARS="KC_LDAP_URI KC_LDAP_PORT KC_LDAP_ADMIN_PW KC_LDAP_CONFIG_PW
  KC_SLAPD_DIR KC_SLAPD_PID KC_SLAPD_LOG"
KC_SLAPD_PAIR_CUR=

# kc_slapd_pair__save N: remember slapd.sh's globals as provider N's.
kc_slapd_pair__save()
{
  local n=$1 v
  for v in $KC_SLAPD_PAIR_VARS; do
    printf -v "${v}_P$n" '%s' "${!v:-}"
  done
  printf -v "KC_LDAP_URI$n" '%s' "$KC_LDAP_URI"
  printf -v "KC_LDAP_PORT$n" '%s' "$KC_LDAP_PORT"
  printf -v "KC_SLAPD_PID$n" '%s' "${KC_SLAPD_PID:-}"
  printf -v "KC_SLAPD_DIR$n" '%s' "$KC_SLAPD_DIR"
  export "KC_LDAP_URI$n" "KC_LDAP_PORT$n" "KC_SLAPD_PID$n" "KC_SLAPD_DIR$n"
}

kc_slapd_pair_use()
{
  local n=$1 v src
  if [[ -n "$KC_SLAPD_PAIR_CUR" ]]; then
    kc_slapd_pair__save "$KC_SLAPD_PAIR_CUR"
  fi
  for v in $KC_SLAPD_PAIR_VARS; do
    src=${v}_P$n
    printf -v "$v" '%s' "${!src:-}"
    export "${v?}"
  done
  KC_SLAPD_PAIR_CUR=$n
}

# kc_slapd_pair_ldap N HELPER ARGS...: a slapd.sh helper against N.
kc_slapd_pair_ldap()
{
  local n=$1 back=$KC_SLAPD_PAIR_CUR rc=0
  shift
  kc_slapd_pair_use "$n"
  "$@" || rc=$?
  kc_slapd_pair_use "$back"
  return "$rc"
}

# kc_slapd_pair__setup N PEER: multiprovider.sh on provider N (with
# PEER: syncrepl from it, as its rootdn).
kc_slapd_pair__setup()
{
  local n=$1 peer=${2:-} args pwvar dir
  kc_slapd_pair_use "$n"
  dir=$KC_SLAPD_DIR
  (umask 077 && printf '%s' "$KC_LDAP_CONFIG_PW" >"$dir/config.pw")
  args=(-H "$KC_LDAP_URI" -D "$KC_LDAP_CONFIG_DN" -y "$dir/config.pw" -i "$n")
  if [[ -n "$peer" ]]; then
    pwvar=KC_LDAP_ADMIN_PW_P$peer
    (umask 077 && printf '%s' "${!pwvar}" >"$dir/peer.pw")
    pwvar=KC_LDAP_URI$peer
    # retry every second: the tests kill and restart providers
    args+=(-P "${!pwvar}" -r "$peer" -R "$KC_LDAP_ADMIN_DN" -w "$dir/peer.pw"
      -t 3 -e "1 +")
  fi
  if ! bash "$top_srcdir/examples/slapd/multiprovider.sh" "${args[@]}" \
    >"$dir/multiprovider.out" 2>&1; then
    cat "$dir/multiprovider.out" >&2
    kc_slapd__fail "multiprovider.sh on provider $n failed"
    return 1
  fi
}

kc_slapd_pair_start()
{
  local rc=0
  kc_slapd_start || return 1
  kc_slapd_pair__save 1
  # a second slapd.sh instance: its globals start empty
  KC_SLAPD_PID=
  KC_SLAPD_DIR=
  KC_SLAPD_PAIR_CUR=
  kc_slapd_start --no-dit || rc=1
  kc_slapd_pair__save 2
  kc_cleanup_add kc_slapd_pair_stop
  ((rc == 0)) || return 1
  # Provider 1 (with the data) first offers syncprov; provider 2 (empty)
  # pulls everything from it; only then does 1 consume from 2, so that an
  # empty peer's refresh never meets the data.
  KC_SLAPD_PAIR_CUR=2
  kc_slapd_pair__setup 1 || return 1
  kc_slapd_pair__setup 2 1 || return 1
  kc_slapd_pair_wait 2 "$KC_KCD_DN" '(objectClass=*)' 20 >/dev/null ||
    { kc_slapd__fail "provider 2 did not receive the DIT"; return 1; }
  kc_slapd_pair__setup 1 2 || return 1
  kc_slapd_pair_use 1
  if ! kc_slapd_pair_converged 20; then
    echo "kc_slapd_pair: contextCSN 1: $(kc_slapd_pair_csn 1 | tr '\n' ' ')" >&2
    echo "kc_slapd_pair: contextCSN 2: $(kc_slapd_pair_csn 2 | tr '\n' ' ')" >&2
    kc_slapd__fail "the providers did not converge"
    return 1
  fi
}

# kc_slapd_pair__pid N: provider N's pid (current globals for the one in use).
kc_slapd_pair__pid()
{
  local v=KC_SLAPD_PID_P$1
  if [[ "$KC_SLAPD_PAIR_CUR" == "$1" ]]; then
    v=KC_SLAPD_PID
  fi
  echo "${!v:-}"
}

kc_slapd_pair_kill()
{
  local n=$1 back=$KC_SLAPD_PAIR_CUR pid
  pid=$(kc_slapd_pair__pid "$n")
  [[ -n "$pid" ]] || return 0
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  kc_slapd_pair_use "$n"
  KC_SLAPD_PID=
  kc_slapd_pair_use "$back"
}

kc_slapd_pair_stop_sig()
{
  local pid
  pid=$(kc_slapd_pair__pid "$1")
  [[ -n "$pid" ]] && kill -STOP "$pid"
}

kc_slapd_pair_cont()
{
  local pid
  pid=$(kc_slapd_pair__pid "$1")
  [[ -n "$pid" ]] && kill -CONT "$pid"
}

kc_slapd_pair_restart()
{
  local n=$1 back=$KC_SLAPD_PAIR_CUR rc=0
  kc_slapd_pair_kill "$n"
  kc_slapd_pair_use "$n"
  kc_slapd_restart || rc=1
  kc_slapd_pair_use "$back"
  return "$rc"
}

# kc_slapd_pair_csn N: contextCSN of the suffix on provider N.
kc_slapd_pair_csn()
{
  KC_LDAP_TIMEOUT=5 kc_slapd_pair_ldap "$1" kc_ldap_admin ldapsearch -LLL \
    -b "$KC_LDAP_BASE" -s base contextCSN 2>/dev/null |
    sed -n 's/^contextCSN: //p' | sort
}

kc_slapd_pair_converged()
{
  local limit=${1:-20} deadline a b
  deadline=$((SECONDS + limit))
  while ((SECONDS <= deadline)); do
    a=$(kc_slapd_pair_csn 1)
    b=$(kc_slapd_pair_csn 2)
    if [[ -n "$a" && "$a" == "$b" ]]; then
      return 0
    fi
    sleep 0.1
  done
  return 1
}

# kc_slapd_pair__has N DN FILTER: 0 when provider N has DN matching FILTER.
kc_slapd_pair__has()
{
  KC_LDAP_TIMEOUT=5 kc_slapd_pair_ldap "$1" kc_ldap_admin ldapsearch -LLL \
    -b "$2" -s base "$3" 1.1 2>/dev/null | grep -q '^dn'
}

# kc_slapd_pair__until WANT N DN FILTER SECONDS: poll until __has is WANT.
kc_slapd_pair__until()
{
  local want=$1 n=$2 dn=$3 filter=$4 limit=$5 t0 got
  t0=$(date +%s%N)
  while :; do
    got=1
    kc_slapd_pair__has "$n" "$dn" "$filter" && got=0
    if ((got == want)); then
      echo $((($(date +%s%N) - t0) / 1000000))
      return 0
    fi
    if (($(date +%s%N) - t0 > limit * 1000000000)); then
      return 1
    fi
    sleep 0.02
  done
}

kc_slapd_pair_wait()
{
  kc_slapd_pair__until 0 "$1" "$2" "${3:-(objectClass=*)}" "${4:-10}"
}

kc_slapd_pair_wait_gone()
{
  kc_slapd_pair__until 1 "$1" "$2" "${3:-(objectClass=*)}" "${4:-10}"
}

kc_slapd_pair_stop()
{
  local n
  for n in 2 1; do
    [[ -n "$(eval echo "\${KC_SLAPD_DIR_P$n:-}")" ]] || continue
    kc_slapd_pair_cont "$n" 2>/dev/null || true
    kc_slapd_pair_use "$n"
    kc_slapd_stop
    kc_slapd_pair__save "$n" 2>/dev/null || true
    printf -v "KC_SLAPD_DIR_P$n" '%s' ''
  done
}
fi
