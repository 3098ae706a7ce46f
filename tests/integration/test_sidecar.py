"""Sidecar mode: torgate gives a network namespace someone else made Tor as
its only network (--netns PATH, --pid PID), and runs no command.

What a user would check:
- an `ip netns add` namespace: `ip netns exec NAME curl` reaches a site by
  name through the SOCKS server, names resolving through the stub because
  /etc/netns/NAME/resolv.conf names it; the file the namespace had is put
  back afterwards; once the sidecar stops the namespace has no network at
  all; deleting the namespace stops the sidecar;
- a namespace with another link up is refused (the link named), unless
  --force;
- an unprivileged `unshare -rn` namespace served by pid, by the same
  normal user (the unprivileged suite runs torgate as nobody): fetches go
  through the SOCKS server, and when the sidecar stops, or the process
  goes, so does the network;
- a normal user cannot serve root's namespace.
The ip-netns namespaces are root's, so torgate serves them as root in both
suites.
"""

import os
import shutil
import signal
import subprocess
import time
import uuid

import pytest

import servers as srv
import tgutil
from tgutil import describe, py_client

from test_control import ctl, env_for, runtime_dir  # noqa: F401

PY = "/usr/bin/python3"


def wait_until(pred, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return
        time.sleep(0.05)
    pytest.fail("timed out waiting for " + what)


def sh(*argv, check=True):
    return subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                          timeout=30, check=check)


@pytest.fixture
def netns():
    """A fresh `ip netns` namespace; deleted afterwards, with its /etc/netns dir."""
    name = "tgt-" + uuid.uuid4().hex[:8]
    sh("ip", "netns", "add", name)
    yield name
    sh("ip", "netns", "del", name, check=False)
    shutil.rmtree("/etc/netns/" + name, ignore_errors=True)


def start_as_root(args, socks):
    """torgate as root whatever the suite (ip-netns namespaces are root's)."""
    return subprocess.Popen([tgutil.torgate_path(), "-v", "--socks", socks] + args,
                            env=tgutil.torgate_env(), stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)


def stop(p, timeout=15):
    p.send_signal(signal.SIGTERM)
    try:
        out, err = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        tgutil.kill_group(p)
        out, err = p.communicate()
        pytest.fail("torgate did not stop on SIGTERM:\n" + err)
    return p.returncode, err


def links_of_pid(pid):
    with open("/proc/%d/net/dev" % pid) as f:
        return [ln.split(":")[0].strip() for ln in f.readlines()[2:]]


def has_default_route(pid):
    """IPv4 default route via tg0 in the namespace of pid."""
    with open("/proc/%d/net/route" % pid) as f:
        return any(ln.split()[0] == "tg0" and ln.split()[1] == "00000000" for ln in f.readlines()[1:])


def tg0_ready_in(netns_name):
    r = sh("ip", "-n", netns_name, "-4", "route", "show", "default", check=False)
    return "dev tg0" in r.stdout


# ---------------------------------------------------------------- ip netns

def test_ip_netns_sidecar_serves_then_fails_closed(servers, socks_log, netns):
    os.makedirs("/etc/netns/" + netns)
    with open("/etc/netns/%s/resolv.conf" % netns, "w") as f:
        f.write("nameserver 192.0.2.53\n")
    p = start_as_root(["--netns", "/run/netns/" + netns], servers.socks_addr)
    try:
        wait_until(lambda: tg0_ready_in(netns) or p.poll() is not None, 15, "tg0 in " + netns)
        assert p.poll() is None, p.communicate()[1]
        with open("/etc/netns/%s/resolv.conf" % netns) as f:
            assert "nameserver 10.66.0.1" in f.read()
        # ip netns exec binds every file of /etc/netns/NAME over /etc: the
        # namespace's own file is set aside elsewhere, so it says nothing.
        assert os.listdir("/etc/netns/" + netns) == ["resolv.conf"]
        r = sh("ip", "netns", "exec", netns, "curl", "-sS", "-m", "20", "http://web.example/hello",
               check=False)
        assert r.returncode == 0 and r.stdout == "hello\n" and r.stderr == "", r
        assert ("web.example", 80) in {(e["host"], e["port"]) for e in socks_log.new()}
    finally:
        code, err = stop(p)
    assert code == 0, err
    assert "serving the namespace /run/netns/" + netns in err, err
    # Fail closed: no TUN, no route, nothing else.
    t0 = time.monotonic()
    r = sh("ip", "netns", "exec", netns, "curl", "-sS", "-m", "10", "http://203.0.113.80/hello",
           check=False)
    assert r.returncode == 7 and time.monotonic() - t0 < 5, r
    assert sh("ip", "-n", netns, "-br", "link").stdout.split()[0] == "lo"
    # The namespace's own resolv.conf is back, and nothing of ours is left.
    with open("/etc/netns/%s/resolv.conf" % netns) as f:
        assert f.read() == "nameserver 192.0.2.53\n"
    assert os.listdir("/etc/netns/" + netns) == ["resolv.conf"]


