"""GUI programs: the display and the sound server are shared only by
name. With --socket x11 an X11 client works inside torgate through the X
server's socket in /tmp/.X11-unix (the abstract one the X server also
listens on belongs to the host's network namespace and is out of reach),
with DISPLAY passed through; without it, the command's /tmp has no X
server. The X server is a private Xvfb on a free display number."""

import os
import pathlib
import shutil
import signal
import subprocess
import tempfile
import time

import pytest

import tgutil
import unixlisten
from tgutil import describe
from unixlisten import PROBE, Listener


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


X11_WARNING = ("--socket x11: the command shares your X server; X clients can read the screen "
               "and type into your other windows")


def test_x11_client_runs_inside(run_torgate, xvfb):
    cp = run_torgate(["--socket", "x11", "--", "xdpyinfo", "-display", xvfb], env={"DISPLAY": xvfb})
    assert cp.returncode == 0, describe(cp)
    assert "dimensions:    640x480 pixels" in cp.stdout, cp.stdout[:2000]
    assert cp.stderr.count(X11_WARNING) == 1, describe(cp)


def test_display_from_the_environment(run_torgate, xvfb):
    cp = run_torgate(["--socket", "x11", "--", "sh", "-c", "xdpyinfo | grep -m1 'name of display'"],
                     env={"DISPLAY": xvfb})
    assert cp.returncode == 0 and xvfb in cp.stdout, describe(cp)


def test_no_x11_by_default(run_torgate, xvfb):
    """The same client, the same display, no --socket x11: no X server."""
    cp = run_torgate(["--", "sh", "-c", "xdpyinfo; echo rc=$?; xdpyinfo 2>/dev/null; ls -a /tmp"],
                     env={"DISPLAY": xvfb})
    assert cp.returncode == 0, describe(cp)
    assert "rc=1" in cp.stdout and "unable to open display" in cp.stderr, describe(cp)
    assert ".X11-unix" not in cp.stdout, describe(cp)
    assert X11_WARNING not in cp.stderr
    # torgate says, once, what would give the command a display.
    hint = "the command looked for an X server (/tmp/.X11-unix/X%s), which is not shared with it: " \
           "--x11 nested gives it one of its own, --socket x11 shares yours" % xvfb.lstrip(":")
    assert cp.stderr.count(hint) == 1, describe(cp)


def test_wayland_socket_by_name(run_torgate):
    """Wayland listens under $XDG_RUNTIME_DIR; with --socket wayland the
    command reaches it there (a stand-in listener records the connect);
    PipeWire's socket beside it, not named, is not there (nothing in
    test_ipc.py is either). The sound server never is: test_audio.py."""
    top = pathlib.Path(tempfile.mkdtemp(prefix="torgate-gui-"))   # traversable by the suite's user
    rt = top / "xdg"
    rt.mkdir()
    u = tgutil.get_test_user()
    shared, hidden = str(rt / "wayland-0"), str(rt / "pipewire-0")
    for d in (top, rt):
        os.chmod(str(d), 0o777)
        if u:
            os.chown(str(d), u.uid, u.gid)
    listeners = []
    try:
        for p in (shared, hidden):
            listeners.append(Listener(p))
        cp = run_torgate(["--socket", "wayland", "--", "python3", "-c", PROBE, shared, hidden],
                         env={"XDG_RUNTIME_DIR": str(rt), "WAYLAND_DISPLAY": "wayland-0"})
    finally:
        for li in listeners:
            li.close()
        shutil.rmtree(str(top), ignore_errors=True)
    assert cp.returncode == 0, describe(cp)
    uid = tgutil.expected_ids()[0]      # the command's uid as seen from outside
    got = unixlisten.results(cp.stdout)
    assert listeners[0].seen == [(uid, shared)] and got.get(shared) == "seen", describe(cp)
    assert listeners[1].seen == [] and got.get(hidden) == "ERR 2", describe(cp)


def test_fallback_x11_only_without_wayland(run_torgate, xvfb):
    """--socket fallback-x11 (what the browser profiles ask for, with
    wayland): the X server only when no Wayland socket is shared."""
    top = pathlib.Path(tempfile.mkdtemp(prefix="torgate-gui-"))
    rt = top / "xdg"
    rt.mkdir()
    u = tgutil.get_test_user()
    for d in (top, rt):
        os.chmod(str(d), 0o777)
        if u:
            os.chown(str(d), u.uid, u.gid)
    wl = Listener(str(rt / "wayland-0"))
    opts = ["--socket", "wayland", "--socket", "fallback-x11", "--", "sh", "-c", "xdpyinfo >/dev/null; echo rc=$?"]
    try:
        with_wl = run_torgate(opts, env={"DISPLAY": xvfb, "XDG_RUNTIME_DIR": str(rt), "WAYLAND_DISPLAY": "wayland-0"})
        without = run_torgate(opts, env={"DISPLAY": xvfb, "XDG_RUNTIME_DIR": str(rt), "WAYLAND_DISPLAY": None})
    finally:
        wl.close()
        shutil.rmtree(str(top), ignore_errors=True)
    assert "rc=1" in with_wl.stdout and X11_WARNING not in with_wl.stderr, describe(with_wl)
    assert "rc=0" in without.stdout and X11_WARNING in without.stderr, describe(without)


