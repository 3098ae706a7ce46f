"""Checks of the DNS tests' own tools, without torgate: if these fail, the
failures of test_dns.py say nothing about torgate.

- the SOCKS server's RESOLVE / RESOLVE_PTR answers and log lines;
- the DNS responder (UDP and TCP) as dig sees it, and its log;
- dnsq.py's sentinel: a dropped message shows as "no response", an
  answered one does not (so the stub's "no answer" checks can fail);
- the malformed messages really are malformed (by our own parser);
- dig's output parser on a real dig answer;
- the fake resolved/nscd sockets answer and log;
- the wrapper world (nswrap.py): glibc inside it really uses the wrapper's
  resolv.conf (the canary sees the query), nss-resolve (the fake varlink
  socket answers getent) and nscd (the fake nscd socket is asked), and the
  host is unchanged afterwards.
"""

import json
import os
import socket
import struct
import subprocess
import sys
import tempfile
import time

import pytest

import dnscheck
import fixtures
import nsenv
import tgutil
from dnscheck import dnswire


def socks_cmd(port, cmd, atyp, addr):
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    s.sendall(b"\x05\x01\x00")
    assert s.recv(2) == b"\x05\x00"
    if atyp == 3:
        body = bytes([len(addr)]) + addr.encode()
    else:
        body = socket.inet_pton(socket.AF_INET if atyp == 1 else socket.AF_INET6, addr)
    s.sendall(bytes([5, cmd, 0, atyp]) + body + b"\0\0")
    rep = b""
    while True:
        c = s.recv(512)
        if not c:
            break
        rep += c
    s.close()
    return rep


def test_socks_resolve_and_resolve_ptr(servers, socks_log):
    p = servers.socks.port
    assert socks_cmd(p, 0xF0, 3, "Web.Example.") == b"\x05\x00\x00\x01" + bytes([203, 0, 113, 80]) \
        + b"\0\0"
    assert socks_cmd(p, 0xF0, 3, "v6only.example") == b"\x05\x00\x00\x04" \
        + socket.inet_pton(socket.AF_INET6, "2001:db8::86") + b"\0\0"
    assert socks_cmd(p, 0xF0, 3, "unknown.example")[:2] == b"\x05\x04"
    assert socks_cmd(p, 0xF1, 1, "203.0.113.80") == b"\x05\x00\x00\x03\x0bweb.example\0\0"
    assert socks_cmd(p, 0xF1, 4, "2001:db8::80") == b"\x05\x00\x00\x03\x0bweb.example\0\0"
    assert socks_cmd(p, 0xF1, 1, "203.0.113.1")[:2] == b"\x05\x04"
    got = [(e["cmd"], e["atyp"], e["host"]) for e in socks_log.new()]
    assert got == [(0xF0, 3, "Web.Example."), (0xF0, 3, "v6only.example"),
                   (0xF0, 3, "unknown.example"), (0xF1, 1, "203.0.113.80"),
                   (0xF1, 4, "2001:db8::80"), (0xF1, 1, "203.0.113.1")]


def dig_local(port, *args):
    cp = subprocess.run(["dig", "+time=3", "+tries=1", "@127.0.0.1", "-p", str(port)]
                        + list(args), capture_output=True, text=True, timeout=30)
    return dnscheck.parse_dig(cp.stdout), cp


@pytest.mark.parametrize("transport", ["+notcp", "+tcp"])
def test_dns_responder_and_dig_parser(servers, transport):
    log = tgutil.read_json_lines(servers.responder_log_path)
    name = "harness-%s-%d.example" % (transport[1:], os.getpid())
    d, cp = dig_local(servers.responder.port, transport, name, "A")
    assert d, cp.stdout + cp.stderr
    assert d["status"] == "NOERROR" and d["counts"]["ANSWER"] == 1, d
    assert d["answers"][0]["data"] == fixtures.RESPONDER_A and d["answers"][0]["ttl"] == 60
    assert d["opt"] == {"version": 0, "udp": 1232}, d
    assert d["transport"] == ("TCP" if transport == "+tcp" else "UDP")
    d, cp = dig_local(servers.responder.port, transport, "+noedns", name, "MX")
    assert d["status"] == "NOERROR" and d["counts"]["ANSWER"] == 0 and d["opt"] is None, d
    new = tgutil.read_json_lines(servers.responder_log_path)[len(log):]
    tr = "tcp" if transport == "+tcp" else "udp"
    assert [(e["name"], e["qtype"], e["transport"]) for e in new] == \
        [(name, "A", tr), (name, "MX", tr)]


def run_dnsq(cases):
    cp = subprocess.run(tgutil.py_client("dnsq.py", json.dumps(cases)), capture_output=True,
                        text=True, timeout=60)
    return tgutil.json_result(cp)["results"]


@pytest.mark.parametrize("transport", ["udp", "tcp"])
def test_dnsq_sentinel_tells_dropped_from_answered(servers, transport):
    port = servers.responder.port
    good = dnswire.build_query("answered.example", qid=0x4242)
    cases = [{"label": "short", "hex": "101501", "sentinel": True},
             {"label": "response", "hex": dnswire.build_query("x.example", qr=1).hex(),
              "sentinel": True},
             {"label": "good", "hex": good.hex(), "sentinel": True},
             {"label": "plain", "hex": good.hex()}]
    for c in cases:
        c.update(server="127.0.0.1", port=port, transport=transport, timeout=5)
    t0 = time.monotonic()
    short, resp, good_r, plain = run_dnsq(cases)
    assert time.monotonic() - t0 < 5, "the sentinel did not end the wait"
    for r in (short, resp):
        assert r["responses"] == [] and r["sentinel"] and r["error"] is None, r
    assert [m["id"] for m in good_r["responses"]] == [0x4242] and good_r["sentinel"], good_r
    assert plain["responses"][0]["answers"][0]["data"] == fixtures.RESPONDER_A, plain


