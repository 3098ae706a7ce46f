"""pytest fixtures the integration and leak suites share: the binary under
test, /dev/net/tun for TORGATE_TEST_USER, and the session's test servers
(whose SOCKS log shows every CONNECT). A suite's conftest.py imports the
ones it uses by name, which is how pytest finds them there.

Environment:
  TORGATE            absolute path of the binary under test (default: the
                     repository's ./torgate)
  TORGATE_TEST_USER  run every torgate as this user (setpriv); /dev/net/tun is
                     made 0666 for the session and restored afterwards
"""

import os
import shutil
import stat
import tempfile

import pytest

import tgutil


def report_header():
    u = tgutil.get_test_user()
    return ["torgate: %s" % tgutil.torgate_path(),
            "torgate runs as: %s" % ("%s (uid %d)" % (u.name, u.uid) if u else "the caller")]


@pytest.fixture(scope="session", autouse=True)
def _tun_mode():
    """With TORGATE_TEST_USER, /dev/net/tun must be usable by that user."""
    u = tgutil.get_test_user()
    if not u:
        yield
        return
    path = "/dev/net/tun"
    old = stat.S_IMODE(os.stat(path).st_mode)
    os.chmod(path, 0o666)
    try:
        yield
    finally:
        os.chmod(path, old)


@pytest.fixture(scope="session")
def torgate_bin():
    return tgutil.checked_torgate_path()


@pytest.fixture(scope="session")
def session_dir():
    d = tempfile.mkdtemp(prefix="torgate-it-session-")
    yield d
    shutil.rmtree(d, ignore_errors=True)


class Servers:
    pass


# What the SOCKS server's RESOLVE / RESOLVE_PTR answer (Tor's extensions,
# for torgate's --dns resolve mode): the first address is the one RESOLVE
# returns; every address maps back to its name for RESOLVE_PTR.
SOCKS_RESOLVE = {
    "web.example": ["203.0.113.80", "2001:db8::80"],
    "v6only.example": ["2001:db8::86"],
}
# What the DNS responder behind the SOCKS server's port 53 answers.
RESPONDER_A, RESPONDER_AAAA = "203.0.113.53", "2001:db8::53"


@pytest.fixture(scope="session")
def servers(session_dir):
    """The HTTP, echo, half-close, DNS responder and SOCKS5 servers for the
    whole session. The SOCKS server sends port 80 to HTTP, 7 to half-close,
    9 to echo, 53 to the DNS responder (TCP; it answers every A with
    RESPONDER_A and logs the query to s.responder_log_path) and any other
    port to HTTP; it answers RESOLVE / RESOLVE_PTR from SOCKS_RESOLVE."""
    s = Servers()
    started = []
    try:
        s.http = tgutil.ServerProc("http", [], session_dir, workers=4)
        started.append(s.http)
        s.echo = tgutil.ServerProc("echo", [], session_dir, workers=4)
        started.append(s.echo)
        s.halfclose = tgutil.ServerProc("halfclose", [], session_dir, workers=2)
        started.append(s.halfclose)
        s.responder_log_path = os.path.join(session_dir, "dns-responder.log")
        s.responder = tgutil.dns_server(session_dir, s.responder_log_path,
                                        a=RESPONDER_A, aaaa=RESPONDER_AAAA)
        started.append(s.responder)
        s.socks_log_path = os.path.join(session_dir, "socks.log")
        s.socks = tgutil.ServerProc("socks", socks_args(s, s.socks_log_path), session_dir,
                                    workers=8)
        started.append(s.socks)
        s.socks_addr = "127.0.0.1:%d" % s.socks.port
        yield s
    finally:
        for p in reversed(started):
            p.stop()


def socks_args(s, log):
    """servers.py's arguments for a SOCKS server with the session's targets."""
    hp = "127.0.0.1:%d" % s.http.port
    return ["--log", log,
            "--map", "80=" + hp,
            "--map", "7=127.0.0.1:%d" % s.halfclose.port,
            "--map", "9=127.0.0.1:%d" % s.echo.port,
            "--map", "53=127.0.0.1:%d" % s.responder.port,
            "--default", hp] + \
        ["--resolve=%s=%s" % (n, ",".join(a)) for n, a in sorted(SOCKS_RESOLVE.items())]


@pytest.fixture
def socks_log(servers):
    """The session SOCKS server's log; .new() is what this test caused."""
    log = tgutil.SocksLog(servers.socks_log_path)
    log.mark()
    return log
