"""torgate --check: one line per check, a fix on each failing one, exit 0
only when torgate will work. Here (a test SOCKS server, no Tor control
port) and with each failing condition made for real: Tor down, a TUN the
user cannot open, user namespaces disabled (in a user namespace of the
test's own, whose limit is set to 0). With a real Tor: tests/e2e."""

import os
import pathlib
import shutil
import subprocess
import tempfile

import pytest

import tgutil
from tgutil import describe, torgate_path, user_prefix, torgate_env
from test_core import ClosedPort

CHECK = "\u2713"
CROSS = "\u2717"


def check(args, prefix=None):
    argv = (user_prefix() if prefix is None else prefix) + [torgate_path(), "--check", *args]
    return subprocess.run(argv, env=torgate_env(), stdin=subprocess.DEVNULL, capture_output=True,
                          text=True, timeout=60)


def line(cp, words):
    found = [ln for ln in cp.stdout.splitlines() if words in ln]
    assert len(found) == 1, "no single line with %r:\n%s" % (words, describe(cp))
    return found[0]


def test_check_passes_here(servers):
    with ClosedPort() as ctl:
        cp = check(["--socks", servers.socks_addr, "--tor-control", ctl.addr])
    assert cp.returncode == 0, describe(cp)
    assert line(cp, "SocksPort answers at " + servers.socks_addr).startswith(CHECK)
    assert line(cp, "control port " + ctl.addr).startswith("\u00b7")
    assert line(cp, "user and network namespaces work").startswith(CHECK)
    assert line(cp, "/dev/net/tun").startswith(CHECK)
    assert line(cp, "/etc/resolv.conf").startswith(CHECK)
    assert CROSS not in cp.stdout


class PlainSocks5(tgutil.LoopbackServer):
    """A SOCKS5 server that is not Tor (as ssh -D or a corporate proxy):
    username/password, CONNECT only; any other command gets REP 7."""

    def handle(self, conn, addr):
        conn.settimeout(10)
        f = conn.makefile("rb")
        if len(f.read(3)) < 3:
            return
        conn.sendall(b"\x05\x02")
        auth = f.read(2)
        if len(auth) < 2:
            return                      # the probe's greeting alone: it hangs up
        f.read(auth[1])
        f.read(f.read(1)[0])
        conn.sendall(b"\x01\x00")
        f.read(4)
        conn.sendall(b"\x05\x07\x00\x01" + bytes(6))


def test_check_tells_tor_from_another_socks_server():
    """Any SOCKS5 server passes the greeting; torgate would send everything
    through whichever it is. One that does not know Tor's RESOLVE is named
    as not Tor, and --check fails."""
    plain = PlainSocks5()
    try:
        with ClosedPort() as ctl:
            cp = check(["--socks", plain.addr, "--tor-control", ctl.addr])
    finally:
        plain.close()
    assert cp.returncode == 1, describe(cp)
    ln = line(cp, "a SOCKS5 server answers at %s, but it does not look like Tor" % plain.addr)
    assert ln.startswith(CROSS) and "it does not know Tor's RESOLVE command" in ln, ln
    assert "point --socks at Tor's SocksPort" in ln and "SocksPort answers" not in cp.stdout


def test_check_tor_down():
    with ClosedPort() as socks, ClosedPort() as ctl:
        cp = check(["--socks", socks.addr, "--tor-control", ctl.addr])
    assert cp.returncode == 1, describe(cp)
    ln = line(cp, "Tor is not reachable at " + socks.addr)
    assert ln.startswith(CROSS) and "start Tor" in ln and "--socks" in ln


def test_check_tun_not_usable(servers):
    """As a user who cannot open /dev/net/tun (mode 0600, owned by root)."""
    st = os.stat("/dev/net/tun")
    os.chmod("/dev/net/tun", 0o600)
    try:
        with ClosedPort() as ctl:
            cp = check(["--socks", servers.socks_addr, "--tor-control", ctl.addr],
                       prefix=["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--"])
    finally:
        os.chmod("/dev/net/tun", st.st_mode & 0o7777)
    assert cp.returncode == 1, describe(cp)
    ln = line(cp, "/dev/net/tun (mode 0600)")
    assert ln.startswith(CROSS) and "sudo chmod 0666 /dev/net/tun" in ln, ln


def test_check_userns_disabled(servers):
    """In a user namespace whose user.max_user_namespaces is 0, no further
    one can be made: the check says so and names the sysctl."""
    with ClosedPort() as ctl:
        cmd = "echo 0 > /proc/sys/user/max_user_namespaces && exec \"$@\""
        argv = user_prefix() + ["unshare", "-Ur", "sh", "-c", cmd, "sh", torgate_path(), "--check",
                                "--socks", servers.socks_addr, "--tor-control", ctl.addr]
        cp = subprocess.run(argv, env=torgate_env(), stdin=subprocess.DEVNULL, capture_output=True,
                            text=True, timeout=60)
    assert cp.returncode == 1, describe(cp)
    ln = line(cp, "user namespaces are off")
    assert ln.startswith(CROSS) and "user.max_user_namespaces=15000" in ln, ln


