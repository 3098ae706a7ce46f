/* DNS over UDP and TCP for the sandbox, answered locally.
 *
 * A TCP session holds at most one partial query (2 + 65535 bytes) and a
 * bounded queue of answers; a client that sends faster than it reads, or
 * stays silent, loses its session, never the gateway's memory. */
#define _GNU_SOURCE
#include "serve/dns_server.h"
#include "base/log.h"
#include "dns/stub.h"
#include "dns/wire.h"
#include "sandbox/tun.h"
#include "serve/stream.h"
#include "tor/tor_resolve.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define DNS_PORT          53
#define TCP_MAX_SESSIONS  64
#define TCP_IDLE_S        10         /* RFC 7766 suggests seconds, not minutes */
#define TCP_OUT_MAX       (128 * 1024)
#define LOOKUPS_MAX       256        /* RESOLVEs in flight */
#define WAITERS_MAX       64         /* queries waiting on one of them */
#define WAITER_QUERY_MAX  1024       /* bytes of a query that may wait */
#define VMAP_MIN_IDLE_S   600        /* ten TTLs before an address changes hands */

/* A query waiting for Tor's answer (resolve mode). */
struct waiter {
    struct waiter *next;
    struct dns_tcp *tcp;             /* NULL: UDP, answered along flow */
    struct ns_flow flow;
    size_t len;
    uint8_t query[];
};

/* One RESOLVE or RESOLVE_PTR in flight, shared by every query that needs it. */
struct lookup {
    struct lookup *next;
    struct dns_server *srv;
    struct dns_stub_need need;
    char key[264];
    struct tor_resolve *req;
    struct waiter *waiters;
    int nwaiters;
};

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
    int waiting;                     /* queries of this session waiting on Tor */
    int app_fin;
};

struct dns_server {
    struct event_base *base;
    const struct tg_config *cfg;
    const char *user, *pass;
    struct lookup *lookups;
    int nlookups;
    struct dns_stub stub;
    struct dns_tcp *sessions;
    int nsessions;
    uint8_t addr4[4], addr6[16];
    long warned_ours;                  /* log_warn_limited */
};

/* ---- UDP ------------------------------------------------------------ */

static int tcp_queue(struct dns_tcp *t, const uint8_t *resp, size_t n);
static void tcp_flush(struct dns_tcp *t);
static void tcp_abort(struct dns_tcp *t);
static void lookup_wait(struct dns_server *d, struct dns_tcp *tcp, const struct ns_flow *flow,
                        const uint8_t *query, size_t len);

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* Answers one query for a client (tcp, or UDP along flow); a query that
 * needs Tor waits. Returns -1 if a TCP client had to be dropped. */
static int answer(struct dns_server *d, struct dns_tcp *tcp, const struct ns_flow *flow,
                  const uint8_t *query, size_t len)
{
    static uint8_t resp[DNS_TCP_MAX];
    d->stub.now_ms = now_ms();
    size_t n = dns_stub_answer(&d->stub, query, len, tcp != NULL, resp, sizeof(resp));
    if (n == DNS_STUB_PENDING) {
        lookup_wait(d, tcp, flow, query, len);
        return 0;
    }
    if (n == 0)
        return 0;
    if (tcp == NULL) {
        if (netstack_udp_reply(flow, resp, n) != 0)
            log_debug("dns: could not send a UDP answer");
        return 0;
    }
    if (tcp_queue(tcp, resp, n) != 0) {
        log_debug("dns: a TCP client does not read its answers; closed");
        tcp_abort(tcp);
        return -1;
    }
    return 0;
}

static void on_udp_query(void *ctx, const struct ns_flow *flow, const void *data, size_t len)
{
    (void)answer(ctx, NULL, flow, data, len);
}

/* ---- resolve mode: asking Tor ------------------------------------------ */

