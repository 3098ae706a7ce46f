/* Unit tests for the IP/TCP/UDP header parser (netstack/packet.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "packet.h"

static const uint8_t SRC4[4] = { 10, 0, 0, 2 };
static const uint8_t DST4[4] = { 93, 184, 216, 34 };
static const uint8_t SRC6[16] = { 0xfd, 0x00, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2 };
static const uint8_t DST6[16] = { 0x20, 0x01, 0x0d, 0xb8, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12 };

static void put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }
static void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24); p[1] = (uint8_t)(v >> 16); p[2] = (uint8_t)(v >> 8); p[3] = (uint8_t)v;
}

static uint16_t get16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* IPv4 header of ihl 32-bit words; options are NOPs. Returns ihl * 4. */
static size_t ip4(uint8_t *b, unsigned ihl, uint16_t total, uint8_t proto, uint16_t frag)
{
    memset(b, 0, ihl * 4);
    b[0] = (uint8_t)(0x40 | ihl);
    put16(b + 2, total);
    put16(b + 4, 0x1234);
    put16(b + 6, frag);
    b[8] = 64;
    b[9] = proto;
    memcpy(b + 12, SRC4, 4);
    memcpy(b + 16, DST4, 4);
    memset(b + 20, 0x01, ihl * 4 > 20 ? ihl * 4 - 20 : 0);
    return ihl * 4;
}

static size_t ip6(uint8_t *b, uint16_t payload, uint8_t next)
{
    memset(b, 0, 40);
    b[0] = 0x60;
    put16(b + 4, payload);
    b[6] = next;
    b[7] = 64;
    memcpy(b + 8, SRC6, 16);
    memcpy(b + 24, DST6, 16);
    return 40;
}

static void tcp(uint8_t *t, uint16_t sport, uint16_t dport, uint32_t seq, uint8_t flags)
{
    memset(t, 0, 20);
    put16(t, sport);
    put16(t + 2, dport);
    put32(t + 4, seq);
    put32(t + 8, 0xA5A5A5A5);       /* ack number: must not leak into seq */
    t[12] = 5 << 4;
    t[13] = flags;
    put16(t + 14, 65535);
}

static void udp(uint8_t *u, uint16_t sport, uint16_t dport, uint16_t len)
{
    memset(u, 0, 8);
    put16(u, sport);
    put16(u + 2, dport);
    put16(u + 4, len);
}

/* Parses a heap copy of exactly len bytes so ASan sees any over-read. */
static enum packet_result parse(const uint8_t *buf, size_t len, struct packet_info *pi)
{
    uint8_t *copy = malloc(len);
    if (len > 0) {
        assert_non_null(copy);
        memcpy(copy, buf, len);
    }
    memset(pi, 0xA5, sizeof(*pi));
    enum packet_result r = packet_parse(copy, len, pi);
    free(copy);
    if (r != PACKET_OK) {
        assert_int_equal(pi->has_ports, 0);
        assert_false(packet_is_tcp_open(pi));
    }
    return r;
}

static void test_v4_syn(void **state)
{
    (void)state;
    uint8_t b[40];
    struct packet_info pi;
    static const uint8_t zero[16];

    ip4(b, 5, 40, PACKET_TCP, 0x4000);
    tcp(b + 20, 49153, 443, 0xDEADBEEF, PACKET_TCP_SYN);
    assert_int_equal(parse(b, sizeof(b), &pi), PACKET_OK);
    assert_int_equal(pi.family, 4);
    assert_int_equal(pi.proto, PACKET_TCP);
    assert_memory_equal(pi.src, SRC4, 4);
    assert_memory_equal(pi.dst, DST4, 4);
    assert_memory_equal(pi.src + 4, zero, 12);
    assert_memory_equal(pi.dst + 4, zero, 12);
    assert_int_equal(pi.sport, 49153);
    assert_int_equal(pi.dport, 443);
    assert_int_equal(pi.tcp_seq, 0xDEADBEEF);
    assert_int_equal(pi.tcp_flags, PACKET_TCP_SYN);
    assert_int_equal(pi.has_ports, 1);
    assert_true(packet_is_tcp_open(&pi));
}

static void test_tcp_flags(void **state)
{
    (void)state;
    static const struct { uint8_t flags; int open; } cases[] = {
        { 0x02, 1 },    /* SYN */
        { 0xC2, 1 },    /* SYN with ECE|CWR: an ECN-setup SYN opens too */
        { 0x03, 1 },    /* SYN|FIN: still no ACK or RST */
        { 0x0A, 1 },    /* SYN|PSH */
        { 0x12, 0 },    /* SYN|ACK */
        { 0x04, 0 },    /* RST */
        { 0x06, 0 },    /* SYN|RST */
        { 0x16, 0 },    /* SYN|RST|ACK */
        { 0x10, 0 },    /* ACK */
        { 0x18, 0 },    /* PSH|ACK */
        { 0x11, 0 },    /* FIN|ACK */
        { 0x00, 0 },
    };
    uint8_t b[60];
    struct packet_info pi;

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        ip4(b, 5, 40, PACKET_TCP, 0);
        tcp(b + 20, 1000, 80, 7, cases[i].flags);
        assert_int_equal(parse(b, 40, &pi), PACKET_OK);
        assert_int_equal(pi.tcp_flags, cases[i].flags);
        assert_int_equal(pi.has_ports, 1);
        assert_int_equal(packet_is_tcp_open(&pi), cases[i].open);

        ip6(b, 20, PACKET_TCP);
        tcp(b + 40, 1000, 80, 7, cases[i].flags);
        assert_int_equal(parse(b, 60, &pi), PACKET_OK);
        assert_int_equal(pi.tcp_flags, cases[i].flags);
        assert_int_equal(packet_is_tcp_open(&pi), cases[i].open);
    }
}

