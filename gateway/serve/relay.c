/* One stream: app <-> lwIP <-> this struct <-> bufferevent <-> Tor's SOCKS port.
 *
 * Life of a stream: the app's SYN is held by the netstack while a SOCKS5
 * connection is made (greeting, username/password, CONNECT). Only a success
 * reply lets the SYN into lwIP; any failure answers the SYN with a RST.
 * With --connect optimistic (the default) the SYN is let in as soon as Tor
 * has taken the credentials (its local answer, before the circuit's), and
 * the app's bytes follow the CONNECT to Tor before the reply; a failure then
 * resets the connection. --connect confirmed holds it.
 *
 * Back-pressure, so a stream's memory stays bounded whatever either side does:
 * - app -> Tor: lwIP's segments are handed to the SOCKS bufferevent without a
 *   copy (evbuffer references to the pbufs). The app's receive window is
 *   reopened (tcp_recved) only as those bytes are written to the socket, so
 *   at most TCP_WND bytes wait per stream.
 * - Tor -> app: once connected, the stream reads the SOCKS socket itself
 *   (libevent 2.1's bufferevent reads at most 4 KB per wakeup, and each read
 *   became a 4 KB segment), only as many bytes as lwIP's send buffer has room
 *   for, and stops until lwIP's "sent" callback makes room again.
 * Half-close: a FIN from either side is passed on as a FIN (shutdown), only
 * after the bytes before it; the stream ends when both directions have. */
#define _GNU_SOURCE
#include "serve/relay.h"
#include "serve/relay_dest.h"
#include "base/log.h"
#include "serve/stream.h"
#include "serve/upload.h"
#include "tor/socks5.h"
#include "tor/socks_io.h"

#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>

#define HANDSHAKE_TIMEOUT_S   120          /* Tor's own SocksTimeout is 2 min */
#define SOCKS_READ_MAX        (256 * 1024)   /* during the handshake */
#define SMALL_SEGMENT         1024
#define PULL_CHUNK            (256 * 1024)   /* one read */
#define PULL_READS            4              /* per wakeup, so no stream starves the rest */

enum {
    F_CONNECTED      = 1 << 0,   /* SOCKS CONNECT succeeded, conn exists */
    F_APP_FIN        = 1 << 1,   /* the app sent FIN */
    F_APP_FIN_SENT   = 1 << 2,   /* ... and it was passed to Tor (SHUT_WR) */
    F_SOCKS_EOF      = 1 << 3,   /* Tor's side sent EOF */
    F_SOCKS_FIN_SENT = 1 << 4,   /* ... and it was passed to the app (FIN) */
    F_GREETED        = 1 << 5,   /* the SOCKS port took the connection; the request is sent */
    F_UPLOAD_LOST    = 1 << 6,   /* bytes of the app's were lost (no memory): ends at once */
};

enum close_how {
    CLOSE_REFUSE,    /* not connected yet: RST answers the held SYN */
    CLOSE_ABORT,     /* RST to the app */
    CLOSE_GRACEFUL,  /* both FINs passed on; lwIP finishes the close */
    CLOSE_GONE,      /* lwIP already freed the connection */
};

struct relay_stream {
    struct stream_head head;          /* first: the netstack calls back through it */
    struct relay_stream *prev, *next;
    struct relay *relay;
    struct ns_pending *pend;          /* until the SOCKS reply */
    struct ns_conn *conn;             /* after it */
    struct bufferevent *bev;
    struct event *pull_ev;            /* after the handshake: the socket is readable */
    struct evbuffer_cb_entry *out_cb;
    size_t handshake_left;            /* --connect optimistic: SOCKS bytes ahead of the app's */
    struct socks5_client *socks;      /* until the reply: a kilobyte no open stream keeps */
    unsigned flags;
    char name[96];                    /* "203.0.113.7:80", for logs */
};

