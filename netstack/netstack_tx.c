/* Packets for the TUN: an iovec of lwIP's pbuf chain, with the
 * virtio_net_hdr first when offloading (netstack_offload.c says what goes
 * in it), and the netstack's own packets (ICMP errors, RSTs). */
#define _GNU_SOURCE
#include "netstack/netstack.h"
#include "netstack/netstack_internal.h"
#include "netstack/netstack_offload.h"

#include <stdint.h>

#include "lwip/pbuf.h"

static struct ns_link tx_link;

void netstack_tx_init(const struct ns_link *link)
{
    tx_link = *link;
}

/* Every packet towards the app goes here, and is counted here. */
static void tun_write(const struct iovec *iov, int iovcnt, size_t len)
{
    tx_link.stats->tx_packets++;
    if (len > tx_link.mtu)
        tx_link.stats->tx_super++;
    tx_link.cb->tun_write(tx_link.ctx, iov, iovcnt);
}

err_t netstack_tx_pbuf(struct pbuf *p)
{
    static uint8_t flat[0xffff];
    uint8_t hdr[NS_VNET_HDR_LEN];
    struct iovec iov[17];
    int n = 0, offload = tx_link.offload;
    unsigned mtu = tx_link.mtu;

    if (offload) {
        iov[n].iov_base = hdr;
        iov[n++].iov_len = sizeof(hdr);
    }
    int first = n;
    size_t got = 0;
    for (struct pbuf *q = p; q != NULL && n < (int)(sizeof(iov) / sizeof(iov[0])); q = q->next) {
        if (q->len == 0)
            continue;
        iov[n].iov_base = q->payload;
        iov[n++].iov_len = q->len;
        got += q->len;
    }
    /* lwIP never chains this many pbufs, nor splits its headers; flatten
     * rather than drop. */
    if (got < p->tot_len ||
        (offload && netstack_offload_tx(hdr, iov[first].iov_base, iov[first].iov_len, p->tot_len, mtu) != 0)) {
        iov[first].iov_base = flat;
        iov[first].iov_len = pbuf_copy_partial(p, flat, p->tot_len, 0);
        n = first + 1;
        if (offload)
            (void)netstack_offload_tx(hdr, flat, iov[first].iov_len, iov[first].iov_len, mtu);
    }
    tun_write(iov, n, p->tot_len);
    return ERR_OK;
}

void netstack_tun_send(const void *data, size_t len)
{
    static const uint8_t none[NS_VNET_HDR_LEN];
    struct iovec iov[2];
    int n = 0;
    if (tx_link.offload) {
        iov[n].iov_base = (void *)(uintptr_t)none;
        iov[n++].iov_len = sizeof(none);
    }
    iov[n].iov_base = (void *)(uintptr_t)data;
    iov[n++].iov_len = len;
    tun_write(iov, n, len);
}
