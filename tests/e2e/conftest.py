"""Fixtures of torgate's end-to-end suite: torgate in front of a real Tor.

The network is a private one on 127.0.0.1 (scripts/tornet): six authorities
that are also exits, a client tor, an onion service. It takes tens of
seconds to start, so a test run starts it once:

  TORNET_ENV=DIR/env   use a network that is already up (tests/run-all
                       starts one and runs this suite against the product
                       and the ASan build); the caller stops it
  otherwise            the session starts its own in a new directory under
                       build/test-logs/ and stops it when the session ends,
                       failed or not (the directory, with every tor's logs,
                       stays)

  TORGATE              the binary under test (default: ./torgate)

Run: /usr/bin/python3 -m pytest tests/e2e
"""

import os
import shlex
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(TOP, "tests", "lib"))

import pytest  # noqa: E402

import tgutil  # noqa: E402
import tornet_ctl  # noqa: E402
from fixtures import torgate_bin  # noqa: E402,F401

TORNET = os.path.join(TOP, "scripts", "tornet")


def read_env(path):
    env = {}
    with open(path) as f:
        for line in f:
            k, sep, v = line.rstrip("\n").partition("=")
            if sep:
                env[k] = shlex.split(v)[0] if v else ""
    return env


def pytest_collection_modifyitems(session, config, items):
    """Tests that stop the shared client tor run after every other test."""
    items.sort(key=lambda item: item.fspath.basename == "test_zz_fail_closed.py")


def pytest_report_header(config):
    return ["torgate: %s" % tgutil.torgate_path(),
            "tor network: %s" % (os.environ.get("TORNET_ENV") or "started by this session")]


@pytest.fixture(scope="session")
def tornet():
    """The network's environment (TORNET_* keys, see scripts/tornet)."""
    given = os.environ.get("TORNET_ENV")
    if given:
        try:
            yield read_env(given)
        except OSError as e:
            pytest.fail("TORNET_ENV=%s: %s" % (given, e.strerror), pytrace=False)
        return
    logs = os.path.join(TOP, "build", "test-logs")
    os.makedirs(logs, exist_ok=True)
    d = tempfile.mkdtemp(prefix="e2e-tornet-session-", dir=logs)
    t = time.monotonic()
    r = subprocess.run([TORNET, "start", d], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       text=True)
    if r.returncode != 0:
        pytest.fail("scripts/tornet start %s failed (is tor installed? scripts/install-deps):\n%s"
                    % (d, r.stderr[-4000:]), pytrace=False)
    sys.stderr.write("\ntornet up in %.1f s\n" % (time.monotonic() - t))
    try:
        yield read_env(os.path.join(d, "env"))
    finally:
        subprocess.run([TORNET, "stop", d], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


@pytest.fixture
def tg(tornet, torgate_bin):
    """tg(args, socks=None, timeout=60, ...) runs torgate ARGS through the
    network's ordinary SocksPort (or SOCKS) and returns a CompletedProcess."""
    def run(args, socks=None, timeout=90, **kw):
        return tgutil.run_torgate(args, socks or tornet["TORNET_SOCKS"], timeout=timeout, **kw)
    return run


@pytest.fixture
def tg_popen(tornet, torgate_bin):
    """tg_popen(args, socks=None, **Popen kw) -> Popen; killed at teardown."""
    yield from tgutil.tracked_popen(tornet["TORNET_SOCKS"])


@pytest.fixture
def control(tornet):
    """An authenticated control connection to the client tor."""
    c = tornet_ctl.control(tornet)
    yield c
    c.close()


@pytest.fixture
def dns_queries(tornet):
    """What the exits asked tornet's name server: .new() returns the lines
    logged since the fixture was made (or .new() was last called)."""
    return tornet_ctl.QueryLog(os.path.join(tornet["TORNET_DIR"], "dns", "queries.log"))
