/* torgate exec NAME [--] CMD [ARG...]: runs CMD in NAME's sandbox, as a
 * sibling of the command NAME runs (control_exec.c, sandbox_exec.h), with
 * this process's stdin, stdout and stderr; waits for it and exits with
 * its status. On a terminal CMD gets a terminal of its own (exec_tty.c),
 * in a session of its own. The signals this process gets are passed on;
 * if this process is killed, CMD is hung up. */
#define _GNU_SOURCE
#include "control/exec_client.h"
#include "base/fdpass.h"
#include "config/config.h"
#include "control/control.h"
#include "control/exec_tty.h"
#include "sandbox/sandbox_exec.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

static const int passed_signals[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2 };

/* One run: the connection, the signals, the terminal, and what to say at
 * the end (said once the user's terminal is itself again). */
struct run {
    const char *name;
    int fd, sfd;
    struct exec_tty tty;
    int has_tty;
    int started;
    char said[320];
};

/* "exec[ tty]\n", the length, the command line; 0-2 go with it. */
static int send_request(struct run *r, char *const *cmd)
{
    static char msg[9 + 4 + SANDBOX_EXEC_ARGV_MAX];
    const char *head = r->has_tty ? "exec tty\n" : "exec\n";
    size_t hl = strlen(head);
    size_t blen = sandbox_exec_blob(cmd, msg + hl + 4, SANDBOX_EXEC_ARGV_MAX);
    if (blen == 0) {
        snprintf(r->said, sizeof(r->said), "the command line is empty or longer than %d bytes",
                 SANDBOX_EXEC_ARGV_MAX);
        return 2;
    }
    memcpy(msg, head, hl);
    for (int i = 0; i < 4; i++)
        msg[hl + (size_t)i] = (char)(blen >> (8 * i) & 0xff);
    int stdio[3];
    exec_tty_stdio(&r->tty, stdio);
    int rc = fdpass_sendv(r->fd, msg, hl + 4 + blen, stdio, 3);
    exec_tty_sent(&r->tty);
    /* Hung up on at once is what a refusal looks like from here; the
     * reply, if there was one, says more. */
    if (rc != 0 && errno != EPIPE && errno != ECONNRESET) {
        snprintf(r->said, sizeof(r->said), "cannot send the command: %s", strerror(errno));
        return 1;
    }
    return 0;
}

/* One line from the gateway: 0 more to come, else the exit status (-1
 * for 0). */
static int on_line(struct run *r, const char *line)
{
    if (strcmp(line, "started") == 0) {
        r->started = 1;
        return 0;
    }
    if (strncmp(line, "exit ", 5) == 0) {
        char *end;
        long code = strtol(line + 5, &end, 10);
        if (*end == '\0' && code >= 0 && code <= 255)
            return code == 0 ? -1 : (int)code;
    }
    if (strncmp(line, "error: ", 7) == 0)
        snprintf(r->said, sizeof(r->said), "%s", line + 7);
    else
        snprintf(r->said, sizeof(r->said), "%s answered what torgate does not know: %.60s",
                 r->name, line);
    return TG_EXIT_FAILURE;
}

static void on_signal(struct run *r)
{
    struct signalfd_siginfo si;
    if (read(r->sfd, &si, sizeof(si)) != (ssize_t)sizeof(si))
        return;
    if (si.ssi_signo == SIGWINCH) {
        exec_tty_resize(&r->tty);
        return;
    }
    char line[32];
    int n = snprintf(line, sizeof(line), "signal %u\n", si.ssi_signo);
    if (write(r->fd, line, (size_t)n) != n)
        fprintf(stderr, "torgate: exec: could not pass signal %u on: %s\n", si.ssi_signo,
                strerror(errno));
}

