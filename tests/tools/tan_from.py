#!/usr/bin/python3
"""tan_from.py: print the TAN from the newest mail or SMS kcd sent.

usage: tan_from.py mail DIR [--check-mime TEXT...]
       tan_from.py sms FILE

mail: DIR is a smtp_sink.py directory (msg-N.eml) or a Maildir (new/).
The newest message is parsed strictly with Python's email package; the
TAN is the run of 6 to 8 digits on a line of its own. With --check-mime,
the message must also have Date, Message-ID, a UTF-8 text/plain part, and
none of the given TEXTs (e.g. the password) may appear anywhere in it.
sms: FILE is a sink's requests.jsonl or a file: transport (JSON lines);
the TAN is the 6 to 8 digits in the last message's text.
Exit 1 with a reason on stderr when there is no TAN.
"""
import email
import email.policy
import glob
import json
import os
import re
import sys
import urllib.parse

TAN = re.compile(r"(?<!\d)(\d{6,8})(?!\d)")


def newest(paths):
    paths = [p for p in paths if os.path.isfile(p)]
    if not paths:
        sys.exit("tan_from: no message")
    return max(paths, key=lambda p: (os.stat(p).st_mtime_ns, p))


def from_mail(directory, forbidden):
    path = newest(glob.glob(os.path.join(directory, "msg-*.eml"))
                  + glob.glob(os.path.join(directory, "new", "*"))
                  + glob.glob(os.path.join(directory, "cur", "*")))
    raw = open(path, "rb").read()
    msg = email.message_from_bytes(raw, policy=email.policy.strict)
    for header in ("Date", "Message-ID", "From", "To", "Subject"):
        if msg[header] is None:
            sys.exit("tan_from: %s has no %s header" % (path, header))
    part = msg.get_body(preferencelist=("plain",))
    if part is None or part.get_content_charset() != "utf-8":
        sys.exit("tan_from: no UTF-8 text/plain part")
    text = part.get_content()
    for secret in forbidden:
        if secret and (secret in text or secret.encode() in raw):
            sys.exit("tan_from: the mail contains a secret it must not")
    found = [m for m in TAN.findall(text)
             if re.search(r"^\s*%s\s*$" % m, text, re.M)]
    if not found:
        sys.exit("tan_from: no TAN line in %s" % path)
    return found[0]


def from_sms(path):
    lines = [l for l in open(path, encoding="utf-8").read().splitlines() if l]
    if not lines:
        sys.exit("tan_from: no SMS")
    obj = json.loads(lines[-1])
    if "text" in obj:
        text = obj["text"]
    else:  # a gateway request recorded by sms_sink.py
        body = obj.get("body", "")
        try:
            text = json.loads(body)["text"]
        except (ValueError, KeyError, TypeError):
            text = " ".join(v for vals in urllib.parse.parse_qs(
                body or urllib.parse.urlsplit(obj["path"]).query).values()
                for v in vals)
    m = TAN.search(text)
    if not m:
        sys.exit("tan_from: no TAN in the last SMS")
    return m.group(1)


def main(argv):
    if len(argv) >= 3 and argv[1] == "mail":
        forbidden = argv[4:] if len(argv) > 3 and argv[3] == "--check-mime" else []
        print(from_mail(argv[2], forbidden))
    elif len(argv) == 3 and argv[1] == "sms":
        print(from_sms(argv[2]))
    else:
        sys.exit(__doc__)


main(sys.argv)
