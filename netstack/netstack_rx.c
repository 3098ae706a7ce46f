/* Receive buffers: one packet read from the TUN per pbuf, an MTU-sized
 * buffer kept for reuse, small packets moved to buffers of their own size,
 * and spare bytes behind every packet for lwIP to read past its end. */
#define _GNU_SOURCE
#include "netstack.h"
#include "netstack_internal.h"

#include <string.h>

#include "lwip/pbuf.h"

/* lwIP 2.1.3 reads up to two bytes past a packet's end in two places (both
 * found by tests/fuzz/fuzz_netstack.c): tcp_parseopt() reads an option's
 * length byte before it checks that it is inside the header, and
 * ip6_input() reads an extension header's next-header and length fields,
 * and an option's length, before it checks that they are inside the packet.
 * Only hand-made packets do this, but these bytes must be ours. */
#define RX_TAIL 8

static struct pbuf *rx_spare;      /* an MTU-sized receive buffer kept for reuse */

void *netstack_rx_alloc(size_t cap, void **data)
{
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
    *data = p->payload;
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

struct pbuf *netstack_rx_take(void *rx, size_t len, struct netstack_stats *st)
{
    struct pbuf *p = rx;
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
    return p;
}
