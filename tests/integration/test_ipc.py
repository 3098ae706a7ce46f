"""The sandbox's boundary for IPC: no process outside may be asked to act
for the command over a unix socket, unless the socket is named with
--socket. /tmp, /var/tmp, /dev/shm, /run and $XDG_RUNTIME_DIR (or
/run/user/UID) are the command's own, empty; a socket made there after the
command started is out of reach too.

Each test puts stand-in services (tests/lib/unixlisten.py: they record who
connects) where real ones live, runs a probe inside torgate, and then runs
the same probe outside, as the same user: outside, every listener must
record it (so the listeners work and the test can fail); inside, none."""

import os
import shutil
import subprocess
import tempfile
import time

import pytest

import tgutil
import unixlisten
from tgutil import describe
from unixlisten import PROBE, Listener


@pytest.fixture
def places():
    """places(parent) -> a fresh directory under parent that the test user
    can use; all removed after the test, listeners closed."""
    made, listeners = [], []
    u = tgutil.get_test_user()

    def make(parent, path=None):
        d = path or tempfile.mkdtemp(prefix="torgate-ipc-", dir=parent)
        os.makedirs(d, exist_ok=True)
        os.chmod(d, 0o777)
        if u:
            os.chown(d, u.uid, u.gid)
        made.append(d)
        return d

    def listen(path):
        os.makedirs(os.path.dirname(path), mode=0o777, exist_ok=True)
        li = Listener(path)
        listeners.append(li)
        return li
    make.listen = listen
    yield make
    for li in listeners:
        li.close()
    for d in reversed(made):
        shutil.rmtree(d, ignore_errors=True)


def outside(paths):
    """The probe on the host, as the user torgate runs as."""
    cp = subprocess.run(tgutil.user_prefix() + ["/usr/bin/python3", "-c", PROBE] + paths,
                        capture_output=True, text=True, timeout=30, cwd="/", env=tgutil.torgate_env())
    assert cp.returncode == 0, cp.stderr
    return unixlisten.results(cp.stdout)


def check_outside_reaches(listeners):
    """Every listener answers the probe from outside and records it."""
    paths = [li.path for li in listeners]
    got = outside(paths)
    uid = tgutil.expected_ids()[0]
    for li in listeners:
        assert got.get(li.path) == "seen", "outside, %s: %r" % (li.path, got)
        assert (uid, li.path) in li.seen, (li.path, li.seen)


def inside(run_torgate, paths, *opts, env=None):
    cp = run_torgate(["-v", *opts, "--", "python3", "-c", PROBE] + paths, env=env)
    assert cp.returncode == 0, describe(cp)
    return cp, unixlisten.results(cp.stdout)


ENOENT = "ERR 2"


def test_host_sockets_out_of_reach(run_torgate, places):
    """tmux's and screen's sockets in /tmp, a docker.sock under /run,
    listeners in /var/tmp and /dev/shm, and a desktop's sockets in a
    runtime directory that is neither under /run nor /tmp: none exists in
    the sandbox."""
    xdg = places("/var/lib")
    run = places("/run")
    paths = [os.path.join(places("/tmp"), "tmux-1000", "default"),
             os.path.join(places("/var/tmp"), "app.sock"),
             os.path.join(places("/dev/shm"), "app.sock"),
             os.path.join(run, "docker.sock"),
             os.path.join(xdg, "wayland-0"), os.path.join(xdg, "pulse", "native"),
             os.path.join(xdg, "pipewire-0"), os.path.join(xdg, "bus"),
             os.path.join(xdg, "systemd", "private"), os.path.join(xdg, "gnupg", "S.dirmngr")]
    listeners = [places.listen(p) for p in paths]
    cp, got = inside(run_torgate, paths, env={"XDG_RUNTIME_DIR": xdg, "WAYLAND_DISPLAY": "wayland-0"})
    for li in listeners:
        assert got.get(li.path) == ENOENT, "%s: %r\n%s" % (li.path, got.get(li.path), describe(cp))
        assert li.seen == [], (li.path, li.seen)
    assert "are private; no desktop socket shared" in cp.stderr, describe(cp)
    check_outside_reaches(listeners)