/* Waits for the end, passing signals and the terminal on. */
static int wait_end(struct run *r)
{
    char buf[256];
    size_t len = 0;
    for (;;) {
        struct pollfd pf[4] = {
            { .fd = r->fd, .events = POLLIN }, { .fd = r->sfd, .events = POLLIN },
            { .fd = STDIN_FILENO, .events = exec_tty_want_in(&r->tty) },
            { .fd = r->tty.master, .events = exec_tty_want_master(&r->tty) },
        };
        if (poll(pf, r->has_tty ? 4 : 2, -1) < 0) {
            if (errno == EINTR)
                continue;
            snprintf(r->said, sizeof(r->said), "poll: %s", strerror(errno));
            return TG_EXIT_FAILURE;
        }
        if (pf[1].revents & POLLIN)
            on_signal(r);
        if (r->has_tty)
            exec_tty_pump(&r->tty, pf[2].revents, pf[3].revents);
        if (!(pf[0].revents & (POLLIN | POLLHUP | POLLERR)))
            continue;
        ssize_t n = read(r->fd, buf + len, sizeof(buf) - 1 - len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            snprintf(r->said, sizeof(r->said), r->started ? "%s ended before the command did"
                     : "%s closed the connection without running the command: only the user "
                       "who started it may run commands in it", r->name);
            return TG_EXIT_FAILURE;
        }
        len += (size_t)n;
        buf[len] = '\0';
        char *nl;
        while ((nl = strchr(buf, '\n')) != NULL) {
            *nl = '\0';
            int rc = on_line(r, buf);
            if (rc != 0)
                return rc < 0 ? 0 : rc;
            len -= (size_t)(nl + 1 - buf);
            memmove(buf, nl + 1, len + 1);
        }
        if (len + 1 >= sizeof(buf)) {
            snprintf(r->said, sizeof(r->said), "%s sent a line too long to be torgate's", r->name);
            return TG_EXIT_FAILURE;
        }
    }
}

int exec_client_main(int argc, char **argv)
{
    if (argc < 2 || argv[1][0] == '-') {
        fprintf(stderr, "torgate: exec needs the NAME of a running torgate and a command "
                "(torgate exec NAME -- CMD [ARG...]; torgate ls lists the names)\n");
        return 2;
    }
    const char *name = argv[1];
    int at = 2;
    if (at < argc && strcmp(argv[at], "--") == 0)
        at++;
    if (at >= argc) {
        fprintf(stderr, "torgate: exec %s: no command (torgate exec %s -- CMD [ARG...])\n", name, name);
        return 2;
    }
    char path[512];
    int bad = control_client_path("exec", name, path, sizeof(path));
    if (bad != 0)
        return bad;
    struct run r = { .name = name, .fd = -1, .sfd = -1 };
    /* Blocked before connecting: none is lost, none stops this process
     * while CMD runs unwatched. */
    sigset_t set;
    sigemptyset(&set);
    for (size_t i = 0; i < sizeof(passed_signals) / sizeof(passed_signals[0]); i++)
        sigaddset(&set, passed_signals[i]);
    sigaddset(&set, SIGWINCH);
    if (sigprocmask(SIG_BLOCK, &set, NULL) != 0 || (r.sfd = signalfd(-1, &set, SFD_CLOEXEC)) < 0 ||
        signal(SIGPIPE, SIG_IGN) == SIG_ERR) {
        fprintf(stderr, "torgate: exec: cannot set up signal passing: %s\n", strerror(errno));
        return TG_EXIT_FAILURE;
    }
    r.fd = control_client_connect(path);
    if (r.fd < 0) {
        if (r.fd == -2)
            fprintf(stderr, "torgate: no torgate named %s is running (torgate ls lists them)\n", name);
        else
            fprintf(stderr, "torgate: exec: cannot reach %s: %s\n", path, strerror(errno));
        close(r.sfd);
        return 1;
    }
    r.has_tty = exec_tty_open(&r.tty);
    int rc = r.has_tty < 0 ? TG_EXIT_FAILURE : send_request(&r, argv + at);
    if (rc == 0)
        rc = wait_end(&r);
    exec_tty_close(&r.tty);
    if (r.said[0] != '\0')
        fprintf(stderr, "torgate: exec: %s\n", r.said);
    close(r.fd);
    close(r.sfd);
    return rc;
}
