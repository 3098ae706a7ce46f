#define _GNU_SOURCE
#include "serve/loop.h"
#include "base/log.h"
#include "dns/stub.h"
#include "netstack/netstack.h"
#include "sandbox/sandbox.h"
#include "sandbox/sandbox_init.h"
#include "sandbox/tun.h"
#include "serve/dns_server.h"
#include "serve/relay.h"
#include "serve/stats.h"
#include "serve/stream.h"

#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <malloc.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

/* Packets read per wakeup: enough to amortise the wakeup, few enough that
 * SOCKS sockets and timers are not starved. */
#define TUN_READ_BATCH 64
/* After the command exits, how long its last bytes may take to reach Tor
 * (its kernel still sends what its closed sockets had queued). */
#define DRAIN_MAX_MS   5000
#define DRAIN_TICK_MS  50

struct loop {
    const struct tg_config *cfg;
    struct event_base *base;
    struct relay *relay;
    struct dns_server *dns;
    struct event *tun_ev, *timer_ev, *sig_ev, *drain_ev;
    struct event *flush_ev;           /* active while the netstack holds packets */
    int drain_ticks;
    int tun_fd, sig_fd;
    pid_t child;
    int cookie, forward_tty_signals;
    int exit_code;
    int netstack_up;
    int offload;                   /* the TUN carries virtio_net_hdrs */
    uint64_t tun_tx_dropped, tun_tx_errors, rx_dropped;
};

void loop_signals(sigset_t *set)
{
    sandbox_init_signals(set);
    sigaddset(set, SIGCHLD);
}

/* ---- netstack glue --------------------------------------------------- */

/* TCP to the gateway's own address is for its services (the DNS stub) and
 * never goes to Tor; everything else does. */
static void *ns_tcp_open(void *ctx, struct ns_pending *pend, const struct ns_flow *flow)
{
    struct loop *l = ctx;
    if (dns_server_is_stub_addr(l->dns, flow))
        return dns_server_tcp_open(l->dns, pend, flow);
    return relay_tcp_open(l->relay, pend, flow);
}

static void ns_tcp_recv(void *stream, const void *data, size_t len, void *hold)
{
    ((struct stream_head *)stream)->ops->recv(stream, data, len, hold);
}

static void ns_tcp_fin(void *stream)
{
    ((struct stream_head *)stream)->ops->fin(stream);
}

static void ns_tcp_sent(void *stream)
{
    ((struct stream_head *)stream)->ops->sent(stream);
}

static void ns_tcp_gone(void *stream, int clean)
{
    ((struct stream_head *)stream)->ops->gone(stream, clean);
}

static void ns_tcp_connected(void *stream)
{
    ((struct stream_head *)stream)->ops->connected(stream);
}

static void ns_tun_write(void *ctx, const struct iovec *iov, int iovcnt)
{
    struct loop *l = ctx;
    if (writev(l->tun_fd, iov, iovcnt) < 0) {
        /* The kernel's queue is full or the device is going: TCP resends. */
        if (errno == EAGAIN || errno == ENOBUFS || errno == EINTR)
            l->tun_tx_dropped++;
        else
            l->tun_tx_errors++;
    }
}

static void ns_tun_flush_wanted(void *ctx)
{
    struct loop *l = ctx;
    /* Runs in this loop turn, after what woke it: no system call. */
    event_active(l->flush_ev, 0, 0);
}

static void on_tun_flush(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    (void)arg;
    netstack_tun_flush();
}

static const struct netstack_callbacks ns_callbacks = {
    .tcp_open = ns_tcp_open,
    .tcp_recv = ns_tcp_recv,
    .tcp_fin = ns_tcp_fin,
    .tcp_sent = ns_tcp_sent,
    .tcp_gone = ns_tcp_gone,
    .tcp_connected = ns_tcp_connected,
    .tun_write = ns_tun_write,
    .tun_flush_wanted = ns_tun_flush_wanted,
};

/* ---- events ---------------------------------------------------------- */

static void on_tun_readable(evutil_socket_t fd, short what, void *arg)
{
    struct loop *l = arg;
    (void)what;

    for (int i = 0; i < TUN_READ_BATCH; i++) {
        struct iovec iov[2];
        int iovcnt;
        void *rx = netstack_rx_alloc(iov, &iovcnt);
        if (rx == NULL) {
            /* Out of memory: still take the packet off the queue (the fd
             * would stay readable and spin), and drop it; TCP resends. */
            static uint8_t scratch[0xffff];
            if (read(fd, scratch, sizeof(scratch)) < 0)
                return;
            l->rx_dropped++;
            continue;
        }
        ssize_t n = readv(fd, iov, iovcnt);
        if (n > 0) {
            netstack_rx_input(rx, (size_t)n);
            continue;
        }
        int e = errno;
        netstack_rx_free(rx);
        /* Out of kernel memory is passing too; the packet waits in the queue. */
        if (n < 0 && (e == EAGAIN || e == EINTR || e == ENOMEM || e == ENOBUFS))
            return;
        /* EOF, EBADFD or EIO: the device is gone (its namespace ended). */
        event_del(l->tun_ev);
        if (l->child < 0) {
            log_info("the TUN device went away; stopping");
            l->exit_code = 0;
            event_base_loopbreak(l->base);
        } else {
            log_warn("the sandbox's TUN device went away (%s); the command has no network now",
                     n < 0 ? strerror(e) : "end of file");
        }
        return;
    }
}

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    (void)arg;
    netstack_timers_run();
}

