#!/usr/bin/env bash
# Self-registration and activation through kcd's web front with curl,
# against the private slapd, mail into a Maildir: register, read the
# mail, activate, then log in through the built module and real libpam.
# Also: the same answer for match and mismatch, CSRF, form errors kept,
# double submit, an expired and an unknown link, JSON answers, headers.
set -u
. "$top_srcdir/tests/lib/slapd.sh"
. "$top_srcdir/tests/lib/kcd.sh"
. "$top_srcdir/tests/lib/pam.sh"
. "$top_srcdir/tests/lib/check.sh"
kc_slapd_require
command -v curl >/dev/null || { echo "SKIP: curl not installed"; exit 77; }
kc_pam_init
kc_slapd_start || exit 1
kc_kcd_start "activation_ttl = 1h" || exit 1
kc_pam_service kc-sshd "socket=$KC_KCD_SOCKET timeout=30"
work=$KC_PAM_TMP
jar=$work/cookies
U=$KC_KCD_URL
PY=/usr/bin/python3

# get PATH [curl args] -> $status, body in $work/body, headers in $work/head
get() {
  local path=$1
  shift
  status=$(curl -s -b "$jar" -c "$jar" -D "$work/head" -o "$work/body" \
    -w '%{http_code}' "$@" "$U$path")
}
csrf() { grep -o 'name="csrf" value="[^"]*"' "$work/body" | sed 's/.*value="//;s/"$//'; }
mails() { find "$KC_MAILDIR/new" -type f | wc -l; }
wait_mails() { # N: wait until N mails are there (the mail goes out after the answer)
  local i
  for ((i = 0; i < 50; i++)); do
    (($(mails) >= $1)) && return 0
    sleep 0.1
  done
  return 1
}
link_from_mail() { # newest mail -> the activation link
  $PY - "$KC_MAILDIR/new" <<'PY'
import email, email.policy, glob, os, re, sys
path = max(glob.glob(os.path.join(sys.argv[1], "*")), key=os.path.getmtime)
msg = email.message_from_binary_file(open(path, "rb"), policy=email.policy.strict)
assert msg["Subject"] == "Ihre Registrierung im Kundencenter", msg["Subject"]
text = msg.get_body(("plain",)).get_content()
print(re.search(r"https?://\S+/activate\?token=[A-Za-z0-9_-]+", text).group(0))
PY
}
register() { # NUMBER EMAIL [REPEAT] -> $status
  get /register
  local token
  token=$(csrf)
  get /register --data-urlencode "csrf=$token" \
    --data-urlencode "customer_number=$1" --data-urlencode "email=$2" \
    --data-urlencode "email_repeat=${3:-$2}"
}

# --- the form
get /register
kc_check "GET /register: 200" test "$status" = 200
kc_check_grep "German form with every field of the seed" \
  'Kundennummer.*E-Mail-Adresse.*E-Mail-Adresse wiederholen' tr -d '\n' <"$work/body"
kc_check_grep "security headers: CSP, no framing, no-referrer, no-store" \
  "Content-Security-Policy: default-src 'none'" cat "$work/head"
kc_check_grep "  X-Frame-Options DENY" 'X-Frame-Options: DENY' cat "$work/head"
kc_check_grep "  Referrer-Policy" 'Referrer-Policy: no-referrer' cat "$work/head"
kc_check_grep "  Cache-Control: no-store on the form" 'Cache-Control: no-store' cat "$work/head"
get "/register?lang=en"
kc_check_grep "English with ?lang=en" 'Customer number' cat "$work/body"
get /register -H 'Accept-Language: en-GB,en;q=0.8'
kc_check_grep "English with Accept-Language" 'Customer number' cat "$work/body"

# --- CSRF: a POST without the token is refused
get /register --data "customer_number=46075&email=a@b.example&email_repeat=a@b.example"
kc_check "POST without csrf -> 403" test "$status" = 403

