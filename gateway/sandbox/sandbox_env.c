#define _GNU_SOURCE
#include "base/log.h"
#include "sandbox/sandbox_mounts.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

extern char **environ;

/* What --clearenv keeps: who and where the user is, the terminal, the
 * locale and the display, nothing about the programs around. */
static const char *const basics[] = {
    "PATH", "HOME", "USER", "LOGNAME", "SHELL", "TERM", "COLORTERM", "LANG", "LANGUAGE", "TZ",
    "DISPLAY", "WAYLAND_DISPLAY", "XAUTHORITY", "XDG_RUNTIME_DIR", "XDG_SESSION_TYPE",
};

static int name_is(const char *entry, const char *name)
{
    size_t n = strlen(name);
    return strncmp(entry, name, n) == 0 && entry[n] == '=';
}

static int kept(const struct tg_config *cfg, const char *entry)
{
    if (strncmp(entry, "LC_", 3) == 0)
        return 1;
    for (size_t i = 0; i < sizeof(basics) / sizeof(basics[0]); i++)
        if (name_is(entry, basics[i]))
            return 1;
    for (int i = 0; i < cfg->nenv; i++)
        if (cfg->env[i].op == TG_ENV_KEEP && name_is(entry, cfg->env[i].text))
            return 1;
    return 0;
}

/* --generic-user (sandbox_user.c): the names agree with /etc/passwd, and a
 * path under the old home (XAUTHORITY) follows it. */
static int apply_generic_user(char *err, size_t errlen)
{
    /* The old home is hidden under /home by now: compare names. */
    const char *home = getenv("HOME");
    const char *xa = getenv("XAUTHORITY");
    char moved[PATH_MAX];
    size_t n = home != NULL ? strlen(home) : 0;
    while (n > 1 && home[n - 1] == '/')
        n--;
    if (xa != NULL && n > 1 && strncmp(xa, home, n) == 0 && xa[n] == '/') {
        snprintf(moved, sizeof(moved), "/home/" TG_SANDBOX_USER "%s", xa + n);
        if (setenv("XAUTHORITY", moved, 1) != 0)
            goto fail;
    }
    if (setenv("HOME", "/home/" TG_SANDBOX_USER, 1) != 0)
        goto fail;
    if (getuid() != 0 && (setenv("USER", TG_SANDBOX_USER, 1) != 0 || setenv("LOGNAME", TG_SANDBOX_USER, 1) != 0))
        goto fail;
    return 0;
fail:
    snprintf(err, errlen, "--generic-user: %s", strerror(errno));
    return -1;
}

int sandbox_env_apply(const struct tg_config *cfg, char *err, size_t errlen)
{
    if (cfg->clearenv) {
        /* A new array of the kept entries (the strings stay where they
         * are): setenv() and unsetenv() below work on it as on any. */
        size_t n = 0, k = 0;
        while (environ != NULL && environ[n] != NULL)
            n++;
        char **keep = calloc(n + 1, sizeof(*keep));
        if (keep == NULL) {
            snprintf(err, errlen, "--clearenv: out of memory");
            return -1;
        }
        for (size_t i = 0; i < n; i++)
            if (strchr(environ[i], '=') != NULL && kept(cfg, environ[i]))
                keep[k++] = environ[i];
        environ = keep;
        log_info("sandbox: --clearenv dropped %zu environment variable%s", n - k, n - k == 1 ? "" : "s");
    }
    /* Before the user's own: --setenv still wins. */
    if (cfg->generic_user && apply_generic_user(err, errlen) != 0)
        return -1;
    if (cfg->utc && setenv("TZ", "UTC", 1) != 0) {
        snprintf(err, errlen, "--utc: %s", strerror(errno));
        return -1;
    }
    for (int i = 0; i < cfg->nenv; i++) {
        const struct tg_env *e = &cfg->env[i];
        if (e->op == TG_ENV_UNSET && unsetenv(e->text) != 0) {
            snprintf(err, errlen, "--unsetenv %s: %s", e->text, strerror(errno));
            return -1;
        }
        if (e->op == TG_ENV_SET) {
            const char *eq = strchr(e->text, '=');
            char name[256];
            snprintf(name, sizeof(name), "%.*s", (int)(eq - e->text), e->text);
            if (setenv(name, eq + 1, 1) != 0) {
                snprintf(err, errlen, "--setenv %s: %s", e->text, strerror(errno));
                return -1;
            }
        }
    }
    return 0;
}
