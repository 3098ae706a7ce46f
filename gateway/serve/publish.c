/* --publish [ADDR:]HOSTPORT:PORT: a service the command listens on inside
 * the sandbox, reachable from the host at ADDR:HOSTPORT (default
 * 127.0.0.1). The gateway listens on the host (the socket is bound before
 * it is confined), and for each connection opens one through lwIP to the
 * command's address on the TUN, port PORT: the reverse of every other
 * stream, and no path out. The service must listen on the TUN's address
 * (0.0.0.0, ::, or 10.66.0.2), not only on the sandbox's 127.0.0.1.
 *
 * A connection is one struct with one owner and one free function, as in
 * relay.c: host socket (bufferevent) <-> this struct <-> lwIP. */
#define _GNU_SOURCE
#include "serve/publish.h"
#include "base/log.h"
#include "netstack/netstack.h"
#include "sandbox/tun.h"
#include "serve/stream.h"

#include <arpa/inet.h>
#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define HIGH_WM (256 * 1024)

struct pub_port {
    struct publish *pb;
    struct event *ev;
    int fd;
    unsigned short port;         /* the command's */
};

struct pub_conn;

struct publish {
    struct event_base *base;
    struct pub_port ports[TG_MAX_PUBLISH];
    int n;
    struct pub_conn *conns;
    unsigned long long accepted;
    long warned_closed;          /* log_warn_limited: nothing listens inside */
};

struct pub_conn {
    struct stream_head head;     /* first: the netstack calls back through it */
    struct publish *pb;
    struct pub_conn *prev, *next;
    struct bufferevent *bev;     /* the host's side */
    struct ns_conn *conn;        /* the command's side; NULL once gone */
    int up, host_eof, app_fin;
    unsigned short port;         /* the command's */
};

static void conn_free(struct pub_conn *c, int abort_app)
{
    if (c->conn != NULL) {
        if (abort_app)
            netstack_conn_abort(c->conn);
        else
            netstack_conn_close(c->conn);
    }
    if (c->bev != NULL)
        bufferevent_free(c->bev);
    if (c->prev != NULL)
        c->prev->next = c->next;
    else
        c->pb->conns = c->next;
    if (c->next != NULL)
        c->next->prev = c->prev;
    free(c);
}

/* Host -> command, as far as lwIP has room; the rest waits in the input. */
static void push(struct pub_conn *c)
{
    struct evbuffer *in = bufferevent_get_input(c->bev);
    int wrote = 0;
    while (c->conn != NULL && c->up && evbuffer_get_length(in) > 0) {
        struct evbuffer_iovec v;
        if (evbuffer_peek(in, -1, NULL, &v, 1) < 1)
            break;
        long n = netstack_conn_write(c->conn, v.iov_base, v.iov_len);
        if (n < 0) {
            conn_free(c, 1);
            return;
        }
        if (n == 0)
            break;
        evbuffer_drain(in, (size_t)n);
        wrote = 1;
    }
    if (c->conn == NULL)
        return;
    if (wrote)
        netstack_conn_flush(c->conn);
    if (c->host_eof && evbuffer_get_length(in) == 0 && c->up)
        netstack_conn_shutdown_tx(c->conn);
}

static void on_host_read(struct bufferevent *bev, void *arg)
{
    (void)bev;
    push(arg);
}

static void on_host_write(struct bufferevent *bev, void *arg)
{
    struct pub_conn *c = arg;
    if (c->app_fin)
        (void)shutdown(bufferevent_getfd(bev), SHUT_WR);
}

static void on_host_event(struct bufferevent *bev, short what, void *arg)
{
    struct pub_conn *c = arg;
    (void)bev;
    if ((what & BEV_EVENT_EOF) && !(what & BEV_EVENT_ERROR)) {
        c->host_eof = 1;
        if (c->app_fin && c->conn == NULL) {
            conn_free(c, 0);
            return;
        }
        push(c);
        return;
    }
    conn_free(c, 1);
}

/* ---- the command's side (netstack callbacks) ----------------------- */

static void app_connected(void *stream)
{
    struct pub_conn *c = stream;
    c->up = 1;
    (void)bufferevent_enable(c->bev, EV_READ);
    push(c);
}

static void app_recv(void *stream, const void *data, size_t len, void *hold)
{
    struct pub_conn *c = stream;
    int rc = evbuffer_add(bufferevent_get_output(c->bev), data, len);
    netstack_release(hold);
    if (rc != 0) {
        conn_free(c, 1);
        return;
    }
    netstack_conn_recved(c->conn, len);
}