# --- form errors: shown next to the field, input kept
register 46075 praxis@muster.example other@muster.example
kc_check "addresses differ -> 422" test "$status" = 422
kc_check_grep "  the error is next to the field" 'id="email_repeat-error"' cat "$work/body"
kc_check_grep "  the input is kept" 'value="praxis@muster.example"' cat "$work/body"
register 46O75 praxis@muster.example
kc_check "malformed customer number -> 422" test "$status" = 422

# --- no enumeration: match and mismatch answer alike, only a match mails
n0=$(mails)
register 99999 praxis@muster.example
s_nomatch=$status
cp "$work/body" "$work/body.nomatch"
register 46077 falsch@muster.example
s_wrongmail=$status
cp "$work/body" "$work/body.wrongmail"
sleep 0.5
kc_check "no mail for an unknown number or a wrong address" test "$(mails)" -eq "$n0"
register 46075 Praxis@Muster.example
kc_check "match, mismatch and wrong address: the same status" \
  test "$status:$s_nomatch:$s_wrongmail" = "200:200:200"
kc_check "  and the same body" cmp -s "$work/body" "$work/body.nomatch"
kc_check "  (also for a known number with another address)" \
  cmp -s "$work/body" "$work/body.wrongmail"
kc_check "the match mails the master-data address" wait_mails $((n0 + 1))
link=$(link_from_mail)
kc_check_grep "the mail carries public_url/activate?token=..." "^$U/activate\?token=" echo "$link"
kc_check_grep "the mail went to the master-data address" '^To: praxis@muster.example' \
  cat "$(ls -t "$KC_MAILDIR"/new/* | head -n 1)"

# --- a newer registration voids the older link
register 46075 praxis@muster.example
wait_mails $((n0 + 2))
link2=$(link_from_mail)
get "${link#"$U"}"
kc_check "the older link is void after a newer registration -> 410" test "$status" = 410
kc_check_grep "  with a way to register again" 'href="/register"' cat "$work/body"

# --- activation
get "${link2#"$U"}"
kc_check "GET /activate with the link -> 200" test "$status" = 200
kc_check_grep "the form has every field of the seed" \
  'keine TAN.*emailTAN.*mTAN.*Anrede.*Vorname.*Nachname.*Mobiltelefon.*E-Mail-Adresse.*Benutzername.*Passwort.*Passwort wiederholen' \
  tr -d '\n' <"$work/body"
