"""Real programs outside the sandbox that a command could ask to act for
it, each run by the suite's user as a desktop session would: GNU screen,
gpg's dirmngr, a D-Bus daemon with service activation, an X terminal.
Each test makes the request from inside torgate (refused: nothing
happens outside) and the same request from outside (it does happen), so
the vector is shown to be real on this machine. tmux is in test_ipc.py,
PulseAudio in test_audio.py."""

import os
import shutil
import socket
import subprocess
import tempfile
import time

import pytest

import tgutil
from tgutil import describe


def need(*progs):
    for p in progs:
        if shutil.which(p) is None:
            pytest.skip("%s is not installed (scripts/install-deps --tests)" % p)


@pytest.fixture
def home():
    """A directory of the suite's user that the sandbox sees, as it sees
    the home directory (SCRATCH: /tmp is private inside)."""
    d = tempfile.mkdtemp(prefix="torgate-svc-")
    os.chmod(d, 0o700)
    tgutil.give_to_test_user(d)
    yield d
    shutil.rmtree(d, ignore_errors=True)


def outside(args, env, check=True, **kw):
    return subprocess.run(tgutil.user_prefix() + args, env=tgutil.torgate_env(env), cwd="/",
                          capture_output=True, text=True, timeout=30, check=check, **kw)


def test_screen_outside_cannot_be_asked(run_torgate, home):
    """`screen -S NAME -X screen CMD` from inside would run CMD in a window
    of a screen session outside. Its socket directory (SCREENDIR, here
    where the sandbox sees it, as a home directory is) is there, and the
    connect() broker refuses the socket."""
    need("screen")
    sdir = os.path.join(home, "screens")
    mark = os.path.join(home, "ran")
    env = {"SCREENDIR": sdir, "SHELL": "/bin/sh", "STY": None, "TERM": "xterm"}
    os.mkdir(sdir, 0o700)
    tgutil.give_to_test_user(sdir)
    outside(["screen", "-dmS", "tgtest", "sleep", "60"], env)
    try:
        tgutil.wait_until(lambda: any(n.endswith(".tgtest") for n in os.listdir(sdir)), 10,
                          "screen to make its socket")
        cp = run_torgate(["--", "screen", "-S", "tgtest", "-X", "screen", "touch", mark], env=env)
        time.sleep(0.5)
        assert not os.path.exists(mark), describe(cp)
        assert cp.returncode != 0, describe(cp)
        assert "a unix socket of a program outside the sandbox; refused" in cp.stderr, describe(cp)
        outside(["screen", "-S", "tgtest", "-X", "screen", "touch", mark], env)
        tgutil.wait_until(lambda: os.path.exists(mark), 10, "screen outside to run the command")
    finally:
        outside(["screen", "-S", "tgtest", "-X", "quit"], env, check=False)


def test_dirmngr_outside_cannot_fetch(run_torgate, home):
    """gpg asks dirmngr for keys; a dirmngr already running outside would
    fetch from any keyserver, around Tor. From inside (with
    --no-autostart, so that only the outside dirmngr could answer) the
    request fails and the keyserver, a canary on host loopback, sees
    nobody; from outside, dirmngr connects to it."""
    need("gpg", "dirmngr", "gpgconf")
    gh = os.path.join(home, "gnupg")
    os.mkdir(gh, 0o700)
    tgutil.give_to_test_user(gh)
    env = {"GNUPGHOME": gh}
    canary = tgutil.Canary()
    args = ["gpg", "--batch", "--no-autostart", "--keyserver", "hkp://127.0.0.1:%d" % canary.port,
            "--recv-keys", "0x0123456789ABCDEF0123456789ABCDEF01234567"]
    try:
        outside(["gpgconf", "--launch", "dirmngr"], env)
        cp = run_torgate(["--"] + args, env=env)
        time.sleep(0.5)
        inside_hits = canary.hits
        out = outside(args, env, check=False)
        tgutil.wait_until(lambda: canary.hits > inside_hits, 15, "dirmngr outside to reach the canary")
    finally:
        outside(["gpgconf", "--kill", "dirmngr"], env, check=False)
        canary.close()
    # (Where the outside dirmngr's socket is: GNUPGHOME when there is no
    # /run/user/UID, which inside is the sandbox's own; either way gpg
    # inside finds no dirmngr to ask.)
    assert cp.returncode != 0 and inside_hits == 0, describe(cp)
    assert "No dirmngr" in cp.stderr, describe(cp)
    assert out.returncode != 0          # the canary is no keyserver; it was reached all the same


SERVICE = "org.torgate.Test"


