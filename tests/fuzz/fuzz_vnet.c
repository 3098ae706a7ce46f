#include "fuzz_vnet.h"
#include "fuzz_wire.h"
#include "netstack/packet.h"

#include <linux/virtio_net.h>
#include <stdio.h>
#include <string.h>
#include <sys/uio.h>

#define CHECK(c) do { if (!(c)) { fprintf(stderr, "fuzz_vnet: check failed: %s (line %d)\n", \
                                          #c, __LINE__); __builtin_trap(); } } while (0)

uint16_t fuzz_vnet_le16(const uint8_t *b)
{
    return (uint16_t)(b[0] | b[1] << 8);
}

static void put_le16(uint8_t *b, uint16_t v)
{
    b[0] = (uint8_t)v;
    b[1] = (uint8_t)(v >> 8);
}

int fuzz_vnet_complete(const uint8_t *vh, uint8_t *p, size_t len)
{
    if (!(vh[0] & VIRTIO_NET_HDR_F_NEEDS_CSUM))
        return 0;
    size_t start = fuzz_vnet_le16(vh + 6), at = start + fuzz_vnet_le16(vh + 8);
    if (start >= len || at + 2 > len)
        return -1;
    uint16_t c = (uint16_t)~wire_sum_fold(wire_sum_add(0, p + start, len - start));
    wire_put16(p + at, c == 0 ? 0xffff : c);
    return 1;
}

void fuzz_vnet_kernel_hdr(uint8_t *vh, uint8_t *p, size_t n, size_t mtu)
{
    struct wire_l4 t;
    memset(vh, 0, VNET_LEN);
    if (!wire_l4_find(p, n, &t))
        return;
    size_t at = wire_csum_field(t.proto, t.len);
    if (at == 0)
        return;
    vh[0] = VIRTIO_NET_HDR_F_NEEDS_CSUM;
    put_le16(vh + 6, (uint16_t)t.off);
    put_le16(vh + 8, (uint16_t)at);
    wire_put16(p + t.off + at, wire_sum_fold(t.pseudo));
    if (t.proto != PACKET_TCP)
        return;
    size_t thl = (size_t)(p[t.off + 12] >> 4) * 4;
    if (thl < 20 || thl > t.len || t.off + thl >= mtu || t.len - thl <= mtu - t.off - thl)
        return;
    vh[1] = t.family == 4 ? VIRTIO_NET_HDR_GSO_TCPV4 : VIRTIO_NET_HDR_GSO_TCPV6;
    put_le16(vh + 2, (uint16_t)(t.off + thl));
    put_le16(vh + 4, (uint16_t)(mtu - t.off - thl));
}

void fuzz_vnet_check_tx(const uint8_t *vh, uint8_t *p, size_t len, size_t mtu)
{
    uint8_t flags = vh[0], gso = vh[1];
    uint16_t hdr_len = fuzz_vnet_le16(vh + 2), gso_size = fuzz_vnet_le16(vh + 4);
    CHECK(flags == 0 || flags == VIRTIO_NET_HDR_F_NEEDS_CSUM);
    CHECK(len <= 0xffff);
    struct wire_l4 t;
    int is_tcp = wire_l4_find(p, len, &t) && t.proto == PACKET_TCP && t.len >= 20;
    if (flags == 0) {
        /* Every checksum is in the packet already. */
        for (int i = 1; i < VNET_LEN; i++)
            CHECK(vh[i] == 0);
    } else {
        /* Only TCP is left to the kernel, at its checksum field. */
        CHECK(is_tcp);
        CHECK(fuzz_vnet_le16(vh + 6) == t.off && fuzz_vnet_le16(vh + 8) == 16);
        CHECK(fuzz_vnet_complete(vh, p, len) == 1);
    }
    if (gso == VIRTIO_NET_HDR_GSO_NONE) {
        CHECK(hdr_len == 0 && gso_size == 0);
        CHECK(len <= mtu);
        return;
    }
    /* A super-segment: TCP whose data does not fit one segment of a link
     * of this MTU, cut into segments of MTU bytes. */
    CHECK(flags == VIRTIO_NET_HDR_F_NEEDS_CSUM && is_tcp);
    CHECK(gso == (t.family == 4 ? VIRTIO_NET_HDR_GSO_TCPV4 : VIRTIO_NET_HDR_GSO_TCPV6));
    size_t thl = (size_t)(p[t.off + 12] >> 4) * 4;
    CHECK(thl >= 20 && thl <= t.len);
    CHECK(len > mtu);
    CHECK(hdr_len == t.off + thl);
    CHECK(gso_size == mtu - t.off - thl);
}

size_t fuzz_vnet_gather_tx(const struct iovec *iov, int iovcnt, int offload, size_t mtu,
                           uint8_t *vh, uint8_t *pkt, size_t cap)
{
    size_t len = 0;
    int first = 0;
    if (offload) {
        CHECK(iovcnt >= 2 && iov[0].iov_len == VNET_LEN);
        memcpy(vh, iov[0].iov_base, VNET_LEN);
        first = 1;
    }
    CHECK(iovcnt > first);
    for (int i = first; i < iovcnt; i++) {
        CHECK(len + iov[i].iov_len <= cap);
        memcpy(pkt + len, iov[i].iov_base, iov[i].iov_len);
        len += iov[i].iov_len;
    }
    if (offload)
        fuzz_vnet_check_tx(vh, pkt, len, mtu);   /* size bounds too: GSO may exceed the MTU */
    else
        CHECK(len <= mtu);
    return len;
}
