/* Unit tests for one client's bytes through the sound filter
 * (pulse/stream.c): audio passes as it comes, commands whole or not at
 * all, the filter's answers never land inside one of the server's
 * packets, and every malformed input closes the connection. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "pulse/stream.h"

static void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

/* A command packet: descriptor, then 'L' command, 'L' tag, 'L' 0. */
static size_t command(uint8_t *out, uint32_t cmd, uint32_t tag)
{
    memset(out, 0, PULSE_DESC_LEN);
    put32(out, 15);
    put32(out + 4, 0xffffffffu);
    const uint32_t v[3] = { cmd, tag, 0 };
    for (int i = 0; i < 3; i++) {
        out[PULSE_DESC_LEN + 5 * i] = 'L';
        put32(out + PULSE_DESC_LEN + 5 * i + 1, v[i]);
    }
    return PULSE_DESC_LEN + 15;
}

/* An audio packet of n bytes of value b on channel 1. */
static size_t audio(uint8_t *out, size_t n, uint8_t b)
{
    memset(out, 0, PULSE_DESC_LEN);
    put32(out, (uint32_t)n);
    put32(out + 4, 1);
    memset(out + PULSE_DESC_LEN, b, n);
    return PULSE_DESC_LEN + n;
}

static uint32_t refused_cmd;
static int refusals;

static void on_refuse(uint32_t cmd, void *arg)
{
    (void)arg;
    refused_cmd = cmd;
    refusals++;
}

static void init(struct pulse_stream *s)
{
    memset(s, 0, sizeof(*s));
    s->on_refuse = on_refuse;
    refusals = 0;
}

/* Feeds p byte by byte, or whole. */
static int feed(struct pulse_stream *s, int from_client, const uint8_t *p, size_t n, int bytewise)
{
    if (!bytewise)
        return from_client ? pulse_stream_from_client(s, p, n) : pulse_stream_from_server(s, p, n);
    for (size_t i = 0; i < n; i++) {
        int rc = from_client ? pulse_stream_from_client(s, p + i, 1) : pulse_stream_from_server(s, p + i, 1);
        if (rc != 0)
            return rc;
    }
    return 0;
}

static void test_passes_unchanged(void **state)
{
    (void)state;
    for (int bytewise = 0; bytewise < 2; bytewise++) {
        struct pulse_stream s;
        uint8_t in[512];
        init(&s);
        size_t n = command(in, 3, 1);                  /* CREATE_PLAYBACK_STREAM */
        n += audio(in + n, 300, 0x5a);
        n += command(in + n, 13, 2);                   /* STAT */
        assert_int_equal(feed(&s, 1, in, n, bytewise), 0);
        assert_int_equal(s.to_server.len, n);
        assert_memory_equal(s.to_server.p, in, n);
        assert_int_equal(s.to_client.len, 0);
        assert_int_equal(refusals, 0);
        pulse_stream_free(&s);
    }
}

static void test_command_passes_only_whole(void **state)
{
    (void)state;
    struct pulse_stream s;
    uint8_t in[64];
    init(&s);
    size_t n = command(in, 20, 5);                     /* GET_SERVER_INFO */
    assert_int_equal(pulse_stream_from_client(&s, in, n - 1), 0);
    assert_int_equal(s.to_server.len, 0);
    assert_int_equal(pulse_stream_from_client(&s, in + n - 1, 1), 0);
    assert_int_equal(s.to_server.len, n);
    /* Audio, though, goes as it comes. */
    n = audio(in, 40, 1);
    assert_int_equal(pulse_stream_from_client(&s, in, 30), 0);
    assert_int_equal(s.to_server.len, 35 + 30);
    pulse_stream_free(&s);
}

static void test_refused_is_answered_not_passed(void **state)
{
    (void)state;
    for (int bytewise = 0; bytewise < 2; bytewise++) {
        struct pulse_stream s;
        uint8_t in[64], want[PULSE_ERROR_LEN];
        init(&s);
        size_t n = command(in, 51, 0x77);              /* LOAD_MODULE */
        assert_int_equal(feed(&s, 1, in, n, bytewise), 0);
        assert_int_equal(s.to_server.len, 0);
        assert_int_equal(refusals, 1);
        assert_int_equal(refused_cmd, 51);
        pulse_error_packet(want, 0x77, PULSE_ERR_ACCESS);
        assert_int_equal(s.to_client.len, sizeof(want));
        assert_memory_equal(s.to_client.p, want, sizeof(want));
        pulse_stream_free(&s);
    }
}

