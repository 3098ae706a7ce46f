/* Unit tests for the SOCKS5 client state machine (gateway/socks5.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "tor/socks5.h"
#include "socks5_caller.h"

/* ---- greeting, auth request, CONNECT ---------------------------------- */

static void test_greeting(void **state)
{
    (void)state;
    struct socks5_dest d = dest_v4(1, 2, 3, 4, 80);
    struct socks5_client c;
    uint8_t out[SOCKS5_MAX_REQUEST];

    assert_int_equal(socks5_client_init(&c, NULL, NULL, &d), 0);
    assert_int_equal(socks5_client_greeting(&c, out), 3);
    assert_memory_equal(out, ((uint8_t[]){ 5, 1, 0x00 }), 3);

    /* With credentials: username/password only, the credentials and the
     * CONNECT pipelined behind it. */
    static const uint8_t piped[] = {
        5, 1, 0x02,
        1, 5, 'a', 'l', 'i', 'c', 'e', 6, 's', 'e', 'c', 'r', 'e', 't',
        5, 1, 0, 1, 1, 2, 3, 4, 0, 80,
    };
    assert_int_equal(socks5_client_init(&c, "alice", "secret", &d), 0);
    assert_int_equal(socks5_client_greeting(&c, out), sizeof(piped));
    assert_memory_equal(out, piped, sizeof(piped));
}

static void test_auth_then_connect_v4(void **state)
{
    (void)state;
    struct socks5_dest d = dest_v4(93, 184, 216, 34, 0x01BB);
    static const uint8_t srv[] = { 5, 2,  1, 0,  5, 0, 0, 1, 9, 9, 9, 9, 0x12, 0x34 };
    static const uint8_t want[] = {
        5, 1, 0x02,
        1, 5, 'a', 'l', 'i', 'c', 'e', 6, 's', 'e', 'c', 'r', 'e', 't',
        5, 1, 0, 1, 93, 184, 216, 34, 0x01, 0xBB,
    };
    struct run r;

    handshake(&r, "alice", "secret", &d, srv, sizeof(srv));
    assert_int_equal(r.step, SOCKS5_STEP_CONNECTED);
    assert_int_equal(r.err, SOCKS5_OK);
    assert_int_equal(r.sent_len, sizeof(want));
    assert_memory_equal(r.sent, want, sizeof(want));
    assert_int_equal(r.consumed, sizeof(srv));
    assert_int_equal(r.left, 0);
}

/* Tor answers the pipelined greeting with the auth verdict alone. */
static void test_tor_elides_method_reply(void **state)
{
    (void)state;
    struct socks5_dest d = dest_v4(198, 51, 100, 7, 443);
    static const uint8_t ok[] = { 1, 0,  5, 0, 0, 1, 0, 0, 0, 0, 0, 0,  'h', 'i' };
    struct run r;

    handshake(&r, "u", "p", &d, ok, sizeof(ok));
    assert_int_equal(r.step, SOCKS5_STEP_CONNECTED);
    assert_int_equal(r.consumed, 12);
    assert_int_equal(r.left, 2);
    expect_fail("u", "p", (const uint8_t[]){ 1, 1 }, 2, SOCKS5_ERR_AUTH_REJECTED);
    /* Only where credentials were sent: otherwise it is not SOCKS5. */
    expect_fail(NULL, NULL, (const uint8_t[]){ 1, 0 }, 2, SOCKS5_ERR_MALFORMED);
}

static void test_method_none_connects_directly(void **state)
{
    (void)state;
    struct socks5_dest d = dest_v4(10, 1, 2, 3, 80);
    static const uint8_t srv[] = { 5, 0,  5, 0, 0, 1, 0, 0, 0, 0, 0, 0 };
    static const uint8_t want[] = { 5, 1, 0,  5, 1, 0, 1, 10, 1, 2, 3, 0, 80 };
    struct run r;

    /* Without credentials "none" is all there is: the CONNECT follows the
     * server's choice. */
    handshake(&r, NULL, NULL, &d, srv, sizeof(srv));
    assert_int_equal(r.step, SOCKS5_STEP_CONNECTED);
    assert_int_equal(r.sent_len, sizeof(want));
    assert_memory_equal(r.sent, want, sizeof(want));
    /* With credentials "none" was not offered: choosing it is malformed
     * (the pipelined credentials would be read as a request). */
    expect_fail("u", "p", srv, sizeof(srv), SOCKS5_ERR_MALFORMED);
}

