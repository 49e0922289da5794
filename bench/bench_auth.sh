#!/usr/bin/env bash
# bench_auth.sh: login throughput and latency at concurrency 1, 4 and 16,
# all in one run against one private slapd with the fixtures' argon2id
# parameters (64 MiB, t=2). Not a test: it prints tables.
#
#   top_srcdir=SRC top_builddir=BUILD bash SRC/bench/bench_auth.sh
#
# Configurations (kc-bench-auth runs them interleaved, round by round):
#   (a)   raw libldap: search as kcd's service DN + simple bind as the user
#         (ppolicy control), connections kept open: the physical limit
#   (b)   pam_authenticate + pam_acct_mgmt through pam_kundencenter.so and
#         kcd, password only
#   (c)   the same with emailTAN: kcd writes the TAN into its maildir, the
#         load generator reads it back and answers the TAN prompt
#   (n)   nss-pam-ldapd: pam_ldap.so + nslcd (Debian's, default settings)
#         against the same slapd and accounts
#   (b32) as (b), with a second kcd that has workers = 32
# kcd's, slapd's and nslcd's CPU time per login come from their threads'
# run time (/proc/PID/task/*/schedstat) during the measuring window.
#
# Environment: KC_BENCH_CONC (default 1,4,16), KC_BENCH_DURATION (s per
# round, default 10), KC_BENCH_ROUNDS (default 2), KC_BENCH_WARMUP (2),
# KC_BENCH_SMOKE=1 (CI: cheap hashes, a fraction of a second per run).
set -u
: "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
export top_srcdir top_builddir
. "$top_srcdir/bench/lib.sh"

if [[ -n ${KC_BENCH_SMOKE:-} ]]; then
  cost=cheap duration=${KC_BENCH_DURATION:-0.4} rounds=${KC_BENCH_ROUNDS:-1}
  warmup=${KC_BENCH_WARMUP:-0.2} npw=16 ntan=32
else
  cost=real duration=${KC_BENCH_DURATION:-10} rounds=${KC_BENCH_ROUNDS:-2}
  warmup=${KC_BENCH_WARMUP:-2} npw=64 ntan=128
fi
conc=${KC_BENCH_CONC:-1,4,16}

kc_bench_require
kc_slapd_require
kc_bench_slapd_start || exit 1
work=$(mktemp -d "${TMPDIR:-/tmp}/kc-bench-auth.XXXXXX") || exit 1
chmod 755 "$work"
kc_cleanup_add "rm -rf '$work'"

kc_bench_users pw bp "$npw" "$cost" "$work/pw.users" || exit 1
kc_bench_users tan bt "$ntan" "$cost" "$work/tan.users" || exit 1
kc_bench_secret_key "$work/secret.key"

# TANs: the resend interval does not apply (each TAN is used before the
# next is asked for); 60 a hour and account is kcd's maximum, so the load
# generator stops using an account at 58. Timeouts: 16 logins at once on
# two cores take longer than kcd's default ldap_timeout (5 s) and the
# module's timeout (10 s); the benchmark measures capacity, so kcd, the
# module and nslcd all get 120 s.
kc_kcd_start "secret_key_file = $work/secret.key" "tan_resend_interval = 1s" \
  "tan_max_per_hour = 60" "ldap_timeout = 120s" || exit 1

# A second kcd, workers = 32, on its own socket and port.
kcd32_dir=$work/kcd32
mkdir -p "$kcd32_dir"
sed -e "s|^pam_socket = .*|pam_socket = $kcd32_dir/pam.sock|" \
  -e "s|^http_listen = .*|http_listen = 127.0.0.1:$(kc_pick_port)|" \
  -e "s|^metrics_listen = .*|metrics_listen = none|" \
  "$KC_KCD_CONF" >"$kcd32_dir/kcd.conf"
echo "workers = 32" >>"$kcd32_dir/kcd.conf"
"$top_builddir/kcd/kcd" -d -f "$kcd32_dir/kcd.conf" >"$kcd32_dir/kcd.log" 2>&1 &
kcd32_pid=$!
kc_cleanup_add "kill $kcd32_pid 2>/dev/null; wait $kcd32_pid 2>/dev/null"
for ((i = 0; i < 200; i++)); do
  [[ -S $kcd32_dir/pam.sock ]] && break
  sleep 0.05
