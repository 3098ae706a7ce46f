"""The single-instance escape (firejail#1960): Firefox or Chromium started
inside torgate while the same browser runs outside on the same profile
hands its window to that process, which loads the page without Tor.
torgate cannot stop the browser from doing that, but it can say so: one
warning line, before the command runs, naming the process and the way out;
and it still runs the command.

The browsers here are stand-ins: a fake HOME with a profile as Firefox and
Chromium leave it while they run (Firefox: a "lock" symlink "IP:+PID" and an
fcntl lock on ".parentlock"; Chromium: a "SingletonLock" symlink
"HOSTNAME-PID"), held by a live helper process of this test, and a fake
`firefox`/`chromium` on PATH that prints its arguments. A browser's own
detection reads exactly these, so torgate reads the same."""

import os
import socket
import subprocess

import pytest

from tgutil import PY, describe

FAKE_BROWSER = "#!/bin/sh\nprintf 'ran %s\\n' \"$*\"\n"
URL = "https://example.org/"
ESCAPE = "is already running outside the sandbox"

# Held until killed: an fcntl write lock on each file named, as Firefox
# holds <profile>/.parentlock for as long as it runs.
HOLDER = r"""
import fcntl, sys, time
held = []
for p in sys.argv[1:]:
    f = open(p, "a")
    fcntl.lockf(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
    held.append(f)
print("ready", flush=True)
time.sleep(600)
"""


class Home:
    """A fake HOME (readable by TORGATE_TEST_USER) with a bin/ of fake
    browsers, and the environment torgate runs them with."""

    def __init__(self, base):
        self.path = os.path.join(base, "home")
        self.bin = os.path.join(base, "bin")
        os.makedirs(self.path)
        os.makedirs(self.bin)
        for name in ("firefox", "firefox-esr", "chromium", "google-chrome"):
            exe = os.path.join(self.bin, name)
            with open(exe, "w") as f:
                f.write(FAKE_BROWSER)
            os.chmod(exe, 0o755)
        self.mozroot = os.path.join(self.path, ".mozilla", "firefox")

    def env(self, **extra):
        # Empty values count as unset (for torgate, as for the browsers):
        # the caller's own XDG_CONFIG_HOME and friends must not leak in.
        env = {"HOME": self.path, "PATH": self.bin + ":/usr/bin:/bin",
               "XDG_CONFIG_HOME": "", "CHROME_CONFIG_HOME": "", "MOZ_NEW_INSTANCE": ""}
        env.update(extra)
        return env

    def firefox_profiles(self, root=None):
        """profiles.ini as Firefox 67+ writes it: the install's default
        profile, and a second one. Returns (default, other) directories."""
        root = root or self.mozroot
        os.makedirs(os.path.join(root, "abcd1234.default-release"))
        os.makedirs(os.path.join(root, "efgh5678.other"))
        with open(os.path.join(root, "profiles.ini"), "w") as f:
            f.write("[Profile1]\nName=other\nIsRelative=1\nPath=efgh5678.other\n\n"
                    "[Profile0]\nName=default-release\nIsRelative=1\n"
                    "Path=abcd1234.default-release\n\n"
                    "[General]\nStartWithLastProfile=1\nVersion=2\n\n"
                    "[Install4F96D1932A9F858E]\nDefault=abcd1234.default-release\nLocked=1\n")
        return (os.path.join(root, "abcd1234.default-release"),
                os.path.join(root, "efgh5678.other"))


@pytest.fixture
def home(user_tmp):
    return Home(user_tmp)


@pytest.fixture
def holder():
    """start(*lockfiles) -> Popen of a live process holding fcntl locks on
    those files (none: just alive); killed at teardown."""
    procs = []

    def start(*files):
        for p in files:
            open(p, "a").close()
            os.chmod(p, 0o644)
        p = subprocess.Popen([PY, "-c", HOLDER] + list(files), stdout=subprocess.PIPE, text=True)
        procs.append(p)
        assert p.stdout.readline().strip() == "ready", "lock holder did not start"
        return p

    yield start
    for p in procs:
        p.kill()
        p.wait()


def dead_pid():
    """A pid that was a process of ours and is no more."""
    p = subprocess.Popen(["true"])
    p.wait()
    return p.pid


def firefox_running(profile, holder):
    """What a running Firefox leaves in its profile; returns its pid."""
    h = holder(os.path.join(profile, ".parentlock"))
    os.symlink("127.0.1.1:+%d" % h.pid, os.path.join(profile, "lock"))
    return h.pid


