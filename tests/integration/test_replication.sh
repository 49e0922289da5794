#!/usr/bin/env bash
# Two multi-provider slapd (tests/lib/slapd_pair.sh, set up with
# examples/slapd/multiprovider.sh) and several kcd (DESIGN.md section 13):
# state written through one kcd is seen by another (registration and
# activation, a TAN, a web session); limits hold across instances; a
# provider killed (SIGKILL) or hung (SIGSTOP) is skipped within
# ldap_timeout + 1 s and the detailed /healthz says which server answers;
# the provider comes back, catches up, and kcd returns to it; kcd killed
# in the middle of a flow at each LDAP write leaves nothing half-done that
# the next request does not settle: a link claimed without its account is
# released once the claim is stale, a used registration whose account
# exists is removed, a credentials change cut off after its password goes
# on when the same form comes again.
#
# The /healthz contract (metrics listener): first line "ok URI" (the URI
# the service connection uses, as written in ldap_uri) or "ldap down",
# then "URI up" or "URI down" for each configured URI; 200 while any
# server answers.
set -u
. "$top_srcdir/tests/lib/slapd_pair.sh"
. "$top_srcdir/tests/lib/kcd.sh"
. "$top_srcdir/tests/lib/pam.sh"
. "$top_srcdir/tests/lib/sinks.sh"
. "$top_srcdir/tests/lib/check.sh"
kc_slapd_require
command -v curl >/dev/null || { echo "SKIP: curl not installed"; exit 77; }
slow=$top_builddir/tests/tools/.libs/kc_slowmodify.so
[[ -f $slow ]] || { echo "kc_slowmodify.so not built: $slow" >&2; exit 99; }
t_start=$SECONDS
kc_pam_init
work=$KC_PAM_TMP
kc_slapd_pair_start || exit 1
U1=$KC_LDAP_URI1
U2=$KC_LDAP_URI2
B=$KC_LDAP_BASE
echo "# providers: 1 $U1 (pid $KC_SLAPD_PID1), 2 $U2 (pid $KC_SLAPD_PID2);" \
  "up and converged after $((SECONDS - t_start)) s"

# every kcd: the same secret key, one Maildir, one SMS file, a short
# ldap_timeout, TANs quick to resend and few per hour
head -c 48 /dev/urandom | base64 >"$work/secret.key"
chmod 600 "$work/secret.key"
mail=$work/mail
mkdir -p "$mail/tmp" "$mail/new" "$mail/cur"
sms=$work/sms.jsonl
: >"$sms"
chmod 666 "$sms"
# a failed provider is skipped for RETRY s (30 s by default: shorter here,
# so that the return to provider 1 is seen sooner)
TIMEOUT=3
RETRY=5
kcd_conf=("ldap_timeout = ${TIMEOUT}s" "ldap_retry_after = ${RETRY}s"
  "secret_key_file = $work/secret.key"
  "mail_transport = maildir:$mail" "sms_transport = file:$sms"
  "tan_resend_interval = 1s" "tan_max_per_hour = 3" "activation_ttl = 1h")

# kcd_start NAME 'ldap_uri = ...' [lines]: start kcd NAME, PAM service NAME
kcd_start() {
  local name=$1
  shift
  kc_kcd_use "$name"
  kc_kcd_start "${kcd_conf[@]}" "$@" || return 1
  kc_pam_service "$name" "socket=$KC_KCD_SOCKET timeout=15"
  kc_kcd_save "$name"
}
# var NAME VAR: kcd NAME's VAR (KC_KCD_URL, KC_KCD_METRICS_URL, ...)
var() { local v=${2}__$1; echo "${!v}"; }

kcd_start kcd1 "ldap_uri = $U1 $U2" || exit 1
kcd_start kcd2 "ldap_uri = $U1 $U2" || exit 1
kcd_start kcd3 "ldap_uri = $U2 $U1" || exit 1

