#!/usr/bin/python3
"""Runs in a network namespace a torgate sidecar serves (test_sidecar.py):
prints "ready" and its pid's namespace is served from outside; then, once
stdin says "go", fetches GET /bytes/N from HOST:80 and prints one JSON line
{"result": "ok"|"error", "sha256", "error"}. A second "go" fetches again
(to see the namespace fail closed once the sidecar is gone).

    ns_fetch.py HOST N
"""

import socket
import sys

import libpath  # noqa: F401  (tests/lib/clients on sys.path)
import common


def fetch(host, n):
    try:
        status, body = common.http_get(host, 80, "/bytes/%d" % n, timeout=10)
        if status != 200:
            return {"result": "error", "error": "HTTP %d" % status}
        return {"result": "ok", "sha256": common.sha256(body), "bytes": len(body)}
    except (OSError, ValueError) as e:
        return {"result": "error", "error": common.err_name(e)}


def main():
    host, n = sys.argv[1], int(sys.argv[2])
    links = [name for _, name in socket.if_nameindex()]
    common.emit({"ready": True, "links": links})
    for line in sys.stdin:
        if line.strip() == "go":
            common.emit(fetch(host, n))


if __name__ == "__main__":
    main()
