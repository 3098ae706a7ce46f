/* The sandbox's view of name resolution: /etc/resolv.conf names the stub,
 * and the other ways glibc could resolve a name outside Tor are closed.
 *
 * - nss-resolve talks to systemd-resolved over the varlink socket in
 *   /run/systemd/resolve, nscd over /run/nscd/socket, and resolved also
 *   answers over the system D-Bus: these directories get an empty tmpfs on
 *   top, so the sockets do not exist in the sandbox and glibc falls through
 *   to "dns", i.e. to the stub.
 * - /etc/resolv.conf may be a file, a symlink to a file (systemd-resolved,
 *   NetworkManager), a symlink into one of the directories just masked, a
 *   dangling symlink (containers), a container runtime's bind mount, or
 *   missing. A symlink into a masked directory gets the file created in that
 *   tmpfs; a bind-mounted file gets the stub's file bound over it; every
 *   other case gets an overlay on /etc whose upper layer holds the file.
 *   Whatever the case, the result is read back before the command runs.
 * The stub's file is written in a private tmpfs mounted for a moment on a
 * scratch directory, so nothing is ever written to the host's disks. */
#define _GNU_SOURCE
#include "sandbox/sandbox_fs.h"
#include "base/log.h"
#include "sandbox/tun.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#define RESOLV "/etc/resolv.conf"
#define TMPFS_FLAGS (MS_NOSUID | MS_NODEV | MS_NOEXEC)

/* Resolver sockets, the system bus (systemd-resolved answers name lookups
 * over D-Bus too) and Tor's control socket (an app that can reconfigure Tor
 * is not confined by it). */
static const char *const masked_dirs[] = {
    "/run/systemd/resolve", "/run/nscd", "/var/run/nscd",
    "/run/dbus", "/var/run/dbus", "/run/tor", "/var/run/tor",
    "/run/avahi-daemon",      /* nss-mdns: .local names asked on the host's LAN */
};
static const char *const scratch_dirs[] = { "/tmp", "/mnt", "/media", "/var/tmp", "/run" };

/* torgate's own control sockets (control.c): a program in one sandbox must
 * neither see nor steer any torgate, its own included. */
static char control_dir_mask[PATH_MAX];

void sandbox_fs_mask_control_dir(const char *dir)
{
    snprintf(control_dir_mask, sizeof(control_dir_mask), "%s", dir != NULL ? dir : "");
}

/* "search .": an explicit, empty search list. Without a search line glibc
 * derives one from the hostname, and "intranet" would go to Tor as
 * "intranet.corp.example", telling the exit the host's domain. */
const char sandbox_resolv_text[] =
    "# Written by torgate: names resolve through Tor via its stub.\n"
    "nameserver " TUN_GATEWAY4 "\n"
    "nameserver " TUN_GATEWAY6 "\n"
    "search .\n"
    "options edns0\n";

static int write_text(const char *path, int excl, char *err, size_t errlen)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW | (excl ? O_EXCL : 0), 0644);
    if (fd < 0) {
        snprintf(err, errlen, "cannot create %s: %s", path, strerror(errno));
        return -1;
    }
    size_t len = sizeof(sandbox_resolv_text) - 1;
    ssize_t n = write(fd, sandbox_resolv_text, len);
    int e = errno;
    if (close(fd) != 0 && n == (ssize_t)len) {
        n = -1;
        e = errno;
    }
    if (n != (ssize_t)len) {
        snprintf(err, errlen, "cannot write %s: %s", path, n < 0 ? strerror(e) : "short write");
        return -1;
    }
    return 0;
}

/* Masks the resolver sockets' directories. Remembers their real paths so a
 * resolv.conf symlink into one of them can be recognised. */
static int mask_dirs(char masked[][PATH_MAX], int *nmasked, char *err, size_t errlen)
{
    *nmasked = 0;
    size_t n = sizeof(masked_dirs) / sizeof(masked_dirs[0]);
    for (size_t i = 0; i <= n; i++) {
        const char *dir = i < n ? masked_dirs[i] : control_dir_mask;
        char real[PATH_MAX];
        struct stat st;
        if (dir[0] == '\0' || realpath(dir, real) == NULL || stat(real, &st) != 0 || !S_ISDIR(st.st_mode))
            continue;
        int dup = 0;
        for (int k = 0; k < *nmasked; k++)
            dup |= strcmp(masked[k], real) == 0;
        if (dup)
            continue;
        if (mount("tmpfs", real, "tmpfs", TMPFS_FLAGS, "mode=0755,size=64k") != 0) {
            snprintf(err, errlen, "cannot hide %s (%s): %s", real,
                     i < n ? "a resolver that bypasses Tor" : "torgate's control sockets",
                     strerror(errno));
            return -1;
        }
        log_info("sandbox: hid %s (%s)", real, i < n ? "a path around Tor" : "torgate's control sockets");
        snprintf(masked[(*nmasked)++], PATH_MAX, "%s", real);
    }
    return 0;
}

