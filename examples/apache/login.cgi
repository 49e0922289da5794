#!/usr/bin/python3
"""login.cgi: the login page of a portal behind mod_intercept_form_submit.

See examples/apache/kundencenter-form.conf for the Apache side. Python 3
standard library only; no state on the server, no JavaScript required.

How a login goes
----------------
The CGI never checks a password itself. Apache's mod_intercept_form_submit
reads the form POST before this script runs, takes the fields "login" and
"password", runs the PAM service kundencenter-web (pam_kundencenter.so with
tan=inline) and tells the script the outcome in the environment:

  REMOTE_USER          set: the login passed (password, and TAN if the
                       account has one). Show the welcome page.
  EXTERNAL_AUTH_ERROR  set: PAM refused; the value is pam_strerror() of the
                       PAM code. PAM_CRED_INSUFFICIENT ("Insufficient
                       credentials to access authentication data") means:
                       the password was right, the account has a TAN
                       method, and kcd has sent a TAN (or one sent moments
                       ago is still open). Show step 2.
                       PAM_NEW_AUTHTOK_REQD: 303 to kcd's page for new
                       credentials. kcd unreachable: 503. Anything else
                       (wrong password or TAN, unknown or locked account):
                       one message for all.
  neither              PAM did not run: a field was empty (or Apache is
                       not configured; that is logged).

Only POSTs of application/x-www-form-urlencoded are checked by Apache, so
this page refuses any other kind.

Step 2 must send the password immediately followed by the TAN in the one
field "password" (the tan=inline contract: mod_intercept_form_submit has
exactly one secret field). This page cannot keep the password from step 1
without echoing it, so step 2 asks for it again:

- without JavaScript, one field "Passwort, direkt gefolgt von der TAN";
- with JavaScript, a small inline script turns that into two fields,
  "Passwort" and "TAN", and joins them into the hidden "password" field
  on submit.

Either way the POST is the same; the script is only a convenience.

Rules this page keeps: it never writes a password or TAN into a page, a log
or a URL (Apache's InterceptFormPasswordRedact replaces the value before it
gets here anyway); every page has Cache-Control: no-store and a
Content-Security-Policy whose only script and style are the inline ones
carrying this response's nonce; all user input is HTML-escaped.

Environment (optional, e.g. "SetEnv" in Apache):
  KC_PORTAL_URL   where the welcome page links to (default /portal/)
  KC_CHANGE_URL   kcd's page for new credentials, proxied under the
                  portal's origin (default /account/credentials)
  KC_RESET_URL    kcd's forgotten-password page, linked from the login
                  form as "Passwort vergessen?" (default /account/reset)
"""

import html
import os
import secrets
import sys
import urllib.parse

# Limits for what the browser sends; the form has three short fields.
MAX_BODY = 8192
MAX_LOGIN = 256

# pam_strerror() texts as mod_authnz_pam passes them on. Debian starts
# Apache with LANG=C (English); the German texts cover a German locale.
NEED_TAN = {
    "Insufficient credentials to access authentication data",
    "Berechtigungsnachweis für Zugriff auf Authentifizierungsdaten "
    "nicht ausreichend",
}
MUST_CHANGE = {
    "Authentication token is no longer valid; new one required",
    "Authentifizierungstoken ist nicht mehr gültig; neues erforderlich",
}
TOO_MANY = {
    "Have exhausted maximum number of retries for service",
    "Maximale Anzahl an Versuchen für den Dienst erreicht",
}
UNAVAILABLE = {
    "Authentication service cannot retrieve authentication info",
    "Authentifizierungsdienst kann Authentifizierungsinformationen "
    "nicht abrufen",
    "System error",
    "Systemfehler",
}

# Inline style, allowed by the CSP nonce like the script.
STYLE = """
body { font-family: sans-serif; max-width: 34em; margin: 2em auto;
       padding: 0 1em; line-height: 1.5; }
label { display: block; margin-top: 1em; font-weight: bold; }
input { font-size: 1em; padding: .3em; width: 100%; box-sizing: border-box; }
button { margin-top: 1.5em; font-size: 1em; padding: .4em 1.2em; }
.hint { font-size: .9em; margin: .2em 0 0; }
.error { border-left: 4px solid #b00; padding: .3em .8em; background: #fee; }
.info { border-left: 4px solid #06c; padding: .3em .8em; background: #eef; }
"""

