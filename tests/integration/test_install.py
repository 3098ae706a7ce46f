"""`make install` / `make uninstall` into a DESTDIR: the binary and the
systemd unit template torgate-netns@.service (sidecar of an ip-netns
namespace), whose ExecStart names the installed binary and which systemd's
own checker accepts (`systemd-analyze verify`, with the binary it would
run, and its exposure score under `security --offline`); the shipped
profiles, the system's torgate.conf (kept across install and uninstall
once the administrator has changed it) and the AppArmor profile. Against
the installed Debian package (debian/tests), the same files in place, those
under /etc as conffiles."""

import os
import re
import shutil
import subprocess

import pytest

import tgutil

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
UNIT = "torgate-netns@.service"


def make(*args):
    return subprocess.run(["make", "-s", "-C", ROOT, *args], capture_output=True, text=True, timeout=300)


def test_install_and_uninstall(tmp_path):
    dest = str(tmp_path / "dest")
    cp = make("install", "DESTDIR=" + dest, "PREFIX=/usr")
    assert cp.returncode == 0, tgutil.describe(cp)
    binary = os.path.join(dest, "usr/bin/torgate")
    unit = os.path.join(dest, "usr/lib/systemd/system", UNIT)
    page = os.path.join(dest, "usr/share/man/man1/torgate.1")
    completion = os.path.join(dest, "usr/share/bash-completion/completions/torgate")
    for f in (page, completion):
        assert os.stat(f).st_mode & 0o777 == 0o644, f
    assert os.stat(binary).st_mode & 0o777 == 0o755
    assert os.stat(unit).st_mode & 0o777 == 0o644
    text = open(unit).read()
    assert re.search(r"^ExecStart=/usr/bin/torgate --name netns-%i --netns /run/netns/%i$", text, re.M), text
    assert "@BINDIR@" not in text
    out = subprocess.run([binary, "--version"], capture_output=True, text=True, timeout=10)
    assert out.returncode == 0 and out.stdout.startswith("torgate "), out
    # The page renders, without a warning from man or groff.
    r = subprocess.run(["man", "--warnings", "-l", page], capture_output=True, text=True, timeout=60,
                       env=dict(os.environ, MANWIDTH="80"))
    assert r.returncode == 0 and not r.stderr.strip(), tgutil.describe(r)
    text = re.sub(".\x08", "", r.stdout)            # no overstrike bold/underline
    assert "torgate - run a program with Tor as its only network" in text, text[:500]
    for section in ("SYNOPSIS", "OPTIONS", "CONTROL COMMANDS", "EXIT STATUS", "EXAMPLES"):
        assert section in text, section
    r = subprocess.run(["bash", "-n", completion], capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, tgutil.describe(r)
    profiles, conf, apparmor = check_etc(dest)
    # A second install keeps the administrator's torgate.conf.
    with open(conf, "a") as f:
        f.write("isolate = host\n")
    changed = open(conf).read()
    cp = make("install", "DESTDIR=" + dest, "PREFIX=/usr")
    assert cp.returncode == 0, tgutil.describe(cp)
    assert open(conf).read() == changed
    cp = make("uninstall", "DESTDIR=" + dest, "PREFIX=/usr")
    assert cp.returncode == 0, tgutil.describe(cp)
    for f in (binary, unit, page, completion, apparmor) + profiles:
        assert not os.path.exists(f), f
    assert open(conf).read() == changed
    # An unchanged torgate.conf goes with the rest.
    fresh = str(tmp_path / "fresh")
    for target in ("install", "uninstall"):
        cp = make(target, "DESTDIR=" + fresh, "PREFIX=/usr")
        assert cp.returncode == 0, tgutil.describe(cp)
    assert not os.path.exists(os.path.join(fresh, "etc/torgate")), os.listdir(os.path.join(fresh, "etc"))
    assert not os.path.exists(os.path.join(fresh, "etc/apparmor.d/torgate"))


def check_etc(dest, with_apparmor=True):
    """What make install put under DESTDIR/etc: the shipped profiles (and
    their own files, firefox.user.js) and
    torgate.conf as they are in the tree, and the AppArmor profile for the
    installed binary; all 0644."""
    shipped = sorted(f for f in os.listdir(os.path.join(ROOT, "profiles"))
                     if f.endswith(".conf") or f.endswith(".user.js"))
    assert shipped, "no profiles/*.conf in the tree"
    pdir = os.path.join(dest, "etc/torgate/profiles")
    assert sorted(os.listdir(pdir)) == shipped
    profiles = tuple(os.path.join(pdir, f) for f in shipped)
    conf = os.path.join(dest, "etc/torgate/torgate.conf")
    apparmor = os.path.join(dest, "etc/apparmor.d/torgate")
    for f, src in list(zip(profiles, ("profiles/" + f for f in shipped))) + [(conf, "dist/torgate.conf")]:
        assert os.stat(f).st_mode & 0o777 == 0o644, f
        assert open(f).read() == open(os.path.join(ROOT, src)).read(), f
    if not with_apparmor:
        assert not os.path.exists(apparmor), apparmor
        return profiles, conf, apparmor
    assert os.stat(apparmor).st_mode & 0o777 == 0o644
    text = open(apparmor).read()
    assert "profile torgate /usr/bin/torgate" in text and "userns," in text, text
    assert "@BINDIR@" not in text
    return profiles, conf, apparmor


def _installed_package():
    """Whether the torgate under test is the installed Debian package's
    (debian/tests runs the suite with TORGATE=/usr/bin/torgate)."""
    if tgutil.torgate_path() != "/usr/bin/torgate" or shutil.which("dpkg-query") is None:
        return False
    r = subprocess.run(["dpkg-query", "-W", "-f=${db:Status-Status}", "torgate"],
                       capture_output=True, text=True, timeout=30)
    return r.returncode == 0 and r.stdout == "installed"


@pytest.mark.skipif(not _installed_package(),
                    reason="checks the installed Debian package (TORGATE=/usr/bin/torgate, debian/tests)")
def test_installed_package():
    """The .deb installs what make install does, everything under /etc as
    a conffile."""
    listed = subprocess.run(["dpkg-query", "-L", "torgate"], capture_output=True, text=True,
                            timeout=30).stdout.split("\n")
    # The AppArmor profile only where the package was built for AppArmor 4.
    profiles, conf, apparmor = check_etc("/", "/etc/apparmor.d/torgate" in listed)
    units = [f for f in listed if f.endswith("/systemd/system/" + UNIT)]
    assert len(units) == 1, listed
    text = open(units[0]).read()
    assert re.search(r"^ExecStart=/usr/bin/torgate --name netns-%i --netns /run/netns/%i$", text, re.M), text
    for f in ("/usr/bin/torgate", "/usr/share/man/man1/torgate.1.gz",
              "/usr/share/bash-completion/completions/torgate"):
        assert f in listed, f
    out = subprocess.run(["dpkg-query", "-W", "-f=${Conffiles}", "torgate"], capture_output=True,
                         text=True, timeout=30).stdout
    conffiles = {line.split()[0] for line in out.splitlines() if line.strip()}
    shipped = {apparmor} if apparmor in listed else set()
    assert conffiles == {conf} | shipped | set(profiles), out


def test_install_without_the_apparmor_profile(tmp_path):
    """APPARMOR=no (what a package built for AppArmor 3 asks): everything
    but the profile, which that parser, and apparmor.service at boot, would
    fail on."""
    dest = str(tmp_path / "root")
    cp = make("install", "DESTDIR=" + dest, "PREFIX=/usr", "APPARMOR=no")
    assert cp.returncode == 0, tgutil.describe(cp)
    assert "no AppArmor profile: it needs AppArmor 4" in cp.stdout, tgutil.describe(cp)
    check_etc(dest, with_apparmor=False)
    assert os.path.exists(os.path.join(dest, "usr/bin/torgate"))


def test_page_and_completion_know_every_option():
    """Every long option of --help is in the man page and the completion."""
    out = subprocess.run([tgutil.torgate_path(), "--help"], capture_output=True, text=True, timeout=10).stdout
    opts = set(re.findall(r"(--[a-z][a-z-]+)", out))
    assert len(opts) > 15, out
    page = open(os.path.join(ROOT, "docs/torgate.1")).read().replace("\\-", "-")
    completion = open(os.path.join(ROOT, "dist/bash-completion/torgate")).read()
    for o in sorted(opts):
        assert o in page, "%s is not in docs/torgate.1" % o
        assert o in completion or o in ("--close-streams", "--json"), \
            "%s is not in dist/bash-completion/torgate" % o


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="no systemd-analyze")
def test_unit_verifies(tmp_path):
    # The unit as installed, pointing at this build's binary so that
    # verify can check ExecStart too.
    src = open(os.path.join(ROOT, "dist/systemd", UNIT + ".in")).read()
    unit = tmp_path / UNIT
    unit.write_text(src.replace("@BINDIR@", os.path.dirname(tgutil.torgate_path())))
    inst = str(tmp_path / "torgate-netns@test.service")
    os.symlink(str(unit), inst)
    cp = subprocess.run(["systemd-analyze", "verify", inst], capture_output=True, text=True, timeout=60)
    assert cp.returncode == 0 and "torgate-netns" not in cp.stderr, tgutil.describe(cp)
    cp = subprocess.run(["systemd-analyze", "security", "--offline=yes", inst], capture_output=True,
                        text=True, timeout=60)
    m = re.search(r"Overall exposure level for \S+: ([\d.]+)", cp.stdout)
    assert m and float(m.group(1)) <= 5.0, tgutil.describe(cp)
