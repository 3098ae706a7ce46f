/* Passing the TUN fd from the sandbox to the gateway over a socketpair. */
#ifndef TORGATE_FDPASS_H
#define TORGATE_FDPASS_H

/* Sends one byte tag and, if fd >= 0, the fd (SCM_RIGHTS). 0 or -1. */
int fdpass_send(int sock, char tag, int fd);

/* Receives one tag byte and an fd if one came (*fd = -1 otherwise).
 * Returns 1 on a message, 0 on EOF, -1 on error. */
int fdpass_recv(int sock, char *tag, int *fd);

#endif
