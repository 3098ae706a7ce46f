/* Creating the sandbox. The child is made with a raw clone(2) (fork-like,
 * no separate stack, as bubblewrap does) so it is PID 1 of its new PID
 * namespace. It maps its uid/gid 1:1, mounts a fresh /proc, creates and
 * configures the TUN, hands the TUN fd to the gateway and waits for the
 * go-ahead: if the gateway fails or dies before that, CMD never runs.
 * The socketpair stays: over it the gateway asks for what `torgate exec`
 * runs (sandbox_exec.h). */
#define _GNU_SOURCE
#include "sandbox/sandbox.h"
#include "base/fdpass.h"
#include "base/log.h"
#include "sandbox/sandbox_fs.h"
#include "sandbox/sandbox_identity.h"
#include "sandbox/sandbox_init.h"
#include "sandbox/sandbox_ipc.h"
#include "sandbox/sandbox_mounts.h"
#include "sandbox/sandbox_user.h"
#include "sandbox/tun.h"

#include <errno.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <sys/wait.h>
#include <unistd.h>

#define TAG_TUN   'T'
#define TAG_ERROR 'E'
#define TAG_GO    'G'
#define TAG_EXPOSE 'X'

static char **own_argv;
static int own_argc;

void sandbox_set_argv(int argc, char **argv)
{
    own_argc = argc;
    own_argv = argv;
}

/* PID 1's names: comm, and the argv area /proc/PID/cmdline shows, both
 * "torgate-init" (and the command's name in the argv area, as room allows).
 * The strings of cfg point into that area: this comes last, and returns a
 * copy of the command line to run (NULL: out of memory). */
static char **name_init(char *const *cmd)
{
    size_t n = 0;
    while (cmd[n] != NULL)
        n++;
    char **copy = calloc(n + 1, sizeof(*copy));
    for (size_t i = 0; copy != NULL && i < n; i++)
        if ((copy[i] = strdup(cmd[i])) == NULL)
            return NULL;
    (void)prctl(PR_SET_NAME, "torgate-init", 0, 0, 0);
    if (copy == NULL || own_argv == NULL || own_argc < 1)
        return copy;
    char *start = own_argv[0], *end = own_argv[own_argc - 1] + strlen(own_argv[own_argc - 1]);
    size_t room = (size_t)(end - start);
    if (room == 0)
        return copy;
    /* The area holds the strings back to back: one title, NUL-padded. */
    memset(start, 0, room);
    snprintf(start, room + 1, "torgate-init: %s", copy[0] != NULL ? copy[0] : "");
    return copy;
}

static int write_file(const char *path, const char *text, char *err, size_t errlen)
{
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0) {
        snprintf(err, errlen, "cannot open %s: %s", path, strerror(errno));
        return -1;
    }
    size_t len = strlen(text);
    ssize_t n = write(fd, text, len);
    int e = errno;
    close(fd);
    if (n != (ssize_t)len) {
        snprintf(err, errlen, "cannot write %s: %s", path, n < 0 ? strerror(e) : "short write");
        return -1;
    }
    return 0;
}

/* The app runs as the caller, not as root: its uid and gid map to
 * themselves. setgroups is denied, which unprivileged gid maps require. */
static int map_ids(uid_t uid, gid_t gid, char *err, size_t errlen)
{
    char line[64];
    snprintf(line, sizeof(line), "%u %u 1\n", (unsigned)uid, (unsigned)uid);
    if (write_file("/proc/self/uid_map", line, err, errlen) != 0)
        return -1;
    if (write_file("/proc/self/setgroups", "deny\n", err, errlen) != 0)
        return -1;
    snprintf(line, sizeof(line), "%u %u 1\n", (unsigned)gid, (unsigned)gid);
    return write_file("/proc/self/gid_map", line, err, errlen);
}

/* ICMP echo sockets for the app's group (the namespace's only one), so
 * ping works without privilege and gets torgate's honest answer (refused,
 * or --ping local) instead of "operation not permitted". */
static void allow_ping(gid_t gid)
{
    char line[64], err[256];
    snprintf(line, sizeof(line), "%u %u\n", (unsigned)gid, (unsigned)gid);
    if (write_file("/proc/sys/net/ipv4/ping_group_range", line, err, sizeof(err)) != 0)
        log_info("sandbox: ping sockets stay unavailable (%s)", err);
}

