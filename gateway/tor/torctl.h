/* Tor's control port (torctl.c). */
#ifndef TORGATE_TORCTL_H
#define TORGATE_TORCTL_H

#include <stddef.h>

#include "config/config.h"

/* A connection to cfg->tor_control_addr, or -1 (errno). */
int torctl_connect(const struct tg_config *cfg);
/* The same to any address. */
int torctl_connect_addr(const struct sockaddr_storage *addr, socklen_t len);
/* Authenticates (no auth, or the cookie). 0, or -1 with why set (and the
 * fix, where there is one). reply is scratch space. */
int torctl_auth(int fd, char *reply, size_t cap, char *why, size_t whylen);
/* Sends cmd ("...\r\n"), reads the whole reply. Returns its status code
 * (250: ok), or -1. */
int torctl_cmd(int fd, const char *cmd, char *reply, size_t cap);
/* Connects to the control port at addr (name: as the user wrote it) and
 * authenticates. The fd, or -1 with why set to one sentence that names
 * what failed and the fix: nothing answers there, or its cookie cannot be
 * read (and what to do about it). reply is scratch space. */
int torctl_open(const struct sockaddr_storage *addr, socklen_t len, const char *name, char *reply,
                size_t cap, char *why, size_t whylen);

#endif
