#!/usr/bin/python3
"""UDP and ICMP probes, run inside torgate; prints one JSON line with a
result per probe. Probes (one JSON argument, a list):

  {"op": "udp", "host": H, "port": P}   a connected UDP socket sends one
                                         datagram and waits up to 5 s: an
                                         ICMP error shows as the recv's errno
  {"op": "ping", "host": H}              one echo request on an ICMP
                                         datagram socket (no privilege
                                         needed), waits up to 5 s

Each result: ok (a reply came), error (errno name, or "timeout"), the
reply's first bytes (hex) and the time taken.
"""

import json
import socket
import struct
import sys
import time

import common

IP_RECVERR, IPV6_RECVERR = 11, 25


def probe(st):
    fam = common.family_of(st["host"])
    r = {"op": st["op"], "host": st["host"], "port": st.get("port")}
    t0 = time.monotonic()
    try:
        if st["op"] == "udp":
            s = socket.socket(fam, socket.SOCK_DGRAM)
            s.connect((st["host"], st["port"]))
            payload = b"torgate udp probe"
        else:
            proto = socket.IPPROTO_ICMPV6 if fam == socket.AF_INET6 else socket.IPPROTO_ICMP
            s = socket.socket(fam, socket.SOCK_DGRAM, proto)
            s.connect((st["host"], 0))
            payload = struct.pack("!BBHHH", 128 if fam == socket.AF_INET6 else 8, 0, 0, 0, 1) + b"probe"
        # Errors from ICMP arrive on the socket, not as silence.
        if fam == socket.AF_INET:
            s.setsockopt(socket.SOL_IP, IP_RECVERR, 1)
        else:
            s.setsockopt(socket.IPPROTO_IPV6, IPV6_RECVERR, 1)
        s.settimeout(5)
        s.send(payload)
        data = s.recv(2048)
        r["ok"] = True
        r["reply"] = data[:8].hex()
    except socket.timeout:
        r["ok"] = False
        r["error"] = "timeout"
    except OSError as e:
        r["ok"] = False
        r["error"] = common.err_name(e)
    r["elapsed"] = time.monotonic() - t0
    return r


def main():
    common.emit({"probes": [probe(st) for st in json.loads(sys.argv[1])]})


if __name__ == "__main__":
    main()