@pytest.fixture
def session_bus(home):
    """A dbus-daemon of the user's with its socket in /tmp (as dbus-launch
    makes one) and a service that, when activated, leaves a mark: a
    program outside the sandbox, started at the command's request."""
    need("dbus-daemon", "dbus-send")
    busdir = tempfile.mkdtemp(prefix="torgate-bus-", dir="/tmp")
    os.chmod(busdir, 0o755)
    services = os.path.join(home, "services")
    os.mkdir(services)
    mark = os.path.join(home, "activated")
    with open(os.path.join(services, SERVICE + ".service"), "w") as f:
        f.write("[D-BUS Service]\nName=%s\nExec=/bin/sh -c 'touch %s; sleep 5'\n" % (SERVICE, mark))
    conf = os.path.join(home, "session.conf")
    with open(conf, "w") as f:
        f.write("<busconfig><type>session</type><listen>unix:path=%s/bus</listen>"
                "<servicedir>%s</servicedir><policy context=\"default\"><allow send_destination=\"*\" "
                "eavesdrop=\"true\"/><allow eavesdrop=\"true\"/><allow own=\"*\"/></policy></busconfig>"
                % (busdir, services))
    tgutil.give_to_test_user(home)
    tgutil.give_to_test_user(busdir)
    proc = subprocess.Popen(tgutil.user_prefix() + ["dbus-daemon", "--config-file", conf, "--nofork",
                                                    "--print-address"],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, cwd="/")
    addr = proc.stdout.readline().strip()
    try:
        assert addr.startswith("unix:path=%s/bus" % busdir), addr
        yield addr, mark
    finally:
        proc.terminate()
        proc.wait(10)
        shutil.rmtree(busdir, ignore_errors=True)


def test_bus_in_tmp_cannot_start_programs(run_torgate, session_bus):
    """Service activation: a message to a name nobody owns makes the bus
    start its program, outside. From inside, the bus's socket in /tmp is
    not there (the sandbox's /tmp is its own): no program starts."""
    addr, mark = session_bus
    send = ["dbus-send", "--bus=" + addr, "--print-reply", "--reply-timeout=2000", "--dest=" + SERVICE, "/",
            SERVICE + ".Ping"]
    cp = run_torgate(["--"] + send, env={"DBUS_SESSION_BUS_ADDRESS": addr})
    time.sleep(0.5)
    assert cp.returncode != 0 and not os.path.exists(mark), describe(cp)
    outside(send, {"DBUS_SESSION_BUS_ADDRESS": addr}, check=False)
    tgutil.wait_until(lambda: os.path.exists(mark), 10, "the bus to start its service")


@pytest.fixture
def ssh_master(home):
    """A private sshd on loopback and a ControlMaster connection to it,
    its socket where the sandbox sees it (as ~/.ssh's would be). Root
    only: sshd needs /run/sshd, and the unprivileged suite's user (nobody)
    is a locked account with no shell."""
    if shutil.which("sshd") is None:
        pytest.skip("sshd is not installed: openssh-server, which install-deps leaves out (its package "
                    "starts an SSH service on port 22); install it to run this test")
    need("ssh", "ssh-keygen")
    if tgutil.get_test_user():
        pytest.skip("nobody cannot log in over ssh (a locked account, nologin); the root run tests this")
    for key in ("hostkey", "userkey"):
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", os.path.join(home, key)],
                       check=True, timeout=30)
    shutil.copyfile(os.path.join(home, "userkey.pub"), os.path.join(home, "authorized_keys"))
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    conf = os.path.join(home, "sshd_config")
    with open(conf, "w") as f:
        f.write("ListenAddress 127.0.0.1:%d\nHostKey %s/hostkey\nAuthorizedKeysFile %s/authorized_keys\n"
                "PidFile none\nUsePAM no\nStrictModes no\nPasswordAuthentication no\n"
                "KbdInteractiveAuthentication no\n" % (port, home, home))
    os.makedirs("/run/sshd", mode=0o755, exist_ok=True)
    sshd = subprocess.Popen([shutil.which("sshd"), "-D", "-e", "-f", conf], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    cm = os.path.join(home, "cm-root@127.0.0.1:%d" % port)
    opts = ["-F", "none", "-o", "BatchMode=yes", "-o", "ConnectTimeout=5", "-S", cm]
    try:
        tgutil.wait_until(lambda: subprocess.run(["ssh-keyscan", "-p", str(port), "127.0.0.1"],
                                                 capture_output=True).returncode == 0, 15, "sshd to listen")
        subprocess.run(["ssh"] + opts + ["-i", os.path.join(home, "userkey"), "-o",
                                         "UserKnownHostsFile=%s/known_hosts" % home, "-o",
                                         "StrictHostKeyChecking=no", "-p", str(port), "-M", "-o",
                                         "ControlPersist=60", "-fN", "root@127.0.0.1"],
                       check=True, timeout=30, capture_output=True)
        yield opts
    finally:
        subprocess.run(["ssh"] + opts + ["-O", "exit", "x"], capture_output=True, timeout=30)
        sshd.terminate()
        sshd.wait(10)


def test_ssh_control_master_cannot_be_ridden(run_torgate, home, ssh_master):
    """`ssh -S SOCKET HOST CMD` rides a master connection made outside:
    CMD runs on the server over a connection that is not Tor's. From
    inside, the master's socket is refused (the connect() broker); from
    outside, the master answers and runs the command."""
    mark = os.path.join(home, "ran")
    check = ["ssh"] + ssh_master + ["-O", "check", "x"]
    cp = run_torgate(["--", "sh", "-c", "%s; echo check=$?; ssh %s -o ControlMaster=no x 'touch %s'" %
                      (" ".join(check), " ".join(ssh_master), mark)])
    assert "check=255" in cp.stdout and not os.path.exists(mark), describe(cp)
    assert "a unix socket of a program outside the sandbox; refused" in cp.stderr, describe(cp)
    out = subprocess.run(check, capture_output=True, text=True, timeout=30)
    assert out.returncode == 0 and "Master running" in out.stderr, out.stderr
    subprocess.run(["ssh"] + ssh_master + ["x", "touch %s" % mark], check=True, timeout=30)
    assert os.path.exists(mark)
