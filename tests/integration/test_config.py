"""Config files, profiles and the sandbox options they carry, as a user sees
them: /etc/torgate/torgate.conf, then $XDG_CONFIG_HOME/torgate/torgate.conf
(else ~/.config/...), then the profile (--profile, "profile =" or the
command's name), then the command line; list options add up. A bad file
stops torgate (125) with one line naming the file and the line. Then
--bind/--bind-ro/--hide/--private-home and --setenv/--unsetenv/--clearenv/
--keepenv, seen from inside the command and on the host afterwards.

Each test has its own XDG_CONFIG_HOME (the conf fixture), so nothing of the
caller's own configuration gets in."""

import os
import re
import shutil
import subprocess
import tempfile

import pytest

import tgutil
from tgutil import describe

IP = shutil.which("ip") or "/usr/sbin/ip"
# What the layers decide, seen from inside: variables and the TUN's MTU.
SHOW = ('echo "WHO=${WHO-unset} USERONLY=${USERONLY-unset} SYSONLY=${SYSONLY-unset}"; '
        + IP + ' -o link show tg0')
ROOT_ONLY = pytest.mark.skipif(tgutil.get_test_user() is not None,
                               reason="needs root: mounts an overlay on /etc in a private mount "
                                      "namespace to give torgate its own /etc/torgate")


class Conf:
    """A config home for XDG_CONFIG_HOME: torgate/torgate.conf and
    torgate/profiles/NAME.conf, root's files that anyone may read."""

    def __init__(self, root):
        self.root = root
        self.profiles = os.path.join(root, "torgate", "profiles")
        os.makedirs(self.profiles)
        for d in (root, os.path.dirname(self.profiles), self.profiles):
            os.chmod(d, 0o755)
        self.path = os.path.join(root, "torgate", "torgate.conf")
        self.env = {"XDG_CONFIG_HOME": root}

    def write(self, text, profile=None, mode=0o644):
        path = self.path if profile is None else os.path.join(self.profiles, profile + ".conf")
        with open(path, "w") as f:
            f.write(text)
        os.chmod(path, mode)
        return path


@pytest.fixture
def conf():
    d = tempfile.mkdtemp(prefix="torgate-conf-")
    yield Conf(d)
    shutil.rmtree(d, ignore_errors=True)


def write(path, text, mode=0o666):
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, mode)
    return path


def read(path):
    with open(path) as f:
        return f.read()


def sh(run_torgate, opts, script, env=None, **kw):
    return run_torgate(list(opts) + ["--", "sh", "-c", script], env=env, **kw)


def seen(cp):
    """{WHO, USERONLY, SYSONLY, mtu} as the command printed them (SHOW)."""
    assert cp.returncode == 0, describe(cp)
    got = dict(re.findall(r"\b(WHO|USERONLY|SYSONLY)=(\S+)", cp.stdout))
    m = re.search(r"\bmtu (\d+)", cp.stdout)
    assert m and len(got) == 3, describe(cp)
    got["mtu"] = int(m.group(1))
    return got


def profile_logged(cp):
    m = re.search(r"^torgate: info: profile (\S+)$", cp.stderr, re.M)
    return m.group(1) if m else None


# ------------------------------------------------------------ precedence

def test_layers_user_profile_cli(run_torgate, conf):
    """The user's file, then the profile (here the one named after the
    command, sh), then the command line: the last word wins; setenv lines
    add up across the layers."""
    conf.write("# mine\nsetenv = WHO=user\nsetenv = USERONLY=u\nmtu = 1400\n")
    prof = conf.write("setenv = WHO=profile\nmtu = 1300\n", profile="sh")
    cp = sh(run_torgate, ["-v", "--profile", "none"], SHOW, conf.env)
    assert seen(cp) == {"WHO": "user", "USERONLY": "u", "SYSONLY": "unset", "mtu": 1400}
    assert profile_logged(cp) is None, describe(cp)
    cp = sh(run_torgate, ["-v"], SHOW, conf.env)
    assert seen(cp) == {"WHO": "profile", "USERONLY": "u", "SYSONLY": "unset", "mtu": 1300}
    assert profile_logged(cp) == prof, describe(cp)
    cp = sh(run_torgate, ["--setenv", "WHO=cli", "--mtu", "1280"], SHOW, conf.env)
    assert seen(cp) == {"WHO": "cli", "USERONLY": "u", "SYSONLY": "unset", "mtu": 1280}


