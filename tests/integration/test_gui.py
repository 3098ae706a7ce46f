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


def test_wayland_and_audio_sockets_reachable(run_torgate):
    """Wayland, PulseAudio and PipeWire listen under $XDG_RUNTIME_DIR; the
    command reaches them there (stand-in listeners record the connects),
    while the session bus next to them stays hidden (test_dbus.py)."""
    import pathlib
    import shutil
    import socket
    import tempfile
    top = pathlib.Path(tempfile.mkdtemp(prefix="torgate-gui-"))   # traversable by the suite's user
    rt = top / "xdg"
    (rt / "pulse").mkdir(parents=True)
    u = tgutil.get_test_user()
    paths = [str(rt / "wayland-0"), str(rt / "pulse" / "native"), str(rt / "pipewire-0")]
    socks = []
    for p in paths:
        s = socket.socket(socket.AF_UNIX)
        s.bind(p)
        os.chmod(p, 0o777)
        s.listen(2)
        socks.append(s)
    for d in (top, rt, rt / "pulse"):
        os.chmod(str(d), 0o777)
        if u:
            os.chown(str(d), u.uid, u.gid)
    probe = ("import socket, sys\nfor p in sys.argv[1:]:\n s = socket.socket(socket.AF_UNIX)\n"
             " s.connect(p)\n print('OK', p)\n")
    try:
        cp = run_torgate(["--", "python3", "-c", probe] + paths,
                         env={"XDG_RUNTIME_DIR": str(rt), "WAYLAND_DISPLAY": "wayland-0"})
    finally:
        for s in socks:
            s.close()
        shutil.rmtree(str(top), ignore_errors=True)
    assert cp.returncode == 0, describe(cp)
    for p in paths:
        assert "OK " + p in cp.stdout, describe(cp)
