#!/usr/bin/env python3
"""Writes the seed corpus of fuzz_netstack (tests/fuzz/corpus/netstack): short
sessions in the harness's input format (see fuzz_netstack.c) that reach the
netstack's paths one by one: held SYNs accepted, refused and dropped, whole
TCP sessions over IPv4 and IPv6 with data both ways, FIN, RST, retransmission
timeouts and a reused 4-tuple, DNS over UDP and TCP to the stub, UDP and pings
elsewhere, fragments, and bad checksums; with offloads (virtio_net_hdr), SYNs,
super-segments and DNS with their checksums left undone (NEEDS_CSUM, GSO),
and headers that point outside the packet. Usage:
tests/fuzz/make_netstack_corpus.py (rewrites the directory)."""

import ipaddress
import os
import shutil
import struct

from make_corpus import csum  # the same Internet checksum

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "corpus", "netstack")

# Harness format: setup byte, then records ctl:u8 len:u16 body.
MTU_1280, MTU_1500, MTU_9000, MTU_65535 = 0, 1, 2, 3
PING_LOCAL = 4
OFFLOAD = 8                              # a virtio_net_hdr before every packet
FIX, REL = 0x01, 0x02                    # packet ctl bits
KERNEL, PAD = 0x10, 0x20                 # offloads: the kernel's header; pad to the buffer
TICKS_1, TICKS_8, TICKS_240 = 1 << 2, 2 << 2, 3 << 2
HOLD, ACCEPT, REFUSE, ACCEPT_SEND = 0, 1, 2, 3     # policy: how the SYN is answered
KEEP, ECHO = 0x04, 0x08
FIN_SHUT, FIN_CLOSE, FIN_ABORT = 1 << 4, 2 << 4, 3 << 4
ABORT_RECV, CLOSE_SENT = 0x40, 0x80
(A_ACCEPT, A_REFUSE, A_DROP, A_SEND, A_EOF, A_CLOSE, A_ABORT, A_RELEASE, A_TIME,
 A_UDP_REPLY, A_SNDBUF, A_PURGE) = range(12)

APP4, FAR4, STUB4 = "10.66.0.2", "203.0.113.7", "10.66.0.1"
APP6, FAR6, STUB6 = "fd74:6f72::2", "2001:db8::7", "fd74:6f72::1"
SYN, FIN_F, RST_F, PSH, ACK = 0x02, 0x01, 0x04, 0x08, 0x10


def addr(a):
    return ipaddress.ip_address(a).packed


def l4_with_sum(src, dst, proto, seg, at):
    """seg with its checksum (at byte offset at) over the pseudo header."""
    if proto == 1:
        pseudo = b""
    elif len(src) == 4:
        pseudo = src + dst + struct.pack("!BBH", 0, proto, len(seg))
    else:
        pseudo = src + dst + struct.pack("!IxxxB", len(seg), proto)
    c = csum(pseudo + seg[:at] + b"\0\0" + seg[at + 2:])
    return seg[:at] + struct.pack("!H", c) + seg[at + 2:]


def ip4(src, dst, proto, payload, ident=1, frag=0x4000, total=None):
    h = struct.pack("!BBHHHBBH4s4s", 0x45, 0, total or 20 + len(payload), ident, frag, 64,
                    proto, 0, addr(src), addr(dst))
    return h[:10] + struct.pack("!H", csum(h)) + h[12:] + payload


def ip6(src, dst, nh, payload):
    return struct.pack("!IHBB", 0x60000000, len(payload), nh, 64) + addr(src) + addr(dst) + payload


def tcp_pkt(src, dst, *a, **kw):
    seg = tcp_seg(src, dst, *a, **kw)
    return ip6(src, dst, 6, seg) if ":" in src else ip4(src, dst, 6, seg)


def tcp_seg(src, dst, sport, dport, seq, ack, flags, data=b"", win=65535, opts=b""):
    off = (20 + len(opts)) // 4
    seg = struct.pack("!HHIIBBHHH", sport, dport, seq, ack, off << 4, flags, win, 0, 0) + opts + data
    return l4_with_sum(addr(src), addr(dst), 6, seg, 16)


