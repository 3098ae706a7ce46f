"""The shipped profiles (profiles/*.conf): each program starts under torgate
with its profile, chosen by the program's name alone, from the user's
profiles directory ($XDG_CONFIG_HOME/torgate/profiles, here a copy of the
shipped ones); and what the profiles promise holds inside: the browsers
get a private, empty home that keeps ~/Downloads (Firefox also
MOZ_NO_REMOTE=1), the download tools and git lose the proxy variables (git
also GIT_PROXY_COMMAND). The command line still wins over a profile."""

import os
import re
import shutil
import tempfile

import pytest

import tgutil
from tgutil import describe

SHIPPED = os.path.join(tgutil.REPO, "profiles")
# name -> (argv, what it prints, on stdout unless said)
PROGRAMS = {
    "firefox": (["firefox", "--version"], r"^Mozilla Firefox \d+\.\d+"),
    "firefox-esr": (["firefox-esr", "--version"], r"^Mozilla Firefox \d+\.\d+"),
    "chromium": (["chromium", "--version"], r"^Chromium \d+\.\d+"),
    "curl": (["curl", "--version"], r"^curl \d+\.\d+"),
    "wget": (["wget", "--version"], r"^GNU Wget \d+\.\d+"),
    "git": (["git", "--version"], r"^git version \d+\.\d+"),
    "ssh": (["ssh", "-V"], r"^OpenSSH_\d+\.\d+"),        # on stderr
}
PROXY = ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "all_proxy", "ALL_PROXY",
         "no_proxy", "NO_PROXY")
BROWSERS = ("firefox", "firefox-esr", "chromium")
SLOW = 180          # a browser under the sanitizer build


def need(prog):
    if shutil.which(prog) is None:
        pytest.skip("%s is not installed (scripts/install-deps --tests installs it)" % prog)


class Setup:
    pass


@pytest.fixture
def setup():
    """XDG_CONFIG_HOME with torgate/profiles/ holding the shipped profiles
    (0644), and a home of the user torgate runs as, with a marker file."""
    s = Setup()
    s.root = tempfile.mkdtemp(prefix="torgate-profiles-")
    os.chmod(s.root, 0o755)
    s.xdg = os.path.join(s.root, "config")
    s.profiles = os.path.join(s.xdg, "torgate", "profiles")
    os.makedirs(s.profiles, mode=0o755)
    for d in (s.xdg, os.path.dirname(s.profiles), s.profiles):
        os.chmod(d, 0o755)
    for f in os.listdir(SHIPPED):
        if f.endswith(".conf") or f.endswith(".user.js"):     # a profile and its own files
            shutil.copyfile(os.path.join(SHIPPED, f), os.path.join(s.profiles, f))
            os.chmod(os.path.join(s.profiles, f), 0o644)
    s.home = os.path.join(s.root, "home")
    os.mkdir(s.home, 0o700)
    with open(os.path.join(s.home, "marker"), "w") as f:
        f.write("everyday\n")
    tgutil.give_to_test_user(s.home)
    s.env = {"XDG_CONFIG_HOME": s.xdg, "HOME": s.home}
    yield s
    shutil.rmtree(s.root, ignore_errors=True)


def profile_lines(cp):
    return re.findall(r"^torgate: info: profile (\S+)$", cp.stderr, re.M)


def test_every_shipped_profile_is_tested():
    names = sorted(f[:-5] for f in os.listdir(SHIPPED) if f.endswith(".conf"))
    assert names == sorted(PROGRAMS)


@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_program_starts_with_its_profile(run_torgate, setup, name):
    """torgate -v -- PROG --version: the profile named after PROG, from the
    user's directory, is applied, and the program runs."""
    argv, text = PROGRAMS[name]
    need(argv[0])
    cp = run_torgate(["-v", "--"] + argv, env=setup.env, timeout=SLOW)
    assert cp.returncode == 0, describe(cp)
    out = cp.stderr if name == "ssh" else cp.stdout
    assert re.search(text, out, re.M), describe(cp)
    assert profile_lines(cp) == [os.path.join(setup.profiles, name + ".conf")], describe(cp)


def test_profile_by_path_of_program(run_torgate, setup):
    """The command's base name chooses, however the command is given."""
    need("curl")
    cp = run_torgate(["-v", "--", shutil.which("curl"), "--version"], env=setup.env)
    assert cp.returncode == 0 and cp.stdout.startswith("curl "), describe(cp)
    assert profile_lines(cp) == [os.path.join(setup.profiles, "curl.conf")], describe(cp)


def test_profile_none(run_torgate, setup):
    """--profile none: no profile, the real home."""
    need("firefox")
    cp = run_torgate(["-v", "--profile", "none", "--", "firefox", "--version"], env=setup.env,
                     timeout=SLOW)
    assert cp.returncode == 0 and cp.stdout.startswith("Mozilla Firefox "), describe(cp)
    assert not re.search(r"^torgate: info: profile", cp.stderr, re.M), describe(cp)
    assert "private, empty home" not in cp.stderr, describe(cp)


HOME_PROBE = ('ls -A "$HOME"; test -e "$HOME/marker" && echo MARKER-VISIBLE; '
              'cat "$HOME/Downloads/got.txt" 2>/dev/null; echo saved > "$HOME/Downloads/saved.txt"; '
              'echo junk > "$HOME/junk"; echo "MOZ=${MOZ_NO_REMOTE-unset}"')


