/* libFuzzer harness for the netstack's input path (netstack/netstack.c with
 * lwIP compiled in, as the gateway runs it): each input is a short session
 * of packets from the app's kernel and of the gateway's answers.
 *
 * Input: one byte of setup (bits 0-1 the MTU: 1280, 1500, 9000, 65535; bit
 * 2 --ping local; bit 3 offloads: a virtio_net_hdr before every packet both
 * ways), then records "ctl:u8 len:u16be body[len]":
 *   ctl bit 7 clear: a packet, body = policy byte + IP packet (with
 *     offloads: policy byte + 10-byte virtio_net_hdr + IP packet), passed
 *     to netstack_rx_alloc/netstack_rx_input like a readv() from the TUN.
 *     ctl bit 0: fix the IP and transport checksums (else sent as is);
 *     bit 1: the TCP ack field counts from lwIP's ISN for the flow (so a
 *     seed can complete a handshake whatever ISN lwIP picked); bits 2-3:
 *     then advance the clock 0, 1, 8 or 240 timer ticks (250 ms each);
 *     bit 4 (offloads): replace the header from the input by the one the
 *     app's kernel would write, NEEDS_CSUM with the pseudo-header's sum in
 *     the checksum field (and GSO fields for a TCP super-segment); bit 5:
 *     pad the packet with zeros to the whole read buffer (the MTU, or
 *     64 KiB with offloads).
 *     The policy byte decides what the gateway does with a stream this
 *     packet opens (see POL_*).
 *   ctl bit 7 set: a gateway action (ctl & 0x7f, see act()) on the
 *     stream body[0] picks: answer a held SYN, send, FIN, close, abort,
 *     release held segments, let time pass, reply over UDP.
 * The harness stands in for relay.c and dns_server.c: streams are malloc'd
 * and freed when the gateway would free them, so a callback for a stream
 * the netstack should have forgotten is a use after free under ASan.
 *
 * Checked (__builtin_trap on failure): a stream is opened (Tor asked) only
 * for a SYN whose checksums verify (with offloads, once a NEEDS_CSUM header
 * is completed as the netstack must); every packet towards the app parses,
 * fits the MTU, has valid checksums and goes to an address the app sent
 * from; with offloads, its header comes first, says NEEDS_CSUM (TCP only,
 * at the TCP checksum) or nothing, the checksum verifies once completed as
 * the app's kernel would, and only a TCP segment with GSO fields for the
 * MTU may be larger than the MTU (up to 64 KiB); bytes the gateway sent
 * arrive in lwIP's segments unchanged and at the right offset; no data
 * after a FIN; held segments stay intact until released; and after each
 * input every byte allocated is freed again. */
#define _GNU_SOURCE
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/virtio_net.h>
#include <sanitizer/allocator_interface.h>

#include "fuzz_track.h"
#include "fuzz_vnet.h"
#include "fuzz_wire.h"
#include "netstack/netstack.h"
#include "netstack/packet.h"
/* lwIP's own timers must be gone between inputs; LWIP_TESTMODE exposes them. */
#include "lwip/timeouts.h"

#define CHECK(c) do { if (!(c)) { fprintf(stderr, "fuzz_netstack: check failed: %s (line %d)\n", \
                                          #c, __LINE__); __builtin_trap(); } } while (0)

#define TICK_MS       250
#define MAX_STREAMS   32
#define MAX_HOLDS     16

/* Packet ctl bits beyond FIX (0x01), REL (0x02) and the ticks (0x0c). */
#define CTL_VNET_KERNEL 0x10
#define CTL_PAD         0x20

/* Policy byte of the packet that opens a stream. */
#define POL_OPEN_MASK   0x03  /* 0 hold the SYN, 1 accept at once, 2 refuse, 3 accept and send */
#define POL_KEEP_HOLDS  0x04  /* keep received segments until an action releases them */
#define POL_ECHO        0x08  /* send as many bytes as received, from the recv callback */
#define POL_FIN_SHIFT   4     /* on FIN: 0 nothing, 1 shutdown_tx, 2 close, 3 abort (inline) */
#define POL_ABORT_RECV  0x40  /* abort from the first recv callback */
#define POL_CLOSE_SENT  0x80  /* close from the sent callback once all is sent after a FIN */

struct hold {
    void *hold;
    const uint8_t *data;
    size_t len;
    uint32_t sum;
};

