#!/usr/bin/env bash
# bench_auth.sh: login throughput and latency at concurrency 1, 2, 4 and
# 16, all in one run against two private slapds with the same accounts and
# hashes (the fixtures' argon2id parameters, 64 MiB, t=2): one verifies
# {ARGON2} with Debian's `argon2` module (libargon2), the other with our
# kc_argon2.so (libsodium). Not a test: it prints tables.
#
#   top_srcdir=SRC top_builddir=BUILD bash SRC/bench/bench_auth.sh
#
# Configurations (kc-bench-auth runs them interleaved, round by round):
#   (a)   raw libldap against the slapd with Debian's module: search as
#         kcd's service DN + simple bind as the user (ppolicy control),
#         connections kept open
#   (a2)  the same against the slapd with kc_argon2.so
#   (b)   pam_authenticate + pam_acct_mgmt through pam_kundencenter.so and
#         kcd, password only (Debian's module)
#   (b2)  the same through a second kcd against the kc_argon2 slapd
#   (c)   as (b) with emailTAN: kcd writes the TAN into its maildir, the
#         load generator reads it back and answers the TAN prompt
#   (n)   nss-pam-ldapd: pam_ldap.so + nslcd (Debian's, default settings)
#         against the slapd with Debian's module, the same accounts
#   (L)   libsodium's crypto_pwhash_str_verify of the same hashes in the
#         load generator's processes: what argon2 costs with nothing else,
#         the physical limit
#   (b32) as (b), with a kcd that has workers = 32 (concurrency 16 only)
# (a2), (b2) and (L) run at every concurrency, the others not at 2.
# kcd's, slapd's and nslcd's CPU time per login come from their threads'
# run time (/proc/PID/task/*/schedstat) during the measuring window (the
# columns add up the kcds and the two slapds: one of each is idle in a
# run); the load generator's own from its workers' rusage.
#
# Environment: KC_BENCH_CONC (default 1,2,4,16), KC_BENCH_DURATION (s per
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
conc=${KC_BENCH_CONC:-1,2,4,16}
# (a), (b), (c), (n): not at 2 (the goals for 2 are about (b2) and (L))
main_conc=$(tr ',' '\n' <<<"$conc" | grep -vx 2 | paste -sd,)
[[ -n $main_conc ]] || main_conc=$conc

kc_bench_require
kc_slapd_require
if [[ ! -f $KC_BENCH_ARGON2_SO ]]; then
  echo "bench: $KC_BENCH_ARGON2_SO is not built (make bench builds it)" >&2
  exit 1
fi
# The harness slapd with Debian's {ARGON2}; its twin (below) with ours.
export KC_ARGON2_MODULE=argon2
kc_bench_slapd_start || exit 1
work=$(mktemp -d "${TMPDIR:-/tmp}/kc-bench-auth.XXXXXX") || exit 1
chmod 755 "$work"
kc_cleanup_add "rm -rf '$work'"

kc_bench_users pw bp "$npw" "$cost" "$work/pw.users" "$work/pw.hashes" || exit 1
kc_bench_users tan bt "$ntan" "$cost" "$work/tan.users" || exit 1
kc_bench_secret_key "$work/secret.key"
argon2_so=$(cd "$(dirname "$KC_BENCH_ARGON2_SO")" && pwd)/kc_argon2.so
kc_bench_slapd_twin "$argon2_so" || exit 1

# TANs: the resend interval does not apply (each TAN is used before the
# next is asked for); 60 a hour and account is kcd's maximum, so the load
# generator stops using an account at 58. Timeouts: 16 logins at once on
# two cores take longer than kcd's default ldap_timeout (5 s) and the
# module's timeout (10 s); the benchmark measures capacity, so kcd, the
# module and nslcd all get 120 s.
kc_kcd_start "password_hash_upgrade = no" "secret_key_file = $work/secret.key" "tan_resend_interval = 1s" \
  "tan_max_per_hour = 60" "ldap_timeout = 120s" || exit 1

# (b2): a kcd like the first against the kc_argon2 slapd; (b32): a kcd
# with workers = 32 against the first slapd.
kc_bench_kcd_another kcd2_pid "$work/kcd2" "ldap_uri = $KC_BENCH_TWIN_URI" || exit 1
kc_bench_kcd_another kcd32_pid "$work/kcd32" "workers = 32" || exit 1

pamdir=$work/pam.d
mkdir -p "$pamdir"
kc_bench_pam_service "$pamdir/kc-bench" "$KC_KCD_SOCKET"
kc_bench_pam_service "$pamdir/kc-bench2" "$work/kcd2/pam.sock"
kc_bench_pam_service "$pamdir/kc-bench32" "$work/kcd32/pam.sock"

