"""torgate --check against the private Tor network's client, including what
only Tor's control port can tell: bootstrapped, and the SocksPort's
IsolateSOCKSAuth and ExtendedErrors flags. The network has two SocksPorts:
the ordinary one, and one with ExtendedErrors."""

import subprocess

import tgutil


def check(tornet, socks):
    return subprocess.run([tgutil.torgate_path(), "--check", "--socks", socks,
                           "--tor-control", tornet["TORNET_CONTROL"]],
                          env=tgutil.torgate_env(), capture_output=True, text=True, timeout=60)


def test_check_with_real_tor(tornet):
    cp = check(tornet, tornet["TORNET_SOCKS_EXT"])
    out = cp.stdout
    assert cp.returncode == 0, tgutil.describe(cp)
    assert "\u2717" not in out and "\u00b7" not in out and "\n!" not in out, out
    assert "\u2713 Tor has bootstrapped (100%" in out, out
    assert "isolates by SOCKS credentials (IsolateSOCKSAuth)" in out, out
    assert "has ExtendedErrors" in out, out
    # Told from any other SOCKS5 server: it answers Tor's RESOLVE as Tor does.
    assert "\u2713 Tor's SocksPort answers at %s (username/password accepted; it answers Tor's " \
           "RESOLVE as Tor does)" % tornet["TORNET_SOCKS_EXT"] in out, out


def test_check_notes_missing_extended_errors(tornet):
    """Works (exit 0), but says how to get onion errors told apart."""
    cp = check(tornet, tornet["TORNET_SOCKS"])
    port = tornet["TORNET_SOCKS"].rsplit(":", 1)[1]
    assert cp.returncode == 0, tgutil.describe(cp)
    assert "\n! SocksPort %s lacks ExtendedErrors" % port in "\n" + cp.stdout, cp.stdout
    assert "SocksPort %s ExtendedErrors" % port in cp.stdout
