"""Control: every torgate has a name and a control socket; `torgate ls`,
`stats [--json]`, `stop` and `new-identity` talk to it; `--isolate` picks
which streams share Tor circuits (by the SOCKS credentials Tor isolates on).

What a user would check:
- `ls` lists a running instance (name, pid, mode, command); `stats --json`
  parses and its counters move as the app's streams do; `stop` stops it as
  SIGTERM would (the command gets SIGTERM) and the socket goes with it;
- `new-identity`: the SOCKS server sees a new credential on new streams
  only, an open stream goes on; with --close-streams the open one is cut;
- --isolate instance / host / stream: one credential for all, one per
  destination host, one per stream;
- the socket is the user's alone: another user cannot connect; a stale one
  is cleaned up; a --name already running is refused, a derived name gets
  a suffix.
Runs as the suite's user (nobody in the unprivileged suite, with its own
XDG_RUNTIME_DIR).
"""

import json
import os
import re
import socket
import subprocess
import tempfile
import time
import uuid

import pytest

import tgutil
from tgutil import describe, py_client


@pytest.fixture
def runtime_dir():
    """XDG_RUNTIME_DIR for a non-root test user; root uses /run/torgate."""
    u = tgutil.get_test_user()
    if u is None:
        yield None, "/run/torgate"
        return
    d = tempfile.mkdtemp(prefix="torgate-xdg-")
    os.chown(d, u.uid, u.gid)
    os.chmod(d, 0o700)
    yield d, os.path.join(d, "torgate")
    subprocess.run(["rm", "-rf", d], check=False)


def env_for(rt):
    return {"XDG_RUNTIME_DIR": rt[0]} if rt[0] else {}


def ctl(rt, *args, timeout=20):
    """`torgate VERB ...` as the suite's user."""
    return subprocess.run(tgutil.user_prefix() + [tgutil.torgate_path(), *args],
                          env=tgutil.torgate_env(env_for(rt)), stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, timeout=timeout)


class App:
    def __init__(self, popen_torgate, rt, *opts):
        self.p = popen_torgate(["-v", *opts, "--"] + py_client("ctl_app.py"), env=env_for(rt),
                               stdin=subprocess.PIPE)
        line = self.p.stdout.readline()
        assert '"ready"' in line, line + self.p.stderr.read()

    def do(self, cmd):
        self.p.stdin.write(cmd + "\n")
        self.p.stdin.flush()
        return json.loads(self.p.stdout.readline())

    def quit(self):
        self.p.stdin.write("quit\n")
        self.p.stdin.flush()
        out, err = self.p.communicate(timeout=30)
        return self.p.returncode, err


def wait_listed(rt, name, timeout=10):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        cp = ctl(rt, "ls", "--json")
        if cp.returncode == 0 and any(e["name"] == name for e in json.loads(cp.stdout)):
            return json.loads(cp.stdout)
        time.sleep(0.05)
    pytest.fail("%s never listed: %s" % (name, describe(cp)))


def uniq(prefix="t"):
    return "%s-%s" % (prefix, uuid.uuid4().hex[:8])


