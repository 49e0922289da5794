#!/usr/bin/python3
"""delivery_check.py: checks of what kcd's transports delivered, for
tests/integration/test_delivery.sh. Each subcommand exits 0 when every
check holds and 1 with the reasons on stderr otherwise.

  mail FILE FROM_NAME FROM TO SUBJECT TEXT
      FILE is one message (from the SMTP sink or a Maildir). It must parse
      with Python's email package under a strict policy, without defects,
      as text/plain; charset=UTF-8 with the given From (display name and
      address), To, Subject (decoded), a Date and a Message-ID at FROM's
      domain, CRLF line ends, lines of at most 78 (headers) and 76 (body)
      characters, and a body that decodes to TEXT (line ends as CRLF).
  envelope JSON FROM TO [LOGIN PASSWORD]
      the SMTP sink's record: envelope sender and recipient, and the AUTH
      credentials (or none when LOGIN is not given).
  sms-request JSONL INDEX METHOD PATH CTYPE AUTH TO TEXT KIND
      request INDEX (from 0) of the HTTP sink: method, path and query
      (for KIND query the fields of PATH's query must be among the
      request's), Content-Type (or "-" for none), the Authorization
      header, and the number and text inside, from a JSON body (KIND
      json), a form body (form) or the query string (query).
  sms-file JSONL TO TEXT...
      the file: transport: one line per TEXT, each exactly
      {"to": TO, "text": TEXT}.
"""
import email
import email.policy
import email.utils
import json
import re
import sys
import urllib.parse

failures = []


def check(ok, what):
    if not ok:
        failures.append(what)


def check_lines(raw):
    head, _, body = raw.partition(b"\r\n\r\n")
    check(b"\r\n\r\n" in raw, "no empty line after the headers")
    check(re.search(rb"(?<!\r)\n", raw) is None, "bare LF in the message")
    check(re.search(rb"\r(?!\n)", raw) is None, "bare CR in the message")
    for line in head.split(b"\r\n"):
        check(len(line) <= 78, "header line over 78: %r" % line[:90])
    for line in body.split(b"\r\n"):
        check(len(line) <= 76, "body line over 76: %r" % line[:90])


def cmd_mail(path, from_name, from_addr, to, subject, text):
    raw = open(path, "rb").read()
    check_lines(raw)
    msg = email.message_from_bytes(raw, policy=email.policy.strict)
    check(not msg.defects, "defects: %r" % msg.defects)
    name, addr = email.utils.parseaddr(str(msg["From"]))
    check(name == from_name, "From name %r" % name)
    check(addr == from_addr, "From address %r" % addr)
    check(str(msg["To"]) == to, "To %r" % str(msg["To"]))
    check(str(msg["Subject"]) == subject, "Subject %r" % str(msg["Subject"]))
    check(msg["Date"] is not None
          and email.utils.parsedate_to_datetime(str(msg["Date"])) is not None,
          "Date")
    domain = from_addr.split("@", 1)[1]
    check(re.fullmatch(r"<[0-9a-f]{32}@%s>" % re.escape(domain),
                       str(msg["Message-ID"])) is not None,
          "Message-ID %r" % str(msg["Message-ID"]))
    check(str(msg["MIME-Version"]) == "1.0", "MIME-Version")
    check(msg.get_content_type() == "text/plain", "Content-Type")
    check(msg.get_content_charset() == "utf-8", "charset")
    check(str(msg["Content-Transfer-Encoding"]) == "quoted-printable",
          "Content-Transfer-Encoding")
    body = msg.get_payload(decode=True).decode("utf-8")
    want = text.replace("\r\n", "\n").replace("\n", "\r\n")
    if not want.endswith("\r\n"):
        want += "\r\n"
    check(body == want, "body %r, want %r" % (body, want))


def cmd_envelope(path, from_addr, to, login=None, password=None):
    meta = json.load(open(path))
    check(meta["mail_from"] == from_addr, "MAIL FROM %r" % meta["mail_from"])
    check(meta["rcpt_tos"] == [to], "RCPT TO %r" % meta["rcpt_tos"])
    check(meta["auth_login"] == login, "AUTH login %r" % meta["auth_login"])
    check(meta["auth_password"] == password, "AUTH password")


def header(req, name):
    for k, v in req["headers"]:
        if k.lower() == name.lower():
            return v
    return None


def cmd_sms_request(path, index, method, want_path, ctype, auth, to, text,
                    kind):
    reqs = [json.loads(line) for line in open(path, encoding="utf-8")]
    req = reqs[int(index)]
    check(req["method"] == method, "method %r" % req["method"])
    got_path, _, query = req["path"].partition("?")
    want_p, _, want_q = want_path.partition("?")
    check(got_path == want_p, "path %r" % req["path"])
    check(header(req, "Content-Type") == (None if ctype == "-" else ctype),
          "Content-Type %r" % header(req, "Content-Type"))
    check(header(req, "Authorization") == auth,
          "Authorization %r" % header(req, "Authorization"))
    if kind == "json":
        check(query == want_q, "query %r" % query)
        body = json.loads(req["body"])
        check(body.get("to") == to, "to %r" % body.get("to"))
        check(body.get("text") == text, "text %r" % body.get("text"))
        return
    if kind == "form":
        check(query == want_q, "query %r" % query)
    fields = urllib.parse.parse_qs(req["body"] if kind == "form" else query,
                                   keep_blank_values=True, strict_parsing=True)
    check(fields.get("to") == [to], "to %r" % fields.get("to"))
    check(fields.get("text") == [text], "text %r" % fields.get("text"))
    if kind == "query":
        for k, v in urllib.parse.parse_qs(want_q).items():
            check(fields.get(k) == v, "query field %s %r" % (k, fields.get(k)))


def cmd_sms_file(path, to, *texts):
    raw = open(path, "rb").read()
    check(raw.endswith(b"\n"), "last line without LF")
    lines = raw.decode("utf-8").split("\n")[:-1]
    check(len(lines) == len(texts), "%d lines, want %d"
          % (len(lines), len(texts)))
    for line, text in zip(lines, texts):
        obj = json.loads(line)
        check(obj == {"to": to, "text": text}, "line %r" % line)


COMMANDS = {
    "mail": (cmd_mail, (6,)),
    "envelope": (cmd_envelope, (3, 5)),
    "sms-request": (cmd_sms_request, (9,)),
    "sms-file": (cmd_sms_file, tuple(range(2, 20))),
}


def main(argv):
    if len(argv) < 2 or argv[1] not in COMMANDS:
        sys.stderr.write(__doc__)
        return 2
    func, nargs = COMMANDS[argv[1]]
    if len(argv) - 2 not in nargs:
        sys.stderr.write(__doc__)
        return 2
    try:
        func(*argv[2:])
    except Exception as e:  # a parse error is a failed check
        failures.append("%s: %s" % (type(e).__name__, e))
    for f in failures:
        sys.stderr.write("FAIL: %s\n" % f)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
