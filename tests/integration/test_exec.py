"""`torgate exec NAME -- CMD`: a command run inside a running sandbox.

What a user would check:
- it is in the sandbox, not beside it: the same user, mount, network, PID,
  UTS and IPC namespaces as the sandbox's command (the same /proc/self/ns
  links), its private /tmp, its resolv.conf, its working directory and
  environment rules (a variable of the caller's is not passed in);
- it has nothing the sandbox's command does not: no capabilities,
  no_new_privs, the same seccomp filters, only fds 0-2;
- it reaches the network only as the sandbox does: a name resolves and a
  page is fetched through Tor (the SOCKS server sees the sandbox's
  credential);
- exit status is CMD's; a signal to `torgate exec` reaches CMD; killing
  `torgate exec` hangs CMD up; when the sandbox ends, so does CMD, and
  `torgate exec` says so;
- a terminal works (stdin is a tty);
- refused, with one line, for a name that does not exist and for another
  user, even one who can reach the socket.
Runs as the suite's user (nobody in the unprivileged suite).
"""

import json
import os
import signal
import subprocess
import time
import uuid

import pytest

import tgutil
from tgutil import describe

from test_control import ctl, env_for, runtime_dir, wait_listed  # noqa: F401

NS = ("user", "mnt", "net", "pid", "uts", "ipc")
STATUS = "grep -E '^(CapEff|CapPrm|CapBnd|NoNewPrivs|Seccomp|Seccomp_filters):' /proc/self/status"
WHOAMI = ("for n in %s; do echo $n $(readlink /proc/self/ns/$n); done; %s; pwd; hostname; "
          "env | grep '^TG_' | sort") % (" ".join(NS), STATUS)


