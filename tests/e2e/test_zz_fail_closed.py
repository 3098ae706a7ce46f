"""Fail closed when the user's Tor goes away, and recover when it is back,
without restarting torgate. (Named to run last: it stops and restarts the
network's client tor, which every other test uses.)"""

import json
import os
import subprocess

import tgutil
import tornet_ctl
from tgutil import communicate, describe, shorten


def test_tor_stops_and_comes_back(tg_popen, tornet, tmp_path):
    """One torgate run, one app: a fetch works; the client tor is stopped;
    new connections are refused at once and nothing reaches the web server;
    the tor is started again; a new fetch works in the same run."""
    os.chmod(tmp_path, 0o777)
    flag = {n: str(tmp_path / n) for n in ("up1", "go1", "down", "go2")}
    host, port = tornet["TORNET_WEB_HOST"], int(tornet["TORNET_WEB_PORT"])
    get = {"op": "get", "host": host, "port": port, "path": "/", "timeout": 60}
    steps = [get,
             {"op": "touch", "path": flag["up1"]}, {"op": "wait", "path": flag["go1"], "timeout": 120},
             get, {"op": "connect", "host": host, "port": port, "timeout": 60},
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
    cp = subprocess.CompletedProcess(proc.args, proc.returncode, out, err)
    res = tgutil.json_result(cp)["steps"]
    first, down_get, down_connect, again = res[0], res[3], res[4], res[7]
    assert first["ok"] and first["body"] == tornet["TORNET_WEB_BODY"] + "\n", first
    for step in (down_get, down_connect):
        assert step["error"] == "ECONNREFUSED", "with Tor gone: %r" % step
        assert step["elapsed"] < 5, "refused only after %.1f s" % step["elapsed"]
    assert during == 0, "the web server was reached while Tor was down"
    assert again["ok"] and again["body"] == tornet["TORNET_WEB_BODY"] + "\n", \
        "after Tor came back: %r\n%s" % (again, shorten(err))
    assert "cannot reach Tor at %s" % tornet["TORNET_SOCKS"] in err, describe(cp)
