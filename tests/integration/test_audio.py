"""Sound through torgate's filter (--socket pulseaudio), against a real
PulseAudio daemon run as the suite's user with a null sink: what the
command plays reaches the sink (recorded there, outside), volume and
server information pass, and what would make the daemon act outside the
sandbox is refused: module-tunnel-sink to a canary on host loopback (the
same request from outside does reach the canary, so the vector is real),
module-null-sink, telling the daemon to exit. Without --socket pulseaudio
the command has no sound server at all."""

import array
import math
import os
import shutil
import signal
import subprocess
import time
import wave

import pytest

import tgutil
from pulse import SINK, Pulse
from tgutil import describe

pytestmark = pytest.mark.skipif(shutil.which("pulseaudio") is None or shutil.which("pactl") is None,
                                reason="PulseAudio is not installed (scripts/install-deps --tests)")

REFUSED = "sound: refused %s from the command"


@pytest.fixture
def pulse():
    p = Pulse()
    yield p
    p.close()


def run_inside(run_torgate, pulse, args, sound=True, opts_before=(), **kw):
    opts = list(opts_before) + (["--socket", "pulseaudio"] if sound else [])
    env = {k: pulse.env.get(k) for k in ("HOME", "XDG_RUNTIME_DIR", "PULSE_CLIENTCONFIG")}
    env.update({"PULSE_SERVER": None, "DISPLAY": None, "DBUS_SESSION_BUS_ADDRESS": None})
    return run_torgate(opts + ["--"] + args, env=env, **kw)


