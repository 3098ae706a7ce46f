#!/usr/bin/python3
"""Half-close client: sends SIZE bytes to HOST:PORT, shutdown(SHUT_WR), then
reads the reply until EOF. Prints {"sent", "sent_sha256", "reply", "error"}."""

import argparse
import hashlib
import os
import socket

import libpath  # noqa: F401  (tests/lib/clients on sys.path)
import common


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--host", required=True)
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--size", type=int, required=True)
    a = ap.parse_args()
    data = os.urandom(a.size)
    out = {"sent": len(data), "sent_sha256": hashlib.sha256(data).hexdigest(),
           "reply": None, "error": None}
    try:
        s = common.connect(a.host, a.port, 60)
        s.sendall(data)
        s.shutdown(socket.SHUT_WR)
        out["reply"] = common.recv_all(s).decode("latin-1")
        s.close()
    except Exception as e:  # noqa: BLE001
        out["error"] = "%s: %s" % (common.err_name(e), e)
    common.emit(out)


if __name__ == "__main__":
    main()