class Sandbox:
    """torgate --name NAME running a shell that records what it sees in
    its /tmp, then waits."""

    def __init__(self, popen_torgate, rt, *opts, lifetime=300):
        self.rt = rt
        self.name = "x-" + uuid.uuid4().hex[:8]
        script = "(%s) > /tmp/seen; echo ready > /tmp/ready; exec sleep %d" % (WHOAMI, lifetime)
        self.p = popen_torgate(["--name", self.name, "--setenv", "TG_INSIDE=yes", *opts, "--",
                                "sh", "-c", script], env=env_for(rt), cwd="/usr/share")
        wait_listed(rt, self.name)
        tgutil.wait_until(lambda: self.run("cat", "/tmp/ready").stdout == "ready\n", 20,
                          "the sandbox's command to start")

    def run(self, *cmd, env=None, timeout=30, **kw):
        e = tgutil.torgate_env(env_for(self.rt))
        e.update(env or {})
        return subprocess.run(tgutil.user_prefix() + [tgutil.torgate_path(), "exec", self.name, "--",
                                                      *cmd], env=e, capture_output=True, text=True,
                              timeout=timeout, **kw)

    def popen(self, *cmd):
        return subprocess.Popen(tgutil.user_prefix() + [tgutil.torgate_path(), "exec", self.name,
                                                        "--", *cmd],
                                env=tgutil.torgate_env(env_for(self.rt)), stdin=subprocess.DEVNULL,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def stop(self):
        ctl(self.rt, "stop", self.name)
        self.p.communicate(timeout=30)


@pytest.fixture
def sandbox(popen_torgate, runtime_dir):  # noqa: F811
    sb = Sandbox(popen_torgate, runtime_dir)
    yield sb
    if sb.p.poll() is None:
        sb.stop()


def test_exec_is_inside_the_sandbox(sandbox):
    cp = sandbox.run("sh", "-c", WHOAMI, env={"TG_OUTSIDE": "leaked"})
    assert cp.returncode == 0, describe(cp)
    seen = sandbox.run("cat", "/tmp/seen")
    assert seen.returncode == 0, describe(seen)
    # Line for line what the sandbox's own command saw: its namespaces, its
    # capabilities and filters, its working directory, hostname and
    # environment (TG_INSIDE from --setenv; not the caller's TG_OUTSIDE).
    assert cp.stdout == seen.stdout, "exec saw:\n%s\nthe sandbox's command saw:\n%s" % (
        cp.stdout, seen.stdout)
    mine = {n: os.readlink("/proc/self/ns/%s" % n) for n in NS}
    for line in cp.stdout.splitlines()[:len(NS)]:
        n, link = line.split(" ", 1)
        assert link != mine[n], "exec shares the %s namespace with the host: %s" % (n, link)
    assert "CapEff:\t0000000000000000" in cp.stdout and "NoNewPrivs:\t1" in cp.stdout, cp.stdout
    assert "Seccomp:\t2" in cp.stdout, cp.stdout
    assert "/usr/share\n" in cp.stdout and "TG_INSIDE=yes" in cp.stdout, cp.stdout
    assert "TG_OUTSIDE" not in cp.stdout, cp.stdout


def test_exec_has_only_its_stdio_and_the_sandbox_files(sandbox):
    fds = sandbox.run("python3", "-c", "import os; print(sorted(int(f) for f in os.listdir('/proc/self/fd')))")
    assert fds.returncode == 0, describe(fds)
    # 0-2 and the directory listdir holds open: nothing of the gateway's
    # or of PID 1's.
    assert json.loads(fds.stdout)[:3] == [0, 1, 2] and len(json.loads(fds.stdout)) == 4, fds.stdout
    resolv = sandbox.run("cat", "/etc/resolv.conf")
    assert "Written by torgate" in resolv.stdout, describe(resolv)
    # The sandbox's private /tmp: what its command wrote is there, and
    # what exec writes there is not on the host.
    mark = "/tmp/exec-" + uuid.uuid4().hex
    assert sandbox.run("sh", "-c", "test -s /tmp/seen && touch %s" % mark).returncode == 0
    assert sandbox.run("test", "-e", mark).returncode == 0
    assert not os.path.exists(mark)


def test_exec_fetches_by_name_through_tor(sandbox, socks_log):
    cp = sandbox.run("curl", "-sS", "--fail", "-m", "20", "http://web.example/hello")
    assert cp.returncode == 0 and cp.stdout == "hello\n", describe(cp)
    users = {r["user"] for r in socks_log.new() if r.get("cmd") == 1 and r["port"] == 80}
    assert len(users) == 1 and next(iter(users)).startswith("torgate-"), users


def test_exec_exit_status_and_signals(sandbox):
    assert sandbox.run("sh", "-c", "exit 7").returncode == 7
    assert sandbox.run("no-such-command-here").returncode == 127
    # A signal to torgate exec reaches CMD, whose status says so.
    p = sandbox.popen("sh", "-c", "trap 'echo got TERM; exit 3' TERM; echo up; while :; do sleep 0.1; done")
    assert p.stdout.readline() == "up\n"
    p.send_signal(signal.SIGTERM)
    out, err = p.communicate(timeout=20)
    assert p.returncode == 3 and out == "got TERM\n", (p.returncode, out, err)
    p = sandbox.popen("sleep", "30")
    time.sleep(0.5)
    p.send_signal(signal.SIGINT)
    p.communicate(timeout=20)
    assert p.returncode == 128 + signal.SIGINT, p.returncode
    # torgate exec killed outright: CMD is hung up, as by a closed terminal.
    p = sandbox.popen("sh", "-c", "trap 'echo hup > /tmp/hup; exit 1' HUP; echo up; while :; do sleep 0.1; done")
    assert p.stdout.readline() == "up\n"
    p.kill()
    p.communicate(timeout=20)
    tgutil.wait_until(lambda: sandbox.run("cat", "/tmp/hup").stdout == "hup\n", 10,
                      "the command to be hung up")


def test_exec_ends_with_the_sandbox(popen_torgate, runtime_dir):  # noqa: F811
    sb = Sandbox(popen_torgate, runtime_dir, lifetime=3)
    cp = sb.run("sleep", "60")
    assert cp.returncode == 125 and "the sandbox has ended, and the command with it" in cp.stderr, describe(cp)
    sb.p.communicate(timeout=30)


def in_terminal(sandbox, cmd, keys):
    """torgate exec on a terminal (script(1) makes one), keys typed in."""
    inner = "%s exec %s -- %s" % (tgutil.torgate_path(), sandbox.name, cmd)
    return subprocess.run(tgutil.user_prefix() + ["script", "-qec", inner, "/dev/null"],
                          env=tgutil.torgate_env(env_for(sandbox.rt)), input=keys,
                          capture_output=True, text=True, timeout=30)


def test_exec_with_a_terminal(sandbox):
    """A terminal works: the command gets one of its own as its controlling
    terminal (its foreground process group is its own: job control), keys
    reach it, and its exit status comes back."""
    cp = in_terminal(sandbox, "sh -c 'test -t 0 && test -t 1 && echo tty-ok; ps -o pgid=,tpgid= -p $$'",
                     "")
    assert cp.returncode == 0 and "tty-ok" in cp.stdout, describe(cp)
    pgid, tpgid = cp.stdout.split("tty-ok", 1)[1].split()[:2]
    assert pgid == tpgid, "the command's terminal is not its controlling one: %s" % cp.stdout
    cp = in_terminal(sandbox, "sh -i", "echo typed-$((6*7))\nsleep 30 &\njobs\nkill %1\nexit 5\n")
    assert cp.returncode == 5, describe(cp)
    assert "typed-42" in cp.stdout and "Running" in cp.stdout, describe(cp)


def test_exec_refusals(sandbox):
    cp = ctl(sandbox.rt, "exec", "no-such-torgate", "--", "true")
    assert cp.returncode == 1 and "no torgate named no-such-torgate" in cp.stderr, describe(cp)
    cp = ctl(sandbox.rt, "exec", sandbox.name)
    assert cp.returncode == 2 and "no command" in cp.stderr, describe(cp)
    # Another user who can reach the socket (the directory and socket
    # opened up, as a careless chmod would) is still refused by the
    # socket's peer check, and nothing runs.
    d = sandbox.rt[1]
    sock = os.path.join(d, sandbox.name + ".sock")
    opened = [d] + ([sandbox.rt[0]] if sandbox.rt[0] else [])     # the test's XDG_RUNTIME_DIR
    modes = {p: os.stat(p).st_mode & 0o777 for p in opened + [sock]}
    mark = "/tmp/other-" + uuid.uuid4().hex
    try:
        for p in opened:
            os.chmod(p, 0o711)
        os.chmod(sock, 0o666)
        cp = subprocess.run(["setpriv", "--reuid=23456", "--regid=23456", "--clear-groups", "--",
                             tgutil.torgate_path(), "exec", sandbox.name, "--", "touch", mark],
                            env={"PATH": "/usr/bin:/bin", "XDG_RUNTIME_DIR": os.path.dirname(d)},
                            capture_output=True, text=True, timeout=20)
    finally:
        for p, m in modes.items():
            os.chmod(p, m)
    assert cp.returncode == 125 and "only the user who started it" in cp.stderr, describe(cp)
    assert sandbox.run("test", "-e", mark).returncode == 1
