#!/usr/bin/python3
"""Concurrent fetcher: COUNT GETs of PATH at HOST:PORT, CONCURRENCY at a time
(threads). Prints {"ok", "failed", "digests": {sha256: count}, "lengths":
{len: count}, "errors": [...first 20], "elapsed"}."""

import argparse
import collections
import concurrent.futures
import threading
import time

import libpath  # noqa: F401  (tests/lib/clients on sys.path)
import common


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--host", required=True)
    ap.add_argument("--port", type=int, default=80)
    ap.add_argument("--path", required=True)
    ap.add_argument("--count", type=int, required=True)
    ap.add_argument("--concurrency", type=int, required=True)
    ap.add_argument("--timeout", type=float, default=60.0)
    a = ap.parse_args()

    # All connections are opened before any of them reads: the streams
    # really are concurrent, not a quick succession.
    barrier = (threading.Barrier(a.count, timeout=a.timeout)
               if a.count <= a.concurrency else None)

    def one(i):
        s = common.connect(a.host, a.port, a.timeout)
        try:
            if barrier is not None:
                try:
                    barrier.wait()
                except threading.BrokenBarrierError:
                    pass
            s.sendall(("GET %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n"
                       % (a.path, a.host)).encode())
            data = common.recv_all(s)
        finally:
            s.close()
        status, _, body = common.parse_http(data)
        if status != 200:
            raise ValueError("status %d" % status)
        return body

    t0 = time.monotonic()
    digests = collections.Counter()
    lengths = collections.Counter()
    errors = []
    with concurrent.futures.ThreadPoolExecutor(a.concurrency) as ex:
        futs = [ex.submit(one, i) for i in range(a.count)]
        for f in futs:
            try:
                body = f.result()
                digests[common.sha256(body)] += 1
                lengths[str(len(body))] += 1
            except Exception as e:  # noqa: BLE001
                errors.append("%s: %s" % (common.err_name(e), e))
    common.emit({"ok": sum(digests.values()), "failed": len(errors),
                 "digests": dict(digests), "lengths": dict(lengths),
                 "errors": errors[:20], "elapsed": time.monotonic() - t0})


if __name__ == "__main__":
    main()
