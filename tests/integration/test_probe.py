"""Before anything runs, torgate asks the --socks address for a SOCKS5
greeting with username/password (RFC 1929) only, as every stream will. A
server that is not Tor's SocksPort must stop it there: exit 125, one line
naming the address and the fix, and the command never runs.

The servers here are scripted: each answers any greeting with fixed bytes
(or closes), on an ephemeral loopback port.
"""

import os
import re

import pytest

import tgutil
from tgutil import describe


class Scripted(tgutil.LoopbackServer):
    """Reads a greeting and answers `reply` (None: closes without a word).
    Records what it was sent."""

    def __init__(self, reply):
        self.reply = reply
        self.got = []
        super().__init__()

    def handle(self, c, _):
        c.settimeout(5)
        self.got.append(c.recv(64))
        if self.reply is not None:
            c.sendall(self.reply)
            c.recv(64)


CASES = [
    # (server's answer, what the one line must say)
    (b"\x05\xff", r"does not accept username/password authentication \(RFC 1929\)"),
    (b"\x05\x00", r"chose an authentication method it was not offered \(0x00\)"),
    (b"HTTP/1.0 400 Bad Request\r\n\r\n", r"not as a SOCKS5 server"),
    (None, r"closed the connection without a SOCKS5 answer"),
]


@pytest.mark.parametrize("reply,says", CASES, ids=["no-rfc1929", "unoffered-method", "http", "closes"])
def test_not_tors_socksport_stops_before_the_command(run_torgate, user_tmp, reply, says):
    srv = Scripted(reply)
    marker = os.path.join(user_tmp, "cmd-ran")
    try:
        cp = run_torgate(["--", "touch", marker], socks=srv.addr, timeout=30)
    finally:
        srv.close()
    assert cp.returncode == 125, describe(cp)
    lines = cp.stderr.strip().splitlines()
    assert len(lines) == 1, "expected one line:\n" + cp.stderr
    assert srv.addr in lines[0] and re.search(says, lines[0]), lines[0]
    assert "--socks" in lines[0], "no fix named: " + lines[0]
    assert not os.path.exists(marker), "the command ran"
    # The greeting offered username/password and nothing else.
    assert srv.got and srv.got[0] == b"\x05\x01\x02", srv.got


class LineServer(tgutil.LoopbackServer):
    """Like Tor's ControlPort: answers each line, and says nothing until a
    line ends."""

    def handle(self, c, _):
        c.settimeout(10)
        buf = b""
        while b"\n" not in buf:
            d = c.recv(64)
            if not d:
                return
            buf += d
        c.sendall(b"510 Unrecognized command \"\x05\x01\x02\"\r\n")


def test_a_controlport_is_told_at_once(run_torgate):
    """--socks at a line protocol (Tor's ControlPort): it is made to answer
    (a line is ended when no SOCKS answer comes), and said in the README's
    words, not as a SOCKS timeout ("gave no SOCKS5 answer")."""
    srv = LineServer()
    try:
        cp = run_torgate(["--", "true"], socks=srv.addr, timeout=30)
    finally:
        srv.close()
    assert cp.returncode == 125, describe(cp)
    assert "answered, but not as a SOCKS5 server (a text reply, as Tor's ControlPort gives)" \
        in cp.stderr, describe(cp)
