"""--publish [ADDR:]HOSTPORT:PORT: a service the command runs inside the
sandbox, reached from the host; the connection goes in through the TUN
(lwIP connects to the command), never out through Tor or anywhere else.

The service here is an echo server inside; the host sends 1 MB, half-
closes, and must get the same 1 MB back."""

import os
import socket
import subprocess
import time

import pytest

from tgutil import describe

SERVER = """
import socket, sys
bind = sys.argv[1]
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((bind, 8000))
s.listen(4)
print("ready", flush=True)
while True:
    c, _ = s.accept()
    data = b""
    while True:
        b = c.recv(65536)
        if not b:
            break
        data += b
    c.sendall(data)
    c.close()
"""


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def start(popen_torgate, hp, bind="0.0.0.0"):
    p = popen_torgate(["-v", "--publish", "%d:8000" % hp, "--", "python3", "-c", SERVER, bind])
    line = p.stdout.readline()
    assert line.strip() == "ready", line + p.stderr.read()
    return p


def echo(port, data):
    s = socket.create_connection(("127.0.0.1", port), timeout=20)
    s.sendall(data)
    s.shutdown(socket.SHUT_WR)
    got = b""
    while True:
        b = s.recv(1 << 16)
        if not b:
            break
        got += b
    s.close()
    return got


def test_publish_both_ways(popen_torgate, socks_log):
    hp = free_port()
    p = start(popen_torgate, hp)
    data = os.urandom(1 << 20)
    try:
        assert echo(hp, data) == data
        assert echo(hp, b"second") == b"second"
    finally:
        p.terminate()
        out, err = p.communicate(timeout=20)
    assert err.count("--publish: a connection from the host to the command's port 8000") == 2, err
    # In through the TUN: Tor was asked for nothing.
    assert socks_log.new() == []


def test_publish_needs_the_tun_address(popen_torgate):
    """A service on the sandbox's 127.0.0.1 only is not reached; the host's
    connection is closed, and the log says why."""
    hp = free_port()
    p = start(popen_torgate, hp, bind="127.0.0.1")
    try:
        try:
            got = echo(hp, b"hello")
        except OSError:                  # reset: closed with our bytes unread
            got = b""
        assert got == b""
    finally:
        p.terminate()
        out, err = p.communicate(timeout=20)
    assert "was refused: nothing listens there (the command must listen on 0.0.0.0, not only 127.0.0.1)" in err, err


def test_publish_port_taken(run_torgate):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(1)
    try:
        cp = run_torgate(["--publish", "%d:8000" % s.getsockname()[1], "--", "true"])
    finally:
        s.close()
    assert cp.returncode == 125 and "cannot listen there" in cp.stderr, describe(cp)


@pytest.mark.parametrize("arg", ["8000", "x:8000", "1:2:3:4", "127.0.0.1:80:0", "[::1:80:8000"])
def test_bad_publish(run_torgate, arg):
    cp = run_torgate(["--publish", arg, "--", "true"])
    assert cp.returncode == 125 and "bad --publish" in cp.stderr, describe(cp)