static void test_connect_v6_and_domain(void **state)
{
    (void)state;
    static const uint8_t srv[] = { 5, 0 };
    static const uint8_t want_dom[] = {
        5, 1, 0, 3, 13, 'e', 'x', 'a', 'm', 'p', 'l', 'e', '.', 'o', 'n', 'i', 'o', 'n',
        0x1F, 0x90,
    };
    struct socks5_dest d;
    struct run r;

    memset(&d, 0, sizeof(d));
    d.atyp = SOCKS5_ATYP_IPV6;
    for (int i = 0; i < 16; i++)
        d.addr[i] = (uint8_t)(0x20 + i);
    d.port = 0xABCD;
    handshake(&r, NULL, NULL, &d, srv, sizeof(srv));
    assert_int_equal(r.step, SOCKS5_STEP_NEED_MORE);
    assert_int_equal(r.state, SOCKS5_WANT_REPLY);
    assert_int_equal(r.sent_len, 3 + 4 + 16 + 2);
    assert_memory_equal(r.sent, ((uint8_t[]){ 5, 1, 0, 5, 1, 0, 4 }), 7);
    assert_memory_equal(r.sent + 7, d.addr, 16);
    assert_memory_equal(r.sent + 23, ((uint8_t[]){ 0xAB, 0xCD }), 2);

    d = dest_domain("example.onion", 8080);
    handshake(&r, NULL, NULL, &d, srv, sizeof(srv));
    assert_int_equal(r.step, SOCKS5_STEP_NEED_MORE);
    assert_int_equal(r.sent_len, 3 + sizeof(want_dom));
    assert_memory_equal(r.sent + 3, want_dom, sizeof(want_dom));
}

static void test_max_lengths(void **state)
{
    (void)state;
    char u[256], p[256], h[256];
    struct run r;

    memset(u, 'u', 255); u[255] = '\0';
    memset(p, 'p', 255); p[255] = '\0';
    memset(h, 'h', 255); h[255] = '\0';
    struct socks5_dest d = dest_domain(h, 65535);
    static const uint8_t srv[] = { 5, 2, 1, 0 };

    handshake(&r, u, p, &d, srv, sizeof(srv));
    assert_int_equal(r.step, SOCKS5_STEP_NEED_MORE);
    assert_int_equal(r.state, SOCKS5_WANT_REPLY);
    /* The pipelined greeting is the largest message there is. */
    assert_int_equal(r.sent_len, SOCKS5_MAX_REQUEST);
    assert_memory_equal(r.sent, ((uint8_t[]){ 5, 1, 2 }), 3);
    const uint8_t *au = r.sent + 3;
    assert_int_equal(au[0], 1);
    assert_int_equal(au[1], 255);
    assert_memory_equal(au + 2, u, 255);
    assert_int_equal(au[257], 255);
    assert_memory_equal(au + 258, p, 255);
    const uint8_t *cn = au + 513;
    assert_memory_equal(cn, ((uint8_t[]){ 5, 1, 0, 3, 255 }), 5);
    assert_memory_equal(cn + 5, h, 255);
    assert_int_equal(cn[260], 0xFF);
    assert_int_equal(cn[261], 0xFF);
}

/* ---- failures before CONNECT ------------------------------------------ */

static void test_auth_rejected_and_no_method(void **state)
{
    (void)state;
    expect_fail("u", "p", (const uint8_t[]){ 5, 2, 1, 1 }, 4, SOCKS5_ERR_AUTH_REJECTED);
    expect_fail("u", "p", (const uint8_t[]){ 5, 2, 1, 0xff }, 4, SOCKS5_ERR_AUTH_REJECTED);
    expect_fail(NULL, NULL, (const uint8_t[]){ 5, 0xff }, 2, SOCKS5_ERR_NO_METHOD);
    expect_fail("u", "p", (const uint8_t[]){ 5, 0xff }, 2, SOCKS5_ERR_NO_METHOD);
}