struct relay {
    struct event_base *base;
    const struct tg_config *cfg;
    struct vmap *map;
    char user[48];
    char pass[16];
    unsigned identities;              /* new-identity so far */
    uint64_t stream_seq;              /* --isolate stream */
    struct relay_stream *streams;
    size_t nstreams;
    struct upload *upload;            /* the app's bytes, one send per stream and loop turn */
    struct relay_stats stats;
    /* Failures that refuse every new stream (Tor gone, no file descriptors)
     * must reach the user, but once per burst, not once per connection. */
    long warned_unreachable, warned_nofd, warned_malformed;
    struct log_limit warned_onions;   /* per onion host */
};

/* ---- life cycle ------------------------------------------------------ */


static void stream_close(struct relay_stream *s, enum close_how how)
{
    struct relay *r = s->relay;

    upload_drop(r->upload, s);
    if (s->pend != NULL) {
        netstack_pending_refuse(s->pend);
        s->pend = NULL;
    }
    if (s->conn != NULL) {
        if (how == CLOSE_GRACEFUL)
            netstack_conn_close(s->conn);
        else if (how != CLOSE_GONE)
            netstack_conn_abort(s->conn);
        s->conn = NULL;
    }
    if (s->pull_ev != NULL)
        event_free(s->pull_ev);
    if (s->bev != NULL) {
        /* Detach the window callback first: freeing the buffer drains it. */
        if (s->out_cb != NULL)
            evbuffer_remove_cb_entry(bufferevent_get_output(s->bev), s->out_cb);
        bufferevent_free(s->bev);
    }
    if (s->prev != NULL)
        s->prev->next = s->next;
    else
        r->streams = s->next;
    if (s->next != NULL)
        s->next->prev = s->prev;
    r->nstreams--;
    free(s->socks);
    free(s);
}

static void maybe_finish(struct relay_stream *s)
{
    if ((s->flags & (F_APP_FIN_SENT | F_SOCKS_FIN_SENT)) == (F_APP_FIN_SENT | F_SOCKS_FIN_SENT)) {
        s->relay->stats.closed++;
        stream_close(s, CLOSE_GRACEFUL);
    }
}

/* ---- Tor -> app ------------------------------------------------------ */

/* Returns 0, or -1 if the stream was closed. */
static int push_to_app(struct relay_stream *s)
{
    struct evbuffer *in = bufferevent_get_input(s->bev);
    int wrote = 0;

    if (s->conn == NULL)
        return 0;

    while (evbuffer_get_length(in) > 0) {
        struct evbuffer_iovec v;
        if (evbuffer_peek(in, -1, NULL, &v, 1) < 1)
            break;
        long n = netstack_conn_write(s->conn, v.iov_base, v.iov_len);
        if (n < 0) {
            s->relay->stats.app_reset++;
            stream_close(s, CLOSE_ABORT);
            return -1;
        }
        if (n == 0)
            break;             /* lwIP's send buffer is full: wait for tcp_sent */
        evbuffer_drain(in, (size_t)n);
        s->relay->stats.bytes_down += (uint64_t)n;
        wrote = 1;
    }
    if ((s->flags & F_SOCKS_EOF) && !(s->flags & F_SOCKS_FIN_SENT) && evbuffer_get_length(in) == 0) {
        netstack_conn_shutdown_tx(s->conn);
        s->flags |= F_SOCKS_FIN_SENT;
        maybe_finish(s);
        return 0;
    }
    if (wrote)
        netstack_conn_flush(s->conn);
    return 0;
}

/* Reads from Tor straight into lwIP, as much as it has room for. Bytes the
 * bufferevent read with the SOCKS reply go first. */
