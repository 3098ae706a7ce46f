/* PID 1 of the sandbox. CMD is not PID 1 itself because PID 1 of a
 * namespace ignores every signal it has no handler for and inherits every
 * orphan: a shell or a browser would neither stop on SIGTERM nor reap.
 * This init forks CMD, forwards signals to it, reaps orphans and exits
 * with CMD's status, which ends every other process in the namespace.
 * It also forks what `torgate exec` asks for, as it forked CMD, and says
 * when each has ended (sandbox_exec.h). */
#define _GNU_SOURCE
#include "sandbox/sandbox_init.h"
#include "base/fdpass.h"
#include "base/log.h"
#include "config/config.h"
#include "sandbox/sandbox_exec.h"
#include "sandbox/seccomp_app.h"
#include "sandbox/seccomp_audit.h"
#include "sandbox/seccomp_notify.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <poll.h>
#include <linux/securebits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

void sandbox_init_signals(sigset_t *set)
{
    sigemptyset(set);
    sigaddset(set, SIGINT);
    sigaddset(set, SIGTERM);
    sigaddset(set, SIGHUP);
    sigaddset(set, SIGQUIT);
    sigaddset(set, SIGUSR1);
    sigaddset(set, SIGUSR2);
}

int sandbox_init_exit_code(int wstatus)
{
    if (WIFEXITED(wstatus))
        return WEXITSTATUS(wstatus);
    if (WIFSIGNALED(wstatus))
        return 128 + WTERMSIG(wstatus);
    return TG_EXIT_FAILURE;
}

/* Every capability of the calling process, for good. 0 or -1. */
static int drop_caps(void)
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

static void noop_handler(int sig)
{
    (void)sig;
}

static _Noreturn void exec_cmd(char **cmd, const struct rlimit *app_nofile,
                               const struct sock_fprog *policy_prog)
{
    sigset_t none;
    sigemptyset(&none);
    for (int sig = 1; sig < NSIG; sig++)
        (void)signal(sig, SIG_DFL);
    (void)sigprocmask(SIG_SETMASK, &none, NULL);
    if (setrlimit(RLIMIT_NOFILE, app_nofile) != 0)
        log_warn("cannot restore the command's open-file limit: %s", strerror(errno));
    /* Capabilities, the tty filter and the fds were dealt with in PID 1 and
     * are inherited; only what exec resets needs doing again. The policy is
     * loaded last, so it binds the command and not PID 1's own work. */
    if (policy_prog->len > 0 && seccomp_app_load(policy_prog, 0) < 0) {
        log_error("cannot load the seccomp policy: %s; refusing to run the command",
                  strerror(errno));
        _exit(TG_EXIT_FAILURE);
    }
    execvp(cmd[0], cmd);
    int e = errno;
    log_error("cannot run '%s': %s", cmd[0], strerror(e));
    _exit(e == ENOENT || e == ENOTDIR ? TG_EXIT_NOTFOUND : TG_EXIT_NOEXEC);
}

/* The filters, compiled here so that a problem is reported before
 * anything runs. PID 1 loads the supervised one at once (the command
 * inherits it), with the thread that answers its listener started first:
 * the connect broker's rule, and in audit mode the policy's. In enforce
 * mode *prog is the policy's filter, for the command to load after fork;
 * otherwise it is empty. */
static int prepare_policy(const struct seccomp_policy *policy, struct sock_fprog *prog)
{
    static const struct seccomp_policy none;
    char err[300];
    int audit = policy->audit && policy->nrules > 0;
    struct sock_fprog sup;
    prog->filter = NULL;
    prog->len = 0;
    if ((!audit && seccomp_app_compile(policy, 0, prog, err, sizeof(err)) != 0) ||
        seccomp_app_compile(audit ? policy : &none, 1, &sup, err, sizeof(err)) != 0) {
        log_error("cannot build the seccomp policy's filter: %s; refusing to run the command", err);
        free(prog->filter);
        return -1;
    }
    seccomp_audit_use(audit ? policy : NULL);
    int fd = seccomp_app_load(&sup, 1);
    int e = errno;
    seccomp_notify_attach(fd);
    free(sup.filter);
    if (fd < 0) {
        log_error("cannot load the sandbox's seccomp filter: %s; it needs seccomp user "
                  "notification (Linux 5.5 or later); refusing to run the command", strerror(e));
        free(prog->filter);
        return -1;
    }
    return 0;
}

/* What torgate exec runs, by the gateway's session number. */
struct init_state {
    int ctl;                      /* to the gateway; -1 once it is gone */
    const struct rlimit *app_nofile;
    const struct sock_fprog *prog;
    struct {
        uint32_t id;
        pid_t pid;                /* 0: a free slot */
    } sess[SANDBOX_EXEC_SESSIONS];
};

