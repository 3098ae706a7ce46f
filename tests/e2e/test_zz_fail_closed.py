"""Fail closed when the user's Tor goes away, and recover when it is back,
without restarting torgate. It stops and restarts the network's client
tor, which every other test uses: conftest.py runs it last."""

import json
import os
import socket
import subprocess

import tgutil
import tornet_ctl
from tgutil import communicate, describe, shorten


def canary():
    """A listener on the host's loopback at an address the app can name:
    inside the sandbox 127.200.0.1 is routed to the TUN (Tor's automap
    range), so only a torgate that let the app out another way could ever
    reach it."""
    s = socket.socket()
    s.bind(("127.200.0.1", 0))
    s.listen(16)
    s.setblocking(False)
    return s


def canary_hits(s):
    hits = 0
    while True:
        try:
            c, _ = s.accept()
        except BlockingIOError:
            return hits
        c.close()
        hits += 1


def test_tor_stops_and_comes_back(tg_popen, tornet, tmp_path):
    """One torgate run, one app: a fetch works; the client tor is stopped;
    new connections are refused at once, and neither the web server nor a
    canary on the host's loopback is reached; the tor is started again; a
    new fetch works in the same run."""
    os.chmod(tmp_path, 0o777)
    can = canary()
    can_port = can.getsockname()[1]
    flag = {n: str(tmp_path / n) for n in ("up1", "go1", "down", "go2")}
    host, port = tornet["TORNET_WEB_HOST"], int(tornet["TORNET_WEB_PORT"])
    get = {"op": "get", "host": host, "port": port, "path": "/", "timeout": 60}
    steps = [get,
             {"op": "touch", "path": flag["up1"]}, {"op": "wait", "path": flag["go1"], "timeout": 120},
             get, {"op": "connect", "host": host, "port": port, "timeout": 60},
             {"op": "connect", "host": "127.200.0.1", "port": can_port, "timeout": 60},
             {"op": "touch", "path": flag["down"]}, {"op": "wait", "path": flag["go2"], "timeout": 180},
             get]
    access = os.path.join(tornet["TORNET_DIR"], "www", "web-access.log")
    proc = tg_popen(["--"] + tgutil.py_client("probe.py", json.dumps(steps)))
    stopped = False
    try:
        tgutil.wait_for_path(flag["up1"], 90, proc, "the first fetch")
        rc, said = tornet_ctl.client(tornet, "stop")
        stopped = True
        assert rc == 0, said
        before = os.path.getsize(access)
        open(flag["go1"], "w").close()
        tgutil.wait_for_path(flag["down"], 90, proc, "the fetches while Tor is down")
        during = os.path.getsize(access) - before
        rc, said = tornet_ctl.client(tornet, "start")
        assert rc == 0, said
        stopped = False
        open(flag["go2"], "w").close()
        out, err = communicate(proc, 120)
    finally:
        if stopped:                      # the rest of the suite needs it
            tornet_ctl.client(tornet, "start")
        hits = canary_hits(can)
        can.close()
    cp = subprocess.CompletedProcess(proc.args, proc.returncode, out, err)
    res = tgutil.json_result(cp)["steps"]
    first, again = res[0], res[8]
    assert first["ok"] and first["body"] == tornet["TORNET_WEB_BODY"] + "\n", first
    for step in res[3:6]:
        assert step["error"] == "ECONNREFUSED", "with Tor gone: %r" % step
        assert step["elapsed"] < 5, "refused only after %.1f s" % step["elapsed"]
    assert during == 0, "the web server was reached while Tor was down"
    assert hits == 0, "the canary on the host's loopback was reached"
    assert again["ok"] and again["body"] == tornet["TORNET_WEB_BODY"] + "\n", \
        "after Tor came back: %r\n%s" % (again, shorten(err))
    assert "cannot reach Tor at %s" % tornet["TORNET_SOCKS"] in err, describe(cp)
