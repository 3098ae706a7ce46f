/* bench_server: the far end of every `make bench` workload, one epoll loop.
 *
 *   bench_server [--listen HOST:PORT]
 *
 * The first byte a client sends picks the workload:
 *   'D'  download: the server writes 1 MB blocks until the client goes away;
 *   'U'  upload: the server reads and discards until EOF, then answers with
 *        the byte count ("N\n", the 'U' excluded) so the client times the
 *        bytes that arrived, not the ones still in socket buffers;
 *   'R'  short request: BENCH_REQ_LEN bytes in all, answered with
 *        BENCH_RESP_LEN bytes, then the server closes;
 *   'I'  idle: answered with one byte 'i' (the stream is proven end to end)
 *        and then held open until the client closes.
 * Prints "ready PORT" once listening. */
#define _GNU_SOURCE
#include "bench_common.h"

#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

struct conn {
    int fd;
    char mode;               /* 0 until the first byte arrived */
    uint32_t mask;
    uint64_t count;          /* bytes read (upload, request) */
};

static int ep;
static unsigned char scratch[BENCH_CHUNK];
static unsigned char source[BENCH_CHUNK];

static void server_close(struct conn *c)
{
    close(c->fd);            /* also leaves epoll */
    free(c);
}

static int server_mask(struct conn *c, uint32_t mask)
{
    if (mask == c->mask)
        return 0;
    struct epoll_event ev = { .events = mask, .data.ptr = c };
    if (epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev) != 0)
        return -1;
    c->mask = mask;
    return 0;
}

/* Bytes read in the current mode; -1 closes the connection. */
static int server_input(struct conn *c, const unsigned char *b, size_t n)
{
    switch (c->mode) {
    case 'D':
        return 0;                        /* a downloading client sends nothing */
    case 'U':
        c->count += n;
        return 0;
    case 'R': {
        c->count += n;
        if (c->count < BENCH_REQ_LEN)
            return 0;
        /* 1 KB into an empty socket buffer is never a short write. */
        if (write(c->fd, source, BENCH_RESP_LEN) != BENCH_RESP_LEN)
            return -1;
        return -1;                       /* answered: close */
    }
    case 'I':
        return n > 0 ? -1 : 0;           /* an idle client sends nothing more */
    default:
        (void)b;
        return -1;
    }
}

/* Level-triggered: one read per wakeup keeps many streams fair. */
static void server_readable(struct conn *c)
{
    ssize_t n = read(c->fd, scratch, sizeof(scratch));
    if (n < 0) {
        if (errno != EAGAIN)
            server_close(c);
        return;
    }
    if (n == 0) {
        if (c->mode == 'U') {
            char line[32];
            int len = snprintf(line, sizeof(line), "%" PRIu64 "\n", c->count);
            /* A short line into an empty send buffer; the client notices if not. */
            if (write(c->fd, line, (size_t)len) != len)
                fprintf(stderr, "bench_server: upload count not sent: %s\n", strerror(errno));
        }
        server_close(c);
        return;
    }
    size_t off = 0;
    if (c->mode == 0) {
        c->mode = (char)scratch[0];
        off = 1;
        if (c->mode == 'R')
            c->count = 1;
        if (c->mode == 'I' && write(c->fd, "i", 1) != 1) {
            server_close(c);
            return;
        }
        if (c->mode == 'D' && server_mask(c, EPOLLIN | EPOLLOUT) != 0) {
            server_close(c);
            return;
        }
    }
    if (server_input(c, scratch + off, (size_t)n - off) != 0)
        server_close(c);
}

static void server_writable(struct conn *c)
{
    ssize_t w = write(c->fd, source, sizeof(source));
    if (w < 0 && errno != EAGAIN)
        server_close(c);
}

static void server_accept(int lfd)
{
    for (;;) {
        int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
                perror("bench_server: accept (raise ulimit -n?)");
            return;
        }
        struct conn *c = calloc(1, sizeof(*c));
        if (c == NULL) {
            close(fd);
            continue;
        }
        bench_nodelay(fd);
        c->fd = fd;
        c->mask = EPOLLIN;
        struct epoll_event ev = { .events = EPOLLIN, .data.ptr = c };
        if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) != 0) {
            perror("bench_server: epoll_ctl");
            server_close(c);
        }
    }
}

/* A closed connection's later events in a batch: each conn has one fd and
 * one event per batch, so a close cannot leave one behind. */
static void server_event(void *ptr, uint32_t events)
{
    if (events & (EPOLLIN | EPOLLHUP | EPOLLERR))
        server_readable(ptr);
    else if (events & EPOLLOUT)
        server_writable(ptr);
}

int main(int argc, char **argv)
{
    const char *listen_at = "127.0.0.1:0";
    if (argc == 3 && strcmp(argv[1], "--listen") == 0)
        listen_at = argv[2];
    else if (argc != 1) {
        fprintf(stderr, "usage: bench_server [--listen HOST:PORT]\n");
        return 2;
    }
    for (size_t i = 0; i < sizeof(source); i++)
        source[i] = (unsigned char)(i * 131u + 7u);
    return bench_serve("bench_server", listen_at, &ep, server_accept, server_event, NULL);
}
