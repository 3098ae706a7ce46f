"""End-to-end tests of torgate: a command runs inside torgate's sandbox and
reaches the test servers only through the test SOCKS5 server.

The addresses the sandboxed commands connect to (203.0.113.0/24, 2001:db8::/32)
are documentation ranges nobody answers for: a connection can only succeed
through torgate and the SOCKS server, which sends port 80 to the HTTP server,
7 to the half-close service, 9 to the echo service and 60000+X to a SOCKS
failure reply X (see servers.py).
"""

import hashlib
import json
import os
import re
import signal
import socket
import struct
import subprocess
import time

import pytest

import servers as srv
import tgutil
from tgutil import describe, json_result, py_client

TUNFD_HELPER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "tunfd_helper.py")
TARGET = "203.0.113.7"
TARGET6 = "2001:db8::7"
MIB = 1024 * 1024


def log_for(entries, host=None, port=None):
    return [e for e in entries
            if (host is None or e["host"] == host) and (port is None or e["port"] == port)]


def probe(run_torgate, steps, opts=(), **kw):
    cp = run_torgate(list(opts) + ["--"] + py_client("probe.py", json.dumps(steps)), **kw)
    return json_result(cp)["steps"]


def get_step(host, path="/hello", port=80):
    return {"op": "get", "host": host, "port": port, "path": path}


def connect_step(host, port):
    return {"op": "connect", "host": host, "port": port}


def assert_hello(step):
    assert step["ok"] and step["status"] == 200 and step["body"] == "hello\n", step


def assert_refused_promptly(step, limit=1.0):
    assert step["error"] == "ECONNREFUSED", \
        "connect to %s:%s should fail with ECONNREFUSED: %r" % (step["host"], step["port"], step)
    assert step["elapsed"] < limit, \
        "ECONNREFUSED took %.3fs (limit %.1fs)" % (step["elapsed"], limit)


class ClosedPort:
    """A local TCP port that is bound but not listening: connects to it are
    refused, and nobody else can take it while the object lives."""

    def __enter__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.addr = "127.0.0.1:%d" % self.port
        return self

    def __exit__(self, *exc):
        self.sock.close()


# ------------------------------------------------------------------ data path

def test_curl_download_20mb_byte_exact(run_torgate, socks_log):
    """curl inside torgate downloads 20 MiB intact, and the one connection
    went out as one SOCKS5 CONNECT (IPv4, port 80, username/password auth)."""
    n = 20 * MIB
    cp = run_torgate(["--", "curl", "-sS", "--fail", "--max-time", "150",
                      "http://%s/bytes/%d" % (TARGET, n)], timeout=200, text=False)
    assert cp.returncode == 0, describe(cp)
    assert len(cp.stdout) == n, "got %d bytes, expected %d" % (len(cp.stdout), n)
    assert hashlib.sha256(cp.stdout).hexdigest() == srv.pattern_sha256(n), \
        "the body differs from what the server sent"
    entries = log_for(socks_log.new(), TARGET, 80)
    assert len(entries) == 1, "expected one CONNECT to %s:80, log: %r" % (TARGET, socks_log.new())
    e = entries[0]
    assert e["cmd"] == 1 and e["atyp"] == 1, e
    assert e["method"] == 2, "torgate did not use username/password auth: %r" % e
    assert e["user"], "empty SOCKS username: %r" % e


def test_curl_upload_20mb_byte_exact(run_torgate, user_tmp):
    """A 20 MiB POST body reaches the server intact (the server answers with
    the sha256 of what it received)."""
    data = os.urandom(20 * MIB)
    path = os.path.join(user_tmp, "upload.bin")
    with open(path, "wb") as f:
        f.write(data)
    os.chmod(path, 0o644)
    cp = run_torgate(["--", "curl", "-sS", "--fail", "--max-time", "150",
                      "-H", "Content-Type: application/octet-stream",
                      "--data-binary", "@" + path, "http://%s/sha256" % TARGET], timeout=200)
    assert cp.returncode == 0, describe(cp)
    assert cp.stdout == hashlib.sha256(data).hexdigest() + "\n", \
        "server received other bytes than curl sent: " + describe(cp)


