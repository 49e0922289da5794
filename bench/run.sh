#!/usr/bin/env bash
# run.sh: every benchmark in turn; `make bench` runs this and
# keeps the output in bench.out. Each script starts its own private slapd
# and kcd. Not a test: the exit status says only whether everything ran.
#
#   top_srcdir=SRC top_builddir=BUILD bash SRC/bench/run.sh
#
# Environment: see the scripts (KC_BENCH_DURATION, KC_BENCH_ROUNDS,
# KC_BENCH_CONC, KC_BENCH_BATCH, KC_BENCH_SMOKE=1 for a quick pass).
set -u
: "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
export top_srcdir top_builddir

echo "# make bench"
echo
echo "$(date -u '+%Y-%m-%d %H:%M UTC'); Linux $(uname -r); $(nproc) CPUs" \
  "($(grep -m1 '^model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'));" \
  "$(awk '/^MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo) RAM;" \
  "slapd $(dpkg-query -W -f='${Version}' slapd 2>/dev/null)"
status=0
for s in bench_auth bench_fair bench_repl bench_http bench_slow bench_memory; do
  echo
  bash "$top_srcdir/bench/$s.sh" || { echo "$s: failed"; status=1; }
done
echo
echo "## Customer import"
echo
echo '```'
bash "$top_srcdir/bench/bench_import.sh" ${KC_BENCH_SMOKE:+200} ||
  { echo "bench_import: failed"; status=1; }
echo '```'
exit $status
