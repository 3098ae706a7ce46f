/* torgate exec on a terminal (exec_tty.c): the command gets a terminal of
 * its own, a pseudo-terminal whose other side this process relays to the
 * user's, as ssh and docker exec -t do. It can then be the controlling
 * terminal of the command's session (job control, Ctrl-C, a full-screen
 * program's window size) without the command ever holding the user's own
 * terminal. */
#ifndef TORGATE_EXEC_TTY_H
#define TORGATE_EXEC_TTY_H

#include <stddef.h>
#include <termios.h>

struct exec_tty {
    int master, slave;            /* -1: none */
    int raw;                      /* the user's terminal is in raw mode */
    struct termios saved;
    char in[4096];                /* keys not yet taken by the pty */
    size_t in_len;
    int in_eof;
};

/* When stdin is a terminal: makes the pty (the user's settings and window
 * size copied to it) and puts the user's terminal in raw mode. Returns 1
 * (made), 0 (stdin is no terminal: t unused), -1 (said on stderr). */
int exec_tty_open(struct exec_tty *t);

/* What the command's 0-2 are: the pty's slave for each of ours that is a
 * terminal, else ours (a redirection stays one). */
void exec_tty_stdio(const struct exec_tty *t, int fds[3]);

/* The slave went to the command: this side keeps only the master. */
void exec_tty_sent(struct exec_tty *t);

/* The events to poll for on stdin and on the master. */
short exec_tty_want_in(const struct exec_tty *t);
short exec_tty_want_master(const struct exec_tty *t);

/* Moves what poll said is ready: keys to the pty, output to stdout. */
void exec_tty_pump(struct exec_tty *t, short in_revents, short master_revents);

/* The user's window changed size (SIGWINCH): so does the command's. */
void exec_tty_resize(const struct exec_tty *t);

/* The command has ended: its last output, then the user's terminal as it
 * was. */
void exec_tty_close(struct exec_tty *t);

#endif
