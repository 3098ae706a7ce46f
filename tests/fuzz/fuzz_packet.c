/* libFuzzer harness for the packet parser and the ICMP answer builder
 * (netstack/packet.c): the bytes are one packet as the app's kernel could
 * write it to the TUN. Checked: parse never claims more than the packet
 * holds; the answer is within its cap, addressed back to the sender, and
 * its checksums verify. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "packet.h"

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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct packet_info pi;
    if (packet_parse(data, size, &pi) != PACKET_OK)
        return 0;
    CHECK(pi.family == 4 || pi.family == 6);
    if (packet_is_tcp_open(&pi))
        CHECK(pi.proto == PACKET_TCP && pi.has_ports);

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