# get KCD PATH [curl args] -> $status, body in $work/body (cookies per kcd)
get() {
  local k=$1 path=$2
  shift 2
  status=$(curl -s -m 20 -b "$work/jar.$k" -c "$work/jar.$k" -D "$work/head" \
    -o "$work/body" -w '%{http_code}' "$@" "$(var "$k" KC_KCD_URL)$path")
}
csrf() { grep -o 'name="csrf" value="[^"]*"' "$work/body" | sed 's/.*value="//;s/"$//'; }
mails() { find "$mail/new" -type f | wc -l; }
wait_mails() { # N [SECONDS]: until N mails are there
  local i
  for ((i = 0; i < ${2:-5} * 10; i++)); do
    (($(mails) >= $1)) && return 0
    sleep 0.1
  done
  return 1
}
link_token() { # the token of the activation link in the newest mail
  /usr/bin/python3 - "$mail/new" <<'PY'
import email, email.policy, glob, os, re, sys
path = max(glob.glob(os.path.join(sys.argv[1], "*")), key=os.path.getmtime)
msg = email.message_from_binary_file(open(path, "rb"), policy=email.policy.strict)
text = msg.get_body(("plain",)).get_content()
print(re.search(r"/activate\?token=([A-Za-z0-9_-]+)", text).group(1))
PY
}
register() { # KCD NUMBER EMAIL -> $status
  get "$1" /register
  local t
  t=$(csrf)
  get "$1" /register --data-urlencode "csrf=$t" --data-urlencode "customer_number=$2" \
    --data-urlencode "email=$3" --data-urlencode "email_repeat=$3"
}
activate() { # KCD TOKEN USERNAME PASSWORD -> $status ($act_get: the GET's)
  get "$1" "/activate?token=$2"
  act_get=$status
  local t
  t=$(csrf)
  get "$1" /activate --data-urlencode "csrf=$t" --data-urlencode "token=$2" \
    --data-urlencode "tan_method=none" --data-urlencode "salutation=Frau" \
    --data-urlencode "first_name=Rita" --data-urlencode "last_name=Replika" \
    --data-urlencode "email=r.replika@muster.example" \
    --data-urlencode "username=$3" --data-urlencode "password=$4" \
    --data-urlencode "password_repeat=$4"
}
login() { # KCD USER PASSWORD: one PAM auth
  kc_pamtest --service "$1" --user "$2" --conv sshd --answer "$3" \
    --steps auth --expect auth=PAM_SUCCESS
}
login_acct() { # KCD USER PASSWORD: PAM auth and account
  kc_pamtest --service "$1" --user "$2" --conv sshd --answer "$3" \
    --steps auth,acct --expect auth=PAM_SUCCESS,acct=PAM_SUCCESS
}
# login_ms KCD USER PASSWORD: a login that must pass within ldap_timeout
# + 1 s, over what a login took before the failure on this machine
# ($BASE_MS, measured below: slapd's argon2 under the machine's load)
BASE_MS=0
login_ms() {
  local out ms
  out=$(login "$@" 2>&1)
  ms=$(sed -n 's/^auth=[A-Z_]* ms=\([0-9]*\)$/\1/p' <<<"$out" | head -n 1)
  echo "$out"
  echo "(limit $(((TIMEOUT + 1) * 1000 + BASE_MS)) ms)"
  [[ $out == *"auth=PAM_SUCCESS"* && -n $ms ]] &&
    ((ms <= (TIMEOUT + 1) * 1000 + BASE_MS))
}
healthz() { # KCD: the detailed /healthz: status line, then the body
  curl -s -m 20 -w '%{http_code}\n' -o "$work/health" \
    "$(var "$1" KC_KCD_METRICS_URL)/healthz" || echo 000
  cat "$work/health"
}
health_is() { # KCD FIRST-LINE UP-URIS DOWN-URIS: /healthz keeps the contract
  local out first u
  out=$(healthz "$1")
  echo "$out"
  [[ $(sed -n 1p <<<"$out") == 200 ]] || return 1
  first=$(sed -n 2p <<<"$out")
  [[ $first == "$2" ]] || return 1
  for u in $3; do grep -qxF "$u up" <<<"$out" || return 1; done
  for u in $4; do grep -qxF "$u down" <<<"$out" || return 1; done
}
call() { # KCD PYTHON: an expression over kcproto as k, the socket as p
  PYTHONPATH=$top_srcdir/tests/tools /usr/bin/python3 -c "
import kcproto as k, sys
p = sys.argv[1]
$2" "$(var "$1" KC_KCD_SOCKET)"
}
auth_etan() { # KCD -> "RESULT CHALLENGE"
  call "$1" "r = k.call(p, k.auth('etan', '$KC_PW_ETAN'), timeout=20); print(r[2], r[4])"
}
auth_mtan() { # KCD -> RESULT
  call "$1" "print(k.call(p, k.auth('mtan', '$KC_PW_MTAN'), timeout=20)[2])"
}
tan_op() { # KCD USER CHALLENGE TAN -> RESULT
  call "$1" "print(k.call(p, k.tan('$2', '$3', '$4'), timeout=20)[2])"
}
sms_count() { grep -c . "$sms"; }
admin() { kc_slapd_pair_ldap "$1" kc_ldap_admin "${@:2}"; }
count() { # PROVIDER BASE FILTER: entries
  admin "$1" ldapsearch -LLL -b "$2" "$3" 1.1 2>/dev/null | grep -c '^dn:'
}

