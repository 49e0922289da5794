# shellcheck shell=bash
#
# sinks.sh: loopback peers that receive what kcd sends.
#
#   . "$top_srcdir/tests/lib/sinks.sh"
#   kc_sink_start DIR smtp_sink.py [--auth USER:PW]   SMTP server
#   kc_sink_start DIR sms_sink.py                     SMS gateway (HTTP);
#       DIR/status, DIR/delay, DIR/body make it fail (see the script)
#   kc_sink_start DIR smtp_fault.py [--cert C --key K]   SMTP server that
#       fails as DIR/mode says (4xx, 5xx, silent, cut DATA, bad TLS)
#       starts the sink writing into DIR, waits until DIR/port exists,
#       sets KC_SINK_PORT; stopped at exit (cleanup.sh).
#   kc_tan_from mail DIR      the TAN in the newest mail in DIR (a sink
#                             dir with msg-N.eml, or a Maildir)
#   kc_tan_from sms FILE      the TAN in the last SMS of a sink's
#                             requests.jsonl or a file: transport
#   kc_count_mail DIR         messages in DIR (sink dir or Maildir)

if [[ -z "${KC_SINKS_LOADED:-}" ]]; then
KC_SINKS_LOADED=1
. "$top_srcdir/tests/lib/cleanup.sh"

KC_PY=/usr/bin/python3

kc_sink_start()
{
  local dir=$1 script=$2 i
  shift 2
  mkdir -p "$dir"
  rm -f "$dir/port"
  "$KC_PY" "$top_srcdir/tests/tools/$script" "$dir" "$@" 2>"$dir.log" &
  kc_cleanup_add "kill $! 2>/dev/null; wait $! 2>/dev/null"
  for ((i = 0; i < 100; i++)); do
    if [[ -s "$dir/port" ]]; then
      KC_SINK_PORT=$(cat "$dir/port")
      return 0
    fi
    sleep 0.1
  done
  echo "kc_sink_start: $script did not start:" >&2
  cat "$dir.log" >&2
  return 1
}

kc_tan_from()
{
  "$KC_PY" "$top_srcdir/tests/tools/tan_from.py" "$@"
}

kc_count_mail()
{
  find "$1" "$1/new" "$1/cur" -maxdepth 1 -type f \
    \( -name 'msg-*.eml' -o -path '*/new/*' -o -path '*/cur/*' \) \
    2>/dev/null | wc -l
}

fi
