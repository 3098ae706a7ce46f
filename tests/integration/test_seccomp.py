"""The app's seccomp filter (--seccomp off|default|FILE, docs/seccomp.md).

Each probe (clients/scprobe.py: raw x86-64 syscalls through ctypes;
clients/probe32.c: the same through int $0x80 as a 32-bit program) reports
"ok" or the errno. Under the default policy every denied call gets the
documented errno; with --seccomp off the same calls get what the kernel
says (they work, or fail otherwise), which shows that the filter, not the
dropped capabilities, is what the default tests see.
"""
import errno
import os
import re
import shutil
import subprocess
import tempfile

import pytest

import tgutil
from tgutil import PY, client, describe, json_result

SCPROBE = client("scprobe.py")

# What the default policy answers, per probe (docs/seccomp.md's table).
DEFAULT_DENIED = {
    "keyctl": "ENOSYS", "add_key": "ENOSYS", "request_key": "ENOSYS",
    "bpf": "ENOSYS", "perf": "ENOSYS", "userfaultfd": "ENOSYS",
    "io_uring": "ENOSYS", "packet": "EAFNOSUPPORT", "vsock": "EAFNOSUPPORT",
    # A packet socket in a user + network namespace of the app's own making.
    "userns_packet": "EAFNOSUPPORT",
}


def probe(run_torgate, args, names, **kw):
    cp = run_torgate(list(args) + ["--", PY, SCPROBE] + list(names), **kw)
    return json_result(cp), cp


def host_probe(names):
    """The probes outside torgate, as the user torgate runs as: what the
    kernel itself allows here."""
    cp = subprocess.run(tgutil.user_prefix() + [PY, SCPROBE] + list(names),
                        env=tgutil.torgate_env(), capture_output=True, text=True, timeout=60)
    return json_result(cp)


def policy_file(tmp, text, name="test.policy"):
    path = os.path.join(tmp, name)
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, 0o644)
    return path


def test_default_policy_denies_with_documented_errno(run_torgate):
    res, cp = probe(run_torgate, [], list(DEFAULT_DENIED) + ["inet", "uname", "unshare_user",
                                                            "clone3"])
    for name, want in DEFAULT_DENIED.items():
        assert res[name] == want, "%s: %s, documented %s" % (name, res[name], want)
    # What a browser needs stays: ordinary sockets, nested user namespaces
    # (its own sandbox), clone3 (reached: EINVAL for the bad size).
    assert res["inet"] == "ok" and res["uname"] == "ok", res
    assert res["unshare_user"] == "ok", res
    assert res["clone3"] == "EINVAL", res


def test_off_leaves_the_kernel_to_answer(run_torgate):
    """With --seccomp off each call meets the kernel: the keyring and
    userfaultfd work, AF_PACKET gets EPERM (no capability) instead of
    EAFNOSUPPORT, bpf the kernel's refusal. A probe whose denial errno is
    also what this kernel says outside torgate (feature not built in)
    cannot tell the filter apart and is left out."""
    names = list(DEFAULT_DENIED)
    host = host_probe(names)
    res, cp = probe(run_torgate, ["--seccomp", "off"], names)
    telling = [n for n in names if host[n] != DEFAULT_DENIED[n]]
    assert {"keyctl", "add_key", "bpf", "packet", "userfaultfd"} <= set(telling), host
    for n in telling:
        assert res[n] != DEFAULT_DENIED[n], "%s: %s without the filter too" % (n, res[n])
    assert res["keyctl"] == "ok" and res["add_key"] == "ok", res
    assert res["userfaultfd"] == "ok", res
    assert res["packet"] == "EPERM", res
    assert res["request_key"] == "ENOKEY", res


