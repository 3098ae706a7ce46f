"""The leak suite's world: the canaries and the ways a probe is run.

  NetnsCanary   a throwaway network namespace (held only by its canary
                process, so it dies with the run) joined to the host by a
                veth pair with fresh names and a free 10.203.N.0/24 and
                fd00:203:N::/64; the canary there records every frame
                arriving on its end and listens on TCP 443, UDP 53, 443 and
                7777 (both families)
  HostCanary    listeners in the host's network namespace: TCP and UDP on
                127.0.0.1 and ::1 (free ports) and an abstract unix socket
  run_probe     runs a probe in one of MODES

Every record a canary makes goes to a JSON-lines log; fence() returns once
everything sent to the canary before the call is recorded, so "the canary
saw nothing" is read from the log at a moment that covers the probe.
"""

import itertools
import json
import os
import select
import socket
import subprocess

import tgutil

HERE = os.path.dirname(os.path.abspath(__file__))
CANARY = os.path.join(HERE, "canary.py")
PROBE = os.path.join(HERE, "probe.py")
MINUS_ONE = os.path.join(HERE, "minus_one.py")
STATIC_PROBE = os.path.join(tgutil.REPO, "build", "leak", "probe_static")

# Where a probe runs. "torgate" is the suite proper; each other mode takes
# protections away, for the self-check (make leak-selfcheck):
MODES = {
    "torgate": "inside torgate: every protection in place",
    "host": "no sandbox at all (the probe runs on the host)",
    "no-netns": "torgate's sandbox, but in the host's network namespace",
    "no-mntns": "torgate's sandbox, but with the host's mounts",
    "caps": "torgate's sandbox, with every capability of its user namespace",
    "no-seccomp": "inside torgate with --seccomp off (namespaces and capabilities only)",
}
FENCE_PORT = 7777
_fences = itertools.count()


def sh(*argv):
    """Runs a setup command; a failure names the command and what it said."""
    p = subprocess.run([str(a) for a in argv], capture_output=True, text=True, timeout=30)
    if p.returncode != 0:
        raise RuntimeError("%s failed (exit %d): %s" % (" ".join(map(str, argv)), p.returncode,
                                                       p.stderr.strip()))
    return p.stdout


def start_canary(log, args, netns=False):
    """Starts canary.py (in a new network namespace if netns); returns the
    process and what it listens on."""
    argv = [tgutil.PY, "-B", CANARY, "--log", log] + args
    if netns:
        argv = ["unshare", "--net", "--"] + argv
    p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE)
    r, _, _ = select.select([p.stdout], [], [], 30)
    line = p.stdout.readline() if r else b""
    if not line.startswith(b"ready "):
        p.kill()
        _, err = p.communicate()
        raise RuntimeError("the canary did not start (%s): %s" % (" ".join(argv),
                                                                   err.decode(errors="replace")))
    return p, json.loads(line[6:])


def stop(p):
    if p.poll() is None:
        p.kill()
    p.communicate()


class Canary:
    """A canary's log: mark() before a probe, hits() after it. A context
    manager: leaving it stops the canary."""

    def __init__(self, log):
        self.log = tgutil.SocksLog(log)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def mark(self):
        self.log.mark()

    def wait_fences(self, tokens, timeout=15):
        tgutil.wait_until(lambda: tokens <= {r.get("fence") for r in self.log.new()}, timeout,
                          "the canary to record fences %s (is it alive?)" % sorted(tokens))

    def hits(self):
        """What reached the canary since mark(), fences and link chatter left out."""
        self.fence()
        return [r for r in self.log.new() if not r.get("fence") and not r.get("chatter")]


def udp_send(addr, data):
    with socket.socket(family_of(addr[0]), socket.SOCK_DGRAM) as s:
        s.sendto(data, addr)


def family_of(host):
    return socket.AF_INET6 if ":" in host else socket.AF_INET


