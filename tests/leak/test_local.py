"""Probes that need no route: raw and packet sockets (privilege), the
abstract unix namespace (which belongs to the network namespace) and the
resolver sockets glibc would use before DNS (found by path).

Each test's docstring names the protection it checks and what the
self-check (--selfcheck) takes away to show that the test can fail.
"""

import json
import os
import shutil
import socket
import tempfile

import pytest

import leakenv
import nsenv
import tgutil
from unixlisten import Listener


# No CAP_NET_RAW, or the family refused outright (seccomp).


def nothing_reached(canaries):
    hits = canaries[0].hits() + canaries[1].hits()
    assert hits == [], "a probe inside torgate reached a canary: %s" % hits


@pytest.mark.controls("host", "caps")
@pytest.mark.parametrize("family", ["v4", "v6"])
def test_raw_socket_refused(mode, probe, canaries, family):
    """Protection: torgate drops every capability before the command runs,
    also when the caller is root and uid 0 is mapped inside; a raw socket
    needs CAP_NET_RAW, so it fails with EPERM and no echo request reaches
    the canary.
    Self-check: as root on the host the raw echo request reaches the canary
    ("host"); in the sandbox with its user namespace's capabilities ("caps")
    the socket is made, so the EPERM asserted here does not come (the
    network namespace still keeps the packet from the canary)."""
    addr = canaries[0].addr(family)
    r, = probe([{"op": "ping", "host": addr, "sock": "raw"}])
    if mode == "torgate":
        assert r["sock"] is None and r.get("error") == "EPERM", r
        nothing_reached(canaries)
    elif mode == "caps":
        # The socket is made; the echo request meets torgate's refusal.
        assert r["sock"] == "raw" and r.get("error") in ("EHOSTUNREACH", "EACCES"), r
        nothing_reached(canaries)
    else:
        assert r["ok"] and r["reply"][:2] == ("00" if family == "v4" else "81"), r
        echo = 8 if family == "v4" else 128
        hits = canaries[0].hits()
        assert any(h["dst"] == addr and h["icmp_type"] == echo for h in hits), hits


@pytest.mark.controls("host", "caps", "no-seccomp")
def test_packet_socket_refused(mode, probe, canaries):
    """Protection: two layers. The default seccomp policy refuses the
    AF_PACKET family (EAFNOSUPPORT); under it, the capability drop
    (AF_PACKET needs CAP_NET_RAW: EPERM). No frame is written to any link,
    and the canary, which records every frame on the veth, sees none.
    Self-check: on the host the frame (ethertype 0x88b5) is sent on the
    veth and the canary records it; with --seccomp off the capability drop
    alone answers EPERM (so EAFNOSUPPORT inside is the filter's doing); in
    the sandbox with capabilities the socket is made (and the frame goes to
    torgate's TUN, nowhere else)."""
    netns = canaries[0]
    r, = probe([{"op": "packet", "iface": netns.host_if}])
    if mode == "torgate":
        assert r.get("error") == "EAFNOSUPPORT", r
        nothing_reached(canaries)
    elif mode == "no-seccomp":
        assert r.get("error") == "EPERM", r
        nothing_reached(canaries)
    elif mode == "caps":
        assert r["ok"] and r["reply"] == "sent on tg0", r
        nothing_reached(canaries)
    else:
        assert r["ok"], r
        hits = netns.hits()
        assert any(h.get("ethertype") == "0x88b5" for h in hits), hits


@pytest.mark.controls("host", "no-netns")
def test_abstract_unix_socket_unreachable(mode, probe, canaries):
    """Protection: the network namespace; abstract unix sockets (names
    without a file, e.g. "@/tmp/.X11-unix/X0") belong to it, so one that
    exists on the host is not there: ECONNREFUSED, and its listener records
    nothing.
    Self-check: from the host, and from the sandbox with the host's network
    namespace, the connection is made and the canary records it."""
    host = canaries[1]
    r, = probe([{"op": "abstract", "name": host.abstract}])
    if mode == "torgate":
        assert r.get("error") == "ECONNREFUSED", r
        nothing_reached(canaries)
    else:
        assert r["ok"] and r["reply"] == "CANARY host", r
        hits = host.hits()
        assert [h["kind"] for h in hits] == ["abstract"], hits


@pytest.fixture
def wrapper_dir():
    with nsenv.workdir() as d:
        yield d


@pytest.mark.controls("host", "no-mntns")
@pytest.mark.parametrize("service,path", [("varlink", nsenv.VARLINK), ("nscd", nsenv.NSCD)],
                         ids=["varlink", "nscd"])
