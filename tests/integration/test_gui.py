"""GUI programs: X11 works inside torgate through the X server's socket in
/tmp/.X11-unix (the abstract one the X server also listens on belongs to
the host's network namespace and is out of reach), with DISPLAY passed
through. The X server is a private Xvfb on a free display number."""

import os
import subprocess
import time

import pytest

import tgutil
from tgutil import describe


@pytest.fixture
def xvfb():
    for n in range(90, 120):
        if not os.path.exists("/tmp/.X11-unix/X%d" % n) and not os.path.exists("/tmp/.X%d-lock" % n):
            break
    p = subprocess.Popen(["Xvfb", ":%d" % n, "-nolisten", "tcp", "-screen", "0", "640x480x24"],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    sock = "/tmp/.X11-unix/X%d" % n
    deadline = time.monotonic() + 20
    while not os.path.exists(sock) and time.monotonic() < deadline and p.poll() is None:
        time.sleep(0.05)
    assert os.path.exists(sock), "Xvfb did not start"
    os.chmod(sock, 0o777)               # the unprivileged suite's user too
    yield ":%d" % n
    p.terminate()
    p.wait()


def test_x11_client_runs_inside(run_torgate, xvfb):
    cp = run_torgate(["--", "xdpyinfo", "-display", xvfb])
    assert cp.returncode == 0, describe(cp)
    assert "dimensions:    640x480 pixels" in cp.stdout, cp.stdout[:2000]


def test_display_from_the_environment(run_torgate, xvfb):
    cp = run_torgate(["--", "sh", "-c", "xdpyinfo | grep -m1 'name of display'"], env={"DISPLAY": xvfb})
    assert cp.returncode == 0 and xvfb in cp.stdout, describe(cp)