class NetnsCanary(Canary):
    def __init__(self, workdir):
        super().__init__(os.path.join(workdir, "canary-netns.log"))
        n = free_subnet()
        self.v4 = {"host": "10.203.%d.1" % n, "canary": "10.203.%d.2" % n}
        self.v6 = {"host": "fd00:203:%x::1" % n, "canary": "fd00:203:%x::2" % n}
        tag = "%d%s" % (os.getpid(), os.urandom(1).hex())
        self.host_if, peer_if = "tgl%sh" % tag, "tgl%sc" % tag
        self.proc, _ = start_canary(self.log.path, [
            "--label", "netns", "--capture", "--tcp", "[::]:443", "--udp", "[::]:53",
            "--udp", "[::]:443", "--udp", "[::]:%d" % FENCE_PORT], netns=True)
        try:
            pid = self.proc.pid
            sh("ip", "link", "add", self.host_if, "type", "veth", "peer", "name", peer_if,
               "netns", pid)
            sh("ip", "addr", "add", self.v4["host"] + "/24", "dev", self.host_if)
            sh("ip", "-6", "addr", "add", self.v6["host"] + "/64", "dev", self.host_if, "nodad")
            sh("ip", "link", "set", self.host_if, "up")
            inside = ["nsenter", "--target", pid, "--net", "--", "ip"]
            sh(*inside, "addr", "add", self.v4["canary"] + "/24", "dev", peer_if)
            sh(*inside, "-6", "addr", "add", self.v6["canary"] + "/64", "dev", peer_if, "nodad")
            sh(*inside, "link", "set", peer_if, "up")
            sh(*inside, "link", "set", "lo", "up")
            self.mark()
            self.fence()  # the canary answers before any test relies on it
        except BaseException:
            self.close()
            raise

    def addr(self, family):
        return (self.v4 if family == "v4" else self.v6)["canary"]

    def fence(self):
        tokens = set()
        for host in (self.v4["canary"], self.v6["canary"]):
            tok = "fence %d-%d" % (os.getpid(), next(_fences))
            tokens.add(tok)
            udp_send((host, FENCE_PORT), tok.encode())
        self.wait_fences(tokens)

    def close(self):
        subprocess.run(["ip", "link", "del", self.host_if], capture_output=True, timeout=30)
        stop(self.proc)


def free_subnet():
    """An N with no host address in 10.203.N.0/24 (another run may hold one)."""
    used = sh("ip", "-o", "addr", "show")
    start = os.getpid() % 250
    for i in range(250):
        n = (start + i) % 250 + 1
        if " 10.203.%d." % n not in used:
            return n
    raise RuntimeError("no free 10.203.N.0/24 for the leak canary: remove stale tgl* links "
                       "(ip -o addr show | grep 10.203.)")


class HostCanary(Canary):
    def __init__(self, workdir):
        super().__init__(os.path.join(workdir, "canary-host.log"))
        self.abstract = "torgate-leak-%d-%s" % (os.getpid(), os.urandom(4).hex())
        self.proc, listening = start_canary(self.log.path, [
            "--label", "host", "--tcp", "127.0.0.1:0", "--tcp", "[::1]:0",
            "--udp", "127.0.0.1:0", "--udp", "[::1]:0", "--abstract", self.abstract])
        self.listeners = [(x["kind"], x["addr"]) for x in listening]
        try:
            self.mark()
            self.fence()
        except BaseException:
            self.close()
            raise

    def port(self, kind, host):
        return next(a[1] for k, a in self.listeners if k == kind and a[0] == host)

    def fence(self):
        """One fence through every listener: each handles what arrives in order."""
        tokens = set()
        for kind, addr in self.listeners:
            tok = "fence %d-%d" % (os.getpid(), next(_fences))
            tokens.add(tok)
            if kind == "udp":
                udp_send(tuple(addr), tok.encode())
                continue
            fam = socket.AF_UNIX if kind == "abstract" else family_of(addr[0])
            with socket.socket(fam, socket.SOCK_STREAM) as s:
                s.settimeout(10)
                s.connect("\0" + addr if kind == "abstract" else tuple(addr))
                s.sendall(tok.encode())
        self.wait_fences(tokens)

    def close(self):
        stop(self.proc)


# ------------------------------------------------------------------ running probes

def probe_argv(steps):
    return [tgutil.PY, PROBE, json.dumps(steps)]


def mode_argv(mode, argv, socks, opts=()):
    """The command line that runs argv in mode (see MODES); opts are
    torgate's options where torgate is asked (the protection under test
    may need one, as --socket pulseaudio's filter)."""
    if mode == "torgate":
        return tgutil.torgate_argv(list(opts) + ["--"] + argv, socks)
    if mode == "no-seccomp":
        return tgutil.torgate_argv(list(opts) + ["--seccomp", "off", "--"] + argv, socks)
    if mode == "host":
        return tgutil.user_prefix() + argv
    return [tgutil.PY, "-B", MINUS_ONE, "--drop", mode, "--socks", socks, "--"] + argv


def run_probe(mode, argv, socks, timeout=90, opts=(), env=None):
    """Runs argv (e.g. probe_argv(...)) in mode; returns a CompletedProcess."""
    proc = subprocess.Popen(mode_argv(mode, argv, socks, opts), env=tgutil.torgate_env(env),
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True)
    out, err = tgutil.communicate(proc, timeout)
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


def results(cp):
    """The probe results a run printed (probe.py's JSON line)."""
    return tgutil.json_result(cp)["probes"]


def static_results(cp):
    """probe_static's JSON lines."""
    assert cp.returncode == 0, "the static probe failed: " + tgutil.describe(cp)
    return [json.loads(ln) for ln in cp.stdout.splitlines() if ln.startswith("{")]

