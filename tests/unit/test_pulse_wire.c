/* Unit tests for the sound filter's reading of PulseAudio's protocol
 * (pulse/wire.c): every malformed descriptor and command, the allow-list
 * at its edges, the AUTH rewrite and the error reply. Packets are built
 * here byte by byte, as libpulse sends them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "pulse/wire.h"

static void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void desc(uint8_t d[PULSE_DESC_LEN], uint32_t len, uint32_t channel, uint32_t flags)
{
    memset(d, 0, PULSE_DESC_LEN);
    put32(d, len);
    put32(d + 4, channel);
    put32(d + 16, flags);
}

/* A tagstruct of u32s: 'L' and the value, each. */
static size_t u32s(uint8_t *out, const uint32_t *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        out[5 * i] = 'L';
        put32(out + 5 * i + 1, v[i]);
    }
    return 5 * n;
}

static void test_control_descriptors(void **state)
{
    (void)state;
    uint8_t d[PULSE_DESC_LEN];
    struct pulse_desc pd;
    desc(d, 15, 0xffffffffu, 0);
    pulse_desc_parse(d, &pd);
    assert_int_equal(pd.kind, PULSE_CONTROL);
    assert_int_equal(pd.length, 15);
    desc(d, PULSE_CONTROL_MAX, 0xffffffffu, 0);
    pulse_desc_parse(d, &pd);
    assert_int_equal(pd.kind, PULSE_CONTROL);
    /* Longer than the filter reads, though PulseAudio would take it. */
    desc(d, PULSE_CONTROL_MAX + 1, 0xffffffffu, 0);
    pulse_desc_parse(d, &pd);
    assert_int_equal(pd.kind, PULSE_BAD);
    assert_non_null(pd.why);
    /* Any flag on a command. */
    for (uint32_t f = 1; f != 0; f <<= 1) {
        desc(d, 15, 0xffffffffu, f);
        pulse_desc_parse(d, &pd);
        assert_int_equal(pd.kind, PULSE_BAD);
    }
}

static void test_audio_descriptors(void **state)
{
    (void)state;
    uint8_t d[PULSE_DESC_LEN];
    struct pulse_desc pd;
    desc(d, 4096, 0, 0);
    pulse_desc_parse(d, &pd);
    assert_int_equal(pd.kind, PULSE_AUDIO);
    assert_int_equal(pd.length, 4096);
    desc(d, 4096, 7, 3);            /* seek mode: PA_SEEK_RELATIVE_END */
    pulse_desc_parse(d, &pd);
    assert_int_equal(pd.kind, PULSE_AUDIO);
    desc(d, PULSE_FRAME_MAX, 1, 0);
    pulse_desc_parse(d, &pd);
    assert_int_equal(pd.kind, PULSE_AUDIO);
    /* Shared-memory data, its memfd form, release, revoke, writable. */
    static const uint32_t shm[] = { 0x80000000u, 0xa0000000u, 0x40000000u, 0xc0000000u,
                                    0x00800000u, 0x01000000u };
    for (size_t i = 0; i < sizeof(shm) / sizeof(shm[0]); i++) {
        desc(d, 16, 0, shm[i]);
        pulse_desc_parse(d, &pd);
        assert_int_equal(pd.kind, PULSE_BAD);
    }
    desc(d, 16, 0, 0x100);           /* beyond the seek mode */
    pulse_desc_parse(d, &pd);
    assert_int_equal(pd.kind, PULSE_BAD);
    desc(d, 0, 0, 0);                /* no samples */
    pulse_desc_parse(d, &pd);
    assert_int_equal(pd.kind, PULSE_BAD);
    desc(d, PULSE_FRAME_MAX + 1, 0, 0);
    pulse_desc_parse(d, &pd);
    assert_int_equal(pd.kind, PULSE_BAD);
}

static void test_server_descriptors(void **state)
{
    (void)state;
    uint8_t d[PULSE_DESC_LEN];
    struct pulse_desc pd;
    /* The server's side is framed, not judged: its flags pass. */
    desc(d, 0, 0, 0x40000000u);
    pulse_desc_parse_server(d, &pd);
    assert_int_equal(pd.kind, PULSE_AUDIO);
    assert_int_equal(pd.length, 0);
    desc(d, PULSE_CONTROL_MAX * 2, 0xffffffffu, 0);
    pulse_desc_parse_server(d, &pd);
    assert_int_equal(pd.kind, PULSE_CONTROL);
    desc(d, PULSE_FRAME_MAX + 1, 0xffffffffu, 0);
    pulse_desc_parse_server(d, &pd);
    assert_int_equal(pd.kind, PULSE_BAD);
}

static enum pulse_verdict check(uint32_t command, uint32_t tag, uint32_t *got_cmd, uint32_t *got_tag)
{
    uint8_t p[64];
    const uint32_t v[] = { command, tag, 0 };
    size_t n = u32s(p, v, 3);
    return pulse_control_check(p, n, got_cmd, got_tag);
}

