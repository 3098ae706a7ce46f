/* bench_client: the client side of every `make bench` workload.
 *
 *   bench_client download|upload TARGET SECONDS [--socks S] [--wait]
 *   bench_client rr TARGET SECONDS CLIENTS [--socks S]
 *   bench_client hold TARGET COUNT [--socks S]
 *
 * TARGET and S are HOST:PORT. With --socks the client speaks SOCKS5 (no
 * auth) to S and asks it to CONNECT to TARGET: the socks-only path. Inside
 * torgate it connects to TARGET plainly and torgate does the SOCKS part.
 * One result line on stdout, "result key=value ...":
 *   download/upload: one stream for SECONDS -> bytes, seconds, gbps. --wait
 *     prints "start" when bytes begin to flow and, after the result, waits
 *     for stdin to close, so that whoever runs torgate can read the
 *     gateway's CPU time at both ends of the transfer.
 *   rr: CLIENTS concurrent loops of connect, BENCH_REQ_LEN bytes out,
 *     BENCH_RESP_LEN bytes in until the server closes -> conns, rate (per
 *     second), p50_us, p99_us (connect to close), errors, stalled (still
 *     unanswered 10 s after the end).
 *   hold: opens COUNT streams, each proven end to end by the server's 'i',
 *     prints "result held=N failed=M" and keeps them until stdin closes. */
#define _GNU_SOURCE
#include "bench_common.h"

#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/time.h>
#include <unistd.h>

#define STALL_NS (10ull * 1000000000ull)
#define HOLD_INFLIGHT 256

static struct sockaddr_storage target, socks;
static socklen_t target_len, socks_len;
static bool use_socks;
static unsigned char buf[BENCH_CHUNK];

static int client_socket(bool nonblock)
{
    const struct sockaddr_storage *to = use_socks ? &socks : &target;
    int fd = socket(to->ss_family, SOCK_STREAM | SOCK_CLOEXEC | (nonblock ? SOCK_NONBLOCK : 0), 0);
    if (fd < 0)
        return -1;
    bench_nodelay(fd);
    if (connect(fd, (const struct sockaddr *)to, use_socks ? socks_len : target_len) != 0 &&
        errno != EINPROGRESS) {
        int e = errno;
        close(fd);
        errno = e;
        return -1;
    }
    return fd;
}

static void client_wait_stdin(void)
{
    /* Returns when stdin reaches EOF or fails: whoever started us is done. */
    while (read(0, buf, sizeof(buf)) > 0)
        ;
}

static int client_say(const char *line)
{
    return (fputs(line, stdout) < 0 || fflush(stdout) != 0) ? -1 : 0;
}

/* ---- one bulk stream, blocking I/O --------------------------------------- */
static int client_bulk(bool upload, double seconds, bool wait)
{
    int fd = client_socket(false);
    struct timeval tv = { .tv_sec = 10 };
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) != 0 ||
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) != 0) {
        perror("bench_client: connect to the target");
        return 1;
    }
    if (use_socks && bench_socks_connect(fd, &target) != 0) {
        fprintf(stderr, "bench_client: the SOCKS server refused or broke the CONNECT\n");
        return 1;
    }
    if (write(fd, upload ? "U" : "D", 1) != 1) {
        perror("bench_client: write the workload byte");
        return 1;
    }
    if (wait && client_say("start\n") != 0)
        return 1;
    uint64_t t0 = bench_now_ns(), end = t0 + (uint64_t)(seconds * 1e9), bytes = 0, t1 = t0;
    for (;;) {
        ssize_t n = upload ? write(fd, buf, sizeof(buf)) : read(fd, buf, sizeof(buf));
        if (n <= 0) {
            fprintf(stderr, "bench_client: %s stopped after %" PRIu64 " bytes: %s\n",
                    upload ? "upload" : "download", bytes, n == 0 ? "EOF" : strerror(errno));
            return 1;
        }
        bytes += (uint64_t)n;
        if ((t1 = bench_now_ns()) >= end)
            break;
    }
    if (upload) {
        /* Count what the server received: shut down and read its total. */
        if (shutdown(fd, SHUT_WR) != 0) {
            perror("bench_client: shutdown");
            return 1;
        }
        char line[32] = "";
        size_t got = 0;
        ssize_t n;
        while (got < sizeof(line) - 1 && (n = read(fd, line + got, sizeof(line) - 1 - got)) > 0)
            got += (size_t)n;
        line[got] = '\0';
        t1 = bench_now_ns();
        char *endp = NULL;
        bytes = strtoull(line, &endp, 10);
        if (got == 0 || *endp != '\n') {
            fprintf(stderr, "bench_client: the server did not report the bytes it received\n");
            return 1;
        }
    }
    close(fd);
    double s = (double)(t1 - t0) / 1e9;
    char out[256];
    snprintf(out, sizeof(out), "result mode=%s bytes=%" PRIu64 " seconds=%.3f gbps=%.3f\n",
             upload ? "upload" : "download", bytes, s, (double)bytes * 8 / s / 1e9);
    if (client_say(out) != 0)
        return 1;
    if (wait)
        client_wait_stdin();
    return 0;
}

