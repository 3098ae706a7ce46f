"""What the DNS tests know about torgate's stub and how they read the
answers: the stub's addresses and pools, dig command lines and dig's output,
v3 onion names, and the malformed queries sent raw (clients/dnsq.py)."""

import base64
import hashlib
import ipaddress
import os
import re
import struct

from clients import dnswire

STUB4, STUB6 = "10.66.0.1", "fd74:6f72::1"
POOL4 = ipaddress.ip_network("198.18.0.0/15")
POOL6 = ipaddress.ip_network("fd74:6f72:ff00::/40")
TTL = 60
EDNS_SIZE = 1232
# A name server a program might hard-code (TEST-NET-1): not the stub.
OTHER_NS = "192.0.2.53"


def in_pool(addr, pool=None):
    try:
        ip = ipaddress.ip_address(addr)
    except ValueError:
        return False
    pools = [pool] if pool else [POOL4, POOL6]
    return any(ip.version == p.version and ip in p for p in pools)


# ------------------------------------------------------------------ dig

def dig(server, *args, tcp=False, short=False):
    """argv of one dig query; 3 s per try, 2 tries (a stub that answers
    takes milliseconds)."""
    argv = ["dig", "+time=3", "+tries=2", "+tcp" if tcp else "+notcp"]
    if server:
        argv.append("@" + server)
    if short:
        argv.append("+short")
    return argv + [str(a) for a in args]


_HEADER = re.compile(r"->>HEADER<<- opcode: (\w+), status: (\w+), id: (\d+)")
_FLAGS = re.compile(r";; flags:([^;]*); QUERY: (\d+), ANSWER: (\d+), AUTHORITY: (\d+), "
                    r"ADDITIONAL: (\d+)")
_EDNS = re.compile(r"; EDNS: version: (\d+), flags:[^;]*; udp: (\d+)")
_SERVER = re.compile(r";; SERVER: (\S+?)#(\d+)\([^)]*\) \((UDP|TCP)\)")


def parse_dig(text):
    """dig's full output -> {"status", "opcode", "flags", "counts", "answers",
    "opt" (None or {"version", "udp"}), "server", "transport", "text"}, or
    None if dig got no answer."""
    h = _HEADER.search(text)
    f = _FLAGS.search(text)
    if not h or not f:
        return None
    r = {"opcode": h.group(1), "status": h.group(2), "flags": f.group(1).split(),
         "counts": dict(zip(("QUERY", "ANSWER", "AUTHORITY", "ADDITIONAL"),
                            (int(x) for x in f.group(2, 3, 4, 5)))),
         "opt": None, "answers": [], "server": None, "transport": None, "text": text}
    e = _EDNS.search(text)
    if e and ";; OPT PSEUDOSECTION:" in text:
        r["opt"] = {"version": int(e.group(1)), "udp": int(e.group(2))}
    s = _SERVER.search(text)
    if s:
        r["server"], r["transport"] = s.group(1), s.group(3)
    sec = re.search(r";; ANSWER SECTION:\n(.*?)(?:\n\n|\Z)", text, re.S)
    if sec:
        for ln in sec.group(1).splitlines():
            p = ln.split(None, 4)
            if len(p) == 5:
                r["answers"].append({"name": p[0], "ttl": int(p[1]), "class": p[2],
                                     "type": p[3], "data": p[4]})
    return r


def bad_name(name):
    """Whether a name (presentation form, as dnswire parses it) breaks the
    stub's rules: longer than 255 octets on the wire, or a character other
    than letters, digits, '-' and '_' (an escaped dot or backslash inside a
    label counts as one)."""
    text = name[:-1] if name.endswith(".") else name
    if len(text) > 253:
        return True
    return "\\" in text or any(not (c.isascii() and (c.isalnum() or c in "-_.")) for c in text)


def short_lines(cmd_result):
    return [ln.strip() for ln in cmd_result["stdout"].splitlines() if ln.strip()]


# ------------------------------------------------------------------ onion names

def onion_v3(version=3, pubkey=None):
    """A syntactically valid v3 onion name: base32(pubkey | checksum |
    version), checksum = SHA3-256(".onion checksum" | pubkey | version)[:2]."""
    pk = pubkey if pubkey is not None else os.urandom(32)
    v = bytes([version])
    chk = hashlib.sha3_256(b".onion checksum" + pk + v).digest()[:2]
    return base64.b32encode(pk + chk + v).decode().lower() + ".onion"


def is_v3_onion(name):
    """An independent check of onion_v3's and malformed_onions' names: the
    last label before .onion is 56 base32 characters decoding to pubkey |
    checksum | version 3 with the right checksum."""
    labels = name.lower().rstrip(".").split(".")
    if len(labels) < 2 or labels[-1] != "onion" or len(labels[-2]) != 56:
        return False
    try:
        raw = base64.b32decode(labels[-2].upper())
    except ValueError:
        return False
    pk, chk, v = raw[:32], raw[32:34], raw[34:]
    return v == b"\x03" and chk == hashlib.sha3_256(b".onion checksum" + pk + v).digest()[:2]


