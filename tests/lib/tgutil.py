"""Helpers the integration, leak and e2e suites share: where torgate and the
clients are, how to run torgate (as TORGATE_TEST_USER when set), the test
servers' processes, and waiting on files with a deadline."""

import json
import os
import pwd
import select
import signal
import socket
import subprocess
import threading
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
CLIENTS = os.path.join(HERE, "clients")
SERVERS = os.path.join(HERE, "servers.py")
DNSSERVER = os.path.join(HERE, "dnsserver.py")
# Where client(NAME) looks: the clients every suite may run, then those a
# suite keeps for itself (its conftest calls add_clients).
_client_dirs = [CLIENTS]
# The interpreter the clients run with inside torgate (an absolute path: the
# sandbox gets the caller's PATH, but nothing should depend on it).
PY = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else sys.executable

# Python that tries ioctl(TIOCSTI) on /dev/null and prints the errno name
# ("allowed" if it worked): ENOTTY without torgate's filter, EPERM with it.
TIOCSTI_PROBE = ("import errno, fcntl, os, termios\n"
                 "fd = os.open('/dev/null', os.O_RDONLY)\n"
                 "try:\n"
                 "    fcntl.ioctl(fd, termios.TIOCSTI, b'x')\n"
                 "    print('allowed')\n"
                 "except OSError as e:\n"
                 "    print(errno.errorcode[e.errno])\n")

# The tests' scratch files (fake homes, config trees, programs to run
# inside torgate): not under /tmp, /var/tmp or /dev/shm, which the sandbox
# covers with its own (sandbox_ipc.c), so that the command sees them. Mode
# 1777, like /tmp, for the unprivileged suite's user.
SCRATCH = "/var/lib/torgate-tests"
os.makedirs(SCRATCH, exist_ok=True)
os.chmod(SCRATCH, 0o1777)
tempfile.tempdir = SCRATCH

PROXY_VARS = ("http_proxy", "https_proxy", "all_proxy", "no_proxy", "ftp_proxy")


def torgate_path():
    return os.environ.get("TORGATE") or os.path.join(REPO, "torgate")


def checked_torgate_path():
    """torgate_path(), failing the test run at once if it is not built."""
    import pytest
    path = torgate_path()
    if not (os.path.isfile(path) and os.access(path, os.X_OK)):
        pytest.fail("torgate binary %s does not exist or is not executable: run make "
                    "(or set TORGATE)" % path, pytrace=False)
    return path


class RunAsUser:
    def __init__(self, spec):
        try:
            pw = pwd.getpwuid(int(spec)) if spec.isdigit() else pwd.getpwnam(spec)
        except KeyError:
            raise RuntimeError("TORGATE_TEST_USER=%r: no such user" % spec)
        self.name, self.uid, self.gid = pw.pw_name, pw.pw_uid, pw.pw_gid
        self.home = pw.pw_dir


def _world_searchable(d):
    """Whether every component of directory d is searchable by anyone."""
    d = os.path.abspath(d)
    while True:
        try:
            st = os.stat(d)
        except OSError:
            return False
        if not (st.st_mode & 0o001):
            return False
        if d == "/":
            return True
        d = os.path.dirname(d)


def give_to_test_user(path):
    """Gives path (recursively) to TORGATE_TEST_USER, when there is one."""
    u = get_test_user()
    if not u:
        return
    for d, dirs, files in os.walk(path):
        for p in [d] + [os.path.join(d, x) for x in dirs + files]:
            os.chown(p, u.uid, u.gid)


def get_test_user():
    """The RunAsUser torgate runs as, or None (torgate runs as the caller)."""
    spec = os.environ.get("TORGATE_TEST_USER")
    return RunAsUser(spec) if spec else None


def expected_ids():
    """(uid, gid) torgate is started with."""
    u = get_test_user()
    return (u.uid, u.gid) if u else (os.getuid(), os.getgid())


def user_prefix():
    u = get_test_user()
    if not u:
        return []
    return ["setpriv", "--reuid=%d" % u.uid, "--regid=%d" % u.gid, "--clear-groups", "--"]


def add_clients(directory):
    """Lets client() find the clients in directory too."""
    if directory not in _client_dirs:
        _client_dirs.append(directory)


def client(name):
    for d in _client_dirs:
        path = os.path.join(d, name)
        if os.path.exists(path):
            return path
    raise FileNotFoundError("no client %s in %s" % (name, ", ".join(_client_dirs)))


