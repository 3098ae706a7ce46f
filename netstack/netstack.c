/* lwIP glue: the TUN netif, accepting TCP to any destination, held SYNs and
 * the per-connection callbacks.
 *
 * Accepting every destination without patching lwIP: the stack has one netif
 * and nothing else. Before a packet goes up the stack, its destination
 * address is written into that netif's address (IPv4, and the first IPv6
 * slot), so lwIP's "is this for us?" test passes; the connections it creates
 * take the packet's destination as their local address, which is what the
 * app connected to. One listening pcb serves every port: its port is set to
 * the SYN's destination port just while that SYN is injected. No other code
 * in the process uses lwIP, so nothing else sees these fields change.
 *
 * Held SYNs: a SYN is not shown to lwIP until the gateway has a SOCKS CONNECT
 * answer. If Tor refuses, the app gets a RST in answer to its SYN and sees
 * "connection refused", not a connection that opens and then breaks. */
#define _GNU_SOURCE
#include "netstack/netstack.h"
#include "netstack/netstack_internal.h"
#include "netstack/netstack_offload.h"
#include "netstack/packet.h"

#include <stdlib.h>
#include <string.h>

#include "lwip/init.h"
#include "lwip/ip.h"
#include "lwip/ip4.h"
#include "lwip/ip6.h"
#include "lwip/netif.h"
#include "lwip/pbuf.h"
#include "lwip/priv/tcp_priv.h"
#include "lwip/tcp.h"
#include "lwip/timeouts.h"

#define PENDING_BUCKETS 4096

struct ns_pending {
    struct ns_pending *next;       /* hash chain */
    struct ns_flow flow;
    struct pbuf *syn;
};


static struct {
    const struct netstack_callbacks *cb;
    void *ctx;
    struct netif netif;
    struct tcp_pcb *listener;
    struct ns_pending *pending[PENDING_BUCKETS];
    struct ns_pending *opening;    /* the held SYN whose tcp_open is running */
    struct netstack_stats stats;
    /* The pcb whose callback is running; whether the gateway let go of it
     * from inside that callback (no more calls for it), and whether it
     * aborted it (lwIP then needs ERR_ABRT back). */
    struct tcp_pcb *in_cb;
    int in_cb_detached;
    int in_cb_aborted;
    int up;
    int ping_local;
    struct ns_link link;
} ns;

const struct netstack_stats *netstack_stats(void)
{
    return &ns.stats;
}

/* ---- netif ---------------------------------------------------------- */

const struct netstack_callbacks *netstack_callbacks_get(void)
{
    return ns.cb;
}

static err_t netif_output4(struct netif *netif, struct pbuf *p, const ip4_addr_t *dst)
{
    (void)netif;
    (void)dst;
    return netstack_tx_pbuf(p);
}

static err_t netif_output6(struct netif *netif, struct pbuf *p, const ip6_addr_t *dst)
{
    (void)netif;
    (void)dst;
    return netstack_tx_pbuf(p);
}

static err_t netif_setup(struct netif *netif)
{
    netif->name[0] = 't';
    netif->name[1] = 'g';
    netif->output = netif_output4;
    netif->output_ip6 = netif_output6;
    /* With offloads lwIP may send (and take) TCP segments of up to 64 KiB,
     * which the kernel treats as super-segments for a link of ns.link.mtu;
     * netstack_tcpopt.c raises the app's MSS to match. Only TCP does: UDP
     * replies are still bounded by ns.link.mtu (netstack_udp.c). */
    netif->mtu = (u16_t)(ns.link.offload ? 0xffff : ns.link.mtu);
    netif->flags = 0;
    NETIF_SET_CHECKSUM_CTRL(netif, ns.link.offload ? NETIF_CHECKSUM_ENABLE_ALL & ~NETIF_CHECKSUM_GEN_TCP
                                              : NETIF_CHECKSUM_ENABLE_ALL);
    return ERR_OK;
}

