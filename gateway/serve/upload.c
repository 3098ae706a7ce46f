/* The app's bytes to Tor, one sendmsg per stream and turn of the loop (see
 * upload.h). Staging keeps the order of each stream's bytes: a stream's
 * segments leave together, oldest first, and whatever its socket does not
 * take goes back to the stream, still in order, before anything newer can
 * be staged for it (the relay stages only while its output buffer is
 * empty). */
#define _GNU_SOURCE
#include "serve/upload.h"

#include <event2/event.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/uio.h>

struct slot {
    void *owner;              /* NULL: sent, dropped or free */
    int fd;
    const void *data;
    size_t len;
    void *hold;
};

struct upload {
    const struct upload_ops *ops;
    struct event *flush_ev;   /* made active when the first segment is staged */
    size_t used;              /* slots[0..used) were handed out since the last flush */
    size_t bytes;
    struct slot slots[UPLOAD_SLOTS];
};

static void on_flush(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    upload_flush(arg);
}

struct upload *upload_new(struct event_base *base, const struct upload_ops *ops)
{
    struct upload *u = calloc(1, sizeof(*u));
    if (u == NULL)
        return NULL;
    u->ops = ops;
    u->flush_ev = event_new(base, -1, 0, on_flush, u);
    if (u->flush_ev == NULL) {
        free(u);
        return NULL;
    }
    return u;
}

void upload_free(struct upload *u)
{
    if (u == NULL)
        return;
    for (size_t i = 0; i < u->used; i++)
        if (u->slots[i].owner != NULL)
            u->ops->release(u->slots[i].hold);
    event_free(u->flush_ev);
    free(u);
}

void upload_add(struct upload *u, void *owner, int fd, const void *data, size_t len, void *hold)
{
    if (u->used == UPLOAD_SLOTS)
        upload_flush(u);
    if (u->used == 0)
        event_active(u->flush_ev, 0, 0);
    u->slots[u->used++] = (struct slot){ owner, fd, data, len, hold };
    u->bytes += len;
}

/* Takes owner's slots off the stage, oldest first, into iov and holds;
 * returns how many, and its socket in *fd. */
static size_t take(struct upload *u, const void *owner, struct iovec *iov, void **holds, int *fd)
{
    size_t k = 0;
    for (size_t i = 0; i < u->used; i++) {
        struct slot *sl = &u->slots[i];
        if (sl->owner != owner)
            continue;
        iov[k] = (struct iovec){ (void *)sl->data, sl->len };
        holds[k++] = sl->hold;
        *fd = sl->fd;
        u->bytes -= sl->len;
        sl->owner = NULL;
    }
    return k;
}

void upload_flush_owner(struct upload *u, void *owner)
{
    struct iovec iov[UPLOAD_SLOTS];
    void *holds[UPLOAD_SLOTS];
    int fd = -1;
    size_t k = take(u, owner, iov, holds, &fd);
    if (k == 0)
        return;

    struct msghdr msg = { .msg_iov = iov, .msg_iovlen = k };
    ssize_t n = sendmsg(fd, &msg, MSG_DONTWAIT | MSG_NOSIGNAL);
    size_t left = n > 0 ? (size_t)n : 0;
    if (left > 0)
        u->ops->sent(owner, left);

    size_t i = 0;
    for (; i < k && left >= iov[i].iov_len; i++) {
        left -= iov[i].iov_len;
        u->ops->release(holds[i]);
    }
    /* The rest, the first piece cut where the socket stopped. */
    int kept = 1;
    for (; i < k; i++) {
        const uint8_t *data = (const uint8_t *)iov[i].iov_base + left;
        size_t len = iov[i].iov_len - left;
        left = 0;
        if (kept && u->ops->rest(owner, data, len, holds[i]) == 0)
            continue;
        kept = 0;
        u->ops->release(holds[i]);
    }
}

void upload_flush(struct upload *u)
{
    for (size_t i = 0; i < u->used; i++)
        if (u->slots[i].owner != NULL)
            upload_flush_owner(u, u->slots[i].owner);
    u->used = 0;
}

void upload_drop(struct upload *u, void *owner)
{
    for (size_t i = 0; i < u->used; i++) {
        struct slot *sl = &u->slots[i];
        if (sl->owner != owner)
            continue;
        u->bytes -= sl->len;
        sl->owner = NULL;
        u->ops->release(sl->hold);
    }
}

size_t upload_staged(const struct upload *u)
{
    return u->bytes;
}
