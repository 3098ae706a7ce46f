"""Latency on Tor's terms, for `make bench` (scripts/bench imports this).

On Tor what a user feels is circuit round trips, so these figures come
from a SOCKS server with Tor's timing (tests/lib/servers.py socks
--rtt-ms: the CONNECT and a RESOLVE answered after one round trip, every
byte half of one each way, bytes sent right behind a CONNECT delivered as
soon as the "exit" has connected, as Tor's optimistic data does), in
front of an HTTP server and a server that speaks first. The same requests
four ways, each a fresh connection:

  socks-native        curl --socks5-hostname (the name goes with the CONNECT)
  torsocks            torsocks curl (Debian's; names by Tor's RESOLVE)
  torgate confirmed   curl inside torgate --connect confirmed
  torgate optimistic  curl inside torgate --connect optimistic

With --tornet-latency MS (scripts/bench) the same rows come from the private
Tor network instead, every hop between tors paying MS ms each way
(scripts/tornet start --latency MS): real circuits, real optimistic data.

Workloads: the time to first byte of one GET by name; a 20-object page
(the page, then 19 objects over at most 6 parallel connections, as a
browser fetches them), its total time; and, inside torgate only, an
exchange where the server speaks first (its banner, then one line echoed).
Only 127.0.0.1 and torgate's sandbox are used.
"""

import os
import shutil
import statistics
import subprocess
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
SERVERS = os.path.join(ROOT, "tests", "lib", "servers.py")
NAME = "web.bench.test"           # the stand-in resolves it; never on any real network
BANNER_PORT = 22
WAYS = ("socks-native", "torsocks", "torgate confirmed", "torgate optimistic")

BANNER_CLIENT = r"""
import socket, sys, time
t = time.monotonic()
s = socket.create_connection((sys.argv[1], %d), 30)
f = s.makefile('rwb')
f.readline()
f.write(b'ping\n'); f.flush()
f.readline()
print('exchange %%.4f' %% (time.monotonic() - t))
""" % BANNER_PORT


def start(kind, *args):
    p = subprocess.Popen(["python3", "-B", SERVERS, kind, "--port", "0", "--workers", "2"] +
                         [str(a) for a in args], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                         stdin=subprocess.DEVNULL, start_new_session=True)
    line = p.stdout.readline().decode().split()
    if len(line) != 2 or line[0] != "ready":
        p.kill()
        raise RuntimeError("servers.py %s did not start" % kind)
    return p, int(line[1])


