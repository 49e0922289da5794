# shellcheck shell=bash
#
# kcd.sh: start the built kcd against the harness slapd.
#
#   . "$top_srcdir/tests/lib/slapd.sh"; . "$top_srcdir/tests/lib/kcd.sh"
#   kc_slapd_start
#   kc_kcd_start ['key = value' ...]   # extra kcd.conf lines
#
# Writes $KC_KCD_DIR/kcd.conf (the harness slapd, kcd's service DN and
# password file, a socket in the temp dir, captcha none, maildir and file
# transports in the temp dir, the shipped reserved-usernames list from the
# source tree) plus the given lines (a given key replaces
# the default line of that key; of several given lines with one key the
# last counts), starts `kcd -d -f` in
# the background, and waits (at most KC_KCD_WAIT seconds, default 10) until
# the socket accepts. kcd is stopped at exit (cleanup.sh).
#
# Exported afterwards:
#   KC_KCD_SOCKET   the PAM socket
#   KC_KCD_CONF     the config file
#   KC_KCD_LOG      kcd's stderr
#   KC_KCD_PID      its process id
#   KC_MAILDIR      where mail lands (maildir:)
#   KC_SMS_FILE     where SMS land (file:)
#   KC_KCD_URL      the web front, http://127.0.0.1:PORT (captcha none)
#   KC_KCD_METRICS_URL  the metrics listener, http://127.0.0.1:PORT
#                   (/metrics, /healthz); empty with metrics_listen = none
#
# Restarts and several kcd:
#   kc_kcd_kill       SIGKILL the current kcd (a crash) and reap it
#   kc_kcd_restart    start the current kcd again with its kcd.conf (same
#                     socket and ports), after kc_kcd_kill or kc_kcd_stop
#   kc_kcd_save NAME  remember the current kcd's KC_KCD_* variables (and
#                     KC_MAILDIR, KC_SMS_FILE) as instance NAME and forget
#                     them, so the next kc_kcd_start starts another kcd
#   kc_kcd_use NAME   make instance NAME current again (saving the current
#                     one first if it was saved under a name)
# Every saved instance is stopped at exit.

if [[ -z "${KC_KCD_LOADED:-}" ]]; then
KC_KCD_LOADED=1

# kc_kcd__default LINE ARGS...: print LINE unless an ARG sets the same key.
kc_kcd__default()
{
  local line=$1 key arg
  shift
  key=${line%% =*}
  for arg in "$@"; do
    [[ ${arg%% =*} == "$key" ]] && return 0
  done
  echo "$line"
}

