/* The app's bytes on their way to Tor, gathered so that a stream's socket
 * gets one sendmsg per turn of the event loop instead of one send per TCP
 * segment: on a plain TUN every 1,460 bytes used to cost a system call of
 * their own. Segments are staged by reference (lwIP's buffers, released
 * once the socket has them) and sent, in order and per stream, when the
 * loop has finished what woke it. One stage serves every stream of a relay;
 * it holds at most UPLOAD_SLOTS segments and sends at once when full. */
#ifndef TORGATE_UPLOAD_H
#define TORGATE_UPLOAD_H

#include <stddef.h>

#define UPLOAD_SLOTS 256

struct event_base;
struct upload;

struct upload_ops {
    /* n of owner's bytes reached its socket. */
    void (*sent)(void *owner, size_t n);
    /* What the socket did not take (full, or an error its next write will
     * meet), in order; the owner now keeps hold. Nonzero: the owner could
     * not keep it and is gone; the stage releases the rest of its bytes. */
    int (*rest)(void *owner, const void *data, size_t len, void *hold);
    /* A segment's buffer is no longer needed. */
    void (*release)(void *hold);
};

/* NULL if out of memory. */
struct upload *upload_new(struct event_base *base, const struct upload_ops *ops);
/* Releases whatever is still staged, unsent. */
void upload_free(struct upload *u);
/* Stages len bytes of owner's for socket fd; hold is the stage's now. */
void upload_add(struct upload *u, void *owner, int fd, const void *data, size_t len, void *hold);
/* Sends what owner has staged now (before its FIN, say). */
void upload_flush_owner(struct upload *u, void *owner);
/* Sends everything staged. */
void upload_flush(struct upload *u);
/* Forgets owner's staged bytes unsent (the stream is closing). */
void upload_drop(struct upload *u, void *owner);
/* Bytes staged in all, for tests and the drain at exit. */
size_t upload_staged(const struct upload *u);

#endif
