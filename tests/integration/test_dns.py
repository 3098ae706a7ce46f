"""torgate's DNS stub (map mode), end to end. What each test proves:

Names by the ordinary resolver (glibc, curl, host)
- test_getent_ahosts_virtual_addresses: `getent ahosts web.example` in the
  sandbox gives one address in 198.18.0.0/15 and one in fd74:6f72:ff00::/40
  and nothing else: glibc reaches the stub through the sandbox's resolv.conf.
- test_curl_by_name[4|6]: `curl -4/-6 http://web.example/hello` gets "hello"
  from a virtual address of the right family, and the SOCKS server saw one
  CONNECT with ATYP 3, host "web.example", port 80 (never an IP address).
- test_host_command: bind9's `host` finds both addresses and the PTR back.
- test_names_stable_case_insensitive_distinct: WEB.Example. and web.example
  get the same address (A and AAAA, UDP and TCP), another name another
  address, and dig -x of each virtual address returns its name; TTL is 60.
- test_connect_to_virtual_address_literal: connecting to an unassigned
  virtual address (v4 and v6) is refused at once and reaches no SOCKS server;
  connecting to the literal address a lookup returned becomes a CONNECT of
  the name.

Onion names
- test_onion_name_reaches_socks_as_hostname: a valid v3 onion name and a
  subdomain of it are fetched by name; the SOCKS server sees the onion
  hostnames (ATYP 3), upper case maps to the same address.
- test_malformed_onion_names_nxdomain: v2 names, wrong lengths, a non-base32
  character and version 2 get NXDOMAIN (A and AAAA) and no address.

The stub as a DNS server (dig, UDP and TCP, both stub addresses)
- test_dig_statuses[server-transport]: A/AAAA (answer in the pool, TTL 60),
  PTR (virtual -> name, other -> NXDOMAIN), localhost and *.localhost,
  MX/TXT/HTTPS/SVCB/SRV/NS/SOA/CNAME (NOERROR, no answer), ANY (NOTIMP);
  dig really used the transport and the server asked.
- test_edns: +edns=0 +bufsize=1232 (and 4096) gets an OPT record with UDP
  size 1232; +noedns gets none; the same over TCP.
- test_raw_queries[udp|tcp]: messages sent raw by a client in the sandbox:
  QDCOUNT 0 and 2, label length 0x40, a 64-octet label, compression loops,
  a 256-octet name, truncated questions, bad characters -> FORMERR with the
  ID echoed; IQUERY/STATUS opcodes, ANY/AXFR/IXFR -> NOTIMP; a message
  shorter than a header and a response (QR=1) -> no answer at all; a
  255-octet name, DNS 0x20 mixed case and an underscore label are answered
  with the question copied byte for byte; afterwards the stub still answers.

Other name servers
- test_other_nameserver_udp_unanswered_tcp_carried: a query to 192.0.2.53
  over UDP gets no answer; over TCP it is a stream like any other: the SOCKS
  server sees CONNECT 192.0.2.53:53 (ATYP 1) and the answer is the one of
  the DNS responder behind it.

Wrapper worlds (root: a private mount namespace prepared by nswrap.py)
- test_resolv_conf_placement[case]: /etc/resolv.conf a regular file, an
  absolute or relative symlink to an existing file on a tmpfs at
  /run/systemd/resolve, a dangling symlink, or missing: in the sandbox it
  names the stub (10.66.0.1, fd74:6f72::1), getent resolves to virtual
  addresses, /etc/hosts is torgate's generic one, torgate -v says in one line which
  case it handled; the wrapper's files and the host are unchanged afterwards.
- test_nss_resolve_socket_unreachable: with nss-resolve really loaded
  (hosts: files resolve dns; libnss_resolve.so.2 from Debian's package,
  overlaid on the wrapper's /lib/x86_64-linux-gnu and visible in the
  sandbox) and a fake resolved socket, getent outside torgate talks to the
  socket (positive control: it prints the fake's answer) and inside torgate
  resolves to virtual addresses with no connection from the sandbox; the
  socket path does not exist in the sandbox (ENOENT).
- test_nscd_socket_unreachable: the same for nscd's socket (/run/nscd and
  /var/run/nscd), which glibc asks before any NSS module. (The fake sockets
  tell the sandbox's connections from those of setpriv or torgate itself
  outside it by the peer's network namespace.)
- test_no_dns_leak_to_host_resolver: a canary DNS server is the wrapper's
  name server (it answers getent outside torgate: positive control); getent,
  curl by name, dig, host, an onion fetch and a program querying 192.0.2.53
  over UDP and TCP inside torgate all work and the canary gets nothing.
"""

