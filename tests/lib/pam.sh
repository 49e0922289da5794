# shellcheck shell=bash
#
# pam.sh: drive the built PAM module through the real libpam with
# tests/tools/kc-pamtest, from a private service directory (no root, no
# pam_wrapper), and stand in for kcd with tests/tools/kc-fakekcd.
#
#   . "$top_srcdir/tests/lib/pam.sh"
#   kc_pam_init                      temp dir, cleanup; exit 77 if libpam
#                                    cannot read a private service dir
#   kc_pam_service NAME OPTIONS...   service NAME: auth, account, password
#                                    and session lines for the module with
#                                    OPTIONS
#   kc_pam_service_raw NAME LINES    write service NAME verbatim; @MODULE@
#                                    stands for the module's path
#   kc_pamtest ARGS...               kc-pamtest --confdir <dir> ARGS...
#   kc_fakekcd_start ARGS...         kc-fakekcd on $KC_FAKE_SOCKET, log in
#                                    $KC_FAKE_LOG; waits for the socket
#   kc_fakekcd_stop
#
# Exported: KC_PAM_DIR (service files), KC_PAM_MODULE, KC_PAMTEST,
# KC_FAKE_SOCKET, KC_FAKE_LOG. KC_PAM_MODULE may be set beforehand to
# test another build of the module; KC_PAMTEST_WRAPPER (split on blanks)
# runs kc-pamtest under another program, e.g. valgrind.

if [[ -z "${KC_PAM_LOADED:-}" ]]; then
KC_PAM_LOADED=1
. "$top_srcdir/tests/lib/cleanup.sh"

KC_PAM_MODULE=${KC_PAM_MODULE:-$top_builddir/pam_kundencenter/.libs/pam_kundencenter.so}
KC_PAMTEST=$top_builddir/tests/tools/kc-pamtest
KC_FAKEKCD=$top_builddir/tests/tools/kc-fakekcd

kc_pam_init()
{
  local out rc
  KC_PAM_TMP=$(mktemp -d "${TMPDIR:-/tmp}/kc-pam.XXXXXX") || exit 1
  kc_cleanup_add "rm -rf '$KC_PAM_TMP'"
  KC_PAM_DIR=$KC_PAM_TMP/pam.d
  KC_FAKE_SOCKET=$KC_PAM_TMP/pam.sock
  KC_FAKE_LOG=$KC_PAM_TMP/fake.log
  mkdir -p "$KC_PAM_DIR"
  export KC_PAM_DIR KC_PAM_MODULE KC_PAMTEST KC_FAKE_SOCKET KC_FAKE_LOG
  if [[ ! -f $KC_PAM_MODULE || ! -x $KC_PAMTEST ]]; then
    echo "pam.sh: module or kc-pamtest not built" >&2
    exit 1
  fi
  echo "auth required pam_permit.so" >"$KC_PAM_DIR/kc-probe"
  out=$(kc_pamtest --service kc-probe --user probe --steps auth \
    --expect auth=PAM_SUCCESS 2>&1)
  rc=$?
  if ((rc == 77)); then
    echo "skip: $out"
    exit 77
  elif ((rc != 0)); then
    echo "pam.sh: libpam does not load a private service: $out" >&2
    exit 1
  fi
}

kc_pam_service()
{
  local name=$1 type
  shift
  for type in auth account password session; do
    echo "$type required $KC_PAM_MODULE $*"
  done >"$KC_PAM_DIR/$name"
}

kc_pam_service_raw()
{
  printf '%s\n' "$2" | sed "s|@MODULE@|$KC_PAM_MODULE|g" >"$KC_PAM_DIR/$1"
}

kc_pamtest()
{
  # shellcheck disable=SC2086 # the wrapper is a command line
  ${KC_PAMTEST_WRAPPER:-} "$KC_PAMTEST" --confdir "$KC_PAM_DIR" "$@"
}

kc_fakekcd_start()
{
  local i
  kc_fakekcd_stop
  : >"$KC_FAKE_LOG"
  "$KC_FAKEKCD" --socket "$KC_FAKE_SOCKET" --log "$KC_FAKE_LOG" \
    --max-seconds 300 "$@" &
  KC_FAKE_PID=$!
  kc_cleanup_add "kc_fakekcd_stop"
  for ((i = 0; i < 200; i++)); do
    [[ -S $KC_FAKE_SOCKET ]] && return 0
    kill -0 "$KC_FAKE_PID" 2>/dev/null || break
    sleep 0.02
  done
  echo "kc_fakekcd_start: kc-fakekcd did not come up" >&2
  return 1
}

kc_fakekcd_stop()
{
  [[ -n ${KC_FAKE_PID:-} ]] || return 0
  kill -TERM "$KC_FAKE_PID" 2>/dev/null || true
  wait "$KC_FAKE_PID" 2>/dev/null || true
  KC_FAKE_PID=
  rm -f "$KC_FAKE_SOCKET"
}

fi