static void pull_from_tor(struct relay_stream *s)
{
    static uint8_t chunk[PULL_CHUNK];
    int fd = bufferevent_getfd(s->bev);

    if (push_to_app(s) != 0 || s->conn == NULL || (s->flags & F_SOCKS_EOF))
        return;
    if (evbuffer_get_length(bufferevent_get_input(s->bev)) > 0) {
        (void)event_del(s->pull_ev);     /* lwIP is full; tcp_sent resumes */
        return;
    }
    int wrote = 0, waiting = 1;
    for (int i = 0; i < PULL_READS; i++) {
        size_t room = netstack_conn_sndbuf(s->conn);
        if (room == 0) {
            waiting = 0;
            break;
        }
        size_t want = room < sizeof(chunk) ? room : sizeof(chunk);
        ssize_t n = recv(fd, chunk, want, 0);
        if (n > 0) {
            /* lwIP had room for all of it; less means it is out of memory. */
            for (ssize_t done = 0; done < n;) {
                long w = netstack_conn_write(s->conn, chunk + done, (size_t)(n - done));
                if (w <= 0) {
                    s->relay->stats.app_reset++;
                    stream_close(s, CLOSE_ABORT);
                    return;
                }
                done += w;
            }
            s->relay->stats.bytes_down += (uint64_t)n;
            wrote = 1;
            if ((size_t)n < want)
                break;                   /* drained: another read would find nothing */
            continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EINTR))
            break;
        if (wrote)
            netstack_conn_flush(s->conn);
        (void)event_del(s->pull_ev);
        if (n == 0) {
            s->flags |= F_SOCKS_EOF;
            (void)push_to_app(s);        /* passes the FIN on */
            return;
        }
        s->relay->stats.socks_reset++;
        log_debug("stream %s: reading from Tor failed: %s", s->name, strerror(errno));
        stream_close(s, CLOSE_ABORT);
        return;
    }
    if (wrote)
        netstack_conn_flush(s->conn);
    /* Level-triggered: after PULL_READS reads it fires again if more waits. */
    if (waiting)
        (void)event_add(s->pull_ev, NULL);
    else
        (void)event_del(s->pull_ev);
}

/* ---- the SOCKS connection -------------------------------------------- */

static void on_socks_write(struct bufferevent *bev, void *arg);

static void on_out_drained(struct evbuffer *buf, const struct evbuffer_cb_info *info, void *arg)
{
    struct relay_stream *s = arg;
    size_t n = info->n_deleted;
    (void)buf;
    /* The handshake's own bytes reopen no window of the app's. */
    size_t own = n < s->handshake_left ? n : s->handshake_left;
    s->handshake_left -= own;
    n -= own;
    if (n > 0 && s->conn != NULL)
        netstack_conn_recved(s->conn, n);
}

static void on_tor_readable(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    pull_from_tor(arg);
}

static void release_hold(const void *data, size_t len, void *hold)
{
    (void)data;
    (void)len;
    netstack_release(hold);
}

/* Bytes of the app's that wait in the output buffer, behind others: small
 * segments copied (the evbuffer packs them together) and their buffers
 * released at once, large ones handed over without a copy. 0, or -1 if out
 * of memory: the stream is then ended, and hold is still the caller's. */
static int keep_upload(struct relay_stream *s, const void *data, size_t len, void *hold)
{
    struct evbuffer *out = bufferevent_get_output(s->bev);
    int rc = len < SMALL_SEGMENT ? evbuffer_add(out, data, len)
                                 : evbuffer_add_reference(out, data, len, release_hold, hold);
    if (rc == 0) {
        if (len < SMALL_SEGMENT)
            netstack_release(hold);
        return 0;
    }
    /* From inside the stage's flush the stream may not go yet: it ends when
     * the loop next turns, and no byte after the gap reaches Tor. */
    s->flags |= F_UPLOAD_LOST;
    log_warn("stream %s: out of memory for the app's bytes; the stream is reset", s->name);
    bufferevent_trigger_event(s->bev, BEV_EVENT_ERROR, BEV_TRIG_DEFER_CALLBACKS);
    return -1;
}

static void upload_sent(void *owner, size_t n)
{
    struct relay_stream *s = owner;
    if (s->conn != NULL)
        netstack_conn_recved(s->conn, n);
}

