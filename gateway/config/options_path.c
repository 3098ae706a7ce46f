#define _GNU_SOURCE
#include "config/options_path.h"

#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const char *options_home_dir(void)
{
    const char *h = getenv("HOME");
    if (h != NULL && h[0] == '/')
        return h;
    struct passwd *pw = getpwuid(getuid());
    return pw != NULL && pw->pw_dir != NULL && pw->pw_dir[0] == '/' ? pw->pw_dir : NULL;
}

static const char *user_name(char *buf, size_t len)
{
    const char *u = getenv("USER");
    if (u != NULL && u[0] != '\0' && strchr(u, '/') == NULL)
        return u;
    struct passwd *pw = getpwuid(getuid());
    if (pw == NULL || pw->pw_name == NULL)
        return NULL;
    snprintf(buf, len, "%s", pw->pw_name);
    return buf;
}

/* Appends s to out (at *n); -1 when it does not fit. */
static int put(char *out, size_t outlen, size_t *n, const char *s, size_t slen)
{
    if (slen >= outlen - *n)
        return -1;
    memcpy(out + *n, s, slen);
    *n += slen;
    out[*n] = '\0';
    return 0;
}

static int expand(const char *in, char *out, size_t outlen, const char *opt, char *err, size_t errlen)
{
    size_t n = 0;
    char ubuf[64], uid[16];
    out[0] = '\0';
    if (in[0] == '~' && (in[1] == '/' || in[1] == '\0')) {
        const char *h = options_home_dir();
        if (h == NULL) {
            snprintf(err, errlen, "--%s '%s': no home directory to expand ~ to; set HOME", opt, in);
            return -1;
        }
        if (put(out, outlen, &n, h, strlen(h)) != 0)
            goto toolong;
        in++;
    }
    while (*in != '\0') {
        if (in[0] != '$' || in[1] != '{') {
            if (put(out, outlen, &n, in, 1) != 0)
                goto toolong;
            in++;
            continue;
        }
        const char *close = strchr(in, '}');
        size_t k = close != NULL ? (size_t)(close - in - 2) : 0;
        const char *val = NULL;
        if (close != NULL && k == 4 && strncmp(in + 2, "HOME", 4) == 0)
            val = options_home_dir();
        else if (close != NULL && k == 4 && strncmp(in + 2, "USER", 4) == 0)
            val = user_name(ubuf, sizeof(ubuf));
        else if (close != NULL && k == 3 && strncmp(in + 2, "UID", 3) == 0) {
            snprintf(uid, sizeof(uid), "%u", (unsigned)getuid());
            val = uid;
        } else if (close != NULL && k == 15 && strncmp(in + 2, "XDG_RUNTIME_DIR", 15) == 0) {
            val = getenv("XDG_RUNTIME_DIR");
            if (val != NULL && val[0] != '/')
                val = NULL;
        } else {
            snprintf(err, errlen, "--%s: unknown variable in '%s': use ${HOME}, ${USER}, ${UID} or "
                     "${XDG_RUNTIME_DIR}", opt, in);
            return -1;
        }
        if (val == NULL) {
            snprintf(err, errlen, "--%s: '%.*s' has no value here; set it or write the path out",
                     opt, (int)k + 3, in);
            return -1;
        }
        if (put(out, outlen, &n, val, strlen(val)) != 0)
            goto toolong;
        in = close + 1;
    }
    return 0;
toolong:
    snprintf(err, errlen, "--%s: the path is too long", opt);
    return -1;
}

const char *options_expand(struct tg_config *cfg, const char *in, const char *opt, char *err, size_t errlen)
{
    char exp[PATH_MAX];
    if (expand(in, exp, sizeof(exp), opt, err, errlen) != 0)
        return NULL;
    const char *d = config_strdup(cfg, exp, strlen(exp));
    if (d == NULL)
        snprintf(err, errlen, "--%s: the values given take more than %u bytes; use fewer",
                 opt, (unsigned)TG_STRINGS);
    return d;
}

