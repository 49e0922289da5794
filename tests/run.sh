#!/usr/bin/env bash
# tests/run.sh: install what the tests need, build, and run every test:
# the plain build (with -Werror), then the same suite under ASan/UBSan
# (but for the benchmark smoke run: make check-sanitized),
# then `make distcheck` (with the unit tests), a check that the tarball
# holds every tracked file, a few seconds of each fuzz target, and the
# Debian packages (test_debian.sh).
# Exit status is non-zero when anything failed.
#
#   tests/run.sh            everything
#   KC_QUICK=1 tests/run.sh plain build only (for development)
#
# Build trees go to $KC_BUILD_ROOT (default: build/ in the source tree).
set -u
set -o pipefail

top_srcdir=$(cd "$(dirname "$0")/.." && pwd)
build_root=${KC_BUILD_ROOT:-$top_srcdir/build}
jobs=${KC_JOBS:-$(nproc 2>/dev/null || echo 2)}

# Debian packages: build tools, libraries, and the real components the
# integration tests drive (slapd, Apache + mod_authnz_pam, pam_wrapper,
# an SMTP sink, headless Chromium for screenshots). The list lives in
# tests/packages.txt, which examples/demo.sh reads too: add packages there.
mapfile -t packages < <(sed -e 's/#.*//' "$top_srcdir/tests/packages.txt" |
  awk 'NF { print $1 }')

say() { printf '\n==> %s\n' "$*"; }

install_packages() {
  local missing=() p
  for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
      missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" -ne 0 ]; then
    echo "missing Debian packages: ${missing[*]}" >&2
    echo "run as root, or: sudo apt-get install -y ${missing[*]}" >&2
    return 1
  fi
  say "installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq || return 1
  apt-get install -y -qq --no-install-recommends "${missing[@]}" || return 1
  # libpam-ldapd (the benchmarks' nslcd peer) adds pam_ldap to the system's
  # /etc/pam.d/common-*; the benchmarks load it from a private service file
  # only, so take it out again and mark it seen, so it stays out.
  if [ -e /usr/share/pam-configs/ldap ]; then
    pam-auth-update --disable ldap || return 1
  fi
}

# altcha-lib from npm for the ALTCHA interop test, into $build_root/node
# (KC_NODE_PREFIX tells the test where), so the tests need no network.
altcha_version=2.8.0
install_node_modules() {
  export KC_NODE_PREFIX="$build_root/node"
  local pkg="$KC_NODE_PREFIX/node_modules/altcha-lib/package.json"
  grep -q "\"version\": \"$altcha_version\"" "$pkg" 2>/dev/null && return 0
  if ! command -v npm >/dev/null 2>&1; then
    [ "$(id -u)" -eq 0 ] || { echo "npm is missing: apt-get install npm" >&2; return 1; }
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends npm ||
      return 1
  fi
  mkdir -p "$KC_NODE_PREFIX" || return 1
  npm install --prefix "$KC_NODE_PREFIX" --no-audit --no-fund --loglevel=error \
    "altcha-lib@$altcha_version" >"$KC_NODE_PREFIX/npm.out" 2>&1 ||
    { cat "$KC_NODE_PREFIX/npm.out"; return 1; }
}

# build NAME CONFIGURE-ARGS...: configure and build in $build_root/NAME
build() {
  local name=$1
  shift
  mkdir -p "$build_root/$name" || return 1
  (cd "$build_root/$name" &&
    "$top_srcdir/configure" --enable-werror "$@" >configure.out 2>&1 ||
    { cat configure.out; exit 1; }) || return 1
  make -C "$build_root/$name" -j"$jobs" >"$build_root/$name/make.out" 2>&1 ||
    { cat "$build_root/$name/make.out"; return 1; }
}

# check NAME [TARGET]: run the whole suite (TARGET, default check); print
# failing logs
check() {
  local name=$1 target=${2:-check} rc
  make -C "$build_root/$name" -j"$jobs" "$target" >"$build_root/$name/check.out" 2>&1
  rc=$?
  grep -E '^(PASS|FAIL|SKIP|XFAIL|XPASS|ERROR):|^# (TOTAL|PASS|SKIP|XFAIL|FAIL|XPASS|ERROR):' \
    "$build_root/$name/check.out"
  if [ $rc -ne 0 ] && ! grep -qE '^# TOTAL:' "$build_root/$name/check.out"; then
    tail -n 40 "$build_root/$name/check.out" # failed before running tests
  fi
  if [ $rc -ne 0 ]; then
    find "$build_root/$name/tests" -name '*.log' -newer "$build_root/$name/configure.out" |
      while read -r log; do
        if grep -qE '^:test-result: (FAIL|ERROR)' "${log%.log}.trs" 2>/dev/null; then
          echo "----- $log"
          tail -n 80 "$log"
        fi
      done
  fi
  # Nothing may skip: a skipped test hides a missing tool.
  if grep -qE '^SKIP:' "$build_root/$name/check.out"; then
    echo "error: tests were skipped; every tool must be installed" >&2
    rc=1
  fi
  return $rc
}

