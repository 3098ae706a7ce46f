#!/usr/bin/python3
"""Holds COUNT concurrent connections to an echo service: raises
RLIMIT_NOFILE, opens all of them (at most PARALLEL connects in flight),
then, with every connection still open, writes one line on each and reads it
back. Closes everything at the end. Prints {"opened", "connect_failed",
"echoed", "echo_failed", "max_open", "errors", "open_time", "echo_time"}."""

import argparse
import asyncio
import resource
import time

import libpath  # noqa: F401  (tests/lib/clients on sys.path)
import common


async def amain(a):
    hosts = a.hosts.split(",")
    errors = []
    conns = {}
    sem = asyncio.Semaphore(a.parallel)

    def note(msg):
        if len(errors) < 20:
            errors.append(msg)

    async def opener(i):
        host = hosts[i % len(hosts)]
        async with sem:
            try:
                r, w = await asyncio.wait_for(asyncio.open_connection(host, a.port), 60)
                conns[i] = (r, w)
            except Exception as e:  # noqa: BLE001
                note("connect #%d %s: %s: %s" % (i, host, common.err_name(e), e))

    t0 = time.monotonic()
    await asyncio.gather(*(opener(i) for i in range(a.count)))
    open_time = time.monotonic() - t0
    max_open = len(conns)

    async def echo(i):
        r, w = conns[i]
        line = ("line %d %s\n" % (i, "x" * (i % 50))).encode()
        async with sem:
            try:
                w.write(line)
                await w.drain()
                got = await asyncio.wait_for(r.readline(), 60)
                if got != line:
                    raise ValueError("got %r" % got[:80])
                return True
            except Exception as e:  # noqa: BLE001
                note("echo #%d: %s: %s" % (i, common.err_name(e), e))
                return False

    t1 = time.monotonic()
    res = await asyncio.gather(*(echo(i) for i in sorted(conns)))
    echo_time = time.monotonic() - t1
    still_open = sum(1 for r, w in conns.values() if not w.is_closing())
    for r, w in conns.values():
        w.close()
    return {"opened": max_open, "connect_failed": a.count - max_open,
            "echoed": sum(res), "echo_failed": len(res) - sum(res),
            "still_open_after_echo": still_open, "errors": errors,
            "open_time": open_time, "echo_time": echo_time}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--hosts", required=True, help="comma-separated addresses")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--count", type=int, required=True)
    ap.add_argument("--parallel", type=int, default=256)
    a = ap.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    out = asyncio.run(amain(a))
    out["nofile"] = [soft, hard]
    common.emit(out)


if __name__ == "__main__":
    main()
