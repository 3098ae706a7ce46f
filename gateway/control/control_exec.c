/* torgate exec, the gateway's side: a client of the control socket that
 * asked "exec" hands over its command line and its stdin, stdout and
 * stderr; they go to the sandbox's PID 1 (sandbox_exec.h), which runs the
 * command as it runs CMD. The client then waits for "exit N", and may send
 * "signal N" lines meanwhile. A client that goes away hangs the command up
 * (SIGHUP), as a closed terminal would.
 *
 * After "exec\n" (or "exec tty\n": its stdin is a terminal that should be
 * the command's controlling one) the client sends a 4-byte length (little-endian) and the
 * command line (sandbox_exec_argv's form), the three descriptors riding
 * with the first bytes. The gateway only checks and passes them on: it
 * keeps no descriptor of the client's beyond that message. */
#define _GNU_SOURCE
#include "control/control_exec.h"
#include "base/fdpass.h"
#include "base/log.h"
#include "sandbox/sandbox_exec.h"

#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define SETUP_TIMEOUT_S 10
#define LINE_MAX_LEN 32

struct exec_session {
    struct control_exec *x;
    struct exec_session *next;
    int fd;                       /* the client's connection */
    struct event *ev;
    uint32_t id;
    int fds[3], nfds;             /* the client's 0-2, until sent on */
    uint8_t *msg;                 /* RUN head, then the command line */
    size_t len, want;             /* bytes of length+line read; how many in all */
    int running;
    int tty;                      /* stdin becomes CMD's controlling terminal */
    char line[LINE_MAX_LEN];      /* "signal N" being read */
    size_t llen;
};

struct control_exec {
    struct event_base *base;
    int ctl;                      /* to the sandbox's PID 1 */
    struct event *ev;
    struct exec_session *sessions;
    int nsessions;
    uint32_t next_id;
};

static void session_free(struct exec_session *s)
{
    struct control_exec *x = s->x;
    for (struct exec_session **p = &x->sessions; *p != NULL; p = &(*p)->next)
        if (*p == s) {
            *p = s->next;
            break;
        }
    x->nsessions--;
    for (int i = 0; i < s->nfds; i++)
        close(s->fds[i]);
    if (s->ev != NULL)
        event_free(s->ev);
    close(s->fd);
    free(s->msg);
    free(s);
}

static void reply(struct exec_session *s, const char *text)
{
    size_t n = strlen(text);
    /* A line into an empty unix socket: one write does it. */
    if (write(s->fd, text, n) != (ssize_t)n)
        log_debug("control: torgate exec: a reply was lost: %s", strerror(errno));
}

static void to_init(struct control_exec *x, uint8_t tag, uint32_t id, int32_t value)
{
    uint8_t msg[SANDBOX_EXEC_HEAD];
    sandbox_exec_pack(msg, tag, id, value);
    if (x->ctl < 0 || send(x->ctl, msg, sizeof(msg), MSG_DONTWAIT | MSG_NOSIGNAL) != (ssize_t)sizeof(msg))
        log_debug("control: torgate exec: the sandbox missed a message: %s", strerror(errno));
}

/* The whole request is here: check it, hand it to PID 1. */
static int start(struct exec_session *s)
{
    static const char *argv[SANDBOX_EXEC_ARGC_MAX + 1];
    const char *blob = (const char *)s->msg + SANDBOX_EXEC_HEAD;
    size_t blen = s->want - SANDBOX_EXEC_HEAD;
    if (s->nfds != 3 || sandbox_exec_argv(blob, blen, argv, sizeof(argv) / sizeof(argv[0])) < 0) {
        reply(s, "error: a malformed torgate exec request\n");
        return -1;
    }
    if (s->x->ctl < 0) {
        reply(s, "error: the sandbox has ended\n");
        return -1;
    }
    sandbox_exec_pack(s->msg, SANDBOX_EXEC_RUN, s->id, s->tty);
    if (fdpass_sendv(s->x->ctl, s->msg, s->want, s->fds, 3) != 0) {
        char why[128];
        snprintf(why, sizeof(why), "error: cannot reach the sandbox's init: %s\n", strerror(errno));
        reply(s, why);
        return -1;
    }
    for (int i = 0; i < 3; i++)
        close(s->fds[i]);
    s->nfds = 0;
    free(s->msg);
    s->msg = NULL;
    s->running = 1;
    reply(s, "started\n");
    log_info("control: torgate exec: running %s in the sandbox", argv[0]);
    /* No timeout from now on (event_add with none keeps the old one). */
    return event_del(s->ev) == 0 && event_add(s->ev, NULL) == 0 ? 0 : -1;
}

/* Bytes of the request: the length, then the command line. */
static int take_request(struct exec_session *s, const uint8_t *p, size_t n)
{
    while (n > 0) {
        if (s->len < 4) {
            /* The length lands where the RUN head will be; its own bytes
             * are overwritten then. */
            s->msg[s->len++] = *p++;
            n--;
            if (s->len == 4) {
                uint32_t blen = (uint32_t)s->msg[0] | (uint32_t)s->msg[1] << 8 |
                                (uint32_t)s->msg[2] << 16 | (uint32_t)s->msg[3] << 24;
                if (blen < 2 || blen > SANDBOX_EXEC_ARGV_MAX) {
                    reply(s, "error: a malformed torgate exec request\n");
                    return -1;
                }
                s->want = SANDBOX_EXEC_HEAD + blen;
                s->len = SANDBOX_EXEC_HEAD;
            }
            continue;
        }
        size_t k = n < s->want - s->len ? n : s->want - s->len;
        memcpy(s->msg + s->len, p, k);
        s->len += k;
        p += k;
        n -= k;
        if (s->len == s->want)
            return n == 0 ? start(s) : -1;      /* nothing may follow before it runs */
    }
    return 0;
}