def test_x11_nested(run_torgate, xvfb):
    """--x11 nested: the command's X clients work, on an X server of its
    own (Xephyr, 1280x800) shown as a window on the user's display; the
    user's own X server is out of reach, and Xephyr and its cookie are gone
    when torgate is."""
    probe = ("xdpyinfo | grep -E 'name of display|dimensions'; "
             "xdpyinfo -display %s >/dev/null 2>&1; echo host=$?; "
             "XAUTHORITY=/dev/null xdpyinfo >/dev/null 2>&1; echo nocookie=$?" % xvfb)
    cp = run_torgate(["--x11", "nested", "--", "sh", "-c", probe], env={"DISPLAY": xvfb})
    assert cp.returncode == 0, describe(cp)
    assert "dimensions:    1280x800 pixels" in cp.stdout, describe(cp)
    nested = cp.stdout.split("name of display:")[1].split()[0]
    assert nested != xvfb and "host=1" in cp.stdout, describe(cp)
    assert "nocookie=1" in cp.stdout, "the nested server takes clients without its cookie"
    assert X11_WARNING not in cp.stderr, describe(cp)
    n = nested.lstrip(":")
    tgutil.wait_until(lambda: subprocess.run(["pgrep", "-f", "Xephyr :%s " % n],
                                             capture_output=True).returncode == 1,
                      10, "Xephyr to end with torgate")
    assert not [d for d in os.listdir("/tmp") if d.startswith("torgate-x11-")], os.listdir("/tmp")


def test_ctrl_c_keeps_the_nested_display(popen_torgate, xvfb):
    """Ctrl-C goes to the terminal's whole process group; a command that
    ignores it keeps its nested X server (Xephyr is not in that group)."""
    p = popen_torgate(["--x11", "nested", "--", "sh", "-c",
                       "trap '' INT; echo up; sleep 2; xdpyinfo >/dev/null; echo x=$?"],
                      env={"DISPLAY": xvfb})
    assert p.stdout.readline() == "up\n"
    os.killpg(p.pid, signal.SIGINT)
    out, err = p.communicate(timeout=30)
    assert p.returncode == 0 and "x=0" in out, (out, err)


def test_x11_nested_needs_a_display(run_torgate):
    cp = run_torgate(["--x11", "nested", "--", "true"], env={"DISPLAY": None})
    assert cp.returncode == 125, describe(cp)
    assert "--x11 nested shows the command's X server as a window on your display, and DISPLAY " \
           "is not set" in cp.stderr, describe(cp)


@pytest.mark.skipif(shutil.which("xterm") is None or shutil.which("xdotool") is None,
                    reason="xterm and xdotool are not installed (scripts/install-deps --tests)")
def test_nested_cannot_type_into_your_terminal(run_torgate, xvfb):
    """A terminal of yours (xterm running a shell) on your display. From
    outside, xdotool types `touch MARK` and Return into it and your shell
    runs it: any client of a shared X server could. With --x11 nested the
    same xdotool, inside, finds no terminal and types into its own server:
    no mark; with no X option it has no display at all."""
    d = tempfile.mkdtemp(prefix="torgate-xterm-")
    os.chmod(d, 0o755)
    tgutil.give_to_test_user(d)
    mark = os.path.join(d, "typed")
    env = tgutil.torgate_env({"DISPLAY": xvfb})
    term = subprocess.Popen(tgutil.user_prefix() + ["xterm", "-geometry", "80x24+0+0", "-e", "sh"],
                            env=env, cwd=d, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    attack = ("xdotool search --class XTerm; echo found=$?; "
              "xdotool mousemove 20 20 type 'touch %s'; xdotool key Return; sleep 0.5" % mark)
    try:
        tgutil.wait_until(lambda: subprocess.run(["xdotool", "search", "--class", "XTerm"], env=env,
                                                 capture_output=True).returncode == 0,
                          15, "xterm to map its window")
        nested = run_torgate(["--x11", "nested", "--", "sh", "-c", attack], env={"DISPLAY": xvfb})
        plain = run_torgate(["--", "sh", "-c", attack], env={"DISPLAY": xvfb})
        time.sleep(0.5)
        assert not os.path.exists(mark), describe(nested) + describe(plain)
        subprocess.run(["sh", "-c", attack], env=env, capture_output=True, timeout=30)
        tgutil.wait_until(lambda: os.path.exists(mark), 10, "the shell in xterm to run what was typed")
    finally:
        term.kill()
        term.wait()
        shutil.rmtree(d, ignore_errors=True)
    assert nested.returncode == 0 and "found=1" in nested.stdout, describe(nested)
    assert "found=1" in plain.stdout and "Can't open display" in plain.stderr, describe(plain)
