#!/bin/sh
# tests/fuzz/campaign.sh: run libFuzzer targets one after the other, merge
# what they found into the seed corpora, and print one line per target.
# `make fuzz` runs it in a tree configured with
#   CC=clang ./configure --enable-fuzzing --enable-sanitizers
# with top_srcdir and top_builddir set and the targets' paths (relative to
# top_builddir) as arguments.
#
# Settings (environment; empty means the default):
#   KC_FUZZ_SECONDS  seconds per target (-max_total_time), default 60
#   KC_FUZZ_RUNS     stop a target after this many executions (-runs);
#                    default: no limit but the time
#   KC_FUZZ_TARGETS  names to run ("conf form" or "fuzz_conf"); default all
#   KC_FUZZ_MERGE    1 (default): merge new inputs into
#                    tests/fuzz/corpus/<name>/ in the source tree, keeping
#                    only those that reach new edges (-merge=1
#                    -use_counters=0); 0: do not
#   KC_FUZZ_RSS_MB   memory limit per target (-rss_limit_mb), default 2048
#   KC_FUZZ_TIMEOUT  seconds one input may take (-timeout), default 10
#   KC_FUZZ_JOBS     targets run at the same time, default 1 (CI: 2; on a
#                    shared machine keep it at one)
#
# Each target fuzzes a work corpus in $top_builddir/tests/fuzz/work/<name>/
# seeded from tests/fuzz/corpus/<name>/, with tests/fuzz/<name>.dict when
# there is one. A crash, leak, timeout or out-of-memory input is kept in
# $top_builddir/tests/fuzz/work/<name>/artifacts/ and its path printed.
# Exit status: 0 when no target failed, 1 otherwise, 2 on usage errors.
set -u

: "${top_srcdir:?top_srcdir must be set}"
: "${top_builddir:?top_builddir must be set}"
seconds=${KC_FUZZ_SECONDS:-60}
runs=${KC_FUZZ_RUNS:--1}
merge=${KC_FUZZ_MERGE:-1}
rss=${KC_FUZZ_RSS_MB:-2048}
timeout=${KC_FUZZ_TIMEOUT:-10}
only=${KC_FUZZ_TARGETS:-}
jobs=${KC_FUZZ_JOBS:-1}

for v in "$seconds" "$rss" "$timeout" "$jobs"; do
  case $v in
    '' | *[!0-9]*)
      echo "campaign: KC_FUZZ_SECONDS, _RSS_MB, _TIMEOUT and _JOBS are whole numbers" >&2
      exit 2
      ;;
  esac
