#!/usr/bin/env python3
"""kc_slowclients.py: hold many slow HTTP connections open against a web
server, the way a slowloris client does: each connection, from one of
--addrs loopback source addresses (127.0.0.10, .11, ...), sends the start
of a request and then one more header byte every --drip seconds, never
the end of the headers.

  kc_slowclients.py --port P [--host 127.0.0.1] [--conns 1000]
                    [--addrs 50] [--drip 5] [--status FILE]

Runs until SIGTERM or SIGINT. Every second it writes to --status (and at
the end to stdout) one line: "open N connected M closed K failed F",
where open counts connections the server still holds, closed those the
server closed, and failed those that could not connect.
"""
import argparse
import asyncio
import os
import signal
import socket
import sys

stats = {"connected": 0, "closed": 0, "failed": 0}


def line():
    n_open = stats["connected"] - stats["closed"]
    return "open %d connected %d closed %d failed %d" % (
        n_open, stats["connected"], stats["closed"], stats["failed"])


async def one(host, port, src, drip, stop):
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setblocking(False)
    try:
        sock.bind((src, 0))
        await asyncio.wait_for(
            asyncio.get_running_loop().sock_connect(sock, (host, port)), 10)
        reader, writer = await asyncio.open_connection(sock=sock)
    except (OSError, asyncio.TimeoutError):
        stats["failed"] += 1
        sock.close()
        return
    stats["connected"] += 1
    try:
        writer.write(b"GET /register HTTP/1.1\r\nHost: kcd\r\nX-Slow: ")
        await writer.drain()
        while not stop.is_set():
            # the server closing shows as EOF on a read
            try:
                data = await asyncio.wait_for(reader.read(4096), drip)
                if not data:
                    break
            except asyncio.TimeoutError:
                pass
            writer.write(b"a")
            await writer.drain()
    except (OSError, ConnectionError):
        pass
    if not stop.is_set():
        stats["closed"] += 1
    writer.close()


async def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--conns", type=int, default=1000)
    ap.add_argument("--addrs", type=int, default=50)
    ap.add_argument("--drip", type=float, default=5.0)
    ap.add_argument("--status")
    a = ap.parse_args()
    if not 1 <= a.addrs <= 200:
        sys.exit("--addrs: 1 to 200")
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for s in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(s, stop.set)
    tasks = []
    for i in range(a.conns):
        src = "127.0.0.%d" % (10 + i % a.addrs)
        tasks.append(asyncio.create_task(one(a.host, a.port, src, a.drip, stop)))
        if i % 50 == 49:
            await asyncio.sleep(0.01)  # do not overrun the listen backlog
    while not stop.is_set():
        if a.status:
            tmp = a.status + ".tmp"
            with open(tmp, "w") as f:
                f.write(line() + "\n")
            os.replace(tmp, a.status)
        try:
            await asyncio.wait_for(stop.wait(), 1)
        except asyncio.TimeoutError:
            pass
    print(line(), flush=True)
    for t in tasks:
        t.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


asyncio.run(main())
