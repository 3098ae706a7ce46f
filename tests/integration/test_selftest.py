"""torgate --selftest: a probe in a sandbox made with the user's options
says, one line each, that a command there has no way out but Tor, and
lists the unix sockets it can still reach (only what --socket shared).
Run outside torgate (in a network namespace of the test's own, so that
nothing leaves this machine), the same probe fails: it can tell."""

import os
import shutil
import subprocess
import tempfile

import tgutil
import unixlisten
from tgutil import describe

CLAIMS = ["the only links are lo and tg0", "the default route goes to tg0",
          "UDP goes nowhere", "no raw or packet sockets", "names resolve through torgate's stub only"]


def test_selftest_holds(run_torgate):
    cp = run_torgate(["--selftest"])
    assert cp.returncode == 0, describe(cp)
    for claim in CLAIMS:
        assert [ln for ln in cp.stdout.splitlines() if ln.startswith("\u2713 " + claim)], describe(cp)
    assert "\u2717" not in cp.stdout and ", 0 reachable" in cp.stdout, describe(cp)


def test_selftest_lists_what_was_shared(run_torgate):
    d = tempfile.mkdtemp(prefix="torgate-selftest-")
    os.chmod(d, 0o777)
    bus = unixlisten.Listener(os.path.join(d, "bus"))
    try:
        cp = run_torgate(["--socket", "session-bus", "--selftest"],
                         env={"XDG_RUNTIME_DIR": d, "DBUS_SESSION_BUS_ADDRESS": None})
    finally:
        bus.close()
        shutil.rmtree(d, ignore_errors=True)
    assert cp.returncode == 0, describe(cp)
    assert "  reachable: %s" % bus.path in cp.stdout.splitlines(), describe(cp)
    assert ", 1 reachable" in cp.stdout, describe(cp)
    assert len(bus.seen) >= 1


def test_selftest_probe_fails_outside(torgate_bin):
    """The probe itself, not in a sandbox: in a fresh network namespace
    (only lo, no route), as the test user; every network claim fails."""
    prefix = tgutil.user_prefix()
    argv = ["unshare", "--net"] if not prefix else prefix + ["unshare", "--map-root-user", "--net"]
    cp = subprocess.run(argv + [tgutil.torgate_path(), "--selftest-probe"], capture_output=True,
                        text=True, timeout=120, env=tgutil.torgate_env(), cwd="/")
    assert cp.returncode == 1, describe(cp)
    for words in ("links besides lo and tg0:", "the default route is missing",
                  "UDP to 192.0.2.53"):
        assert "\u2717 " + words in cp.stdout, describe(cp)
