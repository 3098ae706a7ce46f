/* The sound filter. A PulseAudio socket lets a client ask the daemon for
 * much more than sound: load a module (module-tunnel-sink connects to any
 * address, module-ladspa-sink runs a file's code), move or kill other
 * programs' streams, switch a Bluetooth card on, or make it exit. The
 * daemon runs outside the sandbox, so all of that would happen outside.
 *
 * So the command never reaches the daemon. It reaches this process, which
 * connects to the daemon for each client and passes on, packet by packet,
 * only what pulse/wire.c allows; a refused command is answered "access
 * denied" here, as the daemon would answer it, and never reaches it. The
 * shared-memory offer is taken out of AUTH, so all audio comes through the
 * socket, where it is framed and checked, and no file descriptor crosses
 * (this process reads with read(2), which drops any that are sent).
 *
 * One process, forked before the sandbox exists, dying with torgate; once
 * it listens it confines itself (confine_relay: no files, no network but
 * unix sockets). The daemon authenticates it by its credentials, which are
 * the user's, so the command needs no cookie. */
#define _GNU_SOURCE
#include "audio/pulse_filter.h"
#include "base/helper.h"
#include "base/log.h"
#include "confine/confine.h"
#include "pulse/stream.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#define MAX_CLIENTS 32
#define HIGH_WATER (256u * 1024)       /* stop reading a side whose output waits */
#define CHUNK (64u * 1024)

/* One client: its socket, its connection to the daemon, the bytes between. */
struct client {
    int c, s;
    struct pulse_stream st;
};

static char dir[64], path[96], server_path[108];
static pid_t filter = -1;
static struct client clients[MAX_CLIENTS];
static int nclients;
static struct log_limit refused_log;
static long busy_log;

static void client_free(struct client *k)
{
    close(k->c);
    close(k->s);
    pulse_stream_free(&k->st);
    *k = clients[--nclients];
    memset(&clients[nclients], 0, sizeof(clients[nclients]));
}

static void on_refuse(uint32_t command, void *arg)
{
    char buf[24];
    const char *name = pulse_command_name(command, buf, sizeof(buf));
    (void)arg;
    if (log_limit_allow(&refused_log, name))
        log_warn("sound: refused %s from the command (--socket pulseaudio passes playing, "
                 "recording and volume, never what makes the sound server act outside)", name);
}

static void accept_client(int lfd)
{
    int c = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (c < 0)
        return;
    if (nclients == MAX_CLIENTS) {
        log_warn_limited(&busy_log, "sound: %d sound connections from the command already; one more "
                         "refused", MAX_CLIENTS);
        close(c);
        return;
    }
    struct sockaddr_un un = { .sun_family = AF_UNIX };
    snprintf(un.sun_path, sizeof(un.sun_path), "%s", server_path);
    int s = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (s < 0 || connect(s, (struct sockaddr *)&un, sizeof(un)) != 0) {
        log_warn_limited(&busy_log, "sound: cannot reach your sound server at %s: %s (is PulseAudio "
                         "or PipeWire's pulse server running?)", server_path, strerror(errno));
        if (s >= 0)
            close(s);
        close(c);
        return;
    }
    struct client *k = &clients[nclients++];
    memset(k, 0, sizeof(*k));
    k->c = c;
    k->s = s;
    k->st.on_refuse = on_refuse;
}

/* Moves bytes for one client; -1 when it is done. */
static int serve(struct client *k, short crev, short srev)
{
    static uint8_t chunk[CHUNK];
    struct pulse_stream *st = &k->st;
    ssize_t n;
    int rc = 0;
    if (crev & POLLIN) {
        n = read(k->c, chunk, sizeof(chunk));
        if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
            return -1;
        if (n > 0 && (rc = pulse_stream_from_client(st, chunk, (size_t)n)) != 0)
            log_warn("sound: %s from the command; its sound connection is closed", st->why);
    }
    if (rc == 0 && (srev & POLLIN)) {
        n = read(k->s, chunk, sizeof(chunk));
        if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
            return -1;
        if (n > 0 && (rc = pulse_stream_from_server(st, chunk, (size_t)n)) != 0)
            log_warn("sound: %s from your sound server; the command's sound connection is closed",
                     st->why);
    }
    if (rc != 0)
        return -1;
    struct { int fd; struct pulse_buf *b; } out[2] = { { k->s, &st->to_server }, { k->c, &st->to_client } };
    for (int i = 0; i < 2; i++) {
        if (out[i].b->len == 0)
            continue;
        n = write(out[i].fd, out[i].b->p, out[i].b->len);
        if (n < 0 && errno != EAGAIN && errno != EINTR)
            return -1;
        if (n > 0)
            pulse_buf_consume(out[i].b, (size_t)n);
    }
    if (((crev | srev) & (POLLERR | POLLHUP)) && !((crev | srev) & POLLIN))
        return -1;
    return 0;
}

