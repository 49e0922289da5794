"""sinklib.py: what the loopback sinks (smtp_sink.py, smtp_fault.py,
sms_sink.py) share: telling the test their port, and running an asyncio
server until SIGTERM or SIGINT."""
import os
import signal


def write_port(directory, port):
    """DIR/port gets the port, atomically: tests wait for the file."""
    tmp = os.path.join(directory, "port.tmp")
    with open(tmp, "w") as f:
        f.write("%d\n" % port)
    os.rename(tmp, os.path.join(directory, "port"))


def serve_asyncio(loop, server, directory):
    """Announce server's port in directory, then run until a signal."""
    write_port(directory, server.sockets[0].getsockname()[1])
    loop.add_signal_handler(signal.SIGTERM, loop.stop)
    loop.add_signal_handler(signal.SIGINT, loop.stop)
    loop.run_forever()
    server.close()
    return 0