# With JavaScript: two fields, joined into "password" on submit. The TAN
# field drops spaces ("123 456"); the password is taken as typed.
SCRIPT = """
(function () {
  var form = document.getElementById('kc-tan');
  var combined = document.getElementById('password');
  var pw = document.getElementById('pw-only');
  var tan = document.getElementById('tan-only');
  if (!form || !combined || !pw || !tan) return;
  document.getElementById('kc-combined').hidden = true;
  document.getElementById('kc-split').hidden = false;
  combined.required = false;
  combined.type = 'hidden'; /* no password manager takes it for one */
  pw.required = true;
  tan.required = true;
  pw.focus();
  form.addEventListener('submit', function () {
    combined.value = pw.value + tan.value.replace(/\\s+/g, '');
  });
})();
"""


def esc(text):
    return html.escape(text, quote=True)


def env(name, default=""):
    """A CGI variable as text (UTF-8 whatever the locale)."""
    value = os.environb.get(name.encode("ascii"))
    if value is None:
        return default
    return value.decode("utf-8", "replace")


def self_url():
    """This page's absolute URL, for kcd's back= parameter (kcd accepts it
    only for an origin in its allowed_back_origins)."""
    scheme = env("REQUEST_SCHEME", "https")
    host = env("SERVER_NAME", "localhost")
    port = env("SERVER_PORT")
    default_port = {"https": "443", "http": "80"}.get(scheme)
    if port and port != default_port:
        host = "%s:%s" % (host, port)
    return "%s://%s%s" % (scheme, host, env("SCRIPT_NAME", "/login"))


def read_form():
    """The urlencoded POST body as a dict of first values (no secrets:
    Apache has redacted the password)."""
    try:
        length = int(env("CONTENT_LENGTH", "0") or "0")
    except ValueError:
        length = 0
    if length <= 0 or length > MAX_BODY:
        return {}
    body = sys.stdin.buffer.read(length).decode("utf-8", "replace")
    try:
        fields = urllib.parse.parse_qs(body, keep_blank_values=True,
                                       max_num_fields=20)
    except ValueError:
        return {}
    return {k: v[0] for k, v in fields.items() if v}


def respond(status, body_html="", title="", nonce="", headers=()):
    """Write the CGI response. Every page: no-store, strict CSP."""
    out = sys.stdout
    out.write("Status: %s\r\n" % status)
    for name, value in headers:
        out.write("%s: %s\r\n" % (name, value))
    out.write("Cache-Control: no-store\r\n")
    out.write("Content-Security-Policy: default-src 'none'; "
              "script-src 'nonce-%s'; style-src 'nonce-%s'; "
              "form-action 'self'; frame-ancestors 'none'; "
              "base-uri 'none'\r\n" % (nonce, nonce))
    out.write("X-Content-Type-Options: nosniff\r\n")
    out.write("X-Frame-Options: DENY\r\n")
    out.write("Referrer-Policy: same-origin\r\n")
    if not body_html:
        out.write("\r\n")
        return
    out.write("Content-Type: text/html; charset=utf-8\r\n\r\n")
    out.write('<!DOCTYPE html>\n<html lang="de">\n<head>\n'
              '<meta charset="utf-8">\n'
              '<meta name="viewport" content="width=device-width, '
              'initial-scale=1">\n'
              "<title>%s</title>\n"
              '<style nonce="%s">%s</style>\n'
              "</head>\n<body>\n<main>\n%s</main>\n</body>\n</html>\n"
              % (esc(title), nonce, STYLE, body_html))


def message(kind, text):
    """An error (announced at once by screen readers) or a notice."""
    if not text:
        return ""
    if kind == "error":
        return '<p class="error" id="kc-msg" role="alert">%s</p>\n' % text
    return '<p class="info" id="kc-msg" role="status">%s</p>\n' % text


