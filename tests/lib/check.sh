# shellcheck shell=bash
#
# check.sh: tiny TAP-style checks for the bash integration tests.
#
#   kc_check DESC CMD...          passes when CMD exits 0
#   kc_check_fails DESC CMD...    passes when CMD exits non-zero
#   kc_check_grep DESC ERE CMD... passes when CMD's output (stdout and
#                                 stderr) matches ERE, whatever its status
#   kc_check_nogrep DESC ERE CMD... passes when the output does not match
#   kc_pass DESC / kc_fail DESC   record a result computed by the test
#   kc_done                       print a summary; exit 0 or 1
#   KC_TODO=REASON                (around checks) a known, open bug
#
# After each kc_check*, KC_OUT holds the command's output and KC_RC its
# exit status. A failed check prints the output, indented, to help
# reading the test log.

if [[ -z "${KC_CHECK_LOADED:-}" ]]; then
KC_CHECK_LOADED=1
KC_CHECKS=0
KC_FAILS=0
KC_OUT=
KC_RC=0

# KC_TODO=REASON around checks marks a known bug that is still open (an
# issue, named in REASON): a failure prints "not ok N - DESC # TODO
# REASON" (TAP's directive) and does not fail the test; a pass prints
# "ok N - DESC # TODO REASON". kc_done counts the failures as known bugs.
KC_TODOS=0
kc_pass()
{
  KC_CHECKS=$((KC_CHECKS + 1))
  echo "ok $KC_CHECKS - $*${KC_TODO:+ # TODO $KC_TODO}"
}

kc_fail()
{
  KC_CHECKS=$((KC_CHECKS + 1))
  if [[ -n ${KC_TODO:-} ]]; then
    KC_TODOS=$((KC_TODOS + 1))
    echo "not ok $KC_CHECKS - $* # TODO $KC_TODO"
    return
  fi
  KC_FAILS=$((KC_FAILS + 1))
  echo "not ok $KC_CHECKS - $*"
}

kc_check__run()
{
  # (as a list, so that a failing command does not end a set -e script)
  KC_OUT=$("$@" 2>&1) && KC_RC=0 || KC_RC=$?
}

kc_check__show()
{
  echo "    # exit status $KC_RC; output:"
  printf '%s\n' "$KC_OUT" | sed 's/^/    #   /'
}

kc_check()
{
  local desc=$1
  shift
  kc_check__run "$@"
  if ((KC_RC == 0)); then
    kc_pass "$desc"
  else
    kc_fail "$desc"
    kc_check__show
  fi
}

kc_check_fails()
{
  local desc=$1
  shift
  kc_check__run "$@"
  if ((KC_RC != 0)); then
    kc_pass "$desc"
  else
    kc_fail "$desc"
    kc_check__show
  fi
}

kc_check_grep()
{
  local desc=$1 re=$2
  shift 2
  kc_check__run "$@"
  if printf '%s\n' "$KC_OUT" | grep -Eq -- "$re"; then
    kc_pass "$desc"
  else
    kc_fail "$desc"
    echo "    # expected output matching: $re"
    kc_check__show
  fi
}

kc_check_nogrep()
{
  local desc=$1 re=$2
  shift 2
  kc_check__run "$@"
  if printf '%s\n' "$KC_OUT" | grep -Eq -- "$re"; then
    kc_fail "$desc"
    echo "    # expected no output matching: $re"
    kc_check__show
  else
    kc_pass "$desc"
  fi
}

kc_done()
{
  echo "1..$KC_CHECKS"
  local todo=
  ((KC_TODOS > 0)) && todo=", $KC_TODOS known bugs (TODO)"
  echo "# $KC_CHECKS checks, $KC_FAILS failed$todo"
  if ((KC_FAILS > 0)); then
    exit 1
  fi
  exit 0
}
fi
