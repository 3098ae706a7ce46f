#include "netstack/packet.h"

#include <string.h>

static uint16_t rd16(const uint8_t *p) { return (uint16_t)((p[0] << 8) | p[1]); }
static uint32_t rd32(const uint8_t *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

/* Fills ports and TCP fields from a transport header at buf[off..end). */
static void parse_transport(const uint8_t *buf, size_t off, size_t end, struct packet_info *pi)
{
    if (pi->proto == PACKET_TCP) {
        if (end < off || end - off < 20)
            return;
        pi->sport = rd16(buf + off);
        pi->dport = rd16(buf + off + 2);
        pi->tcp_seq = rd32(buf + off + 4);
        pi->tcp_flags = buf[off + 13];
        pi->has_ports = 1;
        pi->l4_off = (uint16_t)off;
    } else if (pi->proto == PACKET_UDP) {
        if (end < off || end - off < 8)
            return;
        pi->sport = rd16(buf + off);
        pi->dport = rd16(buf + off + 2);
        pi->has_ports = 1;
        pi->l4_off = (uint16_t)off;
    } else if ((pi->family == 4 && pi->proto == PACKET_ICMP) ||
               (pi->family == 6 && pi->proto == PACKET_ICMP6)) {
        if (end <= off)
            return;
        pi->icmp_type = buf[off];
        pi->has_icmp = 1;
    }
}

/* IPv6 extension headers between the fixed header and the transport: the
 * same datagram must meet the same policy with or without them (a UDP
 * datagram larger than the MTU arrives behind a Fragment header). A header
 * that runs past the packet is malformed; more than PACKET_EXT6_MAX of them
 * is too, since no sender needs that many and walking them costs. */
#define PACKET_EXT6_MAX 8
static enum packet_result parse_ext6(const uint8_t *buf, size_t total, struct packet_info *pi)
{
    size_t off = 40;
    uint8_t nh = buf[6];
    for (int n = 0;; n++) {
        if (nh != 0 && nh != 43 && nh != 44 && nh != 60)     /* HBH, routing, fragment, dest opts */
            break;
        if (n == PACKET_EXT6_MAX)
            return PACKET_BAD_HEADER;
        if (total - off < 8)
            return PACKET_BAD_HEADER;
        uint8_t next = buf[off];
        if (nh == 44) {
            /* Only the first fragment carries the transport header. */
            pi->fragment6 = 1;
            int first = (rd16(buf + off + 2) & 0xfff8) == 0;
            off += 8;
            if (!first) {
                pi->proto = next;
                return PACKET_OK;
            }
        } else {
            size_t hl = ((size_t)buf[off + 1] + 1) * 8;
            if (total - off < hl)
                return PACKET_BAD_HEADER;
            off += hl;
        }
        nh = next;
    }
    pi->proto = nh;
    parse_transport(buf, off, total, pi);
    return PACKET_OK;
}

enum packet_result packet_parse(const uint8_t *buf, size_t len, struct packet_info *pi)
{
    memset(pi, 0, sizeof(*pi));
    if (len < 1)
        return PACKET_TOO_SHORT;
    switch (buf[0] >> 4) {
    case 4: {
        if (len < 20)
            return PACKET_TOO_SHORT;
        size_t ihl = (size_t)(buf[0] & 0x0f) * 4;
        size_t total = rd16(buf + 2);
        if (ihl < 20 || total < ihl)
            return PACKET_BAD_HEADER;
        if (total > len)
            return PACKET_TOO_SHORT;
        pi->family = 4;
        pi->proto = buf[9];
        memcpy(pi->src, buf + 12, 4);
        memcpy(pi->dst, buf + 16, 4);
        /* Only the first fragment carries the transport header. */
        uint16_t frag = rd16(buf + 6);
        if ((frag & 0x1fff) == 0)
            parse_transport(buf, ihl, total, pi);
        return PACKET_OK;
    }
    case 6: {
        if (len < 40)
            return PACKET_TOO_SHORT;
        size_t total = 40 + (size_t)rd16(buf + 4);
        if (total > len)
            return PACKET_TOO_SHORT;
        pi->family = 6;
        memcpy(pi->src, buf + 8, 16);
        memcpy(pi->dst, buf + 24, 16);
        return parse_ext6(buf, total, pi);
    }
    default:
        return PACKET_BAD_VERSION;
    }
}

int packet_is_tcp_open(const struct packet_info *pi)
{
    return pi->proto == PACKET_TCP && pi->has_ports &&
           (pi->tcp_flags & (PACKET_TCP_SYN | PACKET_TCP_ACK | PACKET_TCP_RST)) == PACKET_TCP_SYN;
}

int packet_is_link_signalling(const struct packet_info *pi)
{
    return pi->family == 6 && pi->has_icmp && pi->icmp_type >= PACKET_ICMP6_LINK_MIN;
}

int packet_is_echo_request(const struct packet_info *pi)
{
    return pi->has_icmp && pi->icmp_type == (pi->family == 4 ? PACKET_ICMP_ECHO_REQUEST
                                                             : PACKET_ICMP6_ECHO_REQUEST);
}

/* Eight bytes a step: summing 32-bit words into 64 bits and folding at the
 * end gives the same one's-complement sum as 16-bit words (2^16 is 1
 * modulo 2^16 - 1). Loads go through memcpy: any alignment will do. lwIP
 * uses it too (LWIP_CHKSUM); its own sums 16 bits a step, and on a plain
 * TUN that was 3-5% of the gateway's CPU. */
uint16_t packet_csum_native(const void *buf, size_t len)
{
    const uint8_t *p = buf;
    uint64_t a = 0, b = 0;
    for (; len >= 8; len -= 8, p += 8) {
        uint32_t w[2];
        memcpy(w, p, sizeof(w));
        a += w[0];
        b += w[1];
    }
    if (len >= 4) {
        uint32_t w;
        memcpy(&w, p, sizeof(w));
        a += w;
        p += 4;
        len -= 4;
    }
    if (len >= 2) {
        uint16_t h;
        memcpy(&h, p, sizeof(h));
        a += h;
        p += 2;
        len -= 2;
    }
    if (len) {
        /* The pad byte is the word's second one in memory. */
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
        a += *p;
#else
        a += (uint64_t)*p << 8;
#endif
    }
    a += b;
    a = (a & 0xffffffffu) + (a >> 32);
    a = (a & 0xffffffffu) + (a >> 32);
    a = (a & 0xffffu) + (a >> 16);
    a = (a & 0xffffu) + (a >> 16);
    return (uint16_t)a;
}

/* The Internet checksum over buf[0..len), continuing from sum. */
uint32_t packet_csum_add(uint32_t sum, const uint8_t *buf, size_t len)
{
    uint16_t native = packet_csum_native(buf, len);
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    native = __builtin_bswap16(native);
#endif
    return sum + native;
}

uint16_t packet_csum_fold(uint32_t sum)
{
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)~sum;
}

