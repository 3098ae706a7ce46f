/* Unit tests for the ICMP / ICMPv6 "destination unreachable" builder
 * (packet_build_unreach in netstack/packet.c), checked against the tests'
 * own reading of the formats (packet_util.h). */
#include "packet_util.h"

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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_checksum_verifier),
        cmocka_unit_test(test_unreach_v4),
        cmocka_unit_test(test_unreach_v6),
        cmocka_unit_test(test_unreach_lengths),
        cmocka_unit_test(test_unreach_icmp),
        cmocka_unit_test(test_unreach_cap),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
