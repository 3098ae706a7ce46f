/* The sandbox's boundary for IPC. The network namespace stops packets, not
 * a program asking a process outside to act for it over a unix socket
 * (tmux, screen, docker, systemd --user, a session bus in /tmp...). So the
 * places where such sockets live are the command's own, fresh and empty:
 *
 *   /tmp, /var/tmp, /dev/shm     an empty tmpfs each (mode 1777)
 *   /run (and a real /var/run)   an empty tmpfs, with back in it only what
 *                                programs read and no daemon listens in:
 *                                utmp, udev's device database, the mounts
 *                                under /run/media, /run/lock, /run/shm
 *   $XDG_RUNTIME_DIR             an empty tmpfs (0700); /run/user/UID when
 *                                the variable is unset
 *   /dev/log                     /dev/null, when it is a socket
 *
 * Whole directories are covered, so a socket made there after the command
 * started is out of reach too. Then only the sockets named by --socket are
 * bound back, each at the path the host's programs use for it (the socket
 * is opened before anything is covered, and bound by its open file, so
 * what is shared is exactly the host's socket).
 *
 * The sound server is never shared itself: the command gets the socket of
 * torgate's filter (audio/pulse_filter.c) where it looks for the server.
 *
 * Sockets elsewhere (in the home directory: a pathname socket can be
 * anywhere the user can write) are kept out of reach by the connect()
 * broker (unix_broker.c). */
#define _GNU_SOURCE
#include "sandbox/sandbox_ipc.h"
#include "base/log.h"
#include "config/options.h"
#include "config/options_path.h"
#include "sandbox/unix_broker.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_PLACES 16
#define TMP_FLAGS (MS_NOSUID | MS_NODEV)

/* The sound filter's socket (audio/pulse_filter.c), and where the command
 * looks for its sound server. */
static char pulse_via[108], pulse_at[PATH_MAX];

/* Something of the host's to put back once its directory is covered. */
struct place {
    char path[PATH_MAX];   /* the host's path, where the command sees it too */
    char what[64];         /* for messages: "X11 display :0", "/run/utmp" */
    int fd;                /* O_PATH to it, opened before the covering */
    int rdonly, dir;
};

struct places {
    struct place p[MAX_PLACES];
    int n;
};

static void places_close(struct places *ps)
{
    for (int i = 0; i < ps->n; i++)
        if (ps->p[i].fd >= 0)
            close(ps->p[i].fd);
    ps->n = 0;
}

/* Opens path for later. want: S_IFSOCK, S_IFREG or S_IFDIR. 1 when kept, 0
 * when missing or of another kind (said with -v, or as a warning when the
 * user asked for it by name). */
static int keep(struct places *ps, const char *what, const char *path, mode_t want, int rdonly, int asked)
{
    struct stat st;
    if (ps->n == MAX_PLACES || strlen(path) >= PATH_MAX)
        return 0;
    int fd = open(path, O_PATH | O_CLOEXEC);
    if (fd < 0 || fstat(fd, &st) != 0 || (st.st_mode & S_IFMT) != want) {
        const char *why = fd < 0 ? strerror(errno) : "not a socket";
        if (fd >= 0 && want != S_IFSOCK)
            why = want == S_IFDIR ? "not a directory" : "not a file";
        if (asked)
            log_warn("--socket %s: nothing to share at %s (%s)", what, path, why);
        else
            log_debug("sandbox: %s not kept: %s", path, why);
        if (fd >= 0)
            close(fd);
        return 0;
    }
    struct place *p = &ps->p[ps->n++];
    snprintf(p->path, sizeof(p->path), "%s", path);
    snprintf(p->what, sizeof(p->what), "%s", what);
    p->fd = fd;
    p->rdonly = rdonly;
    p->dir = want == S_IFDIR;
    return 1;
}

/* dir/name into out; 0, or -1 when it does not fit. */
static int join(char *out, size_t len, const char *dir, const char *name)
{
    int w = snprintf(out, len, "%s/%s", dir, name);
    return w > 0 && (size_t)w < len ? 0 : -1;
}

/* $XDG_RUNTIME_DIR, or /run/user/UID where a session would have it. */
static void runtime_dir(char *buf, size_t len)
{
    const char *x = getenv("XDG_RUNTIME_DIR");
    char real[PATH_MAX];
    if (x != NULL && x[0] == '/')
        snprintf(buf, len, "%s", realpath(x, real) != NULL ? real : x);
    else
        snprintf(buf, len, "/run/user/%u", (unsigned)getuid());
}