import json
import os
import re
import shutil

import pytest

import dnscheck
import fixtures
import nsenv
import tgutil
from dnscheck import (OTHER_NS, POOL4, POOL6, STUB4, STUB6, TTL, dig, dnswire, in_pool,
                      parse_dig, short_lines)
from tgutil import describe, json_result, py_client


# ------------------------------------------------------------------ helpers

@pytest.fixture(scope="module", autouse=True)
def _dns_tools():
    missing = [t for t in ("dig", "host", "getent", "curl") if not shutil.which(t)]
    if missing:
        pytest.fail("%s missing: run scripts/install-deps (bind9-dnsutils, bind9-host)"
                    % ", ".join(missing), pytrace=False)


def run_cmds(run_torgate, cmds, timeout=180, **kw):
    """Runs argv lists one after the other in one sandbox; returns their
    results ({"rc", "stdout", "stderr", "argv"})."""
    cp = run_torgate(["--"] + py_client("timed_cmds.py", json.dumps(cmds)), timeout=timeout,
                     **kw)
    return json_result(cp)


def sh(script):
    return ["sh", "-c", script]


def dig_result(r, what):
    d = parse_dig(r["stdout"])
    assert d is not None, "%s: dig got no answer\n%s" % (what, describe_cmd(r))
    assert "malformed" not in r["stdout"].lower(), "%s: dig says the answer is malformed\n%s" \
        % (what, r["stdout"])
    return d


def describe_cmd(r):
    return "argv %r\nexit status %r\nstdout: %s\nstderr: %s" % (
        r.get("argv"), r["rc"], tgutil.shorten(r["stdout"]), tgutil.shorten(r["stderr"]))


def sections(text):
    """'== name' lines split a script's output into {name: text}."""
    out, cur = {}, None
    for ln in text.splitlines():
        if ln.startswith("== "):
            cur = ln[3:].strip()
            out[cur] = ""
        elif cur is not None:
            out[cur] += ln + "\n"
    return out


def getent_addrs(text):
    return [ln.split()[0] for ln in text.splitlines() if ln.strip()]


def connects_to(entries, host=None, port=None):
    return [e for e in entries if e.get("cmd") == 1 and (host is None or e["host"] == host)
            and (port is None or e["port"] == port)]


def assert_one_named_connect(entries, name, port=80):
    got = connects_to(entries, port=port)
    assert [(e["atyp"], e["host"]) for e in got] == [(3, name)], \
        "expected exactly one CONNECT (ATYP 3) to %r:%d, the SOCKS log has %r" % (
            name, port, entries)


# ------------------------------------------------------------------ names by the ordinary resolver

def test_getent_ahosts_virtual_addresses(run_torgate):
    cp = run_torgate(["--", "getent", "ahosts", "web.example"])
    assert cp.returncode == 0, describe(cp)
    addrs = set(getent_addrs(cp.stdout))
    assert any(in_pool(a, POOL4) for a in addrs), "no address in %s: %s" % (POOL4, cp.stdout)
    assert any(in_pool(a, POOL6) for a in addrs), "no address in %s: %s" % (POOL6, cp.stdout)
    assert len(addrs) == 2 and all(in_pool(a) for a in addrs), cp.stdout


@pytest.mark.parametrize("family", [4, 6])
def test_curl_by_name(run_torgate, socks_log, family):
    cp = run_torgate(["--", "curl", "-%d" % family, "-sS", "--max-time", "30",
                      "-w", "\n%{remote_ip}\n", "http://web.example/hello"])
    assert cp.returncode == 0 and cp.stdout.startswith("hello\n"), describe(cp)
    ip = cp.stdout.splitlines()[-1]
    assert in_pool(ip, POOL4 if family == 4 else POOL6), \
        "curl -%d connected to %s, not a virtual address" % (family, ip)
    assert_one_named_connect(socks_log.new(), "web.example")


