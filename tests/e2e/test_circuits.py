"""torgate circuits NAME: the circuits an instance's streams use, as Tor's
control port reports them, found by the SOCKS username torgate gave the
instance; and the CIRCUITS column of torgate ls.

What a user would check:
- a sandbox that fetched a page and holds a stream open: `torgate circuits`
  names the circuit carrying that stream, with three of the network's
  relays (fingerprint, nickname, address and ORPort as the network has
  them), and Tor itself says that circuit is the instance's (its
  SOCKS_USERNAME); the text says what the JSON says;
- two sandboxes: circuits of their own, none shared;
- `ls` counts them; an instance whose control port is not there shows "-"
  (null in JSON) and ls still succeeds;
- a NAME nobody runs, a control port that is not there, a cookie that
  cannot be read, a control port that is not Tor's: one line each, saying
  which and the fix;
- --isolate host: each host its own circuit, the host named (an onion
  service's, checked against the password's hash; a name the exit resolved
  is shown as the address Tor now has for the stream).
"""

import glob
import json
import os
import re
import select
import subprocess
import time
import uuid

import tgutil
from tgutil import describe, shorten

LONG = "60000000"        # bytes (the web server gives up to 64 MiB): at 1 KB/s, open for the test


def uniq(prefix):
    return "%s-%s" % (prefix, uuid.uuid4().hex[:8])


def ctl(*args, timeout=60):
    """torgate VERB ... as the suite's user."""
    return subprocess.run(tgutil.user_prefix() + [tgutil.torgate_path(), *args], env=tgutil.torgate_env(),
                          stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=timeout)


def wait_line(p, want, timeout=120):
    """Reads p's stdout until a line equal to want; fails with what it said."""
    deadline = time.monotonic() + timeout
    seen = []
    while time.monotonic() < deadline:
        r, _, _ = select.select([p.stdout], [], [], 0.5)
        if r:
            line = p.stdout.readline()
            if line == "":
                break
            seen.append(line)
            if line.rstrip("\n") == want:
                return
        elif p.poll() is not None:
            break
    raise AssertionError("no %r from the sandbox; it said %r, exit %s, stderr: %s"
                         % (want, seen, p.poll(), shorten(p.stderr.read() if p.poll() is not None else "")))


def holding(tg_popen, tornet, name, *opts, urls=None):
    """A sandbox that fetches the web page, then keeps a slow download from
    each of urls (default: the web server) open."""
    web = tornet["TORNET_WEB_URL"]
    urls = urls or [web]
    slow = " & ".join("curl -sS --fail -o /dev/null --limit-rate 1k %sbytes/%s" % (u, LONG) for u in urls)
    script = "curl -sS --fail -m 60 -o /dev/null %s && echo fetched && { %s & wait; }" % (web, slow)
    p = tg_popen(["--name", name, "--tor-control", tornet["TORNET_CONTROL"], *opts, "--", "sh", "-c", script])
    wait_line(p, "fetched")
    return p


def circuits_json(name, *extra):
    cp = ctl("circuits", name, "--json", *extra)
    assert cp.returncode == 0, describe(cp)
    return json.loads(cp.stdout)


def wait_streams(name, targets, timeout=60):
    """circuits NAME --json once every target (a predicate on a stream's
    target) has a SUCCEEDED stream."""
    deadline = time.monotonic() + timeout
    while True:
        view = circuits_json(name)
        streams = [s for c in view["circuits"] for s in c["streams"] if s["status"] == "SUCCEEDED"]
        if all(any(t(s["target"]) for s in streams) for t in targets):
            return view
        if time.monotonic() > deadline:
            raise AssertionError("the streams never showed: %s" % json.dumps(view))
        time.sleep(0.5)


def carrying(view, pred):
    found = [c for c in view["circuits"] if any(pred(s["target"]) for s in c["streams"])]
    assert len(found) == 1, "not one circuit carries the stream: %s" % json.dumps(view)
    return found[0]


def network_relays(tornet):
    """fingerprint -> (nickname, advertised ORPort) of the network's relays."""
    relays = {}
    for fp_file in glob.glob(os.path.join(tornet["TORNET_DIR"], "nodes", "auth*", "fingerprint")):
        with open(fp_file) as f:
            nick, fp = f.read().split()
        with open(os.path.join(os.path.dirname(fp_file), "torrc")) as f:
            ports = re.findall(r"^ORPort 127\.0\.0\.1:(\d+)(.*)$", f.read(), re.M)
        # With --latency a relay advertises its NoListen port.
        adv = [int(p) for p, flags in ports if "NoListen" in flags] or \
              [int(p) for p, flags in ports if "NoAdvertise" not in flags]
        relays[fp] = (nick, adv[0])
    assert len(relays) >= 3, relays
    return relays


