#!/usr/bin/python3
"""The wrapper world of the DNS tests: runs as root inside a private mount
namespace (nsenv.py starts it as `unshare --mount --propagation private --
python3 nswrap.py SPEC.json`), prepares a host-like view that differs from
the real host only inside that namespace, runs the test's commands in it and
prints one JSON line with what they printed.

SPEC (JSON):
  host_mntns      the caller's mount namespace: refuse to run in it
  workdir         a directory of the test's (the /etc copy is mounted there)
  etc             true: copy /etc into a tmpfs and bind the copy over /etc
  nsswitch_hosts  the "hosts:" line of the copy's nsswitch.conf
  resolv          the copy's /etc/resolv.conf: {"kind": "file", "content"},
                  {"kind": "symlink", "target"} or {"kind": "missing"}
  run_tmpfs       true: an empty tmpfs over /run
  tmpfs           more tmpfs mounts (created under /run first)
  files           {path: content} written after the mounts
  lib_overlay     {"upper": DIR, "target": LIBDIR}: LIBDIR becomes a
                  read-only overlay of DIR over LIBDIR (adds DIR's files)
  fakesock        arguments for fakesock.py {"log", "varlink", "nscd"}
  watch           log files: each step reports the lines added meanwhile
  state_paths     paths whose state (type, link target, content) is
                  reported before the first and after the last step
  steps           [{"name", "argv", "timeout"}], run one after the other

Only paths under what this script mounted (/etc's copy, /run's tmpfs, the
tmpfs list) are ever written: the host stays as it was.
"""

import json
import os
import stat
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def mount(*args):
    subprocess.run(["mount"] + list(args), check=True, capture_output=True)


def state(path):
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return {"type": "missing"}
    r = {"mode": stat.S_IMODE(st.st_mode), "uid": st.st_uid}
    if stat.S_ISLNK(st.st_mode):
        r.update(type="symlink", target=os.readlink(path), resolves=os.path.exists(path))
    elif stat.S_ISDIR(st.st_mode):
        r.update(type="dir", entries=sorted(os.listdir(path)))
    elif stat.S_ISREG(st.st_mode):
        r["type"] = "file"
    elif stat.S_ISSOCK(st.st_mode):
        r["type"] = "socket"
    else:
        r["type"] = "other"
    if os.path.isfile(path):
        with open(path, "rb") as f:
            r["content"] = f.read().decode("latin-1")
    return r


class Writable:
    """The roots under which this script may write."""

    def __init__(self):
        self.roots = []

    def add(self, root):
        self.roots.append(root.rstrip("/") + "/")

    def check(self, path):
        if not any(path.startswith(r) for r in self.roots):
            raise SystemExit("nswrap: refusing to write %s: not under a mount of mine %r"
                             % (path, self.roots))


def setup_etc(spec, w):
    copy = os.path.join(spec["workdir"], "etc-copy")
    os.makedirs(copy, exist_ok=True)
    mount("-t", "tmpfs", "-o", "mode=0755", "tmpfs", copy)
    subprocess.run(["cp", "-a", "/etc/.", copy + "/"], check=True)
    mount("--bind", copy, "/etc")
    w.add("/etc")
    if spec.get("nsswitch_hosts"):
        with open("/etc/nsswitch.conf") as f:
            lines = [ln for ln in f.read().splitlines() if not ln.startswith("hosts:")]
        lines.append("hosts: " + spec["nsswitch_hosts"])
        with open("/etc/nsswitch.conf", "w") as f:
            f.write("\n".join(lines) + "\n")
    r = spec.get("resolv")
    if r:
        if os.path.lexists("/etc/resolv.conf"):
            os.unlink("/etc/resolv.conf")
        if r["kind"] == "file":
            with open("/etc/resolv.conf", "w") as f:
                f.write(r["content"])
            os.chmod("/etc/resolv.conf", 0o644)
        elif r["kind"] == "symlink":
            os.symlink(r["target"], "/etc/resolv.conf")


def setup(spec):
    if os.geteuid() != 0:
        raise SystemExit("nswrap: must run as root")
    if os.readlink("/proc/self/ns/mnt") == spec["host_mntns"]:
        raise SystemExit("nswrap: still in the caller's mount namespace (no unshare?)")
    w = Writable()
    if spec.get("etc"):
        setup_etc(spec, w)
    if spec.get("run_tmpfs"):
        mount("-t", "tmpfs", "-o", "mode=0755", "tmpfs", "/run")
        w.add("/run")
    for d in spec.get("tmpfs", []):
        w.check(d + "/")
        os.makedirs(d, exist_ok=True)
        mount("-t", "tmpfs", "-o", "mode=0755", "tmpfs", d)
        w.add(d)
    for path, content in spec.get("files", {}).items():
        w.check(path)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write(content)
        os.chmod(path, 0o644)
    lo = spec.get("lib_overlay")
    if lo:
        target = os.path.realpath(lo["target"])
        mount("-t", "overlay", "overlay", "-o",
              "lowerdir=%s:%s" % (lo["upper"], target), target)


def start_fakesock(fs):
    argv = [sys.executable, "-B", os.path.join(HERE, "fakesock.py"), "--log", fs["log"]]
    for k in ("varlink", "nscd"):
        if fs.get(k):
            argv += ["--" + k, fs[k]]
    p = subprocess.Popen(argv, stdout=subprocess.PIPE, stdin=subprocess.DEVNULL)
    line = p.stdout.readline()
    if line.strip() != b"ready":
        p.kill()
        raise SystemExit("nswrap: fakesock.py did not start: %r" % line)
    return p


def sizes(paths):
    return {p: (os.path.getsize(p) if os.path.exists(p) else 0) for p in paths}


def new_lines(path, offset):
    if not os.path.exists(path):
        return []
    with open(path, "rb") as f:
        f.seek(offset)
        data = f.read()
    data = data[:data.rfind(b"\n") + 1]
    return [json.loads(ln) for ln in data.decode().splitlines() if ln.strip()]


def run_step(st, watch):
    before = sizes(watch)
    t0 = time.monotonic()
    try:
        p = subprocess.run(st["argv"], capture_output=True, stdin=subprocess.DEVNULL,
                           timeout=st.get("timeout", 60))
        r = {"rc": p.returncode, "stdout": p.stdout.decode("latin-1"),
             "stderr": p.stderr.decode("latin-1")}
    except subprocess.TimeoutExpired as e:
        r = {"rc": None, "stdout": (e.stdout or b"").decode("latin-1"),
             "stderr": (e.stderr or b"").decode("latin-1")
             + "\n[nswrap: timed out after %ss]" % st.get("timeout", 60)}
    r["name"] = st.get("name")
    r["elapsed"] = time.monotonic() - t0
    r["watch"] = {p: new_lines(p, off) for p, off in before.items()}
    return r


def main():
    with open(sys.argv[1]) as f:
        spec = json.load(f)
    setup(spec)
    fake = start_fakesock(spec["fakesock"]) if spec.get("fakesock") else None
    try:
        paths = spec.get("state_paths", [])
        res = {"before": {p: state(p) for p in paths}, "steps": []}
        for st in spec.get("steps", []):
            res["steps"].append(run_step(st, spec.get("watch", [])))
        res["after"] = {p: state(p) for p in paths}
    finally:
        if fake:
            fake.kill()
            fake.wait()
    sys.stdout.write(json.dumps(res) + "\n")


if __name__ == "__main__":
    os.umask(0o022)
    main()