def test_resolver_socket_hidden(mode, servers, wrapper_dir, service, path):
    """Protection: torgate's mounts; /run/systemd/resolve and /run/nscd get
    an empty tmpfs, so nss-resolve's varlink socket and nscd's socket, which
    answer names without DNS, do not exist in the sandbox (ENOENT). The host
    is a wrapper world (tests/lib/nsenv.py: a private mount
    namespace, the real host untouched) in which fakesock.py listens on both
    paths and logs every connection; it must log none.
    Self-check: on that host, and in the sandbox with that host's mounts
    ("no-mntns"), the probe connects and the fake service logs it."""
    w = nsenv.Wrapper(wrapper_dir)
    log = os.path.join(wrapper_dir, "fakesock.log")
    w.fake_sockets(log)
    w.step("probe", leakenv.mode_argv(mode, leakenv.probe_argv([{"op": "unix", "path": path}]),
                                      servers.socks_addr))
    st = w.run()["steps"]["probe"]
    lines = [ln for ln in st["stdout"].splitlines() if ln.startswith("{")]
    assert st["rc"] == 0 and lines, nsenv.describe_step(st)
    r, = json.loads(lines[-1])["probes"]
    # The probe's own connections (setpriv, outside, may ask nscd for names).
    connects = [e for e in st["watch"][log] if e["event"] == "connect" and e["comm"] == "python3"]
    if mode == "torgate":
        assert r.get("error") == "ENOENT", r
        assert connects == [], "the sandbox reached the fake %s: %s" % (service, connects)
    else:
        assert r["ok"], r
        assert [e["service"] for e in connects] == [service], connects


def vsock_in_kernel():
    try:
        socket.socket(socket.AF_VSOCK, socket.SOCK_STREAM).close()
        return True
    except OSError:
        return False


@pytest.mark.controls("host", "no-seccomp")
def test_vsock_refused(mode, probe):
    """Protection: the default seccomp policy. AF_VSOCK, the hypervisor's
    socket family, is not confined by network namespaces: in a VM (this
    machine is a Firecracker guest, /dev/vsock is there) a sandboxed program
    could make such a socket and connect to the host, CID 2, around Tor.
    The probe only makes the socket: connecting to the hypervisor would be
    traffic to a machine these tests may not touch. Expected: EAFNOSUPPORT.
    Self-check: on the host, and inside torgate with --seccomp off, the
    socket is made: nothing but the filter stands in the way."""
    if not vsock_in_kernel():
        pytest.skip("this kernel has no AF_VSOCK: nothing to leak through")
    r, = probe([{"op": "vsock"}])
    if mode == "torgate":
        assert r.get("error") == "EAFNOSUPPORT", r
    else:
        assert r["ok"], r


@pytest.fixture
def host_services():
    """Stand-ins for the host's unix-socket services where real ones live:
    tmux's in /tmp, docker's under /run, one in /var/tmp and /dev/shm, and
    the session's in its runtime directory (/run/user/UID, made for the
    run when missing). Each records who connects (tests/lib/unixlisten.py)."""
    u = tgutil.get_test_user()
    uid = tgutil.expected_ids()[0]
    rt = "/run/user/%d" % uid
    made_rt = not os.path.isdir(rt)
    dirs, listeners = [], []
    try:
        if made_rt:
            os.makedirs(rt, mode=0o700)
            if u:
                os.chown(rt, u.uid, u.gid)
        # The last in the home directory's stead: a place the sandbox sees.
        for parent, name in (("/tmp", "default"), ("/run", "docker.sock"), ("/var/tmp", "app.sock"),
                             ("/dev/shm", "app.sock"), (rt, "bus"), (tgutil.SCRATCH, "cm-user@host:22")):
            d = tempfile.mkdtemp(prefix="torgate-leak-", dir=parent)
            os.chmod(d, 0o777)
            dirs.append(d)
            listeners.append(Listener(os.path.join(d, name)))
        yield listeners
    finally:
        for li in listeners:
            li.close()
        for d in dirs:
            shutil.rmtree(d, ignore_errors=True)
        if made_rt:
            shutil.rmtree(rt, ignore_errors=True)


@pytest.mark.controls("host", "no-mntns")
def test_host_unix_sockets_out_of_reach(mode, probe, host_services):
    """Protection: torgate's mounts (gateway/sandbox/sandbox_ipc.c); /tmp,
    /var/tmp, /dev/shm, /run and the runtime directory are the sandbox's
    own, so a daemon's socket there (tmux, docker, a session bus) is not:
    ENOENT. Elsewhere (the home directory: an ssh ControlMaster), the
    connect() broker (unix_broker.c) refuses it: EACCES. No listener
    records anything.
    Self-check: from the host, and in the sandbox with the host's mounts
    ("no-mntns": nsenter's process is not under the sandbox's seccomp
    filter either, so without the broker too), every listener is reached
    and records it."""
    res = probe([{"op": "unix", "path": li.path} for li in host_services])
    for li, r in zip(host_services, res):
        if mode == "torgate":
            want = "EACCES" if li.path.startswith(tgutil.SCRATCH) else "ENOENT"
            assert r.get("error") == want, (li.path, r)
            assert li.seen == [], (li.path, li.seen)
        else:
            assert r["ok"] and r["reply"] == "seen", (li.path, r)
            assert [line for _, line in li.seen] == ["torgate leak probe"], (li.path, li.seen)