def py_client(name, *args):
    """argv running clients/NAME with the system python3."""
    return [PY, client(name)] + [str(a) for a in args]


def torgate_env(extra=None):
    env = {k: v for k, v in os.environ.items()
           if k.lower() not in PROXY_VARS and k != "TORGATE_SOCKS"}
    # The clients must not write __pycache__ into the tree.
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    u = get_test_user()
    if u:
        # The environment of that user: no PATH entries or HOME it cannot
        # reach (root's ~/.pyenv in PATH makes execvp fail with EACCES, not
        # ENOENT, for a command that does not exist).
        env["PATH"] = ":".join(d for d in env.get("PATH", "").split(":")
                               if d and _world_searchable(d)) or "/usr/bin:/bin"
        env["HOME"] = u.home if _world_searchable(u.home) else "/"
        env["USER"] = env["LOGNAME"] = u.name
    env.update(extra or {})
    # None: the variable is left out (e.g. a run without XDG_RUNTIME_DIR).
    return {k: v for k, v in env.items() if v is not None}


def torgate_argv(args, socks):
    argv = user_prefix() + [torgate_path()]
    if socks is not None:
        argv += ["--socks", socks]
    return argv + [str(a) for a in args]


def kill_group(proc, sig=signal.SIGKILL):
    """Kills proc, its process group (it was started in a new session) and
    every descendant (the sandbox may have left the group)."""
    kids = descendants(proc.pid) if proc.poll() is None else []
    targets = [lambda: os.killpg(proc.pid, sig), lambda: proc.send_signal(sig)]
    targets += [lambda k=k: os.kill(k, sig) for k in kids]
    for target in targets:
        try:
            target()
        except (ProcessLookupError, PermissionError):
            pass


def popen_torgate(args, socks, env=None, stdin=subprocess.DEVNULL,
                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, **kw):
    """Starts torgate ARGS (e.g. ["--", "sh", "-c", "..."]) in its own session.
    socks=None leaves out --socks."""
    return subprocess.Popen(torgate_argv(args, socks), env=torgate_env(env), stdin=stdin,
                            stdout=stdout, stderr=stderr, start_new_session=True, **kw)


def tracked_popen(default_socks):
    """The body of a popen fixture: yields start(args, socks=DEFAULT, **kw)
    (text mode unless told otherwise) and kills whatever still runs after."""
    procs = []

    def start(args, socks=default_socks, **kw):
        kw.setdefault("text", True)
        p = popen_torgate(args, socks, **kw)
        procs.append(p)
        return p

    yield start
    for p in procs:
        if p.poll() is None:
            kill_group(p)
            try:
                p.communicate(timeout=30)
            except Exception:  # noqa: BLE001
                pass


class Hung(AssertionError):
    pass


def communicate(proc, timeout, input=None):
    """proc.communicate with a hang guard: on timeout the process group is
    killed and Hung is raised with what the process printed."""
    try:
        out, err = proc.communicate(input=input, timeout=timeout)
    except subprocess.TimeoutExpired:
        kill_group(proc)
        out, err = proc.communicate()
        raise Hung("%r still running after %ss (killed)\nstdout: %s\nstderr: %s"
                   % (proc.args, timeout, shorten(out), shorten(err)))
    return out, err


def run_torgate(args, socks, timeout=60, env=None, text=True, input=None, **kw):
    """Runs torgate ARGS to completion; returns a CompletedProcess. A run
    longer than timeout seconds is killed and fails the test (Hung)."""
    proc = popen_torgate(args, socks, env=env, text=text,
                         stdin=subprocess.PIPE if input is not None else subprocess.DEVNULL,
                         **kw)
    out, err = communicate(proc, timeout, input=input)
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


