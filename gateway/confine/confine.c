/* The gateway confines itself (see confine.h). Two layers, each useful
 * without the other: Landlock says which files and TCP ports, seccomp
 * which system calls. Debian 12's kernel headers predate Landlock's TCP
 * rules and scoping, so their constants are defined here; the kernel's
 * ABI version, not the headers, decides what is used. */
#define _GNU_SOURCE
#include "confine/confine.h"
#include "base/log.h"
#include "config/addr.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/landlock.h>
#include <netinet/in.h>
#include <seccomp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef LANDLOCK_ACCESS_FS_TRUNCATE
#define LANDLOCK_ACCESS_FS_TRUNCATE (1ULL << 14)
#endif
#ifndef LANDLOCK_ACCESS_FS_IOCTL_DEV
#define LANDLOCK_ACCESS_FS_IOCTL_DEV (1ULL << 15)
#endif
#define TG_LL_NET_BIND_TCP           (1ULL << 0)
#define TG_LL_NET_CONNECT_TCP        (1ULL << 1)
#define TG_LL_SCOPE_ABSTRACT_UNIX    (1ULL << 0)
#define TG_LL_RULE_NET_PORT          2

/* The kernel takes the attribute's size as its version: a shorter struct
 * is an older ABI. */
struct tg_ll_ruleset_attr {
    uint64_t handled_access_fs;
    uint64_t handled_access_net;     /* ABI 4 */
    uint64_t scoped;                 /* ABI 6 */
};
struct tg_ll_net_port_attr {
    uint64_t allowed_access;
    uint64_t port;
};

static long ll_create(const struct tg_ll_ruleset_attr *a, size_t size, uint32_t flags)
{
    return syscall(SYS_landlock_create_ruleset, a, size, flags);
}

/* Every filesystem right this ABI knows: handled and granted nowhere. */
static uint64_t ll_fs_rights(int abi)
{
    uint64_t r = (LANDLOCK_ACCESS_FS_MAKE_SYM << 1) - 1;     /* ABI 1 */
    if (abi >= 2)
        r |= LANDLOCK_ACCESS_FS_REFER;
    if (abi >= 3)
        r |= LANDLOCK_ACCESS_FS_TRUNCATE;
    if (abi >= 5)
        r |= LANDLOCK_ACCESS_FS_IOCTL_DEV;
    return r;
}

#if defined(__SANITIZE_ADDRESS__)
/* Test builds only: LeakSanitizer reads /proc/self/maps and
 * /proc/self/task at exit. */
static int ll_allow_proc(int rs)
{
    struct landlock_path_beneath_attr pb = {
        .allowed_access = LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_READ_DIR,
    };
    pb.parent_fd = open("/proc", O_PATH | O_CLOEXEC | O_DIRECTORY);
    if (pb.parent_fd < 0)
        return -1;
    long r = syscall(SYS_landlock_add_rule, rs, LANDLOCK_RULE_PATH_BENEATH, &pb, 0);
    close(pb.parent_fd);
    return r == 0 ? 0 : -1;
}
#endif

/* The control socket's directory (control.c): the one place where the
 * confined gateway may do anything to files, remove its own socket. */
static char ll_control_dir[108];
static int unlink_denied;            /* the loaded filter traps unlink() */

int confine_unlink_allowed(void)
{
    return !unlink_denied;
}

void confine_set_control_dir(const char *dir)
{
    snprintf(ll_control_dir, sizeof(ll_control_dir), "%s", dir != NULL ? dir : "");
}

static int ll_allow_control_dir(int rs)
{
    if (ll_control_dir[0] == '\0')
        return 0;
    struct landlock_path_beneath_attr pb = { .allowed_access = LANDLOCK_ACCESS_FS_REMOVE_FILE };
    pb.parent_fd = open(ll_control_dir, O_PATH | O_CLOEXEC | O_DIRECTORY);
    if (pb.parent_fd < 0)
        return -1;
    long r = syscall(SYS_landlock_add_rule, rs, LANDLOCK_RULE_PATH_BENEATH, &pb, 0);
    close(pb.parent_fd);
    return r == 0 ? 0 : -1;
}


/* A ruleset that handles every right this kernel's Landlock knows (files,
 * TCP, abstract unix sockets) and grants none yet: the fd, or -1 with err
 * set; 0 (no fd, *abi 0) when the kernel has no Landlock. */