static void test_v4_options(void **state)
{
    (void)state;
    uint8_t b[80];
    struct packet_info pi;

    /* Option bytes that would pass for a different TCP header if the parser
     * assumed 20 bytes of IP header. */
    ip4(b, 6, 44, PACKET_TCP, 0);
    memcpy(b + 20, (const uint8_t[]){ 0x11, 0x11, 0x22, 0x22 }, 4);
    tcp(b + 24, 5555, 6666, 0x01020304, PACKET_TCP_SYN);
    assert_int_equal(parse(b, 44, &pi), PACKET_OK);
    assert_int_equal(pi.sport, 5555);
    assert_int_equal(pi.dport, 6666);
    assert_int_equal(pi.tcp_seq, 0x01020304);
    assert_true(packet_is_tcp_open(&pi));

    ip4(b, 15, 80, PACKET_TCP, 0);
    tcp(b + 60, 1, 65535, 0xFFFFFFFF, PACKET_TCP_SYN);
    assert_int_equal(parse(b, 80, &pi), PACKET_OK);
    assert_int_equal(pi.sport, 1);
    assert_int_equal(pi.dport, 65535);
    assert_int_equal(pi.tcp_seq, 0xFFFFFFFF);
    assert_true(packet_is_tcp_open(&pi));

    /* Header only, no transport at all. */
    ip4(b, 6, 24, PACKET_TCP, 0);
    assert_int_equal(parse(b, 24, &pi), PACKET_OK);
    assert_int_equal(pi.has_ports, 0);
    assert_false(packet_is_tcp_open(&pi));
}

static void test_v6_syn(void **state)
{
    (void)state;
    uint8_t b[60];
    struct packet_info pi;

    ip6(b, 20, PACKET_TCP);
    tcp(b + 40, 40000, 9050, 0x80000001, PACKET_TCP_SYN);
    assert_int_equal(parse(b, sizeof(b), &pi), PACKET_OK);
    assert_int_equal(pi.family, 6);
    assert_int_equal(pi.proto, PACKET_TCP);
    assert_memory_equal(pi.src, SRC6, 16);
    assert_memory_equal(pi.dst, DST6, 16);
    assert_int_equal(pi.sport, 40000);
    assert_int_equal(pi.dport, 9050);
    assert_int_equal(pi.tcp_seq, 0x80000001);
    assert_int_equal(pi.tcp_flags, PACKET_TCP_SYN);
    assert_int_equal(pi.has_ports, 1);
    assert_true(packet_is_tcp_open(&pi));
}

static void test_udp(void **state)
{
    (void)state;
    uint8_t b[80];
    struct packet_info pi;

    ip4(b, 5, 20 + 8 + 12, PACKET_UDP, 0);
    udp(b + 20, 53000, 53, 20);
    memset(b + 28, 0x02, 12);       /* payload byte 13 looks like a SYN */
    assert_int_equal(parse(b, 40, &pi), PACKET_OK);
    assert_int_equal(pi.family, 4);
    assert_int_equal(pi.proto, PACKET_UDP);
    assert_int_equal(pi.sport, 53000);
    assert_int_equal(pi.dport, 53);
    assert_int_equal(pi.has_ports, 1);
    assert_int_equal(pi.tcp_flags, 0);
    assert_int_equal(pi.tcp_seq, 0);
    assert_false(packet_is_tcp_open(&pi));

    ip6(b, 8, PACKET_UDP);
    udp(b + 40, 5353, 443, 8);
    assert_int_equal(parse(b, 48, &pi), PACKET_OK);
    assert_int_equal(pi.family, 6);
    assert_int_equal(pi.proto, PACKET_UDP);
    assert_memory_equal(pi.src, SRC6, 16);
    assert_memory_equal(pi.dst, DST6, 16);
    assert_int_equal(pi.sport, 5353);
    assert_int_equal(pi.dport, 443);
    assert_int_equal(pi.has_ports, 1);
    assert_false(packet_is_tcp_open(&pi));
}

static void test_other_protocols(void **state)
{
    (void)state;
    uint8_t b[60];
    struct packet_info pi;

    ip4(b, 5, 40, 1 /* ICMP */, 0);
    memset(b + 20, 0x02, 20);
    assert_int_equal(parse(b, 40, &pi), PACKET_OK);
    assert_int_equal(pi.proto, 1);
    assert_int_equal(pi.has_ports, 0);
    assert_int_equal(pi.sport, 0);
    assert_false(packet_is_tcp_open(&pi));

    /* A TCP SYN behind an extension header is not looked for. */
    ip6(b, 20, 0 /* hop-by-hop */);
    tcp(b + 40, 1, 2, 3, PACKET_TCP_SYN);
    assert_int_equal(parse(b, 60, &pi), PACKET_OK);
    assert_int_equal(pi.proto, 0);
    assert_int_equal(pi.has_ports, 0);
    assert_false(packet_is_tcp_open(&pi));
}

