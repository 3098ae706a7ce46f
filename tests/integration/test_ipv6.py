"""IPv6 on the TUN: the same policy as IPv4 however a packet is dressed, and
router and neighbour discovery that confuses nothing.

- test_kernel_stays_quiet_on_tg0: the app's kernel neither solicits routers
  on tg0 nor accepts advertisements there (torgate sets accept_ra and
  router_solicitations to 0 before the link is up), and over a few seconds
  of an idle sandbox the gateway sees no packet at all.
- test_link_signalling_and_extension_headers: from outside (nsenter, as
  root, into the sandbox's network namespace: what no app inside could
  send without CAP_NET_RAW) come a router solicitation and advertisement,
  neighbour solicitation and advertisement for the gateway's address, a
  redirect and MLD traffic. The gateway counts and ignores each (lwIP's
  neighbour and router state are never touched) and answers none on tg0.
  UDP behind a destination-options header and UDP in fragments are
  refused at once like any other UDP, and counted per port; a TCP SYN with
  a destination-options header becomes a SOCKS CONNECT like any other, and
  its bytes arrive intact. The app inside still fetches over IPv6 after.
"""
import json
import os
import re
import subprocess

import pytest

import tgutil

HTTP6 = "2001:db8::80"
UDP6 = "2001:db8::44"
GW6 = "fd74:6f72::1"


def test_kernel_stays_quiet_on_tg0(run_torgate):
    code = ("cat /proc/sys/net/ipv6/conf/tg0/accept_ra "
            "/proc/sys/net/ipv6/conf/tg0/router_solicitations; sleep 5")
    cp = run_torgate(["-v", "--", "sh", "-c", code])
    assert cp.returncode == 0, tgutil.describe(cp)
    assert cp.stdout.split() == ["0", "0"], cp.stdout
    m = re.search(r"packets: (\d+) in, (\d+) malformed.* (\d+) IPv6 link signalling ignored",
                  cp.stderr)
    assert m, tgutil.describe(cp)
    assert m.groups() == ("0", "0", "0"), m.group(0)


def test_link_signalling_and_extension_headers(popen_torgate, user_tmp, socks_log):
    go = os.path.join(user_tmp, "go")
    ready = os.path.join(user_tmp, "ready")
    app = ("touch %s; while [ ! -e %s ]; do sleep 0.1; done; "
           "curl -sS -g --max-time 20 http://[%s]/bytes/3000 | wc -c" % (ready, go, HTTP6))
    proc = popen_torgate(["-v", "--", "sh", "-c", app])
    try:
        tgutil.wait_for_path(ready, 30, proc, "the command inside torgate")
        sandbox = tgutil.sandbox_pid(proc.pid)
        assert sandbox is not None, "no sandbox process found"
        inj = subprocess.run(["nsenter", "-t", str(sandbox), "-n", tgutil.PY,
                              tgutil.client("v6_inject.py"), HTTP6, "80", UDP6, GW6],
                             capture_output=True, text=True, timeout=60)
        assert inj.returncode == 0, inj.stderr
        res = json.loads(inj.stdout.strip().splitlines()[-1])
    finally:
        open(go, "w").close()
    out, err = tgutil.communicate(proc, 60)
    assert proc.returncode == 0, (proc.returncode, err)

    # Link signalling: counted, ignored, unanswered.
    assert res["link_sent"] == 7, res
    assert not [t for t in res["answers"] if t >= 130], res["answers"]
    m = re.search(r"(\d+) malformed.* (\d+) IPv6 link signalling ignored", err)
    assert m and m.groups() == ("0", "7"), err

    # Extension headers and fragments change nothing about UDP.
    assert res["udp_dstopts"]["error"] == "ECONNREFUSED", res
    assert res["udp_fragmented"]["error"] == "ECONNREFUSED", res
    assert res["udp_dstopts"]["elapsed"] < 3.0 and res["udp_fragmented"]["elapsed"] < 3.0, res
    m = re.search(r"(\d+) UDP refused \(port ([^)]*)\)", err)
    assert m and m.group(1) == "2" and m.group(2) == "443: 1, 4433: 1", err

    # ...nor about TCP: a SYN with options went to Tor, bytes intact.
    assert res["tcp_dstopts"] == {"status": "HTTP/1.1 200 OK", "body_len": 5000}, res
    targets = [(e.get("host"), e.get("port")) for e in socks_log.new()]
    assert targets.count((HTTP6, 80)) == 2, targets     # the injected GET and the app's

    # The app itself, after all of it.
    assert out.strip() == "3000", (out, err)
