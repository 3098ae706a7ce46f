/* The control socket: every torgate answers `torgate ls`, `stats`, `stop`
 * and `new-identity` on a unix socket named after it, in a directory only
 * its user can enter (0700; the socket 0600), and takes requests only from
 * that user or root (SO_PEERCRED). One request line per connection, one
 * reply, then the connection closes: a reply is a few KB, written at once.
 *
 * The socket is made before the gateway is confined; afterwards Landlock
 * lets it remove files in that directory and nothing else, so it can take
 * its socket away when it ends. A socket left by a torgate that was killed
 * is stale: whoever finds it (a new instance, `torgate ls`) removes it. */
#define _GNU_SOURCE
#include "control/control.h"
#include "base/fdpass.h"
#include "control/info_reply.h"
#include "base/log.h"
#include "confine/confine.h"
#include "control/control_exec.h"
#include "serve/loop.h"
#include "serve/stats.h"

#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define REQ_MAX    128
#define REPLY_MAX  16384
#define NAME_MAX_LEN 64

struct control {
    struct loop *loop;
    int fd;
    struct event *ev;
    char dir[sizeof(((struct sockaddr_un *)0)->sun_path)];
    char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
    char name[NAME_MAX_LEN + 1];
    char mode[8];
    char target[256];
    char tor_control[128];       /* --tor-control as given: `torgate circuits` asks there */
    time_t started;
    struct control_exec *exec;    /* NULL: no sandbox of torgate's to run in */
};

struct client {
    struct control *c;
    int fd;
    uid_t uid;                    /* the peer's */
    struct event *ev;
    char req[REQ_MAX];
    size_t len;
    int fds[3], nfds;             /* what came with the request (torgate exec) */
};

/* ---- where and what ---------------------------------------------------- */

int control_dir(char *dir, size_t cap, char *err, size_t errlen)
{
    if (geteuid() == 0) {
        snprintf(dir, cap, "/run/torgate");
        return 0;
    }
    const char *x = getenv("XDG_RUNTIME_DIR");
    if (x == NULL || x[0] != '/') {
        snprintf(err, errlen, "XDG_RUNTIME_DIR is not set (a login session sets it)");
        return -1;
    }
    if ((size_t)snprintf(dir, cap, "%s/torgate", x) >= cap) {
        snprintf(err, errlen, "XDG_RUNTIME_DIR is too long for a unix socket path");
        return -1;
    }
    return 0;
}

static int name_ok(const char *n)
{
    size_t len = strlen(n);
    if (len == 0 || len > NAME_MAX_LEN || n[0] == '.' || n[0] == '-')
        return 0;
    for (size_t i = 0; i < len; i++)
        if (!((n[i] >= 'a' && n[i] <= 'z') || (n[i] >= 'A' && n[i] <= 'Z') ||
              (n[i] >= '0' && n[i] <= '9') || n[i] == '.' || n[i] == '_' || n[i] == '-'))
            return 0;
    return 1;
}

/* The name torgate goes by when --name is not given: the command's
 * basename, the ip-netns name, or pid-N; reduced to the allowed
 * characters. */
static void default_name(const struct tg_config *cfg, char *out, size_t cap)
{
    const char *src;
    char buf[32];
    if (cfg->cmd != NULL) {
        src = strrchr(cfg->cmd[0], '/') != NULL ? strrchr(cfg->cmd[0], '/') + 1 : cfg->cmd[0];
    } else if (cfg->netns_path != NULL) {
        src = strrchr(cfg->netns_path, '/') != NULL ? strrchr(cfg->netns_path, '/') + 1 : cfg->netns_path;
    } else if (cfg->netns_pid > 0) {
        snprintf(buf, sizeof(buf), "pid-%ld", (long)cfg->netns_pid);
        src = buf;
    } else {
        snprintf(buf, sizeof(buf), "tun-fd-%d", cfg->tun_fd);
        src = buf;
    }
    size_t n = 0;
    for (; *src != '\0' && n + 1 < cap && n < NAME_MAX_LEN; src++) {
        char ch = *src;
        int ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
                 ch == '.' || ch == '_' || ch == '-';
        out[n++] = ok ? ch : '_';
    }
    out[n] = '\0';
    if (n == 0 || out[0] == '.' || out[0] == '-')
        snprintf(out, cap, "torgate");
}