static void run(int lfd)
{
    struct pollfd p[1 + 2 * MAX_CLIENTS];
    for (;;) {
        int n = 0;
        p[n++] = (struct pollfd){ .fd = lfd, .events = POLLIN };
        for (int i = 0; i < nclients; i++) {
            struct client *k = &clients[i];
            size_t up = k->st.to_server.len, down = k->st.to_client.len;
            p[n++] = (struct pollfd){ .fd = k->c, .events = (short)((up < HIGH_WATER ? POLLIN : 0) |
                                                                   (down > 0 ? POLLOUT : 0)) };
            p[n++] = (struct pollfd){ .fd = k->s, .events = (short)((down < HIGH_WATER ? POLLIN : 0) |
                                                                   (up > 0 ? POLLOUT : 0)) };
        }
        if (poll(p, (nfds_t)n, -1) < 0) {
            if (errno == EINTR)
                continue;
            log_error("sound: the filter cannot wait for its sockets: %s; the command loses its sound",
                      strerror(errno));
            _exit(1);
        }
        /* Back to front: a finished client's slot takes the last one's. */
        for (int i = nclients - 1; i >= 0; i--)
            if (serve(&clients[i], p[1 + 2 * i].revents, p[2 + 2 * i].revents) != 0)
                client_free(&clients[i]);
        if (p[0].revents & POLLIN)
            accept_client(lfd);
    }
}

static int listen_at(char *err, size_t errlen)
{
    snprintf(dir, sizeof(dir), "/tmp/torgate-pulse-XXXXXX");
    if (mkdtemp(dir) == NULL) {
        snprintf(err, errlen, "--socket pulseaudio: cannot make a directory for the sound filter's "
                 "socket: %s", strerror(errno));
        dir[0] = '\0';
        return -1;
    }
    snprintf(path, sizeof(path), "%s/native", dir);
    struct sockaddr_un un = { .sun_family = AF_UNIX };
    snprintf(un.sun_path, sizeof(un.sun_path), "%s", path);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0 || bind(fd, (struct sockaddr *)&un, sizeof(un)) != 0 || listen(fd, 16) != 0) {
        snprintf(err, errlen, "--socket pulseaudio: cannot listen on %s: %s", path, strerror(errno));
        if (fd >= 0)
            close(fd);
        pulse_filter_forget();
        return -1;
    }
    return fd;
}

int pulse_filter_start(const char *server, char *sock, size_t socklen, char *err, size_t errlen)
{
    struct stat st;
    if (strlen(server) >= sizeof(server_path)) {
        snprintf(err, errlen, "--socket pulseaudio: the sound server's path is too long: %s", server);
        return -1;
    }
    int found = stat(server, &st) == 0, missing = !found && errno == ENOENT;
    if (!found || !S_ISSOCK(st.st_mode)) {
        snprintf(err, errlen, "--socket pulseaudio: no sound server at %s (%s); start PulseAudio or "
                 "PipeWire's pulse server, or set PULSE_SERVER=unix:PATH",
                 server, found ? "not a socket" : strerror(errno));
        return missing ? 1 : -1;
    }
    snprintf(server_path, sizeof(server_path), "%s", server);
    int lfd = listen_at(err, errlen);
    if (lfd < 0)
        return -1;
    filter = helper_fork(SIGKILL);
    if (filter < 0) {
        snprintf(err, errlen, "--socket pulseaudio: cannot start the sound filter: %s", strerror(errno));
        close(lfd);
        pulse_filter_forget();
        return -1;
    }
    if (filter == 0) {
        char cerr[256] = "";
        (void)signal(SIGPIPE, SIG_IGN);     /* a client gone is one connection closed */
        /* Only its socket, the log and nothing else of torgate's. */
        if (dup2(lfd, 3) != 3 || close_range(4, ~0u, 0) != 0 || confine_relay(cerr, sizeof(cerr)) != 0) {
            log_error("sound: the filter cannot confine itself: %s; the command gets no sound",
                      cerr[0] != '\0' ? cerr : strerror(errno));
            _exit(1);
        }
        run(3);
    }
    close(lfd);
    snprintf(sock, socklen, "%s", path);
    log_info("sound: the command's sound server is torgate's filter, relaying to %s", server);
    return 0;
}

void pulse_filter_forget(void)
{
    helper_forget(path, dir);
}

void pulse_filter_stop(void)
{
    helper_stop(&filter, SIGKILL);
}
