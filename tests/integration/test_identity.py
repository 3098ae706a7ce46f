"""What the command can read about the host is generic (gateway/sandbox/
sandbox_identity.c): the hostname and domain name, /etc/hostname and
/etc/hosts, the machine-id files, boot_id, and /sys, which shows the
sandbox's own links only, no host MAC and no DMI strings. Each value is
read inside and outside: inside it must differ from the host's (so the
test fails if the protection goes) and be the same in every run."""

import json
import os
import shutil
import subprocess
import tempfile

import pytest

import tgutil
from tgutil import describe

HOSTNAME = "host"
MACHINE_ID = "b08dfa6083e7567a1921a715000001fb"
BOOT_ID = "b08dfa60-83e7-4567-a192-1a715000001f"

PROBE = r"""
import json, os, socket
def read(p):
    try:
        with open(p) as f:
            return f.read().strip()
    except OSError as e:
        return "ERR %d" % e.errno
macs = []
for root, dirs, files in os.walk("/sys/devices"):
    if "address" in files:
        v = read(os.path.join(root, "address"))
        if v.count(":") == 5:
            macs.append(v)
print(json.dumps({
    "hostname": socket.gethostname(), "domainname": read("/proc/sys/kernel/domainname"),
    "etc_hostname": read("/etc/hostname"), "hosts": read("/etc/hosts"),
    "machine_id": read("/etc/machine-id"), "dbus_machine_id": read("/var/lib/dbus/machine-id"),
    "boot_id": read("/proc/sys/kernel/random/boot_id"),
    "net": sorted(os.listdir("/sys/class/net")), "macs": sorted(set(macs)),
    "dmi": sorted(os.listdir("/sys/devices/virtual/dmi/id")) if os.path.isdir("/sys/devices/virtual/dmi/id") else [],
    "firmware": sorted(os.listdir("/sys/firmware")) if os.path.isdir("/sys/firmware") else [],
}))
"""


def inside(run_torgate):
    cp = run_torgate(["--", "/usr/bin/python3", "-c", PROBE])
    assert cp.returncode == 0, describe(cp)
    return json.loads(cp.stdout.strip().splitlines()[-1])


def outside():
    """The same probe, here: the host's values."""
    cp = subprocess.run(["/usr/bin/python3", "-c", PROBE], capture_output=True, text=True, check=True)
    return json.loads(cp.stdout)


@pytest.fixture(scope="module")
def host():
    return outside()


def test_names_are_generic_and_stable(run_torgate, host):
    a, b = inside(run_torgate), inside(run_torgate)
    for key in ("hostname", "domainname", "etc_hostname", "hosts", "machine_id", "dbus_machine_id",
                "boot_id"):
        assert a[key] == b[key], key                       # stable across runs
    assert a["hostname"] == HOSTNAME and a["domainname"] == "(none)", a
    if host["hostname"] != HOSTNAME:
        assert a["hostname"] != host["hostname"]
        assert host["hostname"] not in a["hosts"].split(), a["hosts"]
    if not host["etc_hostname"].startswith("ERR"):
        assert a["etc_hostname"] == HOSTNAME
    assert "127.0.1.1\t%s" % HOSTNAME in a["hosts"] and "localhost" in a["hosts"], a["hosts"]


@pytest.mark.parametrize("key", ["machine_id", "dbus_machine_id"])
def test_machine_id_generic(run_torgate, host, key):
    if host[key].startswith("ERR"):
        pytest.skip("the host has no %s file" % key)
    got = inside(run_torgate)[key]
    assert got == MACHINE_ID and got != host[key], (got, host[key])


def test_boot_id_generic(run_torgate, host):
    got = inside(run_torgate)["boot_id"]
    assert got == BOOT_ID and got != host["boot_id"], (got, host["boot_id"])