# kc_kcd__last_wins LINES...: print LINES; of several with the same key
# only the last.
kc_kcd__last_wins()
{
  local i j key
  for ((i = 1; i <= $#; i++)); do
    key=${!i%% =*}
    for ((j = i + 1; j <= $#; j++)); do
      [[ ${!j%% =*} == "$key" ]] && continue 2
    done
    echo "${!i}"
  done
}

# kc_kcd__launch ARGS...: write the config with new ports, start kcd and
# wait until it is ready (0) or has failed or timed out (1)
kc_kcd__launch()
{
  local i
  KC_KCD_HTTP_PORT=$(kc_pick_port)
  KC_KCD_URL=http://127.0.0.1:$KC_KCD_HTTP_PORT
  KC_KCD_METRICS_PORT=$(kc_pick_port)
  {
    echo "# written by tests/lib/kcd.sh"
    kc_kcd__default "ldap_uri = $KC_LDAP_URI" "$@"
    kc_kcd__default "ldap_base = $KC_LDAP_BASE" "$@"
    kc_kcd__default "ldap_bind_dn = $KC_KCD_DN" "$@"
    kc_kcd__default "ldap_bind_pw_file = $KC_KCD_PW_FILE" "$@"
    kc_kcd__default "ldap_timeout = 20s" "$@"
    kc_kcd__default "pam_socket = $KC_KCD_SOCKET" "$@"
    kc_kcd__default "http_listen = 127.0.0.1:$KC_KCD_HTTP_PORT" "$@"
    kc_kcd__default "metrics_listen = 127.0.0.1:$KC_KCD_METRICS_PORT" "$@"
    kc_kcd__default "public_url = http://127.0.0.1:$KC_KCD_HTTP_PORT" "$@"
    kc_kcd__default "login_url = http://127.0.0.1:$KC_KCD_HTTP_PORT/login" "$@"
    kc_kcd__default "captcha = none" "$@"
    kc_kcd__default "mail_from = kundencenter@example.org" "$@"
    kc_kcd__default "mail_transport = maildir:$KC_MAILDIR" "$@"
    # the shipped list: the default path exists only once installed
    kc_kcd__default "reserved_usernames_file = $top_srcdir/examples/reserved-usernames" "$@"
    kc_kcd__last_wins "$@"
  } >"$KC_KCD_CONF"
  # a given pam_socket or http_listen replaces ours
  KC_KCD_SOCKET=$(sed -n 's/^pam_socket = //p' "$KC_KCD_CONF")
  KC_KCD_HTTP_PORT=$(sed -n 's/^http_listen = .*:\([0-9]*\)$/\1/p' "$KC_KCD_CONF")
  KC_KCD_URL=http://127.0.0.1:$KC_KCD_HTTP_PORT
  KC_KCD_METRICS_URL=$(sed -n 's/^metrics_listen = \(.*:[0-9]*\)$/http:\/\/\1/p' "$KC_KCD_CONF")
  "$top_builddir/kcd/kcd" -d -f "$KC_KCD_CONF" >"$KC_KCD_LOG" 2>&1 &
  KC_KCD_PID=$!
  # ready: the socket is there and kcd has logged its start, which comes
  # after the switch to `user`, the LDAP probe and the web front
  for ((i = 0; i < ${KC_KCD_WAIT:-10} * 20; i++)); do
    if [[ -S $KC_KCD_SOCKET ]] && grep -q 'kcd started;' "$KC_KCD_LOG"; then
      # shellcheck disable=SC2086
      export $KC_KCD_VARS
      return 0
    fi
    if ! kill -0 "$KC_KCD_PID" 2>/dev/null; then
      break
    fi
    sleep 0.05
  done
  return 1
}

kc_kcd_start()
{
  local try
  KC_KCD_DIR=$(mktemp -d "${TMPDIR:-/tmp}/kc-kcd.XXXXXX") || return 1
  chmod 0755 "$KC_KCD_DIR"
  kc_cleanup_add "rm -rf '$KC_KCD_DIR'"
  KC_KCD_SOCKET=$KC_KCD_DIR/pam.sock
  KC_KCD_CONF=$KC_KCD_DIR/kcd.conf
  KC_KCD_LOG=$KC_KCD_DIR/kcd.log
  KC_MAILDIR=$KC_KCD_DIR/mail
  KC_SMS_FILE=$KC_KCD_DIR/sms.jsonl
  mkdir -p "$KC_MAILDIR/tmp" "$KC_MAILDIR/new" "$KC_MAILDIR/cur"
  kc_cleanup_add "kc_kcd_stop"
  # a port that was free when picked may be taken before kcd binds it
  # (another test picked it too): then once more with new ports
  for ((try = 1; try <= 3; try++)); do
    kc_kcd__launch "$@" && return 0
    kc_kcd_kill
    grep -q 'Address already in use' "$KC_KCD_LOG" || break
    echo "kc_kcd_start: a port was taken meanwhile; new ports" >&2
  done
  echo "kc_kcd_start: kcd did not come up; its log:" >&2
  cat "$KC_KCD_LOG" >&2
  return 1
}

KC_KCD_VARS="KC_KCD_SOCKET KC_KCD_CONF KC_KCD_LOG KC_KCD_PID KC_MAILDIR
  KC_SMS_FILE KC_KCD_DIR KC_KCD_HTTP_PORT KC_KCD_URL KC_KCD_METRICS_URL"
KC_KCD_CUR=
KC_KCD_NAMES=()

kc_kcd_save()
{
  local name=$1 v n known=0
  for v in $KC_KCD_VARS; do
    printf -v "${v}__$name" '%s' "${!v:-}"
    printf -v "$v" '%s' ''
  done
  for n in "${KC_KCD_NAMES[@]}"; do
    [[ $n == "$name" ]] && known=1
  done
  if ((!known)); then
    KC_KCD_NAMES+=("$name")
    ((${#KC_KCD_NAMES[@]} > 1)) || kc_cleanup_add kc_kcd__stop_all
  fi
  KC_KCD_CUR=
}

kc_kcd_use()
{
  local name=$1 v src
  if [[ -n $KC_KCD_CUR ]]; then
    kc_kcd_save "$KC_KCD_CUR"
  fi
  for v in $KC_KCD_VARS; do
    src=${v}__$name
    printf -v "$v" '%s' "${!src:-}"
    export "${v?}"
  done
  KC_KCD_CUR=$name
}

kc_kcd__stop_all()
{
  local n
  for n in "${KC_KCD_NAMES[@]}"; do
    kc_kcd_use "$n"
    kc_kcd_stop
  done
}

kc_kcd_kill()
{
  [[ -n ${KC_KCD_PID:-} ]] || return 0
  kill -KILL "$KC_KCD_PID" 2>/dev/null || true
  wait "$KC_KCD_PID" 2>/dev/null || true
  KC_KCD_PID=
}

kc_kcd_restart()
{
  local i before
  kc_kcd_stop
  before=$(grep -c 'kcd started;' "$KC_KCD_LOG")
  echo "---- kc_kcd_restart" >>"$KC_KCD_LOG"
  "$top_builddir/kcd/kcd" -d -f "$KC_KCD_CONF" >>"$KC_KCD_LOG" 2>&1 &
  KC_KCD_PID=$!
  export KC_KCD_PID
  for ((i = 0; i < ${KC_KCD_WAIT:-10} * 20; i++)); do
    if (($(grep -c 'kcd started;' "$KC_KCD_LOG") > before)); then
      return 0
    fi
    kill -0 "$KC_KCD_PID" 2>/dev/null || break
    sleep 0.05
  done
  echo "kc_kcd_restart: kcd did not come up; its log:" >&2
  tail -n 30 "$KC_KCD_LOG" >&2
  return 1
}

# kc_kcd_stop: SIGTERM, wait (bounded), then SIGKILL.
kc_kcd_stop()
{
  local i
  [[ -n ${KC_KCD_PID:-} ]] || return 0
  kill -TERM "$KC_KCD_PID" 2>/dev/null || { KC_KCD_PID=; return 0; }
  for ((i = 0; i < 100; i++)); do
    kill -0 "$KC_KCD_PID" 2>/dev/null || break
    sleep 0.05
  done
  kill -KILL "$KC_KCD_PID" 2>/dev/null || true
  wait "$KC_KCD_PID" 2>/dev/null || true
  KC_KCD_PID=
}

fi
