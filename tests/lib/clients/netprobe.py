#!/usr/bin/python3
"""UDP and ICMP probes, run inside torgate; prints one JSON line with a
result per probe. Probes (one JSON argument, a list):

  {"op": "udp", "host": H, "port": P}   a connected UDP socket sends one
                                         datagram ("payload": hex, optional)
                                         and waits up to 5 s: an ICMP error
                                         shows as the recv's errno
  {"op": "ping", "host": H}              one echo request on an ICMP
                                         datagram socket (no privilege
                                         needed), waits up to 5 s for the
                                         echo reply; "sock": "raw" uses a raw
                                         socket (CAP_NET_RAW), "any" a
                                         datagram socket or, where those are
                                         off, a raw one (as ping(8) does)

Each result: ok (a reply came), error (errno name, or "timeout"), the
reply's first bytes (hex; ICMP from the type on), the kind of socket used
("sock") and the time taken.
"""

import json
import socket
import struct
import sys
import time

import common

IP_RECVERR, IPV6_RECVERR = 11, 25


def icmp_socket(fam, kind):
    """An ICMP socket of kind "dgram", "raw" or "any"; returns (socket, kind)."""
    proto = socket.IPPROTO_ICMPV6 if fam == socket.AF_INET6 else socket.IPPROTO_ICMP
    if kind != "raw":
        try:
            return socket.socket(fam, socket.SOCK_DGRAM, proto), "dgram"
        except PermissionError:  # ping_group_range leaves this group out
            if kind != "any":
                raise
    return socket.socket(fam, socket.SOCK_RAW, proto), "raw"


# What answers an echo request: a reply, unreachable, time exceeded.
ANSWERS = {socket.AF_INET: b"\x00\x03\x0b", socket.AF_INET6: b"\x81\x01\x03"}


def icmp_reply(s, fam, kind):
    """The next echo reply or ICMP error. A datagram socket gets only those
    (errors as errno); a raw one also other ICMP (and, for IPv4, the IP
    header), which is skipped."""
    while True:
        data = s.recv(2048)
        if kind == "raw" and fam == socket.AF_INET:
            data = data[(data[0] & 15) * 4:]
        if kind != "raw" or (data and data[0] in ANSWERS[fam]):
            return data


def probe(st):
    fam = common.family_of(st["host"])
    r = {"op": st["op"], "host": st["host"], "port": st.get("port"), "sock": None}
    t0 = time.monotonic()
    try:
        if st["op"] == "udp":
            s = socket.socket(fam, socket.SOCK_DGRAM)
            s.connect((st["host"], st["port"]))
            payload = bytes.fromhex(st["payload"]) if "payload" in st else b"torgate udp probe"
        else:
            s, r["sock"] = icmp_socket(fam, st.get("sock", "dgram"))
            s.connect((st["host"], 0))
            payload = struct.pack("!BBHHH", 128 if fam == socket.AF_INET6 else 8, 0, 0, 0, 1) + b"probe"
            if r["sock"] == "raw" and fam == socket.AF_INET:  # the kernel fills in only v6's
                payload = payload[:2] + struct.pack("!H", checksum(payload)) + payload[4:]
        # Errors from ICMP arrive on the socket, not as silence.
        if fam == socket.AF_INET:
            s.setsockopt(socket.SOL_IP, IP_RECVERR, 1)
        else:
            s.setsockopt(socket.IPPROTO_IPV6, IPV6_RECVERR, 1)
        s.settimeout(5)
        s.send(payload)
        data = icmp_reply(s, fam, r["sock"]) if st["op"] == "ping" else s.recv(2048)
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


def checksum(b):
    b += b"\0" * (len(b) % 2)
    c = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while c >> 16:
        c = (c & 0xFFFF) + (c >> 16)
    return ~c & 0xFFFF


def main():
    common.emit({"probes": [probe(st) for st in json.loads(sys.argv[1])]})


if __name__ == "__main__":
    main()