static int ll_ruleset(long *abi_out, char *err, size_t errlen)
{
    *abi_out = 0;
    long abi = ll_create(NULL, 0, LANDLOCK_CREATE_RULESET_VERSION);
    if (abi < 0) {
        if (errno == ENOSYS || errno == EOPNOTSUPP) {
            log_info("confinement: this kernel has no Landlock (%s; Linux 5.13+ with lsm=landlock); "
                     "torgate relies on its seccomp filters alone",
                     errno == ENOSYS ? "not built in" : "disabled at boot");
            return 0;
        }
        snprintf(err, errlen, "cannot query Landlock: %s", strerror(errno));
        return -1;
    }
    *abi_out = abi;
    struct tg_ll_ruleset_attr attr = { .handled_access_fs = ll_fs_rights((int)abi) };
    size_t size = sizeof(attr.handled_access_fs);
    if (abi >= 4) {
        attr.handled_access_net = TG_LL_NET_BIND_TCP | TG_LL_NET_CONNECT_TCP;
        size = offsetof(struct tg_ll_ruleset_attr, scoped);
    }
    if (abi >= 6) {
        attr.scoped = TG_LL_SCOPE_ABSTRACT_UNIX;
        size = sizeof(attr);
    }
    int rs = (int)ll_create(&attr, size, 0);
    if (rs < 0)
        snprintf(err, errlen, "cannot create a Landlock ruleset (ABI %ld): %s", abi, strerror(errno));
    return rs;
}

static int landlock_apply(const struct tg_config *cfg, struct confine_status *st,
                          char *err, size_t errlen)
{
    long abi;
    int rs = ll_ruleset(&abi, err, errlen);
    if (rs <= 0)
        return rs;
    st->landlock_abi = (int)abi;
    int rc = 0;
    if (abi >= 4) {
        struct tg_ll_net_port_attr np = { .allowed_access = TG_LL_NET_CONNECT_TCP,
                                          .port = addr_port(&cfg->socks_addr) };
        if (syscall(SYS_landlock_add_rule, rs, TG_LL_RULE_NET_PORT, &np, 0) != 0) {
            snprintf(err, errlen, "cannot allow TCP to Tor's port %u in Landlock: %s",
                     (unsigned)np.port, strerror(errno));
            rc = -1;
        }
        /* --expose: the host ports the user chose, and no other. */
        for (int i = 0; rc == 0 && i < cfg->nexpose; i++) {
            np.port = cfg->expose[i].host_port;
            if (syscall(SYS_landlock_add_rule, rs, TG_LL_RULE_NET_PORT, &np, 0) != 0) {
                snprintf(err, errlen, "cannot allow TCP to --expose port %u in Landlock: %s",
                         (unsigned)np.port, strerror(errno));
                rc = -1;
            }
        }
    }
    if (rc == 0 && ll_allow_control_dir(rs) != 0) {
        snprintf(err, errlen, "cannot let the gateway remove its control socket under Landlock: %s",
                 strerror(errno));
        rc = -1;
    }
#if defined(__SANITIZE_ADDRESS__)
    if (rc == 0 && ll_allow_proc(rs) != 0) {
        snprintf(err, errlen, "cannot let the sanitizer read /proc under Landlock: %s", strerror(errno));
        rc = -1;
    }
#endif
    if (rc == 0 && syscall(SYS_landlock_restrict_self, rs, 0) != 0) {
        snprintf(err, errlen, "cannot enforce the Landlock ruleset: %s", strerror(errno));
        rc = -1;
    }
    close(rs);
    if (rc != 0)
        return -1;
    st->fs_closed = 1;
    st->net_closed = abi >= 4;
    st->abstract_scoped = abi >= 6;
    if (abi < 4)
        log_info("confinement: Landlock ABI %ld has no TCP rules (ABI 4, Linux 6.7): the gateway's "
                 "connections are limited by seccomp to TCP, not to Tor's port", abi);
    else if (abi < 6)
        log_info("confinement: Landlock ABI %ld cannot scope abstract unix sockets (ABI 6, "
                 "Linux 6.12); seccomp still refuses unix sockets", abi);
    return 0;
}

/* ---- seccomp --------------------------------------------------------- */

/* A syscall outside the list is a bug in torgate or a takeover; either
 * way the gateway stops, which ends the sandbox's network (fail closed).
 * Only async-signal-safe calls here. */