def test_profile_chosen_in_config(run_torgate, conf):
    """"profile = NAME" in the user's file beats the command's name;
    --profile beats both; "profile = none" turns the choosing off."""
    conf.write("profile = other\n")
    conf.write("setenv = WHO=other\n", profile="other")
    conf.write("setenv = WHO=sh\n", profile="sh")
    assert seen(sh(run_torgate, [], SHOW, conf.env))["WHO"] == "other"
    assert seen(sh(run_torgate, ["--profile", "sh"], SHOW, conf.env))["WHO"] == "sh"
    conf.write("profile = none\n")
    assert seen(sh(run_torgate, [], SHOW, conf.env))["WHO"] == "unset"


def test_home_config_without_xdg(run_torgate, user_tmp):
    """Without XDG_CONFIG_HOME (or with a relative one, which is to be
    ignored) the file is ~/.config/torgate/torgate.conf."""
    d = os.path.join(user_tmp, ".config", "torgate")
    os.makedirs(d)
    write(os.path.join(d, "torgate.conf"), "setenv = WHO=home\n", 0o644)
    for xdg in ("", "relative/config"):
        cp = sh(run_torgate, [], SHOW, {"HOME": user_tmp, "XDG_CONFIG_HOME": xdg})
        assert seen(cp)["WHO"] == "home", describe(cp)


SYSTEM_SCRIPT = """set -e
mount -t tmpfs tmpfs "$1"
mkdir "$1/upper" "$1/work"
mount -t overlay overlay -o "lowerdir=/etc,upperdir=$1/upper,workdir=$1/work" /etc
rm -rf /etc/torgate
mkdir -m 0755 /etc/torgate
cp -R --preserve=mode "$2/." /etc/torgate/
shift 2
exec "$@"
"""


