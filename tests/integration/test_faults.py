"""Fault injection: the gateway runs a short workload while chosen system
calls fail (strace -e inject). Only the gateway is faulted: strace traces
the torgate process itself, without -f, so neither the sandbox (its clone
child) nor the command is.

The workload (clients/faultload.py, all steps at once, 6 s deadline): TCP
streams to the echo service checked byte for byte, an HTTP download checked
by digest, DNS queries to the stub over UDP and TCP, a connection by name,
and a UDP datagram that must be refused.

Each case fails one system call, or every Nth, either while torgate sets
up (before the command runs: the call is found by its arguments in a
calibration trace of the same build) or while the workload runs (counted
from the loop's first epoll_wait in that trace, so the faults land in the
workload and not in the dynamic loader). For every case:
- torgate exits within a deadline (a hang is killed and fails the test),
  never by a signal, a sanitizer report or an lwIP assertion;
- a setup fault: status 125 and an error line with the words of the
  injected errno, and the command never ran; a run-time fault: the
  command's status, and the report torgate gives (warning or counter);
- the command got exactly the right bytes or a clean error (errno,
  timeout, a stream cut short), never wrong bytes; where the fault is one
  a program must simply retry (EAGAIN, EINTR), everything succeeds;
- torgate connected to nothing but the SOCKS server, sent no datagram to
  any address, and asked the SOCKS server for nothing but the workload's
  targets;
- the fault was really injected (strace marks it in the trace).

TORGATE_FAULTS=long (make faults) adds more offsets and errnos.
"""

import collections
import json
import os
import re
import shutil
import subprocess
import tempfile

import pytest

import servers as srv
import tgutil
from tgutil import py_client, shorten

GET_BYTES = 200000
WORKLOAD = {
    "echo": [["203.0.113.9", 65536], ["2001:db8::9", 3000]],
    "get": [["2001:db8::80", GET_BYTES, srv.pattern_sha256(GET_BYTES)]],
    "dns": ["one.fault.example", "two.fault.example"],
    "connect_name": "web.example",
    "udp": ["192.0.2.44", 443],
    "timeout": 6,
}
STEPS = len(WORKLOAD["echo"]) + len(WORKLOAD["get"]) + 2 * len(WORKLOAD["dns"]) + 2
TARGETS = {("203.0.113.9", 9), ("2001:db8::9", 9), ("2001:db8::80", 80), ("web.example", 80)}
DEADLINE = 45            # seconds for one torgate run; a workload step gives up after 6
ALWAYS_TRACED = ["connect", "sendto", "sendmsg"]
SANITIZER = re.compile(r"AddressSanitizer|LeakSanitizer|runtime error:|internal error in lwIP")

# when: ("setup", REGEX): the first call of the syscall whose trace line
# matches REGEX; ("run", EXPR): strace's when=EXPR ("first[..last][+step]")
# with first and last counted from the loop's start (1: its first call).
# expect: "fail" (torgate stops before the command runs, status 125) or
# "run" (the command runs and its status is torgate's).
Case = collections.namedtuple("Case", "id inject expect report all_ok long",
                              defaults=(None, False, False))


def fail_setup(id, syscall, errno, match, report):
    return Case(id, [(syscall, errno, ("setup", match))], "fail", report)


def fail_run(id, inject, report=None, all_ok=False, long=False):
    return Case(id, inject, "run", report, all_ok, long)


