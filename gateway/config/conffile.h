/* Config files: /etc/torgate/torgate.conf, then the user's
 * ~/.config/torgate/torgate.conf, "key = value" lines whose keys are the
 * long options' names. Profiles (profile.c) are files of the same form.
 * Only reading and splitting: what a key means is options.c's. */
#ifndef TORGATE_CONFFILE_H
#define TORGATE_CONFFILE_H

#include <stddef.h>

#define CONF_SYSTEM_DIR "/etc/torgate"
#define CONF_MAX_SIZE 65536
#define CONF_MAX_LINE 1024
#define CONF_PATH_MAX 4096

/* Where config files and profiles are looked for, in order of application
 * (config) and of search (profiles: the user's first). Empty: skipped. */
struct conf_sources {
    char conf[2][CONF_PATH_MAX];          /* system, user */
    char profile_dirs[2][CONF_PATH_MAX];  /* user, system */
};

/* The places for this user: XDG_CONFIG_HOME (or ~/.config) and /etc. */
void conffile_sources(struct conf_sources *src);

/* Called for each "key = value" line; 0 or -1 with err set. */
typedef int (*conffile_cb)(void *ctx, const char *key, const char *value, char *err, size_t errlen);

/* Splits buf into lines: blank lines and lines starting with # are skipped,
 * every other line must be KEY = VALUE (spaces around either optional).
 * Pure. 0, or -1 with *line the offending line (1-based) and err its
 * problem. */
int conffile_parse(const char *buf, size_t len, conffile_cb cb, void *ctx, unsigned *line,
                   char *err, size_t errlen);

/* Reads path (owned by root or the caller, writable by nobody else, at
 * most CONF_MAX_SIZE) and hands its lines to cb. 1 when applied, 0 when
 * missing and missing_ok, -1 with err "PATH:LINE: problem". */
int conffile_load(const char *path, int missing_ok, conffile_cb cb, void *ctx, char *err, size_t errlen);

#endif
