#!/usr/bin/env bash
# The registration captcha on kcd's web front: captcha = image (a valid
# PNG that changes on refresh, the input kept, a wrong answer refused,
# single use) and captcha = pow (ALTCHA v1 solved by a script, replay
# refused, the solver script served).
set -u
. "$top_srcdir/tests/lib/slapd.sh"
. "$top_srcdir/tests/lib/kcd.sh"
. "$top_srcdir/tests/lib/check.sh"
kc_slapd_require
command -v curl >/dev/null || { echo "SKIP: curl not installed"; exit 77; }
kc_slapd_start || exit 1
kc_kcd_start "captcha = image" || exit 1
work=$KC_KCD_DIR
jar=$work/jar
PY=/usr/bin/python3
get() { # PATH [curl args]
  local path=$1
  shift
  status=$(curl -s -b "$jar" -c "$jar" -D "$work/head" -o "$work/body" \
    -w '%{http_code}' "$@" "$KC_KCD_URL$path")
}
field() { grep -o "name=\"$1\" value=\"[^\"]*\"" "$work/body" | head -n 1 | sed 's/.*value="//;s/"$//'; }
png_ok() { # FILE: a PNG with IHDR 200x70
  $PY - "$1" <<'PY'
import struct, sys, zlib
d = open(sys.argv[1], "rb").read()
assert d[:8] == b"\x89PNG\r\n\x1a\n", "signature"
off, seen = 8, []
while off < len(d):
    n, t = struct.unpack(">I4s", d[off:off + 8])
    body = d[off + 8:off + 8 + n]
    crc, = struct.unpack(">I", d[off + 8 + n:off + 12 + n])
    assert zlib.crc32(t + body) & 0xffffffff == crc, "crc"
    seen.append(t)
    if t == b"IHDR":
        w, h = struct.unpack(">II", body[:8])
        assert (w, h) == (200, 70), (w, h)
    off += 12 + n
assert seen[0] == b"IHDR" and seen[-1] == b"IEND" and b"IDAT" in seen, seen
PY
}

# --- image
get /register
kc_check_grep "the form shows a captcha picture" '<img src="/captcha/[A-Za-z0-9_-]{27}\.png"' cat "$work/body"
id1=$(field captcha_id)
csrf=$(field csrf)
get "/captcha/$id1.png"
cp "$work/body" "$work/one.png"
kc_check "GET /captcha/<id>.png -> 200 image/png" test "$status" = 200
kc_check_grep "  Content-Type: image/png, not cached" 'Cache-Control: no-store' cat "$work/head"
kc_check "  a valid PNG (signature, CRCs, 200x70)" png_ok "$work/one.png"
get /register --data-urlencode "csrf=$csrf" --data "customer_number=46075" \
  --data-urlencode "email=praxis@muster.example" --data "captcha_id=$id1" \
  --data "captcha_refresh=1"
kc_check "refresh by clicking the picture: 200" test "$status" = 200
kc_check_grep "  the input is kept" 'value="praxis@muster.example"' cat "$work/body"
id2=$(field captcha_id)
kc_check "  with a new id" test -n "$id2" -a "$id2" != "$id1"
get "/captcha/$id2.png"
cp "$work/body" "$work/two.png"
kc_check "  and a different valid picture" bash -c "! cmp -s '$work/one.png' '$work/two.png'"
kc_check "  (also valid)" png_ok "$work/two.png"
get /register --data-urlencode "csrf=$csrf" --data "customer_number=46075" \
  --data-urlencode "email=praxis@muster.example" \
  --data-urlencode "email_repeat=praxis@muster.example" \
  --data "captcha_id=$id2" --data "captcha_answer=WRONG1"
kc_check "a wrong answer -> 422" test "$status" = 422
kc_check_grep "  with the message next to the captcha field" 'id="captcha_answer-error"' cat "$work/body"
get "/captcha/$id2.png"
kc_check "a challenge is single use: its picture is gone (404)" test "$status" = 404
get "/captcha/AAAAAAAAAAAAAAAAAAAAAAAAAAA.png"
kc_check "an unknown id -> 404" test "$status" = 404
get "/captcha/../../etc/passwd"
kc_check "a path that is no id -> 404" test "$status" = 404

# --- pow (ALTCHA v1)
kc_kcd_stop
kc_kcd_start "captcha = pow" || exit 1
rm -f "$jar"
get /register
kc_check_grep "pow: the form loads the solver and has the altcha field" \
  'name="altcha".*src="/static/altcha-solver.js"' tr -d '\n' <"$work/body"
kc_check_grep "  and the CSP allows our own script" "script-src 'self'" cat "$work/head"
csrf=$(field csrf)
get /static/altcha-solver.js
kc_check "the solver script is served" test "$status" = 200
get /captcha/challenge
kc_check "GET /captcha/challenge -> 200" test "$status" = 200
payload=$($PY - "$work/body" <<'PY'
import base64, hashlib, json, sys
c = json.load(open(sys.argv[1]))
assert c["algorithm"] == "SHA-256"
for n in range(c["maxnumber"] + 1):
    if hashlib.sha256((c["salt"] + str(n)).encode()).hexdigest() == c["challenge"]:
        break
else:
    sys.exit("no solution")
sol = {"algorithm": c["algorithm"], "challenge": c["challenge"], "number": n,
       "salt": c["salt"], "signature": c["signature"]}
print(base64.b64encode(json.dumps(sol).encode()).decode())
PY
)
kc_check "a script solves the challenge" test -n "$payload"
post_pow() {
  get /register --data-urlencode "csrf=$csrf" --data "customer_number=46075" \
    --data-urlencode "email=praxis@muster.example" \
    --data-urlencode "email_repeat=praxis@muster.example" \
    --data-urlencode "altcha=$1"
}
post_pow "$payload"
kc_check "POST with the solution -> 200" test "$status" = 200
post_pow "$payload"
kc_check "the same solution again (replay) -> 422" test "$status" = 422
post_pow "eyJhbGdvcml0aG0iOiJTSEEtMjU2In0="
kc_check "a forged payload -> 422" test "$status" = 422
kc_done