def malformed_onions():
    """{why: name} of names ending in .onion that are not v3 onion names."""
    good = onion_v3()[:-len(".onion")]
    return {
        "v2-16-chars": "expyuzz4wqqyqhjn.onion",
        "55-chars": good[1:] + ".onion",
        "57-chars": good + "a.onion",
        "bad-base32-char": "1" + good[1:] + ".onion",
        "version-2": onion_v3(version=2),
        "www-v2": "www.expyuzz4wqqyqhjn.onion",
    }


# ------------------------------------------------------------------ raw queries

def _q(qid, qd=1, flags_qr=0, opcode=0):
    return dnswire.header(qid, qd=qd, qr=flags_qr, opcode=opcode)


def _name_of_octets(n):
    """A hostname whose wire form is n octets (labels of up to 63)."""
    labels, left = [], n - 1
    while left > 0:
        k = min(63, left - 1)
        if left - (k + 1) == 1:   # never leave a 1-octet remainder (no empty label)
            k -= 1
        labels.append("a" * k)
        left -= k + 1
    name = ".".join(labels)
    assert len(dnswire.encode_name(name)) == n, (n, len(dnswire.encode_name(name)))
    return name


def raw_cases():
    """[(label, message bytes, expectation)]; expectation is an rcode name,
    "DROP" (no answer at all) or "ECHO" (NOERROR, the question copied
    byte for byte and one A record in the pool)."""
    A = struct.pack(">HH", 1, 1)
    cases = [
        ("qdcount-0", _q(0x1001, qd=0), "FORMERR"),
        ("qdcount-2", _q(0x1002, qd=2) + dnswire.question("a.example")
         + dnswire.question("b.example"), "FORMERR"),
        ("label-0x40", _q(0x1003) + b"\x40" + b"a" * 64 + b"\x07example\x00" + A, "FORMERR"),
        ("label-64-octets-in-0x3f-form",  # length byte says 63, 64 octets follow: garbage
         _q(0x1004) + b"\x3f" + b"a" * 64 + b"\x07example\x00" + A, "FORMERR"),
        ("compression-self-loop", _q(0x1005) + b"\xc0\x0c" + A, "FORMERR"),
        ("compression-label-loop", _q(0x1006) + b"\x01a\xc0\x0c" + A, "FORMERR"),
        ("name-256-octets", _q(0x1008) + dnswire.question(_name_of_octets(256)), "FORMERR"),
        ("truncated-qtype", _q(0x1009) + dnswire.encode_name("web.example") + b"\x00",
         "FORMERR"),
        ("truncated-in-name", _q(0x100a) + b"\x07exam", "FORMERR"),
        ("char-space", _q(0x100b) + dnswire.question(["bad name", "example"]), "FORMERR"),
        ("char-star", _q(0x100c) + dnswire.question(["a*b", "example"]), "FORMERR"),
        ("char-nul", _q(0x100d) + dnswire.question([b"ex\0mple", b"example"]), "FORMERR"),
        ("char-dot-in-label", _q(0x100e) + dnswire.question([b"a.b", b"example"]), "FORMERR"),
        ("opcode-iquery", dnswire.build_query("web.example", qid=0x1010, opcode=1), "NOTIMP"),
        ("opcode-status", dnswire.build_query("web.example", qid=0x1011, opcode=2), "NOTIMP"),
        ("qtype-any", dnswire.build_query("web.example", "ANY", qid=0x1012), "NOTIMP"),
        ("qtype-axfr", dnswire.build_query("web.example", "AXFR", qid=0x1013), "NOTIMP"),
        ("qtype-ixfr", dnswire.build_query("web.example", "IXFR", qid=0x1014), "NOTIMP"),
        ("shorter-than-header", b"\x10\x15\x01\x00\x00", "DROP"),
        ("empty-message", b"", "DROP"),
        ("response-qr-1", dnswire.build_query("web.example", qid=0x1016, qr=1), "DROP"),
        ("name-255-octets", dnswire.build_query(_name_of_octets(255), qid=0x1017), "ECHO"),
        ("dns-0x20-case", dnswire.build_query("WeB.eXaMpLe", qid=0x1018), "ECHO"),
        ("underscore-label", dnswire.build_query("_x.web.example", qid=0x1019), "ECHO"),
    ]
    return cases


def question_bytes(msg):
    """The question section of a well-formed one-question message."""
    _, end = dnswire.read_name(msg, 12)
    return msg[12:end + 4]