def parse_text(text):
    """The text output, read back into the JSON's shape."""
    lines = text.splitlines()
    head = re.match(r"^(\S+): (?:\d+ circuits?|no circuits now) \(SOCKS user (\S+);", lines[0])
    assert head, text
    out = {"name": head.group(1), "socks_user": head.group(2), "circuits": []}
    for ln in lines[1:]:
        c = out["circuits"][-1] if out["circuits"] else None
        m = re.match(r"^circuit (\d+)  (\S+)  (\S+)(?:  (\S+))?$", ln)
        r = re.match(r"^    (\S+) +([0-9A-F]{40})  (\S+) +(\S+)$", ln)
        s = re.match(r"^  stream (\d+)  (\S+)  (\S+)$", ln)
        h = re.match(r"^  host (\S+)( \(.*\))?$", ln)
        if m:
            out["circuits"].append({"id": int(m.group(1)), "status": m.group(2), "purpose": m.group(3),
                                    "build_flags": m.group(4), "relays": [], "streams": []})
        elif r and c is not None:
            c["relays"].append(r.groups())
        elif s and c is not None:
            c["streams"].append((int(s.group(1)), s.group(2), s.group(3)))
        elif h and c is not None:
            c["host"] = (h.group(1), h.group(2) is None)
        else:
            assert ln in ("", "  no streams"), "a line the text should not have: %r\n%s" % (ln, text)
    return out


def as_text_shape(view):
    """The JSON, with what the text writes for what is unknown ("-")."""
    dash = lambda v: "-" if v is None else v  # noqa: E731
    out = {"name": view["name"], "socks_user": view["socks_user"], "circuits": []}
    for c in view["circuits"]:
        e = {"id": c["id"], "status": c["status"], "purpose": dash(c["purpose"]),
             "build_flags": ",".join(c["build_flags"]) if "build_flags" in c else None,
             "relays": [(dash(r["nickname"]), r["fingerprint"],
                         "%s:%d" % (r["address"], r["or_port"]) if r["address"] else "-", dash(r["country"]))
                        for r in c["relays"]],
             "streams": [(s["id"], s["target"], s["status"]) for s in c["streams"]]}
        if "host" in c:
            e["host"] = (dash(c["host"]), c["host_checked"] or c["host"] is None)
        out["circuits"].append(e)
    return out


def tor_circuit_line(control, cid):
    code, lines = control.command("GETINFO circuit-status")
    assert code == "250", lines
    found = [ln for ln in lines if ln.startswith("%d " % cid)]
    assert len(found) == 1, "Tor does not list circuit %d: %s" % (cid, lines)
    return found[0]


def test_circuit_carrying_the_stream(tg_popen, tornet, control):
    """The circuit the sandbox's stream uses: three of the network's relays,
    as the network has them; Tor says it is this instance's; ls counts it;
    text and JSON agree; another sandbox's circuits are others."""
    a, b = uniq("circ-a"), uniq("circ-b")
    pa = holding(tg_popen, tornet, a)
    pb = holding(tg_popen, tornet, b)
    web = lambda t: t.endswith(":%s" % tornet["TORNET_WEB_PORT"])  # noqa: E731
    view = wait_streams(a, [web])
    circ = carrying(view, web)
    relays = network_relays(tornet)
    assert circ["status"] == "BUILT" and circ["purpose"] == "GENERAL", circ
    assert len(circ["relays"]) == 3, circ
    for r in circ["relays"]:
        assert r["fingerprint"] in relays, "%s is no relay of the network %s" % (r, relays)
        nick, orport = relays[r["fingerprint"]]
        assert (r["nickname"], r["address"], r["or_port"]) == (nick, "127.0.0.1", orport), (r, nick, orport)
        assert r["country"] is None, r              # the private network's Tor has no GeoIP data
    assert len({r["fingerprint"] for r in circ["relays"]}) == 3, circ

    # The instance's username, as ls says it; Tor puts it on that circuit,
    # with the same relays in the same order.
    listed = json.loads(ctl("ls", "--json").stdout)
    me = [e for e in listed if e["name"] == a]
    assert len(me) == 1 and me[0]["socks_user"] == view["socks_user"], (me, view["socks_user"])
    assert view["socks_user"].startswith("torgate-") and view["name"] == a
    assert view["tor_control"] == tornet["TORNET_CONTROL"], view
    line = tor_circuit_line(control, circ["id"])
    assert 'SOCKS_USERNAME="%s"' % view["socks_user"] in line, line
    assert line.split()[2] == ",".join("$%s~%s" % (r["fingerprint"], r["nickname"]) for r in circ["relays"]), line

    # The text says what the JSON says.
    cp = ctl("circuits", a)
    assert cp.returncode == 0, describe(cp)
    again = circuits_json(a)
    assert parse_text(cp.stdout) == as_text_shape(again), "text:\n%s\njson: %s" % (cp.stdout, json.dumps(again))
    assert "circuit %d  BUILT  GENERAL" % circ["id"] in cp.stdout, cp.stdout

    # ls counts them, in text as in JSON.
    n = len(again["circuits"])
    listed = json.loads(ctl("ls", "--json").stdout)
    assert [e["circuits"] for e in listed if e["name"] == a] == [n], listed
    text = ctl("ls").stdout
    row = [ln.split() for ln in text.splitlines() if ln.split()[:1] == [a]]
    assert text.split()[4] == "CIRCUITS" and len(row) == 1 and row[0][4] == str(n), text

    # The other sandbox: circuits of its own, none of a's.
    other = wait_streams(b, [web])
    ids_a, ids_b = {c["id"] for c in view["circuits"]}, {c["id"] for c in other["circuits"]}
    assert ids_a and ids_b and ids_a.isdisjoint(ids_b), (ids_a, ids_b)
    assert other["socks_user"] != view["socks_user"]
    for name, p in ((a, pa), (b, pb)):
        assert ctl("stop", name).returncode == 0
        p.wait(timeout=30)