def test_socket_names_share_exactly_those(run_torgate, places):
    """--socket wayland, session-bus and ssh-agent bring in exactly those
    sockets, at the paths the host's programs use; their neighbours stay
    out of reach (pulseaudio brings in a filter's: test_audio.py)."""
    xdg = places("/var/lib")
    agent = os.path.join(places("/tmp"), "ssh-XXXX", "agent.42")
    shared = [os.path.join(xdg, "wayland-1"), os.path.join(xdg, "bus"), agent]
    hidden = [os.path.join(xdg, "pipewire-0"), os.path.join(xdg, "systemd", "private"),
              os.path.join(os.path.dirname(agent), "other")]
    listeners = {p: places.listen(p) for p in shared + hidden}
    env = {"XDG_RUNTIME_DIR": xdg, "WAYLAND_DISPLAY": "wayland-1", "SSH_AUTH_SOCK": agent,
           "DBUS_SESSION_BUS_ADDRESS": None, "PULSE_SERVER": None}
    cp, got = inside(run_torgate, shared + hidden, "--socket", "wayland", "--socket", "session-bus",
                     "--socket", "ssh-agent", env=env)
    uid = tgutil.expected_ids()[0]
    for p in shared:
        assert got.get(p) == "seen", "%s: %r\n%s" % (p, got.get(p), describe(cp))
        assert listeners[p].seen == [(uid, p)], (p, listeners[p].seen)
    for p in hidden:
        assert got.get(p) == ENOENT, "%s: %r\n%s" % (p, got.get(p), describe(cp))
        assert listeners[p].seen == [], (p, listeners[p].seen)
    check_outside_reaches([listeners[p] for p in hidden])


def test_socket_made_after_start_out_of_reach(popen_torgate, places):
    """Whole directories are covered: a service that starts (or a session
    bus that is made again) while the command runs is out of reach too."""
    xdg = places("/var/lib")
    run = places("/run")
    tmp = places("/tmp")
    old_bus = places.listen(os.path.join(xdg, "bus"))
    script = "import sys; sys.stdin.readline()\n" + PROBE
    later = [os.path.join(xdg, "bus"), os.path.join(xdg, "app.sock"),
             os.path.join(run, "daemon.sock"), os.path.join(tmp, "screen.sock")]
    p = popen_torgate(["-v", "--", "python3", "-c", script] + later,
                      env={"XDG_RUNTIME_DIR": xdg}, stdin=subprocess.PIPE, text=True)
    # Until the sandbox exists, a new socket could be there before the cover.
    deadline = time.monotonic() + 30
    lines = []
    while time.monotonic() < deadline:
        ln = p.stderr.readline()
        lines.append(ln)
        if "running python3" in ln or not ln:
            break
    assert any("running python3" in ln for ln in lines), "".join(lines)
    old_bus.close()
    listeners = [places.listen(path) for path in later]
    out, err = p.communicate("go\n", timeout=60)
    assert p.returncode == 0, "".join(lines) + err
    got = unixlisten.results(out)
    for li in listeners:
        assert got.get(li.path) == ENOENT, "%s: %r\n%s" % (li.path, got, out + err)
        assert li.seen == [], (li.path, li.seen)
    check_outside_reaches(listeners)


def test_runtime_dir_covered_without_the_variable(run_torgate, places):
    """A session's runtime directory is /run/user/UID: covered even when
    XDG_RUNTIME_DIR is not set (a login through su, a cron job)."""
    uid = tgutil.expected_ids()[0]
    existed = os.path.isdir("/run/user/%d" % uid)
    rt = "/run/user/%d" % uid
    if not existed:
        places(None, path=rt)
    sub = places(rt)
    li = places.listen(os.path.join(sub, "systemd-private"))
    cp, got = inside(run_torgate, [li.path], env={"XDG_RUNTIME_DIR": None})
    assert got.get(li.path) == ENOENT, describe(cp)
    assert li.seen == []
    assert "%s are private" % rt in cp.stderr, describe(cp)
    check_outside_reaches([li])


