#!/usr/bin/env bash
# bench_fair.sh: is a real user still let in while someone floods kcd with
# wrong passwords? One legitimate user logs in (PAM, through the built
# module, one login after another) alone, then while 16 clients send
# (i) wrong passwords for one account, (ii) wrong passwords for random
# real accounts, (iii) made-up user names. Each flood runs once from
# another uid than the legitimate user (as sshd, root, against a local
# user's flood, uid 65534) and once from the same uid (as behind Apache,
# where every login comes from www-data). Printed: the legitimate user's
# logins, failures, p50 and p99, and p99 as a ratio to alone (the goal
# is at most 2), how many of the attacked accounts ppolicy locked, and
# the flood's rate. Not a test: it judges nothing.
#
#   top_srcdir=SRC top_builddir=BUILD bash SRC/bench/bench_fair.sh
#
# Environment: KC_BENCH_DURATION (s the legitimate user logs in per case,
# default 20), KC_BENCH_SMOKE=1 (3 s, floods (i) and (iii) from another
# uid only).
set -u
: "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
export top_srcdir top_builddir
. "$top_srcdir/bench/lib.sh"

if [[ -n ${KC_BENCH_SMOKE:-} ]]; then
  duration=${KC_BENCH_DURATION:-3} cases="one:other madeup:other" victims=20
else
  duration=${KC_BENCH_DURATION:-20}
  cases="one:other random:other madeup:other one:same random:same madeup:same"
  victims=200
fi
flooders=16
kc_bench_require
kc_slapd_require
kc_bench_slapd_start || exit 1
work=$(mktemp -d "${TMPDIR:-/tmp}/kc-bench-fair.XXXXXX") || exit 1
chmod 755 "$work"
kc_cleanup_add "rm -rf '$work'"
kc_bench_users pw legit 4 real "$work/legit.txt" || exit 1
kc_bench_users pw victim "$victims" real "$work/victims.txt" || exit 1
kc_kcd_start "password_hash_upgrade = no" || exit 1
chmod 755 "$KC_KCD_DIR"
chmod 666 "$KC_KCD_SOCKET"
kc_bench_pam_service "$work/kc-fair" "$KC_KCD_SOCKET"
chmod 644 "$work/kc-fair" "$work"/*.txt
policy=$(kc_ldap_admin ldapsearch -LLL -s base \
  -b "cn=default,ou=policies,$KC_LDAP_BASE" pwdMaxFailure pwdLockout |
  sed -n 's/^\(pwd[A-Za-z]*\): /\1 /p' | paste -sd, | sed 's/,/, /g')

# the floods' user files ("name password"; every one a wrong login)
awk 'NR == 1 { for (i = 0; i < 16; i++) print $1, "Falsch-" i }' \
  "$work/victims.txt" >"$work/flood-one.txt"
awk '{ print $1, "Falsch-" NR }' "$work/victims.txt" | shuf >"$work/flood-random.txt"
for ((i = 1; i <= victims; i++)); do
  printf 'niemand%04d Falsch-%d\n' "$i" "$i"
done >"$work/flood-madeup.txt"
chmod 644 "$work"/flood-*.txt

# run_legit -> the table row of kc-bench-auth for the legitimate user
run_legit() {
  "$KC_BENCH_AUTH" --confdir "$work" --duration "$duration" --warmup 1 \
    --conc 1 --config "l pam users=$work/legit.txt service=kc-fair" \
    >"$work/legit.out" 2>&1
  grep -m1 '^| 1 | l |' "$work/legit.out"
}
field() { awk -F'|' -v f="$2" '{ gsub(/ /, "", $f); print $f }' <<<"$1"; }
# unlock every account (ppolicy's lock of the last case)
unlock_all() {
  kc_ldap_admin ldapsearch -LLL -b "ou=accounts,$KC_LDAP_BASE" \
    '(|(pwdAccountLockedTime=*)(pwdFailureTime=*))' 1.1 2>/dev/null |
    sed -n 's/^dn: //p' | while read -r dn; do
    printf 'dn: %s\nchangetype: modify\nreplace: pwdAccountLockedTime\n-\nreplace: pwdFailureTime\n\n' "$dn"
  done | kc_ldap_admin ldapmodify -c >/dev/null 2>&1
}
locked() {
  kc_ldap_admin ldapsearch -LLL -b "ou=accounts,$KC_LDAP_BASE" \
    '(&(uid=victim*)(pwdAccountLockedTime=*))' 1.1 2>/dev/null | grep -c '^dn:'
}

echo "## Fairness under a password flood"
echo
echo "The legitimate user: one login after another for ${duration} s through" \
  "the module (pam_kundencenter, as root); the floods: $flooders clients," \
  "wrong passwords. ppolicy: ${policy:-none}; $victims attacked accounts in (ii)."
echo
alone=$(run_legit)
a99=$(field "$alone" 11)
echo "| case | flood from | legit logins | legit failed | p50 ms | p99 ms | p99 / alone | accounts locked | flood logins/s |"
echo "|---|---|---:|---:|---:|---:|---:|---:|---:|"
printf '| alone | - | %s | %s | %s | %s | 1.00 | - | - |\n' \
  "$(field "$alone" 5)" "$(field "$alone" 6)" "$(field "$alone" 9)" "$a99"
for c in $cases; do
  kind=${c%:*} who=${c#*:}
  unlock_all
  run=()
  [[ $who == other ]] && run=(setpriv --reuid=65534 --regid=65534 --clear-groups)
  "${run[@]}" "$KC_BENCH_AUTH" --confdir "$work" --duration $((duration + 6)) \
    --warmup 1 --conc "$flooders" \
    --config "f pam users=$work/flood-$kind.txt service=kc-fair expect=fail" \
    >"$work/flood.out" 2>&1 &
  fpid=$!
  sleep 3
  row=$(run_legit)
  wait "$fpid"
  frow=$(grep -m1 '^| 16 | f |' "$work/flood.out")
  r99=$(field "$row" 11)
  case $kind in
    one) label="(i) one account" ;;
    random) label="(ii) random real accounts" ;;
    *) label="(iii) made-up names" ;;
  esac
  printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' "$label" \
    "$([[ $who == other ]] && echo "another uid" || echo "the same uid")" \
    "$(field "$row" 5)" "$(field "$row" 6)" "$(field "$row" 9)" "$r99" \
    "$(awk -v a="$a99" -v b="$r99" 'BEGIN { if (a > 0) printf "%.2f", b / a; else print "-" }')" \
    "$([[ $kind == madeup ]] && echo - || locked)" \
    "$(field "$frow" 8)"
done
echo
echo "(flood logins/s: the flood's refused logins per second of its window;" \
  "accounts locked: attacked accounts with pwdAccountLockedTime after the case)"