def test_host_command(run_torgate):
    cp = run_torgate(["--", "sh", "-c",
                      "host web.example; echo == ptr; host $(dig +short web.example A); "
                      "echo == ptr6; host $(dig +short web.example AAAA)"])
    assert cp.returncode == 0, describe(cp)
    sec = sections("== fwd\n" + cp.stdout)
    v4 = [ln.split()[-1] for ln in sec["fwd"].splitlines() if " has address " in ln]
    v6 = [ln.split()[-1] for ln in sec["fwd"].splitlines() if " has IPv6 address " in ln]
    assert len(v4) == 1 and in_pool(v4[0], POOL4), cp.stdout
    assert len(v6) == 1 and in_pool(v6[0], POOL6), cp.stdout
    for k in ("ptr", "ptr6"):
        assert sec[k].strip().endswith("domain name pointer web.example."), cp.stdout


def test_names_stable_case_insensitive_distinct(run_torgate):
    q = [("a1", STUB4, "web.example", "A", False), ("a2", STUB4, "WEB.Example.", "A", False),
         ("a3", STUB6, "Web.EXAMPLE", "A", True), ("x1", STUB4, "web.example", "AAAA", False),
         ("x2", STUB6, "WEB.EXAMPLE.", "AAAA", True), ("o1", STUB4, "other.example", "A", False),
         ("o2", STUB4, "other.example", "AAAA", False)]
    lines = ["echo \"== %s $(%s)\"" % (k, " ".join(dig(s, n, t, tcp=tcp, short=True)))
             for k, s, n, t, tcp in q]
    lines += ["a=$(%s)" % " ".join(dig(STUB4, "web.example", "A", short=True)),
              "x=$(%s)" % " ".join(dig(STUB4, "web.example", "AAAA", short=True)),
              "echo \"== p4 $(%s -x $a)\"" % " ".join(dig(STUB4, short=True)),
              "echo \"== p6 $(%s -x $x)\"" % " ".join(dig(STUB6, short=True)),
              "echo \"== full\"", "%s" % " ".join(dig(STUB4, "web.example", "A"))]
    cp = run_torgate(["--", "sh", "-c", "\n".join(lines)], timeout=120)
    assert cp.returncode == 0, describe(cp)
    got = {}
    for ln in cp.stdout.splitlines():
        parts = ln.split()
        if parts[:1] == ["=="] and parts[1] != "full":
            got[parts[1]] = parts[2] if len(parts) > 2 else None
    assert in_pool(got["a1"], POOL4), got
    assert got["a1"] == got["a2"] == got["a3"], "one name, several IPv4 addresses: %r" % got
    assert in_pool(got["x1"], POOL6), got
    assert got["x1"] == got["x2"], "one name, several IPv6 addresses: %r" % got
    assert in_pool(got["o1"], POOL4) and in_pool(got["o2"], POOL6), got
    assert got["o1"] != got["a1"] and got["o2"] != got["x1"], \
        "two names share an address: %r" % got
    assert got["p4"] == "web.example." and got["p6"] == "web.example.", got
    full = parse_dig(cp.stdout.split("== full\n", 1)[1])
    assert full and [a["ttl"] for a in full["answers"]] == [TTL], cp.stdout


def test_connect_to_virtual_address_literal(run_torgate, socks_log):
    steps = [{"op": "connect", "host": "198.18.0.1", "port": 80},
             {"op": "connect", "host": "198.19.255.254", "port": 80},
             {"op": "connect", "host": "fd74:6f72:ff00::1", "port": 80}]
    script = ("%s; echo; a=$(%s); echo \"== addr $a\"; curl -sS --max-time 30 http://$a/hello"
              % (" ".join("'%s'" % x for x in py_client("probe.py", json.dumps(steps))),
                 " ".join(dig(STUB4, "lit.example", "A", short=True))))
    cp = run_torgate(["--", "sh", "-c", script])
    assert cp.returncode == 0, describe(cp)
    res = json.loads(cp.stdout.splitlines()[0])["steps"]
    for st in res:
        assert st["error"] == "ECONNREFUSED" and st["elapsed"] < 3.0, \
            "connect to unassigned virtual address %s: %r" % (st["host"], st)
    assert cp.stdout.endswith("hello\n"), describe(cp)
    entries = socks_log.new()
    assert [(e["atyp"], e["host"], e["port"]) for e in connects_to(entries)] == \
        [(3, "lit.example", 80)], \
        "only the assigned address may reach the SOCKS server, as its name: %r" % entries


# ------------------------------------------------------------------ onion names

