#!/usr/bin/env bash
# examples/demo.sh: the whole Kundencenter on one machine, in one command.
#
#   examples/demo.sh [--port N] [--data-dir DIR] [--build-dir DIR]
#                    [--no-install] [--no-apache]
#   examples/demo.sh --self-test [--port N] [--build-dir DIR]
#
# On Debian 12 it installs the packages it needs (as root; otherwise it
# prints the one apt-get line to run), builds the project out of tree in
# build/demo, and starts:
#
#   - a private slapd on a free loopback port with the project's schema,
#     password policy and ACLs, the test fixtures (customers 46075 and
#     46077, accounts mmuster, etan, mtan, neukunde, gesperrt) and two demo
#     customers (10001, 10002);
#   - kcd with its web front on http://127.0.0.1:PORT (default 8080),
#     captcha = image, mail into a Maildir and SMS into a JSON-lines file
#     under the data dir (default build/demo/demo-data);
#   - a PAM service "kundencenter" for the built pam_kundencenter.so in a
#     private service dir, for pamtester through pam_wrapper;
#   - when Apache with mod_authnz_pam is installed, a private Apache on
#     another loopback port whose /portal/ asks for a Kundencenter login
#     (HTTP Basic, the TAN appended to the password).
#
# It prints the registration URL, the commands to log in, and every mail
# and SMS as it arrives (the activation link, the TAN). Ctrl-C stops
# everything; mail and SMS stay in the data dir until the next start.
#
# --self-test walks the same path without a person: register customer
# 10001 with curl, follow the activation link from the mail, create an
# account with emailTAN, and log in with pamtester, reading the TAN from
# the Maildir; then customer 10002 with the authenticator app, oathtool
# computing the codes from the secret the page shows. Exit status 0 when all of that worked, 1 otherwise (and 77
# when a required program is missing and --no-install was given).
#
# Options:
#   --port N          kcd's web front on 127.0.0.1:N (default 8080; the
#                     self-test takes a free port)
#   --data-dir DIR    kcd.conf, kcd.log, mail, SMS and the PAM service dir
#                     (default build/demo/demo-data; the self-test uses a
#                     temp dir)
#   --build-dir DIR   use this configured and built tree; nothing is built
#                     but tests/tools/kc-pwhash when it is missing
#   --no-install      do not install packages: name the missing ones and
#                     exit 77
#   --no-apache       do not start Apache
#
# Environment: KC_DEMO_BUILDDIR (as --build-dir), KC_DEMO_DATADIR (as
# --data-dir), TMPDIR (where the temp dirs go).
set -u
set -o pipefail

top_srcdir=$(cd "$(dirname "$0")/.." && pwd)
port=
self_test=0
install=1
apache=1
build_dir=${KC_DEMO_BUILDDIR:-}
data_dir=${KC_DEMO_DATADIR:-}

usage()
{
  sed -n '2,/^set -u/p' "$0" | sed -e '/^set -u/d' -e 's/^# \{0,1\}//'
}

die()
{
  echo "demo: $*" >&2
  exit 1
}

say()
{
  printf '==> %s\n' "$*"
}

while [[ $# -gt 0 ]]; do
  case $1 in
    --self-test) self_test=1 ;;
    --port)
      [[ $# -ge 2 ]] || die "--port needs a number"
      port=$2
      shift
      ;;
    --port=*) port=${1#*=} ;;
    --build-dir)
      [[ $# -ge 2 ]] || die "--build-dir needs a directory"
      build_dir=$2
      shift
      ;;
    --build-dir=*) build_dir=${1#*=} ;;
    --data-dir)
      [[ $# -ge 2 ]] || die "--data-dir needs a directory"
      data_dir=$2
      shift
      ;;
    --data-dir=*) data_dir=${1#*=} ;;
    --no-install) install=0 ;;
    --no-apache) apache=0 ;;
    -h | --help)
      usage
      exit 0
      ;;
    *)
      usage >&2
      exit 2
      ;;
  esac
  shift
done
if [[ -n "$port" ]] && ! [[ "$port" =~ ^[0-9]+$ && "$port" -ge 1 && "$port" -le 65535 ]]; then
  die "--port: not a port number: $port"
fi
((self_test)) && apache=0

# ------------------------------------------------------------ packages