def test_sys_shows_the_sandbox_links_only(run_torgate, host):
    got = inside(run_torgate)
    assert got["net"] == ["lo", "tg0"], got["net"]
    assert set(host["net"]) - {"lo"}, "the host has no link but lo: nothing to hide"
    real = set(m for m in host["macs"] if m != "00:00:00:00:00:00")
    assert not real & set(got["macs"]), "host MACs under /sys: %s" % (real & set(got["macs"]))
    assert got["dmi"] == [] and got["firmware"] == [], got


def test_stub_answers_the_sandbox_hostname_locally(run_torgate, socks_log):
    """The generic hostname resolves to loopback inside (glibc asks it
    often), never by a trip to Tor."""
    cp = run_torgate(["--", "/usr/bin/python3", "-c",
                      "import socket; print(socket.getaddrinfo('%s', 80)[0][4][0])" % HOSTNAME])
    assert cp.returncode == 0, describe(cp)
    assert cp.stdout.strip() in ("127.0.1.1", "127.0.0.1", "::1"), describe(cp)
    assert socks_log.new() == [], "the hostname went to Tor"


def test_utc_is_opt_in(run_torgate):
    """--utc: the command's clock says UTC whatever the user's zone; without
    it, the user's zone is the command's. The rest of the identity is the
    same either way."""
    date = ["--", "sh", "-c", "date +%Z; cat /proc/sys/kernel/random/boot_id"]
    plain = run_torgate(date, env={"TZ": "Europe/Berlin"})
    utc = run_torgate(["--utc"] + date, env={"TZ": "Europe/Berlin"})
    assert plain.returncode == 0 and utc.returncode == 0, describe(plain) + describe(utc)
    assert plain.stdout.split()[0] in ("CET", "CEST"), describe(plain)
    assert utc.stdout.split() == ["UTC", BOOT_ID], describe(utc)
    # The user's own --setenv TZ=... still wins over it.
    mine = run_torgate(["--utc", "--setenv", "TZ=Asia/Tokyo", "--", "date", "+%Z"])
    assert mine.stdout.strip() == "JST", describe(mine)


def test_generic_user(run_torgate):
    """--generic-user: the command's user is "user" (root stays root), its
    home /home/user, which is the caller's real home: what it writes there
    lands in the real home, owned by the caller. /etc/passwd names no
    other account of the host."""
    home = tempfile.mkdtemp(prefix="torgate-home-")
    uid, gid = tgutil.expected_ids()
    os.chown(home, uid, gid)
    probe = ("id -un; echo $HOME; echo $USER; cd ~ && pwd; echo hi > ~/written; "
             "getent passwd | cut -d: -f1 | sort | tr '\\n' ' '; echo; cat /proc/self/environ | tr '\\0' '\\n' "
             "| grep -c %s || true" % os.path.basename(home))
    try:
        cp = run_torgate(["--generic-user", "--", "sh", "-c", probe], env={"HOME": home, "USER": "alice"})
        assert cp.returncode == 0, describe(cp)
        name, h, user, pwd, accounts, leaks = cp.stdout.splitlines()[:6]
        assert name == ("root" if uid == 0 else "user"), describe(cp)
        assert h == "/home/user" and pwd == "/home/user", describe(cp)
        assert user == ("alice" if uid == 0 else "user"), describe(cp)
        assert leaks == "0", "the real home's name is in the environment"
        host_accounts = set(subprocess.run(["getent", "passwd"], capture_output=True, text=True)
                            .stdout.split())
        assert len(host_accounts) > 3 and len(accounts.split()) <= 3, accounts
        with open(os.path.join(home, "written")) as f:
            assert f.read() == "hi\n"
        assert os.stat(os.path.join(home, "written")).st_uid == uid
        # Without the option: the real names.
        cp = run_torgate(["--", "sh", "-c", "echo $HOME"], env={"HOME": home})
        assert cp.stdout.strip() == home, describe(cp)
    finally:
        shutil.rmtree(home, ignore_errors=True)
