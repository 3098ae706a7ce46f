/* Packet arithmetic for the fuzz_netstack harness (see fuzz_wire.h). */
#include "fuzz_wire.h"

#include <string.h>

#include "netstack/packet.h"

uint32_t wire_sum_add(uint32_t s, const uint8_t *b, size_t n)
{
    for (size_t i = 0; i + 1 < n; i += 2)
        s += (uint32_t)(b[i] << 8 | b[i + 1]);
    if (n & 1)
        s += (uint32_t)b[n - 1] << 8;
    return s;
}

uint16_t wire_sum_fold(uint32_t s)
{
    while (s >> 16)
        s = (s & 0xffff) + (s >> 16);
    return (uint16_t)s;
}

uint16_t wire_be16(const uint8_t *b)
{
    return (uint16_t)(b[0] << 8 | b[1]);
}

uint32_t wire_be32(const uint8_t *b)
{
    return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

void wire_put16(uint8_t *b, uint16_t v)
{
    b[0] = (uint8_t)(v >> 8);
    b[1] = (uint8_t)v;
}

void wire_put32(uint8_t *b, uint32_t v)
{
    wire_put16(b, (uint16_t)(v >> 16));
    wire_put16(b + 2, (uint16_t)v);
}


int wire_l4_find(const uint8_t *p, size_t len, struct wire_l4 *t)
{
    if (len >= 20 && p[0] >> 4 == 4) {
        size_t ihl = (size_t)(p[0] & 15) * 4, tot = wire_be16(p + 2);
        if (ihl < 20 || ihl > len || tot < ihl || (wire_be16(p + 6) & 0x1fff) != 0)
            return 0;
        if (tot > len)
            tot = len;
        t->family = 4;
        t->proto = p[9];
        t->off = ihl;
        t->len = tot - ihl;
        t->pseudo = t->proto == PACKET_ICMP ? 0
                  : wire_sum_add(0, p + 12, 8) + t->proto + (uint32_t)t->len;
        return 1;
    }
    if (len >= 40 && p[0] >> 4 == 6) {
        size_t plen = wire_be16(p + 4);
        t->family = 6;
        t->proto = p[6];
        t->off = 40;
        t->len = plen < len - 40 ? plen : len - 40;
        t->pseudo = wire_sum_add(0, p + 8, 32) + t->proto + (uint32_t)t->len;
        return t->proto == PACKET_TCP || t->proto == PACKET_UDP || t->proto == PACKET_ICMP6;
    }
    return 0;
}

size_t wire_csum_field(uint8_t proto, size_t l4len)
{
    if (proto == PACKET_TCP && l4len >= 20)
        return 16;
    if (proto == PACKET_UDP && l4len >= 8)
        return 6;
    if ((proto == PACKET_ICMP || proto == PACKET_ICMP6) && l4len >= 4)
        return 2;
    return 0;
}

void wire_fix_checksums(uint8_t *p, size_t len)
{
    if (len >= 20 && p[0] >> 4 == 4) {
        size_t ihl = (size_t)(p[0] & 15) * 4;
        if (ihl >= 20 && ihl <= len) {
            wire_put16(p + 10, 0);
            wire_put16(p + 10, (uint16_t)~wire_sum_fold(wire_sum_add(0, p, ihl)));
        }
    }
    struct wire_l4 t;
    if (!wire_l4_find(p, len, &t))
        return;
    size_t at = wire_csum_field(t.proto, t.len);
    if (at == 0)
        return;
    uint8_t *l4 = p + t.off;
    wire_put16(l4 + at, 0);
    uint16_t c = (uint16_t)~wire_sum_fold(wire_sum_add(t.pseudo, l4, t.len));
    if (c == 0 && t.proto == PACKET_UDP)
        c = 0xffff;
    wire_put16(l4 + at, c);
}

/* Whether lwIP would take the packet's checksums: the IPv4 header's and the
 * transport's over a whole, unfragmented datagram. */
int wire_sums_ok(const uint8_t *p, size_t len)
{
    struct wire_l4 t;
    if (len >= 20 && p[0] >> 4 == 4) {
        size_t ihl = (size_t)(p[0] & 15) * 4;
        if (ihl < 20 || ihl > len || wire_sum_fold(wire_sum_add(0, p, ihl)) != 0xffff ||
            (wire_be16(p + 6) & 0x3fff) != 0)
            return 0;
    }
    if (!wire_l4_find(p, len, &t) || wire_csum_field(t.proto, t.len) == 0)
        return 0;
    return wire_sum_fold(wire_sum_add(t.pseudo, p + t.off, t.len)) == 0xffff;
}


int wire_flow_eq(const struct ns_flow *a, const struct ns_flow *b)
{
    return a->family == b->family && a->sport == b->sport && a->dport == b->dport &&
           memcmp(a->src, b->src, 16) == 0 && memcmp(a->dst, b->dst, 16) == 0;
}

/* The flow as the app sees it (src = the app) of a TCP packet, either way. */
int wire_tcp_flow(const uint8_t *p, size_t len, int towards_app, struct ns_flow *f, struct wire_l4 *t)
{
    if (!wire_l4_find(p, len, t) || t->proto != PACKET_TCP || t->len < 20)
        return 0;
    size_t alen = t->family == 4 ? 4 : 16;
    const uint8_t *src = p + (t->family == 4 ? 12 : 8), *dst = src + alen;
    const uint8_t *tcp = p + t->off;
    memset(f, 0, sizeof(*f));
    f->family = (uint8_t)t->family;
    memcpy(f->src, towards_app ? dst : src, alen);
    memcpy(f->dst, towards_app ? src : dst, alen);
    f->sport = towards_app ? wire_be16(tcp + 2) : wire_be16(tcp);
    f->dport = towards_app ? wire_be16(tcp) : wire_be16(tcp + 2);
    return 1;
}
