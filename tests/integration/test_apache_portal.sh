#!/usr/bin/env bash
# The portal start page of examples/apache/kundencenter-basic.conf, end to
# end: Apache httpd with mod_auth_basic, mod_authnz_pam and mod_cgid,
# pam_kundencenter.so (tan=inline) as the web user, kcd, slapd, and
# examples/apache/portal.cgi reading the account as cn=portal,ou=services.
#
# - What the real mod_authnz_pam hands a CGI after a PAM login that set
#   KC_USER & co: REMOTE_USER (the login as typed) and no KC_* variable
#   (a probe CGI prints its environment), while the same service sets them
#   through libpam directly (kc-pamtest): so the page must ask LDAP.
# - The page greets mmuster (logged in as "MMuster") with its canonical
#   name, role and both customer numbers with their names (46077 added
#   with ldapmodify as the admin), in HTML and JSON; etan after the
#   password and then password+TAN from the mail; a wrong password and no
#   credentials get 401 and no data; LDAP down gets 503; no password in a
#   log or page.
#
# Skips (77) only when Apache, one of its modules, pam_wrapper or curl is
# not installed.
set -u
. "$top_srcdir/tests/lib/check.sh"
. "$top_srcdir/tests/lib/slapd.sh"
. "$top_srcdir/tests/lib/kcd.sh"
. "$top_srcdir/tests/lib/pam.sh"
. "$top_srcdir/tests/lib/sinks.sh"
. "$top_srcdir/tests/lib/apache.sh"
KC_APACHE_MODULES+=(cgid env)
kc_apache_require
kc_slapd_require
kc_pam_init
kc_slapd_start || exit 1
kc_apache_init || exit 1
B=$KC_LDAP_BASE

maildir=$KC_APACHE_DIR/mail
mkdir -p "$maildir/tmp" "$maildir/new" "$maildir/cur"
kc_kcd_start "mail_from = kundencenter@example.org" \
  "mail_transport = maildir:$maildir" || exit 1

kc_check "admin adds customer 46077 to mmuster" \
  kc_ldap_admin ldapmodify <<EOF
dn: uid=mmuster,ou=accounts,$B
changetype: modify
add: kcCustomerNumber
kcCustomerNumber: 46077
EOF
# (not in kc_check: that runs it in a subshell, and it exports)
if kc_ldap_portal_init >"$KC_APACHE_DIR/portal-init.out" 2>&1; then
  kc_pass "the admin sets cn=portal's password"
else
  kc_fail "the admin sets cn=portal's password: $(cat "$KC_APACHE_DIR/portal-init.out")"
  kc_done
fi
# The password file as the example asks for it: the web user's alone.
portal_pw=$KC_APACHE_DIR/kc-portal.pw
install -m 0400 "$KC_PORTAL_PW_FILE" "$portal_pw"
if [[ $(id -u) == 0 ]]; then
  chown "$KC_APACHE_USER" "$portal_pw"
fi

svc=$KC_APACHE_DIR/service
mkdir -p "$svc"
cat >"$svc/kundencenter-web" <<EOF
auth    required $KC_APACHE_PAM_MODULE socket=$KC_KCD_SOCKET tan=inline timeout=30
account required $KC_APACHE_PAM_MODULE socket=$KC_KCD_SOCKET timeout=30
EOF

# The example site, made to fit the temp dir: no TLS virtual host, no
# proxy to kcd, the CGI from our cgi-bin, LDAP settings of the harness
# (plain LDAP on loopback, and ldap.conf of the machine left out).
example=$top_srcdir/examples/apache/kundencenter-basic.conf
cgidir=$KC_APACHE_DIR/cgi-bin
mkdir -p "$cgidir" "$KC_APACHE_DOCROOT/portal"
install -m 0755 "$top_srcdir/examples/apache/portal.cgi" "$cgidir/portal.cgi"
for d in 'ScriptAlias /portal/start /usr/lib/cgi-bin/kundencenter/portal.cgi' \
  '<Location /portal/start>' 'SetEnv KC_PORTAL_LDAP_URI ' 'SetEnv KC_PORTAL_BASE ' \
  'SetEnv KC_PORTAL_PW_FILE ' 'SetEnv KC_PORTAL_STARTTLS 1' \
  'AuthBasicProvider socache PAM' 'AuthPAMService kundencenter-web' \
  'RequestReadTimeout header=20-40,MinRate=500 body=20,MinRate=500'; do
  if ! grep -qF -- "$d" "$example"; then
    echo "the example config has no line '$d' any more; adapt this test" >&2
    exit 99
  fi