static int upload_rest(void *owner, const void *data, size_t len, void *hold)
{
    return keep_upload(owner, data, len, hold);
}

static const struct upload_ops upload_ops = {
    .sent = upload_sent,
    .rest = upload_rest,
    .release = netstack_release,
};

/* The app's held SYN is let in: its connection exists from here on, and
 * what it sends goes to Tor behind the handshake. 0, or -1 when the stream
 * was closed. */
static int accept_app(struct relay_stream *s)
{
    struct ns_pending *pend = s->pend;
    s->pend = NULL;
    s->conn = netstack_pending_accept(pend, s);
    if (s->conn == NULL) {
        s->relay->stats.syn_lost++;
        log_debug("stream %s: the app's connection vanished while Tor connected", s->name);
        stream_close(s, CLOSE_ABORT);
        return -1;
    }
    struct evbuffer *out = bufferevent_get_output(s->bev);
    s->handshake_left = evbuffer_get_length(out);
    s->out_cb = evbuffer_add_cb(out, on_out_drained, s);
    if (s->out_cb == NULL) {
        stream_close(s, CLOSE_ABORT);
        return -1;
    }
    return 0;
}

static void stream_connected(struct relay_stream *s)
{
    if (s->conn == NULL && accept_app(s) != 0)
        return;
    s->flags |= F_CONNECTED;
    s->relay->stats.connected++;
    free(s->socks);
    s->socks = NULL;
    bufferevent_set_timeouts(s->bev, NULL, NULL);
    (void)bufferevent_disable(s->bev, EV_READ);
    s->pull_ev = event_new(s->relay->base, bufferevent_getfd(s->bev), EV_READ | EV_PERSIST,
                           on_tor_readable, s);
    if (s->pull_ev == NULL) {
        stream_close(s, CLOSE_ABORT);
        return;
    }
    log_debug("stream %s: connected through Tor", s->name);
    /* A FIN the app sent while Tor was connecting (--connect optimistic). */
    if ((s->flags & F_APP_FIN) && evbuffer_get_length(bufferevent_get_output(s->bev)) == 0)
        on_socks_write(s->bev, s);
    pull_from_tor(s);        /* bytes the server sent right after the reply, and on */
}

static void handshake_failed(struct relay_stream *s)
{
    struct relay_stats *st = &s->relay->stats;
    switch (s->socks->err) {
    case SOCKS5_ERR_REPLY:
        st->socks_rep[s->socks->rep]++;
        if (s->socks->rep >= SOCKS5_REP_TOR_HS_DESC_NOT_FOUND &&
            s->socks->rep <= SOCKS5_REP_TOR_HS_INTRO_TIMEOUT) {
            /* The user typed this onion address and only these words say
             * why it fails (a wrong address, a missing key); once per host
             * and 10 s, as a page may retry it many times and on many ports. */
            char host[sizeof(s->name)];
            snprintf(host, sizeof(host), "%s", s->name);
            char *colon = strrchr(host, ':');
            if (colon != NULL)
                *colon = '\0';
            if (log_limit_allow(&s->relay->warned_onions, host))
                log_warn("stream %s: Tor cannot reach this onion service: %s (0x%02x)", s->name,
                         socks5_rep_str(s->socks->rep), s->socks->rep);
        } else {
            log_debug("stream %s: Tor answered: %s (0x%02x)", s->name,
                      socks5_rep_str(s->socks->rep), s->socks->rep);
        }
        break;
    case SOCKS5_ERR_NO_METHOD:
    case SOCKS5_ERR_AUTH_REJECTED:
        st->socks_auth++;
        log_warn("stream %s: the SOCKS server at %s refused us: %s%s", s->name,
                 s->relay->cfg->socks_name, socks5_err_str(s->socks->err),
                 s->socks->err == SOCKS5_ERR_NO_METHOD
                     ? "; torgate needs username/password authentication (RFC 1929), which "
                       "every Tor SocksPort offers: is --socks Tor's?" : "");
        break;
    default:
        st->socks_malformed++;
        log_warn_limited(&s->relay->warned_malformed, "%s sent a reply that is not SOCKS5 (%s); "
                     "is --socks Tor's SocksPort?", s->relay->cfg->socks_name,
                     socks5_err_str(s->socks->err));
        break;
    }
    stream_close(s, CLOSE_REFUSE);
}