/* Makes lwIP take a packet to dst as addressed to this netif. */
static void netif_claim(const struct ns_flow *f)
{
    if (f->family == 4) {
        uint32_t a;
        memcpy(&a, f->dst, 4);
        ip4_addr_set_u32(ip_2_ip4(&ns.netif.ip_addr), a);
    } else {
        memcpy(ip_2_ip6(&ns.netif.ip6_addr[0])->addr, f->dst, 16);
    }
}

/* ---- flows and held SYNs ------------------------------------------- */

static struct ns_pending *pending_find(const struct ns_flow *f)
{
    for (struct ns_pending *p = ns.pending[netstack_flow_hash(f) % PENDING_BUCKETS]; p != NULL; p = p->next)
        if (netstack_flow_eq(&p->flow, f))
            return p;
    return NULL;
}

static void pending_unlink(struct ns_pending *pend)
{
    struct ns_pending **pp = &ns.pending[netstack_flow_hash(&pend->flow) % PENDING_BUCKETS];
    while (*pp != NULL && *pp != pend)
        pp = &(*pp)->next;
    if (*pp == pend)
        *pp = pend->next;
}

static void pending_free(struct ns_pending *pend)
{
    if (ns.opening == pend)
        ns.opening = NULL;
    pending_unlink(pend);
    if (pend->syn != NULL)
        pbuf_free(pend->syn);
    free(pend);
}

static int pcb_matches(const struct tcp_pcb *pcb, const struct ns_flow *f)
{
    if (pcb->remote_port != f->sport || pcb->local_port != f->dport)
        return 0;
    ip_addr_t src, dst;
    netstack_flow_to_lwip(f, &src, &dst);
    return ip_addr_cmp(&pcb->remote_ip, &src) && ip_addr_cmp(&pcb->local_ip, &dst);
}

static struct tcp_pcb *active_find(const struct ns_flow *f)
{
    for (struct tcp_pcb *pcb = tcp_active_pcbs; pcb != NULL; pcb = pcb->next)
        if (pcb_matches(pcb, f))
            return pcb;
    return NULL;
}

static void conn_detach(struct tcp_pcb *pcb);

static void ip_input_any(struct pbuf *p)
{
    if ((((const uint8_t *)p->payload)[0] >> 4) == 4)
        ip4_input(p, &ns.netif);
    else
        ip6_input(p, &ns.netif);
}

/* The same, for a TCP segment whose checksum the app's kernel left undone
 * (netstack_offload.c says why it is not checked). */
static void ip_input_unchecked_tcp(struct pbuf *p)
{
    u16_t flags = ns.netif.chksum_flags;
    NETIF_SET_CHECKSUM_CTRL(&ns.netif, flags & ~NETIF_CHECKSUM_CHECK_TCP);
    ip_input_any(p);
    NETIF_SET_CHECKSUM_CTRL(&ns.netif, flags);
}

/* A SYN for a flow lwIP does not know yet. Returns 1 if the pbuf was kept. */
static int syn_hold(struct pbuf *p, const struct packet_info *pi)
{
    struct ns_flow f;
    netstack_flow_from_packet(pi, &f);

    if (pending_find(&f) != NULL) {
        /* The kernel retransmits its SYN while Tor is still connecting. */
        ns.stats.syn_duplicate++;
        return 0;
    }
    struct tcp_pcb *old = active_find(&f);
    if (old != NULL) {
        if (old->state == SYN_RCVD) {
            netif_claim(&f);
            ip_input_any(p);       /* lwIP answers with its SYN-ACK again */
            return 1;
        }
        /* The app's kernel reused a 4-tuple lwIP still holds: the old
         * connection is over for the app, so end it here too, silently. */
        tcp_abandon(old, 0);
    }

    struct ns_pending *pend = calloc(1, sizeof(*pend));
    if (pend == NULL)
        return 0;
    pend->flow = f;
    pend->syn = p;
    unsigned h = netstack_flow_hash(&f) % PENDING_BUCKETS;
    pend->next = ns.pending[h];
    ns.pending[h] = pend;
    ns.stats.syn_held++;

    ns.opening = pend;
    void *stream = ns.cb->tcp_open(ns.ctx, pend, &f);
    if (ns.opening == NULL)
        return 1;                  /* the callback answered the SYN itself */
    ns.opening = NULL;
    if (stream == NULL)
        netstack_pending_refuse(pend);
    return 1;
}

