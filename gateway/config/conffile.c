#define _GNU_SOURCE
#include "config/conffile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void conffile_sources(struct conf_sources *src)
{
    memset(src, 0, sizeof(*src));
    const char *xdg = getenv("XDG_CONFIG_HOME");
    const char *home = getenv("HOME");
    char base[CONF_PATH_MAX - 32] = "";
    /* XDG: a relative XDG_CONFIG_HOME is to be ignored. */
    if (xdg != NULL && xdg[0] == '/' && strlen(xdg) < sizeof(base))
        snprintf(base, sizeof(base), "%s", xdg);
    else if (home != NULL && home[0] == '/' && strlen(home) + 8 < sizeof(base))
        snprintf(base, sizeof(base), "%s/.config", home);
    snprintf(src->conf[0], sizeof(src->conf[0]), CONF_SYSTEM_DIR "/torgate.conf");
    snprintf(src->profile_dirs[1], sizeof(src->profile_dirs[1]), CONF_SYSTEM_DIR "/profiles");
    if (base[0] != '\0') {
        snprintf(src->conf[1], sizeof(src->conf[1]), "%s/torgate/torgate.conf", base);
        snprintf(src->profile_dirs[0], sizeof(src->profile_dirs[0]), "%s/torgate/profiles", base);
    }
}

static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r';
}

int conffile_parse(const char *buf, size_t len, conffile_cb cb, void *ctx, unsigned *line,
                   char *err, size_t errlen)
{
    size_t pos = 0;
    *line = 0;
    err[0] = '\0';
    while (pos < len) {
        const char *nl = memchr(buf + pos, '\n', len - pos);
        size_t end = nl != NULL ? (size_t)(nl - buf) : len;
        const char *s = buf + pos;
        size_t n = end - pos;
        pos = end + 1;
        ++*line;
        if (memchr(s, '\0', n) != NULL) {
            snprintf(err, errlen, "a NUL byte; is this a text file?");
            return -1;
        }
        if (n > 0 && s[n - 1] == '\r')
            n--;            /* CRLF: the limit is the same for both endings */
        if (n > CONF_MAX_LINE) {
            snprintf(err, errlen, "line longer than %d characters", CONF_MAX_LINE);
            return -1;
        }
        while (n > 0 && is_space(*s)) {
            s++;
            n--;
        }
        while (n > 0 && is_space(s[n - 1]))
            n--;
        if (n == 0 || s[0] == '#')
            continue;
        const char *eq = memchr(s, '=', n);
        if (eq == NULL) {
            snprintf(err, errlen, "expected KEY = VALUE, got '%.*s'", (int)(n > 60 ? 60 : n), s);
            return -1;
        }
        size_t klen = (size_t)(eq - s);
        while (klen > 0 && is_space(s[klen - 1]))
            klen--;
        const char *v = eq + 1;
        size_t vlen = n - (size_t)(v - s);
        while (vlen > 0 && is_space(*v)) {
            v++;
            vlen--;
        }
        char key[64], value[CONF_MAX_LINE + 1];
        if (klen == 0 || klen >= sizeof(key)) {
            snprintf(err, errlen, "%s key before '='", klen == 0 ? "no" : "an overlong");
            return -1;
        }
        for (size_t i = 0; i < klen; i++)
            if (!((s[i] >= 'a' && s[i] <= 'z') || s[i] == '-' || (s[i] >= '0' && s[i] <= '9'))) {
                snprintf(err, errlen, "bad key '%.*s': keys are long option names, like socks or "
                         "private-home", (int)klen, s);
                return -1;
            }
        memcpy(key, s, klen);
        key[klen] = '\0';
        memcpy(value, v, vlen);
        value[vlen] = '\0';
        if (cb(ctx, key, value, err, errlen) != 0)
            return -1;
    }
    return 0;
}

/* The whole file, after checking who may have written it. */
static int read_file(const char *path, int missing_ok, char *buf, size_t *len, char *err, size_t errlen)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) {
        struct stat lst;
        if (errno == ENOENT && missing_ok)
            return 0;
        /* A directory on the way that torgate may not enter (a HOME not
         * the caller's): the file cannot be told from a missing one. */
        if (errno == EACCES && missing_ok && stat(path, &lst) != 0 && errno == EACCES)
            return 0;
        snprintf(err, errlen, "%s: cannot open: %s%s", path, strerror(errno),
                 errno == EACCES ? "; make it readable (chmod a+r) or remove it" : "");
        return -1;
    }
    struct stat st;
    int rc = -1;
    if (fstat(fd, &st) != 0)
        snprintf(err, errlen, "%s: cannot stat: %s", path, strerror(errno));
    else if (!S_ISREG(st.st_mode))
        snprintf(err, errlen, "%s: not a regular file; a config file must be one", path);
    else if (st.st_uid != 0 && st.st_uid != getuid())
        snprintf(err, errlen, "%s: owned by uid %u, neither root nor you; a config file decides "
                 "what the command may reach, so torgate reads only yours or root's (chown it)",
                 path, (unsigned)st.st_uid);
    else if (st.st_mode & (S_IWGRP | S_IWOTH))
        snprintf(err, errlen, "%s: writable by others; a config file decides what the command "
                 "may reach (chmod go-w %s)", path, path);
    else if (st.st_size > CONF_MAX_SIZE)
        snprintf(err, errlen, "%s: larger than %d bytes; that is not a config file", path, CONF_MAX_SIZE);
    else {
        size_t got = 0;
        ssize_t n = 1;
        while (got < CONF_MAX_SIZE && (n = read(fd, buf + got, CONF_MAX_SIZE - got)) > 0)
            got += (size_t)n;
        if (n < 0)
            snprintf(err, errlen, "%s: cannot read: %s", path, strerror(errno));
        else {
            *len = got;
            rc = 1;
        }
    }
    close(fd);
    return rc;
}

int conffile_load(const char *path, int missing_ok, conffile_cb cb, void *ctx, char *err, size_t errlen)
{
    char *buf = malloc(CONF_MAX_SIZE);
    size_t len = 0;
    if (buf == NULL) {
        snprintf(err, errlen, "%s: out of memory", path);
        return -1;
    }
    int rc = read_file(path, missing_ok, buf, &len, err, errlen);
    if (rc == 1) {
        unsigned line;
        char why[512];
        if (conffile_parse(buf, len, cb, ctx, &line, why, sizeof(why)) != 0) {
            snprintf(err, errlen, "%s:%u: %s", path, line, why);
            rc = -1;
        }
    }
    free(buf);
    return rc;
}
