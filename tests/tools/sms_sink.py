#!/usr/bin/python3
"""sms_sink.py: a loopback HTTP server playing an SMS gateway.

usage: sms_sink.py DIR

Listens on 127.0.0.1 on a port the kernel picks and writes that port to
DIR/port once it accepts connections. Every request is appended to
DIR/requests.jsonl as one JSON object: method, path (with query), headers
(a list of [name, value] pairs) and body (UTF-8 text). The answer's status
is read from DIR/status at each request (200 when the file is missing), so
a test can make the gateway fail; a 3xx answer points Location at
/redirected. The answer body says "GATEWAY-BODY" so tests can check it is
never quoted back; DIR/body, when present, is sent instead (a gateway
answering nonsense). DIR/delay, when present, holds the seconds to wait
before answering (a gateway that does not answer in time); the request
is recorded first. Runs until SIGTERM.
"""
import http.server
import json
import os
import signal
import sys
import threading
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import sinklib  # noqa: E402


class Handler(http.server.BaseHTTPRequestHandler):
    server_version = "sms-sink/1"

    def log_message(self, fmt, *args):
        pass

    def _status(self):
        try:
            with open(os.path.join(self.server.directory, "status")) as f:
                return int(f.read().strip())
        except FileNotFoundError:
            return 200

    def _record(self, body):
        entry = {
            "method": self.command,
            "path": self.path,
            "headers": [[k, v] for k, v in self.headers.items()],
            "body": body.decode("utf-8", "replace"),
        }
        with self.server.lock:
            with open(os.path.join(self.server.directory, "requests.jsonl"),
                      "a") as f:
                f.write(json.dumps(entry) + "\n")

    def _read(self, name):
        try:
            with open(os.path.join(self.server.directory, name), "rb") as f:
                return f.read()
        except FileNotFoundError:
            return None

    def _answer(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length > 0 else b""
        self._record(body)
        delay = self._read("delay")
        if delay is not None:
            time.sleep(float(delay.decode().strip() or 0))
        status = self._status()
        payload = self._read("body")
        if payload is None:
            payload = b"GATEWAY-BODY status=%d\n" % status
        try:
            self.send_response(status)
            if 300 <= status < 400:
                self.send_header("Location", "/redirected")
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up waiting (DIR/delay)

    def do_GET(self):
        self._answer()

    def do_POST(self):
        self._answer()


def main(argv):
    if len(argv) != 2:
        sys.stderr.write(__doc__)
        return 2
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.directory = argv[1]
    server.lock = threading.Lock()
    sinklib.write_port(argv[1], server.server_address[1])

    def stop(signum, frame):
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    server.serve_forever()
    server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
