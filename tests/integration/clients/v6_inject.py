#!/usr/bin/python3
"""Run as root inside a sandbox's network namespace (nsenter -n), from the
outside: sends what no unprivileged app there could send, and records what
the gateway answers on tg0. Prints one JSON line.

- link signalling: a router solicitation, a router advertisement (prefix
  and MTU options), a neighbour solicitation and advertisement for the
  gateway's address, a redirect, an MLD query and an MLDv2 report;
- UDP behind a destination-options header, and a UDP datagram too big for
  the MTU (so it leaves in fragments);
- a TCP connection whose SYN carries a destination-options header, with an
  HTTP GET for /bytes/N over it.

"answers" lists the ICMPv6 types of every packet the gateway wrote to tg0
while the link signalling was being sent and for a second after.

argv: HTTP_ADDR HTTP_PORT UDP_ADDR GATEWAY_ADDR
"""

import json
import socket
import struct
import sys
import time

IFACE = "tg0"
ETH_P_ALL = 0x0003
PACKET_HOST = 0
IPV6_DSTOPTS = 59
# A destination-options header with one PadN option filling its 8 bytes.
DSTOPTS = bytes([0, 0, 1, 4, 0, 0, 0, 0])


def icmp6(type_, body):
    return struct.pack("!BBH", type_, 0, 0) + body     # the kernel sums it


def messages(gw):
    gw_b = socket.inet_pton(socket.AF_INET6, gw)
    prefix = socket.inet_pton(socket.AF_INET6, "2001:db8:bad::")
    ra_opts = (struct.pack("!BBBBIII", 3, 4, 64, 0xc0, 86400, 14400, 0) + prefix +
               struct.pack("!BBHI", 5, 1, 0, 1280))
    return [
        ("ff02::2", icmp6(133, bytes(4))),                                      # RS
        ("ff02::1", icmp6(134, struct.pack("!BBHII", 64, 0, 1800, 0, 0) + ra_opts)),
        ("ff02::1:ff00:1", icmp6(135, bytes(4) + gw_b)),                        # NS
        ("ff02::1", icmp6(136, struct.pack("!I", 0x20000000) + gw_b)),          # NA
        (gw, icmp6(137, bytes(4) + socket.inet_pton(socket.AF_INET6, "fe80::bad") +
                   socket.inet_pton(socket.AF_INET6, "2001:db8::80"))),         # redirect
        ("ff02::1", icmp6(130, struct.pack("!HH", 1000, 0) + bytes(16))),       # MLD query
        ("ff02::16", icmp6(143, struct.pack("!HH", 0, 1) +
                           struct.pack("!BBH", 4, 0, 0) +
                           socket.inet_pton(socket.AF_INET6, "ff02::fb"))),      # MLDv2 report
    ]


def capture_start():
    s = socket.socket(socket.AF_PACKET, socket.SOCK_DGRAM, socket.htons(ETH_P_ALL))
    s.bind((IFACE, 0))
    s.setblocking(False)
    return s


def capture_read(s, seconds):
    """ICMPv6 types of the packets the gateway sent to tg0 (pkttype HOST)."""
    types, deadline = [], time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            data, addr = s.recvfrom(65535)
        except BlockingIOError:
            time.sleep(0.02)
            continue
        if addr[2] != PACKET_HOST or len(data) < 41 or data[0] >> 4 != 6:
            continue
        types.append(data[40] if data[6] == 58 else -data[6])
    return types


def send_link_signalling(gw):
    ifindex = socket.if_nametoindex(IFACE)
    s = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_HOPS, 255)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_UNICAST_HOPS, 255)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_IF, ifindex)
    sent = 0
    for dst, msg in messages(gw):
        s.sendto(msg, (dst, 0, 0, ifindex))
        sent += 1
    s.close()
    return sent


def udp(addr, port, payload, dstopts):
    s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    if dstopts:
        s.setsockopt(socket.IPPROTO_IPV6, IPV6_DSTOPTS, DSTOPTS)
    s.settimeout(5)
    s.connect((addr, port))
    t0 = time.monotonic()
    try:
        s.send(payload)
        s.recv(100)
        err = "answered"
    except ConnectionRefusedError:
        err = "ECONNREFUSED"
    except socket.timeout:
        err = "timeout"
    finally:
        s.close()
    return {"error": err, "elapsed": round(time.monotonic() - t0, 3)}


def http_with_dstopts(addr, port, n):
    s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    s.setsockopt(socket.IPPROTO_IPV6, IPV6_DSTOPTS, DSTOPTS)
    s.settimeout(20)
    s.connect((addr, port))
    s.sendall(b"GET /bytes/%d HTTP/1.0\r\nHost: x\r\n\r\n" % n)
    data = b""
    while True:
        chunk = s.recv(65536)
        if not chunk:
            break
        data += chunk
    s.close()
    head, _, body = data.partition(b"\r\n\r\n")
    return {"status": head.split(b"\r\n")[0].decode(errors="replace"), "body_len": len(body)}


def main():
    http_addr, http_port, udp_addr, gw = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
    cap = capture_start()
    capture_read(cap, 0.2)          # drain what came before
    sent = send_link_signalling(gw)
    answers = capture_read(cap, 1.0)
    cap.close()
    out = {
        "link_sent": sent,
        "answers": answers,
        "udp_dstopts": udp(udp_addr, 443, b"q" * 40, True),
        "udp_fragmented": udp(udp_addr, 4433, b"f" * 3000, False),
        "tcp_dstopts": http_with_dstopts(http_addr, http_port, 5000),
    }
    print(json.dumps(out))


if __name__ == "__main__":
    main()
