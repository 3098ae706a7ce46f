/* Packets for the TUN: an iovec of lwIP's pbuf chain, with the
 * virtio_net_hdr first when offloading (netstack_offload.c says what goes
 * in it), and the netstack's own packets (ICMP errors, RSTs).
 *
 * Pure ACKs are held until the loop is about to sleep (netstack_tun_flush),
 * and a later one of the same connection replaces the one held: lwIP ACKs
 * every second segment the app sends, and on a plain TUN each ACK was a
 * write(2) of its own, a third of the system calls of an upload, each also
 * running the app's TCP in the kernel. A receiver with GRO does the same
 * ("stretch ACKs"); the app's TCP counts the bytes acknowledged, not the
 * ACKs. Duplicate ACKs (same number, same window) are all sent: they mean
 * something to the sender. */
#define _GNU_SOURCE
#include "netstack/netstack.h"
#include "netstack/netstack_internal.h"
#include "netstack/netstack_offload.h"

#include <stdint.h>
#include <string.h>

#include "lwip/pbuf.h"

static struct ns_link tx_link;

#define ACK_SLOTS    16
#define ACK_MAX_LEN  (NS_VNET_HDR_LEN + 40 + 60)   /* IPv6 and a full TCP header */
#define KEY_MAX      36                          /* two IPv6 addresses and the ports */

struct held_ack {
    uint8_t key[KEY_MAX];
    uint8_t keylen;
    uint32_t ack;
    uint16_t wnd;
    size_t len;
    uint8_t pkt[ACK_MAX_LEN];
};
static struct held_ack held[ACK_SLOTS];
static int nheld;
/* The loop was asked for a netstack_tun_flush() and has not made it yet:
 * once per batch, however often the slots empty in between (all taken,
 * or an ACK overtaken by data). */
static int flush_asked;

static uint32_t rd32(const uint8_t *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

void netstack_tx_init(const struct ns_link *link)
{
    tx_link = *link;
    nheld = 0;
    flush_asked = 0;
}

/* Every packet towards the app goes here, and is counted here. */
static void tun_write(const struct iovec *iov, int iovcnt, size_t len)
{
    tx_link.stats->tx_packets++;
    if (len > tx_link.mtu)
        tx_link.stats->tx_super++;
    tx_link.cb->tun_write(tx_link.ctx, iov, iovcnt);
}

/* A TCP packet's connection (addresses and ports) into key; and whether it
 * is a pure ACK: the ACK flag alone and no payload. 0 if not TCP. */
static size_t tcp_key(const uint8_t *ip, size_t len, uint8_t *key, int *pure, uint32_t *ack,
                      uint16_t *wnd)
{
    size_t hl, klen;
    if (len >= 20 && ip[0] >> 4 == 4 && ip[9] == 6) {
        hl = (size_t)(ip[0] & 15) * 4;
        klen = 8;
        memcpy(key, ip + 12, 8);
    } else if (len >= 40 && ip[0] >> 4 == 6 && ip[6] == 6) {
        hl = 40;
        klen = 32;
        memcpy(key, ip + 8, 32);
    } else {
        return 0;
    }
    if (hl < 20 || len < hl + 20)
        return 0;
    const uint8_t *tcp = ip + hl;
    memcpy(key + klen, tcp, 4);
    size_t doff = (size_t)(tcp[12] >> 4) * 4;
    *pure = tcp[13] == 0x10 && doff >= 20 && len == hl + doff;
    *ack = rd32(tcp + 8);
    *wnd = (uint16_t)((tcp[14] << 8) | tcp[15]);
    return klen + 4;
}

static void held_write(const struct held_ack *h)
{
    size_t hl = tx_link.offload ? NS_VNET_HDR_LEN : 0;
    struct iovec iov[2] = { { (void *)(uintptr_t)h->pkt, hl },
                            { (void *)(uintptr_t)(h->pkt + hl), h->len - hl } };
    tun_write(iov + !hl, 1 + !!hl, h->len - hl);
}

static void held_remove(int i)
{
    held[i] = held[--nheld];
}

static int held_find(const uint8_t *key, size_t klen)
{
    for (int i = 0; i < nheld; i++)
        if (held[i].keylen == klen && memcmp(held[i].key, key, klen) == 0)
            return i;
    return -1;
}

static void held_write_all(void)
{
    for (int i = 0; i < nheld; i++)
        held_write(&held[i]);
    nheld = 0;
}

void netstack_tun_flush(void)
{
    held_write_all();
    flush_asked = 0;
}

/* Returns 1 if the packet in iov[0..n) (IP from iov[first]) was held or
 * superseded a held one's need, 0 to write it now. */
static int ack_hold(const struct iovec *iov, int n, int first, size_t iplen)
{
    if (tx_link.cb->tun_flush_wanted == NULL || n != first + 1)
        return 0;
    uint8_t key[KEY_MAX];
    int pure = 0;
    uint32_t ack = 0;
    uint16_t wnd = 0;
    size_t klen = tcp_key(iov[first].iov_base, iplen, key, &pure, &ack, &wnd);
    if (klen == 0)
        return 0;
    int i = held_find(key, klen);
    if (!pure) {
        /* Data, FIN or RST: it acknowledges as much, with today's window. */
        if (i >= 0)
            held_remove(i);
        return 0;
    }
    size_t len = (size_t)(first ? iov[0].iov_len : 0) + iplen;
    if (len > ACK_MAX_LEN)
        return 0;
    if (i >= 0 && held[i].ack == ack && held[i].wnd == wnd)
        held_write(&held[i]);                 /* a duplicate ACK: both go */
    else if (i >= 0)
        tx_link.stats->tx_acks_merged++;
    else if (nheld == ACK_SLOTS)
        held_write_all();
    if (i < 0)
        i = nheld++;
    if (!flush_asked) {
        flush_asked = 1;
        tx_link.cb->tun_flush_wanted(tx_link.ctx);
    }
    struct held_ack *h = &held[i];
    memcpy(h->key, key, klen);
    h->keylen = (uint8_t)klen;
    h->ack = ack;
    h->wnd = wnd;
    h->len = len;
    if (first)
        memcpy(h->pkt, iov[0].iov_base, iov[0].iov_len);
    memcpy(h->pkt + (first ? iov[0].iov_len : 0), iov[first].iov_base, iplen);
    return 1;
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
    if (!ack_hold(iov, n, first, p->tot_len))
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