static void test_unoffered_method(void **state)
{
    (void)state;
    static const uint8_t others[] = { 0x01, 0x03, 0x04, 0x7f, 0x80, 0xfe };
    /* 0x02 was never offered without credentials, nor 0x00 with them. */
    expect_fail(NULL, NULL, (const uint8_t[]){ 5, 0x02 }, 2, SOCKS5_ERR_MALFORMED);
    expect_fail("u", "p", (const uint8_t[]){ 5, 0x00 }, 2, SOCKS5_ERR_MALFORMED);
    for (size_t i = 0; i < sizeof(others); i++) {
        expect_fail(NULL, NULL, (const uint8_t[]){ 5, others[i] }, 2, SOCKS5_ERR_MALFORMED);
        expect_fail("u", "p", (const uint8_t[]){ 5, others[i] }, 2, SOCKS5_ERR_MALFORMED);
    }
}

static void test_bad_versions(void **state)
{
    (void)state;
    static const uint8_t bad[] = { 0, 1, 4, 6, 0xff };
    for (size_t i = 0; i < sizeof(bad); i++) {
        uint8_t v = bad[i];
        expect_fail(NULL, NULL, (const uint8_t[]){ v, 0 }, 2, SOCKS5_ERR_MALFORMED);
        /* With credentials, version 1 is the auth verdict standing in for
         * the method choice (test_tor_elides_method_reply): 2 rejects. */
        expect_fail("u", "p", (const uint8_t[]){ v, 2 }, 2,
                    v == 1 ? SOCKS5_ERR_AUTH_REJECTED : SOCKS5_ERR_MALFORMED);
        /* CONNECT reply, both success and failure shapes. */
        expect_fail(NULL, NULL, (const uint8_t[]){ 5, 0, v, 0, 0, 1, 1, 2, 3, 4, 0, 80 }, 12,
                    SOCKS5_ERR_MALFORMED);
        expect_fail(NULL, NULL, (const uint8_t[]){ 5, 0, v, 5, 0, 1, 1, 2, 3, 4, 0, 80 }, 12,
                    SOCKS5_ERR_MALFORMED);
    }
    /* Auth replies speak RFC 1929's version 1, not 5. */
    static const uint8_t bad_auth[] = { 0, 2, 5, 0xff };
    for (size_t i = 0; i < sizeof(bad_auth); i++) {
        expect_fail("u", "p", (const uint8_t[]){ 5, 2, bad_auth[i], 0 }, 4, SOCKS5_ERR_MALFORMED);
        expect_fail("u", "p", (const uint8_t[]){ 5, 2, bad_auth[i], 1 }, 4, SOCKS5_ERR_MALFORMED);
    }
}

/* ---- CONNECT replies -------------------------------------------------- */

static void test_reply_codes(void **state)
{
    (void)state;
    /* RFC 1928's 0x01-0x08 and Tor's 0xF0-0xF7 have names; the rest not. */
    static const uint8_t codes[] = { 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,
                                     0xF0, 0xF1, 0xF2, 0xF3, 0xF4, 0xF5, 0xF6, 0xF7,
                                     0x09, 0x42, 0xEF, 0xF8, 0xFF };
    const size_t named = 16;
    struct socks5_dest d = dest_v4(1, 1, 1, 1, 443);

    for (size_t i = 0; i < sizeof(codes); i++) {
        uint8_t srv[] = { 5, 0,  5, codes[i], 0, 1, 0, 0, 0, 0, 0, 0 };
        struct run r;
        handshake(&r, NULL, NULL, &d, srv, sizeof(srv));
        assert_int_equal(r.step, SOCKS5_STEP_FAILED);
        assert_int_equal(r.err, SOCKS5_ERR_REPLY);
        assert_int_equal(r.rep, codes[i]);
        const char *s = socks5_rep_str(codes[i]);
        assert_non_null(s);
        if (i >= named) {
            assert_string_equal(s, "unknown reply code");
            continue;
        }
        assert_true(s[0] != '\0');
        assert_string_not_equal(s, "unknown reply code");
        /* Each code gets its own text, or the user learns nothing. */
        for (size_t j = 0; j < i; j++)
            assert_string_not_equal(s, socks5_rep_str(codes[j]));
    }
    assert_string_not_equal(socks5_err_str(SOCKS5_ERR_REPLY), "unknown error");
}

