/* The single-instance check's reads: $HOME and the config directories, the
 * profile's lock, the pid behind it (the formats are singleton_parse.c's).
 *
 * A warning, not a refusal: what is read here is a good guess, not proof
 * (a lock's pid may have been reused, the instance may be another install's,
 * its remoting may not reach into the sandbox), and the one sure fix, a
 * profile of the command's own, is in the command line the user already
 * controls. */
#define _GNU_SOURCE
#include "sandbox/singleton.h"

#include "base/log.h"
#include "sandbox/singleton_parse.h"

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* How much of a path a message shows: the advice after it must fit the
 * log's line. */
#define SHOWN "%.256s"

static const char *env_value(const char *name)
{
    const char *v = getenv(name);
    return v != NULL && v[0] != '\0' ? v : NULL;
}

/* The HOME the command will see: it inherits torgate's environment. */
static const char *singleton_home(void)
{
    const char *h = env_value("HOME");
    if (h != NULL)
        return h;
    struct passwd *pw = getpwuid(getuid());
    return pw != NULL && pw->pw_dir != NULL && pw->pw_dir[0] != '\0' ? pw->pw_dir : NULL;
}

static int join(char *out, size_t len, const char *a, const char *b)
{
    int n = snprintf(out, len, "%s/%s", a, b);
    return n < 0 || (size_t)n >= len ? -1 : 0;
}

/* A regular file, up to SINGLETON_INI_MAX bytes. Returns its length or -1. */
static ssize_t singleton_read(const char *path, char *buf, size_t cap)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
    if (fd < 0)
        return -1;
    struct stat st;
    size_t n = 0;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        (void)close(fd);
        return -1;
    }
    while (n < cap) {
        ssize_t r = read(fd, buf + n, cap - n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        n += (size_t)r;
    }
    (void)close(fd);
    return (ssize_t)n;
}

/* A symlink's target, NUL-terminated; -1 if it is not a symlink. */
static int singleton_readlink(const char *dir, const char *name, char *out, size_t len)
{
    char path[SINGLETON_PATH_MAX];
    if (join(path, sizeof(path), dir, name) != 0)
        return -1;
    ssize_t n = readlink(path, out, len - 1);
    if (n <= 0)
        return -1;
    out[n] = '\0';
    return 0;
}

/* Alive on this host: EPERM is a process of another user, still there. */
static int singleton_alive(long pid)
{
    return kill((pid_t)pid, 0) == 0 || errno == EPERM;
}

/* Whether <profile>/.parentlock is fcntl-locked: 1 yes (*holder its pid as
 * this pid namespace sees it, or 0), 0 no, -1 cannot tell (absent,
 * unreadable). Gecko holds that lock for as long as it runs and the kernel
 * drops it when it dies, so it tells a live instance from a stale symlink
 * whose pid now belongs to another process. */
static int singleton_fcntl_locked(const char *profile, long *holder)
{
    char path[SINGLETON_PATH_MAX];
    *holder = 0;
    if (join(path, sizeof(path), profile, ".parentlock") != 0)
        return -1;
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOFOLLOW | O_NOCTTY);
    if (fd < 0)
        return -1;
    struct stat st;
    struct flock fl;
    int locked = -1;
    memset(&fl, 0, sizeof(fl));
    fl.l_type = F_WRLCK;
    fl.l_whence = SEEK_SET;
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && fcntl(fd, F_GETLK, &fl) == 0) {
        locked = fl.l_type != F_UNLCK;
        if (locked && fl.l_pid > 0)
            *holder = fl.l_pid;
    }
    (void)close(fd);
    return locked;
}

/* Whether a Mozilla instance runs on PROFILE; *pid is its pid, or 0 when
 * only the fcntl lock says so and its holder is out of sight. */
static int moz_running(const char *profile, long *pid)
{
    char target[SINGLETON_PATH_MAX];
    long lpid = 0, holder;
    if (singleton_readlink(profile, "lock", target, sizeof(target)) != 0 ||
        singleton_parse_moz_lock(target, &lpid) != 0)
        lpid = 0;
    int locked = singleton_fcntl_locked(profile, &holder);
    *pid = 0;
    if (locked == 0)
        return 0;
    if (lpid > 0 && singleton_alive(lpid)) {
        *pid = lpid;
        return 1;
    }
    if (locked == 1) {
        *pid = holder;
        return 1;
    }
    return 0;
}

/* "pid 1234", or "pid unknown" for a lock whose holder is out of sight. */
static const char *pid_text(long pid, char *buf, size_t len)
{
    if (pid <= 0 || snprintf(buf, len, "pid %ld", pid) < 0)
        return "pid unknown";
    return buf;
}

/* Where profiles.ini is: ~/.mozilla/firefox, or where Firefox 147+ puts
 * new installs when that does not exist. */
static int moz_root(const struct singleton_app *app, const char *home, char *root, size_t len)
{
    char ini[SINGLETON_PATH_MAX];
    struct stat st;
    if (join(root, len, home, app->dir) == 0 && join(ini, sizeof(ini), root, "profiles.ini") == 0 &&
        stat(ini, &st) == 0)
        return 0;
    if (app->xdg_dir == NULL)
        return -1;
    const char *xdg = env_value("XDG_CONFIG_HOME");
    char config[SINGLETON_PATH_MAX];
    if (xdg == NULL) {
        if (join(config, sizeof(config), home, ".config") != 0)
            return -1;
        xdg = config;
    }
    return join(root, len, xdg, app->xdg_dir);
}

