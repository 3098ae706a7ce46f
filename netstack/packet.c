#include "packet.h"

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
    } else if (pi->proto == PACKET_UDP) {
        if (end < off || end - off < 8)
            return;
        pi->sport = rd16(buf + off);
        pi->dport = rd16(buf + off + 2);
        pi->has_ports = 1;
    }
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
        pi->proto = buf[6];
        memcpy(pi->src, buf + 8, 16);
        memcpy(pi->dst, buf + 24, 16);
        /* Extension headers are left to lwIP: the kernel never puts them in
         * front of TCP, and a SYN hidden behind one simply finds no stream. */
        parse_transport(buf, 40, total, pi);
        return PACKET_OK;
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