class Latency:
    def __init__(self, torgate, rtt_ms, samples, say, tornet_ms=0):
        self.torgate, self.rtt_ms, self.samples, self.say = torgate, rtt_ms, samples, say
        self.tornet_ms = tornet_ms
        self.procs = []
        self.tmp = tempfile.mkdtemp(prefix="torgate-bench-latency-")
        self.name = NAME
        self.tornet_dir = None

    def where(self):
        return ("the private Tor network, every hop %d ms each way" % self.tornet_ms if self.tornet_ms
                else "a SOCKS server with Tor's timing, RTT %d ms" % self.rtt_ms)

    def start_tornet(self):
        self.tornet_dir = os.path.join(self.tmp, "tornet")
        self.say("latency: starting the private Tor network, %d ms a hop (about 30 s)" % self.tornet_ms)
        cp = subprocess.run([os.path.join(HERE, "tornet"), "start", "--latency", str(self.tornet_ms),
                             self.tornet_dir], capture_output=True, text=True, timeout=300)
        if cp.returncode != 0:
            raise RuntimeError("tornet did not start: " + cp.stderr.strip()[-500:])
        env = dict(line.split("=", 1) for line in cp.stdout.splitlines() if "=" in line)
        self.sport = int(env["TORNET_SOCKS"].rsplit(":", 1)[1])
        self.name = env["TORNET_WEB_HOST"].strip("'")

    def start(self):
        if self.tornet_ms:
            self.start_tornet()
            self.write_torsocks_conf()
            return
        http, hport = start("http")
        banner, bport = start("banner")
        self.procs += [http, banner]
        socks, self.sport = start("socks", "--default", "127.0.0.1:%d" % hport,
                                  "--map", "%d=127.0.0.1:%d" % (BANNER_PORT, bport),
                                  "--resolve", "%s=203.0.113.7" % NAME, "--rtt-ms", self.rtt_ms)
        self.procs.append(socks)
        self.write_torsocks_conf()

    def write_torsocks_conf(self):
        self.torsocks_conf = os.path.join(self.tmp, "torsocks.conf")
        with open(self.torsocks_conf, "w") as f:
            f.write("TorAddress 127.0.0.1\nTorPort %d\n" % self.sport)

    def stop(self):
        for p in self.procs:
            if p.poll() is None:
                p.terminate()
                p.wait()
        if self.tornet_dir is not None:
            subprocess.run([os.path.join(HERE, "tornet"), "stop", self.tornet_dir],
                           capture_output=True, timeout=120)
        shutil.rmtree(self.tmp, ignore_errors=True)

    def argv(self, way, script):
        if way.startswith("torgate"):
            return [self.torgate, "-q", "--socks", "127.0.0.1:%d" % self.sport,
                    "--connect", way.split()[1], "--", "sh", "-c", script]
        return ["sh", "-c", script]

    def curl(self, way):
        if way == "socks-native":
            return "curl --socks5-hostname 127.0.0.1:%d" % self.sport
        if way == "torsocks":
            return "torsocks curl"
        return "curl"

    def run(self, way, script):
        env = dict(os.environ, TORSOCKS_CONF_FILE=self.torsocks_conf)
        cp = subprocess.run(self.argv(way, script), capture_output=True, text=True, timeout=600,
                            env=env, stdin=subprocess.DEVNULL)
        if cp.returncode != 0:
            raise RuntimeError("%s: exit status %d: %s" % (way, cp.returncode, cp.stderr.strip()[-300:]))
        return cp.stdout

    def ttfb(self, way):
        one = "%s -sS -o /dev/null -w '%%{time_starttransfer}\\n' http://%s/" % (self.curl(way), self.name)
        out = self.run(way, "; ".join([one] * self.samples))
        return [float(x) for x in out.split()]

    def page(self, way):
        objs = " ".join("http://%s/bytes/%d" % (self.name, 2000 + i) for i in range(19))
        one = ("t0=$(date +%%s%%N); %s -sS -o /dev/null http://%s/ && "
               "%s -sS -Z --parallel-immediate --parallel-max 6 %s -o /dev/null -o /dev/null -o /dev/null -o /dev/null "
               "-o /dev/null -o /dev/null -o /dev/null -o /dev/null -o /dev/null -o /dev/null "
               "-o /dev/null -o /dev/null -o /dev/null -o /dev/null -o /dev/null -o /dev/null "
               "-o /dev/null -o /dev/null -o /dev/null && echo $(( $(date +%%s%%N) - t0 ))"
               % (self.curl(way), self.name, self.curl(way), objs))
        out = self.run(way, "; ".join([one] * self.samples))
        return [int(x) / 1e9 for x in out.split()]

    def exchange(self, way):
        if not way.startswith("torgate") or self.tornet_ms:
            return []
        one = "python3 -c \"%s\" 203.0.113.7" % BANNER_CLIENT.replace('"', '\\"')
        out = self.run(way, "; ".join([one] * self.samples))
        return [float(line.split()[1]) for line in out.splitlines() if line.startswith("exchange ")]

    def measure(self, reps):
        rows = {}
        # torsocks is left out on the private network: its names resolve
        # to 127.0.0.1, which torsocks refuses to connect to.
        ways = [w for w in WAYS if w != "torsocks" or (shutil.which("torsocks") and not self.tornet_ms)]
        for rep in range(reps):
            self.say("latency: repetition %d/%d (%s)" % (rep + 1, reps, self.where()))
            for what, fn in (("time to first byte, one GET", self.ttfb),
                             ("20-object page, total", self.page),
                             ("server speaks first: banner and one line", self.exchange)):
                for way in ways:
                    rows.setdefault((what, way), []).extend(fn(way))
        return rows


def table(rows, where, fmt):
    out = ["", "Latency through %s (s; min / median / max of every request):" % where, "",
           "| workload | unit | " + " | ".join(WAYS) + " | optimistic / socks-native |",
           "|---|---|" + "---|" * (len(WAYS) + 1)]
    names = []
    for name, _ in rows:
        if name not in names:
            names.append(name)
    for name in names:
        cells = []
        for w in WAYS:
            v = rows.get((name, w), [])
            cells.append("%s / %s / %s" % (fmt(min(v)), fmt(statistics.median(v)), fmt(max(v)))
                         if v else "-")
        if not any(rows.get((name, w)) for w in WAYS):
            continue
        o, s = rows.get((name, "torgate optimistic")), rows.get((name, "socks-native"))
        ratio = fmt(statistics.median(o) / statistics.median(s)) if o and s else "-"
        out.append("| %s | s | %s | %s |" % (name, " | ".join(cells), ratio))
    return "\n".join(out)