def tone(path, seconds=2.0, rate=44100):
    """A 440 Hz sine, loud, mono 16-bit."""
    samples = array.array("h", (int(20000 * math.sin(2 * math.pi * 440 * i / rate))
                                for i in range(int(seconds * rate))))
    with wave.open(path, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(samples.tobytes())


def test_playback_reaches_the_sink(run_torgate, pulse):
    """paplay inside; parec outside records the sink's monitor: the tone is
    there (its loudest sample, not silence)."""
    wav = os.path.join(pulse.top, "tone.wav")
    tone(wav)
    os.chmod(wav, 0o644)
    raw = os.path.join(pulse.top, "recorded.raw")
    rec = subprocess.Popen(tgutil.user_prefix() + ["sh", "-c", "exec parec -d %s.monitor --raw --format=s16le "
                                                   "--channels=1 --rate=44100 > %s" % (SINK, raw)],
                           env=pulse.env, cwd="/")
    try:
        tgutil.wait_until(lambda: "parec" in pulse.pactl("list", "source-outputs").stdout or rec.poll() is not None,
                          20, "parec to record")
        cp = run_inside(run_torgate, pulse, ["paplay", "-d", SINK, wav])
    finally:
        time.sleep(0.3)
        rec.terminate()
        rec.wait(10)
    assert cp.returncode == 0, describe(cp) + pulse.logtext()
    assert "sound: refused" not in cp.stderr, describe(cp)
    data = array.array("h")
    with open(raw, "rb") as f:
        b = f.read()
    data.frombytes(b[:len(b) - len(b) % 2])
    loudest = max((abs(x) for x in data), default=0)
    assert loudest > 10000, "the sink heard %d samples, loudest %d\n%s" % (len(data), loudest, describe(cp))


def test_information_and_volume_pass(run_torgate, pulse):
    script = "pactl info && pactl list sinks short && pactl set-sink-volume %s 37%%" % SINK
    cp = run_inside(run_torgate, pulse, ["sh", "-c", script])
    assert cp.returncode == 0, describe(cp) + pulse.logtext()
    assert "Server Name: pulseaudio" in cp.stdout and SINK in cp.stdout, describe(cp)
    out = pulse.pactl("get-sink-volume", SINK)
    assert " 37% " in out.stdout, out.stdout + describe(cp)


def test_tunnel_module_refused(run_torgate, pulse):
    """`pactl load-module module-tunnel-sink server=tcp:127.0.0.1:PORT`
    makes the daemon, outside, connect to that address around Tor. From
    outside it does (the canary counts it); from inside it is refused, the
    daemon loads nothing and the canary sees nobody."""
    canary = tgutil.Canary()
    try:
        args = ["load-module", "module-tunnel-sink", "server=tcp:127.0.0.1:%d" % canary.port,
                "sink_name=tunnel_out"]
        cp = run_inside(run_torgate, pulse, ["pactl"] + args)
        time.sleep(1)
        inside_hits = canary.hits
        modules_after_inside = pulse.pactl("list", "modules", "short").stdout
        out = pulse.pactl(*args)
        tgutil.wait_until(lambda: canary.hits > inside_hits, 10, "the daemon to connect to the canary")
    finally:
        canary.close()
    assert cp.returncode != 0 and "Access denied" in cp.stderr, describe(cp)
    assert cp.stderr.count(REFUSED % "LOAD_MODULE") == 1, describe(cp)
    assert inside_hits == 0 and "module-tunnel-sink" not in modules_after_inside, describe(cp)
    assert out.returncode == 0, out.stderr


@pytest.mark.parametrize("args,command", [
    (["load-module", "module-null-sink", "sink_name=evil"], "LOAD_MODULE"),
    (["unload-module", "module-null-sink"], "LOAD_MODULE"),
    (["exit"], "EXIT"),
    (["set-default-sink", "tgsink.monitor"], "SET_DEFAULT_SINK"),
    (["list", "clients"], "GET_CLIENT_INFO_LIST"),
])
def test_refused_commands(run_torgate, pulse, args, command):
    """Each refused with the daemon's own words ("Access denied"); the
    daemon is unchanged and still serves."""
    before = pulse.pactl("list", "modules", "short").stdout
    cp = run_inside(run_torgate, pulse, ["pactl"] + args)
    assert cp.returncode != 0, describe(cp)
    # pactl unload-module NAME first lists the modules, which is refused.
    if args[0] == "unload-module":
        command = "GET_MODULE_INFO_LIST"
    assert REFUSED % command in cp.stderr, describe(cp)
    info = pulse.pactl("info")
    assert info.returncode == 0, "the daemon is gone: %s" % pulse.logtext()
    assert "Default Sink: %s\n" % SINK in info.stdout
    assert pulse.pactl("list", "modules", "short").stdout == before


def test_no_sound_server_by_default(run_torgate, pulse):
    cp = run_inside(run_torgate, pulse, ["sh", "-c", "pactl info; echo rc=$?; ls -aR $XDG_RUNTIME_DIR"],
                    sound=False)
    assert cp.returncode == 0 and "rc=1" in cp.stdout, describe(cp)
    assert "native" not in cp.stdout.split("rc=1", 1)[1], describe(cp)
    assert "--socket pulseaudio gives it one, through torgate's filter" in cp.stderr, describe(cp)


def test_no_server_to_filter(run_torgate, pulse):
    """With no daemon (a headless machine, with a browser's profile asking
    for sound), the command runs without sound; -v says why."""
    pulse.close()
    cp = run_inside(run_torgate, pulse, ["sh", "-c", "pactl info; echo rc=$?"])
    assert cp.returncode == 0 and "rc=1" in cp.stdout, describe(cp)
    assert "warning" not in cp.stderr, describe(cp)
    cp = run_inside(run_torgate, pulse, ["true"], opts_before=["-v"])
    assert "--socket pulseaudio: no sound server at %s" % pulse.socket in cp.stderr, describe(cp)


@pytest.mark.parametrize("profile", ["firefox", "chromium"])
def test_browser_profiles_get_sound_through_the_filter(run_torgate, pulse, profile):
    """The browsers' profiles ask for sound: with the profile (and its
    private home, so no cookie: the daemon knows the filter by its uid),
    the sound server answers and a module load is refused."""
    conf = os.path.join(tgutil.REPO, "profiles", profile + ".conf")
    cp = run_inside(run_torgate, pulse, ["sh", "-c", "pactl info | grep 'Server Name'; "
                                         "pactl load-module module-null-sink; echo rc=$?"],
                    sound=False, opts_before=["--profile", conf])
    assert cp.returncode == 0, describe(cp)
    assert "Server Name: pulseaudio" in cp.stdout and "rc=1" in cp.stdout, describe(cp)
    assert REFUSED % "LOAD_MODULE" in cp.stderr, describe(cp)


def test_ctrl_c_keeps_the_sound(popen_torgate, pulse):
    """Ctrl-C goes to the terminal's whole process group; torgate passes it
    to the command, which may ignore it, as a shell does. The sound filter
    is not in that group: the command still has its sound after."""
    env = {k: pulse.env.get(k) for k in ("HOME", "XDG_RUNTIME_DIR", "PULSE_CLIENTCONFIG")}
    env.update({"PULSE_SERVER": None, "DISPLAY": None, "DBUS_SESSION_BUS_ADDRESS": None})
    p = popen_torgate(["--socket", "pulseaudio", "--", "sh", "-c",
                       "trap '' INT; echo up; sleep 2; pactl info | grep 'Server Name'"], env=env)
    assert p.stdout.readline() == "up\n"
    os.killpg(p.pid, signal.SIGINT)
    out, err = p.communicate(timeout=30)
    assert p.returncode == 0 and "Server Name: pulseaudio" in out, (out, err)
