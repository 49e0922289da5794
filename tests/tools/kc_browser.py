#!/usr/bin/python3
"""kc_browser.py: helpers for tests/integration/test_web_screenshots.sh.

  kc_browser.py png FILE [--min-colors N] [--pixel X,Y,RRGGBB ...]
      Check that FILE is a PNG (signature, chunk CRCs, IHDR, IEND), decode
      its pixels (8-bit RGB or RGBA, not interlaced) and check that it
      holds at least N distinct colours and the given pixel colours
      (tolerance 8 per channel). Prints "WIDTHxHEIGHT colours=N".

  kc_browser.py drive PROFILE_DIR URL [STEP ...]
      Drive an already running headless Chromium (started with
      --remote-debugging-port=0 --user-data-dir=PROFILE_DIR) over the
      DevTools protocol: open URL in its page, then run the steps in order:
        type:NAME=VALUE     focus the field NAME and type VALUE
        radio:NAME=VALUE    click the radio button NAME with VALUE
        select:NAME=VALUE   choose VALUE in the select NAME
        value:NAME=VALUE    check that the field NAME holds VALUE
        submit              click the submit button of the form of the field
                            typed into last (else of the first form), wait
                            for the next page
        shot:FILE           save a PNG screenshot of the current page
      Then print the page's URL on the first line and its visible text
      after it. A missing field, a load that takes over 15 s or a dead
      browser is an error (exit 1).

Only the Python standard library: the WebSocket client below does what the
DevTools protocol needs (client handshake, masked text frames, fragmented
and large replies), nothing more.
"""

import base64
import json
import os
import socket
import struct
import sys
import time
import urllib.request
import zlib

DEADLINE = 15.0  # seconds for one page load or one reply


# ------------------------------------------------------------------- PNG

def png_read(path):
    data = open(path, "rb").read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("no PNG signature")
    pos, chunks = 8, []
    while pos < len(data):
        if len(data) - pos < 12:
            raise ValueError("truncated chunk at %d" % pos)
        length, ctype = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        crc, = struct.unpack(">I", data[pos + 8 + length:pos + 12 + length])
        if len(body) != length or zlib.crc32(ctype + body) != crc:
            raise ValueError("bad chunk %r at %d" % (ctype, pos))
        chunks.append((ctype, body))
        pos += 12 + length
        if ctype == b"IEND":
            break
    if not chunks or chunks[0][0] != b"IHDR" or chunks[-1][0] != b"IEND":
        raise ValueError("IHDR first and IEND last expected")
    w, h, depth, ctype, _, _, interlace = struct.unpack(">IIBBBBB",
                                                        chunks[0][1])
    if w == 0 or h == 0:
        raise ValueError("empty image %dx%d" % (w, h))
    if depth != 8 or ctype not in (2, 6) or interlace != 0:
        raise ValueError("only 8-bit RGB/RGBA, not interlaced: depth=%d "
                         "type=%d interlace=%d" % (depth, ctype, interlace))
    raw = zlib.decompress(b"".join(b for t, b in chunks if t == b"IDAT"))
    return w, h, 3 if ctype == 2 else 4, raw


def png_unfilter(w, h, bpp, raw):
    """The rows of pixel bytes, filters undone (PNG spec section 9).

    None, Sub and Up work on whole rows as big integers (bytewise adds
    without carries between bytes), so a screenshot decodes in a second;
    Average and Paeth go byte by byte."""
    stride = w * bpp
    if len(raw) != h * (stride + 1):
        raise ValueError("IDAT holds %d bytes, %d expected"
                         % (len(raw), h * (stride + 1)))
    low7 = int.from_bytes(b"\x7f" * stride, "big")
    high = int.from_bytes(b"\x80" * stride, "big")

    def add(x, y):
        return ((x & low7) + (y & low7)) ^ ((x ^ y) & high)

    rows, prev = [], bytes(stride)
    for y in range(h):
        f = raw[y * (stride + 1)]
        line = raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)]
        if f == 0:
            cur = bytes(line)
        elif f == 1:  # a running sum per channel, in doubling steps
            x, step = int.from_bytes(line, "big"), bpp
            while step < stride:
                x = add(x, x >> (8 * step))
                step *= 2
            cur = x.to_bytes(stride, "big")
        elif f == 2:
            cur = add(int.from_bytes(line, "big"),
                      int.from_bytes(prev, "big")).to_bytes(stride, "big")
        elif f == 3:
            c = bytearray(line)
            for i in range(stride):
                left = c[i - bpp] if i >= bpp else 0
                c[i] = (c[i] + ((left + prev[i]) >> 1)) & 255
            cur = bytes(c)
        elif f == 4:
            c = bytearray(line)
            for i in range(bpp):
                c[i] = (c[i] + prev[i]) & 255
            for i in range(bpp, stride):
                a, b, ul = c[i - bpp], prev[i], prev[i - bpp]
                pa, pb = b - ul, a - ul  # |p - a|, |p - b| with p = a + b - ul
                pc = abs(pa + pb)
                pa, pb = abs(pa), abs(pb)
                pred = a if pa <= pb and pa <= pc else b if pb <= pc else ul
                c[i] = (c[i] + pred) & 255
            cur = bytes(c)
        else:
            raise ValueError("bad filter %d in row %d" % (f, y))
        rows.append(cur)
        prev = cur
    return rows