/* Builds a success reply with the given BND ATYP (domain: dlen bytes). */
static size_t success_reply(uint8_t *out, uint8_t atyp, size_t dlen)
{
    size_t n = 0;
    out[n++] = 5; out[n++] = 0; out[n++] = 0; out[n++] = atyp;
    size_t alen = atyp == SOCKS5_ATYP_IPV4 ? 4 : atyp == SOCKS5_ATYP_IPV6 ? 16 : dlen;
    if (atyp == SOCKS5_ATYP_DOMAIN)
        out[n++] = (uint8_t)dlen;
    for (size_t i = 0; i < alen; i++)
        out[n++] = (uint8_t)('a' + i % 26);
    out[n++] = 0x23; out[n++] = 0x82;
    return n;
}

static void test_success_replies(void **state)
{
    (void)state;
    static const struct { uint8_t atyp; size_t dlen, total; } cases[] = {
        { SOCKS5_ATYP_IPV4, 0, 10 },
        { SOCKS5_ATYP_IPV6, 0, 22 },
        { SOCKS5_ATYP_DOMAIN, 1, 8 },
        { SOCKS5_ATYP_DOMAIN, 255, 262 },
    };
    static const uint8_t trailer[] = "HTTP/1.1 200 OK\r\n";
    struct socks5_dest d = dest_domain("a.onion", 80);

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        uint8_t srv[2 + 300 + sizeof(trailer)];
        size_t n;
        struct run r;

        srv[0] = 5; srv[1] = 0;
        n = 2 + success_reply(srv + 2, cases[i].atyp, cases[i].dlen);
        assert_int_equal(n, 2 + cases[i].total);
        handshake(&r, NULL, NULL, &d, srv, n);
        assert_int_equal(r.step, SOCKS5_STEP_CONNECTED);
        assert_int_equal(r.consumed, n);
        assert_int_equal(r.left, 0);

        /* Stream bytes right behind the reply belong to the application. */
        memcpy(srv + n, trailer, sizeof(trailer));
        handshake(&r, NULL, NULL, &d, srv, n + sizeof(trailer));
        assert_int_equal(r.step, SOCKS5_STEP_CONNECTED);
        assert_int_equal(r.consumed, n);
        assert_int_equal(r.left, sizeof(trailer));    }
}

static void test_reply_malformed(void **state)
{
    (void)state;
    static const uint8_t bad_atyp[] = { 0, 2, 5, 6, 0xff };
    uint8_t srv[64];
    size_t n;

    for (int rsv = 1; rsv < 256; rsv += 127) {
        srv[0] = 5; srv[1] = 0;
        n = 2 + success_reply(srv + 2, SOCKS5_ATYP_IPV4, 0);
        srv[4] = (uint8_t)rsv;
        expect_fail(NULL, NULL, srv, n, SOCKS5_ERR_MALFORMED);
    }
    for (size_t i = 0; i < sizeof(bad_atyp); i++) {
        srv[0] = 5; srv[1] = 0;
        n = 2 + success_reply(srv + 2, SOCKS5_ATYP_IPV4, 0);
        srv[5] = bad_atyp[i];
        expect_fail(NULL, NULL, srv, n, SOCKS5_ERR_MALFORMED);
        /* Four bytes already say the ATYP is unknown: waiting would hang. */
        expect_fail(NULL, NULL, srv, 6, SOCKS5_ERR_MALFORMED);
    }
    static const uint8_t empty_domain[] = { 5, 0,  5, 0, 0, 3, 0, 0, 80, 1, 2, 3, 4, 5 };
    expect_fail(NULL, NULL, empty_domain, sizeof(empty_domain), SOCKS5_ERR_MALFORMED);
    expect_fail(NULL, NULL, empty_domain, 7, SOCKS5_ERR_MALFORMED);
}

