"""torgate exec against real Tor: a command run inside a running sandbox
has the sandbox's network and nothing else. It reads the sandbox's
resolv.conf (torgate's stub), and a fresh name it fetches is resolved by
an exit (tornet's name server logs the exit's lookup; the host's resolver
is never asked), over a circuit of the sandbox's own SOCKS username."""

import os
import subprocess
import uuid

import tgutil
from tgutil import describe


def exec_in(name, *cmd, timeout=120):
    return subprocess.run(tgutil.user_prefix() + [tgutil.torgate_path(), "exec", name, "--", *cmd],
                          env=tgutil.torgate_env(), stdin=subprocess.DEVNULL, capture_output=True,
                          text=True, timeout=timeout)


def test_exec_fetches_by_name_through_tor(tg_popen, tornet, dns_queries):
    name = "exec-%s" % uuid.uuid4().hex[:8]
    p = tg_popen(["--name", name, "--", "sh", "-c", "echo up; exec sleep 300"])
    assert p.stdout.readline() == "up\n", p.stderr.read()
    resolv = exec_in(name, "cat", "/etc/resolv.conf")
    assert resolv.returncode == 0 and "Written by torgate" in resolv.stdout, describe(resolv)
    host = "exec-%s.%s" % (os.urandom(4).hex(), tornet["TORNET_ZONE"])
    cp = exec_in(name, "curl", "-sS", "--fail", "-m", "90",
                 "http://%s:%s/" % (host, tornet["TORNET_WEB_PORT"]))
    assert cp.returncode == 0 and cp.stdout == tornet["TORNET_WEB_BODY"] + "\n", describe(cp)
    assert any(" A %s -> 127.0.0.1" % host in q for q in dns_queries.new()), \
        "the exit never asked tornet's name server for %s" % host
    # Its exit status is the command's, through Tor too: a name nobody
    # can resolve fails as curl says.
    bad = exec_in(name, "curl", "-sS", "-m", "60", "http://nosuch-%s.example/" % os.urandom(4).hex())
    assert bad.returncode not in (0, 125) and "curl:" in bad.stderr, describe(bad)
    p.terminate()
    p.communicate(timeout=30)
