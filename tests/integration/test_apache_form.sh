#!/usr/bin/env bash
# A form login as in examples/apache/kundencenter-form.conf, end to end:
# Apache httpd with mod_intercept_form_submit, mod_authnz_pam and mod_cgid
# serving examples/apache/login.cgi; pam_kundencenter.so (tan=inline) as the
# web user; kcd; slapd. Driven with curl as a browser without JavaScript:
# a login without TAN, a wrong password, an e-mail TAN login in two steps
# (one mail, also when step 1 is repeated within the cooldown), a wrong and
# a used TAN, "must change" and the page rules (no-store, CSP nonce, no
# password or TAN ever in a page or log).
#
# Skips (77) only when Apache, one of its modules (mod_intercept_form_submit,
# mod_cgid, mod_authnz_pam, ...), pam_wrapper or curl is not installed.
set -u
. "$top_srcdir/tests/lib/check.sh"
. "$top_srcdir/tests/lib/slapd.sh"
. "$top_srcdir/tests/lib/kcd.sh"
. "$top_srcdir/tests/lib/sinks.sh"
. "$top_srcdir/tests/lib/apache.sh"
KC_APACHE_MODULES+=(cgid intercept_form_submit)
kc_apache_require
kc_slapd_require
kc_slapd_start || exit 1
kc_apache_init || exit 1

maildir=$KC_APACHE_DIR/mail
mkdir -p "$maildir/tmp" "$maildir/new" "$maildir/cur"
kc_kcd_start "mail_from = kundencenter@example.org" \
  "mail_transport = maildir:$maildir" "tan_resend_interval = 60s" || exit 1

# The PAM service of examples/pam.d/kundencenter-web, with our socket.
svc=$KC_APACHE_DIR/service
mkdir -p "$svc"
cat >"$svc/kundencenter-web" <<EOF
auth    required $KC_APACHE_PAM_MODULE socket=$KC_KCD_SOCKET tan=inline timeout=30
account required $KC_APACHE_PAM_MODULE socket=$KC_KCD_SOCKET timeout=30
EOF

# The example site, made to fit the temp dir: no TLS virtual host (the
# harness serves plain HTTP on loopback), the CGI from our cgi-bin. All
# the form login settings stay as they are.
example=$top_srcdir/examples/apache/kundencenter-form.conf
cgidir=$KC_APACHE_DIR/cgi-bin
mkdir -p "$cgidir"
install -m 0755 "$top_srcdir/examples/apache/login.cgi" "$cgidir/login.cgi"
sed -e '/^[[:space:]]*<\/\{0,1\}VirtualHost/d' \
  -e '/^[[:space:]]*ServerName /d' -e '/^[[:space:]]*SSL/d' \
  -e '/^[[:space:]]*DocumentRoot /d' \
  -e "s|/usr/lib/cgi-bin/kundencenter|$cgidir|g" \
  "$example" >"$KC_APACHE_DIR/site.conf"
for d in 'InterceptFormPAMService kundencenter-web' 'InterceptFormLogin login' \
  'InterceptFormPassword password' "ScriptAlias /login $cgidir/login.cgi"; do
  if ! grep -q "^[[:space:]]*$d\$" "$KC_APACHE_DIR/site.conf"; then
    echo "the example config has no line '$d' any more; adapt this test" >&2
    exit 99
  fi
done

kc_apache_start "$svc" "$KC_APACHE_DIR/site.conf" || exit 1
echo "# httpd on $KC_APACHE_URL as $KC_APACHE_USER, sanitizer runtimes" \
  "preloaded: $KC_APACHE_SANITIZED"

