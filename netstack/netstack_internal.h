/* Shared between the netstack's files; lwIP types allowed (netstack/ only). */
#ifndef TORGATE_NETSTACK_INTERNAL_H
#define TORGATE_NETSTACK_INTERNAL_H

#include "lwip/err.h"
#include "lwip/ip_addr.h"
#include "netstack/netstack.h"
#include "netstack/packet.h"

struct pbuf;

/* What the files that read, write and answer on the TUN need to know of
 * it, given to each once by netstack_init(). */
struct ns_link {
    unsigned mtu;
    int offload;                   /* a virtio_net_hdr on every packet */
    const struct netstack_callbacks *cb;   /* tun_write */
    void *ctx;
    struct netstack_stats *stats;  /* tx_packets, tx_super */
};
void netstack_rx_init(const struct ns_link *link);
void netstack_tx_init(const struct ns_link *link);
void netstack_udp_init(const struct ns_link *link);
void netstack_tcpopt_init(const struct ns_link *link);

/* Flows (netstack_flow.c). */
void netstack_flow_from_packet(const struct packet_info *pi, struct ns_flow *f);
int netstack_flow_eq(const struct ns_flow *a, const struct ns_flow *b);
unsigned netstack_flow_hash(const struct ns_flow *f);
void netstack_flow_to_lwip(const struct ns_flow *f, ip_addr_t *src, ip_addr_t *dst);
void netstack_flow_from_lwip(struct ns_flow *f, const ip_addr_t *src, uint16_t sport,
                             const ip_addr_t *dst, uint16_t dport);

/* Whether some UDP listener serves the packet's destination. */
int  netstack_udp_served(const struct packet_info *pi);
void netstack_udp_shutdown(void);

/* Receive buffers (netstack_rx.c): the pbuf of a packet read into rx (n
 * bytes, with its virtio_net_hdr when offloading, then at *hdr, else NULL),
 * or NULL if it was dropped (counted in *st). */
struct pbuf *netstack_rx_take(void *rx, size_t n, const uint8_t **hdr, struct netstack_stats *st);
void netstack_rx_shutdown(void);

struct tcp_pcb;
const struct netstack_callbacks *netstack_callbacks_get(void);
/* The callbacks of a connection to a stream (netstack.c). */
void netstack_conn_attach(struct tcp_pcb *pcb, void *stream);

/* Packets towards the app (netstack_tx.c): lwIP's, and our own, both
 * counted there. */
err_t netstack_tx_pbuf(struct pbuf *p);

/* Writes one packet of our own to the TUN, towards the app. */
void netstack_tun_send(const void *data, size_t len);

/* Answers a packet Tor cannot carry with ICMP(v6) destination unreachable
 * (netstack_refuse.c), counts it in *st, and frees p. */
void netstack_refuse(struct pbuf *p, const struct packet_info *pi, enum packet_unreach why,
                     struct netstack_stats *st);

#endif
