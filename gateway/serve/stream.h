/* Anything the netstack calls back for a TCP connection (a relayed stream,
 * a DNS-over-TCP session) starts with a stream_head naming its handlers. */
#ifndef TORGATE_STREAM_H
#define TORGATE_STREAM_H

#include <stddef.h>

struct stream_ops {
    void (*recv)(void *stream, const void *data, size_t len, void *hold);
    void (*fin)(void *stream);
    void (*sent)(void *stream);
    void (*gone)(void *stream, int clean);
    /* Only for connections the gateway opens (publish.c). */
    void (*connected)(void *stream);
};

struct stream_head {
    const struct stream_ops *ops;
};

#endif