struct hstream {
    struct hstream *next;
    struct ns_pending *pend;
    struct ns_conn *conn;
    struct ns_flow flow;
    uint8_t pol, id;
    int fin;
    int has_isn;
    uint32_t isn;
    size_t to_send, sent;       /* bytes queued for sending, bytes lwIP took */
    struct hold holds[MAX_HOLDS];
    int nholds;
};

static struct {
    unsigned mtu;
    int offload;
    int flush_wanted;                   /* the netstack holds packets for netstack_tun_flush */
    uint32_t now_ms, rnd;
    uint8_t next_pol;
    int in_sums_ok;                 /* the packet being input has valid checksums */
    int in_syn;                     /* ... opens a TCP connection (SYN, no ACK or RST) */
    struct ns_flow in_flow;         /* ... and its flow, if TCP */
    struct hstream *streams;
    int nstreams;
    uint8_t next_id;
    struct fuzz_track track;
    struct ns_flow last_udp;
    int has_udp;
} h;

/* Allocations minus frees during an input, on the fuzzing thread only
 * (libFuzzer has threads of its own). */
static _Thread_local long live_allocs;
static _Thread_local int counting;

/* FUZZ_NETSTACK_TRACE=1: one line per event on stderr, to see what a seed
 * or a reproducer does. */
static int trace;
#define TRACE(...) do { if (trace) fprintf(stderr, "  " __VA_ARGS__); } while (0)

static const uint8_t stub4[4] = { 10, 66, 0, 1 };
static const uint8_t stub6[16] = { 0xfd, 0x74, 0x6f, 0x72, [15] = 1 };

/* ---- lwIP's platform, driven by the input ---------------------------- */

u32_t sys_now(void)
{
    return h.now_ms;
}

uint32_t netstack_random(void)
{
    h.rnd = h.rnd * 1103515245u + 12345u;
    return h.rnd;
}

static void advance(unsigned ticks)
{
    for (unsigned i = 0; i < ticks; i++) {
        h.now_ms += TICK_MS;
        netstack_timers_run();
    }
}

/* ---- allocation balance ---------------------------------------------- */

static void on_malloc(const volatile void *p, size_t n)
{
    (void)n;
    if (counting && p != NULL)
        live_allocs++;
}

static void on_free(const volatile void *p)
{
    if (counting && p != NULL)
        live_allocs--;
}

/* ---- streams ------------------------------------------------------------- */

/* What the gateway sends on a stream: byte k of stream id. */
static uint8_t pattern_byte(uint8_t id, size_t k)
{
    return (uint8_t)(k * 7u + id * 13u + (k >> 8));
}

static struct hstream *stream_find_flow(const struct ns_flow *f)
{
    for (struct hstream *s = h.streams; s != NULL; s = s->next)
        if (s->conn != NULL && s->has_isn && wire_flow_eq(&s->flow, f))
            return s;
    return NULL;
}

static uint32_t hold_sum(const uint8_t *d, size_t n)
{
    uint32_t x = 2166136261u;
    for (size_t i = 0; i < n; i++)
        x = (x ^ d[i]) * 16777619u;
    return x;
}

static void holds_release(struct hstream *s)
{
    size_t total = 0;
    for (int i = 0; i < s->nholds; i++) {
        CHECK(hold_sum(s->holds[i].data, s->holds[i].len) == s->holds[i].sum);
        total += s->holds[i].len;
        netstack_release(s->holds[i].hold);
    }
    s->nholds = 0;
    if (s->conn != NULL && total > 0)
        netstack_conn_recved(s->conn, total);
}

static void stream_free(struct hstream *s)
{
    holds_release(s);
    struct hstream **pp = &h.streams;
    while (*pp != s)
        pp = &(*pp)->next;
    *pp = s->next;
    h.nstreams--;
    free(s);
}

static void stream_abort(struct hstream *s)
{
    if (s->conn != NULL)
        netstack_conn_abort(s->conn);
    s->conn = NULL;
    stream_free(s);
}

static void stream_close(struct hstream *s)
{
    if (s->conn != NULL)
        netstack_conn_close(s->conn);
    s->conn = NULL;
    stream_free(s);
}

