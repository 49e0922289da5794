#!/usr/bin/python3
"""RFC 6238 codes for the tests, written from the RFC and not from kcd's
code: HMAC-SHA-1, 6 digits, 30-second steps.

    totp.py SECRET [OFFSET]       the code of the step now + OFFSET
    totp.py --new                 a new random 160-bit secret (base32)
    totp.py --wait-steady         sleep until the current step has at
                                  least 6 seconds left (so a code computed
                                  now is still current when kcd checks it)
    totp.py --step                the current step
SECRET is base32, blanks and lower case allowed."""
import base64
import hashlib
import hmac
import os
import struct
import sys
import time

PERIOD = 30


def code(secret, step):
    key = base64.b32decode(secret.replace(" ", "").upper()
                           + "=" * (-len(secret.replace(" ", "")) % 8))
    mac = hmac.new(key, struct.pack(">Q", step), hashlib.sha1).digest()
    off = mac[-1] & 0x0F
    return "%06d" % ((struct.unpack(">I", mac[off:off + 4])[0] & 0x7FFFFFFF)
                     % 1000000)


def main(argv):
    if len(argv) == 2 and argv[1] == "--new":
        print(base64.b32encode(os.urandom(20)).decode().rstrip("="))
    elif len(argv) == 2 and argv[1] == "--step":
        print(int(time.time()) // PERIOD)
    elif len(argv) == 2 and argv[1] == "--wait-steady":
        left = PERIOD - time.time() % PERIOD
        if left < 6:
            time.sleep(left + 0.2)
    elif len(argv) in (2, 3):
        offset = int(argv[2]) if len(argv) == 3 else 0
        print(code(argv[1], int(time.time()) // PERIOD + offset))
    else:
        sys.stderr.write(__doc__)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
