#!/usr/bin/python3
"""Runs a command in torgate's sandbox with one protection taken away, for
the leak suite's self-check; no flag of torgate's is involved.

    minus_one.py --drop no-netns|no-mntns|caps --socks HOST:PORT -- CMD...

It starts `torgate -- cat` (as TORGATE_TEST_USER when set; cat reads a
pipe from this script, so it ends when this script does, however), then
joins cat's namespaces with nsenter(1), as root:

  no-netns  every namespace but the network one: the host's network
  no-mntns  every namespace but the mount one: the host's mounts, so the
            resolver directories torgate masks are there again
  caps      every namespace, keeping the capabilities that joining a user
            namespace as root gives (CAP_NET_RAW among them), which torgate
            drops before it runs a command

In the first two the capabilities are dropped again (setpriv) so that only
the one protection is missing. CMD's output and exit status are passed on;
torgate is stopped afterwards. Must run as root.
"""

import argparse
import os
import subprocess
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import tgutil  # noqa: E402

NAMESPACES = {"user": "--user", "mnt": "--mount", "net": "--net", "pid": "--pid",
              "uts": "--uts", "ipc": "--ipc"}
DROPS = {"no-netns": "net", "no-mntns": "mnt", "caps": None}
NO_CAPS = ["setpriv", "--inh-caps=-all", "--ambient-caps=-all", "--bounding-set=-all", "--"]


def comm(pid):
    try:
        with open("/proc/%d/comm" % pid) as f:
            return f.read().strip()
    except OSError:
        return None


def waiter(torgate):
    """The sandbox's `cat`: torgate's descendant in another network namespace."""
    mine = tgutil.netns_of(torgate.pid)

    def find():
        for d in tgutil.descendants(torgate.pid):
            try:
                if comm(d) == "cat" and tgutil.netns_of(d) != mine:
                    return d
            except OSError:
                continue
        if torgate.poll() is not None:
            raise SystemExit("minus_one: torgate exited (status %r): %s"
                             % (torgate.returncode, torgate.stderr.read()))
        return None
    return tgutil.wait_until(find, 30, "the sandbox's cat to start")


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--drop", required=True, choices=sorted(DROPS))
    ap.add_argument("--socks", required=True)
    ap.add_argument("cmd", nargs="+")
    a = ap.parse_args()
    if os.geteuid() != 0:
        raise SystemExit("minus_one: must run as root (it joins another user's namespaces)")
    torgate = tgutil.popen_torgate(["--", "cat"], a.socks, stdin=subprocess.PIPE, text=True)
    try:
        pid = waiter(torgate)
        uid, gid = tgutil.expected_ids()
        flags = [f for ns, f in NAMESPACES.items() if ns != DROPS[a.drop]]
        argv = ["nsenter", "--target", str(pid)] + flags + ["-S", str(uid), "-G", str(gid), "--"]
        if a.drop != "caps":
            argv += NO_CAPS
        p = subprocess.run(argv + a.cmd, stdin=subprocess.DEVNULL, timeout=120)
        rc = p.returncode
    finally:
        torgate.stdin.close()  # cat ends, and torgate with it
        try:
            torgate.wait(timeout=10)
        except subprocess.TimeoutExpired:
            tgutil.kill_group(torgate)
            torgate.wait()
    sys.exit(rc)


if __name__ == "__main__":
    main()
