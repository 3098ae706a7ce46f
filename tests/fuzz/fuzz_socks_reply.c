/* libFuzzer harness for the SOCKS5 client (gateway/socks5.c): the bytes are
 * what a SOCKS server (Tor, or something pretending to be it) sends back.
 * The first byte picks the command (CONNECT by IP or name, Tor's RESOLVE,
 * RESOLVE_PTR) and whether credentials are offered; the second, where the
 * stream is cut into two reads, so partial messages are exercised too.
 * Checked: the client never consumes more than it was given, never asks to
 * send more than SOCKS5_MAX_REQUEST, ends in a state consistent with the
 * step it returned, and a success carries a well-formed bound address. */
#define _POSIX_C_SOURCE 200809L
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "tor/socks5.h"

#define CHECK(c) do { if (!(c)) __builtin_trap(); } while (0)

static void check_final(const struct socks5_client *c, enum socks5_step st)
{
    if (st == SOCKS5_STEP_FAILED) {
        CHECK(c->state == SOCKS5_FAILED && c->err != SOCKS5_OK);
        if (c->err == SOCKS5_ERR_REPLY)
            CHECK(c->rep != 0);
    }
    if (st == SOCKS5_STEP_CONNECTED) {
        CHECK(c->state == SOCKS5_CONNECTED && c->err == SOCKS5_OK);
        const struct socks5_dest *b = &c->bound;
        CHECK(b->atyp == SOCKS5_ATYP_IPV4 || b->atyp == SOCKS5_ATYP_IPV6 ||
              b->atyp == SOCKS5_ATYP_DOMAIN || b->atyp == 0);
        if (b->atyp == SOCKS5_ATYP_DOMAIN) {
            size_t n = strnlen(b->host, sizeof(b->host));
            CHECK(n < sizeof(b->host));
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    uint8_t mode = data[0], cut = data[1];
    data += 2;
    size -= 2;

    struct socks5_dest d;
    memset(&d, 0, sizeof(d));
    uint8_t cmd = SOCKS5_CMD_CONNECT;
    switch (mode & 3) {
    case 0: d.atyp = SOCKS5_ATYP_IPV4; memcpy(d.addr, "\xc0\x00\x02\x07", 4); d.port = 80; break;
    case 1: d.atyp = SOCKS5_ATYP_IPV6; d.addr[0] = 0x20; d.addr[15] = 7; d.port = 443; break;
    case 2: d.atyp = SOCKS5_ATYP_DOMAIN; strcpy(d.host, "example.onion"); d.port = 80;
            cmd = (mode & 4) ? SOCKS5_CMD_RESOLVE : SOCKS5_CMD_CONNECT; break;
    default: d.atyp = SOCKS5_ATYP_IPV4; memcpy(d.addr, "\xc0\x00\x02\x07", 4);
             cmd = SOCKS5_CMD_RESOLVE_PTR; break;
    }
    struct socks5_client c;
    int rc = (mode & 8) ? socks5_client_init_cmd(&c, "torgate-user", "torgate", cmd, &d)
                        : socks5_client_init_cmd(&c, NULL, NULL, cmd, &d);
    CHECK(rc == 0);
    uint8_t out[SOCKS5_MAX_REQUEST];
    CHECK(socks5_client_greeting(&c, out) <= SOCKS5_MAX_REQUEST);

    /* Two reads: [0, cut) then the rest, as the bytes might arrive. */
    size_t first = size == 0 ? 0 : cut % (size + 1);
    const uint8_t *chunks[2] = { data, data + first };
    size_t lens[2] = { first, size - first };
    uint8_t buf[4096];
    size_t have = 0;
    enum socks5_step st = SOCKS5_STEP_NEED_MORE;
    for (int i = 0; i < 2; i++) {
        size_t take = lens[i] < sizeof(buf) - have ? lens[i] : sizeof(buf) - have;
        memcpy(buf + have, chunks[i], take);
        have += take;
        for (;;) {
            size_t consumed = 0, out_len = 0;
            st = socks5_client_feed(&c, buf, have, &consumed, out, &out_len);
            CHECK(consumed <= have);
            if (st == SOCKS5_STEP_SEND) {
                /* With credentials everything went with the greeting. */
                CHECK(consumed > 0 && out_len <= SOCKS5_MAX_REQUEST);
                CHECK((out_len > 0) == !(mode & 8));
                memmove(buf, buf + consumed, have - consumed);
                have -= consumed;
                continue;
            }
            if (st == SOCKS5_STEP_NEED_MORE)
                CHECK(consumed == 0);
            break;
        }
        if (st == SOCKS5_STEP_CONNECTED || st == SOCKS5_STEP_FAILED)
            break;
    }
    check_final(&c, st);
    return 0;
}
