/* Paths in options and config files: ~ and ${HOME}, ${USER}, ${UID},
 * ${XDG_RUNTIME_DIR} expanded, relative ones made absolute, and the
 * --bind/--bind-ro/--hide entries they make. */
#ifndef TORGATE_OPTIONS_PATH_H
#define TORGATE_OPTIONS_PATH_H

#include <stddef.h>
#include "config/config.h"
#include "config/options.h"

enum options_path_base {
    OPTIONS_PATH_ABSOLUTE,   /* in a file a relative path is an error (on the command line: cwd) */
    OPTIONS_PATH_FILE_DIR,   /* in a file, relative to that file's directory */
};

/* $HOME, or the password database's home when it is unset or relative:
 * what ~ means, in options and in the sandbox alike. NULL if neither. */
const char *options_home_dir(void);

/* The expanded, absolute path, kept in cfg; NULL with err set. */
const char *options_path(struct tg_config *cfg, const struct opt_state *st, const char *in,
                         const char *opt, enum options_path_base base, char *err, size_t errlen);

/* in with ~ and the ${...} above expanded, kept in cfg; NULL with err set. */
const char *options_expand(struct tg_config *cfg, const char *in, const char *opt, char *err, size_t errlen);

/* --bind [-]SRC[:DST], --bind-ro [-]SRC[:DST], --hide PATH. */
int options_mount(struct tg_config *cfg, const struct opt_state *st, enum tg_mount_kind kind,
                  const char *opt, const char *arg, char *err, size_t errlen);

#endif