/* The app's kernel should neither ask for routers on tg0 nor take an
 * advertisement from it: routes there are static, and only the gateway
 * could send one. Before the link is up, so not even the first
 * solicitation goes out. A failure costs only noise the gateway ignores
 * anyway (ICMPv6 link signalling never reaches lwIP): a note, not an
 * error. */
void sandbox_quiet_router_discovery(void)
{
    static const char *const keys[] = { "accept_ra", "router_solicitations" };
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        char path[96], err[256];
        snprintf(path, sizeof(path), "/proc/sys/net/ipv6/conf/%s/%s", TUN_IFNAME, keys[i]);
        if (write_file(path, "0\n", err, sizeof(err)) != 0)
            log_info("the app's kernel may solicit routers on %s (the gateway "
                     "ignores that): %s", TUN_IFNAME, err);
    }
}

static int setup_mounts(char *err, size_t errlen)
{
    /* Nothing mounted here may propagate back to the host. */
    if (mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) != 0) {
        snprintf(err, errlen, "cannot make the sandbox's mounts private: %s", strerror(errno));
        return -1;
    }
    /* A /proc of the new PID namespace: the app sees only its own processes. */
    if (mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) != 0) {
        snprintf(err, errlen, "cannot mount a fresh /proc in the sandbox: %s", strerror(errno));
        return -1;
    }
    return 0;
}

/* --expose: a listener on the sandbox's own loopback, made here (in its
 * network namespace) and served by the gateway. */
static int expose_listen(unsigned short port, char *err, size_t errlen)
{
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port),
                              .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    int one = 1;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
        bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 || listen(fd, 16) != 0) {
        snprintf(err, errlen, "--expose: cannot listen on the sandbox's 127.0.0.1:%u: %s",
                 (unsigned)port, strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    return fd;
}

static int child_main(const struct tg_config *cfg, const struct rlimit *app_nofile,
                      const struct seccomp_policy *policy, int ctl, uid_t uid, gid_t gid,
                      const struct sandbox *sb)
{
    char err[512];
    int tun = -1;

    /* If the gateway dies, so does the sandbox (and with PID 1, all of it). */
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) {
        snprintf(err, sizeof(err), "cannot tie the sandbox to the gateway's life: %s", strerror(errno));
        goto fail;
    }
    if (map_ids(uid, gid, err, sizeof(err)) != 0 || setup_mounts(err, sizeof(err)) != 0 ||
        sandbox_ipc_setup(cfg, err, sizeof(err)) != 0 || sandbox_fs_setup(err, sizeof(err)) != 0 ||
        sandbox_identity_setup(cfg, err, sizeof(err)) != 0 ||
        sandbox_mounts_setup(cfg, err, sizeof(err)) != 0 || sandbox_user_setup(cfg, err, sizeof(err)) != 0)
        goto fail;
    tun = tun_open(cfg->offload, 1, err, sizeof(err));
    if (tun < 0)
        goto fail;
    sandbox_quiet_router_discovery();
    if (tun_configure(cfg->mtu, 0, err, sizeof(err)) != 0)
        goto fail;
    allow_ping(gid);
    if (fdpass_send(ctl, TAG_TUN, tun) != 0) {
        snprintf(err, sizeof(err), "cannot hand the TUN to the gateway: %s", strerror(errno));
        goto fail;
    }
    close(tun);
    for (int i = 0; i < cfg->nexpose; i++) {
        int l = expose_listen(cfg->expose[i].ns_port, err, sizeof(err));
        if (l < 0 || fdpass_send(ctl, TAG_EXPOSE, l) != 0) {
            if (l >= 0)
                snprintf(err, sizeof(err), "cannot hand the --expose listener to the gateway: %s",
                         strerror(errno));
            goto fail;
        }
        close(l);
    }

    char tag = 0;
    ssize_t n;
    do
        n = read(ctl, &tag, 1);
    while (n < 0 && errno == EINTR);
    if (n != 1 || tag != TAG_GO)
        _exit(TG_EXIT_FAILURE);     /* the gateway gave up: run nothing */
    if (sandbox_env_apply(cfg, err, sizeof(err)) != 0) {
        log_error("%s; refusing to run the command", err);
        return TG_EXIT_FAILURE;
    }
    if (sb->own_pgrp && setpgid(0, 0) != 0)
        log_debug("sandbox: cannot start a process group: %s", strerror(errno));
    char **cmd = name_init(cfg->cmd);
    if (cmd == NULL) {
        log_error("out of memory; refusing to run the command");
        return TG_EXIT_FAILURE;
    }
    return sandbox_init_run(cmd, app_nofile, sb->cookie, policy, ctl);

fail:
    log_error("%s", err);
    if (tun >= 0)
        close(tun);
    (void)fdpass_send(ctl, TAG_ERROR, -1);
    return TG_EXIT_FAILURE;
}

