#!/usr/bin/python3
"""Regenerate the seed corpus of fuzz_proto: one file per message kind,
well-formed and damaged. Run from the source tree:
    /usr/bin/python3 tests/fuzz/mkseeds_proto.py"""
import os
import struct
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tools"))
import kcproto as k  # noqa: E402

out = os.path.join(os.path.dirname(__file__), "corpus", "proto")
os.makedirs(out, exist_ok=True)


def reply(op, result, msg="", challenge="", dest="", ident=("", "", "", ""),
          version=k.VERSION):
    body = struct.pack(">I", result) + k.s(msg) + k.s(challenge) + k.s(dest)
    body += b"".join(k.s(f) for f in ident)
    return k.message(op | k.REPLY, body, version=version)


def reply_v2(op, result, msg="", challenge="", dest=""):
    """A reply of protocol version 2 (no identity fields)."""
    body = struct.pack(">I", result) + k.s(msg) + k.s(challenge) + k.s(dest)
    return k.message(op | k.REPLY, body, version=2)


seeds = {
    "auth": k.auth("mmuster", "Korrekt-Pferd-42", "sshd", "192.0.2.1"),
    "auth_inline": k.auth("mmuster", "Korrekt-Pferd-42123456", "apache", "", 1),
    "auth_badflag": k.auth("mmuster", "x", flags=2),
    "tan": k.message(k.OPS["TAN"], k.s("mmuster") + k.s("AAAAAAAAAAAAAAAAAAAAAA")
                     + k.s("123456") + k.s("sshd") + k.s("")),
    "acct": k.acct("neukunde", "apache", "::1"),
    "chauthtok": k.chauthtok("neukunde", "alt-alt-alt", "neu-neu-neu-neu"),
    "chauthtok_proof": k.chauthtok("etan", "alt-alt-alt", "neu-neu-neu-neu",
                                   proof="0000000000000000." + "ab" * 16),
    "ping": k.ping(),
    "reply_ok": reply(k.OPS["AUTH"], 0),
    "reply_tan": reply(k.OPS["AUTH"], 3, "TAN gesendet", "AAAA", "m.mu***@example.org"),
    "reply_error": reply(k.OPS["ERROR"], 10),
    "reply_ok_identity": reply(k.OPS["AUTH"], 0, ident=("mmuster", "46075,46077", "admin", "none")),
    "reply_tan_ok_identity": reply(k.OPS["TAN"], 0, challenge="0000000000000000." + "ab" * 16,
                                   ident=("etan", "46075", "user", "email")),
    "reply_identity_on_acct": reply(k.OPS["ACCT"], 0, ident=("mmuster", "", "user", "none")),
    "reply_identity_unsorted": reply(k.OPS["AUTH"], 0, ident=("mmuster", "46077,46075", "user", "none")),
    "reply_identity_bad_role": reply(k.OPS["AUTH"], 0, ident=("mmuster", "46075", "root", "none")),
    "reply_identity_partial": reply(k.OPS["AUTH"], 0, ident=("mmuster", "", "", "")),
    "reply_tan_required_totp": reply(k.OPS["AUTH"], 3, challenge="0000000000000000." + "cd" * 16,
                                     ident=("", "", "", "totp")),
    "reply_tan_required_none": reply(k.OPS["AUTH"], 3, ident=("", "", "", "none")),
    "tan_recovery": k.message(k.OPS["TAN"], k.s("mmuster") + k.s("0000000000000000." + "cd" * 16)
                              + k.s("7kq2 m9xd 4f") + k.s("sshd") + k.s("")),
    "auth_inline_recovery": k.auth("mmuster", "Korrekt-Pferd-427KQ2-M9XD-4F", "apache", "", 1),
    "reply_v2_layout": reply_v2(k.OPS["AUTH"], 0),
    "reply_v2_layout_v3_header": k.message(k.OPS["AUTH"] | k.REPLY, struct.pack(">I", 0) + k.s("") * 3),
    "trailing": k.message(5, b"x"),
    "nul_in_user": k.auth("mm\0uster", "x"),
    "long_len": k.MAGIC + struct.pack(">HHI", k.VERSION, 1, 0xFFFFFFF0),
    "string_over_cap": k.message(k.OPS["ACCT"], k.s("a" * 65) + k.s("") + k.s("")),
    "wrong_version": k.message(5, b"", version=k.VERSION + 1),
    "old_version_auth": k.message(k.OPS["AUTH"], k.s("mmuster") + k.s("x") + k.s("sshd")
                                  + k.s("") + struct.pack(">I", 0), version=2),
}
for name, data in seeds.items():
    with open(os.path.join(out, name), "wb") as f:
        f.write(data)
print("wrote %d seeds to %s" % (len(seeds), out))