/* Hands queued bytes to lwIP as relay.c does. Returns -1 if the stream is gone. */
static int stream_send(struct hstream *s)
{
    static uint8_t buf[16384];
    int wrote = 0;
    while (s->conn != NULL && s->to_send > 0) {
        size_t n = s->to_send < sizeof(buf) ? s->to_send : sizeof(buf);
        for (size_t i = 0; i < n; i++)
            buf[i] = pattern_byte(s->id, s->sent + i);
        long took = netstack_conn_write(s->conn, buf, n);
        if (took < 0) {
            stream_abort(s);
            return -1;
        }
        if (took == 0)
            break;
        CHECK((size_t)took <= n);
        s->to_send -= (size_t)took;
        s->sent += (size_t)took;
        wrote = 1;
    }
    if (wrote)
        netstack_conn_flush(s->conn);
    return 0;
}

static void stream_connected(struct hstream *s)
{
    s->has_isn = fuzz_track_isn_find(&h.track, &s->flow, &s->isn);
}

/* ---- the netstack's callbacks ------------------------------------------ */

static void *h_tcp_open(void *ctx, struct ns_pending *pend, const struct ns_flow *flow)
{
    (void)ctx;
    CHECK(flow->family == 4 || flow->family == 6);
    /* Tor is only asked for a SYN that lwIP would take, for its flow. */
    CHECK(h.in_sums_ok && h.in_syn);
    CHECK(wire_flow_eq(flow, &h.in_flow));
    static const uint8_t zero[16];
    for (int i = 0; i < 2; i++) {
        const uint8_t *a = i ? flow->dst : flow->src;
        CHECK(memcmp(a, zero, flow->family == 4 ? 4 : 16) != 0);
        CHECK(flow->family == 4 ? (a[0] & 0xf0) != 0xe0 && wire_be32(a) != 0xffffffffu : a[0] != 0xff);
    }
    uint8_t pol = h.next_pol;
    TRACE("tcp_open port %u, policy 0x%02x\n", flow->dport, pol);
    if ((pol & POL_OPEN_MASK) == 2 || h.nstreams >= MAX_STREAMS)
        return NULL;
    struct hstream *s = calloc(1, sizeof(*s));
    CHECK(s != NULL);
    s->flow = *flow;
    s->pol = pol;
    s->id = h.next_id++;
    s->next = h.streams;
    h.streams = s;
    h.nstreams++;
    if ((pol & POL_OPEN_MASK) == 0) {
        s->pend = pend;               /* answered by a later action */
        return s;
    }
    /* A local service answers inside the callback (dns_server.c does). */
    s->conn = netstack_pending_accept(pend, s);
    if (s->conn == NULL) {
        stream_free(s);
        return NULL;
    }
    stream_connected(s);
    if ((pol & POL_OPEN_MASK) == 3) {
        s->to_send = 100u + pol;
        if (stream_send(s) != 0)
            return NULL;
    }
    return s;
}

static void h_tcp_recv(void *stream, const void *data, size_t len, void *hold)
{
    struct hstream *s = stream;
    CHECK(s->conn != NULL && !s->fin);
    CHECK(data != NULL && len > 0 && hold != NULL);
    TRACE("tcp_recv stream %u: %zu bytes\n", s->id, len);
    if (s->pol & POL_ABORT_RECV) {
        netstack_release(hold);
        stream_abort(s);
        return;
    }
    if ((s->pol & POL_KEEP_HOLDS) && s->nholds < MAX_HOLDS) {
        struct hold *k = &s->holds[s->nholds++];
        k->hold = hold;
        k->data = data;
        k->len = len;
        k->sum = hold_sum(data, len);
    } else {
        (void)hold_sum(data, len);    /* the bytes must be readable */
        netstack_release(hold);
        netstack_conn_recved(s->conn, len);
    }
    if (s->pol & POL_ECHO) {
        s->to_send += len;
        (void)stream_send(s);
    }
}

static void h_tcp_fin(void *stream)
{
    struct hstream *s = stream;
    CHECK(s->conn != NULL && !s->fin);
    TRACE("tcp_fin stream %u\n", s->id);
    s->fin = 1;
    switch ((s->pol >> POL_FIN_SHIFT) & 3) {
    case 1:
        netstack_conn_shutdown_tx(s->conn);
        break;
    case 2:
        stream_close(s);
        break;
    case 3:
        stream_abort(s);
        break;
    }
}

static void h_tcp_sent(void *stream)
{
    struct hstream *s = stream;
    CHECK(s->conn != NULL);
    if (stream_send(s) != 0)
        return;
    if ((s->pol & POL_CLOSE_SENT) && s->fin && s->to_send == 0)
        stream_close(s);
}