def chromium_running(user_data_dir, pid, host=None):
    os.makedirs(user_data_dir, exist_ok=True)
    os.symlink("%s-%d" % (host or socket.gethostname(), pid),
               os.path.join(user_data_dir, "SingletonLock"))


def escape_lines(cp):
    return [ln for ln in cp.stderr.splitlines() if ESCAPE in ln]


def ran(cp, *args):
    """The command ran, with these arguments, and torgate passed on its
    exit status."""
    want = "ran " + " ".join(args)
    assert cp.returncode == 0 and want in cp.stdout.splitlines(), describe(cp)


def assert_warned(cp, exe, pid, where, advice):
    lines = escape_lines(cp)
    assert len(lines) == 1, "want one warning line\n" + describe(cp)
    line = lines[0]
    assert line.startswith("torgate: warning: %s %s (pid %d, " % (exe, ESCAPE, pid)), line
    assert where in line and "without Tor" in line and advice in line, line


# ---- Firefox ------------------------------------------------------------

def test_firefox_running_outside_warns_and_still_runs(run_torgate, home, holder):
    default, _ = home.firefox_profiles()
    pid = firefox_running(default, holder)
    cp = run_torgate(["--", "firefox", URL], env=home.env())
    assert_warned(cp, "firefox", pid, "profile " + default,
                  "torgate -- firefox --new-instance --profile DIR")
    ran(cp, URL)


@pytest.mark.parametrize("args", [
    ["-P", "default-release"],
    ["--profile", "{default}"],
    ["--profile={default}"],
    ["-no-remote"],             # ignored since Firefox 131: remoting still happens
], ids=["P-name", "profile-DIR", "profile=DIR", "no-remote"])
def test_firefox_same_profile_named_warns(run_torgate, home, holder, args):
    default, _ = home.firefox_profiles()
    pid = firefox_running(default, holder)
    args = [a.format(default=default) for a in args]
    cp = run_torgate(["--", "firefox-esr"] + args + [URL], env=home.env())
    assert_warned(cp, "firefox-esr", pid, default, "--new-instance --profile DIR")
    ran(cp, *(args + [URL]))


@pytest.mark.parametrize("args,env", [
    (["-P", "other"], {}),
    (["--profile", "{other}"], {}),
    (["--profile={fresh}"], {}),
    (["--new-instance", "--profile", "{fresh}"], {}),
], ids=["P-other", "profile-other", "profile=fresh", "new-instance-fresh"])
def test_firefox_own_profile_no_warning(run_torgate, home, holder, user_tmp, args, env):
    """The way out the warning gives: a profile nothing else runs on."""
    default, other = home.firefox_profiles()
    firefox_running(default, holder)
    fresh = os.path.join(user_tmp, "fresh-profile")
    args = [a.format(other=other, fresh=fresh) for a in args]
    cp = run_torgate(["--", "firefox"] + args + [URL], env=home.env(**env))
    assert escape_lines(cp) == [], describe(cp)
    ran(cp, *(args + [URL]))


@pytest.mark.parametrize("how", ["arg", "env"])
def test_firefox_new_instance_is_no_escape(run_torgate, home, holder, how):
    """--new-instance (or MOZ_NEW_INSTANCE) turns Gecko's remote client off:
    no escape, so no warning. On the same profile that Firefox refuses to
    start instead, which -v explains."""
    default, _ = home.firefox_profiles()
    pid = firefox_running(default, holder)
    args = ["--new-instance"] if how == "arg" else []
    env = {"MOZ_NEW_INSTANCE": "1"} if how == "env" else {}
    cp = run_torgate(["-v", "--", "firefox"] + args + [URL], env=home.env(**env))
    assert escape_lines(cp) == [], describe(cp)
    assert "firefox's profile %s is in use outside the sandbox (pid %d): Firefox will refuse " \
           "to start on it" % (default, pid) in cp.stderr, describe(cp)
    ran(cp, *(args + [URL]))


def test_firefox_stale_lock_no_warning(run_torgate, home):
    """After a crash: the symlink is left, its process is gone."""
    default, _ = home.firefox_profiles()
    os.symlink("127.0.1.1:+%d" % dead_pid(), os.path.join(default, "lock"))
    open(os.path.join(default, ".parentlock"), "w").close()
    cp = run_torgate(["--", "firefox", URL], env=home.env())
    assert escape_lines(cp) == [], describe(cp)
    ran(cp, URL)