int packet_tcp_checksum_ok(const uint8_t *buf, size_t len, const struct packet_info *pi)
{
    uint32_t sum;
    size_t off, tcplen;
    if (pi->proto != PACKET_TCP || !pi->has_ports)
        return 0;
    if (pi->family == 4) {
        size_t ihl = (size_t)(buf[0] & 0x0f) * 4, total = rd16(buf + 2);
        if (packet_csum_fold(packet_csum_add(0, buf, ihl)) != 0 || (rd16(buf + 6) & 0x3fff) != 0)
            return 0;
        off = ihl;
        tcplen = total - ihl;
        sum = packet_csum_add(0, buf + 12, 8);
    } else {
        /* After any extension headers. A fragment never passes: its
         * segment is not all here (as for IPv4 above). */
        off = pi->l4_off;
        if (pi->fragment6 || off < 40 || (size_t)rd16(buf + 4) + 40 < off)
            return 0;
        tcplen = (size_t)rd16(buf + 4) + 40 - off;
        sum = packet_csum_add(0, buf + 8, 32);
    }
    if (off + tcplen > len)
        return 0;
    sum += PACKET_TCP + (uint32_t)tcplen;
    return packet_csum_fold(packet_csum_add(sum, buf + off, tcplen)) == 0;
}

static int addr_unicast(int family, const uint8_t *a)
{
    static const uint8_t zero[16], bcast[4] = { 255, 255, 255, 255 };
    if (family == 4)
        return memcmp(a, zero, 4) != 0 && memcmp(a, bcast, 4) != 0 && (a[0] & 0xf0) != 0xe0;
    return memcmp(a, zero, 16) != 0 && a[0] != 0xff;
}