def test_200_concurrent_streams(run_torgate, socks_log):
    """200 connections opened at once, each downloading 100,000 bytes: all
    complete byte-exact, each over its own SOCKS stream."""
    cp = run_torgate(["--"] + py_client("fetch_many.py", "--host", TARGET, "--port", 80,
                                        "--path", "/bytes/100000", "--count", 200,
                                        "--concurrency", 200), timeout=240)
    r = json_result(cp)
    assert r["failed"] == 0, r["errors"]
    assert r["digests"] == {srv.pattern_sha256(100000): 200}, r
    assert len(log_for(socks_log.new(), TARGET, 80)) == 200


def test_ipv6_literal(run_torgate, socks_log):
    """An IPv6 destination goes out as a CONNECT with ATYP 4."""
    cp = run_torgate(["--", "curl", "-sS", "-g", "--fail", "--max-time", "30",
                      "http://[%s]/hello" % TARGET6])
    assert cp.returncode == 0 and cp.stdout == "hello\n", describe(cp)
    entries = log_for(socks_log.new(), port=80)
    assert len(entries) == 1, socks_log.new()
    assert entries[0]["atyp"] == 4 and entries[0]["host"] == TARGET6, entries[0]


def test_tor_virtual_address_reaches_tun(run_torgate, socks_log):
    """An address from Tor's automap range (127.192.0.0/10, what
    AutomapHostsOnResolve hands out) goes to the TUN and out as a CONNECT
    to that address, for Tor to map back to its name; the rest of 127/8
    is still the namespace's own loopback."""
    virt = "127.200.1.2"
    script = ("import socket, sys\n"
              "srv = socket.socket(); srv.bind(('127.0.0.1', 0)); srv.listen(1)\n"
              "c = socket.create_connection(('127.0.0.1', srv.getsockname()[1]), timeout=5)\n"
              "a, _ = srv.accept(); a.sendall(b'lo ok'); print(c.recv(10).decode())\n")
    cp = run_torgate(["--", "sh", "-c",
                      "ip -o route get %s; python3 -c \"$0\"; "
                      "curl -sS --fail --max-time 30 http://%s/hello" % (virt, virt), script])
    assert cp.returncode == 0, describe(cp)
    route, lo, body = cp.stdout.split("\n", 2)
    assert "dev tg0" in route, route
    assert lo == "lo ok", cp.stdout
    assert body == "hello\n", cp.stdout
    entries = log_for(socks_log.new(), virt, 80)
    assert len(entries) == 1 and entries[0]["atyp"] == 1, socks_log.new()


@pytest.mark.parametrize("host", [TARGET, TARGET6])
def test_half_close(run_torgate, host):
    """The client sends 1 MiB and shuts down its sending side; the service
    only answers after that EOF, and the answer still arrives."""
    cp = run_torgate(["--"] + py_client("halfclose.py", "--host", host, "--port", 7,
                                        "--size", MIB), timeout=120)
    r = json_result(cp)
    assert r["error"] is None, r
    assert r["reply"] == "%d %s\n" % (MIB, r["sent_sha256"]), r


# ------------------------------------------------------------------ SOCKS failures

@pytest.mark.parametrize("mode,rc,words", [("confirmed", 7, "Connection refused"),
                                           ("optimistic", 56, "Connection reset")])
def test_refused_target_curl(run_torgate, socks_log, mode, rc, words):
    """SOCKS reply 5 (connection refused): curl fails at once, with exit
    code 7 / Connection refused (--connect confirmed) or 56 / Connection
    reset (optimistic, the default: let in before Tor answered); a following
    request in the same run works."""
    cmds = [["curl", "-sS", "-v", "--max-time", "10", "http://%s:60005/" % TARGET],
            ["curl", "-sS", "--max-time", "10", "http://%s/hello" % TARGET]]
    cp = run_torgate(["--connect", mode, "--"] + py_client("timed_cmds.py", json.dumps(cmds)))
    refused, hello = json_result(cp)
    # optimistic: 7 if Tor answered before the handshake was done, 55 if
    # the reset met curl sending
    assert refused["rc"] in ((rc,) if mode == "confirmed" else (rc, 55, 7)), refused
    assert words in refused["stderr"] or refused["rc"] != rc, refused["stderr"]
    assert refused["elapsed"] < 3.0, "curl took %.2fs to fail" % refused["elapsed"]
    assert hello["rc"] == 0 and hello["stdout"] == "hello\n", hello
    assert log_for(socks_log.new(), TARGET, 60005), "torgate never asked the SOCKS server"


