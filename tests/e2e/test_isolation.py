"""Stream isolation, seen from Tor itself: torgate gives each instance its
own SOCKS username, Tor (IsolateSOCKSAuth, the default) gives each username
its own circuits. The control port's STREAM events say which circuit every
stream used."""

import time

import tornet_ctl
from tgutil import communicate, shorten


def test_instances_never_share_a_circuit(tg_popen, tornet, control):
    """Two torgate instances run at the same time, each making 4 requests
    to its own hostname: every stream of one instance uses the same
    circuit, and the two instances' circuits differ."""
    code, lines = control.command("SETEVENTS STREAM")
    assert code == "250", lines
    port = tornet["TORNET_WEB_PORT"]
    procs = {}
    for name in ("alpha", "beta"):
        host = "%s.%s" % (name, tornet["TORNET_ZONE"])
        # -4: one connection per request. With both families curl races a
        # second connection when the first is slow (happy eyeballs), and
        # Tor sees a fifth stream.
        script = ("for i in 1 2 3 4; do curl -4 -sS --fail -m 60 http://%s:%s/ || exit 1; "
                  "sleep 0.2; done" % (host, port))
        procs[host] = tg_popen(["--", "sh", "-c", script])
    for host, p in procs.items():
        out, err = communicate(p, 180)
        assert p.returncode == 0, "%s: exit %s\n%s" % (host, p.returncode, shorten(err))
        assert out == (tornet["TORNET_WEB_BODY"] + "\n") * 4, out
    time.sleep(0.5)                       # the last CLOSED events
    events = tornet_ctl.stream_events(control.poll_events())

    circuits, users = {}, {}
    for host in procs:
        target = "%s:%s" % (host, port)
        ids = {e["id"] for e in events if e["status"] == "NEW" and e["target"] == target}
        assert len(ids) == 4, "expected 4 streams to %s, Tor saw %s" % (target, events)
        used = [e for e in events if e["id"] in ids and e["status"] == "SUCCEEDED"]
        assert len(used) == 4, used
        circuits[host] = {e["circ"] for e in used}
        users[host] = {e["username"] for e in used}
        assert len(circuits[host]) == 1, "%s's streams used circuits %s" % (host, circuits[host])
        assert len(users[host]) == 1 and None not in users[host], users[host]
    a, b = procs
    assert circuits[a].isdisjoint(circuits[b]), "both instances used circuit %s" % circuits[a]
    assert users[a].isdisjoint(users[b]), "both instances used SOCKS username %s" % users[a]
