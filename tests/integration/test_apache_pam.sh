#!/usr/bin/env bash
# Apache httpd + mod_authnz_pam + pam_kundencenter.so + kcd + slapd, end to
# end: HTTP Basic logins on a protected /portal/ as the web user, for the
# fixture accounts (active, wrong password, unknown, locked, must change
# password with AuthPAMExpiredRedirect); the same behind mod_authn_socache
# as in examples/apache/kundencenter-basic.conf, including a tan=inline
# login with an e-mail TAN (no second mail when the password alone comes
# again within the cooldown) and one for a password that itself ends in
# digits, then the same account with the authenticator app (password +
# code, a code only once, a recovery code); kcd seeing the web user's uid;
# no httpd process and no pam_wrapper copy left behind.
set -u
. "$top_srcdir/tests/lib/slapd.sh"
. "$top_srcdir/tests/lib/kcd.sh"
. "$top_srcdir/tests/lib/apache.sh"
. "$top_srcdir/tests/lib/sinks.sh"
kc_apache_require
kc_slapd_require
kc_slapd_start || exit 1
kc_apache_init || exit 1
# TAN mails for etan land in a Maildir of our own.
maildir=$KC_APACHE_DIR/mail
mkdir -p "$maildir/tmp" "$maildir/new" "$maildir/cur"
head -c 48 /dev/urandom | base64 >"$KC_APACHE_DIR/secret.key"
chmod 600 "$KC_APACHE_DIR/secret.key"
kc_kcd_start "mail_from = kundencenter@example.org" \
  "mail_transport = maildir:$maildir" \
  "secret_key_file = $KC_APACHE_DIR/secret.key" || exit 1

failed=0
ok() { echo "ok   $*"; }
fail() {
  echo "FAIL $*"
  failed=$((failed + 1))
}
# check NAME GOT WANT
check() {
  if [[ "$2" == "$3" ]]; then
    ok "$1"
  else
    fail "$1: got '$2', want '$3'"
  fi
}

# The PAM service mod_authnz_pam uses: tan=inline because it answers one
# echo-off prompt with the Basic password and fails every other message.
svc=$KC_APACHE_DIR/service
mkdir -p "$svc"
cat >"$svc/kundencenter-web" <<EOF
auth    required $KC_APACHE_PAM_MODULE socket=$KC_KCD_SOCKET tan=inline timeout=30
account required $KC_APACHE_PAM_MODULE socket=$KC_KCD_SOCKET timeout=30
EOF

mkdir -p "$KC_APACHE_DOCROOT/portal"
portal_body="Kundencenter-Portal $(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')"
echo "$portal_body" >"$KC_APACHE_DOCROOT/portal/index.html"
mkdir -p "$KC_APACHE_DOCROOT/cached"
echo "$portal_body" >"$KC_APACHE_DOCROOT/cached/index.html"

# /portal/ asks PAM on every request; /cached/ is the set-up of
# examples/apache/kundencenter-basic.conf, where mod_authn_socache answers
# repeated requests (Basic resends the password each time).
cat >"$KC_APACHE_DIR/site.conf" <<'EOF'
AuthnCacheSOCache shmcb
<Location /cached/>
  AuthType Basic
  AuthName "Kundencenter"
  AuthBasicProvider socache PAM
  AuthnCacheProvideFor PAM
  AuthnCacheTimeout 60
  AuthPAMService kundencenter-web
  AuthPAMExpiredRedirect ${KC_APACHE_URL}/account/credentials?user=%u&back=%s
  Require valid-user
</Location>
<Location /portal/>
  AuthType Basic
  AuthName "Kundencenter"
  AuthBasicProvider PAM
  AuthPAMService kundencenter-web
  AuthPAMExpiredRedirect ${KC_APACHE_URL}/account/credentials?user=%u&back=%s
  Require valid-user
</Location>
EOF

kc_apache_start "$svc" "$KC_APACHE_DIR/site.conf" || exit 1
echo "# httpd on $KC_APACHE_URL as $KC_APACHE_USER (uid $KC_APACHE_UID)," \
  "sanitizer runtimes preloaded: $KC_APACHE_SANITIZED"

