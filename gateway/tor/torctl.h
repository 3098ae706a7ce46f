/* Tor's control port (torctl.c). */
#ifndef TORGATE_TORCTL_H
#define TORGATE_TORCTL_H

#include <stddef.h>

#include "config/config.h"

/* A connection to cfg->tor_control_addr, or -1 (errno). */
int torctl_connect(const struct tg_config *cfg);
/* Authenticates (no auth, or the cookie). 0, or -1 with why set (and the
 * fix, where there is one). reply is scratch space. */
int torctl_auth(int fd, char *reply, size_t cap, char *why, size_t whylen);
/* Sends cmd ("...\r\n"), reads the whole reply. Returns its status code
 * (250: ok), or -1. */
int torctl_cmd(int fd, const char *cmd, char *reply, size_t cap);

#endif