def test_deleting_the_namespace_stops_the_sidecar(servers, netns):
    p = start_as_root(["--netns", "/run/netns/" + netns], servers.socks_addr)
    try:
        wait_until(lambda: tg0_ready_in(netns) or p.poll() is not None, 15, "tg0 in " + netns)
        assert os.path.exists("/etc/netns/%s/resolv.conf" % netns)
        sh("ip", "netns", "del", netns)
        out, err = p.communicate(timeout=15)
    finally:
        if p.poll() is None:
            tgutil.kill_group(p)
    assert p.returncode == 0, err
    assert "is gone; stopping" in err, err
    assert not os.path.exists("/etc/netns/" + netns), "torgate left /etc/netns/" + netns


def test_other_link_up_is_refused_unless_forced(servers, netns):
    """A veth up with a default route through it: refused, the link named;
    with --force served, the default route now the TUN's."""
    sh("ip", "-n", netns, "link", "add", "tgv0", "type", "veth", "peer", "name", "tgv1")
    sh("ip", "-n", netns, "link", "set", "tgv0", "up")
    sh("ip", "-n", netns, "addr", "add", "192.0.2.2/24", "dev", "tgv0")
    sh("ip", "-n", netns, "route", "add", "default", "via", "192.0.2.1")
    p = start_as_root(["--netns", "/run/netns/" + netns], servers.socks_addr)
    out, err = p.communicate(timeout=30)
    assert p.returncode == 125, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "tgv0" in lines[0] and "--force" in lines[0], err
    assert "tg0" not in sh("ip", "-n", netns, "-br", "link").stdout.split()
    assert not os.path.exists("/etc/netns/" + netns)

    p = start_as_root(["--force", "--netns", "/run/netns/" + netns], servers.socks_addr)
    try:
        wait_until(lambda: tg0_ready_in(netns) or p.poll() is not None, 15, "tg0 in " + netns)
        assert p.poll() is None, p.communicate()[1]
    finally:
        code, err = stop(p)
    assert code == 0 and "tgv0" in err and "--force" in err, err


def test_two_sidecars_two_credentials(servers, socks_log):
    names = ["tgt-" + uuid.uuid4().hex[:8] for _ in range(2)]
    procs = []
    try:
        for name in names:
            sh("ip", "netns", "add", name)
            procs.append(start_as_root(["--netns", "/run/netns/" + name], servers.socks_addr))
        for name, p in zip(names, procs):
            wait_until(lambda: tg0_ready_in(name) or p.poll() is not None, 15, "tg0 in " + name)
            assert p.poll() is None, p.communicate()[1]
        users = []
        for name in names:
            socks_log.mark()               # only this namespace's fetch from here
            r = sh("ip", "netns", "exec", name, "curl", "-sS", "-m", "20", "http://203.0.113.80/hello",
                   check=False)
            assert r.returncode == 0 and r.stdout == "hello\n", r
            users.append({e["user"] for e in socks_log.new() if e["host"] == "203.0.113.80"})
        assert all(len(u) == 1 for u in users) and users[0] != users[1], users
    finally:
        for p in procs:
            stop(p)
        for name in names:
            sh("ip", "netns", "del", name, check=False)
            shutil.rmtree("/etc/netns/" + name, ignore_errors=True)


# ---------------------------------------------------------------- by pid, unprivileged

@pytest.fixture
def unshared():
    """`unshare -rn ns_fetch.py` as the suite's user (nobody in the
    unprivileged suite): a namespace of that user's own."""
    procs = []

    def start(n=100000):
        p = subprocess.Popen(tgutil.user_prefix() + ["unshare", "-rn"] + py_client("ns_fetch.py", "203.0.113.80", n),
                             env=tgutil.torgate_env(), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             text=True, start_new_session=True)
        procs.append(p)
        line = p.stdout.readline()
        assert '"ready": true' in line, line
        assert '"links": ["lo"]' in line, line
        return p
    yield start
    for p in procs:
        tgutil.kill_group(p)
        p.wait()


def fetch(p):
    p.stdin.write("go\n")
    p.stdin.flush()
    return tgutil.json_result(subprocess.CompletedProcess([], 0, p.stdout.readline(), ""))