static void test_malformed(void **state)
{
    (void)state;
    uint8_t b[80];
    struct packet_info pi;

    memset(b, 0x5A, sizeof(b));
    assert_int_equal(parse(b, 0, &pi), PACKET_TOO_SHORT);

    ip4(b, 5, 40, PACKET_TCP, 0);
    tcp(b + 20, 1, 2, 3, PACKET_TCP_SYN);
    for (size_t len = 1; len < 20; len++)
        assert_int_equal(parse(b, len, &pi), PACKET_TOO_SHORT);
    /* Total length beyond the buffer, for every cut. */
    for (size_t len = 20; len < 40; len++)
        assert_int_equal(parse(b, len, &pi), PACKET_TOO_SHORT);
    assert_int_equal(parse(b, 40, &pi), PACKET_OK);

    for (unsigned ihl = 0; ihl < 5; ihl++) {
        ip4(b, 5, 40, PACKET_TCP, 0);
        b[0] = (uint8_t)(0x40 | ihl);
        assert_int_equal(parse(b, 40, &pi), PACKET_BAD_HEADER);
    }
    ip4(b, 5, 19, PACKET_TCP, 0);
    assert_int_equal(parse(b, 40, &pi), PACKET_BAD_HEADER);
    ip4(b, 5, 0, PACKET_TCP, 0);
    assert_int_equal(parse(b, 40, &pi), PACKET_BAD_HEADER);
    ip4(b, 6, 23, PACKET_TCP, 0);
    assert_int_equal(parse(b, 40, &pi), PACKET_BAD_HEADER);
    ip4(b, 15, 59, PACKET_TCP, 0);
    assert_int_equal(parse(b, 80, &pi), PACKET_BAD_HEADER);
    /* IHL 15 in a 20-byte buffer: the claimed header is not there. */
    ip4(b, 5, 60, PACKET_TCP, 0);
    b[0] = 0x4f;
    assert_int_equal(parse(b, 20, &pi), PACKET_TOO_SHORT);

    static const uint8_t versions[] = { 0, 1, 5, 7, 15 };
    for (size_t i = 0; i < sizeof(versions); i++) {
        ip4(b, 5, 40, PACKET_TCP, 0);
        tcp(b + 20, 1, 2, 3, PACKET_TCP_SYN);
        b[0] = (uint8_t)(versions[i] << 4 | 5);
        assert_int_equal(parse(b, 40, &pi), PACKET_BAD_VERSION);
        assert_int_equal(parse(b, 80, &pi), PACKET_BAD_VERSION);
    }

    ip6(b, 20, PACKET_TCP);
    tcp(b + 40, 1, 2, 3, PACKET_TCP_SYN);
    for (size_t len = 1; len < 60; len++)
        assert_int_equal(parse(b, len, &pi), PACKET_TOO_SHORT);
    ip6(b, 0xFFFF, PACKET_TCP);
    assert_int_equal(parse(b, 80, &pi), PACKET_TOO_SHORT);
    ip6(b, 41, PACKET_TCP);
    assert_int_equal(parse(b, 80, &pi), PACKET_TOO_SHORT);
}

static void test_short_transport(void **state)
{
    (void)state;
    uint8_t b[80];
    struct packet_info pi;

    /* The buffer holds a whole SYN, but the IP length gives TCP only 10
     * bytes: what lies past the total length is padding, not header. */
    ip4(b, 5, 30, PACKET_TCP, 0);
    tcp(b + 20, 1234, 80, 99, PACKET_TCP_SYN);
    assert_int_equal(parse(b, 40, &pi), PACKET_OK);
    assert_int_equal(pi.family, 4);
    assert_int_equal(pi.proto, PACKET_TCP);
    assert_int_equal(pi.has_ports, 0);
    assert_int_equal(pi.sport, 0);
    assert_int_equal(pi.dport, 0);
    assert_false(packet_is_tcp_open(&pi));
    assert_int_equal(parse(b, 30, &pi), PACKET_OK);
    assert_int_equal(pi.has_ports, 0);

    ip4(b, 5, 39, PACKET_TCP, 0);
    assert_int_equal(parse(b, 40, &pi), PACKET_OK);
    assert_int_equal(pi.has_ports, 0);
    ip4(b, 5, 40, PACKET_TCP, 0);
    assert_int_equal(parse(b, 40, &pi), PACKET_OK);
    assert_int_equal(pi.has_ports, 1);
    assert_true(packet_is_tcp_open(&pi));

    ip4(b, 5, 27, PACKET_UDP, 0);
    udp(b + 20, 1, 2, 8);
    assert_int_equal(parse(b, 40, &pi), PACKET_OK);
    assert_int_equal(pi.has_ports, 0);
    ip4(b, 5, 28, PACKET_UDP, 0);
    assert_int_equal(parse(b, 28, &pi), PACKET_OK);
    assert_int_equal(pi.has_ports, 1);
    assert_int_equal(pi.sport, 1);

    ip6(b, 10, PACKET_TCP);
    tcp(b + 40, 1234, 80, 99, PACKET_TCP_SYN);
    assert_int_equal(parse(b, 60, &pi), PACKET_OK);
    assert_int_equal(pi.has_ports, 0);
    assert_false(packet_is_tcp_open(&pi));
    ip6(b, 19, PACKET_TCP);
    assert_int_equal(parse(b, 60, &pi), PACKET_OK);
    assert_int_equal(pi.has_ports, 0);
    ip6(b, 0, PACKET_TCP);
    assert_int_equal(parse(b, 40, &pi), PACKET_OK);
    assert_int_equal(pi.has_ports, 0);
    ip6(b, 7, PACKET_UDP);
    assert_int_equal(parse(b, 60, &pi), PACKET_OK);
    assert_int_equal(pi.has_ports, 0);
}

