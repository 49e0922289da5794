#!/usr/bin/env bash
# soak.sh: kcd under mixed load for a long time, to see whether anything
# grows: PAM logins without and with emailTAN (kc-bench-auth), web
# registrations and activations (curl, through trusted_proxies with a new
# client address each time), web GETs, and a kcadm customer import at
# every sampling interval. kcd's RSS (the least of five readings 0.2 s
# apart, so that an activation's 64 MiB of argon2 in flight does not
# count), descriptors and threads are sampled at every interval; printed: the samples, the slope of each (least squares over
# the samples after the first, per minute), and every error. Not a test,
# and not in `make bench`: it runs for 30 minutes.
#
#   top_srcdir=SRC top_builddir=BUILD bash SRC/bench/soak.sh
#
# Environment: KC_SOAK_SECONDS (default 1800), KC_SOAK_INTERVAL (s between
# samples, default 60), KC_SOAK_CUSTOMERS (rows of the import, default
# 20000).
set -u
: "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
export top_srcdir top_builddir
. "$top_srcdir/bench/lib.sh"

total=${KC_SOAK_SECONDS:-1800}
interval=${KC_SOAK_INTERVAL:-60}
kcadm=$top_builddir/kcd/kcadm/kcadm
kc_bench_require
kc_slapd_require
kc_bench_slapd_start || exit 1
work=$(mktemp -d "${TMPDIR:-/tmp}/kc-soak.XXXXXX") || exit 1
kc_cleanup_add "rm -rf '$work'"
kc_bench_users pw soakpw 8 cheap "$work/pw.txt" || exit 1
# 256 accounts with emailTAN; their logins are paced (pam_loop) below
# kcd's tan_max_per_hour = 60 for each
kc_bench_users tan soaktan 256 cheap "$work/tan.txt" || exit 1
kc_kcd_start "password_hash_upgrade = no" "captcha = none" \
  "trusted_proxies = 127.0.0.1" "tan_max_per_hour = 60" \
  "tan_resend_interval = 1s" || exit 1
kc_bench_pam_service "$work/kc-soak" "$KC_KCD_SOCKET"
kc_bench_kcadm_conf "$work/kcadm.conf"
customers=${KC_SOAK_CUSTOMERS:-20000}
kc_bench_customers_csv "$customers" >"$work/a.csv"
kc_bench_customers_csv "$customers" 10 >"$work/b.csv"
"$kcadm" -c "$work/kcadm.conf" customer import "$work/a.csv" >/dev/null || exit 1
pids=()
kc_cleanup_add 'kill "${pids[@]}" 2>/dev/null'
end=$((SECONDS + total))

# PAM logins for the whole run: kc-bench-auth one interval at a time (one
# run records at most 131,072 logins a client, which the plain logins
# reach in about 10 minutes). The rounds' counts add up in
# $work/NAME.count as "ok errors"; a round without a result goes to
# $work/pam.err. With a COUNT, a round makes that many logins, for the
# next COUNT users of USERS in turn, and waits for the rest of its
# interval; 0: as many as fit, all users. In CONFIG, @USERS@ becomes the
# round's users file. kc-bench-auth reads the TAN from the maildir.
pam_loop() { # NAME COUNT USERS CONFIG ARGS...
  local name=$1 count=$2 users=$3 config=$4 row ok=0 err=0 o e d t off=0 n
  shift 4
  n=$(wc -l <"$users")
  echo "0 0" >"$work/$name.count"
  while ((SECONDS < end)); do
    d=$((end - SECONDS < interval ? end - SECONDS : interval))
    ((d > 0)) || break
    t=$((SECONDS + d))
    if ((count > 0)); then
      { tail -n +$((off + 1)) "$users"; head -n "$off" "$users"; } >"$work/$name.users"
      off=$(((off + count) % n))
      "$KC_BENCH_AUTH" --confdir "$work" --count "$count" --warmup 0 "$@" \
        --config "${config//@USERS@/$work/$name.users}" >"$work/$name.out" 2>&1
    else
      "$KC_BENCH_AUTH" --confdir "$work" --duration "$d" --warmup 0 "$@" \
        --config "${config//@USERS@/$users}" >"$work/$name.out" 2>&1
    fi
    row=$(grep -m1 '^| [12] | [pt] |' "$work/$name.out")
    if [[ -z $row ]]; then
      echo "$name: $(tail -n 1 "$work/$name.out")" >>"$work/pam.err"
      sleep 1
      continue
    fi
    read -r o e < <(awk -F'|' '{gsub(/ /, ""); print $5, $6}' <<<"$row")
    ok=$((ok + o)) err=$((err + e))
    echo "$ok $err" >"$work/$name.count"
    ((SECONDS < t)) && sleep $((t - SECONDS))
  done
}
pam_loop pam-pw 0 "$work/pw.txt" "p pam users=@USERS@ service=kc-soak" --conc 2 &
pids+=($!)
# TAN logins: 128 a minute, so each of the 256 accounts logs in every two
# minutes, 30 an hour, half kcd's tan_max_per_hour
pam_loop pam-tan $((interval * 128 / 60 > 0 ? interval * 128 / 60 : 1)) "$work/tan.txt" \
  "t pam users=@USERS@ service=kc-soak max_sends=60" --maildir "$KC_MAILDIR" --conc 1 &
