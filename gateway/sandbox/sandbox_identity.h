/* What the command can read about the host, made generic
 * (sandbox_identity.c): hostname, machine-id, boot_id, /sys. */
#ifndef TORGATE_SANDBOX_IDENTITY_H
#define TORGATE_SANDBOX_IDENTITY_H

#include <stddef.h>
#include "config/config.h"

/* In the sandbox's UTS and mount namespaces, after resolv.conf is placed
 * and before the user's binds; with cfg->utc, /etc/localtime says UTC. 0,
 * or -1 with err set (and the command must not run). */
int sandbox_identity_setup(const struct tg_config *cfg, char *err, size_t errlen);

/* A file the command sees instead of the host's. */
struct sandbox_file {
    const char *path;      /* where the command reads it */
    const char *text;
};

/* Each file of list that the host has, bound read-only over it with the
 * given text (written in a scratch tmpfs that is let go after). 0, or -1
 * with err set. */
int sandbox_identity_bind(const struct sandbox_file *list, size_t n, char *err, size_t errlen);

#endif
