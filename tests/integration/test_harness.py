"""Checks of the test servers themselves, without torgate: if these fail,
the failures of test_core.py say nothing about torgate."""

import hashlib
import json
import os
import socket
import struct

import servers as srv


def socks_connect(port, host, dport, user=b"u", pw=b"p"):
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    s.sendall(b"\x05\x02\x00\x02")
    assert s.recv(2) == b"\x05\x02"
    s.sendall(b"\x01" + bytes([len(user)]) + user + bytes([len(pw)]) + pw)
    assert s.recv(2) == b"\x01\x00"
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    atyp = 4 if fam == socket.AF_INET6 else 1
    s.sendall(b"\x05\x01\x00" + bytes([atyp]) + socket.inet_pton(fam, host)
              + struct.pack(">H", dport))
    return s


def recv_exact(s, n):
    b = b""
    while len(b) < n:
        c = s.recv(n - len(b))
        if not c:
            break
        b += c
    return b


def recv_all(s):
    out = b""
    while True:
        c = s.recv(65536)
        if not c:
            return out
        out += c


def test_pattern_is_deterministic_and_not_periodic():
    a = srv.pattern(3 * srv.BLOCK_SIZE + 5)
    assert a == srv.pattern(3 * srv.BLOCK_SIZE + 5)
    assert len(a) == 3 * srv.BLOCK_SIZE + 5
    assert a[:srv.BLOCK_SIZE] != a[srv.BLOCK_SIZE:2 * srv.BLOCK_SIZE]
    assert srv.pattern_sha256(len(a)) == hashlib.sha256(a).hexdigest()


def test_socks_logs_and_splices_with_half_close(servers, socks_log):
    s = socks_connect(servers.socks.port, "203.0.113.99", 7, b"alice", b"pw")
    rep = recv_exact(s, 10)
    assert rep[:2] == b"\x05\x00" and rep[3] == 1
    data = os.urandom(300000)
    s.sendall(data)
    s.shutdown(socket.SHUT_WR)
    assert recv_all(s) == ("%d %s\n" % (len(data), hashlib.sha256(data).hexdigest())).encode()
    s.close()
    e = [(x["method"], x["user"], x["pass"], x["atyp"], x["port"], x["cmd"])
         for x in socks_log.new() if x["host"] == "203.0.113.99"]
    assert e == [(2, "alice", "pw", 1, 7, 1)], e


def test_socks_failure_replies(servers):
    s = socks_connect(servers.socks.port, "2001:db8::1", 60000 + 0xF3)
    assert recv_all(s)[:2] == b"\x05\xf3"
    s = socks_connect(servers.socks.port, "203.0.113.99", srv.REP_GARBAGE_PORT)
    assert recv_all(s) == srv.GARBAGE_REPLY
    s = socks_connect(servers.socks.port, "203.0.113.99", srv.REP_TRUNCATED_PORT)
    assert recv_all(s) == srv.TRUNCATED_REPLY


def test_http_and_echo(servers):
    s = socket.create_connection(("127.0.0.1", servers.http.port), timeout=10)
    s.sendall(b"GET /bytes/100001 HTTP/1.1\r\nHost: x\r\n\r\n")
    head, _, body = recv_all(s).partition(b"\r\n\r\n")
    assert b" 200 " in head.split(b"\r\n")[0] and body == srv.pattern(100001)
    s = socket.create_connection(("127.0.0.1", servers.echo.port), timeout=10)
    s.sendall(b"abc\n")
    s.shutdown(socket.SHUT_WR)
    assert recv_all(s) == b"abc\n"


# What every line of the SOCKS log carries: the tests pick entries by cmd,
# host and port, and check atyp and the method and credentials torgate sent.
LOG_FIELDS = {"method": int, "user": (str, type(None)), "pass": (str, type(None)), "cmd": int,
              "rsv": int, "atyp": int, "host": str, "port": int, "pid": int}


def test_socks_log_lines_are_json(servers, socks_log):
    """Every line of the log is a JSON object with LOG_FIELDS, and the
    requests this test makes are there: an empty log fails."""
    s = socks_connect(servers.socks.port, "203.0.113.98", 9, b"bob", b"pw2")
    assert recv_exact(s, 10)[:2] == b"\x05\x00"
    s.close()
    s = socks_connect(servers.socks.port, "2001:db8::98", 60000 + 0xF3)
    assert recv_all(s)[:2] == b"\x05\xf3"
    s.close()
    with open(servers.socks_log_path) as f:
        text = f.read()
    assert text.endswith("\n"), "the log is empty or ends in a partial line: %r" % text[-200:]
    entries = [json.loads(ln) for ln in text.splitlines()]
    for e in entries:
        assert isinstance(e, dict) and set(e) == set(LOG_FIELDS), e
        for k, t in LOG_FIELDS.items():
            assert isinstance(e[k], t), (k, e)
    mine = [(e["cmd"], e["atyp"], e["host"], e["port"], e["method"], e["user"], e["pass"])
            for e in socks_log.new()]
    assert mine == [(1, 1, "203.0.113.98", 9, 2, "bob", "pw2"),
                    (1, 4, "2001:db8::98", 60000 + 0xF3, 2, "u", "p")], mine