def test_dev_userfaultfd_ioctl_denied(run_torgate):
    """/dev/userfaultfd makes the same object as the syscall; root in the
    sandbox (torgate run by root) can open it, so its ioctl is denied too."""
    host = host_probe(["uffd_dev"])
    if host["uffd_dev"] != "ok":
        pytest.skip("/dev/userfaultfd is not usable by this user here: %s" % host["uffd_dev"])
    res, _ = probe(run_torgate, [], ["uffd_dev"])
    assert res["uffd_dev"] == "ENOSYS", res
    res, _ = probe(run_torgate, ["--seccomp", "off"], ["uffd_dev"])
    assert res["uffd_dev"] == "ok", res


def test_tools_run_under_the_default(run_torgate, socks_log):
    """python3 (above), curl and busybox's sh and wget work as ever."""
    cp = run_torgate(["--", "curl", "-sS", "--fail", "--max-time", "30",
                      "http://203.0.113.31/hello"])
    assert cp.returncode == 0 and cp.stdout == "hello\n", describe(cp)
    bb = shutil.which("busybox") or "/bin/busybox"
    if not os.path.exists(bb):
        pytest.skip("busybox is not installed")
    cp = run_torgate(["--", bb, "sh", "-c", "%s wget -q -O - http://203.0.113.31/hello && "
                      "echo done" % bb])
    assert cp.returncode == 0 and cp.stdout == "hello\ndone\n", describe(cp)


def test_file_policy_replaces_the_default(run_torgate, user_tmp):
    """A file says everything: "deny uname ENOSYS" alone denies uname and
    nothing of the default list."""
    pol = policy_file(user_tmp, "# only this\ndeny uname ENOSYS\n")
    res, cp = probe(run_torgate, ["--seccomp", pol], ["uname", "keyctl", "inet"])
    assert res == {"uname": "ENOSYS", "keyctl": "ok", "inet": "ok"}, describe(cp)
    # And python's own os.uname() sees it the same way.
    cp = run_torgate(["--seccomp", pol, "--", PY, "-c",
                      "import os\ntry:\n    os.uname()\nexcept OSError as e:\n"
                      "    print(e.errno)\n"])
    assert cp.returncode == 0 and cp.stdout.strip() == "38", describe(cp)


def test_file_policy_adjusts_the_default(run_torgate, user_tmp):
    pol = policy_file(user_tmp, "include default\nallow keyctl\ndeny socket AF_INET EACCES\n")
    res, cp = probe(run_torgate, ["--seccomp", pol], ["keyctl", "add_key", "inet", "bpf"])
    assert res == {"keyctl": "ok", "add_key": "ENOSYS", "inet": "EACCES", "bpf": "ENOSYS"}, \
        describe(cp)


def test_deny_userns(run_torgate, user_tmp):
    """deny userns: unshare/clone with CLONE_NEWUSER get EPERM, clone3 ENOSYS
    (its flags are out of seccomp's reach), and threads still start: libc
    falls back from clone3 to clone."""
    pol = policy_file(user_tmp, "include default\ndeny userns\n")
    res, cp = probe(run_torgate, ["--seccomp", pol], ["unshare_user", "userns_packet", "clone3"])
    assert res == {"unshare_user": "EPERM", "userns_packet": "EPERM", "clone3": "ENOSYS"}, \
        describe(cp)
    code = ("import threading\nout = []\nt = threading.Thread(target=lambda: out.append(1))\n"
            "t.start(); t.join(); print(len(out))\n")
    cp = run_torgate(["--seccomp", pol, "--", PY, "-c", code])
    assert cp.returncode == 0 and cp.stdout.strip() == "1", describe(cp)


def test_kill_action(run_torgate, user_tmp):
    """deny SYSCALL kill: the caller dies of SIGSYS, torgate exits 128+31."""
    pol = policy_file(user_tmp, "deny uname kill\n")
    cp = run_torgate(["--seccomp", pol, "--", PY, "-c", "import os; os.uname(); print('alive')"])
    assert cp.returncode == 128 + 31 and "alive" not in cp.stdout, describe(cp)