/* ---- receive path ---------------------------------------------------- */

void netstack_rx_input(void *rx, size_t n)
{
    struct packet_info pi;
    const uint8_t *hdr;
    int tcp_unchecked = 0;

    ns.stats.rx_packets++;
    struct pbuf *p = netstack_rx_take(rx, n, &hdr, &ns.stats);
    if (p == NULL)
        return;
    size_t len = p->tot_len;
    if (packet_parse(p->payload, len, &pi) != PACKET_OK ||
        (hdr != NULL && netstack_offload_rx(hdr, p->payload, len, &pi, &tcp_unchecked) != 0)) {
        ns.stats.rx_malformed++;
        pbuf_free(p);
        return;
    }
    /* With offloads only TCP comes in larger than the MTU (the kernel
     * segments nothing else for us); anything else that big was made by
     * hand, and lwIP would answer a ping of it with a reply the link
     * cannot carry. */
    if (len > ns.link.mtu && pi.proto != PACKET_TCP) {
        ns.stats.rx_oversize++;
        pbuf_free(p);
        return;
    }
    if (packet_is_tcp_open(&pi)) {
        /* lwIP would drop it (or answer from a wrong address): so must the
         * gateway, before it asks Tor. Only raw sockets send these. */
        if (!packet_unicast(&pi) || !packet_tcp_checksum_ok(p->payload, len, &pi)) {
            ns.stats.rx_malformed++;
            pbuf_free(p);
            return;
        }
        if (!syn_hold(p, &pi))
            pbuf_free(p);
    } else if (packet_is_link_signalling(&pi)) {
        /* The app's kernel solicits routers and reports multicast groups
         * on tg0; answering would only let the app steer lwIP's neighbour
         * and router state, which a TUN does not use. */
        ns.stats.link_ignored++;
        pbuf_free(p);
    } else if (pi.proto == PACKET_UDP && pi.has_ports && !netstack_udp_served(&pi)) {
        netstack_refuse(p, &pi, PACKET_UNREACH_PORT, &ns.stats);
    } else if (packet_is_echo_request(&pi) && !ns.ping_local) {
        netstack_refuse(p, &pi, PACKET_UNREACH_PROHIBITED, &ns.stats);
    } else {
        ns.stats.echo_answered += (uint64_t)packet_is_echo_request(&pi);
        struct ns_flow f;
        netstack_flow_from_packet(&pi, &f);
        netif_claim(&f);
        if (tcp_unchecked)
            ip_input_unchecked_tcp(p);
        else
            ip_input_any(p);
    }
    netstack_purge_time_wait();
}

/* lwIP keeps a connection it closed first in TIME_WAIT for 2*MSL. The app's
 * kernel cannot see that state: under load it reuses the source port at
 * once, and lwIP answers the new SYN with a bare ACK and the connection
 * stalls (the badvpn-tun2socks failure). On a TUN nothing is lost or
 * reordered, so the state protects nothing here: end it as soon as lwIP has
 * sent its last ACK (tcp_abort of a TIME_WAIT pcb frees it without a RST). */
