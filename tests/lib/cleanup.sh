# shellcheck shell=bash
#
# cleanup.sh: one exit/signal handler for integration tests, shared by the
# harness parts (slapd, kcd, web servers) so each can register its own
# cleanup without overwriting another's trap.
#
#   . tests/lib/cleanup.sh
#   kc_cleanup_add 'kill 1234'        # string, run with eval at exit
#   kc_cleanup_run                    # run now (last registered first)
#
# The handler runs on EXIT, INT, TERM and HUP. Commands run in reverse
# order of registration, each at most once; their failures are ignored. An
# EXIT trap that was set before this file was sourced is kept and runs
# last; earlier INT/TERM/HUP traps are replaced.
# Tests should not call `trap ... EXIT` themselves after sourcing this
# file (that would replace the handler); use kc_cleanup_add instead.
# The exit status of the test is preserved; a signal exits with 128+N.

if [[ -z "${KC_CLEANUP_LOADED:-}" ]]; then
KC_CLEANUP_LOADED=1
KC_CLEANUP_CMDS=()

# kc_cleanup_add CMD: register CMD (a string for eval) to run at exit.
kc_cleanup_add()
{
  KC_CLEANUP_CMDS+=("$*")
}

# kc_cleanup_run: run and forget every registered command, newest first.
kc_cleanup_run()
{
  local i cmd
  for ((i = ${#KC_CLEANUP_CMDS[@]} - 1; i >= 0; i--)); do
    cmd=${KC_CLEANUP_CMDS[i]}
    unset 'KC_CLEANUP_CMDS[i]'
    eval "$cmd" || true
  done
  KC_CLEANUP_CMDS=()
}

kc_cleanup__on_exit()
{
  local rc=$?
  trap - EXIT
  kc_cleanup_run
  exit "$rc"
}

kc_cleanup__on_signal()
{
  local sig=$1 num=$2
  trap - "$sig"
  echo "interrupted by SIG$sig, cleaning up" >&2
  kc_cleanup_run
  exit $((128 + num))
}

# Keep a trap that was there before us: it becomes the oldest cleanup.
kc_cleanup__adopt()
{
  local sig=$1 old
  old=$(trap -p "$sig")
  [[ -n "$old" ]] || return 0
  eval "set -- $old"
  # set -- trap -- 'command' SIG
  if [[ "$3" != kc_cleanup__* ]]; then
    kc_cleanup_add "$3"
  fi
}

kc_cleanup__adopt EXIT
trap kc_cleanup__on_exit EXIT
trap 'kc_cleanup__on_signal INT 2' INT
trap 'kc_cleanup__on_signal TERM 15' TERM
trap 'kc_cleanup__on_signal HUP 1' HUP
fi