def shorten(s, n=3000):
    if s is None:
        return ""
    if isinstance(s, bytes):
        s = s.decode("latin-1")
    return s if len(s) <= n else s[:n // 2] + "\n...[%d chars]...\n" % (len(s) - n) + s[-n // 2:]


def describe(cp):
    return "exit status %r\nstdout: %s\nstderr: %s" % (cp.returncode, shorten(cp.stdout),
                                                     shorten(cp.stderr))


def json_result(cp):
    """The JSON line a client printed last on stdout."""
    lines = [ln for ln in (cp.stdout or "").splitlines() if ln.strip()]
    assert cp.returncode == 0 and lines, "client failed: " + describe(cp)
    try:
        return json.loads(lines[-1])
    except ValueError:
        raise AssertionError("client printed no JSON: " + describe(cp))


def wait_for_path(path, timeout, proc=None, what=None):
    """Waits until path exists; fails early if proc has exited."""
    deadline = time.monotonic() + timeout
    while not os.path.exists(path):
        if proc is not None and proc.poll() is not None:
            out, err = proc.communicate()
            raise AssertionError("%s exited (status %r) before %s appeared\nstdout: %s\n"
                                 "stderr: %s" % (proc.args, proc.returncode, what or path,
                                                 shorten(out), shorten(err)))
        if time.monotonic() > deadline:
            raise AssertionError("%s did not appear within %ss" % (what or path, timeout))
        time.sleep(0.01)


def wait_until(pred, timeout, what):
    deadline = time.monotonic() + timeout
    while True:
        v = pred()
        if v:
            return v
        if time.monotonic() > deadline:
            raise AssertionError("timed out after %ss waiting for %s" % (timeout, what))
        time.sleep(0.02)


def children_of(pid):
    kids = []
    try:
        for tid in os.listdir("/proc/%d/task" % pid):
            with open("/proc/%d/task/%s/children" % (pid, tid)) as f:
                kids += [int(x) for x in f.read().split()]
    except (FileNotFoundError, ProcessLookupError):
        pass
    return kids


def descendants(pid):
    out, todo = [], [pid]
    while todo:
        for k in children_of(todo.pop()):
            out.append(k)
            todo.append(k)
    return out


def netns_of(pid):
    return os.readlink("/proc/%d/ns/net" % pid)


def sandbox_pid(torgate_pid):
    """A process of the sandbox: the first descendant of torgate that is in
    another network namespace than torgate itself."""
    mine = netns_of(torgate_pid)
    for d in descendants(torgate_pid):
        try:
            if netns_of(d) != mine:
                return d
        except (FileNotFoundError, PermissionError):
            continue
    return None


def process_cmdlines():
    res = {}
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open("/proc/%s/cmdline" % d, "rb") as f:
                    res[int(d)] = f.read().split(b"\0")
            except OSError:
                pass
    return res


# ---------------------------------------------------------------- test servers

class ServerProc:
    """One servers.py process group, started on a free port; or, with argv,
    any server program that prints "ready PORT" when it is (dnsserver.py)."""

    def __init__(self, kind, args, logdir, workers=4, timeout=60, argv=None):
        self.kind = kind
        self.errlog = os.path.join(logdir, "%s-%d.stderr" % (kind, id(self)))
        if argv is None:
            argv = [sys.executable, "-B", SERVERS, kind, "--port", "0",
                    "--workers", str(workers)] + [str(a) for a in args]
        with open(self.errlog, "wb") as err:
            self.proc = subprocess.Popen(
                argv, stdout=subprocess.PIPE, stderr=err, stdin=subprocess.DEVNULL,
                start_new_session=True)
        self.port = self._wait_ready(timeout)

    def _wait_ready(self, timeout):
        deadline = time.monotonic() + timeout
        buf = b""
        fd = self.proc.stdout.fileno()
        while b"\n" not in buf:
            left = deadline - time.monotonic()
            if left <= 0:
                self.stop()
                raise RuntimeError("%s server not ready within %ss: %s"
                                   % (self.kind, timeout, self.stderr_text()))
            r, _, _ = select.select([fd], [], [], left)
            if r:
                b = os.read(fd, 4096)
                if not b:
                    self.stop()
                    raise RuntimeError("%s server exited: %s" % (self.kind, self.stderr_text()))
                buf += b
        word, port = buf.split(b"\n")[0].split()
        assert word == b"ready"
        return int(port)

    def stderr_text(self):
        try:
            with open(self.errlog, "rb") as f:
                return f.read().decode("latin-1")
        except OSError:
            return ""

    def alive(self):
        return self.proc.poll() is None

    def stop(self, sig=signal.SIGTERM):
        """SIGTERM: the server kills and reaps its workers. SIGKILL: the
        whole group dies at once, like a crash."""
        if sig == signal.SIGTERM:
            try:
                self.proc.send_signal(sig)
                self.proc.wait(timeout=10)
            except (subprocess.TimeoutExpired, ProcessLookupError):
                pass
        kill_group(self.proc, signal.SIGKILL)
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            pass
        # The workers are in the same group; wait for them to be gone so
        # the port is really closed when this returns.
        wait_until(lambda: not _group_alive(self.proc.pid), 30,
                   "%s server's workers to exit" % self.kind)
        if self.proc.stdout:
            self.proc.stdout.close()


def _group_alive(pgid):
    """Whether a process of group pgid still runs (zombies do not count)."""
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % d) as f:
                st = f.read()
        except OSError:
            continue
        fields = st[st.rindex(")") + 2:].split()
        if int(fields[2]) == pgid and fields[0] not in ("Z", "X"):
            return True
    return False


