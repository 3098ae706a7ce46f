"""Tor's timing for the test SOCKS server (servers.py socks --rtt-ms): one
CONNECT served as a Tor client and exit would serve it over a circuit whose
round trip is rtt seconds.

The BEGIN reaches the exit rtt/2 after the request; the exit connects, and
its CONNECTED reaches the client rtt/2 later; every byte takes rtt/2 each
way. Bytes the client sends after its request, before the reply, travel
with the BEGIN and reach the server as soon as the exit has connected
(Tor's optimistic data, proposal 181). Standard library only."""

import asyncio


async def connect(reader, writer, target, rtt, socks_reply, close_writer):
    """Serves one CONNECT to target (host, port) after its request was read;
    returns how many bytes the client sent before the reply."""
    loop = asyncio.get_running_loop()
    half = rtt / 2
    up, down = asyncio.Queue(), asyncio.Queue()
    state = {"replied": False, "early": 0}

    async def until(t):
        d = t - loop.time()
        if d > 0:
            await asyncio.sleep(d)

    async def read_into(r, queue, count_early):
        while True:
            data = await r.read(65536)
            if count_early and not state["replied"]:
                state["early"] += len(data)
            queue.put_nowait((loop.time(), data))
            if not data:
                return

    async def deliver(queue, w):
        """Each chunk rtt/2 after it was read, in order; EOF as EOF."""
        while True:
            t, data = await queue.get()
            await until(t + half)
            if not data:
                if w.can_write_eof():
                    w.write_eof()
                return
            w.write(data)
            await w.drain()

    reading = asyncio.ensure_future(read_into(reader, up, True))
    try:
        await asyncio.sleep(half)
        try:
            ureader, uwriter = await asyncio.wait_for(
                asyncio.open_connection(target[0], target[1]), 10)
        except (OSError, asyncio.TimeoutError):
            await asyncio.sleep(half)
            writer.write(socks_reply(5))
            await writer.drain()
            return state["early"]
        reply_at = loop.time() + half

        async def reply_then_deliver():
            await until(reply_at)
            state["replied"] = True
            writer.write(socks_reply(0, uwriter.get_extra_info("sockname")))
            await writer.drain()
            await deliver(down, writer)

        try:
            await asyncio.gather(deliver(up, uwriter), reply_then_deliver(),
                                 read_into(ureader, down, False))
        except (ConnectionError, OSError):
            pass
        finally:
            await close_writer(uwriter)
    finally:
        reading.cancel()
    return state["early"]