/* ---- many short or idle streams, one epoll loop -------------------------- */
enum cstate { C_CONNECT, C_SOCKS, C_RESP };
struct slot {
    int fd;
    enum cstate st;
    uint64_t t0;
    unsigned char rep[300];
    size_t n;                /* SOCKS reply bytes, then response bytes */
};

struct run {
    int ep;
    bool hold;
    uint64_t *lat;           /* microseconds, one per completed connection */
    size_t nlat, cap;
    uint64_t errors;
    uint64_t held, failed;
};

static int client_start(struct run *rn, struct slot *s)
{
    memset(s, 0, sizeof(*s));
    s->fd = client_socket(true);
    s->t0 = bench_now_ns();
    if (s->fd < 0)
        return -1;
    struct epoll_event ev = { .events = EPOLLOUT, .data.ptr = s };
    if (epoll_ctl(rn->ep, EPOLL_CTL_ADD, s->fd, &ev) != 0) {
        close(s->fd);
        s->fd = -1;
        return -1;
    }
    s->st = C_CONNECT;
    return 0;
}

static int client_send_request(struct run *rn, struct slot *s)
{
    unsigned char req[BENCH_REQ_LEN];
    size_t len = rn->hold ? 1 : sizeof(req);
    memset(req, 'x', sizeof(req));
    req[0] = rn->hold ? 'I' : 'R';
    if (write(s->fd, req, len) != (ssize_t)len)
        return -1;
    s->st = C_RESP;
    s->n = 0;
    struct epoll_event ev = { .events = EPOLLIN, .data.ptr = s };
    return epoll_ctl(rn->ep, EPOLL_CTL_MOD, s->fd, &ev);
}

static int client_record(struct run *rn, uint64_t us)
{
    if (rn->nlat == rn->cap) {
        size_t cap = rn->cap ? rn->cap * 2 : 65536;
        uint64_t *p = realloc(rn->lat, cap * sizeof(*p));
        if (p == NULL)
            return -1;
        rn->lat = p;
        rn->cap = cap;
    }
    rn->lat[rn->nlat++] = us;
    return 0;
}

/* Advances one slot; 1 when its connection is over (slot free), 0 if it
 * goes on, -1 when it failed (slot free, counted). */
static int client_step(struct run *rn, struct slot *s)
{
    if (s->st == C_CONNECT) {
        int err = 0;
        socklen_t el = sizeof(err);
        if (getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &err, &el) != 0 || err != 0)
            return -1;
        if (!use_socks)
            return client_send_request(rn, s) == 0 ? 0 : -1;
        unsigned char req[32];
        size_t len = bench_socks_request(&target, req);
        struct epoll_event ev = { .events = EPOLLIN, .data.ptr = s };
        if (write(s->fd, req, len) != (ssize_t)len || epoll_ctl(rn->ep, EPOLL_CTL_MOD, s->fd, &ev) != 0)
            return -1;
        s->st = C_SOCKS;
        return 0;
    }
    if (s->st == C_SOCKS) {
        /* Byte-exact: the response must not be read into the SOCKS reply. */
        ssize_t r = read(s->fd, s->rep + s->n, 1);
        if (r < 0)
            return errno == EAGAIN ? 0 : -1;
        if (r == 0 || ++s->n == sizeof(s->rep))
            return -1;
        long need = bench_socks_reply_len(s->rep, s->n);
        if (need < 0)
            return -1;
        if (need > 0)
            return client_send_request(rn, s) == 0 ? 0 : -1;
        return 0;
    }
    ssize_t r = read(s->fd, buf, sizeof(buf));
    if (r < 0)
        return errno == EAGAIN ? 0 : -1;
    if (rn->hold) {
        if (r != 1 || buf[0] != 'i')
            return -1;
        rn->held++;
        /* Kept open, out of the loop: only the close at exit touches it. */
        if (epoll_ctl(rn->ep, EPOLL_CTL_DEL, s->fd, NULL) != 0)
            return -1;
        s->fd = -1;
        return 1;
    }
    if (r > 0) {
        s->n += (size_t)r;
        return 0;
    }
    if (s->n != BENCH_RESP_LEN)
        return -1;
    return client_record(rn, (bench_now_ns() - s->t0) / 1000) == 0 ? 1 : -1;
}

