"""Services outside the sandbox that a program could ask to connect for it:
real ones, each with a canary on host loopback.

The sound server: `pactl load-module module-tunnel-sink
server=tcp:HOST:PORT` makes a PulseAudio daemon (which runs outside,
whatever its client does) connect to HOST:PORT. A real daemon of the
test user's, with a null sink (tests/lib/pulse.py)."""

import shutil

import pytest

import tgutil
from pulse import Pulse

pytestmark = pytest.mark.skipif(shutil.which("pulseaudio") is None or shutil.which("pactl") is None,
                                reason="PulseAudio is not installed (scripts/install-deps --tests)")


@pytest.fixture
def pulse():
    p = Pulse()
    yield p
    p.close()


@pytest.mark.controls("host", "no-mntns")
def test_sound_server_cannot_connect_out(mode, probe, canaries, pulse):
    """Protection: with --socket pulseaudio the command reaches torgate's
    sound filter (gateway/audio/pulse_filter.c), never the daemon, and the
    filter refuses LOAD_MODULE (pulse/wire.c): "Access denied", no module,
    the canary sees nothing.
    Self-check: from the host, and in the sandbox with the host's mounts
    (no private runtime directory, no filter, no broker), pactl reaches
    the daemon, which loads the module and connects to the canary."""
    host = canaries[1]
    port = host.port("tcp", "127.0.0.1")
    argv = ["pactl", "load-module", "module-tunnel-sink", "server=tcp:127.0.0.1:%d" % port,
            "sink_name=leak"]
    env = {k: pulse.env[k] for k in ("HOME", "XDG_RUNTIME_DIR", "PULSE_CLIENTCONFIG")}
    env.update({"PULSE_SERVER": None, "DISPLAY": None, "DBUS_SESSION_BUS_ADDRESS": None})
    cp = probe.run(argv, opts=["--socket", "pulseaudio"], env=env)
    if mode == "torgate":
        host.fence()
        assert cp.returncode != 0 and "Access denied" in cp.stderr, tgutil.describe(cp)
        assert host.hits() == [], host.hits()
        assert "module-tunnel-sink" not in pulse.pactl("list", "modules", "short").stdout
    else:
        assert cp.returncode == 0, tgutil.describe(cp) + pulse.logtext()
        tgutil.wait_until(lambda: any(h["kind"] == "tcp" for h in host.hits()), 15,
                          "the daemon to connect to the canary")
