/* Shared by the packet unit tests (test_packet.c, test_packet_icmp.c):
 * builders for IPv4/IPv6/TCP/UDP headers, a parse that ASan watches, and an
 * independent reading of the ICMP answers packet.c builds. */
#ifndef TORGATE_TEST_PACKET_UTIL_H
#define TORGATE_TEST_PACKET_UTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "netstack/packet.h"

static const uint8_t SRC4[4] = { 10, 0, 0, 2 };
static const uint8_t DST4[4] = { 93, 184, 216, 34 };
static const uint8_t SRC6[16] = { 0xfd, 0x00, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2 };
static const uint8_t DST6[16] = { 0x20, 0x01, 0x0d, 0xb8, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12 };

static inline void put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }
static inline void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24); p[1] = (uint8_t)(v >> 16); p[2] = (uint8_t)(v >> 8); p[3] = (uint8_t)v;
}

static inline uint16_t get16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static inline uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* IPv4 header of ihl 32-bit words; options are NOPs. Returns ihl * 4. */
static inline size_t ip4(uint8_t *b, unsigned ihl, uint16_t total, uint8_t proto, uint16_t frag)
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

static inline size_t ip6(uint8_t *b, uint16_t payload, uint8_t next)
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

static inline void tcp(uint8_t *t, uint16_t sport, uint16_t dport, uint32_t seq, uint8_t flags)
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

static inline void udp(uint8_t *u, uint16_t sport, uint16_t dport, uint16_t len)
{
    memset(u, 0, 8);
    put16(u, sport);
    put16(u + 2, dport);
    put16(u + 4, len);
}

/* Parses a heap copy of exactly len bytes so ASan sees any over-read
 * (calloc: a zero-length copy is still initialised, for the compiler). */
static inline enum packet_result parse(const uint8_t *buf, size_t len, struct packet_info *pi)
{
    uint8_t *copy = calloc(len > 0 ? len : 1, 1);
    assert_non_null(copy);
    if (len > 0)
        memcpy(copy, buf, len);
    memset(pi, 0xA5, sizeof(*pi));
    enum packet_result r = packet_parse(copy, len, pi);
    free(copy);
    if (r != PACKET_OK) {
        assert_int_equal(pi->has_ports, 0);
        assert_false(packet_is_tcp_open(pi));
    }
    return r;
}

/* ---- reading ICMP answers ---------------------------------------------- */


/* One's-complement sum of big-endian 16-bit words, folded but not inverted.
 * Written apart from packet.c's, so that a shared mistake cannot pass: a
 * region whose checksum field is right sums to 0xFFFF. */
static inline uint16_t ones_sum(uint32_t sum, const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        sum += i % 2 == 0 ? (uint32_t)p[i] << 8 : p[i];
    while (sum > 0xFFFF)
        sum = (sum >> 16) + (sum & 0xFFFF);
    return (uint16_t)sum;
}

static inline int sum_ok(const uint8_t *p, size_t n) { return ones_sum(0, p, n) == 0xFFFF; }

/* ICMPv6 covers a pseudo-header too (RFC 8200 8.1): source, destination,
 * 32-bit upper-layer length, three zeros and next header 58. */
static inline int sum6_ok(const uint8_t *ip, const uint8_t *icmp, size_t n)
{
    uint8_t pseudo[40];
    memcpy(pseudo, ip + 8, 32);
    put32(pseudo + 32, (uint32_t)n);
    memset(pseudo + 36, 0, 3);
    pseudo[39] = PACKET_ICMP6;
    return ones_sum(ones_sum(0, pseudo, sizeof(pseudo)), icmp, n) == 0xFFFF;
}

#define GUARD 64

/* Answers in[0..len) into out[0..cap). The input is a heap copy of exactly
 * len bytes and the output a heap buffer of cap bytes plus a guard, so ASan
 * catches any over-read and the guard any write past cap. */
static inline size_t answer(const uint8_t *in, size_t len, enum packet_unreach why, uint8_t *out, size_t cap)
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
static inline void check_unreach4(const uint8_t *a, size_t n, const uint8_t *in, size_t len, uint8_t code)
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

static inline void check_unreach6(const uint8_t *a, size_t n, const uint8_t *in, size_t len, uint8_t code)
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

#endif