def cmd_png(args):
    path, min_colors, pixels = args[0], 2, []
    i = 1
    while i < len(args):
        if args[i] == "--min-colors":
            min_colors = int(args[i + 1])
        elif args[i] == "--pixel":
            x, y, rgb = args[i + 1].split(",")
            pixels.append((int(x), int(y), bytes.fromhex(rgb)))
        else:
            raise SystemExit("png: unknown argument %s" % args[i])
        i += 2
    try:
        w, h, bpp, raw = png_read(path)
        rows = png_unfilter(w, h, bpp, raw)
    except (OSError, ValueError, zlib.error) as e:
        print("%s: not a valid PNG: %s" % (path, e))
        return 1
    colours = set()
    for row in rows:
        colours.update(zip(row[0::bpp], row[1::bpp], row[2::bpp]))
    print("%dx%d colours=%d" % (w, h, len(colours)))
    rc = 0
    if len(colours) < min_colors:
        print("%s: only %d colours, %d expected: blank?"
              % (path, len(colours), min_colors))
        rc = 1
    for x, y, want in pixels:
        got = rows[y][x * bpp:x * bpp + 3]
        if any(abs(a - b) > 8 for a, b in zip(got, want)):
            print("%s: pixel %d,%d is %s, %s expected"
                  % (path, x, y, got.hex(), want.hex()))
            rc = 1
    return rc


# ------------------------------------------------------------- WebSocket

class WebSocket:
    def __init__(self, url):
        assert url.startswith("ws://")
        hostport, _, path = url[5:].partition("/")
        host, _, port = hostport.rpartition(":")
        self.sock = socket.create_connection((host, int(port)), DEADLINE)
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall(("GET /%s HTTP/1.1\r\nHost: %s\r\n"
                           "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                           "Sec-WebSocket-Key: %s\r\n"
                           "Sec-WebSocket-Version: 13\r\n\r\n"
                           % (path, hostport, key)).encode())
        head = b""
        while b"\r\n\r\n" not in head:
            got = self.sock.recv(1)
            if not got:
                raise OSError("websocket handshake: connection closed")
            head += got
        if not head.startswith(b"HTTP/1.1 101"):
            raise OSError("websocket handshake: %r" % head.split(b"\r\n")[0])

    def _exact(self, n):
        buf = b""
        while len(buf) < n:
            got = self.sock.recv(n - len(buf))
            if not got:
                raise OSError("websocket: connection closed")
            buf += got
        return buf

    def send(self, text):
        payload = text.encode()
        n = len(payload)
        head = bytes([0x81])  # FIN, text
        if n < 126:
            head += bytes([0x80 | n])
        elif n < 65536:
            head += bytes([0x80 | 126]) + struct.pack(">H", n)
        else:
            head += bytes([0x80 | 127]) + struct.pack(">Q", n)
        mask = os.urandom(4)
        body = bytes(b ^ mask[i & 3] for i, b in enumerate(payload))
        self.sock.sendall(head + mask + body)

    def recv(self):
        message = b""
        while True:
            b0, b1 = self._exact(2)
            n = b1 & 0x7f
            if n == 126:
                n, = struct.unpack(">H", self._exact(2))
            elif n == 127:
                n, = struct.unpack(">Q", self._exact(8))
            mask = self._exact(4) if b1 & 0x80 else None
            data = self._exact(n)
            if mask:
                data = bytes(b ^ mask[i & 3] for i, b in enumerate(data))
            op = b0 & 0x0f
            if op == 8:
                raise OSError("websocket: closed by the browser")
            if op in (9, 10):  # ping, pong: the browser sends none
                continue
            message += data
            if b0 & 0x80:
                return message.decode()


# -------------------------------------------------------------- DevTools