static void describe(struct control *c, const struct tg_config *cfg)
{
    if (cfg->cmd != NULL) {
        snprintf(c->mode, sizeof(c->mode), "command");
        size_t used = 0;
        for (char **a = cfg->cmd; *a != NULL && used + 1 < sizeof(c->target); a++) {
            int w = snprintf(c->target + used, sizeof(c->target) - used, "%s%s", used ? " " : "", *a);
            if (w < 0)
                break;
            used += (size_t)w < sizeof(c->target) - used ? (size_t)w : sizeof(c->target) - used - 1;
        }
    } else if (cfg->netns_path != NULL) {
        snprintf(c->mode, sizeof(c->mode), "netns");
        snprintf(c->target, sizeof(c->target), "%s", cfg->netns_path);
    } else if (cfg->netns_pid > 0) {
        snprintf(c->mode, sizeof(c->mode), "pid");
        snprintf(c->target, sizeof(c->target), "%ld", (long)cfg->netns_pid);
    } else {
        snprintf(c->mode, sizeof(c->mode), "tun-fd");
        snprintf(c->target, sizeof(c->target), "fd %d", cfg->tun_fd);
    }
}

/* ---- the socket -------------------------------------------------------- */

/* The directory must be ours and closed to everyone else. */
static int dir_ready(const char *dir, char *err, size_t errlen)
{
    if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
        snprintf(err, errlen, "cannot create %s: %s", dir, strerror(errno));
        return -1;
    }
    struct stat st;
    if (lstat(dir, &st) != 0 || !S_ISDIR(st.st_mode) || st.st_uid != geteuid() ||
        (st.st_mode & 077) != 0) {
        snprintf(err, errlen, "%s must be a directory of yours that only you can enter (mode 0700)", dir);
        return -1;
    }
    return 0;
}

/* 1: a torgate answers there; 0: nothing does (a stale socket is removed). */
static int socket_live(const char *path)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return 1;                        /* cannot tell: leave it be */
    int live = connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 || errno != ECONNREFUSED;
    close(fd);
    if (!live)
        (void)unlink(path);
    return live;
}

static int bind_at(struct control *c)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", c->path);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    mode_t old = umask(0177);
    int rc = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
    umask(old);
    if (rc != 0 || listen(fd, 16) != 0) {
        int e = errno;
        close(fd);
        errno = e;
        return -1;
    }
    c->fd = fd;
    return 0;
}

int control_prepare_dir(char *dir, size_t cap)
{
    char why[256];
    return control_dir(dir, cap, why, sizeof(why)) == 0 && dir_ready(dir, why, sizeof(why)) == 0 ? 0 : -1;
}

struct control *control_open(const struct tg_config *cfg, char *err, size_t errlen)
{
    err[0] = '\0';
    if (cfg->name != NULL && !name_ok(cfg->name)) {
        snprintf(err, errlen, "bad --name '%s': use up to %d letters, digits, '.', '_' or '-', "
                 "not starting with '.' or '-'", cfg->name, NAME_MAX_LEN);
        return NULL;
    }
    struct control *c = calloc(1, sizeof(*c));
    if (c == NULL) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    c->fd = -1;
    c->started = time(NULL);
    describe(c, cfg);
    snprintf(c->tor_control, sizeof(c->tor_control), "%s", cfg->tor_control_name);
    char why[256];
    if (control_dir(c->dir, sizeof(c->dir), why, sizeof(why)) != 0 || dir_ready(c->dir, why, sizeof(why)) != 0) {
        if (cfg->name != NULL)
            snprintf(err, errlen, "no control socket for --name %s: %s", cfg->name, why);
        else
            log_info("no control socket (torgate ls will not see this one): %s", why);
        free(c);
        return NULL;
    }
    char base[NAME_MAX_LEN + 1];
    if (cfg->name != NULL)
        snprintf(base, sizeof(base), "%s", cfg->name);
    else
        default_name(cfg, base, sizeof(base));
    /* A derived name takes the first free suffix; a chosen one is the
     * user's to keep unique. */
    for (int k = 1; k < 1000; k++) {
        if (k == 1)
            snprintf(c->name, sizeof(c->name), "%s", base);
        else
            snprintf(c->name, sizeof(c->name), "%.52s-%d", base, k);
        if ((size_t)snprintf(c->path, sizeof(c->path), "%s/%s.sock", c->dir, c->name) >= sizeof(c->path)) {
            snprintf(err, errlen, "the control socket's path %s/%s.sock is too long", c->dir, c->name);
            break;
        }
        if (bind_at(c) == 0)
            return c;
        if (errno != EADDRINUSE) {
            snprintf(err, errlen, "cannot make the control socket %s: %s", c->path, strerror(errno));
            break;
        }
        if (!socket_live(c->path) && bind_at(c) == 0)
            return c;
        if (cfg->name != NULL) {
            snprintf(err, errlen, "a torgate named %s is already running (torgate ls); choose "
                     "another --name", cfg->name);
            break;
        }
    }
    if (err[0] == '\0')
        snprintf(err, errlen, "no free control socket name for %s", base);
    free(c);
    return NULL;
}