static void handshake_read(struct relay_stream *s)
{
    switch (socks_io_read(s->socks, s->bev)) {
    case SOCKS5_STEP_NEED_MORE:
        /* --connect optimistic: Tor took the greeting and the credentials
         * and waits on the circuit for the CONNECT's answer; the app may
         * start now, and its first bytes go with Tor's BEGIN cell (optimistic
         * data) rather than a circuit round trip later. Not before: bytes
         * that reach a SOCKS server still in its greeting can make it reset
         * the connection on its answer, and the answer, which says why the
         * stream failed, is lost. */
        if (s->relay->cfg->optimistic && s->conn == NULL && s->socks->state == SOCKS5_WANT_REPLY)
            (void)accept_app(s);
        return;
    case SOCKS5_STEP_CONNECTED:
        stream_connected(s);
        return;
    default:
        handshake_failed(s);
        return;
    }
}

static void on_socks_read(struct bufferevent *bev, void *arg)
{
    struct relay_stream *s = arg;
    (void)bev;
    if (!(s->flags & F_CONNECTED))
        handshake_read(s);
}

static void on_socks_write(struct bufferevent *bev, void *arg)
{
    struct relay_stream *s = arg;
    /* The output buffer is empty: a FIN from the app can follow its bytes,
     * once Tor has connected (before, Tor would take it for the end of
     * the SOCKS conversation). */
    if ((s->flags & F_APP_FIN) && (s->flags & F_CONNECTED) && !(s->flags & F_APP_FIN_SENT)) {
        (void)shutdown(bufferevent_getfd(bev), SHUT_WR);
        s->flags |= F_APP_FIN_SENT;
        maybe_finish(s);
    }
}

static void on_socks_event(struct bufferevent *bev, short what, void *arg)
{
    struct relay_stream *s = arg;
    struct relay_stats *st = &s->relay->stats;

    if (what & BEV_EVENT_CONNECTED) {
        s->flags |= F_GREETED;
        if (socks_io_greet(s->socks, bev) != 0)
            stream_close(s, CLOSE_REFUSE);
        return;
    }
    if (!(s->flags & F_CONNECTED)) {
        /* Tor answers a refusal and hangs up; the app's bytes that follow
         * the CONNECT (--connect optimistic) may then meet a reset before
         * the answer was read. The answer says why: read it first. */
        if ((s->flags & F_GREETED) && !(what & BEV_EVENT_TIMEOUT)) {
            struct evbuffer *in = bufferevent_get_input(bev);
            (void)evbuffer_read(in, bufferevent_getfd(bev), SOCKS_READ_MAX);
            if (evbuffer_get_length(in) > 0 && socks_io_read(s->socks, bev) == SOCKS5_STEP_FAILED) {
                handshake_failed(s);
                return;
            }
        }
        if (what & BEV_EVENT_TIMEOUT) {
            st->socks_timeout++;
            log_debug("stream %s: no SOCKS answer within %d s", s->name, HANDSHAKE_TIMEOUT_S);
        } else if ((what & BEV_EVENT_EOF) || (s->flags & F_GREETED)) {
            st->socks_eof++;
            log_debug("stream %s: the SOCKS port closed during the handshake", s->name);
        } else {
            st->socks_unreachable++;
            log_warn_limited(&s->relay->warned_unreachable, "cannot reach Tor at %s (%s): new "
                         "connections are refused until it is back; start Tor",
                         s->relay->cfg->socks_name, strerror(EVUTIL_SOCKET_ERROR()));
        }
        stream_close(s, CLOSE_REFUSE);
        return;
    }
    if ((what & BEV_EVENT_EOF) && (what & BEV_EVENT_READING)) {
        s->flags |= F_SOCKS_EOF;
        (void)push_to_app(s);
        return;
    }
    st->socks_reset++;
    log_debug("stream %s: the SOCKS connection failed mid-stream", s->name);
    stream_close(s, CLOSE_ABORT);
}

