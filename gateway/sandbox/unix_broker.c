/* The connect() broker: every connect(2) of the command stops in the
 * kernel (seccomp user notification) and is made here, by the sandbox's
 * PID 1, on the command's own socket (pidfd_getfd), with the address read
 * once from the command's memory. A unix socket found by path is reached
 * only when it is
 *   - one the sandbox itself listens on (bound in the sandbox's network
 *     namespace: NETLINK_SOCK_DIAG lists them, with their file's device
 *     and inode), or
 *   - one shared by name (--socket; sandbox_ipc.c registers it);
 * any other is a host program's (in the home directory, say: an ssh
 * ControlMaster, dirmngr, an editor's server) and is refused with EACCES.
 *
 * Why made here, and not let through (SECCOMP_USER_NOTIF_FLAG_CONTINUE)
 * after a look: between the look and the kernel's own reading, another
 * thread of the command could put a unix socket at that fd number and a
 * host socket's path at that address. Here the path is opened once
 * (O_PATH) and connected through /proc/self/fd/N, so what was checked is
 * exactly what is connected; and every family goes through here, since the
 * socket's family is known only from the fd, which can change too.
 *
 * A connect that may block (a blocking socket) runs in a thread of its own,
 * so one slow connection holds up no other; at most MAX_WORKERS at once. */
#define _GNU_SOURCE
#include "sandbox/unix_broker.h"
#include "base/log.h"
#include "config/config.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/seccomp.h>
#include <linux/sock_diag.h>
#include <linux/unix_diag.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>

#define MAX_SHARED 16
#define MAX_WORKERS 256
#ifndef PIDFD_THREAD
#define PIDFD_THREAD O_EXCL
#endif

static struct { dev_t dev; ino_t ino; } shared[MAX_SHARED];
static int nshared;
static _Atomic int workers;
static struct log_limit refused_limit;
static pthread_mutex_t refused_lock = PTHREAD_MUTEX_INITIALIZER;

void unix_broker_allow(dev_t dev, ino_t ino)
{
    if (nshared < MAX_SHARED) {
        shared[nshared].dev = dev;
        shared[nshared].ino = ino;
        nshared++;
    }
}

/* One connect to make: what was read from the command, and where to answer. */
struct job {
    int listener;
    __u64 id;
    pid_t pid;
    int sock;                      /* the command's socket, duplicated here */
    struct sockaddr_storage addr;  /* as the command gave it, read once */
    socklen_t len;
};

static void answer(int listener, __u64 id, long val, int err)
{
    struct seccomp_notif_resp resp;
    memset(&resp, 0, sizeof(resp));
    resp.id = id;
    resp.val = val;
    resp.error = err != 0 ? -err : 0;
    if (ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, &resp) != 0 && errno != ENOENT)
        log_warn("connect broker: cannot answer the command: %s", strerror(errno));
}

static int still_valid(int listener, __u64 id)
{
    __u64 v = id;
    return ioctl(listener, SECCOMP_IOCTL_NOTIF_ID_VALID, &v) == 0;
}

/* The kernel's dev_t (major << 20 | minor), as sock_diag gives it. */
static int same_dev(__u32 kdev, dev_t dev)
{
    return (kdev >> 20) == major(dev) && (kdev & 0xfffff) == minor(dev);
}

/* Whether a socket of the sandbox's own network namespace is bound to the
 * file dev:ino: then a program inside listens there. 1, 0, or -1 when it
 * cannot be told (refused then). */
static int bound_inside(dev_t dev, ino_t ino)
{
    int nl = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
    if (nl < 0)
        return -1;
    struct {
        struct nlmsghdr nlh;
        struct unix_diag_req req;
    } msg = {
        .nlh = { .nlmsg_len = sizeof(msg), .nlmsg_type = SOCK_DIAG_BY_FAMILY,
                 .nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP },
        .req = { .sdiag_family = AF_UNIX, .udiag_states = ~0u, .udiag_show = UDIAG_SHOW_VFS },
    };
    int found = -1;
    if (send(nl, &msg, sizeof(msg), 0) != (ssize_t)sizeof(msg))
        goto out;
    for (;;) {
        static _Thread_local char buf[16384] __attribute__((aligned(NLMSG_ALIGNTO)));
        ssize_t n = recv(nl, buf, sizeof(buf), 0);
        if (n <= 0)
            goto out;
        for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, (size_t)n); h = NLMSG_NEXT(h, n)) {
            if (h->nlmsg_type == NLMSG_DONE) {
                found = found == 1 ? 1 : 0;
                goto out;
            }
            if (h->nlmsg_type == NLMSG_ERROR)
                goto out;
            struct unix_diag_msg *m = NLMSG_DATA(h);
            int left = (int)(h->nlmsg_len - NLMSG_LENGTH(sizeof(*m)));
            for (struct rtattr *a = (struct rtattr *)(m + 1); RTA_OK(a, left); a = RTA_NEXT(a, left)) {
                if (a->rta_type != UNIX_DIAG_VFS || RTA_PAYLOAD(a) < sizeof(struct unix_diag_vfs))
                    continue;
                const struct unix_diag_vfs *v = RTA_DATA(a);
                if (v->udiag_vfs_ino == ino && same_dev(v->udiag_vfs_dev, dev))
                    found = 1;
            }
        }
    }