def dns_server(logdir, log, host="127.0.0.1", port=0, a=None, aaaa=None, timeout=30):
    """Starts dnsserver.py (UDP+TCP) on host:port; returns its ServerProc.
    Raises RuntimeError if it cannot bind."""
    argv = [sys.executable, "-B", DNSSERVER, "--host", host, "--port", str(port), "--log", log]
    if a:
        argv += ["--a", a]
    if aaaa:
        argv += ["--aaaa", aaaa]
    return ServerProc("dns", [], logdir, timeout=timeout, argv=argv)


def read_json_lines(path):
    """The whole lines of a JSON-lines log (none if it does not exist)."""
    if not os.path.exists(path):
        return []
    with open(path, "rb") as f:
        data = f.read()
    data = data[:data.rfind(b"\n") + 1]
    return [json.loads(ln) for ln in data.decode().splitlines() if ln.strip()]


class SocksLog:
    """The SOCKS server's JSON log; mark() remembers the current end, new()
    returns the entries written since."""

    def __init__(self, path):
        self.path = path
        self.offset = 0

    def mark(self):
        self.offset = os.path.getsize(self.path) if os.path.exists(self.path) else 0

    def _read(self, offset):
        if not os.path.exists(self.path):
            return []
        with open(self.path, "rb") as f:
            f.seek(offset)
            data = f.read()
        # Only whole lines: a line being written has no newline yet.
        data = data[:data.rfind(b"\n") + 1]
        return [json.loads(ln) for ln in data.decode().splitlines() if ln.strip()]

    def all(self):
        return self._read(0)

    def new(self):
        return self._read(self.offset)


class LoopbackServer:
    """A TCP listener on 127.0.0.1 (an ephemeral port) for scripted peers in
    tests: each connection is handed to self.handle(conn, addr) in a thread
    of its own. .port, .addr ("127.0.0.1:PORT"); close() stops it."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.addr = "127.0.0.1:%d" % self.port
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while True:
            try:
                c, a = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._one, args=(c, a), daemon=True).start()

    def _one(self, c, a):
        with c:
            try:
                self.handle(c, a)
            except OSError:
                pass

    def handle(self, conn, addr):
        raise NotImplementedError

    def close(self):
        self.sock.close()


class Canary(LoopbackServer):
    """A TCP listener on host loopback that counts who connects (.hits):
    what a program outside asked by the command would reach around Tor."""

    def __init__(self):
        self.hits = 0
        super().__init__()

    def handle(self, conn, addr):
        self.hits += 1


class FakeControl(LoopbackServer):
    """A control port that is not quite Tor's: with a cookie, it asks for
    that file as Tor does (and refuses whatever is sent); without, no
    authentication, and GETINFO refused."""

    def __init__(self, cookie=None):
        self.cookie = cookie
        super().__init__()

    def handle(self, c, _):
        c.settimeout(10)
        f = c.makefile("rb")
        while True:
            line = f.readline()
            if not line:
                return
            if line.startswith(b"PROTOCOLINFO") and self.cookie:
                c.sendall(b'250-PROTOCOLINFO 1\r\n250-AUTH METHODS=COOKIE,SAFECOOKIE COOKIEFILE="%s"\r\n'
                          b'250-VERSION Tor="0.4.9.11"\r\n250 OK\r\n' % self.cookie.encode())
            elif line.startswith(b"PROTOCOLINFO"):
                c.sendall(b'250-PROTOCOLINFO 1\r\n250-AUTH METHODS=NULL\r\n250 OK\r\n')
            elif line.startswith(b"AUTHENTICATE") and not self.cookie:
                c.sendall(b"250 OK\r\n")
            elif line.startswith(b"GETINFO"):
                c.sendall(b'552 Unrecognized key "circuit-status"\r\n')
            else:
                c.sendall(b"515 Authentication failed\r\n")


def closed_port():
    """HOST:PORT on 127.0.0.1 where nothing listens (bound a moment, then
    let go)."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return "127.0.0.1:%d" % port