static void test_padding_ignored(void **state)
{
    (void)state;
    uint8_t b[64];
    struct packet_info pi;

    /* A minimum-size Ethernet frame pads a 40-byte SYN with zeros. */
    memset(b, 0, sizeof(b));
    ip4(b, 5, 40, PACKET_TCP, 0);
    tcp(b + 20, 777, 888, 42, PACKET_TCP_SYN);
    assert_int_equal(parse(b, sizeof(b), &pi), PACKET_OK);
    assert_int_equal(pi.sport, 777);
    assert_int_equal(pi.dport, 888);
    assert_true(packet_is_tcp_open(&pi));
}

static void test_fragments(void **state)
{
    (void)state;
    static const struct { uint16_t frag; int ports; } cases[] = {
        { 0x0000, 1 }, { 0x2000, 1 } /* MF, first */, { 0x4000, 1 } /* DF */,
        { 0x8000, 1 } /* reserved bit */, { 0x0001, 0 }, { 0x2001, 0 },
        { 0x4001, 0 }, { 0x0100, 0 }, { 0x1fff, 0 }, { 0x3fff, 0 },
    };
    uint8_t b[40];
    struct packet_info pi;

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        ip4(b, 5, 40, PACKET_TCP, cases[i].frag);
        tcp(b + 20, 4321, 80, 5, PACKET_TCP_SYN);
        assert_int_equal(parse(b, 40, &pi), PACKET_OK);
        assert_int_equal(pi.family, 4);
        assert_int_equal(pi.proto, PACKET_TCP);
        assert_memory_equal(pi.src, SRC4, 4);
        assert_memory_equal(pi.dst, DST4, 4);
        assert_int_equal(pi.has_ports, cases[i].ports);
        assert_int_equal(pi.sport, cases[i].ports ? 4321 : 0);
        assert_int_equal(packet_is_tcp_open(&pi), cases[i].ports);
    }
}

/* ---- ICMP type in packet_parse ----------------------------------------- */

static void test_parse_icmp(void **state)
{
    (void)state;
    uint8_t b[64];
    struct packet_info pi;

    ip4(b, 5, 28, PACKET_ICMP, 0);
    memset(b + 20, 0, 8);
    b[20] = PACKET_ICMP_ECHO_REQUEST;
    assert_int_equal(parse(b, 28, &pi), PACKET_OK);
    assert_int_equal(pi.has_icmp, 1);
    assert_int_equal(pi.icmp_type, PACKET_ICMP_ECHO_REQUEST);
    assert_int_equal(pi.has_ports, 0);
    assert_false(packet_is_tcp_open(&pi));
    /* The type is the first byte: one byte of ICMP is enough to see it. */
    ip4(b, 5, 21, PACKET_ICMP, 0);
    assert_int_equal(parse(b, 21, &pi), PACKET_OK);
    assert_int_equal(pi.has_icmp, 1);
    assert_int_equal(pi.icmp_type, PACKET_ICMP_ECHO_REQUEST);
    /* No ICMP byte inside the total length: the 8 after it is padding. */
    ip4(b, 5, 20, PACKET_ICMP, 0);
    assert_int_equal(parse(b, 28, &pi), PACKET_OK);
    assert_int_equal(pi.has_icmp, 0);
    assert_int_equal(pi.icmp_type, 0);
    /* A later fragment starts mid-payload: its first byte is no type. */
    ip4(b, 5, 28, PACKET_ICMP, 0x0001);
    assert_int_equal(parse(b, 28, &pi), PACKET_OK);
    assert_int_equal(pi.has_icmp, 0);
    /* ICMPv6 (58) inside IPv4 is not ICMP. */
    ip4(b, 5, 28, PACKET_ICMP6, 0);
    assert_int_equal(parse(b, 28, &pi), PACKET_OK);
    assert_int_equal(pi.has_icmp, 0);

    ip6(b, 8, PACKET_ICMP6);
    memset(b + 40, 0, 8);
    b[40] = PACKET_ICMP6_ECHO_REQUEST;
    assert_int_equal(parse(b, 48, &pi), PACKET_OK);
    assert_int_equal(pi.has_icmp, 1);
    assert_int_equal(pi.icmp_type, PACKET_ICMP6_ECHO_REQUEST);
    assert_int_equal(pi.has_ports, 0);
    ip6(b, 1, PACKET_ICMP6);
    assert_int_equal(parse(b, 41, &pi), PACKET_OK);
    assert_int_equal(pi.has_icmp, 1);
    assert_int_equal(pi.icmp_type, PACKET_ICMP6_ECHO_REQUEST);
    ip6(b, 0, PACKET_ICMP6);
    assert_int_equal(parse(b, 48, &pi), PACKET_OK);
    assert_int_equal(pi.has_icmp, 0);
    assert_int_equal(pi.icmp_type, 0);
    /* IPv4's ICMP number (1) behind an IPv6 header is not ICMPv6. */
    ip6(b, 8, PACKET_ICMP);
    assert_int_equal(parse(b, 48, &pi), PACKET_OK);
    assert_int_equal(pi.has_icmp, 0);
}

/* ---- destination unreachable ------------------------------------------- */

/* One's-complement sum of big-endian 16-bit words, folded but not inverted.
 * Written apart from packet.c's, so that a shared mistake cannot pass: a
 * region whose checksum field is right sums to 0xFFFF. */
static uint16_t ones_sum(uint32_t sum, const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        sum += i % 2 == 0 ? (uint32_t)p[i] << 8 : p[i];
    while (sum > 0xFFFF)
        sum = (sum >> 16) + (sum & 0xFFFF);
    return (uint16_t)sum;
}

static int sum_ok(const uint8_t *p, size_t n) { return ones_sum(0, p, n) == 0xFFFF; }