def test_onion_name_reaches_socks_as_hostname(run_torgate, socks_log):
    onion = dnscheck.onion_v3()
    hosts = [onion, "www." + onion]
    steps = [{"op": "get", "host": h, "port": 80, "path": "/hello"} for h in hosts]
    cmds = [py_client("probe.py", json.dumps(steps)),
            dig(STUB4, onion, "A", short=True), dig(STUB4, onion.upper() + ".", "A", short=True),
            dig(STUB4, onion, "AAAA", short=True)]
    probe, lower, upper, v6 = run_cmds(run_torgate, cmds)
    st = json.loads(probe["stdout"].splitlines()[-1])["steps"]
    for h, s in zip(hosts, st):
        assert s["ok"] and s["body"] == "hello\n", "fetch of %s: %r" % (h, s)
    got = [(e["atyp"], e["host"], e["port"]) for e in connects_to(socks_log.new())]
    assert got == [(3, h, 80) for h in hosts], got
    assert in_pool(short_lines(lower)[0], POOL4), describe_cmd(lower)
    assert short_lines(lower) == short_lines(upper), (lower["stdout"], upper["stdout"])
    assert in_pool(short_lines(v6)[0], POOL6), describe_cmd(v6)


def test_malformed_onion_names_nxdomain(run_torgate):
    bad = dnscheck.malformed_onions()
    cmds = [dig(STUB4, name, t) for name in bad.values() for t in ("A", "AAAA")]
    res = run_cmds(run_torgate, cmds)
    wrong = []
    for (why, name), pair in zip(bad.items(), zip(res[0::2], res[1::2])):
        for r in pair:
            d = dig_result(r, name)
            if d["status"] != "NXDOMAIN" or d["counts"]["ANSWER"]:
                wrong.append("%s (%s) %s: status %s, %d answers" % (
                    why, name, r["argv"][-1], d["status"], d["counts"]["ANSWER"]))
    assert not wrong, "malformed onion names must get NXDOMAIN:\n" + "\n".join(wrong)


# ------------------------------------------------------------------ the stub, by dig

NODATA_TYPES = [("web.example", "MX"), ("web.example", "TXT"), ("web.example", "HTTPS"),
                ("web.example", "SVCB"), ("_http._tcp.web.example", "SRV"),
                ("web.example", "NS"), ("web.example", "SOA"), ("web.example", "CNAME")]


@pytest.mark.parametrize("server,tcp", [(STUB4, False), (STUB4, True), (STUB6, False),
                                        (STUB6, True)],
                         ids=["v4-udp", "v4-tcp", "v6-udp", "v6-tcp"])
def test_dig_statuses(run_torgate, server, tcp):
    def d(*args):
        return dig(server, *args, tcp=tcp)
    plan = [("A", d("web.example", "A"), "NOERROR", "A", POOL4),
            ("AAAA", d("web.example", "AAAA"), "NOERROR", "AAAA", POOL6),
            ("PTR-v4", sh(" ".join(d("-x")) + " $(%s)" % " ".join(
                dig(server, "web.example", "A", short=True))), "NOERROR", "PTR", "web.example."),
            ("PTR-v6", sh(" ".join(d("-x")) + " $(%s)" % " ".join(
                dig(server, "web.example", "AAAA", short=True))), "NOERROR", "PTR",
             "web.example."),
            ("PTR-other-v4", d("-x", "203.0.113.5"), "NXDOMAIN", None, None),
            ("PTR-other-v6", d("-x", "2001:db8::5"), "NXDOMAIN", None, None),
            ("localhost", d("localhost", "A"), "NOERROR", "A", "127.0.0.1"),
            ("LocalHost-AAAA", d("LocalHost.", "AAAA"), "NOERROR", "AAAA", "::1"),
            ("sub.localhost", d("app.localhost", "A"), "NOERROR", "A", "127.0.0.1"),
            ("sub.localhost-AAAA", d("app.localhost", "AAAA"), "NOERROR", "AAAA", "::1"),
            ("ANY", d("web.example", "ANY"), "NOTIMP", None, None)]
    plan += [(t, d(n, t), "NOERROR", None, None) for n, t in NODATA_TYPES]
    res = run_cmds(run_torgate, [p[1] for p in plan])
    wrong = []
    for (what, _, status, rtype, want), r in zip(plan, res):
        dd = dig_result(r, what)
        ans = dd["answers"]
        problems = []
        if dd["status"] != status:
            problems.append("status %s, expected %s" % (dd["status"], status))
        if dd["server"] != server or dd["transport"] != ("TCP" if tcp else "UDP"):
            problems.append("answered by %s over %s" % (dd["server"], dd["transport"]))
        if rtype is None and (dd["counts"]["ANSWER"] or ans):
            problems.append("%d answers, expected none" % dd["counts"]["ANSWER"])
        if rtype is not None:
            if len(ans) != 1 or ans[0]["type"] != rtype or ans[0]["ttl"] != TTL:
                problems.append("answers %r, expected one %s with TTL %d" % (ans, rtype, TTL))
            elif isinstance(want, str) and ans[0]["data"] != want:
                problems.append("answer %s, expected %s" % (ans[0]["data"], want))
            elif not isinstance(want, str) and not in_pool(ans[0]["data"], want):
                problems.append("answer %s is not in %s" % (ans[0]["data"], want))
        if problems:
            wrong.append("%s: %s\n%s" % (what, "; ".join(problems), r["stdout"]))
    assert not wrong, "\n".join(wrong)