resp=$KC_APACHE_DIR/curl
mkdir -p "$resp"
pages=()
# post NAME FIELD=VALUE...: POST the form to /login (urlencoded, values
# through curl's config on stdin, not argv); sets $status, keeps the body
# in $resp/NAME.body and the headers in $resp/NAME.hdr. Extra curl options
# may come before NAME as -H 'header'.
post() {
  local opts=() cfg="" f
  while [[ "$1" == -H ]]; do
    opts+=(-H "$2")
    shift 2
  done
  local name=$1
  shift
  for f in "$@"; do
    f=${f//\\/\\\\}
    cfg+="data-urlencode = \"${f//\"/\\\"}\""$'\n'
  done
  status=$(curl -s -K - --max-time 20 "${opts[@]}" -o "$resp/$name.body" \
    -D "$resp/$name.hdr" -w '%{http_code}' "$KC_APACHE_URL/login" <<<"$cfg")
  pages+=("$resp/$name.body")
}
# header NAME FIELD: a response header's value.
header() {
  sed -n "s/^$2: *//Ip" "$resp/$1.hdr" | head -n 1 | tr -d '\r'
}
# page NAME: which page the CGI showed (login, tan, welcome, other).
page() {
  local b=$resp/$1.body
  if grep -q 'id="kc-welcome"' "$b"; then
    echo welcome
  elif grep -q 'id="kc-tan"' "$b"; then
    echo tan
  elif grep -q 'id="kc-login"' "$b"; then
    echo login
  else
    echo other
  fi
}
# is NAME STATUS PAGE: the response was STATUS and showed PAGE.
is() {
  [[ "$status" == "$2" && "$(page "$1")" == "$3" ]] || {
    echo "status $status, page $(page "$1")"
    return 1
  }
}
mails() { kc_count_mail "$maildir"; }
tan_sent() { grep -c "TAN sent; user=$1 " "$KC_KCD_LOG"; }

# ---------------------------------------------------------------- step 1 page
status=$(curl -s --max-time 10 -o "$resp/get.body" -D "$resp/get.hdr" \
  -w '%{http_code}' "$KC_APACHE_URL/login")
pages+=("$resp/get.body")
kc_check "GET /login: 200, the login form" is get 200 login
kc_check_grep "  fields login and password, labelled" \
  '<label for="login">Benutzername</label>.*<label for="password">Passwort</label>' \
  tr -d '\n' <"$resp/get.body"
kc_check "  Cache-Control: no-store" test "$(header get Cache-Control)" = no-store
kc_check_grep "  a 'Passwort vergessen?' link to kcd's reset page" \
  '<a href="/account/reset">Passwort vergessen\?</a>' cat "$resp/get.body"
csp=$(header get Content-Security-Policy)
nonce=$(sed -n "s/.*script-src 'nonce-\([A-Za-z0-9_-]*\)'.*/\1/p" <<<"$csp")
kc_check "  CSP: default-src 'none', script only by nonce" \
  grep -q "default-src 'none'.*script-src 'nonce-[A-Za-z0-9_-]\{16,\}';" <<<"$csp"
kc_check "  CSP forbids framing and foreign form targets" \
  grep -q "form-action 'self'; frame-ancestors 'none'" <<<"$csp"
kc_check "  the page's style carries the response's nonce" \
  grep -q "<style nonce=\"$nonce\">" "$resp/get.body"

# ------------------------------------------------------- account without TAN
before=$(grep -c 'AUTH OK; user=mmuster ' "$KC_KCD_LOG")
post mm1 step=password login=mmuster "password=$KC_PW_MMUSTER"
kc_check "mmuster, right password: welcome page" is mm1 200 welcome
kc_check "  the CGI saw REMOTE_USER=mmuster" \
  grep -q 'angemeldet als <strong>mmuster</strong>' "$resp/mm1.body"
kc_check "  kcd: one AUTH OK for mmuster" \
  test "$(($(grep -c 'AUTH OK; user=mmuster ' "$KC_KCD_LOG") - before))" = 1
kc_check "  Cache-Control: no-store" test "$(header mm1 Cache-Control)" = no-store

post mm2 step=password login=mmuster "password=falsch-falsch-falsch"
kc_check "mmuster, wrong password: login page again" is mm2 200 login
kc_check "  with an error message (role=alert)" \
  grep -q 'role="alert">Benutzername oder Passwort stimmen nicht' "$resp/mm2.body"
kc_check "  the user name kept, no REMOTE_USER" \
  grep -q 'name="login" value="mmuster"' "$resp/mm2.body"

post mm3 step=password login=mmuster password=
kc_check "empty password: login page, asked to fill in both fields" \
  grep -q 'Bitte geben Sie Benutzername und Passwort ein' "$resp/mm3.body"
kc_check "  not logged in" is mm3 200 login

post mm4 step=password login=niemand "password=$KC_PW_MMUSTER"
kc_check "unknown user: login page, the same message" \
  grep -q 'Benutzername oder Passwort stimmen nicht' "$resp/mm4.body"

post gs step=password login=gesperrt "password=$KC_PW_GESPERRT"
kc_check "gesperrt (locked), right password: not logged in" is gs 200 login

# A charset parameter on the Content-Type still counts as a form.
post -H 'Content-Type: application/x-www-form-urlencoded; charset=UTF-8' \
  mm5 step=password login=mmuster "password=$KC_PW_MMUSTER"
kc_check "urlencoded with charset=UTF-8: intercepted too" is mm5 200 welcome

# multipart/form-data is not intercepted: never a login.
(umask 077 && printf '%s' "$KC_PW_MMUSTER" >"$resp/mm.pw")
status=$(curl -s --max-time 10 -o "$resp/mp.body" -w '%{http_code}' \
  -F step=password -F login=mmuster -F "password=<$resp/mm.pw" \
  "$KC_APACHE_URL/login")
rm -f "$resp/mm.pw"
pages+=("$resp/mp.body")
kc_check "multipart/form-data: no login, the form is asked for" \
  grep -q 'role="alert">Bitte verwenden Sie das Anmeldeformular' "$resp/mp.body"

# ------------------------------------------------------------ must change
post nk step=password login=neukunde "password=$KC_PW_NEUKUNDE"
kc_check "neukunde (must change): 303" test "$status" = 303
loc=$(header nk Location)
kc_check "  to /account/credentials?user=neukunde&back=<this page>" \
  test "$loc" = "/account/credentials?user=neukunde&back=http%3A%2F%2F127.0.0.1%3A$KC_APACHE_PORT%2Flogin"

# ------------------------------------------------------------ e-mail TAN
m0=$(mails)
post et1 step=password login=etan "password=$KC_PW_ETAN"
kc_check "etan, step 1 (password): the TAN page" is et1 200 tan
kc_check "  it says a TAN was sent" grep -q 'Wir haben Ihnen eine TAN geschickt' \
  "$resp/et1.body"
kc_check "  exactly one mail" test "$(($(mails) - m0))" = 1
kc_check "  without JavaScript: one field, password followed by the TAN" \
  grep -q '<label for="password">Passwort, direkt gefolgt von der TAN</label>' \
  "$resp/et1.body"
kc_check "  the field is name=password, type=password, described" \
  grep -q '<input id="password" name="password" type="password" required autocomplete="off" aria-describedby="kc-combined-hint"' \
  "$resp/et1.body"
kc_check "  the user name is kept for step 2" \
  grep -q 'name="login" value="etan" readonly' "$resp/et1.body"
nonce=$(sed -n "s/.*script-src 'nonce-\([A-Za-z0-9_-]*\)'.*/\1/p" \
  <<<"$(header et1 Content-Security-Policy)")
kc_check "  the inline script carries this response's nonce" \
  grep -q "<script nonce=\"$nonce\">" "$resp/et1.body"
kc_check_fails "  and a new nonce per response" \
  grep -q "nonce=\"$nonce\"" "$resp/get.body"

if tan=$(kc_tan_from mail "$maildir" --check-mime "$KC_PW_ETAN"); then
  kc_pass "  the mail holds a TAN and not the password"
else
  kc_fail "  no TAN in the mail"
  tan=000000
fi

post et2 step=password login=etan "password=$KC_PW_ETAN"
kc_check "etan, step 1 again within the cooldown: the TAN page" is et2 200 tan
kc_check "  still exactly one mail (kcd reuses the open TAN)" \
  test "$(($(mails) - m0))" = 1
kc_check "  kcd logged one TAN sent for etan" test "$(tan_sent etan)" = 1

post et3 step=tan login=etan "password=$KC_PW_ETAN"
kc_check "step 2 with the password alone: the TAN page, asking for the TAN" \
  grep -q 'role="alert">Bitte geben Sie Ihr Passwort und direkt dahinter die TAN ein' \
  "$resp/et3.body"

wrong=$(tr 0123456789 1234567890 <<<"$tan")
post et4 step=tan login=etan "password=$KC_PW_ETAN$wrong"
kc_check "step 2 with a wrong TAN: not logged in, the TAN page" is et4 200 tan
kc_check "  with an error message" \
  grep -q 'role="alert">Passwort oder TAN stimmen nicht' "$resp/et4.body"

post et5 step=tan login=etan "password=$KC_PW_ETAN$tan"
kc_check "step 2 with password+TAN: welcome page for etan" is et5 200 welcome
kc_check "  the CGI saw REMOTE_USER=etan" \
  grep -q 'angemeldet als <strong>etan</strong>' "$resp/et5.body"
kc_check "  still exactly one mail" test "$(($(mails) - m0))" = 1

post et6 step=tan login=etan "password=$KC_PW_ETAN$tan"
kc_check "the used password+TAN again: not logged in" is et6 200 tan

# ------------------------------------------------------------ secrets
leaks=()
for f in "${pages[@]}"; do
  for s in "$KC_PW_MMUSTER" "$KC_PW_ETAN" "$KC_PW_NEUKUNDE" "$KC_PW_GESPERRT" \
    falsch-falsch-falsch "$tan"; do
    grep -qF -- "$s" "$f" && leaks+=("$(basename "$f")")
  done
done
if ((${#leaks[@]} == 0)); then
  kc_pass "no page contains a password or the TAN"
else
  kc_fail "no page contains a password or the TAN"
  echo "    # found in: ${leaks[*]}"
fi
sleep 0.2
kc_check_fails "no password in httpd's or kcd's logs" \
  grep -rqF -e "$KC_PW_MMUSTER" -e "$KC_PW_ETAN" -e "$KC_PW_NEUKUNDE" \
  -e "$KC_PW_GESPERRT" -e falsch-falsch-falsch "$KC_APACHE_DIR/logs" "$KC_KCD_LOG"
kc_check_fails "the TAN is not in kcd's log" grep -qwF -- "$tan" "$KC_KCD_LOG"
kc_check "kcd saw the web user (peer_uid=$KC_APACHE_UID) for every request" \
  test "$(grep 'service=kundencenter-web' "$KC_KCD_LOG" |
    grep -vc "peer_uid=$KC_APACHE_UID ")" = 0

if [[ "$KC_APACHE_SANITIZED" == 1 ]]; then
  kc_check "no ASan/UBSan report from httpd's processes" kc_apache_sanitizer_report
fi

pids=("${KC_APACHE__PIDS[@]}")
kc_apache_stop
left=0
for p in "${pids[@]}"; do
  kc_apache__alive "$p" && left=$((left + 1))
done
kc_check "httpd and its children gone after stop" test "$left" = 0
kc_check "no pam_wrapper copy of ours left in /tmp" test \
  "$(grep -lxF "$KC_APACHE_DIR" /tmp/pam.?/.kc-apache-owner 2>/dev/null | wc -l)" = 0

if ((KC_FAILS > 0)); then
  echo "---- httpd error log"
  tail -n 30 "$KC_APACHE_ERROR_LOG"
  echo "---- kcd log"
  tail -n 30 "$KC_KCD_LOG"
fi
kc_done
