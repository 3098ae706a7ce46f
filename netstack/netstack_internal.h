/* Shared between the netstack's files; lwIP types allowed (netstack/ only). */
#ifndef TORGATE_NETSTACK_INTERNAL_H
#define TORGATE_NETSTACK_INTERNAL_H

#include "lwip/ip_addr.h"
#include "netstack.h"
#include "packet.h"

struct pbuf;

void netstack_flow_to_lwip(const struct ns_flow *f, ip_addr_t *src, ip_addr_t *dst);

/* Whether some UDP listener serves the packet's destination. */
int  netstack_udp_served(const struct packet_info *pi);
void netstack_udp_shutdown(void);

/* Receive buffers (netstack_rx.c): the pbuf of a packet of len bytes read
 * into rx, or NULL if it was dropped (counted in *st). */
struct pbuf *netstack_rx_take(void *rx, size_t len, struct netstack_stats *st);
void netstack_rx_shutdown(void);

/* Writes one packet of our own to the TUN, towards the app. */
void netstack_tun_send(const void *data, size_t len);

/* Answers a packet Tor cannot carry with ICMP(v6) destination unreachable
 * (netstack_refuse.c), counts it in *st, and frees p. */
void netstack_refuse(struct pbuf *p, const struct packet_info *pi, enum packet_unreach why,
                     struct netstack_stats *st);

#endif
