"""--connect optimistic: the app's connection is accepted as soon as the
CONNECT is on its way to Tor, and what the app sends first follows the
CONNECT, so Tor carries it with its BEGIN cell (optimistic data) instead of
a circuit round trip later. Against a SOCKS server with Tor's timing (a
circuit round trip of RTT ms; tests/lib/servers.py tor_timed), which logs
how many bytes of each stream came before its reply. What the app sees
must be the same in both modes but for when: the page, the server's
banner first, a FIN after the bytes, and a refusal (a reset once the
connection is up, in optimistic mode; Tor's reason still logged). How much
sooner is `make bench`'s, not a test's, to say."""

import os

import pytest

import tgutil
from fixtures import socks_args
from tgutil import describe

RTT_MS = 300
MODES = ["confirmed", "optimistic"]


@pytest.fixture(scope="module")
def timed(servers, session_dir):
    """A SOCKS server with Tor's timing, over the session's targets (port
    22 to a server that speaks first), and its log."""
    banner = tgutil.ServerProc("banner", [], session_dir, workers=2)
    log = os.path.join(session_dir, "socks-timed.log")
    s = tgutil.ServerProc("socks", socks_args(servers, log) + ["--map", "22=127.0.0.1:%d" % banner.port,
                                                                "--rtt-ms", str(RTT_MS)],
                          session_dir, workers=2)
    yield "127.0.0.1:%d" % s.port, tgutil.SocksLog(log)
    s.stop()
    banner.stop()


def timed_records(log, host, port):
    """The server's lines for streams to host:port, once there is one (it
    writes them when a stream ends, which may be after torgate has)."""
    def found():
        return [r for r in log.new() if r.get("timed") and r["host"] == host and r["port"] == port]
    tgutil.wait_until(found, 10, "the timed SOCKS server's line for %s:%d" % (host, port))
    return found()


def target(mode, n):
    """An address of the test's own, so that no other test's late line counts."""
    return "203.0.113.%d" % (100 + 2 * n + MODES.index(mode))


@pytest.mark.parametrize("mode", MODES)
def test_page_and_early_bytes(run_torgate, timed, mode):
    """The same page either way; only optimistic sends the request before
    Tor's reply (the server's log counts those bytes)."""
    addr, log = timed
    log.mark()
    host = target(mode, 0)
    cp = run_torgate(["--connect", mode, "--", "curl", "-sS", "--fail", "-m", "20",
                      "http://%s/hello" % host], socks=addr)
    assert cp.returncode == 0 and cp.stdout == "hello\n", describe(cp)
    recs = timed_records(log, host, 80)
    assert len(recs) == 1, recs
    if mode == "optimistic":
        assert recs[0]["early"] >= len("GET /hello HTTP/1.1\r\n"), recs
    else:
        assert recs[0]["early"] == 0, recs


@pytest.mark.parametrize("mode", MODES)
def test_server_speaks_first(run_torgate, timed, mode):
    """A server that speaks first (SSH): the app waits for its banner, then
    talks; nothing to send early, and nothing breaks."""
    addr, log = timed
    log.mark()
    host = target(mode, 1)
    script = ("import socket; s = socket.create_connection(('%s', 22), 20); " % host +
              "f = s.makefile('rwb'); print(f.readline().decode().strip()); "
              "f.write(b'ping\\n'); f.flush(); print(f.readline().decode().strip())")
    cp = run_torgate(["--connect", mode, "--", "python3", "-c", script], socks=addr)
    assert cp.returncode == 0 and cp.stdout == "SSH-2.0-torgate-test\nping\n", describe(cp)
    assert [r["early"] for r in timed_records(log, host, 22)] == [0]


@pytest.mark.parametrize("mode", MODES)
def test_fin_before_tor_connected(run_torgate, timed, mode):
    """The app sends its bytes and its FIN at once, long before Tor's reply:
    the FIN reaches the server after the bytes and after Tor has connected
    (the half-close server answers with the length and hash of what it got
    once it sees the FIN)."""
    addr, _ = timed
    script = ("import hashlib, socket; s = socket.create_connection(('203.0.113.7', 7), 20); "
              "d = b'x' * 100000; s.sendall(d); s.shutdown(socket.SHUT_WR); "
              "got = s.makefile('rb').read().decode(); "
              "print(got == '%d %s\\n' % (len(d), hashlib.sha256(d).hexdigest()))")
    cp = run_torgate(["--connect", mode, "--", "python3", "-c", script], socks=addr)
    assert cp.returncode == 0 and cp.stdout == "True\n", describe(cp)


@pytest.mark.parametrize("mode", MODES)
def test_refusal(run_torgate, timed, mode):
    """Tor refuses (REP 5): confirmed, the app's connect fails; optimistic,
    the connection is reset right after it was accepted (or refused, when
    the refusal came with Tor's answer to the credentials, as this stand-in
    sends it). Either way the app gets an error at once, and the counters
    say what Tor answered."""
    addr, _ = timed
    script = ("import socket\ntry:\n s = socket.create_connection(('203.0.113.7', 60005), 20)\n"
              " s.sendall(b'GET / HTTP/1.0\\r\\n\\r\\n'); print('read', s.recv(100))\n"
              "except OSError as e:\n print(type(e).__name__)")
    cp = run_torgate(["-v", "--connect", mode, "--", "python3", "-c", script], socks=addr)
    assert cp.returncode == 0, describe(cp)
    want = ("ConnectionRefusedError",) if mode == "confirmed" else \
        ("ConnectionResetError", "read b''", "ConnectionRefusedError")
    assert cp.stdout.strip() in want, describe(cp)
    assert "refused by Tor, by SOCKS reply: 0x05 connection refused: 1" in cp.stderr, describe(cp)


def test_bad_connect_mode(run_torgate):
    cp = run_torgate(["--connect", "eager", "--", "true"])
    assert cp.returncode == 125 and "bad --connect 'eager': use confirmed or optimistic" in cp.stderr
