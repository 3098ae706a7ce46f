#define _GNU_SOURCE
#include "tor/tor_resolve.h"
#include "tor/socks_io.h"

#include <event2/bufferevent.h>
#include <event2/event.h>
#include <stdlib.h>
#include <string.h>

#define RESOLVE_TIMEOUT_S 30

struct tor_resolve {
    struct bufferevent *bev;
    struct socks5_client socks;
    tor_resolve_cb cb;
    void *arg;
};

void tor_resolve_cancel(struct tor_resolve *r)
{
    if (r == NULL)
        return;
    bufferevent_free(r->bev);
    free(r);
}

static void finish(struct tor_resolve *r, int ok, uint8_t rep)
{
    tor_resolve_cb cb = r->cb;
    void *arg = r->arg;
    struct socks5_dest bound = r->socks.bound;
    tor_resolve_cancel(r);
    cb(arg, ok, rep, &bound);
}

static void on_read(struct bufferevent *bev, void *arg)
{
    struct tor_resolve *r = arg;
    switch (socks_io_read(&r->socks, bev)) {
    case SOCKS5_STEP_NEED_MORE:
        return;
    case SOCKS5_STEP_CONNECTED:
        finish(r, 1, 0);
        return;
    default:
        finish(r, 0, r->socks.err == SOCKS5_ERR_REPLY ? r->socks.rep : 0);
        return;
    }
}

static void on_event(struct bufferevent *bev, short what, void *arg)
{
    struct tor_resolve *r = arg;
    if ((what & BEV_EVENT_CONNECTED) && socks_io_greet(&r->socks, bev) == 0)
        return;
    finish(r, 0, 0);
}

struct tor_resolve *tor_resolve_start(struct event_base *base, const struct tg_config *cfg,
                                      const char *user, const char *pass, uint8_t cmd,
                                      const struct socks5_dest *dest, tor_resolve_cb cb, void *arg)
{
    struct tor_resolve *r = calloc(1, sizeof(*r));
    if (r == NULL)
        return NULL;
    r->cb = cb;
    r->arg = arg;
    if (socks5_client_init_cmd(&r->socks, user, pass, cmd, dest) != 0) {
        free(r);
        return NULL;
    }
    r->bev = bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);
    if (r->bev == NULL) {
        free(r);
        return NULL;
    }
    bufferevent_setcb(r->bev, on_read, NULL, on_event, r);
    struct timeval tmo = { RESOLVE_TIMEOUT_S, 0 };
    bufferevent_set_timeouts(r->bev, &tmo, &tmo);
    if (bufferevent_enable(r->bev, EV_READ | EV_WRITE) != 0 ||
        bufferevent_socket_connect(r->bev, (const struct sockaddr *)&cfg->socks_addr,
                                   (int)cfg->socks_addrlen) != 0) {
        tor_resolve_cancel(r);
        return NULL;
    }
    return r;
}