# distcheck: the tarball configures, builds, installs and uninstalls, and
# its unit tests pass. The integration tests ran twice above on the same
# sources; what distcheck would add is a file missing from the tarball,
# which dist_complete finds for every file, not only those a test uses.
distcheck() {
  local units
  units=$(cd "$build_root/plain" && find tests/unit -name '*.trs' |
    sed 's/\.trs$//' | sort | tr '\n' ' ')
  [ -n "$units" ] || { echo "no unit test results in $build_root/plain"; return 1; }
  make -C "$build_root/plain" -j"$jobs" distcheck TESTS="$units" \
    >"$build_root/plain/distcheck.out" 2>&1 ||
    { tail -n 60 "$build_root/plain/distcheck.out"; return 1; }
  grep -E '^# (TOTAL|PASS|FAIL):' "$build_root/plain/distcheck.out" | tail -n 3
}

# Every file git tracks is in the tarball, but the CI entry point, git's
# own files and debian/: the packaging stays out of the release tarball,
# as Debian keeps it apart from the upstream source ("3.0 (quilt)": the
# orig tarball plus debian/), and test_debian.sh builds from git.
dist_complete() {
  local tarball missing
  if ! git -C "$top_srcdir" rev-parse --git-dir >/dev/null 2>&1; then
    echo "not a git checkout: nothing to compare the tarball with"
    return 0
  fi
  tarball=$(ls -t "$build_root"/plain/pam_kundencenter-*.tar.gz | head -n 1)
  missing=$(comm -23 <(git -C "$top_srcdir" ls-files | sort) \
    <(tar tzf "$tarball" | sed 's|^[^/]*/||' | sort) |
    grep -vxE '\.ci/run|\.gitignore|m4/\.gitkeep|debian/.*')
  if [ -n "$missing" ]; then
    echo "tracked but not in $tarball (add them to EXTRA_DIST):"
    printf '  %s\n' $missing
    return 1
  fi
}

# A short fuzz run: every libFuzzer target for a few seconds under
# ASan/UBSan, $jobs at a time, without merging into the corpora (the long
# campaign is `make fuzz` by hand; RELIABILITY.md). Only the targets and
# what they link are built, at -O0, which compiles fastest.
fuzz_short() {
  local dir=$build_root/fuzz
  mkdir -p "$dir" || return 1
  (cd "$dir" && CC=clang "$top_srcdir/configure" --enable-werror \
    --enable-fuzzing --enable-sanitizers CFLAGS="-O0 -gline-tables-only" \
    >configure.out 2>&1 || { cat configure.out; exit 1; }) || return 1
  make -C "$dir" -j"$jobs" fuzz KC_FUZZ_SECONDS="${KC_FUZZ_SECONDS:-2}" \
    KC_FUZZ_JOBS="$jobs" KC_FUZZ_MERGE=0 2>&1 | tee "$dir/fuzz.out" |
    grep -vE '^ *(CC|CCLD|GEN) |^make(\[[0-9]+\])?: '
}

# The Debian packages (tests/integration/test_debian.sh), once: it
# builds them from a copy of the tree, installs them on this machine,
# logs in through them and purges them again (root only; it puts back
# what it changed). Its harness slapd uses the plain build's tools.
debian_packages() {
  local log=$build_root/debian.out rc
  top_srcdir=$top_srcdir top_builddir=$build_root/plain \
    bash "$top_srcdir/tests/integration/test_debian.sh" >"$log" 2>&1
  rc=$?
  grep -E '^(not ok|# .*(checks|took|built))' "$log"
  [ $rc -eq 0 ] || tail -n 60 "$log"
  return $rc
}

results=()
status=0
step() {
  local label=$1
  shift
  say "$label"
  if "$@"; then
    results+=("ok    $label")
  else
    results+=("FAIL  $label")
    status=1
  fi
}

step "install dependencies" install_packages || true
step "install altcha-lib (npm)" install_node_modules || true
[ $status -eq 0 ] || { printf '%s\n' "${results[@]}"; exit 1; }

step "autoreconf" bash -c "cd '$top_srcdir' && autoreconf -fi >/dev/null 2>&1"
step "build (plain)" build plain
step "make check (plain)" check plain
if [ -z "${KC_QUICK:-}" ]; then
  step "build (ASan/UBSan)" build asan --enable-sanitizers CFLAGS="-O1 -g"
  step "make check (ASan/UBSan; all but the benchmark smoke run)" check asan check-sanitized
  step "make distcheck (unit tests from the tarball)" distcheck
  step "the tarball holds every tracked file" dist_complete
  step "fuzz targets, a few seconds each (make fuzz)" fuzz_short
  step "Debian packages: build, lintian, install, login, purge" debian_packages
fi

say "summary"
printf '%s\n' "${results[@]}"
# One closing line over both suites (automake's counts from each build).
passed=0
failed=0
for out in "$build_root"/plain/check.out "$build_root"/asan/check.out; do
  [ -f "$out" ] || continue
  p=$(sed -n 's/^# PASS: *//p' "$out" | tail -n 1)
  f=$(sed -n 's/^# FAIL: *//p' "$out" | tail -n 1)
  e=$(sed -n 's/^# ERROR: *//p' "$out" | tail -n 1)
  passed=$((passed + ${p:-0}))
  failed=$((failed + ${f:-0} + ${e:-0}))
done
[ $status -eq 0 ] || [ $failed -gt 0 ] || failed=1
echo "tests: $passed passed, $failed failed"
if [ $status -eq 0 ]; then
  echo "tests/run.sh: all steps passed"
else
  echo "tests/run.sh: FAILED"
fi
exit $status
