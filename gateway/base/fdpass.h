/* File descriptors over a unix socket (SCM_RIGHTS): how the sandbox hands
 * the gateway its TUN and listeners, and how `torgate exec` hands a command
 * its terminal. */
#ifndef TORGATE_FDPASS_H
#define TORGATE_FDPASS_H

#include <stddef.h>
#include <sys/types.h>

#define FDPASS_MAX 4

/* Sends len (> 0) bytes of data in one message and nfds (0..FDPASS_MAX)
 * descriptors with them. 0, or -1 (errno; EMSGSIZE when the socket took
 * only part of the data). */
int fdpass_sendv(int sock, const void *data, size_t len, const int *fds, int nfds);

/* Receives one message (as recvmsg would: blocking unless the socket is
 * not) into buf, and up to maxfds descriptors (close-on-exec) into fds.
 * Returns the bytes read (0: EOF) and *nfds, or -1: an error, or more
 * descriptors than maxfds came (EMSGSIZE; none is kept open). */
ssize_t fdpass_recvv(int sock, void *buf, size_t cap, int *fds, int maxfds, int *nfds);

/* Sends one byte tag and, if fd >= 0, the fd. 0 or -1. */
int fdpass_send(int sock, char tag, int fd);

/* Receives one tag byte and an fd if one came (*fd = -1 otherwise).
 * Returns 1 on a message, 0 on EOF, -1 on error. */
int fdpass_recv(int sock, char *tag, int *fd);

#endif
