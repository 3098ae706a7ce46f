/* What the command can read about the host, made generic: whatever it can
 * read it can send through Tor, and an exit or a website could then link
 * the user's sessions by it. Every torgate user shows the same values, as
 * every Whonix workstation does (Whonix's hostname "host" and machine-id):
 *
 *   hostname, domain name   "host", "(none)" (the sandbox's UTS namespace);
 *                           /etc/hostname and /etc/hosts agree
 *   /etc/machine-id,        Whonix's generic id (browsers and D-Bus
 *   /var/lib/dbus/machine-id   libraries read it)
 *   boot_id                 one fixed UUID
 *   /sys                    a sysfs of the sandbox's own network namespace
 *                           (lo and tg0; no host link, no MAC), with the
 *                           DMI and firmware tables hidden
 *
 * The values are constants, so they are stable across runs: programs that
 * cache on them do not churn. Files are written in a scratch tmpfs, bound
 * over the host's read-only, and the scratch is let go; nothing is
 * written on the host. */
#define _GNU_SOURCE
#include "sandbox/sandbox_identity.h"
#include "base/log.h"
#include "config/config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#define SCRATCH "/run/.torgate-identity"
#define RO_FLAGS (MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_RDONLY)

static const char hosts_text[] =
    "127.0.0.1\tlocalhost\n"
    "127.0.1.1\t" TG_SANDBOX_HOSTNAME "\n"
    "::1\t\tlocalhost ip6-localhost ip6-loopback\n"
    "ff02::1\t\tip6-allnodes\n"
    "ff02::2\t\tip6-allrouters\n";

static const struct sandbox_file files[] = {
    { "/etc/hostname", TG_SANDBOX_HOSTNAME "\n" },
    { "/etc/hosts", hosts_text },
    { "/etc/machine-id", TG_SANDBOX_MACHINE_ID "\n" },
    { "/var/lib/dbus/machine-id", TG_SANDBOX_MACHINE_ID "\n" },
    { "/proc/sys/kernel/random/boot_id", TG_SANDBOX_BOOT_ID "\n" },
};

/* Under /sys, what tells one machine from another and that a user may
 * read: the DMI strings (vendor, product, board) and the firmware tables. */
static const char *const sys_hidden[] = { "/sys/devices/virtual/dmi", "/sys/firmware" };

static int write_file(const char *path, const char *text, char *err, size_t errlen)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0444);
    size_t len = strlen(text);
    int ok = fd >= 0 && write(fd, text, len) == (ssize_t)len;
    if (fd >= 0 && close(fd) != 0)
        ok = 0;              /* (closed all the same: never close it twice) */
    if (!ok) {
        snprintf(err, errlen, "cannot write %s for the sandbox: %s", path, strerror(errno));
        return -1;
    }
    return 0;
}

static int set_names(char *err, size_t errlen)
{
    static const char host[] = TG_SANDBOX_HOSTNAME, domain[] = "(none)";
    if (sethostname(host, sizeof(host) - 1) != 0 || setdomainname(domain, sizeof(domain) - 1) != 0) {
        snprintf(err, errlen, "cannot give the sandbox a generic hostname: %s", strerror(errno));
        return -1;
    }
    return 0;
}

int sandbox_identity_bind(const struct sandbox_file *list, size_t n, char *err, size_t errlen)
{
    char src[PATH_MAX];
    int rc = -1;
    if (mkdir(SCRATCH, 0700) != 0 ||
        mount("tmpfs", SCRATCH, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=0700,size=64k") != 0) {
        snprintf(err, errlen, "cannot make a scratch tmpfs for the sandbox's identity: %s", strerror(errno));
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        struct stat st;
        if (stat(list[i].path, &st) != 0 || !S_ISREG(st.st_mode))
            continue;
        snprintf(src, sizeof(src), SCRATCH "/%zu", i);
        if (write_file(src, list[i].text, err, errlen) != 0)
            goto out;
        if (mount(src, list[i].path, NULL, MS_BIND, NULL) != 0 ||
            mount(NULL, list[i].path, NULL, MS_BIND | MS_REMOUNT | RO_FLAGS, NULL) != 0) {
            snprintf(err, errlen, "cannot put a generic %s in the sandbox: %s", list[i].path,
                     strerror(errno));
            goto out;
        }
    }
    rc = 0;
out:
    /* What was bound stays; the scratch itself goes. */
    if (umount2(SCRATCH, MNT_DETACH) != 0 || rmdir(SCRATCH) != 0)
        log_debug("sandbox: cannot let go of %s: %s", SCRATCH, strerror(errno));
    return rc;
}

/* A sysfs of the sandbox's network namespace: /sys/class/net lists its own
 * links only, and no host MAC is anywhere under it. */
static int fresh_sys(char *err, size_t errlen)
{
    if (mount("sysfs", "/sys", "sysfs", RO_FLAGS, NULL) != 0) {
        /* Where the host's /sys is partly hidden (a container), the kernel
         * refuses a new one; the host's links then stay visible. */
        log_warn("cannot give the sandbox its own /sys (%s): the host's network links and their "
                 "hardware addresses are visible in /sys/class/net", strerror(errno));
        return 0;
    }
    for (size_t i = 0; i < sizeof(sys_hidden) / sizeof(sys_hidden[0]); i++) {
        struct stat st;
        if (stat(sys_hidden[i], &st) != 0 || !S_ISDIR(st.st_mode))
            continue;
        if (mount("tmpfs", sys_hidden[i], "tmpfs", RO_FLAGS, "mode=0755,size=4k") != 0) {
            snprintf(err, errlen, "cannot hide %s in the sandbox: %s", sys_hidden[i], strerror(errno));
            return -1;
        }
    }
    return 0;
}

/* --utc: /etc/localtime reads as UTC (TZ=UTC is set with the
 * environment, sandbox_env.c). Bound over the file it names, so a program
 * that reads the symlink's name still sees the host's zone name. */
static int utc_localtime(char *err, size_t errlen)
{
    static const char *const utc[] = { "/usr/share/zoneinfo/Etc/UTC", "/usr/share/zoneinfo/UTC" };
    struct stat st;
    if (stat("/etc/localtime", &st) != 0)
        return 0;
    for (size_t i = 0; i < sizeof(utc) / sizeof(utc[0]); i++) {
        if (stat(utc[i], &st) != 0 || !S_ISREG(st.st_mode))
            continue;
        if (mount(utc[i], "/etc/localtime", NULL, MS_BIND, NULL) != 0) {
            snprintf(err, errlen, "--utc: cannot put UTC at /etc/localtime: %s", strerror(errno));
            return -1;
        }
        return 0;
    }
    log_warn("--utc: no UTC zone file (package tzdata); only TZ=UTC is set");
    return 0;
}

int sandbox_identity_setup(const struct tg_config *cfg, char *err, size_t errlen)
{
    if (set_names(err, errlen) != 0 ||
        sandbox_identity_bind(files, sizeof(files) / sizeof(files[0]), err, errlen) != 0 ||
        fresh_sys(err, errlen) != 0 ||
        (cfg->utc && utc_localtime(err, errlen) != 0))
        return -1;
    log_info("sandbox: hostname " TG_SANDBOX_HOSTNAME ", machine-id and boot_id generic; /sys "
             "shows the sandbox's own links only");
    return 0;
}