static void h_tcp_gone(void *stream, int clean)
{
    struct hstream *s = stream;
    TRACE("tcp_gone stream %u, %s\n", s->id, clean ? "clean" : "reset");
    CHECK(s->conn != NULL);
    s->conn = NULL;
    /* Segments still held outlive the connection, as in relay.c. */
    if (s->nholds == 0)
        stream_free(s);
}

/* Pure ACKs are held until the loop would sleep: here, after each step. */
static void h_tun_flush_wanted(void *ctx)
{
    (void)ctx;
    CHECK(!h.flush_wanted);             /* asked once per batch, not per ACK */
    h.flush_wanted = 1;
}

static void flush_held(void)
{
    if (h.flush_wanted) {
        h.flush_wanted = 0;
        netstack_tun_flush();
    }
}

/* A packet towards the app. */
static void h_tun_write(void *ctx, const struct iovec *iov, int iovcnt)
{
    static uint8_t pkt[0x10000 + 64];
    uint8_t vh[VNET_LEN];
    (void)ctx;
    size_t len = fuzz_vnet_gather_tx(iov, iovcnt, h.offload, h.mtu, vh, pkt, sizeof(pkt));
    if (h.offload)
        TRACE("out: vnet flags 0x%02x gso %u hdr_len %u gso_size %u csum %u+%u\n", vh[0], vh[1],
              fuzz_vnet_le16(vh + 2), fuzz_vnet_le16(vh + 4), fuzz_vnet_le16(vh + 6),
              fuzz_vnet_le16(vh + 8));
    struct packet_info pi;
    fuzz_track_check_out(&h.track, pkt, len, &pi);
    struct wire_l4 t;
    TRACE("out: IPv%u proto %u, %zu bytes\n", pi.family, pi.proto, len);
    struct ns_flow f;
    if (!wire_tcp_flow(pkt, len, 1, &f, &t))
        return;
    const uint8_t *tcp = pkt + t.off;
    TRACE("out: TCP flags 0x%02x, seq %u, ack %u, %zu bytes of data\n", tcp[13], wire_be32(tcp + 4),
          wire_be32(tcp + 8), t.len - (size_t)(tcp[12] >> 4) * 4);
    uint32_t seq = wire_be32(tcp + 4);
    uint8_t flags = tcp[13];
    if ((flags & (PACKET_TCP_SYN | PACKET_TCP_ACK)) == (PACKET_TCP_SYN | PACKET_TCP_ACK))
        fuzz_track_isn_put(&h.track, &f, seq);
    /* Bytes the gateway sent arrive unchanged, at their offset, none invented. */
    size_t doff = (size_t)(tcp[12] >> 4) * 4;
    struct hstream *s = stream_find_flow(&f);
    if (s == NULL || doff < 20 || doff > t.len || (flags & PACKET_TCP_SYN))
        return;
    size_t n = t.len - doff;
    size_t at = (size_t)(uint32_t)(seq - s->isn - 1u);
    if (n == 0)
        return;
    CHECK(at + n <= s->sent);
    for (size_t i = 0; i < n; i++)
        CHECK(tcp[doff + i] == pattern_byte(s->id, at + i));
}

static void h_udp_recv(void *ctx, const struct ns_flow *flow, const void *data, size_t len)
{
    (void)ctx;
    TRACE("udp_recv %zu bytes\n", len);
    CHECK(flow->dport == 53);
    CHECK(memcmp(flow->dst, flow->family == 4 ? stub4 : stub6, flow->family == 4 ? 4 : 16) == 0);
    h.last_udp = *flow;
    h.has_udp = 1;
    /* Answer inline, as the DNS stub does, with the query itself. */
    if (len > 0 && (((const uint8_t *)data)[0] & 1))
        (void)netstack_udp_reply(flow, data, len);
}

static const struct netstack_callbacks callbacks = {
    .tcp_open = h_tcp_open,
    .tcp_recv = h_tcp_recv,
    .tcp_fin = h_tcp_fin,
    .tcp_sent = h_tcp_sent,
    .tcp_gone = h_tcp_gone,
    .tun_write = h_tun_write,
    .tun_flush_wanted = h_tun_flush_wanted,
};

/* ---- the input ------------------------------------------------------------ */

static struct hstream *stream_at(uint8_t k)
{
    if (h.nstreams == 0)
        return NULL;
    struct hstream *s = h.streams;
    for (int i = k % h.nstreams; i > 0; i--)
        s = s->next;
    return s;
}

