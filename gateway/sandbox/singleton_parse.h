/* The pure half of the single-instance check (singleton.c): which browser a
 * command is, what its command line says about profiles and remoting, and
 * the formats of the locks a running instance leaves in its profile.
 * Nothing here touches the filesystem, the environment or other processes. */
#ifndef TORGATE_SINGLETON_PARSE_H
#define TORGATE_SINGLETON_PARSE_H

#include <stddef.h>

#define SINGLETON_PATH_MAX   4096   /* bytes of a profile path, with its NUL */
#define SINGLETON_HOST_MAX   256    /* bytes of a host name, with its NUL */
#define SINGLETON_MAX_PROFILES 8    /* default profiles looked at, at most */
#define SINGLETON_INI_MAX    65536  /* bytes of profiles.ini / installs.ini read */

enum singleton_family {
    SINGLETON_MOZILLA,     /* profiles.ini, <profile>/lock "IP:+PID", .parentlock */
    SINGLETON_CHROMIUM,    /* <user data dir>/SingletonLock "HOST-PID" */
};

/* A browser that hands a new command line to a running instance of itself. */
struct singleton_app {
    const char *exe;       /* basename it is started by */
    enum singleton_family family;
    const char *name;      /* for messages: "Firefox" */
    /* MOZILLA: profile root under $HOME. CHROMIUM: user data dir under the
     * config dir ($CHROME_CONFIG_HOME, $XDG_CONFIG_HOME or ~/.config). */
    const char *dir;
    /* MOZILLA: the root under $XDG_CONFIG_HOME that Firefox 147+ uses when
     * the one under $HOME does not exist; NULL for the others. */
    const char *xdg_dir;
};

/* The app whose executable's basename CMD0 is, or NULL. */
const struct singleton_app *singleton_parse_app(const char *cmd0);

/* What the command line says, as the browser would read it. Pointers point
 * into argv. */
struct singleton_args {
    int new_instance;            /* MOZILLA: --new-instance (no remoting) */
    int profile_manager;         /* MOZILLA: -P without a name, --ProfileManager */
    const char *profile_path;    /* MOZILLA: --profile DIR */
    const char *profile_name;    /* MOZILLA: -P NAME */
    const char *user_data_dir;   /* CHROMIUM: --user-data-dir=DIR */
    int headless;                /* CHROMIUM: --headless[=...] */
};
void singleton_parse_args(enum singleton_family family, char *const *argv,
                          struct singleton_args *out);

/* A Mozilla profile lock's symlink target, "IP:+PID" (or "IP:PID" without
 * an fcntl lock). Returns 0 with *pid > 0, or -1. */
int singleton_parse_moz_lock(const char *target, long *pid);

/* A Chromium SingletonLock's symlink target, "HOSTNAME-PID" (the host name
 * may itself contain '-'). Returns 0 with the host copied and *pid > 0, or
 * -1 (also when the host name does not fit). */
int singleton_parse_chrome_lock(const char *target, char *host, size_t hostlen, long *pid);

/* Profile directories a Mozilla app would start on. */
struct singleton_profiles {
    size_t n;
    char path[SINGLETON_MAX_PROFILES][SINGLETON_PATH_MAX];
};

/* From profiles.ini (and installs.ini, either may be NULL or empty) under
 * ROOT: with NAME (-P NAME), that profile; without, the default profile of
 * each install ([Install*] / installs.ini Default=), else the legacy
 * Default=1 profile, else the only profile. Relative paths are resolved
 * against ROOT. Malformed lines are skipped; a path that does not fit is
 * left out. */
void singleton_parse_profiles(const char *profiles_ini, size_t plen,
                              const char *installs_ini, size_t ilen,
                              const char *root, const char *name,
                              struct singleton_profiles *out);

#endif
