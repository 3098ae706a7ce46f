"""Fixtures of the leak suite (see README.md here).

Environment as in tests/lib/fixtures.py: TORGATE (the binary under test),
TORGATE_TEST_USER (torgate and the probes run as that user; the canaries
and the test itself stay root). Option --selfcheck: every test runs its
probe again with the protection it checks taken away (leakenv.MODES, as
listed by the test's `controls` mark) and must then see the probe get
through; `make leak-selfcheck` runs it.
"""

import os
import sys

sys.dont_write_bytecode = True  # nothing of the suite's own goes into the tree
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "lib"))

import pytest  # noqa: E402

import leakenv  # noqa: E402
import tgutil  # noqa: E402
# The test SOCKS server (whose log shows every CONNECT) and /dev/net/tun
# handling, as in the integration suite.
from fixtures import (_tun_mode, report_header, servers, session_dir, socks_log,  # noqa: E402,F401
                      torgate_bin)


def pytest_addoption(parser):
    parser.addoption("--selfcheck", action="store_true",
                     help="run each probe with its protection removed and expect it to get "
                          "through (shows that every leak test can fail)")


def pytest_configure(config):
    config.addinivalue_line("markers", "controls(*modes): the modes of leakenv.MODES in which "
                            "--selfcheck runs the test, each without one protection")
    if os.geteuid() != 0:
        raise pytest.UsageError("the leak suite must run as root: it creates a network "
                                "namespace and a veth pair for its canary")
    if config.getoption("selfcheck") and tgutil.get_test_user():
        raise pytest.UsageError("--selfcheck runs the unprotected probes as root (raw sockets "
                                "on the host need it): unset TORGATE_TEST_USER")


def pytest_report_header(config):
    return report_header() + [
        "leak suite: %s" % ("SELF-CHECK, protections removed" if config.getoption("selfcheck")
                            else "probes inside torgate")]


def pytest_generate_tests(metafunc):
    if "mode" not in metafunc.fixturenames:
        return
    modes = ["torgate"]
    if metafunc.config.getoption("selfcheck"):
        mark = metafunc.definition.get_closest_marker("controls")
        assert mark and set(mark.args) <= set(leakenv.MODES) - {"torgate"}, \
            "%s: its controls mark must name modes of leakenv.MODES" % metafunc.definition.name
        modes = list(mark.args)
    metafunc.parametrize("mode", modes)


@pytest.fixture(scope="session")
def netns_canary(session_dir):
    with leakenv.NetnsCanary(session_dir) as c:
        yield c


@pytest.fixture(scope="session")
def host_canary(session_dir):
    with leakenv.HostCanary(session_dir) as c:
        yield c


@pytest.fixture
def canaries(netns_canary, host_canary):
    """Both canaries, marked: .hits() is what reached them during the test."""
    netns_canary.mark()
    host_canary.mark()
    return netns_canary, host_canary


@pytest.fixture
def probe(mode, servers):
    """probe(steps) runs probe.py with those steps in this test's mode and
    returns its results; probe.run(argv) runs any command, returning the
    CompletedProcess."""
    class Probe:
        def run(self, argv, opts=(), env=None):
            return leakenv.run_probe(mode, argv, servers.socks_addr, opts=opts, env=env)

        def __call__(self, steps):
            return leakenv.results(self.run(leakenv.probe_argv(steps)))
    return Probe()