static void packet(uint8_t ctl, const uint8_t *body, size_t len)
{
    /* What readv() on the TUN returns: the header (offloads), the packet. */
    static uint8_t wire[VNET_LEN + 0x10000], done[0x10000];
    if (len == 0)
        return;
    h.next_pol = body[0];
    body++;
    len--;
    size_t hl = 0;
    if (h.offload) {
        hl = len < VNET_LEN ? len : VNET_LEN;
        memcpy(wire, body, hl);
        body += hl;
        len -= hl;
    }
    uint8_t *pkt = wire + hl;
    size_t cap = h.offload ? 0xffff : h.mtu;   /* what the netstack's buffer takes */
    size_t n = len < cap ? len : cap;
    memcpy(pkt, body, n);
    if (ctl & 0x02)
        fuzz_track_relative_ack(&h.track, pkt, n);
    if (ctl & 0x01)
        wire_fix_checksums(pkt, n);
    if (hl == VNET_LEN && (ctl & CTL_VNET_KERNEL))
        fuzz_vnet_kernel_hdr(wire, pkt, n, h.mtu);
    if (n > 0 && (ctl & CTL_PAD)) {
        memset(pkt + n, 0, cap - n);
        n = cap;
    }
    fuzz_track_note_source(&h.track, pkt, n);
    /* The bytes lwIP gets: with offloads, a checksum the header leaves
     * undone is completed (a TCP segment that opens nothing may be taken
     * unchecked instead; no SYN is). */
    const uint8_t *in = pkt;
    if (hl == VNET_LEN) {
        memcpy(done, pkt, n);
        int r = fuzz_vnet_complete(wire, done, n);
        fuzz_track_note_source(&h.track, done, n);
        in = done;
        TRACE("in: vnet flags 0x%02x gso %u hdr_len %u gso_size %u csum %u+%u (%s)\n", wire[0], wire[1],
              fuzz_vnet_le16(wire + 2), fuzz_vnet_le16(wire + 4), fuzz_vnet_le16(wire + 6),
              fuzz_vnet_le16(wire + 8),
              r < 0 ? "outside" : r > 0 ? "completed" : "none");
    }
    h.in_sums_ok = wire_sums_ok(in, n);
    struct wire_l4 t;
    h.in_syn = wire_tcp_flow(in, n, 0, &h.in_flow, &t) &&
               (in[t.off + 13] & (PACKET_TCP_SYN | PACKET_TCP_ACK | PACKET_TCP_RST)) == PACKET_TCP_SYN;
    TRACE("in: %zu bytes, ctl 0x%02x, policy 0x%02x\n", n, ctl, h.next_pol);

    struct iovec iov[2];
    int iovcnt = -1;
    void *rx = netstack_rx_alloc(iov, &iovcnt);
    CHECK(rx != NULL);
    if (h.offload) {
        CHECK(iovcnt == 2 && iov[0].iov_len == VNET_LEN && iov[1].iov_len == 0xffff);
    } else {
        CHECK(iovcnt == 1 && iov[0].iov_len == h.mtu);
    }
    /* readv: fill the elements in turn. */
    size_t total = hl + n, got = 0;
    for (int i = 0; i < iovcnt && got < total; i++) {
        CHECK(iov[i].iov_base != NULL);
        size_t k = total - got < iov[i].iov_len ? total - got : iov[i].iov_len;
        memcpy(iov[i].iov_base, wire + got, k);
        got += k;
    }
    CHECK(got == total);
    if (total == 0)
        netstack_rx_free(rx);           /* a read that found nothing */
    else
        netstack_rx_input(rx, total);
    static const unsigned ticks[4] = { 0, 1, 8, 240 };
    advance(ticks[(ctl >> 2) & 3]);
}