out:
    close(nl);
    return found;
}

/* The path in a sockaddr_un, NUL-terminated; 0, or -1 if there is none
 * (unnamed or abstract: those belong to the sandbox's network namespace). */
static int path_of(const struct job *j, char *path, size_t len)
{
    const struct sockaddr_un *un = (const struct sockaddr_un *)&j->addr;
    size_t off = offsetof(struct sockaddr_un, sun_path);
    if (j->len <= off || un->sun_path[0] == '\0')
        return -1;
    size_t n = strnlen(un->sun_path, j->len - off);
    if (n >= len)
        return -1;
    memcpy(path, un->sun_path, n);
    path[n] = '\0';
    return 0;
}

/* Opens the socket file the command named, as the command would find it
 * (a relative path from its working directory). fd, or -errno. */
static int open_target(pid_t pid, const char *path)
{
    int dir = AT_FDCWD;
    char cwd[64];
    if (path[0] != '/') {
        snprintf(cwd, sizeof(cwd), "/proc/%d/cwd", (int)pid);
        dir = open(cwd, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (dir < 0)
            return -EACCES;
    }
    int fd = openat(dir, path, O_PATH | O_CLOEXEC);
    int e = errno;
    if (dir != AT_FDCWD)
        close(dir);
    return fd >= 0 ? fd : -e;
}

/* A desktop socket the command looked for and was not given: said once
 * per kind, with the option that would give it (the command itself only
 * says "cannot open display"). */
static unsigned asked;

void unix_broker_asked(unsigned sockets)
{
    asked = sockets;
}

static void hint(const char *path)
{
    static _Atomic int said[4];
    static const struct { const char *has, *what, *fix; unsigned bits; } kinds[] = {
        { "/tmp/.X11-unix/X", "an X server", "--x11 nested gives it one of its own, --socket x11 shares yours",
          TG_SOCKET_X11 | TG_SOCKET_FALLBACK_X11 | TG_SOCKET_X11_NESTED },
        { "/wayland-", "your Wayland display", "--socket wayland shares it", TG_SOCKET_WAYLAND },
        { "/pulse/native", "your sound server", "--socket pulseaudio gives it one, through torgate's filter",
          TG_SOCKET_PULSEAUDIO },
        { "/bus", "the D-Bus session bus", "--socket session-bus shares it", TG_SOCKET_SESSION_BUS },
    };
    for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
        const char *at = strstr(path, kinds[i].has);
        if (at == NULL || (i == 3 && at[strlen(kinds[i].has)] != '\0'))
            continue;
        if (!(asked & kinds[i].bits) && atomic_exchange(&said[i], 1) == 0)
            log_warn("the command looked for %s (%s), which is not shared with it: %s", kinds[i].what,
                     path, kinds[i].fix);
        return;
    }
}

/* Connects j->sock to the unix socket file at the command's path, if it
 * may be reached. 0 or an errno. */
static int connect_path(const struct job *j, const char *path)
{
    int fd = open_target(j->pid, path);
    if (fd == -ENOENT)
        hint(path);
    if (fd < 0)
        return -fd;
    struct stat st;
    int rc = 0;
    if (fstat(fd, &st) != 0)
        rc = errno;
    else if (!S_ISSOCK(st.st_mode))
        rc = ECONNREFUSED;          /* what the kernel says for a file */
    if (rc == 0) {
        int ok = 0;
        for (int i = 0; i < nshared && !ok; i++)
            ok = shared[i].dev == st.st_dev && shared[i].ino == st.st_ino;
        if (!ok)
            ok = bound_inside(st.st_dev, st.st_ino) == 1;
        if (!ok) {
            rc = EACCES;
            (void)pthread_mutex_lock(&refused_lock);
            int say = log_limit_allow(&refused_limit, path);
            (void)pthread_mutex_unlock(&refused_lock);
            if (say)
                log_warn("the command tried to reach %s, a unix socket of a program outside the "
                         "sandbox; refused (--socket NAME shares your desktop's own sockets)", path);
        }
    }
    if (rc == 0) {
        struct sockaddr_un un = { .sun_family = AF_UNIX };
        snprintf(un.sun_path, sizeof(un.sun_path), "/proc/self/fd/%d", fd);
        if (connect(j->sock, (struct sockaddr *)&un, sizeof(un)) != 0)
            rc = errno;
    }
    close(fd);
    return rc;
}

