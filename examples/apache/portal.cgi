#!/usr/bin/python3
"""portal.cgi: the start page of a portal behind mod_authnz_pam. It greets
the user who logged in and lists the customer numbers that login may see.

See examples/apache/kundencenter-basic.conf for the Apache side. Python 3
standard library and ldapsearch (ldap-utils); no state on the server.

Who is logged in
----------------
Apache (mod_auth_basic or mod_intercept_form_submit with mod_authnz_pam)
runs the PAM service and, on success, hands this script REMOTE_USER: the
login as the user typed it. That is all a CGI learns from the login.
pam_kundencenter.so does name the account after a successful
authentication, in the PAM environment variables KC_USER, KC_CUSTOMERS,
KC_ROLE and KC_TAN_METHOD (man pam_kundencenter), which sshd and login
pass into the session; but mod_authnz_pam (1.2.3, Debian 12) reads no PAM
environment: it ends the PAM handle after the login and sets only
REMOTE_USER (or EXTERNAL_AUTH_ERROR). The Kundencenter tests check both
facts against the real module.

So this page looks the account up in LDAP by REMOTE_USER, bound as the
read-only identity cn=portal,ou=services (schema/acl.ldif): it may read
exactly the account's uid, cn, givenName, sn, mail, kcCustomerNumber,
kcRole, kcTanMethod and kcLanguage and the customers' kcCustomerNumber and
o, nothing about passwords, TANs or tokens, and it cannot write. slapd
matches uid without regard to case, so the uid it returns is the
canonical spelling of the login.

A real application would start its session here (cookie with Secure,
HttpOnly, SameSite) and keep the customer numbers in it; it must show or
change only data of these customers.

Answers: HTML, or JSON with "Accept: application/json":
  {"user": "mmuster", "name": "Max Muster", "role": "admin",
   "tan_method": "none",
   "customers": [{"number": "46075", "name": "Praxis Dr. Muster"}, ...]}
503 when LDAP does not answer, 403 when the login names no account (PAM
passed, so the directory changed meanwhile), 500 when Apache set no
REMOTE_USER (the Location is not protected).

Environment (SetEnv in Apache):
  KC_PORTAL_LDAP_URI   LDAP server(s), space-separated (ldap://127.0.0.1/)
  KC_PORTAL_BASE       base DN of the Kundencenter DIT (dc=example,dc=org)
  KC_PORTAL_BIND_DN    default cn=portal,ou=services,<base>
  KC_PORTAL_PW_FILE    file with that DN's password and nothing else (no
                       trailing newline), readable only by Apache's user
                       (default /etc/apache2/kc-portal.pw)
  KC_PORTAL_LDAPSEARCH ldapsearch to run (default /usr/bin/ldapsearch)
ldapsearch reads ldap.conf as usual (TLS_CACERT for ldaps:// or
StartTLS); KC_PORTAL_STARTTLS=1 adds -ZZ.
"""

import base64
import html
import json
import os
import re
import subprocess
import sys

# A login as pam_kundencenter.so accepts it (common/kc_str.c).
USER_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
NUMBER_RE = re.compile(r"^[0-9]{1,20}$")
# A customer list longer than this is cut on the page, never silently:
# the rest are named as a count.
MAX_CUSTOMERS = 64
LDAP_TIMEOUT = 5  # seconds, per search (network and server time limit)


class Unavailable(Exception):
    pass


def env(name, default=""):
    value = os.environb.get(name.encode("ascii"))
    return default if value is None else value.decode("utf-8", "replace")


def esc(text):
    return html.escape(text, quote=True)


def filter_value(value):
    """RFC 4515 escaping of a filter value."""
    out = []
    for ch in value:
        if ch in "*()\\\0":
            out.append("\\%02x" % ord(ch))
        else:
            out.append(ch)
    return "".join(out)


def parse_ldif(text):
    """ldapsearch -LLL -o ldif-wrap=no output: a list of {attr: [values]}
    (attribute names in lower case; base64 values decoded)."""
    entries, cur = [], None
    for line in text.splitlines():
        if not line:
            cur = None
            continue
        if line.startswith("#"):
            continue
        name, sep, value = line.partition(":")
        if not sep:
            continue
        if value.startswith(":"):
            value = base64.b64decode(value[1:].strip()).decode("utf-8",
                                                               "replace")
        else:
            value = value.strip()
        if name.lower() == "dn":
            cur = {}
            entries.append(cur)
            continue
        if cur is not None:
            cur.setdefault(name.lower(), []).append(value)
    return entries


def ldapsearch(base, filt, attrs):
    base_dn = env("KC_PORTAL_BASE", "dc=example,dc=org")
    cmd = [env("KC_PORTAL_LDAPSEARCH", "/usr/bin/ldapsearch"), "-x", "-LLL",
           "-o", "ldif-wrap=no", "-o", "nettimeout=%d" % LDAP_TIMEOUT,
           "-l", str(LDAP_TIMEOUT),
           "-H", env("KC_PORTAL_LDAP_URI", "ldap://127.0.0.1/"),
           "-D", env("KC_PORTAL_BIND_DN", "cn=portal,ou=services," + base_dn),
           "-y", env("KC_PORTAL_PW_FILE", "/etc/apache2/kc-portal.pw"),
           "-b", "%s,%s" % (base, base_dn), filt] + attrs
    if env("KC_PORTAL_STARTTLS") == "1":
        cmd.insert(1, "-ZZ")
    try:
        done = subprocess.run(cmd, stdin=subprocess.DEVNULL,
                              capture_output=True,
                              timeout=3 * LDAP_TIMEOUT, check=False)
    except (OSError, subprocess.TimeoutExpired) as e:
        raise Unavailable("ldapsearch: %s" % e)
    # 0 found, 32 no such object (the base is gone: nothing found)
    if done.returncode not in (0, 32):
        raise Unavailable("ldapsearch exit %d: %s" % (
            done.returncode, done.stderr.decode("utf-8", "replace").strip()))
    return parse_ldif(done.stdout.decode("utf-8", "replace"))


