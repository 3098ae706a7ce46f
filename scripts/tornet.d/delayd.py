#!/usr/bin/env python3
"""tornet's delaying relay (`scripts/tornet start --latency MS`): this kernel
has no netem, so a hop's latency is made in user space. Each relay listens
on an ORPort it does not advertise; the one it advertises is served here,
and every byte through it, each way, arrives MS milliseconds after it was
sent, in order, as over a link with that one-way delay.

    delayd.py --fd N --to PORT --delay-ms MS --log FILE

The listening socket is bound by `scripts/tornet` and inherited; PORT is the
relay's own ORPort on 127.0.0.1. Standard library only.
"""

import argparse
import asyncio
import socket
import sys


async def pump(reader, writer, delay):
    """Bytes from reader to writer, each chunk delay seconds after it came."""
    loop = asyncio.get_running_loop()
    queue = asyncio.Queue()

    async def read():
        while True:
            try:
                data = await reader.read(65536)
            except (ConnectionError, OSError):
                data = b""
            queue.put_nowait((loop.time() + delay, data))
            if not data:
                return

    async def write():
        while True:
            at, data = await queue.get()
            wait = at - loop.time()
            if wait > 0:
                await asyncio.sleep(wait)
            try:
                if not data:
                    if writer.can_write_eof():
                        writer.write_eof()
                    return
                writer.write(data)
                await writer.drain()
            except (ConnectionError, OSError):
                return

    await asyncio.gather(read(), write())


async def serve(args):
    delay = args.delay_ms / 1000.0

    async def handle(reader, writer):
        try:
            ureader, uwriter = await asyncio.open_connection("127.0.0.1", args.to)
        except OSError:
            writer.close()
            return
        try:
            await asyncio.gather(pump(reader, uwriter, delay), pump(ureader, writer, delay))
        finally:
            for w in (writer, uwriter):
                w.close()

    sock = socket.socket(fileno=args.fd)
    sock.setblocking(False)
    server = await asyncio.start_server(handle, sock=sock)
    async with server:
        await server.serve_forever()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--fd", type=int, required=True)
    ap.add_argument("--to", type=int, required=True)
    ap.add_argument("--delay-ms", type=int, required=True)
    ap.add_argument("--log")
    args = ap.parse_args()
    sys.stderr.write("delayd: %d ms each way to 127.0.0.1:%d\n" % (args.delay_ms, args.to))
    asyncio.run(serve(args))


if __name__ == "__main__":
    main()
