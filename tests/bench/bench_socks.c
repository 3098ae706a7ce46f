/* bench_socks: the SOCKS5 server of `make bench`, one epoll loop.
 *
 *   bench_socks [--listen HOST:PORT] [--map PORT=HOST:PORT]... [--default HOST:PORT]
 *
 * Accepts no-auth and username/password (any credentials: torgate sends a
 * random user per instance), CONNECT to IPv4, IPv6 or a name; the target is
 * chosen by the requested port from --map (else --default), as the
 * integration suite's servers.py does, so a client inside torgate can name
 * any address. Prints "ready PORT" once listening.
 *
 * --map PORT=idle answers a CONNECT to PORT itself, with no upstream: it
 * replies 'i' to the idle workload's 'I' and holds the stream. The
 * 10,000-idle-streams figure needs it where the open-file hard limit is
 * 20,000 (this machine): relayed, each stream would cost two sockets here.
 * torgate's side of such a stream is the same as of a relayed one.
 *
 * It must not be the bottleneck of the socks-only or torgate figures: bytes
 * go from one socket to the other through one 1 MB buffer in a single
 * read/write pair, and only what the receiver did not take is copied aside
 * (the source then stops being read until it drains). */
#define _GNU_SOURCE
#include "bench_common.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#define MAX_MAPS 32

struct map { uint16_t port; bool idle; struct sockaddr_storage to; socklen_t len; };
static struct map maps[MAX_MAPS];
static int n_maps;
static struct sockaddr_storage dflt;
static socklen_t dflt_len;
static int ep;
static struct relay *graveyard;
static unsigned char scratch[BENCH_CHUNK];

enum state { S_GREET, S_AUTH, S_REQ, S_IDLE, S_CONNECTING, S_RELAY };

struct relay;
struct end {                 /* one socket of a relay; what epoll points at */
    struct relay *r;
    int fd;
    uint32_t mask;           /* events registered, 0 when not in epoll */
    bool rd_eof, wr_shut, registered;
    unsigned char *pend;     /* bytes read elsewhere, not yet written here */
    size_t pend_len, pend_off;
};

struct relay {
    enum state st;
    bool dead;               /* closed; freed after the current epoll batch */
    struct relay *next_dead;
    struct end e[2];         /* 0: client, 1: upstream */
    unsigned char hs[600];
    size_t hlen;
};

/* Closes both sockets now; the memory waits for the end of the epoll batch,
 * which may still hold an event pointing at the other socket. */
static void socks_free(struct relay *r)
{
    for (int i = 0; i < 2; i++) {
        if (r->e[i].fd >= 0)
            close(r->e[i].fd);   /* close() also removes it from epoll */
        r->e[i].fd = -1;
        free(r->e[i].pend);
        r->e[i].pend = NULL;
    }
    r->dead = true;
    r->next_dead = graveyard;
    graveyard = r;
}

static void socks_bury(void)
{
    while (graveyard != NULL) {
        struct relay *r = graveyard;
        graveyard = r->next_dead;
        free(r);
    }
}

static int socks_set_mask(struct end *e, uint32_t mask)
{
    if (e->fd < 0 || (e->registered && mask == e->mask))
        return 0;
    struct epoll_event ev = { .events = mask, .data.ptr = e };
    int op = e->registered ? EPOLL_CTL_MOD : EPOLL_CTL_ADD;
    if (e->rd_eof && e->wr_shut) {
        /* Done both ways: a registered fd would keep reporting EPOLLHUP. */
        if (e->registered && epoll_ctl(ep, EPOLL_CTL_DEL, e->fd, NULL) != 0)
            return -1;
        e->registered = false;
        return 0;
    }
    if (epoll_ctl(ep, op, e->fd, &ev) != 0)
        return -1;
    e->registered = true;
    e->mask = mask;
    return 0;
}

/* Registers what each socket waits for; closes the relay when it is over.
 * Returns -1 when r was freed. */