def test_audit_mode_logs_and_lets_through(run_torgate, user_tmp):
    """mode audit: the calls succeed, and torgate's log names the program,
    the call and what the policy would have answered; a summary at the end
    counts them."""
    pol = policy_file(user_tmp, "mode audit\ninclude default\ndeny uname ENOSYS\n")
    res, cp = probe(run_torgate, ["--seccomp", pol], ["keyctl", "uname", "packet", "inet"])
    assert res["keyctl"] == "ok" and res["uname"] == "ok", describe(cp)
    assert res["packet"] == "EPERM", res        # the kernel's answer, not the policy's
    assert res["inet"] == "ok", res
    err = cp.stderr
    for what, errname in (("keyctl(2)", "ENOSYS"), ("uname(2)", "ENOSYS"),
                          ("socket(AF_PACKET)", "EAFNOSUPPORT")):
        pat = r"seccomp audit: python3 \(pid \d+\) called %s, which the policy denies \(%s\); " \
              r"let through \(audit mode\)" % (re.escape(what), errname)
        assert re.search(pat, err), "no audit line for %s:\n%s" % (what, err)
    assert "socket(AF_INET)" not in err, err
    m = re.search(r"seccomp audit: the policy would have denied (\d+) calls: (.*)", err)
    assert m and int(m.group(1)) >= 3, err
    assert "keyctl(2) x1" in m.group(2) and "socket(AF_PACKET) x1" in m.group(2), m.group(0)


def test_audit_mode_counts_without_flooding(run_torgate, user_tmp):
    """500 audited calls: one line for them (per 10 s), all counted."""
    pol = policy_file(user_tmp, "mode audit\ndeny getppid\n")
    cp = run_torgate(["--seccomp", pol, "--", PY, "-c",
                      "import os\nfor _ in range(500): os.getppid()\nprint('done')"])
    assert cp.returncode == 0 and cp.stdout.strip() == "done", describe(cp)
    assert len(re.findall(r"called getppid\(2\)", cp.stderr)) == 1, cp.stderr
    m = re.search(r"getppid\(2\) x(\d+)", cp.stderr)
    assert m and int(m.group(1)) >= 500, cp.stderr


@pytest.mark.parametrize("text,line,what", [
    ("include default\nfrobnicate bpf\n", "line 2", "'frobnicate' is not a policy line"),
    ("deny bpf\n\ndeny bpff\n", "line 3", "unknown syscall 'bpff'"),
    ("deny bpf EWHATEVER\n", "line 1", "unknown errno 'EWHATEVER'"),
    ("mode audit\nallow bpf\n", "line 2", "nothing denies 'bpf'"),
], ids=["directive", "syscall", "errno", "allow"])
def test_bad_policy_file_stops_before_the_command(run_torgate, user_tmp, text, line, what):
    """One line naming the file, the line and the problem; exit 125; the
    command never runs. The file is checked before Tor is even asked (here
    nothing listens on the SOCKS port, and that is not what is reported)."""
    pol = policy_file(user_tmp, text)
    marker = os.path.join(user_tmp, "cmd-ran")
    cp = run_torgate(["--seccomp", pol, "--", "touch", marker], socks=tgutil.closed_port())
    assert cp.returncode == 125, describe(cp)
    lines = cp.stderr.strip().splitlines()
    assert len(lines) == 1, cp.stderr
    assert pol in lines[0] and line in lines[0] and what in lines[0], lines[0]
    assert not os.path.exists(marker)


def test_missing_policy_file(run_torgate, user_tmp):
    missing = os.path.join(user_tmp, "no-such.policy")
    marker = os.path.join(user_tmp, "cmd-ran")
    cp = run_torgate(["--seccomp", missing, "--", "touch", marker])
    assert cp.returncode == 125, describe(cp)
    assert missing in cp.stderr and "No such file" in cp.stderr, cp.stderr
    assert not os.path.exists(marker)


