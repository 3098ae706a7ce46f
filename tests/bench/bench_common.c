/* Helpers shared by the bench tools; see bench_common.h. */
#define _GNU_SOURCE
#include "bench_common.h"

#include <signal.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

int bench_parse_hostport(const char *s, struct sockaddr_storage *ss, socklen_t *len)
{
    char host[128];
    const char *colon = strrchr(s, ':');
    if (colon == NULL || colon == s || (size_t)(colon - s) >= sizeof(host))
        return -1;
    memcpy(host, s, (size_t)(colon - s));
    host[colon - s] = '\0';
    char *end = NULL;
    long port = strtol(colon + 1, &end, 10);
    if (*end != '\0' || port < 0 || port > 65535)
        return -1;
    memset(ss, 0, sizeof(*ss));
    if (host[0] == '[') {
        size_t hl = strlen(host);
        if (hl < 3 || host[hl - 1] != ']')
            return -1;
        host[hl - 1] = '\0';
        struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
        if (inet_pton(AF_INET6, host + 1, &s6->sin6_addr) != 1)
            return -1;
        s6->sin6_family = AF_INET6;
        s6->sin6_port = htons((uint16_t)port);
        *len = sizeof(*s6);
        return 0;
    }
    struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
    if (strcmp(host, "localhost") == 0)
        snprintf(host, sizeof(host), "127.0.0.1");
    if (inet_pton(AF_INET, host, &s4->sin_addr) != 1)
        return -1;
    s4->sin_family = AF_INET;
    s4->sin_port = htons((uint16_t)port);
    *len = sizeof(*s4);
    return 0;
}

uint64_t bench_now_ns(void)
{
    struct timespec ts;
    /* CLOCK_MONOTONIC cannot fail with a valid pointer; checked anyway. */
    if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0)
        return 0;
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

unsigned long bench_raise_nofile(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
        return 1024;
    rl.rlim_cur = rl.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &rl) != 0 && getrlimit(RLIMIT_NOFILE, &rl) != 0)
        return 1024;
    return (unsigned long)rl.rlim_cur;
}

int bench_nonblock(int fd)
{
    int fl = fcntl(fd, F_GETFL);
    if (fl < 0)
        return -1;
    return fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

void bench_nodelay(int fd)
{
    int one = 1;
    /* Only latency depends on it; a socket that refuses still carries bytes. */
    if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) != 0)
        return;
}

size_t bench_socks_request(const struct sockaddr_storage *ss, unsigned char *out)
{
    size_t n = 0;
    out[n++] = 5; out[n++] = 1; out[n++] = 0;          /* greeting: no auth */
    out[n++] = 5; out[n++] = 1; out[n++] = 0;          /* CONNECT */
    if (ss->ss_family == AF_INET6) {
        const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)ss;
        out[n++] = 4;
        memcpy(out + n, &s6->sin6_addr, 16); n += 16;
        memcpy(out + n, &s6->sin6_port, 2); n += 2;
    } else {
        const struct sockaddr_in *s4 = (const struct sockaddr_in *)ss;
        out[n++] = 1;
        memcpy(out + n, &s4->sin_addr, 4); n += 4;
        memcpy(out + n, &s4->sin_port, 2); n += 2;
    }
    return n;
}

long bench_socks_reply_len(const unsigned char *b, size_t n)
{
    if (n >= 2 && (b[0] != 5 || b[1] != 0))
        return -1;
    if (n < 6)
        return 0;
    if (b[2] != 5 || b[3] != 0)
        return -1;
    long need;
    switch (b[5]) {
    case 1: need = 2 + 10; break;
    case 4: need = 2 + 22; break;
    case 3:
        if (n < 7)
            return 0;
        need = 2 + 7 + b[6];
        break;
    default: return -1;
    }
    return (long)n >= need ? need : 0;
}

int bench_socks_connect(int fd, const struct sockaddr_storage *target)
{
    unsigned char req[32], rep[300];
    size_t len = bench_socks_request(target, req), got = 0;
    if (write(fd, req, len) != (ssize_t)len)
        return -1;
    for (;;) {
        /* One byte at a time: nothing past the reply may be consumed here. */
        ssize_t r = read(fd, rep + got, 1);
        if (r <= 0)
            return -1;
        got += (size_t)r;
        long need = bench_socks_reply_len(rep, got);
        if (need < 0)
            return -1;
        if (need > 0 && (size_t)need == got)
            return 0;
        if (got == sizeof(rep))
            return -1;
    }
}

int bench_listen(const char *prog, const char *listen_at, int *ep)
{
    struct sockaddr_storage ss;
    socklen_t sl;
    if (bench_parse_hostport(listen_at, &ss, &sl) != 0) {
        fprintf(stderr, "%s: bad --listen '%s': give HOST:PORT\n", prog, listen_at);
        return -2;
    }
    int one = 1;
    int lfd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (lfd < 0 || setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
        bind(lfd, (struct sockaddr *)&ss, sl) != 0 || listen(lfd, 4096) != 0 ||
        getsockname(lfd, (struct sockaddr *)&ss, &sl) != 0) {
        fprintf(stderr, "%s: cannot listen on %s: %s; pick a free port\n",
                prog, listen_at, strerror(errno));
        return -1;
    }
    *ep = epoll_create1(EPOLL_CLOEXEC);
    struct epoll_event lev = { .events = EPOLLIN, .data.ptr = NULL };
    if (*ep < 0 || epoll_ctl(*ep, EPOLL_CTL_ADD, lfd, &lev) != 0) {
        fprintf(stderr, "%s: epoll: %s\n", prog, strerror(errno));
        return -1;
    }
    printf("ready %u\n", ntohs(((struct sockaddr_in *)&ss)->sin_port));
    if (fflush(stdout) != 0)
        return -1;
    return lfd;
}

int bench_serve(const char *prog, const char *listen_at, int *ep, void (*on_accept)(int lfd),
                void (*on_event)(void *ptr, uint32_t events), void (*after_batch)(void))
{
    if (signal(SIGPIPE, SIG_IGN) == SIG_ERR) {
        fprintf(stderr, "%s: signal(SIGPIPE): %s\n", prog, strerror(errno));
        return 1;
    }
    bench_raise_nofile();
    int lfd = bench_listen(prog, listen_at, ep);
    if (lfd < 0)
        return lfd == -2 ? 2 : 1;
    struct epoll_event evs[256];
    for (;;) {
        int n = epoll_wait(*ep, evs, 256, -1);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            fprintf(stderr, "%s: epoll_wait: %s\n", prog, strerror(errno));
            return 1;
        }
        for (int i = 0; i < n; i++) {
            if (evs[i].data.ptr == NULL)
                on_accept(lfd);
            else
                on_event(evs[i].data.ptr, evs[i].events);
        }
        if (after_batch != NULL)
            after_batch();
    }
}
