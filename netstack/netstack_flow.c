/* Flows: the 4-tuple of a TCP or UDP packet (struct ns_flow), as the
 * packet parser gives it and as lwIP's addresses hold it, and its hash for
 * the held-SYN table. */
#define _GNU_SOURCE
#include "netstack/netstack_internal.h"

#include <string.h>

void netstack_flow_from_packet(const struct packet_info *pi, struct ns_flow *f)
{
    memset(f, 0, sizeof(*f));
    f->family = pi->family;
    memcpy(f->src, pi->src, sizeof(f->src));
    memcpy(f->dst, pi->dst, sizeof(f->dst));
    f->sport = pi->sport;
    f->dport = pi->dport;
}

int netstack_flow_eq(const struct ns_flow *a, const struct ns_flow *b)
{
    return a->family == b->family && a->sport == b->sport && a->dport == b->dport &&
           memcmp(a->src, b->src, 16) == 0 && memcmp(a->dst, b->dst, 16) == 0;
}

unsigned netstack_flow_hash(const struct ns_flow *f)
{
    /* FNV-1a over the 4-tuple. */
    uint32_t h = 2166136261u;
    const uint8_t *parts[2] = { f->src, f->dst };
    for (int k = 0; k < 2; k++)
        for (int i = 0; i < 16; i++)
            h = (h ^ parts[k][i]) * 16777619u;
    h = (h ^ (f->sport & 0xff)) * 16777619u;
    h = (h ^ (f->sport >> 8)) * 16777619u;
    h = (h ^ (f->dport & 0xff)) * 16777619u;
    h = (h ^ (f->dport >> 8)) * 16777619u;
    return h;
}

void netstack_flow_to_lwip(const struct ns_flow *f, ip_addr_t *src, ip_addr_t *dst)
{
    if (f->family == 4) {
        uint32_t a, b;
        memcpy(&a, f->src, 4);
        memcpy(&b, f->dst, 4);
        ip_addr_set_ip4_u32_val(*src, a);
        ip_addr_set_ip4_u32_val(*dst, b);
    } else {
        memset(src, 0, sizeof(*src));
        memset(dst, 0, sizeof(*dst));
        IP_SET_TYPE_VAL(*src, IPADDR_TYPE_V6);
        IP_SET_TYPE_VAL(*dst, IPADDR_TYPE_V6);
        memcpy(ip_2_ip6(src)->addr, f->src, 16);
        memcpy(ip_2_ip6(dst)->addr, f->dst, 16);
    }
}

void netstack_flow_from_lwip(struct ns_flow *f, const ip_addr_t *src, uint16_t sport,
                             const ip_addr_t *dst, uint16_t dport)
{
    memset(f, 0, sizeof(*f));
    if (IP_IS_V6(src)) {
        f->family = 6;
        memcpy(f->src, ip_2_ip6(src)->addr, 16);
        memcpy(f->dst, ip_2_ip6(dst)->addr, 16);
    } else {
        f->family = 4;
        memcpy(f->src, &ip_2_ip4(src)->addr, 4);
        memcpy(f->dst, &ip_2_ip4(dst)->addr, 4);
    }
    f->sport = sport;
    f->dport = dport;
}