/* ICMPv6 covers a pseudo-header too (RFC 8200 8.1): source, destination,
 * 32-bit upper-layer length, three zeros and next header 58. */
static int sum6_ok(const uint8_t *ip, const uint8_t *icmp, size_t n)
{
    uint8_t pseudo[40];
    memcpy(pseudo, ip + 8, 32);
    put32(pseudo + 32, (uint32_t)n);
    memset(pseudo + 36, 0, 3);
    pseudo[39] = PACKET_ICMP6;
    return ones_sum(ones_sum(0, pseudo, sizeof(pseudo)), icmp, n) == 0xFFFF;
}

static void test_checksum_verifier(void **state)
{
    (void)state;
    /* A known-good IPv4 header (checksum 0xb861), so that the verifier the
     * tests below rely on is itself checked, and shown to notice damage. */
    uint8_t h[20] = { 0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11,
                      0xb8, 0x61, 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7 };
    assert_true(sum_ok(h, sizeof(h)));
    h[15] ^= 0x10;
    assert_false(sum_ok(h, sizeof(h)));
    /* Odd length: the last byte is the high half of a zero-padded word. */
    static const uint8_t odd[3] = { 0x12, 0x34, 0x56 };
    assert_int_equal(ones_sum(0, odd, 3), 0x6834);
}

#define GUARD 64

/* Answers in[0..len) into out[0..cap). The input is a heap copy of exactly
 * len bytes and the output a heap buffer of cap bytes plus a guard, so ASan
 * catches any over-read and the guard any write past cap. */
static size_t answer(const uint8_t *in, size_t len, enum packet_unreach why, uint8_t *out, size_t cap)
{
    struct packet_info pi;
    assert_int_equal(parse(in, len, &pi), PACKET_OK);
    uint8_t *copy = malloc(len);
    uint8_t *buf = malloc(cap + GUARD);
    assert_non_null(copy);
    assert_non_null(buf);
    memcpy(copy, in, len);
    memset(buf, 0xEE, cap + GUARD);
    size_t n = packet_build_unreach(copy, len, &pi, why, buf, cap);
    assert_true(n <= cap);
    for (size_t i = cap; i < cap + GUARD; i++)
        if (buf[i] != 0xEE)
            fail_msg("byte %zu written with cap %zu", i, cap);
    memcpy(out, buf, n);
    free(buf);
    free(copy);
    return n;
}

/* The whole of an IPv4 answer, against the packet in[0..len) it answers. */
static void check_unreach4(const uint8_t *a, size_t n, const uint8_t *in, size_t len, uint8_t code)
{
    size_t quote = len < 576 - 28 ? len : 576 - 28;
    assert_int_equal(n, 28 + quote);
    assert_true(n <= 576);
    assert_int_equal(a[0], 0x45);             /* version 4, no options */
    assert_int_equal(get16(a + 2), n);
    assert_int_equal(get16(a + 6) & 0x3fff, 0);   /* not a fragment */
    assert_int_equal(a[8], 64);
    assert_int_equal(a[9], PACKET_ICMP);
    assert_memory_equal(a + 12, in + 16, 4);  /* from where it was going */
    assert_memory_equal(a + 16, in + 12, 4);  /* back to who sent it */
    assert_true(sum_ok(a, 20));
    assert_int_equal(a[20], 3);
    assert_int_equal(a[21], code);
    assert_int_equal(get32(a + 24), 0);       /* unused */
    assert_true(sum_ok(a + 20, n - 20));
    assert_memory_equal(a + 28, in, quote);
}

static void check_unreach6(const uint8_t *a, size_t n, const uint8_t *in, size_t len, uint8_t code)
{
    size_t quote = len < 1280 - 48 ? len : 1280 - 48;
    assert_int_equal(n, 48 + quote);
    assert_true(n <= 1280);
    assert_int_equal(get32(a), 0x60000000);   /* no traffic class, no flow */
    assert_int_equal(get16(a + 4), n - 40);
    assert_int_equal(a[6], PACKET_ICMP6);
    assert_int_equal(a[7], 64);
    assert_memory_equal(a + 8, in + 24, 16);
    assert_memory_equal(a + 24, in + 8, 16);
    assert_int_equal(a[40], 1);
    assert_int_equal(a[41], code);
    assert_int_equal(get32(a + 44), 0);       /* unused */
    assert_true(sum6_ok(a, a + 40, n - 40));
    assert_memory_equal(a + 48, in, quote);
}

/* A UDP datagram of len bytes in all, with a payload that differs at every
 * offset, so a quote from the wrong place or of the wrong length shows. */
static void udp4(uint8_t *b, size_t len)
{
    ip4(b, 5, (uint16_t)len, PACKET_UDP, 0);
    udp(b + 20, 53000, 33434, (uint16_t)(len - 20));
    for (size_t i = 28; i < len; i++)
        b[i] = (uint8_t)(i * 7 + i / 256);
}

static void udp6(uint8_t *b, size_t len)
{
    ip6(b, (uint16_t)(len - 40), PACKET_UDP);
    udp(b + 40, 53000, 33434, (uint16_t)(len - 40));
    for (size_t i = 48; i < len; i++)
        b[i] = (uint8_t)(i * 7 + i / 256);
}

