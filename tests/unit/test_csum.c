/* Unit tests for the Internet checksum in netstack/packet.c: the word-wide
 * packet_csum_native (which lwIP uses for every checksum it makes and
 * checks, LWIP_CHKSUM) and packet_csum_add on top of it, against the
 * tests' own byte-at-a-time reading of RFC 1071 (ones_sum, packet_util.h),
 * at every length and alignment that changes the code path. */
#include "packet_util.h"

#include <stdlib.h>

static uint16_t native_of(uint16_t big_endian_sum)
{
    const uint8_t b[2] = { (uint8_t)(big_endian_sum >> 8), (uint8_t)big_endian_sum };
    uint16_t v;
    memcpy(&v, b, sizeof(v));
    return v;
}

static void test_rfc1071_example(void **state)
{
    (void)state;
    /* RFC 1071 section 3's example: the sum is ddf2 (big-endian words). */
    static const uint8_t b[8] = { 0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7 };
    assert_int_equal(ones_sum(0, b, sizeof(b)), 0xddf2);
    assert_int_equal(packet_csum_native(b, sizeof(b)), native_of(0xddf2));
    assert_int_equal(packet_csum_fold(packet_csum_add(0, b, sizeof(b))), (uint16_t)~0xddf2);
}

static void test_every_length_and_alignment(void **state)
{
    (void)state;
    uint8_t *buf = malloc(600 + 8);
    assert_non_null(buf);
    srand(1071);
    for (int round = 0; round < 4; round++) {
        for (size_t i = 0; i < 608; i++)
            buf[i] = round == 0 ? 0xff : round == 1 ? 0 : (uint8_t)rand();
        for (size_t off = 0; off < 8; off++) {
            for (size_t len = 0; len <= 600; len++) {
                uint16_t want = ones_sum(0, buf + off, len);
                assert_int_equal(packet_csum_native(buf + off, len), native_of(want));
                /* Continuing from a sum, as the pseudo-headers are added. */
                uint32_t seed = 0x1234;
                assert_int_equal(packet_csum_fold(packet_csum_add(seed, buf + off, len)),
                                 (uint16_t)~ones_sum(seed, buf + off, len));
            }
        }
    }
    free(buf);
}

static void test_largest_segment(void **state)
{
    (void)state;
    /* 64 KB of 0xff: every word carries; nothing may be lost in the fold. */
    size_t len = 65535;
    uint8_t *buf = malloc(len);
    assert_non_null(buf);
    memset(buf, 0xff, len);
    assert_int_equal(packet_csum_native(buf, len), native_of(ones_sum(0, buf, len)));
    for (size_t i = 0; i < len; i++)
        buf[i] = (uint8_t)(i * 131 + (i >> 8));
    assert_int_equal(packet_csum_native(buf, len), native_of(ones_sum(0, buf, len)));
    assert_int_equal(packet_csum_native(buf + 1, len - 1), native_of(ones_sum(0, buf + 1, len - 1)));
    free(buf);
}

static void test_damage_shows(void **state)
{
    (void)state;
    /* A checksum that noticed nothing would pass every comparison above if
     * the reference were wrong the same way: one flipped bit must change it. */
    uint8_t b[1500];
    for (size_t i = 0; i < sizeof(b); i++)
        b[i] = (uint8_t)(i * 7);
    uint16_t good = packet_csum_native(b, sizeof(b));
    for (size_t i = 0; i < sizeof(b); i += 97) {
        b[i] ^= 0x04;
        assert_int_not_equal(packet_csum_native(b, sizeof(b)), good);
        b[i] ^= 0x04;
    }
    assert_int_equal(packet_csum_native(b, sizeof(b)), good);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rfc1071_example),
        cmocka_unit_test(test_every_length_and_alignment),
        cmocka_unit_test(test_largest_segment),
        cmocka_unit_test(test_damage_shows),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
