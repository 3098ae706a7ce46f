/* The connect() broker (unix_broker.c): the command's connect(2) calls,
 * made by the sandbox's PID 1 on the command's socket, so that a unix
 * socket of a program outside the sandbox is never reached by path unless
 * it was shared by name. */
#ifndef TORGATE_UNIX_BROKER_H
#define TORGATE_UNIX_BROKER_H

#include <linux/seccomp.h>
#include <sys/types.h>

/* A socket file the command may reach (--socket), by its device and
 * inode. Before the command starts. */
void unix_broker_allow(dev_t dev, ino_t ino);

/* The --socket names asked for (TG_SOCKET_* bits): a command that looks
 * for one of those and finds nothing needs no hint (there was nothing to
 * share, and -v said so). Before the command starts. */
void unix_broker_asked(unsigned sockets);

/* Makes the connect(2) that req stopped and answers it on listener, now
 * or, for a blocking socket, from a thread of its own. */
void unix_broker_connect(int listener, const struct seccomp_notif *req);

#endif