static void tell_gateway(struct init_state *st, uint8_t tag, uint32_t id, int32_t value)
{
    uint8_t msg[SANDBOX_EXEC_HEAD];
    sandbox_exec_pack(msg, tag, id, value);
    if (st->ctl >= 0 && send(st->ctl, msg, sizeof(msg), MSG_DONTWAIT | MSG_NOSIGNAL) != (ssize_t)sizeof(msg))
        log_debug("sandbox: torgate exec: the gateway missed a message: %s", strerror(errno));
}

/* The command gets the caller's 0-2 (on a terminal, a pty of its own that
 * becomes its controlling terminal), a session of its own (not the one of
 * the terminal torgate was started from, which it must not read), and
 * then everything CMD got. */
static _Noreturn void exec_session(const int *fds, int tty, const char **argv,
                                   const struct init_state *st)
{
    if (setsid() < 0 || (tty && ioctl(fds[0], TIOCSCTTY, 0) != 0))
        _exit(TG_EXIT_FAILURE);
    for (int i = 0; i < 3; i++)
        if (dup2(fds[i], i) != i)
            _exit(TG_EXIT_FAILURE);
    for (int i = 0; i < 3; i++)
        close(fds[i]);
    exec_cmd((char **)argv, st->app_nofile, st->prog);
}

static void run_session(struct init_state *st, const struct sandbox_exec_head *h, const char *blob,
                        size_t len, const int *fds)
{
    static const char *argv[SANDBOX_EXEC_ARGC_MAX + 1];
    int slot = -1;
    for (int i = 0; i < SANDBOX_EXEC_SESSIONS && slot < 0; i++)
        if (st->sess[i].pid == 0)
            slot = i;
    if (sandbox_exec_argv(blob, len, argv, sizeof(argv) / sizeof(argv[0])) < 0 || slot < 0) {
        dprintf(fds[2], "torgate: exec: the sandbox refused the command (%s)\n",
                slot < 0 ? "too many at once" : "a malformed command line");
        tell_gateway(st, SANDBOX_EXEC_EXITED, h->id, TG_EXIT_FAILURE);
        return;
    }
    pid_t pid = fork();
    if (pid == 0)
        exec_session(fds, h->value, argv, st);
    if (pid < 0) {
        dprintf(fds[2], "torgate: exec: cannot start the command in the sandbox: %s\n", strerror(errno));
        tell_gateway(st, SANDBOX_EXEC_EXITED, h->id, TG_EXIT_FAILURE);
        return;
    }
    st->sess[slot].id = h->id;
    st->sess[slot].pid = pid;
}

/* One message from the gateway. */
static void read_gateway(struct init_state *st)
{
    static uint8_t msg[SANDBOX_EXEC_HEAD + SANDBOX_EXEC_ARGV_MAX];
    int fds[FDPASS_MAX], nfds = 0;
    ssize_t n = fdpass_recvv(st->ctl, msg, sizeof(msg), fds, 3, &nfds);
    if (n < 0 && (errno == EAGAIN || errno == EINTR))
        return;
    struct sandbox_exec_head h;
    if (n <= 0) {
        if (n < 0)
            log_debug("sandbox: torgate exec: cannot read the gateway: %s", strerror(errno));
        close(st->ctl);              /* gone, or gone wrong: no more exec */
        st->ctl = -1;
    } else if (sandbox_exec_head(msg, (size_t)n, &h) == 0 && h.tag == SANDBOX_EXEC_RUN && nfds == 3) {
        run_session(st, &h, (const char *)msg + SANDBOX_EXEC_HEAD, (size_t)n - SANDBOX_EXEC_HEAD, fds);
    } else if (sandbox_exec_head(msg, (size_t)n, &h) == 0 && h.tag == SANDBOX_EXEC_SIGNAL && nfds == 0) {
        for (int i = 0; i < SANDBOX_EXEC_SESSIONS; i++)
            if (st->sess[i].pid > 0 && st->sess[i].id == h.id)
                (void)kill(st->sess[i].pid, h.value);
    } else {
        log_debug("sandbox: torgate exec: a malformed message from the gateway, dropped");
    }
    for (int i = 0; i < nfds; i++)
        close(fds[i]);
}

