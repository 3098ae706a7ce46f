"""GUI programs: X11 works inside torgate through the X server's socket in
/tmp/.X11-unix (the abstract one the X server also listens on belongs to
the host's network namespace and is out of reach), with DISPLAY passed
through. The X server is a private Xvfb on a free display number."""

import os
import pathlib
import shutil
import socket
import struct
import subprocess
import tempfile
import threading
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


class Listener:
    """A stand-in for a desktop service's unix socket: records each
    connection (the peer's uid, the line it sent) and answers "seen", so a
    client's success is the listener's word, not the client's."""

    def __init__(self, path):
        self.path, self.seen = path, []
        self.sock = socket.socket(socket.AF_UNIX)
        self.sock.bind(path)
        os.chmod(path, 0o777)
        self.sock.listen(4)
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        while True:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return              # close()
            with c:
                c.settimeout(10)
                cred = c.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
                try:
                    line = c.makefile("rb").readline().decode(errors="replace").strip()
                    c.sendall(b"seen\n")
                except OSError as e:
                    line = "error: %s" % e
                self.seen.append((struct.unpack("3i", cred)[1], line))

    def close(self):
        # shutdown, not close alone: it wakes the accept() in the thread.
        self.sock.shutdown(socket.SHUT_RDWR)
        self.sock.close()
        self.thread.join(10)


def test_wayland_and_audio_sockets_reachable(run_torgate):
    """Wayland, PulseAudio and PipeWire listen under $XDG_RUNTIME_DIR; the
    command reaches them there (stand-in listeners record the connects),
    while the session bus next to them stays hidden (test_dbus.py)."""
    top = pathlib.Path(tempfile.mkdtemp(prefix="torgate-gui-"))   # traversable by the suite's user
    rt = top / "xdg"
    (rt / "pulse").mkdir(parents=True)
    u = tgutil.get_test_user()
    paths = [str(rt / "wayland-0"), str(rt / "pulse" / "native"), str(rt / "pipewire-0")]
    listeners = []
    for d in (top, rt, rt / "pulse"):
        os.chmod(str(d), 0o777)
        if u:
            os.chown(str(d), u.uid, u.gid)
    probe = ("import socket, sys\nfor p in sys.argv[1:]:\n s = socket.socket(socket.AF_UNIX)\n"
             " s.connect(p)\n s.sendall(p.encode() + b'\\n')\n"
             " print(s.makefile().readline().strip(), p)\n")
    try:
        for p in paths:
            listeners.append(Listener(p))
        cp = run_torgate(["--", "python3", "-c", probe] + paths,
                         env={"XDG_RUNTIME_DIR": str(rt), "WAYLAND_DISPLAY": "wayland-0"})
    finally:
        for li in listeners:
            li.close()
        shutil.rmtree(str(top), ignore_errors=True)
    assert cp.returncode == 0, describe(cp)
    uid = tgutil.expected_ids()[0]      # the command's uid as seen from outside
    for li in listeners:
        assert li.seen == [(uid, li.path)], "%s recorded %r\n%s" % (li.path, li.seen, describe(cp))
        assert "seen " + li.path in cp.stdout.splitlines(), describe(cp)