def test_firefox_reused_pid_no_warning(run_torgate, home, holder):
    """The stale symlink's pid now belongs to another live process, but
    nobody holds .parentlock: no Firefox runs there."""
    default, _ = home.firefox_profiles()
    other = holder()
    os.symlink("127.0.1.1:+%d" % other.pid, os.path.join(default, "lock"))
    open(os.path.join(default, ".parentlock"), "w").close()
    cp = run_torgate(["--", "firefox", URL], env=home.env())
    assert escape_lines(cp) == [], describe(cp)


def test_firefox_fcntl_lock_alone_warns(run_torgate, home, holder):
    """No symlink (a filesystem without them), the fcntl lock held: the
    holder's pid is what the kernel reports."""
    default, _ = home.firefox_profiles()
    h = holder(os.path.join(default, ".parentlock"))
    cp = run_torgate(["--", "firefox", URL], env=home.env())
    assert_warned(cp, "firefox", h.pid, default, "--new-instance --profile DIR")


def test_firefox_xdg_profiles(run_torgate, home, holder):
    """Firefox 147+ keeps new profiles under $XDG_CONFIG_HOME/mozilla/firefox
    when ~/.mozilla does not exist."""
    xdg = os.path.join(home.path, "xdg-config")
    default, _ = home.firefox_profiles(os.path.join(xdg, "mozilla", "firefox"))
    pid = firefox_running(default, holder)
    cp = run_torgate(["--", "firefox", URL], env=home.env(XDG_CONFIG_HOME=xdg))
    assert_warned(cp, "firefox", pid, default, "--new-instance --profile DIR")


def test_firefox_no_profiles_no_warning(run_torgate, home):
    """A first start: no profiles.ini at all."""
    cp = run_torgate(["--", "firefox", URL], env=home.env())
    assert escape_lines(cp) == [], describe(cp)
    ran(cp, URL)


# ---- Chromium -----------------------------------------------------------

def test_chromium_running_outside_warns_and_still_runs(run_torgate, home, holder):
    udd = os.path.join(home.path, ".config", "chromium")
    pid = holder().pid
    chromium_running(udd, pid)
    cp = run_torgate(["--", "chromium", URL], env=home.env())
    assert_warned(cp, "chromium", pid, "user data dir " + udd,
                  "torgate -- chromium --user-data-dir=DIR")
    ran(cp, URL)


def test_chrome_config_home(run_torgate, home, holder):
    """$CHROME_CONFIG_HOME moves Chrome's default user data dir."""
    base = os.path.join(home.path, "chrome-config")
    udd = os.path.join(base, "google-chrome")
    pid = holder().pid
    chromium_running(udd, pid)
    cp = run_torgate(["--", "google-chrome", URL], env=home.env(CHROME_CONFIG_HOME=base))
    assert_warned(cp, "google-chrome", pid, udd, "--user-data-dir=DIR")


def test_chromium_explicit_user_data_dir_in_use_warns(run_torgate, home, holder, user_tmp):
    udd = os.path.join(user_tmp, "shared-udd")
    pid = holder().pid
    chromium_running(udd, pid)
    cp = run_torgate(["--", "chromium", "--user-data-dir=" + udd, URL], env=home.env())
    assert_warned(cp, "chromium", pid, udd, "--user-data-dir=DIR")


@pytest.mark.parametrize("case", ["own-user-data-dir", "headless", "dead-pid", "other-host"])
def test_chromium_no_escape_no_warning(run_torgate, home, holder, user_tmp, case):
    """Its own user data dir (the way out); headless (Chromium makes itself
    a temporary one); a lock left by a crash; a lock of another host sharing
    the home, whose socket is not on this machine."""
    udd = os.path.join(home.path, ".config", "chromium")
    args = [URL]
    if case == "dead-pid":
        chromium_running(udd, dead_pid())
    elif case == "other-host":
        chromium_running(udd, holder().pid, host="elsewhere." + socket.gethostname())
    else:
        chromium_running(udd, holder().pid)
        args = (["--user-data-dir=" + os.path.join(user_tmp, "own")] if case.startswith("own")
                else ["--headless"]) + args
    cp = run_torgate(["--", "chromium"] + args, env=home.env())
    assert escape_lines(cp) == [], describe(cp)
    ran(cp, *args)


def test_other_commands_not_looked_at(run_torgate, home, holder):
    """Only the browsers' own names are recognised: a command that is not one
    gets no warning even with every lock held."""
    default, _ = home.firefox_profiles()
    firefox_running(default, holder)
    chromium_running(os.path.join(home.path, ".config", "chromium"), holder().pid)
    cp = run_torgate(["--", "sh", "-c", "echo ran " + URL], env=home.env())
    assert escape_lines(cp) == [], describe(cp)
    ran(cp, URL)

