/* Sidecar mode (--netns PATH, --pid PID): Tor as the only network of a
 * namespace someone else made (ip netns add, unshare -rn, a container).
 *
 * A keeper process, forked before anything is confined, enters the target
 * network namespace (its owning user namespace first, when we are not
 * privileged over it: a namespace of our own from `unshare -rn` needs no
 * root), checks that no other link leads out, makes and configures the TUN
 * there and hands its fd to the gateway, which serves it as in --tun-fd
 * mode and never enters the namespace itself. The keeper stays for two
 * jobs the confined gateway cannot do:
 * - for an ip-netns namespace it writes /etc/netns/NAME/resolv.conf (what
 *   `ip netns exec` shows as /etc/resolv.conf) and puts back what was there
 *   when the gateway ends, however it ends (the socket between them closes);
 * - it tells the gateway to stop (SIGTERM) when the namespace goes: its
 *   /run/netns entry removed, or the process of --pid gone.
 * The TUN is not persistent: when the gateway exits it goes, and the
 * namespace is left with no route at all (fail closed). */
#define _GNU_SOURCE
#include "sandbox/sidecar.h"
#include "base/fdpass.h"
#include "base/log.h"
#include "sandbox/sandbox.h"
#include "sandbox/sandbox_fs.h"
#include "sandbox/tun.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <linux/nsfs.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <netlink/netlink.h>
#include <netlink/route/link.h>

#define TAG_TUN  'T'
#define TAG_FAIL 'F'
/* The namespace's own resolv.conf, set aside beside its directory, not in
 * it: ip netns exec binds every file in /etc/netns/NAME over /etc. */
#define SAVED_FMT "/etc/netns/.torgate-saved-%.255s.resolv.conf"
#define LEGACY_SUFFIX ".torgate-saved"      /* where torgate 0.1 set it aside */

struct keeper {
    const struct tg_config *cfg;
    char what[128];           /* "the namespace /run/netns/x", for messages */
    char netns_name[NAME_MAX + 1];  /* ip-netns name, or "" */
    char resolv[300];         /* /etc/netns/NAME/resolv.conf, or "" */
    int wrote_resolv, saved_resolv, made_dir;
    int watch_fd;             /* inotify on /run/netns, or a pidfd, or -1 */
};

/* ---- entering the namespace ----------------------------------------- */

static int open_target(struct keeper *k, char *err, size_t errlen)
{
    char path[64];
    const char *p = k->cfg->netns_path;
    if (p == NULL) {
        snprintf(path, sizeof(path), "/proc/%ld/ns/net", (long)k->cfg->netns_pid);
        p = path;
    }
    int fd = open(p, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (k->cfg->netns_path == NULL && errno == ENOENT)
            snprintf(err, errlen, "no process %ld: give --pid a running process in the namespace",
                     (long)k->cfg->netns_pid);
        else
            snprintf(err, errlen, "cannot open %s: %s", p, strerror(errno));
        return -1;
    }
    if (ioctl(fd, NS_GET_NSTYPE) != CLONE_NEWNET) {
        snprintf(err, errlen, "%s is not a network namespace (ip netns add NAME makes one in /run/netns)", p);
        close(fd);
        return -1;
    }
    return fd;
}

static int enter_target(struct keeper *k, int nsfd, char *err, size_t errlen)
{
    if (setns(nsfd, CLONE_NEWNET) == 0)
        return 0;
    if (errno != EPERM) {
        snprintf(err, errlen, "cannot enter %s: %s", k->what, strerror(errno));
        return -1;
    }
    /* Not privileged over it: enter the user namespace that owns it, where
     * its creator (we, if it is ours) holds every capability. */
    int userfd = ioctl(nsfd, NS_GET_USERNS);
    if (userfd < 0 || setns(userfd, CLONE_NEWUSER) != 0 || setns(nsfd, CLONE_NEWNET) != 0) {
        int e = errno;
        if (userfd >= 0)
            close(userfd);
        snprintf(err, errlen, "cannot enter %s: %s; run torgate as the user who made it, or as root",
                 k->what, strerror(e));
        return -1;
    }
    close(userfd);
    return 0;
}

