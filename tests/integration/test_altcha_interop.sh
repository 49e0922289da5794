#!/bin/bash
#
# test_altcha_interop.sh: kcd's captcha against the reference ALTCHA code
# (altcha-lib's v1 API from npm) and against a PNG checker, through
# tests/tools/kc-captcha (the captcha library with a fixed test key).
#
#   1. altcha-lib solves a challenge from kcd: kcd accepts the payload once
#      (a second use is a replay), and altcha-lib's verifySolution accepts
#      it with the derived key (the same signature and expiry format)
#   2. kcd's browser solver (kcd/web/www/altcha-solver.js, run in node) solves a
#      challenge from kcd: both sides accept its payload
#   3. createChallenge of altcha-lib with kcd's key: kcd accepts the
#      solutions of altcha-lib's solver and of its own
#   4. refused by both: a changed number, a changed signature, an expired
#      challenge; refused by kcd: altcha-lib challenges without expiry
#      (kcd needs one to bound its replay store) or with another key
#   5. the compiled-in solver script equals kcd/web/www/altcha-solver.js
#   6. image captchas are valid PNG: Python's zlib decodes them (CRCs,
#      IHDR, size) and pngcheck finds no error
#
# altcha-lib comes from $KC_NODE_PREFIX/node_modules (tests/run.sh installs
# it there with npm) or build/node/node_modules in the source tree.
# Exit 0 pass, 1 fail, 77 when node or altcha-lib is missing.
set -u

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/lib/cleanup.sh
. "$here/../lib/cleanup.sh"
# shellcheck source=tests/lib/check.sh
. "$here/../lib/check.sh"

: "${top_srcdir:=$(cd "$here/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
KC=$top_builddir/tests/tools/kc-captcha
JS=$top_srcdir/tests/tools/altcha_interop.js
export KCD_SOLVER=$top_srcdir/kcd/web/www/altcha-solver.js
PY=/usr/bin/python3

if ! command -v node >/dev/null 2>&1; then
  echo "SKIP: node is not installed (apt-get install nodejs)"
  exit 77
fi
ALTCHA_NODE_MODULES=
for prefix in "${KC_NODE_PREFIX:-}" "$top_srcdir/build/node"; do
  if [ -n "$prefix" ] && [ -f "$prefix/node_modules/altcha-lib/package.json" ]; then
    ALTCHA_NODE_MODULES=$prefix/node_modules
    break
  fi
done
if [ -z "$ALTCHA_NODE_MODULES" ]; then
  echo "SKIP: altcha-lib not found (npm install --prefix DIR altcha-lib@2 and set KC_NODE_PREFIX=DIR; tests/run.sh does this)"
  exit 77
fi
export ALTCHA_NODE_MODULES
echo "# altcha-lib $(node -p "require('$ALTCHA_NODE_MODULES/altcha-lib/package.json').version")"

tmp=$(mktemp -d)
kc_cleanup_add "rm -rf '$tmp'"

key=$("$KC" key) || { echo "kc-captcha key failed"; exit 1; }

# node helpers; the output is the last line (node prints nothing else)
lib() { node "$JS" "$@"; }

# verify_twice PAYLOAD: kcd's verdicts on two uses in one process
verify_twice() { "$KC" verify "$1" "$1" | tr '\n' ' '; }

# tamper PAYLOAD WHAT: the payload with its number or signature changed
tamper() {
  "$PY" - "$1" "$2" <<'EOF'
import base64, json, sys
p = json.loads(base64.b64decode(sys.argv[1]))
if sys.argv[2] == "number":
    p["number"] += 1
else:
    s = p["signature"]
    p["signature"] = s[:-1] + ("0" if s[-1] != "0" else "1")
print(base64.b64encode(json.dumps(p, separators=(",", ":")).encode()).decode())
EOF
}

# --- 1. altcha-lib solves kcd's challenge
ch=$("$KC" challenge 20000)
kc_check_grep "kcd's challenge has the ALTCHA v1 fields" \
  '^\{"algorithm":"SHA-256","challenge":"[0-9a-f]{64}","maxnumber":20000,"salt":"[0-9a-f]{24}\?expires=[0-9]+&","signature":"[0-9a-f]{64}"\}$' \
  echo "$ch"
p=$(lib solve-lib "$ch")
kc_check "altcha-lib's verifySolution accepts it (same key derivation)" \
  lib verify-lib "$key" "$p"
kc_check_grep "kcd accepts altcha-lib's solution once, then refuses the replay" \
  '^ok fail $' verify_twice "$p"