# ------------------------------------------------------------------------
# Register through kcd1, activate through kcd2, log in through both.
register kcd1 46075 praxis@muster.example
kc_check "register through kcd1 -> 200" test "$status" = 200
kc_check "  the activation mail goes out" wait_mails 1
token=$(link_token)
regdn=$(admin 1 ldapsearch -LLL -b "ou=registrations,$B" '(objectClass=kcRegistration)' dn |
  sed -n 's/^dn: //p' | head -n 1)
kc_check "  the registration reached provider 2" kc_slapd_pair_wait 2 "$regdn"
get kcd2 "/activate?token=$token"
kc_check "the link opens at kcd2 -> 200" test "$status" = 200
pw_rita="Replikation-ueber-zwei-Server"
activate kcd2 "$token" rita.replika "$pw_rita"
kc_check "activation through kcd2 -> 303" test "$status" = 303
kc_check "  the account reached provider 1" \
  kc_slapd_pair_wait 1 "uid=rita.replika,ou=accounts,$B"
kc_check "  the registration is gone on provider 1 too" \
  kc_slapd_pair_wait_gone 1 "$regdn"
kc_check "log in through the module against kcd2" login kcd2 rita.replika "$pw_rita"
kc_check "  and against kcd1" login kcd1 rita.replika "$pw_rita"
get kcd1 "/activate?token=$token"
kc_check "the used link is void at kcd1 -> 410" test "$status" = 410

# A web session made by kcd1 opens the account page at kcd2.
get kcd1 /account/login
t=$(csrf)
get kcd1 /account/login --data-urlencode "csrf=$t" \
  --data-urlencode "username=rita.replika" --data-urlencode "password=$pw_rita"
session=$(awk '$6 == "kc_session" { print $7 }' "$work/jar.kcd1")
status=$(curl -s -m 20 -H "Cookie: kc_session=$session" -o "$work/body" \
  -w '%{http_code}' "$(var kcd2 KC_KCD_URL)/account")
kc_check "a web session from kcd1 opens /account at kcd2 -> 200" test "$status" = 200

# ------------------------------------------------------------------------
# A TAN sent by kcd1 passes at kcd2, once; at kcd1 afterwards it is refused.
m0=$(mails)
read -r res challenge < <(auth_etan kcd1)
kc_check "etan at kcd1: TAN required" test "$res" = TAN_REQUIRED
kc_check "  the TAN mail is there" wait_mails $((m0 + 1))
tan=$(kc_tan_from mail "$mail")
kc_check "  the TAN state reached provider 2" \
  kc_slapd_pair_wait 2 "uid=etan,ou=accounts,$B" "(kcTanChallenge=$challenge)"
