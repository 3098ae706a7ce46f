#!/usr/bin/python3
"""A canary for the leak suite: records everything that reaches it, one JSON
line per event in --log (standard library only).

    canary.py --log FILE --label L [--capture] [--tcp HOST:PORT]...
              [--udp HOST:PORT]... [--abstract NAME]

  --capture   every frame that arrives on a link other than lo (AF_PACKET,
              ETH_P_ALL; frames this host sends are not recorded):
              {"kind": "frame", "ethertype", "src", "dst", "proto", "sport",
              "dport", "icmp_type", "data" (hex), "chatter", "fence"}
  --tcp       a TCP listener; each connection's first bytes are read (1 s),
              answered "CANARY <label>" and recorded
              {"kind": "tcp", "local", "peer", "data"}
  --udp       a UDP socket; each datagram is recorded {"kind": "udp", ...}
              and answered "CANARY <label>"
  --abstract  an abstract unix stream socket ("\\0NAME"), like --tcp

"chatter" marks what a link says by itself when it comes up or before a
packet can be sent (ARP, IGMP, ICMPv6 neighbour and router discovery and
MLD): it carries nothing of a program's. Everything else is a hit. A datagram
or connection whose data starts with "fence " is a fence: the tests send one
after a probe, and since every listener and the capture handle what arrives
in order, anything the probe caused is recorded before its fence.

HOST "[::]" listens on both families. Port 0 picks a free port. Prints one
line "ready <JSON list of {"kind", "addr"}>" once everything does; runs until
killed and dies with its parent (PR_SET_PDEATHSIG), so a network namespace
held only by the canary goes away with the test run however it ends.
"""

import argparse
import ctypes
import ipaddress
import json
import os
import signal
import socket
import struct
import sys
import threading

ETH_P_ALL = 0x0003
PACKET_OUTGOING = 4
BANNER = "CANARY %s\n"
CHATTER_ICMP6 = set(range(130, 138)) | {143}   # MLD, RS/RA/NS/NA/redirect, MLDv2
FENCE = b"fence "


class Recorder:
    def __init__(self, path, label):
        self.f = open(path, "a")
        self.label = label
        self.lock = threading.Lock()

    def __call__(self, rec):
        rec["canary"] = self.label
        with self.lock:
            self.f.write(json.dumps(rec, sort_keys=True) + "\n")
            self.f.flush()


def fence_of(data):
    return data[:64].decode("latin-1") if data.startswith(FENCE) else None


def parse_frame(frame):
    """The fields of an Ethernet frame that tell what it is and who sent it."""
    r = {"kind": "frame", "ethertype": "0x%04x" % struct.unpack("!H", frame[12:14])[0],
         "src": None, "dst": None, "proto": None, "sport": None, "dport": None,
         "icmp_type": None, "data": frame[14:46].hex(), "chatter": False, "fence": None}
    et, p = frame[12:14], frame[14:]
    if et == b"\x08\x06":
        r["chatter"] = True
        return r
    if et == b"\x08\x00" and len(p) >= 20:
        ihl = (p[0] & 15) * 4
        r.update(proto=p[9], src=str(ipaddress.IPv4Address(p[12:16])),
                 dst=str(ipaddress.IPv4Address(p[16:20])))
        l4 = p[ihl:]
        r["chatter"] = p[9] == 2  # IGMP
    elif et == b"\x86\xdd" and len(p) >= 40:
        nh, l4 = p[6], p[40:]
        while nh in (0, 43, 60) and len(l4) >= 8:  # hop-by-hop (MLD), routing, dest. options
            nh, l4 = l4[0], l4[(l4[1] + 1) * 8:]
        r.update(proto=nh, src=str(ipaddress.IPv6Address(p[8:24])),
                 dst=str(ipaddress.IPv6Address(p[24:40])))
        r["chatter"] = nh == 58 and len(l4) > 0 and l4[0] in CHATTER_ICMP6
    else:
        return r
    if r["proto"] in (6, 17) and len(l4) >= 4:
        r["sport"], r["dport"] = struct.unpack("!HH", l4[:4])
        payload = l4[8:] if r["proto"] == 17 else l4[(l4[12] >> 4) * 4:] if len(l4) >= 13 else b""
        r["data"] = payload[:32].hex()
        r["fence"] = fence_of(payload)
    elif r["proto"] in (1, 58) and l4:
        r["icmp_type"] = l4[0]
        r["data"] = l4[:32].hex()
    return r


def capture(rec):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)

    def run():
        while True:
            frame, addr = s.recvfrom(65536)
            ifname, _, pkttype = addr[0], addr[1], addr[2]
            if ifname == "lo" or pkttype == PACKET_OUTGOING or len(frame) < 14:
                continue
            r = parse_frame(frame)
            r["iface"] = ifname
            rec(r)
    return run, {"kind": "capture"}


def sockname(s):
    """[host, port], or the name of an abstract unix socket."""
    a = s.getsockname()
    if isinstance(a, bytes):
        return a[1:].decode("latin-1")
    return [a[0], a[1]]


def split_hostport(s):
    host, _, port = s.rpartition(":")
    return host.strip("[]"), int(port)


def bind(kind, spec):
    host, port = split_hostport(spec)
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_STREAM if kind == "tcp" else socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if fam == socket.AF_INET6:
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0 if host == "::" else 1)
    s.bind((host, port))
    return s


def stream_listener(rec, kind, s, label):
    s.listen(64)

    def run():
        while True:
            c, peer = s.accept()
            data = b""
            try:
                c.settimeout(1)
                data = c.recv(256)
                c.sendall((BANNER % label).encode())
            except OSError:
                pass
            rec({"kind": kind, "local": sockname(s), "peer": str(peer),
                 "data": data[:64].decode("latin-1"), "fence": fence_of(data)})
            c.close()
    return run, {"kind": kind, "addr": sockname(s)}


def udp_listener(rec, s, label):
    def run():
        while True:
            data, peer = s.recvfrom(65536)
            rec({"kind": "udp", "local": sockname(s), "peer": str(peer),
                 "data": data[:64].hex(), "fence": fence_of(data)})
            if not data.startswith(FENCE):
                s.sendto((BANNER % label).encode(), peer)
    return run, {"kind": "udp", "addr": sockname(s)}


def die_with_parent():
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(1, signal.SIGKILL, 0, 0, 0) != 0:  # PR_SET_PDEATHSIG
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_PDEATHSIG)")


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--log", required=True)
    ap.add_argument("--label", required=True)
    ap.add_argument("--capture", action="store_true")
    ap.add_argument("--tcp", action="append", default=[])
    ap.add_argument("--udp", action="append", default=[])
    ap.add_argument("--abstract")
    a = ap.parse_args()
    ppid = os.getppid()
    die_with_parent()
    if os.getppid() != ppid:  # the parent died before prctl
        sys.exit(1)
    rec = Recorder(a.log, a.label)
    runners = []
    if a.capture:
        runners.append(capture(rec))
    runners += [stream_listener(rec, "tcp", bind("tcp", spec), a.label) for spec in a.tcp]
    runners += [udp_listener(rec, bind("udp", spec), a.label) for spec in a.udp]
    if a.abstract:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.bind("\0" + a.abstract)
        runners.append(stream_listener(rec, "abstract", s, a.label))
    for run, _ in runners:
        threading.Thread(target=run, daemon=True).start()
    sys.stdout.write("ready %s\n" % json.dumps([what for _, what in runners]))
    sys.stdout.flush()
    threading.Event().wait()


if __name__ == "__main__":
    main()
