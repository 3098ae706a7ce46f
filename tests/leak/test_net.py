"""Probes over the network: TCP, UDP (DNS to a hard-coded name server, QUIC,
anything) and ICMP, over IPv4 and IPv6, to the canary behind the veth and to
the canary on the host's loopback.

Protection: torgate's network namespace, whose only links are its own lo
and the TUN to torgate. TCP reaches Tor only (here the test SOCKS server,
whose log shows each CONNECT); UDP and pings are answered by torgate itself
at once (port unreachable, administratively prohibited) and go nowhere;
the host's 127.0.0.1 and ::1 are not the sandbox's.

Self-check (--selfcheck): the same probe on the host ("host") and in
torgate's sandbox with the host's network namespace ("no-netns") reaches
the canary, which records it, and gets the canary's answer; so every
"the canary saw nothing" here can fail.
"""

import pytest

FAMILIES = ["v4", "v6"]
# A DNS query for leak.example (A), what a program with its own name server
# sends; the first bytes of a QUIC v1 Initial; anything.
DNS_QUERY = "746701000001000000000000" + "046c65616b076578616d706c6500" + "00010001"
QUIC_INITIAL = "c30000000108" + "00" * 8 + "00" + "00" * 40
PAYLOADS = {53: DNS_QUERY, 443: QUIC_INITIAL, 7777: "746f7267617465206c65616b"}


def loopback(family):
    return "127.0.0.1" if family == "v4" else "::1"


def nothing_reached(canaries):
    netns, host = canaries
    hits = netns.hits() + host.hits()
    assert hits == [], "a probe inside torgate reached a canary: %s" % hits


def reached(canary, dst, proto, dport=None):
    """The canary's records of a packet to dst (a frame, or a listener's record)."""
    hits = canary.hits()
    got = [h for h in hits if h["kind"] == "frame" and h["dst"] == dst and h["proto"] == proto
           and dport in (None, h["dport"])]
    got += [h for h in hits if h["kind"] == {6: "tcp", 17: "udp"}.get(proto)
            and h["local"][0] == dst and dport in (None, h["local"][1])]
    assert got, "the canary did not see the probe to %s (proto %d, port %s): %s" % (
        dst, proto, dport, hits)
    return got


@pytest.mark.controls("host", "no-netns")
@pytest.mark.parametrize("family", FAMILIES)
def test_tcp_to_the_veth_canary_goes_to_socks(mode, probe, canaries, socks_log, family):
    """A TCP connection to the canary's address succeeds only via SOCKS: the
    SOCKS server logs a CONNECT to exactly that address and port (and the
    HTTP server behind it answers), and the canary sees nothing."""
    addr = canaries[0].addr(family)
    r, = probe([{"op": "tcp", "host": addr, "port": 443}])
    if mode == "torgate":
        assert r["ok"] and r["reply"].startswith("HTTP/1.1 200"), r
        connects = [(e["host"], e["port"]) for e in socks_log.new() if e["cmd"] == 1]
        assert connects == [(addr, 443)], connects
        nothing_reached(canaries)
    else:
        assert r["reply"] == "CANARY netns", r
        reached(canaries[0], addr, 6, 443)


@pytest.mark.controls("host", "no-netns")
@pytest.mark.parametrize("family", FAMILIES)
def test_tcp_to_host_loopback_refused(mode, probe, canaries, socks_log, family):
    """127.0.0.1 / ::1 inside torgate are the sandbox's own: a connection to
    the host canary's port is refused at once and asks nothing of SOCKS."""
    addr = loopback(family)
    r, = probe([{"op": "tcp", "host": addr, "port": canaries[1].port("tcp", addr)}])
    if mode == "torgate":
        assert r.get("error") == "ECONNREFUSED", r
        assert socks_log.new() == []
        nothing_reached(canaries)
    else:
        assert r["reply"] == "CANARY host", r
        reached(canaries[1], addr, 6)


@pytest.mark.controls("host", "no-netns")
@pytest.mark.parametrize("port", sorted(PAYLOADS), ids=["dns-53", "quic-443", "other-7777"])
@pytest.mark.parametrize("family", FAMILIES)
def test_udp_to_the_veth_canary_refused(mode, probe, canaries, socks_log, family, port):
    """UDP to the canary's address: a DNS query to it as a hard-coded name
    server (53), a QUIC Initial (443), any datagram (7777). Each fails fast
    with ECONNREFUSED (torgate's ICMP port unreachable, not a timeout), never
    becomes a SOCKS request, and the canary sees nothing."""
    addr = canaries[0].addr(family)
    r, = probe([{"op": "udp", "host": addr, "port": port, "payload": PAYLOADS[port]}])
    if mode == "torgate":
        assert r.get("error") == "ECONNREFUSED", r
        assert socks_log.new() == []
        nothing_reached(canaries)
    else:
        assert r["ok"] and bytes.fromhex(r["reply"]).startswith(b"CANARY"), r
        got = reached(canaries[0], addr, 17, port)
        assert any(h["data"].startswith(PAYLOADS[port][:16]) for h in got), got


@pytest.mark.controls("host", "no-netns")
@pytest.mark.parametrize("family", FAMILIES)
def test_udp_to_host_loopback_refused(mode, probe, canaries, family):
    """UDP to the host canary's loopback port lands on the sandbox's own lo,
    where nothing listens: ECONNREFUSED, and the canary sees nothing."""
    addr = loopback(family)
    r, = probe([{"op": "udp", "host": addr, "port": canaries[1].port("udp", addr)}])
    if mode == "torgate":
        assert r.get("error") == "ECONNREFUSED", r
        nothing_reached(canaries)
    else:
        assert r["ok"] and bytes.fromhex(r["reply"]).startswith(b"CANARY"), r
        reached(canaries[1], addr, 17)


@pytest.mark.controls("host")
@pytest.mark.parametrize("family,errname", [("v4", "EHOSTUNREACH"), ("v6", "EACCES")],
                         ids=FAMILIES)
def test_ping_to_the_veth_canary_refused(mode, probe, canaries, family, errname):
    """A ping the way ping(8) sends it (an ICMP datagram socket, or a raw
    one where those are off) gets torgate's "administratively prohibited"
    at once, and the canary sees no echo request. The self-check runs it on
    the host only: in the sandbox's other namespaces the host's
    ping_group_range (Debian: off) leaves neither socket to an unprivileged
    program, so that control would prove nothing."""
    addr = canaries[0].addr(family)
    r, = probe([{"op": "ping", "host": addr, "sock": "any"}])
    if mode == "torgate":
        assert r["sock"] == "dgram" and r.get("error") == errname, r
        nothing_reached(canaries)
    else:
        assert r["ok"] and r["reply"][:2] == ("00" if family == "v4" else "81"), r
        got = reached(canaries[0], addr, 1 if family == "v4" else 58)
        assert any(h["icmp_type"] == (8 if family == "v4" else 128) for h in got), got