def first(entry, attr, default=""):
    values = entry.get(attr.lower(), [])
    return values[0] if values else default


def sort_key(number):
    return (len(number), number)


def account(login):
    """The account of login with its customers, or None."""
    found = ldapsearch("ou=accounts",
                       "(&(objectClass=kcAccount)(uid=%s))" % filter_value(login),
                       ["uid", "cn", "givenName", "sn", "kcCustomerNumber",
                        "kcRole", "kcTanMethod"])
    if len(found) != 1:
        return None
    e = found[0]
    numbers = sorted({n for n in e.get("kccustomernumber", [])
                      if NUMBER_RE.match(n)}, key=sort_key)
    names = {}
    shown = numbers[:MAX_CUSTOMERS]
    if shown:
        filt = "(|%s)" % "".join("(kcCustomerNumber=%s)" % n for n in shown)
        for c in ldapsearch("ou=customers", filt, ["kcCustomerNumber", "o"]):
            names[first(c, "kcCustomerNumber")] = first(c, "o")
    name = first(e, "cn") or " ".join(
        x for x in (first(e, "givenName"), first(e, "sn")) if x)
    return {
        "user": first(e, "uid"),
        "name": name,
        "role": "admin" if first(e, "kcRole").lower() == "admin" else "user",
        "tan_method": first(e, "kcTanMethod", "none").lower(),
        "customers": [{"number": n, "name": names.get(n, "")} for n in shown],
        "more_customers": len(numbers) - len(shown),
    }


def respond(status, body, ctype="text/html; charset=utf-8"):
    out = sys.stdout
    out.write("Status: %s\r\n" % status)
    out.write("Content-Type: %s\r\n" % ctype)
    out.write("Cache-Control: no-store\r\n")
    out.write("Content-Security-Policy: default-src 'none'; "
              "style-src 'unsafe-inline'; frame-ancestors 'none'; "
              "base-uri 'none'\r\n")
    out.write("X-Content-Type-Options: nosniff\r\n")
    out.write("X-Frame-Options: DENY\r\n")
    out.write("Referrer-Policy: same-origin\r\n\r\n")
    out.write(body)


def page(title, inner):
    return ('<!DOCTYPE html>\n<html lang="de">\n<head>\n'
            '<meta charset="utf-8">\n'
            '<meta name="viewport" content="width=device-width, '
            'initial-scale=1">\n<title>%s</title>\n</head>\n<body>\n'
            "<main>\n%s</main>\n</body>\n</html>\n" % (esc(title), inner))


def answer(status, wants_json, data, html_inner, title):
    if wants_json:
        respond(status, json.dumps(data, ensure_ascii=False) + "\n",
                "application/json; charset=utf-8")
    else:
        respond(status, page(title, html_inner))


def welcome_html(a):
    rows = "".join(
        '<li><span class="kc-number">%s</span> %s</li>\n'
        % (esc(c["number"]), esc(c["name"])) for c in a["customers"])
    if a["more_customers"]:
        rows += "<li>und %d weitere</li>\n" % a["more_customers"]
    return ('<h1 id="kc-welcome">Willkommen, %s</h1>\n'
            '<p>Angemeldet als <strong id="kc-user">%s</strong> '
            '(<span id="kc-role">%s</span>).</p>\n'
            "<h2>Ihre Kundennummern</h2>\n"
            '<ul id="kc-customers">\n%s</ul>\n'
            % (esc(a["name"] or a["user"]), esc(a["user"]),
               "Hauptbenutzer" if a["role"] == "admin" else "Benutzer",
               rows or "<li>keine</li>\n"))


def main():
    sys.stdout.reconfigure(encoding="utf-8")
    wants_json = "application/json" in env("HTTP_ACCEPT")
    login = env("REMOTE_USER")
    if not login:
        sys.stderr.write("portal.cgi: no REMOTE_USER; protect this URL "
                         "with mod_authnz_pam\n")
        answer("500 Internal Server Error", wants_json,
               {"error": "not protected"}, "<h1>Fehler</h1>\n", "Fehler")
        return
    try:
        a = account(login) if USER_RE.fullmatch(login) else None
    except Unavailable as e:
        sys.stderr.write("portal.cgi: %s\n" % e)
        answer("503 Service Unavailable", wants_json,
               {"error": "directory unavailable"},
               "<h1>Das Portal ist gerade nicht erreichbar</h1>\n"
               "<p>Bitte versuchen Sie es in einigen Minuten noch einmal."
               "</p>\n", "Nicht erreichbar")
        return
    if a is None:
        answer("403 Forbidden", wants_json, {"error": "no such account"},
               "<h1>Kein Zugang</h1>\n", "Kein Zugang")
        return
    answer("200 OK", wants_json, a, welcome_html(a),
           "Willkommen – Kundencenter")


if __name__ == "__main__":
    main()