void netstack_purge_time_wait(void)
{
    while (tcp_tw_pcbs != NULL) {
        struct tcp_pcb *pcb = tcp_tw_pcbs;
        void *stream = pcb->callback_arg;
        /* Still attached: the app closed last while bytes it sent before its
         * FIN wait for Tor. The stream must learn the pcb is going. */
        conn_detach(pcb);
        tcp_abort(pcb);
        ns.stats.tw_purged++;
        if (stream != NULL)
            ns.cb->tcp_gone(stream, 1);
    }
}

void netstack_timers_run(void)
{
    sys_check_timeouts();
    netstack_purge_time_wait();
}

unsigned netstack_timer_interval_ms(void)
{
    return TCP_TMR_INTERVAL;
}

/* ---- lwIP callbacks -------------------------------------------------- */

static void cb_enter(struct tcp_pcb *pcb)
{
    ns.in_cb = pcb;
    ns.in_cb_detached = 0;
    ns.in_cb_aborted = 0;
}

static err_t cb_result(struct tcp_pcb *pcb)
{
    int aborted = ns.in_cb == pcb && ns.in_cb_aborted;
    ns.in_cb = NULL;
    ns.in_cb_detached = 0;
    ns.in_cb_aborted = 0;
    return aborted ? ERR_ABRT : ERR_OK;
}

static err_t on_recv(void *arg, struct tcp_pcb *pcb, struct pbuf *p, err_t err)
{
    (void)err;
    if (arg == NULL) {
        /* No stream any more: take the data, refuse the connection. */
        if (p != NULL)
            pbuf_free(p);
        tcp_abort(pcb);
        return ERR_ABRT;
    }
    cb_enter(pcb);
    if (p == NULL) {
        ns.cb->tcp_fin(arg);
        return cb_result(pcb);
    }
    for (struct pbuf *q = p; q != NULL && !ns.in_cb_detached; q = q->next) {
        if (q->len == 0)
            continue;
        pbuf_ref(q);
        ns.cb->tcp_recv(arg, q->payload, q->len, q);
    }
    pbuf_free(p);
    return cb_result(pcb);
}

static err_t on_sent(void *arg, struct tcp_pcb *pcb, u16_t len)
{
    (void)len;
    if (arg == NULL)
        return ERR_OK;
    cb_enter(pcb);
    ns.cb->tcp_sent(arg);
    return cb_result(pcb);
}

static void on_err(void *arg, err_t err)
{
    /* ERR_CLSD: the app acknowledged our FIN after sending its own (LAST_ACK
     * done), a clean end; ERR_RST and ERR_ABRT are not. */
    if (arg != NULL)
        ns.cb->tcp_gone(arg, err == ERR_CLSD);
}

static err_t on_accept(void *arg, struct tcp_pcb *pcb, err_t err)
{
    if (pcb == NULL || err != ERR_OK)
        return ERR_OK;
    if (arg == NULL) {
        /* A handshake that no held SYN started (or whose stream is gone). */
        tcp_abort(pcb);
        return ERR_ABRT;
    }
    return ERR_OK;
}

void netstack_conn_attach(struct tcp_pcb *pcb, void *stream)
{
    tcp_arg(pcb, stream);
    tcp_recv(pcb, on_recv);
    tcp_sent(pcb, on_sent);
    tcp_err(pcb, on_err);
    tcp_nagle_disable(pcb);
}

static void conn_detach(struct tcp_pcb *pcb)
{
    if (ns.in_cb == pcb)
        ns.in_cb_detached = 1;
    tcp_arg(pcb, NULL);
    tcp_recv(pcb, NULL);
    tcp_sent(pcb, NULL);
    tcp_err(pcb, NULL);
}

/* ---- held SYNs: the gateway's answer ------------------------------- */

struct ns_conn *netstack_pending_accept(struct ns_pending *pend, void *stream)
{
    struct pbuf *syn = pend->syn;
    struct ns_flow f = pend->flow;

    pend->syn = NULL;
    pending_free(pend);

