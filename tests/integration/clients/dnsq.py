#!/usr/bin/python3
"""Sends raw DNS messages (well-formed or not) and reports what came back.
One JSON argument: a list of cases; prints one JSON line {"results": [...]}.

  {"label": L, "server": IP, "port": 53, "transport": "udp" | "tcp",
   "hex": MESSAGE, "sentinel": false, "timeout": 5}

tcp sends the message with its 2-byte length prefix on a new connection.
Without "sentinel" the client waits for one response (or the timeout).
With "sentinel": true a well-formed query (A sentinel.dnsq.test, another
ID) follows the message on the same socket / connection, and the client
reads until the sentinel's answer, EOF or the timeout: so "the message got
no answer" is shown without waiting for a timeout (a server answers the
messages of one socket in order). Per case:

  {"label", "responses": [parsed message + "hex", ...] (not the sentinel's),
   "sentinel": parsed | null, "eof": bool, "error": null | errno name,
   "elapsed": seconds}
"""

import json
import socket
import struct
import sys
import time

import libpath  # noqa: F401  (tests/lib/clients on sys.path)
import common
import dnswire

SENTINEL = "sentinel.dnsq.test"


def parse(b):
    try:
        m = dnswire.parse_message(b)
    except dnswire.ParseError as e:
        return {"unparsable": b.hex(), "why": str(e)}
    m["hex"] = b.hex()
    return m


def sentinel_query(bad):
    bad_id = struct.unpack(">H", bad[:2])[0] if len(bad) >= 2 else -1
    qid = dnswire.new_id()
    while qid == bad_id:
        qid = dnswire.new_id()
    return qid, dnswire.build_query(SENTINEL, "A", qid=qid)


def is_sentinel_answer(m, qid):
    return m.get("id") == qid and m.get("qr") == 1 and \
        [q["name"].lower() for q in m.get("questions", [])] == [SENTINEL + "."]


def run_udp(c, msg, r, deadline):
    fam = common.family_of(c["server"])
    s = socket.socket(fam, socket.SOCK_DGRAM)
    try:
        s.connect((c["server"], c.get("port", 53)))
        s.send(msg)
        sid = None
        if c.get("sentinel"):
            sid, sq = sentinel_query(msg)
            s.send(sq)
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return
            s.settimeout(left)
            try:
                b = s.recv(65536)
            except socket.timeout:
                return
            m = parse(b)
            if sid is not None and is_sentinel_answer(m, sid):
                r["sentinel"] = m
                return
            r["responses"].append(m)
            if sid is None:
                return
    finally:
        s.close()


def recv_exact(s, n, deadline):
    b = b""
    while len(b) < n:
        left = deadline - time.monotonic()
        if left <= 0:
            raise socket.timeout()
        s.settimeout(left)
        c = s.recv(n - len(b))
        if not c:
            return None if not b else b
        b += c
    return b


def run_tcp(c, msg, r, deadline):
    s = common.connect(c["server"], c.get("port", 53), max(0.1, deadline - time.monotonic()))
    try:
        out = struct.pack(">H", len(msg)) + msg
        sid = None
        if c.get("sentinel"):
            sid, sq = sentinel_query(msg)
            out += struct.pack(">H", len(sq)) + sq
        s.sendall(out)
        while True:
            try:
                hdr = recv_exact(s, 2, deadline)
                if hdr is None or len(hdr) < 2:
                    r["eof"] = True
                    return
                (n,) = struct.unpack(">H", hdr)
                body = recv_exact(s, n, deadline)
            except socket.timeout:
                return
            if body is None or len(body) < n:
                r["eof"] = True
                r["partial"] = (body or b"").hex()
                return
            m = parse(body)
            if sid is not None and is_sentinel_answer(m, sid):
                r["sentinel"] = m
                return
            r["responses"].append(m)
            if sid is None:
                return
    finally:
        s.close()


def run_case(c):
    r = {"label": c.get("label"), "responses": [], "sentinel": None, "eof": False,
         "error": None}
    t0 = time.monotonic()
    deadline = t0 + c.get("timeout", 5.0)
    msg = bytes.fromhex(c["hex"])
    try:
        if c["transport"] == "udp":
            run_udp(c, msg, r, deadline)
        else:
            run_tcp(c, msg, r, deadline)
    except Exception as e:  # noqa: BLE001
        r["error"] = common.err_name(e)
        r["detail"] = str(e)
    r["elapsed"] = time.monotonic() - t0
    return r


def main():
    common.emit({"results": [run_case(c) for c in json.loads(sys.argv[1])]})


if __name__ == "__main__":
    main()