static void test_allow_list(void **state)
{
    (void)state;
    uint32_t c, t;
    /* What paplay, parec, pactl info and a browser's audio send. */
    static const uint32_t pass[] = { 3, 4, 5, 6, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20,
                                     21, 22, 23, 24, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39,
                                     40, 41, 42, 43, 46, 47, 57, 58, 59, 60, 69, 72, 73, 74, 75,
                                     80, 81, 82, 83, 84, 85, 88, 89, 98, 99 };
    for (size_t i = 0; i < sizeof(pass) / sizeof(pass[0]); i++) {
        assert_int_equal(check(pass[i], 77, &c, &t), PULSE_PASS);
        assert_int_equal(c, pass[i]);
        assert_int_equal(t, 77);
    }
    /* Modules, exit, defaults, kills, moves, suspends, extensions, card
     * profiles, ports, shared memory, object messages, what only the
     * server sends, and numbers from the future. */
    static const uint32_t refuse[] = { 0, 1, 2, 7, 25, 26, 27, 28, 44, 45, 48, 49, 50, 51, 52,
                                       53, 54, 55, 56, 61, 62, 63, 64, 65, 66, 67, 68, 70, 71,
                                       76, 77, 78, 79, 86, 87, 90, 91, 92, 93, 94, 95, 96, 97,
                                       100, 101, 102, 103, 104, 105, 1000, 0xffffffffu };
    for (size_t i = 0; i < sizeof(refuse) / sizeof(refuse[0]); i++) {
        assert_int_equal(check(refuse[i], 9, &c, &t), PULSE_REFUSE);
        assert_int_equal(c, refuse[i]);
        assert_int_equal(t, 9);
    }
}

static void test_malformed_commands(void **state)
{
    (void)state;
    uint32_t c, t;
    uint8_t p[16];
    const uint32_t v[] = { 3, 1 };
    size_t n = u32s(p, v, 2);
    /* Every cut short of command and tag. */
    for (size_t len = 0; len < n; len++)
        assert_int_equal(pulse_control_check(p, len, &c, &t), PULSE_MALFORMED);
    assert_int_equal(pulse_control_check(p, n, &c, &t), PULSE_PASS);
    /* A command that is not a u32 tag, and a tag that is not. */
    p[0] = 't';
    assert_int_equal(pulse_control_check(p, n, &c, &t), PULSE_MALFORMED);
    p[0] = 'L';
    p[5] = 'l';
    assert_int_equal(pulse_control_check(p, n, &c, &t), PULSE_MALFORMED);
}

/* AUTH as libpulse sends it: version (with its shared-memory and memfd
 * offers), then the 256-byte cookie as an arbitrary. */
static size_t auth(uint8_t *p, uint32_t version)
{
    const uint32_t v[] = { 8, 0, version };
    size_t n = u32s(p, v, 3);
    p[n++] = 'x';
    put32(p + n, 256);
    n += 4;
    memset(p + n, 0xab, 256);
    return n + 256;
}

static void test_auth_offer_taken_out(void **state)
{
    (void)state;
    uint8_t p[300], before[300];
    uint32_t c, t;
    size_t n = auth(p, 35u | 0x80000000u | 0x40000000u);
    memcpy(before, p, n);
    assert_int_equal(pulse_control_check(p, n, &c, &t), PULSE_PASS);
    assert_int_equal(c, 8);
    assert_int_equal(get32(p + 11), 35);            /* the version, no offers */
    assert_memory_equal(p, before, 11);             /* the rest as it was */
    assert_memory_equal(p + 15, before + 15, n - 15);
    /* A version with no offer stays. */
    n = auth(p, 32);
    assert_int_equal(pulse_control_check(p, n, &c, &t), PULSE_PASS);
    assert_int_equal(get32(p + 11), 32);
    /* Cut short before, in, and after the version; no cookie. */
    n = auth(p, 35u | 0x80000000u);
    for (size_t len = 10; len < 16; len++)
        assert_int_equal(pulse_control_check(p, len, &c, &t), PULSE_MALFORMED);
    p[15] = 't';
    assert_int_equal(pulse_control_check(p, n, &c, &t), PULSE_MALFORMED);
}

static void test_error_packet(void **state)
{
    (void)state;
    uint8_t e[PULSE_ERROR_LEN];
    pulse_error_packet(e, 0x01020304u, PULSE_ERR_ACCESS);
    /* A control packet of 15 bytes: ERROR, the tag, "access denied". */
    struct pulse_desc pd;
    pulse_desc_parse_server(e, &pd);
    assert_int_equal(pd.kind, PULSE_CONTROL);
    assert_int_equal(pd.length, 15);
    static const uint8_t body[15] = { 'L', 0, 0, 0, 0, 'L', 1, 2, 3, 4, 'L', 0, 0, 0, 1 };
    assert_memory_equal(e + PULSE_DESC_LEN, body, sizeof(body));
    uint8_t flags[8] = { 0 };
    assert_memory_equal(e + 8, flags, 8);           /* offset and flags */
    assert_int_equal(get32(e + 16), 0);
}

static void test_command_names(void **state)
{
    (void)state;
    char buf[24];
    assert_string_equal(pulse_command_name(51, buf, sizeof(buf)), "LOAD_MODULE");
    assert_string_equal(pulse_command_name(8, buf, sizeof(buf)), "AUTH");
    assert_string_equal(pulse_command_name(104, buf, sizeof(buf)), "SEND_OBJECT_MESSAGE");
    assert_string_equal(pulse_command_name(105, buf, sizeof(buf)), "command 105");
    assert_string_equal(pulse_command_name(0xffffffffu, buf, sizeof(buf)), "command 4294967295");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_control_descriptors),
        cmocka_unit_test(test_audio_descriptors),
        cmocka_unit_test(test_server_descriptors),
        cmocka_unit_test(test_allow_list),
        cmocka_unit_test(test_malformed_commands),
        cmocka_unit_test(test_auth_offer_taken_out),
        cmocka_unit_test(test_error_packet),
        cmocka_unit_test(test_command_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