REFUSALS = ([pytest.param(60000 + x, id="rep-0x%02x" % x)
             for x in list(range(0x01, 0x09)) + list(range(0xF0, 0xF8))]
            + [pytest.param(srv.REP_GARBAGE_PORT, id="garbage-reply"),
               pytest.param(srv.REP_TRUNCATED_PORT, id="truncated-reply")])


CONFIRMED = ["--connect", "confirmed"]


@pytest.mark.parametrize("port", REFUSALS)
def test_socks_failure_refuses_promptly(run_torgate, socks_log, port):
    """--connect confirmed: any SOCKS failure (REP != 0, a reply that is
    not SOCKS, a truncated reply) makes connect() fail with ECONNREFUSED in
    under a second, and the gateway keeps working for the next connection."""
    s0, s1 = probe(run_torgate, [connect_step(TARGET, port), get_step(TARGET)], opts=CONFIRMED)
    assert_refused_promptly(s0)
    assert_hello(s1)
    assert log_for(socks_log.new(), TARGET, port), "torgate never asked the SOCKS server"


@pytest.mark.parametrize("port", REFUSALS)
def test_socks_failure_resets_promptly(run_torgate, socks_log, port):
    """--connect optimistic (the default): the connection is accepted at
    once, and any SOCKS failure resets it in under a second (the request
    sent meanwhile gets no answer); the gateway keeps working."""
    s0, s1 = probe(run_torgate, [get_step(TARGET, port=port), get_step(TARGET)])
    assert s0["error"] in ("ECONNRESET", "ECONNREFUSED", "EPIPE") and s0["elapsed"] < 1.0, s0
    assert_hello(s1)
    assert log_for(socks_log.new(), TARGET, port), "torgate never asked the SOCKS server"


def test_socks_failure_refuses_ipv6(run_torgate, socks_log):
    s0, s1 = probe(run_torgate, [connect_step(TARGET6, 60005), get_step(TARGET6)], opts=CONFIRMED)
    assert_refused_promptly(s0)
    assert_hello(s1)
    assert log_for(socks_log.new(), TARGET6, 60005)


def test_socks_silent_then_closed_refuses(run_torgate, socks_log):
    """A SOCKS server that says nothing and closes after 2 s: connect()
    fails with ECONNREFUSED (no hang, no success)."""
    s0, s1 = probe(run_torgate, [connect_step(TARGET, srv.REP_SILENT_PORT), get_step(TARGET)],
                   opts=CONFIRMED)
    assert_refused_promptly(s0, limit=10.0)
    assert_hello(s1)


# ------------------------------------------------------------------ scale

@pytest.mark.slow
def test_5000_sequential_short_connections(popen_torgate, user_tmp):
    """5,000 connections one after the other, the server closing first, with
    the sandbox's ephemeral port range narrowed to 100 ports so the source
    ports are reused ~50 times each: all succeed, none stalls."""
    ready = os.path.join(user_tmp, "ready")
    go = os.path.join(user_tmp, "go")
    p = popen_torgate(["--"] + py_client("sequential.py", "--host", TARGET, "--port", 80,
                                         "--count", 5000, "--ready-file", ready,
                                         "--go-file", go))
    tgutil.wait_for_path(ready, 60, proc=p, what="the client's ready file")
    child = tgutil.sandbox_pid(p.pid)
    assert child, "no process in the sandbox's network namespace below torgate (pid %d)" % p.pid
    sc = subprocess.run(["nsenter", "--net=/proc/%d/ns/net" % child, "sysctl", "-w",
                         "net.ipv4.ip_local_port_range=40000 40099"],
                        capture_output=True, text=True)
    assert sc.returncode == 0, sc.stderr
    open(go, "w").close()
    out, err = tgutil.communicate(p, 300)
    r = json_result(subprocess.CompletedProcess(p.args, p.returncode, out, err))
    assert r["port_range"] == ["40000", "40099"], r
    assert r["ok"] == 5000 and r["failed"] == 0, r
    assert r["distinct_local_ports"] <= 100, r
    assert r["max_latency"] < 3.0, "a connection took %.2fs: %r" % (r["max_latency"], r)


@pytest.mark.slow
def test_10000_concurrent_idle_streams(run_torgate):
    """10,000 connections open at the same time; with all of them still open,
    each echoes a line back correctly."""
    cp = run_torgate(["--"] + py_client("idle_holder.py",
                                        "--hosts", "203.0.113.9,203.0.113.10,203.0.113.11,"
                                        "203.0.113.12", "--port", 9, "--count", 10000),
                     timeout=600)
    r = json_result(cp)
    assert r["opened"] == 10000, r
    assert r["echoed"] == 10000 and r["echo_failed"] == 0, r
    assert r["still_open_after_echo"] == 10000, r


