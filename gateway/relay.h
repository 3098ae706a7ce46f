/* Streams: each TCP connection of the app becomes one SOCKS5 connection to
 * Tor. A stream is one struct with one owner (the relay) and one free
 * function (stream_close in relay.c). */
#ifndef TORGATE_RELAY_H
#define TORGATE_RELAY_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "netstack.h"

struct event_base;
struct relay;

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
    uint64_t app_reset;          /* the app reset or timed out a stream */
    uint64_t socks_reset;        /* the SOCKS side failed mid-stream */
    uint64_t bytes_up, bytes_down;
};

struct relay *relay_new(struct event_base *base, const struct tg_config *cfg);
/* Ends every stream (RST to the app) and frees the relay. */
void relay_free(struct relay *r);
size_t relay_stream_count(const struct relay *r);
const struct relay_stats *relay_stats(const struct relay *r);
/* The SOCKS username this instance uses (tests and logs). */
const char *relay_socks_user(const struct relay *r);

/* netstack callbacks (see netstack.h); stream is what relay_tcp_open returned. */
void *relay_tcp_open(struct relay *r, struct ns_pending *pend, const struct ns_flow *flow);
void relay_tcp_recv(void *stream, const void *data, size_t len, void *hold);
void relay_tcp_fin(void *stream);
void relay_tcp_sent(void *stream);
void relay_tcp_gone(void *stream);

#endif