def test_ls_stats_stop(popen_torgate, runtime_dir):
    name = uniq()
    # --connect confirmed: a stream Tor refuses is then a refused connect,
    # which the app reports as such.
    app = App(popen_torgate, runtime_dir, "--name", name, "--connect", "confirmed")
    listed = wait_listed(runtime_dir, name)
    me = next(e for e in listed if e["name"] == name)
    assert me["mode"] == "command" and me["pid"] == app.p.pid and "ctl_app.py" in me["target"], me
    text = ctl(runtime_dir, "ls").stdout
    assert re.search(r"^%s\s+%d\s+command\s" % (re.escape(name), app.p.pid), text, re.M), text

    before = json.loads(ctl(runtime_dir, "stats", name, "--json").stdout)["stats"]
    assert app.do("get 203.0.113.80 /bytes/50000")["ok"]
    cp = ctl(runtime_dir, "stats", name, "--json")
    assert cp.returncode == 0, describe(cp)
    after = json.loads(cp.stdout)
    assert after["name"] == name
    s = after["stats"]
    assert s["streams"]["opened"] == before["streams"]["opened"] + 1
    assert s["streams"]["connected"] == before["streams"]["connected"] + 1
    assert s["bytes"]["down"] >= before["bytes"]["down"] + 50000
    assert s["packets"]["in"] > before["packets"]["in"]
    # Tor (the test SOCKS server) refuses port 60005 with REP 0x05.
    r = app.do("open x 203.0.113.1 60005")
    assert not r["ok"] and r["error"] == "ECONNREFUSED", r
    s = json.loads(ctl(runtime_dir, "stats", name, "--json").stdout)["stats"]
    assert s["socks_errors"]["0x05"]["count"] == 1, s["socks_errors"]
    assert s["streams"]["failed"]["refused_by_tor"] == 1
    text = ctl(runtime_dir, "stats", name).stdout
    assert "streams: " in text and "0x05 connection refused: 1" in text, text

    sock = os.path.join(runtime_dir[1], name + ".sock")
    assert os.path.exists(sock)
    cp = ctl(runtime_dir, "stop", name)
    assert cp.returncode == 0 and "stopping" in cp.stdout, describe(cp)
    app.p.wait(timeout=20)
    assert app.p.returncode == 128 + 15, app.p.stderr.read()
    assert not os.path.exists(sock), "the control socket outlived its torgate"
    cp = ctl(runtime_dir, "stats", name)
    assert cp.returncode == 1 and "no torgate named %s is running" % name in cp.stderr, describe(cp)


def users_for(socks_log, host, port):
    return [(e["user"], e["pass"]) for e in socks_log.new() if e["host"] == host and e["port"] == port]


def test_new_identity_for_new_streams_only(popen_torgate, runtime_dir, socks_log):
    name = uniq()
    app = App(popen_torgate, runtime_dir, "--name", name)
    wait_listed(runtime_dir, name)
    assert app.do("open a 203.0.113.9 9")["ok"] and app.do("echo a one")["ok"]
    # The open stream, in text as in JSON.
    open_json = json.loads(ctl(runtime_dir, "stats", name, "--json").stdout)["stats"]["streams"]["open"]
    assert open_json == 1 and "streams: 1 open, " in ctl(runtime_dir, "stats", name).stdout
    old = users_for(socks_log, "203.0.113.9", 9)
    assert len(old) == 1
    cp = ctl(runtime_dir, "new-identity", name)
    assert cp.returncode == 0 and "fresh SOCKS credential" in cp.stdout, describe(cp)
    socks_log.mark()
    assert app.do("open b 203.0.113.9 9")["ok"] and app.do("echo b two")["ok"]
    new = users_for(socks_log, "203.0.113.9", 9)
    assert len(new) == 1 and new[0][0] != old[0][0], (old, new)
    # The open stream goes on, on its old circuit.
    assert app.do("echo a three")["ok"]
    # --close-streams: the open ones are cut.
    cp = ctl(runtime_dir, "new-identity", name, "--close-streams")
    assert cp.returncode == 0, describe(cp)
    r = app.do("echo b four")
    assert not r["ok"] and r.get("error") in ("ECONNRESET", "EOF", "EPIPE"), r
    code, err = app.quit()
    assert code == 0, err


@pytest.mark.parametrize("mode", ["instance", "host", "stream"])
def test_isolate_modes(popen_torgate, runtime_dir, socks_log, mode):
    app = App(popen_torgate, runtime_dir, "--isolate", mode)
    creds = []
    for host in ["203.0.113.80", "203.0.113.80", "2001:db8::80"]:
        socks_log.mark()
        assert app.do("get %s /hello" % host)["ok"]
        seen = users_for(socks_log, host, 80)
        assert len(seen) == 1, seen
        creds.append(seen[0])
    code, err = app.quit()
    assert code == 0, err
    assert len({u for u, _ in creds}) == 1, creds        # one instance, one username
    same_host, other_host = creds[0] == creds[1], creds[0] != creds[2]
    if mode == "instance":
        assert creds[0] == creds[1] == creds[2], creds
    elif mode == "host":
        assert same_host and other_host, creds
    else:
        assert len(set(creds)) == 3, creds