static void test_unreach_v4(void **state)
{
    (void)state;
    uint8_t b[64], a[PACKET_UNREACH_MAX];
    struct packet_info pi;

    udp4(b, 40);
    size_t n = answer(b, 40, PACKET_UNREACH_PORT, a, sizeof(a));
    check_unreach4(a, n, b, 40, 3);
    assert_memory_equal(a + 12, DST4, 4);
    assert_memory_equal(a + 16, SRC4, 4);
    n = answer(b, 40, PACKET_UNREACH_PROHIBITED, a, sizeof(a));
    check_unreach4(a, n, b, 40, 13);

    /* The answer parses as what it is, and being an ICMP error itself it is
     * never answered in turn. */
    assert_int_equal(parse(a, n, &pi), PACKET_OK);
    assert_int_equal(pi.family, 4);
    assert_int_equal(pi.proto, PACKET_ICMP);
    assert_int_equal(pi.has_icmp, 1);
    assert_int_equal(pi.icmp_type, 3);
    assert_int_equal(answer(a, n, PACKET_UNREACH_PORT, b, sizeof(b)), 0);

    /* Options in the original: the answer still has a 20-byte header and
     * quotes the options with the rest. */
    ip4(b, 7, 28 + 8, PACKET_UDP, 0);
    udp(b + 28, 1, 2, 8);
    n = answer(b, 36, PACKET_UNREACH_PORT, a, sizeof(a));
    check_unreach4(a, n, b, 36, 3);

    /* A TCP SYN is answered like anything else that is not ICMP. */
    ip4(b, 5, 40, PACKET_TCP, 0);
    tcp(b + 20, 40000, 25, 1, PACKET_TCP_SYN);
    n = answer(b, 40, PACKET_UNREACH_PROHIBITED, a, sizeof(a));
    check_unreach4(a, n, b, 40, 13);
}

static void test_unreach_v6(void **state)
{
    (void)state;
    uint8_t b[64], a[PACKET_UNREACH_MAX];
    struct packet_info pi;

    udp6(b, 60);
    size_t n = answer(b, 60, PACKET_UNREACH_PORT, a, sizeof(a));
    check_unreach6(a, n, b, 60, 4);
    assert_memory_equal(a + 8, DST6, 16);
    assert_memory_equal(a + 24, SRC6, 16);
    n = answer(b, 60, PACKET_UNREACH_PROHIBITED, a, sizeof(a));
    check_unreach6(a, n, b, 60, 1);

    assert_int_equal(parse(a, n, &pi), PACKET_OK);
    assert_int_equal(pi.family, 6);
    assert_int_equal(pi.proto, PACKET_ICMP6);
    assert_int_equal(pi.has_icmp, 1);
    assert_int_equal(pi.icmp_type, 1);
    assert_int_equal(answer(a, n, PACKET_UNREACH_PORT, b, sizeof(b)), 0);

    ip6(b, 20, PACKET_TCP);
    tcp(b + 40, 40000, 25, 1, PACKET_TCP_SYN);
    n = answer(b, 60, PACKET_UNREACH_PROHIBITED, a, sizeof(a));
    check_unreach6(a, n, b, 60, 1);
}

static void test_unreach_lengths(void **state)
{
    (void)state;
    /* Odd lengths exercise the checksum's padding byte; 548 / 1232 are the
     * largest quotes that fit, one more must be cut, 1500 is a full frame. */
    static const size_t lens4[] = { 28, 29, 33, 101, 547, 548, 549, 1000, 1500 };
    static const size_t lens6[] = { 48, 49, 53, 101, 1231, 1232, 1233, 1279, 1280, 1500 };
    uint8_t b[1500], a[PACKET_UNREACH_MAX];

    for (size_t i = 0; i < sizeof(lens4) / sizeof(lens4[0]); i++) {
        udp4(b, lens4[i]);
        size_t n = answer(b, lens4[i], PACKET_UNREACH_PORT, a, sizeof(a));
        check_unreach4(a, n, b, lens4[i], 3);
    }
    for (size_t i = 0; i < sizeof(lens6) / sizeof(lens6[0]); i++) {
        udp6(b, lens6[i]);
        size_t n = answer(b, lens6[i], PACKET_UNREACH_PORT, a, sizeof(a));
        check_unreach6(a, n, b, lens6[i], 4);
    }

    /* A full 1500-byte datagram: exactly the minimum each family promises
     * to carry, so the answer needs no fragmenting anywhere. */
    udp4(b, 1500);
    assert_int_equal(answer(b, 1500, PACKET_UNREACH_PORT, a, sizeof(a)), 576);
    assert_int_equal(get16(a + 2), 576);
    assert_memory_equal(a + 28, b, 548);
    udp6(b, 1500);
    assert_int_equal(answer(b, 1500, PACKET_UNREACH_PORT, a, sizeof(a)), 1280);
    assert_int_equal(get16(a + 4), 1240);
    assert_memory_equal(a + 48, b, 1232);
}

