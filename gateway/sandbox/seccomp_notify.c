/* The thread of the sandbox's PID 1 that answers the command's seccomp
 * user notifications: connect(2), always (the connect broker,
 * unix_broker.c), and, in audit mode, the calls the policy matches
 * (seccomp_audit.c).
 *
 * It is created before PID 1 loads the filter, so the filter does not
 * apply to it (nor to the threads it starts): it never waits on itself;
 * and before PID 1 drops its capabilities, keeping CAP_SYS_PTRACE.
 * Only one filter in a process's chain may have a listener, so audit mode's
 * policy and the broker share one filter, and this one thread. */
#define _GNU_SOURCE
#include "sandbox/seccomp_notify.h"
#include "base/log.h"
#include "sandbox/seccomp_audit.h"
#include "sandbox/unix_broker.h"

#include <errno.h>
#include <linux/capability.h>
#include <linux/audit.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <time.h>

#define WAITING (-2)
#define X32_BIT 0x40000000

static _Atomic int listener = WAITING;
static int auditing;

static int is_connect(const struct seccomp_notif *req)
{
    return req->data.arch == AUDIT_ARCH_X86_64 && (req->data.nr & ~X32_BIT) == __NR_connect;
}

static void let_through(int fd, const struct seccomp_notif *req)
{
    struct seccomp_notif_resp resp;
    memset(&resp, 0, sizeof(resp));
    resp.id = req->id;
    if (auditing)
        resp.flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
    else
        resp.error = -ENOSYS;       /* nothing else is ever sent here */
    if (ioctl(fd, SECCOMP_IOCTL_NOTIF_SEND, &resp) != 0 && errno != ENOENT)
        log_warn("seccomp: cannot answer a call of the command: %s", strerror(errno));
}

/* This thread keeps CAP_SYS_PTRACE alone (in the sandbox's user
 * namespace, so over the sandbox's processes only): pidfd_getfd() and
 * /proc/PID/mem need it for a command that made itself non-dumpable. */
static int keep_ptrace_only(void)
{
    struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
    struct __user_cap_data_struct data[2];
    memset(data, 0, sizeof(data));
    data[CAP_TO_INDEX(CAP_SYS_PTRACE)].effective = CAP_TO_MASK(CAP_SYS_PTRACE);
    data[CAP_TO_INDEX(CAP_SYS_PTRACE)].permitted = CAP_TO_MASK(CAP_SYS_PTRACE);
    return (int)syscall(SYS_capset, &hdr, data);
}

static void *run(void *arg)
{
    (void)arg;
    if (keep_ptrace_only() != 0) {
        /* Without it, only a non-dumpable command's connects fail. */
        log_debug("seccomp: the notification thread cannot set its capabilities: %s", strerror(errno));
    }
    const struct timespec ms = { 0, 1000000 };
    int fd;
    /* No futex or pipe to wait on: waking it would be a syscall of the
     * filtered thread, which could itself need an answer from here. */
    while ((fd = atomic_load(&listener)) == WAITING)
        (void)nanosleep(&ms, NULL);
    if (fd < 0)
        return NULL;
    for (;;) {
        struct pollfd pfd = { .fd = fd, .events = POLLIN };
        if (poll(&pfd, 1, -1) < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        if (!(pfd.revents & POLLIN)) {
            if (pfd.revents & (POLLHUP | POLLERR | POLLNVAL))
                break;      /* every filtered task is gone */
            continue;
        }
        struct seccomp_notif req;
        memset(&req, 0, sizeof(req));
        if (ioctl(fd, SECCOMP_IOCTL_NOTIF_RECV, &req) != 0) {
            if (errno == EINTR || errno == ENOENT)
                continue;   /* the caller died or was signalled meanwhile */
            log_error("seccomp: cannot read the command's notifications: %s; its connect() "
                      "calls now fail with ENOSYS", strerror(errno));
            break;
        }
        if (is_connect(&req)) {
            unix_broker_connect(fd, &req);
            continue;
        }
        seccomp_audit_call(&req);
        let_through(fd, &req);
    }
    return NULL;
}

int seccomp_notify_start(int audit)
{
    auditing = audit;
    pthread_attr_t attr;
    pthread_t t;
    sigset_t all, old;
    int rc = pthread_attr_init(&attr);
    if (rc == 0)
        rc = pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    /* Signals stay with PID 1's main thread, which waits for them. */
    sigfillset(&all);
    if (rc == 0)
        rc = pthread_sigmask(SIG_BLOCK, &all, &old);
    if (rc == 0) {
        rc = pthread_create(&t, &attr, run, NULL);
        int rc2 = pthread_sigmask(SIG_SETMASK, &old, NULL);
        if (rc == 0)
            rc = rc2;
    }
    (void)pthread_attr_destroy(&attr);
    if (rc != 0) {
        errno = rc;
        return -1;
    }
    return 0;
}

void seccomp_notify_attach(int fd)
{
    atomic_store(&listener, fd < 0 ? -1 : fd);
}
