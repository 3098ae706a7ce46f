"""The D-Bus session bus is out of the command's reach unless --socket
session-bus (or its old name, --dbus): over it, processes outside the
sandbox could be asked to act for the command (open a URL, resolve a name,
start a program), outside Tor. A stand-in bus (a unix listener at
$XDG_RUNTIME_DIR/bus, and one named by DBUS_SESSION_BUS_ADDRESS) records
who connects. The runtime directory is private (test_ipc.py), so the bus is
simply not there."""

import os
import shutil
import tempfile

import pytest

import tgutil
from tgutil import describe
from unixlisten import PROBE, Listener

@pytest.fixture
def buses():
    d = tempfile.mkdtemp(prefix="torgate-bus-")
    os.chmod(d, 0o777)
    u = tgutil.get_test_user()
    if u:
        os.chown(d, u.uid, u.gid)
    b = [Listener(os.path.join(d, "bus")), Listener(os.path.join(d, "other-bus"))]
    env = {"XDG_RUNTIME_DIR": d, "DBUS_SESSION_BUS_ADDRESS": "unix:path=%s,guid=0123" % b[1].path}
    yield b, env
    for x in b:
        x.close()
    shutil.rmtree(d, ignore_errors=True)


def probe(run_torgate, buses, *opts):
    b, env = buses
    return run_torgate(["-v", *opts, "--", "python3", "-c", PROBE, b[0].path, b[1].path], env=env)


def test_session_bus_hidden_by_default(run_torgate, buses):
    cp = probe(run_torgate, buses)
    assert cp.returncode == 0, describe(cp)
    for x in buses[0]:
        assert "%s ERR 2" % x.path in cp.stdout, describe(cp)       # ENOENT
        assert x.seen == []
    assert "shared session-bus" not in cp.stderr, describe(cp)


@pytest.mark.parametrize("opt", [["--dbus"], ["--socket", "session-bus"]], ids=["dbus", "socket"])
def test_dbus_lets_it_through(run_torgate, buses, opt):
    cp = probe(run_torgate, buses, *opt)
    assert cp.returncode == 0, describe(cp)
    for x in buses[0]:
        assert "%s seen" % x.path in cp.stdout, describe(cp)
        assert len(x.seen) == 1, x.path
        assert "shared session-bus at %s" % x.path in cp.stderr, describe(cp)