# ------------------------------------------------------------------ SOCKS identity

def test_socks_usernames(run_torgate, socks_log):
    """One username per torgate instance: both connections of a run share
    it, a second run uses another."""
    runs = (("203.0.113.21", "203.0.113.22"), ("203.0.113.23", "203.0.113.24"))
    for hosts in runs:
        for st in probe(run_torgate, [get_step(h) for h in hosts]):
            assert_hello(st)
    by_host = {}
    for e in socks_log.new():
        by_host.setdefault(e["host"], []).append(e)
    users = []
    for hosts in runs:
        us = []
        for h in hosts:
            assert len(by_host.get(h, [])) == 1, (h, socks_log.new())
            e = by_host[h][0]
            assert e["method"] == 2 and e["user"], e
            us.append(e["user"])
        assert us[0] == us[1], "two connections of one instance used %r and %r" % tuple(us)
        users.append(us[0])
    assert users[0] != users[1], "two torgate instances used the same username %r" % users[0]


# ------------------------------------------------------------------ exit status and signals

@pytest.mark.parametrize("cmd,code", [
    (["true"], 0),
    (["sh", "-c", "exit 7"], 7),
    (["sh", "-c", "kill -TERM $$"], 128 + signal.SIGTERM),
    (["sh", "-c", "kill -KILL $$"], 128 + signal.SIGKILL),
    (["/nonexistent/cmd"], 127),
    (["torgate-it-no-such-command"], 127),
], ids=["true", "exit-7", "killed-by-TERM", "killed-by-KILL", "no-such-path", "not-in-PATH"])
def test_exit_status(run_torgate, cmd, code):
    cp = run_torgate(["--"] + cmd)
    assert cp.returncode == code, describe(cp)


def test_exit_status_not_executable(run_torgate, user_tmp):
    path = os.path.join(user_tmp, "not-executable.sh")
    with open(path, "w") as f:
        f.write("#!/bin/sh\necho it-ran\n")
    os.chmod(path, 0o644)
    cp = run_torgate(["--", path])
    assert cp.returncode == 126, describe(cp)
    assert "it-ran" not in cp.stdout


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT, signal.SIGHUP],
                         ids=lambda s: s.name)
def test_signal_forwarded(popen_torgate, user_tmp, sig):
    """A signal sent to torgate reaches CMD, whose trap decides the exit."""
    ready = os.path.join(user_tmp, "READY")
    script = 'trap "exit 42" %s; touch %s; while :; do sleep 0.1; done' % (sig.name[3:], ready)
    p = popen_torgate(["--", "sh", "-c", script])
    tgutil.wait_for_path(ready, 30, proc=p, what="CMD's READY file")
    p.send_signal(sig)
    out, err = tgutil.communicate(p, 15)
    assert p.returncode == 42, "exit status %r\nstderr: %s" % (p.returncode, err)


def test_sigterm_kills_untrapping_cmd(popen_torgate, user_tmp):
    """Without a trap, the forwarded SIGTERM kills CMD: exit 128+15."""
    ready = os.path.join(user_tmp, "READY")
    p = popen_torgate(["--", "sh", "-c", "touch %s; while :; do sleep 0.1; done" % ready])
    tgutil.wait_for_path(ready, 30, proc=p, what="CMD's READY file")
    p.send_signal(signal.SIGTERM)
    out, err = tgutil.communicate(p, 15)
    assert p.returncode == 143, "exit status %r\nstderr: %s" % (p.returncode, err)


# ------------------------------------------------------------------ the sandbox as CMD sees it

def test_runs_as_calling_user(run_torgate):
    uid, gid = tgutil.expected_ids()
    cp = run_torgate(["--", "sh", "-c", "id -u; id -g; grep -E '^(Uid|Gid):' /proc/self/status"])
    assert cp.returncode == 0, describe(cp)
    lines = cp.stdout.splitlines()
    assert lines[:2] == [str(uid), str(gid)], cp.stdout
    assert lines[2].split()[1:] == [str(uid)] * 4, lines[2]
    assert lines[3].split()[1:] == [str(gid)] * 4, lines[3]