pids+=($!)

# mail_link ADDRESS: the activation link of the newest mail to ADDRESS
# (the body decoded: quoted-printable may break a long line)
mail_link() {
  /usr/bin/python3 - "$KC_MAILDIR/new" "$1" <<'PY'
import email, email.policy, glob, os, re, sys
best = None
for path in glob.glob(os.path.join(sys.argv[1], "*")):
    try:
        msg = email.message_from_binary_file(open(path, "rb"), policy=email.policy.default)
    except OSError:
        continue
    if msg["To"] != sys.argv[2]:
        continue
    m = re.search(r"activate\?token=[A-Za-z0-9_-]+", msg.get_body(("plain",)).get_content())
    if m and (best is None or os.path.getmtime(path) > best[0]):
        best = (os.path.getmtime(path), m.group(0))
print(best[1] if best else "")
PY
}

# the web: register, activate, a few GETs; errors into web.err
web_loop() {
  local i=0 c jar=$work/jar ip csrf link tok st
  while ((SECONDS < end)); do
    i=$((i + 1))
    ip=10.$((i / 65536 % 256)).$((i / 256 % 256)).$((i % 256))
    # a customer whose address the import loop leaves alone (b.csv
    # changes every 10th, which then rightly gets no mail)
    c=$((i % customers))
    ((c % 10 == 0)) && c=$((c + 1))
    rm -f "$jar"
    curl -s -c "$jar" -H "X-Forwarded-For: $ip" -o "$work/f" "$KC_KCD_URL/register"
    csrf=$(grep -o 'name="csrf" value="[^"]*"' "$work/f" | sed 's/.*value="//;s/"$//')
    st=$(curl -s -b "$jar" -c "$jar" -H "X-Forwarded-For: $ip" -o /dev/null -w '%{http_code}' \
      --data-urlencode "csrf=$csrf" --data-urlencode "customer_number=$((1000000 + c))" \
      --data-urlencode "email=praxis$c@kunden.example" \
      --data-urlencode "email_repeat=praxis$c@kunden.example" \
      "$KC_KCD_URL/register")
    [[ $st == 200 ]] || echo "register $i: $st" >>"$work/web.err"
    link=
    for ((k = 0; k < 50; k++)); do
      link=$(mail_link "praxis$c@kunden.example")
      [[ -n $link ]] && break
      sleep 0.1
    done
    if [[ -z $link ]]; then
      echo "register $i: no activation mail" >>"$work/web.err"
      continue
    fi
    tok=${link#*token=}
    curl -s -c "$jar" -b "$jar" -H "X-Forwarded-For: $ip" -o "$work/a" "$KC_KCD_URL/activate?token=$tok"
    csrf=$(grep -o 'name="csrf" value="[^"]*"' "$work/a" | sed 's/.*value="//;s/"$//')
    st=$(curl -s -b "$jar" -c "$jar" -H "X-Forwarded-For: $ip" -o /dev/null -w '%{http_code}' \
      --data-urlencode "csrf=$csrf" --data-urlencode "token=$tok" \
      --data-urlencode "tan_method=none" --data-urlencode "salutation=Frau" \
      --data-urlencode "first_name=Sina" --data-urlencode "last_name=Soak" \
      --data-urlencode "email=soak$i@kunden.example" --data-urlencode "username=soak$i" \
      --data-urlencode "password=Dauerlauf-Passwort-$i" \
      --data-urlencode "password_repeat=Dauerlauf-Passwort-$i" "$KC_KCD_URL/activate")
    [[ $st == 303 ]] || echo "activate $i: $st" >>"$work/web.err"
    rm -f "$KC_MAILDIR"/new/* 2>/dev/null
    for p in /register /account/login /healthz "/register?lang=en"; do
      st=$(curl -s -H "X-Forwarded-For: $ip" -o /dev/null -w '%{http_code}' "$KC_KCD_URL$p")
      [[ $st == 200 ]] || echo "GET $p: $st" >>"$work/web.err"
    done
    echo "$i" >"$work/web.count"
  done
}
web_loop &
pids+=($!)
import_loop() {
  local k=0
  while ((SECONDS < end)); do
    k=$((k + 1))
    "$kcadm" -c "$work/kcadm.conf" customer import "$work/$([[ $((k % 2)) == 0 ]] && echo a || echo b).csv" \
      >/dev/null 2>>"$work/import.err" || echo "import $k failed" >>"$work/import.err"
    echo "$k" >"$work/import.count"
    sleep "$interval"
  done
}
import_loop &
pids+=($!)

# kcd's RSS without the argon2 work of an activation in flight (64 MiB
# for a fraction of a second): the least of five readings 0.2 s apart
steady_rss() {
  local k v min=
  for ((k = 0; k < 5; k++)); do
    v=$(kc_bench_rss_kib "$KC_KCD_PID")
    [[ -z $min || $v -lt $min ]] && min=$v
    sleep 0.2
  done
  echo "$min"
}

echo "## Soak: ${total} s of mixed load"
echo
echo "| t s | kcd RSS KiB | fds | threads | PAM logins | with TAN | web rounds | imports |"
echo "|---:|---:|---:|---:|---:|---:|---:|---:|"
t0=$SECONDS
: >"$work/samples"
while :; do
  t=$((SECONDS - t0))
  line="$t $(steady_rss) $(kc_bench_fds "$KC_KCD_PID") $(kc_bench_threads "$KC_KCD_PID")"
  echo "$line" >>"$work/samples"
  read -r a b c d <<<"$line"
  printf '| %s | %s | %s | %s | %s | %s | %s | %s |\n' "$a" "$b" "$c" "$d" \
    "$(cut -d' ' -f1 "$work/pam-pw.count" 2>/dev/null || echo 0)" \
    "$(cut -d' ' -f1 "$work/pam-tan.count" 2>/dev/null || echo 0)" \
    "$(cat "$work/web.count" 2>/dev/null || echo 0)" "$(cat "$work/import.count" 2>/dev/null || echo 0)"
  ((SECONDS >= end)) && break
  sleep "$interval"
done
for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
pids=()
echo
# slope per minute of column 2..4 over the samples after the first
awk 'NR > 1 { n++; x = $1 / 60; sx += x; sxx += x * x
       for (c = 2; c <= 4; c++) { sy[c] += $c; sxy[c] += x * $c } }
     END { d = n * sxx - sx * sx
       if (n < 2 || d == 0) { print "slope: too few samples"; exit }
       printf "slope per minute (least squares, samples after the first): RSS %+.1f KiB, fds %+.2f, threads %+.2f\n",
         (n * sxy[2] - sx * sy[2]) / d, (n * sxy[3] - sx * sy[3]) / d, (n * sxy[4] - sx * sy[4]) / d }' \
  "$work/samples"
for f in pam-pw pam-tan; do
  read -r ok err <"$work/$f.count"
  echo "PAM logins ($f): ok $ok, errors $err"
done
[[ -s $work/pam.err ]] && { echo "PAM rounds without a result (first 5):"; head -n 5 "$work/pam.err"; }
echo "web rounds (register, activate, 4 GETs): $(cat "$work/web.count" 2>/dev/null || echo 0)," \
  "errors: $(cat "$work/web.err" 2>/dev/null | wc -l)"
echo "kcadm imports of $customers rows: $(cat "$work/import.count" 2>/dev/null || echo 0)," \
  "errors: $(cat "$work/import.err" 2>/dev/null | grep -c failed)"
[[ -s $work/web.err ]] && { echo "web errors (first 5):"; head -n 5 "$work/web.err"; }
echo "kcd's log: $(grep -ciE 'error|fail' "$KC_KCD_LOG") lines with error or fail"