# The packages tagged "demo" in tests/packages.txt that are not installed.
missing_packages()
{
  local pkg tags
  command -v dpkg-query >/dev/null 2>&1 || return 0
  while read -r pkg tags; do
    [[ " $tags " == *" demo "* ]] || continue
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null |
      grep -q 'install ok installed' || echo "$pkg"
  done < <(sed -e 's/#.*//' "$top_srcdir/tests/packages.txt")
}

install_packages()
{
  local missing=()
  mapfile -t missing < <(missing_packages)
  ((${#missing[@]} > 0)) || return 0
  if ((install == 0)) || [[ $(id -u) -ne 0 ]]; then
    echo "demo: these Debian packages are missing: ${missing[*]}" >&2
    echo "demo: install them as root with:" >&2
    echo "  apt-get install -y --no-install-recommends ${missing[*]}" >&2
    ((install == 0)) && exit 77
    exit 1
  fi
  say "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq || die "apt-get update failed"
  apt-get install -y -qq --no-install-recommends "${missing[@]}" ||
    die "apt-get install failed"
}

# ------------------------------------------------------------ build

# Build out of tree in build/demo (configure once, make every time; make
# does nothing when the sources did not change). kc-pwhash hashes the
# fixture passwords for the private slapd; it is a check program.
build()
{
  local log
  if [[ -n "$build_dir" ]]; then
    build_dir=$(cd "$build_dir" 2>/dev/null && pwd) ||
      die "no build directory $build_dir"
    [[ -x "$build_dir/tests/tools/kc-pwhash" ]] ||
      make -C "$build_dir" tests/tools/kc-pwhash >/dev/null ||
      die "cannot build tests/tools/kc-pwhash in $build_dir"
    return 0
  fi
  build_dir=$top_srcdir/build/demo
  mkdir -p "$build_dir" || die "cannot create $build_dir"
  log=$build_dir/demo-build.log
  : >"$log"
  if [[ ! -x "$top_srcdir/configure" ]]; then
    say "autoreconf -fi"
    (cd "$top_srcdir" && autoreconf -fi) >>"$log" 2>&1 ||
      { tail -n 30 "$log"; die "autoreconf failed (log: $log)"; }
  fi
  if [[ ! -f "$build_dir/Makefile" ]]; then
    say "configure (in $build_dir)"
    (cd "$build_dir" && "$top_srcdir/configure") >>"$log" 2>&1 ||
      { tail -n 30 "$log"; die "configure failed (log: $log)"; }
  fi
  say "make (in $build_dir)"
  make -C "$build_dir" -j"$(nproc 2>/dev/null || echo 2)" all \
    tests/tools/kc-pwhash >>"$log" 2>&1 ||
    { tail -n 30 "$log"; die "make failed (log: $log)"; }
}

# ------------------------------------------------------------ helpers

port_busy()
{
  (: <>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# The newest message in the Maildir, or in FILES: tab-separated
# To, Subject, kind (link|tan|other) and the link or TAN.
mail_summary()
{
  python3 - "$@" <<'PY'
import email, email.policy, re, sys
for path in sys.argv[1:]:
    with open(path, "rb") as f:
        msg = email.message_from_binary_file(f, policy=email.policy.default)
    body = msg.get_body(("plain",))
    text = body.get_content() if body is not None else ""
    link = re.search(r"https?://\S+/(activate|account/reset)\?token=[A-Za-z0-9_-]+",
                     text)
    tan = re.search(r"^\s*(\d{6,8})\s*$", text, re.M)
    kind, value = "other", ""
    if link:
        kind, value = "link", link.group(0)
    elif tan:
        kind, value = "tan", tan.group(1)
    print("\t".join([str(msg["To"] or ""), str(msg["Subject"] or ""), kind, value]))
PY
}

# sms_summary LINE: "to<TAB>text" of one line of the file: transport.
sms_summary()
{
  python3 -c 'import json, sys; d = json.loads(sys.argv[1]); print(d.get("to", "") + "\t" + d.get("text", ""))' "$1"
}

# The runtimes a sanitizer build of the module needs first in LD_PRELOAD
# (pamtester is not instrumented); nothing for an ordinary build.
sanitizer_preload()
{
  local so=$1 lib path out=()
  for lib in $(readelf -d "$so" 2>/dev/null |
    sed -n 's/.*(NEEDED).*\[\(lib[a-z]*san\.so[^]]*\)\].*/\1/p' | sort); do
    path=$(ldd "$so" | awk -v l="$lib" '$1 == l { print $3 }')
    [[ -f "$path" ]] && out+=("$path")
  done
  echo "${out[*]}"
}

# ------------------------------------------------------------ services

# Demo customers besides the fixtures' 46075 and 46077.
add_customers()
{
  kc_ldap_admin ldapadd >/dev/null <<EOF
dn: kcCustomerNumber=10001,ou=customers,$KC_LDAP_BASE
objectClass: kcCustomer
kcCustomerNumber: 10001
mail: info@praxis-sonnenschein.example
o: Praxis Sonnenschein

dn: kcCustomerNumber=10002,ou=customers,$KC_LDAP_BASE
objectClass: kcCustomer
kcCustomerNumber: 10002
mail: kontakt@apotheke-am-markt.example
o: Apotheke am Markt
EOF
}

# write_kcd_conf CAPTCHA
write_kcd_conf()
{
  cat >"$data_dir/kcd.conf" <<EOF
# kcd.conf of the demo (examples/demo.sh); see kcd.conf(5).
ldap_uri = $KC_LDAP_URI
ldap_base = $KC_LDAP_BASE
ldap_bind_dn = $KC_KCD_DN
ldap_bind_pw_file = $KC_KCD_PW_FILE
ldap_timeout = 5s
pam_socket = $run_dir/pam.sock
http_listen = 127.0.0.1:$port
metrics_listen = 127.0.0.1:$metrics_port
workers = 4
public_url = $url
login_url = $login_url
portal_name = Kundencenter (Demo)
captcha = $1
mail_from = kundencenter@example.org
mail_transport = maildir:$data_dir/mail
sms_transport = file:$data_dir/sms.jsonl
secret_key_file = $data_dir/secret.key
# The shipped list, from the source tree (the default path is where
# make install puts it).
reserved_usernames_file = $top_srcdir/examples/reserved-usernames
# Short for a demo, so that a second login attempt soon gets a new TAN.
tan_resend_interval = 10s
EOF
}

kcd_stop()
{
  local i
  [[ -n "${kcd_pid:-}" ]] || return 0
  kill -TERM "$kcd_pid" 2>/dev/null || true
  for ((i = 0; i < 100; i++)); do
    kill -0 "$kcd_pid" 2>/dev/null || break
    sleep 0.05
  done
  kill -KILL "$kcd_pid" 2>/dev/null || true
  wait "$kcd_pid" 2>/dev/null || true
  kcd_pid=
}

# kcd_start CAPTCHA: start kcd and wait until its web front answers.
kcd_start()
{
  local i
  write_kcd_conf "$1"
  "$build_dir/kcd/kcd" --check-config -f "$data_dir/kcd.conf" \
    >>"$data_dir/kcd.log" 2>&1 ||
    { tail -n 5 "$data_dir/kcd.log" >&2; die "kcd.conf is not accepted"; }
  "$build_dir/kcd/kcd" -d -f "$data_dir/kcd.conf" >>"$data_dir/kcd.log" 2>&1 &
  kcd_pid=$!
  for ((i = 0; i < 200; i++)); do
    if [[ -S "$run_dir/pam.sock" ]] &&
      [[ $(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$url/healthz") == 200 ]]; then
      return 0
    fi
    kill -0 "$kcd_pid" 2>/dev/null || break
    sleep 0.05
  done
  tail -n 20 "$data_dir/kcd.log" >&2
  die "kcd did not come up (log: $data_dir/kcd.log)"
}

# Does the registration form carry a captcha? (image captcha not served
# by this build: the form would refuse every registration.)
form_has_captcha()
{
  curl -s --max-time 5 "$url/register" | grep -q 'name="captcha_answer"'
}

write_pam_services()
{
  local so=$build_dir/pam_kundencenter/.libs/pam_kundencenter.so t
  [[ -f "$so" ]] || die "no PAM module at $so"
  pam_dir=$data_dir/pam.d
  mkdir -p "$pam_dir"
  # pam_wrapper needs absolute module paths.
  # timeout=30: a person is typing, and slapd may be slow on a busy machine.
  for t in auth account password session; do
    echo "$t required $so socket=$run_dir/pam.sock timeout=30"
  done >"$pam_dir/kundencenter"
  # For Apache (mod_authnz_pam answers one prompt): tan=inline.
  printf '%s\n' "auth required $so socket=$run_dir/pam.sock tan=inline" \
    "account required $so socket=$run_dir/pam.sock" \
    >"$pam_dir/kundencenter-web"
  # libpam reads "other" beside every service and complains without it.
  for t in /lib/*/security/pam_deny.so /usr/lib/*/security/pam_deny.so; do
    if [[ -f "$t" ]]; then
      printf '%s\n' "auth required $t" "account required $t" \
        "password required $t" "session required $t" >"$pam_dir/other"
      break
    fi
  done
  module=$so
}

apache_start()
{
  local svc
  ((apache)) || return 0
  if [[ ! -x /usr/sbin/apache2 || ! -f /usr/lib/apache2/modules/mod_authnz_pam.so ]]; then
    apache=0
    return 0
  fi
  export KC_APACHE_MODULE=$module
  # shellcheck source=tests/lib/apache.sh
  . "$top_srcdir/tests/lib/apache.sh"
  kc_apache_init || { apache=0; return 0; }
  svc=$KC_APACHE_DIR/service
  mkdir -p "$svc" "$KC_APACHE_DOCROOT/portal"
  sed "s|$module|$KC_APACHE_PAM_MODULE|" "$pam_dir/kundencenter-web" \
    >"$svc/kundencenter-web"
  cat >"$KC_APACHE_DOCROOT/portal/index.html" <<'EOF'
<!DOCTYPE html>
<html lang="de"><head><meta charset="utf-8"><title>Portal</title></head>
<body><h1>Willkommen im Kundencenter-Portal</h1>
<p>Sie sind angemeldet (HTTP Basic, PAM-Dienst kundencenter-web).</p></body>
</html>
EOF
  # The set-up of examples/apache/kundencenter-basic.conf, without TLS.
  cat >"$KC_APACHE_DIR/site.conf" <<'EOF'
AuthnCacheSOCache shmcb
<Location /portal/>
  AuthType Basic
  AuthName "Kundencenter"
  AuthBasicProvider socache PAM
  AuthnCacheProvideFor PAM
  AuthnCacheTimeout 300
  AuthPAMService kundencenter-web
  Require valid-user
</Location>
EOF
  if ! kc_apache_start "$svc" "$KC_APACHE_DIR/site.conf"; then
    echo "demo: Apache did not start; going on without it" >&2
    apache=0
  fi
}

# ------------------------------------------------------------ start

install_packages
for p in curl python3 pamtester; do
  command -v "$p" >/dev/null 2>&1 || die "$p is missing"
done
build

# The harness sources need these before they are read.
export top_srcdir top_builddir=$build_dir
# shellcheck source=tests/lib/slapd.sh
. "$top_srcdir/tests/lib/slapd.sh"
kc_slapd_require

if [[ -z "$data_dir" ]]; then
  if ((self_test)); then
    data_dir=$(mktemp -d "${TMPDIR:-/tmp}/kc-demo-data.XXXXXX") ||
      die "cannot create a temp dir"
    kc_cleanup_add "rm -rf '$data_dir'"
  else
    data_dir=$build_dir/demo-data
  fi
fi
mkdir -p "$data_dir" || die "cannot create $data_dir"
data_dir=$(cd "$data_dir" && pwd)
# A fresh start: the previous run's mail, SMS and log go.
rm -rf "$data_dir/mail" "$data_dir/pam.d"
rm -f "$data_dir/sms.jsonl" "$data_dir/kcd.log" "$data_dir/kcd.conf"
mkdir -p "$data_dir/mail/tmp" "$data_dir/mail/new" "$data_dir/mail/cur"
: >"$data_dir/sms.jsonl"
(umask 077 && head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' \
  >"$data_dir/secret.key")

# The socket in a short path everybody may reach (the web user, too).
run_dir=$(mktemp -d "${TMPDIR:-/tmp}/kc-demo.XXXXXX") ||
  die "cannot create a temp dir"
chmod 0755 "$run_dir"
kc_cleanup_add "rm -rf '$run_dir'"

if [[ -z "$port" ]]; then
  if ((self_test)); then
    port=$(kc_pick_port) || die "no free port"
  else
    port=8080
  fi
fi
port_busy "$port" && die "port $port is in use; choose another with --port N"
url=http://127.0.0.1:$port
# /metrics and the detailed /healthz: a private listener on loopback
metrics_port=$(kc_pick_port) || die "no free port"
metrics_url=http://127.0.0.1:$metrics_port

say "starting slapd"
kc_slapd_start || die "slapd did not start"
add_customers || die "cannot add the demo customers"

# Apache first, so that a finished activation can send the browser to
# its protected page (login_url).
write_pam_services
apache_start
login_url=$url/register
((apache)) && login_url=$KC_APACHE_URL/portal/index.html

say "starting kcd on $url"
kc_cleanup_add kcd_stop
if ((self_test)); then
  captcha=none
else
  captcha=image
  kcd_start image
  if ! form_has_captcha; then
    # This build does not serve the image captcha yet.
    kcd_stop
    captcha=none
  fi
fi
[[ -n "${kcd_pid:-}" ]] || kcd_start "$captcha"

# ------------------------------------------------------------ self-test

self_test_fail()
{
  echo "demo --self-test: FAILED: $*" >&2
  echo "---- kcd log (last 30 lines): $data_dir/kcd.log" >&2
  tail -n 30 "$data_dir/kcd.log" >&2
  exit 1
}

# wait_mail N: until there are N mails.
wait_mail()
{
  local i
  for ((i = 0; i < 100; i++)); do
    (($(find "$data_dir/mail/new" -type f | wc -l) >= $1)) && return 0
    sleep 0.1
  done
  return 1
}

newest_mail()
{
  ls -t "$data_dir"/mail/new/* 2>/dev/null | head -n 1
}

csrf_of()
{
  grep -o 'name="csrf" value="[^"]*"' "$1" | head -n 1 | sed 's/.*value="//;s/"$//'
}

run_self_test()
{
  local jar=$data_dir/cookies body=$data_dir/body status csrf link token
  local pw='Sonnenschein-Demo-2026' user=demo addr=d.nutzerin@praxis-sonnenschein.example
  local preload tan out rc wfd pt_pid

  say "self-test: register customer 10001"
  status=$(curl -s -c "$jar" -b "$jar" -o "$body" -w '%{http_code}' "$url/register")
  [[ "$status" == 200 ]] || self_test_fail "GET /register answered $status"
  csrf=$(csrf_of "$body")
  [[ -n "$csrf" ]] || self_test_fail "no csrf field in the form"
  status=$(curl -s -c "$jar" -b "$jar" -o "$body" -w '%{http_code}' "$url/register" \
    --data-urlencode "csrf=$csrf" --data-urlencode "customer_number=10001" \
    --data-urlencode "email=info@praxis-sonnenschein.example" \
    --data-urlencode "email_repeat=info@praxis-sonnenschein.example")
  [[ "$status" == 200 ]] || self_test_fail "POST /register answered $status"
  wait_mail 1 || self_test_fail "no activation mail arrived"
  IFS=$'\t' read -r to _ kind link < <(mail_summary "$(newest_mail)")
  [[ "$kind" == link ]] || self_test_fail "the mail holds no activation link"
  [[ "$to" == *info@praxis-sonnenschein.example* ]] ||
    self_test_fail "the activation mail went to $to"
  echo "    activation link for $to: ${link%%token=*}token=..."

  say "self-test: activate with emailTAN"
  status=$(curl -s -c "$jar" -b "$jar" -o "$body" -w '%{http_code}' "$link")
  [[ "$status" == 200 ]] || self_test_fail "GET /activate answered $status"
  csrf=$(csrf_of "$body")
  token=${link##*token=}
  status=$(curl -s -c "$jar" -b "$jar" -o "$body" -w '%{http_code}' "$url/activate" \
    --data-urlencode "csrf=$csrf" --data-urlencode "token=$token" \
    --data-urlencode "tan_method=email" --data-urlencode "salutation=Frau" \
    --data-urlencode "first_name=Dora" --data-urlencode "last_name=Nutzerin" \
    --data-urlencode "email=$addr" --data-urlencode "username=$user" \
    --data-urlencode "password=$pw" --data-urlencode "password_repeat=$pw")
  # with a second factor the answer shows the account's recovery codes
  [[ "$status" == 200 ]] && grep -q 'Wiederherstellungscodes' "$body" || {
    sed -e 's/<[^>]*>/ /g' "$body" | tr -s ' \n' | head -c 600 >&2
    self_test_fail "POST /activate answered $status, not 200 with recovery codes"
  }
  echo "    recovery codes shown: $(grep -c '<li><code>' "$body")"

  say "self-test: log in as $user with pamtester (password, then the TAN from the mail)"
  preload=$(sanitizer_preload "$module")
  preload="${preload:+$preload }libpam_wrapper.so"
  # pamtester reads its answers from a FIFO, so the TAN can follow once
  # the mail is there; its output goes to a file. Should it end early, a
  # write to the FIFO fails instead of killing this script.
  trap '' PIPE
  mkfifo "$data_dir/pamtester.in" || self_test_fail "mkfifo failed"
  env LD_PRELOAD="$preload" ASAN_OPTIONS=detect_leaks=0 PAM_WRAPPER=1 \
    PAM_WRAPPER_SERVICE_DIR="$pam_dir" \
    pamtester kundencenter "$user" authenticate acct_mgmt \
    <"$data_dir/pamtester.in" >"$data_dir/pamtester.out" 2>&1 &
  pt_pid=$!
  kc_cleanup_add "kill $pt_pid 2>/dev/null"
  exec {wfd}>"$data_dir/pamtester.in"
  printf '%s\n' "$pw" >&"$wfd"
  wait_mail 2 || {
    sed 's/^/    | /' "$data_dir/pamtester.out" >&2
    self_test_fail "no TAN mail arrived"
  }
  IFS=$'\t' read -r to _ kind tan < <(mail_summary "$(newest_mail)")
  [[ "$kind" == tan && "$to" == *"$addr"* ]] ||
    self_test_fail "the newest mail is not a TAN mail to $addr"
  echo "    TAN mail to $to"
  { printf '%s\n' "$tan" >&"$wfd"; } 2>/dev/null
  exec {wfd}>&-
  wait "$pt_pid"
  rc=$?
  out=$(cat "$data_dir/pamtester.out")
  printf '%s\n' "$out" | sed 's/^/    | /'
  ((rc == 0)) || self_test_fail "pamtester exited with $rc"
  grep -q 'successfully authenticated' <<<"$out" ||
    self_test_fail "pamtester did not authenticate"
  grep -q 'TAN (an ' <<<"$out" || self_test_fail "pamtester was not asked for a TAN"
  self_test_app
  echo "demo --self-test: register, activate and a login with a TAN work," \
    "and with the authenticator app"
}

# The same with the authenticator app: oathtool plays the phone, from the
# secret the activation page shows beside its QR code.
self_test_app()
{
  local jar=$data_dir/cookies-app body=$data_dir/body-app status csrf link
  local pw='Apotheke-am-Markt-2026' user=demoapp secret sealed code out
  local n0 pre

  say "self-test: register customer 10002, activate with the authenticator app"
  n0=$(find "$data_dir/mail/new" -type f | wc -l)
  status=$(curl -s -c "$jar" -b "$jar" -o "$body" -w '%{http_code}' "$url/register")
  csrf=$(csrf_of "$body")
  status=$(curl -s -c "$jar" -b "$jar" -o "$body" -w '%{http_code}' "$url/register" \
    --data-urlencode "csrf=$csrf" --data-urlencode "customer_number=10002" \
    --data-urlencode "email=kontakt@apotheke-am-markt.example" \
    --data-urlencode "email_repeat=kontakt@apotheke-am-markt.example")
  [[ "$status" == 200 ]] || self_test_fail "POST /register (10002) answered $status"
  wait_mail $((n0 + 1)) || self_test_fail "no activation mail for 10002 arrived"
  IFS=$'\t' read -r _ _ kind link < <(mail_summary "$(newest_mail)")
  [[ "$kind" == link ]] || self_test_fail "the mail holds no activation link"
  status=$(curl -s -c "$jar" -b "$jar" -o "$body" -w '%{http_code}' "$link")
  [[ "$status" == 200 ]] || self_test_fail "GET /activate answered $status"
  csrf=$(csrf_of "$body")
  secret=$(sed -n 's|.*<code id="totp_secret">\([A-Z2-7 ]*\)</code>.*|\1|p' "$body" |
    tr -d ' ')
  sealed=$(grep -o 'name="totp_sealed" value="[^"]*"' "$body" |
    sed 's/.*value="//;s/"$//')
  [[ ${#secret} == 32 && -n "$sealed" ]] ||
    self_test_fail "the activation page shows no authenticator secret"
  echo "    secret beside the QR code: ${secret:0:4}..."
  code=$(oathtool --totp -b "$secret") || self_test_fail "oathtool failed"
  status=$(curl -s -c "$jar" -b "$jar" -o "$body" -w '%{http_code}' "$url/activate" \
    --data-urlencode "csrf=$csrf" --data-urlencode "token=${link##*token=}" \
    --data-urlencode "tan_method=totp" --data-urlencode "salutation=Herr" \
    --data-urlencode "first_name=Otto" --data-urlencode "last_name=Apotheker" \
    --data-urlencode "email=o.apotheker@apotheke-am-markt.example" \
    --data-urlencode "username=$user" --data-urlencode "password=$pw" \
    --data-urlencode "password_repeat=$pw" --data-urlencode "totp_sealed=$sealed" \
    --data-urlencode "totp_code=$code")
  [[ "$status" == 200 ]] && grep -q 'Wiederherstellungscodes' "$body" ||
    self_test_fail "POST /activate with the app answered $status"
  echo "    activated; recovery codes shown: $(grep -c '<li><code>' "$body")"

  say "self-test: log in as $user with pamtester (password, then oathtool's code)"
  # the step after the one the activation used: the app's next code,
  # which kcd takes one step early
  code=$(oathtool --totp -b -N "@$(($(date +%s) + 30))" "$secret")
  pre=$(sanitizer_preload "$module")
  out=$(printf '%s\n%s\n' "$pw" "$code" |
    env LD_PRELOAD="${pre:+$pre }libpam_wrapper.so" \
      ASAN_OPTIONS=detect_leaks=0 PAM_WRAPPER=1 \
      PAM_WRAPPER_SERVICE_DIR="$pam_dir" \
      pamtester kundencenter "$user" authenticate acct_mgmt 2>&1)
  printf '%s\n' "$out" | sed 's/^/    | /'
  grep -q 'successfully authenticated' <<<"$out" ||
    self_test_fail "pamtester did not authenticate with the app's code"
  grep -q 'Code aus der Authenticator-App' <<<"$out" ||
    self_test_fail "pamtester was not asked for the app's code"
  [[ $(find "$data_dir/mail/new" -type f | wc -l) == $((n0 + 1)) ]] ||
    self_test_fail "a mail went out for the app login"
}

if ((self_test)); then
  run_self_test
  exit 0
fi

# ------------------------------------------------------------ interactive

kc_cleanup_add "echo; echo 'demo: stopped. Mail and SMS stay in $data_dir until the next start.'"

cat <<EOF

================================================================================
 Kundencenter demo is running.  Stop it with Ctrl-C.
================================================================================

 Register (customer number + master-data e-mail address):
     $url/register
   customers: 46077  kontakt@zahnarzt-beispiel.example
              10001  info@praxis-sonnenschein.example
              10002  kontakt@apotheke-am-markt.example
EOF
if [[ "$captcha" == none ]]; then
  echo "   (captcha = none: this build does not serve the image captcha yet)"
fi
cat <<EOF
   The activation link arrives by mail; this window prints it. Choose
   "emailTAN" on the activation form to log in with a TAN afterwards, or
   "Authenticator-App": scan the QR code with an app, or let oathtool be
   your phone with the secret shown beside it:
       oathtool --totp -b SECRET
   Keep the recovery codes the page shows: each logs you in once.

 Your account in the browser (password, then the TAN; change password,
 second factor or e-mail address there):
     $url/account/login
 Forgot the password ("Passwort vergessen?"; user name or address):
     $url/account/reset
   The link arrives by mail; this window prints it. An mTAN account also
   types the TAN sent by SMS; afterwards log in with the new password.

 Mail (Maildir):   $data_dir/mail/new/
 SMS (JSON lines): $data_dir/sms.jsonl
 kcd log:          $data_dir/kcd.log
 kcd.conf:         $data_dir/kcd.conf

 Log in through PAM (pamtester -> pam_kundencenter.so -> kcd -> slapd):
     LD_PRELOAD=libpam_wrapper.so PAM_WRAPPER=1 \\
     PAM_WRAPPER_SERVICE_DIR=$pam_dir \\
     pamtester kundencenter USER authenticate acct_mgmt
   It asks "Passwort: ", then, for an account with a TAN, "TAN (an ...): ",
   for the authenticator app "Code aus der Authenticator-App: " (oathtool
   --totp -b SECRET prints it; nothing is sent).
   By then kcd has sent the TAN: by mail into the newest file in
   $data_dir/mail/new/ (emailTAN), or as a line in sms.jsonl (mTAN).
   This window prints it as soon as it is there.

   Ready-made accounts (or the one you registered):
     etan      Email-Tan-Konto-2026        emailTAN
     mtan      Mobil-Tan-Konto-2026        mTAN
     mmuster   Korrekt-Pferd-42-Batterie   no TAN
     neukunde  Vorlaeufig-Passwort-7       must change the password: run
                                           "... neukunde authenticate chauthtok"
EOF
if ((apache)); then
  cat <<EOF

 Apache with mod_authnz_pam (HTTP Basic, PAM service kundencenter-web,
 tan=inline) protects $KC_APACHE_URL/portal/index.html
 (a finished activation leads there):
   1. the password alone is refused (401), and kcd sends the TAN:
        curl -s -o /dev/null -w '%{http_code}\n' \\
          -u 'etan:Email-Tan-Konto-2026' $KC_APACHE_URL/portal/index.html
   2. then the password immediately followed by the TAN passes:
        curl -s -u 'etan:Email-Tan-Konto-2026123456' \\
          $KC_APACHE_URL/portal/index.html     (123456: the TAN you got)
   A browser does the same: log in twice, the second time with the TAN
   appended to the password.
EOF
fi
cat <<EOF

 Register with curl instead of a browser:
     curl -s -c /tmp/kc.jar $url/register >/tmp/kc.html
     csrf=\$(sed -n 's/.*name="csrf" value="\([^"]*\)".*/\1/p' /tmp/kc.html)
EOF
if [[ "$captcha" == image ]]; then
  cat <<EOF
     cid=\$(sed -n 's/.*name="captcha_id" value="\([^"]*\)".*/\1/p' /tmp/kc.html)
     curl -s -o /tmp/captcha.png $url/captcha/\$cid.png
   then look at /tmp/captcha.png and put its text into captcha_answer:
     curl -s -o /dev/null -w '%{http_code}\n' -b /tmp/kc.jar \\
       $url/register --data-urlencode "csrf=\$csrf" \\
       -d "captcha_id=\$cid" -d captcha_answer=TEXT \\
       -d customer_number=10002 -d email=kontakt@apotheke-am-markt.example \\
       -d email_repeat=kontakt@apotheke-am-markt.example
EOF
else
  cat <<EOF
     curl -s -o /dev/null -w '%{http_code}\n' -b /tmp/kc.jar \\
       $url/register --data-urlencode "csrf=\$csrf" \\
       -d customer_number=10002 -d email=kontakt@apotheke-am-markt.example \\
       -d email_repeat=kontakt@apotheke-am-markt.example
EOF
fi
cat <<EOF

 Health: $url/healthz  Metrics (private listener): $metrics_url/metrics
================================================================================

Waiting for mail and SMS ...
EOF

# Print each new mail and SMS; stop when a server dies.
declare -A seen=()
sms_lines=0
while :; do
  for f in "$data_dir"/mail/new/*; do
    [[ -f "$f" && -z "${seen[$f]:-}" ]] || continue
    seen[$f]=1
    IFS=$'\t' read -r to subject kind value < <(mail_summary "$f")
    case $kind in
      link) printf '\n[mail] to %s: %s\n       link: %s\n' "$to" "$subject" "$value" ;;
      tan) printf '\n[mail] to %s: %s\n       TAN: %s\n' "$to" "$subject" "$value" ;;
      *) printf '\n[mail] to %s: %s\n       %s\n' "$to" "$subject" "$f" ;;
    esac
  done
  n=$(wc -l <"$data_dir/sms.jsonl")
  while ((sms_lines < n)); do
    sms_lines=$((sms_lines + 1))
    IFS=$'\t' read -r to text < <(sms_summary "$(sed -n "${sms_lines}p" "$data_dir/sms.jsonl")")
    printf '\n[sms]  to %s: %s\n' "$to" "$text"
  done
  if ! kill -0 "$kcd_pid" 2>/dev/null; then
    tail -n 20 "$data_dir/kcd.log" >&2
    die "kcd has stopped (log: $data_dir/kcd.log)"
  fi
  if ! kc__alive "$KC_SLAPD_PID"; then
    die "slapd has stopped (log: $KC_SLAPD_LOG)"
  fi
  sleep 0.5
done
