"""DNS messages for the tests (RFC 1035, EDNS0 RFC 6891), standard library
only: building queries (well-formed or deliberately broken), parsing any
message, and building the answers of the test DNS servers. Used inside
torgate by tests/integration/clients/dnsq.py and faultload.py, and outside
by dnsserver.py and the tests."""

import ipaddress
import random
import struct

TYPES = {"A": 1, "NS": 2, "CNAME": 5, "SOA": 6, "PTR": 12, "MX": 15, "TXT": 16,
         "AAAA": 28, "SRV": 33, "OPT": 41, "SVCB": 64, "HTTPS": 65, "IXFR": 251,
         "AXFR": 252, "ANY": 255}
TYPE_NAMES = {v: k for k, v in TYPES.items()}
RCODES = {0: "NOERROR", 1: "FORMERR", 2: "SERVFAIL", 3: "NXDOMAIN", 4: "NOTIMP",
          5: "REFUSED"}
CLASS_IN = 1


class ParseError(ValueError):
    pass


def qtype(t):
    return TYPES[t.upper()] if isinstance(t, str) else int(t)


def labels_of(name):
    """'www.Example.' -> [b'www', b'Example']; the root is '' or '.'."""
    if isinstance(name, (list, tuple)):
        return [x if isinstance(x, bytes) else x.encode() for x in name]
    name = name[:-1] if name.endswith(".") else name
    return [x.encode("latin-1") for x in name.split(".")] if name else []


def encode_name(name):
    """Wire form of a name; labels are not checked (the tests build broken
    names on purpose: a label of 64 octets gets the length byte 0x40)."""
    out = b""
    for lab in labels_of(name):
        out += bytes([len(lab) & 0xFF]) + lab
    return out + b"\0"


def header(qid, qd=1, an=0, ns=0, ar=0, qr=0, opcode=0, aa=0, tc=0, rd=1, ra=0, rcode=0):
    flags = (qr << 15) | (opcode << 11) | (aa << 10) | (tc << 9) | (rd << 8) | (ra << 7) | rcode
    return struct.pack(">HHHHHH", qid, flags, qd, an, ns, ar)


def opt_record(udp_size=1232, version=0, do=0):
    return b"\0" + struct.pack(">HHBBHH", TYPES["OPT"], udp_size, 0, version,
                               0x8000 if do else 0, 0)


def question(name, t="A", qclass=CLASS_IN):
    wire = name if isinstance(name, bytes) else encode_name(name)
    return wire + struct.pack(">HH", qtype(t), qclass)


def new_id():
    return random.randrange(1, 0x10000)


def build_query(name, t="A", qid=None, rd=1, edns=None, opcode=0, qr=0):
    """A query for one question; edns is the advertised UDP size, or None
    for no OPT record."""
    qid = new_id() if qid is None else qid
    msg = header(qid, ar=1 if edns else 0, qr=qr, opcode=opcode, rd=rd) + question(name, t)
    if edns:
        msg += opt_record(edns)
    return msg


def reverse_name(addr):
    """The PTR owner name of an IPv4 or IPv6 address."""
    return ipaddress.ip_address(addr).reverse_pointer


# ------------------------------------------------------------------ parsing

def read_name(buf, off):
    """(name text, offset after the name); compression followed with a hop
    limit, so a loop raises ParseError."""
    labels, hops, end = [], 0, None
    while True:
        if off >= len(buf):
            raise ParseError("name runs past the message")
        n = buf[off]
        if n & 0xC0 == 0xC0:
            if off + 1 >= len(buf):
                raise ParseError("truncated pointer")
            if end is None:
                end = off + 2
            off = ((n & 0x3F) << 8) | buf[off + 1]
            hops += 1
            if hops > 64:
                raise ParseError("compression loop")
            continue
        if n & 0xC0:
            raise ParseError("label type 0x%02x" % n)
        off += 1
        if n == 0:
            break
        if off + n > len(buf):
            raise ParseError("label runs past the message")
        # Presentation form: a dot or backslash inside a label is escaped.
        labels.append(buf[off:off + n].decode("latin-1").replace("\\", "\\\\")
                      .replace(".", "\\."))
        off += n
    return ".".join(labels) + ".", (end if end is not None else off)