int sandbox_start(const struct tg_config *cfg, const struct rlimit *app_nofile,
                  const struct seccomp_policy *policy, struct sandbox *sb)
{
    int sv[2];
    sb->pid = -1;
    sb->ctl = -1;
    sb->tun_fd = -1;
    for (int i = 0; i < TG_MAX_EXPOSE; i++)
        sb->expose_fd[i] = -1;

    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) {
        log_error("cannot create the sandbox's control socket: %s", strerror(errno));
        return -1;
    }
    uid_t uid = geteuid();
    gid_t gid = getegid();
    if (getrandom(&sb->cookie, sizeof(sb->cookie), 0) != (ssize_t)sizeof(sb->cookie))
        sb->cookie = (int)getpid() ^ (int)time(NULL);
    /* With a controlling terminal CMD must stay in the foreground process
     * group (job control, Ctrl-C, reading the terminal). Without one, a
     * group of its own keeps a group kill of torgate from reaching CMD
     * twice. */
    int tty = open("/dev/tty", O_RDONLY | O_NOCTTY | O_CLOEXEC);
    sb->own_pgrp = tty < 0;
    if (tty >= 0)
        close(tty);
    long flags = CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWPID |
                 CLONE_NEWUTS | CLONE_NEWIPC | SIGCHLD;
    pid_t pid = (pid_t)syscall(SYS_clone, flags, NULL, NULL, NULL, NULL);
    if (pid < 0) {
        int e = errno;
        close(sv[0]);
        close(sv[1]);
        if (e == EPERM || e == ENOSPC || e == EUSERS)
            log_error("cannot create the sandbox's namespaces: %s; unprivileged user namespaces "
                      "may be disabled: check sysctl user.max_user_namespaces (and, on Ubuntu, "
                      "kernel.apparmor_restrict_unprivileged_userns)", strerror(e));
        else
            log_error("cannot create the sandbox's namespaces (clone): %s", strerror(e));
        return -1;
    }
    if (pid == 0) {
        close(sv[0]);
        _exit(child_main(cfg, app_nofile, policy, sv[1], uid, gid, sb));
    }
    close(sv[1]);
    sb->pid = pid;
    sb->ctl = sv[0];

    char tag = 0;
    int fd = -1;
    int r = fdpass_recv(sb->ctl, &tag, &fd);
    if (r == 1 && tag == TAG_TUN && fd >= 0) {
        sb->tun_fd = fd;
        int i = 0;
        for (; i < cfg->nexpose; i++) {
            fd = -1;
            r = fdpass_recv(sb->ctl, &tag, &fd);
            if (r != 1 || tag != TAG_EXPOSE || fd < 0)
                break;
            sb->expose_fd[i] = fd;
        }
        if (i == cfg->nexpose)
            return 0;
        close(sb->tun_fd);
        sb->tun_fd = -1;
        for (int k = 0; k < i; k++)
            close(sb->expose_fd[k]);
    }
    if (fd >= 0)
        close(fd);
    if (r < 0)
        log_error("cannot receive the TUN from the sandbox: %s", strerror(errno));
    else if (r == 0)
        log_error("the sandbox died while it was being set up");
    /* Otherwise the sandbox already said what failed. */
    sandbox_abort(sb);
    return -1;
}

int sandbox_release(struct sandbox *sb)
{
    char go = TAG_GO;
    if (write(sb->ctl, &go, 1) != 1) {
        log_error("cannot start the command in the sandbox: %s", strerror(errno));
        return -1;
    }
    return 0;
}

void sandbox_abort(struct sandbox *sb)
{
    if (sb->ctl >= 0) {
        close(sb->ctl);
        sb->ctl = -1;
    }
    if (sb->pid > 0) {
        int st;
        (void)kill(sb->pid, SIGKILL);
        while (waitpid(sb->pid, &st, 0) < 0 && errno == EINTR)
            ;
        sb->pid = -1;
    }
}
