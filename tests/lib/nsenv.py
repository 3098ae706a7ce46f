"""Wrapper worlds for the integration suite's DNS tests and the leak suite's
resolver socket test: a private mount namespace, prepared by root, in which
the host looks different (its own /etc/resolv.conf and nsswitch.conf, fake
resolved and nscd sockets under /run, glibc's nss-resolve module) while the
real host stays untouched. torgate runs inside such a wrapper (as
TORGATE_TEST_USER when set, via setpriv).

  Wrapper(workdir)        builds a spec for nswrap.py and runs it
  workdir()               a directory for one (a context manager that checks
                          the host is as it was)
  host_snapshot()         what the tests promise not to change on the host
  nss_resolve_dir()       libnss_resolve.so.2 from Debian's libnss-resolve
                          package, downloaded once into build/test-cache
  start_canary(...)       a DNS server on 127.x.y.z:53 that must stay silent
"""

import contextlib
import glob
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile

import pytest

import tgutil

HERE = os.path.dirname(os.path.abspath(__file__))
NSWRAP = os.path.join(HERE, "nswrap.py")
FAKESOCK = os.path.join(HERE, "fakesock.py")     # nswrap.py starts it from there too
CACHE = os.path.join(tgutil.REPO, "build", "test-cache")
LIBDIR = "/lib/x86_64-linux-gnu"
VARLINK = "/run/systemd/resolve/io.systemd.Resolve"
NSCD = "/run/nscd/socket"

# The host paths the wrapper tests must leave as they were.
HOST_PATHS = ["/etc/resolv.conf", "/etc/nsswitch.conf", "/etc/hosts", "/run/systemd/resolve",
              "/run/nscd", "/var/run/nscd", "/run/NetworkManager",
              os.path.join(LIBDIR, "libnss_resolve.so.2")]


# Where a leaked wrapper mount would show up in the host's mount table (not
# /run/netns: other tests add and remove network namespaces meanwhile).
MOUNT_AREAS = ("/etc", "/run/systemd", "/run/nscd", "/run/NetworkManager", "/usr", "/lib",
               "/var", "/tmp")


def require_root():
    if os.geteuid() != 0:
        pytest.skip("wrapper tests prepare mount namespaces as root")


def _state(path):
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return None
    r = {"mode": st.st_mode, "ino": st.st_ino, "size": st.st_size, "mtime": st.st_mtime_ns}
    if os.path.islink(path):
        r["target"] = os.readlink(path)
    elif os.path.isfile(path):
        with open(path, "rb") as f:
            r["content"] = f.read()
    return r


def host_snapshot():
    """The host paths' state, plus the mount points of this (the host's)
    mount namespace."""
    with open("/proc/self/mountinfo") as f:
        mounts = sorted(m for m in (ln.split()[4] for ln in f) if m.startswith(MOUNT_AREAS))
    return {"paths": {p: _state(p) for p in HOST_PATHS}, "mounts": mounts}


# ------------------------------------------------------------------ nss-resolve

def nss_resolve_dir():
    """A directory holding only libnss_resolve.so.2 (Debian's libnss-resolve,
    fetched with apt-get download, never installed: installing it would pull
    in systemd-resolved, which would take over the machine's resolv.conf).
    Cached in build/test-cache. Skips the test if it cannot be had."""
    final = os.path.join(CACHE, "nss-resolve", "lib")
    so = os.path.join(final, "libnss_resolve.so.2")
    if os.path.isfile(so):
        return final
    if os.geteuid() != 0:
        pytest.skip("fetching libnss-resolve needs root (apt-get download)")
    for tool in ("apt-get", "dpkg-deb"):
        if not shutil.which(tool):
            pytest.skip("cannot fetch libnss-resolve: %s is missing" % tool)
    os.makedirs(os.path.dirname(final), exist_ok=True)
    tmp = tempfile.mkdtemp(prefix="fetch-", dir=os.path.dirname(final))
    os.chmod(tmp, 0o755)  # apt's _apt user downloads into it
    try:
        dl = subprocess.run(["apt-get", "download", "-q", "libnss-resolve"], cwd=tmp,
                            capture_output=True, text=True, timeout=300)
        debs = glob.glob(os.path.join(tmp, "libnss-resolve_*.deb"))
        if dl.returncode != 0 or not debs:
            pytest.skip("apt-get download libnss-resolve failed (exit %d): %s"
                        % (dl.returncode, (dl.stderr or dl.stdout).strip()[-500:]))
        x = os.path.join(tmp, "x")
        subprocess.run(["dpkg-deb", "-x", debs[0], x], check=True, timeout=60)
        found = glob.glob(os.path.join(x, "**", "libnss_resolve.so.2"), recursive=True)
        if not found:
            pytest.skip("%s holds no libnss_resolve.so.2" % os.path.basename(debs[0]))
        lib = os.path.join(tmp, "lib")
        os.mkdir(lib, 0o755)
        shutil.copy(found[0], os.path.join(lib, "libnss_resolve.so.2"))
        os.chmod(os.path.join(lib, "libnss_resolve.so.2"), 0o644)
        try:
            os.rename(lib, final)
        except OSError:
            if not os.path.isfile(so):  # not another run's rename winning
                raise
        return final
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