static void act(uint8_t a, const uint8_t *body, size_t len)
{
    struct hstream *s = stream_at(len > 0 ? body[0] : 0);
    unsigned arg = len > 2 ? (unsigned)(body[1] << 8 | body[2]) : len > 1 ? body[1] : 0;
    TRACE("action %u on stream %d, arg %u\n", a % 12, s != NULL ? s->id : -1, arg);

    switch (a % 12) {
    case 0:                             /* Tor connected */
        if (s != NULL && s->pend != NULL) {
            struct ns_pending *p = s->pend;
            s->pend = NULL;
            s->conn = netstack_pending_accept(p, s);
            if (s->conn == NULL)
                stream_free(s);
            else
                stream_connected(s);
        }
        break;
    case 1:                             /* Tor refused */
        if (s != NULL && s->pend != NULL) {
            netstack_pending_refuse(s->pend);
            s->pend = NULL;
            stream_free(s);
        }
        break;
    case 2:                             /* the gateway stops */
        if (s != NULL && s->pend != NULL) {
            netstack_pending_drop(s->pend);
            s->pend = NULL;
            stream_free(s);
        }
        break;
    case 3:                             /* Tor sends bytes */
        if (s != NULL && s->conn != NULL) {
            s->to_send += arg;
            (void)stream_send(s);
        }
        break;
    case 4:                             /* Tor's EOF */
        if (s != NULL && s->conn != NULL)
            netstack_conn_shutdown_tx(s->conn);
        break;
    case 5:
        if (s != NULL && s->pend == NULL)
            stream_close(s);
        break;
    case 6:
        if (s != NULL && s->pend == NULL)
            stream_abort(s);
        break;
    case 7:                             /* Tor took the held bytes */
        if (s != NULL) {
            holds_release(s);
            if (s->conn == NULL && s->pend == NULL)
                stream_free(s);
        }
        break;
    case 8:
        advance(1u + (arg & 0xfff));
        break;
    case 9:                             /* a late answer on the last UDP flow */
        if (h.has_udp && len > 1)
            (void)netstack_udp_reply(&h.last_udp, body + 1, len - 1);
        break;
    case 10:
        /* Bounded by lwIP's send buffer (TCP_SND_BUF), never more. */
        if (s != NULL && s->conn != NULL)
            CHECK(netstack_conn_sndbuf(s->conn) <= 1024 * 1024);
        break;
    case 11:
        netstack_purge_time_wait();
        break;
    }
}

/* Everything the gateway holds is let go as relay_free() does, then the
 * stack is shut down and lwIP's timers (and with them the reassembly
 * queues they age out) are emptied, so the next input starts from scratch. */
static void teardown(void)
{
    while (h.streams != NULL) {
        struct hstream *s = h.streams;
        if (s->pend != NULL) {
            netstack_pending_drop(s->pend);
            s->pend = NULL;
        }
        stream_abort(s);
    }
    netstack_shutdown();
    for (int i = 0; i < 70 * 1000 / TICK_MS; i++) {
        h.now_ms += TICK_MS;
        sys_check_timeouts();
    }
    for (int i = 0; i < lwip_num_cyclic_timers; i++)
        sys_untimeout(lwip_cyclic_timer, (void *)(uintptr_t)&lwip_cyclic_timers[i]);
    CHECK(*sys_timeouts_get_next_timeout() == NULL);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    CHECK(__sanitizer_install_malloc_and_free_hooks(on_malloc, on_free) != 0);
    trace = getenv("FUZZ_NETSTACK_TRACE") != NULL;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const unsigned mtus[4] = { 1280, 1500, 9000, 65535 };
    if (size < 1)
        return 0;
    memset(&h, 0, sizeof(h));
    h.mtu = mtus[data[0] & 3];
    h.now_ms = 1000000;
    h.rnd = 1;
    live_allocs = 0;
    counting = 1;

    h.offload = (data[0] >> 3) & 1;
    const struct netstack_config cfg = {
        .mtu = h.mtu,
        .ping_local = (data[0] >> 2) & 1,
        .offload = h.offload,
    };
    CHECK(netstack_init(&callbacks, NULL, &cfg) == 0);
    CHECK(netstack_udp_listen(4, stub4, 53, h_udp_recv, NULL) == 0);
    CHECK(netstack_udp_listen(6, stub6, 53, h_udp_recv, NULL) == 0);

    size_t off = 1;
    while (size - off >= 3) {
        uint8_t ctl = data[off];
        size_t len = (size_t)(data[off + 1] << 8 | data[off + 2]);
        off += 3;
        if (len > size - off)
            len = size - off;
        if (ctl & 0x80)
            act(ctl & 0x7f, data + off, len);
        else
            packet(ctl, data + off, len);
        /* Some steps end without a flush: ACKs held across turns must
         * still go out in order with what follows. */
        if (!(ctl & 0x40))
            flush_held();
        off += len;
    }
    flush_held();

    teardown();
    counting = 0;
    if (live_allocs != 0) {
        fprintf(stderr, "fuzz_netstack: %ld allocations still live after the input\n",
                live_allocs);
        __builtin_trap();
    }
    return 0;
}