int sandbox_ipc_pulse_server(char *out, size_t len)
{
    char xdg[PATH_MAX];
    const char *v = getenv("PULSE_SERVER");
    if (v != NULL && strncmp(v, "unix:", 5) == 0)
        v += 5;
    if (v != NULL && v[0] != '\0')
        return v[0] == '/' && snprintf(out, len, "%s", v) < (int)len ? 0 : -1;
    runtime_dir(xdg, sizeof(xdg));
    return join(out, len, xdg, "pulse/native");
}

void sandbox_ipc_pulse_via(const char *sock, const char *server)
{
    snprintf(pulse_via, sizeof(pulse_via), "%s", sock);
    snprintf(pulse_at, sizeof(pulse_at), "%s", server);
}

/* The first unix:path= of a D-Bus address, into out; 0 or -1. */
static int bus_path(const char *addr, char *out, size_t len)
{
    const char *p = addr != NULL ? strstr(addr, "unix:path=") : NULL;
    if (p == NULL)
        return -1;
    p += strlen("unix:path=");
    size_t n = strcspn(p, ",;");
    if (n == 0 || n >= len)
        return -1;
    memcpy(out, p, n);
    out[n] = '\0';
    return 0;
}

/* DISPLAY ":0", ":0.0", "unix:0": the display number; -1 for a TCP display. */
static int display_number(const char *d)
{
    const char *colon = d != NULL ? strrchr(d, ':') : NULL;
    if (colon == NULL || !(colon == d || (colon - d == 4 && strncmp(d, "unix", 4) == 0)))
        return -1;
    char *end;
    long n = strtol(colon + 1, &end, 10);
    if (end == colon + 1 || (*end != '\0' && *end != '.') || n < 0 || n > 65535)
        return -1;
    return (int)n;
}

static void keep_x11(struct places *ps, int nested)
{
    const char *d = getenv("DISPLAY");
    int n = display_number(d);
    char path[PATH_MAX], what[64];
    if (d == NULL) {
        log_info("--socket x11: DISPLAY is not set; no X server to share");
        return;
    }
    if (n < 0) {
        log_warn("--socket x11: DISPLAY=%s is not a local display; inside, it would go through Tor", d);
        return;
    }
    snprintf(path, sizeof(path), "/tmp/.X11-unix/X%d", n);
    snprintf(what, sizeof(what), "x11 (display :%d)", n);
    if (keep(ps, what, path, S_IFSOCK, 0, 1)) {
        /* One line, always: X11 has no isolation between its clients. */
        if (!nested)
            log_warn("--socket x11: the command shares your X server; X clients can read the screen "
                     "and type into your other windows (--x11 nested gives it one of its own)");
        const char *xa = getenv("XAUTHORITY");
        if (xa != NULL && xa[0] == '/')
            keep(ps, "x11 (its cookie)", xa, S_IFREG, 1, 0);
    }
}

