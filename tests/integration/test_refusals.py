"""What torgate answers for traffic Tor cannot carry. UDP other than DNS to
the stub gets ICMP port unreachable at once (QUIC and friends fall back to
TCP instead of waiting); pings get "administratively prohibited", or with
--ping local the gateway's own reply. Neither ever leaves: the only thing
torgate sends onwards is a SOCKS CONNECT, and none happens here."""

import json
import re

import pytest

from tgutil import describe, json_result, py_client

V4, V6 = "192.0.2.44", "2001:db8::44"


def probes(run_torgate, steps, args=()):
    cp = run_torgate(list(args) + ["-v", "--"] + py_client("netprobe.py", json.dumps(steps)))
    return json_result(cp)["probes"], cp


@pytest.mark.parametrize("host", [V4, V6], ids=["v4", "v6"])
def test_udp_refused_at_once(run_torgate, socks_log, host):
    """QUIC (443), NTP (123), DNS to a hard-coded server (53): each gets
    ECONNREFUSED from an ICMP port unreachable at once (well under the 5 s
    the probe would wait; the bound leaves room for a loaded machine), and
    the refusals are counted per port."""
    res, cp = probes(run_torgate, [{"op": "udp", "host": host, "port": p} for p in (443, 443, 123, 53)])
    for r in res:
        assert r["error"] == "ECONNREFUSED" and r["elapsed"] < 3.0, r
    m = re.search(r"(\d+) UDP refused \(port ([^)]*)\)", cp.stderr)
    assert m, describe(cp)
    assert m.group(1) == "4" and m.group(2) == "443: 2, 123: 1, 53: 1", m.group(0)
    assert socks_log.new() == [], "UDP must never become a SOCKS request"


@pytest.mark.parametrize("host,errname", [(V4, "EHOSTUNREACH"), (V6, "EACCES")], ids=["v4", "v6"])
def test_ping_refused_by_default(run_torgate, socks_log, host, errname):
    """An echo request is answered "administratively prohibited" (the kernel
    reports EHOSTUNREACH for ICMP 3/13, EACCES for ICMPv6 1/1): honest, and
    at once. No echo reply ever claims the host is up."""
    res, cp = probes(run_torgate, [{"op": "ping", "host": host}])
    assert res[0]["error"] == errname and res[0]["elapsed"] < 3.0, res
    assert "1 pings refused, 0 pings answered locally" in cp.stderr, describe(cp)
    assert socks_log.new() == []


@pytest.mark.parametrize("host,reply_type", [(V4, "00"), (V6, "81")], ids=["v4", "v6"])
def test_ping_local_answers(run_torgate, host, reply_type):
    """--ping local: the gateway itself answers (echo reply, ICMP 0 /
    ICMPv6 129), for tools that insist on a ping before they work."""
    res, cp = probes(run_torgate, [{"op": "ping", "host": host}], args=["--ping", "local"])
    assert res[0]["ok"] and res[0]["reply"][:2] == reply_type, res
    assert "0 pings refused, 1 pings answered locally" in cp.stderr, describe(cp)


def test_dns_to_the_stub_still_answered(run_torgate):
    """The one UDP service: the stub's port 53 still answers."""
    cp = run_torgate(["--", "getent", "ahostsv4", "web.example"])
    assert cp.returncode == 0 and cp.stdout.strip(), describe(cp)
