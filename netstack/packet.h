/* Pure parsing of the IP and TCP headers the netstack must see before lwIP
 * does: which flow a packet belongs to and whether it opens a connection. */
#ifndef TORGATE_PACKET_H
#define TORGATE_PACKET_H

#include <stddef.h>
#include <stdint.h>

#define PACKET_ICMP 1
#define PACKET_TCP 6
#define PACKET_UDP 17
#define PACKET_ICMP6 58

#define PACKET_ICMP_ECHO_REQUEST 8      /* ICMP type */
#define PACKET_ICMP6_ECHO_REQUEST 128   /* ICMPv6 type */

struct packet_info {
    uint8_t family;      /* 4 or 6 */
    uint8_t proto;       /* transport protocol (IPv6: after any extension headers) */
    uint8_t src[16];     /* IPv4 uses the first 4 bytes */
    uint8_t dst[16];
    uint16_t sport;      /* host order; TCP and UDP only */
    uint16_t dport;
    uint8_t tcp_flags;   /* TCP only */
    uint32_t tcp_seq;    /* TCP only */
    int has_ports;       /* transport header present and complete */
    uint16_t l4_off;     /* where the transport header starts (has_ports) */
    uint8_t fragment6;   /* IPv6: a Fragment header was walked */
    uint8_t icmp_type;   /* ICMP (4) or ICMPv6 (6) only */
    int has_icmp;        /* ICMP header's type present (first fragment) */
};

#define PACKET_TCP_FIN 0x01
#define PACKET_TCP_SYN 0x02
#define PACKET_TCP_RST 0x04
#define PACKET_TCP_ACK 0x10

enum packet_result {
    PACKET_OK = 0,
    PACKET_TOO_SHORT,      /* shorter than its headers claim */
    PACKET_BAD_VERSION,    /* neither IPv4 nor IPv6 */
    PACKET_BAD_HEADER,     /* header fields inconsistent */
};

/* Reads buf[0..len) as one IP packet. Never reads past len. IPv6 extension
 * headers are walked (at most 8) to the transport header. A fragment that
 * is not the first one is PACKET_OK with has_ports == 0. */
enum packet_result packet_parse(const uint8_t *buf, size_t len, struct packet_info *out);

/* A TCP segment that asks for a new connection: SYN without ACK/RST. */
int packet_is_tcp_open(const struct packet_info *pi);

/* ICMPv6 types from 130 on (MLD, router and neighbour discovery, ...):
 * link-layer signalling, meaningless on a TUN, where routes are static and
 * there are no link addresses to resolve. */
#define PACKET_ICMP6_LINK_MIN 130
int packet_is_link_signalling(const struct packet_info *pi);

/* Whether a TCP packet parsed into *pi has checksums lwIP would accept:
 * the IPv4 header's, and the TCP checksum over the whole segment. A
 * fragment, whose segment is not all there, does not pass. */
int packet_tcp_checksum_ok(const uint8_t *buf, size_t len, const struct packet_info *pi);

/* The Internet checksum (RFC 1071): the 32-bit sum of buf[0..len) as
 * big-endian 16-bit words (an odd last byte padded), continuing from sum;
 * and that sum folded to 16 bits and complemented, as written in headers. */
uint32_t packet_csum_add(uint32_t sum, const uint8_t *buf, size_t len);
/* The same sum of buf[0..len) taken as words in the machine's own byte
 * order, folded to 16 bits and not complemented: what lwIP's LWIP_CHKSUM
 * returns. Any alignment. */
uint16_t packet_csum_native(const void *buf, size_t len);
uint16_t packet_csum_fold(uint32_t sum);

/* Whether both addresses can be ends of a TCP connection: neither is
 * unspecified, multicast or (IPv4) the limited broadcast. */
int packet_unicast(const struct packet_info *pi);

/* An ICMP echo request (IPv4) or ICMPv6 echo request (IPv6): a ping. */
int packet_is_echo_request(const struct packet_info *pi);

/* Why a packet is answered with "destination unreachable". */
enum packet_unreach {
    PACKET_UNREACH_PORT,        /* ICMP 3/3, ICMPv6 1/4: no UDP service here */
    PACKET_UNREACH_PROHIBITED,  /* ICMP 3/13, ICMPv6 1/1: not allowed (ping) */
};

/* Largest answer packet_build_unreach() writes (the IPv6 minimum MTU). */
#define PACKET_UNREACH_MAX 1280

/* Writes into out[0..cap) the ICMP / ICMPv6 "destination unreachable" that
 * answers the packet in[0..len) (parsed into *pi): from its destination to
 * its source, quoting as much of it as RFC 1812 / RFC 4443 allow (576 bytes
 * in all for IPv4, 1280 for IPv6). Returns the answer's length, or 0 when
 * the packet must not be answered (an ICMP error itself, or cap too small).
 * Pure: no I/O, never reads past len. */
size_t packet_build_unreach(const uint8_t *in, size_t len, const struct packet_info *pi,
                            enum packet_unreach why, uint8_t *out, size_t cap);

#endif
