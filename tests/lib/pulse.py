"""A PulseAudio daemon for the suites that need a real sound server
(tests/integration/test_audio.py, tests/leak/test_services.py)."""

import os
import shutil
import subprocess
import tempfile

import tgutil

SINK = "tgsink"


class Pulse:
    """A PulseAudio daemon of the suite's user, alone in a scratch
    directory: its own HOME and runtime directory, a null sink, the native
    protocol on $XDG_RUNTIME_DIR/pulse/native with its default
    authentication (cookie or the client's uid)."""

    def __init__(self):
        self.top = tempfile.mkdtemp(prefix="torgate-pulse-")
        os.chmod(self.top, 0o755)
        self.home = os.path.join(self.top, "home")
        self.rt = os.path.join(self.top, "run")
        os.makedirs(self.home)
        os.makedirs(self.rt, mode=0o700)
        # Clients never start a daemon of their own (inside, one would
        # answer in place of the missing server).
        self.conf = os.path.join(self.top, "client.conf")
        with open(self.conf, "w") as f:
            f.write("autospawn = no\n")
        tgutil.give_to_test_user(self.top)
        self.env = tgutil.torgate_env({"HOME": self.home, "XDG_RUNTIME_DIR": self.rt,
                                       "PULSE_SERVER": None, "PULSE_CLIENTCONFIG": self.conf,
                                       "DISPLAY": None, "DBUS_SESSION_BUS_ADDRESS": None})
        self.log = open(os.path.join(self.top, "pulseaudio.log"), "w+")
        self.proc = subprocess.Popen(
            tgutil.user_prefix() + ["pulseaudio", "-n", "--daemonize=no", "--exit-idle-time=-1",
                                    "--use-pid-file=no", "--log-target=stderr",
                                    "-L", "module-null-sink sink_name=%s" % SINK,
                                    "-L", "module-native-protocol-unix"],
            env=self.env, stdout=self.log, stderr=self.log, cwd="/")
        self.socket = os.path.join(self.rt, "pulse", "native")
        tgutil.wait_until(lambda: self.proc.poll() is not None or self.pactl("info").returncode == 0,
                          30, "PulseAudio to answer")
        assert self.proc.poll() is None, "PulseAudio exited: %s" % self.logtext()

    def pactl(self, *args):
        return subprocess.run(tgutil.user_prefix() + ["pactl"] + list(args), env=self.env,
                              capture_output=True, text=True, timeout=20, cwd="/")

    def logtext(self):
        self.log.seek(0)
        return self.log.read()[-3000:]

    def close(self):
        if self.log.closed:
            return
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()
        shutil.rmtree(self.top, ignore_errors=True)
