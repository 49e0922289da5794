#!/usr/bin/env bash
# kcd down or slow: the module answers PAM_AUTHINFO_UNAVAIL (or PAM_IGNORE
# with ignore_authinfo_unavail) within timeout=, never hangs, and a peer
# that hangs up or talks nonsense is "unavailable" too. Through the real
# libpam with kc-pamtest; the misbehaving peers are kc-fakekcd modes.
set -u
. "$top_srcdir/tests/lib/check.sh"
. "$top_srcdir/tests/lib/pam.sh"
kc_pam_init

# elapsed STEP: the milliseconds kc-pamtest printed for STEP in $KC_OUT
elapsed()
{
  printf '%s\n' "$KC_OUT" | sed -n "s/^$1=[A-Z_]* ms=\([0-9]*\)$/\1/p" | head -n 1
}

# within STEP MIN MAX: the step took between MIN and MAX ms
within()
{
  local ms
  ms=$(elapsed "$1")
  if [[ -n $ms ]] && ((ms >= $2 && ms <= $3)); then
    kc_pass "$1 took ${ms} ms (want $2..$3)"
  else
    kc_fail "$1 took ${ms:-?} ms (want $2..$3)"
  fi
}

sock=$KC_FAKE_SOCKET
kc_pam_service nosock "socket=$KC_PAM_TMP/nothing-here.sock timeout=5"
kc_pam_service timed "socket=$sock timeout=2"
kc_pam_service inline "socket=$sock timeout=2 tan=inline"
kc_pam_service_raw ignoring "auth required @MODULE@ socket=$KC_PAM_TMP/nothing-here.sock ignore_authinfo_unavail
auth required pam_permit.so
account required @MODULE@ socket=$KC_PAM_TMP/nothing-here.sock ignore_authinfo_unavail
account required pam_permit.so"

# --- no socket file: fast
kc_check "no socket: auth and acct unavailable" \
  kc_pamtest --service nosock --user mmuster --answer 'Geheim-1' \
  --steps auth,acct --expect auth=PAM_AUTHINFO_UNAVAIL,acct=PAM_AUTHINFO_UNAVAIL
within auth 0 500
within acct 0 500
kc_check "no socket: chauthtok unavailable" \
  kc_pamtest --service nosock --user mmuster --answer 'Geheim-1' \
  --steps chauthtok --expect chauthtok=PAM_AUTHINFO_UNAVAIL
kc_check "no socket, ignore_authinfo_unavail: the stack goes on" \
  kc_pamtest --service ignoring --user mmuster --answer 'Geheim-1' \
  --steps auth,acct --expect auth=PAM_SUCCESS,acct=PAM_SUCCESS

# --- a listener that never answers: unavailable within timeout + 1 s
kc_fakekcd_start --mode silent || exit 1
kc_check "silent kcd: auth unavailable" \
  kc_pamtest --service timed --user mmuster --answer 'Geheim-1' \
  --steps auth --expect auth=PAM_AUTHINFO_UNAVAIL
within auth 1900 3000
kc_check "silent kcd: acct unavailable" \
  kc_pamtest --service timed --user mmuster --steps acct \
  --expect acct=PAM_AUTHINFO_UNAVAIL
within acct 1900 3000
kc_check "silent kcd, apache conversation: unavailable" \
  kc_pamtest --service inline --user mmuster --conv apache \
  --answer 'Geheim-1' --steps auth --expect auth=PAM_AUTHINFO_UNAVAIL
within auth 1900 3000

# --- peers that hang up or talk nonsense
for mode in close garbage version wrongop; do
  kc_fakekcd_start --mode "$mode" --rule 'result=OK' || exit 1
  kc_check "$mode: auth unavailable" \
    kc_pamtest --service timed --user mmuster --answer 'Geheim-1' \
    --steps auth,acct --expect auth=PAM_AUTHINFO_UNAVAIL,acct=PAM_AUTHINFO_UNAVAIL
  within auth 0 1000
done

# --- slow but within the deadline: not given up too early
kc_fakekcd_start --delay-ms 800 --rule 'op=ACCT|result=OK' || exit 1
kc_check "kcd answering in 0.8 s with timeout=2: success" \
  kc_pamtest --service timed --user mmuster --steps acct \
  --expect acct=PAM_SUCCESS
within acct 700 2000
kc_fakekcd_stop

kc_done