kc_check_grep "  with the hint that mTAN protects patient data best" 'mTAN-Verfahren' cat "$work/body"
token=${link2##*token=}
ctoken=$(csrf)
activate() { # extra curl args
  get /activate --data-urlencode "csrf=$ctoken" --data-urlencode "token=$token" \
    --data-urlencode "tan_method=none" --data-urlencode "salutation=Herr" \
    --data-urlencode "first_name=Max" --data-urlencode "last_name=Müster" \
    --data-urlencode "email=m.muster@muster.example" \
    --data-urlencode "username=MMuster2" "$@"
}
activate --data-urlencode "password=passwort2024" --data-urlencode "password_repeat=passwort2024"
kc_check "a common password is refused -> 422" test "$status" = 422
kc_check_grep "  with a clear message" 'zu verbreitet' cat "$work/body"
kc_check_nogrep "  and the password is not echoed" 'passwort2024' cat "$work/body"
activate --data-urlencode "password=kurz-1" --data-urlencode "password_repeat=kurz-1"
kc_check_grep "a short password is refused" 'zu kurz' cat "$work/body"
get /activate --data-urlencode "csrf=$ctoken" --data-urlencode "token=$token" \
  --data-urlencode "tan_method=mtan" --data-urlencode "salutation=Herr" \
  --data-urlencode "first_name=Max" --data-urlencode "last_name=Muster" \
  --data-urlencode "email=m.muster@muster.example" --data-urlencode "username=MMuster2" \
  --data-urlencode "password=Ein-langes-Passwort-77" --data-urlencode "password_repeat=Ein-langes-Passwort-77"
kc_check_grep "mTAN without a mobile number is refused" 'Mobilnummer' cat "$work/body"
get /activate --data-urlencode "csrf=$ctoken" --data-urlencode "token=$token" \
  --data-urlencode "tan_method=none" --data-urlencode "salutation=Herr" \
  --data-urlencode "first_name=Max" --data-urlencode "last_name=Muster" \
  --data-urlencode "email=m.muster@muster.example" --data-urlencode "username=mmuster" \
  --data-urlencode "password=Ein-langes-Passwort-77" --data-urlencode "password_repeat=Ein-langes-Passwort-77"
kc_check_grep "a taken user name is refused" 'bereits vergeben' cat "$work/body"

# double submit: two at once, one account
pw="Sonnenblumen-Feld-am-See"
pids=()
for i in 1 2; do
  curl -s -b "$jar" -o "$work/double$i" -w '%{http_code}\n' "$U/activate" \
    --data-urlencode "csrf=$ctoken" --data-urlencode "token=$token" \
    --data-urlencode "tan_method=none" --data-urlencode "salutation=Frau" \
    --data-urlencode "first_name=Erika" --data-urlencode "last_name=Müster" \
    --data-urlencode "mobile=0177 - 1234567" \
    --data-urlencode "email=e.muster@muster.example" \
    --data-urlencode "username=EMuster$i" --data-urlencode "password=$pw" \
    --data-urlencode "password_repeat=$pw" >"$work/double$i.status" &
  pids+=($!)
done
wait "${pids[@]}"
codes=$(cat "$work"/double1.status "$work"/double2.status | sort | tr "\n" " ")
echo "# double submit answered: $codes"
kc_check "double submit: one 303, one 410" test "$codes" = "303 410 "
accounts=$(kc_ldap_admin ldapsearch -LLL -b "ou=accounts,$KC_LDAP_BASE" '(sn=Müster)' uid | grep -c '^uid:')
kc_check "  and exactly one account" test "$accounts" = 1
user=$(kc_ldap_admin ldapsearch -LLL -b "ou=accounts,$KC_LDAP_BASE" '(sn=Müster)' uid | sed -n 's/^uid: //p')
kc_check_grep "the account: role admin, customer, TAN method, E.164 mobile, argon2id" \
  'kcRole: admin' kc_ldap_admin ldapsearch -LLL -b "uid=$user,ou=accounts,$KC_LDAP_BASE" \
  -s base kcRole kcCustomerNumber kcTanMethod mobile
kc_check_grep "  mobile normalised" 'mobile: \+491771234567' echo "$KC_OUT"
kc_check_grep "  password stored as {ARGON2}\$argon2id" '^userPassword:: ' \
  kc_ldap_admin ldapsearch -LLL -b "uid=$user,ou=accounts,$KC_LDAP_BASE" -s base userPassword
kc_check "  the registration is gone" test "$(kc_ldap_admin ldapsearch -LLL \
  -b "ou=registrations,$KC_LDAP_BASE" '(objectClass=kcRegistration)' dn | grep -c '^dn:')" = 0
grep -h '^Location:' "$work"/double? >/dev/null 2>&1 || true
kc_check "the used link -> 410" bash -c "curl -s -o /dev/null -w '%{http_code}' '$link2' | grep -qx 410"

# --- the new account logs in through PAM
kc_check "the activated account logs in via PAM" \
  kc_pamtest --service kc-sshd --user "$user" --conv sshd --answer "$pw" \
  --steps auth,acct --expect auth=PAM_SUCCESS,acct=PAM_SUCCESS

# --- an expired link -> 410
register 46077 praxis2@muster.example
kc_ldap_admin ldapmodify >/dev/null <<EOF2
dn: kcCustomerNumber=46077,ou=customers,$KC_LDAP_BASE
changetype: modify
replace: mail
mail: praxis2@muster.example
EOF2
sleep 1.2 # per-customer limit is per number: use the other customer
register 46077 praxis2@muster.example
n=$(mails)
wait_mails "$n"
sleep 0.5
link3=$(link_from_mail)
regdn=$(kc_ldap_admin ldapsearch -LLL -b "ou=registrations,$KC_LDAP_BASE" \
  '(kcCustomerNumber=46077)' dn | sed -n 's/^dn: //p' | head -n 1)
kc_ldap_admin ldapmodify >/dev/null <<EOF2
dn: $regdn
changetype: modify
replace: kcExpires
kcExpires: 20200101000000Z
EOF2
get "${link3#"$U"}"
kc_check "an expired link -> 410" test "$status" = 410
get "/activate?token=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
kc_check "an unknown link -> 410" test "$status" = 410

# --- JSON
get /register -H 'Accept: application/json'
kc_check "GET /register as JSON" $PY -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["csrf"] and "customer_number" in d["fields"]' "$work/body"
jcsrf=$($PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["csrf"])' "$work/body")
get /register -H 'Accept: application/json' --data-urlencode "csrf=$jcsrf" \
  --data "customer_number=1&email=x&email_repeat=y"
kc_check "POST /register with errors as JSON: 422 with field errors" \
  $PY -c 'import json,sys; d=json.load(open(sys.argv[1])); assert set(d["errors"]) == {"email","email_repeat"}, d' "$work/body"
kc_check "  status 422" test "$status" = 422

# --- limits
big=$(head -c 70000 /dev/zero | tr '\0' a)
get /register --data "customer_number=$big"
kc_check "a body over the cap -> 413" test "$status" = 413
get /healthz
kc_check "GET /healthz -> 200 while LDAP answers" test "$status" = 200
get /metrics
kc_check "GET /metrics on the public listener -> 404" test "$status" = 404
U=$KC_KCD_METRICS_URL get /metrics
kc_check_grep "GET /metrics on metrics_listen in Prometheus text format" '^kcd_http_events_total\{event="register_post"\} [0-9]+' cat "$work/body"
kc_check_nogrep "kcd's log holds no token or password" "$token|$pw|Ein-langes" cat "$KC_KCD_LOG"

# --- a directory with the previous release's schema (no kcRegWindowStart,
# kcRegSendCount, kcActivationClaim): registration and activation work,
# and kcd says what to apply
kc_kcd_stop
kc_slapd_stop
$PY - "$top_srcdir/schema/kundencenter.ldif" >"$work/old-schema.ldif" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
new = ("kcRegWindowStart", "kcRegSendCount", "kcActivationClaim")
# drop the three attribute types, then their names from the MAY lists
parts = re.split(r"(?m)^(?=olcAttributeTypes: |olcObjectClasses: )", text)
parts = [p for p in parts if not any("NAME '%s'" % n in p for n in new)]
text = "".join(parts)
for n in new:
    text = re.sub(r"\s*\$\s*%s\b" % n, "", text)
assert not any(n in text for n in new), "left over"
print(text, end="")
PY
KC_SLAPD_KC_SCHEMA=$work/old-schema.ldif kc_slapd_start || exit 1
kc_kcd_start "activation_ttl = 1h" || exit 1
kc_pam_service kc-sshd "socket=$KC_KCD_SOCKET timeout=30"
U=$KC_KCD_URL
rm -f "$jar"
n0=$(mails)
register 46075 praxis@muster.example
kc_check "old schema: registering -> 200" test "$status" = 200
kc_check "  the activation mail goes out" wait_mails $((n0 + 1))
kc_check_grep "  kcd says to apply the schema" \
  'activation mail not counted in LDAP, apply the schema of this version' cat "$KC_KCD_LOG"
link=$(link_from_mail)
get "${link#"$U"}"
token=${link##*token=}
ctoken=$(csrf)
activate --data-urlencode "password=$pw" --data-urlencode "password_repeat=$pw"
kc_check "old schema: activation -> 303 ($status)" test "$status" = 303
kc_check_grep "  claimed without kcActivationClaim, and kcd says so" \
  'activation claim without kcActivationClaim, apply the schema' cat "$KC_KCD_LOG"
kc_check "  the new account logs in through the module" \
  kc_pamtest --service kc-sshd --user MMuster2 --conv sshd --answer "$pw" \
  --steps auth --expect auth=PAM_SUCCESS
kc_done