static void on_sigsys(int sig, siginfo_t *si, void *uc)
{
    (void)sig;
    (void)uc;
    /* Number -1 is what a tracer writes to skip a call and fail it
     * (strace -e inject, the fault tests): the kernel runs the filter after
     * the tracer. Only a tracer can do that, and a tracer already owns the
     * process; the value it set is the call's result, so carry on. */
    if (si->si_syscall == -1)
        return;
    char msg[200] = "torgate: error: the gateway or its relay made system call ";
    size_t len = strlen(msg);
    char num[12];
    int n = 0;
    unsigned v = (unsigned)si->si_syscall;
    do
        num[n++] = (char)('0' + v % 10);
    while ((v /= 10) != 0 && n < (int)sizeof(num));
    while (n > 0)
        msg[len++] = num[--n];
    static const char tail[] = ", which its seccomp filter forbids; stopping (the command loses its "
                               "network). This is a torgate bug: please report it (scmp_sys_resolver "
                               "names the call)\n";
    size_t room = sizeof(msg) - len;
    size_t t = sizeof(tail) - 1 < room ? sizeof(tail) - 1 : room;
    memcpy(msg + len, tail, t);
    ssize_t w = write(STDERR_FILENO, msg, len + t);
    (void)w;
    _exit(TG_EXIT_FAILURE);
}

/* What the event loop calls after setup: libevent's epoll backend and
 * buffers, lwIP's memory, the SOCKS sockets, signals, and reaping the
 * sandbox. Found with strace over the test suites; the filter's own tests
 * run every path. */
static const int allowed[] = {
    SCMP_SYS(read), SCMP_SYS(readv), SCMP_SYS(write), SCMP_SYS(writev), SCMP_SYS(close),
    SCMP_SYS(recvfrom), SCMP_SYS(recvmsg), SCMP_SYS(sendto), SCMP_SYS(sendmsg),
    SCMP_SYS(connect), SCMP_SYS(shutdown), SCMP_SYS(getsockopt), SCMP_SYS(setsockopt),
    SCMP_SYS(accept4), SCMP_SYS(geteuid),   /* the control socket */
    SCMP_SYS(getsockname), SCMP_SYS(getpeername),
    SCMP_SYS(epoll_wait), SCMP_SYS(epoll_pwait), SCMP_SYS(epoll_ctl),
    SCMP_SYS(wait4), SCMP_SYS(waitid),
    SCMP_SYS(rt_sigprocmask), SCMP_SYS(rt_sigreturn), SCMP_SYS(restart_syscall),
    SCMP_SYS(getpid), SCMP_SYS(gettid), SCMP_SYS(getuid),
    SCMP_SYS(clock_gettime), SCMP_SYS(clock_getres), SCMP_SYS(gettimeofday),
    SCMP_SYS(brk), SCMP_SYS(munmap), SCMP_SYS(mremap), SCMP_SYS(madvise),
    SCMP_SYS(futex), SCMP_SYS(getrandom),
    SCMP_SYS(exit), SCMP_SYS(exit_group),
};

#if defined(__SANITIZE_ADDRESS__)
/* Test builds: what ASan/UBSan reports and LeakSanitizer's exit-time
 * scan (a ptrace-attached helper thread) need. */
static const int sanitizer_allowed[] = {
    SCMP_SYS(mmap), SCMP_SYS(mprotect), SCMP_SYS(clone), SCMP_SYS(ptrace),
    SCMP_SYS(open), SCMP_SYS(openat), SCMP_SYS(readlink), SCMP_SYS(getdents),
    SCMP_SYS(getdents64), SCMP_SYS(lseek),
    SCMP_SYS(newfstatat), SCMP_SYS(fstat), SCMP_SYS(sched_yield), SCMP_SYS(prctl),
    SCMP_SYS(sigaltstack), SCMP_SYS(rt_sigaction), SCMP_SYS(tgkill), SCMP_SYS(kill),
    SCMP_SYS(getppid), SCMP_SYS(sched_getaffinity), SCMP_SYS(nanosleep),
    SCMP_SYS(clock_nanosleep), SCMP_SYS(process_vm_readv), SCMP_SYS(pipe2),
    SCMP_SYS(getrlimit), SCMP_SYS(prlimit64), SCMP_SYS(set_robust_list), SCMP_SYS(rseq),
};
#endif

/* The lists, and memory that is never executable: no new code can be
 * mapped in. libseccomp's status. */
static int add_list(scmp_filter_ctx ctx, const int *list, size_t n)
{
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < n; i++)
        rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, list[i], 0);
#if defined(__SANITIZE_ADDRESS__)
    for (size_t i = 0; rc == 0 && i < sizeof(sanitizer_allowed) / sizeof(sanitizer_allowed[0]); i++)
        rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, sanitizer_allowed[i], 0);
#endif
    return rc;
}

