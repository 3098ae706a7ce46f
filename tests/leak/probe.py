#!/usr/bin/python3
"""The leak suite's probes: run inside torgate (or, for the self-check,
without a protection), each tries one way out and reports how it went.
Prints one JSON line {"probes": [result, ...]}. Probes (one JSON argument,
a list):

  {"op": "tcp", "host": H, "port": P}    connect (5 s), send an HTTP request,
                                         read the first line of the answer
  {"op": "udp", ...}, {"op": "ping", ...}
                                         as in tests/lib/clients/netprobe.py
  {"op": "packet", "iface": NAME}        an AF_PACKET socket (CAP_NET_RAW);
                                         sends one Ethernet frame (ethertype
                                         0x88b5) on NAME, or where NAME does
                                         not exist on every link but lo
  {"op": "unix", "path": P}              connect to a unix socket by path
  {"op": "abstract", "name": N}          ... or in the abstract namespace
  {"op": "vsock"}                        make an AF_VSOCK socket (connect
                                         nowhere: CID 2 is the hypervisor)

Each result: ok (the connection or socket was made; for tcp, an answer
came), error (errno name, or "timeout"), reply (what came back, text),
elapsed.
"""

import json
import os
import socket
import sys
import time

# Run by path inside the sandbox: the shared clients' modules are not on
# sys.path by themselves.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib", "clients"))
import common  # noqa: E402
import netprobe  # noqa: E402

ETH_P_ALL, ETHERTYPE_LOCAL = 0x0003, 0x88B5
REQUEST = b"GET /hello HTTP/1.1\r\nHost: leak.test\r\nConnection: close\r\n\r\n"


def first_line(data):
    return data.split(b"\n")[0].decode("latin-1").strip()


def tcp(st):
    s = common.connect(st["host"], st["port"], timeout=5)
    with s:
        s.sendall(REQUEST)
        return first_line(s.recv(256))


def packet(st):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    with s:
        names = [n for _, n in socket.if_nameindex()]
        targets = [st["iface"]] if st["iface"] in names else [n for n in names if n != "lo"]
        frame = b"\xff" * 6 + b"\x02\x00\x00\x00\x00\x01" + ETHERTYPE_LOCAL.to_bytes(2, "big") \
            + b"torgate leak probe".ljust(46, b"\0")
        for n in targets:
            s.bind((n, 0))
            s.send(frame)
        return "sent on " + ",".join(targets)


def unix(st):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    with s:
        s.settimeout(3)
        s.connect(st["path"] if st["op"] == "unix" else "\0" + st["name"])
        s.sendall(b"torgate leak probe\n")
        try:
            return first_line(s.recv(256))
        except socket.timeout:
            return ""


def vsock(st):
    socket.socket(socket.AF_VSOCK, socket.SOCK_STREAM).close()
    return "created"


OPS = {"tcp": tcp, "packet": packet, "unix": unix, "abstract": unix, "vsock": vsock}


def probe(st):
    if st["op"] in ("udp", "ping"):
        return netprobe.probe(st)
    r = dict(st)
    t0 = time.monotonic()
    try:
        r["reply"] = OPS[st["op"]](st)
        r["ok"] = True
    except socket.timeout:
        r["ok"], r["error"] = False, "timeout"
    except OSError as e:
        r["ok"], r["error"] = False, common.err_name(e)
    r["elapsed"] = time.monotonic() - t0
    return r


def main():
    common.emit({"probes": [probe(st) for st in json.loads(sys.argv[1])]})


if __name__ == "__main__":
    main()
