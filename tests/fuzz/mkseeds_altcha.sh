#!/bin/sh
# mkseeds_altcha.sh: regenerate the seed corpora of fuzz_altcha and
# fuzz_captcha_answer (tests/fuzz/corpus/altcha, .../captcha_answer).
# fuzz_altcha's valid seeds are challenges of kc-captcha (the fixed test
# key) at the harness's clock, solved here, so they pass every check.
#
#   sh tests/fuzz/mkseeds_altcha.sh BUILDDIR     (BUILDDIR has kc-captcha)
set -eu

here=$(cd "$(dirname "$0")" && pwd)
kc=${1:?usage: mkseeds_altcha.sh BUILDDIR}/tests/tools/kc-captcha
now=1700000000 # FUZZ_NOW in fuzz_altcha.c

c1=$(KC_CAPTCHA_NOW=$now "$kc" challenge 1000)
c2=$(KC_CAPTCHA_NOW=$now "$kc" challenge 1000)
c3=$(KC_CAPTCHA_NOW=$((now - 5000)) "$kc" challenge 1000)

/usr/bin/python3 - "$here/corpus" "$c1" "$c2" "$c3" <<'PY'
import base64, hashlib, json, os, sys

out, c1, c2, c3 = sys.argv[1], *map(json.loads, sys.argv[2:])


def solve(c):
    for n in range(c["maxnumber"] + 1):
        if hashlib.sha256((c["salt"] + str(n)).encode()).hexdigest() == c["challenge"]:
            return n
    raise SystemExit("no solution")


def payload(c, n, **extra):
    p = {"algorithm": c["algorithm"], "challenge": c["challenge"], "number": n,
         "salt": c["salt"], "signature": c["signature"], "took": 417}
    p.update(extra)
    return json.dumps(p, separators=(",", ":")).encode()


def write(corpus, name, data):
    d = os.path.join(out, corpus)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


b64 = base64.b64encode
n1, n2, n3 = solve(c1), solve(c2), solve(c3)
alt = {
    "valid_b64": b"\0" + b64(payload(c1, n1)),
    "valid_json": b"\1" + payload(c2, n2),
    "valid_json_blanks": b"\1" + (
        '\n{ "salt" : "%s" , "number":%d,\t"signature":"%s",'
        '"challenge":"%s","algorithm":"SHA\\u002d256" }\r\n'
        % (c1["salt"], n1, c1["signature"], c1["challenge"])).encode(),
    "expired": b"\0" + b64(payload(c3, n3)),
    "wrong_number": b"\0" + b64(payload(c1, n1 + 1)),
    "wrong_signature": b"\1" + payload(c1, n1, signature="0" * 64),
    "salt_moved_digit": b"\1" + payload(c1, n1 % 10, salt=c1["salt"] + str(n1)[:-1]),
    "no_expiry": b"\1" + payload(c1, n1, salt=c1["salt"].split("?")[0] + "&"),
    "two_expiries": b"\1" + payload(c1, n1, salt=c1["salt"] + "expire=1&"),
    "bool_member": b"\1" + payload(c1, n1, test=True),
    "number_string": b"\1" + payload(c1, str(n1)),
    "unpadded": b"\0" + b64(payload(c1, n1)).rstrip(b"="),
    "escapes": b"\1" + b'{"a":"\\"\\\\\\/\\b\\f\\n\\r\\t","u":"\\u00e4\\ud83d\\ude00"}',
    "lone_surrogate": b"\1" + b'{"a":"\\udc00"}',
    "nul_escape": b"\1" + b'{"a":"\\u0000"}',
    "nested": b"\1" + b'{"a":{"b":[1,2]}}',
    "duplicate": b"\1" + b'{"a":1,"a":2}',
    "float": b"\1" + b'{"a":1.5e3}',
    "big_int": b"\1" + b'{"a":9007199254740992}',
    "neg_int": b"\1" + b'{"number":-1}',
    "leading_zero": b"\1" + b'{"a":007}',
    "trailing": b"\1" + b'{"a":1}x',
    "empty": b"\1{}",
    "garbage_b64": b"\0!!!!",
    "raw_utf8": b"\1" + '{"ä":"€"}'.encode(),
    "bad_utf8": b"\1" + b'{"a":"\xc3\x28"}',
}
for name, data in alt.items():
    write("altcha", name, data)

# fuzz_captcha_answer: byte r, then "ID\nANSWER" or "ANSWER"
ALPHABET = "ACDEFGHJKMNPRTUWXY2345789"


def text(b):
    v = (b * 0x01010101) & 0xffffffff
    return ALPHABET[v % 25] * (5 + v % 2)


def real_id(b):
    return base64.urlsafe_b64encode(b"\0\0\0\0" + bytes([b]) * 16).rstrip(b"=")


five = next(b for b in range(1, 256) if text(b)[0] == "5")
ans = {
    "right": b"\x11" + text(0x11).encode(),
    "right_lower_blanks": b"\x11" + (" \t" + text(0x11).lower() + " \r").encode(),
    "right_with_id": b"\x11" + real_id(0x11) + b"\n" + text(0x11).encode(),
    "wrong_id": b"\x11" + b"A" * 27 + b"\n" + text(0x11).encode(),
    "lookalike": bytes([five]) + b"s" * len(text(five)),
    "wrong": b"\x11WRONG",
    "too_long": b"\x11" + b" " * 70 + text(0x11).encode(),
    "inner_blank": b"\x11" + text(0x11)[:2].encode() + b" " + text(0x11)[2:].encode(),
    "draw": b"\xd1" + text(0xd1).encode(),
    "draw_any": b"\xe3" + b"\xff\x00AZ09?",
    "empty": b"\x05",
}
for name, data in ans.items():
    write("captcha_answer", name, data)
PY
echo "seeds written to $here/corpus/altcha and $here/corpus/captcha_answer"
