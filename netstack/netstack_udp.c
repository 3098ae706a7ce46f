/* UDP services on the sandbox's side of the TUN (the DNS stub). Any other
 * UDP is refused by netstack_refuse.c (ICMP port unreachable). */
#define _GNU_SOURCE
#include "netstack/netstack.h"
#include "netstack/netstack_internal.h"

#include <string.h>

#include "lwip/ip.h"
#include "lwip/netif.h"
#include "lwip/pbuf.h"
#include "lwip/udp.h"

#define UDP_LISTENERS 4

struct udp_listener {
    struct udp_pcb *pcb;
    struct ns_flow local;          /* dst and dport are the service's */
    ns_udp_recv_fn fn;
    void *ctx;
};

static struct udp_listener udp_listeners[UDP_LISTENERS];
static int nudp;
static unsigned udp_mtu;           /* replies fit the TUN's MTU */

void netstack_udp_init(const struct ns_link *link)
{
    udp_mtu = link->mtu;
}

int netstack_udp_served(const struct packet_info *pi)
{
    size_t alen = pi->family == 4 ? 4 : 16;
    for (int i = 0; i < nudp; i++) {
        const struct ns_flow *l = &udp_listeners[i].local;
        if (l->family == pi->family && l->dport == pi->dport && memcmp(l->dst, pi->dst, alen) == 0)
            return 1;
    }
    return 0;
}

static void on_udp(void *arg, struct udp_pcb *pcb, struct pbuf *p, const ip_addr_t *addr, u16_t port)
{
    static uint8_t buf[0xffff];
    struct udp_listener *l = arg;
    struct ns_flow f;

    netstack_flow_from_lwip(&f, addr, port, ip_current_dest_addr(), pcb->local_port);
    u16_t n = pbuf_copy_partial(p, buf, p->tot_len, 0);
    pbuf_free(p);
    l->fn(l->ctx, &f, buf, n);
}

int netstack_udp_listen(int family, const uint8_t *addr, uint16_t port, ns_udp_recv_fn fn, void *ctx)
{
    if (nudp == UDP_LISTENERS)
        return -1;
    struct udp_listener *l = &udp_listeners[nudp];
    memset(l, 0, sizeof(*l));
    l->local.family = (uint8_t)family;
    memcpy(l->local.dst, addr, family == 4 ? 4 : 16);
    l->local.dport = port;
    ip_addr_t local, unused;
    netstack_flow_to_lwip(&l->local, &unused, &local);
    l->pcb = udp_new_ip_type(family == 4 ? IPADDR_TYPE_V4 : IPADDR_TYPE_V6);
    if (l->pcb == NULL)
        return -1;
    if (udp_bind(l->pcb, &local, port) != ERR_OK) {
        udp_remove(l->pcb);
        return -1;
    }
    l->fn = fn;
    l->ctx = ctx;
    udp_recv(l->pcb, on_udp, l);
    nudp++;
    return 0;
}

int netstack_udp_reply(const struct ns_flow *flow, const void *data, size_t len)
{
    size_t alen = flow->family == 4 ? 4 : 16;
    /* lwIP does not fragment (IP_FRAG, LWIP_IPV6_FRAG): a datagram must fit
     * the TUN's MTU with its headers. */
    size_t headers = flow->family == 4 ? 28 : 48;
    if (netif_default == NULL || len + headers > udp_mtu)
        return -1;
    for (int i = 0; i < nudp; i++) {
        struct udp_listener *l = &udp_listeners[i];
        if (l->local.family != flow->family || l->local.dport != flow->dport ||
            memcmp(l->local.dst, flow->dst, alen) != 0)
            continue;
        ip_addr_t to, unused;
        netstack_flow_to_lwip(flow, &to, &unused);
        struct pbuf *p = pbuf_alloc(PBUF_TRANSPORT, (u16_t)len, PBUF_RAM);
        if (p == NULL)
            return -1;
        memcpy(p->payload, data, len);
        err_t e = udp_sendto(l->pcb, p, &to, flow->sport);
        pbuf_free(p);
        return e == ERR_OK ? 0 : -1;
    }
    return -1;
}

void netstack_udp_shutdown(void)
{
    for (int i = 0; i < nudp; i++)
        udp_remove(udp_listeners[i].pcb);
    nudp = 0;
}