/* Other links up would carry the namespace's traffic around Tor. */
static int check_links(struct keeper *k, char *err, size_t errlen)
{
    struct nl_sock *sk = nl_socket_alloc();
    struct nl_cache *cache = NULL;
    int rc;
    if (sk == NULL) {
        snprintf(err, errlen, "cannot list the links of %s: out of memory", k->what);
        return -1;
    }
    if ((rc = nl_connect(sk, NETLINK_ROUTE)) < 0 || (rc = rtnl_link_alloc_cache(sk, AF_UNSPEC, &cache)) < 0) {
        snprintf(err, errlen, "cannot list the links of %s: %s", k->what, nl_geterror(rc));
        nl_socket_free(sk);
        return -1;
    }
    char up[256] = "";
    size_t used = 0;
    int ret = 0;
    for (struct nl_object *o = nl_cache_get_first(cache); o != NULL; o = nl_cache_get_next(o)) {
        struct rtnl_link *link = (struct rtnl_link *)o;
        const char *name = rtnl_link_get_name(link);
        if (name == NULL || strcmp(name, "lo") == 0)
            continue;
        if (strcmp(name, TUN_IFNAME) == 0) {
            snprintf(err, errlen, "%s already has a link named %s (another torgate serving it?)",
                     k->what, TUN_IFNAME);
            ret = -1;
            break;
        }
        if (rtnl_link_get_flags(link) & IFF_UP) {
            int w = snprintf(up + used, sizeof(up) - used, "%s%s", used ? ", " : "", name);
            if (w > 0 && (size_t)w < sizeof(up) - used)
                used += (size_t)w;
        }
    }
    if (ret == 0 && used > 0) {
        if (!k->cfg->force) {
            snprintf(err, errlen, "%s has other links up (%s): traffic could leave through them "
                     "around Tor; bring them down (ip link set DEV down), or pass --force to serve "
                     "it anyway", k->what, up);
            ret = -1;
        } else {
            log_warn("%s has other links up (%s); --force: its default routes now lead to Tor, "
                     "but its other routes still lead out through them", k->what, up);
        }
    }
    nl_cache_free(cache);
    nl_socket_free(sk);
    return ret;
}

/* ---- resolv.conf for ip netns --------------------------------------- */

/* /run/netns/NAME (or /var/run/netns/NAME): an ip-netns namespace. */
static void netns_name(struct keeper *k)
{
    const char *p = k->cfg->netns_path;
    static const char *const dirs[] = { "/run/netns/", "/var/run/netns/" };
    if (p == NULL)
        return;
    for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
        size_t n = strlen(dirs[i]);
        if (strncmp(p, dirs[i], n) == 0 && p[n] != '\0' && strchr(p + n, '/') == NULL &&
            strcmp(p + n, ".") != 0 && strcmp(p + n, "..") != 0) {
            snprintf(k->netns_name, sizeof(k->netns_name), "%s", p + n);
            return;
        }
    }
}