    netif_claim(&f);
    ns.listener->local_port = f.dport;
    tcp_arg(ns.listener, stream);
    ip_input_any(syn);
    tcp_arg(ns.listener, NULL);
    ns.listener->local_port = 0;

    /* lwIP registers a new pcb at the head of the active list. */
    struct tcp_pcb *pcb = tcp_active_pcbs;
    if (pcb == NULL || pcb->callback_arg != stream || !pcb_matches(pcb, &f)) {
        pcb = active_find(&f);
        if (pcb != NULL && pcb->callback_arg != stream)
            pcb = NULL;
    }
    if (pcb == NULL) {
        ns.stats.syn_lost++;
        return NULL;
    }
    netstack_conn_attach(pcb, stream);
    return (struct ns_conn *)pcb;
}

void netstack_pending_refuse(struct ns_pending *pend)
{
    ip_addr_t src, dst;
    struct packet_info pi;
    const struct pbuf *syn = pend->syn;

    ns.stats.syn_refused++;
    if (packet_parse(syn->payload, syn->len, &pi) == PACKET_OK) {
        netstack_flow_to_lwip(&pend->flow, &src, &dst);
        tcp_rst(NULL, 0, pi.tcp_seq + 1, &dst, &src, pend->flow.dport, pend->flow.sport);
    }
    pending_free(pend);
}

void netstack_pending_drop(struct ns_pending *pend)
{
    pending_free(pend);
}

/* ---- accepted connections ------------------------------------------ */

/* Towards the app lwIP walks its lists of segments on every call: the
 * unsent list to its tail on each tcp_write, the unacked list on each
 * tcp_output, which runs for every ACK. With offloads a segment carries up
 * to 64 KB and the lists stay short; on a plain TUN each carries one MSS, and
 * a full 1 MB buffer was 700 segments walked twice per ACK (12% of the
 * gateway's CPU on a download). So a stream queues at most SND_SEGS_MAX
 * segments' worth, which still covers many round trips to a local app. */
#define SND_SEGS_MAX  256
/* ...and is refilled from Tor only once SND_LOWAT of room has opened (or half
 * of what it can hold at all): one read of Tor's socket per ~45 segments
 * instead of one per ACK. */
#define SND_LOWAT     (64 * 1024)

/* What lwIP itself accepts now (tcp_sndbuf() would clamp it to 64 KB). */
static size_t conn_room(const struct tcp_pcb *pcb)
{
    if (tcp_sndqueuelen(pcb) >= TCP_SND_QUEUELEN - 4)
        return 0;
    return pcb->snd_buf;
}

size_t netstack_conn_sndbuf(const struct ns_conn *c)
{
    const struct tcp_pcb *pcb = (const struct tcp_pcb *)c;
    size_t room = conn_room(pcb);
    size_t queued = tcp_sndqueuelen(pcb);
    if (queued >= SND_SEGS_MAX)
        return 0;
    size_t segs = (SND_SEGS_MAX - queued) * tcp_mss(pcb);
    return segs < room ? segs : room;
}

int netstack_conn_writable(const struct ns_conn *c)
{
    const struct tcp_pcb *pcb = (const struct tcp_pcb *)c;
    size_t most = (size_t)SND_SEGS_MAX * tcp_mss(pcb);
    if (most > TCP_SND_BUF)
        most = TCP_SND_BUF;
    size_t low = most / 2 < SND_LOWAT ? most / 2 : SND_LOWAT;
    size_t room = netstack_conn_sndbuf(c);
    return room > 0 && room >= low;
}

long netstack_conn_write(struct ns_conn *c, const void *data, size_t len)
{
    struct tcp_pcb *pcb = (struct tcp_pcb *)c;
    size_t room = conn_room(pcb);
    if (len > room)
        len = room;
    if (len > 0xffff)
        len = 0xffff;
    if (len == 0)
        return 0;
    err_t e = tcp_write(pcb, data, (u16_t)len, TCP_WRITE_FLAG_COPY);
    if (e == ERR_OK)
        return (long)len;
    return e == ERR_MEM ? 0 : -1;
}