static void test_terminal_states_stick(void **state)
{
    (void)state;
    static const uint8_t good[] = { 5, 0, 0, 1, 1, 2, 3, 4, 0, 1 };
    static const uint8_t method[2][2] = { { 5, 0xff }, { 5, 0 } };
    struct socks5_dest d = dest_v4(1, 2, 3, 4, 5);
    struct socks5_client c;
    uint8_t out[SOCKS5_MAX_REQUEST];
    size_t consumed, out_len;

    for (int ok = 0; ok < 2; ok++) {
        enum socks5_step end = ok ? SOCKS5_STEP_CONNECTED : SOCKS5_STEP_FAILED;
        assert_int_equal(socks5_client_init(&c, NULL, NULL, &d), 0);
        feed(&c, method[ok], 2, &consumed, out, &out_len);
        if (ok)
            assert_int_equal(feed(&c, good, sizeof(good), &consumed, out, &out_len), end);
        /* Later bytes, even ones that look like SOCKS, are never taken. */
        for (int i = 0; i < 3; i++) {
            assert_int_equal(feed(&c, good, sizeof(good), &consumed, out, &out_len), end);
            assert_int_equal(consumed, 0);
        }
        assert_int_equal(c.err, ok ? SOCKS5_OK : SOCKS5_ERR_NO_METHOD);
    }
}

/* ---- init ------------------------------------------------------------- */

static void test_init(void **state)
{
    (void)state;
    struct socks5_dest d4 = dest_v4(1, 2, 3, 4, 5);
    struct socks5_client c;
    char s255[256], s256[257];

    memset(s255, 'x', 255); s255[255] = '\0';
    memset(s256, 'x', 256); s256[256] = '\0';

    assert_int_equal(socks5_client_init(&c, NULL, NULL, &d4), 0);
    assert_int_equal(socks5_client_init(&c, "u", NULL, &d4), -1);
    assert_int_equal(socks5_client_init(&c, NULL, "p", &d4), -1);
    assert_int_equal(socks5_client_init(&c, "", "p", &d4), -1);
    assert_int_equal(socks5_client_init(&c, "u", "", &d4), -1);
    assert_int_equal(socks5_client_init(&c, s256, "p", &d4), -1);
    assert_int_equal(socks5_client_init(&c, "u", s256, &d4), -1);
    assert_int_equal(socks5_client_init(&c, s255, s255, &d4), 0);
    assert_int_equal(c.user_len, 255);
    assert_int_equal(c.pass_len, 255);

    struct socks5_dest dd = dest_domain("", 80);
    assert_int_equal(socks5_client_init(&c, NULL, NULL, &dd), -1);
    dd = dest_domain(s255, 80);
    assert_int_equal(socks5_client_init(&c, NULL, NULL, &dd), 0);
    /* A host with no NUL in its 256 bytes is 256 long: too long. */
    memset(dd.host, 'h', sizeof(dd.host));
    assert_int_equal(socks5_client_init(&c, NULL, NULL, &dd), -1);

    static const uint8_t bad_atyp[] = { 0, 2, 5, 0xff };
    for (size_t i = 0; i < sizeof(bad_atyp); i++) {
        struct socks5_dest x = d4;
        x.atyp = bad_atyp[i];
        assert_int_equal(socks5_client_init(&c, NULL, NULL, &x), -1);
    }
}

/* ---- fuzz ------------------------------------------------------------- */

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;

static uint32_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (uint32_t)(rng_state >> 16);
}

static uint8_t pick(const uint8_t *v, size_t n)
{
    /* One time in four a fully random byte, so no value is left out. */
    return (rnd() & 3) == 0 ? (uint8_t)rnd() : v[rnd() % n];
}

