#!/usr/bin/python3
"""The workload of the fault-injection tests (test_faults.py), run inside
torgate. One JSON argument:

  {"echo": [[HOST, SIZE], ...],    TCP to HOST port 9 (echo): SIZE bytes sent,
                                   write side shut, all read back until EOF
   "get": [[HOST, N, SHA256]],     HTTP GET /bytes/N on port 80, by digest
   "dns": [NAME, ...],             A queries to the stub, over UDP then TCP
   "connect_name": NAME,           resolve NAME, then GET /hello from it
   "udp": [HOST, PORT],            one datagram that must be refused
   "timeout": T}

Steps run at once, each in its own thread, all with one deadline T seconds
away, so a gateway that stops answering costs T seconds, not T per step.
Every step ends "ok" (exactly the right bytes), "short" (a prefix of the
right bytes, then EOF or an error: the stream was cut), "corrupt" (any
wrong byte), or "error" with the errno name or "timeout". Prints one JSON
line {"steps": [...]}.
"""

import hashlib
import json
import os
import random
import select
import socket
import struct
import sys
import threading
import time

import libpath  # noqa: F401  (tests/lib/clients on sys.path)
import common
import dnswire

STUB = "10.66.0.1"
IP_RECVERR = 11


def verdict(got, want):
    if got == want:
        return "ok"
    if want.startswith(got):
        return "short"
    return "corrupt"


def left(deadline):
    t = deadline - time.monotonic()
    if t <= 0:
        raise TimeoutError("timeout")
    return t


def echo(host, size, deadline):
    data = random.Random(size).randbytes(size)
    s = common.connect(host, 9, left(deadline))
    s.setblocking(False)
    sent, got, shut = 0, bytearray(), False
    try:
        while True:
            w = [s] if not shut else []
            r, wr, _ = select.select([s], w, [], left(deadline))
            if wr:
                if sent < len(data):
                    sent += s.send(data[sent:sent + 65536])
                if sent == len(data):
                    s.shutdown(socket.SHUT_WR)
                    shut = True
            if r:
                b = s.recv(65536)
                if not b:
                    break
                got += b
                if verdict(bytes(got), data) == "corrupt":
                    break
    except OSError as e:
        return {"result": "short" if data.startswith(bytes(got)) else "corrupt",
                "error": common.err_name(e), "bytes": len(got)}
    finally:
        s.close()
    return {"result": verdict(bytes(got), data), "bytes": len(got)}


def http_get(host, path, deadline):
    """GET path on port 80 within the deadline (not per read: a server
    that trickles must not stretch a step): (status, body)."""
    s = common.connect(host, 80, left(deadline))
    try:
        hosthdr = "[%s]" % host if ":" in host else host
        s.settimeout(left(deadline))
        s.sendall(("GET %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n"
                   % (path, hosthdr)).encode())
        data = b""
        while True:
            s.settimeout(left(deadline))
            b = s.recv(262144)
            if not b:
                break
            data += b
    finally:
        s.close()
    status, _, body = common.parse_http(data)
    return status, body


def get(host, n, sha, deadline):
    status, body = http_get(host, "/bytes/%d" % n, deadline)
    ok = status == 200 and len(body) == n and hashlib.sha256(body).hexdigest() == sha
    return {"result": "ok" if ok else "corrupt", "status": status, "bytes": len(body)}


def dns_udp(name, deadline):
    q = dnswire.build_query(name, "A")
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        s.settimeout(left(deadline))
        s.sendto(q, (STUB, 53))
        return dns_check(q, s.recv(4096))
    finally:
        s.close()


def dns_tcp(name, deadline):
    q = dnswire.build_query(name, "A")
    s = common.connect(STUB, 53, left(deadline))
    try:
        s.settimeout(left(deadline))
        s.sendall(struct.pack("!H", len(q)) + q)
        buf = b""
        while len(buf) < 2 or len(buf) < 2 + struct.unpack("!H", buf[:2])[0]:
            s.settimeout(left(deadline))
            b = s.recv(4096)
            if not b:
                raise ConnectionError("EOF before the answer")
            buf += b
        return dns_check(q, buf[2:2 + struct.unpack("!H", buf[:2])[0]])
    finally:
        s.close()


def dns_check(q, resp):
    m = dnswire.parse_message(resp)
    ok = m["id"] == struct.unpack("!H", q[:2])[0] and m["rcode"] == 0 and len(m["answers"]) == 1
    return {"result": "ok" if ok else "corrupt", "rcode": m["rcode"]}


def connect_name(name, deadline):
    addr = socket.getaddrinfo(name, 80, socket.AF_INET, socket.SOCK_STREAM)[0][4][0]
    status, body = http_get(addr, "/hello", deadline)
    return {"result": "ok" if status == 200 and body == b"hello\n" else "corrupt", "addr": addr}


def udp(host, port, deadline):
    s = socket.socket(common.family_of(host), socket.SOCK_DGRAM)
    try:
        s.connect((host, port))
        s.setsockopt(socket.SOL_IP, IP_RECVERR, 1)
        s.settimeout(left(deadline))
        s.send(b"fault workload")
        s.recv(2048)
        return {"result": "corrupt", "detail": "a reply came"}
    except ConnectionRefusedError:
        return {"result": "ok"}
    finally:
        s.close()


def run(name, fn, args, out):
    r = {"step": name}
    try:
        r.update(fn(*args))
    except (socket.timeout, TimeoutError):
        r.update(result="error", error="timeout")
    except Exception as e:  # noqa: BLE001
        r.update(result="error", error=common.err_name(e), detail=str(e))
    out.append(r)


def main():
    spec = json.loads(sys.argv[1])
    deadline = time.monotonic() + spec.get("timeout", 5)
    steps = []
    for host, size in spec.get("echo", []):
        steps.append(("echo %s %d" % (host, size), echo, (host, size, deadline)))
    for host, n, sha in spec.get("get", []):
        steps.append(("get %s %d" % (host, n), get, (host, n, sha, deadline)))
    for name in spec.get("dns", []):
        steps.append(("dns-udp %s" % name, dns_udp, (name, deadline)))
        steps.append(("dns-tcp %s" % name, dns_tcp, (name, deadline)))
    if spec.get("connect_name"):
        steps.append(("connect %s" % spec["connect_name"], connect_name,
                      (spec["connect_name"], deadline)))
    if spec.get("udp"):
        host, port = spec["udp"]
        steps.append(("udp %s %d" % (host, port), udp, (host, port, deadline)))
    out = []
    threads = [threading.Thread(target=run, args=(n, f, a, out), daemon=True) for n, f, a in steps]
    for t in threads:
        t.start()
    # A step stuck where no deadline reaches (glibc's resolver retries for
    # tens of seconds) is reported as a timeout, not waited for.
    for t in threads:
        t.join(max(0, deadline + 1 - time.monotonic()))
    done = {r["step"] for r in out}
    out += [{"step": n, "result": "error", "error": "timeout"} for n, _, _ in steps if n not in done]
    common.emit({"steps": sorted(out, key=lambda r: r["step"])})
    os._exit(0)


if __name__ == "__main__":
    main()