@pytest.mark.parametrize("mode", ["off", "audit"])
def test_tiocsti_refused_in_every_mode(run_torgate, user_tmp, mode):
    """TIOCSTI is the sandbox's integrity, not policy: refused with --seccomp
    off and never merely audited."""
    arg = "off" if mode == "off" else policy_file(user_tmp, "mode audit\ninclude default\n")
    code = tgutil.TIOCSTI_PROBE
    cp = run_torgate(["--seccomp", arg, "--", PY, "-c", code])
    assert cp.returncode == 0 and cp.stdout.strip() == "EPERM", describe(cp)


@pytest.fixture(scope="module")
def probe32():
    """clients/probe32.c built as a static i386 program (needs gcc -m32 and
    binutils, not gcc-multilib, and a kernel with IA-32 emulation)."""
    gcc = shutil.which("gcc")
    if gcc is None:
        pytest.skip("no gcc to build the 32-bit probe")
    # Readable by TORGATE_TEST_USER too (pytest's own tmp is root's alone).
    d = tempfile.mkdtemp(prefix="torgate-probe32-")
    os.chmod(d, 0o755)
    out = os.path.join(d, "probe32")
    cp = subprocess.run([gcc, "-m32", "-nostdlib", "-static", "-ffreestanding", "-fno-pie",
                         "-no-pie", "-fno-stack-protector", "-O1", "-o", out,
                         client("probe32.c")], capture_output=True, text=True)
    try:
        if cp.returncode != 0:
            pytest.skip("cannot build a 32-bit x86 program here: %s" % cp.stderr.strip()[-300:])
        try:
            run = subprocess.run([out], capture_output=True, text=True)
        except OSError as e:   # ENOEXEC where the kernel will not load an i386 ELF at all
            run = subprocess.CompletedProcess([out], -1, "", str(e))
        if run.returncode != 0 or "uname 0" not in run.stdout:
            pytest.skip("32-bit x86 programs do not run on this kernel (IA-32 emulation off?): "
                        + (run.stderr.strip()[-200:] or "exit status %d" % run.returncode))
        yield out
    finally:
        shutil.rmtree(d, ignore_errors=True)


def run32(run_torgate, args, probe32):
    cp = run_torgate(list(args) + ["--", probe32])
    assert cp.returncode == 0, describe(cp)
    res = {}
    for ln in cp.stdout.splitlines():
        name, num = ln.split()
        res[name] = "ok" if num == "0" else errno.errorcode[int(num)]
    return res


def test_32bit_syscalls_filtered(run_torgate, user_tmp, probe32):
    """The x86 (int $0x80) syscall table has other numbers: the filter
    covers it too. socket(2) by its own number follows the family rules
    (no AF_VSOCK); socketcall(SYS_SOCKET), whose family seccomp cannot
    read, is refused while the policy names families; socketpair works.
    (tests/unit/test_seccomp_filter.c proves the same on the filter where
    32-bit programs cannot run.)"""
    res = run32(run_torgate, [], probe32)
    for name in ("keyctl", "bpf", "perf", "userfaultfd", "io_uring"):
        assert res[name] == "ENOSYS", res
    assert res["uname"] == "ok" and res["inet"] == "ok" and res["socketpair"] == "ok", res
    assert res["vsock"] == res["socketcall_vsock"] == res["socketcall_inet"] == "EAFNOSUPPORT", res
    off = run32(run_torgate, ["--seccomp", "off"], probe32)
    assert off["keyctl"] == "ok" and off["userfaultfd"] == "ok" and off["bpf"] == "EPERM", off
    assert off["socketcall_inet"] == "ok", off
    pol = policy_file(user_tmp, "deny uname ENOSYS\ndeny userns\n")
    res = run32(run_torgate, ["--seccomp", pol], probe32)
    assert res["uname"] == "ENOSYS" and res["clone3"] == "ENOSYS" and res["keyctl"] == "ok", res
    assert res["socketcall_inet"] == "ok", res