/* The absolute path a symlink at RESOLV points to (one level, which is what
 * distributions use). */
static int link_target(char *out, size_t outlen)
{
    char buf[PATH_MAX];
    ssize_t n = readlink(RESOLV, buf, sizeof(buf) - 1);
    if (n < 0)
        return -1;
    buf[n] = '\0';
    char abs[PATH_MAX + 8], dir[PATH_MAX];
    int w = buf[0] == '/' ? snprintf(abs, sizeof(abs), "%s", buf) : snprintf(abs, sizeof(abs), "/etc/%s", buf);
    if (w <= 0 || (size_t)w >= sizeof(abs))
        return -1;
    /* Normalise the directory ("/etc/../run/x" -> "/run/x") when it exists,
     * so a target inside a masked directory is recognised. */
    char *slash = strrchr(abs, '/');
    *slash = '\0';
    if (realpath(abs[0] != '\0' ? abs : "/", dir) != NULL)
        w = snprintf(out, outlen, "%s/%s", strcmp(dir, "/") == 0 ? "" : dir, slash + 1);
    else
        w = snprintf(out, outlen, "%s/%s", abs, slash + 1);
    return w > 0 && (size_t)w < outlen ? 0 : -1;
}

static int in_dir(const char *path, const char *dir)
{
    size_t l = strlen(dir);
    return strncmp(path, dir, l) == 0 && path[l] == '/' && strchr(path + l + 1, '/') == NULL;
}

/* A scratch tmpfs for the stub's file: mounted on an existing directory,
 * then lazily unmounted; what was bind-mounted from it stays. */
static int scratch_mount(char *dir, size_t dirlen, char *err, size_t errlen)
{
    for (size_t i = 0; i < sizeof(scratch_dirs) / sizeof(scratch_dirs[0]); i++) {
        struct stat st;
        if (stat(scratch_dirs[i], &st) != 0 || !S_ISDIR(st.st_mode))
            continue;
        if (mount("tmpfs", scratch_dirs[i], "tmpfs", TMPFS_FLAGS, "mode=0755,size=256k") == 0) {
            snprintf(dir, dirlen, "%s", scratch_dirs[i]);
            return 0;
        }
    }
    snprintf(err, errlen, "cannot mount a scratch tmpfs for resolv.conf: %s", strerror(errno));
    return -1;
}

static void scratch_release(const char *dir)
{
    if (umount2(dir, MNT_DETACH) != 0)
        log_debug("resolver: cannot unmount the scratch tmpfs on %s: %s", dir, strerror(errno));
}

static int bind_over(const char *src, const char *target, char *err, size_t errlen)
{
    if (mount(src, target, NULL, MS_BIND, NULL) != 0) {
        snprintf(err, errlen, "cannot bind the stub's resolv.conf over %s: %s", target, strerror(errno));
        return -1;
    }
    /* Read-only: the app cannot point itself elsewhere (it would reach nothing
     * anyway, but a sandbox should not be rewritable from inside). */
    if (mount(NULL, target, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | TMPFS_FLAGS, NULL) != 0)
        log_debug("resolver: cannot make %s read-only: %s", target, strerror(errno));
    return 0;
}

/* /etc/resolv.conf is dangling or missing: lay a writable layer over /etc. */
static int overlay_etc(const char *scratch, char *err, size_t errlen)
{
    char upper[PATH_MAX], work[PATH_MAX], opts[3 * PATH_MAX];
    int a = snprintf(upper, sizeof(upper), "%s/etc-upper", scratch);
    int b = snprintf(work, sizeof(work), "%s/etc-work", scratch);
    if (a < 0 || (size_t)a >= sizeof(upper) || b < 0 || (size_t)b >= sizeof(work) ||
        mkdir(upper, 0755) != 0 || mkdir(work, 0755) != 0) {
        snprintf(err, errlen, "cannot prepare an overlay for /etc: %s", strerror(errno));
        return -1;
    }
    /* userxattr: the only xattrs an unprivileged overlay may use. */
    snprintf(opts, sizeof(opts), "lowerdir=/etc,upperdir=%s,workdir=%s,userxattr", upper, work);
    if (mount("overlay", "/etc", "overlay", MS_NOSUID | MS_NODEV, opts) != 0) {
        snprintf(opts, sizeof(opts), "lowerdir=/etc,upperdir=%s,workdir=%s", upper, work);
        if (mount("overlay", "/etc", "overlay", MS_NOSUID | MS_NODEV, opts) != 0) {
            /* The kernel's age is the cause only where the kernel is old. */
            struct utsname u;
            int major = 0, minor = 0;
            int e = errno;
            int old = uname(&u) == 0 && sscanf(u.release, "%d.%d", &major, &minor) == 2 &&
                      (major < 5 || (major == 5 && minor < 11));
            snprintf(err, errlen, "cannot overlay /etc to place resolv.conf: %s%s", strerror(e),
                     old ? " (unprivileged overlayfs needs Linux 5.11 or later)" : "");
            return -1;
        }
    }
    if (unlink(RESOLV) != 0 && errno != ENOENT) {
        snprintf(err, errlen, "cannot replace %s in the overlay: %s", RESOLV, strerror(errno));
        return -1;
    }
    return write_text(RESOLV, 1, err, errlen);
}

