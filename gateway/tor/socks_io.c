#define _GNU_SOURCE
#include "tor/socks_io.h"

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <sys/socket.h>

#define SOCKS5_MAX_REPLY 262      /* 4 + 1 + 255 + 2 */

int socks_io_greet(const struct socks5_client *c, struct bufferevent *bev)
{
    uint8_t greeting[SOCKS5_MAX_REQUEST];
    size_t n = socks5_client_greeting(c, greeting);
    /* The socket has just connected and is empty: the greeting goes at
     * once, without a turn of the loop; what does not fit waits in the
     * bufferevent as before. */
    ssize_t sent = send(bufferevent_getfd(bev), greeting, n, MSG_DONTWAIT | MSG_NOSIGNAL);
    if (sent < 0)
        sent = 0;                  /* the bufferevent's write meets any error again */
    if ((size_t)sent == n)
        return 0;
    return bufferevent_write(bev, greeting + sent, n - (size_t)sent) == 0 ? 0 : -1;
}

enum socks5_step socks_io_read(struct socks5_client *c, struct bufferevent *bev)
{
    struct evbuffer *in = bufferevent_get_input(bev);
    uint8_t out[SOCKS5_MAX_REQUEST];

    for (;;) {
        size_t len = evbuffer_get_length(in);
        if (len == 0)
            return SOCKS5_STEP_NEED_MORE;
        if (len > SOCKS5_MAX_REPLY)
            len = SOCKS5_MAX_REPLY;
        const uint8_t *buf = evbuffer_pullup(in, (ssize_t)len);
        if (buf == NULL)
            return SOCKS5_STEP_FAILED;
        size_t consumed = 0, out_len = 0;
        enum socks5_step step = socks5_client_feed(c, buf, len, &consumed, out, &out_len);
        evbuffer_drain(in, consumed);
        if (step != SOCKS5_STEP_SEND)
            return step;
        if (bufferevent_write(bev, out, out_len) != 0)
            return SOCKS5_STEP_FAILED;
    }
}