def test_no_capabilities_and_no_new_privs(run_torgate):
    cp = run_torgate(["--", "cat", "/proc/self/status"])
    assert cp.returncode == 0, describe(cp)
    fields = dict(ln.split(":", 1) for ln in cp.stdout.splitlines() if ":" in ln)
    fields = {k: v.strip() for k, v in fields.items()}
    for k in ("CapEff", "CapPrm", "CapBnd", "CapAmb"):
        assert int(fields[k], 16) == 0, "%s is %s" % (k, fields[k])
    assert fields["NoNewPrivs"] == "1", fields["NoNewPrivs"]


def test_only_lo_and_tg0(run_torgate):
    cp = run_torgate(["--", "sh", "-c", "cat /proc/net/dev; echo ===; ip -o link show"])
    assert cp.returncode == 0, describe(cp)
    dev, links = cp.stdout.split("===\n")
    names = {ln.split(":")[0].strip() for ln in dev.splitlines()[2:] if ln.strip()}
    assert names == {"lo", "tg0"}, dev
    lnames = {ln.split(":")[1].strip().split("@")[0] for ln in links.splitlines() if ln.strip()}
    assert lnames == {"lo", "tg0"}, links


def test_tun_addresses_and_default_routes(run_torgate):
    cp = run_torgate(["--", "sh", "-c", "ip -o addr show dev tg0; echo ===; "
                      "ip -4 route show default; echo ===; ip -6 route show default"])
    assert cp.returncode == 0, describe(cp)
    addr, r4, r6 = cp.stdout.split("===\n")
    assert "inet 10.66.0.2/24" in addr, addr
    assert "inet6 fd74:6f72::2/64" in addr, addr
    assert re.search(r"^default .*dev tg0", r4, re.M), r4
    assert re.search(r"^default .*dev tg0", r6, re.M), r6


def test_mtu_option(run_torgate):
    n = MIB
    cp = run_torgate(["--mtu", "1280", "--", "sh", "-c",
                      "ip -o link show dev tg0; curl -sS --fail --max-time 60 "
                      "http://%s/bytes/%d | sha256sum" % (TARGET, n)], timeout=120)
    assert cp.returncode == 0, describe(cp)
    assert re.search(r"\bmtu 1280\b", cp.stdout), cp.stdout
    assert srv.pattern_sha256(n) in cp.stdout, cp.stdout


def test_own_pid_namespace(run_torgate):
    """ps inside sees only the sandbox: its init as PID 1 and a few more."""
    cp = run_torgate(["--", "ps", "-eo", "pid=,comm="])
    assert cp.returncode == 0, describe(cp)
    procs = [ln.split(None, 1) for ln in cp.stdout.splitlines() if ln.strip()]
    pids = {int(p[0]) for p in procs}
    comms = [p[1].strip() for p in procs]
    assert 1 in pids, cp.stdout
    assert "ps" in comms, cp.stdout
    assert len(procs) <= 4, "the sandbox sees %d processes:\n%s" % (len(procs), cp.stdout)


def test_orphaned_zombies_reaped(run_torgate):
    cp = run_torgate(["--", "sh", "-c",
                      "(sleep 0.1 &); (sleep 0.1 &); sleep 1; ps -eo pid=,ppid=,stat=,comm="])
    assert cp.returncode == 0, describe(cp)
    rows = [ln.split() for ln in cp.stdout.splitlines() if ln.strip()]
    assert rows, "ps printed nothing"
    zombies = [r for r in rows if r[2].startswith("Z")]
    assert not zombies, "unreaped zombies:\n" + cp.stdout


def test_exits_when_cmd_exits_despite_background_child(popen_torgate, user_tmp):
    """CMD exits leaving a background sleep: torgate returns CMD's status at
    once, and nothing of the sandbox outlives it."""
    tag = "97.%d" % os.getpid()
    out = open(os.path.join(user_tmp, "out"), "w")
    p = popen_torgate(["--", "sh", "-c", "sleep %s & exit 3" % tag],
                      stdout=out, stderr=subprocess.STDOUT)

    def leftovers():
        return [pid for pid, cmd in tgutil.process_cmdlines().items()
                if cmd[:2] == [b"sleep", tag.encode()]]
    try:
        try:
            rc = p.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pytest.fail("torgate still running 10 s after CMD exited")
        assert rc == 3
        tgutil.wait_until(lambda: not leftovers(), 5,
                          "the sandbox's background sleep to be gone after torgate exited")
    finally:
        out.close()
        for pid in leftovers():
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