done
sed -e '/^[[:space:]]*<\/\{0,1\}VirtualHost/d' \
  -e '/^[[:space:]]*ServerName /d' -e '/^[[:space:]]*SSL/d' \
  -e '/^[[:space:]]*DocumentRoot /d' -e '/^[[:space:]]*ProxyPass/d' \
  -e "s|/usr/lib/cgi-bin/kundencenter|$cgidir|g" \
  -e "s|SetEnv KC_PORTAL_LDAP_URI .*|SetEnv KC_PORTAL_LDAP_URI $KC_LDAP_URI\n        SetEnv LDAPNOINIT 1|" \
  -e "s|SetEnv KC_PORTAL_BASE .*|SetEnv KC_PORTAL_BASE $B|" \
  -e "s|SetEnv KC_PORTAL_PW_FILE .*|SetEnv KC_PORTAL_PW_FILE $portal_pw|" \
  -e "s|SetEnv KC_PORTAL_STARTTLS 1|SetEnv KC_PORTAL_STARTTLS 0|" \
  -e 's|https://portal.example.org|${KC_APACHE_URL}|' \
  -e 's|RequestReadTimeout header=20-40,|RequestReadTimeout header=2-4,|' \
  "$example" >"$KC_APACHE_DIR/site.conf"
# A probe beside it: what does a CGI behind mod_authnz_pam get? And the
# page with an LDAP server that is not there.
cat >"$cgidir/env.cgi" <<'EOF'
#!/bin/sh
printf 'Content-Type: text/plain\r\n\r\n'
env | grep -E '^(REMOTE_USER|KC_[A-Z_]*|PAM_[A-Z_]*)=' | sort
EOF
chmod 0755 "$cgidir/env.cgi"
dead_port=$(kc_pick_port)
cat >>"$KC_APACHE_DIR/site.conf" <<EOF
ScriptAlias /portal/env $cgidir/env.cgi
ScriptAlias /portal/broken $cgidir/portal.cgi
<Location /portal/broken>
    SetEnv KC_PORTAL_LDAP_URI ldap://127.0.0.1:$dead_port/
    SetEnv KC_PORTAL_BASE $B
    SetEnv KC_PORTAL_PW_FILE $portal_pw
    SetEnv LDAPNOINIT 1
</Location>
EOF

kc_apache_start "$svc" "$KC_APACHE_DIR/site.conf" || exit 1
echo "# httpd on $KC_APACHE_URL as $KC_APACHE_USER, sanitizer runtimes" \
  "preloaded: $KC_APACHE_SANITIZED"

