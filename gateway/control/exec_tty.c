/* The pseudo-terminal of torgate exec (see exec_tty.h). */
#define _GNU_SOURCE
#include "control/exec_tty.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

static int fail(struct exec_tty *t, const char *what)
{
    fprintf(stderr, "torgate: exec: cannot give the command a terminal (%s: %s); run it "
            "without one (stdin not a terminal, e.g. </dev/null)\n", what, strerror(errno));
    if (t->slave >= 0)
        close(t->slave);
    if (t->master >= 0)
        close(t->master);
    t->master = t->slave = -1;
    return -1;
}

int exec_tty_open(struct exec_tty *t)
{
    memset(t, 0, sizeof(*t));
    t->master = t->slave = -1;
    if (!isatty(STDIN_FILENO))
        return 0;
    char name[64];
    struct winsize ws;
    t->master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (t->master < 0)
        return fail(t, "posix_openpt");
    if (grantpt(t->master) != 0 || unlockpt(t->master) != 0 ||
        ptsname_r(t->master, name, sizeof(name)) != 0)
        return fail(t, "unlockpt");
    t->slave = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (t->slave < 0)
        return fail(t, name);
    if (tcgetattr(STDIN_FILENO, &t->saved) != 0 || tcsetattr(t->slave, TCSANOW, &t->saved) != 0)
        return fail(t, "tcsetattr");
    if (ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) == 0)
        (void)ioctl(t->master, TIOCSWINSZ, &ws);
    /* Every key goes to the command's terminal, which interprets it
     * (Ctrl-C there is the command's SIGINT). */
    struct termios raw = t->saved;
    cfmakeraw(&raw);
    if (tcsetattr(STDIN_FILENO, TCSANOW, &raw) != 0)
        return fail(t, "raw mode");
    t->raw = 1;
    if (fcntl(t->master, F_SETFL, O_NONBLOCK) != 0)
        return fail(t, "O_NONBLOCK");
    return 1;
}

void exec_tty_stdio(const struct exec_tty *t, int fds[3])
{
    for (int i = 0; i < 3; i++)
        fds[i] = t->slave >= 0 && isatty(i) ? t->slave : i;
}

void exec_tty_sent(struct exec_tty *t)
{
    if (t->slave >= 0)
        close(t->slave);
    t->slave = -1;
}

short exec_tty_want_in(const struct exec_tty *t)
{
    return t->master >= 0 && !t->in_eof && t->in_len == 0 ? POLLIN : 0;
}

short exec_tty_want_master(const struct exec_tty *t)
{
    if (t->master < 0)
        return 0;
    return (short)(POLLIN | (t->in_len > 0 ? POLLOUT : 0));
}

/* The command's output, all of it that is there now, to stdout. 0 on EOF
 * or error (the slave is closed everywhere). */
static int out_once(struct exec_tty *t)
{
    char buf[8192];
    ssize_t n = read(t->master, buf, sizeof(buf));
    if (n <= 0)
        return n < 0 && (errno == EAGAIN || errno == EINTR) ? 1 : 0;
    for (ssize_t off = 0; off < n;) {
        ssize_t w = write(STDOUT_FILENO, buf + off, (size_t)(n - off));
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return 0;                    /* nowhere to show it: drop the rest */
        off += w;
    }
    return 1;
}

void exec_tty_pump(struct exec_tty *t, short in_revents, short master_revents)
{
    if (t->master < 0)
        return;
    if (in_revents & (POLLIN | POLLHUP)) {
        ssize_t n = read(STDIN_FILENO, t->in, sizeof(t->in));
        if (n > 0)
            t->in_len = (size_t)n;
        else if (n == 0 || (errno != EAGAIN && errno != EINTR))
            t->in_eof = 1;
    }
    if (t->in_len > 0) {
        ssize_t w = write(t->master, t->in, t->in_len);
        if (w > 0) {
            memmove(t->in, t->in + w, t->in_len - (size_t)w);
            t->in_len -= (size_t)w;
        }
    }
    if (master_revents & (POLLIN | POLLHUP))
        (void)out_once(t);
}

void exec_tty_resize(const struct exec_tty *t)
{
    struct winsize ws;
    if (t->master >= 0 && ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) == 0)
        (void)ioctl(t->master, TIOCSWINSZ, &ws);
}

void exec_tty_close(struct exec_tty *t)
{
    if (t->master >= 0) {
        /* What the command wrote last is still in the pty: a bounded
         * drain, as its children may hold the slave open. */
        for (int i = 0; i < 64; i++) {
            struct pollfd pf = { .fd = t->master, .events = POLLIN };
            if (poll(&pf, 1, 20) <= 0 || !out_once(t))
                break;
        }
        close(t->master);
        t->master = -1;
    }
    exec_tty_sent(t);
    if (t->raw && tcsetattr(STDIN_FILENO, TCSADRAIN, &t->saved) != 0)
        fprintf(stderr, "torgate: exec: cannot restore the terminal's settings: %s (type reset)\n",
                strerror(errno));
    t->raw = 0;
}