static int make_connect(const struct job *j)
{
    int domain = 0;
    socklen_t dl = sizeof(domain);
    char path[sizeof(((struct sockaddr_un *)0)->sun_path) + 1];
    if (getsockopt(j->sock, SOL_SOCKET, SO_DOMAIN, &domain, &dl) != 0)
        return errno;
    if (domain == AF_UNIX && j->addr.ss_family == AF_UNIX && path_of(j, path, sizeof(path)) == 0)
        return connect_path(j, path);
    return connect(j->sock, (const struct sockaddr *)&j->addr, j->len) == 0 ? 0 : errno;
}

static void finish(struct job *j)
{
    int rc = make_connect(j);
    answer(j->listener, j->id, 0, rc);
    close(j->sock);
    free(j);
}

static void *worker(void *arg)
{
    finish(arg);
    atomic_fetch_sub(&workers, 1);
    return NULL;
}

/* Reads n bytes at addr in the command's memory. 0 or an errno. By
 * process_vm_readv, not /proc/PID/mem: for a command that made itself
 * non-dumpable, that file belongs to a root this namespace does not map. */
static int read_mem(pid_t pid, unsigned long long addr, void *out, size_t n)
{
    struct iovec local = { .iov_base = out, .iov_len = n };
    struct iovec remote = { .iov_base = (void *)(uintptr_t)addr, .iov_len = n };
    ssize_t got = process_vm_readv(pid, &local, 1, &remote, 1, 0);
    if (got < 0)
        return errno == ESRCH ? ESRCH : errno == EFAULT ? EFAULT : EACCES;
    return got == (ssize_t)n ? 0 : EFAULT;
}

/* The command's fd, duplicated here. fd, or -errno. */
static int take_fd(pid_t pid, int fd)
{
    int pidfd = (int)syscall(SYS_pidfd_open, pid, PIDFD_THREAD);
    if (pidfd < 0)
        return -ESRCH;
    int got = (int)syscall(SYS_pidfd_getfd, pidfd, fd, 0);
    int e = errno;
    close(pidfd);
    if (got < 0)
        return e == EPERM ? -EACCES : -e;
    return got;
}

void unix_broker_connect(int listener, const struct seccomp_notif *req)
{
    struct job *j = calloc(1, sizeof(*j));
    int err = 0;
    if (j == NULL) {
        answer(listener, req->id, 0, ENOMEM);
        return;
    }
    j->listener = listener;
    j->id = req->id;
    j->pid = (pid_t)req->pid;
    j->sock = -1;
    unsigned long long len = req->data.args[2];
    if (len < sizeof(sa_family_t) || len > sizeof(j->addr))
        err = EINVAL;
    else if ((err = read_mem(j->pid, req->data.args[1], &j->addr, (size_t)len)) == 0) {
        j->len = (socklen_t)len;
        int fd = take_fd(j->pid, (int)req->data.args[0]);
        if (fd < 0)
            err = -fd;
        else
            j->sock = fd;
    }
    /* The pid read from may have died and been reused meanwhile. */
    if (err == 0 && !still_valid(listener, req->id))
        err = ESRCH;
    if (err != 0) {
        log_debug("connect broker: pid %u's connect(%d): %s", (unsigned)req->pid, (int)req->data.args[0],
                  strerror(err));
        if (err != ESRCH)
            answer(listener, req->id, 0, err);
        if (j->sock >= 0)
            close(j->sock);
        free(j);
        return;
    }
    int fl = fcntl(j->sock, F_GETFL);
    if (fl >= 0 && (fl & O_NONBLOCK)) {
        finish(j);                  /* returns at once */
        return;
    }
    pthread_t t;
    pthread_attr_t attr;
    int ok = atomic_fetch_add(&workers, 1) < MAX_WORKERS && pthread_attr_init(&attr) == 0;
    if (ok) {
        ok = pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED) == 0 &&
             pthread_create(&t, &attr, worker, j) == 0;
        (void)pthread_attr_destroy(&attr);
    }
    if (!ok) {
        atomic_fetch_sub(&workers, 1);
        finish(j);                  /* in line: slower, never wrong */
    }
}
