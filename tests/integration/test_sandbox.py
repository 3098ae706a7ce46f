"""What the sandboxed command can reach besides the network.

- test_no_inherited_fds: an fd the caller left open (here a socket to a host
  server) does not cross into the sandbox: only 0, 1 and 2 do.
- test_tiocsti_refused / test_tiocsti_cannot_type_into_callers_shell: the
  command cannot push keystrokes into the caller's terminal (which a shell
  outside the sandbox would run).
- test_system_bus_and_resolver_dirs_hidden: /run/dbus and
  /run/systemd/resolve, when the host has them, are empty or absent in the
  sandbox (all of /run is its own, test_ipc.py).
"""
import os
import pty
import select
import shlex
import signal
import socket
import subprocess
import time

import pytest

import tgutil

PY = "/usr/bin/python3"


def test_no_inherited_fds(run_torgate, servers):
    host, port = servers.socks_addr.rsplit(":", 1)
    s = socket.create_connection((host, int(port)))
    # At a number of its own, so that it cannot be taken for PID 1's listener.
    high = os.dup2(s.fileno(), 50)
    s.close()
    s = socket.socket(fileno=high)
    try:
        os.set_inheritable(s.fileno(), True)
        code = ("import os\n"
                "print(sorted(int(f) for f in os.listdir('/proc/self/fd')))\n"
                "try:\n"
                "    print(sorted(int(f) for f in os.listdir('/proc/1/fd')))\n"
                "except OSError:\n"
                "    print([])\n")
        cp = run_torgate(["--", PY, "-c", code], pass_fds=(s.fileno(),))
    finally:
        s.close()
    assert cp.returncode == 0, tgutil.describe(cp)
    mine, init = (eval(x) for x in cp.stdout.strip().splitlines()[-2:])
    # 0-2, plus the directory listdir itself has open.
    assert mine[:3] == [0, 1, 2] and len(mine) == 4, mine
    # The sandbox's PID 1 (same uid) must not hold it either: it closes
    # every fd above 2 but its socket to the gateway (3, for torgate exec)
    # before it makes its own: its signalfd (4) and the listener of the
    # command's seccomp notifications (the connect broker, 5).
    assert init in ([0, 1, 2, 3, 4, 5], []), init


def test_tiocsti_refused(run_torgate):
    """Without the filter this ioctl on a non-tty fails with ENOTTY; with it,
    EPERM before the tty check."""
    code = tgutil.TIOCSTI_PROBE
    cp = run_torgate(["--", PY, "-c", code])
    assert cp.returncode == 0, tgutil.describe(cp)
    assert cp.stdout.strip() == "EPERM", cp.stdout


def test_tiocsti_cannot_type_into_callers_shell(servers):
    """A shell on a pty runs torgate; the sandboxed command tries to push a
    line into that terminal; the shell must read nothing."""
    inner = ("import fcntl, termios\n"
             "try:\n"
             "    [fcntl.ioctl(0, termios.TIOCSTI, c.encode()) for c in 'echo INJECTED\\n']\n"
             "except OSError:\n"
             "    pass\n")
    argv = " ".join(shlex.quote(a) for a in tgutil.torgate_argv(["--", PY, "-c", inner],
                                                                 servers.socks_addr))
    script = "%s; read -t 3 line; echo \"OUTER:[$line]\"" % argv
    pid, fd = pty.fork()
    if pid == 0:
        os.execve("/bin/bash", ["bash", "-c", script], tgutil.torgate_env(None))
    out = b""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        r, _, _ = select.select([fd], [], [], 1)
        if r:
            try:
                chunk = os.read(fd, 4096)
            except OSError:
                break
            if not chunk:
                break
            out += chunk
        elif os.waitpid(pid, os.WNOHANG)[0] == pid:
            break
    try:
        os.waitpid(pid, 0)
    except ChildProcessError:
        pass
    text = out.decode("latin-1")
    assert "OUTER:[" in text, text
    assert "OUTER:[]" in text and "OUTER:[echo INJECTED]" not in text, \
        "the sandbox typed into the caller's shell: %r" % text