static void test_unreach_icmp(void **state)
{
    (void)state;
    uint8_t b[64], a[PACKET_UNREACH_MAX];

    /* A ping is answered: "prohibited" is how a refused ping is told. */
    ip4(b, 5, 28, PACKET_ICMP, 0);
    memset(b + 20, 0, 8);
    b[20] = PACKET_ICMP_ECHO_REQUEST;
    size_t n = answer(b, 28, PACKET_UNREACH_PROHIBITED, a, sizeof(a));
    check_unreach4(a, n, b, 28, 13);
    /* So is the first fragment of a large one. */
    put16(b + 6, 0x2000);
    n = answer(b, 28, PACKET_UNREACH_PROHIBITED, a, sizeof(a));
    check_unreach4(a, n, b, 28, 13);

    /* ICMP errors are never answered (RFC 1122 3.2.2), nor is ICMP whose
     * type cannot be seen: a later fragment, or no ICMP byte at all. */
    static const uint8_t errors4[] = { 3, 4, 5, 11, 12 };
    for (size_t i = 0; i < sizeof(errors4); i++) {
        ip4(b, 5, 28, PACKET_ICMP, 0);
        b[20] = errors4[i];
        assert_int_equal(answer(b, 28, PACKET_UNREACH_PORT, a, sizeof(a)), 0);
        assert_int_equal(answer(b, 28, PACKET_UNREACH_PROHIBITED, a, sizeof(a)), 0);
    }
    ip4(b, 5, 28, PACKET_ICMP, 0x0001);
    b[20] = PACKET_ICMP_ECHO_REQUEST;
    assert_int_equal(answer(b, 28, PACKET_UNREACH_PROHIBITED, a, sizeof(a)), 0);
    ip4(b, 5, 28, PACKET_ICMP, 0x20b9);
    b[20] = PACKET_ICMP_ECHO_REQUEST;
    assert_int_equal(answer(b, 28, PACKET_UNREACH_PROHIBITED, a, sizeof(a)), 0);
    ip4(b, 5, 20, PACKET_ICMP, 0);
    assert_int_equal(answer(b, 20, PACKET_UNREACH_PROHIBITED, a, sizeof(a)), 0);

    ip6(b, 8, PACKET_ICMP6);
    memset(b + 40, 0, 8);
    b[40] = PACKET_ICMP6_ECHO_REQUEST;
    n = answer(b, 48, PACKET_UNREACH_PROHIBITED, a, sizeof(a));
    check_unreach6(a, n, b, 48, 1);

    /* ICMPv6 types below 128 are errors (RFC 4443 2.1, 2.4 e). */
    static const uint8_t errors6[] = { 1, 2, 3, 4, 100, 127 };
    for (size_t i = 0; i < sizeof(errors6); i++) {
        ip6(b, 8, PACKET_ICMP6);
        b[40] = errors6[i];
        assert_int_equal(answer(b, 48, PACKET_UNREACH_PORT, a, sizeof(a)), 0);
        assert_int_equal(answer(b, 48, PACKET_UNREACH_PROHIBITED, a, sizeof(a)), 0);
    }
    ip6(b, 0, PACKET_ICMP6);
    assert_int_equal(answer(b, 40, PACKET_UNREACH_PROHIBITED, a, sizeof(a)), 0);
}

static void test_unreach_cap(void **state)
{
    (void)state;
    uint8_t b[1500], a[PACKET_UNREACH_MAX];

    /* One byte short is refused whole, with nothing written past cap (the
     * guard in answer()); the exact size is enough. */
    udp4(b, 40);
    assert_int_equal(answer(b, 40, PACKET_UNREACH_PORT, a, 67), 0);
    assert_int_equal(answer(b, 40, PACKET_UNREACH_PORT, a, 0), 0);
    assert_int_equal(answer(b, 40, PACKET_UNREACH_PORT, a, 68), 68);
    check_unreach4(a, 68, b, 40, 3);
    udp4(b, 1500);
    assert_int_equal(answer(b, 1500, PACKET_UNREACH_PORT, a, 575), 0);
    assert_int_equal(answer(b, 1500, PACKET_UNREACH_PORT, a, 576), 576);
    check_unreach4(a, 576, b, 1500, 3);

    udp6(b, 60);
    assert_int_equal(answer(b, 60, PACKET_UNREACH_PORT, a, 107), 0);
    assert_int_equal(answer(b, 60, PACKET_UNREACH_PORT, a, 0), 0);
    assert_int_equal(answer(b, 60, PACKET_UNREACH_PORT, a, 108), 108);
    check_unreach6(a, 108, b, 60, 4);
    udp6(b, 1500);
    assert_int_equal(answer(b, 1500, PACKET_UNREACH_PORT, a, 1279), 0);
    assert_int_equal(answer(b, 1500, PACKET_UNREACH_PORT, a, 1280), 1280);
    check_unreach6(a, 1280, b, 1500, 4);
}

/* ---- fuzz against an independent reading of the formats --------------- */

static uint64_t rng_state = 0x2545F4914F6CDD1Dull;

static uint32_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (uint32_t)(rng_state >> 16);
}

static enum packet_result oracle(const uint8_t *b, size_t len, size_t *l4, size_t *l4len)
{
    size_t ihl, total;
    if (len == 0)
        return PACKET_TOO_SHORT;
    if (b[0] >> 4 == 4) {
        if (len < 20)
            return PACKET_TOO_SHORT;
        ihl = (size_t)(b[0] & 15) * 4;
        total = (size_t)b[2] * 256 + b[3];
        if (ihl < 20 || total < ihl)
            return PACKET_BAD_HEADER;
        if (total > len)
            return PACKET_TOO_SHORT;
        int offset = (b[6] & 0x1f) * 256 + b[7];
        *l4 = ihl;
        *l4len = offset == 0 ? total - ihl : 0;
        return PACKET_OK;
    }
    if (b[0] >> 4 == 6) {
        if (len < 40)
            return PACKET_TOO_SHORT;
        total = 40 + (size_t)b[4] * 256 + b[5];
        if (total > len)
            return PACKET_TOO_SHORT;
        *l4 = 40;
        *l4len = total - 40;
        return PACKET_OK;
    }
    return PACKET_BAD_VERSION;
}

