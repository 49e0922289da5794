# shellcheck shell=bash
#
# apache.sh: a private Apache httpd with mod_authnz_pam for integration
# tests, loading the built PAM module through pam_wrapper.
#
#   . "$top_srcdir/tests/lib/apache.sh"
#   kc_apache_require                 # exit 77 when httpd & co are missing
#   kc_apache_init                    # temp dir, module path (optional step)
#   ... write PAM service files that name $KC_APACHE_PAM_MODULE ...
#   kc_apache_start SERVICE_DIR SNIPPET
#   curl "$KC_APACHE_URL/portal/"
#   kc_apache_sanitizer_report        # non-zero if ASan/UBSan said anything
#   kc_apache_stop                    # optional: also runs at exit
#
# kc_apache_init makes a temp dir (mode 0755) and decides which file PAM
# should load: the built module, when the web user can read it in place,
# else a copy in the temp dir. kc_apache_start calls it when the caller
# did not.
#
# kc_apache_start copies the regular files of SERVICE_DIR (the PAM service
# files, module paths absolute; @include paths too, since libpam does not
# resolve a relative one in the private dir) into the temp dir, adds an
# "other" service that denies everything unless there is one (libpam logs
# an error for each request without it), writes a main config
# (private ServerRoot, PidFile, DefaultRuntimeDir, Mutex and logs; only the
# modules a Basic/PAM test needs: mpm_event, authz_core, authz_user,
# authz_host, authn_core, auth_basic, authnz_pam, socache_shmcb,
# authn_socache, headers, alias, mime) that includes SNIPPET, and runs
#
#   setpriv --reuid=www-data --regid=www-data --init-groups \
#     env -i ... LD_PRELOAD=[sanitizer runtimes] libpam_wrapper.so \
#     PAM_WRAPPER=1 PAM_WRAPPER_SERVICE_DIR=DIR apache2 -DFOREGROUND -f CONF
#
# on a free loopback port (retried when the port was taken meanwhile). It
# waits (at most KC_APACHE_WAIT seconds, default 10) until this very server
# answers, and registers kc_apache_stop with cleanup.sh. Not root: httpd
# runs as the calling user instead of www-data.
#
# The snippet may use these Define'd variables (so it can be written before
# the port is known): ${KC_APACHE_PORT}, ${KC_APACHE_URL} (http://127.0.0.1:
# PORT), ${KC_APACHE_DIR}, ${KC_APACHE_DOCROOT}.
#
# Sanitizer builds: when the module needs libasan/libubsan (readelf -d), the
# runtimes go first in LD_PRELOAD (httpd itself is not instrumented), with
# ASAN_OPTIONS=detect_leaks=0 (httpd's pools are freed at exit, not
# before) and UID_WRAPPER_DISABLE_DEEPBIND=1 (ASan refuses RTLD_DEEPBIND,
# which pam_wrapper uses). Reports go to $KC_APACHE_DIR/logs/{asan,ubsan}.*
# and kc_apache_sanitizer_report prints them.
#
# pam_wrapper copies the service dir into a shared /tmp/pam.X slot (62 of
# them) in the parent and again in each child after fork(), and a copy can
# survive its process. kc_apache_stop removes every copy this server made:
# the service dir carries a marker file naming our temp dir, and copies
# whose pid file names one of our processes go too.
#
# Exported afterwards:
#   KC_APACHE_DIR          the temp dir (removed at exit unless KC_KEEP_TMP=1)
#   KC_APACHE_DOCROOT      $KC_APACHE_DIR/htdocs (DocumentRoot)
#   KC_APACHE_PAM_MODULE   absolute path of the PAM module the web user loads
#   KC_APACHE_PAM_DIR      the service dir pam_wrapper reads
#   KC_APACHE_USER         www-data (root) or the calling user
#   KC_APACHE_UID          its uid: what kcd sees as the peer
#   KC_APACHE_PORT, KC_APACHE_URL
#   KC_APACHE_PID          httpd's parent process
#   KC_APACHE_ERROR_LOG, KC_APACHE_ACCESS_LOG, KC_APACHE_CONF
#   KC_APACHE_SANITIZED    1 when the sanitizer runtimes were preloaded
#
# Input variables: top_builddir; KC_APACHE_MODULE (PAM module to use,
# default the built one); APACHE2 (default /usr/sbin/apache2);
# KC_APACHE_MODDIR (default /usr/lib/apache2/modules); KC_APACHE_LOGLEVEL
# (default "warn authnz_pam:info"); PAM_WRAPPER_DEBUGLEVEL is passed on.