def test_edns(run_torgate):
    plan = [("edns-1232", dig(STUB4, "+edns=0", "+bufsize=1232", "web.example", "A"), 1232),
            ("edns-4096", dig(STUB4, "+edns=0", "+bufsize=4096", "web.example", "A"), 1232),
            ("edns-512", dig(STUB4, "+edns=0", "+bufsize=512", "web.example", "AAAA"), 1232),
            ("noedns", dig(STUB4, "+noedns", "web.example", "A"), None),
            ("edns-tcp", dig(STUB6, "+edns=0", "web.example", "A", tcp=True), 1232),
            ("noedns-tcp", dig(STUB6, "+noedns", "web.example", "A", tcp=True), None),
            ("noedns-nodata", dig(STUB4, "+noedns", "web.example", "MX"), None),
            ("edns-nodata", dig(STUB4, "+edns=0", "web.example", "MX"), 1232)]
    res = run_cmds(run_torgate, [p[1] for p in plan])
    for (what, _, udp), r in zip(plan, res):
        d = dig_result(r, what)
        assert d["status"] == "NOERROR", (what, r["stdout"])
        if udp is None:
            assert d["opt"] is None and d["counts"]["ADDITIONAL"] == 0, \
                "%s: an OPT record in the answer to a query without one\n%s" % (what, r["stdout"])
        else:
            assert d["opt"] == {"version": 0, "udp": udp}, \
                "%s: expected an OPT pseudosection with udp %d\n%s" % (what, udp, r["stdout"])


@pytest.mark.parametrize("transport", ["udp", "tcp"])
def test_raw_queries(run_torgate, transport):
    cases = dnscheck.raw_cases()
    final = dnswire.build_query("still-alive.example", qid=0x7777)
    spec = [{"label": lab, "server": STUB4, "port": 53, "transport": transport,
             "hex": msg.hex(), "sentinel": exp == "DROP", "timeout": 3}
            for lab, msg, exp in cases]
    spec.append({"label": "after-all", "server": STUB4, "transport": transport,
                 "hex": final.hex(), "timeout": 10})
    cp = run_torgate(["--"] + py_client("dnsq.py", json.dumps(spec)), timeout=240)
    res = json_result(cp)["results"]
    wrong = []
    for (lab, msg, exp), r in zip(cases, res):
        why = check_raw(msg, exp, r)
        if why:
            wrong.append("%s (expected %s): %s\n    got %r" % (lab, exp, why, r))
    last = res[-1]
    alive = last["responses"] and last["responses"][0].get("rcode_name") == "NOERROR" and \
        [a["type"] for a in last["responses"][0]["answers"]] == ["A"]
    assert not wrong, "\n".join(wrong)
    assert alive, "the stub did not answer a normal query after the malformed ones: %r" % last
    assert cp.returncode == 0, describe(cp)


def check_raw(msg, exp, r):
    """Why the result r of sending msg does not meet the expectation, or
    None."""
    if exp == "DROP":
        if r["responses"]:
            return "it was answered"
        if r["error"] not in (None, "ECONNRESET") or not (r["sentinel"] or r["eof"]):
            return "neither the sentinel's answer nor EOF came back (the stub hung?)"
        return None
    if r["error"] or len(r["responses"]) != 1:
        return "expected one response"
    m = r["responses"][0]
    if "unparsable" in m:
        return "unparsable response: " + m["why"]
    qid = int.from_bytes(msg[:2], "big")
    if m["qr"] != 1 or m["id"] != qid:
        return "QR %s, ID %#x (sent %#x)" % (m["qr"], m["id"], qid)
    if exp in ("FORMERR", "NOTIMP"):
        if m["rcode_name"] != exp:
            return "rcode " + m["rcode_name"]
        if m["ancount"]:
            return "answers in a %s" % exp
        return None
    # ECHO
    if m["rcode_name"] != "NOERROR":
        return "rcode " + m["rcode_name"]
    sent_q = dnscheck.question_bytes(msg)
    if m["qdcount"] != 1 or bytes.fromhex(m["hex"])[12:12 + len(sent_q)] != sent_q:
        return "question not copied byte for byte: %r" % m["questions"]
    ans = m["answers"]
    if len(ans) != 1 or ans[0]["type"] != "A" or not in_pool(ans[0]["data"], POOL4):
        return "answers %r" % ans
    return None