static void keep_named(struct places *ps, unsigned sockets, const char *xdg)
{
    char path[PATH_MAX];
    const char *v;
    int wayland = 0;
    if (sockets & TG_SOCKET_WAYLAND) {
        v = getenv("WAYLAND_DISPLAY");
        if (v == NULL || v[0] == '\0')
            log_info("--socket wayland: WAYLAND_DISPLAY is not set; no Wayland session to share");
        else if (v[0] == '/' ? snprintf(path, sizeof(path), "%s", v) < (int)sizeof(path)
                             : join(path, sizeof(path), xdg, v) == 0)
            wayland = keep(ps, "wayland", path, S_IFSOCK, 0, 1);
    }
    /* fallback-x11 (Flatpak's name): X11 for a program that would rather
     * use Wayland, only when there is none to give it. */
    if (sockets & TG_SOCKET_X11_NESTED)
        keep_x11(ps, 1);       /* DISPLAY names the nested server (x11_nested.c) */
    else if ((sockets & TG_SOCKET_X11) || ((sockets & TG_SOCKET_FALLBACK_X11) && !wayland))
        keep_x11(ps, 0);
    /* The filter's socket, where the command looks for the server. */
    if ((sockets & TG_SOCKET_PULSEAUDIO) && pulse_via[0] != '\0' &&
        keep(ps, "pulseaudio (through torgate's filter)", pulse_via, S_IFSOCK, 0, 1))
        snprintf(ps->p[ps->n - 1].path, sizeof(ps->p[ps->n - 1].path), "%s", pulse_at);
    if (sockets & TG_SOCKET_SESSION_BUS) {
        int n = 0;
        char own[PATH_MAX] = "";
        if (bus_path(getenv("DBUS_SESSION_BUS_ADDRESS"), path, sizeof(path)) == 0)
            n += keep(ps, "session-bus", path, S_IFSOCK, 0, 1);
        /* Where a bus is looked for when the address is not given. */
        if (join(own, sizeof(own), xdg, "bus") == 0 &&
            (n == 0 || strcmp(own, path) != 0) && access(own, F_OK) == 0)
            n += keep(ps, "session-bus", own, S_IFSOCK, 0, 1);
        if (n == 0)
            log_warn("--socket session-bus: no session bus found (DBUS_SESSION_BUS_ADDRESS, %s)", own);
    }
    if (sockets & TG_SOCKET_SSH_AGENT) {
        v = getenv("SSH_AUTH_SOCK");
        if (v == NULL || v[0] != '/')
            log_info("--socket ssh-agent: SSH_AUTH_SOCK is not set; no agent to share");
        else
            keep(ps, "ssh-agent", v, S_IFSOCK, 0, 1);
    }
    if (sockets & TG_SOCKET_GPG_AGENT) {
        /* gpg's own places: the runtime directory, else the home's. Only
         * the agent: dirmngr (S.dirmngr) fetches keys from the network. */
        const char *gh = getenv("GNUPGHOME"), *home = options_home_dir();
        int ok = join(path, sizeof(path), xdg, "gnupg/S.gpg-agent") == 0 && access(path, F_OK) == 0;
        if (!ok && gh != NULL && gh[0] == '/')
            ok = join(path, sizeof(path), gh, "S.gpg-agent") == 0;
        else if (!ok)
            ok = join(path, sizeof(path), home != NULL ? home : "", ".gnupg/S.gpg-agent") == 0;
        if (ok)
            keep(ps, "gpg-agent", path, S_IFSOCK, 0, 1);
    }
}

/* Under /run, what programs read and no daemon listens in. */
static void keep_run(struct places *ps)
{
    keep(ps, "/run/utmp", "/run/utmp", S_IFREG, 1, 0);
    keep(ps, "udev's device database", "/run/udev/data", S_IFDIR, 1, 0);
    keep(ps, "removable media", "/run/media", S_IFDIR, 0, 0);
}

