#!/usr/bin/python3
"""Sets up a network namespace with a TUN device tg0 the way a caller of
`torgate --tun-fd N` would, then execs torgate with the TUN descriptor.
Root only.

    tunfd_helper.py --ns NAME --open setns|move [--vnet-hdr N] --ready-file F -- TORGATE-ARGV...

--open setns: /dev/net/tun is opened and TUNSETIFF done inside NAME (setns
  there and back; Python 3.11 has no os.setns, so libc's via ctypes).
--open move: the TUN is created in the caller's namespace under a temporary
  name, then moved into NAME and renamed tg0. Use this when the test deletes
  the namespace: a TUN opened inside a namespace holds a reference to it, so
  `ip netns del` would not destroy that namespace (nor the device) while
  torgate keeps the descriptor open.

--vnet-hdr N: the TUN is opened with IFF_VNET_HDR and a virtio_net_hdr of
  N bytes (TUNSETVNETHDRSZ), as a hypervisor tool might pass it; no
  offloads are turned on.

The helper creates the namespace (the test deletes it), writes F (the
descriptor number) once tg0 is configured, and execs TORGATE-ARGV with
"--tun-fd N" inserted after argv[0]; the process id stays the same.
"""

import argparse
import ctypes
import fcntl
import os
import struct
import subprocess
import sys

CLONE_NEWNET = 0x40000000
TUNSETIFF = 0x400454CA
IFF_TUN = 0x0001
IFF_NO_PI = 0x1000
IFF_VNET_HDR = 0x4000
TUNSETVNETHDRSZ = 0x400454D8
VNET_HDR = 0      # --vnet-hdr


def setns(fd):
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.setns(fd, CLONE_NEWNET) != 0:
        e = ctypes.get_errno()
        raise OSError(e, "setns: " + os.strerror(e))


def tun_open(name):
    fd = os.open("/dev/net/tun", os.O_RDWR)
    flags = IFF_TUN | IFF_NO_PI | (IFF_VNET_HDR if VNET_HDR else 0)
    fcntl.ioctl(fd, TUNSETIFF, struct.pack("16sH", name.encode(), flags))
    if VNET_HDR:
        fcntl.ioctl(fd, TUNSETVNETHDRSZ, struct.pack("i", VNET_HDR))
    return fd


def ip(*args):
    subprocess.run(["ip"] + list(args), check=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ns", required=True)
    ap.add_argument("--open", choices=("setns", "move"), default="setns")
    ap.add_argument("--vnet-hdr", type=int, default=0)
    ap.add_argument("--ready-file", required=True)
    ap.add_argument("argv", nargs=argparse.REMAINDER)
    a = ap.parse_args()
    argv = a.argv[1:] if a.argv[:1] == ["--"] else a.argv
    global VNET_HDR
    VNET_HDR = a.vnet_hdr
    ns = a.ns
    ip("netns", "add", ns)
    if a.open == "setns":
        home = os.open("/proc/self/ns/net", os.O_RDONLY)
        target = os.open("/run/netns/" + ns, os.O_RDONLY)
        setns(target)
        try:
            fd = tun_open("tg0")
        finally:
            setns(home)
            os.close(target)
            os.close(home)
    else:
        tmp = "tgt%d" % os.getpid()
        fd = tun_open(tmp)
        ip("link", "set", tmp, "netns", ns)
        ip("-n", ns, "link", "set", tmp, "name", "tg0")
    ip("-n", ns, "addr", "add", "10.66.0.2/24", "dev", "tg0")
    ip("-n", ns, "addr", "add", "fd74:6f72::2/64", "dev", "tg0", "nodad")
    ip("-n", ns, "link", "set", "lo", "up")
    ip("-n", ns, "link", "set", "tg0", "up")
    ip("-n", ns, "route", "add", "default", "dev", "tg0")
    ip("-n", ns, "-6", "route", "add", "default", "dev", "tg0")
    os.set_inheritable(fd, True)
    tmpf = a.ready_file + ".tmp"
    with open(tmpf, "w") as f:
        f.write("%d\n" % fd)
    os.rename(tmpf, a.ready_file)
    sys.stdout.flush()
    os.execv(argv[0], [argv[0], "--tun-fd", str(fd)] + argv[1:])


if __name__ == "__main__":
    main()
