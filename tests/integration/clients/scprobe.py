#!/usr/bin/python3
"""Syscall probes for the seccomp tests, run inside torgate: each named
probe makes one raw x86-64 syscall (ctypes, so no libc wrapper or fallback
hides the result) and the script prints one JSON line {probe: result},
result "ok" or the errno's name. Probes:

  keyctl       keyctl(KEYCTL_GET_KEYRING_ID, session keyring, create)
  add_key      add_key("user", ..., process keyring)
  request_key  request_key("user", a name nobody added): ENOKEY if allowed
  bpf          bpf(BPF_MAP_CREATE, array map)
  perf         perf_event_open(software clock, this process, user space only)
  userfaultfd  userfaultfd(UFFD_USER_MODE_ONLY)
  uffd_dev     open /dev/userfaultfd and ioctl USERFAULTFD_IOC_NEW
               ("skip:ERRNO" if the device cannot be opened)
  packet       socket(AF_PACKET, SOCK_RAW, ETH_P_ALL)
  vsock        socket(AF_VSOCK, SOCK_STREAM) (created and closed, never used)
  inet         socket(AF_INET, SOCK_STREAM): must always work
  io_uring     io_uring_setup(1 entry)
  uname        uname()
  unshare_user unshare(CLONE_NEWUSER) (in a forked child, so the probe
               itself stays where it is)
  userns_packet  in a forked child, unshare(CLONE_NEWUSER|CLONE_NEWNET) and
               then socket(AF_PACKET): the capability a nested user namespace
               grants makes packet sockets reachable without the filter
  clone3       clone3() with an argument size the kernel rejects (EINVAL if
               clone3 is reached at all; nothing is ever created)
"""

import ctypes
import errno
import json
import os
import socket
import sys

libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long

NR = {"keyctl": 250, "add_key": 248, "request_key": 249, "bpf": 321, "perf_event_open": 298,
      "userfaultfd": 323, "io_uring_setup": 425, "uname": 63, "clone3": 435}


def sys_call(name, *args):
    conv = []
    for a in args:
        if isinstance(a, bytes):
            conv.append(ctypes.c_char_p(a))
        elif isinstance(a, int):
            conv.append(ctypes.c_long(a))
        else:
            conv.append(a)
    r = libc.syscall(ctypes.c_long(NR[name]), *conv)
    if r < 0:
        return errno.errorcode.get(ctypes.get_errno(), str(ctypes.get_errno()))
    return r


def result(r, close=True):
    if isinstance(r, str):
        return r
    if close and r > 2:
        os.close(r)
    return "ok"


def p_keyctl():
    r = sys_call("keyctl", 0, -3, 1)    # KEYCTL_GET_KEYRING_ID, KEY_SPEC_SESSION_KEYRING
    return result(r, close=False)


def p_add_key():
    return result(sys_call("add_key", b"user", b"torgate-probe", b"x", 1, -2), close=False)


def p_request_key():
    return result(sys_call("request_key", b"user", b"torgate-probe-absent", None, -2),
                  close=False)


def p_bpf():
    attr = (ctypes.c_uint32 * 32)()
    attr[0], attr[1], attr[2], attr[3] = 2, 4, 4, 1   # ARRAY map: key 4, value 4, 1 entry
    return result(sys_call("bpf", 0, ctypes.byref(attr), ctypes.sizeof(attr)))


def p_perf():
    attr = (ctypes.c_uint8 * 128)()
    ctypes.c_uint32.from_buffer(attr, 0).value = 1          # PERF_TYPE_SOFTWARE
    ctypes.c_uint32.from_buffer(attr, 4).value = 128        # size
    ctypes.c_uint64.from_buffer(attr, 8).value = 0          # PERF_COUNT_SW_CPU_CLOCK
    # flags: disabled (bit 0), exclude_kernel (bit 5), exclude_hv (bit 6)
    ctypes.c_uint64.from_buffer(attr, 40).value = (1 << 0) | (1 << 5) | (1 << 6)
    return result(sys_call("perf_event_open", ctypes.byref(attr), 0, -1, -1, 0))


def p_userfaultfd():
    return result(sys_call("userfaultfd", 1 | os.O_CLOEXEC))   # UFFD_USER_MODE_ONLY


def p_uffd_dev():
    try:
        fd = os.open("/dev/userfaultfd", os.O_RDWR | os.O_CLOEXEC)
    except OSError as e:
        return "skip:" + errno.errorcode.get(e.errno, str(e.errno))
    try:
        libc.ioctl.restype = ctypes.c_int
        r = libc.ioctl(fd, ctypes.c_ulong(0xAA00), ctypes.c_ulong(1 | os.O_CLOEXEC))
        if r < 0:
            return errno.errorcode.get(ctypes.get_errno(), str(ctypes.get_errno()))
        os.close(r)
        return "ok"
    finally:
        os.close(fd)


def sock(fam, typ, proto=0):
    try:
        s = socket.socket(fam, typ, proto)
    except OSError as e:
        return errno.errorcode.get(e.errno, str(e.errno))
    s.close()
    return "ok"


def p_packet():
    return sock(17, socket.SOCK_RAW, socket.htons(3))


def p_vsock():
    return sock(40, socket.SOCK_STREAM)


def p_inet():
    return sock(socket.AF_INET, socket.SOCK_STREAM)


def p_io_uring():
    params = (ctypes.c_uint8 * 120)()
    return result(sys_call("io_uring_setup", 1, ctypes.byref(params)))


def p_uname():
    buf = ctypes.create_string_buffer(6 * 65)
    return result(sys_call("uname", buf), close=False)


def in_child(flag, then=None):
    """unshare(flag), then then(), in a forked child; the first errno comes
    back as the exit code."""
    pid = os.fork()
    if pid == 0:
        code = 99
        try:
            r = libc.unshare(ctypes.c_int(flag))
            code = ctypes.get_errno() if r != 0 else 0
            if code == 0 and then is not None:
                then()
        except OSError as e:
            code = e.errno
        finally:
            os._exit(code)
    _, st = os.waitpid(pid, 0)
    code = os.waitstatus_to_exitcode(st)
    return "ok" if code == 0 else errno.errorcode.get(code, str(code))


def p_unshare_user():
    return in_child(0x10000000)


def p_userns_packet():
    return in_child(0x10000000 | 0x40000000,
                    lambda: socket.socket(17, socket.SOCK_RAW, socket.htons(3)).close())


def p_clone3():
    args = (ctypes.c_uint64 * 11)()
    return result(sys_call("clone3", ctypes.byref(args), 1), close=False)   # size 1: EINVAL


PROBES = {"keyctl": p_keyctl, "add_key": p_add_key, "request_key": p_request_key,
          "bpf": p_bpf, "perf": p_perf, "userfaultfd": p_userfaultfd, "uffd_dev": p_uffd_dev,
          "packet": p_packet, "vsock": p_vsock, "inet": p_inet, "io_uring": p_io_uring,
          "uname": p_uname, "unshare_user": p_unshare_user, "userns_packet": p_userns_packet,
          "clone3": p_clone3}


def main():
    names = sys.argv[1:] or sorted(PROBES)
    print(json.dumps({n: PROBES[n]() for n in names}))


if __name__ == "__main__":
    main()