static int add_memory_rules(scmp_filter_ctx ctx)
{
    int rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(mmap), 1,
                              SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0));
    if (rc == 0)
        rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(mprotect), 1,
                              SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0));
    return rc;
}

/* A filter whose default is SIGSYS, caught (on_sigsys), or NULL with err. */
static scmp_filter_ctx sc_new(char *err, size_t errlen)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_sigaction = on_sigsys;
    sa.sa_flags = SA_SIGINFO;
    if (sigaction(SIGSYS, &sa, NULL) != 0) {
        snprintf(err, errlen, "cannot catch SIGSYS: %s", strerror(errno));
        return NULL;
    }
    scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_TRAP);
    if (ctx == NULL)
        snprintf(err, errlen, "cannot create a seccomp filter (libseccomp)");
    return ctx;
}

/* Rules with argument checks; each returns libseccomp's status. */
static int add_arg_rules(scmp_filter_ctx ctx, const struct tg_config *cfg, pid_t child, pid_t self)
{
    int rc = 0;
    const unsigned long flags = SOCK_NONBLOCK | SOCK_CLOEXEC;
    /* New sockets: TCP of the SOCKS address's family only. No unix,
     * netlink, packet or UDP socket ever again. */
    /* The protocol too: SCTP and MPTCP also come as SOCK_STREAM, and
     * Landlock's port rule binds only TCP. */
    int fam = cfg->socks_addr.ss_family == AF_INET6 ? AF_INET6 : AF_INET;
    static const int protos[] = { 0, IPPROTO_TCP };
    for (size_t i = 0; rc == 0 && i < sizeof(protos) / sizeof(protos[0]); i++)
        rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(socket), 3,
                              SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)fam),
                              SCMP_A1(SCMP_CMP_MASKED_EQ, ~flags & 0xffffffffu, SOCK_STREAM),
                              SCMP_A2(SCMP_CMP_EQ, (scmp_datum_t)protos[i]));
    /* --expose connects to the host's 127.0.0.1. */
    for (size_t i = 0; rc == 0 && cfg->nexpose > 0 && fam != AF_INET && i < 2; i++)
        rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(socket), 3,
                              SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)AF_INET),
                              SCMP_A1(SCMP_CMP_MASKED_EQ, ~flags & 0xffffffffu, SOCK_STREAM),
                              SCMP_A2(SCMP_CMP_EQ, (scmp_datum_t)protos[i]));
    /* Non-blocking mode and FD_CLOEXEC, and the bytes waiting on a socket. */
    static const int fcntl_ops[] = { F_GETFL, F_SETFL, F_GETFD, F_SETFD };
    for (size_t i = 0; rc == 0 && i < sizeof(fcntl_ops) / sizeof(fcntl_ops[0]); i++)
        rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(fcntl), 1,
                              SCMP_A1(SCMP_CMP_EQ, (scmp_datum_t)fcntl_ops[i]));
    static const unsigned long ioctls[] = { FIONREAD, FIONBIO };
    for (size_t i = 0; rc == 0 && i < sizeof(ioctls) / sizeof(ioctls[0]); i++)
        rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(ioctl), 1,
                              SCMP_A1(SCMP_CMP_MASKED_EQ, 0xffffffffu, ioctls[i]));
    if (rc == 0)
        rc = add_memory_rules(ctx);
    /* Signals: to the sandbox (forwarding, and killing it on the way
     * out) and to itself (abort). */
    if (rc == 0 && child > 0) {
        rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(kill), 1,
                              SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)child));
        if (rc == 0)
            rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(rt_sigqueueinfo), 1,
                                  SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)child));
    }
    if (rc == 0)
        rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(tgkill), 1,
                              SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)self));
#if !defined(__SANITIZE_ADDRESS__)
    /* A file open can only come from libc's message catalogs (strerror
     * under a non-English locale): an error, not a kill, and English. */
    if (rc == 0)
        rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EACCES), SCMP_SYS(openat), 0);
    if (rc == 0)
        rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EACCES), SCMP_SYS(open), 0);
#endif
    return rc;
}

