"""Minimal client of the PAM-socket protocol (common/kc_proto.h), for
integration tests that talk to kcd directly: pipelining, malformed
messages, version mismatch. Standard library only."""
import socket
import struct

MAGIC = b"KCP\0"
VERSION = 4
REPLY = 0x8000
OPS = {"AUTH": 1, "TAN": 2, "ACCT": 3, "CHAUTHTOK": 4, "PING": 5, "ERROR": 0x7FFF}
RESULTS = ["OK", "AUTH_ERR", "USER_UNKNOWN", "TAN_REQUIRED", "NEW_AUTHTOK_REQD",
           "LOCKED", "EXPIRED", "AUTHTOK_ERR", "MAXTRIES", "UNAVAILABLE",
           "PROTOCOL", "RATE_LIMITED", "VERSION", "INTERNAL"]


def s(v):
    b = v.encode() if isinstance(v, str) else v
    return struct.pack(">I", len(b)) + b


def message(op, body, version=VERSION, magic=MAGIC):
    return magic + struct.pack(">HHI", version, op, len(body)) + body


def auth(user, password, service="test", rhost="", flags=0):
    return message(OPS["AUTH"], s(user) + s(password) + s(service) + s(rhost)
                   + struct.pack(">I", flags))


def tan(user, challenge, answer, service="test", rhost=""):
    return message(OPS["TAN"], s(user) + s(challenge) + s(answer) + s(service)
                   + s(rhost))


def acct(user, service="test", rhost=""):
    return message(OPS["ACCT"], s(user) + s(service) + s(rhost))


def chauthtok(user, old, new, service="test", rhost="", proof=""):
    return message(OPS["CHAUTHTOK"], s(user) + s(old) + s(new) + s(proof)
                   + s(service) + s(rhost))


def ping():
    return message(OPS["PING"], b"")


def connect(path, timeout=10):
    c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    c.settimeout(timeout)
    c.connect(path)
    return c


def _read(c, n):
    buf = b""
    while len(buf) < n:
        chunk = c.recv(n - len(buf))
        if not chunk:
            raise EOFError("closed after %d of %d bytes" % (len(buf), n))
        buf += chunk
    return buf


def read_reply(c):
    """Returns (version, op, result name, message, challenge, destination,
    user, customers, role, tan_method): the last four are the identity of
    a success of AUTH or TAN, "" otherwise."""
    hdr = _read(c, 12)
    assert hdr[:4] == MAGIC, hdr
    version, typ, length = struct.unpack(">HHI", hdr[4:])
    body = _read(c, length)
    assert typ & REPLY, typ
    (result,) = struct.unpack(">I", body[:4])
    off = 4
    fields = []
    for _ in range(7):
        (n,) = struct.unpack(">I", body[off:off + 4])
        fields.append(body[off + 4:off + 4 + n].decode())
        off += 4 + n
    assert off == len(body), "trailing bytes in reply"
    return (version, typ & ~REPLY, RESULTS[result]) + tuple(fields)


def call(path, msg, timeout=10):
    c = connect(path, timeout=timeout)
    try:
        c.sendall(msg)
        return read_reply(c)
    finally:
        c.close()
