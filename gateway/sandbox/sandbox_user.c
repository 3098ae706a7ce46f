/* --generic-user: the command sees a user called "user" whose home is
 * /home/user, whatever the login name; a program that sends its user name
 * or a path under its home through Tor then tells nothing of who runs it.
 *
 *   /etc/passwd, /etc/group   generic: root, nobody and "user" with the
 *                             caller's uid and gid (the host's list of
 *                             users and groups names people too)
 *   /home                     a fresh tmpfs holding only user/, which is
 *                             the caller's home as the command would have
 *                             seen it (private home and binds included)
 *   HOME, USER, LOGNAME       set to match (sandbox_env.c)
 *
 * Files the command writes still belong to the caller outside: the uid is
 * the same, only its name is not. Not hidden: /proc/self/mountinfo names
 * the directory the home was bound from. */
#define _GNU_SOURCE
#include "sandbox/sandbox_user.h"
#include "base/log.h"
#include "config/options_path.h"
#include "sandbox/sandbox_identity.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#define GENERIC_HOME "/home/" TG_SANDBOX_USER

/* The generic passwd and group, bound read-only over the host's. */
static int account_files(char *err, size_t errlen)
{
    char passwd[512], group[256];
    unsigned uid = (unsigned)getuid(), gid = (unsigned)getgid();
    /* uid 0 stays root (programs run as root expect that name); nobody and
     * nogroup give way when the caller is one of them. */
    snprintf(passwd, sizeof(passwd), "root:x:0:0:root:/root:/bin/sh\n%s",
             uid == 65534 ? "" : "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n");
    if (uid != 0) {
        size_t n = strlen(passwd);
        snprintf(passwd + n, sizeof(passwd) - n, TG_SANDBOX_USER ":x:%u:%u:" TG_SANDBOX_USER ":"
                 GENERIC_HOME ":/bin/sh\n", uid, gid);
    }
    snprintf(group, sizeof(group), "root:x:0:\n%s", gid == 65534 ? "" : "nogroup:x:65534:\n");
    if (gid != 0) {
        size_t n = strlen(group);
        snprintf(group + n, sizeof(group) - n, TG_SANDBOX_USER ":x:%u:\n", gid);
    }
    const struct sandbox_file list[] = { { "/etc/passwd", passwd }, { "/etc/group", group } };
    return sandbox_identity_bind(list, 2, err, errlen);
}

/* /home becomes a tmpfs with the caller's home, as the command saw it, at
 * /home/user; the working directory follows it there. */
static int move_home(const char *home, char *err, size_t errlen)
{
    char cwd[PATH_MAX], src[64], real[PATH_MAX];
    int have_cwd = getcwd(cwd, sizeof(cwd)) != NULL;
    if (realpath(home, real) == NULL) {
        snprintf(err, errlen, "--generic-user: the home directory %s: %s", home, strerror(errno));
        return -1;
    }
    int fd = open(real, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
        snprintf(err, errlen, "--generic-user: cannot open %s: %s", real, strerror(errno));
        return -1;
    }
    int rc = -1;
    struct stat st;
    if (stat("/home", &st) != 0 || !S_ISDIR(st.st_mode))
        snprintf(err, errlen, "--generic-user: there is no /home to put %s in", GENERIC_HOME);
    else if (mount("tmpfs", "/home", "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755,size=16k") != 0 ||
             mkdir(GENERIC_HOME, 0700) != 0)
        snprintf(err, errlen, "--generic-user: cannot make %s: %s", GENERIC_HOME, strerror(errno));
    else {
        snprintf(src, sizeof(src), "/proc/self/fd/%d", fd);
        if (mount(src, GENERIC_HOME, NULL, MS_BIND | MS_REC, NULL) != 0)
            snprintf(err, errlen, "--generic-user: cannot bind %s at %s: %s", real, GENERIC_HOME,
                     strerror(errno));
        else
            rc = 0;
    }
    close(fd);
    if (rc != 0)
        return -1;
    /* Inside the home: the same place under its new name; elsewhere, the
     * same path (it may now be hidden under /home: then the new home). */
    size_t n = strlen(real);
    char to[PATH_MAX];
    if (have_cwd && strncmp(cwd, real, n) == 0 && (cwd[n] == '/' || cwd[n] == '\0'))
        snprintf(to, sizeof(to), GENERIC_HOME "%s", cwd + n);
    else
        snprintf(to, sizeof(to), "%s", have_cwd ? cwd : GENERIC_HOME);
    if (chdir(to) != 0 && chdir(GENERIC_HOME) != 0) {
        snprintf(err, errlen, "--generic-user: cannot enter %s: %s", GENERIC_HOME, strerror(errno));
        return -1;
    }
    return 0;
}

int sandbox_user_setup(const struct tg_config *cfg, char *err, size_t errlen)
{
    if (!cfg->generic_user)
        return 0;
    const char *home = options_home_dir();
    if (home == NULL || strcmp(home, "/") == 0) {
        snprintf(err, errlen, "--generic-user: no home directory to show as %s (HOME is unset or /); "
                 "set HOME", GENERIC_HOME);
        return -1;
    }
    if (account_files(err, errlen) != 0 || move_home(home, err, errlen) != 0)
        return -1;
    log_info("sandbox: the command's user is " TG_SANDBOX_USER ", its home " GENERIC_HOME);
    return 0;
}
