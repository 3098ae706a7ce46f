/* DNS over UDP and TCP for the sandbox, answered locally.
 *
 * A TCP session holds at most one partial query (2 + 65535 bytes) and a
 * bounded queue of answers; a client that sends faster than it reads, or
 * stays silent, loses its session, never the gateway's memory. */
#define _GNU_SOURCE
#include "dns_server.h"
#include "log.h"
#include "stream.h"
#include "stub.h"
#include "tun.h"
#include "wire.h"

#include <arpa/inet.h>
#include <event2/event.h>
#include <stdlib.h>
#include <string.h>

#define DNS_PORT          53
#define TCP_MAX_SESSIONS  64
#define TCP_IDLE_S        10         /* RFC 7766 suggests seconds, not minutes */
#define TCP_OUT_MAX       (128 * 1024)

struct dns_tcp {
    struct stream_head head;         /* first: the netstack calls back through it */
    struct dns_server *srv;
    struct dns_tcp *prev, *next;
    struct ns_conn *conn;
    struct event *idle;
    uint8_t in[2 + DNS_TCP_MAX];
    size_t in_len;
    uint8_t *out;                    /* answers lwIP had no room for yet */
    size_t out_len;
    int app_fin;
};

struct dns_server {
    struct event_base *base;
    struct dns_stub stub;
    struct dns_tcp *sessions;
    int nsessions;
    uint8_t addr4[4], addr6[16];
};

/* ---- UDP ------------------------------------------------------------ */

static void on_udp_query(void *ctx, const struct ns_flow *flow, const void *data, size_t len)
{
    struct dns_server *d = ctx;
    uint8_t resp[DNS_EDNS_UDP_SIZE > DNS_UDP_MIN ? 4096 : DNS_UDP_MIN];
    size_t n = dns_stub_answer(&d->stub, data, len, 0, resp, sizeof(resp));
    if (n > 0 && netstack_udp_reply(flow, resp, n) != 0)
        log_debug("dns: could not send a UDP answer");
}

/* ---- TCP ------------------------------------------------------------ */

static void tcp_free(struct dns_tcp *t)
{
    struct dns_server *d = t->srv;
    if (t->prev != NULL)
        t->prev->next = t->next;
    else
        d->sessions = t->next;
    if (t->next != NULL)
        t->next->prev = t->prev;
    d->nsessions--;
    if (t->idle != NULL)
        event_free(t->idle);
    free(t->out);
    free(t);
}

static void tcp_abort(struct dns_tcp *t)
{
    if (t->conn != NULL)
        netstack_conn_abort(t->conn);
    tcp_free(t);
}

/* Hands queued answers to lwIP; closes once the client has said all and
 * everything was handed over. */
static void tcp_flush(struct dns_tcp *t)
{
    size_t done = 0;
    while (done < t->out_len) {
        long n = netstack_conn_write(t->conn, t->out + done, t->out_len - done);
        if (n < 0) {
            tcp_abort(t);
            return;
        }
        if (n == 0)
            break;
        done += (size_t)n;
    }
    if (done > 0) {
        memmove(t->out, t->out + done, t->out_len - done);
        t->out_len -= done;
        netstack_conn_flush(t->conn);
    }
    if (t->app_fin && t->out_len == 0) {
        netstack_conn_close(t->conn);
        tcp_free(t);
    }
}

static int tcp_queue(struct dns_tcp *t, const uint8_t *resp, size_t n)
{
    if (t->out_len + 2 + n > TCP_OUT_MAX)
        return -1;
    uint8_t *grown = realloc(t->out, t->out_len + 2 + n);
    if (grown == NULL)
        return -1;
    t->out = grown;
    t->out[t->out_len] = (uint8_t)(n >> 8);
    t->out[t->out_len + 1] = (uint8_t)n;
    memcpy(t->out + t->out_len + 2, resp, n);
    t->out_len += 2 + n;
    return 0;
}