done
if [ $# -eq 0 ]; then
  echo "usage: campaign.sh tests/fuzz/fuzz_NAME..." >&2
  exit 2
fi

# wanted NAME: is NAME among KC_FUZZ_TARGETS (or are all wanted)?
wanted() {
  [ -z "$only" ] && return 0
  for w in $only; do
    [ "${w#fuzz_}" = "$1" ] && return 0
  done
  return 1
}

# Every name in KC_FUZZ_TARGETS must be a target: a typo runs nothing.
for w in $only; do
  found=0
  for t in "$@"; do
    [ "${t##*/fuzz_}" = "${w#fuzz_}" ] && found=1
  done
  if [ $found -eq 0 ]; then
    echo "campaign: no fuzz target named ${w#fuzz_}" >&2
    exit 2
  fi
done

# stat LOG KEY: a value of libFuzzer's -print_final_stats=1 block
stat() {
  sed -n "s/^stat::$2: *//p" "$1" | tail -n 1
}

work_root=$top_builddir/tests/fuzz/work
mkdir -p "$work_root" || exit 1

# run_one NAME BIN: fuzz one target, merge, and leave its table row and
# any crash details in $work_root/NAME.row, "EXECUTIONS CRASHES" in
# $work_root/NAME.sum.
run_one() {
  name=$1
  bin=$2
  seeds=$top_srcdir/tests/fuzz/corpus/$name
  work=$work_root/$name
  log=$work_root/$name.log
  row=$work_root/$name.row
  rm -rf "$work"
  mkdir -p "$work/corpus" "$work/artifacts" || return 1
  dict=
  [ -f "$top_srcdir/tests/fuzz/$name.dict" ] &&
    dict=-dict=$top_srcdir/tests/fuzz/$name.dict
  start=$(date +%s)
  # ASan's defaults plus what a fuzzer needs: no leaks hidden at exit
  ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1} \
    UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
    "$bin" -max_total_time="$seconds" -runs="$runs" -rss_limit_mb="$rss" \
    -timeout="$timeout" -print_final_stats=1 \
    -artifact_prefix="$work/artifacts/" $dict \
    "$work/corpus" "$seeds" >"$log" 2>&1
  rc=$?
  elapsed=$(($(date +%s) - start))

  execs=$(stat "$log" number_of_executed_units)
  if [ -z "$execs" ]; then # no final stats after a crash: the last status line
    execs=$(sed -n 's/^#\([0-9][0-9]*\).*/\1/p' "$log" | tail -n 1)
  fi
  execs=${execs:-0}
  rate=$(stat "$log" average_exec_per_sec)
  [ -n "$rate" ] || rate=$((execs / (elapsed > 0 ? elapsed : 1)))
  cov=$(sed -n 's/.* cov: \([0-9][0-9]*\) .*/\1/p' "$log" | tail -n 1)
  ft=$(sed -n 's/.* ft: \([0-9][0-9]*\) .*/\1/p' "$log" | tail -n 1)

  crashes=$(find "$work/artifacts" -type f | wc -l)
  if [ "$rc" -ne 0 ] && [ "$crashes" -eq 0 ]; then
    crashes=1 # died without writing an input (e.g. a sanitizer abort)
  fi
  merged=0
  if [ "$crashes" -eq 0 ] && [ "$merge" = 1 ]; then
    # only the inputs that reach new edges go into the source tree (edges,
    # not libFuzzer's finer features: those would keep hundreds of files)
    "$bin" -merge=1 -use_counters=0 -rss_limit_mb="$rss" \
      -timeout="$timeout" "$seeds" "$work/corpus" \
      >"$work_root/$name.merge.log" 2>&1 || merged=1
  fi
  corpus=$(find "$seeds" -type f | wc -l)
  {
    printf '%-20s %7s %11s %8s %5s %6s %6s %s\n' "fuzz_$name" "$elapsed" \
      "$execs" "$rate" "${cov:-?}" "${ft:-?}" "$corpus" "$crashes"
    [ $merged -eq 0 ] ||
      echo "  merging into $seeds failed: see $work_root/$name.merge.log"
    if [ "$crashes" -ne 0 ]; then
      for f in "$work"/artifacts/*; do
        [ -f "$f" ] && echo "  crash input: $f"
      done
      echo "  log: $log"
      grep -m 3 -E '^==[0-9]+==ERROR|runtime error|deadly signal' "$log" |
        sed 's/^/  /'
    fi
  } >"$row"
  echo "$execs $((crashes + merged))" >"$work_root/$name.sum"
}

# report NAME...: print the rows of the targets run, add up their sums
report() {
  for n in "$@"; do
    cat "$work_root/$n.row" 2>/dev/null
    read -r e c <"$work_root/$n.sum" 2>/dev/null || { e=0; c=1; }
    total_execs=$((total_execs + e))
    if [ "$c" -ne 0 ]; then
      fail=1
      failed="$failed fuzz_$n"
    fi
  done
}

fail=0
failed=
total_execs=0
batch=
nbatch=0
printf '%-20s %7s %11s %8s %5s %6s %6s %s\n' target seconds executions \
  exec/s cov ft corpus crashes

for t in "$@"; do
  name=${t##*/fuzz_}
  wanted "$name" || continue
  if [ ! -x "$top_builddir/$t" ]; then
    echo "campaign: $top_builddir/$t is not built" >&2
    fail=1
    continue
  fi
  rm -f "$work_root/$name.row" "$work_root/$name.sum"
  if [ "$jobs" -le 1 ]; then
    run_one "$name" "$top_builddir/$t"
    report "$name"
    continue
  fi
  # several at once (CI): in batches of KC_FUZZ_JOBS, rows in order
  run_one "$name" "$top_builddir/$t" &
  batch="$batch $name"
  nbatch=$((nbatch + 1))
  if [ $nbatch -ge "$jobs" ]; then
    wait
    report $batch
    batch=
    nbatch=0
  fi
done
wait
[ -z "$batch" ] || report $batch

echo "campaign: $total_execs executions; corpora in $top_srcdir/tests/fuzz/corpus" \
  "$([ "$merge" = 1 ] && echo "(merged)" || echo "(not merged)")"
if [ $fail -ne 0 ]; then
  echo "campaign: FAILED:${failed:- see above}"
  exit 1
fi
echo "campaign: no crashes"
exit 0
