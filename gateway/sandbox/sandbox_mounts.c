/* The command's view of files, as profiles and --bind/--bind-ro/--hide/
 * --private-home shape it, in the sandbox's own mount namespace (nothing
 * here touches the host's). In this order:
 *
 * 1. every bind source is opened first (O_PATH), so a source inside $HOME
 *    is the host's file even once the private home covers $HOME;
 * 2. --private-home: an empty tmpfs on $HOME (X11's and PulseAudio's
 *    cookies are brought back read-only, so GUI programs still work);
 * 3. the binds, in the order given; a place that does not exist is made
 *    only inside the private home (never on the host's disks);
 * 4. the hides: an empty read-only tmpfs on a directory, /dev/null on a
 *    file. Hides come last, so a hide always wins over a bind;
 * 5. back into the working directory as the command will see it.
 *
 * torgate's own masks (the private /tmp, /run and runtime directory,
 * sandbox_ipc.c; resolver sockets, Tor's control socket, its control
 * sockets, sandbox_fs.c) are in place before all this:
 * a bind's source is looked up, and a directory bound with its submounts,
 * as the sandbox sees it, masks included, so no bind can reopen them. */
#define _GNU_SOURCE
#include "sandbox/sandbox_mounts.h"
#include "base/log.h"
#include "config/options_path.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_AUTO 2   /* X11 and PulseAudio cookies */

struct bind_src {
    const struct tg_mount *m;
    int fd;          /* O_PATH, or -1: skipped */
};

/* The home directory, resolved: where the private home's tmpfs goes. */
static const char *home_path(char *buf, size_t len)
{
    const char *h = options_home_dir();
    if (h == NULL || realpath(h, buf) == NULL || strlen(buf) >= len || strcmp(buf, "/") == 0)
        return NULL;
    return buf;
}

static int under(const char *path, const char *dir)
{
    size_t n = strlen(dir);
    return dir[0] != '\0' && strncmp(path, dir, n) == 0 && (path[n] == '/' || path[n] == '\0');
}

/* The private home as path names it: resolved (home) or as ~ expanded in
 * the options, which may lead through a symlink. */
static const char *home_of(const char *path, const char *home)
{
    const char *h = options_home_dir();
    if (under(path, home))
        return home;
    return h != NULL && under(path, h) ? h : NULL;
}

/* Where a bind may have its place made: inside the private home, or in
 * the sandbox's own /tmp (sandbox_ipc.c made both empty for this run, so
 * nothing of the host's is touched). The directory it is under, or NULL. */
static const char *own_place(const char *dst, const char *home)
{
    const char *h = home[0] != '\0' ? home_of(dst, home) : NULL;
    if (h != NULL)
        return h;
    return under(dst, "/tmp") && strcmp(dst, "/tmp") != 0 ? "/tmp" : NULL;
}

/* Makes dst (and its parents) inside own (own_place), a directory or an
 * empty file as the source is. */