static void test_fuzz(void **state)
{
    (void)state;
    static const uint8_t methods[] = { 0x00, 0x02, 0xff };
    static const uint8_t zero[] = { 0 };
    static const uint8_t atyps[] = { 1, 3, 4 };
    unsigned outcomes[4] = { 0 };
    char cred[256];
    uint8_t srv[700];

    memset(cred, 'c', 255);
    cred[255] = '\0';
    for (int iter = 0; iter < 100000; iter++) {
        struct socks5_dest d = dest_v4((uint8_t)rnd(), 2, 3, 4, (uint16_t)rnd());
        d.atyp = atyps[rnd() % 3];
        memset(d.host, 'a' + (int)(rnd() % 26), 1 + rnd() % 255);

        /* Credentials of 1..255 bytes, one run in three without. */
        int creds = rnd() % 3 != 0;
        const char *u = creds ? cred + rnd() % 255 : NULL, *p = creds ? cred + rnd() % 255 : NULL;

        for (size_t i = 0; i < sizeof(srv); i++)
            srv[i] = (uint8_t)rnd();
        /* Mostly plausible prefixes, or random bytes never get past the
         * first version check. */
        if (rnd() % 8 != 0) {
            size_t k = 0;
            srv[k++] = 5;
            srv[k++] = pick(methods, sizeof(methods));
            if (srv[1] == 2) {
                srv[k++] = 1;
                srv[k++] = pick(zero, 1);
            }
            srv[k++] = 5;
            srv[k++] = pick(zero, 1);
            srv[k++] = pick(zero, 1);
            srv[k] = pick(atyps, sizeof(atyps));
            if (srv[k++] == 3 && rnd() % 2)
                srv[k] = (uint8_t)(rnd() % 4);
        }
        size_t n = rnd() % 601;
        size_t chunk = rnd() % 4 == 0 ? 0 : 1 + rnd() % (n + 1);

        struct socks5_client c;
        struct run r, whole;
        assert_int_equal(socks5_client_init(&c, u, p, &d), 0);
        drive(&r, &c, srv, n, chunk);
        assert_int_equal(r.consumed + r.left, n);
        assert_int_not_equal(r.step, SOCKS5_STEP_SEND);
        assert_int_equal(is_want(r.state), r.step == SOCKS5_STEP_NEED_MORE);
        assert_int_equal(r.state == SOCKS5_CONNECTED, r.step == SOCKS5_STEP_CONNECTED);
        assert_int_equal(r.err != SOCKS5_OK, r.step == SOCKS5_STEP_FAILED);
        outcomes[r.step]++;

        /* The outcome is a function of the byte stream, not of how it was cut. */
        assert_int_equal(socks5_client_init(&c, u, p, &d), 0);
        drive(&whole, &c, srv, n, 0);
        run_eq(&r, &whole);
    }
    /* The fuzz must actually reach every ending, or it proves little. */
    assert_true(outcomes[SOCKS5_STEP_NEED_MORE] > 100);
    assert_true(outcomes[SOCKS5_STEP_CONNECTED] > 100);
    assert_true(outcomes[SOCKS5_STEP_FAILED] > 100);
}

/* Tor's RESOLVE (0xF0) and RESOLVE_PTR (0xF1): the request carries the
 * command byte, and the answer is read from BND.ADDR of the reply. */
static void feed_all(struct socks5_client *c, const uint8_t *in, size_t len, enum socks5_step want,
                     uint8_t *out, size_t *out_len)
{
    size_t consumed = 0;
    enum socks5_step st = socks5_client_feed(c, in, len, &consumed, out, out_len);
    assert_int_equal(st, want);
    assert_int_equal(consumed, len);
}

