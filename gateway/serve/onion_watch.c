/* The onion service's control connection, in the loop. Tor reports each
 * upload of the service's descriptor to an HSDir (HS_DESC UPLOADED); the
 * first is when clients can find it, and the user is told its address
 * then, in one line. If Tor closes the connection (a restart), the service
 * is gone: said once. At the end DEL_ONION takes it down at once (closing
 * the connection would too, a moment later). */
#define _GNU_SOURCE
#include "serve/onion_watch.h"
#include "base/log.h"
#include "tor/onion_parse.h"

#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define LINE_MAX_LEN 2048

struct onion_watch {
    struct event *ev;
    int fd;
    char id[ONION_ID_LEN + 1];
    char ports[256];              /* "80 -> 8080, ..." for the line */
    int uploaded, failed;
    char buf[LINE_MAX_LEN];
    size_t len;
};

static void on_line(struct onion_watch *w, const char *line, size_t n)
{
    char action[16], id[ONION_ID_LEN + 1];
    if (onion_parse_hs_desc(line, n, action, sizeof(action), id) != 0 || strcmp(id, w->id) != 0)
        return;                     /* another service's, or not an event of ours */
    if (strcmp(action, "FAILED") == 0) {
        w->failed++;
        log_debug("onion service %s.onion: an upload of its descriptor failed: %.*s", w->id,
                  (int)n, line);
        return;
    }
    if (strcmp(action, "UPLOADED") != 0 || w->uploaded++ > 0)
        return;
    /* What the user started torgate for: said unless -q. */
    if (log_enabled(LOG_WARN))
        fprintf(stderr, "torgate: onion service %s.onion is published (port %s)\n", w->id, w->ports);
}

static void on_readable(evutil_socket_t fd, short what, void *arg)
{
    struct onion_watch *w = arg;
    (void)what;
    ssize_t n = read(fd, w->buf + w->len, sizeof(w->buf) - w->len);
    if (n < 0 && (errno == EAGAIN || errno == EINTR))
        return;
    if (n <= 0) {
        log_warn("Tor closed the control connection that held onion service %s.onion: it is gone "
                 "until torgate is started again (was Tor restarted?)", w->id);
        event_del(w->ev);
        return;
    }
    w->len += (size_t)n;
    size_t start = 0;
    for (size_t i = 0; i + 1 < w->len; i++)
        if (w->buf[i] == '\r' && w->buf[i + 1] == '\n') {
            on_line(w, w->buf + start, i - start);
            start = i + 2;
        }
    memmove(w->buf, w->buf + start, w->len - start);
    w->len -= start;
    if (w->len == sizeof(w->buf))
        w->len = 0;                 /* no line of Tor's is that long: drop it */
}

struct onion_watch *onion_watch_start(struct event_base *base, const struct tg_config *cfg,
                                      const struct onion_service *svc)
{
    struct onion_watch *w = calloc(1, sizeof(*w));
    if (w == NULL) {
        close(svc->fd);
        return NULL;
    }
    w->fd = svc->fd;
    snprintf(w->id, sizeof(w->id), "%s", svc->id);
    size_t used = 0;
    for (int i = 0; i < cfg->nonion && used < sizeof(w->ports); i++) {
        int k = snprintf(w->ports + used, sizeof(w->ports) - used, "%s%u -> the command's %u",
                         i ? ", " : "", (unsigned)cfg->onion[i].vport, (unsigned)cfg->onion[i].port);
        if (k < 0)
            break;
        used += (size_t)k;
    }
    if (fcntl(w->fd, F_SETFL, O_NONBLOCK) != 0 ||
        (w->ev = event_new(base, w->fd, EV_READ | EV_PERSIST, on_readable, w)) == NULL ||
        event_add(w->ev, NULL) != 0) {
        onion_watch_free(w);
        return NULL;
    }
    return w;
}

void onion_watch_free(struct onion_watch *w)
{
    if (w == NULL)
        return;
    char cmd[ONION_ID_LEN + 16];
    int n = snprintf(cmd, sizeof(cmd), "DEL_ONION %s\r\n", w->id);
    /* Best effort: the connection's end removes the service anyway. */
    if (write(w->fd, cmd, (size_t)n) != n)
        log_debug("onion service %s.onion: DEL_ONION not sent: %s", w->id, strerror(errno));
    if (w->ev != NULL)
        event_free(w->ev);
    close(w->fd);
    log_info("onion service %s.onion removed", w->id);
    free(w);
}