const char *control_name(const struct control *c)
{
    return c->name;
}

const char *control_path_dir(const struct control *c)
{
    return c->dir;
}

/* ---- requests ---------------------------------------------------------- */

static size_t reply_info(struct control *c, int json, char *out, size_t cap)
{
    struct stats_view v;
    loop_stats_view(c->loop, &v);
    long up = (long)(time(NULL) - c->started);
    if (!json)
        return (size_t)snprintf(out, cap, "%s\t%ld\t%s\t%zu\t%llu\t%llu\t%ld\t%s\n", c->name,
                                (long)getpid(), c->mode, v.streams_open,
                                (unsigned long long)v.relay->bytes_up,
                                (unsigned long long)v.relay->bytes_down, up, c->target);
    /* The SOCKS username tells this instance's circuits from others' in
     * Tor's circuit-status; torgate circuits reads both at tor_control. */
    char target[sizeof(c->target) * 6], ctl[sizeof(c->tor_control) * 6];
    info_reply_json_str(target, sizeof(target), c->target);
    info_reply_json_str(ctl, sizeof(ctl), c->tor_control);
    return (size_t)snprintf(out, cap, "{\"name\":\"%s\",\"pid\":%ld,\"mode\":\"%s\",\"target\":\"%s\","
                            "\"streams\":%zu,\"bytes_up\":%llu,\"bytes_down\":%llu,\"uptime\":%ld,"
                            "\"socks_user\":\"%s\",\"tor_control\":\"%s\"}\n",
                            c->name, (long)getpid(), c->mode, target, v.streams_open,
                            (unsigned long long)v.relay->bytes_up,
                            (unsigned long long)v.relay->bytes_down, up, loop_socks_user(c->loop), ctl);
}

struct text {
    char *out;
    size_t cap, len;
};

static void add_line(void *ctx, const char *line)
{
    struct text *t = ctx;
    int w = snprintf(t->out + t->len, t->cap - t->len, "%s\n", line);
    if (w > 0 && (size_t)w < t->cap - t->len)
        t->len += (size_t)w;
}

static size_t reply_stats(struct control *c, int json, char *out, size_t cap)
{
    struct stats_view v;
    loop_stats_view(c->loop, &v);
    if (!json) {
        struct text t = { out, cap, 0 };
        stats_lines(&v, add_line, &t);
        return t.len;
    }
    int head = snprintf(out, cap, "{\"name\":\"%s\",\"pid\":%ld,\"stats\":", c->name, (long)getpid());
    if (head < 0 || (size_t)head + 3 >= cap)
        return 0;
    size_t n = stats_json(&v, out + head, cap - (size_t)head - 2);
    if (n == 0)
        return 0;
    memcpy(out + head + n, "}\n", 2);
    return (size_t)head + n + 2;
}

/* Returns the reply's length; *stop: stop torgate once it is sent. */
static size_t handle(struct control *c, const char *req, char *out, size_t cap, int *stop)
{
    *stop = 0;
    if (strcmp(req, "info") == 0 || strcmp(req, "info json") == 0)
        return reply_info(c, req[4] != '\0', out, cap);
    if (strcmp(req, "stats") == 0 || strcmp(req, "stats json") == 0)
        return reply_stats(c, req[5] != '\0', out, cap);
    if (strcmp(req, "stop") == 0) {
        *stop = 1;
        return (size_t)snprintf(out, cap, "ok: %s is stopping\n", c->name);
    }
    if (strcmp(req, "new-identity") == 0 || strcmp(req, "new-identity close") == 0) {
        int close_streams = req[12] != '\0';
        if (loop_new_identity(c->loop, close_streams) != 0)
            return (size_t)snprintf(out, cap, "error: no randomness for a new credential\n");
        return (size_t)snprintf(out, cap, "ok: new streams of %s use a fresh SOCKS credential%s\n",
                                c->name, close_streams ? "; its streams were closed" : "");
    }
    return (size_t)snprintf(out, cap, "error: unknown request\n");
}

static void client_free(struct client *cl)
{
    for (int i = 0; i < cl->nfds; i++)
        close(cl->fds[i]);
    event_free(cl->ev);
    if (cl->fd >= 0)
        close(cl->fd);
    free(cl);
}

/* "exec": the connection and what came with it go to control_exec.c. Only
 * the user who started this torgate may run commands in its sandbox (not
 * even root, which can ask for anything else). */
