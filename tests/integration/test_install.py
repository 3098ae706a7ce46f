"""`make install` / `make uninstall` into a DESTDIR: the binary and the
systemd unit template torgate-netns@.service (sidecar of an ip-netns
namespace), whose ExecStart names the installed binary and which systemd's
own checker accepts (`systemd-analyze verify`, with the binary it would
run, and its exposure score under `security --offline`)."""

import os
import re
import shutil
import subprocess

import pytest

import tgutil

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
UNIT = "torgate-netns@.service"


def make(*args):
    return subprocess.run(["make", "-s", "-C", ROOT, *args], capture_output=True, text=True, timeout=300)


def test_install_and_uninstall(tmp_path):
    dest = str(tmp_path / "dest")
    cp = make("install", "DESTDIR=" + dest, "PREFIX=/usr")
    assert cp.returncode == 0, tgutil.describe(cp)
    binary = os.path.join(dest, "usr/bin/torgate")
    unit = os.path.join(dest, "usr/lib/systemd/system", UNIT)
    assert os.stat(binary).st_mode & 0o777 == 0o755
    assert os.stat(unit).st_mode & 0o777 == 0o644
    text = open(unit).read()
    assert re.search(r"^ExecStart=/usr/bin/torgate --name netns-%i --netns /run/netns/%i$", text, re.M), text
    assert "@BINDIR@" not in text
    out = subprocess.run([binary, "--version"], capture_output=True, text=True, timeout=10)
    assert out.returncode == 0 and out.stdout.startswith("torgate "), out
    cp = make("uninstall", "DESTDIR=" + dest, "PREFIX=/usr")
    assert cp.returncode == 0, tgutil.describe(cp)
    assert not os.path.exists(binary) and not os.path.exists(unit)


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="no systemd-analyze")
def test_unit_verifies(tmp_path):
    # The unit as installed, pointing at this build's binary so that
    # verify can check ExecStart too.
    src = open(os.path.join(ROOT, "dist/systemd", UNIT + ".in")).read()
    unit = tmp_path / UNIT
    unit.write_text(src.replace("@BINDIR@", os.path.dirname(tgutil.torgate_path())))
    inst = str(tmp_path / "torgate-netns@test.service")
    os.symlink(str(unit), inst)
    cp = subprocess.run(["systemd-analyze", "verify", inst], capture_output=True, text=True, timeout=60)
    assert cp.returncode == 0 and "torgate-netns" not in cp.stderr, tgutil.describe(cp)
    cp = subprocess.run(["systemd-analyze", "security", "--offline=yes", inst], capture_output=True,
                        text=True, timeout=60)
    m = re.search(r"Overall exposure level for \S+: ([\d.]+)", cp.stdout)
    assert m and float(m.group(1)) <= 5.0, tgutil.describe(cp)