static int socks_update(struct relay *r)
{
    struct end *c = &r->e[0], *u = &r->e[1];
    if (r->st == S_RELAY && c->rd_eof && u->rd_eof && c->wr_shut && u->wr_shut) {
        socks_free(r);
        return -1;
    }
    uint32_t cm = 0, um = 0;
    if (r->st <= S_IDLE)
        cm = EPOLLIN;
    else if (r->st == S_CONNECTING)
        um = EPOLLOUT;
    else {
        /* Read a side only while the other has taken everything so far:
         * that is the back-pressure. */
        if (!c->rd_eof && u->pend_len == 0) cm |= EPOLLIN;
        if (!u->rd_eof && c->pend_len == 0) um |= EPOLLIN;
        if (c->pend_len > 0) cm |= EPOLLOUT;
        if (u->pend_len > 0) um |= EPOLLOUT;
    }
    if (socks_set_mask(c, cm) != 0 || (r->st >= S_CONNECTING && socks_set_mask(u, um) != 0)) {
        perror("bench_socks: epoll_ctl");
        socks_free(r);
        return -1;
    }
    return 0;
}

static int socks_reply(struct relay *r, const unsigned char *b, size_t n)
{
    /* Handshake replies are a few bytes into an empty socket buffer. */
    return write(r->e[0].fd, b, n) == (ssize_t)n ? 0 : -1;
}

/* Refuses the request. The relay is dropped whether or not the reply could
 * be written, hence -1 on both paths. */
static int socks_fail(struct relay *r, unsigned char rep)
{
    unsigned char b[10] = { 5, rep, 0, 1 };
    if (socks_reply(r, b, sizeof(b)) != 0)
        return -1;
    return -1;
}

static const struct map *socks_target(uint16_t port)
{
    for (int i = 0; i < n_maps; i++)
        if (maps[i].port == port)
            return &maps[i];
    return NULL;
}

/* Starts the upstream connection for a parsed CONNECT; bytes after the
 * request (a client that pipelines) are queued for upstream. */