echo "# replication lag of the TAN write, as seen from here: <= $KC_OUT ms"
kc_check "the TAN at kcd2 -> OK" test "$(tan_op kcd2 etan "$challenge" "$tan")" = OK
kc_check "the same TAN at kcd2 again -> refused" \
  test "$(tan_op kcd2 etan "$challenge" "$tan")" != OK
kc_check "the same TAN at kcd1 afterwards -> refused" \
  test "$(tan_op kcd1 etan "$challenge" "$tan")" != OK

# ------------------------------------------------------------------------
# Limits counted in LDAP: two kcd together give no more than one.
# TANs per account and hour (tan_max_per_hour = 3), alternating kcd.
n0=$(sms_count)
results=
for k in kcd1 kcd2 kcd1 kcd2 kcd1; do
  results+="$(auth_mtan "$k") "
  sleep 1.1 # tan_resend_interval
done
echo "# mtan, five logins through kcd1/kcd2: $results"
kc_check "tan_max_per_hour across kcd1 and kcd2: 3 SMS for 5 logins" \
  test "$(($(sms_count) - n0))" = 3
# Registrations per customer: kcd allows a burst of 3 per customer number.
n0=$(mails)
for k in kcd1 kcd2 kcd1 kcd2; do
  register "$k" 46077 kontakt@zahnarzt-beispiel.example
done
wait_mails $((n0 + 3))
sleep 1
kc_check "registrations per customer across kcd1 and kcd2: 3 mails for 4" \
  test "$(($(mails) - n0))" = 3
kc_check "  counted on the customer's entry: kcRegSendCount 3" \
  test "$(count 1 "ou=customers,$B" "(&(kcCustomerNumber=46077)(kcRegSendCount=3))")" = 1
echo "# registration mails for 46077: $(($(mails) - n0))"

# ------------------------------------------------------------------------
# Provider failures.
echo "# t=$((SECONDS - t_start)) s: provider failures"
user=mmuster
pw=$KC_PW_MMUSTER
for k in kcd1 kcd2 kcd3; do
  kc_check "before: login through $k" login "$k" "$user" "$pw"
  ms=$(sed -n 's/^auth=[A-Z_]* ms=\([0-9]*\)$/\1/p' <<<"$KC_OUT" | head -n 1)
  ((${ms:-0} > BASE_MS)) && BASE_MS=${ms:-0}
done
echo "# a login before the failures: at most $BASE_MS ms"
# etan gets a TAN in each failover: start its hour afresh, as an
# administrator would (a stored count of 0, which kcd must take as a value)
admin 1 ldapmodify -c >/dev/null 2>&1 <<EOF
dn: uid=etan,ou=accounts,$B
changetype: modify
replace: kcTanSendCount
kcTanSendCount: 0
-
delete: kcTanWindowStart
EOF
kc_check "before: kcd1 /healthz: ok $U1, both up" health_is kcd1 "ok $U1" "$U1 $U2" ""
kc_check "before: kcd3 /healthz: ok $U2 (its own first)" health_is kcd3 "ok $U2" "$U2 $U1" ""

