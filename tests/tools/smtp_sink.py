#!/usr/bin/python3
"""smtp_sink.py: a loopback SMTP server that keeps every message it gets.

usage: smtp_sink.py DIR [--auth USER:PASSWORD]

Listens on 127.0.0.1 on a port the kernel picks and writes that port to
DIR/port once it accepts connections. Message N goes to DIR/msg-N.eml (the
DATA as received, CRLF line ends) and DIR/msg-N.json (envelope sender and
recipients, and the AUTH login and password when the client
authenticated). With --auth the server offers AUTH PLAIN and LOGIN on the
plain connection (auth_require_tls=False) and refuses mail until the
client authenticated with exactly USER:PASSWORD. Runs until SIGTERM.

Needs Debian's python3-aiosmtpd; run it with /usr/bin/python3.
"""
import asyncio
import json
import os
import sys

from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import sinklib  # noqa: E402


class Store:
    """aiosmtpd handler: one .eml and one .json file per message."""

    def __init__(self, directory):
        self.directory = directory
        self.count = 0

    async def handle_DATA(self, server, session, envelope):
        self.count += 1
        base = os.path.join(self.directory, "msg-%d" % self.count)
        auth = session.auth_data
        meta = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": envelope.rcpt_tos,
            "auth_login": None,
            "auth_password": None,
        }
        if isinstance(auth, LoginPassword):
            meta["auth_login"] = auth.login.decode("utf-8", "replace")
            meta["auth_password"] = auth.password.decode("utf-8", "replace")
        with open(base + ".eml.tmp", "wb") as f:
            f.write(envelope.original_content)
        with open(base + ".json", "w") as f:
            json.dump(meta, f)
        os.rename(base + ".eml.tmp", base + ".eml")
        return "250 OK stored"


def make_authenticator(user, password):
    def authenticator(server, session, envelope, mechanism, auth_data):
        ok = (isinstance(auth_data, LoginPassword)
              and auth_data.login.decode() == user
              and auth_data.password.decode() == password)
        # auth_data makes aiosmtpd keep the credentials in session.auth_data
        return AuthResult(success=ok, auth_data=auth_data if ok else None)
    return authenticator


def main(argv):
    if len(argv) not in (2, 4) or (len(argv) == 4 and argv[2] != "--auth"):
        sys.stderr.write(__doc__)
        return 2
    directory = argv[1]
    kwargs = {}
    if len(argv) == 4:
        user, _, password = argv[3].partition(":")
        kwargs = {
            "authenticator": make_authenticator(user, password),
            "auth_required": True,
            "auth_require_tls": False,
        }
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    handler = Store(directory)
    server = loop.run_until_complete(loop.create_server(
        lambda: SMTP(handler, hostname="sink.test", loop=loop, **kwargs),
        "127.0.0.1", 0))
    return sinklib.serve_asyncio(loop, server, directory)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
