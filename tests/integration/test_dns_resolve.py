"""--dns resolve: real addresses from Tor's SOCKS5 RESOLVE / RESOLVE_PTR.

The test SOCKS server answers RESOLVE from fixtures.SOCKS_RESOLVE (as Tor's
exit would) and logs every request with its command (240 RESOLVE, 241
RESOLVE_PTR, 1 CONNECT).

- test_a_and_connect: getent returns the address Tor gave; the name went to
  the SOCKS server as a RESOLVE, and the connection as a CONNECT to that
  address (no virtual address involved).
- test_families: an IPv6-only answer fills AAAA and leaves A empty (NODATA).
- test_nxdomain: a name Tor cannot resolve (REP 4) is NXDOMAIN.
- test_ptr: dig -x asks Tor with RESOLVE_PTR and returns its name.
- test_onion_still_mapped: .onion names keep virtual addresses and reach Tor
  by name (only a CONNECT can reach an onion service).
- test_concurrent_queries_share_one_resolve: five simultaneous queries for one
  name make exactly one RESOLVE, and all five get the answer.
- test_cache: a second query within the TTL is answered without asking Tor.
"""
import ipaddress
import subprocess

import dnscheck
from dnscheck import STUB4, dig, parse_dig
import tgutil
from tgutil import describe

PY = "/usr/bin/python3"


def resolves(entries, cmd, host=None):
    return [e for e in entries if e.get("cmd") == cmd and (host is None or e["host"] == host)]


def run_resolve(run_torgate, script):
    cp = run_torgate(["--dns", "resolve", "--", "sh", "-c", script])
    assert cp.returncode == 0, describe(cp)
    return cp


def test_a_and_connect(run_torgate, socks_log):
    cp = run_resolve(run_torgate, "getent ahostsv4 web.example | head -1; "
                                  "curl -sS --max-time 20 http://web.example/hello")
    first = cp.stdout.splitlines()[0].split()[0]
    assert first == "203.0.113.80", cp.stdout
    assert cp.stdout.endswith("hello\n"), describe(cp)
    entries = socks_log.new()
    assert resolves(entries, 240, "web.example"), entries
    connects = resolves(entries, 1)
    assert [(e["atyp"], e["host"], e["port"]) for e in connects] == [(1, "203.0.113.80", 80)], entries


def test_families(run_torgate):
    cmd = " ; ".join(" ".join(dig(STUB4, "v6only.example", t)) for t in ("AAAA", "A"))
    cp = run_resolve(run_torgate, cmd)
    parts = cp.stdout.split(";; ->>HEADER<<-")[1:]
    aaaa, a = (parse_dig(";; ->>HEADER<<-" + p) for p in parts)
    assert aaaa["status"] == "NOERROR", aaaa
    assert [(r["type"], r["data"]) for r in aaaa["answers"]] == [("AAAA", "2001:db8::86")], aaaa
    assert a["status"] == "NOERROR" and a["answers"] == [], a


def test_nxdomain(run_torgate, socks_log):
    cp = run_resolve(run_torgate, " ".join(dig(STUB4, "nosuch.example", "A")))
    assert parse_dig(cp.stdout)["status"] == "NXDOMAIN", cp.stdout
    assert resolves(socks_log.new(), 240, "nosuch.example")


def test_ptr(run_torgate, socks_log):
    cp = run_resolve(run_torgate, " ".join(dig(STUB4, "-x", "203.0.113.80", short=True)))
    assert cp.stdout.strip() == "web.example.", cp.stdout
    assert resolves(socks_log.new(), 241, "203.0.113.80")


def test_onion_still_mapped(run_torgate, socks_log):
    onion = dnscheck.onion_v3()
    # Fetched with Python, not curl: curl 8 (Debian 13) refuses to resolve
    # .onion names itself (RFC 7686, "Not resolving .onion address").
    fetch = "import urllib.request as u; print(u.urlopen('http://%s/hello', timeout=20).read().decode())"
    cp = run_resolve(run_torgate, "getent ahostsv4 %s | head -1; %s -c \"%s\""
                                  % (onion, PY, fetch % onion))
    addr = cp.stdout.split()[0]
    assert ipaddress.ip_address(addr) in ipaddress.ip_network("198.18.0.0/15"), cp.stdout
    entries = socks_log.new()
    assert not resolves(entries, 240), "an onion name was sent to RESOLVE: %r" % entries
    assert [(e["atyp"], e["host"]) for e in resolves(entries, 1)] == [(3, onion)], entries


def test_concurrent_queries_share_one_resolve(run_torgate, socks_log):
    one = " ".join(dig(STUB4, "web.example", "A", short=True))
    cp = run_resolve(run_torgate, "for i in 1 2 3 4 5; do %s & done; wait" % one)
    assert cp.stdout.split() == ["203.0.113.80"] * 5, cp.stdout
    assert len(resolves(socks_log.new(), 240, "web.example")) == 1


def test_cache(run_torgate, socks_log):
    one = " ".join(dig(STUB4, "web.example", "A", short=True))
    cp = run_resolve(run_torgate, "%s; %s" % (one, one))
    assert cp.stdout.split() == ["203.0.113.80"] * 2, cp.stdout
    assert len(resolves(socks_log.new(), 240, "web.example")) == 1


def test_host_domain_and_name_never_reach_tor(servers, socks_log):
    """With a hostname like laptop.corp.example, glibc would append
    corp.example to short names, and getfqdn() would resolve the hostname:
    either would tell the exit who is asking. The sandbox has its own,
    generic hostname (test_identity.py), answered by the stub itself, and
    no search domain: only the name asked for may go."""
    inner = tgutil.torgate_argv(["--dns", "resolve", "--", "sh", "-c",
                                 "getent hosts intranet; getent hosts host; "
                                 "%s -c 'import socket; print(socket.getfqdn())'" % PY],
                                servers.socks_addr)
    cp = subprocess.run(["unshare", "--uts", "sh", "-c",
                         'hostname laptop.corp.example && exec "$@"', "sh"] + inner,
                        env=tgutil.torgate_env(None), capture_output=True, text=True, timeout=60)
    assert cp.returncode in (0, 2), describe(cp)   # getent exits 2 for "not found"
    names = [e["host"] for e in socks_log.new()]
    assert names == ["intranet"], names
    assert "laptop" not in cp.stdout and "corp.example" not in cp.stdout, describe(cp)
