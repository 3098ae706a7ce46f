/* libFuzzer harness for the sound filter (pulse/stream.c, pulse/wire.c):
 * a session of records `side:u8 len:u16 bytes`, side's low bit saying
 * whether the bytes come from the client (the sandboxed command) or from
 * the server. Checked after every record: what goes to the server is a
 * run of whole, valid packets (the last possibly unfinished audio), every
 * command in it is one the allow-list passes, with no shared-memory offer
 * in an AUTH; what goes to the client is the server's bytes with only
 * whole "access denied" packets put between its packets. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "pulse/stream.h"

#define CHECK(c) do { if (!(c)) __builtin_trap(); } while (0)

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* What the server was sent, packet by packet. */
static void check_to_server(const struct pulse_buf *b)
{
    size_t off = 0;
    while (off < b->len) {
        CHECK(b->len - off >= PULSE_DESC_LEN);
        struct pulse_desc d;
        pulse_desc_parse(b->p + off, &d);
        CHECK(d.kind != PULSE_BAD);
        off += PULSE_DESC_LEN;
        if (d.kind == PULSE_AUDIO) {
            off += d.length < b->len - off ? d.length : b->len - off;
            continue;
        }
        CHECK(b->len - off >= d.length);
        uint8_t copy[64];
        size_t n = d.length < sizeof(copy) ? d.length : sizeof(copy);
        uint32_t cmd, tag;
        memcpy(copy, b->p + off, n);
        /* (A command is judged by its first 20 bytes at most.) */
        CHECK(pulse_control_check(copy, n, &cmd, &tag) == PULSE_PASS);
        if (cmd == 8)
            CHECK((be32(b->p + off + 11) & 0xc0000000u) == 0);
        off += d.length;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct pulse_stream s;
    size_t nserver = 0;
    memset(&s, 0, sizeof(s));
    while (size >= 3) {
        int from_client = data[0] & 1;
        size_t n = (size_t)data[1] << 8 | data[2];
        data += 3;
        size -= 3;
        if (n > size)
            n = size;
        int rc;
        if (from_client) {
            rc = pulse_stream_from_client(&s, data, n);
        } else {
            size_t before = s.to_client.len;
            rc = pulse_stream_from_server(&s, data, n);
            /* The server's bytes come first, unchanged. */
            CHECK(rc != 0 || s.to_client.len >= before + n);
            if (rc == 0 && n > 0)
                CHECK(memcmp(s.to_client.p + before, data, n) == 0);
            nserver += n;
        }
        data += n;
        size -= n;
        if (rc != 0) {
            CHECK(s.why != NULL);
            break;
        }
        check_to_server(&s.to_server);
        CHECK(s.nwaiting >= 0 && s.nwaiting <= PULSE_MAX_WAITING);
        /* Answers are whole: the bytes to the client are the server's
         * plus a multiple of an answer's length. */
        CHECK(s.to_client.len >= nserver && (s.to_client.len - nserver) % PULSE_ERROR_LEN == 0);
    }
    pulse_stream_free(&s);
    return 0;
}