static void tcp_recv(void *stream, const void *data, size_t len, void *hold)
{
    struct dns_tcp *t = stream;
    static uint8_t resp[DNS_TCP_MAX];

    if (len > sizeof(t->in) - t->in_len) {
        netstack_release(hold);
        log_debug("dns: a TCP client sent more than one message can hold; closed");
        tcp_abort(t);
        return;
    }
    memcpy(t->in + t->in_len, data, len);
    t->in_len += len;
    netstack_release(hold);
    netstack_conn_recved(t->conn, len);
    struct timeval tmo = { TCP_IDLE_S, 0 };
    event_add(t->idle, &tmo);

    size_t off = 0;
    while (t->in_len - off >= 2) {
        size_t mlen = ((size_t)t->in[off] << 8) | t->in[off + 1];
        if (t->in_len - off - 2 < mlen)
            break;
        size_t n = dns_stub_answer(&t->srv->stub, t->in + off + 2, mlen, 1, resp, sizeof(resp));
        off += 2 + mlen;
        if (n > 0 && tcp_queue(t, resp, n) != 0) {
            log_debug("dns: a TCP client does not read its answers; closed");
            tcp_abort(t);
            return;
        }
    }
    memmove(t->in, t->in + off, t->in_len - off);
    t->in_len -= off;
    tcp_flush(t);
}

static void tcp_fin(void *stream)
{
    struct dns_tcp *t = stream;
    t->app_fin = 1;
    tcp_flush(t);
}

static void tcp_sent(void *stream)
{
    tcp_flush(stream);
}

static void tcp_gone(void *stream)
{
    struct dns_tcp *t = stream;
    t->conn = NULL;
    tcp_free(t);
}

static void on_idle(evutil_socket_t fd, short what, void *arg)
{
    struct dns_tcp *t = arg;
    (void)fd;
    (void)what;
    netstack_conn_close(t->conn);
    tcp_free(t);
}

static const struct stream_ops dns_tcp_ops = {
    .recv = tcp_recv,
    .fin = tcp_fin,
    .sent = tcp_sent,
    .gone = tcp_gone,
};

int dns_server_is_stub_addr(const struct ns_flow *flow)
{
    uint8_t a[16];
    if (flow->family == 4)
        return inet_pton(AF_INET, TUN_GATEWAY4, a) == 1 && memcmp(a, flow->dst, 4) == 0;
    return inet_pton(AF_INET6, TUN_GATEWAY6, a) == 1 && memcmp(a, flow->dst, 16) == 0;
}

void *dns_server_tcp_open(struct dns_server *d, struct ns_pending *pend, const struct ns_flow *flow)
{
    if (flow->dport != DNS_PORT || d->nsessions >= TCP_MAX_SESSIONS)
        return NULL;
    struct dns_tcp *t = calloc(1, sizeof(*t));
    if (t == NULL)
        return NULL;
    t->head.ops = &dns_tcp_ops;
    t->srv = d;
    t->idle = evtimer_new(d->base, on_idle, t);
    struct timeval tmo = { TCP_IDLE_S, 0 };
    if (t->idle == NULL || event_add(t->idle, &tmo) != 0) {
        if (t->idle != NULL)
            event_free(t->idle);
        free(t);
        return NULL;
    }
    t->next = d->sessions;
    if (d->sessions != NULL)
        d->sessions->prev = t;
    d->sessions = t;
    d->nsessions++;
    t->conn = netstack_pending_accept(pend, t);
    if (t->conn == NULL) {
        tcp_free(t);
        return NULL;
    }
    return t;
}

/* ---- life cycle ------------------------------------------------------ */

struct dns_server *dns_server_new(struct event_base *base)
{
    struct dns_server *d = calloc(1, sizeof(*d));
    if (d == NULL)
        return NULL;
    d->base = base;
    d->stub.map = vmap_new(VMAP_DEFAULT_CAPACITY);
    if (d->stub.map == NULL || inet_pton(AF_INET, TUN_GATEWAY4, d->addr4) != 1 ||
        inet_pton(AF_INET6, TUN_GATEWAY6, d->addr6) != 1 ||
        netstack_udp_listen(4, d->addr4, DNS_PORT, on_udp_query, d) != 0 ||
        netstack_udp_listen(6, d->addr6, DNS_PORT, on_udp_query, d) != 0) {
        log_error("cannot start the DNS stub on %s and %s port %d", TUN_GATEWAY4, TUN_GATEWAY6,
                  DNS_PORT);
        dns_server_free(d);
        return NULL;
    }
    return d;
}

void dns_server_free(struct dns_server *d)
{
    if (d == NULL)
        return;
    while (d->sessions != NULL)
        tcp_abort(d->sessions);
    vmap_free(d->stub.map);
    free(d);
}

struct vmap *dns_server_map(struct dns_server *d)
{
    return d->stub.map;
}

const struct dns_stub_stats *dns_server_stats(const struct dns_server *d)
{
    return &d->stub.stats;
}
