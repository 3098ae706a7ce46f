/* torgate --check-confinement: proves, on this kernel, that a process
 * confined as the gateway is cannot do what the gateway never needs, and
 * still can reach Tor. Each probe runs in a fresh child confined with one
 * layer, then the other, then both, so a layer that silently stopped
 * working shows up even when the other one would hide it. Probes that
 * must succeed (Tor's port; UDP under Landlock alone, which only knows
 * TCP) show that a "denied" is the layer's doing, not a broken probe. */
#define _GNU_SOURCE
#include "base/log.h"
#include "confine/confine.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

/* Tor's port first: it always works, so its child reports what the
 * kernel offered before anything is expected of the rest. */
enum probe_id { P_CONNECT_TOR, P_READ, P_CREATE, P_CONNECT_OTHER, P_UDP, P_ABSTRACT, P_EXEC, P_COUNT };

enum outcome { O_ALLOWED, O_DENIED, O_KILLED, O_BROKEN };

struct probe_ctx {
    const struct tg_config *cfg;
    struct sockaddr_storage other;     /* a listener that is not Tor */
    socklen_t other_len;
    char abstract[64];                 /* an abstract unix listener's name */
    char create_path[64];
};

struct child_report {
    int setup_failed;
    int err;                           /* 0: the probe's call succeeded */
    struct confine_status st;
};

static const char *const probe_names[P_COUNT] = {
    "TCP connect to Tor's port", "read a file (/etc/passwd)", "create a file in /tmp",
    "TCP connect, not to Tor", "open a UDP socket", "connect to an abstract unix socket",
    "run a program (/bin/true)",
};