/* ---- netstack callbacks --------------------------------------------- */

static void relay_tcp_recv(void *stream, const void *data, size_t len, void *hold);
static void relay_tcp_fin(void *stream);
static void relay_tcp_sent(void *stream);
static void relay_tcp_gone(void *stream, int clean);

static const struct stream_ops relay_ops = {
    .recv = relay_tcp_recv,
    .fin = relay_tcp_fin,
    .sent = relay_tcp_sent,
    .gone = relay_tcp_gone,
};

void *relay_tcp_open(struct relay *r, struct ns_pending *pend, const struct ns_flow *flow)
{
    struct socks5_dest dest;
    struct relay_stream *s = calloc(1, sizeof(*s));
    if (s == NULL) {
        r->stats.open_failed++;
        return NULL;
    }
    s->head.ops = &relay_ops;
    s->relay = r;
    s->pend = pend;
    if (relay_dest_of_flow(r->map, flow, &dest, s->name, sizeof(s->name)) != 0) {
        r->stats.unknown_virtual++;
        log_debug("stream %s: a virtual address no name owns; refused", s->name);
        free(s);
        return NULL;
    }
    char pass[24];
    relay_dest_password(r->cfg->isolate, r->pass, &r->stream_seq, &dest, pass, sizeof(pass));
    s->socks = malloc(sizeof(*s->socks));
    if (s->socks == NULL || socks5_client_init(s->socks, r->user, pass, &dest) != 0)
        goto fail;
    s->bev = bufferevent_socket_new(r->base, -1, BEV_OPT_CLOSE_ON_FREE);
    if (s->bev == NULL)
        goto fail;
    bufferevent_setcb(s->bev, on_socks_read, on_socks_write, on_socks_event, s);
    (void)bufferevent_set_max_single_read(s->bev, SOCKS_READ_MAX);
    struct timeval tmo = { .tv_sec = HANDSHAKE_TIMEOUT_S, .tv_usec = 0 };
    bufferevent_set_timeouts(s->bev, &tmo, &tmo);
    if (bufferevent_enable(s->bev, EV_READ | EV_WRITE) != 0 ||
        bufferevent_socket_connect(s->bev, (const struct sockaddr *)&r->cfg->socks_addr,
                                   (int)r->cfg->socks_addrlen) != 0) {
        log_warn_limited(&r->warned_nofd, "cannot open a connection to Tor at %s for %s: %s%s",
                     r->cfg->socks_name, s->name, strerror(errno),
                     errno == EMFILE || errno == ENFILE ? "; raise the open-file limit (ulimit -n)" : "");
        goto fail;
    }
    s->next = r->streams;
    if (r->streams != NULL)
        r->streams->prev = s;
    r->streams = s;
    r->nstreams++;
    r->stats.opened++;
    log_debug("stream %s: asking Tor", s->name);
    return s;
fail:
    r->stats.open_failed++;
    if (s->bev != NULL)
        bufferevent_free(s->bev);
    free(s->socks);
    free(s);
    return NULL;
}

static void relay_tcp_recv(void *stream, const void *data, size_t len, void *hold)
{
    struct relay_stream *s = stream;
    if (s->flags & (F_APP_FIN_SENT | F_UPLOAD_LOST)) {
        /* Nothing may follow a FIN (lwIP never does this), nor a gap. */
        netstack_release(hold);
        return;
    }
    s->relay->stats.bytes_up += len;
    /* Nothing waits before these bytes: staged, they reach the socket with
     * the stream's other segments of this loop turn in one sendmsg. */
    if (evbuffer_get_length(bufferevent_get_output(s->bev)) == 0)
        upload_add(s->relay->upload, s, bufferevent_getfd(s->bev), data, len, hold);
    else if (keep_upload(s, data, len, hold) != 0)
        netstack_release(hold);
}