if [[ -z "${KC_APACHE_LOADED:-}" ]]; then
KC_APACHE_LOADED=1

KC_APACHE__LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=tests/lib/cleanup.sh
. "$KC_APACHE__LIB_DIR/cleanup.sh"

: "${top_srcdir:=$(cd "$KC_APACHE__LIB_DIR/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
: "${APACHE2:=/usr/sbin/apache2}"
: "${KC_APACHE_MODDIR:=/usr/lib/apache2/modules}"

KC_APACHE_MODULES=(mpm_event authz_core authz_user authz_host authn_core
  auth_basic authnz_pam socache_shmcb authn_socache headers alias mime
  reqtimeout)

kc_apache__fail()
{
  echo "kc_apache: $*" >&2
  if [[ -s "${KC_APACHE_ERROR_LOG:-}" ]]; then
    echo "---- httpd error log" >&2
    tail -n 40 "$KC_APACHE_ERROR_LOG" >&2
  fi
  return 1
}

# kc_apache__pam_wrapper: print the path of libpam_wrapper.so, if any.
kc_apache__pam_wrapper()
{
  local f
  for f in /usr/lib/x86_64-linux-gnu/libpam_wrapper.so \
    /usr/lib/*/libpam_wrapper.so /usr/lib/libpam_wrapper.so \
    /usr/lib64/libpam_wrapper.so; do
    if [[ -f "$f" ]]; then
      echo "$f"
      return 0
    fi
  done
  return 1
}

# kc_apache_require: exit 77 (skip) when something outside this project
# that the Apache tests need is not installed.
kc_apache_require()
{
  local m missing=()
  [[ -x "$APACHE2" ]] || missing+=("apache2 ($APACHE2)")
  for m in "${KC_APACHE_MODULES[@]}"; do
    [[ -f "$KC_APACHE_MODDIR/mod_$m.so" ]] || missing+=("mod_$m")
  done
  kc_apache__pam_wrapper >/dev/null || missing+=("libpam-wrapper")
  command -v curl >/dev/null || missing+=("curl")
  if [[ $(id -u) -eq 0 ]]; then
    command -v setpriv >/dev/null || missing+=("setpriv")
    getent passwd www-data >/dev/null || missing+=("user www-data")
  fi
  if ((${#missing[@]} > 0)); then
    echo "SKIP: not installed: ${missing[*]}"
    exit 77
  fi
}

# kc_apache__as_web_user CMD...: run CMD as the web user.
kc_apache__as_web_user()
{
  if [[ $(id -u) -eq 0 ]]; then
    setpriv --reuid="$KC_APACHE_USER" --regid="$KC_APACHE_USER" \
      --init-groups "$@"
  else
    "$@"
  fi
}

# kc_apache_init: the temp dir and the module path. Idempotent.
kc_apache_init()
{
  local so
  [[ -z "${KC_APACHE_DIR:-}" ]] || return 0
  if [[ $(id -u) -eq 0 ]]; then
    KC_APACHE_USER=www-data
  else
    KC_APACHE_USER=$(id -un)
  fi
  KC_APACHE_UID=$(id -u "$KC_APACHE_USER") || return 1
  KC_APACHE_DIR=$(mktemp -d "${TMPDIR:-/tmp}/kc-apache.XXXXXX") || return 1
  chmod 0755 "$KC_APACHE_DIR"
  if [[ "${KC_KEEP_TMP:-0}" != 1 ]]; then
    kc_cleanup_add "rm -rf '$KC_APACHE_DIR'"
  fi
  KC_APACHE_DOCROOT=$KC_APACHE_DIR/htdocs
  KC_APACHE_PAM_DIR=$KC_APACHE_DIR/pam.d
  mkdir -p "$KC_APACHE_DOCROOT" "$KC_APACHE_PAM_DIR" "$KC_APACHE_DIR/lib" \
    "$KC_APACHE_DIR/run" "$KC_APACHE_DIR/logs"
  # httpd writes only these two.
  chown "$KC_APACHE_USER:" "$KC_APACHE_DIR/run" "$KC_APACHE_DIR/logs"
  KC_APACHE_ERROR_LOG=$KC_APACHE_DIR/logs/error.log
  KC_APACHE_ACCESS_LOG=$KC_APACHE_DIR/logs/access.log
  KC_APACHE_CONF=$KC_APACHE_DIR/httpd.conf

  so=${KC_APACHE_MODULE:-$top_builddir/pam_kundencenter/.libs/pam_kundencenter.so}
  [[ -f "$so" ]] || { kc_apache__fail "no PAM module at $so"; return 1; }
  so=$(cd "$(dirname "$so")" && pwd)/$(basename "$so")
  # A build dir under a private home is not for the web user to read.
  if ! kc_apache__as_web_user test -r "$so"; then
    cp "$so" "$KC_APACHE_DIR/lib/pam_kundencenter.so" || return 1
    chmod 0644 "$KC_APACHE_DIR/lib/pam_kundencenter.so"
    so=$KC_APACHE_DIR/lib/pam_kundencenter.so
  fi
  KC_APACHE_PAM_MODULE=$so
  export KC_APACHE_DIR KC_APACHE_DOCROOT KC_APACHE_PAM_DIR \
    KC_APACHE_PAM_MODULE KC_APACHE_USER KC_APACHE_UID KC_APACHE_ERROR_LOG \
    KC_APACHE_ACCESS_LOG KC_APACHE_CONF
}

# kc_apache__sanitizer_libs SO: print the sanitizer runtimes SO needs
# (absolute paths, ASan first), nothing for a plain build.
kc_apache__sanitizer_libs()
{
  local so=$1 needed lib path libs=()
  needed=$(readelf -d "$so" 2>/dev/null | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')
  if [[ -z "$needed" ]]; then
    needed=$(ldd "$so" 2>/dev/null | awk '{print $1}')
  fi
  # The ASan runtime must be the very first library of the process.
  for lib in $(grep -E '^libasan\.so' <<<"$needed") \
    $(grep -E '^libubsan\.so' <<<"$needed"); do
    path=$(ldd "$so" 2>/dev/null | awk -v l="$lib" '$1 == l { print $3 }')
    if [[ -z "$path" || ! -f "$path" ]]; then
      path=$(gcc -print-file-name="$lib" 2>/dev/null)
    fi
    [[ -f "$path" ]] || { echo "kc_apache: cannot find $lib" >&2; return 1; }
    libs+=("$path")
  done
  echo "${libs[*]}"
}

# kc_apache__pick_port: a loopback TCP port nobody listens on right now,
# below Linux's default ephemeral range (32768-60999).
kc_apache__pick_port()
{
  local port i
  for ((i = 0; i < 50; i++)); do
    port=$((10000 + RANDOM % 22000))
    if ! (: <>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      echo "$port"
      return 0
    fi
  done
  return 1
}

# kc_apache__alive PID: true while PID runs (a zombie counts as gone).
kc_apache__alive()
{
  local state
  kill -0 "$1" 2>/dev/null || return 1
  if [[ -r "/proc/$1/stat" ]]; then
    state=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1)
    [[ "$state" != Z ]]
  fi
}

# kc_apache__children PID: the process ids whose parent is PID.
kc_apache__children()
{
  local parent=$1 f rest state ppid
  for f in /proc/[0-9]*/stat; do
    # "pid (comm) state ppid ...": comm may hold spaces, cut after ')'.
    rest=$(sed 's/.*) //' "$f" 2>/dev/null) || continue
    read -r state ppid _ <<<"$rest"
    [[ "$ppid" == "$parent" && "$state" != Z ]] || continue
    f=${f#/proc/}
    echo "${f%/stat}"
  done
}

# kc_apache__remember_children: add httpd's current children to the list
# of processes to stop and whose pam_wrapper copies to remove.
kc_apache__remember_children()
{
  local c
  [[ -n "${KC_APACHE_PID:-}" ]] || return 0
  for c in $(kc_apache__children "$KC_APACHE_PID"); do
    [[ " ${KC_APACHE__PIDS[*]} " == *" $c "* ]] || KC_APACHE__PIDS+=("$c")
  done
}

# kc_apache__write_conf PORT SNIPPET: the main config.
kc_apache__write_conf()
{
  local port=$1 snippet=$2 d=$KC_APACHE_DIR m
  {
    echo "# written by tests/lib/apache.sh"
    echo "ServerRoot \"$d\""
    echo "ServerName 127.0.0.1:$port"
    echo "Listen 127.0.0.1:$port"
    echo "PidFile \"$d/run/httpd.pid\""
    echo "DefaultRuntimeDir \"$d/run\""
    echo "Mutex file:$d/run default"
    echo "ErrorLog \"$KC_APACHE_ERROR_LOG\""
    echo "LogLevel ${KC_APACHE_LOGLEVEL:-warn authnz_pam:info}"
    echo "LogFormat \"%h %u \\\"%r\\\" %>s %b\" kc"
    echo "CustomLog \"$KC_APACHE_ACCESS_LOG\" kc"
    for m in "${KC_APACHE_MODULES[@]}"; do
      echo "LoadModule ${m}_module \"$KC_APACHE_MODDIR/mod_$m.so\""
    done
    cat <<EOF
# One child, a few threads: enough for a test, and few pam_wrapper copies.
StartServers 1
ServerLimit 1
ThreadLimit 8
ThreadsPerChild 8
MaxRequestWorkers 8
MinSpareThreads 1
MaxSpareThreads 8
MaxConnectionsPerChild 0
Timeout 15
KeepAlive Off
ServerTokens Prod
TypesConfig /dev/null
AddType text/html .html
AddType text/plain .txt
DocumentRoot "$KC_APACHE_DOCROOT"
<Directory />
  AllowOverride None
  Require all denied
</Directory>
<Directory "$KC_APACHE_DOCROOT">
  Require all granted
</Directory>
Define KC_APACHE_PORT $port
Define KC_APACHE_URL http://127.0.0.1:$port
Define KC_APACHE_DIR "$d"
Define KC_APACHE_DOCROOT "$KC_APACHE_DOCROOT"
Include "$snippet"
# Last, so no snippet can protect it: the readiness probe.
Alias /.kc-apache-alive "$d/alive.txt"
<Location /.kc-apache-alive>
  AuthType None
  Require all granted
</Location>
<Files "alive.txt">
  Require all granted
</Files>
EOF
  } >"$KC_APACHE_CONF"
}

# kc_apache__wait PID URL TOKEN: wait until PID serves TOKEN at URL.
kc_apache__wait()
{
  local pid=$1 url=$2 token=$3 deadline got
  deadline=$((SECONDS + ${KC_APACHE_WAIT:-10}))
  while ((SECONDS <= deadline)); do
    kc_apache__alive "$pid" || return 1
    got=$(curl -s --max-time 2 "$url/.kc-apache-alive" 2>/dev/null) || got=
    [[ "$got" == "$token" ]] && return 0
    sleep 0.05
  done
  return 2
}

# kc_apache__launch PRELOAD: start httpd on a free port; retry when the
# port was taken between choosing and binding it.
kc_apache__launch()
{
  local preload=$1 try port pid rc token envs=()
  token=$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')
  echo "$token" >"$KC_APACHE_DIR/alive.txt"
  envs=(PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C
    LD_PRELOAD="$preload" PAM_WRAPPER=1
    PAM_WRAPPER_SERVICE_DIR="$KC_APACHE_PAM_DIR")
  if [[ -n "${PAM_WRAPPER_DEBUGLEVEL:-}" ]]; then
    envs+=(PAM_WRAPPER_DEBUGLEVEL="$PAM_WRAPPER_DEBUGLEVEL")
  fi
  if [[ "$KC_APACHE_SANITIZED" == 1 ]]; then
    envs+=(UID_WRAPPER_DISABLE_DEEPBIND=1
      ASAN_OPTIONS="detect_leaks=0:abort_on_error=0:log_path=$KC_APACHE_DIR/logs/asan"
      UBSAN_OPTIONS="print_stacktrace=1:log_path=$KC_APACHE_DIR/logs/ubsan")
  fi
  for ((try = 0; try < 10; try++)); do
    port=$(kc_apache__pick_port) || { kc_apache__fail "no free port"; return 1; }
    kc_apache__write_conf "$port" "$KC_APACHE_DIR/site.conf"
    # env comes last so LD_PRELOAD reaches httpd alone, not setpriv.
    if [[ $(id -u) -eq 0 ]]; then
      setpriv --reuid="$KC_APACHE_USER" --regid="$KC_APACHE_USER" \
        --init-groups env -i "${envs[@]}" "$APACHE2" -DFOREGROUND \
        -f "$KC_APACHE_CONF" >>"$KC_APACHE_DIR/logs/stderr.log" 2>&1 &
    else
      env -i "${envs[@]}" "$APACHE2" -DFOREGROUND -f "$KC_APACHE_CONF" \
        >>"$KC_APACHE_DIR/logs/stderr.log" 2>&1 &
    fi
    pid=$!
    KC_APACHE_PID=$pid
    KC_APACHE__PIDS+=("$pid")
    kc_apache__wait "$pid" "http://127.0.0.1:$port" "$token"
    rc=$?
    if ((rc == 0)); then
      KC_APACHE_PORT=$port
      KC_APACHE_URL=http://127.0.0.1:$port
      kc_apache__remember_children
      return 0
    fi
    if ((rc == 2)); then
      kc_apache_stop
      kc_apache__fail "httpd did not answer within ${KC_APACHE_WAIT:-10} s"
      return 1
    fi
    wait "$pid" 2>/dev/null
    KC_APACHE_PID=
    if ! grep -q 'could not bind\|Address already in use' \
      "$KC_APACHE_ERROR_LOG" "$KC_APACHE_DIR/logs/stderr.log" 2>/dev/null; then
      cat "$KC_APACHE_DIR/logs/stderr.log" >&2
      kc_apache__remove_pam_copies
      kc_apache__fail "httpd exited at start-up"
      return 1
    fi
    # The port was taken meanwhile: try another one, with fresh logs.
    rm -f "$KC_APACHE_ERROR_LOG" "$KC_APACHE_DIR/logs/stderr.log"
  done
  kc_apache__fail "no port could be bound"
}

# kc_apache_start SERVICE_DIR SNIPPET: see the top of this file.
kc_apache_start()
{
  local svc=$1 snippet=$2 f preload pw
  kc_apache_init || return 1
  [[ -d "$svc" ]] || { kc_apache__fail "no service dir $svc"; return 1; }
  [[ -f "$snippet" ]] || { kc_apache__fail "no config snippet $snippet"; return 1; }
  # Copies the web user can read; pam_wrapper reads the dir once per
  # process, so it must be complete before httpd starts.
  if [[ "$(cd "$svc" && pwd)" != "$KC_APACHE_PAM_DIR" ]]; then
    for f in "$svc"/*; do
      [[ -f "$f" ]] && cp "$f" "$KC_APACHE_PAM_DIR/"
    done
  fi
  # libpam looks for "other" beside every service and logs an error when
  # it is missing; give it one that denies everything.
  if [[ ! -e "$KC_APACHE_PAM_DIR/other" ]]; then
    for f in /lib/*/security/pam_deny.so /usr/lib/*/security/pam_deny.so; do
      if [[ -f "$f" ]]; then
        printf '%s\n' "auth required $f" "account required $f" \
          "password required $f" "session required $f" \
          >"$KC_APACHE_PAM_DIR/other"
        break
      fi
    done
  fi
  echo "$KC_APACHE_DIR" >"$KC_APACHE_PAM_DIR/.kc-apache-owner"
  chmod -R a+rX "$KC_APACHE_PAM_DIR"
  if [[ "$(cd "$(dirname "$snippet")" && pwd)/$(basename "$snippet")" != \
    "$KC_APACHE_DIR/site.conf" ]]; then
    cp "$snippet" "$KC_APACHE_DIR/site.conf"
  fi
  chmod -R a+rX "$KC_APACHE_DOCROOT" "$KC_APACHE_DIR/site.conf"

  pw=$(kc_apache__pam_wrapper) || { kc_apache__fail "no libpam_wrapper.so"; return 1; }
  preload=$(kc_apache__sanitizer_libs "$KC_APACHE_PAM_MODULE") || return 1
  KC_APACHE_SANITIZED=0
  [[ -n "$preload" ]] && KC_APACHE_SANITIZED=1
  preload="${preload:+$preload }$pw"

  KC_APACHE__PIDS=()
  kc_cleanup_add "kc_apache_stop"
  kc_apache__launch "$preload" || return 1
  export KC_APACHE_PORT KC_APACHE_URL KC_APACHE_PID KC_APACHE_SANITIZED
}

# kc_apache__remove_pam_copies: remove pam_wrapper's /tmp/pam.X copies
# made by this server (marker file, or pid file naming one of ours).
kc_apache__remove_pam_copies()
{
  local d owner pid
  for d in /tmp/pam.?; do
    [[ -d "$d" && ! -L "$d" ]] || continue
    owner=$(cat "$d/.kc-apache-owner" 2>/dev/null) || owner=
    pid=$(cat "$d/pid" 2>/dev/null) || pid=
    if [[ "$owner" == "$KC_APACHE_DIR" ]] ||
      { [[ -z "$owner" && -n "$pid" ]] &&
        [[ " ${KC_APACHE__PIDS[*]} " == *" $pid "* ]]; }; then
      rm -rf "$d"
    fi
  done
}

# kc_apache_stop: SIGTERM to the parent (it stops its children), a bounded
# wait, then SIGKILL to whatever of ours is left; then pam_wrapper's copies.
kc_apache_stop()
{
  local i p left
  [[ -n "${KC_APACHE_DIR:-}" ]] || return 0
  if [[ -n "${KC_APACHE_PID:-}" ]]; then
    kc_apache__remember_children
    kill -TERM "$KC_APACHE_PID" 2>/dev/null
    for ((i = 0; i < 100; i++)); do
      left=0
      for p in "${KC_APACHE__PIDS[@]}"; do
        kc_apache__alive "$p" && left=1
      done
      ((left)) || break
      sleep 0.05
    done
    for p in "${KC_APACHE__PIDS[@]}"; do
      if kc_apache__alive "$p"; then
        echo "kc_apache: process $p still running after SIGTERM, killing" >&2
        kill -KILL "$p" 2>/dev/null
      fi
    done
    wait "$KC_APACHE_PID" 2>/dev/null
    KC_APACHE_PID=
  fi
  kc_apache__remove_pam_copies
}

# kc_apache_sanitizer_report: print any ASan/UBSan report httpd's
# processes wrote; return 1 when there is one.
kc_apache_sanitizer_report()
{
  local f found=0
  for f in "$KC_APACHE_DIR"/logs/asan.* "$KC_APACHE_DIR"/logs/ubsan.*; do
    [[ -s "$f" ]] || continue
    echo "---- $f" >&2
    cat "$f" >&2
    found=1
  done
  if grep -q 'AddressSanitizer\|runtime error:' "$KC_APACHE_ERROR_LOG" \
    "$KC_APACHE_DIR/logs/stderr.log" 2>/dev/null; then
    grep -h -A20 'AddressSanitizer\|runtime error:' "$KC_APACHE_ERROR_LOG" \
      "$KC_APACHE_DIR/logs/stderr.log" >&2
    found=1
  fi
  return $((found))
}

fi