static int seccomp_apply(const struct tg_config *cfg, pid_t child, struct confine_status *st,
                         char *err, size_t errlen)
{
    scmp_filter_ctx ctx = sc_new(err, errlen);
    if (ctx == NULL)
        return -1;
    int rc = add_list(ctx, allowed, sizeof(allowed) / sizeof(allowed[0]));
    if (rc == 0)
        rc = add_arg_rules(ctx, cfg, child, getpid());
    /* Removing its control socket at the end, only where Landlock bounds
     * that to the socket's directory; elsewhere the socket stays, and the
     * next torgate or `torgate ls` finds it stale and removes it. */
    int may_unlink = st->fs_closed && ll_control_dir[0] != '\0';
    if (rc == 0 && may_unlink)
        rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(unlink), 0);
    if (rc == 0)
        rc = seccomp_load(ctx);
    if (rc == 0 && !may_unlink)
        unlink_denied = 1;
    seccomp_release(ctx);
    if (rc != 0) {
        if (rc == -EINVAL && prctl(PR_GET_SECCOMP, 0, 0, 0, 0) < 0 && errno == EINVAL) {
            log_info("confinement: this kernel has no seccomp; the gateway's system calls are "
                     "not filtered");
            return 0;
        }
        snprintf(err, errlen, "cannot load the gateway's seccomp filter: %s", strerror(-rc));
        return -1;
    }
    st->seccomp = 1;
    return 0;
}

int confine_gateway(const struct tg_config *cfg, unsigned layers, pid_t child,
                    struct confine_status *st, char *err, size_t errlen)
{
    memset(st, 0, sizeof(*st));
    /* Landlock needs it, and a confined process must not gain privilege
     * by exec either (it cannot exec, but belt and braces). */
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
        snprintf(err, errlen, "cannot set no_new_privs on the gateway: %s", strerror(errno));
        return -1;
    }
    if ((layers & CONFINE_LANDLOCK) && landlock_apply(cfg, st, err, errlen) != 0)
        return -1;
    if ((layers & CONFINE_SECCOMP) && seccomp_apply(cfg, child, st, err, errlen) != 0)
        return -1;
    log_info("gateway confined: %s%s%s%s; %s", st->fs_closed ? "no filesystem access" : "filesystem open",
             st->net_closed ? ", TCP connect only to Tor's port" : "",
             st->net_closed && cfg->nexpose > 0 ? " and the --expose ports" : "",
             st->abstract_scoped ? ", no abstract unix sockets" : "",
             st->seccomp ? "seccomp allow-list loaded" : "no seccomp");
    return 0;
}

/* ---- a relay --------------------------------------------------------- */

/* What a relay's poll loop calls: accepting from the sandbox, connecting
 * to the one server it serves, the bytes between, memory, its log. */
static const int relay_allowed[] = {
    SCMP_SYS(read), SCMP_SYS(write), SCMP_SYS(close), SCMP_SYS(poll), SCMP_SYS(ppoll),
    SCMP_SYS(accept4), SCMP_SYS(connect), SCMP_SYS(brk), SCMP_SYS(munmap), SCMP_SYS(mremap),
    SCMP_SYS(madvise), SCMP_SYS(futex), SCMP_SYS(clock_gettime), SCMP_SYS(getpid),
    SCMP_SYS(rt_sigreturn), SCMP_SYS(restart_syscall), SCMP_SYS(exit), SCMP_SYS(exit_group),
};

int confine_relay(char *err, size_t errlen)
{
    long abi;
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
        snprintf(err, errlen, "cannot set no_new_privs: %s", strerror(errno));
        return -1;
    }
    int rs = ll_ruleset(&abi, err, errlen);
    if (rs < 0)
        return -1;
    if (rs > 0) {
        long r = syscall(SYS_landlock_restrict_self, rs, 0);
        close(rs);
        if (r != 0) {
            snprintf(err, errlen, "cannot enforce the Landlock ruleset: %s", strerror(errno));
            return -1;
        }
    }
    scmp_filter_ctx ctx = sc_new(err, errlen);
    if (ctx == NULL)
        return -1;
    int rc = add_list(ctx, relay_allowed, sizeof(relay_allowed) / sizeof(relay_allowed[0]));
    if (rc == 0)
        rc = add_memory_rules(ctx);
    /* Unix stream sockets only: the server is a pathname socket. */
    if (rc == 0)
        rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(socket), 3,
                              SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)AF_UNIX),
                              SCMP_A1(SCMP_CMP_MASKED_EQ, ~(unsigned long)(SOCK_NONBLOCK | SOCK_CLOEXEC)
                                      & 0xffffffffu, SOCK_STREAM),
                              SCMP_A2(SCMP_CMP_EQ, 0));
    if (rc == 0)
        rc = seccomp_load(ctx);
    seccomp_release(ctx);
    if (rc != 0 && !(rc == -EINVAL && prctl(PR_GET_SECCOMP, 0, 0, 0, 0) < 0 && errno == EINVAL)) {
        snprintf(err, errlen, "cannot load a seccomp filter: %s", strerror(-rc));
        return -1;
    }
    return 0;
}