/* The sandbox must see exactly the stub's file, whatever happened above. */
static int verify_resolv_conf(char *err, size_t errlen)
{
    char buf[sizeof(sandbox_resolv_text) + 64];
    int fd = open(RESOLV, O_RDONLY | O_CLOEXEC);
    ssize_t n = fd >= 0 ? read(fd, buf, sizeof(buf)) : -1;
    if (fd >= 0)
        close(fd);
    if (n != (ssize_t)sizeof(sandbox_resolv_text) - 1 || memcmp(buf, sandbox_resolv_text, (size_t)n) != 0) {
        snprintf(err, errlen, "%s in the sandbox does not name torgate's DNS stub after "
                 "set-up; refusing to run the command (please report this, with the output "
                 "of ls -l /etc/resolv.conf)", RESOLV);
        return -1;
    }
    return 0;
}

/* The mount a path is on (statx's mount id, Linux 5.8), or 0. A file
 * bound onto a place of the same filesystem (ip netns exec does that to
 * /etc/resolv.conf) has /etc's device but a mount of its own. */
static unsigned long long mount_of(const char *path)
{
    struct statx sx;
    if (statx(AT_FDCWD, path, 0, STATX_MNT_ID, &sx) != 0 || !(sx.stx_mask & STATX_MNT_ID))
        return 0;
    return sx.stx_mnt_id;
}

static int place_resolv_conf(char masked[][PATH_MAX], int nmasked, char *err, size_t errlen)
{
    struct stat lst, st, etc;
    char target[PATH_MAX] = "";
    int is_link = lstat(RESOLV, &lst) == 0 && S_ISLNK(lst.st_mode);
    int exists = stat(RESOLV, &st) == 0;

    if (is_link && link_target(target, sizeof(target)) != 0)
        is_link = 0;
    if (is_link && !exists) {
        for (int k = 0; k < nmasked; k++) {
            if (in_dir(target, masked[k])) {
                if (write_text(target, 1, err, errlen) != 0)
                    return -1;
                log_info("resolver: %s is a symlink to %s; wrote the stub's file there "
                         "(in the hidden %s)", RESOLV, target, masked[k]);
                return verify_resolv_conf(err, errlen);
            }
        }
    }

    /* A bind mount over a file the host later replaces by rename (resolvconf,
     * dhclient and NetworkManager all do) silently falls off: so bind only
     * onto a file that is itself a mount point (a container runtime's), and
     * otherwise lay an overlay on /etc whose upper layer holds the file. */
    int mountpoint = exists && !is_link && stat("/etc", &etc) == 0 &&
                     (st.st_dev != etc.st_dev || mount_of(RESOLV) != mount_of("/etc"));
    char scratch[64], file[PATH_MAX];
    if (scratch_mount(scratch, sizeof(scratch), err, errlen) != 0)
        return -1;
    int rc = -1;
    if (!mountpoint) {
        rc = overlay_etc(scratch, err, errlen);
        if (rc == 0)
            log_info("resolver: %s %s%s; put the stub's file in an overlay on /etc", RESOLV,
                     is_link ? (exists ? "is a symlink to " : "is a dangling symlink to ")
                             : (exists ? "is a file" : "does not exist"),
                     is_link ? target : "");
        else if (exists)
            log_warn("resolver: %s; binding the stub's file over %s instead (it stays in place "
                     "until the host replaces that file)", err, RESOLV);
    }
    if (rc != 0 && exists) {
        int w = snprintf(file, sizeof(file), "%s/resolv.conf", scratch);
        rc = w > 0 && (size_t)w < sizeof(file) ? write_text(file, 1, err, errlen) : -1;
        if (rc == 0)
            rc = bind_over(file, RESOLV, err, errlen);
        if (rc == 0)
            log_info("resolver: bound the stub's file over %s", RESOLV);
    }
    scratch_release(scratch);
    return rc == 0 ? verify_resolv_conf(err, errlen) : -1;
}

int sandbox_fs_setup(char *err, size_t errlen)
{
    char masked[sizeof(masked_dirs) / sizeof(masked_dirs[0]) + 1][PATH_MAX];
    int nmasked = 0;
    if (mask_dirs(masked, &nmasked, err, errlen) != 0)
        return -1;
    return place_resolv_conf(masked, nmasked, err, errlen);
}