# ------------------------------------------------------------------ other name servers

def test_other_nameserver_udp_unanswered_tcp_carried(run_torgate, socks_log, servers):
    before = len(tgutil.read_json_lines(servers.responder_log_path))
    udp_q = dnswire.build_query("udp-to-other.example")
    cmds = [py_client("dnsq.py", json.dumps([{"label": "udp", "server": OTHER_NS,
                                              "transport": "udp", "hex": udp_q.hex(),
                                              "timeout": 3}])),
            dig(OTHER_NS, "tcp-to-other.example", "A", tcp=True)]
    udp, tcp = run_cmds(run_torgate, cmds)
    u = json.loads(udp["stdout"].splitlines()[-1])["results"][0]
    assert u["responses"] == [] and u["error"] in (None, "ECONNREFUSED"), \
        "a UDP query to %s was answered: %r" % (OTHER_NS, u)
    d = dig_result(tcp, "dig +tcp @" + OTHER_NS)
    assert d["status"] == "NOERROR" and [a["data"] for a in d["answers"]] == \
        [fixtures.RESPONDER_A], "not the answer of the responder behind SOCKS:\n" + tcp["stdout"]
    got = [(e["atyp"], e["host"], e["port"]) for e in connects_to(socks_log.new())]
    assert got == [(1, OTHER_NS, 53)], got
    q = [(e["name"], e["transport"]) for e in
         tgutil.read_json_lines(servers.responder_log_path)[before:]]
    assert q == [("tcp-to-other.example", "tcp")], q


# ------------------------------------------------------------------ wrapper worlds

@pytest.fixture
def workdir():
    with nsenv.workdir() as d:
        yield d


WRAPPER_RESOLV = "# the wrapper's own resolv.conf\nnameserver 127.0.0.1\noptions timeout:1\n"
INSIDE = ("echo == resolv; cat /etc/resolv.conf; echo == hosts; getent hosts web.example; "
          "echo == ahostsv4; getent ahostsv4 web.example; echo == etchosts; cat /etc/hosts; "
          "echo == end")
STUB_RESOLV = "/run/systemd/resolve/stub-resolv.conf"
RESOLV_CASES = {
    "regular-file": lambda w: w.resolv_file(WRAPPER_RESOLV),
    "symlink-to-existing": lambda w: (_stub_file(w), w.resolv_symlink(STUB_RESOLV)),
    "relative-symlink-to-existing": lambda w: (_stub_file(w),
                                               w.resolv_symlink("../" + STUB_RESOLV[1:])),
    "dangling-symlink": lambda w: w.resolv_symlink("/run/NetworkManager/no-such/resolv.conf"),
    "missing": lambda w: w.resolv_missing(),
}


# What the -v line must say for each case (and a regular file is not
# called a symlink).
RESOLV_CASE_WORDS = {
    "regular-file": r"^(?!.*(symlink|dangling|not exist|missing)).*$",
    "symlink-to-existing": r"symlink.*" + re.escape(STUB_RESOLV),
    "relative-symlink-to-existing": r"symlink.*" + re.escape(STUB_RESOLV[1:]),
    "dangling-symlink": r"dangling",
    "missing": r"does not exist|missing|absent|no such",
}


def _stub_file(w):
    w.spec["tmpfs"].append("/run/systemd/resolve")
    w.spec["files"][STUB_RESOLV] = WRAPPER_RESOLV


