#!/usr/bin/env bash
# kcd's self-registration pages in a real browser (Debian's headless
# Chromium), against the private slapd, mail into a Maildir:
#  - screenshots of /register, /activate?token=... (a real link, got by
#    registering with curl) and /register?lang=en, kept as test artifacts
#    in $top_builddir/tests/artifacts/; each must be a valid PNG that is
#    not blank and shows the stylesheet (header and page colours);
#  - the rendered DOM carries every field of the seed
#    (seed/kundencenter-registrierung.txt) as a <label> tied to its control;
#  - the forms filled and sent by the browser over the DevTools protocol
#    (tests/tools/kc_browser.py): a mismatch shows the error next to the
#    field, a good /register shows the success text, the mailed link's
#    /activate form keeps the input but not the passwords after an error,
#    then creates the account (UTF-8 name, mTAN with a mobile number) and
#    shows its recovery codes once; the enrolment of the authenticator
#    app shows only while it is chosen (activate-totp.png,
#    account-second-factor-totp.png, activate-codes.png).
# Also /account/reset and the form of a reset link (reset.png,
# reset-link.png), checked the same way, and the web login and the
# account pages in a session of the browser (login.png, login-tan.png,
# account*.png), and the main user's page (users.png, users-en.png).
# Artifacts: register.png, activate.png, register-en.png, and from the
# browser session register-error.png, register-done.png, activate-error.png.
# Exits 77 (skip) only when Chromium is missing. Takes about 30 s.
set -u
. "$top_srcdir/tests/lib/slapd.sh"
. "$top_srcdir/tests/lib/kcd.sh"
. "$top_srcdir/tests/lib/check.sh"

chromium=${KC_CHROMIUM:-$(command -v chromium || command -v chromium-browser || true)}
if [[ -z $chromium ]]; then
  echo "SKIP: chromium not installed (apt-get install chromium)"
  exit 77
fi
for tool in curl /usr/bin/python3; do
  command -v "$tool" >/dev/null || { echo "error: $tool is missing" >&2; exit 1; }