def login_page(nonce, login="", error=""):
    """Step 1: user name and password."""
    described = ' aria-describedby="kc-msg"' if error else ""
    body = ("<h1>Anmeldung im Kundencenter</h1>\n"
            + message("error", error)
            + '<form id="kc-login" method="post" action="%s">\n'
            '<input type="hidden" name="step" value="password">\n'
            '<label for="login">Benutzername</label>\n'
            '<input id="login" name="login" value="%s" required '
            'maxlength="%d" autocomplete="username" autocapitalize="none" '
            'spellcheck="false"%s autofocus>\n'
            '<label for="password">Passwort</label>\n'
            '<input id="password" name="password" type="password" required '
            'autocomplete="current-password"%s>\n'
            '<button type="submit">Anmelden</button>\n'
            "</form>\n"
            '<p><a href="%s">Passwort vergessen?</a></p>\n'
            % (esc(env("SCRIPT_NAME", "/login")), esc(login), MAX_LOGIN,
               described, described,
               esc(env("KC_RESET_URL", "/account/reset"))))
    respond("200 OK", body, "Anmeldung – Kundencenter", nonce)


def tan_page(nonce, login, error="", notice=""):
    """Step 2: password and TAN; one field without JavaScript."""
    script_name = esc(env("SCRIPT_NAME", "/login"))
    body = ("<h1>Anmeldung bestätigen</h1>\n"
            + message("error", error)
            + message("info", notice)
            + '<form id="kc-tan" method="post" action="%s">\n'
            '<input type="hidden" name="step" value="tan">\n'
            '<label for="login">Benutzername</label>\n'
            '<input id="login" name="login" value="%s" readonly '
            'autocomplete="username">\n'
            '<div id="kc-combined">\n'
            '<label for="password">Passwort, direkt gefolgt von der TAN'
            "</label>\n"
            '<input id="password" name="password" type="password" required '
            'autocomplete="off" aria-describedby="kc-combined-hint" '
            "autofocus>\n"
            '<p class="hint" id="kc-combined-hint">Geben Sie Ihr Passwort '
            "ein und hängen Sie die TAN ohne Leerzeichen direkt an. "
            "Beispiel: Passwort „Sonnenblume-7“ und TAN 482913 ergeben "
            "„Sonnenblume-7482913“.</p>\n"
            "</div>\n"
            '<div id="kc-split" hidden>\n'
            '<label for="pw-only">Passwort</label>\n'
            '<input id="pw-only" type="password" '
            'autocomplete="current-password">\n'
            '<label for="tan-only">TAN</label>\n'
            '<input id="tan-only" inputmode="numeric" '
            'autocomplete="one-time-code" maxlength="12" '
            'aria-describedby="kc-tan-hint">\n'
            '<p class="hint" id="kc-tan-hint">Die 6- bis 8-stellige Zahl '
            "aus der Nachricht.</p>\n"
            "</div>\n"
            '<button type="submit">Anmelden</button>\n'
            "</form>\n"
            "<p>Keine TAN erhalten? Sie kann einige Minuten unterwegs sein. "
            "Eine neue Anmeldung schickt erst nach einer kurzen Wartezeit "
            "eine weitere TAN; bis dahin gilt die bereits gesendete. "
            '<a href="%s">Neu anmelden</a></p>\n'
            '<script nonce="%s">%s</script>\n'
            % (script_name, esc(login), script_name, nonce, SCRIPT))
    respond("200 OK", body, "TAN eingeben – Kundencenter", nonce)


def welcome_page(nonce, user):
    """The login passed. A real application starts its session here
    (cookie with Secure, HttpOnly, SameSite) and answers with a 303 to the
    portal, so that reloading the page does not repost the form."""
    portal = env("KC_PORTAL_URL", "/portal/")
    body = ('<h1 id="kc-welcome">Willkommen im Kundencenter</h1>\n'
            "<p>Sie sind angemeldet als <strong>%s</strong>.</p>\n"
            '<p><a href="%s">Weiter zum Portal</a></p>\n'
            % (esc(user), esc(portal)))
    respond("200 OK", body, "Willkommen – Kundencenter", nonce)


