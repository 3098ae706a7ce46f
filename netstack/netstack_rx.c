/* Receive buffers: one packet read from the TUN per pbuf (and its
 * virtio_net_hdr, with offloads, in a buffer of its own so the IP header
 * stays aligned), a buffer of the largest read kept for reuse, small packets
 * moved to buffers of their own size, and spare bytes behind every packet
 * for lwIP to read past its end. */
#define _GNU_SOURCE
#include "netstack/netstack.h"
#include "netstack/netstack_internal.h"
#include "netstack/netstack_offload.h"

#include <string.h>

#include "lwip/pbuf.h"

/* lwIP 2.1.3 reads up to two bytes past a packet's end in two places (both
 * found by tests/fuzz/fuzz_netstack.c): tcp_parseopt() reads an option's
 * length byte before it checks that it is inside the header, and
 * ip6_input() reads an extension header's next-header and length fields,
 * and an option's length, before it checks that they are inside the packet.
 * Only hand-made packets do this, but these bytes must be ours. */
#define RX_TAIL 8

static struct pbuf *rx_spare;      /* a receive buffer kept for reuse */
static uint8_t rx_hdr[NS_VNET_HDR_LEN];
static struct ns_link rx_link;

void netstack_rx_init(const struct ns_link *link)
{
    rx_link = *link;
}

void *netstack_rx_alloc(struct iovec iov[2], int *iovcnt)
{
    /* With offloads a read may be a 64 KiB super-segment whatever the MTU. */
    size_t cap = rx_link.offload ? 0xffff : rx_link.mtu;
    size_t want = cap + RX_TAIL > 0xffff ? 0xffff : cap + RX_TAIL;
    struct pbuf *p = rx_spare;
    if (p != NULL && p->tot_len >= want) {
        rx_spare = NULL;
    } else {
        if (p != NULL) {
            pbuf_free(p);
            rx_spare = NULL;
        }
        p = pbuf_alloc(PBUF_RAW, (u16_t)want, PBUF_RAM);
        if (p == NULL)
            return NULL;
    }
    int n = 0;
    if (rx_link.offload) {
        iov[n].iov_base = rx_hdr;
        iov[n++].iov_len = sizeof(rx_hdr);
    }
    iov[n].iov_base = p->payload;
    iov[n++].iov_len = cap;
    *iovcnt = n;
    return p;
}

void netstack_rx_free(void *rx)
{
    if (rx_spare == NULL)
        rx_spare = rx;
    else
        pbuf_free(rx);
}

void netstack_rx_shutdown(void)
{
    if (rx_spare != NULL)
        pbuf_free(rx_spare);
    rx_spare = NULL;
}

/* A packet much smaller than its buffer gets a buffer of its own size:
 * lwIP and the relay may hold a segment until Tor takes its bytes, and a
 * stream of tiny segments must not pin an MTU-sized buffer each. */
static struct pbuf *rx_right_size(struct pbuf *p, size_t len)
{
    if (len * 4 > p->tot_len)
        return p;
    struct pbuf *small = pbuf_alloc(PBUF_RAW, (u16_t)(len + RX_TAIL), PBUF_RAM);
    if (small == NULL)
        return p;
    memcpy(small->payload, p->payload, len);
    netstack_rx_free(p);
    return small;
}

struct pbuf *netstack_rx_take(void *rx, size_t n, const uint8_t **hdr, struct netstack_stats *st)
{
    struct pbuf *p = rx;
    size_t len = n;
    *hdr = NULL;
    if (rx_link.offload) {
        if (n <= sizeof(rx_hdr)) {
            st->rx_malformed++;
            netstack_rx_free(p);
            return NULL;
        }
        len = n - sizeof(rx_hdr);
        *hdr = rx_hdr;
    }
    if (len > p->tot_len) {
        st->rx_oversize++;
        netstack_rx_free(p);
        return NULL;
    }
    p = rx_right_size(p, len);
    /* Only a packet within RX_TAIL of 64 KiB (--mtu above 65527) can lack
     * the tail; IPv6 extension headers are all that lwIP could read past
     * then, and the app's kernel never sends such a packet with them. */
    if (len + RX_TAIL > p->tot_len && len >= 40 && ((const uint8_t *)p->payload)[0] >> 4 == 6) {
        uint8_t next = ((const uint8_t *)p->payload)[6];
        if (next != 6 && next != 17 && next != 58) {
            st->rx_malformed++;
            pbuf_free(p);
            return NULL;
        }
    }
    pbuf_realloc(p, (u16_t)len);
    if (len > rx_link.mtu)
        st->rx_super++;
    return p;
}