static void app_fin(void *stream)
{
    struct pub_conn *c = stream;
    c->app_fin = 1;
    if (evbuffer_get_length(bufferevent_get_output(c->bev)) == 0)
        (void)shutdown(bufferevent_getfd(c->bev), SHUT_WR);
}

static void app_sent(void *stream)
{
    push(stream);
}

static void app_gone(void *stream, int clean)
{
    struct pub_conn *c = stream;
    c->conn = NULL;
    /* Whoever connected (the host, or Tor for --onion-service) only sees
     * the connection close: say why, where the user looks. */
    if (!clean && !c->up)
        log_warn_limited(&c->pb->warned_closed, "a connection to the command's port %u was refused: "
                         "nothing listens there (the command must listen on 0.0.0.0, not only "
                         "127.0.0.1)", (unsigned)c->port);
    /* Bytes for the host still go out before the socket closes. */
    if (clean && evbuffer_get_length(bufferevent_get_output(c->bev)) > 0) {
        c->app_fin = 1;
        return;
    }
    conn_free(c, 0);
}

static const struct stream_ops pub_ops = {
    .recv = app_recv,
    .fin = app_fin,
    .sent = app_sent,
    .gone = app_gone,
    .connected = app_connected,
};

static void on_accept(evutil_socket_t fd, short what, void *arg)
{
    struct pub_port *pp = arg;
    struct publish *pb = pp->pb;
    (void)what;
    int s = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (s < 0)
        return;
    struct pub_conn *c = calloc(1, sizeof(*c));
    if (c == NULL || (c->bev = bufferevent_socket_new(pb->base, s, BEV_OPT_CLOSE_ON_FREE)) == NULL) {
        free(c);
        close(s);
        return;
    }
    c->head.ops = &pub_ops;
    c->pb = pb;
    c->port = pp->port;
    c->next = pb->conns;
    if (pb->conns != NULL)
        pb->conns->prev = c;
    pb->conns = c;
    bufferevent_setcb(c->bev, on_host_read, on_host_write, on_host_event, c);
    bufferevent_setwatermark(c->bev, EV_READ, 0, HIGH_WM);
    struct ns_flow f = { .family = 4, .dport = pp->port };
    inet_pton(AF_INET, TUN_GATEWAY4, f.src);
    inet_pton(AF_INET, TUN_ADDR4, f.dst);
    c->conn = netstack_connect(&f, c);
    pb->accepted++;
    log_info("--publish: a connection from the host to the command's port %u", pp->port);
    if (c->conn == NULL)
        conn_free(c, 0);
}

struct publish *publish_start(struct event_base *base, const struct tg_config *cfg, const int *fds)
{
    if (cfg->npublish == 0)
        return NULL;
    struct publish *pb = calloc(1, sizeof(*pb));
    if (pb == NULL)
        return NULL;
    pb->base = base;
    for (int i = 0; i < cfg->npublish; i++) {
        struct pub_port *pp = &pb->ports[i];
        pp->pb = pb;
        pp->fd = fds[i];
        pp->port = cfg->publish[i].ns_port;
        pb->n = i + 1;
        pp->ev = event_new(base, pp->fd, EV_READ | EV_PERSIST, on_accept, pp);
        if (pp->ev == NULL || event_add(pp->ev, NULL) != 0) {
            publish_free(pb);
            return NULL;
        }
    }
    return pb;
}

void publish_free(struct publish *pb)
{
    if (pb == NULL)
        return;
    while (pb->conns != NULL)
        conn_free(pb->conns, 1);
    for (int i = 0; i < pb->n; i++) {
        if (pb->ports[i].ev != NULL)
            event_free(pb->ports[i].ev);
        close(pb->ports[i].fd);
    }
    free(pb);
}

int publish_listen(const struct tg_config *cfg, int *fds)
{
    for (int i = 0; i < cfg->npublish; i++) {
        const struct sockaddr *sa = (const struct sockaddr *)&cfg->publish[i].addr;
        int one = 1;
        int fd = socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
            bind(fd, sa, cfg->publish[i].addrlen) != 0 || listen(fd, 64) != 0) {
            log_error("--publish %s: cannot listen there: %s; choose another host port",
                      cfg->publish[i].name, strerror(errno));
            if (fd >= 0)
                close(fd);
            for (int k = 0; k < i; k++)
                close(fds[k]);
            return -1;
        }
        fds[i] = fd;
        log_info("--publish: %s leads to the command's port %u", cfg->publish[i].name,
                 (unsigned)cfg->publish[i].ns_port);
    }
    return 0;
}