static void lookup_free(struct lookup *lk)
{
    struct dns_server *d = lk->srv;
    struct lookup **pp = &d->lookups;
    while (*pp != NULL && *pp != lk)
        pp = &(*pp)->next;
    if (*pp == lk)
        *pp = lk->next;
    d->nlookups--;
    while (lk->waiters != NULL) {
        struct waiter *w = lk->waiters;
        lk->waiters = w->next;
        free(w);
    }
    tor_resolve_cancel(lk->req);
    free(lk);
}

/* An address an exit must never hand us: ours (the virtual pool, the TUN's
 * subnet) or loopback. Following one would reach something else entirely. */
static int answer_is_ours(const struct dns_server *d, int family, const uint8_t *a)
{
    static const uint8_t loop6[16] = { [15] = 1 };
    if (vmap_in_pool(family, a))
        return 1;
    if (family == 4)
        return a[0] == 127 || memcmp(a, d->addr4, 3) == 0;      /* the TUN's /24 */
    return memcmp(a, loop6, 16) == 0 || memcmp(a, d->addr6, 8) == 0;   /* its /64 */
}

/* Every label 1..63 octets: otherwise the name could not be encoded. */
static int labels_fit(const char *name)
{
    size_t run = 0;
    for (const char *p = name;; p++) {
        if (*p == '.' || *p == '\0') {
            if (run == 0 || run > 63)
                return 0;
            if (*p == '\0')
                return 1;
            run = 0;
        } else {
            run++;
        }
    }
}

/* Turns Tor's reply into a cache entry: REP 4 (host unreachable) is Tor's
 * "no such name"; any other failure is a server failure, cached briefly so
 * a looping client does not hammer Tor. */
static void lookup_store(struct lookup *lk, int ok, uint8_t rep, const struct socks5_dest *b)
{
    struct dns_server *d = lk->srv;
    struct rcache_entry e;
    unsigned ttl = RCACHE_TTL_S;
    memset(&e, 0, sizeof(e));
    e.rcode = DNS_R_SERVFAIL;
    int is_ip = b->atyp == SOCKS5_ATYP_IPV4 || b->atyp == SOCKS5_ATYP_IPV6;
    int family = b->atyp == SOCKS5_ATYP_IPV4 ? 4 : 6;
    if (ok && lk->need.kind == DNS_NEED_NAME && is_ip && answer_is_ours(d, family, b->addr)) {
        /* Rare in real use and a sign of DNS rebinding: worth the user's eyes. */
        char text[INET6_ADDRSTRLEN];
        if (inet_ntop(family == 4 ? AF_INET : AF_INET6, b->addr, text, sizeof(text)) == NULL)
            snprintf(text, sizeof(text), "?");
        log_warn_limited(&d->warned_ours, "dns: the exit answered %s with %s, an address "
                         "inside the sandbox (loopback or torgate's own); refused with SERVFAIL",
                         lk->key, text);
    } else if (ok && lk->need.kind == DNS_NEED_NAME && is_ip) {
        e.rcode = DNS_R_NOERROR;
        e.family = family;
        memcpy(e.addr, b->addr, 16);
    } else if (ok && lk->need.kind == DNS_NEED_ADDR && b->atyp == SOCKS5_ATYP_DOMAIN) {
        size_t i, n = strnlen(b->host, sizeof(b->host));
        for (i = 0; i < n; i++) {
            unsigned char c = (unsigned char)b->host[i];
            if (!isalnum(c) && c != '-' && c != '_' && c != '.')
                break;
            e.name[i] = (char)tolower(c);
        }
        if (i == n && n > 0 && n <= DNS_MAX_NAME_TEXT && labels_fit(e.name))
            e.rcode = DNS_R_NOERROR;
    } else if (!ok && rep == 0x04) {
        e.rcode = DNS_R_NXDOMAIN;
    }
    if (e.rcode != DNS_R_NOERROR)
        ttl = RCACHE_NEG_TTL_S;
    log_debug("dns: Tor resolved %s: %s", lk->key, e.rcode == DNS_R_NOERROR ? "ok" :
              e.rcode == DNS_R_NXDOMAIN ? "no such name" : "failed");
    uint64_t now = now_ms();
    if (lk->need.kind == DNS_NEED_NAME)
        rcache_put_name(d->stub.cache, lk->need.name, &e, now, ttl);
    else
        rcache_put_addr(d->stub.cache, lk->need.family, lk->need.addr, &e, now, ttl);
}

