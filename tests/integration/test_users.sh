#!/usr/bin/env bash
# /account/users: the main user (kcRole admin) manages the practice's
# users: list, invite (the registration's activation form makes the
# account with the chosen customers and role), revoke, lock, unlock,
# delete, reset the second factor; the refusals (a user-role account,
# another customer's accounts, itself, the last main user, the pending
# limit, SMTP down). Real slapd, kcd, Maildir, curl, and PAM through the
# built module.
set -u
. "$top_srcdir/tests/lib/slapd.sh"
. "$top_srcdir/tests/lib/kcd.sh"
. "$top_srcdir/tests/lib/pam.sh"
. "$top_srcdir/tests/lib/sinks.sh"
. "$top_srcdir/tests/lib/check.sh"
kc_slapd_require
kc_pam_init
kc_slapd_start || exit 1
work=$(mktemp -d "${TMPDIR:-/tmp}/kc-users.XXXXXX") || exit 1
kc_cleanup_add "rm -rf '$work'"
PY=/usr/bin/python3
KCADM=$top_builddir/kcd/kcadm/kcadm
start() { # extra kcd.conf lines; the same port and socket each time
  kc_kcd_start "sms_transport = file:$work/sms.jsonl" "$@" || exit 1
}
start
K=$KC_KCD_URL
port=$KC_KCD_HTTP_PORT
sock=$KC_KCD_SOCKET
restart() {
  kc_kcd_stop
  start "pam_socket = $sock" "http_listen = 127.0.0.1:$port" "public_url = $K" "$@"
}
kc_pam_service kc-sshd "socket=$sock timeout=30"
kcadm() { "$KCADM" -c "$KC_KCD_CONF" "$@"; }

get() { # JAR URL [curl args] -> $status, $work/body, $work/head
  local jar=$1 url=$2
  shift 2
  status=$(curl -s -b "$jar" -c "$jar" -D "$work/head" -o "$work/body" \
    -w '%{http_code}' "$@" "$url")
}
csrf() { grep -o 'name="csrf" value="[^"]*"' "$work/body" | head -n 1 | sed 's/.*value="//;s/"$//'; }
attr() { # USER ATTR
  kc_ldap_admin ldapsearch -LLL -o ldif-wrap=no -b "ou=accounts,$KC_LDAP_BASE" "(uid=$1)" "$2" |
    sed -n "s/^$2: //p"
}
login() { # JAR USER PASSWORD (an account without a second factor)
  get "$1" "$K/account/login"
  local t
  t=$(csrf)
  get "$1" "$K/account/login" --data-urlencode "csrf=$t" \
    --data-urlencode "username=$2" --data-urlencode "password=$3"
}
token_of() { # JAR: the session's CSRF field, from the JSON of the page
  get "$1" "$K/account/users" -H 'Accept: application/json'
  $PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["csrf"])' "$work/body"
}
act() { # JAR ACTION FIELD VALUE [more curl args]
  local jar=$1 action=$2 field=$3 value=$4
  shift 4
  local t
  t=$(token_of "$jar")
  get "$jar" "$K/account/users" --data-urlencode "csrf=$t" \
    --data-urlencode "action=$action" --data-urlencode "$field=$value" "$@"
}
invite() { # JAR EMAIL [more curl args]
  local jar=$1 addr=$2
  shift 2
  local t
  t=$(token_of "$jar")
  get "$jar" "$K/account/users" --data-urlencode "csrf=$t" \
    --data-urlencode "action=invite" --data-urlencode "email=$addr" "$@"
}
link_to() { # ADDRESS: the activation link of the newest mail to it
  $PY - "$KC_MAILDIR/new" "$1" <<'PYEOF'
import email, email.policy, glob, os, re, sys
for path in sorted(glob.glob(os.path.join(sys.argv[1], "*")), key=os.path.getmtime, reverse=True):
    msg = email.message_from_binary_file(open(path, "rb"), policy=email.policy.strict)
    if sys.argv[2] in str(msg["To"]):
        m = re.search(r"https?://\S+/activate\?token=[A-Za-z0-9_-]+", msg.get_body(("plain",)).get_content())
        if m:
            print(m.group(0))
        break
PYEOF
}
mails_to() { grep -rl "^To: .*$1" "$KC_MAILDIR/new" 2>/dev/null | wc -l; }
activate() { # LINK USERNAME PASSWORD: the activation form, sent
  get "$work/ja" "$1"
  local t
  t=$(csrf)
  get "$work/ja" "${1%%\?*}" --data-urlencode "csrf=$t" --data-urlencode "token=${1##*token=}" \
    --data-urlencode "tan_method=none" --data-urlencode "salutation=Frau" \
    --data-urlencode "first_name=Paula" --data-urlencode "last_name=Praxis" \
    --data-urlencode "email=$(field email)" --data-urlencode "username=$2" \
    --data-urlencode "password=$3" --data-urlencode "password_repeat=$3"
}
field() { grep -o "name=\"$1\" value=\"[^\"]*\"" "$work/body" | head -n 1 | sed 's/.*value="//;s/"$//'; }
jsonq() { $PY -c "import json,sys; d=json.load(open('$work/body')); print($1)"; }