static void moz_candidates(const struct singleton_app *app, const struct singleton_args *args,
                           const char *home, struct singleton_profiles *out)
{
    static char profiles[SINGLETON_INI_MAX], installs[SINGLETON_INI_MAX];
    char root[SINGLETON_PATH_MAX], path[SINGLETON_PATH_MAX];
    memset(out, 0, sizeof(*out));
    if (args->profile_path != NULL) {
        int n = snprintf(out->path[0], sizeof(out->path[0]), "%s", args->profile_path);
        out->n = n > 0 && (size_t)n < sizeof(out->path[0]);
        return;
    }
    if (moz_root(app, home, root, sizeof(root)) != 0)
        return;
    ssize_t plen = -1, ilen = -1;
    if (join(path, sizeof(path), root, "profiles.ini") == 0)
        plen = singleton_read(path, profiles, sizeof(profiles));
    if (join(path, sizeof(path), root, "installs.ini") == 0)
        ilen = singleton_read(path, installs, sizeof(installs));
    log_debug("single-instance check: %s profiles in %s (profiles.ini %s)", app->name, root,
              plen >= 0 ? "read" : "not readable");
    /* -P alone opens the profile manager: any profile may be picked, the
     * defaults are the likely ones. */
    singleton_parse_profiles(plen > 0 ? profiles : NULL, plen > 0 ? (size_t)plen : 0,
                             ilen > 0 ? installs : NULL, ilen > 0 ? (size_t)ilen : 0, root,
                             args->profile_manager ? NULL : args->profile_name, out);
}

static void check_moz(const struct singleton_app *app, const struct singleton_args *args,
                      const char *home)
{
    static struct singleton_profiles cand;
    /* Gecko's remote client is off with --new-instance or MOZ_NEW_INSTANCE;
     * -no-remote has been ignored since Firefox 131 (bug 1906260). */
    int no_remote = args->new_instance || env_value("MOZ_NEW_INSTANCE") != NULL;
    moz_candidates(app, args, home, &cand);
    for (size_t i = 0; i < cand.n; i++) {
        long pid;
        char pt[32];
        if (!moz_running(cand.path[i], &pid)) {
            log_debug("single-instance check: profile %s is not in use", cand.path[i]);
            continue;
        }
        if (no_remote) {
            /* Not an escape: the new instance finds its profile locked and
             * stops, with a dialog of its own. */
            log_info("%s's profile " SHOWN " is in use outside the sandbox (%s): %s will "
                     "refuse to start on it; give it a profile of its own: --profile DIR",
                     app->exe, cand.path[i], pid_text(pid, pt, sizeof(pt)), app->name);
            return;
        }
        log_warn("%s is already running outside the sandbox (%s, profile " SHOWN "): it "
                 "would take this command's window and load its pages without Tor. Close it "
                 "first, or give %s a profile of its own: torgate -- %s --new-instance "
                 "--profile DIR", app->exe, pid_text(pid, pt, sizeof(pt)), cand.path[i],
                 app->name, app->exe);
        return;
    }
}

/* Chromium's default user data dir (chrome_paths_linux.cc). */
static int chrome_dir(const struct singleton_app *app, const char *home, char *out, size_t len)
{
    char config[SINGLETON_PATH_MAX];
    const char *base = env_value("CHROME_CONFIG_HOME");
    if (base == NULL)
        base = env_value("XDG_CONFIG_HOME");
    if (base == NULL) {
        if (join(config, sizeof(config), home, ".config") != 0)
            return -1;
        base = config;
    }
    return join(out, len, base, app->dir);
}

static void check_chrome(const struct singleton_app *app, const struct singleton_args *args,
                         const char *home)
{
    char dir[SINGLETON_PATH_MAX], target[SINGLETON_PATH_MAX];
    char lock_host[SINGLETON_HOST_MAX], host[SINGLETON_HOST_MAX];
    long pid;
    if (args->user_data_dir != NULL) {
        int n = snprintf(dir, sizeof(dir), "%s", args->user_data_dir);
        if (n < 0 || (size_t)n >= sizeof(dir))
            return;
    } else if (args->headless) {
        return;   /* headless Chromium makes itself a temporary user data dir */
    } else if (chrome_dir(app, home, dir, sizeof(dir)) != 0) {
        return;
    }
    if (singleton_readlink(dir, "SingletonLock", target, sizeof(target)) != 0 ||
        singleton_parse_chrome_lock(target, lock_host, sizeof(lock_host), &pid) != 0) {
        log_debug("single-instance check: no %s instance holds %s", app->name, dir);
        return;
    }
    /* Another host's lock (a shared home) has no socket here to reach: the
     * new instance reports the profile in use and stops. The sandbox keeps
     * the host's name (UTS namespace copied), so it compares equal inside. */
    if (gethostname(host, sizeof(host)) != 0 || strncmp(host, lock_host, sizeof(host)) != 0 ||
        !singleton_alive(pid)) {
        log_debug("single-instance check: %s's lock in %s is stale or another host's (%s)",
                  app->name, dir, target);
        return;
    }
    log_warn("%s is already running outside the sandbox (pid %ld, user data dir " SHOWN "): it "
             "would take this command's window and load its pages without Tor. Close it "
             "first, or give %s a user data dir of its own: torgate -- %s --user-data-dir=DIR",
             app->exe, pid, dir, app->name, app->exe);
}

void singleton_check(char *const *cmd)
{
    struct singleton_args args;
    const struct singleton_app *app = cmd != NULL ? singleton_parse_app(cmd[0]) : NULL;
    if (app == NULL)
        return;
    const char *home = singleton_home();
    if (home == NULL) {
        log_debug("single-instance check: no HOME, %s's profiles not looked at", app->name);
        return;
    }
    singleton_parse_args(app->family, cmd, &args);
    if (app->family == SINGLETON_MOZILLA)
        check_moz(app, &args, home);
    else
        check_chrome(app, &args, home);
}