failover() { # kill|stop: provider 1 killed or hung
  local how=$1 k i ms back
  if [[ $how == kill ]]; then
    kc_slapd_pair_kill 1
  else
    kc_slapd_pair_stop_sig 1
  fi
  how=${how/stop/stopp}
  for k in kcd1 kcd2; do
    kc_check "provider 1 ${how}ed: login through $k within $((TIMEOUT + 1)) s" \
      login_ms "$k" "$user" "$pw"
    echo "# $k: $(grep -o '^auth=.*' <<<"$KC_OUT")"
    kc_check "  a second login through $k within $((TIMEOUT + 1)) s" \
      login_ms "$k" "$user" "$pw"
    kc_check "  $k /healthz: 200, ok $U2, $U1 down" \
      health_is "$k" "ok $U2" "$U2" "$U1"
  done
  kc_check "provider 1 ${how}ed: kcd3 (provider 2 first) unaffected" \
    login_ms kcd3 "$user" "$pw"
  # a write while provider 1 is away: a TAN through kcd2
  read -r res challenge < <(auth_etan kcd2)
  kc_check "provider 1 ${how}ed: a TAN is sent through kcd2 ($res)" test "$res" = TAN_REQUIRED
  if [[ $how == kill ]]; then
    kc_slapd_pair_restart 1
  else
    kc_slapd_pair_cont 1
  fi
  kc_check "provider 1 back: it has the TAN written meanwhile" \
    kc_slapd_pair_wait 1 "uid=etan,ou=accounts,$B" "(kcTanChallenge=$challenge)" 20
  kc_check "  the providers converge" kc_slapd_pair_converged 20
  # kcd goes back to the first URI within about ldap_retry_after (and a
  # login)
  back=
  local deadline=$((SECONDS + RETRY + 3))
  for ((i = 0; SECONDS < deadline; i++)); do
    for k in kcd1 kcd2; do
      [[ " $back " == *" $k "* ]] && continue
      login "$k" "$user" "$pw" >/dev/null 2>&1
      [[ $(healthz "$k" | sed -n 2p) == "ok $U1" ]] && back+=" $k"
    done
    [[ $back == " kcd1 kcd2" || $back == " kcd2 kcd1" ]] && break
    sleep 1
  done
  echo "# back on provider 1 after $((SECONDS - deadline + RETRY + 3)) s:${back:- none}"
  kc_check "kcd1 returns to provider 1 within about ldap_retry_after" \
    health_is kcd1 "ok $U1" "$U1 $U2" ""
  kc_check "kcd2 returns to provider 1 within about ldap_retry_after" \
    health_is kcd2 "ok $U1" "$U1 $U2" ""
}
failover kill
# kcd1 and kcd2 afresh, on provider 1 again whatever they did above: the
# hung provider must be the one they use
for k in kcd1 kcd2; do
  kc_kcd_use "$k"
  kc_kcd_restart || exit 1
  kc_kcd_save "$k"
  login "$k" "$user" "$pw" >/dev/null 2>&1
done
failover stop

# ------------------------------------------------------------------------
echo "# t=$((SECONDS - t_start)) s: kcd killed in the middle of flows"
# kcd killed at each LDAP write of a flow. kcdc (provider 1 first, with
# kc_slowmodify.so preloaded) is started per step with the write to hold;
# the flow runs in the background until kcdc holds that write; SIGKILL;
# kcdc restarted without a hold; then the invariants, and the user
# finishes or starts again.
kcd_start kcdc "ldap_uri = $U1 $U2" "tan_max_per_hour = 60" || exit 1
wlog=$work/writes.log
# an ASan kcd would refuse a library preloaded before its runtime
slow_asan="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0"

# crash_at N before|after CMD...: run CMD in the background against a
# kcdc that holds its N-th write; kill kcdc there; restart it. 0 when
# the write was reached.
crash_at() {
  local n=$1 when=$2 i rc=1 pid
  shift 2
  kc_kcd_use kcdc
  kc_kcd_stop
  : >"$wlog"
  LD_PRELOAD=$slow ASAN_OPTIONS=$slow_asan KC_SLOW_WRITE_LOG=$wlog \
    KC_SLOW_WRITE_NTH=$n KC_SLOW_WRITE_WHEN=$when KC_SLOW_WRITE_MS=30000 \
    kc_kcd_restart
  i=$?
  kc_kcd_save kcdc
  ((i == 0)) || return 1
  "$@" >/dev/null 2>&1 &
  pid=$!
  for ((i = 0; i < 750; i++)); do # (15 s: the flow hashes with argon2)
    if grep -q "^held $n " "$wlog"; then
      rc=0
      break
    fi
    sleep 0.02
  done
  kc_kcd_use kcdc
  kc_kcd_kill
  kill "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
  kc_kcd_restart || rc=1
  kc_kcd_save kcdc
  return "$rc"
}
# writes_of CMD...: run CMD against kcdc with writes counted in $wlog;
# $steps: how many (not in a subshell: kcdc's pid must stay known)
writes_of() {
  local i n last=-1
  kc_kcd_use kcdc
  kc_kcd_stop
  : >"$wlog"
  LD_PRELOAD=$slow ASAN_OPTIONS=$slow_asan KC_SLOW_WRITE_LOG=$wlog \
    kc_kcd_restart || return 1
  kc_kcd_save kcdc
  "$@" >/dev/null 2>&1
  # background jobs write after the answer: until 0.5 s without a write
  for ((i = 0; i < 30; i++)); do
    sleep 0.25
    n=$(grep -c '^write ' "$wlog")
    ((n > 0 && n == last)) && break
    last=$n
  done
  steps=$(grep -c '^write ' "$wlog")
}