static void relay_tcp_fin(void *stream)
{
    struct relay_stream *s = stream;
    upload_flush_owner(s->relay->upload, s);
    s->flags |= F_APP_FIN;
    if (evbuffer_get_length(bufferevent_get_output(s->bev)) == 0)
        on_socks_write(s->bev, s);
}

static void relay_tcp_sent(void *stream)
{
    struct relay_stream *s = stream;
    if ((s->flags & F_CONNECTED) && !(s->flags & F_SOCKS_FIN_SENT) && netstack_conn_writable(s->conn))
        pull_from_tor(s);
}

static void relay_tcp_gone(void *stream, int clean)
{
    struct relay_stream *s = stream;
    s->conn = NULL;
    if (!clean) {
        s->relay->stats.app_reset++;
        log_debug("stream %s: reset by the app", s->name);
        stream_close(s, CLOSE_GONE);
        return;
    }
    /* Both FINs were exchanged on the app's side, but bytes the app sent may
     * still wait for Tor: deliver them, then pass the FIN on. */
    upload_flush_owner(s->relay->upload, s);
    s->flags |= F_APP_FIN | F_SOCKS_FIN_SENT;
    if (evbuffer_get_length(bufferevent_get_output(s->bev)) == 0)
        on_socks_write(s->bev, s);
}

/* ---- the relay ------------------------------------------------------- */

struct relay *relay_new(struct event_base *base, const struct tg_config *cfg, struct vmap *map)
{
    struct relay *r = calloc(1, sizeof(*r));
    if (r == NULL)
        return NULL;
    r->base = base;
    r->cfg = cfg;
    r->map = map;
    r->upload = upload_new(base, &upload_ops);
    /* A credential of its own per instance: with IsolateSOCKSAuth (Tor's
     * default) this sandbox shares no circuit with anything else. */
    if (r->upload == NULL || relay_dest_user(r->user, sizeof(r->user)) != 0) {
        upload_free(r->upload);
        free(r);
        return NULL;
    }
    snprintf(r->pass, sizeof(r->pass), "torgate");
    return r;
}

int relay_new_identity(struct relay *r, int close_streams)
{
    if (relay_dest_user(r->user, sizeof(r->user)) != 0)
        return -1;
    r->identities++;
    if (close_streams) {
        /* Streams still asking Tor are refused (the app sees a reset
         * connection attempt); open ones are reset. */
        while (r->streams != NULL)
            stream_close(r->streams, r->streams->conn != NULL ? CLOSE_ABORT : CLOSE_REFUSE);
    }
    return 0;
}

void relay_free(struct relay *r)
{
    if (r == NULL)
        return;
    while (r->streams != NULL) {
        struct relay_stream *s = r->streams;
        if (s->pend != NULL) {
            netstack_pending_drop(s->pend);
            s->pend = NULL;
        }
        stream_close(s, CLOSE_ABORT);
    }
    upload_free(r->upload);
    free(r);
}

size_t relay_stream_count(const struct relay *r)
{
    return r->nstreams;
}

size_t relay_uploads_pending(const struct relay *r)
{
    size_t n = 0;
    for (const struct relay_stream *s = r->streams; s != NULL; s = s->next)
        if ((s->flags & F_CONNECTED) && !(s->flags & F_APP_FIN_SENT))
            n++;
    return n;
}

const struct relay_stats *relay_stats(const struct relay *r)
{
    return &r->stats;
}

const char *relay_socks_user(const struct relay *r)
{
    return r->user;
}

const char *relay_socks_pass(const struct relay *r)
{
    return r->pass;
}
