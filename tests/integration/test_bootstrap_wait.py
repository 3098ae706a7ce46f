"""Waiting for Tor's bootstrap before the command starts. A scripted Tor
control port (no authentication) reports 30%, then 60%, then 100%; the
command must start only after the 100%. On a terminal (a pty as stderr)
torgate draws one progress line, rewritten in place; with stderr not a
terminal it draws none; --no-wait does not wait at all."""

import os
import pty
import re
import subprocess
import time

import tgutil
from tgutil import describe, torgate_argv, torgate_env

STEPS = [(30, "Loading relay descriptors"), (60, "Connecting to a relay"), (100, "Done")]


class FakeControl(tgutil.LoopbackServer):
    """Answers PROTOCOLINFO, AUTHENTICATE and GETINFO status/bootstrap-phase;
    each GETINFO moves one step on. Records when it said 100%."""

    def __init__(self):
        self.getinfo = 0
        self.done_at = None
        super().__init__()

    def handle(self, c, _):
        f = c.makefile("rwb")
        for line in f:
            cmd = line.decode().strip()
            if cmd.startswith("PROTOCOLINFO"):
                f.write(b"250-PROTOCOLINFO 1\r\n250-AUTH METHODS=NULL\r\n250 OK\r\n")
            elif cmd.startswith("AUTHENTICATE"):
                f.write(b"250 OK\r\n")
            elif cmd == "GETINFO status/bootstrap-phase":
                p, s = STEPS[min(self.getinfo, len(STEPS) - 1)]
                self.getinfo += 1
                if p == 100 and self.done_at is None:
                    self.done_at = time.monotonic()
                f.write(('250-status/bootstrap-phase=NOTICE BOOTSTRAP PROGRESS=%d TAG=x '
                         'SUMMARY="%s"\r\n250 OK\r\n' % (p, s)).encode())
            else:
                f.write(b"510 Unrecognized command\r\n")
            f.flush()


# The command says when it started, on stdout.
CMD = ["--", "python3", "-c", "import time; print('started', time.monotonic(), flush=True)"]


def started_at(out):
    m = re.search(r"started ([\d.]+)", out)
    assert m, out
    return float(m.group(1))


def test_waits_with_a_progress_line_on_a_terminal(servers):
    ctl = FakeControl()
    master, slave = pty.openpty()
    try:
        p = subprocess.Popen(torgate_argv(["--tor-control", ctl.addr] + CMD, servers.socks_addr),
                             env=torgate_env(), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                             stderr=slave, text=True)
        os.close(slave)
        out, _ = p.communicate(timeout=60)
        err = b""
        while True:
            try:
                chunk = os.read(master, 4096)
            except OSError:
                break
            if not chunk:
                break
            err += chunk
    finally:
        os.close(master)
        ctl.close()
    err = err.decode(errors="replace")
    assert p.returncode == 0, out + err
    assert "waiting for Tor to bootstrap:  30% (Loading relay descriptors)" in err, repr(err)
    assert "waiting for Tor to bootstrap:  60% (Connecting to a relay)" in err, repr(err)
    assert "\r" in err and err.count("\n") >= 1
    assert ctl.done_at is not None and started_at(out) > ctl.done_at, (out, ctl.done_at)


def test_waits_without_drawing_when_not_a_terminal(run_torgate):
    ctl = FakeControl()
    try:
        cp = run_torgate(["--tor-control", ctl.addr] + CMD)
    finally:
        ctl.close()
    assert cp.returncode == 0, describe(cp)
    assert "waiting for Tor" not in cp.stderr and "\r" not in cp.stderr, describe(cp)
    assert ctl.getinfo >= 3 and started_at(cp.stdout) > ctl.done_at


def test_no_wait(run_torgate):
    ctl = FakeControl()
    try:
        cp = run_torgate(["--no-wait", "--tor-control", ctl.addr] + CMD)
    finally:
        ctl.close()
    assert cp.returncode == 0, describe(cp)
    assert ctl.getinfo == 0, "--no-wait asked Tor's bootstrap phase"