static int write_resolv(struct keeper *k, char *err, size_t errlen)
{
    char dir[280], saved[320], legacy[sizeof(k->resolv) + sizeof(LEGACY_SUFFIX)];
    snprintf(dir, sizeof(dir), "/etc/netns/%.255s", k->netns_name);
    snprintf(k->resolv, sizeof(k->resolv), "%.280s/resolv.conf", dir);
    snprintf(saved, sizeof(saved), SAVED_FMT, k->netns_name);
    snprintf(legacy, sizeof(legacy), "%s%s", k->resolv, LEGACY_SUFFIX);
    if (mkdir("/etc/netns", 0755) != 0 && errno != EEXIST) {
        snprintf(err, errlen, "cannot create /etc/netns: %s", strerror(errno));
        return -1;
    }
    if (mkdir(dir, 0755) == 0)
        k->made_dir = 1;
    else if (errno != EEXIST) {
        snprintf(err, errlen, "cannot create %s: %s", dir, strerror(errno));
        return -1;
    }
    /* Keep the namespace's own file. One saved by a torgate that did not
     * get to put it back stays the one to restore (moved out of the
     * namespace's directory if an older torgate left it there). */
    struct stat st;
    if (lstat(saved, &st) != 0 && lstat(legacy, &st) == 0 && rename(legacy, saved) != 0) {
        snprintf(err, errlen, "cannot move %s to %s: %s", legacy, saved, strerror(errno));
        return -1;
    }
    if (lstat(saved, &st) == 0)
        k->saved_resolv = 1;
    else if (rename(k->resolv, saved) == 0)
        k->saved_resolv = 1;
    else if (errno != ENOENT) {
        snprintf(err, errlen, "cannot set %s aside: %s", k->resolv, strerror(errno));
        return -1;
    }
    int fd = open(k->resolv, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
    size_t len = strlen(sandbox_resolv_text);
    if (fd < 0 || write(fd, sandbox_resolv_text, len) != (ssize_t)len || close(fd) != 0) {
        snprintf(err, errlen, "cannot write %s: %s", k->resolv, strerror(errno));
        return -1;
    }
    k->wrote_resolv = 1;
    return 0;
}

static void restore_resolv(struct keeper *k)
{
    if (!k->wrote_resolv)
        return;
    char saved[320];
    snprintf(saved, sizeof(saved), SAVED_FMT, k->netns_name);
    if (k->saved_resolv ? rename(saved, k->resolv) : unlink(k->resolv))
        log_warn("cannot put back %s: %s", k->resolv, strerror(errno));
    if (k->made_dir) {
        char dir[280];
        snprintf(dir, sizeof(dir), "/etc/netns/%.255s", k->netns_name);
        (void)rmdir(dir);             /* only if nothing else was put there */
    }
}

/* ---- watching for the namespace's end ------------------------------- */

static int watch_target(struct keeper *k)
{
    if (k->cfg->netns_pid > 0)
        return (int)syscall(SYS_pidfd_open, k->cfg->netns_pid, 0);
    if (k->netns_name[0] == '\0')
        return -1;
    char path[PATH_MAX];
    snprintf(path, sizeof(path), "%s", k->cfg->netns_path);
    int fd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
    if (fd >= 0 && inotify_add_watch(fd, dirname(path), IN_DELETE | IN_MOVED_FROM) < 0) {
        close(fd);
        fd = -1;
    }
    return fd;
}

/* Whether what woke watch_fd says the namespace is gone. */
static int target_gone(struct keeper *k)
{
    if (k->cfg->netns_pid > 0)
        return 1;                        /* a pidfd is readable once the process exits */
    char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
    ssize_t n = read(k->watch_fd, buf, sizeof(buf));
    for (ssize_t off = 0; n > 0 && off < n;) {
        const struct inotify_event *ev = (const struct inotify_event *)(buf + off);
        if (ev->len > 0 && strcmp(ev->name, k->netns_name) == 0)
            return 1;
        off += (ssize_t)(sizeof(*ev) + ev->len);
    }
    return 0;
}

static void keeper_wait(struct keeper *k, int ctl)
{
    int told = 0;
    for (;;) {
        struct pollfd p[2] = { { .fd = ctl, .events = POLLIN }, { .fd = told ? -1 : k->watch_fd, .events = POLLIN } };
        if (poll(p, 2, -1) < 0) {
            if (errno == EINTR)
                continue;
            return;
        }
        if (p[0].revents != 0) {
            char c;
            if (read(ctl, &c, 1) <= 0)
                return;                  /* the gateway is gone */
        }
        if (p[1].revents != 0 && target_gone(k)) {
            log_info("%s is gone; stopping", k->what);
            if (kill(getppid(), SIGTERM) != 0)
                return;
            told = 1;
        }
    }
}

static void keeper_main(struct keeper *k, int ctl)
{
    char err[1024] = "";
    int nsfd = open_target(k, err, sizeof(err));
    k->watch_fd = watch_target(k);
    int tun = -1;
    if (nsfd < 0 || enter_target(k, nsfd, err, sizeof(err)) != 0 || check_links(k, err, sizeof(err)) != 0)
        goto fail;
    tun = tun_open(k->cfg->offload, 0, err, sizeof(err));
    if (tun < 0)
        goto fail;
    sandbox_quiet_router_discovery();
    if (tun_configure(k->cfg->mtu, k->cfg->force, err, sizeof(err)) != 0)
        goto fail;
    if (k->netns_name[0] != '\0' && write_resolv(k, err, sizeof(err)) != 0)
        goto fail;
    if (fdpass_send(ctl, TAG_TUN, tun) != 0) {
        snprintf(err, sizeof(err), "cannot hand the TUN to the gateway: %s", strerror(errno));
        goto fail;
    }
    close(tun);
    close(nsfd);
    keeper_wait(k, ctl);
    restore_resolv(k);
    _exit(0);
fail:
    restore_resolv(k);
    log_error("%s", err);
    (void)fdpass_send(ctl, TAG_FAIL, -1);
    _exit(1);
}

/* ---- the gateway's side --------------------------------------------- */

int sidecar_start(const struct tg_config *cfg, struct sidecar *sc)
{
    struct keeper k = { .cfg = cfg, .watch_fd = -1 };
    if (cfg->netns_path != NULL)
        snprintf(k.what, sizeof(k.what), "the namespace %s", cfg->netns_path);
    else
        snprintf(k.what, sizeof(k.what), "the network namespace of process %ld", (long)cfg->netns_pid);
    snprintf(sc->what, sizeof(sc->what), "%s", k.what);
    netns_name(&k);

    int sv[2];
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) {
        log_error("cannot make the sidecar's control socket: %s", strerror(errno));
        return -1;
    }
    pid_t pid = fork();
    if (pid < 0) {
        log_error("cannot start the sidecar's keeper (fork): %s", strerror(errno));
        close(sv[0]);
        close(sv[1]);
        return -1;
    }
    if (pid == 0) {
        close(sv[0]);
        keeper_main(&k, sv[1]);
    }
    close(sv[1]);
    sc->keeper = pid;
    sc->ctl = sv[0];
    sc->tun_fd = -1;
    char tag = 0;
    int fd = -1;
    if (fdpass_recv(sc->ctl, &tag, &fd) != 1 || tag != TAG_TUN || fd < 0) {
        if (fd >= 0)
            close(fd);
        sidecar_stop(sc);                /* the keeper said why */
        return -1;
    }
    sc->tun_fd = fd;
    if (k.netns_name[0] != '\0')
        log_info("DNS: /etc/netns/%s/resolv.conf names the stub (ip netns exec %s ... sees it)",
                 k.netns_name, k.netns_name);
    else
        log_warn("DNS: programs in %s resolve names through Tor only if their resolv.conf says "
                 "\"nameserver %s\" (and %s)", sc->what, TUN_GATEWAY4, TUN_GATEWAY6);
    return 0;
}

void sidecar_stop(struct sidecar *sc)
{
    if (sc->ctl >= 0)
        close(sc->ctl);
    sc->ctl = -1;
    int st;
    while (sc->keeper > 0 && waitpid(sc->keeper, &st, 0) < 0 && errno == EINTR)
        ;
    sc->keeper = 0;
}