static void test_resolve_commands(void **state)
{
    (void)state;
    struct socks5_client c;
    struct socks5_dest d;
    uint8_t out[SOCKS5_MAX_REQUEST];
    size_t n;
    static const uint8_t no_auth[] = { 5, 0 };

    /* RESOLVE web.example -> 203.0.113.80 */
    memset(&d, 0, sizeof(d));
    d.atyp = SOCKS5_ATYP_DOMAIN;
    strcpy(d.host, "web.example");
    assert_int_equal(socks5_client_init_cmd(&c, NULL, NULL, SOCKS5_CMD_RESOLVE, &d), 0);
    feed_all(&c, no_auth, sizeof(no_auth), SOCKS5_STEP_SEND, out, &n);
    static const uint8_t req[] = { 5, 0xF0, 0, 3, 11, 'w', 'e', 'b', '.', 'e', 'x', 'a', 'm',
                                   'p', 'l', 'e', 0, 0 };
    assert_int_equal(n, sizeof(req));
    assert_memory_equal(out, req, sizeof(req));
    static const uint8_t rep4[] = { 5, 0, 0, 1, 203, 0, 113, 80, 0, 0 };
    feed_all(&c, rep4, sizeof(rep4), SOCKS5_STEP_CONNECTED, out, &n);
    assert_int_equal(c.bound.atyp, SOCKS5_ATYP_IPV4);
    static const uint8_t a4[] = { 203, 0, 113, 80 };
    assert_memory_equal(c.bound.addr, a4, 4);

    /* an IPv6 answer */
    assert_int_equal(socks5_client_init_cmd(&c, NULL, NULL, SOCKS5_CMD_RESOLVE, &d), 0);
    feed_all(&c, no_auth, sizeof(no_auth), SOCKS5_STEP_SEND, out, &n);
    uint8_t rep6[22] = { 5, 0, 0, 4, 0x20, 0x01, 0x0d, 0xb8 };
    rep6[19] = 0x80;
    feed_all(&c, rep6, sizeof(rep6), SOCKS5_STEP_CONNECTED, out, &n);
    assert_int_equal(c.bound.atyp, SOCKS5_ATYP_IPV6);
    assert_memory_equal(c.bound.addr, rep6 + 4, 16);

    /* Tor cannot resolve it: REP 4 */
    assert_int_equal(socks5_client_init_cmd(&c, NULL, NULL, SOCKS5_CMD_RESOLVE, &d), 0);
    feed_all(&c, no_auth, sizeof(no_auth), SOCKS5_STEP_SEND, out, &n);
    static const uint8_t fail[] = { 5, 4 };
    feed_all(&c, fail, sizeof(fail), SOCKS5_STEP_FAILED, out, &n);
    assert_int_equal(c.err, SOCKS5_ERR_REPLY);
    assert_int_equal(c.rep, 4);

    /* RESOLVE_PTR 203.0.113.80 -> web.example */
    memset(&d, 0, sizeof(d));
    d.atyp = SOCKS5_ATYP_IPV4;
    memcpy(d.addr, a4, 4);
    assert_int_equal(socks5_client_init_cmd(&c, NULL, NULL, SOCKS5_CMD_RESOLVE_PTR, &d), 0);
    feed_all(&c, no_auth, sizeof(no_auth), SOCKS5_STEP_SEND, out, &n);
    static const uint8_t preq[] = { 5, 0xF1, 0, 1, 203, 0, 113, 80, 0, 0 };
    assert_int_equal(n, sizeof(preq));
    assert_memory_equal(out, preq, sizeof(preq));
    static const uint8_t prep[] = { 5, 0, 0, 3, 11, 'w', 'e', 'b', '.', 'e', 'x', 'a', 'm',
                                    'p', 'l', 'e', 0, 0 };
    feed_all(&c, prep, sizeof(prep), SOCKS5_STEP_CONNECTED, out, &n);
    assert_int_equal(c.bound.atyp, SOCKS5_ATYP_DOMAIN);
    assert_string_equal(c.bound.host, "web.example");

    /* Wrong pairings and unknown commands are refused up front. */
    assert_int_equal(socks5_client_init_cmd(&c, NULL, NULL, SOCKS5_CMD_RESOLVE, &d), -1);
    d.atyp = SOCKS5_ATYP_DOMAIN;
    strcpy(d.host, "web.example");
    assert_int_equal(socks5_client_init_cmd(&c, NULL, NULL, SOCKS5_CMD_RESOLVE_PTR, &d), -1);
    assert_int_equal(socks5_client_init_cmd(&c, NULL, NULL, 0x02, &d), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_greeting),
        cmocka_unit_test(test_tor_elides_method_reply),
        cmocka_unit_test(test_resolve_commands),
        cmocka_unit_test(test_auth_then_connect_v4),
        cmocka_unit_test(test_method_none_connects_directly),
        cmocka_unit_test(test_connect_v6_and_domain),
        cmocka_unit_test(test_max_lengths),
        cmocka_unit_test(test_auth_rejected_and_no_method),
        cmocka_unit_test(test_unoffered_method),
        cmocka_unit_test(test_bad_versions),
        cmocka_unit_test(test_reply_codes),
        cmocka_unit_test(test_success_replies),
        cmocka_unit_test(test_reply_malformed),
        cmocka_unit_test(test_terminal_states_stick),
        cmocka_unit_test(test_init),
        cmocka_unit_test(test_fuzz),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