static int socks_connect(struct relay *r, uint16_t port, size_t used)
{
    const struct map *m = socks_target(port);
    if (m != NULL && m->idle) {
        unsigned char ok[10] = { 5, 0, 0, 1 };
        r->st = S_IDLE;
        if (socks_reply(r, ok, sizeof(ok)) != 0)
            return -1;
        /* An 'I' that came right behind the request (torgate's optimistic
         * data) is answered as if it came after the reply. */
        size_t extra = r->hlen - used;
        r->hlen = 0;
        if (extra == 0)
            return 0;
        if (r->hs[used] != 'I')
            return -1;
        return write(r->e[0].fd, "i", 1) == 1 ? 0 : -1;
    }
    const struct sockaddr_storage *to = m ? &m->to : &dflt;
    socklen_t len = m ? m->len : dflt_len;
    if (len == 0)
        return socks_fail(r, 2);     /* no route for this port: not allowed */
    int fd = socket(to->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return socks_fail(r, 1);
    r->e[1].fd = fd;
    bench_nodelay(fd);
    if (connect(fd, (const struct sockaddr *)to, len) != 0 && errno != EINPROGRESS)
        return socks_fail(r, 5);
    if (r->hlen > used) {
        size_t extra = r->hlen - used;
        r->e[1].pend = malloc(extra);
        if (r->e[1].pend == NULL)
            return socks_fail(r, 1);
        memcpy(r->e[1].pend, r->hs + used, extra);
        r->e[1].pend_len = extra;
    }
    r->hlen = 0;
    r->st = S_CONNECTING;
    return 0;
}

static void socks_consume(struct relay *r, size_t n)
{
    memmove(r->hs, r->hs + n, r->hlen - n);
    r->hlen -= n;
}

/* Parses what the client sent so far; -1 to drop the relay. */
static int socks_handshake(struct relay *r)
{
    for (;;) {
        unsigned char *h = r->hs;
        size_t n = r->hlen;
        if (r->st == S_GREET) {
            if (n < 2) return 0;
            if (h[0] != 5) return -1;
            if (n < 2u + h[1]) return 0;
            unsigned char method = 0xff;
            for (size_t i = 0; i < h[1]; i++) {
                if (h[2 + i] == 2) method = 2;
                else if (h[2 + i] == 0 && method == 0xff) method = 0;
            }
            unsigned char rep[2] = { 5, method };
            if (socks_reply(r, rep, 2) != 0 || method == 0xff) return -1;
            socks_consume(r, 2u + h[1]);
            r->st = method == 2 ? S_AUTH : S_REQ;
        } else if (r->st == S_AUTH) {
            if (n < 2) return 0;
            if (h[0] != 1) return -1;
            size_t ulen = h[1];
            if (n < 3 + ulen) return 0;
            size_t total = 3 + ulen + h[2 + ulen];
            if (n < total) return 0;
            unsigned char rep[2] = { 1, 0 };
            if (socks_reply(r, rep, 2) != 0) return -1;
            socks_consume(r, total);
            r->st = S_REQ;
        } else if (r->st == S_REQ) {
            if (n < 5) return 0;
            if (h[0] != 5) return -1;
            size_t alen = h[3] == 1 ? 4 : h[3] == 4 ? 16 : h[3] == 3 ? 1u + h[4] : 0;
            if (alen == 0) return socks_fail(r, 8);
            size_t total = 4 + alen + 2;
            if (n < total) return 0;
            if (h[1] != 1) return socks_fail(r, 7);
            uint16_t port = (uint16_t)(h[total - 2] << 8 | h[total - 1]);
            return socks_connect(r, port, total);
        } else {
            return 0;
        }
    }
}

/* A stream this server holds itself: 'I' is answered with 'i', EOF closes. */
static int socks_idle(struct relay *r)
{
    unsigned char b[64];
    ssize_t n = read(r->e[0].fd, b, sizeof(b));
    if (n < 0)
        return errno == EAGAIN ? 0 : -1;
    if (n == 0 || b[0] != 'I')
        return -1;
    return write(r->e[0].fd, "i", 1) == 1 ? 0 : -1;
}

static int socks_read_handshake(struct relay *r)
{
    if (r->hlen == sizeof(r->hs))
        return -1;
    ssize_t n = read(r->e[0].fd, r->hs + r->hlen, sizeof(r->hs) - r->hlen);
    if (n < 0)
        return errno == EAGAIN ? 0 : -1;
    if (n == 0)
        return -1;
    r->hlen += (size_t)n;
    return socks_handshake(r);
}

static int socks_connected(struct relay *r)
{
    int err = 0;
    socklen_t el = sizeof(err);
    if (getsockopt(r->e[1].fd, SOL_SOCKET, SO_ERROR, &err, &el) != 0 || err != 0)
        return socks_fail(r, 5);
    unsigned char ok[10] = { 5, 0, 0, 1 };
    if (socks_reply(r, ok, sizeof(ok)) != 0)
        return -1;
    r->st = S_RELAY;
    return 0;
}

/* Writes what is queued for dst; shuts its write side once the source
 * ended and nothing is left. */
static int socks_flush(struct end *dst, const struct end *src)
{
    while (dst->pend_len > 0) {
        ssize_t w = write(dst->fd, dst->pend + dst->pend_off, dst->pend_len);
        if (w < 0)
            return errno == EAGAIN ? 0 : -1;
        dst->pend_off += (size_t)w;
        dst->pend_len -= (size_t)w;
    }
    free(dst->pend);
    dst->pend = NULL;
    dst->pend_off = 0;
    if (src->rd_eof && !dst->wr_shut) {
        if (shutdown(dst->fd, SHUT_WR) != 0)
            return -1;
        dst->wr_shut = true;
    }
    return 0;
}

static int socks_pump(struct end *src, struct end *dst)
{
    ssize_t n = read(src->fd, scratch, sizeof(scratch));
    if (n < 0)
        return errno == EAGAIN ? 0 : -1;
    if (n == 0) {
        src->rd_eof = true;
        return socks_flush(dst, src);
    }
    ssize_t w = write(dst->fd, scratch, (size_t)n);
    if (w < 0) {
        if (errno != EAGAIN)
            return -1;
        w = 0;
    }
    if (w < n) {
        dst->pend = malloc((size_t)(n - w));
        if (dst->pend == NULL)
            return -1;
        memcpy(dst->pend, scratch + w, (size_t)(n - w));
        dst->pend_len = (size_t)(n - w);
    }
    return 0;
}

static int socks_event(struct end *e, uint32_t ev)
{
    struct relay *r = e->r;
    int side = e == &r->e[0] ? 0 : 1;
    struct end *other = &r->e[1 - side];
    int rc = 0;
    if (r->dead)
        return -1;
    if (r->st == S_IDLE)
        rc = socks_idle(r);
    else if (r->st < S_IDLE)
        rc = socks_read_handshake(r);
    else if (r->st == S_CONNECTING)
        /* The client can only hang up meanwhile; upstream says it is connected. */
        rc = side == 0 ? -1 : socks_connected(r);
    else {
        if ((ev & EPOLLOUT) && e->pend_len > 0)
            rc = socks_flush(e, other);
        if (rc == 0 && (ev & (EPOLLIN | EPOLLHUP)) && !e->rd_eof && other->pend_len == 0)
            rc = socks_pump(e, other);
        /* A reset, or a peer gone after its EOF: nothing more can reach it,
         * and a level-triggered HUP would otherwise be reported forever. */
        if ((ev & EPOLLERR) || ((ev & EPOLLHUP) && e->rd_eof))
            rc = -1;
    }
    if (rc != 0) {
        socks_free(r);
        return -1;
    }
    return socks_update(r);
}

/* The event loop's view: a failed relay is freed already. */
static void socks_on_event(void *ptr, uint32_t ev)
{
    (void)socks_event(ptr, ev);
}

static void socks_accept(int lfd)
{
    for (;;) {
        int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
                perror("bench_socks: accept (raise ulimit -n?)");
            return;
        }
        struct relay *r = calloc(1, sizeof(*r));
        if (r == NULL) {
            close(fd);
            return;
        }
        bench_nodelay(fd);
        r->e[0] = (struct end){ .r = r, .fd = fd };
        r->e[1] = (struct end){ .r = r, .fd = -1 };
        r->st = S_GREET;
        if (socks_update(r) != 0)
            continue;            /* already closed and counted by perror */
    }
}