def test_unshare_namespace_by_pid(servers, socks_log, unshared, popen_torgate, runtime_dir):
    n = 100000
    app = unshared(n)
    name = "side-%d" % app.pid
    tg = popen_torgate(["-v", "--name", name, "--pid", str(app.pid)], env=env_for(runtime_dir))
    try:
        wait_until(lambda: has_default_route(app.pid) or tg.poll() is not None, 15,
                   "tg0 in the namespace of %d" % app.pid)
        assert tg.poll() is None, tg.communicate()[1]
        r = fetch(app)
        assert r["result"] == "ok" and r["sha256"] == srv.pattern_sha256(n), r
        assert ("203.0.113.80", 80) in {(e["host"], e["port"]) for e in socks_log.new()}
        # torgate exec has no sandbox of torgate's to run in here: one line.
        cp = ctl(runtime_dir, "exec", name, "--", "true")
        assert cp.returncode == 125 and cp.stderr == (
            "torgate: exec: %s serves a namespace torgate did not make; enter it with nsenter "
            "instead\n" % name), describe(cp)
    finally:
        code, err = stop(tg)
    assert code == 0, err
    # The TUN went with the sidecar: no route out at all.
    assert links_of_pid(app.pid) == ["lo"]
    r = fetch(app)
    assert r["result"] == "error" and r["error"] in ("ENETUNREACH", "EHOSTUNREACH"), r
    # DNS: not an ip-netns namespace, so torgate says what resolv.conf needs.
    assert "nameserver 10.66.0.1" in err, err


def test_sidecar_stops_when_the_process_goes(servers, unshared, popen_torgate):
    app = unshared()
    tg = popen_torgate(["-v", "--pid", str(app.pid)])
    wait_until(lambda: has_default_route(app.pid) or tg.poll() is not None, 15, "tg0")
    assert tg.poll() is None, tg.communicate()[1]
    tgutil.kill_group(app)
    app.wait()
    out, err = tg.communicate(timeout=15)
    assert tg.returncode == 0 and "is gone; stopping" in err, err


def test_user_cannot_serve_roots_namespace(servers, netns, popen_torgate):
    if tgutil.get_test_user() is None:
        pytest.skip("the suite runs torgate as root")
    tg = popen_torgate(["--netns", "/run/netns/" + netns])
    out, err = tg.communicate(timeout=30)
    assert tg.returncode == 125, err
    assert "cannot enter the namespace /run/netns/" + netns in err, err
    assert "as the user who made it, or as root" in err, err
    assert "tg0" not in sh("ip", "-n", netns, "-br", "link").stdout.split()


@pytest.mark.parametrize("args,says", [
    (["--netns", "/run/netns/x", "--", "true"], "run no command"),
    (["--pid", "1", "--netns", "/run/netns/x"], "give one of"),
    (["--force", "--", "true"], "--force is for --netns and --pid"),
    (["--pid", "0"], "bad --pid '0'"),
    (["--netns", "/proc/self/ns/pid"], "is not a network namespace"),
    (["--pid", "999999999"], "no process 999999999"),
])
def test_sidecar_usage_errors(run_torgate, args, says):
    cp = run_torgate(args)
    assert cp.returncode == 125, describe(cp)
    assert says in cp.stderr, describe(cp)


def test_torgate_under_ip_netns_exec(netns):
    """Run as root inside `ip netns exec NAME`, whose /etc/resolv.conf is a
    bind of /etc/netns/NAME/resolv.conf: torgate binds the stub's file over
    that mount point at once, with no overlay attempted and no warning
    (it used to blame an old kernel)."""
    os.makedirs("/etc/netns/" + netns)
    with open("/etc/netns/%s/resolv.conf" % netns, "w") as f:
        f.write("nameserver 192.0.2.53\n")
    sh("ip", "-n", netns, "link", "set", "lo", "up")
    # A SOCKS server in that namespace: torgate's "Tor" is on its loopback.
    socks = subprocess.Popen(["ip", "netns", "exec", netns, tgutil.PY, "-B",
                              os.path.join(os.path.dirname(srv.__file__), "servers.py"),
                              "socks", "--port", "19077"], stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        wait_until(lambda: "19077" in sh("ip", "netns", "exec", netns, "ss", "-ltn", check=False).stdout,
                   15, "the SOCKS server in " + netns)
        cp = sh("ip", "netns", "exec", netns, tgutil.torgate_path(), "-v", "--socks", "127.0.0.1:19077",
                "--no-wait", "--", "cat", "/etc/resolv.conf", check=False)
    finally:
        tgutil.kill_group(socks)
        socks.wait()
    assert cp.returncode == 0, cp
    assert "nameserver 10.66.0.1" in cp.stdout and "192.0.2.53" not in cp.stdout, cp
    assert "cannot overlay" not in cp.stderr and "warning" not in cp.stderr, cp.stderr
    assert "resolver: bound the stub's file over /etc/resolv.conf" in cp.stderr, cp.stderr