def test_bad_socket_name(run_torgate):
    cp = run_torgate(["--socket", "docker", "--", "true"])
    assert cp.returncode == 125, describe(cp)
    assert "bad --socket 'docker': use wayland, x11, fallback-x11, pulseaudio, session-bus, " \
           "ssh-agent, gpg-agent or none" in cp.stderr, describe(cp)


def test_socket_none_takes_back(run_torgate, places):
    """A profile or config file may share a socket; --socket none on the
    command line takes it back."""
    xdg = places("/var/lib")
    li = places.listen(os.path.join(xdg, "bus"))
    cp, got = inside(run_torgate, [li.path], "--socket", "session-bus", "--socket", "none",
                     env={"XDG_RUNTIME_DIR": xdg})
    assert got.get(li.path) == ENOENT and li.seen == [], describe(cp)


# ---- sockets elsewhere: the connect() broker (unix_broker.c) ---------------

EACCES = "ERR 13"


def test_socket_outside_the_covered_places_refused(run_torgate, places):
    """A host program's socket where the sandbox still sees the host's
    files (the home directory: an ssh ControlMaster, dirmngr, an editor's
    server) exists inside, but connect() is refused (EACCES), by absolute
    and by relative path, and torgate says which socket and why."""
    home = places(None, path=os.path.join(tgutil.SCRATCH, "home-%d" % os.getpid()))
    li = places.listen(os.path.join(home, ".ssh", "cm-user@host:22"))
    d = places.listen(os.path.join(home, ".gnupg", "S.dirmngr"))
    script = "import os; os.chdir(%r)\n" % os.path.join(home, ".gnupg") + PROBE
    cp = run_torgate(["--", "python3", "-c", script, li.path, "S.dirmngr"])
    assert cp.returncode == 0, describe(cp)
    got = unixlisten.results(cp.stdout)
    assert got.get(li.path) == EACCES, describe(cp)
    assert "S.dirmngr ERR 13" in cp.stdout, describe(cp)
    assert li.seen == [] and d.seen == []
    assert ("the command tried to reach %s, a unix socket of a program outside the sandbox; "
            "refused" % li.path) in cp.stderr, describe(cp)
    check_outside_reaches([li, d])


def test_the_sandboxes_own_sockets_work(run_torgate, places):
    """Sockets a program inside listens on are its own business, wherever
    they are: a server and a client inside, in a shared directory, by
    absolute and relative path, stream and datagram."""
    d = places(None, path=os.path.join(tgutil.SCRATCH, "own-%d" % os.getpid()))
    script = r"""
import os, socket, sys
d = sys.argv[1]
os.chdir(d)
srv = socket.socket(socket.AF_UNIX); srv.bind(d + '/srv.sock'); srv.listen()
dg = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); dg.bind('dg.sock')
pid = os.fork()
if pid == 0:
    for path in (d + '/srv.sock', 'srv.sock'):
        c = socket.socket(socket.AF_UNIX); c.connect(path); c.sendall(b'hi ' + path.encode() + b'\n'); c.close()
    u = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); u.connect(d + '/dg.sock'); u.send(b'dgram'); os._exit(0)
for _ in range(2):
    c, _ = srv.accept(); print(c.makefile().readline().strip())
print(dg.recv(100).decode())
os.waitpid(pid, 0)
"""
    cp = run_torgate(["--", "python3", "-c", script, d])
    assert cp.returncode == 0, describe(cp)
    assert cp.stdout.split("\n")[:3] == ["hi %s/srv.sock" % d, "hi srv.sock", "dgram"], describe(cp)
    assert "refused" not in cp.stderr, describe(cp)