# --- registration: the entry is written on the background thread
n_cust=0
new_customer() { # -> a fresh customer number with its own address
  n_cust=$((n_cust + 1))
  cust=$((50000 + n_cust))
  admin 1 ldapadd >/dev/null <<EOF
dn: kcCustomerNumber=$cust,ou=customers,$B
objectClass: kcCustomer
kcCustomerNumber: $cust
mail: praxis$cust@muster.example
o: Praxis $cust
EOF
  kc_slapd_pair_wait 2 "kcCustomerNumber=$cust,ou=customers,$B" >/dev/null
}
regs_of() { count 1 "ou=registrations,$B" "(kcCustomerNumber=$1)"; }
new_customer
writes_of register kcdc "$cust" "praxis$cust@muster.example"
echo "# registration: $steps LDAP writes: $(tr '\n' ';' <"$wlog")"
kc_check "registration: kc_slowmodify.so sees its writes" test "$steps" -ge 1
for ((n = 1; n <= steps + 1; n++)); do
  when=before
  m=$n
  ((n > steps)) && when=after m=$steps
  new_customer
  crash_at "$m" "$when" register kcdc "$cust" "praxis$cust@muster.example"
  kc_check "registration, kcd killed $when write $m: the write was reached" test $? = 0
  m0=$(mails)
  r=$(regs_of "$cust")
  kc_check "  at most one registration for $cust ($r)" test "$r" -le 1
  # the user registers again: one valid link in the newest mail
  register kcdc "$cust" "praxis$cust@muster.example"
  kc_check "  registering again -> a mail" wait_mails $((m0 + 1))
  tok=$(link_token)
  get kcdc "/activate?token=$tok"
  kc_check "  the link in the newest mail opens" test "$status" = 200
done