def test_malformed_cases_are_malformed():
    """Every FORMERR/DROP case fails our own parser or breaks a rule the
    stub enforces (QDCOUNT, name length, characters, QR)."""
    for label, msg, expect in dnscheck.raw_cases():
        try:
            m = dnswire.parse_message(msg)
        except dnswire.ParseError:
            assert expect in ("FORMERR", "DROP"), label
            continue
        if expect == "FORMERR":
            assert m["qdcount"] != 1 or dnscheck.bad_name(m["questions"][0]["name"]), label
        elif expect == "DROP":
            assert m["qr"] == 1, label
        elif expect == "ECHO":
            assert m["qdcount"] == 1 and not dnscheck.bad_name(m["questions"][0]["name"]), label


def test_onion_names():
    n = dnscheck.onion_v3()
    assert len(n) == 62 and n == n.lower() and dnscheck.is_v3_onion(n)
    assert dnscheck.is_v3_onion("www." + n) and dnscheck.is_v3_onion(n.upper())
    for why, bad in dnscheck.malformed_onions().items():
        assert not dnscheck.is_v3_onion(bad), why


def test_fakesock_answers_and_logs(tmp_path):
    log = tmp_path / "fs.log"
    vl, ns = str(tmp_path / "varlink"), str(tmp_path / "nscd")
    p = subprocess.Popen([sys.executable, "-B", nsenv.FAKESOCK,
                          "--log", str(log), "--varlink", vl, "--nscd", ns],
                         stdout=subprocess.PIPE, stdin=subprocess.DEVNULL)
    try:
        assert p.stdout.readline().strip() == b"ready"
        s = socket.socket(socket.AF_UNIX)
        s.connect(vl)
        s.sendall(json.dumps({"method": "io.systemd.Resolve.ResolveHostname",
                              "parameters": {"name": "x", "family": 2}}).encode() + b"\0")
        rep = json.loads(s.recv(65536).rstrip(b"\0"))
        assert rep["parameters"]["addresses"] == [
            {"ifindex": 1, "family": 2, "address": [203, 0, 113, 99]}]
        s.close()
        s = socket.socket(socket.AF_UNIX)
        s.connect(ns)
        s.sendall(struct.pack("<iii", 2, 13, 6) + b"hosts\0")
        assert s.recv(100) == b""
        s.close()
        tgutil.wait_until(lambda: len(tgutil.read_json_lines(str(log))) == 4, 10,
                          "fakesock's log lines")
        ev = [(e["service"], e["event"]) for e in tgutil.read_json_lines(str(log))]
        assert sorted(ev) == sorted([("varlink", "connect"), ("varlink", "request"),
                                     ("nscd", "connect"), ("nscd", "request")])
    finally:
        p.kill()
        p.wait()


# ------------------------------------------------------------------ the wrapper world

@pytest.fixture
def workdir():
    d = tempfile.mkdtemp(prefix="torgate-it-wrap-")
    os.chmod(d, 0o755)
    yield d
    subprocess.run(["rm", "-rf", "--one-file-system", d])


def connects(entries, service):
    return [e for e in entries if e["service"] == service and e["event"] == "connect"]


def test_wrapper_world_without_torgate(workdir):
    """glibc in the wrapper: the fake nscd socket is asked first, nss-resolve
    is loaded and answers through the fake varlink socket; with "files dns"
    the canary gets the query (the wrapper's resolv.conf is in effect). The
    host is unchanged afterwards."""
    nsenv.require_root()
    upper = nsenv.nss_resolve_dir()
    host_before = nsenv.host_snapshot()
    w = nsenv.Wrapper(workdir)
    fs_log = os.path.join(workdir, "fakesock.log")
    w.fake_sockets(fs_log)
    w.nss_resolve(upper)
    w.spec["nsswitch_hosts"] = "files resolve dns"
    w.step("resolve", w.as_user(["getent", "hosts", "varlink.harness.test"]))
    w.step("ls", ["ls", "-l", os.path.join(nsenv.LIBDIR, "libnss_resolve.so.2")])
    st = w.run()["steps"]
    assert st["ls"]["rc"] == 0, st["ls"]
    assert "2001:db8::99" in st["resolve"]["stdout"], nsenv.describe_step(st["resolve"])
    assert connects(st["resolve"]["watch"][fs_log], "varlink"), st["resolve"]["watch"]
    assert connects(st["resolve"]["watch"][fs_log], "nscd"), st["resolve"]["watch"]
    assert nsenv.host_snapshot() == host_before

    canary_log = os.path.join(workdir, "canary.log")
    canary, addr = nsenv.start_canary(workdir, canary_log)
    try:
        w = nsenv.Wrapper(workdir)
        w.resolv_file("nameserver %s\noptions attempts:1 timeout:3\n" % addr)
        w.spec["watch"].append(canary_log)
        w.step("dns", w.as_user(["getent", "ahostsv4", "canary.harness.test"]))
        st = w.run()["steps"]["dns"]
    finally:
        canary.stop()
    assert "203.0.113.66" in st["stdout"], nsenv.describe_step(st)
    assert "canary.harness.test" in [e.get("name") for e in st["watch"][canary_log]]
    assert nsenv.host_snapshot() == host_before