class Page:
    def __init__(self, profile):
        port_file = os.path.join(profile, "DevToolsActivePort")
        end = time.monotonic() + DEADLINE
        while True:
            try:
                port = open(port_file).read().split("\n")[0].strip()
                if port:
                    break
            except OSError:
                pass
            if time.monotonic() > end:
                raise OSError("no DevToolsActivePort in %s" % profile)
            time.sleep(0.05)
        url = "http://127.0.0.1:%s/json/list" % port
        end = time.monotonic() + DEADLINE
        while True:
            targets = json.load(urllib.request.urlopen(url, timeout=DEADLINE))
            pages = [t for t in targets if t.get("type") == "page"]
            if pages:
                break
            if time.monotonic() > end:
                raise OSError("the browser has no page")
            time.sleep(0.05)
        self.ws = WebSocket(pages[0]["webSocketDebuggerUrl"])
        self.next_id = 0
        self.events = []
        self.call("Page.enable")
        self.call("Runtime.enable")
        # the same page size as the --screenshot pictures
        self.call("Emulation.setDeviceMetricsOverride", width=1000,
                  height=1400, deviceScaleFactor=1, mobile=False)

    def call(self, method, **params):
        self.next_id += 1
        self.ws.send(json.dumps({"id": self.next_id, "method": method,
                                 "params": params}))
        while True:
            msg = json.loads(self.ws.recv())
            if msg.get("id") == self.next_id:
                if "error" in msg:
                    raise OSError("%s: %s" % (method, msg["error"]))
                return msg.get("result", {})
            if "method" in msg:
                self.events.append(msg["method"])

    def wait_load(self):
        end = time.monotonic() + DEADLINE
        while "Page.loadEventFired" not in self.events:
            if time.monotonic() > end:
                raise OSError("page load took over %d s" % DEADLINE)
            msg = json.loads(self.ws.recv())
            if "method" in msg:
                self.events.append(msg["method"])
        self.events = []

    def js(self, expr):
        r = self.call("Runtime.evaluate", expression=expr, returnByValue=True)
        if "exceptionDetails" in r:
            raise OSError("script failed: %s" % r["exceptionDetails"])
        return r["result"].get("value")

    def navigate(self, url):
        self.events = []
        self.call("Page.navigate", url=url)
        self.wait_load()


def field_js(kind, name, value):
    n, v = json.dumps(name), json.dumps(value)
    if kind == "radio":
        return ("(function(){var e=document.querySelector('input[type=radio]"
                "[name='+CSS.escape(%s)+'][value='+CSS.escape(%s)+']');"
                "if(!e)return false;e.click();return e.checked;})()" % (n, v))
    if kind == "select":
        return ("(function(){var e=document.getElementsByName(%s)[0];"
                "if(!e||e.tagName!=='SELECT')return false;e.value=%s;"
                "e.dispatchEvent(new Event('change',{bubbles:true}));"
                "return e.value===%s;})()" % (n, v, v))
    return ("(function(){var e=document.getElementsByName(%s)[0];"
            "if(!e||e.type==='hidden')return false;e.focus();e.select();"
            "return document.activeElement===e;})()" % n)


def cmd_drive(args):
    profile, url, steps = args[0], args[1], args[2:]
    page = Page(profile)
    page.navigate(url)
    for step in steps:
        kind, _, rest = step.partition(":")
        if kind in ("type", "radio", "select"):
            name, _, value = rest.partition("=")
            if not page.js(field_js(kind, name, value)):
                raise OSError("no field %s (%s) on %s"
                              % (name, kind, page.js("location.href")))
            if kind == "type":
                page.call("Input.insertText", text=value)
                got = page.js("document.getElementsByName(%s)[0].value"
                              % json.dumps(name))
                if got != value:
                    raise OSError("field %s holds %r after typing" % (name, got))
        elif kind == "value":
            name, _, value = rest.partition("=")
            got = page.js("(function(){var e=document.getElementsByName(%s)[0];"
                          "return e?e.value:null;})()" % json.dumps(name))
            if got != value:
                raise OSError("field %s holds %r, %r expected"
                              % (name, got, value))
        elif kind == "submit":
            page.events = []
            # the form of the field typed into last, else the first form
            if not page.js("(function(){var a=document.activeElement;"
                           "var f=a&&a.form?a.form:document;"
                           "var b=f.querySelector(f===document?"
                           "'form button[type=submit]':'button[type=submit]');"
                           "if(!b)return false;b.click();return true;})()"):
                raise OSError("no submit button")
            page.wait_load()
        elif kind == "shot":
            shot = page.call("Page.captureScreenshot", format="png")
            with open(rest, "wb") as f:
                f.write(base64.b64decode(shot["data"]))
        else:
            raise OSError("unknown step %s" % step)
    print(page.js("location.href"))
    print(page.js("document.body.innerText"))
    return 0


def main():
    if len(sys.argv) >= 3 and sys.argv[1] == "png":
        return cmd_png(sys.argv[2:])
    if len(sys.argv) >= 4 and sys.argv[1] == "drive":
        try:
            return cmd_drive(sys.argv[2:])
        except (OSError, ValueError) as e:
            print("kc_browser: %s" % e, file=sys.stderr)
            return 1
    print(__doc__.strip().split("\n\n")[1], file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
