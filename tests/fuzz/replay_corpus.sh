#!/bin/sh
# Run every fuzz target built without libFuzzer (tests/fuzz/replay.c is its
# main) over its seed corpus, tests/fuzz/corpus/<name without fuzz_>/.
# Fails when a target fails or crashes, or when its corpus is missing or
# empty. Run by `make check` with top_srcdir and top_builddir set.
set -u

: "${top_srcdir:?top_srcdir must be set}"
: "${top_builddir:?top_builddir must be set}"

fail=0
ran=0
for bin in "$top_builddir"/tests/fuzz/fuzz_*; do
  case $bin in
    *.c | *.o | *.log | *.trs) continue ;;
  esac
  [ -f "$bin" ] && [ -x "$bin" ] || continue
  name=${bin##*/fuzz_}
  dir=$top_srcdir/tests/fuzz/corpus/$name
  if [ ! -d "$dir" ] || [ -z "$(ls -A "$dir" 2>/dev/null)" ]; then
    echo "FAIL: fuzz_$name: no seeds in $dir"
    fail=1
    continue
  fi
  if "$bin" "$dir"; then
    echo "PASS: fuzz_$name"
  else
    echo "FAIL: fuzz_$name (exit $?)"
    fail=1
  fi
  ran=$((ran + 1))
done

if [ "$ran" -eq 0 ] && [ "$fail" -eq 0 ]; then
  echo "FAIL: no fuzz targets found in $top_builddir/tests/fuzz"
  fail=1
fi
exit "$fail"