@pytest.mark.parametrize("name", BROWSERS)
def test_browser_private_home(run_torgate, setup, name):
    """A browser's profile: an empty home (nothing of the everyday one),
    forgotten at exit, but ~/Downloads is the real one; Firefox's sets
    MOZ_NO_REMOTE=1 (firefox-esr includes firefox's)."""
    moz = "1" if name.startswith("firefox") else "unset"
    cp = run_torgate(["--profile", name, "--", "sh", "-c", HOME_PROBE], env=setup.env)
    assert cp.returncode == 0, describe(cp)
    # No ~/Downloads on the host: nothing is bound, the home stays empty.
    assert cp.stdout == "MOZ=%s\n" % moz, describe(cp)
    downloads = os.path.join(setup.home, "Downloads")
    os.mkdir(downloads, 0o700)
    with open(os.path.join(downloads, "got.txt"), "w") as f:
        f.write("downloaded before\n")
    tgutil.give_to_test_user(setup.home)
    cp = run_torgate(["--profile", name, "--", "sh", "-c", HOME_PROBE], env=setup.env)
    assert cp.returncode == 0, describe(cp)
    assert cp.stdout == "Downloads\ndownloaded before\nMOZ=%s\n" % moz, describe(cp)
    with open(os.path.join(downloads, "saved.txt")) as f:
        assert f.read() == "saved\n"
    assert sorted(os.listdir(setup.home)) == ["Downloads", "marker"]


def test_cli_private_home_no_beats_profile(run_torgate, setup):
    cp = run_torgate(["--profile", "firefox", "--private-home=no", "--", "sh", "-c",
                      'test -e "$HOME/marker" && echo MARKER-VISIBLE; echo "MOZ=$MOZ_NO_REMOTE"'],
                     env=setup.env)
    assert cp.returncode == 0 and cp.stdout == "MARKER-VISIBLE\nMOZ=1\n", describe(cp)


ENV_PROBE = 'env | cut -d= -f1 | sort'


@pytest.mark.parametrize("name", ["curl", "wget", "git"] + list(BROWSERS))
def test_proxy_variables_dropped(run_torgate, setup, name):
    """Proxy variables (pointing at proxies unreachable in the sandbox) are
    gone with the profile, and there without one; git's profile also drops
    GIT_PROXY_COMMAND."""
    env = dict(setup.env, GIT_PROXY_COMMAND="/usr/local/bin/corkscrew-proxy")
    env.update({v: "http://proxy.example:3128" for v in PROXY})
    cp = run_torgate(["--profile", "none", "--", "sh", "-c", ENV_PROBE], env=env)
    names = set(cp.stdout.split())
    assert cp.returncode == 0 and names >= set(PROXY) | {"GIT_PROXY_COMMAND"}, describe(cp)
    cp = run_torgate(["--profile", name, "--", "sh", "-c", ENV_PROBE], env=env)
    names = set(cp.stdout.split())
    assert cp.returncode == 0 and not names & set(PROXY), describe(cp)
    assert ("GIT_PROXY_COMMAND" in names) == (name != "git"), describe(cp)
    assert "PATH" in names and "HOME" in names, describe(cp)


def test_cli_setenv_beats_profile(run_torgate, setup):
    env = dict(setup.env, http_proxy="http://proxy.example:3128")
    cp = run_torgate(["--profile", "curl", "--setenv", "http_proxy=http://cli.example:1", "--",
                      "sh", "-c", 'echo "$http_proxy"'], env=env)
    assert cp.returncode == 0 and cp.stdout == "http://cli.example:1\n", describe(cp)


def test_profile_includes_one_of_the_same_name(run_torgate, setup):
    """A user's firefox.conf may build on another of the same name further
    down the search path (here one given by path, whose siblings come
    first): include = firefox does not read the including file again."""
    own_dir = os.path.join(setup.root, "mine")
    os.mkdir(own_dir, 0o755)
    mine = os.path.join(own_dir, "firefox.conf")
    with open(mine, "w") as f:
        f.write("include = firefox\nsetenv = MINE=1\n")
    os.chmod(mine, 0o644)
    cp = run_torgate(["-v", "--profile", mine, "--", "sh", "-c",
                      'ls -A "$HOME"; echo "MOZ=$MOZ_NO_REMOTE MINE=$MINE"'], env=setup.env)
    assert cp.returncode == 0 and cp.stdout == "MOZ=1 MINE=1\n", describe(cp)
    assert profile_lines(cp) == [mine], describe(cp)


@pytest.mark.parametrize("args", [[], ["--private-home=no"]], ids=["private-home", "own-home"])
def test_firefox_profile_is_tor_ready(run_torgate, setup, args):
    """Firefox's profiles point it at a fresh Firefox profile in the
    sandbox's own /tmp holding torgate's user.js, read-only: .onion
    allowed, DNS over HTTPS off (tests/e2e/test_browser.py shows Firefox
    rendering an onion page with it). With --private-home=no too, and
    nothing of it is left on the host."""
    probe = ('echo "$XRE_PROFILE_PATH"; grep -c "^user_pref" "$XRE_PROFILE_PATH/user.js"; '
             'grep -E "blockDotOnion|trr.mode" "$XRE_PROFILE_PATH/user.js"; '
             'echo x >> "$XRE_PROFILE_PATH/user.js" 2>/dev/null || echo read-only; '
             'touch "$XRE_PROFILE_PATH/prefs.js" && echo writable')
    cp = run_torgate(["--profile", "firefox-esr"] + args + ["--", "sh", "-c", probe], env=setup.env)
    assert cp.returncode == 0, describe(cp)
    lines = cp.stdout.splitlines()
    assert lines[0] == "/tmp/torgate-firefox" and int(lines[1]) > 20, describe(cp)
    assert lines[2:] == ['user_pref("network.dns.blockDotOnion", false);', 'user_pref("network.trr.mode", 5);',
                         "read-only", "writable"], describe(cp)
    assert not os.path.exists("/tmp/torgate-firefox")