resp_dir=$KC_APACHE_DIR/curl
mkdir -p "$resp_dir"
# get NAME PATH [USER PASSWORD]: GET with Basic credentials given through
# curl's stdin config (not argv); sets $status, body in $resp_dir/NAME.body,
# headers in $resp_dir/NAME.hdr.
get() {
  local name=$1 path=$2 cfg=""
  if (($# >= 4)); then
    cfg="user = \"$3:$4\""
  fi
  status=$(curl -s -K - --max-time 15 -o "$resp_dir/$name.body" \
    -D "$resp_dir/$name.hdr" -w '%{http_code}' "$KC_APACHE_URL$path" <<<"$cfg")
}
# header NAME FIELD: the value of a response header (first one).
header() {
  sed -n "s/^$2: *//Ip" "$resp_dir/$1.hdr" | head -n 1 | tr -d '\r'
}

get anon /portal/index.html
check "no credentials: 401" "$status" 401
check "  asks for Basic credentials" "$(header anon WWW-Authenticate)" \
  'Basic realm="Kundencenter"'

get mmuster /portal/index.html mmuster "$KC_PW_MMUSTER"
check "mmuster, right password: 200" "$status" 200
check "  body is the protected file" "$(cat "$resp_dir/mmuster.body")" \
  "$portal_body"

get wrongpw /portal/index.html mmuster "falsch-falsch-falsch"
check "mmuster, wrong password: 401" "$status" 401
if grep -qF "$portal_body" "$resp_dir/wrongpw.body"; then
  fail "  401 page carries the protected file"
fi

get unknown /portal/index.html niemand "$KC_PW_MMUSTER"
check "unknown user: 401" "$status" 401

get badname /portal/index.html '*)(uid=*' "$KC_PW_MMUSTER"
check "filter metacharacters in the name: 401" "$status" 401

get emptypw /portal/index.html mmuster ""
check "empty password: 401" "$status" 401

get gesperrt /portal/index.html gesperrt "$KC_PW_GESPERRT"
check "gesperrt (locked), right password: 401" "$status" 401
if grep -qF "$portal_body" "$resp_dir/gesperrt.body"; then
  fail "  locked account got the protected file"
fi

# Must change password: auth passes, account says PAM_NEW_AUTHTOK_REQD,
# mod_authnz_pam redirects with the login and the escaped current URL.
orig_path='/portal/index.html?tab=daten&x=1'
get neukunde "$orig_path" neukunde "$KC_PW_NEUKUNDE"
check "neukunde (must change), right password: 303" "$status" 303
location=$(header neukunde Location)
echo "# Location: $location"
if python3 - "$location" "$KC_APACHE_URL" "$KC_APACHE_URL$orig_path" <<'PY'
import sys
from urllib.parse import urlsplit, parse_qs
loc, base, orig = sys.argv[1:]
u = urlsplit(loc)
bad = []
if f"{u.scheme}://{u.netloc}{u.path}" != base + "/account/credentials":
    bad.append("target is %s://%s%s" % (u.scheme, u.netloc, u.path))
raw = dict(p.split("=", 1) for p in u.query.split("&") if "=" in p)
if raw.get("user") != "neukunde":
    bad.append("user=%r" % raw.get("user"))
back = raw.get("back", "")
if any(c in back for c in ":/?&="):
    bad.append("back= not URL-escaped: %r" % back)
q = parse_qs(u.query)
if q.get("back") != [orig]:
    bad.append("back= decodes to %r, want %r" % (q.get("back"), orig))
if sorted(raw) != ["back", "user"]:
    bad.append("parameters %r" % sorted(raw))
for b in bad:
    print("     " + b)
sys.exit(1 if bad else 0)
PY
then
  ok "  Location: /account/credentials, user=neukunde, back= escaped URL"
else
  fail "  Location is not .../account/credentials?user=neukunde&back=<URL>"
fi
if grep -qF "$portal_body" "$resp_dir/neukunde.body"; then
  fail "  must-change account got the protected file"
fi

# With mod_authn_socache: one PAM login, then the cache answers; a wrong
# password for a cached user is refused by the cache (never reaches kcd);
# an account that must change its password is never cached.
# kcd_count PATTERN: lines in kcd's log that match.
kcd_count() {
  grep -c -- "$1" "$KC_KCD_LOG"
}
before=$(kcd_count 'AUTH OK; user=mmuster ')
get cached1 /cached/index.html mmuster "$KC_PW_MMUSTER"
check "cached: mmuster, right password: 200" "$status" 200
get cached2 /cached/index.html mmuster "$KC_PW_MMUSTER"
check "cached: mmuster again: 200" "$status" 200
check "  body is the protected file" "$(cat "$resp_dir/cached2.body")" \
  "$portal_body"
check "  only the first of them reached kcd" \
  "$(($(kcd_count 'AUTH OK; user=mmuster ') - before))" 1
get cached3 /cached/index.html mmuster "falsch-falsch-falsch"
check "cached: mmuster, wrong password: 401" "$status" 401
before=$(kcd_count 'AUTH NEW_AUTHTOK_REQD; user=neukunde ')
for i in 1 2; do
  get "cachednk$i" /cached/index.html neukunde "$KC_PW_NEUKUNDE"
  check "cached: neukunde, request $i: 303" "$status" 303
done
check "  both reached kcd (a must-change login is not cached)" \
  "$(($(kcd_count 'AUTH NEW_AUTHTOK_REQD; user=neukunde ') - before))" 2

# tan=inline with an e-mail TAN account, through the cache as in the
# example: the password alone is refused and sends a TAN; password+TAN
# passes; the browser's next request with the same string is answered by
# the cache. Without the cache the same string no longer passes: its TAN
# is used up.
# tan_from_mail: print the TAN from the (only) mail (waits up to 5 s).
tan_from_mail() {
  local i f=
  for ((i = 0; i < 100; i++)); do
    for f in "$maildir"/new/*; do
      [[ -f "$f" ]] || f=
    done
    [[ -n "$f" ]] && break
    sleep 0.05
  done
  [[ -n "$f" ]] || return 1
  python3 - "$f" <<'PY'
import email, re, sys
msg = email.message_from_binary_file(open(sys.argv[1], "rb"))
for part in msg.walk():
    if part.get_content_maintype() == "text":
        text = part.get_payload(decode=True).decode(
            part.get_content_charset() or "utf-8")
        m = re.search(r"^\s*(\d{4,10})\s*$", text, re.M)
        if m:
            print(m.group(1))
            sys.exit(0)
sys.exit(1)
PY
}
get etan1 /cached/index.html etan "$KC_PW_ETAN"
check "cached: etan (e-mail TAN), password alone: 401" "$status" 401
if tan=$(tan_from_mail); then
  ok "  a TAN went out by mail"
  # Asking again with the password alone while that TAN is fresh (within
  # tan_resend_interval): refused again, and kcd sends nothing new.
  mails=$(kc_count_mail "$maildir")
  get etan1b /cached/index.html etan "$KC_PW_ETAN"
  check "cached: etan, password alone again within the cooldown: 401" \
    "$status" 401
  check "  no second mail (the open TAN stays valid)" \
    "$(kc_count_mail "$maildir")" "$mails"
  before=$(kcd_count 'AUTH OK; user=etan ')
  get etan2 /cached/index.html etan "$KC_PW_ETAN$tan"
  check "cached: etan, password+TAN: 200" "$status" 200
  check "  body is the protected file" "$(cat "$resp_dir/etan2.body")" \
    "$portal_body"
  get etan3 /cached/index.html etan "$KC_PW_ETAN$tan"
  check "cached: etan, same password+TAN again: 200" "$status" 200
  check "  answered by the cache (one AUTH OK at kcd)" \
    "$(($(kcd_count 'AUTH OK; user=etan ') - before))" 1
  get etan4 /portal/index.html etan "$KC_PW_ETAN$tan"
  check "uncached: etan, the used password+TAN: 401" "$status" 401
else
  fail "  no TAN mail in $maildir"
fi

# A password that itself ends in digits, inline: when a TAN is open, kcd
# must not mistake the password's own trailing digits for a TAN. The tail
# is 8 digits, so it looks like a TAN of any allowed length.
pw_digits='Sommer-Urlaub-20240815'
if ! hash=$(printf '%s\n' "$pw_digits" | "$KC_PWHASH") ||
  ! kc_ldap_admin ldapadd >"$resp_dir/ldapadd.out" 2>&1 <<EOF
dn: uid=ziffern,ou=accounts,$KC_LDAP_BASE
objectClass: inetOrgPerson
objectClass: kcAccount
uid: ziffern
cn: Zora Ziffern
sn: Ziffern
mail: z.ziffern@muster.example
kcCustomerNumber: 46075
kcTanMethod: email
kcRole: user
kcLanguage: de
userPassword: $hash
EOF
then
  fail "adding the account ziffern"
  cat "$resp_dir/ldapadd.out"
fi
mails=$(kc_count_mail "$maildir")
get zf1 /portal/index.html ziffern "$pw_digits"
check "ziffern (password ends in digits), password alone: 401" "$status" 401
check "  one mail" "$(($(kc_count_mail "$maildir") - mails))" 1
if ztan=$(kc_tan_from mail "$maildir" --check-mime "$pw_digits"); then
  ok "  the mail holds a TAN and not the password"
  get zf2 /portal/index.html ziffern "$pw_digits"
  check "ziffern, password alone again (TAN open): 401" "$status" 401
  check "  still one mail" "$(($(kc_count_mail "$maildir") - mails))" 1
  get zf3 /portal/index.html ziffern "$pw_digits$ztan"
  check "ziffern, password+TAN: 200" "$status" 200
  check "  body is the protected file" "$(cat "$resp_dir/zf3.body")" \
    "$portal_body"
else
  fail "  no TAN mail for ziffern in $maildir"
fi

# The authenticator app, inline (DESIGN §12), for the same account whose
# password ends in digits: password + the app's code (from the test's own
# RFC 6238 code), nothing sent for the password alone, a code only once, a
# recovery code in its shown form.
totp="/usr/bin/python3 $top_srcdir/tests/tools/totp.py"
zsecret=$($totp --new)
if "$top_builddir/tests/tools/kc-totp-enrol" -c "$KC_KCD_CONF" ziffern \
  "$zsecret" >"$resp_dir/zcodes"; then
  ok "ziffern now uses the authenticator app"
else
  fail "kc-totp-enrol ziffern"
fi
mails=$(kc_count_mail "$maildir")
get zt1 /portal/index.html ziffern "$pw_digits"
check "ziffern (app), password alone: 401" "$status" 401
check "  nothing sent" "$(($(kc_count_mail "$maildir") - mails))" 0
$totp --wait-steady
zcode=$($totp "$zsecret")
get zt2 /portal/index.html ziffern "$pw_digits$zcode"
check "ziffern, password + the app's code: 200" "$status" 200
check "  body is the protected file" "$(cat "$resp_dir/zt2.body")" \
  "$portal_body"
get zt3 /portal/index.html ziffern "$pw_digits$zcode"
check "ziffern, the same code again (uncached): 401" "$status" 401
get zt4 /portal/index.html ziffern "$pw_digits$(head -1 "$resp_dir/zcodes")"
check "ziffern, password + a recovery code: 200" "$status" 200
get zt5 /portal/index.html ziffern "$pw_digits$(head -1 "$resp_dir/zcodes")"
check "  the same recovery code again: 401" "$status" 401

# kcd's view: every request came from httpd's uid through our service.
sleep 0.1
web_lines=$(grep -c 'service=kundencenter-web' "$KC_KCD_LOG")
# (the empty password and the impossible name never reach kcd)
if ((web_lines >= 11)); then
  ok "kcd logged $web_lines requests from service kundencenter-web"
else
  fail "kcd logged $web_lines requests from service kundencenter-web, want >= 11"
  cat "$KC_KCD_LOG"
fi
other=$(grep 'service=kundencenter-web' "$KC_KCD_LOG" |
  grep -vc "peer_uid=$KC_APACHE_UID ")
check "  all with peer_uid=$KC_APACHE_UID ($KC_APACHE_USER)" "$other" 0
other=$(grep 'service=kundencenter-web' "$KC_KCD_LOG" |
  grep -vc 'rhost=127\.0\.0\.1 ')
check "  all with rhost=127.0.0.1 (PAM_RHOST from httpd)" "$other" 0
if grep -q "AUTH OK; user=mmuster service=kundencenter-web .*peer_uid=$KC_APACHE_UID " \
  "$KC_KCD_LOG"; then
  ok "  AUTH OK for mmuster"
else
  fail "  no AUTH OK line for mmuster"
fi
# a lock is not told before the password is proven (it would reveal the
# name); the log keeps the reason
if grep -q 'AUTH AUTH_ERR; user=gesperrt service=kundencenter-web .* note=locked' "$KC_KCD_LOG"; then
  ok "  AUTH_ERR with note=locked for gesperrt"
else
  fail "  no AUTH_ERR line with note=locked for gesperrt"
fi

# No secret in any log.
if grep -rqF -e "$KC_PW_MMUSTER" -e "$KC_PW_NEUKUNDE" -e "$KC_PW_GESPERRT" \
  -e "$KC_PW_ETAN" -e "$pw_digits" "$KC_KCD_LOG" "$KC_APACHE_DIR/logs"; then
  fail "a password appears in kcd's or httpd's logs"
else
  ok "no password in kcd's or httpd's logs"
fi
# (httpd's error log is left out: its microsecond timestamps hold digits)
if [[ -n "${tan:-}" ]] && grep -qwF -e "$tan" "$KC_KCD_LOG"; then
  fail "the TAN appears in kcd's log"
fi

if [[ "$KC_APACHE_SANITIZED" == 1 ]]; then
  if kc_apache_sanitizer_report; then
    ok "no ASan/UBSan report from httpd's processes"
  else
    fail "ASan/UBSan reported errors in httpd's processes"
  fi
fi

# Stopping leaves no httpd process and no pam_wrapper copy of ours.
pids=("${KC_APACHE__PIDS[@]}")
kc_apache_stop
left=0
for p in "${pids[@]}"; do
  kc_apache__alive "$p" && left=$((left + 1))
done
check "httpd and its children gone after stop" "$left" 0
left=$(grep -lxF "$KC_APACHE_DIR" /tmp/pam.?/.kc-apache-owner 2>/dev/null | wc -l)
check "no pam_wrapper copy of ours left in /tmp" "$left" 0

if ((failed > 0)); then
  echo "---- httpd error log"
  tail -n 30 "$KC_APACHE_ERROR_LOG"
  echo "---- kcd log"
  tail -n 30 "$KC_KCD_LOG"
  echo "$failed check(s) failed"
  exit 1
fi
exit 0