static void hand_exec(struct client *cl, const char *rest, size_t len, int tty)
{
    const char *no = cl->c->exec == NULL ? "error: %s serves a namespace torgate did not make; "
                                           "enter it with nsenter instead\n"
                     : cl->uid != geteuid() ? "error: only the user who started %s may run "
                                              "commands in it\n" : NULL;
    if (no != NULL) {
        char out[256];
        int n = snprintf(out, sizeof(out), no, cl->c->name);
        if (n > 0 && write(cl->fd, out, (size_t)n) < 0)
            log_debug("control: a reply was lost: %s", strerror(errno));
        client_free(cl);
        return;
    }
    control_exec_take(cl->c->exec, cl->fd, rest, len, cl->fds, cl->nfds, tty);
    cl->fd = -1;
    cl->nfds = 0;
    client_free(cl);
}

static void on_client(evutil_socket_t fd, short what, void *arg)
{
    struct client *cl = arg;
    if (what & EV_TIMEOUT) {
        client_free(cl);
        return;
    }
    int fds[FDPASS_MAX], nfds = 0;
    ssize_t n = fdpass_recvv(fd, cl->req + cl->len, sizeof(cl->req) - 1 - cl->len, fds, 3 - cl->nfds,
                             &nfds);
    if (n < 0 && (errno == EAGAIN || errno == EINTR))
        return;
    for (int i = 0; i < nfds; i++)
        cl->fds[cl->nfds++] = fds[i];
    if (n <= 0) {
        client_free(cl);
        return;
    }
    size_t start = cl->len;
    cl->len += (size_t)n;
    cl->req[cl->len] = '\0';
    char *nl = memchr(cl->req + start, '\n', (size_t)n);
    if (nl == NULL) {
        if (cl->len + 1 >= sizeof(cl->req))
            client_free(cl);             /* no request line is that long */
        return;
    }
    *nl = '\0';
    if (strcmp(cl->req, "exec") == 0 || strcmp(cl->req, "exec tty") == 0) {
        hand_exec(cl, nl + 1, (size_t)(cl->req + cl->len - (nl + 1)), cl->req[4] != '\0');
        return;
    }
    static char out[REPLY_MAX];
    int stop;
    size_t len = handle(cl->c, cl->req, out, sizeof(out), &stop);
    if (len > sizeof(out))
        len = sizeof(out);
    /* A few KB into an empty unix socket buffer: one write does it. */
    if (len > 0 && write(fd, out, len) < 0)
        log_debug("control: a reply was lost: %s", strerror(errno));
    struct loop *l = cl->c->loop;
    client_free(cl);
    if (stop) {
        log_info("control: asked to stop");
        loop_stop(l);
    }
}

static void on_accept(evutil_socket_t fd, short what, void *arg)
{
    struct control *c = arg;
    (void)what;
    int cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (cfd < 0)
        return;
    struct ucred cr;
    socklen_t sl = sizeof(cr);
    if (getsockopt(cfd, SOL_SOCKET, SO_PEERCRED, &cr, &sl) != 0 ||
        (cr.uid != geteuid() && cr.uid != 0)) {
        close(cfd);                      /* the directory's mode should have stopped it */
        return;
    }
    struct client *cl = calloc(1, sizeof(*cl));
    struct timeval tmo = { 5, 0 };
    if (cl == NULL) {
        close(cfd);
        return;
    }
    cl->c = c;
    cl->fd = cfd;
    cl->uid = cr.uid;
    cl->ev = event_new(loop_base(c->loop), cfd, EV_READ | EV_PERSIST, on_client, cl);
    if (cl->ev == NULL || event_add(cl->ev, &tmo) != 0) {
        if (cl->ev != NULL)
            event_free(cl->ev);
        close(cfd);
        free(cl);
    }
}

int control_start(struct control *c, struct loop *l)
{
    c->loop = l;
    c->ev = event_new(loop_base(l), c->fd, EV_READ | EV_PERSIST, on_accept, c);
    if (c->ev == NULL || event_add(c->ev, NULL) != 0) {
        log_error("cannot serve the control socket %s", c->path);
        return -1;
    }
    log_info("control: %s (torgate stats %s, torgate stop %s)", c->path, c->name, c->name);
    return 0;
}

int control_exec_attach(struct control *c, int ctl)
{
    c->exec = control_exec_new(loop_base(c->loop), ctl);
    if (c->exec == NULL) {
        close(ctl);
        log_warn("control: torgate exec will not work in %s: %s", c->name, strerror(errno));
        return -1;
    }
    return 0;
}

void control_close(struct control *c)
{
    if (c == NULL)
        return;
    control_exec_free(c->exec);
    if (c->ev != NULL)
        event_free(c->ev);
    if (c->fd >= 0) {
        close(c->fd);
        if (confine_unlink_allowed() && unlink(c->path) != 0)
            log_debug("control: cannot remove %s: %s", c->path, strerror(errno));
    }
    free(c);
}