# ------------------------------------------------------------------ SOCKS server (Tor) availability

def test_socks_unreachable_exits_125(run_torgate, user_tmp):
    """No SOCKS server: one line naming the address and the fix (start Tor or
    use --socks), exit 125, CMD never runs."""
    marker = os.path.join(user_tmp, "cmd-ran")
    with ClosedPort() as cport:
        cp = run_torgate(["--", "touch", marker], socks=cport.addr, timeout=30)
    assert cp.returncode == 125, describe(cp)
    assert cport.addr in cp.stderr, cp.stderr
    assert re.search(r"\btor\b", cp.stderr, re.I), "no hint to start Tor: " + cp.stderr
    assert "--socks" in cp.stderr, cp.stderr
    assert len(cp.stderr.strip().splitlines()) == 1, "expected one line:\n" + cp.stderr
    assert not os.path.exists(marker), "CMD ran although the SOCKS server was unreachable"


def test_torgate_socks_env(run_torgate, socks_log, servers, user_tmp):
    """TORGATE_SOCKS selects the SOCKS server; --socks wins over it."""
    url = "http://203.0.113.25/hello"
    cp = run_torgate(["--", "curl", "-sS", "--max-time", "30", url], socks=None,
                     env={"TORGATE_SOCKS": servers.socks_addr})
    assert cp.returncode == 0 and cp.stdout == "hello\n", describe(cp)
    assert log_for(socks_log.new(), "203.0.113.25", 80)
    with ClosedPort() as cport:
        cp = run_torgate(["--", "true"], socks=None, env={"TORGATE_SOCKS": cport.addr},
                         timeout=30)
        assert cp.returncode == 125 and cport.addr in cp.stderr, describe(cp)
        cp = run_torgate(["--", "curl", "-sS", "--max-time", "30", url],
                         env={"TORGATE_SOCKS": cport.addr})
        assert cp.returncode == 0 and cp.stdout == "hello\n", describe(cp)


def test_socks_server_dies_mid_run(popen_torgate, extra_socks, user_tmp):
    """The SOCKS server goes away while CMD runs: new connections fail with
    ECONNREFUSED at once, whatever the destination; nothing else answers."""
    sp, log = extra_socks()
    fetched = os.path.join(user_tmp, "fetched")
    go = os.path.join(user_tmp, "go")
    steps = [get_step(TARGET), {"op": "touch", "path": fetched},
             {"op": "wait", "path": go, "timeout": 120},
             connect_step(TARGET, 80), connect_step(TARGET6, 80), get_step("203.0.113.26")]
    p = popen_torgate(["--"] + py_client("probe.py", json.dumps(steps)),
                      socks="127.0.0.1:%d" % sp.port)
    tgutil.wait_for_path(fetched, 60, proc=p, what="the first fetch")
    sp.stop(signal.SIGKILL)
    s = socket.socket()
    with pytest.raises(ConnectionRefusedError):
        s.connect(("127.0.0.1", sp.port))
    s.close()
    open(go, "w").close()
    out, err = tgutil.communicate(p, 60)
    cp = subprocess.CompletedProcess(p.args, p.returncode, out, err)
    st = json_result(cp)["steps"]
    assert_hello(st[0])
    assert log_for(log.all(), TARGET, 80)
    for s in st[3:]:
        assert_refused_promptly(s)


# ------------------------------------------------------------------ other clients

def elf_has_interp(path):
    """Whether the ELF file has a PT_INTERP program header (dynamic)."""
    with open(path, "rb") as f:
        ident = f.read(64)
        if ident[:4] != b"\x7fELF":
            raise ValueError("%s is not ELF" % path)
        is64, end = ident[4] == 2, "<" if ident[5] == 1 else ">"
        if is64:
            phoff, = struct.unpack(end + "Q", ident[0x20:0x28])
            phentsize, phnum = struct.unpack(end + "HH", ident[0x36:0x3A])
        else:
            phoff, = struct.unpack(end + "I", ident[0x1C:0x20])
            phentsize, phnum = struct.unpack(end + "HH", ident[0x2A:0x2E])
        for i in range(phnum):
            f.seek(phoff + i * phentsize)
            p_type, = struct.unpack(end + "I", f.read(4))
            if p_type == 3:
                return True
    return False