static int tcp_connect(const struct sockaddr_storage *ss, socklen_t len)
{
    int fd = socket(ss->ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return errno;
    int e = connect(fd, (const struct sockaddr *)ss, len) == 0 ? 0 : errno;
    close(fd);
    return e;
}

static int probe_run(const struct probe_ctx *pc, enum probe_id id)
{
    int fd, e;
    switch (id) {
    case P_READ:
        fd = open("/etc/passwd", O_RDONLY | O_CLOEXEC);
        break;
    case P_CREATE:
        fd = open(pc->create_path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        break;
    case P_CONNECT_OTHER:
        return tcp_connect(&pc->other, pc->other_len);
    case P_CONNECT_TOR:
        e = tcp_connect(&pc->cfg->socks_addr, pc->cfg->socks_addrlen);
        /* Refused or unreachable is Tor being down, not the confinement. */
        return e == EACCES || e == EPERM ? e : 0;
    case P_UDP:
        fd = socket(pc->cfg->socks_addr.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        break;
    case P_ABSTRACT: {
        struct sockaddr_un sun = { .sun_family = AF_UNIX };
        size_t n = strlen(pc->abstract);
        memcpy(sun.sun_path + 1, pc->abstract, n);
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
            return errno;
        e = connect(fd, (struct sockaddr *)&sun, (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + n)) == 0
                ? 0 : errno;
        close(fd);
        return e;
    }
    case P_EXEC: {
        char *const argv[] = { "true", NULL };
        char *const envp[] = { NULL };
        execve("/bin/true", argv, envp);
        return errno;
    }
    default:
        return EINVAL;
    }
    if (fd < 0)
        return errno;
    close(fd);
    return 0;
}

/* One probe in one freshly confined child. The child's stderr goes to
 * /dev/null: the filter's own "forbidden system call" line is expected
 * here and would only confuse the table. */
static enum outcome probe_child(const struct probe_ctx *pc, enum probe_id id, unsigned layers,
                                struct child_report *rep)
{
    int p[2];
    memset(rep, 0, sizeof(*rep));
    if (pipe2(p, O_CLOEXEC) != 0)
        return O_BROKEN;
    fflush(stdout);
    pid_t pid = fork();
    if (pid < 0) {
        close(p[0]);
        close(p[1]);
        return O_BROKEN;
    }
    if (pid == 0) {
        close(p[0]);
        int null = open("/dev/null", O_WRONLY | O_CLOEXEC);
        if (null >= 0)
            (void)dup2(null, STDERR_FILENO);
        char err[256];
        struct child_report r;
        memset(&r, 0, sizeof(r));
        if (confine_gateway(pc->cfg, layers, -1, &r.st, err, sizeof(err)) != 0)
            r.setup_failed = 1;
        else
            r.err = probe_run(pc, id);
        ssize_t w = write(p[1], &r, sizeof(r));
        _exit(w == (ssize_t)sizeof(r) ? 0 : 1);
    }
    close(p[1]);
    ssize_t n;
    do
        n = read(p[0], rep, sizeof(*rep));
    while (n < 0 && errno == EINTR);
    close(p[0]);
    int st;
    while (waitpid(pid, &st, 0) < 0)
        if (errno != EINTR)
            return O_BROKEN;
    if (id == P_EXEC && n == 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0)
        return O_ALLOWED;              /* /bin/true ran */
    if (n == 0 && WIFEXITED(st) && WEXITSTATUS(st) == TG_EXIT_FAILURE)
        return O_KILLED;               /* the SIGSYS handler's exit */
    if (n != (ssize_t)sizeof(*rep) || rep->setup_failed)
        return O_BROKEN;
    return rep->err == 0 ? O_ALLOWED : O_DENIED;
}

/* What the design promises for each probe under each layer on this
 * kernel: 1 must be stopped, 0 must be allowed. */
static int expect_denied(enum probe_id id, unsigned layers, const struct confine_status *st)
{
    int ll = (layers & CONFINE_LANDLOCK) != 0, sc = (layers & CONFINE_SECCOMP) != 0;
#if defined(__SANITIZE_ADDRESS__)
    const int sc_opens = 0;            /* test builds let the sanitizer open files */
#else
    const int sc_opens = 1;
#endif
    switch (id) {
    case P_READ:
    case P_CREATE:
        return (ll && st->fs_closed) || (sc && st->seccomp && sc_opens);
    case P_EXEC:
        return (ll && st->fs_closed) || (sc && st->seccomp);
    case P_CONNECT_OTHER:
        return ll && st->net_closed;
    case P_CONNECT_TOR:
        return 0;
    case P_UDP:
        return sc && st->seccomp;
    case P_ABSTRACT:
        return (ll && st->abstract_scoped) || (sc && st->seccomp);
    default:
        return 1;
    }
}

static int setup_listeners(struct probe_ctx *pc, int *tcp, int *unx)
{
    int fam = pc->cfg->socks_addr.ss_family == AF_INET6 ? AF_INET6 : AF_INET;
    memset(&pc->other, 0, sizeof(pc->other));
    if (fam == AF_INET6) {
        struct sockaddr_in6 *a = (struct sockaddr_in6 *)&pc->other;
        a->sin6_family = AF_INET6;
        a->sin6_addr = in6addr_loopback;
        pc->other_len = sizeof(*a);
    } else {
        struct sockaddr_in *a = (struct sockaddr_in *)&pc->other;
        a->sin_family = AF_INET;
        a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        pc->other_len = sizeof(*a);
    }
    *tcp = socket(fam, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (*tcp < 0 || bind(*tcp, (struct sockaddr *)&pc->other, pc->other_len) != 0 ||
        listen(*tcp, 16) != 0 || getsockname(*tcp, (struct sockaddr *)&pc->other, &pc->other_len) != 0)
        return -1;
    snprintf(pc->abstract, sizeof(pc->abstract), "torgate-check-%d", (int)getpid());
    struct sockaddr_un sun = { .sun_family = AF_UNIX };
    size_t n = strlen(pc->abstract);
    memcpy(sun.sun_path + 1, pc->abstract, n);
    *unx = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (*unx < 0 ||
        bind(*unx, (struct sockaddr *)&sun, (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + n)) != 0 ||
        listen(*unx, 16) != 0)
        return -1;
    return 0;
}

static const char *outcome_word(enum outcome o, int err)
{
    static char buf[80];
    switch (o) {
    case O_ALLOWED:
        return "allowed";
    case O_KILLED:
        return "stopped (seccomp)";
    case O_DENIED:
        snprintf(buf, sizeof(buf), "denied (%s)", strerrorname_np(err) ? strerrorname_np(err) : "?");
        return buf;
    default:
        return "probe broken";
    }
}

int confine_check(const struct tg_config *cfg)
{
    static const unsigned layer_sets[] = { CONFINE_LANDLOCK, CONFINE_SECCOMP, CONFINE_ALL };
    static const char *const layer_names[] = { "Landlock alone", "seccomp alone", "as the gateway runs" };
    struct probe_ctx pc = { .cfg = cfg };
    int tcp = -1, unx = -1, failures = 0, checks = 0;

    if (setup_listeners(&pc, &tcp, &unx) != 0) {
        log_error("--check-confinement: cannot open its test listeners: %s", strerror(errno));
        if (tcp >= 0)
            close(tcp);
        if (unx >= 0)
            close(unx);
        return TG_EXIT_FAILURE;
    }
    snprintf(pc.create_path, sizeof(pc.create_path), "/tmp/torgate-check-%d", (int)getpid());
    char other[INET6_ADDRSTRLEN] = "?";
    const void *oa = pc.other.ss_family == AF_INET6
                         ? (const void *)&((struct sockaddr_in6 *)&pc.other)->sin6_addr
                         : (const void *)&((struct sockaddr_in *)&pc.other)->sin_addr;
    (void)inet_ntop(pc.other.ss_family, oa, other, sizeof(other));

    printf("Checking the gateway's confinement on this kernel (Tor at %s; the other TCP "
           "listener is %s, port %u)\n", cfg->socks_name, other,
           (unsigned)ntohs(pc.other.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&pc.other)->sin6_port
                                                          : ((struct sockaddr_in *)&pc.other)->sin_port));
    for (size_t l = 0; l < 3; l++) {
        struct child_report rep;
        struct confine_status st = { 0 };
        int have_st = 0;
        printf("%s:\n", layer_names[l]);
        for (int id = 0; id < P_COUNT; id++) {
            enum outcome o = probe_child(&pc, (enum probe_id)id, layer_sets[l], &rep);
            if (id == P_CREATE && o == O_ALLOWED)
                (void)unlink(pc.create_path);
            if (!have_st && o != O_KILLED && o != O_BROKEN) {
                st = rep.st;
                have_st = 1;
            }
            int want = expect_denied((enum probe_id)id, layer_sets[l], &st);
            int ok = o != O_BROKEN && (want ? o != O_ALLOWED : o == O_ALLOWED);
            checks++;
            failures += !ok;
            printf("  %-38s %-28s %s\n", probe_names[id], outcome_word(o, rep.err),
                   ok ? "ok" : want ? "FAILED: should be stopped" : "FAILED: should work");
        }
        if (have_st && l == 0 && !st.net_closed)
            printf("  (this kernel's Landlock (ABI %d) has no TCP rules: Linux 6.7 or later has them)\n",
                   st.landlock_abi);
    }
    close(tcp);
    close(unx);
    if (failures > 0) {
        printf("%d of %d checks FAILED: the gateway is not confined as it should be\n", failures, checks);
        return 1;
    }
    printf("all %d checks passed: the gateway's confinement holds on this kernel\n", checks);
    return fflush(stdout) == 0 ? 0 : 1;
}
