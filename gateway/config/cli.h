/* Command line parsing. Pure: it fills a tg_config and reports problems as
 * text; printing and exiting are the caller's. */
#ifndef TORGATE_CLI_H
#define TORGATE_CLI_H

#include <stddef.h>
#include "config/conffile.h"
#include "config/config.h"

enum cli_action {
    CLI_RUN,        /* cfg is complete: run CMD or serve --tun-fd */
    CLI_HELP,       /* print cli_usage() to stdout, exit 0 */
    CLI_VERSION,    /* print the version to stdout, exit 0 */
    CLI_ERROR,      /* err holds one line; exit TG_EXIT_FAILURE */
    CLI_CHECK_CONFINEMENT, /* cfg has the SOCKS address: run confine_check() */
    CLI_CHECK,      /* --check: run check_run() */
    CLI_SELFTEST,   /* --selftest: run the probe in a sandbox made with these settings */
};

/* Fills cfg from, in this order (later wins; lists add up): the config
 * files and the profile named by src (NULL: none), $TORGATE_SOCKS
 * (env_socks, or NULL) for the SOCKS address, and the command line. */
enum cli_action cli_parse(int argc, char **argv, const char *env_socks, const struct conf_sources *src,
                          struct tg_config *cfg, char *err, size_t errlen);

/* Tor's SOCKS address into cfg (addr_parse(), and its name for messages).
 * 0, or -1 with err set. */
int cli_parse_hostport(const char *s, struct tg_config *cfg, char *err, size_t errlen);

const char *cli_usage(void);

#endif
