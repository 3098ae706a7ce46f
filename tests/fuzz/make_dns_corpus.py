#!/usr/bin/env python3
"""Writes the seed corpus of fuzz_dns_query: small hand-made DNS queries,
good and malformed, one per file in tests/fuzz/corpus/dns_query/.

Run from anywhere: python3 tests/fuzz/make_dns_corpus.py. The output is
deterministic, so the committed files are what this script writes."""
import os
import struct

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus", "dns_query")

RD = 0x0100
A, NS, CNAME, SOA, PTR, MX, TXT, AAAA, SRV, OPT, SVCB, HTTPS, ANY = (
    1, 2, 5, 6, 12, 15, 16, 28, 33, 41, 64, 65, 255)
ONION = "aaaqeayeaudaocajbifqydiob4ibceqtcqkrmfyydenbwha5dyp3kead"  # valid v3


def header(qid, flags=RD, qd=1, an=0, ns=0, ar=0):
    return struct.pack(">HHHHHH", qid, flags, qd, an, ns, ar)


def name(text):
    out = b""
    for label in text.split(".") if text else []:
        out += bytes([len(label)]) + label.encode()
    return out + b"\0"


def opt(size=1232, version=0, flags=0, rdata=b""):
    return b"\0" + struct.pack(">HHBBHH", OPT, size, 0, version, flags, len(rdata)) + rdata


def query(qname, qtype, qid=0x1234, qclass=1, edns=None, flags=RD):
    msg = header(qid, flags, ar=1 if edns else 0) + name(qname) + struct.pack(">HH", qtype, qclass)
    return msg + (edns if edns else b"")


def rev6(addr16):
    nibbles = []
    for b in reversed(addr16):
        nibbles += ["%x" % (b & 15), "%x" % (b >> 4)]
    return ".".join(nibbles) + ".ip6.arpa"


SEEDS = {
    "a": query("web.example", A),
    "aaaa_0x20": query("WeB.ExAmPlE", AAAA, 0xbeef),
    "a_edns_do": query("web.example", A, edns=opt(4096, 0, 0x8000)),
    "https_edns": query("www.example.com", HTTPS, edns=opt(1232)),
    "ptr_v4_pool": query("1.0.18.198.in-addr.arpa", PTR),
    "ptr_v6_pool": query(rev6(bytes.fromhex("fd746f72ff0000000000000000000001")), PTR),
    "ptr_loopback": query("1.0.0.127.in-addr.arpa", PTR),
    # Odd id: the harness's resolve-mode cache answers it NOERROR.
    "ptr_public": query("8.8.8.8.in-addr.arpa", PTR, 0x1235),
    "onion_a": query("www." + ONION + ".onion", A),
    "localhost_aaaa": query("localhost", AAAA),
    "mx_local": query("printer.local", MX),
    "any": query("web.example", ANY),
    "badvers": query("web.example", A, edns=opt(1232, 1)),
    "class_ch": query("version.bind", TXT, qclass=3),
    "long_name": query(".".join(["a" * 63] * 3 + ["b" * 61]), A),
    # Malformed or unusual wire.
    "ptr_into_header": header(0x0001) + b"\xc0\x04" + struct.pack(">HH", A, 1),
    "ptr_self_loop": header(0x0002) + b"\xc0\x0c" + struct.pack(">HH", A, 1),
    "two_opt": header(0x0003, ar=2) + name("web.example") + struct.pack(">HH", A, 1)
               + opt() + opt(),
    "truncated_name": query("web.example", A)[:18],
    "response_qr": query("web.example", A, flags=0x8180),
    "opcode_status": query("web.example", A, flags=(2 << 11) | RD),
    "answer_and_opt": header(0x0004, an=1, ar=1) + name("web.example") + struct.pack(">HH", A, 1)
                      + b"\xc0\x0c" + struct.pack(">HHIH", A, 1, 60, 4) + b"\x01\x02\x03\x04"
                      + opt(512, 0, 0, b"\x00\x0a\x00\x08" + b"cookie!!"),
}


def main():
    os.makedirs(OUT, exist_ok=True)
    for key, data in sorted(SEEDS.items()):
        with open(os.path.join(OUT, key), "wb") as f:
            f.write(data)
    print("%d seeds in %s" % (len(SEEDS), OUT))


if __name__ == "__main__":
    main()