# ------------------------------------------------------------------ canary

def start_canary(logdir, log):
    """A DNS server (UDP+TCP) on port 53 of 127.0.0.53, or of another
    127.53.x.y if that one is taken; returns (ServerProc, address)."""
    cands = ["127.0.0.53"] + ["127.53.%d.%d" % (random.randrange(256), random.randrange(1, 255))
                              for _ in range(5)]
    errors = []
    for host in cands:
        try:
            return tgutil.dns_server(logdir, log, host=host, port=53, a="203.0.113.66",
                                     aaaa="2001:db8::66"), host
        except RuntimeError as e:
            errors.append("%s: %s" % (host, str(e).strip()[-200:]))
    pytest.skip("no 127.x address with port 53 free for the canary DNS server: "
                + "; ".join(errors))


# ------------------------------------------------------------------ wrapper

@contextlib.contextmanager
def workdir():
    """A directory for a wrapper world; removed on leaving, and the host
    must then be as it was before."""
    require_root()
    d = tempfile.mkdtemp(prefix="torgate-it-wrap-")
    os.chmod(d, 0o755)
    before = host_snapshot()
    try:
        yield d
    finally:
        subprocess.run(["rm", "-rf", "--one-file-system", d], check=False)
    assert host_snapshot() == before, "the host changed"


class Wrapper:
    """A wrapper world. Set the fields, add steps, then run()."""

    def __init__(self, workdir):
        self.workdir = workdir
        self.spec = {"host_mntns": os.readlink("/proc/self/ns/mnt"), "workdir": workdir,
                     "etc": True, "run_tmpfs": True, "tmpfs": [], "files": {}, "watch": [],
                     "state_paths": ["/etc/resolv.conf"], "steps": []}
        # Never the host's name server (not an address the tests may use):
        # 127.0.0.1:53, where nothing listens, unless a test says otherwise.
        self.resolv_file("nameserver 127.0.0.1\noptions attempts:1 timeout:1\n")

    def resolv_file(self, content):
        self.spec["resolv"] = {"kind": "file", "content": content}

    def resolv_symlink(self, target):
        self.spec["resolv"] = {"kind": "symlink", "target": target}

    def resolv_missing(self):
        self.spec["resolv"] = {"kind": "missing"}

    def nss_resolve(self, upper):
        """glibc finds libnss_resolve.so.2 in LIBDIR (an overlay)."""
        self.spec["lib_overlay"] = {"upper": upper, "target": LIBDIR}

    def fake_sockets(self, log, varlink=True, nscd=True):
        fs = {"log": log}
        if varlink:
            self.spec["tmpfs"].append(os.path.dirname(VARLINK))
            fs["varlink"] = VARLINK
        if nscd:
            self.spec["tmpfs"].append(os.path.dirname(NSCD))
            fs["nscd"] = NSCD
        self.spec["fakesock"] = fs
        self.spec["watch"].append(log)

    def step(self, name, argv, timeout=60):
        self.spec["steps"].append({"name": name, "argv": [str(a) for a in argv],
                                   "timeout": timeout})

    def as_user(self, argv):
        """argv run as TORGATE_TEST_USER when set (as torgate is)."""
        return tgutil.user_prefix() + list(argv)

    def torgate(self, name, args, socks, timeout=60):
        """A step running torgate ARGS (with --socks SOCKS)."""
        self.step(name, tgutil.torgate_argv(args, socks), timeout)

    def run(self, timeout=300):
        """Runs the wrapper; returns {"before", "after", "steps": {name: r}}."""
        path = os.path.join(self.workdir, "wrapper-spec.json")
        with open(path, "w") as f:
            json.dump(self.spec, f)
        argv = ["unshare", "--mount", "--propagation", "private", "--",
                sys.executable, "-B", NSWRAP, path]
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, start_new_session=True,
                                env=tgutil.torgate_env())
        out, err = tgutil.communicate(proc, timeout)
        lines = [ln for ln in out.splitlines() if ln.strip()]
        assert proc.returncode == 0 and lines, \
            "the wrapper failed (exit %r)\nstdout: %s\nstderr: %s" % (
                proc.returncode, tgutil.shorten(out), tgutil.shorten(err))
        res = json.loads(lines[-1])
        res["steps"] = {s["name"]: s for s in res["steps"]}
        return res


def describe_step(r):
    return "exit status %r\nstdout: %s\nstderr: %s" % (
        r["rc"], tgutil.shorten(r["stdout"]), tgutil.shorten(r["stderr"]))
