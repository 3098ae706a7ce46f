/* PID 1 of the sandbox. CMD is not PID 1 itself because PID 1 of a
 * namespace ignores every signal it has no handler for and inherits every
 * orphan: a shell or a browser would neither stop on SIGTERM nor reap.
 * This init forks CMD, forwards signals to it, reaps orphans and exits
 * with CMD's status, which ends every other process in the namespace. */
#define _GNU_SOURCE
#include "sandbox.h"
#include "log.h"

#include <errno.h>
#include <linux/capability.h>
#include <seccomp.h>
#include <sys/ioctl.h>
#include <linux/securebits.h>
#include <stdint.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

int sandbox_drop_caps(void)
{
    /* The bounding set first: with it empty no later exec, not even of a
     * setuid or file-capability binary, can regain anything. */
    for (int cap = 0; cap < 64; cap++) {
        if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 && errno != EINVAL)
            return -1;
    }
    if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0 && errno != EINVAL)
        return -1;
    /* uid 0 inside (when the caller is root) must not get capabilities back
     * on exec either. */
    unsigned long bits = SECBIT_NOROOT | SECBIT_NOROOT_LOCKED |
                         SECBIT_NO_SETUID_FIXUP | SECBIT_NO_SETUID_FIXUP_LOCKED |
                         SECBIT_KEEP_CAPS_LOCKED |
                         SECBIT_NO_CAP_AMBIENT_RAISE | SECBIT_NO_CAP_AMBIENT_RAISE_LOCKED;
    if (prctl(PR_SET_SECUREBITS, bits, 0, 0, 0) != 0)
        return -1;
    struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
    struct __user_cap_data_struct data[2];
    memset(data, 0, sizeof(data));
    if (syscall(SYS_capset, &hdr, data) != 0)
        return -1;
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
        return -1;
    /* Trust, but verify. */
    memset(data, 0xff, sizeof(data));
    if (syscall(SYS_capget, &hdr, data) != 0)
        return -1;
    for (int i = 0; i < 2; i++)
        if (data[i].effective || data[i].permitted || data[i].inheritable) {
            errno = EPERM;
            return -1;
        }
    return 0;
}

/* The command shares the caller's terminal (job control and Ctrl-C need
 * it), and TIOCSTI would let it type commands into the caller's shell,
 * which runs them outside the sandbox (bubblewrap's CVE-2017-5226);
 * TIOCLINUX can do the same on a virtual console. Both are refused. */
static int deny_tty_injection(void)
{
    scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
    if (ctx == NULL)
        return -1;
    /* The same rules for 32-bit programs: without these architectures in
     * the filter, their syscalls would meet the default action and die. */
    int rc = 0;
#if defined(__x86_64__)
    static const uint32_t compat[] = { SCMP_ARCH_X86, SCMP_ARCH_X32 };
    for (size_t i = 0; i < sizeof(compat) / sizeof(compat[0]) && rc == 0; i++) {
        rc = seccomp_arch_add(ctx, compat[i]);
        if (rc == -EEXIST)
            rc = 0;
    }
#endif
    const unsigned long reqs[] = { TIOCSTI, TIOCLINUX };
    for (size_t i = 0; i < sizeof(reqs) / sizeof(reqs[0]) && rc == 0; i++)
        rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(ioctl), 1,
                              SCMP_A1(SCMP_CMP_MASKED_EQ, 0xffffffffu, reqs[i]));
    if (rc == 0)
        rc = seccomp_load(ctx);
    seccomp_release(ctx);
    if (rc != 0) {
        errno = -rc;
        return -1;
    }
    return 0;
}

static void noop_handler(int sig)
{
    (void)sig;
}

static _Noreturn void exec_cmd(char **cmd, const struct rlimit *app_nofile)
{
    sigset_t none;
    sigemptyset(&none);
    for (int sig = 1; sig < NSIG; sig++)
        (void)signal(sig, SIG_DFL);
    (void)sigprocmask(SIG_SETMASK, &none, NULL);
    if (setrlimit(RLIMIT_NOFILE, app_nofile) != 0)
        log_warn("cannot restore the command's open-file limit: %s", strerror(errno));
    /* Capabilities, the filter and the fds were dealt with in PID 1 and are
     * inherited; only what exec resets needs doing again. */
    execvp(cmd[0], cmd);
    int e = errno;
    log_error("cannot run '%s': %s", cmd[0], strerror(e));
    _exit(e == ENOENT || e == ENOTDIR ? TG_EXIT_NOTFOUND : TG_EXIT_NOEXEC);
}

int sandbox_init_run(char **cmd, const struct rlimit *app_nofile, int cookie)
{
    sigset_t set;
    sandbox_forwarded_signals(&set);
    sigaddset(&set, SIGCHLD);
    /* Handlers, not SIG_DFL: PID 1 would discard a default-action signal
     * from the gateway before sigwaitinfo could see it. */
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = noop_handler;
    for (int sig = 1; sig < NSIG; sig++)
        if (sigismember(&set, sig))
            (void)sigaction(sig, &sa, NULL);
    (void)sigprocmask(SIG_BLOCK, &set, NULL);

    /* PID 1 shares the command's uid: it must be no way around the
     * command's confinement. Not dumpable (no ptrace, no /proc/1/fd), the
     * same filter, and no fd beyond 0-2. */
    if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0 ||
        syscall(SYS_close_range, 3u, ~0u, 0u) != 0 ||
        sandbox_drop_caps() != 0 || deny_tty_injection() != 0) {
        log_error("cannot confine the sandbox's init: %s; refusing to run the command "
                  "(torgate needs Linux 5.11 or later with seccomp)", strerror(errno));
        return TG_EXIT_FAILURE;
    }

    pid_t child = fork();
    if (child < 0) {
        log_error("cannot start the command in the sandbox (fork): %s", strerror(errno));
        return TG_EXIT_FAILURE;
    }
    if (child == 0)
        exec_cmd(cmd, app_nofile);

    for (;;) {
        siginfo_t si;
        int sig = sigwaitinfo(&set, &si);
        if (sig < 0)
            continue;
        if (sig == SIGCHLD) {
            int st;
            pid_t w;
            while ((w = waitpid(-1, &st, WNOHANG)) > 0)
                if (w == child)
                    return sandbox_exit_code(st);
            continue;
        }
        /* Only what the gateway forwards: a terminal's signals and group
         * kills reach CMD directly already. */
        if (si.si_code == SI_QUEUE && si.si_value.sival_int == cookie)
            (void)kill(child, sig);
    }
}
