/* libFuzzer harness for the packet parser and the ICMP answer builder
 * (netstack/packet.c): the bytes are one packet as the app's kernel could
 * write it to the TUN. Checked: parse never claims more than the packet
 * holds; the TCP checksum and unicast checks agree with sums and tests
 * made here; the answer is within its cap, addressed back to the sender,
 * and its checksums verify. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "netstack/packet.h"

#define CHECK(c) do { if (!(c)) __builtin_trap(); } while (0)

static uint32_t sum16(const uint8_t *b, size_t n, uint32_t s)
{
    for (size_t i = 0; i + 1 < n; i += 2)
        s += (uint32_t)(b[i] << 8 | b[i + 1]);
    if (n & 1)
        s += (uint32_t)b[n - 1] << 8;
    return s;
}

static int verifies(uint32_t s)
{
    while (s >> 16)
        s = (s & 0xffff) + (s >> 16);
    return s == 0xffff;
}

/* Where an IPv6 packet's transport header starts, walking its extension
 * headers independently of packet.c; 0 if a Fragment header is among them
 * (a fragment never passes the checksum check). Called only for packets
 * packet_parse accepted, so the headers are within the payload. */
static size_t v6_transport(const uint8_t *data, size_t size)
{
    size_t off = 40;
    uint8_t nh = data[6];
    while (nh == 0 || nh == 43 || nh == 60 || nh == 44) {
        if (nh == 44 || off + 8 > size)
            return 0;
        nh = data[off];
        off += ((size_t)data[off + 1] + 1) * 8;
    }
    return off;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct packet_info pi;
    if (packet_parse(data, size, &pi) != PACKET_OK)
        return 0;
    CHECK(pi.family == 4 || pi.family == 6);
    if (packet_is_tcp_open(&pi))
        CHECK(pi.proto == PACKET_TCP && pi.has_ports);

    /* The checks netstack.c makes before it holds a SYN, against sums
     * computed here: the IPv4 header's and the whole TCP segment's. */
    int ok = 0;
    if (pi.proto == PACKET_TCP && pi.has_ports) {
        size_t ip = pi.family == 4 ? (size_t)(data[0] & 15) * 4 : v6_transport(data, size);
        size_t tcplen = pi.family == 4 ? (size_t)(data[2] << 8 | data[3]) - ip
                                       : (size_t)(data[4] << 8 | data[5]) + 40 - ip;
        uint32_t pseudo = pi.family == 4 ? sum16(data + 12, 8, 0) : sum16(data + 8, 32, 0);
        ok = (pi.family == 6 ? ip != 0 : verifies(sum16(data, ip, 0)) && (data[6] & 0x3f) == 0 &&
                                             data[7] == 0) &&
             verifies(sum16(data + ip, tcplen, pseudo + PACKET_TCP + (uint32_t)tcplen));
    }
    CHECK(packet_tcp_checksum_ok(data, size, &pi) == ok);
    static const uint8_t zero[16];
    size_t alen = pi.family == 4 ? 4 : 16;
    int unicast = 1;
    for (int i = 0; i < 2; i++) {
        const uint8_t *a = i ? pi.dst : pi.src;
        static const uint8_t bcast[4] = { 255, 255, 255, 255 };
        if (memcmp(a, zero, alen) == 0 || (pi.family == 6 && a[0] == 0xff) ||
            (pi.family == 4 && (a[0] >> 4 == 14 || memcmp(a, bcast, 4) == 0)))
            unicast = 0;
    }
    CHECK(packet_unicast(&pi) == unicast);

    static uint8_t out[PACKET_UNREACH_MAX + 64];
    for (int why = PACKET_UNREACH_PORT; why <= PACKET_UNREACH_PROHIBITED; why++) {
        size_t n = packet_build_unreach(data, size, &pi, (enum packet_unreach)why, out,
                                        PACKET_UNREACH_MAX);
        if (n == 0)
            continue;
        if (pi.family == 4) {
            CHECK(n >= 28 && n <= 576);
            CHECK(memcmp(out + 12, pi.dst, 4) == 0 && memcmp(out + 16, pi.src, 4) == 0);
            CHECK(verifies(sum16(out, 20, 0)) && verifies(sum16(out + 20, n - 20, 0)));
            CHECK(memcmp(out + 28, data, n - 28) == 0);
        } else {
            CHECK(n >= 48 && n <= PACKET_UNREACH_MAX);
            CHECK(memcmp(out + 8, pi.dst, 16) == 0 && memcmp(out + 24, pi.src, 16) == 0);
            uint32_t s = sum16(out + 8, 32, 0) + (uint32_t)(n - 40) + PACKET_ICMP6;
            CHECK(verifies(sum16(out + 40, n - 40, s)));
            CHECK(memcmp(out + 48, data, n - 48) == 0);
        }
    }
    return 0;
}