def test_shared_socket_outside_the_covered_places(run_torgate, places):
    """--socket ssh-agent with the agent's socket in the home directory:
    reached (it is on the broker's list), while its neighbour is not."""
    d = places(None, path=os.path.join(tgutil.SCRATCH, "agent-%d" % os.getpid()))
    agent = places.listen(os.path.join(d, "agent.sock"))
    other = places.listen(os.path.join(d, "other.sock"))
    cp = run_torgate(["--socket", "ssh-agent", "--", "python3", "-c", PROBE, agent.path, other.path],
                     env={"SSH_AUTH_SOCK": agent.path})
    got = unixlisten.results(cp.stdout)
    assert got.get(agent.path) == "seen" and got.get(other.path) == EACCES, describe(cp)
    assert agent.seen == [(tgutil.expected_ids()[0], agent.path)] and other.seen == []


@pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed (scripts/install-deps --tests)")
def test_tmux_outside_cannot_be_asked(run_torgate, places):
    """A real tmux server outside, on a socket the sandbox can see: `tmux
    new-window CMD` from inside would run CMD outside the sandbox. It is
    refused; the same request from outside makes the window (and CMD's mark)."""
    d = places(None, path=os.path.join(tgutil.SCRATCH, "tmux-%d" % os.getpid()))
    sock = os.path.join(d, "default")
    mark = os.path.join(d, "ran")
    user = tgutil.user_prefix()
    # tmux runs its windows with $SHELL, else the user's login shell:
    # nobody's is nologin, and its session would end at once
    env = tgutil.torgate_env({"TMUX": None, "SHELL": "/bin/sh"})
    subprocess.run(user + ["tmux", "-S", sock, "new-session", "-d", "sleep 60"], check=True, env=env,
                   timeout=20, cwd="/")
    try:
        cp = run_torgate(["--", "tmux", "-S", sock, "new-window", "touch %s" % mark], env={"TMUX": None})
        assert cp.returncode != 0 and not os.path.exists(mark), describe(cp)
        assert "a unix socket of a program outside the sandbox; refused" in cp.stderr, describe(cp)
        subprocess.run(user + ["tmux", "-S", sock, "new-window", "touch %s" % mark], check=True, env=env,
                       timeout=20, cwd="/")
        tgutil.wait_until(lambda: os.path.exists(mark), 10, "tmux outside to run the command")
    finally:
        subprocess.run(user + ["tmux", "-S", sock, "kill-server"], env=env, timeout=20, cwd="/",
                       capture_output=True)


def test_non_dumpable_command_still_connects(run_torgate, places):
    """A program that makes itself non-dumpable (ssh-agent and other
    hardened programs do) keeps its connect(): the broker holds the one
    capability that lets it take such a program's socket (CAP_SYS_PTRACE,
    in the sandbox's user namespace only)."""
    d = places(None, path=os.path.join(tgutil.SCRATCH, "nodump-%d" % os.getpid()))
    outside_li = places.listen(os.path.join(d, "outside.sock"))
    script = r"""
import ctypes, os, socket, sys
assert ctypes.CDLL(None).prctl(4, 0, 0, 0, 0) == 0      # PR_SET_DUMPABLE 0
own = sys.argv[1] + '/own.sock'
l = socket.socket(socket.AF_UNIX); l.bind(own); l.listen()
c = socket.socket(socket.AF_UNIX); c.connect(own); print('own OK')
os.chdir(sys.argv[1])
c = socket.socket(socket.AF_UNIX); c.connect('own.sock'); print('relative OK')
try:
    socket.socket(socket.AF_UNIX).connect(sys.argv[2]); print('outside OK')
except OSError as e:
    print('outside', e.errno)
"""
    cp = run_torgate(["--", "python3", "-c", script, d, outside_li.path])
    assert cp.returncode == 0, describe(cp)
    assert cp.stdout.split("\n")[:3] == ["own OK", "relative OK", "outside 13"], describe(cp)
    assert outside_li.seen == []