def udp_pkt(src, dst, sport, dport, data):
    seg = struct.pack("!HHHH", sport, dport, 8 + len(data), 0) + data
    seg = l4_with_sum(addr(src), addr(dst), 17, seg, 6)
    return ip6(src, dst, 17, seg) if ":" in src else ip4(src, dst, 17, seg)


def echo_pkt(src, dst, pad=0):
    if ":" in src:
        seg = struct.pack("!BBHHH", 128, 0, 0, 7, 1) + b"ping" + bytes(pad)
        return ip6(src, dst, 58, l4_with_sum(addr(src), addr(dst), 58, seg, 2))
    seg = struct.pack("!BBHHH", 8, 0, 0, 7, 1) + b"ping" + bytes(pad)
    return ip4(src, dst, 1, l4_with_sum(addr(src), addr(dst), 1, seg, 2))


def pkt(p, pol=0, ctl=FIX | REL):
    return struct.pack("!BH", ctl, len(p) + 1) + bytes([pol]) + p


# virtio_net_hdr (little-endian): flags, gso_type, hdr_len, gso_size,
# csum_start, csum_offset.
NEEDS_CSUM, DATA_VALID = 1, 2
GSO_NONE, GSO_TCPV4, GSO_TCPV6 = 0, 1, 4


def vnet(flags=0, gso=GSO_NONE, hdr_len=0, gso_size=0, start=0, offset=0):
    return struct.pack("<BBHHHH", flags, gso, hdr_len, gso_size, start, offset)


def kernel_vnet(p, mtu=1500):
    """p as the app's kernel hands it over with offloads: its TCP or UDP
    checksum left undone (only the pseudo-header's sum in the field), and the
    header saying so, with GSO fields for a TCP segment larger than the MTU.
    Returns (header, packet)."""
    v6 = p[0] >> 4 == 6
    off = 40 if v6 else (p[0] & 15) * 4
    proto = p[6] if v6 else p[9]
    at = {6: 16, 17: 6}[proto]
    l4len = len(p) - off
    src, dst = (p[8:24], p[24:40]) if v6 else (p[12:16], p[16:20])
    pseudo = src + dst + (struct.pack("!IxxxB", l4len, proto) if v6 else struct.pack("!BBH", 0, proto, l4len))
    field = (~csum(pseudo)) & 0xFFFF
    p = p[:off + at] + struct.pack("!H", field) + p[off + at + 2:]
    gso = hdr_len = gso_size = 0
    if proto == 6:
        thl = (p[off + 12] >> 4) * 4
        if len(p) > mtu:
            gso, hdr_len, gso_size = GSO_TCPV6 if v6 else GSO_TCPV4, off + thl, mtu - off - thl
    return vnet(NEEDS_CSUM, gso, hdr_len, gso_size, off, at), p


def csum_into_ip_header(at, value):
    """An IPv4 SYN whose checksum, completed from byte 0 into bytes at..at+1
    of its IP header, writes value there, with the IP header's own checksum
    right afterwards (the urgent pointer and the header checksum tuned)."""
    def fold(b):
        s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
        while s >> 16:
            s = (s & 0xFFFF) + (s >> 16)
        return s
    p = bytearray(tcp_pkt(APP4, FAR4, 40000, 80, 1000, 0, SYN))
    h = bytearray(p[:20])
    h[at:at + 2] = struct.pack("!H", value)
    h[10:12] = b"\0\0"
    p[10:12] = struct.pack("!H", (~fold(bytes(h))) & 0xFFFF)
    p[38:40] = b"\0\0"
    p[38:40] = struct.pack("!H", ((~value & 0xFFFF) - fold(bytes(p))) % 0xFFFF)
    assert (~fold(bytes(p))) & 0xFFFF == value
    return bytes(p)


def opkt(p, pol=0, ctl=REL, vh=None, mtu=1500):
    """A packet record for a session with offloads: the kernel's header
    (kernel_vnet) unless vh is given."""
    if vh is None:
        vh, p = kernel_vnet(p, mtu)
    return struct.pack("!BH", ctl, len(p) + 11) + bytes([pol]) + vh + p