plan=$work/plan
cat >"$plan" <<EOF
a ldap users=$work/pw.users conc=$main_conc desc=raw libldap, slapd with Debian's argon2 module: search as the service DN + simple bind as the user (ppolicy control), connections kept
a2 ldap users=$work/pw.users uri=$KC_BENCH_TWIN_URI desc=as (a), slapd with kc_argon2.so
b pam service=kc-bench users=$work/pw.users conc=$main_conc desc=pam_kundencenter.so + kcd (workers = 16), password only, slapd with Debian's argon2 module
b2 pam service=kc-bench2 users=$work/pw.users desc=as (b), a second kcd, slapd with kc_argon2.so
c pam service=kc-bench users=$work/tan.users max_sends=58 conc=$main_conc desc=pam_kundencenter.so + kcd, emailTAN via maildir, TAN read back from the mail, slapd with Debian's argon2 module
EOF
# the goals of issue 17 first, then the comparisons of the first benchmark
ratios=(--ratio b2:a2)
more=(--ratio b:a --ratio c:a)
if why=$(kc_bench_nslcd_usable); then
  peer=yes
  kc_bench_nslcd_conf "$work/nslcd.conf"
  for f in auth account; do
    echo "$f required $KC_BENCH_PAM_LDAP"
  done >"$pamdir/nslcd-bench"
  echo "n pam service=nslcd-bench users=$work/pw.users conc=$main_conc desc=nss-pam-ldapd $(dpkg-query -W -f='${Version}' nslcd 2>/dev/null): pam_ldap.so + nslcd (threads 5, its default), slapd with Debian's argon2 module" >>"$plan"
  ratios+=(--ratio b2:n)
  more+=(--ratio b:n --ratio n:a)
else
  peer=no
  echo "bench_auth: the nss-pam-ldapd peer is left out: $why"
fi
echo "L verify users=$work/pw.hashes desc=libsodium crypto_pwhash_str_verify of the same hashes in the load generator, one process per concurrent check: the physical limit" >>"$plan"
echo "b32 pam service=kc-bench32 users=$work/pw.users conc=16 desc=as (b), a kcd with workers = 32" >>"$plan"
ratios+=(--ratio b2:L --ratio a2:a --ratio a2:L)
more+=(--ratio b32:a)

echo "## Authentication"
echo
echo "slapd $KC_LDAP_URI with Debian's argon2 module and slapd $KC_BENCH_TWIN_URI" \
  "with kc_argon2.so, the same configuration and data (olcThreads $KC_BENCH_SLAPD_THREADS);" \
  "$(nproc) CPUs; password hashes: $KC_BENCH_HASH_PARAMS ($cost);" \
  "$npw password accounts, $ntan emailTAN accounts; load average at start:" \
  "$(cut -d' ' -f1-3 /proc/loadavg)"
echo

args=(--conc "$conc" --duration "$duration" --warmup "$warmup"
  --rounds "$rounds" --confdir "$pamdir" --maildir "$KC_MAILDIR"
  --ldap-uri "$KC_LDAP_URI" --ldap-base "$KC_LDAP_BASE"
  --bind-dn "$KC_KCD_DN" --bind-pw-file "$KC_KCD_PW_FILE"
  --cpu "kcd=$KC_KCD_PID" --cpu "kcd=$kcd2_pid" --cpu "kcd=$kcd32_pid"
  --cpu "slapd=$KC_SLAPD_PID" --cpu "slapd=$KC_BENCH_TWIN_PID"
  --plan "$plan" "${ratios[@]}" "${more[@]}")
if [[ $peer == yes ]]; then
  kc_bench_in_nslcd_ns "$work/nslcd.conf" "$KC_BENCH_AUTH" "${args[@]}" \
    --cpu "nslcd=@NSLCD_PID@"
else
  "$KC_BENCH_AUTH" "${args[@]}"
fi
rc=$?
echo
echo "kcd: $(kc_bench_threads "$KC_KCD_PID") threads, VmRSS $(kc_bench_rss_kib "$KC_KCD_PID") KiB," \
  "VmHWM $(kc_bench_hwm_kib "$KC_KCD_PID") KiB; slapd VmHWM $(kc_bench_hwm_kib "$KC_SLAPD_PID") KiB" \
  "(Debian's argon2), $(kc_bench_hwm_kib "$KC_BENCH_TWIN_PID") KiB (kc_argon2.so);" \
  "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
# Failed logins are a result (printed above as "errors:"), not a failure
# of the benchmark; anything else is.
if ((rc == 1)); then
  echo "kcd's log, other than successful logins (last 10 lines):"
  grep -Ev 'AUTH (OK|TAN_REQUIRED)|TAN (OK|sent)' "$KC_KCD_LOG" | tail -n 10
  rc=0
fi
exit $rc
