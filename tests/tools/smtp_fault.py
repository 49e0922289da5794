#!/usr/bin/python3
"""smtp_fault.py: a loopback SMTP server that fails on purpose.

usage: smtp_fault.py DIR [--cert CERT --key KEY]

Listens on 127.0.0.1 on a port the kernel picks and writes that port to
DIR/port once it accepts connections. The mode is read from DIR/mode when
a client connects ("ok" when the file is missing), so a test switches the
fault without restarting the server or its client:

  ok         a plain, working server: message N goes to DIR/msg-N.eml
  tempfail   RCPT TO is answered 451 (greylisting, a full queue)
  permfail   the whole message is taken, then answered 554 (refused);
             it is kept as DIR/refused/msg-N.eml, to show what a refused
             message held
  silent     accepts the connection and never says a word
  dropdata   answers DATA with 354, reads the first bytes of the message
             and closes the connection in the middle of it
  badtls     offers STARTTLS and does TLS with CERT/KEY (a self-signed
             certificate no client should trust); mail that still comes
             through the TLS session is stored as in "ok"

Each connection appends lines to DIR/events: "connect MODE", then one
line per command verb (EHLO, MAIL, RCPT, DATA, STARTTLS, QUIT, ...),
"data-cut" when dropdata hung up, "tls-failed" when the handshake
failed, "stored N" for a stored message ("refused N" for
a refused one), "closed" at the end. Never the
message itself. Runs until SIGTERM.

Written on asyncio streams, not aiosmtpd: the faults need control over
each reply and over the connection.
"""
import asyncio
import os
import ssl
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import sinklib  # noqa: E402

MODES = ("ok", "tempfail", "permfail", "silent", "dropdata", "badtls")
MAX_LINE = 4096
MAX_MESSAGE = 1 << 20


class Server:
    def __init__(self, directory, tls):
        self.directory = directory
        self.tls = tls
        self.count = 0

    def mode(self):
        try:
            with open(os.path.join(self.directory, "mode")) as f:
                m = f.read().strip()
        except FileNotFoundError:
            return "ok"
        return m if m in MODES else "ok"

    def event(self, text):
        with open(os.path.join(self.directory, "events"), "a") as f:
            f.write(text + "\n")

    def store(self, data, sub=""):
        self.count += 1
        directory = os.path.join(self.directory, sub)
        os.makedirs(directory, exist_ok=True)
        base = os.path.join(directory, "msg-%d" % self.count)
        with open(base + ".tmp", "wb") as f:
            f.write(data)
        os.rename(base + ".tmp", base + ".eml")
        self.event(("refused %d" if sub else "stored %d") % self.count)

    async def read_data(self, reader, limit=None):
        """The message up to the lone dot; None when the peer left.
        With limit, stop (and return what came) after that many bytes."""
        buf = bytearray()
        while True:
            line = await reader.readline()
            if not line:
                return None
            if line in (b".\r\n", b".\n"):
                return bytes(buf)
            buf += line[1:] if line.startswith(b"..") else line
            if limit is not None and len(buf) >= limit:
                return bytes(buf)
            if len(buf) > MAX_MESSAGE:
                return None

    async def session(self, reader, writer):
        mode = self.mode()
        self.event("connect " + mode)
        try:
            if mode == "silent":
                # hold the connection until the client gives up
                while await reader.read(MAX_LINE):
                    pass
                return
            await self.dialogue(mode, reader, writer)
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            self.event("closed")
            writer.close()

    async def dialogue(self, mode, reader, writer):
        def say(text):
            writer.write(text.encode() + b"\r\n")

        say("220 fault.test ESMTP")
        in_tls = False
        while True:
            await writer.drain()
            line = await reader.readline()
            if not line:
                return
            verb = line.split(b" ", 1)[0].strip().upper().decode("ascii", "replace")
            self.event(verb)
            if verb in ("EHLO", "HELO"):
                if verb == "EHLO" and mode == "badtls" and not in_tls:
                    say("250-fault.test")
                    say("250-STARTTLS")
                    say("250 8BITMIME")
                else:
                    say("250 fault.test")
            elif verb == "STARTTLS" and mode == "badtls" and not in_tls:
                say("220 go ahead")
                await writer.drain()
                try:
                    await writer.start_tls(self.tls)
                except (ssl.SSLError, ConnectionError, OSError):
                    self.event("tls-failed")
                    return
                in_tls = True
            elif verb == "MAIL":
                say("250 ok")
            elif verb == "RCPT":
                if mode == "tempfail":
                    say("451 4.7.1 try again later")
                else:
                    say("250 ok")
            elif verb == "DATA":
                say("354 go on")
                await writer.drain()
                if mode == "dropdata":
                    await self.read_data(reader, limit=64)
                    self.event("data-cut")
                    writer.transport.abort()
                    return
                data = await self.read_data(reader)
                if data is None:
                    return
                if mode == "permfail":
                    self.store(data, "refused")
                    say("554 5.7.1 message refused")
                else:
                    self.store(data)
                    say("250 ok stored")
            elif verb == "RSET" or verb == "NOOP":
                say("250 ok")
            elif verb == "QUIT":
                say("221 bye")
                await writer.drain()
                return
            else:
                say("502 not here")


def main(argv):
    args = argv[1:]
    if not args:
        sys.stderr.write(__doc__)
        return 2
    directory = args.pop(0)
    cert = key = None
    while args:
        opt = args.pop(0)
        if opt == "--cert" and args:
            cert = args.pop(0)
        elif opt == "--key" and args:
            key = args.pop(0)
        else:
            sys.stderr.write(__doc__)
            return 2
    tls = None
    if cert and key:
        tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        tls.load_cert_chain(cert, key)
    server_state = Server(directory, tls)
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    server = loop.run_until_complete(asyncio.start_server(
        server_state.session, "127.0.0.1", 0, limit=MAX_LINE))
    return sinklib.serve_asyncio(loop, server, directory)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
