#!/usr/bin/python3
"""Fake local name services on unix sockets, recording every connection:

  --varlink PATH  systemd-resolved's varlink socket
                  (/run/systemd/resolve/io.systemd.Resolve, what glibc's
                  nss-resolve module talks to). io.systemd.Resolve.ResolveHostname
                  is answered with 203.0.113.99 / 2001:db8::99 (per the
                  requested family), anything else with NoSuchResourceRecord.
  --nscd PATH     nscd's socket (/run/nscd/socket, which glibc tries before
                  any NSS module): the request is read, then the connection
                  is closed, so glibc falls back to NSS.

    fakesock.py --log FILE [--varlink PATH] [--nscd PATH]

Each connection is logged twice, as JSON lines: at once {"service",
"event": "connect", "pid", "uid", "comm", "sandboxed"} (the peer's
credentials; "sandboxed": whether the peer is in another network namespace
than this server, i.e. inside torgate's sandbox; null if that could not be
told) and when done {"service", "event": "request", "request"} (latin-1).
The sockets are made 0666 so any user could reach them. Prints "ready" once
all listen; runs until killed.
"""

import argparse
import json
import os
import socket
import struct
import sys
import threading

V4, V6 = [203, 0, 113, 99], [0x20, 0x01, 0x0d, 0xb8] + [0] * 11 + [0x99]


def peer(c):
    """The connecting process: pid, uid, command name, and whether it is in
    another network namespace (read while it waits for our answer)."""
    pid, uid, _ = struct.unpack("3i", c.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED,
                                                   struct.calcsize("3i")))
    r = {"pid": pid, "uid": uid, "comm": None, "sandboxed": None}
    try:
        with open("/proc/%d/comm" % pid) as f:
            r["comm"] = f.read().strip()
        r["sandboxed"] = os.readlink("/proc/%d/ns/net" % pid) != os.readlink("/proc/self/ns/net")
    except OSError:
        pass
    return r


def varlink_reply(req):
    try:
        call = json.loads(req.rstrip(b"\0").split(b"\0")[0])
    except ValueError:
        return None
    if call.get("method") != "io.systemd.Resolve.ResolveHostname":
        return {"error": "io.systemd.Resolve.NoSuchResourceRecord", "parameters": {}}
    p = call.get("parameters", {})
    fam = p.get("family")
    addrs = []
    if fam in (None, socket.AF_INET):
        addrs.append({"ifindex": 1, "family": socket.AF_INET, "address": V4})
    if fam in (None, socket.AF_INET6):
        addrs.append({"ifindex": 1, "family": socket.AF_INET6, "address": V6})
    return {"parameters": {"addresses": addrs, "name": p.get("name", ""), "flags": 0}}


class Listener:
    def __init__(self, service, path, logf, lock):
        self.service, self.logf, self.lock = service, logf, lock
        if os.path.lexists(path):
            os.unlink(path)
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.bind(path)
        os.chmod(path, 0o666)
        self.sock.listen(64)

    def log(self, rec):
        with self.lock:
            self.logf.write(json.dumps(rec) + "\n")
            self.logf.flush()

    def serve(self):
        while True:
            c, _ = self.sock.accept()
            threading.Thread(target=self.handle, args=(c,), daemon=True).start()

    def handle(self, c):
        req = b""
        try:
            c.settimeout(5)
            # Log first: a client that connects and gives up still counts.
            self.log(dict(peer(c), service=self.service, event="connect"))
            req = c.recv(65536)
            if self.service == "varlink":
                while req and not req.endswith(b"\0"):
                    more = c.recv(65536)
                    if not more:
                        break
                    req += more
                rep = varlink_reply(req)
                if rep is not None:
                    c.sendall(json.dumps(rep).encode() + b"\0")
        except OSError:
            pass
        finally:
            self.log({"service": self.service, "event": "request",
                      "request": req.decode("latin-1")})
            c.close()


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--log", required=True)
    ap.add_argument("--varlink")
    ap.add_argument("--nscd")
    a = ap.parse_args()
    logf = open(a.log, "a")
    lock = threading.Lock()
    ls = [Listener(s, p, logf, lock) for s, p in (("varlink", a.varlink), ("nscd", a.nscd)) if p]
    for x in ls:
        threading.Thread(target=x.serve, daemon=True).start()
    sys.stdout.write("ready\n")
    sys.stdout.flush()
    threading.Event().wait()


if __name__ == "__main__":
    main()
