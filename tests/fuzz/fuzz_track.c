#include "fuzz_track.h"
#include "fuzz_wire.h"

#include <stdio.h>
#include <string.h>

#define CHECK(c) do { if (!(c)) { fprintf(stderr, "fuzz_track: check failed: %s (line %d)\n", \
                                          #c, __LINE__); __builtin_trap(); } } while (0)

int fuzz_track_isn_find(const struct fuzz_track *tr, const struct ns_flow *f, uint32_t *isn)
{
    for (int i = 0; i < FUZZ_TRACK_ISNS && i < tr->nisns; i++)
        if (wire_flow_eq(&tr->isns[i].flow, f)) {
            *isn = tr->isns[i].isn;
            return 1;
        }
    return 0;
}

void fuzz_track_isn_put(struct fuzz_track *tr, const struct ns_flow *f, uint32_t isn)
{
    for (int i = 0; i < FUZZ_TRACK_ISNS && i < tr->nisns; i++)
        if (wire_flow_eq(&tr->isns[i].flow, f)) {
            tr->isns[i].isn = isn;
            return;
        }
    tr->isns[tr->nisns % FUZZ_TRACK_ISNS].flow = *f;
    tr->isns[tr->nisns % FUZZ_TRACK_ISNS].isn = isn;
    tr->nisns++;
}

void fuzz_track_relative_ack(const struct fuzz_track *tr, uint8_t *p, size_t len)
{
    struct ns_flow f;
    struct wire_l4 t;
    uint32_t isn;
    if (wire_tcp_flow(p, len, 0, &f, &t) && fuzz_track_isn_find(tr, &f, &isn))
        wire_put32(p + t.off + 8, wire_be32(p + t.off + 8) + isn);
}

void fuzz_track_note_source(struct fuzz_track *tr, const uint8_t *p, size_t len)
{
    struct packet_info pi;
    if (packet_parse(p, len, &pi) != PACKET_OK)
        return;
    for (int i = 0; i < tr->nsources; i++)
        if (tr->sources[i].family == pi.family && memcmp(tr->sources[i].addr, pi.src, 16) == 0)
            return;
    if (tr->nsources == FUZZ_TRACK_SOURCES) {
        tr->sources_overflow = 1;
        return;
    }
    tr->sources[tr->nsources].family = pi.family;
    memcpy(tr->sources[tr->nsources].addr, pi.src, 16);
    tr->nsources++;
}

int fuzz_track_is_source(const struct fuzz_track *tr, const struct packet_info *pi)
{
    for (int i = 0; i < tr->nsources; i++)
        if (tr->sources[i].family == pi->family && memcmp(tr->sources[i].addr, pi->dst, 16) == 0)
            return 1;
    return tr->sources_overflow;
}

void fuzz_track_check_out(const struct fuzz_track *tr, const uint8_t *pkt, size_t len,
                          struct packet_info *pi)
{
    CHECK(packet_parse(pkt, len, pi) == PACKET_OK);
    CHECK(fuzz_track_is_source(tr, pi));             /* only ever back to the app */
    if (pi->family == 4) {
        CHECK(wire_be16(pkt + 2) == len);
        CHECK(wire_sum_fold(wire_sum_add(0, pkt, (size_t)(pkt[0] & 15) * 4)) == 0xffff);
    } else {
        CHECK(wire_be16(pkt + 4) + 40u == len);
    }
    struct wire_l4 t;
    if (wire_l4_find(pkt, len, &t) && wire_csum_field(t.proto, t.len) != 0)
        CHECK(wire_sum_fold(wire_sum_add(t.pseudo, pkt + t.off, t.len)) == 0xffff);
}
