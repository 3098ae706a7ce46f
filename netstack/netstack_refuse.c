/* What Tor cannot carry is refused at once, in words the app's kernel
 * understands: UDP (other than to the stub) gets ICMP(v6) port unreachable,
 * so QUIC and the like fall back to TCP instead of waiting for a timeout;
 * a ping gets "administratively prohibited", since an echo reply would say a
 * host is up that nobody asked. The answers are built by packet.c. */
#define _GNU_SOURCE
#include "netstack/netstack_internal.h"

#include "lwip/pbuf.h"

/* The first NS_UDP_PORT_SLOTS ports get their own count; all count in total. */
static void udp_refused_count(struct netstack_stats *st, uint16_t port)
{
    st->udp_refused++;
    for (int i = 0; i < NS_UDP_PORT_SLOTS; i++) {
        if (st->udp_refused_ports[i].n == 0 || st->udp_refused_ports[i].port == port) {
            st->udp_refused_ports[i].port = port;
            st->udp_refused_ports[i].n++;
            return;
        }
    }
}

void netstack_refuse(struct pbuf *p, const struct packet_info *pi, enum packet_unreach why,
                     struct netstack_stats *st)
{
    static uint8_t in[PACKET_UNREACH_MAX], out[PACKET_UNREACH_MAX];
    if (why == PACKET_UNREACH_PORT)
        udp_refused_count(st, pi->dport);
    else
        st->echo_refused++;
    u16_t n = pbuf_copy_partial(p, in, sizeof(in), 0);
    pbuf_free(p);
    size_t len = packet_build_unreach(in, n, pi, why, out, sizeof(out));
    if (len > 0)
        netstack_tun_send(out, len);
}
