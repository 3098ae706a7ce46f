/* Every option torgate takes, in one table, and what each one does to the
 * configuration: the command line (cli.c) and config files and profiles
 * (conffile.c, profile.c) go through the same code, so a key in a file
 * means exactly what the option of that name means. Pure: no printing. */
#ifndef TORGATE_OPTIONS_H
#define TORGATE_OPTIONS_H

#include <getopt.h>
#include <stddef.h>
#include "config/config.h"

enum opt_arg {
    OPT_ARG_NONE,       /* a flag: -v, --check */
    OPT_ARG_REQUIRED,   /* --mtu N */
    OPT_ARG_BOOL,       /* --dbus, --dbus=no; "dbus = yes" in a file */
};

struct opt_def {
    const char *name;
    enum opt_arg arg;
    int code;
    int cli_only;       /* an action or a mode: the command line only */
    int cmd_only;       /* shapes a command's sandbox: ignored from files in a sidecar */
};

/* What parsing collects before the configuration is complete. */
struct opt_state {
    int verbose, quiet;         /* from the command line */
    int file_log_level;         /* from a file (verbose/quiet keys), or -1 */
    const char *socks, *tor_control;
    int check, check_confinement, seccomp_given, force, selftest;
    const char *profile;        /* --profile, or "profile =" in a config file */
    const char *profile_file;   /* the config file that chose it, or NULL */
    /* Set by the caller while a file's lines are applied. */
    const char *file;           /* its path, or NULL for the command line */
    int file_is_profile;
    const char *cli_cmd_only;   /* a cmd_only option from the command line, by name */
};

enum {
    OPT_SOCKS = 256, OPT_MTU, OPT_TUN_FD, OPT_DNS, OPT_PING, OPT_SECCOMP, OPT_CHECK_CONFINEMENT,
    OPT_OFFLOAD, OPT_NETNS, OPT_PID, OPT_FORCE, OPT_NAME, OPT_ISOLATE, OPT_CONNECT, OPT_CHECK,
    OPT_TOR_CONTROL, OPT_NO_WAIT, OPT_EXPOSE, OPT_PUBLISH, OPT_DBUS, OPT_PROFILE,
    OPT_BIND, OPT_BIND_RO, OPT_HIDE, OPT_PRIVATE_HOME, OPT_SETENV, OPT_UNSETENV,
    OPT_KEEPENV, OPT_CLEARENV, OPT_SOCKET, OPT_UTC, OPT_GENERIC_USER, OPT_X11, OPT_SELFTEST,
    OPT_ONION_SERVICE, OPT_ONION_KEY, OPT_ONION_AUTH,
};

/* The option called name (without "--"), or NULL. */
const struct opt_def *options_find(const char *name);

/* The table for getopt_long(3), NULL-terminated. */
const struct option *options_getopt(void);

/* The definition behind a getopt_long() code, or NULL. */
const struct opt_def *options_by_code(int code);

void options_defaults(struct tg_config *cfg, struct opt_state *st);

/* Applies one option; arg is its value (NULL for a flag, or a bool flag
 * given bare). Values from files (st->file set) are copied into cfg.
 * 0, or -1 with err set to one line naming the option and the fix. */
int options_apply(struct tg_config *cfg, struct opt_state *st, const struct opt_def *def,
                  const char *arg, char *err, size_t errlen);

/* The name --socket takes for one enum tg_socket bit, or NULL. */
const char *options_socket_name(unsigned bit);

/* yes/no, true/false, on/off, 1/0: 1 or 0, or -1. */
int options_bool(const char *s);

/* Applies one "key = value" line of a config file or profile through
 * options_apply(): the key is a long option's name; options that say what
 * torgate does (cli_only) are refused. 0, or -1 with err set. */
int options_apply_key(struct tg_config *cfg, struct opt_state *st, const char *key, const char *value,
                      char *err, size_t errlen);

/* The callback conffile_load() takes for config files: ctx is a struct
 * options_ctx. */
struct options_ctx {
    struct tg_config *cfg;
    struct opt_state *st;
};
int options_key_cb(void *ctx, const char *key, const char *value, char *err, size_t errlen);

#endif