static void test_fuzz(void **state)
{
    (void)state;
    static const uint8_t first[] = { 0x45, 0x46, 0x4f, 0x44, 0x40, 0x60, 0x6f, 0x50, 0x00 };
    static const uint8_t protos[] = { PACKET_TCP, PACKET_UDP, 1, 58 };
    unsigned seen[4] = { 0 }, ports = 0, opens = 0, icmps = 0, answered = 0, refused = 0;
    uint8_t b[128], a[PACKET_UNREACH_MAX];

    for (int iter = 0; iter < 200000; iter++) {
        size_t len = rnd() % 101;
        for (size_t i = 0; i < sizeof(b); i++)
            b[i] = (uint8_t)rnd();
        /* Steer most packets past the first checks, to reach the transport. */
        if (rnd() % 4 != 0) {
            b[0] = first[rnd() % sizeof(first)];
            uint16_t claim = (uint16_t)(rnd() % (len + 8));
            if (b[0] >> 4 == 4) {
                put16(b + 2, claim);
                if (rnd() % 2) {
                    b[6] &= 0xe0;
                    b[7] = 0;
                }
                b[9] = protos[rnd() % sizeof(protos)];
            } else {
                put16(b + 4, (uint16_t)(claim > 40 ? claim - 40 : claim % 8));
                b[6] = protos[rnd() % sizeof(protos)];
            }
        }

        struct packet_info pi;
        size_t l4 = 0, l4len = 0;
        enum packet_result want = oracle(b, len, &l4, &l4len);
        enum packet_result got = parse(b, len, &pi);
        assert_int_equal(got, want);
        seen[got]++;
        if (got != PACKET_OK)
            continue;

        int v4 = b[0] >> 4 == 4;
        assert_int_equal(pi.family, v4 ? 4 : 6);
        assert_int_equal(pi.proto, v4 ? b[9] : b[6]);
        assert_memory_equal(pi.src, b + (v4 ? 12 : 8), v4 ? 4 : 16);
        assert_memory_equal(pi.dst, b + (v4 ? 16 : 24), v4 ? 4 : 16);
        size_t need = pi.proto == PACKET_TCP ? 20 : pi.proto == PACKET_UDP ? 8 : 0;
        int want_ports = need > 0 && l4len >= need;
        assert_int_equal(pi.has_ports, want_ports);
        if (want_ports) {
            ports++;
            assert_int_equal(pi.sport, b[l4] * 256 + b[l4 + 1]);
            assert_int_equal(pi.dport, b[l4 + 2] * 256 + b[l4 + 3]);
            if (pi.proto == PACKET_TCP) {
                assert_int_equal(pi.tcp_flags, b[l4 + 13]);
                assert_int_equal(pi.tcp_seq, (uint32_t)b[l4 + 4] << 24 | (uint32_t)b[l4 + 5] << 16 |
                                             (uint32_t)b[l4 + 6] << 8 | b[l4 + 7]);
            }
        } else {
            assert_int_equal(pi.sport, 0);
            assert_int_equal(pi.dport, 0);
        }
        int want_open = want_ports && pi.proto == PACKET_TCP && (b[l4 + 13] & 0x16) == 0x02;
        assert_int_equal(packet_is_tcp_open(&pi), want_open);
        opens += (unsigned)want_open;

        /* ICMP only in its own family, and only with its first byte. */
        int icmp = pi.proto == (v4 ? PACKET_ICMP : PACKET_ICMP6);
        int want_icmp = icmp && l4len >= 1;
        assert_int_equal(pi.has_icmp, want_icmp);
        assert_int_equal(pi.icmp_type, want_icmp ? b[l4] : 0);
        icmps += (unsigned)want_icmp;

        /* Whatever is answered is well formed; anything not ICMP is
         * answered; an ICMP error, or ICMP of unknown type, is not. Types
         * that are neither (v4 echo reply, say) may go either way. */
        enum packet_unreach why = rnd() % 2 ? PACKET_UNREACH_PORT : PACKET_UNREACH_PROHIBITED;
        size_t n = answer(b, len, why, a, sizeof(a));
        int error = icmp && (!want_icmp || (v4 ? memchr("\3\4\5\13\14", b[l4], 5) != NULL
                                                : b[l4] < 128));
        if (!icmp)
            assert_true(n > 0);
        if (error)
            assert_int_equal(n, 0);
        if (n > 0 && v4)
            check_unreach4(a, n, b, len, why == PACKET_UNREACH_PORT ? 3 : 13);
        else if (n > 0)
            check_unreach6(a, n, b, len, why == PACKET_UNREACH_PORT ? 4 : 1);
        answered += n > 0;
        refused += error;
    }
    /* Every verdict must have come up, or the loop tested little. */
    for (int i = 0; i < 4; i++)
        assert_true(seen[i] > 1000);
    assert_true(ports > 1000);
    assert_true(opens > 100);
    assert_true(icmps > 1000);
    assert_true(answered > 1000);
    assert_true(refused > 1000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_v4_syn),
        cmocka_unit_test(test_tcp_flags),
        cmocka_unit_test(test_v4_options),
        cmocka_unit_test(test_v6_syn),
        cmocka_unit_test(test_udp),
        cmocka_unit_test(test_other_protocols),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_short_transport),
        cmocka_unit_test(test_padding_ignored),
        cmocka_unit_test(test_fragments),
        cmocka_unit_test(test_parse_icmp),
        cmocka_unit_test(test_checksum_verifier),
        cmocka_unit_test(test_unreach_v4),
        cmocka_unit_test(test_unreach_v6),
        cmocka_unit_test(test_unreach_lengths),
        cmocka_unit_test(test_unreach_icmp),
        cmocka_unit_test(test_unreach_cap),
        cmocka_unit_test(test_fuzz),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