def test_check_alone():
    cp = subprocess.run([torgate_path(), "--check", "--", "true"], capture_output=True, text=True, timeout=30)
    assert cp.returncode == 125 and "--check runs no command" in cp.stderr, describe(cp)


def test_check_reads_the_config(servers, user_tmp):
    """--check judges the settings torgate would run with: the SocksPort a
    config file names, and it says which files it read. (In user_tmp: the
    user torgate runs as must be able to enter the directory.)"""
    xdg = pathlib.Path(user_tmp) / "xdg"
    (xdg / "torgate").mkdir(parents=True)
    for d in (xdg, xdg / "torgate"):
        os.chmod(str(d), 0o755)
    conf = xdg / "torgate" / "torgate.conf"
    argv = user_prefix() + [torgate_path(), "--check"]
    env = dict(torgate_env(), XDG_CONFIG_HOME=str(xdg))
    with ClosedPort() as ctl, ClosedPort() as closed:
        for socks, ok in ((servers.socks_addr, True), (closed.addr, False)):
            conf.write_text("socks = %s\ntor-control = %s\n" % (socks, ctl.addr))
            os.chmod(str(conf), 0o644)
            cp = subprocess.run(argv, env=env, stdin=subprocess.DEVNULL, capture_output=True,
                                text=True, timeout=60)
            assert cp.returncode == (0 if ok else 1), describe(cp)
            assert line(cp, "settings from " + str(conf)).startswith(CHECK)
            if ok:
                assert line(cp, "SocksPort answers at " + socks).startswith(CHECK)
            else:
                assert line(cp, "Tor is not reachable at " + socks).startswith(CROSS)


def test_check_says_what_commands_see_and_share(servers, user_tmp):
    """--check lists what a command would see of the host and which desktop
    sockets it would reach, as the settings (here a config file) say."""
    xdg = pathlib.Path(user_tmp) / "xdg-sees"
    (xdg / "torgate").mkdir(parents=True)
    for d in (xdg, xdg / "torgate"):
        os.chmod(str(d), 0o755)
    conf = xdg / "torgate" / "torgate.conf"
    env = dict(torgate_env(), XDG_CONFIG_HOME=str(xdg))
    argv = user_prefix() + [torgate_path(), "--check", "--socks", servers.socks_addr]
    with ClosedPort() as ctl:
        argv += ["--tor-control", ctl.addr]
        cp = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=60)
        sees = line(cp, "commands see hostname host")
        assert "machine-id b08dfa6083e7567a1921a715000001fb" in sees and "your time zone" in sees, sees
        assert line(cp, "reach no unix socket of a program outside (--socket NAME shares one)")
        conf.write_text("socket = wayland\nsocket = ssh-agent\nsocket = pulseaudio\nutc = yes\ngeneric-user = yes\n")
        os.chmod(str(conf), 0o644)
        cp = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=60)
    sees = line(cp, "commands see hostname host")
    assert "UTC as the time zone" in sees and "the user name user (/home/user)" in sees, sees
    assert line(cp, "reach no unix socket of a program outside but: wayland, pulseaudio (through "
                    "torgate's sound filter), ssh-agent")


@pytest.mark.skipif(not tgutil.get_test_user(), reason="root reads any cookie; the unprivileged run shows the advice")
@pytest.mark.parametrize("mode, says", [
    (0o640, "it is readable by the group root: sudo adduser $USER root, then log in again"),
    (0o600, "only its owner may read it (mode 0600): set CookieAuthFileGroupReadable 1 in torrc"),
])
def test_cookie_advice_fits_the_cookie(servers, mode, says):
    """The advice for an unreadable cookie follows what is there: join the
    group that may read it, or make it group-readable first."""
    d = tempfile.mkdtemp(prefix="torgate-cookie-")
    os.chmod(d, 0o755)
    cookie = os.path.join(d, "control_auth_cookie")
    with open(cookie, "wb") as f:
        f.write(os.urandom(32))
    os.chmod(cookie, mode)
    ctl = tgutil.FakeControl(cookie)
    try:
        cp = check(["--socks", servers.socks_addr, "--tor-control", ctl.addr])
    finally:
        ctl.close()
        shutil.rmtree(d, ignore_errors=True)
    assert says in line(cp, "its cookie %s cannot be read" % cookie), describe(cp)
