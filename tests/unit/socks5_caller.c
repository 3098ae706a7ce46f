/* See socks5_caller.h. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "socks5_caller.h"


int is_want(enum socks5_state s)
{
    return s == SOCKS5_WANT_METHOD || s == SOCKS5_WANT_AUTH || s == SOCKS5_WANT_REPLY;
}

/* What must hold after any single feed, whatever the bytes were. */
static void check_feed(enum socks5_state before, const struct socks5_client *c,
                       enum socks5_step step, size_t len, size_t consumed, size_t out_len)
{
    assert_true(consumed <= len);
    assert_true(out_len <= SOCKS5_MAX_REQUEST);
    /* With credentials everything went with the greeting: a SEND then has
     * nothing to send. */
    assert_int_equal(out_len > 0, step == SOCKS5_STEP_SEND && c->user_len == 0);
    if (!is_want(before))               /* a finished handshake eats nothing */
        assert_int_equal(consumed, 0);
    switch (step) {
    case SOCKS5_STEP_NEED_MORE:
        assert_true(is_want(before));
        assert_int_equal(c->state, before);
        assert_int_equal(consumed, 0);
        break;
    case SOCKS5_STEP_SEND:
        /* Method choice and auth verdict are both exactly two bytes. */
        assert_int_equal(consumed, 2);
        assert_true(before == SOCKS5_WANT_METHOD || before == SOCKS5_WANT_AUTH);
        /* From the method choice to the auth verdict; straight to the
         * reply when the verdict came in its place (Tor, pipelined). */
        assert_true(c->state == SOCKS5_WANT_REPLY ||
                    (before == SOCKS5_WANT_METHOD && c->method == 2 && c->state == SOCKS5_WANT_AUTH));
        break;
    case SOCKS5_STEP_CONNECTED:
        assert_int_equal(c->state, SOCKS5_CONNECTED);
        assert_int_equal(c->err, SOCKS5_OK);
        assert_true(before == SOCKS5_CONNECTED || (before == SOCKS5_WANT_REPLY && consumed >= 8));
        break;
    case SOCKS5_STEP_FAILED:
        assert_int_equal(c->state, SOCKS5_FAILED);
        assert_int_not_equal(c->err, SOCKS5_OK);
        assert_true(c->err != SOCKS5_ERR_REPLY || c->rep != 0);
        break;
    default:
        fail_msg("unknown step %d", (int)step);
    }
}

/* One feed, through a heap copy of exactly len bytes so that ASan flags any
 * read past len, and checked against the invariants above. */
enum socks5_step feed(struct socks5_client *c, const uint8_t *in, size_t len,
                      size_t *consumed, uint8_t *out, size_t *out_len)
{
    enum socks5_state before = c->state;
    uint8_t *copy = malloc(len);
    if (len > 0) {
        assert_non_null(copy);
        memcpy(copy, in, len);
    }
    *consumed = *out_len = 99999;
    enum socks5_step step = socks5_client_feed(c, copy, len, consumed, out, out_len);
    free(copy);
    check_feed(before, c, step, len, *consumed, *out_len);
    return step;
}

/* Delivers srv[0..n) in chunks of `chunk` bytes (0: all at once), keeping
 * unconsumed bytes and re-feeding them as a real reader would. */
void drive(struct run *r, struct socks5_client *c, const uint8_t *srv, size_t n,
           size_t chunk)
{
    uint8_t buf[2048], out[SOCKS5_MAX_REQUEST + 64];
    size_t have = 0, pos = 0;

    assert_true(n <= sizeof(buf));
    if (chunk == 0)
        chunk = n > 0 ? n : 1;
    memset(r, 0, sizeof(*r));
    r->sent_len = socks5_client_greeting(c, r->sent);
    assert_true(r->sent_len <= SOCKS5_MAX_REQUEST);
    for (;;) {
        size_t consumed, out_len;
        enum socks5_step step = feed(c, buf, have, &consumed, out, &out_len);
        memmove(buf, buf + consumed, have - consumed);
        have -= consumed;
        r->consumed += consumed;
        r->step = step;
        if (step == SOCKS5_STEP_SEND) {
            assert_true(r->sent_len + out_len <= sizeof(r->sent));
            memcpy(r->sent + r->sent_len, out, out_len);
            r->sent_len += out_len;
            continue;
        }
        if (step != SOCKS5_STEP_NEED_MORE || pos == n)
            break;
        size_t k = n - pos < chunk ? n - pos : chunk;
        memcpy(buf + have, srv + pos, k);
        have += k;
        pos += k;
    }
    r->left = have + (n - pos);
    r->state = c->state;
    r->err = c->err;
    r->rep = c->rep;
}

void run_eq(const struct run *a, const struct run *b)
{
    assert_int_equal(a->step, b->step);
    assert_int_equal(a->err, b->err);
    assert_int_equal(a->consumed, b->consumed);
    assert_int_equal(a->sent_len, b->sent_len);
    /* drive() zeroes the whole struct first, so this covers every field. */
    assert_memory_equal(a, b, sizeof(*a));
}

/* Runs the handshake all at once, then byte by byte and in 3-byte chunks:
 * short reads must never change the outcome. Byte by byte feeds every
 * prefix of every message, each of which check_feed() requires to be
 * NEED_MORE with nothing consumed. Result is the all-at-once run. */
void handshake(struct run *r, const char *user, const char *pass,
               const struct socks5_dest *d, const uint8_t *srv, size_t n)
{
    static const size_t chunks[] = { 1, 3 };
    struct socks5_client c;
    struct run other;

    assert_int_equal(socks5_client_init(&c, user, pass, d), 0);
    drive(r, &c, srv, n, 0);
    for (size_t i = 0; i < sizeof(chunks) / sizeof(chunks[0]); i++) {
        assert_int_equal(socks5_client_init(&c, user, pass, d), 0);
        drive(&other, &c, srv, n, chunks[i]);
        run_eq(r, &other);
    }
}

struct socks5_dest dest_v4(uint8_t a, uint8_t b, uint8_t c, uint8_t d, uint16_t port)
{
    struct socks5_dest x;
    memset(&x, 0, sizeof(x));
    x.atyp = SOCKS5_ATYP_IPV4;
    x.addr[0] = a; x.addr[1] = b; x.addr[2] = c; x.addr[3] = d;
    x.port = port;
    return x;
}

struct socks5_dest dest_domain(const char *host, uint16_t port)
{
    struct socks5_dest x;
    memset(&x, 0, sizeof(x));
    x.atyp = SOCKS5_ATYP_DOMAIN;
    strncpy(x.host, host, sizeof(x.host) - 1);
    x.port = port;
    return x;
}

/* Expects one run to end with FAILED and err. */
void expect_fail(const char *user, const char *pass, const uint8_t *srv, size_t n,
                 enum socks5_error err)
{
    struct socks5_dest d = dest_v4(10, 0, 0, 1, 80);
    struct run r;
    handshake(&r, user, pass, &d, srv, n);
    assert_int_equal(r.step, SOCKS5_STEP_FAILED);
    assert_int_equal(r.state, SOCKS5_FAILED);
    assert_int_equal(r.err, err);
}