done
PY=/usr/bin/python3
browser=$top_srcdir/tests/tools/kc_browser.py
artifacts=$top_builddir/tests/artifacts
mkdir -p "$artifacts" || exit 1
rm -f "$artifacts"/*.png

kc_slapd_start || exit 1
kc_kcd_start || exit 1
U=$KC_KCD_URL
work=$(mktemp -d "${TMPDIR:-/tmp}/kc-web.XXXXXX") || exit 1
kc_cleanup_add "rm -rf '$work'"
profile=$work/chromium-profile # the browser profile goes with $work
mkdir "$profile"

# Flags from TESTING-NOTES.md; root in a container needs --no-sandbox.
# German unless the URL asks for English, as a browser here would send.
# shellcheck disable=SC2054 # the commas belong to the flag values
flags=(--headless --no-sandbox --disable-gpu --disable-quic --no-first-run
  --disable-background-networking --disable-component-update --disable-sync
  --hide-scrollbars --user-data-dir="$profile" --window-size=1000,1400
  --lang=de-DE --accept-lang=de-DE,de)
# browser ARGS... : one bounded Chromium run; its chatter goes to a log
browser() {
  timeout 30 "$chromium" "${flags[@]}" "$@" 2>>"$work/chromium.log"
}
shot() { # NAME PATH: the screenshot, and the rendered DOM in $work/NAME.html
  rm -f "$artifacts/$1.png"
  browser --screenshot="$artifacts/$1.png" --dump-dom "$U$2" >"$work/$1.html"
}
# labels FILE: "label text -> tag type name" for every <label> of a DOM
# that names an existing control (for=id) or wraps one (radio buttons)
labels() {
  $PY - "$1" <<'PY'
import html.parser, sys
class P(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.controls, self.labels, self.open = {}, [], None
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag in ("input", "select", "textarea"):
            c = "%s %s %s" % (tag, a.get("type", "-"), a.get("name", "-"))
            if "id" in a:
                self.controls[a["id"]] = c
            if self.open is not None:
                self.open[1] = c
        if tag == "label":
            self.open = [a.get("for"), None, ""]
    def handle_data(self, data):
        if self.open is not None:
            self.open[2] += data
    def handle_endtag(self, tag):
        if tag == "label" and self.open is not None:
            self.labels.append(self.open)
            self.open = None
p = P()
p.feed(open(sys.argv[1], encoding="utf-8").read())
for target, wrapped, text in p.labels:
    control = wrapped or p.controls.get(target)
    if control:
        print("%s -> %s" % (" ".join(text.split()), control))
PY
}
png_ok() { # NAME: valid, not blank, styled (header #0b4f71, page #f3f5f7)
  $PY "$browser" png "$artifacts/$1.png" --min-colors 64 \
    --pixel 10,10,0b4f71 --pixel 990,10,0b4f71 --pixel 10,1390,f3f5f7
}
mails() { find "$KC_MAILDIR/new" -type f | wc -l; }
wait_mails() { # N: wait until N mails are there (they go out after the answer)
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
text = msg.get_body(("plain",)).get_content()
print(re.search(r"https?://\S+/activate\?token=[A-Za-z0-9_-]+", text).group(0))
PY
}

# --- a real activation link, registered with curl as test_registration.sh does
jar=$work/cookies
curl -s -b "$jar" -c "$jar" -o "$work/form" "$U/register"
csrf=$(grep -o 'name="csrf" value="[^"]*"' "$work/form" | sed 's/.*value="//;s/"$//')
status=$(curl -s -b "$jar" -c "$jar" -o "$work/done" -w '%{http_code}' "$U/register" \
  --data-urlencode "csrf=$csrf" --data-urlencode "customer_number=46075" \
  --data-urlencode "email=praxis@muster.example" \
  --data-urlencode "email_repeat=praxis@muster.example")
kc_check "curl registers customer 46075 -> 200" test "$status" = 200
kc_check "  the activation mail arrives" wait_mails 1
link=$(link_from_mail)
kc_check_grep "  with a link to /activate" "^$U/activate\?token=" echo "$link"
path=${link#"$U"}

# --- screenshots (and the DOM of the same page load)
kc_check "screenshot of /register" shot register /register
kc_check "  a valid PNG, not blank, styled" png_ok register
kc_check_grep "  1000x1400" '^1000x1400 ' echo "$KC_OUT"
kc_check "screenshot of /activate?token=..." shot activate "$path"
kc_check "  a valid PNG, not blank, styled" png_ok activate
kc_check "screenshot of /register?lang=en" shot register-en "/register?lang=en"
kc_check "  a valid PNG, not blank, styled" png_ok register-en
kc_check_fails "  and not the same picture as the German one" \
  cmp -s "$artifacts/register.png" "$artifacts/register-en.png"

# --- the forgotten-password page and the form of its link (a real one,
#     asked for with curl)
curl -s -b "$jar" -c "$jar" -o "$work/form" "$U/account/reset"
csrf=$(grep -o 'name="csrf" value="[^"]*"' "$work/form" | sed 's/.*value="//;s/"$//')
status=$(curl -s -b "$jar" -c "$jar" -o "$work/done" -w '%{http_code}' \
  "$U/account/reset" --data-urlencode "csrf=$csrf" --data-urlencode "login=mmuster")
kc_check "curl asks for a reset link for mmuster -> 200" test "$status" = 200
kc_check "  the reset mail arrives" wait_mails 2
reset_path=$($PY - "$KC_MAILDIR/new" <<'PY'
import email, email.policy, glob, os, re, sys
path = max(glob.glob(os.path.join(sys.argv[1], "*")), key=os.path.getmtime)
msg = email.message_from_binary_file(open(path, "rb"), policy=email.policy.strict)
text = msg.get_body(("plain",)).get_content()
print(re.search(r"/account/reset\?token=[A-Za-z0-9_-]+", text).group(0))
PY
)
kc_check "screenshot of /account/reset" shot reset /account/reset
kc_check "  a valid PNG, not blank, styled" png_ok reset
kc_check_grep "  \"Passwort vergessen?\" as the heading" '<h1>Passwort vergessen\?</h1>' \
  cat "$work/reset.html"
labels "$work/reset.html" >"$work/reset.labels"
check_label() { # FILE LABEL CONTROL
  kc_check "  \"$2\" labels $3" grep -qxF "$2 * -> $3" "$1"
}
check_label "$work/reset.labels" "Benutzername oder E-Mail-Adresse" "input text login"
kc_check "screenshot of the reset link's form" shot reset-link "$reset_path"
kc_check "  a valid PNG, not blank, styled" png_ok reset-link
labels "$work/reset-link.html" >"$work/reset-link.labels"
check_label "$work/reset-link.labels" "Neues Passwort" "input password new_password"
check_label "$work/reset-link.labels" "Neues Passwort wiederholen" \
  "input password new_password_repeat"
kc_check_grep "  naming the account" 'Benutzernamen mmuster' cat "$work/reset-link.html"

# --- the rendered DOM: every seed field is a label tied to its control
kc_check_grep "/register is German (lang=de)" '<html lang="de"' cat "$work/register.html"
labels "$work/register.html" >"$work/register.labels"
check_label "$work/register.labels" "Kundennummer" "input text customer_number"
check_label "$work/register.labels" "E-Mail-Adresse" "input email email"
check_label "$work/register.labels" "E-Mail-Adresse wiederholen" "input email email_repeat"
kc_check_grep "  and the button \"Registrieren\"" '<button type="submit">Registrieren</button>' \
  cat "$work/register.html"

kc_check_grep "/activate is German and greets the new customer" 'Herzlichen Glückwunsch' \
  cat "$work/activate.html"
labels "$work/activate.html" >"$work/activate.labels"
for radio in "keine TAN:none" "emailTAN:email" "mTAN:mtan"; do
  kc_check "  \"${radio%%:*}\" labels the radio button tan_method=${radio#*:}" \
    grep -qxF "${radio%%:*} -> input radio tan_method" "$work/activate.labels"
done
kc_check_grep "  mTAN is chosen by default" 'value="mtan" checked' cat "$work/activate.html"
check_label "$work/activate.labels" "Anrede" "select - salutation"
check_label "$work/activate.labels" "Vorname" "input text first_name"
check_label "$work/activate.labels" "Nachname" "input text last_name"
kc_check "  \"Mobiltelefon\" labels input tel mobile" \
  grep -qxF "Mobiltelefon -> input tel mobile" "$work/activate.labels"
check_label "$work/activate.labels" "E-Mail-Adresse" "input email email"
kc_check_grep "  the e-mail field holds the master-data address" \
  'name="email" value="praxis@muster.example"' cat "$work/activate.html"
check_label "$work/activate.labels" "Benutzername" "input text username"
check_label "$work/activate.labels" "Passwort" "input password password"
check_label "$work/activate.labels" "Passwort wiederholen" "input password password_repeat"
kc_check_grep "  and the button \"Registrierung abschließen\"" \
  '<button type="submit">Registrierung abschließen</button>' cat "$work/activate.html"

labels "$work/register-en.html" >"$work/register-en.labels"
kc_check "/register?lang=en: English labels" \
  grep -qxF "Customer number * -> input text customer_number" "$work/register-en.labels"

# --- the web login page
kc_check "screenshot of /account/login" shot login /account/login
kc_check "  a valid PNG, not blank, styled" png_ok login
labels "$work/login.html" >"$work/login.labels"
check_label "$work/login.labels" "Benutzername" "input text username"
check_label "$work/login.labels" "Passwort" "input password password"
kc_check_grep "  and \"Passwort vergessen?\"" '>Passwort vergessen\?</a>' cat "$work/login.html"

# --- the forms filled and sent by the browser (DevTools protocol). The
# browser lives for all the drives below (each has its own 45 s limit):
# on a loaded machine they take well over a minute together.
timeout 600 "$chromium" "${flags[@]}" --remote-debugging-port=0 about:blank \
  >/dev/null 2>>"$work/chromium.log" &
cdp_pid=$!
stop_browser() {
  [[ -n $cdp_pid ]] || return 0
  kill "$cdp_pid" 2>/dev/null
  wait "$cdp_pid" 2>/dev/null
  cdp_pid=
}
kc_cleanup_add stop_browser
drive() { timeout 45 $PY "$browser" drive "$profile" "$@"; }

kc_check_grep "browser: addresses that differ are refused next to the field" \
  'E-Mail-Adressen stimmen nicht überein' \
  drive "$U/register" type:customer_number=46075 type:email=praxis@muster.example \
  type:email_repeat=praxis@muster.exampel submit shot:"$artifacts/register-error.png"
kc_check "  the error page is a valid PNG" $PY "$browser" png \
  "$artifacts/register-error.png" --min-colors 64 --pixel 10,10,0b4f71

n=$(mails)
kc_check_grep "browser: /register filled and sent -> the success text" \
  'Ihre Registrierung war erfolgreich\. In Kürze erhalten Sie eine E-Mail' \
  drive "$U/register" type:customer_number="46 075" type:email=praxis@muster.example \
  type:email_repeat=Praxis@Muster.example submit shot:"$artifacts/register-done.png"
kc_check "  a new activation mail arrives" wait_mails $((n + 1))
link2=$(link_from_mail)
kc_check "  with a new link" test -n "$link2" -a "$link2" != "$link"

pw="Sonnenblumen am Baggersee"
kc_check_grep "browser: passwords that differ are refused" \
  'Die Passwörter stimmen nicht überein' \
  drive "$link2" select:salutation=Frau type:first_name=Erika \
  type:last_name="Müster-Lüdenscheidt" type:mobile="0177 - 1234567" \
  type:username=EMuster type:password="$pw" type:password_repeat="$pw!" submit \
  value:last_name="Müster-Lüdenscheidt" value:salutation=Frau value:password= \
  shot:"$artifacts/activate-error.png"
# the authenticator app: its enrolment shows only while it is chosen
kc_check_nogrep "browser: /activate with mTAN chosen hides the app's enrolment" \
  'Authenticator-App einrichten' drive "$link2"
kc_check_grep "browser: choosing Authenticator-App shows its enrolment" \
  'Authenticator-App einrichten' \
  drive "$link2" radio:tan_method=totp shot:"$artifacts/activate-totp.png"
kc_check_grep "  with the secret in groups of four" '([A-Z2-7]{4} ){7}[A-Z2-7]{4}' echo "$KC_OUT"
kc_check "  a valid PNG, not blank, styled" png_ok activate-totp
kc_check_grep "browser: /activate filled and sent -> the recovery codes, once" \
  'Ihre Wiederherstellungscodes' \
  drive "$link2" radio:tan_method=mtan select:salutation=Frau \
  type:first_name=Erika type:last_name="Müster-Lüdenscheidt" \
  type:mobile="0177 - 1234567" type:username=EMuster \
  type:password="$pw" type:password_repeat="$pw" submit \
  shot:"$artifacts/activate-codes.png"
page=$KC_OUT
kc_check "  ten codes" test "$(grep -cE '^[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{2}$' <<<"$page")" = 10
kc_check_grep "  and the way on to login_url" 'Weiter zur Anmeldung' echo "$page"
kc_check "  a valid PNG, not blank, styled" png_ok activate-codes
search() { kc_ldap_admin ldapsearch -LLL -o ldif-wrap=no -b "ou=accounts,$KC_LDAP_BASE" "$@"; }
kc_check_grep "  the account exists with the name as typed (UTF-8)" '^uid: EMuster$' \
  search '(sn=Müster-Lüdenscheidt)' uid
kc_check_grep "  mTAN with the mobile number normalised" 'mobile: \+491771234567' \
  search '(uid=EMuster)' kcTanMethod mobile
kc_check_grep "  kcTanMethod mtan" 'kcTanMethod: mtan' echo "$KC_OUT"
kc_check "  and the 10 recovery codes as hashes" \
  test "$(search '(uid=EMuster)' kcRecoveryCode | grep -cE '^kcRecoveryCode: [0-9a-f]{64}$')" = 10
kc_check "browser: the used link -> 410" \
  bash -c "curl -s -o /dev/null -w '%{http_code}' '$link2' | grep -qx 410"
# --- the web login and the account pages (a session in this browser)
kc_check_grep "browser: etan's password -> the TAN form" 'TAN' \
  drive "$U/account/login" type:username=etan type:password="$KC_PW_ETAN" submit \
  shot:"$artifacts/login-tan.png"
kc_check "  the TAN form is a valid PNG" $PY "$browser" png \
  "$artifacts/login-tan.png" --min-colors 64 --pixel 10,10,0b4f71
kc_check_grep "browser: mmuster logs in -> /account" "^$U/account\$" \
  drive "$U/account/login" type:username=mmuster type:password="$KC_PW_MMUSTER" submit \
  shot:"$artifacts/account.png"
kc_check_grep "  the account page names the user and the customer" '46075' echo "$KC_OUT"
kc_check "  a valid PNG, not blank, styled" png_ok account
for page in password second-factor email; do
  kc_check_grep "browser: /account/$page opens in the session" "^$U/account/$page\$" \
    drive "$U/account/$page" shot:"$artifacts/account-$page.png"
  kc_check "  a valid PNG, not blank, styled" png_ok "account-$page"
done
kc_check_grep "browser: /account/second-factor, the app chosen, shows its enrolment" \
  'Authenticator-App einrichten' \
  drive "$U/account/second-factor" radio:tan_method=totp \
  shot:"$artifacts/account-second-factor-totp.png"
kc_check "  a valid PNG, not blank, styled" png_ok account-second-factor-totp
kc_check_grep "browser: the main user's page lists the practice's users" '\betan\b' \
  drive "$U/account/users" shot:"$artifacts/users.png"
kc_check_grep "  and the invitation form" 'Kollegen einladen' echo "$KC_OUT"
kc_check "  a valid PNG, not blank, styled" png_ok users
kc_check_grep "browser: the same page in English" 'Invite a colleague' \
  drive "$U/account/users?lang=en" shot:"$artifacts/users-en.png"
kc_check "  a valid PNG, not blank, styled" png_ok users-en
kc_check_fails "  and not the same picture as the German one" \
  cmp -s "$artifacts/users.png" "$artifacts/users-en.png"
kc_check_grep "browser: an invitation sent from the page" 'Einladung gesendet' \
  drive "$U/account/users" type:email=kollegin@muster.example type:first_name=Klara \
  type:last_name=Kollegin submit shot:"$artifacts/users-invited.png"
kc_check_grep "browser: a wrong current password on the password page" \
  'Das Passwort ist falsch' \
  drive "$U/account/password" type:password=falsch-falsch-falsch \
  type:new_password=Ganz-Neues-Passwort-2026 type:new_password_repeat=Ganz-Neues-Passwort-2026 \
  submit shot:"$artifacts/account-password-error.png"
kc_check_grep "browser: logout -> the login page" "^$U/account/login\$" \
  drive "$U/account" submit
kc_check_grep "  /account asks for the login again" "^$U/account/login\$" \
  drive "$U/account"
stop_browser

if ((KC_FAILS > 0)); then
  echo "# Chromium's log (tail):"
  grep -v 'dbus' "$work/chromium.log" | tail -n 20 | sed 's/^/#   /'
fi
echo "# screenshots in $artifacts: $(cd "$artifacts" && echo *.png)"
echo "# took ${SECONDS}s"
kc_done