def assert_inside_sees_stub(r):
    assert r["rc"] == 0, nsenv.describe_step(r)
    sec = sections(r["stdout"])
    ns = [ln.split()[1] for ln in sec.get("resolv", "").splitlines()
          if ln.startswith("nameserver")]
    assert ns and set(ns) <= {STUB4, STUB6} and STUB4 in ns, \
        "the sandbox's resolv.conf does not name the stub:\n" + sec.get("resolv", "")
    assert "the wrapper's own" not in sec["resolv"], sec["resolv"]
    a = getent_addrs(sec["hosts"])
    assert a and in_pool(a[0]), "getent hosts: %r" % sec["hosts"]
    a4 = getent_addrs(sec["ahostsv4"])
    assert a4 and all(in_pool(x, POOL4) for x in a4), "getent ahostsv4: %r" % sec["ahostsv4"]
    # torgate's generic /etc/hosts (test_identity.py), in place whatever
    # was done to /etc for resolv.conf.
    assert "127.0.1.1\thost" in sec["etchosts"].splitlines(), sec["etchosts"]


@pytest.mark.parametrize("case", list(RESOLV_CASES))
def test_resolv_conf_placement(workdir, servers, case):
    w = nsenv.Wrapper(workdir)
    RESOLV_CASES[case](w)
    w.spec["state_paths"] += [STUB_RESOLV, "/run/systemd/resolve", "/run/NetworkManager"]
    w.torgate("inside", ["-v", "--", "sh", "-c", INSIDE], servers.socks_addr)
    res = w.run()
    r = res["steps"]["inside"]
    assert_inside_sees_stub(r)
    said = [ln for ln in r["stderr"].splitlines() if "resolv.conf" in ln]
    assert len(said) == 1, "torgate -v should say in one line how it placed resolv.conf:\n" \
        + r["stderr"]
    assert re.search(RESOLV_CASE_WORDS[case], said[0], re.I), \
        "torgate -v does not name the case (%s): %s" % (case, said[0])
    assert res["after"] == res["before"], "torgate changed the wrapper's files"


def test_nss_resolve_socket_unreachable(workdir, servers):
    upper = nsenv.nss_resolve_dir()
    w = nsenv.Wrapper(workdir)
    log = os.path.join(workdir, "fakesock.log")
    w.fake_sockets(log, varlink=True, nscd=False)
    w.nss_resolve(upper)
    w.spec["nsswitch_hosts"] = "files resolve dns"
    w.step("control", w.as_user(["getent", "hosts", "control.example"]))
    w.torgate("inside", ["--", "sh", "-c", INSIDE + "; echo == probe; "
                         + probe_socket_script(nsenv.VARLINK)
                         + "; echo == lib; ls %s/libnss_resolve.so.2"
                         % nsenv.LIBDIR], servers.socks_addr)
    st = w.run()["steps"]
    c = st["control"]
    assert "2001:db8::99" in c["stdout"] and fake_connects(c, log, "varlink", "getent"), \
        "positive control failed: glibc outside torgate did not use nss-resolve's socket\n" \
        + nsenv.describe_step(c) + "\n%r" % c["watch"]
    r = st["inside"]
    assert not from_sandbox(r, log, "varlink"), \
        "the sandbox reached resolved's socket: %r" % r["watch"]
    assert_inside_sees_stub(r)
    sec = sections(r["stdout"])
    assert sec["lib"].strip().endswith("libnss_resolve.so.2"), \
        "nss-resolve is not visible in the sandbox, the check means nothing:\n" + sec["lib"]
    assert sec["probe"].strip() == "ENOENT", \
        "%s in the sandbox: %s" % (nsenv.VARLINK, sec["probe"])


def test_nscd_socket_unreachable(workdir, servers):
    w = nsenv.Wrapper(workdir)
    log = os.path.join(workdir, "fakesock.log")
    w.fake_sockets(log, varlink=False, nscd=True)
    w.step("control", w.as_user(["getent", "hosts", "localhost"]))
    w.torgate("inside", ["--", "sh", "-c", INSIDE + "; echo == probe; "
                         + probe_socket_script(nsenv.NSCD) + "; "
                         + probe_socket_script("/var/run/nscd/socket")], servers.socks_addr)
    st = w.run()["steps"]
    c = st["control"]
    assert c["rc"] == 0 and fake_connects(c, log, "nscd", "getent"), \
        "positive control failed: glibc outside torgate did not ask nscd's socket\n" \
        + nsenv.describe_step(c) + "\n%r" % c["watch"]
    r = st["inside"]
    assert not from_sandbox(r, log, "nscd"), "the sandbox reached nscd's socket: %r" % r["watch"]
    assert_inside_sees_stub(r)
    assert sections(r["stdout"])["probe"].split() == ["ENOENT", "ENOENT"], r["stdout"]