done
if [[ ! -S $kcd32_dir/pam.sock ]]; then
  echo "bench_auth: the second kcd did not start:" >&2
  cat "$kcd32_dir/kcd.log" >&2
  exit 1
fi

pamdir=$work/pam.d
mkdir -p "$pamdir"
kc_bench_pam_service "$pamdir/kc-bench" "$KC_KCD_SOCKET"
kc_bench_pam_service "$pamdir/kc-bench32" "$kcd32_dir/pam.sock"

plan=$work/plan
cat >"$plan" <<EOF
a ldap users=$work/pw.users desc=raw libldap: search as the service DN + simple bind as the user (ppolicy control), connections kept
b pam service=kc-bench users=$work/pw.users desc=pam_kundencenter.so + kcd (workers = 16), password only
c pam service=kc-bench users=$work/tan.users max_sends=58 desc=pam_kundencenter.so + kcd, emailTAN via maildir, TAN read back from the mail
EOF
ratios=(--ratio b:a --ratio c:a)
if why=$(kc_bench_nslcd_usable); then
  peer=yes
  kc_bench_nslcd_conf "$work/nslcd.conf"
  for f in auth account; do
    echo "$f required $KC_BENCH_PAM_LDAP"
  done >"$pamdir/nslcd-bench"
  echo "n pam service=nslcd-bench users=$work/pw.users desc=nss-pam-ldapd $(dpkg-query -W -f='${Version}' nslcd 2>/dev/null): pam_ldap.so + nslcd (threads 5, its default)" >>"$plan"
  ratios+=(--ratio b:n --ratio n:a)
else
  peer=no
  echo "bench_auth: the nss-pam-ldapd peer is left out: $why"
fi
echo "b32 pam service=kc-bench32 users=$work/pw.users conc=16 desc=as (b), a second kcd with workers = 32" >>"$plan"
ratios+=(--ratio b32:a)

echo "## Authentication"
echo
echo "slapd $KC_LDAP_URI (olcThreads $KC_BENCH_SLAPD_THREADS), $(nproc) CPUs," \
  "password hashes: $KC_BENCH_HASH_PARAMS ($cost);" \
  "$npw password accounts, $ntan emailTAN accounts; load average at start:" \
  "$(cut -d' ' -f1-3 /proc/loadavg)"
echo

args=(--conc "$conc" --duration "$duration" --warmup "$warmup"
  --rounds "$rounds" --confdir "$pamdir" --maildir "$KC_MAILDIR"
  --ldap-uri "$KC_LDAP_URI" --ldap-base "$KC_LDAP_BASE"
  --bind-dn "$KC_KCD_DN" --bind-pw-file "$KC_KCD_PW_FILE"
  --cpu "kcd=$KC_KCD_PID" --cpu "slapd=$KC_SLAPD_PID"
  --cpu "kcd32=$kcd32_pid" --plan "$plan" "${ratios[@]}")
if [[ $peer == yes ]]; then
  kc_bench_in_nslcd_ns "$work/nslcd.conf" "$KC_BENCH_AUTH" "${args[@]}" \
    --cpu "nslcd=@NSLCD_PID@"
else
  "$KC_BENCH_AUTH" "${args[@]}"
fi
rc=$?
echo
echo "kcd: $(kc_bench_threads "$KC_KCD_PID") threads, VmRSS $(kc_bench_rss_kib "$KC_KCD_PID") KiB," \
  "VmHWM $(kc_bench_hwm_kib "$KC_KCD_PID") KiB; slapd VmHWM $(kc_bench_hwm_kib "$KC_SLAPD_PID") KiB;" \
  "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
# Failed logins are a result (printed above as "errors:"), not a failure
# of the benchmark; anything else is.
if ((rc == 1)); then
  echo "kcd's log, other than successful logins (last 10 lines):"
  grep -Ev 'AUTH (OK|TAN_REQUIRED)|TAN (OK|sent)' "$KC_KCD_LOG" | tail -n 10
  rc=0
fi
exit $rc