def test_static_busybox_wget(run_torgate, socks_log):
    """A statically linked client (no libc tricks possible) is carried too."""
    bb = "/bin/busybox"
    if not os.path.exists(bb):
        pytest.skip("/bin/busybox missing: install busybox-static")
    if elf_has_interp(bb):
        pytest.skip("/bin/busybox is dynamically linked: install busybox-static")
    cp = run_torgate(["--", bb, "wget", "-q", "-O", "-", "http://203.0.113.27/hello"])
    assert cp.returncode == 0 and cp.stdout == "hello\n", describe(cp)
    assert log_for(socks_log.new(), "203.0.113.27", 80)


# ------------------------------------------------------------------ --tun-fd

class TunFd:
    def __init__(self, torgate_bin, socks, tmp):
        self.torgate_bin, self.socks, self.tmp = torgate_bin, socks, tmp
        self.ns = "tgtest-%d-%d" % (os.getpid(), int(time.monotonic() * 1000) % 1000000)
        self.proc = None

    def start(self, open_mode, vnet_hdr=0, args=()):
        ready = os.path.join(self.tmp, "tun-ready")
        self.proc = subprocess.Popen(
            [tgutil.PY, "-B", TUNFD_HELPER, "--ns", self.ns, "--open", open_mode,
             "--vnet-hdr", str(vnet_hdr), "--ready-file", ready, "--", self.torgate_bin,
             "--socks", self.socks] + list(args),
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
            text=True, start_new_session=True, env=tgutil.torgate_env())
        tgutil.wait_for_path(ready, 30, proc=self.proc, what="the TUN set-up")
        return self.proc

    def curl(self, url):
        return subprocess.run(["ip", "netns", "exec", self.ns, "curl", "-sS", "--max-time", "20",
                               url], capture_output=True, text=True, timeout=60,
                              env=tgutil.torgate_env())

    def cleanup(self):
        if self.proc and self.proc.poll() is None:
            tgutil.kill_group(self.proc)
            self.proc.communicate()
        subprocess.run(["ip", "netns", "del", self.ns], capture_output=True)


@pytest.fixture
def tunfd(torgate_bin, servers, user_tmp):
    if tgutil.get_test_user():
        pytest.skip("--tun-fd tests set up namespaces as root; TORGATE_TEST_USER is set")
    if os.geteuid() != 0:
        pytest.skip("--tun-fd tests need root (ip netns)")
    t = TunFd(torgate_bin, servers.socks_addr, user_tmp)
    yield t
    t.cleanup()


def test_tun_fd_mode_serves_until_sigterm(tunfd):
    p = tunfd.start("setns")
    cp = tunfd.curl("http://%s/hello" % TARGET)
    assert cp.returncode == 0 and cp.stdout == "hello\n", describe(cp)
    assert p.poll() is None, "torgate --tun-fd exited early"
    p.send_signal(signal.SIGTERM)
    out, err = tgutil.communicate(p, 15)
    assert p.returncode == 0, "exit status %r\nstderr: %s" % (p.returncode, err)


@pytest.mark.parametrize("hdr", [10, 12, 20])
def test_tun_fd_with_a_virtio_header(tunfd, hdr):
    """A TUN passed with IFF_VNET_HDR, whatever its header size (12 is
    virtio's mergeable-buffer header, which hypervisor tools use): torgate
    makes it the 10 bytes it reads, and connections work (before, with 12,
    every packet was misread and connections timed out)."""
    p = tunfd.start("setns", vnet_hdr=hdr, args=["-v"])
    cp = tunfd.curl("http://%s/hello" % TARGET)
    p.send_signal(signal.SIGTERM)
    out, err = tgutil.communicate(p, 15)
    assert cp.returncode == 0 and cp.stdout == "hello\n", describe(cp) + err
    said = "its virtio_net_hdr was %d bytes; now 10" % hdr
    assert (said in err) == (hdr != 10), err
    assert "torgate: info: offloads: " in err, err       # read as an offloading TUN


def test_tun_fd_mode_exits_when_tun_goes_away(tunfd):
    p = tunfd.start("move")
    cp = tunfd.curl("http://%s/hello" % TARGET)
    assert cp.returncode == 0 and cp.stdout == "hello\n", describe(cp)
    subprocess.run(["ip", "netns", "del", tunfd.ns], check=True)
    out, err = tgutil.communicate(p, 10)
    assert p.returncode == 0, "exit status %r\nstderr: %s" % (p.returncode, err)