def unavailable_page(nonce):
    body = ("<h1>Anmeldung zurzeit nicht möglich</h1>\n"
            + message("error", "Der Anmeldedienst ist gerade nicht "
                      "erreichbar. Bitte versuchen Sie es in einigen "
                      "Minuten noch einmal.")
            + '<p><a href="%s">Zur Anmeldung</a></p>\n'
            % esc(env("SCRIPT_NAME", "/login")))
    respond("503 Service Unavailable", body,
            "Anmeldung nicht möglich – Kundencenter", nonce,
            headers=[("Retry-After", "60")])


def must_change(nonce, login):
    """Right password, but it must be changed first: on to kcd's page,
    and back to this one afterwards."""
    query = urllib.parse.urlencode({"user": login, "back": self_url()})
    respond("303 See Other", nonce=nonce,
            headers=[("Location", "%s?%s" % (
                env("KC_CHANGE_URL", "/account/credentials"), query))])


def handle_post(nonce):
    ctype = env("CONTENT_TYPE").split(";")[0].strip().lower()
    if ctype != "application/x-www-form-urlencoded":
        # mod_intercept_form_submit checks urlencoded forms only; anything
        # else never logs in (and is not what login_page() sends).
        login_page(nonce, error="Bitte verwenden Sie das Anmeldeformular.")
        return
    form = read_form()
    login = form.get("login", "")[:MAX_LOGIN]
    step = form.get("step", "password")
    error = env("EXTERNAL_AUTH_ERROR")

    if not error:
        if login and form.get("password"):
            # Both fields were there and yet PAM did not run: Apache's
            # InterceptForm* set-up does not cover this URL.
            sys.stderr.write("login.cgi: the form was not intercepted; "
                             "check the InterceptForm* directives\n")
            unavailable_page(nonce)
            return
        msg = "Bitte geben Sie Benutzername und Passwort ein."
        if step == "tan" and login:
            tan_page(nonce, login, error=msg)
        else:
            login_page(nonce, login, error=msg)
        return
    if error in NEED_TAN:
        if step == "tan":
            # Step 2 sent the password alone (or with a TAN that no
            # longer counts and the password alone was right).
            tan_page(nonce, login, error="Bitte geben Sie Ihr Passwort "
                     "und direkt dahinter die TAN ein.")
        else:
            tan_page(nonce, login, notice="Ihr Konto ist durch eine TAN "
                     "geschützt. Wir haben Ihnen eine TAN geschickt, je "
                     "nach Einstellung Ihres Kontos per E-Mail oder SMS. "
                     "Sie ist nur wenige Minuten gültig.")
        return
    if error in MUST_CHANGE:
        must_change(nonce, login)
        return
    if error in UNAVAILABLE:
        unavailable_page(nonce)
        return
    if error in TOO_MANY:
        login_page(nonce, login, error="Zu viele Versuche. Bitte melden "
                   "Sie sich in einigen Minuten neu an; Sie erhalten dann "
                   "eine neue TAN.")
        return
    # Wrong password or TAN, unknown or locked account: one answer for all,
    # so the page tells nobody which names exist.
    if step == "tan" and login:
        tan_page(nonce, login, error="Passwort oder TAN stimmen nicht. "
                 "Bitte prüfen Sie beide Angaben.")
    else:
        login_page(nonce, login, error="Benutzername oder Passwort stimmen "
                   "nicht.")


def main():
    sys.stdout.reconfigure(encoding="utf-8")
    nonce = secrets.token_urlsafe(18)
    method = env("REQUEST_METHOD", "GET")
    user = env("REMOTE_USER")
    if user:
        welcome_page(nonce, user)
    elif method == "POST":
        handle_post(nonce)
    elif method in ("GET", "HEAD"):
        login_page(nonce)
    else:
        respond("405 Method Not Allowed", nonce=nonce,
                headers=[("Allow", "GET, HEAD, POST")])


if __name__ == "__main__":
    main()