static void test_answer_waits_for_the_servers_packet(void **state)
{
    (void)state;
    struct pulse_stream s;
    uint8_t srv[128], in[64], err[PULSE_ERROR_LEN];
    init(&s);
    size_t sn = audio(srv, 100, 0x33);
    assert_int_equal(pulse_stream_from_server(&s, srv, 50), 0);    /* mid-packet */
    size_t n = command(in, 7, 9);                                   /* EXIT */
    assert_int_equal(pulse_stream_from_client(&s, in, n), 0);
    assert_int_equal(s.to_client.len, 50);                          /* not inside it */
    assert_int_equal(pulse_stream_from_server(&s, srv + 50, sn - 50), 0);
    pulse_error_packet(err, 9, PULSE_ERR_ACCESS);
    assert_int_equal(s.to_client.len, sn + sizeof(err));
    assert_memory_equal(s.to_client.p, srv, sn);
    assert_memory_equal(s.to_client.p + sn, err, sizeof(err));
    /* Half a descriptor is inside a packet too. */
    pulse_buf_consume(&s.to_client, s.to_client.len);
    assert_int_equal(pulse_stream_from_server(&s, srv, 7), 0);
    assert_int_equal(pulse_stream_from_client(&s, in, n), 0);
    assert_int_equal(s.to_client.len, 7);
    assert_int_equal(pulse_stream_from_server(&s, srv + 7, sn - 7), 0);
    assert_int_equal(s.to_client.len, sn + sizeof(err));
    pulse_stream_free(&s);
}

static void test_too_many_unanswered(void **state)
{
    (void)state;
    struct pulse_stream s;
    uint8_t srv[64], in[64];
    init(&s);
    assert_int_equal(pulse_stream_from_server(&s, srv, audio(srv, 10, 0) - 1), 0);
    size_t n = command(in, 51, 1);
    for (int i = 0; i < PULSE_MAX_WAITING; i++)
        assert_int_equal(pulse_stream_from_client(&s, in, n), 0);
    assert_int_equal(pulse_stream_from_client(&s, in, n), -1);
    assert_non_null(s.why);
    pulse_stream_free(&s);
}

static void test_malformed_closes(void **state)
{
    (void)state;
    struct pulse_stream s;
    uint8_t in[64];
    size_t n;

    init(&s);                                     /* shared-memory audio */
    n = audio(in, 16, 0);
    put32(in + 16, 0x80000000u);
    assert_int_equal(pulse_stream_from_client(&s, in, n), -1);
    assert_non_null(s.why);
    assert_int_equal(s.to_server.len, 0);
    pulse_stream_free(&s);

    init(&s);                                     /* a command with no tag */
    n = command(in, 3, 1);
    put32(in, 5);
    assert_int_equal(pulse_stream_from_client(&s, in, PULSE_DESC_LEN + 5), -1);
    pulse_stream_free(&s);

    init(&s);                                     /* an empty command */
    n = command(in, 3, 1);
    put32(in, 0);
    assert_int_equal(pulse_stream_from_client(&s, in, PULSE_DESC_LEN), -1);
    pulse_stream_free(&s);

    init(&s);                                     /* the server, too long */
    n = audio(in, 1, 0);
    put32(in, PULSE_FRAME_MAX + 1);
    assert_int_equal(pulse_stream_from_server(&s, in, PULSE_DESC_LEN), -1);
    pulse_stream_free(&s);
}

static void test_buf_consume(void **state)
{
    (void)state;
    struct pulse_stream s;
    uint8_t in[64];
    init(&s);
    size_t n = command(in, 20, 1);
    assert_int_equal(pulse_stream_from_client(&s, in, n), 0);
    pulse_buf_consume(&s.to_server, 10);
    assert_int_equal(s.to_server.len, n - 10);
    assert_memory_equal(s.to_server.p, in + 10, n - 10);
    pulse_buf_consume(&s.to_server, 1000);
    assert_int_equal(s.to_server.len, 0);
    pulse_stream_free(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_passes_unchanged),
        cmocka_unit_test(test_command_passes_only_whole),
        cmocka_unit_test(test_refused_is_answered_not_passed),
        cmocka_unit_test(test_answer_waits_for_the_servers_packet),
        cmocka_unit_test(test_too_many_unanswered),
        cmocka_unit_test(test_malformed_closes),
        cmocka_unit_test(test_buf_consume),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