/* "signal N" lines while the command runs. */
static int take_lines(struct exec_session *s, const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (p[i] != '\n') {
            if (s->llen + 1 >= sizeof(s->line))
                return -1;
            s->line[s->llen++] = p[i];
            continue;
        }
        s->line[s->llen] = '\0';
        s->llen = 0;
        char *end;
        long sig = strncmp(s->line, "signal ", 7) == 0 ? strtol(s->line + 7, &end, 10) : 0;
        if (sig < 1 || sig > 64 || *end != '\0')
            return -1;
        to_init(s->x, SANDBOX_EXEC_SIGNAL, s->id, (int32_t)sig);
    }
    return 0;
}

static int take(struct exec_session *s, const void *data, size_t n, const int *fds, int nfds)
{
    if (nfds > 0 && (s->running || s->nfds + nfds > 3)) {
        for (int i = 0; i < nfds; i++)
            close(fds[i]);
        return -1;
    }
    for (int i = 0; i < nfds; i++)
        s->fds[s->nfds++] = fds[i];
    return s->running ? take_lines(s, data, n) : take_request(s, data, n);
}

static void on_session(evutil_socket_t fd, short what, void *arg)
{
    struct exec_session *s = arg;
    if (what & EV_TIMEOUT) {
        session_free(s);
        return;
    }
    uint8_t buf[4096];
    int fds[FDPASS_MAX], nfds = 0;
    ssize_t n = fdpass_recvv(fd, buf, sizeof(buf), fds, 3, &nfds);
    if (n < 0 && (errno == EAGAIN || errno == EINTR))
        return;
    if (n > 0 && take(s, buf, (size_t)n, fds, nfds) == 0)
        return;
    if (n <= 0)
        for (int i = 0; i < nfds; i++)
            close(fds[i]);
    /* Gone, or broke the protocol: a running command is hung up. */
    if (s->running)
        to_init(s->x, SANDBOX_EXEC_SIGNAL, s->id, SIGHUP);
    session_free(s);
}

/* PID 1 says a command has ended. */
static void on_init(evutil_socket_t fd, short what, void *arg)
{
    struct control_exec *x = arg;
    (void)what;
    uint8_t msg[64];
    ssize_t n = recv(fd, msg, sizeof(msg), MSG_DONTWAIT);
    if (n < 0 && (errno == EAGAIN || errno == EINTR))
        return;
    struct sandbox_exec_head h;
    if (n <= 0) {
        /* The sandbox has ended: so has everything it ran. */
        event_del(x->ev);
        close(x->ctl);
        x->ctl = -1;
        while (x->sessions != NULL) {
            reply(x->sessions, "error: the sandbox has ended, and the command with it\n");
            session_free(x->sessions);
        }
        return;
    }
    if (sandbox_exec_head(msg, (size_t)n, &h) != 0 || h.tag != SANDBOX_EXEC_EXITED) {
        log_debug("control: torgate exec: a malformed message from the sandbox, dropped");
        return;
    }
    for (struct exec_session *s = x->sessions; s != NULL; s = s->next)
        if (s->running && s->id == h.id) {
            char line[32];
            snprintf(line, sizeof(line), "exit %d\n", (int)h.value);
            reply(s, line);
            session_free(s);
            return;
        }
}

struct control_exec *control_exec_new(struct event_base *base, int ctl)
{
    struct control_exec *x = calloc(1, sizeof(*x));
    if (x == NULL)
        return NULL;
    x->base = base;
    x->ctl = ctl;
    x->next_id = 1;
    if (fcntl(ctl, F_SETFL, O_NONBLOCK) != 0 ||
        (x->ev = event_new(base, ctl, EV_READ | EV_PERSIST, on_init, x)) == NULL ||
        event_add(x->ev, NULL) != 0) {
        if (x->ev != NULL)
            event_free(x->ev);
        free(x);
        return NULL;
    }
    return x;
}

void control_exec_take(struct control_exec *x, int fd, const void *rest, size_t len,
                       const int *fds, int nfds, int tty)
{
    struct exec_session *s = calloc(1, sizeof(*s));
    struct timeval tmo = { SETUP_TIMEOUT_S, 0 };
    if (s == NULL || (s->msg = malloc(SANDBOX_EXEC_HEAD + SANDBOX_EXEC_ARGV_MAX)) == NULL) {
        free(s);
        for (int i = 0; i < nfds; i++)
            close(fds[i]);
        close(fd);
        return;
    }
    s->x = x;
    s->fd = fd;
    s->tty = tty;
    s->id = x->next_id++;
    s->next = x->sessions;
    x->sessions = s;
    x->nsessions++;
    if (x->nsessions > SANDBOX_EXEC_SESSIONS) {
        reply(s, "error: too many torgate exec at once in this sandbox\n");
        for (int i = 0; i < nfds; i++)
            close(fds[i]);
        session_free(s);
        return;
    }
    s->ev = event_new(x->base, fd, EV_READ | EV_PERSIST, on_session, s);
    if (s->ev == NULL || event_add(s->ev, &tmo) != 0 || take(s, rest, len, fds, nfds) != 0)
        session_free(s);
}

void control_exec_free(struct control_exec *x)
{
    if (x == NULL)
        return;
    while (x->sessions != NULL)
        session_free(x->sessions);
    if (x->ev != NULL)
        event_free(x->ev);
    if (x->ctl >= 0)
        close(x->ctl);
    free(x);
}
