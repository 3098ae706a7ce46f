"""hev-socks5-tunnel beside torgate, for `make bench HEV=PATH` (scripts/bench
imports this). hev is the fastest TUN-to-SOCKS gateway in C; you build it
(github.com/heiher/hev-socks5-tunnel, with its submodules), nothing of it
enters this repository.

The same path as torgate's, in a network namespace of the bench's own:
bench_server and bench_socks listen on the namespace's loopback, hev's TUN
is its default route, and bench_client runs in it, so that a connection
goes client -> TUN -> hev -> SOCKS -> server exactly as it goes client ->
TUN -> torgate -> SOCKS -> server in torgate's sandbox. hev gets torgate's
MTU. Only namespaces made here and their loopback are used.
"""

import os
import subprocess
import tempfile

TUN = "hevtun0"


class Hev:
    def __init__(self, path, mtu, tools, start_server, inside_host, idle_port):
        self.path, self.mtu, self.tools = path, mtu, tools
        self.start_server, self.inside_host, self.idle_port = start_server, inside_host, idle_port
        self.ns = "tgbench-hev-%d" % os.getpid()
        self.procs = []
        self.tmp = tempfile.mkdtemp(prefix="torgate-bench-hev-")
        self.proc = self.socks = None

    def ip(self, *args):
        subprocess.run(["ip"] + list(args), check=True, capture_output=True, timeout=30)

    def inside(self, *argv):
        return ["ip", "netns", "exec", self.ns] + [str(a) for a in argv]

    def start(self):
        if not os.access(self.path, os.X_OK):
            raise RuntimeError("HEV=%s is not an executable hev-socks5-tunnel" % self.path)
        self.ip("netns", "add", self.ns)
        self.ip("-n", self.ns, "link", "set", "lo", "up")
        server, self.sport = self.start_server(self.inside(os.path.join(self.tools, "bench_server")))
        self.procs.append(server)
        self.socks, self.kport = self.start_server(self.inside(
            os.path.join(self.tools, "bench_socks"), "--default", "127.0.0.1:%d" % self.sport,
            "--map", "%d=idle" % self.idle_port))
        self.procs.append(self.socks)
        conf = os.path.join(self.tmp, "hev.yml")
        with open(conf, "w") as f:
            f.write("tunnel:\n  name: %s\n  mtu: %d\n  ipv4: 198.18.0.1\n"
                    "socks5:\n  port: %d\n  address: 127.0.0.1\n  udp: 'udp'\n"
                    "misc:\n  log-level: warn\n  limit-nofile: 65535\n" % (TUN, self.mtu, self.kport))
        self.proc = subprocess.Popen(self.inside(self.path, conf), stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL,
                                     stderr=open(os.path.join(self.tmp, "hev.log"), "wb"))
        self.procs.append(self.proc)
        for _ in range(100):
            r = subprocess.run(["ip", "-n", self.ns, "link", "show", TUN], capture_output=True)
            if r.returncode == 0:
                break
            if self.proc.poll() is not None:
                raise RuntimeError("hev exited at once: " + open(os.path.join(self.tmp, "hev.log")).read())
            subprocess.run(["sleep", "0.05"])
        self.ip("-n", self.ns, "link", "set", TUN, "up")
        self.ip("-n", self.ns, "route", "add", "default", "dev", TUN)

    def client_argv(self, mode, *rest, port=None):
        port = self.sport if port is None else port
        return self.inside(os.path.join(self.tools, "bench_client"), mode,
                           "%s:%d" % (self.inside_host, port), *rest)

    def stop(self):
        for p in reversed(self.procs):
            if p.poll() is None:
                p.terminate()
                try:
                    p.wait(10)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()
        subprocess.run(["ip", "netns", "del", self.ns], capture_output=True, timeout=30)
