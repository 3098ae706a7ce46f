"""Talking to the private Tor network from the e2e tests: its control port,
its DNSPort, and the name server's query log. The control-protocol client
and the DNS probe are scripts/tornet's own (loaded from there, not copied)."""

import importlib.machinery
import importlib.util
import os
import re
import subprocess

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TORNET = os.path.join(TOP, "scripts", "tornet")


def _load_tornet():
    loader = importlib.machinery.SourceFileLoader("tornet_script", TORNET)
    spec = importlib.util.spec_from_loader("tornet_script", loader)
    mod = importlib.util.module_from_spec(spec)
    loader.exec_module(mod)
    return mod


tornet_script = _load_tornet()


def host_port(addr):
    host, _, port = addr.rpartition(":")
    return host, int(port)


def control(env):
    """An authenticated control connection to the client tor."""
    return tornet_script.Control(host_port(env["TORNET_CONTROL"])[1], env["TORNET_COOKIE"])


def dnsport_a(env, name):
    """Ask the client tor's DNSPort (outside torgate) for NAME/A: (rcode, [addresses])."""
    host, port = host_port(env["TORNET_DNSPORT"])
    return tornet_script.dns_probe(host, port, name)


def client(env, what):
    """scripts/tornet stop-client|start-client: (exit status, what it said)."""
    r = subprocess.run([TORNET, what + "-client", env["TORNET_DIR"]], stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True, timeout=180)
    return r.returncode, r.stdout


STREAM = re.compile(r'^STREAM (\d+) (\w+) (\d+) (\S+)(.*)$')


def stream_events(events):
    """Control-port STREAM events as dicts: id, status, circ, target,
    username (SOCKS_USERNAME, which torgate sets per instance)."""
    out = []
    for ev in events:
        m = STREAM.match(ev[0])
        if not m:
            continue
        user = re.search(r'SOCKS_USERNAME="([^"]*)"', m.group(5))
        out.append({"id": m.group(1), "status": m.group(2), "circ": m.group(3),
                    "target": m.group(4), "username": user.group(1) if user else None})
    return out


class QueryLog:
    """Lines tornet's name server logged since the last call to new()."""

    def __init__(self, path):
        self.path = path
        self.pos = os.path.getsize(path)

    def new(self):
        with open(self.path) as f:
            f.seek(self.pos)
            text = f.read()
            self.pos = f.tell()
        return text.splitlines()
