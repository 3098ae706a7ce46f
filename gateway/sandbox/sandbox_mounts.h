/* --bind, --bind-ro, --hide and --private-home, inside the sandbox's mount
 * namespace (sandbox_mounts.c), and the command's environment
 * (sandbox_env.c). */
#ifndef TORGATE_SANDBOX_MOUNTS_H
#define TORGATE_SANDBOX_MOUNTS_H

#include <stddef.h>
#include "config/config.h"

/* In the sandbox, after its /proc and torgate's own masks. 0, or
 * -1 with err set (and the command must not run). */
int sandbox_mounts_setup(const struct tg_config *cfg, char *err, size_t errlen);

/* The command's environment: --clearenv (keeping a few variables and
 * --keepenv's), then --unsetenv and --setenv in the order given. In the
 * sandbox, before CMD starts. 0, or -1 with err set. */
int sandbox_env_apply(const struct tg_config *cfg, char *err, size_t errlen);

#endif
