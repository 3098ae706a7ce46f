/* Unit tests for the checks a SYN passes before the gateway holds it and
 * asks Tor (netstack/packet.c: packet_tcp_checksum_ok, packet_unicast). */
#include "packet_util.h"

/* ---- TCP checksums ------------------------------------------------------- */

/* Fills in the IPv4 header and TCP checksums of a SYN with payload bytes of
 * data (an odd count covers the padded last word). */
static size_t syn_with_sums(uint8_t *b, int family, size_t payload)
{
    size_t ip = family == 4 ? 20 : 40, n = ip + 20 + payload;
    uint8_t pseudo[40];
    size_t plen;
    if (family == 4)
        ip4(b, 5, (uint16_t)n, PACKET_TCP, 0x4000);
    else
        ip6(b, (uint16_t)(20 + payload), PACKET_TCP);
    tcp(b + ip, 40000, 80, 1000, PACKET_TCP_SYN);
    for (size_t i = 0; i < payload; i++)
        b[ip + 20 + i] = (uint8_t)(i * 31 + 7);
    if (family == 4) {
        put16(b + 10, (uint16_t)~ones_sum(0, b, 20));
        memcpy(pseudo, b + 12, 8);
        pseudo[8] = 0;
        pseudo[9] = PACKET_TCP;
        put16(pseudo + 10, (uint16_t)(20 + payload));
        plen = 12;
    } else {
        memcpy(pseudo, b + 8, 32);
        put32(pseudo + 32, (uint32_t)(20 + payload));
        memset(pseudo + 36, 0, 3);
        pseudo[39] = PACKET_TCP;
        plen = 40;
    }
    put16(b + ip + 16, (uint16_t)~ones_sum(ones_sum(0, pseudo, plen), b + ip, 20 + payload));
    return n;
}

static int sums_ok(const uint8_t *b, size_t n)
{
    struct packet_info pi;
    assert_int_equal(parse(b, n, &pi), PACKET_OK);
    uint8_t *copy = malloc(n);
    assert_non_null(copy);
    memcpy(copy, b, n);
    int ok = packet_tcp_checksum_ok(copy, n, &pi);
    free(copy);
    return ok;
}

/* Only a SYN lwIP would take reaches Tor: the gateway checks the sums
 * before it asks (a bad one used to open a SOCKS connection for nothing). */
static void test_tcp_checksum(void **state)
{
    (void)state;
    uint8_t b[128];
    for (int family = 4; family <= 6; family += 2) {
        for (size_t payload = 0; payload < 4; payload++) {
            size_t n = syn_with_sums(b, family, payload);
            assert_true(sums_ok(b, n));
            for (size_t i = family == 4 ? 12 : 8; i < n; i++) {
                b[i] ^= 0x10;          /* any bit the sums cover */
                assert_false(sums_ok(b, n));
                b[i] ^= 0x10;
            }
        }
    }
    size_t n = syn_with_sums(b, 4, 0);
    b[10] ^= 1;                        /* the IPv4 header's own sum */
    assert_false(sums_ok(b, n));
    b[10] ^= 1;
    b[6] |= 0x20;                      /* MF: the segment is not all here */
    put16(b + 10, 0);
    put16(b + 10, (uint16_t)~ones_sum(0, b, 20));
    assert_false(sums_ok(b, n));
    udp(b + 20, 1, 2, 20);             /* not TCP */
    b[9] = PACKET_UDP;
    assert_false(sums_ok(b, n));
}

/* An IPv6 SYN behind an extension header: the sum covers the segment
 * after it; behind a Fragment header it never passes, even when the
 * first fragment's bytes happen to sum right. */
static void test_tcp_checksum_v6_extension(void **state)
{
    (void)state;
    uint8_t b[80], pseudo[40];
    for (int frag = 0; frag <= 1; frag++) {
        memset(b, 0, sizeof(b));
        ip6(b, 8 + 20, frag ? 44 : 60);
        b[40] = PACKET_TCP;                    /* the extension header's next header */
        tcp(b + 48, 40000, 80, 1000, PACKET_TCP_SYN);
        memcpy(pseudo, b + 8, 32);
        put32(pseudo + 32, 20);
        memset(pseudo + 36, 0, 3);
        pseudo[39] = PACKET_TCP;
        put16(b + 48 + 16, (uint16_t)~ones_sum(ones_sum(0, pseudo, 40), b + 48, 20));
        assert_int_equal(sums_ok(b, 68), !frag);
        if (!frag) {
            b[48 + 4] ^= 1;                    /* a bit of the segment */
            assert_false(sums_ok(b, 68));
        }
    }
}

/* A SYN to or from an address no connection can have is not held (lwIP
 * drops it, or would answer a SYN to 0.0.0.0 from another address). */
static void test_unicast(void **state)
{
    (void)state;
    static const struct { uint8_t a[4]; int ok; } v4[] = {
        { { 10, 66, 0, 2 }, 1 }, { { 127, 192, 0, 9 }, 1 }, { { 223, 255, 255, 254 }, 1 },
        { { 0, 0, 0, 0 }, 0 }, { { 224, 0, 0, 1 }, 0 }, { { 239, 255, 255, 250 }, 0 },
        { { 255, 255, 255, 255 }, 0 },
    };
    static const struct { uint8_t a[16]; int ok; } v6[] = {
        { { 0xfd, 0x74, 0x6f, 0x72, [15] = 2 }, 1 }, { { [15] = 1 }, 1 },
        { { 0xfe, 0x80, [15] = 1 }, 1 }, { { 0 }, 0 }, { { 0xff, 0x02, [15] = 1 }, 0 },
    };
    uint8_t b[60];
    struct packet_info pi;
    for (size_t i = 0; i < sizeof(v4) / sizeof(v4[0]); i++) {
        for (int end = 12; end <= 16; end += 4) {
            ip4(b, 5, 40, PACKET_TCP, 0);
            tcp(b + 20, 1000, 80, 1, PACKET_TCP_SYN);
            memcpy(b + end, v4[i].a, 4);
            assert_int_equal(parse(b, 40, &pi), PACKET_OK);
            assert_int_equal(packet_unicast(&pi), v4[i].ok);
        }
    }
    for (size_t i = 0; i < sizeof(v6) / sizeof(v6[0]); i++) {
        for (int end = 8; end <= 24; end += 16) {
            ip6(b, 20, PACKET_TCP);
            tcp(b + 40, 1000, 80, 1, PACKET_TCP_SYN);
            memcpy(b + end, v6[i].a, 16);
            assert_int_equal(parse(b, 60, &pi), PACKET_OK);
            assert_int_equal(packet_unicast(&pi), v6[i].ok);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tcp_checksum),
        cmocka_unit_test(test_tcp_checksum_v6_extension),
        cmocka_unit_test(test_unicast),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