def act(a, idx=0, arg=b""):
    return struct.pack("!BH", 0x80 | a, 1 + len(arg)) + bytes([idx]) + arg


def u16(n):
    return struct.pack("!H", n)


MSS_WS = b"\x02\x04\x05\xb4" + b"\x01\x03\x03\x07"    # MSS 1460, window scale 7


def dns_query(name, qid=0x1235):
    q = struct.pack("!HHHHHH", qid, 0x0100, 1, 0, 0, 0)
    for label in name.split("."):
        q += bytes([len(label)]) + label.encode()
    return q + b"\0" + struct.pack("!HH", 1, 1)


def session(app, far, sport=40000, dport=80, pol=ACCEPT, up=b"GET / HTTP/1.0\r\n\r\n",
            down=500, end="fin", pkt=pkt):
    """A whole TCP session: handshake, data up, data down, ACKs, then the
    app's FIN (and the gateway's EOF) or a RST. Sequence numbers of the app
    are absolute; its acks count from lwIP's ISN (REL)."""
    r = [pkt(tcp_pkt(app, far, sport, dport, 1000, 0, SYN, opts=MSS_WS), pol)]
    if pol & 3 == HOLD:
        r.append(act(A_ACCEPT))
    r.append(pkt(tcp_pkt(app, far, sport, dport, 1001, 1, ACK)))
    r.append(pkt(tcp_pkt(app, far, sport, dport, 1001, 1, PSH | ACK, up)))
    r.append(act(A_SEND, 0, u16(down)))
    seq = 1001 + len(up)
    r.append(pkt(tcp_pkt(app, far, sport, dport, seq, 1 + down, ACK)))
    if end == "rst":
        r.append(pkt(tcp_pkt(app, far, sport, dport, seq, 1 + down, RST_F | ACK)))
        return r
    r.append(pkt(tcp_pkt(app, far, sport, dport, seq, 1 + down, FIN_F | ACK)))
    r.append(act(A_EOF))
    r.append(pkt(tcp_pkt(app, far, sport, dport, seq + 1, 2 + down, ACK)))
    return r