static int cover(const char *dir, const char *mode, char *err, size_t errlen)
{
    struct stat st;
    char opts[32];
    /* A symlink (/var/run -> /run) is covered where it points, once. */
    if (lstat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
        return 0;
    snprintf(opts, sizeof(opts), "mode=%s", mode);
    if (mount("tmpfs", dir, "tmpfs", TMP_FLAGS, opts) != 0) {
        snprintf(err, errlen, "cannot give the sandbox a private %s: %s", dir, strerror(errno));
        return -1;
    }
    log_debug("sandbox: %s is private and empty", dir);
    return 0;
}

/* mkdir -p; the last component gets mode (parents 0755). */
static int make_dirs(const char *path, mode_t mode, char *err, size_t errlen)
{
    char p[PATH_MAX];
    snprintf(p, sizeof(p), "%s", path);
    for (char *s = p + 1;; s++) {
        char *slash = strchr(s, '/');
        if (slash != NULL)
            *slash = '\0';
        if (mkdir(p, slash != NULL ? 0755 : mode) != 0 && errno != EEXIST) {
            snprintf(err, errlen, "cannot make %s in the sandbox: %s", p, strerror(errno));
            return -1;
        }
        if (slash == NULL)
            return 0;
        *slash = '/';
        s = slash;
    }
}

/* Binds a kept place at its path, making the place (and its parents) in
 * the covered directory it is in. */
static int put_back(const struct place *p, char *err, size_t errlen)
{
    struct stat now, was;
    char dir[PATH_MAX], src[64];
    if (fstat(p->fd, &was) == 0 && stat(p->path, &now) == 0 && now.st_dev == was.st_dev &&
        now.st_ino == was.st_ino)
        return 0;        /* never covered (e.g. in the home directory) */
    snprintf(dir, sizeof(dir), "%s", p->path);
    char *slash = strrchr(dir, '/');
    if (slash != NULL && slash != dir) {
        *slash = '\0';
        /* X11's directory is shared by every user's servers: 1777, as on the host. */
        if (make_dirs(dir, strcmp(dir, "/tmp/.X11-unix") == 0 ? 01777 : 0700, err, errlen) != 0)
            return -1;
        if (strcmp(dir, "/tmp/.X11-unix") == 0)
            (void)chmod(dir, 01777);
    }
    if (p->dir) {
        if (mkdir(p->path, 0755) != 0 && errno != EEXIST) {
            snprintf(err, errlen, "cannot make %s in the sandbox: %s", p->path, strerror(errno));
            return -1;
        }
    } else if (lstat(p->path, &now) != 0) {
        /* (Where something is, outside the covered places, it is bound over.) */
        int fd = open(p->path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (fd < 0 || close(fd) != 0) {
            snprintf(err, errlen, "cannot make a place for %s at %s: %s", p->what, p->path, strerror(errno));
            return -1;
        }
    }
    snprintf(src, sizeof(src), "/proc/self/fd/%d", p->fd);
    if (mount(src, p->path, NULL, MS_BIND | (p->dir ? MS_REC : 0), NULL) != 0) {
        snprintf(err, errlen, "cannot share %s at %s: %s", p->what, p->path, strerror(errno));
        return -1;
    }
    if (p->rdonly) {
        struct mount_attr attr = { .attr_set = MOUNT_ATTR_RDONLY };
        if (mount_setattr(AT_FDCWD, p->path, AT_RECURSIVE, &attr, sizeof(attr)) != 0) {
            snprintf(err, errlen, "cannot make %s read-only in the sandbox: %s", p->path, strerror(errno));
            return -1;
        }
    }
    return 0;
}

/* /run's own skeleton: what programs expect to find there. */
static int run_skeleton(const char *xdg, char *err, size_t errlen)
{
    if (make_dirs("/run/lock", 01777, err, errlen) != 0 || chmod("/run/lock", 01777) != 0 ||
        (symlink("/dev/shm", "/run/shm") != 0 && errno != EEXIST)) {
        if (err[0] == '\0')
            snprintf(err, errlen, "cannot prepare the sandbox's /run: %s", strerror(errno));
        return -1;
    }
    /* The runtime directory: made inside what is now private, or covered
     * where it is not (a runtime directory outside /run and /tmp). */
    struct stat st;
    if (stat(xdg, &st) == 0) {
        if (mount("tmpfs", xdg, "tmpfs", TMP_FLAGS, "mode=0700") != 0) {
            snprintf(err, errlen, "cannot give the sandbox a private %s: %s", xdg, strerror(errno));
            return -1;
        }
        return 0;
    }
    return make_dirs(xdg, 0700, err, errlen);
}

static int hide_dev_log(char *err, size_t errlen)
{
    struct stat st;
    if (stat("/dev/log", &st) != 0 || !S_ISSOCK(st.st_mode))
        return 0;     /* a symlink into /run dangles now */
    if (mount("/dev/null", "/dev/log", NULL, MS_BIND, NULL) != 0) {
        snprintf(err, errlen, "cannot hide /dev/log (the host's syslog): %s", strerror(errno));
        return -1;
    }
    return 0;
}

int sandbox_ipc_setup(const struct tg_config *cfg, char *err, size_t errlen)
{
    struct places ps = { .n = 0 };
    char xdg[PATH_MAX];
    int rc = -1;

    err[0] = '\0';
    runtime_dir(xdg, sizeof(xdg));
    unix_broker_asked(cfg->sockets);
    keep_named(&ps, cfg->sockets, xdg);
    int nnamed = ps.n;
    keep_run(&ps);
    if (cover("/tmp", "1777", err, errlen) != 0 || cover("/var/tmp", "1777", err, errlen) != 0 ||
        cover("/dev/shm", "1777", err, errlen) != 0 || cover("/run", "0755", err, errlen) != 0 ||
        cover("/var/run", "0755", err, errlen) != 0 || run_skeleton(xdg, err, errlen) != 0 ||
        hide_dev_log(err, errlen) != 0)
        goto out;
    for (int i = 0; i < ps.n; i++) {
        if (put_back(&ps.p[i], err, errlen) != 0)
            goto out;
        struct stat st;
        if (i < nnamed && fstat(ps.p[i].fd, &st) == 0) {
            if (S_ISSOCK(st.st_mode))
                unix_broker_allow(st.st_dev, st.st_ino);
            log_info("sandbox: shared %s at %s", ps.p[i].what, ps.p[i].path);
        }
    }
    log_info("sandbox: /tmp, /var/tmp, /dev/shm, /run and %s are private%s", xdg,
             nnamed > 0 ? "; shared only the sockets above" : "; no desktop socket shared");
    rc = 0;
out:
    places_close(&ps);
    return rc;
}
