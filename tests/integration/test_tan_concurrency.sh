#!/usr/bin/env bash
# TAN counters under concurrency, on kcd's PAM socket (issue 12, finding
# 2): a try is counted before it is compared, with a conditional modify
# that is retried when another request changed the state, so N parallel
# guesses cost N tries; and of parallel logins only one sends a TAN.
#   1. AUTH, then 8 wrong answers at once, then the right TAN: refused
#      (tan_max_tries 3), and kcTanTries went up for every counted one
#   2. a wrong TAN appended in tan=inline counts on the state after the
#      password bind, the same way
#   3. 4 parallel AUTHs that each would send a new TAN: one mail, one
#      challenge, and that TAN works
set -u
. "$top_srcdir/tests/lib/slapd.sh"
. "$top_srcdir/tests/lib/kcd.sh"
. "$top_srcdir/tests/lib/sinks.sh"
. "$top_srcdir/tests/lib/check.sh"
kc_slapd_require
kc_slapd_start || exit 1
work=$(mktemp -d "${TMPDIR:-/tmp}/kc-tanrace.XXXXXX") || exit 1
kc_cleanup_add "rm -rf '$work'"
head -c 48 /dev/urandom | base64 >"$work/secret.key"
chmod 600 "$work/secret.key"
# kcd's workers open their LDAP connections when first used, each with a
# service bind that costs an argon2 verification in slapd; parallel first
# binds finish far apart and would spread the requests out again. A cheap
# hash for the service DN (in this private slapd only) keeps them close.
kc_ldap_admin ldapmodify >/dev/null <<EOF || exit 1
dn: $KC_KCD_DN
changetype: modify
replace: userPassword
userPassword: $(/usr/sbin/slappasswd -h '{SSHA}' -T "$KC_KCD_PW_FILE")
EOF
# 32 workers: one account name may use a quarter of them, so 8 requests
# for one account really run side by side
kc_kcd_start "secret_key_file = $work/secret.key" "workers = 32" \
  "tan_max_tries = 3" "tan_resend_interval = 1s" || exit 1

# The driver sends n requests on n connections while slapd is stopped
# (SIGSTOP), so that each kcd worker has read nothing yet when slapd goes
# on (SIGCONT): the requests meet in the directory as closely as they
# can. The pause only sharpens the race; what the checks assert holds
# however the requests interleave.
race() { # MODE: run the Python race driver, print its lines
  PYTHONPATH=$top_srcdir/tests/tools "$KC_PY" - "$KC_KCD_SOCKET" "$1" \
    "$KC_PW_ETAN" "$KC_SLAPD_PID" <<'PY'
import os, signal, sys, time
import kcproto as k

path, mode, pw, slapd = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])

def parallel(n, make):
    """n requests on n connections, meeting at a stopped slapd."""
    conns = [k.connect(path, timeout=60) for _ in range(n)]
    os.kill(slapd, signal.SIGSTOP)
    try:
        for i, c in enumerate(conns):
            c.sendall(make(i))
        time.sleep(0.5)
    finally:
        os.kill(slapd, signal.SIGCONT)
    out = [k.read_reply(c) for c in conns]
    for c in conns:
        c.close()
    return out

if mode == "auth":
    r = k.call(path, k.auth("etan", pw), timeout=60)
    print(r[2], r[4])
elif mode.startswith("wrong:"):
    _, challenge, bad = mode.split(":")
    rs = parallel(8, lambda i: k.tan("etan", challenge, bad))
    print(" ".join(sorted(r[2] for r in rs)))
elif mode.startswith("right:"):
    _, challenge, good = mode.split(":")
    print(k.call(path, k.tan("etan", challenge, good), timeout=60)[2])
elif mode.startswith("inline:"):
    _, bad = mode.split(":")
    rs = parallel(4, lambda i: k.auth("etan", pw + bad, flags=1))
    print(" ".join(sorted(r[2] for r in rs)))
elif mode == "auths":
    rs = parallel(4, lambda i: k.auth("etan", pw))
    print(" ".join(sorted(set(r[2] for r in rs))), len(set(r[4] for r in rs)),
          rs[0][4])
PY
}
mails() { kc_count_mail "$KC_MAILDIR"; }
tries() {
  kc_ldap_admin ldapsearch -LLL -b "uid=etan,ou=accounts,$KC_LDAP_BASE" \
    -s base kcTanTries | sed -n 's/^kcTanTries: //p'
}
shift_digits() { tr 0123456789 1234567890; }

# --- 1. eight parallel wrong answers, then the right one
read -r res c1 <<<"$(race auth)"
kc_check "AUTH sends a TAN" test "$res" = TAN_REQUIRED
tan1=$(kc_tan_from mail "$KC_MAILDIR")
bad1=$(echo "$tan1" | shift_digits)
answers=$(race "wrong:$c1:$bad1")
kc_check_grep "8 parallel wrong answers: 2 wrong, then used up" \
  '^AUTH_ERR AUTH_ERR MAXTRIES MAXTRIES MAXTRIES MAXTRIES MAXTRIES MAXTRIES$' \
  echo "$answers"
kc_check "  and kcTanTries is 3: every compared answer was counted" \
  test "$(tries)" = 3
kc_check "then the right TAN is refused (tan_max_tries 3)" \
  test "$(race "right:$c1:$tan1")" = MAXTRIES

# --- 2. tan=inline: the same with the TAN appended to the password
sleep 1.1 # the cooldown (1s) of the TAN above
read -r res c2 <<<"$(race auth)"
kc_check "AUTH sends a new TAN" test "$res:$(tries)" = TAN_REQUIRED:0
tan2=$(kc_tan_from mail "$KC_MAILDIR")
bad2=$(echo "$tan2" | shift_digits)
answers=$(race "inline:$bad2")
kc_check_grep "4 parallel inline logins with a wrong TAN: none passes" \
  '^(AUTH_ERR |MAXTRIES |TAN_REQUIRED )*(AUTH_ERR|MAXTRIES|TAN_REQUIRED)$' \
  echo "$answers"
kc_check "  and at most 3 of them were compared" test "$(tries)" = 3
kc_check "then the right TAN is refused" \
  test "$(race "right:$c2:$tan2")" = MAXTRIES

# --- 3. parallel logins send one TAN. The binds of parallel logins take
# a while (argon2 in slapd), and a login that decides after the cooldown
# may rightly send again: a cooldown longer than any of them. The TAN
# above is used up, so the first login sends at once all the same.
kc_kcd_stop
kc_kcd_start "secret_key_file = $work/secret.key" "workers = 32" \
  "tan_max_tries = 3" "tan_resend_interval = 60s" || exit 1
n0=$(mails)
read -r results nchallenges c3 <<<"$(race auths)"
kc_check "4 parallel AUTHs: all TAN_REQUIRED" test "$results" = TAN_REQUIRED
kc_check "  with one challenge" test "$nchallenges" = 1
kc_check "  and one mail" test "$(mails)" -eq $((n0 + 1))
tan3=$(kc_tan_from mail "$KC_MAILDIR")
kc_check "that TAN works" test "$(race "right:$c3:$tan3")" = OK
kc_check_nogrep "kcd's log holds no TAN" "$tan1|$tan2|$tan3" cat "$KC_KCD_LOG"
kc_done