static void client_release(struct slot *s)
{
    if (s->fd >= 0)
        close(s->fd);
    s->fd = -1;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static int client_many(bool hold, double seconds, unsigned long count, unsigned long clients)
{
    struct run rn = { .hold = hold };
    struct slot *slots = calloc(clients, sizeof(*slots));
    rn.ep = epoll_create1(EPOLL_CLOEXEC);
    if (slots == NULL || rn.ep < 0) {
        perror("bench_client: setup");
        return 1;
    }
    uint64_t t0 = bench_now_ns(), deadline = t0 + (uint64_t)(seconds * 1e9);
    uint64_t last_progress = t0, started = 0, last_done = t0;
    unsigned long active = 0;
    for (unsigned long i = 0; i < clients; i++) {
        slots[i].fd = -1;
        if (hold && started >= count)
            break;
        started++;
        if (client_start(&rn, &slots[i]) == 0)
            active++;
        else
            rn.errors++;
    }
    struct epoll_event evs[256];
    while (active > 0) {
        int n = epoll_wait(rn.ep, evs, 256, 100);
        if (n < 0 && errno != EINTR) {
            perror("bench_client: epoll_wait");
            return 1;
        }
        uint64_t now = bench_now_ns();
        for (int i = 0; i < n; i++) {
            struct slot *s = evs[i].data.ptr;
            int rc = client_step(&rn, s);
            if (rc == 0)
                continue;
            last_progress = last_done = now;
            if (rc < 0)
                rn.errors++;
            client_release(s);
            active--;
            bool more = hold ? started < count : now < deadline;
            if (more) {
                started++;
                if (client_start(&rn, s) == 0)
                    active++;
                else
                    rn.errors++;
            }
        }
        if (n > 0)
            last_progress = now;
        if (now - last_progress > STALL_NS)
            break;               /* the rest are stalled: report, do not hang */
    }
    double s = (double)(last_done - t0) / 1e9;
    if (hold) {
        printf("result mode=hold held=%" PRIu64 " failed=%" PRIu64 " stalled=%lu seconds=%.3f\n",
               rn.held, rn.errors, active, s);
        if (fflush(stdout) != 0)
            return 1;
        client_wait_stdin();
        return 0;
    }
    qsort(rn.lat, rn.nlat, sizeof(*rn.lat), cmp_u64);
    uint64_t p50 = rn.nlat ? rn.lat[rn.nlat / 2] : 0;
    uint64_t p99 = rn.nlat ? rn.lat[(rn.nlat * 99) / 100] : 0;
    printf("result mode=rr clients=%lu conns=%zu seconds=%.3f rate=%.1f p50_us=%" PRIu64
           " p99_us=%" PRIu64 " errors=%" PRIu64 " stalled=%lu\n",
           clients, rn.nlat, s, s > 0 ? (double)rn.nlat / s : 0.0, p50, p99, rn.errors, active);
    free(rn.lat);
    return fflush(stdout) == 0 ? 0 : 1;
}

static int usage(void)
{
    fprintf(stderr, "usage: bench_client download|upload TARGET SECONDS [--socks HOST:PORT] [--wait]\n"
                    "       bench_client rr TARGET SECONDS CLIENTS [--socks HOST:PORT]\n"
                    "       bench_client hold TARGET COUNT [--socks HOST:PORT]\n"
                    "TARGET is HOST:PORT of bench_server (or what the SOCKS server maps to it)\n");
    return 2;
}

int main(int argc, char **argv)
{
    bool wait = false;
    int npos = 0;
    const char *pos[4] = { 0 };
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--socks") == 0 && i + 1 < argc) {
            if (bench_parse_hostport(argv[++i], &socks, &socks_len) != 0)
                return usage();
            use_socks = true;
        } else if (strcmp(argv[i], "--wait") == 0)
            wait = true;
        else if (npos < 4)
            pos[npos++] = argv[i];
        else
            return usage();
    }
    if (npos < 3 || bench_parse_hostport(pos[1], &target, &target_len) != 0)
        return usage();
    if (signal(SIGPIPE, SIG_IGN) == SIG_ERR) {
        perror("bench_client: signal(SIGPIPE)");
        return 1;
    }
    const char *mode = pos[0];
    double x = strtod(pos[2], NULL);
    if (strcmp(mode, "download") == 0 || strcmp(mode, "upload") == 0)
        return x > 0 ? client_bulk(mode[0] == 'u', x, wait) : usage();
    if (strcmp(mode, "rr") == 0 && npos == 4 && x > 0 && atol(pos[3]) > 0)
        return client_many(false, x, 0, (unsigned long)atol(pos[3]));
    if (strcmp(mode, "hold") == 0) {
        unsigned long lim = bench_raise_nofile();
        if (x < 0 || x + 64 > (double)lim) {
            fprintf(stderr, "bench_client: %.0f streams need more open files than the limit %lu; "
                            "raise ulimit -n\n", x, lim);
            return 1;
        }
        return client_many(true, 0, (unsigned long)x, HOLD_INFLIGHT);
    }
    return usage();
}