const char *options_path(struct tg_config *cfg, const struct opt_state *st, const char *in,
                         const char *opt, enum options_path_base base, char *err, size_t errlen)
{
    char exp[PATH_MAX], full[PATH_MAX];
    if (in[0] == '\0') {
        snprintf(err, errlen, "--%s needs a path", opt);
        return NULL;
    }
    if (expand(in, exp, sizeof(exp), opt, err, errlen) != 0)
        return NULL;
    const char *p = exp;
    if (exp[0] != '/') {
        char dir[PATH_MAX];
        if (st->file != NULL && base == OPTIONS_PATH_ABSOLUTE) {
            snprintf(err, errlen, "--%s '%s': a config file needs an absolute path (or ~/..., or ./... "
                     "beside the file)", opt, in);
            return NULL;
        }
        if (st->file != NULL) {
            const char *slash = strrchr(st->file, '/');
            snprintf(dir, sizeof(dir), "%.*s", slash != NULL ? (int)(slash - st->file) : 1,
                     slash != NULL ? st->file : ".");
        } else if (getcwd(dir, sizeof(dir)) == NULL) {
            snprintf(err, errlen, "--%s '%s': cannot tell the working directory; give an absolute path",
                     opt, in);
            return NULL;
        }
        int w = snprintf(full, sizeof(full), "%s/%s", dir, exp);
        if (w < 0 || (size_t)w >= sizeof(full)) {
            snprintf(err, errlen, "--%s: the path is too long", opt);
            return NULL;
        }
        p = full;
    }
    const char *d = config_strdup(cfg, p, strlen(p));
    if (d == NULL)
        snprintf(err, errlen, "--%s: the paths given take more than %u bytes; use fewer",
                 opt, (unsigned)TG_STRINGS);
    return d;
}

int options_mount(struct tg_config *cfg, const struct opt_state *st, enum tg_mount_kind kind,
                  const char *opt, const char *arg, char *err, size_t errlen)
{
    char src[PATH_MAX];
    const char *dst = NULL;
    int optional = 0;
    if (cfg->nmounts == TG_MAX_MOUNTS) {
        snprintf(err, errlen, "too many --bind/--bind-ro/--hide (at most %d)", TG_MAX_MOUNTS);
        return -1;
    }
    if (arg[0] == '-') {
        optional = 1;
        arg++;
    }
    const char *colon = kind == TG_MOUNT_HIDE ? NULL : strchr(arg, ':');
    if ((colon != NULL ? (size_t)(colon - arg) : strlen(arg)) >= sizeof(src)) {
        snprintf(err, errlen, "--%s: the path is too long", opt);
        return -1;
    }
    snprintf(src, sizeof(src), "%.*s", colon != NULL ? (int)(colon - arg) : (int)strlen(arg), arg);
    /* In a file, "./NAME" is beside the file (a profile's own files,
     * wherever the profile is installed); other relative paths stay an
     * error, since one could as well mean the home directory. */
    enum options_path_base base = st->file != NULL && strncmp(src, "./", 2) == 0 ?
                                  OPTIONS_PATH_FILE_DIR : OPTIONS_PATH_ABSOLUTE;
    const char *s = options_path(cfg, st, src, opt, base, err, errlen);
    if (s == NULL)
        return -1;
    if (colon != NULL) {
        /* Absolute once expanded, wherever it is given: "inside" has no
         * working directory to be relative to. */
        dst = options_expand(cfg, colon + 1, opt, err, errlen);
        if (dst == NULL)
            return -1;
        if (dst[0] != '/') {
            snprintf(err, errlen, "bad --%s '%s': the place inside (after ':') must be an absolute path",
                     opt, arg);
            return -1;
        }
    }
    if (strcmp(s, "/") == 0 || (dst != NULL && strcmp(dst, "/") == 0)) {
        snprintf(err, errlen, "bad --%s '%s': not the root directory", opt, arg);
        return -1;
    }
    struct tg_mount *m = &cfg->mounts[cfg->nmounts++];
    m->kind = kind;
    m->optional = optional;
    m->src = s;
    m->dst = dst != NULL ? dst : s;
    return 0;
}
