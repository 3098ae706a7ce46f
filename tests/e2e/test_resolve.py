"""--dns resolve against real Tor: the stub asks Tor (SOCKS RESOLVE and
RESOLVE_PTR, Tor's extensions), the exit asks tornet's name server, and
the app gets the exit's answer."""

import os
import random

from tgutil import describe


def far(tornet):
    """A name only tornet's name server knows (far-A-B-C-D.ZONE has A
    A.B.C.D, and the reverse) that no exit has been asked about in this
    network's life, so none can answer from its cache. The address is in a
    documentation range: Tor declines reverse lookups of private ones (10/8
    and the like) without asking any name server."""
    with open(os.path.join(tornet["TORNET_DIR"], "dns", "queries.log")) as f:
        asked = f.read()
    for _ in range(1000):
        addr = "%s.%d" % (random.choice(["192.0.2", "198.51.100", "203.0.113"]),
                          random.randint(11, 254))     # 192.0.2.10 is far.ZONE itself
        name = "far-%s.%s" % (addr.replace(".", "-"), tornet["TORNET_ZONE"])
        if name not in asked:
            return name, addr
    raise AssertionError("every far name was asked already: restart the network")


def resolve(tg, script, **kw):
    return tg(["--dns", "resolve", "--", "sh", "-c", script], **kw)


def test_forward_lookup_is_the_exits_answer(tg, tornet, dns_queries):
    name, addr = far(tornet)
    cp = resolve(tg, "getent ahostsv4 %s | head -n1" % name)
    assert cp.returncode == 0, describe(cp)
    assert cp.stdout.split()[:1] == [addr], describe(cp)
    assert any(" A %s -> %s" % (name, addr) in q for q in dns_queries.new()), \
        "the exit did not ask tornet's name server for %s" % name


def test_reverse_lookup_is_the_exits_answer(tg, tornet, dns_queries):
    name, addr = far(tornet)
    cp = resolve(tg, "host -t PTR %s" % addr)
    assert cp.returncode == 0, describe(cp)
    assert "domain name pointer %s." % name in cp.stdout, describe(cp)
    arpa = ".".join(reversed(addr.split("."))) + ".in-addr.arpa"
    assert any(" PTR %s -> %s" % (arpa, name) in q for q in dns_queries.new()), \
        "the exit did not ask tornet's name server for %s" % arpa


def test_no_such_name_is_nxdomain(tg, dns_queries):
    """The exit's NXDOMAIN (Tor's REP 4) reaches the app as NXDOMAIN."""
    name = "nosuch-%s.example" % os.urandom(4).hex()
    cp = resolve(tg, "host -t A %s; echo status=$?" % name)
    assert "NXDOMAIN" in cp.stdout and "status=1" in cp.stdout, describe(cp)
    assert any(" A %s -> NXDOMAIN" % name in q for q in dns_queries.new()), \
        "the exit never asked tornet's name server for %s" % name


def test_loopback_answer_from_the_exit_refused(tg, tornet):
    """tornet's zone answers 127.0.0.1, which inside the sandbox would be the
    namespace's own lo: the stub refuses it (SERVFAIL) and says so."""
    host = tornet["TORNET_WEB_HOST"]
    cp = resolve(tg, "host -t A %s; echo status=$?" % host)
    assert "SERVFAIL" in cp.stdout and "status=1" in cp.stdout, describe(cp)
    assert "the exit answered %s with 127.0.0.1" % host in cp.stderr, describe(cp)


def test_onion_still_reachable_in_resolve_mode(tg, tornet):
    """Only a CONNECT can reach an onion service: .onion keeps its virtual
    address in resolve mode, and the page arrives."""
    cp = tg(["--dns", "resolve", "--", "curl", "-sS", "--fail", "-m", "90",
             tornet["TORNET_ONION_URL"]], timeout=120)
    assert cp.returncode == 0 and cp.stdout == tornet["TORNET_ONION_BODY"] + "\n", describe(cp)