static void on_resolved(void *arg, int ok, uint8_t rep, const struct socks5_dest *bound)
{
    struct lookup *lk = arg;
    struct dns_server *d = lk->srv;
    lk->req = NULL;                      /* tor_resolve frees itself */
    lookup_store(lk, ok, rep, bound);

    /* Take the waiters off first: answering may drop a TCP session, which
     * purges that session's waiters from every lookup. */
    struct waiter *list = lk->waiters;
    lk->waiters = NULL;
    lookup_free(lk);
    while (list != NULL) {
        struct waiter *w = list;
        list = w->next;
        if (w->tcp != NULL)
            w->tcp->waiting--;
        if (answer(d, w->tcp, &w->flow, w->query, w->len) != 0) {
            /* That session is gone: so are its other waiters. */
            struct waiter **pp = &list;
            while (*pp != NULL) {
                if ((*pp)->tcp == w->tcp) {
                    struct waiter *gone = *pp;
                    *pp = gone->next;
                    free(gone);
                } else {
                    pp = &(*pp)->next;
                }
            }
        }
        free(w);
    }
    /* Answers are queued; now send them (which may end finished sessions). */
    for (struct dns_tcp *t = d->sessions, *next; t != NULL; t = next) {
        next = t->next;
        tcp_flush(t);
    }
}

static void lookup_wait(struct dns_server *d, struct dns_tcp *tcp, const struct ns_flow *flow,
                        const uint8_t *query, size_t len)
{
    const struct dns_stub_need *need = &d->stub.need;
    char key[264];
    if (need->kind == DNS_NEED_NAME)
        snprintf(key, sizeof(key), "%s", need->name);
    else
        rcache_addr_key(need->family, need->addr, key, sizeof(key));

    struct lookup *lk = d->lookups;
    while (lk != NULL && strcmp(lk->key, key) != 0)
        lk = lk->next;
    if (lk == NULL) {
        if (d->nlookups >= LOOKUPS_MAX || d->user == NULL)
            goto drop;
        lk = calloc(1, sizeof(*lk));
        if (lk == NULL)
            goto drop;
        lk->srv = d;
        lk->need = *need;
        memcpy(lk->key, key, sizeof(key));
        struct socks5_dest dest;
        memset(&dest, 0, sizeof(dest));
        uint8_t cmd = SOCKS5_CMD_RESOLVE;
        if (need->kind == DNS_NEED_NAME) {
            dest.atyp = SOCKS5_ATYP_DOMAIN;
            snprintf(dest.host, sizeof(dest.host), "%s", need->name);
        } else {
            cmd = SOCKS5_CMD_RESOLVE_PTR;
            dest.atyp = need->family == 4 ? SOCKS5_ATYP_IPV4 : SOCKS5_ATYP_IPV6;
            memcpy(dest.addr, need->addr, 16);
        }
        lk->next = d->lookups;
        d->lookups = lk;
        d->nlookups++;
        lk->req = tor_resolve_start(d->base, d->cfg, d->user, d->pass, cmd, &dest, on_resolved, lk);
        if (lk->req == NULL) {
            lookup_free(lk);
            goto drop;
        }
        log_debug("dns: asking Tor to resolve %s", key);
    }
    /* A question is a few hundred bytes; anything larger is padding an app
     * could use to make waiting queries cost the gateway real memory. */
    if (lk->nwaiters >= WAITERS_MAX || len > WAITER_QUERY_MAX)
        goto drop;
    struct waiter *w = malloc(sizeof(*w) + len);
    if (w == NULL)
        goto drop;
    w->tcp = tcp;
    if (tcp != NULL)
        tcp->waiting++;
    if (flow != NULL)
        w->flow = *flow;
    w->len = len;
    memcpy(w->query, query, len);
    w->next = lk->waiters;
    lk->waiters = w;
    lk->nwaiters++;
    return;
drop:
    d->stub.stats.dropped++;
}

