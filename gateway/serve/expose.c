/* --expose HOSTPORT[:PORT]: a hole the user chooses, and the only one. The
 * sandbox listens on its own 127.0.0.1:PORT (the socket is made in its
 * network namespace and handed over, like the TUN); the gateway accepts
 * there and connects to the host's 127.0.0.1:HOSTPORT, and copies bytes
 * both ways. Nothing else on the host becomes reachable: the gateway's
 * confinement adds exactly these ports (Landlock) and IPv4 TCP sockets.
 * Every connection is logged; the first one at warning level. */
#define _GNU_SOURCE
#include "serve/expose.h"
#include "base/log.h"

#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define HIGH_WM (256 * 1024)

struct expose_port {
    struct expose *x;
    struct event *ev;
    int fd;
    unsigned short host_port, ns_port;
};

struct pipe;

struct expose {
    struct event_base *base;
    struct pipe *pipes;              /* open connections, freed with the rest */
    struct expose_port ports[TG_MAX_EXPOSE];
    int n;
    int warned;
    unsigned long long conns;
};

/* One connection: the app's side (in) and the host's (out). */
struct pipe {
    struct expose *x;
    struct pipe *prev, *next;
    struct bufferevent *side[2];
    int eof[2];                      /* that side sent EOF */
};

static void pipe_free(struct pipe *p)
{
    if (p->prev != NULL)
        p->prev->next = p->next;
    else
        p->x->pipes = p->next;
    if (p->next != NULL)
        p->next->prev = p->prev;
    for (int i = 0; i < 2; i++)
        if (p->side[i] != NULL)
            bufferevent_free(p->side[i]);
    free(p);
}

static int side_of(struct pipe *p, struct bufferevent *bev)
{
    return p->side[0] == bev ? 0 : 1;
}

/* Once a side's EOF is passed on and its bytes are written, the other
 * direction may still run; when both have ended, the pipe goes. */
static void pass_eof(struct pipe *p, int from)
{
    struct bufferevent *to = p->side[!from];
    if (evbuffer_get_length(bufferevent_get_output(to)) == 0)
        (void)shutdown(bufferevent_getfd(to), SHUT_WR);
}

/* Both sides have ended and every byte was written: the pipe goes. */
static void maybe_done(struct pipe *p)
{
    if (p->eof[0] && p->eof[1] && evbuffer_get_length(bufferevent_get_output(p->side[0])) == 0 &&
        evbuffer_get_length(bufferevent_get_output(p->side[1])) == 0)
        pipe_free(p);
}

static void on_read(struct bufferevent *bev, void *arg)
{
    struct pipe *p = arg;
    int i = side_of(p, bev);
    struct bufferevent *to = p->side[!i];
    if (evbuffer_add_buffer(bufferevent_get_output(to), bufferevent_get_input(bev)) != 0) {
        pipe_free(p);
        return;
    }
    /* The other side is slow: stop reading until it has written. */
    if (evbuffer_get_length(bufferevent_get_output(to)) >= HIGH_WM)
        (void)bufferevent_disable(bev, EV_READ);
}

static void on_write(struct bufferevent *bev, void *arg)
{
    struct pipe *p = arg;
    int i = side_of(p, bev);
    if (!p->eof[!i])
        (void)bufferevent_enable(p->side[!i], EV_READ);
    else
        pass_eof(p, !i);
    maybe_done(p);
}

static void on_event(struct bufferevent *bev, short what, void *arg)
{
    struct pipe *p = arg;
    int i = side_of(p, bev);
    if (what & BEV_EVENT_CONNECTED)
        return;
    if ((what & BEV_EVENT_EOF) && (what & BEV_EVENT_READING) && !(what & BEV_EVENT_ERROR)) {
        p->eof[i] = 1;
        pass_eof(p, i);
        maybe_done(p);
        return;
    }
    pipe_free(p);                    /* an error on either side ends both */
}

static void on_accept(evutil_socket_t fd, short what, void *arg)
{
    struct expose_port *ep = arg;
    struct expose *x = ep->x;
    (void)what;
    int in = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (in < 0)
        return;
    struct pipe *p = calloc(1, sizeof(*p));
    if (p == NULL) {
        close(in);
        return;
    }
    p->x = x;
    p->next = x->pipes;
    if (x->pipes != NULL)
        x->pipes->prev = p;
    x->pipes = p;
    p->side[0] = bufferevent_socket_new(x->base, in, BEV_OPT_CLOSE_ON_FREE);
    p->side[1] = bufferevent_socket_new(x->base, -1, BEV_OPT_CLOSE_ON_FREE);
    if (p->side[0] == NULL || p->side[1] == NULL) {
        if (p->side[0] == NULL)
            close(in);
        pipe_free(p);
        return;
    }
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(ep->host_port),
                              .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    for (int i = 0; i < 2; i++) {
        bufferevent_setcb(p->side[i], on_read, on_write, on_event, p);
        bufferevent_setwatermark(p->side[i], EV_WRITE, HIGH_WM / 2, 0);
    }
    x->conns++;
    if (!x->warned) {
        log_warn("--expose: the command connected to its 127.0.0.1:%u, which leads to the host's "
                 "127.0.0.1:%u (outside Tor, as you asked)", ep->ns_port, ep->host_port);
        x->warned = 1;
    } else {
        log_info("--expose: a connection to the host's 127.0.0.1:%u", ep->host_port);
    }
    if (bufferevent_enable(p->side[0], EV_READ) != 0 || bufferevent_enable(p->side[1], EV_READ) != 0 ||
        bufferevent_socket_connect(p->side[1], (struct sockaddr *)&sa, sizeof(sa)) != 0) {
        log_info("--expose: cannot connect to the host's 127.0.0.1:%u: %s", ep->host_port,
                 strerror(errno));
        pipe_free(p);
    }
}

struct expose *expose_start(struct event_base *base, const struct tg_config *cfg, const int *fds)
{
    if (cfg->nexpose == 0)
        return NULL;
    struct expose *x = calloc(1, sizeof(*x));
    if (x == NULL)
        return NULL;
    x->base = base;
    for (int i = 0; i < cfg->nexpose; i++) {
        struct expose_port *ep = &x->ports[i];
        ep->x = x;
        ep->fd = fds[i];
        ep->host_port = cfg->expose[i].host_port;
        ep->ns_port = cfg->expose[i].ns_port;
        ep->ev = event_new(base, ep->fd, EV_READ | EV_PERSIST, on_accept, ep);
        x->n = i + 1;
        if (ep->ev == NULL || event_add(ep->ev, NULL) != 0) {
            expose_free(x);
            return NULL;
        }
        log_info("--expose: the command's 127.0.0.1:%u leads to the host's 127.0.0.1:%u",
                 ep->ns_port, ep->host_port);
    }
    return x;
}

void expose_free(struct expose *x)
{
    if (x == NULL)
        return;
    if (x->conns > 0)
        log_info("--expose: %llu connections", x->conns);
    while (x->pipes != NULL)
        pipe_free(x->pipes);
    for (int i = 0; i < x->n; i++) {
        if (x->ports[i].ev != NULL)
            event_free(x->ports[i].ev);
        close(x->ports[i].fd);
    }
    free(x);
}