int packet_unicast(const struct packet_info *pi)
{
    return addr_unicast(pi->family, pi->src) && addr_unicast(pi->family, pi->dst);
}

static void wr16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

/* ICMP error messages are never answered with another (RFC 1122 3.2.2,
 * RFC 4443 2.4): only echo requests and non-ICMP packets are. */
static int is_icmp_error(const struct packet_info *pi)
{
    if (!pi->has_icmp)
        return pi->proto == (pi->family == 4 ? PACKET_ICMP : PACKET_ICMP6);
    if (pi->family == 4)
        return pi->icmp_type != PACKET_ICMP_ECHO_REQUEST && pi->icmp_type != 13 &&
               pi->icmp_type != 15 && pi->icmp_type != 17;
    return pi->icmp_type < 128;
}

size_t packet_build_unreach(const uint8_t *in, size_t len, const struct packet_info *pi,
                            enum packet_unreach why, uint8_t *out, size_t cap)
{
    if (is_icmp_error(pi))
        return 0;
    if (pi->family == 4) {
        size_t quote = len < 576 - 28 ? len : 576 - 28;
        size_t total = 28 + quote;
        if (cap < total)
            return 0;
        memset(out, 0, 28);
        out[0] = 0x45;
        wr16(out + 2, (uint16_t)total);
        out[8] = 64;                          /* TTL */
        out[9] = PACKET_ICMP;
        memcpy(out + 12, pi->dst, 4);
        memcpy(out + 16, pi->src, 4);
        wr16(out + 10, packet_csum_fold(packet_csum_add(0, out, 20)));
        out[20] = 3;                          /* destination unreachable */
        out[21] = why == PACKET_UNREACH_PORT ? 3 : 13;
        memcpy(out + 28, in, quote);
        wr16(out + 22, packet_csum_fold(packet_csum_add(0, out + 20, 8 + quote)));
        return total;
    }
    if (pi->family != 6)
        return 0;
    size_t quote = len < PACKET_UNREACH_MAX - 48 ? len : PACKET_UNREACH_MAX - 48;
    size_t total = 48 + quote;
    if (cap < total)
        return 0;
    memset(out, 0, 48);
    out[0] = 0x60;
    wr16(out + 4, (uint16_t)(8 + quote));     /* payload length */
    out[6] = PACKET_ICMP6;
    out[7] = 64;                              /* hop limit */
    memcpy(out + 8, pi->dst, 16);
    memcpy(out + 24, pi->src, 16);
    out[40] = 1;                              /* destination unreachable */
    out[41] = why == PACKET_UNREACH_PORT ? 4 : 1;
    memcpy(out + 48, in, quote);
    /* Pseudo-header: source, destination, upper-layer length, next header. */
    uint32_t sum = packet_csum_add(0, out + 8, 32);
    sum += (uint32_t)(8 + quote);
    sum += PACKET_ICMP6;
    sum = packet_csum_add(sum, out + 40, 8 + quote);
    wr16(out + 42, packet_csum_fold(sum));
    return total;
}
