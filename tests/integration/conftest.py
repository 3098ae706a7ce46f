"""Fixtures of the torgate integration suite; those it shares with the leak
suite (the binary, /dev/net/tun, the session's test servers) are in
tests/lib/fixtures.py.

Environment:
  TORGATE            absolute path of the binary under test (default: the
                     repository's ./torgate)
  TORGATE_TEST_USER  run every torgate as this user (setpriv); /dev/net/tun is
                     made 0666 for the session and restored afterwards
"""

import itertools
import os
import shutil
import signal
import sys
import tempfile

sys.dont_write_bytecode = True  # nothing of the suite's own goes into the tree
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "lib"))

import pytest  # noqa: E402

import tgutil  # noqa: E402
from fixtures import (_tun_mode, servers, session_dir, socks_args, socks_log,  # noqa: E402,F401
                      torgate_bin, report_header)

# This suite's own clients; the shared ones are in tests/lib/clients.
tgutil.add_clients(os.path.join(HERE, "clients"))


def pytest_report_header(config):
    return report_header()


@pytest.fixture
def socks_addr(servers):
    return servers.socks_addr


_extra_ids = itertools.count()


@pytest.fixture
def extra_socks(servers, session_dir):
    """Starts further SOCKS servers (same targets as the session's) that a
    test may kill; returns (ServerProc, SocksLog). Stopped at teardown."""
    made = []

    def start():
        log = os.path.join(session_dir, "socks-extra-%d.log" % next(_extra_ids))
        p = tgutil.ServerProc("socks", socks_args(servers, log), session_dir, workers=2)
        made.append(p)
        return p, tgutil.SocksLog(log)

    yield start
    for p in made:
        p.stop(signal.SIGKILL)


@pytest.fixture
def user_tmp():
    """A temporary directory the sandboxed command can write to (0777)."""
    d = tempfile.mkdtemp(prefix="torgate-it-")
    os.chmod(d, 0o777)
    yield d
    shutil.rmtree(d, ignore_errors=True)


@pytest.fixture
def run_torgate(torgate_bin, servers):
    """run_torgate(args, socks=<session SOCKS>, timeout=60, **kw) ->
    CompletedProcess; args as on torgate's command line after --socks,
    e.g. ["--", "sh", "-c", "exit 7"]. socks=None leaves out --socks."""
    def run(args, socks=servers.socks_addr, timeout=60, **kw):
        return tgutil.run_torgate(args, socks, timeout=timeout, **kw)
    return run


@pytest.fixture
def popen_torgate(torgate_bin, servers):
    """popen_torgate(args, socks=<session SOCKS>, **Popen kw) -> Popen, for
    long-running cases; anything still running at teardown is killed."""
    yield from tgutil.tracked_popen(servers.socks_addr)
