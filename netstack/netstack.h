/* The userspace TCP/IP stack between the TUN and the gateway. lwIP's types
 * stay inside netstack/: the gateway sees flows, opaque connections and byte
 * slices. There is one stack per process (lwIP keeps global state). */
#ifndef TORGATE_NETSTACK_H
#define TORGATE_NETSTACK_H

#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

struct ns_flow {
    uint8_t family;          /* 4 or 6 */
    uint8_t src[16], dst[16];
    uint16_t sport, dport;   /* host order */
};

struct ns_pending;   /* a held SYN: the app waits while the gateway asks Tor */
struct ns_conn;      /* an accepted TCP connection */

struct netstack_callbacks {
    /* A SYN for a new flow arrived. Return the stream that will serve it, or
     * NULL to refuse (the app gets a RST at once). The SYN is held until
     * netstack_pending_accept() or netstack_pending_refuse(); a local service
     * may call netstack_pending_accept() from inside this callback. */
    void *(*tcp_open)(void *ctx, struct ns_pending *pend, const struct ns_flow *flow);
    /* Bytes from the app, one contiguous slice. The slice stays valid until
     * netstack_release(hold); the app's window reopens by netstack_conn_recved(). */
    void (*tcp_recv)(void *stream, const void *data, size_t len, void *hold);
    /* The app half-closed (FIN). */
    void (*tcp_fin)(void *stream);
    /* Send space towards the app was freed. */
    void (*tcp_sent)(void *stream);
    /* lwIP has let go of the connection; the ns_conn must not be used again.
     * clean: it ended with both FINs exchanged (every byte from the app was
     * delivered first); otherwise it was reset, aborted or timed out. */
    void (*tcp_gone)(void *stream, int clean);
    /* A connection netstack_connect() opened is established. */
    void (*tcp_connected)(void *stream);
    /* One IP packet for the app, as an iovec (scatter, never split). */
    void (*tun_write)(void *ctx, const struct iovec *iov, int iovcnt);
    /* Packets wait for netstack_tun_flush(): call it before the loop
     * sleeps. NULL: nothing is held, every packet is written at once. */
    void (*tun_flush_wanted)(void *ctx);
};

/* A datagram for a UDP listener; flow->src is the app's end. */
typedef void (*ns_udp_recv_fn)(void *ctx, const struct ns_flow *flow, const void *data, size_t len);

#define NS_UDP_PORT_SLOTS 8

struct netstack_stats {
    uint64_t rx_packets, rx_malformed, rx_oversize;
    uint64_t rx_super;       /* offload: reads larger than the MTU (TSO super-segments) */
    uint64_t tx_packets;     /* written to the TUN */
    uint64_t tx_super;       /* offload: writes larger than the MTU */
    uint64_t tx_acks_merged; /* pure ACKs a later one replaced before they were written */
    uint64_t udp_refused;    /* UDP to no listener: ICMP port unreachable */
    /* The first NS_UDP_PORT_SLOTS destination ports refused, with counts
     * (n == 0: an unused slot); the rest count only in udp_refused. */
    struct { uint16_t port; uint64_t n; } udp_refused_ports[NS_UDP_PORT_SLOTS];
    uint64_t echo_refused;   /* ICMP(v6) echo requests answered "prohibited" */
    uint64_t echo_answered;  /* ... answered by the gateway itself (--ping local) */
    uint64_t link_ignored;   /* ICMPv6 MLD / router / neighbour discovery, never lwIP's */
    uint64_t syn_held, syn_duplicate, syn_refused, syn_lost;
    uint64_t tw_purged;
};

struct netstack_config {
    unsigned mtu;            /* the TUN's */
    /* Answer echo requests to any address (the gateway's own reply);
     * otherwise they are refused, "administratively prohibited". */
    int ping_local;
    /* The TUN carries a virtio_net_hdr before each packet (IFF_VNET_HDR
     * with checksum and TCP segmentation offloads; netstack_offload.c). */
    int offload;
};

int  netstack_init(const struct netstack_callbacks *cb, void *ctx, const struct netstack_config *cfg);
void netstack_shutdown(void);
const struct netstack_stats *netstack_stats(void);

/* Receive path: where to read one packet from the TUN (readv into iov[0..
 * *iovcnt)), then either netstack_rx_input() with the count readv returned
 * or netstack_rx_free(). NULL when out of memory. */
void *netstack_rx_alloc(struct iovec iov[2], int *iovcnt);
void  netstack_rx_input(void *rx, size_t n);
void  netstack_rx_free(void *rx);

/* Writes the packets held back (pure ACKs that a later one may replace). */
void     netstack_tun_flush(void);
/* lwIP's timers; call netstack_timers_run() every netstack_timer_interval_ms(). */
void     netstack_timers_run(void);
unsigned netstack_timer_interval_ms(void);
/* Ends connections that only lingered in TIME_WAIT (see netstack.c). */
void     netstack_purge_time_wait(void);

/* UDP services at addr:port (family 4 or 6), and replies along a flow
 * (-1 if the reply does not fit the MTU: it is never fragmented). */
int netstack_udp_listen(int family, const uint8_t *addr, uint16_t port, ns_udp_recv_fn fn, void *ctx);
int netstack_udp_reply(const struct ns_flow *flow, const void *data, size_t len);

/* Held SYNs. The stream is what tcp_recv and friends will be called with. */
struct ns_conn *netstack_pending_accept(struct ns_pending *pend, void *stream);
void netstack_pending_refuse(struct ns_pending *pend);
void netstack_pending_drop(struct ns_pending *pend);

/* A connection to the app from flow->src (the gateway's side of the TUN)
 * to flow->dst:dport. tcp_connected(stream) when it is up; tcp_gone(stream,
 * 0) if it fails. NULL if it cannot even be tried. */
struct ns_conn *netstack_connect(const struct ns_flow *flow, void *stream);

/* Accepted connections. */
/* Room for bytes towards the app now, and whether enough has opened to be
 * worth a read from Tor (lwIP's "sent" callback asks this). */
size_t netstack_conn_sndbuf(const struct ns_conn *c);
int netstack_conn_writable(const struct ns_conn *c);
/* Queues up to len bytes (copied) towards the app; returns how many were
 * taken (0: no room now, wait for tcp_sent), or -1 if the connection can no
 * longer send. */
long   netstack_conn_write(struct ns_conn *c, const void *data, size_t len);
void   netstack_conn_flush(struct ns_conn *c);
void   netstack_conn_recved(struct ns_conn *c, size_t len);
void   netstack_conn_shutdown_tx(struct ns_conn *c);
void   netstack_conn_close(struct ns_conn *c);
void   netstack_conn_abort(struct ns_conn *c);
void   netstack_release(void *hold);

#endif