# --- who may see the page
get "$work/j0" "$K/account/users"
kc_check "without a session -> 303 to the login" test "$status" = 303
login "$work/jm" mmuster "$KC_PW_MMUSTER"
kc_check "mmuster (main user of 46075) logs in" test "$status" = 303
get "$work/jm" "$K/account"
kc_check_grep "  the account page links to the user list" 'href="/account/users"' cat "$work/body"
get "$work/jm" "$K/account/users"
kc_check "GET /account/users -> 200" test "$status" = 200
for u in etan mtan gesperrt neukunde; do
  kc_check_grep "  lists $u" "<td>$u</td>" cat "$work/body"
done
kc_check_grep "  gesperrt shows as locked by customer service" \
  '<td>gesperrt</td>.*<td>gesperrt \(Kundenservice\)</td>' cat "$work/body"
kc_check_grep "  and mmuster as (Sie), without actions" '<td>mmuster</td>.*\(Sie\)' cat "$work/body"
get "$work/jm" "$K/account/users" -H 'Accept: application/json'
kc_check "JSON: 5 users of 46075" test "$(jsonq 'len(d["users"])')" = 5
kc_check "  with their roles" test "$(jsonq '[u["role"] for u in d["users"] if u["username"]=="etan"][0]')" = user
get "$work/jm" "$K/account/users?lang=en"
kc_check_grep "the English page" "The practice's users|Invite a colleague" cat "$work/body"
# a user-role account
kc_ldap_admin ldapmodify >/dev/null <<EOF
dn: uid=etan,ou=accounts,$KC_LDAP_BASE
changetype: modify
replace: kcTanMethod
kcTanMethod: none
EOF
login "$work/je" etan "$KC_PW_ETAN"
get "$work/je" "$K/account/users"
kc_check "a user-role account -> 403" test "$status" = 403
get "$work/je" "$K/account"
kc_check_nogrep "  its account page has no link to it" 'href="/account/users"' cat "$work/body"

# --- invite
t=$(token_of "$work/jm")
get "$work/jm" "$K/account/users" --data-urlencode "action=invite" --data-urlencode "email=x@y.example"
kc_check "POST without csrf -> 403" test "$status" = 403
invite "$work/jm" "kein-at-zeichen"
kc_check "a malformed address -> 422" test "$status" = 422
kc_check_grep "  says so" 'gültige Adresse' cat "$work/body"
invite "$work/jm" "e.tan@muster.example"
kc_check "the address of an account of the customer -> 422" test "$status" = 422
kc_check_grep "  says so" 'schon einen Zugang' cat "$work/body"
invite "$work/jm" "neu@praxis.example" --data-urlencode "customer_number=46077"
kc_check "a customer number mmuster does not have -> 422" test "$status" = 422
kc_check_grep "  says so" 'Ihres eigenen Zugangs' cat "$work/body"
invite "$work/jm" "neu@praxis.example" --data-urlencode "role=root"
kc_check "a bad role -> 422" test "$status" = 422
regs() { kc_ldap_admin ldapsearch -LLL -o ldif-wrap=no -b "ou=registrations,$KC_LDAP_BASE" "$@"; }
kc_check "  nothing was written" test -z "$(regs '(mail=neu@praxis.example)' dn)"
invite "$work/je" "neu@praxis.example"
kc_check "a user-role account cannot invite -> 403" test "$status" = 403
n0=$(mails_to neu@praxis.example)
invite "$work/jm" "neu@praxis.example" --data-urlencode "first_name=Paula" \
  --data-urlencode "last_name=Praxis"
