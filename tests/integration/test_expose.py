"""--expose HOSTPORT[:PORT]: a host loopback port the user chose answers on
the command's own loopback, and nothing else of the host does. The host
side here is an echo listener on 127.0.0.1; the command connects to its
127.0.0.1:PORT inside the sandbox."""

import pytest

import tgutil
from tgutil import describe

PROBE = """
import socket, sys
port = int(sys.argv[1])
try:
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    s.sendall(b"through the hole")
    s.shutdown(socket.SHUT_WR)
    got = b""
    while True:
        b = s.recv(100)
        if not b:
            break
        got += b
    print("GOT", got.decode())
except OSError as e:
    print("ERR", e.errno)
"""


class Echo(tgutil.LoopbackServer):
    """Sends back what it got, once the peer has half-closed."""

    def __init__(self):
        self.peers = []
        super().__init__()

    def handle(self, c, addr):
        self.peers.append(addr)
        data = b""
        while True:
            b = c.recv(100)
            if not b:
                break
            data += b
        c.sendall(data)


def probe(run_torgate, opts, port):
    return run_torgate(opts + ["-v", "--", "python3", "-c", PROBE, str(port)])


def test_expose_same_port(run_torgate):
    e = Echo()
    try:
        cp = probe(run_torgate, ["--expose", str(e.port)], e.port)
    finally:
        e.close()
    assert cp.returncode == 0 and "GOT through the hole" in cp.stdout, describe(cp)
    assert len(e.peers) == 1
    assert "--expose: the command connected to its 127.0.0.1:%d, which leads to the host's " \
           "127.0.0.1:%d" % (e.port, e.port) in cp.stderr, describe(cp)


def test_expose_to_another_port(run_torgate):
    e = Echo()
    try:
        cp = probe(run_torgate, ["--expose", "%d:9151" % e.port], 9151)
    finally:
        e.close()
    assert cp.returncode == 0 and "GOT through the hole" in cp.stdout, describe(cp)


def test_no_expose_no_hole(run_torgate):
    """Without --expose, and for any port not exposed, the host's loopback
    stays out of reach."""
    e, other = Echo(), Echo()
    try:
        cp = probe(run_torgate, [], e.port)
        assert "ERR 111" in cp.stdout, describe(cp)            # ECONNREFUSED
        cp = probe(run_torgate, ["--expose", str(e.port)], other.port)
        assert "ERR 111" in cp.stdout, describe(cp)
    finally:
        e.close()
        other.close()
    assert e.peers == [] and other.peers == []


@pytest.mark.parametrize("arg", ["0", "70000", "x", "80:", "1:2:3"])
def test_bad_expose(run_torgate, arg):
    cp = run_torgate(["--expose", arg, "--", "true"])
    assert cp.returncode == 125 and "bad --expose" in cp.stderr, describe(cp)
