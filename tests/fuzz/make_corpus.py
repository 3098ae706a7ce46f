#!/usr/bin/env python3
"""Writes the seed corpora of fuzz_socks_reply, fuzz_packet and fuzz_pulse
(the DNS corpus has make_dns_corpus.py): a few well-formed inputs of each
kind, from which libFuzzer mutates. Usage: tests/fuzz/make_corpus.py
(rewrites tests/fuzz/corpus/socks_reply, packet and pulse)."""

import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))


def write(kind, name, data):
    d = os.path.join(HERE, "corpus", kind)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def socks():
    ok4 = b"\x05\x00\x00\x01\xc0\x00\x02\x07\x00\x50"
    ok6 = b"\x05\x00\x00\x04" + bytes(15) + b"\x07\x01\xbb"
    name = b"\x05\x00\x00\x03\x0bexample.com\x00\x00"
    seeds = {
        # mode byte (command, credentials), cut byte, then the server's bytes
        "connect-noauth": b"\x00\x05" + b"\x05\x00" + ok4,
        "connect-auth": b"\x08\x03" + b"\x05\x02" + b"\x01\x00" + ok4,
        "connect-auth-rejected": b"\x08\x02" + b"\x05\x02" + b"\x01\x01",
        # Tor's answer to the pipelined greeting: the auth verdict alone.
        "connect-auth-tor-pipelined": b"\x08\x01" + b"\x01\x00" + ok4,
        "connect-v6": b"\x01\x07" + b"\x05\x00" + ok6,
        "connect-refused": b"\x00\x04" + b"\x05\x00" + b"\x05\x05\x00\x01" + bytes(6),
        "onion-not-found": b"\x0a\x01" + b"\x05\x02\x01\x00" + b"\x05\xf0\x00\x01" + bytes(6),
        "resolve-ok": b"\x0e\x09" + b"\x05\x02\x01\x00" + ok4,
        "resolve-failed-atyp0": b"\x06\x02" + b"\x05\x00" + b"\x05\x04\x00\x00" + bytes(6),
        "resolve-ptr-name": b"\x03\x05" + b"\x05\x00" + name,
        "no-method": b"\x00\x01" + b"\x05\xff",
        "not-socks": b"\x00\x00" + b"HTTP/1.0 400 Bad Request\r\n\r\n",
    }
    for k, v in seeds.items():
        write("socks_reply", k, v)


def csum(b):
    if len(b) & 1:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def ip4(proto, payload):
    h = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), 1, 0x4000, 64, proto, 0,
                    bytes([10, 66, 0, 2]), bytes([192, 0, 2, 7]))
    h = h[:10] + struct.pack("!H", csum(h)) + h[12:]
    return h + payload


def ip6(nh, payload):
    return struct.pack("!IHBB", 0x60000000, len(payload), nh, 64) + \
        bytes.fromhex("fd746f72000000000000000000000002") + \
        bytes.fromhex("20010db8000000000000000000000007") + payload


def packets():
    udp = struct.pack("!HHHH", 40000, 443, 8 + 5, 0) + b"quic!"
    syn = struct.pack("!HHIIBBHHH", 40000, 80, 1, 0, 5 << 4, 0x02, 65535, 0, 0)
    echo4 = struct.pack("!BBHHH", 8, 0, 0, 1, 1) + b"ping"
    echo6 = struct.pack("!BBHHH", 128, 0, 0, 1, 1) + b"ping"
    unreach4 = struct.pack("!BBHI", 3, 3, 0, 0) + ip4(17, udp)[:28]
    def tcp_sums(src, dst, seg):
        pseudo = src + dst + (struct.pack("!BBH", 0, 6, len(seg)) if len(src) == 4
                              else struct.pack("!IxxxB", len(seg), 6))
        return seg[:16] + struct.pack("!H", csum(pseudo + seg)) + seg[18:]

    syn_data = syn + b"x"
    seeds = {
        # SYNs whose checksums verify (what the netstack holds), one with data
        "syn4-sums": ip4(6, tcp_sums(bytes([10, 66, 0, 2]), bytes([192, 0, 2, 7]), syn_data)),
        "syn6-sums": ip6(6, tcp_sums(bytes.fromhex("fd746f72000000000000000000000002"),
                                     bytes.fromhex("20010db8000000000000000000000007"), syn)),
        "udp4": ip4(17, udp), "udp6": ip6(17, udp),
        "syn4": ip4(6, syn), "syn6": ip6(6, syn),
        "echo4": ip4(1, echo4), "echo6": ip6(58, echo6),
        "icmp-error4": ip4(1, unreach4),
        "udp4-big": ip4(17, struct.pack("!HHHH", 40000, 53, 8 + 1400, 0) + bytes(1400)),
    }
    for k, v in seeds.items():
        write("packet", k, v)


def pulse():
    """Sessions of fuzz_pulse: records side (1: client, 0: server),
    length, bytes; PulseAudio's packets as libpulse and the daemon send
    them."""
    def u32(*v):
        return b"".join(b"L" + struct.pack("!I", x) for x in v)

    def control(body):
        return struct.pack("!IIIII", len(body), 0xffffffff, 0, 0, 0) + body

    def audio(n, channel=0):
        return struct.pack("!IIIII", n, channel, 0, 0, 0) + bytes(range(256)) * (n // 256) + bytes(n % 256)

    def rec(side, data):
        return struct.pack("!BH", side, len(data)) + data

    auth = control(u32(8, 0, 35 | 0xc0000000) + b"x" + struct.pack("!I", 256) + bytes(256))
    name = control(u32(9, 1) + b"P" + b"tapplication.name\x00L" + struct.pack("!I", 4) + b"x" +
                   struct.pack("!I", 4) + b"cat\x00" + b"N")
    play = control(u32(3, 2) + b"a" + b"\x03" + b"L" + struct.pack("!I", 44100))
    reply = control(u32(2, 0, 35))
    seeds = {
        "handshake": rec(1, auth) + rec(0, reply) + rec(1, name) + rec(0, control(u32(2, 1, 7))),
        "playback": rec(1, auth + name + play) + rec(0, reply) + rec(1, audio(1024)) +
                    rec(0, control(u32(61, 0xffffffff, 0, 4096))) + rec(1, audio(4096)[:2000]) +
                    rec(1, audio(4096)[2000:]),
        "refused-mid-packet": rec(0, audio(600, 3)[:300]) + rec(1, control(u32(51, 4) + b"tmodule-null-sink\x00")) +
                              rec(0, audio(600, 3)[300:]) + rec(1, control(u32(7, 5))),
        "split-descriptors": b"".join(rec(1, auth[i:i + 7]) for i in range(0, 40, 7)) + rec(1, auth[42:]),
    }
    for k, v in seeds.items():
        write("pulse", k, v)


if __name__ == "__main__":
    socks()
    packets()
    pulse()