static void on_drain_tick(evutil_socket_t fd, short what, void *arg)
{
    struct loop *l = arg;
    (void)fd;
    (void)what;
    size_t n = relay_uploads_pending(l->relay);
    if (n == 0 || ++l->drain_ticks * DRAIN_TICK_MS >= DRAIN_MAX_MS) {
        if (n > 0)
            log_warn("%zu streams still had bytes from the command for Tor after %d s; cut",
                     n, DRAIN_MAX_MS / 1000);
        event_base_loopbreak(l->base);
    }
}

/* The command is gone: let its streams hand their last bytes to Tor, then stop. */
static void drain_and_stop(struct loop *l)
{
    struct timeval tick = { 0, DRAIN_TICK_MS * 1000 };
    size_t n = relay_uploads_pending(l->relay);
    if (n == 0) {
        event_base_loopbreak(l->base);
        return;
    }
    log_info("waiting for %zu streams to deliver what the command sent", n);
    l->drain_ev = event_new(l->base, -1, EV_PERSIST, on_drain_tick, l);
    if (l->drain_ev == NULL || event_add(l->drain_ev, &tick) != 0)
        event_base_loopbreak(l->base);
}

static void on_signal(evutil_socket_t fd, short what, void *arg)
{
    struct loop *l = arg;
    struct signalfd_siginfo si;
    (void)what;

    while (read(fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
        int sig = (int)si.ssi_signo;
        if (sig == SIGCHLD) {
            int st;
            if (l->child > 0 && waitpid(l->child, &st, WNOHANG) == l->child) {
                l->exit_code = sandbox_init_exit_code(st);
                l->child = 0;
                log_info("the command exited (status %d); closing %zu streams",
                         l->exit_code, relay_stream_count(l->relay));
                drain_and_stop(l);
            }
            continue;
        }
        if (l->child <= 0) {     /* --tun-fd mode, or the command is gone (draining) */
            if (sig == SIGINT || sig == SIGTERM || sig == SIGHUP) {
                log_info("signal %d: stopping", sig);
                if (l->child < 0)
                    l->exit_code = 0;
                event_base_loopbreak(l->base);
            }
            continue;
        }
        /* A terminal's signals reach CMD directly when it shares our
         * foreground process group; otherwise they are ours to pass on. */
        if (l->child > 0 && (si.ssi_code != SI_KERNEL || l->forward_tty_signals)) {
            union sigval v = { .sival_int = l->cookie };
            (void)sigqueue(l->child, sig, v);
        }
    }
}

/* ---- life cycle ------------------------------------------------------ */

struct loop *loop_new(const struct tg_config *cfg, int tun_fd, const struct sandbox *sb)
{
    struct loop *l = calloc(1, sizeof(*l));
    if (l == NULL) {
        log_error("out of memory");
        return NULL;
    }
    l->cfg = cfg;
    l->tun_fd = tun_fd;
    l->sig_fd = -1;
    l->child = sb != NULL ? sb->pid : -1;
    if (sb != NULL) {
        l->cookie = sb->cookie;
        l->forward_tty_signals = sb->own_pgrp;
    }
    l->exit_code = TG_EXIT_FAILURE;

    /* A fast stream allocates and frees 64 KiB segments all the time: with
     * glibc's defaults the heap's top is given back and faulted in again on
     * every swing (a sixth of the gateway's time in page faults). Keep up to
     * 4 MiB of it, and never mmap a segment. */
    if (mallopt(M_TRIM_THRESHOLD, 4 << 20) != 1 || mallopt(M_MMAP_THRESHOLD, 1 << 20) != 1)
        log_debug("cannot tune malloc (mallopt); fast streams will cost more CPU");
    int fl = fcntl(tun_fd, F_GETFL);
    if (fl < 0 || fcntl(tun_fd, F_SETFL, fl | O_NONBLOCK) < 0) {
        log_error("cannot make the TUN non-blocking: %s", strerror(errno));
        goto fail;
    }
    sigset_t set;
    loop_signals(&set);
    l->sig_fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
    if (l->sig_fd < 0) {
        log_error("cannot watch signals (signalfd): %s", strerror(errno));
        goto fail;
    }
    struct event_config *ec = event_config_new();
    if (ec == NULL)
        goto oom;
    event_config_set_flag(ec, EVENT_BASE_FLAG_NOLOCK);
    /* A stream's events change several times per loop turn (connect, read,
     * write, close): applied once per turn, not as one epoll_ctl each. Safe
     * here: no descriptor is ever dup()ed. */
    event_config_set_flag(ec, EVENT_BASE_FLAG_EPOLL_USE_CHANGELIST);
    l->base = event_base_new_with_config(ec);
    event_config_free(ec);
    if (l->base == NULL) {
        log_error("cannot create the event loop");
        goto fail;
    }
    l->flush_ev = event_new(l->base, -1, 0, on_tun_flush, l);
    if (l->flush_ev == NULL)
        goto oom;
    const struct netstack_config nscfg = {
        .mtu = cfg->mtu, .ping_local = cfg->ping_local, .offload = tun_has_offload(tun_fd),
    };
    l->offload = nscfg.offload;
    if (netstack_init(&ns_callbacks, l, &nscfg) != 0) {
        log_error("cannot start the TCP/IP stack");
        goto fail;
    }
    l->netstack_up = 1;
    l->dns = dns_server_new(l->base, cfg);
    if (l->dns == NULL)
        goto fail;
    l->relay = relay_new(l->base, cfg, dns_server_map(l->dns));
    if (l->relay == NULL)
        goto oom;
    dns_server_set_auth(l->dns, relay_socks_user(l->relay), relay_socks_pass(l->relay));

    struct timeval tick = { 0, (suseconds_t)netstack_timer_interval_ms() * 1000 };
    l->tun_ev = event_new(l->base, tun_fd, EV_READ | EV_PERSIST, on_tun_readable, l);
    l->timer_ev = event_new(l->base, -1, EV_PERSIST, on_timer, l);
    l->sig_ev = event_new(l->base, l->sig_fd, EV_READ | EV_PERSIST, on_signal, l);
    if (l->tun_ev == NULL || l->timer_ev == NULL || l->sig_ev == NULL)
        goto oom;
    if (event_add(l->tun_ev, NULL) != 0 || event_add(l->timer_ev, &tick) != 0 ||
        event_add(l->sig_ev, NULL) != 0) {
        log_error("cannot register the gateway's events");
        goto fail;
    }
    log_debug("gateway ready: SOCKS %s, user %s, MTU %u, offloads %s", cfg->socks_name,
              relay_socks_user(l->relay), cfg->mtu, nscfg.offload ? "on" : "off");
    return l;
oom:
    log_error("out of memory while starting the gateway");
fail:
    loop_free(l);
    return NULL;
}

int loop_run(struct loop *l)
{
    if (event_base_dispatch(l->base) < 0) {
        log_error("the event loop failed");
        return TG_EXIT_FAILURE;
    }
    return l->exit_code;
}

void loop_stats_view(const struct loop *l, struct stats_view *v)
{
    memset(v, 0, sizeof(*v));
    v->relay = relay_stats(l->relay);
    v->streams_open = relay_stream_count(l->relay);
    v->ns = netstack_stats();
    v->tun_tx_dropped = l->tun_tx_dropped;
    v->tun_tx_errors = l->tun_tx_errors;
    v->rx_dropped = l->rx_dropped;
    v->offload = l->offload;
    v->dns = l->dns != NULL ? dns_server_stats(l->dns) : NULL;
}

static void log_line(void *ctx, const char *line)
{
    (void)ctx;
    log_info("%s", line);
}

void loop_stop(struct loop *l)
{
    if (l->child > 0) {
        /* As a SIGTERM to torgate would: the command gets it. */
        union sigval v = { .sival_int = l->cookie };
        (void)sigqueue(l->child, SIGTERM, v);
        return;
    }
    if (l->child < 0)
        l->exit_code = 0;
    event_base_loopbreak(l->base);
}

int loop_new_identity(struct loop *l, int close_streams)
{
    if (relay_new_identity(l->relay, close_streams) != 0)
        return -1;
    /* Tor's RESOLVEs (--dns resolve) go under the new name too. */
    dns_server_set_auth(l->dns, relay_socks_user(l->relay), relay_socks_pass(l->relay));
    log_info("new identity: new streams use a fresh SOCKS credential%s",
             close_streams ? "; every stream was closed" : "");
    return 0;
}

const char *loop_socks_user(const struct loop *l)
{
    return relay_socks_user(l->relay);
}

struct event_base *loop_base(struct loop *l)
{
    return l->base;
}



void loop_free(struct loop *l)
{
    if (l == NULL)
        return;
    if (l->relay != NULL) {
        struct stats_view v;
        loop_stats_view(l, &v);
        stats_lines(&v, log_line, NULL);
        relay_free(l->relay);
    }
    dns_server_free(l->dns);
    if (l->netstack_up)
        netstack_shutdown();
    if (l->tun_ev != NULL)
        event_free(l->tun_ev);
    if (l->timer_ev != NULL)
        event_free(l->timer_ev);
    if (l->flush_ev != NULL)
        event_free(l->flush_ev);
    if (l->sig_ev != NULL)
        event_free(l->sig_ev);
    if (l->drain_ev != NULL)
        event_free(l->drain_ev);
    if (l->base != NULL)
        event_base_free(l->base);
    if (l->sig_fd >= 0)
        close(l->sig_fd);
    free(l);
}
