/* Packet arithmetic for the fuzz_netstack harness: checksums, header
 * fields and flows of raw IP packets, independent of netstack/packet.c so
 * that the harness checks the netstack against a reading of its own. */
#ifndef TORGATE_FUZZ_WIRE_H
#define TORGATE_FUZZ_WIRE_H

#include <stddef.h>
#include <stdint.h>

#include "netstack/netstack.h"

/* A packet's transport header: family, protocol, offset, length, and the
 * pseudo-header sum (0 for ICMPv4, which has none). */
struct wire_l4 {
    int family;
    uint8_t proto;
    size_t off, len;
    uint32_t pseudo;
};

/* The Internet checksum: words added to s, and folded (not inverted). */
uint32_t wire_sum_add(uint32_t s, const uint8_t *b, size_t n);
uint16_t wire_sum_fold(uint32_t s);

uint16_t wire_be16(const uint8_t *b);
uint32_t wire_be32(const uint8_t *b);
void wire_put16(uint8_t *b, uint16_t v);
void wire_put32(uint8_t *b, uint32_t v);

/* Finds the transport header; 0 for what has no checksummed one of its own
 * (later fragments, IPv6 extension headers, runts). */
int wire_l4_find(const uint8_t *p, size_t len, struct wire_l4 *t);
/* Offset of the checksum in a transport header of l4len bytes, 0 if none. */
size_t wire_csum_field(uint8_t proto, size_t l4len);
/* Rewrites the IPv4 header's and the transport's checksums. */
void wire_fix_checksums(uint8_t *p, size_t len);
/* Whether lwIP would take the checksums: the IPv4 header's and the
 * transport's over a whole, unfragmented datagram. */
int wire_sums_ok(const uint8_t *p, size_t len);

int wire_flow_eq(const struct ns_flow *a, const struct ns_flow *b);
/* The flow of a TCP packet as the app sees it (src = the app), whichever
 * way the packet goes. */
int wire_tcp_flow(const uint8_t *p, size_t len, int towards_app, struct ns_flow *f,
                  struct wire_l4 *t);

#endif
