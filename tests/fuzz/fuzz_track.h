/* What the fuzz_netstack harness remembers of a session's packets: the
 * addresses the app sent from (the only ones the netstack may answer) and
 * lwIP's initial sequence number per flow (so that a seed can acknowledge
 * whatever ISN lwIP picked). */
#ifndef TORGATE_FUZZ_TRACK_H
#define TORGATE_FUZZ_TRACK_H

#include <stddef.h>
#include <stdint.h>

#include "netstack/netstack.h"
#include "netstack/packet.h"

#define FUZZ_TRACK_SOURCES 64
#define FUZZ_TRACK_ISNS    16

struct fuzz_track {
    struct { uint8_t family, addr[16]; } sources[FUZZ_TRACK_SOURCES];
    int nsources, sources_overflow;
    struct { struct ns_flow flow; uint32_t isn; } isns[FUZZ_TRACK_ISNS];
    int nisns;
};

/* lwIP's ISN for flow f: 1 and *isn, or 0 if none was seen. */
int fuzz_track_isn_find(const struct fuzz_track *tr, const struct ns_flow *f, uint32_t *isn);
void fuzz_track_isn_put(struct fuzz_track *tr, const struct ns_flow *f, uint32_t isn);

/* A TCP packet from the app whose ack field counts from lwIP's ISN: made
 * absolute. */
void fuzz_track_relative_ack(const struct fuzz_track *tr, uint8_t *p, size_t len);

/* Remembers the source of a packet from the app. */
void fuzz_track_note_source(struct fuzz_track *tr, const uint8_t *p, size_t len);

/* Whether a packet towards the app goes to an address it sent from (or
 * too many were seen to tell). */
int fuzz_track_is_source(const struct fuzz_track *tr, const struct packet_info *pi);

/* A packet towards the app: it parses (into *pi), goes to an address the
 * app sent from, its IP length is its length, and its IPv4 header and
 * transport checksums verify. Traps otherwise. */
void fuzz_track_check_out(const struct fuzz_track *tr, const uint8_t *pkt, size_t len,
                          struct packet_info *pi);

#endif