def seeds():
    s = {}
    for fam, app, far, stub in (("4", APP4, FAR4, STUB4), ("6", APP6, FAR6, STUB6)):
        syn = tcp_pkt(app, far, 40000, 80, 1000, 0, SYN, opts=MSS_WS)
        s["syn-held" + fam] = [MTU_1500, pkt(syn, HOLD)]
        s["syn-accepted" + fam] = [MTU_1500, pkt(syn, HOLD), act(A_ACCEPT)]
        s["syn-refused-at-once" + fam] = [MTU_1500, pkt(syn, REFUSE)]
        s["syn-refused-later" + fam] = [MTU_1500, pkt(syn, HOLD), pkt(syn, HOLD), act(A_REFUSE)]
        s["syn-dropped" + fam] = [MTU_1500, pkt(syn, HOLD), act(A_DROP)]
        s["session" + fam] = [MTU_1500] + session(app, far)
        s["session-held" + fam] = [MTU_1500] + session(app, far, pol=HOLD | ECHO)
        s["session-rst" + fam] = [MTU_1500] + session(app, far, end="rst")
        s["session-fin-close" + fam] = [MTU_1500] + session(app, far, pol=ACCEPT | FIN_CLOSE)
        s["session-keep" + fam] = [MTU_1500] + session(app, far, pol=ACCEPT_SEND | KEEP) + \
            [act(A_RELEASE), act(A_SNDBUF)]
        s["session-big" + fam] = [MTU_65535] + session(app, far, up=bytes(range(256)) * 200,
                                                      down=60000)
        # The app never acknowledges: lwIP resends, backs off and gives up.
        s["retransmit-timeout" + fam] = [MTU_1500] + session(app, far)[:3] + \
            [act(A_SEND, 0, u16(3000)), act(A_TIME, 0, u16(4095))]
        # The app's kernel reuses the 4-tuple while lwIP still holds it.
        s["reused-tuple" + fam] = [MTU_1500] + session(app, far)[:4] + [pkt(syn, ACCEPT)]
        # Out of order: the second segment first.
        s["out-of-order" + fam] = [MTU_1500] + session(app, far)[:2] + [
            pkt(tcp_pkt(app, far, 40000, 80, 1011, 1, ACK, b"0123456789")),
            pkt(tcp_pkt(app, far, 40000, 80, 1001, 1, ACK, b"abcdefghij")),
            act(A_TIME, 0, u16(8))]
        # The gateway ends first (Tor's EOF): lwIP's FIN, the app's ACK and
        # FIN, TIME_WAIT purged with the stream still attached.
        s["gateway-fin-first" + fam] = [MTU_1500] + session(app, far)[:3] + [
            act(A_SEND, 0, u16(500)), act(A_EOF),
            pkt(tcp_pkt(app, far, 40000, 80, 1019, 502, ACK)),
            pkt(tcp_pkt(app, far, 40000, 80, 1019, 502, FIN_F | ACK))]
        # The app still sends after the gateway closed (detached): RST.
        s["data-after-close" + fam] = [MTU_1500] + session(app, far)[:3] + [
            act(A_CLOSE), pkt(tcp_pkt(app, far, 40000, 80, 1019, 1, PSH | ACK, b"more data"))]
        s["dns-udp" + fam] = [MTU_1500, pkt(udp_pkt(app, stub, 5353, 53, dns_query("example.com")), 0),
                             act(A_UDP_REPLY, 0, b"late answer")]
        q = dns_query("example.org")
        s["dns-tcp" + fam] = [MTU_1500] + session(app, stub, sport=40001, dport=53,
                                                 pol=ACCEPT | FIN_CLOSE | CLOSE_SENT,
                                                 up=u16(len(q)) + q, down=40)
        s["udp-elsewhere" + fam] = [MTU_1500, pkt(udp_pkt(app, far, 40000, 443, b"quic!"))]
        s["ping" + fam] = [MTU_1500, pkt(echo_pkt(app, far))]
        s["ping-local" + fam] = [MTU_1500 | PING_LOCAL, pkt(echo_pkt(app, far))]
        bad = bytearray(syn)
        bad[-1] ^= 0xff if fam == "4" else 0x55
        s["bad-tcp-checksum" + fam] = [MTU_1500, pkt(bytes(bad), ACCEPT, ctl=0)]
    # Regressions (netstack_tcpopt.c): lwIP 2.1.3's tcp_parseopt reads the
    # length byte of an option whose kind is the last byte of the header
    # before checking the bounds (with no data and a length that is a
    # multiple of 8, a heap over-read); and it takes an MSS option from any
    # segment, unbounded by the MTU outside a new connection's SYN.
    s["regress-option-at-end4"] = [MTU_1500, pkt(tcp_pkt(APP4, FAR4, 40000, 80, 1000, 0, SYN,
                                                         opts=b"\x01" * 7 + b"\x02"), ACCEPT)]
    s["regress-option-at-end6"] = [MTU_1500] + session(APP6, FAR6)[:1] + [
        pkt(tcp_pkt(APP6, FAR6, 40000, 80, 1001, 1, ACK, opts=b"\x01" * 11 + b"\x08"))]
    # Regressions (netstack_rx.c): lwIP's ip6_input reads an extension
    # header's fields, and an option's length, before checking the bounds.
    # Regression: a UDP answer larger than the MTU went out whole.
    s["regress-udp-reply-over-mtu"] = [MTU_1280, pkt(udp_pkt(APP6, STUB6, 5353, 53, dns_query("a.example")), 0),
                                       act(A_UDP_REPLY, 0, bytes(1240)), act(A_UDP_REPLY, 0, bytes(1232))]
    s["regress-ipv6-hbh-empty"] = [MTU_1500, pkt(ip6(APP6, FAR6, 0, b""), ctl=0)]
    s["regress-ipv6-destopt-at-end"] = [MTU_1500, pkt(ip6(APP6, FAR6, 60, bytes([59, 0, 0, 0, 0, 0, 0, 1])),
                                                      ctl=0)]
    big_mss = b"\x02\x04\xfd\xe8"        # MSS 65000
    s["regress-mss-in-repeated-syn6"] = [MTU_1500] + session(APP6, FAR6)[:1] + [
        pkt(tcp_pkt(APP6, FAR6, 40000, 80, 1000, 0, SYN, opts=big_mss), ACCEPT)] + \
        session(APP6, FAR6)[1:4] + [act(A_SEND, 0, u16(5000))]
    s["regress-mss-in-ack4"] = [MTU_1500] + session(APP4, FAR4)[:2] + [
        pkt(tcp_pkt(APP4, FAR4, 40000, 80, 1001, 1, ACK, opts=big_mss)), act(A_SEND, 0, u16(3000))]
    # Regression: a SYN to 0.0.0.0 was held and Tor asked; refused, lwIP's
    # RST came from another address with a checksum over the wrong one.
    s["regress-syn-to-any4"] = [MTU_1500, pkt(tcp_pkt(APP4, "0.0.0.0", 40000, 113, 1000, 0, SYN), HOLD),
                                act(A_REFUSE)]
    s["regress-syn-to-multicast6"] = [MTU_1500, pkt(tcp_pkt(APP6, "ff02::1", 40000, 80, 1000, 0, SYN),
                                                    ACCEPT)]
    bad_ip = bytearray(tcp_pkt(APP4, FAR4, 40000, 80, 1000, 0, SYN))
    bad_ip[10] ^= 0x01
    s["bad-ip-checksum4"] = [MTU_1500, pkt(bytes(bad_ip), ACCEPT, ctl=0)]
    s["small-mtu"] = [MTU_1280] + session(APP6, FAR6, down=5000)
    s["jumbo-mtu"] = [MTU_9000] + session(APP4, FAR4, down=20000)

    # Fragments: a UDP DNS query to the stub in two IPv4 fragments, and one
    # to a far address in two IPv6 fragments (fragment header 44).
    q = dns_query("fragmented.example")
    seg = struct.pack("!HHHH", 5353, 53, 8 + len(q), 0) + q
    seg = l4_with_sum(addr(APP4), addr(STUB4), 17, seg, 6)
    s["fragments4"] = [MTU_1500,
                       pkt(ip4(APP4, STUB4, 17, seg[:16], ident=9, frag=0x2000), ctl=0),
                       pkt(ip4(APP4, STUB4, 17, seg[16:], ident=9, frag=2), ctl=0)]
    data = b"fragmented datagram " * 4
    seg = struct.pack("!HHHH", 40000, 443, 8 + len(data), 0) + data
    seg = l4_with_sum(addr(APP6), addr(FAR6), 17, seg, 6)
    f1 = struct.pack("!BBHI", 17, 0, 0x0001, 77) + seg[:48]
    f2 = struct.pack("!BBHI", 17, 0, 48, 77) + seg[48:]
    s["fragments6"] = [MTU_1500, pkt(ip6(APP6, FAR6, 44, f1), ctl=0), pkt(ip6(APP6, FAR6, 44, f2), ctl=0),
                       act(A_TIME, 0, u16(300))]
    s["fragment4-alone"] = [MTU_1500, pkt(ip4(APP4, STUB4, 17, seg[:16], ident=3, frag=0x2000), ctl=0),
                            act(A_TIME, 0, u16(100))]

    # Offloads: every packet behind a virtio_net_hdr, both ways.
    for fam, app, far, stub in (("4", APP4, FAR4, STUB4), ("6", APP6, FAR6, STUB6)):
        syn = tcp_pkt(app, far, 40000, 80, 1000, 0, SYN, opts=MSS_WS)
        # The SYN's checksum left to the gateway (completed, then checked).
        s["offload-syn-csum" + fam] = [MTU_1500 | OFFLOAD, opkt(syn, HOLD, ctl=0), act(A_ACCEPT)]
        # A whole session in the kernel's headers: the app's request a
        # super-segment (TSO, taken unchecked), lwIP's answer super-segments.
        s["offload-session" + fam] = [MTU_1500 | OFFLOAD] + session(
            app, far, pol=ACCEPT | ECHO, up=bytes(range(256)) * 40, down=30000, pkt=opkt)
        # The same built by the harness (ctl KERNEL) over a small MTU.
        s["offload-session-kernel" + fam] = [MTU_1280 | OFFLOAD] + session(
            app, far, pol=HOLD, down=20000,
            pkt=lambda p, pol=0, ctl=FIX | REL: pkt(vnet() + p, pol, ctl | KERNEL))
        q = udp_pkt(app, stub, 5353, 53, dns_query("example.com"))
        s["offload-dns-udp" + fam] = [MTU_1500 | OFFLOAD, opkt(q, 1, ctl=0), act(A_UDP_REPLY, 0, b"late answer")]
        # Checksums all there: no flags, or DATA_VALID.
        s["offload-ping-local" + fam] = [MTU_1500 | OFFLOAD | PING_LOCAL, opkt(echo_pkt(app, far), ctl=0, vh=vnet())]
        s["offload-udp-elsewhere" + fam] = [MTU_9000 | OFFLOAD, opkt(udp_pkt(app, far, 40000, 443, b"quic!"), ctl=0,
                                                                    vh=vnet(DATA_VALID))]
        # Headers pointing outside the packet (malformed), and the checksum
        # field of a data segment elsewhere (completed, then checked).
        off = 20 if fam == "4" else 40
        s["offload-csum-outside" + fam] = [MTU_1500 | OFFLOAD,
                                           opkt(syn, ACCEPT, ctl=0, vh=vnet(NEEDS_CSUM, start=len(syn))),
                                           opkt(syn, ACCEPT, ctl=0, vh=vnet(NEEDS_CSUM, start=off,
                                                                            offset=len(syn) - off - 1))]
        s["offload-csum-elsewhere" + fam] = [MTU_1500 | OFFLOAD] + session(app, far, pkt=opkt)[:2] + [
            opkt(tcp_pkt(app, far, 40000, 80, 1001, 1, PSH | ACK, b"0123456789"),
                 ctl=FIX | REL, vh=vnet(NEEDS_CSUM, start=off, offset=18))]
    # Regression (netstack_offload.c): a NEEDS_CSUM header pointing into the
    # IPv4 header made the gateway write the "checksum" over the IHL or the
    # total length after packet_parse() had checked them; the SYN check then
    # summed 60 bytes of a 40-byte packet, or (total length 16) ~2^64 bytes.
    s["regress-offload-csum-over-ihl4"] = [MTU_1500 | OFFLOAD, opkt(csum_into_ip_header(0, 0x4f00), ACCEPT, ctl=0,
                                                                     vh=vnet(NEEDS_CSUM, start=0, offset=0))]
    s["regress-offload-csum-over-length4"] = [MTU_1500 | OFFLOAD, opkt(csum_into_ip_header(2, 16), ACCEPT, ctl=0,
                                                                        vh=vnet(NEEDS_CSUM, start=0, offset=2))]
    # Regression (netstack.c): with offloads a read may be 64 KiB; a ping
    # that large was answered by lwIP with a reply larger than the MTU.
    for fam, app, far in (("4", APP4, FAR4), ("6", APP6, FAR6)):
        s["regress-offload-oversize-echo" + fam] = [MTU_1280 | OFFLOAD | PING_LOCAL,
                                                    opkt(echo_pkt(app, far, 3000), ctl=FIX, vh=vnet())]
    # Short reads: part of a header, a header alone; a read of the whole
    # 64 KiB buffer (the packet padded).
    s["offload-short-reads"] = [MTU_1500 | OFFLOAD, pkt(vnet()[:5], ctl=0), pkt(vnet(), ctl=0)]
    s["offload-padded-to-64k"] = [MTU_1500 | OFFLOAD,
                                  pkt(vnet() + udp_pkt(APP6, STUB6, 5353, 53, dns_query("a.example")),
                                      ctl=FIX | KERNEL | PAD)]
    return s


def main():
    shutil.rmtree(OUT, ignore_errors=True)
    os.makedirs(OUT)
    for name, parts in seeds().items():
        with open(os.path.join(OUT, name), "wb") as f:
            f.write(bytes([parts[0]]) + b"".join(parts[1:]))


if __name__ == "__main__":
    main()