resp=$KC_APACHE_DIR/curl
mkdir -p "$resp"
# get NAME PATH [USER PASSWORD [ACCEPT]]: GET with Basic credentials through
# curl's config on stdin (not argv); sets $status, body in $resp/NAME.
get() {
  local name=$1 path=$2 cfg=""
  if (($# >= 4)); then
    cfg="user = \"$3:$4\""
  fi
  if (($# >= 5)); then
    cfg+=$'\n'"header = \"Accept: $5\""
  fi
  status=$(curl -s -K - --max-time 20 -o "$resp/$name" \
    -w '%{http_code}' "$KC_APACHE_URL$path" <<<"$cfg")
}
# json NAME EXPR: evaluate a Python expression over the JSON body j.
json() {
  "$KC_PY" -c 'import json, sys; j = json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' \
    "$resp/$1" "$2" 2>&1
}

# --- the real mod_authnz_pam: REMOTE_USER, and no PAM environment
get probe /portal/env MMuster "$KC_PW_MMUSTER"
kc_check "probe CGI behind mod_authnz_pam: 200" test "$status" = 200
kc_check "  REMOTE_USER is the login as typed" \
  grep -qx 'REMOTE_USER=MMuster' "$resp/probe"
kc_check "  no KC_* variable reaches the CGI" \
  test -z "$(grep '^KC_' "$resp/probe")"
kc_pam_service_raw kc-web "auth required @MODULE@ socket=$KC_KCD_SOCKET tan=inline timeout=30"
kc_check "the same login through libpam directly sets them" \
  kc_pamtest --service kc-web --user MMuster --conv apache \
  --answer "$KC_PW_MMUSTER" --steps auth,env --expect auth=PAM_SUCCESS
kc_check "  (KC_USER=mmuster, KC_CUSTOMERS=46075,46077)" \
  grep -q 'KC_CUSTOMERS=46075,46077' <<<"$KC_OUT"

# --- the start page
get mm_html /portal/start MMuster "$KC_PW_MMUSTER"
kc_check "mmuster (typed MMuster): start page 200" test "$status" = 200
kc_check "  greets Max Muster" grep -q '<h1 id="kc-welcome">Willkommen, Max Muster</h1>' "$resp/mm_html"
kc_check "  as mmuster, the canonical name" grep -q '<strong id="kc-user">mmuster</strong>' "$resp/mm_html"
kc_check "  Hauptbenutzer (kcRole admin)" grep -q '<span id="kc-role">Hauptbenutzer</span>' "$resp/mm_html"
kc_check "  lists 46075 Praxis Dr. Muster" \
  grep -q '<li><span class="kc-number">46075</span> Praxis Dr. Muster</li>' "$resp/mm_html"
kc_check "  and 46077 Zahnarztpraxis Beispiel" \
  grep -q '<li><span class="kc-number">46077</span> Zahnarztpraxis Beispiel</li>' "$resp/mm_html"
get mm_json /portal/start mmuster "$KC_PW_MMUSTER" application/json
kc_check "mmuster, JSON: 200" test "$status" = 200
kc_check "  user, role, method, customers" test "$(json mm_json \
  '(j["user"], j["role"], j["tan_method"], [c["number"] for c in j["customers"]])')" = \
  "('mmuster', 'admin', 'none', ['46075', '46077'])"

get etan_json /portal/start etan "$KC_PW_ETAN" application/json
kc_check "etan, password alone: 401 (a TAN goes out)" test "$status" = 401
kc_check "  and no account data" test -z "$(grep -l 46075 "$resp/etan_json")"
if tan=$(kc_tan_from mail "$maildir"); then
  get etan_json2 /portal/start etan "$KC_PW_ETAN$tan" application/json
  kc_check "etan, password+TAN: 200" test "$status" = 200
  kc_check "  user etan, role user, method email, customer 46075" \
    test "$(json etan_json2 \
    '(j["user"], j["role"], j["tan_method"], [c["number"] for c in j["customers"]])')" = \
    "('etan', 'user', 'email', ['46075'])"
else
  kc_fail "no TAN mail for etan in $maildir"
fi

get wrong /portal/start mmuster "Falsches-Passwort-1"
kc_check "wrong password: 401" test "$status" = 401
kc_check "  and no account data" test -z "$(grep -l -e 46075 -e Muster "$resp/wrong")"
get anon /portal/start
kc_check "no credentials: 401" test "$status" = 401

get broken /portal/broken mmuster "$KC_PW_MMUSTER"
kc_check "LDAP not answering: 503" test "$status" = 503
kc_check "  and no account data" test -z "$(grep -l 46075 "$resp/broken")"

# The example's RequestReadTimeout (mod_reqtimeout; the header time
# scaled from 20-40 s down to 2-4 s here): a client that sends the start
# of its headers and then a byte a second is answered 408 and closed
# within the time, not held.
slow_client() {
  /usr/bin/python3 - "${KC_APACHE_URL#http://}" <<'PY'
import socket, sys, time
host, port = sys.argv[1].rsplit(":", 1)
s = socket.create_connection((host, int(port)), timeout=20)
t0 = time.monotonic()
s.sendall(b"GET /portal/start HTTP/1.1\r\nHost: x\r\nX-Slow: ")
data = b""
try:
    while True:
        s.settimeout(1)
        try:
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
        except socket.timeout:
            if time.monotonic() - t0 > 15:
                break
            s.sendall(b"a")
except OSError:
    pass
took = time.monotonic() - t0
print("%.1f %s" % (took, data.split(b"\r\n", 1)[0].decode("ascii", "replace")))
PY
}
read -r took line < <(slow_client)
echo "# a slow client: closed after $took s, first line: $line"
kc_check "a client trickling its headers gets 408 from the example's RequestReadTimeout" \
  grep -q ' 408 ' <<<"$line"
kc_check "  and is closed within the (scaled) 4 s and a little ($took s)" \
  awk -v t="$took" 'BEGIN { exit !(t < 10) }'

# --- no secret in a log or a page
if grep -rqF -e "$KC_PW_MMUSTER" -e "$KC_PW_ETAN" -e "$(cat "$portal_pw")" \
  "$KC_KCD_LOG" "$KC_APACHE_DIR/logs" "$resp"; then
  kc_fail "a password appears in kcd's or httpd's logs or a page"
else
  kc_pass "no password in kcd's or httpd's logs or any page"
fi
if [[ "$KC_APACHE_SANITIZED" == 1 ]]; then
  if kc_apache_sanitizer_report; then
    kc_pass "no ASan/UBSan report from httpd's processes"
  else
    kc_fail "ASan/UBSan reported errors in httpd's processes"
  fi
fi
kc_apache_stop
kc_done