# --- activation
acct_of() { count 1 "ou=accounts,$B" "(uid=$1)"; }
fresh_link() { # -> $tok: a registration link for a new customer
  new_customer
  local m0
  m0=$(mails)
  register kcd1 "$cust" "praxis$cust@muster.example"
  wait_mails $((m0 + 1))
  tok=$(link_token)
  kc_slapd_pair_wait 1 "ou=registrations,$B" "(kcCustomerNumber=$cust)" >/dev/null
}
pw_act="Absturz-mitten-im-Schreiben"
fresh_link
writes_of activate kcdc "$tok" "akt0" "$pw_act"
echo "# activation: $steps LDAP writes: $(tr '\n' ';' <"$wlog")"
kc_check "activation: kc_slowmodify.so sees its writes" test "$steps" -ge 1
for ((n = 1; n <= steps + 1; n++)); do
  when=before
  m=$n
  ((n > steps)) && when=after m=$steps
  fresh_link
  crash_at "$m" "$when" activate kcdc "$tok" "akt$n" "$pw_act"
  kc_check "activation, kcd killed $when write $m: the write was reached" test $? = 0
  a=$(acct_of "akt$n")
  admin 1 ldapsearch -LLL -b "ou=registrations,$B" "(kcCustomerNumber=$cust)" \
    kcTokenHash >"$work/regs" 2>/dev/null
  r_used=$(grep -c '^kcTokenHash: used:' "$work/regs")
  r_open=$(grep '^kcTokenHash: ' "$work/regs" | grep -vc '^kcTokenHash: used:')
  echo "# $a account, $r_open open and $r_used used registration(s)"
  if ((a == 1)); then
    kc_check "  an account: its registration is consumed" test "$r_open" = 0
    if ((r_used == 1)); then
      # killed between the account and the registration's delete: the
      # next open of the link removes it
      get kcdc "/activate?token=$tok"
      kc_check "  the link answers 410 (used) ($status)" test "$status" = 410
      kc_check "  and the used registration is gone" test "$(regs_of "$cust")" = 0
    fi
  else
    if ((r_used == 1)); then
      # killed between the claim and the account: while the claim is
      # fresh, the link says an activation is under way
      claim=$(admin 1 ldapsearch -LLL -o ldif-wrap=no -b "ou=registrations,$B" \
        "(kcCustomerNumber=$cust)" kcActivationClaim | sed -n 's/^kcActivationClaim: //p')
      kc_check "  the claim names the user name ($claim)" test "${claim#* }" = "akt$n"
      get kcdc "/activate?token=$tok"
      kc_check "  the link while the claim is fresh -> 503 ($status)" test "$status" = 503
      # time passes (3 x ldap_timeout + 10 s): the claim set back
      admin 1 ldapmodify >/dev/null <<EOF
dn: $(admin 1 ldapsearch -LLL -o ldif-wrap=no -b "ou=registrations,$B" \
        "(kcCustomerNumber=$cust)" 1.1 | sed -n 's/^dn: //p')
changetype: modify
replace: kcActivationClaim
kcActivationClaim: $(($(date +%s) - 60)) akt$n
EOF
      get kcdc "/activate?token=$tok"
      kc_check "  once the claim is stale, the same link opens again -> 200 ($status)" \
        test "$status" = 200
      admin 1 ldapsearch -LLL -b "ou=registrations,$B" "(kcCustomerNumber=$cust)" \
        kcTokenHash kcActivationClaim >"$work/regs" 2>/dev/null
      kc_check "  the claim is released" \
        test "$(grep -c '^kcTokenHash: used:\|^kcActivationClaim:' "$work/regs")" = 0
    fi
    activate kcdc "$tok" "akt$n" "$pw_act"
    kc_check "  the user finishes the activation with the same link -> 303 ($status)" \
      test "$status" = 303
    kc_check "  and its registration is gone" test "$(regs_of "$cust")" = 0
  fi
  kc_check "  the account logs in" login kcdc "akt$n" "$pw_act"
done

# --- credentials change at the first login (neukunde's kind of account)
nkhash=$(admin 1 ldapsearch -LLL -o ldif-wrap=no -b "uid=neukunde,ou=accounts,$B" \
  -s base userPassword | sed -n 's/^userPassword:: //p')