kc_check "an invitation -> 200" test "$status" = 200
kc_check_grep "  'Einladung gesendet'" 'Einladung gesendet' cat "$work/body"
kc_check "  a mail to the invitee" test "$(mails_to neu@praxis.example)" -eq $((n0 + 1))
link=$(link_to neu@praxis.example)
kc_check_grep "  with an activation link" '/activate\?token=' echo "$link"
kc_check_grep "  LDAP: an invitation entry, role user, customer 46075, the inviter" \
  'kcCustomerNumber: 46075' regs '(mail=neu@praxis.example)' kcCustomerNumber kcRole kcInvitedBy
kc_check_grep "    kcRole: user" 'kcRole: user' echo "$KC_OUT"
kc_check "    kcInvitedBy is mmuster's entryUUID" \
  grep -q "kcInvitedBy: $(attr mmuster entryUUID)" <<<"$KC_OUT"
kc_check_nogrep "  the token is not stored" "${link##*=}" regs '(mail=neu@praxis.example)'
kc_check_grep "the page lists the open invitation" '<td>neu@praxis.example</td>' cat "$work/body"
kc_check_grep "ACCOUNT ADMIN log line" 'ACCOUNT ADMIN; user=mmuster action=invite target=neu@praxis.example' \
  cat "$KC_KCD_LOG"
invite "$work/jm" "neu@praxis.example"
kc_check "the same address again -> 422 (an invitation is open)" test "$status" = 422
# a self-registration of the customer leaves the invitation alone
get "$work/jr" "$K/register"
rt=$(csrf)
get "$work/jr" "$K/register" --data-urlencode "csrf=$rt" --data-urlencode "customer_number=46075" \
  --data-urlencode "email=praxis@muster.example" --data-urlencode "email_repeat=praxis@muster.example"
sleep 1
kc_check "a registration of 46075 does not void the invitation" \
  test -n "$(regs '(mail=neu@praxis.example)' dn)"

# --- the invitation's link: the activation form, the account it makes
get "$work/ja" "$link"
kc_check "the link opens the activation form" test "$status" = 200
kc_check_grep "  with the invitee's address and names" 'name="email" value="neu@praxis.example"' cat "$work/body"
kc_check_grep "  first name" 'name="first_name" value="Paula"' cat "$work/body"
pw="Praxis-Paula-Passwort-1"
activate "$link" paula "$pw"
kc_check "activated -> 303" test "$status" = 303
kc_check "  paula has role user" test "$(attr paula kcRole)" = user
kc_check "  and customer 46075" test "$(attr paula kcCustomerNumber)" = 46075
kc_check "  the invitation is gone" test -z "$(regs '(mail=neu@praxis.example)' dn)"
kc_check "PAM: paula logs in" kc_pamtest --service kc-sshd --user paula --conv sshd \
  --answer "$pw" --steps auth,acct --expect auth=PAM_SUCCESS --expect acct=PAM_SUCCESS
get "$work/ja" "$link"
kc_check "the used link -> 410" test "$status" = 410

# --- several customers and a main user as invitee
kc_ldap_admin ldapmodify >/dev/null <<EOF
dn: uid=mmuster,ou=accounts,$KC_LDAP_BASE
changetype: modify
add: kcCustomerNumber
kcCustomerNumber: 46077
EOF
invite "$work/jm" "chefin@praxis.example" --data-urlencode "role=admin" \
  --data-urlencode "customer_number=46075, 46077"
kc_check "an invitation as main user for 46075 and 46077 -> 200" test "$status" = 200
activate "$(link_to chefin@praxis.example)" chefin "Chefin-Passwort-2026-x"
kc_check "  activated -> 303" test "$status" = 303
kc_check "  chefin is a main user" test "$(attr chefin kcRole)" = admin
kc_check "  of both customers" test "$(attr chefin kcCustomerNumber | sort | tr '\n' ' ')" = "46075 46077 "

# --- revoke
invite "$work/jm" "weg@praxis.example"
id=$(get "$work/jm" "$K/account/users" -H 'Accept: application/json'; jsonq '[i["invitation"] for i in d["invitations"] if i["email"]=="weg@praxis.example"][0]')
wlink=$(link_to weg@praxis.example)
act "$work/jm" revoke invitation "nicht-da"
kc_check "revoking an unknown invitation -> 404" test "$status" = 404
act "$work/jm" revoke invitation "$id"
kc_check "revoke -> 200" test "$status" = 200
kc_check "  the entry is gone" test -z "$(regs '(mail=weg@praxis.example)' dn)"
get "$work/ja" "$wlink"
kc_check "  its link -> 410" test "$status" = 410

