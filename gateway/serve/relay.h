/* Streams: each TCP connection of the app becomes one SOCKS5 connection to
 * Tor. A stream is one struct with one owner (the relay) and one free
 * function (stream_close in relay.c). */
#ifndef TORGATE_RELAY_H
#define TORGATE_RELAY_H

#include <stddef.h>
#include <stdint.h>

#include "config/config.h"
#include "netstack/netstack.h"

struct event_base;
struct relay;
struct vmap;

struct relay_stats {
    uint64_t opened;             /* SYNs that started a SOCKS connection */
    uint64_t connected;          /* SOCKS CONNECT succeeded */
    uint64_t closed;             /* ended with a FIN both ways */
    uint64_t open_failed;        /* no socket for the SOCKS connection */
    uint64_t socks_unreachable;  /* the SOCKS port refused or vanished */
    uint64_t socks_timeout;      /* no SOCKS answer in time */
    uint64_t socks_eof;          /* SOCKS port closed during the handshake */
    uint64_t socks_malformed;    /* a reply that is not SOCKS5 */
    uint64_t socks_auth;         /* no method / credentials refused */
    uint64_t socks_rep[256];     /* CONNECT failures by REP code */
    uint64_t syn_lost;           /* lwIP did not take the SYN back */
    uint64_t unknown_virtual;    /* a virtual address no name owns (any more) */
    uint64_t app_reset;          /* the app reset or timed out a stream */
    uint64_t socks_reset;        /* the SOCKS side failed mid-stream */
    uint64_t bytes_up, bytes_down;
};

/* map: the DNS stub's virtual addresses (connections to them go to Tor by
 * name), or NULL. */
struct relay *relay_new(struct event_base *base, const struct tg_config *cfg, struct vmap *map);
/* Ends every stream (RST to the app) and frees the relay. */
void relay_free(struct relay *r);
size_t relay_stream_count(const struct relay *r);
/* Streams whose app side has not finished handing its bytes to Tor. */
size_t relay_uploads_pending(const struct relay *r);
const struct relay_stats *relay_stats(const struct relay *r);
/* From now on new streams use a fresh SOCKS username (Tor builds them new
 * circuits); with close_streams every stream is ended too. 0, or -1 if no
 * randomness could be had (nothing changed). */
int relay_new_identity(struct relay *r, int close_streams);
/* The SOCKS username this instance uses (tests and logs). */
const char *relay_socks_user(const struct relay *r);
const char *relay_socks_pass(const struct relay *r);

/* A SYN to carry through Tor (netstack's tcp_open). Returns the stream (a
 * struct stream_head), or NULL to refuse. */
void *relay_tcp_open(struct relay *r, struct ns_pending *pend, const struct ns_flow *flow);

#endif
