"""The statically linked probe (probe_static.c, built with -static-pie by
make): the same ways out as the other tests, taken with raw system calls
and no library code for the network, as a program built to evade an
LD_PRELOAD or resolver based sandbox would.

Protection: all of torgate's at once (network namespace, capability drop);
none of them depends on what the program links. The TCP connections reach
only SOCKS, everything else fails at once, no canary sees anything.
Self-check: on the host ("host") every attempt gets through and each
canary records it.
"""

import os

import pytest

import leakenv


@pytest.fixture(scope="module")
def static_probe():
    path = leakenv.STATIC_PROBE
    if not os.access(path, os.X_OK):
        pytest.fail("%s is not built: run make build/leak/probe_static" % path, pytrace=False)
    return path


@pytest.mark.controls("host")
def test_static_probe(mode, probe, canaries, socks_log, static_probe):
    netns, host = canaries
    v4, v6 = netns.addr("v4"), netns.addr("v6")
    lo_tcp, lo_udp = host.port("tcp", "127.0.0.1"), host.port("udp", "::1")
    attempts = [("tcp", v4, 443), ("tcp", v6, 443), ("tcp", "127.0.0.1", lo_tcp),
                ("udp", v4, 53), ("udp", v6, 443), ("udp", "::1", lo_udp),
                ("raw", v4), ("raw", v6), ("packet", netns.host_if)]
    cp = probe.run([static_probe] + [str(x) for a in attempts for x in a])
    res = {(r["op"], r["target"]): r for r in leakenv.static_results(cp)}
    assert len(res) == len(attempts), cp.stdout
    got = {k: (r.get("error") or bytes.fromhex(r["reply"]).split(b"\r\n")[0].decode("latin-1"))
           for k, r in res.items()}
    if mode == "torgate":
        assert got == {
            ("tcp", "%s:443" % v4): "HTTP/1.1 200 OK",
            ("tcp", "%s:443" % v6): "HTTP/1.1 200 OK",
            ("tcp", "127.0.0.1:%d" % lo_tcp): "ECONNREFUSED",
            ("udp", "%s:53" % v4): "ECONNREFUSED",
            ("udp", "%s:443" % v6): "ECONNREFUSED",
            ("udp", "::1:%d" % lo_udp): "ECONNREFUSED",
            ("raw", v4): "EPERM",
            ("raw", v6): "EPERM",
            # The default seccomp policy refuses the family before the
            # missing CAP_NET_RAW could (EPERM with --seccomp off).
            ("packet", netns.host_if): "EAFNOSUPPORT",
        }, got
        connects = sorted((e["host"], e["port"]) for e in socks_log.new() if e["cmd"] == 1)
        assert connects == sorted([(v4, 443), (v6, 443)]), connects
        hits = netns.hits() + host.hits()
        assert hits == [], "the static probe reached a canary: %s" % hits
    else:
        assert all(r["ok"] for r in res.values()), got
        hits = netns.hits()
        seen = {(h["dst"], h["proto"], h["dport"]) for h in hits if h["kind"] == "frame"}
        assert {(v4, 6, 443), (v6, 6, 443), (v4, 17, 53), (v6, 17, 443)} <= seen, hits
        assert {h.get("icmp_type") for h in hits} >= {8, 128}, hits
        assert any(h.get("ethertype") == "0x88b5" for h in hits), hits
        assert {h["kind"] for h in host.hits()} == {"tcp", "udp"}