new_nk() { # NAME: a provisioned account with neukunde's password
  admin 1 ldapadd >/dev/null <<EOF
dn: uid=$1,ou=accounts,$B
objectClass: inetOrgPerson
objectClass: kcAccount
uid: $1
cn: Nina $1
sn: $1
givenName: Nina
mail: $1@muster.example
kcCustomerNumber: 46075
kcTanMethod: none
kcRole: user
kcFirstLogin: TRUE
userPassword:: $nkhash
pwdReset: TRUE
EOF
  kc_slapd_pair_wait 2 "uid=$1,ou=accounts,$B" >/dev/null
}
pw_new="Neu-nach-dem-Absturz-2026"
pw_new2="Noch-einmal-neu-nach-dem-Absturz"
change() { # KCD USER CURRENT-PASSWORD NEW-NAME [NEW-PASSWORD] -> $status
  get "$1" "/account/credentials?user=$2"
  local t np=${5:-$pw_new}
  t=$(csrf)
  get "$1" /account/credentials --data-urlencode "csrf=$t" --data-urlencode "user=$2" \
    --data-urlencode "password=$3" --data-urlencode "new_user=$4" \
    --data-urlencode "new_password=$np" --data-urlencode "new_password_repeat=$np" \
    --data-urlencode "tan_method=none"
}
new_nk nk0
writes_of change kcdc nk0 "$KC_PW_NEUKUNDE" nk0.neu
echo "# credentials change: $steps LDAP writes: $(tr '\n' ';' <"$wlog")"
kc_check "credentials change: kc_slowmodify.so sees its writes" test "$steps" -ge 1
for ((n = 1; n <= steps + 1; n++)); do
  when=before
  m=$n
  ((n > steps)) && when=after m=$steps
  new_nk "nk$n"
  crash_at "$m" "$when" change kcdc "nk$n" "$KC_PW_NEUKUNDE" "nk$n.neu"
  kc_check "credentials change, kcd killed $when write $m: the write was reached" test $? = 0
  a_old=$(acct_of "nk$n")
  a_new=$(acct_of "nk$n.neu")
  kc_check "  one account, under the old or the new name ($a_old old, $a_new new)" \
    test "$((a_old + a_new))" = 1
  name=nk$n
  ((a_new == 1)) && name=nk$n.neu
  # which password works: the old one (nothing applied) or the new one
  if login kcdc "$name" "$pw_new" >/dev/null 2>&1; then
    echo "# the new password works under $name"
    final=$pw_new
    if [[ $name == "nk$n" ]]; then
      # the password is written first, the name last (http_credentials.c):
      # the same form sent again (the old password, which no longer
      # binds, and the new one) goes on from where the change stopped
      change kcdc "$name" "$KC_PW_NEUKUNDE" "nk$n.neu" "Ein-ganz-anderes-Passwort-7"
      kc_check "  the form with another new password -> refused (422) ($status)" \
        test "$status" = 422
      change kcdc "$name" "$KC_PW_NEUKUNDE" "nk$n.neu"
      kc_check "  the same form again finishes the change -> 200 ($status)" \
        test "$status" = 200
    fi
  else
    kc_check "  nothing applied: the old password still works for $name" \
      login kcdc "$name" "$KC_PW_NEUKUNDE"
    change kcdc "$name" "$KC_PW_NEUKUNDE" "nk$n.neu"
    kc_check "  the user makes the change again -> 200 ($status)" test "$status" = 200
    final=$pw_new
  fi
  kc_check "  the new name logs in with the new password (auth and account)" \
    login_acct kcdc "nk$n.neu" "$final"
  kc_check "  the old name is gone" test "$(acct_of "nk$n")" = 0
done

# --- a TAN login: AUTH sends the TAN (writes the TAN state), TAN counts
# the answer and consumes the TAN
tan_login() { # KCD: etan's whole login over the protocol -> OK or a result
  local res ch t
  read -r res ch < <(auth_etan "$1")
  [[ $res == TAN_REQUIRED ]] || { echo "$res"; return 1; }
  t=$(kc_tan_from mail "$mail")
  tan_op "$1" etan "$ch" "$t"
}
sleep 1.1 # tan_resend_interval
writes_of tan_login kcdc
echo "# TAN login (AUTH, TAN): $steps LDAP writes: $(tr '\n' ';' <"$wlog")"
kc_check "TAN login: kc_slowmodify.so sees its writes" test "$steps" -ge 2
for ((n = 1; n <= steps + 1; n++)); do
  when=before
  m=$n
  ((n > steps)) && when=after m=$steps
  sleep 1.1
  crash_at "$m" "$when" tan_login kcdc
  kc_check "TAN login, kcd killed $when write $m: the write was reached" test $? = 0
  sleep 1.1
  out=$(tan_login kcdc)
  kc_check "  the user logs in again with a new TAN -> OK ($out)" test "$out" = OK
done
echo "# test_replication: $((SECONDS - t_start)) s"
kc_done