static int make_place(const char *dst, int is_dir, const char *home, char *err, size_t errlen)
{
    char p[PATH_MAX];
    snprintf(p, sizeof(p), "%s", dst);
    for (char *s = p + strlen(home) + 1; (s = strchr(s, '/')) != NULL; s++) {
        *s = '\0';
        if (mkdir(p, 0700) != 0 && errno != EEXIST) {
            snprintf(err, errlen, "cannot make %s in the sandbox: %s", p, strerror(errno));
            return -1;
        }
        *s = '/';
    }
    int rc = is_dir ? mkdir(p, 0700) : -1;
    if (!is_dir) {
        int fd = open(p, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
        rc = fd >= 0 ? close(fd) : -1;
    }
    if (rc != 0 && errno != EEXIST) {
        snprintf(err, errlen, "cannot make %s in the sandbox: %s", p, strerror(errno));
        return -1;
    }
    return 0;
}

static int do_bind(const struct bind_src *b, const char *home, char *err, size_t errlen)
{
    const struct tg_mount *m = b->m;
    const char *opt = m->kind == TG_MOUNT_BIND_RO ? "--bind-ro" : "--bind";
    struct stat sst, dst;
    char src[64];
    if (fstat(b->fd, &sst) != 0) {
        snprintf(err, errlen, "%s %s: %s", opt, m->src, strerror(errno));
        return -1;
    }
    if (stat(m->dst, &dst) != 0) {
        const char *h = own_place(m->dst, home);
        if (errno != ENOENT || h == NULL) {
            snprintf(err, errlen, "%s %s: %s in the sandbox: %s; bind onto a place that exists "
                     "(torgate makes places only inside --private-home and the sandbox's own /tmp)",
                     opt, m->src, m->dst, strerror(errno));
            return -1;
        }
        if (make_place(m->dst, S_ISDIR(sst.st_mode), h, err, errlen) != 0)
            return -1;
    }
    snprintf(src, sizeof(src), "/proc/self/fd/%d", b->fd);
    if (mount(src, m->dst, NULL, MS_BIND | MS_REC, NULL) != 0) {
        snprintf(err, errlen, "%s %s: cannot bind it at %s: %s%s", opt, m->src, m->dst, strerror(errno),
                 errno == ENOTDIR ? " (a file and a directory cannot stand for each other)" : "");
        return -1;
    }
    if (m->kind == TG_MOUNT_BIND_RO) {
        struct mount_attr attr = { .attr_set = MOUNT_ATTR_RDONLY };
        if (mount_setattr(AT_FDCWD, m->dst, AT_RECURSIVE, &attr, sizeof(attr)) != 0) {
            snprintf(err, errlen, "--bind-ro %s: cannot make %s read-only: %s (mount_setattr needs "
                     "Linux 5.12 or later)", m->src, m->dst, strerror(errno));
            return -1;
        }
    }
    log_info("sandbox: %s %s%s%s", m->kind == TG_MOUNT_BIND_RO ? "read-only" : "bound", m->src,
             strcmp(m->src, m->dst) != 0 ? " at " : "", strcmp(m->src, m->dst) != 0 ? m->dst : "");
    return 0;
}

static int do_hide(const struct tg_mount *m, char *err, size_t errlen)
{
    struct stat st;
    if (stat(m->src, &st) != 0) {
        log_debug("sandbox: nothing to hide at %s (%s)", m->src, strerror(errno));
        return 0;
    }
    int rc = S_ISDIR(st.st_mode)
        ? mount("tmpfs", m->src, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_RDONLY, "mode=0755,size=4k")
        : mount("/dev/null", m->src, NULL, MS_BIND, NULL);
    if (rc != 0) {
        snprintf(err, errlen, "--hide %s: cannot hide it: %s", m->src, strerror(errno));
        return -1;
    }
    log_info("sandbox: hid %s", m->src);
    return 0;
}

/* X11's and PulseAudio's cookies, when they live in $HOME: without them a
 * GUI program under --private-home could reach the display but not talk
 * to it. Read-only; only what exists. */
static int auto_binds(const char *home, struct tg_mount *auto_m, char paths[][PATH_MAX])
{
    int n = 0;
    const char *xa = getenv("XAUTHORITY");
    if (getenv("DISPLAY") != NULL) {
        int w = xa != NULL && xa[0] == '/' ? snprintf(paths[n], PATH_MAX, "%s", xa)
                                           : snprintf(paths[n], PATH_MAX, "%s/.Xauthority", home);
        n += w > 0 && w < PATH_MAX;
    }
    int w = snprintf(paths[n], PATH_MAX, "%s/.config/pulse/cookie", home);
    n += w > 0 && w < PATH_MAX;
    int k = 0;
    for (int i = 0; i < n; i++) {
        struct stat st;
        if (home_of(paths[i], home) == NULL || stat(paths[i], &st) != 0)
            continue;
        auto_m[k] = (struct tg_mount){ .kind = TG_MOUNT_BIND_RO, .optional = 1,
                                       .src = paths[i], .dst = paths[i] };
        k++;
    }
    return k;
}

static int open_sources(const struct tg_config *cfg, const struct tg_mount *auto_m, int nauto,
                        struct bind_src *b, int *nb, char *err, size_t errlen)
{
    *nb = 0;
    for (int i = 0; i < nauto + cfg->nmounts; i++) {
        const struct tg_mount *m = i < nauto ? &auto_m[i] : &cfg->mounts[i - nauto];
        if (m->kind == TG_MOUNT_HIDE)
            continue;
        int fd = open(m->src, O_PATH | O_CLOEXEC);
        if (fd < 0 && !(errno == ENOENT && m->optional)) {
            snprintf(err, errlen, "%s %s: %s%s", m->kind == TG_MOUNT_BIND_RO ? "--bind-ro" : "--bind",
                     m->src, strerror(errno),
                     errno == ENOENT ? "; create it, or write -PATH to skip it when it is missing" : "");
            return -1;
        }
        if (fd < 0)
            log_info("sandbox: %s does not exist; not bound", m->src);
        b[*nb].m = m;
        b[*nb].fd = fd;
        (*nb)++;
    }
    return 0;
}

int sandbox_mounts_setup(const struct tg_config *cfg, char *err, size_t errlen)
{
    struct bind_src b[TG_MAX_MOUNTS + MAX_AUTO];
    struct tg_mount auto_m[MAX_AUTO];
    char auto_paths[MAX_AUTO][PATH_MAX], homebuf[PATH_MAX], cwd[PATH_MAX];
    const char *home = "";
    int nb = 0, nauto = 0, rc = -1;

    if (cfg->nmounts == 0 && !cfg->private_home)
        return 0;
    int have_cwd = getcwd(cwd, sizeof(cwd)) != NULL;
    if (cfg->private_home) {
        home = home_path(homebuf, sizeof(homebuf));
        if (home == NULL) {
            snprintf(err, errlen, "--private-home: no home directory to cover (HOME is unset, "
                     "missing or /); set HOME");
            return -1;
        }
        nauto = auto_binds(home, auto_m, auto_paths);
    }
    if (open_sources(cfg, auto_m, nauto, b, &nb, err, errlen) != 0)
        goto out;
    if (cfg->private_home) {
        if (mount("tmpfs", home, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0700") != 0) {
            snprintf(err, errlen, "--private-home: cannot mount a tmpfs on %s: %s", home, strerror(errno));
            goto out;
        }
        log_info("sandbox: %s is a private, empty home", home);
    }
    for (int i = 0; i < nb; i++)
        if (b[i].fd >= 0 && do_bind(&b[i], home, err, errlen) != 0)
            goto out;
    for (int i = 0; i < cfg->nmounts; i++)
        if (cfg->mounts[i].kind == TG_MOUNT_HIDE && do_hide(&cfg->mounts[i], err, errlen) != 0)
            goto out;
    /* The old working directory may now be covered: enter it again as the
     * command sees it, or the command could reach what is hidden by ".." */
    if (!have_cwd || chdir(cwd) != 0) {
        const char *to = cfg->private_home ? home : "/";
        if (chdir(to) != 0) {
            snprintf(err, errlen, "cannot enter %s in the sandbox: %s", to, strerror(errno));
            goto out;
        }
        log_warn("the working directory %s is not in the sandbox; the command starts in %s",
                 have_cwd ? cwd : "(unknown)", to);
    }
    rc = 0;
out:
    for (int i = 0; i < nb; i++)
        if (b[i].fd >= 0)
            close(b[i].fd);
    return rc;
}