static int socks_parse_map(const char *s)
{
    char *end = NULL;
    long p = strtol(s, &end, 10);
    if (*end != '=' || p <= 0 || p > 65535 || n_maps == MAX_MAPS)
        return -1;
    maps[n_maps].port = (uint16_t)p;
    if (strcmp(end + 1, "idle") == 0)
        maps[n_maps].idle = true;
    else if (bench_parse_hostport(end + 1, &maps[n_maps].to, &maps[n_maps].len) != 0)
        return -1;
    n_maps++;
    return 0;
}

int main(int argc, char **argv)
{
    const char *listen_at = "127.0.0.1:0";
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--listen") == 0 && i + 1 < argc)
            listen_at = argv[++i];
        else if (strcmp(argv[i], "--map") == 0 && i + 1 < argc) {
            if (socks_parse_map(argv[++i]) != 0) {
                fprintf(stderr, "bench_socks: bad --map '%s': give PORT=HOST:PORT or PORT=idle (at most %d)\n",
                        argv[i], MAX_MAPS);
                return 2;
            }
        } else if (strcmp(argv[i], "--default") == 0 && i + 1 < argc) {
            if (bench_parse_hostport(argv[++i], &dflt, &dflt_len) != 0) {
                fprintf(stderr, "bench_socks: bad --default '%s': give HOST:PORT\n", argv[i]);
                return 2;
            }
        } else {
            fprintf(stderr, "usage: bench_socks [--listen HOST:PORT] [--map PORT=HOST:PORT|idle]... "
                            "[--default HOST:PORT]\n");
            return 2;
        }
    }
    return bench_serve("bench_socks", listen_at, &ep, socks_accept, socks_on_event, socks_bury);
}