def one_line(cp):
    assert cp.returncode == 1 and cp.stdout == "", describe(cp)
    lines = cp.stderr.splitlines()
    assert len(lines) == 1, describe(cp)
    return lines[0]


def test_failures_are_one_line(tg_popen, tornet):
    """NOSUCH, a control port that is not there, a cookie that cannot be
    read: one line each, exit 1, nothing on stdout. ls still lists an
    instance whose control port is not there, with '-' / null."""
    gone = uniq("circ-nosuch")
    line = one_line(ctl("circuits", gone))
    assert line == "torgate: no torgate named %s is running (torgate ls lists them)" % gone, line

    name, dead = uniq("circ-dead"), tgutil.closed_port()
    p = tg_popen(["--name", name, "--tor-control", dead, "--", "sh", "-c", "echo up; exec sleep 120"])
    wait_line(p, "up")
    for extra in ([], ["--json"]):
        line = one_line(ctl("circuits", name, *extra))
        assert line == ("torgate: circuits: Tor's control port %s does not answer (Connection refused); "
                        "set ControlPort %s and CookieAuthentication 1 in torrc, or give --tor-control "
                        "HOST:PORT" % (dead, dead)), line
    # The real control port given on the command line wins over the instance's.
    cp = ctl("circuits", name, "--tor-control", tornet["TORNET_CONTROL"])
    assert cp.returncode == 0 and cp.stdout.startswith("%s: no circuits now" % name), describe(cp)

    cookie = "/nonexistent-%s/control_auth_cookie" % uuid.uuid4().hex[:8]
    fake = tgutil.FakeControl(cookie)
    try:
        line = one_line(ctl("circuits", name, "--tor-control", fake.addr))
    finally:
        fake.close()
    assert line.startswith("torgate: circuits: Tor's control port %s: its cookie %s cannot be reached"
                           % (fake.addr, cookie)), line
    assert "add yourself to Tor's group" in line, line
    fake = tgutil.FakeControl()
    try:
        line = one_line(ctl("circuits", name, "--tor-control", fake.addr))
    finally:
        fake.close()
    assert line == ("torgate: circuits: the control port %s did not answer GETINFO circuit-status and "
                    "stream-status as Tor does; point --tor-control at Tor's ControlPort" % fake.addr), line

    cp = ctl("ls")
    assert cp.returncode == 0, describe(cp)
    row = [ln.split() for ln in cp.stdout.splitlines() if ln.split()[:1] == [name]]
    assert len(row) == 1 and row[0][4] == "-", cp.stdout
    cp = ctl("ls", "--json")
    assert cp.returncode == 0, describe(cp)
    assert [e["circuits"] for e in json.loads(cp.stdout) if e["name"] == name] == [None], cp.stdout
    assert ctl("stop", name).returncode == 0
    p.wait(timeout=30)


def test_isolate_host_names_each_circuits_host(tg_popen, tornet):
    """--isolate host: the onion service and the web server on circuits of
    their own; the onion service's named (its stream's host hashes to the
    circuit's password); the web server's as Tor has the stream now, the
    address the exit resolved (the password only hashes the name)."""
    name = uniq("circ-host")
    onion = tornet["TORNET_ONION"]
    p = holding(tg_popen, tornet, name, "--isolate", "host",
                urls=[tornet["TORNET_ONION_URL"], tornet["TORNET_WEB_URL"]])
    to_onion = lambda t: t == "%s:80" % onion  # noqa: E731
    to_web = lambda t: t.endswith(":%s" % tornet["TORNET_WEB_PORT"]) and ".onion:" not in t  # noqa: E731
    view = wait_streams(name, [to_onion, to_web])
    oc, wc = carrying(view, to_onion), carrying(view, to_web)
    assert oc["id"] != wc["id"], view
    assert (oc["host"], oc["host_checked"]) == (onion, True), oc
    web_host = wc["streams"][0]["target"].rsplit(":", 1)[0]
    assert (wc["host"], wc["host_checked"]) == (web_host, web_host == tornet["TORNET_WEB_HOST"]), wc
    # Every circuit of a host-isolated instance says its host (or null).
    assert all("host" in c for c in view["circuits"]), view
    cp = ctl("circuits", name)
    assert cp.returncode == 0, describe(cp)
    assert re.search(r"^circuit %d .*\n  host %s\n" % (oc["id"], re.escape(onion)), cp.stdout, re.M), cp.stdout
    assert ctl("stop", name).returncode == 0
    p.wait(timeout=30)