/* A TCP session is going: its queries no longer wait for anything. */
static void lookups_forget(struct dns_server *d, const struct dns_tcp *t)
{
    for (struct lookup *lk = d->lookups; lk != NULL; lk = lk->next) {
        struct waiter **pp = &lk->waiters;
        while (*pp != NULL) {
            if ((*pp)->tcp == t) {
                struct waiter *gone = *pp;
                *pp = gone->next;
                free(gone);
                lk->nwaiters--;
            } else {
                pp = &(*pp)->next;
            }
        }
    }
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
    lookups_forget(d, t);
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
    if (t->app_fin && t->out_len == 0 && t->waiting == 0) {
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
        if (answer(t->srv, t, NULL, t->in + off + 2, mlen) != 0)
            return;                      /* the session is gone */
        off += 2 + mlen;
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

static void tcp_gone(void *stream, int clean)
{
    (void)clean;
    struct dns_tcp *t = stream;
    t->conn = NULL;
    tcp_free(t);
}

static void on_idle(evutil_socket_t fd, short what, void *arg)
{
    struct dns_tcp *t = arg;
    (void)fd;
    (void)what;
    if (t->waiting > 0) {        /* not idle: Tor has yet to answer */
        struct timeval tmo = { TCP_IDLE_S, 0 };
        event_add(t->idle, &tmo);
        return;
    }
    netstack_conn_close(t->conn);
    tcp_free(t);
}

static const struct stream_ops dns_tcp_ops = {
    .recv = tcp_recv,
    .fin = tcp_fin,
    .sent = tcp_sent,
    .gone = tcp_gone,
};

int dns_server_is_stub_addr(const struct dns_server *d, const struct ns_flow *flow)
{
    if (flow->family == 4)
        return memcmp(d->addr4, flow->dst, 4) == 0;
    return memcmp(d->addr6, flow->dst, 16) == 0;
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

struct dns_server *dns_server_new(struct event_base *base, const struct tg_config *cfg)
{
    struct dns_server *d = calloc(1, sizeof(*d));
    if (d == NULL)
        return NULL;
    d->base = base;
    d->cfg = cfg;
    /* The command's own hostname: the sandbox's generic one; a sidecar's
     * namespace shares the host's. */
    char host[sizeof(d->stub.self)];
    if (cfg->cmd != NULL)
        snprintf(host, sizeof(host), "%s", TG_SANDBOX_HOSTNAME);
    if (cfg->cmd != NULL || gethostname(host, sizeof(host)) == 0) {
        host[sizeof(host) - 1] = '\0';
        for (size_t i = 0; host[i] != '\0'; i++)
            d->stub.self[i] = (char)tolower((unsigned char)host[i]);
    }
    d->stub.map = vmap_new(VMAP_DEFAULT_CAPACITY);
    if (d->stub.map != NULL)
        vmap_set_min_idle(d->stub.map, VMAP_MIN_IDLE_S);
    if (cfg->dns_mode == TG_DNS_RESOLVE) {
        d->stub.mode = DNS_MODE_RESOLVE;
        d->stub.cache = rcache_new(RCACHE_MAX);
        if (d->stub.cache == NULL) {
            dns_server_free(d);
            return NULL;
        }
    }
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
    while (d->lookups != NULL)
        lookup_free(d->lookups);
    vmap_free(d->stub.map);
    rcache_free(d->stub.cache);
    free(d);
}

void dns_server_set_auth(struct dns_server *d, const char *user, const char *pass)
{
    d->user = user;
    d->pass = pass;
}

struct vmap *dns_server_map(struct dns_server *d)
{
    return d->stub.map;
}

const struct dns_stub_stats *dns_server_stats(const struct dns_server *d)
{
    return &d->stub.stats;
}
