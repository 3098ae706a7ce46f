/* TUN offloads (IFF_VNET_HDR): the virtio_net_hdr in front of every packet.
 *
 * Towards the gateway, the app's kernel may leave a checksum undone
 * (NEEDS_CSUM: the field holds only the pseudo-header's sum) and hand over a
 * TCP super-segment of up to 64 KiB (TSO), where a wire would have needed
 * dozens of packets. Towards the app, the netstack does the same: lwIP sends
 * segments of up to 64 KiB with the TCP checksum left to the kernel, and
 * the header says how the app's kernel would cut them for a real MTU; a
 * local receiver takes the super-segment whole, as after GRO, and the
 * checksum is never computed at all.
 *
 * Pure functions over buffers: no lwIP, no I/O. The header comes from the
 * app's side (a raw or packet socket there can write any header), so every
 * offset in it is checked before it is used. */
#define _GNU_SOURCE
#include "netstack/netstack_offload.h"
#include "netstack/packet.h"

#include <endian.h>
#include <linux/virtio_net.h>
#include <string.h>

_Static_assert(sizeof(struct virtio_net_hdr) == NS_VNET_HDR_LEN, "virtio_net_hdr is 10 bytes");

#define TCP_CSUM_OFFSET 16   /* the checksum field within the TCP header */
#define TCP_MIN_HLEN    20

static void wr16be(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

/* Field by field: the structs' padding is not theirs to compare. */
static int same_info(const struct packet_info *a, const struct packet_info *b)
{
    return a->family == b->family && a->proto == b->proto && memcmp(a->src, b->src, 16) == 0 &&
           memcmp(a->dst, b->dst, 16) == 0 && a->sport == b->sport && a->dport == b->dport &&
           a->tcp_flags == b->tcp_flags && a->tcp_seq == b->tcp_seq && a->has_ports == b->has_ports &&
           a->l4_off == b->l4_off && a->fragment6 == b->fragment6 && a->icmp_type == b->icmp_type &&
           a->has_icmp == b->has_icmp;
}

int netstack_offload_rx(const uint8_t *hdr, uint8_t *pkt, size_t len, const struct packet_info *pi,
                        int *tcp_unchecked)
{
    struct virtio_net_hdr h;
    memcpy(&h, hdr, sizeof(h));
    *tcp_unchecked = 0;
    /* No flag, or DATA_VALID: the checksums are all there, and lwIP checks
     * them as on a plain TUN. */
    if (!(h.flags & VIRTIO_NET_HDR_F_NEEDS_CSUM))
        return 0;
    size_t start = le16toh(h.csum_start), field = start + le16toh(h.csum_offset);
    if (start >= len || field + 2 > len)
        return -1;
    /* A TCP segment that does not open a connection goes to lwIP with its
     * checksum unchecked: there is no wire between the app's kernel and the
     * gateway to corrupt it, computing it only to check it would cost a
     * pass over every byte, and the app could have sent the same bytes with
     * a correct sum. A SYN is completed instead: it is held, checked and
     * shown to lwIP again later, like any other. */
    if (pi->proto == PACKET_TCP && pi->has_ports && !packet_is_tcp_open(pi) &&
        start == pi->l4_off && field == start + TCP_CSUM_OFFSET) {
        *tcp_unchecked = 1;
        return 0;
    }
    /* Anything else is small (the stub's DNS, pings): finish the sum. 0 is
     * written as 0xffff, the same in one's complement, and for UDP over
     * IPv4 the only way to say "checksummed" with it. */
    uint16_t sum = packet_csum_fold(packet_csum_add(0, pkt + start, len - start));
    wr16be(pkt + field, sum == 0 ? 0xffff : sum);
    /* The app's kernel only ever points at a checksum field, which *pi says
     * nothing of. A header pointing elsewhere may have rewritten what the
     * caller parsed into *pi (an IPv4 header's length or IHL, which the
     * SYN checks then trust, ports, flags): the packet is no longer the one
     * *pi describes, and is dropped. */
    struct packet_info again;
    if (packet_parse(pkt, len, &again) != PACKET_OK || !same_info(&again, pi))
        return -1;
    return 0;
}

int netstack_offload_tx(uint8_t *hdr, uint8_t *pkt, size_t avail, size_t tot, unsigned mtu)
{
    struct virtio_net_hdr h;
    memset(&h, 0, sizeof(h));
    memcpy(hdr, &h, sizeof(h));

    size_t ihl;
    uint32_t sum;
    int v4;
    /* Whether it is TCP at all is in the IP header's fixed part: if even
     * that is not contiguous, the caller flattens the packet and asks again. */
    size_t fixed = avail > 0 && pkt[0] >> 4 == 6 ? 40 : 20;
    if (avail < fixed)
        return tot >= fixed ? -1 : 0;   /* a runt is no segment lwIP makes */
    if (avail >= 20 && pkt[0] >> 4 == 4 && pkt[9] == PACKET_TCP) {
        v4 = 1;
        ihl = (size_t)(pkt[0] & 0x0f) * 4;
        sum = packet_csum_add(0, pkt + 12, 8);
    } else if (avail >= 40 && pkt[0] >> 4 == 6 && pkt[6] == PACKET_TCP) {
        v4 = 0;
        ihl = 40;
        sum = packet_csum_add(0, pkt + 8, 32);
    } else {
        return 0;       /* not TCP: lwIP computed every checksum */
    }
    if (ihl < 20 || tot < ihl + TCP_MIN_HLEN)
        return 0;       /* not a segment lwIP makes */
    if (avail < ihl + TCP_MIN_HLEN)
        return -1;      /* the caller makes the headers contiguous */
    size_t thl = (size_t)(pkt[ihl + 12] >> 4) * 4;
    size_t tcplen = tot - ihl;
    sum += PACKET_TCP + (uint32_t)tcplen;
    wr16be(pkt + ihl + TCP_CSUM_OFFSET, (uint16_t)~packet_csum_fold(sum));

    h.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
    h.csum_start = htole16((uint16_t)ihl);
    h.csum_offset = htole16(TCP_CSUM_OFFSET);
    size_t payload = ihl + thl <= tot ? tot - ihl - thl : 0;
    size_t seg = mtu > ihl + thl ? mtu - ihl - thl : 0;
    if (thl >= TCP_MIN_HLEN && seg > 0 && payload > seg) {
        h.gso_type = v4 ? VIRTIO_NET_HDR_GSO_TCPV4 : VIRTIO_NET_HDR_GSO_TCPV6;
        h.gso_size = htole16((uint16_t)seg);
        h.hdr_len = htole16((uint16_t)(ihl + thl));
    }
    memcpy(hdr, &h, sizeof(h));
    return 0;
}
