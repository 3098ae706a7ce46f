/* One client's connection through the sound filter, as bytes: what comes
 * from the client is framed and each command judged (wire.h); what comes
 * from the server is framed and passed; the filter's own answers go
 * between two of the server's packets. Pure: the caller reads and writes
 * the sockets and drains to_server and to_client. */
#ifndef TORGATE_PULSE_STREAM_H
#define TORGATE_PULSE_STREAM_H

#include "pulse/wire.h"

#include <stddef.h>
#include <stdint.h>

#define PULSE_MAX_WAITING 64      /* refusals not yet answered */

struct pulse_buf {
    uint8_t *p;
    size_t len, cap;
};

/* One direction: the descriptor being read, what is left of the packet,
 * and (from the client) the command being read whole. */
struct pulse_framing {
    uint8_t desc[PULSE_DESC_LEN];
    size_t dlen;
    uint32_t left;
    int control;
    struct pulse_buf cmd;
};

struct pulse_stream {
    struct pulse_framing up, down;
    struct pulse_buf to_server, to_client;
    uint32_t waiting[PULSE_MAX_WAITING];   /* tags of refused commands */
    int nwaiting;
    /* Called for each refused command (for the log); may be NULL. */
    void (*on_refuse)(uint32_t command, void *arg);
    void *arg;
    const char *why;                        /* after -1: what was wrong */
};

/* Bytes from the client. 0, or -1 when the connection must close (why
 * says why; memory exhaustion says so too). */
int pulse_stream_from_client(struct pulse_stream *s, const uint8_t *p, size_t n);

/* Bytes from the server; the same. */
int pulse_stream_from_server(struct pulse_stream *s, const uint8_t *p, size_t n);

/* n bytes of b were written: they go. */
void pulse_buf_consume(struct pulse_buf *b, size_t n);

/* Frees what s holds (s itself is the caller's). */
void pulse_stream_free(struct pulse_stream *s);

#endif