def parse_message(buf):
    """Any DNS message -> dict (header fields, questions, records, opt)."""
    if len(buf) < 12:
        raise ParseError("%d bytes: shorter than a header" % len(buf))
    qid, flags, qd, an, ns, ar = struct.unpack(">HHHHHH", buf[:12])
    m = {"id": qid, "qr": flags >> 15, "opcode": (flags >> 11) & 0xF,
         "aa": (flags >> 10) & 1, "tc": (flags >> 9) & 1, "rd": (flags >> 8) & 1,
         "ra": (flags >> 7) & 1, "rcode": flags & 0xF, "qdcount": qd, "ancount": an,
         "nscount": ns, "arcount": ar, "questions": [], "answers": [], "authority": [],
         "additional": [], "opt": None, "length": len(buf)}
    off = 12
    for _ in range(qd):
        name, off = read_name(buf, off)
        if off + 4 > len(buf):
            raise ParseError("truncated question")
        t, c = struct.unpack(">HH", buf[off:off + 4])
        off += 4
        m["questions"].append({"name": name, "type": TYPE_NAMES.get(t, t), "class": c})
    for section, count in (("answers", an), ("authority", ns), ("additional", ar)):
        for _ in range(count):
            rr, off = _read_rr(buf, off)
            if rr["type"] == "OPT":
                m["opt"] = {"udp": rr["class"], "rcode_hi": rr["ttl"] >> 24,
                            "version": (rr["ttl"] >> 16) & 0xFF, "do": (rr["ttl"] >> 15) & 1}
            m[section].append(rr)
    m["trailing"] = len(buf) - off
    m["rcode_name"] = RCODES.get(m["rcode"], str(m["rcode"]))
    return m


def _read_rr(buf, off):
    name, off = read_name(buf, off)
    if off + 10 > len(buf):
        raise ParseError("truncated record header")
    t, c, ttl, rdlen = struct.unpack(">HHIH", buf[off:off + 10])
    off += 10
    if off + rdlen > len(buf):
        raise ParseError("truncated rdata")
    rdata = buf[off:off + rdlen]
    tn = TYPE_NAMES.get(t, t)
    if tn == "A" and rdlen == 4:
        data = str(ipaddress.IPv4Address(rdata))
    elif tn == "AAAA" and rdlen == 16:
        data = str(ipaddress.IPv6Address(rdata))
    elif tn in ("PTR", "CNAME", "NS"):
        data, end = read_name(buf, off)
        if end != off + rdlen:
            raise ParseError("%s rdata length %d but the name takes %d" % (tn, rdlen, end - off))
    else:
        data = rdata.hex()
    return {"name": name, "type": tn, "class": c, "ttl": ttl, "data": data}, off + rdlen


def parse_query_loose(buf):
    """For the test servers: (parsed message, name in lower case without
    the final dot, numeric qtype) of a query, or None if it is not one."""
    try:
        m = parse_message(buf)
    except ParseError:
        return None
    if m["qr"] or m["qdcount"] != 1:
        return None
    q = m["questions"][0]
    return m, q["name"].rstrip(".").lower(), TYPES.get(q["type"], q["type"])


# ------------------------------------------------------------------ answers

def build_response(query_buf, rcode=0, addrs=(), ttl=60, ra=1):
    """The answer to query_buf (which parse_query_loose accepted): its
    question copied, one A/AAAA record per address in addrs (a pointer to
    the question's name as owner), an OPT record if the query had one."""
    m = parse_message(query_buf)
    qend = 12
    _, qend = read_name(query_buf, qend)
    qsec = query_buf[12:qend + 4]
    recs = b""
    for a in addrs:
        ip = ipaddress.ip_address(a)
        t = TYPES["A"] if ip.version == 4 else TYPES["AAAA"]
        recs += struct.pack(">HHHIH", 0xC00C, t, CLASS_IN, ttl, len(ip.packed)) + ip.packed
    opt = opt_record(1232) if m["opt"] else b""
    hdr = header(m["id"], qd=1, an=len(addrs), ar=1 if opt else 0, qr=1, opcode=m["opcode"],
                 rd=m["rd"], ra=ra, rcode=rcode)
    return hdr + qsec + recs + opt