@pytest.mark.parametrize("path", ["/run/dbus", "/run/systemd/resolve"])
def test_system_bus_and_resolver_dirs_hidden(run_torgate, path):
    if not os.path.isdir(path) or not os.listdir(path):
        pytest.skip("%s is absent or empty on this host" % path)
    cp = run_torgate(["--", PY, "-c", "import os; print(len(os.listdir(%r)) if os.path.isdir(%r) "
                      "else 'absent')" % (path, path)])
    assert cp.returncode == 0, tgutil.describe(cp)
    assert cp.stdout.strip() in ("0", "absent"), "%s is visible in the sandbox" % path


@pytest.mark.parametrize("group", [False, True], ids=["direct", "process-group"])
def test_sigterm_delivered_once(popen_torgate, user_tmp, group):
    """SIGTERM to torgate, or to its whole process group (what timeout(1)
    and service managers do), reaches the command exactly once: neither the
    sandbox's PID 1 nor a shared process group may add copies. (torgate runs
    without a controlling terminal here, as under a service manager.)"""
    ready = os.path.join(user_tmp, "ready-%s" % group)
    code = ("import os, signal, sys, time\n"
            "n = [0]\n"
            "def h(s, f): n[0] += 1\n"
            "signal.signal(signal.SIGTERM, h)\n"
            "open(sys.argv[1], 'w').close()\n"
            "while n[0] == 0: time.sleep(0.01)\n"
            "time.sleep(0.5)\n"
            "print(n[0])\n")
    p = popen_torgate(["--", PY, "-c", code, ready])
    tgutil.wait_for_path(ready, 30, proc=p, what="the command's ready file")
    if group:
        os.killpg(os.getpgid(p.pid), signal.SIGTERM)
    else:
        p.send_signal(signal.SIGTERM)
    out, err = tgutil.communicate(p, 30)
    assert p.returncode == 0, err
    assert out.strip().splitlines()[-1] == "1", "SIGTERM arrived %s times" % out.strip()


def _init_of(p):
    """The sandbox's PID 1, seen from here: torgate's child named torgate-init."""
    def find():
        for pid in tgutil.descendants(p.pid):
            try:
                with open("/proc/%d/comm" % pid) as f:
                    if f.read().strip() == "torgate-init":
                        return pid
            except OSError:
                continue
        return None
    return tgutil.wait_until(find, 30, "the sandbox's init")


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT, signal.SIGHUP])
def test_signal_to_the_init_reaches_the_command(popen_torgate, user_tmp, sig):
    """The sandbox's PID 1 has a name of its own (comm and cmdline), so a
    signal sent by the command line's name reaches the gateway; one sent to
    the init itself from outside reaches the command too, as through the
    gateway."""
    name = "sig%d-%d" % (sig, os.getpid())
    ready = os.path.join(user_tmp, "ready-" + name)
    code = ("import signal, sys, time\n"
            "signal.signal(%d, lambda s, f: sys.exit(42))\n"
            "open(sys.argv[1], 'w').close()\n"
            "time.sleep(30)\n" % sig)
    p = popen_torgate(["--", PY, "-c", code, ready])
    tgutil.wait_for_path(ready, 30, proc=p, what="the command's ready file")
    init = _init_of(p)
    with open("/proc/%d/cmdline" % init, "rb") as f:
        assert f.read().split(b"\0")[0] == b"torgate-init: " + PY.encode()
    # By the command line's name: only the gateway matches.
    named = [pid for pid, cmd in tgutil.process_cmdlines().items()
             if b"torgate" in cmd[0] and ready.encode() in cmd]
    assert named == [p.pid], named
    os.kill(init, sig)
    assert p.wait(timeout=10) == 42, "the command did not get signal %d sent to the init" % sig
