#!/usr/bin/env python3
"""tornet's name server: the only resolver the private network's exits use.

    dnsd.py --udp-fd N --tcp-fd M --zone tornet.test --log FILE

The listening sockets are bound by `scripts/tornet` and inherited (so the
port is claimed atomically, and port 53 needs no privilege here). Any name
equal to or under the zone answers A 127.0.0.1 and AAAA ::1 (other types: an
empty NOERROR), except the "far" names, there so that Tor's RESOLVE and
RESOLVE_PTR can be seen to return what the exit found: far.ZONE has A
192.0.2.10 only, far-A-B-C-D.ZONE has A A.B.C.D only (any address outside
127/8, which no exit may reach), and D.C.B.A.in-addr.arpa answers PTR
far-A-B-C-D.ZONE (10.2.0.192.in-addr.arpa: far.ZONE). Tests use fresh
A-B-C-D names so that no exit can answer from its cache. Every other name
gets NXDOMAIN. Nothing is ever forwarded.
The question is echoed byte for byte (Tor randomises the case of the names it
asks, "0x20", and checks it). One line per query is appended to the log.
Standard library only.
"""

import argparse
import os
import re
import selectors
import socket
import struct
import sys
import time

QTYPES = {1: "A", 28: "AAAA", 5: "CNAME", 12: "PTR", 15: "MX", 16: "TXT",
          33: "SRV", 65: "HTTPS", 255: "ANY"}


FAR_ADDR = "192.0.2.10"


def far_address(name, zone):
    """far.ZONE -> 192.0.2.10, far-A-B-C-D.ZONE -> A.B.C.D (not 127/8), else None."""
    if name == "far." + zone:
        return FAR_ADDR
    m = re.fullmatch(r"far-(\d{1,3})-(\d{1,3})-(\d{1,3})-(\d{1,3})\." + re.escape(zone), name)
    if m and all(int(x) < 256 for x in m.groups()) and m.group(1) != "127":
        return ".".join(str(int(x)) for x in m.groups())
    return None


def far_name(name, zone):
    """D.C.B.A.in-addr.arpa -> the far name whose address is A.B.C.D, else None."""
    m = re.fullmatch(r"(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.in-addr\.arpa", name)
    if not m:
        return None
    addr = ".".join(reversed(m.groups()))
    if addr == FAR_ADDR:
        return "far." + zone
    candidate = "far-%s.%s" % (addr.replace(".", "-"), zone)
    return candidate if far_address(candidate, zone) == addr else None


def encode_name(name):
    return b"".join(bytes([len(label)]) + label.encode() for label in name.split(".")) + b"\0"


def parse_question(msg):
    """Return (qname_lower, qtype, end_of_question) or None."""
    if len(msg) < 12:
        return None
    qdcount = struct.unpack("!H", msg[4:6])[0]
    if qdcount != 1:
        return None
    pos, labels = 12, []
    while True:
        if pos >= len(msg):
            return None
        n = msg[pos]
        pos += 1
        if n == 0:
            break
        if n & 0xC0 or pos + n > len(msg):
            return None
        labels.append(msg[pos:pos + n].decode("ascii", "replace").lower())
        pos += n
    if pos + 4 > len(msg):
        return None
    qtype = struct.unpack("!H", msg[pos:pos + 2])[0]
    return ".".join(labels), qtype, pos + 4