/* A child was reaped: one of torgate exec's, the gateway hears of it. */
static void reaped(struct init_state *st, pid_t pid, int wstatus)
{
    for (int i = 0; i < SANDBOX_EXEC_SESSIONS; i++)
        if (st->sess[i].pid == pid) {
            tell_gateway(st, SANDBOX_EXEC_EXITED, st->sess[i].id, sandbox_init_exit_code(wstatus));
            st->sess[i].pid = 0;
        }
}

int sandbox_init_run(char **cmd, const struct rlimit *app_nofile, int cookie,
                     const struct seccomp_policy *policy, int ctl)
{
    sigset_t set;
    sandbox_init_signals(&set);
    sigaddset(&set, SIGCHLD);
    /* Handlers, not SIG_DFL: PID 1 would discard a default-action signal
     * from the gateway before the signalfd could see it. */
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = noop_handler;
    for (int sig = 1; sig < NSIG; sig++)
        if (sigismember(&set, sig))
            (void)sigaction(sig, &sa, NULL);
    (void)sigprocmask(SIG_BLOCK, &set, NULL);

    /* PID 1 shares the command's uid: it must be no way around the
     * command's confinement. Not dumpable (no ptrace, no /proc/1/fd), the
     * tty filter, and no fd beyond 0-2 but the gateway's socket (fd 3,
     * close-on-exec). The policy's filter is for the command (PID 1 runs
     * none of its code); only in audit mode does PID 1 load it, see
     * prepare_policy(). */
    /* The thread that answers the command's seccomp notifications is
     * started before the capabilities go: it keeps CAP_SYS_PTRACE in the
     * sandbox's user namespace (and nothing else, seccomp_notify.c), so
     * that it can take the socket of a command that made itself
     * non-dumpable. */
    if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0 ||
        (ctl != 3 && dup3(ctl, 3, O_CLOEXEC) != 3) ||
        syscall(SYS_close_range, 4u, ~0u, 0u) != 0 ||
        fcntl(3, F_SETFL, O_NONBLOCK) != 0 ||
        seccomp_notify_start(policy->audit && policy->nrules > 0) != 0 ||
        drop_caps() != 0 || seccomp_app_deny_tty() != 0) {
        log_error("cannot confine the sandbox's init: %s; refusing to run the command "
                  "(torgate needs Linux 5.11 or later with seccomp)", strerror(errno));
        return TG_EXIT_FAILURE;
    }
    int sfd = signalfd(-1, &set, SFD_CLOEXEC);
    if (sfd < 0) {
        log_error("cannot read the sandbox's signals (signalfd): %s; refusing to run the command",
                  strerror(errno));
        return TG_EXIT_FAILURE;
    }

    struct sock_fprog prog;
    if (prepare_policy(policy, &prog) != 0)
        return TG_EXIT_FAILURE;
    struct init_state st = { .ctl = 3, .app_nofile = app_nofile, .prog = &prog };

    pid_t child = fork();
    if (child < 0) {
        log_error("cannot start the command in the sandbox (fork): %s", strerror(errno));
        free(prog.filter);
        return TG_EXIT_FAILURE;
    }
    if (child == 0)
        exec_cmd(cmd, app_nofile, &prog);

    for (;;) {
        struct pollfd pf[2] = { { .fd = sfd, .events = POLLIN }, { .fd = st.ctl, .events = POLLIN } };
        if (poll(pf, st.ctl >= 0 ? 2 : 1, -1) < 0)
            continue;
        if (st.ctl >= 0 && (pf[1].revents & (POLLIN | POLLHUP | POLLERR)))
            read_gateway(&st);
        struct signalfd_siginfo si;
        if (!(pf[0].revents & POLLIN) || read(sfd, &si, sizeof(si)) != (ssize_t)sizeof(si))
            continue;
        int sig = (int)si.ssi_signo;
        if (sig == SIGCHLD) {
            int wst;
            pid_t w;
            while ((w = waitpid(-1, &wst, WNOHANG)) > 0) {
                if (w == child) {
                    if (policy->audit && policy->nrules > 0)
                        seccomp_audit_report();
                    free(prog.filter);
                    return sandbox_init_exit_code(wst);
                }
                reaped(&st, w, wst);
            }
            continue;
        }
        /* What the gateway forwards; and what is sent to PID 1 itself
         * from outside the sandbox (si_pid 0: no pid in this namespace),
         * as the gateway would forward it. A terminal's signals reach CMD
         * directly already, and nothing inside may steer PID 1. */
        int outside = si.ssi_code == SI_USER && si.ssi_pid == 0 &&
                      (sig == SIGTERM || sig == SIGINT || sig == SIGHUP);
        if ((si.ssi_code == SI_QUEUE && si.ssi_int == cookie) || outside)
            (void)kill(child, sig);
    }
}