# --- the pending limit
restart "invite_max_pending = 2"
login "$work/jm" mmuster "$KC_PW_MMUSTER"
invite "$work/jm" "eins@praxis.example" --data-urlencode "customer_number=46077"
kc_check "invite_max_pending = 2: the first -> 200" test "$status" = 200
invite "$work/jm" "zwei@praxis.example" --data-urlencode "customer_number=46077"
kc_check "  the second -> 200" test "$status" = 200
invite "$work/jm" "drei@praxis.example" --data-urlencode "customer_number=46077"
kc_check "  the third -> 422" test "$status" = 422
kc_check_grep "  says so" 'Zu viele offene Einladungen' cat "$work/body"
kc_check "  and wrote nothing" test -z "$(regs '(mail=drei@praxis.example)' dn)"

# --- SMTP down while inviting
restart "mail_transport = smtp://127.0.0.1:$(kc_pick_port)"
login "$work/jm" mmuster "$KC_PW_MMUSTER"
invite "$work/jm" "smtp@praxis.example"
kc_check "SMTP down: the invitation -> 503" test "$status" = 503
kc_check_grep "  says it could not be sent" 'nicht gesendet' cat "$work/body"
kc_check "  nothing left in LDAP" test -z "$(regs '(mail=smtp@praxis.example)' dn)"
restart
login "$work/jm" mmuster "$KC_PW_MMUSTER"

# --- lock, unlock, reset the second factor, delete
n0=$(mails_to e.tan@muster.example)
act "$work/jm" lock username etan
kc_check "lock etan -> 200" test "$status" = 200
kc_check "  locked in LDAP" test "$(attr etan pwdAccountLockedTime)" = 000001010000Z
kc_check "  a notice to etan" test "$(mails_to e.tan@muster.example)" -eq $((n0 + 1))
get "$work/je" "$K/account"
kc_check "  etan's session has ended" test "$status" = 303
kc_check "  PAM refuses etan" kc_pamtest --service kc-sshd --user etan --conv sshd \
  --answer "$KC_PW_ETAN" --steps auth --expect auth=PAM_AUTH_ERR
act "$work/jm" unlock username etan
kc_check "unlock etan -> 200" test "$status" = 200
kc_check "  PAM lets etan in again" kc_pamtest --service kc-sshd --user etan --conv sshd \
  --answer "$KC_PW_ETAN" --steps auth --expect auth=PAM_SUCCESS
act "$work/jm" reset-second-factor username mtan
kc_check "reset mtan's second factor -> 200" test "$status" = 200
kc_check "  kcTanMethod none, kcFirstLogin TRUE" \
  test "$(attr mtan kcTanMethod)/$(attr mtan kcFirstLogin)" = none/TRUE
kc_check "  PAM: the password alone, then 'change your details'" \
  kc_pamtest --service kc-sshd --user mtan --conv sshd --answer "$KC_PW_MTAN" \
  --steps auth,acct --expect auth=PAM_SUCCESS --expect acct=PAM_NEW_AUTHTOK_REQD
n0=$(mails_to n.neu@muster.example)
act "$work/jm" delete username neukunde
kc_check "delete neukunde -> 200" test "$status" = 200
kc_check "  gone from LDAP" test -z "$(attr neukunde uid)"
kc_check "  a notice went to its address first" test "$(mails_to n.neu@muster.example)" -eq $((n0 + 1))
kc_check_grep "  logged" 'ACCOUNT ADMIN; user=mmuster action=delete target=neukunde' cat "$KC_KCD_LOG"

# --- a lock by customer service is not the main user's to lift
kcadm account lock etan >/dev/null
get "$work/jm" "$K/account/users"
kc_check_grep "customer service's lock shows as such" 'gesperrt \(Kundenservice\)' cat "$work/body"
act "$work/jm" unlock username etan
kc_check "  the main user cannot unlock it -> 409" test "$status" = 409
kc_check "  still locked" test "$(attr etan pwdAccountLockedTime)" = 000001010000Z
act "$work/jm" lock username etan
kc_check "  nor lock it again (which would make it its own) -> 409" test "$status" = 409
kc_check "  no kcLockedBy" test -z "$(attr etan kcLockedBy)"
kcadm account unlock etan >/dev/null
act "$work/jm" lock username etan
kc_check "a main user's lock names it (kcLockedBy)" test "$(attr etan kcLockedBy)" = mmuster
kcadm account lock etan >/dev/null
kc_check "  kcadm lock takes it over (kcLockedBy gone)" test -z "$(attr etan kcLockedBy)"
kcadm account unlock etan >/dev/null