void netstack_conn_flush(struct ns_conn *c)
{
    (void)tcp_output((struct tcp_pcb *)c);
}

void netstack_conn_recved(struct ns_conn *c, size_t len)
{
    while (len > 0) {
        u16_t n = len > 0xffff ? 0xffff : (u16_t)len;
        tcp_recved((struct tcp_pcb *)c, n);
        len -= n;
    }
}

void netstack_conn_shutdown_tx(struct ns_conn *c)
{
    struct tcp_pcb *pcb = (struct tcp_pcb *)c;
    if (tcp_shutdown(pcb, 0, 1) == ERR_OK)
        (void)tcp_output(pcb);
}

void netstack_conn_abort(struct ns_conn *c)
{
    struct tcp_pcb *pcb = (struct tcp_pcb *)c;
    conn_detach(pcb);
    if (ns.in_cb == pcb)
        ns.in_cb_aborted = 1;
    tcp_abort(pcb);
}

void netstack_conn_close(struct ns_conn *c)
{
    struct tcp_pcb *pcb = (struct tcp_pcb *)c;
    conn_detach(pcb);
    if (tcp_close(pcb) != ERR_OK) {
        if (ns.in_cb == pcb)
            ns.in_cb_aborted = 1;
        tcp_abort(pcb);
    }
}

void netstack_release(void *hold)
{
    pbuf_free(hold);
}

/* ---- life cycle ----------------------------------------------------- */

int netstack_init(const struct netstack_callbacks *cb, void *ctx, const struct netstack_config *cfg)
{
    memset(&ns, 0, sizeof(ns));
    ns.cb = cb;
    ns.ctx = ctx;
    ns.ping_local = cfg->ping_local;
    ns.link = (struct ns_link){ .mtu = cfg->mtu, .offload = cfg->offload, .cb = cb, .ctx = ctx,
                                .stats = &ns.stats };
    netstack_rx_init(&ns.link);
    netstack_tx_init(&ns.link);
    netstack_udp_init(&ns.link);
    netstack_tcpopt_init(&ns.link);
    lwip_init();

    if (netif_add(&ns.netif, NULL, NULL, NULL, NULL, netif_setup, ip_input) == NULL)
        return -1;
    ip4_addr_t any4 = { 0x01000000u }; /* placeholder until the first packet */
    netif_set_addr(&ns.netif, &any4, IP4_ADDR_BROADCAST, IP4_ADDR_ANY4);
    netif_ip6_addr_set_state(&ns.netif, 0, IP6_ADDR_PREFERRED);
    ns.netif.flags |= NETIF_FLAG_LINK_UP;
    netif_set_default(&ns.netif);
    netif_set_up(&ns.netif);

    struct tcp_pcb *pcb = tcp_new_ip_type(IPADDR_TYPE_ANY);
    if (pcb == NULL)
        return -1;
    if (tcp_bind(pcb, IP_ANY_TYPE, 1) != ERR_OK)
        return -1;
    ns.listener = tcp_listen(pcb);
    if (ns.listener == NULL)
        return -1;
    ns.listener->local_port = 0;
    tcp_accept(ns.listener, on_accept);
    ns.up = 1;
    return 0;
}

void netstack_shutdown(void)
{
    if (!ns.up)
        return;
    for (unsigned i = 0; i < PENDING_BUCKETS; i++)
        while (ns.pending[i] != NULL)
            pending_free(ns.pending[i]);
    while (tcp_active_pcbs != NULL) {
        conn_detach(tcp_active_pcbs);
        tcp_abort(tcp_active_pcbs);
    }
    netstack_purge_time_wait();
    netstack_rx_shutdown();
    netstack_udp_shutdown();
    tcp_close(ns.listener);
    netif_remove(&ns.netif);
    ns.up = 0;
}