CASES = [
    # Setup: each names what failed, in the errno's own words.
    fail_setup("probe-socket-EMFILE", "socket", "EMFILE", r"SOCK_NONBLOCK",
               r"cannot create a socket to reach Tor .*Too many open files"),
    fail_setup("probe-connect-ECONNREFUSED", "connect", "ECONNREFUSED", r"",
               r"Tor is not reachable .*Connection refused"),
    fail_setup("probe-recv-EIO", "recvfrom", "EIO", r"", r"Tor is not reachable .*Input/output error"),
    fail_setup("socketpair-EMFILE", "socketpair", "EMFILE", r"",
               r"sandbox's control socket: Too many open files"),
    fail_setup("clone-ENOMEM", "clone", "ENOMEM", r"CLONE_NEWUSER",
               r"sandbox's namespaces .*Cannot allocate memory"),
    fail_setup("tun-recvmsg-EIO", "recvmsg", "EIO", r"",
               r"cannot receive the TUN .*Input/output error"),
    # libevent falls back to poll(2) without epoll: nothing to report.
    Case("epoll-create-EMFILE", [("epoll_create1", "EMFILE", ("setup", r""))], "run", all_ok=True),
    fail_setup("signalfd-ENOMEM", "signalfd4", "ENOMEM", r"",
               r"cannot watch signals .*Cannot allocate memory"),
    fail_setup("release-write-EIO", "write", "EIO", r'"G", 1',
               r"cannot start the command in the sandbox: Input/output error"),
    # Run time: a stream fails, is refused or cut, and is counted; the
    # rest go on. Retriable errors change nothing the app can see.
    # libevent tries socket() twice (with and without SOCK_NONBLOCK): fail both.
    fail_run("stream-socket-EMFILE", [("socket", "EMFILE", ("run", "1..2"))],
             r"cannot open a connection to Tor .*Too many open files"),
    fail_run("stream-connect-ECONNREFUSED", [("connect", "ECONNREFUSED", ("run", "2"))],
             r"cannot reach Tor .*Connection refused"),
    fail_run("stream-getsockopt-EIO", [("getsockopt", "EIO", ("run", "1"))],
             r"\b[1-9]\d* SOCKS port unreachable"),
    # A connected stream reads from Tor with recv(); libevent reads the
    # handshake with readv(), as the TUN is read. A reset there counts as
    # "failed mid-stream".
    fail_run("socks-recv-ECONNRESET", [("recvfrom", "ECONNRESET", ("run", "4+6"))],
             r"\b[1-9]\d* failed mid-stream"),
    fail_run("socks-recv-EAGAIN", [("recvfrom", "EAGAIN", ("run", "1+2"))], all_ok=True),
    fail_run("socks-recv-EINTR", [("recvfrom", "EINTR", ("run", "2+3"))], all_ok=True),
    # A TUN write that finds the queue full drops the packet (TCP resends).
    fail_run("writev-EAGAIN", [("writev", "EAGAIN", ("run", "3+7"))], r"\b[1-9]\d* TUN writes dropped"),
    # writev() is the TUN's (and libevent's, for bytes a socket did not take
    # at once): with offloads there are few, so the 10th may be a socket's.
    fail_run("writev-EIO", [("writev", "EIO", ("run", "10+25"))],
             r"\b[1-9]\d* (TUN writes failed|failed mid-stream|SOCKS port unreachable)"),
    # readv() is the TUN's and the SOCKS handshakes': retriable errors must
    # not show in either; from the 8th call on every one fails, the TUN's
    # among them.
    fail_run("tun-readv-EAGAIN", [("readv", "EAGAIN", ("run", "2+3"))], all_ok=True),
    fail_run("tun-readv-EINTR", [("readv", "EINTR", ("run", "3+4"))], all_ok=True),
    fail_run("tun-readv-EIO", [("readv", "EIO", ("run", "8+"))], r"TUN device went away"),
    fail_run("epoll-wait-EINTR", [("epoll_wait", "EINTR", ("run", "3+4"))], all_ok=True),
    fail_run("mixed-ENOMEM", [("socket", "ENOMEM", ("run", "3")), ("readv", "ENOMEM", ("run", "20")),
                              ("writev", "ENOBUFS", ("run", "30+40"))]),
    # TORGATE_FAULTS=long
    fail_run("stream-connect-EAGAIN", [("connect", "EAGAIN", ("run", "1+3"))],
             r"cannot (open a connection to|reach) Tor .*Resource temporarily unavailable", long=True),
    fail_run("socks-recv-EIO-early", [("recvfrom", "EIO", ("run", "1"))],
             r"\b[1-9]\d* failed mid-stream", long=True),
    fail_run("socks-recv-ECONNRESET-dense", [("recvfrom", "ECONNRESET", ("run", "2+2"))], long=True),
    fail_run("writev-EPIPE", [("writev", "EPIPE", ("run", "5+11"))],
             r"\b[1-9]\d* (TUN writes failed|failed mid-stream)", long=True),
    fail_run("writev-ENOBUFS-dense", [("writev", "ENOBUFS", ("run", "1+3"))], long=True),
    # Bursts: 300 calls in a row fail, then the kernel behaves again. (A
    # read or epoll_wait that failed forever would keep the gateway from
    # ever seeing the command exit; no kernel does that.)
    fail_run("tun-readv-EAGAIN-burst", [("readv", "EAGAIN", ("run", "1..300"))], long=True),
    fail_run("epoll-wait-EINTR-burst", [("epoll_wait", "EINTR", ("run", "1..300"))], all_ok=True,
             long=True),
    fail_run("shutdown-ENOTCONN", [("shutdown", "ENOTCONN", ("run", "1"))], long=True),
    fail_run("ioctl-EIO", [("ioctl", "EIO", ("run", "1+2"))], all_ok=True, long=True),
]