# --- names that are not the admin's: the same 404 as names that do not exist
kcadm customer add 50001 --email fremd@andere-praxis.example >/dev/null
kcadm account create --customer 50001 --email doc@andere-praxis.example --username fremd >/dev/null
kc_check "another customer's account exists" test "$(attr fremd kcCustomerNumber)" = 50001
act "$work/jm" lock username fremd
kc_check "lock another customer's account -> 404" test "$status" = 404
cp "$work/body" "$work/other.html"
act "$work/jm" lock username gibtesnicht
kc_check "lock a name that does not exist -> 404" test "$status" = 404
kc_check "  the same page" cmp -s "$work/other.html" "$work/body"
kc_check "  fremd is untouched" test -z "$(attr fremd pwdAccountLockedTime)"
get "$work/jm" "$K/account/users"
kc_check_nogrep "  and not listed" '<td>fremd</td>' cat "$work/body"

# --- itself and the last main user
act "$work/jm" delete username mmuster
kc_check "delete itself -> 409" test "$status" = 409
act "$work/jm" lock username mmuster
kc_check "lock itself -> 409" test "$status" = 409
kc_check "  mmuster is untouched" test -z "$(attr mmuster pwdAccountLockedTime)"
# chefin and mmuster are the main users of 46075 and 46077; lock chefin,
# then chefin is not a main user who could act; mmuster stays the last
login "$work/jc" chefin "Chefin-Passwort-2026-x"
act "$work/jm" lock username chefin
kc_check "lock the other main user -> 200 (mmuster is left)" test "$status" = 200
act "$work/jm" unlock username chefin
login "$work/jc" chefin "Chefin-Passwort-2026-x"
kc_check "chefin unlocked logs in" test "$status" = 303
# an invitation dies with its inviter's rights
invite "$work/jc" "von-chefin@praxis.example"
kc_check "chefin invites" test "$status" = 200
clink=$(link_to von-chefin@praxis.example)
invite "$work/jc" "auch-von-chefin@praxis.example"
kcadm account set-role chefin user >/dev/null
activate "$clink" vonchefin "Von-Chefin-Passwort-2026"
kc_check "the inviter is no main user any more: the link -> 410" test "$status" = 410
kc_check "  and no account was made" test -z "$(attr vonchefin uid)"
kcadm account set-role chefin admin >/dev/null
act "$work/jm" lock username chefin
kc_check "locking the inviter -> 200" test "$status" = 200
kc_check "  its open invitations are gone" \
  test -z "$(regs '(mail=auch-von-chefin@praxis.example)' dn)"
act "$work/jm" unlock username chefin
login "$work/jc" chefin "Chefin-Passwort-2026-x"
# both delete each other at once: only one may succeed
tm=$(token_of "$work/jm")
tc=$(token_of "$work/jc")
curl -s -b "$work/jm" -o "$work/rm" -w '%{http_code}' "$K/account/users" \
  --data-urlencode "csrf=$tm" --data-urlencode "action=delete" --data-urlencode "username=chefin" \
  >"$work/sm" &
p1=$!
curl -s -b "$work/jc" -o "$work/rc" -w '%{http_code}' "$K/account/users" \
  --data-urlencode "csrf=$tc" --data-urlencode "action=delete" --data-urlencode "username=mmuster" \
  >"$work/sc" &
p2=$!
wait "$p1" "$p2"
left=$( (attr mmuster uid; attr chefin uid) | wc -l)
echo "# the two deletes answered $(cat "$work/sm") and $(cat "$work/sc")"
kc_check "two main users deleting each other at once: one is left" test "$left" = 1
kc_check "  exactly one request answered 200" \
  test "$( (cat "$work/sm"; echo; cat "$work/sc"; echo) | grep -c '^200$')" = 1
survivor=$( (attr mmuster uid; attr chefin uid) | head -n 1)
kc_check "  the one left is a main user" test "$(attr "$survivor" kcRole)" = admin

kc_check_nogrep "no password or token in kcd's log" \
  "$pw|${link##*=}|$KC_PW_MMUSTER|Chefin-Passwort" cat "$KC_KCD_LOG"
kc_done