def answer(msg, zone):
    """Build the response to one query, or None to drop it."""
    q = parse_question(msg)
    if q is None:
        if len(msg) >= 12 and not msg[2] & 0x80:
            # FORMERR, header only.
            flags = 0x8000 | (msg[2] & 0x79) << 8 | 1
            return msg[:2] + struct.pack("!HHHHH", flags, 0, 0, 0, 0), "?", 0, "FORMERR"
        return None
    name, qtype, end = q
    rd = msg[2] & 0x01
    in_zone = name == zone or name.endswith("." + zone)
    rrs = []
    far_a, far_ptr = far_address(name, zone), far_name(name, zone)
    if far_a:
        rcode, what = 0, "NOERROR"
        if qtype == 1:
            rrs.append((1, socket.inet_pton(socket.AF_INET, far_a)))
            what = far_a
    elif far_ptr:
        rcode, what = 0, "NOERROR"
        if qtype == 12:
            rrs.append((12, encode_name(far_ptr)))
            what = far_ptr
    elif in_zone:
        rcode, what = 0, "NOERROR"
        if qtype == 1:
            rrs.append((1, socket.inet_pton(socket.AF_INET, "127.0.0.1")))
            what = "127.0.0.1"
        elif qtype == 28:
            rrs.append((28, socket.inet_pton(socket.AF_INET6, "::1")))
            what = "::1"
    else:
        rcode, what = 3, "NXDOMAIN"
    flags = 0x8000 | 0x0400 | (rd << 8) | rcode          # QR, AA, RD copied
    out = bytearray(msg[:2])
    out += struct.pack("!HHHHH", flags, 1, len(rrs), 0, 0)
    out += msg[12:end]                                     # question verbatim
    for rtype, rdata in rrs:
        out += struct.pack("!HHHIH", 0xC00C, rtype, 1, 60, len(rdata)) + rdata
    return bytes(out), name, qtype, what


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--udp-fd", type=int, required=True)
    ap.add_argument("--tcp-fd", type=int, required=True)
    ap.add_argument("--zone", default="tornet.test")
    ap.add_argument("--log", required=True)
    a = ap.parse_args()
    zone = a.zone.lower().strip(".")
    udp = socket.socket(fileno=a.udp_fd)
    tcp = socket.socket(fileno=a.tcp_fd)
    udp.setblocking(False)
    tcp.setblocking(False)
    log = open(a.log, "a", buffering=1)

    def note(transport, peer, res):
        if res is None:
            log.write("%s %s %s dropped\n" % (time.strftime("%H:%M:%S"), transport, peer[0]))
            return
        _, name, qtype, what = res
        log.write("%s %s %s:%d %s %s -> %s\n" % (
            time.strftime("%H:%M:%S"), transport, peer[0], peer[1],
            QTYPES.get(qtype, qtype), name, what))

    sel = selectors.DefaultSelector()
    sel.register(udp, selectors.EVENT_READ, "udp")
    sel.register(tcp, selectors.EVENT_READ, "listen")
    conns = {}          # socket -> [buffer, peer, deadline]
    while True:
        for key, _ in sel.select(timeout=1.0):
            s = key.fileobj
            if key.data == "udp":
                try:
                    msg, peer = s.recvfrom(4096)
                except (BlockingIOError, InterruptedError):
                    continue
                res = answer(msg, zone)
                note("udp", peer, res)
                if res is not None:
                    try:
                        s.sendto(res[0], peer)
                    except OSError:
                        pass
            elif key.data == "listen":
                try:
                    c, peer = s.accept()
                except (BlockingIOError, InterruptedError):
                    continue
                c.setblocking(False)
                conns[c] = [b"", peer, time.monotonic() + 10]
                sel.register(c, selectors.EVENT_READ, "tcp")
            else:
                st = conns[s]
                try:
                    data = s.recv(65537)
                except (BlockingIOError, InterruptedError):
                    continue
                except OSError:
                    data = b""
                if not data:
                    sel.unregister(s)
                    s.close()
                    del conns[s]
                    continue
                st[0] += data
                while len(st[0]) >= 2:
                    n = struct.unpack("!H", st[0][:2])[0]
                    if len(st[0]) < 2 + n:
                        break
                    msg, st[0] = st[0][2:2 + n], st[0][2 + n:]
                    res = answer(msg, zone)
                    note("tcp", st[1], res)
                    if res is not None:
                        s.setblocking(True)
                        s.settimeout(5)
                        try:
                            s.sendall(struct.pack("!H", len(res[0])) + res[0])
                        except OSError:
                            pass
                        s.setblocking(False)
        now = time.monotonic()
        for c in [c for c, st in conns.items() if st[2] < now]:
            sel.unregister(c)
            c.close()
            del conns[c]


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        sys.exit(0)