def probe_socket_script(path):
    """Shell: prints the errno name of connecting to unix socket path (or
    CONNECTED)."""
    code = ("import socket,errno\ns=socket.socket(socket.AF_UNIX)\ntry:\n s.connect(%r)\n"
            " print('CONNECTED')\nexcept OSError as e:\n print(errno.errorcode[e.errno])"
            % path)
    return "%s -c \"%s\"" % (tgutil.PY, code.replace('"', '\\"'))


def fake_connects(step, log, service, comm=None):
    return [e for e in step["watch"].get(log, [])
            if e["service"] == service and e["event"] == "connect"
            and (comm is None or e["comm"] == comm)]


def from_sandbox(step, log, service):
    """Connections to the fake socket from inside the sandbox (or from a
    process that could not be told apart). Lookups that torgate's host side
    or setpriv (TORGATE_TEST_USER) make outside the sandbox do not count."""
    return [e for e in fake_connects(step, log, service) if e["sandboxed"] is not False]


@pytest.fixture
def canary(workdir):
    log = os.path.join(workdir, "canary.log")
    proc, addr = nsenv.start_canary(workdir, log)
    yield addr, log
    proc.stop()


def test_no_dns_leak_to_host_resolver(workdir, servers, socks_log, canary):
    addr, clog = canary
    before = len(tgutil.read_json_lines(servers.responder_log_path))
    onion = dnscheck.onion_v3()
    w = nsenv.Wrapper(workdir)
    w.resolv_file("nameserver %s\noptions attempts:1 timeout:3\n" % addr)
    w.spec["watch"].append(clog)
    w.step("control", w.as_user(["getent", "ahostsv4", "control.canary.test"]))
    cmds = [["getent", "hosts", "web.example"],
            ["curl", "-sS", "--max-time", "30", "http://web.example/hello"],
            dig(None, "web.example", "A"),
            ["host", "web.example"],
            py_client("probe.py", json.dumps([{"op": "get", "host": onion, "port": 80,
                                               "path": "/hello"}])),
            py_client("dnsq.py", json.dumps([{"label": "udp", "server": OTHER_NS,
                                              "transport": "udp", "timeout": 3,
                                              "hex": dnswire.build_query("leak-udp.example")
                                              .hex()}])),
            dig(OTHER_NS, "leak-tcp.example", "A", tcp=True)]
    w.torgate("inside", ["--"] + py_client("timed_cmds.py", json.dumps(cmds)),
              servers.socks_addr, timeout=180)
    st = w.run()["steps"]
    c = st["control"]
    assert "203.0.113.66" in c["stdout"] and \
        [e.get("name") for e in c["watch"][clog]] == ["control.canary.test"], \
        "positive control failed: the canary did not answer glibc outside torgate\n" \
        + nsenv.describe_step(c) + "\n%r" % c["watch"]
    r = st["inside"]
    assert r["watch"][clog] == [], "the canary (the host's name server) got queries while " \
        "torgate ran: %r" % r["watch"][clog]
    assert r["rc"] == 0, nsenv.describe_step(r)
    getent, curl, d, host, probe, udp, tcp = json.loads(r["stdout"].splitlines()[-1])
    assert getent["rc"] == 0 and in_pool(getent_addrs(getent["stdout"])[0]), describe_cmd(getent)
    assert curl["stdout"] == "hello\n", describe_cmd(curl)
    dd = dig_result(d, "dig (resolv.conf's server)")
    assert dd["server"] in (STUB4, STUB6) and in_pool(dd["answers"][0]["data"], POOL4), d["stdout"]
    assert host["rc"] == 0 and "has address 198.1" in host["stdout"], describe_cmd(host)
    assert json.loads(probe["stdout"].splitlines()[-1])["steps"][0].get("body") == "hello\n", \
        describe_cmd(probe)
    assert json.loads(udp["stdout"].splitlines()[-1])["results"][0]["responses"] == [], \
        describe_cmd(udp)
    assert [a["data"] for a in dig_result(tcp, "dig +tcp other")["answers"]] == \
        [fixtures.RESPONDER_A], tcp["stdout"]
    got = {(e["atyp"], e["host"], e["port"]) for e in connects_to(socks_log.new())}
    assert got == {(3, "web.example", 80), (3, onion, 80), (1, OTHER_NS, 53)}, got
    q = [e["name"] for e in tgutil.read_json_lines(servers.responder_log_path)[before:]]
    assert q == ["leak-tcp.example"], q