LONG = os.environ.get("TORGATE_FAULTS") == "long"
SELECTED = [c for c in CASES if LONG or not c.long]


def strace_argv(trace_file, trace, injects=()):
    argv = ["strace", "-qq", "-o", trace_file, "-e", "trace=" + trace]
    for syscall, errno_name, when in injects:
        argv += ["-e", "inject=%s:error=%s:when=%s" % (syscall, errno_name, when)]
    return argv


def run_traced(strace_args, socks):
    """torgate -v under strace (as TORGATE_TEST_USER when set) with the
    workload; returns (CompletedProcess, elapsed). A run past DEADLINE is
    killed and raises tgutil.Hung."""
    # --no-wait: no look at a Tor control port, whose connect() this table
    # would count (and flag as going elsewhere).
    argv = tgutil.user_prefix() + strace_args + [tgutil.torgate_path(), "-v", "--no-wait", "--socks", socks, "--"] + \
        py_client("faultload.py", json.dumps(WORKLOAD))
    env = tgutil.torgate_env()
    # LeakSanitizer cannot run under ptrace; ASan and UBSan still do (the
    # rest of the suite checks leaks).
    env["ASAN_OPTIONS"] = ":".join(filter(None, [env.get("ASAN_OPTIONS"), "detect_leaks=0"]))
    proc = subprocess.Popen(argv, env=env, stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    out, err = tgutil.communicate(proc, DEADLINE)
    return subprocess.CompletedProcess(argv, proc.returncode, out, err)


def trace_calls(path):
    """[(syscall, line)] of an strace -o file, signals and exits left out."""
    calls = []
    with open(path, errors="replace") as f:
        for line in f:
            m = re.match(r"(\w+)\(", line)
            if m:
                calls.append((m.group(1), line))
    return calls


@pytest.fixture(scope="module")
def calibration(servers, user_tmp_module):
    """A trace of every system call of one undisturbed run of this build:
    where its setup calls are and how many of each come before the loop."""
    path = os.path.join(user_tmp_module, "calibration.trace")
    cp = run_traced(strace_argv(path, "all"), servers.socks_addr)
    assert cp.returncode == 0, "the undisturbed run failed: " + tgutil.describe(cp)
    steps = tgutil.json_result(cp)["steps"]
    assert all(s["result"] == "ok" for s in steps), steps
    calls = trace_calls(path)
    first_wait = next(i for i, (name, _) in enumerate(calls) if name == "epoll_wait")
    return calls, collections.Counter(name for name, _ in calls[:first_wait])


@pytest.fixture(scope="module")
def user_tmp_module():
    """Where the traces go: TORGATE_FAULTS_TRACES (kept), else a temporary
    directory any user can write to."""
    keep = os.environ.get("TORGATE_FAULTS_TRACES")
    d = keep or tempfile.mkdtemp(prefix="torgate-faults-")
    os.makedirs(d, exist_ok=True)
    os.chmod(d, 0o777)
    yield d
    if not keep:
        shutil.rmtree(d, ignore_errors=True)


def when_expr(calibration, syscall, when):
    calls, before_loop = calibration
    if when[0] == "setup":
        nth = 0
        for name, line in calls:
            if name == syscall:
                nth += 1
                if re.search(when[1], line):
                    return str(nth)
        pytest.fail("no %s call matching %r in the calibration trace" % (syscall, when[1]))
    m = re.fullmatch(r"(\d+)(?:\.\.(\d+))?(\+\d*)?", when[1])
    expr = str(before_loop[syscall] + int(m.group(1)))
    if m.group(2):
        expr += "..%d" % (before_loop[syscall] + int(m.group(2)))
    return expr + (m.group(3) or "")


def socks_port(addr):
    return int(addr.rsplit(":", 1)[1])


@pytest.mark.parametrize("case", SELECTED, ids=[c.id for c in SELECTED])
def test_fault(case, servers, socks_log, calibration, user_tmp_module):
    injects = [(s, e, when_expr(calibration, s, w)) for s, e, w in case.inject]
    trace_file = os.path.join(user_tmp_module, case.id + ".trace")
    traced = sorted({s for s, _, _ in injects} | set(ALWAYS_TRACED))
    cp = run_traced(strace_argv(trace_file, ",".join(traced), injects), servers.socks_addr)
    what = "%s (%s)\n%s" % (case.id, injects, tgutil.describe(cp))

    assert cp.returncode >= 0, "killed by a signal: " + what
    assert not SANITIZER.search(cp.stderr), what
    calls = trace_calls(trace_file)
    assert any("(INJECTED)" in line for _, line in calls), "no fault was injected: " + what

    errors = [ln for ln in cp.stderr.splitlines() if ln.startswith("torgate: error:")]
    if case.expect == "fail":
        assert cp.returncode == 125, what
        assert any(re.search(case.report, ln) for ln in errors), \
            "no error line matching %r: %s" % (case.report, what)
        assert not cp.stdout.strip(), "the command ran after a setup failure: " + what
    else:
        assert cp.returncode == 0 and not errors, what
        if case.report:
            assert re.search(case.report, cp.stderr), "not reported (%r): %s" % (case.report, what)
        steps = tgutil.json_result(cp)["steps"]
        assert len(steps) == STEPS, what
        bad = [s for s in steps if s["result"] not in ("ok", "short", "error")]
        assert not bad, "wrong bytes reached the command: %r\n%s" % (bad, what)
        if case.all_ok:
            assert all(s["result"] == "ok" for s in steps), "a retriable fault showed: %s" % what

    # Nothing went anywhere but the SOCKS server.
    port = socks_port(servers.socks_addr)
    for name, line in calls:
        if name == "connect":
            # Its own control directory: whether a socket of that name is
            # still served (control.c), before the command runs.
            if "AF_UNIX" in line and re.search(r'sun_path="[^"]*/torgate/[^"/]+\.sock"', line):
                continue
            assert 'inet_addr("127.0.0.1")' in line and "htons(%d)" % port in line, \
                "torgate connected elsewhere: %s" % line
        elif name in ("sendto", "sendmsg"):
            assert "sa_family=" not in line or "AF_UNIX" in line, "a datagram left: %s" % line
    asked = {(e["host"], e["port"]) for e in socks_log.new()}
    assert asked <= TARGETS, "the SOCKS server was asked for %r\n%s" % (asked - TARGETS, shorten(what))