# --- 2. kcd's own solver
ch=$("$KC" challenge 20000)
p=$(lib solve-ours "$ch")
kc_check "kcd accepts the payload of kcd's browser solver" "$KC" verify "$p"
kc_check "altcha-lib accepts the payload of kcd's browser solver" \
  lib verify-lib "$key" "$p"

# --- 3. altcha-lib's challenge with kcd's key
ch=$(lib create-lib "$key" 20000 300)
p=$(lib solve-lib "$ch")
kc_check "kcd accepts a solved altcha-lib challenge" "$KC" verify "$p"
ch=$(lib create-lib "$key" 20000 300)
p=$(lib solve-ours "$ch")
kc_check "kcd accepts its solver's answer to an altcha-lib challenge" \
  "$KC" verify "$p"

# --- 4. refusals
ch=$("$KC" challenge 20000)
p=$(lib solve-lib "$ch")
bad=$(tamper "$p" number)
kc_check_fails "kcd refuses a changed number" "$KC" verify "$bad"
kc_check_fails "altcha-lib refuses the changed number" lib verify-lib "$key" "$bad"
bad=$(tamper "$p" signature)
kc_check_fails "kcd refuses a changed signature" "$KC" verify "$bad"
kc_check_fails "altcha-lib refuses the changed signature" \
  lib verify-lib "$key" "$bad"
kc_check "the untouched payload still passes after those" "$KC" verify "$p"

ch=$(KC_CAPTCHA_NOW=$(($(date +%s) - 7200)) "$KC" challenge 20000)
p=$(lib solve-lib "$ch")
kc_check_fails "kcd refuses an expired challenge" "$KC" verify "$p"
kc_check_fails "altcha-lib refuses it too" lib verify-lib "$key" "$p"

ch=$(lib create-lib "$key" 20000)
p=$(lib solve-lib "$ch")
kc_check "altcha-lib accepts its challenge without expiry" \
  lib verify-lib "$key" "$p"
kc_check_fails "kcd refuses a challenge without expiry" "$KC" verify "$p"
ch=$(lib create-lib "not-our-key" 20000 300)
p=$(lib solve-lib "$ch")
kc_check_fails "kcd refuses a challenge signed with another key" \
  "$KC" verify "$p"

# --- 5. the compiled-in script
"$KC" asset >"$tmp/asset.js"
kc_check "kc_www_altcha_js is kcd/web/www/altcha-solver.js" \
  cmp "$tmp/asset.js" "$KCD_SOLVER"

# --- 6. PNG
for i in 1 2 3; do
  "$KC" png "$tmp/c$i.png" || kc_fail "kc-captcha png $i"
done
kc_check "Python decodes the captcha PNGs (CRCs, IHDR, zlib, size)" \
  "$PY" - "$tmp"/c1.png "$tmp"/c2.png "$tmp"/c3.png <<'EOF'
import struct, sys, zlib
seen = set()
for path in sys.argv[1:]:
    d = open(path, "rb").read()
    assert d[:8] == b"\x89PNG\r\n\x1a\n", "signature"
    pos, idat, types = 8, b"", []
    while pos < len(d):
        n, = struct.unpack(">I", d[pos:pos + 4])
        t, body = d[pos + 4:pos + 8], d[pos + 8:pos + 8 + n]
        crc, = struct.unpack(">I", d[pos + 8 + n:pos + 12 + n])
        assert zlib.crc32(t + body) == crc, "CRC of %r" % t
        types.append(t)
        if t == b"IHDR":
            w, h, depth, ctype, comp, filt, inter = struct.unpack(">IIBBBBB", body)
            assert (w, h, depth, ctype, comp, filt, inter) == (200, 70, 8, 0, 0, 0, 0)
        elif t == b"IDAT":
            idat += body
        pos += 12 + n
    assert types[0] == b"IHDR" and types[-1] == b"IEND", types
    raw = zlib.decompress(idat)
    assert len(raw) == h * (w + 1), len(raw)
    assert all(raw[y * (w + 1)] == 0 for y in range(h)), "filter bytes"
    seen.add(raw)
assert len(seen) == len(sys.argv) - 1, "two captchas look the same"
print("ok")
EOF
if command -v pngcheck >/dev/null 2>&1; then
  kc_check "pngcheck finds no error" pngcheck -q "$tmp"/c1.png "$tmp"/c2.png "$tmp"/c3.png
else
  echo "# pngcheck not installed; Python's check above stands alone"
fi

kc_done
