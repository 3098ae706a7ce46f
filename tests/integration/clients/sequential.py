#!/usr/bin/python3
"""Sequential short connections: creates READY_FILE, waits for GO_FILE, then
makes COUNT GET requests one after the other (the server closes first).
Prints {"ok", "failed", "errors", "max_latency", "distinct_local_ports",
"port_range", "elapsed"}. Stops early after 50 failures."""

import argparse
import time

import libpath  # noqa: F401  (tests/lib/clients on sys.path)
import common


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--host", required=True)
    ap.add_argument("--port", type=int, default=80)
    ap.add_argument("--path", default="/hello")
    ap.add_argument("--expect", default="hello\n")
    ap.add_argument("--count", type=int, required=True)
    ap.add_argument("--ready-file")
    ap.add_argument("--go-file")
    ap.add_argument("--timeout", type=float, default=20.0)
    a = ap.parse_args()
    if a.ready_file:
        common.touch(a.ready_file)
    if a.go_file:
        common.wait_for_file(a.go_file, 120)
    with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
        port_range = f.read().split()
    ok = failed = 0
    errors = []
    ports = set()
    max_lat = 0.0
    t0 = time.monotonic()
    for i in range(a.count):
        t1 = time.monotonic()
        info = {}
        try:
            status, body = common.http_get(a.host, a.port, a.path, a.timeout, info)
            if status != 200 or body.decode("latin-1") != a.expect:
                raise ValueError("status %d body %r" % (status, body[:100]))
            ok += 1
        except Exception as e:  # noqa: BLE001
            failed += 1
            if len(errors) < 20:
                errors.append("#%d: %s: %s" % (i, common.err_name(e), e))
        if "local_port" in info:
            ports.add(info["local_port"])
        max_lat = max(max_lat, time.monotonic() - t1)
        if failed >= 50:
            break
    common.emit({"ok": ok, "failed": failed, "errors": errors,
                 "max_latency": max_lat, "distinct_local_ports": len(ports),
                 "port_range": port_range, "elapsed": time.monotonic() - t0})


if __name__ == "__main__":
    main()