def test_another_user_cannot_connect(popen_torgate, runtime_dir):
    name = uniq()
    app = App(popen_torgate, runtime_dir, "--name", name)
    wait_listed(runtime_dir, name)
    sock = os.path.join(runtime_dir[1], name + ".sock")
    st = os.stat(sock)
    assert st.st_mode & 0o777 == 0o600, oct(st.st_mode)
    assert os.stat(runtime_dir[1]).st_mode & 0o777 == 0o700
    probe = ("import socket,sys\ns=socket.socket(socket.AF_UNIX)\n"
             "try:\n s.connect(sys.argv[1]); s.sendall(b'stats\\n'); print('CONNECTED', s.recv(100))\n"
             "except OSError as e: print('REFUSED', e.errno)\n")
    # Some uid that is neither root nor the suite's user.
    cp = subprocess.run(["setpriv", "--reuid=23456", "--regid=23456", "--clear-groups", "--",
                         "/usr/bin/python3", "-c", probe, sock], capture_output=True, text=True, timeout=20)
    assert cp.stdout.startswith("REFUSED 13"), describe(cp)
    app.quit()


def test_names_stale_sockets_and_clashes(popen_torgate, runtime_dir, run_torgate):
    name = uniq()
    os.makedirs(runtime_dir[1], mode=0o700, exist_ok=True)
    u = tgutil.get_test_user()
    if u:
        os.chown(runtime_dir[1], u.uid, u.gid)
    # A socket left by a killed torgate: nothing listens on it.
    stale = os.path.join(runtime_dir[1], name + ".sock")
    s = socket.socket(socket.AF_UNIX)
    s.bind(stale)
    s.close()
    if u:
        os.chown(stale, u.uid, u.gid)
    app = App(popen_torgate, runtime_dir, "--name", name)
    wait_listed(runtime_dir, name)
    # The same --name again: refused, in one line.
    cp = run_torgate(["--name", name, "--", "true"], env=env_for(runtime_dir))
    assert cp.returncode == 125 and "a torgate named %s is already running" % name in cp.stderr, describe(cp)
    # A derived name gets a suffix: two of the same command.
    second = App(popen_torgate, runtime_dir)
    third = App(popen_torgate, runtime_dir)
    names = {e["name"] for e in wait_listed(runtime_dir, "python3-2")}
    assert {"python3", "python3-2"} <= names, names
    for a in (app, second, third):
        assert a.quit()[0] == 0
    # `ls` removes what nothing answers on.
    s = socket.socket(socket.AF_UNIX)
    s.bind(stale)
    s.close()
    if u:
        os.chown(stale, u.uid, u.gid)
    ctl(runtime_dir, "ls")
    assert not os.path.exists(stale)


def test_bad_names_and_verbs(run_torgate, runtime_dir):
    cp = run_torgate(["--name", "../x", "--", "true"], env=env_for(runtime_dir))
    assert cp.returncode == 125 and "bad --name '../x'" in cp.stderr, describe(cp)
    cp = ctl(runtime_dir, "stats")
    assert cp.returncode == 2 and "needs the NAME" in cp.stderr, describe(cp)
    cp = ctl(runtime_dir, "stop", "no-such-torgate")
    assert cp.returncode == 1 and "no torgate named no-such-torgate" in cp.stderr, describe(cp)
    cp = run_torgate(["--isolate", "site", "--", "true"])
    assert cp.returncode == 125 and "bad --isolate 'site'" in cp.stderr, describe(cp)


def test_sandbox_sees_no_control_socket(popen_torgate, run_torgate, runtime_dir):
    """A program in one sandbox can neither list nor steer any torgate, its
    own included: the control directory is hidden inside every sandbox."""
    name = uniq()
    other = App(popen_torgate, runtime_dir, "--name", name)
    wait_listed(runtime_dir, name)
    inside = "ls -A %s; %s ls --json" % (runtime_dir[1], tgutil.torgate_path())
    cp = run_torgate(["--", "sh", "-c", inside], env=env_for(runtime_dir))
    assert cp.returncode == 0, describe(cp)
    assert cp.stdout.strip() == "[]", describe(cp)       # nothing in the directory, no instance
    assert other.quit()[0] == 0
