/* torgate exec, the gateway's side (control_exec.c): requests from the
 * control socket to the sandbox's PID 1 and its answers back. */
#ifndef TORGATE_CONTROL_EXEC_H
#define TORGATE_CONTROL_EXEC_H

#include <stddef.h>

struct control_exec;
struct event_base;

/* Takes ctl, the gateway's end of the socketpair to the sandbox (made
 * non-blocking here). NULL when out of memory. */
struct control_exec *control_exec_new(struct event_base *base, int ctl);

/* Takes a control connection that asked "exec" (fd) with the bytes read
 * after that line and the descriptors that came with them: from here on
 * they are this module's, closed when the session ends. tty: "exec tty",
 * the command's stdin is a terminal to be its controlling one. */
void control_exec_take(struct control_exec *x, int fd, const void *rest, size_t len,
                       const int *fds, int nfds, int tty);

/* Ends every session (the clients see their connection close) and closes
 * ctl. */
void control_exec_free(struct control_exec *x);

#endif
