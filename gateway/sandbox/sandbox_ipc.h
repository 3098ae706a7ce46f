/* The sandbox's boundary for IPC (sandbox_ipc.c): the places where the
 * host's sockets live are private to the command, and only the sockets
 * named by --socket are shared. */
#ifndef TORGATE_SANDBOX_IPC_H
#define TORGATE_SANDBOX_IPC_H

#include <stddef.h>
#include "config/config.h"

/* In the sandbox's mount namespace, before resolv.conf is placed and
 * before the user's binds (which then cannot reopen what is covered). 0,
 * or -1 with err set (and the command must not run). */
int sandbox_ipc_setup(const struct tg_config *cfg, char *err, size_t errlen);

#endif
