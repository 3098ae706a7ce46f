"""Onion services through torgate, and Tor's own virtual addresses."""

import ipaddress
import os
import random
import time

import pytest

import tornet_ctl
from tgutil import describe

AUTOMAP = ipaddress.ip_network("127.192.0.0/10")


def test_onion_service(tg, tornet):
    """In map mode the stub gives the .onion name a virtual address; the
    CONNECT carries the name, and Tor reaches the onion service."""
    cp = tg(["--", "curl", "-sS", "--fail", "-m", "90", tornet["TORNET_ONION_URL"]], timeout=120)
    assert cp.returncode == 0, describe(cp)
    assert cp.stdout == tornet["TORNET_ONION_BODY"] + "\n", describe(cp)


# Each refusal, with the words torgate logs by default (no -v needed).
REFUSALS = [
    ("TORNET_ONION_UNPUBLISHED", "onion service descriptor not found (0xf0)"),
    ("TORNET_ONION_BADSUM", "bad onion address (0xf6)"),
    ("TORNET_ONION_AUTH", "onion service needs client authorization (0xf4)"),
]


@pytest.mark.parametrize("key,words", REFUSALS, ids=["unpublished", "bad-checksum", "needs-auth"])
def test_onion_refusals_fail_fast_and_say_why(tg, tornet, key, words):
    """Through the ExtendedErrors SocksPort: the app's connection fails at
    once (not left to time out) and torgate's log says what Tor said, in
    words."""
    onion = tornet[key]
    t = time.monotonic()
    cp = tg(["--", "curl", "-sS", "-m", "90", "http://%s/" % onion],
            socks=tornet["TORNET_SOCKS_EXT"], timeout=120)
    took = time.monotonic() - t
    # Reset once let in (55 sending, 56 receiving), or refused (7) when
    # Tor's answer comes before the app's handshake is done (a bad address
    # is refused at once).
    assert cp.returncode in (7, 55, 56), describe(cp)
    assert took < 30, "refused only after %.1f s" % took
    assert "%s:80: Tor cannot reach this onion service: %s" % (onion, words) in cp.stderr, \
        describe(cp)


def test_tor_automap_address_reaches_tun(tg, tornet):
    """An app handed one of Tor's virtual addresses (127.192.0.0/10, here
    from the client tor's own DNSPort with AutomapHostsOnResolve) reaches
    the onion service through torgate, not the namespace's lo."""
    rcode, addrs = tornet_ctl.dnsport_a(tornet, tornet["TORNET_ONION"])
    assert rcode == 0 and addrs, "the DNSPort answered rcode %d %s" % (rcode, addrs)
    virt = addrs[0]
    assert ipaddress.ip_address(virt) in AUTOMAP, virt
    cp = tg(["--", "curl", "-sS", "--fail", "-m", "90", "http://%s/" % virt], timeout=120)
    assert cp.returncode == 0, describe(cp)
    assert cp.stdout == tornet["TORNET_ONION_BODY"] + "\n", describe(cp)


def test_unmapped_automap_address_refused(tg, tornet):
    """A 127.192/10 address Tor never handed out: it still goes to Tor, which
    has no name for it and refuses; with --connect confirmed the app's
    connection is refused."""
    virt = str(AUTOMAP[random.randrange(1 << 16, 1 << 22)])
    cp = tg(["-vv", "--connect", "confirmed", "--", "curl", "-sS", "-m", "60", "http://%s/" % virt])
    assert cp.returncode == 7, describe(cp)
    assert "stream %s:80: Tor answered: general failure (0x01)" % virt in cp.stderr, describe(cp)
    log = os.path.join(tornet["TORNET_DIR"], "nodes", "client", "notice.log")
    with open(log) as f:
        assert "Missing mapping for virtual address '%s'" % virt in f.read(), \
            "the client tor never saw %s" % virt