def run_with_system_conf(tree, args, socks, env):
    """Runs torgate ARGS in a private mount namespace whose /etc is an
    overlay with tree's files as /etc/torgate; the host's /etc is never
    written, whatever happens."""
    scratch = tempfile.mkdtemp(prefix="torgate-etc-")
    try:
        argv = ["unshare", "--mount", "--propagation", "private", "sh", "-c", SYSTEM_SCRIPT,
                "sh", scratch, tree] + tgutil.torgate_argv(args, socks)
        proc = subprocess.Popen(argv, env=tgutil.torgate_env(env), text=True, stdin=subprocess.DEVNULL,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
        out, err = tgutil.communicate(proc, 60)
        return subprocess.CompletedProcess(argv, proc.returncode, out, err)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


@ROOT_ONLY
def test_system_config_first(socks_addr, conf, tmp_path):
    """/etc/torgate/torgate.conf comes first: the user's file and the
    command line win over it, and its setenv lines stay. Its profiles
    directory comes after the user's."""
    had_etc = os.path.exists("/etc/torgate")
    tree = tmp_path / "etc-torgate"
    (tree / "profiles").mkdir(parents=True)
    (tree / "torgate.conf").write_text("setenv = WHO=system\nsetenv = SYSONLY=s\nmtu = 1400\n")
    (tree / "profiles" / "sysprof.conf").write_text("setenv = WHO=system-profile\n")
    for p in (tree, tree / "profiles", tree / "torgate.conf", tree / "profiles" / "sysprof.conf"):
        p.chmod(0o755 if p.is_dir() else 0o644)
    cmd = ["--", "sh", "-c", SHOW]
    cp = run_with_system_conf(str(tree), cmd, socks_addr, conf.env)
    assert seen(cp) == {"WHO": "system", "USERONLY": "unset", "SYSONLY": "s", "mtu": 1400}
    conf.write("setenv = WHO=user\nmtu = 1300\n")
    cp = run_with_system_conf(str(tree), cmd, socks_addr, conf.env)
    assert seen(cp) == {"WHO": "user", "USERONLY": "unset", "SYSONLY": "s", "mtu": 1300}
    cp = run_with_system_conf(str(tree), ["--setenv", "WHO=cli"] + cmd, socks_addr, conf.env)
    assert seen(cp)["WHO"] == "cli"
    cp = run_with_system_conf(str(tree), ["-v", "--profile", "sysprof"] + cmd, socks_addr, conf.env)
    assert seen(cp)["WHO"] == "system-profile"
    assert profile_logged(cp) == "/etc/torgate/profiles/sysprof.conf", describe(cp)
    conf.write("setenv = WHO=user-profile\n", profile="sysprof")
    cp = run_with_system_conf(str(tree), ["--profile", "sysprof"] + cmd, socks_addr, conf.env)
    assert seen(cp)["WHO"] == "user-profile"
    # An error in the system's file names it.
    (tree / "torgate.conf").write_text("mtu = 12\n")
    cp = run_with_system_conf(str(tree), cmd, socks_addr, conf.env)
    assert_error(cp, "/etc/torgate/torgate.conf:1: ", "bad --mtu '12'")
    assert os.path.exists("/etc/torgate") == had_etc


# ------------------------------------------------------------ socks

def test_socks_from_file_cli_and_env(run_torgate, conf, socks_addr):
    """socks = in a file is used (and fails closed when Tor is not there);
    --socks and $TORGATE_SOCKS win over it."""
    conf.write("socks = 127.0.0.1:1\n")
    cp = sh(run_torgate, [], "echo RAN", conf.env, socks=None)
    assert cp.returncode == 125 and "RAN" not in cp.stdout, describe(cp)
    assert "127.0.0.1:1" in cp.stderr, describe(cp)
    cp = sh(run_torgate, [], "echo RAN", conf.env)                 # --socks <the test server>
    assert cp.returncode == 0 and cp.stdout == "RAN\n", describe(cp)
    cp = sh(run_torgate, [], "echo RAN", dict(conf.env, TORGATE_SOCKS=socks_addr), socks=None)
    assert cp.returncode == 0 and cp.stdout == "RAN\n", describe(cp)
    conf.write("socks = %s\n" % socks_addr)
    cp = sh(run_torgate, [], "echo RAN", conf.env, socks=None)
    assert cp.returncode == 0 and cp.stdout == "RAN\n", describe(cp)


# ------------------------------------------------------------ errors

def assert_error(cp, where, what):
    """Exit 125, the command not run, and one line: where, then what."""
    assert cp.returncode == 125 and "RAN" not in cp.stdout, describe(cp)
    lines = cp.stderr.strip().splitlines()
    assert len(lines) == 1, describe(cp)
    assert lines[0].startswith("torgate: error: " + where) and what in lines[0], describe(cp)


@pytest.mark.parametrize("line,what", [
    ("colour = blue", "unknown key 'colour'"),
    ("mtu = 12", "bad --mtu '12'"),
    ("netns = x", "'netns' belongs on the command line"),
    ("socks 127.0.0.1:9050", "expected KEY = VALUE"),
    ("Socks = 127.0.0.1:9050", "bad key 'Socks'"),
    ("dns =", "'dns' needs a value"),
    ("private-home = maybe", "bad --private-home 'maybe': use yes or no"),
    ("bind = relative/dir", "a config file needs an absolute path"),
    ("setenv = X=${NOPE}", "unknown variable in '${NOPE}'"),
    ("bind = ${NOPE}/x", "unknown variable in '${NOPE}/x'"),
])
def test_bad_line(run_torgate, conf, line, what):
    conf.write("# line 1\nisolate = host\n%s\nsetenv = X=after\n" % line)
    cp = sh(run_torgate, [], "echo RAN", conf.env)
    assert_error(cp, conf.path + ":3: ", what)


def test_bad_profile_lines(run_torgate, conf):
    """The same in a profile, chosen by the command's name; a profile
    cannot choose another one (it includes it)."""
    prof = conf.write("isolate = host\n\nmtu = 12\n", profile="sh")
    assert_error(sh(run_torgate, [], "echo RAN", conf.env), prof + ":3: ", "bad --mtu '12'")
    conf.write("profile = curl\n", profile="sh")
    assert_error(sh(run_torgate, [], "echo RAN", conf.env), prof + ":1: ",
                 "a profile cannot choose a profile")


def test_unsafe_files(run_torgate, conf):
    """Files others may write, or that belong to someone else, are refused."""
    path = conf.write("isolate = host\n", mode=0o664)
    assert_error(sh(run_torgate, [], "echo RAN", conf.env), path + ": ", "writable by others")
    os.chmod(path, 0o644)
    prof = conf.write("isolate = host\n", profile="sh", mode=0o646)
    assert_error(sh(run_torgate, [], "echo RAN", conf.env), prof + ": ", "writable by others")
    os.chmod(prof, 0o644)
    other = 65534 if tgutil.expected_ids()[0] != 65534 else 1     # neither root nor the caller
    os.chown(path, other, other)
    assert_error(sh(run_torgate, [], "echo RAN", conf.env), path + ": ", "owned by uid %d" % other)
    os.chown(path, 0, 0)
    cp = sh(run_torgate, [], "echo RAN", conf.env)          # root's file, 0644: fine
    assert cp.returncode == 0 and cp.stdout == "RAN\n", describe(cp)


def test_missing_profile_chosen_in_config(run_torgate, conf):
    """A profile a config file names but that does not exist: the error
    says which file chose it."""
    conf.write("profile = nosuch\n")
    assert_error(sh(run_torgate, [], "echo RAN", conf.env),
                 "no profile 'nosuch'", ", chosen in %s (looked for" % conf.path)


def test_missing_profile(run_torgate, conf):
    """An explicit --profile that does not exist is an error naming where
    it was looked for; a command without a profile simply has none."""
    cp = sh(run_torgate, ["--profile", "nosuch"], "echo RAN", conf.env)
    assert_error(cp, "no profile 'nosuch'", "looked for %s/nosuch.conf, "
                 "/etc/torgate/profiles/nosuch.conf" % conf.profiles)
    missing = os.path.join(conf.root, "nope.conf")
    assert_error(sh(run_torgate, ["--profile", missing], "echo RAN", conf.env),
                 "profile %s: " % missing, "No such file or directory")
    cp = sh(run_torgate, ["-v"], "echo RAN", conf.env)
    assert cp.returncode == 0 and cp.stdout == "RAN\n", describe(cp)
    assert profile_logged(cp) is None, describe(cp)


def test_include(run_torgate, conf):
    """include = NAME reads another profile in its place; a missing one and
    a loop are errors at the include line."""
    a = conf.write("setenv = WHO=a\ninclude = b\nsetenv = AFTER=a\n", profile="a")
    conf.write("setenv = WHO=b\nsetenv = USERONLY=from-b\n", profile="b")
    cp = sh(run_torgate, ["--profile", "a"], SHOW + '; echo "AFTER=$AFTER"', conf.env)
    assert seen(cp)["WHO"] == "b" and seen(cp)["USERONLY"] == "from-b" and "AFTER=a" in cp.stdout
    b = conf.write("# b\ninclude = a\n", profile="b")                          # by name
    assert_error(sh(run_torgate, ["--profile", "a"], "echo RAN", conf.env),
                 "%s:2: %s:2: " % (a, b), "include 'a': an include loop")
    conf.write("include = %s\n" % a, profile="b")                              # by path
    assert_error(sh(run_torgate, ["--profile", "a"], "echo RAN", conf.env),
                 "%s:2: %s:1: " % (a, b), "includes itself")
    conf.write("include = nosuch\n", profile="b")
    assert_error(sh(run_torgate, ["--profile", "a"], "echo RAN", conf.env),
                 "%s:2: %s:1: " % (a, b), "include 'nosuch': no such profile")


# ------------------------------------------------------------ files

def test_bind_ro_and_rw(run_torgate, conf, user_tmp):
    """--bind-ro: readable, not writable (the file system says so);
    --bind of a directory inside it: writable again, and what is written
    there is on the host."""
    d = os.path.join(user_tmp, "data")
    os.makedirs(os.path.join(d, "sub"))
    os.chmod(d, 0o777)
    os.chmod(os.path.join(d, "sub"), 0o777)
    f = write(os.path.join(d, "f.txt"), "original\n")
    script = ('cat "$1/f.txt"; echo changed > "$1/f.txt" && echo WROTE-FILE; '
              'touch "$1/new" && echo MADE-NEW; echo hi > "$1/sub/x" && echo WROTE-SUB')
    cp = run_torgate(["--bind-ro", d, "--bind", d + "/sub", "--", "sh", "-c", script, "sh", d],
                     env=conf.env)
    assert cp.returncode == 0, describe(cp)
    assert cp.stdout == "original\nWROTE-SUB\n", describe(cp)
    assert cp.stderr.count("Read-only file system") == 2, describe(cp)
    assert read(f) == "original\n" and not os.path.exists(os.path.join(d, "new"))
    assert read(os.path.join(d, "sub", "x")) == "hi\n"
    # Without --bind-ro the same writes work: the mount is what refused them.
    cp = run_torgate(["--", "sh", "-c", script, "sh", d], env=conf.env)
    assert "WROTE-FILE" in cp.stdout and "MADE-NEW" in cp.stdout, describe(cp)


def test_bind_elsewhere(run_torgate, conf, user_tmp):
    """--bind SRC:DST shows SRC at an existing DST; writes land in SRC. A
    DST that does not exist (outside a private home) is an error."""
    src, dst = os.path.join(user_tmp, "src"), os.path.join(user_tmp, "dst")
    for x in (src, dst):
        os.mkdir(x)
        os.chmod(x, 0o777)
    write(os.path.join(src, "from-src"), "s\n")
    write(os.path.join(dst, "dst-own"), "d\n")
    cp = run_torgate(["--bind", "%s:%s" % (src, dst), "--", "sh", "-c",
                      'ls -A "$1"; echo made > "$1/made"', "sh", dst], env=conf.env)
    assert cp.returncode == 0 and cp.stdout == "from-src\n", describe(cp)
    assert sorted(os.listdir(src)) == ["from-src", "made"] and os.listdir(dst) == ["dst-own"]
    nowhere = os.path.join(user_tmp, "nowhere")
    cp = sh(run_torgate, ["--bind", "%s:%s" % (src, nowhere)], "echo RAN", conf.env)
    assert_error(cp, "--bind %s: %s in the sandbox" % (src, nowhere), "bind onto a place that exists")
    assert not os.path.exists(nowhere)


@pytest.mark.parametrize("opt", ["--bind", "--bind-ro"])
def test_bind_missing_source(run_torgate, conf, user_tmp, opt):
    missing = os.path.join(user_tmp, "missing")
    cp = sh(run_torgate, [opt, missing], "echo RAN", conf.env)
    assert_error(cp, "%s %s: No such file or directory" % (opt, missing), "write -PATH")
    cp = sh(run_torgate, [opt, "-" + missing], "echo RAN", conf.env)
    assert cp.returncode == 0 and cp.stdout == "RAN\n", describe(cp)
    conf.write("%s = -%s\n" % (opt[2:], missing))                  # the same from a file
    cp = sh(run_torgate, [], "echo RAN", conf.env)
    assert cp.returncode == 0 and cp.stdout == "RAN\n", describe(cp)


@pytest.mark.skipif(tgutil.get_test_user() is not None, reason="makes /run/nscd on the host: root only")
def test_bind_cannot_reopen_a_mask(run_torgate, conf):
    """torgate hides the resolvers' sockets, and all of /run (here nscd's
    directory, with a stand-in file): binding it, or /run around it,
    elsewhere brings the sandbox's view along, not the host's."""
    made = not os.path.exists("/run/nscd")
    os.makedirs("/run/nscd", exist_ok=True)
    marker = write("/run/nscd/torgate-test-marker", "x\n", 0o644)
    unhidden = tempfile.mkdtemp(prefix="torgate-unhidden-")
    try:
        cp = sh(run_torgate, ["--bind", "/run:/mnt"], 'ls -A /mnt/nscd; echo END', conf.env)
        assert cp.returncode == 0 and cp.stdout == "END\n", describe(cp)
        cp = sh(run_torgate, ["--bind-ro", "/run/nscd:/mnt"], 'ls -A /mnt; echo END', conf.env)
        assert_error(cp, "--bind-ro /run/nscd: No such file or directory", "write -PATH")
        # A directory torgate does not hide comes along with its file: the
        # bind itself works, so the test can fail.
        write(os.path.join(unhidden, "marker"), "x\n", 0o644)
        os.chmod(unhidden, 0o755)
        cp = sh(run_torgate, ["--bind", "%s:/mnt" % unhidden], 'ls -A /mnt', conf.env)
        assert cp.returncode == 0 and cp.stdout == "marker\n", describe(cp)
        assert os.path.exists(marker)
    finally:
        shutil.rmtree(unhidden, ignore_errors=True)
        os.unlink(marker)
        if made:
            os.rmdir("/run/nscd")


def test_hide(run_torgate, conf, user_tmp):
    """--hide: a directory shows empty (and read-only), a file empty; the
    host keeps both; a hide wins over a bind of the same place."""
    d = os.path.join(user_tmp, "secrets")
    os.mkdir(d)
    os.chmod(d, 0o777)
    write(os.path.join(d, "key"), "secret\n")
    f = write(os.path.join(user_tmp, "token"), "secret\n")
    script = ('ls -A "$1"; echo "[$(cat "$2")] $(wc -c < "$2")"; touch "$1/new" || echo NO-NEW; '
              'cat "$1/key"')
    cp = run_torgate(["--hide", d, "--hide", f, "--", "sh", "-c", script, "sh", d, f], env=conf.env)
    assert cp.stdout == "[] 0\nNO-NEW\n", describe(cp)
    assert "Read-only file system" in cp.stderr and cp.returncode != 0, describe(cp)
    assert read(os.path.join(d, "key")) == "secret\n" and read(f) == "secret\n"
    assert os.listdir(d) == ["key"]
    cp = run_torgate(["--bind-ro", "%s:%s" % (user_tmp, d), "--hide", d, "--", "ls", "-A", d],
                     env=conf.env)
    assert cp.returncode == 0 and cp.stdout == "", describe(cp)


@pytest.fixture
def home(user_tmp):
    """A home directory of the user torgate runs as, with a file in it."""
    h = os.path.join(user_tmp, "home")
    os.mkdir(h, 0o700)
    write(os.path.join(h, "marker"), "mine\n", 0o644)
    write(os.path.join(h, "keep.txt"), "kept\n", 0o644)
    tgutil.give_to_test_user(h)
    return h


def test_private_home(run_torgate, conf, home):
    """--private-home: $HOME is empty inside and forgotten at exit; a file
    of the real home bound into it (~/keep.txt, taken before the home is
    covered) is the host's file."""
    env = dict(conf.env, HOME=home)
    script = ('ls -A "$HOME"; test -e "$HOME/marker" && echo MARKER-VISIBLE; '
              'echo new > "$HOME/new.txt" && echo WROTE')
    cp = sh(run_torgate, ["--private-home"], script, env)
    assert cp.returncode == 0 and cp.stdout == "WROTE\n", describe(cp)
    assert not os.path.exists(os.path.join(home, "new.txt"))
    assert sorted(os.listdir(home)) == ["keep.txt", "marker"]
    cp = sh(run_torgate, ["--private-home", "--bind", "~/keep.txt"],
            script + '; cat "$HOME/keep.txt"; echo more >> "$HOME/keep.txt"', env)
    assert cp.returncode == 0 and cp.stdout == "keep.txt\nWROTE\nkept\n", describe(cp)
    assert read(os.path.join(home, "keep.txt")) == "kept\nmore\n"
    assert not os.path.exists(os.path.join(home, "new.txt"))
    # $HOME through a symlink: binds into the private home still find
    # their place (the shipped browser profiles bind ~/Downloads so).
    link = home + "-link"
    os.symlink(home, link)
    cp = sh(run_torgate, ["--private-home", "--bind", "~/keep.txt"], 'cat "$HOME/keep.txt"',
            dict(env, HOME=link))
    assert cp.returncode == 0 and cp.stdout == "kept\nmore\n", describe(cp)
    # The same without --private-home sees the real home.
    cp = sh(run_torgate, [], 'test -e "$HOME/marker" && echo MARKER-VISIBLE', env)
    assert cp.returncode == 0 and cp.stdout == "MARKER-VISIBLE\n", describe(cp)


# ------------------------------------------------------------ environment

def test_clearenv(run_torgate, conf, user_tmp):
    path = tgutil.torgate_env()["PATH"] + ":/torgate-test-path-marker"
    env = dict(conf.env, TG_ARBITRARY="drop-me", TG_KEEP="keep-me", PATH=path, HOME=user_tmp)
    script = 'echo "A=${TG_ARBITRARY-unset} K=${TG_KEEP-unset} P=$PATH H=$HOME"'
    cp = sh(run_torgate, [], script, env)
    assert cp.stdout == "A=drop-me K=keep-me P=%s H=%s\n" % (path, user_tmp), describe(cp)
    cp = sh(run_torgate, ["--clearenv", "--keepenv", "TG_KEEP"], script, env)
    assert cp.stdout == "A=unset K=keep-me P=%s H=%s\n" % (path, user_tmp), describe(cp)
    cp = sh(run_torgate, ["--clearenv"], script, env)
    assert cp.stdout == "A=unset K=unset P=%s H=%s\n" % (path, user_tmp), describe(cp)
    conf.write("clearenv = yes\nkeepenv = TG_KEEP\n")                    # from a file
    cp = sh(run_torgate, [], script, env)
    assert cp.stdout == "A=unset K=keep-me P=%s H=%s\n" % (path, user_tmp), describe(cp)


def test_unsetenv(run_torgate, conf):
    env = dict(conf.env, GONE="1", STAYS="1")
    cp = sh(run_torgate, ["--unsetenv", "GONE"], 'echo "${GONE-unset} ${STAYS-unset}"', env)
    assert cp.returncode == 0 and cp.stdout == "unset 1\n", describe(cp)


def test_setenv_expands(run_torgate, conf, user_tmp):
    env = dict(conf.env, HOME=user_tmp)
    cp = sh(run_torgate, ["--setenv", "WHERE=${HOME}/sub", "--setenv", "TILDE=~/t",
                          "--setenv", "ID=${UID}", "--setenv", "PLAIN=a b=c"],
            'echo "$WHERE|$TILDE|$ID|$PLAIN"', env)
    assert cp.stdout == "%s/sub|%s/t|%d|a b=c\n" % (user_tmp, user_tmp, tgutil.expected_ids()[0]), \
        describe(cp)
