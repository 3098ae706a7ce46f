/* Shared between the netstack's files; lwIP types allowed (netstack/ only). */
#ifndef TORGATE_NETSTACK_INTERNAL_H
#define TORGATE_NETSTACK_INTERNAL_H

#include "lwip/err.h"
#include "lwip/ip_addr.h"
#include "netstack.h"
#include "packet.h"

struct pbuf;

void netstack_flow_to_lwip(const struct ns_flow *f, ip_addr_t *src, ip_addr_t *dst);

/* Whether some UDP listener serves the packet's destination. */
int  netstack_udp_served(const struct packet_info *pi);
void netstack_udp_shutdown(void);

/* The TUN's MTU, and whether it carries virtio_net_hdrs (offloads). */
unsigned netstack_mtu(void);
int netstack_offload_on(void);

/* Receive buffers (netstack_rx.c): the pbuf of a packet read into rx (n
 * bytes, with its virtio_net_hdr when offloading, then at *hdr, else NULL),
 * or NULL if it was dropped (counted in *st). */
struct pbuf *netstack_rx_take(void *rx, size_t n, const uint8_t **hdr, struct netstack_stats *st);
void netstack_rx_shutdown(void);

struct tcp_pcb;
const struct netstack_callbacks *netstack_callbacks_get(void);
/* The callbacks of a connection to a stream (netstack.c). */
void netstack_conn_attach(struct tcp_pcb *pcb, void *stream);

/* Packets towards the app (netstack_tx.c): lwIP's, and our own. Both go
 * through netstack_tun_write(), which counts them (len: the IP packet's). */
err_t netstack_tx_pbuf(struct pbuf *p);
void netstack_tun_write(const struct iovec *iov, int iovcnt, size_t len);

/* Writes one packet of our own to the TUN, towards the app. */
void netstack_tun_send(const void *data, size_t len);

/* Answers a packet Tor cannot carry with ICMP(v6) destination unreachable
 * (netstack_refuse.c), counts it in *st, and frees p. */
void netstack_refuse(struct pbuf *p, const struct packet_info *pi, enum packet_unreach why,
                     struct netstack_stats *st);

#endif
